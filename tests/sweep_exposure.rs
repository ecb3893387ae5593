//! The sweep's persistence check and exposure window (SPEC §6) against the
//! fake Misar API: keys created since a leaked `keys:manage` key's first
//! exposure are listed in `summary.md`, `report.html` and `report.json`;
//! each key's first exposure, revocation time, window, last use and "used
//! while exposed".

mod common;

use common::{bin, fake_key, FakeApi, Run, Sandbox, FAST};
use serde_json::Value;

fn sweep(sb: &Sandbox, api: &FakeApi, extra: &[&str], keys: &[&str]) -> Run {
    bin(sb.dir.path())
        .home(&sb.home())
        .api(&api.url())
        .args(["sweep", "org", "--report-dir", "out"])
        .args(FAST)
        .args(extra)
        .secrets(keys)
        .run()
}

fn read(sb: &Sandbox, file: &str) -> String {
    std::fs::read_to_string(sb.path(&format!("out/{file}"))).unwrap()
}

#[test]
fn keys_minted_since_a_keys_manage_key_leaked_are_listed_with_its_exposure() {
    let api = FakeApi::start();
    let leaked = fake_key("msk_", 1201);
    let id = api.add_key(&leaked, 1, &["keys:manage", "send"]);
    api.set_key_info(
        &id,
        "ci deploy",
        Some("2024-02-01T00:00:00Z"),
        "2023-06-01T00:00:00Z",
    );
    let before = fake_key("msk_", 1202);
    let before_id = api.add_key(&before, 1, &["send"]);
    api.set_key_info(&before_id, "older", None, "2023-12-01T00:00:00Z");
    let minted = fake_key("msk_", 1203);
    let minted_id = api.add_key(&minted, 1, &["send", "contacts:read"]);
    api.set_key_info(&minted_id, "backdoor", None, "2024-01-15T00:00:00Z");
    // Another account's key, created later: not listed (not the same account).
    let other = fake_key("msk_", 1204);
    api.add_key(&other, 2, &["send"]);

    let sb = Sandbox::new();
    let repo = sb.repo("org/app");
    repo.write("deploy.env", &format!("MISAR_KEY={leaked}\n"));
    repo.commit("deploy config");
    let keys = [
        leaked.as_str(),
        before.as_str(),
        minted.as_str(),
        other.as_str(),
    ];

    let run = sweep(&sb, &api, &[], &keys);
    assert_eq!(run.code, 1, "{run:?}");
    let report: Value = serde_json::from_str(&read(&sb, "report.json")).unwrap();
    let key = &report["keys"][0];
    let listed: Vec<&str> = key["created_since_exposure"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(listed, [minted_id.as_str()], "{key:#}");
    assert_eq!(key["created_since_exposure"][0]["name"], "backdoor");
    let first = key["exposure"]["first_exposed"].as_str().unwrap();
    assert!(first.starts_with("2024-01-01T00:0"), "{first}");
    assert_eq!(key["exposure"]["last_used_at"], "2024-02-01T00:00:00Z");
    assert_eq!(key["exposure"]["used_while_exposed"], "yes");
    assert_eq!(key["exposure"]["revoked_at"], Value::Null);
    assert!(
        key["exposure"]["window"]
            .as_str()
            .unwrap()
            .starts_with("still open"),
        "{key:#}"
    );

    let summary = read(&sb, "summary.md");
    assert!(
        summary.contains(&format!("| first exposed | {first} |")),
        "{summary}"
    );
    assert!(
        summary.contains("| used while exposed | yes |"),
        "{summary}"
    );
    assert!(
        summary.contains("| last used | 2024-02-01T00:00:00Z |"),
        "{summary}"
    );
    assert!(
        summary.contains("Keys created since it was first exposed"),
        "{summary}"
    );
    assert!(
        summary.contains(&format!("id `{minted_id}` \"backdoor\"")),
        "{summary}"
    );
    assert!(!summary.contains(&format!("id `{before_id}`")), "{summary}");
    let html = read(&sb, "report.html");
    assert!(html.contains("Persistence check"), "{html}");
    assert!(
        html.contains(&format!("id <code>{minted_id}</code> backdoor")),
        "{html}"
    );
    for file in [
        "report.json",
        "summary.md",
        "report.html",
        "sweep-state.json",
    ] {
        common::assert_no_full_key(file, &read(&sb, file), &keys);
    }

    // Revoked: the window closes at the revocation.
    let run = sweep(&sb, &api, &["--revoke", "--yes"], &keys);
    assert_eq!(run.code, 0, "{run:?}");
    let report: Value = serde_json::from_str(&read(&sb, "report.json")).unwrap();
    let e = &report["keys"][0]["exposure"];
    assert!(e["revoked_at"].as_str().unwrap().ends_with('Z'), "{e:#}");
    assert!(e["window_seconds"].as_i64().unwrap() > 0, "{e:#}");
    let summary = read(&sb, "summary.md");
    assert!(
        summary.contains(&format!(
            "| revoked at | {} |",
            e["revoked_at"].as_str().unwrap()
        )),
        "{summary}"
    );
    assert!(
        !api.is_revoked(&minted),
        "listed, never revoked by the sweep"
    );
}

#[test]
fn without_the_entry_its_use_while_exposed_is_unknown() {
    let api = FakeApi::start();
    let leaked = fake_key("ask_", 1205);
    api.add_key(&leaked, 1, &["send"]); // lacks keys:manage: its entry is not listed
    let sb = Sandbox::new();
    let repo = sb.repo("org/app");
    repo.write("a.env", &format!("K={leaked}\n"));
    repo.commit("key");
    let run = sweep(&sb, &api, &[], &[&leaked]);
    assert_eq!(run.code, 1, "{run:?}");
    let report: Value = serde_json::from_str(&read(&sb, "report.json")).unwrap();
    let key = &report["keys"][0];
    assert_eq!(key["exposure"]["used_while_exposed"], "unknown");
    assert!(key.get("created_since_exposure").is_none(), "{key:#}");
    let summary = read(&sb, "summary.md");
    assert!(
        summary.contains("| used while exposed | unknown |"),
        "{summary}"
    );
    assert!(!summary.contains("Keys created since"), "{summary}");
}

#[test]
fn the_admin_list_gives_a_send_only_key_its_last_use() {
    let api = FakeApi::start();
    let leaked = fake_key("mdk_", 1206);
    let id = api.add_key(&leaked, 1, &["send"]);
    // Last used before it was ever committed: not used while exposed.
    api.set_key_info(
        &id,
        "mailer",
        Some("2023-06-01T00:00:00Z"),
        "2023-01-01T00:00:00Z",
    );
    let admin = fake_key("mdk_", 1207);
    api.add_key(&admin, 1, &["keys:manage"]);
    let sb = Sandbox::new();
    let repo = sb.repo("org/app");
    repo.write("a.env", &format!("K={leaked}\n"));
    repo.commit("key");
    let run = bin(sb.dir.path())
        .home(&sb.home())
        .api(&api.url())
        .env("MISAR_ADMIN_KEY", &admin)
        .args(["sweep", "org", "--report-dir", "out", "--revoke", "--yes"])
        .args(FAST)
        .secrets(&[&leaked, &admin])
        .run();
    assert_eq!(run.code, 0, "{run:?}");
    let report: Value = serde_json::from_str(&read(&sb, "report.json")).unwrap();
    let e = &report["keys"][0]["exposure"];
    assert_eq!(e["last_used_at"], "2023-06-01T00:00:00Z", "{e:#}");
    assert_eq!(e["used_while_exposed"], "no", "{e:#}");
    assert!(e["revoked_at"].is_string(), "{e:#}");
}
