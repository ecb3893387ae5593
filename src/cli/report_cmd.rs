//! `misar-scan report merge DIR… --output DIR`: combine the report folders of
//! a sharded sweep (`sweep --shard K/N`) into one (SPEC §3, §4).
//!
//! Reads each folder's `sweep-state.json`, merges them
//! ([`crate::sweep::SweepState::merge`]: repositories by name, keys by
//! `secret_sha256` with every location, the action that went furthest
//! winning), concatenates the audit logs (identical lines once), and
//! regenerates `report.json`, `report.sarif`, `summary.md` and `report.html`
//! in the output folder, with a merged `sweep-state.json` so merges can be
//! merged again. No API call is made.
//!
//! Exit code: as for `sweep`, from the merged state.

#![allow(clippy::print_stderr)]

use std::collections::HashSet;
use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::{Args, Subcommand};

use super::Outcome;
use crate::config::load_rules;
use crate::config::RepoConfig;
use crate::engine::Scanner;
use crate::report::sweep::write_reports;
use crate::sweep::{write_atomic, SweepState, AUDIT_FILE, STATE_FILE};

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
    let mut states = Vec::new();
    let mut audit = Vec::new();
    let mut seen_lines = HashSet::new();
    for dir in &args.dirs {
        let state = SweepState::load(dir)?.with_context(|| {
            format!(
                "`{}` holds no `{STATE_FILE}`: not a sweep report folder",
                dir.display()
            )
        })?;
        states.push(state);
        let path = dir.join(AUDIT_FILE);
        match std::fs::read_to_string(&path) {
            Ok(text) => {
                for line in text.lines().filter(|l| !l.trim().is_empty()) {
                    if seen_lines.insert(line.to_string()) {
                        audit.extend_from_slice(line.as_bytes());
                        audit.push(b'\n');
                    }
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                return Err(e).with_context(|| format!("failed to read `{}`", path.display()))
            }
        }
    }
    let merged = SweepState::merge(states);
    let out = &args.output;
    std::fs::create_dir_all(out)
        .with_context(|| format!("failed to create `{}`", out.display()))?;
    merged.save(out)?;
    write_atomic(&out.join(AUDIT_FILE), &audit)?;
    let rules = load_rules(args.rules.as_deref(), &RepoConfig::empty())?;
    let scanner = Scanner::new(&rules, &[]);
    let incomplete = merged.repos.values().any(|r| r.incomplete);
    write_reports(out, &merged, &rules, &scanner, incomplete)?;
    eprintln!(
        "merged {} report folder(s): {} repositories, {} distinct keys, written to `{}`",
        args.dirs.len(),
        merged.repos.len(),
        merged.keys.len(),
        out.display()
    );
    Ok(super::sweep::exit_outcome(&merged, false))
}
