//! Keys to verify or revoke, from a JSON report or standard input.
//!
//! JSON reports are redacted by default: they hold each key's stem and
//! `secret_sha256`, not the key. So each key is **read back** from where the
//! report says it was, per its `location`, and accepted only if its SHA-256
//! equals the report's `secret_sha256` (first at the recorded byte `offset`,
//! else anywhere: code moves):
//!
//! - `file`: the content of the file at `path` (relative to the current
//!   directory), or for history findings the blob `commit:path` of the git
//!   repository at `.`. A path `bundle.zip!conf/app.env` is a member of an
//!   archive (through nested archives too): the archive is opened and the
//!   member read. Where the path is not UTF-8, the report's `path_hex` gives
//!   its bytes.
//! - `path`: a key in a file, folder or archive member name. The report's
//!   path is redacted (`conf/msk_AbCd….txt`), so each redacted name is
//!   found by listing its folder (the work tree, or for history findings the
//!   commit's tree; an archive's member names) for names that redact the
//!   same way, and the names found are scanned.
//! - `commit-author`, `commit-committer`, `commit-message`: that text of the
//!   commit `commit`; `tag-tagger`, `tag-message`: that text of the
//!   annotated tag object `commit` (what tag findings record as their commit).
//!
//! A report made with `--no-redact` holds the key itself,
//! checked against its hash the same way. A key that cannot be recovered
//! stays in the output as `unknown`, with the reason, and is never sent to
//! the API.
//!
//! On standard input, each non-empty line that is not a `#` comment must be
//! exactly one key of a loaded rule (placeholders are refused, as in scans).

use std::io::BufRead;
use std::path::Path;

use anyhow::{Context, Result};
use serde::Deserialize;

use crate::engine::decode::Encoding;
use crate::engine::location::LinePos;
use crate::engine::{Candidate, Scanner, Snippet};
use crate::finding::{CommitInfo, Finding, FindingRecord, Location, Verification};
use crate::rules::{Rule, RuleSet, Severity};
use crate::secret::{redact, sha256_hex, Secret};

/// One key to act on.
#[derive(Debug, Clone)]
pub struct Loaded {
    /// The finding, for reports. Its secret is unrecovered when `problem` is set.
    pub finding: Finding,
    /// Why the key could not be recovered, if it could not.
    pub problem: Option<String>,
}

#[derive(Deserialize)]
struct ReportDoc {
    findings: Vec<FindingRecord>,
}

/// The rule a key belongs to: the one whose prefix it starts with (longest wins).
pub fn rule_for<'r>(rules: &'r RuleSet, key: &str) -> Option<&'r Rule> {
    rules
        .rules()
        .iter()
        .filter(|r| key.starts_with(&r.prefix))
        .max_by_key(|r| r.prefix.len())
}

/// Load every finding of the JSON report at `path`, recovering the keys.
pub fn from_report(
    path: &Path,
    rules: &RuleSet,
    scanner: &Scanner,
    redact_output: bool,
) -> Result<Vec<Loaded>> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("failed to read report `{}`", path.display()))?;
    let doc: ReportDoc = serde_json::from_str(&text).with_context(|| {
        format!(
            "invalid report `{}`: expected a misar-scan JSON report (`scan -f json`)",
            path.display()
        )
    })?;
    let repo = git2::Repository::discover(".").ok();
    Ok(doc
        .findings
        .into_iter()
        .filter(|rf| rules.lint(&rf.rule_id).is_none())
        .map(|rf| load_one(rf, rules, scanner, repo.as_ref(), redact_output))
        .collect())
}

fn load_one(
    rf: FindingRecord,
    rules: &RuleSet,
    scanner: &Scanner,
    repo: Option<&git2::Repository>,
    redact_output: bool,
) -> Loaded {
    let sha = rf.secret_sha256.to_ascii_lowercase();
    let mut problem = None;
    let mut snippet = None;
    let secret = if !rf.secret.contains('…')
        && !rf.secret.is_empty()
        && sha256_hex(rf.secret.as_bytes()) == sha
    {
        Some(Secret::new(rf.secret.clone()))
    } else {
        match read_back(&rf, &sha, scanner, repo, redact_output) {
            Ok((secret, snip)) => {
                snippet = Some(snip);
                Some(secret)
            }
            Err(reason) => {
                problem = Some(reason);
                None
            }
        }
    };
    let secret =
        secret.unwrap_or_else(|| Secret::unrecovered(rf.secret.trim_end_matches('…'), &sha));
    // The report's own snippet when it has one: the scan that wrote it
    // redacted every secret on the line (keys and what the lints matched,
    // which this reader has no linter for); the one rebuilt from the
    // source redacts keys only, so it is the fallback.
    let snippet = if rf.snippet.is_empty() { snippet } else { None };
    let snippet =
        snippet.unwrap_or_else(|| redact_snippet(&rf.snippet, &secret, scanner, redact_output));
    let finding = build_finding(rf, secret, snippet, problem.as_deref(), rules);
    Loaded { finding, problem }
}

/// A finding of a JSON report (a record of its `findings` array) as a
/// [`Finding`], without reading the key back: its secret is the report's
/// redacted stem and `secret_sha256` ([`Secret::unrecovered`]), its snippet
/// the report's. For re-rendering reports (`report merge`), never for the API.
pub fn finding_from_record(rf: &FindingRecord, rules: &RuleSet, scanner: &Scanner) -> Finding {
    let rf = rf.clone();
    let sha = rf.secret_sha256.to_ascii_lowercase();
    // Keep only the stem even if the report was made with `--no-redact`.
    let secret = Secret::unrecovered(rf.secret.trim_end_matches('…'), &sha);
    let snippet = redact_snippet(&rf.snippet, &secret, scanner, true);
    build_finding(rf, secret, snippet, None, rules)
}

/// Read the key with SHA-256 `sha` of `finding` (an object of a JSON
/// report's `findings`, from a history scan) back from `repo` alone: the blob
/// `commit:path` (at byte `offset` first, else anywhere in the blob; `path`
/// may name an archive member, `bundle.zip!conf/app.env`), the name at
/// `path` in the commit's tree, or the commit's or tag's metadata, as its
/// `location` says. `None` when it is gone or holds no such key.
pub fn key_from_repo(
    repo: &git2::Repository,
    rf: &FindingRecord,
    sha: &str,
    scanner: &Scanner,
) -> Option<Secret> {
    rf.commit.as_ref()?;
    recover(rf, sha, scanner, Some(repo), false, true)
        .ok()
        .map(|(secret, _)| secret)
}

/// The largest archive member read back into memory.
const MEMBER_LIMIT: u64 = 256 << 20;

/// `bytes` as a path (their own bytes on Unix; elsewhere, as UTF-8).
fn bytes_path(bytes: &[u8]) -> std::path::PathBuf {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        std::path::PathBuf::from(std::ffi::OsStr::from_bytes(bytes))
    }
    #[cfg(not(unix))]
    {
        std::path::PathBuf::from(String::from_utf8_lossy(bytes).into_owned())
    }
}

/// Reads the file or blob at a path: its bytes, or why not.
type Opener<'a> = dyn Fn(&[u8]) -> Result<Vec<u8>, String> + 'a;

/// The bytes at `path`, read by `open` (a file, or a blob of a commit's
/// tree); a path `a.zip!b/c.env` that `open` does not find is the member
/// `b/c.env` of the archive `a.zip` (the first `!` after which the rest
/// is a member that can be read; members nest).
fn read_through_archives(path: &[u8], open: &Opener<'_>) -> Result<Vec<u8>, String> {
    let whole = match open(path) {
        Ok(bytes) => return Ok(bytes),
        Err(e) => e,
    };
    let mut last = None;
    for (i, _) in path.iter().enumerate().filter(|(_, &b)| b == b'!') {
        let (outer, inner) = (&path[..i], &path[i + 1..]);
        let Ok(archive) = open(outer) else {
            continue;
        };
        let shown = String::from_utf8_lossy(outer);
        match crate::source::archive::read_member(
            &archive,
            &shown,
            &String::from_utf8_lossy(inner),
            MEMBER_LIMIT,
        ) {
            Ok(bytes) => return Ok(bytes),
            Err(e) => last = Some(e),
        }
    }
    Err(last.unwrap_or(whole))
}

/// The tree of `commit` (or of the tag `commit` names) in `repo`.
fn commit_tree<'r>(repo: &'r git2::Repository, commit: &str) -> Result<git2::Tree<'r>, String> {
    repo.revparse_single(commit)
        .and_then(|o| o.peel_to_tree())
        .map_err(|e| {
            format!(
                "commit {} not in the repository at `.`: {}",
                short(commit),
                e.message()
            )
        })
}

/// The blob at `path` in `commit`'s tree, through archive members.
fn blob_bytes(repo: &git2::Repository, commit: &str, path: &[u8]) -> Result<Vec<u8>, String> {
    let tree = commit_tree(repo, commit)?;
    let open = |p: &[u8]| -> Result<Vec<u8>, String> {
        let shown = String::from_utf8_lossy(p);
        tree.get_path(&bytes_path(p))
            .and_then(|entry| entry.to_object(repo))
            .and_then(|o| o.peel_to_blob())
            .map(|blob| blob.content().to_vec())
            .map_err(|_| {
                format!(
                    "blob `{}:{shown}` not in the repository at `.`",
                    short(commit)
                )
            })
    };
    read_through_archives(path, &open)
}

/// The file at `path`, through archive members.
fn file_bytes(path: &[u8]) -> Result<Vec<u8>, String> {
    let open = |p: &[u8]| -> Result<Vec<u8>, String> {
        let file = bytes_path(p);
        if file.is_dir() {
            return Err(format!("`{}` is a folder", String::from_utf8_lossy(p)));
        }
        std::fs::read(&file)
            .map_err(|e| format!("cannot read `{}`: {e}", String::from_utf8_lossy(p)))
    };
    read_through_archives(path, &open)
}

/// The [`Finding`] for a report entry whose key is `secret`.
fn build_finding(
    rf: FindingRecord,
    secret: Secret,
    snippet: Snippet,
    problem: Option<&str>,
    rules: &RuleSet,
) -> Finding {
    let rule = rules
        .get(&rf.rule_id)
        .or_else(|| rule_for(rules, secret.expose()));
    let location = location_of(&rf).unwrap_or_default();
    let commit = rf.commit.as_ref().map(|id| {
        let (name, email) = split_author(rf.author.as_deref().unwrap_or_default());
        CommitInfo {
            id: id.clone(),
            author_name: name,
            author_email: email,
            date: rf.date.clone().unwrap_or_default(),
        }
    });
    Finding {
        rule_name: Some(rf.rule_name)
            .filter(|n| !n.is_empty())
            .or_else(|| rule.map(|r| r.name.clone()))
            .unwrap_or_else(|| rf.rule_id.clone()),
        product: Some(rf.product)
            .filter(|p| !p.is_empty())
            .or_else(|| rule.map(|r| r.product.clone()))
            .unwrap_or_default(),
        severity: rule.map_or(Severity::Error, |r| r.severity),
        rule_id: rf.rule_id,
        uri: rf.path.replace('\\', "/"),
        raw_path: rf.path_hex.as_deref().and_then(|h| hex::decode(h).ok()),
        path: rf.path,
        line: rf.line,
        column: rf.column,
        end_column: rf.end_column,
        offset: rf.offset.unwrap_or_default(),
        secret,
        encoding: rf
            .encoding
            .as_deref()
            .and_then(Encoding::parse)
            .unwrap_or(Encoding::Raw),
        snippet,
        location,
        commit,
        note: None,
        related: Vec::new(),
        verification: match problem {
            Some(reason) => Verification::Unknown {
                reason: reason.to_string(),
            },
            None => Verification::Unverified,
        },
        key: None,
    }
}

/// `Name <email>` → (name, email).
fn split_author(author: &str) -> (String, String) {
    match author.rsplit_once(" <") {
        Some((name, email)) => (name.to_string(), email.trim_end_matches('>').to_string()),
        None => (author.to_string(), String::new()),
    }
}

/// The location a report entry names; an error for one this version does
/// not know (from a newer misar-scan).
fn location_of(rf: &FindingRecord) -> Result<Location, String> {
    match rf.location.as_deref() {
        None => Ok(Location::File),
        Some(name) => Location::parse(name).ok_or_else(|| {
            format!(
                "unknown location `{}` (a report from a newer misar-scan?)",
                crate::secret::redact_key_shaped(crate::secret::clip(name, 40))
            )
        }),
    }
}

/// Find the key again where the report says it was; the reason when it cannot be found.
fn read_back(
    rf: &FindingRecord,
    sha: &str,
    scanner: &Scanner,
    repo: Option<&git2::Repository>,
    redact_output: bool,
) -> Result<(Secret, Snippet), String> {
    recover(rf, sha, scanner, repo, true, redact_output).map_err(|tried| {
        format!(
            "key not recovered from the redacted report ({}); re-scan with `--verify`, or use a `--no-redact` report",
            tried.join("; ")
        )
    })
}

/// Find the key again: in the content of the file or blob at `path`, in
/// the name at `path`, or in commit or tag metadata, as the entry's
/// location says; in `repo` for history findings, and in the work tree
/// (the current directory) when `work_tree`. Only a key whose SHA-256 is
/// `sha` is taken. What was tried, when it is not found.
fn recover(
    rf: &FindingRecord,
    sha: &str,
    scanner: &Scanner,
    repo: Option<&git2::Repository>,
    work_tree: bool,
    redact_output: bool,
) -> Result<(Secret, Snippet), Vec<String>> {
    let location = location_of(rf).map_err(|e| vec![e])?;
    let mut tried = Vec::new();
    let no_repo = || "no git repository at `.` to read the commit from".to_string();
    match location {
        Location::File => {
            let path = rf
                .path_hex
                .as_deref()
                .and_then(|h| hex::decode(h).ok())
                .unwrap_or_else(|| rf.path.as_bytes().to_vec());
            if let Some(commit) = &rf.commit {
                match repo {
                    Some(repo) => match blob_bytes(repo, commit, &path) {
                        Ok(bytes) => {
                            if let Some(found) =
                                find_in(&bytes, rf.offset, sha, scanner, redact_output)
                            {
                                return Ok(found);
                            }
                            tried.push(format!("not in blob `{}:{}`", short(commit), rf.path));
                        }
                        Err(reason) => tried.push(reason),
                    },
                    None => tried.push(no_repo()),
                }
            }
            if work_tree {
                match file_bytes(&path) {
                    Ok(bytes) => {
                        if let Some(found) = find_in(&bytes, rf.offset, sha, scanner, redact_output)
                        {
                            return Ok(found);
                        }
                        tried.push(format!(
                            "no key with this secret_sha256 in `{}` any more",
                            rf.path
                        ));
                    }
                    Err(reason) => tried.push(reason),
                }
            }
        }
        Location::Path => {
            if let Some(commit) = &rf.commit {
                match repo.map(|repo| CommitTree::open(repo, commit)) {
                    Some(Ok(tree)) => {
                        if let Some(found) = find_in_names(&tree, rf, sha, scanner, redact_output) {
                            return Ok(found);
                        }
                        tried.push(format!(
                            "no name at `{}` in commit {} holds it",
                            rf.path,
                            short(commit)
                        ));
                    }
                    Some(Err(reason)) => tried.push(reason),
                    None => tried.push(no_repo()),
                }
            }
            if work_tree {
                if let Some(found) = find_in_names(&WorkTree, rf, sha, scanner, redact_output) {
                    return Ok(found);
                }
                tried.push(format!(
                    "no file, folder or archive member name at `{}` holds it any more",
                    rf.path
                ));
            }
        }
        meta => match (&rf.commit, repo) {
            (None, _) => tried.push(format!(
                "the report names no commit or tag for this `{}` finding",
                meta.as_str()
            )),
            (Some(_), None) => tried.push(no_repo()),
            (Some(id), Some(repo)) => match metadata_text(repo, id, meta) {
                Ok(text) => {
                    if let Some(found) = find_in(&text, rf.offset, sha, scanner, redact_output) {
                        return Ok(found);
                    }
                    tried.push(format!(
                        "not in the {} of {}",
                        meta.as_str().replace('-', " "),
                        short(id)
                    ));
                }
                Err(reason) => tried.push(reason),
            },
        },
    }
    Err(tried)
}

/// The text a metadata finding at `location` was found in: the author,
/// committer or message of commit `id`, or the tagger or message of the
/// annotated tag object `id` (the report's `commit` of tag findings).
fn metadata_text(repo: &git2::Repository, id: &str, location: Location) -> Result<Vec<u8>, String> {
    use crate::source::git::signature_text;
    let object = repo.revparse_single(id).map_err(|e| {
        format!(
            "object {} not in the repository at `.`: {}",
            short(id),
            e.message()
        )
    })?;
    let what = || {
        format!(
            "object {} is not the {} a `{}` finding names",
            short(id),
            if location.as_str().starts_with("tag") {
                "annotated tag"
            } else {
                "commit"
            },
            location.as_str()
        )
    };
    match location {
        Location::CommitAuthor | Location::CommitCommitter | Location::CommitMessage => {
            let commit = object.into_commit().map_err(|_| what())?;
            Ok(match location {
                Location::CommitAuthor => signature_text(&commit.author()),
                Location::CommitCommitter => signature_text(&commit.committer()),
                _ => commit.message_raw_bytes().to_vec(),
            })
        }
        Location::TagTagger | Location::TagMessage => {
            let tag = object.into_tag().map_err(|_| what())?;
            match location {
                Location::TagTagger => tag.tagger().map(|t| signature_text(&t)),
                _ => tag.message_bytes().map(<[u8]>::to_vec),
            }
            .ok_or_else(|| format!("tag {} has no {}", short(id), location.as_str()))
        }
        Location::File | Location::Path => Err(what()),
    }
}

/// Where names are listed and files read to find a key in a name again:
/// the work tree, or a commit's tree.
trait Names {
    /// The names in the folder `dir` (`""`: the top); `None` when it is not one.
    fn list(&self, dir: &[u8]) -> Option<Vec<Vec<u8>>>;
    /// Whether there is a file or folder at `path`.
    fn exists(&self, path: &[u8]) -> bool;
    /// The bytes of the file at `path`.
    fn read(&self, path: &[u8]) -> Result<Vec<u8>, String>;
}

/// The current directory.
struct WorkTree;

impl Names for WorkTree {
    fn list(&self, dir: &[u8]) -> Option<Vec<Vec<u8>>> {
        let dir = if dir.is_empty() {
            std::path::PathBuf::from(".")
        } else {
            bytes_path(dir)
        };
        let entries = std::fs::read_dir(dir).ok()?;
        Some(
            entries
                .filter_map(Result::ok)
                .map(|e| os_bytes(&e.file_name()))
                .collect(),
        )
    }

    fn exists(&self, path: &[u8]) -> bool {
        std::fs::symlink_metadata(bytes_path(path)).is_ok()
    }

    fn read(&self, path: &[u8]) -> Result<Vec<u8>, String> {
        file_bytes(path)
    }
}

/// The tree of a commit.
struct CommitTree<'r> {
    repo: &'r git2::Repository,
    commit: String,
    tree: git2::Tree<'r>,
}

impl<'r> CommitTree<'r> {
    fn open(repo: &'r git2::Repository, commit: &str) -> Result<Self, String> {
        let tree = commit_tree(repo, commit)?;
        Ok(Self {
            repo,
            commit: commit.to_string(),
            tree,
        })
    }
}

impl Names for CommitTree<'_> {
    fn list(&self, dir: &[u8]) -> Option<Vec<Vec<u8>>> {
        let names = |tree: &git2::Tree<'_>| tree.iter().map(|e| e.name_bytes().to_vec()).collect();
        if dir.is_empty() {
            return Some(names(&self.tree));
        }
        let entry = self.tree.get_path(&bytes_path(dir)).ok()?;
        let object = entry.to_object(self.repo).ok()?;
        object.as_tree().map(names)
    }

    fn exists(&self, path: &[u8]) -> bool {
        self.tree.get_path(&bytes_path(path)).is_ok()
    }

    fn read(&self, path: &[u8]) -> Result<Vec<u8>, String> {
        blob_bytes(self.repo, &self.commit, path)
    }
}

/// An OS file name's bytes (their own on Unix; elsewhere, as UTF-8).
fn os_bytes(name: &std::ffi::OsStr) -> Vec<u8> {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        name.as_bytes().to_vec()
    }
    #[cfg(not(unix))]
    {
        name.to_string_lossy().into_owned().into_bytes()
    }
}

/// The most real paths one redacted path is matched against.
const NAME_CANDIDATES: usize = 64;

/// Whether `name` is shown as `shown` in a redacted report.
fn shows_as(name: &[u8], shown: &str) -> bool {
    crate::secret::redact_key_shaped(&String::from_utf8_lossy(name)) == shown
}

/// `dir/name` (`name` alone at the top).
fn join(dir: &[u8], name: &[u8]) -> Vec<u8> {
    match dir {
        [] => name.to_vec(),
        [.., b'/'] => [dir, name].concat(),
        _ => [dir, b"/", name].concat(),
    }
}

/// The paths in `names` that a report shows as `shown`: each name with a
/// redacted key (or bytes that are not UTF-8) is found by listing its
/// folder. At most [`NAME_CANDIDATES`]; only paths that exist.
fn unredact(names: &dyn Names, shown: &str) -> Vec<Vec<u8>> {
    let (mut paths, rest) = match shown.strip_prefix('/') {
        Some(rest) => (vec![b"/".to_vec()], rest),
        None => (vec![Vec::new()], shown),
    };
    for part in rest.split('/') {
        let mut next = Vec::new();
        for dir in &paths {
            if part.contains(['…', '\u{FFFD}']) {
                for name in names.list(dir).unwrap_or_default() {
                    if shows_as(&name, part) {
                        next.push(join(dir, &name));
                    }
                }
            } else {
                next.push(join(dir, part.as_bytes()));
            }
        }
        next.truncate(NAME_CANDIDATES);
        paths = next;
        if paths.is_empty() {
            break;
        }
    }
    paths.retain(|p| names.exists(p));
    paths
}

/// The member paths (`conf/app.env`, a folder `conf`, or through nested
/// archives `plugins/p.zip!deep/key.txt`) of the archive `bytes` at `path`
/// that a report shows as `shown`.
fn unredact_members(bytes: &[u8], path: &str, shown: &str, depth: usize) -> Vec<String> {
    let Ok(members) = crate::source::archive::member_names(bytes, path) else {
        return Vec::new();
    };
    let mut out: Vec<String> = Vec::new();
    for name in &members {
        // The member itself, or one of the folders it is in.
        let cuts = name
            .match_indices('/')
            .map(|(i, _)| i)
            .chain(std::iter::once(name.len()));
        for cut in cuts {
            let prefix = &name[..cut];
            if shows_as(prefix.as_bytes(), shown) && !out.iter().any(|o| o == prefix) {
                out.push(prefix.to_string());
            }
        }
    }
    if depth < crate::source::archive::MAX_DEPTH {
        for (i, _) in shown.match_indices('!') {
            let (outer, inner) = (&shown[..i], &shown[i + 1..]);
            for name in members.iter().filter(|n| shows_as(n.as_bytes(), outer)) {
                let Ok(nested) =
                    crate::source::archive::read_member(bytes, path, name, MEMBER_LIMIT)
                else {
                    continue;
                };
                let here = format!("{path}!{name}");
                for rest in unredact_members(&nested, &here, inner, depth + 1) {
                    out.push(format!("{name}!{rest}"));
                }
            }
        }
    }
    out.truncate(NAME_CANDIDATES);
    out
}

/// The key with hash `sha` in a name of the path a report entry shows (a
/// file, folder or archive member name, `rf.path` redacted), listed in
/// `names`.
fn find_in_names(
    names: &dyn Names,
    rf: &FindingRecord,
    sha: &str,
    scanner: &Scanner,
    redact_output: bool,
) -> Option<(Secret, Snippet)> {
    let in_path = |real: &str| find_in(real.as_bytes(), rf.offset, sha, scanner, redact_output);
    let lossy = |p: &[u8]| String::from_utf8_lossy(p).into_owned();
    if let Some(found) = unredact(names, &rf.path)
        .iter()
        .find_map(|p| in_path(&lossy(p)))
    {
        return Some(found);
    }
    // A member of an archive: the archive at the path before a `!`.
    for (i, _) in rf.path.match_indices('!') {
        let (outer, inner) = (&rf.path[..i], &rf.path[i + 1..]);
        for archive in unredact(names, outer) {
            let Ok(bytes) = names.read(&archive) else {
                continue;
            };
            let archive = lossy(&archive);
            for member in unredact_members(&bytes, &archive, inner, 1) {
                if let Some(found) = in_path(&format!("{archive}!{member}")) {
                    return Some(found);
                }
            }
        }
    }
    None
}

fn short(commit: &str) -> &str {
    crate::secret::clip(commit, 12)
}

/// The key with hash `sha` in `bytes`: at `offset` first, else anywhere.
fn find_in(
    bytes: &[u8],
    offset: Option<u64>,
    sha: &str,
    scanner: &Scanner,
    redact_output: bool,
) -> Option<(Secret, Snippet)> {
    let mut scratch: Vec<Candidate> = Vec::new();
    let hit_at = |from: usize, to: usize, scratch: &mut Vec<Candidate>| {
        scanner
            .hits(bytes, from, to, LinePos::START, redact_output, scratch)
            .into_iter()
            .find(|h| sha256_hex(h.key.as_bytes()) == sha)
    };
    let at = offset
        .and_then(|o| usize::try_from(o).ok())
        .filter(|&o| o < bytes.len())
        .and_then(|o| hit_at(o, o + 1, &mut scratch));
    let hit = at.or_else(|| hit_at(0, bytes.len(), &mut scratch))?;
    Some((Secret::new(hit.key), hit.snippet))
}

/// A report's snippet made safe for this run's output: every key in it
/// redacted when the output is (a `--no-redact` report holds full keys).
fn redact_snippet(text: &str, secret: &Secret, scanner: &Scanner, redact_output: bool) -> Snippet {
    let mut out = text.to_string();
    if redact_output {
        let mut found = Vec::new();
        scanner.find(text.as_bytes(), &mut found);
        for c in found.iter().rev() {
            out.replace_range(c.start..c.end, &redact(&text[c.start..c.end]));
        }
    }
    let shown = secret.display(redact_output);
    let key = out.find(&shown).map_or(0..0, |i| i..i + shown.len());
    Snippet { text: out, key }
}

/// Keys on standard input, one per line; problems (lines that are not
/// exactly one key) are returned as messages that never hold the line.
pub fn from_lines(
    input: impl BufRead,
    rules: &RuleSet,
    scanner: &Scanner,
    redact_output: bool,
) -> Result<(Vec<Loaded>, Vec<String>)> {
    let mut loaded = Vec::new();
    let mut problems = Vec::new();
    for (i, line) in input.lines().enumerate() {
        let line = line.context("failed to read keys from standard input")?;
        let key = line.trim();
        if key.is_empty() || key.starts_with('#') {
            continue;
        }
        let mut found = Vec::new();
        scanner.find(key.as_bytes(), &mut found);
        let rule = match found.as_slice() {
            [c] if c.start == 0 && c.end == key.len() => &rules.rules()[c.rule],
            _ => {
                problems.push(format!(
                    "line {} of standard input (`{}`) is not a Misar key of a loaded rule (or is a placeholder); skipped",
                    i + 1,
                    redact(key)
                ));
                continue;
            }
        };
        let secret = Secret::new(key);
        let shown = secret.display(redact_output);
        loaded.push(Loaded {
            finding: Finding {
                rule_id: rule.id.clone(),
                rule_name: rule.name.clone(),
                product: rule.product.clone(),
                severity: rule.severity,
                path: "<stdin>".into(),
                uri: "stdin".into(),
                raw_path: None,
                line: i + 1,
                column: 1,
                end_column: 1 + key.len(),
                offset: 0,
                snippet: Snippet {
                    key: 0..shown.len(),
                    text: shown,
                },
                secret,
                encoding: Encoding::Raw,
                location: crate::finding::Location::File,
                commit: None,
                note: None,
                related: Vec::new(),
                verification: Verification::Unverified,
                key: None,
            },
            problem: None,
        });
    }
    Ok((loaded, problems))
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "msk_u8jzPde0IgxLd6GncfBAepfJBd0Kh8oO"; // misar-scan:allow (fake test key)
    const OTHER: &str = "mdk_Zq81LmXv0Pa9TnWc4RbYe7Hs2KdGf5Ju"; // misar-scan:allow (fake test key)

    fn scanner() -> (RuleSet, Scanner) {
        let rules = RuleSet::embedded().expect("embedded rules");
        let scanner = Scanner::new(&rules, &[]);
        (rules, scanner)
    }

    #[test]
    fn a_key_is_found_at_its_offset_or_anywhere_by_hash_only() {
        let (_, scanner) = scanner();
        let text = format!("a = \"{OTHER}\"\nb = \"{KEY}\"\n");
        let offset = text.find(KEY).unwrap() as u64;
        let sha = sha256_hex(KEY.as_bytes());
        let (s, snip) = find_in(text.as_bytes(), Some(offset), &sha, &scanner, true).unwrap();
        assert_eq!(s.expose(), KEY);
        assert!(!snip.text.contains(KEY), "{}", snip.text);
        // Moved: a stale offset still finds it by hash.
        let (s, _) = find_in(text.as_bytes(), Some(3), &sha, &scanner, true).unwrap();
        assert_eq!(s.expose(), KEY);
        assert!(find_in(b"nothing here", Some(0), &sha, &scanner, true).is_none());
    }

    #[test]
    fn report_snippets_are_redacted_for_redacted_output() {
        let (_, scanner) = scanner();
        let secret = Secret::new(KEY);
        let snip = redact_snippet(&format!("k={KEY} o={OTHER}"), &secret, &scanner, true);
        assert_eq!(snip.text, "k=msk_u8jz… o=mdk_Zq81…");
        assert_eq!(&snip.text[snip.key.clone()], "msk_u8jz…");
    }

    #[test]
    fn stdin_lines_must_be_exactly_one_key() {
        let (rules, scanner) = scanner();
        let input = format!("{KEY}\n\n# note\nmsk_your_api_key\nBearer {OTHER}\n");
        let (loaded, problems) = from_lines(input.as_bytes(), &rules, &scanner, true).unwrap();
        assert_eq!(loaded.len(), 1);
        assert_eq!(loaded[0].finding.secret.expose(), KEY);
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(problems.iter().all(|p| !p.contains(OTHER)));
    }

    #[test]
    fn member_names_are_matched_by_their_redacted_form_only() {
        use std::io::Write;
        let mut buf = std::io::Cursor::new(Vec::new());
        {
            let mut zip = zip::ZipWriter::new(&mut buf);
            for name in [format!("cfg/{KEY}.txt"), format!("{OTHER}/a.txt")] {
                zip.start_file(name, zip::write::SimpleFileOptions::default())
                    .unwrap();
                zip.write_all(b"x").unwrap();
            }
            zip.finish().unwrap();
        }
        let zip = buf.into_inner();
        assert_eq!(
            unredact_members(&zip, "b.zip", "cfg/msk_u8jz….txt", 1),
            [format!("cfg/{KEY}.txt")]
        );
        // A folder name: the prefix of the members in it.
        assert_eq!(
            unredact_members(&zip, "b.zip", "mdk_Zq81…", 1),
            [OTHER.to_string()]
        );
        assert!(unredact_members(&zip, "b.zip", "cfg/msk_XXXX….txt", 1).is_empty());
    }

    #[test]
    fn locations_parse_back_from_their_report_values() {
        for l in [
            Location::File,
            Location::Path,
            Location::CommitAuthor,
            Location::CommitCommitter,
            Location::CommitMessage,
            Location::TagTagger,
            Location::TagMessage,
        ] {
            assert_eq!(Location::parse(l.as_str()), Some(l));
        }
        assert_eq!(Location::parse("commit-notes"), None);
    }

    #[test]
    fn authors_split_into_name_and_email() {
        assert_eq!(
            split_author("Ada Lovelace <ada@example.com>"),
            ("Ada Lovelace".into(), "ada@example.com".into())
        );
    }
}
