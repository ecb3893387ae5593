//! The git hooks (SPEC §5): their text and the installer for `pre-commit`
//! (`misar-scan scan --staged`), `pre-push` (`misar-scan hook pre-push`) and,
//! in a repository that receives pushes, `pre-receive` (`misar-scan hook
//! pre-receive`; the installer also sets `receive.advertisePushOptions` so
//! that the break-glass push option reaches the hook).
//!
//! Each hook lets git abort on any non-zero exit: 1 (keys found) or 2 (the
//! scan could not finish). A hook is written to `core.hooksPath` when that is
//! set (relative paths are relative to the work tree, as git reads them),
//! else to the repository's `hooks` folder. Hooks we wrote carry [`MARKER`];
//! any other existing hook is left alone unless the user passes `--force`,
//! and is then saved as `NAME.backup` — or, when that exists,
//! `NAME.backup.1`, `.2`, … — so nothing is ever lost. The machine-wide
//! hooks folder is [`super::global`].

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

/// A git hook misar-scan installs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GitHook {
    /// Before a commit: the staged content.
    PreCommit,
    /// Before a push leaves: what it would add to the remote.
    PrePush,
    /// On a server, before a push is accepted: what it adds.
    PreReceive,
}

impl GitHook {
    /// The hook's file name.
    pub fn name(self) -> &'static str {
        match self {
            Self::PreCommit => "pre-commit",
            Self::PrePush => "pre-push",
            Self::PreReceive => "pre-receive",
        }
    }

    /// The misar-scan arguments the hook runs.
    pub fn command(self) -> &'static str {
        match self {
            Self::PreCommit => "scan --staged",
            Self::PrePush => "hook pre-push",
            Self::PreReceive => "hook pre-receive",
        }
    }
}

/// The hook script. `exe` is the absolute path of the misar-scan binary, if
/// known; the hook falls back to `misar-scan` on `PATH` when it is gone.
pub fn script(hook: GitHook, exe: Option<&Path>) -> String {
    let exe = exe.map_or_else(
        || "misar-scan".to_string(),
        |p| shell_quote(&p.to_string_lossy()),
    );
    let find = format!(
        "misar_scan={exe}\n\
if ! command -v \"$misar_scan\" >/dev/null 2>&1; then\n\
\x20   misar_scan=misar-scan\n\
fi\n"
    );
    let body = match hook {
        GitHook::PreCommit => "\
# Blocks commits that stage a Misar API key (exit 1) or that could not be
# scanned completely (exit 2). Bypass once with `git commit --no-verify`.
"
        .to_string()
            + &find
            + "\
\"$misar_scan\" scan --staged
status=$?
if [ \"$status\" -ne 0 ]; then
    echo \"misar-scan: commit blocked (exit $status); remove the key from the staged files, or bypass with \\`git commit --no-verify\\`\" >&2
fi
exit \"$status\"
",
        GitHook::PrePush => "\
# Blocks pushes whose new commits add a Misar API key (exit 1) or that could
# not be scanned completely (exit 2). Bypass once with `git push --no-verify`.
"
        .to_string()
            + &find
            + "exec \"$misar_scan\" hook pre-push \"$@\"\n",
        GitHook::PreReceive => "\
# Rejects pushes whose new commits add a Misar API key, and any push that
# cannot be scanned. Break-glass: git push -o misar-scan.bypass=\"<reason>\"
# (recorded in misar-scan/bypass.jsonl in this repository's git folder).
"
        .to_string()
            + &find
            + "\
if ! command -v \"$misar_scan\" >/dev/null 2>&1; then
    echo \"misar-scan: push rejected: misar-scan is not installed on this server (the pushes cannot be scanned)\" >&2
    exit 1
fi
exec \"$misar_scan\" hook pre-receive
",
    };
    format!("#!/bin/sh\n{MARKER}\n{body}")
}

/// `s` in single quotes for `sh`.
pub(crate) fn shell_quote(s: &str) -> String {
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

/// Write `hook` for `repo`, running `exe`. For `pre-receive`, also set
/// `receive.advertisePushOptions` in the repository's configuration.
pub fn install(
    repo: &Repository,
    hook: GitHook,
    exe: Option<&Path>,
    force: bool,
) -> Result<Installed> {
    let dir = hooks_dir(repo)?;
    if super::global::is_global_dir(&dir) {
        bail!(
            "`core.hooksPath` is misar-scan's machine-wide hooks folder `{}`: this repository's commits and pushes are already checked\nhint: to give this repository hooks of its own, run `git config core.hooksPath .git/hooks` first (the machine-wide hooks then no longer run here)",
            dir.display()
        );
    }
    std::fs::create_dir_all(&dir)
        .with_context(|| format!("failed to create `{}`", dir.display()))?;
    let name = hook.name();
    let path = dir.join(name);
    let existing = match std::fs::read(&path) {
        Ok(bytes) => Some(bytes),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(e).with_context(|| format!("failed to read `{}`", path.display())),
    };
    let ours = existing.as_deref().is_some_and(is_ours);
    let outcome = match existing {
        None => Installed::Created(path.clone()),
        Some(_) if ours => Installed::Updated(path.clone()),
        Some(_) if !force => bail!(
            "`{}` already exists and was not written by misar-scan\nhint: call `misar-scan {}` from it, or pass `--force` to replace it (it is saved as `{name}.backup`, or `{name}.backup.N` when that exists)",
            path.display(),
            hook.command()
        ),
        Some(bytes) => Installed::Replaced(path.clone(), save_backup(&dir, name, &bytes)?),
    };
    if hook == GitHook::PreReceive {
        repo.config()
            .and_then(|mut c| c.set_bool("receive.advertisePushOptions", true))
            .context(
                "failed to set `receive.advertisePushOptions` (the bypass push option needs it)",
            )?;
    }
    std::fs::write(&path, script(hook, exe))
        .with_context(|| format!("failed to write `{}`", path.display()))?;
    make_executable(&path)?;
    Ok(outcome)
}

/// Remove `hook` from `repo` if misar-scan wrote it; returns its path then.
/// A hook someone else wrote is never touched.
pub fn uninstall(repo: &Repository, hook: GitHook) -> Result<Option<PathBuf>> {
    let path = hooks_dir(repo)?.join(hook.name());
    match std::fs::read(&path) {
        Ok(bytes) if is_ours(&bytes) => {
            std::fs::remove_file(&path)
                .with_context(|| format!("failed to remove `{}`", path.display()))?;
            Ok(Some(path))
        }
        Ok(_) => Ok(None),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e).with_context(|| format!("failed to read `{}`", path.display())),
    }
}

/// Whether a hook's text carries [`MARKER`].
pub fn is_ours(text: &[u8]) -> bool {
    String::from_utf8_lossy(text)
        .lines()
        .any(|l| l.trim() == MARKER)
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
pub(crate) fn make_executable(path: &Path) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755))
        .with_context(|| format!("failed to make `{}` executable", path.display()))
}

#[cfg(not(unix))]
pub(crate) fn make_executable(_path: &Path) -> Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn script_quotes_the_binary_path() {
        let s = script(
            GitHook::PreCommit,
            Some(Path::new("/opt/it's here/misar-scan")),
        );
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
        for hook in [GitHook::PreCommit, GitHook::PrePush, GitHook::PreReceive] {
            let s = script(hook, None);
            assert!(s.contains("misar_scan=misar-scan\n"), "{s}");
            assert!(s.contains(hook.command()), "{s}");
            assert!(is_ours(s.as_bytes()));
        }
    }
}
