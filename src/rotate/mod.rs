//! Rotating leaked keys (SPEC §6): replace a live key without an outage,
//! then revoke it.
//!
//! - [`run`](mod@run): the `rotate` command — verify, plan as `revoke` does
//!   ([`crate::revoke::plan()`]), create the replacement (`POST` with the
//!   entry's name and scopes), deliver it, wait for its first use if asked,
//!   and revoke the old key through [`crate::revoke::Revoker`] — returning
//!   typed per-key results ([`RotateResult`]) for `report::rotate`.
//! - [`rotator`]: the [`Rotator`], one key's rotation (create, deliver,
//!   wait, revoke; resume), shared with `sweep --rotate`.
//! - [`sink`]: where the replacement goes: `--exec CMD` (the key on its
//!   standard input) or `--env-file FILE --env-var NAME`.
//! - [`state`]: the state file a run killed at any step resumes from, so no
//!   second replacement is delivered and no undelivered one is left alive.

pub mod rotator;
pub mod run;
pub mod sink;
pub mod state;

pub use rotator::Rotator;
pub use run::{run, KeyRotation, RotateOptions, RotateOutcome, RotateResult, RotationStep};
pub use sink::{Delivery, Sink};
pub use state::{CredentialKind, KeyState, Phase, StateFile};
