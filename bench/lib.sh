# Sourced by the bench scripts (run.sh, tree-vs-rg.sh, history-real.sh) after
# `set -euo pipefail` and BENCH=<their name>: the folders, the regex every
# reference tool is given, and the set-up steps they share.
#
#   HERE (bench/), REPO (the checkout), WORK (bench/work), PATTERN (SPEC §1's
#   key grammar as a regex), LC_ALL=C
#   log MESSAGE...        "[BENCH] MESSAGE" on standard error
#   results_dir KIND      OUT, default WORK/results/KIND-DATE, made and absolute
#   need_rg_and_time      exit 2 without ripgrep ($RG) or /usr/bin/time
#   build_misar_scan      MS: unless set, a release build of this checkout
#   machine_info          date, cores, CPU, memory and kernel lines for env.txt
#   start_times           OUT/times.tsv with its header row
#   measure SET TOOL RUN BYTES OUTFILE COMMAND...
#                         runs COMMAND under /usr/bin/time (output to OUTFILE
#                         and OUTFILE.stderr) and adds its row:
#                         wall, peak RSS, user, sys, exit code, BYTES
#   pip_tool VENV PKG BIN PKG installed into WORK/VENV unless VENV/bin/BIN is
#                         there; logs and goes on when it cannot be installed
#                         (the tool is then left out of the runs)
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(dirname "$HERE")"
WORK="$HERE/work"
export LC_ALL=C
# The equivalent of misar-scan's built-in rules as one regex (SPEC §1): not
# preceded by [A-Za-z0-9_], prefix, 20-128 base62, then a non-base62 byte or
# the end of the line. Placeholder/entropy filtering has no regex equivalent,
# so rg also counts placeholders; it does the same scanning work.
PATTERN='(^|[^A-Za-z0-9_])(msk|ask|mdk)_[A-Za-z0-9]{20,128}([^A-Za-z0-9]|$)'

log() { printf '[%s] %s\n' "$BENCH" "$*" >&2; }

results_dir() {
    OUT="${OUT:-$WORK/results/$1-$(date +%Y%m%d-%H%M%S)}"
    mkdir -p "$OUT"
    OUT="$(cd "$OUT" && pwd)"
}

need_rg_and_time() {
    command -v "$RG" >/dev/null || { log "no ripgrep at '$RG' (set RG=...)"; exit 2; }
    [[ -x /usr/bin/time ]] || { log "/usr/bin/time missing (apt-get install time)"; exit 2; }
}

build_misar_scan() {
    if [[ -z "${MS:-}" ]]; then
        log "building misar-scan (release) in $REPO"
        (cd "$REPO" && cargo build --release --locked --quiet)
        MS="${CARGO_TARGET_DIR:-$REPO/target}/release/misar-scan"
    fi
}

pip_tool() {
    local venv="$WORK/$1" pkg=$2 bin=$3
    if [[ ! -x "$venv/bin/$bin" ]]; then
        log "installing $pkg (pip) in $venv"
        { python3 -m venv "$venv" && "$venv/bin/pip" install -q "$pkg"; } ||
            log "$pkg could not be installed: skipped"
    fi
}

start_times() {
    printf 'set\ttool\trun\twall_s\tmaxrss_kb\tuser_s\tsys_s\texit\tbytes\n' >"$OUT/times.tsv"
}

measure() {
    local set=$1 label=$2 run=$3 bytes=$4 out=$5
    shift 5
    local tf rc=0 t0 t1 rss usr sys
    tf=$(mktemp)
    t0=$(date +%s%N)
    /usr/bin/time -f '%M %U %S' -o "$tf" "$@" >"$out" 2>"$out.stderr" || rc=$?
    t1=$(date +%s%N)
    # /usr/bin/time adds "Command exited with non-zero status N" before its line.
    read -r rss usr sys < <(tail -1 "$tf")
    rm -f "$tf"
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$set" "$label" "$run" \
        "$(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.4f", (b-a)/1e9}')" "$rss" "$usr" "$sys" "$rc" "$bytes" >>"$OUT/times.tsv"
    log "$set $label #$run: $(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.3f s", (b-a)/1e9}') user $usr sys $sys, $((rss / 1024)) MiB, exit $rc"
}

machine_info() {
    echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo "nproc: $(nproc)"
    echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
    echo "mem: $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo)"
    echo "kernel: $(uname -r)"
}
