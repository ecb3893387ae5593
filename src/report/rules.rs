//! `rules list` and `rules check`: the rules in force as a table, and the
//! summary line of a check against their own examples.

use std::fmt::Write as _;

use crate::examples::ExampleFailure;
use crate::rules::RuleSet;

/// One line per rule (id, prefix, body length, product, origin), then one
/// per lint (id, severity, name, origin).
pub fn list(set: &RuleSet) -> String {
    let mut out = String::new();
    for r in set.rules() {
        let _ = writeln!(
            out,
            "{:<40} key   {:<6} body {}-{} base62  {:<14} {}",
            r.id, r.prefix, r.min_len, r.max_len, r.product, r.origin
        );
    }
    for l in set.lints() {
        let _ = writeln!(
            out,
            "{:<40} lint  {:<8} {}  {}",
            l.id,
            l.severity.as_str(),
            l.name,
            l.origin
        );
    }
    out
}

/// `N rules, N lints, N examples, N failure(s)`.
pub fn check_summary(set: &RuleSet, failures: &[ExampleFailure]) -> String {
    let examples: usize = set
        .rules()
        .iter()
        .map(|r| r.examples.len() + r.negative_examples.len())
        .chain(
            set.lints()
                .iter()
                .map(|l| l.examples.len() + l.negative_examples.len()),
        )
        .sum();
    format!(
        "{} rules, {} lints, {examples} examples, {} failure(s)",
        set.rules().len(),
        set.lints().len(),
        failures.len()
    )
}
