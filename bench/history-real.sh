#!/usr/bin/env bash
# `scan --git` on the whole history of real repositories (issue 16): time
# and peak RSS of misar-scan against `git cat-file --batch-all-objects
# --batch | rg` and Kingfisher (PyPI `kingfisher-bin`, which reads history
# with gitoxide), interleaved round by round, warm cache.
#
#   bash bench/history-real.sh [REPO...]
#
#   REPO   bare repositories to scan (default: bench/work/cargo.git and
#          bench/work/git.git, each made on first use with
#          `git clone --mirror https://github.com/rust-lang/cargo` and
#          `.../git/git`: every branch and tag, packed as the server sends
#          them). Any public copy will do; give its path.
#
# Environment:
#   RUNS=3          timed rounds after the warm-up (each round runs every tool once)
#   MS              misar-scan binary (default: built here, `cargo build --release --locked`)
#   MS_BASE         another misar-scan binary to time in the same rounds
#                   (e.g. the build before a change), shown as misar-scan-base
#   RG=rg           ripgrep (`cargo install --locked ripgrep --root DIR` for the
#                   current release; Debian 12's package is 13.0)
#   KINGFISHER      Kingfisher binary (default: installed with pip into
#                   bench/work/venv-kingfisher; skipped if that fails)
#   GIX=1           also time bench/gix-probe (built here): every object of
#                   the packs decoded once with gitoxide's gix-pack delta-tree
#                   traversal and each blob searched for the prefixes, the
#                   least a scanner built on gix-pack would do (GIX=0 skips it)
#   OUT             results directory (default bench/work/results/history-DATE)
#
# Results: OUT/times.tsv (one row per run, `set` = the repository's name),
# OUT/summary.md (bench/summarize.py, ratios to `cat-file|rg`), OUT/env.txt.
set -euo pipefail

BENCH=history-real
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
RUNS="${RUNS:-3}"
RG="${RG:-rg}"
results_dir history
need_rg_and_time
build_misar_scan
KF="${KINGFISHER:-$WORK/venv-kingfisher/bin/kingfisher}"
[[ -n "${KINGFISHER:-}" ]] || pip_tool venv-kingfisher kingfisher-bin kingfisher

GIX_PROBE="$HERE/gix-probe/target/release/gix-probe"
if [[ "${GIX:-1}" == 1 && ! -x "$GIX_PROBE" ]]; then
    log "building bench/gix-probe (gix-pack)"
    (cd "$HERE/gix-probe" && cargo build --release --locked --quiet) || log "gix-probe did not build: skipped"
fi

repos=("$@")
if ((${#repos[@]} == 0)); then
    for name in rust-lang/cargo git/git; do
        dir="$WORK/${name#*/}.git"
        if [[ ! -d "$dir" ]]; then
            log "cloning https://github.com/$name into $dir"
            git clone -q --mirror "https://github.com/$name" "$dir"
        fi
        repos+=("$dir")
    done
fi

describe() { # DIR: commits, objects, blob and tree bytes
    git -C "$1" count-objects -v | awk '/^(in-pack|size-pack)/ { printf "%s ", $0 }'
    echo "commits $(git -C "$1" rev-list --all --count)"
    git -C "$1" cat-file --batch-all-objects --batch-check='%(objecttype) %(objectsize)' |
        awk '{ n[$1]++; s[$1] += $2 } END { for (t in n) printf "%s: %d, %.2f GB\n", t, n[t], s[t] / 1e9 }'
    [[ -n "$(ls "$1"/objects/pack/*.promisor 2>/dev/null)" ]] && echo "a partial clone (promisor pack)"
    true
}

{
    machine_info
    echo "misar-scan: $MS ($("$MS" --version 2>&1 | head -1), git $(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo '?'))"
    [[ -n "${MS_BASE:-}" ]] && echo "misar-scan-base: $MS_BASE"
    echo "rg: $("$RG" --version | head -1)"
    echo "git: $(git --version)"
    [[ -x "$KF" ]] && echo "kingfisher: $("$KF" --version 2>&1 | head -1)"
    for r in "${repos[@]}"; do
        echo "repo $r:"
        describe "$r" | sed 's/^/  /'
    done
    echo "loadavg_before: $(cut -d' ' -f1-3 /proc/loadavg)"
} >"$OUT/env.txt"
cat "$OUT/env.txt" >&2

start_times

tool_argv() { # TOOL DIR
    case $1 in
        misar-scan) argv=("$MS" scan --git "$2" -f json -o /dev/null) ;;
        misar-scan-base) argv=("$MS_BASE" scan --git "$2" -f json -o /dev/null) ;;
        # Every object, as one stream: what any history scanner must at
        # least read. rg counts matching lines.
        cat-file\|rg) argv=(bash -c "git -C '$2' cat-file --batch-all-objects --batch | '$RG' -a -c -e '$PATTERN'") ;;
        gix-pack) argv=("$GIX_PROBE" "$2"/objects/pack/*.idx) ;;
        kingfisher) argv=("$KF" scan "$2" --no-update-check --load-builtins false
            --rules-path "$HERE/peers/kingfisher-misar.yaml" --no-validate --git-history full
            --no-extract-archives -f json) ;;
    esac
}
tools=(misar-scan)
[[ -n "${MS_BASE:-}" ]] && tools+=(misar-scan-base)
tools+=("cat-file|rg")
[[ -x "$KF" ]] && tools+=(kingfisher)
[[ "${GIX:-1}" == 1 && -x "$GIX_PROBE" ]] && tools+=(gix-pack)

for r in "${repos[@]}"; do
    set=$(basename "$r" .git)
    # A copy kept as NAME/repo (or NAME/.git) is named by its folder.
    [[ "$set" == repo || "$set" == "" ]] && set=$(basename "$(dirname "$r")")
    log "$set: warm-up (every pack read once, one untimed run of each tool)"
    cat "$r"/objects/pack/*.pack >/dev/null
    for t in "${tools[@]}"; do
        tool_argv "$t" "$r"
        "${argv[@]}" >/dev/null 2>"$OUT/$set-$t.stderr" || true
    done
    for ((i = 1; i <= RUNS; i++)); do
        for t in "${tools[@]}"; do
            tool_argv "$t" "$r"
            measure "$set" "$t" "$i" 0 "$OUT/last.out" "${argv[@]}"
        done
    done
done
echo "loadavg_after: $(cut -d' ' -f1-3 /proc/loadavg)" >>"$OUT/env.txt"

python3 - "$OUT/times.tsv" <<'PY' | tee "$OUT/summary.md"
import statistics, sys
from collections import defaultdict
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1])][1:]
sets = defaultdict(lambda: defaultdict(list))
for r in rows:
    sets[r[0]][r[1]].append(r)
for s, by in sets.items():
    ref = statistics.median(float(r[3]) for r in by["cat-file|rg"])
    print(f"\n**{s}**\n")
    print("| tool | runs | median wall | median user | median sys | median peak RSS | wall × cat-file\\|rg |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for t, rs in by.items():
        w, u, y = (statistics.median(float(r[i]) for r in rs) for i in (3, 5, 6))
        rss = statistics.median(int(r[4]) for r in rs) / 1024
        print(f"| {t} | {len(rs)} | {w:.2f} s | {u:.2f} s | {y:.2f} s | {rss:.0f} MiB | {w / ref:.2f} |")
PY
log "results in $OUT"
