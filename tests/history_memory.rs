//! `scan --git` memory grows with the number of objects, not with the
//! number of tree entries (issue 16): a history of 400 commits, each
//! changing one file of a 20,000-file folder, has 8 million tree entries but
//! fewer than 1,300 objects. The walk that kept four bytes per tree entry
//! (and briefly a second copy) peaked at 73 MiB on it; the walk that keeps
//! labels per object at 20 MiB (release builds; 29 MiB in a debug build).
//!
//! The peak is the child's own, from `wait4` (Linux and macOS), so no other
//! process of the test run counts.

#![cfg(unix)]
// `wait4` is the one call that gives a child's own peak memory; std has no
// safe form of it.
#![allow(unsafe_code)]

use std::io::Write;
use std::process::{Command, Stdio};

const FILES: usize = 20_000;
const COMMITS: usize = 400;
/// Peak resident memory allowed, in MiB. A debug build scans this history
/// in 29 MiB; the walk that kept every tree entry took 73 MiB (release).
const BOUND_MIB: u64 = 48;

/// A fast-import stream of the history described above.
fn history() -> Vec<u8> {
    let mut s = Vec::new();
    for b in 0..64 {
        let text = format!("shared line {b}\n");
        write!(s, "blob\nmark :{}\ndata {}\n{text}\n", b + 1, text.len()).unwrap();
    }
    for c in 0..COMMITS {
        let msg = format!("c{c}");
        write!(
            s,
            "commit refs/heads/main\ncommitter T <t@example.com> {} +0000\ndata {}\n{msg}\n",
            1_700_000_000 + c * 60,
            msg.len()
        )
        .unwrap();
        if c == 0 {
            for f in 0..FILES {
                writeln!(s, "M 100644 :{} f{f:05}.txt", f % 64 + 1).unwrap();
            }
        } else {
            let text = format!("edit {c}\n");
            let f = c * 37 % FILES;
            write!(
                s,
                "M 100644 inline f{f:05}.txt\ndata {}\n{text}\n",
                text.len()
            )
            .unwrap();
        }
    }
    s
}

fn git(dir: &std::path::Path, args: &[&str], input: &[u8]) {
    let mut child = Command::new("git")
        .current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .expect("git runs");
    child.stdin.take().unwrap().write_all(input).unwrap();
    assert!(child.wait().unwrap().success(), "git {args:?}");
}

/// Run `cmd` to its end; its exit code and its own peak RSS in KiB.
// `wait4` reaps the child: std's `wait` would find it gone.
#[allow(clippy::zombie_processes)]
fn run_measured(cmd: &mut Command) -> (i32, u64) {
    let child = cmd.spawn().expect("misar-scan runs");
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    // SAFETY: `rusage` is plain data, and `wait4` reaps the child we spawned
    // (std's `Child` is not waited on afterwards; dropping it does not wait).
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let got = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    assert_eq!(got, pid, "wait4: {}", std::io::Error::last_os_error());
    let code = if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else {
        -1
    };
    // Linux reports KiB, macOS bytes.
    let rss = usage.ru_maxrss as u64;
    let kib = if cfg!(target_os = "macos") {
        rss / 1024
    } else {
        rss
    };
    (code, kib)
}

#[test]
fn history_memory_does_not_grow_with_tree_entries() {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("wide");
    std::fs::create_dir(&repo).unwrap();
    git(&repo, &["init", "-q", "-b", "main"], b"");
    git(&repo, &["fast-import", "--quiet"], &history());

    let (code, kib) = run_measured(
        Command::new(env!("CARGO_BIN_EXE_misar-scan"))
            .args(["scan", "--git", "--format", "json", "-o"])
            .arg(dir.path().join("report.json"))
            .arg(&repo)
            .env("HOME", dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null()),
    );
    assert_eq!(code, 0, "a clean history scans clean");
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("report.json")).unwrap()).unwrap();
    // Every blob was reached and scanned: the 64 shared ones and the edits.
    assert_eq!(
        report["summary"]["files_scanned"],
        64 + COMMITS as u64 - 1,
        "{report}"
    );
    let mib = kib / 1024;
    assert!(
        mib <= BOUND_MIB,
        "peak RSS {mib} MiB > {BOUND_MIB} MiB: memory grows with tree entries again"
    );
}
