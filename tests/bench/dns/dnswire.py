"""Just enough of the DNS wire format to ask a server one question over UDP
and read its answer section: the runner's readiness probe and its check that
every server gives the same answers. Python stdlib only."""

import random
import socket
import struct
import time

TYPE_A = 1
TYPE_NS = 2
TYPE_SOA = 6
TYPE_AAAA = 28
TYPE_NAMES = {TYPE_A: "A", TYPE_NS: "NS", TYPE_SOA: "SOA", TYPE_AAAA: "AAAA"}
TYPE_CODES = {v: k for k, v in TYPE_NAMES.items()}


def encode_name(name):
    out = b""
    for label in name.rstrip(".").split("."):
        if label:
            out += bytes([len(label)]) + label.encode("ascii")
    return out + b"\x00"


def build_query(qid, name, qtype):
    header = struct.pack("!HHHHHH", qid, 0x0000, 1, 0, 0, 0)  # RD clear
    return header + encode_name(name) + struct.pack("!HH", qtype, 1)


def skip_name(msg, pos):
    """Position after the (possibly compressed) name at pos."""
    while True:
        if pos >= len(msg):
            raise ValueError("name runs past the message")
        length = msg[pos]
        if length == 0:
            return pos + 1
        if length & 0xC0 == 0xC0:
            return pos + 2
        pos += 1 + length


def read_name(msg, pos, depth=0):
    labels = []
    while True:
        if depth > 20 or pos >= len(msg):
            raise ValueError("bad name")
        length = msg[pos]
        if length == 0:
            break
        if length & 0xC0 == 0xC0:
            target = ((length & 0x3F) << 8) | msg[pos + 1]
            labels.append(read_name(msg, target, depth + 1))
            break
        labels.append(msg[pos + 1 : pos + 1 + length].decode("ascii", "replace"))
        pos += 1 + length
    return ".".join(x for x in labels if x)


def parse_response(msg):
    """(rcode, flags, [(name, type, ttl, rdata text)] of the answer section)."""
    if len(msg) < 12:
        raise ValueError("short response")
    _qid, flags, qd, an, _ns, _ar = struct.unpack("!HHHHHH", msg[:12])
    pos = 12
    for _ in range(qd):
        pos = skip_name(msg, pos) + 4
    answers = []
    for _ in range(an):
        name = read_name(msg, pos).lower()
        pos = skip_name(msg, pos)
        rtype, _cls, ttl, rdlen = struct.unpack("!HHIH", msg[pos : pos + 10])
        pos += 10
        rdata = msg[pos : pos + rdlen]
        pos += rdlen
        if rtype == TYPE_A and rdlen == 4:
            text = socket.inet_ntop(socket.AF_INET, rdata)
        elif rtype == TYPE_AAAA and rdlen == 16:
            text = socket.inet_ntop(socket.AF_INET6, rdata)
        else:
            text = rdata.hex()
        answers.append((name, rtype, ttl, text))
    return flags & 0x000F, flags, answers


def query(port, name, qtype, timeout=1.0, host="127.0.0.1"):
    """One UDP question; returns (rcode, flags, answers, size) or None."""
    qid = random.randrange(1 << 16)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(timeout)
        try:
            sock.sendto(build_query(qid, name, qtype), (host, port))
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                data, _ = sock.recvfrom(65535)
                if len(data) >= 2 and struct.unpack("!H", data[:2])[0] == qid:
                    rcode, flags, answers = parse_response(data)
                    return rcode, flags, answers, len(data)
        except (OSError, ValueError):
            return None
    return None


def wait_answer(port, name, qtype, deadline, alive):
    """Polls until the server answers `name` with data, the deadline passes
    or `alive()` turns false. Returns True when it answered."""
    while time.monotonic() < deadline:
        if not alive():
            return False
        got = query(port, name, qtype, timeout=0.2)
        if got and got[0] == 0 and got[2]:
            return True
        time.sleep(0.05)
    return False
