"""The proxies under test, each routing one SNI to the same backend, with one
worker: their config files, start-up with a bounded readiness check, and
their versions. The direct path (no proxy) is a Target without a process.
"""

import os
import shutil
import subprocess
import urllib.request
from dataclasses import dataclass, field

import procs

SNI = "outbound_.8000_._.httpbin.bar.svc.cluster.local"
ALPN = "istio"
READY_S = 15.0
NGINX_STREAM_MODULE = "/usr/lib/nginx/modules/ngx_stream_module.so"
HAPROXY_MAXPIPES = 256  # splice pipes: ample for 16 streams; each holds two descriptors
MESHGATE_LISTENERS = ("passthrough", "istiod", "webhook", "dns", "dns_grpc", "health",
                      "metrics", "admin")


@dataclass
class Target:
    """One path from the loadgen to the backend."""
    name: str  # key in results: meshgate(_splice, _copy), haproxy(_splice), nginx, direct
    label: str  # column heading
    port: int
    proc: object = None  # the proxy's Popen; None for direct
    version: str = ""
    notes: list = field(default_factory=list)

    def pids(self):
        """The proxy's process tree now (nginx: master and worker)."""
        return procs.process_tree(self.proc.pid) if self.proc else []


def _write(path, text):
    with open(path, "w") as f:
        f.write(text)
    return path


def _run_text(argv):
    """Combined output of a short command, or "" when it cannot run."""
    try:
        out = subprocess.run(argv, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return (out.stdout + out.stderr).strip()


def _find(name):
    """A peer's binary: on PATH, else in /usr/sbin (not on a user's PATH)."""
    path = shutil.which(name)
    if path:
        return path
    path = os.path.join("/usr/sbin", name)
    return path if os.access(path, os.X_OK) else None


def _wait_ready(target, hello, extra_check=None):
    """Bounded: extra_check (e.g. /healthz/ready), then an echo through the
    proxy to the backend proves the route is live."""
    if extra_check:
        procs.wait_until(f"{target.name} readiness", extra_check, READY_S, target.proc)
    procs.wait_until(f"{target.name} relay", lambda: procs.probe_echo(target.port, hello),
                     READY_S, target.proc)


# ---- meshgate --------------------------------------------------------------

def meshgate_binary(build_dir):
    path = os.path.join(build_dir, "meshgate")
    if os.access(path, os.X_OK):
        return path
    raise procs.BenchError(f"meshgate binary not found under {build_dir}")


def meshgate_registry(backend_port):
    """One service, httpbin.bar port 8000, one mTLS endpoint: the backend."""
    return f"""services:
  - name: httpbin
    namespace: bar
    ports:
      - {{name: tls, port: 8000, target_port: {backend_port}}}
    endpoints:
      - address: 127.0.0.1
        ports: {{tls: {backend_port}}}
        labels:
          security.istio.io/tlsMode: istio
          topology.istio.io/network: network1
"""


def meshgate_config(ports, registry_path, nofile, splice):
    """Every listener on 127.0.0.1 on a port of ours, one worker, no access
    log, no DNS, no drain delay (so that shutdown is quick), the same
    connection limit as HAProxy's maxconn; splicing (the default) or copying."""
    lines = ["network: network1", "workers: 1", "listeners:"]
    for name in MESHGATE_LISTENERS:
        lines.append(f"  {name}: {{address: 127.0.0.1, port: {ports[name]}}}")
    lines += [
        "discovery:",
        "  files:",
        f"    - path: {registry_path}",
        "access_log: {enabled: false}",
        "dns: {enabled: false}",
        "timeouts: {drain_delay: 0s, drain: 0s}",
        # The backend is on 127.0.0.1, which a real gateway never dials.
        "passthrough: {" + ("" if splice is None else f"splice: {splice}, ")
        + "allow_loopback_endpoints: true}",
        f"limits: {{max_connections: {max_connections(nofile)}}}",
    ]
    return "\n".join(lines) + "\n"


def _http_ok(url):
    try:
        with urllib.request.urlopen(url, timeout=1) as resp:
            return resp.status == 200
    except OSError:
        return False


# meshgate's targets: its default config, and the fixed relay modes the
# default chooses between (--meshgate-variants), by passthrough.splice.
MESHGATE_TARGETS = {"meshgate": None, "meshgate_splice": "true", "meshgate_copy": "false"}


def start_meshgate(spawner, build_dir, tmp, backend_port, cpus, hello, nofile, name="meshgate"):
    """meshgate as configured by default (passthrough.splice unset: auto),
    or with a fixed relay mode (meshgate_splice, meshgate_copy)."""
    binary = meshgate_binary(build_dir)
    splice = MESHGATE_TARGETS[name]
    ports = dict(zip(MESHGATE_LISTENERS, procs.free_ports(len(MESHGATE_LISTENERS))))
    registry = _write(os.path.join(tmp, "registry.yaml"), meshgate_registry(backend_port))
    config = _write(os.path.join(tmp, name + ".yaml"),
                    meshgate_config(ports, registry, nofile, splice))
    check = _run_text([binary, "check-config", config])
    if not check.endswith("OK"):
        raise procs.BenchError(f"meshgate check-config failed:\n{check}")
    label = "meshgate" if splice is None else f"meshgate, passthrough.splice: {splice}"
    target = Target(name, label, ports["passthrough"],
                    version=_run_text([binary, "version"]).splitlines()[0])
    target.proc = spawner.start(name, [binary, "--config", config], cpus)
    ready = f"http://127.0.0.1:{ports['health']}/healthz/ready"
    _wait_ready(target, hello, lambda: _http_ok(ready))
    return target


# ---- HAProxy ---------------------------------------------------------------

def max_connections(nofile):
    """Relayed connections that fit in `nofile` descriptors (two each, after
    HAProxy's splice pipes and some spare), at most 100,000: HAProxy refuses
    to start if it cannot raise its descriptor limit to fit maxconn."""
    return max(1000, min(100000, (nofile - 200 - 2 * HAPROXY_MAXPIPES) // 2))


def haproxy_config(port, backend_port, splice, nofile):
    """mode tcp, routing on req_ssl_sni once a ClientHello is in; no logs."""
    return f"""global
    nbthread 1
    maxconn {max_connections(nofile)}
    maxpipes {HAPROXY_MAXPIPES}

defaults
    mode tcp
    maxconn {max_connections(nofile)}
    timeout connect 5s
    timeout client 1h
    timeout server 1h
{"    option splice-auto" if splice else "    # no splicing"}

frontend passthrough
    bind 127.0.0.1:{port}
    tcp-request inspect-delay 5s
    tcp-request content accept if {{ req_ssl_hello_type 1 }}
    use_backend httpbin if {{ req_ssl_sni -i {SNI} }}

backend httpbin
    server backend1 127.0.0.1:{backend_port}
"""


def start_haproxy(spawner, tmp, backend_port, cpus, hello, splice, nofile):
    binary = _find("haproxy")
    if not binary:
        return None
    name = "haproxy_splice" if splice else "haproxy"
    port = procs.free_ports(1)[0]
    config = _write(os.path.join(tmp, name + ".cfg"), haproxy_config(port, backend_port, splice,
                                                                  nofile))
    check = subprocess.run([binary, "-c", "-f", config], capture_output=True, text=True)
    if check.returncode != 0:
        raise procs.BenchError(f"haproxy -c failed:\n{check.stdout}{check.stderr}")
    label = "HAProxy splice-auto" if splice else "HAProxy"
    target = Target(name, label, port,
                    version=_run_text([binary, "-v"]).splitlines()[0])
    target.proc = spawner.start(name, [binary, "-db", "-f", config], cpus)
    _wait_ready(target, hello)
    return target


# ---- nginx -----------------------------------------------------------------

def nginx_config(prefix, port, backend_port, nofile):
    """The stream module with ssl_preread and a map on the server name (the
    SNI is longer than the default map bucket holds). worker_connections
    counts both sides of a relayed connection and the listener too."""
    return f"""load_module {NGINX_STREAM_MODULE};
daemon off;
master_process on;
worker_processes 1;
worker_rlimit_nofile {nofile};
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;

events {{
    worker_connections {2 * max_connections(nofile) + 64};
}}

stream {{
    map_hash_bucket_size 128;
    map $ssl_preread_server_name $backend {{
        {SNI} 127.0.0.1:{backend_port};
        default 127.0.0.1:1;
    }}
    server {{
        listen 127.0.0.1:{port};
        ssl_preread on;
        proxy_pass $backend;
    }}
}}
"""


def start_nginx(spawner, tmp, backend_port, cpus, hello, nofile):
    binary = _find("nginx")
    if not binary or not os.path.exists(NGINX_STREAM_MODULE):
        return None
    prefix = os.path.join(tmp, "nginx")
    os.makedirs(prefix, exist_ok=True)
    port = procs.free_ports(1)[0]
    config = _write(os.path.join(prefix, "nginx.conf"), nginx_config(prefix, port, backend_port, nofile))
    argv = [binary, "-p", prefix, "-e", os.path.join(prefix, "error.log"), "-c", config]
    check = subprocess.run(argv + ["-t"], capture_output=True, text=True)
    if check.returncode != 0:
        raise procs.BenchError(f"nginx -t failed:\n{check.stdout}{check.stderr}")
    target = Target("nginx", "nginx", port, version=_run_text([binary, "-v"]))
    target.proc = spawner.start("nginx", argv, cpus)
    _wait_ready(target, hello)
    return target


def direct(backend_port):
    return Target("direct", "direct", backend_port, version="no proxy")
