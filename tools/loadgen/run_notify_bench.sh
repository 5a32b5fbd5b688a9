#!/usr/bin/env bash
# Notify benchmark: Send vs Health, SendBatch of a million notices, dispatch throughput, rate
# limit accuracy. See tools/loadgen/notify_bench.py; results go in docs/BENCHMARKS.md.
#   tools/loadgen/run_notify_bench.sh [--batch=1000000] [--dispatch=200000] [--rate=500]
#   CSOPS_BENCH_SMOKE=1 tools/loadgen/run_notify_bench.sh   # smoke mode: a few thousand
#                                      # notices, about 15 s, in a temporary directory (the suite)
# CSOPS_BUILD_DIR (default build) names the build; CSOPS_BENCH_NO_BUILD=1 skips installing
# packages and building.
set -euo pipefail
cd "$(dirname "$0")/../.."
if [[ "${CSOPS_BENCH_NO_BUILD:-0}" != 1 ]]; then
  tools/install_deps.sh test >/dev/null
  tools/build.sh "${CSOPS_BUILD_DIR:-build}" >/dev/null
fi
smoke=()
if [[ "${CSOPS_BENCH_SMOKE:-0}" == 1 ]]; then
  smoke=(--smoke)
else
  mkdir -p var
fi
exec /usr/bin/python3 tools/loadgen/notify_bench.py "${smoke[@]}" "$@"
