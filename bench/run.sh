#!/usr/bin/env bash
# Time misar-scan against ripgrep (and, optionally, peer secret scanners) on a
# large tree, interleaved, warm cache; check that misar-scan found exactly the
# planted keys.
#
#   bash bench/run.sh [TREE]
#
#   TREE   default bench/work/tree (built by bench/make-tree.sh if missing).
#          Any directory works; planted-key checks need TREE.planted.tsv
#          (written by make-tree.sh) and are skipped without it.
#
# Environment:
#   RUNS=7          timed runs per tool on TREE (interleaved A B A B ...)
#   THREADS=nproc   threads for every tool
#   PEERS=1         also time Kingfisher (full tree), ripsecrets and
#                   detect-secrets (on a SUBSET_MB subset: they are slow); 0: skip
#   PEER_RUNS=3     timed runs per peer (interleaved with misar-scan and rg)
#   SUBSET_MB=20    size of the subset of TREE given to ripsecrets and detect-secrets
#   BIG=1           also time a 500 MiB single file and a 50 MB one-line file
#   BIG_RUNS=5      timed runs per tool on each big file
#   SETS="tree peers subset big"   which measurements to make
#   CARGO_TARGET_DIR  where misar-scan is built (default: the repo's target/)
#   OUT             results directory (default bench/work/results/DATE)
#
# Results: OUT/times.tsv (one row per run), OUT/summary.md (tables),
# OUT/checks.txt (correctness), OUT/env.txt (machine and versions).
set -euo pipefail

BENCH=bench
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
TREE="${1:-$WORK/tree}"
RUNS="${RUNS:-7}"
THREADS="${THREADS:-$(nproc)}"
PEERS="${PEERS:-1}"
PEER_RUNS="${PEER_RUNS:-3}"
SUBSET_MB="${SUBSET_MB:-20}"
BIG="${BIG:-1}"
BIG_RUNS="${BIG_RUNS:-5}"
OUT="${OUT:-$WORK/results/$(date +%Y%m%d-%H%M%S)}"
SETS="${SETS:-tree peers subset big}"
want() { [[ " $SETS " == *" $1 "* ]]; }
mkdir -p "$OUT"
OUT="$(cd "$OUT" && pwd)"

# ---------------------------------------------------------------- tools
apt_updated=0
need_apt() {
    if ((apt_updated == 0)); then
        log "apt-get update"
        apt-get update -qq
        apt_updated=1
    fi
    log "apt-get install -y $*"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}
command -v rg >/dev/null || need_apt ripgrep
[[ -x /usr/bin/time ]] || need_apt time
command -v hyperfine >/dev/null || need_apt hyperfine

TARGET="${CARGO_TARGET_DIR:-$REPO/target}"
log "building misar-scan (release) in $TARGET"
(cd "$REPO" && CARGO_TARGET_DIR="$TARGET" cargo build --release --quiet)
MS="$TARGET/release/misar-scan"

KF="$WORK/venv-kingfisher/bin/kingfisher"
DS="$WORK/venv-detect-secrets/bin/detect-secrets"
RS="$WORK/tools/bin/ripsecrets"
if ((PEERS)); then
    pip_tool venv-kingfisher kingfisher-bin kingfisher
    pip_tool venv-detect-secrets detect-secrets detect-secrets
    if [[ ! -x "$RS" ]]; then
        log "building ripsecrets (cargo install, a few minutes) in $WORK/tools"
        CARGO_TARGET_DIR="$WORK/cargo-target" cargo install --quiet ripsecrets --root "$WORK/tools" ||
            log "ripsecrets could not be built: skipped"
    fi
fi

# ---------------------------------------------------------------- tree
if [[ ! -d "$TREE" ]]; then
    if [[ "$TREE" == "$WORK/tree" ]]; then
        bash "$HERE/make-tree.sh" 1.2 "$TREE"
    else
        log "no such tree: $TREE"
        exit 2
    fi
fi
TREE="$(cd "$TREE" && pwd)"
tree_files=$(find "$TREE" -type f | wc -l)
tree_bytes=$(find "$TREE" -type f -printf '%s\n' | awk '{s+=$1} END {printf "%d", s}')
log "tree $TREE: $tree_files files, $tree_bytes bytes"

# ---------------------------------------------------------------- environment
{
    machine_info
    echo "misar-scan: $("$MS" --version 2>&1 | head -1) (git $(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo '?'))"
    echo "rustc: $(rustc --version)"
    echo "rg: $(rg --version | head -1)"
    echo "hyperfine: $(hyperfine --version 2>/dev/null || echo none)"
    [[ -x "$KF" ]] && echo "kingfisher: $("$KF" --version 2>&1 | head -1)"
    [[ -x "$DS" ]] && echo "detect-secrets: $("$DS" --version 2>&1 | head -1)"
    [[ -x "$RS" ]] && echo "ripsecrets: $("$RS" --version 2>&1 | head -1)"
    echo "threads: $THREADS"
    echo "tree: $TREE"
    echo "tree_files: $tree_files"
    echo "tree_bytes: $tree_bytes"
    echo "loadavg_before: $(cut -d' ' -f1-3 /proc/loadavg)"
} >"$OUT/env.txt"
cat "$OUT/env.txt" >&2

# ---------------------------------------------------------------- measuring
# measure SET LABEL RUN BYTES OUTFILE CMD...   (run from the current directory)
# Wall time from date +%s%N around /usr/bin/time; peak RSS, user and system
# time from /usr/bin/time. One row per run in times.tsv.
printf 'set\ttool\trun\twall_s\tmaxrss_kb\tuser_s\tsys_s\texit\tbytes\n' >"$OUT/times.tsv"

# Commands, each run with the scanned directory as the current directory and
# `.` as the path, so reported paths are relative to the tree.
#   misar-scan: --no-config (no .misar-scan.toml allow-list from a parent
#     checkout), --no-ignore (read every file, like rg -uu; the tree holds no
#     ignore files, this only stops a parent .gitignore from applying).
#   rg: --hidden --no-ignore (= -uu: hidden files, no ignore files), --text
#     (search binary files through to the end, as misar-scan does, instead of
#     stopping at the first NUL byte), -c (a count per matching file: output is
#     negligible for both tools), --no-config (ignore RIPGREP_CONFIG_PATH).
#   Neither follows symlinks; misar-scan always skips .git/ (the tree has none).
ds_disable=()
if [[ -x "$DS" ]]; then
    while read -r p; do ds_disable+=(--disable-plugin "$p"); done < <("$DS" scan --list-all-plugins)
fi

# run_set SET DIR BYTES NRUNS TOOL...   TOOL is a name known to tool_argv.
tool_argv() {
    case $1 in
        misar-scan) argv=("$MS" scan --no-config --no-ignore -j "$THREADS" -f json .) ;;
        misar-scan-defaults) argv=("$MS" scan --no-config -j "$THREADS" -f json .) ;;
        # Decoding (base64, percent, escapes, UTF-16) and archives off: the
        # plain-key scanner, to measure what decoding costs.
        misar-scan-nodecode) argv=("$MS" scan --no-config --no-ignore --no-decode --no-archives -j "$THREADS" -f json .) ;;
        # The fastest pattern for rg: a literal prefix, no boundary group (it
        # also matches task_..., so it is a speed reference, not an equivalent).
        rg-literal) argv=(rg --no-config --hidden --no-ignore --text -c --threads "$THREADS"
            '(msk|ask|mdk)_[A-Za-z0-9]{20,128}' .) ;;
        rg) argv=(rg --no-config --hidden --no-ignore --text -c --threads "$THREADS" "$PATTERN" .) ;;
        kingfisher) argv=("$KF" scan . --no-update-check --load-builtins false
            --rules-path "$HERE/peers/kingfisher-misar.yaml" --no-validate --git-history none
            --no-extract-archives -j "$THREADS" -f json) ;;
        kingfisher-turbo) argv=("$KF" scan . --no-update-check --load-builtins false
            --rules-path "$HERE/peers/kingfisher-misar.yaml" --no-validate --git-history none
            --no-extract-archives --turbo -j "$THREADS" -f json) ;;
        ripsecrets) argv=("$RS" --only-matching --additional-pattern '(?:^|[^A-Za-z0-9_])((?:msk|ask|mdk)_[A-Za-z0-9]{20,128})(?:[^A-Za-z0-9]|$)' .) ;;
        detect-secrets) argv=("$DS" scan --all-files -p "$HERE/peers/misar_detect_secrets.py" "${ds_disable[@]}" .) ;;
        *) log "unknown tool $1"; exit 2 ;;
    esac
}
available() {
    case $1 in
        kingfisher*) [[ -x "$KF" ]] ;;
        ripsecrets) [[ -x "$RS" ]] ;;
        detect-secrets) [[ -x "$DS" ]] ;;
        *) true ;;
    esac
}

run_set() {
    local set=$1 dir=$2 bytes=$3 n=$4
    shift 4
    local tools=() t i
    for t in "$@"; do available "$t" && tools+=("$t") || log "$t not installed: skipped"; done
    log "== $set: ${tools[*]} on $dir, warm-up then $n interleaved runs each"
    # Warm-up: page cache (every file read once) and one untimed run each,
    # whose output is kept for the correctness checks.
    find "$dir" -type f -print0 | xargs -0 cat >/dev/null 2>&1 || true
    for t in "${tools[@]}"; do
        tool_argv "$t"
        (cd "$dir" && "${argv[@]}" >"$OUT/$set.$t.out" 2>"$OUT/$set.$t.stderr") || true
    done
    for ((i = 1; i <= n; i++)); do
        for t in "${tools[@]}"; do
            tool_argv "$t"
            (cd "$dir" && measure "$set" "$t" "$i" "$bytes" "$OUT/last.out" "${argv[@]}")
        done
    done
}

# ---------------------------------------------------------------- 1. the tree
if want tree; then
    run_set tree "$TREE" "$tree_bytes" "$RUNS" misar-scan rg rg-literal misar-scan-defaults misar-scan-nodecode
fi

# ---------------------------------------------------------------- 2. peers
if ((PEERS)) && want peers; then
    run_set peers "$TREE" "$tree_bytes" "$PEER_RUNS" misar-scan rg kingfisher kingfisher-turbo
fi
if ((PEERS)) && want subset; then
    # detect-secrets reads well under 1 MB/s per core here and ripsecrets
    # ~5 MB/s (minutes per run on the full tree): they get a subset,
    # the first SUBSET_MB of TREE's files in sorted path order plus every
    # file holding a planted key, same relative paths (bench/work/subset).
    SUB="$WORK/subset"
    rm -rf "$SUB"
    python3 - "$TREE" "$SUB" "$SUBSET_MB" <<'PY'
import os, shutil, sys
tree, sub, mb = sys.argv[1], sys.argv[2], float(sys.argv[3])
want = set()
if os.path.exists(tree + ".planted.tsv"):
    want = {l.split("\t")[0] for l in open(tree + ".planted.tsv")}
total, picked = 0, []
for root, dirs, files in os.walk(tree):
    dirs.sort()
    for f in sorted(files):
        p = os.path.join(root, f)
        if os.path.islink(p) or not os.path.isfile(p):
            continue
        rel = os.path.relpath(p, tree)
        if total < mb * 1e6 or rel in want:
            picked.append(rel)
            total += os.path.getsize(p)
for rel in picked:
    os.makedirs(os.path.dirname(os.path.join(sub, rel)), exist_ok=True)
    shutil.copy2(os.path.join(tree, rel), os.path.join(sub, rel))
PY
    sub_bytes=$(find "$SUB" -type f -printf '%s\n' | awk '{s+=$1} END {printf "%d", s}')
    log "subset $SUB: $(find "$SUB" -type f | wc -l) files, $sub_bytes bytes"
    run_set subset "$SUB" "$sub_bytes" "$PEER_RUNS" misar-scan rg ripsecrets detect-secrets
fi

# ---------------------------------------------------------------- 3. big files
if ((BIG)) && want big; then
    BIGDIR="$WORK/big"
    mkdir -p "$BIGDIR"
    if [[ ! -f "$BIGDIR/concat-500MiB.txt" || ! -f "$BIGDIR/minified-50MB.js" ]]; then
        log "generating big files in $BIGDIR"
        python3 "$HERE/make-big.py" "$TREE" "$BIGDIR"
    fi
    for f in concat-500MiB.txt minified-50MB.js; do
        b=$(stat -c %s "$BIGDIR/$f")
        # Single files: rg memory-maps a file it is given by name; --no-mmap
        # shows its read(2) path, which is what misar-scan does (4 MiB chunks).
        set_name="big-${f%%.*}"
        warm() { cat "$BIGDIR/$f" >/dev/null; }
        warm
        (cd "$BIGDIR" && "$MS" scan --no-config -f json "$f" >"$OUT/$set_name.misar-scan.out" 2>/dev/null) || true
        for ((i = 1; i <= BIG_RUNS; i++)); do
            (cd "$BIGDIR" && measure "$set_name" misar-scan "$i" "$b" "$OUT/last.out" "$MS" scan --no-config -f json "$f")
            (cd "$BIGDIR" && measure "$set_name" rg "$i" "$b" "$OUT/last.out" rg --no-config --text -c "$PATTERN" "$f")
            (cd "$BIGDIR" && measure "$set_name" rg-no-mmap "$i" "$b" "$OUT/last.out" rg --no-config --text -c --no-mmap "$PATTERN" "$f")
        done
    done
fi

echo "loadavg_after: $(cut -d' ' -f1-3 /proc/loadavg)" >>"$OUT/env.txt"

# ---------------------------------------------------------------- checks and summary
python3 "$HERE/check.py" "$OUT" "$TREE" "${BIGDIR:-}" "${SUB:-}" | tee "$OUT/checks.txt"
python3 "$HERE/summarize.py" "$OUT/times.tsv" | tee "$OUT/summary.md"
log "results in $OUT"
if grep -q '^FAIL' "$OUT/checks.txt"; then
    log "misar-scan did not find exactly the planted keys: see $OUT/checks.txt"
    exit 1
fi
