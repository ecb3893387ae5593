//! The resumable state of a sweep: what `sweep-state.json` in the report
//! folder records (SPEC §3 `sweep`).
//!
//! [`SweepState`] holds the repositories done (with their redacted findings
//! and the refs their scan started from), each distinct key (stem and
//! SHA-256, never the key) with its status before and after ([`KeyStatus`]),
//! the action taken ([`Action`]) and the entry revoked. It is written
//! atomically ([`write_atomic`]: temporary file + rename) after each
//! repository and each API action, so a sweep killed at any point and run
//! again with the same report folder picks up where it stopped and never
//! revokes a key twice. [`SweepState::merge`] combines the states of several
//! shards (`misar-scan report merge`); [`SweepState::verdict`] is what a
//! state leaves to do, for the exit code.
//!
//! The layout is versioned ([`STATE_VERSION`]) and stays readable: a file
//! written by an earlier release of the same version loads and resumes
//! (`tests/fixtures/sweep-state-v1` is one, kept as written). Fields added
//! since are optional; [`KeyStatus`] reads and writes the `{"state": …}`
//! objects earlier releases wrote as plain strings.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};

use super::discover::Shard;
use crate::finding::{FindingRecord, Verification};
use crate::secret::Secret;

/// The state file's name inside the report folder.
pub const STATE_FILE: &str = "sweep-state.json";
/// The audit log's name inside the report folder.
pub const AUDIT_FILE: &str = "audit.jsonl";
/// Version of the state file layout.
pub const STATE_VERSION: u32 = 1;

/// A key's verification as the state file records it: `{"state": "live",
/// "can_manage_keys": true}`, `{"state": "not_live"}`, `{"state":
/// "unknown", "reason": "…"}` or `{"state": "unverified"}` — the objects
/// earlier releases wrote, read back typed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum KeyStatus {
    /// The API accepted the key.
    Live {
        /// Whether it holds `keys:manage`.
        #[serde(default)]
        can_manage_keys: bool,
    },
    /// The API rejected it (401): invalid or revoked.
    NotLive,
    /// No trustworthy answer.
    Unknown {
        /// Why.
        #[serde(default)]
        reason: String,
    },
    /// Not checked; also any state this release does not know.
    #[serde(other)]
    Unverified,
}

impl KeyStatus {
    /// The status recording a verification.
    pub fn of(v: &Verification) -> Self {
        match v {
            Verification::Live { can_manage_keys } => Self::Live {
                can_manage_keys: *can_manage_keys,
            },
            Verification::NotLive => Self::NotLive,
            Verification::Unknown { reason } => Self::Unknown {
                reason: reason.clone(),
            },
            Verification::Unverified => Self::Unverified,
        }
    }

    /// The verification it records.
    pub fn verification(&self) -> Verification {
        match self {
            Self::Live { can_manage_keys } => Verification::Live {
                can_manage_keys: *can_manage_keys,
            },
            Self::NotLive => Verification::NotLive,
            Self::Unknown { reason } => Verification::Unknown {
                reason: reason.clone(),
            },
            Self::Unverified => Verification::Unverified,
        }
    }

    /// `live`, `not_live`, `unknown` or `unverified`, as reports name it.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Live { .. } => "live",
            Self::NotLive => "not_live",
            Self::Unknown { .. } => "unknown",
            Self::Unverified => "unverified",
        }
    }

    /// Whether the key was live.
    pub fn is_live(&self) -> bool {
        matches!(self, Self::Live { .. })
    }

    /// For live keys: whether it holds `keys:manage`.
    pub fn can_manage_keys(&self) -> Option<bool> {
        match self {
            Self::Live { can_manage_keys } => Some(*can_manage_keys),
            _ => None,
        }
    }

    /// For unknown keys: why.
    pub fn reason(&self) -> Option<&str> {
        match self {
            Self::Unknown { reason } => Some(reason),
            _ => None,
        }
    }

    /// `live`, `not live (401)`, `unknown (reason)` for people.
    pub fn describe(&self) -> String {
        match self {
            Self::Live {
                can_manage_keys: true,
            } => "live (holds keys:manage)".into(),
            Self::Live { .. } => "live".into(),
            Self::NotLive => "not live (401)".into(),
            Self::Unknown { reason } if !reason.is_empty() => format!("unknown ({reason})"),
            other => other.as_str().into(),
        }
    }
}

/// What the sweep did about a key. Serialized in `snake_case`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Nothing yet (no `--revoke`, or not reached).
    #[default]
    None,
    /// Not live when verified (already revoked — by another shard, an earlier
    /// run or someone else — or never valid): nothing to do.
    NotLive,
    /// Verification gave no answer: left alone.
    LeftAloneUnknown,
    /// Live, but `--revoke` was not confirmed (no `--yes`, no terminal).
    NotConfirmed,
    /// Live, but revoking was refused (ambiguous or no match, no admin key…).
    Refused,
    /// A `DELETE` or its confirmation failed.
    Failed,
    /// After a `DELETE` the key was still live: a different key was revoked.
    Discrepancy,
    /// `DELETE` answered 404 and the key now gets 401.
    AlreadyRevoked,
    /// Revoked by this sweep and confirmed with 401.
    Revoked,
}

impl Action {
    /// The name used in reports (`revoked`, `already_revoked`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::NotLive => "not_live",
            Self::LeftAloneUnknown => "left_alone_unknown",
            Self::NotConfirmed => "not_confirmed",
            Self::Refused => "refused",
            Self::Failed => "failed",
            Self::Discrepancy => "discrepancy",
            Self::AlreadyRevoked => "already_revoked",
            Self::Revoked => "revoked",
        }
    }

    /// Whether the key's entry is gone for good (no `DELETE` ever again).
    pub fn is_final(self) -> bool {
        matches!(self, Self::Revoked | Self::AlreadyRevoked)
    }

    /// Whether a `DELETE` was (or may have been) sent for the key's entry,
    /// so its id may be gone: revoked, already revoked, discrepant or failed.
    pub fn delete_sent(self) -> bool {
        matches!(
            self,
            Self::Revoked | Self::AlreadyRevoked | Self::Discrepancy | Self::Failed
        )
    }

    /// Whether it leaves the incident open in a way a person must look at.
    pub fn is_problem(self) -> bool {
        matches!(
            self,
            Self::LeftAloneUnknown
                | Self::NotConfirmed
                | Self::Refused
                | Self::Failed
                | Self::Discrepancy
        )
    }
}

/// A finding of a sweep: the record a JSON report writes
/// ([`FindingRecord`]) and the repository it was found in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SweepFinding {
    /// The finding as a JSON report writes it.
    #[serde(flatten)]
    pub record: FindingRecord,
    /// The repository's name in the sweep.
    #[serde(default)]
    pub repo: String,
}

/// One repository scanned.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RepoRecord {
    /// Path relative to the sweep root (the shard hash input).
    pub rel: String,
    /// Where it was opened (to read keys back after a restart).
    pub path: PathBuf,
    /// A bare repository.
    pub bare: bool,
    /// Its findings (redacted), each with its repository.
    pub findings: Vec<SweepFinding>,
    /// Something in it could not be read.
    pub incomplete: bool,
    /// Why.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub problems: Vec<String>,
    /// What the scan read ([`super::ref_tips`]), taken before it: a later run
    /// reuses the record only while this is unchanged. Absent in states
    /// written before it was recorded: such a repository is scanned again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tips: Option<String>,
}

impl RepoRecord {
    /// Whether a later run may reuse this record instead of scanning again:
    /// fully read, and the repository's refs have not moved since.
    pub fn reusable(&self, tips_now: Option<&str>) -> bool {
        !self.incomplete && tips_now.is_some() && self.tips.as_deref() == tips_now
    }
}

/// One distinct key, by SHA-256. Never the key itself.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct KeyRecord {
    /// The first 8 characters (the API's `prefix` stem).
    pub stem: String,
    /// Lowercase hex SHA-256 of the key.
    pub secret_sha256: String,
    /// The rule that found it.
    pub rule_id: String,
    /// Its product.
    pub product: String,
    /// The first verification (before any action).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_before: Option<KeyStatus>,
    /// The latest verification (after the action).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_after: Option<KeyStatus>,
    /// What was done.
    #[serde(default)]
    pub action: Action,
    /// Why, or what the API said.
    #[serde(default)]
    pub detail: String,
    /// The entry revoked (or planned).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_id: Option<String>,
    /// A `DELETE` was about to be sent: if the run died before recording its
    /// answer, the next run re-verifies instead of sending another.
    #[serde(default)]
    pub delete_pending: bool,
    /// Which shard acted (`K/N`), for merged reports.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard: Option<String>,
    /// `sweep --rotate`: the replacement delivered for the key (its entry id).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replaced_by: Option<String>,
    /// When this sweep's revocation of the key was confirmed (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoked_at: Option<String>,
    /// The entry's `last_used_at`, when the API gave it (see `usage_known`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_used_at: Option<String>,
    /// The API listed the key's entry, so `last_used_at` is known (`None`: never used).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub usage_known: bool,
    /// The persistence check: keys of its account created at or after its
    /// first exposure, listed with the key itself (it held `keys:manage`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub created_since_exposure: Vec<super::exposure::CreatedSince>,
}

impl KeyRecord {
    /// Record a verification made in this run: it is the status after, and
    /// the status before too unless one was recorded (an unknown one is
    /// replaced by a real answer while nothing final was done since).
    pub fn observe(&mut self, now: &Verification) {
        let now = KeyStatus::of(now);
        let replace_before = match &self.status_before {
            None => true,
            Some(KeyStatus::Unknown { .. }) => !self.action.is_final(),
            Some(_) => false,
        };
        if replace_before {
            self.status_before = Some(now.clone());
        }
        self.status_after = Some(now);
    }
}

/// What a sweep's state leaves to do: the exit code's input (SPEC §3: 0
/// nothing live left and everything read and checked, 1 a key still live,
/// 2 something needs a person).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SweepVerdict {
    /// Keys still live at the end (their latest verification).
    pub live_left: usize,
    /// A repository not fully read, or a key unknown, refused, not
    /// confirmed, failed or discrepant.
    pub needs_person: bool,
}

/// The whole state of a sweep: `sweep-state.json`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SweepState {
    /// Layout version ([`STATE_VERSION`]).
    pub version: u32,
    /// `K/N` when sharded; several when merged.
    #[serde(default)]
    pub shards: Vec<String>,
    /// Repositories scanned, by name.
    pub repos: BTreeMap<String, RepoRecord>,
    /// Keys, by SHA-256.
    pub keys: BTreeMap<String, KeyRecord>,
    /// Runs of the sweep over this state (a resumed sweep adds one).
    #[serde(default)]
    pub runs: u32,
}

impl SweepState {
    /// An empty state.
    pub fn new(shard: Option<Shard>) -> Self {
        Self {
            version: STATE_VERSION,
            shards: shard.map(|s| s.to_string()).into_iter().collect(),
            ..Self::default()
        }
    }

    /// Load `dir/sweep-state.json`, or `None` when there is none.
    pub fn load(dir: &Path) -> Result<Option<Self>> {
        let path = dir.join(STATE_FILE);
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => {
                return Err(e).with_context(|| format!("failed to read `{}`", path.display()))
            }
        };
        let state: Self = serde_json::from_str(&text)
            .with_context(|| format!("invalid sweep state `{}`", path.display()))?;
        if state.version != STATE_VERSION {
            bail!(
                "sweep state `{}` has version {}, this misar-scan reads {STATE_VERSION}",
                path.display(),
                state.version
            );
        }
        Ok(Some(state))
    }

    /// Write `dir/sweep-state.json` atomically: a temporary file, synced, renamed.
    pub fn save(&self, dir: &Path) -> Result<()> {
        let mut bytes = serde_json::to_vec_pretty(self)?;
        bytes.push(b'\n');
        write_atomic(&dir.join(STATE_FILE), &bytes)
    }

    /// Add the key of a finding to the state, once.
    pub fn add_key(&mut self, f: &FindingRecord) {
        self.keys
            .entry(f.secret_sha256.clone())
            .or_insert_with(|| KeyRecord {
                stem: f
                    .secret
                    .trim_end_matches('…')
                    .chars()
                    .take(crate::secret::STEM_LEN)
                    .collect(),
                secret_sha256: f.secret_sha256.clone(),
                rule_id: f.rule_id.clone(),
                product: f.product.clone(),
                ..KeyRecord::default()
            });
    }

    /// Read a key recorded by an earlier run back from where it was found
    /// (a blob `commit:path`, a name in a commit's tree, or a commit's or
    /// tag's metadata), checked against its SHA-256.
    pub fn recover_key(&self, sha: &str, scanner: &crate::engine::Scanner) -> Option<Secret> {
        for repo in self.repos.values() {
            let Ok(git) = git2::Repository::open(&repo.path) else {
                continue;
            };
            for f in repo
                .findings
                .iter()
                .filter(|f| f.record.secret_sha256 == sha)
            {
                let found = crate::recover::key_from_repo(&git, &f.record, sha, scanner);
                if found.is_some() {
                    return found;
                }
            }
        }
        None
    }

    /// What this state leaves to do; `incomplete` when something outside
    /// the state (discovery) could not be read.
    pub fn verdict(&self, incomplete: bool) -> SweepVerdict {
        SweepVerdict {
            live_left: self
                .keys
                .values()
                .filter(|k| k.status_after.as_ref().is_some_and(KeyStatus::is_live))
                .count(),
            needs_person: incomplete
                || self.repos.values().any(|r| r.incomplete)
                || self.keys.values().any(|k| k.action.is_problem()),
        }
    }

    /// The keys whose latest verification is live or unknown, for an alert
    /// (`--alert-webhook`): each with where it was first found (repository,
    /// path, line, commit).
    pub fn alert_keys(&self) -> Vec<crate::alert::AlertKey> {
        self.keys
            .values()
            .filter_map(|k| {
                let v = k.status_after.as_ref()?.verification();
                if !matches!(v, Verification::Live { .. } | Verification::Unknown { .. }) {
                    return None;
                }
                let location = self
                    .findings()
                    .filter(|f| f.record.secret_sha256 == k.secret_sha256)
                    .min_by(|a, b| {
                        (
                            a.record.date.as_deref(),
                            &a.repo,
                            &a.record.path,
                            a.record.line,
                        )
                            .cmp(&(
                                b.record.date.as_deref(),
                                &b.repo,
                                &b.record.path,
                                b.record.line,
                            ))
                    })
                    .map(|f| {
                        let commit = f
                            .record
                            .commit
                            .as_deref()
                            .map(|c| format!(" (commit {})", &c[..c.len().min(12)]))
                            .unwrap_or_default();
                        format!("{}: {}:{}{commit}", f.repo, f.record.path, f.record.line)
                    })
                    .unwrap_or_default();
                Some(crate::alert::AlertKey::new(
                    format!("{}…", k.stem),
                    &k.secret_sha256,
                    &k.product,
                    &location,
                    &v,
                ))
            })
            .collect()
    }

    /// The earliest commit date (RFC 3339, as recorded) among the findings
    /// of the key with this SHA-256: its first exposure.
    pub fn first_exposed(&self, sha256: &str) -> Option<String> {
        self.findings()
            .filter(|f| f.record.secret_sha256 == sha256)
            .filter_map(|f| {
                let date = f.record.date.as_deref()?;
                Some((crate::timestamp::Timestamp::parse_rfc3339(date).ok()?, date))
            })
            .min()
            .map(|(_, date)| date.to_string())
    }

    /// Every finding, in repository order.
    pub fn findings(&self) -> impl Iterator<Item = &SweepFinding> {
        self.repos.values().flat_map(|r| r.findings.iter())
    }

    /// Combine shard states: repositories by name, keys by SHA-256 keeping
    /// the record whose action went furthest (a key revoked by one shard and
    /// found dead by another is revoked).
    pub fn merge(states: Vec<Self>) -> Self {
        let mut out = Self::new(None);
        for state in states {
            for shard in state.shards {
                if !out.shards.contains(&shard) {
                    out.shards.push(shard);
                }
            }
            out.runs += state.runs;
            for (name, repo) in state.repos {
                out.repos.entry(name).or_insert(repo);
            }
            for (sha, key) in state.keys {
                match out.keys.get_mut(&sha) {
                    Some(have) if rank(&key) > rank(have) => *have = key,
                    Some(_) => {}
                    None => {
                        out.keys.insert(sha, key);
                    }
                }
            }
        }
        out.shards.sort();
        out
    }
}

/// One `DELETE` a sweep plans: which key, against which list entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedDelete {
    /// The leaked key's SHA-256.
    pub sha: String,
    /// The API base the entry was listed at (ids are per API).
    pub base: String,
    /// The list entry's id.
    pub id: String,
}

impl SweepState {
    /// The planned `DELETE`s that must not be sent, with why (by key SHA-256).
    ///
    /// - Several leaked keys resolving to the same list entry (the same
    ///   8-character stem; one of them may belong to another account): the
    ///   entry cannot be told to be any one of them, so all are refused as
    ///   ambiguous (as `revoke` does for several entries matching one key).
    /// - An entry this sweep already sent a `DELETE` for (in this run or an
    ///   earlier one, for another key): never a second `DELETE` — its `404`
    ///   would be read as "already revoked" and the still-live key as a
    ///   discrepancy. A list that still shows it is stale or ambiguous.
    ///
    /// `base_of` gives the API base of a recorded key (its product's).
    pub fn conflicting_deletes(
        &self,
        planned: &[PlannedDelete],
        base_of: impl Fn(&KeyRecord) -> Option<String>,
    ) -> BTreeMap<String, String> {
        let stem_of = |sha: &str| {
            let stem = self
                .keys
                .get(sha)
                .map_or_else(|| "?".to_string(), |k| crate::secret::redact(&k.stem));
            format!("{stem} sha256 {}", crate::secret::clip(sha, 12))
        };
        let mut by_entry: BTreeMap<(&str, &str), Vec<&str>> = BTreeMap::new();
        for p in planned {
            by_entry
                .entry((p.base.as_str(), p.id.as_str()))
                .or_default()
                .push(p.sha.as_str());
        }
        let mut out = BTreeMap::new();
        for ((base, id), shas) in by_entry {
            let id_shown = crate::secret::clip(id, 64);
            let deleted_for = self.keys.values().find(|k| {
                !shas.contains(&k.secret_sha256.as_str())
                    && (k.action.delete_sent() || k.delete_pending)
                    && k.key_id.as_deref() == Some(id)
                    && base_of(k).as_deref() == Some(base)
            });
            if let Some(other) = deleted_for {
                for sha in &shas {
                    out.insert(
                        (*sha).to_string(),
                        format!(
                            "the listed key id `{id_shown}` it matches was already revoked by this \
                             sweep for {} (another key with the same stem); the list is stale or \
                             ambiguous, not revoking: revoke it in the Misar dashboard",
                            crate::secret::redact(&other.stem)
                        ),
                    );
                }
            } else if shas.len() > 1 {
                let names: Vec<String> = shas.iter().map(|s| stem_of(s)).collect();
                for sha in &shas {
                    out.insert(
                        (*sha).to_string(),
                        format!(
                            "{} leaked keys ({}) match the same listed key id `{id_shown}`: \
                             ambiguous (one may belong to another account), not revoking; \
                             revoke it in the Misar dashboard",
                            shas.len(),
                            names.join(", ")
                        ),
                    );
                }
            }
        }
        out
    }
}

/// How far a record went: the action, then a live first verification.
fn rank(k: &KeyRecord) -> (Action, bool) {
    (
        k.action,
        k.status_before.as_ref().is_some_and(KeyStatus::is_live),
    )
}

/// Write `path` atomically: a temporary file with a random name created
/// exclusively (`O_EXCL`) in the same folder, synced, then renamed over
/// `path`. Neither step follows a symbolic link planted in the folder: the
/// temporary name cannot be predicted and is never opened if it exists, and
/// a rename replaces a link at `path` instead of writing through it.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write;
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut tmp = tempfile::Builder::new()
        .prefix(&format!(".{name}."))
        .suffix(".tmp")
        .tempfile_in(dir)
        .with_context(|| format!("failed to create a temporary file in `{}`", dir.display()))?;
    tmp.write_all(bytes)
        .and_then(|()| tmp.as_file().sync_all())
        .with_context(|| format!("failed to write `{}`", tmp.path().display()))?;
    tmp.persist(path)
        .map_err(|e| e.error)
        .with_context(|| format!("failed to replace `{}`", path.display()))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merge_keeps_the_furthest_action() {
        let rec = |action, state: KeyStatus| KeyRecord {
            stem: "msk_AAAA".into(),
            secret_sha256: "ab".into(),
            action,
            status_before: Some(state),
            ..KeyRecord::default()
        };
        let mut a = SweepState::new(Some(Shard { k: 1, n: 2 }));
        a.keys
            .insert("ab".into(), rec(Action::NotLive, KeyStatus::NotLive));
        let mut b = SweepState::new(Some(Shard { k: 2, n: 2 }));
        b.keys.insert(
            "ab".into(),
            rec(
                Action::Revoked,
                KeyStatus::Live {
                    can_manage_keys: false,
                },
            ),
        );
        let m = SweepState::merge(vec![a, b]);
        assert_eq!(m.keys["ab"].action, Action::Revoked);
        assert_eq!(m.shards, ["1/2", "2/2"]);
    }

    #[test]
    fn deletes_for_one_entry_or_an_entry_already_revoked_conflict() {
        let mut state = SweepState::new(None);
        for (sha, action, id) in [
            ("a1", Action::None, None),
            ("b2", Action::None, None),
            ("c3", Action::None, None),
            ("d4", Action::Revoked, Some("k9")),
            ("e5", Action::NotConfirmed, Some("k7")),
        ] {
            state.keys.insert(
                sha.into(),
                KeyRecord {
                    stem: format!("msk_{sha}xx"),
                    secret_sha256: sha.into(),
                    action,
                    key_id: id.map(str::to_string),
                    ..KeyRecord::default()
                },
            );
        }
        let plan = |sha: &str, id: &str| PlannedDelete {
            sha: sha.into(),
            base: "http://127.0.0.1:1".into(),
            id: id.into(),
        };
        let base = |_: &KeyRecord| Some("http://127.0.0.1:1".to_string());
        // One key per entry, and an entry only planned (not deleted) by another: fine.
        let ok = [plan("a1", "k1"), plan("b2", "k2"), plan("c3", "k7")];
        assert!(state.conflicting_deletes(&ok, base).is_empty());
        // Two keys on one entry: both refused as ambiguous.
        let two = [plan("a1", "k1"), plan("b2", "k1"), plan("c3", "k3")];
        let refused = state.conflicting_deletes(&two, base);
        assert_eq!(refused.keys().collect::<Vec<_>>(), ["a1", "b2"]);
        assert!(refused["a1"].contains("ambiguous"), "{}", refused["a1"]);
        // An entry already revoked for another key: refused.
        let again = [plan("a1", "k9")];
        let refused = state.conflicting_deletes(&again, base);
        assert!(
            refused["a1"].contains("already revoked by this sweep for msk_d4xx…"),
            "{}",
            refused["a1"]
        );
        // The same id at another API is another entry.
        let elsewhere = |_: &KeyRecord| Some("http://127.0.0.1:2".to_string());
        assert!(state.conflicting_deletes(&again, elsewhere).is_empty());
    }

    #[cfg(unix)]
    #[test]
    fn report_files_never_write_through_symlinks() {
        let dir = tempfile::tempdir().unwrap();
        let victim = dir.path().join("victim");
        std::fs::write(&victim, "precious").unwrap();
        let folder = dir.path().join("out");
        std::fs::create_dir(&folder).unwrap();
        for name in ["report.json", "report.json.tmp"] {
            std::os::unix::fs::symlink(&victim, folder.join(name)).unwrap();
        }
        write_atomic(&folder.join("report.json"), b"{}").unwrap();
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
        let meta = std::fs::symlink_metadata(folder.join("report.json")).unwrap();
        assert!(meta.is_file());
    }

    /// A state file written by the release at 057ce06 (see its README).
    const V1: &str = include_str!("../../tests/fixtures/sweep-state-v1/sweep-state.json");

    #[test]
    fn a_state_written_by_an_earlier_release_loads_typed_and_writes_back_the_same() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(STATE_FILE), V1).unwrap();
        let state = SweepState::load(dir.path()).unwrap().unwrap();
        assert_eq!(state.version, 1);
        assert_eq!(state.runs, 2);
        assert_eq!(state.repos.len(), 3);
        let by_stem = |stem: &str| state.keys.values().find(|k| k.stem == stem).unwrap();
        let pending = by_stem("msk_dGhT");
        assert_eq!(
            pending.status_before,
            Some(KeyStatus::Live {
                can_manage_keys: true
            })
        );
        assert!(pending.delete_pending);
        assert_eq!(pending.action, Action::None);
        assert_eq!(pending.key_id.as_deref(), Some("key_1"));
        let revoked = by_stem("ask_u3VF");
        assert_eq!(revoked.action, Action::Revoked);
        assert_eq!(revoked.status_after, Some(KeyStatus::NotLive));
        assert_eq!(
            revoked.status_before.as_ref().map(KeyStatus::verification),
            Some(Verification::Live {
                can_manage_keys: false
            })
        );
        let unknown = by_stem("mdk_dkry");
        assert_eq!(unknown.action, Action::LeftAloneUnknown);
        assert!(unknown
            .status_after
            .as_ref()
            .and_then(KeyStatus::reason)
            .is_some_and(|r| r.contains("HTTP 500")));
        assert_eq!(by_stem("msk_BGfj").status_before, Some(KeyStatus::NotLive));
        assert_eq!(by_stem("msk_TKEU").action, Action::Refused);
        assert_eq!(state.findings().count(), 6);
        // Written back, it is the same document (`save` adds the newline).
        let again: serde_json::Value =
            serde_json::from_slice(&serde_json::to_vec(&state).unwrap()).unwrap();
        let v1: serde_json::Value = serde_json::from_str(V1).unwrap();
        assert_eq!(again, v1);
        assert_eq!(
            state.verdict(false),
            SweepVerdict {
                live_left: 2,
                needs_person: true
            }
        );
    }

    #[test]
    fn statuses_read_as_earlier_releases_wrote_them() {
        let read = |text: &str| serde_json::from_str::<KeyStatus>(text).unwrap();
        assert_eq!(
            read(r#"{"state":"live","can_manage_keys":false}"#),
            KeyStatus::Live {
                can_manage_keys: false
            }
        );
        assert_eq!(read(r#"{"state":"not_live"}"#), KeyStatus::NotLive);
        assert_eq!(
            read(r#"{"state":"unknown","reason":"timed out"}"#),
            KeyStatus::Unknown {
                reason: "timed out".into()
            }
        );
        assert_eq!(read(r#"{"state":"unverified"}"#), KeyStatus::Unverified);
        // A state this release does not know is no verification, not an error.
        assert_eq!(read(r#"{"state":"pending"}"#), KeyStatus::Unverified);
        for (status, text) in [
            (
                KeyStatus::Live {
                    can_manage_keys: true,
                },
                r#"{"state":"live","can_manage_keys":true}"#,
            ),
            (KeyStatus::NotLive, r#"{"state":"not_live"}"#),
            (
                KeyStatus::Unknown { reason: "x".into() },
                r#"{"state":"unknown","reason":"x"}"#,
            ),
            (KeyStatus::Unverified, r#"{"state":"unverified"}"#),
        ] {
            assert_eq!(serde_json::to_string(&status).unwrap(), text);
            assert_eq!(KeyStatus::of(&status.verification()), status);
        }
        assert_eq!(
            KeyStatus::Unknown {
                reason: "timed out".into()
            }
            .describe(),
            "unknown (timed out)"
        );
    }

    #[test]
    fn an_unknown_first_answer_is_replaced_until_something_final_is_done() {
        let mut rec = KeyRecord::default();
        rec.observe(&Verification::Unknown {
            reason: "timed out".into(),
        });
        assert_eq!(
            rec.status_before.as_ref().map(KeyStatus::as_str),
            Some("unknown")
        );
        let live = Verification::Live {
            can_manage_keys: false,
        };
        rec.observe(&live);
        assert_eq!(rec.status_before, Some(KeyStatus::of(&live)));
        rec.observe(&Verification::NotLive);
        assert_eq!(rec.status_before, Some(KeyStatus::of(&live)));
        assert_eq!(rec.status_after, Some(KeyStatus::NotLive));
    }
}
