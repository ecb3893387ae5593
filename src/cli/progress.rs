//! The terminal side of a long run: problems printed on standard error as
//! they happen, and the `[y/N]` prompt.

#![allow(clippy::print_stderr)]

use std::io::{BufRead, Write};

use crate::sanitize::sanitize;
use crate::source::{ProblemKind, Problems};

/// Problems are printed on standard error as they happen.
pub fn stderr_problems() -> Problems {
    Problems::new(Box::new(|kind, message| {
        let label = match kind {
            ProblemKind::Warning => "warning",
            ProblemKind::Unread => "error",
        };
        eprintln!("{label}: {}", sanitize(message));
    }))
}

/// Ask `question [y/N]` on standard error and read the answer from
/// standard input: only `y` or `yes` (any case) is a yes.
pub fn confirm(question: &str) -> std::io::Result<bool> {
    eprint!("{question} [y/N] ");
    std::io::stderr().flush()?;
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    Ok(matches!(
        answer.trim().to_ascii_lowercase().as_str(),
        "y" | "yes"
    ))
}
