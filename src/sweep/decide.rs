//! What a sweep does about one key: a pure function of what the state
//! recorded for it ([`KeyRecord`]), its verification in this run, the
//! consent to revoke ([`Consent`]) and — only when it comes to that — the
//! revocation plan for it ([`crate::revoke::plan()`]), returning a
//! [`Decision`]. No I/O: [`super::run()`] records the decision, writes the
//! audit log and runs the revocations through the one executor
//! ([`crate::revoke::Revoker`]).
//!
//! The decision table ("any" is any value; rows are tried in order; "plan"
//! is called only where the table names it):
//!
//! | recorded for the key | verified now | consent | plan | decision | recorded as |
//! |---|---|---|---|---|---|
//! | a discrepancy (an earlier run) | any | any | – | [`EarlierDiscrepancy`]: revoke nothing more | unchanged |
//! | revoked or already revoked | not live | any | – | [`ConfirmedRevoked`]: no `DELETE` | unchanged |
//! | revoked or already revoked | live | any | – | [`StillLive`]: a different key was revoked; revoke nothing more | `discrepancy` |
//! | revoked or already revoked | unknown or unverified | any | – | [`RevokedUnconfirmed`] | unchanged |
//! | a `DELETE` pending (an interrupted run) | not live | any | – | [`ResumedDelete`]: it went out; no second one | `revoked` |
//! | anything else | not live | any | – | [`NotLive`] | `not_live` |
//! | anything else, or a `DELETE` pending | unknown | any | – | [`Unknown`]: never revoked on a guess | `left_alone_unknown` |
//! | anything else, or a `DELETE` pending | unverified | any | – | [`Unknown`] | `left_alone_unknown` |
//! | anything else, or a `DELETE` pending | live | not asked (no `--revoke`) | – | [`KeepLive`] | `none` |
//! | anything else, or a `DELETE` pending | live | given, ask, declined or impossible | refuse (ambiguous, no match, no admin key, an unusable id…) | [`Refused`] | `refused` |
//! | anything else, or a `DELETE` pending | live | given, ask, declined or impossible | skip | [`NotLive`] (with the planner's reason) | `not_live` |
//! | anything else, or a `DELETE` pending | live | given (`--yes`) | revoke | [`RevokeNow`] | after the `DELETE` |
//! | anything else, or a `DELETE` pending | live | ask (a terminal) | revoke | [`Ask`]: one prompt for all | after the prompt |
//! | anything else, or a `DELETE` pending | live | declined (no at the prompt) | revoke | [`NotConfirmed`] ([`Declined`]) | `not_confirmed` |
//! | anything else, or a `DELETE` pending | live | impossible (no `--yes`, no terminal) | revoke | [`NotConfirmed`] ([`NoTerminal`]) | `not_confirmed` |
//!
//! A `DELETE` pending for a key still live is planned again: the `DELETE`
//! never reached the API, or was answered with an error. Keys resolving to
//! one list entry, or to an entry the sweep already deleted for another key,
//! are refused afterwards, across keys ([`super::SweepState::conflicting_deletes`]).
//!
//! [`EarlierDiscrepancy`]: Decision::EarlierDiscrepancy
//! [`ConfirmedRevoked`]: Decision::ConfirmedRevoked
//! [`StillLive`]: Decision::StillLive
//! [`RevokedUnconfirmed`]: Decision::RevokedUnconfirmed
//! [`ResumedDelete`]: Decision::ResumedDelete
//! [`NotLive`]: Decision::NotLive
//! [`Unknown`]: Decision::Unknown
//! [`KeepLive`]: Decision::KeepLive
//! [`Refused`]: Decision::Refused
//! [`RevokeNow`]: Decision::RevokeNow
//! [`Ask`]: Decision::Ask
//! [`NotConfirmed`]: Decision::NotConfirmed
//! [`Declined`]: Unconfirmed::Declined
//! [`NoTerminal`]: Unconfirmed::NoTerminal

use super::state::{Action, KeyRecord};
use crate::finding::Verification;
use crate::revoke::{Confirmation, Credential, Executed, RevocationStep};

/// `--revoke` without `--yes`, and no terminal to ask on.
pub const NO_CONSENT: &str = "`--revoke` without `--yes`, and standard input is not a terminal \
                              to confirm on: nothing is revoked";

/// Whether and how revocation is allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Consent {
    /// No `--revoke`: report live keys, revoke nothing.
    NotAsked,
    /// `--revoke --yes`.
    Given,
    /// `--revoke` on a terminal: ask once before the first `DELETE`.
    Ask,
    /// `--revoke` on a terminal, and the answer was no.
    Declined,
    /// `--revoke` without `--yes` and without a terminal: never revoke.
    Impossible,
}

impl Consent {
    /// From the flags and whether standard input is a terminal.
    pub fn from_flags(revoke: bool, yes: bool, terminal: bool) -> Self {
        match (revoke, yes, terminal) {
            (false, _, _) => Self::NotAsked,
            (true, true, _) => Self::Given,
            (true, false, true) => Self::Ask,
            (true, false, false) => Self::Impossible,
        }
    }

    /// Whether a `DELETE` may be sent (now or after a yes): the audit log
    /// of a run that cannot revoke is a dry run's.
    pub fn may_revoke(self) -> bool {
        matches!(self, Self::Given | Self::Ask)
    }
}

/// Why a revocation the planner allowed was not confirmed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unconfirmed {
    /// No `--yes` and no terminal ([`NO_CONSENT`]).
    NoTerminal,
    /// No at the prompt.
    Declined,
}

/// What to do about one key: see the module docs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// An earlier run found a discrepancy for this key: revoke nothing more
    /// until a person has looked; the record stays as it is.
    EarlierDiscrepancy,
    /// Revoked earlier (by this sweep, an earlier run or another shard) and
    /// now `401`: confirmed, no `DELETE` sent.
    ConfirmedRevoked,
    /// Recorded as revoked but live now: a different key was revoked.
    StillLive,
    /// Revoked earlier; this run's verification gave no answer. Nothing changes.
    RevokedUnconfirmed,
    /// A `DELETE` was sent by a run that died before recording its answer,
    /// and the key now gets `401`: revoked, without a second `DELETE`.
    ResumedDelete,
    /// Not live: already revoked (by another shard, an earlier run or
    /// someone else) or never valid.
    NotLive {
        /// Why, as recorded.
        reason: String,
    },
    /// No answer (`Some` reason) or not verified (`None`): left alone.
    Unknown {
        /// The verification's reason.
        reason: Option<String>,
    },
    /// Live, and no `--revoke`: reported, left live.
    KeepLive,
    /// Live, but the planner refused to revoke it.
    Refused {
        /// Why.
        reason: String,
    },
    /// Revoke now: `DELETE` the entry `id` with `credential`.
    RevokeNow {
        /// The entry's id.
        id: String,
        /// Who authenticates.
        credential: Credential,
    },
    /// Revoke after a yes at the one prompt.
    Ask {
        /// The entry's id.
        id: String,
        /// Who authenticates.
        credential: Credential,
    },
    /// Would revoke `id` with `credential`, but consent is missing.
    NotConfirmed {
        /// The entry's id.
        id: String,
        /// Who would authenticate.
        credential: Credential,
        /// Why not.
        why: Unconfirmed,
    },
}

/// Decide what to do about the key of `record`, verified `now`, with
/// `consent`; `plan` is called (at most once) only for a live key that may
/// be revoked. See the module docs for the table.
pub fn decide(
    record: &KeyRecord,
    now: &Verification,
    consent: Consent,
    plan: impl FnOnce() -> RevocationStep,
) -> Decision {
    if record.action == Action::Discrepancy {
        return Decision::EarlierDiscrepancy;
    }
    if record.action.is_final() {
        return match now {
            Verification::NotLive => Decision::ConfirmedRevoked,
            Verification::Live { .. } => Decision::StillLive,
            Verification::Unknown { .. } | Verification::Unverified => Decision::RevokedUnconfirmed,
        };
    }
    match now {
        Verification::NotLive if record.delete_pending => Decision::ResumedDelete,
        Verification::NotLive => Decision::NotLive {
            reason: "not live (401): already revoked (by another shard, an earlier run or \
                     someone else) or never valid; nothing to do"
                .into(),
        },
        Verification::Unknown { reason } => Decision::Unknown {
            reason: Some(reason.clone()),
        },
        Verification::Unverified => Decision::Unknown { reason: None },
        Verification::Live { .. } if consent == Consent::NotAsked => Decision::KeepLive,
        Verification::Live { .. } => match plan() {
            RevocationStep::Skip { reason } => Decision::NotLive { reason },
            RevocationStep::Refuse { reason } => Decision::Refused { reason },
            RevocationStep::Revoke { id, credential, .. } => match consent {
                Consent::Given => Decision::RevokeNow { id, credential },
                Consent::Ask => Decision::Ask { id, credential },
                Consent::Declined => Decision::NotConfirmed {
                    id,
                    credential,
                    why: Unconfirmed::Declined,
                },
                Consent::Impossible | Consent::NotAsked => Decision::NotConfirmed {
                    id,
                    credential,
                    why: Unconfirmed::NoTerminal,
                },
            },
        },
    }
}

impl Decision {
    /// How the key's record says it, when the decision changes it: the
    /// action and its detail. `None`: the record stays as it is (or is
    /// completed after the `DELETE` or the prompt).
    pub fn recorded_as(&self, record: &KeyRecord) -> Option<(Action, String)> {
        match self {
            Self::EarlierDiscrepancy
            | Self::ConfirmedRevoked
            | Self::RevokedUnconfirmed
            | Self::RevokeNow { .. }
            | Self::Ask { .. } => None,
            Self::StillLive => Some((
                Action::Discrepancy,
                format!(
                    "DISCREPANCY: recorded as revoked (id `{}`) but the key is LIVE: \
                     a different key was revoked",
                    record.key_id.as_deref().unwrap_or("?")
                ),
            )),
            Self::ResumedDelete => Some((
                Action::Revoked,
                "revoked by an interrupted run (DELETE sent); confirmed 401 on resume".into(),
            )),
            Self::NotLive { reason } => Some((Action::NotLive, reason.clone())),
            Self::Unknown {
                reason: Some(reason),
            } => Some((
                Action::LeftAloneUnknown,
                format!(
                    "verification gave no answer ({reason}); left alone, never revoked on a \
                     guess: check again or revoke in the Misar dashboard"
                ),
            )),
            Self::Unknown { reason: None } => {
                Some((Action::LeftAloneUnknown, "not verified; left alone".into()))
            }
            Self::KeepLive => Some((
                Action::None,
                "live: not revoked (run with `--revoke`)".into(),
            )),
            Self::Refused { reason } => Some((Action::Refused, format!("refused: {reason}"))),
            Self::NotConfirmed {
                id,
                credential,
                why,
            } => Some((
                Action::NotConfirmed,
                format!(
                    "live; would revoke id `{id}` with {}, but {}",
                    credential.describe(),
                    match why {
                        Unconfirmed::NoTerminal => NO_CONSENT,
                        Unconfirmed::Declined => "the confirmation was declined",
                    }
                ),
            )),
        }
    }

    /// Whether revoking must stop for the rest of the run.
    pub fn stops_revoking(&self) -> bool {
        matches!(self, Self::EarlierDiscrepancy | Self::StillLive)
    }
}

/// How a key's record says a revocation that was sent: `revoked`,
/// `already_revoked`, `discrepancy` or `failed`, with what happened.
pub fn recorded_after(executed: &Executed) -> (Action, String) {
    let action = match executed.confirmation {
        Confirmation::Revoked => Action::Revoked,
        Confirmation::AlreadyRevoked => Action::AlreadyRevoked,
        Confirmation::Discrepancy => Action::Discrepancy,
        Confirmation::DeadAnyway | Confirmation::StillLive | Confirmation::NoAnswer { .. } => {
            Action::Failed
        }
    };
    (action, executed.describe())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::KeyEntry;
    use crate::revoke::{plan, Listing};
    use crate::secret::Secret;

    const KEY: &str = "msk_u8jzPde0IgxLd6GncfBAepfJBd0Kh8oO"; // misar-scan:allow (fake test key)

    fn live() -> Verification {
        Verification::Live {
            can_manage_keys: false,
        }
    }

    fn unknown() -> Verification {
        Verification::Unknown {
            reason: "timed out".into(),
        }
    }

    /// What the state may hold for a key.
    #[derive(Debug, Clone, Copy)]
    enum Recorded {
        Fresh,
        Pending,
        Revoked,
        AlreadyRevoked,
        Discrepancy,
        /// Left by an earlier run in a state that is not final.
        Earlier(Action),
    }

    fn record(r: Recorded) -> KeyRecord {
        let mut rec = KeyRecord {
            stem: "msk_u8jz".into(),
            key_id: Some("k1".into()),
            ..KeyRecord::default()
        };
        match r {
            Recorded::Fresh => rec.key_id = None,
            Recorded::Pending => rec.delete_pending = true,
            Recorded::Revoked => rec.action = Action::Revoked,
            Recorded::AlreadyRevoked => rec.action = Action::AlreadyRevoked,
            Recorded::Discrepancy => rec.action = Action::Discrepancy,
            Recorded::Earlier(action) => rec.action = action,
        }
        rec
    }

    fn entry(id: &str, prefix: &str) -> KeyEntry {
        KeyEntry {
            id: id.into(),
            name: Some(format!("key {id}")),
            prefix: prefix.into(),
            scopes: vec!["send".into()],
            last_used_at: None,
            created_at: None,
            id_scrubbed: false,
        }
    }

    /// The real planner over an admin list holding `entries`.
    fn planned(entries: &[KeyEntry]) -> RevocationStep {
        plan(
            &Secret::new(KEY),
            "msk_",
            &live(),
            Listing::Admin {
                stem: "msk_Admi".into(),
                entries,
            },
        )
    }

    fn one_match() -> RevocationStep {
        planned(&[entry("k1", "msk_u8jz..."), entry("k2", "msk_AAAA...")])
    }

    fn ambiguous() -> RevocationStep {
        planned(&[entry("k1", "msk_u8jz..."), entry("k2", "msk_u8jz...")])
    }

    fn admin() -> Credential {
        Credential::AdminKey {
            stem: "msk_Admi".into(),
        }
    }

    const ALL_CONSENTS: [Consent; 5] = [
        Consent::NotAsked,
        Consent::Given,
        Consent::Ask,
        Consent::Declined,
        Consent::Impossible,
    ];

    /// `decide`, failing if it asks for a plan.
    fn without_plan(r: Recorded, now: &Verification, consent: Consent) -> Decision {
        decide(&record(r), now, consent, || {
            panic!("{r:?} {now:?} {consent:?}: planned")
        })
    }

    #[test]
    fn row_an_earlier_discrepancy_stops_everything_whatever_the_key_says() {
        for now in [live(), Verification::NotLive, unknown()] {
            for consent in ALL_CONSENTS {
                let d = without_plan(Recorded::Discrepancy, &now, consent);
                assert_eq!(d, Decision::EarlierDiscrepancy);
                assert!(d.stops_revoking());
                assert_eq!(d.recorded_as(&record(Recorded::Discrepancy)), None);
            }
        }
    }

    #[test]
    fn rows_revoked_earlier_never_get_a_second_delete() {
        for r in [Recorded::Revoked, Recorded::AlreadyRevoked] {
            for consent in ALL_CONSENTS {
                let d = without_plan(r, &Verification::NotLive, consent);
                assert_eq!(d, Decision::ConfirmedRevoked);
                assert_eq!(d.recorded_as(&record(r)), None);

                let d = without_plan(r, &live(), consent);
                assert_eq!(d, Decision::StillLive);
                assert!(d.stops_revoking());
                let (action, detail) = d.recorded_as(&record(r)).unwrap();
                assert_eq!(action, Action::Discrepancy);
                assert!(detail.contains("recorded as revoked (id `k1`)"), "{detail}");

                for now in [unknown(), Verification::Unverified] {
                    let d = without_plan(r, &now, consent);
                    assert_eq!(d, Decision::RevokedUnconfirmed);
                    assert_eq!(d.recorded_as(&record(r)), None);
                }
            }
        }
    }

    #[test]
    fn row_a_pending_delete_confirmed_dead_is_revoked_without_a_second_delete() {
        for consent in ALL_CONSENTS {
            let d = without_plan(Recorded::Pending, &Verification::NotLive, consent);
            assert_eq!(d, Decision::ResumedDelete);
            assert_eq!(
                d.recorded_as(&record(Recorded::Pending)),
                Some((
                    Action::Revoked,
                    "revoked by an interrupted run (DELETE sent); confirmed 401 on resume".into()
                ))
            );
        }
    }

    #[test]
    fn row_a_pending_delete_still_live_is_planned_again() {
        let d = decide(
            &record(Recorded::Pending),
            &live(),
            Consent::Given,
            one_match,
        );
        assert_eq!(
            d,
            Decision::RevokeNow {
                id: "k1".into(),
                credential: admin()
            }
        );
        // And without an answer it is left alone, the DELETE still pending.
        let d = without_plan(Recorded::Pending, &unknown(), Consent::Given);
        assert!(matches!(d, Decision::Unknown { reason: Some(_) }), "{d:?}");
    }

    #[test]
    fn row_not_live_needs_nothing() {
        let earlier = [
            Recorded::Fresh,
            Recorded::Earlier(Action::None),
            Recorded::Earlier(Action::NotConfirmed),
            Recorded::Earlier(Action::Refused),
            Recorded::Earlier(Action::Failed),
            Recorded::Earlier(Action::LeftAloneUnknown),
        ];
        for r in earlier {
            for consent in ALL_CONSENTS {
                let d = without_plan(r, &Verification::NotLive, consent);
                let (action, detail) = d.recorded_as(&record(r)).unwrap();
                assert_eq!(action, Action::NotLive, "{r:?}");
                assert!(
                    detail.starts_with("not live (401): already revoked"),
                    "{detail}"
                );
            }
        }
    }

    #[test]
    fn rows_unknown_and_unverified_are_left_alone_never_revoked_on_a_guess() {
        for r in [
            Recorded::Fresh,
            Recorded::Pending,
            Recorded::Earlier(Action::Failed),
        ] {
            for consent in ALL_CONSENTS {
                let d = without_plan(r, &unknown(), consent);
                let (action, detail) = d.recorded_as(&record(r)).unwrap();
                assert_eq!(action, Action::LeftAloneUnknown);
                assert!(
                    detail.contains("(timed out)") && detail.contains("never revoked on a guess"),
                    "{detail}"
                );
                let d = without_plan(r, &Verification::Unverified, consent);
                assert_eq!(
                    d.recorded_as(&record(r)),
                    Some((Action::LeftAloneUnknown, "not verified; left alone".into()))
                );
            }
        }
    }

    #[test]
    fn row_live_without_revoke_is_kept_live_and_not_planned() {
        for r in [Recorded::Fresh, Recorded::Pending] {
            let d = without_plan(r, &live(), Consent::NotAsked);
            assert_eq!(d, Decision::KeepLive);
            assert_eq!(
                d.recorded_as(&record(r)),
                Some((
                    Action::None,
                    "live: not revoked (run with `--revoke`)".into()
                ))
            );
        }
    }

    #[test]
    fn row_live_and_ambiguous_is_refused_whatever_the_consent() {
        for consent in [
            Consent::Given,
            Consent::Ask,
            Consent::Declined,
            Consent::Impossible,
        ] {
            let d = decide(&record(Recorded::Fresh), &live(), consent, ambiguous);
            let Decision::Refused { reason } = &d else {
                panic!("{consent:?}: {d:?}")
            };
            assert!(reason.contains("ambiguous"), "{reason}");
            let (action, detail) = d.recorded_as(&record(Recorded::Fresh)).unwrap();
            assert_eq!(action, Action::Refused);
            assert!(
                detail.starts_with("refused: 2 listed keys match"),
                "{detail}"
            );
        }
    }

    #[test]
    fn row_live_and_skipped_by_the_planner_is_not_live() {
        let d = decide(&record(Recorded::Fresh), &live(), Consent::Given, || {
            RevocationStep::Skip {
                reason: "gone".into(),
            }
        });
        assert_eq!(
            d.recorded_as(&record(Recorded::Fresh)),
            Some((Action::NotLive, "gone".into()))
        );
    }

    #[test]
    fn rows_live_and_revocable_follow_the_consent() {
        let decide_with = |consent| decide(&record(Recorded::Fresh), &live(), consent, one_match);
        assert_eq!(
            decide_with(Consent::Given),
            Decision::RevokeNow {
                id: "k1".into(),
                credential: admin()
            }
        );
        assert_eq!(
            decide_with(Consent::Ask),
            Decision::Ask {
                id: "k1".into(),
                credential: admin()
            }
        );
        for d in [decide_with(Consent::Given), decide_with(Consent::Ask)] {
            // Recorded once the DELETE is answered, or after the prompt.
            assert_eq!(d.recorded_as(&record(Recorded::Fresh)), None);
            assert!(!d.stops_revoking());
        }
        let declined = decide_with(Consent::Declined);
        assert_eq!(
            declined,
            Decision::NotConfirmed {
                id: "k1".into(),
                credential: admin(),
                why: Unconfirmed::Declined
            }
        );
        assert_eq!(
            declined.recorded_as(&record(Recorded::Fresh)),
            Some((
                Action::NotConfirmed,
                "live; would revoke id `k1` with MISAR_ADMIN_KEY (msk_Admi…), but the \
                 confirmation was declined"
                    .into()
            ))
        );
        let impossible = decide_with(Consent::Impossible);
        let (action, detail) = impossible.recorded_as(&record(Recorded::Fresh)).unwrap();
        assert_eq!(action, Action::NotConfirmed);
        assert!(detail.ends_with(NO_CONSENT), "{detail}");
    }

    #[test]
    fn consent_comes_from_the_flags_and_the_terminal() {
        for terminal in [false, true] {
            assert_eq!(
                Consent::from_flags(false, false, terminal),
                Consent::NotAsked
            );
            assert_eq!(Consent::from_flags(true, true, terminal), Consent::Given);
        }
        assert_eq!(Consent::from_flags(true, false, true), Consent::Ask);
        assert_eq!(Consent::from_flags(true, false, false), Consent::Impossible);
        assert!(Consent::Ask.may_revoke() && Consent::Given.may_revoke());
        assert!(!Consent::Impossible.may_revoke() && !Consent::NotAsked.may_revoke());
    }

    #[test]
    fn a_sent_revocation_is_recorded_by_what_the_reverification_found() {
        use crate::revoke::DeleteOutcome;
        let failed = DeleteOutcome::Failed {
            reason: "HTTP 500".into(),
        };
        for (delete, after, action) in [
            (
                DeleteOutcome::Revoked,
                Verification::NotLive,
                Action::Revoked,
            ),
            (
                DeleteOutcome::AlreadyRevoked,
                Verification::NotLive,
                Action::AlreadyRevoked,
            ),
            (DeleteOutcome::Revoked, live(), Action::Discrepancy),
            (failed.clone(), Verification::NotLive, Action::Failed),
            (failed.clone(), live(), Action::Failed),
            (DeleteOutcome::Revoked, unknown(), Action::Failed),
        ] {
            let executed = Executed {
                id: "k1".into(),
                confirmation: Confirmation::of(&delete, &after),
                delete,
                after,
            };
            let (recorded, detail) = recorded_after(&executed);
            assert_eq!(recorded, action, "{detail}");
            assert_eq!(detail, executed.describe());
        }
    }
}
