"""Load and CPU accounting: dnsperf (or, where it is missing, a slow Python
loop that only keeps the smoke run's path exercised), and the server's CPU
time read from /proc before and after."""

import os
import re
import subprocess
import time

import dnswire

CLK_TCK = os.sysconf("SC_CLK_TCK")


def pin(cpu, niceness):
    """A preexec_fn: the child runs on `cpu` only, at `niceness`."""
    def apply():
        os.sched_setaffinity(0, {cpu})
        if niceness:
            os.nice(niceness)
    return apply


def _stat_fields(path):
    """Fields after the command name of a /proc stat file, or None."""
    try:
        with open(path) as f:
            text = f.read()
    except OSError:
        return None
    return text[text.rfind(")") + 2 :].split()


def _children(pid):
    """Direct and indirect children of pid (a server that forks workers)."""
    kids = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            fields = _stat_fields(f"/proc/{entry}/stat")
            if fields:
                kids.setdefault(int(fields[1]), []).append(int(entry))
    out, todo = [], [pid]
    while todo:
        for kid in kids.get(todo.pop(), []):
            out.append(kid)
            todo.append(kid)
    return out


def process_cpu_ticks(pid):
    """utime+stime of pid (all its threads, live and exited) and of its
    descendants, in clock ticks."""
    total = 0
    for p in [pid] + _children(pid):
        fields = _stat_fields(f"/proc/{p}/stat")
        if fields:
            total += int(fields[11]) + int(fields[12])  # utime, stime
    return total


def thread_affinity(tid):
    """The CPUs a thread may run on now ([] when it is gone): a server may
    set its own, overriding the one it was started with."""
    try:
        return sorted(os.sched_getaffinity(int(tid)))
    except OSError:
        return []


def thread_cpu_ticks(pid):
    """{"comm/tid": ticks} for every live thread of pid."""
    out = {}
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return out
    for tid in tids:
        try:
            with open(f"/proc/{pid}/task/{tid}/comm") as f:
                comm = f.read().strip()
        except OSError:
            continue
        fields = _stat_fields(f"/proc/{pid}/task/{tid}/stat")
        if fields:
            out[f"{comm}/{tid}"] = int(fields[11]) + int(fields[12])
    return out


_PATTERNS = {
    "sent": r"Queries sent:\s+(\d+)",
    "completed": r"Queries completed:\s+(\d+)",
    "lost": r"Queries lost:\s+(\d+)",
    "run_time_s": r"Run time \(s\):\s+([\d.]+)",
    "qps": r"Queries per second:\s+([\d.]+)",
    "avg_latency_s": r"Average Latency \(s\):\s+([\d.]+)",
    "min_latency_s": r"Average Latency \(s\):\s+[\d.]+ \(min ([\d.]+)",
    "max_latency_s": r"Average Latency \(s\):.*max ([\d.]+)\)",
    "latency_stddev_s": r"Latency StdDev \(s\):\s+([\d.]+)",
    "request_bytes": r"Average packet size:\s+request (\d+)",
    "response_bytes": r"Average packet size:.*response (\d+)",
}


def parse_dnsperf(text):
    out = {}
    for key, pattern in _PATTERNS.items():
        m = re.search(pattern, text)
        if m:
            out[key] = float(m.group(1)) if "." in m.group(1) else int(m.group(1))
    m = re.search(r"Response codes:\s+(.*)", text)
    if m:
        out["rcodes"] = m.group(1).strip()
    return out


def run_dnsperf(args, port, datafile, seconds, rate, cpu, log_path):
    """Runs dnsperf pinned to `cpu`; returns its parsed statistics."""
    argv = ["dnsperf", "-s", "127.0.0.1", "-p", str(port), "-d", datafile,
            "-l", str(seconds), "-c", str(args.clients), "-q", str(args.outstanding),
            "-T", "1", "-t", "2"]
    if rate:
        argv += ["-Q", str(int(rate))]
    with open(log_path, "w") as log:
        done = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True, timeout=seconds + 30,
                              preexec_fn=pin(cpu, args.nice))
        log.write(" ".join(argv) + "\n" + done.stdout)
    stats = parse_dnsperf(done.stdout)
    stats["argv"] = " ".join(argv)
    if done.returncode != 0 or "completed" not in stats:
        raise RuntimeError(f"dnsperf failed (exit {done.returncode}); see {log_path}")
    return stats


def run_python_loop(port, questions, seconds):
    """One question at a time for `seconds`: a stand-in when dnsperf is not
    installed. Its numbers measure Python, not the server."""
    sent = completed = 0
    latency = 0.0
    deadline = time.monotonic() + seconds
    start = time.monotonic()
    while time.monotonic() < deadline:
        name, qtype = questions[sent % len(questions)]
        t0 = time.monotonic()
        got = dnswire.query(port, name, dnswire.TYPE_CODES[qtype], timeout=0.5)
        sent += 1
        if got:
            completed += 1
            latency += time.monotonic() - t0
    wall = time.monotonic() - start
    return {"sent": sent, "completed": completed, "lost": sent - completed,
            "run_time_s": wall, "qps": completed / wall if wall else 0.0,
            "avg_latency_s": latency / completed if completed else 0.0,
            "argv": "python loop (dnsperf not installed)"}
