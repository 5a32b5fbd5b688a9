#!/usr/bin/env bash
# The sanitizer stage of the suite, sized for CI (tools/test.sh runs it after ctest):
#   * ASan+UBSan: every unit test (ctest label "unit"), built with clang in build-fuzz/, the
#     same build the libFuzzer targets use (tools/fuzz.sh), so CI compiles it once;
#   * TSan: the unit tests whose code runs on several threads (label "concurrency"), built with
#     GCC in build-tsan/ (only those targets).
# Both at -O1 with line tables: the point is the checks, not speed. Any report fails the stage.
#   tools/sanitize.sh [asan|tsan|all]   # default all
# The whole suite (csopsd and the end-to-end tests too) under a sanitizer, by hand:
#   tools/test.sh --sanitize=address,undefined    tools/test.sh --sanitize=thread
set -euo pipefail
cd "$(dirname "$0")/.."
which="${1:-all}"
tools/install_deps.sh fuzz

# Test names of `label` in build dir $1 (csops_test names its target after its test).
tests_labelled() {
  (cd "$1" && ctest -N -L "$2" | sed -n 's/^ *Test *#[0-9]*: *//p')
}

status=0
if [[ "$which" == all || "$which" == asan ]]; then
  dir=build-fuzz
  tools/fuzz.sh --configure
  # shellcheck disable=SC2046
  ninja -C "$dir" $(tests_labelled "$dir" unit)
  (cd "$dir" && ASAN_OPTIONS="detect_leaks=1:${ASAN_OPTIONS:-}" \
    UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1" \
    ctest --output-on-failure -j2 -L unit) || status=1
fi
if [[ "$which" == all || "$which" == tsan ]]; then
  dir=build-tsan
  # Always with these options, also when tools/test.sh --sanitize=thread configured it first.
  cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1" -DCSOPS_SANITIZE=thread >/dev/null
  # shellcheck disable=SC2046
  ninja -C "$dir" $(tests_labelled "$dir" concurrency)
  (cd "$dir" && TSAN_OPTIONS="halt_on_error=1 suppressions=$PWD/../tools/tsan.supp" \
    ctest --output-on-failure -j2 -L concurrency) || status=1
fi
exit $status
