//! `misar-scan ci github`: the logic of the GitHub Action (`action.yml`),
//! in the binary so it is tested like every other command (issue 6).
//!
//! Why here and not in a shell script: the event payload is JSON, the
//! annotations and the step summary need careful escaping, and shallow
//! checkouts need a fetch loop; in Rust each piece is a pure function with
//! unit tests, and the whole runs in the integration tests against a
//! simulated Actions environment. `action.yml` only installs the binary and
//! calls this command.
//!
//! What it does, from the `GITHUB_*` variables (read in [`GithubEnv::from_env`],
//! the one place that reads them; `MISAR_*` stay with [`crate::config`]):
//!
//! 1. **Plan** ([`plan`]) from `GITHUB_EVENT_NAME` and the payload at
//!    `GITHUB_EVENT_PATH`: a pull request scans `base.sha..head.sha`, a merge
//!    queue group `base_sha..head_sha`, a push `before..after` (a new branch,
//!    whose `before` is all zeros, scans what it adds to the default branch,
//!    or the whole history when that cannot be fetched; a deleted branch
//!    scans nothing), anything else (`workflow_dispatch`, `schedule`) the
//!    whole history.
//! 2. **Fetch** what a range needs when the checkout lacks it
//!    ([`ensure_range`]): both commits, then deeper history until their merge
//!    base is there (doubling `--deepen`), at worst `--unshallow`. `git` is
//!    run as a command so the checkout's credentials apply.
//! 3. **Scan** with [`super::scan::collect`] and write SARIF to `--sarif`.
//! 4. **Report**: one `::error`/`::warning`/`::notice` workflow command per
//!    finding (redacted, escaped), a Markdown table appended to
//!    `GITHUB_STEP_SUMMARY`, and the outputs `sarif`, `findings`,
//!    `exit-code`, `mode` and `range` appended to `GITHUB_OUTPUT`.
//! 5. **Exit** 1 when findings remain and `--fail-on-findings` is true, 2 when
//!    the scan was incomplete or failed, else 0.

#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};
use clap::builder::BoolishValueParser;
use clap::{ArgAction, Args, Parser, Subcommand};
use serde_json::Value;

use super::messages::scan_notes;
use super::progress::stderr_problems;
use super::scan::ScanArgs;
use super::{sanitize, Outcome};
use crate::finding::Finding;
use crate::hint::{hinted, HintExt};
use crate::report::{self, Format};
use crate::rules::Severity;
use crate::scan::Scanned;

/// Options of `ci`.
#[derive(Debug, Args)]
pub struct CiArgs {
    /// The CI system.
    #[command(subcommand)]
    pub system: CiSystem,
}

/// CI systems `ci` knows.
#[derive(Debug, Subcommand)]
pub enum CiSystem {
    /// GitHub Actions: what `action.yml` runs.
    #[command(
        long_about = "Scan what a GitHub Actions event brings, as the misar-scan Action does.\n\n\
Reads GITHUB_EVENT_NAME and the payload at GITHUB_EVENT_PATH: a pull request scans \
base.sha..head.sha, a push before..after (a new branch: what it adds to the default branch), \
workflow_dispatch and schedule the whole history. Fetches missing history from `origin` when the \
checkout is shallow. Writes SARIF, prints one workflow annotation per finding (keys redacted), \
appends a table to GITHUB_STEP_SUMMARY and the outputs sarif, findings, exit-code, mode and range \
to GITHUB_OUTPUT. MISAR_API_URL and MISAR_ADMIN_KEY are read as by `scan --verify`.",
        after_help = "Examples:\n  misar-scan ci github\n  misar-scan ci github --sarif misar.sarif --verify true --fail-on-findings false\n\nExit codes: 0 nothing found (or --fail-on-findings false), 1 findings, 2 the scan failed or was incomplete."
    )]
    Github(GithubArgs),
}

/// Options of `ci github` (the Action's inputs).
#[derive(Debug, Args)]
pub struct GithubArgs {
    /// The repository to scan [default: `$GITHUB_WORKSPACE`, else `.`].
    #[arg(long, value_name = "DIR")]
    pub path: Option<PathBuf>,

    /// Where to write the SARIF report [default: `$RUNNER_TEMP/misar-scan.sarif`].
    ///
    /// Relative to the current directory. Without `RUNNER_TEMP`,
    /// `misar-scan.sarif` in the current directory. The absolute path is the
    /// `sarif` output.
    #[arg(long, value_name = "FILE")]
    pub sarif: Option<PathBuf>,

    /// Check each key against the Misar API (`true` or `false`).
    ///
    /// Uses `MISAR_API_URL` and `MISAR_ADMIN_KEY` from the environment, as
    /// `scan --verify` does. Does not change the exit code.
    #[arg(long, value_name = "BOOL", default_value = "false", action = ArgAction::Set, value_parser = BoolishValueParser::new())]
    pub verify: bool,

    /// Exit 1 when findings remain (`true` or `false`).
    #[arg(long, value_name = "BOOL", default_value = "true", action = ArgAction::Set, value_parser = BoolishValueParser::new())]
    pub fail_on_findings: bool,

    /// Do not report findings recorded in this baseline (a JSON report), relative to the repository.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,

    /// Load extra rules from every `*.toml` in DIR, relative to the repository.
    #[arg(long, value_name = "DIR")]
    pub rules: Option<PathBuf>,

    /// The remote to fetch missing history from.
    #[arg(long, value_name = "NAME", default_value = "origin")]
    pub remote: String,

    /// Commits fetched per side at first when the checkout lacks a range's
    /// history; doubled until the merge base is there.
    #[arg(long, value_name = "N", default_value_t = 50, value_parser = clap::value_parser!(u32).range(1..))]
    pub fetch_depth: u32,
}

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

/// Run `git` in `repo`; its stderr goes to ours (it is the job log).
fn git(repo: &Path, args: &[&str]) -> Result<bool> {
    let status = Command::new("git")
        .current_dir(repo)
        .args(args)
        .stdout(std::process::Stdio::null())
        .status()
        .context("failed to run `git`")
        .hint("the Action needs `git` on `PATH` (it is on GitHub's runners)")?;
    Ok(status.success())
}

fn git_output(repo: &Path, args: &[&str]) -> Option<String> {
    let out = Command::new("git")
        .current_dir(repo)
        .args(args)
        .stderr(std::process::Stdio::null())
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
pub fn ensure_range(repo: &Path, remote: &str, base: &str, head: &str, depth: u32) -> Result<()> {
    let merge_base = |r: &Path| git_output(r, &["merge-base", base, head]).is_some();
    if has_commit(repo, base) && has_commit(repo, head) && merge_base(repo) {
        return Ok(());
    }
    let shallow = is_shallow(repo);
    if !(has_commit(repo, base) && has_commit(repo, head)) {
        eprintln!("misar-scan: fetching `{base}` and `{head}` from `{remote}`");
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
        eprintln!("misar-scan: the checkout is shallow: fetching {step} more commits of history");
        let deepen = format!("--deepen={step}");
        git(
            repo,
            &["fetch", "--no-tags", "--quiet", &deepen, remote, base, head],
        )?;
        step = step.saturating_mul(2);
    }
    if !merge_base(repo) && is_shallow(repo) {
        eprintln!("misar-scan: fetching the whole history from `{remote}`");
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
        eprintln!(
            "warning: `{base}` and `{head}` have no common history: every commit reachable from `{head}` is scanned"
        );
    }
    Ok(())
}

/// Escape data (the message) of a workflow command.
pub fn escape_data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escape a property value (`file=`, `title=`) of a workflow command.
pub fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

/// The workflow command that annotates `f` (keys redacted). `prefix` is the
/// repository's folder relative to the workspace (empty at its root).
pub fn annotation(f: &Finding, prefix: &str, redact: bool) -> String {
    let command = match f.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Note => "notice",
    };
    let file = if prefix.is_empty() {
        f.path.clone()
    } else {
        format!("{}/{}", prefix.trim_end_matches('/'), f.path)
    };
    // File names and author names come from the repository: no control or
    // bidi character and no key reaches the log, whatever escaping follows.
    let file = crate::sanitize::field(&file, redact);
    let shown = f.secret.display(redact);
    let mut message = match &f.note {
        Some(note) => format!("{}: {note}", f.rule_name),
        None => format!("{} `{shown}` found", f.rule_name),
    };
    if let Some(c) = &f.commit {
        message.push_str(&format!(
            " in commit {} by {}",
            crate::secret::clip(&c.id, 12),
            crate::sanitize::field(&c.author_name, redact)
        ));
    }
    if f.verification != crate::finding::Verification::Unverified {
        message.push_str(&format!(" (verification: {})", f.verification.as_str()));
    }
    message.push_str(". Revoke the key, then move its replacement to a secret store: removing the line does not un-leak it.");
    format!(
        "::{command} file={},line={},col={},endColumn={},title={}::{}",
        escape_property(&file),
        f.line,
        f.column,
        f.end_column,
        escape_property(&format!("{} ({})", f.rule_name, f.rule_id)),
        escape_data(&crate::sanitize::field(&message, redact)),
    )
}

/// Whether the change (`BASE..HEAD`) edits the repository's `.misar-scan.toml`.
/// A repository that cannot be read for this is reported as edited: the
/// warning costs a reader a look, its absence could cost a leak.
fn edits_config(repo: &Path, range: &str) -> bool {
    crate::source::git_range::RangeSpec::parse(range)
        .and_then(|r| {
            crate::source::git_range::range_changes_file(repo, &r, crate::config::FILE_NAME)
        })
        .unwrap_or(true)
}

/// The `::warning` annotation for a change that edits `.misar-scan.toml`:
/// the one file that can silence the scan is in the change under review.
pub fn config_warning(prefix: &str, silenced: Option<&crate::config::Silenced>) -> String {
    let file = if prefix.is_empty() {
        crate::config::FILE_NAME.to_string()
    } else {
        format!(
            "{}/{}",
            prefix.trim_end_matches('/'),
            crate::config::FILE_NAME
        )
    };
    let mut message = format!(
        "This change edits {}, which can turn misar-scan rules off and skip paths: review it before trusting a clean result.",
        crate::config::FILE_NAME
    );
    if let Some(s) = silenced {
        message.push_str(&format!(" Now: {s}."));
    }
    format!(
        "::warning file={},title={}::{}",
        escape_property(&crate::sanitize::field(&file, true)),
        escape_property("misar-scan configuration changed"),
        escape_data(&crate::sanitize::field(&message, true)),
    )
}

/// Escape text for a Markdown table cell inside backticks.
fn cell_code(text: &str) -> String {
    let text = sanitize(text).replace(['\n', '\r'], " ").replace('`', "'");
    format!("`{}`", text.replace('|', "\\|"))
}

/// At most this many rows in the step summary (its size is limited to 1 MiB).
const SUMMARY_ROWS: usize = 200;

/// The Markdown appended to `GITHUB_STEP_SUMMARY`.
pub fn summary(scanned: &Scanned, what: &str, sarif: &Path) -> String {
    let n = scanned.findings.len();
    let mut md = String::from("## misar-scan\n\n");
    if n == 0 && !scanned.incomplete {
        md.push_str(&format!("✅ No Misar API key found in {what}.\n"));
    } else if n > 0 {
        md.push_str(&format!(
            "❌ **{n} finding{}** in {what}. Keys are shown redacted.\n\n",
            if n == 1 { "" } else { "s" }
        ));
        md.push_str("| Severity | Rule | Location | Key | Commit | Verification |\n");
        md.push_str("|---|---|---|---|---|---|\n");
        for f in scanned.findings.iter().take(SUMMARY_ROWS) {
            let commit = f
                .commit
                .as_ref()
                .map(|c| cell_code(crate::secret::clip(&c.id, 12)))
                .unwrap_or_default();
            md.push_str(&format!(
                "| {} | {} | {} | {} | {} | {} |\n",
                f.severity.as_str(),
                cell_code(&f.rule_id),
                cell_code(&crate::sanitize::field(
                    &format!("{}:{}:{}", f.path, f.line, f.column),
                    scanned.redact
                )),
                cell_code(&f.secret.display(scanned.redact)),
                commit,
                f.verification.as_str(),
            ));
        }
        if n > SUMMARY_ROWS {
            md.push_str(&format!(
                "\n…and {} more: see the SARIF report.\n",
                n - SUMMARY_ROWS
            ));
        }
        md.push_str(
            "\n**What to do:** a key that reached a commit has leaked, even if a later commit removes it. \
Revoke it (`misar-scan revoke`, or the Misar dashboard), create a new one, and keep it in a secret store \
(GitHub Actions secrets, your cloud's secret manager), never in the code.\n",
        );
    }
    if scanned.incomplete {
        md.push_str(
            "\n⚠️ The scan could not read everything (see the job log): it is not reported as clean.\n",
        );
    }
    md.push_str(&format!(
        "\n<sub>SARIF: `{}` · {} file(s), {} byte(s) scanned</sub>\n",
        sanitize(&sarif.display().to_string()).replace('`', "'"),
        scanned.stats.files,
        scanned.stats.bytes
    ));
    md
}

/// A `name=value` line for `GITHUB_OUTPUT` (the heredoc form when the
/// value holds a line break).
pub fn output_line(name: &str, value: &str) -> String {
    if value.contains(['\n', '\r']) {
        let delimiter = format!(
            "ghadelimiter_{}",
            crate::secret::sha256_hex(value.as_bytes())
        );
        format!("{name}<<{delimiter}\n{value}\n{delimiter}\n")
    } else {
        format!("{name}={value}\n")
    }
}

fn append(path: &Path, text: &str) -> Result<()> {
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .with_context(|| format!("failed to open `{}`", path.display()))?;
    file.write_all(text.as_bytes())
        .with_context(|| format!("failed to write `{}`", path.display()))
}

/// A token for `::stop-commands::`, unguessable by file content.
fn stop_token() -> String {
    let seed = format!("{:?}{}", std::time::SystemTime::now(), std::process::id());
    crate::secret::sha256_hex(seed.as_bytes())[..32].to_string()
}

/// Run `ci`.
pub fn run(args: CiArgs) -> Result<Outcome> {
    match args.system {
        CiSystem::Github(args) => github(args, &GithubEnv::from_env()),
    }
}

/// Build the `scan` arguments for a plan (parsed by clap, so every default
/// is the one `scan` has).
fn scan_args(args: &GithubArgs, repo: &Path, range: Option<&str>) -> Result<ScanArgs> {
    #[derive(Parser)]
    struct Wrapper {
        #[command(flatten)]
        scan: ScanArgs,
    }
    let mut argv: Vec<std::ffi::OsString> = vec!["misar-scan".into(), "--git".into()];
    argv.push(repo.into());
    if let Some(range) = range {
        argv.extend(["--range".into(), range.into()]);
    }
    if args.verify {
        argv.push("--verify".into());
    }
    if let Some(b) = &args.baseline {
        argv.extend(["--baseline".into(), repo.join(b).into()]);
    }
    if let Some(r) = &args.rules {
        argv.extend(["--rules".into(), repo.join(r).into()]);
    }
    argv.extend(["--color".into(), "never".into()]);
    Ok(Wrapper::try_parse_from(argv)?.scan)
}

fn github(args: GithubArgs, env: &GithubEnv) -> Result<Outcome> {
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
    let repo = args
        .path
        .clone()
        .or_else(|| env.workspace.clone())
        .unwrap_or_else(|| PathBuf::from("."));
    let repo = std::path::absolute(&repo)
        .with_context(|| format!("failed to resolve `{}`", repo.display()))?;
    let sarif = args
        .sarif
        .clone()
        .unwrap_or_else(|| match &env.runner_temp {
            Some(dir) => dir.join("misar-scan.sarif"),
            None => PathBuf::from("misar-scan.sarif"),
        });
    let sarif = std::path::absolute(&sarif)
        .with_context(|| format!("failed to resolve `{}`", sarif.display()))?;

    let plan = plan(event, &payload)?;
    // Nothing printed between here and the end token is read as a workflow
    // command: file names and git messages cannot forge annotations.
    let token = stop_token();
    println!("::stop-commands::{token}");
    let scanned = run_plan(&args, &repo, plan, &sarif);
    println!("::{token}::");
    let (scanned, what, range) = match scanned? {
        Some(s) => s,
        None => return Ok(Outcome::default()),
    };

    let prefix = env
        .workspace
        .as_ref()
        .and_then(|w| std::path::absolute(w).ok())
        .and_then(|w| {
            let top = git_output(&repo, &["rev-parse", "--show-toplevel"]).map(PathBuf::from)?;
            top.strip_prefix(&w)
                .ok()
                .map(|p| p.to_string_lossy().replace('\\', "/"))
        })
        .unwrap_or_default();
    for f in &scanned.findings {
        println!("{}", annotation(f, &prefix, scanned.redact));
    }
    let config_edited = !range.is_empty() && edits_config(&repo, &range);
    if config_edited {
        println!("{}", config_warning(&prefix, scanned.silenced.as_ref()));
    }
    let n = scanned.findings.len();
    let code = if scanned.incomplete {
        2
    } else if n > 0 && args.fail_on_findings {
        1
    } else {
        0
    };
    if let Some(path) = &env.step_summary {
        let mut md = summary(&scanned, &what, &sarif);
        if config_edited {
            md.push_str(&format!(
                "\n⚠️ This change edits `{}`, which can turn rules off and skip paths: review it before trusting a clean result.\n",
                crate::config::FILE_NAME
            ));
        }
        append(path, &md)?;
    }
    if let Some(path) = &env.output {
        let sarif_text = sarif.to_string_lossy();
        let mut out = String::new();
        out.push_str(&output_line("sarif", &sarif_text));
        out.push_str(&output_line("findings", &n.to_string()));
        out.push_str(&output_line("exit-code", &code.to_string()));
        out.push_str(&output_line("mode", scanned.mode));
        out.push_str(&output_line("range", &range));
        append(path, &out)?;
    }
    match n {
        0 => println!("misar-scan: no Misar API key found in {what}"),
        _ if args.fail_on_findings => println!(
            "::error title=misar-scan::{}",
            escape_data(&format!("{n} finding(s) in {what}: revoke each key and move its replacement to a secret store"))
        ),
        _ => println!(
            "::warning title=misar-scan::{}",
            escape_data(&format!("{n} finding(s) in {what} (fail-on-findings is false)"))
        ),
    }
    Ok(Outcome {
        findings: if args.fail_on_findings { n } else { 0 },
        incomplete: scanned.incomplete,
        ..Outcome::default()
    })
}

/// Fetch what the plan needs, scan, and write the SARIF. `None` when there
/// is nothing to scan; else the scan, a phrase saying what was scanned, and
/// the range (empty for a whole history).
fn run_plan(
    args: &GithubArgs,
    repo: &Path,
    plan: Plan,
    sarif: &Path,
) -> Result<Option<(Scanned, String, String)>> {
    let (range, what) = match plan {
        Plan::Nothing(why) => {
            println!("misar-scan: {why}");
            return Ok(None);
        }
        Plan::Range { base, head } => {
            ensure_range(repo, &args.remote, &base, &head, args.fetch_depth)?;
            let what = format!(
                "`{}..{}`",
                crate::secret::clip(&base, 12),
                crate::secret::clip(&head, 12)
            );
            (Some(format!("{base}..{head}")), what)
        }
        Plan::NewBranch {
            head,
            default_branch,
        } => match default_branch
            .and_then(|b| fetch_branch(repo, &args.remote, &b, args.fetch_depth))
        {
            Some((branch, base)) => {
                ensure_range(repo, &args.remote, &base, &head, args.fetch_depth)?;
                let what = format!(
                    "the new branch (what `{}` adds to `{branch}`)",
                    crate::secret::clip(&head, 12)
                );
                (Some(format!("{base}..{head}")), what)
            }
            None => (None, "the whole history (a new branch)".to_string()),
        },
        Plan::History => (None, "the whole history".to_string()),
    };
    if range.is_none() && is_shallow(repo) {
        eprintln!("misar-scan: the checkout is shallow: fetching the whole history");
        if !git(
            repo,
            &["fetch", "--no-tags", "--quiet", "--unshallow", &args.remote],
        )? {
            eprintln!("warning: could not fetch the whole history: only the commits in the checkout are scanned");
        }
    }
    let scan = scan_args(args, repo, range.as_deref())?;
    let scanned = crate::scan::run(&scan.options()?, &stderr_problems())?;
    scan_notes(&scanned);
    let bytes = report::render(Format::Sarif, &scanned.report(false))?;
    if let Some(dir) = sarif.parent() {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("failed to create `{}`", dir.display()))?;
    }
    std::fs::write(sarif, bytes)
        .with_context(|| format!("failed to write the SARIF report to `{}`", sarif.display()))?;
    Ok(Some((scanned, what, range.unwrap_or_default())))
}

/// Fetch the default branch and return (its name, its commit id).
fn fetch_branch(repo: &Path, remote: &str, branch: &str, depth: u32) -> Option<(String, String)> {
    let tracking = format!("refs/remotes/{remote}/{branch}");
    let refspec = format!("+refs/heads/{branch}:{tracking}");
    let depth_arg = format!("--depth={depth}");
    let mut fetch = vec!["fetch", "--no-tags", "--quiet"];
    if is_shallow(repo) {
        fetch.push(&depth_arg);
    }
    fetch.extend([remote, refspec.as_str()]);
    if !git(repo, &fetch).unwrap_or(false) {
        eprintln!(
            "warning: could not fetch `{branch}` from `{remote}`: scanning the whole history"
        );
        return None;
    }
    let sha = git_output(
        repo,
        &["rev-parse", "--verify", &format!("{tracking}^{{commit}}")],
    )?;
    Some((branch.to_string(), sha))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn workflow_commands_are_escaped() {
        assert_eq!(escape_data("50%\r\nnext"), "50%25%0D%0Anext");
        assert_eq!(escape_property("a:b,c%\n"), "a%3Ab%2Cc%25%0A");
    }

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
    fn outputs_with_line_breaks_use_a_delimiter() {
        assert_eq!(output_line("a", "b"), "a=b\n");
        let multi = output_line("a", "b\nc");
        assert!(multi.starts_with("a<<ghadelimiter_") && multi.contains("\nb\nc\n"));
    }

    #[test]
    fn summary_cells_cannot_break_the_table() {
        assert_eq!(cell_code("a|b`c\nd"), "`a\\|b'c d`");
    }
}
