//! What the agent hooks share (SPEC §5): the repository configuration found
//! from the session's folder, the scanner built from it, every string of a
//! JSON value with its path, and the one redacted line that says why a call
//! or prompt was blocked. Used by [`super::claude_code`] (Claude Code,
//! Codex) and [`super::cursor`].

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde_json::Value;

use crate::config::{load_rules, RepoConfig, FILE_NAME};
use crate::engine::content::ContentLinter;
use crate::engine::location::LinePos;
use crate::engine::Scanner;
use crate::finding::Finding;
use crate::rules::RuleSet;
use crate::source::{Problems, Provenance, ScanContext};

/// The configuration of the folder a hook event comes from and the scanner
/// built from it.
pub(crate) struct Checker {
    pub(crate) config: RepoConfig,
    rules: RuleSet,
    scanner: Scanner,
    problems: Problems,
    archives: bool,
    linter: Option<ContentLinter>,
}

impl Checker {
    /// The `.misar-scan.toml` found from `cwd` ([`discover_config`]) and its rules.
    pub(crate) fn new(cwd: &Path) -> Result<Self> {
        let config = discover_config(cwd)?;
        let rules = load_rules(None, &config)?;
        let scanner = Scanner::new(&rules, &config.placeholder_words);
        Ok(Self {
            config,
            rules,
            scanner,
            problems: Problems::silent(),
            archives: false,
            linter: None,
        })
    }

    /// For a push: the configuration at `config` or found from `cwd`,
    /// archives and content lints as `scan` has them, problems reported to
    /// `problems`.
    pub(crate) fn for_push(cwd: &Path, config: Option<&Path>, problems: Problems) -> Result<Self> {
        let config = match config {
            Some(path) => RepoConfig::load(path)?,
            None => discover_config(cwd)?,
        };
        let rules = load_rules(None, &config)?;
        let scanner = Scanner::new(&rules, &config.placeholder_words);
        let linter = ContentLinter::new(&rules);
        Ok(Self {
            config,
            rules,
            scanner,
            problems,
            archives: true,
            linter,
        })
    }

    /// The problems reported so far.
    pub(crate) fn problems(&self) -> &Problems {
        &self.problems
    }

    /// A redacting scan context over this configuration.
    pub(crate) fn ctx(&self) -> ScanContext<'_> {
        ScanContext {
            scanner: &self.scanner,
            rules: &self.rules,
            config: &self.config,
            redact: true,
            archives: self.archives,
            archive_limit: if self.archives {
                crate::source::archive::DEFAULT_LIMIT
            } else {
                0
            },
            problems: &self.problems,
            linter: self.linter.as_ref(),
        }
    }

    /// Whether `path` is skipped by `allowlist.paths`, as `scan` skips it.
    pub(crate) fn path_allowed(&self, path: &Path) -> bool {
        self.config.has_path_allowlist() && self.config.path_allowed(&canonical_target(path))
    }
}

/// The line of a block: the first finding at its place, and how many
/// distinct keys were found in all.
pub(crate) fn block_reason(found: &[(Place, Finding)], tool: &str) -> Option<String> {
    let (place, first) = found.first()?;
    let distinct: std::collections::BTreeSet<&str> =
        found.iter().map(|(_, f)| f.secret.sha256()).collect();
    Some(reason(place, first, distinct.len(), tool))
}

/// Where a key was found.
#[derive(Debug)]
pub(crate) enum Place {
    /// A string of `tool_input`, by its path (`tool_input.edits[0].new_string`).
    Field(String),
    /// A file the agent would show the model (a `Read`, Cursor's `beforeReadFile`).
    File(String),
    /// The prompt.
    Prompt,
}

/// The one line the agent shows: which key (redacted), where, and what to
/// do instead. Made safe for a terminal, every key-shaped run redacted.
pub(crate) fn reason(place: &Place, first: &Finding, keys: usize, tool: &str) -> String {
    let key = format!("a {} ({})", first.rule_name, first.secret.display(true));
    let more = match keys {
        1 => String::new(),
        2 => " and 1 more key".to_string(),
        n => format!(" and {} more keys", n - 1),
    };
    let advice = "Keys must not pass through the agent: keep the key in an environment variable set outside the session and refer to it by name (for example \"$MISAR_API_KEY\"), never by value.";
    let line = match place {
        Place::Field(field) => format!(
            "misar-scan blocked this {tool} call: `{field}` holds {key}{more}. {advice}"
        ),
        Place::File(file) => format!(
            "misar-scan blocked this {tool}: `{file}` holds {key} on line {}{more}, which would be sent to the model. {advice}",
            first.line
        ),
        Place::Prompt => format!(
            "misar-scan blocked this prompt, which holds {key}{more}: it was not sent. {advice}"
        ),
    };
    crate::sanitize::field(&line, true)
}

/// The `.misar-scan.toml` of the folder `cwd` lies in: the nearest one in
/// `cwd` or a parent, up to the folder holding `.git` (the repository's
/// root). None: the empty configuration.
pub(crate) fn discover_config(cwd: &Path) -> Result<RepoConfig> {
    for dir in cwd.ancestors() {
        let candidate = dir.join(FILE_NAME);
        if candidate.is_file() {
            return RepoConfig::load(&candidate);
        }
        if dir.join(".git").exists() {
            break;
        }
    }
    Ok(RepoConfig::empty())
}

/// `path` made canonical, or for a file not yet written its canonical
/// folder joined with its name: what `allowlist.paths` matches against.
pub(crate) fn canonical_target(path: &Path) -> PathBuf {
    if let Ok(p) = path.canonicalize() {
        return p;
    }
    match (path.parent(), path.file_name()) {
        (Some(dir), Some(name)) => dir
            .canonicalize()
            .map_or_else(|_| path.to_path_buf(), |d| d.join(name)),
        _ => path.to_path_buf(),
    }
}

/// Every string in `value` with its path (object keys too, at the path of
/// their value), skipping `old_string` members when `skip_removed`.
pub(crate) fn collect_strings<'a>(
    value: &'a Value,
    path: &mut String,
    skip_removed: bool,
    out: &mut Vec<(String, &'a str)>,
) {
    match value {
        Value::String(s) => out.push((path.clone(), s)),
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                let len = path.len();
                path.push_str(&format!("[{i}]"));
                collect_strings(item, path, skip_removed, out);
                path.truncate(len);
            }
        }
        Value::Object(map) => {
            for (name, item) in map {
                if skip_removed && name == "old_string" {
                    continue;
                }
                let len = path.len();
                push_member(path, name);
                out.push((path.clone(), name));
                collect_strings(item, path, skip_removed, out);
                path.truncate(len);
            }
        }
        Value::Null | Value::Bool(_) | Value::Number(_) => {}
    }
}

/// `.name` for a plain name, else `["…"]` (JSON-quoted).
fn push_member(path: &mut String, name: &str) {
    let plain = name
        .bytes()
        .next()
        .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if plain {
        path.push('.');
        path.push_str(name);
    } else {
        path.push('[');
        path.push_str(&serde_json::to_string(name).unwrap_or_default());
        path.push(']');
    }
}

/// The keys in `text`, reported at `at` (a field path or `prompt`).
pub(crate) fn scan_text(ctx: &ScanContext<'_>, text: &[u8], at: &str) -> Vec<Finding> {
    let mut scratch = Vec::new();
    let (hits, _) = ctx.scan_buffer(text, 0, text.len(), LinePos::START, false, &mut scratch);
    let mut out = Vec::new();
    if !hits.is_empty() {
        ctx.findings(hits, 0, &provenance(at), &mut out);
    }
    out
}

/// The keys in the regular file at `path` (shown as `shown`), read in
/// chunks. A path that does not exist or is not a regular file (a folder,
/// a FIFO that would block) holds nothing the tool could show.
pub(crate) fn scan_file(ctx: &ScanContext<'_>, path: &Path, shown: &str) -> Result<Vec<Finding>> {
    let is_file = std::fs::metadata(path).is_ok_and(|m| m.is_file());
    if !is_file {
        return Ok(Vec::new());
    }
    let shown = crate::sanitize::field(shown, true);
    let mut file =
        std::fs::File::open(path).with_context(|| format!("could not read `{shown}`"))?;
    let mut buf = vec![0; crate::source::stream::CHUNK];
    let (mut scratch, mut out) = (Vec::new(), Vec::new());
    crate::source::stream::scan_stream(
        &mut file,
        &shown,
        &|| provenance(&shown),
        ctx,
        &mut buf,
        &mut scratch,
        &mut out,
    )
    .with_context(|| format!("could not read `{shown}`"))?;
    Ok(out)
}

fn provenance(at: &str) -> Provenance {
    Provenance {
        path: at.to_string(),
        uri: at.to_string(),
        raw: None,
        commit: None,
    }
}
