//! The exposure window and the persistence check of a sweep (SPEC §6), as
//! pure functions of what the sweep recorded.
//!
//! - [`exposure`]: per key, first exposed (the date of the earliest commit
//!   that held it), revoked at (when this sweep's revocation was confirmed),
//!   the window between them (still open while the key is live), the
//!   entry's `last_used_at` when the API gave it, and whether that use fell
//!   inside the window ("used while exposed": `yes`, `no`, or `unknown` —
//!   never guessed).
//! - [`created_since`]: the persistence check. A live key holding
//!   `keys:manage` can mint keys that outlive it: every entry of its
//!   account's list created at or after its first exposure (itself
//!   excepted) is listed in the reports.

use serde::{Deserialize, Serialize};

use crate::api::KeyEntry;
use crate::timestamp::Timestamp;

use super::state::KeyRecord;

/// A key of the account created at or after a leaked key's first exposure.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreatedSince {
    /// Its id.
    pub id: String,
    /// Its name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Its `prefix`, as listed (`msk_AbCd...`).
    #[serde(default)]
    pub prefix: String,
    /// Its scopes.
    #[serde(default)]
    pub scopes: Vec<String>,
    /// When it was created, as the API wrote it.
    #[serde(default)]
    pub created_at: String,
}

/// The entries of `entries` created at or after `since`, except `own_id`
/// (the leaked key's own entry). An entry whose `created_at` is missing or
/// not RFC 3339 is listed too, with that text: it cannot be ruled out.
pub fn created_since(
    entries: &[KeyEntry],
    since: Timestamp,
    own_id: Option<&str>,
) -> Vec<CreatedSince> {
    entries
        .iter()
        .filter(|e| Some(e.id.as_str()) != own_id)
        .filter(|e| {
            e.created_at
                .as_deref()
                .and_then(|c| Timestamp::parse_rfc3339(c).ok())
                .is_none_or(|c| c >= since)
        })
        .map(|e| CreatedSince {
            id: e.id.clone(),
            name: e.name.clone(),
            prefix: e.prefix.clone(),
            scopes: e.scopes.clone(),
            created_at: e
                .created_at
                .clone()
                .unwrap_or_else(|| "unknown".to_string()),
        })
        .collect()
}

/// One key's exposure window, for the reports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Exposure {
    /// The earliest commit date that held the key (RFC 3339), when known.
    pub first_exposed: Option<String>,
    /// When this sweep's revocation of it was confirmed.
    pub revoked_at: Option<String>,
    /// Seconds from first exposed to revoked (or to `now` while still live).
    pub window_seconds: Option<i64>,
    /// The window as people read it (`41d 3h`), `still open` while live.
    pub window: String,
    /// The entry's `last_used_at`, when the API gave it.
    pub last_used_at: Option<String>,
    /// Whether the key was used inside the window: `yes`, `no`, `unknown`.
    pub used_while_exposed: &'static str,
}

/// `41d 3h 5m`, dropping zero leading parts.
pub fn human_duration(secs: i64) -> String {
    let secs = secs.max(0);
    let (d, h, m) = (secs / 86_400, secs % 86_400 / 3600, secs % 3600 / 60);
    match (d, h) {
        (0, 0) => format!("{m}m"),
        (0, _) => format!("{h}h {m}m"),
        _ => format!("{d}d {h}h"),
    }
}

/// The exposure of `record`, first held by a commit dated `first` (RFC 3339
/// text as recorded), judged at `now`.
pub fn exposure(record: &KeyRecord, first: Option<&str>, now: Timestamp) -> Exposure {
    let parse = |t: &str| Timestamp::parse_rfc3339(t).ok();
    let first_ts = first.and_then(parse);
    let revoked_ts = record.revoked_at.as_deref().and_then(parse);
    let live = record
        .status_after
        .as_ref()
        .is_some_and(super::state::KeyStatus::is_live);
    let (window_seconds, window) = match (first_ts, revoked_ts) {
        (Some(f), Some(r)) => (
            Some(r.unix() - f.unix()),
            human_duration(r.unix() - f.unix()),
        ),
        (Some(f), None) if live => (
            Some(now.unix() - f.unix()),
            format!(
                "still open ({} so far)",
                human_duration(now.unix() - f.unix())
            ),
        ),
        (None, _) => (None, "unknown (no commit date)".to_string()),
        (Some(_), None) => (
            None,
            "unknown (not revoked by this sweep: revoked before it or never valid)".to_string(),
        ),
    };
    let used = match (first_ts, record.usage_known, record.last_used_at.as_deref()) {
        (None, _, _) | (_, false, _) => "unknown",
        (Some(_), true, None) => "no",
        (Some(f), true, Some(u)) => match parse(u) {
            Some(u) if u >= f => "yes",
            Some(_) => "no",
            None => "unknown",
        },
    };
    Exposure {
        first_exposed: first.filter(|f| !f.is_empty()).map(str::to_string),
        revoked_at: record.revoked_at.clone(),
        window_seconds,
        window,
        last_used_at: record.last_used_at.clone(),
        used_while_exposed: used,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sweep::state::KeyStatus;

    fn ts(t: &str) -> Timestamp {
        Timestamp::parse_rfc3339(t).unwrap()
    }

    fn entry(id: &str, created: Option<&str>) -> KeyEntry {
        KeyEntry {
            id: id.into(),
            name: Some(id.into()),
            prefix: "msk_AAAA...".into(),
            scopes: vec!["send".into()],
            last_used_at: None,
            created_at: created.map(str::to_string),
            id_scrubbed: false,
        }
    }

    #[test]
    fn the_persistence_check_lists_keys_created_since_the_exposure() {
        let entries = [
            entry("before", Some("2026-01-01T00:00:00Z")),
            entry("own", Some("2026-03-01T00:00:00Z")),
            entry("at", Some("2026-02-01T00:00:00Z")),
            entry("after", Some("2026-02-02T00:00:00+01:00")),
            entry("undated", None),
        ];
        let ids: Vec<String> = created_since(&entries, ts("2026-02-01T00:00:00Z"), Some("own"))
            .into_iter()
            .map(|c| c.id)
            .collect();
        assert_eq!(ids, ["at", "after", "undated"]);
    }

    #[test]
    fn the_window_and_its_use_are_never_guessed() {
        let first = Some("2026-01-01T00:00:00Z");
        let now = ts("2026-01-11T00:00:00Z");
        let mut r = KeyRecord {
            revoked_at: Some("2026-01-03T04:00:00Z".into()),
            last_used_at: Some("2026-01-02T00:00:00Z".into()),
            usage_known: true,
            status_after: Some(KeyStatus::NotLive),
            ..KeyRecord::default()
        };
        let e = exposure(&r, first, now);
        assert_eq!(e.window, "2d 4h");
        assert_eq!(e.window_seconds, Some(2 * 86_400 + 4 * 3600));
        assert_eq!(e.used_while_exposed, "yes");
        r.last_used_at = Some("2025-12-31T00:00:00Z".into());
        assert_eq!(exposure(&r, first, now).used_while_exposed, "no");
        r.last_used_at = None;
        assert_eq!(exposure(&r, first, now).used_while_exposed, "no");
        r.usage_known = false;
        assert_eq!(exposure(&r, first, now).used_while_exposed, "unknown");
        r.revoked_at = None;
        r.status_after = Some(KeyStatus::Live {
            can_manage_keys: false,
        });
        let e = exposure(&r, first, now);
        assert_eq!(e.window, "still open (10d 0h so far)");
        assert_eq!(exposure(&r, None, now).window, "unknown (no commit date)");
    }
}
