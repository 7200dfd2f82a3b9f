#!/usr/bin/env bash
# scripts/check-layers.sh passes on the tree as it is, and fails, naming the
# file, the line and the rule, on a copy with an upward include planted (sni
# including the gateway) and on a copy with a folder no module declares.
set -euo pipefail
source_dir=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

copy_tree() {
  local to=$1
  mkdir -p "$to"
  (cd "$source_dir" && find . \( -name build -o -name 'build-*' -o -name .git \) -prune -o \
    -type f \( -name '*.cc' -o -name '*.h' -o -path ./scripts/\* \) -print0 |
    xargs -0 cp --parents -t "$to")
}

"$source_dir/scripts/check-layers.sh" "$source_dir" >/dev/null || fail "the tree itself fails"

copy_tree "$work/up"
echo '#include "gateway/app.h"' >>"$work/up/sni/istio_name.h"
if out=$("$work/up/scripts/check-layers.sh" "$work/up" 2>&1); then
  fail "an upward include passed: $out"
fi
line=$(wc -l <"$work/up/sni/istio_name.h")
expected="sni/istio_name.h:$line: includes \"gateway/app.h\": sni may not use gateway"
[[ $out == *"$expected"* ]] || fail "expected '$expected' in: $out"

copy_tree "$work/room"
mkdir "$work/room/newroom"
echo 'int x;' >"$work/room/newroom/a.cc"
if out=$("$work/room/scripts/check-layers.sh" "$work/room" 2>&1); then
  fail "a folder in no module passed: $out"
fi
[[ $out == *"newroom/a.cc: in no module of scripts/layers.txt"* ]] || fail "unexpected: $out"
echo "check_layers_test: passed"
