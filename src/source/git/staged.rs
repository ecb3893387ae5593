//! The staged source (SPEC §3 `scan --staged`): what the next commit will
//! contain, for the pre-commit hook.
//!
//! The index of the repository at `.` is compared with `HEAD`'s tree by blob
//! id, no blob read: with [`super::index`], which skips every folder the
//! index's cache-tree shows unchanged, so the cost follows the size of the
//! change, not of the repository (libgit2's `diff_tree_to_index` for an index
//! that reader does not handle). Each added or modified entry's
//! *staged* blob is scanned — never the working file: a key staged and then
//! removed from the working file is still found, a key only in an unstaged
//! edit is not. The index is `$GIT_INDEX_FILE` when set, as git does for
//! hooks under `git commit -a`. A modified file reports only the keys it adds (see
//! [`super`]). In a repository without commits everything staged is new.
//! Paths are relative to the repository root.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use git2::{Delta, DiffOptions, ErrorCode, FileMode};

use super::index;
use super::{open_repo, scan_changes, tune_libgit2_for_scanning, Change, ObjectStore};
use crate::finding::Finding;
use crate::source::{ScanContext, Stats};

/// The index file the next commit is made from: `$GIT_INDEX_FILE` when git
/// set it (a hook run by `git commit -a` or `git commit PATH…` sees a
/// temporary index there, not `.git/index`), else the repository's own.
fn index_path(repo: &git2::Repository) -> PathBuf {
    match std::env::var_os("GIT_INDEX_FILE").filter(|v| !v.is_empty()) {
        Some(path) => PathBuf::from(path),
        None => repo.path().join("index"),
    }
}

/// Scan the content staged in the repository that holds `dir`.
pub fn scan_staged(dir: &Path, ctx: &ScanContext<'_>) -> Result<(Vec<Finding>, Stats)> {
    tune_libgit2_for_scanning();
    let repo = open_repo(dir)?;
    if repo.is_bare() {
        bail!(
            "`{}` is a bare repository: it has no index to scan; use `--git` for its history",
            repo.path().display()
        );
    }
    let index_file = index_path(&repo);
    let head_tree = match repo.head() {
        Ok(head) => Some(
            head.peel_to_tree()
                .context("failed to read the tree of `HEAD`")?,
        ),
        Err(e) if matches!(e.code(), ErrorCode::UnbornBranch | ErrorCode::NotFound) => None,
        Err(e) => return Err(e).context("failed to read `HEAD`"),
    };
    if let Some(index) = index::read(&index_file)? {
        let changes = index.changes(&repo, head_tree.as_ref().map(git2::Tree::id))?;
        return scan_changes(&repo, &ObjectStore::of(&repo), &changes, 0, ctx);
    }
    // An index our reader does not handle (split, sparse, with conflicts): libgit2.
    let index = git2::Index::open(&index_file)
        .with_context(|| format!("failed to read the git index `{}`", index_file.display()))?;
    let mut opts = DiffOptions::new();
    opts.include_typechange(true)
        .ignore_submodules(true)
        .skip_binary_check(true);
    let diff = repo
        .diff_tree_to_index(head_tree.as_ref(), Some(&index), Some(&mut opts))
        .context("failed to compare the index with `HEAD`")?;
    let mut changes = Vec::new();
    for delta in diff.deltas() {
        let new = delta.new_file();
        let status = delta.status();
        if status == Delta::Conflicted {
            ctx.problems.warn(&format!(
                "skipped `{}`: it has unresolved merge conflicts",
                new.path_bytes()
                    .map(String::from_utf8_lossy)
                    .unwrap_or_default()
            ));
            continue;
        }
        let wanted = matches!(
            status,
            Delta::Added | Delta::Modified | Delta::Renamed | Delta::Copied | Delta::Typechange
        );
        if !wanted || new.mode() == FileMode::Commit {
            continue;
        }
        let Some(path) = new.path_bytes() else {
            continue;
        };
        let old = delta.old_file().id();
        let olds = if matches!(status, Delta::Modified | Delta::Typechange) && !old.is_zero() {
            vec![old]
        } else {
            Vec::new()
        };
        changes.push(Change {
            path: path.to_vec(),
            new: new.id(),
            olds,
            commit: None,
        });
    }
    scan_changes(&repo, &ObjectStore::of(&repo), &changes, 0, ctx)
}
