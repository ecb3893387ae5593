//! [`FindingRecord`]: the one serde type of a finding in a JSON report.
//!
//! `report::json` writes it; `recover` (for `verify` and `revoke`), the
//! baseline and the sweep state read it back. Written, every field is there
//! as the JSON report documents it (SPEC §4); read, only `rule_id`, `path`
//! and `secret_sha256` are required, so that reports of older versions, the
//! short `[{rule_id, path, secret_sha256}]` baseline lists and sweep state
//! files written by earlier releases all load. Text fields stay text here
//! (`location`, `verification`, `encoding`): a value this version does not
//! know is the reader's decision (recover refuses an unknown location), not
//! a parse error of the whole document.

use serde::{Deserialize, Serialize};

use super::{Finding, KeyInfo, Related, Verification};

/// A finding as written in JSON reports (and read back from them).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FindingRecord {
    /// The rule's id.
    pub rule_id: String,
    /// The rule's human name.
    #[serde(default)]
    pub rule_name: String,
    /// The product the key belongs to.
    #[serde(default)]
    pub product: String,
    /// `error`, `warning` or `note`.
    #[serde(default)]
    pub severity: String,
    /// The path as shown (key-shaped runs redacted unless `--no-redact`).
    pub path: String,
    /// Where the key sits (`file` when absent: reports made before locations).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    /// The bytes of `path` in hex, when they are not UTF-8.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path_hex: Option<String>,
    /// 1-based line.
    #[serde(default)]
    pub line: usize,
    /// 1-based column in UTF-16 code units.
    #[serde(default)]
    pub column: usize,
    /// Column just past the key.
    #[serde(default)]
    pub end_column: usize,
    /// Byte offset of the key in the file or blob (absent in old reports).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offset: Option<u64>,
    /// The key, redacted (`msk_AbCd…`) unless `--no-redact`.
    #[serde(default)]
    pub secret: String,
    /// SHA-256 of the key, lower-case hex.
    pub secret_sha256: String,
    /// Rule id, path, line and key digest, hashed.
    #[serde(default)]
    pub fingerprint: String,
    /// `live`, `not_live`, `unknown` or `unverified`.
    #[serde(default)]
    pub verification: String,
    /// How the key was written (`raw`, `base64`, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encoding: Option<String>,
    /// Why the key's state is unknown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verification_reason: Option<String>,
    /// For live keys: whether the key holds `keys:manage`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub can_manage_keys: Option<bool>,
    /// The key's entry in the account, when verification listed it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<KeyInfo>,
    /// The source line, with every secret on it redacted unless `--no-redact`.
    #[serde(default)]
    pub snippet: String,
    /// For lints: what exactly is wrong here.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// For lints that concern several places: the others.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub related: Vec<Related>,
    /// For history findings: the commit (or tag object) that introduced it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commit: Option<String>,
    /// The commit's author, `Name <email>`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub author: Option<String>,
    /// The commit's date.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
}

impl FindingRecord {
    /// The record of `f` for a report; `redact` redacts the key and any
    /// key-shaped run in the path and author (findings are made redacted;
    /// this is the writer's own defence).
    pub fn new(f: &Finding, redact: bool) -> Self {
        Self {
            rule_id: f.rule_id.clone(),
            rule_name: f.rule_name.clone(),
            product: f.product.clone(),
            severity: f.severity.as_str().to_string(),
            path: shown_field(&f.path, redact),
            location: Some(f.location.as_str().to_string()),
            path_hex: shown_path_hex(f.raw_path.as_deref(), redact),
            line: f.line,
            column: f.column,
            end_column: f.end_column,
            offset: Some(f.offset),
            secret: f.secret.display(redact),
            secret_sha256: f.secret.sha256().to_string(),
            fingerprint: f.fingerprint(),
            verification: f.verification.as_str().to_string(),
            encoding: Some(f.encoding.as_str().to_string()),
            verification_reason: f.verification.reason().map(str::to_string),
            can_manage_keys: match f.verification {
                Verification::Live { can_manage_keys } => Some(can_manage_keys),
                _ => None,
            },
            key: f.key.clone(),
            snippet: f.snippet.text.clone(),
            note: f.note.clone(),
            related: f.related.clone(),
            commit: f.commit.as_ref().map(|c| c.id.clone()),
            author: f
                .commit
                .as_ref()
                .map(|c| shown_field(&format!("{} <{}>", c.author_name, c.author_email), redact)),
            date: f.commit.as_ref().map(|c| c.date.clone()),
        }
    }

    /// `secret_sha256` in lower case (reports write it so; a hand-edited
    /// one may not be).
    pub fn sha256(&self) -> String {
        self.secret_sha256.to_ascii_lowercase()
    }

    /// The raw bytes of the path: `path_hex` decoded when present and
    /// valid, else the path's UTF-8.
    pub fn path_bytes(&self) -> Vec<u8> {
        self.path_hex
            .as_deref()
            .and_then(|h| hex::decode(h).ok())
            .unwrap_or_else(|| self.path.as_bytes().to_vec())
    }
}

/// A path or author for the report: key-shaped runs redacted when `redact`.
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_short_baseline_entry_reads_as_a_record() {
        let r: FindingRecord = serde_json::from_str(
            r#"{"rule_id":"misar-mail-api-key","path":"a.env","secret_sha256":"AB"}"#,
        )
        .unwrap();
        assert_eq!(r.rule_id, "misar-mail-api-key");
        assert_eq!(r.sha256(), "ab");
        assert_eq!(r.location, None);
        assert_eq!(r.offset, None);
        assert_eq!(r.path_bytes(), b"a.env");
    }

    #[test]
    fn a_record_without_its_identity_is_refused() {
        for missing in [
            r#"{"path":"a","secret_sha256":"ab"}"#,
            r#"{"rule_id":"r","secret_sha256":"ab"}"#,
            r#"{"rule_id":"r","path":"a"}"#,
        ] {
            assert!(
                serde_json::from_str::<FindingRecord>(missing).is_err(),
                "{missing}"
            );
        }
    }

    #[test]
    fn unknown_fields_of_a_newer_report_are_ignored_and_round_trips_are_stable() {
        let text = r#"{"rule_id":"r","path":"p","secret_sha256":"ab","future":1,
            "location":"commit-message","offset":7,"path_hex":"ff00"}"#;
        let r: FindingRecord = serde_json::from_str(text).unwrap();
        assert_eq!(r.location.as_deref(), Some("commit-message"));
        assert_eq!(r.offset, Some(7));
        assert_eq!(r.path_bytes(), [0xff, 0]);
        let again: FindingRecord =
            serde_json::from_str(&serde_json::to_string(&r).unwrap()).unwrap();
        assert_eq!(again, r);
    }
}
