# Shared by the shell integration tests: a scratch directory and the
# processes to kill on exit, test cases counted, bounded waits.
# Source it after `set -euo pipefail`; it sets $work and $pids.

work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

failures=0
passes=0
check() {  # check NAME COMMAND...: a test case that must succeed
  local name=$1
  shift
  if "$@"; then
    passes=$((passes + 1))
    echo "ok   $name"
  else
    failures=$((failures + 1))
    echo "FAIL $name"
  fi
}

wait_for() {  # wait_for FILE PATTERN: up to 10 s for PATTERN in FILE
  for _ in $(seq 1 1000); do
    grep -q "$2" "$1" 2>/dev/null && return 0
    sleep 0.01
  done
  echo "timed out waiting for '$2' in $1" >&2
  cat "$1" >&2 || true
  return 1
}

loopback_listeners() {  # the `listeners` section: every listener on 127.0.0.1, port 0
  echo "listeners:"
  for name in passthrough istiod webhook dns dns_grpc health metrics admin; do
    echo "  $name: {address: 127.0.0.1, port: 0}"
  done
}

finish() {  # the summary line; fails the script if any case failed
  echo "$passes passed, $failures failed"
  [ "$failures" -eq 0 ]
}
