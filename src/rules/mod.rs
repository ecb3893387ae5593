//! Rules: what a Misar key looks like, per product (SPEC §1), and the
//! key-hygiene lints.
//!
//! Rule files are TOML (`rules/*.toml`), one per product, embedded in the
//! binary at build time and extendable with `--rules DIR`. Lint files
//! (`rules/lints/*.toml`, or any rule file with a `lint` field) configure the
//! built-in checks of [`crate::lint`] and [`crate::engine::content`] and carry
//! their own examples ([`crate::examples`] runs them). A file is parsed
//! into a `RuleFile`, validated, and compiled into a [`Rule`]; only
//! compiled rules leave this module. Errors name the file, the rule and the
//! line.

mod file;

use std::fmt;
use std::path::{Path, PathBuf};

use serde::Serialize;

use file::RuleFile;

/// The rule files shipped in `rules/`, embedded at build time.
const EMBEDDED: &[(&str, &str)] = &[
    (
        "rules/misar-mail.toml",
        include_str!("../../rules/misar-mail.toml"),
    ),
    (
        "rules/assisters.toml",
        include_str!("../../rules/assisters.toml"),
    ),
    (
        "rules/misar-dev.toml",
        include_str!("../../rules/misar-dev.toml"),
    ),
    (
        "rules/lints/client-exposed.toml",
        include_str!("../../rules/lints/client-exposed.toml"),
    ),
    (
        "rules/lints/committed-env-file.toml",
        include_str!("../../rules/lints/committed-env-file.toml"),
    ),
    (
        "rules/lints/shared-across-environments.toml",
        include_str!("../../rules/lints/shared-across-environments.toml"),
    ),
    (
        "rules/lints/webhook-secret.toml",
        include_str!("../../rules/lints/webhook-secret.toml"),
    ),
    (
        "rules/lints/webhook-signature-timing.toml",
        include_str!("../../rules/lints/webhook-signature-timing.toml"),
    ),
];

/// The default API base URL when a rule names none (SPEC §2).
pub const DEFAULT_API_BASE_URL: &str = "https://api.misar.io";

/// How bad a finding of a rule is; maps to SARIF `level`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// A leaked credential.
    Error,
    /// A hygiene problem that is not itself a leak.
    Warning,
    /// Informational.
    Note,
}

impl Severity {
    fn parse(s: &str) -> Option<Self> {
        match s {
            "error" => Some(Self::Error),
            "warning" => Some(Self::Warning),
            "note" => Some(Self::Note),
            _ => None,
        }
    }

    /// The lower-case name, as in rule files and reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Error => "error",
            Self::Warning => "warning",
            Self::Note => "note",
        }
    }
}

/// A validated, compiled rule.
#[derive(Debug, Clone)]
pub struct Rule {
    /// Stable identifier; never changes once released (code scanning tracks alerts by it).
    pub id: String,
    /// Human name, e.g. "Misar Mail API key".
    pub name: String,
    /// Product name, e.g. "Misar Mail".
    pub product: String,
    /// The literal prefix, e.g. `msk_`.
    pub prefix: String,
    /// Shortest accepted body, in characters.
    pub min_len: usize,
    /// Longest accepted body; a longer base62 run is not a key of this rule.
    pub max_len: usize,
    /// Minimum Shannon entropy of the body, in bits per character.
    pub min_entropy: f64,
    /// Report level.
    pub severity: Severity,
    /// GitHub `security-severity` (0.0–10.0).
    pub security_severity: f64,
    /// Base URL of the Misar API for this product.
    pub api_base_url: String,
    /// What leaked and what an attacker can do, for an alert reader.
    pub description: String,
    /// What to do now, in Markdown.
    pub remediation: String,
    /// Extra words that mark a body as a documentation placeholder.
    pub placeholder_words: Vec<String>,
    /// Inputs that must yield exactly one finding of this rule.
    pub examples: Vec<String>,
    /// Inputs that must yield no finding of this rule.
    pub negative_examples: Vec<String>,
    /// Where the rule came from (embedded name or file path).
    pub origin: String,
}

/// An error in a rule file: which file, which rule, which line, what is wrong.
#[derive(Debug, thiserror::Error)]
pub enum RuleError {
    /// The file could not be read.
    #[error("failed to read rules from `{path}`: {source}")]
    Read {
        /// The file.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
    /// The file is not a valid rule file.
    #[error("invalid rule file `{path}`{}: {message}", line.map(|l| format!(" line {l}")).unwrap_or_default())]
    Parse {
        /// The file.
        path: String,
        /// 1-based line, where known.
        line: Option<usize>,
        /// What is wrong.
        message: String,
    },
    /// The file parsed but a value is wrong.
    #[error("invalid rule `{rule}` in `{path}` line {line}: {message}")]
    Invalid {
        /// The file.
        path: String,
        /// The rule id.
        rule: String,
        /// 1-based line.
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// A `--rules` directory holds no rule files.
    #[error("no rule files (`*.toml`) in `{0}`")]
    Empty(String),
}

/// The built-in lint checks a lint file can configure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LintCheck {
    /// A key in code served to browsers.
    ClientExposed,
    /// A key in a `.env*` file tracked by git.
    CommittedEnvFile,
    /// The same key configured for several environments.
    SharedAcrossEnvironments,
    /// A webhook signing secret written next to the HMAC call.
    WebhookSecretHardcoded,
    /// A webhook signature compared with `==`/`===`.
    WebhookSignatureTimingUnsafe,
}

impl LintCheck {
    fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "client-exposed" => Self::ClientExposed,
            "committed-env-file" => Self::CommittedEnvFile,
            "shared-across-environments" => Self::SharedAcrossEnvironments,
            "webhook-secret-hardcoded" => Self::WebhookSecretHardcoded,
            "webhook-signature-timing-unsafe" => Self::WebhookSignatureTimingUnsafe,
            _ => return None,
        })
    }
}

/// An example of a lint: files to create, optionally committed to git.
#[derive(Debug, Clone)]
pub struct LintExample {
    /// Path → text.
    pub files: std::collections::BTreeMap<String, String>,
    /// Commit the files to a git repository first.
    pub git: bool,
}

/// A validated key-hygiene lint.
#[derive(Debug, Clone)]
pub struct Lint {
    /// Stable identifier.
    pub id: String,
    /// The check it configures.
    pub check: LintCheck,
    /// Human name.
    pub name: String,
    /// Report level.
    pub severity: Severity,
    /// GitHub `security-severity`.
    pub security_severity: f64,
    /// What is wrong, for an alert reader.
    pub description: String,
    /// What to do, in Markdown.
    pub remediation: String,
    /// Each must yield exactly one finding of this lint.
    pub examples: Vec<LintExample>,
    /// Each must yield none.
    pub negative_examples: Vec<LintExample>,
    /// Where it came from.
    pub origin: String,
}

/// All loaded rules and lints, in a stable order (by id).
#[derive(Debug, Clone)]
pub struct RuleSet {
    rules: Vec<Rule>,
    lints: Vec<Lint>,
}

/// A parsed rule file: a key rule or a lint.
pub(crate) enum Parsed {
    Key(Rule),
    Lint(Lint),
}

impl RuleSet {
    /// The rules shipped with misar-scan.
    pub fn embedded() -> Result<Self, RuleError> {
        let parsed = EMBEDDED
            .iter()
            .map(|(name, text)| parse_file(name, text))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self::from_parsed(parsed))
    }

    /// The embedded rules extended by every `*.toml` in `dir`; a rule whose id
    /// matches an embedded one replaces it (to change its length range, say).
    pub fn embedded_and_dir(dir: &Path) -> Result<Self, RuleError> {
        let mut set = Self::embedded()?;
        for parsed in load_dir(dir)? {
            let id = match &parsed {
                Parsed::Key(r) => r.id.clone(),
                Parsed::Lint(l) => l.id.clone(),
            };
            set.rules.retain(|r| r.id != id);
            set.lints.retain(|l| l.id != id);
            match parsed {
                Parsed::Key(r) => set.rules.push(r),
                Parsed::Lint(l) => set.lints.push(l),
            }
        }
        set.rules.sort_by(|a, b| a.id.cmp(&b.id));
        set.lints.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(set)
    }

    fn from_parsed(parsed: Vec<Parsed>) -> Self {
        let mut rules = Vec::new();
        let mut lints = Vec::new();
        for p in parsed {
            match p {
                Parsed::Key(r) => rules.push(r),
                Parsed::Lint(l) => lints.push(l),
            }
        }
        rules.sort_by(|a, b| a.id.cmp(&b.id));
        lints.sort_by(|a, b| a.id.cmp(&b.id));
        Self { rules, lints }
    }

    /// Turn off the rules and lints whose ids `drop` names.
    pub fn disable(&mut self, drop: &[String]) {
        self.rules.retain(|r| !drop.contains(&r.id));
        self.lints.retain(|l| !drop.contains(&l.id));
    }

    /// Whether a rule or lint has this id.
    pub fn has_id(&self, id: &str) -> bool {
        self.get(id).is_some() || self.lint(id).is_some()
    }

    /// The lints in force.
    pub fn lints(&self) -> &[Lint] {
        &self.lints
    }

    /// The lint with this id.
    pub fn lint(&self, id: &str) -> Option<&Lint> {
        self.lints.iter().find(|l| l.id == id)
    }

    /// The lint running `check`, if it is on.
    pub fn lint_for(&self, check: LintCheck) -> Option<&Lint> {
        self.lints.iter().find(|l| l.check == check)
    }

    /// All rules.
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// The rule with this id.
    pub fn get(&self, id: &str) -> Option<&Rule> {
        self.rules.iter().find(|r| r.id == id)
    }

    /// The longest key any rule accepts, prefix included.
    pub fn max_key_len(&self) -> usize {
        self.rules
            .iter()
            .map(|r| r.prefix.len() + r.max_len)
            .max()
            .unwrap_or(0)
    }

    /// The shortest key any rule accepts, prefix included (0 with no rules).
    pub fn min_key_len(&self) -> usize {
        self.rules
            .iter()
            .map(|r| r.prefix.len() + r.min_len)
            .min()
            .unwrap_or(0)
    }
}

/// Every `*.toml` in `dir` (not recursive), sorted by name.
fn load_dir(dir: &Path) -> Result<Vec<Parsed>, RuleError> {
    let shown = dir.display().to_string();
    let entries = std::fs::read_dir(dir).map_err(|source| RuleError::Read {
        path: shown.clone(),
        source,
    })?;
    let mut paths: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    paths.sort();
    if paths.is_empty() {
        return Err(RuleError::Empty(shown));
    }
    paths
        .iter()
        .map(|p| {
            let name = p.display().to_string();
            let text = std::fs::read_to_string(p).map_err(|source| RuleError::Read {
                path: name.clone(),
                source,
            })?;
            parse_file(&name, &text)
        })
        .collect()
}

fn line_of(text: &str, offset: usize) -> usize {
    text.as_bytes()[..offset.min(text.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

/// Parse and validate one rule or lint file (a lint file has a `lint` field).
pub(crate) fn parse_file(path: &str, text: &str) -> Result<Parsed, RuleError> {
    let is_lint = text
        .parse::<toml::Table>()
        .map(|t| t.contains_key("lint"))
        .unwrap_or(false);
    if is_lint {
        parse_lint(path, text).map(Parsed::Lint)
    } else {
        parse_rule(path, text).map(Parsed::Key)
    }
}

fn parse_severity(
    s: Option<&toml::Spanned<String>>,
    default: Severity,
    invalid: &dyn Fn(std::ops::Range<usize>, String) -> RuleError,
) -> Result<Severity, RuleError> {
    match s {
        None => Ok(default),
        Some(s) => Severity::parse(s.get_ref()).ok_or_else(|| {
            invalid(
                s.span(),
                format!(
                    "unknown `severity` `{}` (expected `error`, `warning` or `note`)",
                    s.get_ref()
                ),
            )
        }),
    }
}

fn parse_security_severity(
    s: Option<&toml::Spanned<f64>>,
    invalid: &dyn Fn(std::ops::Range<usize>, String) -> RuleError,
) -> Result<f64, RuleError> {
    match s {
        None => Ok(8.0),
        Some(s) if (0.0..=10.0).contains(s.get_ref()) => Ok(*s.get_ref()),
        Some(s) => Err(invalid(
            s.span(),
            "`security_severity` must be between 0.0 and 10.0".into(),
        )),
    }
}

fn parse_lint(path: &str, text: &str) -> Result<Lint, RuleError> {
    let file: file::LintFile = toml::from_str(text).map_err(|e| RuleError::Parse {
        path: path.to_string(),
        line: e.span().map(|s| line_of(text, s.start)),
        message: e.message().trim().to_string(),
    })?;
    let id = file.id.get_ref().clone();
    let invalid = |span: std::ops::Range<usize>, message: String| RuleError::Invalid {
        path: path.to_string(),
        rule: id.clone(),
        line: line_of(text, span.start),
        message,
    };
    let check = LintCheck::parse(file.lint.get_ref()).ok_or_else(|| {
        invalid(
            file.lint.span(),
            format!(
                "unknown `lint` `{}` (expected `client-exposed`, `committed-env-file`, `shared-across-environments`, `webhook-secret-hardcoded` or `webhook-signature-timing-unsafe`)",
                file.lint.get_ref()
            ),
        )
    })?;
    let severity = parse_severity(file.severity.as_ref(), Severity::Warning, &invalid)?;
    let security_severity = parse_security_severity(file.security_severity.as_ref(), &invalid)?;
    if file.examples.is_empty() {
        return Err(invalid(
            file.id.span(),
            "a lint needs at least one entry in `examples`".into(),
        ));
    }
    let example = |e: file::LintExampleFile| LintExample {
        files: e.files,
        git: e.git,
    };
    Ok(Lint {
        id,
        check,
        name: file.name,
        severity,
        security_severity,
        description: file.description.trim().to_string(),
        remediation: file.remediation.unwrap_or_default().trim().to_string(),
        examples: file.examples.into_iter().map(example).collect(),
        negative_examples: file.negative_examples.into_iter().map(example).collect(),
        origin: path.to_string(),
    })
}

/// Parse and validate one key rule file.
pub(crate) fn parse_rule(path: &str, text: &str) -> Result<Rule, RuleError> {
    let file: RuleFile = toml::from_str(text).map_err(|e| RuleError::Parse {
        path: path.to_string(),
        line: e.span().map(|s| line_of(text, s.start)),
        message: e.message().trim().to_string(),
    })?;
    let id = file.id.get_ref().clone();
    let invalid = |span: std::ops::Range<usize>, message: String| RuleError::Invalid {
        path: path.to_string(),
        rule: id.clone(),
        line: line_of(text, span.start),
        message,
    };

    if id.is_empty()
        || !id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    {
        return Err(invalid(
            file.id.span(),
            "`id` must be non-empty lower-case letters, digits and `-`".into(),
        ));
    }
    let prefix = file.prefix.get_ref();
    if prefix.is_empty() || !prefix.is_ascii() || prefix.bytes().any(|b| b.is_ascii_whitespace()) {
        return Err(invalid(
            file.prefix.span(),
            format!("`prefix` must be non-empty printable ASCII, got `{prefix}`"),
        ));
    }
    let body = file.body.get_ref();
    if body.charset != "base62" {
        return Err(invalid(
            file.body.span(),
            format!(
                "unknown `body.charset` `{}` (supported: `base62`)",
                body.charset
            ),
        ));
    }
    if body.min_len == 0 || body.min_len > body.max_len {
        return Err(invalid(
            file.body.span(),
            format!(
                "`body.min_len` ({}) must be at least 1 and at most `body.max_len` ({})",
                body.min_len, body.max_len
            ),
        ));
    }
    if body.max_len > 4096 {
        return Err(invalid(
            file.body.span(),
            format!(
                "`body.max_len` ({}) is over the limit of 4096",
                body.max_len
            ),
        ));
    }
    let min_entropy = *file.min_entropy.get_ref();
    if !(0.0..=8.0).contains(&min_entropy) {
        return Err(invalid(
            file.min_entropy.span(),
            format!("`min_entropy` ({min_entropy}) must be between 0 and 8 bits per character"),
        ));
    }
    let severity = parse_severity(file.severity.as_ref(), Severity::Error, &invalid)?;
    let security_severity = parse_security_severity(file.security_severity.as_ref(), &invalid)?;
    let api_base_url = match &file.api_base_url {
        None => DEFAULT_API_BASE_URL.to_string(),
        Some(u) => {
            let url = u.get_ref().trim_end_matches('/').to_string();
            if !(url.starts_with("https://") || url.starts_with("http://")) {
                return Err(invalid(
                    u.span(),
                    format!("`api_base_url` must be an http(s) URL, got `{url}`"),
                ));
            }
            url
        }
    };
    if file.examples.is_empty() {
        return Err(invalid(
            file.id.span(),
            "a rule needs at least one entry in `examples`".into(),
        ));
    }
    Ok(Rule {
        id,
        name: file.name,
        product: file.product,
        prefix: prefix.clone(),
        min_len: body.min_len,
        max_len: body.max_len,
        min_entropy,
        severity,
        security_severity,
        api_base_url,
        description: file.description.trim().to_string(),
        remediation: file.remediation.unwrap_or_default().trim().to_string(),
        placeholder_words: file
            .placeholder_words
            .iter()
            .map(|w| w.to_ascii_lowercase())
            .collect(),
        examples: file.examples,
        negative_examples: file.negative_examples,
        origin: path.to_string(),
    })
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({}…)", self.id, self.prefix)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_rules_load_and_are_sorted() {
        let set = RuleSet::embedded().unwrap();
        let ids: Vec<_> = set.rules().iter().map(|r| r.id.as_str()).collect();
        assert_eq!(
            ids,
            [
                "assisters-api-key",
                "misar-dev-api-key",
                "misar-mail-api-key"
            ]
        );
        assert_eq!(set.get("misar-mail-api-key").unwrap().prefix, "msk_");
        assert_eq!(set.max_key_len(), 4 + 128);
    }

    #[test]
    fn bad_value_names_file_rule_and_line() {
        let text = "id = \"x-key\"\nname = \"X\"\nproduct = \"X\"\nprefix = \"x_\"\nbody = { charset = \"base62\", min_len = 30, max_len = 20 }\ndescription = \"d\"\nexamples = [\"x_abc\"]\n";
        let err = parse_rule("rules/x.toml", text).unwrap_err().to_string();
        assert!(err.contains("`rules/x.toml` line 5"), "{err}");
        assert!(err.contains("rule `x-key`"), "{err}");
        assert!(err.contains("min_len"), "{err}");
    }

    #[test]
    fn syntax_error_names_line() {
        let err = parse_rule("r.toml", "id = \"a\"\nname = \n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("`r.toml` line 2"), "{err}");
    }

    #[test]
    fn unknown_field_is_an_error() {
        let text = "id = \"x-key\"\nname = \"X\"\nproduct = \"X\"\nprefix = \"x_\"\nbody = { charset = \"base62\", min_len = 3, max_len = 20 }\ndescription = \"d\"\nexamples = [\"x_abc\"]\nregex = \"x\"\n";
        let err = parse_rule("r.toml", text).unwrap_err().to_string();
        assert!(err.contains("regex"), "{err}");
    }

    #[test]
    fn rule_without_examples_is_rejected() {
        let text = "id = \"x-key\"\nname = \"X\"\nproduct = \"X\"\nprefix = \"x_\"\nbody = { charset = \"base62\", min_len = 3, max_len = 20 }\ndescription = \"d\"\n";
        let err = parse_rule("r.toml", text).unwrap_err().to_string();
        assert!(err.contains("examples"), "{err}");
    }
}
