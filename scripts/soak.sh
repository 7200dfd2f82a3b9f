#!/usr/bin/env bash
# Soak (not in CI): builds meshgate in Release and runs it for ten minutes
# under mixed load (good connections, bad SNI, DNS queries) while its
# registry changes every second (tests/soak/run.py). Writes soak-results/
# (or $SOAK_OUT): soak.md with the per-minute table and the checks, soak.csv
# and soak.png (RSS over time). Arguments go to run.py (e.g. --seconds 120).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh --bench
build_dir=${BUILD_DIR:-build-release}
cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build_dir" -j "$(nproc)" --target meshgate passthrough_loadgen passthrough_backend
exec python3 tests/soak/run.py --build-dir "$build_dir" --out "${SOAK_OUT:-soak-results}" "$@"
