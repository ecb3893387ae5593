//! Every tree of a repository's packs, read once and kept as a compact graph
//! for the history walk.
//!
//! The walk reads each distinct tree of the history once, but reading them
//! one at a time with libgit2 rebuilds each deltified tree from its chain's
//! base. Here every pack's trees are rebuilt once each ([`super::pack`]) and
//! parsed into entries of four bytes: the child's index among the packs'
//! sorted object ids and its kind. Names are not kept (attribution finds
//! paths again for the few blobs with findings), so this takes about a tenth
//! of the trees' size; but each name is checked as it is parsed, and the
//! trees with an entry whose name holds a key are listed (attribution finds
//! their paths again too). A tree that is not in a pack, or that names an
//! object no pack holds (a loose object), is not kept: the walk reads it
//! with libgit2.

use git2::Oid;

use super::pack::{ObjectKind, Pack, SHA1_LEN};

/// What a tree entry names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryKind {
    Blob,
    Tree,
    /// A submodule's commit (mode 160000).
    Gitlink,
}

const KIND_BITS: u32 = 2;
const KIND_MASK: u32 = (1 << KIND_BITS) - 1;
/// Buckets of the id lookup: the first two bytes of an id.
const FAN: usize = 1 << 16;

/// `spans` of an object that is not a tree read here.
const NOT_READ: (u32, u32) = (u32::MAX, 0);

/// An entry of [`PackedTrees::children`]: the child's index and kind.
pub fn split(entry: u32) -> (u32, EntryKind) {
    let kind = match entry & KIND_MASK {
        0 => EntryKind::Blob,
        1 => EntryKind::Tree,
        _ => EntryKind::Gitlink,
    };
    (entry >> KIND_BITS, kind)
}

fn bucket(id: &[u8]) -> usize {
    usize::from(id[0]) << 8 | usize::from(id[1])
}

/// The parsed trees of every pack of an object database.
#[derive(Default)]
pub struct PackedTrees {
    /// Every object the packs hold, sorted.
    ids: Vec<[u8; SHA1_LEN]>,
    /// `fan[b]..fan[b + 1]`: where in `ids` the ids starting with the two
    /// bytes `b` are (ids are uniform: a bucket holds one or two).
    fan: Vec<u32>,
    /// For each object by index, its run of `entries` if it is a tree read
    /// here (`NOT_READ` otherwise).
    spans: Vec<(u32, u32)>,
    /// How many trees were read.
    read: usize,
    /// `(index in ids) << 2 | kind`, for each entry of each tree.
    entries: Vec<u32>,
    /// Indices of the trees read here with an entry (a file, folder or
    /// submodule) whose name holds a key.
    named: Vec<u32>,
}

impl PackedTrees {
    /// Read the trees of `packs` on the current rayon pool; `names` says
    /// whether an entry's name holds a key (see [`PackedTrees::named`]).
    pub fn read(packs: &[Pack], names: &(dyn Fn(&[u8]) -> bool + Sync)) -> PackedTrees {
        let mut ids: Vec<[u8; SHA1_LEN]> =
            packs.iter().flat_map(|p| p.sorted_ids()).copied().collect();
        if packs.len() > 1 {
            ids.sort_unstable();
            ids.dedup();
        }
        if ids.len() >= (u32::MAX >> KIND_BITS) as usize {
            return PackedTrees::default();
        }
        let mut fan = vec![0u32; FAN + 1];
        for id in &ids {
            fan[bucket(id) + 1] += 1;
        }
        for b in 0..FAN {
            fan[b + 1] += fan[b];
        }
        let spans = vec![NOT_READ; ids.len()];
        let mut trees = PackedTrees {
            ids,
            fan,
            spans,
            ..PackedTrees::default()
        };
        for pack in packs {
            let parsed = pack.for_each(
                ObjectKind::Tree,
                |_| true,
                || (),
                |_, _, bytes| trees.parse(bytes, names),
            );
            for (id, entries) in parsed {
                let Some((entries, named)) = entries else {
                    continue;
                };
                let Some(ix) = trees.index_of(&id) else {
                    continue;
                };
                if trees.spans[ix as usize] != NOT_READ {
                    continue; // the same tree in two packs
                }
                let start = trees.entries.len() as u32;
                trees.entries.extend_from_slice(&entries);
                trees.spans[ix as usize] = (start, entries.len() as u32);
                trees.read += 1;
                if named {
                    trees.named.push(ix);
                }
            }
        }
        trees.entries.shrink_to_fit();
        trees
    }

    /// The entries of tree `id` (child id and kind), if it was read here.
    /// A gitlink's id (a submodule's commit) is not kept: it reads as zero.
    pub fn entries(&self, id: &Oid) -> Option<impl Iterator<Item = (Oid, EntryKind)> + '_> {
        let run = self.children(self.index_of(id)?)?;
        Some(run.iter().map(|&e| {
            let (ix, kind) = split(e);
            let id = match kind {
                EntryKind::Gitlink => Oid::zero(),
                _ => self.id_at(ix),
            };
            (id, kind)
        }))
    }

    /// The entries of the tree at index `ix`, if it was read here; each
    /// is `(index, kind)` packed, see [`split`].
    pub fn children(&self, ix: u32) -> Option<&[u32]> {
        let (start, len) = *self.spans.get(ix as usize)?;
        if (start, len) == NOT_READ {
            return None;
        }
        Some(&self.entries[start as usize..(start + len) as usize])
    }

    /// The trees read here with an entry whose name holds a key.
    pub fn named(&self) -> impl Iterator<Item = Oid> + '_ {
        self.named.iter().map(|&ix| self.id_at(ix))
    }

    /// How many objects the packs hold: indices run from 0 to this.
    pub fn object_count(&self) -> usize {
        self.ids.len()
    }

    /// The id of the object at index `ix`.
    pub fn id_at(&self, ix: u32) -> Oid {
        Oid::from_bytes(&self.ids[ix as usize]).expect("20 bytes")
    }

    /// How many trees were read.
    pub fn len(&self) -> usize {
        self.read
    }

    /// Whether no tree was read.
    pub fn is_empty(&self) -> bool {
        self.read == 0
    }

    /// The index of `id` among the packs' objects.
    pub fn index_of(&self, id: &Oid) -> Option<u32> {
        self.index_of_raw(id.as_bytes())
    }

    /// [`PackedTrees::index_of`] for a raw 20-byte id.
    fn index_of_raw(&self, raw: &[u8]) -> Option<u32> {
        let b = bucket(raw);
        let (from, to) = (*self.fan.get(b)? as usize, self.fan[b + 1] as usize);
        // Raw bytes: `Oid`'s `==` is a call into libgit2.
        let at = self.ids[from..to].iter().position(|x| x == raw)?;
        Some((from + at) as u32)
    }

    /// Parse a tree's bytes (`<octal mode> <name>\0<20-byte id>`, repeated)
    /// into entries, and whether `names` says an entry's name holds a key;
    /// `None` if it is malformed or names an object that no pack holds.
    fn parse(
        &self,
        mut bytes: &[u8],
        names: &(dyn Fn(&[u8]) -> bool + Sync),
    ) -> Option<(Vec<u32>, bool)> {
        let mut out = Vec::with_capacity(bytes.len() / 32);
        let mut named = false;
        while !bytes.is_empty() {
            let space = memchr::memchr(b' ', bytes)?;
            if space == 0 || space > 6 {
                return None;
            }
            let mut mode = 0u32;
            for &d in &bytes[..space] {
                if !(b'0'..=b'7').contains(&d) {
                    return None;
                }
                mode = mode * 8 + u32::from(d - b'0');
            }
            let nul = space + memchr::memchr(0, &bytes[space..])?;
            if nul == space + 1 || mode > 0xffff {
                return None; // an empty name or an impossible mode: damage
            }
            let id = bytes.get(nul + 1..nul + 21)?;
            named = named || names(&bytes[space + 1..nul]);
            bytes = &bytes[nul + 21..];
            let (kind, index) = match entry_kind(mode) {
                EntryKind::Tree => (1, self.index_of_raw(id)?),
                EntryKind::Gitlink => (2, 0),
                EntryKind::Blob => (0, self.index_of_raw(id)?),
            };
            out.push(index << KIND_BITS | kind);
        }
        Some((out, named))
    }
}

/// What a tree entry's mode makes it, as libgit2 reads modes (its
/// `normalize_filemode`): any `040xxx` is a tree; a `160xxx` without
/// execute bits is a gitlink; everything else is a blob.
fn entry_kind(mode: u32) -> EntryKind {
    const TYPE: u32 = 0o170000;
    if mode & TYPE == 0o040000 {
        EntryKind::Tree
    } else if mode & 0o111 == 0 && mode & TYPE == 0o160000 {
        EntryKind::Gitlink
    } else {
        EntryKind::Blob
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::git::pack::open_packs;
    use crate::source::test_git::{git, object_ids};

    /// The trees among the repository's objects.
    fn tree_ids(repo: &git2::Repository) -> Vec<Oid> {
        object_ids(repo)
            .into_iter()
            .filter(|id| repo.find_tree(*id).is_ok())
            .collect()
    }

    fn libgit2_entries(repo: &git2::Repository, id: Oid) -> Vec<(Oid, EntryKind)> {
        repo.find_tree(id)
            .unwrap()
            .iter()
            .map(|e| {
                let kind = match e.filemode() {
                    0o040000 => EntryKind::Tree,
                    0o160000 => return (Oid::zero(), EntryKind::Gitlink),
                    _ => EntryKind::Blob,
                };
                (e.id(), kind)
            })
            .collect()
    }

    #[test]
    fn every_packed_tree_reads_as_libgit2_reads_it() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path();
        git(p, &["init", "-q"], None);
        for i in 0..12 {
            for d in ["a", "a/b", "c"] {
                std::fs::create_dir_all(p.join(d)).unwrap();
                std::fs::write(
                    p.join(d).join(format!("f{}.txt", i % 4)),
                    format!("{d} {i}\n"),
                )
                .unwrap();
            }
            std::fs::write(p.join("run.sh"), format!("echo {i}\n")).unwrap();
            git(p, &["add", "-A"], None);
            if i == 5 {
                // A submodule entry: a gitlink to a commit no pack holds.
                let commit = "1234567890123456789012345678901234567890";
                git(
                    p,
                    &[
                        "update-index",
                        "--add",
                        "--cacheinfo",
                        &format!("160000,{commit},sub"),
                    ],
                    None,
                );
            }
            git(p, &["commit", "-q", "-m", &format!("c{i}")], None);
        }
        git(p, &["repack", "-adq"], None);
        let repo = git2::Repository::open(p).unwrap();
        let packs = open_packs(&p.join(".git/objects"));
        let trees = PackedTrees::read(&packs, &|_| false);

        let tree_ids = tree_ids(&repo);
        assert!(tree_ids.len() > 30, "{} trees", tree_ids.len());
        assert_eq!(trees.len(), tree_ids.len());
        let mut gitlinks = 0;
        for id in tree_ids {
            let got: Vec<(Oid, EntryKind)> = trees
                .entries(&id)
                .expect("every packed tree is kept")
                .collect();
            gitlinks += got.iter().filter(|(_, k)| *k == EntryKind::Gitlink).count();
            assert_eq!(got, libgit2_entries(&repo, id));
        }
        assert!(gitlinks > 0);
        let blob = repo.revparse_single("HEAD:run.sh").unwrap().id();
        assert!(trees.entries(&blob).is_none(), "a blob is not a tree");
    }

    #[test]
    fn trees_spread_over_packs_and_held_twice_read_once() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path();
        git(p, &["init", "-q"], None);
        let commit = |i: u32| {
            std::fs::create_dir_all(p.join("d")).unwrap();
            std::fs::write(p.join("d/f.txt"), format!("{i}\n")).unwrap();
            git(p, &["add", "-A"], None);
            git(p, &["commit", "-q", "-m", &format!("c{i}")], None);
        };
        (0..4).for_each(commit);
        git(p, &["repack", "-adq"], None);
        // New objects in a second pack, naming blobs and trees of the first.
        (4..8).for_each(commit);
        git(p, &["repack", "-dq"], None);
        // And the root tree of HEAD once more in a third.
        let head_tree = git(p, &["rev-parse", "HEAD^{tree}"], None);
        git(
            p,
            &["pack-objects", "-q", ".git/objects/pack/pack"],
            Some(&format!("{head_tree}\n")),
        );

        let packs = open_packs(&p.join(".git/objects"));
        assert_eq!(packs.len(), 3);
        let trees = PackedTrees::read(&packs, &|_| false);
        let repo = git2::Repository::open(p).unwrap();
        let tree_ids = tree_ids(&repo);
        assert_eq!(tree_ids.len(), 16, "a root and a `d` tree per commit");
        assert_eq!(trees.len(), tree_ids.len(), "each tree counted once");
        for id in tree_ids {
            let got: Vec<(Oid, EntryKind)> = trees.entries(&id).expect("kept").collect();
            assert_eq!(got, libgit2_entries(&repo, id));
        }
    }

    #[test]
    fn modes_are_read_as_libgit2_reads_them() {
        assert_eq!(entry_kind(0o040000), EntryKind::Tree);
        assert_eq!(
            entry_kind(0o040755),
            EntryKind::Tree,
            "a non-standard tree mode"
        );
        assert_eq!(entry_kind(0o160000), EntryKind::Gitlink);
        assert_eq!(entry_kind(0o160755), EntryKind::Blob);
        for mode in [0o100644, 0o100755, 0o120000, 0o100664, 0o644] {
            assert_eq!(entry_kind(mode), EntryKind::Blob, "{mode:o}");
        }
        let trees = PackedTrees::default();
        for bad in [
            &b"9 a\0"[..],
            b" a\0",
            b"1234567 a\0",
            b"100644 \0",
            b"100644 a",
        ] {
            let mut bytes = bad.to_vec();
            bytes.extend([0u8; 20]);
            assert!(
                trees.parse(&bytes, &|_| false).is_none(),
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
    }

    #[test]
    fn a_tree_naming_an_object_outside_the_packs_is_left_to_libgit2() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path();
        git(p, &["init", "-q"], None);
        let loose = git(p, &["hash-object", "-w", "--stdin"], Some("loose\n"));
        let tree = git(
            p,
            &["mktree"],
            Some(&format!("100644 blob {loose}\tloose.txt\n")),
        );
        // A pack holding the tree alone.
        git(
            p,
            &["pack-objects", "-q", ".git/objects/pack/pack"],
            Some(&format!("{tree}\n")),
        );
        let packs = open_packs(&p.join(".git/objects"));
        assert_eq!(packs.len(), 1);
        let trees = PackedTrees::read(&packs, &|_| false);
        assert!(trees.entries(&Oid::from_str(&tree).unwrap()).is_none());
        assert!(trees.is_empty());
    }

    #[test]
    fn trees_with_a_name_the_check_picks_are_listed() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path();
        git(p, &["init", "-q"], None);
        std::fs::create_dir_all(p.join("a/flagged-dir/b")).unwrap();
        std::fs::write(p.join("a/flagged-dir/b/x.txt"), "x\n").unwrap();
        std::fs::write(p.join("a/y.txt"), "y\n").unwrap();
        std::fs::write(p.join("flagged.txt"), "z\n").unwrap();
        git(p, &["add", "-A"], None);
        git(p, &["commit", "-q", "-m", "c"], None);
        git(p, &["repack", "-adq"], None);
        let packs = open_packs(&p.join(".git/objects"));
        let trees = PackedTrees::read(&packs, &|name| name.starts_with(b"flagged"));
        let repo = git2::Repository::open(p).unwrap();
        let id = |rev: &str| repo.revparse_single(rev).unwrap().id();
        let mut named: Vec<Oid> = trees.named().collect();
        named.sort();
        let mut want = vec![id("HEAD^{tree}"), id("HEAD:a")];
        want.sort();
        assert_eq!(
            named, want,
            "the trees holding the names, not their parents"
        );
        assert!(PackedTrees::read(&packs, &|_| false)
            .named()
            .next()
            .is_none());
    }
}
