#!/usr/bin/env bash
# `misar-scan scan -` on a long pipe: throughput and peak memory.
#
#   bash bench/stdin-stream.sh [GIB]
#
#   GIB    how much to pipe, in GiB (default 2): a 64 MiB block of real
#          source text (the crates in the local cargo registry, or this
#          repository's sources) with 2 planted keys, repeated.
#
# Environment:
#   RUNS=3          timed runs
#   CARGO_TARGET_DIR  where misar-scan is built (default: the repo's target/)
#   OUT             results directory (default bench/work/results/stdin-DATE)
#
# The stream is produced by `cat`-ing the cached block GIB*16 times into the
# pipe, so the producer is not the bottleneck (its own rate, into
# `cat > /dev/null`, is measured too). misar-scan runs under
# `/usr/bin/time -f '%e %M %U %S'` (wall, peak RSS in KiB, user, sys).
# Checks: exit 1, exactly 2 keys x repetitions found, bytes_scanned = the
# stream's length, not incomplete. Results: OUT/summary.md, OUT/times.tsv.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(dirname "$HERE")"
GIB="${1:-2}"
RUNS="${RUNS:-3}"
OUT="${OUT:-$HERE/work/results/stdin-$(date +%Y%m%d-%H%M%S)}"
WORK="$HERE/work"
mkdir -p "$OUT" "$WORK"

[ -x /usr/bin/time ] || { echo "needs /usr/bin/time (apt-get install time)" >&2; exit 2; }
(cd "$REPO" && cargo build --release --quiet)
BIN="${CARGO_TARGET_DIR:-$REPO/target}/release/misar-scan"

BLOCK="$WORK/stdin-block.txt"
BLOCK_BYTES=$((64 << 20))
if [ ! -f "$BLOCK" ] || [ "$(stat -c %s "$BLOCK")" -ne "$BLOCK_BYTES" ]; then
    python3 - "$BLOCK" "$BLOCK_BYTES" "$REPO" <<'EOF'
import glob, os, random, sys
out, size, repo = sys.argv[1], int(sys.argv[2]), sys.argv[3]
files = sorted(glob.glob(os.path.expanduser("~/.cargo/registry/src/*/*/src/**/*.rs"), recursive=True))
if len(files) < 50:
    files = sorted(glob.glob(os.path.join(repo, "src/**/*.rs"), recursive=True))
rng = random.Random(20240611)
base62 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
key = lambda p: p + "".join(rng.choice(base62) for _ in range(32))
planted = [f'MISAR_API_KEY="{key("msk_")}"\n', f"Authorization: Bearer {key('ask_')}\n"]
parts, total = [], 0
budget = size - sum(len(p) for p in planted)
while total < budget:
    for f in files:
        try:
            text = open(f, encoding="utf-8", errors="replace").read()
        except OSError:
            continue
        # Text that holds key-shaped runs would add findings: leave it out.
        if any(p in text for p in ("msk_", "ask_", "mdk_")):
            continue
        text = text[: budget - total]
        parts.append(text)
        total += len(text.encode())
        if total >= budget:
            break
data = "".join(parts).encode()[:budget]
mid = len(data) // 2
data = planted[0].encode() + data[:mid] + b"\n" + planted[1].encode() + data[mid:]
data = data[:size]
open(out, "wb").write(data)
EOF
fi
REPS=$((GIB * 16))
TOTAL=$((REPS * BLOCK_BYTES))
produce() { for _ in $(seq "$REPS"); do cat "$BLOCK"; done; }
produce > /dev/null  # warm the page cache

printf 'run\ttool\twall_s\tpeak_rss_kib\tuser_s\tsys_s\n' > "$OUT/times.tsv"
for run in $(seq "$RUNS"); do
    start=$(date +%s%N)
    produce | cat > /dev/null
    end=$(date +%s%N)
    printf '%s\tcat\t%s\t-\t-\t-\n' "$run" "$(awk "BEGIN { printf \"%.3f\", ($end - $start) / 1e9 }")" >> "$OUT/times.tsv"

    produce | /usr/bin/time -o "$OUT/time.$run" -f '%e %M %U %S' \
        "$BIN" scan --no-config - -f json > "$OUT/report.$run.json" || code=$?
    [ "${code:-0}" -eq 1 ] || { echo "run $run: exit ${code:-0}, expected 1" >&2; exit 1; }
    unset code
    # GNU time puts "Command exited with non-zero status 1" first.
    read -r wall rss user sys < <(tail -n 1 "$OUT/time.$run")
    printf '%s\tmisar-scan\t%s\t%s\t%s\t%s\n' "$run" "$wall" "$rss" "$user" "$sys" >> "$OUT/times.tsv"
    python3 - "$OUT/report.$run.json" "$TOTAL" "$REPS" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
total, reps = int(sys.argv[2]), int(sys.argv[3])
s = r["summary"]
assert s["bytes_scanned"] == total, (s["bytes_scanned"], total)
assert not s["incomplete"]
keys = [f for f in r["findings"] if f["rule_id"] in ("misar-mail-api-key", "assisters-api-key")]
assert len(keys) == 2 * reps, (len(keys), 2 * reps)
assert all(f["path"] == "<stdin>" for f in keys)
EOF
done

python3 - "$OUT/times.tsv" "$TOTAL" > "$OUT/summary.md" <<'EOF'
import csv, statistics, sys, os
rows = list(csv.DictReader(open(sys.argv[1]), delimiter="\t"))
total = int(sys.argv[2])
ms = [r for r in rows if r["tool"] == "misar-scan"]
cat = [float(r["wall_s"]) for r in rows if r["tool"] == "cat"]
wall = [float(r["wall_s"]) for r in ms]
rss = [int(r["peak_rss_kib"]) for r in ms]
cpu = [float(r["user_s"]) + float(r["sys_s"]) for r in ms]
med = statistics.median(wall)
load = os.getloadavg()
print(f"`producer | misar-scan scan --no-config - -f json`, {total:,} bytes ({total / 2**30:.0f} GiB), "
      f"{len(ms)} runs (load average {load[0]:.1f} at the end)\n")
print("| | median wall | min – max | MB/s | peak RSS (max) | CPU user+sys (median) |")
print("|---|---|---|---|---|---|")
print(f"| misar-scan `scan -` | {med:.2f} s | {min(wall):.2f} – {max(wall):.2f} | "
      f"{total / 1e6 / med:,.0f} | {max(rss) / 1024:.1f} MiB | {statistics.median(cpu):.2f} s |")
cm = statistics.median(cat)
print(f"| producer into `cat > /dev/null` | {cm:.2f} s | {min(cat):.2f} – {max(cat):.2f} | "
      f"{total / 1e6 / cm:,.0f} | – | – |")
EOF
cat "$OUT/summary.md"
echo "results in $OUT"
