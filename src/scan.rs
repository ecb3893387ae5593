//! The scan pipeline as a library call: [`ScanOptions`] in, [`Scanned`] out.
//!
//! configuration → rules → source (files, a history, a commit range, the
//! index or standard input) → key lints → sort → baseline → `--verify`. Nothing here prints:
//! problems go to the caller's [`Problems`] sink as they happen, and what
//! the caller should say afterwards (stale baseline entries, paths that do
//! not exist, the verification tally) comes back in [`Scanned`].

use std::path::PathBuf;

use anyhow::Result;

use crate::baseline::{Baseline, BaselineEntry};
use crate::config::{load_rules, ApiEnv, RepoConfig};
use crate::engine::content::ContentLinter;
use crate::engine::Scanner;
use crate::finding::{sort_and_dedup, Finding};
use crate::hint::{hinted, HintExt};
use crate::lint::{key_lints, GitIndex};
use crate::report::Report;
use crate::rules::RuleSet;
use crate::source::fs::{scan_paths, WalkOptions};
use crate::source::git::history::{scan_history, HistoryOptions};
use crate::source::git::range::{scan_range, RangeSpec};
use crate::source::git::staged::scan_staged;
use crate::source::{Problems, ScanContext, Stats};
use crate::verify::{verify_findings, ApiOptions, Tally};

/// What to scan and how (the settings of `scan`, without its output flags).
#[derive(Debug, Clone, Default)]
pub struct ScanOptions {
    /// Files or directories, or the repository of a git scan (`.` when empty).
    pub paths: Vec<PathBuf>,
    /// Scan the history of the repository at `paths[0]`.
    pub git: bool,
    /// With `git`: only what the commits of `BASE..HEAD` introduced.
    pub range: Option<String>,
    /// Scan what is staged in the index of the repository at `paths[0]`.
    pub staged: bool,
    /// Scan standard input (`scan -`), reported at the path `<stdin>`;
    /// `paths` must be empty and neither `git` nor `staged` set.
    pub stdin: bool,
    /// With `git`: every commit and path that introduced a key.
    pub all_occurrences: bool,
    /// With `git`: also objects no ref reaches.
    pub all_objects: bool,
    /// Extra rules from every `*.toml` in this folder.
    pub rules: Option<PathBuf>,
    /// Drop findings recorded in this JSON report.
    pub baseline: Option<PathBuf>,
    /// The findings are for a new baseline: always redacted, and neither
    /// the baseline nor verification is applied.
    pub writing_baseline: bool,
    /// Keep keys whole in the findings.
    pub no_redact: bool,
    /// Plain keys only.
    pub no_decode: bool,
    /// Do not look inside archives.
    pub no_archives: bool,
    /// Decompressed bytes read from one archive at most, in MiB.
    pub archive_limit_mib: u64,
    /// Walk files the ignore files would skip.
    pub no_ignore: bool,
    /// Skip hidden files and folders.
    pub skip_hidden: bool,
    /// Follow symbolic links.
    pub follow: bool,
    /// Worker threads (0: one per core).
    pub threads: usize,
    /// The repository configuration file, instead of `.misar-scan.toml`.
    pub config: Option<PathBuf>,
    /// Ignore `.misar-scan.toml`.
    pub no_config: bool,
    /// Check each distinct key against the API, with these options.
    pub verify: Option<ApiOptions>,
}

/// What a scan found, after allow-lists, lints, the baseline and
/// verification, ready to render.
#[derive(Debug)]
pub struct Scanned {
    /// Findings, sorted and de-duplicated.
    pub findings: Vec<Finding>,
    /// The rules in force.
    pub rules: RuleSet,
    /// Baseline entries that matched nothing.
    pub stale: Vec<BaselineEntry>,
    /// Totals.
    pub stats: Stats,
    /// Whether something could not be read.
    pub incomplete: bool,
    /// `fs`, `git`, `range`, `staged` or `stdin` (SARIF `automationDetails.id`).
    pub mode: &'static str,
    /// Whether keys are shown redacted.
    pub redact: bool,
    /// What the configuration turned off, if anything.
    pub silenced: Option<crate::config::Silenced>,
    /// Paths given to a file scan that do not exist.
    pub missing: Vec<PathBuf>,
    /// The verification tally, when the keys were verified.
    pub verified: Option<Tally>,
}

impl Scanned {
    /// The report of this scan.
    pub fn report(&self, color: bool) -> Report<'_> {
        Report {
            findings: &self.findings,
            rules: &self.rules,
            stale_baseline: &self.stale,
            stats: self.stats,
            incomplete: self.incomplete,
            redact: self.redact,
            color,
            mode: self.mode,
        }
    }
}

/// Scan as `opts` say; problems are reported to `problems` as they happen.
pub fn run(opts: &ScanOptions, problems: &Problems) -> Result<Scanned> {
    if opts.range.is_some() && !opts.git {
        return Err(hinted(
            "`--range` selects commits, so it needs `--git`",
            "run `misar-scan scan --git --range BASE..HEAD` (add the repository path after `--git` if it is not `.`)",
        ));
    }
    if opts.stdin {
        let other = if opts.git {
            Some("`--git`")
        } else if opts.staged {
            Some("`--staged`")
        } else {
            opts.paths.first().map(|_| "other paths")
        };
        if let Some(other) = other {
            return Err(hinted(
                format!("`-` (standard input) cannot be combined with {other}"),
                "scan standard input on its own (`… | misar-scan scan -`), and the files or the repository in a second run",
            ));
        }
    }
    let paths = if opts.paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        opts.paths.clone()
    };
    // For git scans the configuration lives at the root of the work tree,
    // wherever in it the command runs.
    let config_root = if opts.git || opts.staged {
        let flag = if opts.staged { "--staged" } else { "--git" };
        crate::source::git::open_repo(&paths[0])
            .hint(format!(
                "`{flag}` reads a git repository: run it inside a clone, name one (`misar-scan scan --git path/to/repo`), or drop `{flag}` to scan the files"
            ))?
            .workdir()
            .map(PathBuf::from)
            .unwrap_or_else(|| paths[0].clone())
    } else {
        paths[0].clone()
    };
    let config = if opts.no_config {
        RepoConfig::empty()
    } else {
        RepoConfig::discover(opts.config.as_deref(), Some(&config_root))?
    };
    let rules = load_rules(opts.rules.as_deref(), &config)?;
    let baseline = opts.baseline.as_deref().map(Baseline::load).transpose()?;
    let scanner = Scanner::with_decoding(&rules, &config.placeholder_words, !opts.no_decode);
    let linter = ContentLinter::new(&rules);
    let redact = !opts.no_redact || opts.writing_baseline;
    let ctx = ScanContext {
        scanner: &scanner,
        rules: &rules,
        config: &config,
        redact,
        archives: !opts.no_archives,
        archive_limit: opts.archive_limit_mib << 20,
        problems,
        linter: linter.as_ref(),
    };
    if opts.git && paths.len() > 1 {
        return Err(hinted(
            format!(
                "`--git` scans one repository, but {} paths were given",
                paths.len()
            ),
            "scan each repository on its own, or use `misar-scan sweep DIR` for every repository under a folder",
        ));
    }
    let mut missing = Vec::new();
    let (mode, (mut findings, stats)) = if opts.stdin {
        let stdin = std::io::stdin();
        let found = crate::source::stream::scan_stdin(&mut stdin.lock(), &ctx);
        ("stdin", found)
    } else if opts.staged {
        ("staged", scan_staged(&paths[0], &ctx)?)
    } else if let Some(range) = &opts.range {
        let range = RangeSpec::parse(range)?;
        ("range", scan_range(&paths[0], &range, opts.threads, &ctx)?)
    } else if opts.git {
        let history = HistoryOptions {
            all_occurrences: opts.all_occurrences,
            all_objects: opts.all_objects,
            threads: opts.threads,
        };
        ("git", scan_history(&paths[0], &history, &ctx)?)
    } else {
        let walk = WalkOptions {
            no_ignore: opts.no_ignore,
            skip_hidden: opts.skip_hidden,
            follow: opts.follow,
            threads: opts.threads,
        };
        let found = scan_paths(&paths, &walk, &ctx);
        missing = paths
            .iter()
            .filter(|p| {
                p.symlink_metadata()
                    .is_err_and(|e| e.kind() == std::io::ErrorKind::NotFound)
            })
            .cloned()
            .collect();
        ("fs", found)
    };
    // Key-hygiene lints over the keys found. A staged `.env` is about to be
    // committed and a history finding was; a file on disk is committed when
    // git's index holds it; standard input is no file.
    let mut index = GitIndex::default();
    let lints = key_lints(&findings, &rules, &mut |f| match mode {
        "fs" => index.tracked(std::path::Path::new(&f.path)),
        "stdin" => false,
        _ => true,
    });
    findings.extend(lints);
    sort_and_dedup(&mut findings);
    let incomplete = problems.incomplete();

    let mut stale = Vec::new();
    let mut verified = None;
    if !opts.writing_baseline {
        if let Some(b) = &baseline {
            stale = b.apply(&mut findings);
        }
        if let Some(api) = &opts.verify {
            verified = Some(verify_findings(
                &mut findings,
                &rules,
                api,
                &ApiEnv::from_env(),
            )?);
        }
    }
    Ok(Scanned {
        findings,
        rules,
        stale,
        stats,
        incomplete,
        mode,
        redact,
        silenced: config.silenced(),
        missing,
        verified,
    })
}
