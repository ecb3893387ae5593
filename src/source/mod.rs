//! Where bytes come from: files ([`fs`]), a git history ([`git_history`]),
//! the commits of a range ([`git_range`]) or the git index ([`staged`]).
//!
//! A source reads bytes, hands them to the [`Scanner`], and turns the hits
//! into [`Finding`]s with their provenance (path, and for git the commit).
//! Problems that do not stop the scan (an unreadable file, a broken symlink)
//! go to [`Problems`]: each is shown as it happens, and any that means "not
//! everything was read" makes the run exit 2.

pub mod archive;
pub mod fs;
pub mod git;
pub mod git_history;
pub mod git_index;
pub mod git_range;
pub mod git_trees;
pub mod pack;
pub mod staged;
pub mod stream;
#[cfg(test)]
mod test_git;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use crate::config::RepoConfig;
use crate::engine::{Hit, Scanner};
use crate::finding::{CommitInfo, Finding, Verification};
use crate::rules::RuleSet;
use crate::secret::Secret;

/// How serious a problem is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProblemKind {
    /// Worth saying, but nothing was left unread.
    Warning,
    /// Something could not be read: the scan is incomplete.
    Unread,
}

/// A callback that shows a problem to the user.
pub type ProblemSink = Box<dyn Fn(ProblemKind, &str) + Send + Sync>;

/// Collects problems from all scanning threads.
pub struct Problems {
    sink: ProblemSink,
    incomplete: AtomicBool,
    count: AtomicUsize,
}

impl std::fmt::Debug for Problems {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Problems")
            .field("incomplete", &self.incomplete)
            .field("count", &self.count)
            .finish_non_exhaustive()
    }
}

impl Problems {
    /// Problems go to `sink` as they happen.
    pub fn new(sink: ProblemSink) -> Self {
        Self {
            sink,
            incomplete: AtomicBool::new(false),
            count: AtomicUsize::new(0),
        }
    }

    /// Problems are only counted (for library use and tests).
    pub fn silent() -> Self {
        Self::new(Box::new(|_, _| {}))
    }

    /// Something worth saying that does not make the scan incomplete.
    pub fn warn(&self, message: &str) {
        self.count.fetch_add(1, Ordering::Relaxed);
        (self.sink)(ProblemKind::Warning, message);
    }

    /// Something could not be read.
    pub fn unread(&self, message: &str) {
        self.count.fetch_add(1, Ordering::Relaxed);
        self.incomplete.store(true, Ordering::Relaxed);
        (self.sink)(ProblemKind::Unread, message);
    }

    /// Whether anything could not be read.
    pub fn incomplete(&self) -> bool {
        self.incomplete.load(Ordering::Relaxed)
    }

    /// How many problems were reported.
    pub fn count(&self) -> usize {
        self.count.load(Ordering::Relaxed)
    }
}

/// What every source needs to turn bytes into findings.
#[derive(Debug)]
pub struct ScanContext<'a> {
    /// The compiled matcher.
    pub scanner: &'a Scanner,
    /// The rules it was compiled from.
    pub rules: &'a RuleSet,
    /// Allow-lists.
    pub config: &'a RepoConfig,
    /// Redact keys in snippets.
    pub redact: bool,
    /// Look inside archives and compressed files.
    pub archives: bool,
    /// Decompressed bytes read from one top-level archive at most.
    pub archive_limit: u64,
    /// Where problems go.
    pub problems: &'a Problems,
    /// The webhook content lints, when any is on.
    pub linter: Option<&'a crate::lint::ContentLinter>,
}

/// Where a blob was seen.
#[derive(Debug, Clone)]
pub struct Provenance {
    /// Display path.
    pub path: String,
    /// Path for SARIF URIs.
    pub uri: String,
    /// The bytes of `path` when they are not UTF-8 (see [`Finding::raw_path`]).
    pub raw: Option<Vec<u8>>,
    /// For history scans.
    pub commit: Option<CommitInfo>,
}

impl ScanContext<'_> {
    /// Turn hits from a buffer starting at file offset `base` into findings,
    /// dropping keys allow-listed by hash.
    pub fn findings(&self, hits: Vec<Hit>, base: u64, at: &Provenance, out: &mut Vec<Finding>) {
        for hit in hits {
            let secret = Secret::new(hit.key);
            if self.config.secret_allowed(secret.sha256()) {
                continue;
            }
            let rule = &self.rules.rules()[hit.rule];
            out.push(Finding {
                rule_id: rule.id.clone(),
                rule_name: rule.name.clone(),
                product: rule.product.clone(),
                severity: rule.severity,
                path: at.path.clone(),
                uri: at.uri.clone(),
                raw_path: at.raw.clone(),
                line: hit.line,
                column: hit.column,
                end_column: hit.end_column,
                offset: base + hit.start as u64,
                secret,
                encoding: hit.encoding,
                snippet: hit.snippet,
                commit: at.commit.clone(),
                verification: Verification::Unverified,
                note: None,
                related: Vec::new(),
                key: None,
            });
        }
    }
}

/// Totals for the summary line.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    /// Files (or blobs) scanned.
    pub files: u64,
    /// Bytes scanned.
    pub bytes: u64,
    /// Files skipped by `allowlist.paths`.
    pub allowlisted: u64,
    /// Symbolic links not followed.
    pub symlinks: u64,
}
