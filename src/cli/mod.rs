//! The command line (SPEC §3): clap definitions and one module per subcommand.
//!
//! Each subcommand's `run` returns an [`Outcome`]; [`Outcome::exit_code`] is
//! the one place that decides the exit code.

#![allow(clippy::print_stderr)]

pub mod args;
pub mod ci;
pub mod docs;
pub mod hook;
pub mod install_hook;
pub mod keys_audit;
pub mod messages;
pub mod progress;
pub mod report_cmd;
pub mod revoke;
pub mod rotate;
pub mod rules_cmd;
pub mod scan;
pub mod sweep;
pub mod verify;

use clap::{Parser, Subcommand};

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
    after_help = "Examples:\n  misar-scan scan                       scan the current directory\n  misar-scan scan -f sarif -o out.sarif  SARIF for GitHub code scanning\n  misar-scan scan --git                 every blob in the history of the repo at .\n  misar-scan scan --git --range origin/main..HEAD   what a pull request adds\n  misar-scan scan --verify              also ask the Misar API which keys are live\n  misar-scan install-hook               block commits that stage a key\n  misar-scan install-hook --agent claude-code   keep keys out of Claude Code's tool calls and prompts\n  git diff | misar-scan scan -          scan standard input\n  misar-scan scan --write-baseline b.json && misar-scan scan --baseline b.json\n  misar-scan completions bash > ~/.local/share/bash-completion/completions/misar-scan\n\nExit codes: 0 nothing found, 1 findings, 2 usage or runtime error (including an incomplete scan).\nEnvironment: MISAR_API_URL (API base URL), MISAR_ADMIN_KEY (lists and revokes keys), NO_COLOR."
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
    /// Replace live keys without an outage: create, deliver, then revoke; dry run unless `--yes`.
    Rotate(rotate::RotateArgs),
    /// Install a git pre-commit hook that runs `scan --staged`, or an AI coding agent's hook (`--agent`).
    InstallHook(install_hook::InstallHookArgs),
    /// Hook entry points: `hook pre-push` and `hook pre-receive` read git's lines, `hook claude-code`, `hook codex` and `hook cursor` an agent's event, on stdin.
    Hook(hook::HookArgs),
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

/// What a command did, for the exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Outcome {
    /// Findings reported (after allow-lists and baseline).
    pub findings: usize,
    /// Something could not be read or done.
    pub incomplete: bool,
    /// The run stopped on purpose before its end (`sweep
    /// --stop-after-revocations`, which simulates a crash for tests).
    pub stopped: bool,
    /// An AI coding agent's hook answered (`hook claude-code`): its exit
    /// code follows the agent's protocol, not SPEC §3's.
    pub agent: Option<AgentVerdict>,
}

/// The answer of an agent hook, by the agent's exit-code protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AgentVerdict {
    /// Let the tool call or prompt through: exit 0.
    Allow,
    /// Block it: exit 2 (the reason is on stderr).
    Block,
    /// The event could not be checked: exit 1, a non-blocking error.
    Invalid,
}

impl Outcome {
    /// 0 nothing to report, 1 findings, 2 incomplete (SPEC §3), 3 stopped
    /// before the end. An incomplete scan is never reported as clean, even
    /// when it found something. An agent hook answers in its agent's terms
    /// (SPEC §5): 0 allow, 2 block, 1 a non-blocking error.
    pub fn exit_code(self) -> u8 {
        if let Some(verdict) = self.agent {
            match verdict {
                AgentVerdict::Allow => 0,
                AgentVerdict::Invalid => 1,
                AgentVerdict::Block => 2,
            }
        } else if self.stopped {
            3
        } else if self.incomplete {
            2
        } else if self.findings > 0 {
            1
        } else {
            0
        }
    }
}

impl From<crate::sweep::SweepVerdict> for Outcome {
    /// A sweep's (or merged sweeps') exit: live keys left are findings,
    /// anything that needs a person makes it incomplete.
    fn from(v: crate::sweep::SweepVerdict) -> Self {
        Self {
            findings: v.live_left,
            incomplete: v.needs_person,
            ..Self::default()
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
        Command::Rotate(args) => rotate::run(args),
        Command::InstallHook(args) => install_hook::run(args),
        Command::Hook(args) => hook::run(args),
        Command::Keys(args) => keys_audit::run(args),
        Command::Ci(args) => ci::run(args),
        Command::Completions(args) => docs::completions(args),
        Command::Man(args) => docs::man(args),
        Command::Sweep(args) => sweep::run(args),
        Command::Report(args) => report_cmd::run(args),
    }
}

pub use crate::hint::error_lines;
pub use crate::sanitize::sanitize;
pub use args::ColorChoice;
pub use messages::{is_broken_pipe, print_error, use_color, write_output};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_command_line_definition_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
