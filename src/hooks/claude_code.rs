//! `misar-scan hook claude-code` (and `hook codex`): Claude Code's
//! command-hook protocol (SPEC §5, "AI coding agents").
//!
//! Claude Code runs the hook with one JSON event on standard input. The
//! fields read here are those of the published hooks reference
//! (<https://code.claude.com/docs/en/hooks>, "Hook input"): every event
//! carries `session_id`, `transcript_path`, `cwd`, `permission_mode` and
//! `hook_event_name`; a `PreToolUse` event adds `tool_name`, `tool_input`
//! and `tool_use_id`; a `UserPromptSubmit` event adds `prompt`. The
//! `tool_input` of the built-in tools: `Bash` `{command, description,
//! timeout, run_in_background}`, `Write` `{file_path, content}`, `Edit`
//! `{file_path, old_string, new_string, replace_all}`, `MultiEdit`
//! `{file_path, edits: [{old_string, new_string}]}`, `NotebookEdit`
//! `{notebook_path, new_source, …}`, `Read` `{file_path, offset, limit}`,
//! `WebFetch` `{url, prompt}`; an MCP tool (`mcp__<server>__<tool>`) gets its
//! arguments as they are, nested at any depth.
//!
//! What is checked:
//! - `PreToolUse`: every string in `tool_input` (object keys included),
//!   at any depth, except what is being removed (`old_string` of `Edit` and
//!   `MultiEdit`: taking a key out of a file must stay possible); for `Read`
//!   also the file at `file_path` (relative paths against `cwd`), before the
//!   model sees it. A `Write`, `Edit`, `MultiEdit`, `NotebookEdit` or `Read`
//!   of a path allow-listed by `allowlist.paths` is let through, as `scan`
//!   skips those files.
//! - `UserPromptSubmit`: the `prompt`.
//! - Any other event is let through.
//!
//! The answer follows the protocol's exit codes ("Exit code 2 behavior"): a
//! key found blocks with exit 2 and one redacted line on standard error,
//! which Claude Code shows to the model (a tool call) or to the user (a
//! prompt, which is then not sent); nothing found is exit 0 with no output
//! (a `UserPromptSubmit` hook's standard output would be added to the
//! prompt); an event that cannot be read or checked is exit 1, a
//! non-blocking error. The repository's `.misar-scan.toml` is found from
//! `cwd` upwards (up to the folder holding `.git`): its placeholder words,
//! allow-listed keys and paths, and disabled rules apply as in `scan`.
//!
//! Codex CLI sends the same events ([`Agent::Codex`]); its edits are one
//! `apply_patch` call whose `tool_input.command` is the patch, of which only
//! the added lines (`+…`) and the file headers are checked, for the same
//! reason `old_string` is not.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde::Deserialize;
use serde_json::Value;

use super::scan::{block_reason, collect_strings, scan_file, scan_text, Checker, Place};
use super::Agent;
use crate::finding::Finding;

/// The hook's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Nothing found, or an event that is not checked: exit 0, no output.
    Allow,
    /// A key was found: exit 2 with `reason`, one redacted line, on stderr.
    Block {
        /// Which key (redacted), where, and what to do instead.
        reason: String,
    },
    /// The event could not be read or checked: exit 1 with the reason
    /// (Claude Code shows it and carries on).
    Invalid(String),
}

/// One hook event, by `hook_event_name`.
#[derive(Debug, Deserialize)]
#[serde(tag = "hook_event_name")]
pub enum Event {
    /// Before a tool runs.
    PreToolUse(ToolUse),
    /// Before the user's prompt is sent to the model.
    UserPromptSubmit(PromptSubmit),
    /// Any other event: let through.
    #[serde(other)]
    Other,
}

/// A `PreToolUse` event.
#[derive(Debug, Deserialize)]
pub struct ToolUse {
    /// `Bash`, `Write`, `Edit`, `Read`, `mcp__server__tool`, `apply_patch`, …
    pub tool_name: String,
    /// The tool's arguments.
    pub tool_input: Value,
    /// The session's working directory.
    #[serde(default)]
    pub cwd: Option<PathBuf>,
    /// The session.
    #[serde(default)]
    pub session_id: Option<String>,
    /// The session's transcript (JSON Lines).
    #[serde(default)]
    pub transcript_path: Option<PathBuf>,
    /// The tool call.
    #[serde(default)]
    pub tool_use_id: Option<String>,
}

/// A `UserPromptSubmit` event.
#[derive(Debug, Deserialize)]
pub struct PromptSubmit {
    /// What the user typed.
    pub prompt: String,
    /// The session's working directory.
    #[serde(default)]
    pub cwd: Option<PathBuf>,
    /// The session.
    #[serde(default)]
    pub session_id: Option<String>,
    /// The session's transcript (JSON Lines).
    #[serde(default)]
    pub transcript_path: Option<PathBuf>,
}

/// Read one event (the bytes Claude Code wrote on standard input) and decide.
pub fn check(agent: Agent, input: &[u8]) -> Decision {
    let event: Event = match serde_json::from_slice(input) {
        Ok(event) => event,
        Err(e) => {
            let what = if e.is_data() {
                "is not an event misar-scan can read"
            } else {
                "is not valid JSON"
            };
            return Decision::Invalid(crate::sanitize::field(
                &format!(
                    "the {} hook event on standard input {what}: {e}",
                    agent.title()
                ),
                true,
            ));
        }
    };
    match decide(agent, &event) {
        Ok(decision) => decision,
        Err(e) => Decision::Invalid(crate::sanitize::field(&format!("{e:#}"), true)),
    }
}

/// Decide on a parsed event.
pub fn decide(agent: Agent, event: &Event) -> Result<Decision> {
    let (cwd, what) = match event {
        Event::PreToolUse(t) => (t.cwd.as_deref(), What::Tool(t)),
        Event::UserPromptSubmit(p) => (p.cwd.as_deref(), What::Prompt(&p.prompt)),
        Event::Other => return Ok(Decision::Allow),
    };
    let cwd = match cwd.filter(|c| !c.as_os_str().is_empty()) {
        Some(c) => c.to_path_buf(),
        None => std::env::current_dir().context("failed to read the current directory")?,
    };
    let checker = Checker::new(&cwd)?;
    let ctx = checker.ctx();
    let mut found: Vec<(Place, Finding)> = Vec::new();
    match what {
        What::Prompt(prompt) => {
            for f in scan_text(&ctx, prompt.as_bytes(), "prompt") {
                found.push((Place::Prompt, f));
            }
        }
        What::Tool(t) => {
            if let Some(path) = target_path(t) {
                if checker.path_allowed(&cwd.join(path)) {
                    return Ok(Decision::Allow);
                }
            }
            let mut strings = Vec::new();
            let skip_removed = matches!(t.tool_name.as_str(), "Edit" | "MultiEdit");
            collect_strings(
                &t.tool_input,
                &mut "tool_input".to_string(),
                skip_removed,
                &mut strings,
            );
            for (field, text) in strings {
                let text = if agent == Agent::Codex && t.tool_name == "apply_patch" {
                    std::borrow::Cow::Owned(added_lines(text))
                } else {
                    std::borrow::Cow::Borrowed(text)
                };
                for f in scan_text(&ctx, text.as_bytes(), &field) {
                    found.push((Place::Field(field.clone()), f));
                }
            }
            if t.tool_name == "Read" {
                if let Some(file) = t.tool_input.get("file_path").and_then(Value::as_str) {
                    for f in scan_file(&ctx, &cwd.join(file), file)? {
                        found.push((Place::File(file.to_string()), f));
                    }
                }
            }
        }
    }
    let tool = match event {
        Event::PreToolUse(t) => t.tool_name.as_str(),
        _ => "",
    };
    Ok(match block_reason(&found, tool) {
        None => Decision::Allow,
        Some(reason) => Decision::Block { reason },
    })
}

enum What<'a> {
    Tool(&'a ToolUse),
    Prompt(&'a str),
}

/// The file a built-in file tool reads or writes.
fn target_path(t: &ToolUse) -> Option<&Path> {
    let field = match t.tool_name.as_str() {
        "Read" | "Write" | "Edit" | "MultiEdit" => "file_path",
        "NotebookEdit" => "notebook_path",
        _ => return None,
    };
    t.tool_input
        .get(field)
        .and_then(Value::as_str)
        .map(Path::new)
}

/// The lines of a Codex patch that put text in a file: added lines (`+…`)
/// and the `*** …` headers; removed (`-…`) and context (` …`) lines are what
/// the file already holds.
fn added_lines(patch: &str) -> String {
    patch
        .lines()
        .filter(|l| l.starts_with('+') || l.starts_with("***"))
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn strings(input: Value, skip: bool) -> Vec<(String, String)> {
        let mut out = Vec::new();
        collect_strings(&input, &mut "tool_input".to_string(), skip, &mut out);
        out.into_iter().map(|(p, s)| (p, s.to_string())).collect()
    }

    #[test]
    fn every_string_is_collected_with_its_path_except_what_is_removed() {
        let input = json!({
            "file_path": "a.rs",
            "edits": [{"old_string": "gone", "new_string": "new"}],
            "weird key": {"n": 1, "deep": ["x"]}
        });
        let got = strings(input.clone(), true);
        let paths: Vec<&str> = got.iter().map(|(p, _)| p.as_str()).collect();
        assert_eq!(
            paths,
            [
                "tool_input.edits",
                "tool_input.edits[0].new_string",
                "tool_input.edits[0].new_string",
                "tool_input.file_path",
                "tool_input.file_path",
                "tool_input[\"weird key\"]",
                "tool_input[\"weird key\"].deep",
                "tool_input[\"weird key\"].deep[0]",
                "tool_input[\"weird key\"].n",
            ]
        );
        assert!(!got.iter().any(|(_, s)| s == "gone"));
        assert!(strings(input, false).iter().any(|(_, s)| s == "gone"));
    }

    #[test]
    fn a_codex_patch_is_checked_for_what_it_adds() {
        let patch = "*** Begin Patch\n*** Update File: a.env\n@@\n-KEY=old\n KEEP=1\n+KEY=new\n*** End Patch";
        assert_eq!(
            added_lines(patch),
            "*** Begin Patch\n*** Update File: a.env\n+KEY=new\n*** End Patch"
        );
    }

    #[test]
    fn unknown_events_are_let_through_and_bad_ones_are_invalid() {
        let other = br#"{"hook_event_name":"Stop","session_id":"s","stop_hook_active":false}"#;
        assert_eq!(check(Agent::ClaudeCode, other), Decision::Allow);
        let Decision::Invalid(why) = check(Agent::ClaudeCode, b"{\"tool_name\":\"Bash\"}") else {
            panic!("a missing hook_event_name is invalid")
        };
        assert!(why.contains("hook_event_name"), "{why}");
        let Decision::Invalid(why) = check(
            Agent::ClaudeCode,
            br#"{"hook_event_name":"PreToolUse","tool_name":"Bash"}"#,
        ) else {
            panic!("a PreToolUse without tool_input is invalid")
        };
        assert!(why.contains("tool_input"), "{why}");
    }
}
