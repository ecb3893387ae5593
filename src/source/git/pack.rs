//! Reading many blobs of a pack file at once, each object decoded once.
//!
//! libgit2 reads one object at a time: a blob stored as a delta is rebuilt
//! from its chain's base (the one object libgit2 caches) through every delta
//! in between, so a chain of 50 versions of a file costs about 50²/2 delta
//! inflations instead of 50. Reading a whole history that way spent most of
//! its time in zlib. This module does what `git index-pack` does instead: it
//! reads the pack's index, finds each entry's delta base, and walks the
//! resulting trees from their bases down, inflating every needed entry once
//! and applying each delta to its base's already-rebuilt content. Subtrees
//! with no wanted blob are not decoded at all.
//!
//! It reads pack version 2 or 3 with a version 2 index and SHA-1 ids (what
//! git writes), inflates with libdeflate, and reads with `pread`, not a
//! memory map: resident memory is the
//! objects being rebuilt, not the pack. Anything it cannot decode (an entry
//! that does not inflate, a delta whose base is in another pack, a damaged
//! index) is simply not delivered: the caller reads what is left with
//! libgit2, which reports the damage.

use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};

use git2::Oid;
use libdeflater::Decompressor;
use rayon::prelude::*;

use super::positioned::{read_at, read_exact_at};

/// The objects [`Pack::for_each`] rebuilds (their pack entry types).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ObjectKind {
    Tree = 2,
    Blob = 3,
}

/// Pack entry types of deltas (`object_type` in git's pack format).
const OBJ_OFS_DELTA: u8 = 6;
const OBJ_REF_DELTA: u8 = 7;

/// Bytes in an object id.
pub const SHA1_LEN: usize = 20;
/// The index's header: magic, version, and the 256-entry fan-out table.
const IDX_HEADER: usize = 8 + 256 * 4;
/// A pack entry's header is at most this long (type and size, then an offset
/// or an id for a delta); reading this much always covers it.
const MAX_HEADER: usize = 16 + SHA1_LEN;
/// How much of the pack the header pass reads at a time.
const HEADER_WINDOW: usize = 4 << 20;

/// Open every pack of the object database `objects` and of its alternates
/// (on the current rayon pool). A pack that cannot be read is left out:
/// reads through libgit2 report it.
pub fn open_packs(objects: &Path) -> Vec<Pack> {
    let mut dirs = vec![objects.to_path_buf()];
    // Object databases this one borrows from (`git clone --shared` or
    // `--reference`), one per line, relative to `objects` or absolute.
    if let Ok(text) = std::fs::read_to_string(objects.join("info").join("alternates")) {
        let lines = text.lines().map(str::trim);
        dirs.extend(
            lines
                .filter(|l| !l.is_empty() && !l.starts_with('#'))
                .map(|l| objects.join(l)),
        );
    }
    dirs.iter()
        .flat_map(|dir| pack_indexes(dir))
        .filter_map(|idx| Pack::open(&idx).ok())
        .collect()
}

/// Pack files of an object database: `objects/pack/*.idx` with their `.pack`.
pub fn pack_indexes(objects: &Path) -> Vec<PathBuf> {
    let Ok(dir) = std::fs::read_dir(objects.join("pack")) else {
        return Vec::new();
    };
    let mut idx: Vec<PathBuf> = dir
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "idx") && p.with_extension("pack").is_file())
        .collect();
    idx.sort();
    idx
}

/// One entry of the pack, in pack order.
struct Entry {
    id: Oid,
    /// Where the entry (its header) starts.
    offset: u64,
    /// Where the next entry starts: the entry's compressed data ends before.
    end: u64,
    /// Index of the delta base in the entry list, for a delta.
    base: Option<u32>,
    /// Where the compressed data starts (after the header).
    data: u64,
    kind: u8,
    /// A second copy of an object the pack already holds: never delivered.
    duplicate: bool,
    /// The inflated size the header declares.
    size: u64,
}

/// A pack file opened for reading many of its objects.
pub struct Pack {
    file: File,
    /// Every entry, sorted by offset.
    entries: Vec<Entry>,
    /// The index's id table: every id, sorted, 20 bytes each.
    sorted_ids: Vec<u8>,
}

impl Pack {
    /// Read the index at `idx` and the entry headers of its pack (on the
    /// current rayon pool).
    pub fn open(idx: &Path) -> io::Result<Pack> {
        let index = std::fs::read(idx)?;
        let (ids, offsets) = parse_index(&index)?;
        let file = File::open(idx.with_extension("pack"))?;
        let len = file.metadata()?.len();
        let mut head = [0u8; 12];
        read_exact_at(&file, &mut head, 0)?;
        if &head[..4] != b"PACK" || !matches!(be32(&head[4..]), 2 | 3) {
            return Err(corrupt("not a version 2 or 3 pack"));
        }
        if be32(&head[8..]) as usize != offsets.len() {
            return Err(corrupt("the pack and its index count different objects"));
        }
        // The index records the pack's trailing checksum: an index left
        // over from another pack must not name this one's entries.
        let mut trailer = [0u8; SHA1_LEN];
        read_exact_at(&file, &mut trailer, len.saturating_sub(SHA1_LEN as u64))?;
        if trailer[..] != index[index.len() - 2 * SHA1_LEN..index.len() - SHA1_LEN] {
            return Err(corrupt("the index belongs to another pack"));
        }

        let mut order: Vec<u32> = (0..offsets.len() as u32).collect();
        order.sort_unstable_by_key(|&i| offsets[i as usize]);
        let data_end = len.saturating_sub(SHA1_LEN as u64);
        let mut entries = Vec::with_capacity(order.len());
        for (n, &i) in order.iter().enumerate() {
            let offset = offsets[i as usize];
            let end = order
                .get(n + 1)
                .map_or(data_end, |&next| offsets[next as usize]);
            if offset < 12 || end <= offset || end > data_end {
                return Err(corrupt("an index offset is outside the pack"));
            }
            let raw = &ids[i as usize * SHA1_LEN..][..SHA1_LEN];
            // The index is sorted: a second copy of an object follows the first.
            let duplicate = i > 0 && ids[(i as usize - 1) * SHA1_LEN..][..SHA1_LEN] == *raw;
            entries.push(Entry {
                id: Oid::from_bytes(raw).map_err(|_| corrupt("a bad object id in the index"))?,
                offset,
                end,
                base: None,
                data: 0,
                kind: 0,
                duplicate,
                size: 0,
            });
        }

        // Entry headers, read in pack order through a window, a run of
        // entries per worker. Bases are resolved afterwards: an entry names
        // its base by offset or by id.
        let runs = entries
            .len()
            .div_ceil(rayon::current_num_threads().max(1))
            .max(1);
        let bases: Vec<(usize, Base)> = entries
            .par_chunks_mut(runs)
            .enumerate()
            .map(|(k, run)| {
                let mut window = Window::default();
                let mut bases = Vec::new();
                for (n, e) in run.iter_mut().enumerate() {
                    let want = ((e.end - e.offset) as usize).min(MAX_HEADER);
                    let header = parse_entry_header(window.get(&file, e.offset, want)?, e.offset)?;
                    e.kind = header.kind;
                    e.size = header.size;
                    e.data = e.offset + header.len as u64;
                    if !matches!(header.base, Base::None) {
                        bases.push((k * runs + n, header.base));
                    }
                }
                Ok(bases)
            })
            .collect::<io::Result<Vec<_>>>()?
            .into_iter()
            .flatten()
            .collect();
        let mut ofs_bases: Vec<(usize, u64)> = Vec::new();
        let mut ref_bases: Vec<(usize, Oid)> = Vec::new();
        for (n, base) in bases {
            match base {
                Base::Offset(at) => ofs_bases.push((n, at)),
                Base::Id(id) => ref_bases.push((n, id)),
                Base::None => {}
            }
        }
        for (n, at) in ofs_bases {
            let base = entries.binary_search_by_key(&at, |e| e.offset).ok();
            entries[n].base = base.map(|b| b as u32);
        }
        if !ref_bases.is_empty() {
            let mut by_id: Vec<(Oid, u32)> = entries
                .iter()
                .enumerate()
                .map(|(n, e)| (e.id, n as u32))
                .collect();
            by_id.sort_unstable();
            for (n, id) in ref_bases {
                // A base in another pack (or none) leaves the entry undeliverable.
                let base = by_id.binary_search_by_key(&id, |&(id, _)| id).ok();
                entries[n].base = base.map(|b| by_id[b].1);
            }
        }
        let sorted_ids = ids.to_vec();
        Ok(Pack {
            file,
            entries,
            sorted_ids,
        })
    }

    /// How many objects the pack holds.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the pack holds no object.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The raw ids of every object in the pack (20 bytes each), sorted.
    pub fn sorted_ids(&self) -> impl Iterator<Item = &[u8; SHA1_LEN]> + '_ {
        self.sorted_ids
            .chunks_exact(SHA1_LEN)
            .map(|id| id.try_into().expect("20 bytes"))
    }

    /// The id of every entry, in the order [`Pack::for_each_picked`] numbers
    /// them (pack order).
    pub fn entry_ids(&self) -> impl Iterator<Item = &Oid> + '_ {
        self.entries.iter().map(|e| &e.id)
    }

    /// Rebuild every object of `kind` that `wanted` picks and call `visit`
    /// with it, on the current rayon pool; each worker gets its own state
    /// from `init`. Returns what `visit` returned for each object delivered
    /// (objects that could not be decoded here are missing from it).
    pub fn for_each<S, R, I, V>(
        &self,
        kind: ObjectKind,
        wanted: impl Fn(&Oid) -> bool,
        init: I,
        visit: V,
    ) -> Vec<(Oid, R)>
    where
        R: Send,
        I: Fn() -> S + Sync + Send,
        V: Fn(&mut S, Oid, &[u8]) -> R + Sync + Send,
    {
        self.for_each_picked(kind, |n| wanted(&self.entries[n].id), init, visit)
    }

    /// [`Pack::for_each`] with `wanted` picking entries by their number in
    /// [`Pack::entry_ids`]: a caller that asks again and again maps ids to
    /// its own numbers once, not on every call.
    pub fn for_each_picked<S, R, I, V>(
        &self,
        kind: ObjectKind,
        wanted: impl Fn(usize) -> bool,
        init: I,
        visit: V,
    ) -> Vec<(Oid, R)>
    where
        R: Send,
        I: Fn() -> S + Sync + Send,
        V: Fn(&mut S, Oid, &[u8]) -> R + Sync + Send,
    {
        let kind = kind as u8;
        let n = self.entries.len();
        // wanted[i]: entry i may be an object of `kind` the caller wants.
        // needed[i]: it is one, or the base of one (through a chain). A
        // chain holds objects of one type (git deltas an object against
        // objects of its type), the type of its base.
        let wanted: Vec<bool> = self
            .entries
            .iter()
            .enumerate()
            .map(|(n, e)| {
                (e.kind == kind || matches!(e.kind, OBJ_OFS_DELTA | OBJ_REF_DELTA))
                    && !e.duplicate
                    && wanted(n)
            })
            .collect();
        let mut needed = vec![false; n];
        for i in (0..n).filter(|&i| wanted[i]) {
            let mut at = i;
            // Bounded by n: a cycle of bases (a damaged pack) must not spin.
            for _ in 0..n {
                if needed[at] {
                    break;
                }
                needed[at] = true;
                match self.entries[at].base {
                    Some(b) => at = b as usize,
                    None => break,
                }
            }
        }
        // children[i]: the needed deltas based on entry i, as a CSR list.
        let mut first = vec![0u32; n + 1];
        let needed_delta = |e: &(usize, &Entry)| needed[e.0] && e.1.base.is_some();
        for (_, e) in self.entries.iter().enumerate().filter(needed_delta) {
            first[e.base.expect("a delta") as usize + 1] += 1;
        }
        for i in 0..n {
            first[i + 1] += first[i];
        }
        let mut fill = first.clone();
        let mut children = vec![0u32; first[n] as usize];
        for (i, e) in self.entries.iter().enumerate().filter(needed_delta) {
            let b = e.base.expect("a delta") as usize;
            children[fill[b] as usize] = i as u32;
            fill[b] += 1;
        }
        drop(fill);
        let roots: Vec<u32> = (0..n as u32)
            .filter(|&i| needed[i as usize] && self.entries[i as usize].base.is_none())
            .collect();
        largest_subtree_last(&roots, &first, &mut children);
        let tree = Tree {
            first: &first,
            children: &children,
            wanted: &wanted,
        };

        roots
            .par_iter()
            .map_init(
                || (init(), Decompressor::new(), Vec::new()),
                |(state, inflater, raw), &root| {
                    let mut out = Vec::new();
                    self.resolve(root, kind, &tree, inflater, raw, &mut |id, bytes| {
                        out.push((id, visit(state, id, bytes)));
                    });
                    out
                },
            )
            .flatten_iter()
            .collect()
    }

    /// Rebuild the subtree under `root` depth first, handing each blob to
    /// `deliver`. Only the chain from the root to the current entry is held.
    fn resolve(
        &self,
        root: u32,
        kind: u8,
        tree: &Tree<'_>,
        inflater: &mut Decompressor,
        raw: &mut Vec<u8>,
        deliver: &mut dyn FnMut(Oid, &[u8]),
    ) {
        let e = &self.entries[root as usize];
        if e.kind != kind {
            return;
        }
        let Ok(content) = self.inflate(e, inflater, raw) else {
            return;
        };
        // (content of a base, the children of it still to rebuild)
        let mut stack: Vec<(Vec<u8>, std::ops::Range<u32>)> = Vec::new();
        self.deliver_and_descend(root, content, tree, deliver, &mut stack);
        while let Some((base, pending)) = stack.last_mut() {
            let Some(slot) = pending.next() else {
                stack.pop();
                continue;
            };
            let last = pending.start == pending.end;
            let child = tree.children[slot as usize];
            let entry = &self.entries[child as usize];
            let content = match self.inflate(entry, inflater, raw) {
                Ok(delta) => apply_delta(base, &delta),
                Err(_) => None,
            };
            if last {
                // Its last child is rebuilt: the base is no longer needed,
                // so a long chain holds one version at a time, not all.
                stack.pop();
            }
            // A delta that does not apply leaves its subtree to the caller.
            if let Some(content) = content {
                self.deliver_and_descend(child, content, tree, deliver, &mut stack);
            }
        }
    }

    fn deliver_and_descend(
        &self,
        ix: u32,
        content: Vec<u8>,
        tree: &Tree<'_>,
        deliver: &mut dyn FnMut(Oid, &[u8]),
        stack: &mut Vec<(Vec<u8>, std::ops::Range<u32>)>,
    ) {
        if tree.wanted[ix as usize] {
            deliver(self.entries[ix as usize].id, &content);
        }
        let kids = tree.first[ix as usize]..tree.first[ix as usize + 1];
        if !kids.is_empty() {
            stack.push((content, kids));
        }
    }

    /// Inflate an entry's data: a whole object, or a delta.
    fn inflate(
        &self,
        e: &Entry,
        inflater: &mut Decompressor,
        raw: &mut Vec<u8>,
    ) -> io::Result<Vec<u8>> {
        let len = (e.end - e.data) as usize;
        raw.resize(len, 0);
        read_exact_at(&self.file, raw, e.data)?;
        // Deflate expands at most about 1032 to 1: a larger declared size
        // is damage, and must not become a huge allocation.
        let size = usize::try_from(e.size)
            .ok()
            .filter(|&size| size <= len.saturating_mul(1032).saturating_add(64))
            .ok_or_else(|| corrupt("an entry declares an impossible size"))?;
        // libdeflate inflates a whole buffer of known size at once: about
        // a quarter faster here than a streaming inflater (zlib-rs).
        let mut out = vec![0; size];
        let n = inflater
            .zlib_decompress(raw, &mut out)
            .map_err(|_| corrupt("an entry does not inflate"))?;
        if n != size {
            return Err(corrupt("an entry inflates to the wrong size"));
        }
        Ok(out)
    }
}

/// Order each entry's children by the size of their subtrees, largest last.
/// A base stays in memory while its other children are rebuilt and is
/// dropped when its last child is (see `Pack::resolve`); with the largest
/// subtree last, every base still held has a child subtree at most half its
/// own, so a worker holds at most about log2(entries) bases at once, however
/// the chains branch.
fn largest_subtree_last(roots: &[u32], first: &[u32], children: &mut [u32]) {
    let span = |i: u32| first[i as usize] as usize..first[i as usize + 1] as usize;
    // Parents before children (breadth first), then sizes from the leaves up.
    let mut order: Vec<u32> = roots.to_vec();
    let mut at = 0;
    while at < order.len() {
        order.extend_from_slice(&children[span(order[at])]);
        at += 1;
    }
    let mut size = vec![1u32; first.len() - 1];
    for &i in order.iter().rev() {
        let below: u32 = children[span(i)].iter().map(|&c| size[c as usize]).sum();
        size[i as usize] += below;
    }
    for &i in &order {
        children[span(i)].sort_by_key(|&c| size[c as usize]);
    }
}

/// The delta trees: children lists (needed entries only) and which
/// entries the caller wants.
struct Tree<'a> {
    first: &'a [u32],
    children: &'a [u32],
    wanted: &'a [bool],
}

/// A sliding read window over the pack for the sequential header pass.
#[derive(Default)]
struct Window {
    buf: Vec<u8>,
    start: u64,
}

impl Window {
    fn get(&mut self, file: &File, at: u64, len: usize) -> io::Result<&[u8]> {
        let end = self.start + self.buf.len() as u64;
        if at < self.start || at + len as u64 > end {
            self.buf.resize(HEADER_WINDOW.max(len), 0);
            let n = read_at(file, &mut self.buf, at)?;
            self.buf.truncate(n);
            self.start = at;
            if n < len {
                return Err(corrupt("the pack ends inside an entry"));
            }
        }
        let from = (at - self.start) as usize;
        Ok(&self.buf[from..from + len])
    }
}

enum Base {
    None,
    Offset(u64),
    Id(Oid),
}

struct EntryHeader {
    kind: u8,
    size: u64,
    base: Base,
    /// Bytes the header takes.
    len: usize,
}

/// Parse the header of the entry at `offset` whose bytes start `b`.
fn parse_entry_header(b: &[u8], offset: u64) -> io::Result<EntryHeader> {
    let short = || corrupt("an entry header is cut short");
    let mut at = 0;
    let mut byte = *b.first().ok_or_else(short)?;
    let kind = (byte >> 4) & 7;
    let mut size = u64::from(byte & 15);
    let mut shift = 4;
    while byte & 0x80 != 0 {
        at += 1;
        byte = *b.get(at).ok_or_else(short)?;
        if shift > 57 {
            return Err(corrupt("an entry size overflows"));
        }
        size |= u64::from(byte & 0x7f) << shift;
        shift += 7;
    }
    at += 1;
    let base = match kind {
        1..=4 => Base::None,
        OBJ_OFS_DELTA => {
            let mut byte = *b.get(at).ok_or_else(short)?;
            at += 1;
            let mut back = u64::from(byte & 0x7f);
            while byte & 0x80 != 0 {
                byte = *b.get(at).ok_or_else(short)?;
                at += 1;
                back = back
                    .checked_add(1)
                    .and_then(|v| v.checked_mul(128))
                    .ok_or_else(|| corrupt("a delta base offset overflows"))?
                    | u64::from(byte & 0x7f);
            }
            if back == 0 || back > offset {
                return Err(corrupt("a delta base offset is outside the pack"));
            }
            Base::Offset(offset - back)
        }
        OBJ_REF_DELTA => {
            let id = b.get(at..at + SHA1_LEN).ok_or_else(short)?;
            at += SHA1_LEN;
            Base::Id(Oid::from_bytes(id).map_err(|_| short())?)
        }
        _ => return Err(corrupt("an entry of unknown type")),
    };
    Ok(EntryHeader {
        kind,
        size,
        base,
        len: at,
    })
}

/// Parse a version 2 pack index: the sorted ids (20 bytes each) and each
/// one's pack offset.
fn parse_index(b: &[u8]) -> io::Result<(&[u8], Vec<u64>)> {
    if b.len() < IDX_HEADER + 2 * SHA1_LEN
        || b[..4] != [0xff, b't', b'O', b'c']
        || be32(&b[4..]) != 2
    {
        return Err(corrupt("not a version 2 pack index"));
    }
    let count = be32(&b[8 + 255 * 4..]) as usize;
    let ids_at = IDX_HEADER;
    let crc_at = ids_at + count * SHA1_LEN;
    let small_at = crc_at + count * 4;
    let large_at = small_at + count * 4;
    if large_at + 2 * SHA1_LEN > b.len() || !(b.len() - large_at - 2 * SHA1_LEN).is_multiple_of(8) {
        return Err(corrupt("the pack index has the wrong size"));
    }
    // Ids are sorted (lookups bisect them, and a second copy of an object
    // is told by its equal neighbour): an index that is not is damaged, and
    // reading it could deliver an object twice or miss one.
    let ids = &b[ids_at..crc_at];
    if ids
        .chunks_exact(SHA1_LEN)
        .zip(ids.chunks_exact(SHA1_LEN).skip(1))
        .any(|(a, b)| a > b)
    {
        return Err(corrupt("the pack index's object ids are not sorted"));
    }
    let large = &b[large_at..b.len() - 2 * SHA1_LEN];
    let mut offsets = Vec::with_capacity(count);
    for i in 0..count {
        let small = be32(&b[small_at + i * 4..]);
        let offset = if small & 0x8000_0000 == 0 {
            u64::from(small)
        } else {
            let at = (small & 0x7fff_ffff) as usize * 8;
            let bytes = large
                .get(at..at + 8)
                .ok_or_else(|| corrupt("a large offset is missing from the pack index"))?;
            u64::from_be_bytes(bytes.try_into().expect("8 bytes"))
        };
        offsets.push(offset);
    }
    Ok((&b[ids_at..crc_at], offsets))
}

/// Apply a git delta to `base`; `None` if the delta is malformed.
pub fn apply_delta(base: &[u8], delta: &[u8]) -> Option<Vec<u8>> {
    let mut at = 0;
    let base_size = varint(delta, &mut at)?;
    let size = varint(delta, &mut at)?;
    if base_size != base.len() as u64 {
        return None;
    }
    // Every copy and insert is checked against the declared size, as git
    // does, and the declared size sizes the first allocation only within
    // reason: a damaged delta must not make a huge one.
    let declared = usize::try_from(size).ok()?;
    let mut out =
        Vec::with_capacity(declared.min(base.len().saturating_add(delta.len()).saturating_mul(4)));
    while at < delta.len() {
        let op = delta[at];
        at += 1;
        if op & 0x80 != 0 {
            let mut offset = 0usize;
            let mut len = 0usize;
            for bit in 0..4 {
                if op & (1 << bit) != 0 {
                    offset |= usize::from(*delta.get(at)?) << (8 * bit);
                    at += 1;
                }
            }
            for bit in 0..3 {
                if op & (0x10 << bit) != 0 {
                    len |= usize::from(*delta.get(at)?) << (8 * bit);
                    at += 1;
                }
            }
            if len == 0 {
                len = 0x10000;
            }
            if len > declared - out.len() {
                return None; // past the declared size
            }
            out.extend_from_slice(base.get(offset..offset.checked_add(len)?)?);
        } else if op != 0 {
            let len = usize::from(op);
            if len > declared - out.len() {
                return None;
            }
            out.extend_from_slice(delta.get(at..at + len)?);
            at += len;
        } else {
            return None;
        }
    }
    (out.len() == declared).then_some(out)
}

/// A delta's size varint: 7 bits a byte, least significant first.
fn varint(b: &[u8], at: &mut usize) -> Option<u64> {
    let mut value = 0u64;
    let mut shift = 0;
    loop {
        let byte = *b.get(*at)?;
        *at += 1;
        if shift > 63 {
            return None;
        }
        value |= u64::from(byte & 0x7f) << shift;
        shift += 7;
        if byte & 0x80 == 0 {
            return Some(value);
        }
    }
}

fn be32(b: &[u8]) -> u32 {
    u32::from_be_bytes(b[..4].try_into().expect("4 bytes"))
}

fn corrupt(what: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, what.to_string())
}

#[cfg(test)]
pub(crate) mod tests {
    use std::collections::HashMap;

    use super::*;
    use crate::source::test_git;

    fn git(dir: &Path, args: &[&str]) -> String {
        test_git::git(dir, args, None)
    }

    /// A repository whose one pack holds 40 versions of a growing file (so
    /// deltas, chains of them) and a few unrelated files; `ofs` picks
    /// offset deltas (git's default) or deltas that name their base by id.
    fn packed_repo(ofs: bool) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path();
        git(p, &["init", "-q"]);
        let mut text = String::new();
        for i in 0..40 {
            for j in 0..30 {
                text.push_str(&format!(
                    "line {i} {j}: the quick brown fox jumps over the lazy dog\n"
                ));
            }
            std::fs::write(p.join("grow.txt"), &text).unwrap();
            std::fs::write(p.join(format!("small{}.txt", i % 3)), format!("{i}\n")).unwrap();
            git(p, &["add", "-A"]);
            git(p, &["commit", "-q", "-m", &format!("c{i}")]);
        }
        let flag = format!("repack.useDeltaBaseOffset={ofs}");
        git(
            p,
            &["-c", &flag, "repack", "-adfq", "--depth=50", "--window=50"],
        );
        dir
    }

    fn blobs(repo: &git2::Repository) -> HashMap<Oid, Vec<u8>> {
        test_git::object_ids(repo)
            .into_iter()
            .filter_map(|id| repo.find_blob(id).ok().map(|b| (id, b.content().to_vec())))
            .collect()
    }

    fn check_against_libgit2(ofs: bool) {
        let dir = packed_repo(ofs);
        let repo = git2::Repository::open(dir.path()).unwrap();
        let expected = blobs(&repo);
        let idx = pack_indexes(&dir.path().join(".git/objects"));
        assert_eq!(idx.len(), 1);
        let pack = Pack::open(&idx[0]).unwrap();
        let deltas = pack.entries.iter().filter(|e| e.base.is_some()).count();
        assert!(
            deltas > 20,
            "the test pack should hold delta chains, has {deltas} deltas"
        );
        let want = if ofs { OBJ_OFS_DELTA } else { OBJ_REF_DELTA };
        assert!(pack.entries.iter().any(|e| e.kind == want));

        let got = pack.for_each(
            ObjectKind::Blob,
            |_| true,
            || (),
            |_, id, bytes| (id, bytes.to_vec()),
        );
        let got: HashMap<Oid, Vec<u8>> = got.into_iter().map(|(_, v)| v).collect();
        assert_eq!(got.len(), expected.len());
        assert!(
            got == expected,
            "every blob is rebuilt exactly as libgit2 reads it"
        );
    }

    #[test]
    fn rebuilds_every_blob_of_a_pack_with_offset_deltas() {
        check_against_libgit2(true);
    }

    #[test]
    fn rebuilds_every_blob_of_a_pack_with_deltas_named_by_id() {
        check_against_libgit2(false);
    }

    #[test]
    fn delivers_only_the_wanted_blobs() {
        let dir = packed_repo(true);
        let repo = git2::Repository::open(dir.path()).unwrap();
        let all = blobs(&repo);
        // Wanted: one version in the middle of the chain, and a small file.
        let mid = repo.revparse_single("HEAD~20:grow.txt").unwrap().id();
        let small = repo.revparse_single("HEAD:small0.txt").unwrap().id();
        let pack = Pack::open(&pack_indexes(&dir.path().join(".git/objects"))[0]).unwrap();
        let mut got = pack.for_each(
            ObjectKind::Blob,
            |id| *id == mid || *id == small,
            || (),
            |_, id, bytes| {
                assert_eq!(bytes, all[&id].as_slice());
            },
        );
        got.sort_by_key(|(id, _)| *id);
        let mut want = vec![mid, small];
        want.sort();
        assert_eq!(got.iter().map(|(id, _)| *id).collect::<Vec<_>>(), want);
    }

    #[test]
    fn a_damaged_entry_is_left_out_not_delivered_wrong() {
        let dir = packed_repo(true);
        let repo = git2::Repository::open(dir.path()).unwrap();
        let all = blobs(&repo);
        let idx = pack_indexes(&dir.path().join(".git/objects")).remove(0);
        let pack = Pack::open(&idx).unwrap();
        // Damage the last byte of a delta's data (its zlib checksum).
        let victim = pack
            .entries
            .iter()
            .find(|e| e.base.is_some() && e.kind == OBJ_OFS_DELTA)
            .unwrap();
        let (victim_id, at) = (victim.id, victim.end - 1);
        drop(pack);
        let path = idx.with_extension("pack");
        let mut bytes = std::fs::read(&path).unwrap();
        bytes[at as usize] ^= 0xff;
        let mut perms = std::fs::metadata(&path).unwrap().permissions();
        #[allow(clippy::permissions_set_readonly_false)]
        perms.set_readonly(false);
        std::fs::set_permissions(&path, perms).unwrap();
        std::fs::write(&path, bytes).unwrap();

        let pack = Pack::open(&idx).unwrap();
        let got = pack.for_each(
            ObjectKind::Blob,
            |_| true,
            || (),
            |_, id, bytes| {
                assert_eq!(
                    bytes,
                    all[&id].as_slice(),
                    "a delivered blob is never wrong"
                );
            },
        );
        assert!(got.iter().all(|(id, _)| *id != victim_id));
        assert!(got.len() < all.len());
        assert!(!got.is_empty());
    }

    #[test]
    fn the_packs_of_alternates_are_opened_too() {
        let source = packed_repo(true);
        let dir = tempfile::tempdir().unwrap();
        let from = source.path().to_str().unwrap();
        git(dir.path(), &["clone", "-q", "--shared", from, "shared"]);
        let objects = dir.path().join("shared/.git/objects");
        assert!(
            pack_indexes(&objects).is_empty(),
            "a shared clone borrows the packs"
        );
        let packs = open_packs(&objects);
        assert_eq!(packs.len(), 1);
        assert!(packs[0].len() > 100);
    }

    #[test]
    fn a_damaged_index_is_an_error() {
        let dir = packed_repo(true);
        let idx = pack_indexes(&dir.path().join(".git/objects")).remove(0);
        let bytes = std::fs::read(&idx).unwrap();
        let cut = dir.path().join("cut.idx");
        std::fs::write(&cut, &bytes[..bytes.len() - 7]).unwrap();
        std::fs::copy(idx.with_extension("pack"), cut.with_extension("pack")).unwrap();
        assert!(Pack::open(&cut).is_err());
        std::fs::write(&cut, b"not an index at all").unwrap();
        assert!(Pack::open(&cut).is_err());
    }

    /// Write a pack of raw entries (header and data, as given) and its index.
    pub(crate) fn write_pack(dir: &Path, entries: &[(Oid, Vec<u8>)]) -> PathBuf {
        let mut pack = b"PACK".to_vec();
        pack.extend_from_slice(&2u32.to_be_bytes());
        pack.extend_from_slice(&(entries.len() as u32).to_be_bytes());
        let mut rows: Vec<(Oid, u32)> = Vec::new();
        for (id, raw) in entries {
            rows.push((*id, pack.len() as u32));
            pack.extend_from_slice(raw);
        }
        pack.extend_from_slice(&[0; SHA1_LEN]);
        rows.sort();
        let mut idx = vec![0xff, b't', b'O', b'c', 0, 0, 0, 2];
        for b in 0..256usize {
            let n = rows
                .iter()
                .filter(|(id, _)| usize::from(id.as_bytes()[0]) <= b)
                .count();
            idx.extend_from_slice(&(n as u32).to_be_bytes());
        }
        rows.iter()
            .for_each(|(id, _)| idx.extend_from_slice(id.as_bytes()));
        rows.iter().for_each(|_| idx.extend_from_slice(&[0; 4]));
        rows.iter()
            .for_each(|(_, at)| idx.extend_from_slice(&at.to_be_bytes()));
        idx.extend_from_slice(&[0; 2 * SHA1_LEN]);
        let path = dir.join("pack-test.idx");
        std::fs::write(&path, idx).unwrap();
        std::fs::write(path.with_extension("pack"), pack).unwrap();
        path
    }

    pub(crate) fn zlib(data: &[u8]) -> Vec<u8> {
        use std::io::Write;
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        z.write_all(data).unwrap();
        z.finish().unwrap()
    }

    #[test]
    fn an_entry_declaring_an_impossible_size_is_left_out_without_allocating_it() {
        let dir = tempfile::tempdir().unwrap();
        let ok = Oid::hash_object(git2::ObjectType::Blob, b"hello\n").unwrap();
        let bad = Oid::from_str("00000000000000000000000000000000000000aa").unwrap();
        let mut good = vec![0x30 | 6];
        good.extend(zlib(b"hello\n"));
        // A blob claiming 2^59 bytes (type 3; size bits 4 + 7 * 7, then 0x40).
        let mut huge = vec![0x80 | 0x30];
        huge.extend([0x80; 7]);
        huge.push(0x40);
        huge.extend(zlib(b"tiny"));
        let idx = write_pack(dir.path(), &[(ok, good), (bad, huge)]);
        let pack = Pack::open(&idx).unwrap();
        let got = pack.for_each(
            ObjectKind::Blob,
            |_| true,
            || (),
            |_, id, bytes| (id, bytes.to_vec()),
        );
        assert_eq!(got, vec![(ok, (ok, b"hello\n".to_vec()))]);
    }

    #[test]
    fn a_delta_writing_past_its_declared_size_stops_there() {
        // A 64 KiB base and a delta declaring 1 byte whose 4,096 copies of
        // 64 KiB would write 256 MiB.
        let base = vec![b'a'; 0x10000];
        let mut delta = vec![0x80, 0x80, 0x04, 1];
        delta.extend([0x80; 4096]);
        assert!(apply_delta(&base, &delta).is_none());
        let mut delta = vec![0x80, 0x80, 0x04, 1, 2, b'x', b'y'];
        assert!(apply_delta(&base, &delta).is_none(), "an insert past it");
        delta.truncate(4);
        delta.extend([1, b'x']);
        assert_eq!(apply_delta(&base, &delta).unwrap(), b"x");
    }

    #[test]
    fn an_index_of_another_pack_is_refused() {
        let dir = packed_repo(true);
        let idx = pack_indexes(&dir.path().join(".git/objects")).remove(0);
        let pack = idx.with_extension("pack");
        let mut bytes = std::fs::read(&pack).unwrap();
        let n = bytes.len();
        bytes[n - 1] ^= 1; // the trailing checksum the index records
        let other = dir.path().join("other.pack");
        std::fs::write(&other, bytes).unwrap();
        std::fs::copy(&idx, other.with_extension("idx")).unwrap();
        assert!(Pack::open(&idx).is_ok());
        assert!(Pack::open(&other.with_extension("idx")).is_err());
    }

    /// Found by the `pack` fuzz target: an index whose ids are out of order
    /// held one object twice, apart, and it was delivered twice.
    #[test]
    fn an_index_whose_ids_are_not_sorted_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let a = Oid::hash_object(git2::ObjectType::Blob, b"a\n").unwrap();
        let b = Oid::hash_object(git2::ObjectType::Blob, b"b\n").unwrap();
        let entry = |data: &[u8]| {
            let mut e = vec![0x30 | data.len() as u8];
            e.extend(zlib(data));
            e
        };
        let idx = write_pack(dir.path(), &[(a, entry(b"a\n")), (b, entry(b"b\n"))]);
        assert!(Pack::open(&idx).is_ok());
        // Swap the two ids in the index's id table.
        let mut bytes = std::fs::read(&idx).unwrap();
        let ids = IDX_HEADER..IDX_HEADER + 2 * SHA1_LEN;
        let (first, second) = bytes[ids].split_at_mut(SHA1_LEN);
        first.swap_with_slice(second);
        std::fs::write(&idx, bytes).unwrap();
        let err = Pack::open(&idx).err().expect("refused");
        assert!(err.to_string().contains("not sorted"), "{err}");
    }

    #[test]
    fn an_object_held_twice_is_delivered_once() {
        let dir = tempfile::tempdir().unwrap();
        let id = Oid::hash_object(git2::ObjectType::Blob, b"hello\n").unwrap();
        let mut entry = vec![0x30 | 6];
        entry.extend(zlib(b"hello\n"));
        let idx = write_pack(dir.path(), &[(id, entry.clone()), (id, entry)]);
        let pack = Pack::open(&idx).unwrap();
        assert_eq!(pack.len(), 2);
        let got = pack.for_each(ObjectKind::Blob, |_| true, || (), |_, id, _| id);
        assert_eq!(got, vec![(id, id)]);
    }

    #[test]
    fn the_largest_subtree_is_rebuilt_last() {
        // 0 ← 1, 2; 1 ← 3, 4, 5; 2 ← 6 (CSR: children of i at first[i]..first[i + 1]).
        let first = [0, 2, 5, 6, 6, 6, 6, 6];
        let mut children = [1, 2, 3, 4, 5, 6];
        largest_subtree_last(&[0], &first, &mut children);
        assert_eq!(
            children[..2],
            [2, 1],
            "1's subtree (4 entries) after 2's (2)"
        );
        assert_eq!(children[2..5], [3, 4, 5]);
    }

    #[test]
    fn a_delta_claiming_a_huge_result_is_rejected() {
        // base size 1, result size 2^59, then one inserted byte.
        let mut delta = vec![1];
        delta.extend([0x80; 8]);
        delta.extend([0x08, 1, b'x']);
        assert!(apply_delta(b"a", &delta).is_none());
    }

    #[test]
    fn applies_copies_and_inserts() {
        let base = b"0123456789abcdef";
        // base size 16, result size 9: copy 4 bytes at 10, insert "xyz", copy 2 at 0.
        let delta = [16, 9, 0x91, 10, 4, 3, b'x', b'y', b'z', 0x90, 2];
        assert_eq!(apply_delta(base, &delta).unwrap(), b"abcdxyz01");
        // A copy of size 0 means 0x10000 bytes.
        let big = vec![7u8; 0x10000];
        let delta = [0x80, 0x80, 0x04, 0x80, 0x80, 0x04, 0x80];
        assert_eq!(apply_delta(&big, &delta).unwrap(), big);
    }

    #[test]
    fn rejects_malformed_deltas() {
        let base = b"0123456789";
        assert!(
            apply_delta(base, &[9, 1, 1, b'x']).is_none(),
            "wrong base size"
        );
        assert!(
            apply_delta(base, &[10, 2, 1, b'x']).is_none(),
            "result shorter than declared"
        );
        assert!(
            apply_delta(base, &[10, 1, 0]).is_none(),
            "opcode 0 is reserved"
        );
        assert!(
            apply_delta(base, &[10, 4, 0x91, 8, 4]).is_none(),
            "copy past the base"
        );
        assert!(
            apply_delta(base, &[10, 3, 3, b'x']).is_none(),
            "insert past the delta"
        );
        assert!(apply_delta(base, &[0x80]).is_none(), "cut varint");
    }

    #[test]
    fn parses_entry_headers() {
        // A blob of size 0x123: type 3, low nibble 3, then 0x12.
        let h = parse_entry_header(&[0x80 | (3 << 4) | 3, 0x12], 100).unwrap();
        assert_eq!((h.kind, h.size, h.len), (3, 0x123, 2));
        // An offset delta 0x81 (encoded 0x80|0, 0x01 → (0+1)*128+1 = 129) back.
        let h = parse_entry_header(&[6 << 4 | 5, 0x80, 0x01], 1000).unwrap();
        assert!(matches!(h.base, Base::Offset(871)));
        assert_eq!(h.len, 3);
        assert!(
            parse_entry_header(&[6 << 4 | 5, 0x7f], 10).is_err(),
            "base before the pack"
        );
        assert!(
            parse_entry_header(&[5 << 4], 10).is_err(),
            "type 5 is reserved"
        );
        assert!(
            parse_entry_header(&[0x80 | 3 << 4], 10).is_err(),
            "cut short"
        );
    }
}
