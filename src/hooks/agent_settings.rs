//! `install-hook --agent claude-code|codex [--global] [--uninstall]`: add
//! misar-scan's hook to an agent's settings file, or take it out (SPEC §5).
//!
//! Claude Code reads hooks from `.claude/settings.json` (the project's,
//! shared through the repository) and `~/.claude/settings.json` (the
//! user's), in this shape (<https://code.claude.com/docs/en/hooks>,
//! "Configuration"):
//!
//! ```json
//! {"hooks": {
//!   "PreToolUse": [{"matcher": "*", "hooks": [{"type": "command", "command": "misar-scan hook claude-code"}]}],
//!   "UserPromptSubmit": [{"hooks": [{"type": "command", "command": "misar-scan hook claude-code"}]}]
//! }}
//! ```
//!
//! `"*"` matches every tool; `UserPromptSubmit` takes no matcher. Codex CLI
//! reads the same shape from `.codex/hooks.json` and `~/.codex/hooks.json`
//! (<https://developers.openai.com/codex/hooks>); a group without a matcher
//! matches every tool there.
//!
//! Cursor reads `.cursor/hooks.json` and `~/.cursor/hooks.json`
//! (<https://cursor.com/docs/agent/hooks>) in a flatter shape: a `version`
//! and, per event, a list of entries with a `command`:
//!
//! ```json
//! {"version": 1, "hooks": {
//!   "beforeShellExecution": [{"command": "misar-scan hook cursor"}],
//!   "beforeMCPExecution": [{"command": "misar-scan hook cursor"}],
//!   "beforeReadFile": [{"command": "misar-scan hook cursor"}],
//!   "beforeSubmitPrompt": [{"command": "misar-scan hook cursor"}]
//! }}
//! ```
//!
//! [`merge`] and [`unmerge`] are pure functions on the parsed file: every
//! other setting and every other hook is kept, misar-scan's own entries are
//! told apart by their command ([`is_ours`]), a second [`merge`] changes
//! nothing, and [`unmerge`] removes only what is ours (and the groups and
//! event lists that held nothing else). [`apply`] is the file around them.
//! serde_json writes object members in sorted order, so a file written by
//! hand may see its members reordered (nothing else changes).

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use serde_json::{json, Map, Value};

use super::Agent;

/// The events the hook is added to.
const EVENTS: [&str; 2] = ["PreToolUse", "UserPromptSubmit"];

/// Cursor's events the hook is added to.
const CURSOR_EVENTS: [&str; 4] = [
    "beforeShellExecution",
    "beforeMCPExecution",
    "beforeReadFile",
    "beforeSubmitPrompt",
];

/// The settings file, relative to the project folder or the home folder.
pub fn settings_file(agent: Agent) -> &'static str {
    match agent {
        Agent::ClaudeCode => ".claude/settings.json",
        Agent::Codex => ".codex/hooks.json",
        Agent::Cursor => ".cursor/hooks.json",
    }
}

/// The command the agent runs: `misar-scan hook <agent>`, or with `exe` that
/// binary by its absolute path (quoted for `sh` when it needs it).
pub fn hook_command(agent: Agent, exe: Option<&Path>) -> String {
    let program = match exe {
        None => "misar-scan".to_string(),
        Some(p) => {
            let p = p.to_string_lossy();
            let plain = p
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"/._-+:@".contains(&b));
            if plain {
                p.into_owned()
            } else {
                format!("'{}'", p.replace('\'', r"'\''"))
            }
        }
    };
    format!("{program} hook {}", agent.name())
}

/// Whether `command` runs misar-scan's hook for `agent`.
pub fn is_ours(agent: Agent, command: &str) -> bool {
    command.contains("misar-scan") && command.contains(&format!("hook {}", agent.name()))
}

fn command_of(entry: &Value) -> Option<&str> {
    entry.get("command").and_then(Value::as_str)
}

/// The members of `value`, or an error naming `what` when it is not an object.
fn object_mut<'a>(value: &'a mut Value, what: &str) -> Result<&'a mut Map<String, Value>> {
    match value {
        Value::Object(map) => Ok(map),
        _ => bail!("{what} is not a JSON object"),
    }
}

/// Add the hook running `command` to `PreToolUse` (every tool) and
/// `UserPromptSubmit` in `settings`. An entry of ours already there keeps
/// its place (its command is updated when it differs). Returns whether
/// anything changed.
pub fn merge(settings: &mut Value, agent: Agent, command: &str) -> Result<bool> {
    if agent == Agent::Cursor {
        return merge_cursor(settings, command);
    }
    let root = object_mut(settings, "the settings file")?;
    let hooks = root.entry("hooks").or_insert_with(|| json!({}));
    let hooks = object_mut(hooks, "`hooks`")?;
    let mut changed = false;
    for event in EVENTS {
        let groups = hooks.entry(event).or_insert_with(|| json!([]));
        let Value::Array(groups) = groups else {
            bail!("`hooks.{event}` is not a JSON array");
        };
        let mut found = false;
        for group in groups.iter_mut() {
            let Some(list) = group.get_mut("hooks").and_then(Value::as_array_mut) else {
                continue;
            };
            for entry in list.iter_mut() {
                if command_of(entry).is_some_and(|c| is_ours(agent, c)) {
                    found = true;
                    if command_of(entry) != Some(command) {
                        entry["command"] = Value::from(command);
                        changed = true;
                    }
                }
            }
        }
        if !found {
            let mut group = json!({"hooks": [{"type": "command", "command": command}]});
            if event == "PreToolUse" && agent == Agent::ClaudeCode {
                group["matcher"] = Value::from("*");
            }
            groups.push(group);
            changed = true;
        }
    }
    Ok(changed)
}

/// Remove every hook entry of ours from `settings`, and the groups, event
/// lists and `hooks` object that held nothing else. Returns whether
/// anything changed.
pub fn unmerge(settings: &mut Value, agent: Agent) -> Result<bool> {
    if agent == Agent::Cursor {
        return unmerge_cursor(settings);
    }
    let root = object_mut(settings, "the settings file")?;
    let Some(hooks) = root.get_mut("hooks") else {
        return Ok(false);
    };
    let hooks = object_mut(hooks, "`hooks`")?;
    let mut emptied = Vec::new();
    let mut changed = false;
    for (event, groups) in hooks.iter_mut() {
        let Value::Array(groups) = groups else {
            continue;
        };
        let before = groups.len();
        groups.retain_mut(|group| {
            let Some(list) = group.get_mut("hooks").and_then(Value::as_array_mut) else {
                return true;
            };
            let n = list.len();
            list.retain(|entry| !command_of(entry).is_some_and(|c| is_ours(agent, c)));
            if list.len() == n {
                return true;
            }
            changed = true;
            !list.is_empty()
        });
        if groups.is_empty() && before > 0 {
            emptied.push(event.clone());
        }
    }
    for event in emptied {
        hooks.remove(&event);
    }
    if changed && hooks.is_empty() {
        root.remove("hooks");
    }
    Ok(changed)
}

/// [`merge`] for Cursor's `hooks.json`: `version` set to 1 when missing,
/// our entry added to each of [`CURSOR_EVENTS`] (or its command updated).
fn merge_cursor(settings: &mut Value, command: &str) -> Result<bool> {
    let root = object_mut(settings, "the hooks file")?;
    let mut changed = false;
    if !root.contains_key("version") {
        root.insert("version".into(), Value::from(1));
        changed = true;
    }
    let hooks = root.entry("hooks").or_insert_with(|| json!({}));
    let hooks = object_mut(hooks, "`hooks`")?;
    for event in CURSOR_EVENTS {
        let entries = hooks.entry(event).or_insert_with(|| json!([]));
        let Value::Array(entries) = entries else {
            bail!("`hooks.{event}` is not a JSON array");
        };
        let mut found = false;
        for entry in entries.iter_mut() {
            if command_of(entry).is_some_and(|c| is_ours(Agent::Cursor, c)) {
                found = true;
                if command_of(entry) != Some(command) {
                    entry["command"] = Value::from(command);
                    changed = true;
                }
            }
        }
        if !found {
            entries.push(json!({"command": command}));
            changed = true;
        }
    }
    Ok(changed)
}

/// [`unmerge`] for Cursor's `hooks.json`: our entries out, and the event
/// lists and `hooks` object that held nothing else (`version` stays).
fn unmerge_cursor(settings: &mut Value) -> Result<bool> {
    let root = object_mut(settings, "the hooks file")?;
    let Some(hooks) = root.get_mut("hooks") else {
        return Ok(false);
    };
    let hooks = object_mut(hooks, "`hooks`")?;
    let mut changed = false;
    hooks.retain(|_, entries| {
        let Value::Array(list) = entries else {
            return true;
        };
        let n = list.len();
        list.retain(|entry| !command_of(entry).is_some_and(|c| is_ours(Agent::Cursor, c)));
        if list.len() == n {
            return true;
        }
        changed = true;
        !list.is_empty()
    });
    if changed && hooks.is_empty() {
        root.remove("hooks");
    }
    Ok(changed)
}

/// What [`apply`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// The settings file did not exist and was written with the hook.
    Created,
    /// The hook was added to (or updated in) an existing settings file.
    Added,
    /// The hook was already there: the file was not touched.
    Unchanged,
    /// misar-scan's entries were removed.
    Removed,
    /// There was nothing of ours to remove: the file was not touched.
    NotInstalled,
}

/// What to install where.
#[derive(Debug, Clone)]
pub struct AgentHookOptions {
    /// Whose settings.
    pub agent: Agent,
    /// The settings file to edit (see [`settings_path`]).
    pub path: PathBuf,
    /// The command the hook runs ([`hook_command`]).
    pub command: String,
    /// Remove our entries instead of adding them.
    pub uninstall: bool,
}

/// The settings file of `agent`: under `home` when `global`, else under the
/// project folder: the root of the git work tree holding `cwd`, or `cwd`.
pub fn settings_path(
    agent: Agent,
    global: bool,
    home: Option<&Path>,
    cwd: &Path,
) -> Result<PathBuf> {
    let base = if global {
        match home {
            Some(home) if !home.as_os_str().is_empty() => home.to_path_buf(),
            _ => bail!("`--global` edits the settings in your home folder, but `HOME` is not set"),
        }
    } else {
        git2::Repository::discover(cwd)
            .ok()
            .and_then(|r| r.workdir().map(Path::to_path_buf))
            .unwrap_or_else(|| cwd.to_path_buf())
    };
    Ok(base.join(settings_file(agent)))
}

/// Add (or with `uninstall` remove) the hook in the settings file. A file
/// that is not valid JSON is never overwritten. The file is replaced
/// atomically, keeping its permissions; a symbolic link (dotfiles) is
/// followed and the file it points to is written.
pub fn apply(opts: &AgentHookOptions) -> Result<Change> {
    let path = match opts.path.canonicalize() {
        Ok(real) => real,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => opts.path.clone(),
        Err(e) => {
            return Err(e).with_context(|| format!("failed to read `{}`", opts.path.display()))
        }
    };
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => Some(text),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(e).with_context(|| format!("failed to read `{}`", path.display())),
    };
    let mut settings = match text.as_deref().map(str::trim) {
        None | Some("") => json!({}),
        Some(text) => serde_json::from_str(text).with_context(|| {
            format!(
                "`{}` is not valid JSON, so misar-scan leaves it alone: fix it and run this again",
                path.display()
            )
        })?,
    };
    let what = format!("`{}`", path.display());
    let changed = if opts.uninstall {
        unmerge(&mut settings, opts.agent)
    } else {
        merge(&mut settings, opts.agent, &opts.command)
    }
    .with_context(|| format!("cannot edit {what}"))?;
    if !changed {
        return Ok(if opts.uninstall {
            Change::NotInstalled
        } else {
            Change::Unchanged
        });
    }
    write_atomically(&path, &settings)?;
    Ok(match (opts.uninstall, text.is_some()) {
        (true, _) => Change::Removed,
        (false, true) => Change::Added,
        (false, false) => Change::Created,
    })
}

fn write_atomically(path: &Path, settings: &Value) -> Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)
        .with_context(|| format!("failed to create `{}`", dir.display()))?;
    let mut text = serde_json::to_string_pretty(settings)?;
    text.push('\n');
    let failed = || format!("failed to write `{}`", path.display());
    let mut tmp = tempfile::NamedTempFile::new_in(dir).with_context(failed)?;
    std::io::Write::write_all(&mut tmp, text.as_bytes()).with_context(failed)?;
    let permissions = std::fs::metadata(path).map(|m| m.permissions());
    if let Ok(permissions) = permissions {
        tmp.as_file()
            .set_permissions(permissions)
            .with_context(failed)?;
    }
    tmp.persist(path)
        .map_err(|e| e.error)
        .with_context(failed)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const CMD: &str = "misar-scan hook claude-code";

    fn others() -> Value {
        json!({
            "permissions": {"allow": ["Bash(npm test)"]},
            "hooks": {
                "PreToolUse": [{"matcher": "Bash", "hooks": [{"type": "command", "command": "./guard.sh"}]}],
                "Stop": [{"hooks": [{"type": "command", "command": "notify-send done"}]}]
            }
        })
    }

    #[test]
    fn merge_keeps_every_other_hook_and_is_idempotent() {
        let mut s = others();
        assert!(merge(&mut s, Agent::ClaudeCode, CMD).unwrap());
        let once = s.clone();
        assert!(!merge(&mut s, Agent::ClaudeCode, CMD).unwrap());
        assert_eq!(s, once);
        assert_eq!(s["permissions"], others()["permissions"]);
        assert_eq!(s["hooks"]["Stop"], others()["hooks"]["Stop"]);
        let pre = s["hooks"]["PreToolUse"].as_array().unwrap();
        assert_eq!(pre[0], others()["hooks"]["PreToolUse"][0]);
        assert_eq!(
            pre[1],
            json!({"matcher": "*", "hooks": [{"type": "command", "command": CMD}]})
        );
        assert_eq!(
            s["hooks"]["UserPromptSubmit"],
            json!([{"hooks": [{"type": "command", "command": CMD}]}])
        );
    }

    #[test]
    fn unmerge_removes_only_ours() {
        let mut s = others();
        merge(&mut s, Agent::ClaudeCode, CMD).unwrap();
        assert!(unmerge(&mut s, Agent::ClaudeCode).unwrap());
        assert_eq!(s, others());
        assert!(!unmerge(&mut s, Agent::ClaudeCode).unwrap());
        let mut empty = json!({});
        merge(&mut empty, Agent::ClaudeCode, CMD).unwrap();
        unmerge(&mut empty, Agent::ClaudeCode).unwrap();
        assert_eq!(empty, json!({}));
    }

    #[test]
    fn a_moved_binary_updates_our_entry_in_place() {
        let mut s = json!({});
        merge(
            &mut s,
            Agent::ClaudeCode,
            "/old/misar-scan hook claude-code",
        )
        .unwrap();
        assert!(merge(&mut s, Agent::ClaudeCode, CMD).unwrap());
        assert_eq!(s["hooks"]["PreToolUse"].as_array().unwrap().len(), 1);
        assert_eq!(s["hooks"]["PreToolUse"][0]["hooks"][0]["command"], CMD);
    }

    #[test]
    fn codex_groups_have_no_matcher_and_agents_do_not_touch_each_other() {
        let mut s = json!({});
        merge(&mut s, Agent::Codex, "misar-scan hook codex").unwrap();
        assert!(s["hooks"]["PreToolUse"][0].get("matcher").is_none());
        assert!(!unmerge(&mut s, Agent::ClaudeCode).unwrap());
    }

    #[test]
    fn cursor_entries_are_flat_keep_other_hooks_and_come_out_cleanly() {
        const CUR: &str = "misar-scan hook cursor";
        let theirs = json!({"version": 1, "hooks": {
            "afterFileEdit": [{"command": "./format.sh"}],
            "beforeShellExecution": [{"command": "./audit.sh"}]
        }});
        let mut s = theirs.clone();
        assert!(merge(&mut s, Agent::Cursor, CUR).unwrap());
        let once = s.clone();
        assert!(!merge(&mut s, Agent::Cursor, CUR).unwrap());
        assert_eq!(s, once);
        assert_eq!(
            s["hooks"]["afterFileEdit"],
            theirs["hooks"]["afterFileEdit"]
        );
        assert_eq!(
            s["hooks"]["beforeShellExecution"],
            json!([{"command": "./audit.sh"}, {"command": CUR}])
        );
        for event in CURSOR_EVENTS {
            assert!(s["hooks"][event]
                .as_array()
                .unwrap()
                .contains(&json!({"command": CUR})));
        }
        assert!(!unmerge(&mut s, Agent::Codex).unwrap());
        assert!(unmerge(&mut s, Agent::Cursor).unwrap());
        assert_eq!(s, theirs);
        let mut empty = json!({});
        merge(&mut empty, Agent::Cursor, CUR).unwrap();
        assert_eq!(empty["version"], 1);
        unmerge(&mut empty, Agent::Cursor).unwrap();
        assert_eq!(empty, json!({"version": 1}));
    }

    #[test]
    fn shapes_we_cannot_edit_are_errors() {
        assert!(merge(&mut json!([]), Agent::ClaudeCode, CMD).is_err());
        assert!(merge(&mut json!({"hooks": []}), Agent::ClaudeCode, CMD).is_err());
        assert!(merge(
            &mut json!({"hooks": {"PreToolUse": {}}}),
            Agent::ClaudeCode,
            CMD
        )
        .is_err());
    }

    #[test]
    fn the_command_quotes_a_path_only_when_it_must() {
        assert_eq!(
            hook_command(
                Agent::ClaudeCode,
                Some(Path::new("/usr/local/bin/misar-scan"))
            ),
            "/usr/local/bin/misar-scan hook claude-code"
        );
        assert_eq!(
            hook_command(Agent::Codex, Some(Path::new("/opt/it's here/misar-scan"))),
            r"'/opt/it'\''s here/misar-scan' hook codex"
        );
        assert_eq!(hook_command(Agent::ClaudeCode, None), CMD);
    }
}
