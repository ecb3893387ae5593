//! AI coding agents (issue 17, SPEC §5): `hook claude-code` and `hook codex`
//! on real-shaped events (field names from Claude Code's hooks reference,
//! <https://code.claude.com/docs/en/hooks>), `install-hook --agent`, and
//! scanning agent transcripts (`~/.claude/projects/**/*.jsonl`).

// A skipped test says why on standard error.
#![allow(clippy::print_stderr)]

mod common;

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use common::{assert_no_full_key, fake_key};
use serde_json::{json, Value};

/// What a run of the binary gave.
struct Out {
    code: i32,
    stdout: String,
    stderr: String,
}

/// The binary in `cwd` with a cleared environment, `HOME` at `home`.
fn bin(cwd: &Path, home: &Path) -> Command {
    let mut cmd = Command::cargo_bin("misar-scan").unwrap();
    cmd.current_dir(cwd)
        .env_clear()
        .env("HOME", home)
        .env("NO_COLOR", "1")
        .env("PATH", std::env::var_os("PATH").unwrap_or_default());
    cmd
}

/// Run `args` with `stdin`; no key of `keys` may appear in full anywhere.
fn run_with(cwd: &Path, home: &Path, args: &[&str], stdin: &[u8], keys: &[&str]) -> Out {
    let out = bin(cwd, home)
        .args(args)
        .write_stdin(stdin)
        .output()
        .unwrap();
    let out = Out {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    };
    assert_no_full_key("stdout", &out.stdout, keys);
    assert_no_full_key("stderr", &out.stderr, keys);
    out
}

/// `misar-scan hook claude-code` on `event`, run from `cwd`.
fn hook(cwd: &Path, event: &Value, keys: &[&str]) -> Out {
    run_with(
        cwd,
        cwd,
        &["hook", "claude-code"],
        event.to_string().as_bytes(),
        keys,
    )
}

/// A `PreToolUse` event as Claude Code writes it.
fn pre_tool_use(cwd: &Path, tool: &str, input: Value) -> Value {
    json!({
        "session_id": "8c35adc1-0d6b-4a27-9f37-3c2b8a7e5d10",
        "transcript_path": "/home/u/.claude/projects/-tmp-p/8c35adc1-0d6b-4a27-9f37-3c2b8a7e5d10.jsonl",
        "cwd": cwd,
        "permission_mode": "default",
        "hook_event_name": "PreToolUse",
        "tool_name": tool,
        "tool_input": input,
        "tool_use_id": "toolu_01ABC123"
    })
}

/// A `UserPromptSubmit` event.
fn prompt(cwd: &Path, text: &str) -> Value {
    json!({
        "session_id": "8c35adc1-0d6b-4a27-9f37-3c2b8a7e5d10",
        "transcript_path": "/home/u/.claude/projects/-tmp-p/8c35adc1.jsonl",
        "cwd": cwd,
        "permission_mode": "default",
        "hook_event_name": "UserPromptSubmit",
        "prompt": text
    })
}

/// A block: exit 2, nothing on stdout, one line on stderr naming the key by
/// its first 8 characters, the place, and an environment variable.
fn assert_blocked(out: &Out, key: &str, place: &str) {
    assert_eq!(out.code, 2, "stderr: {}", out.stderr);
    assert_eq!(out.stdout, "");
    let lines: Vec<&str> = out.stderr.lines().collect();
    assert_eq!(lines.len(), 1, "one line on stderr:\n{}", out.stderr);
    assert!(
        lines[0].contains(&format!("{}…", &key[..8])),
        "the redacted key: {}",
        lines[0]
    );
    assert!(
        lines[0].contains(place),
        "the place `{place}`: {}",
        lines[0]
    );
    assert!(
        lines[0].contains("environment variable"),
        "what to do: {}",
        lines[0]
    );
}

fn assert_allowed(out: &Out) {
    assert_eq!(out.code, 0, "stderr: {}", out.stderr);
    assert_eq!(out.stdout, "");
    assert_eq!(out.stderr, "");
}

#[test]
fn a_bash_command_with_a_key_is_blocked() {
    let dir = tempfile::tempdir().unwrap();
    let k = fake_key("msk_", 1701);
    let event = pre_tool_use(
        dir.path(),
        "Bash",
        json!({
            "command": format!("curl -H 'Authorization: Bearer {k}' https://api.misar.io/v1/messages"),
            "description": "Send a test message",
            "timeout": 120000
        }),
    );
    let out = hook(dir.path(), &event, &[&k]);
    assert_blocked(&out, &k, "`tool_input.command`");
    assert!(out.stderr.contains("Bash"), "{}", out.stderr);
}

#[test]
fn a_write_with_a_key_in_its_content_is_blocked() {
    let dir = tempfile::tempdir().unwrap();
    let k = fake_key("ask_", 1702);
    let event = pre_tool_use(
        dir.path(),
        "Write",
        json!({"file_path": dir.path().join("config.ts"), "content": format!("export const key = \"{k}\";\n")}),
    );
    assert_blocked(&hook(dir.path(), &event, &[&k]), &k, "`tool_input.content`");
}

#[test]
fn an_edit_that_adds_a_key_is_blocked_and_one_that_removes_it_is_allowed() {
    let dir = tempfile::tempdir().unwrap();
    let k = fake_key("mdk_", 1703);
    let file = dir.path().join("src/client.py");
    let adds = pre_tool_use(
        dir.path(),
        "Edit",
        json!({"file_path": file, "old_string": "KEY = None", "new_string": format!("KEY = '{k}'"), "replace_all": false}),
    );
    assert_blocked(
        &hook(dir.path(), &adds, &[&k]),
        &k,
        "`tool_input.new_string`",
    );
    let removes = pre_tool_use(
        dir.path(),
        "Edit",
        json!({"file_path": file, "old_string": format!("KEY = '{k}'"), "new_string": "KEY = os.environ['MISAR_API_KEY']"}),
    );
    assert_allowed(&hook(dir.path(), &removes, &[&k]));
}

#[test]
fn a_multiedit_is_checked_in_every_new_string_and_never_in_old_strings() {
    let dir = tempfile::tempdir().unwrap();
    let (old, new) = (fake_key("msk_", 1704), fake_key("msk_", 1705));
    let file = dir.path().join("app.env");
    let edits = |second: &str| {
        pre_tool_use(
            dir.path(),
            "MultiEdit",
            json!({"file_path": file, "edits": [
                {"old_string": format!("A={old}"), "new_string": "A=${MISAR_API_KEY}"},
                {"old_string": "B=1", "new_string": second}
            ]}),
        )
    };
    let out = hook(dir.path(), &edits(&format!("B={new}")), &[&old, &new]);
    assert_blocked(&out, &new, "`tool_input.edits[1].new_string`");
    assert!(!out.stderr.contains(&old[..8]), "{}", out.stderr);
    assert_allowed(&hook(dir.path(), &edits("B=2"), &[&old, &new]));
}

#[test]
fn a_notebook_edit_and_a_web_fetch_are_checked() {
    let dir = tempfile::tempdir().unwrap();
    let k = fake_key("ask_", 1706);
    let notebook = pre_tool_use(
        dir.path(),
        "NotebookEdit",
        json!({"notebook_path": dir.path().join("a.ipynb"), "cell_id": "c1", "new_source": format!("client = Client('{k}')"), "cell_type": "code", "edit_mode": "replace"}),
    );
    assert_blocked(
        &hook(dir.path(), &notebook, &[&k]),
        &k,
        "`tool_input.new_source`",
    );
    let fetch = pre_tool_use(
        dir.path(),
        "WebFetch",
        json!({"url": format!("https://api.misar.io/v1/me?api_key={k}"), "prompt": "What does this return?"}),
    );
    assert_blocked(&hook(dir.path(), &fetch, &[&k]), &k, "`tool_input.url`");
}

#[test]
fn a_key_nested_deep_in_mcp_tool_arguments_is_blocked() {
    let dir = tempfile::tempdir().unwrap();
    let k = fake_key("msk_", 1707);
    let event = pre_tool_use(
        dir.path(),
        "mcp__http__request",
        json!({"method": "POST", "options": {"headers": [
            {"name": "Accept", "value": "application/json"},
            {"name": "Authorization", "value": format!("Bearer {k}")}
        ], "retries": 2}}),
    );
    assert_blocked(
        &hook(dir.path(), &event, &[&k]),
        &k,
        "`tool_input.options.headers[1].value`",
    );
}

#[test]
fn a_read_of_a_dotenv_with_a_key_is_blocked_and_of_a_clean_file_allowed() {
    let project = tempfile::tempdir().unwrap();
    let elsewhere = tempfile::tempdir().unwrap();
    let k = fake_key("msk_", 1708);
    std::fs::write(
        project.path().join(".env"),
        format!("# local settings\nMISAR_API_KEY={k}\n"),
    )
    .unwrap();
    std::fs::write(project.path().join("README.md"), "# hello\n").unwrap();
    // Relative paths are resolved against the event's `cwd`, not the hook's.
    let read = |path: &str| pre_tool_use(project.path(), "Read", json!({"file_path": path}));
    let out = hook(elsewhere.path(), &read(".env"), &[&k]);
    assert_blocked(&out, &k, "`.env`");
    assert!(out.stderr.contains("line 2"), "{}", out.stderr);
    let absolute = project.path().join(".env");
    let out = hook(elsewhere.path(), &read(absolute.to_str().unwrap()), &[&k]);
    assert_blocked(&out, &k, ".env");
    assert_allowed(&hook(elsewhere.path(), &read("README.md"), &[&k]));
    // Nothing to show: a missing file, a folder.
    assert_allowed(&hook(elsewhere.path(), &read("missing.txt"), &[&k]));
    assert_allowed(&hook(elsewhere.path(), &read("."), &[&k]));
}

#[test]
fn a_prompt_with_a_key_is_blocked_and_placeholders_are_allowed() {
    let dir = tempfile::tempdir().unwrap();
    let k = fake_key("ask_", 1709);
    let out = hook(
        dir.path(),
        &prompt(dir.path(), &format!("my key is {k}, why does it 401?")),
        &[&k],
    );
    assert_blocked(&out, &k, "prompt");
    assert!(out.stderr.contains("not sent"), "{}", out.stderr);
    let placeholder = "set MISAR_API_KEY=msk_your_api_key in .env.example";
    assert_allowed(&hook(dir.path(), &prompt(dir.path(), placeholder), &[]));
    let bash = pre_tool_use(
        dir.path(),
        "Bash",
        json!({"command": "echo 'MISAR_API_KEY=msk_your_api_key' >> .env.example"}),
    );
    assert_allowed(&hook(dir.path(), &bash, &[]));
}

#[test]
fn an_encoded_key_and_several_keys_are_reported_in_one_line() {
    use base64::Engine as _;
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (fake_key("msk_", 1710), fake_key("mdk_", 1711));
    let encoded = base64::engine::general_purpose::STANDARD.encode(&a);
    let event = pre_tool_use(
        dir.path(),
        "Bash",
        json!({"command": format!("echo {encoded} | base64 -d > k; export B={b}")}),
    );
    let out = hook(dir.path(), &event, &[&a, &b, &encoded]);
    assert_blocked(&out, &a, "`tool_input.command`");
    assert!(out.stderr.contains("and 1 more key"), "{}", out.stderr);
}

#[test]
fn other_events_are_let_through_silently() {
    let dir = tempfile::tempdir().unwrap();
    let k = fake_key("msk_", 1712);
    for event in [
        json!({"hook_event_name": "PostToolUse", "tool_name": "Bash", "tool_input": {"command": format!("echo {k}")}, "tool_response": {"stdout": k}, "cwd": dir.path()}),
        json!({"hook_event_name": "Stop", "stop_hook_active": false, "session_id": "s", "cwd": dir.path()}),
        json!({"hook_event_name": "SessionStart", "source": "startup", "cwd": dir.path()}),
    ] {
        assert_allowed(&hook(dir.path(), &event, &[&k]));
    }
}

#[test]
fn input_that_cannot_be_parsed_exits_1_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let k = fake_key("msk_", 1713);
    let cases: [(&[u8], &str); 4] = [
        (b"", "not valid JSON"),
        (b"hello", "not valid JSON"),
        (br#"{"tool_name": "Bash"}"#, "hook_event_name"),
        (
            br#"{"hook_event_name": "PreToolUse", "tool_name": "Bash"}"#,
            "tool_input",
        ),
    ];
    for (input, why) in cases {
        let out = run_with(
            dir.path(),
            dir.path(),
            &["hook", "claude-code"],
            input,
            &[&k],
        );
        assert_eq!(out.code, 1, "{}", out.stderr);
        assert_eq!(out.stdout, "");
        assert!(out.stderr.contains(why), "{why}: {}", out.stderr);
    }
    // A broken event holding a key never echoes it.
    let broken = format!(r#"{{"hook_event_name": "UserPromptSubmit", "prompt": ["{k}"]"#);
    let out = run_with(
        dir.path(),
        dir.path(),
        &["hook", "claude-code"],
        broken.as_bytes(),
        &[&k],
    );
    assert_eq!(out.code, 1, "{}", out.stderr);
}

#[test]
fn the_repository_configuration_is_found_from_cwd_and_applies() {
    let repo = tempfile::tempdir().unwrap();
    let (fixture, allowed, ours) = (
        fake_key("msk_", 1714),
        fake_key("msk_", 1715),
        fake_key("msk_", 1716),
    );
    std::fs::create_dir_all(repo.path().join(".git")).unwrap();
    std::fs::create_dir_all(repo.path().join("src/deep")).unwrap();
    std::fs::create_dir_all(repo.path().join("tests/fixtures")).unwrap();
    std::fs::write(
        repo.path().join(".misar-scan.toml"),
        format!(
            "[allowlist]\npaths = [\"tests/fixtures/**\"]\nsecrets = [\"{}\"]\nplaceholder_words = [\"acme\", \"widget\", \"factory\"]\n",
            misar_scan::secret::sha256_hex(allowed.as_bytes())
        ),
    )
    .unwrap();
    let fixture_file = repo.path().join("tests/fixtures/keys.env");
    std::fs::write(&fixture_file, format!("KEY={fixture}\n")).unwrap();
    let cwd = repo.path().join("src/deep");
    let keys = [fixture.as_str(), allowed.as_str(), ours.as_str()];
    // An allow-listed path: read and written freely, as `scan` skips it.
    let read = pre_tool_use(&cwd, "Read", json!({"file_path": fixture_file}));
    assert_allowed(&hook(&cwd, &read, &keys));
    let write = pre_tool_use(
        &cwd,
        "Write",
        json!({"file_path": "../../tests/fixtures/more.env", "content": format!("K={ours}")}),
    );
    assert_allowed(&hook(&cwd, &write, &keys));
    // A key accepted by hash, a project placeholder word.
    let demo = "msk_AcmeWidgetFactoryQ7zX";
    let bash = pre_tool_use(
        &cwd,
        "Bash",
        json!({"command": format!("test {allowed} && echo {demo}")}),
    );
    assert_allowed(&hook(&cwd, &bash, &keys));
    // Without that configuration both would block.
    let outside = tempfile::tempdir().unwrap();
    let bash = pre_tool_use(
        outside.path(),
        "Bash",
        json!({"command": format!("echo {demo}")}),
    );
    assert_blocked(
        &hook(outside.path(), &bash, &[demo]),
        demo,
        "`tool_input.command`",
    );
    // Anything else still blocks.
    let write = pre_tool_use(
        &cwd,
        "Write",
        json!({"file_path": "main.rs", "content": format!("K={ours}")}),
    );
    assert_blocked(&hook(&cwd, &write, &keys), &ours, "`tool_input.content`");
}

#[test]
fn codex_patches_are_checked_for_the_lines_they_add() {
    let dir = tempfile::tempdir().unwrap();
    let (old, new) = (fake_key("msk_", 1717), fake_key("msk_", 1718));
    let patch = |added: &str| {
        format!(
            "*** Begin Patch\n*** Update File: app.env\n@@\n-KEY={old}\n+{added}\n*** End Patch\n"
        )
    };
    let event = |added: &str| {
        json!({
            "session_id": "019a", "transcript_path": null, "cwd": dir.path(),
            "hook_event_name": "PreToolUse", "model": "gpt-5-codex",
            "tool_name": "apply_patch", "tool_input": {"command": patch(added)}, "tool_use_id": "call_1"
        })
    };
    let codex = |e: &Value| {
        run_with(
            dir.path(),
            dir.path(),
            &["hook", "codex"],
            e.to_string().as_bytes(),
            &[&old, &new],
        )
    };
    assert_allowed(&codex(&event("KEY=${MISAR_API_KEY}")));
    assert_blocked(
        &codex(&event(&format!("KEY={new}"))),
        &new,
        "`tool_input.command`",
    );
    let bash = json!({"hook_event_name": "PreToolUse", "cwd": dir.path(), "tool_name": "Bash", "tool_input": {"command": format!("export K={new}")}});
    assert_blocked(&codex(&bash), &new, "`tool_input.command`");
}

// install-hook --agent

/// A project folder and a separate home folder.
struct Sandbox {
    project: tempfile::TempDir,
    home: tempfile::TempDir,
}

impl Sandbox {
    fn new() -> Self {
        Self {
            project: tempfile::tempdir().unwrap(),
            home: tempfile::tempdir().unwrap(),
        }
    }

    fn install(&self, args: &[&str]) -> Out {
        let mut all = vec!["install-hook"];
        all.extend_from_slice(args);
        run_with(self.project.path(), self.home.path(), &all, b"", &[])
    }

    fn project_settings(&self) -> PathBuf {
        self.project.path().join(".claude/settings.json")
    }
}

fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap();
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("not valid JSON ({e}):\n{text}"))
}

fn existing_settings() -> Value {
    json!({
        "permissions": {"allow": ["Bash(npm run test:*)"], "deny": ["Read(./.env)"]},
        "env": {"NODE_ENV": "development"},
        "hooks": {
            "PreToolUse": [
                {"matcher": "Bash", "hooks": [{"type": "command", "command": "\"$CLAUDE_PROJECT_DIR\"/.claude/hooks/guard.sh", "timeout": 30}]}
            ],
            "PostToolUse": [
                {"matcher": "Edit|Write", "hooks": [{"type": "command", "command": "npx prettier --write \"$(jq -r .tool_input.file_path)\""}]}
            ],
            "UserPromptSubmit": [
                {"hooks": [{"type": "command", "command": "echo \"branch: $(git branch --show-current)\""}]}
            ]
        }
    })
}

fn ours(settings: &Value, event: &str) -> Vec<Value> {
    settings["hooks"][event]
        .as_array()
        .unwrap()
        .iter()
        .filter(|g| {
            g["hooks"].as_array().unwrap().iter().any(|h| {
                h["command"]
                    .as_str()
                    .is_some_and(|c| c.contains("misar-scan hook claude-code"))
            })
        })
        .cloned()
        .collect()
}

#[test]
fn install_hook_merges_with_other_hooks_is_idempotent_and_uninstalls_only_its_own() {
    let sb = Sandbox::new();
    let path = sb.project_settings();
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(
        &path,
        serde_json::to_string_pretty(&existing_settings()).unwrap(),
    )
    .unwrap();

    let out = sb.install(&["--agent", "claude-code"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stderr.contains("added the Claude Code hook"),
        "{}",
        out.stderr
    );
    let installed = read_json(&path);
    // Every other setting and hook is kept.
    for key in ["permissions", "env"] {
        assert_eq!(installed[key], existing_settings()[key]);
    }
    assert_eq!(
        installed["hooks"]["PostToolUse"],
        existing_settings()["hooks"]["PostToolUse"]
    );
    assert_eq!(
        installed["hooks"]["PreToolUse"][0],
        existing_settings()["hooks"]["PreToolUse"][0]
    );
    assert_eq!(
        installed["hooks"]["UserPromptSubmit"][0],
        existing_settings()["hooks"]["UserPromptSubmit"][0]
    );
    // Ours: every tool, and the prompt.
    assert_eq!(
        ours(&installed, "PreToolUse"),
        [
            json!({"matcher": "*", "hooks": [{"type": "command", "command": "misar-scan hook claude-code"}]})
        ]
    );
    assert_eq!(
        ours(&installed, "UserPromptSubmit"),
        [json!({"hooks": [{"type": "command", "command": "misar-scan hook claude-code"}]})]
    );

    // A second run changes nothing, not even a byte.
    let bytes = std::fs::read(&path).unwrap();
    let out = sb.install(&["--agent", "claude-code"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stderr.contains("already"), "{}", out.stderr);
    assert_eq!(std::fs::read(&path).unwrap(), bytes);

    // Uninstall removes ours and nothing else.
    let out = sb.install(&["--agent", "claude-code", "--uninstall"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stderr.contains("removed"), "{}", out.stderr);
    assert_eq!(read_json(&path), existing_settings());
    let out = sb.install(&["--agent", "claude-code", "--uninstall"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stderr.contains("nothing to remove"), "{}", out.stderr);
}

#[test]
fn install_hook_global_edits_the_settings_in_home_and_the_command_works() {
    let sb = Sandbox::new();
    let out = sb.install(&["--agent", "claude-code", "--global"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let path = sb.home.path().join(".claude/settings.json");
    let settings = read_json(&path);
    assert!(!sb.project_settings().exists());
    let command = settings["hooks"]["PreToolUse"][0]["hooks"][0]["command"]
        .as_str()
        .unwrap()
        .to_string();
    let binary = Path::new(env!("CARGO_BIN_EXE_misar-scan"))
        .canonicalize()
        .unwrap();
    assert!(
        command.contains(binary.to_str().unwrap()) && command.ends_with(" hook claude-code"),
        "the user's settings run this binary: {command}"
    );

    // What Claude Code does with it: run the command through the shell
    // with the event on stdin.
    let k = fake_key("msk_", 1719);
    let event = pre_tool_use(
        sb.project.path(),
        "Bash",
        json!({"command": format!("echo {k}")}),
    );
    let out = std::process::Command::new("sh")
        .args(["-c", &command])
        .env_clear()
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write as _;
            child
                .stdin
                .take()
                .unwrap()
                .write_all(event.to_string().as_bytes())?;
            child.wait_with_output()
        });
    let Ok(out) = out else {
        eprintln!("skipped running the installed command: no `sh`");
        return;
    };
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert_no_full_key("stderr", &stderr, &[&k]);

    let out = sb.install(&["--agent", "claude-code", "--global", "--uninstall"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(read_json(&path), json!({}));
}

#[test]
fn install_hook_in_a_repository_writes_at_its_root() {
    let sb = Sandbox::new();
    let init = std::process::Command::new("git")
        .args(["init", "-q"])
        .current_dir(sb.project.path())
        .env("HOME", sb.home.path())
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .status();
    if !init.is_ok_and(|s| s.success()) {
        eprintln!("skipped: `git init` is not available");
        return;
    }
    let sub = sb.project.path().join("packages/web");
    std::fs::create_dir_all(&sub).unwrap();
    let out = run_with(
        &sub,
        sb.home.path(),
        &["install-hook", "--agent", "claude-code"],
        b"",
        &[],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stderr.contains("wrote"), "{}", out.stderr);
    assert!(sb.project_settings().is_file());
    assert!(!sub.join(".claude").exists());
}

#[test]
fn install_hook_for_codex_writes_its_hooks_file() {
    let sb = Sandbox::new();
    let out = sb.install(&["--agent", "codex"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let settings = read_json(&sb.project.path().join(".codex/hooks.json"));
    assert_eq!(
        settings["hooks"]["PreToolUse"],
        json!([{"hooks": [{"type": "command", "command": "misar-scan hook codex"}]}])
    );
    assert_eq!(
        settings["hooks"]["UserPromptSubmit"],
        json!([{"hooks": [{"type": "command", "command": "misar-scan hook codex"}]}])
    );
}

#[test]
fn install_hook_leaves_a_settings_file_that_is_not_json_alone() {
    let sb = Sandbox::new();
    let path = sb.project_settings();
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, "{\"hooks\": {,}\n").unwrap();
    let out = sb.install(&["--agent", "claude-code"]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(out.stderr.contains("not valid JSON"), "{}", out.stderr);
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "{\"hooks\": {,}\n");
    let out = sb.install(&["--agent", "claude-code", "--pre-push"]);
    assert_eq!(out.code, 2, "`--pre-push` is a git hook: {}", out.stderr);
    assert!(out.stderr.contains("cannot be used with"), "{}", out.stderr);
}

// Transcripts

#[test]
fn keys_in_agent_transcripts_are_found_escaped_or_not() {
    let home = tempfile::tempdir().unwrap();
    let keys: Vec<String> = (0..5).map(|i| fake_key("msk_", 1720 + i)).collect();
    let escaped_underscore = keys[1].replacen('_', "\\u005f", 1);
    // A tool's output that is itself JSON, stored as a JSON string: the key
    // sits between escaped quotes (`\"msk_…\"`).
    let nested = json!({"stdout": json!({"key": keys[2]}).to_string()}).to_string();
    let lines = [
        // A prompt, a tool call's input and its result, as Claude Code logs them.
        json!({"type": "user", "message": {"role": "user", "content": format!("use {} for now", keys[0])}}).to_string(),
        format!(r#"{{"type":"assistant","message":{{"content":[{{"type":"tool_use","name":"Bash","input":{{"command":"export K={escaped_underscore}"}}}}]}}}}"#),
        format!(r#"{{"type":"user","toolUseResult":{nested}}}"#),
        format!(r##"{{"type":"user","toolUseResult":{{"file":{{"content":"# .env\nMISAR_API_KEY={}\n"}}}}}}"##, keys[3]),
        format!(r#"{{"url":"https:\/\/api.misar.io\/v1\/keys\/{}"}}"#, keys[4]),
        json!({"type": "user", "message": {"content": "msk_your_api_key is a placeholder"}}).to_string(),
    ];
    let dir = home.path().join(".claude/projects/-home-u-src-app");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("8c35adc1-0d6b-4a27-9f37-3c2b8a7e5d10.jsonl"),
        lines.join("\n") + "\n",
    )
    .unwrap();
    let refs: Vec<&str> = keys.iter().map(String::as_str).collect();
    let out = run_with(
        home.path(),
        home.path(),
        &["scan", "--no-config", "-f", "json", ".claude/projects"],
        b"",
        &refs,
    );
    assert_eq!(out.code, 1, "{}", out.stderr);
    let report: Value = serde_json::from_str(&out.stdout).unwrap();
    let mut found: Vec<(String, u64)> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule_id"] == "misar-mail-api-key")
        .map(|f| {
            (
                f["secret_sha256"].as_str().unwrap().to_string(),
                f["line"].as_u64().unwrap(),
            )
        })
        .collect();
    found.sort_by_key(|(_, line)| *line);
    let expected: Vec<(String, u64)> = keys
        .iter()
        .enumerate()
        .map(|(i, k)| (misar_scan::secret::sha256_hex(k.as_bytes()), i as u64 + 1))
        .collect();
    assert_eq!(found, expected, "{}", out.stdout);
}

#[test]
fn the_hook_commands_explain_themselves() {
    let dir = tempfile::tempdir().unwrap();
    for args in [
        &["hook", "--help"][..],
        &["hook", "claude-code", "--help"],
        &["hook", "codex", "--help"],
        &["hook", "cursor", "--help"],
        &["install-hook", "--help"],
    ] {
        let out = run_with(dir.path(), dir.path(), args, b"", &[]);
        assert_eq!(out.code, 0, "{args:?}: {}", out.stderr);
        assert!(
            out.stdout.contains("Examples:"),
            "{args:?}:\n{}",
            out.stdout
        );
        assert!(
            out.stdout.contains("--agent claude-code") || out.stdout.contains("--agent cursor"),
            "{args:?}"
        );
    }
}

// hook cursor (<https://cursor.com/docs/agent/hooks>)

/// `misar-scan hook cursor` on `event`, run from `cwd`.
fn cursor(cwd: &Path, event: &Value, keys: &[&str]) -> Out {
    run_with(
        cwd,
        cwd,
        &["hook", "cursor"],
        event.to_string().as_bytes(),
        keys,
    )
}

/// A Cursor event: the common fields and `fields`.
fn cursor_event(root: &Path, name: &str, fields: Value) -> Value {
    let mut event = json!({
        "hook_event_name": name,
        "conversation_id": "conv-5d10",
        "generation_id": "gen-7a21",
        "workspace_roots": [root],
        "model": "claude-4-sonnet",
        "cursor_version": "1.7.52",
        "user_email": "dev@example.com"
    });
    for (k, v) in fields.as_object().unwrap() {
        event[k] = v.clone();
    }
    event
}

/// The JSON on stdout (exactly one line).
fn answer(out: &Out) -> Value {
    assert_eq!(
        out.stdout.lines().count(),
        1,
        "one JSON line:\n{}",
        out.stdout
    );
    serde_json::from_str(&out.stdout).unwrap()
}

/// A deny: exit 2, the deny JSON, its message naming the key by its first
/// 8 characters, `place`, and an environment variable.
fn assert_cursor_denied(out: &Out, key: &str, place: &str) -> Value {
    assert_eq!(out.code, 2, "stderr: {}", out.stderr);
    let answer = answer(out);
    let message = answer["user_message"]
        .as_str()
        .map_or_else(|| out.stderr.trim().to_string(), str::to_string);
    assert!(message.contains(&format!("{}…", &key[..8])), "{message}");
    assert!(message.contains(place), "the place `{place}`: {message}");
    assert!(message.contains("environment variable"), "{message}");
    assert_eq!(out.stderr.lines().count(), 1, "{}", out.stderr);
    answer
}

fn assert_cursor_allowed(out: &Out, expected: Value) {
    assert_eq!(out.code, 0, "stderr: {}", out.stderr);
    assert_eq!(answer(out), expected);
    assert_eq!(out.stderr, "");
}

#[test]
fn cursor_a_shell_command_with_a_key_is_denied_and_a_clean_one_allowed() {
    let dir = tempfile::tempdir().unwrap();
    let k = fake_key("msk_", 1801);
    let event = cursor_event(
        dir.path(),
        "beforeShellExecution",
        json!({"command": format!("curl -H 'Authorization: Bearer {k}' https://api.misar.io/v1/messages"), "cwd": dir.path()}),
    );
    let out = cursor(dir.path(), &event, &[&k]);
    let answer = assert_cursor_denied(&out, &k, "`command`");
    assert_eq!(answer["permission"], "deny");
    assert_eq!(answer["agent_message"], answer["user_message"]);
    let clean = cursor_event(
        dir.path(),
        "beforeShellExecution",
        json!({"command": "curl -H \"Authorization: Bearer $MISAR_API_KEY\" https://api.misar.io", "cwd": dir.path()}),
    );
    assert_cursor_allowed(
        &cursor(dir.path(), &clean, &[]),
        json!({"permission": "allow"}),
    );
}

#[test]
fn cursor_mcp_tool_input_is_checked_as_an_object_and_as_a_json_string() {
    let dir = tempfile::tempdir().unwrap();
    let k = fake_key("ask_", 1802);
    let input = json!({"query": "insert", "rows": [{"name": "x", "config": {"token": k}}]});
    for tool_input in [input.clone(), Value::from(input.to_string())] {
        let event = cursor_event(
            dir.path(),
            "beforeMCPExecution",
            json!({"tool_name": "database_query", "tool_input": tool_input, "command": "npx mcp-server"}),
        );
        let out = cursor(dir.path(), &event, &[&k]);
        let answer = assert_cursor_denied(&out, &k, "`tool_input.rows[0].config.token`");
        assert_eq!(answer["permission"], "deny");
    }
    let clean = cursor_event(
        dir.path(),
        "beforeMCPExecution",
        json!({"tool_name": "database_query", "tool_input": "{\"query\": \"SELECT 1\"}", "url": "http://localhost:3000"}),
    );
    assert_cursor_allowed(
        &cursor(dir.path(), &clean, &[]),
        json!({"permission": "allow"}),
    );
}

#[test]
fn cursor_a_file_read_with_a_key_in_its_content_is_denied() {
    let dir = tempfile::tempdir().unwrap();
    let k = fake_key("mdk_", 1803);
    let file = dir.path().join("secrets.env");
    let event = cursor_event(
        dir.path(),
        "beforeReadFile",
        json!({"file_path": file, "content": format!("A=1\nMISAR_KEY={k}\n"), "attachments": []}),
    );
    let out = cursor(dir.path(), &event, &[&k]);
    let answer = assert_cursor_denied(&out, &k, "secrets.env");
    assert_eq!(answer, json!({"permission": "deny"}));
    assert!(out.stderr.contains("line 2"), "{}", out.stderr);
    // Without `content`, the file itself.
    std::fs::write(&file, format!("MISAR_KEY={k}\n")).unwrap();
    let event = cursor_event(
        dir.path(),
        "beforeReadFile",
        json!({"file_path": "secrets.env"}),
    );
    assert_cursor_denied(&cursor(dir.path(), &event, &[&k]), &k, "secrets.env");
    let clean = cursor_event(
        dir.path(),
        "beforeReadFile",
        json!({"file_path": "main.rs", "content": "fn main() {}\n"}),
    );
    assert_cursor_allowed(
        &cursor(dir.path(), &clean, &[]),
        json!({"permission": "allow"}),
    );
}

#[test]
fn cursor_a_prompt_with_a_key_does_not_continue_and_placeholders_do() {
    let dir = tempfile::tempdir().unwrap();
    let k = fake_key("msk_", 1804);
    let event = cursor_event(
        dir.path(),
        "beforeSubmitPrompt",
        json!({"prompt": format!("why does {k} get a 401?"), "attachments": []}),
    );
    let out = cursor(dir.path(), &event, &[&k]);
    let answer = assert_cursor_denied(&out, &k, "prompt");
    assert_eq!(answer["continue"], false);
    let placeholder = cursor_event(
        dir.path(),
        "beforeSubmitPrompt",
        json!({"prompt": "set MISAR_API_KEY=msk_your_api_key in .env"}),
    );
    assert_cursor_allowed(
        &cursor(dir.path(), &placeholder, &[]),
        json!({"continue": true}),
    );
    // An attached file with a key.
    std::fs::write(dir.path().join(".env"), format!("MISAR_API_KEY={k}\n")).unwrap();
    let attached = cursor_event(
        dir.path(),
        "beforeSubmitPrompt",
        json!({"prompt": "fix it", "attachments": [{"type": "file", "filePath": dir.path().join(".env")}]}),
    );
    let answer = assert_cursor_denied(&cursor(dir.path(), &attached, &[&k]), &k, ".env");
    assert_eq!(answer["continue"], false);
}

#[test]
fn cursor_other_events_are_let_through_and_bad_input_exits_1() {
    let dir = tempfile::tempdir().unwrap();
    let k = fake_key("msk_", 1805);
    for (name, fields) in [
        (
            "afterFileEdit",
            json!({"file_path": "a.env", "edits": [{"old_string": "", "new_string": k}]}),
        ),
        ("stop", json!({"status": "completed", "loop_count": 0})),
        (
            "afterShellExecution",
            json!({"command": "env", "output": k, "duration": 3}),
        ),
    ] {
        let out = cursor(dir.path(), &cursor_event(dir.path(), name, fields), &[&k]);
        assert_cursor_allowed(&out, json!({}));
    }
    for bad in [
        &b"{not json"[..],
        b"",
        br#"{"hook_event_name":"beforeShellExecution"}"#,
    ] {
        let out = run_with(dir.path(), dir.path(), &["hook", "cursor"], bad, &[]);
        assert_eq!(out.code, 1, "{}", out.stderr);
        assert_eq!(out.stdout, "", "no allow JSON on an error");
        assert!(out.stderr.starts_with("misar-scan: "), "{}", out.stderr);
    }
}

#[test]
fn cursor_the_repository_configuration_is_found_from_the_workspace() {
    let repo = tempfile::tempdir().unwrap();
    let k = fake_key("msk_", 1806);
    std::fs::create_dir_all(repo.path().join(".git")).unwrap();
    std::fs::create_dir_all(repo.path().join("fixtures")).unwrap();
    std::fs::write(
        repo.path().join(".misar-scan.toml"),
        "[allowlist]\npaths = [\"fixtures/**\"]\nplaceholder_words = [\"acme\", \"widget\", \"factory\"]\n",
    )
    .unwrap();
    let fixture = repo.path().join("fixtures/keys.env");
    std::fs::write(&fixture, format!("KEY={k}\n")).unwrap();
    let other = tempfile::tempdir().unwrap();
    let read = cursor_event(
        repo.path(),
        "beforeReadFile",
        json!({"file_path": fixture, "content": format!("KEY={k}\n")}),
    );
    assert_cursor_allowed(
        &cursor(other.path(), &read, &[&k]),
        json!({"permission": "allow"}),
    );
    // A project placeholder word: allowed from the repository ...
    let demo = "msk_AcmeWidgetFactoryQ7zX";
    let shell = cursor_event(
        other.path(),
        "beforeShellExecution",
        json!({"command": format!("echo {demo}"), "cwd": repo.path()}),
    );
    assert_cursor_allowed(
        &cursor(other.path(), &shell, &[]),
        json!({"permission": "allow"}),
    );
    // ... denied without its configuration.
    let shell = cursor_event(
        other.path(),
        "beforeShellExecution",
        json!({"command": format!("echo {demo}"), "cwd": other.path()}),
    );
    assert_cursor_denied(&cursor(other.path(), &shell, &[demo]), demo, "`command`");
}

#[test]
fn install_hook_for_cursor_merges_into_hooks_json_and_uninstalls_only_its_own() {
    let sb = Sandbox::new();
    let path = sb.project.path().join(".cursor/hooks.json");
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let theirs = json!({"version": 1, "hooks": {
        "afterFileEdit": [{"command": "./hooks/format.sh"}],
        "beforeShellExecution": [{"command": "./hooks/audit.sh", "timeout": 5}]
    }});
    std::fs::write(&path, serde_json::to_string_pretty(&theirs).unwrap()).unwrap();
    let out = sb.install(&["--agent", "cursor"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let once = read_json(&path);
    assert_eq!(once["version"], 1);
    assert_eq!(
        once["hooks"]["afterFileEdit"],
        theirs["hooks"]["afterFileEdit"]
    );
    assert_eq!(
        once["hooks"]["beforeShellExecution"][0],
        theirs["hooks"]["beforeShellExecution"][0]
    );
    for event in [
        "beforeShellExecution",
        "beforeMCPExecution",
        "beforeReadFile",
        "beforeSubmitPrompt",
    ] {
        let list = once["hooks"][event].as_array().unwrap();
        assert_eq!(
            list.iter()
                .filter(|e| e["command"] == "misar-scan hook cursor")
                .count(),
            1,
            "{event}: {list:?}"
        );
    }
    let again = sb.install(&["--agent", "cursor"]);
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert!(again.stderr.contains("already"), "{}", again.stderr);
    assert_eq!(read_json(&path), once);
    let gone = sb.install(&["--agent", "cursor", "--uninstall"]);
    assert_eq!(gone.code, 0, "{}", gone.stderr);
    assert_eq!(read_json(&path), theirs);
    assert!(
        !sb.project_settings().exists(),
        "Claude Code's settings untouched"
    );
}
