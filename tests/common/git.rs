//! Git sandboxes: a temporary folder with its own `HOME` and repositories
//! built with the `git` CLI under fixed names and dates (so commit ids are
//! stable from run to run).

use std::cell::Cell;
use std::path::{Path, PathBuf};
use std::process::Command;

use tempfile::TempDir;

use super::run::{bin, hermetic, Run};

/// The author and committer of every test commit.
pub const AUTHOR: &str = "Test Author";
/// Their e-mail.
pub const EMAIL: &str = "author@example.com";
/// The rule id of `msk_` keys.
pub const MAIL_RULE: &str = "misar-mail-api-key";
/// The first commit date, 2024-01-01T00:00:00Z; each commit is a minute later.
pub const EPOCH: u64 = 1_704_067_200;

/// A temporary folder holding a home directory and git repositories.
pub struct Sandbox {
    pub dir: TempDir,
}

impl Default for Sandbox {
    fn default() -> Self {
        Self::new()
    }
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
            tick: Cell::new(0),
        };
        repo.git(&["init", "-q", "-b", "main"]);
        repo
    }

    /// Run `git` in `cwd` (not necessarily a repository).
    pub fn git_in(&self, cwd: &Path, args: &[&str]) -> String {
        run_git(cwd, &self.home(), args, 0)
    }

    /// Run misar-scan in `cwd` with this sandbox's `HOME`; none of `keys`
    /// may appear in full in its output.
    pub fn scan(&self, cwd: &Path, args: &[&str], keys: &[&str]) -> Run {
        bin(cwd).home(&self.home()).args(args).secrets(keys).run()
    }
}

/// `git` in `cwd` with the fixed author, committer and the date of commit
/// number `tick`; panics if it fails, returns trimmed stdout.
fn run_git(cwd: &Path, home: &Path, args: &[&str], tick: u32) -> String {
    let date = format!("{} +0000", EPOCH + 60 * u64::from(tick));
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
    tick: Cell<u32>,
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
        self.git_out(args).0
    }

    /// Run `git` here with hooks as configured; returns whether it
    /// succeeded and its stdout and stderr together.
    pub fn git_out(&self, args: &[&str]) -> (bool, String) {
        let mut cmd = Command::new("git");
        hermetic(&mut cmd, &self.home);
        let out = cmd
            .current_dir(&self.path)
            .args(args)
            .env("GIT_AUTHOR_NAME", AUTHOR)
            .env("GIT_AUTHOR_EMAIL", EMAIL)
            .env("GIT_COMMITTER_NAME", AUTHOR)
            .env("GIT_COMMITTER_EMAIL", EMAIL)
            .output()
            .expect("git runs");
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        (out.status.success(), text)
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

/// Expected place of a `msk_` finding: (path, line, rule, commit), as
/// [`Run::places`] lists them.
pub fn at(path: &str, line: u64, commit: Option<&str>) -> (String, u64, String, Option<String>) {
    (
        path.to_string(),
        line,
        MAIL_RULE.to_string(),
        commit.map(str::to_string),
    )
}
