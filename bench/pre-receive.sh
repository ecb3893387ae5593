#!/usr/bin/env bash
# Cost of the git server-side hook `misar-scan hook pre-receive` (issue 13).
#
#   bash bench/pre-receive.sh [WORKDIR]     (default: bench/work/pre-receive)
#
# What it measures: the time of a whole `git push` over file:// into a bare
# clone of a large real history (rust-lang/cargo), to a server with no hook
# and to the same server with the hook that `misar-scan install-hook
# --pre-receive` installs, interleaved push by push (without, with, without,
# with, ...). The hook's cost is push-with-hook minus push-without-hook.
# Each push adds its own fresh commits (real cargo files, edited; no keys),
# so every timed push makes the server take in new objects, and the server
# is put back as it was after each push (the ref reset, the pushed loose
# objects removed), so every push sees the same repository.
#
# Cases (each round runs every case, each case without and with the hook):
#   ff3        3 new commits fast-forwarding the default branch (master)
#   branch3    a new branch: 3 new commits on master's tip (old oid = zeros:
#              what is new must be found against every existing ref)
#   old-tip    a new branch whose tip is an existing old commit (master~2000):
#              nothing new, so the hook should cost about a process start
#   tag3       a new branch: 3 new commits on an old release tag (0.60.0)
# A third push per case and round goes to the hook server with
# GIT_TRACE2_EVENT on, to read the hook's own wall time (receive-pack's
# child_exit for the `pre-receive` hook); it is not part of the comparison.
# Also timed each round: `misar-scan --version` (the cost of starting the
# process at all).
#
# Corpus: a git directory of rust-lang/cargo, from CORPUS (default: the copy
# of the public repository brought here, /work/.mirror/rust-lang+cargo/repo),
# or, if CORPUS_URL is set, `git clone --bare CORPUS_URL` (e.g.
# https://github.com/rust-lang/cargo), cached in WORKDIR/corpus.git. The
# servers are `git clone --bare --no-local` of it (heads and tags, one pack
# written by pack-objects as a host would), copied twice: server-a.git (no
# hook) and server-b.git (the hook). Both get gc.auto=0 (no background
# repack between trials) and receive.advertisePushOptions=true (what
# install-hook sets; set on both so the hook is the only difference).
#
# Environment:
#   MISAR_SCAN=path   the binary (default: release build under
#                     CARGO_TARGET_DIR or target/, built if missing)
#   TRIALS=15         timed rounds (each: every case, without and with hook)
#   WARMUP=2          untimed rounds first
#   HOOK=misar        misar: install-hook --pre-receive; dummy: a hook that
#                     is `cat >/dev/null; exit 0` (checks the harness itself)
#   CASES="ff3 branch3 old-tip tag3"
#   OUT               results (default WORKDIR/results-DATE): summary.md,
#                     times.tsv, env.txt
#
# Exits 1 if any push failed (a rejected push means the bench is broken:
# nothing pushed holds a key). Needs git and python3.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(dirname "$HERE")"
WORK="${1:-$HERE/work/pre-receive}"
CORPUS="${CORPUS:-/work/.mirror/rust-lang+cargo/repo}"
CORPUS_URL="${CORPUS_URL:-}"
TRIALS="${TRIALS:-15}"
WARMUP="${WARMUP:-2}"
HOOK="${HOOK:-misar}"
CASES="${CASES:-ff3 branch3 old-tip tag3}"
mkdir -p "$WORK"
WORK="$(cd "$WORK" && pwd)"
OUT="${OUT:-$WORK/results-$(date +%Y%m%d-%H%M%S)}"
mkdir -p "$OUT"

for tool in git python3; do
    command -v "$tool" >/dev/null || { echo "error: \`$tool\` is needed" >&2; exit 2; }
done

BIN="${MISAR_SCAN:-${CARGO_TARGET_DIR:-$REPO/target}/release/misar-scan}"
if [ -z "${MISAR_SCAN:-}" ]; then
    (cd "$REPO" && cargo build --release --locked -q)
fi
[ -x "$BIN" ] || { echo "error: no binary at $BIN" >&2; exit 2; }
BIN="$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")"

# The corpus.
if [ -n "$CORPUS_URL" ]; then
    if [ ! -d "$WORK/corpus.git" ]; then
        git clone -q --bare "$CORPUS_URL" "$WORK/corpus.git.part"
        mv "$WORK/corpus.git.part" "$WORK/corpus.git"
    fi
    CORPUS="$WORK/corpus.git"
fi
if ! git --git-dir="$CORPUS" rev-parse -q --verify HEAD >/dev/null 2>&1; then
    echo "error: no git repository at CORPUS=$CORPUS" >&2
    echo "  set CORPUS to a git directory of rust-lang/cargo, or CORPUS_URL=https://github.com/rust-lang/cargo" >&2
    exit 2
fi

# The servers' common base: a bare clone with a real pack, cached.
BASE="$WORK/base.git"
if [ ! -d "$BASE" ]; then
    echo "cloning $CORPUS (bare, --no-local) ..." >&2
    git clone -q --bare --no-local "$CORPUS" "$BASE.part"
    mv "$BASE.part" "$BASE"
fi
# The pushing side: a local bare clone (objects hard-linked).
CLIENT="$WORK/client.git"
if [ ! -d "$CLIENT" ]; then
    git clone -q --bare "$BASE" "$CLIENT"
fi

A="$WORK/server-a.git"   # no hook
B="$WORK/server-b.git"   # the hook
rm -rf "$A" "$B"
cp -a "$BASE" "$A"
cp -a "$BASE" "$B"
for s in "$A" "$B"; do
    git --git-dir="$s" config gc.auto 0
    git --git-dir="$s" config receive.advertisePushOptions true
    rm -f "$s/hooks/pre-receive"
done
export PATH="$(dirname "$BIN"):$PATH"
case "$HOOK" in
    misar)
        (cd "$B" && "$BIN" install-hook --pre-receive)
        ;;
    dummy)
        printf '#!/bin/sh\ncat >/dev/null; exit 0\n' >"$B/hooks/pre-receive"
        chmod +x "$B/hooks/pre-receive"
        ;;
    *) echo "error: HOOK is misar or dummy" >&2; exit 2 ;;
esac
[ -x "$B/hooks/pre-receive" ] || { echo "error: no executable $B/hooks/pre-receive" >&2; exit 1; }
if [ "$(git --git-dir="$B" config --bool receive.advertisePushOptions)" != true ]; then
    echo "error: receive.advertisePushOptions is not true in $B" >&2
    exit 1
fi

{
    echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo "binary: $BIN ($("$BIN" --version))"
    echo "checkout: $(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo '?') (the bench script's; MISAR_SCAN may come from elsewhere)"
    echo "hook: $HOOK"
    echo "corpus: ${CORPUS_URL:-$CORPUS}"
    echo "server: $(git --git-dir="$BASE" rev-list --all --count) commits from every ref," \
        "$(git --git-dir="$BASE" rev-list --count HEAD) on $(git --git-dir="$BASE" symbolic-ref --short HEAD)," \
        "$(git --git-dir="$BASE" for-each-ref refs/heads | wc -l) branches," \
        "$(git --git-dir="$BASE" for-each-ref refs/tags | wc -l) tags," \
        "$(git --git-dir="$BASE" count-objects -v | awk '/^in-pack/ {print $2}') objects," \
        "pack $(du -cb "$BASE"/objects/pack/*.pack | tail -n1 | cut -f1) bytes"
    echo "git: $(git --version)"
    echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores"
    echo "kernel: $(uname -r)"
    echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "hook script:"
    sed 's/^/    /' "$B/hooks/pre-receive"
} | tee "$OUT/env.txt"

status=0
HOOK="$HOOK" python3 - "$WORK" "$OUT" "$BIN" "$TRIALS" "$WARMUP" "$CASES" <<'PY' || status=$?
import json, math, os, random, statistics, subprocess, sys, time
from pathlib import Path

work, out, binary = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
trials, warmup, cases = int(sys.argv[4]), int(sys.argv[5]), sys.argv[6].split()
client, base = work / "client.git", work / "base.git"
servers = {"a": work / "server-a.git", "b": work / "server-b.git"}
ZERO = "0" * 40
env = dict(os.environ)
for k in list(env):
    if k.startswith("GIT_TRACE"):
        del env[k]
env.update(GIT_AUTHOR_NAME="Bench", GIT_AUTHOR_EMAIL="bench@example.com",
           GIT_COMMITTER_NAME="Bench", GIT_COMMITTER_EMAIL="bench@example.com")


def git(*args, gitdir=client, input=None, extra=None):
    e = env if extra is None else dict(env, **extra)
    r = subprocess.run(["git", f"--git-dir={gitdir}", *args], input=input,
                       capture_output=True, env=e)
    if r.returncode != 0:
        sys.exit(f"git {' '.join(args)}: {r.stderr.decode(errors='replace')}")
    return r.stdout.decode().strip()


master = git("rev-parse", "refs/heads/master")
old_commit = git("rev-parse", "master~2000")
old_tag = git("rev-parse", "refs/tags/0.60.0^{commit}")
bases = {"ff3": master, "branch3": master, "tag3": old_tag}

# Files to edit: text files of moderate size in both bases' trees.
def text_files(commit):
    rows = git("ls-tree", "-r", "-l", commit).splitlines()
    files = {}
    for row in rows:
        meta, path = row.split("\t", 1)
        mode, kind, oid, size = meta.split()
        if kind == "blob" and mode == "100644" and size != "-" and 2000 <= int(size) <= 60000 \
                and path.endswith((".rs", ".md", ".toml")):
            files[path] = oid
    return files

pools = {c: text_files(c) for c in set(bases.values())}
common = sorted(set.intersection(*(set(p) for p in pools.values())))
docs = [p for p in common if p.endswith(".md")] or common
index_file = work / "bench.index"
counter = [0]


def make_commits(parent, rng, tag):
    """Three commits on parent: each edits two existing files and adds one."""
    tip = parent
    for i in range(3):
        counter[0] += 1
        n = counter[0]
        ex = {"GIT_INDEX_FILE": str(index_file)}
        git("read-tree", tip, extra=ex)
        cacheinfo = []
        for path in rng.sample(common, 2):
            old = git("cat-file", "blob", f"{tip}:{path}")
            new = old + f"\n// edited in push {tag}, commit {i + 1} ({n})\n"
            oid = git("hash-object", "-w", "--stdin", input=new.encode())
            cacheinfo.append(f"100644,{oid},{path}")
        src = rng.choice(docs)
        text = git("cat-file", "blob", f"{tip}:{src}")
        oid = git("hash-object", "-w", "--stdin",
                  input=f"Notes {n} (from {src})\n\n{text}".encode())
        cacheinfo.append(f"100644,{oid},notes/push-{n}.md")
        for c in cacheinfo:
            git("update-index", "--add", "--cacheinfo", c, extra=ex)
        tree = git("write-tree", extra=ex)
        tip = git("commit-tree", tree, "-p", tip, "-m", f"bench push {tag}, commit {i + 1} of 3 ({n})")
    return tip


def new_objects(tip, parent):
    return git("rev-list", "--objects", tip, "--not", parent).split("\n") if tip != parent else []


def reset(server, ref, before, objects):
    if before == ZERO:
        git("update-ref", "-d", ref, gitdir=server)
    else:
        git("update-ref", ref, before, gitdir=server)
    for line in objects:
        oid = line.split()[0]
        p = server / "objects" / oid[:2] / oid[2:]
        if p.exists():
            p.unlink()
    if list((server / "objects" / "pack").glob("*.pack")).__len__() != 1:
        # A push of 100 objects or more is kept as a pack: drop it.
        packs = sorted((server / "objects" / "pack").glob("*.pack"), key=os.path.getmtime)
        for p in packs[1:]:
            for ext in (".pack", ".idx", ".rev", ".keep"):
                p.with_suffix(ext).unlink(missing_ok=True)


def push(side, case, rnd, rng_seed, traced=False):
    server = servers[side]
    rng = random.Random(rng_seed)
    tag = f"{case}-{rnd}-{side}{'t' if traced else ''}"
    if case == "ff3":
        ref, before, parent = "refs/heads/master", master, master
    elif case == "old-tip":
        ref, before, parent = f"refs/heads/bench/{tag}", ZERO, old_commit
    else:
        ref, before, parent = f"refs/heads/bench/{tag}", ZERO, bases[case]
    tip = parent if case == "old-tip" else make_commits(parent, rng, tag)
    objects = new_objects(tip, parent)
    e = dict(env)
    trace = None
    if traced:
        trace = work / "trace2.json"
        trace.unlink(missing_ok=True)
        e["GIT_TRACE2_EVENT"] = str(trace)
    cmd = ["git", f"--git-dir={client}", "push", "-q", f"file://{server}", f"{tip}:{ref}"]
    t0 = time.perf_counter()
    r = subprocess.run(cmd, capture_output=True, env=e)
    wall = time.perf_counter() - t0
    hook_t = None
    if traced and trace.exists():
        starts = {}
        for line in trace.read_text().splitlines():
            ev = json.loads(line)
            if ev.get("event") == "child_start" and ev.get("child_class") == "hook":
                starts[(ev["sid"], ev["child_id"])] = ev.get("hook_name")
            elif ev.get("event") == "child_exit" and (ev["sid"], ev["child_id"]) in starts:
                hook_t = ev["t_rel"]
    got = git("rev-parse", "-q", "--verify", ref, gitdir=server) if r.returncode == 0 else None
    ok = r.returncode == 0 and got == tip
    reset(server, ref, before, objects)
    return wall, hook_t, ok, r.stderr.decode(errors="replace").strip(), len(objects)


def version_time():
    t0 = time.perf_counter()
    subprocess.run([binary, "--version"], capture_output=True, check=True)
    return time.perf_counter() - t0


rows = []          # (round, case, side, seconds)
hook_times = {c: [] for c in cases}
failures = []
last_stderr = {}
sizes = {}
for rnd in range(-warmup, trials):
    for case in cases:
        seed = 20261130 + 1000 * rnd + cases.index(case)
        for side in ("a", "b"):
            wall, _, ok, err, nobj = push(side, case, rnd, seed)
            sizes[case] = nobj
            if err:
                last_stderr[(case, side)] = err
            if not ok:
                failures.append((case, side, rnd, err))
            if rnd >= 0:
                rows.append((rnd, case, side, wall))
        if rnd >= 0:
            _, ht, ok, err, _ = push("b", case, rnd, seed, traced=True)
            if not ok:
                failures.append((case, "b-traced", rnd, err))
            if ht is not None:
                hook_times[case].append(ht)
    if rnd >= 0:
        rows.append((rnd, "floor", "version", version_time()))
    print(f"round {rnd}: " + " ".join(f"{c}={s}:{w * 1000:.0f}" for r, c, s, w in rows if r == rnd and rnd >= 0),
          file=sys.stderr)

# Check that the hook scans at all: a push adding a (fake) key must be
# rejected by the hook server and accepted by the other.
key_check = None
if os.environ.get("HOOK", "misar") == "misar":
    key_rng = random.Random(7)
    body = "".join(key_rng.choice(
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789") for _ in range(32))
    ex = {"GIT_INDEX_FILE": str(index_file)}
    git("read-tree", master, extra=ex)
    oid = git("hash-object", "-w", "--stdin", input=f"MISAR_API_KEY=msk_{body}\n".encode())
    git("update-index", "--add", "--cacheinfo", f"100644,{oid},config/keyed.env", extra=ex)
    keyed = git("commit-tree", git("write-tree", extra=ex), "-p", master, "-m", "a key")
    objs = new_objects(keyed, master)
    results = {}
    for side in ("a", "b"):
        r = subprocess.run(["git", f"--git-dir={client}", "push", "-q", f"file://{servers[side]}",
                            f"{keyed}:refs/heads/master"], capture_output=True, env=env)
        results[side] = r.returncode
        if side == "b":
            key_check = r.stderr.decode(errors="replace").strip()
        reset(servers[side], "refs/heads/master", master, objs)
    if results["a"] != 0 or results["b"] == 0:
        failures.append(("key-check", f"without hook exit {results['a']}, with hook exit {results['b']}",
                         "-", key_check or ""))

with open(out / "times.tsv", "w") as f:
    f.write("round\tcase\tside\tseconds\n")
    for r in rows:
        f.write(f"{r[0]}\t{r[1]}\t{r[2]}\t{r[3]:.6f}\n")
    for case, ts in hook_times.items():
        for i, t in enumerate(ts):
            f.write(f"{i}\t{case}\thook-own\t{t:.6f}\n")


def p90(xs):
    s = sorted(xs)
    return s[max(0, math.ceil(0.9 * len(s)) - 1)]


def ms(x):
    return f"{x * 1000:.1f}"


label = {
    "ff3": "3 new commits on master (fast-forward)",
    "branch3": "new branch, 3 new commits on master's tip",
    "old-tip": "new branch at an old commit (nothing new)",
    "tag3": "new branch, 3 new commits on tag 0.60.0",
}
lines = [
    f"{trials} interleaved rounds after {warmup} warm-up rounds; times in ms; "
    "difference = with hook minus without.",
    "",
    "| push | objects sent | without hook: median | p90 | with hook: median | p90 "
    "| difference of medians | median of per-round differences | hook's own time (trace2): median | p90 |",
    "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
]
for case in cases:
    a = {r: w for r, c, s, w in rows if c == case and s == "a"}
    b = {r: w for r, c, s, w in rows if c == case and s == "b"}
    diffs = [b[r] - a[r] for r in a if r in b]
    ht = hook_times[case]
    lines.append(
        f"| {label.get(case, case)} | {sizes.get(case, 0)} | {ms(statistics.median(a.values()))} | {ms(p90(a.values()))} "
        f"| {ms(statistics.median(b.values()))} | {ms(p90(b.values()))} "
        f"| **{ms(statistics.median(b.values()) - statistics.median(a.values()))}** "
        f"| {ms(statistics.median(diffs))} "
        f"| {ms(statistics.median(ht)) if ht else '–'} | {ms(p90(ht)) if ht else '–'} |")
v = [w for r, c, s, w in rows if c == "floor"]
lines.append(f"| floor: `misar-scan --version` | – | – | – | – | – | – | – | {ms(statistics.median(v))} | {ms(p90(v))} |")
lines.append("")
lines.append(f"load after: {' '.join(open('/proc/loadavg').read().split()[:3])}")
if key_check is not None:
    lines.append("check: a push adding a fake key was rejected by the hook and accepted without it; the hook said: "
                 + repr(key_check[:400]))
for (case, side), err in sorted(last_stderr.items()):
    lines.append(f"stderr of the last `{case}` push, side {side}: {err[:600]!r}")
summary = "\n".join(lines)
(out / "summary.md").write_text(summary + "\n")
print(summary)
if failures:
    for f in failures[:10]:
        print(f"FAILED push: case {f[0]}, side {f[1]}, round {f[2]}: {f[3][:800]}", file=sys.stderr)
    print(f"{len(failures)} pushes failed: the bench is broken", file=sys.stderr)
    sys.exit(1)
PY
echo "results: $OUT" >&2
exit "$status"
