//! Every rule file in `rules/` runs against its own examples: each example
//! yields exactly one finding of that rule, each negative example none. A rule
//! change that breaks an example fails here.

use misar_scan::examples::check_rule_examples;
use misar_scan::rules::RuleSet;

/// One failure a line, for an assertion message.
fn lines(failures: &[impl ToString]) -> String {
    failures
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn every_shipped_rule_passes_its_own_examples() {
    let rules = RuleSet::embedded().unwrap();
    let failures = check_rule_examples(&rules);
    assert!(failures.is_empty(), "{}", lines(&failures));
    for rule in rules.rules() {
        assert!(rule.examples.len() >= 5, "{} needs more examples", rule.id);
        assert!(
            rule.negative_examples.len() >= 5,
            "{} needs more negative examples",
            rule.id
        );
    }
}

#[test]
fn every_file_in_rules_dir_is_embedded() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("rules");
    let from_disk = RuleSet::embedded_and_dir(&dir).unwrap();
    let embedded = RuleSet::embedded().unwrap();
    let ids = |s: &RuleSet| s.rules().iter().map(|r| r.id.clone()).collect::<Vec<_>>();
    assert_eq!(ids(&from_disk), ids(&embedded));
}

#[test]
fn spec_decoys_are_negative_examples_of_the_mail_rule() {
    let rules = RuleSet::embedded().unwrap();
    let mail = rules.get("misar-mail-api-key").unwrap();
    for decoy in [
        "msk_your_api_key",
        "msk_key",
        "msk_SHOWN_ONCE_STORE_IMMEDIATELY",
        "msk_...",
        "msk_<your key>",
    ] {
        assert!(mail.negative_examples.iter().any(|n| n == decoy), "{decoy}");
    }
    for glued in ["task_", "mask_", "flask_", "MSK_"] {
        assert!(
            mail.negative_examples.iter().any(|n| n.starts_with(glued)),
            "{glued}"
        );
    }
}

#[test]
fn a_broken_example_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("bad.toml"),
        "id = \"bad-key\"\nname = \"Bad\"\nproduct = \"Bad\"\nprefix = \"bad_\"\nbody = { charset = \"base62\", min_len = 20, max_len = 40 }\ndescription = \"d\"\nexamples = [\"bad_tooShort\"]\nnegative_examples = [\"x=bad_Zq8Lp2Xv9Rk4Tw7Yb3Nc6Md1\"]\n",
    )
    .unwrap();
    let rules = RuleSet::embedded_and_dir(dir.path()).unwrap();
    let failures = check_rule_examples(&rules);
    assert_eq!(failures.len(), 2, "{failures:?}");
    assert!(failures.iter().all(|f| f.rule_id == "bad-key"));
}

#[test]
fn every_shipped_lint_passes_its_own_examples() {
    let rules = RuleSet::embedded().unwrap();
    assert_eq!(rules.lints().len(), 5);
    let failures = misar_scan::examples::check_lint_examples(&rules);
    assert!(failures.is_empty(), "{}", lines(&failures));
    for lint in rules.lints() {
        assert!(
            !lint.examples.is_empty() && !lint.negative_examples.is_empty(),
            "{}",
            lint.id
        );
    }
}

#[test]
fn a_lint_example_that_does_not_fire_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("lint.toml"),
        "id = \"misar-client-exposed-key\"\nlint = \"client-exposed\"\nname = \"x\"\ndescription = \"d\"\n\n[[examples]]\nfiles = { \"src/server.ts\" = \"const k = 'msk_Zq8Lp2Xv9Rk4Tw7Yb3Nc6Md1'\" }\n",
    )
    .unwrap();
    let rules = RuleSet::embedded_and_dir(dir.path()).unwrap();
    let failures = misar_scan::examples::check_lint_examples(&rules);
    assert_eq!(failures.len(), 1, "{failures:?}");
    assert!(failures[0]
        .problem
        .contains("0 finding(s) where 1 expected"));
}
