//! The GitHub Action (issue 6): `action.yml` is coherent, and its steps run
//! in a simulated Actions environment — git repositories built here, an
//! event payload at `GITHUB_EVENT_PATH`, `GITHUB_OUTPUT` and
//! `GITHUB_STEP_SUMMARY` files, a `file://` origin for shallow clones — with
//! the annotations, summary, outputs, SARIF and exit status checked. The
//! `run:` scripts are taken from `action.yml` itself, so the tests exercise
//! what GitHub would run. No network: only local files.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use common::{fake_key, hermetic, Repo, Sandbox, BIN};
use serde_json::{json, Value};
use yaml_rust2::{Yaml, YamlLoader};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");
const ZERO: &str = "0000000000000000000000000000000000000000";

fn action() -> Yaml {
    let text = std::fs::read_to_string(Path::new(ROOT).join("action.yml")).unwrap();
    YamlLoader::load_from_str(&text).unwrap().remove(0)
}

fn action_text() -> String {
    std::fs::read_to_string(Path::new(ROOT).join("action.yml")).unwrap()
}

fn str_of(y: &Yaml) -> &str {
    y.as_str().unwrap_or_else(|| panic!("not a string: {y:?}"))
}

/// Every `${{ <scope>.<a>.<b>… }}` expression's dotted path, for `scope`.
fn references(text: &str, scope: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    for expr in text.split("${{").skip(1) {
        let expr = expr.split("}}").next().unwrap().trim();
        if let Some(rest) = expr.strip_prefix(&format!("{scope}.")) {
            found.insert(rest.to_string());
        }
    }
    found
}

fn steps(action: &Yaml) -> Vec<Yaml> {
    action["runs"]["steps"].as_vec().unwrap().clone()
}

fn step(action: &Yaml, id: &str) -> Yaml {
    steps(action)
        .into_iter()
        .find(|s| s["id"].as_str() == Some(id))
        .unwrap_or_else(|| panic!("no step `{id}`"))
}

/// The outputs `misar-scan ci github` writes.
const CI_OUTPUTS: [&str; 5] = ["sarif", "findings", "exit-code", "mode", "range"];

#[test]
fn action_yml_inputs_outputs_and_steps_are_coherent() {
    let action = action();
    let text = action_text();
    assert_eq!(str_of(&action["runs"]["using"]), "composite");
    assert!(!str_of(&action["name"]).is_empty());
    assert!(!str_of(&action["description"]).is_empty());

    let inputs = action["inputs"].as_hash().unwrap();
    let input_names: BTreeSet<String> = inputs.keys().map(|k| str_of(k).to_string()).collect();
    for (name, input) in inputs {
        assert!(!str_of(&input["description"]).is_empty(), "{name:?}");
        assert!(
            input["default"].as_str().is_some(),
            "{name:?} has a default"
        );
    }
    for used in references(&text, "inputs") {
        assert!(
            input_names.contains(&used),
            "`inputs.{used}` is not declared"
        );
    }
    // Every input reaches the scan step, but the install step's own.
    let passed_to = |id: &str| -> BTreeSet<String> {
        step(&action, id)["env"]
            .as_hash()
            .unwrap()
            .values()
            .flat_map(|v| references(str_of(v), "inputs"))
            .collect()
    };
    let install_only: BTreeSet<String> = ["release-url".to_string()].into();
    assert_eq!(passed_to("install"), install_only);
    assert_eq!(
        passed_to("scan"),
        &input_names - &install_only,
        "every other input is passed to `ci github`"
    );

    let ids: BTreeSet<String> = steps(&action)
        .iter()
        .filter_map(|s| s["id"].as_str().map(str::to_string))
        .collect();
    for used in references(&text, "steps") {
        let id = used.split('.').next().unwrap();
        assert!(ids.contains(id), "`steps.{used}` names no step");
    }
    for (name, output) in action["outputs"].as_hash().unwrap() {
        assert!(!str_of(&output["description"]).is_empty(), "{name:?}");
        let value = str_of(&output["value"]);
        let refs = references(value, "steps");
        let r = refs.iter().next().unwrap_or_else(|| panic!("{value}"));
        let parts: Vec<&str> = r.split('.').collect();
        assert_eq!(parts[..2], ["scan", "outputs"], "{value}");
        assert!(
            CI_OUTPUTS.contains(&parts[2]),
            "`{}` is not written by ci github",
            parts[2]
        );
    }
    // Scripts named by the steps exist and are executable; no step inlines
    // `${{ }}` into a shell script (injection).
    for s in steps(&action) {
        if let Some(run) = s["run"].as_str() {
            assert!(
                !run.contains("${{"),
                "expression pasted into a script: {run}"
            );
            assert_eq!(str_of(&s["shell"]), "bash");
            for word in run.split_whitespace() {
                if let Some(rel) = word.trim_matches('"').strip_prefix("$GITHUB_ACTION_PATH/") {
                    let path = Path::new(ROOT).join(rel);
                    assert!(path.is_file(), "{rel} does not exist");
                }
            }
        } else {
            assert!(s["uses"].as_str().unwrap().starts_with("actions/cache@"));
        }
    }
    // The installer is valid bash.
    let status = Command::new("bash")
        .args(["-n", &format!("{ROOT}/scripts/action-install.sh")])
        .status()
        .unwrap();
    assert!(status.success());
}

/// A finished run of the action's scan step.
struct ActionRun {
    code: i32,
    stdout: String,
    stderr: String,
    outputs: BTreeMap<String, String>,
    summary: String,
    sarif: Option<Value>,
}

impl ActionRun {
    /// The `::error file=…` and `::warning file=…` annotations.
    fn annotations(&self) -> Vec<&str> {
        self.stdout
            .lines()
            .filter(|l| l.starts_with("::error file=") || l.starts_with("::warning file="))
            .collect()
    }
}

/// Run the `scan` step of `action.yml` with bash, as the runner would: the
/// step's env with `inputs` (over the declared defaults), and the `GITHUB_*`
/// variables of an Actions job in `workspace`.
fn run_action(
    sb: &Sandbox,
    workspace: &Path,
    event: &str,
    payload: &Value,
    inputs: &[(&str, &str)],
    keys: &[&str],
) -> ActionRun {
    run_action_env(sb, workspace, event, payload, inputs, keys, &[])
}

/// [`run_action`] with `env` set in the step too (as a workflow's `env:`
/// block would: `MISAR_API_URL`).
fn run_action_env(
    sb: &Sandbox,
    workspace: &Path,
    event: &str,
    payload: &Value,
    inputs: &[(&str, &str)],
    keys: &[&str],
    env: &[(&str, &str)],
) -> ActionRun {
    let action = action();
    let job = tempfile::tempdir_in(sb.dir.path()).unwrap();
    let event_path = job.path().join("event.json");
    std::fs::write(&event_path, serde_json::to_vec(payload).unwrap()).unwrap();
    let output = job.path().join("output");
    let summary = job.path().join("summary.md");
    let temp = job.path().join("runner-temp");
    std::fs::create_dir(&temp).unwrap();

    let mut values: BTreeMap<String, String> = action["inputs"]
        .as_hash()
        .unwrap()
        .iter()
        .map(|(k, v)| (str_of(k).to_string(), str_of(&v["default"]).to_string()))
        .collect();
    for (k, v) in inputs {
        assert!(values.contains_key(*k), "no input `{k}`");
        values.insert(k.to_string(), v.to_string());
    }
    let scan = step(&action, "scan");
    let mut cmd = Command::new("bash");
    hermetic(&mut cmd, &sb.home());
    cmd.arg("-c")
        .arg(str_of(&scan["run"]))
        .current_dir(workspace)
        .env("GITHUB_ACTIONS", "true")
        .env("GITHUB_EVENT_NAME", event)
        .env("GITHUB_EVENT_PATH", &event_path)
        .env("GITHUB_OUTPUT", &output)
        .env("GITHUB_STEP_SUMMARY", &summary)
        .env("GITHUB_WORKSPACE", workspace)
        .env("GITHUB_ACTION_PATH", ROOT)
        .env("RUNNER_TEMP", &temp);
    for (name, value) in scan["env"].as_hash().unwrap() {
        let value = str_of(value);
        let resolved = if let Some(input) = references(value, "inputs").into_iter().next() {
            values[&input].clone()
        } else if value.contains("steps.install.outputs.binary") {
            BIN.to_string()
        } else {
            panic!("unexpected env value {value}")
        };
        cmd.env(str_of(name), resolved);
    }
    cmd.envs(env.iter().copied());
    let out = cmd.output().unwrap();
    let outputs_text = std::fs::read_to_string(&output).unwrap_or_default();
    let outputs: BTreeMap<String, String> = outputs_text
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let summary = std::fs::read_to_string(&summary).unwrap_or_default();
    let sarif = outputs
        .get("sarif")
        .map(|p| serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap());
    let run = ActionRun {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        outputs,
        summary,
        sarif,
    };
    let sarif_text = run.sarif.as_ref().map(Value::to_string).unwrap_or_default();
    for k in keys {
        for (what, text) in [
            ("stdout", &run.stdout),
            ("stderr", &run.stderr),
            ("outputs", &outputs_text),
            ("summary", &run.summary),
            ("sarif", &sarif_text),
        ] {
            assert!(!text.contains(k), "a full key leaked into {what}:\n{text}");
        }
    }
    run
}

fn assert_valid_sarif(sarif: &Value) {
    let schema: Value =
        serde_json::from_str(include_str!("fixtures/sarif-schema-2.1.0.json")).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(sarif)
        .map(|e| format!("{} at {}", e, e.instance_path))
        .collect();
    assert!(
        errors.is_empty(),
        "SARIF does not validate:\n{}",
        errors.join("\n")
    );
}

fn pr_payload(base: &str, head: &str) -> Value {
    json!({
        "action": "synchronize",
        "number": 7,
        "pull_request": {
            "number": 7,
            "base": { "ref": "main", "sha": base },
            "head": { "ref": "feature", "sha": head }
        },
        "repository": { "default_branch": "main" }
    })
}

/// A repository with a key on `main` before the pull request (not the PR's
/// doing), and a `feature` branch; returns (repo, base, old key).
fn base_repo(sb: &Sandbox, rel: &str) -> (Repo, String, String) {
    let repo = sb.repo(rel);
    let old = fake_key("msk_", 601);
    repo.write("legacy.env", &format!("OLD={old}\n"));
    repo.write("app.py", "print('hello')\n");
    let base = repo.commit("base");
    repo.git(&["checkout", "-q", "-b", "feature"]);
    (repo, base, old)
}

#[test]
fn pull_request_that_adds_a_key_fails_with_annotations_summary_and_sarif() {
    let sb = Sandbox::new();
    let (repo, base, old) = base_repo(&sb, "ws");
    let leaked = fake_key("msk_", 602);
    repo.write(
        "src/config, main.py",
        &format!("x = 1\nAPI_KEY = '{leaked}'\n"),
    );
    let head = repo.commit("add config");
    let keys = [leaked.as_str(), old.as_str()];

    let run = run_action(
        &sb,
        &repo.path,
        "pull_request",
        &pr_payload(&base, &head),
        &[],
        &keys,
    );
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    // One annotation, on the line of the diff, with `,` and `:` escaped in
    // the properties and the key redacted.
    let annotations = run.annotations();
    assert_eq!(annotations.len(), 1, "{}", run.stdout);
    let a = annotations[0];
    assert!(
        a.starts_with("::error file=src/config%2C main.py,line=2,col=12,endColumn="),
        "{a}"
    );
    assert!(
        a.contains(",title=Misar Mail API key (misar-mail-api-key)::"),
        "{a}"
    );
    assert!(a.contains(&format!("`{}…`", &leaked[..8])), "{a}");
    assert!(a.contains(&format!("in commit {}", &head[..12])), "{a}");
    assert!(
        !a.contains("legacy.env"),
        "keys before the range are not the PR's"
    );
    // Commands are fenced while git and the scan print.
    assert!(run.stdout.contains("::stop-commands::"), "{}", run.stdout);

    assert_eq!(run.outputs["findings"], "1");
    assert_eq!(run.outputs["exit-code"], "1");
    assert_eq!(run.outputs["mode"], "range");
    assert_eq!(run.outputs["range"], format!("{base}..{head}"));
    assert!(run.outputs["sarif"].ends_with("runner-temp/misar-scan.sarif"));

    assert!(run.summary.starts_with("## misar-scan"), "{}", run.summary);
    assert!(run.summary.contains("**1 finding**"), "{}", run.summary);
    assert!(
        run.summary
            .contains("| error | `misar-mail-api-key` | `src/config, main.py:2:12` |"),
        "{}",
        run.summary
    );
    assert!(run.summary.contains(&format!("`{}…`", &leaked[..8])));

    let sarif = run.sarif.unwrap();
    assert_valid_sarif(&sarif);
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), 1);
    assert_eq!(
        results[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "src/config,%20main.py"
    );
    assert_eq!(
        sarif["runs"][0]["automationDetails"]["id"],
        "misar-scan/range/"
    );
}

#[test]
fn pull_request_without_a_key_passes() {
    let sb = Sandbox::new();
    let (repo, base, old) = base_repo(&sb, "ws");
    repo.write(
        "app.py",
        "print('hello, world')\nKEY = 'msk_your_api_key'\n",
    );
    let head = repo.commit("docs");

    let run = run_action(
        &sb,
        &repo.path,
        "pull_request",
        &pr_payload(&base, &head),
        &[],
        &[&old],
    );
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(run.annotations().is_empty(), "{}", run.stdout);
    assert_eq!(run.outputs["findings"], "0");
    assert_eq!(run.outputs["exit-code"], "0");
    assert!(
        run.summary.contains("No Misar API key found"),
        "{}",
        run.summary
    );
    let sarif = run.sarif.unwrap();
    assert_valid_sarif(&sarif);
    assert_eq!(sarif["runs"][0]["results"], json!([]));
}

#[test]
fn fail_on_findings_false_reports_but_passes() {
    let sb = Sandbox::new();
    let (repo, base, _) = base_repo(&sb, "ws");
    let leaked = fake_key("ask_", 603);
    repo.write("a.txt", &format!("{leaked}\n"));
    let head = repo.commit("add");
    let sarif = sb.path("out/custom.sarif");
    let run = run_action(
        &sb,
        &repo.path,
        "pull_request",
        &pr_payload(&base, &head),
        &[
            ("fail-on-findings", "false"),
            ("sarif-file", sarif.to_str().unwrap()),
        ],
        &[&leaked],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.annotations().len(), 1);
    assert_eq!(run.outputs["findings"], "1");
    assert_eq!(run.outputs["exit-code"], "0");
    assert_eq!(PathBuf::from(&run.outputs["sarif"]), sarif);
    assert!(run
        .stdout
        .contains("::warning title=misar-scan::1 finding(s)"));
}

#[test]
fn fail_on_live_passes_a_pull_request_whose_only_key_is_revoked() {
    let api = common::FakeApi::start();
    let sb = Sandbox::new();
    let (repo, base, _) = base_repo(&sb, "ws");
    let dead = fake_key("msk_", 605); // not registered: 401
    repo.write("a.txt", &format!("{dead}\n"));
    let head = repo.commit("add a revoked key");
    let env = [("MISAR_API_URL", api.url())];
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let inputs = [("fail-on", "live")];
    let run = run_action_env(
        &sb,
        &repo.path,
        "pull_request",
        &pr_payload(&base, &head),
        &inputs,
        &[&dead],
        &env,
    );
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(
        run.annotations().len(),
        1,
        "still annotated: {}",
        run.stdout
    );
    assert_eq!(run.outputs["findings"], "1");
    assert!(
        run.stdout
            .contains("no key live or unknown (fail-on is live)"),
        "{}",
        run.stdout
    );
    assert_eq!(api.count("GET", &dead), 1, "fail-on live verifies");

    // The same pull request with a live key fails.
    let live = fake_key("msk_", 606);
    api.add_key(&live, 1, &["send"]);
    repo.write("b.txt", &format!("{live}\n"));
    let head = repo.commit("add a live key");
    let run = run_action_env(
        &sb,
        &repo.path,
        "pull_request",
        &pr_payload(&base, &head),
        &inputs,
        &[&dead, &live],
        &env,
    );
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
}

/// An origin with `main` and a pull request branch several commits away from
/// the merge base; returns (origin, base, head, leaked key).
fn origin_with_pr(sb: &Sandbox) -> (Repo, String, String, String) {
    let origin = sb.repo("origin");
    origin.write("README", "r\n");
    origin.commit("one");
    for i in 0..3 {
        origin.write("README", &format!("r{i}\n"));
        origin.commit("main work");
    }
    let fork_point = origin.rev("HEAD");
    origin.git(&["checkout", "-q", "-b", "feature"]);
    let leaked = fake_key("mdk_", 604);
    origin.write("deploy.sh", &format!("export MISAR_KEY={leaked}\n"));
    origin.commit("deploy script");
    for i in 0..3 {
        origin.write("notes.txt", &format!("n{i}\n"));
        origin.commit("more feature work");
    }
    let head = origin.rev("HEAD");
    origin.git(&["checkout", "-q", "main"]);
    for i in 0..3 {
        origin.write("CHANGES", &format!("c{i}\n"));
        origin.commit("main moves on");
    }
    let base = origin.rev("HEAD");
    assert_ne!(base, fork_point);
    (origin, base, head, leaked)
}

#[test]
fn shallow_checkout_is_deepened_from_origin_until_the_merge_base() {
    let sb = Sandbox::new();
    let (origin, base, head, leaked) = origin_with_pr(&sb);
    let url = format!("file://{}", origin.path.display());
    // What actions/checkout does by default: one commit.
    sb.git_in(sb.dir.path(), &["clone", "-q", "--depth", "1", &url, "ws"]);
    let ws = sb.path("ws");
    assert_eq!(
        sb.git_in(&ws, &["rev-parse", "--is-shallow-repository"]),
        "true"
    );

    let run = run_action(
        &sb,
        &ws,
        "pull_request",
        &pr_payload(&base, &head),
        &[("sarif-file", "misar.sarif")],
        &[&leaked],
    );
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    assert!(run.stderr.contains("fetching"), "{}", run.stderr);
    let annotations = run.annotations();
    assert_eq!(annotations.len(), 1, "{}", run.stdout);
    assert!(
        annotations[0].starts_with("::error file=deploy.sh,line=1,col=18,"),
        "{}",
        annotations[0]
    );
    // Only the pull request's commits: the merge base is there now.
    sb.git_in(&ws, &["merge-base", &base, &head]);
    assert_eq!(
        run.outputs["sarif"],
        ws.join("misar.sarif").to_str().unwrap()
    );
    assert_valid_sarif(&run.sarif.unwrap());
}

#[test]
fn push_scans_the_pushed_range_and_a_new_branch_what_it_adds() {
    let sb = Sandbox::new();
    let (origin, _base, head, leaked) = origin_with_pr(&sb);
    let url = format!("file://{}", origin.path.display());
    sb.git_in(
        sb.dir.path(),
        &["clone", "-q", "--depth", "1", "-b", "feature", &url, "ws"],
    );
    let ws = sb.path("ws");
    let before = origin.rev("feature~1");

    // An ordinary push of the last commit: the key came earlier, so clean.
    let push = json!({"ref": "refs/heads/feature", "before": before, "after": head,
                      "repository": {"default_branch": "main"}});
    let run = run_action(&sb, &ws, "push", &push, &[], &[&leaked]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(run.outputs["range"], format!("{before}..{head}"));
    assert_eq!(run.outputs["findings"], "0");

    // The branch's first push (`before` all zeros): what it adds to `main`.
    let new = json!({"ref": "refs/heads/feature", "before": ZERO, "after": head, "created": true,
                     "repository": {"default_branch": "main"}});
    let run = run_action(&sb, &ws, "push", &new, &[], &[&leaked]);
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(run.outputs["mode"], "range");
    assert!(run.outputs["range"].ends_with(&format!("..{head}")));
    assert_eq!(run.annotations().len(), 1, "{}", run.stdout);
    assert!(run.summary.contains("new branch"), "{}", run.summary);

    // A deleted branch: nothing to scan.
    let deleted =
        json!({"ref": "refs/heads/feature", "before": head, "after": ZERO, "deleted": true});
    let run = run_action(&sb, &ws, "push", &deleted, &[], &[&leaked]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("nothing to scan"), "{}", run.stdout);
}

#[test]
fn workflow_dispatch_scans_the_whole_history() {
    let sb = Sandbox::new();
    let (repo, _base, old) = base_repo(&sb, "ws");
    repo.write("app.py", "print('clean')\n");
    repo.commit("clean");
    let run = run_action(
        &sb,
        &repo.path,
        "workflow_dispatch",
        &json!({"inputs": {}}),
        &[],
        &[&old],
    );
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(run.outputs["mode"], "git");
    assert_eq!(run.outputs["range"], "");
    let annotations = run.annotations();
    assert_eq!(annotations.len(), 1, "{}", run.stdout);
    assert!(annotations[0].starts_with("::error file=legacy.env,line=1,"));
    let sarif = run.sarif.unwrap();
    assert_valid_sarif(&sarif);
    assert_eq!(
        sarif["runs"][0]["automationDetails"]["id"],
        "misar-scan/git/"
    );
}

#[test]
fn repository_in_a_subfolder_annotates_workspace_relative_paths() {
    let sb = Sandbox::new();
    let ws = sb.path("ws");
    std::fs::create_dir_all(&ws).unwrap();
    let (repo, base, _) = base_repo(&sb, "ws/service");
    let leaked = fake_key("msk_", 605);
    repo.write("k.env", &format!("K={leaked}\n"));
    let head = repo.commit("k");
    let run = run_action(
        &sb,
        &ws,
        "pull_request",
        &pr_payload(&base, &head),
        &[("path", "service")],
        &[&leaked],
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.annotations()[0].starts_with("::error file=service/k.env,line=1,"));
}

#[test]
fn missing_payload_fields_are_an_error_with_a_hint() {
    let sb = Sandbox::new();
    let (repo, _, _) = base_repo(&sb, "ws");
    let run = run_action(&sb, &repo.path, "pull_request", &json!({}), &[], &[]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr
            .contains("error: the `pull_request` event payload has no `/pull_request/base/sha`"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("\nhint: "), "{}", run.stderr);
}

#[test]
fn install_step_reuses_a_binary_of_the_same_version_on_path() {
    let sb = Sandbox::new();
    let output = sb.path("output");
    let bin_dir = Path::new(BIN).parent().unwrap();
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let script = format!("{ROOT}/scripts/action-install.sh");
    let run = |arg: &str, extra: &[(&str, &str)]| {
        let mut cmd = Command::new("bash");
        hermetic(&mut cmd, &sb.home());
        cmd.args([script.as_str(), arg])
            .env("PATH", &path)
            .env("GITHUB_ACTION_PATH", ROOT)
            .env("GITHUB_OUTPUT", &output)
            .env("RUNNER_TOOL_CACHE", sb.path("tools"));
        for (k, v) in extra {
            cmd.env(k, v);
        }
        let out = cmd.output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        std::fs::read_to_string(&output)
            .unwrap()
            .lines()
            .filter_map(|l| l.split_once('='))
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect::<BTreeMap<_, _>>()
    };
    let prepared = run("prepare", &[]);
    assert_eq!(prepared["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(prepared["found"], "true");
    assert!(prepared["key"].starts_with(&format!(
        "misar-scan-unknown-unknown-{}-",
        env!("CARGO_PKG_VERSION")
    )));
    // The key is stable: the second run hits the same cache entry.
    assert_eq!(run("prepare", &[])["key"], prepared["key"]);
    let installed = run(
        "install",
        &[
            ("MISAR_SCAN_DIR", &prepared["dir"]),
            ("MISAR_SCAN_FOUND", "true"),
        ],
    );
    assert_eq!(PathBuf::from(&installed["binary"]), PathBuf::from(BIN));
}
