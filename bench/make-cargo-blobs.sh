#!/usr/bin/env bash
# Build the "cargo blobs" tree: every unique blob of rust-lang/cargo's
# history written out as a file (issue 16's tree benchmark).
#
#   bash bench/make-cargo-blobs.sh [DEST]
#
#   DEST     where to write the tree, default bench/work/cargo-blobs (git-ignored)
#
# Environment:
#   CORPUS      a clone of rust-lang/cargo (bare or not) to read the blobs
#               from; default /work/.mirror/rust-lang+cargo/repo if it exists
#   CORPUS_URL  clone this URL (bare, into DEST.git) when CORPUS is not set
#               and the default is missing; default
#               https://github.com/rust-lang/cargo.git
#
# Every object that `git cat-file --batch-all-objects --batch-check` lists as
# a blob (in every pack and loose object of the clone, so every blob of every
# branch and tag the clone holds) is written to DEST/ab/cdef... (its object
# id, split like .git/objects). Blobs are real source: Rust, TOML, Markdown,
# shell, test fixtures, some binary files. The set depends on the snapshot of
# the clone; DEST.info records which commit HEAD was, how many files and
# bytes. Nothing is planted: this tree measures reading speed, and a key found
# in cargo's history would be a real finding of both tools alike.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
DEST="${1:-$HERE/work/cargo-blobs}"
DEST="${DEST%/}"
export LC_ALL=C

log() { printf '[make-cargo-blobs] %s\n' "$*" >&2; }

if [[ -z "${CORPUS:-}" ]]; then
    if [[ -d /work/.mirror/rust-lang+cargo/repo ]]; then
        CORPUS=/work/.mirror/rust-lang+cargo/repo
    else
        CORPUS="$DEST.git"
        if [[ ! -d "$CORPUS" ]]; then
            url="${CORPUS_URL:-https://github.com/rust-lang/cargo.git}"
            log "cloning $url into $CORPUS"
            git clone --bare --quiet "$url" "$CORPUS"
        fi
    fi
fi
git -C "$CORPUS" rev-parse --git-dir >/dev/null

if [[ -e "$DEST" ]]; then
    log "removing previous $DEST"
    rm -rf -- "$DEST"
fi
mkdir -p "$DEST"

log "writing every blob of $CORPUS into $DEST"
git -C "$CORPUS" cat-file --batch-all-objects --batch-check='%(objecttype) %(objectname)' |
    awk '$1 == "blob" {print $2}' |
    git -C "$CORPUS" cat-file --batch |
    python3 -c '
import os, sys
dest = sys.argv[1]
inp = sys.stdin.buffer
made = set()
files = total = 0
while True:
    header = inp.readline()
    if not header:
        break
    oid, kind, size = header.split()
    size = int(size)
    data = inp.read(size)
    inp.read(1)  # the newline after the content
    oid = oid.decode()
    sub = os.path.join(dest, oid[:2])
    if sub not in made:
        os.makedirs(sub, exist_ok=True)
        made.add(sub)
    with open(os.path.join(sub, oid[2:]), "wb") as f:
        f.write(data)
    files += 1
    total += size
print(f"{files} {total}")
' "$DEST" >"$DEST.count"

read -r files bytes <"$DEST.count"
rm -f "$DEST.count"
{
    echo "corpus=$CORPUS"
    echo "head=$(git -C "$CORPUS" rev-parse HEAD 2>/dev/null || echo '?')"
    echo "head_date=$(git -C "$CORPUS" log -1 --format=%cI HEAD 2>/dev/null || echo '?')"
    echo "files=$files"
    echo "bytes=$bytes"
} >"$DEST.info"
log "done: $DEST — $files files, $bytes bytes ($(awk -v b="$bytes" 'BEGIN{printf "%.2f", b/1e9}') GB)"
