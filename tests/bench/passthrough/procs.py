"""Process plumbing for the passthrough benchmark: spawning with CPU affinity,
killing what was spawned, reading CPU time and RSS from /proc, free loopback
ports, and a readiness probe that speaks the bench wire (wire.h).

Everything here waits with a deadline; nothing sleeps longer than a short poll
interval.
"""

import os
import resource
import selectors
import signal
import socket
import ssl
import subprocess
import time

POLL_S = 0.02
CLK_TCK = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")


class BenchError(Exception):
    """A proxy that does not start or a run that fails: the bench fails."""


def raise_nofile_limit():
    """Raises RLIMIT_NOFILE as far as allowed; children inherit it.

    Returns the soft limit now in force."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    for want in (1048576, 262144, hard):
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (want, max(want, hard)))
            return want
        except (ValueError, OSError):
            continue
    return soft


def free_ports(count):
    """Picks `count` distinct free ports on 127.0.0.1 (bind to 0, read, close).

    All sockets stay open until every port is read, so no port repeats."""
    socks = []
    try:
        for _ in range(count):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind(("127.0.0.1", 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


class Spawner:
    """Starts processes and remembers them, so that stop_all() ends every one
    of them (and their process groups) whatever happened in between."""

    def __init__(self, log_dir, nice=0):
        self.log_dir = log_dir
        self.nice = nice  # every process alike, so that other work on the box disturbs less
        self.procs = []

    def start(self, name, argv, cpus=None, stdin=None, stdout=None):
        """Starts argv in its own session; stderr (and stdout unless a pipe
        is asked for) goes to <log_dir>/<name>.log, after the command line."""
        log = open(os.path.join(self.log_dir, name + ".log"), "ab")
        log.write(("$ " + " ".join(argv) + "\n").encode())
        log.flush()
        def pre():
            if cpus:
                os.sched_setaffinity(0, cpus)
            if self.nice:
                os.setpriority(os.PRIO_PROCESS, 0, self.nice)

        try:
            proc = subprocess.Popen(argv, stdin=stdin or subprocess.DEVNULL,
                                    stdout=stdout or log, stderr=log,
                                    start_new_session=True, preexec_fn=pre)
        except OSError as e:
            log.close()
            raise BenchError(f"{name}: cannot start {argv[0]}: {e}") from e
        proc.bench_name = name
        proc.bench_log = log
        self.procs.append(proc)
        return proc

    def stop(self, proc, grace_s=5.0):
        """SIGTERM, then SIGKILL after `grace_s`; then the process group, so
        that children such as nginx's worker go too."""
        if proc.poll() is None:
            _signal(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=grace_s)
            except subprocess.TimeoutExpired:
                _signal(proc.pid, signal.SIGKILL)
                proc.wait(timeout=grace_s)
        _killpg(proc.pid)
        for stream in (proc.stdin, proc.stdout):
            if stream:
                stream.close()
        proc.bench_log.close()
        if proc in self.procs:
            self.procs.remove(proc)

    def stop_all(self):
        for proc in reversed(list(self.procs)):
            try:
                self.stop(proc)
            except (OSError, subprocess.TimeoutExpired):
                pass


def _signal(pid, sig):
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        pass


def _killpg(pgid):
    """Kills what is left of a group we started (its leader is our child,
    started with start_new_session, so the group id is its pid)."""
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def read_line(proc, timeout_s):
    """One line from proc.stdout within the deadline, or None."""
    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ)
    deadline = time.monotonic() + timeout_s
    buf = b""
    try:
        while b"\n" not in buf:
            left = deadline - time.monotonic()
            if left <= 0 or not sel.select(left):
                return None
            chunk = os.read(proc.stdout.fileno(), 4096)
            if not chunk:
                return None
            buf += chunk
    finally:
        sel.close()
    return buf.split(b"\n", 1)[0].decode(errors="replace")


def process_tree(pid):
    """pid and all its descendants (nginx: master and workers)."""
    children = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry))
    tree, todo = [], [pid]
    while todo:
        p = todo.pop()
        tree.append(p)
        todo.extend(children.get(p, []))
    return tree


def cpu_seconds(pids):
    """utime+stime of every process (all its threads) in pids, in seconds."""
    ticks = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            ticks += int(fields[11]) + int(fields[12])  # utime, stime
        except (OSError, IndexError, ValueError):
            continue
    return ticks / CLK_TCK


def rss_bytes(pids):
    """VmRSS summed over pids."""
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1]) * 1024
        except (OSError, ValueError):
            continue
    return total


def set_affinity(pids, cpus):
    """Pins every thread of every process in pids to cpus."""
    for pid in pids:
        try:
            tids = [int(t) for t in os.listdir(f"/proc/{pid}/task")]
        except OSError:
            continue
        for tid in tids:
            try:
                os.sched_setaffinity(tid, cpus)
            except OSError:
                pass


def make_hello(sni, alpn):
    """A real TLS 1.3 ClientHello record with SNI and ALPN, from Python's
    OpenSSL (only for the readiness probe; the loadgen makes its own)."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.set_alpn_protocols([alpn])
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    obj = ctx.wrap_bio(incoming, outgoing, server_hostname=sni)
    try:
        obj.do_handshake()
    except ssl.SSLWantReadError:
        pass
    return outgoing.read()


def probe_echo(port, hello, timeout_s=1.0):
    """True when a connection to 127.0.0.1:port carrying `hello` and the echo
    command gets its one byte back: the whole relay path works."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout_s) as s:
            s.sendall(hello + b"E" + b"!")
            return s.recv(1) == b"!"
    except OSError:
        return False


def wait_until(what, check, timeout_s, proc=None):
    """Polls check() until it is true; fails after timeout_s, or at once if
    proc exits meanwhile."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if check():
            return
        if proc is not None and proc.poll() is not None:
            raise BenchError(f"{what}: process exited with {proc.returncode}")
        time.sleep(POLL_S)
    raise BenchError(f"{what}: not ready after {timeout_s:.0f} s")
