//! `misar-scan sweep` and `report merge` against the fake Misar API (issue 5):
//! several repositories built in the test (work trees and bare, nested, a key
//! only in history, one key in two repositories), revocation of exactly the
//! live and unambiguous keys, refusals, consent, resuming after a kill,
//! sharding + merge, and redaction of every file in the report folder.

#![allow(clippy::print_stderr)] // skip messages

mod common;

use std::collections::BTreeSet;
use std::path::Path;

use common::{
    bin, fake_key, hermetic, key_with_stem, sha256, FakeApi, Fault, Run, Sandbox, BIN, FAST,
};
use serde_json::Value;

/// The keys of the fixture and what the fake API knows of them.
struct World {
    sandbox: Sandbox,
    /// Live, holds `keys:manage` (revokes itself); only in `alpha`'s history.
    self_managed: String,
    /// Live without `keys:manage` (revoked with the admin key); in `alpha` and in nested `beta`.
    shared: String,
    /// The API answers 500 for it: unknown, left alone.
    unknown: String,
    /// Live, but another key of the account shows the same stem: ambiguous.
    ambiguous: String,
    /// Never valid: 401.
    dead: String,
    /// `MISAR_ADMIN_KEY`, never in a repository.
    admin: String,
}

impl World {
    fn leaked(&self) -> Vec<&str> {
        vec![
            &self.self_managed,
            &self.shared,
            &self.unknown,
            &self.ambiguous,
            &self.dead,
            &self.admin,
        ]
    }

    fn root(&self) -> &Path {
        self.sandbox.dir.path()
    }
}

/// Repositories under `org/`: `alpha` (work tree), `alpha/vendor/beta`
/// (nested work tree) and `gamma.git` (bare).
fn world() -> World {
    let w = World {
        sandbox: Sandbox::new(),
        self_managed: fake_key("msk_", 101),
        shared: fake_key("ask_", 102),
        unknown: fake_key("mdk_", 103),
        ambiguous: fake_key("msk_", 104),
        dead: fake_key("msk_", 105),
        admin: fake_key("msk_", 106),
    };
    let alpha = w.sandbox.repo("org/alpha");
    alpha.write(".gitignore", "vendor/\n");
    alpha.write(
        "config/.env",
        &format!("MAIL_KEY={}\nASSISTERS_KEY={}\n", w.self_managed, w.shared),
    );
    alpha.commit("add config");
    // The self-managed key now lives only in history.
    alpha.write("config/.env", &format!("ASSISTERS_KEY={}\n", w.shared));
    alpha.commit("drop the mail key");

    let beta = w.sandbox.repo("org/alpha/vendor/beta");
    beta.write("app.js", &format!("const k = \"{}\";\n", w.shared));
    beta.write("dev.toml", &format!("token = \"{}\"\n", w.unknown));
    beta.commit("vendor beta");

    let gamma = w.sandbox.repo("work/gamma");
    gamma.write(
        "settings.py",
        &format!("KEY = '{}'\nOLD = '{}'\n", w.ambiguous, w.dead),
    );
    gamma.commit("settings");
    w.sandbox.git_in(
        w.root(),
        &["clone", "-q", "--bare", "work/gamma", "org/gamma.git"],
    );
    w
}

/// Register the world's keys with `api` (account 1).
fn register(w: &World, api: &FakeApi) {
    api.add_key(&w.self_managed, 1, &["send", "keys:manage"]);
    api.add_key(&w.shared, 1, &["send"]);
    api.add_key(&w.unknown, 1, &["send"]);
    api.fault_always(&w.unknown, Fault::ServerError);
    api.add_key(&w.ambiguous, 1, &["send"]);
    api.add_key(&key_with_stem(&w.ambiguous[..8], 999), 1, &["send"]);
    api.add_key(&w.admin, 1, &["keys:manage"]);
}

/// Run `sweep` (or anything) in the world's root with the admin key set.
/// The sweep that revokes without asking, reporting to `out`.
const REVOKE_ALL: &[&str] = &["sweep", "org", "--revoke", "--yes", "--report-dir", "out"];

/// A world and a fake API that knows its keys.
fn registered() -> (World, FakeApi) {
    let w = world();
    let api = FakeApi::start();
    register(&w, &api);
    (w, api)
}

fn run(w: &World, api: &FakeApi, args: &[&str]) -> Run {
    let mut all: Vec<&str> = args.to_vec();
    if args.first() == Some(&"sweep") {
        all.extend_from_slice(FAST);
    }
    let run = bin(w.root())
        .api(&api.url())
        .args(&all)
        .envs(&[("MISAR_ADMIN_KEY", w.admin.as_str())])
        .secrets(&w.leaked())
        .run();
    run
}

/// Every file of a report folder: no full key, no admin key.
fn assert_dir_redacted(w: &World, dir: &Path) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        common::assert_no_full_key(&path.display().to_string(), &text, &w.leaked());
    }
}

fn json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// sha256 → (action, status before, status after) from `report.json`.
fn actions(report: &Value) -> BTreeSet<(String, String, String, String)> {
    report["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| {
            (
                k["secret_sha256"].as_str().unwrap().to_string(),
                k["action"].as_str().unwrap().to_string(),
                k["status_before"]["state"]
                    .as_str()
                    .unwrap_or("")
                    .to_string(),
                k["status_after"]["state"]
                    .as_str()
                    .unwrap_or("")
                    .to_string(),
            )
        })
        .collect()
}

/// (repo, path, commit, sha256) of every finding.
fn locations(report: &Value) -> BTreeSet<(String, String, String, String)> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["repo"].as_str().unwrap().to_string(),
                f["path"].as_str().unwrap().to_string(),
                f["commit"].as_str().unwrap_or("").to_string(),
                f["secret_sha256"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn action_of(report: &Value, key: &str) -> String {
    let sha = sha256(key);
    report["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["secret_sha256"] == sha.as_str())
        .map(|k| k["action"].as_str().unwrap().to_string())
        .unwrap_or_else(|| panic!("key {}… not in the report", &key[..8]))
}

#[test]
fn sweep_revokes_exactly_the_live_unambiguous_keys_once_each() {
    let (w, api) = registered();
    let out = run(&w, &api, REVOKE_ALL);
    // Unknown and ambiguous keys need a person: exit 2.
    assert_eq!(out.code, 2, "{out:?}");
    assert!(out.stderr.contains("[1/3] org/alpha: "), "{}", out.stderr);
    assert!(out.stderr.contains("org/gamma.git"), "{}", out.stderr);

    // Exactly two DELETEs: the self-managed key with itself, the shared one with the admin key.
    assert_eq!(api.count_method("DELETE"), 2);
    assert_eq!(api.count("DELETE", &w.self_managed), 1);
    assert_eq!(api.count("DELETE", &w.admin), 1);
    assert!(api.is_revoked(&w.self_managed) && api.is_revoked(&w.shared));
    assert!(!api.is_revoked(&w.ambiguous) && !api.is_revoked(&w.unknown));
    // Verified once, then the confirming 401.
    assert_eq!(api.count("GET", &w.self_managed), 2);
    assert_eq!(api.count("GET", &w.shared), 2);

    let dir = w.root().join("out");
    let report = json(&dir.join("report.json"));
    assert_eq!(action_of(&report, &w.self_managed), "revoked");
    assert_eq!(action_of(&report, &w.shared), "revoked");
    assert_eq!(action_of(&report, &w.unknown), "left_alone_unknown");
    assert_eq!(action_of(&report, &w.ambiguous), "refused");
    assert_eq!(action_of(&report, &w.dead), "not_live");
    let reasons = report.to_string();
    assert!(reasons.contains("ambiguous"), "{reasons}");
    assert!(reasons.contains("never revoked on a guess"), "{reasons}");

    // One key in two repositories: one key, every location.
    let shared_sha = sha256(&w.shared);
    let repos: BTreeSet<String> = locations(&report)
        .into_iter()
        .filter(|l| l.3 == shared_sha)
        .map(|l| l.0)
        .collect();
    assert_eq!(
        repos,
        BTreeSet::from(["org/alpha".to_string(), "org/alpha/vendor/beta".to_string()])
    );
    // A key only in history, and the bare repository, are found.
    assert!(locations(&report)
        .iter()
        .any(|l| l.0 == "org/alpha" && l.3 == sha256(&w.self_managed)));
    assert!(locations(&report).iter().any(|l| l.0 == "org/gamma.git"));
    assert_eq!(report["summary"]["repos"], 3);

    // The other files.
    for name in [
        "report.json",
        "report.sarif",
        "summary.md",
        "report.html",
        "audit.jsonl",
        "sweep-state.json",
    ] {
        assert!(dir.join(name).is_file(), "{name} missing");
    }
    assert_dir_redacted(&w, &dir);
    let sarif = json(&dir.join("report.sarif"));
    assert_eq!(sarif["version"], "2.1.0");
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), report["findings"].as_array().unwrap().len());
    for r in results {
        assert!(r["properties"]["repo"].is_string(), "{r}");
        let uri = r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            .as_str()
            .unwrap();
        assert!(
            !uri.starts_with("org/"),
            "path inside the repository: {uri}"
        );
    }
    let summary = std::fs::read_to_string(dir.join("summary.md")).unwrap();
    assert!(summary.contains(&shared_sha), "{summary}");
    assert!(summary.contains("Test Author"), "{summary}");
    assert!(
        summary.contains("org/alpha/vendor/beta:app.js@"),
        "{summary}"
    );
    let audit = std::fs::read_to_string(dir.join("audit.jsonl")).unwrap();
    let deletes = audit
        .lines()
        .filter(|l| l.contains("\"action\":\"delete\""))
        .count();
    assert_eq!(deletes, 2, "{audit}");
}

#[test]
fn report_html_is_self_contained_and_redacted() {
    let (w, api) = registered();
    let out = run(&w, &api, REVOKE_ALL);
    assert_eq!(out.code, 2, "{out:?}");
    let html = std::fs::read_to_string(w.root().join("out/report.html")).unwrap();
    for needle in [
        "http://", "https://", "src=", "href=", "<script", "<link", "@import", "url(",
    ] {
        assert!(!html.contains(needle), "report.html holds `{needle}`");
    }
    for k in w.leaked() {
        assert!(!html.contains(k));
    }
    assert!(html.contains(&format!("{}…", &w.shared[..8])), "{html}");
    assert!(html.contains("Timeline"), "{html}");
    assert!(html.contains("Repositories affected"), "{html}");
    assert!(html.contains("2024-01-01T00:01:00"), "{html}");
}

#[test]
fn revoke_without_yes_and_without_a_terminal_revokes_nothing() {
    let (w, api) = registered();
    let out = run(
        &w,
        &api,
        &["sweep", "org", "--revoke", "--report-dir", "out"],
    );
    assert_eq!(out.code, 2, "{out:?}");
    assert!(out.stderr.contains("nothing is revoked"), "{}", out.stderr);
    assert_eq!(api.count_method("DELETE"), 0);
    let report = json(&w.root().join("out/report.json"));
    assert_eq!(action_of(&report, &w.self_managed), "not_confirmed");
    assert_eq!(action_of(&report, &w.shared), "not_confirmed");
    assert_dir_redacted(&w, &w.root().join("out"));
}

#[test]
fn sweep_without_revoke_reports_live_keys() {
    let (w, api) = registered();
    api.fault_always(
        &w.unknown,
        Fault::Raw(
            401,
            "{\"success\":false,\"error\":{\"code\":\"UNAUTHORIZED\"}}".into(),
        ),
    );
    let out = run(&w, &api, &["sweep", "org", "--report-dir", "out"]);
    // Live keys are left live: exit 1 (the ambiguous one is not even planned).
    assert_eq!(out.code, 1, "{out:?}");
    assert_eq!(api.count_method("DELETE"), 0);
    let report = json(&w.root().join("out/report.json"));
    assert_eq!(action_of(&report, &w.self_managed), "none");
    assert!(out.stdout.contains("run with `--revoke`"), "{}", out.stdout);
}

#[test]
fn a_killed_sweep_resumes_and_sends_each_delete_once() {
    let (w, api) = registered();
    let args = REVOKE_ALL;
    let mut first: Vec<&str> = args.to_vec();
    first.extend(["--stop-after-revocations", "1"]);
    let killed = run(&w, &api, &first);
    assert_eq!(killed.code, 3, "{killed:?}");
    assert_eq!(api.count_method("DELETE"), 1);
    assert!(!w.root().join("out/report.json").exists());

    let resumed = run(&w, &api, args);
    assert_eq!(resumed.code, 2, "{resumed:?}");
    assert!(resumed.stderr.contains("resuming"), "{}", resumed.stderr);
    assert!(
        resumed.stderr.contains("scanned in an earlier run"),
        "{}",
        resumed.stderr
    );
    // One DELETE per live, unambiguous key over both runs.
    assert_eq!(api.count_method("DELETE"), 2);
    assert_eq!(api.count("DELETE", &w.self_managed), 1);
    assert_eq!(api.count("DELETE", &w.admin), 1);

    // Once more: nothing new is sent, everything is still accounted for.
    let again = run(&w, &api, args);
    assert_eq!(again.code, 2, "{again:?}");
    assert_eq!(api.count_method("DELETE"), 2);

    let dir = w.root().join("out");
    let report = json(&dir.join("report.json"));
    assert_eq!(action_of(&report, &w.self_managed), "revoked");
    assert_eq!(action_of(&report, &w.shared), "revoked");
    for k in [&w.self_managed, &w.shared] {
        let sha = sha256(k);
        let key = report["keys"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["secret_sha256"] == sha.as_str())
            .unwrap();
        assert_eq!(key["status_before"]["state"], "live", "{key}");
        assert_eq!(key["status_after"]["state"], "not_live", "{key}");
    }
    let audit = std::fs::read_to_string(dir.join("audit.jsonl")).unwrap();
    let deletes: Vec<&str> = audit
        .lines()
        .filter(|l| l.contains("\"action\":\"delete\""))
        .collect();
    assert_eq!(deletes.len(), 2, "{audit}");
    assert!(audit.contains("no DELETE sent"), "{audit}");
    assert_dir_redacted(&w, &dir);
}

#[test]
fn a_delete_whose_answer_was_lost_is_not_sent_again() {
    let (w, api) = registered();
    let args = REVOKE_ALL;
    let first = run(&w, &api, args);
    assert_eq!(first.code, 2, "{first:?}");
    assert_eq!(api.count_method("DELETE"), 2);
    // As if the run had died between sending the DELETE and recording its answer.
    let state_path = w.root().join("out/sweep-state.json");
    let mut state = json(&state_path);
    let rec = &mut state["keys"][sha256(&w.self_managed).as_str()];
    rec["action"] = "none".into();
    rec["detail"] = "".into();
    rec["delete_pending"] = true.into();
    std::fs::write(&state_path, state.to_string()).unwrap();

    let resumed = run(&w, &api, args);
    assert_eq!(resumed.code, 2, "{resumed:?}");
    assert_eq!(api.count_method("DELETE"), 2);
    let report = json(&w.root().join("out/report.json"));
    assert_eq!(action_of(&report, &w.self_managed), "revoked");
    assert!(report.to_string().contains("revoked by an interrupted run"));
}

#[test]
fn sweep_sarif_is_valid_sarif_2_1_0() {
    let (w, api) = registered();
    let out = run(&w, &api, &["sweep", "org", "--report-dir", "out"]);
    // The unknown key needs a person.
    assert_eq!(out.code, 2, "{out:?}");
    let schema: Value =
        serde_json::from_str(include_str!("fixtures/sarif-schema-2.1.0.json")).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let sarif = json(&w.root().join("out/report.sarif"));
    let errors: Vec<String> = validator
        .iter_errors(&sarif)
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    let fingerprints: BTreeSet<&str> = results
        .iter()
        .map(|r| {
            r["partialFingerprints"]["misarScanSecret/v1"]
                .as_str()
                .unwrap()
        })
        .collect();
    assert_eq!(
        fingerprints.len(),
        results.len(),
        "one alert per repository and place"
    );
}

#[test]
fn two_shards_and_merge_equal_one_unsharded_sweep() {
    let w = world();
    // Both shards must get work for the test to mean something.
    let rels = ["alpha", "alpha/vendor/beta", "gamma.git"];
    let shards: BTreeSet<u32> = rels
        .iter()
        .map(|r| misar_scan::sweep::Shard::of(r, 2))
        .collect();
    assert_eq!(
        shards.len(),
        2,
        "all fixture repositories hash to one shard"
    );

    let whole_api = FakeApi::start();
    register(&w, &whole_api);
    let whole = run(
        &w,
        &whole_api,
        &["sweep", "org", "--revoke", "--yes", "--report-dir", "whole"],
    );
    assert_eq!(whole.code, 2, "{whole:?}");

    let api = FakeApi::start();
    register(&w, &api);
    for (k, dir) in [("1/2", "s1"), ("2/2", "s2")] {
        let out = run(
            &w,
            &api,
            &[
                "sweep",
                "org",
                "--revoke",
                "--yes",
                "--shard",
                k,
                "--report-dir",
                dir,
            ],
        );
        assert!(out.code == 2 || out.code == 0, "{out:?}");
    }
    let merged = run(
        &w,
        &api,
        &["report", "merge", "s1", "s2", "--output", "merged"],
    );
    assert_eq!(merged.code, 2, "{merged:?}");
    assert_eq!(api.count_method("DELETE"), whole_api.count_method("DELETE"));
    assert_eq!(api.count_method("DELETE"), 2);

    let a = json(&w.root().join("whole/report.json"));
    let b = json(&w.root().join("merged/report.json"));
    assert_eq!(actions(&a), actions(&b));
    assert_eq!(locations(&a), locations(&b));
    assert_eq!(a["summary"]["repos"], b["summary"]["repos"]);
    let deletes = |dir: &str| {
        std::fs::read_to_string(w.root().join(dir).join("audit.jsonl"))
            .unwrap()
            .lines()
            .filter(|l| l.contains("\"action\":\"delete\""))
            .count()
    };
    assert_eq!(deletes("merged"), 2);
    for name in ["report.sarif", "summary.md", "report.html"] {
        assert!(w.root().join("merged").join(name).is_file(), "{name}");
    }
    assert_dir_redacted(&w, &w.root().join("merged"));
}

#[test]
fn the_admin_key_never_appears_anywhere() {
    let (w, api) = registered();
    let out = run(&w, &api, REVOKE_ALL);
    assert_eq!(out.code, 2, "{out:?}");
    // assert_redacted (in `run`) covered stdout and stderr; argv never held it.
    let dir = w.root().join("out");
    for entry in std::fs::read_dir(&dir).unwrap() {
        let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        assert!(!text.contains(&w.admin));
    }
    // The admin key is named by its stem in the audit log, nothing more.
    let audit = std::fs::read_to_string(dir.join("audit.jsonl")).unwrap();
    assert!(audit.contains(&format!("\"credential_stem\":\"{}\"", &w.admin[..8])));
}

/// Run a sweep on a pseudo-terminal (util-linux `script`), typing `answer`
/// at the confirmation prompt. Returns (exit code, everything the terminal showed).
/// `None` when `script` is not installed.
fn sweep_on_a_terminal(w: &World, api: &FakeApi, answer: &str) -> Option<(i32, String)> {
    use std::io::Write;
    use std::process::{Command, Stdio};
    if Command::new("script").arg("--version").output().is_err() {
        return None;
    }
    let mut line = format!("{} sweep org --revoke --report-dir out", BIN);
    for flag in FAST {
        line.push(' ');
        line.push_str(flag);
    }
    // The keys travel in the environment, never on the command line.
    let mut script = Command::new("script");
    hermetic(&mut script, &w.sandbox.home());
    let mut child = script
        .args(["-qec", &line, "/dev/null"])
        .current_dir(w.root())
        .env("TERM", "dumb")
        .env("MISAR_API_URL", api.url())
        .env("MISAR_ADMIN_KEY", &w.admin)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(answer.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let shown =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    common::assert_no_full_key("terminal", &shown, &w.leaked());
    Some((out.status.code().unwrap_or(-1), shown))
}

#[test]
fn on_a_terminal_the_sweep_asks_before_revoking_and_no_means_no() {
    let (w, api) = registered();
    let Some((code, shown)) = sweep_on_a_terminal(&w, &api, "n\n") else {
        eprintln!("skipped: util-linux `script` is not installed");
        return;
    };
    assert!(shown.contains("revoke them now? [y/N]"), "{shown}");
    assert!(shown.contains("declined"), "{shown}");
    assert_eq!(api.count_method("DELETE"), 0);
    assert_eq!(code, 2, "{shown}");
}

#[test]
fn on_a_terminal_yes_at_the_prompt_revokes() {
    let (w, api) = registered();
    let Some((_, shown)) = sweep_on_a_terminal(&w, &api, "y\n") else {
        eprintln!("skipped: util-linux `script` is not installed");
        return;
    };
    assert!(shown.contains("revoke them now? [y/N]"), "{shown}");
    assert!(api.is_revoked(&w.self_managed), "{shown}");
    assert_eq!(api.count("DELETE", &w.self_managed), 1);
    assert_dir_redacted(&w, &w.root().join("out"));
}

#[test]
fn keys_echoed_by_the_api_never_reach_any_sweep_file() {
    // Issue 11 item 3: an API that echoes a key in a list entry's `id` or
    // `name` got it written to `audit.jsonl`, the reports and the state.
    let (w, api) = registered();
    let self_id = api.id_of(&w.self_managed).unwrap();
    api.set_id(&self_id, &w.self_managed);
    let shared_id = api.id_of(&w.shared).unwrap();
    api.set_key_info(
        &shared_id,
        &format!("{} / {}", w.shared, w.admin),
        None,
        common::DEFAULT_CREATED_AT,
    );
    let twin = api.id_of(&key_with_stem(&w.ambiguous[..8], 999)).unwrap();
    api.set_id(&twin, &w.ambiguous);
    let out = run(&w, &api, REVOKE_ALL);
    assert_eq!(out.code, 2, "{out:?}");
    let dir = w.root().join("out");
    assert_dir_redacted(&w, &dir);
    let report = json(&dir.join("report.json"));
    // An id that held the key is never sent.
    assert_eq!(action_of(&report, &w.self_managed), "refused");
    assert!(report.to_string().contains("holds a full key"), "{report}");
    assert_eq!(action_of(&report, &w.shared), "revoked");
    assert_eq!(action_of(&report, &w.ambiguous), "refused");
    assert_eq!(api.count_method("DELETE"), 1);
    assert!(!api.is_revoked(&w.self_managed));
}

#[test]
fn ids_that_are_not_one_path_segment_are_refused_by_the_sweep() {
    // Issue 11 item 2, through the sweep: `.\t.` became `..` in the URL.
    let (w, api) = registered();
    let self_id = api.id_of(&w.self_managed).unwrap();
    api.set_id(&self_id, ".\t.");
    let out = run(&w, &api, REVOKE_ALL);
    assert_eq!(out.code, 2, "{out:?}");
    let shared_id = api.id_of(&w.shared).unwrap();
    let deletes: Vec<String> = api
        .requests()
        .into_iter()
        .filter(|r| r.method == "DELETE")
        .map(|r| r.path)
        .collect();
    assert_eq!(deletes, [format!("/api/v1/keys/{shared_id}")]);
    let report = json(&w.root().join("out/report.json"));
    assert_eq!(action_of(&report, &w.self_managed), "refused");
    assert!(
        report.to_string().contains("holds control characters"),
        "{report}"
    );
    assert!(!api.is_revoked(&w.self_managed));
}
