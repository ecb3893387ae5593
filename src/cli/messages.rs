//! What the command line says: the `error:`/`hint:` lines, writing a report
//! to `--output` or standard output, and whether to colour it.

#![allow(clippy::print_stderr)]

use std::io::Write;
use std::path::PathBuf;

use super::args::ColorChoice;
use crate::hint::error_lines;
use crate::sanitize::sanitize;

/// Print an error chain on one line after `error:`, then its `hint:` line.
pub fn print_error(err: &anyhow::Error) {
    for line in error_lines(err) {
        eprintln!("{line}");
    }
}

/// Whether `err` is a closed stdout (e.g. piped into `head`): a normal exit.
pub fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|e| {
        e.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// Write report bytes to `--output` or stdout.
pub fn write_output(output: Option<&PathBuf>, bytes: &[u8]) -> anyhow::Result<()> {
    use anyhow::Context;
    match output {
        Some(path) => std::fs::write(path, bytes)
            .with_context(|| format!("failed to write report to `{}`", path.display())),
        None => {
            let mut stdout = std::io::stdout().lock();
            stdout.write_all(bytes)?;
            stdout.flush()?;
            Ok(())
        }
    }
}

/// Whether to colour output that goes to stdout.
pub fn use_color(choice: ColorChoice, to_stdout: bool) -> bool {
    use std::io::IsTerminal;
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            to_stdout
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                && std::io::stdout().is_terminal()
        }
    }
}

/// What a scan leaves to say on standard error after it ran: paths that
/// do not exist, stale baseline entries, the verification tally.
pub fn scan_notes(scanned: &crate::scan::Scanned) {
    if let Some(first) = scanned.missing.first() {
        eprintln!(
            "hint: `{}` does not exist: check the spelling (relative paths start from the current directory)",
            sanitize(&first.display().to_string())
        );
    }
    for entry in &scanned.stale {
        eprintln!(
            "warning: stale baseline entry: {} in `{}` (secret_sha256 {}) matched nothing",
            entry.rule_id,
            sanitize(&entry.path),
            entry.secret_sha256
        );
    }
    if let Some(tally) = &scanned.verified {
        eprintln!("{tally}");
    }
}

/// Say that a revocation hit another key: `key` (shown redacted) is still
/// live after key id `id` was deleted, and everything stops.
pub fn discrepancy(key: &dyn std::fmt::Display, id: &str, audit_log: &std::path::Path) {
    eprintln!(
        "error: {key} is STILL LIVE after revoking key id `{}`: a different key \
         was revoked. Stopping: no further keys will be revoked.",
        crate::sanitize::sanitize(id),
    );
    eprintln!(
        "hint: check the Misar dashboard now; the audit log `{}` has every action",
        audit_log.display()
    );
}
