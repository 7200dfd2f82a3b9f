#!/usr/bin/env bash
# The README's examples with the real binaries and real clients: the demo
# backend behind meshgate, reached with `openssl s_client` and `curl`, and
# `meshgate check-config` on a good and a bad file. Everything binds port 0
# on 127.0.0.1; every wait is bounded.
#
# usage: real_clients_test.sh MESHGATE DEMO_BACKEND SOURCE_DIR
set -euo pipefail

meshgate=$1
backend=$2
src=$3
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"

# The demo workloads on ephemeral ports, with a registry that points at them.
"$backend" --dir "$work/certs" --ephemeral >"$work/backend.log" 2>&1 &
pids+=($!)
wait_for "$work/certs/ports" reviews-v1
port_of() { awk -v n="$1" '$1 == n {print $2}' "$work/certs/ports"; }
sed -e "s/9443/$(port_of httpbin-v1)/g" -e "s/9444/$(port_of httpbin-v2)/g" \
    -e "s/9445/$(port_of reviews-v1)/g" "$src/deploy/demo/registry.yaml" >"$work/registry.yaml"

start_gateway() {  # start_gateway NAME REQUIRE_ALPN: leaves the bound port in $work/NAME.port
  cat >"$work/$1.yaml" <<YAML
workers: 1
$(loopback_listeners)
discovery:
  files: [{path: $work/registry.yaml, poll_interval: 100ms}]
passthrough:
  require_istio_alpn: $2
  allow_loopback_endpoints: true
istiod:
  xds: {host: localhost, port: 1}
  webhook: {host: localhost, port: 1}
timeouts: {drain_delay: 1s, drain: 3s}
access_log: {enabled: true, format: text, path: $1-access.log}
YAML
  "$meshgate" --config "$work/$1.yaml" --log-level debug >"$work/$1.log" 2>&1 &
  pids+=($!)
  # The last of the listening lines: every port below is in the log by then.
  wait_for "$work/$1.log" "health, metrics, admin: listening on"
  sed -n 's/.*passthrough: listening on 127.0.0.1:\([0-9]*\).*/\1/p' "$work/$1.log" |
    head -n 1 >"$work/$1.port"
  local http
  for http in health metrics admin; do
    sed -n "s/.*$http: HTTP listening on 127.0.0.1:\([0-9]*\).*/\1/p" "$work/$1.log" |
      head -n 1 >"$work/$1.$http"
  done
}
# Not in $(...): the pids must be recorded in this shell for cleanup.
start_gateway strict true
start_gateway relaxed false
strict=$(cat "$work/strict.port")
relaxed=$(cat "$work/relaxed.port")
ca=$work/certs/ca.pem

s_client() {  # s_client PORT SNI [extra args]: GET / through the gateway
  local port=$1 sni=$2
  shift 2
  printf 'GET / HTTP/1.0\r\n\r\n' |
    timeout 10 openssl s_client -connect "127.0.0.1:$port" -servername "$sni" -CAfile "$ca" \
      -verify_hostname httpbin.bar.svc.cluster.local -verify_return_error -ign_eof "$@" 2>&1
}

v1_verified() {
  local out
  out=$(s_client "$strict" outbound_.8000_.v1_.httpbin.bar.svc.cluster.local -alpn istio)
  grep -q "Verify return code: 0 (ok)" <<<"$out" && grep -q "hello from httpbin-v1" <<<"$out"
}
check "openssl s_client: subset v1, backend certificate verified" v1_verified

global_name() {
  s_client "$strict" outbound_.8000_._.httpbin.bar.global -alpn istio-peer-exchange |
    grep -q "hello from httpbin-v"
}
check "openssl s_client: .global name reaches the .svc.cluster.local service" global_name

mtls() {
  s_client "$strict" outbound_.8000_.v2_.httpbin.bar.svc.cluster.local -alpn istio \
    -cert "$work/certs/client.pem" -key "$work/certs/client-key.pem" |
    grep -q "client certificate: vm-client.demo"
}
check "openssl s_client: client certificate reaches the backend" mtls

logged() {  # logged GATEWAY PATTERN: up to 5 s for the gateway to log PATTERN
  for _ in $(seq 1 500); do
    grep -q "$2" "$work/$1.log" && return 0
    sleep 0.01
  done
  return 1
}

refused_without_alpn() {
  ! s_client "$strict" outbound_.8000_.v1_.httpbin.bar.svc.cluster.local | grep -q "hello from" &&
    logged strict "reason=alpn_missing"
}
check "openssl s_client: no Istio ALPN is refused by default" refused_without_alpn

unknown_refused() {
  ! s_client "$strict" outbound_.8000_._.nope.bar.svc.cluster.local -alpn istio | grep -q "hello from" &&
    logged strict "reason=unknown_service"
}
check "openssl s_client: unknown service is refused" unknown_refused

curl_v2() {
  timeout 10 curl -sS --cacert "$ca" --connect-to "::127.0.0.1:$relaxed" \
    https://outbound_.8000_.v2_.httpbin.bar.svc.cluster.local/ | grep -q "hello from httpbin-v2"
}
check "curl: subset v2 through a gateway with require_istio_alpn false" curl_v2

plain_http_closed() {
  ! timeout 10 curl -sS "http://127.0.0.1:$strict/" >/dev/null 2>&1 && logged strict "reason=not_tls"
}
check "curl: plain HTTP is closed" plain_http_closed

network2_not_routed() {
  # The demo registry's 127.0.0.2 endpoint is on network2: every connection
  # must land on a network1 backend.
  for _ in 1 2 3 4; do
    s_client "$strict" outbound_.8000_._.httpbin.bar.svc.cluster.local -alpn istio |
      grep -q "hello from httpbin-v" || return 1
  done
  ! grep -q "connect to 127.0.0.2" "$work/strict.log"
}
check "another network's endpoint is never dialed" network2_not_routed

reroute() {
  # Point httpbin's v1 subset at the v2 backend; the poller picks it up.
  sed -i "s/$(port_of httpbin-v1)/$(port_of httpbin-v2)/" "$work/registry.yaml"
  for _ in $(seq 1 200); do
    s_client "$strict" outbound_.8000_.v1_.httpbin.bar.svc.cluster.local -alpn istio |
      grep -q "hello from httpbin-v2" && return 0
    sleep 0.05
  done
  return 1
}
check "a registry file change reroutes new connections" reroute

http_port() { cat "$work/$1.$2"; }  # http_port GATEWAY health|metrics|admin

ready() {
  [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$(http_port strict health)/healthz/ready")" = 200 ]
}
check "curl: /healthz/ready is 200 once the registry is loaded" ready

scrape_counts_refusals() {
  local page
  page=$(timeout 10 curl -sS "http://127.0.0.1:$(http_port strict metrics)/stats/prometheus")
  grep -Eq '^meshgate_connections_closed_total\{listener="passthrough",reason="unknown_service"\} [1-9]' <<<"$page" &&
    grep -Eq '^meshgate_client_hellos_total\{result="ok"\} [1-9]' <<<"$page" &&
    grep -q '^# TYPE meshgate_upstream_connect_duration_seconds histogram' <<<"$page"
}
check "curl: /stats/prometheus counts refusals and ClientHellos" scrape_counts_refusals

admin_clusters() {
  timeout 10 curl -sS "http://127.0.0.1:$(http_port strict admin)/clusters" |
    grep -q '"sni": "outbound_.8000_.v1_.httpbin.bar.svc.cluster.local"'
}
check "curl: admin /clusters is JSON naming the routes" admin_clusters

access_logged() {
  grep -q 'sni="outbound_.8000_.v1_.httpbin.bar.svc.cluster.local" route="outbound|8000|v1|httpbin.bar.svc.cluster.local".*reason=completed' \
    "$work/strict-access.log"
}
check "the access log has a line per connection" access_logged

sighup_reloads() {
  sed -i 's/drain: 3s/drain: 4s/' "$work/strict.yaml"
  kill -HUP "${pids[1]}"
  logged strict "reload: config applied"
}
check "SIGHUP reloads the config file" sighup_reloads

check_config_ok() {
  "$meshgate" check-config "$src/deploy/demo/meshgate-curl.yaml" | grep -q ": OK"
}
check "check-config accepts a valid file" check_config_ok

check_config_bad() {
  local out status=0
  out=$("$meshgate" check-config "$src/deploy/demo/bad-config.yaml" 2>&1) || status=$?
  [ "$status" -eq 1 ] && grep -q "did you mean" <<<"$out" && grep -q "bad-config.yaml:[0-9]" <<<"$out"
}
check "check-config rejects a bad file with lines and a suggestion" check_config_bad

draining_not_ready() {  # SIGTERM: readiness fails at once, before the listeners close
  kill -TERM "${pids[1]}"
  for _ in $(seq 1 100); do
    [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$(http_port strict health)/healthz/ready")" = 503 ] &&
      return 0
    sleep 0.01
  done
  return 1
}
check "SIGTERM turns /healthz/ready to 503 while draining" draining_not_ready

stopped_cleanly() {  # SIGTERM ends each gateway with exit 0, within drain_delay + 5 s
  local pid
  for pid in "${pids[@]:1}"; do
    kill -TERM "$pid" 2>/dev/null || true
    timeout 6 tail --pid="$pid" -f /dev/null || return 1
    wait "$pid" || return 1
  done
  pids=("${pids[0]}")
}
check "SIGTERM stops the gateways with exit 0" stopped_cleanly

finish
