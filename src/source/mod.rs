//! Where bytes come from: files ([`fs`]), standard input ([`stream`]) and git
//! ([`git`]: a history, the commits of a range, the index, a push).
//!
//! A source reads bytes, hands them to the [`Scanner`], and turns the hits
//! into [`Finding`]s with their provenance (path, and for git the commit).
//! Problems that do not stop the scan (an unreadable file, a broken symlink)
//! go to [`Problems`]: each is shown as it happens, and any that means "not
//! everything was read" makes the run exit 2.

pub mod archive;
pub mod fs;
pub mod git;
pub mod stream;
#[cfg(test)]
pub(crate) mod test_engine;
#[cfg(test)]
mod test_git;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use crate::config::RepoConfig;
use crate::engine::content::{ContentLinter, LintHit, LintMatches};
use crate::engine::location::LinePos;
use crate::engine::{Candidate, Hit, Scanner};
use crate::finding::{CommitInfo, Finding, Location, Verification};
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
    /// Key-shaped runs in `message` (a path holding a key) are redacted.
    pub fn warn(&self, message: &str) {
        self.count.fetch_add(1, Ordering::Relaxed);
        (self.sink)(
            ProblemKind::Warning,
            &crate::secret::redact_key_shaped(message),
        );
    }

    /// Something could not be read. Key-shaped runs in `message` are redacted.
    pub fn unread(&self, message: &str) {
        self.count.fetch_add(1, Ordering::Relaxed);
        self.incomplete.store(true, Ordering::Relaxed);
        (self.sink)(
            ProblemKind::Unread,
            &crate::secret::redact_key_shaped(message),
        );
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
    pub linter: Option<&'a ContentLinter>,
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

impl Provenance {
    /// The display path for a finding: key-shaped runs redacted when `redact`.
    pub fn shown_path(&self, redact: bool) -> String {
        shown(&self.path, redact)
    }

    /// The URI path for a finding: key-shaped runs redacted when `redact`.
    pub fn shown_uri(&self, redact: bool) -> String {
        shown(&self.uri, redact)
    }
}

fn shown(text: &str, redact: bool) -> String {
    if redact {
        crate::secret::redact_key_shaped(text).into_owned()
    } else {
        text.to_string()
    }
}

/// Where in a path the name holding byte `end - 1` ends: the next `/` or `!`
/// (an archive member) after `end`, or the end of the path.
fn component_end(path: &str, end: usize) -> usize {
    path[end..].find(['/', '!']).map_or(path.len(), |i| end + i)
}

impl ScanContext<'_> {
    /// The keys found in `hay[from..to]` and, when `lint`, the webhook-lint
    /// hits there; `start` says where `hay` begins in its file. Every
    /// snippet redacts every secret either found on its line (a key beside a
    /// signature check, a webhook secret beside a key) and every key-shaped
    /// run, unless the context says not to redact.
    pub fn scan_buffer(
        &self,
        hay: &[u8],
        from: usize,
        to: usize,
        start: LinePos,
        lint: bool,
        scratch: &mut Vec<Candidate>,
    ) -> (Vec<Hit>, Vec<LintHit>) {
        scratch.clear();
        self.scanner.find_in(hay, from, to, scratch);
        let matches = match self.linter.filter(|_| lint) {
            Some(linter) => linter.find(hay, from, to, self.redact),
            None => LintMatches::default(),
        };
        let keys = self
            .scanner
            .hits_of(hay, start, self.redact, scratch, &matches.secrets);
        let lints = matches.into_hits(hay, start, self.redact, scratch);
        (keys, lints)
    }

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
                path: at.shown_path(self.redact),
                uri: at.shown_uri(self.redact),
                raw_path: at.raw.clone(),
                line: hit.line,
                column: hit.column,
                end_column: hit.end_column,
                offset: base + hit.start as u64,
                secret,
                encoding: hit.encoding,
                snippet: hit.snippet,
                location: crate::finding::Location::File,
                commit: at.commit.as_ref().map(|c| c.shown(self.redact)),
                verification: Verification::Unverified,
                note: None,
                related: Vec::new(),
                key: None,
            });
        }
    }

    /// Turn webhook-lint hits from a buffer starting at file offset `base`
    /// into findings.
    pub fn lint_findings(
        &self,
        hits: Vec<LintHit>,
        base: u64,
        at: &Provenance,
        out: &mut Vec<Finding>,
    ) {
        for hit in hits {
            let lint = &self.rules.lints()[hit.lint];
            out.push(Finding {
                rule_id: lint.id.clone(),
                rule_name: lint.name.clone(),
                product: "Misar webhooks".into(),
                severity: lint.severity,
                path: at.shown_path(self.redact),
                uri: at.shown_uri(self.redact),
                raw_path: at.raw.clone(),
                line: hit.line,
                column: hit.column,
                end_column: hit.end_column,
                offset: base + hit.start as u64,
                secret: Secret::new(hit.text),
                encoding: crate::engine::decode::Encoding::Raw,
                snippet: hit.snippet,
                location: Location::File,
                commit: at.commit.as_ref().map(|c| c.shown(self.redact)),
                verification: Verification::Unverified,
                note: Some(hit.note),
                related: Vec::new(),
                key: None,
            });
        }
    }

    /// Keys in the path of `at` that start at byte `from` of it or later (a
    /// file name, or an archive member's name), reported at a
    /// [`Location::Path`]: the finding's path ends with the name holding
    /// the key, so a key in a folder name is one finding however many files
    /// the folder holds (once findings are de-duplicated).
    pub fn path_findings(&self, at: &Provenance, from: usize, out: &mut Vec<Finding>) {
        let bytes = at.path.as_bytes();
        if from >= bytes.len() {
            return;
        }
        let mut found = Vec::new();
        self.scanner.find_in(bytes, from, bytes.len(), &mut found);
        for c in &found {
            // A key is ASCII, so its ends lie on character boundaries.
            let cut = component_end(&at.path, c.end);
            let path = &at.path[..cut];
            let tail = at.path.len() - cut;
            let uri = at
                .uri
                .strip_suffix(&at.path[cut..])
                .unwrap_or(&at.uri[..at.uri.len().saturating_sub(tail)]);
            let secret = Secret::new(c.key.clone());
            if self.config.secret_allowed(secret.sha256()) {
                continue;
            }
            let rule = &self.rules.rules()[c.rule];
            let column = crate::engine::location::utf16_units(&bytes[..c.start]) + 1;
            let snippet = crate::engine::snippet(
                &bytes[..cut],
                0,
                c.start..c.end.min(cut),
                &found,
                self.redact,
            );
            out.push(Finding {
                rule_id: rule.id.clone(),
                rule_name: rule.name.clone(),
                product: rule.product.clone(),
                severity: rule.severity,
                path: shown(path, self.redact),
                uri: shown(uri, self.redact),
                raw_path: at.raw.clone(),
                line: 1,
                column,
                end_column: column + crate::engine::location::utf16_units(&bytes[c.start..c.end]),
                offset: c.start as u64,
                note: Some(format!(
                    "{} key {} in the name `{}`",
                    rule.product,
                    secret.display(self.redact),
                    shown(path, self.redact)
                )),
                secret,
                encoding: c.encoding,
                snippet,
                location: Location::Path,
                commit: at.commit.as_ref().map(|c| c.shown(self.redact)),
                verification: Verification::Unverified,
                related: Vec::new(),
                key: None,
            });
        }
    }

    /// Keys in commit or tag metadata (`text`: a message, or `Name <e-mail>`),
    /// reported at `location`, at the placeholder path `<location>` (for
    /// example `<commit-message>`) with `commit` as their commit; `what`
    /// names the place for the finding's note (`the message of commit 1a2b…`).
    pub fn metadata_findings(
        &self,
        text: &[u8],
        location: Location,
        commit: &CommitInfo,
        what: &str,
        out: &mut Vec<Finding>,
    ) {
        let mut scratch = Vec::new();
        let (hits, _) = self.scan_buffer(text, 0, text.len(), LinePos::START, false, &mut scratch);
        if hits.is_empty() {
            return;
        }
        let placeholder = format!("<{}>", location.as_str());
        let at = Provenance {
            path: placeholder.clone(),
            uri: placeholder,
            raw: None,
            commit: Some(commit.clone()),
        };
        let first = out.len();
        self.findings(hits, 0, &at, out);
        for f in &mut out[first..] {
            f.location = location;
            f.note = Some(format!(
                "{} key {} in {what}",
                f.product,
                f.secret.display(self.redact)
            ));
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    #[test]
    fn problem_messages_never_carry_a_key_from_a_path() {
        let key = "msk_u8jzPde0IgxLd6GncfBAepfJBd0Kh8oO"; // misar-scan:allow (fake test key)
        let seen = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&seen);
        let problems = Problems::new(Box::new(move |_, m| {
            sink.lock().unwrap().push(m.to_string())
        }));
        problems.unread(&format!("could not read `conf/{key}.env`: denied"));
        problems.warn(&format!("skipped `{key}`: not a regular file"));
        assert_eq!(
            *seen.lock().unwrap(),
            [
                "could not read `conf/msk_u8jz….env`: denied",
                "skipped `msk_u8jz…`: not a regular file"
            ]
        );
    }
}
