#!/usr/bin/env bash
# Builds the libFuzzer targets of tests/fuzz/ with clang (ASan+UBSan) in build-fuzz/ and runs
# each for a bounded time. Crash inputs land in build-fuzz/test-artifacts/; copy one into
# tests/fuzz/corpus/<target>/ with the fix so the ordinary suite replays it from then on.
#   tools/fuzz.sh [SECONDS_PER_TARGET]   # default 30
set -euo pipefail
cd "$(dirname "$0")/.."
#   tools/fuzz.sh --configure            # only configure build-fuzz/ (tools/sanitize.sh)
# build-fuzz/ is also the ASan+UBSan build of tools/sanitize.sh: -O1 with line tables.
dir=build-fuzz
configure() {
  if [[ ! -f "$dir/build.ninja" ]]; then
    CC=clang CXX=clang++ cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
      -DCSOPS_FUZZ=ON >/dev/null
  fi
  cmake -S . -B "$dir" -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -gline-tables-only" \
    -DCSOPS_FUZZ_SECONDS="$1" >/dev/null
}
if [[ "${1:-}" == --configure ]]; then
  configure 30
  exit 0
fi
seconds="${1:-30}"
tools/install_deps.sh fuzz
configure "$seconds"
targets=$(sed -n 's/^csops_fuzz(\(fuzz_[a-z_]*\).*/\1/p' tests/fuzz/CMakeLists.txt)
# shellcheck disable=SC2086
ninja -C "$dir" $targets
cd "$dir"
# One target at a time: each already uses a core, and a noisy neighbour only slows it.
status=0
ASAN_OPTIONS="detect_leaks=0:${ASAN_OPTIONS:-}" UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1" \
  ctest --output-on-failure -R '^fuzz_' -E '_replay$' --timeout $((seconds * 3 + 120)) || status=$?
# Figures for docs: executions and new inputs per target (libFuzzer's final stats).
awk '/^[0-9]+\/[0-9]+ Testing: / {name=$3} /stat::number_of_executed_units/ {runs=$2}
     /stat::new_units_added/ {printf "%-24s %10d executions %6d new inputs\n", name, runs, $2}' \
  Testing/Temporary/LastTest.log
exit $status
