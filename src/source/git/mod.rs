//! What the three git sources share: opening a repository, describing a
//! commit, reading and scanning blobs in parallel, and the "added keys" rule
//! of the change-based modes (SPEC §3 `--range`, `--staged`).
//!
//! Many blobs (a history) are first read pack by pack, each pack's delta
//! chains rebuilt once from their bases ([`pack`]); what the packs do
//! not deliver (loose objects, alternates, damaged entries), and the few
//! blobs of a range or staged scan, are read with one `git2::Repository` per
//! rayon worker (a repository is `Send` but not `Sync`), in the order the
//! caller gives: for history scans that is pack order, which keeps reads
//! sequential.
//!
//! A *change* is a new version of a file (a blob at a path) and the versions
//! it replaced (the same path in each parent, or in `HEAD` for staged
//! content). A change reports only the keys its new version *adds*: a key
//! already in any replaced version was there before and is not this
//! change's doing. So editing a file that already holds a key does
//! not report that key again, and moving a key within a file is not a new leak.

pub mod history;
pub mod index;
pub mod pack;
mod positioned;
pub mod push;
pub mod range;
pub mod staged;
pub mod trees;

use pack::{open_packs, ObjectKind, Pack};

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use anyhow::{Context, Result};
use git2::{Oid, Repository};
use rayon::prelude::*;

use crate::engine::content::LintHit;
use crate::engine::location::LinePos;
use crate::engine::{Candidate, Hit};
use crate::finding::{CommitInfo, Finding, Location};
use crate::source::archive::ArchiveKind;
use crate::source::{Provenance, ScanContext, Stats};

/// Bytes of pack file libgit2 maps at a time, and in all. By default it maps
/// windows of 1 GiB up to 8 GiB, so a history scan's resident memory grew
/// with the size of the pack; with these limits it stays flat (about 100 MiB
/// peak). Smaller limits cost time: at 8 MiB windows and 48 MiB in all, a
/// 50 MB pack kept being unmapped and mapped again (0.93 s against 0.78 s).
const PACK_WINDOW: usize = 16 << 20;
const PACK_MAPPED_LIMIT: usize = 64 << 20;

/// Set libgit2's process-wide options for reading many objects once each:
/// no object cache (nothing is read twice), no SHA-1 re-verification of each
/// object read (a third of a history scan's time, while zlib's checksum
/// still catches a damaged object), and bounded pack windows.
///
/// Call before any other thread uses libgit2.
#[allow(unsafe_code)]
pub fn tune_libgit2_for_scanning() {
    git2::opts::enable_caching(false);
    git2::opts::strict_hash_verification(false);
    // SAFETY: libgit2 reads these globals without locking, so they must not
    // change while another thread uses libgit2. The scanning threads are
    // started after this call, and misar-scan runs one scan per process.
    unsafe {
        // Errors only mean the option is unknown to this libgit2: keep its default.
        let _ = git2::opts::set_mwindow_size(PACK_WINDOW);
        let _ = git2::opts::set_mwindow_mapped_limit(PACK_MAPPED_LIMIT);
    }
}

/// Where a scan's threads open the repository: its git folder, and object
/// folders to read besides its own (a push's quarantine, SPEC §5, which
/// libgit2 does not look in unless told).
#[derive(Debug, Clone)]
pub struct ObjectStore {
    /// The repository's git folder.
    pub git_dir: PathBuf,
    /// Object folders read after the repository's own.
    pub extra_objects: Vec<PathBuf>,
}

impl ObjectStore {
    /// The objects of `repo` alone.
    pub fn of(repo: &Repository) -> Self {
        Self {
            git_dir: repo.path().to_path_buf(),
            extra_objects: Vec::new(),
        }
    }

    /// Open the repository with the extra object folders as alternates.
    pub fn open(&self) -> Result<Repository, git2::Error> {
        let repo = Repository::open(&self.git_dir)?;
        self.attach(&repo)?;
        Ok(repo)
    }

    /// Add the extra object folders to `repo`'s object database.
    pub fn attach(&self, repo: &Repository) -> Result<(), git2::Error> {
        if self.extra_objects.is_empty() {
            return Ok(());
        }
        let odb = repo.odb()?;
        for dir in &self.extra_objects {
            let dir = dir.to_str().ok_or_else(|| {
                git2::Error::from_str(&format!(
                    "the object folder `{}` is not valid UTF-8",
                    dir.display()
                ))
            })?;
            odb.add_disk_alternate(dir)?;
        }
        Ok(())
    }
}

/// Open the repository that holds `path` (a work tree, a `.git` folder or a
/// bare repository), looking upwards like `git` does.
pub fn open_repo(path: &Path) -> Result<Repository> {
    Repository::discover(path)
        .with_context(|| format!("failed to open a git repository at `{}`", path.display()))
}

/// The commit id, author and author date of `commit`.
pub fn commit_info(commit: &git2::Commit<'_>) -> CommitInfo {
    let author = commit.author();
    CommitInfo {
        id: commit.id().to_string(),
        author_name: String::from_utf8_lossy(author.name_bytes()).into_owned(),
        author_email: String::from_utf8_lossy(author.email_bytes()).into_owned(),
        date: rfc3339(author.when()),
    }
}

/// Keys in a commit's metadata: its author and committer (`Name <e-mail>`)
/// and its message, each reported at its own [`Location`].
pub fn commit_metadata_findings(
    ctx: &ScanContext<'_>,
    commit: &git2::Commit<'_>,
    out: &mut Vec<Finding>,
) {
    let info = commit_info(commit);
    let short = crate::secret::clip(&info.id, 12).to_string();
    ctx.metadata_findings(
        &signature_text(&commit.author()),
        Location::CommitAuthor,
        &info,
        &format!("the author of commit {short}"),
        out,
    );
    ctx.metadata_findings(
        &signature_text(&commit.committer()),
        Location::CommitCommitter,
        &info,
        &format!("the committer of commit {short}"),
        out,
    );
    ctx.metadata_findings(
        commit.message_raw_bytes(),
        Location::CommitMessage,
        &info,
        &format!("the message of commit {short}"),
        out,
    );
}

/// `Name <e-mail>` of a signature, as git writes it (what the metadata
/// findings of authors, committers and taggers are found in).
pub fn signature_text(sig: &git2::Signature<'_>) -> Vec<u8> {
    let mut text = sig.name_bytes().to_vec();
    text.extend_from_slice(b" <");
    text.extend_from_slice(sig.email_bytes());
    text.push(b'>');
    text
}

/// Keys in an annotated tag's tagger and message, reported at
/// [`Location::TagTagger`] and [`Location::TagMessage`] with the tag object
/// as their "commit" (its id, the tagger, the tag's date).
pub fn tag_metadata_findings(ctx: &ScanContext<'_>, tag: &git2::Tag<'_>, out: &mut Vec<Finding>) {
    let name = String::from_utf8_lossy(tag.name_bytes()).into_owned();
    let tagger = tag.tagger();
    let info = CommitInfo {
        id: tag.id().to_string(),
        author_name: tagger
            .as_ref()
            .map(|t| String::from_utf8_lossy(t.name_bytes()).into_owned())
            .unwrap_or_default(),
        author_email: tagger
            .as_ref()
            .map(|t| String::from_utf8_lossy(t.email_bytes()).into_owned())
            .unwrap_or_default(),
        date: tagger
            .as_ref()
            .map(|t| rfc3339(t.when()))
            .unwrap_or_default(),
    };
    let shown = if ctx.redact {
        crate::secret::redact_key_shaped(&name).into_owned()
    } else {
        name
    };
    if let Some(t) = &tagger {
        ctx.metadata_findings(
            &signature_text(t),
            Location::TagTagger,
            &info,
            &format!("the tagger of tag `{shown}`"),
            out,
        );
    }
    if let Some(message) = tag.message_bytes() {
        ctx.metadata_findings(
            message,
            Location::TagMessage,
            &info,
            &format!("the message of tag `{shown}`"),
            out,
        );
    }
}

/// A git timestamp as RFC 3339 in the author's own offset, e.g.
/// `2024-03-01T12:00:00+01:00`.
pub fn rfc3339(time: git2::Time) -> String {
    let offset = i64::from(time.offset_minutes());
    let local = time.seconds() + offset * 60;
    let (days, secs) = (local.div_euclid(86_400), local.rem_euclid(86_400));
    let (y, m, d) = crate::timestamp::civil_from_days(days);
    let sign = if offset < 0 { '-' } else { '+' };
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}{sign}{:02}:{:02}",
        secs / 3600,
        secs / 60 % 60,
        secs % 60,
        offset.abs() / 60,
        offset.abs() % 60
    )
}

/// A path inside a repository as shown in reports (`/`-separated; bytes that
/// are not UTF-8 shown as U+FFFD).
pub fn repo_path(path: &[u8]) -> String {
    String::from_utf8_lossy(path).into_owned()
}

/// `path`'s bytes when they are not UTF-8 (for [`Provenance::raw`]).
pub fn non_utf8(path: &[u8]) -> Option<Vec<u8>> {
    std::str::from_utf8(path).is_err().then(|| path.to_vec())
}

/// Provenance of a blob seen at `path` (inside the repository) in `commit`.
pub fn provenance(path: String, commit: Option<CommitInfo>) -> Provenance {
    Provenance {
        uri: path.clone(),
        path,
        raw: None,
        commit,
    }
}

/// What one blob holds, found before its path is known: keys, webhook-lint
/// hits (which apply only where the path is a source file the lints read),
/// and the kind of archive its magic bytes say it is, if any (whatever its path).
#[derive(Debug, Clone, Default)]
pub struct BlobHits {
    keys: Vec<Hit>,
    lints: Vec<LintHit>,
    archive: Option<ArchiveKind>,
}

impl BlobHits {
    /// Whether there is nothing to attribute.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty() && self.lints.is_empty() && self.archive.is_none()
    }

    /// The findings of blob `id` seen at `at`: its keys, its lint hits when
    /// the path is one the lints read, and, when the blob is an archive,
    /// the keys in its members (the blob is read again for that).
    pub fn findings(
        &self,
        repo: &Repository,
        id: Oid,
        ctx: &ScanContext<'_>,
        at: &Provenance,
        out: &mut Vec<Finding>,
    ) {
        let raw_from = out.len();
        ctx.findings(self.keys.clone(), 0, at, out);
        if ctx.linter.is_some_and(|l| l.wants(&at.path)) {
            ctx.lint_findings(self.lints.clone(), 0, at, out);
        }
        let Some(kind) = self.archive.filter(|_| ctx.archives) else {
            return;
        };
        match repo.find_blob(id) {
            Ok(blob) => {
                let members_from = out.len();
                let mut buf = vec![0; crate::source::stream::CHUNK];
                let mut scratch = Vec::new();
                crate::source::archive::scan_archive_bytes(
                    kind,
                    blob.content(),
                    at,
                    ctx,
                    &mut buf,
                    &mut scratch,
                    out,
                );
                crate::source::archive::prefer_members(out, raw_from, members_from);
            }
            Err(e) => ctx.problems.unread(&format!(
                "could not read blob {id} (`{}`) again to open it as an archive: {}",
                at.path,
                e.message()
            )),
        }
    }
}

/// Scan whole in-memory blob contents.
pub fn scan_blob(ctx: &ScanContext<'_>, bytes: &[u8], scratch: &mut Vec<Candidate>) -> BlobHits {
    // The lints run whatever the path (it is not known yet); their hits count
    // only where the path is a source file they read.
    let (keys, lints) = ctx.scan_buffer(bytes, 0, bytes.len(), LinePos::START, true, scratch);
    BlobHits {
        keys,
        lints,
        archive: if ctx.archives {
            ArchiveKind::sniff(&bytes[..bytes.len().min(crate::source::archive::SNIFF_LEN)])
        } else {
            None
        },
    }
}

/// The (rule id, key hash) of every finding blob `id` (`bytes`) gives at
/// `at`: what a replaced version already held.
fn identities(
    ctx: &ScanContext<'_>,
    repo: &Repository,
    id: Oid,
    bytes: &[u8],
    at: &Provenance,
) -> HashSet<(String, String)> {
    let mut found = Vec::new();
    scan_blob(ctx, bytes, &mut Vec::new()).findings(repo, id, ctx, at, &mut found);
    found
        .into_iter()
        .map(|f| (f.rule_id, f.secret.sha256().to_string()))
        .collect()
}

/// From how many blobs a scan reads them pack by pack ([`pack`])
/// before reading what is left one by one with libgit2. Reading a pack this
/// way first reads every entry header of the pack: worth it for a history,
/// not for a pull request's few files.
const PACK_PASS_MIN: usize = 2048;

/// Scan the blobs of `ids` that `packs` hold, each pack decoded once;
/// returns the ids still to read (loose objects, objects in an alternate's
/// packs, and any the packs could not decode).
fn scan_packs(
    packs: &[Pack],
    mut rest: Vec<Oid>,
    ctx: &ScanContext<'_>,
    files: &AtomicU64,
    bytes: &AtomicU64,
    found: &mut HashMap<Oid, BlobHits>,
) -> Vec<Oid> {
    for pack in packs {
        if rest.is_empty() {
            break;
        }
        let wanted: HashSet<Oid> = rest.iter().copied().collect();
        let read = pack.for_each(
            ObjectKind::Blob,
            |id| wanted.contains(id),
            Vec::new,
            |scratch, _, content| {
                files.fetch_add(1, Ordering::Relaxed);
                bytes.fetch_add(content.len() as u64, Ordering::Relaxed);
                scan_blob(ctx, content, scratch)
            },
        );
        let done: HashSet<Oid> = read.iter().map(|(id, _)| *id).collect();
        found.extend(read.into_iter().filter(|(_, hits)| !hits.is_empty()));
        rest.retain(|id| !done.contains(id));
    }
    rest
}

/// `ids` in the order the object database lists them (pack order, far
/// faster to read than id order), and the ids it does not hold.
fn odb_order(store: &ObjectStore, ids: Vec<Oid>) -> (Vec<Oid>, Vec<Oid>) {
    // Without a listing, each read reports its own failure.
    let Ok(repo) = store.open() else {
        return (ids, Vec::new());
    };
    let Ok(odb) = repo.odb() else {
        return (ids, Vec::new());
    };
    let mut left: HashSet<Oid> = ids.iter().copied().collect();
    let mut order = Vec::with_capacity(ids.len());
    let listed = odb.foreach(|id| {
        if left.remove(id) {
            order.push(*id);
        }
        true
    });
    if listed.is_err() {
        return (ids, Vec::new());
    }
    (order, left.into_iter().collect())
}

/// A partial clone (`git clone --filter=…`): objects its promisor remote
/// holds may be missing here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartialClone {
    /// The promisor remote (`origin`), when the configuration names one.
    pub remote: Option<String>,
    /// Its filter (`blob:none`), when recorded.
    pub filter: Option<String>,
}

/// Whether `repo` is a partial clone: a remote with `promisor = true`,
/// `extensions.partialClone`, or a `.promisor` pack.
pub fn partial_clone(repo: &Repository) -> Option<PartialClone> {
    let config = repo.config().ok()?.snapshot().ok()?;
    let mut remote = config.get_string("extensions.partialclone").ok();
    let mut filter = None;
    if let Ok(entries) = config.entries(Some(r"remote\..*\.promisor")) {
        let mut entries = entries;
        while let Some(Ok(entry)) = entries.next() {
            let (Some(name), true) = (entry.name(), entry.value() == Some("true")) else {
                continue;
            };
            let name = name
                .strip_prefix("remote.")
                .and_then(|n| n.strip_suffix(".promisor"))
                .map(str::to_string);
            remote = remote.or(name);
        }
    }
    if let Some(r) = &remote {
        filter = config
            .get_string(&format!("remote.{r}.partialclonefilter"))
            .ok();
    }
    let promisor_pack = std::fs::read_dir(repo.commondir().join("objects/pack"))
        .map(|dir| {
            dir.flatten()
                .any(|e| e.path().extension().is_some_and(|x| x == "promisor"))
        })
        .unwrap_or(false);
    (remote.is_some() || promisor_pack).then_some(PartialClone { remote, filter })
}

/// Report objects of `kind` the object database does not hold: each by id,
/// or — in a partial clone, where that is expected — once, with how many
/// and how to fetch them. Either way the scan is incomplete.
pub fn report_missing(store: &ObjectStore, mut ids: Vec<Oid>, kind: &str, ctx: &ScanContext<'_>) {
    if ids.is_empty() {
        return;
    }
    ids.sort();
    ids.dedup();
    let partial = Repository::open(&store.git_dir).ok().and_then(|r| {
        let root = r.workdir().unwrap_or(r.path()).to_string_lossy();
        let root = root.trim_end_matches('/').to_string();
        partial_clone(&r).map(|p| (p, root))
    });
    match partial {
        Some((partial, root)) => {
            let remote = partial.remote.as_deref().unwrap_or("origin");
            let filter = partial
                .filter
                .map(|f| format!(" (filter `{f}`)"))
                .unwrap_or_default();
            let n = ids.len();
            let s = if n == 1 { "" } else { "s" };
            ctx.problems.unread(&format!(
                "`{}` is a partial clone{filter}: {n} {kind}{s} it refers to {} not fetched from `{remote}` and could not be scanned; fetch {} with `git -C {} fetch --refetch --no-filter {remote}` (or scan a full clone), then scan again",
                root,
                if n == 1 { "was" } else { "were" },
                if n == 1 { "it" } else { "them" },
                root,
            ));
        }
        None => {
            for id in ids {
                ctx.problems.unread(&format!(
                    "could not read {kind} {id}: it is missing from the object database"
                ));
            }
        }
    }
}

/// Read and scan each of `ids` (with `packs`, the repository's packs if the
/// caller opened them already) on `threads` workers (0: one per core), each
/// with its own `Repository` opened from `store`. Returns the blobs that had
/// hits, and how many blobs and bytes were scanned. A blob that cannot be
/// read is reported as unread and skipped. The order of `ids` does not
/// matter: many are read pack by pack, the rest in the database's order.
pub fn scan_blobs(
    store: &ObjectStore,
    ids: &[Oid],
    packs: Option<&[Pack]>,
    threads: usize,
    ctx: &ScanContext<'_>,
) -> Result<(HashMap<Oid, BlobHits>, Stats)> {
    let (found, stats, missing) = scan_blobs_noting_missing(store, ids, packs, threads, ctx)?;
    report_missing(store, missing, "blob", ctx);
    Ok((found, stats))
}

/// [`scan_blobs`], returning the ids the object database does not hold
/// instead of reporting them.
fn scan_blobs_noting_missing(
    store: &ObjectStore,
    ids: &[Oid],
    packs: Option<&[Pack]>,
    threads: usize,
    ctx: &ScanContext<'_>,
) -> Result<(HashMap<Oid, BlobHits>, Stats, Vec<Oid>)> {
    let files = AtomicU64::new(0);
    let bytes = AtomicU64::new(0);
    let missing = std::sync::Mutex::new(Vec::new());
    let scan_one = |repo: &mut Option<Repository>, scratch: &mut Vec<Candidate>, id: &Oid| {
        let Some(repo) = repo.as_ref() else {
            ctx.problems.unread(&format!(
                "could not read blob {id}: the repository could not be opened"
            ));
            return None;
        };
        match repo.find_blob(*id) {
            Ok(blob) => {
                let content = blob.content();
                files.fetch_add(1, Ordering::Relaxed);
                bytes.fetch_add(content.len() as u64, Ordering::Relaxed);
                let hits = scan_blob(ctx, content, scratch);
                (!hits.is_empty()).then_some((*id, hits))
            }
            Err(e) if e.code() == git2::ErrorCode::NotFound => {
                missing
                    .lock()
                    .expect("no thread panics holding it")
                    .push(*id);
                None
            }
            Err(e) => {
                ctx.problems
                    .unread(&format!("could not read blob {id}: {}", e.message()));
                None
            }
        }
    };
    let open = || {
        let repo = store.open();
        if let Err(e) = &repo {
            ctx.problems.unread(&format!(
                "could not open `{}`: {}",
                store.git_dir.display(),
                e.message()
            ));
        }
        (repo.ok(), Vec::new())
    };
    let found: HashMap<Oid, BlobHits> = if ids.len() < 64 {
        // Not worth a thread pool (the staged scan of a small commit).
        let (mut repo, mut scratch) = open();
        ids.iter()
            .filter_map(|id| scan_one(&mut repo, &mut scratch, id))
            .collect()
    } else {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .context("failed to start the scanning threads")?;
        pool.install(|| {
            let mut found = HashMap::new();
            let mut rest = ids.to_vec();
            if let Some(packs) = packs {
                rest = scan_packs(packs, rest, ctx, &files, &bytes, &mut found);
            } else if ids.len() >= PACK_PASS_MIN {
                let objects = Repository::open(&store.git_dir)
                    .map(|r| r.commondir().join("objects"))
                    .unwrap_or_else(|_| store.git_dir.join("objects"));
                let packs = open_packs(&objects);
                rest = scan_packs(&packs, rest, ctx, &files, &bytes, &mut found);
            }
            if rest.len() >= 64 {
                let (order, absent) = odb_order(store, rest);
                rest = order;
                missing
                    .lock()
                    .expect("no thread panics holding it")
                    .extend(absent);
            }
            found.extend(
                rest.par_iter()
                    .with_min_len(16)
                    .map_init(open, |(repo, scratch), id| scan_one(repo, scratch, id))
                    .filter_map(std::convert::identity)
                    .collect::<Vec<_>>(),
            );
            found
        })
    };
    let stats = Stats {
        files: files.into_inner(),
        bytes: bytes.into_inner(),
        ..Stats::default()
    };
    let missing = missing.into_inner().expect("no thread panicked holding it");
    Ok((found, stats, missing))
}

/// A new version of a file and the versions it replaced.
#[derive(Debug, Clone)]
pub struct Change {
    /// The path inside the repository.
    pub path: Vec<u8>,
    /// The new blob.
    pub new: Oid,
    /// The blobs at this path before (one per parent that had the path).
    pub olds: Vec<Oid>,
    /// The commit that made the change (none for staged content).
    pub commit: Option<CommitInfo>,
}

/// Scan `changes` and report the keys each one adds (see the module docs).
/// Paths allow-listed in `.misar-scan.toml` are skipped.
pub fn scan_changes(
    repo: &Repository,
    store: &ObjectStore,
    changes: &[Change],
    threads: usize,
    ctx: &ScanContext<'_>,
) -> Result<(Vec<Finding>, Stats)> {
    let mut allowlisted = 0;
    let mut wanted: Vec<Oid> = Vec::new();
    let mut seen = HashSet::new();
    for change in changes {
        if ctx.config.repo_path_allowed(&repo_path(&change.path)) {
            allowlisted += 1;
        } else if seen.insert(change.new) {
            wanted.push(change.new);
        }
    }
    let (hits, mut stats, mut missing) =
        scan_blobs_noting_missing(store, &wanted, None, threads, ctx)?;
    stats.allowlisted = allowlisted;
    let mut findings = Vec::new();
    for change in changes {
        let path = repo_path(&change.path);
        if ctx.config.repo_path_allowed(&path) {
            continue;
        }
        let mut at = provenance(path.clone(), change.commit.clone());
        at.raw = non_utf8(&change.path);
        if change.olds.is_empty() {
            // A path this change brings (a new file, or a renamed one).
            ctx.path_findings(&at, 0, &mut findings);
        }
        let Some(new_hits) = hits.get(&change.new) else {
            continue;
        };
        // What the replaced versions already held, at the same path: keys,
        // lint hits and archive members alike are reported only when new.
        let mut before: HashSet<(String, String)> = HashSet::new();
        for old in &change.olds {
            match repo.find_blob(*old) {
                Ok(blob) => before.extend(identities(ctx, repo, *old, blob.content(), &at)),
                Err(e) if e.code() == git2::ErrorCode::NotFound => missing.push(*old),
                Err(e) => ctx.problems.unread(&format!(
                    "could not read blob {old} (the previous version of `{path}`): {}",
                    e.message()
                )),
            }
        }
        let mut new = Vec::new();
        new_hits.findings(repo, change.new, ctx, &at, &mut new);
        findings.extend(
            new.into_iter()
                .filter(|f| !before.contains(&(f.rule_id.clone(), f.secret.sha256().to_string()))),
        );
    }
    report_missing(store, missing, "blob", ctx);
    Ok((findings, stats))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_uses_the_author_offset() {
        assert_eq!(rfc3339(git2::Time::new(0, 0)), "1970-01-01T00:00:00+00:00");
        assert_eq!(
            rfc3339(git2::Time::new(1_709_294_400, 60)),
            "2024-03-01T13:00:00+01:00"
        );
        assert_eq!(
            rfc3339(git2::Time::new(1_709_294_400, -330)),
            "2024-03-01T06:30:00-05:30"
        );
        assert_eq!(
            rfc3339(git2::Time::new(951_782_400, 0)),
            "2000-02-29T00:00:00+00:00"
        );
    }
}
