//! The output of `rotate` (SPEC §6), rendered from its typed result
//! ([`RotateResult`]): one block per key for people, or a JSON array with
//! one object per key. Old keys appear redacted; a replacement only by its
//! id (its key goes to the sink and nowhere else); what the API said is
//! sanitized.

use serde::Serialize;

use crate::rotate::{KeyRotation, RotateOutcome, RotateResult, RotationStep};
use crate::sanitize::sanitize;

/// One key of the JSON output.
#[derive(Debug, Serialize)]
struct KeyJson<'a> {
    key: &'a str,
    secret_sha256: &'a str,
    verification: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    verification_reason: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    earlier_run: Option<String>,
    plan: PlanJson<'a>,
    /// `skipped`, `refused`, `would_rotate`, `create_failed`,
    /// `delivery_failed`, `not_used_in_time`, `revoke_not_attempted`, `rotated`.
    status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    new_key_id: Option<&'a str>,
    /// The old key is still live.
    live_left: bool,
    outcome: String,
}

#[derive(Debug, Serialize)]
#[serde(tag = "action", rename_all = "snake_case")]
enum PlanJson<'a> {
    Rotate {
        old_key_id: &'a str,
        name: &'a str,
        scopes: &'a [String],
        credential: &'a crate::revoke::Credential,
        #[serde(skip_serializing_if = "Option::is_none")]
        delivered_key_id: Option<&'a str>,
    },
    Skip {
        reason: &'a str,
    },
    Refuse {
        reason: &'a str,
    },
}

fn status(o: &RotateOutcome) -> (&'static str, Option<&str>) {
    match o {
        RotateOutcome::Skipped { .. } => ("skipped", None),
        RotateOutcome::Refused { .. } => ("refused", None),
        RotateOutcome::WouldRotate => ("would_rotate", None),
        RotateOutcome::CreateFailed { .. } => ("create_failed", None),
        RotateOutcome::DeliveryFailed { new_id, .. } => ("delivery_failed", Some(new_id)),
        RotateOutcome::NotUsedInTime { new_id, .. } => ("not_used_in_time", Some(new_id)),
        RotateOutcome::RevokeNotAttempted { new_id, .. } => ("revoke_not_attempted", Some(new_id)),
        RotateOutcome::Rotated { new_id, .. } => ("rotated", Some(new_id)),
    }
}

impl<'a> KeyJson<'a> {
    fn of(k: &'a KeyRotation) -> Self {
        let plan = match &k.plan {
            RotationStep::Rotate {
                old_id,
                name,
                scopes,
                credential,
                delivered,
            } => PlanJson::Rotate {
                old_key_id: old_id,
                name,
                scopes,
                credential,
                delivered_key_id: delivered.as_deref(),
            },
            RotationStep::Skip { reason } => PlanJson::Skip { reason },
            RotationStep::Refuse { reason } => PlanJson::Refuse { reason },
        };
        let (status, new_key_id) = status(&k.outcome);
        Self {
            key: &k.key,
            secret_sha256: &k.secret_sha256,
            verification: k.verification.as_str(),
            verification_reason: k.verification.reason(),
            earlier_run: k.earlier.as_deref().map(sanitize),
            plan,
            status,
            new_key_id,
            live_left: k.live_left(),
            outcome: k.describe(),
        }
    }
}

/// The JSON output: an array, one object per key.
pub fn render_json(result: &RotateResult) -> anyhow::Result<Vec<u8>> {
    let keys: Vec<KeyJson<'_>> = result.keys.iter().map(KeyJson::of).collect();
    let mut v = serde_json::to_vec_pretty(&keys)?;
    v.push(b'\n');
    Ok(v)
}

/// The human output: per key its verification, what an earlier run left,
/// the plan and (with `--yes`) the result, then a one-line tally.
pub fn render_human(result: &RotateResult) -> String {
    let mut out = String::new();
    for r in &result.keys {
        let verification = match r.verification.reason() {
            Some(reason) => format!("{} ({reason})", r.verification.as_str()),
            None => r.verification.as_str().to_string(),
        };
        out.push_str(&format!(
            "{}  sha256 {}  {}\n",
            r.key,
            crate::secret::clip(&r.secret_sha256, 16),
            sanitize(&verification)
        ));
        if let Some(earlier) = &r.earlier {
            out.push_str(&format!("  earlier run: {}\n", sanitize(earlier)));
        }
        match &r.plan {
            RotationStep::Rotate {
                old_id,
                name,
                scopes,
                credential,
                delivered,
            } => {
                let what = match delivered {
                    Some(new_id) => format!(
                        "resume: replacement id `{}` already delivered",
                        sanitize(new_id)
                    ),
                    None => format!(
                        "create a replacement \"{}\" [{}], deliver it to {}",
                        sanitize(name),
                        sanitize(&scopes.join(", ")),
                        result.sink
                    ),
                };
                out.push_str(&format!(
                    "  plan: {what}, then revoke id `{}` with {}\n",
                    sanitize(old_id),
                    credential.describe()
                ));
            }
            RotationStep::Skip { reason } => {
                out.push_str(&format!("  plan: skip: {}\n", sanitize(reason)))
            }
            RotationStep::Refuse { reason } => {
                out.push_str(&format!("  plan: refuse: {}\n", sanitize(reason)))
            }
        }
        if result.acted && matches!(r.plan, RotationStep::Rotate { .. }) {
            out.push_str(&format!("  result: {}\n", sanitize(&r.describe())));
        }
    }
    let n = result.keys.len();
    let planned = result
        .keys
        .iter()
        .filter(|r| matches!(r.plan, RotationStep::Rotate { .. }))
        .count();
    let refused = result
        .keys
        .iter()
        .filter(|r| matches!(r.plan, RotationStep::Refuse { .. }))
        .count();
    out.push_str(&if result.acted {
        let rotated = result
            .keys
            .iter()
            .filter(|r| matches!(&r.outcome, RotateOutcome::Rotated { revoke, .. } if revoke.confirmed()))
            .count();
        format!(
            "{n} key(s): {rotated} rotated, {refused} refused, {} still live\n",
            result.live_left()
        )
    } else {
        format!("{n} key(s): {planned} would be rotated, {refused} refused (dry run; pass --yes to act)\n")
    });
    out
}
