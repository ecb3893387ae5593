//! The git `pre-commit` hook (SPEC §3 `install-hook`): its text and the
//! installer.
//!
//! The hook runs `misar-scan scan --staged` and lets git abort the commit on
//! any non-zero exit: 1 (keys staged) or 2 (the scan could not finish). It is
//! written to `core.hooksPath` when that is set (relative paths are relative
//! to the work tree, as git reads them), else to `.git/hooks`. Hooks we wrote
//! carry [`MARKER`]; any other existing hook is left alone unless the user
//! passes `--force`, and is then saved as `pre-commit.backup` — or, when
//! that exists, `pre-commit.backup.1`, `.2`, … — so nothing is ever lost.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use git2::Repository;

/// The line that marks a hook as written by misar-scan.
pub const MARKER: &str = "# misar-scan-hook: managed by `misar-scan install-hook`";

/// What [`install`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Installed {
    /// A new hook was written.
    Created(PathBuf),
    /// Our earlier hook was rewritten.
    Updated(PathBuf),
    /// A foreign hook was replaced (`--force`) and saved at the second path.
    Replaced(PathBuf, PathBuf),
}

/// The hook script. `exe` is the absolute path of the misar-scan binary, if
/// known; the hook falls back to `misar-scan` on `PATH` when it is gone.
pub fn script(exe: Option<&Path>) -> String {
    let exe = exe.map_or_else(
        || "misar-scan".to_string(),
        |p| shell_quote(&p.to_string_lossy()),
    );
    format!(
        "#!/bin/sh\n\
{MARKER}\n\
# Blocks commits that stage a Misar API key (exit 1) or that could not be\n\
# scanned completely (exit 2). Bypass once with `git commit --no-verify`.\n\
misar_scan={exe}\n\
if ! command -v \"$misar_scan\" >/dev/null 2>&1; then\n\
\x20   misar_scan=misar-scan\n\
fi\n\
\"$misar_scan\" scan --staged\n\
status=$?\n\
if [ \"$status\" -ne 0 ]; then\n\
\x20   echo \"misar-scan: commit blocked (exit $status); remove the key from the staged files, or bypass with \\`git commit --no-verify\\`\" >&2\n\
fi\n\
exit \"$status\"\n"
    )
}

/// `s` in single quotes for `sh`.
fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// The folder git runs hooks from, for `repo`.
pub fn hooks_dir(repo: &Repository) -> Result<PathBuf> {
    let config = repo
        .config()
        .context("failed to read the git configuration")?;
    match config.get_path("core.hooksPath") {
        Ok(path) if path.is_absolute() => Ok(path),
        Ok(path) => Ok(repo.workdir().unwrap_or_else(|| repo.path()).join(path)),
        // Linked worktrees share the main repository's hooks.
        Err(e) if e.code() == git2::ErrorCode::NotFound => Ok(repo.commondir().join("hooks")),
        Err(e) => Err(e).context("failed to read `core.hooksPath`"),
    }
}

/// Write the `pre-commit` hook for `repo`, running `exe`.
pub fn install(repo: &Repository, exe: Option<&Path>, force: bool) -> Result<Installed> {
    let dir = hooks_dir(repo)?;
    std::fs::create_dir_all(&dir)
        .with_context(|| format!("failed to create `{}`", dir.display()))?;
    let path = dir.join("pre-commit");
    let existing = match std::fs::read(&path) {
        Ok(bytes) => Some(bytes),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(e).with_context(|| format!("failed to read `{}`", path.display())),
    };
    let ours = existing.as_deref().is_some_and(|b| {
        String::from_utf8_lossy(b)
            .lines()
            .any(|l| l.trim() == MARKER)
    });
    let outcome = match existing {
        None => Installed::Created(path.clone()),
        Some(_) if ours => Installed::Updated(path.clone()),
        Some(_) if !force => bail!(
            "`{}` already exists and was not written by misar-scan\nhint: call `misar-scan scan --staged` from it, or pass `--force` to replace it (it is saved as `pre-commit.backup`, or `pre-commit.backup.N` when that exists)",
            path.display()
        ),
        Some(bytes) => Installed::Replaced(path.clone(), save_backup(&dir, "pre-commit", &bytes)?),
    };
    std::fs::write(&path, script(exe))
        .with_context(|| format!("failed to write `{}`", path.display()))?;
    make_executable(&path)?;
    Ok(outcome)
}

/// Save `bytes` as `NAME.backup` in `dir`, or the first of `NAME.backup.1`,
/// `NAME.backup.2`, … that does not exist: an earlier backup is never
/// overwritten (each is created with `create_new`). Returns its path.
pub fn save_backup(dir: &Path, name: &str, bytes: &[u8]) -> Result<PathBuf> {
    use std::io::Write as _;
    for n in 0u32.. {
        let backup = match n {
            0 => dir.join(format!("{name}.backup")),
            n => dir.join(format!("{name}.backup.{n}")),
        };
        let mut file = match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&backup)
        {
            Ok(file) => file,
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => {
                return Err(e).with_context(|| {
                    format!("failed to save the existing hook to `{}`", backup.display())
                })
            }
        };
        file.write_all(bytes)
            .and_then(|()| file.sync_all())
            .with_context(|| {
                format!("failed to save the existing hook to `{}`", backup.display())
            })?;
        return Ok(backup);
    }
    unreachable!("a free backup name is found before u32::MAX")
}

#[cfg(unix)]
fn make_executable(path: &Path) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755))
        .with_context(|| format!("failed to make `{}` executable", path.display()))
}

#[cfg(not(unix))]
fn make_executable(_path: &Path) -> Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn script_quotes_the_binary_path() {
        let s = script(Some(Path::new("/opt/it's here/misar-scan")));
        assert!(s.starts_with("#!/bin/sh\n"));
        assert!(s.contains(MARKER));
        assert!(s.contains(r"misar_scan='/opt/it'\''s here/misar-scan'"));
        assert!(s.contains("\"$misar_scan\" scan --staged\n"));
    }

    #[test]
    fn backups_are_numbered_and_never_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        let names: Vec<String> = ["a", "b", "c"]
            .iter()
            .map(|text| {
                let p = save_backup(dir.path(), "pre-push", text.as_bytes()).unwrap();
                p.file_name().unwrap().to_string_lossy().into_owned()
            })
            .collect();
        assert_eq!(
            names,
            ["pre-push.backup", "pre-push.backup.1", "pre-push.backup.2"]
        );
        let read = |n: &str| std::fs::read_to_string(dir.path().join(n)).unwrap();
        assert_eq!(read("pre-push.backup"), "a");
        assert_eq!(read("pre-push.backup.2"), "c");
    }

    #[test]
    fn script_without_a_path_uses_path_lookup() {
        assert!(script(None).contains("misar_scan=misar-scan\n"));
    }
}
