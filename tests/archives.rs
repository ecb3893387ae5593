//! Keys inside archives and compressed files, located as `archive!inner/path`
//! with lines counted inside the member; hostile archives give a warning.

mod common;

use std::io::Write;

use common::{fake_key, locations, run, Tree};

fn zip_bytes(members: &[(&str, Vec<u8>)]) -> Vec<u8> {
    let mut buf = std::io::Cursor::new(Vec::new());
    let mut zip = zip::ZipWriter::new(&mut buf);
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, data) in members {
        zip.start_file(*name, opts).unwrap();
        zip.write_all(data).unwrap();
    }
    zip.finish().unwrap();
    buf.into_inner()
}

fn tar_bytes(members: &[(&str, Vec<u8>)]) -> Vec<u8> {
    let mut tar = tar::Builder::new(Vec::new());
    for (name, data) in members {
        let mut header = tar::Header::new_gnu();
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

fn t(path: &str, line: u64, col: u64, rule: &str) -> (String, u64, u64, String) {
    (path.into(), line, col, rule.into())
}

#[test]
fn zip_jar_and_wheel_members() {
    let tree = Tree::new();
    let (a, b) = (fake_key("msk_", 61), fake_key("ask_", 62));
    let member = format!("# settings\nKEY = \"{a}\"\n").into_bytes();
    tree.write(
        "dist/app.zip",
        zip_bytes(&[("config/settings.py", member.clone())]),
    );
    tree.write(
        "lib/app.jar",
        zip_bytes(&[("META-INF/app.properties", format!("key={b}\n").into_bytes())]),
    );
    tree.write(
        "pkg-1.0-py3-none-any.whl",
        zip_bytes(&[("pkg/__init__.py", member)]),
    );
    let r = run(
        tree.path(),
        &["scan", "-f", "json", "--no-ignore"],
        &[&a, &b],
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert_eq!(
        locations(&r.json()),
        [
            t(
                "dist/app.zip!config/settings.py",
                2,
                8,
                "misar-mail-api-key"
            ),
            t(
                "lib/app.jar!META-INF/app.properties",
                1,
                5,
                "assisters-api-key"
            ),
            t(
                "pkg-1.0-py3-none-any.whl!pkg/__init__.py",
                2,
                8,
                "misar-mail-api-key"
            ),
        ]
    );
    let r = run(
        tree.path(),
        &["scan", "-f", "json", "--no-archives"],
        &[&a, &b],
    );
    assert!(
        locations(&r.json()).iter().all(|l| !l.0.contains('!')),
        "--no-archives reads only the archives' own bytes"
    );
}

#[test]
fn tar_tar_gz_tgz_and_gz() {
    let tree = Tree::new();
    let k = fake_key("mdk_", 63);
    let file = format!("line\nline\nexport MISAR_DEV_KEY={k}\n").into_bytes();
    tree.write("backup.tar", tar_bytes(&[("etc/app.env", file.clone())]));
    tree.write(
        "backup.tar.gz",
        gz(&tar_bytes(&[("etc/app.env", file.clone())])),
    );
    tree.write(
        "npm-pkg.tgz",
        gz(&tar_bytes(&[("package/index.js", file.clone())])),
    );
    tree.write("logs/app.log.gz", gz(&file));
    let r = run(tree.path(), &["scan", "-f", "json"], &[&k]);
    assert_eq!(
        locations(&r.json()),
        [
            t("backup.tar!etc/app.env", 3, 22, "misar-dev-api-key"),
            t("backup.tar.gz!etc/app.env", 3, 22, "misar-dev-api-key"),
            t("logs/app.log.gz!app.log", 3, 22, "misar-dev-api-key"),
            t("npm-pkg.tgz!package/index.js", 3, 22, "misar-dev-api-key"),
        ],
        "a key found both in the raw bytes and in a member is reported once, in the member"
    );
}

#[test]
fn zip_nested_in_tar_gz() {
    let tree = Tree::new();
    let k = fake_key("msk_", 64);
    let inner = zip_bytes(&[("deep/secret.txt", format!("{k}\n").into_bytes())]);
    tree.write(
        "release.tar.gz",
        gz(&tar_bytes(&[("bundle/plugin.zip", inner)])),
    );
    let r = run(tree.path(), &["scan", "-f", "sarif"], &[&k]);
    assert_eq!(r.code, 1);
    let sarif: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let uri = &sarif["runs"][0]["results"][0]["locations"][0]["physicalLocation"]
        ["artifactLocation"]["uri"];
    assert_eq!(uri, "release.tar.gz!bundle/plugin.zip!deep/secret.txt");
}

#[test]
fn decompression_bomb_is_cut_short_with_a_warning() {
    let tree = Tree::new();
    let k = fake_key("ask_", 65);
    // 8 MiB of zeros compresses to a few KiB; the key sits after them.
    let mut big = vec![0u8; 8 << 20];
    big.extend_from_slice(format!("\n{k}\n").as_bytes());
    tree.write(
        "bomb.zip",
        zip_bytes(&[("zeros.bin", big.clone()), ("more.bin", big)]),
    );
    let r = run(
        tree.path(),
        &["scan", "-f", "json", "--archive-limit", "4"],
        &[&k],
    );
    // Members were left unread: an incomplete scan, never a clean one.
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert_eq!(r.json()["summary"]["incomplete"], true);
    assert!(
        r.stderr
            .contains("error: stopped reading archive `bomb.zip"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("4 MiB"), "{}", r.stderr);
    // With room enough, both copies are found.
    let r = run(
        tree.path(),
        &["scan", "-f", "json", "--archive-limit", "64"],
        &[&k],
    );
    assert_eq!(locations(&r.json()).len(), 2);
}

#[test]
fn corrupt_archive_is_a_warning_and_its_bytes_are_still_scanned() {
    let tree = Tree::new();
    let k = fake_key("msk_", 66);
    tree.write("broken.zip", format!("PK\u{3}\u{4} not really a zip {k}\n"));
    tree.write("broken.tar.gz", b"\x1f\x8b\x08\x00garbage");
    let r = run(tree.path(), &["scan", "-f", "json"], &[&k]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("warning: could not read all of archive `broken.zip`"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("`broken.tar.gz`"), "{}", r.stderr);
    assert_eq!(
        locations(&r.json()),
        [t("broken.zip", 1, 23, "misar-mail-api-key")]
    );
}
