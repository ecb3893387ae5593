//! The JSON report: one document, one object per finding.
//!
//! ```json
//! { "version": 1,
//!   "tool": { "name": "misar-scan", "version": "0.1.0" },
//!   "summary": { "findings": 1, "files_scanned": 10, "bytes_scanned": 2048, "incomplete": false,
//!                "config": { "path": ".misar-scan.toml", "disabled_rules": [], "allowlisted_paths": ["**"],
//!                            "allowlisted_secrets": 0, "placeholder_words": [] } },
//!   "findings": [ { "rule_id": "misar-mail-api-key", "path": "src/a.js", "line": 3, … } ],
//!   "stale_baseline": [] }
//! ```
//!
//! `summary.config` is there only when `.misar-scan.toml` turned something off.
//! Each finding's `location` says where its key sits: `file` (the content),
//! `path` (the file, folder or archive member name), `commit-author`,
//! `commit-committer`, `commit-message`, `tag-tagger` or `tag-message` (then
//! `path` is a placeholder such as `<commit-message>` and `commit` the commit
//! or tag object).
//!
//! Field names are stable; new fields may be added. `secret` is the redacted
//! key (`msk_AbCd…`) unless `--no-redact`. After verification, `verification`
//! is `live`, `not_live` or `unknown`, with `verification_reason` for unknown,
//! `can_manage_keys` for live, and `key` (`id`, `name`, `scopes`,
//! `last_used_at`) when the API's key list revealed the key's entry.
//! `path_hex` holds the bytes of `path` in hex, only when they are not UTF-8
//! (`path` then shows them as U+FFFD), so the key can be read back.

use serde::Serialize;

use super::Report;
use crate::baseline::BaselineEntry;
use crate::config::Silenced;
use crate::finding::record::FindingRecord;

/// Version of the JSON layout.
pub const JSON_VERSION: u32 = 1;

#[derive(Serialize)]
struct Document<'a> {
    version: u32,
    tool: Tool,
    summary: Summary<'a>,
    findings: Vec<FindingRecord>,
    stale_baseline: &'a [BaselineEntry],
}

#[derive(Serialize)]
struct Tool {
    name: &'static str,
    version: &'static str,
}

#[derive(Serialize)]
struct Summary<'a> {
    findings: usize,
    files_scanned: u64,
    bytes_scanned: u64,
    incomplete: bool,
    /// What `.misar-scan.toml` turned off, when it turned anything off.
    #[serde(skip_serializing_if = "Option::is_none")]
    config: Option<&'a Silenced>,
}

/// Render the JSON report.
pub fn render(report: &Report<'_>) -> anyhow::Result<Vec<u8>> {
    render_with_config(report, None)
}

/// Render the JSON report, with what the configuration turned off as
/// `summary.config`.
pub fn render_with_config(
    report: &Report<'_>,
    silenced: Option<&Silenced>,
) -> anyhow::Result<Vec<u8>> {
    let doc = Document {
        version: JSON_VERSION,
        tool: Tool {
            name: env!("CARGO_PKG_NAME"),
            version: env!("CARGO_PKG_VERSION"),
        },
        summary: Summary {
            findings: report.findings.len(),
            files_scanned: report.stats.files,
            bytes_scanned: report.stats.bytes,
            incomplete: report.incomplete,
            config: silenced,
        },
        findings: report
            .findings
            .iter()
            .map(|f| FindingRecord::new(f, report.redact))
            .collect(),
        stale_baseline: report.stale_baseline,
    };
    let mut out = serde_json::to_vec_pretty(&doc)?;
    out.push(b'\n');
    Ok(out)
}
