#!/usr/bin/env bash
# Installs the benchmark peers, builds meshgate in Release, and runs the
# side-by-side benchmarks (tests/bench/passthrough, tests/bench/dns), then the
# scale rows: one EndpointSlice change in a mesh of 10,000 services x 10
# endpoints (kube_translate_bench, kube_change_bench, kube_latency_bench with
# 200 changes, so that p99 is not the single worst). Results (JSON,
# markdown, PNG) go to bench-results/ (or $BENCH_OUT); the markdown tables are
# printed. Options go to both side-by-side runners (--repeat N, --smoke...).
# Under 10 minutes on a 2-core machine with one round; each more round of
# --repeat adds about 4.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh --bench
build_dir=${BUILD_DIR:-build-release}
cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build_dir" -j "$(nproc)" --target meshgate passthrough_loadgen passthrough_backend \
  kube_translate_bench kube_change_bench kube_latency_bench
out=${BENCH_OUT:-bench-results}
# --meshgate-variants is the passthrough runner's alone; the rest go to both.
both=() passthrough_only=()
while [ $# -gt 0 ]; do
  if [ "$1" = --meshgate-variants ] && [ $# -ge 2 ]; then
    passthrough_only+=("$1" "$2")
    shift 2
  else
    both+=("$1")
    shift
  fi
done
python3 tests/bench/passthrough/run.py --build-dir "$build_dir" --out "$out" \
  "${both[@]}" "${passthrough_only[@]}"
python3 tests/bench/dns/run.py --build-dir "$build_dir" --out "$out" "${both[@]}"
scale=(--services 10000 --endpoints-per-service 10)
changes=(--changes 200) latency=(--iterations 200)
for arg in "${both[@]}"; do
  if [ "$arg" = --smoke ]; then scale=(--smoke) changes=() latency=(); fi
done
{
  echo "# Scale: one change in a large mesh"
  echo
  "$build_dir/tests/bench/kube_translate_bench" "${scale[@]}"
  echo
  "$build_dir/tests/bench/kube_change_bench" "${scale[@]}" "${changes[@]}"
  echo
  "$build_dir/tests/bench/kube_latency_bench" "${scale[@]}" "${latency[@]}"
} | tee "$out/scale.md"
