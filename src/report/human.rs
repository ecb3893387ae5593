//! The human report: one compiler-style diagnostic per finding
//! (codespan-reporting), then a one-line summary.
//!
//! The source line shown is the finding's snippet, which was redacted,
//! clipped and stripped of control and bidi characters when it was made.
//! Colour only when asked (a terminal, no `NO_COLOR`).

use codespan_reporting::diagnostic::{Diagnostic, Label, Severity as DiagSeverity};
use codespan_reporting::files::{Error as FilesError, Files};
use codespan_reporting::term::{self, Config};

use super::Report;
use crate::engine::decode::Encoding;
use crate::finding::{Finding, Verification};
use crate::rules::{LintCheck, RuleSet, Severity};

/// Serves each finding's snippet as a one-line "file" at the finding's real
/// line; the bool says whether key-shaped runs in names are redacted.
struct Snippets<'a>(&'a [Finding], bool);

impl<'a> Files<'a> for Snippets<'a> {
    type FileId = usize;
    type Name = String;
    type Source = &'a str;

    fn name(&'a self, id: usize) -> Result<String, FilesError> {
        let f = self.get(id)?;
        // The path comes from the scanned tree, which may be hostile: no
        // escapes, line breaks or bidi controls reach the terminal.
        let path = crate::sanitize::field(&f.path, self.1);
        Ok(match &f.commit {
            Some(c) => format!(
                "{path} @ {}",
                crate::sanitize::field(crate::secret::clip(&c.id, 12), self.1)
            ),
            None => path,
        })
    }

    fn source(&'a self, id: usize) -> Result<&'a str, FilesError> {
        Ok(&self.get(id)?.snippet.text)
    }

    fn line_index(&'a self, id: usize, _byte_index: usize) -> Result<usize, FilesError> {
        self.get(id).map(|_| 0)
    }

    fn line_number(&'a self, id: usize, _line_index: usize) -> Result<usize, FilesError> {
        Ok(self.get(id)?.line)
    }

    fn column_number(
        &'a self,
        id: usize,
        _line: usize,
        byte_index: usize,
    ) -> Result<usize, FilesError> {
        let f = self.get(id)?;
        let text = &f.snippet.text;
        let key = f.snippet.key.start.min(text.len());
        let byte_index = byte_index.min(text.len());
        Ok(if byte_index >= key {
            f.column + text.get(key..byte_index).map_or(0, |s| s.chars().count())
        } else {
            f.column
                .saturating_sub(text.get(byte_index..key).map_or(0, |s| s.chars().count()))
                .max(1)
        })
    }

    fn line_range(
        &'a self,
        id: usize,
        _line_index: usize,
    ) -> Result<std::ops::Range<usize>, FilesError> {
        Ok(0..self.get(id)?.snippet.text.len())
    }
}

impl Snippets<'_> {
    fn get(&self, id: usize) -> Result<&Finding, FilesError> {
        self.0.get(id).ok_or(FilesError::FileMissing)
    }
}

fn diagnostic(id: usize, f: &Finding, rules: &RuleSet, redact: bool) -> Diagnostic<usize> {
    let severity = match f.severity {
        Severity::Error => DiagSeverity::Error,
        Severity::Warning => DiagSeverity::Warning,
        Severity::Note => DiagSeverity::Note,
    };
    let lint = rules.lint(&f.rule_id);
    let mut notes: Vec<String> = Vec::new();
    if lint.is_none_or(|l| l.check != LintCheck::WebhookSignatureTimingUnsafe) {
        notes.push(format!(
            "secret_sha256: {}   verification: {}",
            f.secret.sha256(),
            describe_verification(&f.verification)
        ));
    }
    if let Some(k) = &f.key {
        // Fields from the API: a lying server could echo the key or send
        // terminal escapes in them.
        let shown = |s: &str| {
            let key = f.secret.expose();
            let s = if key.len() >= 8 {
                s.replace(key, &f.secret.redacted())
            } else {
                s.to_string()
            };
            crate::sanitize::sanitize(&s)
        };
        notes.push(format!(
            "key id {}{}, scopes [{}], last used {}",
            shown(&k.id),
            k.name
                .as_deref()
                .map(|n| format!(" \"{}\"", shown(n)))
                .unwrap_or_default(),
            shown(&k.scopes.join(", ")),
            shown(k.last_used_at.as_deref().unwrap_or("never"))
        ));
    }
    if let Some(c) = &f.commit {
        // Author names come from the repository, which may be hostile.
        notes.push(crate::sanitize::field(
            &format!(
                "introduced in commit {} by {} <{}> on {}",
                c.id, c.author_name, c.author_email, c.date
            ),
            redact,
        ));
    }
    notes.push(match rules.lint(&f.rule_id) {
        Some(lint) => format!("help: {}", first_step(&lint.remediation)),
        None => format!(
            "help: revoke this {} key and move its replacement to a secret store",
            f.product
        ),
    });
    let (message, label) = match (lint, &f.note) {
        (Some(l), Some(note)) => (l.name.clone(), crate::sanitize::field(note, redact)),
        (None, Some(note)) => (
            format!("{} found", f.rule_name),
            crate::sanitize::field(note, redact),
        ),
        _ => (
            format!("{} found", f.rule_name),
            match f.encoding {
                Encoding::Raw => format!("{} key {}", f.product, f.secret.display(redact)),
                e => format!(
                    "{} key {}, {}-encoded",
                    f.product,
                    f.secret.display(redact),
                    e.as_str()
                ),
            },
        ),
    };
    Diagnostic::new(severity)
        .with_code(f.rule_id.clone())
        .with_message(message)
        .with_labels(vec![
            Label::primary(id, f.snippet.key.clone()).with_message(label)
        ])
        .with_notes(notes)
}

fn describe_verification(v: &Verification) -> String {
    match v {
        Verification::Live {
            can_manage_keys: true,
        } => "LIVE (holds keys:manage)".into(),
        Verification::Live {
            can_manage_keys: false,
        } => "LIVE".into(),
        Verification::Unknown { reason } => format!("unknown ({reason})"),
        other => other.as_str().into(),
    }
}

/// The first step of a Markdown remediation, as plain text.
fn first_step(markdown: &str) -> String {
    let line = markdown
        .lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or_default();
    let line = line
        .trim()
        .trim_start_matches(|c: char| c.is_ascii_digit() || c == '.' || c == '-' || c == ' ');
    line.replace("**", "")
}

fn plural(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

fn human_bytes(n: u64) -> String {
    match n {
        0..1_000 => plural(n, "byte", "bytes"),
        1_000..1_000_000 => format!("{:.1} KB", n as f64 / 1e3),
        1_000_000..1_000_000_000 => format!("{:.1} MB", n as f64 / 1e6),
        _ => format!("{:.2} GB", n as f64 / 1e9),
    }
}

/// The summary line.
pub fn summary(report: &Report<'_>) -> String {
    let files: std::collections::BTreeSet<&str> =
        report.findings.iter().map(|f| f.path.as_str()).collect();
    let size = human_bytes(report.stats.bytes);
    let lints = report
        .findings
        .iter()
        .filter(|f| report.rules.lint(&f.rule_id).is_some())
        .count() as u64;
    let keys = report.findings.len() as u64 - lints;
    let in_files = plural(files.len() as u64, "file", "files");
    let mut line = match (keys, lints) {
        (0, 0) => "no Misar keys found".to_string(),
        (k, 0) => format!("{} found in {in_files}", plural(k, "key", "keys")),
        (0, l) => format!(
            "{} in {in_files}",
            plural(l, "key-hygiene finding", "key-hygiene findings")
        ),
        (k, l) => format!(
            "{} and {} in {in_files}",
            plural(k, "key", "keys"),
            plural(l, "key-hygiene finding", "key-hygiene findings")
        ),
    };
    // `verify` and `revoke` read keys from a report or standard input: they
    // scanned nothing, so there is nothing to count.
    if report.mode != "verify" {
        line.push_str(&format!(
            " (scanned {}, {size}",
            plural(report.stats.files, "file", "files")
        ));
        if report.stats.allowlisted > 0 {
            line.push_str(&format!("; {} allow-listed", report.stats.allowlisted));
        }
        line.push(')');
    }
    if report.incomplete {
        line.push_str("; scan incomplete: some input could not be read (see the errors above)");
    }
    line
}

/// Render the human report.
pub fn render(report: &Report<'_>) -> anyhow::Result<Vec<u8>> {
    let files = Snippets(report.findings, report.redact);
    let config = Config::default();
    let mut out: Vec<u8> = Vec::new();
    if report.color {
        let mut buffer = termcolor::Buffer::ansi();
        for (i, f) in report.findings.iter().enumerate() {
            term::emit_to_write_style(
                &mut buffer,
                &config,
                &files,
                &diagnostic(i, f, report.rules, report.redact),
            )?;
        }
        out.extend_from_slice(buffer.as_slice());
    } else {
        for (i, f) in report.findings.iter().enumerate() {
            term::emit_to_io_write(
                &mut out,
                &config,
                &files,
                &diagnostic(i, f, report.rules, report.redact),
            )?;
        }
    }
    out.extend_from_slice(summary(report).as_bytes());
    out.push(b'\n');
    Ok(out)
}
