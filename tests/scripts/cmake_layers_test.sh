#!/usr/bin/env bash
# meshgate_library() (cmake/MeshgateModule.cmake) configures a project whose
# links point down, and fails the configure, naming both libraries and their
# modules, when a library links one of a module above its own, or names a
# module scripts/layers.txt does not have.
set -euo pipefail
source_dir=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

# A project of two modules, "low" and "high: low", whose last line is $1.
project() {
  local dir=$work/$2
  mkdir -p "$dir"
  printf 'low:\nhigh: low\n' >"$dir/layers.txt"
  : >"$dir/a.cc"
  cat >"$dir/CMakeLists.txt" <<CMAKE
cmake_minimum_required(VERSION 3.25)
project(layers_test CXX)
add_library(meshgate_warnings INTERFACE)
include($source_dir/cmake/MeshgateModule.cmake)
meshgate_library(low_lib MODULE low SOURCES a.cc)
meshgate_library(high_lib MODULE high SOURCES a.cc PUBLIC low_lib)
$1
CMAKE
  cmake -S "$dir" -B "$dir/build" -DMESHGATE_LAYERS_FILE="$dir/layers.txt" 2>&1
}

project "" down >/dev/null || fail "a project whose links point down does not configure"

if out=$(project "meshgate_library(up_lib MODULE low SOURCES a.cc PRIVATE high_lib)" up); then
  fail "an upward link configures"
fi
grep -q "up_lib (low) may not link high_lib (high)" <<<"$out" || fail "no rule named: $out"

if out=$(project "meshgate_library(lost_lib MODULE nowhere SOURCES a.cc)" nowhere); then
  fail "a module missing from layers.txt configures"
fi
grep -q "module 'nowhere' is not in" <<<"$out" || fail "no missing module named: $out"
echo "cmake_layers_test: OK"
