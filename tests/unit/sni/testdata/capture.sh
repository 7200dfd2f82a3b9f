#!/usr/bin/env bash
# Captures the ClientHello records that real TLS clients send, as fixtures
# for tests/unit/sni/captured_hello_test.cc. A developer tool: CI and ctest
# never run it, and the fixtures it writes are committed.
#
# For each client it starts a raw TCP listener on 127.0.0.1 (port 0) that
# saves the TLS records up to the end of the first handshake message and then
# closes the connection, so no handshake ever completes. Clients connect to
# 127.0.0.1 only (names are mapped there, never resolved); every wait is
# bounded. Installs missing Debian packages with apt-get (run as root).
#
# usage: capture.sh [CLIENT...]   (default: all; writes CLIENT.bin next to
#                                   this script, or into $OUT_DIR)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
out_dir=${OUT_DIR:-$here}
istio_sni=outbound_.8000_._.httpbin.bar.svc.cluster.local
plain_sni=httpbin.bar.global
all_clients=(gnutls nss java node python curl chromium go erlang botan)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

missing=()
need_package() {  # need_package PACKAGE: queues PACKAGE unless it is installed
  dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed" ||
    missing+=("$1")
}
need_command() {  # need_command COMMAND PACKAGE: queues PACKAGE unless COMMAND exists
  command -v "$1" >/dev/null || missing+=("$2")
}
install_missing() {
  [ "${#missing[@]}" -gt 0 ] || return 0
  echo "capture: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y --no-install-recommends "${missing[@]}" >/dev/null ||
    { apt-get update >/dev/null && apt-get install -y --no-install-recommends "${missing[@]}" >/dev/null; }
}

# The listener: accepts one connection, reads whole TLS records until the
# first handshake message is complete (at most 64 KiB), writes them to OUT.
cat >"$work/listen.py" <<'PY'
import os, socket, sys

out, port_file = sys.argv[1], sys.argv[2]
srv = socket.create_server(("127.0.0.1", 0))
srv.settimeout(60)
with open(port_file + ".tmp", "w") as f:
    f.write(str(srv.getsockname()[1]))
os.rename(port_file + ".tmp", port_file)
conn, _ = srv.accept()
srv.close()
conn.settimeout(15)
data = b""

def need(n):
    global data
    if n > 65536:
        sys.exit("listener: over 64 KiB without a complete ClientHello")
    while len(data) < n:
        chunk = conn.recv(n - len(data))
        if not chunk:
            sys.exit("listener: client closed after %d bytes" % len(data))
        data += chunk

pos, payload, message_size = 0, b"", None
while message_size is None or len(payload) < message_size:
    need(pos + 5)
    if data[pos] != 22:
        sys.exit("listener: record type %d is not handshake" % data[pos])
    end = pos + 5 + int.from_bytes(data[pos + 3:pos + 5], "big")
    need(end)
    payload += data[pos + 5:end]
    if message_size is None and len(payload) >= 4:
        message_size = 4 + int.from_bytes(payload[1:4], "big")
    pos = end
conn.close()
with open(out, "wb") as f:
    f.write(data[:pos])
print("%s: %d bytes in %s" % (os.path.basename(out), pos,
                               "one record" if pos == 5 + message_size else "several records"))
PY

capture() {  # capture NAME: runs client_NAME PORT against a fresh listener
  local name=$1 port_file="$work/$1.port" client_pid
  rm -f "$port_file"
  python3 "$work/listen.py" "$out_dir/$name.bin" "$port_file" &
  local listener_pid=$!
  for _ in $(seq 1 500); do
    [ -s "$port_file" ] && break
    sleep 0.01
  done
  if [ ! -s "$port_file" ]; then
    echo "$name: listener did not start" >&2
    failed+=("$name")
    return 0
  fi
  "client_$name" "$(cat "$port_file")" >"$work/$name.log" 2>&1 &
  client_pid=$!
  if ! wait "$listener_pid"; then
    echo "$name: no ClientHello captured; client output:" >&2
    cat "$work/$name.log" >&2
    failed+=("$name")
  fi
  kill "$client_pid" 2>/dev/null || true
  wait "$client_pid" 2>/dev/null || true
}

# Each client_NAME PORT connects once to 127.0.0.1:PORT, bounded by `timeout`.

client_gnutls() {
  timeout 20 gnutls-cli --insecure --sni-hostname="$istio_sni" --alpn=istio-peer-exchange \
    --alpn=istio --port="$1" 127.0.0.1 </dev/null
}

client_nss() {  # tstclnt has no ALPN switch; -i adds ECH GREASE as browsers do
  timeout 20 tstclnt -D -o -Q -4 -h 127.0.0.1 -p "$1" -a "$istio_sni" -i 100 </dev/null
}

client_java() {  # SNIHostName refuses '_', so a plain name
  cat >"$work/Hello.java" <<'JAVA'
import java.util.List;
import javax.net.ssl.*;

public class Hello {
  public static void main(String[] args) throws Exception {
    SSLSocket socket = (SSLSocket) SSLSocketFactory.getDefault()
        .createSocket("127.0.0.1", Integer.parseInt(args[0]));
    socket.setSoTimeout(10000);
    SSLParameters params = socket.getSSLParameters();
    params.setServerNames(List.of(new SNIHostName(args[1])));
    params.setApplicationProtocols(new String[] {"istio-peer-exchange", "istio"});
    socket.setSSLParameters(params);
    socket.startHandshake();
  }
}
JAVA
  timeout 60 java "$work/Hello.java" "$1" "$plain_sni"
}

client_node() {
  timeout 20 node -e '
    const s = require("tls").connect({host: "127.0.0.1", port: +process.argv[1],
        servername: process.argv[2], ALPNProtocols: ["istio-peer-exchange", "istio"],
        rejectUnauthorized: false});
    s.on("error", (e) => console.log(e.message));' "$1" "$istio_sni"
}

client_python() {
  timeout 20 python3 -c '
import socket, ssl, sys
ctx = ssl.create_default_context()
ctx.set_alpn_protocols(["istio"])
with socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10) as raw:
    ctx.wrap_socket(raw, server_hostname=sys.argv[2])' "$1" "$istio_sni"
}

client_curl() {
  timeout 20 curl -sk --max-time 10 --resolve "$istio_sni:$1:127.0.0.1" "https://$istio_sni:$1/"
}

client_chromium() {
  local profile="$work/chromium-profile"
  timeout -k 5 60 chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --host-resolver-rules="MAP * 127.0.0.1" --user-data-dir="$profile" --dump-dom \
    "https://$istio_sni:$1/"
}

client_go() {
  mkdir -p "$work/go"
  cat >"$work/go/main.go" <<'GO'
package main

import (
	"crypto/tls"
	"fmt"
	"net"
	"os"
	"time"
)

func main() {
	dialer := &net.Dialer{Timeout: 10 * time.Second}
	_, err := tls.DialWithDialer(dialer, "tcp", "127.0.0.1:"+os.Args[1], &tls.Config{
		ServerName:         os.Args[2],
		NextProtos:         []string{"istio-peer-exchange", "istio"},
		InsecureSkipVerify: true,
	})
	fmt.Println(err)
}
GO
  (cd "$work/go" && GOPROXY=off GOTOOLCHAIN=local GOCACHE="$work/go/cache" \
    timeout 120 go run main.go "$1" "$istio_sni")
}

client_erlang() {
  timeout 30 erl -noshell -eval "
    ssl:start(),
    R = ssl:connect({127,0,0,1}, $1, [{server_name_indication, \"$istio_sni\"},
        {alpn_advertised_protocols, [<<\"istio-peer-exchange\">>, <<\"istio\">>]},
        {verify, verify_none}], 10000),
    io:format(\"~p~n\", [R]), halt()."
}

client_botan() {  # takes SNI from the host it dials: nss_wrapper maps the name
  echo "127.0.0.1 $istio_sni" >"$work/hosts"
  LD_PRELOAD=libnss_wrapper.so NSS_WRAPPER_HOSTS="$work/hosts" \
    timeout 20 botan tls_client "$istio_sni" --port="$1" --skip-system-cert-store \
    --next-protocols=istio-peer-exchange,istio </dev/null
}

need_command python3 python3-minimal
need_command java default-jre-headless
need_command node nodejs
for package in gnutls-bin libnss3-tools curl chromium golang-go erlang-base erlang-ssl botan \
  libnss-wrapper; do
  need_package "$package"
done
install_missing

clients=("$@")
[ "${#clients[@]}" -gt 0 ] || clients=("${all_clients[@]}")
failed=()
for client in "${clients[@]}"; do
  capture "$client"
done

# The versions that go into README.md next to each fixture.
dpkg-query -W gnutls-bin libnss3 chromium golang-go erlang-ssl botan curl libssl3 \
  openjdk-17-jre-headless
echo "node $(node --version) (OpenSSL $(node -p process.versions.openssl))"
python3 -c 'import ssl, sys; print("python", sys.version.split()[0], ssl.OPENSSL_VERSION)'
if [ "${#failed[@]}" -gt 0 ]; then
  echo "capture: failed: ${failed[*]}" >&2
  exit 1
fi
