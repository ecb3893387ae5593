//! `ci github` as a library call: the logic of the GitHub Action
//! (`action.yml`), in the crate so it is tested like every other command
//! (issue 6).
//!
//! Why here and not in a shell script: the event payload is JSON and shallow
//! checkouts need a fetch loop; in Rust each piece is a function with unit
//! tests, and the whole runs in the integration tests against a simulated
//! Actions environment. `action.yml` only installs the binary and calls
//! `misar-scan ci github`.
//!
//! From the `GITHUB_*` variables (read in [`GithubEnv::from_env`], the one
//! place that reads them; `MISAR_*` stay with [`crate::config`]) and the
//! Action's inputs ([`GithubOptions`]):
//!
//! 1. **Plan** ([`prepare`], [`plan`]) from `GITHUB_EVENT_NAME` and the
//!    payload at `GITHUB_EVENT_PATH`: a pull request scans
//!    `base.sha..head.sha`, a merge queue group `base_sha..head_sha`, a push
//!    `before..after` (a new branch, whose `before` is all zeros, scans what
//!    it adds to the default branch, or the whole history when that cannot
//!    be fetched; a deleted branch scans nothing), anything else
//!    (`workflow_dispatch`, `schedule`) the whole history.
//! 2. **Fetch** what a range needs when the checkout lacks it
//!    (`ensure_range`): both commits, then deeper history until their merge
//!    base is there (doubling `--deepen`), at worst `--unshallow`. `git` is
//!    run as a command so the checkout's credentials apply; its own messages
//!    go to standard error (the job log), ours to the caller as [`Note`]s.
//! 3. **Scan** ([`run`]) with [`crate::scan::run`], and tell whether the
//!    change edits `.misar-scan.toml`.
//!
//! The result is a [`Ran`]: nothing to scan and why, or a [`GithubScan`].
//! Annotations, the step summary and the outputs are rendered from it by
//! [`crate::report::github`]; the command line prints them, writes the
//! SARIF report and picks the exit code.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{bail, Context, Result};
use serde_json::Value;

use crate::hint::{hinted, HintExt};
use crate::sanitize::sanitize;
use crate::scan::{ScanOptions, Scanned};
use crate::source::Problems;
use crate::verify::ApiOptions;

/// The `GITHUB_*` and `RUNNER_*` variables `ci github` uses; this is the one
/// place that reads them.
#[derive(Debug, Clone, Default)]
pub struct GithubEnv {
    /// `GITHUB_EVENT_NAME`: `pull_request`, `push`, `workflow_dispatch`, …
    pub event_name: String,
    /// `GITHUB_EVENT_PATH`: the event payload (JSON).
    pub event_path: Option<PathBuf>,
    /// `GITHUB_OUTPUT`: the step's output file.
    pub output: Option<PathBuf>,
    /// `GITHUB_STEP_SUMMARY`: the step's Markdown summary.
    pub step_summary: Option<PathBuf>,
    /// `GITHUB_WORKSPACE`: the checkout.
    pub workspace: Option<PathBuf>,
    /// `RUNNER_TEMP`: a temporary folder emptied after each job.
    pub runner_temp: Option<PathBuf>,
}

impl GithubEnv {
    /// Read the variables; an empty one counts as unset.
    pub fn from_env() -> Self {
        let var = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty());
        let path = |name: &str| var(name).map(PathBuf::from);
        Self {
            event_name: var("GITHUB_EVENT_NAME")
                .map(|v| v.to_string_lossy().into_owned())
                .unwrap_or_default(),
            event_path: path("GITHUB_EVENT_PATH"),
            output: path("GITHUB_OUTPUT"),
            step_summary: path("GITHUB_STEP_SUMMARY"),
            workspace: path("GITHUB_WORKSPACE"),
            runner_temp: path("RUNNER_TEMP"),
        }
    }
}

/// The Action's inputs.
#[derive(Debug, Clone)]
pub struct GithubOptions {
    /// The repository to scan [default: `GITHUB_WORKSPACE`, else `.`].
    pub path: Option<PathBuf>,
    /// Where the SARIF report goes [default: `RUNNER_TEMP/misar-scan.sarif`,
    /// else `misar-scan.sarif`], relative to the current directory.
    pub sarif: Option<PathBuf>,
    /// Check each key against the Misar API, with these options.
    pub verify: Option<ApiOptions>,
    /// A baseline (JSON report), relative to the repository.
    pub baseline: Option<PathBuf>,
    /// A folder of extra rules, relative to the repository.
    pub rules: Option<PathBuf>,
    /// The remote to fetch missing history from.
    pub remote: String,
    /// Commits fetched per side at first; doubled until the merge base is there.
    pub fetch_depth: u32,
}

impl Default for GithubOptions {
    fn default() -> Self {
        Self {
            path: None,
            sarif: None,
            verify: None,
            baseline: None,
            rules: None,
            remote: "origin".to_string(),
            fetch_depth: 50,
        }
    }
}

/// What to scan for an event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Plan {
    /// The commits in `base..head`.
    Range {
        /// What the change is merged into.
        base: String,
        /// The change's last commit.
        head: String,
    },
    /// A new branch: what `head` adds to the default branch, fetched from the
    /// remote (the whole history if it cannot be).
    NewBranch {
        /// The pushed commit.
        head: String,
        /// The repository's default branch, when the payload names it and
        /// the push is not to it.
        default_branch: Option<String>,
    },
    /// Every commit of the repository.
    History,
    /// Nothing to scan (a deleted branch), and why.
    Nothing(String),
}

/// A commit id made only of zeros: `before` of a new branch, `after` of a deleted one.
fn is_null_sha(sha: &str) -> bool {
    !sha.is_empty() && sha.bytes().all(|b| b == b'0')
}

fn sha_at<'a>(payload: &'a Value, pointer: &str) -> Option<&'a str> {
    payload
        .pointer(pointer)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
}

fn required_sha<'a>(payload: &'a Value, pointer: &str, event: &str) -> Result<&'a str> {
    let sha = sha_at(payload, pointer).ok_or_else(|| {
        hinted(
            format!("the `{event}` event payload has no `{pointer}`"),
            "run the Action on `pull_request`, `push` or `workflow_dispatch` events, with the payload GitHub writes to `GITHUB_EVENT_PATH`",
        )
    })?;
    if !sha.bytes().all(|b| b.is_ascii_hexdigit()) {
        bail!(
            "the `{event}` event payload has `{pointer}` = `{}`, which is not a commit id",
            sanitize(sha)
        );
    }
    Ok(sha)
}

/// Decide what to scan for `event` with `payload` (pure).
pub fn plan(event: &str, payload: &Value) -> Result<Plan> {
    match event {
        "pull_request"
        | "pull_request_target"
        | "pull_request_review"
        | "pull_request_review_comment" => Ok(Plan::Range {
            base: required_sha(payload, "/pull_request/base/sha", event)?.to_string(),
            head: required_sha(payload, "/pull_request/head/sha", event)?.to_string(),
        }),
        "merge_group" => Ok(Plan::Range {
            base: required_sha(payload, "/merge_group/base_sha", event)?.to_string(),
            head: required_sha(payload, "/merge_group/head_sha", event)?.to_string(),
        }),
        "push" => {
            let after = required_sha(payload, "/after", event)?;
            if is_null_sha(after) || payload["deleted"].as_bool() == Some(true) {
                return Ok(Plan::Nothing(
                    "the push deleted a branch or tag: nothing to scan".to_string(),
                ));
            }
            match sha_at(payload, "/before") {
                Some(before) if !is_null_sha(before) => Ok(Plan::Range {
                    base: required_sha(payload, "/before", event)?.to_string(),
                    head: after.to_string(),
                }),
                _ => {
                    let default = sha_at(payload, "/repository/default_branch");
                    let pushed = sha_at(payload, "/ref");
                    let default_branch = default
                        .filter(|d| pushed != Some(format!("refs/heads/{d}").as_str()))
                        .map(str::to_string);
                    Ok(Plan::NewBranch {
                        head: after.to_string(),
                        default_branch,
                    })
                }
            }
        }
        _ => Ok(Plan::History),
    }
}

/// An event read and planned, with its paths resolved: what [`run`] needs.
#[derive(Debug, Clone)]
pub struct Planned {
    /// What to scan.
    pub plan: Plan,
    /// The repository, absolute.
    pub repo: PathBuf,
    /// Where the SARIF report goes, absolute.
    pub sarif: PathBuf,
    /// `GITHUB_WORKSPACE`, for paths relative to it.
    workspace: Option<PathBuf>,
    opts: GithubOptions,
}

/// Read the event payload, resolve the paths and [`plan`]. Every error of
/// the event or the paths comes from here, before anything is fetched.
pub fn prepare(opts: &GithubOptions, env: &GithubEnv) -> Result<Planned> {
    let event = if env.event_name.is_empty() {
        "workflow_dispatch"
    } else {
        env.event_name.as_str()
    };
    let payload: Value = match &env.event_path {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("failed to read the event payload `{}`", path.display()))?;
            serde_json::from_str(&text)
                .with_context(|| format!("the event payload `{}` is not JSON", path.display()))?
        }
        None if event == "workflow_dispatch" || event == "schedule" => Value::Null,
        None => {
            return Err(hinted(
                format!("`GITHUB_EVENT_PATH` is not set for the `{event}` event"),
                "run `misar-scan ci github` inside GitHub Actions, or set `GITHUB_EVENT_NAME` and `GITHUB_EVENT_PATH`",
            ))
        }
    };
    let repo = opts
        .path
        .clone()
        .or_else(|| env.workspace.clone())
        .unwrap_or_else(|| PathBuf::from("."));
    let repo = std::path::absolute(&repo)
        .with_context(|| format!("failed to resolve `{}`", repo.display()))?;
    let sarif = opts
        .sarif
        .clone()
        .unwrap_or_else(|| match &env.runner_temp {
            Some(dir) => dir.join("misar-scan.sarif"),
            None => PathBuf::from("misar-scan.sarif"),
        });
    let sarif = std::path::absolute(&sarif)
        .with_context(|| format!("failed to resolve `{}`", sarif.display()))?;
    Ok(Planned {
        plan: plan(event, &payload)?,
        repo,
        sarif,
        workspace: env.workspace.clone(),
        opts: opts.clone(),
    })
}

/// What is said while history is fetched (git says the rest itself, on
/// standard error).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Note {
    /// Fetching the two commits of a range.
    FetchingCommits {
        /// The range's base.
        base: String,
        /// The range's head.
        head: String,
        /// The remote.
        remote: String,
    },
    /// Deepening a shallow checkout by this many commits.
    Deepening(u32),
    /// Fetching the whole history, the merge base still missing.
    Unshallowing {
        /// The remote.
        remote: String,
    },
    /// The two commits share no history (a warning).
    NoCommonHistory {
        /// The range's base.
        base: String,
        /// The range's head.
        head: String,
    },
    /// A whole-history scan of a shallow checkout fetches the rest first.
    FetchingWholeHistory,
    /// That fetch failed: only what the checkout holds is scanned (a warning).
    WholeHistoryNotFetched,
    /// The default branch of a new branch could not be fetched (a warning).
    BranchNotFetched {
        /// The default branch.
        branch: String,
        /// The remote.
        remote: String,
    },
}

impl Note {
    /// Whether this is a warning rather than progress.
    pub fn is_warning(&self) -> bool {
        matches!(
            self,
            Note::NoCommonHistory { .. }
                | Note::WholeHistoryNotFetched
                | Note::BranchNotFetched { .. }
        )
    }
}

impl std::fmt::Display for Note {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Note::FetchingCommits { base, head, remote } => {
                write!(f, "fetching `{base}` and `{head}` from `{remote}`")
            }
            Note::Deepening(step) => write!(
                f,
                "the checkout is shallow: fetching {step} more commits of history"
            ),
            Note::Unshallowing { remote } => {
                write!(f, "fetching the whole history from `{remote}`")
            }
            Note::NoCommonHistory { base, head } => write!(
                f,
                "`{base}` and `{head}` have no common history: every commit reachable from `{head}` is scanned"
            ),
            Note::FetchingWholeHistory => {
                write!(f, "the checkout is shallow: fetching the whole history")
            }
            Note::WholeHistoryNotFetched => write!(
                f,
                "could not fetch the whole history: only the commits in the checkout are scanned"
            ),
            Note::BranchNotFetched { branch, remote } => write!(
                f,
                "could not fetch `{branch}` from `{remote}`: scanning the whole history"
            ),
        }
    }
}

/// Run `git` in `repo`; its stderr goes to ours (it is the job log).
fn git(repo: &Path, args: &[&str]) -> Result<bool> {
    let status = Command::new("git")
        .current_dir(repo)
        .args(args)
        .stdout(Stdio::null())
        .status()
        .context("failed to run `git`")
        .hint("the Action needs `git` on `PATH` (it is on GitHub's runners)")?;
    Ok(status.success())
}

fn git_output(repo: &Path, args: &[&str]) -> Option<String> {
    let out = Command::new("git")
        .current_dir(repo)
        .args(args)
        .stderr(Stdio::null())
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

fn has_commit(repo: &Path, sha: &str) -> bool {
    git_output(repo, &["cat-file", "-e", &format!("{sha}^{{commit}}")]).is_some()
}

fn is_shallow(repo: &Path) -> bool {
    git_output(repo, &["rev-parse", "--is-shallow-repository"]).as_deref() == Some("true")
}

/// Make sure `base`, `head` and their merge base are in the repository,
/// fetching from `remote` as little as possible: first the two commits, then
/// `--deepen` doubling from `depth` (six rounds), then `--unshallow`.
pub(crate) fn ensure_range(
    repo: &Path,
    remote: &str,
    base: &str,
    head: &str,
    depth: u32,
    notes: &mut dyn FnMut(Note),
) -> Result<()> {
    let merge_base = |r: &Path| git_output(r, &["merge-base", base, head]).is_some();
    if has_commit(repo, base) && has_commit(repo, head) && merge_base(repo) {
        return Ok(());
    }
    let shallow = is_shallow(repo);
    if !(has_commit(repo, base) && has_commit(repo, head)) {
        notes(Note::FetchingCommits {
            base: base.to_string(),
            head: head.to_string(),
            remote: remote.to_string(),
        });
        let depth_arg = format!("--depth={depth}");
        let mut args = vec!["fetch", "--no-tags", "--quiet"];
        if shallow {
            args.push(&depth_arg);
        }
        args.extend([remote, base, head]);
        git(repo, &args)?;
    }
    let mut step = depth;
    for _ in 0..6 {
        if merge_base(repo) || !is_shallow(repo) {
            break;
        }
        notes(Note::Deepening(step));
        let deepen = format!("--deepen={step}");
        git(
            repo,
            &["fetch", "--no-tags", "--quiet", &deepen, remote, base, head],
        )?;
        step = step.saturating_mul(2);
    }
    if !merge_base(repo) && is_shallow(repo) {
        notes(Note::Unshallowing {
            remote: remote.to_string(),
        });
        git(
            repo,
            &["fetch", "--no-tags", "--quiet", "--unshallow", remote],
        )?;
    }
    if !(has_commit(repo, base) && has_commit(repo, head)) {
        return Err(hinted(
            format!("commits `{base}` and `{head}` are not in the checkout and could not be fetched from `{remote}`"),
            "check out with `actions/checkout` and `fetch-depth: 0`, and keep the remote named `origin`",
        ));
    }
    if !merge_base(repo) {
        notes(Note::NoCommonHistory {
            base: base.to_string(),
            head: head.to_string(),
        });
    }
    Ok(())
}

/// Fetch the default branch and return (its name, its commit id).
fn fetch_branch(
    repo: &Path,
    remote: &str,
    branch: &str,
    depth: u32,
    notes: &mut dyn FnMut(Note),
) -> Option<(String, String)> {
    let tracking = format!("refs/remotes/{remote}/{branch}");
    let refspec = format!("+refs/heads/{branch}:{tracking}");
    let depth_arg = format!("--depth={depth}");
    let mut fetch = vec!["fetch", "--no-tags", "--quiet"];
    if is_shallow(repo) {
        fetch.push(&depth_arg);
    }
    fetch.extend([remote, refspec.as_str()]);
    if !git(repo, &fetch).unwrap_or(false) {
        notes(Note::BranchNotFetched {
            branch: branch.to_string(),
            remote: remote.to_string(),
        });
        return None;
    }
    let sha = git_output(
        repo,
        &["rev-parse", "--verify", &format!("{tracking}^{{commit}}")],
    )?;
    Some((branch.to_string(), sha))
}

/// What was scanned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// The commits in `base..head` (a pull request, a merge group, a push).
    Range {
        /// The base commit.
        base: String,
        /// The head commit.
        head: String,
    },
    /// What a new branch adds to the default branch.
    NewBranch {
        /// The pushed commit.
        head: String,
        /// The default branch.
        branch: String,
        /// The default branch's commit.
        base: String,
    },
    /// Every commit.
    History {
        /// A new branch whose default branch could not be fetched.
        new_branch: bool,
    },
}

impl Scope {
    /// `BASE..HEAD`, or `None` for a whole history.
    pub fn range(&self) -> Option<String> {
        match self {
            Scope::Range { base, head } | Scope::NewBranch { base, head, .. } => {
                Some(format!("{base}..{head}"))
            }
            Scope::History { .. } => None,
        }
    }
}

/// A scan made for an event.
#[derive(Debug)]
pub struct GithubScan {
    /// What was scanned.
    pub scope: Scope,
    /// The scan.
    pub scanned: Scanned,
    /// The repository's folder relative to `GITHUB_WORKSPACE` (`/`-separated,
    /// empty at its root or outside it): annotations name files from there.
    pub prefix: String,
    /// The change edits `.misar-scan.toml` (always false for a whole history).
    pub config_edited: bool,
    /// Where the SARIF report goes, absolute.
    pub sarif: PathBuf,
}

/// What `ci github` did.
#[derive(Debug)]
pub enum Ran {
    /// Nothing to scan, and why.
    Nothing(String),
    /// The scan.
    Scanned(Box<GithubScan>),
}

/// The scan options for the repository `repo` and `range` (the defaults of
/// `scan --git`).
pub fn scan_options(opts: &GithubOptions, repo: &Path, range: Option<String>) -> ScanOptions {
    ScanOptions {
        paths: vec![repo.to_path_buf()],
        git: true,
        range,
        archive_limit_mib: crate::source::archive::DEFAULT_LIMIT >> 20,
        baseline: opts.baseline.as_ref().map(|b| repo.join(b)),
        rules: opts.rules.as_ref().map(|r| repo.join(r)),
        verify: opts.verify.clone(),
        ..ScanOptions::default()
    }
}

/// Fetch what the plan needs and scan. Scan problems go to `problems`,
/// fetch progress and warnings to `notes`, as they happen.
pub fn run(planned: &Planned, problems: &Problems, notes: &mut dyn FnMut(Note)) -> Result<Ran> {
    let (repo, opts) = (planned.repo.as_path(), &planned.opts);
    let (remote, depth) = (opts.remote.as_str(), opts.fetch_depth);
    let scope = match &planned.plan {
        Plan::Nothing(why) => return Ok(Ran::Nothing(why.clone())),
        Plan::Range { base, head } => {
            ensure_range(repo, remote, base, head, depth, notes)?;
            Scope::Range {
                base: base.clone(),
                head: head.clone(),
            }
        }
        Plan::NewBranch {
            head,
            default_branch,
        } => match default_branch
            .as_deref()
            .and_then(|b| fetch_branch(repo, remote, b, depth, notes))
        {
            Some((branch, base)) => {
                ensure_range(repo, remote, &base, head, depth, notes)?;
                Scope::NewBranch {
                    head: head.clone(),
                    branch,
                    base,
                }
            }
            None => Scope::History { new_branch: true },
        },
        Plan::History => Scope::History { new_branch: false },
    };
    let range = scope.range();
    if range.is_none() && is_shallow(repo) {
        notes(Note::FetchingWholeHistory);
        if !git(
            repo,
            &["fetch", "--no-tags", "--quiet", "--unshallow", remote],
        )? {
            notes(Note::WholeHistoryNotFetched);
        }
    }
    let scanned = crate::scan::run(&scan_options(opts, repo, range.clone()), problems)?;
    let config_edited = range.as_deref().is_some_and(|r| edits_config(repo, r));
    Ok(Ran::Scanned(Box::new(GithubScan {
        scope,
        scanned,
        prefix: workspace_prefix(repo, planned.workspace.as_deref()),
        config_edited,
        sarif: planned.sarif.clone(),
    })))
}

/// The repository's top folder relative to the workspace (empty when it is
/// the workspace, outside it, or either cannot be resolved).
fn workspace_prefix(repo: &Path, workspace: Option<&Path>) -> String {
    workspace
        .and_then(|w| std::path::absolute(w).ok())
        .and_then(|w| {
            let top = git_output(repo, &["rev-parse", "--show-toplevel"]).map(PathBuf::from)?;
            top.strip_prefix(&w)
                .ok()
                .map(|p| p.to_string_lossy().replace('\\', "/"))
        })
        .unwrap_or_default()
}

/// Whether the change (`BASE..HEAD`) edits the repository's `.misar-scan.toml`.
/// A repository that cannot be read for this is reported as edited: the
/// warning costs a reader a look, its absence could cost a leak.
fn edits_config(repo: &Path, range: &str) -> bool {
    crate::source::git::range::RangeSpec::parse(range)
        .and_then(|r| {
            crate::source::git::range::range_changes_file(repo, &r, crate::config::FILE_NAME)
        })
        .unwrap_or(true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn pull_requests_scan_base_to_head() {
        let payload = json!({"pull_request": {"base": {"sha": "aa11"}, "head": {"sha": "bb22"}}});
        assert_eq!(
            plan("pull_request", &payload).unwrap(),
            Plan::Range {
                base: "aa11".into(),
                head: "bb22".into()
            }
        );
        assert!(plan("pull_request", &json!({})).is_err());
        let bad =
            json!({"pull_request": {"base": {"sha": "--upload-pack=x"}, "head": {"sha": "bb"}}});
        assert!(
            plan("pull_request", &bad).is_err(),
            "only hex ids reach git"
        );
    }

    #[test]
    fn pushes_scan_before_to_after_and_new_branches_against_the_default() {
        let zero = "0000000000000000000000000000000000000000";
        let push = json!({"before": "aa", "after": "bb", "ref": "refs/heads/x"});
        assert_eq!(
            plan("push", &push).unwrap(),
            Plan::Range {
                base: "aa".into(),
                head: "bb".into()
            }
        );
        let new = json!({"before": zero, "after": "bb", "ref": "refs/heads/x",
                         "repository": {"default_branch": "main"}});
        assert_eq!(
            plan("push", &new).unwrap(),
            Plan::NewBranch {
                head: "bb".into(),
                default_branch: Some("main".into())
            }
        );
        let first = json!({"before": zero, "after": "bb", "ref": "refs/heads/main",
                           "repository": {"default_branch": "main"}});
        assert_eq!(
            plan("push", &first).unwrap(),
            Plan::NewBranch {
                head: "bb".into(),
                default_branch: None
            }
        );
        let deleted = json!({"before": "aa", "after": zero, "deleted": true});
        assert!(matches!(plan("push", &deleted).unwrap(), Plan::Nothing(_)));
    }

    #[test]
    fn other_events_scan_the_whole_history() {
        assert_eq!(
            plan("workflow_dispatch", &Value::Null).unwrap(),
            Plan::History
        );
        assert_eq!(plan("schedule", &Value::Null).unwrap(), Plan::History);
    }

    #[test]
    fn ranges_of_scopes() {
        let range = Scope::Range {
            base: "aa".into(),
            head: "bb".into(),
        };
        assert_eq!(range.range().as_deref(), Some("aa..bb"));
        let new = Scope::NewBranch {
            head: "bb".into(),
            branch: "main".into(),
            base: "cc".into(),
        };
        assert_eq!(new.range().as_deref(), Some("cc..bb"));
        assert_eq!(Scope::History { new_branch: true }.range(), None);
    }

    #[test]
    fn notes_read_as_before() {
        let note = Note::FetchingCommits {
            base: "aa".into(),
            head: "bb".into(),
            remote: "origin".into(),
        };
        assert_eq!(note.to_string(), "fetching `aa` and `bb` from `origin`");
        assert!(!note.is_warning());
        assert!(Note::WholeHistoryNotFetched.is_warning());
    }
}
