#!/usr/bin/env bash
# Installs every Debian 12 package meshgate needs to build, test and run its
# demo. Idempotent: installs only what is missing and refreshes the package
# lists only when something has to be installed.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config git
  libboost-dev libssl-dev libyaml-cpp-dev libspdlog-dev libfmt-dev
  libgtest-dev libgmock-dev nlohmann-json3-dev
  libc-ares-dev libnghttp2-dev libgrpc++-dev libprotobuf-dev protobuf-compiler protobuf-compiler-grpc
  clang-format bind9-dnsutils iproute2 procps
  clang libclang-rt-14-dev   # sanitizer builds and libFuzzer (scripts/sanitize.sh, fuzz.sh)
  openssl curl ca-certificates python3
)
# With --bench: the peers the benchmarks compare against (tests/bench/), and
# gnuplot for their chart. Not needed to build or test.
if [ "${1:-}" = "--bench" ]; then
  packages+=(haproxy nginx-light libnginx-mod-stream dnsperf knot unbound dnsdist gnuplot-nox)
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ "${#missing[@]}" -eq 0 ]; then
  echo "setup: all ${#packages[@]} packages already installed"
  exit 0
fi

sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then
  sudo_cmd=(sudo)
fi

echo "setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
if ! "${sudo_cmd[@]}" apt-get install -y --no-install-recommends "${missing[@]}"; then
  "${sudo_cmd[@]}" apt-get update
  "${sudo_cmd[@]}" apt-get install -y --no-install-recommends "${missing[@]}"
fi
