//! The command line (SPEC §3): clap definitions and one module per subcommand.
//!
//! Each subcommand's `run` returns an [`Outcome`]; [`Outcome::exit_code`] is
//! the one place that decides the exit code.

#![allow(clippy::print_stderr)]

pub mod ci;
pub mod docs;
pub mod install_hook;
pub mod keys_audit;
pub mod report_cmd;
pub mod revoke;
pub mod rules_cmd;
pub mod scan;
pub mod sweep;
pub mod verify;

use std::io::Write;
use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

/// Find leaked Misar API keys (msk_, ask_, mdk_) in files and git history.
#[derive(Debug, Parser)]
#[command(
    name = "misar-scan",
    version = env!("MISAR_SCAN_VERSION"),
    about,
    long_about = "Find leaked Misar API keys (msk_ Misar Mail, ask_ Assisters.io, mdk_ Misar Dev) \
in files and git history, before they are committed and wherever they escaped to.\n\n\
Reports redact every key to its first 8 characters (`msk_AbCd…`) and carry its SHA-256, \
so they are safe to keep in CI logs. Start with `misar-scan scan`; `misar-scan <COMMAND> --help` \
explains each command with examples.",
    after_help = "Examples:\n  misar-scan scan                       scan the current directory\n  misar-scan scan -f sarif -o out.sarif  SARIF for GitHub code scanning\n  misar-scan scan --git                 every blob in the history of the repo at .\n  misar-scan scan --git --range origin/main..HEAD   what a pull request adds\n  misar-scan scan --verify              also ask the Misar API which keys are live\n  misar-scan install-hook               block commits that stage a key\n  misar-scan scan --write-baseline b.json && misar-scan scan --baseline b.json\n  misar-scan completions bash > ~/.local/share/bash-completion/completions/misar-scan\n\nExit codes: 0 nothing found, 1 findings, 2 usage or runtime error (including an incomplete scan).\nEnvironment: MISAR_API_URL (API base URL), MISAR_ADMIN_KEY (lists and revokes keys), NO_COLOR."
)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Scan files for Misar keys.
    Scan(scan::ScanArgs),
    /// List the rules in force or check them against their own examples.
    Rules(rules_cmd::RulesArgs),
    /// Check keys from a JSON report (or `--stdin`) against the Misar API.
    Verify(verify::VerifyArgs),
    /// Revoke live keys from a JSON report (or `--stdin`); dry run unless `--yes`.
    Revoke(revoke::RevokeArgs),
    /// Install a git pre-commit hook that runs `scan --staged`.
    InstallHook(install_hook::InstallHookArgs),
    /// Key hygiene from the API with `MISAR_ADMIN_KEY` (`keys audit`).
    Keys(keys_audit::KeysArgs),
    /// Run inside a CI system: scan what the event brings, annotate, summarise.
    Ci(ci::CiArgs),
    /// Print a shell completion script (bash, zsh, fish, powershell, elvish).
    Completions(docs::CompletionsArgs),
    /// Print the man page (roff) on standard output.
    Man(docs::ManArgs),
    /// Incident response: every repository under PATH, full history, verify, optional revoke.
    Sweep(sweep::SweepArgs),
    /// Work with report folders (`report merge` combines sharded sweeps).
    Report(report_cmd::ReportArgs),
}

/// When to colour human output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum ColorChoice {
    /// On a terminal, unless `NO_COLOR` is set.
    #[default]
    Auto,
    /// Always.
    Always,
    /// Never.
    Never,
}

/// What a command did, for the exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Outcome {
    /// Findings reported (after allow-lists and baseline).
    pub findings: usize,
    /// Something could not be read or done.
    pub incomplete: bool,
}

impl Outcome {
    /// 0 nothing to report, 1 findings, 2 incomplete (SPEC §3). An incomplete
    /// scan is never reported as clean, even when it found something.
    pub fn exit_code(self) -> u8 {
        if self.incomplete {
            2
        } else if self.findings > 0 {
            1
        } else {
            0
        }
    }
}

/// Run a parsed command line.
pub fn run(cli: Cli) -> anyhow::Result<Outcome> {
    match cli.command {
        Command::Scan(args) => scan::run(args),
        Command::Rules(args) => rules_cmd::run(args),
        Command::Verify(args) => verify::run(args),
        Command::Revoke(args) => revoke::run(args),
        Command::InstallHook(args) => install_hook::run(args),
        Command::Keys(args) => keys_audit::run(args),
        Command::Ci(args) => ci::run(args),
        Command::Completions(args) => docs::completions(args),
        Command::Man(args) => docs::man(args),
        Command::Sweep(args) => sweep::run(args),
        Command::Report(args) => report_cmd::run(args),
    }
}

pub use crate::sanitize::sanitize;

/// What to do next about an error, attached with [`HintExt::hint`] and
/// printed by [`print_error`] as a `hint:` line under the error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hint(pub String);

impl std::fmt::Display for Hint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Attach a [`Hint`] to an error.
pub trait HintExt<T> {
    /// Add `hint` (what the user should do next) to the error, if any.
    fn hint(self, hint: impl Into<String>) -> anyhow::Result<T>;
}

impl<T, E> HintExt<T> for Result<T, E>
where
    E: Into<anyhow::Error>,
{
    fn hint(self, hint: impl Into<String>) -> anyhow::Result<T> {
        self.map_err(|e| e.into().context(Hint(hint.into())))
    }
}

/// An error with a hint, for `bail!`-like early returns.
pub fn hinted(message: impl Into<String>, hint: impl Into<String>) -> anyhow::Error {
    anyhow::Error::msg(message.into()).context(Hint(hint.into()))
}

/// The error line (the chain on one line after `error:`) and the `hint:`
/// line, if the error carries a [`Hint`].
pub fn error_lines(err: &anyhow::Error) -> Vec<String> {
    let hint = err.downcast_ref::<Hint>().map(|h| h.0.clone());
    let chain: Vec<String> = err
        .chain()
        .map(|e| e.to_string())
        .filter(|m| Some(m) != hint.as_ref())
        .collect();
    let mut lines = vec![format!("error: {}", sanitize(&chain.join(": ")))];
    if let Some(hint) = hint {
        lines.push(format!("hint: {}", sanitize(&hint)));
    }
    lines
}

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hints_print_on_their_own_line() {
        let err: anyhow::Result<()> = Err(anyhow::anyhow!("inner"));
        let err = err
            .map_err(|e| e.context("outer"))
            .hint("do `this`")
            .unwrap_err();
        assert_eq!(
            error_lines(&err),
            ["error: outer: inner", "hint: do `this`"]
        );
        let plain = anyhow::anyhow!("no hint");
        assert_eq!(error_lines(&plain), ["error: no hint"]);
    }

    #[test]
    fn the_command_line_definition_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
