#!/usr/bin/env bash
# The .global DNS server with the real `dig`: two meshgate processes on
# port 0, one authoritative for `global` (the gateway under test, its DNS on
# 0.0.0.0 as by default, everything else on 127.0.0.1), one for
# `upstream.test` on 127.0.0.1 (the upstream resolver the first forwards
# to). Queries go to 127.0.0.0/8 only. Every wait is bounded.
#
# A wildcard bind listens on every address of the machine, so the test runs
# in a network namespace of its own (loopback only) when it may make one
# (root, as in CI); otherwise the DNS listens on 127.0.0.1 and the two
# wildcard checks are skipped.
#
# usage: dns_dig_test.sh MESHGATE SOURCE_DIR
set -euo pipefail

meshgate=$1
src=$2
if [[ -z ${MESHGATE_DIG_NETNS:-} && $EUID -eq 0 ]] && unshare --net true 2>/dev/null; then
  MESHGATE_DIG_NETNS=1 exec unshare --net -- "$0" "$@"
fi
dns_address=127.0.0.1
if [[ -n ${MESHGATE_DIG_NETNS:-} ]]; then
  ip link set lo up
  [[ $(ip -o link | wc -l) -eq 1 ]] || { echo "not in a fresh network namespace" >&2; exit 1; }
  dns_address=0.0.0.0
fi
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"

if ! command -v dig >/dev/null; then
  echo "dig not found: run scripts/setup.sh (package bind9-dnsutils)" >&2
  exit 1
fi

big_addresses=$(seq -s, -f '10.0.0.%g' 1 60)
write_registry() {  # write_registry DB_ADDRESS
  cat >"$work/registry.yaml" <<YAML
services:
  - name: httpbin
    namespace: bar
    ports: [{name: tls, port: 8000}]
aliases:
  - {host: db.bar.global, addresses: [$1, "fd00::3"]}
  - {host: v4only.bar.global, addresses: [10.1.2.4]}
  - {host: big.bar.global, addresses: [$big_addresses]}
  - {host: "*.wild.global", addresses: [10.9.9.9]}
YAML
}
write_registry 10.1.2.3
cat >"$work/upstream-registry.yaml" <<YAML
aliases:
  - {host: www.upstream.test, addresses: [10.7.7.7]}
YAML

start_gateway() {  # start_gateway NAME REGISTRY ZONE EXTRA_DNS_YAML [DNS_ADDRESS]
  cat >"$work/$1.yaml" <<YAML
workers: 1
$(loopback_listeners | sed "s/^  dns: {address: 127.0.0.1,/  dns: {address: ${5:-127.0.0.1},/")
discovery:
  files: [{path: $2, poll_interval: 100ms}]
istiod:
  xds: {host: localhost, port: 1}
  webhook: {host: localhost, port: 1}
access_log: {enabled: false}
dns:
  zones: [{name: $3}]
$4
YAML
  "$meshgate" --config "$work/$1.yaml" >"$work/$1.log" 2>&1 &
  pids+=($!)
  wait_for "$work/$1.log" "health, metrics, admin: listening on"
  sed -n 's/.*dns: listening on \([0-9]*\) .*/\1/p' "$work/$1.log" | head -n 1 >"$work/$1.port"
  sed -n 's/.*health, metrics, admin: listening on [0-9]*, \([0-9]*\),.*/\1/p' "$work/$1.log" |
    head -n 1 >"$work/$1.metrics"
}

start_gateway upstream "$work/upstream-registry.yaml" upstream.test ""
upstream_port=$(cat "$work/upstream.port")
start_gateway main "$work/registry.yaml" global "  forward:
    upstreams: [\"127.0.0.1:$upstream_port\"]
    timeout: 500ms
    attempts: 1
    allowed_clients: [127.0.0.1/32]" "$dns_address"
port=$(cat "$work/main.port")

q() { timeout 10 dig @127.0.0.1 -p "$port" +time=2 +tries=1 "$@"; }
short() { q +short "$@"; }
status_is() {  # status_is STATUS DIG_ARGS...
  local want=$1
  shift
  q "$@" | grep -q "status: $want,"
}

check "A: a service's name gets a VIP in 240.240.0.0/16" \
  bash -c "$(declare -f q short); port=$port; short httpbin.bar.global A | grep -Eq '^240\.240\.[0-9]+\.[0-9]+$'"
vip=$(short httpbin.bar.global A)
check "AAAA: and one in 2001:2::/48" \
  bash -c "$(declare -f q short); port=$port; short httpbin.bar.global AAAA | grep -q '^2001:2:0:'"
check "A: an alias answers its own address" [ "$(short db.bar.global A)" = 10.1.2.3 ]
check "AAAA: an alias answers its own IPv6 address" [ "$(short db.bar.global AAAA)" = fd00::3 ]
nx=$(q nope.bar.global A)
check "NXDOMAIN for an unknown name, with the SOA in authority" \
  bash -c "grep -q 'status: NXDOMAIN' <<<\"\$1\" && grep -A1 'AUTHORITY SECTION' <<<\"\$1\" | grep -q SOA" _ "$nx"
check "aa set on an authoritative answer" bash -c "grep -q 'flags: qr aa' <<<\"\$1\"" _ "$nx"
nodata=$(q v4only.bar.global AAAA)
check "NODATA: a known name, another type: NOERROR, no answer, SOA" \
  bash -c "grep -q 'status: NOERROR' <<<\"\$1\" && grep -q 'ANSWER: 0, AUTHORITY: 1' <<<\"\$1\"" _ "$nodata"
check "SOA at the apex" bash -c "$(declare -f q short); port=$port; short global SOA | grep -q '^ns.global. hostmaster.global. '"
check "NS at the apex" [ "$(short global NS)" = ns.global. ]
check "TCP: +tcp answers the same" [ "$(short +tcp db.bar.global A)" = 10.1.2.3 ]
check "mixed case: matched, and the question's case echoed" \
  bash -c "$(declare -f q); port=$port; q DB.Bar.GLOBAL A | grep -q '^DB.Bar.GLOBAL\..*IN.*A.*10.1.2.3'"
check "wildcard: a name below *.wild.global" [ "$(short a.b.wild.global A)" = 10.9.9.9 ]
check "EDNS 512: a 60-address answer comes back truncated (TC)" \
  bash -c "$(declare -f q); port=$port; q +bufsize=512 +ignore big.bar.global A | grep -q 'flags: qr aa tc'"
check "no EDNS: truncated too" \
  bash -c "$(declare -f q); port=$port; q +noedns +ignore big.bar.global A | grep -q 'flags: qr aa tc'"
check "truncated, dig retries over TCP and gets all 60" \
  [ "$(short +bufsize=512 big.bar.global A | wc -l)" = 60 ]
check "EDNS 4096: 60 addresses fit in one UDP answer" \
  [ "$(short +bufsize=4096 +ignore big.bar.global A | wc -l)" = 60 ]
check "forwarded: a name outside the zone, through the upstream" \
  [ "$(short www.upstream.test A)" = 10.7.7.7 ]
check "REFUSED: recursion from a client outside allowed_clients (127.0.0.2)" \
  status_is REFUSED -b 127.0.0.2 www.upstream.test A
check "but the zone still answers that client" [ "$(short -b 127.0.0.2 db.bar.global A)" = 10.1.2.3 ]
check "AXFR is refused" bash -c "$(declare -f q); port=$port; q global AXFR | grep -q 'Transfer failed'"
# DNS listens on 0.0.0.0: a reply must leave from the address the query was
# sent to, or dig (whose UDP socket is connected to it) never sees it.
if [[ $dns_address == 0.0.0.0 ]]; then
  check "wildcard listener: a query to 127.0.0.2 is answered from 127.0.0.2" \
    [ "$(timeout 10 dig @127.0.0.2 -p "$port" +time=2 +tries=1 +short db.bar.global A)" = 10.1.2.3 ]
  check "wildcard listener: and to 127.0.0.3, forwarded" \
    [ "$(timeout 10 dig @127.0.0.3 -p "$port" +time=2 +tries=1 +short www.upstream.test A)" = 10.7.7.7 ]
else
  echo "skipped: the wildcard listener checks need a network namespace of their own (root)"
fi
# RFC 8945: signed with a key this server does not have (it has none).
tsig=$(q -y hmac-sha256:meshgate-test.:c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0 db.bar.global A || true)
check "TSIG: a signed query gets NOTAUTH" grep -q 'status: NOTAUTH' <<<"$tsig"
check "TSIG: with a TSIG record of error BADKEY" \
  grep -Eq '^meshgate-test\..*ANY.*TSIG.*hmac-sha256\..*BADKEY' <<<"$tsig"

# A registry change shows in the next answer once the file poller (100 ms)
# has read it.
write_registry 10.1.2.99
changed() {
  for _ in $(seq 1 100); do
    [ "$(short db.bar.global A)" = 10.1.2.99 ] && return 0
    sleep 0.1
  done
  return 1
}
check "a registry change is visible in the next answer" changed
check "the VIP of an unchanged name stays" [ "$(short httpbin.bar.global A)" = "$vip" ]

hosts=$("$meshgate" dns-hosts --config "$work/main.yaml")
check "dns-hosts: the alias and its address" grep -q '^10.1.2.99 db.bar.global$' <<<"$hosts"
check "dns-hosts: the same VIP dig got" grep -q "^$vip httpbin.bar.global\$" <<<"$hosts"
check "dns-hosts: a wildcard only as a comment" grep -q '^# \*.wild.global' <<<"$hosts"

# The README's dns-hosts example, as written, from the embedded default.
readme_hosts=$(sed -n '/^\$ meshgate dns-hosts$/,/^```$/p' "$src/README.md" | sed '1d;$d')
check "README: the dns-hosts example of the embedded default is what it prints" \
  [ "$("$meshgate" dns-hosts)" = "$readme_hosts" ]

page=$(timeout 10 curl -sS "http://127.0.0.1:$(cat "$work/main.metrics")/stats/prometheus")
check "metrics: answers by type and rcode" \
  grep -q 'meshgate_dns_responses_total{type="A",rcode="NXDOMAIN"} 1' <<<"$page"
check "metrics: refused counted" grep -q '^meshgate_dns_refused_total [1-9]' <<<"$page"
check "metrics: TSIG counted as NOTAUTH" grep -q '^meshgate_dns_notauth_total{reason="tsig"} 1' <<<"$page"
check "metrics: forwarded counted" \
  grep -q 'meshgate_dns_forwarded_total{result="answered"} [1-9]' <<<"$page"
check "metrics: answer latency histogram" grep -q '^meshgate_dns_answer_seconds_count [1-9]' <<<"$page"

finish
