//! Shared helpers for the verify and revoke integration tests: fake keys, a
//! hermetic runner for the real binary, and the redaction check.

#![allow(dead_code)]

pub mod fake_api;

use std::path::Path;

#[allow(unused_imports)]
pub use fake_api::{FakeApi, Fault};

const BASE62: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// A random-looking key (32-character base62 body) from `seed`: distinct
/// seeds give distinct keys, the same seed the same key.
pub fn key_from_seed(prefix: &str, seed: u64) -> String {
    let mut x = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut body = String::with_capacity(32);
    for _ in 0..32 {
        // splitmix64
        x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = x;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        body.push(BASE62[(z % 62) as usize] as char);
    }
    format!("{prefix}{body}")
}

/// A key that starts with `stem` (8 characters), random after it.
pub fn key_with_stem(stem: &str, seed: u64) -> String {
    let k = key_from_seed("", seed);
    format!("{stem}{}", &k[..36 - stem.len()])
}

/// What a run of the binary produced.
#[derive(Debug)]
pub struct Run {
    /// Exit code.
    pub code: i32,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
}

/// Flags that keep API tests fast: 1 s timeout, one retry, short backoff.
pub const FAST: &[&str] = &[
    "--verify-timeout",
    "1",
    "--verify-retries",
    "1",
    "--verify-backoff-ms",
    "50",
];

/// Run `misar-scan args…` in `dir` with the environment cleared except
/// `HOME`, `PATH`, `NO_COLOR`, `MISAR_API_URL` (when `api` is given) and `env`.
pub fn misar(
    dir: &Path,
    api: Option<&str>,
    args: &[&str],
    stdin: Option<&str>,
    env: &[(&str, &str)],
) -> Run {
    let mut cmd = assert_cmd::Command::new(env!("CARGO_BIN_EXE_misar-scan"));
    cmd.current_dir(dir).env_clear().env("NO_COLOR", "1");
    for var in ["HOME", "PATH"] {
        if let Some(v) = std::env::var_os(var) {
            cmd.env(var, v);
        }
    }
    if let Some(api) = api {
        cmd.env("MISAR_API_URL", api);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.args(args);
    if let Some(input) = stdin {
        cmd.write_stdin(input.to_string());
    }
    let out = cmd.output().expect("run misar-scan");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Panic if any of `keys` appears in `text`.
pub fn assert_no_full_key(what: &str, text: &str, keys: &[&str]) {
    for k in keys {
        assert!(
            !text.contains(k),
            "{what} holds the full key {}…:\n{text}",
            &k[..8]
        );
    }
}

/// Panic if `text` holds any 12 consecutive characters of `key`: its
/// redacted form shows 8, so more is a key clipped instead of scrubbed.
pub fn assert_no_key_fragment(what: &str, text: &str, key: &str) {
    let chars: Vec<char> = key.chars().collect();
    for window in chars.windows(12) {
        let fragment: String = window.iter().collect();
        assert!(
            !text.contains(&fragment),
            "{what} holds 12 or more characters of the key {}…:\n{text}",
            &key[..8]
        );
    }
}

impl Run {
    /// Panic if stdout or stderr holds any of `keys`.
    pub fn assert_redacted(&self, keys: &[&str]) -> &Self {
        assert_no_full_key("stdout", &self.stdout, keys);
        assert_no_full_key("stderr", &self.stderr, keys);
        self
    }
}

/// An address on 127.0.0.1 where nothing listens.
pub fn refused_url() -> String {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = l.local_addr().expect("addr");
    drop(l);
    format!("http://{addr}")
}
