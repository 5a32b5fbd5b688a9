#!/usr/bin/env bash
# Case benchmark with a million open cases: seeds var/bench-case, times restarts, measures SLA
# timer lateness for a burst of 1,000 simultaneous warnings, memory, and CreateCase vs
# Health/Check. See tools/loadgen/case_bench.py; results go in docs/BENCHMARKS.md.
#   tools/loadgen/run_case_bench.sh [--cases=1000000] [--burst=1000] [--burst-in=90]
#   CSOPS_BENCH_SMOKE=1 tools/loadgen/run_case_bench.sh   # smoke mode: 200 cases, a burst of
#                                      # 20, about 15 s, in a temporary directory (the suite)
# CSOPS_BUILD_DIR (default build) names the build; CSOPS_BENCH_NO_BUILD=1 skips installing
# packages and building.
set -euo pipefail
cd "$(dirname "$0")/../.."
if [[ "${CSOPS_BENCH_NO_BUILD:-0}" != 1 ]]; then
  tools/install_deps.sh test >/dev/null
  tools/build.sh "${CSOPS_BUILD_DIR:-build}" >/dev/null
fi
smoke=()
[[ "${CSOPS_BENCH_SMOKE:-0}" == 1 ]] && smoke=(--smoke)
exec /usr/bin/python3 tools/loadgen/case_bench.py "${smoke[@]}" "$@"
