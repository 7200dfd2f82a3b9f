#!/usr/bin/env bash
# Fails when a source file includes a header of a module it may not use, as
# scripts/layers.txt declares them (dependencies point down, never up), or
# when a source file outside tests/ is in no module of that table.
#   scripts/check-layers.sh [ROOT]     (ROOT: the tree to check, default .)
set -euo pipefail
root=${1:-.}
table="$(cd "$(dirname "$0")" && pwd)/layers.txt"
cd "$root"

mapfile -t files < <(find . \( -name build -o -name 'build-*' -o -name .git \) -prune -o \
  -type f \( -name '*.cc' -o -name '*.h' \) -print | sed 's|^\./||' | sort)

awk -v table="$table" '
  # The module a path is in: the longest module path it is under, or "".
  function module_of(path,    m, best) {
    best = ""
    for (m in allowed)
      if (index(path, m "/") == 1 && length(m) > length(best)) best = m
    return best
  }
  BEGIN {
    while ((getline line < table) > 0) {
      sub(/#.*/, "", line)
      if (line !~ /:/) continue
      name = line; sub(/:.*/, "", name)
      uses = line; sub(/^[^:]*:/, "", uses)
      allowed[name] = " " uses " "
    }
  }
  FNR == 1 {
    from = module_of(FILENAME)
    if (from != "") checked++
    else if (FILENAME !~ /^tests\//) {
      # A new folder must say where it stands before it can be checked.
      printf "%s: in no module of scripts/layers.txt\n", FILENAME > "/dev/stderr"
      violations++
    }
  }
  from != "" && /^[ \t]*#[ \t]*include[ \t]*"/ {
    match($0, /"[^"]*"/)
    target = substr($0, RSTART + 1, RLENGTH - 2)
    to = module_of(target)
    if (to == "" || to == from || index(allowed[from], " " to " ") > 0) next
    printf "%s:%d: includes \"%s\": %s may not use %s (scripts/layers.txt)\n",
      FILENAME, FNR, target, from, to > "/dev/stderr"
    violations++
  }
  END {
    if (violations > 0) {
      printf "check-layers: %d problem(s) in %d files\n", violations, checked > "/dev/stderr"
      exit 1
    }
    printf "check-layers: %d files, every include points down\n", checked
  }
' "${files[@]}"
