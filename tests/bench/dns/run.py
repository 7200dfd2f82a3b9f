#!/usr/bin/env python3
"""DNS for `.global` names: meshgate side by side with Unbound (local-data),
Knot (zone file) and dnsdist (answers from Lua), all serving the names
`meshgate dns-hosts` prints for one generated registry. dnsperf loads each
server in turn; the figure of merit is queries per second of the server's own
CPU time (dnsperf on one core saturates before a fast server does).

  python3 tests/bench/dns/run.py --build-dir build-release --out bench-results
  python3 tests/bench/dns/run.py --smoke --build-dir build --out /tmp/x

See README.md beside this file."""

import argparse
import datetime
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import dnswire  # noqa: E402
import load  # noqa: E402
import report  # noqa: E402
import servers  # noqa: E402

PEERS = ("knot", "unbound", "dnsdist")


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--smoke", action="store_true", help="50 names, 1 s runs, no equal-load phase")
    p.add_argument("--build-dir", default="build-release")
    p.add_argument("--meshgate", help="the meshgate binary (default: BUILD/meshgate)")
    p.add_argument("--out", default="bench-results")
    p.add_argument("--services", type=int, help="services in the registry (default 1000; smoke 50)")
    p.add_argument("--seconds", type=float, help="seconds per dnsperf run (default 10; smoke 1)")
    p.add_argument("--clients", type=int, default=8, help="dnsperf -c (sockets)")
    p.add_argument("--outstanding", type=int, default=200, help="dnsperf -q")
    p.add_argument("--servers", default="meshgate," + ",".join(PEERS),
                   help="comma-separated subset of meshgate,knot,unbound,dnsdist, and "
                        "meshgate-wildcard (DNS on 0.0.0.0 as deployed; only in a network "
                        "namespace of its own)")
    p.add_argument("--dnsdist-mode", choices=("ffi", "lua", "rules"), default="ffi")
    p.add_argument("--equal-load", choices=("auto", "on", "off"), default="auto",
                   help="second phase at one rate for all (auto: on unless --smoke)")
    p.add_argument("--equal-fraction", type=float, default=0.8,
                   help="equal-load rate as a fraction of the slowest server's QPS")
    p.add_argument("--repeat", type=int, default=1,
                   help="rounds over every server; the table shows each server's median run")
    p.add_argument("--nice", type=int, default=0,
                   help="niceness of servers and dnsperf (e.g. -10 on a machine shared with builds)")
    p.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = p.parse_args(argv)
    args.services = args.services or (50 if args.smoke else 1000)
    args.seconds = args.seconds or (1 if args.smoke else 10)
    args.start_timeout = 15.0
    return args


def pick_cpus():
    """(client, server). The server gets the first CPU: Knot pins its first
    UDP worker there itself, whatever affinity it was started with, so any
    other choice would put Knot on dnsperf's CPU and the others not."""
    cpus = sorted(os.sched_getaffinity(0))
    if len(cpus) == 1:
        return cpus[0], cpus[0]
    return cpus[1], cpus[0]


def free_port():
    """A port free for both UDP and TCP on 127.0.0.1 (racy, but only we run here)."""
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:
            u.bind(("127.0.0.1", 0))
            port = u.getsockname()[1]
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as t:
                try:
                    t.bind(("127.0.0.1", port))
                except OSError:
                    continue
            return port
    raise RuntimeError("no free port")


def write_registry(path, count):
    lines = ["services:"]
    for i in range(count):
        lines += [
            f"  - name: svc-{i:05d}",
            f"    namespace: ns-{i % 20:02d}",
            "    ports:",
            "      - {name: tls, port: 8443, target_port: 9443}",
            "    endpoints:",
            f"      - address: 127.0.{1 + i // 250}.{1 + i % 250}",
        ]
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


def dns_hosts(binary, config):
    done = subprocess.run([binary, "dns-hosts", "--config", config], capture_output=True,
                          text=True, timeout=60)
    if done.returncode != 0:
        raise RuntimeError(f"meshgate dns-hosts failed: {done.stderr.strip()}")
    records = []
    for line in done.stdout.splitlines():
        if line.startswith("#") or not line.strip():
            continue
        addr, name = line.split()[:2]
        records.append((name.rstrip(".").lower(), "AAAA" if ":" in addr else "A", addr))
    return servers.Zone(records)


def write_queries(path, zone):
    """Every name with A, and every fourth also with AAAA, in a fixed shuffle."""
    questions = []
    names = sorted({n for (n, t) in zone.answers if t == "A"})
    for i, name in enumerate(names):
        questions.append((name, "A"))
        if i % 4 == 0 and (name, "AAAA") in zone.answers:
            questions.append((name, "AAAA"))
    random.Random(7).shuffle(questions)
    with open(path, "w") as f:
        f.writelines(f"{n} {t}\n" for n, t in questions)
    return questions


class Running:
    """A started server: always stopped by stop(), even half-started."""

    def __init__(self, server, tmp, port, zone, cpu, niceness):
        self.server, self.port = server, port
        os.makedirs(tmp, exist_ok=True)
        self.log_path = os.path.join(tmp, "server.log")
        argv = server.argv(tmp, port, zone)
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen(argv, stdout=self.log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, cwd=tmp,
                                     preexec_fn=load.pin(cpu, niceness))

    def alive(self):
        return self.proc.poll() is None

    def log_tail(self):
        self.log.flush()
        with open(self.log_path) as f:
            return "".join(f.readlines()[-15:])

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self.log.close()


def verify(running, zone, questions):
    """Every (name, type) the load asks must get exactly the addresses
    dns-hosts printed. Returns a list of differences (empty: all equal)."""
    diffs, ttls, aa = [], set(), set()
    for name, qtype in sorted(set(questions)):
        got = dnswire.query(running.port, name, dnswire.TYPE_CODES[qtype], timeout=1.0)
        want = sorted(zone.answers[(name, qtype)])
        if got is None:
            diffs.append(f"{name} {qtype}: no answer")
            continue
        rcode, flags, answers, _size = got
        ttls.update(a[2] for a in answers)
        aa.add(bool(flags & 0x0400))
        have = sorted(a[3] for a in answers if a[1] == dnswire.TYPE_CODES[qtype])
        if rcode != 0 or have != want:
            diffs.append(f"{name} {qtype}: rcode {rcode} {have}, expected {want}")
        if len(diffs) >= 5:
            break
    return diffs, sorted(ttls), sorted(aa)


def dig_answers(port, names):
    if not shutil.which("dig"):
        return None
    out = []
    for name, qtype in names:
        done = subprocess.run(["dig", "@127.0.0.1", "-p", str(port), name, qtype, "+short",
                               "+tries=1", "+time=2"], capture_output=True, text=True, timeout=10)
        out.append(f"{name} {qtype}: " + " ".join(sorted(done.stdout.split())))
    return out


def measure(args, running, phase, rate, datafile, questions, cpus, tmp):
    pid = running.proc.pid
    threads0 = load.thread_cpu_ticks(pid)
    ticks0 = load.process_cpu_ticks(pid)
    wall0 = time.monotonic()
    if shutil.which("dnsperf"):
        stats = load.run_dnsperf(args, running.port, datafile, args.seconds, rate, cpus[0],
                                 os.path.join(tmp, f"dnsperf-{phase}.log"))
    else:
        stats = load.run_python_loop(running.port, questions, args.seconds)
    wall = time.monotonic() - wall0
    cpu_s = (load.process_cpu_ticks(pid) - ticks0) / load.CLK_TCK
    threads1 = load.thread_cpu_ticks(pid)
    deltas = {t: threads1[t] - threads0.get(t, 0) for t in threads1}
    busy = sum(deltas.values()) or 1
    top = sorted(((t, d / busy) for t, d in deltas.items() if d > 0), key=lambda x: -x[1])
    completed = stats.get("completed", 0)
    busiest_cpus = load.thread_affinity(top[0][0].rsplit("/", 1)[1]) if top else []
    stats.update({
        "server": running.server.name, "version": running.server.version(), "phase": phase,
        "target_qps": rate, "cpu_s": cpu_s, "wall_s": round(wall, 3),
        "cpu_util": cpu_s / wall if wall else 0.0,
        "queries_per_cpu_s": round(completed / cpu_s) if cpu_s > 0 else None,
        "cpu_us_per_query": round(cpu_s * 1e6 / completed, 3) if completed else None,
        "threads": [(t, round(s, 3)) for t, s in top], "thread_count": len(threads1),
        "busiest_thread_cpus": busiest_cpus,
    })
    return stats


def run_server(args, server, phase, rate, ctx):
    """Starts one server, checks its answers (first phase), loads it, stops it.
    Returns the run's stats; raises RuntimeError on a failed start or a
    wrong answer."""
    tmp = os.path.join(ctx["tmp"], f"{server.name}-{phase}")
    port = free_port()
    if isinstance(server, servers.Meshgate):
        with open(ctx["meshgate_config"], "w") as f:
            f.write(servers.meshgate_config(port, ctx["registry"], server.dns_address))
    running = Running(server, tmp, port, ctx["zone"], ctx["cpus"][1], args.nice)
    try:
        first = ctx["questions"][0]
        deadline = time.monotonic() + args.start_timeout
        if not dnswire.wait_answer(port, first[0], dnswire.TYPE_CODES[first[1]], deadline,
                                   running.alive):
            raise RuntimeError(f"{server.name} did not answer within {args.start_timeout:.0f} s "
                               f"(exit {running.proc.poll()}); log:\n{running.log_tail()}")
        if phase == "max":
            diffs, ttls, aa = verify(running, ctx["zone"], ctx["questions"])
            ctx["answer_style"][server.name] = {"ttl": ttls, "aa": aa}
            if diffs:
                raise RuntimeError(f"{server.name} answers differ:\n  " + "\n  ".join(diffs))
            ctx["dig"][server.name] = dig_answers(port, ctx["dig_names"])
        stats = measure(args, running, phase, rate, ctx["datafile"], ctx["questions"],
                        ctx["cpus"], tmp)
        if not running.alive():
            raise RuntimeError(f"{server.name} exited during the run; log:\n{running.log_tail()}")
        return stats
    finally:
        running.stop()


def meshgate_binary(args):
    binary = os.path.abspath(args.meshgate or os.path.join(args.build_dir, "meshgate"))
    if not os.access(binary, os.X_OK):
        raise SystemExit(f"meshgate binary not found: {binary} (build it first)")
    return binary


def make_servers(args, meshgate_config, skipped):
    binary = meshgate_binary(args)
    wanted = [s.strip() for s in args.servers.split(",") if s.strip()]
    made = {
        "meshgate": lambda: servers.Meshgate(binary, meshgate_config),
        # The deploy default: the wildcard, where replies pay for IP_PKTINFO.
        "meshgate-wildcard": lambda: servers.Meshgate(binary, meshgate_config, "0.0.0.0",
                                                      "meshgate-wildcard"),
        "knot": servers.Knot,
        "unbound": servers.Unbound,
        "dnsdist": lambda: servers.Dnsdist(args.dnsdist_mode),
    }
    out = []
    for name in wanted:
        if name not in made:
            raise SystemExit(f"unknown server {name!r}")
        server = made[name]()
        why = server.missing()
        if why:
            print(f"note: skipping {name}: {why}")
            skipped.append(f"{name}: {why}")
            continue
        out.append(server)
    return out


def check_dig(dig):
    """dig +short from every server must print the same lines."""
    outputs = {k: v for k, v in dig.items() if v is not None}
    if len({tuple(v) for v in outputs.values()}) > 1:
        lines = [f"{k}: {v}" for k, v in outputs.items()]
        raise RuntimeError("dig answers differ between servers:\n  " + "\n  ".join(lines))


def run_round(args, ctx, server_list, phase, rate, rep):
    runs = []
    for server in server_list:
        stats = run_server(args, server, phase, rate, ctx)
        stats["round"] = rep
        runs.append(stats)
        print(f"  round {rep} {server.name:9s} {phase:5s}: {stats.get('qps', 0):>10,.0f} QPS, "
              f"{stats['queries_per_cpu_s'] or 0:>10,} queries per CPU-second, "
              f"{stats['cpu_util']:.0%} CPU", flush=True)
    return runs


def run_all(args, ctx, server_list):
    """Rounds interleave the servers, so a change in the machine's other load
    falls on all of them alike."""
    runs = []
    for rep in range(1, args.repeat + 1):
        runs += run_round(args, ctx, server_list, "max", None, rep)
    check_dig(ctx["dig"])
    equal = args.equal_load == "on" or (args.equal_load == "auto" and not args.smoke)
    if equal and shutil.which("dnsperf"):
        slowest = min(report.median_runs(runs)["max"].values(), key=lambda r: r["qps"])
        rate = int(slowest["qps"] * args.equal_fraction)
        ctx["equal_rate"] = rate
        for rep in range(1, args.repeat + 1):
            runs += run_round(args, ctx, server_list, "equal", rate, rep)
    return runs


def main(argv):
    args = parse_args(argv)
    started = time.monotonic()
    loadavg = " ".join(open("/proc/loadavg").read().split()[:3])
    os.makedirs(args.out, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix="meshgate-dnsbench-")
    skipped = []
    try:
        ctx = {"tmp": tmp, "registry": os.path.join(tmp, "registry.yaml"),
               "meshgate_config": os.path.join(tmp, "meshgate.yaml"), "dig": {},
               "answer_style": {}}
        ctx["cpus"] = pick_cpus()
        write_registry(ctx["registry"], args.services)
        with open(ctx["meshgate_config"], "w") as f:
            f.write(servers.meshgate_config(free_port(), ctx["registry"]))
        server_list = make_servers(args, ctx["meshgate_config"], skipped)
        if not shutil.which("dnsperf"):
            print("note: dnsperf not installed: a Python loop stands in (its numbers are not a benchmark)")
            skipped.append("dnsperf not installed: load from a Python loop")
        ctx["zone"] = dns_hosts(meshgate_binary(args), ctx["meshgate_config"])
        ctx["datafile"] = os.path.join(tmp, "queries.txt")
        ctx["questions"] = write_queries(ctx["datafile"], ctx["zone"])
        ctx["dig_names"] = ctx["questions"][:2] + [q for q in ctx["questions"] if q[1] == "AAAA"][:1]
        print(f"{len(ctx['zone'].records)} records for {args.services} services, "
              f"{len(ctx['questions'])} questions; server CPU {ctx['cpus'][1]}, "
              f"dnsperf CPU {ctx['cpus'][0]}", flush=True)
        runs = run_all(args, ctx, server_list)
        meta = {
            "date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
            "machine": report.machine_description(),
            "versions": {s.name: s.version() for s in server_list},
            "notes": {s.name: s.notes for s in server_list},
            "skipped": skipped, "services": args.services,
            "records": len(ctx["zone"].records), "questions": len(ctx["questions"]),
            "seconds": args.seconds, "clients": args.clients, "outstanding": args.outstanding,
            "server_cpu": ctx["cpus"][1], "client_cpu": ctx["cpus"][0], "nice": args.nice,
            "loadavg": loadavg,
            "equal_rate": ctx.get("equal_rate"), "dig": ctx["dig"], "smoke": args.smoke,
            "answer_style": ctx["answer_style"], "repeat": args.repeat,
        }
        if shutil.which("dnsperf"):
            done = subprocess.run(["dnsperf", "-h"], capture_output=True, text=True, timeout=10)
            meta["versions"]["dnsperf"] = "dnsperf " + next(
                (l.split()[-1] for l in (done.stdout + done.stderr).splitlines()
                 if l.startswith("Version")), "?")
        summary = report.summarize(runs)
        text = report.markdown(meta, runs, summary)
        meta["wall_s"] = round(time.monotonic() - started, 1)
        report.write_json(os.path.join(args.out, "dns.json"), meta, runs, summary)
        with open(os.path.join(args.out, "dns.md"), "w") as f:
            f.write(text)
        png = report.plot(args.out, runs)
        print()
        print(text)
        print(f"results: {os.path.join(args.out, 'dns.json')}, dns.md{', dns.png' if png else ''}; "
              f"wall time {meta['wall_s']} s")
        return 0
    except RuntimeError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    finally:
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
