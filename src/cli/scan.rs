//! `misar-scan scan [PATH…]`: scan files, a git history (`--git`), a commit
//! range (`--git --range`) or the staged content (`--staged`) for keys (SPEC §3).

#![allow(clippy::print_stderr)]

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Args;

use super::{hinted, sanitize, use_color, write_output, ColorChoice, HintExt, Outcome};
use crate::baseline::{Baseline, BaselineEntry};
use crate::config::RepoConfig;
use crate::engine::Scanner;
use crate::finding::{sort_and_dedup, Finding};
use crate::lint::{key_lints, ContentLinter, GitIndex};
use crate::report::{self, Format, Report};
use crate::rules::RuleSet;
use crate::source::fs::{scan_paths, WalkOptions};
use crate::source::git_history::{scan_history, HistoryOptions};
use crate::source::git_range::{scan_range, RangeSpec};
use crate::source::staged::scan_staged;
use crate::source::{ProblemKind, Problems, ScanContext, Stats};

/// Options of `scan`.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  misar-scan scan\n  misar-scan scan src config/.env\n  misar-scan scan --git                          full history of the repo at .\n  misar-scan scan --git ../service.git --all-objects\n  misar-scan scan --git --range origin/main..HEAD -f sarif -o misar.sarif\n  misar-scan scan --staged                       what the next commit holds\n  misar-scan scan -f json -o findings.json\n  misar-scan scan -f sarif -o misar.sarif\n  misar-scan scan --write-baseline .misar-baseline.json\n  misar-scan scan --baseline .misar-baseline.json"
)]
pub struct ScanArgs {
    /// Files or directories to scan, or with `--git` the repository [default: .]
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
    /// Does not change the exit code. See `misar-scan verify --help`.
    #[arg(long)]
    pub verify: bool,

    #[command(flatten)]
    pub api: super::verify::ApiArgs,
}

/// Load the rules in force: embedded, plus `--rules DIR`, minus `[rules] disable`.
pub fn load_rules(dir: Option<&PathBuf>, config: &RepoConfig) -> Result<RuleSet> {
    let mut rules = match dir {
        Some(dir) => RuleSet::embedded_and_dir(dir)?,
        None => RuleSet::embedded()?,
    };
    config.apply_to_rules(&mut rules)?;
    Ok(rules)
}

/// Problems are printed on standard error as they happen.
pub fn stderr_problems() -> Problems {
    Problems::new(Box::new(|kind, message| {
        let label = match kind {
            ProblemKind::Warning => "warning",
            ProblemKind::Unread => "error",
        };
        eprintln!("{label}: {}", sanitize(message));
    }))
}

/// What a scan found, after allow-lists, lints, the baseline and
/// `--verify`, ready to render.
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
    /// `fs`, `git`, `range` or `staged` (SARIF `automationDetails.id`).
    pub mode: &'static str,
    /// Whether keys are shown redacted.
    pub redact: bool,
    /// What the configuration turned off, if anything.
    pub silenced: Option<crate::config::Silenced>,
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

/// Run `scan`.
pub fn run(args: ScanArgs) -> Result<Outcome> {
    let scanned = collect(&args)?;
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
            findings: 0,
            incomplete: scanned.incomplete,
        });
    }
    let color = args.format == Format::Human && use_color(args.color, args.output.is_none());
    let bytes = report::render_with_config(
        args.format,
        &scanned.report(color),
        scanned.silenced.as_ref(),
    )?;
    write_output(args.output.as_ref(), &bytes).context("failed to write the report")?;
    if let Some(silenced) = &scanned.silenced {
        // Said after the report, so that a clean-looking summary is never
        // the last word when the configuration turned checks off.
        eprintln!(
            "note: {}",
            crate::sanitize::field(&silenced.to_string(), true)
        );
    }
    Ok(Outcome {
        findings: scanned.findings.len(),
        incomplete: scanned.incomplete,
    })
}

/// Scan as `args` say and return the findings without rendering them (the
/// baseline and `--verify` are applied unless `--write-baseline` is given).
pub fn collect(args: &ScanArgs) -> Result<Scanned> {
    if args.range.is_some() && !args.git {
        return Err(hinted(
            "`--range` selects commits, so it needs `--git`",
            "run `misar-scan scan --git --range BASE..HEAD` (add the repository path after `--git` if it is not `.`)",
        ));
    }
    let paths = if args.paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        args.paths.clone()
    };
    // For git scans the configuration lives at the root of the work tree,
    // wherever in it the command runs.
    let config_root = if args.git || args.staged {
        let flag = if args.staged { "--staged" } else { "--git" };
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
    let config = if args.no_config {
        RepoConfig::empty()
    } else {
        RepoConfig::discover(args.config.as_deref(), Some(&config_root))?
    };
    let rules = load_rules(args.rules.as_ref(), &config)?;
    let baseline = args.baseline.as_deref().map(Baseline::load).transpose()?;
    let scanner = Scanner::with_decoding(&rules, &config.placeholder_words, !args.no_decode);
    let linter = ContentLinter::new(&rules);
    let problems = stderr_problems();
    let redact = !args.no_redact || args.write_baseline.is_some();
    let ctx = ScanContext {
        scanner: &scanner,
        rules: &rules,
        config: &config,
        redact,
        archives: !args.no_archives,
        archive_limit: args.archive_limit << 20,
        problems: &problems,
        linter: linter.as_ref(),
    };
    if args.git && paths.len() > 1 {
        return Err(hinted(
            format!(
                "`--git` scans one repository, but {} paths were given",
                paths.len()
            ),
            "scan each repository on its own, or use `misar-scan sweep DIR` for every repository under a folder",
        ));
    }
    let (mode, (mut findings, stats)) = if args.staged {
        ("staged", scan_staged(&paths[0], &ctx)?)
    } else if let Some(range) = &args.range {
        let range = RangeSpec::parse(range)?;
        ("range", scan_range(&paths[0], &range, args.threads, &ctx)?)
    } else if args.git {
        let opts = HistoryOptions {
            all_occurrences: args.all_occurrences,
            all_objects: args.all_objects,
            threads: args.threads,
        };
        ("git", scan_history(&paths[0], &opts, &ctx)?)
    } else {
        let walk = WalkOptions {
            no_ignore: args.no_ignore,
            skip_hidden: args.skip_hidden,
            follow: args.follow,
            threads: args.threads,
        };
        let found = scan_paths(&paths, &walk, &ctx);
        let missing: Vec<&PathBuf> = paths
            .iter()
            .filter(|p| {
                p.symlink_metadata()
                    .is_err_and(|e| e.kind() == std::io::ErrorKind::NotFound)
            })
            .collect();
        if let Some(first) = missing.first() {
            eprintln!(
                "hint: `{}` does not exist: check the spelling (relative paths start from the current directory)",
                sanitize(&first.display().to_string())
            );
        }
        ("fs", found)
    };
    // Key-hygiene lints over the keys found. A staged `.env` is about to be
    // committed and a history finding was; a file on disk is committed when
    // git's index holds it.
    let mut index = GitIndex::default();
    let lints = key_lints(&findings, &rules, &mut |f| {
        mode != "fs" || index.tracked(std::path::Path::new(&f.path))
    });
    findings.extend(lints);
    sort_and_dedup(&mut findings);
    let incomplete = problems.incomplete();

    let mut stale = Vec::new();
    if args.write_baseline.is_none() {
        stale = match &baseline {
            Some(b) => b.apply(&mut findings),
            None => Vec::new(),
        };
        for entry in &stale {
            eprintln!(
                "warning: stale baseline entry: {} in `{}` (secret_sha256 {}) matched nothing",
                entry.rule_id,
                sanitize(&entry.path),
                entry.secret_sha256
            );
        }
        if args.verify {
            super::verify::verify_findings(&mut findings, &rules, &args.api)?;
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
    })
}
