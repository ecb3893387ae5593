//! Revoking leaked keys (SPEC §2): the `revoke` command's logic, and the one
//! executor that `sweep` (and later `rotate`) revoke through.
//!
//! - [`plan`](mod@plan): a pure function of the leaked key, its verification in
//!   this run and the account's key list, returning one [`RevocationStep`]
//!   (revoke this id with this credential, skip, or refuse and say why).
//! - [`execute`](mod@execute): the [`Revoker`], which gets the lists to plan
//!   with (the key's own, else `MISAR_ADMIN_KEY`'s, listed once per API) and
//!   runs one planned revocation: `DELETE` once (never retried), then
//!   re-verify the leaked key, which must now get `401`. The `DELETE`'s answer
//!   is a typed [`DeleteOutcome`] and what the re-verification made of it a
//!   [`Confirmation`]; a key still live after a successful `DELETE` means a
//!   different key was revoked, and the `Revoker` revokes nothing more.
//! - [`log`]: the audit log, one JSON line per action, appended and flushed
//!   as it happens (ids, stems and SHA-256s only, never a key).
//! - [`run`](mod@run): the `revoke` command — verify each distinct key, plan,
//!   and with `act` revoke — returning typed per-key results
//!   ([`RevokeResult`]) for `report::revoke` to render.

pub mod execute;
pub mod log;
pub mod plan;
pub mod run;

pub use execute::{Attempt, Confirmation, DeleteOutcome, Executed, Revoker, NOT_ATTEMPTED};
pub use log::{Audit, AuditAction};
pub use plan::{matching_entries, plan, unusable_id, Credential, Listing, RevocationStep};
pub use run::{run, KeyOutcome, KeyResult, RevokeOptions, RevokeResult};
