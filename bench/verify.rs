//! Verification throughput benchmark (issue 4): 1,000 distinct keys against
//! the fake Misar API with 20 ms latency per request, through the real
//! binary (`misar-scan verify --stdin`). Goal: under 3 s with the default
//! concurrency, and the server never sees more requests at once than the
//! configured concurrency.
//!
//! Run with `bench/verify.sh` (or `cargo bench --bench verify`); prints a
//! Markdown table and exits non-zero if a goal or an invariant is missed.

#![allow(clippy::print_stdout, clippy::print_stderr)]

#[path = "../tests/common/mod.rs"]
mod common;

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{fake_key, FakeApi};

const KEYS: usize = 1000;
const LATENCY: Duration = Duration::from_millis(20);
const DEFAULT_CONCURRENCY: usize = 16;
const GOAL: Duration = Duration::from_secs(3);

struct Row {
    concurrency: Option<usize>,
    wall: Duration,
    requests: usize,
    max_in_flight: usize,
    live: usize,
}

fn run(concurrency: Option<usize>) -> Row {
    let api = FakeApi::start();
    api.set_latency(LATENCY);
    let keys: Vec<String> = (0..KEYS as u64)
        .map(|i| fake_key("msk_", 1_000_000 + i))
        .collect();
    for (i, k) in keys.iter().enumerate() {
        // One account per key keeps list bodies small; half hold keys:manage (200), half not (403).
        let scopes: &[&str] = if i % 2 == 0 {
            &["send", "keys:manage"]
        } else {
            &["send"]
        };
        api.add_key(k, i as u32, scopes);
    }
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_misar-scan"));
    cmd.args(["verify", "--stdin", "-f", "json"])
        .env_clear()
        .env("MISAR_API_URL", api.url())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let n = concurrency.map(|c| c.to_string());
    if let Some(n) = &n {
        cmd.args(["--verify-concurrency", n]);
    }
    let input: String = keys.iter().map(|k| format!("{k}\n")).collect();
    let started = Instant::now();
    let mut child = cmd.spawn().expect("spawn misar-scan");
    child
        .stdin
        .take()
        .expect("piped stdin")
        .write_all(input.as_bytes())
        .expect("write keys");
    let out = child.wait_with_output().expect("wait for misar-scan");
    let wall = started.elapsed();
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON output");
    let live = json["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["verification"] == "live")
        .count();
    Row {
        concurrency,
        wall,
        requests: api.requests().len(),
        max_in_flight: api.max_in_flight(),
        live,
    }
}

fn main() {
    // `cargo bench` passes `--bench`; accept and ignore arguments.
    let mut rows = Vec::new();
    for c in [None, Some(4), Some(32)] {
        rows.push(run(c));
    }
    println!("| concurrency | keys | latency/request | wall time | requests seen | max in flight | live |");
    println!("|---|---|---|---|---|---|---|");
    let mut ok = true;
    for r in &rows {
        let limit = r.concurrency.unwrap_or(DEFAULT_CONCURRENCY);
        let label = match r.concurrency {
            None => format!("{DEFAULT_CONCURRENCY} (default)"),
            Some(c) => c.to_string(),
        };
        println!(
            "| {label} | {KEYS} | {} ms | {:.2} s | {} | {} | {} |",
            LATENCY.as_millis(),
            r.wall.as_secs_f64(),
            r.requests,
            r.max_in_flight,
            r.live
        );
        if r.max_in_flight > limit {
            eprintln!(
                "FAIL: {} requests in flight with concurrency {limit}",
                r.max_in_flight
            );
            ok = false;
        }
        if r.requests != KEYS || r.live != KEYS {
            eprintln!(
                "FAIL: {} requests, {} live, expected {KEYS} each",
                r.requests, r.live
            );
            ok = false;
        }
    }
    if rows[0].wall > GOAL {
        eprintln!(
            "FAIL: default concurrency took {:.2} s, goal {} s",
            rows[0].wall.as_secs_f64(),
            GOAL.as_secs()
        );
        ok = false;
    }
    if !ok {
        std::process::exit(1);
    }
}
