#!/usr/bin/env bash
# Windows test (SPEC §7, issue 14): `cargo build --target x86_64-pc-windows-gnu`
# succeeds, and the Windows build runs under Wine: the library's unit tests,
# the integration suites that need neither git nor sh, and the binary on real
# inputs (a key in a CRLF file in a nested folder, the SARIF report's URIs,
# standard input, a packed git history read by the positioned reads of
# source::git::positioned).
#
#   bash tests/windows.sh            (run by .ci/run)
#
# Set-up, the only registry traffic: the Rust target (rustup), and Debian's
# mingw-w64 C compiler (libgit2 and libdeflate are C) and wine, installed with
# apt-get when missing (as root, or with `sudo -n`). A tool that cannot be had prints SKIP
# and why. The build itself is never skipped when the compiler is there.
#
# Under Debian 12's wine 8.0:
# - Rust's std imports ProcessPrng from bcryptprimitives.dll (Windows 10+),
#   which wine has only from 9.x: scripts/windows/bcryptprimitives.c is a
#   test-only stand-in, built here and put beside the test executables.
# - A Windows process cannot drive the Linux `git` (starting it works, waiting
#   for it fails with "Invalid handle"), so the unit tests that make their
#   repositories with the git command line are skipped, by name, with that
#   reason; GitHub's Windows runner (ci.yml) runs them with Git for Windows.
#   Repositories for the binary's checks are made here, outside wine.
#
# WINDOWS_CHECK=build stops after the build. Ends with the line
# "windows: N passed, N failed, N skipped".
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
triple=x86_64-pc-windows-gnu
check=windows
. tests/shell-check.sh

# ---- set-up (registry allowed) -----------------------------------------------
# apt-get as root, or through sudo where it asks for no password (GitHub's
# runners); an install that fails is retried once after `apt-get update`.
apt_install() {
  local sudo=()
  command -v apt-get >/dev/null 2>&1 || { echo "no apt-get" >"$work/apt.log"; return 1; }
  if [ "$(id -u)" != 0 ]; then
    sudo -n true 2>/dev/null || { echo "not root, and sudo asks for a password" >"$work/apt.log"; return 1; }
    sudo=(sudo -n)
  fi
  ${sudo[@]+"${sudo[@]}"} env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@" >"$work/apt.log" 2>&1 && return 0
  ${sudo[@]+"${sudo[@]}"} apt-get update -q >>"$work/apt.log" 2>&1 &&
    ${sudo[@]+"${sudo[@]}"} env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@" >>"$work/apt.log" 2>&1
}
if ! rustup target list --installed 2>/dev/null | grep -qx "$triple"; then
  if ! rustup target add "$triple" >"$work/rustup.log" 2>&1; then
    skip "the Rust target $triple cannot be installed: $(tail -n 1 "$work/rustup.log")"
    finish
  fi
fi
if ! command -v x86_64-w64-mingw32-gcc >/dev/null 2>&1; then
  if ! apt_install gcc-mingw-w64-x86-64; then
    skip "no mingw-w64 C compiler (Debian's gcc-mingw-w64-x86-64) and apt-get cannot install it: $(tail -n 1 "$work/apt.log")"
    finish
  fi
fi
echo "set-up: target $triple, $(x86_64-w64-mingw32-gcc --version | head -n 1) ($(($(now) - t0)) s)"

# ---- the build ---------------------------------------------------------------
# Without debug information: a minute less on two cores, and a failure here is
# read from its message, not in a debugger. A target folder of its own, so
# that .ci/run can run this beside its other cargo commands without either
# waiting for the other's lock.
export CARGO_PROFILE_DEV_DEBUG=0
export CARGO_TARGET_DIR="$root/target/windows/cargo"
t1=$(now)
if cargo build --locked -q --target "$triple" 2>"$work/build.log"; then
  exe="$CARGO_TARGET_DIR/$triple/debug/misar-scan.exe"
  ok "cargo build --target $triple: $(du -k "$exe" | cut -f1) KiB in $(($(now) - t1)) s"
else
  cat "$work/build.log"
  bad "cargo build --target $triple failed"
  finish
fi
[ "${WINDOWS_CHECK:-}" = build ] && finish

# The test executables: the library's unit tests, and the integration suites
# that need neither the git command line nor `sh` (which a Windows program
# under wine cannot use; GitHub's Windows runner runs the other suites).
suites=(archives ci_options encodings engine_props fuzz_targets keys_audit lints reports revoke rules_examples scan_fs scan_stdin verify)
t1=$(now)
if ! cargo test --locked --target "$triple" --no-run --lib $(printf -- '--test %s ' "${suites[@]}") 2>"$work/tests.log"; then
  cat "$work/tests.log"
  bad "cargo test --no-run --target $triple failed"
  finish
fi
unit=$(sed -n 's/.*Executable unittests src\/lib.rs (\(.*\.exe\)).*/\1/p' "$work/tests.log" | tail -n 1)
if [ -z "$unit" ] || [ ! -f "$unit" ]; then
  bad "cannot find the unit-test executable in cargo's output"; cat "$work/tests.log"
  finish
fi
ok "unit tests and ${#suites[@]} integration suites built for $triple in $(($(now) - t1)) s"

# ---- running it under wine -----------------------------------------------------
if ! command -v wine >/dev/null 2>&1; then
  if ! apt_install wine wine64; then
    skip "no wine, and apt-get cannot install it ($(tail -n 1 "$work/apt.log")): the Windows build was not run"
    finish
  fi
fi
x86_64-w64-mingw32-gcc -O2 -shared -o "$work/bcryptprimitives.dll" \
  scripts/windows/bcryptprimitives.c scripts/windows/bcryptprimitives.def -ladvapi32
cp "$work/bcryptprimitives.dll" "$(dirname "$exe")/"
cp "$work/bcryptprimitives.dll" "$(dirname "$unit")/" # the suites' folder too
export WINEPREFIX="$root/target/windows/wineprefix" WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="
mkdir -p "$WINEPREFIX"
# wine leaves its server running for a few seconds after the last program;
# stop it with this script (the prefix is this script's own).
trap 'wineserver -k >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
t1=$(now)
wine cmd /c exit >/dev/null 2>&1 || true # makes the prefix on the first run
wine_version=$(wine --version 2>/dev/null || echo wine)
echo "wine: $wine_version, prefix ready in $(($(now) - t1)) s"

# Unit tests. These make their repositories with the git command line.
needs_git=(
  source::git::pack::tests::a_damaged_entry_is_left_out_not_delivered_wrong
  source::git::pack::tests::a_damaged_index_is_an_error
  source::git::pack::tests::an_index_of_another_pack_is_refused
  source::git::pack::tests::delivers_only_the_wanted_blobs
  source::git::pack::tests::rebuilds_every_blob_of_a_pack_with_deltas_named_by_id
  source::git::pack::tests::rebuilds_every_blob_of_a_pack_with_offset_deltas
  source::git::pack::tests::the_packs_of_alternates_are_opened_too
  source::git::trees::tests::every_packed_tree_parses_as_libgit2_reads_it
  source::git::trees::tests::labels_match_a_walk_of_every_tree_and_ancestors_are_exact
  source::git::trees::tests::labels_only_go_down_when_more_roots_come
  source::git::trees::tests::trees_with_a_name_the_check_picks_are_listed_once
)
skips=()
for t in "${needs_git[@]}"; do skips+=(--skip "$t"); done
t1=$(now)
code=0
wine "$unit" --exact "${skips[@]}" --test-threads 2 >"$work/unit-run.log" 2>&1 || code=$?
summary=$(grep -E '^test result:' "$work/unit-run.log" | tail -n 1 || true)
if [ "$code" -eq 0 ] && [ -n "$summary" ]; then
  ok "unit tests under wine: ${summary#test result: } ($(($(now) - t1)) s)"
else
  grep -E 'FAILED|panicked' "$work/unit-run.log" | head -n 40 || tail -n 40 "$work/unit-run.log"
  bad "unit tests under wine failed (exit $code): ${summary:-no summary}"
fi
skip "${#needs_git[@]} unit tests make repositories with the git command line, which a Windows process under wine cannot wait for (ci.yml runs them on Windows)"

# Integration suites: the Windows binary driven by the Windows test harness
# (temporary trees, the fake Misar API on 127.0.0.1, reports, exit codes).
t1=$(now)
suite_tests=0
for suite in "${suites[@]}"; do
  x=$(sed -n "s/.*Executable tests\/$suite.rs (\(.*\.exe\)).*/\1/p" "$work/tests.log" | tail -n 1)
  if [ -z "$x" ] || [ ! -f "$x" ]; then
    bad "integration suite $suite: no executable in cargo's output"
    continue
  fi
  code=0
  wine "$x" --test-threads 2 >"$work/suite.log" 2>&1 || code=$?
  summary=$(grep -E '^test result:' "$work/suite.log" | tail -n 1 || true)
  n=$(echo "$summary" | sed -n 's/.* \([0-9][0-9]*\) passed.*/\1/p')
  if [ "$code" -eq 0 ] && [ -n "$n" ] && [ "$n" -gt 0 ]; then
    suite_tests=$((suite_tests + n))
  else
    grep -E '^---- |panicked|FAILED' "$work/suite.log" | head -n 30 || tail -n 30 "$work/suite.log"
    bad "integration suite $suite under wine (exit $code): ${summary:-no summary}"
  fi
done
ok "integration suites under wine: $suite_tests tests in ${#suites[@]} suites passed ($(($(now) - t1)) s)"
skip "$(($(ls tests/*.rs | wc -l) - ${#suites[@]})) integration suites need the git command line or sh (ci.yml runs them on Windows)"

# ---- the binary under wine ---------------------------------------------------------
version=$(sed -n 's/^version *= *"\([^"]*\)".*/\1/p' Cargo.toml | head -n 1)

# run NAME WANT_CODE ARGS...: runs the Windows binary, checks the exit code and
# that no output shows the whole key. Output in $work/out.
run() {
  local name=$1 want=$2
  shift 2
  local code=0
  # From $work, so that this repository's .misar-scan.toml (the current
  # directory's applies first) does not.
  (cd "$work" && wine "$exe" "$@") >"$work/out" 2>"$work/err" <"${stdin:-/dev/null}" || code=$?
  if [ "$code" -ne "$want" ]; then
    bad "$name: exit $code, expected $want"
    sed 's/^/  | /' "$work/out" "$work/err" | head -n 20
    return 1
  fi
  if grep -qF "$key" "$work/out" "$work/err"; then
    bad "$name: printed the whole key"
    return 1
  fi
}

if run "--version" 0 --version && grep -q "^misar-scan $version" "$work/out"; then
  ok "misar-scan.exe --version: $(head -n 1 "$work/out")"
elif [ -s "$work/out" ]; then
  bad "--version printed: $(head -n 1 "$work/out")"
fi

# A key on line 3 of a CRLF file two folders down; a clean tree beside it.
mkdir -p "$work/leaky/config/prod" "$work/clean"
printf '# settings\r\nname = "demo"\r\nMISAR_API_KEY = "%s"\r\n' "$key" >"$work/leaky/config/prod/app.env"
printf 'MISAR_API_KEY = "${MISAR_API_KEY}"\r\n' >"$work/clean/app.env"
if run "scan of a folder with a key" 1 scan "$work/leaky" -f json; then
  if python3 - "$work/out" "$shown" <<'EOF'
import json, sys
findings = json.load(open(sys.argv[1]))["findings"]
f = findings[0]
assert len(findings) == 1, findings
assert f["path"].replace("\\", "/").endswith("config/prod/app.env"), f["path"]
assert f["line"] == 3, f["line"]
assert f["secret"].startswith(sys.argv[2]), f["secret"]
EOF
  then ok "scan finds the key in a CRLF file two folders down, at line 3, redacted"; else bad "scan: wrong finding"; sed 's/^/  | /' "$work/out" | head -n 20; fi
fi
if run "SARIF report" 1 scan "$work/leaky" -f sarif; then
  if python3 - "$work/out" <<'EOF'
import json, sys
run = json.load(open(sys.argv[1]))["runs"][0]
uri = run["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
assert "\\" not in uri and uri.endswith("config/prod/app.env"), uri
EOF
  then ok "SARIF artifact URIs use forward slashes on Windows"; else bad "SARIF: bad artifact URI"; sed 's/^/  | /' "$work/out" | head -n 20; fi
fi
run "scan of a clean folder" 0 scan "$work/clean" && ok "a clean folder passes (exit 0)"
printf 'export MISAR_API_KEY=%s\n' "$key" >"$work/stdin.txt"
if stdin="$work/stdin.txt" run "scan of standard input" 1 scan -; then
  grep -qF "$shown" "$work/out" && ok "standard input: key found and redacted" || bad "standard input: no redacted key in the report"
fi

# A history whose key was added, then removed, packed with deltas: the scan
# reads the pack through the Windows positioned reads.
export GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@example.invalid GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@example.invalid
export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL="$work/gitconfig"
repo="$work/repo"
git init -q -b main "$repo"
for i in $(seq 1 30); do printf 'line %s\n' "$(seq 1 "$i")" >"$repo/notes.txt"; git -C "$repo" add -A; git -C "$repo" commit -qm "notes $i"; done
printf 'MISAR_API_KEY = "%s"\n' "$key" >"$repo/settings.py"
git -C "$repo" add -A && git -C "$repo" commit -qm "add settings"
added=$(git -C "$repo" rev-parse HEAD)
git -C "$repo" rm -q settings.py && git -C "$repo" commit -qm "remove settings"
git -C "$repo" gc -q --aggressive
if git -C "$repo" count-objects -v | grep -qx 'count: 0' && git -C "$repo" count-objects -v | grep -qx 'packs: 1'; then
  if run "history scan of a packed repository" 1 scan --git "$repo" -f json; then
    if python3 - "$work/out" "$added" <<'EOF'
import json, sys
findings = json.load(open(sys.argv[1]))["findings"]
assert len(findings) == 1, findings
assert findings[0]["commit"] == sys.argv[2], findings[0]
assert findings[0]["path"] == "settings.py", findings[0]
EOF
    then ok "history scan of a packed repository finds the removed key at the commit that added it"; else bad "history scan: wrong finding"; sed 's/^/  | /' "$work/out" | head -n 20; fi
  fi
else
  bad "git gc left loose objects; the history check needs a packed repository"
fi
echo "windows: $(($(now) - t0)) s in all"
finish
