//! SARIF shaped for GitHub code scanning (issue 6): fingerprints stable
//! across runs, checkouts and moved lines; `automationDetails.id` per scan
//! mode; rule help with remediation; `security-severity` on every rule.

mod common;

use common::{fake_key, Sandbox};
use serde_json::Value;

fn sarif(run: &common::Run) -> Value {
    serde_json::from_str(&run.stdout)
        .unwrap_or_else(|e| panic!("not SARIF ({e}): {}\n{}", run.stdout, run.stderr))
}

fn fingerprints(doc: &Value) -> Vec<(String, String)> {
    doc["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["ruleId"].as_str().unwrap().to_string(),
                r["partialFingerprints"]["misarScanSecret/v1"]
                    .as_str()
                    .unwrap()
                    .to_string(),
            )
        })
        .collect()
}

#[test]
fn fingerprints_are_identical_across_checkouts_and_moved_lines() {
    let sb = Sandbox::new();
    let leaked = fake_key("msk_", 701);
    let a = sb.repo("first/checkout");
    a.write("config/app.env", &format!("A=1\nKEY={leaked}\n"));
    a.commit("one");
    // Another clone elsewhere, where the key sits three lines lower.
    let b = sb.repo("second/place/elsewhere");
    b.write(
        "config/app.env",
        &format!("# moved\n\n\nA=1\nKEY={leaked}\n"),
    );
    b.commit("one, but different");
    let keys = [leaked.as_str()];
    let mut seen = Vec::new();
    for repo in [&a.path, &b.path] {
        for args in [
            &["scan", "-f", "sarif"][..],
            &["scan", "--git", "-f", "sarif"],
        ] {
            let run = sb.scan(repo, args, &keys);
            assert_eq!(run.code, 1, "{}", run.stderr);
            let fp = fingerprints(&sarif(&run));
            assert_eq!(fp.len(), 1, "{fp:?}");
            seen.push(fp);
        }
    }
    assert!(seen.windows(2).all(|w| w[0] == w[1]), "{seen:?}");
    // Runs twice in a row agree too (nothing random, no timestamps).
    let again = sb.scan(&b.path, &["scan", "--git", "-f", "sarif"], &keys);
    assert_eq!(fingerprints(&sarif(&again)), seen[0]);
}

#[test]
fn automation_details_id_names_each_scan_mode() {
    let sb = Sandbox::new();
    let repo = sb.repo("r");
    let leaked = fake_key("ask_", 702);
    repo.write("a.txt", "a\n");
    let base = repo.commit("base");
    repo.write("b.txt", &format!("{leaked}\n"));
    repo.commit("key");
    repo.write("c.txt", &format!("{leaked}\n"));
    repo.git(&["add", "c.txt"]);
    let range = format!("{base}..HEAD");
    for (args, id) in [
        (vec!["scan", "-f", "sarif"], "misar-scan/fs/"),
        (vec!["scan", "--git", "-f", "sarif"], "misar-scan/git/"),
        (
            vec!["scan", "--git", "--range", range.as_str(), "-f", "sarif"],
            "misar-scan/range/",
        ),
        (
            vec!["scan", "--staged", "-f", "sarif"],
            "misar-scan/staged/",
        ),
    ] {
        let run = sb.scan(&repo.path, &args, &[&leaked]);
        assert_eq!(run.code, 1, "{args:?}: {}", run.stderr);
        let doc = sarif(&run);
        assert_eq!(doc["runs"][0]["automationDetails"]["id"], id, "{args:?}");
    }
}

#[test]
fn every_rule_has_markdown_remediation_and_a_security_severity() {
    let sb = Sandbox::new();
    let repo = sb.repo("r");
    repo.write("a.txt", "nothing\n");
    repo.commit("a");
    let run = sb.scan(&repo.path, &["scan", "-f", "sarif"], &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let doc = sarif(&run);
    let rules = doc["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap();
    assert!(!rules.is_empty());
    for rule in rules {
        let md = rule["help"]["markdown"].as_str().unwrap();
        assert!(md.contains("**What to do now**"), "{md}");
        assert!(md.contains("misar-scan:allow"), "{md}");
        let severity: f64 = rule["properties"]["security-severity"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!((0.1..=10.0).contains(&severity), "{}", rule["id"]);
        assert!(rule["properties"]["tags"]
            .as_array()
            .unwrap()
            .contains(&Value::from("security")));
    }
    for rule in &rules[..3] {
        let md = rule["help"]["markdown"].as_str().unwrap().to_lowercase();
        for word in ["revoke", "secret"] {
            assert!(md.contains(word), "{} lacks `{word}`: {md}", rule["id"]);
        }
    }
}
