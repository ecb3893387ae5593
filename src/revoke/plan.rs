//! The revocation planner (SPEC §2): a pure function of the leaked key, its
//! verification in this run and the key list, returning one
//! [`RevocationStep`] — revoke this `id` with this credential, or refuse and
//! say why. No I/O here: [`super::run()`] and the sweep get the list
//! ([`super::Revoker::listing`]), print the plan, and run it through
//! [`super::Revoker::revoke`].
//!
//! The rules, from the spec:
//! - never revoke a key that was not verified live in this run;
//! - find the entry whose `prefix` stem the leaked key starts with; zero or
//!   several such entries: refuse;
//! - a stem no longer than the product prefix (`msk_...`) identifies nothing:
//!   never revoke on it with any credential but the leaked key itself (its
//!   own list is its own account, so a single match there is the key);
//! - never send a `DELETE` for an id that cannot be one path segment
//!   ([`unusable_id`]: empty, `.` or `..`, control characters, slashes), nor
//!   for one that held a key (the server echoed it: [`KeyEntry::id_scrubbed`]).
//!
//! What the server listed is scrubbed of the leaked key here (and of the
//! credential that listed it, where the list was fetched) before any step or
//! reason is built from it, so plans, refusal reasons, outputs, audit logs and
//! sweep files never hold it.

use serde::Serialize;

use crate::api::KeyEntry;
use crate::finding::Verification;
use crate::secret::Secret;

/// Which credential authenticates the list and the `DELETE`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Credential {
    /// The leaked key itself (it holds `keys:manage`).
    LeakedKey {
        /// Its stem (first 8 characters).
        stem: String,
    },
    /// The key in `MISAR_ADMIN_KEY`.
    AdminKey {
        /// Its stem (first 8 characters).
        stem: String,
    },
}

impl Credential {
    /// How the plan names it: `the key itself` or `MISAR_ADMIN_KEY (msk_Adm1…)`.
    pub fn describe(&self) -> String {
        match self {
            Self::LeakedKey { .. } => "the key itself".to_string(),
            Self::AdminKey { stem } => format!("MISAR_ADMIN_KEY ({stem}…)"),
        }
    }

    /// The credential's stem, for the audit log.
    pub fn stem(&self) -> &str {
        match self {
            Self::LeakedKey { stem } | Self::AdminKey { stem } => stem,
        }
    }
}

/// The key list the planner decides on.
#[derive(Debug, Clone)]
pub enum Listing<'a> {
    /// Listed with the leaked key itself.
    Own(&'a [KeyEntry]),
    /// Listed with `MISAR_ADMIN_KEY`.
    Admin {
        /// The admin key's stem.
        stem: String,
        /// Its account's keys.
        entries: &'a [KeyEntry],
    },
    /// No list could be had (no admin key, or the list call failed).
    Unavailable {
        /// Why.
        reason: String,
    },
}

/// What to do about one leaked key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum RevocationStep {
    /// `DELETE /api/v1/keys/:id` with `credential`.
    Revoke {
        /// The entry's id.
        id: String,
        /// The entry's name.
        name: Option<String>,
        /// The entry's `prefix`, as listed.
        prefix: String,
        /// Who authenticates.
        credential: Credential,
    },
    /// Nothing to do: the key is not live.
    Skip {
        /// Why.
        reason: String,
    },
    /// The key may be live but cannot be revoked safely.
    Refuse {
        /// Why.
        reason: String,
    },
}

/// Why `id` must never be sent as `DELETE /api/v1/keys/:id`, or `None` when
/// it may. A URL library drops tabs and newlines and resolves `.` and `..`
/// segments, so such an id would send the `DELETE` to the key collection or
/// above it; some servers decode `%2F` or read `\` as a separator before
/// routing, so a slash could do the same.
pub fn unusable_id(id: &str) -> Option<&'static str> {
    let decoded = percent_encoding::percent_decode_str(id).decode_utf8_lossy();
    if id.chars().any(char::is_control) || decoded.chars().any(char::is_control) {
        Some("holds control characters (a URL drops tabs and newlines), so the DELETE could go to another path")
    } else if id.trim().is_empty() {
        Some("is empty")
    } else if [id.trim(), decoded.trim()]
        .iter()
        .any(|s| *s == "." || *s == "..")
    {
        Some("is a dot segment, so the DELETE would go to the key collection or above it")
    } else if id.contains(['/', '\\']) || decoded.contains(['/', '\\']) {
        Some("holds a slash, which a server may read as a path separator")
    } else {
        None
    }
}

/// An id as a reason shows it: in backticks, control characters escaped.
fn show_id(id: &str) -> String {
    format!("`{}`", id.escape_debug())
}

/// Entries whose `prefix` stem `key` starts with.
pub fn matching_entries<'a>(key: &str, entries: &'a [KeyEntry]) -> Vec<&'a KeyEntry> {
    entries
        .iter()
        .filter(|e| !e.stem().is_empty() && key.starts_with(e.stem()))
        .collect()
}

/// Decide what to do about `leaked` (see the module docs).
pub fn plan(
    leaked: &Secret,
    product_prefix: &str,
    verification: &Verification,
    listing: Listing<'_>,
) -> RevocationStep {
    match verification {
        Verification::Live { .. } => {}
        Verification::NotLive => {
            return RevocationStep::Skip {
                reason: "not live (401 UNAUTHORIZED): already revoked or never valid".into(),
            }
        }
        Verification::Unknown { reason } => {
            return RevocationStep::Refuse {
                reason: format!(
                    "not verified live in this run ({reason}); never revoking on a guess"
                ),
            }
        }
        Verification::Unverified => {
            return RevocationStep::Refuse {
                reason: "not verified in this run".into(),
            }
        }
    }
    let (entries, credential) = match listing {
        Listing::Own(entries) => (
            entries,
            Credential::LeakedKey {
                stem: leaked.stem().to_string(),
            },
        ),
        Listing::Admin { stem, entries } => (entries, Credential::AdminKey { stem }),
        Listing::Unavailable { reason } => return RevocationStep::Refuse { reason },
    };
    // The matching entries, scrubbed of the leaked key: an admin key's list
    // was scrubbed of the admin key only, and a lying server could echo the
    // leaked key in any field.
    let matches: Vec<KeyEntry> = matching_entries(leaked.expose(), entries)
        .into_iter()
        .map(|e| {
            let mut e = e.clone();
            e.scrub(&[leaked.expose()]);
            e
        })
        .collect();
    match matches.as_slice() {
        [] => RevocationStep::Refuse {
            reason: format!(
                "no key listed with {} has a prefix that `{}` starts with ({} listed); it may belong to another account",
                credential.describe(),
                leaked.redacted(),
                entries.len()
            ),
        },
        [one] => {
            let identifies = one.stem().chars().count() > product_prefix.chars().count();
            if !identifies && !matches!(credential, Credential::LeakedKey { .. }) {
                return RevocationStep::Refuse {
                    reason: format!(
                        "the only matching entry (id {}) shows prefix `{}`, which identifies nothing; only the key itself could revoke on it",
                        show_id(&one.id),
                        crate::secret::clip(&one.prefix, crate::secret::STEM_LEN + 3)
                    ),
                };
            }
            if one.id_scrubbed {
                return RevocationStep::Refuse {
                    reason: format!(
                        "the matching entry's id holds a full key (the server echoed it; shown scrubbed as {}), so it is not an id to send; not revoking: revoke it in the Misar dashboard",
                        show_id(&one.id)
                    ),
                };
            }
            if let Some(why) = unusable_id(&one.id) {
                return RevocationStep::Refuse {
                    reason: format!(
                        "the matching entry's id {} {why}; not revoking: revoke it in the Misar dashboard",
                        show_id(&one.id)
                    ),
                };
            }
            RevocationStep::Revoke {
                id: one.id.clone(),
                name: one.name.clone(),
                // The server's prefix, clipped like a key: a lying server could
                // echo the whole key there.
                prefix: format!(
                    "{}...",
                    crate::secret::clip(one.stem(), crate::secret::STEM_LEN)
                ),
                credential,
            }
        }
        several => RevocationStep::Refuse {
            reason: format!(
                "{} listed keys match `{}` (ids {}): ambiguous, not revoking; revoke it in the Misar dashboard",
                several.len(),
                leaked.redacted(),
                several.iter().map(|e| show_id(&e.id)).collect::<Vec<_>>().join(", ")
            ),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "msk_u8jzPde0IgxLd6GncfBAepfJBd0Kh8oO"; // misar-scan:allow (fake test key)
    const LIVE: Verification = Verification::Live {
        can_manage_keys: false,
    };

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

    fn admin(entries: &[KeyEntry]) -> Listing<'_> {
        Listing::Admin {
            stem: "msk_Admi".into(),
            entries,
        }
    }

    #[test]
    fn one_match_with_admin_is_revoked_with_admin() {
        let list = [entry("1", "msk_AAAA..."), entry("2", "msk_u8jz...")];
        let step = plan(&Secret::new(KEY), "msk_", &LIVE, admin(&list));
        assert_eq!(
            step,
            RevocationStep::Revoke {
                id: "2".into(),
                name: Some("key 2".into()),
                prefix: "msk_u8jz...".into(),
                credential: Credential::AdminKey {
                    stem: "msk_Admi".into()
                },
            }
        );
    }

    #[test]
    fn own_listing_uses_the_key_itself() {
        let list = [entry("9", "msk_u8jz...")];
        let live = Verification::Live {
            can_manage_keys: true,
        };
        match plan(&Secret::new(KEY), "msk_", &live, Listing::Own(&list)) {
            RevocationStep::Revoke { credential, .. } => {
                assert_eq!(credential.describe(), "the key itself")
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn zero_or_several_matches_refuse() {
        let none = [entry("1", "msk_AAAA...")];
        assert!(matches!(
            plan(&Secret::new(KEY), "msk_", &LIVE, admin(&none)),
            RevocationStep::Refuse { .. }
        ));
        let two = [entry("1", "msk_u8jz..."), entry("2", "msk_u8j...")];
        match plan(&Secret::new(KEY), "msk_", &LIVE, admin(&two)) {
            RevocationStep::Refuse { reason } => assert!(
                reason.contains("ambiguous") && reason.contains("`1`, `2`"),
                "{reason}"
            ),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn bare_product_prefix_identifies_nothing_except_for_the_key_itself() {
        let list = [entry("1", "msk_..."), entry("2", "mdk_AAAA...")];
        assert!(matches!(
            plan(&Secret::new(KEY), "msk_", &LIVE, admin(&list)),
            RevocationStep::Refuse { .. }
        ));
        let live = Verification::Live {
            can_manage_keys: true,
        };
        assert!(matches!(
            plan(&Secret::new(KEY), "msk_", &live, Listing::Own(&list)),
            RevocationStep::Revoke { .. }
        ));
    }

    #[test]
    fn never_revokes_a_key_not_verified_live_now() {
        let list = [entry("2", "msk_u8jz...")];
        let key = Secret::new(KEY);
        assert!(matches!(
            plan(&key, "msk_", &Verification::NotLive, admin(&list)),
            RevocationStep::Skip { .. }
        ));
        for v in [
            Verification::Unverified,
            Verification::Unknown {
                reason: "timed out".into(),
            },
        ] {
            assert!(matches!(
                plan(&key, "msk_", &v, admin(&list)),
                RevocationStep::Refuse { .. }
            ));
        }
    }

    #[test]
    fn unavailable_listing_refuses_with_its_reason() {
        let step = plan(
            &Secret::new(KEY),
            "msk_",
            &LIVE,
            Listing::Unavailable {
                reason: "no admin key".into(),
            },
        );
        assert_eq!(
            step,
            RevocationStep::Refuse {
                reason: "no admin key".into()
            }
        );
    }

    #[test]
    fn ids_that_are_not_one_path_segment_are_refused() {
        for id in [
            ".", "..", " .. ", ".\t.", "..\n", "\t", "a\rb", "%2e%2E", "a/b", "..\\x", "%2F",
        ] {
            let list = [entry(id, "msk_u8jz...")];
            match plan(&Secret::new(KEY), "msk_", &LIVE, admin(&list)) {
                RevocationStep::Refuse { reason } => assert!(
                    reason.contains("the matching entry's id")
                        && !reason.contains(['\t', '\n', '\r']),
                    "{id:?}: {reason}"
                ),
                other => panic!("{id:?}: {other:?}"),
            }
        }
        for id in ["k1", "7", "key_1.2", "a..b", "...", "uuid-0f3e"] {
            assert_eq!(unusable_id(id), None, "{id:?}");
        }
    }

    #[test]
    fn an_entry_echoing_the_key_is_scrubbed_and_an_echoed_id_refused() {
        let mut named = entry("k9", "msk_u8jz...");
        named.name = Some(format!("deploy {KEY}"));
        match plan(&Secret::new(KEY), "msk_", &LIVE, admin(&[named])) {
            RevocationStep::Revoke { id, name, .. } => {
                assert_eq!(id, "k9");
                assert_eq!(name.as_deref(), Some("deploy msk_u8jz…"));
            }
            other => panic!("{other:?}"),
        }
        let step = plan(
            &Secret::new(KEY),
            "msk_",
            &LIVE,
            admin(&[entry(KEY, "msk_u8jz...")]),
        );
        match &step {
            RevocationStep::Refuse { reason } => {
                assert!(reason.contains("holds a full key"), "{reason}")
            }
            other => panic!("{other:?}"),
        }
        let two = [entry(KEY, "msk_u8jz..."), entry("2", "msk_u8jz...")];
        let step = plan(&Secret::new(KEY), "msk_", &LIVE, admin(&two));
        assert!(!format!("{step:?}").contains(KEY), "{step:?}");
    }

    #[test]
    fn refusal_reasons_never_hold_the_key() {
        let two = [entry("1", "msk_u8jz..."), entry("2", "msk_u8jz...")];
        let step = plan(&Secret::new(KEY), "msk_", &LIVE, admin(&two));
        assert!(!format!("{step:?}").contains(KEY));
    }
}
