//! `misar-scan keys audit` against the fake Misar API (SPEC §2, §3; issue 5
//! item 2): every check, report matching (full key, stem, ambiguous), a
//! clean account, admin-key errors, the API down, exactly one list call, and
//! no admin or leaked key in any output.

mod common;

use common::{bin, fake_key, key_with_stem, refused_url, FakeApi, Fault, Run, FAST, SCOPES};
use serde_json::Value;

/// Every age is judged as of this time.
const NOW: &str = "2026-12-01T00:00:00Z";

/// An account with its admin key (holds only `keys:manage`, used recently, a
/// few months old: nothing to flag).
struct Account {
    api: FakeApi,
    admin: String,
    admin_id: String,
    dir: tempfile::TempDir,
}

impl Account {
    fn new() -> Self {
        let api = FakeApi::start();
        let admin = fake_key("msk_", 1000);
        let admin_id = api.add_key(&admin, 1, &["keys:manage"]);
        api.set_key_info(
            &admin_id,
            "key admin",
            Some("2026-11-30T08:00:00Z"),
            "2026-06-01T00:00:00Z",
        );
        Self {
            api,
            admin,
            admin_id,
            dir: tempfile::tempdir().unwrap(),
        }
    }

    /// Add a key with these details; returns (key, id).
    fn key(
        &self,
        seed: u64,
        scopes: &[&str],
        last_used: Option<&str>,
        created: &str,
    ) -> (String, String) {
        let key = fake_key("msk_", seed);
        let id = self.add(&key, scopes, last_used, created);
        (key, id)
    }

    fn add(&self, key: &str, scopes: &[&str], last_used: Option<&str>, created: &str) -> String {
        let id = self.api.add_key(key, 1, scopes);
        self.api
            .set_key_info(&id, &format!("{id} name"), last_used, created);
        id
    }

    /// Run `keys audit --now NOW` with `extra` flags; `secrets` (and the
    /// admin key) must not appear in stdout or stderr.
    fn audit(&self, extra: &[&str], secrets: &[&str]) -> Run {
        self.audit_with(&self.api.url(), Some(&self.admin), extra, secrets)
    }

    fn audit_with(&self, url: &str, admin: Option<&str>, extra: &[&str], secrets: &[&str]) -> Run {
        let mut args = vec!["keys", "audit", "--now", NOW];
        args.extend_from_slice(FAST);
        args.extend_from_slice(extra);
        let env: Vec<(&str, &str)> = admin.map(|a| ("MISAR_ADMIN_KEY", a)).into_iter().collect();
        let run = bin(self.dir.path()).api(url).args(&args).envs(&env).run();
        let mut all = secrets.to_vec();
        all.push(&self.admin);
        all.extend(admin);
        run.assert_redacted(&all);
        run
    }

    fn json(&self, extra: &[&str], secrets: &[&str]) -> (Run, Value) {
        let mut args = vec!["-f", "json"];
        args.extend_from_slice(extra);
        let run = self.audit(&args, secrets);
        let doc = serde_json::from_str(&run.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {run:?}"));
        (run, doc)
    }

    /// The only request was one `GET /api/v1/keys` with the admin key.
    fn assert_one_list_call(&self) {
        let reqs = self.api.requests();
        assert_eq!(reqs.len(), 1, "{reqs:#?}");
        assert_eq!(reqs[0].method, "GET");
        assert_eq!(reqs[0].path, "/api/v1/keys");
        assert_eq!(
            reqs[0].key_sha256.as_deref(),
            Some(common::sha256(&self.admin).as_str())
        );
    }
}

/// The key object with `id` in a JSON audit.
fn key<'a>(doc: &'a Value, id: &str) -> &'a Value {
    doc["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["id"] == id)
        .unwrap_or_else(|| panic!("no key {id} in {doc:#}"))
}

/// The check ids flagged on key `id`, most severe first.
fn checks(doc: &Value, id: &str) -> Vec<String> {
    key(doc, id)["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["check"].as_str().unwrap().to_string())
        .collect()
}

fn finding<'a>(doc: &'a Value, id: &str, check: &str) -> &'a Value {
    key(doc, id)["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["check"] == check)
        .unwrap_or_else(|| panic!("no {check} on {id}: {doc:#}"))
}

#[test]
fn clean_account_exits_0_after_one_list_call() {
    let acct = Account::new();
    let (key, id) = acct.key(
        1,
        &["send", "analytics:read"],
        Some("2026-11-20T00:00:00Z"),
        "2026-03-01T00:00:00Z",
    );
    let run = acct.audit(&[], &[&key]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stdout
            .contains(&format!("key `{id}` \"{id} name\"  {}…", &key[..8])),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("  scopes     send, analytics:read\n"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("  last used  2026-11-20T00:00:00Z (11 days ago)\n"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("  ok\n"), "{}", run.stdout);
    // The admin key holds keys:manage, as it must to list: not flagged.
    assert!(
        run.stdout
            .contains("(MISAR_ADMIN_KEY, used for this audit)"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.ends_with("\n2 key(s), none flagged\n"),
        "{}",
        run.stdout
    );
    acct.assert_one_list_call();
}

#[test]
fn keys_holding_keys_manage_or_every_scope_are_flagged() {
    let acct = Account::new();
    let fresh = (Some("2026-11-30T00:00:00Z"), "2026-10-01T00:00:00Z");
    let (k1, manage) = acct.key(1, &["send", "keys:manage"], fresh.0, fresh.1);
    let (k2, every) = acct.key(2, SCOPES, fresh.0, fresh.1);
    let almost: Vec<&str> = SCOPES
        .iter()
        .copied()
        .filter(|s| *s != "keys:manage")
        .collect();
    let (k3, narrow) = acct.key(3, &almost, fresh.0, fresh.1);
    let (run, doc) = acct.json(&[], &[&k1, &k2, &k3]);
    assert_eq!(run.code, 1, "{run:?}");
    assert_eq!(checks(&doc, &manage), ["keys-manage-scope"]);
    assert_eq!(checks(&doc, &every), ["keys-manage-scope", "all-scopes"]);
    assert_eq!(checks(&doc, &narrow), Vec::<String>::new());
    assert_eq!(checks(&doc, &acct.admin_id), Vec::<String>::new());
    let f = finding(&doc, &manage, "keys-manage-scope");
    assert_eq!(f["severity"], "high");
    assert!(f["message"]
        .as_str()
        .unwrap()
        .contains("can create keys and revoke"));
    assert_eq!(finding(&doc, &every, "all-scopes")["severity"], "medium");
    assert_eq!(doc["summary"]["by_check"]["keys-manage-scope"], 2);
    assert_eq!(doc["summary"]["by_check"]["all-scopes"], 1);
    assert_eq!(doc["summary"]["flagged_keys"], 2);
    assert_eq!(doc["admin_key"]["id"], acct.admin_id.as_str());
    assert_eq!(doc["admin_key"]["stem"], format!("{}…", &acct.admin[..8]));
    acct.assert_one_list_call();
}

#[test]
fn unused_never_used_and_old_keys_are_flagged_and_a_new_key_is_not() {
    let acct = Account::new();
    let (k1, unused) = acct.key(
        1,
        &["send"],
        Some("2026-08-01T00:00:00Z"),
        "2026-02-01T00:00:00Z",
    );
    let (k2, never) = acct.key(2, &["send"], None, "2026-11-01T00:00:00Z");
    let (k3, new) = acct.key(3, &["send"], None, "2026-11-28T09:30:00+02:00");
    let (k4, old) = acct.key(
        4,
        &["send"],
        Some("2026-11-29T00:00:00Z"),
        "2025-06-01T00:00:00Z",
    );
    let secrets = [k1.as_str(), &k2, &k3, &k4];
    let (run, doc) = acct.json(&[], &secrets);
    assert_eq!(run.code, 1, "{run:?}");
    assert_eq!(checks(&doc, &unused), ["unused"]);
    assert_eq!(finding(&doc, &unused, "unused")["days"], 122);
    assert_eq!(checks(&doc, &never), ["never-used"]);
    assert_eq!(finding(&doc, &never, "never-used")["days"], 30);
    assert_eq!(checks(&doc, &new), Vec::<String>::new());
    assert_eq!(key(&doc, &new)["last_used_at"], Value::Null);
    assert_eq!(checks(&doc, &old), ["old"]);
    assert_eq!(finding(&doc, &old, "old")["days"], 548);
    assert_eq!(doc["thresholds"]["unused_days"], 90);
    assert_eq!(doc["thresholds"]["never_used_grace_days"], 7);
    assert_eq!(doc["thresholds"]["max_age_days"], 365);

    // Thresholds are flags.
    let (run, doc) = acct.json(
        &[
            "--unused-days",
            "200",
            "--never-used-grace-days",
            "1",
            "--max-age-days",
            "600",
        ],
        &secrets,
    );
    assert_eq!(run.code, 1, "{run:?}");
    assert_eq!(checks(&doc, &unused), Vec::<String>::new());
    assert_eq!(checks(&doc, &new), ["never-used"]);
    assert_eq!(checks(&doc, &old), Vec::<String>::new());

    // Human output: one block per key, the reasons, a summary line.
    let run = acct.audit(&[], &secrets);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stdout.contains("  low       unused             not used for 122 days (last used 2026-08-01T00:00:00Z; the limit is 90 days)"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("  last used  never\n"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .ends_with("\n5 key(s), 3 flagged: 1 unused, 1 never-used, 1 old\n"),
        "{}",
        run.stdout
    );
}

/// Write `files` into the account's directory, scan them to `report.json`
/// (with `--no-redact` when asked), then delete the files named in `remove`.
fn scan_report(acct: &Account, files: &[(&str, &str)], no_redact: bool, remove: &[&str]) {
    let dir = acct.dir.path();
    for (name, key) in files {
        std::fs::write(dir.join(name), format!("MISAR_KEY=\"{key}\"\n")).unwrap();
    }
    let mut args = vec!["scan", "-f", "json", "-o", "report.json", "."];
    if no_redact {
        args.push("--no-redact");
    }
    let run = bin(dir).args(&args).run();
    assert_eq!(run.code, 1, "{run:?}");
    for name in remove {
        std::fs::remove_file(dir.join(name)).unwrap();
    }
}

fn leak<'a>(doc: &'a Value, id: &str) -> &'a Value {
    &finding(doc, id, "leaked")["leak"]
}

#[test]
fn keys_in_a_report_are_flagged_leaked_by_full_key_stem_or_ambiguously() {
    let acct = Account::new();
    let recent = (Some("2026-11-30T00:00:00Z"), "2026-10-01T00:00:00Z");
    let (exact, exact_id) = acct.key(1, &["send"], recent.0, recent.1);
    let (stem, stem_id) = acct.key(2, &["send"], recent.0, recent.1);
    let twin_a = key_with_stem("msk_TwIn", 3);
    let twin_b = key_with_stem("msk_TwIn", 4);
    let twin_a_id = acct.add(&twin_a, &["send"], recent.0, recent.1);
    let twin_b_id = acct.add(&twin_b, &["send"], recent.0, recent.1);
    let elsewhere = fake_key("mdk_", 5);
    scan_report(
        &acct,
        &[
            ("exact.env", &exact),
            ("stem.env", &stem),
            ("twin.env", &twin_a),
            ("other.env", &elsewhere),
        ],
        false,
        // Gone: these keys cannot be read back, only their stems are known.
        &["stem.env", "twin.env"],
    );
    let secrets = [exact.as_str(), &stem, &twin_a, &twin_b, &elsewhere];
    let (run, doc) = acct.json(&["--report", "report.json"], &secrets);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stderr
            .contains("2 key(s) of `report.json` could not be read back in full"),
        "{}",
        run.stderr
    );

    let l = leak(&doc, &exact_id);
    assert_eq!(l["match"], "full_key");
    assert_eq!(l["report_key"], format!("{}…", &exact[..8]));
    assert_eq!(l["locations"][0], "exact.env:1");
    assert_eq!(finding(&doc, &exact_id, "leaked")["severity"], "critical");

    assert_eq!(leak(&doc, &stem_id)["match"], "stem");
    assert_eq!(finding(&doc, &stem_id, "leaked")["severity"], "critical");

    for id in [&twin_a_id, &twin_b_id] {
        let f = finding(&doc, id, "leaked");
        assert_eq!(f["leak"]["match"], "ambiguous");
        assert_eq!(f["severity"], "high");
        let msg = f["message"].as_str().unwrap();
        assert!(msg.starts_with("possibly leaked"), "{msg}");
        assert!(
            msg.contains(&format!("`{twin_a_id}`")) && msg.contains(&format!("`{twin_b_id}`")),
            "{msg}"
        );
        let candidates: Vec<&str> = f["leak"]["candidates"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["id"].as_str().unwrap())
            .collect();
        assert_eq!(candidates, [twin_a_id.as_str(), twin_b_id.as_str()]);
    }
    // Leaked keys are listed first.
    assert_eq!(doc["keys"][0]["findings"][0]["check"], "leaked");
    let unmatched = doc["unmatched_report_keys"].as_array().unwrap();
    assert_eq!(unmatched.len(), 1, "{doc:#}");
    assert_eq!(unmatched[0]["report_key"], format!("{}…", &elsewhere[..8]));
    assert_eq!(doc["summary"]["by_check"]["leaked"], 4);
    assert_eq!(checks(&doc, &acct.admin_id), Vec::<String>::new());
    // The report costs no request: still one list call.
    acct.assert_one_list_call();

    let run = acct.audit(&["--report", "report.json"], &secrets);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stdout
            .contains("critical  leaked             leaked: the report's key"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("high      leaked             possibly leaked"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("Report keys that are not keys of this account"),
        "{}",
        run.stdout
    );
}

#[test]
fn a_no_redact_report_matches_by_the_full_key_without_the_files() {
    let acct = Account::new();
    let (key, id) = acct.key(
        1,
        &["send"],
        Some("2026-11-30T00:00:00Z"),
        "2026-10-01T00:00:00Z",
    );
    scan_report(&acct, &[("a.env", &key)], true, &["a.env"]);
    let (run, doc) = acct.json(&["--report", "report.json"], &[&key]);
    assert_eq!(run.code, 1, "{run:?}");
    assert_eq!(leak(&doc, &id)["match"], "full_key");
    assert!(
        !run.stderr.contains("could not be read back"),
        "{}",
        run.stderr
    );
}

#[test]
fn an_unreadable_report_is_an_error_before_any_request() {
    let acct = Account::new();
    let run = acct.audit(&["--report", "missing.json"], &[]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        run.stderr.contains("failed to read report `missing.json`"),
        "{}",
        run.stderr
    );
    assert!(acct.api.requests().is_empty());
}

#[test]
fn an_admin_key_lacking_keys_manage_exits_2() {
    let acct = Account::new();
    let weak = fake_key("msk_", 7);
    acct.api.add_key(&weak, 1, &["send"]);
    let run = acct.audit_with(&acct.api.url(), Some(&weak), &[], &[&weak]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stdout.is_empty(), "{}", run.stdout);
    assert!(
        run.stderr.contains(&format!(
            "`MISAR_ADMIN_KEY` ({}…) lacks the `keys:manage` scope (403 FORBIDDEN)",
            &weak[..8]
        )),
        "{}",
        run.stderr
    );
    assert_eq!(acct.api.requests().len(), 1);
}

#[test]
fn an_invalid_admin_key_exits_2() {
    let acct = Account::new();
    let unknown = fake_key("msk_", 8);
    let run = acct.audit_with(&acct.api.url(), Some(&unknown), &[], &[&unknown]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        run.stderr.contains("invalid or revoked (401 UNAUTHORIZED)"),
        "{}",
        run.stderr
    );
    assert_eq!(acct.api.requests().len(), 1);
}

#[test]
fn a_missing_admin_key_exits_2_without_a_request() {
    let acct = Account::new();
    let run = acct.audit_with(&acct.api.url(), None, &[], &[]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        run.stderr.contains("`MISAR_ADMIN_KEY` is not set"),
        "{}",
        run.stderr
    );
    assert!(acct.api.requests().is_empty());
}

#[test]
fn the_api_down_exits_2_with_the_reason() {
    let acct = Account::new();
    let run = acct.audit_with(&refused_url(), Some(&acct.admin), &[], &[]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        run.stderr.contains("could not list the account's keys at"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("could not connect"), "{}", run.stderr);

    // 500 on every attempt: retried (FAST: one retry), then the reason.
    acct.api.fault_always(&acct.admin, Fault::ServerError);
    let run = acct.audit(&[], &[]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        run.stderr
            .contains("no usable answer after 2 attempt(s): HTTP 500 Internal Server Error"),
        "{}",
        run.stderr
    );
    assert_eq!(acct.api.count("GET", &acct.admin), 2);
}

#[test]
fn a_transient_error_is_retried_and_the_audit_completes() {
    let acct = Account::new();
    acct.api.fault_once(&acct.admin, Fault::RateLimited(0));
    let run = acct.audit(&[], &[]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(acct.api.count("GET", &acct.admin), 2);
}

#[test]
fn unreadable_dates_are_reported_not_guessed_and_exit_2() {
    let acct = Account::new();
    let (key, id) = acct.key(
        1,
        &["send", "keys:manage"],
        Some("1767225600"),
        "last tuesday",
    );
    let out = acct.dir.path().join("audit.json");
    let out_arg = out.to_str().unwrap();
    let run = acct.audit(&["-f", "json", "-o", out_arg], &[&key]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stdout.is_empty());
    assert!(
        run.stderr.contains(&format!(
            "warning: key `{id}`: `created_at` `last tuesday` is not an RFC 3339 date-time"
        )),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("error: incomplete audit: 1 key(s)"),
        "{}",
        run.stderr
    );
    let text = std::fs::read_to_string(&out).unwrap();
    common::assert_no_full_key("output file", &text, &[&key, &acct.admin]);
    let doc: Value = serde_json::from_str(&text).unwrap();
    // The findings that could be made are still written.
    assert_eq!(checks(&doc, &id), ["keys-manage-scope"]);
    assert_eq!(key_problems(&doc, &id), 3);
    assert_eq!(doc["summary"]["keys_with_problems"], 1);
}

fn key_problems(doc: &Value, id: &str) -> usize {
    key(doc, id)["problems"].as_array().unwrap().len()
}

#[test]
fn an_echoed_admin_key_is_scrubbed_from_the_output() {
    let acct = Account::new();
    let (key, id) = acct.key(
        1,
        &["send"],
        Some("2026-11-30T00:00:00Z"),
        "2026-10-01T00:00:00Z",
    );
    // A broken server puts the admin key into a name.
    acct.api.set_key_info(
        &id,
        &format!("copy of {}", acct.admin),
        Some("2026-11-30T00:00:00Z"),
        "2026-10-01T00:00:00Z",
    );
    let run = acct.audit(&[], &[&key]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stdout
            .contains(&format!("copy of {}…", &acct.admin[..8])),
        "{}",
        run.stdout
    );
    // ... or into a date, which then shows up in a warning.
    acct.api
        .set_key_info(&id, "k", Some(&acct.admin), "2026-10-01T00:00:00Z");
    let run = acct.audit(&[], &[&key]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        run.stderr
            .contains(&format!("`last_used_at` `{}…`", &acct.admin[..8])),
        "{}",
        run.stderr
    );
}

#[test]
fn the_help_documents_the_checks_and_exit_codes() {
    let dir = tempfile::tempdir().unwrap();
    let run = bin(dir.path()).args(["keys", "audit", "--help"]).run();
    assert_eq!(run.code, 0, "{run:?}");
    for text in [
        "--unused-days <DAYS>",
        "[default: 90]",
        "--never-used-grace-days <DAYS>",
        "[default: 7]",
        "--max-age-days <DAYS>",
        "[default: 365]",
        "--report <FILE>",
        "--now <RFC3339>",
        "keys-manage-scope",
        "Exit codes: 0 nothing flagged, 1 something flagged, 2",
    ] {
        assert!(
            run.stdout.contains(text),
            "missing {text:?}:\n{}",
            run.stdout
        );
    }
    let run = bin(dir.path())
        .args(["keys", "audit", "--now", "yesterday"])
        .run();
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        run.stderr.contains("not an RFC 3339 date-time"),
        "{}",
        run.stderr
    );
}

#[test]
fn the_admin_key_is_never_read_from_an_argument() {
    let dir = tempfile::tempdir().unwrap();
    let run = bin(dir.path())
        .args(["keys", "audit", "--admin-key", "x"])
        .run();
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        run.stderr.contains("unexpected argument '--admin-key'"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_key_echoed_in_a_long_date_is_scrubbed_before_it_is_clipped() {
    // Issue 11 item 13: an unreadable date is clipped to 40 characters for
    // display; clipping first left 30 characters of the admin key, which the
    // scrub of the whole output no longer recognised.
    let acct = Account::new();
    let (key, id) = acct.key(
        1,
        &["send"],
        Some("2026-11-30T00:00:00Z"),
        "2026-10-01T00:00:00Z",
    );
    let echo = format!("0123456789{}", acct.admin);
    acct.api.set_key_info(&id, "k", Some(&echo), &echo);
    let out = acct.dir.path().join("audit.json");
    for extra in [&[][..], &["-f", "json", "-o", out.to_str().unwrap()][..]] {
        let run = acct.audit(extra, &[&key]);
        assert_eq!(run.code, 2, "{run:?}");
        for (what, text) in [("stdout", &run.stdout), ("stderr", &run.stderr)] {
            common::assert_no_key_fragment(what, text, &acct.admin);
        }
    }
    assert!(
        std::fs::read_to_string(&out)
            .unwrap()
            .contains(&format!("0123456789{}…", &acct.admin[..8])),
        "the scrubbed value is still shown"
    );
    let text = std::fs::read_to_string(&out).unwrap();
    common::assert_no_key_fragment("output file", &text, &acct.admin);
}

#[test]
fn since_flags_the_keys_created_at_or_after_the_exposure() {
    let acct = Account::new();
    let used = Some("2026-11-30T00:00:00Z");
    let (before, before_id) = acct.key(1101, &["send"], used, "2026-10-01T00:00:00Z");
    let (at, at_id) = acct.key(1102, &["send"], used, "2026-11-02T09:14:00Z");
    let (after, after_id) = acct.key(1103, &["send", "keys:manage"], None, "2026-11-20T00:00:00Z");
    let secrets = [before.as_str(), at.as_str(), after.as_str()];
    let (run, doc) = acct.json(&["--since", "2026-11-02T09:14:00Z"], &secrets);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(checks(&doc, &before_id).is_empty(), "{doc:#}");
    assert_eq!(checks(&doc, &at_id), ["created-after-exposure"]);
    assert!(checks(&doc, &after_id).contains(&"created-after-exposure".to_string()));
    let f = finding(&doc, &after_id, "created-after-exposure");
    assert_eq!(f["severity"], "high");
    assert!(
        f["message"]
            .as_str()
            .unwrap()
            .contains("2026-11-02T09:14:00Z"),
        "{f}"
    );
    // The admin key, created before, is not flagged.
    assert!(checks(&doc, &acct.admin_id).is_empty());
    acct.assert_one_list_call();

    // Without --since, nothing is flagged as created after an exposure.
    let (_, doc) = acct.json(&[], &secrets);
    assert!(!checks(&doc, &at_id).contains(&"created-after-exposure".to_string()));
}
