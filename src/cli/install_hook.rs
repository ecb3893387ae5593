//! `misar-scan install-hook`: install the git pre-commit hook in the
//! repository at `.` (SPEC §3). The hook itself is [`crate::hook`].

#![allow(clippy::print_stderr)]

use std::path::Path;

use anyhow::Result;
use clap::Args;

use super::Outcome;
use crate::hook::{install, Installed};
use crate::source::git::open_repo;

/// Options of `install-hook`.
#[derive(Debug, Args)]
#[command(
    after_help = "The hook runs `misar-scan scan --staged` and blocks the commit when it exits 1 \
(a key is staged) or 2 (the scan could not finish). It goes to `core.hooksPath` when that is set, \
else to `.git/hooks/pre-commit`. Bypass it once with `git commit --no-verify`.\n\n\
Examples:\n  misar-scan install-hook\n  misar-scan install-hook --force"
)]
pub struct InstallHookArgs {
    /// Replace an existing pre-commit hook that misar-scan did not write.
    ///
    /// The replaced hook is saved as `pre-commit.backup` beside it (or
    /// `pre-commit.backup.1`, `.2`, … when that exists: no backup is ever
    /// overwritten). Without
    /// this flag a foreign hook is never overwritten; a hook written by an
    /// earlier `install-hook` is always updated.
    #[arg(long)]
    pub force: bool,
}

/// Run `install-hook`.
pub fn run(args: InstallHookArgs) -> Result<Outcome> {
    let repo = open_repo(Path::new("."))?;
    // The hook calls this very binary when it can, so it works without PATH set up.
    let exe = std::env::current_exe()
        .ok()
        .and_then(|p| p.canonicalize().ok());
    match install(&repo, exe.as_deref(), args.force)? {
        Installed::Created(path) => {
            eprintln!("installed the pre-commit hook at `{}`", path.display())
        }
        Installed::Updated(path) => {
            eprintln!("updated the pre-commit hook at `{}`", path.display())
        }
        Installed::Replaced(path, backup) => eprintln!(
            "replaced the pre-commit hook at `{}` (the old one is saved as `{}`)",
            path.display(),
            backup.display()
        ),
    }
    Ok(Outcome::default())
}
