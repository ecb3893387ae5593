//! The git `pre-commit` hook (SPEC §3 `install-hook`): its text and the
//! installer.
//!
//! The hook runs `misar-scan scan --staged` and lets git abort the commit on
//! any non-zero exit: 1 (keys staged) or 2 (the scan could not finish). It is
//! written to `core.hooksPath` when that is set (relative paths are relative
//! to the work tree, as git reads them), else to `.git/hooks`. Hooks we wrote
//! carry [`MARKER`]; any other existing hook is left alone unless the user
//! passes `--force`, and is then saved as `pre-commit.backup`, so nothing is
//! lost.

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
            "`{}` already exists and was not written by misar-scan\nhint: call `misar-scan scan --staged` from it, or pass `--force` to replace it (it is saved as `pre-commit.backup`)",
            path.display()
        ),
        Some(bytes) => {
            let backup = dir.join("pre-commit.backup");
            std::fs::write(&backup, bytes)
                .with_context(|| format!("failed to save the existing hook to `{}`", backup.display()))?;
            Installed::Replaced(path.clone(), backup)
        }
    };
    std::fs::write(&path, script(exe))
        .with_context(|| format!("failed to write `{}`", path.display()))?;
    make_executable(&path)?;
    Ok(outcome)
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
    fn script_without_a_path_uses_path_lookup() {
        assert!(script(None).contains("misar_scan=misar-scan\n"));
    }
}
