//! `misar-scan revoke` against the fake Misar API (SPEC §2): dry run, self
//! vs admin credential, refusals, 404, re-verification, the stop on a
//! revocation that did not take, the audit log, and redaction everywhere.

mod common;

use std::path::Path;

use common::{bin, fake_key, key_with_stem, FakeApi, Fault, Run, FAST};
use serde_json::Value;

fn revoke(dir: &Path, api: &FakeApi, keys: &[&str], extra: &[&str], admin: Option<&str>) -> Run {
    let mut args = vec!["revoke", "--stdin"];
    args.extend_from_slice(FAST);
    args.extend_from_slice(extra);
    let input: String = keys.iter().map(|k| format!("{k}\n")).collect();
    let env: Vec<(&str, &str)> = admin.map(|a| ("MISAR_ADMIN_KEY", a)).into_iter().collect();
    let run = bin(dir)
        .api(&api.url())
        .args(&args)
        .stdin(&input)
        .envs(&env)
        .run();
    let mut secret: Vec<&str> = keys.to_vec();
    secret.extend(admin);
    run.assert_redacted(&secret);
    let audit = audit_text(dir);
    common::assert_no_full_key("audit log", &audit, &secret);
    run
}

fn audit_text(dir: &Path) -> String {
    std::fs::read_to_string(dir.join("misar-scan-audit.jsonl")).unwrap_or_default()
}

fn audit(dir: &Path) -> Vec<Value> {
    audit_text(dir)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn dry_run_prints_the_plan_and_sends_no_delete() {
    let api = FakeApi::start();
    let key = fake_key("msk_", 1);
    let id = api.add_key(&key, 1, &["send", "keys:manage"]);
    let dir = tempfile::tempdir().unwrap();
    let run = revoke(dir.path(), &api, &[&key], &[], None);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stdout.contains(&format!(
            "plan: revoke id `{id}` \"key 1\" (prefix `{}...`) with the key itself",
            &key[..8]
        )),
        "{}",
        run.stdout
    );
    assert!(run.stderr.contains("dry run"), "{}", run.stderr);
    assert_eq!(api.count_method("DELETE"), 0);
    assert!(!api.is_revoked(&key));
    let log = audit(dir.path());
    assert!(log
        .iter()
        .any(|r| r["action"] == "plan" && r["dry_run"] == true && r["key_id"] == id.as_str()));
}

#[test]
fn yes_without_a_terminal_revokes_with_the_key_itself_and_confirms_401() {
    let api = FakeApi::start();
    let key = fake_key("mdk_", 2);
    let id = api.add_key(&key, 1, &["keys:manage"]);
    let dir = tempfile::tempdir().unwrap();
    let run = revoke(dir.path(), &api, &[&key], &["--yes"], None);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stdout.contains("revoked (confirmed 401)"),
        "{}",
        run.stdout
    );
    assert!(api.is_revoked(&key));
    assert_eq!(api.count("DELETE", &key), 1);
    // verify, delete, re-verify: three requests, all with the key itself.
    assert_eq!(api.count("GET", &key), 2);
    let log = audit(dir.path());
    let actions: Vec<&str> = log.iter().map(|r| r["action"].as_str().unwrap()).collect();
    assert_eq!(actions, ["verify", "delete", "reverify"]);
    let delete = &log[1];
    assert_eq!(delete["key_id"], id.as_str());
    assert_eq!(delete["credential"], "leaked_key");
    assert_eq!(delete["credential_stem"], &key[..8]);
    assert_eq!(delete["key_stem"], &key[..8]);
    assert_eq!(delete["secret_sha256"], common::sha256(&key));
    assert_eq!(delete["outcome"], "revoked");
    assert!(log[2]["outcome"]
        .as_str()
        .unwrap()
        .contains("confirmed 401"));
    assert!(log[0]["time"].as_str().unwrap().ends_with('Z'));
}

#[test]
fn a_key_without_keys_manage_is_revoked_with_the_admin_key() {
    let api = FakeApi::start();
    let key = fake_key("msk_", 3);
    let admin = fake_key("msk_", 4);
    let id = api.add_key(&key, 1, &["send"]);
    api.add_key(&admin, 1, &["keys:manage"]);
    let dir = tempfile::tempdir().unwrap();
    let run = revoke(dir.path(), &api, &[&key], &["--yes"], Some(&admin));
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stdout
            .contains(&format!("with MISAR_ADMIN_KEY ({}…)", &admin[..8])),
        "{}",
        run.stdout
    );
    assert!(api.is_revoked(&key));
    assert!(!api.is_revoked(&admin));
    assert_eq!(api.count("DELETE", &admin), 1);
    assert_eq!(api.count("DELETE", &key), 0);
    let recorded = api.requests();
    assert!(recorded
        .iter()
        .any(|r| r.method == "DELETE" && r.path == format!("/api/v1/keys/{id}")));
    let log = audit(dir.path());
    let delete = log.iter().find(|r| r["action"] == "delete").unwrap();
    assert_eq!(delete["credential"], "admin_key");
    assert_eq!(delete["credential_stem"], &admin[..8]);
}

#[test]
fn without_an_admin_key_a_key_lacking_keys_manage_is_refused() {
    let api = FakeApi::start();
    let key = fake_key("ask_", 5);
    api.add_key(&key, 1, &["send"]);
    let dir = tempfile::tempdir().unwrap();
    let run = revoke(dir.path(), &api, &[&key], &["--yes"], None);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        run.stdout.contains("MISAR_ADMIN_KEY` is not set"),
        "{}",
        run.stdout
    );
    assert_eq!(api.count_method("DELETE"), 0);
}

#[test]
fn an_ambiguous_prefix_is_refused() {
    let api = FakeApi::start();
    let key = key_with_stem("msk_Qx7v", 6);
    let twin = key_with_stem("msk_Qx7v", 7);
    let admin = fake_key("msk_", 8);
    api.add_key(&key, 1, &["send"]);
    api.add_key(&twin, 1, &["send"]);
    api.add_key(&admin, 1, &["keys:manage"]);
    let dir = tempfile::tempdir().unwrap();
    let run = revoke(dir.path(), &api, &[&key], &["--yes"], Some(&admin));
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stdout.contains("ambiguous"), "{}", run.stdout);
    assert_eq!(api.count_method("DELETE"), 0);
    assert!(!api.is_revoked(&key) && !api.is_revoked(&twin));
}

#[test]
fn a_bare_product_prefix_is_never_revoked_with_the_admin_key() {
    let api = FakeApi::start();
    let key = fake_key("msk_", 9);
    let admin = fake_key("msk_", 10);
    let id = api.add_key(&key, 1, &["send"]);
    api.set_shown_prefix(&id, "msk_...");
    api.add_key(&admin, 1, &["keys:manage"]);
    let dir = tempfile::tempdir().unwrap();
    let run = revoke(dir.path(), &api, &[&key], &["--yes"], Some(&admin));
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stdout.contains("identifies nothing"), "{}", run.stdout);
    assert_eq!(api.count_method("DELETE"), 0);
}

#[test]
fn delete_404_means_already_revoked_and_is_confirmed() {
    let api = FakeApi::start();
    let key = fake_key("msk_", 11);
    let admin = fake_key("msk_", 12);
    api.add_key(&key, 1, &["send"]);
    api.add_key(&admin, 1, &["keys:manage"]);
    api.fault_once_on(&admin, "DELETE", Fault::AlreadyRevoked);
    let dir = tempfile::tempdir().unwrap();
    let run = revoke(dir.path(), &api, &[&key], &["--yes"], Some(&admin));
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stdout.contains("already revoked (404); confirmed 401"),
        "{}",
        run.stdout
    );
    assert_eq!(api.count_method("DELETE"), 1);
}

#[test]
fn a_revocation_that_leaves_the_key_live_is_reported_and_stops_the_run() {
    let api = FakeApi::start();
    let admin = fake_key("msk_", 13);
    let bystander = fake_key("msk_", 14);
    let leaked = fake_key("msk_", 15);
    let next = fake_key("msk_", 16);
    api.add_key(&admin, 1, &["keys:manage"]);
    // The list mislabels a bystander key with the leaked key's prefix; the
    // leaked key itself lives in another account.
    let bystander_id = api.add_key(&bystander, 1, &["send"]);
    api.set_shown_prefix(&bystander_id, &format!("{}...", &leaked[..8]));
    api.add_key(&leaked, 2, &["send"]);
    api.add_key(&next, 1, &["send"]);
    let dir = tempfile::tempdir().unwrap();
    let run = revoke(
        dir.path(),
        &api,
        &[&leaked, &next],
        &["--yes"],
        Some(&admin),
    );
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.contains("STILL LIVE"), "{}", run.stderr);
    assert!(
        run.stderr.contains("a different key was revoked"),
        "{}",
        run.stderr
    );
    assert!(run.stdout.contains("DISCREPANCY"), "{}", run.stdout);
    assert!(
        run.stdout.contains("not attempted: stopped"),
        "{}",
        run.stdout
    );
    assert!(api.is_revoked(&bystander));
    assert!(
        !api.is_revoked(&next),
        "revoking went on after a discrepancy"
    );
    assert_eq!(api.count_method("DELETE"), 1);
    let log = audit(dir.path());
    assert!(log.iter().any(|r| r["action"] == "discrepancy"), "{log:?}");
}

#[test]
fn a_failed_delete_is_reported_and_not_retried() {
    let api = FakeApi::start();
    let key = fake_key("msk_", 17);
    api.add_key(&key, 1, &["keys:manage"]);
    api.fault_once_on(&key, "DELETE", Fault::ServerError);
    let dir = tempfile::tempdir().unwrap();
    let run = revoke(dir.path(), &api, &[&key], &["--yes"], None);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stdout.contains("DELETE failed"), "{}", run.stdout);
    assert_eq!(api.count("DELETE", &key), 1);
    assert!(!api.is_revoked(&key));
}

#[test]
fn keys_not_verified_live_now_are_never_revoked() {
    let api = FakeApi::start();
    let flaky = fake_key("msk_", 18);
    let dead = fake_key("msk_", 19);
    api.add_key(&flaky, 1, &["keys:manage"]);
    api.fault_always(&flaky, Fault::ServerError);
    let dir = tempfile::tempdir().unwrap();
    let run = revoke(dir.path(), &api, &[&flaky, &dead], &["--yes"], None);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        run.stdout.contains("not verified live in this run"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("skip: not live"), "{}", run.stdout);
    assert_eq!(api.count_method("DELETE"), 0);
}

#[test]
fn revoke_from_a_redacted_report_with_json_output() {
    let api = FakeApi::start();
    let key = fake_key("ask_", 20);
    api.add_key(&key, 1, &["keys:manage"]);
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(".env"), format!("ASSISTERS_KEY={key}\n")).unwrap();
    let scan = bin(dir.path())
        .args(["scan", ".", "-f", "json", "-o", "r.json"])
        .run();
    assert_eq!(scan.code, 1, "{scan:?}");
    let mut args = vec![
        "revoke",
        "r.json",
        "--yes",
        "-f",
        "json",
        "--audit-log",
        "audit.jsonl",
    ];
    args.extend_from_slice(FAST);
    let run = bin(dir.path())
        .api(&api.url())
        .args(&args)
        .secrets(&[&key])
        .run();
    assert_eq!(run.code, 0, "{run:?}");
    let out: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(out[0]["plan"]["action"], "revoke");
    assert_eq!(out[0]["plan"]["credential"]["kind"], "leaked_key");
    assert!(out[0]["outcome"]
        .as_str()
        .unwrap()
        .contains("confirmed 401"));
    assert!(api.is_revoked(&key));
    let log = std::fs::read_to_string(dir.path().join("audit.jsonl")).unwrap();
    assert_eq!(log.lines().count(), 3);
    common::assert_no_full_key("audit log", &log, &[&key]);
}

#[test]
fn the_admin_key_is_read_from_the_environment_only() {
    let dir = tempfile::tempdir().unwrap();
    let run = bin(dir.path())
        .args(["revoke", "--admin-key", "x", "--stdin"])
        .stdin("")
        .run();
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.contains("unexpected argument"), "{}", run.stderr);
}

#[test]
fn ids_that_are_not_one_path_segment_are_refused_and_no_delete_goes_elsewhere() {
    // Issue 11 item 2: `.`, `..` and dots with a tab or newline inside made
    // the URL library send `DELETE /api/v1/keys` (the collection) or
    // `DELETE /api/v1/`.
    let api = FakeApi::start();
    let odd = [".", "..", ".\t.", "..\n", "\t", " .. ", "%2e%2e"];
    let keys: Vec<String> = (0..odd.len() as u64)
        .map(|i| fake_key("msk_", 300 + i))
        .collect();
    for (i, (key, id)) in keys.iter().zip(odd).enumerate() {
        // Each in its own account: its own list shows only its entry.
        let real = api.add_key(key, 10 + i as u32, &["send", "keys:manage"]);
        api.set_id(&real, id);
    }
    let dir = tempfile::tempdir().unwrap();
    let refs: Vec<&str> = keys.iter().map(String::as_str).collect();
    let run = revoke(dir.path(), &api, &refs, &["--yes"], None);
    assert_eq!(run.code, 2, "{run:?}");
    let deletes: Vec<String> = api
        .requests()
        .into_iter()
        .filter(|r| r.method == "DELETE")
        .map(|r| r.path)
        .collect();
    assert!(deletes.is_empty(), "DELETEs sent: {deletes:?}");
    assert!(keys.iter().all(|k| !api.is_revoked(k)));
    assert_eq!(
        run.stdout
            .matches("plan: refuse: the matching entry's id")
            .count(),
        odd.len(),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("id `.\\t.` holds control characters"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("id `..` is a dot segment"),
        "{}",
        run.stdout
    );
    let refusals = audit(dir.path())
        .iter()
        .filter(|r| r["action"] == "refuse")
        .count();
    assert_eq!(refusals, odd.len());
}

#[test]
fn keys_echoed_by_the_api_never_reach_the_output_or_the_audit_log() {
    // Issue 11 item 3: an API that echoes a key in a list entry's `id` or
    // `name`. `revoke()` checks stdout, stderr and the audit log for every
    // key given and the admin key.
    let api = FakeApi::start();
    let admin = fake_key("msk_", 400);
    // Holds keys:manage: listed with itself; its name echoes it.
    let own = fake_key("msk_", 401);
    let own_id = api.add_key(&own, 1, &["send", "keys:manage"]);
    api.set_key_info(&own_id, &format!("ci {own}"), None, "2026-01-01T00:00:00Z");
    // Listed with the admin key; its name echoes both keys.
    let by_admin = fake_key("msk_", 402);
    api.add_key(&admin, 2, &["keys:manage"]);
    let by_admin_id = api.add_key(&by_admin, 2, &["send"]);
    api.set_key_info(
        &by_admin_id,
        &format!("{by_admin} / {admin}"),
        None,
        "2026-01-01T00:00:00Z",
    );
    // Its id is the key itself: never a DELETE with it, never shown.
    let echoed_id = fake_key("msk_", 403);
    let real = api.add_key(&echoed_id, 3, &["keys:manage"]);
    api.set_id(&real, &echoed_id);
    // Ambiguous, and the twin's id is the key: the refusal lists ids.
    let ambiguous = key_with_stem("msk_Zq9W", 404);
    api.add_key(&ambiguous, 2, &["send"]);
    let twin = api.add_key(&key_with_stem("msk_Zq9W", 405), 2, &["send"]);
    api.set_id(&twin, &ambiguous);
    let keys = [
        own.as_str(),
        by_admin.as_str(),
        echoed_id.as_str(),
        ambiguous.as_str(),
    ];
    let dir = tempfile::tempdir().unwrap();
    let dry = revoke(dir.path(), &api, &keys, &["-f", "json"], Some(&admin));
    assert_eq!(dry.code, 2, "{dry:?}");
    let run = revoke(dir.path(), &api, &keys, &["--yes"], Some(&admin));
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        run.stdout.contains(&format!("\"ci {}…\"", &own[..8])),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains(&format!("\"{}… / {}…\"", &by_admin[..8], &admin[..8])),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("holds a full key"), "{}", run.stdout);
    assert!(run.stdout.contains("ambiguous"), "{}", run.stdout);
    assert!(api.is_revoked(&own) && api.is_revoked(&by_admin));
    assert!(!api.is_revoked(&echoed_id) && !api.is_revoked(&ambiguous));
    assert_eq!(api.count_method("DELETE"), 2);
}

#[test]
fn a_list_of_ten_thousand_keys_is_read_whole_and_the_right_entry_revoked() {
    // Issue 11 item 19: a list over 1 MiB (~9,000 keys) was cut and judged
    // "malformed body".
    let api = FakeApi::start();
    for seed in 0..10_000 {
        api.add_key(&fake_key("msk_", 10_000 + seed), 1, &["send"]);
    }
    // Listed last: a list cut after 1 MiB would lose it.
    let key = fake_key("msk_", 500);
    let id = api.add_key(&key, 1, &["send", "keys:manage"]);
    let dir = tempfile::tempdir().unwrap();
    // Not FAST's 1 s timeout: 1.4 MB from a debug-built fake on a busy machine.
    let run = bin(dir.path())
        .api(&api.url())
        .args(["revoke", "--stdin", "--yes", "--verify-timeout", "60"])
        .stdin(format!("{key}\n"))
        .secrets(&[&key])
        .run();
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stdout.contains(&format!("plan: revoke id `{id}`")),
        "{}",
        run.stdout
    );
    assert!(api.is_revoked(&key));
    let deletes: Vec<String> = api
        .requests()
        .into_iter()
        .filter(|r| r.method == "DELETE")
        .map(|r| r.path)
        .collect();
    assert_eq!(deletes, [format!("/api/v1/keys/{id}")]);
}
