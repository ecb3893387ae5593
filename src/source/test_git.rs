//! Helpers for unit tests that build real repositories with the `git` CLI.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use git2::Oid;

/// Run `git` in `dir` (hermetic: no system or user config, a fixed
/// identity), feeding it `input`; returns its trimmed stdout. Panics if git
/// fails.
pub fn git(dir: &Path, args: &[&str], input: Option<&str>) -> String {
    let mut child = Command::new("git")
        .current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("HOME", dir)
        .args(["-c", "user.name=T", "-c", "user.email=t@example.com"])
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("git runs");
    let mut stdin = child.stdin.take().expect("piped");
    if let Some(text) = input {
        stdin.write_all(text.as_bytes()).unwrap();
    }
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

/// Every object id the repository's object database lists, sorted, once.
pub fn object_ids(repo: &git2::Repository) -> Vec<Oid> {
    let mut ids = Vec::new();
    repo.odb()
        .unwrap()
        .foreach(|id| {
            ids.push(*id);
            true
        })
        .unwrap();
    ids.sort();
    ids.dedup();
    ids
}
