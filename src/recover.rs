//! Keys to verify or revoke, from a JSON report or standard input.
//!
//! JSON reports are redacted by default: they hold each key's stem and
//! `secret_sha256`, not the key. So each key is **read back** from where the
//! report says it was — the file at `path` (relative to the current
//! directory), or for history findings the blob `commit:path` of the git
//! repository at `.` — and accepted only if its SHA-256 equals the report's
//! `secret_sha256`: first at the recorded byte `offset`, else anywhere in that
//! file (code moves). A path `bundle.zip!conf/app.env` is a member of an
//! archive (through nested archives too): the archive is opened and the
//! member read. Where the path is not UTF-8, the report's `path_hex` gives
//! its bytes. A report made with `--no-redact` holds the key itself,
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
use crate::finding::{CommitInfo, Finding, Verification};
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
    findings: Vec<ReportFinding>,
}

#[derive(Deserialize)]
struct ReportFinding {
    rule_id: String,
    #[serde(default)]
    rule_name: Option<String>,
    #[serde(default)]
    product: Option<String>,
    path: String,
    /// The bytes of `path` in hex, when they are not UTF-8.
    #[serde(default)]
    path_hex: Option<String>,
    #[serde(default)]
    line: usize,
    #[serde(default)]
    column: usize,
    #[serde(default)]
    end_column: usize,
    #[serde(default)]
    offset: Option<u64>,
    #[serde(default)]
    secret: String,
    secret_sha256: String,
    #[serde(default)]
    snippet: String,
    #[serde(default)]
    commit: Option<String>,
    #[serde(default)]
    author: Option<String>,
    #[serde(default)]
    date: Option<String>,
    #[serde(default)]
    encoding: Option<String>,
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
    rf: ReportFinding,
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

/// A finding of a JSON report (one object of its `findings` array) as a
/// [`Finding`], without reading the key back: its secret is the report's
/// redacted stem and `secret_sha256` ([`Secret::unrecovered`]), its snippet
/// the report's. For re-rendering reports (`report merge`), never for the API.
pub fn finding_from_json(
    value: &serde_json::Value,
    rules: &RuleSet,
    scanner: &Scanner,
) -> Result<Finding> {
    let rf: ReportFinding = serde_json::from_value(value.clone())
        .context("invalid finding: expected an object of a misar-scan JSON report")?;
    let sha = rf.secret_sha256.to_ascii_lowercase();
    // Keep only the stem even if the report was made with `--no-redact`.
    let secret = Secret::unrecovered(rf.secret.trim_end_matches('…'), &sha);
    let snippet = redact_snippet(&rf.snippet, &secret, scanner, true);
    Ok(build_finding(rf, secret, snippet, None, rules))
}

/// Read the key with SHA-256 `sha` back from the blob `commit:path` of
/// `repo` (at byte `offset` first, else anywhere in the blob; `path` may name
/// an archive member, `bundle.zip!conf/app.env`). `None` when the blob is
/// gone or holds no such key.
pub fn key_from_blob(
    repo: &git2::Repository,
    commit: &str,
    path: &str,
    offset: Option<u64>,
    sha: &str,
    scanner: &Scanner,
) -> Option<Secret> {
    let bytes = blob_bytes(repo, commit, path.as_bytes()).ok()?;
    find_in(&bytes, offset, sha, scanner, true).map(|(secret, _)| secret)
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

/// The blob at `path` in `commit`'s tree, through archive members.
fn blob_bytes(repo: &git2::Repository, commit: &str, path: &[u8]) -> Result<Vec<u8>, String> {
    let tree = repo
        .revparse_single(commit)
        .and_then(|o| o.peel_to_tree())
        .map_err(|e| {
            format!(
                "commit {} not in the repository at `.`: {}",
                short(commit),
                e.message()
            )
        })?;
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
    rf: ReportFinding,
    secret: Secret,
    snippet: Snippet,
    problem: Option<&str>,
    rules: &RuleSet,
) -> Finding {
    let rule = rules
        .get(&rf.rule_id)
        .or_else(|| rule_for(rules, secret.expose()));
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
        rule_name: rf
            .rule_name
            .or_else(|| rule.map(|r| r.name.clone()))
            .unwrap_or_else(|| rf.rule_id.clone()),
        product: rf
            .product
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
        location: crate::finding::Location::File,
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

/// Find the key again in its file or blob; the reason when it cannot be found.
fn read_back(
    rf: &ReportFinding,
    sha: &str,
    scanner: &Scanner,
    repo: Option<&git2::Repository>,
    redact_output: bool,
) -> Result<(Secret, Snippet), String> {
    let path = rf
        .path_hex
        .as_deref()
        .and_then(|h| hex::decode(h).ok())
        .unwrap_or_else(|| rf.path.as_bytes().to_vec());
    let mut tried = Vec::new();
    if let Some(commit) = &rf.commit {
        match repo {
            Some(repo) => match blob_bytes(repo, commit, &path) {
                Ok(bytes) => {
                    if let Some(found) = find_in(&bytes, rf.offset, sha, scanner, redact_output) {
                        return Ok(found);
                    }
                    tried.push(format!("not in blob `{}:{}`", short(commit), rf.path));
                }
                Err(reason) => tried.push(reason),
            },
            None => tried.push("no git repository at `.` to read the commit from".to_string()),
        }
    }
    match file_bytes(&path) {
        Ok(bytes) => {
            if let Some(found) = find_in(&bytes, rf.offset, sha, scanner, redact_output) {
                return Ok(found);
            }
            tried.push(format!(
                "no key with this secret_sha256 in `{}` any more",
                rf.path
            ));
        }
        Err(reason) => tried.push(reason),
    }
    Err(format!(
        "key not recovered from the redacted report ({}); re-scan with `--verify`, or use a `--no-redact` report",
        tried.join("; ")
    ))
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
    fn authors_split_into_name_and_email() {
        assert_eq!(
            split_author("Ada Lovelace <ada@example.com>"),
            ("Ada Lovelace".into(), "ada@example.com".into())
        );
    }
}
