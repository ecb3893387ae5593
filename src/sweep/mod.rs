//! The incident-response sweep (SPEC §3 `misar-scan sweep PATH…`): every git
//! repository under some paths, full history, each distinct key verified
//! once, optionally revoked, with a report folder that a killed sweep
//! resumes from.
//!
//! - [`discover`](mod@discover): where a sweep looks — the repositories under
//!   the paths, shards of them, the refs a scan starts from.
//! - [`state`]: the resumable state, `sweep-state.json`, and what it leaves
//!   to do ([`SweepVerdict`]).
//! - [`decide`](mod@decide): the pure decision about one key, with its
//!   decision table.
//! - [`run`](mod@run): the sweep itself, behind a small terminal interface
//!   ([`SweepUi`]); it revokes through [`crate::revoke::Revoker`].
//! - [`merge`](mod@merge): `report merge`, sharded sweeps combined.
//! - [`exposure`](mod@exposure): the exposure window per key, and the
//!   persistence check (keys created since a `keys:manage` key leaked).
//!
//! `report::sweep` renders the report folder from a [`SweepState`].

pub mod decide;
pub mod discover;
pub mod exposure;
pub mod merge;
pub mod run;
pub mod state;

pub use decide::{decide, Consent, Decision, Unconfirmed, NO_CONSENT};
pub use discover::{discover, ref_tips, shallow_reason, FoundRepo, Shard};
pub use exposure::{created_since, exposure, CreatedSince, Exposure};
pub use merge::merge;
pub use run::{
    run, PlannedRevocation, SweepOptions, SweepResult, SweepRotation, SweepUi, ROTATE_STATE_FILE,
};
pub use state::{
    write_atomic, Action, KeyRecord, KeyStatus, PlannedDelete, RepoRecord, SweepFinding,
    SweepState, SweepVerdict, AUDIT_FILE, STATE_FILE, STATE_VERSION,
};
