"""SNI passthrough benchmark: meshgate side by side with HAProxy (req_ssl_sni,
splice on and off) and nginx (stream ssl_preread + map), and the direct path
without a proxy as the ceiling; on loopback, one run, the same backend
(passthrough_backend) and the same load (passthrough_loadgen) for all.

Measured per target (tests/bench/passthrough/README.md has the details):
  1. bulk throughput, 1 and 16 streams (Gbit/s), and the proxy's CPU seconds
     per GB moved (utime+stime of its process tree from /proc/<pid>/stat);
  2. new connections per second, each a real ClientHello plus a small echo,
     at concurrency 1 and 64;
  3. request/response latency on established connections (1 and 16) and
     connect-to-first-byte (from the connection-rate runs): p50, p99, p99.9;
  4. the proxy's RSS (VmRSS summed over its processes) before and after
     10,000 established idle connections, per connection.
meshgate's column is its default config only; --meshgate-variants adds the
fixed relay modes as columns of their own, for comparison. --repeat N runs
every load test N times, the targets' order reversed every other round; each
cell is then the median with the range, and a row is met only when
meshgate's median meets the target and its worst round is not behind the
better peer's median. Every proxy runs one worker. By default the proxy is pinned to CPU 1 and the
loadgen and backend to CPU 0 (also for direct); --pin-check measures pinned
against unpinned. Results: <out>/passthrough.{md,json,png}; configs and logs
in <out>/passthrough-tmp/. --smoke runs everything for about 1 s each with
200 idle connections, and fails on any loadgen error. Exit status is non-zero
when a proxy fails to start or a run fails.
"""

import argparse
import datetime
import os
import platform
import shutil
import signal
import subprocess
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import measure  # noqa: E402
import procs  # noqa: E402
import proxies  # noqa: E402
import report  # noqa: E402

FULL = {"seconds": 5, "idle": 10000, "rate": 2000, "rss_window": 2.0, "check_seconds": 2,
        "check_repeats": 2}
SMOKE = {"seconds": 1, "idle": 200, "rate": 2000, "rss_window": 0.6, "check_seconds": 1,
         "check_repeats": 1}
# The pinning check's tests and the figure shown for each.
PIN_CHECK_TESTS = {"bulk16": ("Gbit/s", ("gbit_per_s",)),
                   "conn64": ("conn/s", ("per_second",)),
                   "lat1": ("p99 µs", ("latency_us", "p99"))}


ALL_TESTS = ("idle", *(t.key for t in measure.LOAD_TESTS))


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--build-dir", required=True, help="CMake build directory")
    p.add_argument("--out", required=True, help="results directory")
    p.add_argument("--smoke", action="store_true", help="about 1 s per run, 200 idle conns")
    p.add_argument("--seconds", type=float, help="seconds per load run")
    p.add_argument("--idle-connections", type=int, help="idle connections held")
    p.add_argument("--pin", choices=("on", "off"), default="on",
                   help="proxy on CPU 1, loadgen and backend on CPU 0 (default on)")
    p.add_argument("--pin-check", choices=("auto", "on", "off"), default="auto",
                   help="also measure pinned vs unpinned (auto: full runs only)")
    p.add_argument("--threads", type=int, default=1, help="loadgen and backend threads")
    p.add_argument("--nice", type=int, default=0,
                   help="niceness of every process started (e.g. -10 on a busy machine)")
    p.add_argument("--skip", action="append", default=[],
                   help="skip a target: haproxy, haproxy_splice or nginx")
    p.add_argument("--meshgate-variants", default="",
                   help="also run meshgate with a fixed relay mode: comma-separated subset of "
                        "splice,copy (passthrough.splice true, false)")
    p.add_argument("--repeat", type=int, default=1,
                   help="rounds of every load test, target order alternating (default 1)")
    p.add_argument("--tests", default=",".join(ALL_TESTS),
                   help="comma-separated subset of " + ",".join(ALL_TESTS) + " (default: all)")
    args = p.parse_args(argv)
    args.tests = [t for t in args.tests.split(",") if t]
    args.meshgate_variants = [v for v in args.meshgate_variants.split(",") if v]
    if set(args.meshgate_variants) - {"splice", "copy"}:
        p.error("--meshgate-variants: choose from splice,copy")
    if args.repeat < 1:
        p.error("--repeat: at least 1")
    unknown = sorted(set(args.tests) - set(ALL_TESTS))
    if unknown or not args.tests:
        p.error(f"--tests: unknown {', '.join(unknown) or '(none given)'}; "
                f"choose from {','.join(ALL_TESTS)}")
    return args


def settings(args):
    s = dict(SMOKE if args.smoke else FULL)
    if args.seconds:
        s["seconds"] = args.seconds
    if args.idle_connections:
        s["idle"] = args.idle_connections
    s["pin_check"] = args.pin_check == "on" or (args.pin_check == "auto" and not args.smoke)
    s["tests"] = args.tests
    s["repeat"] = args.repeat
    return s


def cpu_sets(pin):
    """(proxy CPUs, loadgen+backend CPUs); None for both when unpinned."""
    cpus = sorted(os.sched_getaffinity(0))
    if pin and len(cpus) >= 2:
        return {cpus[1]}, {cpus[0]}
    return None, None


def binary(build_dir, name):
    path = os.path.join(build_dir, "tests", "bench", name)
    if not os.access(path, os.X_OK):
        raise procs.BenchError(f"{path} not built (ninja {name})")
    return path


def start_backend(spawner, build_dir, threads, cpus):
    argv = [binary(build_dir, "passthrough_backend"), "--listen", "127.0.0.1:0",
            "--threads", str(threads)]
    proc = spawner.start("backend", argv, cpus, stdout=subprocess.PIPE)
    line = procs.read_line(proc, proxies.READY_S)
    if not line or not line.startswith("listening 127.0.0.1:"):
        raise procs.BenchError(f"backend did not say it listens (got {line!r})")
    return proc, int(line.rsplit(":", 1)[1])


def start_targets(spawner, build_dir, tmp, backend_port, cpus, hello, args, notes, nofile):
    """meshgate (and its variants), HAProxy without and with splicing, nginx,
    direct; a peer that is not installed is skipped with a note, one that
    fails is an error."""
    skip = args.skip
    targets = [proxies.start_meshgate(spawner, build_dir, tmp, backend_port, cpus, hello, nofile)]
    for variant in args.meshgate_variants:
        targets.append(proxies.start_meshgate(spawner, build_dir, tmp, backend_port, cpus, hello,
                                              nofile, "meshgate_" + variant))
    starters = [
        ("haproxy", lambda: proxies.start_haproxy(spawner, tmp, backend_port, cpus, hello, False,
                                                   nofile)),
        ("haproxy_splice",
         lambda: proxies.start_haproxy(spawner, tmp, backend_port, cpus, hello, True, nofile)),
        ("nginx", lambda: proxies.start_nginx(spawner, tmp, backend_port, cpus, hello, nofile)),
    ]
    for name, start in starters:
        if name in skip:
            notes.append(f"{name}: skipped (--skip)")
            continue
        target = start()
        if target is None:
            notes.append(f"{name}: not installed, skipped (bash scripts/setup.sh --bench)")
        else:
            targets.append(target)
    targets.append(proxies.direct(backend_port))
    return targets


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def summary(test_key, result):
    if result.get("mode") == "bulk":
        return (f"{result.get('gbit_per_s', 0):.2f} Gbit/s, "
                f"{result.get('proxy_cpu_s_per_gb') or 0:.3f} proxy CPU s/GB")
    if result.get("mode") == "connrate":
        return f"{result.get('per_second', 0):.0f} conn/s, p99 first byte " \
               f"{result.get('first_byte_us', {}).get('p99', 0)} µs"
    if result.get("mode") == "latency":
        return f"{result.get('per_second', 0):.0f} req/s, p99 {result['latency_us']['p99']} µs"
    return f"{result.get('established')} established, " \
           f"{(result.get('rss_per_conn_bytes') or 0) / 1024:.2f} KiB/conn"


def run_idle(measurer, targets, s, results):
    """First, while every proxy is fresh: its RSS before the idle connections
    is then its start-up footprint, not what earlier load left allocated."""
    if "idle" not in s["tests"]:
        return
    for t in targets:
        if t.proc is None:
            continue  # direct: no proxy memory to measure
        r = measurer.idle(t, s["idle"], s["rate"], s["rss_window"])
        results[t.name]["idle"] = [r]
        log(f"  {t.name:15} idle    {summary('idle', r)}  errors {r.get('errors')}")


def run_load(measurer, targets, s, results):
    """Round by round, test-major within a round, so every target of one test
    runs under the same conditions (close in time); every other round takes
    the targets in reverse, so none always runs first."""
    for rep in range(s["repeat"]):
        order = targets if rep % 2 == 0 else list(reversed(targets))
        for test in (t for t in measure.LOAD_TESTS if t.key in s["tests"]):
            for t in order:
                r = measurer.run(t, test, s["seconds"])
                results[t.name].setdefault(test.key, []).append(r)
                log(f"  #{rep + 1} {t.name:15} {test.key:7} {summary(test.key, r)}  "
                    f"errors {r.get('errors')}")


def apply_pinning(backend, targets, measurer, pin):
    proxy_cpus, load_cpus = cpu_sets(pin)
    every = set(os.sched_getaffinity(0))
    procs.set_affinity(procs.process_tree(backend.pid), load_cpus or every)
    for t in targets:
        procs.set_affinity(t.pids(), proxy_cpus or every)
    measurer.cpus = load_cpus


def pin_check(measurer, backend, targets, s, smoke):
    """PIN_CHECK_TESTS on every target, pinned and unpinned, repeated; the
    spread between repeats and the CPU use show which setup is fairer."""
    tests = [t for t in measure.LOAD_TESTS if t.key in PIN_CHECK_TESTS]
    if smoke:  # keep the smoke run short: only exercise the code path
        tests = tests[-1:]
        targets = [t for t in targets if t.name in ("meshgate", "direct")]
    out = {"pinned": {}, "unpinned": {}}
    for rep in range(s["check_repeats"]):  # alternate, so drift in load hits both alike
        for mode, per_target in out.items():
            apply_pinning(backend, targets, measurer, mode == "pinned")
            for test in tests:
                for t in targets:
                    r = measurer.run(t, test, s["check_seconds"])
                    per_target.setdefault(t.name, {}).setdefault(test.key, []).append(r)
                    log(f"  {mode:8} #{rep + 1} {t.name:15} {test.key:7} {summary(test.key, r)}")
    return out


def _dig(run, path):
    for key in path:
        run = run.get(key, {}) if isinstance(run, dict) else {}
    return run if isinstance(run, (int, float)) else 0


def _mean(values):
    return None if None in values or not values else sum(values) / len(values)


def pin_check_table(check):
    """Markdown: per mode, target and test, the runs' values, their spread
    and the CPU share of the proxy and of the loadgen+backend."""
    lines = ["| pinning | target | test | runs | spread | proxy CPU | loadgen+backend CPU |",
             "|---|---|---|---|---|---|---|"]
    for mode, per_target in check.items():
        for name, per_test in per_target.items():
            for key, runs in per_test.items():
                unit, path = PIN_CHECK_TESTS[key]
                vals = [_dig(r, path) for r in runs]
                mean = sum(vals) / len(vals)
                spread = (max(vals) - min(vals)) / mean if mean else 0
                proxy = _mean([r["proxy_cpu_util"] for r in runs])
                load = _mean([r["backend_cpu_util"] + r["loadgen_cpu_util"] for r in runs])
                lines.append(f"| {mode} | {name} | {key}, {unit} "
                             f"| {', '.join(report.fmt(v) for v in vals)}"
                             f" | {spread:.1%} | {report.fmt(proxy)} | {report.fmt(load)} |")
    return "\n".join(lines)


def _loadavg():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def header(targets, s, args, notes):
    cpu = "unknown"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    proxy_cpus, load_cpus = cpu_sets(args.pin == "on")
    pin = (f"proxy on CPU {sorted(proxy_cpus)}, loadgen+backend on CPU {sorted(load_cpus)}"
           if proxy_cpus else "none")
    lines = [
        f"# SNI passthrough benchmark — {datetime.datetime.now().astimezone():%Y-%m-%d %H:%M %Z}",
        "",
        f"- machine: {os.cpu_count()} CPUs (nproc {len(os.sched_getaffinity(0))}), {cpu}, "
        f"kernel {platform.release()}; load average at the end {_loadavg()} "
        "(other work on the machine competes with the benchmark)",
        *[f"- {t.label}: {t.version}" for t in targets
          if t.proc is not None and t.name not in ("haproxy_splice", "meshgate_splice",
                                                   "meshgate_copy")],
        f"- one worker each; pinning: {pin}; loadgen and backend threads: {args.threads}; "
        f"niceness {args.nice}",
        f"- {s['seconds']:g} s per load run; {s['idle']} idle connections opened at "
        f"{s['rate']}/s; bulk direction up (client→backend), 64 KiB writes; "
        "echo messages 64 bytes",
        "- HAProxy: best of splice-auto on and off per metric, `(s)` = with splice-auto",
        "- meshgate: its default config only (`passthrough.splice: auto`)"
        + ("; the variants' columns fix the relay mode" if args.meshgate_variants else ""),
        (f"- {s['repeat']} rounds of every load test, the targets' order reversed every other "
         "round; a cell is the median (min–max); met: meshgate's median meets the target and "
         "its worst round is not behind the better peer's median") if s["repeat"] > 1
        else "- one round of every load test",
        *[f"- note: {n}" for n in notes],
    ]
    return "\n".join(lines)


def check_smoke(results, s):
    """Smoke mode fails on any loadgen error or a missing idle connection."""
    bad = []
    for name, per_test in results.items():
        for key, r in ((k, r) for k, runs in per_test.items() for r in runs):
            if r.get("errors", 0) > 0:
                bad.append(f"{name} {key}: {r['errors']} errors")
            if key == "idle" and r.get("established") != s["idle"]:
                bad.append(f"{name} idle: {r.get('established')} of {s['idle']} established")
    return bad


def write_outputs(out, tmp, doc, md):
    with open(os.path.join(out, "passthrough.md"), "w") as f:
        f.write(md + "\n")
    note = report.write_png(os.path.abspath(os.path.join(out, "passthrough.png")), doc["table"],
                            tmp)
    if note:
        doc["notes"].append(note)
        log(f"note: {note}")
    report.write_json(os.path.join(out, "passthrough.json"), doc)


def start_all(args, spawner, tmp, s, notes):
    """The backend, then every target; the loadgen runner to drive them."""
    nofile = procs.raise_nofile_limit()
    fit = proxies.max_connections(nofile)
    if s["idle"] > fit:  # a proxy holds two descriptors per relayed connection
        notes.append(f"RLIMIT_NOFILE is {nofile} (hard limit): {fit} idle connections "
                     f"instead of {s['idle']}")
        s["idle"] = fit
    proxy_cpus, load_cpus = cpu_sets(args.pin == "on")
    backend, backend_port = start_backend(spawner, args.build_dir, args.threads, load_cpus)
    hello = procs.make_hello(proxies.SNI, proxies.ALPN)
    targets = start_targets(spawner, args.build_dir, tmp, backend_port, proxy_cpus, hello,
                            args, notes, nofile)
    for n in notes:
        log(f"note: {n}")
    measurer = measure.Measurer(spawner, binary(args.build_dir, "passthrough_loadgen"),
                                args.threads, backend)
    return backend, targets, measurer


def measure_all(args, s, backend, targets, measurer):
    """Idle memory first (fresh proxies), the pinning check, then the load."""
    results = {t.name: {} for t in targets}
    apply_pinning(backend, targets, measurer, args.pin == "on")
    log("idle connections:")
    run_idle(measurer, targets, s, results)
    check = None
    if s["pin_check"]:
        log("pinning check (pinned vs unpinned):")
        check = pin_check(measurer, backend, targets, s, args.smoke)
        apply_pinning(backend, targets, measurer, args.pin == "on")
    log("load:")
    run_load(measurer, targets, s, results)
    return results, check


def bench(args, spawner, out, tmp):
    """The whole run; returns the smoke-mode failures (empty in full mode)."""
    s = settings(args)
    notes = []
    backend, targets, measurer = start_all(args, spawner, tmp, s, notes)
    results, check = measure_all(args, s, backend, targets, measurer)
    variants = ["meshgate_" + v for v in args.meshgate_variants]
    rows = report.build_rows(results, variants)
    md = header(targets, s, args, notes) + "\n\n" + report.markdown_table(rows, variants)
    if check:
        md += "\n\n## Pinning check\n\n" + pin_check_table(check)
    doc = {"date": datetime.datetime.now().astimezone().isoformat(), "settings": s,
           "pin": args.pin, "versions": {t.name: t.version for t in targets},
           "notes": notes, "table": rows, "results": results, "pin_check": check}
    write_outputs(out, tmp, doc, md)
    print(md, flush=True)
    return check_smoke(results, s) if args.smoke else []


def _terminate(signum, frame):
    raise KeyboardInterrupt(f"signal {signum}")


def main(argv):
    args = parse_args(argv)
    out = os.path.abspath(args.out)
    tmp = os.path.join(out, "passthrough-tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    os.makedirs(tmp)
    signal.signal(signal.SIGTERM, _terminate)
    spawner = procs.Spawner(tmp, args.nice)
    started = time.monotonic()
    try:
        failures = bench(args, spawner, out, tmp)
    except procs.BenchError as e:
        log(f"FAIL: {e} (logs in {tmp})")
        return 1
    except KeyboardInterrupt:
        log("interrupted")
        return 130
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not skip cleanup
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        spawner.stop_all()
    for f in failures:
        log(f"FAIL: {f}")
    log(f"wall time {time.monotonic() - started:.1f} s")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
