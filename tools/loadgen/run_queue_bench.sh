#!/usr/bin/env bash
# Starts csopsd with tools/loadgen/bench.textproto on a fresh data directory under var/, runs
# loadgen against it (IssueTicket vs Health/Check, 64 in flight), and stops csopsd.
#   tools/loadgen/run_queue_bench.sh [loadgen options...]
#   CSOPS_BENCH_AUTH=1 tools/loadgen/run_queue_bench.sh ...   # with access control on: a
#                                      # KIOSK key for the bench branch, sent by loadgen
#   CSOPS_BENCH_SMOKE=1 tools/loadgen/run_queue_bench.sh      # smoke mode: one round of 1 s in
#                                      # a temporary data directory (the suite runs this)
#   CSOPS_BENCH_PG_DSN_FILE=F tools/loadgen/run_queue_bench.sh   # csopsd on PostgreSQL
#                                      # (tools/loadgen/pg_server.sh start prints such a file)
#   CSOPS_BENCH_PG_MAX_BATCH=N ... (with the above): storage.postgres.max_batch N (1: no group
#                                      # commit)
# CSOPS_BUILD_DIR (default build) names the build; CSOPS_BENCH_NO_BUILD=1 skips building it.
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${CSOPS_BUILD_DIR:-build}
[[ "${CSOPS_BENCH_NO_BUILD:-0}" == 1 ]] || tools/build.sh "$build" >/dev/null
smoke=()
if [[ "${CSOPS_BENCH_SMOKE:-0}" == 1 ]]; then
  data=$(mktemp -d "${TMPDIR:-/tmp}/csops-bench-queue-XXXXXX")
  smoke=(--seconds=1 --rounds=1 --inflight=16)
else
  data=var/bench-queue
  rm -rf "$data"
  mkdir -p "$data"
fi
config=tools/loadgen/bench.textproto
pid=
cleanup() {
  [[ -n "$pid" ]] && { kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null || true; }
  [[ "$config" == *.generated.textproto ]] && rm -f "$config"
  [[ "${CSOPS_BENCH_SMOKE:-0}" == 1 ]] && rm -rf "$data"
  return 0
}
trap cleanup EXIT
if [[ "${CSOPS_BENCH_AUTH:-0}" == 1 ]]; then
  # The same config beside the original (its calendar path is relative), plus one key.
  config=$(mktemp --suffix=.generated.textproto tools/loadgen/bench-auth-XXXXXX)
  mapfile -t key < <("$build/tools/csopsctl/csopsctl" keygen --name=bench-kiosk --role=kiosk \
    --branch=bench)
  { cat tools/loadgen/bench.textproto; printf 'auth {\n  %s\n}\n' "${key[2]}"; } >"$config"
  export CSOPS_API_KEY="${key[0]}"
fi
store=()
[[ -n "${CSOPS_BENCH_PG_DSN_FILE:-}" ]] && store=(--postgres-dsn-file="$CSOPS_BENCH_PG_DSN_FILE")
if [[ -n "${CSOPS_BENCH_PG_DSN_FILE:-}" && -n "${CSOPS_BENCH_PG_MAX_BATCH:-}" ]]; then
  # storage.postgres.max_batch set in a copy of the config (1: no group commit).
  generated=$(mktemp --suffix=.generated.textproto tools/loadgen/bench-pg-XXXXXX)
  sed "s|^storage { synchronous: FULL }|storage { synchronous: FULL postgres { dsn_file: \"$(realpath "$CSOPS_BENCH_PG_DSN_FILE")\" max_batch: $CSOPS_BENCH_PG_MAX_BATCH } }|" \
    "$config" >"$generated"
  grep -q "max_batch: $CSOPS_BENCH_PG_MAX_BATCH" "$generated" || { echo "no storage line in $config" >&2; exit 1; }
  [[ "$config" == *.generated.textproto ]] && rm -f "$config"
  config=$generated
  store=()
fi
"$build/services/csopsd/csopsd" --config="$config" --target=queue "${store[@]}" \
  --listen=127.0.0.1:0 --metrics-listen=127.0.0.1:0 --http-listen=127.0.0.1:0 --data-dir="$data" >"$data/stdout" 2>"$data/stderr" &
pid=$!
addr=
for _ in $(seq 100); do
  addr=$(sed -n 's/^  gRPC API : //p' "$data/stdout")
  [[ -n "$addr" ]] && break
  sleep 0.1
done
[[ -n "$addr" ]] || { cat "$data/stderr"; exit 1; }
"$build/tools/loadgen/loadgen" --addr="$addr" --rpc=issue_ticket --branch=bench --service=A \
  --inflight=64 "${smoke[@]}" "$@"
