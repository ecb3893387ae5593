//! The machine-wide git hooks (SPEC §5 `install-hook --global`).
//!
//! `install` points `core.hooksPath` in the user's global git configuration
//! at a folder of misar-scan's (`$XDG_CONFIG_HOME/misar-scan/git-hooks`, by
//! default `~/.config/misar-scan/git-hooks`). Once it is set, git runs the
//! hooks of that folder instead of each repository's `.git/hooks`, so the
//! folder holds a script for every client-side hook git knows: `pre-commit`
//! and `pre-push` run misar-scan first; every script then runs the hook of
//! the same name of the previous global `core.hooksPath`, if there was one,
//! and the repository's own (`$(git rev-parse --git-common-dir)/hooks/NAME`),
//! passing the arguments and standard input on. A repository's own hooks
//! (hand-written, the pre-commit framework's, git-lfs's) keep working, and
//! the first hook that fails stops the chain with its exit code.
//!
//! The previous value of `core.hooksPath` is kept in the folder
//! ([`STATE_FILE`]); `uninstall` puts it back (or unsets the key) unless the
//! user changed `core.hooksPath` since, and removes the folder's scripts.
//!
//! A repository that sets `core.hooksPath` in its own configuration (husky
//! does) overrides the global one: git then runs none of these hooks there.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};

use super::git::{is_ours, make_executable, shell_quote, MARKER};

/// The file in the hooks folder that records what `install` replaced.
pub const STATE_FILE: &str = "misar-scan-hooks.json";

/// The client-side hooks git runs (githooks(5)), each given a script. Not
/// `push-to-checkout` (its mere presence changes what a push to a checked-out
/// branch does) nor `fsmonitor-watchman` (not run by name).
pub const HOOKS: [&str; 17] = [
    "applypatch-msg",
    "pre-applypatch",
    "post-applypatch",
    "pre-commit",
    "pre-merge-commit",
    "prepare-commit-msg",
    "commit-msg",
    "post-commit",
    "pre-rebase",
    "post-checkout",
    "post-merge",
    "pre-push",
    "post-rewrite",
    "pre-auto-gc",
    "post-index-change",
    "reference-transaction",
    "sendemail-validate",
];

/// The hooks git feeds on standard input: the scripts keep it in a file so
/// that every hook of the chain reads all of it.
const READS_STDIN: [&str; 3] = ["pre-push", "post-rewrite", "reference-transaction"];

/// Where the machine-wide hooks go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Paths {
    /// The hooks folder.
    pub dir: PathBuf,
    /// The global git configuration file `core.hooksPath` is written to.
    pub config: PathBuf,
}

impl Paths {
    /// The folder under `XDG_CONFIG_HOME` (else `HOME/.config`), and the
    /// file `git config --global` writes: `GIT_CONFIG_GLOBAL` when set, else
    /// `~/.gitconfig` unless only `$XDG_CONFIG_HOME/git/config` exists.
    pub fn from_env(home: Option<&Path>) -> Result<Self> {
        let Some(home) = home.filter(|h| h.is_absolute()) else {
            bail!("`HOME` is not set (or not an absolute path): cannot find the global git configuration");
        };
        let xdg = std::env::var_os("XDG_CONFIG_HOME")
            .map(PathBuf::from)
            .filter(|p| p.is_absolute())
            .unwrap_or_else(|| home.join(".config"));
        let dotfile = home.join(".gitconfig");
        let xdg_git = xdg.join("git").join("config");
        let config = match std::env::var_os("GIT_CONFIG_GLOBAL").filter(|v| !v.is_empty()) {
            Some(file) => PathBuf::from(file),
            None if !dotfile.exists() && xdg_git.is_file() => xdg_git,
            None => dotfile,
        };
        Ok(Self {
            dir: xdg.join("misar-scan").join("git-hooks"),
            config,
        })
    }
}

/// What `install` recorded.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct State {
    /// `core.hooksPath` before `install`, as written in the configuration.
    previous_hooks_path: Option<String>,
}

/// What [`install`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Installed {
    /// The hooks folder.
    pub dir: PathBuf,
    /// The configuration file that now names it.
    pub config: PathBuf,
    /// The `core.hooksPath` it replaced, still chained.
    pub previous: Option<String>,
}

/// What [`uninstall`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Removed {
    /// `core.hooksPath` is the previous value again.
    Restored(String),
    /// `core.hooksPath` is unset again (there was none before).
    Unset,
    /// `core.hooksPath` names another folder now: left alone.
    Changed(String),
    /// Nothing of misar-scan's was there.
    NotInstalled,
}

/// Whether `dir` is a machine-wide hooks folder of misar-scan's.
pub fn is_global_dir(dir: &Path) -> bool {
    dir.join(STATE_FILE).is_file()
}

fn open_config(path: &Path) -> Result<git2::Config> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("failed to create `{}`", parent.display()))?;
    }
    git2::Config::open(path)
        .with_context(|| format!("failed to open the git configuration `{}`", path.display()))
}

fn hooks_path(config: &git2::Config, file: &Path) -> Result<Option<String>> {
    match config.get_string("core.hooksPath") {
        Ok(v) => Ok(Some(v)),
        Err(e) if e.code() == git2::ErrorCode::NotFound => Ok(None),
        Err(e) => Err(e)
            .with_context(|| format!("failed to read `core.hooksPath` in `{}`", file.display())),
    }
}

/// Whether a `core.hooksPath` value names `dir`.
fn names(value: &str, dir: &Path) -> bool {
    let path = Path::new(value);
    path == dir
        || path
            .canonicalize()
            .ok()
            .zip(dir.canonicalize().ok())
            .is_some_and(|(a, b)| a == b)
}

/// The script for hook `name`: misar-scan's check for `pre-commit` and
/// `pre-push`, then the previous global hook and the repository's own.
pub fn script(name: &str, exe: Option<&Path>, previous: Option<&str>) -> String {
    let exe = exe.map_or_else(
        || "misar-scan".to_string(),
        |p| shell_quote(&p.to_string_lossy()),
    );
    let previous = shell_quote(previous.unwrap_or(""));
    let mut s = format!(
        "#!/bin/sh\n{MARKER}\n\
# Machine-wide hook (`misar-scan install-hook --global`): misar-scan's check\n\
# where it has one, then the previous global hook and this repository's own\n\
# `{name}` hook. Remove with `misar-scan install-hook --global --uninstall`.\n\
hook={name}\n\
previous={previous}\n\
case \"$previous\" in \"~/\"*) previous=\"$HOME/${{previous#\\~/}}\" ;; esac\n\
input=\n"
    );
    if READS_STDIN.contains(&name) {
        s.push_str(
            "input=$(mktemp \"${TMPDIR:-/tmp}/misar-scan-hook.XXXXXX\") || exit 1\n\
trap 'rm -f \"$input\"' EXIT\n\
cat >\"$input\"\n",
        );
    }
    let check = match name {
        "pre-commit" => Some(
            "\"$misar_scan\" scan --staged\n\
status=$?\n\
if [ \"$status\" -ne 0 ]; then\n\
\x20   echo \"misar-scan: commit blocked (exit $status); remove the key from the staged files, or bypass with \\`git commit --no-verify\\`\" >&2\n\
\x20   exit \"$status\"\n\
fi\n",
        ),
        "pre-push" => Some("\"$misar_scan\" hook pre-push \"$@\" <\"$input\" || exit $?\n"),
        _ => None,
    };
    if let Some(check) = check {
        s.push_str(&format!(
            "misar_scan={exe}\n\
if ! command -v \"$misar_scan\" >/dev/null 2>&1; then\n\
\x20   misar_scan=misar-scan\n\
fi\n{check}"
        ));
    }
    s.push_str(
        "run() {\n\
\x20   [ -f \"$1\" ] && [ -x \"$1\" ] || return 0\n\
\x20   if [ -n \"$input\" ]; then \"$@\" <\"$input\"; else \"$@\"; fi\n\
}\n\
if [ -n \"$previous\" ]; then\n\
\x20   run \"$previous/$hook\" \"$@\" || exit $?\n\
fi\n\
common=$(git rev-parse --git-common-dir 2>/dev/null) || common=\n\
if [ -n \"$common\" ]; then\n\
\x20   run \"$common/hooks/$hook\" \"$@\" || exit $?\n\
fi\n\
exit 0\n",
    );
    s
}

/// Write the hooks folder and point the global `core.hooksPath` at it.
/// Running it again rewrites the scripts and keeps the first recorded
/// previous value.
pub fn install(paths: &Paths, exe: Option<&Path>) -> Result<Installed> {
    let mut config = open_config(&paths.config)?;
    let current = hooks_path(&config, &paths.config)?;
    let state_path = paths.dir.join(STATE_FILE);
    let state = match &current {
        Some(value) if names(value, &paths.dir) => read_state(&state_path)?.unwrap_or_default(),
        _ => State {
            previous_hooks_path: current.clone().filter(|v| !v.is_empty()),
        },
    };
    std::fs::create_dir_all(&paths.dir)
        .with_context(|| format!("failed to create `{}`", paths.dir.display()))?;
    let text = serde_json::to_string_pretty(&state).context("failed to write the hooks state")?;
    std::fs::write(&state_path, text + "\n")
        .with_context(|| format!("failed to write `{}`", state_path.display()))?;
    for name in HOOKS {
        let path = paths.dir.join(name);
        if let Ok(existing) = std::fs::read(&path) {
            if !is_ours(&existing) {
                bail!(
                    "`{}` exists and was not written by misar-scan: move it away and run this again",
                    path.display()
                );
            }
        }
        std::fs::write(
            &path,
            script(name, exe, state.previous_hooks_path.as_deref()),
        )
        .with_context(|| format!("failed to write `{}`", path.display()))?;
        make_executable(&path)?;
    }
    let dir = paths
        .dir
        .to_str()
        .context("the hooks folder's path is not valid UTF-8")?;
    config.set_str("core.hooksPath", dir).with_context(|| {
        format!(
            "failed to set `core.hooksPath` in `{}`",
            paths.config.display()
        )
    })?;
    Ok(Installed {
        dir: paths.dir.clone(),
        config: paths.config.clone(),
        previous: state.previous_hooks_path,
    })
}

fn read_state(path: &Path) -> Result<Option<State>> {
    match std::fs::read_to_string(path) {
        Ok(text) => serde_json::from_str(&text)
            .map(Some)
            .with_context(|| format!("`{}` is not a misar-scan hooks state", path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e).with_context(|| format!("failed to read `{}`", path.display())),
    }
}

/// Put the previous `core.hooksPath` back and remove the hooks folder's
/// scripts (only those misar-scan wrote).
pub fn uninstall(paths: &Paths) -> Result<Removed> {
    let state_path = paths.dir.join(STATE_FILE);
    let state = read_state(&state_path)?;
    let mut config = open_config(&paths.config)?;
    let current = hooks_path(&config, &paths.config)?;
    let ours_now = current.as_deref().is_some_and(|v| names(v, &paths.dir));
    if state.is_none() && !ours_now {
        return Ok(Removed::NotInstalled);
    }
    let previous = state.and_then(|s| s.previous_hooks_path);
    let removed = if ours_now {
        match previous {
            Some(previous) => {
                config
                    .set_str("core.hooksPath", &previous)
                    .with_context(|| {
                        format!(
                            "failed to set `core.hooksPath` in `{}`",
                            paths.config.display()
                        )
                    })?;
                Removed::Restored(previous)
            }
            None => {
                config.remove("core.hooksPath").with_context(|| {
                    format!(
                        "failed to unset `core.hooksPath` in `{}`",
                        paths.config.display()
                    )
                })?;
                Removed::Unset
            }
        }
    } else {
        match current {
            Some(now) => Removed::Changed(now),
            None => Removed::Unset,
        }
    };
    for name in HOOKS {
        let path = paths.dir.join(name);
        if std::fs::read(&path).is_ok_and(|b| is_ours(&b)) {
            std::fs::remove_file(&path)
                .with_context(|| format!("failed to remove `{}`", path.display()))?;
        }
    }
    if state_path.exists() {
        std::fs::remove_file(&state_path)
            .with_context(|| format!("failed to remove `{}`", state_path.display()))?;
    }
    // Only an empty folder goes: anything else in it is someone else's.
    let _ = std::fs::remove_dir(&paths.dir);
    Ok(removed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripts_check_then_chain() {
        let pre_commit = script("pre-commit", Some(Path::new("/opt/m s/misar-scan")), None);
        assert!(
            pre_commit.contains("misar_scan='/opt/m s/misar-scan'"),
            "{pre_commit}"
        );
        assert!(pre_commit.contains("\"$misar_scan\" scan --staged"));
        assert!(pre_commit.contains("previous=''"));
        let check = pre_commit.find("scan --staged").unwrap();
        let chain = pre_commit.find("run \"$common/hooks/$hook\"").unwrap();
        assert!(
            check < chain,
            "misar-scan runs before the repository's hook"
        );

        let pre_push = script("pre-push", None, Some("~/hooks"));
        assert!(pre_push.contains("hook pre-push \"$@\" <\"$input\""));
        assert!(pre_push.contains("cat >\"$input\""));
        assert!(pre_push.contains("previous='~/hooks'"));

        let commit_msg = script("commit-msg", None, None);
        assert!(!commit_msg.contains("misar_scan"), "{commit_msg}");
        assert!(!commit_msg.contains("cat >"));
        assert!(is_ours(commit_msg.as_bytes()));
    }
}
