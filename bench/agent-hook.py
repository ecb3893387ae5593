#!/usr/bin/env python3
"""Latency of `misar-scan hook claude-code`, the whole process, per event.

    python3 bench/agent-hook.py [--runs N] [--bin PATH] [--out DIR]

Claude Code runs the hook before every tool call and prompt, as a command
through the shell with the event on standard input, and waits for it. What
counts is therefore the whole process: start, read the event, load the
rules, scan, exit. This script times exactly that, from Python's
`subprocess` (fork + exec + wait, stdin written and closed), for a set of
typical events, `N` runs each, interleaved round-robin so that every event
sees the same load on average. It reports the median, p95, min and max in
milliseconds, both for the binary started directly and through `sh -c` (as
Claude Code starts it), plus two floors: `misar-scan --version` (the cost of
starting the process at all) and `sh -c true`.

It checks every answer: the events without a key must exit 0 with no
output, the event with a key must exit 2. Builds the release binary first
unless `--bin` is given. Writes `summary.md` and `times.tsv` to `--out`
(default `bench/work/results/agent-hook-DATE`).
"""

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
BASE62 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"


def fake_key(seed):
    rng = random.Random(seed)
    return "msk_" + "".join(rng.choice(BASE62) for _ in range(32))


def events(project):
    """(name, event, expected exit code) for typical calls."""
    source = (REPO / "src/engine/mod.rs").read_text()
    readme = project / "src" / "engine.rs"
    readme.parent.mkdir(parents=True, exist_ok=True)
    readme.write_text(source)
    common = {
        "session_id": "8c35adc1-0d6b-4a27-9f37-3c2b8a7e5d10",
        "transcript_path": str(project / ".claude-transcript.jsonl"),
        "cwd": str(project),
        "permission_mode": "default",
    }

    def tool(name, tool_input):
        return dict(common, hook_event_name="PreToolUse", tool_name=name,
                    tool_input=tool_input, tool_use_id="toolu_01ABC123")

    new_code = source[10000:10400]
    return [
        ("Bash (90 B command)", tool("Bash", {
            "command": "cargo test --test agent_hook 2>&1 | tail -20",
            "description": "Run the agent hook tests", "timeout": 120000}), 0),
        ("Edit (200 B -> 400 B)", tool("Edit", {
            "file_path": str(readme), "old_string": source[10000:10200],
            "new_string": new_code, "replace_all": False}), 0),
        ("Write (8 KB file)", tool("Write", {
            "file_path": str(project / "src" / "new.rs"),
            "content": source[:8192]}), 0),
        (f"Read ({len(source) // 1024} KB file on disk)",
         tool("Read", {"file_path": "src/engine.rs"}), 0),
        ("mcp__ tool (nested arguments)", tool("mcp__github__create_issue", {
            "owner": "misar", "repo": "app", "title": "Flaky test",
            "body": source[20000:21000], "labels": ["bug", "ci"],
            "assignees": [{"login": "dev"}]}), 0),
        ("UserPromptSubmit (300 B prompt)", dict(
            common, hook_event_name="UserPromptSubmit",
            prompt="Refactor the scanner so that the prefilter literals are "
                   "built once per rule set, add a test for the UTF-16 path, and "
                   "update the benchmarks. Keep the public API unchanged and "
                   "explain the trade-offs in the commit message. " * 2), 0),
        ("Bash with a key (blocked)", tool("Bash", {
            "command": f"curl -H 'Authorization: Bearer {fake_key(17)}' "
                       "https://api.misar.io/v1/messages"}), 2),
        ("Write (1 MB file, not typical)", tool("Write", {
            "file_path": str(project / "big.rs"),
            "content": (source * (1_000_000 // len(source) + 1))[:1_000_000]}), 0),
    ]


def time_run(argv, stdin, expected, env, cwd):
    start = time.perf_counter_ns()
    proc = subprocess.run(argv, input=stdin, capture_output=True, env=env, cwd=cwd)
    elapsed = (time.perf_counter_ns() - start) / 1e6
    if expected is not None:
        if proc.returncode != expected:
            sys.exit(f"{argv}: exit {proc.returncode}, expected {expected}: "
                     f"{proc.stderr.decode(errors='replace')}")
        if expected == 0 and (proc.stdout or proc.stderr):
            sys.exit(f"{argv}: printed something on an allow")
    return elapsed


def pct(values, p):
    values = sorted(values)
    k = max(0, min(len(values) - 1, round(p / 100 * (len(values) - 1))))
    return values[k]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=300)
    ap.add_argument("--bin")
    ap.add_argument("--out")
    args = ap.parse_args()

    if args.bin:
        binary = Path(args.bin).resolve()
    else:
        subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=REPO, check=True)
        target = Path(os.environ.get("CARGO_TARGET_DIR", REPO / "target"))
        binary = (target / "release" / "misar-scan").resolve()
    out = Path(args.out or HERE / "work" / "results" /
               time.strftime("agent-hook-%Y%m%d-%H%M%S"))
    out.mkdir(parents=True, exist_ok=True)

    project = Path(tempfile.mkdtemp(prefix="agent-hook-bench-"))
    (project / ".git").mkdir()
    (project / ".misar-scan.toml").write_text(
        '[allowlist]\npaths = ["tests/fixtures/**"]\n')
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(project)}
    sh = shutil.which("sh")
    cases = []
    for name, event, expected in events(project):
        data = json.dumps(event).encode()
        cases.append((name, [str(binary), "hook", "claude-code"], data, expected, len(data)))
        if sh:
            cases.append((name + ", via sh -c", [sh, "-c", f"'{binary}' hook claude-code"],
                          data, expected, len(data)))
    cases.append(("floor: misar-scan --version", [str(binary), "--version"], b"", None, 0))
    if sh:
        cases.append(("floor: sh -c true", [sh, "-c", "true"], b"", None, 0))

    for name, argv, data, expected, _ in cases:  # warm-up, and the checks
        time_run(argv, data, expected, env, project)
    times = {name: [] for name, *_ in cases}
    with open(out / "times.tsv", "w") as tsv:
        tsv.write("round\tcase\tms\n")
        for r in range(args.runs):
            for name, argv, data, expected, _ in cases:
                ms = time_run(argv, data, expected, env, project)
                times[name].append(ms)
                tsv.write(f"{r}\t{name}\t{ms:.3f}\n")

    load = os.getloadavg()
    lines = [
        f"`misar-scan hook claude-code`, whole process, {args.runs} interleaved runs per case "
        f"(load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f} at the end, {os.cpu_count()} cores)",
        "",
        "| event | stdin | median | p95 | min | max |",
        "|---|---|---|---|---|---|",
    ]
    for name, _, _, _, size in cases:
        t = times[name]
        lines.append(f"| {name} | {size:,} B | {statistics.median(t):.1f} ms | "
                     f"{pct(t, 95):.1f} ms | {min(t):.1f} ms | {max(t):.1f} ms |")
    summary = "\n".join(lines) + "\n"
    (out / "summary.md").write_text(summary)
    print(summary)
    print(f"results in {out}")
    shutil.rmtree(project)


if __name__ == "__main__":
    main()
