//! For unit tests: the built-in rules, an empty configuration and a scanner,
//! and a redacting [`ScanContext`] over them (no archives, no content lints).

use super::{Problems, ScanContext};
use crate::config::RepoConfig;
use crate::engine::Scanner;
use crate::rules::RuleSet;

/// What a [`ScanContext`] borrows.
pub(crate) struct TestEngine {
    pub(crate) rules: RuleSet,
    pub(crate) config: RepoConfig,
    pub(crate) scanner: Scanner,
    pub(crate) problems: Problems,
}

impl TestEngine {
    /// The built-in rules, nothing configured.
    pub(crate) fn new() -> Self {
        let rules = RuleSet::embedded().unwrap();
        let scanner = Scanner::new(&rules, &[]);
        Self {
            rules,
            config: RepoConfig::empty(),
            scanner,
            problems: Problems::silent(),
        }
    }

    /// A redacting context: no archives, no content lints.
    pub(crate) fn ctx(&self) -> ScanContext<'_> {
        ScanContext {
            scanner: &self.scanner,
            rules: &self.rules,
            config: &self.config,
            redact: true,
            archives: false,
            archive_limit: 0,
            problems: &self.problems,
            linter: None,
        }
    }
}
