//! The incident-response sweep (SPEC §3 `misar-scan sweep PATH…`): every git
//! repository under some paths, full history, each distinct key verified
//! once, optionally revoked, with a report folder that a killed sweep
//! resumes from.
//!
//! - [`discover`](mod@discover): where a sweep looks — the repositories under
//!   the paths, shards of them, the refs a scan starts from.
//! - [`state`]: the resumable state, `sweep-state.json`, and what it leaves
//!   to do ([`SweepVerdict`]).
//!
//! `report::sweep` renders the report folder from a [`SweepState`].

pub mod discover;
pub mod state;

pub use discover::{discover, ref_tips, shallow_reason, FoundRepo, Shard};
pub use state::{
    write_atomic, Action, KeyRecord, KeyStatus, PlannedDelete, RepoRecord, SweepState,
    SweepVerdict, AUDIT_FILE, STATE_FILE, STATE_VERSION,
};
