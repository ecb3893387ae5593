//! `misar-scan verify`: check keys from a JSON report (or `--stdin`) against
//! the Misar keys API (SPEC §2, §3), and the shared API flags used by
//! `scan --verify` and `revoke`.
//!
//! Exit code: 2 when any key could not be verified (unknown, or not recovered
//! from a redacted report) — "could not check" is never "clean", as for an
//! incomplete scan; else 1 when any key is live; else 0 (all keys known, none
//! live).

#![allow(clippy::print_stderr)]

use std::collections::HashMap;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use clap::Args;

use super::scan::load_rules;
use super::{sanitize, use_color, write_output, ColorChoice, Outcome};
use crate::api::{ApiClient, BaseUrl, ClientOptions};
use crate::config::{ApiEnv, RepoConfig, ENV_API_URL};
use crate::engine::Scanner;
use crate::finding::Finding;
use crate::recover::{self, Loaded};
use crate::report::{self, Format, Report};
use crate::rules::RuleSet;
use crate::source::Stats;
use crate::verify::{self, Job, Tally, Verifier, DEFAULT_CONCURRENCY};

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

/// The API client for these flags and environment. Fails when
/// `MISAR_API_URL` is set but refused by the base-URL policy.
pub fn client(args: &ApiArgs, env: &ApiEnv) -> Result<ApiClient> {
    let override_url = env
        .api_url
        .as_deref()
        .map(|u| BaseUrl::parse(u).with_context(|| format!("invalid `{ENV_API_URL}`")))
        .transpose()?;
    let opts = ClientOptions {
        request_timeout: seconds("verify-timeout", args.verify_timeout)?,
        connect_timeout: seconds("verify-timeout", args.verify_timeout)?
            .min(Duration::from_secs(5)),
        retries: args.verify_retries,
        deadline: seconds("verify-deadline", args.verify_deadline)?,
        backoff_base: Duration::from_millis(args.verify_backoff_ms),
        no_proxy: override_url.as_ref().is_some_and(BaseUrl::is_loopback),
        ..ClientOptions::default()
    };
    ApiClient::new(opts).context("failed to set up the HTTP client")
}

/// The API base for a finding's rule (or `MISAR_API_URL`), or why there is none.
pub fn base_for(rules: &RuleSet, rule_id: &str, env: &ApiEnv) -> Result<BaseUrl, String> {
    let rule_url = rules.get(rule_id).map(|r| r.api_base_url.as_str());
    match (env.api_url.as_deref(), rule_url) {
        (None, None) => Err(format!(
            "rule `{rule_id}` is not loaded, so its API is unknown (pass `--rules`)"
        )),
        (over, rule) => BaseUrl::resolve(rule.unwrap_or_default(), over).map_err(|e| e.to_string()),
    }
}

/// Verify every distinct key among `findings` and record the results in them.
pub fn verify_findings(findings: &mut [Finding], rules: &RuleSet, args: &ApiArgs) -> Result<Tally> {
    let env = ApiEnv::from_env();
    let client = client(args, &env)?;
    let results = verify_with(
        &client,
        findings.iter(),
        rules,
        &env,
        args.verify_concurrency,
    );
    verify::apply(findings, &results);
    let tally = Tally::of(findings);
    eprintln!("{}", summary(&tally));
    Ok(tally)
}

/// Verify the distinct keys of `findings` (those not already unknown).
pub fn verify_with<'a>(
    client: &ApiClient,
    findings: impl Iterator<Item = &'a Finding>,
    rules: &RuleSet,
    env: &ApiEnv,
    concurrency: usize,
) -> HashMap<String, verify::Checked> {
    // Only key findings go to the API: lint findings about a key share its
    // result through `secret_sha256`, and the other lints hold no Misar key.
    let jobs: Vec<Job> = findings
        .filter(|f| rules.lint(&f.rule_id).is_none())
        .filter(|f| f.verification.reason().is_none())
        .map(|f| Job {
            secret: f.secret.clone(),
            base: base_for(rules, &f.rule_id, env),
        })
        .collect();
    if jobs.is_empty() {
        return HashMap::new();
    }
    Verifier::new(client, concurrency).verify_all(jobs)
}

/// `verification: 1 live, 2 not live, 0 unknown (distinct keys)`.
pub fn summary(t: &Tally) -> String {
    format!(
        "verification: {} live, {} not live, {} unknown (distinct keys)",
        t.live, t.not_live, t.unknown
    )
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

/// Options of `verify`.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  misar-scan scan -f json -o findings.json && misar-scan verify findings.json\n  misar-scan verify --report findings.json -f sarif -o verified.sarif\n  printf '%s\\n' \"$LEAKED_KEY\" | misar-scan verify --stdin\n\nStatus: live (the API accepted the key: revoke it now), not_live (401: invalid or revoked),\nunknown (no trustworthy answer: 429/5xx/timeouts/pages that are not Misar's; check again).\nExit codes: 0 every key known and none live, 1 a key is live, 2 a key could not be verified\n(unknown or not recovered) or a usage/runtime error.\nEnvironment: MISAR_API_URL overrides the API base URL of every product."
)]
pub struct VerifyArgs {
    #[command(flatten)]
    pub source: KeySource,

    /// Output format.
    #[arg(short, long, value_enum, default_value_t = Format::Human)]
    pub format: Format,

    /// Write the output to FILE instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Load extra rules from every `*.toml` in DIR (as in `scan`).
    #[arg(long, value_name = "DIR")]
    pub rules: Option<PathBuf>,

    /// Show full keys in the output. Keys are redacted (first 8 characters + …) by default.
    #[arg(long)]
    pub no_redact: bool,

    /// When to colour the human output.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,

    #[command(flatten)]
    pub api: ApiArgs,
}

/// Run `verify`.
pub fn run(args: VerifyArgs) -> Result<Outcome> {
    let rules = load_rules(args.rules.as_ref(), &RepoConfig::empty())?;
    let scanner = Scanner::new(&rules, &[]);
    let redact = !args.no_redact;
    let (loaded, input_incomplete) = args.source.load(&rules, &scanner, redact)?;
    let mut findings: Vec<Finding> = loaded.into_iter().map(|l| l.finding).collect();
    let tally = if findings.iter().any(|f| f.verification.reason().is_none()) {
        verify_findings(&mut findings, &rules, &args.api)?
    } else {
        Tally::of(&findings)
    };
    let report = Report {
        findings: &findings,
        rules: &rules,
        stale_baseline: &[],
        stats: Stats::default(),
        incomplete: input_incomplete,
        redact,
        color: args.format == Format::Human && use_color(args.color, args.output.is_none()),
        mode: "verify",
    };
    let bytes = report::render(args.format, &report)?;
    write_output(args.output.as_ref(), &bytes).context("failed to write the report")?;
    Ok(Outcome {
        findings: tally.live,
        incomplete: input_incomplete || tally.unknown > 0,
    })
}
