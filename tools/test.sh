#!/usr/bin/env bash
# Installs what is missing, builds, and runs the whole suite with ctest. Exits non-zero on any
# failure.
#   tools/test.sh                              # Release build in build/
#   tools/test.sh --sanitize=address,undefined # ASan+UBSan build in build-asan/
#   tools/test.sh --sanitize=thread            # TSan build in build-tsan/
# Extra arguments after the options go to ctest, e.g. tools/test.sh -R calendar
# A plain run (no options, no ctest arguments) then runs the sanitizer stage (tools/sanitize.sh:
# every unit test under ASan+UBSan, the concurrency tests under TSan; CSOPS_SANITIZE_STAGE=0
# skips it) and fuzzes every target of tests/fuzz/ for CSOPS_FUZZ_SECONDS (default 20) each
# with libFuzzer (tools/fuzz.sh; CSOPS_FUZZ_SECONDS=0 skips that).
set -euo pipefail
cd "$(dirname "$0")/.."
dir=build
cmake_args=()
if [[ "${1:-}" == --sanitize=* ]]; then
  san="${1#--sanitize=}"
  shift
  case "$san" in
    thread)
      dir=build-tsan
      export TSAN_OPTIONS="suppressions=$PWD/tools/tsan.supp ${TSAN_OPTIONS:-}"
      ;;
    *) dir=build-asan ;;
  esac
  cmake_args+=("-DCSOPS_SANITIZE=$san" "-DCMAKE_BUILD_TYPE=RelWithDebInfo")
fi
tools/install_deps.sh test
tools/build.sh "$dir" "${cmake_args[@]}"
plain=$(( ${#cmake_args[@]} == 0 && $# == 0 ))
(cd "$dir" && ctest --output-on-failure -j2 "$@")
if (( plain )) && [[ "${CSOPS_SANITIZE_STAGE:-1}" != 0 ]]; then
  tools/sanitize.sh all
fi
if (( plain )) && [[ "${CSOPS_FUZZ_SECONDS:-20}" != 0 ]]; then
  tools/fuzz.sh "${CSOPS_FUZZ_SECONDS:-20}"
fi
