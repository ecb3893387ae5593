//! `misar-scan sweep PATH…` (SPEC §3): the flags become [`SweepOptions`]
//! for [`crate::sweep::run()`], which this module gives its terminal
//! ([`SweepUi`]: a progress bar or plain lines, the one `[y/N]` prompt); the
//! per-key summary goes to standard output. Exit code: from the final
//! state's [`crate::sweep::SweepVerdict`] (0 nothing live left, 1 a key
//! still live, 2 something needs a person), 3 when stopped by the hidden
//! `--stop-after-revocations`.

#![allow(clippy::print_stderr)]

use std::cell::RefCell;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Args;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::args::{AlertArgs, ApiArgs, SinkArgs};
use super::progress::confirm;
use super::{sanitize, Outcome};
use crate::alert::FailOn;
use crate::report::sweep::render_key_lines;
use crate::source::{ProblemKind, ProblemSink};
use crate::sweep::{
    Consent, PlannedRevocation, Shard, SweepOptions, SweepRotation, SweepUi, NO_CONSENT,
};

/// The default report folder.
pub const DEFAULT_REPORT_DIR: &str = "misar-sweep-report";

/// Options of `sweep`.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  misar-scan sweep ~/src                              find, verify, report (no revocation)\n  MISAR_ADMIN_KEY=... misar-scan sweep ~/src --revoke --yes --report-dir incident-42\n  misar-scan sweep ~/src --rotate --exec 'vault kv put secret/app/misar key=-' --yes\n  misar-scan sweep /srv/git --shard 2/8 --report-dir shard-2\n  misar-scan report merge shard-* --output incident-42\n\nThe report folder holds report.json, report.sarif, summary.md, report.html, audit.jsonl and\nsweep-state.json. Run the same command again with the same folder to resume: repositories\nalready scanned whose refs have not moved since are skipped, those with new commits, branches\nor tags are scanned again, and no key is revoked twice.\nWith --alert-webhook URL, one alert lists the keys still live or unknown at the end.\nExit codes: 0 nothing live is left and everything was read and checked, 1 a key is still live\n(with --fail-on any: a key was found), 2 something needs a person (unread repository, unknown, refused, unconfirmed, failed or\ndiscrepant key) or a usage/runtime error."
)]
pub struct SweepArgs {
    /// Folders to search for git repositories (work trees and bare, nested too).
    #[arg(value_name = "PATH", required = true)]
    pub paths: Vec<PathBuf>,

    /// Write the reports, the audit log and the resumable state to DIR.
    ///
    /// Created if missing. If it holds `sweep-state.json` from an earlier run
    /// of the same sweep, that run is resumed: repositories whose refs have
    /// not moved are not scanned again, the others are.
    #[arg(long, value_name = "DIR", default_value = DEFAULT_REPORT_DIR)]
    pub report_dir: PathBuf,

    /// Revoke every live key that matches exactly one entry of its account's key list.
    ///
    /// Asks for confirmation on a terminal; `--yes` skips the question.
    /// Keys that hold `keys:manage` revoke themselves; others need
    /// `MISAR_ADMIN_KEY` (environment only). Each revocation is re-verified
    /// (the key must now get 401) and logged to `audit.jsonl`.
    #[arg(long)]
    pub revoke: bool,

    /// Rotate instead of revoking: replace each live key that `--revoke` would
    /// revoke, deliver the replacement to a sink, then revoke the old key.
    ///
    /// As `misar-scan rotate` does (same name and scopes, never printed,
    /// `--exec CMD` or `--env-file FILE --env-var NAME`, optional
    /// `--wait-for-use`); asks on a terminal, `--yes` skips the question. The
    /// rotation's resumable state is `rotate-state.json` in the report folder.
    #[arg(long, conflicts_with = "revoke")]
    pub rotate: bool,

    /// With `--revoke` or `--rotate`: do not ask, act (needed when standard input is not a terminal).
    #[arg(long)]
    pub yes: bool,

    #[command(flatten)]
    pub sink: SinkArgs,

    /// Take only shard K of N (1-based) of the repositories found.
    ///
    /// A repository belongs to the shard given by the SHA-256 of its path
    /// relative to the PATH it was found under, modulo N: every shard sees
    /// the same assignment, and adding repositories moves none. Give each
    /// shard its own `--report-dir`, then `misar-scan report merge`.
    #[arg(long, value_name = "K/N")]
    pub shard: Option<String>,

    /// Follow symbolic links to folders, as `scan --follow` does; never to a
    /// folder outside the PATH they were found under.
    ///
    /// Without it, links are not followed (as in `scan`).
    #[arg(short = 'L', long)]
    pub follow: bool,

    /// Also scan objects no ref reaches (deleted branches, amended commits).
    #[arg(long)]
    pub all_objects: bool,

    /// Load extra rules from every `*.toml` in DIR (as in `scan`).
    #[arg(long, value_name = "DIR")]
    pub rules: Option<PathBuf>,

    /// Look for plain keys only (no base64, percent, escapes or UTF-16 decoding).
    #[arg(long)]
    pub no_decode: bool,

    /// Do not look inside archives and compressed files.
    #[arg(long)]
    pub no_archives: bool,

    /// Stop reading an archive after this many MiB of decompressed data.
    #[arg(long, value_name = "MIB", default_value_t = 1024)]
    pub archive_limit: u64,

    /// Worker threads per repository scan [default: one per core].
    #[arg(
        short = 'j',
        long,
        value_name = "N",
        default_value_t = 0,
        hide_default_value = true
    )]
    pub threads: usize,

    /// Test hook: stop abruptly (exit code 3, no reports written) right after
    /// the Nth revocation has been recorded in the state file, as a kill would.
    /// Lets the resume tests stop a sweep at a deterministic point.
    #[arg(long, value_name = "N", hide = true)]
    pub stop_after_revocations: Option<usize>,

    /// Which keys fail the run (exit 1): `live` (a key still live), or `any` key found.
    ///
    /// A sweep verifies every key. With `live` (the sweep's default), keys
    /// confirmed `not_live` — revoked by this sweep or before it — do not fail
    /// it; with `any`, every key found does. A key that could not be
    /// confirmed dead needs a person (exit 2) either way.
    #[arg(long, value_enum, value_name = "WHEN", default_value_t = FailOn::Live)]
    pub fail_on: FailOn,

    #[command(flatten)]
    pub alert: AlertArgs,

    #[command(flatten)]
    pub api: ApiArgs,
}

impl SweepArgs {
    /// The library's options; `terminal`: standard input is one to confirm on.
    pub fn options(&self, terminal: bool) -> Result<SweepOptions> {
        if self.yes && !self.revoke && !self.rotate {
            anyhow::bail!("`--yes` confirms `--revoke` or `--rotate`: pass one of them");
        }
        if !self.rotate && (self.sink.sink().is_some() || self.sink.wait_for_use.is_some()) {
            anyhow::bail!("`--exec`, `--env-file` and `--wait-for-use` go with `--rotate`");
        }
        Ok(SweepOptions {
            paths: self.paths.clone(),
            report_dir: self.report_dir.clone(),
            consent: Consent::from_flags(self.revoke || self.rotate, self.yes, terminal),
            rotate: self
                .rotate
                .then(|| {
                    let sink = self.sink.sink().context(
                        "`--rotate` needs a sink: `--exec CMD` or `--env-file FILE --env-var NAME`",
                    )?;
                    Ok::<_, anyhow::Error>(SweepRotation {
                        sink,
                        wait_for_use: self.sink.wait_for_use,
                        poll_interval: self.sink.poll_interval(),
                    })
                })
                .transpose()?,
            shard: self.shard.as_deref().map(Shard::parse).transpose()?,
            follow: self.follow,
            all_objects: self.all_objects,
            rules: self.rules.clone(),
            no_decode: self.no_decode,
            no_archives: self.no_archives,
            archive_limit_mib: self.archive_limit,
            threads: self.threads,
            stop_after_revocations: self.stop_after_revocations,
            api: self.api.options()?,
        })
    }
}

/// Run `sweep`.
pub fn run(args: SweepArgs) -> Result<Outcome> {
    let opts = args.options(std::io::stdin().is_terminal())?;
    let hook = args.alert.webhook()?;
    let terminal = Terminal {
        rotate: args.rotate,
        ..Terminal::default()
    };
    let result = crate::sweep::run(&opts, &terminal)?;
    let mut undelivered = false;
    if !result.stopped {
        let lines = render_key_lines(&result.state);
        let _ = std::io::stdout().lock().write_all(lines.as_bytes());
        eprintln!("reports written to `{}`", args.report_dir.display());
        if result.unconfirmed {
            eprintln!("error: {NO_CONSENT}");
        }
        undelivered = args
            .alert
            .alert(hook.as_ref(), &result.state.alert_keys(), "sweep");
    }
    let verdict: Outcome = result.verdict().into();
    // Stopped (exit 3) before the end, the verdict does not count.
    Ok(Outcome {
        stopped: result.stopped,
        findings: match args.fail_on {
            FailOn::Live => verdict.findings,
            FailOn::Any => verdict.findings.max(result.state.keys.len()),
        },
        incomplete: verdict.incomplete || undelivered,
        ..verdict
    })
}

/// The sweep's terminal: a progress bar on one, plain lines otherwise.
#[derive(Default)]
struct Terminal {
    bar: RefCell<Option<ProgressBar>>,
    /// `--rotate`: the prompt says so.
    rotate: bool,
}

/// Print `line` above the progress bar, or on standard error.
fn print(bar: Option<&ProgressBar>, line: &str) {
    match bar {
        Some(bar) => bar.println(line),
        None => eprintln!("{line}"),
    }
}

impl SweepUi for Terminal {
    fn say(&self, line: &str) {
        print(self.bar.borrow().as_ref(), &sanitize(line));
    }

    fn scan_started(&self, total: usize) {
        let bar = std::io::stderr().is_terminal().then(|| {
            ProgressBar::with_draw_target(Some(total as u64), ProgressDrawTarget::stderr())
        });
        let style = ProgressStyle::with_template("{bar:30} {pos}/{len} repositories  {wide_msg}");
        if let (Some(bar), Ok(style)) = (&bar, style) {
            bar.set_style(style);
        }
        *self.bar.borrow_mut() = bar;
    }

    fn scanning(&self, _: usize, name: &str) {
        if let Some(bar) = &*self.bar.borrow() {
            bar.set_message(sanitize(name));
        }
    }

    fn scanned(&self, i: usize, total: usize, name: &str, summary: &str) {
        let (name, summary) = (sanitize(name), sanitize(summary));
        match &*self.bar.borrow() {
            Some(bar) => bar.inc(1),
            None => eprintln!("[{}/{total}] {name}: {summary}", i + 1),
        }
    }

    fn scan_finished(&self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
    }

    fn problems(&self, name: &str) -> ProblemSink {
        let (bar, name) = (self.bar.borrow().clone(), sanitize(name));
        Box::new(move |kind, message| {
            let label = match kind {
                ProblemKind::Warning => "warning",
                ProblemKind::Unread => "error",
            };
            print(
                bar.as_ref(),
                &format!("{label}: {name}: {}", sanitize(message)),
            );
        })
    }

    fn confirm(&self, planned: &[PlannedRevocation]) -> Result<bool> {
        if self.rotate {
            eprintln!(
                "about to rotate {} live key(s) (create a replacement, deliver it, then revoke the key):",
                planned.len()
            );
        } else {
            eprintln!("about to revoke {} live key(s):", planned.len());
        }
        for p in planned {
            let (stem, id) = (sanitize(&p.stem), sanitize(&p.id));
            eprintln!("  {stem}…  id `{id}` with {}", p.credential.describe());
        }
        Ok(confirm(if self.rotate {
            "rotate them now?"
        } else {
            "revoke them now?"
        })?)
    }
}
