//! The liveness policy (`--fail-on any|live`) and alerts (`--alert-webhook`,
//! `--alert-format json|slack`) of `scan` (SPEC §3), against the fake Misar
//! API and an alert receiver, both on 127.0.0.1.

mod common;

use common::{
    bin, fake_key, refused_url, sha256, FakeApi, Fault, Run, Sandbox, Tree, Webhook, FAST,
};

/// A tree with one file per key.
fn tree(keys: &[&str]) -> Tree {
    let t = Tree::new();
    for (i, k) in keys.iter().enumerate() {
        t.write(&format!("conf/app{i}.env"), format!("MISAR_KEY={k}\n"));
    }
    t
}

fn scan(t: &Tree, api: &FakeApi, extra: &[&str], keys: &[&str]) -> Run {
    bin(t.path())
        .api(&api.url())
        .args(["scan", "."])
        .args(FAST)
        .args(extra)
        .secrets(keys)
        .run()
}

#[test]
fn fail_on_any_is_the_default_and_fails_on_a_dead_key() {
    let api = FakeApi::start();
    let dead = fake_key("msk_", 901);
    let t = tree(&[&dead]);
    let run = scan(&t, &api, &["--verify"], &[&dead]);
    assert_eq!(run.code, 1, "{run:?}");
}

#[test]
fn fail_on_live_reports_dead_keys_but_passes() {
    let api = FakeApi::start();
    let dead = fake_key("msk_", 902); // not registered: 401
    let t = tree(&[&dead]);
    let run = scan(&t, &api, &["--fail-on", "live", "-f", "json"], &[&dead]);
    assert_eq!(run.code, 0, "{run:?}");
    let findings = run.findings();
    assert_eq!(findings.len(), 1, "still reported");
    assert_eq!(findings[0]["verification"], "not_live");
    assert_eq!(api.count("GET", &dead), 1, "--fail-on live verifies");
    assert!(run.stderr.contains("--fail-on live"), "{}", run.stderr);
}

#[test]
fn fail_on_live_fails_on_a_live_or_an_unknown_key() {
    let api = FakeApi::start();
    let live = fake_key("ask_", 903);
    api.add_key(&live, 1, &["send"]);
    let dead = fake_key("ask_", 904);
    let t = tree(&[&live, &dead]);
    let run = scan(&t, &api, &["--fail-on", "live"], &[&live, &dead]);
    assert_eq!(run.code, 1, "{run:?}");

    let api = FakeApi::start();
    let unknown = fake_key("mdk_", 905);
    api.add_key(&unknown, 1, &["send"]);
    api.fault_always(&unknown, Fault::ServerError);
    let t = tree(&[&unknown]);
    let run = scan(&t, &api, &["--fail-on", "live"], &[&unknown]);
    assert_eq!(
        run.code, 1,
        "an unknown key is never waved through: {run:?}"
    );
}

#[test]
fn fail_on_live_applies_to_history_and_stdin_scans() {
    let api = FakeApi::start();
    let dead = fake_key("msk_", 906);
    let live = fake_key("msk_", 907);
    api.add_key(&live, 1, &["send"]);
    let sb = Sandbox::new();
    let repo = sb.repo("r");
    repo.write("old.env", &format!("K={dead}\n"));
    repo.commit("leak");
    let run = bin(&repo.path)
        .home(&sb.home())
        .api(&api.url())
        .args(["scan", "--git", "--fail-on", "live"])
        .args(FAST)
        .secrets(&[&dead])
        .run();
    assert_eq!(run.code, 0, "{run:?}");
    for (key, code) in [(&dead, 0), (&live, 1)] {
        let run = bin(sb.dir.path())
            .api(&api.url())
            .args(["scan", "-", "--fail-on", "live"])
            .args(FAST)
            .stdin(format!("K={key}\n"))
            .secrets(&[key])
            .run();
        assert_eq!(run.code, code, "{run:?}");
    }
}

#[test]
fn one_alert_lists_the_live_and_unknown_keys_and_no_full_key() {
    let api = FakeApi::start();
    let live = fake_key("msk_", 908);
    api.add_key(&live, 1, &["send"]);
    let unknown = fake_key("ask_", 909);
    api.add_key(&unknown, 1, &["send"]);
    api.fault_always(&unknown, Fault::HtmlOk);
    let dead = fake_key("mdk_", 910);
    let t = tree(&[&live, &unknown, &dead]);
    // The live key twice: one line in the alert.
    t.write("more/copy.txt", format!("{live}\n"));
    let hook = Webhook::start();
    let keys = [live.as_str(), unknown.as_str(), dead.as_str()];
    let run = scan(&t, &api, &["--alert-webhook", &hook.url()], &keys);
    assert_eq!(run.code, 1, "{run:?}");
    let got = hook.received();
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0].method, "POST");
    assert_eq!(got[0].path, "/hooks/misar");
    assert_eq!(got[0].content_type.as_deref(), Some("application/json"));
    let body: serde_json::Value = serde_json::from_str(&got[0].body).unwrap();
    common::assert_no_full_key("alert", &got[0].body, &keys);
    let listed: Vec<(&str, &str)> = body["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| {
            (
                k["secret_sha256"].as_str().unwrap(),
                k["status"].as_str().unwrap(),
            )
        })
        .collect();
    let (live_sha, unknown_sha) = (sha256(&live), sha256(&unknown));
    assert_eq!(listed.len(), 2, "{body}");
    assert!(listed.contains(&(live_sha.as_str(), "live")), "{body}");
    assert!(
        listed.contains(&(unknown_sha.as_str(), "unknown")),
        "{body}"
    );
    let first = body["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["status"] == "live")
        .unwrap();
    assert_eq!(first["key"], common::redacted(&live));
    assert_eq!(first["product"], "Misar Mail");
    assert_eq!(first["location"], "conf/app0.env:1");
    assert!(
        run.stderr.contains("2 live or unknown key(s) posted"),
        "{}",
        run.stderr
    );
}

#[test]
fn the_slack_format_is_one_text_field() {
    let api = FakeApi::start();
    let live = fake_key("msk_", 911);
    api.add_key(&live, 1, &["send"]);
    let t = tree(&[&live]);
    let hook = Webhook::start();
    let run = scan(
        &t,
        &api,
        &["--alert-webhook", &hook.url(), "--alert-format", "slack"],
        &[&live],
    );
    assert_eq!(run.code, 1, "{run:?}");
    let got = hook.received();
    assert_eq!(got.len(), 1);
    let body: serde_json::Value = serde_json::from_str(&got[0].body).unwrap();
    let obj = body.as_object().unwrap();
    assert_eq!(obj.keys().collect::<Vec<_>>(), ["text"]);
    let text = body["text"].as_str().unwrap();
    assert!(text.contains(&common::redacted(&live)), "{text}");
    assert!(text.contains(&sha256(&live)[..16]), "{text}");
    assert!(!text.contains(&live));
}

#[test]
fn no_alert_is_sent_when_no_key_is_live_or_unknown() {
    let api = FakeApi::start();
    let dead = fake_key("msk_", 912);
    let t = tree(&[&dead]);
    let hook = Webhook::start();
    let run = scan(&t, &api, &["--alert-webhook", &hook.url()], &[&dead]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(hook.received().is_empty());
}

#[test]
fn an_alert_that_cannot_be_delivered_exits_2_and_the_report_is_still_written() {
    let api = FakeApi::start();
    let live = fake_key("msk_", 913);
    api.add_key(&live, 1, &["send"]);
    let t = tree(&[&live]);
    let unreachable = refused_url();
    let run = scan(
        &t,
        &api,
        &[
            "--alert-webhook",
            &unreachable,
            "-f",
            "json",
            "-o",
            "out.json",
        ],
        &[&live],
    );
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        run.stderr.contains("was not delivered: could not connect"),
        "{}",
        run.stderr
    );
    let report: serde_json::Value = serde_json::from_str(&t.read("out.json")).unwrap();
    assert_eq!(report["findings"].as_array().unwrap().len(), 1);

    // A receiver that keeps failing: retried, then exit 2.
    let hook = Webhook::start();
    hook.answer(503);
    let run = scan(&t, &api, &["--alert-webhook", &hook.url()], &[&live]);
    assert_eq!(run.code, 2, "{run:?}");
    assert_eq!(hook.received().len(), 3, "bounded retry");
    assert!(run.stderr.contains("HTTP 503"), "{}", run.stderr);
}

#[test]
fn a_plain_http_webhook_to_another_host_is_refused_before_scanning() {
    let api = FakeApi::start();
    let t = tree(&[]);
    let run = scan(
        &t,
        &api,
        &[
            "--alert-webhook",
            "http://hooks.example.com/services/T0/SECRET",
        ],
        &[],
    );
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        run.stderr.contains("refusing plain http://"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("SECRET"), "{}", run.stderr);
}

/// `sweep org` in a sandbox whose `org/app` repository holds `keys`.
fn sweep_world(keys: &[&str]) -> Sandbox {
    let sb = Sandbox::new();
    let repo = sb.repo("org/app");
    for (i, k) in keys.iter().enumerate() {
        repo.write(&format!("k{i}.env"), &format!("K={k}\n"));
    }
    repo.commit("keys");
    sb
}

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

#[test]
fn sweep_fails_on_live_keys_by_default_and_on_any_key_with_fail_on_any() {
    let api = FakeApi::start();
    let dead = fake_key("msk_", 914);
    let sb = sweep_world(&[&dead]);
    let run = sweep(&sb, &api, &[], &[&dead]);
    assert_eq!(run.code, 0, "{run:?}");
    let run = sweep(&sb, &api, &["--fail-on", "any"], &[&dead]);
    assert_eq!(run.code, 1, "{run:?}");
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(sb.path("out/report.json")).unwrap())
            .unwrap();
    assert_eq!(
        report["keys"].as_array().unwrap().len(),
        1,
        "still reported"
    );

    let live = fake_key("msk_", 915);
    api.add_key(&live, 1, &["send"]);
    let sb = sweep_world(&[&live]);
    let run = sweep(&sb, &api, &["--fail-on", "live"], &[&live]);
    assert_eq!(run.code, 1, "{run:?}");
}

#[test]
fn sweep_sends_one_alert_for_the_keys_still_live_or_unknown() {
    let api = FakeApi::start();
    let live = fake_key("mdk_", 916);
    api.add_key(&live, 1, &["send"]);
    let dead = fake_key("mdk_", 917);
    let sb = sweep_world(&[&live, &dead]);
    let hook = Webhook::start();
    let run = sweep(
        &sb,
        &api,
        &["--alert-webhook", &hook.url()],
        &[&live, &dead],
    );
    assert_eq!(run.code, 1, "{run:?}");
    let got = hook.received();
    assert_eq!(got.len(), 1, "{got:?}");
    common::assert_no_full_key("alert", &got[0].body, &[&live, &dead]);
    let body: serde_json::Value = serde_json::from_str(&got[0].body).unwrap();
    assert_eq!(body["source"], "sweep");
    let keys = body["keys"].as_array().unwrap();
    assert_eq!(keys.len(), 1, "{body}");
    assert_eq!(keys[0]["secret_sha256"], sha256(&live));
    assert_eq!(keys[0]["status"], "live");
    assert_eq!(keys[0]["product"], "Misar Dev");
    let location = keys[0]["location"].as_str().unwrap();
    assert!(
        location.starts_with("org/app: k0.env:1 (commit "),
        "{location}"
    );

    // An unreachable receiver: exit 2, the reports still written.
    let run = sweep(
        &sb,
        &api,
        &["--alert-webhook", &refused_url()],
        &[&live, &dead],
    );
    assert_eq!(run.code, 2, "{run:?}");
    assert!(sb.path("out/summary.md").is_file());
}
