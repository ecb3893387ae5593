//! Archives and compressed files: `.zip` (and `.jar`, `.war`, `.ear`, `.whl`,
//! `.nupkg`, `.apk`, `.aar`, `.xpi`), `.tar`, `.tar.gz`/`.tgz` and `.gz`.
//!
//! An archive's own bytes are always scanned as a file; this module then
//! scans each member, streamed in chunks, with findings located as
//! `archive.zip!inner/path` and lines counted inside the member. Archives
//! inside archives are opened too, down to [`MAX_DEPTH`] levels.
//!
//! Limits keep a hostile archive from hanging the scan or exhausting memory:
//! at most `--archive-limit` (default [`DEFAULT_LIMIT`]) decompressed bytes and
//! [`MAX_ENTRIES`] members per top-level archive, and nested archives of at most [`MAX_NESTED`] bytes (they
//! are read into memory). Past a limit, or on a corrupt archive, a warning
//! says what was not read; the archive's raw bytes were scanned regardless.

use std::io::{Cursor, Read, Seek};
use std::path::Path;

use super::stream::{scan_bytes, scan_stream};
use super::{Provenance, ScanContext};
use crate::engine::Candidate;
use crate::finding::Finding;

/// How many archives deep members are opened (an archive in an archive in an archive).
pub const MAX_DEPTH: usize = 3;
/// Default for the decompressed bytes read from one top-level archive, all
/// members and levels together (`--archive-limit`).
pub const DEFAULT_LIMIT: u64 = 1 << 30;
/// Members read from one top-level archive.
pub const MAX_ENTRIES: usize = 100_000;
/// Largest nested archive opened (it is held in memory).
pub const MAX_NESTED: u64 = 64 << 20;

/// The archive formats understood.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArchiveKind {
    /// Zip and its relatives.
    Zip,
    /// Uncompressed tar.
    Tar,
    /// Gzip-compressed tar.
    TarGz,
    /// A single gzip-compressed file.
    Gz,
}

impl ArchiveKind {
    /// The kind of archive a file name says it is, by extension (case-insensitive).
    pub fn of(name: &str) -> Option<Self> {
        let lower = name.to_ascii_lowercase();
        let ext = |e: &str| lower.ends_with(e);
        if ext(".tar.gz") || ext(".tgz") {
            Some(Self::TarGz)
        } else if ext(".tar") {
            Some(Self::Tar)
        } else if ext(".gz") {
            Some(Self::Gz)
        } else if [
            ".zip", ".jar", ".war", ".ear", ".whl", ".nupkg", ".apk", ".aar", ".xpi",
        ]
        .iter()
        .any(|e| ext(e))
        {
            Some(Self::Zip)
        } else {
            None
        }
    }
}

trait ReadSeek: Read + Seek {}
impl<T: Read + Seek> ReadSeek for T {}

/// What is left of the limits for one top-level archive.
struct Budget {
    expanded: u64,
    entries: usize,
    exhausted: bool,
}

/// Scanning state shared down the levels of one top-level archive.
struct Walker<'a, 'c> {
    ctx: &'a ScanContext<'c>,
    buf: &'a mut [u8],
    scratch: &'a mut Vec<Candidate>,
    out: &'a mut Vec<Finding>,
    budget: Budget,
}

/// Scan the members of the archive file at `path` (whose own bytes were scanned already).
pub fn scan_archive_file(
    kind: ArchiveKind,
    path: &Path,
    at: &Provenance,
    ctx: &ScanContext<'_>,
    buf: &mut [u8],
    scratch: &mut Vec<Candidate>,
    out: &mut Vec<Finding>,
) {
    let file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) => {
            ctx.problems
                .warn(&format!("could not open archive `{}`: {e}", at.path));
            return;
        }
    };
    walker(ctx, buf, scratch, out).archive(kind, Box::new(file), at, 1);
}

/// Scan the members of an archive held in memory (a git blob).
pub fn scan_archive_bytes(
    kind: ArchiveKind,
    bytes: &[u8],
    at: &Provenance,
    ctx: &ScanContext<'_>,
    buf: &mut [u8],
    scratch: &mut Vec<Candidate>,
    out: &mut Vec<Finding>,
) {
    let data = Box::new(Cursor::new(bytes.to_vec()));
    walker(ctx, buf, scratch, out).archive(kind, data, at, 1);
}

fn walker<'a, 'c>(
    ctx: &'a ScanContext<'c>,
    buf: &'a mut [u8],
    scratch: &'a mut Vec<Candidate>,
    out: &'a mut Vec<Finding>,
) -> Walker<'a, 'c> {
    Walker {
        ctx,
        buf,
        scratch,
        out,
        budget: Budget {
            expanded: ctx.archive_limit,
            entries: MAX_ENTRIES,
            exhausted: false,
        },
    }
}

/// `out[raw..members]` were found in an archive's own bytes and
/// `out[members..]` in its members: drop the raw findings of keys that a
/// member also holds, since the member's location is the precise one.
pub fn prefer_members(out: &mut Vec<Finding>, raw: usize, members: usize) {
    if out.len() == members {
        return;
    }
    let inner: std::collections::HashSet<String> = out[members..]
        .iter()
        .map(|f| f.secret.sha256().to_string())
        .collect();
    let mut i = raw;
    let mut end = members;
    while i < end {
        if inner.contains(out[i].secret.sha256()) {
            out.remove(i);
            end -= 1;
        } else {
            i += 1;
        }
    }
}

fn member(at: &Provenance, name: &str) -> Provenance {
    let name = name.trim_start_matches("./");
    Provenance {
        path: format!("{}!{name}", at.path),
        uri: format!("{}!{name}", at.uri),
        commit: at.commit.clone(),
    }
}

impl Walker<'_, '_> {
    fn archive(
        &mut self,
        kind: ArchiveKind,
        data: Box<dyn ReadSeek + '_>,
        at: &Provenance,
        depth: usize,
    ) {
        let result = match kind {
            ArchiveKind::Zip => self.zip(data, at, depth),
            ArchiveKind::Tar => self.tar(data, at, depth),
            ArchiveKind::TarGz => {
                self.tar(Box::new(flate2::read::MultiGzDecoder::new(data)), at, depth)
            }
            ArchiveKind::Gz => {
                let inner = at
                    .path
                    .rsplit(['/', '!'])
                    .next()
                    .map(|n| n[..n.len() - 3].to_string())
                    .unwrap_or_default();
                let mut gz = flate2::read::MultiGzDecoder::new(data);
                self.member(&mut gz, &member(at, &inner), depth)
            }
        };
        if let Err(e) = result {
            self.ctx.problems.warn(&format!(
                "could not read all of archive `{}`: {e}; its raw bytes were scanned",
                at.path
            ));
        }
    }

    fn zip(
        &mut self,
        data: Box<dyn ReadSeek + '_>,
        at: &Provenance,
        depth: usize,
    ) -> std::io::Result<()> {
        let mut zip = zip::ZipArchive::new(data).map_err(std::io::Error::other)?;
        for i in 0..zip.len() {
            if !self.take_entry(at) {
                break;
            }
            let mut entry = zip.by_index(i).map_err(std::io::Error::other)?;
            if entry.is_dir() {
                continue;
            }
            let name = entry.name().to_string();
            self.member(&mut entry, &member(at, &name), depth)?;
        }
        Ok(())
    }

    fn tar(
        &mut self,
        data: Box<dyn Read + '_>,
        at: &Provenance,
        depth: usize,
    ) -> std::io::Result<()> {
        let mut tar = tar::Archive::new(data);
        for entry in tar.entries()? {
            if !self.take_entry(at) {
                break;
            }
            let mut entry = entry?;
            if !entry.header().entry_type().is_file() {
                continue;
            }
            let name = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
            self.member(&mut entry, &member(at, &name), depth)?;
        }
        Ok(())
    }

    fn take_entry(&mut self, at: &Provenance) -> bool {
        if self.budget.entries == 0 {
            self.exhausted(at, &format!("{MAX_ENTRIES} members"));
            return false;
        }
        self.budget.entries -= 1;
        !self.budget.exhausted
    }

    fn exhausted(&mut self, at: &Provenance, what: &str) {
        if !self.budget.exhausted {
            self.budget.exhausted = true;
            self.ctx.problems.warn(&format!(
                "stopped reading archive `{}` after {what} (a decompression bomb?); the rest of it was not scanned",
                at.path
            ));
        }
    }

    /// Scan one member: streamed, or read into memory when it is itself an archive.
    fn member(
        &mut self,
        reader: &mut dyn Read,
        at: &Provenance,
        depth: usize,
    ) -> std::io::Result<()> {
        // The member's own name (the archive's path was looked at before).
        let name_at = at.path.rfind('!').map_or(0, |i| i + 1);
        self.ctx.path_findings(at, name_at, self.out);
        let nested = ArchiveKind::of(&at.path).filter(|_| depth < MAX_DEPTH);
        let allowance = self.budget.expanded;
        let mut limited = reader.take(allowance + 1);
        let used = match nested {
            Some(kind) => {
                let mut bytes = Vec::new();
                (&mut limited)
                    .take(MAX_NESTED.min(allowance + 1))
                    .read_to_end(&mut bytes)?;
                let raw_from = self.out.len();
                scan_bytes(&bytes, at, self.ctx, self.scratch, self.out);
                let used = bytes.len() as u64;
                if used > MAX_NESTED.min(allowance) {
                    // Too large to hold: scan the rest as plain bytes.
                    let rest = scan_stream(
                        &mut limited,
                        &at.path,
                        &|| at.clone(),
                        self.ctx,
                        self.buf,
                        self.scratch,
                        self.out,
                    )?;
                    self.ctx.problems.warn(&format!(
                        "did not open nested archive `{}`: larger than {} MiB; scanned it as plain bytes",
                        at.path,
                        MAX_NESTED >> 20
                    ));
                    used + rest
                } else {
                    let members_from = self.out.len();
                    self.archive(kind, Box::new(Cursor::new(bytes)), at, depth + 1);
                    prefer_members(self.out, raw_from, members_from);
                    used
                }
            }
            None => scan_stream(
                &mut limited,
                &at.path,
                &|| at.clone(),
                self.ctx,
                self.buf,
                self.scratch,
                self.out,
            )?,
        };
        if used > allowance {
            self.budget.expanded = 0;
            let mib = self.ctx.archive_limit >> 20;
            self.exhausted(at, &format!("{mib} MiB of decompressed data"));
        } else {
            self.budget.expanded -= used;
        }
        Ok(())
    }
}
