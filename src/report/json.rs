//! The JSON report: one document, one object per finding.
//!
//! ```json
//! { "version": 1,
//!   "tool": { "name": "misar-scan", "version": "0.1.0" },
//!   "summary": { "findings": 1, "files_scanned": 10, "bytes_scanned": 2048, "incomplete": false },
//!   "findings": [ { "rule_id": "misar-mail-api-key", "path": "src/a.js", "line": 3, … } ],
//!   "stale_baseline": [] }
//! ```
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
use crate::finding::{Finding, KeyInfo, Verification};

/// Version of the JSON layout.
pub const JSON_VERSION: u32 = 1;

#[derive(Serialize)]
struct Document<'a> {
    version: u32,
    tool: Tool,
    summary: Summary,
    findings: Vec<JsonFinding<'a>>,
    stale_baseline: &'a [BaselineEntry],
}

#[derive(Serialize)]
struct Tool {
    name: &'static str,
    version: &'static str,
}

#[derive(Serialize)]
struct Summary {
    findings: usize,
    files_scanned: u64,
    bytes_scanned: u64,
    incomplete: bool,
}

/// A finding as written in JSON reports.
#[derive(Serialize)]
pub struct JsonFinding<'a> {
    rule_id: &'a str,
    rule_name: &'a str,
    product: &'a str,
    severity: &'static str,
    path: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    path_hex: Option<String>,
    line: usize,
    column: usize,
    end_column: usize,
    offset: u64,
    secret: String,
    secret_sha256: &'a str,
    fingerprint: String,
    verification: &'static str,
    encoding: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    verification_reason: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    can_manage_keys: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    key: Option<&'a KeyInfo>,
    snippet: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    note: Option<&'a str>,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    related: &'a [crate::finding::Related],
    #[serde(skip_serializing_if = "Option::is_none")]
    commit: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    author: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    date: Option<&'a str>,
}

impl<'a> JsonFinding<'a> {
    /// The JSON view of `f`.
    pub fn new(f: &'a Finding, redact: bool) -> Self {
        Self {
            rule_id: &f.rule_id,
            rule_name: &f.rule_name,
            product: &f.product,
            severity: f.severity.as_str(),
            path: &f.path,
            path_hex: f.raw_path.as_deref().map(hex::encode),
            line: f.line,
            column: f.column,
            end_column: f.end_column,
            offset: f.offset,
            secret: f.secret.display(redact),
            secret_sha256: f.secret.sha256(),
            fingerprint: f.fingerprint(),
            verification: f.verification.as_str(),
            encoding: f.encoding.as_str(),
            verification_reason: f.verification.reason(),
            can_manage_keys: match f.verification {
                Verification::Live { can_manage_keys } => Some(can_manage_keys),
                _ => None,
            },
            key: f.key.as_ref(),
            snippet: &f.snippet.text,
            note: f.note.as_deref(),
            related: &f.related,
            commit: f.commit.as_ref().map(|c| c.id.as_str()),
            author: f
                .commit
                .as_ref()
                .map(|c| format!("{} <{}>", c.author_name, c.author_email)),
            date: f.commit.as_ref().map(|c| c.date.as_str()),
        }
    }
}

/// Render the JSON report.
pub fn render(report: &Report<'_>) -> anyhow::Result<Vec<u8>> {
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
        },
        findings: report
            .findings
            .iter()
            .map(|f| JsonFinding::new(f, report.redact))
            .collect(),
        stale_baseline: report.stale_baseline,
    };
    let mut out = serde_json::to_vec_pretty(&doc)?;
    out.push(b'\n');
    Ok(out)
}
