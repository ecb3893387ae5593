//! The fuzz targets: one function per untrusted-input parser, each taking
//! arbitrary bytes. They are compiled twice: by `cargo fuzz` (nightly,
//! libFuzzer, `fuzz/fuzz_targets/*.rs`, run by `scripts/fuzz.sh`) and by the
//! stable test suite (`tests/fuzz_targets.rs`), which replays the committed
//! corpus in `fuzz/corpus/` and feeds each target random and mutated inputs
//! through proptest. A target panics only when the code under test does: a
//! crash is a bug, an `Err` is the right answer to bad input.
//!
//! What is covered, and where each input comes from in real use:
//! - `pack`: a pack and its index (`objects/pack/*.{idx,pack}` of a scanned
//!   repository, which may be an attacker's), through the blob and tree
//!   readers and the tree graph;
//! - `delta`: a git delta applied to a base;
//! - `git_index`: the index file read by `scan --staged`;
//! - `archive`: zip, tar, tar.gz and gzip members of a scanned file or blob;
//! - `scan`: any content through the matcher, every decoder and the webhook
//!   lints;
//! - `rules`: a rule file from `--rules DIR`;
//! - `config`: a `.misar-scan.toml` inside the scanned tree;
//! - `api`: a Misar API answer (status, content type, body);
//! - `report`: a JSON report read back by `verify REPORT`, `revoke REPORT`,
//!   and a baseline file;
//! - `stdin_keys`: keys on standard input (`verify --stdin`).

use std::path::Path;
use std::sync::OnceLock;

use misar_scan::api::client::RawResponse;
use misar_scan::config::RepoConfig;
use misar_scan::engine::Scanner;
use misar_scan::rules::RuleSet;
use misar_scan::source::archive::{scan_archive_bytes, ArchiveKind};
use misar_scan::source::git::pack::{apply_delta, ObjectKind, Pack};
use misar_scan::source::git::trees;
use misar_scan::source::{Problems, Provenance, ScanContext};

/// A fuzz target: arbitrary bytes in, a panic only on a bug.
pub type Target = fn(&[u8]);

/// Every target, by name (the names of `fuzz/fuzz_targets/*.rs` and of the
/// corpus folders).
pub const TARGETS: &[(&str, Target)] = &[
    ("pack", pack),
    ("delta", delta),
    ("git_index", git_index),
    ("archive", archive),
    ("scan", scan),
    ("rules", rules),
    ("config", config),
    ("api", api),
    ("report", report),
    ("stdin_keys", stdin_keys),
];

/// Split `data` at a length read from its first two bytes: `(head, tail)`.
fn split(data: &[u8]) -> (&[u8], &[u8]) {
    if data.len() < 2 {
        return (&[], data);
    }
    let n = u16::from_le_bytes([data[0], data[1]]) as usize;
    let rest = &data[2..];
    rest.split_at(n.min(rest.len()))
}

fn temp_dir() -> tempfile::TempDir {
    tempfile::tempdir().expect("a temporary folder")
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).expect("write a fuzz input");
    path
}

/// Input: 2-byte little-endian index length, the `.idx`, then the `.pack`.
pub fn pack(data: &[u8]) {
    let (idx, pack) = split(data);
    let dir = temp_dir();
    let idx_path = write(dir.path(), "pack-fuzz.idx", idx);
    write(dir.path(), "pack-fuzz.pack", pack);
    let Ok(pack) = Pack::open(&idx_path) else {
        return;
    };
    for kind in [ObjectKind::Blob, ObjectKind::Tree] {
        let got = pack.for_each(kind, |_| true, || (), |_, _, bytes| bytes.len());
        // An object is delivered at most once.
        let mut ids: Vec<_> = got.iter().map(|(id, _)| *id).collect();
        ids.sort();
        let before = ids.len();
        ids.dedup();
        assert_eq!(before, ids.len(), "an object delivered twice");
    }
    // The tree walk over whatever the pack holds, every object a root: it
    // ends (a cycle of trees stops at the depth limit), and what it lists
    // as named it reached.
    let trees: Vec<_> = pack
        .for_each(ObjectKind::Tree, |_| true, || (), |_, _, _| ())
        .into_iter()
        .map(|(id, ())| id)
        .collect();
    let packs = [pack];
    let table = trees::ObjectTable::new(&packs);
    let store = trees::Store {
        packs: &packs,
        table: &table,
        git_dir: dir.path(),
    };
    let roots: Vec<_> = trees
        .iter()
        .enumerate()
        .map(|(n, id)| (*id, n as u32))
        .collect();
    let mut reach = trees::Reach::new(&table);
    reach.walk(&store, &roots, &FuzzObserver);
    let named: std::collections::HashSet<_> = reach.named().into_iter().collect();
    for id in &named {
        assert!(reach.reached_tree(&table, id), "a named tree was reached");
    }
    let blobs: std::collections::HashSet<_> =
        reach.blobs(&table).into_iter().map(|(id, _)| id).collect();
    let ancestors = reach.ancestors(&store, &blobs, &named);
    for id in &named {
        assert!(ancestors.may_hold_name(id), "a named tree holds its name");
    }
}

struct FuzzObserver;

impl trees::Observer for FuzzObserver {
    fn name_holds_key(&self, name: &[u8]) -> bool {
        shared().scanner.name_holds_key(name)
    }

    fn unreadable(&self, _: git2::Oid, _: u32, _: &str) {}
}

/// Input: 2-byte base length, the base, then the delta.
pub fn delta(data: &[u8]) {
    let (base, delta) = split(data);
    if let Some(out) = apply_delta(base, delta) {
        // The result has the size the delta declares, which is bounded by
        // what its copy and insert ops can produce.
        assert!(out.len() <= base.len().saturating_mul(delta.len()) + delta.len());
    }
}

pub fn git_index(data: &[u8]) {
    let dir = temp_dir();
    let path = write(dir.path(), "index", data);
    let _ = misar_scan::source::git::index::read(&path);
}

/// Input: first byte picks the archive kind when the magic bytes do not,
/// the rest is the archive.
pub fn archive(data: &[u8]) {
    let Some((&pick, bytes)) = data.split_first() else {
        return;
    };
    // As the sources do: by magic bytes, else the kind the first byte picks
    // (the name would have said it).
    let kinds = [ArchiveKind::Zip, ArchiveKind::Tar, ArchiveKind::Gz];
    let kind = ArchiveKind::sniff(bytes).unwrap_or(kinds[pick as usize % kinds.len()]);
    with_context("fuzz.bin", |ctx, at| {
        let mut buf = vec![0; 64 << 10];
        let mut scratch = Vec::new();
        let mut out = Vec::new();
        scan_archive_bytes(kind, bytes, at, ctx, &mut buf, &mut scratch, &mut out);
    });
}

/// Any content, scanned as a JavaScript file (so the webhook lints run too).
pub fn scan(data: &[u8]) {
    with_context("fuzz.js", |ctx, at| {
        let mut scratch = Vec::new();
        let mut out = Vec::new();
        misar_scan::source::stream::scan_bytes(data, at, ctx, &mut scratch, &mut out);
        for f in &out {
            // Redaction is on: no snippet holds a key's full text, nor any
            // key-shaped run (lint findings show their own match, which is
            // code, not a secret, so only keys are compared in full).
            let text = f.snippet.text.as_bytes();
            assert!(
                misar_scan::secret::key_shaped_runs(text, 0, text.len()).is_empty(),
                "a snippet holds a key-shaped run"
            );
            let full = f.secret.expose();
            if f.location == misar_scan::finding::Location::File && full.len() > 8 {
                let is_key = misar_scan::secret::key_shaped_runs(full.as_bytes(), 0, full.len());
                assert!(
                    is_key.is_empty() || !f.snippet.text.contains(full),
                    "a snippet holds a full key"
                );
            }
        }
    });
}

/// The shipped rules, their matcher and linter, built once per process.
struct Shared {
    rules: RuleSet,
    scanner: Scanner,
    config: RepoConfig,
    linter: Option<misar_scan::engine::content::ContentLinter>,
}

fn shared() -> &'static Shared {
    static SHARED: OnceLock<Shared> = OnceLock::new();
    SHARED.get_or_init(|| {
        let rules = RuleSet::embedded().expect("the embedded rules load");
        let scanner = Scanner::with_decoding(&rules, &[], true);
        let linter = misar_scan::engine::content::ContentLinter::new(&rules);
        Shared {
            rules,
            scanner,
            config: RepoConfig::empty(),
            linter,
        }
    })
}

fn with_context(path: &str, run: impl FnOnce(&ScanContext<'_>, &Provenance)) {
    let s = shared();
    let problems = Problems::silent();
    let ctx = ScanContext {
        scanner: &s.scanner,
        rules: &s.rules,
        config: &s.config,
        redact: true,
        archives: true,
        archive_limit: 16 << 20,
        problems: &problems,
        linter: s.linter.as_ref(),
    };
    let at = Provenance {
        path: path.to_string(),
        uri: path.to_string(),
        raw: None,
        commit: None,
    };
    run(&ctx, &at);
}

pub fn rules(data: &[u8]) {
    let dir = temp_dir();
    write(dir.path(), "fuzz.toml", data);
    if let Ok(rules) = RuleSet::embedded_and_dir(dir.path()) {
        // Whatever loads compiles into a matcher and scans.
        let scanner = Scanner::new(&rules, &[]);
        let mut out = Vec::new();
        scanner.find(b"msk_AbCdEfGhIjKlMnOpQrStUvWxYz012345 ", &mut out);
        let _ = misar_scan::examples::check_rule_examples(&rules);
    }
}

pub fn config(data: &[u8]) {
    let dir = temp_dir();
    let path = write(dir.path(), ".misar-scan.toml", data);
    if let Ok(config) = RepoConfig::load(&path) {
        let mut rules = shared().rules.clone();
        let _ = config.apply_to_rules(&mut rules);
    }
}

/// Input: 2 bytes of status, 1 byte picking the content type, the body.
pub fn api(data: &[u8]) {
    if data.len() < 3 {
        return;
    }
    let status = u16::from_le_bytes([data[0], data[1]]) % 600;
    let content_type = match data[2] % 4 {
        0 => None,
        1 => Some("application/json".to_string()),
        2 => Some("text/html; charset=utf-8".to_string()),
        _ => Some("application/json; charset=utf-8".to_string()),
    };
    let body = data[3..].to_vec();
    let _ = misar_scan::api::model::parse_list(&body);
    let _ = misar_scan::api::model::parse_success(&body);
    let _ = misar_scan::api::model::parse_error_code(&body);
    let resp = RawResponse {
        status,
        content_type,
        retry_after: None,
        body,
    };
    let _ = misar_scan::verify::judge(&resp);
    let _ = misar_scan::verify::describe(&resp);
}

pub fn report(data: &[u8]) {
    let dir = temp_dir();
    let path = write(dir.path(), "report.json", data);
    let s = shared();
    let _ = misar_scan::recover::from_report(&path, &s.rules, &s.scanner, true);
    let _ = misar_scan::baseline::Baseline::load(&path);
}

pub fn stdin_keys(data: &[u8]) {
    let s = shared();
    let _ = misar_scan::recover::from_lines(data, &s.rules, &s.scanner, true);
}
