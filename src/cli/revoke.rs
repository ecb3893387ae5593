//! `misar-scan revoke`: revoke live keys from a JSON report or `--stdin`
//! (SPEC §2, §3). Dry run unless `--yes`.
//!
//! For each distinct key: verify it in this run; list the account's keys
//! with the key itself when it holds `keys:manage`, else with
//! `MISAR_ADMIN_KEY` (environment only); plan with [`crate::revoke::plan`];
//! print the plan. With `--yes`: `DELETE /api/v1/keys/:id` once (never
//! retried), `404` meaning already revoked, then re-verify: the key must now
//! get `401`. If it is still live after a successful `DELETE`, a different key
//! was revoked: that is reported loudly and no further key is revoked. Every
//! action is appended to the audit log as a JSON line.
//!
//! Exit code: 0 nothing live is left (every live key revoked and confirmed,
//! or none was live); 1 (dry run) live keys would be revoked; 2 anything
//! refused, failed, unknown or discrepant, or a usage/runtime error.

#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Args;
use serde::Serialize;

use super::args::{ApiArgs, KeySource};
use super::{sanitize, write_output, Outcome};
use crate::api::model::{parse_error_code, parse_success, scrub_entries};
use crate::api::{ApiClient, BaseUrl, KeyEntry};
use crate::config::load_rules;
use crate::config::{ApiEnv, RepoConfig};
use crate::engine::Scanner;
use crate::finding::{Finding, Verification};
use crate::revoke::{plan, Credential, Listing, RevocationStep};
use crate::secret::Secret;
use crate::verify::{base_for, client, verify_with};
use crate::verify::{judge, verify_one, Answer, Checked};

/// The default audit log, in the current directory.
pub const DEFAULT_AUDIT_LOG: &str = "misar-scan-audit.jsonl";

/// Output of `revoke`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum RevokeFormat {
    /// One block per key.
    Human,
    /// A JSON array, one object per key.
    Json,
}

/// Options of `revoke`.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  misar-scan revoke findings.json                 dry run: print the plan\n  misar-scan revoke findings.json --yes           revoke, re-verify, log to misar-scan-audit.jsonl\n  MISAR_ADMIN_KEY=... misar-scan revoke --stdin --yes < leaked.txt\n\nKeys that hold keys:manage revoke themselves; others need MISAR_ADMIN_KEY (a key of the same\naccount with keys:manage), read from the environment only, never from a flag.\nExit codes: 0 nothing live is left, 1 (dry run) live keys would be revoked, 2 anything refused,\nfailed, unknown or discrepant (see the output and the audit log), or a usage/runtime error."
)]
pub struct RevokeArgs {
    #[command(flatten)]
    pub source: KeySource,

    /// Revoke for real. Without it, only print what would be revoked (dry run).
    ///
    /// Needs no terminal: there is no prompt.
    #[arg(long)]
    pub yes: bool,

    /// Append every action to FILE, as JSON lines.
    #[arg(long, value_name = "FILE", default_value = DEFAULT_AUDIT_LOG)]
    pub audit_log: PathBuf,

    /// Output format.
    #[arg(short, long, value_enum, default_value_t = RevokeFormat::Human)]
    pub format: RevokeFormat,

    /// Write the output to FILE instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Load extra rules from every `*.toml` in DIR (as in `scan`).
    #[arg(long, value_name = "DIR")]
    pub rules: Option<PathBuf>,

    #[command(flatten)]
    pub api: ApiArgs,
}

/// One line of the audit log.
#[derive(Debug, Serialize)]
struct AuditRecord<'a> {
    time: String,
    key_stem: &'a str,
    secret_sha256: &'a str,
    key_id: Option<&'a str>,
    action: &'a str,
    credential: Option<&'a str>,
    credential_stem: Option<&'a str>,
    dry_run: bool,
    outcome: &'a str,
}

/// The audit log: one JSON line per API action, appended and flushed as it happens.
pub(crate) struct Audit {
    file: File,
    path: PathBuf,
    dry_run: bool,
}

impl Audit {
    /// Open (create or append to) the audit log at `path`.
    pub(crate) fn open(path: &std::path::Path, dry_run: bool) -> Result<Self> {
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .with_context(|| format!("failed to open audit log `{}`", path.display()))?;
        Ok(Self {
            file,
            path: path.to_path_buf(),
            dry_run,
        })
    }

    /// Open (create or append to) the audit log at `path`, refusing a
    /// symbolic link there ([`crate::sweep::open_append_no_follow`]): for
    /// the sweep's report folder.
    pub(crate) fn open_no_follow(path: &std::path::Path, dry_run: bool) -> Result<Self> {
        let file = crate::sweep::open_append_no_follow(path)
            .with_context(|| format!("failed to open audit log `{}`", path.display()))?;
        Ok(Self {
            file,
            path: path.to_path_buf(),
            dry_run,
        })
    }

    /// Append one action.
    pub(crate) fn record(
        &mut self,
        secret: &Secret,
        key_id: Option<&str>,
        action: &str,
        credential: Option<&Credential>,
        outcome: &str,
    ) -> Result<()> {
        let rec = AuditRecord {
            time: rfc3339_now(),
            key_stem: secret.stem(),
            secret_sha256: secret.sha256(),
            key_id,
            action,
            credential: credential.map(|c| match c {
                Credential::LeakedKey { .. } => "leaked_key",
                Credential::AdminKey { .. } => "admin_key",
            }),
            credential_stem: credential.map(Credential::stem),
            dry_run: self.dry_run,
            outcome,
        };
        let mut line = serde_json::to_vec(&rec)?;
        line.push(b'\n');
        self.file
            .write_all(&line)
            .and_then(|()| self.file.flush())
            .with_context(|| format!("failed to append to audit log `{}`", self.path.display()))
    }
}

/// What happened to one key, for the output.
#[derive(Debug, Serialize)]
struct KeyReport {
    key: String,
    secret_sha256: String,
    verification: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    verification_reason: Option<String>,
    plan: RevocationStep,
    /// What was done (`--yes`), or `dry run`.
    outcome: String,
    /// The key is still live at the end.
    #[serde(skip)]
    live_left: bool,
    /// Refused, failed, unknown or discrepant.
    #[serde(skip)]
    problem: bool,
}

/// Run `revoke`.
pub fn run(args: RevokeArgs) -> Result<Outcome> {
    let rules = load_rules(args.rules.as_deref(), &RepoConfig::empty())?;
    let scanner = Scanner::new(&rules, &[]);
    let (loaded, input_incomplete) = args.source.load(&rules, &scanner, true)?;
    let mut audit = Audit::open(&args.audit_log, !args.yes)?;

    // One entry per distinct key, in report order.
    let mut seen = std::collections::HashSet::new();
    let mut keys: Vec<Finding> = loaded
        .into_iter()
        .map(|l| l.finding)
        .filter(|f| seen.insert(f.secret.sha256().to_string()))
        .collect();
    let env = ApiEnv::from_env();
    // If the admin key itself leaked, revoke it last: the others may need it.
    if let Some(admin) = &env.admin_key {
        keys.sort_by_key(|f| f.secret.sha256() == admin.sha256());
    }
    let client = client(&args.api.options()?, &env)?;
    if !args.yes {
        eprintln!("dry run: nothing will be revoked; pass `--yes` to act");
    }
    let results = verify_with(
        &client,
        keys.iter(),
        &rules,
        &env,
        args.api.verify_concurrency,
    );
    let mut admin_lists: HashMap<BaseUrl, Result<Vec<KeyEntry>, String>> = HashMap::new();
    let mut reports = Vec::new();
    let mut stopped = false;
    for f in &keys {
        let checked = results.get(f.secret.sha256()).cloned().unwrap_or_else(|| {
            Checked::unknown(
                f.verification
                    .reason()
                    .unwrap_or("not verified")
                    .to_string(),
            )
        });
        audit.record(
            &f.secret,
            checked.key.as_ref().map(|k| k.id.as_str()),
            "verify",
            Some(&Credential::LeakedKey {
                stem: f.secret.stem().into(),
            }),
            &verification_text(&checked.verification),
        )?;
        let base = base_for(&rules, &f.rule_id, &env);
        let prefix = rules.get(&f.rule_id).map_or("", |r| r.prefix.as_str());
        let step = if stopped {
            RevocationStep::Refuse {
                reason: NOT_ATTEMPTED.into(),
            }
        } else {
            let listing = listing_for(&checked, &base, &env, &client, &mut admin_lists);
            plan(&f.secret, prefix, &checked.verification, listing)
        };
        let mut report = KeyReport {
            key: f.secret.redacted(),
            secret_sha256: f.secret.sha256().to_string(),
            verification: checked.verification.as_str(),
            verification_reason: checked.verification.reason().map(str::to_string),
            plan: step.clone(),
            outcome: String::new(),
            live_left: matches!(checked.verification, Verification::Live { .. }),
            problem: false,
        };
        match (&step, args.yes) {
            (RevocationStep::Skip { reason }, _) => {
                report.outcome = format!("skipped: {reason}");
                audit.record(&f.secret, None, "skip", None, reason)?;
            }
            (RevocationStep::Refuse { reason }, _) => {
                report.outcome = format!("refused: {reason}");
                report.problem = true;
                audit.record(&f.secret, None, "refuse", None, reason)?;
            }
            (RevocationStep::Revoke { id, credential, .. }, false) => {
                report.outcome = "dry run: would revoke".into();
                audit.record(
                    &f.secret,
                    Some(id),
                    "plan",
                    Some(credential),
                    &format!("would revoke with {}", credential.describe()),
                )?;
            }
            (RevocationStep::Revoke { id, credential, .. }, true) => {
                let base = base
                    .as_ref()
                    .map_err(|reason| anyhow::anyhow!("{reason}"))?;
                let cred_secret = match credential {
                    Credential::LeakedKey { .. } => &f.secret,
                    Credential::AdminKey { .. } => env
                        .admin_key
                        .as_ref()
                        .context("a plan with the admin key needs `MISAR_ADMIN_KEY`")?,
                };
                let executed = execute(
                    &client,
                    base,
                    &f.secret,
                    cred_secret,
                    id,
                    credential,
                    &mut audit,
                )?;
                if executed.deleted {
                    // The list cached for later keys must not offer this entry again.
                    for list in admin_lists.values_mut().filter_map(|l| l.as_mut().ok()) {
                        list.retain(|e| e.id != *id);
                    }
                }
                report.outcome = executed.outcome;
                report.live_left = executed.live_left;
                report.problem = executed.problem;
                if executed.stop {
                    stopped = true;
                    eprintln!(
                        "error: {} is STILL LIVE after revoking key id `{}`: a different key \
                         was revoked. Stopping: no further keys will be revoked.",
                        f.secret.redacted(),
                        sanitize(id),
                    );
                    eprintln!(
                        "hint: check the Misar dashboard now; the audit log `{}` has every action",
                        args.audit_log.display()
                    );
                }
            }
        }
        reports.push(report);
    }
    let bytes = match args.format {
        RevokeFormat::Human => human(&reports, args.yes).into_bytes(),
        RevokeFormat::Json => {
            let mut v = serde_json::to_vec_pretty(&reports)?;
            v.push(b'\n');
            v
        }
    };
    write_output(args.output.as_ref(), &bytes).context("failed to write the output")?;
    Ok(Outcome {
        findings: reports.iter().filter(|r| r.live_left).count(),
        incomplete: input_incomplete || reports.iter().any(|r| r.problem),
        ..Outcome::default()
    })
}

pub(crate) const NOT_ATTEMPTED: &str =
    "not attempted: stopped after a revocation that did not take";

const NO_ADMIN_KEY: &str = "the key lacks `keys:manage` and `MISAR_ADMIN_KEY` is not set; \
     hint: set it to a key of the same account that holds `keys:manage`";

/// The list to plan with: the key's own (it holds `keys:manage`), else the
/// admin key's (listed once per API base), else why there is none.
pub(crate) fn listing_for<'a>(
    checked: &'a Checked,
    base: &Result<BaseUrl, String>,
    env: &ApiEnv,
    client: &ApiClient,
    admin_lists: &'a mut HashMap<BaseUrl, Result<Vec<KeyEntry>, String>>,
) -> Listing<'a> {
    let base = match base {
        Ok(base) => base,
        Err(reason) => {
            return Listing::Unavailable {
                reason: reason.clone(),
            }
        }
    };
    match (&checked.verification, &env.admin_key) {
        (
            Verification::Live {
                can_manage_keys: true,
            },
            _,
        ) => Listing::Own(checked.entries.as_deref().unwrap_or_default()),
        (
            Verification::Live {
                can_manage_keys: false,
            },
            Some(admin),
        ) => {
            let list = admin_lists
                .entry(base.clone())
                .or_insert_with(|| admin_list(client, base, admin));
            match list {
                Ok(entries) => Listing::Admin {
                    stem: admin.stem().to_string(),
                    entries,
                },
                Err(reason) => Listing::Unavailable {
                    reason: reason.clone(),
                },
            }
        }
        (
            Verification::Live {
                can_manage_keys: false,
            },
            None,
        ) => Listing::Unavailable {
            reason: NO_ADMIN_KEY.into(),
        },
        // Not live: the planner decides on the verification alone.
        _ => Listing::Unavailable {
            reason: String::new(),
        },
    }
}

/// The admin key's list, scrubbed of the admin key (a lying server could
/// echo it in any field; [`plan`] scrubs the leaked key), or why it cannot be had.
fn admin_list(client: &ApiClient, base: &BaseUrl, admin: &Secret) -> Result<Vec<KeyEntry>, String> {
    match client.list_keys(base, admin, judge) {
        Ok(Answer::Live {
            can_manage_keys: true,
            mut entries,
        }) => {
            scrub_entries(&mut entries, &[admin.expose()]);
            Ok(entries)
        }
        Ok(Answer::Live {
            can_manage_keys: false,
            ..
        }) => Err(format!(
            "`MISAR_ADMIN_KEY` ({}) lacks `keys:manage` (403), so the key's id cannot be listed",
            admin.redacted()
        )),
        Ok(Answer::NotLive) => Err(format!(
            "`MISAR_ADMIN_KEY` ({}) is not live (401)",
            admin.redacted()
        )),
        Err(e) => Err(format!("listing keys with `MISAR_ADMIN_KEY` failed: {e}")),
    }
}

/// What one executed revocation did.
pub(crate) struct Executed {
    /// The `DELETE` was answered 200 or 404 (the entry is gone).
    pub(crate) deleted: bool,
    /// The `DELETE` was answered 404: someone revoked it before us.
    pub(crate) already_revoked: bool,
    /// What happened, for the output.
    pub(crate) outcome: String,
    /// The key is still live afterwards.
    pub(crate) live_left: bool,
    /// Failed, unconfirmed or discrepant.
    pub(crate) problem: bool,
    /// A different key was revoked: stop revoking.
    pub(crate) stop: bool,
    /// The re-verification after the `DELETE`.
    pub(crate) after: Verification,
}

/// `DELETE` once, then re-verify the leaked key.
pub(crate) fn execute(
    client: &ApiClient,
    base: &BaseUrl,
    leaked: &Secret,
    cred: &Secret,
    id: &str,
    credential: &Credential,
    audit: &mut Audit,
) -> Result<Executed> {
    let (deleted, delete_text) = match client.delete_key(base, cred, id) {
        Ok(r) if r.status == 200 && parse_success(&r.body) => (true, "revoked".to_string()),
        Ok(r) if r.status == 404 && parse_error_code(&r.body).as_deref() == Some("NOT_FOUND") => {
            (true, "already revoked (404)".to_string())
        }
        Ok(r) => (
            false,
            format!(
                "DELETE failed: {}; not retried",
                crate::verify::describe(&r)
            ),
        ),
        Err(e) => (false, format!("DELETE failed: {e}; not retried")),
    };
    audit.record(leaked, Some(id), "delete", Some(credential), &delete_text)?;
    let after = verify_one(client, base, leaked);
    // (outcome, still live, a problem, stop revoking)
    let (outcome, live_left, problem, stop) = match (&after.verification, deleted) {
        (Verification::NotLive, true) if delete_text == "revoked" => {
            ("revoked (confirmed 401)".to_string(), false, false, false)
        }
        (Verification::NotLive, true) => {
            (format!("{delete_text}; confirmed 401"), false, false, false)
        }
        (Verification::NotLive, false) => {
            let text = format!("{delete_text}; the key now gets 401 (not live)");
            (text, false, true, false)
        }
        (Verification::Live { .. }, true) => {
            let text = format!(
                "DISCREPANCY: {delete_text} id `{id}`, but the key is STILL LIVE: \
                 a different key was revoked; stopped"
            );
            (text, true, true, true)
        }
        (Verification::Live { .. }, false) => (
            format!("{delete_text}; the key is still live"),
            true,
            true,
            false,
        ),
        (v, _) => {
            let text = format!(
                "{delete_text}; re-verification gave no answer ({}): check the dashboard",
                v.reason().unwrap_or("unknown")
            );
            (text, false, true, false)
        }
    };
    let leaked_credential = Credential::LeakedKey {
        stem: leaked.stem().to_string(),
    };
    let action = if stop { "discrepancy" } else { "reverify" };
    audit.record(leaked, Some(id), action, Some(&leaked_credential), &outcome)?;
    Ok(Executed {
        deleted,
        already_revoked: deleted && delete_text != "revoked",
        outcome,
        live_left,
        problem,
        stop,
        after: after.verification,
    })
}

pub(crate) fn verification_text(v: &Verification) -> String {
    match v {
        Verification::Live {
            can_manage_keys: true,
        } => "live (holds keys:manage)".into(),
        Verification::Live {
            can_manage_keys: false,
        } => "live (lacks keys:manage)".into(),
        Verification::NotLive => "not live (401)".into(),
        Verification::Unknown { reason } => format!("unknown: {reason}"),
        Verification::Unverified => "unverified".into(),
    }
}

fn human(reports: &[KeyReport], acting: bool) -> String {
    let mut out = String::new();
    for r in reports {
        let verification = match &r.verification_reason {
            Some(reason) => format!("{} ({reason})", r.verification),
            None => r.verification.to_string(),
        };
        out.push_str(&format!(
            "{}  sha256 {}  {}\n",
            r.key,
            crate::secret::clip(&r.secret_sha256, 16),
            verification
        ));
        match &r.plan {
            RevocationStep::Revoke {
                id,
                name,
                prefix,
                credential,
            } => out.push_str(&format!(
                "  plan: revoke id `{}`{} (prefix `{}`) with {}\n",
                sanitize(id),
                name.as_deref()
                    .map(|n| format!(" \"{}\"", sanitize(n)))
                    .unwrap_or_default(),
                sanitize(prefix),
                credential.describe()
            )),
            RevocationStep::Skip { reason } => {
                out.push_str(&format!("  plan: skip: {}\n", sanitize(reason)))
            }
            RevocationStep::Refuse { reason } => {
                out.push_str(&format!("  plan: refuse: {}\n", sanitize(reason)))
            }
        }
        if acting && matches!(r.plan, RevocationStep::Revoke { .. }) {
            out.push_str(&format!("  result: {}\n", sanitize(&r.outcome)));
        }
    }
    let revoke = reports
        .iter()
        .filter(|r| matches!(r.plan, RevocationStep::Revoke { .. }))
        .count();
    let refused = reports
        .iter()
        .filter(|r| matches!(r.plan, RevocationStep::Refuse { .. }))
        .count();
    let live_left = reports.iter().filter(|r| r.live_left).count();
    let n = reports.len();
    out.push_str(&if acting {
        format!("{n} key(s): {revoke} revocation(s) attempted, {refused} refused, {live_left} still live\n")
    } else {
        format!("{n} key(s): {revoke} would be revoked, {refused} refused (dry run; pass --yes to act)\n")
    });
    out
}

/// The current time as RFC 3339 UTC, to the second.
pub(crate) fn rfc3339_now() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let (days, rem) = ((secs / 86_400) as i64, secs % 86_400);
    let (year, month, day) = crate::timestamp::civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn rfc3339_has_the_right_shape() {
        let t = super::rfc3339_now();
        assert_eq!(t.len(), 20, "{t}");
        assert!(t.starts_with("20") && t.ends_with('Z'), "{t}");
    }
}
