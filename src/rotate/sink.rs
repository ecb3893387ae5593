//! Where a replacement key goes (SPEC §6, step 4): exactly one sink.
//!
//! - [`Sink::Exec`]: `sh -c CMD` with the new key and a newline on its
//!   standard input and `MISAR_NEW_KEY_ID`, `MISAR_OLD_KEY_ID`,
//!   `MISAR_KEY_NAME`, `MISAR_PRODUCT` and `MISAR_OLD_KEY_SHA256` in its
//!   otherwise inherited environment; exit 0 means delivered. Its standard
//!   output goes to our standard error, so a report on standard output stays
//!   parseable.
//! - [`Sink::EnvFile`]: the `NAME=` line of a dotenv file (or `export NAME=`,
//!   keeping that form) becomes `NAME=<new key>`, other lines kept, the line
//!   appended when absent and the file created when missing; written
//!   atomically (a temporary file in the same folder, renamed over it) with
//!   mode 0600.
//!
//! The key is handed over here and nowhere else: an error says what failed,
//! never what was being written.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::sanitize::sanitize;
use crate::secret::Secret;

/// The one place a replacement key is delivered to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sink {
    /// `sh -c command`, the key on standard input.
    Exec {
        /// The shell command.
        command: String,
    },
    /// The `var=` line of the dotenv file at `path`.
    EnvFile {
        /// The file.
        path: PathBuf,
        /// The variable.
        var: String,
    },
}

/// What the sink is told about the key it receives (never the old key).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery<'a> {
    /// The replacement's id (`MISAR_NEW_KEY_ID`).
    pub new_id: &'a str,
    /// The leaked key's id (`MISAR_OLD_KEY_ID`).
    pub old_id: &'a str,
    /// The entry's name (`MISAR_KEY_NAME`).
    pub name: &'a str,
    /// The rule's product, e.g. `Misar Mail` (`MISAR_PRODUCT`).
    pub product: &'a str,
    /// The leaked key's SHA-256 (`MISAR_OLD_KEY_SHA256`).
    pub old_sha256: &'a str,
}

impl Sink {
    /// How outputs name it: ``--exec `gh secret set …` `` or
    /// ``--env-file `.env` (MISAR_KEY)``.
    pub fn describe(&self) -> String {
        match self {
            Self::Exec { command } => {
                format!("--exec `{}`", shown(command))
            }
            Self::EnvFile { path, var } => {
                format!(
                    "--env-file `{}` ({var})",
                    crate::sanitize::field(&path.display().to_string(), true)
                )
            }
        }
    }

    /// Check what can be checked before anything is created: the variable
    /// name of an env file.
    pub fn validate(&self) -> Result<(), String> {
        match self {
            Self::Exec { command } if command.trim().is_empty() => {
                Err("`--exec` needs a command".into())
            }
            Self::EnvFile { var, .. } if !is_var_name(var) => Err(format!(
                "`--env-var {}` is not a variable name (letters, digits and `_`, not starting with a digit)",
                sanitize(var)
            )),
            _ => Ok(()),
        }
    }

    /// Hand `key` over. `Err` says why it was not delivered (without the key).
    pub fn deliver(&self, key: &Secret, delivery: &Delivery<'_>) -> Result<(), String> {
        match self {
            Self::Exec { command } => exec(command, key, delivery),
            Self::EnvFile { path, var } => write_env_file(path, var, key.expose())
                .map_err(|e| format!("could not write `{}`: {e}", path.display())),
        }
    }
}

/// A command as outputs show it: one line, key-shaped runs redacted (a
/// command may carry a key of its own), at most 80 characters.
fn shown(command: &str) -> String {
    crate::secret::clip(&crate::sanitize::field(command, true), 80).to_string()
}

fn is_var_name(var: &str) -> bool {
    let mut chars = var.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn exec(command: &str, key: &Secret, d: &Delivery<'_>) -> Result<(), String> {
    let shown = shown(command);
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(command)
        .env("MISAR_NEW_KEY_ID", d.new_id)
        .env("MISAR_OLD_KEY_ID", d.old_id)
        .env("MISAR_KEY_NAME", d.name)
        .env("MISAR_PRODUCT", d.product)
        .env("MISAR_OLD_KEY_SHA256", d.old_sha256)
        .stdin(Stdio::piped())
        .stdout(Stdio::from(std::io::stderr()))
        .spawn()
        .map_err(|e| format!("could not run `sh -c {shown}`: {e}"))?;
    if let Some(mut stdin) = child.stdin.take() {
        // A command that does not read its input (it exits first) closes the
        // pipe: its exit status says whether it delivered, not the write.
        let _ = stdin
            .write_all(key.expose().as_bytes())
            .and_then(|()| stdin.write_all(b"\n"));
    }
    let status = child
        .wait()
        .map_err(|e| format!("`{shown}` could not be waited for: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("`{shown}` failed ({status})"))
    }
}

/// `text` with every `var=` (or `export var=`) line set to `var=value`,
/// keeping each line's indentation, `export ` and line ending; the line
/// appended when there is none.
pub fn rewrite_env(text: &str, var: &str, value: &str) -> String {
    let mut out = String::with_capacity(text.len() + var.len() + value.len() + 2);
    let mut found = false;
    for line in text.split_inclusive('\n') {
        let body = line.trim_end_matches(['\n', '\r']);
        let eol = &line[body.len()..];
        let rest = body.trim_start();
        let indent = &body[..body.len() - rest.len()];
        let (export, rest) = match rest.strip_prefix("export") {
            Some(r) if r.starts_with([' ', '\t']) => {
                let r2 = r.trim_start();
                (&rest[..rest.len() - r2.len()], r2)
            }
            _ => ("", rest),
        };
        if rest.strip_prefix(var).is_some_and(|r| r.starts_with('=')) {
            found = true;
            out.push_str(&format!("{indent}{export}{var}={value}{eol}"));
        } else {
            out.push_str(line);
        }
    }
    if !found {
        if !out.is_empty() && !out.ends_with('\n') {
            out.push('\n');
        }
        out.push_str(&format!("{var}={value}\n"));
    }
    out
}

/// Rewrite the env file at `path` atomically, mode 0600. A symbolic link is
/// followed, so the file it points to is rewritten and the link kept.
fn write_env_file(path: &Path, var: &str, value: &str) -> std::io::Result<()> {
    let target = match std::fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_symlink() => std::fs::canonicalize(path)?,
        _ => path.to_path_buf(),
    };
    let text = match std::fs::read(&target) {
        Ok(bytes) => String::from_utf8(bytes).map_err(|_| {
            std::io::Error::new(std::io::ErrorKind::InvalidData, "it is not UTF-8 text")
        })?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(e),
    };
    let dir = match target.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let mut tmp = tempfile::NamedTempFile::new_in(&dir)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        tmp.as_file()
            .set_permissions(std::fs::Permissions::from_mode(0o600))?;
    }
    tmp.write_all(rewrite_env(&text, var, value).as_bytes())?;
    tmp.as_file().sync_all()?;
    tmp.persist(&target).map_err(|e| e.error)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_line_is_replaced_in_place_keeping_its_form() {
        let text = "A=1\nexport MISAR_KEY=old\r\n  MISAR_KEY_2=x\n# MISAR_KEY=c\nB=2";
        assert_eq!(
            rewrite_env(text, "MISAR_KEY", "new"),
            "A=1\nexport MISAR_KEY=new\r\n  MISAR_KEY_2=x\n# MISAR_KEY=c\nB=2"
        );
        assert_eq!(rewrite_env("  K=a\n", "K", "b"), "  K=b\n");
        assert_eq!(rewrite_env("exportK=a\n", "K", "b"), "exportK=a\nK=b\n");
    }

    #[test]
    fn an_absent_line_is_appended() {
        assert_eq!(rewrite_env("", "K", "v"), "K=v\n");
        assert_eq!(rewrite_env("A=1", "K", "v"), "A=1\nK=v\n");
        assert_eq!(rewrite_env("A=1\n", "K", "v"), "A=1\nK=v\n");
    }

    #[test]
    fn variable_names_are_checked() {
        for ok in ["MISAR_KEY", "_k", "a1"] {
            assert!(is_var_name(ok), "{ok}");
        }
        for bad in ["", "1A", "A-B", "A=B", "A B"] {
            assert!(!is_var_name(bad), "{bad}");
        }
    }

    #[cfg(unix)]
    #[test]
    fn the_file_is_written_with_mode_0600_and_created_when_missing() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(".env");
        write_env_file(&path, "K", "v1").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        write_env_file(&path, "K", "v2").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "K=v2\n");
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }

    #[test]
    fn a_command_is_shown_on_one_line_without_keys() {
        let key = "msk_u8jzPde0IgxLd6GncfBAepfJBd0Kh8oO"; // misar-scan:allow (fake test key)
        let sink = Sink::Exec {
            command: format!("MISAR_ADMIN_KEY={key} ./deliver.sh\nmore"),
        };
        let shown = sink.describe();
        assert!(!shown.contains(key) && !shown.contains('\n'), "{shown}");
        assert!(shown.contains("msk_u8jz…"), "{shown}");
    }
}
