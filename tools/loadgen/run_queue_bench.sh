#!/usr/bin/env bash
# Starts csopsd with tools/loadgen/bench.textproto on a fresh data directory under var/, runs
# loadgen against it (IssueTicket vs Health/Check, 64 in flight), and stops csopsd.
#   tools/loadgen/run_queue_bench.sh [loadgen options...]
#   CSOPS_BENCH_AUTH=1 tools/loadgen/run_queue_bench.sh ...   # with access control on: a
#                                      # KIOSK key for the bench branch, sent by loadgen
set -euo pipefail
cd "$(dirname "$0")/../.."
tools/build.sh build >/dev/null
data=var/bench-queue
rm -rf "$data"
mkdir -p "$data"
config=tools/loadgen/bench.textproto
if [[ "${CSOPS_BENCH_AUTH:-0}" == 1 ]]; then
  # The same config beside the original (its calendar path is relative), plus one key.
  config=tools/loadgen/bench-auth.generated.textproto
  mapfile -t key < <(build/tools/csopsctl/csopsctl keygen --name=bench-kiosk --role=kiosk \
    --branch=bench)
  { cat tools/loadgen/bench.textproto; printf 'auth {\n  %s\n}\n' "${key[2]}"; } >"$config"
  export CSOPS_API_KEY="${key[0]}"
  trap 'rm -f "$config"' EXIT
fi
build/services/csopsd/csopsd --config="$config" --target=queue \
  --listen=127.0.0.1:0 --metrics-listen=127.0.0.1:0 --http-listen=127.0.0.1:0 --data-dir="$data" >"$data/stdout" 2>"$data/stderr" &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null || true; rm -f tools/loadgen/bench-auth.generated.textproto' EXIT
for _ in $(seq 100); do
  addr=$(sed -n 's/^  gRPC API : //p' "$data/stdout")
  [[ -n "$addr" ]] && break
  sleep 0.1
done
[[ -n "$addr" ]] || { cat "$data/stderr"; exit 1; }
build/tools/loadgen/loadgen --addr="$addr" --rpc=issue_ticket --branch=bench --service=A --inflight=64 "$@"
