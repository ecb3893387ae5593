//! `misar-scan revoke` against the fake Misar API (SPEC §2): dry run, self
//! vs admin credential, refusals, 404, re-verification, the stop on a
//! revocation that did not take, the audit log, and redaction everywhere.

mod support;

use std::path::Path;

use serde_json::Value;
use support::{key_from_seed, key_with_stem, misar, FakeApi, Fault, Run, FAST};

fn revoke(dir: &Path, api: &FakeApi, keys: &[&str], extra: &[&str], admin: Option<&str>) -> Run {
    let mut args = vec!["revoke", "--stdin"];
    args.extend_from_slice(FAST);
    args.extend_from_slice(extra);
    let input: String = keys.iter().map(|k| format!("{k}\n")).collect();
    let env: Vec<(&str, &str)> = admin.map(|a| ("MISAR_ADMIN_KEY", a)).into_iter().collect();
    let run = misar(dir, Some(&api.url()), &args, Some(&input), &env);
    let mut secret: Vec<&str> = keys.to_vec();
    secret.extend(admin);
    run.assert_redacted(&secret);
    let audit = audit_text(dir);
    support::assert_no_full_key("audit log", &audit, &secret);
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
    let key = key_from_seed("msk_", 1);
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
    let key = key_from_seed("mdk_", 2);
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
    assert_eq!(delete["secret_sha256"], support::fake_api::sha256_hex(&key));
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
    let key = key_from_seed("msk_", 3);
    let admin = key_from_seed("msk_", 4);
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
    let key = key_from_seed("ask_", 5);
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
    let admin = key_from_seed("msk_", 8);
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
    let key = key_from_seed("msk_", 9);
    let admin = key_from_seed("msk_", 10);
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
    let key = key_from_seed("msk_", 11);
    let admin = key_from_seed("msk_", 12);
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
    let admin = key_from_seed("msk_", 13);
    let bystander = key_from_seed("msk_", 14);
    let leaked = key_from_seed("msk_", 15);
    let next = key_from_seed("msk_", 16);
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
    let key = key_from_seed("msk_", 17);
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
    let flaky = key_from_seed("msk_", 18);
    let dead = key_from_seed("msk_", 19);
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
    let key = key_from_seed("ask_", 20);
    api.add_key(&key, 1, &["keys:manage"]);
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(".env"), format!("ASSISTERS_KEY={key}\n")).unwrap();
    let scan = misar(
        dir.path(),
        None,
        &["scan", ".", "-f", "json", "-o", "r.json"],
        None,
        &[],
    );
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
    let run = misar(dir.path(), Some(&api.url()), &args, None, &[]);
    run.assert_redacted(&[&key]);
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
    support::assert_no_full_key("audit log", &log, &[&key]);
}

#[test]
fn the_admin_key_is_read_from_the_environment_only() {
    let dir = tempfile::tempdir().unwrap();
    let run = misar(
        dir.path(),
        None,
        &["revoke", "--admin-key", "x", "--stdin"],
        Some(""),
        &[],
    );
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.contains("unexpected argument"), "{}", run.stderr);
}
