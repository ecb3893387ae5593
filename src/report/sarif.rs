//! The SARIF 2.1.0 report, for GitHub code scanning (SPEC §4).
//!
//! Built with serde-sarif from the same finding model as the JSON report:
//! one run; `tool.driver.rules` from the rule files (with Markdown help and
//! `security-severity`); per result `ruleId`, `level`, a redacted message, a
//! relative percent-encoded `uri`, a region in UTF-16 columns (the run's
//! `columnKind`), `partialFingerprints` from rule id + path + key hash (never
//! the line), and `properties` with `secret_sha256`, `product`,
//! `verification` (with `verification_reason`, `can_manage_keys` and the
//! key's list entry `key` when verified) and, for history findings,
//! `commit`, `author`, `date`.

use std::collections::BTreeMap;

use serde_json::{json, Value};
use serde_sarif::sarif::{
    ArtifactContent, ArtifactLocation, Invocation, Location, Message, MultiformatMessageString,
    PhysicalLocation, PropertyBag, Region, ReportingConfiguration, ReportingDescriptor,
    Result as SarifResult, ResultLevel, Run, RunAutomationDetails, Sarif, Tool, ToolComponent,
};

use super::Report;
use crate::engine::decode::Encoding;
use crate::finding::Finding;
use crate::rules::{Lint, Rule, Severity};

/// The `$schema` GitHub and most tools expect.
pub const SCHEMA_URI: &str = "https://json.schemastore.org/sarif-2.1.0.json";

/// Key of our entry in `partialFingerprints`.
pub const FINGERPRINT_KEY: &str = "misarScanSecret/v1";

fn level(severity: Severity) -> ResultLevel {
    match severity {
        Severity::Error => ResultLevel::Error,
        Severity::Warning => ResultLevel::Warning,
        Severity::Note => ResultLevel::Note,
    }
}

fn properties(values: BTreeMap<String, Value>) -> PropertyBag {
    PropertyBag::builder().additional_properties(values).build()
}

/// The fields of a `tool.driver.rules` entry, for key rules and lints alike.
struct RuleText<'a> {
    id: &'a str,
    name: &'a str,
    description: &'a str,
    remediation: &'a str,
    severity: Severity,
    security_severity: f64,
    extra: Vec<(&'static str, Value)>,
    tags: Vec<&'static str>,
}

fn key_rule_text(rule: &Rule) -> RuleText<'_> {
    RuleText {
        id: &rule.id,
        name: &rule.name,
        description: &rule.description,
        remediation: &rule.remediation,
        severity: rule.severity,
        security_severity: rule.security_severity,
        extra: vec![
            ("product", json!(rule.product)),
            ("prefix", json!(rule.prefix)),
        ],
        tags: vec!["security", "secret", "external/cwe/cwe-798"],
    }
}

fn lint_text(lint: &Lint) -> RuleText<'_> {
    RuleText {
        id: &lint.id,
        name: &lint.name,
        description: &lint.description,
        remediation: &lint.remediation,
        severity: lint.severity,
        security_severity: lint.security_severity,
        extra: vec![("lint", json!(true))],
        tags: vec!["security", "key-hygiene"],
    }
}

fn descriptor(rule: RuleText<'_>) -> ReportingDescriptor {
    let help_md = format!(
        "{}\n\n**What to do now**\n\n{}\n\nSuppress a test fixture with a `misar-scan:allow` comment on the line, list its path under `[allowlist] paths` in `.misar-scan.toml`, or turn the rule off there with `[rules] disable = [\"{}\"]`.",
        rule.description, rule.remediation, rule.id
    );
    let help_text = format!("{}\n\n{}", rule.description, rule.remediation);
    let mut props = BTreeMap::new();
    props.insert(
        "security-severity".to_string(),
        json!(format!("{:.1}", rule.security_severity)),
    );
    props.insert("precision".to_string(), json!("high"));
    for (k, v) in rule.extra {
        props.insert(k.to_string(), v);
    }
    let mut bag = properties(props);
    bag.tags = Some(rule.tags.iter().map(|t| t.to_string()).collect());
    ReportingDescriptor::builder()
        .id(rule.id)
        .name(camel_name(rule.name))
        .short_description(MultiformatMessageString::builder().text(rule.name).build())
        .full_description(
            MultiformatMessageString::builder()
                .text(rule.description)
                .build(),
        )
        .help(
            MultiformatMessageString::builder()
                .text(help_text)
                .markdown(help_md)
                .build(),
        )
        .default_configuration(
            ReportingConfiguration::builder()
                .level(json!(rule.severity.as_str()))
                .build(),
        )
        .properties(bag)
        .build()
}

/// `Misar Mail API key` → `MisarMailApiKey` (SARIF's `name` is an identifier).
fn camel_name(name: &str) -> String {
    name.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| {
            let mut cs = w.chars();
            let first = cs.next().map(|c| c.to_ascii_uppercase());
            first
                .into_iter()
                .chain(cs.map(|c| c.to_ascii_lowercase()))
                .collect::<String>()
        })
        .collect()
}

/// Percent-encode a relative path for a SARIF URI: everything but unreserved
/// characters, `/` and the sub-delimiters that are safe in a path (`!` is kept
/// for `archive.zip!inner/path`) is escaped; `:` is escaped so that a first
/// segment is never read as a scheme.
pub fn encode_uri(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for &b in path.as_bytes() {
        let keep = b.is_ascii_alphanumeric()
            || matches!(
                b,
                b'-' | b'.'
                    | b'_'
                    | b'~'
                    | b'/'
                    | b'!'
                    | b'$'
                    | b'&'
                    | b'\''
                    | b'('
                    | b')'
                    | b'*'
                    | b'+'
                    | b','
                    | b';'
                    | b'='
                    | b'@'
            );
        if keep {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A path or author for the report: key-shaped runs redacted when `redact`
/// (findings are made redacted; this is the renderer's own defence).
fn shown_field(text: &str, redact: bool) -> String {
    if redact {
        crate::secret::redact_key_shaped(text).into_owned()
    } else {
        text.to_string()
    }
}

fn result(f: &Finding, rule_index: Option<usize>, redact: bool) -> SarifResult {
    let shown = f.secret.display(redact);
    let mut text = format!("{} `{shown}` found", f.rule_name);
    if f.encoding != Encoding::Raw {
        text.push_str(&format!(", {}-encoded", f.encoding.as_str()));
    }
    if let Some(note) = &f.note {
        text = format!("{}: {note}", f.rule_name);
    }
    if let Some(c) = &f.commit {
        text.push_str(&format!(
            " (commit {} by {})",
            crate::secret::clip(&c.id, 12),
            shown_field(&c.author_name, redact)
        ));
    }
    let region = Region::builder()
        .start_line(f.line as i64)
        .start_column(f.column as i64)
        .end_line(f.line as i64)
        .end_column(f.end_column as i64)
        .snippet(
            ArtifactContent::builder()
                .text(f.snippet.text.clone())
                .build(),
        )
        .build();
    let location = Location::builder()
        .physical_location(
            PhysicalLocation::builder()
                .artifact_location(
                    ArtifactLocation::builder()
                        .uri(encode_uri(&shown_field(&f.uri, redact)))
                        .build(),
                )
                .region(region)
                .build(),
        )
        .build();
    let mut props = BTreeMap::new();
    props.insert("secret_sha256".to_string(), json!(f.secret.sha256()));
    props.insert("product".to_string(), json!(f.product));
    props.insert("verification".to_string(), json!(f.verification.as_str()));
    if let Some(reason) = f.verification.reason() {
        props.insert("verification_reason".to_string(), json!(reason));
    }
    if let crate::finding::Verification::Live { can_manage_keys } = f.verification {
        props.insert("can_manage_keys".to_string(), json!(can_manage_keys));
    }
    if let Some(key) = &f.key {
        props.insert("key".to_string(), json!(key));
    }
    props.insert("secret".to_string(), json!(shown));
    props.insert("encoding".to_string(), json!(f.encoding.as_str()));
    props.insert("location".to_string(), json!(f.location.as_str()));
    if let Some(c) = &f.commit {
        props.insert("commit".to_string(), json!(c.id));
        props.insert(
            "author".to_string(),
            json!(shown_field(
                &format!("{} <{}>", c.author_name, c.author_email),
                redact
            )),
        );
        props.insert("date".to_string(), json!(c.date));
    }
    let mut fingerprints = BTreeMap::new();
    fingerprints.insert(FINGERPRINT_KEY.to_string(), f.fingerprint());
    let related: Vec<Location> = f
        .related
        .iter()
        .map(|r| {
            Location::builder()
                .physical_location(
                    PhysicalLocation::builder()
                        .artifact_location(
                            ArtifactLocation::builder()
                                .uri(encode_uri(&shown_field(&r.uri, redact)))
                                .build(),
                        )
                        .region(
                            Region::builder()
                                .start_line(r.line as i64)
                                .start_column(r.column as i64)
                                .build(),
                        )
                        .build(),
                )
                .build()
        })
        .collect();
    let builder = SarifResult::builder()
        .rule_id(f.rule_id.clone())
        .level(level(f.severity))
        .message(Message::builder().text(text).build())
        .locations(vec![location])
        .partial_fingerprints(fingerprints)
        .properties(properties(props));
    let mut result = match rule_index {
        Some(i) => builder.rule_index(i as i64).build(),
        None => builder.build(),
    };
    if !related.is_empty() {
        result.related_locations = Some(related);
    }
    result
}

/// Render the SARIF report.
pub fn render(report: &Report<'_>) -> anyhow::Result<Vec<u8>> {
    let texts: Vec<RuleText<'_>> = report
        .rules
        .rules()
        .iter()
        .map(key_rule_text)
        .chain(report.rules.lints().iter().map(lint_text))
        .collect();
    let ids: Vec<String> = texts.iter().map(|t| t.id.to_string()).collect();
    let driver = ToolComponent::builder()
        .name(env!("CARGO_PKG_NAME"))
        .version(env!("CARGO_PKG_VERSION"))
        .semantic_version(env!("CARGO_PKG_VERSION"))
        .information_uri("https://github.com/misar/misar-scan")
        .rules(texts.into_iter().map(descriptor).collect::<Vec<_>>())
        .build();
    let results: Vec<SarifResult> = report
        .findings
        .iter()
        .map(|f| {
            let index = ids.iter().position(|id| *id == f.rule_id);
            result(f, index, report.redact)
        })
        .collect();
    let invocation = Invocation::builder()
        .execution_successful(!report.incomplete)
        .build();
    let run = Run::builder()
        .tool(Tool::builder().driver(driver).build())
        .results(results)
        .invocations(vec![invocation])
        .column_kind(json!("utf16CodeUnits"))
        .automation_details(
            RunAutomationDetails::builder()
                .id(format!("misar-scan/{}/", report.mode))
                .build(),
        )
        .build();
    let sarif = Sarif::builder()
        .schema(SCHEMA_URI)
        .version(json!("2.1.0"))
        .runs(vec![run])
        .build();
    let mut out = serde_json::to_vec_pretty(&sarif)?;
    out.push(b'\n');
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_are_percent_encoded() {
        assert_eq!(encode_uri("dir with space/a.js"), "dir%20with%20space/a.js");
        assert_eq!(encode_uri("a%b#c?d:e"), "a%25b%23c%3Fd%3Ae");
        assert_eq!(
            encode_uri("bundle.zip!inner/x.env"),
            "bundle.zip!inner/x.env"
        );
        assert_eq!(encode_uri("é"), "%C3%A9");
    }

    #[test]
    fn rule_names_become_identifiers() {
        assert_eq!(camel_name("Assisters.io API key"), "AssistersIoApiKey");
    }
}
