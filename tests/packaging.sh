#!/usr/bin/env bash
# Packaging test (SPEC §7): the wheel and the npm packages that
# scripts/package.sh builds install and work on a machine with no Rust
# toolchain, and the `misar-scan` pre-commit hook of this repository installs
# the prebuilt wheel (no cargo) and blocks a commit that adds a key.
#
#   bash tests/packaging.sh            (run by .ci/run)
#
# Set-up (the only registry traffic): a tools virtualenv with maturin and
# pre-commit from PyPI, kept in target/packaging/tools. The install-and-run
# half then runs with cargo and rustc off PATH (checked), pip pointed at the
# folder with the built wheel only (PIP_NO_INDEX=1, PIP_FIND_LINKS) and npm
# offline. A tool that cannot be had prints SKIP and why; nothing passes
# silently. Ends with the line "packaging: N passed, N failed, N skipped".
#
# PACKAGING_PROFILE (default `dev`: reuses the debug build of `cargo test`;
# `release` for the real thing) chooses the cargo profile of the binary.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
profile=${PACKAGING_PROFILE:-dev}
check=packaging
. tests/shell-check.sh
export GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@example.invalid GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@example.invalid
export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL="$work/gitconfig"
git config --global init.defaultBranch main
git config --global commit.gpgsign false

# Fails the test if any output shows the whole key.
no_full_key() {
  if grep -qF "$key" "$1"; then bad "$2 printed a full key"; return 1; fi
}

# ---- set-up: tools (registry allowed) --------------------------------------
tools="$root/target/packaging/tools"
if [ ! -x "$tools/bin/maturin" ] || [ ! -x "$tools/bin/pre-commit" ]; then
  rm -rf "$tools"
  if ! python3 -m venv "$tools" >"$work/venv.log" 2>&1; then
    skip "python3 -m venv does not work here: $(tail -n 1 "$work/venv.log")"
    finish
  fi
  if ! "$tools/bin/pip" install -q --disable-pip-version-check "maturin>=1.5,<2" "pre-commit>=3.2" >"$work/pip.log" 2>&1; then
    skip "cannot install maturin and pre-commit from PyPI: $(tail -n 1 "$work/pip.log")"
    rm -rf "$tools"
    finish
  fi
fi
echo "tools: $("$tools/bin/maturin" --version), pre-commit $("$tools/bin/pre-commit" --version | awk '{print $2}') ($(($(now) - t0)) s)"

# ---- build (with the toolchain) --------------------------------------------
dist="$work/dist"
t1=$(now)
if ! MATURIN="$tools/bin/maturin" bash scripts/package.sh --profile "$profile" "$dist" >"$work/package.log" 2>&1; then
  cat "$work/package.log"
  bad "scripts/package.sh failed"
  finish
fi
wheel=$(ls "$dist"/misar_scan-*.whl)
launcher_tgz=$(ls "$dist"/misar-scan-[0-9]*.tgz)
platform_tgz=$(ls "$dist"/misar-scan-[a-z]*-*.tgz)
ok "scripts/package.sh built $(basename "$wheel") ($(du -k "$wheel" | cut -f1) KiB), $(basename "$launcher_tgz"), $(basename "$platform_tgz") ($(du -k "$platform_tgz" | cut -f1) KiB) in $(($(now) - t1)) s"

# ---- no toolchain from here on ----------------------------------------------
clean_path=""
IFS=: read -r -a dirs <<<"$PATH"
for d in "${dirs[@]}"; do
  [ -n "$d" ] || continue
  if [ -e "$d/cargo" ] || [ -e "$d/rustc" ]; then continue; fi
  clean_path="${clean_path:+$clean_path:}$d"
done
export PATH="$clean_path"
unset CARGO RUSTC RUSTUP_TOOLCHAIN CARGO_HOME RUSTUP_HOME
if command -v cargo >/dev/null 2>&1 || command -v rustc >/dev/null 2>&1; then
  bad "cargo or rustc is still on PATH ($(command -v cargo rustc | tr '\n' ' '))"
  finish
fi
ok "no cargo or rustc on PATH"

# A tree with a key and a clean one.
mkdir -p "$work/leaky" "$work/clean"
printf 'MISAR_API_KEY=%s\n' "$key" >"$work/leaky/app.env"
printf 'MISAR_API_KEY=${MISAR_API_KEY}\n' >"$work/clean/app.env"

# expect_scan NAME EXPECTED_CODE COMMAND...: runs a scan, checks its exit code,
# that a finding shows the redacted key, and that no output shows the key.
expect_scan() {
  local name=$1 want=$2
  shift 2
  local code=0
  "$@" >"$work/out" 2>&1 || code=$?
  if [ "$code" -ne "$want" ]; then
    bad "$name: exit $code, expected $want"; sed 's/^/  | /' "$work/out" | head -n 20; return
  fi
  no_full_key "$work/out" "$name" || return
  if [ "$want" -eq 1 ] && ! grep -qF "$shown" "$work/out"; then
    bad "$name: the finding does not show $shown…"; return
  fi
  ok "$name (exit $code)"
}

# ---- the wheel in a fresh virtualenv ------------------------------------------
t1=$(now)
python3 -m venv "$work/venv"
if "$work/venv/bin/pip" install -q --disable-pip-version-check --no-index --find-links "$dist" misar-scan >"$work/out" 2>&1; then
  ok "pip install misar-scan from the wheel folder, no index"
  bin="$work/venv/bin/misar-scan"
  if "$bin" --version | grep -q '^misar-scan '; then ok "wheel: $("$bin" --version)"; else bad "wheel: misar-scan --version"; fi
  expect_scan "wheel: scan finds the planted key" 1 "$bin" scan "$work/leaky"
  expect_scan "wheel: scan of a clean tree" 0 "$bin" scan "$work/clean"
else
  bad "pip install of the wheel failed"; cat "$work/out"
fi
echo "wheel checks: $(($(now) - t1)) s"

# ---- the real pre-commit with this repository's hooks -------------------------
# The hook repository: this checkout as it is (tracked and new files, with
# their uncommitted edits), committed into a scratch repository, since
# pre-commit clones a `repo:` at a `rev:`.
t1=$(now)
hookrepo="$work/hookrepo"
mkdir -p "$hookrepo"
git ls-files -z --cached --others --exclude-standard | while IFS= read -r -d '' f; do
  if [ -f "$f" ]; then mkdir -p "$hookrepo/$(dirname "$f")" && cp -p "$f" "$hookrepo/$f"; fi
done
git -C "$hookrepo" init -q && git -C "$hookrepo" add -A && git -C "$hookrepo" commit -q -m hooks
rev=$(git -C "$hookrepo" rev-parse HEAD)

project="$work/project"
git init -q "$project"
cat >"$project/.pre-commit-config.yaml" <<EOF
repos:
  - repo: $hookrepo
    rev: $rev
    hooks:
      - id: misar-scan
      - id: misar-scan-pre-push
EOF
export PRE_COMMIT_HOME="$work/pre-commit-home" PIP_NO_INDEX=1 PIP_FIND_LINKS="$dist" PIP_DISABLE_PIP_VERSION_CHECK=1
(
  cd "$project"
  git add .pre-commit-config.yaml && git commit -q -m config --no-verify
  "$tools/bin/pre-commit" install -t pre-commit -t pre-push >/dev/null
) || bad "pre-commit install"
if (cd "$project" && "$tools/bin/pre-commit" install-hooks) >"$work/out" 2>&1; then
  ok "pre-commit installed the misar-scan hook from the wheel folder (no cargo, no index)"
  env_bin=$(ls -d "$PRE_COMMIT_HOME"/repo*/py_env-*/bin 2>/dev/null | head -n 1)
  if [ -n "$env_bin" ] && [ -x "$env_bin/misar-scan" ] && cmp -s "$env_bin/misar-scan" "$dist/misar-scan"; then
    ok "the hook's misar-scan is the wheel's prebuilt binary"
  else
    bad "the hook environment has no misar-scan binary from the wheel"
  fi
  cd "$project"
  printf 'print("hello")\n' >clean.py
  git add clean.py
  code=0; git commit -q -m clean >"$work/out" 2>&1 || code=$?
  no_full_key "$work/out" "pre-commit (clean)" || true
  if [ "$code" -eq 0 ]; then ok "pre-commit: a clean commit is accepted"; else bad "pre-commit: a clean commit was refused (exit $code)"; sed 's/^/  | /' "$work/out"; fi
  cp "$work/leaky/app.env" .env
  git add .env
  code=0; git commit -q -m leak >"$work/out" 2>&1 || code=$?
  no_full_key "$work/out" "pre-commit (leak)" || true
  if [ "$code" -ne 0 ] && grep -qF "$shown" "$work/out" && [ "$(git rev-list --count HEAD)" -eq 2 ]; then
    ok "pre-commit: a commit that stages a key is blocked (exit $code)"
  else
    bad "pre-commit: the commit with a key was not blocked (exit $code)"; sed 's/^/  | /' "$work/out" | head -n 20
  fi
  # The key committed past the pre-commit hook is stopped by the pre-push one.
  git commit -q --no-verify -m leak
  git init -q --bare "$work/remote.git"
  git remote add origin "$work/remote.git"
  code=0; git push -q origin HEAD:main >"$work/out" 2>&1 || code=$?
  no_full_key "$work/out" "pre-push" || true
  if [ "$code" -ne 0 ] && grep -qF "$shown" "$work/out"; then
    ok "pre-commit (pre-push stage): a push that adds a key is blocked"
  else
    bad "pre-commit (pre-push stage): the push was not blocked (exit $code)"; sed 's/^/  | /' "$work/out" | head -n 20
  fi
  cd "$root"
else
  bad "pre-commit install-hooks failed"; sed 's/^/  | /' "$work/out" | tail -n 30
fi
unset PIP_NO_INDEX PIP_FIND_LINKS
echo "pre-commit checks: $(($(now) - t1)) s"

# ---- npm ------------------------------------------------------------------------
t1=$(now)
if ! command -v npm >/dev/null 2>&1 || ! command -v node >/dev/null 2>&1; then
  skip "npm and node are not installed: the npm packages were not tested"
else
  app="$work/app"
  mkdir -p "$app"
  (cd "$app" && npm init -y >/dev/null && git init -q)
  # Offline: the launcher's other optional dependencies (other platforms)
  # are skipped, as npm does on a platform they do not match.
  if (cd "$app" && npm install --offline --no-audit --no-fund --save-dev "$launcher_tgz" "$platform_tgz") >"$work/out" 2>&1; then
    ok "npm install of the launcher and the platform package (offline)"
    cd "$app"
    if npx --no-install misar-scan --version | grep -q '^misar-scan '; then ok "npx misar-scan --version"; else bad "npx misar-scan --version"; fi
    expect_scan "npx: scan finds the planted key" 1 npx --no-install misar-scan scan "$work/leaky"
    expect_scan "npx: scan of a clean tree" 0 npx --no-install misar-scan scan "$work/clean"
    # What husky writes: a git hook that runs the package's command.
    printf '#!/bin/sh\nexec npx --no-install misar-scan scan --staged\n' >.git/hooks/pre-commit
    chmod +x .git/hooks/pre-commit
    printf 'node_modules/\n' >.gitignore
    git add .gitignore package.json && git commit -q -m init >"$work/out" 2>&1 && ok "npm hook: a clean commit is accepted" || bad "npm hook: clean commit refused"
    cp "$work/leaky/app.env" .env && git add .env
    code=0; git commit -q -m leak >"$work/out" 2>&1 || code=$?
    no_full_key "$work/out" "npm hook" || true
    if [ "$code" -ne 0 ] && grep -qF "$shown" "$work/out"; then ok "npm hook: a commit that stages a key is blocked"; else bad "npm hook: not blocked (exit $code)"; fi
    # The launcher passes exit codes and signals through.
    launcher="$app/node_modules/misar-scan/bin/misar-scan.js"
    code=0; MISAR_SCAN_BINARY=/bin/sh node "$launcher" -c 'exit 7' || code=$?
    if [ "$code" -eq 7 ]; then ok "launcher: exit code passed through"; else bad "launcher: exit $code, expected 7"; fi
    code=0; MISAR_SCAN_BINARY=/bin/sh node "$launcher" -c 'kill -TERM $$' || code=$?
    if [ "$code" -eq 143 ]; then ok "launcher: dies of the binary's signal (SIGTERM)"; else bad "launcher: exit $code after SIGTERM, expected 143"; fi
    cd "$root"
  else
    bad "npm install of the tarballs failed"; sed 's/^/  | /' "$work/out" | tail -n 20
  fi
fi
echo "npm checks: $(($(now) - t1)) s"

echo "packaging test: $(($(now) - t0)) s in all"
finish
