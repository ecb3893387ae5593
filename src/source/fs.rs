//! The file-system source: a parallel, `.gitignore`-aware walk of PATHs (SPEC §3 `scan`).
//!
//! Walks with the `ignore` crate's parallel walker (one thread per core by
//! default), scanning each file on the thread that found it, like ripgrep.
//! Hidden files are included (`.env` is where keys leak most); `.git/` is
//! skipped. Binary files are scanned too. FIFOs, sockets and devices met in
//! a tree are skipped with a warning (reading one could block forever); one
//! named on the command line is an input left unread, so the scan is incomplete. Files of any size are read in
//! chunks of [`super::stream::TREE_CHUNK`] bytes with an overlap, through one
//! buffer per thread, so memory stays flat however large a file or a line
//! is, and the bytes read stay in cache while they are scanned.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use ignore::{WalkBuilder, WalkState};

use super::{Provenance, ScanContext, Stats};
use crate::finding::Finding;

/// How to walk.
#[derive(Debug, Clone, Default)]
pub struct WalkOptions {
    /// Scan ignored files too (`.gitignore`, `.ignore`, git excludes).
    pub no_ignore: bool,
    /// Skip hidden files and directories (they are scanned by default).
    pub skip_hidden: bool,
    /// Follow symbolic links.
    pub follow: bool,
    /// Worker threads; 0 picks one per core.
    pub threads: usize,
}

#[derive(Default)]
struct Counters {
    files: AtomicU64,
    bytes: AtomicU64,
    allowlisted: AtomicU64,
    symlinks: AtomicU64,
}

/// One root of the walk and how its paths are shown.
struct Root {
    given: PathBuf,
    canonical: PathBuf,
    /// The root relative to the current directory, when it lies under it.
    under_cwd: Option<PathBuf>,
}

impl Root {
    fn new(given: &Path, cwd: &Path) -> std::io::Result<Self> {
        let canonical = given.canonicalize()?;
        let under_cwd = canonical.strip_prefix(cwd).ok().map(Path::to_path_buf);
        Ok(Self {
            given: given.to_path_buf(),
            canonical,
            under_cwd,
        })
    }

    /// Display path and SARIF path of `path`, found under this root.
    fn provenance(&self, path: &Path) -> Provenance {
        let rel = path.strip_prefix(&self.given).unwrap_or(path);
        let (shown, uri) = match &self.under_cwd {
            Some(base) => {
                let p = if rel.as_os_str().is_empty() {
                    slash_path(base)
                } else {
                    slash_path(&base.join(rel))
                };
                (p.clone(), p)
            }
            None => {
                let uri = if rel.as_os_str().is_empty() {
                    path.file_name().map(Path::new).unwrap_or(path)
                } else {
                    rel
                };
                (slash_path(path), slash_path(uri))
            }
        };
        let raw = path.to_str().is_none().then(|| {
            let shown = match &self.under_cwd {
                Some(base) if rel.as_os_str().is_empty() => base.clone(),
                Some(base) => base.join(rel),
                None => path.to_path_buf(),
            };
            path_bytes(&shown)
        });
        Provenance {
            path: shown,
            uri,
            raw: raw.flatten(),
            commit: None,
        }
    }
}

/// A path as a `/`-separated string (non-UTF-8 bytes shown as U+FFFD).
pub fn slash_path(path: &Path) -> String {
    let s = path.to_string_lossy();
    let s = if std::path::MAIN_SEPARATOR == '\\' {
        s.replace('\\', "/")
    } else {
        s.into_owned()
    };
    s.strip_prefix("./").map(str::to_string).unwrap_or(s)
}

/// The bytes of `path` as [`slash_path`] shows it (without a leading `./`),
/// when they are not UTF-8: what [`Provenance::raw`] holds. Unix only (a
/// Windows path that is not Unicode has no byte form to keep).
fn path_bytes(path: &Path) -> Option<Vec<u8>> {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        let bytes = path.as_os_str().as_bytes();
        let bytes = bytes.strip_prefix(b"./").unwrap_or(bytes);
        std::str::from_utf8(bytes).is_err().then(|| bytes.to_vec())
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        None
    }
}

/// Scan every file under `paths`.
pub fn scan_paths(
    paths: &[PathBuf],
    opts: &WalkOptions,
    ctx: &ScanContext<'_>,
) -> (Vec<Finding>, Stats) {
    let findings = Mutex::new(Vec::new());
    let counters = Counters::default();
    let cwd = std::env::current_dir()
        .and_then(|d| d.canonicalize())
        .unwrap_or_default();
    for given in paths {
        match Root::new(given, &cwd) {
            Ok(root) => walk_root(&root, opts, ctx, &counters, &findings),
            Err(e) => ctx
                .problems
                .unread(&format!("could not read `{}`: {e}", given.display())),
        }
    }
    let stats = Stats {
        files: counters.files.into_inner(),
        bytes: counters.bytes.into_inner(),
        allowlisted: counters.allowlisted.into_inner(),
        symlinks: counters.symlinks.into_inner(),
    };
    let findings = findings
        .into_inner()
        .expect("a scanning thread panicked while holding the findings lock");
    (findings, stats)
}

fn walk_root(
    root: &Root,
    opts: &WalkOptions,
    ctx: &ScanContext<'_>,
    counters: &Counters,
    findings: &Mutex<Vec<Finding>>,
) {
    let mut builder = WalkBuilder::new(&root.given);
    builder
        .standard_filters(!opts.no_ignore)
        .hidden(opts.skip_hidden)
        .require_git(false)
        .follow_links(opts.follow)
        .threads(opts.threads)
        .filter_entry(|e| e.file_name() != ".git");
    builder.build_parallel().run(|| {
        let mut buf: Vec<u8> = Vec::new();
        let mut scratch = Vec::new();
        Box::new(move |entry| {
            let entry = match entry {
                Ok(entry) => entry,
                Err(err) => {
                    report_walk_error(ctx, &err);
                    return WalkState::Continue;
                }
            };
            let Some(file_type) = entry.file_type() else {
                return WalkState::Continue; // stdin, never produced here
            };
            let path = entry.path();
            if file_type.is_dir() {
                return WalkState::Continue;
            }
            if file_type.is_symlink() {
                match std::fs::metadata(path) {
                    Ok(_) => {
                        counters.symlinks.fetch_add(1, Ordering::Relaxed);
                    }
                    Err(e) => ctx.problems.warn(&format!(
                        "skipped broken symbolic link `{}`: {e}",
                        root.provenance(path).path
                    )),
                }
                return WalkState::Continue;
            }
            if !file_type.is_file() {
                let shown = root.provenance(path).path;
                if entry.depth() == 0 {
                    // Named on the command line: not scanning it leaves the run incomplete.
                    ctx.problems.unread(&format!(
                        "could not scan `{shown}`: not a regular file or directory (a FIFO, socket or device); copy its content to a file and scan that"
                    ));
                } else {
                    ctx.problems
                        .warn(&format!("skipped `{shown}`: not a regular file"));
                }
                return WalkState::Continue;
            }
            if ctx.config.has_path_allowlist() {
                let rel = path.strip_prefix(&root.given).unwrap_or(Path::new(""));
                if ctx.config.path_allowed(&root.canonical.join(rel)) {
                    counters.allowlisted.fetch_add(1, Ordering::Relaxed);
                    return WalkState::Continue;
                }
            }
            if buf.is_empty() {
                let len = super::stream::chunk_len(
                    super::stream::TREE_CHUNK,
                    ctx.scanner.overlap(),
                );
                buf = vec![0; len];
            }
            let mut found = Vec::new();
            ctx.path_findings(&root.provenance(path), 0, &mut found);
            match scan_file(path, root, ctx, &mut buf, &mut scratch, &mut found) {
                Ok(bytes) => {
                    counters.files.fetch_add(1, Ordering::Relaxed);
                    counters.bytes.fetch_add(bytes, Ordering::Relaxed);
                }
                Err(e) => ctx.problems.unread(&format!(
                    "could not read `{}`: {e}",
                    root.provenance(path).path
                )),
            }
            if !found.is_empty() {
                findings
                    .lock()
                    .expect("a scanning thread panicked while holding the findings lock")
                    .append(&mut found);
            }
            WalkState::Continue
        })
    });
}

fn report_walk_error(ctx: &ScanContext<'_>, err: &ignore::Error) {
    // Loops and broken links under --follow, unreadable directories, bad ignore files.
    let message = err.to_string();
    match err {
        ignore::Error::Partial(_) | ignore::Error::Glob { .. } => {
            ctx.problems.warn(&message);
        }
        _ if is_loop(err) => ctx.problems.warn(&format!("skipped {message}")),
        _ => ctx.problems.unread(&format!("could not read {message}")),
    }
}

fn is_loop(err: &ignore::Error) -> bool {
    match err {
        ignore::Error::Loop { .. } => true,
        ignore::Error::WithPath { err, .. } | ignore::Error::WithDepth { err, .. } => is_loop(err),
        _ => false,
    }
}

/// Scan one file: its bytes in chunks, then, if it is an archive (by its
/// first bytes, else its name), its members.
fn scan_file(
    path: &Path,
    root: &Root,
    ctx: &ScanContext<'_>,
    buf: &mut [u8],
    scratch: &mut Vec<crate::engine::Candidate>,
    out: &mut Vec<Finding>,
) -> std::io::Result<u64> {
    use super::archive::{scan_archive_file, ArchiveKind, SNIFF_LEN};
    let mut file = std::fs::File::open(path)?;
    let make = || root.provenance(path);
    let raw_from = out.len();
    let name = path.to_string_lossy();
    let mut head = Vec::new();
    let keep = if ctx.archives { SNIFF_LEN } else { 0 };
    let size = super::stream::scan_stream_keeping_head(
        &mut file, &name, &make, ctx, buf, scratch, out, &mut head, keep,
    )?;
    if ctx.archives {
        if let Some(kind) = ArchiveKind::detect(&name, &head) {
            let at = root.provenance(path);
            let members_from = out.len();
            scan_archive_file(kind, path, &at, ctx, buf, scratch, out);
            super::archive::prefer_members(out, raw_from, members_from);
        }
    }
    Ok(size)
}
