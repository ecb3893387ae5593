//! `misar-scan hook …`: the hook entry points (SPEC §5).
//!
//! `hook pre-push` and `hook pre-receive` read git's lines on standard input
//! and answer with the exit code (0 go on, 1 keys found, 2 not scanned) and
//! their lines on standard error; the checks are [`crate::hooks::push`].
//! `hook claude-code` / `hook codex` read an AI coding agent's event and
//! answer with the agent's exit code ([`Outcome::agent`]) and at most one
//! line on standard error ([`crate::hooks::claude_code`]); `hook cursor`
//! answers in JSON on standard output as well ([`crate::hooks::cursor`]).

#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::io::Read;

use anyhow::Result;
use clap::{Args, Subcommand};

use super::{AgentVerdict, Outcome};
use crate::hooks::claude_code::{check, Decision};
use crate::hooks::push;
use crate::hooks::Agent;

/// Options of `hook`.
#[derive(Debug, Args)]
#[command(after_help = AFTER)]
pub struct HookArgs {
    /// Which agent's event is on standard input.
    #[command(subcommand)]
    pub agent: HookCommand,
}

const AFTER: &str = "Reads one JSON event on standard input. PreToolUse: every string of `tool_input` \
is checked (not an Edit's `old_string`), and for Read the file too; UserPromptSubmit: the prompt. \
Exit 0: nothing found, nothing printed. Exit 2: a key was found; one redacted line on standard \
error says which key, where, and to use an environment variable instead. Exit 1: the event \
could not be read (a non-blocking error for the agent).\n\n\
Install it with `misar-scan install-hook --agent claude-code` (or `--agent codex`).\n\n\
Examples:\n  misar-scan install-hook --agent claude-code\n  echo '{\"hook_event_name\":\"UserPromptSubmit\",\"prompt\":\"hi\",\"cwd\":\".\"}' | misar-scan hook claude-code";

/// The hooks.
#[derive(Debug, Subcommand)]
pub enum HookCommand {
    /// git's pre-push hook: blocks a push whose new commits add a key.
    #[command(after_help = AFTER_PRE_PUSH)]
    PrePush {
        /// The remote's name (or URL), as git passes it.
        remote: Option<String>,
        /// The remote's URL, as git passes it.
        url: Option<String>,
    },
    /// A Git server's pre-receive hook: rejects a push whose new commits add a key.
    #[command(after_help = AFTER_PRE_RECEIVE)]
    PreReceive {
        /// A `.misar-scan.toml` to use (default: the nearest one in the repository's folder or above it).
        #[arg(long, value_name = "FILE")]
        config: Option<std::path::PathBuf>,
    },
    /// Claude Code's command hook, for PreToolUse and UserPromptSubmit.
    #[command(after_help = AFTER)]
    ClaudeCode,
    /// Codex CLI's command hook (Claude Code's protocol; `apply_patch` is checked for what it adds).
    #[command(after_help = AFTER)]
    Codex,
    /// Cursor's agent hook, for beforeShellExecution, beforeMCPExecution, beforeReadFile and beforeSubmitPrompt.
    #[command(after_help = AFTER_CURSOR)]
    Cursor,
}

const AFTER_CURSOR: &str = "Reads one Cursor hook event on standard input and answers in JSON on \
standard output. beforeShellExecution: the command; beforeMCPExecution: every string of \
`tool_input` (an object or a string holding JSON) and the server; beforeReadFile: the content; \
beforeSubmitPrompt: the prompt; attached files too. Nothing found: exit 0 with \
{\"permission\":\"allow\"} (a prompt: {\"continue\":true}). A key found: exit 2 with \
{\"permission\":\"deny\",\"user_message\":…,\"agent_message\":…} (a prompt: {\"continue\":false,…}), \
one redacted line. Exit 1: the event could not be read (no JSON; Cursor lets the action through \
unless the hook sets \"failClosed\": true).\n\n\
Install it with `misar-scan install-hook --agent cursor`.\n\n\
Examples:\n  misar-scan install-hook --agent cursor\n  echo '{\"hook_event_name\":\"beforeSubmitPrompt\",\"prompt\":\"hi\",\"workspace_roots\":[\".\"]}' | misar-scan hook cursor";

const AFTER_PRE_PUSH: &str = "Reads git's `<local ref> <local oid> <remote ref> <remote oid>` \
lines on standard input and scans the commits the push would add to the remote: reachable from \
each local oid and from no remote-tracking ref of that remote nor its remote oid. A deletion \
scans nothing. Exit 0: nothing found. Exit 1: keys found, each named (redacted) on standard \
error; the push is blocked. Exit 2: the push could not be scanned. Bypass once with \
`git push --no-verify`.\n\n\
Install it with `misar-scan install-hook --pre-push` (or machine-wide with `--global`).";

const AFTER_PRE_RECEIVE: &str = "Runs on a Git server. Reads git's `<old-oid> <new-oid> <ref>` \
lines on standard input and scans only what the push adds: commits reachable from each new oid \
and from no existing ref, read from git's quarantine folder. Exit 0: nothing found. Exit 1: keys \
found; the push is rejected and the pusher sees each redacted key, its path and commit, and the \
bypass command. Exit 2: the push could not be scanned (rejected too). Break-glass: \
`git push -o misar-scan.bypass=\"<reason>\"` accepts it and appends one JSON line (time, \
reason, pusher, refs, commits, each finding's rule, path and sha256; never a key) to \
`misar-scan/bypass.jsonl` in the repository's git folder.\n\n\
Install it with `misar-scan install-hook --pre-receive` inside the bare repository.";

/// Run `hook`.
pub fn run(args: HookArgs) -> Result<Outcome> {
    let agent = match args.agent {
        HookCommand::PrePush { remote, url } => {
            let cwd = std::env::current_dir()?;
            let remote = remote.or(url).unwrap_or_default();
            return Ok(run_push(|input| {
                push::pre_push(input, &push::PrePushEnv { remote, cwd })
            }));
        }
        HookCommand::PreReceive { config } => {
            let env = push::ReceiveEnv::from_env(config);
            return Ok(run_push(|input| push::pre_receive(input, &env)));
        }
        HookCommand::ClaudeCode => Agent::ClaudeCode,
        HookCommand::Codex => Agent::Codex,
        HookCommand::Cursor => return run_cursor(),
    };
    let mut input = Vec::new();
    let decision = match std::io::stdin().lock().read_to_end(&mut input) {
        Ok(_) => check(agent, &input),
        Err(e) => Decision::Invalid(format!("could not read standard input: {e}")),
    };
    let verdict = match decision {
        Decision::Allow => AgentVerdict::Allow,
        Decision::Block { reason } => {
            eprintln!("{reason}");
            AgentVerdict::Block
        }
        Decision::Invalid(reason) => {
            eprintln!("misar-scan: {reason}");
            AgentVerdict::Invalid
        }
    };
    Ok(Outcome {
        agent: Some(verdict),
        ..Outcome::default()
    })
}

/// A push hook: its lines on standard error, its verdict as the exit code.
fn run_push(check: impl FnOnce(&[u8]) -> push::Answer) -> Outcome {
    let mut input = Vec::new();
    let answer = match std::io::stdin().lock().read_to_end(&mut input) {
        Ok(_) => check(&input),
        Err(e) => push::Answer::failed(
            "push rejected",
            &anyhow::anyhow!("could not read standard input: {e}")
                .context("the push could not be scanned"),
        ),
    };
    for line in &answer.lines {
        eprintln!("{line}");
    }
    match answer.verdict {
        push::Verdict::Accept => Outcome::default(),
        push::Verdict::Reject { findings } => Outcome {
            findings,
            ..Outcome::default()
        },
        push::Verdict::Failed => Outcome {
            incomplete: true,
            ..Outcome::default()
        },
    }
}

/// `hook cursor`: the JSON answer on standard output, the exit code by
/// the same verdicts (a deny is also exit 2, which Cursor reads as a deny).
fn run_cursor() -> Result<Outcome> {
    use crate::hooks::cursor::{check, Decision};
    let mut input = Vec::new();
    let decision = match std::io::stdin().lock().read_to_end(&mut input) {
        Ok(_) => check(&input),
        Err(e) => Decision::Invalid(format!("could not read standard input: {e}")),
    };
    let verdict = match decision {
        Decision::Allow { answer } => {
            println!("{answer}");
            AgentVerdict::Allow
        }
        Decision::Deny { reason, answer } => {
            println!("{answer}");
            eprintln!("{reason}");
            AgentVerdict::Block
        }
        Decision::Invalid(reason) => {
            eprintln!("misar-scan: {reason}");
            AgentVerdict::Invalid
        }
    };
    Ok(Outcome {
        agent: Some(verdict),
        ..Outcome::default()
    })
}
