#!/usr/bin/env bash
# Installs what is missing, builds (Release), and runs csopsd --target=all in the foreground
# with the example config from deploy/ and data under ./var/. Ctrl-C stops it cleanly.
# Extra arguments go to csopsd, e.g. tools/run.sh --listen=0.0.0.0:50051
set -euo pipefail
cd "$(dirname "$0")/.."
tools/install_deps.sh build
tools/build.sh build
mkdir -p var
exec build/services/csopsd/csopsd --config=deploy/csopsd.textproto --target=all --data-dir=var "$@"
