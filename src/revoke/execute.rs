//! Running planned revocations (SPEC §2): the one executor of `revoke`,
//! `sweep` (and later `rotate`).
//!
//! A [`Revoker`] lives for one run. It gets the list each key is planned
//! with ([`Revoker::listing`]: the key's own when it holds `keys:manage`,
//! else `MISAR_ADMIN_KEY`'s, listed once per API base and scrubbed of the
//! admin key), and revokes one planned key at a time ([`Revoker::revoke`]):
//!
//! 1. never after a discrepancy earlier in the run ([`Attempt::NotAttempted`]),
//!    nor for an entry this run already sent a `DELETE` for on behalf of
//!    another key ([`Attempt::EntryTaken`]);
//! 2. `DELETE /api/v1/keys/:id` once, never retried ([`DeleteOutcome`]:
//!    `200` revoked, `404` already revoked, anything else failed);
//! 3. re-verify the leaked key: it must now get `401` ([`Confirmation`]). A
//!    key still live after its entry was deleted means a different key was
//!    revoked: that is a discrepancy, and the `Revoker` revokes nothing more.
//!
//! The `DELETE` and the re-verification each go to the audit log as they
//! happen. An entry that is gone is dropped from the cached lists, so no
//! later key is planned against it.

use std::collections::{HashMap, HashSet};

use anyhow::{Context, Result};

use super::log::{Audit, AuditAction};
use super::plan::{plan, Credential, Listing, RevocationStep};
use crate::api::model::{parse_error_code, parse_success, scrub_entries};
use crate::api::{ApiClient, ApiError, BaseUrl, KeyEntry, RawResponse};
use crate::finding::Verification;
use crate::sanitize::sanitize;
use crate::secret::Secret;
use crate::verify::{judge, verify_one, Answer, Checked};

/// Why a key planned for revocation was not attempted.
pub const NOT_ATTEMPTED: &str = "not attempted: stopped after a revocation that did not take";

const NO_ADMIN_KEY: &str = "the key lacks `keys:manage` and `MISAR_ADMIN_KEY` is not set; \
     hint: set it to a key of the same account that holds `keys:manage`";

/// How the one `DELETE /api/v1/keys/:id` was answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeleteOutcome {
    /// `200` with Misar's success body.
    Revoked,
    /// `404 NOT_FOUND`: the entry was already gone (someone revoked it first).
    AlreadyRevoked,
    /// Any other answer, or none: not retried.
    Failed {
        /// The answer, or why there was none.
        reason: String,
    },
}

impl DeleteOutcome {
    /// Read the answer to a `DELETE`.
    pub fn of(answer: Result<RawResponse, ApiError>) -> Self {
        match answer {
            Ok(r) if r.status == 200 && parse_success(&r.body) => Self::Revoked,
            Ok(r)
                if r.status == 404 && parse_error_code(&r.body).as_deref() == Some("NOT_FOUND") =>
            {
                Self::AlreadyRevoked
            }
            Ok(r) => Self::Failed {
                reason: crate::verify::describe(&r),
            },
            Err(e) => Self::Failed {
                reason: e.to_string(),
            },
        }
    }

    /// The entry is gone (`200` or `404`).
    pub fn gone(&self) -> bool {
        !matches!(self, Self::Failed { .. })
    }

    /// As the output and the audit log say it: `revoked`, `already revoked
    /// (404)`, `DELETE failed: …; not retried`.
    pub fn describe(&self) -> String {
        match self {
            Self::Revoked => "revoked".into(),
            Self::AlreadyRevoked => "already revoked (404)".into(),
            Self::Failed { reason } => format!("DELETE failed: {reason}; not retried"),
        }
    }
}

/// What the re-verification after the `DELETE` made of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Confirmation {
    /// Deleted (`200`), and the key now gets `401`.
    Revoked,
    /// Already gone (`404`), and the key gets `401`.
    AlreadyRevoked,
    /// The `DELETE` failed, yet the key now gets `401`.
    DeadAnyway,
    /// The entry is gone but the key is STILL LIVE: a different key was revoked.
    Discrepancy,
    /// The `DELETE` failed and the key is still live.
    StillLive,
    /// The re-verification gave no answer.
    NoAnswer {
        /// Why.
        reason: String,
    },
}

impl Confirmation {
    /// From the `DELETE`'s answer and the key's verification after it.
    pub fn of(delete: &DeleteOutcome, after: &Verification) -> Self {
        match (after, delete) {
            (Verification::NotLive, DeleteOutcome::Revoked) => Self::Revoked,
            (Verification::NotLive, DeleteOutcome::AlreadyRevoked) => Self::AlreadyRevoked,
            (Verification::NotLive, DeleteOutcome::Failed { .. }) => Self::DeadAnyway,
            (Verification::Live { .. }, d) if d.gone() => Self::Discrepancy,
            (Verification::Live { .. }, _) => Self::StillLive,
            (v, _) => Self::NoAnswer {
                reason: v.reason().unwrap_or("unknown").to_string(),
            },
        }
    }
}

/// What one executed revocation did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Executed {
    /// The entry the `DELETE` was for.
    pub id: String,
    /// How the `DELETE` was answered.
    pub delete: DeleteOutcome,
    /// The re-verification after it.
    pub after: Verification,
    /// What the two make.
    pub confirmation: Confirmation,
}

impl Executed {
    /// The key is gone for good, confirmed by a `401`: revoked now or before.
    pub fn confirmed(&self) -> bool {
        matches!(
            self.confirmation,
            Confirmation::Revoked | Confirmation::AlreadyRevoked
        )
    }

    /// A different key was revoked: stop revoking.
    pub fn discrepancy(&self) -> bool {
        self.confirmation == Confirmation::Discrepancy
    }

    /// The key is still live afterwards.
    pub fn live_left(&self) -> bool {
        matches!(
            self.confirmation,
            Confirmation::Discrepancy | Confirmation::StillLive
        )
    }

    /// Failed, unconfirmed or discrepant: a person must look.
    pub fn problem(&self) -> bool {
        !self.confirmed()
    }

    /// What happened, for the output, the audit log and the sweep's records.
    pub fn describe(&self) -> String {
        let delete = self.delete.describe();
        match &self.confirmation {
            Confirmation::Revoked => "revoked (confirmed 401)".into(),
            Confirmation::AlreadyRevoked => format!("{delete}; confirmed 401"),
            Confirmation::DeadAnyway => format!("{delete}; the key now gets 401 (not live)"),
            Confirmation::Discrepancy => format!(
                "DISCREPANCY: {delete} id `{}`, but the key is STILL LIVE: \
                 a different key was revoked; stopped",
                self.id
            ),
            Confirmation::StillLive => format!("{delete}; the key is still live"),
            Confirmation::NoAnswer { reason } => {
                format!("{delete}; re-verification gave no answer ({reason}): check the dashboard")
            }
        }
    }
}

/// What [`Revoker::revoke`] did with one planned key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Attempt {
    /// The `DELETE` was sent and the key re-verified.
    Sent(Executed),
    /// A discrepancy earlier in the run stopped all revocations ([`NOT_ATTEMPTED`]).
    NotAttempted,
    /// This run already sent a `DELETE` for the entry, for another key:
    /// ambiguous, never a second one.
    EntryTaken {
        /// Why, as recorded.
        reason: String,
    },
}

/// Revokes planned keys for one run: see the module docs.
#[derive(Debug)]
pub struct Revoker<'a> {
    client: &'a ApiClient,
    admin: Option<&'a Secret>,
    lists: HashMap<BaseUrl, Result<Vec<KeyEntry>, String>>,
    deleted: HashSet<(BaseUrl, String)>,
    stopped: bool,
}

impl<'a> Revoker<'a> {
    /// A revoker sending through `client`, with `admin` (`MISAR_ADMIN_KEY`)
    /// for keys that lack `keys:manage`.
    pub fn new(client: &'a ApiClient, admin: Option<&'a Secret>) -> Self {
        Self {
            client,
            admin,
            lists: HashMap::new(),
            deleted: HashSet::new(),
            stopped: false,
        }
    }

    /// Whether a discrepancy stopped all further revocations.
    pub fn stopped(&self) -> bool {
        self.stopped
    }

    /// Revoke nothing more in this run (a discrepancy found otherwise, e.g.
    /// recorded by an earlier run of a sweep).
    pub fn stop(&mut self) {
        self.stopped = true;
    }

    /// The list to plan `checked`'s key with: its own (it holds
    /// `keys:manage`), else the admin key's (listed once per API base), else
    /// why there is none.
    pub fn listing<'s>(
        &'s mut self,
        checked: &'s Checked,
        base: &Result<BaseUrl, String>,
    ) -> Listing<'s> {
        let base = match base {
            Ok(base) => base,
            Err(reason) => {
                return Listing::Unavailable {
                    reason: reason.clone(),
                }
            }
        };
        match (&checked.verification, self.admin) {
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
                let client = self.client;
                let list = self
                    .lists
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

    /// The entry of `leaked` in the admin key's list for `base`, if that list
    /// was already fetched and exactly one entry matches; no request is
    /// made. Scrubbed of `leaked`. (For the sweep's exposure window: the
    /// entry's `last_used_at`.)
    pub fn listed_entry(&self, base: &BaseUrl, leaked: &Secret) -> Option<KeyEntry> {
        let entries = self.lists.get(base)?.as_ref().ok()?;
        match crate::revoke::plan::matching_entries(leaked.expose(), entries).as_slice() {
            [one] => {
                let mut e = (*one).clone();
                e.scrub(&[leaked.expose()]);
                Some(e)
            }
            _ => None,
        }
    }

    /// Plan `leaked` ([`plan`]) with its [`listing`](Self::listing); after a
    /// discrepancy, refuse with [`NOT_ATTEMPTED`] without listing anything.
    pub fn plan(
        &mut self,
        leaked: &Secret,
        product_prefix: &str,
        checked: &Checked,
        base: &Result<BaseUrl, String>,
    ) -> RevocationStep {
        if self.stopped {
            return RevocationStep::Refuse {
                reason: NOT_ATTEMPTED.into(),
            };
        }
        let listing = self.listing(checked, base);
        plan(leaked, product_prefix, &checked.verification, listing)
    }

    /// Revoke `leaked` by deleting the entry `id` at `base` with
    /// `credential`, then re-verify it (see the module docs). `before_delete`
    /// runs just before the `DELETE` is sent (the sweep records its intent
    /// there, so a run that dies meanwhile never sends a second one).
    /// Refusals are recorded in `audit` here; errors are the audit log's or
    /// `before_delete`'s, or a plan with the admin key and none set.
    pub fn revoke(
        &mut self,
        leaked: &Secret,
        base: &BaseUrl,
        id: &str,
        credential: &Credential,
        audit: &mut Audit,
        before_delete: impl FnOnce() -> Result<()>,
    ) -> Result<Attempt> {
        let entry = (base.clone(), id.to_string());
        if self.deleted.contains(&entry) {
            let reason = format!(
                "the listed key id `{}` was already revoked by this run for another key: \
                 ambiguous, not revoking",
                sanitize(id)
            );
            audit.record(leaked, None, AuditAction::Refuse, None, &reason)?;
            return Ok(Attempt::EntryTaken { reason });
        }
        if self.stopped {
            audit.record(leaked, None, AuditAction::Refuse, None, NOT_ATTEMPTED)?;
            return Ok(Attempt::NotAttempted);
        }
        let cred = match credential {
            Credential::LeakedKey { .. } => leaked,
            Credential::AdminKey { .. } => self
                .admin
                .context("a plan with the admin key needs `MISAR_ADMIN_KEY`")?,
        };
        before_delete()?;
        self.deleted.insert(entry);
        let executed = execute(self.client, base, leaked, cred, id, credential, audit)?;
        if executed.delete.gone() {
            // The lists cached for later keys must not offer this entry again.
            for list in self.lists.values_mut().filter_map(|l| l.as_mut().ok()) {
                list.retain(|e| e.id != id);
            }
        }
        if executed.discrepancy() {
            self.stopped = true;
        }
        Ok(Attempt::Sent(executed))
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

/// `DELETE` the entry `id` once with `cred`, then re-verify `leaked`; both
/// steps go to `audit`.
pub fn execute(
    client: &ApiClient,
    base: &BaseUrl,
    leaked: &Secret,
    cred: &Secret,
    id: &str,
    credential: &Credential,
    audit: &mut Audit,
) -> Result<Executed> {
    let delete = DeleteOutcome::of(client.delete_key(base, cred, id));
    audit.record(
        leaked,
        Some(id),
        AuditAction::Delete,
        Some(credential),
        &delete.describe(),
    )?;
    let after = verify_one(client, base, leaked).verification;
    let confirmation = Confirmation::of(&delete, &after);
    let executed = Executed {
        id: id.to_string(),
        delete,
        after,
        confirmation,
    };
    let action = if executed.discrepancy() {
        AuditAction::Discrepancy
    } else {
        AuditAction::Reverify
    };
    let leaked_credential = Credential::LeakedKey {
        stem: leaked.stem().to_string(),
    };
    audit.record(
        leaked,
        Some(id),
        action,
        Some(&leaked_credential),
        &executed.describe(),
    )?;
    Ok(executed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn executed(delete: DeleteOutcome, after: Verification) -> Executed {
        Executed {
            id: "k1".into(),
            confirmation: Confirmation::of(&delete, &after),
            delete,
            after,
        }
    }

    const LIVE: Verification = Verification::Live {
        can_manage_keys: false,
    };

    #[test]
    fn every_delete_answer_and_reverification_has_its_words() {
        let failed = || DeleteOutcome::Failed {
            reason: "HTTP 500".into(),
        };
        let unknown = Verification::Unknown {
            reason: "timed out".into(),
        };
        // (delete, after) → (text, confirmed, live left, discrepancy)
        let table = [
            (
                DeleteOutcome::Revoked,
                Verification::NotLive,
                "revoked (confirmed 401)",
                true,
                false,
                false,
            ),
            (
                DeleteOutcome::AlreadyRevoked,
                Verification::NotLive,
                "already revoked (404); confirmed 401",
                true,
                false,
                false,
            ),
            (
                failed(),
                Verification::NotLive,
                "DELETE failed: HTTP 500; not retried; the key now gets 401 (not live)",
                false,
                false,
                false,
            ),
            (
                DeleteOutcome::Revoked,
                LIVE,
                "DISCREPANCY: revoked id `k1`, but the key is STILL LIVE: a different key was revoked; stopped",
                false,
                true,
                true,
            ),
            (
                DeleteOutcome::AlreadyRevoked,
                LIVE,
                "DISCREPANCY: already revoked (404) id `k1`, but the key is STILL LIVE: a different key was revoked; stopped",
                false,
                true,
                true,
            ),
            (
                failed(),
                LIVE,
                "DELETE failed: HTTP 500; not retried; the key is still live",
                false,
                true,
                false,
            ),
            (
                DeleteOutcome::Revoked,
                unknown.clone(),
                "revoked; re-verification gave no answer (timed out): check the dashboard",
                false,
                false,
                false,
            ),
            (
                failed(),
                Verification::Unverified,
                "DELETE failed: HTTP 500; not retried; re-verification gave no answer (unknown): check the dashboard",
                false,
                false,
                false,
            ),
        ];
        for (delete, after, text, confirmed, live_left, discrepancy) in table {
            let e = executed(delete, after);
            assert_eq!(e.describe(), text);
            assert_eq!(e.confirmed(), confirmed, "{text}");
            assert_eq!(e.problem(), !confirmed, "{text}");
            assert_eq!(e.live_left(), live_left, "{text}");
            assert_eq!(e.discrepancy(), discrepancy, "{text}");
        }
    }

    #[test]
    fn delete_answers_are_read_from_status_and_body() {
        let resp = |status: u16, body: &str| {
            Ok(RawResponse {
                status,
                content_type: None,
                retry_after: None,
                body: body.as_bytes().to_vec(),
            })
        };
        assert_eq!(
            DeleteOutcome::of(resp(200, r#"{"success":true}"#)),
            DeleteOutcome::Revoked
        );
        assert_eq!(
            DeleteOutcome::of(resp(
                404,
                r#"{"success":false,"error":{"code":"NOT_FOUND"}}"#
            )),
            DeleteOutcome::AlreadyRevoked
        );
        // A 404 page that is not Misar's is no proof the entry is gone.
        assert!(!DeleteOutcome::of(resp(404, "<html>not found</html>")).gone());
        assert!(!DeleteOutcome::of(resp(200, "<html>welcome</html>")).gone());
    }
}
