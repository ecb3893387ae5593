//! Baselines: findings already accepted (SPEC §4).
//!
//! A baseline is a JSON report from an earlier run (`scan --write-baseline
//! FILE` writes one, always redacted). Findings are matched by content — rule
//! id, path and `secret_sha256` — never by line number, so moving code does not
//! reopen a finding and a different key on the same line is never hidden.
//! Entries that match nothing any more are reported as stale.

use std::collections::HashSet;
use std::path::Path;

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};

use crate::finding::{Finding, FindingRecord};

/// The identity of an accepted finding.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct BaselineEntry {
    /// Rule id.
    pub rule_id: String,
    /// Path as reported.
    pub path: String,
    /// SHA-256 of the key.
    pub secret_sha256: String,
}

/// A JSON report, or a bare list of its findings; either way, records of
/// the one finding type (only the identity fields are needed).
#[derive(Deserialize)]
#[serde(untagged)]
enum ReportShape {
    Report { findings: Vec<FindingRecord> },
    List(Vec<FindingRecord>),
}

impl From<FindingRecord> for BaselineEntry {
    fn from(r: FindingRecord) -> Self {
        Self {
            rule_id: r.rule_id,
            path: r.path,
            secret_sha256: r.secret_sha256,
        }
    }
}

/// A loaded baseline.
#[derive(Debug, Clone, Default)]
pub struct Baseline {
    entries: Vec<BaselineEntry>,
}

impl Baseline {
    /// Load a JSON report written by misar-scan (`-f json`, or `--write-baseline`).
    pub fn load(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("failed to read baseline `{}`", path.display()))?;
        let shape: ReportShape = serde_json::from_str(&text).with_context(|| {
            format!(
                "invalid baseline `{}`: expected a misar-scan JSON report (`-f json`)",
                path.display()
            )
        })?;
        let mut entries: Vec<BaselineEntry> = match shape {
            ReportShape::Report { findings } | ReportShape::List(findings) => {
                findings.into_iter().map(BaselineEntry::from).collect()
            }
        };
        let mut seen = HashSet::new();
        entries.retain(|e| seen.insert(e.clone()));
        Ok(Self { entries })
    }

    /// Drop findings the baseline accepts; return the entries that matched none (stale).
    pub fn apply(&self, findings: &mut Vec<Finding>) -> Vec<BaselineEntry> {
        let accepted: HashSet<(&str, &str, &str)> = self
            .entries
            .iter()
            .map(|e| {
                (
                    e.rule_id.as_str(),
                    e.path.as_str(),
                    e.secret_sha256.as_str(),
                )
            })
            .collect();
        let mut used: HashSet<(String, String, String)> = HashSet::new();
        findings.retain(|f| {
            let key = (f.rule_id.as_str(), f.path.as_str(), f.secret.sha256());
            if accepted.contains(&key) {
                used.insert((key.0.to_string(), key.1.to_string(), key.2.to_string()));
                false
            } else {
                true
            }
        });
        self.entries
            .iter()
            .filter(|e| {
                !used.contains(&(e.rule_id.clone(), e.path.clone(), e.secret_sha256.clone()))
            })
            .cloned()
            .collect()
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether it has no entries.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}
