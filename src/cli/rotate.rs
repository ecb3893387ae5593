//! `misar-scan rotate`: replace live keys from a JSON report or `--stdin`
//! without an outage, then revoke them (SPEC §6). Dry run unless `--yes`.
//!
//! The flags become [`RotateOptions`] for [`crate::rotate::run()`]; its typed
//! result is rendered by [`crate::report::rotate`]. Exit code: 0 no key is
//! live at the end, 1 (dry run) a key is still live, 2 something needs a
//! person (unknown, refused, delivery failed, cut-over not seen,
//! discrepancy) or a usage/runtime error.

#![allow(clippy::print_stderr)]

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Args;

use super::args::{ApiArgs, KeySource, SinkArgs};
use super::messages::discrepancy;
use super::{write_output, Outcome};
use crate::report::rotate as report;
use crate::rotate::RotateOptions;

/// The default audit log (the same as `revoke`'s).
pub const DEFAULT_AUDIT_LOG: &str = "misar-scan-audit.jsonl";

/// The default state file, in the current directory.
pub const DEFAULT_STATE_FILE: &str = "misar-scan-rotate-state.json";

/// Output of `rotate`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum RotateFormat {
    /// One block per key.
    Human,
    /// A JSON array, one object per key.
    Json,
}

/// Options of `rotate`.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  misar-scan rotate findings.json --exec 'gh secret set MISAR_API_KEY'          dry run: print the plan\n  misar-scan rotate findings.json --exec 'gh secret set MISAR_API_KEY' --yes\n  misar-scan rotate --stdin --env-file .env --env-var MISAR_API_KEY --yes < leaked.txt\n  misar-scan rotate findings.json --exec './deploy-secret.sh' --wait-for-use 10m --yes\n\nFor each live key: create a replacement with the same name and scopes, deliver it to the\nsink (never printed, logged or stored), optionally wait until it is used, then revoke the\nold key (DELETE once, re-verify 401). A failed delivery deletes the replacement and leaves\nthe old key live. Run the same command again to resume: the state file holds ids and\nSHA-256s only.\nKeys that hold keys:manage rotate themselves; others need MISAR_ADMIN_KEY (environment only).\nExit codes: 0 no key is live at the end, 1 (dry run) a key is still live, 2 something needs\na person (unknown, refused, delivery failed, cut-over not seen) or a usage/runtime error."
)]
pub struct RotateArgs {
    #[command(flatten)]
    pub source: KeySource,

    /// Rotate for real. Without it, only print what would be done (dry run).
    #[arg(long)]
    pub yes: bool,

    #[command(flatten)]
    pub sink: SinkArgs,

    /// Append every action to FILE, as JSON lines.
    #[arg(long, value_name = "FILE", default_value = DEFAULT_AUDIT_LOG)]
    pub audit_log: PathBuf,

    /// Keep the resumable state in FILE (ids and SHA-256s only).
    #[arg(long, value_name = "FILE", default_value = DEFAULT_STATE_FILE)]
    pub state_file: PathBuf,

    /// Output format.
    #[arg(short, long, value_enum, default_value_t = RotateFormat::Human)]
    pub format: RotateFormat,

    /// Write the output to FILE instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Load extra rules from every `*.toml` in DIR (as in `scan`).
    #[arg(long, value_name = "DIR")]
    pub rules: Option<PathBuf>,

    #[command(flatten)]
    pub api: ApiArgs,
}

/// Run `rotate`.
pub fn run(args: RotateArgs) -> Result<Outcome> {
    let Some(sink) = args.sink.sink() else {
        anyhow::bail!(
            "no sink for the replacement keys: pass `--exec CMD` or `--env-file FILE --env-var NAME`"
        );
    };
    let (rules, keys, input_incomplete) = args.source.keys(args.rules.as_deref())?;
    let opts = RotateOptions {
        act: args.yes,
        audit_log: args.audit_log.clone(),
        state_file: args.state_file.clone(),
        sink,
        wait_for_use: args.sink.wait_for_use,
        poll_interval: args.sink.poll_interval(),
        api: args.api.options()?,
    };
    let result = crate::rotate::run(&opts, keys, &rules)?;
    if !args.yes {
        eprintln!("dry run: nothing will be created or revoked; pass `--yes` to act");
    }
    if let Some((key, executed)) = result.discrepancy() {
        discrepancy(&key.key, &executed.id, &args.audit_log);
    }
    let bytes = match args.format {
        RotateFormat::Human => report::render_human(&result).into_bytes(),
        RotateFormat::Json => report::render_json(&result)?,
    };
    write_output(args.output.as_ref(), &bytes).context("failed to write the output")?;
    Ok(Outcome {
        findings: result.live_left(),
        incomplete: input_incomplete || result.needs_person(),
        ..Outcome::default()
    })
}
