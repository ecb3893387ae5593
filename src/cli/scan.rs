//! `misar-scan scan [PATH…]`: scan files, a git history (`--git`), a commit
//! range (`--git --range`), the staged content (`--staged`) or standard input
//! (`scan -`) for keys (SPEC §3).

#![allow(clippy::print_stderr)]

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Args;

use super::args::{note_passed, AlertArgs, ApiArgs, ColorChoice, FAIL_ON_HELP};
use super::messages::{scan_notes, use_color, write_output};
use super::progress::stderr_problems;
use super::Outcome;
use crate::alert::FailOn;
use crate::report::{self, Format};
use crate::scan::ScanOptions;

/// Options of `scan`.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  misar-scan scan\n  misar-scan scan src config/.env\n  misar-scan scan --git                          full history of the repo at .\n  misar-scan scan --git ../service.git --all-objects\n  misar-scan scan --git --range origin/main..HEAD -f sarif -o misar.sarif\n  misar-scan scan --staged                       what the next commit holds\n  git diff | misar-scan scan -                   standard input, reported at `<stdin>`\n  misar-scan scan -f json -o findings.json\n  misar-scan scan -f sarif -o misar.sarif\n  misar-scan scan --write-baseline .misar-baseline.json\n  misar-scan scan --baseline .misar-baseline.json"
)]
pub struct ScanArgs {
    /// Files or directories to scan, or with `--git` the repository [default: .]
    ///
    /// `-` alone scans standard input (`git diff | misar-scan scan -`),
    /// streamed in constant memory and reported at the path `<stdin>`.
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,

    /// Scan the git history of the repository at PATH: every blob reachable from any ref.
    ///
    /// Every branch, tag, remote-tracking ref, the stash and `HEAD`. Each
    /// distinct blob is scanned once; a finding names the commit that
    /// introduced the blob (id, author, date) and its path in the
    /// repository. Each commit's author, committer and message, each
    /// annotated tag's tagger and message, and every file and folder name
    /// are scanned too. Works on bare
    /// repositories and shallow clones (only the history they hold).
    /// Submodules are not followed: scan each on its own.
    #[arg(long, help_heading = "Git")]
    pub git: bool,

    /// With `--git`: only what the commits in BASE..HEAD introduced (a pull request).
    ///
    /// The commits reachable from HEAD and not from BASE, each compared with
    /// its parents; a finding is a key a commit adds to a file, attributed
    /// to that commit. Keys that existed before BASE are not reported. A
    /// merge commit is checked for what its resolution wrote itself.
    /// `BASE...HEAD` means the same; a single `BASE` means `BASE..HEAD`.
    #[arg(long, value_name = "BASE..HEAD", help_heading = "Git")]
    pub range: Option<String>,

    /// Scan only what is staged in the git index of the repository at `.` (pre-commit).
    ///
    /// The staged version of each added or modified file, not the working
    /// file; a modified file reports only the keys it adds. Paths are
    /// relative to the repository root.
    #[arg(long, conflicts_with_all = ["git", "paths"], help_heading = "Git")]
    pub staged: bool,

    /// With `--git`: report every commit and path that introduced a key, not only the first.
    ///
    /// By default a key is reported once per path, at the first commit that
    /// put it there; later versions of the file that still hold it, and
    /// renames or copies of the same content, are not reported again. With
    /// this flag, each commit that added a blob holding the key at a path (a
    /// rename, a copy, the same file committed on another branch, each new
    /// version of the file) is a finding of its own.
    #[arg(long, requires = "git", conflicts_with = "range", help_heading = "Git")]
    pub all_occurrences: bool,

    /// With `--git`: also scan objects no ref reaches (deleted branches, amended commits).
    ///
    /// Unreachable commits are walked like refs; a dangling blob that no
    /// commit reaches is reported at the path `<unreachable>/<blob id>`.
    #[arg(long, requires = "git", conflicts_with = "range", help_heading = "Git")]
    pub all_objects: bool,

    /// Report format.
    #[arg(short, long, value_enum, default_value_t = Format::Human)]
    pub format: Format,

    /// Write the report to FILE instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Load extra rules from every `*.toml` in DIR.
    ///
    /// Rules with the id of a built-in rule replace it (to change its length
    /// range, say); others are added.
    #[arg(long, value_name = "DIR")]
    pub rules: Option<PathBuf>,

    /// Do not report findings recorded in FILE (a JSON report).
    ///
    /// Matching is by rule id, path and secret_sha256, never by line: moved code
    /// stays accepted, a new key on the same line does not. Entries matching
    /// nothing are reported as stale on standard error.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,

    /// Record the current findings as a baseline in FILE (always redacted), and exit 0.
    #[arg(long, value_name = "FILE", conflicts_with = "baseline")]
    pub write_baseline: Option<PathBuf>,

    /// Show full keys in the report. Keys are redacted (first 8 characters + …) by default.
    #[arg(long)]
    pub no_redact: bool,

    /// Look for plain keys only: do not decode base64, percent-encoding, `\u`/`\x` escapes or UTF-16.
    #[arg(long)]
    pub no_decode: bool,

    /// Do not look inside archives and compressed files (.zip, .jar, .whl, .tar, .tar.gz, .gz).
    #[arg(long)]
    pub no_archives: bool,

    /// Stop reading an archive after this many MiB of decompressed data (zip-bomb guard).
    #[arg(long, value_name = "MIB", default_value_t = 1024)]
    pub archive_limit: u64,

    /// Scan files that .gitignore, .ignore and git excludes would skip.
    #[arg(long)]
    pub no_ignore: bool,

    /// Skip hidden files and directories (they are scanned by default: `.env` is where keys leak).
    #[arg(long)]
    pub skip_hidden: bool,

    /// Follow symbolic links (they are not followed by default).
    #[arg(short = 'L', long)]
    pub follow: bool,

    /// Worker threads [default: one per core].
    #[arg(
        short = 'j',
        long,
        value_name = "N",
        default_value_t = 0,
        hide_default_value = true
    )]
    pub threads: usize,

    /// Read the repository configuration from FILE instead of `.misar-scan.toml`.
    #[arg(long, value_name = "FILE", conflicts_with = "no_config")]
    pub config: Option<PathBuf>,

    /// Ignore `.misar-scan.toml`.
    #[arg(long)]
    pub no_config: bool,

    /// When to colour the human report.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,

    /// Check each distinct key against the Misar API (live, not_live or unknown).
    ///
    /// One request per distinct key; the result lands in every report format.
    /// Does not change the exit code (`--fail-on live` does). See `misar-scan verify --help`.
    #[arg(long)]
    pub verify: bool,

    /// Which findings fail the run (exit 1): `any`, or only keys that are `live` or `unknown`.
    #[arg(long, value_enum, value_name = "WHEN", default_value_t = FailOn::Any, long_help = FAIL_ON_HELP)]
    pub fail_on: FailOn,

    #[command(flatten)]
    pub alert: AlertArgs,

    #[command(flatten)]
    pub api: ApiArgs,
}

impl ScanArgs {
    /// The library's options for these flags.
    pub fn options(&self) -> Result<ScanOptions> {
        let dash = std::path::Path::new("-");
        let stdin = self.paths.iter().any(|p| p == dash);
        Ok(ScanOptions {
            // `-` alone is standard input; `-` beside other paths is an error
            // that `scan::run` explains, so keep them.
            paths: if stdin && self.paths.len() == 1 {
                Vec::new()
            } else {
                self.paths.clone()
            },
            git: self.git,
            range: self.range.clone(),
            staged: self.staged,
            stdin,
            all_occurrences: self.all_occurrences,
            all_objects: self.all_objects,
            rules: self.rules.clone(),
            baseline: self.baseline.clone(),
            writing_baseline: self.write_baseline.is_some(),
            no_redact: self.no_redact,
            no_decode: self.no_decode,
            no_archives: self.no_archives,
            archive_limit_mib: self.archive_limit,
            no_ignore: self.no_ignore,
            skip_hidden: self.skip_hidden,
            follow: self.follow,
            threads: self.threads,
            config: self.config.clone(),
            no_config: self.no_config,
            verify: (self.verify
                || self.fail_on == FailOn::Live
                || self.alert.alert_webhook.is_some())
            .then(|| self.api.options())
            .transpose()?,
        })
    }
}

/// Run `scan`.
pub fn run(args: ScanArgs) -> Result<Outcome> {
    let hook = args.alert.webhook()?;
    let scanned = crate::scan::run(&args.options()?, &stderr_problems())?;
    scan_notes(&scanned);
    if let Some(path) = &args.write_baseline {
        let mut report = scanned.report(false);
        report.redact = true;
        write_output(Some(path), &report::render(Format::Json, &report)?)?;
        eprintln!(
            "wrote a baseline of {} finding(s) to `{}`",
            scanned.findings.len(),
            path.display()
        );
        return Ok(Outcome {
            incomplete: scanned.incomplete,
            ..Outcome::default()
        });
    }
    let color = args.format == Format::Human && use_color(args.color, args.output.is_none());
    let (bytes, limits) = if args.format == Format::Sarif {
        report::sarif::render_noting(&scanned.report(color), &|_| None)?
    } else {
        let bytes = report::render_with_config(
            args.format,
            &scanned.report(color),
            scanned.silenced.as_ref(),
        )?;
        (bytes, Vec::new())
    };
    for line in limits {
        eprintln!("note: {line}");
    }
    write_output(args.output.as_ref(), &bytes).context("failed to write the report")?;
    if let Some(silenced) = &scanned.silenced {
        // Said after the report, so that a clean-looking summary is never
        // the last word when the configuration turned checks off.
        eprintln!(
            "note: {}",
            crate::sanitize::field(&silenced.to_string(), true)
        );
    }
    let keys = crate::alert::alert_keys(&scanned.findings, &scanned.rules);
    let undelivered = args.alert.alert(hook.as_ref(), &keys, "scan");
    let failing = args.fail_on.failing(&scanned.findings, &scanned.rules);
    note_passed(args.fail_on, scanned.findings.len(), failing);
    Ok(Outcome {
        findings: failing,
        incomplete: scanned.incomplete || undelivered,
        ..Outcome::default()
    })
}
