//! `misar-scan rules list|check`: show the rules in force, or run each rule
//! against its own examples (for authors of `--rules DIR`).

#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::path::PathBuf;

use anyhow::Result;
use clap::{Args, Subcommand};

use super::Outcome;
use crate::config::{load_rules, RepoConfig};
use crate::examples::{check_lint_examples, check_rule_examples};
use crate::report;
use crate::sanitize::sanitize;

/// Options of `rules`.
#[derive(Debug, Args)]
#[command(
    after_help = "The shipped rules (one TOML file per product in `rules/`) are built in. \
`--rules DIR` adds every `*.toml` in DIR; a rule with a built-in id replaces it. Every rule \
carries examples that must each yield one finding, and negative examples that must yield none.\n\n\
Examples:\n  misar-scan rules list\n  misar-scan rules list --rules my-rules/\n  misar-scan rules check --rules my-rules/   run each rule against its examples (exit 1 on a failure)"
)]
pub struct RulesArgs {
    /// What to do with the rules.
    #[command(subcommand)]
    pub action: RulesAction,
}

/// `rules` subcommands.
#[derive(Debug, Subcommand)]
pub enum RulesAction {
    /// List the rules in force: id, prefix, body length, product.
    List {
        /// Also load every `*.toml` in DIR.
        #[arg(long, value_name = "DIR")]
        rules: Option<PathBuf>,
    },
    /// Check every rule against its examples and negative examples; exit 1 on a failure.
    Check {
        /// Also load every `*.toml` in DIR.
        #[arg(long, value_name = "DIR")]
        rules: Option<PathBuf>,
    },
}

/// Run `rules`.
pub fn run(args: RulesArgs) -> Result<Outcome> {
    match args.action {
        RulesAction::List { rules } => {
            let set = load_rules(rules.as_deref(), &RepoConfig::empty())?;
            print!("{}", report::rules::list(&set));
            Ok(Outcome::default())
        }
        RulesAction::Check { rules } => {
            let set = load_rules(rules.as_deref(), &RepoConfig::empty())?;
            let mut failures = check_rule_examples(&set);
            failures.extend(check_lint_examples(&set));
            for f in &failures {
                eprintln!("error: {}", sanitize(&f.to_string()));
            }
            println!("{}", report::rules::check_summary(&set, &failures));
            Ok(Outcome {
                findings: failures.len(),
                ..Outcome::default()
            })
        }
    }
}
