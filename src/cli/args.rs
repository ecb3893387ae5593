//! Flag groups shared by several commands: how to reach the API, where keys
//! come from, colour. Each turns into the library's plain options.

#![allow(clippy::print_stderr)]

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{bail, Context, Result};
use clap::{Args, ValueEnum};

use crate::alert::{AlertFormat, AlertKey, FailOn, Webhook};
use crate::api::ClientOptions;
use crate::config::{load_rules, RepoConfig};
use crate::engine::Scanner;
use crate::finding::Finding;
use crate::recover::{self, Loaded};
use crate::rules::RuleSet;
use crate::sanitize::sanitize;
use crate::verify::{ApiOptions, DEFAULT_CONCURRENCY};

/// When to colour human output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum ColorChoice {
    /// On a terminal, unless `NO_COLOR` is set.
    #[default]
    Auto,
    /// Always.
    Always,
    /// Never.
    Never,
}

/// How to talk to the API: concurrency, timeouts, retries, deadline.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Verification")]
pub struct ApiArgs {
    /// Verify at most N keys at once.
    ///
    /// Each distinct key is checked with one `GET /api/v1/keys` (plus retries).
    #[arg(long, value_name = "N", default_value_t = DEFAULT_CONCURRENCY, value_parser = clap::builder::TypedValueParser::map(clap::value_parser!(u16).range(1..=1024), usize::from))]
    pub verify_concurrency: usize,

    /// Seconds allowed for one API request, from connecting to the last byte.
    #[arg(long, value_name = "SECS", default_value_t = 10.0)]
    pub verify_timeout: f64,

    /// Retries of an answer that is not final: 429, 5xx, timeouts, refused
    /// connections, bodies that are not Misar's.
    ///
    /// Waits between attempts grow exponentially (from 0.5 s, capped at 8 s, with
    /// jitter) and are at least the server's `Retry-After`.
    #[arg(long, value_name = "N", default_value_t = 3)]
    pub verify_retries: u32,

    /// Total seconds for all API calls of the run; keys left unchecked are unknown.
    #[arg(long, value_name = "SECS", default_value_t = 300.0)]
    pub verify_deadline: f64,

    /// First backoff in milliseconds (for tests).
    #[arg(long, value_name = "MS", default_value_t = 500, hide = true)]
    pub verify_backoff_ms: u64,
}

fn seconds(flag: &str, secs: f64) -> Result<Duration> {
    Duration::try_from_secs_f64(secs)
        .ok()
        .filter(|d| !d.is_zero())
        .with_context(|| format!("`--{flag}` must be a positive number of seconds, got `{secs}`"))
}

impl ApiArgs {
    /// The library's options for these flags; a timeout that is not a
    /// positive number of seconds is an error.
    pub fn options(&self) -> Result<ApiOptions> {
        let timeout = seconds("verify-timeout", self.verify_timeout)?;
        Ok(ApiOptions {
            client: ClientOptions {
                request_timeout: timeout,
                connect_timeout: timeout.min(Duration::from_secs(5)),
                retries: self.verify_retries,
                deadline: seconds("verify-deadline", self.verify_deadline)?,
                backoff_base: Duration::from_millis(self.verify_backoff_ms),
                ..ClientOptions::default()
            },
            concurrency: self.verify_concurrency,
        })
    }
}

/// Where a replacement key goes (`rotate`, `sweep --rotate`; SPEC §6), and
/// the cut-over wait.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Rotation")]
pub struct SinkArgs {
    /// Deliver each replacement by running `sh -c CMD` with the key on standard input.
    ///
    /// The key and a newline are written to its standard input; its
    /// environment is ours plus MISAR_NEW_KEY_ID, MISAR_OLD_KEY_ID,
    /// MISAR_KEY_NAME, MISAR_PRODUCT and MISAR_OLD_KEY_SHA256. Exit 0 means
    /// delivered. Its standard output goes to our standard error.
    #[arg(long, value_name = "CMD", conflicts_with = "env_file")]
    pub exec: Option<String>,

    /// Deliver each replacement into FILE's `NAME=` line (with `--env-var`).
    ///
    /// Rewritten atomically with mode 0600, other lines kept; `export NAME=`
    /// keeps its form; the line is appended when absent, the file created
    /// when missing.
    #[arg(long, value_name = "FILE", requires = "env_var")]
    pub env_file: Option<PathBuf>,

    /// The variable `--env-file` sets.
    #[arg(long, value_name = "NAME", requires = "env_file")]
    pub env_var: Option<String>,

    /// Before revoking, wait up to DURATION (`30s`, `10m`, `1h`) until the
    /// replacement has been used.
    ///
    /// Polls the key list for the replacement's `last_used_at`. If it stays
    /// unused, the old key is left live (exit 2); the same command run again
    /// resumes the wait without creating another replacement.
    #[arg(long, value_name = "DURATION", value_parser = crate::timestamp::parse_duration)]
    pub wait_for_use: Option<Duration>,

    /// Time between two looks at the key list while waiting, in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 5000, hide = true)]
    pub wait_poll_ms: u64,
}

impl SinkArgs {
    /// The sink given, if any.
    pub fn sink(&self) -> Option<crate::rotate::Sink> {
        match (&self.exec, &self.env_file, &self.env_var) {
            (Some(command), _, _) => Some(crate::rotate::Sink::Exec {
                command: command.clone(),
            }),
            (None, Some(path), Some(var)) => Some(crate::rotate::Sink::EnvFile {
                path: path.clone(),
                var: var.clone(),
            }),
            _ => None,
        }
    }

    /// The time between two looks at the list while waiting.
    pub fn poll_interval(&self) -> Duration {
        Duration::from_millis(self.wait_poll_ms.max(1))
    }
}

/// `--fail-on`'s help, shared by `scan` and `sweep`.
pub const FAIL_ON_HELP: &str =
    "`live` implies `--verify`: keys confirmed `not_live` (revoked) are still \
reported but do not fail the run; a key that could not be confirmed dead does.";

/// Alerts of a run (SPEC §3): `--alert-webhook URL --alert-format json|slack`.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Alerts")]
pub struct AlertArgs {
    /// POST one alert listing the live and unknown keys to URL (implies `--verify`).
    ///
    /// `https://`, or `http://` to a loopback address only. One POST per
    /// run, none when no key is live or unknown; keys redacted, with their
    /// SHA-256, product, first location and status. An alert that cannot be
    /// delivered (after two retries) makes the run exit 2; the reports are
    /// still written.
    #[arg(long, value_name = "URL")]
    pub alert_webhook: Option<String>,

    /// The alert's body: misar-scan's JSON, or a Slack incoming-webhook message.
    #[arg(long, value_enum, value_name = "FORMAT", default_value_t = AlertFormat::Json, requires = "alert_webhook")]
    pub alert_format: AlertFormat,
}

impl AlertArgs {
    /// The checked webhook, if one was given.
    pub fn webhook(&self) -> Result<Option<Webhook>> {
        self.alert_webhook
            .as_deref()
            .map(Webhook::parse)
            .transpose()
            .map_err(anyhow::Error::msg)
    }

    /// Send the alert for `keys` (if there is a webhook and a key to
    /// report); `true` when it could not be delivered (the run is then
    /// incomplete). What happened is said on standard error.
    pub fn alert(&self, hook: Option<&Webhook>, keys: &[AlertKey], source: &str) -> bool {
        let Some(hook) = hook else { return false };
        match crate::alert::notify(hook, self.alert_format, keys, source) {
            Ok(0) => false,
            Ok(n) => {
                eprintln!(
                    "alert: {n} live or unknown key(s) posted to `{}`",
                    hook.shown()
                );
                false
            }
            Err(e) => {
                eprintln!("error: {}", sanitize(&e));
                true
            }
        }
    }
}

/// The note said when `--fail-on live` lets reported findings pass.
pub fn note_passed(fail_on: FailOn, reported: usize, failing: usize) {
    if fail_on == FailOn::Live && failing < reported {
        eprintln!(
            "note: {} finding(s) about keys confirmed not live are reported but do not fail the run (`--fail-on live`)",
            reported - failing
        );
    }
}

/// Where the keys come from.
#[derive(Debug, Clone, Args)]
pub struct KeySource {
    /// A JSON report from `misar-scan scan -f json` (same as `--report`).
    #[arg(value_name = "REPORT", conflicts_with_all = ["report", "stdin"])]
    pub report_path: Option<PathBuf>,

    /// A JSON report from `misar-scan scan -f json`.
    ///
    /// Reports are redacted by default: each key is read back from the file
    /// (or, for history findings, the commit) the report names — its content,
    /// its name, or the commit's or tag's author, committer, tagger or
    /// message — and used only if its SHA-256 equals the report's `secret_sha256`. Run from the
    /// directory the scan ran in. Reports made with `--no-redact` work too.
    #[arg(long, value_name = "FILE", conflicts_with = "stdin")]
    pub report: Option<PathBuf>,

    /// Read keys from standard input, one per line (`#` comments and blank lines skipped).
    #[arg(long)]
    pub stdin: bool,
}

impl KeySource {
    /// The rules (built in, plus `*.toml` in `rules_dir`) and the keys to act
    /// on, redacted in output; whether the input was read only in part.
    pub fn keys(&self, rules_dir: Option<&Path>) -> Result<(RuleSet, Vec<Finding>, bool)> {
        let rules = load_rules(rules_dir, &RepoConfig::empty())?;
        let scanner = Scanner::new(&rules, &[]);
        let (loaded, incomplete) = self.load(&rules, &scanner, true)?;
        let keys = loaded.into_iter().map(|l| l.finding).collect();
        Ok((rules, keys, incomplete))
    }

    /// Load the keys; problems with the input are printed and make the run incomplete.
    pub fn load(
        &self,
        rules: &RuleSet,
        scanner: &Scanner,
        redact: bool,
    ) -> Result<(Vec<Loaded>, bool)> {
        if self.stdin {
            let stdin = std::io::stdin();
            if stdin.is_terminal() {
                eprintln!("reading keys from standard input, one per line (end with Ctrl-D)");
            }
            let (loaded, problems) = recover::from_lines(stdin.lock(), rules, scanner, redact)?;
            for p in &problems {
                eprintln!("warning: {}", sanitize(p));
            }
            return Ok((loaded, !problems.is_empty()));
        }
        let Some(path) = self.report.as_ref().or(self.report_path.as_ref()) else {
            bail!("no keys given: pass a JSON report (`REPORT` or `--report FILE`) or `--stdin`");
        };
        let loaded = recover::from_report(path, rules, scanner, redact)?;
        let mut incomplete = false;
        for l in &loaded {
            if let Some(p) = &l.problem {
                incomplete = true;
                eprintln!(
                    "warning: `{}` in `{}` line {}: {}",
                    l.finding.secret.redacted(),
                    sanitize(&l.finding.path),
                    l.finding.line,
                    sanitize(p)
                );
            }
        }
        Ok((loaded, incomplete))
    }
}
