//! What `ci github` tells GitHub Actions, rendered from a [`GithubScan`]:
//! one `::error`/`::warning`/`::notice` workflow command per finding (keys
//! redacted, file and author names sanitised, escaped), a warning when the
//! change edits `.misar-scan.toml`, the Markdown of `GITHUB_STEP_SUMMARY`,
//! the `GITHUB_OUTPUT` lines and the closing verdict. Pure: text in, text out.

use std::path::Path;

use crate::ci::github::{GithubScan, Scope};
use crate::finding::Finding;
use crate::rules::Severity;
use crate::sanitize::sanitize;
use crate::scan::Scanned;

/// Escape data (the message) of a workflow command.
pub fn escape_data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escape a property value (`file=`, `title=`) of a workflow command.
pub fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

/// What was scanned, as a phrase: `` `aaaa..bbbb` ``, `the whole history`, …
pub fn what(scope: &Scope) -> String {
    match scope {
        Scope::Range { base, head } => format!(
            "`{}..{}`",
            crate::secret::clip(base, 12),
            crate::secret::clip(head, 12)
        ),
        Scope::NewBranch { head, branch, .. } => format!(
            "the new branch (what `{}` adds to `{branch}`)",
            crate::secret::clip(head, 12)
        ),
        Scope::History { new_branch: true } => "the whole history (a new branch)".to_string(),
        Scope::History { new_branch: false } => "the whole history".to_string(),
    }
}

/// The workflow command that annotates `f` (keys redacted). `prefix` is the
/// repository's folder relative to the workspace (empty at its root).
fn annotation(f: &Finding, prefix: &str, redact: bool) -> String {
    let command = match f.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Note => "notice",
    };
    let file = if prefix.is_empty() {
        f.path.clone()
    } else {
        format!("{}/{}", prefix.trim_end_matches('/'), f.path)
    };
    // File names and author names come from the repository: no control or
    // bidi character and no key reaches the log, whatever escaping follows.
    let file = crate::sanitize::field(&file, redact);
    let shown = f.secret.display(redact);
    let mut message = match &f.note {
        Some(note) => format!("{}: {note}", f.rule_name),
        None => format!("{} `{shown}` found", f.rule_name),
    };
    if let Some(c) = &f.commit {
        message.push_str(&format!(
            " in commit {} by {}",
            crate::secret::clip(&c.id, 12),
            crate::sanitize::field(&c.author_name, redact)
        ));
    }
    if f.verification != crate::finding::Verification::Unverified {
        message.push_str(&format!(" (verification: {})", f.verification.as_str()));
    }
    message.push_str(". Revoke the key, then move its replacement to a secret store: removing the line does not un-leak it.");
    format!(
        "::{command} file={},line={},col={},endColumn={},title={}::{}",
        escape_property(&file),
        f.line,
        f.column,
        f.end_column,
        escape_property(&format!("{} ({})", f.rule_name, f.rule_id)),
        escape_data(&crate::sanitize::field(&message, redact)),
    )
}

/// The `::warning` annotation for a change that edits `.misar-scan.toml`:
/// the one file that can silence the scan is in the change under review.
fn config_warning(prefix: &str, silenced: Option<&crate::config::Silenced>) -> String {
    let file = if prefix.is_empty() {
        crate::config::FILE_NAME.to_string()
    } else {
        format!(
            "{}/{}",
            prefix.trim_end_matches('/'),
            crate::config::FILE_NAME
        )
    };
    let mut message = format!(
        "This change edits {}, which can turn misar-scan rules off and skip paths: review it before trusting a clean result.",
        crate::config::FILE_NAME
    );
    if let Some(s) = silenced {
        message.push_str(&format!(" Now: {s}."));
    }
    format!(
        "::warning file={},title={}::{}",
        escape_property(&crate::sanitize::field(&file, true)),
        escape_property("misar-scan configuration changed"),
        escape_data(&crate::sanitize::field(&message, true)),
    )
}

/// Every annotation of `scan`, one line each: the findings, then the
/// configuration warning when the change edits `.misar-scan.toml`.
pub fn annotations(scan: &GithubScan) -> String {
    let scanned = &scan.scanned;
    let mut out = String::new();
    for f in &scanned.findings {
        out.push_str(&annotation(f, &scan.prefix, scanned.redact));
        out.push('\n');
    }
    if scan.config_edited {
        out.push_str(&config_warning(&scan.prefix, scanned.silenced.as_ref()));
        out.push('\n');
    }
    out
}

/// Escape text for a Markdown table cell inside backticks.
fn cell_code(text: &str) -> String {
    let text = sanitize(text).replace(['\n', '\r'], " ").replace('`', "'");
    format!("`{}`", text.replace('|', "\\|"))
}

/// At most this many rows in the step summary (its size is limited to 1 MiB).
const SUMMARY_ROWS: usize = 200;

/// The Markdown appended to `GITHUB_STEP_SUMMARY`.
pub fn summary(scan: &GithubScan) -> String {
    let mut md = findings_summary(&scan.scanned, &what(&scan.scope), &scan.sarif);
    if scan.config_edited {
        md.push_str(&format!(
            "\n⚠️ This change edits `{}`, which can turn rules off and skip paths: review it before trusting a clean result.\n",
            crate::config::FILE_NAME
        ));
    }
    md
}

/// The summary of the findings of a scan of `what`.
fn findings_summary(scanned: &Scanned, what: &str, sarif: &Path) -> String {
    let n = scanned.findings.len();
    let mut md = String::from("## misar-scan\n\n");
    if n == 0 && !scanned.incomplete {
        md.push_str(&format!("✅ No Misar API key found in {what}.\n"));
    } else if n > 0 {
        md.push_str(&format!(
            "❌ **{n} finding{}** in {what}. Keys are shown redacted.\n\n",
            if n == 1 { "" } else { "s" }
        ));
        md.push_str("| Severity | Rule | Location | Key | Commit | Verification |\n");
        md.push_str("|---|---|---|---|---|---|\n");
        for f in scanned.findings.iter().take(SUMMARY_ROWS) {
            let commit = f
                .commit
                .as_ref()
                .map(|c| cell_code(crate::secret::clip(&c.id, 12)))
                .unwrap_or_default();
            md.push_str(&format!(
                "| {} | {} | {} | {} | {} | {} |\n",
                f.severity.as_str(),
                cell_code(&f.rule_id),
                cell_code(&crate::sanitize::field(
                    &format!("{}:{}:{}", f.path, f.line, f.column),
                    scanned.redact
                )),
                cell_code(&f.secret.display(scanned.redact)),
                commit,
                f.verification.as_str(),
            ));
        }
        if n > SUMMARY_ROWS {
            md.push_str(&format!(
                "\n…and {} more: see the SARIF report.\n",
                n - SUMMARY_ROWS
            ));
        }
        md.push_str(
            "\n**What to do:** a key that reached a commit has leaked, even if a later commit removes it. \
Revoke it (`misar-scan revoke`, or the Misar dashboard), create a new one, and keep it in a secret store \
(GitHub Actions secrets, your cloud's secret manager), never in the code.\n",
        );
    }
    if scanned.incomplete {
        md.push_str(
            "\n⚠️ The scan could not read everything (see the job log): it is not reported as clean.\n",
        );
    }
    md.push_str(&format!(
        "\n<sub>SARIF: `{}` · {} file(s), {} byte(s) scanned</sub>\n",
        sanitize(&sarif.display().to_string()).replace('`', "'"),
        scanned.stats.files,
        scanned.stats.bytes
    ));
    md
}

/// A `name=value` line for `GITHUB_OUTPUT` (the heredoc form when the
/// value holds a line break).
fn output_line(name: &str, value: &str) -> String {
    if value.contains(['\n', '\r']) {
        let delimiter = format!(
            "ghadelimiter_{}",
            crate::secret::sha256_hex(value.as_bytes())
        );
        format!("{name}<<{delimiter}\n{value}\n{delimiter}\n")
    } else {
        format!("{name}={value}\n")
    }
}

/// The lines appended to `GITHUB_OUTPUT`: `sarif`, `findings`, `exit-code`
/// (the command's `exit_code`), `mode` and `range` (empty for a whole history).
pub fn outputs(scan: &GithubScan, exit_code: u8) -> String {
    let mut out = String::new();
    out.push_str(&output_line("sarif", &scan.sarif.to_string_lossy()));
    out.push_str(&output_line(
        "findings",
        &scan.scanned.findings.len().to_string(),
    ));
    out.push_str(&output_line("exit-code", &exit_code.to_string()));
    out.push_str(&output_line("mode", scan.scanned.mode));
    out.push_str(&output_line(
        "range",
        &scan.scope.range().unwrap_or_default(),
    ));
    out
}

/// The last line of the log: nothing found, or an `::error` (a `::warning`
/// when findings do not fail the job) that counts the findings.
pub fn verdict(scan: &GithubScan, fail_on_findings: bool, failing: usize) -> String {
    let what = what(&scan.scope);
    match scan.scanned.findings.len() {
        0 => format!("misar-scan: no Misar API key found in {what}"),
        n if fail_on_findings && failing == 0 => format!(
            "::warning title=misar-scan::{}",
            escape_data(&format!(
                "{n} finding(s) in {what}, no key live or unknown (fail-on is live): remove them anyway"
            ))
        ),
        n if fail_on_findings => format!(
            "::error title=misar-scan::{}",
            escape_data(&format!("{n} finding(s) in {what}: revoke each key and move its replacement to a secret store"))
        ),
        n => format!(
            "::warning title=misar-scan::{}",
            escape_data(&format!("{n} finding(s) in {what} (fail-on-findings is false)"))
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn workflow_commands_are_escaped() {
        assert_eq!(escape_data("50%\r\nnext"), "50%25%0D%0Anext");
        assert_eq!(escape_property("a:b,c%\n"), "a%3Ab%2Cc%25%0A");
    }

    #[test]
    fn outputs_with_line_breaks_use_a_delimiter() {
        assert_eq!(output_line("a", "b"), "a=b\n");
        let multi = output_line("a", "b\nc");
        assert!(multi.starts_with("a<<ghadelimiter_") && multi.contains("\nb\nc\n"));
    }

    #[test]
    fn summary_cells_cannot_break_the_table() {
        assert_eq!(cell_code("a|b`c\nd"), "`a\\|b'c d`");
    }

    #[test]
    fn scopes_read_as_phrases() {
        let range = Scope::Range {
            base: "0123456789abcdef".into(),
            head: "fedcba9876543210".into(),
        };
        assert_eq!(what(&range), "`0123456789ab..fedcba987654`");
        let new = Scope::NewBranch {
            head: "fedcba9876543210".into(),
            branch: "main".into(),
            base: "aa".into(),
        };
        assert_eq!(
            what(&new),
            "the new branch (what `fedcba987654` adds to `main`)"
        );
        assert_eq!(
            what(&Scope::History { new_branch: true }),
            "the whole history (a new branch)"
        );
        assert_eq!(
            what(&Scope::History { new_branch: false }),
            "the whole history"
        );
    }
}
