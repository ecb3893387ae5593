//! `misar-scan rotate` against the fake Misar API (SPEC §6): dry run,
//! rotation with the key itself and with the admin key, the sinks, failed
//! deliveries, the cut-over wait and its resume, a run killed between
//! creation and delivery, refusals, and redaction of the old and the new
//! key everywhere but the sink.

mod common;

use std::path::Path;

use common::{bin, fake_key, key_with_stem, FakeApi, Fault, Run, FAST};
use serde_json::Value;

const STATE: &str = "misar-scan-rotate-state.json";
const AUDIT: &str = "misar-scan-audit.jsonl";

/// `rotate --stdin` with `keys` in `dir`; then checks that no old, admin or
/// new key is in stdout, stderr, the audit log or the state file.
fn rotate(dir: &Path, api: &FakeApi, keys: &[&str], extra: &[&str], admin: Option<&str>) -> Run {
    let mut args = vec!["rotate", "--stdin"];
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
    let created: Vec<String> = api.created().into_iter().map(|e| e.key).collect();
    let mut secret: Vec<&str> = keys.to_vec();
    secret.extend(admin);
    secret.extend(created.iter().map(String::as_str));
    run.assert_redacted(&secret);
    for file in [AUDIT, STATE] {
        let text = std::fs::read_to_string(dir.join(file)).unwrap_or_default();
        common::assert_no_full_key(file, &text, &secret);
    }
    run
}

fn audit(dir: &Path) -> Vec<Value> {
    std::fs::read_to_string(dir.join(AUDIT))
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn actions(dir: &Path) -> Vec<String> {
    audit(dir)
        .iter()
        .map(|r| r["action"].as_str().unwrap().to_string())
        .collect()
}

fn state(dir: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join(STATE)).unwrap()).unwrap()
}

/// A sink that appends what it reads to `received.txt` and its environment's
/// `MISAR_*` delivery variables to `env.txt`.
const RECORD: &str = "cat >> received.txt; \
    printf '%s|%s|%s|%s|%s\\n' \"$MISAR_NEW_KEY_ID\" \"$MISAR_OLD_KEY_ID\" \"$MISAR_KEY_NAME\" \
    \"$MISAR_PRODUCT\" \"$MISAR_OLD_KEY_SHA256\" >> env.txt";

fn received(dir: &Path) -> String {
    std::fs::read_to_string(dir.join("received.txt")).unwrap_or_default()
}

#[test]
fn dry_run_verifies_and_plans_but_sends_no_post_or_delete() {
    let api = FakeApi::start();
    let key = fake_key("msk_", 1);
    let id = api.add_key(&key, 1, &["send", "keys:manage"]);
    api.set_key_info(&id, "billing worker", None, "2026-01-01T00:00:00Z");
    let dir = tempfile::tempdir().unwrap();
    let run = rotate(dir.path(), &api, &[&key], &["--exec", RECORD], None);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stdout.contains(
            "plan: create a replacement \"billing worker\" [send, keys:manage], deliver it to --exec"
        ) && run
            .stdout
            .contains(&format!("then revoke id `{id}` with the key itself")),
        "{}",
        run.stdout
    );
    assert!(run.stderr.contains("dry run"), "{}", run.stderr);
    assert_eq!(api.count_method("POST"), 0);
    assert_eq!(api.count_method("DELETE"), 0);
    assert!(!api.is_revoked(&key));
    assert!(received(dir.path()).is_empty());
    assert!(!dir.path().join(STATE).exists(), "a dry run keeps no state");
    assert_eq!(actions(dir.path()), ["verify", "plan"]);
}

#[test]
fn a_live_send_only_key_is_rotated_with_the_admin_key() {
    let api = FakeApi::start();
    let key = fake_key("msk_", 2);
    let admin = fake_key("msk_", 3);
    let old_id = api.add_key(&key, 1, &["send", "contacts:read"]);
    api.set_key_info(
        &old_id,
        "newsletter",
        Some("2026-11-01T00:00:00Z"),
        "2026-01-01T00:00:00Z",
    );
    api.add_key(&admin, 1, &["keys:manage"]);
    let dir = tempfile::tempdir().unwrap();
    let run = rotate(
        dir.path(),
        &api,
        &[&key],
        &["--exec", RECORD, "--yes", "-f", "json"],
        Some(&admin),
    );
    assert_eq!(run.code, 0, "{run:?}");
    let created = api.created();
    assert_eq!(created.len(), 1, "{created:?}");
    let new = &created[0];
    assert_eq!(new.name, "newsletter");
    assert_eq!(new.scopes, ["send", "contacts:read"]);
    assert_eq!(new.account, 1);
    assert!(!new.revoked);
    assert_eq!(received(dir.path()), format!("{}\n", new.key));
    let env = std::fs::read_to_string(dir.path().join("env.txt")).unwrap();
    assert_eq!(
        env,
        format!(
            "{}|{old_id}|newsletter|Misar Mail|{}\n",
            new.id,
            common::sha256(&key)
        )
    );
    assert!(api.is_revoked(&key) && !api.is_revoked(&admin));
    assert_eq!(api.count("POST", &admin), 1);
    assert_eq!(api.count("DELETE", &admin), 1);
    // verify, then re-verify after the DELETE: 401.
    assert_eq!(api.count("GET", &key), 2);
    let out = run.json();
    assert_eq!(out[0]["status"], "rotated");
    assert_eq!(out[0]["new_key_id"], new.id.as_str());
    assert_eq!(out[0]["live_left"], false);
    assert_eq!(out[0]["plan"]["credential"]["kind"], "admin_key");
    assert_eq!(
        actions(dir.path()),
        ["verify", "create", "deliver", "delete", "reverify"]
    );
    let s = state(dir.path());
    let rec = &s["keys"][common::sha256(&key)];
    assert_eq!(rec["phase"], "done");
    assert_eq!(rec["new_id"], new.id.as_str());
}

#[test]
fn a_live_keys_manage_key_rotates_itself_and_a_200_creation_is_accepted() {
    let api = FakeApi::start();
    api.set_create_status(200);
    let key = fake_key("mdk_", 4);
    let old_id = api.add_key(&key, 7, &["keys:manage", "analytics:read"]);
    let other = fake_key("mdk_", 5);
    api.add_key(&other, 7, &["send"]);
    let dir = tempfile::tempdir().unwrap();
    let run = rotate(
        dir.path(),
        &api,
        &[&key],
        &["--exec", RECORD, "--yes"],
        None,
    );
    assert_eq!(run.code, 0, "{run:?}");
    let created = api.created();
    assert_eq!(created.len(), 1);
    assert_eq!(created[0].scopes, ["keys:manage", "analytics:read"]);
    assert_eq!(created[0].name, format!("key {}", &old_id[4..]));
    assert!(created[0].key.starts_with("mdk_"));
    assert_eq!(received(dir.path()), format!("{}\n", created[0].key));
    assert_eq!(api.count("POST", &key), 1);
    assert_eq!(api.count("DELETE", &key), 1);
    assert!(api.is_revoked(&key) && !api.is_revoked(&other));
    assert!(
        run.stdout.contains("revoked (confirmed 401)"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("1 rotated"), "{}", run.stdout);
}

#[test]
fn a_key_that_is_not_live_is_left_alone() {
    let api = FakeApi::start();
    let key = fake_key("msk_", 6);
    api.add_key(&key, 1, &["keys:manage"]);
    let dead = fake_key("msk_", 7); // never registered: 401
    let dir = tempfile::tempdir().unwrap();
    let run = rotate(
        dir.path(),
        &api,
        &[&dead],
        &["--exec", RECORD, "--yes"],
        None,
    );
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stdout.contains("plan: skip: not live"),
        "{}",
        run.stdout
    );
    assert_eq!(api.count_method("POST"), 0);
    assert_eq!(api.count_method("DELETE"), 0);
    assert!(received(dir.path()).is_empty());
}

#[test]
fn an_unknown_key_is_left_alone() {
    for fault in [Fault::ServerError, Fault::HtmlOk] {
        let api = FakeApi::start();
        let key = fake_key("ask_", 8);
        api.add_key(&key, 1, &["keys:manage"]);
        api.fault_always(&key, fault.clone());
        let dir = tempfile::tempdir().unwrap();
        let run = rotate(
            dir.path(),
            &api,
            &[&key],
            &["--exec", RECORD, "--yes"],
            None,
        );
        assert_eq!(run.code, 2, "{fault:?}: {run:?}");
        assert!(run.stdout.contains("unknown"), "{}", run.stdout);
        assert_eq!(api.count_method("POST"), 0, "{fault:?}");
        assert_eq!(api.count_method("DELETE"), 0, "{fault:?}");
        assert!(!api.is_revoked(&key));
    }
}

#[test]
fn an_ambiguous_entry_is_refused_without_a_post() {
    let api = FakeApi::start();
    let key = key_with_stem("msk_Qx7v", 9);
    let twin = key_with_stem("msk_Qx7v", 10);
    let admin = fake_key("msk_", 11);
    api.add_key(&key, 1, &["send"]);
    api.add_key(&twin, 1, &["send"]);
    api.add_key(&admin, 1, &["keys:manage"]);
    let dir = tempfile::tempdir().unwrap();
    let run = rotate(
        dir.path(),
        &api,
        &[&key],
        &["--exec", RECORD, "--yes"],
        Some(&admin),
    );
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stdout.contains("ambiguous"), "{}", run.stdout);
    assert_eq!(api.count_method("POST"), 0);
    assert_eq!(api.count_method("DELETE"), 0);
}

#[test]
fn a_failed_delivery_deletes_the_replacement_and_leaves_the_old_key_live() {
    let api = FakeApi::start();
    let key = fake_key("msk_", 12);
    api.add_key(&key, 1, &["keys:manage", "send"]);
    let dir = tempfile::tempdir().unwrap();
    let run = rotate(
        dir.path(),
        &api,
        &[&key],
        &[
            "--exec",
            "cat > /dev/null; echo 'vault: permission denied' >&2; exit 3",
            "--yes",
        ],
        None,
    );
    assert_eq!(run.code, 2, "{run:?}");
    let created = api.created();
    assert_eq!(created.len(), 1);
    assert!(created[0].revoked, "the undelivered replacement is deleted");
    assert!(!api.is_revoked(&key), "the old key is left live");
    assert_eq!(api.count("DELETE", &key), 1);
    assert!(
        run.stdout.contains("delivery failed") && run.stdout.contains("left live"),
        "{}",
        run.stdout
    );
    assert!(run.stderr.contains("permission denied"), "{}", run.stderr);
    assert!(actions(dir.path()).contains(&"delete_replacement".to_string()));
    // Nothing of this key is left to resume.
    assert!(state(dir.path())["keys"].as_object().unwrap().is_empty());
}

#[cfg(unix)]
#[test]
fn an_env_file_gets_one_line_rewritten_and_mode_0600() {
    use std::os::unix::fs::PermissionsExt;
    let api = FakeApi::start();
    let key = fake_key("msk_", 13);
    api.add_key(&key, 1, &["keys:manage"]);
    let dir = tempfile::tempdir().unwrap();
    let env = dir.path().join(".env");
    std::fs::write(
        &env,
        format!("# app\nDATABASE_URL=postgres://x\nexport MISAR_API_KEY={key}\nDEBUG=1\n"),
    )
    .unwrap();
    std::fs::set_permissions(&env, std::fs::Permissions::from_mode(0o644)).unwrap();
    let run = rotate(
        dir.path(),
        &api,
        &[&key],
        &["--env-file", ".env", "--env-var", "MISAR_API_KEY", "--yes"],
        None,
    );
    assert_eq!(run.code, 0, "{run:?}");
    let new = &api.created()[0];
    assert_eq!(
        std::fs::read_to_string(&env).unwrap(),
        format!(
            "# app\nDATABASE_URL=postgres://x\nexport MISAR_API_KEY={}\nDEBUG=1\n",
            new.key
        )
    );
    let mode = std::fs::metadata(&env).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    assert!(api.is_revoked(&key));
    // No temporary file is left beside it.
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n != AUDIT && n != STATE)
        .collect();
    assert_eq!(names, [".env"]);
}

#[test]
fn wait_for_use_times_out_then_a_rerun_resumes_without_a_second_post() {
    let api = FakeApi::start();
    let key = fake_key("msk_", 14);
    api.add_key(&key, 1, &["keys:manage", "send"]);
    let dir = tempfile::tempdir().unwrap();
    let args = [
        "--exec",
        RECORD,
        "--yes",
        "--wait-for-use",
        "1s",
        "--wait-poll-ms",
        "200",
    ];
    let run = rotate(dir.path(), &api, &[&key], &args, None);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        run.stdout.contains("not used within") && run.stdout.contains("left live"),
        "{}",
        run.stdout
    );
    assert!(!api.is_revoked(&key));
    assert_eq!(api.count_method("POST"), 1);
    assert_eq!(api.count_method("DELETE"), 0);
    let new = api.created()[0].clone();
    assert_eq!(
        state(dir.path())["keys"][common::sha256(&key)]["phase"],
        "delivered"
    );

    // Still not used: the rerun waits again, creates nothing.
    let again = rotate(dir.path(), &api, &[&key], &args, None);
    assert_eq!(again.code, 2, "{again:?}");
    assert_eq!(api.count_method("POST"), 1);

    // The deployment picks the new key up.
    api.mark_used(&new.id, "2026-11-30T12:00:00Z");
    let done = rotate(dir.path(), &api, &[&key], &args, None);
    assert_eq!(done.code, 0, "{done:?}");
    assert!(done.stdout.contains("already delivered"), "{}", done.stdout);
    assert_eq!(api.count_method("POST"), 1, "no second replacement");
    assert!(api.is_revoked(&key));
    assert!(!api.is_revoked(&new.key));
    assert_eq!(
        received(dir.path()),
        format!("{}\n", new.key),
        "delivered once"
    );
}

#[cfg(unix)]
#[test]
fn a_run_killed_between_creation_and_delivery_is_cleaned_up_by_the_rerun() {
    let api = FakeApi::start();
    let key = fake_key("msk_", 15);
    let admin = fake_key("msk_", 16);
    api.add_key(&key, 1, &["send"]);
    api.add_key(&admin, 1, &["keys:manage"]);
    let dir = tempfile::tempdir().unwrap();
    // The first delivery kills misar-scan (its parent) before it can record
    // the delivery; the second one delivers.
    let sink =
        format!("if [ -e killed-once ]; then {RECORD}; else : > killed-once; kill -9 $PPID; fi");
    let args = ["--exec", sink.as_str(), "--yes"];
    let killed = rotate(dir.path(), &api, &[&key], &args, Some(&admin));
    assert_eq!(killed.code, -1, "killed by a signal: {killed:?}");
    let first = api.created();
    assert_eq!(first.len(), 1);
    assert!(!first[0].revoked, "killed before it could clean up");
    assert_eq!(
        state(dir.path())["keys"][common::sha256(&key)]["phase"],
        "created"
    );

    let run = rotate(dir.path(), &api, &[&key], &args, Some(&admin));
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stdout.contains(&format!(
            "earlier run: an earlier run left replacement id `{}` undelivered: deleted",
            first[0].id
        )),
        "{}",
        run.stdout
    );
    let created = api.created();
    assert_eq!(created.len(), 2);
    assert!(created[0].revoked, "the undelivered replacement is gone");
    assert!(
        !created[1].revoked,
        "exactly one delivered replacement is alive"
    );
    assert_eq!(received(dir.path()), format!("{}\n", created[1].key));
    assert!(api.is_revoked(&key));
    // Its deletion came before anything else of the rerun.
    let recorded = api.requests();
    let first_delete = recorded.iter().position(|r| r.method == "DELETE").unwrap();
    let second_post = recorded
        .iter()
        .enumerate()
        .filter(|(_, r)| r.method == "POST")
        .nth(1)
        .unwrap()
        .0;
    assert_eq!(
        recorded[first_delete].path,
        format!("/api/v1/keys/{}", first[0].id)
    );
    assert!(first_delete < second_post);
}

#[test]
fn a_post_without_a_clear_answer_delivers_nothing() {
    let api = FakeApi::start();
    let key = fake_key("msk_", 17);
    api.add_key(&key, 1, &["keys:manage"]);
    api.fault_once_on(&key, "POST", Fault::ServerError);
    let dir = tempfile::tempdir().unwrap();
    let run = rotate(
        dir.path(),
        &api,
        &[&key],
        &["--exec", RECORD, "--yes"],
        None,
    );
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        run.stdout.contains("no clear answer")
            && run.stdout.contains("no replacement had been created"),
        "{}",
        run.stdout
    );
    assert_eq!(api.count_method("POST"), 1, "never retried");
    assert!(!api.is_revoked(&key));
    assert!(received(dir.path()).is_empty());
}

#[test]
fn a_sink_is_required_and_only_one() {
    let dir = tempfile::tempdir().unwrap();
    let none = bin(dir.path()).args(["rotate", "--stdin"]).run();
    assert_eq!(none.code, 2, "{none:?}");
    let both = bin(dir.path())
        .args([
            "rotate",
            "--stdin",
            "--exec",
            "true",
            "--env-file",
            ".env",
            "--env-var",
            "K",
        ])
        .run();
    assert_eq!(both.code, 2, "{both:?}");
    let bad = bin(dir.path())
        .args([
            "rotate",
            "--stdin",
            "--exec",
            "true",
            "--wait-for-use",
            "10",
        ])
        .run();
    assert_eq!(bad.code, 2, "{bad:?}");
    assert!(bad.stderr.contains("not a duration"), "{}", bad.stderr);
}

#[test]
fn a_creation_the_api_refuses_leaves_the_old_key_live_and_nothing_to_resume() {
    let api = FakeApi::start();
    let key = fake_key("msk_", 18);
    // A scope the API no longer accepts: `POST` answers 400 VALIDATION_ERROR.
    api.add_key(&key, 1, &["keys:manage", "legacy:all"]);
    let dir = tempfile::tempdir().unwrap();
    let run = rotate(
        dir.path(),
        &api,
        &[&key],
        &["--exec", RECORD, "--yes"],
        None,
    );
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        run.stdout.contains("the API refused to create it")
            && run.stdout.contains("VALIDATION_ERROR"),
        "{}",
        run.stdout
    );
    assert_eq!(api.count_method("POST"), 1);
    assert_eq!(api.count_method("DELETE"), 0);
    assert!(api.created().is_empty() && !api.is_revoked(&key));
    assert!(state(dir.path())["keys"].as_object().unwrap().is_empty());
}

#[test]
fn a_replacement_created_without_an_answer_is_found_and_deleted() {
    let api = FakeApi::start();
    let key = fake_key("msk_", 19);
    let id = api.add_key(&key, 1, &["keys:manage", "send"]);
    api.set_key_info(
        &id,
        "billing",
        Some("2026-11-01T00:00:00Z"),
        "2026-01-01T00:00:00Z",
    );
    // A key of the same name made by someone else before: never touched.
    let twin = fake_key("msk_", 20);
    let twin_id = api.add_key(&twin, 1, &["keys:manage", "send"]);
    api.set_key_info(&twin_id, "billing", None, "2026-02-01T00:00:00Z");
    // The POST creates the key, but the answer is lost.
    api.fault_once_on(&key, "POST", Fault::DoneThenDrop);
    let dir = tempfile::tempdir().unwrap();
    let run = rotate(
        dir.path(),
        &api,
        &[&key],
        &["--exec", RECORD, "--yes"],
        None,
    );
    assert_eq!(run.code, 2, "{run:?}");
    let created = api.created();
    assert_eq!(created.len(), 1);
    assert!(created[0].revoked, "the unanswered replacement is deleted");
    assert!(
        run.stdout.contains(&format!(
            "deleted the undelivered replacement id `{}`",
            created[0].id
        )),
        "{}",
        run.stdout
    );
    assert!(!api.is_revoked(&key), "the old key is left live");
    assert!(
        !api.is_revoked(&twin),
        "a key that was there before is not touched"
    );
    assert_eq!(api.count_method("POST"), 1, "never retried");
    assert!(received(dir.path()).is_empty());
    assert!(state(dir.path())["keys"].as_object().unwrap().is_empty());
}
