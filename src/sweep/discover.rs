//! Where a sweep looks (SPEC §3 `misar-scan sweep PATH…`): every git
//! repository under some paths, a deterministic shard of them, and what a
//! repository's history scan starts from.
//!
//! - [`discover`]: every git repository under the roots — work trees (a
//!   `.git` folder or file) and bare repositories, nested ones too — without
//!   descending into `.git` folders or bare repositories, and without
//!   looping on symbolic links (each directory is visited once, by its
//!   canonical path).
//! - [`Shard`]: `--shard K/N`. A repository belongs to shard
//!   `sha256(path relative to its root) mod N`, so adding repositories never
//!   moves the existing ones between shards.
//! - [`ref_tips`]: a digest of the refs a history scan starts from, so a
//!   resumed sweep scans again only the repositories whose refs moved;
//!   [`shallow_reason`]: why a shallow clone's history is not complete.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};

use crate::secret::sha256_hex;

/// A git repository found under a sweep root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundRepo {
    /// Where to open it (the work tree, or the bare repository's folder).
    pub path: PathBuf,
    /// How reports name it: the root as given, joined with `rel`.
    pub name: String,
    /// Its path relative to the root it was found under (`.` for the root
    /// itself), with `/` separators: the input of the shard hash.
    pub rel: String,
    /// A bare repository.
    pub bare: bool,
}

/// Whether `dir` is a bare repository: `HEAD`, `objects/` and `refs/`.
fn is_bare_repo(dir: &Path) -> bool {
    dir.join("HEAD").is_file() && dir.join("objects").is_dir() && dir.join("refs").is_dir()
}

/// Every git repository under `roots`, sorted by name; `problems` collects
/// folders that could not be read (the sweep is then incomplete).
///
/// Symbolic links to folders are not followed unless `follow` (as `scan`
/// does not follow links without `--follow`), and even then only when their
/// target lies inside the canonical root they were found under: a sweep of
/// one folder never wanders over the machine (a link to `/` or `/proc`).
/// The links not followed are added to `skipped`. A root given as a link is
/// followed: it was named.
pub fn discover(
    roots: &[PathBuf],
    follow: bool,
    problems: &mut Vec<String>,
    skipped: &mut Vec<String>,
) -> Vec<FoundRepo> {
    let mut seen_dirs = HashSet::new();
    let mut seen_repos = HashSet::new();
    let mut out = Vec::new();
    for root in roots {
        let canonical_root = match root.canonicalize() {
            Ok(c) => c,
            Err(e) => {
                problems.push(format!("cannot read `{}`: {e}", root.display()));
                continue;
            }
        };
        let mut stack = vec![(root.clone(), String::from("."))];
        while let Some((dir, rel)) = stack.pop() {
            let canonical = match dir.canonicalize() {
                Ok(c) => c,
                Err(e) => {
                    problems.push(format!("cannot read `{}`: {e}", dir.display()));
                    continue;
                }
            };
            // A symbolic link back up the tree, or two links to one folder.
            if !seen_dirs.insert(canonical.clone()) {
                continue;
            }
            let root_name = root.display().to_string();
            let name = match (root_name.as_str(), rel.as_str()) {
                (_, ".") => root_name.clone(),
                (".", rel) => rel.to_string(),
                (root, rel) => format!("{}/{rel}", root.trim_end_matches('/')),
            };
            let dot_git = dir.join(".git");
            if dot_git.exists() {
                if seen_repos.insert(canonical.clone()) {
                    out.push(FoundRepo {
                        path: dir.clone(),
                        name,
                        rel: rel.clone(),
                        bare: false,
                    });
                }
            } else if is_bare_repo(&dir) {
                if seen_repos.insert(canonical) {
                    out.push(FoundRepo {
                        path: dir.clone(),
                        name,
                        rel,
                        bare: true,
                    });
                }
                // A bare repository's folders are git's own: nothing nested.
                continue;
            }
            let entries = match std::fs::read_dir(&dir) {
                Ok(entries) => entries,
                Err(e) => {
                    problems.push(format!("cannot read `{}`: {e}", dir.display()));
                    continue;
                }
            };
            let mut children = Vec::new();
            for entry in entries.flatten() {
                let file_name = entry.file_name();
                if file_name == ".git" {
                    continue;
                }
                let path = entry.path();
                // The entry itself, not what a link points to.
                let Ok(kind) = entry.file_type() else {
                    continue;
                };
                if kind.is_symlink() {
                    // Links to files are not our business; links to folders
                    // only with `follow`, and only inside the root.
                    if !path.is_dir() {
                        continue;
                    }
                    let inside = path
                        .canonicalize()
                        .is_ok_and(|target| target.starts_with(&canonical_root));
                    if !follow {
                        skipped.push(format!(
                            "`{}`: a symbolic link, not followed without `--follow`",
                            path.display()
                        ));
                        continue;
                    }
                    if !inside {
                        skipped.push(format!(
                            "`{}`: a symbolic link to a folder outside `{}`, never followed",
                            path.display(),
                            root.display()
                        ));
                        continue;
                    }
                } else if !kind.is_dir() {
                    continue;
                }
                let child = file_name.to_string_lossy().into_owned();
                let child_rel = if rel == "." {
                    child
                } else {
                    format!("{rel}/{child}")
                };
                children.push((path, child_rel));
            }
            // Depth-first, in name order (reversed for the stack).
            children.sort();
            children.reverse();
            stack.extend(children);
        }
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out
}

/// `--shard K/N`: this run takes shard K (1-based) of N.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    /// 1-based index.
    pub k: u32,
    /// Number of shards.
    pub n: u32,
}

impl Shard {
    /// Parse `K/N` with `1 <= K <= N`.
    pub fn parse(text: &str) -> Result<Self> {
        let (k, n) = text
            .split_once('/')
            .with_context(|| format!("invalid shard `{text}`: expected K/N, e.g. `1/4`"))?;
        let k: u32 = k
            .trim()
            .parse()
            .with_context(|| format!("invalid shard `{text}`: K is not a number"))?;
        let n: u32 = n
            .trim()
            .parse()
            .with_context(|| format!("invalid shard `{text}`: N is not a number"))?;
        if n == 0 || k == 0 || k > n {
            bail!("invalid shard `{text}`: need 1 <= K <= N (K is 1-based)");
        }
        Ok(Self { k, n })
    }

    /// The shard (1-based) a repository at `rel` belongs to among `n`.
    pub fn of(rel: &str, n: u32) -> u32 {
        let digest = sha256_hex(rel.as_bytes());
        // The first 16 hex digits are 64 bits of the hash.
        let x = u64::from_str_radix(&digest[..16], 16).unwrap_or_default();
        (x % u64::from(n.max(1))) as u32 + 1
    }

    /// Whether this shard takes the repository at `rel`.
    pub fn takes(&self, rel: &str) -> bool {
        Self::of(rel, self.n) == self.k
    }
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.k, self.n)
    }
}

/// Why the history of the repository at `path` cannot be scanned in full
/// when it is a shallow clone: `shallow clone: history before <commit> not
/// scanned`, naming its boundary commits (abbreviated, at most three).
/// `None` for a complete repository (or one that cannot be opened: the scan
/// says why).
pub fn shallow_reason(path: &Path) -> Option<String> {
    let repo = git2::Repository::open(path).ok()?;
    if !repo.is_shallow() {
        return None;
    }
    let text = std::fs::read_to_string(repo.commondir().join("shallow"))
        .or_else(|_| std::fs::read_to_string(repo.path().join("shallow")))
        .unwrap_or_default();
    let mut boundary: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    boundary.sort_unstable();
    const SHOWN: usize = 3;
    let mut named: Vec<String> = boundary
        .iter()
        .take(SHOWN)
        .map(|c| crate::secret::clip(c, 12).to_string())
        .collect();
    if boundary.len() > SHOWN {
        named.push(format!("{} more", boundary.len() - SHOWN));
    }
    let before = if named.is_empty() {
        "its shallow boundary".to_string()
    } else {
        named.join(", ")
    };
    Some(format!(
        "shallow clone: history before {before} not scanned; hint: `git fetch --unshallow` \
         in it, then sweep again"
    ))
}

/// A digest (SHA-256, hex) of what a history scan of the repository at
/// `path` starts from: every ref with what it points to, `HEAD`, and the
/// shallow boundary; with `all_objects` also the pack files and the number
/// of loose objects (objects no ref reaches can appear without a ref
/// moving). A new commit, branch, tag, fetch or rewrite changes it. `None`
/// when the repository cannot be opened.
pub fn ref_tips(path: &Path, all_objects: bool) -> Option<String> {
    let repo = git2::Repository::open(path).ok()?;
    let mut lines: Vec<Vec<u8>> = Vec::new();
    let target = |r: &git2::Reference<'_>| match (r.target(), r.symbolic_target_bytes()) {
        (Some(oid), _) => oid.to_string().into_bytes(),
        (None, Some(sym)) => [b"-> ".as_slice(), sym].concat(),
        (None, None) => Vec::new(),
    };
    if let Ok(head) = repo.find_reference("HEAD") {
        lines.push([b"HEAD ".as_slice(), &target(&head)].concat());
    }
    for r in repo.references().ok()?.flatten() {
        lines.push([b"ref ".as_slice(), r.name_bytes(), b" ", &target(&r)].concat());
    }
    if let Ok(text) = std::fs::read_to_string(repo.path().join("shallow")) {
        for l in text.lines() {
            lines.push(format!("shallow {}", l.trim()).into_bytes());
        }
    }
    if all_objects {
        let objects = repo.commondir().join("objects");
        if let Ok(entries) = std::fs::read_dir(objects.join("pack")) {
            for e in entries.flatten() {
                lines.push([b"pack ".as_slice(), e.file_name().as_encoded_bytes()].concat());
            }
        }
        let loose: usize = (0..=255u8)
            .filter_map(|b| std::fs::read_dir(objects.join(format!("{b:02x}"))).ok())
            .map(Iterator::count)
            .sum();
        lines.push(format!("loose {loose}").into_bytes());
    }
    lines.sort();
    Some(sha256_hex(&lines.join(&b'\n')))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shard_parse_and_bounds() {
        assert_eq!(Shard::parse("2/3").unwrap(), Shard { k: 2, n: 3 });
        for bad in ["0/3", "4/3", "1/0", "x/2", "3"] {
            assert!(Shard::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn shards_partition_and_are_stable() {
        let rels: Vec<String> = (0..200).map(|i| format!("org/repo-{i}")).collect();
        for rel in &rels {
            let owners: Vec<u32> = (1..=4).filter(|&k| Shard { k, n: 4 }.takes(rel)).collect();
            assert_eq!(owners.len(), 1, "{rel}");
            // The assignment depends on the path only.
            assert_eq!(Shard::of(rel, 4), Shard::of(rel, 4));
        }
        let counts: Vec<usize> = (1..=4)
            .map(|k| rels.iter().filter(|r| Shard::of(r, 4) == k).count())
            .collect();
        assert!(counts.iter().all(|&c| c > 20), "{counts:?}");
    }

    #[test]
    fn discovery_finds_nested_and_bare_repos_and_survives_loops() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("a/.git")).unwrap();
        std::fs::create_dir_all(root.join("a/vendor/b/.git")).unwrap();
        for d in ["c.git/objects", "c.git/refs"] {
            std::fs::create_dir_all(root.join(d)).unwrap();
        }
        std::fs::write(root.join("c.git/HEAD"), "ref: refs/heads/main\n").unwrap();
        #[cfg(unix)]
        std::os::unix::fs::symlink(root, root.join("a/vendor/loop")).unwrap();
        for follow in [false, true] {
            let (mut problems, mut skipped) = (Vec::new(), Vec::new());
            let found = discover(&[root.to_path_buf()], follow, &mut problems, &mut skipped);
            let rels: Vec<(&str, bool)> = found.iter().map(|r| (r.rel.as_str(), r.bare)).collect();
            assert_eq!(rels, [("a", false), ("a/vendor/b", false), ("c.git", true)]);
            assert!(problems.is_empty(), "{problems:?}");
            #[cfg(unix)]
            assert_eq!(skipped.len(), usize::from(!follow), "{skipped:?}");
        }
    }

    #[cfg(unix)]
    #[test]
    fn discovery_never_leaves_the_root_through_a_link() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("root");
        std::fs::create_dir_all(root.join("a/.git")).unwrap();
        std::fs::create_dir_all(dir.path().join("outside/b/.git")).unwrap();
        std::os::unix::fs::symlink(dir.path().join("outside"), root.join("out")).unwrap();
        std::os::unix::fs::symlink(root.join("a"), root.join("z")).unwrap();
        for follow in [false, true] {
            let (mut problems, mut skipped) = (Vec::new(), Vec::new());
            let found = discover(
                std::slice::from_ref(&root),
                follow,
                &mut problems,
                &mut skipped,
            );
            let rels: Vec<&str> = found.iter().map(|r| r.rel.as_str()).collect();
            assert_eq!(rels, ["a"], "follow: {follow}");
            assert_eq!(skipped.len(), if follow { 1 } else { 2 }, "{skipped:?}");
            assert!(problems.is_empty(), "{problems:?}");
        }
    }
}
