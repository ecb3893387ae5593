//! What `keys audit` prints, rendered from an [`AuditRun`]: a list grouped
//! by key then a summary line ([`AuditFormat::Human`]), or one JSON document
//! ([`AuditFormat::Json`], described in the README, "Key hygiene"); and the
//! lines for standard error. Pure: every rendered text is scrubbed of the
//! keys the run knows in full, once more, in case a key came from elsewhere.

use std::collections::BTreeMap;

use anyhow::{Context, Result};
use serde::Serialize;

use crate::config::ENV_ADMIN_KEY;
use crate::keys_audit::{Audit, AuditRun, Check, KeyAudit, Thresholds, UnmatchedReportKey};
use crate::sanitize::sanitize;

/// Output of `keys audit`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum AuditFormat {
    /// A list grouped by key, then a summary line.
    Human,
    /// One JSON document (described in the README, "Key hygiene").
    Json,
}

/// The audit in `format`.
pub fn render(run: &AuditRun, format: AuditFormat) -> Result<String> {
    let doc = Document::of(run);
    let text = match format {
        AuditFormat::Human => human(&doc),
        AuditFormat::Json => {
            let mut s = serde_json::to_string_pretty(&doc).context("failed to encode the audit")?;
            s.push('\n');
            s
        }
    };
    Ok(run.scrub(&text))
}

/// What to say on standard error before the output: that the admin key's
/// own entry was not found (so it is not exempt from `keys-manage-scope`),
/// and one warning per check that could not be made.
pub fn warnings(run: &AuditRun) -> Vec<String> {
    let mut lines = Vec::new();
    if run.admin_id.is_none() {
        lines.push(format!(
            "note: no single listed key has a prefix that `{ENV_ADMIN_KEY}` ({}) starts with, \
             so the admin key's own entry is not exempt from `keys-manage-scope`",
            run.admin_stem
        ));
    }
    for k in &run.audit.keys {
        for p in &k.problems {
            let line = format!("warning: key `{}`: {}", sanitize(&k.id), sanitize(p));
            lines.push(run.scrub(&line));
        }
    }
    lines
}

/// The error line of an incomplete audit (a date that could not be read),
/// said after the output.
pub fn incomplete(run: &AuditRun) -> Option<String> {
    let n = run.audit.keys_with_problems();
    (n > 0).then(|| {
        format!(
            "error: incomplete audit: {n} key(s) have a date that could not be read; \
             the checks that need it were skipped, not guessed"
        )
    })
}

/// The JSON document (described in the README); the human output shows the same.
#[derive(Debug, Serialize)]
struct Document<'a> {
    version: u32,
    now: String,
    api_url: String,
    admin_key: AdminKey,
    thresholds: Thresholds,
    report: Option<String>,
    summary: Summary,
    keys: &'a [KeyAudit],
    unmatched_report_keys: &'a [UnmatchedReportKey],
}

impl<'a> Document<'a> {
    fn of(run: &'a AuditRun) -> Self {
        Document {
            version: 1,
            now: run.now.to_string(),
            api_url: run.api_url.to_string(),
            admin_key: AdminKey {
                stem: run.admin_stem.clone(),
                id: run.admin_id.clone(),
            },
            thresholds: run.thresholds,
            report: run.report.as_deref().map(|p| p.display().to_string()),
            summary: Summary::of(&run.audit),
            keys: &run.audit.keys,
            unmatched_report_keys: &run.audit.unmatched_report_keys,
        }
    }
}

#[derive(Debug, Serialize)]
struct AdminKey {
    stem: String,
    id: Option<String>,
}

#[derive(Debug, Serialize)]
struct Summary {
    keys: usize,
    flagged_keys: usize,
    findings: usize,
    by_check: BTreeMap<&'static str, usize>,
    keys_with_problems: usize,
    unmatched_report_keys: usize,
}

impl Summary {
    fn of(a: &Audit) -> Self {
        Self {
            keys: a.keys.len(),
            flagged_keys: a.flagged_keys(),
            findings: a.finding_count(),
            by_check: Check::ALL.iter().map(|&c| (c.id(), a.count(c))).collect(),
            keys_with_problems: a.keys_with_problems(),
            unmatched_report_keys: a.unmatched_report_keys.len(),
        }
    }
}

fn human(doc: &Document<'_>) -> String {
    let mut out = format!(
        "Misar keys audit of {}, as of {} (unused > {} d, never used > {} d, age > {} d)\n",
        doc.api_url,
        doc.now,
        doc.thresholds.unused_days,
        doc.thresholds.never_used_grace_days,
        doc.thresholds.max_age_days
    );
    for k in doc.keys {
        out.push('\n');
        out.push_str(&format!("key `{}`", sanitize(&k.id)));
        if let Some(name) = &k.name {
            out.push_str(&format!(" \"{}\"", sanitize(name)));
        }
        out.push_str(&format!("  {}…", sanitize(&k.stem)));
        if k.admin_key {
            out.push_str(&format!("  ({ENV_ADMIN_KEY}, used for this audit)"));
        }
        out.push('\n');
        let scopes = if k.scopes.is_empty() {
            "(none)".to_string()
        } else {
            sanitize(&k.scopes.join(", "))
        };
        out.push_str(&format!("  scopes     {scopes}\n"));
        out.push_str(&format!(
            "  last used  {}\n",
            when(k.last_used_at.as_deref(), k.days_since_last_use, "never")
        ));
        out.push_str(&format!(
            "  created    {}\n",
            when(k.created_at.as_deref(), k.age_days, "unknown")
        ));
        for f in &k.findings {
            out.push_str(&format!(
                "  {:<8}  {:<17}  {}\n",
                f.severity.as_str(),
                f.check.id(),
                sanitize(&f.message)
            ));
        }
        for p in &k.problems {
            out.push_str(&format!(
                "  {:<8}  {:<17}  {}\n",
                "problem",
                "-",
                sanitize(p)
            ));
        }
        if k.findings.is_empty() && k.problems.is_empty() {
            out.push_str("  ok\n");
        }
    }
    if !doc.unmatched_report_keys.is_empty() {
        out.push_str("\nReport keys that are not keys of this account (another account, or already revoked):\n");
        for u in doc.unmatched_report_keys {
            out.push_str(&format!(
                "  {}  {}{}\n",
                u.report_key,
                sanitize(&u.locations.join(", ")),
                if u.full_key_known {
                    ""
                } else {
                    "  (stem only)"
                }
            ));
        }
    }
    let s = &doc.summary;
    let mut line = if s.flagged_keys == 0 {
        format!("\n{} key(s), none flagged", s.keys)
    } else {
        let counts: Vec<String> = Check::ALL
            .iter()
            .map(|c| (c.id(), s.by_check.get(c.id()).copied().unwrap_or(0)))
            .filter(|&(_, n)| n > 0)
            .map(|(id, n)| format!("{n} {id}"))
            .collect();
        format!(
            "\n{} key(s), {} flagged: {}",
            s.keys,
            s.flagged_keys,
            counts.join(", ")
        )
    };
    if s.keys_with_problems > 0 {
        line.push_str(&format!(
            "; {} with unreadable dates (checks skipped)",
            s.keys_with_problems
        ));
    }
    if s.unmatched_report_keys > 0 {
        line.push_str(&format!(
            "; {} report key(s) not in this account",
            s.unmatched_report_keys
        ));
    }
    out.push_str(&line);
    out.push('\n');
    out
}

/// `2026-01-01T00:00:00Z (151 days ago)`, `never`, or the raw value flagged
/// unreadable (clipped: the list was scrubbed of keys before, see
/// [`crate::keys_audit::run`]).
fn when(value: Option<&str>, days: Option<i64>, missing: &str) -> String {
    match (value, days) {
        (None, _) => missing.to_string(),
        (Some(v), Some(d)) => format!("{} ({})", sanitize(v), days_ago(d)),
        (Some(v), None) => {
            let clipped: String = v.chars().take(40).collect();
            format!("{} (unreadable)", sanitize(&clipped))
        }
    }
}

fn days_ago(d: i64) -> String {
    match d {
        0 => "less than a day ago".to_string(),
        1 => "1 day ago".to_string(),
        d if d < 0 => "in the future".to_string(),
        d => format!("{d} days ago"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_read_naturally() {
        assert_eq!(days_ago(0), "less than a day ago");
        assert_eq!(days_ago(1), "1 day ago");
        assert_eq!(days_ago(-3), "in the future");
        assert_eq!(when(None, None, "never"), "never");
        assert_eq!(when(Some("x"), None, "never"), "x (unreadable)");
    }
}
