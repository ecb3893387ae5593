//! Key-hygiene lints end to end: what the binary reports, and how to turn a lint off.

mod common;

use common::{fake_key, run, Tree};
use serde_json::Value;

fn rule_ids(report: &Value) -> Vec<String> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            format!(
                "{}@{}",
                f["rule_id"].as_str().unwrap(),
                f["path"].as_str().unwrap()
            )
        })
        .collect()
}

#[test]
fn client_exposed_key_gets_a_lint_finding_beside_the_key_finding() {
    let tree = Tree::new();
    let k = fake_key("msk_", 71);
    tree.write("public/app.js", format!("window.MISAR = '{k}';\n"));
    tree.write("src/server/mail.ts", format!("const key = '{k}';\n"));
    tree.write(".env.local", "NEXT_PUBLIC_MISAR_KEY=msk_your_api_key\n");
    let r = run(tree.path(), &["scan", "-f", "json"], &[&k]);
    assert_eq!(r.code, 1);
    let v = r.json();
    assert_eq!(
        rule_ids(&v),
        [
            "misar-client-exposed-key@public/app.js",
            "misar-mail-api-key@public/app.js",
            "misar-mail-api-key@src/server/mail.ts",
        ]
    );
    assert!(v["findings"][0]["note"]
        .as_str()
        .unwrap()
        .contains("`public/`"));
    assert_eq!(v["findings"][0]["severity"], "error");
}

#[test]
fn shared_key_names_every_environment_once() {
    let tree = Tree::new();
    let k = fake_key("ask_", 72);
    tree.write(".env.production", format!("KEY={k}\n"));
    tree.write(".env.staging", format!("KEY={k}\n"));
    tree.write("config/dev.yaml", format!("key: {k}\n"));
    let r = run(tree.path(), &["scan", "-f", "sarif", "--no-config"], &[&k]);
    let sarif: Value = serde_json::from_str(&r.stdout).unwrap();
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    let shared: Vec<&Value> = results
        .iter()
        .filter(|r| r["ruleId"] == "misar-key-shared-across-environments")
        .collect();
    assert_eq!(shared.len(), 1);
    let text = shared[0]["message"]["text"].as_str().unwrap();
    for place in [
        "production",
        "staging",
        "development",
        ".env.staging:1",
        "config/dev.yaml:1",
    ] {
        assert!(text.contains(place), "{text}");
    }
    assert_eq!(shared[0]["relatedLocations"].as_array().unwrap().len(), 2);
}

#[test]
fn committed_env_file_needs_git_to_track_it() {
    let tree = Tree::new();
    let k = fake_key("mdk_", 73);
    tree.write(".env", format!("MISAR_DEV_KEY={k}\n"));
    let r = run(tree.path(), &["scan", "-f", "json"], &[&k]);
    assert_eq!(
        rule_ids(&r.json()),
        ["misar-dev-api-key@.env"],
        "not in a repository: not committed"
    );
    let repo = git2::Repository::init(tree.path()).unwrap();
    let mut index = repo.index().unwrap();
    index.add_path(std::path::Path::new(".env")).unwrap();
    index.write().unwrap();
    let r = run(tree.path(), &["scan", "-f", "json"], &[&k]);
    assert_eq!(
        rule_ids(&r.json()),
        ["misar-committed-env-file@.env", "misar-dev-api-key@.env"]
    );
}

#[test]
fn webhook_lints_flag_hardcoded_secrets_and_unsafe_comparisons_redacted() {
    let tree = Tree::new();
    let secret = "q9Zt4LmW2xR7vB1kP0sD";
    tree.write(
        "api/webhook.ts",
        format!(
            "const SIGNING_SECRET = '{secret}';\nexport function ok(req, body) {{\n  const expected = createHmac('sha256', SIGNING_SECRET).update(body).digest('hex');\n  return req.headers['x-misar-signature'] === `sha256=${{expected}}`;\n}}\n"
        ),
    );
    let r = run(tree.path(), &["scan", "-f", "json"], &[secret]);
    assert_eq!(r.code, 1);
    let v = r.json();
    assert_eq!(
        rule_ids(&v),
        [
            "misar-webhook-secret-hardcoded@api/webhook.ts",
            "misar-webhook-signature-timing-unsafe@api/webhook.ts",
        ]
    );
    assert_eq!(v["findings"][0]["line"], 1);
    assert_eq!(v["findings"][1]["line"], 4);
}

#[test]
fn lints_can_be_turned_off_in_the_config() {
    let tree = Tree::new();
    let k = fake_key("msk_", 74);
    tree.write("public/app.js", format!("window.MISAR = '{k}';\n"));
    tree.write(
        ".misar-scan.toml",
        "[rules]\ndisable = [\"misar-client-exposed-key\"]\n",
    );
    let r = run(tree.path(), &["scan", "-f", "json"], &[&k]);
    assert_eq!(rule_ids(&r.json()), ["misar-mail-api-key@public/app.js"]);
}
