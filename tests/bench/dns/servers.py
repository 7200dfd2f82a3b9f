"""The DNS servers under test: how each is configured to serve the same
`.global` names, started, and identified. Each writes its own config into a
temporary directory and runs in the foreground; nothing needs root.

A Zone is what every server serves: the A/AAAA records `meshgate dns-hosts`
printed, plus the SOA and NS of `global.` as meshgate answers them."""

import os
import shutil
import socket
import subprocess
from dataclasses import dataclass, field

TTL = 30
SOA_RDATA = "ns.global. hostmaster.global. 1 3600 600 86400 30"


@dataclass
class Zone:
    records: list  # (fqdn without trailing dot, "A" | "AAAA", address)
    answers: dict = field(default_factory=dict)  # (fqdn, type) -> [address]

    def __post_init__(self):
        for name, rtype, addr in self.records:
            self.answers.setdefault((name, rtype), []).append(addr)


def _first_line(argv):
    try:
        out = subprocess.run(argv, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return "?"
    text = (out.stdout + out.stderr).strip()
    return text.splitlines()[0] if text else "?"


class Server:
    """One server: `argv(tmp, port, zone)` writes its config and returns the
    command line; `missing()` says why it cannot run here, or ""."""

    name = ""
    binary = ""
    notes = ""

    def missing(self):
        if not shutil.which(self.binary) and not os.path.exists(self.binary):
            return f"{self.binary} not installed"
        return ""

    def version(self):
        return "?"

    def argv(self, tmp, port, zone):
        raise NotImplementedError


class Meshgate(Server):
    name = "meshgate"

    def __init__(self, binary, config_path, dns_address="127.0.0.1", name="meshgate"):
        self.binary = binary
        self.config_path = config_path  # written by the runner, with the registry
        self.dns_address = dns_address
        self.name = name
        self.notes = (
            "workers: 1; one DNS thread (dns-global/dns_server.cc) serves UDP, TCP and gRPC; "
            "dns.forward off; access_log off; registry and config polled hourly"
        )
        if dns_address in ("0.0.0.0", "::"):
            self.notes += (f"; DNS on the wildcard {dns_address} as deployed, so every reply "
                           "leaves from the address queried (IP_PKTINFO)")

    def version(self):
        return _first_line([self.binary, "version"])

    def missing(self):
        # A wildcard bind listens on every address of the machine: only in a
        # network namespace whose one interface is loopback.
        if self.dns_address in ("0.0.0.0", "::") and \
                [name for _, name in socket.if_nameindex()] != ["lo"]:
            return ("the wildcard bind needs a network namespace of its own: run the bench "
                    "under `unshare --net` with loopback up (see README.md)")
        return super().missing()

    def argv(self, tmp, port, zone):
        return [self.binary, "--config", self.config_path, "--log-level", "warn"]


def meshgate_config(port, registry_path, dns_address="127.0.0.1"):
    """meshgate's config: every listener on 127.0.0.1 (port 0 but DNS, which
    is on `dns_address`), one worker, nothing that reaches off the machine
    (istiod is `localhost`, forwarding off)."""
    listeners = ["passthrough", "istiod", "webhook", "dns_grpc", "health", "metrics", "admin"]
    lines = ["workers: 1", "listeners:"]
    lines += [f"  {name}: {{address: 127.0.0.1, port: 0}}" for name in listeners]
    lines.append(f"  dns: {{address: {dns_address}, port: {port}}}")
    lines += [
        "discovery:",
        "  files:",
        f"    - {{path: {registry_path}, poll_interval: 1h}}",
        "istiod:",
        "  xds: {host: localhost, port: 15012}",
        "  webhook: {host: localhost, port: 443}",
        "  dns_refresh: 1h",
        "access_log: {enabled: false}",
        "reload: {poll_interval: 1h}",
        "dns:",
        f"  ttl: {TTL}s",
        "  forward: {enabled: false}",
    ]
    return "\n".join(lines) + "\n"


class Unbound(Server):
    name = "unbound"
    binary = "unbound"
    notes = 'num-threads: 1; local-zone: "global." static + one local-data per record'

    def version(self):
        return "unbound " + _first_line(["unbound", "-V"]).replace("Version ", "")

    def argv(self, tmp, port, zone):
        lines = [
            "server:",
            f"  interface: 127.0.0.1@{port}",
            f"  port: {port}",
            "  num-threads: 1",
            "  do-daemonize: no",
            '  username: ""',
            '  chroot: ""',
            f'  directory: "{tmp}"',
            '  pidfile: ""',
            "  use-syslog: no",
            "  verbosity: 0",
            "  do-ip6: no",
            "  access-control: 127.0.0.0/8 allow",
            '  local-zone: "global." static',
            f'  local-data: "global. {TTL} IN SOA {SOA_RDATA}"',
            f'  local-data: "global. {TTL} IN NS ns.global."',
        ]
        lines += [f'  local-data: "{n}. {TTL} IN {t} {a}"' for n, t, a in zone.records]
        lines += ["remote-control:", "  control-enable: no"]
        conf = os.path.join(tmp, "unbound.conf")
        with open(conf, "w") as f:
            f.write("\n".join(lines) + "\n")
        return ["unbound", "-d", "-c", conf]


class Knot(Server):
    name = "knot"
    binary = "knotd"
    notes = "udp-workers: 1, tcp-workers: 1, background-workers: 1; zone file for global."

    def version(self):
        return "knot " + _first_line(["knotd", "-V"]).split("version")[-1].strip()

    def argv(self, tmp, port, zone):
        zone_lines = [
            "$ORIGIN global.",
            f"$TTL {TTL}",
            f"@ IN SOA {SOA_RDATA}",
            "@ IN NS ns.global.",
        ]
        zone_lines += [f"{n}. IN {t} {a}" for n, t, a in zone.records]
        with open(os.path.join(tmp, "global.zone"), "w") as f:
            f.write("\n".join(zone_lines) + "\n")
        for sub in ("run", "db"):
            os.makedirs(os.path.join(tmp, sub), exist_ok=True)
        conf_text = f"""server:
    rundir: "{tmp}/run"
    listen: 127.0.0.1@{port}
    udp-workers: 1
    tcp-workers: 1
    background-workers: 1
database:
    storage: "{tmp}/db"
log:
  - target: stderr
    any: warning
zone:
  - domain: global
    storage: "{tmp}"
    file: "global.zone"
    journal-content: none
    zonefile-sync: -1
"""
        conf = os.path.join(tmp, "knot.conf")
        with open(conf, "w") as f:
            f.write(conf_text)
        return ["knotd", "-c", conf]


class Dnsdist(Server):
    """dnsdist answers by itself: one Lua action looks the name up in a
    table and spoofs the address of the asked type. Mode `ffi` (the default,
    the fastest) does it with LuaFFIAction on the raw wire name; `lua` with a
    plain LuaAction; `rules` with one `QNameRule` + `SpoofAction` per name,
    which dnsdist walks as a list for every query, so it slows with N."""

    name = "dnsdist"
    binary = "dnsdist"

    MODES = {
        "ffi": "a LuaFFIAction table lookup on the raw qname, spoofing the address",
        "lua": "a LuaAction table lookup returning DNSAction.Spoof",
        "rules": "one QNameRule+SpoofAction per name",
    }

    def __init__(self, mode="ffi"):
        self.mode = mode
        self.notes = ("one UDP/TCP listener (setLocal), no backends; answers with "
                      + self.MODES[mode])

    def version(self):
        return _first_line(["dnsdist", "--version"]).split(" (")[0]

    def argv(self, tmp, port, zone):
        lines = [
            'setSecurityPollSuffix("")',  # no security-status queries off the machine
            f'setLocal("127.0.0.1:{port}")',
        ]
        if self.mode == "ffi":
            lines += _dnsdist_ffi_table(zone)
        elif self.mode == "lua":
            lines += _dnsdist_lua_table(zone)
        else:
            lines += _dnsdist_rules(zone)
        conf = os.path.join(tmp, "dnsdist.conf")
        with open(conf, "w") as f:
            f.write("\n".join(lines) + "\n")
        return ["dnsdist", "--supervised", "--disable-syslog", "-C", conf]


def _dnsdist_lua_table(zone):
    by_name = {}
    for (name, rtype), addrs in zone.answers.items():
        code = 1 if rtype == "A" else 28
        by_name.setdefault(name + ".", {})[code] = addrs[0]
    lines = ["local answers = {"]
    for name, types in sorted(by_name.items()):
        inner = ", ".join(f'[{code}] = "{addr}"' for code, addr in sorted(types.items()))
        lines.append(f'  ["{name}"] = {{{inner}}},')
    lines += [
        "}",
        "function answer(dq)",
        "  local entry = answers[string.lower(dq.qname:toString())]",
        "  if entry == nil then return DNSAction.Nxdomain, '' end",
        "  local addr = entry[dq.qtype]",
        "  if addr == nil then return DNSAction.Nxdomain, '' end",
        "  return DNSAction.Spoof, addr",
        "end",
        "addAction(AllRule(), LuaAction(answer))",
    ]
    return lines


def _wire_lua(name):
    """A name in wire form as a Lua string literal."""
    out = ""
    for label in name.split("."):
        out += f"\\{len(label)}" + label
    return '"' + out + '\\0"'


def _dnsdist_ffi_table(zone):
    by_name = {}
    for (name, rtype), addrs in zone.answers.items():
        by_name.setdefault(name, {})[1 if rtype == "A" else 28] = addrs[0]
    lines = ['local ffi = require("ffi")', "local C = ffi.C", "local answers = {"]
    for name, types in sorted(by_name.items()):
        inner = ", ".join(f'[{code}] = "{addr}"' for code, addr in sorted(types.items()))
        lines.append(f"  [{_wire_lua(name)}] = {{{inner}}},")
    lines += [
        "}",
        'local qname = ffi.new("const char *[1]")',
        'local qlen = ffi.new("size_t[1]")',
        "function answer(dq)",
        "  C.dnsdist_ffi_dnsquestion_get_qname_raw(dq, qname, qlen)",
        # Label lengths (< 64) are below 'A', so lower() leaves them alone.
        "  local entry = answers[string.lower(ffi.string(qname[0], qlen[0]))]",
        "  if entry == nil then return DNSAction.Nxdomain end",
        "  local addr = entry[C.dnsdist_ffi_dnsquestion_get_qtype(dq)]",
        "  if addr == nil then return DNSAction.Nxdomain end",
        "  C.dnsdist_ffi_dnsquestion_set_result(dq, addr, #addr)",
        "  return DNSAction.Spoof",
        "end",
        "addAction(AllRule(), LuaFFIAction(answer))",
    ]
    return lines


def _dnsdist_rules(zone):
    by_name = {}
    for (name, _rtype), addrs in zone.answers.items():
        by_name.setdefault(name + ".", []).extend(addrs)
    lines = []
    for name, addrs in sorted(by_name.items()):
        quoted = ", ".join(f'"{a}"' for a in addrs)
        lines.append(f'addAction(QNameRule("{name}"), SpoofAction({{{quoted}}}, {{ttl={TTL}}}))')
    lines.append("addAction(AllRule(), RCodeAction(DNSRCode.NXDOMAIN))")
    return lines
