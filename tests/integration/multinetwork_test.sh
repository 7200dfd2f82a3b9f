#!/usr/bin/env bash
# End to end across networks: three network namespaces of this run's own,
#
#   vm  10.210.1.2 ──veth── 10.210.1.1  gw  10.210.2.1 ──veth── 10.210.2.2-4  cluster
#
# "gw" does not forward, so the VM reaches nothing in "cluster" but through
# meshgate, which runs in gw with its listeners on the VM side. In "cluster"
# run the demo TLS backends and a fake istiod (openssl s_server with its own
# CA). meshgate learns the cluster in Kubernetes mode from the stand-in API
# server (on gw's own loopback), which holds what a cluster would: httpbin's
# two pods (10.210.2.2 and .3) and their EndpointSlices, a DestinationRule,
# istiod's Service, a ServiceEntry for httpbin.bar.global, and a second VM
# on the cluster's network (10.210.2.4) registered from a WorkloadGroup: a
# WorkloadEntry with a serviceAccount and no tlsMode label, behind the
# Service reviews. The VM is onboarded with `meshgate vm-files` and uses
# only the files it writes: the dnsmasq snippet for the gateway's DNS, the
# hosts file and mesh.yaml's discoveryAddress to reach istiod by name
# through 15012, and root-cert.pem to verify the backends (through 15443)
# and istiod.
# Then the same again with the routes from istiod over xDS instead of the
# API server: a stand-in istiod (a real gRPC ADS server, on gw's loopback)
# announces httpbin and its subset v1 behind AUTO_PASSTHROUGH chains (not
# v2) and istiod behind expose-istiod's chain, and the gateway, restarted with discovery.xds,
# serves the VM from that alone.
# The addresses exist only inside these namespaces. Every wait is bounded;
# namespaces, /etc/netns/<ns> and processes are removed on any exit.
#
# Needs root and `ip netns`; exits 77 (skipped) without them.
#
# usage: multinetwork_test.sh MESHGATE DEMO_BACKEND TEST_APISERVER TEST_ISTIOD
set -euo pipefail

meshgate=$1
backend=$2
apiserver=$3
test_istiod=$4

skip() {
  echo "skipped: needs root and network namespaces: $1"
  exit 77
}
[ "$(id -u)" -eq 0 ] || skip "not root (uid $(id -u))"
command -v ip >/dev/null || skip "ip (iproute2) not found"

id="mgmn-$$-$RANDOM"
vm_ns=$id-vm
gw_ns=$id-gw
cluster_ns=$id-cluster
namespaces=()
created_etc_netns=false

probe=$(ip netns add "$vm_ns" 2>&1) || skip "ip netns add failed: $probe"
namespaces+=("$vm_ns")
if ! probe=$(ip netns exec "$vm_ns" true 2>&1); then
  ip netns del "$vm_ns" 2>/dev/null || true
  skip "ip netns exec failed: $probe"
fi

# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"

stop_pids() {  # stop_pids PID...: TERM, up to 5 s to exit, then KILL
  local pid alive
  for pid in "$@"; do kill "$pid" 2>/dev/null || true; done
  for _ in $(seq 1 500); do
    alive=false
    for pid in "$@"; do kill -0 "$pid" 2>/dev/null && alive=true; done
    $alive || break
    sleep 0.01
  done
  for pid in "$@"; do kill -KILL "$pid" 2>/dev/null || true; done
}

stop_processes() {  # every process this run started
  stop_pids "${pids[@]}"
  wait 2>/dev/null || true
  pids=()
}

show_logs() {
  local log
  for log in meshgate.log access.log backend.log istiod.log apiserver.log xds-istiod.log \
    meshgate-xds.log access-xds.log; do
    [ -f "$work/$log" ] || continue
    echo "----- $log"
    tail -n 100 "$work/$log"
  done
}

teardown() {
  local status=$?
  trap - EXIT INT TERM
  [ "$status" -eq 0 ] || show_logs
  stop_processes
  local ns
  for ns in "${namespaces[@]}"; do
    # Anything still inside a namespace of this run was started by it.
    ip netns pids "$ns" 2>/dev/null | xargs -r kill -KILL 2>/dev/null || true
    ip netns del "$ns" 2>/dev/null || true
    rm -rf "/etc/netns/$ns"
  done
  if $created_etc_netns; then rmdir /etc/netns 2>/dev/null || true; fi
  rm -rf "$work"
  exit "$status"
}
trap teardown EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

for tool in dig openssl curl; do
  command -v "$tool" >/dev/null || {
    echo "$tool not found: run scripts/setup.sh" >&2
    exit 1
  }
done

# in_ns NS COMMAND...: in the foreground only. A background job is started
# as `ip netns exec NS COMMAND &` so that $! is COMMAND's own pid (ip execs
# it), not that of a subshell that would leave COMMAND behind when killed.
in_ns() { ip netns exec "$@"; }

# ---- The three networks.
vm_ip=10.210.1.2
gw_vm_ip=10.210.1.1
gw_cluster_ip=10.210.2.1
cluster_ip=10.210.2.2    # httpbin v1's pod, and istiod's
cluster_ip_v2=10.210.2.3 # httpbin v2's pod
vm2_ip=10.210.2.4        # the VM registered by a WorkloadEntry

ip netns add "$gw_ns"
namespaces+=("$gw_ns")
ip netns add "$cluster_ns"
namespaces+=("$cluster_ns")
# `ip netns exec NS` mounts /etc/netns/NS/* over /etc/*. Every namespace's
# resolver is 127.0.0.1, where nothing listens: a lookup that misses the
# hosts file fails at once and no DNS query ever leaves this run's namespaces.
[ -d /etc/netns ] || created_etc_netns=true
for ns in "$vm_ns" "$gw_ns" "$cluster_ns"; do
  mkdir -p "/etc/netns/$ns"
  echo "nameserver 127.0.0.1" >"/etc/netns/$ns/resolv.conf"
  echo "127.0.0.1 localhost" >"/etc/netns/$ns/hosts"
done
for ns in "$vm_ns" "$gw_ns" "$cluster_ns"; do ip -n "$ns" link set lo up; done
# Each pair is made inside a namespace of this run and its peer moved to the
# other, so no interface name ever appears in the root namespace.
ip -n "$vm_ns" link add veth-gw type veth peer name veth-vm netns "$gw_ns"
ip -n "$gw_ns" link add veth-cluster type veth peer name veth-gw netns "$cluster_ns"
ip -n "$vm_ns" addr add "$vm_ip/24" dev veth-gw
ip -n "$gw_ns" addr add "$gw_vm_ip/24" dev veth-vm
ip -n "$gw_ns" addr add "$gw_cluster_ip/24" dev veth-cluster
for ip in "$cluster_ip" "$cluster_ip_v2" "$vm2_ip"; do
  ip -n "$cluster_ns" addr add "$ip/24" dev veth-gw
done
ip -n "$vm_ns" link set veth-gw up
ip -n "$gw_ns" link set veth-vm up
ip -n "$gw_ns" link set veth-cluster up
ip -n "$cluster_ns" link set veth-gw up
# Routes through gw both ways: if gw forwarded, the VM would reach the
# cluster directly; only gw's refusal to forward stops it.
ip -n "$vm_ns" route add default via "$gw_vm_ip"
ip -n "$cluster_ns" route add default via "$gw_cluster_ip"
# A new namespace may inherit forwarding from the host (devconf_inherit_init_net):
# write it, then check it reads back.
in_ns "$gw_ns" sysctl -q -w net.ipv4.ip_forward=0 net.ipv4.conf.all.forwarding=0

# ---- The cluster: the demo backends (on every address of the cluster's
# leg, each pod and the VM on its own) and a fake istiod.
ip netns exec "$cluster_ns" "$backend" --dir "$work/certs" --ephemeral --address 0.0.0.0 \
  >"$work/backend.log" 2>&1 &
pids+=($!)

# The fake istiod's throwaway CA and its certificate for istiod's Service name.
istiod_host=istiod.istio-system.svc
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 \
  -subj "/CN=fake istiod CA" -keyout "$work/istiod-ca-key.pem" -out "$work/istiod-ca.pem" \
  2>"$work/openssl.log"
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=$istiod_host" \
  -keyout "$work/istiod-key.pem" -out "$work/istiod.csr" 2>>"$work/openssl.log"
printf 'subjectAltName=DNS:%s\nextendedKeyUsage=serverAuth\n' "$istiod_host" >"$work/istiod.ext"
openssl x509 -req -in "$work/istiod.csr" -CA "$work/istiod-ca.pem" -CAkey "$work/istiod-ca-key.pem" \
  -CAcreateserial -days 1 -extfile "$work/istiod.ext" -out "$work/istiod.pem" 2>>"$work/openssl.log"
ip netns exec "$cluster_ns" openssl s_server -accept "$cluster_ip:15012" -cert "$work/istiod.pem" \
  -key "$work/istiod-key.pem" -www </dev/null >"$work/istiod.log" 2>&1 &
pids+=($!)

wait_for "$work/certs/ports" reviews-v1
wait_for "$work/istiod.log" ACCEPT
port_of() { awk -v n="$1" '$1 == n {print $2}' "$work/certs/ports"; }

# ---- The cluster's API: the objects, one per line as the stand-in reads them.
# shellcheck source=multinetwork_objects.sh
source "$(dirname "$0")/multinetwork_objects.sh"
cluster_objects >"$work/objects.jsonl"
ip netns exec "$gw_ns" "$apiserver" --objects "$work/objects.jsonl" --out "$work/api" \
  --lifetime 280 >"$work/apiserver.log" 2>&1 &
pids+=($!)
wait_for "$work/apiserver.log" serving

# ---- The gateway, on network cluster-net, listening on its VM-side leg.
cat >"$work/meshgate.yaml" <<YAML
network: cluster-net
workers: 1
listeners:
  passthrough: {address: $gw_vm_ip, port: 15443}
  istiod: {address: $gw_vm_ip, port: 15012}
  webhook: {address: $gw_vm_ip, port: 15017}
  dns: {address: $gw_vm_ip, port: 15053}
  dns_grpc: {address: 127.0.0.1, port: 8053}
  health: {address: $gw_vm_ip, port: 15021}
  metrics: {address: 127.0.0.1, port: 15090}
  admin: {address: 127.0.0.1, port: 15000}
discovery:
  kubernetes: {enabled: true, kubeconfig: $work/api/kubeconfig}
istiod:
  xds: {host: $istiod_host, port: 15012}
  webhook: {host: localhost, port: 1}
dns:
  forward: {enabled: false}
timeouts: {connect: 2s, drain_delay: 0s, drain: 1s}
access_log: {enabled: true, format: text, path: $work/access.log}
YAML
ip netns exec "$gw_ns" "$meshgate" --config "$work/meshgate.yaml" --log-level debug \
  >"$work/meshgate.log" 2>&1 &
pids+=($!)
meshgate_pid=$!

gateway_ready() {  # up to 10 s for /healthz/ready to answer 200
  local code
  for _ in $(seq 1 200); do
    kill -0 "$meshgate_pid" 2>/dev/null || return 1
    code=$(in_ns "$gw_ns" curl -s -o /dev/null -m 1 -w '%{http_code}' \
      "http://$gw_vm_ip:15021/healthz/ready" || true)
    [ "$code" = 200 ] && return 0
    sleep 0.05
  done
  return 1
}
if ! gateway_ready; then
  echo "meshgate did not become ready" >&2
  exit 1
fi

# ---- The VM's files.
cat >"$work/workload-group.yaml" <<YAML
apiVersion: networking.istio.io/v1
kind: WorkloadGroup
metadata: {name: ratings, namespace: bookinfo}
spec:
  metadata:
    labels: {app: ratings}
  template:
    serviceAccount: bookinfo-ratings
    network: vm-net
    ports: {http: 9080}
YAML
# The mesh's roots: the backends' CA and the fake istiod's, as a bundle.
cat "$work/certs/ca.pem" "$work/istiod-ca.pem" >"$work/root-cert.pem"
echo "a-token-for-istio-ca" >"$work/token"
vm=$work/vm
"$meshgate" vm-files --workload-group "$work/workload-group.yaml" --gateway-address "$gw_vm_ip" \
  --root-cert "$work/root-cert.pem" --token "$work/token" --cluster-id cluster1 \
  --dns-port 15053 --out "$vm" >"$work/vm-files.log" 2>&1 || {
  cat "$work/vm-files.log" >&2
  exit 1
}

# ---- The cases.
access_log=$work/access.log
access_logged() {  # access_logged PATTERN: up to 5 s (a line is written when its connection ends)
  for _ in $(seq 1 500); do
    grep -q "$1" "$access_log" 2>/dev/null && return 0
    sleep 0.01
  done
  echo "no access-log line matches '$1'" >&2
  return 1
}

gw_forwarding_off() {
  [ "$(in_ns "$gw_ns" sysctl -n net.ipv4.ip_forward)" = 0 ]
}
check "the gateway namespace does not forward (net.ipv4.ip_forward = 0)" gw_forwarding_off

cluster_env() {
  grep -qx "ISTIO_META_NETWORK='vm-net'" "$vm/cluster.env" &&
    grep -qx "ISTIO_META_CLUSTER_ID='cluster1'" "$vm/cluster.env" &&
    grep -qx "SERVICE_ACCOUNT='bookinfo-ratings'" "$vm/cluster.env" &&
    cmp -s "$vm/root-cert.pem" "$work/root-cert.pem"
}
check "vm-files: cluster.env names the VM's network, root-cert.pem the roots" cluster_env

dns_server=
dns_port=
dnsmasq_points_at_gateway() {  # parses server=/global/IP#PORT
  local line
  line=$(grep -E '^server=/global/' "$vm/dnsmasq.d/meshgate-global.conf") || return 1
  line=${line#server=/global/}
  dns_server=${line%#*}
  dns_port=${line##*#}
  [ "$dns_server" = "$gw_vm_ip" ] && [ "$dns_port" = 15053 ]
}
check "vm-files: the dnsmasq snippet sends .global to the gateway's DNS" dnsmasq_points_at_gateway

dig_global() {
  local answer
  answer=$(in_ns "$vm_ns" timeout 10 dig "@$dns_server" -p "$dns_port" +time=2 +tries=2 +short \
    httpbin.bar.global A) || return 1
  [ "$answer" = 240.240.0.1 ] || {
    echo "answer: '$answer'" >&2
    return 1
  }
}
check "vm: dig httpbin.bar.global through the gateway's DNS answers the alias 240.240.0.1" dig_global

# The gateway as the VM knows it: the address its hosts file gives istiod.
gateway=$(awk -v h="$istiod_host" '$2 == h {print $1}' "$vm/hosts")

# tls_get SNI HOST BACKEND ENDPOINT: from the VM, TLS to 15443 with an Istio
# SNI and ALPN; the certificate verifies for HOST, BACKEND answers, and the
# access log shows ENDPOINT (ip:port) dialled.
tls_get() {
  local out
  out=$(printf 'GET / HTTP/1.0\r\n\r\n' |
    in_ns "$vm_ns" timeout 10 openssl s_client -connect "$gateway:15443" -servername "$1" \
      -alpn istio -CAfile "$vm/root-cert.pem" -verify_hostname "$2" -verify_return_error \
      -ign_eof 2>&1) || {
    echo "$out" >&2
    return 1
  }
  grep -q "Verify return code: 0 (ok)" <<<"$out" && grep -q "hello from $3" <<<"$out" &&
    access_logged "passthrough client=$vm_ip:.*endpoint=$4 "
}
check "vm: TLS to 15443 with an Istio SNI and ALPN reaches httpbin v1, certificate verified" \
  tls_get outbound_.8000_.v1_.httpbin.bar.global httpbin.bar.svc.cluster.local httpbin-v1 \
  "$cluster_ip:$(port_of httpbin-v1)"

# A VM on the cluster's network, known only by its WorkloadEntry (a
# serviceAccount, no tlsMode label: istiod takes it as Istio mTLS), is
# reached from the VM on the other network.
check "vm: TLS to 15443 reaches a VM registered by a WorkloadEntry (serviceAccount, no tlsMode)" \
  tls_get outbound_.9080_._.reviews.default.svc.cluster.local reviews.default.svc.cluster.local \
  reviews-v1 "$vm2_ip:$(port_of reviews-v1)"

istiod_by_name() {
  # The VM's /etc/hosts: the generated lines appended, as the README says.
  grep -q "$istiod_host" "/etc/netns/$vm_ns/hosts" || cat "$vm/hosts" >>"/etc/netns/$vm_ns/hosts"
  local discovery out
  discovery=$(sed -n 's/^ *discoveryAddress: *//p' "$vm/mesh.yaml")
  [ "$discovery" = "$istiod_host:15012" ] || return 1
  [ "$(in_ns "$vm_ns" getent ahostsv4 "$istiod_host" | awk 'NR == 1 {print $1}')" = "$gateway" ] ||
    return 1
  # curl fails unless istiod's certificate verifies for istiod's name.
  out=$(in_ns "$vm_ns" curl -sS --max-time 10 --cacert "$vm/root-cert.pem" "https://$discovery/") ||
    return 1
  grep -q "s_server -accept $cluster_ip:15012" <<<"$out" &&
    access_logged "^[^ ]* istiod client=$vm_ip:.*endpoint=$cluster_ip:15012 .*reason=completed"
}
check "vm: istiod by name (hosts file, discoveryAddress) through 15012, TLS verified" istiod_by_name

direct_refused() {
  local port
  port=$(port_of httpbin-v1)
  in_ns "$vm_ns" ip route get "$cluster_ip" | grep -q "via $gw_vm_ip" || return 1
  ! in_ns "$vm_ns" timeout 3 bash -c "</dev/tcp/$cluster_ip/$port" 2>/dev/null
}
check "vm: the backend's cluster address is unreachable directly (routed via gw)" direct_refused

# Control for the case above: the same connect works once gw forwards, so it
# failed because gw does not forward, not because the path was broken.
reachable_when_forwarding() {
  local port ok=0
  port=$(port_of httpbin-v1)
  in_ns "$gw_ns" sysctl -q -w net.ipv4.ip_forward=1
  in_ns "$vm_ns" timeout 3 bash -c "</dev/tcp/$cluster_ip/$port" 2>/dev/null || ok=1
  in_ns "$gw_ns" sysctl -q -w net.ipv4.ip_forward=0
  [ "$ok" = 0 ] && gw_forwarding_off
}
check "control: with forwarding turned on in gw the same connect succeeds" reachable_when_forwarding

# ---- The same gateway fed by istiod over xDS: no API server at all.
stop_pids "$meshgate_pid"
echo "xds-token-for-istio-ca" >"$work/xds-token"
httpbin_v1_sni=outbound_.8000_.v1_.httpbin.bar.svc.cluster.local
ip netns exec "$gw_ns" "$test_istiod" --token xds-token-for-istio-ca --out "$work/xds" \
  --lifetime 280 \
  --passthrough "outbound_.8000_._.httpbin.bar.svc.cluster.local=$cluster_ip:$(port_of httpbin-v1),$cluster_ip_v2:$(port_of httpbin-v2)" \
  --passthrough "$httpbin_v1_sni=$cluster_ip:$(port_of httpbin-v1)" \
  --catch-all "15012/outbound|15012||$istiod_host.cluster.local=$cluster_ip:15012" \
  >"$work/xds-istiod.log" 2>&1 &
pids+=($!)
wait_for "$work/xds-istiod.log" serving
sed -e '/^discovery:/,/^istiod:/{/^istiod:/!d}' -e "s|/access\\.log|/access-xds.log|" \
  "$work/meshgate.yaml" >"$work/meshgate-xds.yaml"
cat >>"$work/meshgate-xds.yaml" <<YAML
discovery:
  xds:
    enabled: true
    address: $(cat "$work/xds/address")
    server_name: $istiod_host
    root_cert: $work/xds/root-cert.pem
    token_file: $work/xds-token
    cluster_id: cluster1
    pod_name: meshgate-0
    pod_namespace: istio-system
    pod_ip: $gw_cluster_ip
YAML
ip netns exec "$gw_ns" "$meshgate" --config "$work/meshgate-xds.yaml" --log-level debug \
  >"$work/meshgate-xds.log" 2>&1 &
pids+=($!)
meshgate_pid=$!
access_log=$work/access-xds.log

xds_ready() {  # ready, then up to 10 s for the metrics to say connected
  gateway_ready || return 1
  for _ in $(seq 1 200); do
    in_ns "$gw_ns" curl -s -m 2 http://127.0.0.1:15090/stats/prometheus >"$work/xds-metrics.txt" &&
      grep -qx 'meshgate_xds_connected 1' "$work/xds-metrics.txt" && return 0
    sleep 0.05
  done
  grep '^meshgate_xds' "$work/xds-metrics.txt" >&2  # what it said instead
  return 1
}
check "xds: the gateway is ready after the stand-in istiod's first push, and connected" xds_ready

check "xds: the VM's TLS to 15443 reaches the endpoint istiod announced, certificate verified" \
  tls_get outbound_.8000_.v1_.httpbin.bar.global httpbin.bar.svc.cluster.local httpbin-v1 \
  "$cluster_ip:$(port_of httpbin-v1)"

xds_unannounced_refused() {  # v2 is a pod of the cluster, but istiod announced no route to it
  ! printf 'x' | in_ns "$vm_ns" timeout 10 openssl s_client -connect "$gateway:15443" \
    -servername outbound_.8000_.v2_.httpbin.bar.global -alpn istio \
    -CAfile "$vm/root-cert.pem" >/dev/null 2>&1 &&
    access_logged "passthrough client=$vm_ip:.*reason=unknown_service"
}
check "xds: an SNI istiod did not announce is refused as unknown_service" xds_unannounced_refused

check "xds: istiod by name through 15012, routed by expose-istiod's chain, TLS verified" \
  istiod_by_name

finish  # on failure teardown prints the logs
