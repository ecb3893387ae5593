//! Rules and lints test themselves against their own examples (`rules
//! check`, the test suite, the fuzz targets): every rule file and lint file
//! carries examples that must each yield one finding and negative examples
//! that must yield none.
//!
//! A rule's examples are strings run through the engine
//! ([`check_rule_examples`]). A lint's examples are small trees of files —
//! written to a temporary folder, committed to git when the example says
//! `git = true` — scanned like a folder on disk, content lints and key lints
//! included ([`check_lint_examples`]).

use std::path::Path;

use crate::config::RepoConfig;
use crate::engine::content::ContentLinter;
use crate::engine::Scanner;
use crate::finding::Finding;
use crate::lint::{key_lints, GitIndex};
use crate::rules::{LintExample, RuleSet};
use crate::source::fs::{scan_paths, WalkOptions};
use crate::source::{Problems, ScanContext};

/// A rule example that did not behave as the rule file says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExampleFailure {
    /// The rule.
    pub rule_id: String,
    /// The example text (redacted in messages).
    pub example: String,
    /// What went wrong.
    pub problem: String,
}

impl std::fmt::Display for ExampleFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "rule `{}`: {} in example `{}`",
            self.rule_id,
            self.problem,
            crate::secret::redact(&self.example)
        )
    }
}

/// Run every rule against its own `examples` (each must yield exactly one
/// finding, of that rule) and `negative_examples` (none at all).
pub fn check_rule_examples(rules: &RuleSet) -> Vec<ExampleFailure> {
    let scanner = Scanner::new(rules, &[]);
    let mut failures = Vec::new();
    for (i, rule) in rules.rules().iter().enumerate() {
        let mut found = Vec::new();
        for example in &rule.examples {
            found.clear();
            scanner.find(example.as_bytes(), &mut found);
            let problem = match found.as_slice() {
                [one] if one.rule == i => continue,
                [one] => format!("matched rule `{}` instead", rules.rules()[one.rule].id),
                [] => "no finding".to_string(),
                many => format!("{} findings instead of one", many.len()),
            };
            failures.push(ExampleFailure {
                rule_id: rule.id.clone(),
                example: example.clone(),
                problem,
            });
        }
        for example in &rule.negative_examples {
            found.clear();
            scanner.find(example.as_bytes(), &mut found);
            if !found.is_empty() {
                failures.push(ExampleFailure {
                    rule_id: rule.id.clone(),
                    example: example.clone(),
                    problem: format!("{} finding(s) in a negative example", found.len()),
                });
            }
        }
    }
    failures
}

/// Run every lint against its own examples: each example (files written to a
/// temporary folder, committed to git when it says `git = true`) must yield
/// exactly one finding of that lint, each negative example none.
pub fn check_lint_examples(rules: &RuleSet) -> Vec<ExampleFailure> {
    let mut failures = Vec::new();
    for lint in rules.lints() {
        let cases = lint
            .examples
            .iter()
            .map(|e| (e, 1))
            .chain(lint.negative_examples.iter().map(|e| (e, 0)));
        for (example, expected) in cases {
            let label = example.files.keys().cloned().collect::<Vec<_>>().join(", ");
            let problem = match run_example(rules, example) {
                Ok(findings) => {
                    let n = findings.iter().filter(|f| f.rule_id == lint.id).count();
                    if n == expected {
                        continue;
                    }
                    format!("{n} finding(s) where {expected} expected")
                }
                Err(e) => format!("could not run the example: {e}"),
            };
            failures.push(ExampleFailure {
                rule_id: lint.id.clone(),
                example: label,
                problem,
            });
        }
    }
    failures
}

fn run_example(rules: &RuleSet, example: &LintExample) -> anyhow::Result<Vec<Finding>> {
    let dir = tempfile::tempdir()?;
    for (path, text) in &example.files {
        let full = dir.path().join(path);
        if let Some(parent) = full.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(&full, text)?;
    }
    if example.git {
        let repo = git2::Repository::init(dir.path())?;
        let mut index = repo.index()?;
        for path in example.files.keys() {
            index.add_path(Path::new(path))?;
        }
        index.write()?;
    }
    let config = RepoConfig::empty();
    let scanner = Scanner::new(rules, &[]);
    let linter = ContentLinter::new(rules);
    let problems = Problems::silent();
    let ctx = ScanContext {
        scanner: &scanner,
        rules,
        config: &config,
        redact: true,
        archives: true,
        archive_limit: crate::source::archive::DEFAULT_LIMIT,
        problems: &problems,
        linter: linter.as_ref(),
    };
    let walk = WalkOptions {
        threads: 1,
        ..WalkOptions::default()
    };
    let (mut findings, _) = scan_paths(&[dir.path().to_path_buf()], &walk, &ctx);
    let mut index = GitIndex::default();
    let lints = key_lints(&findings, rules, &mut |f| index.tracked(Path::new(&f.path)));
    findings.extend(lints);
    Ok(findings)
}
