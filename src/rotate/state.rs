//! The state file of `rotate` (SPEC §6): what a run has done for each
//! leaked key, written before and after every step that changes the
//! account, so a run killed at any point and run again never creates a
//! second delivered replacement and never leaves an undelivered one alive.
//!
//! Per leaked key (by `secret_sha256`), one [`Phase`]:
//! - [`Phase::Creating`]: the `POST` is about to be sent (or was sent and
//!   got no clear answer). The ids of the entries with the same name that
//!   existed before it are kept, so a rerun can tell a replacement that
//!   was created from the keys that were there.
//! - [`Phase::Created`]: the replacement exists and was not delivered. A
//!   rerun deletes it before anything else.
//! - [`Phase::Delivered`]: the sink has it. A rerun never creates another;
//!   it waits for use (if asked) and revokes the old key.
//! - [`Phase::Done`]: the old key was revoked and confirmed.
//!
//! The file holds ids, names, scopes and SHA-256s: never a key. It is
//! written atomically (a temporary file renamed over it), mode 0600.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};

/// Which credential listed the old key's entry and created its replacement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CredentialKind {
    /// The leaked key itself.
    LeakedKey,
    /// `MISAR_ADMIN_KEY`.
    AdminKey,
}

/// How far the rotation of one key got.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "phase", rename_all = "snake_case")]
pub enum Phase {
    /// About to `POST` (or the `POST` got no clear answer).
    Creating {
        /// Ids of the entries with the replacement's name before the `POST`.
        #[serde(default)]
        ids_before: Vec<String>,
    },
    /// The replacement exists, not delivered.
    Created {
        /// Its id.
        new_id: String,
    },
    /// The replacement was delivered.
    Delivered {
        /// Its id.
        new_id: String,
    },
    /// The old key was revoked and confirmed.
    Done {
        /// The replacement's id.
        new_id: String,
    },
}

/// One leaked key's rotation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyState {
    /// The leaked key's entry id.
    pub old_id: String,
    /// The credential that created the replacement.
    pub credential: CredentialKind,
    /// The entry's (and the replacement's) name.
    #[serde(default)]
    pub name: Option<String>,
    /// The replacement's scopes.
    #[serde(default)]
    pub scopes: Vec<String>,
    /// How far it got.
    #[serde(flatten)]
    pub phase: Phase,
    /// When this was recorded (RFC 3339).
    #[serde(default)]
    pub updated_at: String,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct Doc {
    #[serde(default)]
    version: u32,
    /// By the leaked key's SHA-256.
    #[serde(default)]
    keys: BTreeMap<String, KeyState>,
}

/// The state file, loaded; every change is written at once.
#[derive(Debug)]
pub struct StateFile {
    path: PathBuf,
    doc: Doc,
}

impl StateFile {
    /// Load the state at `path` (empty when there is no file yet).
    pub fn load(path: &Path) -> Result<Self> {
        let doc = match std::fs::read_to_string(path) {
            Ok(text) => serde_json::from_str(&text).with_context(|| {
                format!(
                    "invalid rotation state `{}`: expected the file a `misar-scan rotate` run wrote",
                    path.display()
                )
            })?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Doc::default(),
            Err(e) => {
                return Err(e)
                    .with_context(|| format!("failed to read rotation state `{}`", path.display()))
            }
        };
        Ok(Self {
            path: path.to_path_buf(),
            doc,
        })
    }

    /// Where the file is.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The recorded state of the key with this SHA-256.
    pub fn get(&self, sha256: &str) -> Option<&KeyState> {
        self.doc.keys.get(sha256)
    }

    /// Record `state` for the key with this SHA-256, and write the file.
    pub fn set(&mut self, sha256: &str, mut state: KeyState) -> Result<()> {
        state.updated_at = crate::revoke::log::rfc3339_now();
        self.doc.keys.insert(sha256.to_string(), state);
        self.save()
    }

    /// Move the key with this SHA-256 to `phase`, and write the file.
    pub fn advance(&mut self, sha256: &str, phase: Phase) -> Result<()> {
        let mut state = self
            .get(sha256)
            .cloned()
            .context("no rotation recorded for this key")?;
        state.phase = phase;
        self.set(sha256, state)
    }

    /// Forget the key with this SHA-256 (nothing of its rotation is left
    /// on the account), and write the file.
    pub fn remove(&mut self, sha256: &str) -> Result<()> {
        if self.doc.keys.remove(sha256).is_some() {
            self.save()?;
        }
        Ok(())
    }

    fn save(&mut self) -> Result<()> {
        self.doc.version = 1;
        let mut bytes = serde_json::to_vec_pretty(&self.doc)?;
        bytes.push(b'\n');
        let dir = match self.path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let write = || -> std::io::Result<()> {
            let mut tmp = tempfile::NamedTempFile::new_in(&dir)?;
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                tmp.as_file()
                    .set_permissions(std::fs::Permissions::from_mode(0o600))?;
            }
            tmp.write_all(&bytes)?;
            tmp.as_file().sync_all()?;
            tmp.persist(&self.path).map_err(|e| e.error)?;
            Ok(())
        };
        write().with_context(|| format!("failed to write rotation state `{}`", self.path.display()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_round_trip_through_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        let mut s = StateFile::load(&path).unwrap();
        assert!(s.get("abc").is_none());
        s.set(
            "abc",
            KeyState {
                old_id: "k1".into(),
                credential: CredentialKind::AdminKey,
                name: Some("ci".into()),
                scopes: vec!["send".into()],
                phase: Phase::Creating {
                    ids_before: vec!["k1".into()],
                },
                updated_at: String::new(),
            },
        )
        .unwrap();
        s.advance(
            "abc",
            Phase::Created {
                new_id: "k9".into(),
            },
        )
        .unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains("\"phase\": \"created\""), "{text}");
        let again = StateFile::load(&path).unwrap();
        let k = again.get("abc").unwrap();
        assert_eq!(
            k.phase,
            Phase::Created {
                new_id: "k9".into()
            }
        );
        assert_eq!(k.credential, CredentialKind::AdminKey);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
        }
        let mut again = again;
        again.remove("abc").unwrap();
        assert!(StateFile::load(&path).unwrap().get("abc").is_none());
    }
}
