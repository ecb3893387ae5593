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
//!
//! **GitHub's limits.** Code scanning rejects a whole file with more than
//! [`MAX_RESULTS`] results in a run, more than [`MAX_LOCATIONS`] locations in
//! a result, or more than [`MAX_GZIP_BYTES`] gzipped. A result keeps its first
//! [`MAX_LOCATIONS`] related locations and says in its message how many more
//! there are; past [`MAX_RESULTS`] (or the size) the run keeps the most
//! important results — live keys, then unknown, unverified and not live, each
//! by severity, in report order within each — and records what it left out
//! in `run.properties` (`misar-scan`); [`render_noting`] also returns a line
//! saying so, for standard error. The JSON report always keeps everything.

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

/// The most results GitHub code scanning accepts in one run.
pub const MAX_RESULTS: usize = 25_000;

/// The most locations GitHub accepts in one result (related locations here).
pub const MAX_LOCATIONS: usize = 1_000;

/// The largest SARIF file GitHub accepts, gzipped (10 MB; a margin is kept).
pub const MAX_GZIP_BYTES: usize = 10_000_000;

/// What a caller adds to one result: properties, and a salt folded into its
/// fingerprint (a sweep's repository: the same path in two repositories is
/// two alerts).
#[derive(Debug, Clone, Default)]
pub struct Extra {
    /// Properties added to the result's.
    pub properties: Vec<(String, Value)>,
    /// Folded into the fingerprint, when set.
    pub fingerprint_salt: Option<String>,
}

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
    if f.related.len() > MAX_LOCATIONS {
        text.push_str(&format!(
            " ({} more places are not listed: GitHub accepts at most {MAX_LOCATIONS} in a result; the JSON report lists them all)",
            f.related.len() - MAX_LOCATIONS
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
        .take(MAX_LOCATIONS)
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
    Ok(render_noting(report, &|_| None)?.0)
}

/// How a result ranks when not all fit: live, unknown, unverified, not
/// live; then error, warning, note.
fn importance(f: &Finding) -> (u8, u8) {
    use crate::finding::Verification as V;
    let liveness = match f.verification {
        V::Live { .. } => 0,
        V::Unknown { .. } => 1,
        V::Unverified => 2,
        V::NotLive => 3,
    };
    let severity = match f.severity {
        Severity::Error => 0,
        Severity::Warning => 1,
        Severity::Note => 2,
    };
    (liveness, severity)
}

/// The gzipped size of `bytes` (fast compression: an upper bound of what
/// GitHub's upload compresses to).
fn gzipped_len(bytes: &[u8]) -> usize {
    use std::io::Write;
    struct Count(usize);
    impl Write for Count {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0 += b.len();
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut gz = flate2::write::GzEncoder::new(Count(0), flate2::Compression::fast());
    let _ = gz.write_all(bytes);
    gz.finish().map_or(usize::MAX, |c| c.0)
}

/// Render the SARIF report within GitHub's limits (see the module docs),
/// with `extra` for the finding at each index; returns the bytes and the
/// lines that say what was left out.
pub fn render_noting(
    report: &Report<'_>,
    extra: &dyn Fn(usize) -> Option<Extra>,
) -> anyhow::Result<(Vec<u8>, Vec<String>)> {
    let texts: Vec<RuleText<'_>> = report
        .rules
        .rules()
        .iter()
        .map(key_rule_text)
        .chain(report.rules.lints().iter().map(lint_text))
        .collect();
    let ids: Vec<String> = texts.iter().map(|t| t.id.to_string()).collect();
    let descriptors: Vec<ReportingDescriptor> = texts.into_iter().map(descriptor).collect();
    let total = report.findings.len();
    let mut order: Vec<usize> = (0..total).collect();
    order.sort_by_key(|&i| importance(&report.findings[i]));
    let truncated = report
        .findings
        .iter()
        .filter(|f| f.related.len() > MAX_LOCATIONS)
        .count();
    let mut keep = total.min(MAX_RESULTS);
    loop {
        let mut kept: Vec<usize> = order[..keep].to_vec();
        kept.sort_unstable();
        let results: Vec<SarifResult> = kept
            .iter()
            .map(|&i| {
                let f = &report.findings[i];
                let index = ids.iter().position(|id| *id == f.rule_id);
                let mut r = result(f, index, report.redact);
                if let Some(extra) = extra(i) {
                    add_extra(&mut r, extra);
                }
                r
            })
            .collect();
        let omitted = total - keep;
        let driver = ToolComponent::builder()
            .name(env!("CARGO_PKG_NAME"))
            .version(env!("CARGO_PKG_VERSION"))
            .semantic_version(env!("CARGO_PKG_VERSION"))
            .information_uri("https://github.com/misar/misar-scan")
            .rules(descriptors.clone())
            .build();
        let invocation = Invocation::builder()
            .execution_successful(!report.incomplete)
            .build();
        let mut run = Run::builder()
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
        if omitted > 0 || truncated > 0 {
            let mut props = BTreeMap::new();
            props.insert(
                "misar-scan".to_string(),
                json!({
                    "results_total": total,
                    "results_omitted": omitted,
                    "results_with_locations_omitted": truncated,
                    "why": "GitHub code scanning accepts at most 25,000 results in a run, 1,000 locations in a result and 10 MB gzipped; the JSON report has every finding",
                }),
            );
            run.properties = Some(properties(props));
        }
        let sarif = Sarif::builder()
            .schema(SCHEMA_URI)
            .version(json!("2.1.0"))
            .runs(vec![run])
            .build();
        let mut out = serde_json::to_vec_pretty(&sarif)?;
        out.push(b'\n');
        if keep > 0 && out.len() > MAX_GZIP_BYTES {
            let gz = gzipped_len(&out);
            if gz > MAX_GZIP_BYTES {
                // Shrink in proportion, with a margin, and render again.
                let fit = (keep as f64 * (MAX_GZIP_BYTES as f64 / gz as f64) * 0.9) as usize;
                keep = fit.min(keep - 1);
                continue;
            }
        }
        let mut notes = Vec::new();
        if omitted > 0 {
            notes.push(format!(
                "the SARIF report keeps {keep} of {total} results (GitHub code scanning accepts at most {MAX_RESULTS} in a run and {} MB gzipped): live keys first, then unknown, unverified and not live, by severity; the JSON report has them all",
                MAX_GZIP_BYTES / 1_000_000
            ));
        }
        if truncated > 0 {
            notes.push(format!(
                "{truncated} SARIF result(s) list only their first {MAX_LOCATIONS} related locations (GitHub's limit per result), and say how many more there are; the JSON report has them all"
            ));
        }
        return Ok((out, notes));
    }
}

/// Add `extra` to `result`.
fn add_extra(result: &mut SarifResult, extra: Extra) {
    if !extra.properties.is_empty() {
        let mut bag = result
            .properties
            .take()
            .map(|p| p.additional_properties)
            .unwrap_or_default();
        bag.extend(extra.properties);
        result.properties = Some(properties(bag));
    }
    if let Some(salt) = extra.fingerprint_salt {
        if let Some(fp) = result
            .partial_fingerprints
            .as_mut()
            .and_then(|f| f.get_mut(FINGERPRINT_KEY))
        {
            *fp = crate::secret::sha256_hex(format!("{salt}\0{fp}").as_bytes());
        }
    }
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

    /// Findings for `keys`, one per line of one file.
    fn findings(keys: &[String]) -> Vec<Finding> {
        use crate::engine::location::LinePos;
        let engine = crate::source::test_engine::TestEngine::new();
        let ctx = engine.ctx();
        let text = keys.join("\n");
        let (hits, _) = ctx.scan_buffer(
            text.as_bytes(),
            0,
            text.len(),
            LinePos::START,
            false,
            &mut Vec::new(),
        );
        let mut out = Vec::new();
        let at = crate::source::git::provenance("keys.env".into(), None);
        ctx.findings(hits, 0, &at, &mut out);
        out
    }

    #[test]
    fn the_most_important_results_come_first_when_not_all_fit() {
        use crate::finding::Verification as V;
        // Built at run time, so that no key-shaped literal is in the source.
        let keys: Vec<String> = (0..4)
            .map(|i| format!("msk_{}{i}", "Q7wZp2Rt9Ks4Lm8Nv3Bx6Hc1Jd5Fg0Y"))
            .collect();
        let mut found = findings(&keys);
        assert_eq!(found.len(), 4);
        found[0].verification = V::NotLive;
        found[1].verification = V::Unverified;
        found[2].verification = V::Unknown {
            reason: "HTTP 500".into(),
        };
        found[3].verification = V::Live {
            can_manage_keys: false,
        };
        let mut order: Vec<usize> = (0..found.len()).collect();
        order.sort_by_key(|&i| importance(&found[i]));
        assert_eq!(order, [3, 2, 1, 0]);
        found[1].severity = Severity::Warning;
        found[0].verification = V::Unverified;
        order.sort_by_key(|&i| importance(&found[i]));
        assert_eq!(order, [3, 2, 0, 1], "by severity within the same liveness");
    }

    #[test]
    fn rule_names_become_identifiers() {
        assert_eq!(camel_name("Assisters.io API key"), "AssistersIoApiKey");
    }
}
