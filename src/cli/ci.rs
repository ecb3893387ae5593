//! `misar-scan ci github`: what `action.yml` runs. Flags (the Action's
//! inputs) become [`GithubOptions`]; [`crate::ci::github`] plans the event,
//! fetches what the checkout lacks and scans; [`crate::report::github`]
//! renders the result. This module owns the terminal and the job's files:
//!
//! - standard output: `::stop-commands::` around the fetch and the scan (file
//!   names and git messages cannot forge workflow commands), one annotation
//!   per finding, the closing verdict;
//! - standard error: fetch progress, scan problems and notes;
//! - the SARIF report (`--sarif`), `GITHUB_STEP_SUMMARY` and the outputs
//!   `sarif`, `findings`, `exit-code`, `mode` and `range` in `GITHUB_OUTPUT`.
//!
//! Exit 1 when findings remain and `--fail-on-findings` is true, 2 when the
//! scan was incomplete or failed, else 0 (through [`Outcome::exit_code`]).

#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use clap::builder::BoolishValueParser;
use clap::{ArgAction, Args, Subcommand};

use super::messages::scan_notes;
use super::progress::stderr_problems;
use super::Outcome;
use crate::ci::github::{self, GithubEnv, GithubOptions, GithubScan, Ran};
use crate::report;
use crate::verify::ApiOptions;

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
        after_help = "Examples:\n  misar-scan ci github\n  misar-scan ci github --sarif misar.sarif --verify true --fail-on-findings false\n  misar-scan ci github --fail-on live       fail only on keys live or unknown\n\nExit codes: 0 nothing found (or --fail-on-findings false), 1 findings, 2 the scan failed or was incomplete."
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

    /// Which findings fail the job: `any`, or only keys that are `live` or `unknown`.
    ///
    /// `live` implies `--verify true`: keys confirmed `not_live` are still
    /// annotated and in the SARIF report but do not fail the job.
    #[arg(long, value_enum, value_name = "WHEN", default_value_t = crate::alert::FailOn::Any)]
    pub fail_on: crate::alert::FailOn,

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

impl GithubArgs {
    /// The library's options for these flags (`--verify` with the API
    /// defaults of `scan --verify`).
    pub fn options(&self) -> GithubOptions {
        GithubOptions {
            path: self.path.clone(),
            sarif: self.sarif.clone(),
            verify: (self.verify || self.fail_on == crate::alert::FailOn::Live)
                .then(ApiOptions::default),
            baseline: self.baseline.clone(),
            rules: self.rules.clone(),
            remote: self.remote.clone(),
            fetch_depth: self.fetch_depth,
        }
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
        CiSystem::Github(args) => run_github(&args, &GithubEnv::from_env()),
    }
}

fn run_github(args: &GithubArgs, env: &GithubEnv) -> Result<Outcome> {
    let planned = github::prepare(&args.options(), env)?;
    // Nothing printed between here and the end token is read as a workflow
    // command: file names and git messages cannot forge annotations.
    let token = stop_token();
    println!("::stop-commands::{token}");
    let ran = github::run(&planned, &stderr_problems(), &mut |note| {
        let label = if note.is_warning() {
            "warning"
        } else {
            "misar-scan"
        };
        eprintln!("{label}: {note}");
    })
    .and_then(|ran| {
        match &ran {
            Ran::Nothing(why) => println!("misar-scan: {why}"),
            Ran::Scanned(scan) => {
                scan_notes(&scan.scanned);
                write_sarif(scan)?;
            }
        }
        Ok(ran)
    });
    println!("::{token}::");
    let scan = match ran? {
        Ran::Scanned(scan) => scan,
        Ran::Nothing(_) => return Ok(Outcome::default()),
    };
    print!("{}", report::github::annotations(&scan));
    let failing = args
        .fail_on
        .failing(&scan.scanned.findings, &scan.scanned.rules);
    let outcome = Outcome {
        findings: if args.fail_on_findings { failing } else { 0 },
        incomplete: scan.scanned.incomplete,
        ..Outcome::default()
    };
    if let Some(path) = &env.step_summary {
        append(path, &report::github::summary(&scan))?;
    }
    if let Some(path) = &env.output {
        append(path, &report::github::outputs(&scan, outcome.exit_code()))?;
    }
    println!(
        "{}",
        report::github::verdict(&scan, args.fail_on_findings, failing)
    );
    Ok(outcome)
}

/// Write the SARIF report where the plan says.
fn write_sarif(scan: &GithubScan) -> Result<()> {
    let (bytes, limits) = report::sarif::render_noting(&scan.scanned.report(false), &|_| None)?;
    for line in limits {
        eprintln!("note: {line}");
    }
    if let Some(dir) = scan.sarif.parent() {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("failed to create `{}`", dir.display()))?;
    }
    std::fs::write(&scan.sarif, bytes).with_context(|| {
        format!(
            "failed to write the SARIF report to `{}`",
            scan.sarif.display()
        )
    })
}
