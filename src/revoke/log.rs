//! The audit log of `revoke`, `rotate` and `sweep` (SPEC §2, §6): one JSON line per
//! API action — verified, skipped, refused, planned, deleted, re-verified,
//! discrepant — appended and flushed as it happens, so a run killed at any
//! point leaves every action it took on record. A line names the key by its
//! stem and `secret_sha256`, the list entry by its id and the credential by
//! its kind and stem: never a key.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use serde::Serialize;

use super::plan::Credential;
use crate::finding::Verification;
use crate::secret::Secret;

/// What one line of the audit log records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AuditAction {
    /// The key was verified (the outcome says how).
    Verify,
    /// Nothing to do: not live.
    Skip,
    /// Not revoked, and why.
    Refuse,
    /// Would be revoked (a dry run, or not confirmed).
    Plan,
    /// The `DELETE` was sent (the outcome is its answer).
    Delete,
    /// The key was verified again after a revocation.
    Reverify,
    /// Still live after its entry was deleted: a different key was revoked.
    Discrepancy,
    /// `rotate`: the replacement was asked for (`POST`); `key_id` is the
    /// new entry's id when there is one.
    Create,
    /// `rotate`: the replacement was handed to the sink (or not: the outcome says).
    Deliver,
    /// `rotate`: waiting for the replacement's first use.
    Wait,
    /// `rotate`: an undelivered replacement was deleted (`key_id` is its id).
    DeleteReplacement,
}

/// One line of the audit log.
#[derive(Debug, Serialize)]
struct AuditRecord<'a> {
    time: String,
    key_stem: &'a str,
    secret_sha256: &'a str,
    key_id: Option<&'a str>,
    action: AuditAction,
    credential: Option<&'a str>,
    credential_stem: Option<&'a str>,
    dry_run: bool,
    outcome: &'a str,
}

/// The audit log: one JSON line per API action, appended and flushed as it happens.
#[derive(Debug)]
pub struct Audit {
    file: File,
    path: PathBuf,
    dry_run: bool,
}

impl Audit {
    /// Open (create or append to) the audit log at `path`; every line says
    /// whether it was a `dry_run`.
    pub fn open(path: &Path, dry_run: bool) -> Result<Self> {
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .with_context(|| format!("failed to open audit log `{}`", path.display()))?;
        Ok(Self {
            file,
            path: path.to_path_buf(),
            dry_run,
        })
    }

    /// Open (create or append to) the audit log at `path`, refusing a
    /// symbolic link there ([`open_append_no_follow`]): for the sweep's
    /// report folder.
    pub fn open_no_follow(path: &Path, dry_run: bool) -> Result<Self> {
        let file = open_append_no_follow(path)
            .with_context(|| format!("failed to open audit log `{}`", path.display()))?;
        Ok(Self {
            file,
            path: path.to_path_buf(),
            dry_run,
        })
    }

    /// Where the log is.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Append one action about `secret`.
    pub fn record(
        &mut self,
        secret: &Secret,
        key_id: Option<&str>,
        action: AuditAction,
        credential: Option<&Credential>,
        outcome: &str,
    ) -> Result<()> {
        let rec = AuditRecord {
            time: rfc3339_now(),
            key_stem: secret.stem(),
            secret_sha256: secret.sha256(),
            key_id,
            action,
            credential: credential.map(|c| match c {
                Credential::LeakedKey { .. } => "leaked_key",
                Credential::AdminKey { .. } => "admin_key",
            }),
            credential_stem: credential.map(Credential::stem),
            dry_run: self.dry_run,
            outcome,
        };
        let mut line = serde_json::to_vec(&rec)?;
        line.push(b'\n');
        self.file
            .write_all(&line)
            .and_then(|()| self.file.flush())
            .with_context(|| format!("failed to append to audit log `{}`", self.path.display()))
    }

    /// Append the verification of `secret` (authenticated with itself).
    pub fn verified(
        &mut self,
        secret: &Secret,
        key_id: Option<&str>,
        verification: &Verification,
    ) -> Result<()> {
        self.record(
            secret,
            key_id,
            AuditAction::Verify,
            Some(&Credential::LeakedKey {
                stem: secret.stem().into(),
            }),
            &verification_text(verification),
        )
    }
}

/// How the audit log words a verification.
pub(crate) fn verification_text(v: &Verification) -> String {
    match v {
        Verification::Live {
            can_manage_keys: true,
        } => "live (holds keys:manage)".into(),
        Verification::Live {
            can_manage_keys: false,
        } => "live (lacks keys:manage)".into(),
        Verification::NotLive => "not live (401)".into(),
        Verification::Unknown { reason } => format!("unknown: {reason}"),
        Verification::Unverified => "unverified".into(),
    }
}

/// The current time as RFC 3339 UTC, to the second.
pub(crate) fn rfc3339_now() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let (days, rem) = ((secs / 86_400) as i64, secs % 86_400);
    let (year, month, day) = crate::timestamp::civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Open `path` to append to it (created if missing), refusing a symbolic
/// link there: a link planted in the report folder must not make the sweep
/// append to a file elsewhere. On unix the check is the open itself
/// (`O_NOFOLLOW`), so there is no window between checking and opening.
pub fn open_append_no_follow(path: &Path) -> Result<File> {
    let mut options = OpenOptions::new();
    options.create(true).append(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NOFOLLOW);
    }
    #[cfg(not(unix))]
    if std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink()) {
        bail!(symlink_refusal(path));
    }
    match options.open(path) {
        Ok(file) => Ok(file),
        #[cfg(unix)]
        Err(e) if e.raw_os_error() == Some(libc::ELOOP) => bail!(symlink_refusal(path)),
        Err(e) => Err(e).with_context(|| format!("failed to open `{}`", path.display())),
    }
}

fn symlink_refusal(path: &Path) -> String {
    format!(
        "`{}` is a symbolic link: refusing to append through it (it could point anywhere); \
         hint: remove it, or give `--report-dir` a folder only you can write to",
        path.display()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_has_the_right_shape() {
        let t = rfc3339_now();
        assert_eq!(t.len(), 20, "{t}");
        assert!(t.starts_with("20") && t.ends_with('Z'), "{t}");
    }

    #[test]
    fn a_line_holds_stems_and_hashes_never_the_key() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("audit.jsonl");
        let key = Secret::new("msk_u8jzPde0IgxLd6GncfBAepfJBd0Kh8oO"); // misar-scan:allow (fake test key)
        let mut audit = Audit::open(&path, true).unwrap();
        let admin = Credential::AdminKey {
            stem: "msk_Admi".into(),
        };
        audit
            .record(
                &key,
                Some("k1"),
                AuditAction::Delete,
                Some(&admin),
                "revoked",
            )
            .unwrap();
        audit.verified(&key, None, &Verification::NotLive).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(!text.contains(key.expose()), "{text}");
        let lines: Vec<serde_json::Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines[0]["action"], "delete");
        assert_eq!(lines[0]["credential"], "admin_key");
        assert_eq!(lines[0]["credential_stem"], "msk_Admi");
        assert_eq!(lines[0]["key_stem"], "msk_u8jz");
        assert_eq!(lines[0]["dry_run"], true);
        assert_eq!(lines[1]["action"], "verify");
        assert_eq!(lines[1]["credential"], "leaked_key");
        assert_eq!(lines[1]["outcome"], "not live (401)");
    }

    #[cfg(unix)]
    #[test]
    fn appending_never_goes_through_a_symlink() {
        let dir = tempfile::tempdir().unwrap();
        let victim = dir.path().join("victim");
        std::fs::write(&victim, "precious").unwrap();
        let link = dir.path().join("audit.jsonl");
        std::os::unix::fs::symlink(&victim, &link).unwrap();
        let err = open_append_no_follow(&link).unwrap_err();
        assert!(format!("{err:#}").contains("symbolic link"), "{err:#}");
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
        // A plain file is appended to.
        let path = dir.path().join("log");
        open_append_no_follow(&path)
            .unwrap()
            .write_all(b"a")
            .unwrap();
        open_append_no_follow(&path)
            .unwrap()
            .write_all(b"b")
            .unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "ab");
    }
}
