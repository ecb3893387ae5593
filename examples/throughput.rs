//! In-memory matcher throughput, decoding on and off: loads every file under
//! a directory (default: the cargo registry sources) and scans it repeatedly
//! on one thread. `cargo run --release --example throughput [DIR]`.

#![allow(clippy::print_stdout)]

use std::time::Instant;

use misar_scan::engine::Scanner;
use misar_scan::rules::RuleSet;

fn main() {
    let dir = std::env::args().nth(1).unwrap_or_else(|| {
        format!(
            "{}/.cargo/registry/src",
            std::env::var("HOME").unwrap_or_default()
        )
    });
    let mut files = Vec::new();
    for entry in ignore::WalkBuilder::new(&dir)
        .standard_filters(false)
        .build()
        .flatten()
    {
        if entry.file_type().is_some_and(|t| t.is_file()) {
            if let Ok(bytes) = std::fs::read(entry.path()) {
                files.push(bytes);
            }
        }
    }
    let total: usize = files.iter().map(Vec::len).sum();
    let rules = RuleSet::embedded().expect("embedded rules load");
    for decode in [false, true] {
        let scanner = Scanner::with_decoding(&rules, &[], decode);
        let mut found = Vec::new();
        let mut best = f64::MAX;
        for _ in 0..5 {
            let start = Instant::now();
            for f in &files {
                scanner.find(f, &mut found);
            }
            best = best.min(start.elapsed().as_secs_f64());
        }
        println!(
            "decode={decode:<5} {:.0} MB in {best:.3} s = {:.2} GB/s ({} candidates)",
            total as f64 / 1e6,
            total as f64 / best / 1e9,
            found.len() / 5
        );
    }
}
