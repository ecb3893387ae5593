//! `report merge` (SPEC §3, §4): the report folders of a sharded sweep
//! combined into one, with no API call.
//!
//! Each folder's `sweep-state.json` is read and the states merged
//! ([`SweepState::merge`]: repositories by name, keys by `secret_sha256`
//! with every location, the action that went furthest winning); the audit
//! logs are concatenated (identical lines once); the output folder gets the
//! merged state (so merges can be merged again), the audit log and the
//! reports, regenerated.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use super::state::{write_atomic, SweepState, AUDIT_FILE, STATE_FILE};
use crate::config::{load_rules, RepoConfig};
use crate::engine::Scanner;
use crate::report::sweep::write_reports;

/// Merge the sweep report folders `dirs` into `output` (created if
/// missing), with the extra rules in `rules` for the SARIF report; the
/// merged state, and the lines saying what GitHub's limits left out of the
/// SARIF report.
pub fn merge(
    dirs: &[PathBuf],
    output: &Path,
    rules: Option<&Path>,
) -> Result<(SweepState, Vec<String>)> {
    let mut states = Vec::new();
    let mut audit = Vec::new();
    let mut seen_lines = HashSet::new();
    for dir in dirs {
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
    std::fs::create_dir_all(output)
        .with_context(|| format!("failed to create `{}`", output.display()))?;
    merged.save(output)?;
    write_atomic(&output.join(AUDIT_FILE), &audit)?;
    let rules = load_rules(rules, &RepoConfig::empty())?;
    let scanner = Scanner::new(&rules, &[]);
    let incomplete = merged.repos.values().any(|r| r.incomplete);
    let notes = write_reports(output, &merged, &rules, &scanner, incomplete)?;
    Ok((merged, notes))
}
