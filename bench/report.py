#!/usr/bin/python3
"""Turns what the bench scripts wrote into bench/results/ into markdown
tables (for the README and the closing notes); prints them.

usage: report.py [RESULTS_DIR]      (default: bench/results beside this file)"""
import os
import re
import statistics
import sys

GOALS = {("sqlite", "list"): "≥ 150×", ("sqlite", "create"): "≥ 30×", ("sqlite", "mixed"): "≥ 50×",
         ("pg", "list"): "≥ 100×", ("pg", "create"): "≥ 20×", ("pg", "mixed"): "≥ 30×"}
DB = {"sqlite": "SQLite", "pg": "PostgreSQL"}


def kv(words):
    return {k: v for k, _, v in (w.partition("=") for w in words if "=" in w)}


def num(v):
    try:
        return float(v.rstrip("x"))
    except (AttributeError, ValueError):
        return float("nan")


def read(path):
    return open(path).read().splitlines() if os.path.exists(path) else []


def header(lines):
    return next((l.lstrip("# ") for l in lines if l.startswith("# bench/")), "")


def ratios(out):
    rows = []
    for db in ("sqlite", "pg"):
        lines = read(os.path.join(out, f"ratios-{db}.txt"))
        if not lines:
            continue
        rows.append(f"\n{DB[db]}: {header(lines)}\n")
        runs = {}
        for l in lines:
            w = l.split()
            if len(w) > 2 and w[0] in ("todo-server", "fastapi-ref", "ratio"):
                runs.setdefault((w[0], w[1]), []).append(kv(w[2:]))
        rows.append("| workload | todo-server req/s, p99 | reference req/s, p99 | req/s ratio (range) "
                    "| p99 ratio | CPU per request (ours vs reference) | goal |")
        rows.append("|---|---|---|---|---|---|---|")
        for wl in ("list", "create", "mixed"):
            ours, ref, rat = runs.get(("todo-server", wl)), runs.get(("fastapi-ref", wl)), runs.get(("ratio", wl))
            if not ours:
                continue

            def med(rs, key):
                return statistics.median(num(r.get(key)) for r in rs)

            def cpu(rs):
                return med(rs, "cpu_ms_per_req") + (med(rs, "db_cpu_ms_per_req") if "db_cpu_ms_per_req" in rs[0] else 0)
            cell_o = f"{med(ours, 'rps'):,.0f}, {med(ours, 'p99_ms'):.0f} ms"
            if not ref:
                rows.append(f"| {wl} | {cell_o} | skipped | | | {cpu(ours):.3f} ms | {GOALS[(db, wl)]} |")
                continue
            cell_r = f"{med(ref, 'rps'):,.0f}, {med(ref, 'p99_ms'):.0f} ms"
            rat = rat or [{"rps": str(med(ours, "rps") / med(ref, "rps")),
                           "p99": str(med(ref, "p99_ms") / med(ours, "p99_ms"))}]
            rr = sorted(num(r["rps"]) for r in rat)
            span = f"{statistics.median(rr):.0f}× ({rr[0]:.0f}–{rr[-1]:.0f}×)" if len(rr) > 1 else f"{rr[0]:.0f}×"
            p99 = statistics.median(num(r["p99"]) for r in rat)
            rows.append(f"| {wl} | {cell_o} | {cell_r} | {span} | {p99:.0f}× | "
                        f"{cpu(ours):.3f} vs {cpu(ref):.2f} ms ({cpu(ref) / cpu(ours):.0f}×) | {GOALS[(db, wl)]} |")
    return rows


def concurrency(out):
    rows = []
    for db in ("sqlite", "pg"):
        lines = [l.split("\t") for l in read(os.path.join(out, f"concurrency-{db}.tsv"))]
        if not lines:
            continue
        conns = sorted({int(l[2]) for l in lines})
        rows.append(f"\n{DB[db]}, req/s (p99 ms) against connections:\n")
        rows.append("| server | workload | " + " | ".join(f"-c{c}" for c in conns) + " |")
        rows.append("|---|---|" + "---|" * len(conns))
        seen = []
        cells = {}
        for l in lines:
            key = (l[0], l[1])
            if key not in seen:
                seen.append(key)
            bad = "" if l[6] == "0" and l[7] == "0" else f" [{l[6]} non-2xx, {l[7]} socket errors]"
            cells[key + (int(l[2]),)] = f"{num(l[3]):,.0f} ({num(l[5]):.0f}){bad}"
        for key in seen:
            rows.append(f"| {key[0]} | {key[1]} | " + " | ".join(cells.get(key + (c,), "") for c in conns) + " |")
    return rows


def plain(out, name, title):
    lines = read(os.path.join(out, name))
    if not lines:
        return []
    return [f"\n{title}:\n", "```"] + [re.sub(r"\s+", " ", l) for l in lines] + ["```"]


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "results")
    parts = ["### Against the FastAPI reference"] + ratios(out)
    parts += ["\n### Against concurrency"] + concurrency(out)
    hist = read(os.path.join(out, "history.md"))
    if hist:
        parts += ["\n### History"] + [""] + hist
    parts += plain(out, "conditional-sqlite.txt", "Conditional lists (bench/conditional.sh)")
    parts += plain(out, "writes-sqlite.txt", "Writes, this commit against an older one (bench/writes_vs.sh)")
    parts += plain(out, "idle-sqlite.txt", "Idle connections (bench/idle.sh)")
    parts += plain(out, "haproxy.txt", "HAProxy (bench/haproxy.sh)")
    print("\n".join(parts))


if __name__ == "__main__":
    main()
