//! Report formats: SARIF validated against the official 2.1.0 schema, the
//! fields GitHub code scanning relies on, and the JSON layout.

mod common;

use common::{fake_key, run, sha256, Tree};
use serde_json::Value;

fn schema_validator() -> jsonschema::Validator {
    let schema: Value =
        serde_json::from_str(include_str!("fixtures/sarif-schema-2.1.0.json")).unwrap();
    jsonschema::validator_for(&schema).unwrap()
}

fn assert_valid_sarif(sarif: &Value) {
    let validator = schema_validator();
    let errors: Vec<String> = validator
        .iter_errors(sarif)
        .map(|e| format!("{} at {}", e, e.instance_path))
        .collect();
    assert!(
        errors.is_empty(),
        "SARIF does not validate:\n{}",
        errors.join("\n")
    );
}

#[test]
fn sarif_validates_and_carries_what_code_scanning_needs() {
    let tree = Tree::new();
    let (a, b) = (fake_key("msk_", 31), fake_key("mdk_", 32));
    tree.write(
        "src/with space/app.js",
        format!("x\n  const k = \"{a}\", j = \"{b}\";\n"),
    );
    let r = run(tree.path(), &["scan", "-f", "sarif"], &[&a, &b]);
    assert_eq!(r.code, 1);
    let sarif: Value = serde_json::from_str(&r.stdout).unwrap();
    assert_valid_sarif(&sarif);

    assert_eq!(sarif["version"], "2.1.0");
    let runs = sarif["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 1);
    let run0 = &runs[0];
    assert_eq!(run0["columnKind"], "utf16CodeUnits");
    let rules = run0["tool"]["driver"]["rules"].as_array().unwrap();
    let ids: Vec<&str> = rules.iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert_eq!(
        ids,
        [
            "assisters-api-key",
            "misar-dev-api-key",
            "misar-mail-api-key",
            "misar-client-exposed-key",
            "misar-committed-env-file",
            "misar-key-shared-across-environments",
            "misar-webhook-secret-hardcoded",
            "misar-webhook-signature-timing-unsafe",
        ]
    );
    for rule in &rules[..3] {
        let help = rule["help"]["markdown"].as_str().unwrap();
        assert!(help.contains("Revoke"), "{help}");
    }
    for rule in rules {
        let severity: f64 = rule["properties"]["security-severity"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!((0.0..=10.0).contains(&severity));
    }

    let results = run0["results"].as_array().unwrap();
    assert_eq!(results.len(), 2);
    let first = &results[0];
    assert_eq!(first["ruleId"], "misar-mail-api-key");
    assert_eq!(first["level"], "error");
    let loc = &first["locations"][0]["physicalLocation"];
    assert_eq!(loc["artifactLocation"]["uri"], "src/with%20space/app.js");
    assert_eq!(loc["region"]["startLine"], 2);
    assert_eq!(loc["region"]["startColumn"], 14);
    assert_eq!(first["properties"]["secret_sha256"], sha256(&a));
    assert_eq!(first["properties"]["product"], "Misar Mail");
    assert_eq!(first["properties"]["verification"], "unverified");
    let fp = first["partialFingerprints"].as_object().unwrap();
    assert_eq!(fp.len(), 1);
    // rules[ruleIndex] is the result's rule.
    let idx = first["ruleIndex"].as_u64().unwrap() as usize;
    assert_eq!(rules[idx]["id"], "misar-mail-api-key");
}

#[test]
fn sarif_with_no_findings_validates() {
    let tree = Tree::new();
    tree.write("a.txt", "hello\n");
    let r = run(tree.path(), &["scan", "-f", "sarif"], &[]);
    assert_eq!(r.code, 0);
    let sarif: Value = serde_json::from_str(&r.stdout).unwrap();
    assert_valid_sarif(&sarif);
    assert_eq!(sarif["runs"][0]["results"].as_array().unwrap().len(), 0);
}

#[test]
fn schema_check_rejects_a_broken_report() {
    // The validator must be able to fail: a result without a message is invalid.
    let bad: Value = serde_json::json!({
        "version": "2.1.0",
        "runs": [{ "tool": { "driver": { "name": "x" } }, "results": [{ "ruleId": "r" }] }]
    });
    assert!(!schema_validator().is_valid(&bad));
}

#[test]
fn fingerprints_ignore_line_moves_but_not_a_different_key() {
    let tree = Tree::new();
    let (a, b) = (fake_key("ask_", 33), fake_key("ask_", 34));
    let fp = |tree: &Tree| -> String {
        let r = run(tree.path(), &["scan", "-f", "sarif"], &[&a, &b]);
        let sarif: Value = serde_json::from_str(&r.stdout).unwrap();
        sarif["runs"][0]["results"][0]["partialFingerprints"]["misarScanSecret/v1"]
            .as_str()
            .unwrap()
            .to_string()
    };
    tree.write("a.env", format!("K={a}\n"));
    let before = fp(&tree);
    tree.write("a.env", format!("# moved\n\n\nK={a}\n"));
    assert_eq!(fp(&tree), before);
    tree.write("a.env", format!("K={b}\n"));
    assert_ne!(fp(&tree), before);
}

#[test]
fn json_report_layout() {
    let tree = Tree::new();
    let k = fake_key("msk_", 35);
    tree.write("x.yaml", format!("apiKey: {k}\n"));
    let r = run(tree.path(), &["scan", "-f", "json"], &[&k]);
    let v = r.json();
    assert_eq!(v["version"], 1);
    assert_eq!(v["tool"]["name"], "misar-scan");
    assert_eq!(v["summary"]["findings"], 1);
    let f = &v["findings"][0];
    for field in [
        "rule_id",
        "rule_name",
        "product",
        "severity",
        "path",
        "line",
        "column",
        "end_column",
        "offset",
        "secret",
        "secret_sha256",
        "fingerprint",
        "verification",
        "snippet",
    ] {
        assert!(!f[field].is_null(), "missing {field}");
    }
    assert_eq!(f["offset"], 8);
    assert_eq!(f["snippet"], format!("apiKey: {}…", &k[..8]));
    assert!(
        f.get("commit").is_none(),
        "no commit fields for file findings"
    );
}
