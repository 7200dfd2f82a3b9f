#!/usr/bin/env bash
# Installs what is missing, then configures and builds meshgate into build/.
# BUILD_DIR and BUILD_TYPE override the defaults (build, RelWithDebInfo).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
build_dir=${BUILD_DIR:-build}
cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE="${BUILD_TYPE:-RelWithDebInfo}" >/dev/null
cmake --build "$build_dir" -j "$(nproc)"
