#!/usr/bin/env bash
# Builds the fuzz targets (tests/fuzz/) as libFuzzer binaries with ASan and
# UBSan, runs each for a bounded time and prints a table of the runs. Exits
# non-zero when any target found a crash, leak, timeout or out-of-memory,
# naming the target and its artifact.
#
#   scripts/fuzz.sh                          # every target, 60 s each
#   FUZZ_SECONDS=300 scripts/fuzz.sh client_hello_fuzz config_load
#
# Arguments: target names (with or without the _fuzz suffix); none means all.
# FUZZ_BUILD_DIR (build-fuzz), FUZZ_SECONDS (60) and FUZZ_JOBS (nproc)
# override the defaults. Needs clang with libFuzzer (Debian: clang and
# libclang-rt-14-dev). The targets run one after another, each on a fresh
# temporary corpus directory seeded from tests/fuzz/corpus/<name>/, which is
# only read; new inputs found are left in the temporary directory.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh

build_dir=${FUZZ_BUILD_DIR:-build-fuzz}
seconds=${FUZZ_SECONDS:-60}
jobs=${FUZZ_JOBS:-$(nproc)}

all_targets=(dns_reader kube_decode http1_response client_hello istio_name config_load
  registry_file vm_files)
# Input size caps where the default (the largest seed, at least 4 KiB) would
# hide something: DNS messages past 0x4000 (no more compression pointers) and
# 65535 (the writer truncates); a ClientHello over one full 2^14 record; YAML
# big enough for the walkers' bounds.
declare -A max_len=(
  [dns_reader]=70000
  [client_hello]=20000
  [config_load]=16384
  [registry_file]=16384
  [vm_files]=16384
)

for tool in clang clang++; do
  if ! command -v "$tool" >/dev/null; then
    echo "fuzz: $tool not found; install clang and libclang-rt-14-dev" >&2
    exit 2
  fi
done

if [[ $# -eq 0 ]]; then set -- "${all_targets[@]}"; fi
targets=()
for arg in "$@"; do
  name=${arg%_fuzz}
  if [[ ! " ${all_targets[*]} " =~ " ${name} " ]]; then
    echo "fuzz: unknown target '$arg' (known: ${all_targets[*]})" >&2
    exit 2
  fi
  targets+=("$name")
done

CC=clang CXX=clang++ cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Debug \
  -DCMAKE_CXX_FLAGS_DEBUG='-O1 -g1' -DMESHGATE_FUZZ=ON -DMESHGATE_SANITIZE=address,undefined >/dev/null
ninja -C "$build_dir" -j "$jobs" "${targets[@]/%/_fuzz}"

artifacts=$(mktemp -d "${TMPDIR:-/tmp}/meshgate-fuzz.XXXXXX")
echo "fuzz: artifacts and logs in $artifacts"
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}

# run_target NAME: fuzzes one target; appends a row to $table, sets $failed.
table=()
failed=0
run_target() {
  local name=$1
  local out="$artifacts/$name"
  local work="$out/work-corpus"
  mkdir -p "$work"
  local flags=(-max_total_time="$seconds" -print_final_stats=1 -rss_limit_mb=2048 -timeout=10
    -artifact_prefix="$out/")
  if [[ -n "${max_len[$name]:-}" ]]; then flags+=(-max_len="${max_len[$name]}"); fi
  echo "fuzz: $name for ${seconds}s"
  local start=$SECONDS status=0
  "$build_dir/tests/fuzz/${name}_fuzz" "${flags[@]}" "$work" "tests/fuzz/corpus/$name" \
    >"$out/log" 2>&1 || status=$?
  local took=$((SECONDS - start))
  local runs
  runs=$(awk '/stat::number_of_executed_units:/ {print $2}' "$out/log" | tail -n 1)
  local result=ok
  if [[ $status -ne 0 ]]; then
    failed=1
    local found
    found=$(find "$out" -maxdepth 1 -type f \
      \( -name 'crash-*' -o -name 'leak-*' -o -name 'timeout-*' -o -name 'oom-*' \) | head -n 1)
    result="FAILED (exit $status)"
    [[ -n "$found" ]] && result="$(basename "$found" | cut -d- -f1)"
    echo "fuzz: $name found a problem: ${found:-no artifact}; log: $out/log" >&2
    grep -m 3 -E '^(==[0-9]+==ERROR|SUMMARY|.*runtime error)' "$out/log" >&2 || true
  fi
  table+=("$(printf '%-22s %8s %14s  %s' "${name}_fuzz" "$took" "${runs:--}" "$result")")
}

for name in "${targets[@]}"; do
  run_target "$name"
done

printf '\n%-22s %8s %14s  %s\n' target seconds executions result
printf '%s\n' "${table[@]}"
echo "artifacts and logs: $artifacts"
exit "$failed"
