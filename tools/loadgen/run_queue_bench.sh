#!/usr/bin/env bash
# Starts csopsd with tools/loadgen/bench.textproto on a fresh data directory under var/, runs
# loadgen against it (IssueTicket vs Health/Check, 64 in flight), and stops csopsd.
#   tools/loadgen/run_queue_bench.sh [loadgen options...]
set -euo pipefail
cd "$(dirname "$0")/../.."
tools/build.sh build >/dev/null
data=var/bench-queue
rm -rf "$data"
mkdir -p "$data"
build/services/csopsd/csopsd --config=tools/loadgen/bench.textproto --target=queue \
  --listen=127.0.0.1:0 --metrics-listen=127.0.0.1:0 --http-listen=127.0.0.1:0 --data-dir="$data" >"$data/stdout" 2>"$data/stderr" &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null || true' EXIT
for _ in $(seq 100); do
  addr=$(sed -n 's/^  gRPC API : //p' "$data/stdout")
  [[ -n "$addr" ]] && break
  sleep 0.1
done
[[ -n "$addr" ]] || { cat "$data/stderr"; exit 1; }
build/tools/loadgen/loadgen --addr="$addr" --rpc=issue_ticket --branch=bench --service=A --inflight=64 "$@"
