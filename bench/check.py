#!/usr/bin/env python3
"""Correctness checks for bench/run.sh.

    python3 bench/check.py OUT TREE [BIGDIR [SUBSET_DIR]]

misar-scan must report exactly the planted keys of TREE.planted.tsv (same path,
line, column, secret_sha256), and none of the decoys: a line starting with
FAIL makes run.sh exit 1. For the peers and rg we only say how many planted
keys each one's output shows (the full key, its SHA-1 for detect-secrets'
hashed_secret, or its SHA-256) and how many findings/matches it reported.
"""
import hashlib
import json
import os
import sys


def planted(path):
    rows = []
    if os.path.exists(path):
        with open(path) as f:
            for line in f:
                p, ln, col, sha, key = line.rstrip("\n").split("\t")
                rows.append((p, int(ln), int(col), sha, key))
    return rows


def misar(report_path):
    with open(report_path) as f:
        doc = json.load(f)
    return doc, {(x["path"], x["line"], x["column"], x["secret_sha256"]) for x in doc["findings"]}


def check_misar(label, out, expected):
    report = os.path.join(out, f"{label}.misar-scan.out")
    if not os.path.exists(report):
        print(f"SKIP {label}: no misar-scan report")
        return
    try:
        doc, got = misar(report)
    except (ValueError, KeyError) as e:
        print(f"FAIL {label}: misar-scan report unreadable: {e}")
        return
    want = {(p, ln, col, sha) for p, ln, col, sha, _ in expected}
    s = doc.get("summary", {})
    info = f"files_scanned={s.get('files_scanned')} bytes_scanned={s.get('bytes_scanned')} incomplete={s.get('incomplete')}"
    if got == want:
        print(f"OK   {label}: misar-scan found exactly the {len(want)} planted keys ({info})")
    else:
        print(f"FAIL {label}: misar-scan findings differ from the planted keys ({info})")
        for x in sorted(want - got):
            print(f"     missed   {x[0]}:{x[1]}:{x[2]} sha256={x[3][:12]}")
        for x in sorted(got - want):
            print(f"     extra    {x[0]}:{x[1]}:{x[2]} sha256={x[3][:12]}")


def found_in_text(text, expected):
    n = 0
    for _, _, _, sha, key in expected:
        if key in text or sha in text or hashlib.sha1(key.encode()).hexdigest() in text:
            n += 1
    return n


def reported(tool, text):
    """How many findings/matches the tool reported (best effort per format)."""
    try:
        if tool.startswith("rg"):
            return sum(int(l.rsplit(":", 1)[1]) for l in text.splitlines() if ":" in l), "matching lines"
        if tool.startswith("kingfisher"):
            doc, _ = json.JSONDecoder().raw_decode(text)  # a report, then a summary line
            for k in ("findings", "matches", "results"):
                if isinstance(doc, dict) and isinstance(doc.get(k), list):
                    return len(doc[k]), "findings"
            if isinstance(doc, list):
                return len(doc), "findings"
            return None, "findings"
        if tool == "detect-secrets":
            doc = json.loads(text)
            return sum(len(v) for v in doc["results"].values()), "findings"
        if tool == "ripsecrets":
            return len([l for l in text.splitlines() if l.strip()]), "output lines"
        if tool.startswith("misar-scan"):
            return len(json.loads(text)["findings"]), "findings"
    except (ValueError, KeyError, IndexError):
        pass
    return None, "?"


def main():
    out, tree = sys.argv[1], sys.argv[2].rstrip("/")
    big = sys.argv[3] if len(sys.argv) > 3 else ""
    sub = sys.argv[4] if len(sys.argv) > 4 else ""
    exp_tree = planted(tree + ".planted.tsv")
    if exp_tree:
        if os.path.exists(os.path.join(out, "tree.misar-scan.out")):
            check_misar("tree", out, exp_tree)
    else:
        print(f"SKIP tree: no {tree}.planted.tsv (not built by make-tree.sh): no planted-key check")
    if os.path.exists(tree + ".decoys.tsv"):
        with open(tree + ".decoys.tsv") as f:
            n = sum(1 for _ in f)
        print(f"     ({n} decoys planted: task_/mask_ glued prefixes, placeholders, too short, too long; any report of them shows above as 'extra')")
    if sub and os.path.exists(os.path.join(out, "subset.misar-scan.out")):
        exp_sub = [e for e in exp_tree if os.path.exists(os.path.join(sub, e[0]))]
        check_misar("subset", out, exp_sub)
    if big:
        for name in ("concat-500MiB.txt", "minified-50MB.js"):
            exp = planted(os.path.join(big, name + ".planted.tsv"))
            if exp:
                if os.path.exists(os.path.join(out, "big-" + name.split(".")[0] + ".misar-scan.out")):
                    check_misar("big-" + name.split(".")[0], out, exp)
    # What every tool's warm-up output shows.
    for fn in sorted(os.listdir(out)):
        if not fn.endswith(".out") or fn == "last.out":
            continue
        set_name, tool = fn[: -len(".out")].split(".", 1)
        with open(os.path.join(out, fn), errors="replace") as f:
            text = f.read()
        exp = exp_tree
        if set_name == "subset":
            exp = [e for e in exp_tree if sub and os.path.exists(os.path.join(sub, e[0]))]
        elif set_name.startswith("big-"):
            name = "concat-500MiB.txt" if "concat" in set_name else "minified-50MB.js"
            exp = planted(os.path.join(big, name + ".planted.tsv")) if big else []
        n, what = reported(tool, text)
        print(f"     {set_name:16} {tool:20} planted keys in output: {found_in_text(text, exp)}/{len(exp)}; reported {n} {what}")


if __name__ == "__main__":
    main()
