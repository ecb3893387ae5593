//! `misar-scan hook claude-code` / `hook codex`: an AI coding agent's hook
//! (SPEC §5). Reads one event on standard input, answers with the exit code
//! ([`Outcome::agent`]) and at most one line on standard error. The check
//! itself is [`crate::hooks::claude_code`]. `hook cursor` answers in JSON on
//! standard output as well ([`crate::hooks::cursor`]).

#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::io::Read;

use anyhow::Result;
use clap::{Args, Subcommand};

use super::{AgentVerdict, Outcome};
use crate::hooks::claude_code::{check, Decision};
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

/// The agents.
#[derive(Debug, Subcommand)]
pub enum HookCommand {
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

/// Run `hook`.
pub fn run(args: HookArgs) -> Result<Outcome> {
    let agent = match args.agent {
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
