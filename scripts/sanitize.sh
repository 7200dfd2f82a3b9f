#!/usr/bin/env bash
# Builds with clang and a sanitizer, then runs tests under it.
#   scripts/sanitize.sh address   AddressSanitizer + UndefinedBehaviorSanitizer,
#                                 the whole test suite
#   scripts/sanitize.sh thread    ThreadSanitizer, the integration tests that
#                                 run the gateway in process (workers, control
#                                 loop, discovery and DNS threads); the shell
#                                 tests start the same code as a binary
# The build goes to build-asan/ or build-tsan/ (SANITIZE_BUILD_DIR overrides),
# with SANITIZE_JOBS (nproc) compilers at once.
# Extra arguments go to ctest (e.g. -R Relay).
set -euo pipefail
cd "$(dirname "$0")/.."
kind=${1:-}
shift || true
case "$kind" in
  address)
    sanitizers=address,undefined
    build_targets=()
    # Left to the plain build: the benchmark smoke runs (they time things) and
    # the check that the image installs every library the binary links (a
    # clang sanitizer build links runtimes the gcc-built image never has).
    ctest_select=(-E '^(bench_smoke|deploy_image_libs)')
    # Leaks are errors; a report names the test and the allocation's stack.
    export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:strict_string_checks=1:detect_stack_use_after_return=1}
    export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
    # -O0: the build takes a third less than at -O1 and the suite runs as
    # well (tests/support/CMakeLists.txt keeps one stand-in at -O1).
    opt=-O0
    ;;
  thread)
    sanitizers=thread
    # kube_apiserver_tests checks only the stand-in API server: none of the
    # gateway's threads run there.
    build_targets=(--target integration_tests kube_discovery_tests faults_tests siege_tests)
    # The xDS tests run gRPC's own threads, from Debian's libgrpc, which is not
    # built with TSan: it would report the library's synchronisation as races.
    ctest_select=(-L integration
      -E '^(real_clients|dns_dig|multinetwork|descriptors)$|^KubeApiServerTest\.|^Xds(ClientTest|Gateway)\.')
    opt=-O1  # not tried at -O0
    export TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=1:second_deadlock_stack=1:suppressions=$PWD/tests/tsan.supp}
    ;;
  *)
    echo "usage: $0 address|thread [ctest arguments...]" >&2
    exit 2
    ;;
esac

./scripts/setup.sh
build_dir=${SANITIZE_BUILD_DIR:-build-$([ "$kind" = address ] && echo asan || echo tsan)}
# -g1 (line tables) keeps the stacks readable at a fraction of the compile
# time of full debug information.
CC=clang CXX=clang++ cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Debug \
  -DCMAKE_CXX_FLAGS_DEBUG="$opt -g1" -DMESHGATE_SANITIZE="$sanitizers" -DMESHGATE_BUILD_BENCH=OFF \
  >/dev/null
cmake --build "$build_dir" -j "${SANITIZE_JOBS:-$(nproc)}" "${build_targets[@]}"
ctest --test-dir "$build_dir" --output-on-failure -j 2 --timeout 900 "${ctest_select[@]}" "$@"
