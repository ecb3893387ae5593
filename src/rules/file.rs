//! `RuleFile`: the serde mirror of one TOML rule file in `rules/`, no logic.
//!
//! Validation and compilation into [`crate::rules::Rule`] happen in
//! `rules/mod.rs`; this module only describes what may be written on disk.

use serde::Deserialize;
use toml::Spanned;

/// One rule as written on disk (see `rules/misar-mail.toml` for an example).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RuleFile {
    pub id: Spanned<String>,
    pub name: String,
    pub product: String,
    pub prefix: Spanned<String>,
    pub body: Spanned<BodyFile>,
    #[serde(default = "default_min_entropy")]
    pub min_entropy: Spanned<f64>,
    #[serde(default)]
    pub severity: Option<Spanned<String>>,
    #[serde(default)]
    pub security_severity: Option<Spanned<f64>>,
    #[serde(default)]
    pub api_base_url: Option<Spanned<String>>,
    pub description: String,
    #[serde(default)]
    pub remediation: Option<String>,
    #[serde(default)]
    pub placeholder_words: Vec<String>,
    #[serde(default)]
    pub examples: Vec<String>,
    #[serde(default)]
    pub negative_examples: Vec<String>,
}

/// The `body = { charset, min_len, max_len }` table.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct BodyFile {
    pub charset: String,
    pub min_len: usize,
    pub max_len: usize,
}

fn default_min_entropy() -> Spanned<f64> {
    Spanned::new(0..0, 3.0)
}

/// A key-hygiene lint as written on disk (`rules/lints/*.toml`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct LintFile {
    pub id: Spanned<String>,
    pub lint: Spanned<String>,
    pub name: String,
    #[serde(default)]
    pub severity: Option<Spanned<String>>,
    #[serde(default)]
    pub security_severity: Option<Spanned<f64>>,
    pub description: String,
    #[serde(default)]
    pub remediation: Option<String>,
    #[serde(default)]
    pub examples: Vec<LintExampleFile>,
    #[serde(default)]
    pub negative_examples: Vec<LintExampleFile>,
}

/// A lint example: files to create (path → text), optionally committed to git.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct LintExampleFile {
    pub files: std::collections::BTreeMap<String, String>,
    #[serde(default)]
    pub git: bool,
}
