#!/usr/bin/env python3
"""Summarise bench/run.sh's times.tsv as Markdown tables.

    python3 bench/summarize.py OUT/times.tsv

Per set and tool: runs, median wall time, min-max, MB/s (10^6 bytes per
second of median wall time), median and max peak RSS, median user+sys CPU,
and two ratios against rg in the same set: median/median, and the median of
the per-round ratios (each misar-scan run divided by the rg run next to it,
which cancels some of the load drift between rounds).
"""
import statistics
import sys
from collections import defaultdict


def main():
    rows = []
    with open(sys.argv[1]) as f:
        header = f.readline().rstrip("\n").split("\t")
        for line in f:
            rows.append(dict(zip(header, line.rstrip("\n").split("\t"))))
    sets = defaultdict(lambda: defaultdict(list))
    order = []
    for r in rows:
        if r["set"] not in order:
            order.append(r["set"])
        sets[r["set"]][r["tool"]].append(r)
    for s in order:
        tools = sets[s]
        ref = tools.get("rg")
        ref_by_run = {r["run"]: float(r["wall_s"]) for r in ref} if ref else {}
        ref_med = statistics.median(ref_by_run.values()) if ref else None
        nbytes = int(rows[[r["set"] for r in rows].index(s)]["bytes"])
        print(f"\n### {s} ({nbytes / 1e6:,.0f} MB)\n")
        print("| tool | runs | median wall | min – max | MB/s | peak RSS median (max) | CPU user+sys | × rg (medians) | × rg (per round, median) |")
        print("|---|---|---|---|---|---|---|---|---|")
        for t, rs in tools.items():
            w = [float(r["wall_s"]) for r in rs]
            rss = [int(r["maxrss_kb"]) / 1024 for r in rs]
            cpu = [float(r["user_s"]) + float(r["sys_s"]) for r in rs]
            med = statistics.median(w)
            ratio = f"{med / ref_med:.2f}" if ref_med else "–"
            pr = [float(r["wall_s"]) / ref_by_run[r["run"]] for r in rs if r["run"] in ref_by_run]
            pratio = f"{statistics.median(pr):.2f} ({min(pr):.2f}–{max(pr):.2f})" if pr and t != "rg" else "–"
            codes = sorted({r["exit"] for r in rs})
            print(f"| {t} | {len(w)} | {med:.3f} s | {min(w):.3f} – {max(w):.3f} | {nbytes / med / 1e6:,.0f} | "
                  f"{statistics.median(rss):.0f} MiB ({max(rss):.0f}) | {statistics.median(cpu):.2f} s | {ratio} | {pratio} |"
                  + ("" if codes in (["0"], ["1"]) else f" exit {','.join(codes)}"))


if __name__ == "__main__":
    main()
