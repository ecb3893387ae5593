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

fn assert_valid_sarif(doc: &Value) {
    let schema: Value =
        serde_json::from_str(include_str!("fixtures/sarif-schema-2.1.0.json")).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(doc)
        .take(5)
        .map(|e| format!("{e} at {}", e.instance_path))
        .collect();
    assert!(errors.is_empty(), "invalid SARIF: {errors:#?}");
}

/// Past GitHub's limits (SPEC §4): a tree with 25,100 distinct keys, and one
/// key shared by 1,200 `.env.production`/`.env.staging` files (one lint
/// result naming 1,199 other places).
#[test]
fn sarif_stays_within_githubs_limits_and_json_keeps_everything() {
    let sb = Sandbox::new();
    let tree = sb.path("tree");
    std::fs::create_dir_all(&tree).unwrap();
    let bulk: String = (0..25_100u64)
        .map(|i| format!("k{i}={}\n", fake_key("msk_", 160_000 + i)))
        .collect();
    std::fs::write(tree.join("bulk.txt"), bulk).unwrap();
    let shared = fake_key("ask_", 1_699);
    for i in 0..600 {
        let dir = tree.join(format!("svc{i:03}"));
        std::fs::create_dir_all(&dir).unwrap();
        for env in ["production", "staging"] {
            std::fs::write(dir.join(format!(".env.{env}")), format!("K={shared}\n")).unwrap();
        }
    }

    let run = sb.scan(&tree, &["scan", "-f", "sarif"], &[&shared]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let doc = sarif(&run);
    // The shape is the same in every result: validate a sample (the whole
    // document takes the validator most of a minute in a debug build).
    let mut sample = doc.clone();
    sample["runs"][0]["results"]
        .as_array_mut()
        .unwrap()
        .truncate(200);
    assert_valid_sarif(&sample);
    let results = doc["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), 25_000);
    let props = &doc["runs"][0]["properties"]["misar-scan"];
    assert_eq!(props["results_total"], 26_301, "{props}");
    assert_eq!(props["results_omitted"], 1_301, "{props}");
    assert!(
        run.stderr.contains("keeps 25000 of 26301 results"),
        "{}",
        run.stderr
    );
    // Every key finding (errors) outranks the one lint (a warning).
    assert!(results.iter().all(|r| r["level"] == "error"));
    let max_related = results
        .iter()
        .map(|r| r["relatedLocations"].as_array().map_or(0, Vec::len))
        .max()
        .unwrap();
    assert!(max_related <= 1_000);
    let gz = {
        use std::io::Write;
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(run.stdout.as_bytes()).unwrap();
        e.finish().unwrap().len()
    };
    assert!(gz < 10_000_000, "{gz} bytes gzipped");

    // The JSON report has all of them, the lint with its 1,199 places.
    let run = sb.scan(&tree, &["scan", "-f", "json"], &[&shared]);
    let all = run.findings();
    assert_eq!(all.len(), 26_301);
    let lint = all
        .iter()
        .find(|f| f["rule_id"] == "misar-key-shared-across-environments")
        .expect("the shared-key lint");
    assert_eq!(lint["related"].as_array().unwrap().len(), 1_199);

    // The lint alone: kept, with its first 1,000 places and the count of the rest.
    std::fs::remove_file(tree.join("bulk.txt")).unwrap();
    let run = sb.scan(&tree, &["scan", "-f", "sarif"], &[&shared]);
    let doc = sarif(&run);
    assert_valid_sarif(&doc);
    let lint = doc["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["ruleId"] == "misar-key-shared-across-environments")
        .expect("the lint result");
    assert_eq!(lint["relatedLocations"].as_array().unwrap().len(), 1_000);
    assert!(
        lint["message"]["text"]
            .as_str()
            .unwrap()
            .contains("199 more places are not listed"),
        "{}",
        lint["message"]["text"]
    );
    assert_eq!(
        doc["runs"][0]["properties"]["misar-scan"]["results_with_locations_omitted"],
        1
    );
    assert!(
        run.stderr.contains("first 1000 related locations"),
        "{}",
        run.stderr
    );
}
