#!/usr/bin/env bash
# Run every fuzz target (fuzz/targets.rs) under libFuzzer for a bounded time.
#
#   scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]     (default 8 s, every target)
#   FUZZ_SEED=0 scripts/fuzz.sh 300                      (a random seed: explore)
#
# Needs a nightly toolchain (installed here with rustup when missing). The
# coverage flags are the ones `cargo fuzz build` sets; AddressSanitizer is
# left out (the crate denies unsafe code, and it doubles the build), so
# cargo-fuzz itself is not needed. Each run starts from the committed seeds
# (fuzz/corpus/<target>) and writes what it learns to a scratch folder, so
# the tree stays clean. A crash leaves its input in fuzz/artifacts/<target>/
# and fails the script: add the input to fuzz/corpus/<target>/ (the stable
# test suite replays it from then on) and fix the code.
#
# Without a nightly toolchain the script says so and exits 0: the stable
# suite (tests/fuzz_targets.rs) still replays the corpus and runs mutated
# and random inputs through every target.
set -euo pipefail
cd "$(dirname "$0")/.."
secs="${1:-8}"
# A fixed seed by default, so that a run explores the same inputs each time
# (a slower machine a prefix of them) and CI fails only when the code
# changed; FUZZ_SEED=0 picks a random seed, to explore.
seed="${FUZZ_SEED:-1}"
shift || true
if ! cargo +nightly --version >/dev/null 2>&1; then
  if ! rustup toolchain install nightly --profile minimal >/dev/null 2>&1; then
    echo "fuzz: SKIPPED: no nightly toolchain and rustup could not install one (libFuzzer needs nightly);"
    echo "fuzz: the stable replay in tests/fuzz_targets.rs ran instead"
    exit 0
  fi
fi
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=($(sed -n 's|^path = "fuzz_targets/\(.*\)\.rs"$|\1|p' fuzz/Cargo.toml))
fi
triple="$(rustc +nightly -vV | sed -n 's/^host: //p')"
export CARGO_TARGET_DIR="$PWD/fuzz/target"
flags="-Cpasses=sancov-module -Cllvm-args=-sanitizer-coverage-level=4"
flags+=" -Cllvm-args=-sanitizer-coverage-inline-8bit-counters -Cllvm-args=-sanitizer-coverage-pc-table"
flags+=" -Cllvm-args=-sanitizer-coverage-trace-compares --cfg fuzzing -Cdebug-assertions -Coverflow-checks"
echo "fuzz: building ${#targets[@]} targets (nightly, libFuzzer)"
# The fuzz crate uses the main crate's pinned versions: its lock file is the
# main one, to which cargo adds libfuzzer-sys (not committed, so the two
# cannot drift apart).
cp Cargo.lock fuzz/Cargo.lock
RUSTFLAGS="$flags" cargo +nightly build --release -q --manifest-path fuzz/Cargo.toml \
  --target "$triple" $(printf -- '--bin %s ' "${targets[@]}")
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
failed=0
for t in "${targets[@]}"; do
  mkdir -p "$scratch/$t" "fuzz/artifacts/$t"
  log="$scratch/$t.log"
  if "fuzz/target/$triple/release/$t" -seed="$seed" -max_total_time="$secs" -rss_limit_mb=2048 -timeout=10 \
      -artifact_prefix="fuzz/artifacts/$t/" "$scratch/$t" "fuzz/corpus/$t" >"$log" 2>&1; then
    echo "fuzz: $t: $(grep -Eo '#[0-9]+ +DONE.*' "$log" | tail -1 || tail -1 "$log")"
  else
    failed=1
    echo "fuzz: $t: FAILED (input in fuzz/artifacts/$t/):"
    grep -E 'panicked|ERROR|SUMMARY' "$log" | head -5
  fi
done
exit $failed
