//! The range source (SPEC §3 `scan --git --range BASE..HEAD`): only what the
//! commits of a pull request introduced.
//!
//! The commits are those reachable from HEAD and not from BASE (`git log
//! BASE..HEAD`; the same set GitHub lists on a pull request, whose diff starts
//! at the merge base of the two). `BASE...HEAD` means the same here, and a
//! single `REV` means `REV..HEAD`; an empty side means `HEAD`.
//!
//! Each commit is compared with its parents, tree against tree, by blob id
//! only (no blob is read to find what changed). A file version is new in a
//! commit when it differs from the same path in every parent: for an
//! ordinary commit, its one parent; for a merge, what the merge resolution
//! itself wrote (content taken from one side was introduced by that side's
//! commits, inside the range or before BASE). Each new version reports the
//! keys it adds (see [`super`]), attributed to the commit, and a version
//! introduced again by a later commit at the same path is reported once, at
//! its first commit. Keys that existed before BASE are not reported. Renames
//! are matched by identical content only, so a renamed file with a key is not
//! a new leak.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use anyhow::{bail, Context, Result};
use git2::{Delta, DiffOptions, FileMode, Oid, Repository, Sort};

use super::{
    commit_info, commit_metadata_findings, open_repo, scan_changes, tune_libgit2_for_scanning,
    Change, ObjectStore,
};
use crate::finding::Finding;
use crate::source::{ScanContext, Stats};

/// A parsed `--range` value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RangeSpec {
    /// What the pull request is merged into.
    pub base: String,
    /// The pull request's head.
    pub head: String,
}

impl RangeSpec {
    /// Parse `BASE..HEAD`, `BASE...HEAD` or `BASE` (meaning `BASE..HEAD`).
    pub fn parse(spec: &str) -> Result<Self> {
        let (base, head) = match spec.split_once("...").or_else(|| spec.split_once("..")) {
            Some((base, head)) => (base, head),
            None => (spec, ""),
        };
        if base.is_empty() && head.is_empty() {
            bail!("invalid range `{spec}`: expected `BASE..HEAD`, `BASE...HEAD` or `BASE`");
        }
        let or_head = |s: &str| {
            if s.is_empty() {
                "HEAD".to_string()
            } else {
                s.to_string()
            }
        };
        Ok(Self {
            base: or_head(base),
            head: or_head(head),
        })
    }
}

/// Scan what the commits in `range` introduced in the repository at `path`.
pub fn scan_range(
    path: &Path,
    range: &RangeSpec,
    threads: usize,
    ctx: &ScanContext<'_>,
) -> Result<(Vec<Finding>, Stats)> {
    tune_libgit2_for_scanning();
    let repo = open_repo(path)?;
    if repo.is_shallow() {
        ctx.problems.warn(&format!(
            "`{}` is a shallow clone: if BASE's history is cut off, commits before it may be scanned as part of the range",
            path.display()
        ));
    }
    let base = resolve(&repo, &range.base)?;
    let head = resolve(&repo, &range.head)?;
    let mut walk = repo.revwalk().context("failed to walk commits")?;
    walk.set_sorting(Sort::TOPOLOGICAL | Sort::REVERSE)
        .context("failed to walk commits")?;
    walk.push(head)
        .with_context(|| format!("failed to walk from `{}`", range.head))?;
    walk.hide(base)
        .with_context(|| format!("failed to walk from `{}`", range.base))?;
    let what = format!("`{}..{}`", range.base, range.head);
    let scanned = scan_commits(&repo, &ObjectStore::of(&repo), walk, &what, threads, ctx)?;
    Ok((scanned.findings, scanned.stats))
}

/// What [`scan_commits`] found.
#[derive(Debug, Default)]
pub struct CommitsScanned {
    /// The keys the commits introduced, in their files and metadata.
    pub findings: Vec<Finding>,
    /// What was read.
    pub stats: Stats,
    /// The commits, in the order walked.
    pub commits: Vec<Oid>,
}

/// Scan what each commit of `walk` introduced (see the module docs), oldest
/// first as the walk yields them; `what` names the commits in errors.
pub fn scan_commits(
    repo: &Repository,
    store: &ObjectStore,
    walk: impl IntoIterator<Item = Result<Oid, git2::Error>>,
    what: &str,
    threads: usize,
    ctx: &ScanContext<'_>,
) -> Result<CommitsScanned> {
    let mut changes = Vec::new();
    let mut metadata = Vec::new();
    let mut commits = Vec::new();
    let mut seen: HashSet<(Vec<u8>, Oid)> = HashSet::new();
    for id in walk {
        let id = id.with_context(|| format!("failed to list the commits in {what}"))?;
        let commit = repo
            .find_commit(id)
            .with_context(|| format!("failed to read commit {id}"))?;
        commits.push(id);
        let info = commit_info(&commit);
        commit_metadata_findings(ctx, &commit, &mut metadata);
        for mut change in introduced(repo, &commit)? {
            if seen.insert((change.path.clone(), change.new)) {
                change.commit = Some(info.clone());
                changes.push(change);
            }
        }
    }
    let (mut findings, stats) = scan_changes(repo, store, &changes, threads, ctx)?;
    findings.append(&mut metadata);
    Ok(CommitsScanned {
        findings,
        stats,
        commits,
    })
}

fn resolve(repo: &Repository, rev: &str) -> Result<Oid> {
    let object = repo
        .revparse_single(rev)
        .with_context(|| format!("failed to resolve `{rev}`"))?;
    let commit = object
        .peel_to_commit()
        .with_context(|| format!("`{rev}` does not name a commit"))?;
    Ok(commit.id())
}

/// Paths changed compared with one parent: path → (new blob, old blob if the path existed).
type Changed = HashMap<Vec<u8>, (Oid, Option<Oid>)>;

/// The file versions `commit` wrote that none of its parents had at the same
/// path, with the blobs the parents had there (commit info not yet filled in).
fn introduced(repo: &Repository, commit: &git2::Commit<'_>) -> Result<Vec<Change>> {
    let tree = commit
        .tree()
        .with_context(|| format!("failed to read the tree of commit {}", commit.id()))?;
    let mut parents = Vec::new();
    for (i, parent) in commit.parent_ids().enumerate() {
        match commit.parent(i).and_then(|p| p.tree()) {
            Ok(t) => parents.push(t),
            // The parent is beyond a shallow boundary: compare with nothing.
            Err(_) if repo.is_shallow() => {}
            Err(e) => {
                return Err(e).with_context(|| {
                    format!(
                        "failed to read commit {parent}, a parent of {}",
                        commit.id()
                    )
                })
            }
        }
    }
    let diff_against = |parent: Option<&git2::Tree<'_>>| -> Result<Changed> {
        let mut opts = DiffOptions::new();
        opts.include_typechange(true)
            .ignore_submodules(true)
            .skip_binary_check(true);
        let mut diff = repo
            .diff_tree_to_tree(parent, Some(&tree), Some(&mut opts))
            .with_context(|| format!("failed to compare commit {} with its parent", commit.id()))?;
        let mut find = git2::DiffFindOptions::new();
        find.renames(true).exact_match_only(true);
        diff.find_similar(Some(&mut find))
            .with_context(|| format!("failed to find renames in commit {}", commit.id()))?;
        let mut changed = HashMap::new();
        for delta in diff.deltas() {
            let new = delta.new_file();
            let added = matches!(
                delta.status(),
                Delta::Added | Delta::Modified | Delta::Renamed | Delta::Copied | Delta::Typechange
            );
            if !added || new.mode() == FileMode::Commit || new.id() == delta.old_file().id() {
                continue;
            }
            let Some(path) = new.path_bytes() else {
                continue;
            };
            let old = delta.old_file();
            let old = (delta.status() == Delta::Modified || delta.status() == Delta::Typechange)
                .then(|| old.id())
                .filter(|id| !id.is_zero());
            changed.insert(path.to_vec(), (new.id(), old));
        }
        Ok(changed)
    };
    let mut per_parent = Vec::new();
    if parents.is_empty() {
        per_parent.push(diff_against(None)?);
    }
    for parent in &parents {
        per_parent.push(diff_against(Some(parent))?);
    }
    let (first, rest) = per_parent
        .split_first()
        .expect("at least one comparison is made");
    let mut out = Vec::new();
    for (path, (new, old)) in first {
        let mut olds: Vec<Oid> = old.iter().copied().collect();
        let mut everywhere = true;
        for other in rest {
            match other.get(path) {
                Some((_, old)) => olds.extend(old.iter().copied()),
                None => {
                    everywhere = false;
                    break;
                }
            }
        }
        if everywhere {
            out.push(Change {
                path: path.clone(),
                new: *new,
                olds,
                commit: None,
            });
        }
    }
    out.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(out)
}

/// Whether the commits of `range` in the repository at `path` change the
/// file `file` (a path from the repository root): its blob at HEAD differs
/// from the one at the merge base of BASE and HEAD (at BASE when they have
/// none), added and deleted included.
pub fn range_changes_file(path: &Path, range: &RangeSpec, file: &str) -> Result<bool> {
    let repo = open_repo(path)?;
    let base = resolve(&repo, &range.base)?;
    let head = resolve(&repo, &range.head)?;
    let from = repo.merge_base(base, head).unwrap_or(base);
    let blob_at = |commit: Oid| -> Result<Option<Oid>> {
        let tree = repo
            .find_commit(commit)
            .and_then(|c| c.tree())
            .with_context(|| format!("failed to read the tree of commit {commit}"))?;
        Ok(tree.get_path(Path::new(file)).ok().map(|e| e.id()))
    };
    Ok(blob_at(from)? != blob_at(head)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn range_forms() {
        let r = |base: &str, head: &str| RangeSpec {
            base: base.into(),
            head: head.into(),
        };
        assert_eq!(
            RangeSpec::parse("main..feature").unwrap(),
            r("main", "feature")
        );
        assert_eq!(
            RangeSpec::parse("main...feature").unwrap(),
            r("main", "feature")
        );
        assert_eq!(
            RangeSpec::parse("origin/main").unwrap(),
            r("origin/main", "HEAD")
        );
        assert_eq!(RangeSpec::parse("main..").unwrap(), r("main", "HEAD"));
        assert_eq!(
            RangeSpec::parse("HEAD~3..HEAD").unwrap(),
            r("HEAD~3", "HEAD")
        );
        assert!(RangeSpec::parse("..").is_err());
    }
}
