#!/usr/bin/env bash
# Build a large, realistic tree of real source for benchmarking misar-scan.
#
#   bash bench/make-tree.sh [SIZE_GB] [DEST]
#
#   SIZE_GB  target size in GB (10^9 bytes), default 1.2
#   DEST     where to build the tree, default bench/work/tree (git-ignored)
#
# The tree is the crate sources of the local cargo registry
# (~/.cargo/registry/src/*/, override with POOL=DIR) copied as many times as
# needed to reach SIZE_GB: copy-00/, copy-01/, ... each a full copy of the pool.
# If the pool is smaller than MIN_POOL_MB (default 100), a scratch project under
# bench/work/pool-project fetches a few well-known crates to enlarge it.
#
# Then a handful of keys are planted at known places (one in a `.env` file, one
# in a 2 MB single-line minified bundle, one at the end of a file with no
# newline, ...), together with decoys that must NOT be reported (`task_…`,
# placeholders, an over-long run). Key bodies are random base62 drawn from a
# seeded generator (SEED, default 20240611), and files are chosen from the
# sorted file list with the same generator, so rerunning with the same pool
# and seed rebuilds exactly the same tree.
#
# Ignore files inside the pool (.gitignore, .ignore, .rgignore, a handful of
# crates ship them) are removed from the tree, so "what is in the tree" and
# "what a scanner reads" are the same set of files for every tool, whatever
# its ignore semantics (see BENCHMARKS.md, "file-set semantics").
#
# Outputs, next to DEST (never inside it, since they hold the keys):
#   DEST.planted.tsv   path<TAB>line<TAB>column<TAB>sha256<TAB>key   (the expected findings)
#   DEST.decoys.tsv    path<TAB>line<TAB>text                        (must not be reported)
#   DEST.info          seed, pool, copies, files, bytes
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
SIZE_GB="${1:-1.2}"
DEST="${2:-$HERE/work/tree}"
SEED="${SEED:-20240611}"
MIN_POOL_MB="${MIN_POOL_MB:-100}"
export LC_ALL=C

log() { printf '[make-tree] %s\n' "$*" >&2; }

# ---------------------------------------------------------------- the pool
pool_dirs=()
if [[ -n "${POOL:-}" ]]; then
    pool_dirs=("$POOL")
else
    for d in "$HOME"/.cargo/registry/src/*/; do
        [[ -d "$d" ]] && pool_dirs+=("${d%/}")
    done
fi

pool_bytes() {
    local total=0 b
    for d in "$@"; do
        b=$(find "$d" -type f -printf '%s\n' | awk '{s+=$1} END {printf "%d", s}')
        total=$((total + b))
    done
    echo "$total"
}

bytes=0
if ((${#pool_dirs[@]})); then bytes=$(pool_bytes "${pool_dirs[@]}"); fi
if ((bytes < MIN_POOL_MB * 1000000)) && [[ -z "${POOL:-}" ]]; then
    log "pool is $((bytes / 1000000)) MB (< $MIN_POOL_MB MB): fetching well-known crates to enlarge it"
    proj="$HERE/work/pool-project"
    mkdir -p "$proj/src"
    echo 'fn main() {}' >"$proj/src/main.rs"
    cat >"$proj/Cargo.toml" <<'EOF'
[package]
name = "bench-pool"
version = "0.0.0"
edition = "2021"
publish = false

[dependencies]
tokio = { version = "1", features = ["full"] }
serde = { version = "1", features = ["derive"] }
serde_json = "1"
regex = "1"
syn = { version = "2", features = ["full"] }
clap = { version = "4", features = ["derive"] }
reqwest = { version = "0.12", default-features = false }
hyper = "1"
rayon = "1"
ignore = "0.4"
chrono = "0.4"
rand = "0.8"
image = "0.25"
windows-sys = "0.59"
EOF
    (cd "$proj" && cargo fetch --quiet) || log "cargo fetch failed; continuing with the pool as it is"
    pool_dirs=()
    for d in "$HOME"/.cargo/registry/src/*/; do
        [[ -d "$d" ]] && pool_dirs+=("${d%/}")
    done
    bytes=$(pool_bytes "${pool_dirs[@]}")
fi
((bytes > 0)) || { log "empty pool: nothing to copy"; exit 2; }

copies=$(python3 -c "import math,sys; print(max(1, math.ceil(float(sys.argv[1])*1e9/int(sys.argv[2]))))" "$SIZE_GB" "$bytes")
log "pool: ${pool_dirs[*]} ($((bytes / 1000000)) MB); $copies copies for ${SIZE_GB} GB"

# ---------------------------------------------------------------- copy
if [[ -e "$DEST" ]]; then
    log "removing previous $DEST"
    rm -rf -- "$DEST"
fi
mkdir -p "$DEST"
for ((i = 0; i < copies; i++)); do
    c=$(printf 'copy-%02d' "$i")
    mkdir -p "$DEST/$c"
    for d in "${pool_dirs[@]}"; do
        # -a keeps symlinks as symlinks (neither tool follows them by default).
        cp -a "$d" "$DEST/$c/$(basename "$d")"
    done
    log "copied $c"
done
# Same file set for every tool: no ignore files, no VCS directories.
find "$DEST" \( -name .gitignore -o -name .ignore -o -name .rgignore \) -type f -delete
find "$DEST" -name .git -prune -exec rm -rf {} +

# ---------------------------------------------------------------- plant
python3 - "$DEST" "$SEED" <<'PY'
import hashlib, os, random, string, sys

dest, seed = sys.argv[1], int(sys.argv[2])
rng = random.Random(seed)
B62 = string.ascii_letters + string.digits

def body(n):
    return "".join(rng.choice(B62) for _ in range(n))

copies = sorted(d for d in os.listdir(dest) if d.startswith("copy-"))
def files_in(copy, ext):
    out = []
    for root, dirs, files in os.walk(os.path.join(dest, copy)):
        dirs.sort()
        for f in sorted(files):
            p = os.path.join(root, f)
            if f.endswith(ext) and os.path.isfile(p) and not os.path.islink(p):
                out.append(p)
    return out

planted, decoys = [], []

def rel(p):
    return os.path.relpath(p, dest)

def line_col(data, off):
    line = data.count(b"\n", 0, off) + 1
    ls = data.rfind(b"\n", 0, off) + 1
    return line, off - ls + 1  # ASCII context: bytes == UTF-16 units

def insert_at_line(path, text, where):
    """Insert `text` as a new line before line `where` (0-based index into lines)."""
    with open(path, "rb") as f:
        data = f.read()
    lines = data.split(b"\n")
    where = min(where, len(lines))
    lines.insert(where, text.encode())
    with open(path, "wb") as f:
        f.write(b"\n".join(lines))
    with open(path, "rb") as f:
        return f.read()

def record(path, data, key):
    off = data.index(key.encode())
    line, col = line_col(data, off)
    planted.append((rel(path), line, col, hashlib.sha256(key.encode()).hexdigest(), key))

used = set()
def pick(copy, ext):
    """A file of `copy` ending in `ext`, never one already planted in."""
    fs = [f for f in files_in(copy, ext) if f not in used]
    p = fs[rng.randrange(len(fs))]
    used.add(p)
    return p

first, mid, last = copies[0], copies[len(copies) // 2], copies[-1]

# 1. A .env file in an application directory (where keys leak most).
app = os.path.join(dest, first, "acme-app")
os.makedirs(app, exist_ok=True)
k = "msk_" + body(32)
p = os.path.join(app, ".env")
with open(p, "w") as f:
    f.write("# local settings\nDATABASE_URL=postgres://localhost/acme\nMISAR_API_KEY=" + k + "\nLOG_LEVEL=debug\n")
with open(p, "rb") as f:
    record(p, f.read(), k)
# A placeholder next to it: documentation, not a leak.
with open(os.path.join(app, ".env.example"), "w") as f:
    f.write("MISAR_API_KEY=msk_your_api_key\nASSISTERS_KEY=ask_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n")
decoys.append((rel(os.path.join(app, ".env.example")), 1, "msk_your_api_key"))
decoys.append((rel(os.path.join(app, ".env.example")), 2, "ask_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"))

# 2. Inside a Rust source file, mid-file, as a string constant.
p = pick(first, ".rs")
k = "ask_" + body(40)
with open(p, "rb") as f:
    n = f.read().count(b"\n")
data = insert_at_line(p, 'const MISAR_KEY: &str = "' + k + '"; // oops', n // 2)
record(p, data, k)

# 3. In a Cargo.toml of the middle copy, as a comment.
p = pick(mid, "Cargo.toml")
k = "mdk_" + body(48)
data = insert_at_line(p, '# token = "' + k + '"', 3)
record(p, data, k)

# 4. Markdown in the middle copy: a Bearer header in a code block.
p = pick(mid, ".md")
k = "msk_" + body(36)
with open(p, "rb") as f:
    n = f.read().count(b"\n")
data = insert_at_line(p, "    curl -H 'Authorization: Bearer " + k + "' https://api.misar.io/api/v1/keys", n // 3)
record(p, data, k)

# 5. At the very end of a file, with no trailing newline.
p = pick(last, ".rs")
k = "mdk_" + body(24)
with open(p, "rb") as f:
    data = f.read().rstrip(b"\n") + b"\n// " + k.encode()
with open(p, "wb") as f:
    f.write(data)
record(p, data, k)

# 6. A 2 MB single-line minified bundle, key in the middle of the line.
dist = os.path.join(dest, last, "acme-web", "dist")
os.makedirs(dist, exist_ok=True)
p = os.path.join(dist, "bundle.min.js")
k = "msk_" + body(44)
chunk_words = ["function", "return", "var", "const", "this", "null", "=>", "{", "}", ";", "(", ")", ",", "a", "b", "c", "e", "t", "n", "r"]
parts, size = [], 0
while size < 1_000_000:
    w = rng.choice(chunk_words); parts.append(w); size += len(w)
left = "".join(parts)
parts, size = [], 0
while size < 1_000_000:
    w = rng.choice(chunk_words); parts.append(w); size += len(w)
right = "".join(parts)
data = (left + ';var k="' + k + '";' + right).encode()
with open(p, "wb") as f:
    f.write(data)
record(p, data, k)

# Decoys in a source file of the middle copy: must not be reported.
p = pick(mid, ".rs")
ds = [
    "let t = task_" + body(32) + ";",                # boundary: 't' before 'ask_'
    "let m = \"mask_" + body(32) + "\";",            # boundary: 'm' before 'ask_'
    "// msk_SHOWN_ONCE_STORE_IMMEDIATELY",           # placeholder words
    "// msk_" + body(12),                             # too short
    "// mdk_" + body(140),                            # longer than max_len
]
with open(p, "rb") as f:
    n = f.read().count(b"\n")
for j, d in enumerate(ds):
    insert_at_line(p, d, n // 2 + j)
with open(p, "rb") as f:
    data = f.read()
for d in ds:
    line, _ = line_col(data, data.index(d.encode()))
    decoys.append((rel(p), line, d[:40]))

with open(dest.rstrip("/") + ".planted.tsv", "w") as f:
    for row in sorted(planted):
        f.write("\t".join(map(str, row)) + "\n")
with open(dest.rstrip("/") + ".decoys.tsv", "w") as f:
    for row in sorted(decoys):
        f.write("\t".join(map(str, row)) + "\n")
print(f"planted {len(planted)} keys, {len(decoys)} decoys", file=sys.stderr)
PY

files=$(find "$DEST" -type f | wc -l)
tbytes=$(find "$DEST" -type f -printf '%s\n' | awk '{s+=$1} END {printf "%d", s}')
{
    echo "seed=$SEED"
    echo "pool=${pool_dirs[*]}"
    echo "pool_bytes=$bytes"
    echo "copies=$copies"
    echo "files=$files"
    echo "bytes=$tbytes"
} >"${DEST%/}.info"
log "done: $DEST — $files files, $tbytes bytes ($(awk -v b="$tbytes" 'BEGIN{printf "%.2f", b/1e9}') GB); expected findings in ${DEST%/}.planted.tsv"
