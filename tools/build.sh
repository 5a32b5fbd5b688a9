#!/usr/bin/env bash
# Configures (once) and builds csops with Ninja and ccache.
#   tools/build.sh [BUILD_DIR] [extra cmake -D options...]
# Defaults to build/ in Release. Nothing is downloaded: every dependency is a Debian package.
set -euo pipefail
cd "$(dirname "$0")/.."
dir="${1:-build}"
shift || true
if [[ ! -f "$dir/build.ninja" ]]; then
  cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=Release "$@" >/dev/null
fi
ninja -C "$dir"
