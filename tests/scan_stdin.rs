//! `misar-scan scan -` (issue 17, SPEC §3): standard input, reported at the
//! path `<stdin>` in every format, streamed, with `scan`'s exit codes.

mod common;

use std::path::Path;

use common::{assert_no_full_key, fake_key};
use serde_json::Value;

struct Out {
    code: i32,
    stdout: String,
    stderr: String,
}

/// `misar-scan ARGS` in `cwd` (cleared environment) with `stdin`.
fn scan(cwd: &Path, args: &[&str], stdin: impl Into<std::process::Stdio>, keys: &[&str]) -> Out {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_misar-scan"))
        .current_dir(cwd)
        .env_clear()
        .env("HOME", cwd)
        .env("NO_COLOR", "1")
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .args(args)
        .stdin(stdin)
        .output()
        .unwrap();
    let out = Out {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    };
    assert_no_full_key("stdout", &out.stdout, keys);
    assert_no_full_key("stderr", &out.stderr, keys);
    out
}

/// `bytes` as a file to give as standard input.
fn input(dir: &Path, bytes: &[u8]) -> std::fs::File {
    let path = dir.join("stdin.bin");
    std::fs::write(&path, bytes).unwrap();
    std::fs::File::open(path).unwrap()
}

fn json(out: &Out) -> Value {
    serde_json::from_str(&out.stdout)
        .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{}", out.stdout))
}

#[test]
fn a_key_on_stdin_is_reported_at_stdin_in_every_format() {
    let dir = tempfile::tempdir().unwrap();
    let k = fake_key("msk_", 1801);
    let text = format!("diff --git a/.env b/.env\n+MISAR_API_KEY={k}\n");

    let human = scan(
        dir.path(),
        &["scan", "-"],
        input(dir.path(), text.as_bytes()),
        &[&k],
    );
    assert_eq!(human.code, 1, "{}", human.stderr);
    assert!(human.stdout.contains("<stdin>:2:16"), "{}", human.stdout);

    let out = scan(
        dir.path(),
        &["scan", "-", "-f", "json"],
        input(dir.path(), text.as_bytes()),
        &[&k],
    );
    assert_eq!(out.code, 1, "{}", out.stderr);
    let report = json(&out);
    let f = &report["findings"][0];
    assert_eq!(f["path"], "<stdin>");
    assert_eq!(
        (f["line"].as_u64(), f["column"].as_u64()),
        (Some(2), Some(16))
    );
    assert_eq!(
        f["secret_sha256"],
        misar_scan::secret::sha256_hex(k.as_bytes())
    );
    assert_eq!(report["summary"]["incomplete"], false);

    let out = scan(
        dir.path(),
        &["scan", "-", "-f", "sarif"],
        input(dir.path(), text.as_bytes()),
        &[&k],
    );
    assert_eq!(out.code, 1, "{}", out.stderr);
    let sarif = json(&out);
    let location = &sarif["runs"][0]["results"][0]["locations"][0]["physicalLocation"];
    // `<stdin>` as a relative URI reference (percent-encoded, as SPEC §4 asks).
    assert_eq!(location["artifactLocation"]["uri"], "%3Cstdin%3E");
    assert_eq!(location["region"]["startLine"], 2);
    assert_eq!(
        sarif["runs"][0]["automationDetails"]["id"],
        "misar-scan/stdin/"
    );
}

#[test]
fn clean_and_empty_stdin_exit_0() {
    let dir = tempfile::tempdir().unwrap();
    for text in ["", "nothing to see\nMISAR_API_KEY=msk_your_api_key\n"] {
        let out = scan(
            dir.path(),
            &["scan", "-"],
            input(dir.path(), text.as_bytes()),
            &[],
        );
        assert_eq!(out.code, 0, "{}", out.stderr);
        assert!(out.stdout.contains("scanned 1 file"), "{}", out.stdout);
    }
}

#[test]
fn dash_is_not_combined_with_git_staged_or_other_paths() {
    let dir = tempfile::tempdir().unwrap();
    for (args, says) in [
        (&["scan", "-", "--git"][..], "`--git`"),
        (
            &["scan", "--git", "--range", "main..HEAD", "-"][..],
            "`--git`",
        ),
        (&["scan", "-", "src"][..], "other paths"),
        (&["scan", "-", "--staged"][..], "--staged"),
    ] {
        let out = scan(dir.path(), args, input(dir.path(), b"x"), &[]);
        assert_eq!(out.code, 2, "{args:?}: {}", out.stderr);
        assert!(out.stderr.contains(says), "{args:?}: {}", out.stderr);
    }
}

#[test]
fn a_long_stream_is_scanned_in_chunks_and_keys_across_chunk_edges_are_found() {
    let dir = tempfile::tempdir().unwrap();
    let keys: Vec<String> = (0..3).map(|i| fake_key("ask_", 1802 + i)).collect();
    // 4 MiB chunks: one key straddles the first edge, one the second, one
    // sits at the very end without a newline.
    let chunk = 4 << 20;
    let line = "x".repeat(99) + "\n";
    let mut text = String::new();
    let mut expected = Vec::new();
    for (i, k) in keys.iter().enumerate() {
        let edge = chunk * (i + 1) - 10;
        while text.len() + line.len() < edge {
            text.push_str(&line);
        }
        while text.len() < edge {
            text.push(' ');
        }
        expected.push(text.matches('\n').count() as u64 + 1);
        text.push_str(k);
        if i < 2 {
            text.push('\n');
        }
    }
    let refs: Vec<&str> = keys.iter().map(String::as_str).collect();
    let out = scan(
        dir.path(),
        &["scan", "-", "-f", "json"],
        input(dir.path(), text.as_bytes()),
        &refs,
    );
    assert_eq!(out.code, 1, "{}", out.stderr);
    let report = json(&out);
    let lines: Vec<u64> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["line"].as_u64().unwrap())
        .collect();
    assert_eq!(lines, expected);
    assert_eq!(report["summary"]["bytes_scanned"], text.len() as u64);
}

#[test]
fn the_configuration_and_baseline_apply_to_stdin() {
    let dir = tempfile::tempdir().unwrap();
    let (allowed, k) = (fake_key("mdk_", 1805), fake_key("mdk_", 1806));
    std::fs::write(
        dir.path().join(".misar-scan.toml"),
        format!(
            "[allowlist]\nsecrets = [\"{}\"]\n",
            misar_scan::secret::sha256_hex(allowed.as_bytes())
        ),
    )
    .unwrap();
    let text = format!("a={allowed}\nb={k}\n");
    let keys = [allowed.as_str(), k.as_str()];
    let out = scan(
        dir.path(),
        &["scan", "-", "--write-baseline", "b.json"],
        input(dir.path(), text.as_bytes()),
        &keys,
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stderr.contains("1 finding"), "{}", out.stderr);
    let out = scan(
        dir.path(),
        &["scan", "-", "--baseline", "b.json"],
        input(dir.path(), text.as_bytes()),
        &keys,
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
}

#[cfg(unix)]
#[test]
fn stdin_that_cannot_be_read_is_an_incomplete_scan() {
    let dir = tempfile::tempdir().unwrap();
    // A folder opened as standard input: every read fails (EISDIR).
    let folder = std::fs::File::open(dir.path()).unwrap();
    let out = scan(dir.path(), &["scan", "-", "-f", "json"], folder, &[]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr.contains("could not read <stdin>"),
        "{}",
        out.stderr
    );
    assert_eq!(json(&out)["summary"]["incomplete"], true);
}
