#!/usr/bin/env python3
"""Write a `git fast-import` stream of a long history built from real source.

Every crate under the local cargo registry source cache (~/.cargo/registry/src)
is committed in batches of files, and between batches come edit commits that
change one to three files already committed (a line inserted at a random
place), so the history holds thousands of commits and many versions of the
same files, like a real project. A few fake Misar keys are planted along the
way, some removed again later. Deterministic for a given registry content.

usage: gen-history.py [--edits-per-batch N] [--batch N] | git fast-import
"""
import argparse
import os
import random
import sys

B62 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
WORDS = "alpha beta gamma delta parse token buffer window cache index merge tree blob commit".split()


def fake_key(rng, prefix="msk_"):
    return prefix + "".join(rng.choice(B62) for _ in range(36))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--edits-per-batch", type=int, default=6)
    ap.add_argument("--batch", type=int, default=40)
    ap.add_argument("--max-crates", type=int, default=0)
    ap.add_argument("--keys-out", default=None)
    args = ap.parse_args()
    rng = random.Random(3)
    roots = sorted(
        os.path.join(d, c)
        for d in (os.path.expanduser("~/.cargo/registry/src/" + x) for x in sorted(os.listdir(os.path.expanduser("~/.cargo/registry/src"))))
        for c in sorted(os.listdir(d))
    )
    if args.max_crates:
        roots = roots[: args.max_crates]
    out = sys.stdout.buffer
    mark = 0
    ts = 1_600_000_000
    committed = []  # paths in the repository
    current = {}  # path -> bytes, for files edited at least once
    source = {}  # path -> file on disk
    keys = []

    def commit(message, changes):
        nonlocal mark, ts
        mark += 1
        ts += 600
        out.write(b"commit refs/heads/main\nmark :%d\n" % mark)
        out.write(b"author Bench Author <bench@example.com> %d +0000\n" % ts)
        out.write(b"committer Bench Author <bench@example.com> %d +0000\n" % ts)
        msg = message.encode()
        out.write(b"data %d\n%s\n" % (len(msg), msg))
        if mark > 1:
            out.write(b"from :%d\n" % (mark - 1))
        for path, data in changes:
            p = path.encode("utf-8", "surrogateescape")
            if data is None:
                out.write(b"D %s\n" % p)
            else:
                out.write(b"M 100644 inline %s\ndata %d\n" % (p, len(data)))
                out.write(data)
                out.write(b"\n")

    def content(path):
        if path in current:
            return current[path]
        with open(source[path], "rb") as f:
            return f.read()

    def edit(n):
        changes = []
        for path in rng.sample(committed, min(len(committed), rng.randint(1, 3))):
            data = content(path)
            lines = data.split(b"\n")
            at = rng.randrange(len(lines) + 1)
            line = "// rev %d: %s" % (mark + 1, " ".join(rng.choice(WORDS) for _ in range(6)))
            if n in plant_at:
                key = fake_key(rng)
                keys.append((mark + 1, path, key))
                line = 'MISAR_API_KEY = "%s"' % key
            lines.insert(at, line.encode())
            current[path] = b"\n".join(lines)
            changes.append((path, current[path]))
        commit("edit %d" % n, changes)

    plant_at = {500, 1300, 2100}
    edits = 0
    for root in roots:
        crate = os.path.basename(root)
        files = []
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames.sort()
            for name in sorted(filenames):
                full = os.path.join(dirpath, name)
                if os.path.islink(full) or not os.path.isfile(full):
                    continue
                path = "vendor/%s/%s" % (crate, os.path.relpath(full, root))
                source[path] = full
                files.append(path)
        for i in range(0, len(files), args.batch):
            batch = files[i : i + args.batch]
            commit("add %s (%d)" % (crate, i // args.batch), [(p, content(p)) for p in batch])
            committed.extend(batch)
            for _ in range(args.edits_per_batch):
                edits += 1
                edit(edits)
    # One more key, committed and deleted again.
    key = fake_key(rng, "mdk_")
    keys.append((mark + 1, "secrets/old.env", key))
    commit("add secrets", [("secrets/old.env", ("MISAR_DEV_KEY=%s\n" % key).encode())])
    commit("remove secrets", [("secrets/old.env", None)])
    if args.keys_out:
        with open(args.keys_out, "w") as f:
            for m, path, key in keys:
                f.write("%d %s %s…\n" % (m, path, key[:8]))
    print("commits: %d, edits: %d, planted keys: %d" % (mark, edits, len(keys)), file=sys.stderr)


if __name__ == "__main__":
    main()
