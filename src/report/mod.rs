//! Reports (SPEC §4): human, JSON and SARIF, behind one interface.
//!
//! Reporters are pure: (sorted findings, rules, options) → bytes. Each
//! redacts keys unless `--no-redact` was given.

pub mod github;
pub mod human;
pub mod json;
pub mod keys_audit;
pub mod revoke;
pub mod rotate;
pub mod rules;
pub mod sarif;
pub mod sweep;

use crate::baseline::BaselineEntry;
use crate::finding::Finding;
use crate::rules::RuleSet;
use crate::source::Stats;

/// Output format (`-f`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Compiler-style diagnostics with the source line.
    Human,
    /// One JSON document with one object per finding.
    Json,
    /// SARIF 2.1.0, for GitHub code scanning.
    Sarif,
}

/// Everything a reporter needs.
#[derive(Debug)]
pub struct Report<'a> {
    /// Findings, sorted.
    pub findings: &'a [Finding],
    /// The rules in force.
    pub rules: &'a RuleSet,
    /// Baseline entries that matched nothing.
    pub stale_baseline: &'a [BaselineEntry],
    /// Totals.
    pub stats: Stats,
    /// Whether something could not be read.
    pub incomplete: bool,
    /// Show keys redacted (the default).
    pub redact: bool,
    /// Colour (human format on a terminal only).
    pub color: bool,
    /// What kind of scan made this report (`fs`, `git`, `range`, `staged`), for SARIF `automationDetails`.
    pub mode: &'a str,
}

/// Render `report` in `format`; the JSON report also says what the
/// configuration turned off (`summary.config`).
pub fn render_with_config(
    format: Format,
    report: &Report<'_>,
    silenced: Option<&crate::config::Silenced>,
) -> anyhow::Result<Vec<u8>> {
    match format {
        Format::Json => json::render_with_config(report, silenced),
        other => render(other, report),
    }
}

/// Render `report` in `format`.
pub fn render(format: Format, report: &Report<'_>) -> anyhow::Result<Vec<u8>> {
    match format {
        Format::Human => human::render(report),
        Format::Json => json::render(report),
        Format::Sarif => sarif::render(report),
    }
}
