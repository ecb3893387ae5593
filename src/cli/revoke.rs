//! `misar-scan revoke`: revoke live keys from a JSON report or `--stdin`
//! (SPEC §2, §3). Dry run unless `--yes`.
//!
//! The keys are loaded here and handed with [`RevokeOptions`] to
//! [`crate::revoke::run()`]; its typed result is rendered by
//! [`crate::report::revoke`], a discrepancy said loudly on standard error.
//!
//! Exit code: 0 nothing live is left (every live key revoked and confirmed,
//! or none was live); 1 (dry run) live keys would be revoked; 2 anything
//! refused, failed, unknown or discrepant, or a usage/runtime error.

#![allow(clippy::print_stderr)]

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Args;

use super::args::{ApiArgs, KeySource};
use super::messages::discrepancy;
use super::{write_output, Outcome};
use crate::report::revoke as report;
use crate::revoke::RevokeOptions;

/// The default audit log, in the current directory.
pub const DEFAULT_AUDIT_LOG: &str = "misar-scan-audit.jsonl";

/// Output of `revoke`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum RevokeFormat {
    /// One block per key.
    Human,
    /// A JSON array, one object per key.
    Json,
}

/// Options of `revoke`.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  misar-scan revoke findings.json                 dry run: print the plan\n  misar-scan revoke findings.json --yes           revoke, re-verify, log to misar-scan-audit.jsonl\n  MISAR_ADMIN_KEY=... misar-scan revoke --stdin --yes < leaked.txt\n\nKeys that hold keys:manage revoke themselves; others need MISAR_ADMIN_KEY (a key of the same\naccount with keys:manage), read from the environment only, never from a flag.\nExit codes: 0 nothing live is left, 1 (dry run) live keys would be revoked, 2 anything refused,\nfailed, unknown or discrepant (see the output and the audit log), or a usage/runtime error."
)]
pub struct RevokeArgs {
    #[command(flatten)]
    pub source: KeySource,

    /// Revoke for real. Without it, only print what would be revoked (dry run).
    ///
    /// Needs no terminal: there is no prompt.
    #[arg(long)]
    pub yes: bool,

    /// Append every action to FILE, as JSON lines.
    #[arg(long, value_name = "FILE", default_value = DEFAULT_AUDIT_LOG)]
    pub audit_log: PathBuf,

    /// Output format.
    #[arg(short, long, value_enum, default_value_t = RevokeFormat::Human)]
    pub format: RevokeFormat,

    /// Write the output to FILE instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Load extra rules from every `*.toml` in DIR (as in `scan`).
    #[arg(long, value_name = "DIR")]
    pub rules: Option<PathBuf>,

    #[command(flatten)]
    pub api: ApiArgs,
}

/// Run `revoke`.
pub fn run(args: RevokeArgs) -> Result<Outcome> {
    let (rules, keys, input_incomplete) = args.source.keys(args.rules.as_deref())?;
    let opts = RevokeOptions {
        act: args.yes,
        audit_log: args.audit_log.clone(),
        api: args.api.options()?,
    };
    let result = crate::revoke::run(&opts, keys, &rules)?;
    if !args.yes {
        eprintln!("dry run: nothing will be revoked; pass `--yes` to act");
    }
    if let Some((key, executed)) = result.discrepancy() {
        discrepancy(&key.key, &executed.id, &args.audit_log);
    }
    let bytes = match args.format {
        RevokeFormat::Human => report::render_human(&result).into_bytes(),
        RevokeFormat::Json => report::render_json(&result)?,
    };
    write_output(args.output.as_ref(), &bytes).context("failed to write the output")?;
    Ok(Outcome {
        findings: result.live_left(),
        incomplete: input_incomplete || result.needs_person(),
        ..Outcome::default()
    })
}
