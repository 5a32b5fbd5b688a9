#!/usr/bin/env bash
# Installs the Debian 12 packages csops needs, only those that are missing.
#   tools/install_deps.sh build   # compilers, libraries, protoc: enough to build and run csopsd
#   tools/install_deps.sh test    # build + what the tests start (promtool, python3-grpcio, ...)
#   tools/install_deps.sh fuzz    # build + clang and libFuzzer (tools/fuzz.sh)
# Idempotent: when everything is present it makes no network call and takes well under a second.
set -euo pipefail

BUILD_PACKAGES=(
  cmake ninja-build ccache g++ pkg-config
  protobuf-compiler protobuf-compiler-grpc libprotobuf-dev libgrpc++-dev grpc-proto
  prometheus-cpp-dev libsqlite3-dev libboost-dev libabsl-dev libssl-dev tzdata
  libgtest-dev libgmock-dev
  libcurl4-openssl-dev nlohmann-json3-dev   # notify: SMTP and HTTPS provider calls, JSON
  libqrencode-dev       # QR codes on acceptance receipts
  libcli11-dev          # the command line of csopsd and every tool (header-only)
  libpq-dev             # the PostgreSQL store (libpq's C API)
)
TEST_PACKAGES=(
  prometheus            # promtool checks /metrics, rules and configs
  python3-grpcio python3-protobuf   # an independent gRPC client, used by /usr/bin/python3
  curl clang-format
  python3-aiosmtpd openssl   # a real SMTP server (STARTTLS with a test certificate)
  chromium chromium-driver fonts-noto-cjk   # page tests in a real browser (zh-TW glyphs)
  zbar-tools            # zbarimg decodes the receipt QR code in the page tests
  postgresql            # the PostgreSQL store's tests start throwaway servers (initdb, pg_ctl)
  nginx                 # the load balancer in front of csopsd in the proxy and replica tests
  python3-yaml          # reads deploy/kubernetes in its test
)

FUZZ_PACKAGES=(
  clang libclang-rt-14-dev   # libFuzzer and the sanitizer runtimes for clang
)

case "${1:-build}" in
  build) wanted=("${BUILD_PACKAGES[@]}") ;;
  test) wanted=("${BUILD_PACKAGES[@]}" "${TEST_PACKAGES[@]}" "${FUZZ_PACKAGES[@]}") ;;
  fuzz) wanted=("${BUILD_PACKAGES[@]}" "${FUZZ_PACKAGES[@]}") ;;
  *) echo "usage: $0 [build|test|fuzz]" >&2; exit 2 ;;
esac

# Node.js and npm drive Chromium (playwright-core, axe-core from the npm registry). A machine
# that already has a node (e.g. from NodeSource, which bundles npm) keeps it.
if [[ "${1:-build}" == test ]] && ! command -v npm >/dev/null; then
  wanted+=(nodejs npm)
fi

missing=()
for pkg in "${wanted[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$pkg")
done

if ((${#missing[@]})); then
  echo "installing: ${missing[*]}" >&2
  SUDO=""
  [[ $(id -u) -eq 0 ]] || SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# The browser tests' npm packages, installed (from the lock file) only when they changed.
if [[ "${1:-build}" == test ]]; then
  browser_dir="$(dirname "$0")/../tests/browser"
  stamp="$browser_dir/node_modules/.csops-lock"
  if ! cmp -s "$browser_dir/package-lock.json" "$stamp" 2>/dev/null; then
    echo "installing the browser tests' npm packages" >&2
    (cd "$browser_dir" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
    cp "$browser_dir/package-lock.json" "$stamp"
  fi
fi
