//! `Finding`: what reports are made of (SPEC §4).
//!
//! A finding is a key found by a rule at a place: a file and a line, and for
//! history scans the commit that introduced it. It carries the [`Secret`]
//! (redacted when printed), its SHA-256, and its verification state.

pub mod record;

use serde::{Deserialize, Serialize};

pub use record::FindingRecord;

use crate::engine::Snippet;
use crate::rules::Severity;
use crate::secret::{sha256_hex, Secret};

/// The commit that introduced a finding, for history scans.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommitInfo {
    /// Full commit id.
    pub id: String,
    /// Author name.
    pub author_name: String,
    /// Author e-mail.
    pub author_email: String,
    /// Author date, RFC 3339.
    pub date: String,
}

impl CommitInfo {
    /// This commit with key-shaped runs in its author name and e-mail
    /// redacted ([`crate::secret::redact_key_shaped`]), when `redact`.
    pub fn shown(&self, redact: bool) -> Self {
        if !redact {
            return self.clone();
        }
        let r = |s: &str| crate::secret::redact_key_shaped(s).into_owned();
        Self {
            id: self.id.clone(),
            author_name: r(&self.author_name),
            author_email: r(&self.author_email),
            date: self.date.clone(),
        }
    }
}

/// What kind of place a key was found at (the `location` of JSON and SARIF
/// reports).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum Location {
    /// The content of the file (or blob, or archive member) at `path`.
    #[default]
    File,
    /// The path itself: a file, folder or archive member name. `path` ends
    /// with the name holding the key; the column counts in the path.
    Path,
    /// A commit's author name or e-mail (`Name <e-mail>`).
    CommitAuthor,
    /// A commit's committer name or e-mail (`Name <e-mail>`).
    CommitCommitter,
    /// A commit's message; the line counts in the message.
    CommitMessage,
    /// An annotated tag's tagger name or e-mail.
    TagTagger,
    /// An annotated tag's message.
    TagMessage,
}

impl Location {
    /// The report value: `file`, `path`, `commit-author`, `commit-committer`,
    /// `commit-message`, `tag-tagger` or `tag-message`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::File => "file",
            Self::Path => "path",
            Self::CommitAuthor => "commit-author",
            Self::CommitCommitter => "commit-committer",
            Self::CommitMessage => "commit-message",
            Self::TagTagger => "tag-tagger",
            Self::TagMessage => "tag-message",
        }
    }

    /// The location a report value names ([`Location::as_str`]).
    pub fn parse(value: &str) -> Option<Self> {
        [
            Self::File,
            Self::Path,
            Self::CommitAuthor,
            Self::CommitCommitter,
            Self::CommitMessage,
            Self::TagTagger,
            Self::TagMessage,
        ]
        .into_iter()
        .find(|l| l.as_str() == value)
    }

    /// Whether the key is in commit or tag metadata rather than in a file.
    pub fn is_metadata(self) -> bool {
        !matches!(self, Self::File | Self::Path)
    }
}

/// Whether a key is live, per the Misar API (SPEC §2).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Verification {
    /// Not checked (no `--verify`).
    #[default]
    Unverified,
    /// The API accepted the key.
    Live {
        /// Whether it holds the `keys:manage` scope (a 200 on the list call).
        can_manage_keys: bool,
    },
    /// The API rejected the key (401): invalid or revoked.
    NotLive,
    /// No trustworthy answer.
    Unknown {
        /// Why not.
        reason: String,
    },
}

impl Verification {
    /// The report value: `live`, `not_live`, `unknown` or `unverified`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Unverified => "unverified",
            Self::Live { .. } => "live",
            Self::NotLive => "not_live",
            Self::Unknown { .. } => "unknown",
        }
    }

    /// Why the state is `unknown`, if it is.
    pub fn reason(&self) -> Option<&str> {
        match self {
            Self::Unknown { reason } => Some(reason),
            _ => None,
        }
    }
}

/// What the API's key list revealed about a live key (SPEC §2): its entry,
/// matched by the `prefix` stem. Never the key itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyInfo {
    /// The key's id in the Misar account.
    pub id: String,
    /// The name given at creation.
    pub name: Option<String>,
    /// The key's scopes.
    pub scopes: Vec<String>,
    /// When the key was last used, as the API wrote it.
    pub last_used_at: Option<String>,
}

/// One reported key at one place.
#[derive(Debug, Clone)]
pub struct Finding {
    /// The rule's id.
    pub rule_id: String,
    /// The rule's human name.
    pub rule_name: String,
    /// The product the key belongs to.
    pub product: String,
    /// Report level.
    pub severity: Severity,
    /// The path as shown to people: relative to the current directory when
    /// under it, otherwise as scanned. For history findings, the path in the repository.
    pub path: String,
    /// The path for SARIF URIs: relative to the current directory when the
    /// file lies under it, else to the scanned path. Always `/`-separated.
    pub uri: String,
    /// The bytes of `path` when they are not UTF-8 (`path` shows them as
    /// U+FFFD), so that the file can be found again; `None` otherwise.
    pub raw_path: Option<Vec<u8>>,
    /// 1-based line.
    pub line: usize,
    /// 1-based column in UTF-16 code units.
    pub column: usize,
    /// Column just past the key.
    pub end_column: usize,
    /// Byte offset of the key in the file or blob.
    pub offset: u64,
    /// The key.
    pub secret: Secret,
    /// How the key was written (raw, base64, …).
    pub encoding: crate::engine::decode::Encoding,
    /// The source line, redacted unless `--no-redact`.
    pub snippet: Snippet,
    /// Where the key sits: in the file's content (the default), in its path,
    /// or in commit or tag metadata (then `path` is a placeholder such as
    /// `<commit-message>`).
    pub location: Location,
    /// For history findings: the commit that introduced it.
    pub commit: Option<CommitInfo>,
    /// Liveness per the API.
    pub verification: Verification,
    /// For lints: what exactly is wrong here.
    pub note: Option<String>,
    /// For lints that concern several places: the others.
    pub related: Vec<Related>,
    /// The key's entry in the account, when verification listed it.
    pub key: Option<KeyInfo>,
}

/// Another place a finding concerns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Related {
    /// Display path.
    pub path: String,
    /// Path for SARIF URIs.
    pub uri: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
}

impl Finding {
    /// Stable identity across runs and line moves: rule id, path and the
    /// key's hash — never the line number. A key in a path or in metadata
    /// has an identity of its own, apart from a key in the file's content.
    pub fn fingerprint(&self) -> String {
        match self.location {
            Location::File => fingerprint(&self.rule_id, &self.uri, self.secret.sha256()),
            other => fingerprint(
                &self.rule_id,
                &format!("{}\0{}", self.uri, other.as_str()),
                self.secret.sha256(),
            ),
        }
    }

    /// The ordering reports use: path, line, column, rule, commit, location.
    pub fn sort_key(&self) -> (&str, usize, usize, &str, Option<&str>, Location) {
        (
            &self.path,
            self.line,
            self.column,
            &self.rule_id,
            self.commit.as_ref().map(|c| c.id.as_str()),
            self.location,
        )
    }
}

/// `sha256(rule_id NUL path NUL secret_sha256)`, lower-case hex.
pub fn fingerprint(rule_id: &str, path: &str, secret_sha256: &str) -> String {
    sha256_hex(format!("{rule_id}\0{path}\0{secret_sha256}").as_bytes())
}

/// Sort findings into report order and drop exact duplicates (the same key
/// at the same place, e.g. from overlapping scan paths).
pub fn sort_and_dedup(findings: &mut Vec<Finding>) {
    findings.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    findings.dedup_by(|a, b| a.sort_key() == b.sort_key());
}
