"""The results table: one row per metric with each proxy's value, direct,
meshgate's ratio to the better peer (and to direct for throughput) and
whether the issue's target is met; written as markdown, JSON and a gnuplot
PNG of grouped bars normalized to the better peer.

results[target][test] is a list of runs (one per round). A value is the
median of its rounds; with more than one round the row also has each
column's range, and a target is met only when meshgate's median meets it
and meshgate's worst round is not behind the better peer's median.
"""

import json
import os
import shutil
import statistics
import subprocess
from dataclasses import dataclass

PEERS = ("haproxy", "nginx")
HAPROXY_VARIANTS = ("haproxy", "haproxy_splice")
COLUMNS = ("meshgate", "haproxy", "nginx", "direct")
CHART_CAP = 3.0  # bars above this are cut (direct can be far ahead); the table has the values


@dataclass(frozen=True)
class Metric:
    key: str
    label: str
    test: str  # results key of the run
    path: tuple  # keys into that run's JSON
    higher_is_better: bool
    peer_target: float = None  # meshgate / better peer must reach this (or stay under)
    direct_target: float = None  # meshgate / direct must reach this
    peers: tuple = PEERS  # peers the target compares to
    scale: float = 1.0  # shown value = raw * scale


def _latency(prefix, test, what, field, p99_target):
    out = []
    for p, name in (("p50", "p50"), ("p99", "p99"), ("p999", "p99.9")):
        out.append(Metric(f"{prefix}_{p}", f"{what}, {name} µs", test, (field, p), False,
                          1.0 if (p == "p99" and p99_target) else None))
    return out


METRICS = [
    Metric("bulk1_gbps", "bulk 1 stream, Gbit/s", "bulk1", ("gbit_per_s",), True, 1.3, 0.6),
    Metric("bulk1_cpu", "bulk 1 stream, proxy CPU s/GB", "bulk1", ("proxy_cpu_s_per_gb",), False),
    Metric("bulk16_gbps", "bulk 16 streams, Gbit/s", "bulk16", ("gbit_per_s",), True, 1.3, 0.6),
    Metric("bulk16_cpu", "bulk 16 streams, proxy CPU s/GB", "bulk16", ("proxy_cpu_s_per_gb",),
           False),
    Metric("conn1_rate", "new connections/s, concurrency 1", "conn1", ("per_second",), True, 1.2),
    Metric("conn64_rate", "new connections/s, concurrency 64", "conn64", ("per_second",), True,
           1.2),
    *_latency("lat1", "lat1", "request/response, 1 conn", "latency_us", True),
    *_latency("lat16", "lat16", "request/response, 16 conns", "latency_us", True),
    *_latency("fb1", "conn1", "connect→first byte, conc. 1", "first_byte_us", True),
    *_latency("fb64", "conn64", "connect→first byte, conc. 64", "first_byte_us", True),
    Metric("idle_rss_conn", "RSS per idle connection, KiB", "idle", ("rss_per_conn_bytes",),
           False, 1.0, peers=("haproxy",), scale=1 / 1024),
    Metric("idle_rss_base", "RSS before idle connections, MiB", "idle", ("rss_before_bytes",),
           False, scale=1 / 1048576),
]


def _values(results, target, metric):
    """The metric in each round of `target`, missing rounds left out."""
    out = []
    for run in results.get(target, {}).get(metric.test, []):
        for key in metric.path:
            run = run.get(key) if isinstance(run, dict) else None
        if isinstance(run, (int, float)):
            out.append(run * metric.scale)
    return out


def _value(results, target, metric):
    values = _values(results, target, metric)
    return statistics.median(values) if values else None


def _range(results, target, metric):
    values = _values(results, target, metric)
    return [min(values), max(values)] if len(values) > 1 else None


def _best(values, higher):
    """(name, value) of the best non-missing value, or (None, None)."""
    present = [(n, v) for n, v in values if v is not None]
    if not present:
        return None, None
    return (max if higher else min)(present, key=lambda nv: nv[1])


def _met(ratio, target, higher):
    if ratio is None or target is None:
        return None
    return ratio >= target if higher else ratio <= target


def _worst_vs_peer(results, metric, peer_value):
    """meshgate's worst round over the better peer's median, when there are rounds."""
    values = _values(results, "meshgate", metric)
    if len(values) < 2 or not peer_value:
        return None
    worst = min(values) if metric.higher_is_better else max(values)
    return worst / peer_value


def metric_row(results, metric, variants=()):
    """One table row as a dict (also the JSON form)."""
    hi = metric.higher_is_better
    hap_variant, hap = _best([(v, _value(results, v, metric)) for v in HAPROXY_VARIANTS], hi)
    values = {"meshgate": _value(results, "meshgate", metric), "haproxy": hap,
              "nginx": _value(results, "nginx", metric), "direct": _value(results, "direct", metric)}
    values.update({v: _value(results, v, metric) for v in variants})
    ranges = {c: _range(results, hap_variant if c == "haproxy" else c, metric) for c in values}
    peer, peer_value = _best([(p, values[p]) for p in metric.peers], hi)
    mesh = values["meshgate"]
    vs_peer = mesh / peer_value if mesh is not None and peer_value else None
    vs_direct = mesh / values["direct"] if mesh is not None and values["direct"] else None
    worst = _worst_vs_peer(results, metric, peer_value)
    checks = [_met(vs_peer, metric.peer_target, hi), _met(vs_direct, metric.direct_target, True)]
    if metric.peer_target is not None:
        checks.append(_met(worst, 1.0, hi))
    checks = [c for c in checks if c is not None]
    return {"metric": metric.key, "label": metric.label, "higher_is_better": hi,
            "values": values, "ranges": ranges, "haproxy_variant": hap_variant,
            "better_peer": peer, "vs_peer": vs_peer, "worst_vs_peer": worst,
            "vs_direct": vs_direct, "peer_target": metric.peer_target,
            "direct_target": metric.direct_target, "met": all(checks) if checks else None}


def errors_row(results, variants=()):
    values = {}
    for col in (*COLUMNS, *variants):
        names = {"haproxy": HAPROXY_VARIANTS}.get(col, (col,))
        runs = [r for n in names for rounds in results.get(n, {}).values() for r in rounds]
        values[col] = sum(r.get("errors", 0) for r in runs) if runs else None
    return {"metric": "errors", "label": "loadgen errors, all runs", "values": values}


def build_rows(results, variants=()):
    return [metric_row(results, m, variants) for m in METRICS] + [errors_row(results, variants)]


def fmt(v):
    if v is None:
        return "—"
    if isinstance(v, int):
        return str(v)
    a = abs(v)
    return f"{v:.0f}" if a >= 100 else f"{v:.1f}" if a >= 10 else f"{v:.2f}" if a >= 0.1 \
        else f"{v:.3f}"


def _target_text(row):
    sign = "≥" if row["higher_is_better"] else "≤"
    parts = []
    if row.get("peer_target") is not None:
        who = "HAProxy" if row["metric"] == "idle_rss_conn" else "peer"
        parts.append(f"{sign}{row['peer_target']:g}x {who}")
    if row.get("direct_target") is not None:
        parts.append(f"≥{row['direct_target']:g}x direct")
    return ", ".join(parts)


def _ratio(v):
    return "—" if v is None else f"{v:.2f}x"


def _cell(row, col):
    """A column's median, with its range when there were rounds."""
    text = fmt(row["values"].get(col))
    span = row.get("ranges", {}).get(col)
    return text + (f" ({fmt(span[0])}–{fmt(span[1])})" if span else "")


def markdown_table(rows, variants=()):
    names = {"meshgate_splice": "meshgate splice: true", "meshgate_copy": "meshgate splice: false"}
    head = ("| metric | meshgate | HAProxy | nginx | direct | "
            + "".join(f"{names.get(v, v)} | " for v in variants)
            + "better peer | meshgate/peer | worst round/peer | meshgate/direct | target | met |")
    lines = [head, "|" + "---|" * (11 + len(variants))]
    for r in rows:
        hap = _cell(r, "haproxy")
        if r.get("haproxy_variant") == "haproxy_splice":
            hap += " (s)"
        met = {True: "yes", False: "**no**", None: ""}[r.get("met")]
        lines.append(f"| {r['label']} | {_cell(r, 'meshgate')} | {hap} | {_cell(r, 'nginx')} "
                     f"| {_cell(r, 'direct')} | "
                     + "".join(f"{_cell(r, v)} | " for v in variants)
                     + f"{r.get('better_peer') or '—'} "
                     f"| {_ratio(r.get('vs_peer'))} | {_ratio(r.get('worst_vs_peer'))} "
                     f"| {_ratio(r.get('vs_direct'))} "
                     f"| {_target_text(r) if 'higher_is_better' in r else ''} | {met} |")
    return "\n".join(lines)


def write_json(path, document):
    with open(path, "w") as f:
        json.dump(document, f, indent=2, sort_keys=False)
        f.write("\n")


def _chart_data(rows):
    """Per metric: each column's performance relative to the better peer,
    oriented so that higher is better (peer/value for lower-is-better)."""
    lines = []
    for r in rows:
        peer = r.get("better_peer")
        base = r["values"].get(peer) if peer else None
        if not base or r["metric"] == "idle_rss_base":
            continue
        rel = []
        for col in COLUMNS:
            v = r["values"][col]
            if v is None or v == 0:
                rel.append("?")
            else:
                rel.append(f"{min(CHART_CAP, v / base if r['higher_is_better'] else base / v):.4f}")
        lines.append(f"\"{r['label']}\" " + " ".join(rel))
    return "\n".join(lines) + "\n"


def _gnuplot_terminal(gnuplot):
    out = subprocess.run([gnuplot, "-e", "set terminal"], capture_output=True, text=True,
                         timeout=10)
    text = out.stdout + out.stderr
    return "pngcairo" if " pngcairo " in text else "png"


def write_png(path, rows, tmp_dir):
    """Grouped bars; returns a note when no PNG could be made, else None."""
    gnuplot = shutil.which("gnuplot")
    if not gnuplot:
        return "gnuplot not installed: no PNG"
    data = os.path.join(tmp_dir, "chart.dat")
    with open(data, "w") as f:
        f.write(_chart_data(rows))
    script = f"""set terminal {_gnuplot_terminal(gnuplot)} size 1600,800
set output '{path}'
set title 'SNI passthrough on loopback: relative to the better of HAProxy/nginx (1.0), higher is better, cut at {CHART_CAP:g}'
set bmargin 14
set rmargin 12
set style data histogram
set style histogram cluster gap 1
set style fill solid 0.8 border -1
set datafile missing '?'
set xtics rotate by -40 scale 0 font ',9'
set ylabel 'relative to better peer (latency, CPU, memory: inverted)'
set yrange [0:{CHART_CAP}]
set grid ytics
set key outside top center horizontal
plot '{data}' using 2:xtic(1) title 'meshgate (default config)', '' using 3 title 'HAProxy (best of splice on/off)', \\
     '' using 4 title 'nginx', '' using 5 title 'direct (no proxy)', 1 with lines dt 2 lc 'black' notitle
"""
    out = subprocess.run([gnuplot], input=script, capture_output=True, text=True, timeout=60)
    if out.returncode != 0 or not os.path.exists(path):
        return f"gnuplot failed: {out.stderr.strip()[:300]}"
    return None
