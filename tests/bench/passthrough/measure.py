"""One measurement: a passthrough_loadgen run against one target, with the
proxy's CPU time (process tree, /proc/<pid>/stat utime+stime) read around it;
and the idle-connection memory run (VmRSS summed over the proxy's processes,
before and after the connections are up).
"""

import json
import resource
import subprocess
import time
from dataclasses import dataclass

import procs
import proxies

RUN_SLACK_S = 30.0  # a run may take this much longer than asked before it is killed


@dataclass(frozen=True)
class Test:
    key: str  # results key
    mode: str  # loadgen --mode
    args: tuple  # loadgen options besides --seconds


LOAD_TESTS = (
    Test("bulk1", "bulk", ("--streams", "1", "--direction", "up")),
    Test("bulk16", "bulk", ("--streams", "16", "--direction", "up")),
    Test("conn1", "connrate", ("--concurrency", "1")),
    Test("conn64", "connrate", ("--concurrency", "64")),
    Test("lat1", "latency", ("--connections", "1")),
    Test("lat16", "latency", ("--connections", "16")),
)


class Measurer:
    """Runs the loadgen with a fixed binary, thread count and CPU set."""

    def __init__(self, spawner, loadgen, threads, backend_proc):
        self.spawner = spawner
        self.loadgen = loadgen
        self.threads = threads
        self.backend_proc = backend_proc
        self.cpus = None  # loadgen CPU set; None: unpinned

    def _argv(self, target, mode, args):
        return [self.loadgen, "--target", f"127.0.0.1:{target.port}", "--sni", proxies.SNI,
                "--alpn", proxies.ALPN, "--mode", mode, "--threads", str(self.threads), *args]

    def run(self, target, test, seconds):
        """One loadgen run; its JSON plus CPU seconds of proxy, backend and
        loadgen, and (bulk) the proxy's CPU seconds per GB moved."""
        argv = self._argv(target, test.mode, (*test.args, "--seconds", _num(seconds)))
        pids = target.pids()
        before = self._cpu_snapshot(pids)
        proc = self.spawner.start("loadgen", argv, self.cpus, stdout=subprocess.PIPE)
        try:
            out, _ = proc.communicate(timeout=seconds + RUN_SLACK_S)
        except subprocess.TimeoutExpired:
            self.spawner.stop(proc)
            raise procs.BenchError(f"{target.name} {test.key}: loadgen did not finish")
        after = self._cpu_snapshot(pids)
        self.spawner.stop(proc)
        result = _parse(out, proc.returncode, f"{target.name} {test.key}")
        result.update({k: round(after[k] - before[k], 3) for k in before})
        if target.proc is None:
            result["proxy_cpu_s"] = None  # direct: no proxy
        return _derive(result)

    def _cpu_snapshot(self, pids):
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        return {
            "proxy_cpu_s": procs.cpu_seconds(pids),
            "backend_cpu_s": procs.cpu_seconds([self.backend_proc.pid]),
            "loadgen_cpu_s": children.ru_utime + children.ru_stime,  # reaped loadgens only
            "wall_s": time.monotonic(),
        }

    def idle(self, target, connections, rate, rss_window_s):
        """Opens `connections` idle relayed connections; the proxy's RSS
        before, after, and per connection."""
        pids = target.pids()
        rss_before = _rss_floor(pids, rss_window_s)
        open_s = connections / rate + RUN_SLACK_S
        argv = self._argv(target, "idle", ("--connections", str(connections), "--rate",
                                           str(rate), "--hold-seconds", str(int(open_s + 60))))
        proc = self.spawner.start("loadgen", argv, self.cpus,
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        try:
            line = procs.read_line(proc, open_s)
            rss_after = _rss_floor(pids, rss_window_s) if line else 0
        finally:
            _close_stdin(proc)
            try:
                proc.wait(timeout=RUN_SLACK_S)
            finally:
                self.spawner.stop(proc)
        result = _parse((line or "").encode(), proc.returncode, f"{target.name} idle")
        established = result.get("established", 0)
        result.update({
            "rss_before_bytes": rss_before,
            "rss_after_bytes": rss_after,
            "rss_per_conn_bytes": (rss_after - rss_before) / established if established else None,
        })
        return result


def _num(seconds):
    return str(int(seconds)) if float(seconds).is_integer() else str(seconds)


def _parse(out, returncode, what):
    """The loadgen's one JSON line; a non-zero exit or no JSON fails the run."""
    lines = [ln for ln in out.decode(errors="replace").splitlines() if ln.strip()]
    if returncode != 0 or not lines:
        raise procs.BenchError(f"{what}: loadgen exited {returncode}, output {lines[-1:]}")
    try:
        return json.loads(lines[-1])
    except json.JSONDecodeError as e:
        raise procs.BenchError(f"{what}: loadgen output is not JSON: {lines[-1]!r}") from e


def _derive(result):
    """Each CPU figure as a share of the run's wall time; CPU seconds per GB
    for bulk runs."""
    wall = result["wall_s"]
    for key in ("proxy_cpu_s", "backend_cpu_s", "loadgen_cpu_s"):
        cpu = result[key]
        result[key.replace("_cpu_s", "_cpu_util")] = \
            round(cpu / wall, 3) if wall and cpu is not None else None
    if result.get("mode") == "bulk":
        gb = result.get("bytes", 0) / 1e9
        cpu = result["proxy_cpu_s"]
        result["proxy_cpu_s_per_gb"] = round(cpu / gb, 4) if gb and cpu is not None else None
    return result


def _rss_floor(pids, window_s, step_s=0.1):
    """The lowest RSS sampled over the window: a proxy's transient spikes
    (meshgate's registry poll allocates tens of MB for a moment every
    second) are not what connections cost."""
    low = procs.rss_bytes(pids)
    deadline = time.monotonic() + window_s
    while time.monotonic() < deadline:
        time.sleep(step_s)
        low = min(low, procs.rss_bytes(pids))
    return low


def _close_stdin(proc):
    try:
        proc.stdin.close()
    except OSError:
        pass
