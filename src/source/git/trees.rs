//! The trees of a repository's history, walked level by level through its
//! packs, in memory that grows with the number of objects and not with the
//! number of tree entries.
//!
//! The history walk needs, for each blob, the first commit (in the walk's
//! order, parents first) whose tree holds it. That is a *label*: the least
//! position of a commit whose root tree reaches the object. Labels are
//! pushed down the tree graph from the root trees, one *level* per pass:
//! pass 0 reads the commits' root trees, pass 1 the trees they name, and so
//! on. Each pass rebuilds the trees it wants straight from the packs, each
//! delta chain once ([`super::pack::Pack::for_each`], which inflates only
//! the chains holding a wanted tree), and pushes each tree's label to its
//! entries with an atomic minimum. Nothing of a tree is kept after its pass:
//! the walk holds four bytes of label per object for blobs, four for trees,
//! two of depth, and a few bitsets.
//!
//! A tree is read again only when it is reached with a lower label than it
//! had when it was read, or deeper than it was read before (the same tree at
//! two depths of the file system). Its *depth*, the deepest level it is read
//! at, is then the longest path to it from a root tree, so every tree is
//! deeper than every tree that names it: the reverse walk
//! ([`Reach::ancestors`], which trees hold a given blob or name) reads the
//! levels deepest first and answers each tree from its entries alone.
//!
//! Measured on git/git (849,014 objects; 382,313 trees holding 5.8 GB,
//! 2 cores): the graph of the earlier design (four bytes per tree entry)
//! made `scan --git` peak at 1,405 MiB, this walk at 276 MiB; see
//! `BENCHMARKS.md` ("History on real repositories") for the times, and why
//! the packs are read here and not with gix-pack. Objects outside the packs (loose objects, and trees the packs
//! cannot rebuild) are read with libgit2 in the same passes.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU16, AtomicU32, AtomicU64, Ordering};
use std::sync::Mutex;

use git2::{Oid, Repository};
use rayon::prelude::*;

use super::pack::{ObjectKind, Pack, SHA1_LEN};

/// What a tree entry names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryKind {
    Blob,
    Tree,
    /// A submodule's commit (mode 160000).
    Gitlink,
}

/// Buckets of the id lookup: the first two bytes of an id.
const FAN: usize = 1 << 16;

/// No label: not reached.
pub const UNREACHED: u32 = u32::MAX;

/// More levels than any real file system nests folders: a tree graph this
/// deep has a cycle (a damaged pack whose index names the wrong objects).
const MAX_DEPTH: u16 = 4096;

fn key(id: &[u8]) -> u64 {
    u64::from_be_bytes(id[..8].try_into().expect("an id has 20 bytes"))
}

fn bucket(id: &[u8]) -> usize {
    usize::from(id[0]) << 8 | usize::from(id[1])
}

/// Every object the packs of an object database hold, numbered by id.
#[derive(Default)]
pub struct ObjectTable {
    /// Every object the packs hold, sorted.
    ids: Vec<[u8; SHA1_LEN]>,
    /// `fan[b]..fan[b + 1]`: where in `ids` the ids starting with the two
    /// bytes `b` are (ids are uniform: 13 a bucket on git/git's 849,014).
    fan: Vec<u32>,
    /// For each pack, each entry's index here, by its number in the pack
    /// ([`Pack::entry_ids`]): a pass picks its trees with no look-up.
    numbers: Vec<Vec<u32>>,
}

impl ObjectTable {
    /// The objects of `packs` (an object in two packs counts once).
    pub fn new(packs: &[Pack]) -> ObjectTable {
        let mut ids: Vec<[u8; SHA1_LEN]> =
            packs.iter().flat_map(|p| p.sorted_ids()).copied().collect();
        if packs.len() > 1 {
            ids.sort_unstable();
            ids.dedup();
        }
        if ids.len() >= u32::MAX as usize {
            return ObjectTable::default();
        }
        let mut fan = vec![0u32; FAN + 1];
        for id in &ids {
            fan[bucket(id) + 1] += 1;
        }
        for b in 0..FAN {
            fan[b + 1] += fan[b];
        }
        let mut table = ObjectTable {
            ids,
            fan,
            numbers: Vec::new(),
        };
        table.numbers = packs
            .iter()
            .map(|pack| {
                let ids: Vec<&Oid> = pack.entry_ids().collect();
                ids.par_iter()
                    .map(|id| table.index_of(id).expect("every packed id is listed"))
                    .collect()
            })
            .collect();
        table
    }

    /// How many objects the packs hold: indices run from 0 to this.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// Whether the packs hold no object.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// The id of the object at index `ix`.
    pub fn id_at(&self, ix: u32) -> Oid {
        Oid::from_bytes(&self.ids[ix as usize]).expect("20 bytes")
    }

    /// The index of entry number `n` of pack number `pack`.
    fn number(&self, pack: usize, n: usize) -> u32 {
        self.numbers[pack][n]
    }

    /// The index of `id` among the packs' objects.
    pub fn index_of(&self, id: &Oid) -> Option<u32> {
        self.index_of_raw(id.as_bytes())
    }

    /// [`ObjectTable::index_of`] for a raw 20-byte id.
    fn index_of_raw(&self, raw: &[u8]) -> Option<u32> {
        let b = bucket(raw);
        let (from, to) = (*self.fan.get(b)? as usize, self.fan[b + 1] as usize);
        // The bucket's ids lie side by side (a cache line or a few); each is
        // compared by its first eight bytes first, and the scan stops past
        // where the id would be.
        let k = key(raw);
        for (at, id) in self.ids[from..to].iter().enumerate() {
            match key(id).cmp(&k) {
                std::cmp::Ordering::Less => continue,
                std::cmp::Ordering::Greater => return None,
                std::cmp::Ordering::Equal if id[..] == raw[..SHA1_LEN] => {
                    return Some((from + at) as u32)
                }
                std::cmp::Ordering::Equal => continue,
            }
        }
        None
    }
}

/// Parse a tree's bytes (`<octal mode> <name>\0<20-byte id>`, repeated),
/// calling `entry` with each entry's kind, name and raw id; `false` if the
/// tree is malformed (the entries before the damage were called).
pub fn parse_tree(mut bytes: &[u8], mut entry: impl FnMut(EntryKind, &[u8], &[u8])) -> bool {
    while !bytes.is_empty() {
        let Some(space) = memchr::memchr(b' ', bytes) else {
            return false;
        };
        if space == 0 || space > 6 {
            return false;
        }
        let mut mode = 0u32;
        for &d in &bytes[..space] {
            if !(b'0'..=b'7').contains(&d) {
                return false;
            }
            mode = mode * 8 + u32::from(d - b'0');
        }
        let Some(nul) = memchr::memchr(0, &bytes[space..]).map(|n| space + n) else {
            return false;
        };
        if nul == space + 1 || mode > 0xffff {
            return false; // an empty name or an impossible mode: damage
        }
        let Some(id) = bytes.get(nul + 1..nul + 1 + SHA1_LEN) else {
            return false;
        };
        entry(entry_kind(mode), &bytes[space + 1..nul], id);
        bytes = &bytes[nul + 1 + SHA1_LEN..];
    }
    true
}

/// What a tree entry's mode makes it, as libgit2 reads modes (its
/// `normalize_filemode`): any `040xxx` is a tree; a `160xxx` without
/// execute bits is a gitlink; everything else is a blob.
pub fn entry_kind(mode: u32) -> EntryKind {
    const TYPE: u32 = 0o170000;
    if mode & TYPE == 0o040000 {
        EntryKind::Tree
    } else if mode & 0o111 == 0 && mode & TYPE == 0o160000 {
        EntryKind::Gitlink
    } else {
        EntryKind::Blob
    }
}

/// Recent look-ups of one worker. Trees come in delta-chain order, each
/// a version of the one before, so most of a tree's entries were looked up
/// a moment ago. On git/git (135 million entries read) the look-ups in the
/// table, a cache miss or more each (its ids take 17 MB), were 58 % of the
/// walk's time; with 4,096 slots 86 % of look-ups hit, with 16,384 96 %.
struct IdCache {
    slots: Vec<([u8; SHA1_LEN], u32)>,
}

/// Slots of an [`IdCache`]: 384 KiB, within a core's L2 cache (512 KiB here).
const CACHE_SLOTS: usize = 16384;

impl IdCache {
    fn new() -> IdCache {
        IdCache {
            slots: vec![([0; SHA1_LEN], u32::MAX); CACHE_SLOTS],
        }
    }

    /// [`ObjectTable::index_of_raw`], through the cache.
    fn index_of(&mut self, table: &ObjectTable, raw: &[u8]) -> Option<u32> {
        let slot = u32::from_le_bytes(raw[4..8].try_into().expect("20 bytes")) as usize;
        let (id, ix) = &mut self.slots[slot % CACHE_SLOTS];
        if *ix != u32::MAX && id[..] == raw[..SHA1_LEN] {
            return Some(*ix);
        }
        let found = table.index_of_raw(raw)?;
        id.copy_from_slice(&raw[..SHA1_LEN]);
        *ix = found;
        Some(found)
    }
}

fn atomic_bits(count: usize) -> Vec<AtomicU64> {
    (0..count.div_ceil(64)).map(|_| AtomicU64::new(0)).collect()
}

/// Set bit `ix`; whether it was clear.
fn set(bits: &[AtomicU64], ix: u32) -> bool {
    let m = 1u64 << (ix % 64);
    bits[ix as usize / 64].fetch_or(m, Ordering::Relaxed) & m == 0
}

fn get(bits: &[AtomicU64], ix: u32) -> bool {
    bits[ix as usize / 64].load(Ordering::Relaxed) & (1 << (ix % 64)) != 0
}

/// The set bits of `bits`.
fn ones(bits: &[AtomicU64]) -> impl Iterator<Item = u32> + '_ {
    bits.iter().enumerate().flat_map(|(w, word)| {
        let mut word = word.load(Ordering::Relaxed);
        std::iter::from_fn(move || {
            (word != 0).then(|| {
                let b = word.trailing_zeros();
                word &= word - 1;
                (w * 64) as u32 + b
            })
        })
    })
}

/// Labels and depth of an object outside the packs.
#[derive(Clone, Copy)]
struct Outside {
    blob: u32,
    tree: u32,
    depth: u16,
}

impl Outside {
    /// [`Reach::lower_tree`] for a tree outside the packs.
    fn lower_tree(&mut self, label: u32, depth: u16) -> bool {
        let again = label < self.tree || self.depth <= depth;
        self.tree = self.tree.min(label);
        again
    }
}

impl Default for Outside {
    fn default() -> Outside {
        Outside {
            blob: UNREACHED,
            tree: UNREACHED,
            depth: 0,
        }
    }
}

/// Where the walk reads objects from.
pub struct Store<'a> {
    pub packs: &'a [Pack],
    pub table: &'a ObjectTable,
    /// The repository's folder, opened once per worker for what the packs
    /// cannot give (libgit2 repositories are not shared between threads).
    pub git_dir: &'a std::path::Path,
}

/// What the walk reports back while it reads trees.
pub trait Observer: Sync {
    /// Whether an entry's name holds a key: such trees are listed.
    fn name_holds_key(&self, name: &[u8]) -> bool;
    /// A tree could not be read; `label` is its least label.
    fn unreadable(&self, tree: Oid, label: u32, why: &str);
}

/// The labels of every object the walk reached (see the module docs).
pub struct Reach {
    /// Per packed object: the least label it was reached with as a blob.
    blob: Vec<AtomicU32>,
    /// Per packed object: the least label it was reached with as a tree.
    tree: Vec<AtomicU32>,
    /// Per packed object: 0 if never read as a tree, else 1 + the deepest
    /// level it was read at.
    depth: Vec<AtomicU16>,
    outside: Mutex<HashMap<Oid, Outside>>,
    /// Trees (packed index or outside id) with an entry whose name holds a key.
    named: Mutex<Vec<Oid>>,
    gitlinks: AtomicU64,
    /// The deepest level read.
    levels: u16,
}

/// The trees to read in one pass.
#[derive(Default)]
struct Level {
    packed: Vec<AtomicU64>,
    outside: Vec<Oid>,
}

impl Reach {
    /// Nothing reached yet, for the objects of `table`.
    pub fn new(table: &ObjectTable) -> Reach {
        let n = table.len();
        Reach {
            blob: (0..n).map(|_| AtomicU32::new(UNREACHED)).collect(),
            tree: (0..n).map(|_| AtomicU32::new(UNREACHED)).collect(),
            depth: (0..n).map(|_| AtomicU16::new(0)).collect(),
            outside: Mutex::new(HashMap::new()),
            named: Mutex::new(Vec::new()),
            gitlinks: AtomicU64::new(0),
            levels: 0,
        }
    }

    /// Walk down from `roots` (a root tree and its label each) on the
    /// current rayon pool, lowering the labels of everything they reach.
    pub fn walk(&mut self, store: &Store<'_>, roots: &[(Oid, u32)], observer: &dyn Observer) {
        let mut level = Level {
            packed: atomic_bits(store.table.len()),
            outside: Vec::new(),
        };
        let mut outside_roots = HashSet::new();
        for &(tree, label) in roots {
            match store.table.index_of(&tree) {
                Some(ix) => {
                    if self.lower_tree(ix as usize, label, 0) {
                        set(&level.packed, ix);
                    }
                }
                None => {
                    let mut outside = self.outside.lock().expect("not poisoned");
                    if outside.entry(tree).or_default().lower_tree(label, 0) {
                        outside_roots.insert(tree);
                    }
                }
            }
        }
        level.outside = outside_roots.into_iter().collect();
        let mut depth = 0u16;
        loop {
            let any = level.packed.iter().any(|w| w.load(Ordering::Relaxed) != 0);
            if !any && level.outside.is_empty() {
                break;
            }
            if depth >= MAX_DEPTH {
                let ix = ones(&level.packed).next();
                let tree = ix.map_or_else(|| level.outside[0], |ix| store.table.id_at(ix));
                observer.unreadable(
                    tree,
                    self.label_of_tree(store.table, tree),
                    &format!("trees nest more than {MAX_DEPTH} levels deep: the object database names a tree inside itself (damage); the walk stopped there"),
                );
                break;
            }
            level = self.pass(store, &level, depth, observer);
            self.levels = self.levels.max(depth + 1);
            depth += 1;
        }
    }

    /// Lower packed tree `ix`'s label to `label`, reached at level `depth`;
    /// whether it must be read (again) there: its label went down, or it
    /// was never read that deep.
    fn lower_tree(&self, ix: usize, label: u32, depth: u16) -> bool {
        let lower = self.tree[ix].load(Ordering::Relaxed) > label
            && self.tree[ix].fetch_min(label, Ordering::Relaxed) > label;
        lower || self.depth[ix].load(Ordering::Relaxed) <= depth
    }

    /// Read the trees of `level` (at depth `depth`), and return the next.
    fn pass(&self, store: &Store<'_>, level: &Level, depth: u16, observer: &dyn Observer) -> Level {
        let table = store.table;
        let pass = Pass {
            reach: self,
            table,
            observer,
            depth: depth + 1,
            next: atomic_bits(table.len()),
            next_outside: Mutex::new(HashSet::new()),
        };
        let done = atomic_bits(table.len());
        let damaged = atomic_bits(table.len());
        // Trees rebuilt from the packs, each once even if two packs hold it.
        for (p, pack) in store.packs.iter().enumerate() {
            pack.for_each_picked(
                ObjectKind::Tree,
                |n| get(&level.packed, table.number(p, n)),
                IdCache::new,
                |cache, id, bytes| {
                    let Some(ix) = table.index_of(&id) else {
                        return;
                    };
                    if !set(&done, ix) {
                        return;
                    }
                    let first =
                        self.depth[ix as usize].fetch_max(depth + 1, Ordering::Relaxed) == 0;
                    let label = self.tree[ix as usize].load(Ordering::Relaxed);
                    let mut read = Read::new(&pass, cache, label, first);
                    let ok = parse_tree(bytes, |kind, name, raw| read.entry(kind, name, raw));
                    if !ok {
                        // Damage: left to libgit2 below, which says why.
                        clear(&done, ix);
                        set(&damaged, ix);
                        return;
                    }
                    read.finish(id);
                },
            );
        }
        // What the packs could not give, and trees outside them: libgit2.
        let mut by_libgit2: Vec<(Oid, Option<u32>)> = ones(&level.packed)
            .filter(|&ix| !get(&done, ix))
            .map(|ix| (table.id_at(ix), Some(ix)))
            .collect();
        by_libgit2.extend(level.outside.iter().map(|&id| (id, None)));
        by_libgit2.par_iter().for_each_init(
            || (Repository::open(store.git_dir), IdCache::new()),
            |(repo, cache), &(id, ix)| {
                let (label, first) = match ix {
                    Some(ix) => (
                        self.tree[ix as usize].load(Ordering::Relaxed),
                        self.depth[ix as usize].fetch_max(depth + 1, Ordering::Relaxed) == 0
                            || get(&damaged, ix),
                    ),
                    None => {
                        let mut outside = self.outside.lock().expect("not poisoned");
                        let o = outside.entry(id).or_default();
                        let first = o.depth == 0;
                        o.depth = o.depth.max(depth + 1);
                        (o.tree, first)
                    }
                };
                let tree = match repo {
                    Ok(repo) => repo.find_tree(id),
                    Err(e) => Err(git2::Error::from_str(e.message())),
                };
                let tree = match tree {
                    Ok(tree) => tree,
                    Err(e) => {
                        if first {
                            observer.unreadable(id, label, e.message());
                        }
                        return;
                    }
                };
                let mut read = Read::new(&pass, cache, label, first);
                for entry in tree.iter() {
                    let kind = entry_kind(entry.filemode_raw() as u32);
                    read.entry(kind, entry.name_bytes(), entry.id().as_bytes());
                }
                read.finish(id);
            },
        );
        let outside = pass.next_outside.into_inner().expect("not poisoned");
        Level {
            packed: pass.next,
            outside: outside.into_iter().collect(),
        }
    }
}

impl Reach {
    /// The least label of tree `id`, [`UNREACHED`] if the walk did not reach it.
    pub fn label_of_tree(&self, table: &ObjectTable, id: Oid) -> u32 {
        match table.index_of(&id) {
            Some(ix) => self.tree[ix as usize].load(Ordering::Relaxed),
            None => self
                .outside
                .lock()
                .expect("not poisoned")
                .get(&id)
                .map_or(UNREACHED, |o| o.tree),
        }
    }

    /// Every blob reached, with its least label.
    pub fn blobs(&self, table: &ObjectTable) -> Vec<(Oid, u32)> {
        let mut out: Vec<(Oid, u32)> = (0..table.len())
            .filter_map(|ix| {
                let label = self.blob[ix].load(Ordering::Relaxed);
                (label != UNREACHED).then(|| (table.id_at(ix as u32), label))
            })
            .collect();
        let outside = self.outside.lock().expect("not poisoned");
        out.extend(
            outside
                .iter()
                .filter(|(_, o)| o.blob != UNREACHED)
                .map(|(id, o)| (*id, o.blob)),
        );
        out
    }

    /// Whether the walk reached `id` as a tree.
    pub fn reached_tree(&self, table: &ObjectTable, id: &Oid) -> bool {
        self.label_of_tree(table, *id) != UNREACHED
    }

    /// The trees read with an entry whose name holds a key.
    pub fn named(&self) -> Vec<Oid> {
        let mut named = self.named.lock().expect("not poisoned").clone();
        named.sort();
        named.dedup();
        named
    }

    /// How many gitlinks (submodule entries) the trees read hold.
    pub fn gitlinks(&self) -> u64 {
        self.gitlinks.load(Ordering::Relaxed)
    }

    /// Which trees hold one of `blobs`, or a tree of `named`, at any depth
    /// below them: the levels read deepest first, on the current rayon pool.
    pub fn ancestors<'t>(
        &self,
        store: &Store<'t>,
        blobs: &HashSet<Oid>,
        named: &HashSet<Oid>,
    ) -> Ancestors<'t> {
        let table = store.table;
        let n = table.len();
        let out = Ancestors {
            table,
            known: atomic_bits(n),
            blobs: atomic_bits(n),
            names: atomic_bits(n),
        };
        let wanted = atomic_bits(n);
        for id in blobs {
            if let Some(ix) = table.index_of(id) {
                set(&wanted, ix);
            }
        }
        let depth_is =
            |ix: u32, level: u16| self.depth[ix as usize].load(Ordering::Relaxed) == level;
        for level in (1..=self.levels).rev() {
            for (p, pack) in store.packs.iter().enumerate() {
                pack.for_each_picked(
                    ObjectKind::Tree,
                    |n| depth_is(table.number(p, n), level),
                    IdCache::new,
                    |cache, id, bytes| {
                        let Some(ix) = table.index_of(&id) else {
                            return;
                        };
                        let (mut holds_blob, mut holds_name) = (false, named.contains(&id));
                        let ok = parse_tree(bytes, |kind, _, raw| match kind {
                            EntryKind::Gitlink => {}
                            EntryKind::Blob => {
                                holds_blob = holds_blob
                                    || match cache.index_of(table, raw) {
                                        Some(c) => get(&wanted, c),
                                        None => Oid::from_bytes(raw)
                                            .map_or(true, |id| blobs.contains(&id)),
                                    }
                            }
                            EntryKind::Tree => match cache.index_of(table, raw) {
                                Some(c) if get(&out.known, c) => {
                                    holds_blob = holds_blob || get(&out.blobs, c);
                                    holds_name = holds_name || get(&out.names, c);
                                }
                                _ => (holds_blob, holds_name) = (true, true),
                            },
                        });
                        if ok {
                            if holds_blob {
                                set(&out.blobs, ix);
                            }
                            if holds_name {
                                set(&out.names, ix);
                            }
                            set(&out.known, ix);
                        }
                    },
                );
            }
        }
        out
    }
}

/// Which trees hold given blobs or named trees ([`Reach::ancestors`]); a
/// tree not answered there (not in a pack, or not rebuilt) may hold them.
pub struct Ancestors<'t> {
    table: &'t ObjectTable,
    known: Vec<AtomicU64>,
    blobs: Vec<AtomicU64>,
    names: Vec<AtomicU64>,
}

impl Ancestors<'_> {
    fn answer(&self, tree: &Oid, bits: &[AtomicU64]) -> bool {
        match self.table.index_of(tree) {
            Some(ix) if get(&self.known, ix) => get(bits, ix),
            _ => true,
        }
    }

    /// Whether tree `tree` may hold one of the blobs, at any depth.
    pub fn may_hold_blob(&self, tree: &Oid) -> bool {
        self.answer(tree, &self.blobs)
    }

    /// Whether tree `tree` may be, or hold, one of the named trees.
    pub fn may_hold_name(&self, tree: &Oid) -> bool {
        self.answer(tree, &self.names)
    }
}

/// One pass of the walk: where the entries of its trees go.
struct Pass<'r> {
    reach: &'r Reach,
    table: &'r ObjectTable,
    observer: &'r dyn Observer,
    /// The level of the entries of this pass's trees.
    depth: u16,
    /// The trees of the next level, packed and outside the packs.
    next: Vec<AtomicU64>,
    next_outside: Mutex<HashSet<Oid>>,
}

/// One tree being read in a pass: its label, and whether this is its first
/// read (names and gitlinks are counted then).
struct Read<'r> {
    pass: &'r Pass<'r>,
    cache: &'r mut IdCache,
    label: u32,
    first: bool,
    named: bool,
    gitlinks: u64,
}

impl<'r> Read<'r> {
    fn new(pass: &'r Pass<'r>, cache: &'r mut IdCache, label: u32, first: bool) -> Read<'r> {
        Read {
            pass,
            cache,
            label,
            first,
            named: false,
            gitlinks: 0,
        }
    }

    /// An entry: lower its label, and list a tree for the next pass if it
    /// must be read (again): reached with a lower label than it was read
    /// with, or deeper.
    fn entry(&mut self, kind: EntryKind, name: &[u8], raw: &[u8]) {
        let (pass, label) = (self.pass, self.label);
        if self.first && !self.named {
            self.named = pass.observer.name_holds_key(name);
        }
        let reach = pass.reach;
        if kind == EntryKind::Gitlink {
            self.gitlinks += 1;
            return;
        }
        match self.cache.index_of(pass.table, raw) {
            Some(c) => {
                let c = c as usize;
                if kind == EntryKind::Blob {
                    if reach.blob[c].load(Ordering::Relaxed) > label {
                        reach.blob[c].fetch_min(label, Ordering::Relaxed);
                    }
                    return;
                }
                if reach.lower_tree(c, label, pass.depth) {
                    set(&pass.next, c as u32);
                }
            }
            None => {
                let Ok(id) = Oid::from_bytes(raw) else {
                    return;
                };
                let mut outside = reach.outside.lock().expect("not poisoned");
                let o = outside.entry(id).or_default();
                if kind == EntryKind::Blob {
                    o.blob = o.blob.min(label);
                    return;
                }
                if o.lower_tree(label, pass.depth) {
                    pass.next_outside.lock().expect("not poisoned").insert(id);
                }
            }
        }
    }

    /// The tree `id` is read whole.
    fn finish(self, id: Oid) {
        if !self.first {
            return;
        }
        let reach = self.pass.reach;
        if self.named {
            reach.named.lock().expect("not poisoned").push(id);
        }
        reach.gitlinks.fetch_add(self.gitlinks, Ordering::Relaxed);
    }
}

fn clear(bits: &[AtomicU64], ix: u32) {
    bits[ix as usize / 64].fetch_and(!(1u64 << (ix % 64)), Ordering::Relaxed);
}

#[cfg(test)]
mod tests {
    use std::collections::{HashMap, HashSet};
    use std::path::Path;
    use std::sync::Mutex;

    use git2::{Oid, Repository};

    use super::*;
    use crate::source::git::pack::open_packs;
    use crate::source::git::pack::tests::{write_pack, zlib};
    use crate::source::test_git::{git, object_ids};

    /// The packs of a repository (or one pack) and their object table.
    struct Opened {
        packs: Vec<crate::source::git::pack::Pack>,
        table: ObjectTable,
        git_dir: std::path::PathBuf,
    }

    impl Opened {
        fn repo(p: &Path) -> Opened {
            Opened::new(open_packs(&p.join(".git/objects")), p.join(".git"))
        }

        fn pack(idx: &Path, dir: &Path) -> Opened {
            let pack = crate::source::git::pack::Pack::open(idx).unwrap();
            Opened::new(vec![pack], dir.to_path_buf())
        }

        fn new(packs: Vec<crate::source::git::pack::Pack>, git_dir: std::path::PathBuf) -> Opened {
            let table = ObjectTable::new(&packs);
            Opened {
                packs,
                table,
                git_dir,
            }
        }

        fn store(&self) -> Store<'_> {
            Store {
                packs: &self.packs,
                table: &self.table,
                git_dir: &self.git_dir,
            }
        }
    }

    /// Records what the walk reports.
    #[derive(Default)]
    struct Seen {
        names: Vec<Vec<u8>>,
        unreadable: Mutex<Vec<(Oid, u32, String)>>,
    }

    impl Observer for Seen {
        fn name_holds_key(&self, name: &[u8]) -> bool {
            self.names.iter().any(|n| name.starts_with(n))
        }

        fn unreadable(&self, tree: Oid, label: u32, why: &str) {
            let mut seen = self.unreadable.lock().unwrap();
            seen.push((tree, label, why.to_string()));
        }
    }

    /// The commits of `p`, parents first, each with its root tree.
    fn commit_trees(repo: &Repository) -> Vec<(Oid, u32)> {
        let mut walk = repo.revwalk().unwrap();
        walk.set_sorting(git2::Sort::TOPOLOGICAL | git2::Sort::REVERSE)
            .unwrap();
        walk.push_glob("refs/*").unwrap();
        walk.map(|c| repo.find_commit(c.unwrap()).unwrap().tree_id())
            .enumerate()
            .map(|(n, tree)| (tree, n as u32))
            .collect()
    }

    /// The same, the slow way: every tree below every root, with libgit2.
    fn brute_force(repo: &Repository, roots: &[(Oid, u32)]) -> HashMap<Oid, u32> {
        fn down(repo: &Repository, tree: Oid, label: u32, out: &mut HashMap<Oid, u32>) {
            for e in repo.find_tree(tree).unwrap().iter() {
                match entry_kind(e.filemode_raw() as u32) {
                    EntryKind::Tree => down(repo, e.id(), label, out),
                    EntryKind::Gitlink => {}
                    EntryKind::Blob => {
                        let l = out.entry(e.id()).or_insert(label);
                        *l = (*l).min(label);
                    }
                }
            }
        }
        let mut out = HashMap::new();
        for &(tree, label) in roots {
            down(repo, tree, label, &mut out);
        }
        out
    }

    /// Whether `tree` holds one of `wanted`, the slow way.
    fn holds(repo: &Repository, tree: Oid, wanted: &HashSet<Oid>) -> bool {
        repo.find_tree(tree)
            .unwrap()
            .iter()
            .any(|e| match entry_kind(e.filemode_raw() as u32) {
                EntryKind::Tree => holds(repo, e.id(), wanted),
                EntryKind::Gitlink => false,
                EntryKind::Blob => wanted.contains(&e.id()),
            })
    }

    /// A history where the same folder sits at two depths, spread over two
    /// packs with the last commits loose, and a submodule entry.
    fn history(p: &Path) {
        git(p, &["init", "-q"], None);
        for i in 0..14 {
            for d in ["a", "a/b", "c", "deep/x/a", "deep/x/a/b"] {
                std::fs::create_dir_all(p.join(d)).unwrap();
                // `a` and `deep/x/a` hold the same files: one tree at two depths.
                let text = format!("{} {}\n", d.trim_start_matches("deep/x/"), i % 5);
                std::fs::write(p.join(d).join(format!("f{}.txt", i % 3)), text).unwrap();
            }
            std::fs::write(p.join("run.sh"), format!("echo {i}\n")).unwrap();
            if i == 9 {
                std::fs::remove_dir_all(p.join("deep")).unwrap();
            }
            git(p, &["add", "-A"], None);
            if i == 5 {
                let commit = "1234567890123456789012345678901234567890";
                let info = format!("160000,{commit},sub");
                git(p, &["update-index", "--add", "--cacheinfo", &info], None);
            }
            git(p, &["commit", "-q", "-m", &format!("c{i}")], None);
            match i {
                6 => git(p, &["repack", "-adq"], None),
                10 => git(p, &["repack", "-dq"], None),
                _ => String::new(),
            };
        }
    }

    #[test]
    fn labels_match_a_walk_of_every_tree_and_ancestors_are_exact() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path();
        history(p);
        let repo = Repository::open(p).unwrap();
        let opened = Opened::repo(p);
        assert_eq!(opened.packs.len(), 2);
        let (store, table) = (opened.store(), &opened.table);
        let roots = commit_trees(&repo);
        assert_eq!(roots.len(), 14);
        let seen = Seen::default();
        let mut reach = Reach::new(table);
        reach.walk(&store, &roots, &seen);
        assert!(seen.unreadable.lock().unwrap().is_empty());

        let got: HashMap<Oid, u32> = reach.blobs(table).into_iter().collect();
        let want = brute_force(&repo, &roots);
        assert_eq!(got, want);
        assert!(
            got.keys().any(|id| table.index_of(id).is_none()),
            "some blobs are loose"
        );
        assert_eq!(reach.gitlinks(), 1, "the submodule's tree, counted once");
        // The shared folder is one tree read at two depths.
        let a = repo.revparse_single("HEAD~5:a").unwrap().id();
        assert_eq!(a, repo.revparse_single("HEAD~5:deep/x/a").unwrap().id());
        let ix = table.index_of(&a).expect("packed") as usize;
        assert_eq!(
            reach.depth[ix].load(Ordering::Relaxed),
            4,
            "its deepest level, 3"
        );

        let wanted: HashSet<Oid> = [
            repo.revparse_single("HEAD~7:a/b/f1.txt").unwrap().id(),
            repo.revparse_single("HEAD:run.sh").unwrap().id(),
        ]
        .into();
        let ancestors = reach.ancestors(&store, &wanted, &HashSet::new());
        let trees: Vec<Oid> = object_ids(&repo)
            .into_iter()
            .filter(|id| repo.find_tree(*id).is_ok())
            .collect();
        for tree in trees {
            let truth = holds(&repo, tree, &wanted);
            let answer = ancestors.may_hold_blob(&tree);
            if table.index_of(&tree).is_some() {
                assert_eq!(answer, truth, "{tree}");
            } else {
                assert!(answer, "a loose tree may hold: {tree}");
            }
            assert!(!ancestors.may_hold_name(&tree) || table.index_of(&tree).is_none());
        }
    }

    #[test]
    fn labels_only_go_down_when_more_roots_come() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path();
        history(p);
        let repo = Repository::open(p).unwrap();
        let opened = Opened::repo(p);
        let (store, table) = (opened.store(), &opened.table);
        let roots = commit_trees(&repo);
        let (old, new) = roots.split_at(9);
        let mut reach = Reach::new(table);
        reach.walk(&store, new, &Seen::default());
        reach.walk(&store, old, &Seen::default());
        let got: HashMap<Oid, u32> = reach.blobs(table).into_iter().collect();
        assert_eq!(got, brute_force(&repo, &roots));
    }

    #[test]
    fn trees_with_a_name_the_check_picks_are_listed_once() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path();
        git(p, &["init", "-q"], None);
        std::fs::create_dir_all(p.join("a/flagged-dir/b")).unwrap();
        std::fs::write(p.join("a/flagged-dir/b/x.txt"), "x\n").unwrap();
        std::fs::write(p.join("a/y.txt"), "y\n").unwrap();
        std::fs::write(p.join("flagged.txt"), "z\n").unwrap();
        git(p, &["add", "-A"], None);
        git(p, &["commit", "-q", "-m", "c"], None);
        std::fs::write(p.join("flagged.txt"), "zz\n").unwrap();
        git(p, &["commit", "-qam", "d"], None);
        git(p, &["repack", "-adq"], None);
        let repo = Repository::open(p).unwrap();
        let opened = Opened::repo(p);
        let (store, table) = (opened.store(), &opened.table);
        let seen = Seen {
            names: vec![b"flagged".to_vec()],
            ..Seen::default()
        };
        let mut reach = Reach::new(table);
        reach.walk(&store, &commit_trees(&repo), &seen);
        let id = |rev: &str| repo.revparse_single(rev).unwrap().id();
        let mut want = vec![id("HEAD^{tree}"), id("HEAD~^{tree}"), id("HEAD:a")];
        want.sort();
        assert_eq!(reach.named(), want, "the trees holding the names");
        let named: HashSet<Oid> = [id("HEAD:a")].into();
        let ancestors = reach.ancestors(&store, &HashSet::new(), &named);
        assert!(ancestors.may_hold_name(&id("HEAD^{tree}")));
        assert!(ancestors.may_hold_name(&id("HEAD:a")));
        assert!(!ancestors.may_hold_name(&id("HEAD:a/flagged-dir")));
        assert!(!ancestors.may_hold_blob(&id("HEAD^{tree}")));
    }

    /// A pack entry: a tree (type 2) of `content`.
    fn tree_entry(content: &[u8]) -> Vec<u8> {
        let size = content.len();
        let mut raw = vec![0x80 | 0x20 | (size & 0xf) as u8, (size >> 4) as u8];
        raw.extend(zlib(content));
        raw
    }

    #[test]
    fn a_tree_that_names_itself_stops_at_the_depth_limit() {
        let dir = tempfile::tempdir().unwrap();
        // The index names this tree by an id its content also names: a cycle
        // no real repository can hold.
        let id = Oid::from_str("5555555555555555555555555555555555555555").unwrap();
        let mut content = b"40000 loop\0".to_vec();
        content.extend_from_slice(id.as_bytes());
        let idx = write_pack(dir.path(), &[(id, tree_entry(&content))]);
        let opened = Opened::pack(&idx, dir.path());
        let (store, table) = (opened.store(), &opened.table);
        let seen = Seen::default();
        let mut reach = Reach::new(table);
        reach.walk(&store, &[(id, 0)], &seen);
        let unreadable = seen.unreadable.lock().unwrap();
        assert_eq!(unreadable.len(), 1, "{unreadable:?}");
        assert!(
            unreadable[0].2.contains("nest more than 4096 levels"),
            "{unreadable:?}"
        );
        assert_eq!(reach.levels, MAX_DEPTH);
    }

    #[test]
    fn a_damaged_tree_is_read_by_libgit2_which_says_why() {
        let dir = tempfile::tempdir().unwrap();
        let id = Oid::from_str("6666666666666666666666666666666666666666").unwrap();
        let idx = write_pack(dir.path(), &[(id, tree_entry(b"100644 no-id\0abc"))]);
        let opened = Opened::pack(&idx, dir.path());
        let (store, table) = (opened.store(), &opened.table);
        let seen = Seen::default();
        let mut reach = Reach::new(table);
        reach.walk(&store, &[(id, 7)], &seen);
        let unreadable = seen.unreadable.lock().unwrap();
        assert_eq!(unreadable.len(), 1, "{unreadable:?}");
        assert_eq!((unreadable[0].0, unreadable[0].1), (id, 7));
    }

    #[test]
    fn every_packed_tree_parses_as_libgit2_reads_it() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path();
        history(p);
        git(p, &["repack", "-adq"], None);
        let repo = Repository::open(p).unwrap();
        let packs = open_packs(&p.join(".git/objects"));
        let mut checked = 0;
        for pack in &packs {
            for (id, entries) in pack.for_each(
                crate::source::git::pack::ObjectKind::Tree,
                |_| true,
                || (),
                |_, _, bytes| {
                    let mut out = Vec::new();
                    let ok = parse_tree(bytes, |kind, name, raw| {
                        out.push((kind, name.to_vec(), Oid::from_bytes(raw).unwrap()))
                    });
                    assert!(ok);
                    out
                },
            ) {
                let want: Vec<_> = repo
                    .find_tree(id)
                    .unwrap()
                    .iter()
                    .map(|e| {
                        let kind = entry_kind(e.filemode_raw() as u32);
                        (kind, e.name_bytes().to_vec(), e.id())
                    })
                    .collect();
                assert_eq!(entries, want);
                checked += 1;
            }
        }
        assert!(checked > 30, "{checked} trees");
    }

    #[test]
    fn modes_and_damage_are_read_as_libgit2_reads_them() {
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
        for bad in [
            &b"9 a\0"[..],
            b" a\0",
            b"1234567 a\0",
            b"100644 \0",
            b"100644 a",
            b"777777 a\0",
        ] {
            let mut bytes = bad.to_vec();
            bytes.extend([0u8; 20]);
            assert!(
                !parse_tree(&bytes, |_, _, _| {}),
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
        let mut short = b"100644 a\0".to_vec();
        short.extend([1u8; 19]);
        assert!(!parse_tree(&short, |_, _, _| {}), "an id cut short");
    }
}
