//! The output of `revoke` (SPEC §2, §3), rendered from its typed result
//! ([`RevokeResult`]): one block per key for people, or a JSON array with one
//! object per key. Keys appear redacted; what the API said is sanitized.

use serde::Serialize;

use crate::revoke::{KeyResult, RevocationStep, RevokeResult};
use crate::sanitize::sanitize;

/// One key of the JSON output.
#[derive(Debug, Serialize)]
struct KeyJson<'a> {
    key: &'a str,
    secret_sha256: &'a str,
    verification: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    verification_reason: Option<&'a str>,
    plan: &'a RevocationStep,
    /// What was done (with `--yes`), or `dry run: would revoke`.
    outcome: String,
}

impl<'a> KeyJson<'a> {
    fn of(k: &'a KeyResult) -> Self {
        Self {
            key: &k.key,
            secret_sha256: &k.secret_sha256,
            verification: k.verification.as_str(),
            verification_reason: k.verification.reason(),
            plan: &k.plan,
            outcome: k.describe(),
        }
    }
}

/// The JSON output: an array, one object per key.
pub fn render_json(result: &RevokeResult) -> anyhow::Result<Vec<u8>> {
    let keys: Vec<KeyJson<'_>> = result.keys.iter().map(KeyJson::of).collect();
    let mut v = serde_json::to_vec_pretty(&keys)?;
    v.push(b'\n');
    Ok(v)
}

/// The human output: per key its verification, plan and (with `--yes`)
/// result, then a one-line tally.
pub fn render_human(result: &RevokeResult) -> String {
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
        if result.acted && matches!(r.plan, RevocationStep::Revoke { .. }) {
            out.push_str(&format!("  result: {}\n", sanitize(&r.describe())));
        }
    }
    let revoke = result
        .keys
        .iter()
        .filter(|r| matches!(r.plan, RevocationStep::Revoke { .. }))
        .count();
    let refused = result
        .keys
        .iter()
        .filter(|r| matches!(r.plan, RevocationStep::Refuse { .. }))
        .count();
    let live_left = result.live_left();
    let n = result.keys.len();
    out.push_str(&if result.acted {
        format!("{n} key(s): {revoke} revocation(s) attempted, {refused} refused, {live_left} still live\n")
    } else {
        format!("{n} key(s): {revoke} would be revoked, {refused} refused (dry run; pass --yes to act)\n")
    });
    out
}
