#!/usr/bin/env bash
# The descriptor budget with the real binary under a small RLIMIT_NOFILE
# (issue 17, item 3): the data path is refused (no_descriptors) before the
# process runs out, never after, so health and metrics keep answering and a
# registry file can still be read while connections are held at the limit.
# On the code before the budget, the same run left health, metrics and the
# registry reload failing with EMFILE.
#
# usage: descriptors_test.sh MESHGATE
set -euo pipefail

meshgate=$1
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"

nofile=400
cat >"$work/registry.yaml" <<YAML
services: []
YAML
cat >"$work/meshgate.yaml" <<YAML
workers: 1
$(loopback_listeners)
discovery:
  files: [{path: $work/registry.yaml, poll_interval: 100ms}]
istiod:
  xds: {host: localhost, port: 1}
  webhook: {host: localhost, port: 1}
dns: {enabled: false}
http: {max_connections: 16}
timeouts: {client_hello: 60s, drain_delay: 0s, drain: 1s}
access_log: {enabled: false}
YAML
prlimit --nofile=$nofile:$nofile "$meshgate" --config "$work/meshgate.yaml" >"$work/meshgate.log" 2>&1 &
pids+=($!)
wait_for "$work/meshgate.log" "health, metrics, admin: listening on"  # the last port logged
port_of() { sed -n "s/.*$1: .*listening on 127.0.0.1:\([0-9]*\).*/\1/p" "$work/meshgate.log" | head -n 1; }
passthrough=$(port_of passthrough)
health=$(port_of health)
metrics=$(port_of metrics)
# "the data path may hold 275: up to 137 connections ..."
admitted=$(sed -n 's/.*descriptors: limit [0-9]*, .* up to \([0-9]*\) connections.*/\1/p' \
  "$work/meshgate.log" | head -n 1)
echo "budget: up to $admitted connections under RLIMIT_NOFILE $nofile"

metric() {  # metric SERIES: its value on the metrics page
  curl -s --max-time 1 "http://127.0.0.1:$metrics/stats/prometheus" |
    awk -v s="$1" '$1 == s {print $2}'
}

# Holds 2 x the budget's connections open (idle, in the hello phase) until
# its stdin closes; prints how many the gateway closed at once.
mkfifo "$work/hold"
python3 - "$passthrough" $((2 * admitted)) "$admitted" <"$work/hold" >"$work/held" <<'PY' &
import socket, sys, time
port, n, admitted = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
held = [socket.create_connection(("127.0.0.1", port), timeout=5) for _ in range(n)]
for s in held:
    s.setblocking(False)
closed = set()
deadline = time.monotonic() + 5  # until the refusals have all arrived, bounded
while len(closed) < n - admitted and time.monotonic() < deadline:
    for i, s in enumerate(held):
        if i in closed:
            continue
        try:
            if s.recv(1) == b"":
                closed.add(i)
        except BlockingIOError:
            pass
        except OSError:
            closed.add(i)
    time.sleep(0.01)
print(len(closed), flush=True)
sys.stdin.read()  # hold the rest until told
PY
pids+=($!)
exec 3>"$work/hold"
for _ in $(seq 1 500); do [ -s "$work/held" ] && break; sleep 0.01; done
refused=$(cat "$work/held")

refused_as_budget() { [ "$refused" -eq $((2 * admitted - admitted)) ]; }
check "the connections past the budget are refused at once ($refused of $((2 * admitted)))" \
  refused_as_budget
counted() {
  [ "$(metric 'meshgate_connections_closed_total{listener="passthrough",reason="no_descriptors"}')" \
    = "$refused" ]
}
check "and counted as no_descriptors" counted
never_ran_out() { [ "$(metric 'meshgate_accept_errors_total{listener="passthrough"}')" = 0 ]; }
check "accept() never failed: the process never ran out" never_ran_out
ready() {
  [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 1 \
    "http://127.0.0.1:$health/healthz/ready")" = 200 ]
}
check "readiness answers 200 within 1 s at the limit" ready
live() {
  [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 1 \
    "http://127.0.0.1:$health/healthz/live")" = 200 ]
}
check "liveness answers 200 within 1 s at the limit" live
scraped() { [ -n "$(metric meshgate_open_connections)" ]; }
check "the metrics page is served at the limit" scraped

reloaded_before=$(metric 'meshgate_discovery_file_reloads_total{result="ok"}')
cat >"$work/registry.yaml.tmp" <<YAML
services:
  - {name: later, namespace: bar, ports: [{name: tls, port: 8000}]}
YAML
mv "$work/registry.yaml.tmp" "$work/registry.yaml"
reloaded() {
  for _ in $(seq 1 300); do
    [ "$(metric 'meshgate_discovery_file_reloads_total{result="ok"}')" -gt "$reloaded_before" ] &&
      return 0
    sleep 0.01
  done
  return 1
}
check "a changed registry file is read at the limit" reloaded
exec 3>&-
finish
