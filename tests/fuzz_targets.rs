//! The fuzz targets on the stable toolchain: every input of the committed
//! corpus (`fuzz/corpus/<target>/`, seeds and any crash the fuzzer found),
//! then random and mutated inputs from proptest, through the same functions
//! `cargo fuzz` runs (`fuzz/targets.rs`). A panic in the code under test
//! fails the test with the input that caused it. The long runs are
//! `scripts/fuzz.sh` (nightly, libFuzzer).

#[path = "../fuzz/targets.rs"]
#[allow(dead_code)]
mod targets;

use std::path::PathBuf;

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

fn corpus(target: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz")
        .join("corpus")
        .join(target);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("the corpus folder {} must exist: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let bytes = std::fs::read(&p).unwrap();
            (p, bytes)
        })
        .collect()
}

fn target(name: &str) -> fn(&[u8]) {
    targets::TARGETS
        .iter()
        .find(|(n, _)| *n == name)
        .unwrap_or_else(|| panic!("no fuzz target {name}"))
        .1
}

/// One mutation of a seed: flip bytes, cut it, or splice in random bytes.
#[derive(Debug, Clone)]
enum Mutation {
    Flip { at: usize, xor: u8 },
    Truncate { at: usize },
    Insert { at: usize, bytes: Vec<u8> },
    Overwrite { at: usize, bytes: Vec<u8> },
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), 1..=255u8).prop_map(|(at, xor)| Mutation::Flip { at, xor }),
        any::<usize>().prop_map(|at| Mutation::Truncate { at }),
        (any::<usize>(), prop::collection::vec(any::<u8>(), 1..16))
            .prop_map(|(at, bytes)| Mutation::Insert { at, bytes }),
        (
            any::<usize>(),
            prop::collection::vec(
                prop_oneof![Just(0u8), Just(0xFF), Just(0x80), any::<u8>()],
                1..9
            )
        )
            .prop_map(|(at, bytes)| Mutation::Overwrite { at, bytes }),
    ]
}

fn mutate(seed: &[u8], muts: &[Mutation]) -> Vec<u8> {
    let mut v = seed.to_vec();
    for m in muts {
        let len = v.len().max(1);
        match m {
            Mutation::Flip { at, xor } => {
                if !v.is_empty() {
                    let i = at % v.len();
                    v[i] ^= xor;
                }
            }
            Mutation::Truncate { at } => v.truncate(at % len),
            Mutation::Insert { at, bytes } => {
                let i = at % (v.len() + 1);
                v.splice(i..i, bytes.iter().copied());
            }
            Mutation::Overwrite { at, bytes } => {
                let i = at % len;
                for (j, b) in bytes.iter().enumerate() {
                    if let Some(slot) = v.get_mut(i + j) {
                        *slot = *b;
                    }
                }
            }
        }
    }
    v
}

/// The corpus, then `cases` mutated seeds and `cases / 4` random inputs.
fn run(name: &str, cases: u32) {
    let run_one = target(name);
    let seeds = corpus(name);
    assert!(!seeds.is_empty(), "no seeds for {name}");
    for (path, bytes) in &seeds {
        let result = std::panic::catch_unwind(|| run_one(bytes));
        assert!(
            result.is_ok(),
            "fuzz target {name} panicked on corpus file {}",
            path.display()
        );
    }
    let seed_bytes: Vec<Vec<u8>> = seeds.into_iter().map(|(_, b)| b).collect();
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    });
    let strategy = (0..seed_bytes.len(), prop::collection::vec(mutation(), 1..6));
    runner
        .run(&strategy, |(seed, muts)| {
            run_one(&mutate(&seed_bytes[seed], &muts));
            Ok(())
        })
        .unwrap_or_else(|e| panic!("fuzz target {name}: {e}"));
    let mut runner = TestRunner::new(Config {
        cases: (cases / 4).max(1),
        failure_persistence: None,
        ..Config::default()
    });
    runner
        .run(&prop::collection::vec(any::<u8>(), 0..2048), |bytes| {
            run_one(&bytes);
            Ok(())
        })
        .unwrap_or_else(|e| panic!("fuzz target {name}: {e}"));
}

#[test]
fn every_target_has_a_corpus_and_a_cargo_fuzz_binary() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    for (name, _) in targets::TARGETS {
        assert!(
            root.join("corpus").join(name).is_dir(),
            "no corpus for {name}"
        );
        let bin = std::fs::read_to_string(root.join("fuzz_targets").join(format!("{name}.rs")))
            .unwrap_or_else(|e| panic!("no cargo-fuzz binary for {name}: {e}"));
        assert!(bin.contains(&format!("fuzz_targets::{name}(data)")));
    }
}

#[test]
fn fuzz_pack() {
    run("pack", 64);
}

#[test]
fn fuzz_delta() {
    run("delta", 512);
}

#[test]
fn fuzz_git_index() {
    run("git_index", 256);
}

#[test]
fn fuzz_archive() {
    run("archive", 256);
}

#[test]
fn fuzz_scan() {
    run("scan", 256);
}

#[test]
fn fuzz_rules() {
    run("rules", 96);
}

#[test]
fn fuzz_config() {
    run("config", 256);
}

#[test]
fn fuzz_api() {
    run("api", 512);
}

#[test]
fn fuzz_report() {
    run("report", 128);
}

#[test]
fn fuzz_stdin_keys() {
    run("stdin_keys", 256);
}
