#!/usr/bin/env python3
"""Generate the two single-file benchmarks (deterministic, seeded).

    python3 bench/make-big.py TREE OUTDIR

- concat-500MiB.txt: 500 MiB of real source, the text files (no NUL byte,
  under 1 MiB, holding nothing key-shaped) of TREE concatenated in sorted path order, repeated as needed.
  Keys planted at ~1/3 and ~2/3 (the second one cut by the end of one of
  misar-scan's 4 MiB reads) and in the last line.
- minified-50MB.js: 50,000,000 bytes of minified-style JavaScript on ONE line
  (no newline at all), keys at ~1/3 and at the very end.

Each OUTDIR/NAME.planted.tsv lists path, line, column, sha256, key.
"""
import hashlib
import os
import re
import random
import string
import sys

SEED = int(os.environ.get("SEED", "20240611"))
B62 = string.ascii_letters + string.digits
CHUNK = 4 << 20


def main():
    tree, out = sys.argv[1], sys.argv[2]
    os.makedirs(out, exist_ok=True)
    rng = random.Random(SEED + 1)  # not the tree's stream: different keys
    key_re = re.compile(rb"(?<![A-Za-z0-9_])(?:msk|ask|mdk)_[A-Za-z0-9]{20}")

    def key(prefix, n):
        return prefix + "".join(rng.choice(B62) for _ in range(n))

    # ---- concat-500MiB.txt
    target = 500 << 20
    files = []
    for root, dirs, names in os.walk(tree):
        dirs.sort()
        for n in sorted(names):
            p = os.path.join(root, n)
            if os.path.islink(p) or not os.path.isfile(p):
                continue
            if os.path.getsize(p) < (1 << 20):
                files.append(p)
    keys = [key("msk_", 32), key("ask_", 40), key("mdk_", 36)]
    # misar-scan reads 4 MiB at a time and carries the last OVERLAP bytes (longest
    # key + 2) into the next read, so read n ends at n*(CHUNK-OVERLAP)+CHUNK.
    # The second key starts 10 bytes before such an end: it is cut by a read.
    overlap = 4 + 128 + 2
    n = (2 * target // 3) // (CHUNK - overlap)
    k1_at, k2_at = target // 3, n * (CHUNK - overlap) + CHUNK - 10
    path = os.path.join(out, "concat-500MiB.txt")
    planted = []
    written = 0
    line = 1
    with open(path, "wb") as f:
        def put(data):
            nonlocal written, line
            f.write(data)
            written += len(data)
            line += data.count(b"\n")

        def plant(k, before=b"\n"):
            # The key starts a new line: "\nMISAR_KEY=<key>\n"
            put(before + b"MISAR_KEY=")
            planted.append(("concat-500MiB.txt", line, len("MISAR_KEY=") + 1, k))
            put(k.encode() + b"\n")

        todo = [(k1_at, keys[0]), (k2_at - len("\nMISAR_KEY="), keys[1])]
        while written < target - 4096:
            for p in files:
                with open(p, "rb") as g:
                    data = g.read()
                if b"\0" in data or key_re.search(data):
                    continue  # binary, or holds a key (the tree's planted ones)
                while todo and written + len(data) > todo[0][0]:
                    cut = todo[0][0] - written
                    if cut < 0:
                        cut = 0
                    put(data[:cut])
                    data = data[cut:]
                    plant(todo.pop(0)[1])
                if written + len(data) > target - 4096:
                    data = data[: max(0, target - 4096 - written)]
                put(data)
                if written >= target - 4096:
                    break
        plant(keys[2])
    with open(path + ".planted.tsv", "w") as f:
        for p, ln, col, k in planted:
            f.write(f"{p}\t{ln}\t{col}\t{hashlib.sha256(k.encode()).hexdigest()}\t{k}\n")

    # ---- minified-50MB.js
    size = 50_000_000
    words = ["function(", "return ", "var ", "const ", "this.", "null", "=>", "{", "}", ";", "(", ")", ",",
             "a", "b", "c", "e", "t", "n", "r", "0", "1", "!0", "void 0", "===", "&&", "||", "?", ":", "."]
    ka, kb = key("msk_", 40), key("mdk_", 28)
    path = os.path.join(out, "minified-50MB.js")
    # Precompute a 1 MB block of tokens and vary it with the seeded generator.
    block = "".join(rng.choice(words) for _ in range(400_000)).encode()
    block = block[: 1_000_000]
    planted = []
    with open(path, "wb") as f:
        written = 0
        third = size // 3
        placed = False
        while written < size - 200:
            data = block[: min(len(block), size - 200 - written)]
            if not placed and written + len(data) > third:
                cut = third - written
                f.write(data[:cut])
                s = b';var k="'
                f.write(s)
                planted.append(("minified-50MB.js", 1, third + len(s) + 1, ka))
                f.write(ka.encode() + b'";')
                written += cut + len(s) + len(ka) + 2
                placed = True
                continue
            f.write(data)
            written += len(data)
        s = b';window.K="'
        f.write(s)
        planted.append(("minified-50MB.js", 1, written + len(s) + 1, kb))
        f.write(kb.encode())  # at the very end, no closing quote, no newline
    with open(path + ".planted.tsv", "w") as f:
        for p, ln, col, k in planted:
            f.write(f"{p}\t{ln}\t{col}\t{hashlib.sha256(k.encode()).hexdigest()}\t{k}\n")


if __name__ == "__main__":
    main()
