#!/usr/bin/env bash
# Quickstart: set up, build, start the demo workloads (httpbin v1/v2 and
# reviews on 127.0.0.1:9443-9445, with a throwaway CA in build/demo/), then run
# meshgate on its embedded default in the foreground. Ctrl-C stops both.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/build.sh
./build/deploy/demo/meshgate-demo-backend --dir build/demo &
backend=$!
trap 'kill $backend 2>/dev/null || true' EXIT
for _ in $(seq 1 500); do
  [ -s build/demo/ports ] && break
  kill -0 "$backend" 2>/dev/null || { echo "demo backend failed to start" >&2; exit 1; }
  sleep 0.01
done
echo "demo CA: build/demo/ca.pem -- try the README's openssl s_client example"
./build/meshgate "$@"
