#!/usr/bin/env bash
# Notify benchmark: Send vs Health, SendBatch of a million notices, dispatch throughput, rate
# limit accuracy. See tools/loadgen/notify_bench.py; results go in docs/BENCHMARKS.md.
#   tools/loadgen/run_notify_bench.sh [--batch=1000000] [--dispatch=200000] [--rate=500]
set -euo pipefail
cd "$(dirname "$0")/../.."
tools/install_deps.sh test >/dev/null
tools/build.sh build >/dev/null
mkdir -p var
exec /usr/bin/python3 tools/loadgen/notify_bench.py "$@"
