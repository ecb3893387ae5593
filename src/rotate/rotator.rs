//! The [`Rotator`]: one key's rotation, shared by `rotate` ([`super::run()`])
//! and `sweep --rotate` (SPEC §6). For a key verified and planned as
//! `revoke` plans it, in order: delete what an earlier run left undelivered
//! (a delivered replacement is resumed, never created again); create the
//! replacement (`POST`, never retried; the entry's name and scopes, the
//! credential that listed it); deliver it to the sink (a failure deletes it
//! and leaves the old key live); wait for its first use if asked; revoke the
//! old key through [`Revoker`]. The state file is written before and after
//! each step that changes the account; the new key lives in memory between
//! the `POST` and the sink, and nowhere else.

use std::time::{Duration, Instant};

use anyhow::Result;

use super::run::{KeyRotation, RotateOptions, RotateOutcome, RotationStep};
use super::sink::Delivery;
use super::state::{CredentialKind, KeyState, Phase, StateFile};
use crate::api::model::{parse_created, parse_error_code, scrub_entries, CreatedKey};
use crate::api::{ApiClient, ApiError, BaseUrl, KeyEntry, RawResponse};
use crate::finding::Verification;
use crate::revoke::execute::{Attempt, DeleteOutcome, Revoker};
use crate::revoke::log::{Audit, AuditAction};
use crate::revoke::plan::{plan, unusable_id, Credential, Listing, RevocationStep};
use crate::sanitize::sanitize;
use crate::secret::Secret;
use crate::verify::{judge, verify_one, Answer, Checked};

/// How the one `POST` was answered.
enum Created {
    /// A replacement, with its key.
    Key(CreatedKey),
    /// Misar said no (a `4xx` with its error body): nothing was created.
    Rejected(String),
    /// No clear answer: a replacement may exist.
    Unclear(String),
}

impl Created {
    fn of(answer: Result<RawResponse, ApiError>, secrets: &[&str]) -> Self {
        match answer {
            Ok(r) if matches!(r.status, 200 | 201) => match parse_created(&r.body, secrets) {
                Some(c) if unusable_id(&c.id).is_none() => Self::Key(c),
                Some(_) => Self::Unclear(
                    "the API gave the replacement an id that cannot be sent in a DELETE".into(),
                ),
                None => Self::Unclear(crate::verify::describe(&r)),
            },
            Ok(r) if (400..500).contains(&r.status) && parse_error_code(&r.body).is_some() => {
                Self::Rejected(crate::verify::describe(&r))
            }
            Ok(r) => Self::Unclear(crate::verify::describe(&r)),
            // Never sent: nothing can have been created.
            Err(
                e @ (ApiError::InvalidUrl { .. }
                | ApiError::InsecureUrl { .. }
                | ApiError::Deadline(_)),
            ) => Self::Rejected(e.to_string()),
            Err(e) => Self::Unclear(e.to_string()),
        }
    }
}

/// Rotates planned keys for one run, one at a time ([`Rotator::one`]):
/// what `rotate` and `sweep --rotate` share. It writes to the caller's audit
/// log and keeps the state file of [`RotateOptions::state_file`].
pub struct Rotator<'a> {
    client: &'a ApiClient,
    admin: Option<&'a Secret>,
    opts: &'a RotateOptions,
    audit: &'a mut Audit,
    state: StateFile,
}

impl std::fmt::Debug for Rotator<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Rotator")
            .field("state", &self.state.path())
            .finish_non_exhaustive()
    }
}

impl<'a> Rotator<'a> {
    /// A rotator creating and revoking through `client`, with `admin`
    /// (`MISAR_ADMIN_KEY`) for keys that lack `keys:manage`, recording every
    /// step in `audit`. Errors: the sink is invalid, or the state file cannot
    /// be read.
    pub fn new(
        client: &'a ApiClient,
        admin: Option<&'a Secret>,
        opts: &'a RotateOptions,
        audit: &'a mut Audit,
    ) -> Result<Self> {
        opts.sink.validate().map_err(anyhow::Error::msg)?;
        Ok(Self {
            client,
            admin,
            opts,
            audit,
            state: StateFile::load(&opts.state_file)?,
        })
    }

    /// The audit log it writes to.
    pub fn audit(&mut self) -> &mut Audit {
        self.audit
    }

    /// Rotate one key of `product` (see the module docs), verified as
    /// `checked`; `before_delete` runs just before the old key's `DELETE`
    /// (the sweep records its intent there).
    #[allow(clippy::too_many_arguments)]
    pub fn one(
        &mut self,
        secret: &Secret,
        product: &str,
        prefix: &str,
        checked: &Checked,
        base: &Result<BaseUrl, String>,
        revoker: &mut Revoker<'_>,
        before_delete: &mut dyn FnMut() -> Result<()>,
    ) -> Result<KeyRotation> {
        let sha = secret.sha256().to_string();
        let result = |earlier, plan, outcome| KeyRotation {
            key: secret.redacted(),
            secret_sha256: sha.clone(),
            verification: checked.verification.clone(),
            earlier,
            plan,
            outcome,
        };

        // What an earlier run left.
        let prior = self.state.get(&sha).cloned();
        let mut earlier = None;
        let mut delivered = None;
        match prior.as_ref().map(|p| (p, &p.phase)) {
            Some((p, Phase::Creating { .. } | Phase::Created { .. })) => {
                if !self.opts.act {
                    earlier = Some(leftover_text(p, "would be deleted first"));
                } else {
                    match self.clean_up(secret, checked, base, p) {
                        Ok(note) => {
                            self.state.remove(&sha)?;
                            earlier = Some(note);
                        }
                        Err(reason) => {
                            let reason = format!(
                                "{}; not rotating until it is gone",
                                leftover_text(p, &format!("could not be deleted ({reason})"))
                            );
                            self.audit
                                .record(secret, None, AuditAction::Refuse, None, &reason)?;
                            let step = RotationStep::Refuse {
                                reason: reason.clone(),
                            };
                            return Ok(result(None, step, RotateOutcome::Refused { reason }));
                        }
                    }
                }
            }
            Some((p, Phase::Delivered { new_id })) => {
                earlier = Some(format!(
                    "an earlier run delivered replacement id `{}`: resuming, not creating another",
                    sanitize(new_id)
                ));
                delivered = Some((p.old_id.clone(), new_id.clone()));
            }
            Some((_, Phase::Done { .. })) | None => {}
        }

        // The plan, as `revoke` makes it.
        let (step, entry) = if revoker.stopped() {
            (
                RevocationStep::Refuse {
                    reason: crate::revoke::NOT_ATTEMPTED.into(),
                },
                None,
            )
        } else {
            let listing = revoker.listing(checked, base);
            let step = plan(secret, prefix, &checked.verification, listing.clone());
            let entry = match (&step, &listing) {
                (
                    RevocationStep::Revoke { id, .. },
                    Listing::Own(entries) | Listing::Admin { entries, .. },
                ) => entries.iter().find(|e| &e.id == id).map(|found| {
                    let mut e = found.clone();
                    e.scrub(&[secret.expose()]);
                    // What a rerun needs to tell a replacement from the
                    // keys that were there: the ids of the same name, and
                    // whether a delivered replacement is still listed.
                    let same_name = entries
                        .iter()
                        .filter(|o| o.name == found.name)
                        .map(|o| o.id.clone())
                        .collect::<Vec<_>>();
                    let still_listed = delivered
                        .as_ref()
                        .is_some_and(|(_, new_id)| entries.iter().any(|o| &o.id == new_id));
                    (e, same_name, still_listed)
                }),
                _ => None,
            };
            (step, entry)
        };
        let (old_id, credential) = match step {
            RevocationStep::Revoke { id, credential, .. } => (id, credential),
            RevocationStep::Skip { reason } => {
                self.audit
                    .record(secret, None, AuditAction::Skip, None, &reason)?;
                let step = RotationStep::Skip {
                    reason: reason.clone(),
                };
                return Ok(result(earlier, step, RotateOutcome::Skipped { reason }));
            }
            RevocationStep::Refuse { reason } => {
                self.audit
                    .record(secret, None, AuditAction::Refuse, None, &reason)?;
                let step = RotationStep::Refuse {
                    reason: reason.clone(),
                };
                return Ok(result(earlier, step, RotateOutcome::Refused { reason }));
            }
        };
        let refuse = |this: &mut Self, earlier, reason: String| -> Result<KeyRotation> {
            this.audit
                .record(secret, Some(&old_id), AuditAction::Refuse, None, &reason)?;
            let step = RotationStep::Refuse {
                reason: reason.clone(),
            };
            Ok(result(earlier, step, RotateOutcome::Refused { reason }))
        };
        let Some((entry, ids_before, still_listed)) = entry else {
            return refuse(self, earlier, "the planned entry is not in the list".into());
        };
        let name = match entry.name.as_deref().map(str::trim) {
            Some(n) if !n.is_empty() => n.to_string(),
            _ => {
                return refuse(
                    self,
                    earlier,
                    format!(
                        "the entry id `{}` has no name, and a replacement needs one: \
                         rotate it in the Misar dashboard",
                        sanitize(&old_id)
                    ),
                )
            }
        };
        if entry.scopes.is_empty() {
            return refuse(
                self,
                earlier,
                format!(
                    "the entry id `{}` lists no scopes, so its replacement's are unknown: \
                     rotate it in the Misar dashboard",
                    sanitize(&old_id)
                ),
            );
        }
        let delivered = match delivered {
            Some((recorded_old, _)) if recorded_old != old_id => {
                return refuse(
                    self,
                    earlier,
                    format!(
                    "the state file `{}` recorded old id `{}`, but the list now matches id `{}`: \
                         check the dashboard",
                    self.state.path().display(),
                    sanitize(&recorded_old),
                    sanitize(&old_id)
                ),
                )
            }
            Some((_, new_id)) if !still_listed => {
                return refuse(
                    self,
                    earlier,
                    format!(
                        "the replacement id `{}` delivered by an earlier run is no longer listed \
                         (deleted?): not revoking the old key, nor creating a second replacement: \
                         check the dashboard, then remove the key's entry from `{}`",
                        sanitize(&new_id),
                        self.state.path().display()
                    ),
                )
            }
            Some((_, new_id)) => Some(new_id),
            None => None,
        };
        let plan_step = RotationStep::Rotate {
            old_id: old_id.clone(),
            name: name.clone(),
            scopes: entry.scopes.clone(),
            credential: credential.clone(),
            delivered: delivered.clone(),
        };
        let (Ok(base), true) = (base, self.opts.act) else {
            self.audit.record(
                secret,
                Some(&old_id),
                AuditAction::Plan,
                Some(&credential),
                &format!(
                    "would rotate with {} and deliver to {}",
                    credential.describe(),
                    self.opts.sink.describe()
                ),
            )?;
            return Ok(result(earlier, plan_step, RotateOutcome::WouldRotate));
        };
        let Some(cred) = self.credential(secret, &credential).cloned() else {
            return refuse(
                self,
                earlier,
                "a plan with the admin key needs `MISAR_ADMIN_KEY`".into(),
            );
        };

        let new_id = match delivered {
            Some(new_id) => new_id,
            None => {
                let created = self.create(
                    secret,
                    product,
                    base,
                    &cred,
                    &old_id,
                    &entry,
                    &credential,
                    ids_before,
                )?;
                match created {
                    Ok(new_id) => new_id,
                    Err(outcome) => return Ok(result(earlier, plan_step, outcome)),
                }
            }
        };

        // Cut-over.
        if let Some(limit) = self.opts.wait_for_use {
            if let Err(reason) = self.wait_for_use(secret, base, &cred, &new_id, limit)? {
                return Ok(result(
                    earlier,
                    plan_step,
                    RotateOutcome::NotUsedInTime { new_id, reason },
                ));
            }
        }

        // Revoke the old key, exactly as `revoke --yes`.
        let outcome =
            match revoker.revoke(secret, base, &old_id, &credential, self.audit, || {
                before_delete()
            })? {
                Attempt::Sent(revoke) => {
                    if revoke.confirmed() {
                        self.state.advance(
                            &sha,
                            Phase::Done {
                                new_id: new_id.clone(),
                            },
                        )?;
                    }
                    RotateOutcome::Rotated { new_id, revoke }
                }
                Attempt::EntryTaken { reason } => {
                    RotateOutcome::RevokeNotAttempted { new_id, reason }
                }
                Attempt::NotAttempted => RotateOutcome::RevokeNotAttempted {
                    new_id,
                    reason: crate::revoke::NOT_ATTEMPTED.into(),
                },
            };
        Ok(result(earlier, plan_step, outcome))
    }

    /// The secret behind a planned credential.
    fn credential<'s>(&'s self, leaked: &'s Secret, c: &Credential) -> Option<&'s Secret> {
        match c {
            Credential::LeakedKey { .. } => Some(leaked),
            Credential::AdminKey { .. } => self.admin,
        }
    }

    /// Create the replacement and deliver it: `Ok(new id)` once the sink has
    /// it, else the outcome to report (the replacement deleted, or recorded
    /// for the next run to delete).
    #[allow(clippy::too_many_arguments)]
    fn create(
        &mut self,
        secret: &Secret,
        product: &str,
        base: &BaseUrl,
        cred: &Secret,
        old_id: &str,
        entry: &KeyEntry,
        credential: &Credential,
        ids_before: Vec<String>,
    ) -> Result<Result<String, RotateOutcome>> {
        let sha = secret.sha256();
        let name = entry.name.clone().unwrap_or_default();
        let kind = match credential {
            Credential::LeakedKey { .. } => CredentialKind::LeakedKey,
            Credential::AdminKey { .. } => CredentialKind::AdminKey,
        };
        let record = KeyState {
            old_id: old_id.to_string(),
            credential: kind,
            name: Some(name.clone()),
            scopes: entry.scopes.clone(),
            phase: Phase::Creating { ids_before },
            updated_at: String::new(),
        };
        self.state.set(sha, record.clone())?;
        let mut secrets = vec![secret.expose(), cred.expose()];
        secrets.extend(self.admin.map(Secret::expose));
        let answer = self.client.create_key(base, cred, &name, &entry.scopes);
        let created = match Created::of(answer, &secrets) {
            Created::Key(c) => c,
            Created::Rejected(reason) => {
                self.state.remove(sha)?;
                self.audit.record(
                    secret,
                    Some(old_id),
                    AuditAction::Create,
                    Some(credential),
                    &format!("POST refused: {reason}; nothing created"),
                )?;
                return Ok(Err(RotateOutcome::CreateFailed {
                    reason: format!("the API refused to create it ({reason})"),
                }));
            }
            Created::Unclear(reason) => {
                self.audit.record(
                    secret,
                    Some(old_id),
                    AuditAction::Create,
                    Some(credential),
                    &format!("POST gave no clear answer: {reason}; not retried"),
                )?;
                let cleanup = match self.clean_up_creating(secret, base, cred, credential, &record)
                {
                    Ok(note) => {
                        self.state.remove(sha)?;
                        note
                    }
                    Err(e) => format!(
                        "a replacement may exist and could not be looked for ({e}): \
                         run the same command again to delete it"
                    ),
                };
                return Ok(Err(RotateOutcome::CreateFailed {
                    reason: format!("the POST gave no clear answer ({reason}); {cleanup}"),
                }));
            }
        };
        let new_id = created.id.clone();
        self.state.advance(
            sha,
            Phase::Created {
                new_id: new_id.clone(),
            },
        )?;
        self.audit.record(
            secret,
            Some(&new_id),
            AuditAction::Create,
            Some(credential),
            &format!(
                "created replacement id `{}` for id `{}` (scopes {})",
                sanitize(&new_id),
                sanitize(old_id),
                created.scopes.join(", ")
            ),
        )?;

        let delivery = Delivery {
            new_id: &new_id,
            old_id,
            name: &name,
            product,
            old_sha256: sha,
        };
        match self.opts.sink.deliver(&created.key, &delivery) {
            Ok(()) => {
                self.state.advance(
                    sha,
                    Phase::Delivered {
                        new_id: new_id.clone(),
                    },
                )?;
                self.audit.record(
                    secret,
                    Some(&new_id),
                    AuditAction::Deliver,
                    None,
                    &format!("delivered to {}", self.opts.sink.describe()),
                )?;
                Ok(Ok(new_id))
            }
            Err(reason) => {
                let reason = sanitize(&reason);
                self.audit.record(
                    secret,
                    Some(&new_id),
                    AuditAction::Deliver,
                    None,
                    &format!("delivery failed: {reason}"),
                )?;
                let cleanup = self.delete_replacement(secret, base, cred, credential, &created)?;
                Ok(Err(RotateOutcome::DeliveryFailed {
                    new_id,
                    reason,
                    cleanup,
                }))
            }
        }
    }

    /// Delete a replacement that was not delivered, re-verify it (its key is
    /// still in hand), and forget it when it is gone.
    fn delete_replacement(
        &mut self,
        secret: &Secret,
        base: &BaseUrl,
        cred: &Secret,
        credential: &Credential,
        created: &CreatedKey,
    ) -> Result<String> {
        let delete = DeleteOutcome::of(self.client.delete_key(base, cred, &created.id));
        let after = verify_one(self.client, base, &created.key).verification;
        let text = match (&after, delete.gone()) {
            (Verification::NotLive, _) => format!("{}; it now gets 401", delete.describe()),
            (Verification::Live { .. }, _) => format!(
                "{}; it is STILL LIVE: delete it in the Misar dashboard",
                delete.describe()
            ),
            (v, _) => format!(
                "{}; re-verification gave no answer ({})",
                delete.describe(),
                v.reason().unwrap_or("unknown")
            ),
        };
        self.audit.record(
            secret,
            Some(&created.id),
            AuditAction::DeleteReplacement,
            Some(credential),
            &text,
        )?;
        if after == Verification::NotLive || delete.gone() {
            self.state.remove(secret.sha256())?;
        }
        Ok(text)
    }

    /// Delete what an earlier run left undelivered: `Ok` says what was done.
    fn clean_up(
        &mut self,
        secret: &Secret,
        checked: &Checked,
        base: &Result<BaseUrl, String>,
        prior: &KeyState,
    ) -> std::result::Result<String, String> {
        let base = base.as_ref().map_err(Clone::clone)?;
        let own_live = matches!(checked.verification, Verification::Live { .. });
        let (cred, credential) = match (prior.credential, own_live, self.admin) {
            (CredentialKind::LeakedKey, true, _) => (
                secret,
                Credential::LeakedKey {
                    stem: secret.stem().to_string(),
                },
            ),
            (_, _, Some(admin)) => (
                admin,
                Credential::AdminKey {
                    stem: admin.stem().to_string(),
                },
            ),
            (_, _, None) => {
                return Err(
                    "the key that created it is not live and `MISAR_ADMIN_KEY` is not set".into(),
                )
            }
        };
        match &prior.phase {
            Phase::Created { new_id } => {
                let delete = DeleteOutcome::of(self.client.delete_key(base, cred, new_id));
                let text = delete.describe();
                self.audit
                    .record(
                        secret,
                        Some(new_id),
                        AuditAction::DeleteReplacement,
                        Some(&credential),
                        &format!("undelivered replacement left by an earlier run: {text}"),
                    )
                    .map_err(|e| e.to_string())?;
                if delete.gone() {
                    Ok(format!(
                        "an earlier run left replacement id `{}` undelivered: deleted ({text})",
                        sanitize(new_id)
                    ))
                } else {
                    Err(text)
                }
            }
            Phase::Creating { .. } => self
                .clean_up_creating(secret, base, cred, &credential, prior)
                .map(|note| {
                    format!("an earlier run was stopped while creating a replacement: {note}")
                }),
            Phase::Delivered { .. } | Phase::Done { .. } => Ok(String::new()),
        }
    }

    /// After a `POST` without a clear answer: delete every entry with the
    /// replacement's name and scopes that was not there before and was never
    /// used (an undelivered key cannot have been).
    fn clean_up_creating(
        &mut self,
        secret: &Secret,
        base: &BaseUrl,
        cred: &Secret,
        credential: &Credential,
        prior: &KeyState,
    ) -> Result<String, String> {
        let Phase::Creating { ids_before } = &prior.phase else {
            return Ok(String::new());
        };
        let entries = self.list(secret, base, cred)?;
        let orphans: Vec<&KeyEntry> = entries
            .iter()
            .filter(|e| {
                e.name == prior.name
                    && e.scopes == prior.scopes
                    && e.id != prior.old_id
                    && !ids_before.contains(&e.id)
                    && e.last_used_at.is_none()
                    && !e.id_scrubbed
            })
            .collect();
        if orphans.is_empty() {
            return Ok("no replacement had been created".into());
        }
        let mut done = Vec::new();
        for e in orphans {
            let delete = DeleteOutcome::of(self.client.delete_key(base, cred, &e.id));
            self.audit
                .record(
                    secret,
                    Some(&e.id),
                    AuditAction::DeleteReplacement,
                    Some(credential),
                    &format!("undelivered replacement: {}", delete.describe()),
                )
                .map_err(|e| e.to_string())?;
            if !delete.gone() {
                return Err(format!(
                    "replacement id `{}`: {}",
                    sanitize(&e.id),
                    delete.describe()
                ));
            }
            done.push(format!("`{}`", sanitize(&e.id)));
        }
        Ok(format!(
            "deleted the undelivered replacement id {}",
            done.join(", ")
        ))
    }

    /// The account's list with `cred`, scrubbed of every key in hand.
    fn list(
        &self,
        secret: &Secret,
        base: &BaseUrl,
        cred: &Secret,
    ) -> Result<Vec<KeyEntry>, String> {
        match self.client.list_keys(base, cred, judge) {
            Ok(Answer::Live {
                can_manage_keys: true,
                mut entries,
            }) => {
                let mut secrets = vec![secret.expose(), cred.expose()];
                secrets.extend(self.admin.map(Secret::expose));
                scrub_entries(&mut entries, &secrets);
                Ok(entries)
            }
            Ok(Answer::Live { .. }) => Err("the credential lacks `keys:manage` (403)".into()),
            Ok(Answer::NotLive) => Err("the credential is not live (401)".into()),
            Err(e) => Err(format!("listing keys failed: {e}")),
        }
    }

    /// Poll the list until the replacement `new_id` shows a `last_used_at`,
    /// for at most `limit`. `Ok(Err(why))` when it did not.
    fn wait_for_use(
        &mut self,
        secret: &Secret,
        base: &BaseUrl,
        cred: &Secret,
        new_id: &str,
        limit: Duration,
    ) -> Result<Result<(), String>> {
        let start = Instant::now();
        let mut last;
        loop {
            match self.list(secret, base, cred) {
                Ok(entries) => match entries.iter().find(|e| e.id == new_id) {
                    Some(e) if e.last_used_at.is_some() => {
                        self.audit.record(
                            secret,
                            Some(new_id),
                            AuditAction::Wait,
                            None,
                            "the replacement has been used: cutting over",
                        )?;
                        return Ok(Ok(()));
                    }
                    Some(_) => last = "not used yet".into(),
                    None => {
                        let reason = format!(
                            "the replacement id `{}` is no longer listed (deleted?): \
                             not revoking the old key, nor creating another: check the dashboard",
                            sanitize(new_id)
                        );
                        self.audit.record(
                            secret,
                            Some(new_id),
                            AuditAction::Wait,
                            None,
                            &reason,
                        )?;
                        return Ok(Err(reason));
                    }
                },
                Err(reason) => last = reason,
            }
            let elapsed = start.elapsed();
            if elapsed >= limit {
                let reason = format!(
                    "it was not used within {} s ({last})",
                    limit.as_secs_f64().round()
                );
                self.audit
                    .record(secret, Some(new_id), AuditAction::Wait, None, &reason)?;
                return Ok(Err(reason));
            }
            std::thread::sleep(self.opts.poll_interval.min(limit - elapsed));
        }
    }
}

/// How the output names what an earlier run left.
fn leftover_text(p: &KeyState, what: &str) -> String {
    match &p.phase {
        Phase::Created { new_id } => format!(
            "an earlier run left replacement id `{}` undelivered: it {what}",
            sanitize(new_id)
        ),
        _ => format!(
            "an earlier run was stopped while creating a replacement for id `{}`: any it made {what}",
            sanitize(&p.old_id)
        ),
    }
}
