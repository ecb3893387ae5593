//! `keys audit` (SPEC §2, §3; issue 5 item 2): key hygiene judged from the
//! account's key list.
//!
//! Two layers:
//!
//! - [`audit`], a pure function: the entries of `GET /api/v1/keys`, the time
//!   to judge ages against, the [`Thresholds`], the id of the admin key's own
//!   entry and the keys of a scan report ([`ReportKey`]) in, an [`Audit`]
//!   out: one [`KeyAudit`] per key with its [`Finding`]s, each with a stable
//!   [`Check`] id and a [`Severity`]. No I/O, no clock, no network.
//! - [`run`], the command as a library call: it lists the account's keys
//!   once (with retries) with `MISAR_ADMIN_KEY` — read from the environment
//!   by [`crate::config`] only, never from a flag — optionally reads a scan
//!   report ([`AuditOptions::report`], keys read back with
//!   [`crate::recover`]), scrubs the list of every key it knows, and returns
//!   an [`AuditRun`]. [`crate::report::keys_audit`] renders it.
//!
//! The checks:
//! - `leaked`: the key was found by a scan report. With the full key (a
//!   `--no-redact` report, or read back by [`crate::recover`]), the key must
//!   start with the entry's `prefix` stem, as `revoke` identifies keys; with
//!   only the report's redacted stem (first 8 characters), the stems must
//!   agree. Several candidates: "possibly leaked", the candidates named. A
//!   listed stem no longer than the product prefix (`msk_...`) identifies
//!   nothing and never matches.
//! - `keys-manage-scope`: holds `keys:manage` (can create and revoke keys).
//!   The admin key running the audit needs it, so its own entry is exempt.
//! - `all-scopes`: holds every scope of SPEC §2.
//! - `unused`: last used more than `unused_days` ago.
//! - `never-used`: never used, created more than `never_used_grace_days` ago.
//! - `old`: created more than `max_age_days` ago.
//! - `created-after-exposure`: created at or after [`Thresholds::since`]
//!   (`--since`, a leaked key's first exposure): the persistence check of
//!   SPEC §6 — a leaked `keys:manage` key can mint keys that outlive it.
//!
//! A date that is missing or not RFC 3339 is never guessed: the checks that
//! need it are skipped and a problem is recorded on the key, which makes the
//! run incomplete. A missing or `null` `last_used_at` means never used.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use serde::Serialize;

use crate::api::model::scrub_entries;
use crate::api::{ApiClient, BaseUrl, KeyEntry};
use crate::config::{load_rules, ApiEnv, RepoConfig, ENV_ADMIN_KEY, ENV_API_URL};
use crate::engine::Scanner;
use crate::recover;
use crate::revoke::matching_entries;
use crate::rules::RuleSet;
use crate::secret::{redact, Secret, STEM_LEN};
use crate::timestamp::{Timestamp, DAY};
use crate::verify::{client, judge, Answer, ApiOptions};

/// The scope that lets a key create and revoke keys.
pub const KEYS_MANAGE: &str = "keys:manage";

/// Every scope of the Misar API (SPEC §2).
pub const ALL_SCOPES: &[&str] = &[
    "send",
    "contacts:read",
    "contacts:write",
    "campaigns:read",
    "campaigns:write",
    "templates:read",
    "templates:write",
    "analytics:read",
    KEYS_MANAGE,
];

/// What a finding is about. The ids ([`Check::id`]) never change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum Check {
    /// Found by a scan report.
    #[serde(rename = "leaked")]
    Leaked,
    /// Holds `keys:manage`.
    #[serde(rename = "keys-manage-scope")]
    KeysManageScope,
    /// Holds every scope.
    #[serde(rename = "all-scopes")]
    AllScopes,
    /// Not used for longer than the threshold.
    #[serde(rename = "unused")]
    Unused,
    /// Never used, past the grace period.
    #[serde(rename = "never-used")]
    NeverUsed,
    /// Older than the rotation period.
    #[serde(rename = "old")]
    Old,
    /// Created at or after a leaked key's exposure (`--since`): whoever held
    /// a leaked `keys:manage` key may have made it.
    #[serde(rename = "created-after-exposure")]
    CreatedAfterExposure,
}

impl Check {
    /// Every check, in report order.
    pub const ALL: [Check; 7] = [
        Check::Leaked,
        Check::CreatedAfterExposure,
        Check::KeysManageScope,
        Check::AllScopes,
        Check::Unused,
        Check::NeverUsed,
        Check::Old,
    ];

    /// The stable id: `leaked`, `created-after-exposure`, `keys-manage-scope`,
    /// `all-scopes`, `unused`, `never-used`, `old`.
    pub fn id(self) -> &'static str {
        match self {
            Check::Leaked => "leaked",
            Check::KeysManageScope => "keys-manage-scope",
            Check::AllScopes => "all-scopes",
            Check::Unused => "unused",
            Check::NeverUsed => "never-used",
            Check::Old => "old",
            Check::CreatedAfterExposure => "created-after-exposure",
        }
    }
}

/// How urgent a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Tidy up when convenient.
    Low,
    /// Plan a fix.
    Medium,
    /// Fix soon: a real exposure if the key leaks.
    High,
    /// Act now: the key has leaked.
    Critical,
}

impl Severity {
    /// `low`, `medium`, `high`, `critical`.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

/// The age limits, in days.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Thresholds {
    /// `unused`: last used more than this many days ago.
    pub unused_days: u32,
    /// `never-used`: never used and created more than this many days ago.
    pub never_used_grace_days: u32,
    /// `old`: created more than this many days ago.
    pub max_age_days: u32,
    /// `created-after-exposure`: created at or after this time (`--since`).
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "serialize_since"
    )]
    pub since: Option<Timestamp>,
}

fn serialize_since<S: serde::Serializer>(t: &Option<Timestamp>, s: S) -> Result<S::Ok, S::Error> {
    match t {
        Some(t) => s.serialize_str(&t.to_string()),
        None => s.serialize_none(),
    }
}

impl Default for Thresholds {
    fn default() -> Self {
        Self {
            unused_days: 90,
            never_used_grace_days: 7,
            max_age_days: 365,
            since: None,
        }
    }
}

/// One distinct key of a scan report, as far as it is known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportKey {
    /// The report's redacted stem (first 8 characters).
    pub stem: String,
    /// The report's `secret_sha256`.
    pub sha256: String,
    /// The full key, when the report held it or it was read back and its
    /// SHA-256 checked. Used only to compare with listed prefixes, never shown
    /// (a `Secret`, so `Debug` prints it redacted).
    pub full: Option<Secret>,
    /// Where the report found it (`path:line`, with the commit for history).
    pub locations: Vec<String>,
}

/// How a report key was tied to an account key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LeakMatch {
    /// The full key starts with the listed prefix stem, and only this entry's.
    FullKey,
    /// Only the report's redacted stem was known; it agrees with this entry's
    /// prefix, and with no other entry's.
    Stem,
    /// Several entries fit: one of them (probably) leaked.
    Ambiguous,
}

/// A candidate named in an ambiguous match.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Candidate {
    /// The entry's id.
    pub id: String,
    /// The entry's name.
    pub name: Option<String>,
}

/// The report side of a `leaked` finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Leak {
    /// How the match was made.
    #[serde(rename = "match")]
    pub matched: LeakMatch,
    /// The report key, redacted (`msk_AbCd…`).
    pub report_key: String,
    /// The report key's SHA-256.
    pub secret_sha256: String,
    /// Where the report found it.
    pub locations: Vec<String>,
    /// For an ambiguous match: every entry that fits, this one included.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub candidates: Vec<Candidate>,
}

/// One flag on one key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// The stable check id.
    pub check: Check,
    /// How urgent.
    pub severity: Severity,
    /// What is wrong and what to do, for an on-call engineer.
    pub message: String,
    /// For `unused`, `never-used` and `old`: the days counted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub days: Option<i64>,
    /// For `leaked`: the report key and how it matched.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub leak: Option<Leak>,
}

/// One account key and what the audit found about it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KeyAudit {
    /// The key's id.
    pub id: String,
    /// Its name.
    pub name: Option<String>,
    /// Its `prefix` as listed (`msk_AbCd...`).
    pub prefix: String,
    /// The prefix without `...`.
    pub stem: String,
    /// Its scopes.
    pub scopes: Vec<String>,
    /// `last_used_at` as listed (`null`: never used).
    pub last_used_at: Option<String>,
    /// `created_at` as listed.
    pub created_at: Option<String>,
    /// Whole days since the last use, when known.
    pub days_since_last_use: Option<i64>,
    /// Whole days since creation, when known.
    pub age_days: Option<i64>,
    /// This is the `MISAR_ADMIN_KEY` the audit ran with.
    pub admin_key: bool,
    /// The flags, most severe first.
    pub findings: Vec<Finding>,
    /// Checks that could not be made (unreadable dates).
    pub problems: Vec<String>,
}

impl KeyAudit {
    /// The most severe finding's severity.
    pub fn worst(&self) -> Option<Severity> {
        self.findings.iter().map(|f| f.severity).max()
    }
}

/// A report key that matches no key of the account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UnmatchedReportKey {
    /// The report key, redacted.
    pub report_key: String,
    /// Its SHA-256.
    pub secret_sha256: String,
    /// Whether the full key was known (else only the stem was compared).
    pub full_key_known: bool,
    /// Where the report found it.
    pub locations: Vec<String>,
}

/// The result of an audit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Audit {
    /// Every key, the most severely flagged first (ties in list order).
    pub keys: Vec<KeyAudit>,
    /// Report keys that are not keys of this account (another account, or revoked).
    pub unmatched_report_keys: Vec<UnmatchedReportKey>,
}

impl Audit {
    /// Findings on all keys.
    pub fn finding_count(&self) -> usize {
        self.keys.iter().map(|k| k.findings.len()).sum()
    }

    /// Findings of `check` on all keys.
    pub fn count(&self, check: Check) -> usize {
        self.keys
            .iter()
            .flat_map(|k| &k.findings)
            .filter(|f| f.check == check)
            .count()
    }

    /// Keys with at least one finding.
    pub fn flagged_keys(&self) -> usize {
        self.keys.iter().filter(|k| !k.findings.is_empty()).count()
    }

    /// Keys with a check that could not be made.
    pub fn keys_with_problems(&self) -> usize {
        self.keys.iter().filter(|k| !k.problems.is_empty()).count()
    }
}

/// The id of the admin key's own entry: the one entry whose prefix stem the
/// admin key starts with (`None` when zero or several fit).
pub fn admin_entry_id(
    admin_key: &str,
    entries: &[KeyEntry],
    product_prefixes: &[&str],
) -> Option<String> {
    let fits: Vec<&KeyEntry> = matching_entries(admin_key, entries)
        .into_iter()
        .filter(|e| identifies(e.stem(), product_prefixes))
        .collect();
    match fits.as_slice() {
        [one] => Some(one.id.clone()),
        _ => None,
    }
}

/// Whether a listed stem identifies a key: it goes further than its product
/// prefix (`msk_...` identifies nothing). A stem of no known product must be
/// a full stem (8 characters).
pub fn identifies(stem: &str, product_prefixes: &[&str]) -> bool {
    match product_prefixes
        .iter()
        .filter(|p| stem.starts_with(**p))
        .map(|p| p.len())
        .max()
    {
        Some(len) => stem.len() > len,
        None => stem.chars().count() >= STEM_LEN,
    }
}

/// Audit `entries` (see the module docs). `admin_id` is the admin key's own
/// entry ([`admin_entry_id`]); `product_prefixes` are the loaded rules'
/// prefixes (`msk_`, …), to tell a stem that identifies nothing.
pub fn audit(
    entries: &[KeyEntry],
    now: Timestamp,
    thresholds: &Thresholds,
    admin_id: Option<&str>,
    report: &[ReportKey],
    product_prefixes: &[&str],
) -> Audit {
    let mut keys: Vec<KeyAudit> = entries
        .iter()
        .map(|e| audit_key(e, now, thresholds, admin_id == Some(e.id.as_str())))
        .collect();
    let mut unmatched_report_keys = Vec::new();
    for rk in report {
        let fits = leak_candidates(rk, entries, product_prefixes);
        if fits.is_empty() {
            unmatched_report_keys.push(UnmatchedReportKey {
                report_key: redact(&rk.stem),
                secret_sha256: rk.sha256.clone(),
                full_key_known: rk.full.is_some(),
                locations: rk.locations.clone(),
            });
            continue;
        }
        let candidates: Vec<Candidate> = fits
            .iter()
            .map(|&i| Candidate {
                id: entries[i].id.clone(),
                name: entries[i].name.clone(),
            })
            .collect();
        for &i in &fits {
            keys[i]
                .findings
                .push(leak_finding(rk, &entries[i], &candidates));
        }
    }
    for k in &mut keys {
        k.findings
            .sort_by(|a, b| b.severity.cmp(&a.severity).then(a.check.cmp(&b.check)));
    }
    // Stable: ties keep the API's order.
    keys.sort_by_key(|k| std::cmp::Reverse(k.worst()));
    Audit {
        keys,
        unmatched_report_keys,
    }
}

/// Indexes of the entries a report key fits.
fn leak_candidates(rk: &ReportKey, entries: &[KeyEntry], product_prefixes: &[&str]) -> Vec<usize> {
    entries
        .iter()
        .enumerate()
        .filter(|(_, e)| identifies(e.stem(), product_prefixes))
        .filter(|(_, e)| match &rk.full {
            Some(key) => key.expose().starts_with(e.stem()),
            None => {
                identifies(&rk.stem, product_prefixes)
                    && (e.stem().starts_with(&rk.stem) || rk.stem.starts_with(e.stem()))
            }
        })
        .map(|(i, _)| i)
        .collect()
}

fn leak_finding(rk: &ReportKey, entry: &KeyEntry, candidates: &[Candidate]) -> Finding {
    let shown = redact(&rk.stem);
    let whence = where_found(&rk.locations);
    let (matched, severity, message) = if candidates.len() > 1 {
        let names: Vec<String> = candidates.iter().map(describe_candidate).collect();
        let how = if rk.full.is_some() {
            "the full key starts with"
        } else {
            "its stem matches"
        };
        (
            LeakMatch::Ambiguous,
            Severity::High,
            format!(
                "possibly leaked: the report's key `{shown}` ({whence}) fits {} keys of this \
                 account ({how} each one's prefix): {}. One of them leaked; find out which \
                 (the dashboard's last use, the code around the location), or rotate all of them",
                candidates.len(),
                names.join(", ")
            ),
        )
    } else if rk.full.is_some() {
        (
            LeakMatch::FullKey,
            Severity::Critical,
            format!(
                "leaked: the report's key `{shown}` ({whence}) is this key: the full key, \
                 recovered from the report, starts with its prefix `{}` and no other key's. \
                 Revoke it now (`misar-scan revoke REPORT --yes`) and check what it was used for",
                entry.stem()
            ),
        )
    } else {
        (
            LeakMatch::Stem,
            Severity::Critical,
            format!(
                "leaked (stem match): the report's key `{shown}` ({whence}) could not be read \
                 back in full, but its first 8 characters match this key's prefix and no other's. \
                 Treat it as leaked: revoke it now and check what it was used for",
            ),
        )
    };
    Finding {
        check: Check::Leaked,
        severity,
        message,
        days: None,
        leak: Some(Leak {
            matched,
            report_key: shown,
            secret_sha256: rk.sha256.clone(),
            locations: rk.locations.clone(),
            candidates: if matched == LeakMatch::Ambiguous {
                candidates.to_vec()
            } else {
                Vec::new()
            },
        }),
    }
}

fn describe_candidate(c: &Candidate) -> String {
    match &c.name {
        Some(name) => format!("`{}` \"{}\"", c.id, clip(name)),
        None => format!("`{}`", c.id),
    }
}

fn where_found(locations: &[String]) -> String {
    match locations {
        [] => "in the report".to_string(),
        [one] => format!("at `{one}`"),
        [first, rest @ ..] => format!("at `{first}` and {} more place(s)", rest.len()),
    }
}

/// A value from the network, shortened for a message.
fn clip(s: &str) -> String {
    const MAX: usize = 40;
    if s.chars().count() <= MAX {
        s.to_string()
    } else {
        let cut: String = s.chars().take(MAX).collect();
        format!("{cut}…")
    }
}

/// A listed date, or why it cannot be used.
fn date(field: &str, value: &str) -> Result<Timestamp, String> {
    Timestamp::parse_rfc3339(value).map_err(|e| format!("`{field}` `{}` is {e}", clip(value)))
}

fn audit_key(e: &KeyEntry, now: Timestamp, t: &Thresholds, is_admin: bool) -> KeyAudit {
    let mut findings = Vec::new();
    let mut problems = Vec::new();
    let scopes: HashSet<&str> = e.scopes.iter().map(String::as_str).collect();
    if scopes.contains(KEYS_MANAGE) && !is_admin {
        findings.push(Finding {
            check: Check::KeysManageScope,
            severity: Severity::High,
            message: "holds `keys:manage`: whoever has this key can create keys and revoke \
                      every key of the account. Only the key that administers keys should hold \
                      it; replace this one with a key without `keys:manage`"
                .to_string(),
            days: None,
            leak: None,
        });
    }
    if ALL_SCOPES.iter().all(|s| scopes.contains(s)) {
        findings.push(Finding {
            check: Check::AllScopes,
            severity: Severity::Medium,
            message: format!(
                "holds every scope ({}): it can send mail, read and change contacts, campaigns \
                 and templates, read analytics and manage keys, where an integration usually \
                 needs one or two. Create a key with only the scopes it uses, deploy it, then \
                 revoke this one",
                ALL_SCOPES.len()
            ),
            days: None,
            leak: None,
        });
    }

    let created = match e.created_at.as_deref() {
        Some(v) => date("created_at", v).map_err(|p| problems.push(p)).ok(),
        None => {
            problems.push("no `created_at` in the list".to_string());
            None
        }
    };
    let age_days = created.map(|c| now.days_since(c));
    let last_used = e
        .last_used_at
        .as_deref()
        .map(|v| date("last_used_at", v).map_err(|p| problems.push(p)).ok());
    let days_since_last_use = last_used.flatten().map(|u| now.days_since(u));
    let older_than = |then: Timestamp, days: u32| now.unix() - then.unix() > i64::from(days) * DAY;

    match last_used {
        Some(Some(used)) if older_than(used, t.unused_days) => findings.push(Finding {
            check: Check::Unused,
            severity: Severity::Low,
            message: format!(
                "not used for {} days (last used {}; the limit is {} days). If nothing needs it, \
                 revoke it; if something does, find out why it has been idle",
                now.days_since(used),
                used,
                t.unused_days
            ),
            days: Some(now.days_since(used)),
            leak: None,
        }),
        None => match created {
            Some(c) if older_than(c, t.never_used_grace_days) => findings.push(Finding {
                check: Check::NeverUsed,
                severity: Severity::Low,
                message: format!(
                    "never used, and created {} days ago (grace period {} days): a key nobody \
                     uses only waits to leak. Revoke it unless a deployment that needs it is \
                     still pending",
                    now.days_since(c),
                    t.never_used_grace_days
                ),
                days: Some(now.days_since(c)),
                leak: None,
            }),
            _ => {}
        },
        _ => {}
    }
    if let (Some(since), Some(c)) = (t.since, created) {
        if c >= since {
            findings.push(Finding {
                check: Check::CreatedAfterExposure,
                severity: Severity::High,
                message: format!(
                    "created {c}, at or after the exposure began ({since}): whoever held a \
                     leaked key with `keys:manage` could have made it. If nobody on your team \
                     did, revoke it now"
                ),
                days: None,
                leak: None,
            });
        }
    }
    if let Some(c) = created.filter(|&c| older_than(c, t.max_age_days)) {
        findings.push(Finding {
            check: Check::Old,
            severity: Severity::Medium,
            message: format!(
                "created {} days ago ({c}), past the {}-day rotation period. Create a \
                 replacement, deploy it, then revoke this one",
                now.days_since(c),
                t.max_age_days
            ),
            days: Some(now.days_since(c)),
            leak: None,
        });
    }
    if !problems.is_empty() {
        problems.push(skipped_checks(e, created.is_none()));
    }
    KeyAudit {
        id: e.id.clone(),
        name: e.name.clone(),
        prefix: e.prefix.clone(),
        stem: e.stem().to_string(),
        scopes: e.scopes.clone(),
        last_used_at: e.last_used_at.clone(),
        created_at: e.created_at.clone(),
        days_since_last_use,
        age_days,
        admin_key: is_admin,
        findings,
        problems,
    }
}

/// Which checks an unreadable date cost, said once.
fn skipped_checks(e: &KeyEntry, no_created: bool) -> String {
    let mut skipped = Vec::new();
    if no_created {
        skipped.push("`old`");
        if e.last_used_at.is_none() {
            skipped.push("`never-used`");
        }
    }
    if e.last_used_at.is_some()
        && Timestamp::parse_rfc3339(e.last_used_at.as_deref().unwrap_or_default()).is_err()
    {
        skipped.push("`unused`");
    }
    format!("checks skipped, not guessed: {}", skipped.join(", "))
}

/// What `keys audit` is asked to do.
#[derive(Debug, Clone, Default)]
pub struct AuditOptions {
    /// Also flag the keys of this JSON scan report.
    pub report: Option<PathBuf>,
    /// The age limits.
    pub thresholds: Thresholds,
    /// Judge ages as of this time instead of now.
    pub now: Option<Timestamp>,
    /// Extra rules from every `*.toml` in this folder, to read back report keys.
    pub rules: Option<PathBuf>,
    /// How to talk to the API.
    pub api: ApiOptions,
}

/// Said while an audit runs (before it can fail), for standard error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuditNote {
    /// Some report keys could not be read back in full: they are matched by
    /// their stem only.
    StemOnly {
        /// How many.
        keys: usize,
        /// The report.
        report: PathBuf,
    },
}

impl std::fmt::Display for AuditNote {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AuditNote::StemOnly { keys, report } => write!(
                f,
                "{keys} key(s) of `{}` could not be read back in full (run from the \
                 directory the scan ran in, or use a `--no-redact` report); they are matched by \
                 their first 8 characters only",
                report.display()
            ),
        }
    }
}

/// An audit made, with what its output says about how it was made.
#[derive(Debug)]
pub struct AuditRun {
    /// The audit.
    pub audit: Audit,
    /// The time ages were judged against.
    pub now: Timestamp,
    /// The API that listed the keys.
    pub api_url: BaseUrl,
    /// The admin key as it may be shown: its stem, or `…` for a short value.
    pub admin_stem: String,
    /// The admin key's own entry, when exactly one listed prefix fits it.
    pub admin_id: Option<String>,
    /// The age limits.
    pub thresholds: Thresholds,
    /// The scan report, if one was read.
    pub report: Option<PathBuf>,
    /// Every key known in full (the admin key, report keys): no output may
    /// hold one ([`AuditRun::scrub`]).
    secrets: Vec<Secret>,
}

impl AuditRun {
    /// `text` with every key known in full replaced by its redacted stem.
    pub fn scrub(&self, text: &str) -> String {
        let secrets: Vec<&str> = self.secrets.iter().map(Secret::expose).collect();
        crate::secret::scrub(text, &secrets)
    }
}

/// Run `keys audit`: list the account's keys with the admin key of `env`,
/// read the report, and [`audit`]. `notes` hears what is worth saying
/// before the audit is done.
pub fn run(
    opts: &AuditOptions,
    env: &ApiEnv,
    notes: &mut dyn FnMut(AuditNote),
) -> Result<AuditRun> {
    let Some(admin) = env.admin_key.clone() else {
        bail!(
            "`{ENV_ADMIN_KEY}` is not set: `keys audit` lists the account's keys with it; \
             hint: set it to a key of the account that holds `keys:manage` (in the environment, never as an argument)"
        );
    };
    let rules = load_rules(opts.rules.as_deref(), &RepoConfig::empty())?;
    let prefixes: Vec<&str> = rules.rules().iter().map(|r| r.prefix.as_str()).collect();
    let now = opts.now.unwrap_or_else(Timestamp::now);
    // The report first: a report that cannot be read costs no API call.
    let report_keys = match &opts.report {
        Some(path) => load_report(path, &rules, notes)?,
        None => Vec::new(),
    };
    let base = audit_base(&rules, env, &admin)?;
    let client = client(&opts.api, env)?;
    let mut entries = list_keys(&client, &base, &admin)?;
    // A hostile or broken server could echo a key back (in a name, a date):
    // scrub the list before anything is built from it, because messages and
    // the output clip long values, and a clipped key is no longer found.
    let mut secrets = vec![admin.clone()];
    secrets.extend(report_keys.iter().filter_map(|k| k.full.clone()));
    let exposed: Vec<&str> = secrets.iter().map(Secret::expose).collect();
    scrub_entries(&mut entries, &exposed);

    let admin_id = admin_entry_id(admin.expose(), &entries, &prefixes);
    let audit = audit(
        &entries,
        now,
        &opts.thresholds,
        admin_id.as_deref(),
        &report_keys,
        &prefixes,
    );
    Ok(AuditRun {
        audit,
        now,
        api_url: base,
        admin_stem: shown(&admin),
        admin_id,
        thresholds: opts.thresholds,
        report: opts.report.clone(),
        secrets,
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
fn load_report(
    path: &Path,
    rules: &RuleSet,
    notes: &mut dyn FnMut(AuditNote),
) -> Result<Vec<ReportKey>> {
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
        notes(AuditNote::StemOnly {
            keys: stem_only,
            report: path.to_path_buf(),
        });
    }
    Ok(keys)
}

#[cfg(test)]
mod tests {
    use super::*;

    const PREFIXES: &[&str] = &["msk_", "ask_", "mdk_"];

    fn now() -> Timestamp {
        Timestamp::parse_rfc3339("2026-06-01T00:00:00Z").unwrap()
    }

    fn entry(id: &str, stem: &str, scopes: &[&str], last: Option<&str>, created: &str) -> KeyEntry {
        KeyEntry {
            id: id.into(),
            name: Some(format!("{id} name")),
            prefix: format!("{stem}..."),
            scopes: scopes.iter().map(|s| s.to_string()).collect(),
            last_used_at: last.map(str::to_string),
            created_at: Some(created.into()),
            id_scrubbed: false,
        }
    }

    fn fresh(id: &str, stem: &str) -> KeyEntry {
        entry(
            id,
            stem,
            &["send"],
            Some("2026-05-30T00:00:00Z"),
            "2026-01-01T00:00:00Z",
        )
    }

    fn checks(a: &Audit, id: &str) -> Vec<&'static str> {
        a.keys
            .iter()
            .find(|k| k.id == id)
            .unwrap()
            .findings
            .iter()
            .map(|f| f.check.id())
            .collect()
    }

    fn run(entries: &[KeyEntry], report: &[ReportKey]) -> Audit {
        audit(
            entries,
            now(),
            &Thresholds::default(),
            None,
            report,
            PREFIXES,
        )
    }

    #[test]
    fn a_fresh_narrow_key_is_clean() {
        let a = run(&[fresh("a", "msk_AAAA")], &[]);
        assert_eq!(a.finding_count(), 0);
        assert_eq!(a.keys[0].days_since_last_use, Some(2));
        assert!(a.keys[0].problems.is_empty());
    }

    #[test]
    fn scopes_are_flagged_separately() {
        let mut manage = fresh("m", "msk_MMMM");
        manage.scopes = vec!["send".into(), KEYS_MANAGE.into()];
        let mut all = fresh("all", "msk_LLLL");
        all.scopes = ALL_SCOPES.iter().map(|s| s.to_string()).collect();
        let mut almost = fresh("almost", "msk_NNNN");
        almost.scopes = ALL_SCOPES[..8].iter().map(|s| s.to_string()).collect();
        let a = run(&[manage, all, almost], &[]);
        assert_eq!(checks(&a, "m"), ["keys-manage-scope"]);
        assert_eq!(checks(&a, "all"), ["keys-manage-scope", "all-scopes"]);
        assert_eq!(checks(&a, "almost"), Vec::<&str>::new());
    }

    #[test]
    fn the_admin_key_may_hold_keys_manage_but_not_every_scope() {
        let mut admin = fresh("admin", "msk_ADMN");
        admin.scopes = ALL_SCOPES.iter().map(|s| s.to_string()).collect();
        let a = audit(
            &[admin.clone()],
            now(),
            &Thresholds::default(),
            Some("admin"),
            &[],
            PREFIXES,
        );
        assert_eq!(checks(&a, "admin"), ["all-scopes"]);
        assert!(a.keys[0].admin_key);
        admin.scopes = vec![KEYS_MANAGE.into()];
        let a = audit(
            &[admin],
            now(),
            &Thresholds::default(),
            Some("admin"),
            &[],
            PREFIXES,
        );
        assert_eq!(a.finding_count(), 0);
    }

    #[test]
    fn unused_never_used_and_old_use_strict_limits() {
        let t = Thresholds::default();
        let entries = [
            // 91 days idle / exactly 90 days idle.
            entry(
                "idle",
                "msk_IIII",
                &["send"],
                Some("2026-03-02T00:00:00Z"),
                "2026-01-01T00:00:00Z",
            ),
            entry(
                "edge",
                "msk_EEEE",
                &["send"],
                Some("2026-03-03T00:00:00Z"),
                "2026-01-01T00:00:00Z",
            ),
            // Never used: 8 days old / 7 days old.
            entry("never", "msk_VVVV", &["send"], None, "2026-05-24T00:00:00Z"),
            entry("new", "msk_WWWW", &["send"], None, "2026-05-25T00:00:00Z"),
            // 366 days / 365 days old.
            entry(
                "old",
                "msk_OOOO",
                &["send"],
                Some("2026-05-31T00:00:00Z"),
                "2025-05-31T00:00:00Z",
            ),
            entry(
                "aging",
                "msk_PPPP",
                &["send"],
                Some("2026-05-31T00:00:00Z"),
                "2025-06-01T00:00:00Z",
            ),
        ];
        let a = audit(&entries, now(), &t, None, &[], PREFIXES);
        assert_eq!(checks(&a, "idle"), ["unused"]);
        assert_eq!(checks(&a, "edge"), Vec::<&str>::new());
        assert_eq!(checks(&a, "never"), ["never-used"]);
        assert_eq!(checks(&a, "new"), Vec::<&str>::new());
        assert_eq!(checks(&a, "old"), ["old"]);
        assert_eq!(checks(&a, "aging"), Vec::<&str>::new());
        let idle = a.keys.iter().find(|k| k.id == "idle").unwrap();
        assert_eq!(idle.findings[0].days, Some(91));
        assert!(
            idle.findings[0].message.contains("not used for 91 days"),
            "{}",
            idle.findings[0].message
        );
        let tight = Thresholds {
            unused_days: 1,
            never_used_grace_days: 0,
            max_age_days: 5,
            since: None,
        };
        let a = audit(&entries, now(), &tight, None, &[], PREFIXES);
        assert_eq!(checks(&a, "new"), ["old", "never-used"]);
    }

    #[test]
    fn unreadable_dates_are_reported_not_guessed() {
        let mut e = entry(
            "bad",
            "msk_BBBB",
            &["send"],
            Some("last tuesday"),
            "2020-01-01",
        );
        let a = run(&[e.clone()], &[]);
        assert_eq!(a.finding_count(), 0);
        assert_eq!(a.keys_with_problems(), 1);
        let p = a.keys[0].problems.join("\n");
        assert!(
            p.contains("`created_at` `2020-01-01` is not an RFC 3339 date-time"),
            "{p}"
        );
        assert!(p.contains("`last_used_at` `last tuesday`"), "{p}");
        assert!(p.contains("`old`") && p.contains("`unused`"), "{p}");
        e.created_at = None;
        e.last_used_at = None;
        let a = run(&[e], &[]);
        assert!(a.keys[0].problems[0].contains("no `created_at`"));
        assert!(a.keys[0].problems[1].contains("`never-used`"));
    }

    fn leak(stem: &str, full: Option<&str>) -> ReportKey {
        ReportKey {
            stem: stem.into(),
            sha256: "ab".repeat(32),
            full: full.map(crate::secret::Secret::new),
            locations: vec!["src/app.js:3".into()],
        }
    }

    #[test]
    fn leaks_match_by_full_key_by_stem_or_ambiguously() {
        let entries = [
            fresh("exact", "msk_FULL"),
            fresh("stem", "msk_STEM"),
            fresh("twin1", "msk_TWIN"),
            fresh("twin2", "msk_TWIN"),
            fresh("bare", "msk_"),
        ];
        let report = [
            leak("msk_FULL", Some("msk_FULLxxxxxxxxxxxxxxxxxxxxxxxxxxxx")),
            leak("msk_STEM", None),
            leak("msk_TWIN", None),
            leak("msk_GONE", Some("msk_GONExxxxxxxxxxxxxxxxxxxxxxxxxxxx")),
        ];
        let a = run(&entries, &report);
        let get = |id: &str| a.keys.iter().find(|k| k.id == id).unwrap();
        let l = get("exact").findings[0].leak.as_ref().unwrap();
        assert_eq!(l.matched, LeakMatch::FullKey);
        assert_eq!(l.report_key, "msk_FULL…");
        assert_eq!(get("exact").findings[0].severity, Severity::Critical);
        assert_eq!(
            get("stem").findings[0].leak.as_ref().unwrap().matched,
            LeakMatch::Stem
        );
        for twin in ["twin1", "twin2"] {
            let f = &get(twin).findings[0];
            assert_eq!(f.severity, Severity::High);
            assert!(f.message.starts_with("possibly leaked"), "{}", f.message);
            assert!(
                f.message.contains("`twin1`") && f.message.contains("`twin2`"),
                "{}",
                f.message
            );
            assert_eq!(f.leak.as_ref().unwrap().candidates.len(), 2);
        }
        // `msk_...` identifies nothing: not a candidate for anything.
        assert!(get("bare").findings.is_empty());
        assert_eq!(a.unmatched_report_keys.len(), 1);
        assert_eq!(a.unmatched_report_keys[0].report_key, "msk_GONE…");
        // Leaked keys sort first.
        assert_eq!(a.keys[0].id, "exact");
        assert_eq!(a.count(Check::Leaked), 4);
    }

    #[test]
    fn a_full_key_tells_apart_entries_with_longer_prefixes() {
        let entries = [fresh("one", "msk_TWIN1234"), fresh("two", "msk_TWIN5678")];
        let a = run(
            &entries,
            &[leak(
                "msk_TWIN",
                Some("msk_TWIN5678yyyyyyyyyyyyyyyyyyyyyyy"),
            )],
        );
        assert_eq!(checks(&a, "two"), ["leaked"]);
        assert_eq!(checks(&a, "one"), Vec::<&str>::new());
        // The stem alone cannot.
        let a = run(&entries, &[leak("msk_TWIN", None)]);
        assert_eq!(a.count(Check::Leaked), 2);
        assert_eq!(
            a.keys[0].findings[0].leak.as_ref().unwrap().matched,
            LeakMatch::Ambiguous
        );
    }

    #[test]
    fn the_admin_entry_is_the_one_prefix_the_admin_key_starts_with() {
        let admin = "msk_ADMNzzzzzzzzzzzzzzzzzzzzzzzzzzzz";
        let entries = [
            fresh("a", "msk_ADMN"),
            fresh("b", "msk_OTHR"),
            fresh("c", "msk_"),
        ];
        assert_eq!(
            admin_entry_id(admin, &entries, PREFIXES).as_deref(),
            Some("a")
        );
        let twins = [fresh("a", "msk_ADMN"), fresh("b", "msk_ADMN")];
        assert_eq!(admin_entry_id(admin, &twins, PREFIXES), None);
    }

    const KEY: &str = "msk_u8jzPde0IgxLd6GncfBAepfJBd0Kh8oO"; // misar-scan:allow (fake test key)

    #[test]
    fn short_admin_values_are_not_shown() {
        assert_eq!(shown(&Secret::new("abc")), "…");
        assert_eq!(shown(&Secret::new(KEY)), "msk_u8jz…");
    }

    #[test]
    fn check_ids_are_stable() {
        let ids: Vec<_> = Check::ALL.iter().map(|c| c.id()).collect();
        assert_eq!(
            ids,
            [
                "leaked",
                "created-after-exposure",
                "keys-manage-scope",
                "all-scopes",
                "unused",
                "never-used",
                "old"
            ]
        );
        for c in Check::ALL {
            assert_eq!(serde_json::to_value(c).unwrap(), c.id());
        }
    }

    #[test]
    fn keys_created_at_or_after_since_are_flagged() {
        let t = Thresholds {
            since: Some(Timestamp::parse_rfc3339("2026-03-01T00:00:00Z").unwrap()),
            ..Thresholds::default()
        };
        let used = Some("2026-05-30T00:00:00Z");
        let entries = [
            entry(
                "before",
                "msk_AAAA",
                &["send"],
                used,
                "2026-02-28T23:59:59Z",
            ),
            entry("at", "msk_BBBB", &["send"], used, "2026-03-01T00:00:00Z"),
            entry(
                "after",
                "msk_CCCC",
                &["send"],
                used,
                "2026-04-01T00:00:00+02:00",
            ),
        ];
        let a = audit(&entries, now(), &t, None, &[], PREFIXES);
        assert!(checks(&a, "before").is_empty());
        assert_eq!(checks(&a, "at"), ["created-after-exposure"]);
        assert_eq!(checks(&a, "after"), ["created-after-exposure"]);
    }
}
