#!/usr/bin/env bash
# Case benchmark with a million open cases: seeds var/bench-case, times restarts, measures SLA
# timer lateness for a burst of 1,000 simultaneous warnings, memory, and CreateCase vs
# Health/Check. See tools/loadgen/case_bench.py; results go in docs/BENCHMARKS.md.
#   tools/loadgen/run_case_bench.sh [--cases=1000000] [--burst=1000] [--burst-in=90]
set -euo pipefail
cd "$(dirname "$0")/../.."
tools/install_deps.sh test >/dev/null
tools/build.sh build >/dev/null
exec /usr/bin/python3 tools/loadgen/case_bench.py "$@"
