#!/usr/bin/env bash
# Benchmark `misar-scan scan --git` and `scan --staged` (issue 3).
#
#   bench/git-history.sh [WORKDIR]        (default: /tmp/misar-bench-git)
#
# 1. Builds a repository with a long history from real source: every crate in
#    the local cargo registry cache committed in batches, with edit commits in
#    between (bench/gen-history.py; a few fake keys planted).
# 2. Times, interleaved round by round with a warm cache, `misar-scan scan
#    --git` (release build) against `git cat-file --batch-all-objects --batch
#    | rg` and `git log -p --all | rg`, recording wall time and peak RSS with
#    GNU time; prints medians and ratios. Twice: on the pack fast-import
#    wrote (long chains of deltas against the previous version) and on a
#    clone repacked as `git gc` leaves a repository. The same for a history
#    about half as long, to see whether memory grows with history.
# 3. Builds a 50,000-file repository, stages a 3-file change and times
#    `misar-scan scan --staged` with hyperfine.
#
# Needs: git, python3, rg (ripgrep), /usr/bin/time (GNU), hyperfine.
# Environment: MISAR_SCAN (binary; default: release build under
# CARGO_TARGET_DIR or target/), ROUNDS (default 5), KINGFISHER (the peer's
# binary; default: the one bench/run.sh installs, else PATH; skipped if none).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
work=${1:-/tmp/misar-bench-git}
rounds=${ROUNDS:-5}
bin=${MISAR_SCAN:-${CARGO_TARGET_DIR:-$root/target}/release/misar-scan}
pattern='(msk|ask|mdk)_[A-Za-z0-9]{20,128}'
mkdir -p "$work"
# Kingfisher (a peer that reads history with gitoxide), if bench/run.sh
# installed it or it is on PATH; Misar rule only (bench/peers).
kingfisher=${KINGFISHER:-$root/bench/work/venv-kingfisher/bin/kingfisher}
[ -x "$kingfisher" ] || kingfisher=$(command -v kingfisher || true)
for tool in git python3 rg /usr/bin/time hyperfine; do
    command -v "$tool" >/dev/null || { echo "error: \`$tool\` is needed" >&2; exit 2; }
done
if [ ! -x "$bin" ]; then
    (cd "$root" && cargo build --release --locked -q)
fi

make_history() { # DIR [gen-history args]
    local dir=$1; shift
    if [ ! -d "$dir" ]; then
        git init -q "$dir"
        (cd "$dir" && python3 "$here/gen-history.py" "$@" | git fast-import --quiet)
    fi
}

describe() { # DIR
    local commits blobs
    commits=$(git -C "$1" rev-list --all --count)
    blobs=$(git -C "$1" cat-file --batch-all-objects --batch-check='%(objecttype) %(objectsize)' |
        awk '$1 == "blob" { n++; s += $2 } END { printf "%d blobs, %.0f MB", n, s / 1e6 }')
    echo "$commits commits, $blobs, pack $(du -sm "$1/.git/objects/pack" | cut -f1) MB"
}

measure() { # NAME COMMAND -> appends "NAME seconds max_rss_kib" to $results
    /usr/bin/time -f "%e %M" -o "$work/time.txt" bash -c "$2" >/dev/null 2>&1 || true
    echo "$1 $(tail -n 1 "$work/time.txt")" >>"$results"
}

report() { # prints the median of each command, and ratios to the cat-file pipe
    python3 - "$results" <<'PY'
import statistics, sys
rows = {}
for line in open(sys.argv[1]):
    name, secs, kib = line.split()
    rows.setdefault(name, []).append((float(secs), int(kib)))
base = statistics.median(s for s, _ in rows["cat-file|rg"])
print("| command | median wall (s) | runs | ratio to cat-file\\|rg | median peak RSS (MiB) |")
print("|---|---:|---:|---:|---:|")
for name, rs in rows.items():
    t = statistics.median(s for s, _ in rs)
    m = statistics.median(k for _, k in rs) / 1024
    print(f"| `{name}` | {t:.2f} | {len(rs)} | {t / base:.2f}× | {m:.0f} |")
PY
}

bench_history() { # DIR LABEL
    local dir=$1
    echo
    echo "## $2: $(describe "$dir")"
    results="$work/results-$(basename "$dir").txt"
    : >"$results"
    # Warm the page cache.
    git -C "$dir" cat-file --batch-all-objects --batch >/dev/null
    "$bin" scan --git "$dir" -f json -o /dev/null 2>/dev/null || true
    for _ in $(seq "$rounds"); do
        measure "misar-scan" "'$bin' scan --git '$dir' -f json -o /dev/null"
        measure "cat-file|rg" "git -C '$dir' cat-file --batch-all-objects --batch | rg -a -c -e '$pattern'"
        measure "log-p|rg" "git -C '$dir' log -p --all | rg -a -c -e '$pattern'"
        if [ -n "$kingfisher" ]; then
            measure "kingfisher" "cd '$dir' && '$kingfisher' scan . --no-update-check --load-builtins false \
                --rules-path '$here/peers/kingfisher-misar.yaml' --no-validate --git-history full \
                --no-extract-archives -f json"
        fi
    done
    report
    echo
    echo "findings: $("$bin" scan --git "$dir" -f json 2>/dev/null | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["findings"]))')"
}

make_repacked() { # SRC DST: a clone of SRC, repacked as `git gc` would
    if [ ! -d "$2" ]; then
        git clone -q --no-local --no-checkout "$1" "$2" 2>/dev/null
        git -C "$2" repack -adfq
    fi
}

make_history "$work/history" --keys-out "$work/keys.txt"
make_history "$work/history-half" --max-crates 140
make_repacked "$work/history" "$work/history-repacked"
make_repacked "$work/history-half" "$work/history-half-repacked"
echo "# misar-scan git benchmark, $(date -u +%Y-%m-%d), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "binary: $bin ($("$bin" --version))"
bench_history "$work/history" "full history, as fast-import packed it"
bench_history "$work/history-repacked" "full history, cloned and repacked (git repack -adf)"
bench_history "$work/history-half" "half history, as fast-import packed it"
bench_history "$work/history-half-repacked" "half history, cloned and repacked"

# The staged scan on a 50,000-file repository with a 3-file change.
big="$work/big"
if [ ! -d "$big" ]; then
    git init -q "$big"
    python3 - <<'PY' | (cd "$big" && git fast-import --quiet)
import sys
out = sys.stdout.buffer
out.write(b"commit refs/heads/main\nauthor B <b@example.com> 1600000000 +0000\ncommitter B <b@example.com> 1600000000 +0000\ndata 4\nbig\n")
for i in range(52000):
    data = b"// file %d\nfn f%d() -> u32 { %d }\n" % (i, i, i * 7)
    out.write(b"M 100644 inline src/m%03d/d%02d/f%05d.rs\ndata %d\n" % (i % 400, i % 23, i, len(data)) + data + b"\n")
PY
    git -C "$big" reset -q --hard main
fi
(
    cd "$big"
    git reset -q --hard main
    echo "// edited" >>src/m024/d01/f00024.rs
    echo 'const K: &str = "msk_u8jzPde0IgxLd6GncfBAepfJBd0Kh8oO";' >>src/m025/d02/f00025.rs
    printf 'new file\n' >src/new.rs
    git add -A
    echo
    echo "## scan --staged: $(git ls-files | wc -l) files in the index, $(git diff --cached --name-only | wc -l) staged changes"
    hyperfine -N --warmup 3 --runs 30 -i --export-json "$work/staged.json" \
        "'$bin' scan --staged -f json -o /dev/null" "git diff --cached --name-only" | sed -n '/Time/p'
    python3 -c "import json,sys; [print(\"median %.1f ms: %s\" % (x[\"median\"] * 1000, x[\"command\"])) for x in json.load(open(sys.argv[1]))[\"results\"]]" "$work/staged.json"
    git reset -q --hard main
)
