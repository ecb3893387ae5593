//! `misar-scan hook cursor`: Cursor's agent hook protocol (SPEC §5, "AI
//! coding agents"; <https://cursor.com/docs/agent/hooks>).
//!
//! Cursor runs the command of each entry of `.cursor/hooks.json` (or
//! `~/.cursor/hooks.json`) with one JSON event on standard input. Every
//! event carries `hook_event_name`, `conversation_id`, `generation_id` and
//! `workspace_roots`; the events checked here add:
//! - `beforeShellExecution`: `command`, `cwd`;
//! - `beforeMCPExecution`: `tool_name`, `tool_input` (an object, or a string
//!   holding JSON), and the server's `url` or `command`;
//! - `beforeReadFile`: `file_path`, `content` (what the model would be
//!   shown), `attachments`;
//! - `beforeSubmitPrompt`: `prompt`, `attachments`.
//!
//! Any other event (`afterFileEdit`, `stop`, …) is let through.
//!
//! What is checked: the shell `command`; every string of `tool_input` (object
//! keys included) at any depth, a string holding JSON parsed first, and the
//! server's `url` and `command`; the `content` of a file read (or the file at
//! `file_path` when Cursor sent no content); the `prompt`; and the files
//! named by `attachments`. A read of a path allow-listed by
//! `allowlist.paths` is let through. The `.misar-scan.toml` is found from
//! `cwd` (a shell command) or the first of `workspace_roots`, as in the
//! other hooks.
//!
//! The answer is JSON on standard output, in the event's own shape: `{"permission":
//! "allow"|"deny", "user_message", "agent_message"}` for a shell command or
//! an MCP call, `{"permission": …}` for a file read, `{"continue": true|false,
//! "user_message"}` for a prompt. A deny also exits 2, which Cursor treats as
//! a deny on its own (exit 0 means "read the JSON", any other code is a hook
//! error): the call is blocked even if the JSON were not read. The redacted
//! line is also written to standard error. An event that cannot be read is
//! exit 1 with no JSON; Cursor then lets the action through unless the entry
//! sets `"failClosed": true`.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde::Deserialize;
use serde_json::{json, Value};

use super::scan::{block_reason, collect_strings, scan_file, scan_text, Checker, Place};
use crate::finding::Finding;

/// The hook's answer.
#[derive(Debug, Clone, PartialEq)]
pub enum Decision {
    /// Nothing found, or an event that is not checked: exit 0 with `answer`
    /// (`{"permission":"allow"}`, `{"continue":true}`, or `{}`).
    Allow {
        /// The JSON to print.
        answer: Value,
    },
    /// A key was found: exit 2 with `answer` (a deny) on standard output
    /// and `reason` on standard error.
    Deny {
        /// Which key (redacted), where, and what to do instead.
        reason: String,
        /// The JSON to print.
        answer: Value,
    },
    /// The event could not be read or checked: exit 1 with the reason on
    /// standard error and nothing on standard output.
    Invalid(String),
}

/// One Cursor hook event, by `hook_event_name`.
#[derive(Debug, Deserialize)]
#[serde(tag = "hook_event_name")]
pub enum Event {
    /// Before the agent runs a shell command.
    #[serde(rename = "beforeShellExecution")]
    Shell(ShellExecution),
    /// Before the agent calls an MCP tool.
    #[serde(rename = "beforeMCPExecution")]
    Mcp(McpExecution),
    /// Before the agent reads a file.
    #[serde(rename = "beforeReadFile")]
    ReadFile(ReadFile),
    /// Before the user's prompt is sent.
    #[serde(rename = "beforeSubmitPrompt")]
    SubmitPrompt(SubmitPrompt),
    /// Any other event: let through.
    #[serde(other)]
    Other,
}

/// A `beforeShellExecution` event.
#[derive(Debug, Deserialize)]
pub struct ShellExecution {
    /// The command line.
    pub command: String,
    /// Where it runs.
    #[serde(default)]
    pub cwd: Option<PathBuf>,
    /// The workspace's folders.
    #[serde(default)]
    pub workspace_roots: Vec<PathBuf>,
}

/// A `beforeMCPExecution` event.
#[derive(Debug, Deserialize)]
pub struct McpExecution {
    /// The tool.
    pub tool_name: String,
    /// Its arguments: an object, or a string holding JSON.
    #[serde(default)]
    pub tool_input: Value,
    /// The server's URL (a remote server).
    #[serde(default)]
    pub url: Option<String>,
    /// The server's command (a local server).
    #[serde(default)]
    pub command: Option<String>,
    /// The workspace's folders.
    #[serde(default)]
    pub workspace_roots: Vec<PathBuf>,
}

/// A `beforeReadFile` event.
#[derive(Debug, Deserialize)]
pub struct ReadFile {
    /// The file.
    pub file_path: PathBuf,
    /// Its content as Cursor read it.
    #[serde(default)]
    pub content: Option<String>,
    /// Files attached to it.
    #[serde(default)]
    pub attachments: Vec<Attachment>,
    /// The workspace's folders.
    #[serde(default)]
    pub workspace_roots: Vec<PathBuf>,
}

/// A `beforeSubmitPrompt` event.
#[derive(Debug, Deserialize)]
pub struct SubmitPrompt {
    /// What the user typed.
    pub prompt: String,
    /// Files attached to the prompt.
    #[serde(default)]
    pub attachments: Vec<Attachment>,
    /// The workspace's folders.
    #[serde(default)]
    pub workspace_roots: Vec<PathBuf>,
}

/// An attachment (`{"type": "file", "file_path": …}`; some versions write `filePath`).
#[derive(Debug, Deserialize)]
pub struct Attachment {
    /// `file`, `rule`, …
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
    /// The attached file.
    #[serde(default, alias = "filePath")]
    pub file_path: Option<PathBuf>,
}

/// Read one event (the bytes Cursor wrote on standard input) and decide.
pub fn check(input: &[u8]) -> Decision {
    let event: Event = match serde_json::from_slice(input) {
        Ok(event) => event,
        Err(e) => {
            let what = if e.is_data() {
                "is not an event misar-scan can read"
            } else {
                "is not valid JSON"
            };
            return Decision::Invalid(crate::sanitize::field(
                &format!("the Cursor hook event on standard input {what}: {e}"),
                true,
            ));
        }
    };
    match decide(&event) {
        Ok(decision) => decision,
        Err(e) => Decision::Invalid(crate::sanitize::field(&format!("{e:#}"), true)),
    }
}

/// The folder the configuration is found from: `cwd`, else the first
/// workspace root, else the current directory.
fn base(cwd: Option<&Path>, roots: &[PathBuf]) -> Result<PathBuf> {
    let given = cwd
        .into_iter()
        .chain(roots.iter().map(PathBuf::as_path))
        .find(|p| !p.as_os_str().is_empty());
    match given {
        Some(p) => Ok(p.to_path_buf()),
        None => std::env::current_dir().context("failed to read the current directory"),
    }
}

/// Decide on a parsed event.
pub fn decide(event: &Event) -> Result<Decision> {
    let (cwd, tool) = match event {
        Event::Shell(e) => (base(e.cwd.as_deref(), &e.workspace_roots)?, "shell"),
        Event::Mcp(e) => (base(None, &e.workspace_roots)?, "MCP"),
        Event::ReadFile(e) => (base(None, &e.workspace_roots)?, "file read"),
        Event::SubmitPrompt(e) => (base(None, &e.workspace_roots)?, "prompt (an attached file)"),
        Event::Other => return Ok(allow(event)),
    };
    let checker = Checker::new(&cwd)?;
    let ctx = checker.ctx();
    let mut found: Vec<(Place, Finding)> = Vec::new();
    let text = |text: &str, field: &str, found: &mut Vec<(Place, Finding)>| {
        for f in scan_text(&ctx, text.as_bytes(), field) {
            found.push((Place::Field(field.to_string()), f));
        }
    };
    match event {
        Event::Shell(e) => text(&e.command, "command", &mut found),
        Event::Mcp(e) => {
            let parsed;
            let input = match &e.tool_input {
                Value::String(s) => match serde_json::from_str::<Value>(s) {
                    Ok(v) => {
                        parsed = v;
                        &parsed
                    }
                    Err(_) => &e.tool_input,
                },
                other => other,
            };
            let mut strings = Vec::new();
            collect_strings(input, &mut "tool_input".to_string(), false, &mut strings);
            for (field, s) in strings {
                text(s, &field, &mut found);
            }
            if let Some(url) = &e.url {
                text(url, "url", &mut found);
            }
            if let Some(command) = &e.command {
                text(command, "command", &mut found);
            }
        }
        Event::ReadFile(e) => {
            let path = cwd.join(&e.file_path);
            if checker.path_allowed(&path) {
                return Ok(allow(event));
            }
            let shown = e.file_path.to_string_lossy();
            match &e.content {
                Some(content) => {
                    for f in scan_text(&ctx, content.as_bytes(), &shown) {
                        found.push((Place::File(shown.to_string()), f));
                    }
                }
                None => {
                    for f in scan_file(&ctx, &path, &shown)? {
                        found.push((Place::File(shown.to_string()), f));
                    }
                }
            }
            attachments(&checker, &cwd, &e.attachments, &mut found)?;
        }
        Event::SubmitPrompt(e) => {
            for f in scan_text(&ctx, e.prompt.as_bytes(), "prompt") {
                found.push((Place::Prompt, f));
            }
            attachments(&checker, &cwd, &e.attachments, &mut found)?;
        }
        Event::Other => {}
    }
    Ok(match block_reason(&found, tool) {
        None => allow(event),
        Some(reason) => Decision::Deny {
            answer: deny(event, &reason),
            reason,
        },
    })
}

/// The files named by `attachments` (not allow-listed ones).
fn attachments(
    checker: &Checker,
    cwd: &Path,
    list: &[Attachment],
    found: &mut Vec<(Place, Finding)>,
) -> Result<()> {
    let ctx = checker.ctx();
    for file in list.iter().filter_map(|a| a.file_path.as_deref()) {
        let path = cwd.join(file);
        if checker.path_allowed(&path) {
            continue;
        }
        let shown = file.to_string_lossy();
        for f in scan_file(&ctx, &path, &shown)? {
            found.push((Place::File(shown.to_string()), f));
        }
    }
    Ok(())
}

/// The answer that lets `event` through.
fn allow(event: &Event) -> Decision {
    let answer = match event {
        Event::Shell(_) | Event::Mcp(_) | Event::ReadFile(_) => json!({"permission": "allow"}),
        Event::SubmitPrompt(_) => json!({"continue": true}),
        Event::Other => json!({}),
    };
    Decision::Allow { answer }
}

/// The answer that blocks `event`, saying `reason`.
fn deny(event: &Event, reason: &str) -> Value {
    match event {
        Event::SubmitPrompt(_) => json!({"continue": false, "user_message": reason}),
        Event::ReadFile(_) => json!({"permission": "deny"}),
        _ => json!({"permission": "deny", "user_message": reason, "agent_message": reason}),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn other_events_are_let_through_and_bad_ones_are_invalid() {
        let stop = br#"{"hook_event_name":"stop","conversation_id":"c","status":"completed"}"#;
        assert_eq!(check(stop), Decision::Allow { answer: json!({}) });
        assert!(matches!(check(b"{"), Decision::Invalid(_)));
        let Decision::Invalid(why) = check(br#"{"hook_event_name":"beforeShellExecution"}"#) else {
            panic!("a shell event without command is invalid")
        };
        assert!(why.contains("command"), "{why}");
    }

    #[test]
    fn a_clean_prompt_continues() {
        let dir = tempfile::tempdir().unwrap();
        let event = json!({"hook_event_name": "beforeSubmitPrompt", "prompt": "hi",
            "workspace_roots": [dir.path()]});
        assert_eq!(
            check(event.to_string().as_bytes()),
            Decision::Allow {
                answer: json!({"continue": true})
            }
        );
    }
}
