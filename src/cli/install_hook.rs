//! `misar-scan install-hook`: install a git hook in the repository at `.`
//! (pre-commit by default, `--pre-push`, `--pre-receive`; SPEC §3, §5), the
//! machine-wide git hooks (`--global`), or with `--agent` an AI coding
//! agent's hook in its settings (SPEC §5). The hooks themselves are
//! [`crate::hooks::git`], [`crate::hooks::global`] and
//! [`crate::hooks::agent_settings`].

#![allow(clippy::print_stderr)]

use std::path::Path;

use anyhow::{Context, Result};
use clap::{Args, ValueEnum};

use super::Outcome;
use crate::hooks::agent_settings::{self, AgentHookOptions, Change};
use crate::hooks::git::{install, uninstall, GitHook, Installed};
use crate::hooks::global;
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
    after_help = "The pre-commit hook runs `misar-scan scan --staged` and blocks the commit when it exits 1 \
(a key is staged) or 2 (the scan could not finish). It goes to `core.hooksPath` when that is set, \
else to `.git/hooks/pre-commit`. Bypass it once with `git commit --no-verify`.\n\n\
`--pre-push` writes the pre-push hook (`misar-scan hook pre-push`: blocks a push whose new commits \
add a key; bypass with `git push --no-verify`). `--pre-receive`, run inside a bare repository on a \
Git server, writes the pre-receive hook (`misar-scan hook pre-receive`) and sets \
`receive.advertisePushOptions` so that `git push -o misar-scan.bypass=\"<reason>\"` reaches it. \
`--uninstall` removes the hook if misar-scan wrote it.\n\n\
`--global` (without `--agent`) points `core.hooksPath` in your global git configuration at a \
misar-scan hooks folder: every repository's commits and pushes are checked, and each repository's \
own hooks (`.git/hooks/*`, e.g. the pre-commit framework's) still run after misar-scan. \
`--global --uninstall` restores the previous `core.hooksPath`.\n\n\
With `--agent claude-code`, adds `misar-scan hook claude-code` to `.claude/settings.json` at the \
root of the repository (or the current folder) for PreToolUse (every tool) and UserPromptSubmit, \
keeping every other setting and hook; `--global` edits `~/.claude/settings.json` instead (with \
this binary's absolute path), `--uninstall` removes only misar-scan's entries. Running it twice \
changes nothing. `--agent codex` edits `.codex/hooks.json` the same way; `--agent cursor` adds \
`misar-scan hook cursor` to `.cursor/hooks.json` (`~/.cursor/hooks.json` with `--global`) for \
beforeShellExecution, beforeMCPExecution, beforeReadFile and beforeSubmitPrompt.\n\n\
Examples:\n  misar-scan install-hook\n  misar-scan install-hook --force\n  misar-scan install-hook --pre-push\n  cd /srv/git/app.git && misar-scan install-hook --pre-receive\n  misar-scan install-hook --global\n  misar-scan install-hook --global --uninstall\n  misar-scan install-hook --agent claude-code\n  misar-scan install-hook --agent claude-code --global\n  misar-scan install-hook --agent codex --uninstall\n  misar-scan install-hook --agent cursor"
)]
pub struct InstallHookArgs {
    /// Replace an existing hook that misar-scan did not write.
    ///
    /// The replaced hook is saved as `NAME.backup` beside it (or
    /// `NAME.backup.1`, `.2`, … when that exists: no backup is ever
    /// overwritten). Without
    /// this flag a foreign hook is never overwritten; a hook written by an
    /// earlier `install-hook` is always updated.
    #[arg(long, conflicts_with_all = ["agent", "global"])]
    pub force: bool,

    /// Install the pre-push hook instead of the pre-commit hook.
    #[arg(long, conflicts_with_all = ["agent", "global", "pre_receive"])]
    pub pre_push: bool,

    /// Install the pre-receive hook of a Git server (run inside the bare repository).
    #[arg(long, conflicts_with_all = ["agent", "global"])]
    pub pre_receive: bool,

    /// Add the hook of an AI coding agent to its settings instead of the git hook.
    #[arg(long, value_enum, value_name = "AGENT")]
    pub agent: Option<AgentArg>,

    /// Machine-wide: the git hooks of every repository (`core.hooksPath` in the
    /// global git configuration), or with `--agent` the agent's settings in your
    /// home folder.
    #[arg(long)]
    pub global: bool,

    /// Remove what misar-scan installed (and nothing else) instead of installing it.
    #[arg(long)]
    pub uninstall: bool,
}

/// Run `install-hook`.
pub fn run(args: InstallHookArgs) -> Result<Outcome> {
    if let Some(agent) = args.agent {
        return run_agent(&args, agent);
    }
    // The hooks call this very binary when they can, so they work without PATH set up.
    let exe = std::env::current_exe()
        .ok()
        .and_then(|p| p.canonicalize().ok());
    if args.global {
        return run_global(&args, exe.as_deref());
    }
    let hook = if args.pre_push {
        GitHook::PrePush
    } else if args.pre_receive {
        GitHook::PreReceive
    } else {
        GitHook::PreCommit
    };
    let name = hook.name();
    let repo = open_repo(Path::new("."))?;
    if args.uninstall {
        match uninstall(&repo, hook)? {
            Some(path) => eprintln!("removed the {name} hook `{}`", path.display()),
            None => eprintln!("no {name} hook written by misar-scan: nothing to remove"),
        }
        return Ok(Outcome::default());
    }
    match install(&repo, hook, exe.as_deref(), args.force)? {
        Installed::Created(path) => {
            eprintln!("installed the {name} hook at `{}`", path.display())
        }
        Installed::Updated(path) => {
            eprintln!("updated the {name} hook at `{}`", path.display())
        }
        Installed::Replaced(path, backup) => eprintln!(
            "replaced the {name} hook at `{}` (the old one is saved as `{}`)",
            path.display(),
            backup.display()
        ),
    }
    if hook == GitHook::PreReceive {
        eprintln!(
            "set `receive.advertisePushOptions=true`: a push with `-o misar-scan.bypass=\"<reason>\"` is accepted and recorded in `{}`",
            repo.path().join("misar-scan/bypass.jsonl").display()
        );
    }
    Ok(Outcome::default())
}

/// `install-hook --global [--uninstall]`.
fn run_global(args: &InstallHookArgs, exe: Option<&Path>) -> Result<Outcome> {
    let home = std::env::var_os("HOME").map(std::path::PathBuf::from);
    let paths = global::Paths::from_env(home.as_deref())?;
    if args.uninstall {
        match global::uninstall(&paths)? {
            global::Removed::Restored(previous) => eprintln!(
                "removed the machine-wide hooks; `core.hooksPath` is `{previous}` again"
            ),
            global::Removed::Unset => {
                eprintln!("removed the machine-wide hooks; `core.hooksPath` is unset again")
            }
            global::Removed::Changed(now) => eprintln!(
                "removed the machine-wide hooks folder; `core.hooksPath` was changed since (to `{now}`), so it is left alone"
            ),
            global::Removed::NotInstalled => {
                eprintln!("the machine-wide hooks are not installed: nothing to remove")
            }
        }
        return Ok(Outcome::default());
    }
    let installed = global::install(&paths, exe)?;
    eprintln!(
        "installed the machine-wide git hooks in `{}` (`core.hooksPath` in `{}`): pre-commit and pre-push run misar-scan, then each repository's own hook",
        installed.dir.display(),
        installed.config.display()
    );
    if let Some(previous) = installed.previous {
        eprintln!("the previous `core.hooksPath` (`{previous}`) still runs after misar-scan, and comes back with `misar-scan install-hook --global --uninstall`");
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
