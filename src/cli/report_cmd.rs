//! `misar-scan report merge DIR… --output DIR`: combine the report folders of
//! a sharded sweep (`sweep --shard K/N`) into one (SPEC §3, §4).
//!
//! The merge itself is [`crate::sweep::merge()`]: each folder's
//! `sweep-state.json` merged, the audit logs concatenated, and
//! `report.json`, `report.sarif`, `summary.md` and `report.html` regenerated
//! in the output folder with a merged `sweep-state.json` (so merges can be
//! merged again). No API call is made.
//!
//! Exit code: as for `sweep`, from the merged state's
//! [`crate::sweep::SweepVerdict`].

#![allow(clippy::print_stderr)]

use std::path::PathBuf;

use anyhow::Result;
use clap::{Args, Subcommand};

use super::Outcome;

/// Options of `report`.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// What to do.
    #[command(subcommand)]
    pub command: ReportCommand,
}

/// `report` subcommands.
#[derive(Debug, Subcommand)]
pub enum ReportCommand {
    /// Combine the report folders of sharded sweeps into one.
    Merge(MergeArgs),
}

/// Options of `report merge`.
#[derive(Debug, Args)]
#[command(
    after_help = "Example:\n  misar-scan report merge shard-1 shard-2 shard-3 --output incident-42"
)]
pub struct MergeArgs {
    /// Report folders written by `misar-scan sweep` (each with `sweep-state.json`).
    #[arg(value_name = "DIR", required = true)]
    pub dirs: Vec<PathBuf>,

    /// Write the merged report folder here (created if missing).
    #[arg(short, long, value_name = "DIR")]
    pub output: PathBuf,

    /// Load extra rules from every `*.toml` in DIR (as in `scan`).
    #[arg(long, value_name = "DIR")]
    pub rules: Option<PathBuf>,
}

/// Run `report`.
pub fn run(args: ReportArgs) -> Result<Outcome> {
    match args.command {
        ReportCommand::Merge(args) => merge(args),
    }
}

fn merge(args: MergeArgs) -> Result<Outcome> {
    let (merged, notes) = crate::sweep::merge(&args.dirs, &args.output, args.rules.as_deref())?;
    for note in notes {
        eprintln!("note: {note}");
    }
    eprintln!(
        "merged {} report folder(s): {} repositories, {} distinct keys, written to `{}`",
        args.dirs.len(),
        merged.repos.len(),
        merged.keys.len(),
        args.output.display()
    );
    Ok(merged.verdict(false).into())
}
