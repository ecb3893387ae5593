//! The `rotate` command (SPEC §6) as a library function: [`run`] takes the
//! keys (findings from a report or standard input) and returns what
//! happened to each one ([`RotateResult`]); `cli/rotate.rs` loads the keys
//! and renders the result (`report::rotate`).
//!
//! For each distinct key, in order (the admin key itself last, as in
//! `revoke`):
//! 1. verify it; `not_live` is skipped, `unknown` left alone;
//! 2. clear what an earlier run left ([`super::state`]): an undelivered
//!    replacement is deleted before anything else; a delivered one is
//!    resumed, never created again;
//! 3. plan exactly as `revoke` does ([`Revoker::listing`], [`crate::revoke::plan()`]);
//! 4. with `act`: create the replacement (`POST`, the entry's name and
//!    scopes, the credential that listed it), deliver it to the sink, wait
//!    for its first use if asked, and revoke the old key through the
//!    [`Revoker`] (`DELETE` once, re-verify `401`, a discrepancy stops
//!    everything). A delivery that fails deletes the replacement and leaves
//!    the old key live.
//!
//! Every step goes to the audit log and, before and after each change to
//! the account, to the state file. The new key lives in memory between the
//! `POST` and the sink, and nowhere else.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Result;

use super::rotator::Rotator;
use super::sink::Sink;
use crate::finding::{Finding, Verification};
use crate::revoke::execute::{Executed, Revoker};
use crate::revoke::log::Audit;
use crate::revoke::plan::Credential;
use crate::revoke::run::{verified_keys, Verified};
use crate::rules::RuleSet;
use crate::verify::{base_for, ApiOptions};

/// What `rotate` is asked to do.
#[derive(Debug, Clone)]
pub struct RotateOptions {
    /// Rotate for real (`--yes`); otherwise a dry run that verifies, plans
    /// and sends no `POST` or `DELETE`.
    pub act: bool,
    /// The audit log to append to.
    pub audit_log: PathBuf,
    /// The state file a rerun resumes from.
    pub state_file: PathBuf,
    /// Where the replacement goes.
    pub sink: Sink,
    /// Wait this long for the replacement's first use before revoking.
    pub wait_for_use: Option<Duration>,
    /// Time between two looks at the list while waiting.
    pub poll_interval: Duration,
    /// How to reach the API.
    pub api: ApiOptions,
}

/// What was planned for one key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RotationStep {
    /// Replace the entry `old_id` and revoke it.
    Rotate {
        /// The leaked key's entry.
        old_id: String,
        /// Its name (the replacement's).
        name: String,
        /// Its scopes (the replacement's).
        scopes: Vec<String>,
        /// Who lists, creates and revokes.
        credential: Credential,
        /// A replacement delivered by an earlier run: not created again.
        delivered: Option<String>,
    },
    /// Nothing to do: not live.
    Skip {
        /// Why.
        reason: String,
    },
    /// May be live, but cannot be rotated safely.
    Refuse {
        /// Why.
        reason: String,
    },
}

/// What happened to one key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RotateOutcome {
    /// Not live: nothing to do.
    Skipped {
        /// Why.
        reason: String,
    },
    /// Not rotated, and why (the old key is as it was).
    Refused {
        /// Why.
        reason: String,
    },
    /// A dry run: it would be rotated.
    WouldRotate,
    /// No replacement was made (the `POST` was refused or unclear).
    CreateFailed {
        /// Why, and what was cleaned up.
        reason: String,
    },
    /// The sink failed: the replacement was deleted (or not: `cleanup`
    /// says), the old key left live.
    DeliveryFailed {
        /// The replacement's id.
        new_id: String,
        /// Why the sink failed.
        reason: String,
        /// What became of the replacement.
        cleanup: String,
    },
    /// Delivered, but not used within `--wait-for-use`: the old key is left live.
    NotUsedInTime {
        /// The replacement's id.
        new_id: String,
        /// What the wait saw.
        reason: String,
    },
    /// Delivered; the old key's revocation was not attempted.
    RevokeNotAttempted {
        /// The replacement's id.
        new_id: String,
        /// Why.
        reason: String,
    },
    /// Delivered, and the old key's revocation sent and re-verified.
    Rotated {
        /// The replacement's id.
        new_id: String,
        /// The revocation of the old key.
        revoke: Executed,
    },
}

/// One distinct key: its verification, plan and outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyRotation {
    /// The key, redacted (`msk_AbCd…`).
    pub key: String,
    /// Its SHA-256.
    pub secret_sha256: String,
    /// Its verification in this run.
    pub verification: Verification,
    /// What an earlier run left and what this run did about it.
    pub earlier: Option<String>,
    /// What was planned.
    pub plan: RotationStep,
    /// What happened.
    pub outcome: RotateOutcome,
}

impl KeyRotation {
    /// The old key is still live at the end.
    pub fn live_left(&self) -> bool {
        match &self.outcome {
            RotateOutcome::Rotated { revoke, .. } => revoke.live_left(),
            RotateOutcome::Skipped { .. } => false,
            _ => matches!(self.verification, Verification::Live { .. }),
        }
    }

    /// Refused, failed, unknown, not used in time or discrepant: a person must look.
    pub fn problem(&self) -> bool {
        match &self.outcome {
            RotateOutcome::Skipped { .. } | RotateOutcome::WouldRotate => false,
            RotateOutcome::Rotated { revoke, .. } => revoke.problem(),
            _ => true,
        }
    }

    /// The revocation that found a different key revoked, if this was it.
    pub fn discrepancy(&self) -> Option<&Executed> {
        match &self.outcome {
            RotateOutcome::Rotated { revoke, .. } if revoke.discrepancy() => Some(revoke),
            _ => None,
        }
    }

    /// The outcome as the output says it.
    pub fn describe(&self) -> String {
        match &self.outcome {
            RotateOutcome::Skipped { reason } => format!("skipped: {reason}"),
            RotateOutcome::Refused { reason } => format!("refused: {reason}"),
            RotateOutcome::WouldRotate => "dry run: would rotate".into(),
            RotateOutcome::CreateFailed { reason } => {
                format!("no replacement made: {reason}; the old key is left live")
            }
            RotateOutcome::DeliveryFailed {
                new_id,
                reason,
                cleanup,
            } => format!(
                "delivery failed: {reason}; replacement id `{new_id}` {cleanup}; the old key is left live"
            ),
            RotateOutcome::NotUsedInTime { new_id, reason } => format!(
                "replacement id `{new_id}` delivered, but {reason}; the old key is left live: \
                 run the same command again to resume"
            ),
            RotateOutcome::RevokeNotAttempted { new_id, reason } => format!(
                "replacement id `{new_id}` delivered; the old key was not revoked: {reason}"
            ),
            RotateOutcome::Rotated { new_id, revoke } => format!(
                "replacement id `{new_id}` delivered; old key: {}",
                revoke.describe()
            ),
        }
    }
}

/// What `rotate` did, key by key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RotateResult {
    /// It rotated for real (not a dry run).
    pub acted: bool,
    /// Where replacements went.
    pub sink: String,
    /// Each distinct key, in the order handled.
    pub keys: Vec<KeyRotation>,
}

impl RotateResult {
    /// Old keys still live at the end.
    pub fn live_left(&self) -> usize {
        self.keys.iter().filter(|k| k.live_left()).count()
    }

    /// Whether any key needs a person.
    pub fn needs_person(&self) -> bool {
        self.keys.iter().any(KeyRotation::problem)
    }

    /// The key whose revocation found a different key revoked, and that revocation.
    pub fn discrepancy(&self) -> Option<(&KeyRotation, &Executed)> {
        self.keys
            .iter()
            .find_map(|k| k.discrepancy().map(|e| (k, e)))
    }
}

/// Run `rotate` over `keys` (see the module docs); `rules` give each key's
/// product prefix and API. Errors: the audit log or the state file cannot be
/// read or written, or `MISAR_API_URL` is refused.
pub fn run(opts: &RotateOptions, keys: Vec<Finding>, rules: &RuleSet) -> Result<RotateResult> {
    let mut audit = Audit::open(&opts.audit_log, !opts.act)?;

    let Verified { env, client, keys } = verified_keys(&opts.api, keys, rules)?;
    let mut revoker = Revoker::new(&client, env.admin_key.as_ref());
    let mut ctx = Rotator::new(&client, env.admin_key.as_ref(), opts, &mut audit)?;
    let mut out = Vec::with_capacity(keys.len());
    for (f, checked) in &keys {
        ctx.audit().verified(
            &f.secret,
            checked.key.as_ref().map(|k| k.id.as_str()),
            &checked.verification,
        )?;
        let base = base_for(rules, &f.rule_id, &env);
        let prefix = rules.get(&f.rule_id).map_or("", |r| r.prefix.as_str());
        out.push(ctx.one(
            &f.secret,
            &f.product,
            prefix,
            checked,
            &base,
            &mut revoker,
            &mut || Ok(()),
        )?);
    }
    Ok(RotateResult {
        acted: opts.act,
        sink: opts.sink.describe(),
        keys: out,
    })
}
