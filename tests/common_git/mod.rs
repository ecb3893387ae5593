//! Helpers for the git integration tests: repositories built with the `git`
//! CLI under fixed names and dates (so commit ids are stable), a hermetic
//! runner for the real binary, and checks that no full key is printed.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;
use tempfile::TempDir;

/// The author and committer of every test commit.
pub const AUTHOR: &str = "Test Author";
/// Their e-mail.
pub const EMAIL: &str = "author@example.com";
/// The rule id of `msk_` keys.
pub const MAIL_RULE: &str = "misar-mail-api-key";

/// A fake key: `prefix` and a 36-character base62 body derived from `seed`
/// (random-looking, so the placeholder filter keeps it).
pub fn key(prefix: &str, seed: u64) -> String {
    const B62: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0xD1B5_4A32_D192_ED03;
    let body: String = (0..36)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            B62[(x % 62) as usize] as char
        })
        .collect();
    format!("{prefix}{body}")
}

/// The environment every child process gets: nothing from the user's.
fn hermetic(cmd: &mut Command, home: &Path) {
    cmd.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", home)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("NO_COLOR", "1")
        .env("LC_ALL", "C");
}

/// A temporary folder holding a home directory and git repositories.
pub struct Sandbox {
    pub dir: TempDir,
}

impl Sandbox {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("home")).unwrap();
        Self { dir }
    }

    pub fn home(&self) -> PathBuf {
        self.dir.path().join("home")
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    /// `git init -b main` at `rel`.
    pub fn repo(&self, rel: &str) -> Repo {
        let path = self.path(rel);
        std::fs::create_dir_all(&path).unwrap();
        let repo = Repo {
            path,
            home: self.home(),
            tick: std::cell::Cell::new(0),
        };
        repo.git(&["init", "-q", "-b", "main"]);
        repo
    }

    /// Run `git` in `cwd` (not necessarily a repository).
    pub fn git_in(&self, cwd: &Path, args: &[&str]) -> String {
        run_git(cwd, &self.home(), args, 0)
    }

    /// Run misar-scan in `cwd`, checking that none of `keys` appears in full.
    pub fn scan(&self, cwd: &Path, args: &[&str], keys: &[&str]) -> Run {
        run_bin(cwd, &self.home(), args, keys)
    }
}

fn run_git(cwd: &Path, home: &Path, args: &[&str], tick: u32) -> String {
    // 2024-01-01T00:00:00Z plus one minute per commit.
    let date = format!("{} +0000", 1_704_067_200 + 60 * u64::from(tick));
    let mut cmd = Command::new("git");
    hermetic(&mut cmd, home);
    let out = cmd
        .current_dir(cwd)
        .args(args)
        .env("GIT_AUTHOR_NAME", AUTHOR)
        .env("GIT_AUTHOR_EMAIL", EMAIL)
        .env("GIT_AUTHOR_DATE", &date)
        .env("GIT_COMMITTER_NAME", AUTHOR)
        .env("GIT_COMMITTER_EMAIL", EMAIL)
        .env("GIT_COMMITTER_DATE", &date)
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?} failed in {}:\n{}{}",
        cwd.display(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

/// A git repository (work tree) made by the `git` CLI.
pub struct Repo {
    pub path: PathBuf,
    home: PathBuf,
    tick: std::cell::Cell<u32>,
}

impl Repo {
    /// Run `git` here; returns trimmed stdout.
    pub fn git(&self, args: &[&str]) -> String {
        run_git(&self.path, &self.home, args, self.tick.get())
    }

    /// Write a file (creating folders).
    pub fn write(&self, rel: &str, content: &str) {
        let path = self.path.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, content).unwrap();
    }

    /// Stage everything and commit with the next fixed date; returns the commit id.
    pub fn commit(&self, message: &str) -> String {
        self.git(&["add", "-A"]);
        self.commit_staged(message)
    }

    /// Commit what is staged with the next fixed date; returns the commit id.
    pub fn commit_staged(&self, message: &str) -> String {
        self.tick.set(self.tick.get() + 1);
        self.git(&["commit", "-q", "--allow-empty", "-m", message]);
        self.rev("HEAD")
    }

    /// Run `git` here; returns whether it succeeded (for commands expected to fail).
    pub fn git_ok(&self, args: &[&str]) -> bool {
        let mut cmd = Command::new("git");
        hermetic(&mut cmd, &self.home);
        cmd.current_dir(&self.path)
            .args(args)
            .env("GIT_AUTHOR_NAME", AUTHOR)
            .env("GIT_AUTHOR_EMAIL", EMAIL)
            .env("GIT_COMMITTER_NAME", AUTHOR)
            .env("GIT_COMMITTER_EMAIL", EMAIL)
            .output()
            .expect("git runs")
            .status
            .success()
    }

    /// Run a `git` command that makes a commit (merge, amend) at the next fixed date.
    pub fn git_commit(&self, args: &[&str]) -> String {
        self.tick.set(self.tick.get() + 1);
        self.git(args);
        self.rev("HEAD")
    }

    pub fn rev(&self, rev: &str) -> String {
        self.git(&["rev-parse", rev])
    }
}

/// One run of the binary.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// The findings of a `-f json` run.
    pub fn findings(&self) -> Vec<Value> {
        let doc: Value = serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "stdout is not JSON ({e}):\n{}\nstderr:\n{}",
                self.stdout, self.stderr
            )
        });
        doc["findings"].as_array().unwrap().clone()
    }

    /// (path, line, rule, commit) of each finding of a `-f json` run.
    pub fn places(&self) -> Vec<(String, u64, String, Option<String>)> {
        self.findings()
            .iter()
            .map(|f| {
                (
                    f["path"].as_str().unwrap().to_string(),
                    f["line"].as_u64().unwrap(),
                    f["rule_id"].as_str().unwrap().to_string(),
                    f["commit"].as_str().map(str::to_string),
                )
            })
            .collect()
    }
}

/// Run misar-scan; assert that no full key from `keys` is in stdout or stderr.
pub fn run_bin(cwd: &Path, home: &Path, args: &[&str], keys: &[&str]) -> Run {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_misar-scan"));
    hermetic(&mut cmd, home);
    let out: Output = cmd
        .current_dir(cwd)
        .args(args)
        .output()
        .expect("misar-scan runs");
    let run = Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    };
    for k in keys {
        assert_no_full_key(&run.stdout, k);
        assert_no_full_key(&run.stderr, k);
    }
    run
}

/// Assert `text` does not contain `key` in full.
pub fn assert_no_full_key(text: &str, key: &str) {
    assert!(
        !text.contains(key),
        "a full key leaked into the output:\n{text}"
    );
}

/// Expected place of a finding.
pub fn at(path: &str, line: u64, commit: Option<&str>) -> (String, u64, String, Option<String>) {
    (
        path.to_string(),
        line,
        MAIL_RULE.to_string(),
        commit.map(str::to_string),
    )
}
