//! Issue 11, output hardening: what reports show. No full key in any snippet
//! (a key beside a webhook-lint match, and the reverse), keys in paths and
//! commit metadata redacted and reported, commit and tag messages scanned,
//! terminal escapes in file names neutralised, and configuration that
//! silences the scan said out loud.

mod common;

use std::io::Write;
use std::path::Path;

use common::{ci_github, fake_key, run, Sandbox, Tree};
use serde_json::Value;

const TIMING: &str = "misar-webhook-signature-timing-unsafe";
const HARDCODED: &str = "misar-webhook-secret-hardcoded";
const MAIL: &str = "misar-mail-api-key";

/// The findings of a JSON report.
fn findings(report: &Value) -> Vec<Value> {
    report["findings"].as_array().unwrap().clone()
}

fn with_rule<'a>(fs: &'a [Value], rule: &str) -> Vec<&'a Value> {
    fs.iter().filter(|f| f["rule_id"] == rule).collect()
}

/// Run `scan` in all three formats; each output must be free of `secrets`.
fn scan_all_formats(dir: &Path, extra: &[&str], secrets: &[&str]) -> (String, Value, Value) {
    let mut outs = Vec::new();
    for format in ["human", "json", "sarif"] {
        let mut args = vec!["scan", "-f", format];
        args.extend_from_slice(extra);
        let r = run(dir, &args, secrets);
        assert_eq!(r.code, 1, "{format}: {}{}", r.stdout, r.stderr);
        outs.push(r.stdout);
    }
    let sarif = serde_json::from_str(&outs[2]).unwrap();
    let json = serde_json::from_str(&outs[1]).unwrap();
    (outs.swap_remove(0), json, sarif)
}

// ---- item 1: a snippet redacts every secret on its line ----------------

#[test]
fn a_key_beside_a_signature_comparison_is_redacted_in_the_lint_snippet() {
    let tree = Tree::new();
    let k = fake_key("msk_", 1101);
    tree.write(
        "routes/hook.js",
        format!(
            "const expected = crypto.createHmac('sha256', secret).update(body).digest('hex');\n\
             if (sig == req.headers['x-misar-signature']) send('{k}');\n"
        ),
    );
    let (human, json, sarif) = scan_all_formats(tree.path(), &[], &[&k]);
    let fs = findings(&json);
    let timing = with_rule(&fs, TIMING);
    assert_eq!(timing.len(), 1, "{fs:#?}");
    let snippet = timing[0]["snippet"].as_str().unwrap();
    assert!(snippet.contains(&format!("{}…", &k[..8])), "{snippet}");
    assert!(human.contains(TIMING));
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    assert!(results.iter().any(|r| r["ruleId"] == TIMING));
}

#[test]
fn a_hardcoded_webhook_secret_is_redacted_in_the_key_snippet() {
    let tree = Tree::new();
    let k = fake_key("msk_", 1102);
    let webhook = "whsec9Xq2Lm7Rt4Vb8Nc1Zp6";
    tree.write(
        "server/hook.ts",
        format!(
            "import crypto from 'crypto';\n\
             const WEBHOOK_SECRET = '{webhook}'; const MISAR_KEY = '{k}';\n\
             const h = crypto.createHmac('sha256', WEBHOOK_SECRET);\n"
        ),
    );
    let (human, json, sarif) = scan_all_formats(tree.path(), &[], &[&k, webhook]);
    let fs = findings(&json);
    assert_eq!(with_rule(&fs, HARDCODED).len(), 1, "{fs:#?}");
    let keys = with_rule(&fs, MAIL);
    assert_eq!(keys.len(), 1, "{fs:#?}");
    let snippet = keys[0]["snippet"].as_str().unwrap();
    assert!(snippet.contains("whsec9Xq…"), "{snippet}");
    assert!(human.contains(MAIL));
    assert!(!sarif.to_string().contains(webhook));
}

#[test]
fn a_key_no_rule_reports_is_still_redacted_in_a_lint_snippet() {
    // The key rule is off, so only the last line of defence (key-shaped runs)
    // keeps the key out of the timing lint's snippet.
    let tree = Tree::new();
    let k = fake_key("mdk_", 1103);
    tree.write(
        ".misar-scan.toml",
        "[rules]\ndisable = [\"misar-dev-api-key\"]\n",
    );
    tree.write(
        "hook.py",
        format!(
            "digest = hmac.new(secret, body, hashlib.sha256).hexdigest()\n\
             if signature == digest: use('{k}')\n"
        ),
    );
    let (_, json, _) = scan_all_formats(tree.path(), &[], &[&k]);
    let fs = findings(&json);
    assert_eq!(with_rule(&fs, TIMING).len(), 1, "{fs:#?}");
    // --no-redact shows everything, as asked.
    let r = run(tree.path(), &["scan", "-f", "json", "--no-redact"], &[]);
    assert!(r.stdout.contains(&k));
}

// ---- item 5: terminal escapes in file names ------------------------------

#[cfg(unix)]
const HOSTILE_NAME: &str = "x\u{1b}]0;owned\u{7}\u{1b}[2J\r\u{202e}gpj.env";

#[cfg(unix)]
fn assert_no_raw_controls(what: &str, text: &str) {
    for bad in ['\u{1b}', '\u{7}', '\r', '\u{202e}'] {
        assert!(!text.contains(bad), "{what} holds {:?} raw:\n{text:?}", bad);
    }
}

#[cfg(unix)]
#[test]
fn control_characters_in_file_names_never_reach_the_terminal() {
    let tree = Tree::new();
    let k = fake_key("msk_", 1104);
    tree.write(HOSTILE_NAME, format!("KEY={k}\n"));
    let r = run(tree.path(), &["scan", "--color", "never"], &[&k]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert_no_raw_controls("the human report", &r.stdout);
    assert!(r.stdout.contains("owned"), "{}", r.stdout);
}

// ---- item 4: keys in paths and commit metadata ---------------------------

#[test]
fn a_key_in_a_file_name_is_redacted_and_reported_at_a_path_location() {
    let tree = Tree::new();
    let k = fake_key("msk_", 1105);
    let inside = fake_key("ask_", 1106);
    tree.write(&format!("keys/{k}.txt"), "nothing to see\n");
    tree.write(&format!("conf/{k}/app.env"), format!("A={inside}\n"));
    let (human, json, sarif) = scan_all_formats(tree.path(), &["--no-config"], &[&k, &inside]);
    let fs = findings(&json);
    let stem = format!("{}…", &k[..8]);
    let in_path: Vec<&Value> = fs.iter().filter(|f| f["location"] == "path").collect();
    let paths: Vec<&str> = in_path
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert_eq!(
        paths,
        [format!("conf/{stem}"), format!("keys/{stem}.txt")],
        "{fs:#?}"
    );
    assert!(in_path.iter().all(|f| f["rule_id"] == MAIL
        && f["secret_sha256"] == common::sha256(&k)
        && f["line"] == 1));
    let content: Vec<&Value> = fs.iter().filter(|f| f["location"] == "file").collect();
    assert_eq!(content.len(), 1, "{fs:#?}");
    assert_eq!(content[0]["path"], format!("conf/{stem}/app.env"));
    assert!(human.contains(&format!("keys/{stem}.txt")));
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    assert!(results
        .iter()
        .any(|r| r["properties"]["location"] == "path"));
}

#[test]
fn a_key_in_an_archive_member_name_is_reported_redacted() {
    let tree = Tree::new();
    let k = fake_key("msk_", 1107);
    let mut buf = std::io::Cursor::new(Vec::new());
    {
        let mut zip = zip::ZipWriter::new(&mut buf);
        zip.start_file(
            format!("cfg/{k}.txt"),
            zip::write::SimpleFileOptions::default(),
        )
        .unwrap();
        zip.write_all(b"plain\n").unwrap();
        zip.finish().unwrap();
    }
    tree.write("bundle.zip", buf.into_inner());
    let (_, json, _) = scan_all_formats(tree.path(), &["--no-config"], &[&k]);
    let fs = findings(&json);
    let in_path: Vec<&Value> = fs.iter().filter(|f| f["location"] == "path").collect();
    assert_eq!(in_path.len(), 1, "{fs:#?}");
    assert_eq!(
        in_path[0]["path"],
        format!("bundle.zip!cfg/{}….txt", &k[..8])
    );
}

/// A repository whose one commit has a key in its author name and e-mail, in
/// its message, and a file with a key in its name and one in its content.
fn repo_with_metadata_keys(sb: &Sandbox) -> (common::Repo, [String; 5]) {
    let repo = sb.repo("r");
    let keys = [
        fake_key("msk_", 1110),
        fake_key("ask_", 1111),
        fake_key("mdk_", 1112),
        fake_key("msk_", 1113),
        fake_key("ask_", 1114),
    ];
    let [author, email, message, name, content] = &keys;
    repo.write(&format!("{name}.cfg"), "x = 1\n");
    repo.write("app.env", &format!("KEY={content}\n"));
    repo.git(&["add", "-A"]);
    repo.git(&[
        "commit",
        "-q",
        "-m",
        &format!("add config\n\nused {message} for testing"),
        "--author",
        &format!("{author} <{email}@example.com>"),
    ]);
    (repo, keys)
}

#[test]
fn keys_in_commit_metadata_and_paths_are_found_in_history_and_redacted() {
    let sb = Sandbox::new();
    let (repo, keys) = repo_with_metadata_keys(&sb);
    let all: Vec<&str> = keys.iter().map(String::as_str).collect();
    let [author, email, message, _, content] = &keys;
    for format in ["human", "sarif"] {
        let r = sb.scan(&repo.path, &["scan", "--git", "-f", format], &all);
        assert_eq!(r.code, 1, "{}", r.stderr);
    }
    let r = sb.scan(&repo.path, &["scan", "--git", "-f", "json"], &all);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let fs = r.findings();
    let at = |location: &str, secret: &str| {
        fs.iter()
            .filter(|f| f["location"] == location && f["secret_sha256"] == common::sha256(secret))
            .count()
    };
    assert_eq!(at("commit-author", author), 1, "{fs:#?}");
    assert_eq!(at("commit-author", email), 1, "{fs:#?}");
    assert_eq!(at("commit-message", message), 1, "{fs:#?}");
    assert_eq!(at("file", content), 1, "{fs:#?}");
    let file = fs.iter().find(|f| f["location"] == "file").unwrap();
    let shown = file["author"].as_str().unwrap();
    assert!(shown.starts_with(&format!("{}…", &author[..8])), "{shown}");
    let msg = fs
        .iter()
        .find(|f| f["location"] == "commit-message")
        .unwrap();
    assert_eq!(msg["line"], 3);
    assert_eq!(msg["commit"], repo.rev("HEAD"));
}

#[test]
fn keys_in_the_commit_messages_of_a_range_are_found() {
    let sb = Sandbox::new();
    let repo = sb.repo("r");
    repo.write("a.txt", "a\n");
    let base = repo.commit("base");
    let k = fake_key("msk_", 1115);
    repo.write("b.txt", "b\n");
    repo.commit(&format!("use {k}"));
    let r = sb.scan(
        &repo.path,
        &[
            "scan",
            "--git",
            "--range",
            &format!("{base}..HEAD"),
            "-f",
            "json",
        ],
        &[&k],
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    let fs = r.findings();
    assert_eq!(fs.len(), 1, "{fs:#?}");
    assert_eq!(fs[0]["location"], "commit-message");
    assert_eq!(fs[0]["secret_sha256"], common::sha256(&k));
    // The base's own message is not the range's doing.
    let r = sb.scan(
        &repo.path,
        &["scan", "--git", "--range", "HEAD..HEAD", "-f", "json"],
        &[&k],
    );
    assert_eq!(r.code, 0, "{}", r.stdout);
}

#[test]
fn a_key_in_a_file_name_added_by_a_range_is_reported() {
    let sb = Sandbox::new();
    let repo = sb.repo("r");
    repo.write("a.txt", "a\n");
    let base = repo.commit("base");
    let k = fake_key("mdk_", 1116);
    repo.write(&format!("certs/{k}.pem"), "not a key\n");
    repo.commit("add cert");
    let r = sb.scan(
        &repo.path,
        &[
            "scan",
            "--git",
            "--range",
            &format!("{base}..HEAD"),
            "-f",
            "json",
        ],
        &[&k],
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    let fs = r.findings();
    assert_eq!(fs.len(), 1, "{fs:#?}");
    assert_eq!(fs[0]["location"], "path");
    assert_eq!(fs[0]["path"], format!("certs/{}….pem", &k[..8]));
}

#[test]
fn keys_in_annotated_tag_messages_and_notes_are_found() {
    let sb = Sandbox::new();
    let repo = sb.repo("r");
    repo.write("a.txt", "a\n");
    repo.commit("base");
    let (tagged, noted) = (fake_key("msk_", 1117), fake_key("ask_", 1118));
    repo.git(&["tag", "-a", "v1", "-m", &format!("release\n\nkey {tagged}")]);
    repo.git(&["notes", "add", "-m", &format!("deployed with {noted}")]);
    let r = sb.scan(
        &repo.path,
        &["scan", "--git", "-f", "json"],
        &[&tagged, &noted],
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    let fs = r.findings();
    let tag: Vec<&Value> = fs
        .iter()
        .filter(|f| f["secret_sha256"] == common::sha256(&tagged))
        .collect();
    assert_eq!(tag.len(), 1, "{fs:#?}");
    assert_eq!(tag[0]["location"], "tag-message");
    assert_eq!(tag[0]["line"], 3);
    // Notes are blobs under refs/notes, scanned like any other blob.
    assert!(
        fs.iter()
            .any(|f| f["secret_sha256"] == common::sha256(&noted) && f["location"] == "file"),
        "{fs:#?}"
    );
}

// ---- ci github: annotations ------------------------------------------------

#[test]
fn ci_github_annotations_redact_keys_in_paths_and_commit_metadata() {
    let sb = Sandbox::new();
    let (repo, keys) = repo_with_metadata_keys(&sb);
    let all: Vec<&str> = keys.iter().map(String::as_str).collect();
    let r = ci_github(&sb, &repo.path, "workflow_dispatch", &Value::Null, &all);
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert!(
        r.stdout.lines().any(|l| l.starts_with("::error file=")),
        "{}",
        r.stdout
    );
}

#[cfg(unix)]
#[test]
fn ci_github_file_properties_carry_no_control_characters() {
    let sb = Sandbox::new();
    let repo = sb.repo("r");
    let k = fake_key("msk_", 1119);
    repo.write(HOSTILE_NAME, &format!("KEY={k}\n"));
    repo.commit("add");
    let r = ci_github(&sb, &repo.path, "workflow_dispatch", &Value::Null, &[&k]);
    assert_eq!(r.code, 1, "{}", r.stdout);
    let annotations: Vec<&str> = r
        .stdout
        .lines()
        .filter(|l| l.starts_with("::error file="))
        .collect();
    assert_eq!(annotations.len(), 1, "{}", r.stdout);
    assert_no_raw_controls("the annotation", annotations[0]);
    // escape_property encodes `\r` as %0D: the raw character must be gone
    // before that, or the runner decodes it back.
    assert!(!annotations[0].contains("%0D"), "{}", annotations[0]);
}

// ---- item 17: configuration that silences the scan ------------------------

#[test]
fn configuration_that_disables_rules_or_allowlists_everything_is_said() {
    let tree = Tree::new();
    let k = fake_key("msk_", 1120);
    tree.write("app.env", format!("KEY={k}\n"));
    tree.write(
        ".misar-scan.toml",
        "[allowlist]\npaths = [\"**\"]\n\n[rules]\ndisable = [\"misar-mail-api-key\", \"assisters-api-key\"]\n",
    );
    let r = run(tree.path(), &["scan"], &[&k]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("no Misar keys found"), "{}", r.stdout);
    for needle in [
        ".misar-scan.toml",
        "misar-mail-api-key",
        "assisters-api-key",
        "`**`",
    ] {
        assert!(r.stderr.contains(needle), "no {needle} in:\n{}", r.stderr);
    }
    let r = run(tree.path(), &["scan", "-f", "json"], &[&k]);
    let config = &r.json()["summary"]["config"];
    assert!(
        config["path"]
            .as_str()
            .unwrap()
            .ends_with(".misar-scan.toml"),
        "{config}"
    );
    assert_eq!(
        config["disabled_rules"],
        serde_json::json!(["misar-mail-api-key", "assisters-api-key"])
    );
    assert_eq!(config["allowlisted_paths"], serde_json::json!(["**"]));
    // Nothing configured: nothing said, and no `config` field.
    let plain = Tree::new();
    plain.write("a.txt", "hello\n");
    let r = run(plain.path(), &["scan", "-f", "json"], &[]);
    assert!(r.json()["summary"].get("config").is_none(), "{}", r.stdout);
    assert!(!r.stderr.contains("config"), "{}", r.stderr);
}

#[test]
fn ci_github_warns_when_the_change_edits_the_scan_configuration() {
    let sb = Sandbox::new();
    let repo = sb.repo("r");
    repo.write("a.txt", "a\n");
    let base = repo.commit("base");
    repo.write(".misar-scan.toml", "[allowlist]\npaths = [\"**\"]\n");
    let head = repo.commit("silence the scanner");
    let payload = serde_json::json!({
        "pull_request": { "base": { "sha": base }, "head": { "sha": head } }
    });
    let r = ci_github(&sb, &repo.path, "pull_request", &payload, &[]);
    assert_eq!(r.code, 0, "{}", r.stdout);
    let warning = r
        .stdout
        .lines()
        .find(|l| l.starts_with("::warning") && l.contains(".misar-scan.toml"));
    assert!(warning.is_some(), "{}", r.stdout);
    assert!(r.summary.contains(".misar-scan.toml"), "{}", r.summary);
    // A change that leaves it alone gets no such warning.
    repo.write("b.txt", "b\n");
    let next = repo.commit("unrelated");
    let payload = serde_json::json!({
        "pull_request": { "base": { "sha": head }, "head": { "sha": next } }
    });
    let r = ci_github(&sb, &repo.path, "pull_request", &payload, &[]);
    assert!(!r.stdout.contains(".misar-scan.toml"), "{}", r.stdout);
}
