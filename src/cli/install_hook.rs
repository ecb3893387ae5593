//! `misar-scan install-hook`: install the git pre-commit hook in the
//! repository at `.` (SPEC §3), or with `--agent` an AI coding agent's hook
//! in its settings (SPEC §5). The hooks themselves are [`crate::hook`] and
//! [`crate::hooks::agent_settings`].

#![allow(clippy::print_stderr)]

use std::path::Path;

use anyhow::{Context, Result};
use clap::{Args, ValueEnum};

use super::Outcome;
use crate::hook::{install, Installed};
use crate::hooks::agent_settings::{self, AgentHookOptions, Change};
use crate::hooks::Agent;
use crate::source::git::open_repo;

/// The agents `--agent` knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AgentArg {
    /// Claude Code: `.claude/settings.json`.
    ClaudeCode,
    /// Codex CLI: `.codex/hooks.json`.
    Codex,
    /// Cursor: `.cursor/hooks.json` (beforeShellExecution, beforeMCPExecution, beforeReadFile, beforeSubmitPrompt).
    Cursor,
}

/// Options of `install-hook`.
#[derive(Debug, Args)]
#[command(
    after_help = "The hook runs `misar-scan scan --staged` and blocks the commit when it exits 1 \
(a key is staged) or 2 (the scan could not finish). It goes to `core.hooksPath` when that is set, \
else to `.git/hooks/pre-commit`. Bypass it once with `git commit --no-verify`.\n\n\
With `--agent claude-code`, adds `misar-scan hook claude-code` to `.claude/settings.json` at the \
root of the repository (or the current folder) for PreToolUse (every tool) and UserPromptSubmit, \
keeping every other setting and hook; `--global` edits `~/.claude/settings.json` instead (with \
this binary's absolute path), `--uninstall` removes only misar-scan's entries. Running it twice \
changes nothing. `--agent codex` edits `.codex/hooks.json` the same way; `--agent cursor` adds \
`misar-scan hook cursor` to `.cursor/hooks.json` (`~/.cursor/hooks.json` with `--global`) for \
beforeShellExecution, beforeMCPExecution, beforeReadFile and beforeSubmitPrompt.\n\n\
Examples:\n  misar-scan install-hook\n  misar-scan install-hook --force\n  misar-scan install-hook --agent claude-code\n  misar-scan install-hook --agent claude-code --global\n  misar-scan install-hook --agent codex --uninstall\n  misar-scan install-hook --agent cursor"
)]
pub struct InstallHookArgs {
    /// Replace an existing pre-commit hook that misar-scan did not write.
    ///
    /// The replaced hook is saved as `pre-commit.backup` beside it (or
    /// `pre-commit.backup.1`, `.2`, … when that exists: no backup is ever
    /// overwritten). Without
    /// this flag a foreign hook is never overwritten; a hook written by an
    /// earlier `install-hook` is always updated.
    #[arg(long, conflicts_with = "agent")]
    pub force: bool,

    /// Add the hook of an AI coding agent to its settings instead of the git hook.
    #[arg(long, value_enum, value_name = "AGENT")]
    pub agent: Option<AgentArg>,

    /// With `--agent`: the settings in your home folder (all projects), not the project's.
    #[arg(long, requires = "agent")]
    pub global: bool,

    /// With `--agent`: remove misar-scan's entries (nothing else) instead of adding them.
    #[arg(long, requires = "agent")]
    pub uninstall: bool,
}

/// Run `install-hook`.
pub fn run(args: InstallHookArgs) -> Result<Outcome> {
    if let Some(agent) = args.agent {
        return run_agent(&args, agent);
    }
    let repo = open_repo(Path::new("."))?;
    // The hook calls this very binary when it can, so it works without PATH set up.
    let exe = std::env::current_exe()
        .ok()
        .and_then(|p| p.canonicalize().ok());
    match install(&repo, exe.as_deref(), args.force)? {
        Installed::Created(path) => {
            eprintln!("installed the pre-commit hook at `{}`", path.display())
        }
        Installed::Updated(path) => {
            eprintln!("updated the pre-commit hook at `{}`", path.display())
        }
        Installed::Replaced(path, backup) => eprintln!(
            "replaced the pre-commit hook at `{}` (the old one is saved as `{}`)",
            path.display(),
            backup.display()
        ),
    }
    Ok(Outcome::default())
}

/// `install-hook --agent`.
fn run_agent(args: &InstallHookArgs, agent: AgentArg) -> Result<Outcome> {
    let agent = match agent {
        AgentArg::ClaudeCode => Agent::ClaudeCode,
        AgentArg::Codex => Agent::Codex,
        AgentArg::Cursor => Agent::Cursor,
    };
    let cwd = std::env::current_dir().context("failed to read the current directory")?;
    let home = std::env::var_os("HOME").map(std::path::PathBuf::from);
    let path = agent_settings::settings_path(agent, args.global, home.as_deref(), &cwd)?;
    // The user's settings run this very binary; a project's settings are
    // shared through the repository, so they name `misar-scan` on PATH.
    let exe = args
        .global
        .then(|| std::env::current_exe().ok()?.canonicalize().ok())
        .flatten();
    let opts = AgentHookOptions {
        agent,
        path,
        command: agent_settings::hook_command(agent, exe.as_deref()),
        uninstall: args.uninstall,
    };
    let shown = opts.path.display();
    match agent_settings::apply(&opts)? {
        Change::Created => eprintln!("wrote `{shown}` with the {} hook", agent.title()),
        Change::Added => eprintln!("added the {} hook to `{shown}`", agent.title()),
        Change::Unchanged => eprintln!("the {} hook is already in `{shown}`", agent.title()),
        Change::Removed => eprintln!("removed the {} hook from `{shown}`", agent.title()),
        Change::NotInstalled => eprintln!("`{shown}` has no misar-scan hook: nothing to remove"),
    }
    Ok(Outcome::default())
}
