//! Snapshot tests of what people read (insta; the snapshots are in
//! `tests/snapshots/`): the human report of `scan` with findings of several
//! rules and severities and of a clean scan, the workflow annotations and
//! the step summary `ci github` writes for a pull request, and the human
//! output of `verify` and of a `revoke` dry run against the fake API.
//!
//! Inputs are fixed (keys from fixed seeds, commits at fixed dates by a
//! fixed author); what still varies from run to run (temporary folders, the
//! fake API's port, commit ids, the version) is replaced by a filter. Every
//! output goes through the redaction check before it is compared.
//!
//! To review a change: `cargo insta review` (or run with `INSTA_UPDATE=always`
//! and read `git diff tests/snapshots`). In CI (`CI=true`) a snapshot is
//! never written: a difference fails the test.

mod common;

use common::{
    assert_no_full_key, assert_no_key_fragment, bin, ci_github, fake_key, key_with_stem, run,
    FakeApi, Fault, Sandbox, Tree, FAST,
};
use serde_json::json;

/// Filters for every snapshot, plus `extra` (literal text → placeholder,
/// applied first: for commit ids and folders known only at run time).
fn settings(extra: &[(String, &str)]) -> insta::Settings {
    let mut s = insta::Settings::clone_current();
    for (text, placeholder) in extra {
        s.add_filter(&regex::escape(text), *placeholder);
    }
    s.add_filter(&regex::escape(env!("CARGO_PKG_VERSION")), "[VERSION]");
    s.add_filter(r"127\.0\.0\.1:\d+", "127.0.0.1:[PORT]");
    s
}

/// The keys of a test: every output is checked for them in full, and for
/// any 12 characters of them (redaction shows 8).
fn assert_redacted(what: &str, text: &str, keys: &[&str]) {
    assert_no_full_key(what, text, keys);
    for k in keys {
        assert_no_key_fragment(what, text, k);
    }
}

// ---- scan: the human report ------------------------------------------------

/// A tree with a finding of each kind: three products' keys (errors), a key
/// in client-side code (error), a key shared by two environments (warning)
/// and a timing-unsafe webhook signature check (warning).
fn fixture_tree(tree: &Tree) -> Vec<String> {
    let mail = fake_key("msk_", 9001);
    let assisters = fake_key("ask_", 9002);
    let dev = fake_key("mdk_", 9003);
    tree.write(
        "app/settings.py",
        format!("import os\n\nMISAR_MAIL_KEY = \"{mail}\"\nDEBUG = False\n"),
    );
    tree.write(
        "public/widget.js",
        format!("// chat widget\nwindow.ASSISTERS_KEY = '{assisters}';\n"),
    );
    tree.write("deploy/.env.production", format!("MISAR_DEV_KEY={dev}\n"));
    tree.write("deploy/.env.staging", format!("MISAR_DEV_KEY={dev}\n"));
    tree.write(
        "routes/hook.js",
        "const expected = crypto.createHmac('sha256', secret).update(body).digest('hex');\n\
         if (req.headers['x-misar-signature'] == expected) handle(body);\n",
    );
    tree.write(
        "README.md",
        "Set `MISAR_API_KEY=msk_your_api_key` before running.\n",
    );
    vec![mail, assisters, dev]
}

#[test]
fn scan_human_report_with_findings() {
    let tree = Tree::new();
    let keys = fixture_tree(&tree);
    let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
    let r = run(
        tree.path(),
        &["scan", "--color", "never", "--no-config"],
        &keys,
    );
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert_redacted("stdout", &r.stdout, &keys);
    assert_redacted("stderr", &r.stderr, &keys);
    settings(&[(tree.path().display().to_string(), "[TREE]")]).bind(|| {
        insta::assert_snapshot!("scan_findings_stdout", r.stdout);
        insta::assert_snapshot!("scan_findings_stderr", r.stderr);
    });
}

#[test]
fn scan_human_report_when_clean() {
    let tree = Tree::new();
    tree.write("README.md", "Set `MISAR_API_KEY=msk_your_api_key`.\n");
    tree.write(
        "src/main.py",
        "import os\nKEY = os.environ['MISAR_API_KEY']\n",
    );
    let r = run(
        tree.path(),
        &["scan", "--color", "never", "--no-config"],
        &[],
    );
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    settings(&[(tree.path().display().to_string(), "[TREE]")]).bind(|| {
        insta::assert_snapshot!("scan_clean_stdout", r.stdout);
        insta::assert_snapshot!("scan_clean_stderr", r.stderr);
    });
}

// ---- ci github: annotations and step summary ---------------------------------

#[test]
fn ci_github_pull_request_annotations_and_summary() {
    let sb = Sandbox::new();
    let repo = sb.repo("ws");
    let old = fake_key("msk_", 9101);
    repo.write("legacy.env", &format!("OLD={old}\n"));
    repo.write("app.py", "print('hello')\n");
    let base = repo.commit("base");
    repo.git(&["checkout", "-q", "-b", "feature"]);
    let mail = fake_key("msk_", 9102);
    let dev = fake_key("mdk_", 9103);
    repo.write(
        "src/config, main.py",
        &format!("x = 1\nAPI_KEY = '{mail}'\n"),
    );
    repo.write("deploy/run.sh", &format!("export MISAR_KEY={dev}\n"));
    repo.write(
        "routes/hook.js",
        "if (req.headers['x-misar-signature'] == crypto.createHmac('sha256', s).update(b).digest('hex')) ok();\n",
    );
    let head = repo.commit("add config");
    let payload = json!({
        "action": "synchronize",
        "number": 7,
        "pull_request": {
            "number": 7,
            "base": { "ref": "main", "sha": base },
            "head": { "ref": "feature", "sha": head }
        },
        "repository": { "default_branch": "main" }
    });
    let keys = [old.as_str(), mail.as_str(), dev.as_str()];
    let r = ci_github(&sb, &repo.path, "pull_request", &payload, &keys);
    assert_eq!(r.code, 1, "{}\n{}", r.stdout, r.stderr);
    for (what, text) in [
        ("stdout", &r.stdout),
        ("stderr", &r.stderr),
        ("summary", &r.summary),
    ] {
        assert_redacted(what, text, &keys);
    }
    let ids = [
        (base.clone(), "[BASE]"),
        (base[..12].to_string(), "[BASE12]"),
        (head.clone(), "[HEAD]"),
        (head[..12].to_string(), "[HEAD12]"),
        (r.job.display().to_string(), "[RUNNER_TEMP]"),
    ];
    let mut s = settings(&ids);
    // The fence around git's and the scan's output has a random token.
    s.add_filter(
        r"(?m)^::(stop-commands::)?[0-9a-f]{32}(::)?$",
        "::${1}[TOKEN]${2}",
    );
    s.bind(|| {
        insta::assert_snapshot!("ci_github_pull_request_stdout", r.stdout);
        insta::assert_snapshot!("ci_github_pull_request_stderr", r.stderr);
        insta::assert_snapshot!("ci_github_pull_request_summary", r.summary);
    });
}

// ---- verify and revoke against the fake API ---------------------------------

#[test]
fn verify_human_output() {
    let api = FakeApi::start();
    let manager = fake_key("msk_", 9201);
    let sender = fake_key("ask_", 9202);
    let dead = fake_key("mdk_", 9203);
    let flaky = fake_key("msk_", 9204);
    let id = api.add_key(&manager, 1, &["send", "keys:manage"]);
    api.set_key_info(
        &id,
        "production mailer",
        Some("2026-11-30T08:00:00Z"),
        "2026-06-01T00:00:00Z",
    );
    api.add_key(&sender, 2, &["send"]);
    api.add_key(&flaky, 3, &["send"]);
    api.fault_always(&flaky, Fault::ServerError);
    let keys = [
        manager.as_str(),
        sender.as_str(),
        dead.as_str(),
        flaky.as_str(),
    ];
    let input: String = keys.iter().map(|k| format!("{k}\n")).collect();
    let dir = tempfile::tempdir().unwrap();
    let r = bin(dir.path())
        .api(&api.url())
        .args(["verify", "--stdin", "--color", "never"])
        .args(FAST)
        .stdin(input)
        .secrets(&keys)
        .run();
    assert_eq!(r.code, 2, "{r:?}");
    assert_redacted("stdout", &r.stdout, &keys);
    assert_redacted("stderr", &r.stderr, &keys);
    settings(&[(dir.path().display().to_string(), "[DIR]")]).bind(|| {
        insta::assert_snapshot!("verify_stdout", r.stdout);
        insta::assert_snapshot!("verify_stderr", r.stderr);
    });
}

#[test]
fn revoke_dry_run_human_output() {
    let api = FakeApi::start();
    let own = fake_key("msk_", 9301);
    let via_admin = fake_key("ask_", 9302);
    let twin_a = key_with_stem("msk_Tw1n", 9303);
    let twin_b = key_with_stem("msk_Tw1n", 9304);
    let admin = fake_key("msk_", 9305);
    api.add_key(&own, 1, &["send", "keys:manage"]);
    api.add_key(&via_admin, 1, &["send"]);
    api.add_key(&twin_a, 1, &["send"]);
    api.add_key(&twin_b, 1, &["send"]);
    api.add_key(&admin, 1, &["keys:manage"]);
    let leaked = [own.as_str(), via_admin.as_str(), twin_a.as_str()];
    let input: String = leaked.iter().map(|k| format!("{k}\n")).collect();
    let mut keys = leaked.to_vec();
    keys.extend([twin_b.as_str(), admin.as_str()]);
    let dir = tempfile::tempdir().unwrap();
    let r = bin(dir.path())
        .api(&api.url())
        .env("MISAR_ADMIN_KEY", &admin)
        .args(["revoke", "--stdin"])
        .args(FAST)
        .stdin(input)
        .secrets(&keys)
        .run();
    assert_eq!(api.count_method("DELETE"), 0, "a dry run deletes nothing");
    assert_eq!(r.code, 2, "{r:?}");
    assert_redacted("stdout", &r.stdout, &keys);
    assert_redacted("stderr", &r.stderr, &keys);
    settings(&[(dir.path().display().to_string(), "[DIR]")]).bind(|| {
        insta::assert_snapshot!("revoke_dry_run_stdout", r.stdout);
        insta::assert_snapshot!("revoke_dry_run_stderr", r.stderr);
    });
}
