"""dns.json, dns.md and dns.png from the runner's results."""

import json
import os
import platform
import shutil
import subprocess

PHASE_TITLES = {
    "max": "Unlimited load (dnsperf sends as fast as its one CPU allows)",
    "equal": "Equal offered load (dnsperf -Q, the same rate for every server)",
}


def machine_description():
    model = "?"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return f"{platform.node()} {platform.system()} {platform.release()}, {os.cpu_count()} CPUs, {model}"


def median_runs(runs):
    """{phase: {server: the run with the median queries per CPU-second}},
    servers in the order they ran. Each run gets the spread over rounds."""
    groups = {}
    for r in runs:
        groups.setdefault(r["phase"], {}).setdefault(r["server"], []).append(r)
    out = {}
    for phase, by_server in groups.items():
        out[phase] = {}
        for server, group in by_server.items():
            ranked = sorted(group, key=lambda r: r.get("queries_per_cpu_s") or 0)
            chosen = dict(ranked[(len(ranked) - 1) // 2])
            values = [r.get("queries_per_cpu_s") or 0 for r in ranked]
            chosen["rounds"] = len(ranked)
            chosen["queries_per_cpu_s_range"] = [values[0], values[-1]]
            out[phase][server] = chosen
    return out


def _ratio(results, phase, peer):
    mine = results.get((phase, "meshgate"))
    theirs = results.get((phase, peer))
    if not mine or not theirs or not theirs.get("queries_per_cpu_s"):
        return None
    return mine["queries_per_cpu_s"] / theirs["queries_per_cpu_s"]


def summarize(runs):
    """Ratios and the target per phase: meshgate's queries per CPU-second at
    least Knot's and Unbound's (those that ran)."""
    medians = median_runs(runs)
    by_key = {(p, s): r for p, group in medians.items() for s, r in group.items()}
    summary = {}
    for phase in medians:
        ratios = {peer: _ratio(by_key, phase, peer) for peer in ("knot", "unbound", "dnsdist")}
        compared = [ratios[p] for p in ("knot", "unbound") if ratios[p] is not None]
        summary[phase] = {
            "ratio_vs": {p: round(v, 3) for p, v in ratios.items() if v is not None},
            "target_met": (all(v >= 1.0 for v in compared) if compared else None),
            "target_compared_with": [p for p in ("knot", "unbound") if ratios[p] is not None],
            "median_runs": list(medians[phase].values()),
        }
    return summary


def _fmt(value, spec):
    return "-" if value is None else format(value, spec)


def markdown(meta, runs, summary):
    lines = [
        f"# DNS `.global` benchmark, {meta['date']}",
        "",
        f"Machine: {meta['machine']}. Server on CPU {meta['server_cpu']}, dnsperf on CPU "
        f"{meta['client_cpu']}. {meta['services']} services ({meta['records']} A/AAAA records), "
        f"{meta['seconds']} s per run, dnsperf -c {meta['clients']} -q {meta['outstanding']}"
        f"{', nice ' + str(meta['nice']) if meta['nice'] else ''}"
        f"{', median of ' + str(meta['repeat']) + ' rounds' if meta['repeat'] > 1 else ''}. "
        f"Machine load average at start: {meta['loadavg']}.",
        "",
        "Versions: " + ", ".join(meta["versions"].values()) + ".",
        "",
    ]
    for phase in [p for p in ("max", "equal") if p in summary]:
        rate = f" dnsperf -Q {meta['equal_rate']:,}" if phase == "equal" else ""
        lines += [f"## {PHASE_TITLES[phase]}{rate}", ""]
        lines += [
            "| server | version | QPS | avg latency ms | lost | server CPU s | server CPU % "
            "| queries per CPU-second | µs CPU/query | response bytes |",
            "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for r in summary[phase]["median_runs"]:
            latency = r.get("avg_latency_s")
            spread = r["queries_per_cpu_s_range"]
            qpcs = _fmt(r.get("queries_per_cpu_s"), ",.0f")
            if r["rounds"] > 1:
                qpcs += f" ({spread[0]:,}–{spread[1]:,})"
            lines.append(
                f"| {r['server']} | {r['version']} | {_fmt(r.get('qps'), ',.0f')} "
                f"| {_fmt(latency * 1000 if latency is not None else None, '.3f')} "
                f"| {r.get('lost', '-')} | {_fmt(r['cpu_s'], '.2f')} "
                f"| {_fmt(r['cpu_util'] * 100, '.0f')} "
                f"| {qpcs} "
                f"| {_fmt(r.get('cpu_us_per_query'), '.2f')} | {r.get('response_bytes', '-')} |"
            )
        s = summary[phase]
        ratios = ", ".join(f"vs {p} {v:.2f}×" for p, v in s["ratio_vs"].items()) or "no peer ran"
        met = {True: "yes", False: "no", None: "not measured (no peer ran)"}[s["target_met"]]
        lines += [
            "",
            f"meshgate queries per CPU-second: {ratios}. Target (≥ Knot and Unbound): **{met}**.",
            "",
        ]
    lines += ["## How each server ran", ""]
    for name, note in meta["notes"].items():
        style = meta["answer_style"].get(name, {})
        lines.append(f"- **{name}**: {note}; answers: TTL {style.get('ttl')}, AA {style.get('aa')}")
    if meta.get("skipped"):
        lines += [f"- skipped: {note}" for note in meta["skipped"]]
    lines += ["", "Busiest threads (share of the server's CPU time, unlimited load), and the "
              "CPUs the busiest may run on at the end (a server may set its own):", ""]
    for r in summary["max"]["median_runs"]:
        top = ", ".join(f"{t} {share:.0%}" for t, share in r.get("threads", [])[:3])
        cpus = r.get("busiest_thread_cpus")
        where = f"; busiest on CPUs {cpus}" if cpus else ""
        lines.append(f"- {r['server']}: {r.get('thread_count', '?')} threads; {top}{where}")
    return "\n".join(lines) + "\n"


def write_json(path, meta, runs, summary):
    with open(path, "w") as f:
        json.dump({"meta": meta, "runs": runs, "summary": summary}, f, indent=2)


def plot(out_dir, runs):
    """dns.png: queries per CPU-second, one cluster per phase. Returns the
    path, or "" when gnuplot is missing or fails."""
    if not shutil.which("gnuplot") or not runs:
        return ""
    phases = [p for p in ("max", "equal") if any(r["phase"] == p for r in runs)]
    servers = list(dict.fromkeys(r["server"] for r in runs))
    data = os.path.join(out_dir, "dns-plot.dat")
    by_key = {(p, s): r.get("queries_per_cpu_s") or 0
              for p, group in median_runs(runs).items() for s, r in group.items()}
    with open(data, "w") as f:
        for s in servers:
            f.write(s + " " + " ".join(f"{by_key.get((p, s), 0):.0f}" for p in phases) + "\n")
    png = os.path.join(out_dir, "dns.png")
    cols = ", ".join(
        f"'{data}' using {i + 2}:xtic(1) title '{PHASE_TITLES[p].split(' (')[0]}'"
        for i, p in enumerate(phases))
    script = f"""set terminal pngcairo size 900,500
set output '{png}'
set title 'DNS .global: queries per second of server CPU time (higher is better)'
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set key top right
set yrange [0:*]
set grid ytics
set ylabel 'queries per CPU-second'
plot {cols}
"""
    done = subprocess.run(["gnuplot"], input=script, text=True, capture_output=True, timeout=30)
    os.remove(data)
    if done.returncode != 0:
        print(f"note: gnuplot failed: {done.stderr.strip()}")
        return ""
    return png
