//! `misar-scan keys audit`: key hygiene from the API side (SPEC §2, §3;
//! issue 5 item 2).
//!
//! Lists the account's keys once (`GET /api/v1/keys`, with retries) with
//! `MISAR_ADMIN_KEY` — read from the environment by [`crate::config`] only,
//! never from a flag — optionally reads a scan report (`--report`, keys read
//! back with [`crate::recover`]), hands both to the pure [`crate::audit`] and
//! renders the result as a list grouped by key (`-f human`) or a JSON document
//! (`-f json`, described in the README, "Key hygiene").
//!
//! Exit code: 0 nothing flagged; 1 something flagged; 2 an error (no admin
//! key, `403` lacks `keys:manage`, `401` invalid or revoked, no usable answer
//! after retries, an unreadable report) or an incomplete audit (a date that
//! could not be read: its checks were skipped, never guessed; the findings
//! made are still written).

#![allow(clippy::print_stderr)]

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use clap::{Args, Subcommand, ValueEnum};
use serde::Serialize;

use super::args::ApiArgs;
use super::{sanitize, write_output, Outcome};
use crate::api::model::scrub_entries;
use crate::api::{ApiClient, BaseUrl, KeyEntry};
use crate::audit::{self, Audit, Check, KeyAudit, ReportKey, Thresholds};
use crate::config::load_rules;
use crate::config::{ApiEnv, RepoConfig, ENV_ADMIN_KEY, ENV_API_URL};
use crate::engine::Scanner;
use crate::recover;
use crate::rules::RuleSet;
use crate::secret::Secret;
use crate::timestamp::Timestamp;
use crate::verify::client;
use crate::verify::{judge, Answer};

/// Options of `keys`.
#[derive(Debug, Args)]
pub struct KeysArgs {
    /// What to do with the account's keys.
    #[command(subcommand)]
    pub command: KeysCommand,
}

/// Subcommands of `keys`.
#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Flag risky keys of the account: over-broad scopes, unused, never used, old, leaked.
    ///
    /// Lists the account's keys with `MISAR_ADMIN_KEY` (a key of the account
    /// that holds `keys:manage`, read from the environment only) and flags,
    /// each as a separate finding with a stable check id: `leaked` (with
    /// `--report`), `keys-manage-scope`, `all-scopes`, `unused`, `never-used`
    /// and `old`.
    Audit(AuditArgs),
}

/// Output of `keys audit`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AuditFormat {
    /// A list grouped by key, then a summary line.
    Human,
    /// One JSON document (described in the README, "Key hygiene").
    Json,
}

/// Options of `keys audit`.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  MISAR_ADMIN_KEY=... misar-scan keys audit\n  MISAR_ADMIN_KEY=... misar-scan keys audit --report findings.json      also flag keys the scan found\n  MISAR_ADMIN_KEY=... misar-scan keys audit -f json -o audit.json --unused-days 30 --max-age-days 180\n\nChecks: leaked (critical; possibly leaked: high), keys-manage-scope (high), all-scopes (medium),\nold (medium), unused (low), never-used (low). The admin key's own entry may hold keys:manage.\nMISAR_ADMIN_KEY is read from the environment only, never from a flag; MISAR_API_URL overrides\nthe API base URL.\nExit codes: 0 nothing flagged, 1 something flagged, 2 an error (the admin key is missing, lacks\nkeys:manage, is invalid or revoked; the API gave no usable answer) or a date that could not be read."
)]
pub struct AuditArgs {
    /// Also flag keys found leaked by this JSON report (`misar-scan scan -f json`).
    ///
    /// Report keys are matched to the account's keys by the full key when the
    /// report holds it (`--no-redact`) or it can be read back from the scanned
    /// file (run from the directory the scan ran in), else by their first 8
    /// characters. A stem that fits several keys flags each as possibly leaked.
    #[arg(long, value_name = "FILE")]
    pub report: Option<PathBuf>,

    /// Flag keys last used more than DAYS days ago.
    #[arg(long, value_name = "DAYS", default_value_t = Thresholds::default().unused_days)]
    pub unused_days: u32,

    /// Flag never-used keys created more than DAYS days ago.
    ///
    /// A key created within the grace period is not flagged: its deployment may be pending.
    #[arg(long, value_name = "DAYS", default_value_t = Thresholds::default().never_used_grace_days)]
    pub never_used_grace_days: u32,

    /// Flag keys created more than DAYS days ago (the rotation period).
    #[arg(long, value_name = "DAYS", default_value_t = Thresholds::default().max_age_days)]
    pub max_age_days: u32,

    /// Judge ages as of this RFC 3339 time instead of now (reproducible reports, tests).
    #[arg(long, value_name = "RFC3339", value_parser = parse_now)]
    pub now: Option<Timestamp>,

    /// Output format.
    #[arg(short, long, value_enum, default_value_t = AuditFormat::Human)]
    pub format: AuditFormat,

    /// Write the output to FILE instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Load extra rules from every `*.toml` in DIR (as in `scan`), to read back report keys.
    #[arg(long, value_name = "DIR")]
    pub rules: Option<PathBuf>,

    #[command(flatten)]
    pub api: ApiArgs,
}

fn parse_now(s: &str) -> Result<Timestamp, String> {
    Timestamp::parse_rfc3339(s).map_err(|e| format!("{e}; expected e.g. `2026-01-31T00:00:00Z`"))
}

/// Run `keys`.
pub fn run(args: KeysArgs) -> Result<Outcome> {
    match args.command {
        KeysCommand::Audit(args) => run_audit(args),
    }
}

/// Run `keys audit`.
fn run_audit(args: AuditArgs) -> Result<Outcome> {
    let env = ApiEnv::from_env();
    let Some(admin) = env.admin_key.clone() else {
        bail!(
            "`{ENV_ADMIN_KEY}` is not set: `keys audit` lists the account's keys with it; \
             hint: set it to a key of the account that holds `keys:manage` (in the environment, never as an argument)"
        );
    };
    let rules = load_rules(args.rules.as_deref(), &RepoConfig::empty())?;
    let prefixes: Vec<&str> = rules.rules().iter().map(|r| r.prefix.as_str()).collect();
    let thresholds = Thresholds {
        unused_days: args.unused_days,
        never_used_grace_days: args.never_used_grace_days,
        max_age_days: args.max_age_days,
    };
    let now = args.now.unwrap_or_else(Timestamp::now);
    // The report first: a report that cannot be read costs no API call.
    let report_keys = match &args.report {
        Some(path) => load_report(path, &rules)?,
        None => Vec::new(),
    };
    let base = audit_base(&rules, &env, &admin)?;
    let client = client(&args.api.options()?, &env)?;
    let mut entries = list_keys(&client, &base, &admin)?;
    // A hostile or broken server could echo a key back (in a name, a date):
    // scrub the list before anything is built from it, because messages and
    // the output clip long values, and a clipped key is no longer found.
    let mut secrets = vec![admin.expose()];
    secrets.extend(
        report_keys
            .iter()
            .filter_map(|k| k.full.as_ref().map(crate::secret::Secret::expose)),
    );
    scrub_entries(&mut entries, &secrets);

    let admin_id = audit::admin_entry_id(admin.expose(), &entries, &prefixes);
    let result = audit::audit(
        &entries,
        now,
        &thresholds,
        admin_id.as_deref(),
        &report_keys,
        &prefixes,
    );
    if admin_id.is_none() {
        eprintln!(
            "note: no single listed key has a prefix that `{ENV_ADMIN_KEY}` ({}) starts with, \
             so the admin key's own entry is not exempt from `keys-manage-scope`",
            shown(&admin)
        );
    }
    // And once more on what is printed, in case a key came from elsewhere.
    for k in &result.keys {
        for p in &k.problems {
            let line = format!("warning: key `{}`: {}", sanitize(&k.id), sanitize(p));
            eprintln!("{}", scrub(line, &secrets));
        }
    }
    let doc = Document {
        version: 1,
        now: now.to_string(),
        api_url: base.to_string(),
        admin_key: AdminKey {
            stem: shown(&admin),
            id: admin_id,
        },
        thresholds,
        report: args.report.as_deref().map(|p| p.display().to_string()),
        summary: Summary::of(&result),
        keys: &result.keys,
        unmatched_report_keys: &result.unmatched_report_keys,
    };
    let text = match args.format {
        AuditFormat::Human => human(&doc),
        AuditFormat::Json => {
            let mut s = serde_json::to_string_pretty(&doc).context("failed to encode the audit")?;
            s.push('\n');
            s
        }
    };
    let text = scrub(text, &secrets);
    write_output(args.output.as_ref(), text.as_bytes()).context("failed to write the audit")?;
    let incomplete = doc.summary.keys_with_problems > 0;
    if incomplete {
        eprintln!(
            "error: incomplete audit: {} key(s) have a date that could not be read; \
             the checks that need it were skipped, not guessed",
            doc.summary.keys_with_problems
        );
    }
    Ok(Outcome {
        findings: result.finding_count(),
        incomplete,
        ..Outcome::default()
    })
}

/// The admin key as it may be shown: its stem, or nothing for a short value
/// (whose stem would be the whole key).
fn shown(admin: &Secret) -> String {
    if admin.expose().chars().count() > 12 {
        admin.redacted()
    } else {
        "…".to_string()
    }
}

/// The API to list: `MISAR_API_URL`, else the admin key's product's.
fn audit_base(rules: &RuleSet, env: &ApiEnv, admin: &Secret) -> Result<BaseUrl> {
    if let Some(url) = &env.api_url {
        return BaseUrl::parse(url).with_context(|| format!("invalid `{ENV_API_URL}`"));
    }
    match recover::rule_for(rules, admin.expose()) {
        Some(rule) => BaseUrl::parse(&rule.api_base_url)
            .with_context(|| format!("invalid `api_base_url` of rule `{}`", rule.id)),
        None => bail!(
            "`{ENV_ADMIN_KEY}` ({}) does not start with the prefix of a loaded rule, so its API \
             is unknown; hint: set `{ENV_API_URL}`, or pass `--rules` with its product's rule",
            shown(admin)
        ),
    }
}

/// The account's keys, or a clear reason why not.
fn list_keys(client: &ApiClient, base: &BaseUrl, admin: &Secret) -> Result<Vec<KeyEntry>> {
    match client.list_keys(base, admin, judge) {
        Ok(Answer::Live {
            can_manage_keys: true,
            entries,
        }) => Ok(entries),
        Ok(Answer::Live {
            can_manage_keys: false,
            ..
        }) => bail!(
            "`{ENV_ADMIN_KEY}` ({}) lacks the `keys:manage` scope (403 FORBIDDEN), so it cannot \
             list the account's keys; hint: use a key of the account that holds `keys:manage`",
            shown(admin)
        ),
        Ok(Answer::NotLive) => bail!(
            "`{ENV_ADMIN_KEY}` ({}) was refused as invalid or revoked (401 UNAUTHORIZED); \
             hint: check the value, or create a key with `keys:manage` in the Misar dashboard",
            shown(admin)
        ),
        Err(e) => Err(anyhow::Error::new(e)).with_context(|| {
            format!("could not list the account's keys at `{base}` with `{ENV_ADMIN_KEY}`")
        }),
    }
}

/// The distinct keys of a scan report, with the full key where it can be had.
fn load_report(path: &Path, rules: &RuleSet) -> Result<Vec<ReportKey>> {
    let scanner = Scanner::new(rules, &[]);
    let loaded = recover::from_report(path, rules, &scanner, true)?;
    let mut keys: Vec<ReportKey> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    for l in loaded {
        let f = &l.finding;
        let mut location = format!("{}:{}", f.path, f.line);
        if let Some(c) = &f.commit {
            let short: String = c.id.chars().take(12).collect();
            location.push_str(&format!(" (commit {short})"));
        }
        let sha = f.secret.sha256().to_string();
        let i = *index.entry(sha.clone()).or_insert_with(|| {
            keys.push(ReportKey {
                stem: f.secret.stem().to_string(),
                sha256: sha,
                full: None,
                locations: Vec::new(),
            });
            keys.len() - 1
        });
        let key = &mut keys[i];
        if key.full.is_none() && l.problem.is_none() {
            key.full = Some(f.secret.clone());
        }
        if !key.locations.contains(&location) {
            key.locations.push(location);
        }
    }
    let stem_only = keys.iter().filter(|k| k.full.is_none()).count();
    if stem_only > 0 {
        eprintln!(
            "note: {stem_only} key(s) of `{}` could not be read back in full (run from the \
             directory the scan ran in, or use a `--no-redact` report); they are matched by \
             their first 8 characters only",
            path.display()
        );
    }
    Ok(keys)
}

/// Replace every occurrence of a secret with its redacted stem.
fn scrub(text: String, secrets: &[&str]) -> String {
    crate::secret::scrub(&text, secrets)
}

/// The JSON document (described in the README); the human output shows the same.
#[derive(Debug, Serialize)]
struct Document<'a> {
    version: u32,
    now: String,
    api_url: String,
    admin_key: AdminKey,
    thresholds: Thresholds,
    report: Option<String>,
    summary: Summary,
    keys: &'a [KeyAudit],
    unmatched_report_keys: &'a [audit::UnmatchedReportKey],
}

#[derive(Debug, Serialize)]
struct AdminKey {
    stem: String,
    id: Option<String>,
}

#[derive(Debug, Serialize)]
struct Summary {
    keys: usize,
    flagged_keys: usize,
    findings: usize,
    by_check: BTreeMap<&'static str, usize>,
    keys_with_problems: usize,
    unmatched_report_keys: usize,
}

impl Summary {
    fn of(a: &Audit) -> Self {
        Self {
            keys: a.keys.len(),
            flagged_keys: a.flagged_keys(),
            findings: a.finding_count(),
            by_check: Check::ALL.iter().map(|&c| (c.id(), a.count(c))).collect(),
            keys_with_problems: a.keys_with_problems(),
            unmatched_report_keys: a.unmatched_report_keys.len(),
        }
    }
}

fn human(doc: &Document<'_>) -> String {
    let mut out = format!(
        "Misar keys audit of {}, as of {} (unused > {} d, never used > {} d, age > {} d)\n",
        doc.api_url,
        doc.now,
        doc.thresholds.unused_days,
        doc.thresholds.never_used_grace_days,
        doc.thresholds.max_age_days
    );
    for k in doc.keys {
        out.push('\n');
        out.push_str(&format!("key `{}`", sanitize(&k.id)));
        if let Some(name) = &k.name {
            out.push_str(&format!(" \"{}\"", sanitize(name)));
        }
        out.push_str(&format!("  {}…", sanitize(&k.stem)));
        if k.admin_key {
            out.push_str(&format!("  ({ENV_ADMIN_KEY}, used for this audit)"));
        }
        out.push('\n');
        let scopes = if k.scopes.is_empty() {
            "(none)".to_string()
        } else {
            sanitize(&k.scopes.join(", "))
        };
        out.push_str(&format!("  scopes     {scopes}\n"));
        out.push_str(&format!(
            "  last used  {}\n",
            when(k.last_used_at.as_deref(), k.days_since_last_use, "never")
        ));
        out.push_str(&format!(
            "  created    {}\n",
            when(k.created_at.as_deref(), k.age_days, "unknown")
        ));
        for f in &k.findings {
            out.push_str(&format!(
                "  {:<8}  {:<17}  {}\n",
                f.severity.as_str(),
                f.check.id(),
                sanitize(&f.message)
            ));
        }
        for p in &k.problems {
            out.push_str(&format!(
                "  {:<8}  {:<17}  {}\n",
                "problem",
                "-",
                sanitize(p)
            ));
        }
        if k.findings.is_empty() && k.problems.is_empty() {
            out.push_str("  ok\n");
        }
    }
    if !doc.unmatched_report_keys.is_empty() {
        out.push_str("\nReport keys that are not keys of this account (another account, or already revoked):\n");
        for u in doc.unmatched_report_keys {
            out.push_str(&format!(
                "  {}  {}{}\n",
                u.report_key,
                sanitize(&u.locations.join(", ")),
                if u.full_key_known {
                    ""
                } else {
                    "  (stem only)"
                }
            ));
        }
    }
    let s = &doc.summary;
    let mut line = if s.flagged_keys == 0 {
        format!("\n{} key(s), none flagged", s.keys)
    } else {
        let counts: Vec<String> = Check::ALL
            .iter()
            .map(|c| (c.id(), s.by_check.get(c.id()).copied().unwrap_or(0)))
            .filter(|&(_, n)| n > 0)
            .map(|(id, n)| format!("{n} {id}"))
            .collect();
        format!(
            "\n{} key(s), {} flagged: {}",
            s.keys,
            s.flagged_keys,
            counts.join(", ")
        )
    };
    if s.keys_with_problems > 0 {
        line.push_str(&format!(
            "; {} with unreadable dates (checks skipped)",
            s.keys_with_problems
        ));
    }
    if s.unmatched_report_keys > 0 {
        line.push_str(&format!(
            "; {} report key(s) not in this account",
            s.unmatched_report_keys
        ));
    }
    out.push_str(&line);
    out.push('\n');
    out
}

/// `2026-01-01T00:00:00Z (151 days ago)`, `never`, or the raw value flagged
/// unreadable (clipped: the list was scrubbed of keys before, see `run_audit`).
fn when(value: Option<&str>, days: Option<i64>, missing: &str) -> String {
    match (value, days) {
        (None, _) => missing.to_string(),
        (Some(v), Some(d)) => format!("{} ({})", sanitize(v), days_ago(d)),
        (Some(v), None) => {
            let clipped: String = v.chars().take(40).collect();
            format!("{} (unreadable)", sanitize(&clipped))
        }
    }
}

fn days_ago(d: i64) -> String {
    match d {
        0 => "less than a day ago".to_string(),
        1 => "1 day ago".to_string(),
        d if d < 0 => "in the future".to_string(),
        d => format!("{d} days ago"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "msk_u8jzPde0IgxLd6GncfBAepfJBd0Kh8oO"; // misar-scan:allow (fake test key)

    #[test]
    fn scrub_replaces_full_keys_only() {
        let key = KEY;
        let text = format!("name {key} and msk_u8jz…");
        assert_eq!(scrub(text, &[key, "short"]), "name msk_u8jz… and msk_u8jz…");
    }

    #[test]
    fn short_admin_values_are_not_shown() {
        assert_eq!(shown(&Secret::new("abc")), "…");
        assert_eq!(shown(&Secret::new(KEY)), "msk_u8jz…");
    }

    #[test]
    fn days_read_naturally() {
        assert_eq!(days_ago(0), "less than a day ago");
        assert_eq!(days_ago(1), "1 day ago");
        assert_eq!(days_ago(-3), "in the future");
        assert_eq!(when(None, None, "never"), "never");
        assert_eq!(when(Some("x"), None, "never"), "x (unreadable)");
    }
}
