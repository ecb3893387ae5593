//! The GitHub Action's install step (`scripts/action-install.sh install`,
//! SPEC §7) against a release server that the test runs on 127.0.0.1: the
//! right archive for each `RUNNER_OS`/`RUNNER_ARCH`, checked against
//! `SHA256SUMS`; a checksum that does not match is refused with a clear
//! error and nothing is installed; no release (or a checkout that is not the
//! release) builds from source. `cargo` is a stand-in on `PATH` that records
//! its call, so the source build is observed without compiling.

mod common;

use std::collections::{BTreeMap, HashMap};
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::{Arc, Mutex};

use common::{hermetic, Sandbox};
use sha2::{Digest, Sha256};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");
const VERSION: &str = env!("CARGO_PKG_VERSION");

/// Every runner the release has a binary for: (RUNNER_OS, RUNNER_ARCH,
/// target triple of its archive).
const RUNNERS: [(&str, &str, &str); 5] = [
    ("Linux", "X64", "x86_64-unknown-linux-musl"),
    ("Linux", "ARM64", "aarch64-unknown-linux-musl"),
    ("macOS", "X64", "x86_64-apple-darwin"),
    ("macOS", "ARM64", "aarch64-apple-darwin"),
    ("Windows", "X64", "x86_64-pc-windows-msvc"),
];

/// A static HTTP/1.1 server on 127.0.0.1: `files` by path, 404 otherwise;
/// it records each requested path.
struct ReleaseServer {
    url: String,
    requests: Arc<Mutex<Vec<String>>>,
}

impl ReleaseServer {
    fn start(files: HashMap<String, Vec<u8>>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let requests = Arc::new(Mutex::new(Vec::new()));
        let log = Arc::clone(&requests);
        // Serves until the test process ends; each connection is one request.
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut line = String::new();
                if reader.read_line(&mut line).is_err() {
                    continue;
                }
                let path = line.split_whitespace().nth(1).unwrap_or("").to_string();
                loop {
                    let mut header = String::new();
                    if reader.read_line(&mut header).unwrap_or(0) == 0 || header == "\r\n" {
                        break;
                    }
                }
                log.lock().unwrap().push(path.clone());
                let (status, body) = match files.get(&path) {
                    Some(body) => ("200 OK", body.clone()),
                    None => ("404 Not Found", b"Not Found".to_vec()),
                };
                let head = format!(
                    "HTTP/1.1 {status}\r\nContent-Length: {}\r\nContent-Type: application/octet-stream\r\nConnection: close\r\n\r\n",
                    body.len()
                );
                let _ = stream.write_all(head.as_bytes());
                let _ = stream.write_all(&body);
            }
        });
        ReleaseServer { url, requests }
    }

    fn requested(&self) -> Vec<String> {
        self.requests.lock().unwrap().clone()
    }
}

/// The archive name the release workflow gives a target's binary.
fn asset(triple: &str) -> String {
    let ext = if triple.contains("windows") {
        "zip"
    } else {
        "tar.gz"
    };
    format!("misar-scan-{VERSION}-{triple}.{ext}")
}

/// A stand-in binary: a script that answers `--version` like misar-scan and
/// says which archive it came from.
fn fake_binary(triple: &str) -> Vec<u8> {
    format!("#!/bin/sh\necho \"misar-scan {VERSION} (release {triple})\"\n").into_bytes()
}

/// The archive of `triple`: one folder `misar-scan-VERSION-TRIPLE/` with the
/// binary and the README, as the release workflow packs it.
fn archive(triple: &str) -> Vec<u8> {
    let top = format!("misar-scan-{VERSION}-{triple}");
    let readme = b"misar-scan\n".to_vec();
    if triple.contains("windows") {
        let mut buf = std::io::Cursor::new(Vec::new());
        let mut zip = zip::ZipWriter::new(&mut buf);
        let opts = zip::write::SimpleFileOptions::default().unix_permissions(0o755);
        for (name, data) in [
            ("misar-scan.exe", fake_binary(triple)),
            ("README.md", readme),
        ] {
            zip.start_file(format!("{top}/{name}"), opts).unwrap();
            zip.write_all(&data).unwrap();
        }
        zip.finish().unwrap();
        buf.into_inner()
    } else {
        let gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        let mut tar = tar::Builder::new(gz);
        for (name, data) in [("misar-scan", fake_binary(triple)), ("README.md", readme)] {
            let mut header = tar::Header::new_gnu();
            header.set_size(data.len() as u64);
            header.set_mode(0o755);
            header.set_cksum();
            tar.append_data(&mut header, format!("{top}/{name}"), &data[..])
                .unwrap();
        }
        tar.into_inner().unwrap().finish().unwrap()
    }
}

/// The digest of this checkout's sources, as the release publishes it.
fn source_digest() -> String {
    let out = Command::new("bash")
        .args([&format!("{ROOT}/scripts/action-install.sh"), "digest"])
        .output()
        .unwrap();
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

/// A release of this checkout: every archive, `SHA256SUMS` and
/// `SOURCE_DIGEST` under `/vVERSION/`; `sums` rewrites the checksum file.
fn release(digest: &str, sums: impl Fn(String) -> String) -> HashMap<String, Vec<u8>> {
    let mut files = HashMap::new();
    let mut lines = String::new();
    for (_, _, triple) in RUNNERS {
        let bytes = archive(triple);
        lines += &format!(
            "{}  {}\n",
            hex::encode(Sha256::digest(&bytes)),
            asset(triple)
        );
        files.insert(format!("/v{VERSION}/{}", asset(triple)), bytes);
    }
    files.insert(format!("/v{VERSION}/SHA256SUMS"), sums(lines).into_bytes());
    files.insert(
        format!("/v{VERSION}/SOURCE_DIGEST"),
        format!("{digest}\n").into_bytes(),
    );
    files
}

/// One run of `action-install.sh install` for a runner, with a stand-in
/// `cargo` first on PATH.
struct Install {
    out: Output,
    outputs: BTreeMap<String, String>,
    /// The stand-in cargo's arguments, if it was called.
    cargo: Option<String>,
    dir: PathBuf,
}

impl Install {
    fn text(&self) -> String {
        format!(
            "{}{}",
            String::from_utf8_lossy(&self.out.stdout),
            String::from_utf8_lossy(&self.out.stderr)
        )
    }
}

fn install(sb: &Sandbox, server: &ReleaseServer, os: &str, arch: &str) -> Install {
    let job = tempfile::tempdir_in(sb.dir.path()).unwrap().keep();
    let fake = job.join("fake-bin");
    std::fs::create_dir(&fake).unwrap();
    let cargo_log = job.join("cargo.log");
    // `cargo install --locked --path P --root DIR` leaves DIR/bin/misar-scan.
    let cargo = format!(
        "#!/bin/sh\necho \"$*\" > '{}'\nwhile [ $# -gt 0 ]; do [ \"$1\" = --root ] && root=$2; shift; done\nmkdir -p \"$root/bin\"\nprintf '#!/bin/sh\\necho \"misar-scan {VERSION} (source)\"\\n' > \"$root/bin/misar-scan\"\nchmod +x \"$root/bin/misar-scan\"\n",
        cargo_log.display()
    );
    std::fs::write(fake.join("cargo"), cargo).unwrap();
    make_executable(&fake.join("cargo"));
    let dir = job.join("tool-cache");
    let output = job.join("output");
    let mut cmd = Command::new("bash");
    hermetic(&mut cmd, &sb.home());
    let path = format!(
        "{}:{}",
        fake.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    cmd.args([&format!("{ROOT}/scripts/action-install.sh"), "install"])
        .env("PATH", path)
        .env("GITHUB_ACTION_PATH", ROOT)
        .env("GITHUB_OUTPUT", &output)
        .env("RUNNER_OS", os)
        .env("RUNNER_ARCH", arch)
        .env("MISAR_SCAN_DIR", &dir)
        .env("MISAR_SCAN_FOUND", "false")
        .env("MISAR_SCAN_RELEASE_URL", &server.url);
    let out = cmd.output().unwrap();
    let outputs = std::fs::read_to_string(&output)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let cargo = std::fs::read_to_string(&cargo_log).ok();
    Install {
        out,
        outputs,
        cargo,
        dir,
    }
}

fn make_executable(path: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    #[cfg(not(unix))]
    let _ = path;
}

fn version_of(binary: &str) -> String {
    let out = Command::new(binary).arg("--version").output().unwrap();
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

#[test]
fn each_runner_gets_its_own_release_archive_checked_against_sha256sums() {
    let sb = Sandbox::new();
    let server = ReleaseServer::start(release(&source_digest(), |s| s));
    for (os, arch, triple) in RUNNERS {
        let run = install(&sb, &server, os, arch);
        assert!(run.out.status.success(), "{os}/{arch}: {}", run.text());
        assert_eq!(
            run.cargo,
            None,
            "{os}/{arch}: built from source\n{}",
            run.text()
        );
        let binary = &run.outputs["binary"];
        let exe = if os == "Windows" {
            "misar-scan.exe"
        } else {
            "misar-scan"
        };
        assert_eq!(Path::new(binary), run.dir.join("bin").join(exe));
        assert_eq!(
            version_of(binary),
            format!("misar-scan {VERSION} (release {triple})"),
            "{os}/{arch} installed another platform's binary"
        );
        assert!(run.text().contains("checksum verified"), "{}", run.text());
        let wanted = format!("/v{VERSION}/{}", asset(triple));
        assert!(
            server.requested().contains(&wanted),
            "{wanted} not requested"
        );
    }
    // Each runner downloaded its own archive and no other.
    let archives: Vec<String> = server
        .requested()
        .into_iter()
        .filter(|p| p.ends_with(".tar.gz") || p.ends_with(".zip"))
        .collect();
    assert_eq!(archives.len(), RUNNERS.len(), "{archives:?}");
}

#[test]
fn a_wrong_checksum_is_refused_with_a_clear_error_and_nothing_is_installed() {
    let sb = Sandbox::new();
    let linux = asset("x86_64-unknown-linux-musl");
    let server = ReleaseServer::start(release(&source_digest(), |sums| {
        sums.lines()
            .map(|l| {
                if l.ends_with(&linux) {
                    format!("{}  {linux}\n", "0".repeat(64))
                } else {
                    format!("{l}\n")
                }
            })
            .collect()
    }));
    let run = install(&sb, &server, "Linux", "X64");
    assert_eq!(run.out.status.code(), Some(2), "{}", run.text());
    assert!(
        run.text().contains(&format!(
            "::error title=misar-scan::checksum mismatch for {linux}: SHA256SUMS says {}",
            "0".repeat(64)
        )),
        "{}",
        run.text()
    );
    assert!(run.text().contains("Refusing to run it"), "{}", run.text());
    assert_eq!(
        run.cargo, None,
        "a bad download must not fall back to anything"
    );
    assert!(!run.dir.join("bin/misar-scan").exists());
    assert!(!run.outputs.contains_key("binary"));

    // An archive that SHA256SUMS does not list is refused too.
    let server = ReleaseServer::start(release(&source_digest(), |_| String::new()));
    let run = install(&sb, &server, "Linux", "X64");
    assert_eq!(run.out.status.code(), Some(2), "{}", run.text());
    assert!(
        run.text()
            .contains(&format!("SHA256SUMS has no checksum for {linux}")),
        "{}",
        run.text()
    );
}

#[test]
fn no_release_builds_from_source() {
    let sb = Sandbox::new();
    let server = ReleaseServer::start(HashMap::new());
    let run = install(&sb, &server, "Linux", "X64");
    assert!(run.out.status.success(), "{}", run.text());
    assert!(
        run.text().contains(&format!(
            "no release v{VERSION} at {}/v{VERSION}",
            server.url
        )),
        "{}",
        run.text()
    );
    let cargo = run.cargo.as_deref().expect("cargo install was not run");
    assert_eq!(
        cargo.trim(),
        format!(
            "install --locked --path {ROOT} --root {}",
            run.dir.display()
        )
    );
    assert_eq!(
        version_of(&run.outputs["binary"]),
        format!("misar-scan {VERSION} (source)")
    );
    // Only the release's marker was asked for: no archive.
    assert_eq!(
        server.requested(),
        vec![format!("/v{VERSION}/SOURCE_DIGEST")]
    );
}

#[test]
fn a_checkout_that_is_not_the_release_or_a_runner_without_a_binary_builds_from_source() {
    let sb = Sandbox::new();
    // A branch with the release's version but other sources.
    let server = ReleaseServer::start(release("0123456789abcdef", |s| s));
    let run = install(&sb, &server, "Linux", "X64");
    assert!(run.out.status.success(), "{}", run.text());
    assert!(run.text().contains("is not release v"), "{}", run.text());
    assert!(run.cargo.is_some(), "{}", run.text());
    assert!(!server.requested().iter().any(|p| p.ends_with(".tar.gz")));

    // A runner the release has no binary for.
    let server = ReleaseServer::start(release(&source_digest(), |s| s));
    let run = install(&sb, &server, "Windows", "ARM64");
    assert!(run.out.status.success(), "{}", run.text());
    assert!(
        run.text().contains("no release binary for Windows/ARM64"),
        "{}",
        run.text()
    );
    assert!(run.cargo.is_some());
    assert!(server.requested().is_empty());
}
