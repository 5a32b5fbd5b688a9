#!/usr/bin/env bash
# A throwaway PostgreSQL server for the benchmarks, on a Unix socket in DIR, default settings
# (fsync and synchronous_commit on) except max_connections=300 for the pools of three services.
#   tools/loadgen/pg_server.sh start DIR   # initdb (as postgres when root), start; prints the
#                                          # path of a file holding a connection string to a
#                                          # fresh database "bench"
#   tools/loadgen/pg_server.sh newdb DIR NAME  # a fresh database NAME on that server; prints
#                                          # the path of a file holding its connection string
#   tools/loadgen/pg_server.sh stop DIR    # stop and remove DIR
set -euo pipefail
cmd=${1:?start or stop}
dir=$(realpath -m "${2:?directory}")
bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
as_pg() { if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi; }
case "$cmd" in
  start)
    rm -rf "$dir"
    mkdir -p "$dir"
    [[ $(id -u) -eq 0 ]] && chown postgres:postgres "$dir"
    as_pg "$bin/initdb" -D "$dir/data" -A trust -U postgres -E UTF8 --no-locale >/dev/null
    as_pg "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
      -o "-k $dir -c listen_addresses='' -c max_connections=300" start >/dev/null
    as_pg "$bin/psql" -h "$dir" -U postgres -d postgres -qc "CREATE DATABASE bench"
    echo "host=$dir user=postgres dbname=bench" >"$dir/bench.dsn"
    chmod 0644 "$dir/bench.dsn"
    echo "$dir/bench.dsn"
    ;;
  newdb)
    name=${3:?database name}
    as_pg "$bin/psql" -h "$dir" -U postgres -d postgres -qc "DROP DATABASE IF EXISTS $name" \
      -c "CREATE DATABASE $name"
    echo "host=$dir user=postgres dbname=$name" >"$dir/$name.dsn"
    chmod 0644 "$dir/$name.dsn"
    echo "$dir/$name.dsn"
    ;;
  stop)
    [[ -d "$dir/data" ]] && as_pg "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null || true
    rm -rf "$dir"
    ;;
  *) echo "usage: $0 start|newdb|stop DIR [NAME]" >&2; exit 2 ;;
esac
