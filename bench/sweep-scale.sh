#!/usr/bin/env bash
# Sweep at scale (issue 16, item 5): a sweep over N generated repositories
# (default 1,000) and `report merge` of the same sweep run as S shards
# (default 20). Records wall time, peak RSS, what the progress output says
# when stderr is not a terminal, and the report folder's size.
#
#   MISAR_SCAN=target/release/misar-scan bash bench/sweep-scale.sh [DIR]
#
# The repositories are made with `git fast-import` (no network): each has
# COMMITS commits (default 30) over FILES files (default 12) of a few lines;
# every 10th repository has one of 10 distinct keys added in one commit and
# removed in a later one (so the key is in the history only). The keys are
# verified against MISAR_API_URL, by default a closed port on 127.0.0.1: the
# API part is the same 10 "unknown" answers whatever N is, and the figures
# are those of the scan, the state and the reports.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-1000}
SHARDS=${SHARDS:-20}
COMMITS=${COMMITS:-30}
FILES=${FILES:-12}
DIR=${1:-/tmp/misar-bench-sweep}
BIN=${MISAR_SCAN:-}
if [ -z "$BIN" ]; then
    cargo build --release --locked -q
    BIN=target/release/misar-scan
fi
BIN=$(realpath "$BIN")
export MISAR_API_URL=${MISAR_API_URL:-http://127.0.0.1:9}
log() { printf '[sweep-scale] %s\n' "$*" >&2; }

repos="$DIR/repos"
if [ ! -f "$repos/.done-$N-$COMMITS-$FILES" ]; then
    rm -rf "$repos"
    mkdir -p "$repos"
    log "generating $N repositories ($COMMITS commits, $FILES files each)"
    python3 - "$repos" "$N" "$COMMITS" "$FILES" <<'PY'
import os, random, string, subprocess, sys
root, n, commits, files = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
rnd = random.Random(16)
alnum = string.ascii_letters + string.digits
keys = ["msk_" + "".join(rnd.choice(alnum) for _ in range(32)) for _ in range(10)]
env = dict(os.environ, GIT_CONFIG_NOSYSTEM="1")
for i in range(n):
    path = os.path.join(root, f"repo{i:04}")
    subprocess.run(["git", "init", "-q", "-b", "main", path], check=True, env=env)
    out = []
    def data(b):
        out.append(f"data {len(b)}\n".encode() + b + b"\n")
    contents = {f"src/file{j}.txt": f"line one of {j}\n" for j in range(files)}
    key_at = commits // 3 if i % 10 == 0 else -1
    for c in range(commits):
        j = rnd.randrange(files)
        name = f"src/file{j}.txt"
        contents[name] += f"change {c} in repo {i}\n"
        ops = [f"M 100644 inline {name}\n".encode() + f"data {len(contents[name])}\n{contents[name]}".encode()]
        if c == key_at:
            k = f"MISAR_KEY={keys[i // 10 % 10]}\n"
            ops.append(f"M 100644 inline config/.env\ndata {len(k)}\n{k}".encode())
        if key_at >= 0 and c == key_at + 2:
            ops.append(b"D config/.env")
        msg = f"commit {c}"
        when = 1704067200 + 60 * c
        head = (f"commit refs/heads/main\ncommitter T <t@example.com> {when} +0000\n"
                f"data {len(msg)}\n{msg}\n").encode()
        out.append(head + b"\n".join(ops) + b"\n\n")
    subprocess.run(["git", "-C", path, "fast-import", "--quiet"], input=b"".join(out),
                   check=True, env=env)
PY
    touch "$repos/.done-$N-$COMMITS-$FILES"
fi

# t OUT ERR CMD…: run CMD with its output in OUT and ERR; print "wall rss_kib".
t() {
    local out=$1 err=$2
    shift 2
    /usr/bin/time -f "%e %M" -o "$DIR/time.txt" "$@" > "$out" 2> "$err" || true
    tail -1 "$DIR/time.txt"
}

rm -rf "$DIR/report" "$DIR/shards" "$DIR/merged"
log "sweep of $N repositories"
read -r wall rss < <(t "$DIR/sweep.out" "$DIR/sweep.err" \
    "$BIN" sweep "$repos" --report-dir "$DIR/report")
folder=$(du -sk "$DIR/report" | cut -f1)
lines=$(wc -l < "$DIR/sweep.err")
log "shards: $SHARDS sweeps with --shard K/$SHARDS, then report merge"
shard_wall=0
shard_rss=0
for k in $(seq 1 "$SHARDS"); do
    read -r w r < <(t /dev/null /dev/null \
        "$BIN" sweep "$repos" --shard "$k/$SHARDS" --report-dir "$DIR/shards/$k")
    shard_wall=$(python3 -c "print(round($shard_wall + $w, 2))")
    [ "$r" -gt "$shard_rss" ] && shard_rss=$r
done
read -r mwall mrss < <(t /dev/null "$DIR/merge.err" \
    "$BIN" report merge "$DIR"/shards/* --output "$DIR/merged")
mfolder=$(du -sk "$DIR/merged" | cut -f1)
same=$(python3 - "$DIR" <<'PY'
import json, sys
d = sys.argv[1]
a = json.load(open(f"{d}/report/report.json"))
b = json.load(open(f"{d}/merged/report.json"))
key = lambda r: len(r.get("findings", r.get("keys", [])))
print("yes" if key(a) == key(b) else f"no ({key(a)} vs {key(b)})")
PY
)
cat <<EOF
| what | wall | peak RSS | report folder |
|---|---:|---:|---:|
| sweep of $N repositories ($COMMITS commits each) | ${wall} s | $((rss / 1024)) MiB | ${folder} KiB |
| the same as $SHARDS shards (sum of walls; largest RSS) | ${shard_wall} s | $((shard_rss / 1024)) MiB | – |
| report merge of the $SHARDS shards | ${mwall} s | $((mrss / 1024)) MiB | ${mfolder} KiB |

merged report has the same findings as the single sweep: $same
progress output (stderr not a terminal): $lines lines; first and last:
EOF
head -3 "$DIR/sweep.err"
echo "…"
tail -3 "$DIR/sweep.err"
