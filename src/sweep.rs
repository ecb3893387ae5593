//! The incident-response sweep (SPEC §3 `misar-scan sweep PATH…`): find every
//! git repository under some paths, take a deterministic shard of them, and
//! keep the resumable state of a sweep.
//!
//! This module holds the parts without network or terminal I/O:
//!
//! - [`discover`]: every git repository under the roots — work trees (a
//!   `.git` folder or file) and bare repositories, nested ones too — without
//!   descending into `.git` folders or bare repositories, and without
//!   looping on symbolic links (each directory is visited once, by its
//!   canonical path).
//! - [`Shard`]: `--shard K/N`. A repository belongs to shard
//!   `sha256(path relative to its root) mod N`, so adding repositories never
//!   moves the existing ones between shards.
//! - [`SweepState`]: what `sweep-state.json` in the report folder records —
//!   repositories done (with their redacted findings), each distinct key
//!   (stem and SHA-256, never the key), its status before and after, and the
//!   action taken. It is written atomically (temporary file + rename) after
//!   each repository and each API action, so a sweep killed at any point and
//!   run again with the same report folder picks up where it stopped and
//!   never revokes a key twice. [`SweepState::merge`] combines the states of
//!   several shards (`misar-scan report merge`).
//!
//! The command (`cli/sweep.rs`) drives scanning, verification and revocation;
//! `report/sweep.rs` renders the report folder from a [`SweepState`].

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};

use crate::secret::{sha256_hex, Secret};

/// The state file's name inside the report folder.
pub const STATE_FILE: &str = "sweep-state.json";
/// The audit log's name inside the report folder.
pub const AUDIT_FILE: &str = "audit.jsonl";
/// Version of the state file layout.
pub const STATE_VERSION: u32 = 1;

/// A git repository found under a sweep root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundRepo {
    /// Where to open it (the work tree, or the bare repository's folder).
    pub path: PathBuf,
    /// How reports name it: the root as given, joined with `rel`.
    pub name: String,
    /// Its path relative to the root it was found under (`.` for the root
    /// itself), with `/` separators: the input of the shard hash.
    pub rel: String,
    /// A bare repository.
    pub bare: bool,
}

/// Whether `dir` is a bare repository: `HEAD`, `objects/` and `refs/`.
fn is_bare_repo(dir: &Path) -> bool {
    dir.join("HEAD").is_file() && dir.join("objects").is_dir() && dir.join("refs").is_dir()
}

/// Every git repository under `roots`, sorted by name; `problems` collects
/// folders that could not be read (the sweep is then incomplete).
///
/// Symbolic links to folders are not followed unless `follow` (as `scan`
/// does not follow links without `--follow`), and even then only when their
/// target lies inside the canonical root they were found under: a sweep of
/// one folder never wanders over the machine (a link to `/` or `/proc`).
/// The links not followed are added to `skipped`. A root given as a link is
/// followed: it was named.
pub fn discover(
    roots: &[PathBuf],
    follow: bool,
    problems: &mut Vec<String>,
    skipped: &mut Vec<String>,
) -> Vec<FoundRepo> {
    let mut seen_dirs = HashSet::new();
    let mut seen_repos = HashSet::new();
    let mut out = Vec::new();
    for root in roots {
        let canonical_root = match root.canonicalize() {
            Ok(c) => c,
            Err(e) => {
                problems.push(format!("cannot read `{}`: {e}", root.display()));
                continue;
            }
        };
        let mut stack = vec![(root.clone(), String::from("."))];
        while let Some((dir, rel)) = stack.pop() {
            let canonical = match dir.canonicalize() {
                Ok(c) => c,
                Err(e) => {
                    problems.push(format!("cannot read `{}`: {e}", dir.display()));
                    continue;
                }
            };
            // A symbolic link back up the tree, or two links to one folder.
            if !seen_dirs.insert(canonical.clone()) {
                continue;
            }
            let root_name = root.display().to_string();
            let name = match (root_name.as_str(), rel.as_str()) {
                (_, ".") => root_name.clone(),
                (".", rel) => rel.to_string(),
                (root, rel) => format!("{}/{rel}", root.trim_end_matches('/')),
            };
            let dot_git = dir.join(".git");
            if dot_git.exists() {
                if seen_repos.insert(canonical.clone()) {
                    out.push(FoundRepo {
                        path: dir.clone(),
                        name,
                        rel: rel.clone(),
                        bare: false,
                    });
                }
            } else if is_bare_repo(&dir) {
                if seen_repos.insert(canonical) {
                    out.push(FoundRepo {
                        path: dir.clone(),
                        name,
                        rel,
                        bare: true,
                    });
                }
                // A bare repository's folders are git's own: nothing nested.
                continue;
            }
            let entries = match std::fs::read_dir(&dir) {
                Ok(entries) => entries,
                Err(e) => {
                    problems.push(format!("cannot read `{}`: {e}", dir.display()));
                    continue;
                }
            };
            let mut children = Vec::new();
            for entry in entries.flatten() {
                let file_name = entry.file_name();
                if file_name == ".git" {
                    continue;
                }
                let path = entry.path();
                // The entry itself, not what a link points to.
                let Ok(kind) = entry.file_type() else {
                    continue;
                };
                if kind.is_symlink() {
                    // Links to files are not our business; links to folders
                    // only with `follow`, and only inside the root.
                    if !path.is_dir() {
                        continue;
                    }
                    let inside = path
                        .canonicalize()
                        .is_ok_and(|target| target.starts_with(&canonical_root));
                    if !follow {
                        skipped.push(format!(
                            "`{}`: a symbolic link, not followed without `--follow`",
                            path.display()
                        ));
                        continue;
                    }
                    if !inside {
                        skipped.push(format!(
                            "`{}`: a symbolic link to a folder outside `{}`, never followed",
                            path.display(),
                            root.display()
                        ));
                        continue;
                    }
                } else if !kind.is_dir() {
                    continue;
                }
                let child = file_name.to_string_lossy().into_owned();
                let child_rel = if rel == "." {
                    child
                } else {
                    format!("{rel}/{child}")
                };
                children.push((path, child_rel));
            }
            // Depth-first, in name order (reversed for the stack).
            children.sort();
            children.reverse();
            stack.extend(children);
        }
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out
}

/// `--shard K/N`: this run takes shard K (1-based) of N.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    /// 1-based index.
    pub k: u32,
    /// Number of shards.
    pub n: u32,
}

impl Shard {
    /// Parse `K/N` with `1 <= K <= N`.
    pub fn parse(text: &str) -> Result<Self> {
        let (k, n) = text
            .split_once('/')
            .with_context(|| format!("invalid shard `{text}`: expected K/N, e.g. `1/4`"))?;
        let k: u32 = k
            .trim()
            .parse()
            .with_context(|| format!("invalid shard `{text}`: K is not a number"))?;
        let n: u32 = n
            .trim()
            .parse()
            .with_context(|| format!("invalid shard `{text}`: N is not a number"))?;
        if n == 0 || k == 0 || k > n {
            bail!("invalid shard `{text}`: need 1 <= K <= N (K is 1-based)");
        }
        Ok(Self { k, n })
    }

    /// The shard (1-based) a repository at `rel` belongs to among `n`.
    pub fn of(rel: &str, n: u32) -> u32 {
        let digest = sha256_hex(rel.as_bytes());
        // The first 16 hex digits are 64 bits of the hash.
        let x = u64::from_str_radix(&digest[..16], 16).unwrap_or_default();
        (x % u64::from(n.max(1))) as u32 + 1
    }

    /// Whether this shard takes the repository at `rel`.
    pub fn takes(&self, rel: &str) -> bool {
        Self::of(rel, self.n) == self.k
    }
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.k, self.n)
    }
}

/// A key's state as verified: `live`, `not_live` or `unknown`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Status {
    /// `live`, `not_live`, `unknown` or `unverified`.
    pub state: String,
    /// For live keys: holds `keys:manage`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub can_manage_keys: Option<bool>,
    /// For unknown: why.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

impl Status {
    /// The status for a verification result.
    pub fn of(v: &crate::finding::Verification) -> Self {
        use crate::finding::Verification;
        Self {
            state: v.as_str().to_string(),
            can_manage_keys: match v {
                Verification::Live { can_manage_keys } => Some(*can_manage_keys),
                _ => None,
            },
            reason: v.reason().map(str::to_string),
        }
    }

    /// `live`, `not live`, `unknown (reason)` for people.
    pub fn describe(&self) -> String {
        match (self.state.as_str(), &self.reason) {
            ("live", _) => match self.can_manage_keys {
                Some(true) => "live (holds keys:manage)".into(),
                _ => "live".into(),
            },
            ("not_live", _) => "not live (401)".into(),
            (_, Some(reason)) => format!("{} ({reason})", self.state),
            (state, None) => state.to_string(),
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

/// One repository scanned.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RepoRecord {
    /// Path relative to the sweep root (the shard hash input).
    pub rel: String,
    /// Where it was opened (to read keys back after a restart).
    pub path: PathBuf,
    /// A bare repository.
    pub bare: bool,
    /// Its findings: JSON report objects (redacted), each with a `repo` field.
    pub findings: Vec<serde_json::Value>,
    /// Something in it could not be read.
    pub incomplete: bool,
    /// Why.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub problems: Vec<String>,
    /// What the scan read ([`ref_tips`]), taken before it: a later run
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

/// Why the history of the repository at `path` cannot be scanned in full
/// when it is a shallow clone: `shallow clone: history before <commit> not
/// scanned`, naming its boundary commits (abbreviated, at most three).
/// `None` for a complete repository (or one that cannot be opened: the scan
/// says why).
pub fn shallow_reason(path: &Path) -> Option<String> {
    let repo = git2::Repository::open(path).ok()?;
    if !repo.is_shallow() {
        return None;
    }
    let text = std::fs::read_to_string(repo.commondir().join("shallow"))
        .or_else(|_| std::fs::read_to_string(repo.path().join("shallow")))
        .unwrap_or_default();
    let mut boundary: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    boundary.sort_unstable();
    const SHOWN: usize = 3;
    let mut named: Vec<String> = boundary
        .iter()
        .take(SHOWN)
        .map(|c| crate::secret::clip(c, 12).to_string())
        .collect();
    if boundary.len() > SHOWN {
        named.push(format!("{} more", boundary.len() - SHOWN));
    }
    let before = if named.is_empty() {
        "its shallow boundary".to_string()
    } else {
        named.join(", ")
    };
    Some(format!(
        "shallow clone: history before {before} not scanned; hint: `git fetch --unshallow` \
         in it, then sweep again"
    ))
}

/// A digest (SHA-256, hex) of what a history scan of the repository at
/// `path` starts from: every ref with what it points to, `HEAD`, and the
/// shallow boundary; with `all_objects` also the pack files and the number
/// of loose objects (objects no ref reaches can appear without a ref
/// moving). A new commit, branch, tag, fetch or rewrite changes it. `None`
/// when the repository cannot be opened.
pub fn ref_tips(path: &Path, all_objects: bool) -> Option<String> {
    let repo = git2::Repository::open(path).ok()?;
    let mut lines: Vec<Vec<u8>> = Vec::new();
    let target = |r: &git2::Reference<'_>| match (r.target(), r.symbolic_target_bytes()) {
        (Some(oid), _) => oid.to_string().into_bytes(),
        (None, Some(sym)) => [b"-> ".as_slice(), sym].concat(),
        (None, None) => Vec::new(),
    };
    if let Ok(head) = repo.find_reference("HEAD") {
        lines.push([b"HEAD ".as_slice(), &target(&head)].concat());
    }
    for r in repo.references().ok()?.flatten() {
        lines.push([b"ref ".as_slice(), r.name_bytes(), b" ", &target(&r)].concat());
    }
    if let Ok(text) = std::fs::read_to_string(repo.path().join("shallow")) {
        for l in text.lines() {
            lines.push(format!("shallow {}", l.trim()).into_bytes());
        }
    }
    if all_objects {
        let objects = repo.commondir().join("objects");
        if let Ok(entries) = std::fs::read_dir(objects.join("pack")) {
            for e in entries.flatten() {
                lines.push([b"pack ".as_slice(), e.file_name().as_encoded_bytes()].concat());
            }
        }
        let loose: usize = (0..=255u8)
            .filter_map(|b| std::fs::read_dir(objects.join(format!("{b:02x}"))).ok())
            .map(Iterator::count)
            .sum();
        lines.push(format!("loose {loose}").into_bytes());
    }
    lines.sort();
    Some(sha256_hex(&lines.join(&b'\n')))
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
    pub status_before: Option<Status>,
    /// The latest verification (after the action).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_after: Option<Status>,
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

    /// Add the key of a finding (a JSON report object) to the state, once.
    pub fn add_key(&mut self, f: &serde_json::Value) {
        let Some(sha) = f["secret_sha256"].as_str() else {
            return;
        };
        self.keys
            .entry(sha.to_string())
            .or_insert_with(|| KeyRecord {
                stem: f["secret"]
                    .as_str()
                    .unwrap_or_default()
                    .trim_end_matches('…')
                    .chars()
                    .take(crate::secret::STEM_LEN)
                    .collect(),
                secret_sha256: sha.to_string(),
                rule_id: f["rule_id"].as_str().unwrap_or_default().to_string(),
                product: f["product"].as_str().unwrap_or_default().to_string(),
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
            for f in repo.findings.iter().filter(|f| f["secret_sha256"] == sha) {
                let found = crate::recover::key_from_repo(&git, f, sha, scanner);
                if found.is_some() {
                    return found;
                }
            }
        }
        None
    }

    /// Every finding, in repository order.
    pub fn findings(&self) -> impl Iterator<Item = &serde_json::Value> {
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
        k.status_before.as_ref().is_some_and(|s| s.state == "live"),
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
    fn shard_parse_and_bounds() {
        assert_eq!(Shard::parse("2/3").unwrap(), Shard { k: 2, n: 3 });
        for bad in ["0/3", "4/3", "1/0", "x/2", "3"] {
            assert!(Shard::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn shards_partition_and_are_stable() {
        let rels: Vec<String> = (0..200).map(|i| format!("org/repo-{i}")).collect();
        for rel in &rels {
            let owners: Vec<u32> = (1..=4).filter(|&k| Shard { k, n: 4 }.takes(rel)).collect();
            assert_eq!(owners.len(), 1, "{rel}");
            // The assignment depends on the path only.
            assert_eq!(Shard::of(rel, 4), Shard::of(rel, 4));
        }
        let counts: Vec<usize> = (1..=4)
            .map(|k| rels.iter().filter(|r| Shard::of(r, 4) == k).count())
            .collect();
        assert!(counts.iter().all(|&c| c > 20), "{counts:?}");
    }

    #[test]
    fn merge_keeps_the_furthest_action() {
        let rec = |action, state: &str| KeyRecord {
            stem: "msk_AAAA".into(),
            secret_sha256: "ab".into(),
            action,
            status_before: Some(Status {
                state: state.into(),
                can_manage_keys: None,
                reason: None,
            }),
            ..KeyRecord::default()
        };
        let mut a = SweepState::new(Some(Shard { k: 1, n: 2 }));
        a.keys.insert("ab".into(), rec(Action::NotLive, "not_live"));
        let mut b = SweepState::new(Some(Shard { k: 2, n: 2 }));
        b.keys.insert("ab".into(), rec(Action::Revoked, "live"));
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

    #[test]
    fn discovery_finds_nested_and_bare_repos_and_survives_loops() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("a/.git")).unwrap();
        std::fs::create_dir_all(root.join("a/vendor/b/.git")).unwrap();
        for d in ["c.git/objects", "c.git/refs"] {
            std::fs::create_dir_all(root.join(d)).unwrap();
        }
        std::fs::write(root.join("c.git/HEAD"), "ref: refs/heads/main\n").unwrap();
        #[cfg(unix)]
        std::os::unix::fs::symlink(root, root.join("a/vendor/loop")).unwrap();
        for follow in [false, true] {
            let (mut problems, mut skipped) = (Vec::new(), Vec::new());
            let found = discover(&[root.to_path_buf()], follow, &mut problems, &mut skipped);
            let rels: Vec<(&str, bool)> = found.iter().map(|r| (r.rel.as_str(), r.bare)).collect();
            assert_eq!(rels, [("a", false), ("a/vendor/b", false), ("c.git", true)]);
            assert!(problems.is_empty(), "{problems:?}");
            #[cfg(unix)]
            assert_eq!(skipped.len(), usize::from(!follow), "{skipped:?}");
        }
    }

    #[cfg(unix)]
    #[test]
    fn discovery_never_leaves_the_root_through_a_link() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("root");
        std::fs::create_dir_all(root.join("a/.git")).unwrap();
        std::fs::create_dir_all(dir.path().join("outside/b/.git")).unwrap();
        std::os::unix::fs::symlink(dir.path().join("outside"), root.join("out")).unwrap();
        std::os::unix::fs::symlink(root.join("a"), root.join("z")).unwrap();
        for follow in [false, true] {
            let (mut problems, mut skipped) = (Vec::new(), Vec::new());
            let found = discover(
                std::slice::from_ref(&root),
                follow,
                &mut problems,
                &mut skipped,
            );
            let rels: Vec<&str> = found.iter().map(|r| r.rel.as_str()).collect();
            assert_eq!(rels, ["a"], "follow: {follow}");
            assert_eq!(skipped.len(), if follow { 1 } else { 2 }, "{skipped:?}");
            assert!(problems.is_empty(), "{problems:?}");
        }
    }
}
