//! The sweep report folder (SPEC §3 `sweep`, §4): `report.json`,
//! `report.sarif`, `summary.md` and `report.html`, rendered from a
//! [`SweepState`] alone — so `sweep` and `report merge` write the same files
//! the same way. (`audit.jsonl` is appended as actions happen, and
//! `sweep-state.json` is the state itself.)
//!
//! Everything is redacted: the state holds key stems and SHA-256s, never a
//! key. `report.html` is one self-contained page — inline CSS, no scripts, no
//! external references — with all text HTML-escaped.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use anyhow::{Context, Result};
use serde::Serialize;
use serde_json::{json, Value};

use super::{sarif, Report};
use crate::engine::Scanner;
use crate::finding::{Finding, FindingRecord, Verification};
use crate::rules::RuleSet;
use crate::secret::redact;
use crate::source::Stats;
use crate::sweep::{write_atomic, Action, KeyRecord, KeyStatus, SweepFinding, SweepState};

/// Where one key was found.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, PartialOrd, Ord)]
pub struct Place {
    /// Commit date (RFC 3339), empty when the blob has no commit.
    pub date: String,
    /// Repository name.
    pub repo: String,
    /// Path inside the repository.
    pub path: String,
    /// Line.
    pub line: u64,
    /// Commit id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub commit: Option<String>,
    /// `Name <email>`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub author: Option<String>,
}

impl Place {
    /// `repo:path@commit12`.
    pub fn describe(&self) -> String {
        match &self.commit {
            Some(c) => format!("{}:{}@{}", self.repo, self.path, crate::secret::clip(c, 12)),
            None => format!("{}:{}", self.repo, self.path),
        }
    }
}

/// A key with everywhere it was found, for the reports.
#[derive(Debug, Clone, Serialize)]
pub struct KeyView<'a> {
    /// The redacted key (`msk_AbCd…`).
    pub key: String,
    /// The record.
    #[serde(flatten)]
    pub record: &'a KeyRecord,
    /// Every place, earliest commit first.
    pub locations: Vec<Place>,
    /// The exposure window: first exposed, revoked at, window, last use.
    pub exposure: crate::sweep::Exposure,
}

impl KeyView<'_> {
    /// The earliest commit that held the key (by commit date).
    pub fn first(&self) -> Option<&Place> {
        self.locations
            .iter()
            .filter(|p| p.commit.is_some())
            .min()
            .or(self.locations.first())
    }
}

/// Keys with their places, in order of first appearance.
pub fn key_views(state: &SweepState) -> Vec<KeyView<'_>> {
    let now = crate::timestamp::Timestamp::now();
    let mut places: BTreeMap<&str, Vec<Place>> = BTreeMap::new();
    for f in state.findings() {
        places
            .entry(f.record.secret_sha256.as_str())
            .or_default()
            .push(place_of(f));
    }
    let mut views: Vec<KeyView<'_>> = state
        .keys
        .values()
        .map(|record| {
            let mut locations = places
                .remove(record.secret_sha256.as_str())
                .unwrap_or_default();
            locations.sort();
            locations.dedup();
            let first = first_dated(&locations).map(str::to_string);
            KeyView {
                key: redact(&record.stem),
                exposure: crate::sweep::exposure(record, first.as_deref(), now),
                record,
                locations,
            }
        })
        .collect();
    views.sort_by(|a, b| {
        let first = |v: &KeyView<'_>| v.first().map(|p| p.date.clone()).unwrap_or_default();
        (first(a), &a.record.secret_sha256).cmp(&(first(b), &b.record.secret_sha256))
    });
    views
}

/// The earliest commit date among `places` (RFC 3339, as recorded).
fn first_dated(places: &[Place]) -> Option<&str> {
    places
        .iter()
        .filter_map(|p| {
            let t = crate::timestamp::Timestamp::parse_rfc3339(&p.date).ok()?;
            Some((t, p.date.as_str()))
        })
        .min()
        .map(|(_, d)| d)
}

/// The rows of `summary.md` about a key's exposure and, when it held
/// `keys:manage`, the keys created since it was first exposed.
fn summary_exposure(out: &mut String, v: &KeyView<'_>) {
    let e = &v.exposure;
    let or = |s: &Option<String>, none: &str| s.clone().unwrap_or_else(|| none.to_string());
    let _ = writeln!(
        out,
        "| first exposed | {} |",
        md_cell(&or(&e.first_exposed, "unknown"))
    );
    let _ = writeln!(
        out,
        "| revoked at | {} |",
        md_cell(&or(&e.revoked_at, "not revoked by this sweep"))
    );
    let _ = writeln!(out, "| exposure window | {} |", md_cell(&e.window));
    let last = match (&e.last_used_at, v.record.usage_known) {
        (Some(t), _) => t.clone(),
        (None, true) => "never".to_string(),
        (None, false) => "unknown (the API did not list the key)".to_string(),
    };
    let _ = writeln!(out, "| last used | {} |", md_cell(&last));
    let _ = writeln!(out, "| used while exposed | {} |", e.used_while_exposed);
}

/// The persistence-check list of `summary.md` for one key.
fn summary_created_since(out: &mut String, v: &KeyView<'_>) {
    let list = &v.record.created_since_exposure;
    if list.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "\nKeys created since it was first exposed (it held `keys:manage`: whoever had it could \
         create keys; revoke any nobody on your team made):\n"
    );
    for c in list {
        let _ = writeln!(
            out,
            "- id `{}` {} prefix `{}` scopes {} created {}",
            md_cell(&c.id),
            md_cell(
                &c.name
                    .as_deref()
                    .map(|n| format!("\"{n}\""))
                    .unwrap_or_default()
            ),
            md_cell(&c.prefix),
            md_cell(&c.scopes.join(", ")),
            md_cell(&c.created_at)
        );
    }
}

fn place_of(f: &SweepFinding) -> Place {
    let r = &f.record;
    Place {
        date: r.date.clone().unwrap_or_default(),
        repo: f.repo.clone(),
        path: r.path.clone(),
        line: r.line as u64,
        commit: r.commit.clone(),
        author: r.author.clone(),
    }
}

/// The verification a status stands for (none recorded: unverified).
pub fn verification_of(status: Option<&KeyStatus>) -> Verification {
    status.map_or(Verification::Unverified, KeyStatus::verification)
}

/// Counts for the summaries.
#[derive(Debug, Default, Serialize)]
struct Totals {
    repos: usize,
    repos_incomplete: usize,
    findings: usize,
    keys: usize,
    live_before: usize,
    live_after: usize,
    revoked: usize,
    already_revoked: usize,
    left_alone: usize,
    incomplete: bool,
}

fn totals(state: &SweepState, incomplete: bool) -> Totals {
    let live = |s: &Option<KeyStatus>| s.as_ref().is_some_and(KeyStatus::is_live);
    Totals {
        repos: state.repos.len(),
        repos_incomplete: state.repos.values().filter(|r| r.incomplete).count(),
        findings: state.findings().count(),
        keys: state.keys.len(),
        live_before: state
            .keys
            .values()
            .filter(|k| live(&k.status_before))
            .count(),
        live_after: state
            .keys
            .values()
            .filter(|k| live(&k.status_after))
            .count(),
        revoked: state
            .keys
            .values()
            .filter(|k| k.action == Action::Revoked)
            .count(),
        already_revoked: state
            .keys
            .values()
            .filter(|k| k.action == Action::AlreadyRevoked)
            .count(),
        left_alone: state
            .keys
            .values()
            .filter(|k| k.action.is_problem())
            .count(),
        incomplete,
    }
}

/// A finding of the sweep's `report.json`: the stored record, with the
/// key's verification (before) in its verification fields, and
/// `status_after` and `action` (absent for a key the state does not know).
#[derive(Serialize)]
struct ReportFinding<'a> {
    #[serde(flatten)]
    record: FindingRecord,
    repo: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    status_after: Option<Option<&'a KeyStatus>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    action: Option<&'static str>,
}

fn report_finding<'a>(f: &'a SweepFinding, state: &'a SweepState) -> ReportFinding<'a> {
    let mut record = f.record.clone();
    let key = state.keys.get(&record.secret_sha256);
    if let Some(key) = key {
        let before = key.status_before.as_ref();
        record.verification = before.map_or("unverified", KeyStatus::as_str).to_string();
        if let Some(reason) = before.and_then(KeyStatus::reason) {
            record.verification_reason = Some(reason.to_string());
        }
        if let Some(m) = before.and_then(KeyStatus::can_manage_keys) {
            record.can_manage_keys = Some(m);
        }
    }
    ReportFinding {
        record,
        repo: &f.repo,
        status_after: key.map(|k| k.status_after.as_ref()),
        action: key.map(|k| k.action.as_str()),
    }
}

/// `report.json`.
pub fn render_json(state: &SweepState, incomplete: bool) -> Result<Vec<u8>> {
    let keys = key_views(state);
    let repos: Vec<Value> = state
        .repos
        .iter()
        .map(|(name, r)| {
            json!({
                "repo": name,
                "bare": r.bare,
                "findings": r.findings.len(),
                "incomplete": r.incomplete,
                "problems": r.problems,
            })
        })
        .collect();
    let doc = json!({
        "version": crate::report::json::JSON_VERSION,
        "kind": "sweep",
        "tool": { "name": env!("CARGO_PKG_NAME"), "version": env!("CARGO_PKG_VERSION") },
        "shards": state.shards,
        "summary": totals(state, incomplete),
        "repos": repos,
        "keys": keys,
        "findings": state.findings().map(|f| report_finding(f, state)).collect::<Vec<_>>(),
    });
    let mut out = serde_json::to_vec_pretty(&doc)?;
    out.push(b'\n');
    Ok(out)
}

/// `report.sarif`: the findings through the SARIF reporter, each result with
/// the repository, `status_after` and `action` in its properties and the
/// repository folded into its fingerprint (the same path in two repositories
/// is two alerts); with the lines saying what GitHub's limits left out.
pub fn render_sarif(
    state: &SweepState,
    rules: &RuleSet,
    scanner: &Scanner,
    incomplete: bool,
) -> Result<(Vec<u8>, Vec<String>)> {
    let mut findings: Vec<Finding> = Vec::new();
    let mut extra: Vec<sarif::Extra> = Vec::new();
    for f in state.findings() {
        let mut finding = crate::recover::finding_from_record(&f.record, rules, scanner);
        let key = state.keys.get(finding.secret.sha256());
        finding.verification = verification_of(key.and_then(|k| k.status_before.as_ref()));
        findings.push(finding);
        extra.push(sarif::Extra {
            properties: vec![
                ("repo".to_string(), json!(f.repo)),
                (
                    "status_after".to_string(),
                    json!(key.and_then(|k| k.status_after.as_ref())),
                ),
                (
                    "action".to_string(),
                    json!(key.map_or("none", |k| k.action.as_str())),
                ),
            ],
            fingerprint_salt: Some(f.repo.clone()),
        });
    }
    let report = Report {
        findings: &findings,
        rules,
        stale_baseline: &[],
        stats: Stats::default(),
        incomplete,
        redact: true,
        color: false,
        mode: "sweep",
    };
    sarif::render_noting(&report, &|i| extra.get(i).cloned())
}

fn md_cell(text: &str) -> String {
    crate::sanitize::sanitize(text)
        .replace('|', "\\|")
        .replace('\n', " ")
}

/// `summary.md`: per key, where it was found, first commit and author,
/// status before and after, action taken.
pub fn render_summary(state: &SweepState, incomplete: bool) -> String {
    let t = totals(state, incomplete);
    let mut out = String::from("# misar-scan sweep summary\n\n");
    let _ = writeln!(
        out,
        "{} repositories scanned ({} incomplete), {} findings, {} distinct keys: \
         {} live before, {} live after, {} revoked, {} already revoked, {} need a person.\n",
        t.repos,
        t.repos_incomplete,
        t.findings,
        t.keys,
        t.live_before,
        t.live_after,
        t.revoked,
        t.already_revoked,
        t.left_alone
    );
    if !state.shards.is_empty() {
        let _ = writeln!(out, "Shards: {}\n", state.shards.join(", "));
    }
    if incomplete {
        out.push_str("**Incomplete:** something could not be read or checked; see below.\n\n");
    }
    for v in key_views(state) {
        let r = v.record;
        let _ = writeln!(out, "## `{}` ({})\n", md_cell(&v.key), md_cell(&r.product));
        out.push_str("| | |\n|---|---|\n");
        let _ = writeln!(out, "| secret_sha256 | `{}` |", r.secret_sha256);
        let _ = writeln!(out, "| product | {} |", md_cell(&r.product));
        if let Some(first) = v.first() {
            let _ = writeln!(
                out,
                "| first commit | `{}` {} by {} |",
                md_cell(&first.describe()),
                md_cell(&first.date),
                md_cell(first.author.as_deref().unwrap_or("-"))
            );
        }
        let describe = |s: &Option<KeyStatus>| {
            s.as_ref()
                .map_or_else(|| "not verified".to_string(), KeyStatus::describe)
        };
        let _ = writeln!(
            out,
            "| status before | {} |",
            md_cell(&describe(&r.status_before))
        );
        let _ = writeln!(
            out,
            "| status after | {} |",
            md_cell(&describe(&r.status_after))
        );
        let action = if r.detail.is_empty() {
            r.action.as_str().to_string()
        } else {
            format!("{}: {}", r.action.as_str(), r.detail)
        };
        let _ = writeln!(out, "| action | {} |", md_cell(&action));
        if let Some(id) = &r.key_id {
            let _ = writeln!(out, "| key id | `{}` |", md_cell(id));
        }
        summary_exposure(&mut out, &v);
        summary_created_since(&mut out, &v);
        out.push_str("\nFound at:\n\n");
        for p in &v.locations {
            let _ = writeln!(
                out,
                "- `{}` line {}{}",
                md_cell(&p.describe()),
                p.line,
                p.author
                    .as_deref()
                    .map(|a| format!(" ({}, {})", md_cell(a), md_cell(&p.date)))
                    .unwrap_or_default()
            );
        }
        out.push('\n');
    }
    let problems: Vec<(&String, &String)> = state
        .repos
        .iter()
        .flat_map(|(name, r)| r.problems.iter().map(move |p| (name, p)))
        .collect();
    if !problems.is_empty() {
        out.push_str("## Problems\n\n");
        for (name, p) in problems {
            let _ = writeln!(out, "- `{}`: {}", md_cell(name), md_cell(p));
        }
        out.push('\n');
    }
    out
}

/// Escape text for HTML; `://` is broken up too, so no text reads as a URL.
pub fn html_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in crate::sanitize::sanitize(text).chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '/' => out.push_str("&#47;"),
            c => out.push(c),
        }
    }
    out
}

const CSS: &str = "body{font:14px/1.45 system-ui,sans-serif;margin:2em;color:#222}\
h1{font-size:1.6em}h2{font-size:1.25em;margin-top:2em;border-bottom:1px solid #ccc}\
table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:.25em .6em;text-align:left;vertical-align:top}\
th{background:#f3f3f3}code{font-family:ui-monospace,monospace}\
.live{color:#b00020;font-weight:bold}.not_live{color:#2e7d32}.unknown{color:#a15c00}\
.revoked,.already_revoked{color:#2e7d32;font-weight:bold}.problem{color:#b00020}\
ul.timeline{list-style:none;padding-left:0}ul.timeline li{border-left:3px solid #888;padding:.2em .8em;margin:.2em 0}";

fn status_cell(s: &Option<KeyStatus>) -> String {
    match s {
        Some(s) => format!(
            "<span class=\"{}\">{}</span>",
            html_escape(s.as_str()),
            html_escape(&s.describe())
        ),
        None => "not verified".into(),
    }
}

fn action_cell(k: &KeyRecord) -> String {
    let class = if k.action.is_problem() {
        "problem"
    } else {
        k.action.as_str()
    };
    let mut out = format!(
        "<span class=\"{class}\">{}</span>",
        html_escape(k.action.as_str())
    );
    if !k.detail.is_empty() {
        out.push_str(&format!("<br>{}", html_escape(&k.detail)));
    }
    out
}

/// `report.html`: one self-contained page, no external references.
pub fn render_html(state: &SweepState, incomplete: bool) -> String {
    let t = totals(state, incomplete);
    let views = key_views(state);
    let mut h = String::new();
    h.push_str("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">");
    h.push_str("<title>misar-scan sweep report</title>");
    let _ = write!(h, "<style>{CSS}</style></head><body>");
    h.push_str("<h1>misar-scan sweep report</h1>");
    let _ = write!(
        h,
        "<p>{} repositories scanned ({} incomplete), {} findings, <b>{} distinct keys</b>: \
         <span class=\"live\">{} live before</span>, {} live after, \
         <span class=\"revoked\">{} revoked</span>, {} already revoked, \
         <span class=\"problem\">{} need a person</span>.</p>",
        t.repos,
        t.repos_incomplete,
        t.findings,
        t.keys,
        t.live_before,
        t.live_after,
        t.revoked,
        t.already_revoked,
        t.left_alone
    );
    if incomplete {
        h.push_str(
            "<p class=\"problem\"><b>Incomplete:</b> something could not be read or checked.</p>",
        );
    }

    // Keys by status and product.
    h.push_str("<h2>Keys by status and product</h2>");
    let mut grid: BTreeMap<(String, String), usize> = BTreeMap::new();
    let mut products: Vec<String> = Vec::new();
    for v in &views {
        let status = v
            .record
            .status_after
            .as_ref()
            .or(v.record.status_before.as_ref())
            .map_or("unverified".to_string(), |s| s.as_str().to_string());
        if !products.contains(&v.record.product) {
            products.push(v.record.product.clone());
        }
        *grid.entry((status, v.record.product.clone())).or_default() += 1;
    }
    products.sort();
    h.push_str("<table><tr><th>status now</th>");
    for p in &products {
        let _ = write!(h, "<th>{}</th>", html_escape(p));
    }
    h.push_str("</tr>");
    for status in ["live", "unknown", "unverified", "not_live"] {
        if !grid.keys().any(|(s, _)| s == status) {
            continue;
        }
        let _ = write!(
            h,
            "<tr><td class=\"{status}\">{}</td>",
            status.replace('_', " ")
        );
        for p in &products {
            let n = grid
                .get(&(status.to_string(), p.clone()))
                .copied()
                .unwrap_or(0);
            let _ = write!(h, "<td>{n}</td>");
        }
        h.push_str("</tr>");
    }
    h.push_str("</table>");

    h.push_str("<h2>Keys</h2><table><tr><th>key</th><th>product</th><th>sha256</th><th>first commit</th><th>status before</th><th>status after</th><th>action</th><th>exposure</th><th>found at</th></tr>");
    for v in &views {
        let r = v.record;
        let first = v.first().map_or(String::new(), |p| {
            format!(
                "{}<br>{}<br>{}",
                html_escape(&p.date),
                html_escape(p.author.as_deref().unwrap_or("")),
                html_escape(&p.describe())
            )
        });
        let places: Vec<String> = v
            .locations
            .iter()
            .map(|p| {
                format!(
                    "<code>{}</code> line {}",
                    html_escape(&p.describe()),
                    p.line
                )
            })
            .collect();
        let e = &v.exposure;
        let exposure = format!(
            "first exposed {}<br>revoked at {}<br>window {}<br>last used {}<br>used while exposed: <b>{}</b>",
            html_escape(e.first_exposed.as_deref().unwrap_or("unknown")),
            html_escape(e.revoked_at.as_deref().unwrap_or("-")),
            html_escape(&e.window),
            html_escape(e.last_used_at.as_deref().unwrap_or(if r.usage_known { "never" } else { "unknown" })),
            e.used_while_exposed
        );
        let _ = write!(
            h,
            "<tr><td><code>{}</code></td><td>{}</td><td><code>{}</code></td><td>{first}</td><td>{}</td><td>{}</td><td>{}</td><td>{exposure}</td><td>{}</td></tr>",
            html_escape(&v.key),
            html_escape(&r.product),
            html_escape(crate::secret::clip(&r.secret_sha256, 16)),
            status_cell(&r.status_before),
            status_cell(&r.status_after),
            action_cell(r),
            places.join("<br>")
        );
    }
    h.push_str("</table>");

    h.push_str("<h2>Persistence check: keys created since a keys:manage key leaked</h2>");
    let minting: Vec<&KeyView<'_>> = views
        .iter()
        .filter(|v| !v.record.created_since_exposure.is_empty())
        .collect();
    if minting.is_empty() {
        h.push_str(
            "<p>No live key holding keys:manage had keys created after its first exposure.</p>",
        );
    } else {
        h.push_str(
            "<table><tr><th>leaked key</th><th>first exposed</th><th>created since</th></tr>",
        );
        for v in minting {
            let list: Vec<String> = v
                .record
                .created_since_exposure
                .iter()
                .map(|c| {
                    format!(
                        "id <code>{}</code> {} <code>{}</code> [{}] created {}",
                        html_escape(&c.id),
                        html_escape(c.name.as_deref().unwrap_or("")),
                        html_escape(&c.prefix),
                        html_escape(&c.scopes.join(", ")),
                        html_escape(&c.created_at)
                    )
                })
                .collect();
            let _ = write!(
                h,
                "<tr><td><code>{}</code></td><td>{}</td><td>{}</td></tr>",
                html_escape(&v.key),
                html_escape(v.exposure.first_exposed.as_deref().unwrap_or("unknown")),
                list.join("<br>")
            );
        }
        h.push_str("</table>");
    }

    h.push_str("<h2>What was revoked</h2>");
    let revoked: Vec<&KeyView<'_>> = views
        .iter()
        .filter(|v| v.record.action.is_final())
        .collect();
    if revoked.is_empty() {
        h.push_str("<p>Nothing was revoked.</p>");
    } else {
        h.push_str("<ul>");
        for v in revoked {
            let _ = write!(
                h,
                "<li><code>{}</code> ({}) id <code>{}</code>: {}</li>",
                html_escape(&v.key),
                html_escape(&v.record.product),
                html_escape(v.record.key_id.as_deref().unwrap_or("?")),
                html_escape(&v.record.detail)
            );
        }
        h.push_str("</ul>");
    }

    h.push_str("<h2>Repositories affected</h2><table><tr><th>repository</th><th>kind</th><th>findings</th><th>keys</th><th>problems</th></tr>");
    for (name, r) in &state.repos {
        let mut keys: Vec<String> = r.findings.iter().map(|f| f.record.secret.clone()).collect();
        keys.sort();
        keys.dedup();
        let _ = write!(
            h,
            "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            html_escape(name),
            if r.bare { "bare" } else { "work tree" },
            r.findings.len(),
            keys.iter()
                .map(|k| format!(
                    "<code>{}</code>",
                    html_escape(&redact(k.trim_end_matches('…')))
                ))
                .collect::<Vec<_>>()
                .join(" "),
            html_escape(&r.problems.join("; "))
        );
    }
    h.push_str("</table>");

    h.push_str("<h2>Timeline: when each key first appeared</h2><ul class=\"timeline\">");
    for v in &views {
        if let Some(p) = v.first() {
            let _ = write!(
                h,
                "<li><b>{}</b> <code>{}</code> ({}) in <code>{}</code> by {}</li>",
                html_escape(if p.date.is_empty() {
                    "no date"
                } else {
                    &p.date
                }),
                html_escape(&v.key),
                html_escape(&v.record.product),
                html_escape(&p.describe()),
                html_escape(p.author.as_deref().unwrap_or("unknown"))
            );
        }
    }
    h.push_str("</ul>");
    let _ = writeln!(
        h,
        "<p><small>{} {}</small></p></body></html>",
        env!("CARGO_PKG_NAME"),
        env!("CARGO_PKG_VERSION")
    );
    h
}

/// What `sweep` prints on standard output: one line per key (redacted key,
/// product, SHA-256, status before and after, action, where first found),
/// and the detail of every key not simply revoked.
pub fn render_key_lines(state: &SweepState) -> String {
    let status = |s: &Option<KeyStatus>| {
        s.as_ref()
            .map_or("unverified".to_string(), KeyStatus::describe)
    };
    let mut out = String::new();
    for v in key_views(state) {
        let r = v.record;
        let _ = writeln!(
            out,
            "{}  {}  sha256 {}  before: {}  after: {}  action: {}  ({} location(s), first {})",
            v.key,
            r.product,
            crate::secret::clip(&r.secret_sha256, 16),
            status(&r.status_before),
            status(&r.status_after),
            r.action.as_str(),
            v.locations.len(),
            v.first()
                .map_or(String::new(), |p| crate::sanitize::sanitize(&p.describe())),
        );
        if r.action != Action::Revoked && !r.detail.is_empty() {
            let _ = writeln!(out, "  {}", crate::sanitize::sanitize(&r.detail));
        }
    }
    out
}

/// Write `report.json`, `report.sarif`, `summary.md` and `report.html` into
/// `dir`; returns the lines saying what GitHub's limits left out of the SARIF.
pub fn write_reports(
    dir: &Path,
    state: &SweepState,
    rules: &RuleSet,
    scanner: &Scanner,
    incomplete: bool,
) -> Result<Vec<String>> {
    let (sarif, notes) = render_sarif(state, rules, scanner, incomplete)?;
    let files: [(&str, Vec<u8>); 4] = [
        ("report.json", render_json(state, incomplete)?),
        ("report.sarif", sarif),
        ("summary.md", render_summary(state, incomplete).into_bytes()),
        ("report.html", render_html(state, incomplete).into_bytes()),
    ];
    for (name, bytes) in files {
        write_atomic(&dir.join(name), &bytes)
            .with_context(|| format!("failed to write the sweep report `{name}`"))?;
    }
    Ok(notes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_escape_breaks_markup_and_urls() {
        assert_eq!(
            html_escape("<a href=\"https://x\">&</a>"),
            "&lt;a href=&quot;https:&#47;&#47;x&quot;&gt;&amp;&lt;&#47;a&gt;"
        );
    }

    #[test]
    fn html_has_no_external_reference() {
        let mut state = SweepState::new(None);
        state.keys.insert(
            "ab".into(),
            KeyRecord {
                stem: "msk_AAAA".into(),
                secret_sha256: "ab".into(),
                product: "Misar Mail".into(),
                detail: "see https://example.com/<script>".into(),
                ..KeyRecord::default()
            },
        );
        let html = render_html(&state, false);
        assert!(!html.contains("http://") && !html.contains("https://"));
        assert!(!html.contains("<script"));
        assert!(!html.contains("src=") && !html.contains("href="));
    }
}
