//! `sweep --rotate` against the fake Misar API (SPEC §6, issue 15 item 2):
//! the keys a sweep would revoke are replaced (same name and scopes),
//! delivered to the sink, then revoked; the same consent as `--revoke`.

mod common;

use common::{bin, fake_key, FakeApi, Run, Sandbox, FAST};
use serde_json::Value;

/// A sink that appends what it reads to `received.txt` (in the sweep's
/// working folder).
const RECORD: &str = "cat >> received.txt";

fn sweep(sb: &Sandbox, api: &FakeApi, extra: &[&str], admin: Option<&str>, keys: &[&str]) -> Run {
    let env: Vec<(&str, &str)> = admin.map(|a| ("MISAR_ADMIN_KEY", a)).into_iter().collect();
    let run = bin(sb.dir.path())
        .home(&sb.home())
        .api(&api.url())
        .args(["sweep", "org", "--report-dir", "out"])
        .args(FAST)
        .args(extra)
        .envs(&env)
        .run();
    let created: Vec<String> = api.created().into_iter().map(|e| e.key).collect();
    let mut all: Vec<&str> = keys.to_vec();
    all.extend(admin);
    all.extend(created.iter().map(String::as_str));
    run.assert_redacted(&all);
    for file in [
        "report.json",
        "summary.md",
        "report.html",
        "sweep-state.json",
        "audit.jsonl",
        "rotate-state.json",
    ] {
        let text = std::fs::read_to_string(sb.path(&format!("out/{file}"))).unwrap_or_default();
        common::assert_no_full_key(file, &text, &all);
    }
    run
}

fn world(keys: &[&str]) -> Sandbox {
    let sb = Sandbox::new();
    let repo = sb.repo("org/app");
    for (i, k) in keys.iter().enumerate() {
        repo.write(&format!("k{i}.env"), &format!("K={k}\n"));
    }
    repo.commit("keys");
    sb
}

fn received(sb: &Sandbox) -> Vec<String> {
    std::fs::read_to_string(sb.dir.path().join("received.txt"))
        .unwrap_or_default()
        .lines()
        .map(str::to_string)
        .collect()
}

#[test]
fn sweep_rotate_replaces_each_live_key_delivers_it_and_revokes_the_old_one() {
    let api = FakeApi::start();
    let send = fake_key("msk_", 1301);
    let send_id = api.add_key(&send, 1, &["send", "templates:read"]);
    api.set_key_info(&send_id, "newsletter", None, "2023-01-01T00:00:00Z");
    let manage = fake_key("ask_", 1302);
    let manage_id = api.add_key(&manage, 1, &["keys:manage"]);
    api.set_key_info(&manage_id, "provisioner", None, "2023-01-01T00:00:00Z");
    let admin = fake_key("msk_", 1303);
    api.add_key(&admin, 1, &["keys:manage"]);
    let dead = fake_key("mdk_", 1304);
    let sb = world(&[&send, &manage, &dead]);
    let keys = [send.as_str(), manage.as_str(), dead.as_str()];
    let run = sweep(
        &sb,
        &api,
        &["--rotate", "--exec", RECORD, "--yes"],
        Some(&admin),
        &keys,
    );
    assert_eq!(run.code, 0, "{run:?}");

    let created = api.created();
    assert_eq!(created.len(), 2, "{created:?}");
    let by_name = |n: &str| created.iter().find(|e| e.name == n).unwrap().clone();
    let (new_send, new_manage) = (by_name("newsletter"), by_name("provisioner"));
    assert_eq!(new_send.scopes, ["send", "templates:read"]);
    assert_eq!(new_manage.scopes, ["keys:manage"]);
    assert!(!new_send.revoked && !new_manage.revoked);
    let mut got = received(&sb);
    got.sort();
    let mut want = vec![new_send.key.clone(), new_manage.key.clone()];
    want.sort();
    assert_eq!(got, want, "the sink received exactly the new keys");
    assert!(api.is_revoked(&send) && api.is_revoked(&manage) && !api.is_revoked(&admin));
    assert_eq!(api.count_method("POST"), 2);
    assert_eq!(api.count_method("DELETE"), 2);

    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(sb.path("out/report.json")).unwrap())
            .unwrap();
    let rec = report["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["secret_sha256"] == common::sha256(&send))
        .unwrap();
    assert_eq!(rec["action"], "revoked");
    assert_eq!(rec["replaced_by"], new_send.id.as_str());
    assert!(
        rec["detail"]
            .as_str()
            .unwrap()
            .starts_with("rotated: replacement id"),
        "{rec:#}"
    );
    let summary = std::fs::read_to_string(sb.path("out/summary.md")).unwrap();
    assert!(
        summary.contains(&format!("rotated: replacement id `{}`", new_send.id)),
        "{summary}"
    );
    let audit = std::fs::read_to_string(sb.path("out/audit.jsonl")).unwrap();
    for action in ["\"create\"", "\"deliver\"", "\"delete\"", "\"reverify\""] {
        assert!(audit.contains(action), "{action}: {audit}");
    }
}

#[test]
fn sweep_rotate_without_yes_and_without_a_terminal_creates_nothing() {
    let api = FakeApi::start();
    let key = fake_key("msk_", 1305);
    api.add_key(&key, 1, &["keys:manage"]);
    let sb = world(&[&key]);
    let run = sweep(&sb, &api, &["--rotate", "--exec", RECORD], None, &[&key]);
    assert_eq!(run.code, 2, "{run:?}");
    assert_eq!(api.count_method("POST"), 0);
    assert_eq!(api.count_method("DELETE"), 0);
    assert!(received(&sb).is_empty());
}

#[test]
fn sweep_rotate_with_a_failed_delivery_leaves_the_key_live_and_needs_a_person() {
    let api = FakeApi::start();
    let key = fake_key("msk_", 1306);
    api.add_key(&key, 1, &["keys:manage", "send"]);
    let sb = world(&[&key]);
    let run = sweep(
        &sb,
        &api,
        &["--rotate", "--exec", "cat >/dev/null; exit 1", "--yes"],
        None,
        &[&key],
    );
    assert_eq!(run.code, 2, "{run:?}");
    let created = api.created();
    assert_eq!(created.len(), 1);
    assert!(created[0].revoked, "the undelivered replacement is deleted");
    assert!(!api.is_revoked(&key));
    let summary = std::fs::read_to_string(sb.path("out/summary.md")).unwrap();
    assert!(summary.contains("delivery failed"), "{summary}");
}

#[test]
fn sweep_rotate_needs_a_sink_and_sinks_need_rotate() {
    let api = FakeApi::start();
    let sb = world(&[]);
    let run = sweep(&sb, &api, &["--rotate", "--yes"], None, &[]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.contains("needs a sink"), "{}", run.stderr);
    let run = sweep(&sb, &api, &["--revoke", "--exec", RECORD], None, &[]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.contains("go with `--rotate`"), "{}", run.stderr);
}
