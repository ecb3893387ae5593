//! A minimal reader of git's index file and its cache-tree, so that
//! `scan --staged` costs what the change costs (issue 3: under 50 ms for a
//! 3-file change in a 50,000-file repository).
//!
//! libgit2's `diff_tree_to_index` re-hashes the whole index file (SHA-1 with
//! collision detection), builds a hash map of every entry and reads every
//! tree of `HEAD`: about 75 ms for 52,000 files. Here the index (versions 2
//! to 4) is parsed in one pass without hashing, and the cache-tree extension
//! (`TREE`) tells which folders are unchanged since they were last written
//! as trees: a folder whose cached tree id equals `HEAD`'s is skipped without
//! reading anything, so only the trees on the way to a changed file are read.
//!
//! Anything this reader does not handle — a split or sparse index, conflict
//! entries, an unknown required extension, a damaged file — makes [`read`]
//! return `None`, and the caller uses libgit2's diff instead.
//! Specification: git's `Documentation/gitformat-index.txt`.

use std::collections::HashMap;
use std::path::Path;

use anyhow::{Context, Result};
use git2::{Oid, Repository};

use super::Change;

const MODE_TREE: i32 = 0o040000;
const MODE_GITLINK: u32 = 0o160000;
const HASH_LEN: usize = 20;

/// One stage-0 entry of the index.
#[derive(Debug, Clone)]
struct Entry {
    path: Vec<u8>,
    id: Oid,
}

/// The parts of an index file the staged scan needs.
#[derive(Debug, Default)]
pub struct IndexFile {
    entries: Vec<Entry>,
    /// Folder (`""` for the root, else `dir/sub/`) → its tree id, for folders
    /// whose cache-tree entry is valid.
    cached_trees: HashMap<Vec<u8>, Oid>,
}

/// Read the index at `path`; `Ok(None)` when it uses something this reader
/// does not handle. A missing file is an empty index.
pub fn read(path: &Path) -> Result<Option<IndexFile>> {
    let data = match std::fs::read(path) {
        Ok(data) => data,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Ok(Some(IndexFile::default()))
        }
        Err(e) => {
            return Err(e)
                .with_context(|| format!("failed to read the git index `{}`", path.display()))
        }
    };
    Ok(parse(&data))
}

fn be32(data: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(data.get(at..at + 4)?.try_into().ok()?))
}

fn be16(data: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes(data.get(at..at + 2)?.try_into().ok()?))
}

fn parse(data: &[u8]) -> Option<IndexFile> {
    if data.get(..4)? != b"DIRC" {
        return None;
    }
    let version = be32(data, 4)?;
    if !(2..=4).contains(&version) {
        return None;
    }
    let count = be32(data, 8)? as usize;
    let end = data.len().checked_sub(HASH_LEN)?;
    let mut pos = 12;
    // An index entry takes at least 62 bytes: a corrupt count must not make
    // us reserve gigabytes.
    let mut entries = Vec::with_capacity(count.min(data.len() / 62));
    let mut name: Vec<u8> = Vec::new();
    for _ in 0..count {
        let start = pos;
        let mode = be32(data, start + 24)?;
        let id = Oid::from_bytes(data.get(start + 40..start + 60)?).ok()?;
        let flags = be16(data, start + 60)?;
        pos = start + 62;
        let mut intent_to_add = false;
        if flags & 0x4000 != 0 {
            if version < 3 {
                return None;
            }
            intent_to_add = be16(data, pos)? & 0x2000 != 0;
            pos += 2;
        }
        if version == 4 {
            let (strip, used) = varint(data.get(pos..end)?)?;
            pos += used;
            name.truncate(name.len().checked_sub(strip)?);
            let len = memchr::memchr(0, data.get(pos..end)?)?;
            name.extend_from_slice(&data[pos..pos + len]);
            pos += len + 1;
        } else {
            let len = memchr::memchr(0, data.get(pos..end)?)?;
            name.clear();
            name.extend_from_slice(&data[pos..pos + len]);
            // Entries are NUL-padded to a multiple of 8 bytes.
            pos = start + ((pos - start + len + 8) & !7);
        }
        if pos > end {
            return None;
        }
        let stage = (flags >> 12) & 3;
        if stage != 0 {
            return None; // conflicts: libgit2's diff reports them
        }
        if !intent_to_add && mode != MODE_GITLINK {
            entries.push(Entry {
                path: name.clone(),
                id,
            });
        }
    }
    let mut cached_trees = HashMap::new();
    while pos + 8 <= end {
        let signature = &data[pos..pos + 4];
        let size = be32(data, pos + 4)? as usize;
        let body = data.get(pos + 8..(pos + 8).checked_add(size)?)?;
        if signature == b"TREE" {
            let mut at = 0;
            while at < body.len() {
                cache_tree(body, &mut at, Vec::new(), &mut cached_trees, 0)?;
            }
        } else if !signature[0].is_ascii_uppercase() {
            return None; // a required extension (split or sparse index)
        }
        pos += 8 + size;
    }
    Some(IndexFile {
        entries,
        cached_trees,
    })
}

/// The offset encoding of index v4 path prefixes; returns (value, bytes used).
fn varint(data: &[u8]) -> Option<(usize, usize)> {
    let mut used = 0;
    let mut byte = *data.get(used)?;
    used += 1;
    let mut value = usize::from(byte & 0x7f);
    while byte & 0x80 != 0 {
        byte = *data.get(used)?;
        used += 1;
        value = value.checked_add(1)?.checked_mul(128)? | usize::from(byte & 0x7f);
    }
    Some((value, used))
}

/// Folder depth past which a cache-tree extension is taken for corrupt.
const MAX_TREE_DEPTH: usize = 4096;

/// One cache-tree node and its subtrees: `name NUL count SP subtrees LF [id]`.
fn cache_tree(
    body: &[u8],
    at: &mut usize,
    prefix: Vec<u8>,
    out: &mut HashMap<Vec<u8>, Oid>,
    depth: usize,
) -> Option<()> {
    // Deeper than any real tree: a corrupt extension must not overflow the stack.
    if depth > MAX_TREE_DEPTH {
        return None;
    }
    let rest = body.get(*at..)?;
    let nul = memchr::memchr(0, rest)?;
    let sp = nul + 1 + memchr::memchr(b' ', &rest[nul + 1..])?;
    let lf = sp + 1 + memchr::memchr(b'\n', &rest[sp + 1..])?;
    let count: i64 = std::str::from_utf8(&rest[nul + 1..sp]).ok()?.parse().ok()?;
    let subtrees: usize = std::str::from_utf8(&rest[sp + 1..lf]).ok()?.parse().ok()?;
    let mut path = prefix;
    if nul > 0 {
        path.extend_from_slice(&rest[..nul]);
        path.push(b'/');
    }
    *at += lf + 1;
    if count >= 0 {
        let id = Oid::from_bytes(body.get(*at..*at + HASH_LEN)?).ok()?;
        *at += HASH_LEN;
        out.insert(path.clone(), id);
    }
    for _ in 0..subtrees {
        cache_tree(body, at, path.clone(), out, depth + 1)?;
    }
    Some(())
}

impl IndexFile {
    /// The entries that differ from `head` (the tree of `HEAD`, if any):
    /// added files, and modified ones with the blob they replace.
    pub fn changes(&self, repo: &Repository, head: Option<Oid>) -> Result<Vec<Change>> {
        let mut out = Vec::new();
        self.diff_dir(repo, b"", head, &self.entries, &mut out)?;
        Ok(out)
    }

    fn diff_dir(
        &self,
        repo: &Repository,
        prefix: &[u8],
        head: Option<Oid>,
        entries: &[Entry],
        out: &mut Vec<Change>,
    ) -> Result<()> {
        if head.is_some() && self.cached_trees.get(prefix) == head.as_ref() {
            return Ok(()); // the folder is exactly HEAD's
        }
        let mut in_head: HashMap<Vec<u8>, (i32, Oid)> = HashMap::new();
        if let Some(id) = head {
            let tree = repo
                .find_tree(id)
                .with_context(|| format!("failed to read tree {id} of `HEAD`"))?;
            for e in tree.iter() {
                in_head.insert(e.name_bytes().to_vec(), (e.filemode(), e.id()));
            }
        }
        let mut i = 0;
        while i < entries.len() {
            let entry = &entries[i];
            let rest = &entry.path[prefix.len()..];
            match memchr::memchr(b'/', rest) {
                None => {
                    let old = in_head.get(rest).filter(|(mode, _)| *mode != MODE_TREE);
                    if old.is_none_or(|(_, id)| *id != entry.id) {
                        out.push(Change {
                            path: entry.path.clone(),
                            new: entry.id,
                            olds: old.map(|(_, id)| *id).into_iter().collect(),
                            commit: None,
                        });
                    }
                    i += 1;
                }
                Some(slash) => {
                    let dir = &entry.path[..prefix.len() + slash + 1];
                    let n = entries[i..].partition_point(|e| e.path.starts_with(dir));
                    let sub = in_head
                        .get(&rest[..slash])
                        .filter(|(mode, _)| *mode == MODE_TREE)
                        .map(|(_, id)| *id);
                    self.diff_dir(repo, dir, sub, &entries[i..i + n], out)?;
                    i += n;
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varint_matches_git() {
        assert_eq!(varint(&[0x05]), Some((5, 1)));
        assert_eq!(varint(&[0x80, 0x00]), Some((128, 2)));
        assert_eq!(varint(&[0x81, 0x7f]), Some((383, 2)));
        assert_eq!(varint(&[0x80]), None);
    }

    #[test]
    fn damaged_or_foreign_files_are_not_parsed() {
        assert!(parse(b"").is_none());
        assert!(parse(b"DIRC\0\0\0\x05\0\0\0\0aaaaaaaaaaaaaaaaaaaa").is_none());
        assert!(parse(b"DIRC\0\0\0\x02\0\0\0\x01aaaaaaaaaaaaaaaaaaaa").is_none());
        let empty = parse(b"DIRC\0\0\0\x02\0\0\0\0aaaaaaaaaaaaaaaaaaaa").expect("an empty index");
        assert!(empty.entries.is_empty());
    }
}
