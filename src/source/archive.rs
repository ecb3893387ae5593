//! Archives and compressed files: zip and everything built on it (`.jar`,
//! `.whl`, `.apk`, `.docx`, `.xlsx`, `.epub`, `.vsix`, `.nupkg`, …), tar,
//! gzip, and gzipped tar.
//!
//! Archives are recognised by their **magic bytes** — zip `PK\x03\x04`, gzip
//! `\x1f\x8b\x08`, tar `ustar` at offset 257 — in the first bytes already
//! read, whatever the name (a `.docx`, or a `backup` with no extension); the
//! name is a fallback for archives whose start does not say (a zip with a
//! stub before it, an old tar without `ustar`). A gzip stream is opened as a
//! tar when it holds one.
//!
//! An archive's own bytes are always scanned as a file; this module then
//! scans each member, streamed in chunks, with findings located as
//! `archive.zip!inner/path` and lines counted inside the member. Archives
//! inside archives are opened too, down to [`MAX_DEPTH`] levels.
//!
//! Zip members are read with every method the `zip` crate decodes (deflate,
//! deflate64, bzip2, LZMA, XZ, zstd, PPMd, and the legacy shrink, reduce and
//! implode). A member that cannot be read — an unknown method, encryption, a
//! corrupt entry — is an input left unread: an error names it
//! (`archive.zip!member`) and the scan is incomplete; the other members are
//! still read. A file that is not an archive after all (it cannot be opened)
//! is only a warning: its raw bytes were scanned.
//!
//! Limits keep a hostile archive from hanging the scan or exhausting memory:
//! at most `--archive-limit` (default [`DEFAULT_LIMIT`]) decompressed bytes and
//! [`MAX_ENTRIES`] members per top-level archive, and nested archives of at most [`MAX_NESTED`] bytes (they
//! are read into memory). Past a limit a warning says what was not read; the
//! archive's raw bytes were scanned regardless.

use std::io::{Cursor, Read, Seek};
use std::ops::ControlFlow;
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
/// Bytes at the start of a file that tell an archive by its magic bytes.
pub const SNIFF_LEN: usize = 512;

/// The archive formats understood.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArchiveKind {
    /// Zip and its relatives.
    Zip,
    /// Uncompressed tar.
    Tar,
    /// Gzip: a single compressed file, or a compressed tar.
    Gz,
}

impl ArchiveKind {
    /// The kind of archive `head` (the first bytes of a file, [`SNIFF_LEN`]
    /// of them or all there are) starts like, by magic bytes.
    pub fn sniff(head: &[u8]) -> Option<Self> {
        if head.starts_with(b"PK\x03\x04") {
            Some(Self::Zip)
        } else if head.starts_with(b"\x1f\x8b\x08") {
            Some(Self::Gz)
        } else if is_tar(head) {
            Some(Self::Tar)
        } else {
            None
        }
    }

    /// The kind of archive a file name says it is, by extension (case-insensitive).
    pub fn of(name: &str) -> Option<Self> {
        let lower = name.to_ascii_lowercase();
        let ext = |e: &str| lower.ends_with(e);
        if ext(".gz") || ext(".tgz") {
            Some(Self::Gz)
        } else if ext(".tar") {
            Some(Self::Tar)
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

    /// The kind of the file `name` starting with `head`: by magic bytes,
    /// else by name.
    pub fn detect(name: &str, head: &[u8]) -> Option<Self> {
        Self::sniff(head).or_else(|| Self::of(name))
    }
}

/// A POSIX or GNU tar header: `ustar` at offset 257.
fn is_tar(head: &[u8]) -> bool {
    head.get(257..262) == Some(b"ustar")
}

/// Whether a name says its gzip stream holds a tar.
fn names_a_tar(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    lower.ends_with(".tar.gz") || lower.ends_with(".tgz")
}

/// The name of the one member of the gzip file at `path`: its file name
/// without `.gz` (`logs/app.log.gz` → `app.log`), or the whole file name
/// when it does not end so.
fn gz_member_name(path: &str) -> String {
    let name = path.rsplit(['/', '!']).next().unwrap_or_default();
    match name.len().checked_sub(3) {
        Some(cut) if cut > 0 && name[cut..].eq_ignore_ascii_case(".gz") => name[..cut].to_string(),
        _ => name.to_string(),
    }
}

/// The first [`SNIFF_LEN`] bytes of `reader` (fewer at EOF).
fn read_head(reader: &mut dyn Read) -> std::io::Result<Vec<u8>> {
    let mut head = vec![0; SNIFF_LEN];
    let n = super::stream::fill(reader, &mut head)?;
    head.truncate(n);
    Ok(head)
}

/// Why an archive's members could not all be visited.
#[derive(Debug)]
enum Failure {
    /// It could not be opened at all: probably not an archive.
    Open(std::io::Error),
    /// It broke part way: the members after the damage are unread.
    Broken(std::io::Error),
}

/// A member as offered to a visitor: its reader, or why it cannot be read.
type Offered<'r> = Result<&'r mut dyn Read, std::io::Error>;

/// Offer each file member of the archive `data` (of kind `kind`, at display
/// path `path`) to `visit`, in order, until it breaks. A member that cannot
/// be opened is offered as its error; an error reading an offered member is
/// the visitor's to report. After a failed tar or gzip member the stream
/// cannot be trusted, so the walk stops; a zip's other members are still offered.
fn each_member(
    kind: ArchiveKind,
    data: Box<dyn ReadSeek + '_>,
    path: &str,
    visit: &mut dyn FnMut(&str, Offered<'_>) -> ControlFlow<()>,
) -> Result<(), Failure> {
    match kind {
        ArchiveKind::Zip => {
            let mut zip =
                zip::ZipArchive::new(data).map_err(|e| Failure::Open(std::io::Error::other(e)))?;
            for i in 0..zip.len() {
                let name = zip.name_for_index(i).unwrap_or_default().to_string();
                let flow = match zip.by_index(i) {
                    Ok(entry) if entry.is_dir() => continue,
                    Ok(mut entry) => visit(&name, Ok(&mut entry)),
                    Err(e) => visit(&name, Err(std::io::Error::other(e))),
                };
                if flow.is_break() {
                    break;
                }
            }
            Ok(())
        }
        ArchiveKind::Tar => each_tar_member(data, visit),
        ArchiveKind::Gz => {
            let mut gz = flate2::read::MultiGzDecoder::new(data);
            let head = read_head(&mut gz).map_err(Failure::Open)?;
            let mut stream = Cursor::new(head).chain(gz);
            if is_tar(stream.get_ref().0.get_ref()) || names_a_tar(path) {
                each_tar_member(Box::new(stream), visit)
            } else {
                let _ = visit(&gz_member_name(path), Ok(&mut stream));
                Ok(())
            }
        }
    }
}

fn each_tar_member(
    data: Box<dyn Read + '_>,
    visit: &mut dyn FnMut(&str, Offered<'_>) -> ControlFlow<()>,
) -> Result<(), Failure> {
    let mut tar = tar::Archive::new(data);
    let entries = tar.entries().map_err(Failure::Open)?;
    let mut seen = false;
    for entry in entries {
        let mut entry = match entry {
            Ok(entry) => entry,
            Err(e) if seen => return Err(Failure::Broken(e)),
            Err(e) => return Err(Failure::Open(e)),
        };
        seen = true;
        if !entry.header().entry_type().is_file() {
            continue;
        }
        let name = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
        if visit(&name, Ok(&mut entry)).is_break() {
            break;
        }
    }
    Ok(())
}

/// The bytes of the member at `inner` (`conf/app.env`, or `plugin.zip!deep/key.txt`
/// through nested archives) of the archive `bytes` found at `path`: for
/// reading a key back from where a report says it was. Members larger
/// than `limit` bytes are refused.
pub fn read_member(bytes: &[u8], path: &str, inner: &str, limit: u64) -> Result<Vec<u8>, String> {
    read_member_at(bytes, path, inner, limit, 1)
}

/// The names of the file members of the archive `bytes` found at `path`
/// (without a leading `./`, as findings show them): for reading a key back
/// from a member's name. Members nested in archives are not listed.
pub fn member_names(bytes: &[u8], path: &str) -> Result<Vec<String>, String> {
    let head = &bytes[..bytes.len().min(SNIFF_LEN)];
    let kind =
        ArchiveKind::detect(path, head).ok_or_else(|| format!("`{path}` is not an archive"))?;
    let mut names = Vec::new();
    let mut visit = |name: &str, _: Offered<'_>| -> ControlFlow<()> {
        names.push(name.trim_start_matches("./").to_string());
        ControlFlow::Continue(())
    };
    match each_member(kind, Box::new(Cursor::new(bytes)), path, &mut visit) {
        Err(Failure::Open(e) | Failure::Broken(e)) if names.is_empty() => {
            Err(format!("cannot read archive `{path}`: {e}"))
        }
        _ => Ok(names),
    }
}

fn read_member_at(
    bytes: &[u8],
    path: &str,
    inner: &str,
    limit: u64,
    depth: usize,
) -> Result<Vec<u8>, String> {
    let head = &bytes[..bytes.len().min(SNIFF_LEN)];
    let kind =
        ArchiveKind::detect(path, head).ok_or_else(|| format!("`{path}` is not an archive"))?;
    let mut found: Option<Result<Vec<u8>, String>> = None;
    let mut visit = |name: &str, offered: Offered<'_>| -> ControlFlow<()> {
        let name = name.trim_start_matches("./");
        let nested = inner
            .strip_prefix(name)
            .and_then(|rest| rest.strip_prefix('!'))
            .filter(|_| depth < MAX_DEPTH);
        if name != inner && nested.is_none() {
            return ControlFlow::Continue(());
        }
        let here = format!("{path}!{name}");
        let read = offered.and_then(|reader| {
            let mut out = Vec::new();
            reader.take(limit + 1).read_to_end(&mut out)?;
            Ok(out)
        });
        let result = match read {
            Err(e) => Err(format!("cannot read `{here}`: {e}")),
            Ok(out) if out.len() as u64 > limit => {
                Err(format!("`{here}` is larger than {} MiB", limit >> 20))
            }
            Ok(out) => match nested {
                None => Ok(out),
                Some(rest) => read_member_at(&out, &here, rest, limit, depth + 1),
            },
        };
        // A nested path may also be a member's own name holding `!`: keep looking.
        if result.is_ok() || found.is_none() {
            found = Some(result);
        }
        if found.as_ref().is_some_and(Result::is_ok) {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    };
    let walked = each_member(kind, Box::new(Cursor::new(bytes)), path, &mut visit);
    match (found, walked) {
        (Some(result), _) => result,
        (None, Err(Failure::Open(e) | Failure::Broken(e))) => {
            Err(format!("cannot read archive `{path}`: {e}"))
        }
        (None, Ok(())) => Err(format!("no member `{inner}` in `{path}`")),
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
        raw: at
            .raw
            .as_ref()
            .map(|raw| [raw, b"!".as_slice(), name.as_bytes()].concat()),
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
        let mut visit = |name: &str, offered: Offered<'_>| -> ControlFlow<()> {
            if !self.take_entry(at) {
                return ControlFlow::Break(());
            }
            let inner = member(at, name);
            let read = offered.and_then(|reader| self.member(reader, &inner, depth));
            match read {
                Ok(()) => ControlFlow::Continue(()),
                Err(e) => {
                    self.ctx.problems.unread(&format!(
                        "could not read `{}`: {e}; a key in it would go unseen",
                        inner.path
                    ));
                    if kind == ArchiveKind::Zip {
                        ControlFlow::Continue(())
                    } else {
                        ControlFlow::Break(())
                    }
                }
            }
        };
        match each_member(kind, data, &at.path, &mut visit) {
            Ok(()) => {}
            Err(Failure::Open(e)) => self.ctx.problems.warn(&format!(
                "could not read all of archive `{}`: {e}; its raw bytes were scanned",
                at.path
            )),
            Err(Failure::Broken(e)) => self.ctx.problems.unread(&format!(
                "could not read all of archive `{}`: {e}; the members after the damage were not scanned",
                at.path
            )),
        }
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
            // Members left unread are inputs not scanned: the run is
            // incomplete, as for a member that cannot be read.
            self.ctx.problems.unread(&format!(
                "stopped reading archive `{}` after {what} (a decompression bomb?); the rest of it was not scanned (raise `--archive-limit` to read it)",
                at.path
            ));
        }
    }

    /// Scan one member: streamed, or read into memory when it is itself an
    /// archive (by its first bytes, or its name).
    fn member(
        &mut self,
        reader: &mut dyn Read,
        at: &Provenance,
        depth: usize,
    ) -> std::io::Result<()> {
        // The member's own name (the archive's path was looked at before).
        let name_at = at.path.rfind('!').map_or(0, |i| i + 1);
        self.ctx.path_findings(at, name_at, self.out);
        let allowance = self.budget.expanded;
        let mut limited = reader.take(allowance + 1);
        let head = read_head(&mut limited)?;
        let nested = ArchiveKind::detect(&at.path, &head).filter(|_| depth < MAX_DEPTH);
        let mut limited = Cursor::new(head).chain(limited);
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
                    self.ctx.problems.unread(&format!(
                        "did not open nested archive `{}`: larger than {} MiB; scanned it as plain bytes, its members unread",
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn archives_are_told_by_magic_bytes_then_by_name() {
        let mut tar = vec![0u8; 512];
        tar[257..263].copy_from_slice(b"ustar\0");
        assert_eq!(
            ArchiveKind::sniff(b"PK\x03\x04rest"),
            Some(ArchiveKind::Zip)
        );
        assert_eq!(ArchiveKind::sniff(b"\x1f\x8b\x08\0"), Some(ArchiveKind::Gz));
        assert_eq!(ArchiveKind::sniff(&tar), Some(ArchiveKind::Tar));
        assert_eq!(ArchiveKind::sniff(b"\x1f\x8b"), None);
        assert_eq!(ArchiveKind::sniff(b"plain text"), None);
        assert_eq!(
            ArchiveKind::detect("a.docx", b"PK\x03\x04"),
            Some(ArchiveKind::Zip)
        );
        assert_eq!(
            ArchiveKind::detect("old.tar", b"no magic"),
            Some(ArchiveKind::Tar)
        );
        assert_eq!(ArchiveKind::detect("x.tgz", b""), Some(ArchiveKind::Gz));
        assert_eq!(ArchiveKind::detect("notes.txt", b"text"), None);
    }

    #[test]
    fn a_gzip_member_is_named_after_its_file() {
        assert_eq!(gz_member_name("logs/app.log.gz"), "app.log");
        assert_eq!(gz_member_name("a.zip!b/c.GZ"), "c");
        assert_eq!(gz_member_name("notes.dat"), "notes.dat");
        assert_eq!(gz_member_name(".gz"), ".gz");
    }
}
