#!/usr/bin/env bash
# Configures (once) and builds csops with Ninja and ccache.
#   tools/build.sh [BUILD_DIR] [extra cmake -D options...]
# Defaults to build/ in Release. Nothing is downloaded: every dependency is a Debian package.
set -euo pipefail
cd "$(dirname "$0")/.."
dir="${1:-build}"
shift || true
# Options given now always apply, also to a build directory configured before (cmake keeps
# every other cached value); with none, an existing directory is built as it is.
if [[ ! -f "$dir/build.ninja" ]]; then
  cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=Release "$@" >/dev/null
elif (($#)); then
  cmake -S . -B "$dir" "$@" >/dev/null
fi
ninja -C "$dir"
