//! `misar-scan sweep` hardening (issue 11, items 6, 7, 8, 9 and 12), each
//! against the real binary and the fake Misar API:
//!
//! - two leaked keys resolving to one list entry are ambiguous: no `DELETE`
//!   at all, never a second `DELETE` for an id the sweep revoked, and no false
//!   discrepancy;
//! - nothing is written outside `--report-dir` through planted symbolic links;
//! - directory symbolic links are not followed (as in `scan`), and never out
//!   of the swept PATH even with `--follow`;
//! - a sweep run again rescans repositories whose refs moved;
//! - a shallow clone is an incomplete repository, named as such everywhere.

mod common;

use std::path::Path;

use common::{bin, fake_key, key_with_stem, sha256, FakeApi, Run, Sandbox, FAST};
use serde_json::Value;

/// Run misar-scan in `root` against `api`, with `admin` as `MISAR_ADMIN_KEY`
/// when given; stdout and stderr must hold none of `keys`.
fn sweep(root: &Path, api: &FakeApi, args: &[&str], admin: Option<&str>, keys: &[&str]) -> Run {
    let mut all: Vec<&str> = args.to_vec();
    all.extend_from_slice(FAST);
    let env: Vec<(&str, &str)> = admin.map(|a| ("MISAR_ADMIN_KEY", a)).into_iter().collect();
    bin(root)
        .api(&api.url())
        .args(&all)
        .envs(&env)
        .secrets(keys)
        .run()
}

fn json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// The report's record of `key`, if it is there.
fn key_record(report: &Value, key: &str) -> Option<Value> {
    let sha = sha256(key);
    report["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["secret_sha256"] == sha.as_str())
        .cloned()
}

/// Every file of a report folder holds none of `keys`.
fn assert_dir_redacted(dir: &Path, keys: &[&str]) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if let Ok(text) = std::fs::read_to_string(&path) {
            common::assert_no_full_key(&path.display().to_string(), &text, keys);
        }
    }
}

// ---------------------------------------------------------------- item 6

#[test]
fn two_keys_resolving_to_one_entry_are_both_refused_and_nothing_is_deleted() {
    let sandbox = Sandbox::new();
    let root = sandbox.dir.path();
    let ours = fake_key("msk_", 601);
    // Same 8-character stem, another account: the admin key's list shows
    // only `ours`, and both keys start with its stem.
    let theirs = key_with_stem(&ours[..8], 602);
    let admin = fake_key("msk_", 603);
    let repo = sandbox.repo("org/app");
    repo.write("a.env", &format!("A={ours}\nB={theirs}\n"));
    repo.commit("keys");

    let api = FakeApi::start();
    api.add_key(&ours, 1, &["send"]);
    api.add_key(&theirs, 2, &["send"]);
    api.add_key(&admin, 1, &["keys:manage"]);
    let keys = [ours.as_str(), theirs.as_str(), admin.as_str()];
    let out = sweep(
        root,
        &api,
        &["sweep", "org", "--revoke", "--yes", "--report-dir", "out"],
        Some(&admin),
        &keys,
    );
    // Two live keys refused: a person must look. No DELETE at all.
    assert_eq!(out.code, 2, "{out:?}");
    assert_eq!(api.count_method("DELETE"), 0, "{out:?}");
    assert!(!api.is_revoked(&ours) && !api.is_revoked(&theirs));
    let report = json(&root.join("out/report.json"));
    for k in [&ours, &theirs] {
        let rec = key_record(&report, k).unwrap();
        assert_eq!(rec["action"], "refused", "{rec}");
        let detail = rec["detail"].as_str().unwrap();
        assert!(detail.contains("ambiguous"), "{detail}");
    }
    let text = report.to_string();
    assert!(!text.contains("discrepancy"), "{text}");
    assert!(!out.stderr.contains("STILL LIVE"), "{}", out.stderr);
    assert_dir_redacted(&root.join("out"), &keys);
}

#[test]
fn an_id_the_sweep_revoked_is_never_deleted_again_and_is_no_discrepancy() {
    let sandbox = Sandbox::new();
    let root = sandbox.dir.path();
    let ours = fake_key("msk_", 611);
    let theirs = key_with_stem(&ours[..8], 612);
    let admin = fake_key("msk_", 613);
    let first = sandbox.repo("org/first");
    first.write("a.env", &format!("A={ours}\n"));
    first.commit("key");

    let api = FakeApi::start();
    let id = api.add_key(&ours, 1, &["send"]);
    api.add_key(&theirs, 2, &["send"]);
    api.add_key(&admin, 1, &["keys:manage"]);
    let keys = [ours.as_str(), theirs.as_str(), admin.as_str()];
    let args = ["sweep", "org", "--revoke", "--yes", "--report-dir", "out"];
    let out = sweep(root, &api, &args, Some(&admin), &keys);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(api.is_revoked(&ours));
    assert_eq!(api.count_method("DELETE"), 1);

    // The other account's key turns up in a new repository, and the admin
    // key's list (a stale cache on the server's side) still shows the entry
    // this sweep revoked.
    let second = sandbox.repo("org/second");
    second.write("b.env", &format!("B={theirs}\n"));
    second.commit("key");
    let stale = serde_json::json!({"success": true, "data": [
        {"id": id, "name": "stale", "prefix": format!("{}...", &ours[..8]),
         "scopes": ["send"], "last_used_at": null, "created_at": "2026-01-01T00:00:00Z"},
        {"id": "key_admin", "name": "admin", "prefix": format!("{}...", &admin[..8]),
         "scopes": ["keys:manage"], "last_used_at": null, "created_at": "2026-01-01T00:00:00Z"}
    ]});
    api.fault_once_on(&admin, "GET", common::Fault::Raw(200, stale.to_string()));
    let again = sweep(root, &api, &args, Some(&admin), &keys);
    assert_eq!(again.code, 2, "{again:?}");
    // Never a second DELETE for the id revoked in the first run.
    assert_eq!(api.count_method("DELETE"), 1, "{again:?}");
    assert!(!api.is_revoked(&theirs));
    let report = json(&root.join("out/report.json"));
    let rec = key_record(&report, &theirs).unwrap();
    assert_eq!(rec["action"], "refused", "{rec}");
    assert!(
        rec["detail"].as_str().unwrap().contains("already revoked"),
        "{rec}"
    );
    assert_eq!(key_record(&report, &ours).unwrap()["action"], "revoked");
    assert!(!report.to_string().contains("discrepancy"), "{report}");
    assert!(!again.stderr.contains("STILL LIVE"), "{}", again.stderr);
}
// ---------------------------------------------------------------- item 7

/// The report folder's files and the temporary names the old code used.
#[cfg(unix)]
const WRITTEN: &[&str] = &[
    "sweep-state.json",
    "report.json",
    "report.sarif",
    "summary.md",
    "report.html",
];

/// A sandbox whose `org/app` commits one key (`msk_` from `seed`) in
/// `a.env`, and a fake API where that key is live (send only).
#[cfg(unix)]
fn one_live_key(seed: u64) -> (Sandbox, String, FakeApi) {
    let sandbox = Sandbox::new();
    let key = fake_key("msk_", seed);
    let repo = sandbox.repo("org/app");
    repo.write("a.env", &format!("A={key}\n"));
    repo.commit("key");
    let api = FakeApi::start();
    api.add_key(&key, 1, &["send"]);
    (sandbox, key, api)
}

#[cfg(unix)]
#[test]
fn planted_temporary_file_symlinks_do_not_redirect_writes() {
    let (sandbox, key, api) = one_live_key(701);
    let root = sandbox.dir.path();

    let outside = root.join("outside");
    std::fs::create_dir(&outside).unwrap();
    let dir = root.join("out");
    std::fs::create_dir(&dir).unwrap();
    for name in WRITTEN {
        let victim = outside.join(format!("{name}.victim"));
        std::fs::write(&victim, "precious\n").unwrap();
        std::os::unix::fs::symlink(&victim, dir.join(format!("{name}.tmp"))).unwrap();
    }
    let out = sweep(
        root,
        &api,
        &["sweep", "org", "--report-dir", "out"],
        None,
        &[&key],
    );
    // The key is live and not revoked: exit 1, reports written.
    assert_eq!(out.code, 1, "{out:?}");
    for name in WRITTEN {
        let victim = outside.join(format!("{name}.victim"));
        assert_eq!(
            std::fs::read_to_string(&victim).unwrap(),
            "precious\n",
            "{name}.tmp was followed out of the report folder"
        );
        let written = dir.join(name);
        assert!(
            !std::fs::symlink_metadata(&written)
                .unwrap()
                .file_type()
                .is_symlink(),
            "{name}"
        );
        assert!(
            std::fs::read_to_string(&written).unwrap().len() > 10,
            "{name}"
        );
    }
    assert!(key_record(&json(&dir.join("report.json")), &key).is_some());
}

#[cfg(unix)]
#[test]
fn an_audit_log_symlink_is_refused_and_its_target_untouched() {
    let (sandbox, key, api) = one_live_key(711);
    let root = sandbox.dir.path();

    let outside = root.join("outside");
    std::fs::create_dir(&outside).unwrap();
    let victim = outside.join("authorized_keys");
    std::fs::write(&victim, "precious\n").unwrap();
    let dir = root.join("out");
    std::fs::create_dir(&dir).unwrap();
    std::os::unix::fs::symlink(&victim, dir.join("audit.jsonl")).unwrap();

    let out = sweep(
        root,
        &api,
        &["sweep", "org", "--report-dir", "out"],
        None,
        &[&key],
    );
    assert_eq!(out.code, 2, "{out:?}");
    assert!(out.stderr.contains("audit.jsonl"), "{}", out.stderr);
    assert!(out.stderr.contains("symbolic link"), "{}", out.stderr);
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious\n");
}

#[cfg(unix)]
#[test]
fn report_merge_does_not_follow_a_planted_temporary_file() {
    let sandbox = Sandbox::new();
    let root = sandbox.dir.path();
    let key = fake_key("msk_", 721);
    let repo = sandbox.repo("org/app");
    repo.write("a.env", &format!("A={key}\n"));
    repo.commit("key");
    let api = FakeApi::start();
    let out = sweep(
        root,
        &api,
        &["sweep", "org", "--report-dir", "s1"],
        None,
        &[&key],
    );
    assert_eq!(out.code, 0, "{out:?}");

    let victim = root.join("victim");
    std::fs::write(&victim, "precious\n").unwrap();
    let merged = root.join("merged");
    std::fs::create_dir(&merged).unwrap();
    std::os::unix::fs::symlink(&victim, merged.join("audit.jsonl.tmp")).unwrap();
    let out = bin(root)
        .args(["report", "merge", "s1", "--output", "merged"])
        .run();
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious\n");
    assert!(merged.join("audit.jsonl").is_file());
}
// ---------------------------------------------------------------- item 8

/// `org/app` (no key) and, outside `org`, `elsewhere/secret` (a key), with
/// the symbolic link `org/link` → `elsewhere`.
#[cfg(unix)]
fn linked_world() -> (Sandbox, String) {
    let sandbox = Sandbox::new();
    let key = fake_key("msk_", 801);
    let app = sandbox.repo("org/app");
    app.write("README", "nothing here\n");
    app.commit("init");
    let secret = sandbox.repo("elsewhere/secret");
    secret.write("a.env", &format!("A={key}\n"));
    secret.commit("key");
    std::os::unix::fs::symlink(sandbox.path("elsewhere"), sandbox.path("org/link")).unwrap();
    (sandbox, key)
}

#[cfg(unix)]
#[test]
fn sweep_does_not_follow_directory_symlinks_by_default() {
    let (sandbox, key) = linked_world();
    let root = sandbox.dir.path();
    let api = FakeApi::start();
    api.add_key(&key, 1, &["send"]);
    let out = sweep(
        root,
        &api,
        &["sweep", "org", "--report-dir", "out"],
        None,
        &[&key],
    );
    assert_eq!(out.code, 0, "{out:?}");
    assert!(
        out.stderr.contains("found 1 git repository"),
        "{}",
        out.stderr
    );
    let report = json(&root.join("out/report.json"));
    assert_eq!(report["summary"]["repos"], 1, "{report}");
    assert!(key_record(&report, &key).is_none(), "{report}");
    assert_eq!(api.count_method("GET"), 0);
}

#[cfg(unix)]
#[test]
fn sweep_follow_never_leaves_the_swept_path() {
    let (sandbox, key) = linked_world();
    let root = sandbox.dir.path();
    // A link inside `org` to a folder inside `org` is followed with `-L`.
    let inner = sandbox.repo("org/deep/inner");
    inner.write("b.txt", "nothing\n");
    inner.commit("init");
    std::os::unix::fs::symlink(sandbox.path("org/deep"), sandbox.path("org/shortcut")).unwrap();
    let api = FakeApi::start();
    api.add_key(&key, 1, &["send"]);
    let out = sweep(
        root,
        &api,
        &["sweep", "org", "--follow", "--report-dir", "out"],
        None,
        &[&key],
    );
    assert_eq!(out.code, 0, "{out:?}");
    let report = json(&root.join("out/report.json"));
    let repos: Vec<&str> = report["repos"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["repo"].as_str().unwrap())
        .collect();
    assert_eq!(repos, ["org/app", "org/deep/inner"], "{report}");
    assert!(key_record(&report, &key).is_none(), "{report}");

    // `-L` is the short form, as in `scan`.
    let short = sweep(
        root,
        &api,
        &["sweep", "org", "-L", "--report-dir", "out2"],
        None,
        &[&key],
    );
    assert_eq!(short.code, 0, "{short:?}");
}
// ---------------------------------------------------------------- item 9

#[test]
fn a_sweep_run_again_rescans_repositories_whose_refs_moved() {
    let sandbox = Sandbox::new();
    let root = sandbox.dir.path();
    let old = fake_key("msk_", 901);
    let new = fake_key("msk_", 902);
    let repo = sandbox.repo("org/app");
    repo.write("a.env", &format!("A={old}\n"));
    repo.commit("old key");
    let untouched = sandbox.repo("org/other");
    untouched.write("README", "nothing\n");
    untouched.commit("init");
    let api = FakeApi::start();
    // `old` is dead (unknown to the API); `new` is live.
    api.add_key(&new, 1, &["send"]);
    let keys = [old.as_str(), new.as_str()];
    let args = ["sweep", "org", "--report-dir", "out"];
    let first = sweep(root, &api, &args, None, &keys);
    assert_eq!(first.code, 0, "{first:?}");

    repo.write("b.env", &format!("B={new}\n"));
    repo.commit("new key");
    let second = sweep(root, &api, &args, None, &keys);
    assert_eq!(second.code, 1, "{second:?}");
    assert!(
        second.stderr.contains("org/app: 2 findings"),
        "{}",
        second.stderr
    );
    // The repository whose refs did not move is not scanned again.
    assert!(
        second
            .stderr
            .contains("org/other: 0 findings (scanned in an earlier run"),
        "{}",
        second.stderr
    );
    let report = json(&root.join("out/report.json"));
    let rec = key_record(&report, &new).expect("the new key is found");
    assert_eq!(rec["status_after"]["state"], "live", "{rec}");
    let state = json(&root.join("out/sweep-state.json"));
    assert!(
        state["repos"]["org/app"]["tips"].is_string(),
        "{}",
        state["repos"]["org/app"]
    );

    // A tag moving counts too.
    repo.git(&["tag", "v1", "HEAD~1"]);
    let third = sweep(root, &api, &args, None, &keys);
    assert_eq!(third.code, 1, "{third:?}");
    assert!(
        third.stderr.contains("org/app: 2 findings"),
        "{}",
        third.stderr
    );
    assert!(
        !third.stderr.contains("org/app: 2 findings (scanned"),
        "{}",
        third.stderr
    );
}

#[test]
fn a_state_file_without_tips_still_loads_and_is_rescanned() {
    let sandbox = Sandbox::new();
    let root = sandbox.dir.path();
    let key = fake_key("msk_", 911);
    let repo = sandbox.repo("org/app");
    repo.write("a.env", &format!("A={key}\n"));
    repo.commit("key");
    let api = FakeApi::start();
    let args = ["sweep", "org", "--report-dir", "out"];
    let first = sweep(root, &api, &args, None, &[&key]);
    assert_eq!(first.code, 0, "{first:?}");
    // As the previous release wrote it: no `tips`, no `shallow`.
    let path = root.join("out/sweep-state.json");
    let mut state = json(&path);
    for repo in state["repos"].as_object_mut().unwrap().values_mut() {
        let obj = repo.as_object_mut().unwrap();
        obj.remove("tips");
    }
    std::fs::write(&path, state.to_string()).unwrap();
    let again = sweep(root, &api, &args, None, &[&key]);
    assert_eq!(again.code, 0, "{again:?}");
    assert!(again.stderr.contains("resuming"), "{}", again.stderr);
    assert!(
        again.stderr.contains("org/app: 1 findings"),
        "{}",
        again.stderr
    );
    assert!(
        !again.stderr.contains("scanned in an earlier run"),
        "{}",
        again.stderr
    );
    assert!(
        again.stderr.contains("scanning it again"),
        "{}",
        again.stderr
    );
}
// ---------------------------------------------------------------- item 12

#[test]
fn a_shallow_clone_is_an_incomplete_repository_in_every_report() {
    let sandbox = Sandbox::new();
    let root = sandbox.dir.path();
    let key = fake_key("msk_", 1201);
    let upstream = sandbox.repo("upstream");
    upstream.write("a.env", &format!("A={key}\n"));
    upstream.commit("key");
    upstream.write("a.env", "A=\n");
    upstream.commit("drop the key");
    std::fs::create_dir(sandbox.path("org")).unwrap();
    let url = format!("file://{}", sandbox.path("upstream").display());
    sandbox.git_in(
        &sandbox.path("org"),
        &["clone", "-q", "--depth", "1", &url, "shallow"],
    );
    let boundary = upstream.rev("HEAD");
    let api = FakeApi::start();
    let out = sweep(
        root,
        &api,
        &["sweep", "org", "--report-dir", "out"],
        None,
        &[&key],
    );
    assert_eq!(out.code, 2, "{out:?}");
    let reason = format!("shallow clone: history before {}", &boundary[..12]);
    assert!(out.stderr.contains(&reason), "{}", out.stderr);
    assert!(out.stderr.contains("INCOMPLETE"), "{}", out.stderr);

    let dir = root.join("out");
    let report = json(&dir.join("report.json"));
    assert_eq!(report["summary"]["repos_incomplete"], 1, "{report}");
    assert_eq!(report["summary"]["incomplete"], true, "{report}");
    let repo = &report["repos"][0];
    assert_eq!(repo["incomplete"], true, "{repo}");
    assert!(repo["problems"].to_string().contains(&reason), "{repo}");
    let state = json(&dir.join("sweep-state.json"));
    let rec = &state["repos"]["org/shallow"];
    assert_eq!(rec["incomplete"], true, "{rec}");
    assert!(rec["problems"].to_string().contains(&reason), "{rec}");
    let summary = std::fs::read_to_string(dir.join("summary.md")).unwrap();
    assert!(summary.contains("(1 incomplete)"), "{summary}");
    assert!(summary.contains(&reason), "{summary}");
    let html = std::fs::read_to_string(dir.join("report.html")).unwrap();
    assert!(html.contains(&reason), "{html}");

    // Run again: still incomplete (never skipped as done).
    let again = sweep(
        root,
        &api,
        &["sweep", "org", "--report-dir", "out"],
        None,
        &[&key],
    );
    assert_eq!(again.code, 2, "{again:?}");
}
