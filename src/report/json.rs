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
use crate::finding::{Finding, KeyInfo, Verification};

/// Version of the JSON layout.
pub const JSON_VERSION: u32 = 1;

#[derive(Serialize)]
struct Document<'a> {
    version: u32,
    tool: Tool,
    summary: Summary<'a>,
    findings: Vec<JsonFinding<'a>>,
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

/// A finding as written in JSON reports.
#[derive(Serialize)]
pub struct JsonFinding<'a> {
    rule_id: &'a str,
    rule_name: &'a str,
    product: &'a str,
    severity: &'static str,
    path: String,
    location: &'static str,
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
            path: shown_field(&f.path, redact),
            location: f.location.as_str(),
            path_hex: shown_path_hex(f.raw_path.as_deref(), redact),
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
                .map(|c| shown_field(&format!("{} <{}>", c.author_name, c.author_email), redact)),
            date: f.commit.as_ref().map(|c| c.date.as_str()),
        }
    }
}

/// A path or author for the report: key-shaped runs redacted when `redact`
/// (findings are made redacted; this is the renderer's own defence).
fn shown_field(text: &str, redact: bool) -> String {
    if redact {
        crate::secret::redact_key_shaped(text).into_owned()
    } else {
        text.to_string()
    }
}

/// The hex of a non-UTF-8 path's bytes (so `verify REPORT` can find the
/// file again), left out when redacting and the bytes hold a key-shaped run:
/// hex is an encoding, not a redaction.
fn shown_path_hex(raw: Option<&[u8]>, redact: bool) -> Option<String> {
    let raw = raw?;
    if redact && !crate::secret::key_shaped_runs(raw, 0, raw.len()).is_empty() {
        return None;
    }
    Some(hex::encode(raw))
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
            .map(|f| JsonFinding::new(f, report.redact))
            .collect(),
        stale_baseline: report.stale_baseline,
    };
    let mut out = serde_json::to_vec_pretty(&doc)?;
    out.push(b'\n');
    Ok(out)
}
