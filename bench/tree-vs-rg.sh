#!/usr/bin/env bash
# Time `misar-scan scan` against ripgrep on the cargo-blobs tree (issue 16):
# interleaved rounds, warm cache, medians of wall/user/sys and peak RSS.
#
#   bash bench/tree-vs-rg.sh [TREE]
#
#   TREE   default bench/work/cargo-blobs (built by bench/make-cargo-blobs.sh
#          if missing)
#
# Environment:
#   RUNS=10        timed rounds after the warm-up (each round runs every tool once)
#   THREADS=nproc  threads for every tool
#   RG=rg          the ripgrep binary (`cargo install --locked ripgrep --root DIR`
#                  gives the current release; Debian 12's package is 13.0)
#   MS             misar-scan binary (default: built here, `cargo build --release --locked`)
#   MS_BASE        another misar-scan binary to time in the same rounds
#                  (e.g. the build before a change), shown as misar-scan-base
#   OUT            results directory (default bench/work/results/tree-DATE)
#
# Results: OUT/times.tsv (one row per run), OUT/summary.md (bench/summarize.py),
# OUT/env.txt (machine, versions, load averages before and after).
set -euo pipefail

BENCH=tree-vs-rg
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
TREE="${1:-$WORK/cargo-blobs}"
RUNS="${RUNS:-10}"
THREADS="${THREADS:-$(nproc)}"
RG="${RG:-rg}"
results_dir tree
need_rg_and_time
build_misar_scan

if [[ ! -d "$TREE" ]]; then
    bash "$HERE/make-cargo-blobs.sh" "$TREE"
fi
TREE="$(cd "$TREE" && pwd)"
tree_files=$(find "$TREE" -type f | wc -l)
tree_bytes=$(find "$TREE" -type f -printf '%s\n' | awk '{s+=$1} END {printf "%d", s}')
log "tree $TREE: $tree_files files, $tree_bytes bytes"

{
    machine_info
    echo "misar-scan: $MS ($("$MS" --version 2>&1 | head -1), git $(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo '?'))"
    [[ -n "${MS_BASE:-}" ]] && echo "misar-scan-base: $MS_BASE"
    echo "rg: $("$RG" --version | head -1)"
    echo "threads: $THREADS"
    echo "tree: $TREE"
    [[ -f "$TREE.info" ]] && sed 's/^/tree_info: /' "$TREE.info"
    echo "tree_files: $tree_files"
    echo "tree_bytes: $tree_bytes"
    echo "loadavg_before: $(cut -d' ' -f1-3 /proc/loadavg)"
} >"$OUT/env.txt"
cat "$OUT/env.txt" >&2

start_times

# Same flags as bench/run.sh (see BENCHMARKS.md, "File-set semantics"):
# misar-scan with everything on (decoding, archives), reading every file;
# rg -uu --text (binary files read to the end), -c.
tool_argv() {
    case $1 in
        misar-scan) argv=("$MS" scan --no-config --no-ignore -j "$THREADS" -f json .) ;;
        misar-scan-base) argv=("$MS_BASE" scan --no-config --no-ignore -j "$THREADS" -f json .) ;;
        rg) argv=("$RG" --no-config --hidden --no-ignore --text -c --threads "$THREADS" "$PATTERN" .) ;;
        rg-F) argv=("$RG" --no-config --hidden --no-ignore --text -c --threads "$THREADS" -F -e msk_ -e ask_ -e mdk_ .) ;;
    esac
}
tools=(misar-scan)
[[ -n "${MS_BASE:-}" ]] && tools+=(misar-scan-base)
tools+=(rg rg-F)

log "warm-up: every file read once, then one untimed run of each tool"
find "$TREE" -type f -print0 | xargs -0 cat >/dev/null 2>&1 || true
for t in "${tools[@]}"; do
    tool_argv "$t"
    (cd "$TREE" && "${argv[@]}" >"$OUT/$t.out" 2>"$OUT/$t.stderr") || true
done
for ((i = 1; i <= RUNS; i++)); do
    for t in "${tools[@]}"; do
        tool_argv "$t"
        (cd "$TREE" && measure tree "$t" "$i" "$tree_bytes" "$OUT/last.out" "${argv[@]}")
    done
done
echo "loadavg_after: $(cut -d' ' -f1-3 /proc/loadavg)" >>"$OUT/env.txt"

# Medians of user and sys too (summarize.py gives wall, RSS and user+sys).
python3 "$HERE/summarize.py" "$OUT/times.tsv" | tee "$OUT/summary.md"
python3 - "$OUT/times.tsv" <<'PY' | tee -a "$OUT/summary.md"
import statistics, sys
from collections import defaultdict
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1])][1:]
by = defaultdict(list)
for r in rows:
    by[r[1]].append(r)
ref = {k: statistics.median(float(r[i]) for r in by["rg"]) for k, i in (("wall", 3), ("user", 5), ("sys", 6))} if "rg" in by else None
print("\n| tool | median wall | median user | median sys | peak RSS median | wall × rg |")
print("|---|---|---|---|---|---|")
for t, rs in by.items():
    w, u, s = (statistics.median(float(r[i]) for r in rs) for i in (3, 5, 6))
    rss = statistics.median(int(r[4]) for r in rs) / 1024
    ratio = f"{w / ref['wall']:.2f}" if ref else "–"
    print(f"| {t} | {w:.3f} s | {u:.2f} s | {s:.2f} s | {rss:.0f} MiB | {ratio} |")
PY
grep -h -o '"files_scanned": [0-9]*\|"bytes_scanned": [0-9]*\|"incomplete": [a-z]*' "$OUT"/misar-scan*.out 2>/dev/null | sort | uniq -c >&2 || true
log "results in $OUT"
