#!/usr/bin/env python3
"""Soak: meshgate under mixed load for a long while (default 10 minutes)
while its registry file changes every second.

Load, all at once:
  - good connections: passthrough_loadgen --mode connrate, in 10 s rounds, to
    the one routed service (TLS ClientHello, then a message echoed back);
  - bad SNI: a ClientHello naming a service nobody registered, which the
    gateway must close without dialing anything;
  - DNS: A queries for the service's .global name, each checked for an answer.
The registry file is rewritten every second: churn services come and go and
the routed service's endpoint labels flip, so every second the workers take
up a new route table under load.

Reports per minute and in total: RSS (sampled every second), good
connections made and lost, bad SNI closed as expected, DNS answered and
failed, registry versions the gateway published. Writes soak.md, soak.csv
and soak.png (gnuplot) to --out and exits non-zero when anything was lost,
failed, or RSS grew (last minute's mean more than --rss-growth over the
second minute's mean, after warm-up).
"""

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "bench", "passthrough"))
sys.path.insert(0, os.path.join(HERE, "..", "bench", "dns"))
import dnswire  # noqa: E402
import procs  # noqa: E402
import proxies  # noqa: E402

GOOD_SNI = proxies.SNI  # outbound_.8000_._.httpbin.bar.svc.cluster.local
BAD_SNI = "outbound_.8000_._.nothere.bar.svc.cluster.local"
DNS_NAME = "httpbin.bar.global"
ROUND_S = 10


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--build-dir", default="build-release")
    p.add_argument("--out", default="soak-results")
    p.add_argument("--seconds", type=int, default=600)
    p.add_argument("--concurrency", type=int, default=2, help="good connections at once")
    p.add_argument("--bad-per-second", type=int, default=50)
    p.add_argument("--dns-per-second", type=int, default=200)
    p.add_argument("--rss-growth", type=float, default=0.10)
    args = p.parse_args(argv)
    if args.seconds < 30:
        p.error("--seconds: at least 30")
    return args


def registry(backend_port, tick):
    """httpbin.bar (the routed service; its labels flip every tick) and up to
    four churn services, a different set every tick."""
    lines = ["services:",
             "  - name: httpbin", "    namespace: bar",
             f"    ports: [{{name: tls, port: 8000, target_port: {backend_port}}}]",
             "    endpoints:", "      - address: 127.0.0.1",
             f"        ports: {{tls: {backend_port}}}", "        labels:",
             "          security.istio.io/tlsMode: istio",
             "          topology.istio.io/network: network1",
             f"          version: v{tick % 2}"]
    for i in range(tick % 5):
        lines += [f"  - name: churn{i}", "    namespace: soak",
                  f"    ports: [{{name: tls, port: {9000 + tick % 7}}}]",
                  "    endpoints:", f"      - address: 127.0.0.{10 + i}",
                  "        labels: {topology.istio.io/network: network1}"]
    return "\n".join(lines) + "\n"


def write_atomic(path, text):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, path)


def config(ports, registry_path):
    lines = ["network: network1", "workers: 2", "listeners:"]
    for name in proxies.MESHGATE_LISTENERS:
        lines.append(f"  {name}: {{address: 127.0.0.1, port: {ports[name]}}}")
    lines += ["discovery:", "  files:", f"    - path: {registry_path}",
              "      poll_interval: 200ms",
              "access_log: {enabled: false}",
              "passthrough: {allow_loopback_endpoints: true}",  # the backend is on 127.0.0.1
              "timeouts: {drain_delay: 0s, drain: 1s}"]
    return "\n".join(lines) + "\n"


class Counts:
    """Counters the load threads add to; read under the lock."""

    def __init__(self):
        self.lock = threading.Lock()
        self.values = {}

    def add(self, key, n=1):
        with self.lock:
            self.values[key] = self.values.get(key, 0) + n

    def snapshot(self):
        with self.lock:
            return dict(self.values)


def good_load(loadgen, port, concurrency, stop_at, counts, log):
    """connrate rounds until stop_at; every round's errors are lost connections."""
    while time.monotonic() + 1 < stop_at:
        seconds = max(1, min(ROUND_S, int(stop_at - time.monotonic())))
        out = subprocess.run([loadgen, "--target", f"127.0.0.1:{port}", "--sni", GOOD_SNI,
                              "--alpn", proxies.ALPN, "--mode", "connrate", "--concurrency",
                              str(concurrency), "--seconds", str(seconds)],
                             capture_output=True, text=True, timeout=seconds + 30)
        try:
            result = json.loads(out.stdout.strip().splitlines()[-1])
        except (ValueError, IndexError):
            counts.add("good_rounds_failed")
            log(f"loadgen round failed: {out.stderr.strip()[:300]}")
            continue
        counts.add("good_ok", result["connections"])
        counts.add("good_lost", result["errors"])


def bad_once(port, hello):
    """True when the gateway closes a bad-SNI connection without a byte."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2) as s:
            s.sendall(hello)
            return s.recv(1) == b""
    except ConnectionResetError:
        return True
    except OSError:
        return False


def paced(per_second, stop_at, step):
    """Calls step() per_second times a second until stop_at."""
    interval = 1.0 / per_second
    next_at = time.monotonic()
    while time.monotonic() < stop_at:
        step()
        next_at += interval
        delay = next_at - time.monotonic()
        if delay > 0:
            time.sleep(delay)


def bad_load(port, per_second, stop_at, counts):
    hello = procs.make_hello(BAD_SNI, proxies.ALPN)
    paced(per_second, stop_at,
          lambda: counts.add("bad_closed" if bad_once(port, hello) else "bad_unexpected"))


def dns_load(port, per_second, stop_at, counts):
    def step():
        got = dnswire.query(port, DNS_NAME, dnswire.TYPE_A, timeout=1.0)
        ok = got is not None and got[0] == 0 and any(a[1] == dnswire.TYPE_A for a in got[2])
        counts.add("dns_ok" if ok else "dns_failed")
    paced(per_second, stop_at, step)


def churn(registry_path, backend_port, stop_at, counts):
    tick = 1
    while time.monotonic() < stop_at:
        write_atomic(registry_path, registry(backend_port, tick))
        counts.add("registry_writes")
        tick += 1
        time.sleep(max(0.0, min(1.0, stop_at - time.monotonic())))


def scrape(port):
    """{series: value} of meshgate's Prometheus page (no comments)."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/stats/prometheus", timeout=2) as r:
            text = r.read().decode()
    except OSError:
        return {}
    values = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            series, _, value = line.rpartition(" ")
            try:
                values[series] = float(value)
            except ValueError:
                pass
    return values


class Sampler:
    """Every second: meshgate's RSS; every minute: a row of the counts so far."""

    def __init__(self, pid, metrics_port, counts):
        self.pid, self.metrics_port, self.counts = pid, metrics_port, counts
        self.rss = []  # (seconds since start, bytes)
        self.rows = []  # per minute: dict of cumulative counts and the minute's RSS

    def run(self, start, stop_at, proc):
        next_minute = start + 60
        while time.monotonic() < stop_at and proc.poll() is None:
            now = time.monotonic()
            self.rss.append((now - start, procs.rss_bytes([self.pid])))
            if now >= next_minute or now + 1 >= stop_at:
                self.row(len(self.rows) + 1)
                next_minute += 60
            time.sleep(1.0)

    def row(self, minute):
        lo = (minute - 1) * 60
        window = [b for t, b in self.rss if lo <= t < lo + 60] or [0]
        row = dict(self.counts.snapshot())
        metrics = scrape(self.metrics_port)
        row["publishes"] = metrics.get("meshgate_registry_publishes_total", -1)
        row["rss_mean"] = sum(window) / len(window)
        row["rss_max"] = max(window)
        row["minute"] = minute
        self.rows.append(row)


def delta(rows, i, key):
    prev = rows[i - 1].get(key, 0) if i else 0
    return int(rows[i].get(key, 0) - prev)


def table(rows):
    head = ("| minute | RSS mean MiB | RSS max MiB | good conns | lost | bad SNI closed | "
            "bad SNI other | DNS ok | DNS failed | registry writes | snapshots published |")
    out = [head, "|" + "---:|" * 11]
    for i, r in enumerate(rows):
        out.append(f"| {r['minute']} | {r['rss_mean'] / 2**20:.1f} | {r['rss_max'] / 2**20:.1f} | "
                   f"{delta(rows, i, 'good_ok')} | {delta(rows, i, 'good_lost')} | "
                   f"{delta(rows, i, 'bad_closed')} | {delta(rows, i, 'bad_unexpected')} | "
                   f"{delta(rows, i, 'dns_ok')} | {delta(rows, i, 'dns_failed')} | "
                   f"{delta(rows, i, 'registry_writes')} | {delta(rows, i, 'publishes')} |")
    return "\n".join(out)


def verdicts(rows, args):
    """[(check, passed, detail)] over the whole run."""
    last = rows[-1]
    growth = 0.0
    if len(rows) >= 3:  # the first minute is warm-up
        growth = last["rss_mean"] / rows[1]["rss_mean"] - 1
    lost = int(last.get("good_lost", 0)) + int(last.get("good_rounds_failed", 0))
    return [
        ("RSS flat", len(rows) < 3 or growth <= args.rss_growth,
         f"last minute's mean {growth:+.1%} against minute 2 (limit +{args.rss_growth:.0%})"
         if len(rows) >= 3 else "not judged: needs at least 3 minutes"),
        ("no connection lost", lost == 0 and last.get("good_ok", 0) > 0,
         f"{int(last.get('good_ok', 0))} made, {lost} lost"),
        ("bad SNI always closed", last.get("bad_unexpected", 0) == 0 and last.get("bad_closed", 0) > 0,
         f"{int(last.get('bad_closed', 0))} closed, {int(last.get('bad_unexpected', 0))} otherwise"),
        ("every DNS query answered", last.get("dns_failed", 0) == 0 and last.get("dns_ok", 0) > 0,
         f"{int(last.get('dns_ok', 0))} answered, {int(last.get('dns_failed', 0))} failed"),
        ("registry followed", last.get("publishes", 0) >= 0.9 * last.get("registry_writes", 0),
         f"{int(last.get('registry_writes', 0))} writes, {int(last.get('publishes', 0))} snapshots"),
    ]


def plot(out, rss):
    csv = os.path.join(out, "soak.csv")
    with open(csv, "w") as f:
        f.write("seconds,rss_bytes\n")
        for t, b in rss:
            f.write(f"{t:.1f},{b}\n")
    if not shutil.which("gnuplot"):
        return "gnuplot not installed: no PNG (scripts/setup.sh --bench installs it)"
    script = (f"set terminal png size 900,400; set output '{out}/soak.png'; set datafile "
              "separator ','; set xlabel 'seconds'; set ylabel 'RSS MiB'; set yrange [0:*]; "
              "set key bottom right; "
              "set title 'meshgate RSS under mixed load, registry changing every second'; "
              f"plot '{csv}' every ::1 using 1:($2/1048576) with lines title 'RSS'")
    subprocess.run(["gnuplot", "-e", script], check=True, timeout=60)
    return f"{out}/soak.png"


def report(out, rows, checks, args, png):
    lines = [f"# Soak: {args.seconds} s, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}", "",
             f"Load: {args.concurrency} good connections at a time (connrate), "
             f"{args.bad_per_second}/s bad SNI, {args.dns_per_second}/s DNS queries; "
             "the registry file rewritten every second.", "", table(rows), "",
             "| check | result | detail |", "|---|---|---|"]
    lines += [f"| {name} | {'pass' if ok else '**FAIL**'} | {detail} |" for name, ok, detail in checks]
    lines += ["", f"RSS plot: {png}"]
    text = "\n".join(lines) + "\n"
    with open(os.path.join(out, "soak.md"), "w") as f:
        f.write(text)
    return text


def start(spawner, args, tmp):
    backend, backend_port = start_backend(spawner, args.build_dir)
    ports = dict(zip(proxies.MESHGATE_LISTENERS, procs.free_ports(len(proxies.MESHGATE_LISTENERS))))
    registry_path = os.path.join(tmp, "registry.yaml")
    write_atomic(registry_path, registry(backend_port, 0))
    config_path = os.path.join(tmp, "meshgate.yaml")
    write_atomic(config_path, config(ports, registry_path))
    gateway = spawner.start("meshgate", [proxies.meshgate_binary(args.build_dir), "--config",
                                         config_path])
    ready = f"http://127.0.0.1:{ports['health']}/healthz/ready"
    procs.wait_until("meshgate ready", lambda: proxies._http_ok(ready), 15, gateway)
    return backend, backend_port, gateway, ports, registry_path


def start_backend(spawner, build_dir):
    argv = [os.path.join(build_dir, "tests", "bench", "passthrough_backend"), "--listen",
            "127.0.0.1:0", "--threads", "1"]
    proc = spawner.start("backend", argv, stdout=subprocess.PIPE)
    line = procs.read_line(proc, 15)
    if not line or not line.startswith("listening 127.0.0.1:"):
        raise procs.BenchError(f"backend did not say it listens (got {line!r})")
    return proc, int(line.rsplit(":", 1)[1])


def soak(args, tmp):
    spawner = procs.Spawner(args.out)
    try:
        _, backend_port, gateway, ports, registry_path = start(spawner, args, tmp)
        counts = Counts()
        begin = time.monotonic()
        stop_at = begin + args.seconds
        loadgen = os.path.join(args.build_dir, "tests", "bench", "passthrough_loadgen")
        log = lambda msg: print(msg, file=sys.stderr, flush=True)  # noqa: E731
        threads = [
            threading.Thread(target=good_load, args=(loadgen, ports["passthrough"],
                                                     args.concurrency, stop_at, counts, log)),
            threading.Thread(target=bad_load, args=(ports["passthrough"], args.bad_per_second,
                                                    stop_at, counts)),
            threading.Thread(target=dns_load, args=(ports["dns"], args.dns_per_second, stop_at,
                                                    counts)),
            threading.Thread(target=churn, args=(registry_path, backend_port, stop_at, counts)),
        ]
        for t in threads:
            t.daemon = True
            t.start()
        sampler = Sampler(gateway.pid, ports["metrics"], counts)
        sampler.run(begin, stop_at, gateway)
        for t in threads:
            t.join(timeout=ROUND_S + 40)
        if gateway.poll() is not None:
            raise procs.BenchError(f"meshgate exited with {gateway.returncode} during the soak")
        if not sampler.rows:
            sampler.row(1)
        sampler.rows[-1].update(counts.snapshot())
        sampler.rows[-1]["publishes"] = scrape(ports["metrics"]).get(
            "meshgate_registry_publishes_total", -1)
        return sampler
    finally:
        spawner.stop_all()


def main(argv):
    args = parse_args(argv)
    os.makedirs(args.out, exist_ok=True)
    procs.raise_nofile_limit()
    with tempfile.TemporaryDirectory(prefix="meshgate-soak-") as tmp:
        try:
            sampler = soak(args, tmp)
        except procs.BenchError as e:
            print(f"soak: {e}", file=sys.stderr)
            return 1
    checks = verdicts(sampler.rows, args)
    png = plot(args.out, sampler.rss)
    print(report(args.out, sampler.rows, checks, args, png))
    return 0 if all(ok for _, ok, _ in checks) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
