#!/usr/bin/env bash
# Installs the benchmark peers, builds meshgate in Release, and runs the
# side-by-side benchmarks (tests/bench/passthrough, tests/bench/dns). Results
# (JSON, markdown, PNG) go to bench-results/ (or $BENCH_OUT); the markdown
# table is printed. Under 10 minutes on a 2-core machine.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh --bench
build_dir=${BUILD_DIR:-build-release}
cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build_dir" -j "$(nproc)" --target meshgate passthrough_loadgen passthrough_backend
out=${BENCH_OUT:-bench-results}
python3 tests/bench/passthrough/run.py --build-dir "$build_dir" --out "$out" "$@"
python3 tests/bench/dns/run.py --build-dir "$build_dir" --out "$out" "$@"
