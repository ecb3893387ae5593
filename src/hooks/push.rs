//! The push hooks (SPEC §5): `misar-scan hook pre-push` on a developer's
//! machine and `misar-scan hook pre-receive` on a Git server.
//!
//! Both read git's lines on standard input, scan what the push adds
//! ([`crate::source::git::push`]) and answer with an [`Answer`]: accept or
//! reject, and the lines to print on standard error (a server's reach the
//! pusher prefixed `remote:`). Every key is shown redacted.
//!
//! The server side never lets a push through unscanned: a line it cannot
//! parse, a repository or an object it cannot read, anything the scan
//! could not finish rejects the push with the reason. The break-glass is a
//! push option, `git push -o misar-scan.bypass="<reason>"`: with a non-empty
//! reason a push that holds keys is accepted, and one JSON line is appended
//! to `misar-scan/bypass.jsonl` in the repository's git folder (time,
//! reason, pusher, refs, commits, and each finding's rule, path, commit and
//! `secret_sha256`: never a key). A bypass that cannot be recorded is no
//! bypass.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use anyhow::{Context, Result};
use git2::Oid;
use serde::Serialize;

use super::scan::Checker;
use crate::finding::{Finding, Location};
use crate::source::git::push::{
    parse_pre_push, parse_pre_receive, scan_push, Known, ReceivingRepo, RefUpdate,
};
use crate::source::git::range::CommitsScanned;
use crate::source::{ProblemKind, Problems};
use crate::timestamp::Timestamp;

/// The push option that bypasses the server hook.
pub const BYPASS_OPTION: &str = "misar-scan.bypass";

/// The environment variables a pusher's name is read from, in order: GitLab,
/// Gitea and Forgejo, gitolite, a web server's authenticated user (smart
/// HTTP), the account (ssh).
pub const PUSHER_VARIABLES: [&str; 5] = [
    "GL_USERNAME",
    "GITEA_PUSHER_NAME",
    "GL_USER",
    "REMOTE_USER",
    "USER",
];

/// What a hook decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Nothing found (or a bypass): git goes on.
    Accept,
    /// Keys found: the push is refused (exit 1).
    Reject {
        /// How many findings.
        findings: usize,
    },
    /// The push could not be scanned: refused (exit 2).
    Failed,
}

/// What a hook answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    /// The decision.
    pub verdict: Verdict,
    /// Lines for standard error.
    pub lines: Vec<String>,
}

impl Answer {
    fn accept(lines: Vec<String>) -> Self {
        Self {
            verdict: Verdict::Accept,
            lines,
        }
    }

    fn reject(findings: usize, lines: Vec<String>) -> Self {
        Self {
            verdict: Verdict::Reject { findings },
            lines,
        }
    }

    /// Reject: `what` and the error, then each of its causes on a line.
    pub fn failed(what: &str, error: &anyhow::Error) -> Self {
        let mut chain = error.chain().map(ToString::to_string);
        let first = chain.next().unwrap_or_default();
        let mut lines = vec![format!(
            "misar-scan: {what}: {}",
            crate::sanitize::field(&first, true)
        )];
        for cause in chain {
            lines.extend(
                cause
                    .lines()
                    .map(|l| format!("  {}", crate::sanitize::field(l, true))),
            );
        }
        Self {
            verdict: Verdict::Failed,
            lines,
        }
    }
}

/// Who pushed, and which variable said so.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Pusher {
    /// The name.
    pub name: String,
    /// The environment variable it came from.
    pub from: String,
}

/// What git tells a `pre-receive` hook besides its input.
#[derive(Debug, Clone, Default)]
pub struct ReceiveEnv {
    /// The repository's git folder (`GIT_DIR`, else the current folder).
    pub git_dir: PathBuf,
    /// The folders holding the pushed objects: `GIT_OBJECT_DIRECTORY`,
    /// `GIT_QUARANTINE_PATH`, then each of `GIT_ALTERNATE_OBJECT_DIRECTORIES`.
    pub object_dirs: Vec<PathBuf>,
    /// The push options (`GIT_PUSH_OPTION_0`…).
    pub push_options: Vec<String>,
    /// Who pushed.
    pub pusher: Option<Pusher>,
    /// A `.misar-scan.toml` to use instead of the one found from the git folder.
    pub config: Option<PathBuf>,
}

impl ReceiveEnv {
    /// Read it from this process's environment, as git sets it.
    pub fn from_env(config: Option<PathBuf>) -> Self {
        let var = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty());
        let git_dir = var("GIT_DIR").map_or_else(|| PathBuf::from("."), PathBuf::from);
        let mut object_dirs: Vec<PathBuf> = ["GIT_OBJECT_DIRECTORY", "GIT_QUARANTINE_PATH"]
            .into_iter()
            .filter_map(var)
            .map(PathBuf::from)
            .collect();
        if let Some(alternates) = var("GIT_ALTERNATE_OBJECT_DIRECTORIES") {
            object_dirs
                .extend(std::env::split_paths(&alternates).filter(|p| !p.as_os_str().is_empty()));
        }
        let count = std::env::var("GIT_PUSH_OPTION_COUNT")
            .ok()
            .and_then(|n| n.parse::<usize>().ok())
            .unwrap_or(0);
        let push_options = (0..count)
            .filter_map(|i| std::env::var(format!("GIT_PUSH_OPTION_{i}")).ok())
            .collect();
        let pusher = PUSHER_VARIABLES.iter().find_map(|name| {
            let value = std::env::var(name).ok()?;
            let value = value.trim();
            (!value.is_empty()).then(|| Pusher {
                name: value.to_string(),
                from: (*name).to_string(),
            })
        });
        Self {
            git_dir,
            object_dirs,
            push_options,
            pusher,
            config,
        }
    }
}

/// What the push options ask of the hook.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Bypass {
    /// No bypass option.
    None,
    /// `misar-scan.bypass` with no reason: not a bypass.
    Empty,
    /// A bypass with its reason (one line, key-shaped runs redacted, at
    /// most [`REASON_MAX`] characters).
    Reason(String),
}

/// The longest reason kept, in characters.
pub const REASON_MAX: usize = 500;

/// The bypass the push options ask for (the first non-empty reason wins).
pub fn bypass(options: &[String]) -> Bypass {
    let mut found = Bypass::None;
    for option in options {
        let reason = match option.split_once('=') {
            Some((name, reason)) if name.trim() == BYPASS_OPTION => reason,
            None if option.trim() == BYPASS_OPTION => "",
            _ => continue,
        };
        let reason = crate::sanitize::field(reason, true);
        let reason = reason.trim();
        if reason.is_empty() {
            found = Bypass::Empty;
        } else {
            let kept: String = reason.chars().take(REASON_MAX).collect();
            return Bypass::Reason(kept);
        }
    }
    found
}

/// A problem sink that keeps the messages, for the answer.
fn collecting() -> (Problems, Arc<Mutex<Vec<String>>>) {
    let kept = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&kept);
    let problems = Problems::new(Box::new(move |kind, message| {
        if let Ok(mut kept) = sink.lock() {
            let tag = match kind {
                ProblemKind::Warning => "warning",
                ProblemKind::Unread => "not read",
            };
            kept.push(format!("{tag}: {message}"));
        }
    }));
    (problems, kept)
}

/// The lines naming each finding: the redacted key, its rule, where, the commit.
fn finding_lines(findings: &[Finding]) -> Vec<String> {
    findings
        .iter()
        .map(|f| {
            let at = match f.location {
                Location::File => format!("{}:{}", f.path, f.line),
                Location::Path => format!("the path `{}`", f.path),
                other => other.as_str().replace('-', " "),
            };
            let commit = f
                .commit
                .as_ref()
                .map(|c| format!(", commit {}", crate::secret::clip(&c.id, 12)))
                .unwrap_or_default();
            crate::sanitize::field(
                &format!(
                    "  {} ({}) in {at}{commit}",
                    f.secret.display(true),
                    f.rule_name
                ),
                true,
            )
        })
        .collect()
}

/// How many distinct keys `findings` hold, in words.
fn keys_phrase(findings: &[Finding]) -> String {
    let distinct: std::collections::BTreeSet<&str> =
        findings.iter().map(|f| f.secret.sha256()).collect();
    match distinct.len() {
        1 => "a Misar API key".to_string(),
        n => format!("{n} Misar API keys"),
    }
}

/// Run a scan of a push with a collecting problem sink; an incomplete scan
/// is an error naming what was not read.
fn scan_with(
    cwd: &Path,
    config: Option<&Path>,
    scan: impl FnOnce(&Checker) -> Result<CommitsScanned>,
) -> Result<CommitsScanned> {
    let (problems, kept) = collecting();
    let checker = Checker::for_push(cwd, config, problems)?;
    let scanned = scan(&checker)?;
    if checker.problems().incomplete() {
        let kept = kept.lock().map(|k| k.clone()).unwrap_or_default();
        anyhow::bail!(
            "the scan could not read everything the push adds:\n{}",
            kept.join("\n")
        );
    }
    let mut scanned = scanned;
    crate::finding::sort_and_dedup(&mut scanned.findings);
    Ok(scanned)
}

const UNSCANNED: &str = "the push could not be scanned";

/// `misar-scan hook pre-receive`: check a push a server is receiving.
pub fn pre_receive(input: &[u8], env: &ReceiveEnv) -> Answer {
    check_pre_receive(input, env).unwrap_or_else(|e| Answer::failed("push rejected", &e))
}

fn check_pre_receive(input: &[u8], env: &ReceiveEnv) -> Result<Answer> {
    let updates = parse_pre_receive(input)
        .context("git's input could not be read")
        .context(UNSCANNED)?;
    let tips: Vec<Oid> = updates
        .iter()
        .filter(|u| !u.is_deletion())
        .map(|u| u.new)
        .collect();
    if tips.is_empty() {
        return Ok(Answer::accept(Vec::new()));
    }
    let receiving = ReceivingRepo::open(&env.git_dir, &env.object_dirs).context(UNSCANNED)?;
    let known = Known {
        globs: vec!["refs/*".to_string()],
        commits: Vec::new(),
    };
    // The configuration is looked for from the repository's absolute path
    // (git runs the hook with `GIT_DIR=.`), up through the folders above it.
    let git_dir = receiving.repo.path().to_path_buf();
    let scanned = scan_with(&git_dir, env.config.as_deref(), |checker| {
        scan_push(&receiving, &tips, &known, 0, &checker.ctx())
    })
    .context(UNSCANNED)?;
    if scanned.findings.is_empty() {
        return Ok(Answer::accept(Vec::new()));
    }
    let keys = keys_phrase(&scanned.findings);
    let bypass = bypass(&env.push_options);
    if let Bypass::Reason(reason) = &bypass {
        let record = BypassRecord::new(reason, env.pusher.clone(), &updates, &scanned);
        let log = record
            .append(receiving.repo.path())
            .context("the bypass could not be recorded, so it does not apply")?;
        let mut lines = vec![format!(
            "misar-scan: push accepted with {keys} (bypass: \"{reason}\"), recorded in `{}`",
            log.display()
        )];
        lines.extend(finding_lines(&scanned.findings));
        lines.push(
            "  Revoke or rotate each key now if it is live: it is on the server and in every clone."
                .to_string(),
        );
        return Ok(Answer::accept(lines));
    }
    let mut lines = vec![format!(
        "misar-scan: push rejected: {keys} in the pushed commits"
    )];
    lines.extend(finding_lines(&scanned.findings));
    if bypass == Bypass::Empty {
        lines.push(format!(
            "  `-o {BYPASS_OPTION}` needs a reason: an empty reason is not a bypass."
        ));
    }
    lines.push(
        "  Take each key out of the commits that add it (amend or rebase them: a later commit that deletes it leaves it in the history), keep it in an environment variable or a secret store, revoke or rotate it if it is live, and push again."
            .to_string(),
    );
    lines.push(
        "  To push it anyway, give a reason; the bypass is recorded on the server:".to_string(),
    );
    lines.push(format!("    {}", bypass_command(&receiving, &updates)));
    Ok(Answer::reject(scanned.findings.len(), lines))
}

/// The `git push` that bypasses this push: the same refs, with the option.
fn bypass_command(receiving: &ReceivingRepo, updates: &[RefUpdate]) -> String {
    let force = updates.iter().any(|u| {
        !u.old.is_zero()
            && !u.is_deletion()
            && u.old != u.new
            && !receiving
                .repo
                .graph_descendant_of(u.new, u.old)
                .unwrap_or(false)
    });
    let refs: Vec<String> = updates
        .iter()
        .filter(|u| !u.is_deletion())
        .map(|u| {
            let name = u
                .name
                .strip_prefix("refs/heads/")
                .or_else(|| u.name.strip_prefix("refs/tags/"))
                .unwrap_or(&u.name);
            crate::sanitize::field(name, true)
        })
        .collect();
    format!(
        "git push{} -o {BYPASS_OPTION}=\"<reason>\" <remote> {}",
        if force { " --force" } else { "" },
        refs.join(" ")
    )
}

/// One line of `misar-scan/bypass.jsonl`.
#[derive(Debug, Clone, Serialize)]
pub struct BypassRecord {
    /// When (RFC 3339, UTC).
    pub time: String,
    /// Why, as the pusher said it.
    pub reason: String,
    /// Who pushed, when the environment says.
    pub pusher: Option<Pusher>,
    /// The refs the push updates.
    pub refs: Vec<BypassRef>,
    /// The commits it adds.
    pub commits: Vec<String>,
    /// What was let through.
    pub findings: Vec<BypassFinding>,
}

/// A ref a bypassed push updates.
#[derive(Debug, Clone, Serialize)]
pub struct BypassRef {
    /// The ref.
    #[serde(rename = "ref")]
    pub name: String,
    /// Its old id.
    pub old: String,
    /// Its new id.
    pub new: String,
}

/// A finding a bypassed push let through: never the key.
#[derive(Debug, Clone, Serialize)]
pub struct BypassFinding {
    /// The rule.
    pub rule_id: String,
    /// The path in the repository (a placeholder for commit metadata).
    pub path: String,
    /// Where: `file`, `path`, `commit-message`, …
    pub location: String,
    /// The line.
    pub line: usize,
    /// The commit that adds it.
    pub commit: Option<String>,
    /// The key's SHA-256.
    pub secret_sha256: String,
}

impl BypassRecord {
    fn new(
        reason: &str,
        pusher: Option<Pusher>,
        updates: &[RefUpdate],
        scanned: &CommitsScanned,
    ) -> Self {
        let clean = |s: &str| crate::sanitize::field(s, true);
        Self {
            time: Timestamp::now().to_string(),
            reason: clean(reason),
            pusher: pusher.map(|p| Pusher {
                name: clean(&p.name),
                from: p.from,
            }),
            refs: updates
                .iter()
                .map(|u| BypassRef {
                    name: clean(&u.name),
                    old: u.old.to_string(),
                    new: u.new.to_string(),
                })
                .collect(),
            commits: scanned.commits.iter().map(Oid::to_string).collect(),
            findings: scanned
                .findings
                .iter()
                .map(|f| BypassFinding {
                    rule_id: f.rule_id.clone(),
                    path: clean(&f.path),
                    location: f.location.as_str().to_string(),
                    line: f.line,
                    commit: f.commit.as_ref().map(|c| c.id.clone()),
                    secret_sha256: f.secret.sha256().to_string(),
                })
                .collect(),
        }
    }

    /// Append this record as one line to `misar-scan/bypass.jsonl` in
    /// `git_dir` (one `write` of the whole line to a file opened for
    /// appending, so concurrent pushes do not interleave); returns the path.
    pub fn append(&self, git_dir: &Path) -> Result<PathBuf> {
        let dir = git_dir.join("misar-scan");
        std::fs::create_dir_all(&dir)
            .with_context(|| format!("failed to create `{}`", dir.display()))?;
        let path = dir.join("bypass.jsonl");
        let mut line = serde_json::to_string(self).context("failed to write the bypass record")?;
        line.push('\n');
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .with_context(|| format!("failed to open `{}`", path.display()))?;
        file.write_all(line.as_bytes())
            .and_then(|()| file.sync_all())
            .with_context(|| format!("failed to write `{}`", path.display()))?;
        Ok(path)
    }
}

/// What git tells a `pre-push` hook besides its input.
#[derive(Debug, Clone)]
pub struct PrePushEnv {
    /// The remote's name, or its URL when the push names no remote.
    pub remote: String,
    /// The folder the hook runs in (the work tree's root).
    pub cwd: PathBuf,
}

/// `misar-scan hook pre-push`: check what a push would add to the remote.
pub fn pre_push(input: &[u8], env: &PrePushEnv) -> Answer {
    check_pre_push(input, env).unwrap_or_else(|e| Answer::failed("push blocked", &e))
}

fn check_pre_push(input: &[u8], env: &PrePushEnv) -> Result<Answer> {
    let pushed = parse_pre_push(input)
        .context("git's input could not be read")
        .context(UNSCANNED)?;
    let tips: Vec<Oid> = pushed
        .iter()
        .filter(|p| !p.is_deletion())
        .map(|p| p.local)
        .collect();
    if tips.is_empty() {
        return Ok(Answer::accept(Vec::new()));
    }
    let repo = crate::source::git::open_repo(&env.cwd).context(UNSCANNED)?;
    let mut globs = Vec::new();
    // A remote by name has remote-tracking refs; a URL has none.
    if repo.find_remote(&env.remote).is_ok() && !env.remote.contains(['*', '?', '[', '\\']) {
        globs.push(format!("refs/remotes/{}/*", env.remote));
    }
    let known = Known {
        globs,
        commits: pushed.iter().map(|p| p.remote).collect(),
    };
    let cwd = repo
        .workdir()
        .map_or_else(|| repo.path().to_path_buf(), Path::to_path_buf);
    let receiving = ReceivingRepo::plain(repo);
    let scanned = scan_with(&cwd, None, |checker| {
        scan_push(&receiving, &tips, &known, 0, &checker.ctx())
    })
    .context(UNSCANNED)?;
    if scanned.findings.is_empty() {
        return Ok(Answer::accept(Vec::new()));
    }
    let mut lines = vec![format!(
        "misar-scan: push blocked: {} in the commits this push would add to `{}`",
        keys_phrase(&scanned.findings),
        crate::sanitize::field(&env.remote, true)
    )];
    lines.extend(finding_lines(&scanned.findings));
    lines.push(
        "  Take each key out of the commits that add it (`git commit --amend`, `git rebase -i`: a later commit that deletes it leaves it in the history), keep it in an environment variable or a secret store, and push again. If it was ever pushed or shared, revoke or rotate it."
            .to_string(),
    );
    lines.push("  To push anyway (not recorded): `git push --no-verify`.".to_string());
    Ok(Answer::reject(scanned.findings.len(), lines))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_string()).collect()
    }

    #[test]
    fn bypass_needs_a_reason() {
        assert_eq!(bypass(&opts(&[])), Bypass::None);
        assert_eq!(bypass(&opts(&["ci.skip"])), Bypass::None);
        assert_eq!(bypass(&opts(&["misar-scan.bypass"])), Bypass::Empty);
        assert_eq!(bypass(&opts(&["misar-scan.bypass="])), Bypass::Empty);
        assert_eq!(bypass(&opts(&["misar-scan.bypass=   "])), Bypass::Empty);
        assert_eq!(
            bypass(&opts(&[
                "misar-scan.bypass=",
                "misar-scan.bypass=test fixture"
            ])),
            Bypass::Reason("test fixture".into())
        );
        assert_eq!(
            bypass(&opts(&["misar-scan.bypass=a=b"])),
            Bypass::Reason("a=b".into())
        );
        assert_eq!(bypass(&opts(&["misar-scan.bypassed=x"])), Bypass::None);
    }

    #[test]
    fn bypass_reason_is_one_bounded_line() {
        let Bypass::Reason(r) = bypass(&opts(&["misar-scan.bypass=line one\nline two\u{1b}[31m"]))
        else {
            panic!("a reason")
        };
        assert!(!r.contains('\n') && !r.contains('\u{1b}'), "{r:?}");
        let long = format!("misar-scan.bypass={}", "x".repeat(5000));
        let Bypass::Reason(r) = bypass(&[long]) else {
            panic!("a reason")
        };
        assert_eq!(r.chars().count(), REASON_MAX);
    }
}
