//! `misar-scan verify`: check keys from a JSON report (or `--stdin`) against
//! the Misar keys API (SPEC §2, §3).
//!
//! Exit code: 2 when any key could not be verified (unknown, or not recovered
//! from a redacted report) — "could not check" is never "clean", as for an
//! incomplete scan; else 1 when any key is live; else 0 (all keys known, none
//! live).

#![allow(clippy::print_stderr)]

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Args;

use super::args::{ApiArgs, ColorChoice, KeySource};
use super::messages::{use_color, write_output};
use super::Outcome;
use crate::config::{load_rules, ApiEnv, RepoConfig};
use crate::engine::Scanner;
use crate::finding::Finding;
use crate::report::{self, Format, Report};
use crate::source::Stats;
use crate::verify::{verify_findings, Tally};

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
    let rules = load_rules(args.rules.as_deref(), &RepoConfig::empty())?;
    let scanner = Scanner::new(&rules, &[]);
    let redact = !args.no_redact;
    let (loaded, input_incomplete) = args.source.load(&rules, &scanner, redact)?;
    let mut findings: Vec<Finding> = loaded.into_iter().map(|l| l.finding).collect();
    let tally = if findings.iter().any(|f| f.verification.reason().is_none()) {
        let tally = verify_findings(
            &mut findings,
            &rules,
            &args.api.options()?,
            &ApiEnv::from_env(),
        )?;
        eprintln!("{tally}");
        tally
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
        ..Outcome::default()
    })
}
