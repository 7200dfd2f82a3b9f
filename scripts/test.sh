#!/usr/bin/env bash
# Set up, build, check formatting and layering, and run every test (unit and
# integration).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/build.sh
./scripts/check-format.sh
./scripts/check-layers.sh
ctest --test-dir "${BUILD_DIR:-build}" --output-on-failure -j 2 --timeout 600
