//! Where misar-scan stops a key (SPEC §5).
//!
//! - git: the hook scripts and their installer for pre-commit, pre-push and a
//!   server's pre-receive ([`git`]), the machine-wide hooks folder
//!   ([`global`]), and the push checks the hooks run ([`push`]).
//! - AI coding agents: the check that runs before every tool call and prompt
//!   ([`claude_code`], [`cursor`]), and the installer that adds it to the
//!   agent's settings ([`agent_settings`]).

pub mod agent_settings;
pub mod claude_code;
pub mod cursor;
pub mod git;
pub mod global;
pub mod push;
pub(crate) mod scan;

/// An agent whose command-hook protocol misar-scan speaks.
///
/// Codex CLI reads the same JSON events as Claude Code on standard input
/// (`hook_event_name`, `tool_name`, `tool_input`, `prompt`, `cwd`, …) and
/// blocks on exit 2 the same way; its file edits arrive as one `apply_patch`
/// tool call whose `tool_input.command` is the patch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Agent {
    /// Anthropic's Claude Code (<https://code.claude.com/docs/en/hooks>).
    ClaudeCode,
    /// OpenAI's Codex CLI (<https://developers.openai.com/codex/hooks>).
    Codex,
    /// Cursor's agent (<https://cursor.com/docs/agent/hooks>): its own
    /// events and JSON answers ([`cursor`]).
    Cursor,
}

impl Agent {
    /// The name on the command line: `claude-code` or `codex`.
    pub fn name(self) -> &'static str {
        match self {
            Self::ClaudeCode => "claude-code",
            Self::Codex => "codex",
            Self::Cursor => "cursor",
        }
    }

    /// The agent's name as people write it.
    pub fn title(self) -> &'static str {
        match self {
            Self::ClaudeCode => "Claude Code",
            Self::Codex => "Codex",
            Self::Cursor => "Cursor",
        }
    }
}
