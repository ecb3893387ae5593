//! The `revoke` command (SPEC §2, §3) as a library function: [`run`] takes
//! the keys (findings from a report or standard input) and returns what
//! happened to each one ([`RevokeResult`]); `cli/revoke.rs` loads the keys
//! and renders the result (`report::revoke`).
//!
//! For each distinct key, in order (the admin key itself last, should it
//! have leaked: the others may need it): verify it in this run; plan with
//! the list of its own account ([`Revoker::plan`]); with
//! [`RevokeOptions::act`] revoke it through the [`Revoker`] (`DELETE` once,
//! `404` meaning already revoked, then re-verify). A key still live after a
//! successful `DELETE` means a different key was revoked: no further key is
//! revoked. Every action is appended to the audit log.

use std::collections::HashSet;
use std::path::PathBuf;

use anyhow::Result;

use super::execute::{Attempt, Executed, Revoker};
use super::log::{Audit, AuditAction};
use super::plan::RevocationStep;
use crate::api::ApiClient;
use crate::config::ApiEnv;
use crate::finding::{Finding, Verification};
use crate::rules::RuleSet;
use crate::verify::{base_for, client, verify_with, ApiOptions, Checked};

/// What `revoke` is asked to do.
#[derive(Debug, Clone)]
pub struct RevokeOptions {
    /// Revoke for real (`--yes`); otherwise a dry run that verifies, plans
    /// and sends no `DELETE`.
    pub act: bool,
    /// The audit log to append to.
    pub audit_log: PathBuf,
    /// How to reach the API.
    pub api: ApiOptions,
}

/// What happened to one key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyOutcome {
    /// Not live: nothing to do.
    Skipped {
        /// Why.
        reason: String,
    },
    /// May be live, but cannot be revoked safely (or was not attempted).
    Refused {
        /// Why.
        reason: String,
    },
    /// A dry run: it would be revoked.
    WouldRevoke,
    /// The revocation was sent and re-verified.
    Executed(Executed),
}

/// One distinct key: its verification, plan and outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyResult {
    /// The key, redacted (`msk_AbCd…`).
    pub key: String,
    /// Its SHA-256.
    pub secret_sha256: String,
    /// Its verification in this run.
    pub verification: Verification,
    /// What was planned.
    pub plan: RevocationStep,
    /// What happened.
    pub outcome: KeyOutcome,
}

impl KeyResult {
    /// The key is still live at the end.
    pub fn live_left(&self) -> bool {
        match &self.outcome {
            KeyOutcome::Executed(e) => e.live_left(),
            _ => matches!(self.verification, Verification::Live { .. }),
        }
    }

    /// Refused, failed, unknown or discrepant: a person must look.
    pub fn problem(&self) -> bool {
        match &self.outcome {
            KeyOutcome::Refused { .. } => true,
            KeyOutcome::Executed(e) => e.problem(),
            KeyOutcome::Skipped { .. } | KeyOutcome::WouldRevoke => false,
        }
    }

    /// The outcome as the output says it.
    pub fn describe(&self) -> String {
        match &self.outcome {
            KeyOutcome::Skipped { reason } => format!("skipped: {reason}"),
            KeyOutcome::Refused { reason } => format!("refused: {reason}"),
            KeyOutcome::WouldRevoke => "dry run: would revoke".into(),
            KeyOutcome::Executed(e) => e.describe(),
        }
    }

    /// The revocation that found a different key revoked, if this was it.
    pub fn discrepancy(&self) -> Option<&Executed> {
        match &self.outcome {
            KeyOutcome::Executed(e) if e.discrepancy() => Some(e),
            _ => None,
        }
    }
}

/// What `revoke` did, key by key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevokeResult {
    /// It revoked for real (not a dry run).
    pub acted: bool,
    /// Each distinct key, in the order handled.
    pub keys: Vec<KeyResult>,
}

impl RevokeResult {
    /// Keys still live at the end.
    pub fn live_left(&self) -> usize {
        self.keys.iter().filter(|k| k.live_left()).count()
    }

    /// The key whose revocation found a different key revoked, and that
    /// revocation (the run stops at the first).
    pub fn discrepancy(&self) -> Option<(&KeyResult, &Executed)> {
        self.keys
            .iter()
            .find_map(|k| k.discrepancy().map(|e| (k, e)))
    }

    /// Whether any key was refused, failed, unknown or discrepant.
    pub fn needs_person(&self) -> bool {
        self.keys.iter().any(KeyResult::problem)
    }
}

/// The keys a run acts on, each with its verification, and the client that
/// checked them.
pub(crate) struct Verified {
    /// `MISAR_*` as read.
    pub(crate) env: ApiEnv,
    /// The API client.
    pub(crate) client: ApiClient,
    /// One entry per distinct key, in report order (the admin key, if it
    /// leaked too, last: the others may need it), with its check.
    pub(crate) keys: Vec<(Finding, Checked)>,
}

/// Verify the distinct keys of `keys` (see [`Verified`]); a key the API gave
/// no answer for is `unknown`.
pub(crate) fn verified_keys(
    api: &ApiOptions,
    keys: Vec<Finding>,
    rules: &RuleSet,
) -> Result<Verified> {
    let mut seen = HashSet::new();
    let mut keys: Vec<Finding> = keys
        .into_iter()
        .filter(|f| seen.insert(f.secret.sha256().to_string()))
        .collect();
    let env = ApiEnv::from_env();
    if let Some(admin) = &env.admin_key {
        keys.sort_by_key(|f| f.secret.sha256() == admin.sha256());
    }
    let client = client(api, &env)?;
    let mut results = verify_with(&client, keys.iter(), rules, &env, api.concurrency);
    let keys = keys
        .into_iter()
        .map(|f| {
            let checked = results.remove(f.secret.sha256()).unwrap_or_else(|| {
                Checked::unknown(
                    f.verification
                        .reason()
                        .unwrap_or("not verified")
                        .to_string(),
                )
            });
            (f, checked)
        })
        .collect();
    Ok(Verified { env, client, keys })
}

/// Run `revoke` over `keys` (see the module docs); `rules` give each key's
/// product prefix and API. Errors: the audit log cannot be opened or written,
/// `MISAR_API_URL` is refused, or a plan cannot be carried out.
pub fn run(opts: &RevokeOptions, keys: Vec<Finding>, rules: &RuleSet) -> Result<RevokeResult> {
    let mut audit = Audit::open(&opts.audit_log, !opts.act)?;

    let Verified { env, client, keys } = verified_keys(&opts.api, keys, rules)?;
    let mut revoker = Revoker::new(&client, env.admin_key.as_ref());
    let mut out = Vec::with_capacity(keys.len());
    for (f, checked) in keys {
        audit.verified(
            &f.secret,
            checked.key.as_ref().map(|k| k.id.as_str()),
            &checked.verification,
        )?;
        let base = base_for(rules, &f.rule_id, &env);
        let prefix = rules.get(&f.rule_id).map_or("", |r| r.prefix.as_str());
        let step = revoker.plan(&f.secret, prefix, &checked, &base);
        let outcome = match (&step, opts.act) {
            (RevocationStep::Skip { reason }, _) => {
                audit.record(&f.secret, None, AuditAction::Skip, None, reason)?;
                KeyOutcome::Skipped {
                    reason: reason.clone(),
                }
            }
            (RevocationStep::Refuse { reason }, _) => {
                audit.record(&f.secret, None, AuditAction::Refuse, None, reason)?;
                KeyOutcome::Refused {
                    reason: reason.clone(),
                }
            }
            (RevocationStep::Revoke { id, credential, .. }, false) => {
                audit.record(
                    &f.secret,
                    Some(id),
                    AuditAction::Plan,
                    Some(credential),
                    &format!("would revoke with {}", credential.describe()),
                )?;
                KeyOutcome::WouldRevoke
            }
            (RevocationStep::Revoke { id, credential, .. }, true) => {
                let base = base
                    .as_ref()
                    .map_err(|reason| anyhow::anyhow!("{reason}"))?;
                match revoker.revoke(&f.secret, base, id, credential, &mut audit, || Ok(()))? {
                    Attempt::Sent(executed) => KeyOutcome::Executed(executed),
                    Attempt::EntryTaken { reason } => KeyOutcome::Refused { reason },
                    Attempt::NotAttempted => KeyOutcome::Refused {
                        reason: super::NOT_ATTEMPTED.into(),
                    },
                }
            }
        };
        out.push(KeyResult {
            key: f.secret.redacted(),
            secret_sha256: f.secret.sha256().to_string(),
            verification: checked.verification,
            plan: step,
            outcome,
        });
    }
    Ok(RevokeResult {
        acted: opts.act,
        keys: out,
    })
}
