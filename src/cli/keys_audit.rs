//! `misar-scan keys audit` (SPEC §2, §3; issue 5 item 2): flags become
//! [`AuditOptions`], [`crate::keys_audit::run`] lists and audits the
//! account's keys, [`crate::report::keys_audit`] renders the result.
//!
//! Exit code: 0 nothing flagged; 1 something flagged; 2 an error (no admin
//! key, `403`, `401`, no usable answer, an unreadable report) or an
//! incomplete audit (a date that could not be read; the output is written).

#![allow(clippy::print_stderr)]

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::{Args, Subcommand};

use super::args::ApiArgs;
use super::{write_output, Outcome};
use crate::config::ApiEnv;
use crate::keys_audit::{AuditOptions, Thresholds};
use crate::report::keys_audit::{self as render, AuditFormat};
use crate::timestamp::Timestamp;

/// Options of `keys`.
#[derive(Debug, Args)]
pub struct KeysArgs {
    /// What to do with the account's keys.
    #[command(subcommand)]
    pub command: KeysCommand,
}

/// Subcommands of `keys`.
#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Flag risky keys of the account: over-broad scopes, unused, never used, old, leaked.
    ///
    /// Lists the account's keys with `MISAR_ADMIN_KEY` (a key of the account
    /// that holds `keys:manage`, read from the environment only) and flags,
    /// each as a separate finding with a stable check id: `leaked` (with
    /// `--report`), `keys-manage-scope`, `all-scopes`, `unused`, `never-used`
    /// and `old`.
    Audit(AuditArgs),
}

/// Options of `keys audit`.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  MISAR_ADMIN_KEY=... misar-scan keys audit\n  MISAR_ADMIN_KEY=... misar-scan keys audit --report findings.json      also flag keys the scan found\n  MISAR_ADMIN_KEY=... misar-scan keys audit --since 2026-11-02T09:14:00Z    keys created since a leak\n  MISAR_ADMIN_KEY=... misar-scan keys audit -f json -o audit.json --unused-days 30 --max-age-days 180\n\nChecks: leaked (critical; possibly leaked: high), created-after-exposure (high, with --since),\nkeys-manage-scope (high), all-scopes (medium),\nold (medium), unused (low), never-used (low). The admin key's own entry may hold keys:manage.\nMISAR_ADMIN_KEY is read from the environment only, never from a flag; MISAR_API_URL overrides\nthe API base URL.\nExit codes: 0 nothing flagged, 1 something flagged, 2 an error (the admin key is missing, lacks\nkeys:manage, is invalid or revoked; the API gave no usable answer) or a date that could not be read."
)]
pub struct AuditArgs {
    /// Also flag keys found leaked by this JSON report (`misar-scan scan -f json`).
    ///
    /// Report keys are matched to the account's keys by the full key when the
    /// report holds it (`--no-redact`) or it can be read back from the scanned
    /// file (run from the directory the scan ran in), else by their first 8
    /// characters. A stem that fits several keys flags each as possibly leaked.
    #[arg(long, value_name = "FILE")]
    pub report: Option<PathBuf>,

    /// Flag keys last used more than DAYS days ago.
    #[arg(long, value_name = "DAYS", default_value_t = Thresholds::default().unused_days)]
    pub unused_days: u32,

    /// Flag never-used keys created more than DAYS days ago.
    ///
    /// A key created within the grace period is not flagged: its deployment may be pending.
    #[arg(long, value_name = "DAYS", default_value_t = Thresholds::default().never_used_grace_days)]
    pub never_used_grace_days: u32,

    /// Flag keys created more than DAYS days ago (the rotation period).
    #[arg(long, value_name = "DAYS", default_value_t = Thresholds::default().max_age_days)]
    pub max_age_days: u32,

    /// Flag every key created at or after this RFC 3339 time (`created-after-exposure`).
    ///
    /// The persistence check: give the time a leaked key was first exposed
    /// (the date of the commit that introduced it). A leaked key that holds
    /// `keys:manage` can create keys that stay after it is revoked.
    #[arg(long, value_name = "RFC3339", value_parser = parse_now)]
    pub since: Option<Timestamp>,

    /// Judge ages as of this RFC 3339 time instead of now (reproducible reports, tests).
    #[arg(long, value_name = "RFC3339", value_parser = parse_now)]
    pub now: Option<Timestamp>,

    /// Output format.
    #[arg(short, long, value_enum, default_value_t = AuditFormat::Human)]
    pub format: AuditFormat,

    /// Write the output to FILE instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Load extra rules from every `*.toml` in DIR (as in `scan`), to read back report keys.
    #[arg(long, value_name = "DIR")]
    pub rules: Option<PathBuf>,

    #[command(flatten)]
    pub api: ApiArgs,
}

fn parse_now(s: &str) -> Result<Timestamp, String> {
    Timestamp::parse_rfc3339(s).map_err(|e| format!("{e}; expected e.g. `2026-01-31T00:00:00Z`"))
}

/// Run `keys`.
pub fn run(args: KeysArgs) -> Result<Outcome> {
    let KeysCommand::Audit(args) = args.command;
    let opts = AuditOptions {
        report: args.report,
        thresholds: Thresholds {
            unused_days: args.unused_days,
            never_used_grace_days: args.never_used_grace_days,
            max_age_days: args.max_age_days,
            since: args.since,
        },
        now: args.now,
        rules: args.rules,
        api: args.api.options()?,
    };
    let notes = &mut |note| eprintln!("note: {note}");
    let run = crate::keys_audit::run(&opts, &ApiEnv::from_env(), notes)?;
    for line in render::warnings(&run) {
        eprintln!("{line}");
    }
    let text = render::render(&run, args.format)?;
    write_output(args.output.as_ref(), text.as_bytes()).context("failed to write the audit")?;
    let incomplete = render::incomplete(&run);
    if let Some(line) = &incomplete {
        eprintln!("{line}");
    }
    Ok(Outcome {
        findings: run.audit.finding_count(),
        incomplete: incomplete.is_some(),
        ..Outcome::default()
    })
}
