//! Shared helpers for integration tests: a temp tree, the real binary run in a
//! cleared environment, fake keys, and the check that no output holds a full key.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Output;

use assert_cmd::Command;

/// A fake key: `prefix` + 32 pseudo-random base62 characters from `seed`.
/// Random bodies pass the placeholder filter; nothing here is a real key.
pub fn fake_key(prefix: &str, seed: u64) -> String {
    const BASE62: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let body: String = (0..32)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            BASE62[(x % 62) as usize] as char
        })
        .collect();
    format!("{prefix}{body}")
}

/// A temporary directory with helpers to write files.
pub struct Tree {
    pub dir: tempfile::TempDir,
}

impl Tree {
    pub fn new() -> Self {
        Self {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn write(&self, rel: &str, contents: impl AsRef<[u8]>) -> PathBuf {
        let path = self.dir.path().join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, contents).unwrap();
        path
    }

    pub fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.dir.path().join(rel)).unwrap()
    }
}

/// The binary, run in `cwd` with a cleared environment.
pub fn cmd(cwd: &Path) -> Command {
    let mut cmd = Command::cargo_bin("misar-scan").unwrap();
    cmd.current_dir(cwd)
        .env_clear()
        .env("HOME", cwd)
        .env("NO_COLOR", "1")
        .env("PATH", std::env::var_os("PATH").unwrap_or_default());
    cmd
}

/// The result of a run, decoded.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{}", self.stdout))
    }
}

/// Run with `args` in `cwd`; assert that no key in `keys` appears in full in
/// stdout or stderr unless `--no-redact` was passed.
pub fn run(cwd: &Path, args: &[&str], keys: &[&str]) -> Run {
    let out: Output = cmd(cwd).args(args).output().unwrap();
    let run = Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    };
    if !args.contains(&"--no-redact") {
        assert_no_full_key(&run.stdout, keys);
        assert_no_full_key(&run.stderr, keys);
    }
    run
}

/// Panic if any of `keys` appears in `text`.
pub fn assert_no_full_key(text: &str, keys: &[&str]) {
    for key in keys {
        assert!(
            !text.contains(key),
            "output contains a full key ({}…):\n{text}",
            &key[..8]
        );
    }
}

/// `(path, line, column, rule_id)` of every finding in a JSON report.
pub fn locations(report: &serde_json::Value) -> Vec<(String, u64, u64, String)> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap().to_string(),
                f["line"].as_u64().unwrap(),
                f["column"].as_u64().unwrap(),
                f["rule_id"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// Lower-case hex SHA-256.
pub fn sha256(s: &str) -> String {
    misar_scan::secret::sha256_hex(s.as_bytes())
}
