//! Issue 11, sources: keys read back from archive members and non-UTF-8
//! paths, archives found by their magic bytes whatever their name, inputs
//! named on the command line that cannot be scanned, keys base64-encoded
//! twice, archive members that cannot be read, and hook backups.

// A skipped test says why on standard error.
#![allow(clippy::print_stderr)]

mod common;

use std::io::Write;
use std::path::Path;

use common::{bin, fake_key, locations, run, Tree};
use serde_json::Value;

fn zip_with(members: &[(&str, Vec<u8>)], method: zip::CompressionMethod) -> Vec<u8> {
    let mut buf = std::io::Cursor::new(Vec::new());
    let mut zip = zip::ZipWriter::new(&mut buf);
    let opts = zip::write::SimpleFileOptions::default().compression_method(method);
    for (name, data) in members {
        zip.start_file(*name, opts).unwrap();
        zip.write_all(data).unwrap();
    }
    zip.finish().unwrap();
    buf.into_inner()
}

fn zip_bytes(members: &[(&str, Vec<u8>)]) -> Vec<u8> {
    zip_with(members, zip::CompressionMethod::Deflated)
}

fn tar_bytes(members: &[(&str, Vec<u8>)]) -> Vec<u8> {
    let mut tar = tar::Builder::new(Vec::new());
    for (name, data) in members {
        let mut header = tar::Header::new_ustar();
        header.set_size(data.len() as u64);
        header.set_mode(0o644);
        header.set_cksum();
        tar.append_data(&mut header, name, data.as_slice()).unwrap();
    }
    tar.into_inner().unwrap()
}

fn gz(data: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(data).unwrap();
    enc.finish().unwrap()
}

/// A member text whose key does not survive deflate as plain bytes.
fn env_member(key: &str) -> Vec<u8> {
    format!("# app\nMISAR_KEY={key}\n").into_bytes()
}

fn paths(report: &Value) -> Vec<String> {
    locations(report).into_iter().map(|l| l.0).collect()
}

// ---------------------------------------------------------------- item 11

/// Zip containers by any name, and zips, gzips and tars with no or a wrong
/// extension, are opened by their magic bytes.
fn archives_by_other_names(key: &str) -> Vec<(String, Vec<u8>)> {
    let member = env_member(key);
    let mut files: Vec<(String, Vec<u8>)> = [
        "report.docx",
        "sheet.xlsx",
        "slides.pptx",
        "letter.odt",
        "book.epub",
        "app.ipa",
        "ext.vsix",
        "app.apk",
        "pkg.nupkg",
    ]
    .iter()
    .map(|name| {
        (
            (*name).to_string(),
            zip_bytes(&[("conf/app.env", member.clone())]),
        )
    })
    .collect();
    files.push((
        "download".into(),
        zip_bytes(&[("conf/app.env", member.clone())]),
    ));
    files.push((
        "backup.txt".into(),
        gz(&tar_bytes(&[("conf/app.env", member.clone())])),
    ));
    files.push(("notes.dat".into(), gz(&member)));
    files.push((
        "image.png".into(),
        tar_bytes(&[("conf/app.env", member.clone())]),
    ));
    files
}

fn expected_member_paths() -> Vec<String> {
    let mut want: Vec<String> = [
        "app.apk!conf/app.env",
        "app.ipa!conf/app.env",
        "backup.txt!conf/app.env",
        "book.epub!conf/app.env",
        "download!conf/app.env",
        "ext.vsix!conf/app.env",
        "image.png!conf/app.env",
        "letter.odt!conf/app.env",
        "notes.dat!notes.dat",
        "pkg.nupkg!conf/app.env",
        "report.docx!conf/app.env",
        "sheet.xlsx!conf/app.env",
        "slides.pptx!conf/app.env",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    want.sort();
    want
}

#[test]
fn archives_are_opened_by_magic_bytes_whatever_their_name_in_file_scans() {
    let tree = Tree::new();
    let k = fake_key("msk_", 1101);
    for (name, bytes) in archives_by_other_names(&k) {
        tree.write(&format!("in/{name}"), bytes);
    }
    let r = run(tree.path(), &["scan", "in", "-f", "json"], &[&k]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let got: Vec<String> = paths(&r.json())
        .into_iter()
        .map(|p| p.trim_start_matches("in/").to_string())
        .collect();
    assert_eq!(got, expected_member_paths(), "{}", r.stderr);
}

#[test]
fn archives_are_opened_by_magic_bytes_in_history_range_and_staged_scans() {
    let sb = common::Sandbox::new();
    let repo = sb.repo("r");
    repo.write("README.md", "hi\n");
    let base = repo.commit("init");
    let k = fake_key("msk_", 1102);
    for (name, bytes) in archives_by_other_names(&k) {
        std::fs::write(repo.path.join(&name), bytes).unwrap();
    }
    repo.git(&["add", "-A"]);
    // Staged.
    let r = sb.scan(&repo.path, &["scan", "--staged", "-f", "json"], &[&k]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let mut got: Vec<String> = r
        .places()
        .into_iter()
        .map(|p| p.0)
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    got.sort();
    assert_eq!(got, expected_member_paths(), "staged: {}", r.stderr);
    let head = repo.commit_staged("add archives");
    // History and range.
    let range = format!("{base}..{head}");
    for args in [
        vec!["scan", "--git", "-f", "json"],
        vec!["scan", "--git", "--range", &range, "-f", "json"],
    ] {
        let r = sb.scan(&repo.path, &args, &[&k]);
        assert_eq!(r.code, 1, "{args:?}: {}", r.stderr);
        let mut got: Vec<String> = r.places().into_iter().map(|p| p.0).collect();
        got.sort();
        got.dedup();
        assert_eq!(got, expected_member_paths(), "{args:?}: {}", r.stderr);
    }
}

// ---------------------------------------------------------------- item 21

/// Set the compression method of the first member (local header and
/// central directory) of a zip to `method`.
fn set_first_method(zip: &mut [u8], method: u16) {
    zip[8..10].copy_from_slice(&method.to_le_bytes());
    let cd = zip
        .windows(4)
        .position(|w| w == b"PK\x01\x02")
        .expect("a central directory");
    zip[cd + 10..cd + 12].copy_from_slice(&method.to_le_bytes());
}

#[test]
fn a_zip_member_with_an_unsupported_method_makes_the_scan_incomplete() {
    let tree = Tree::new();
    let (k, hidden) = (fake_key("msk_", 1111), fake_key("ask_", 1112));
    let mut bytes = zip_with(
        &[
            ("secret.bin", env_member(&hidden)),
            ("conf/app.env", env_member(&k)),
        ],
        zip::CompressionMethod::Stored,
    );
    // Method 97 (WavPack): no reader has it. The stored bytes still hold the
    // key in the raw scan, so hide it to check what the member scan says.
    set_first_method(&mut bytes, 97);
    tree.write("pkg.zip", bytes);
    let r = run(tree.path(), &["scan", "-f", "json"], &[&k, &hidden]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains("error:") && r.stderr.contains("`pkg.zip!secret.bin`"),
        "{}",
        r.stderr
    );
    let json = r.json();
    assert_eq!(json["summary"]["incomplete"], true);
    // The members after it are still read.
    assert!(
        paths(&json).contains(&"pkg.zip!conf/app.env".to_string()),
        "{}",
        r.stdout
    );
}

#[test]
fn a_corrupt_zip_member_makes_the_scan_incomplete() {
    let tree = Tree::new();
    let k = fake_key("msk_", 1113);
    let big: Vec<u8> = (0..20_000u32)
        .flat_map(|i| format!("line {i} {}\n", i.wrapping_mul(2_654_435_761)).into_bytes())
        .collect();
    let mut bytes = zip_bytes(&[("big.log", big), ("conf/app.env", env_member(&k))]);
    // Flip bytes in the middle of the first member's compressed data.
    let name_len = u16::from_le_bytes([bytes[26], bytes[27]]) as usize;
    let extra_len = u16::from_le_bytes([bytes[28], bytes[29]]) as usize;
    let data = 30 + name_len + extra_len;
    for b in &mut bytes[data + 200..data + 260] {
        *b ^= 0x5A;
    }
    tree.write("logs.zip", bytes);
    let r = run(tree.path(), &["scan", "-f", "json"], &[&k]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("`logs.zip!big.log`"), "{}", r.stderr);
    let json = r.json();
    assert_eq!(json["summary"]["incomplete"], true);
    assert!(
        paths(&json).contains(&"logs.zip!conf/app.env".to_string()),
        "{}",
        r.stdout
    );
}

#[test]
fn zip_members_compressed_with_bzip2_lzma_and_zstd_are_read() {
    let tree = Tree::new();
    // The fake key of tests/fixtures/archives/make.py.
    let k = "msk_Qm7Vx2Lp9TzR4bNc8WdK3sYh6JfG1aUe"; // misar-scan:allow (fake test key)
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/archives");
    for name in ["bzip2.zip", "lzma.zip", "zstd.zip"] {
        tree.write(name, std::fs::read(fixtures.join(name)).unwrap());
    }
    let r = run(tree.path(), &["scan", "-f", "json"], &[k]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(!r.stderr.contains("warning"), "{}", r.stderr);
    assert_eq!(
        paths(&r.json()),
        [
            "bzip2.zip!conf/app.env",
            "lzma.zip!conf/app.env",
            "zstd.zip!conf/app.env"
        ]
    );
}

// ---------------------------------------------------------------- item 14

#[cfg(unix)]
#[test]
fn a_fifo_or_device_named_on_the_command_line_is_an_error() {
    let tree = Tree::new();
    let k = fake_key("msk_", 1141);
    tree.write("a.env", format!("KEY={k}\n"));
    let made = std::process::Command::new("mkfifo")
        .arg(tree.path().join("pipe"))
        .status();
    if !made.is_ok_and(|s| s.success()) {
        eprintln!("skipped: `mkfifo` is not available");
        return;
    }
    let r = run(tree.path(), &["scan", "a.env", "pipe", "-f", "json"], &[&k]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains("error:") && r.stderr.contains("`pipe`"),
        "{}",
        r.stderr
    );
    let json = r.json();
    assert_eq!(json["summary"]["incomplete"], true);
    assert_eq!(
        paths(&json),
        ["a.env"],
        "the other inputs are still scanned"
    );

    let r = run(tree.path(), &["scan", "/dev/null"], &[]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("`/dev/null`"), "{}", r.stderr);

    // A FIFO met inside a tree is still only a warning.
    std::fs::create_dir(tree.path().join("dir")).unwrap();
    std::fs::rename(tree.path().join("pipe"), tree.path().join("dir/pipe")).unwrap();
    let r = run(tree.path(), &["scan", "dir"], &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.contains("warning:"), "{}", r.stderr);
}

// ---------------------------------------------------------------- item 20

#[test]
fn a_key_base64_encoded_twice_in_a_kubernetes_docker_secret_is_found() {
    use base64::Engine as _;
    let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
    let tree = Tree::new();
    let k = fake_key("msk_", 1201);
    // What `kubectl create secret docker-registry` writes, without the
    // plain password: only `auth` (base64 of `user:password`) holds the key.
    for (i, user) in ["deploy", "ci-bot", "x"].iter().enumerate() {
        let config = format!(
            "{{\"auths\":{{\"registry{i}.misar.io\":{{\"auth\":\"{}\"}}}}}}",
            b64(&format!("{user}:{k}"))
        );
        let secret = format!(
            "apiVersion: v1\nkind: Secret\nmetadata:\n  name: regcred\n  namespace: prod\n\
type: kubernetes.io/dockerconfigjson\ndata:\n  .dockerconfigjson: {}\n",
            b64(&config)
        );
        tree.write(&format!("k8s/regcred-{i}.yaml"), secret);
    }
    let r = run(tree.path(), &["scan", "-f", "json"], &[&k]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let json = r.json();
    let found = json["findings"].as_array().unwrap();
    assert_eq!(found.len(), 3, "{}", r.stdout);
    for f in found {
        assert_eq!(f["line"], 8, "{f}");
        assert_eq!(f["encoding"], "base64", "{f}");
        assert_eq!(f["secret_sha256"], common::sha256(&k));
    }
    // A key base64-encoded twice in an HTTP basic-auth header value.
    let tree = Tree::new();
    tree.write(
        "secret.yaml",
        format!(
            "data:\n  authorization: {}\n",
            b64(&format!("Basic {}", b64(&format!("api:{k}"))))
        ),
    );
    let r = run(tree.path(), &["scan", "-f", "json"], &[&k]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert_eq!(r.json()["findings"][0]["line"], 2);
}

// ---------------------------------------------------------------- item 10

fn verify_report(dir: &Path, api: &common::FakeApi, keys: &[&str]) -> Value {
    let mut args = vec!["verify", "report.json", "-f", "json"];
    args.extend_from_slice(common::FAST);
    let run = bin(dir).api(&api.url()).args(&args).secrets(keys).run();
    serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {run:?}"))
}

fn scan_to_report(dir: &Path, keys: &[&str], extra: &[&str]) {
    let mut args = vec!["scan", "-f", "json", "-o", "report.json"];
    args.extend_from_slice(extra);
    let run = bin(dir).args(&args).secrets(keys).run();
    assert_eq!(run.code, 1, "{run:?}");
    let report = std::fs::read_to_string(dir.join("report.json")).unwrap();
    common::assert_no_full_key("report", &report, keys);
}

#[test]
fn verify_reads_keys_back_from_archive_members() {
    let api = common::FakeApi::start();
    let (a, b) = (fake_key("msk_", 1001), fake_key("ask_", 1002));
    api.add_key(&a, 1, &["send"]);
    api.add_key(&b, 1, &["send"]);
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("bundle.zip"),
        zip_bytes(&[("conf/app.env", env_member(&a))]),
    )
    .unwrap();
    // Nested: a zip inside a gzipped tar, with no telling extension.
    let inner = zip_bytes(&[("deep/key.txt", env_member(&b))]);
    std::fs::write(
        dir.path().join("release"),
        gz(&tar_bytes(&[("plugins/p.zip", inner)])),
    )
    .unwrap();
    scan_to_report(dir.path(), &[&a, &b], &[]);
    let json = verify_report(dir.path(), &api, &[&a, &b]);
    let got: Vec<(String, String)> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap().to_string(),
                f["verification"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("bundle.zip!conf/app.env".into(), "live".into()),
            ("release!plugins/p.zip!deep/key.txt".into(), "live".into()),
        ],
        "{json}"
    );
}

#[cfg(unix)]
#[test]
fn verify_reads_keys_back_from_a_file_whose_name_is_not_utf8() {
    use std::os::unix::ffi::OsStrExt;
    let api = common::FakeApi::start();
    let k = fake_key("mdk_", 1003);
    api.add_key(&k, 1, &["send"]);
    let dir = tempfile::tempdir().unwrap();
    let name = std::ffi::OsStr::from_bytes(b"caf\xe9.env");
    if std::fs::write(dir.path().join(name), format!("KEY={k}\n")).is_err() {
        eprintln!("skipped: this file system refuses non-UTF-8 names");
        return;
    }
    scan_to_report(dir.path(), &[&k], &[]);
    let json = verify_report(dir.path(), &api, &[&k]);
    let f = &json["findings"][0];
    assert_eq!(f["path"], "caf\u{FFFD}.env");
    assert_eq!(f["verification"], "live", "{json}");
}

#[test]
fn verify_reads_keys_back_from_archive_members_in_history() {
    let api = common::FakeApi::start();
    let k = fake_key("msk_", 1004);
    api.add_key(&k, 1, &["send"]);
    let sb = common::Sandbox::new();
    let repo = sb.repo("r");
    std::fs::write(
        repo.path.join("bundle.zip"),
        zip_bytes(&[("conf/app.env", env_member(&k))]),
    )
    .unwrap();
    repo.commit("add bundle");
    repo.git(&["rm", "-q", "bundle.zip"]);
    repo.commit_staged("remove bundle");
    let r = sb.scan(
        &repo.path,
        &["scan", "--git", "-f", "json", "-o", "report.json"],
        &[&k],
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    let json = verify_report(&repo.path, &api, &[&k]);
    let f = &json["findings"][0];
    assert_eq!(f["path"], "bundle.zip!conf/app.env");
    assert_eq!(f["verification"], "live", "{json}");
}

// ---------------------------------------------------------------- item 18

#[test]
fn install_hook_force_keeps_every_replaced_hook_in_numbered_backups() {
    let sb = common::Sandbox::new();
    let repo = sb.repo("r");
    let hook = repo.path.join(".git/hooks/pre-commit");
    std::fs::create_dir_all(hook.parent().unwrap()).unwrap();
    let hooks = [
        "#!/bin/sh\necho one\n",
        "#!/bin/sh\necho two\n",
        "#!/bin/sh\necho three\n",
    ];
    for (i, text) in hooks.iter().enumerate() {
        std::fs::write(&hook, text).unwrap();
        let r = sb.scan(&repo.path, &["install-hook", "--force"], &[]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        let backup = if i == 0 {
            "pre-commit.backup".to_string()
        } else {
            format!("pre-commit.backup.{i}")
        };
        assert!(r.stderr.contains(&backup), "{}", r.stderr);
    }
    let read = |name: &str| std::fs::read_to_string(hook.with_file_name(name)).unwrap();
    assert_eq!(read("pre-commit.backup"), hooks[0]);
    assert_eq!(read("pre-commit.backup.1"), hooks[1]);
    assert_eq!(read("pre-commit.backup.2"), hooks[2]);
    // Our own hook is updated in place, without a backup.
    let r = sb.scan(&repo.path, &["install-hook", "--force"], &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(!hook.with_file_name("pre-commit.backup.3").exists());
}
