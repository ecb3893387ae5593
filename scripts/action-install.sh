#!/usr/bin/env bash
# Install step of the misar-scan GitHub Action (action.yml). The scanning
# logic is in the binary (`misar-scan ci github`); this script only gets the
# binary, so it must run before there is one.
#
#   action-install.sh prepare   outputs: version, key (the cache key), dir
#                               (where the binary is cached), found (true when
#                               a misar-scan of this version is already on PATH)
#   action-install.sh install   outputs: binary (absolute path). In order: the
#                               misar-scan on PATH or in the cache; else the
#                               release binary for RUNNER_OS/RUNNER_ARCH from
#                               MISAR_SCAN_RELEASE_URL/v<version>/, checked
#                               against the release's SHA256SUMS; else, when no
#                               release matches this checkout (a branch, an
#                               unreleased commit, no asset for this runner),
#                               `cargo install --locked --path ACTION_PATH`.
#   action-install.sh digest    prints the digest of the sources the binary is
#                               built from (the release workflow publishes it
#                               as SOURCE_DIGEST: a checkout whose digest
#                               differs is not that release)
#   action-install.sh asset OS ARCH VERSION
#                               prints the release archive's name for a runner
#                               (`Linux`/`macOS`/`Windows`, `X64`/`ARM64`)
#
# Needs: GITHUB_ACTION_PATH (the action's checkout), GITHUB_OUTPUT; for
# `install` also the `dir`/`found` outputs of `prepare` as MISAR_SCAN_DIR and
# MISAR_SCAN_FOUND, and curl.
set -euo pipefail

action_path=${GITHUB_ACTION_PATH:-$(cd "$(dirname "$0")/.." && pwd)}

version=$(sed -n 's/^version *= *"\([^"]*\)".*/\1/p' "$action_path/Cargo.toml" | head -n 1)

# `misar-scan 0.1.0 (0123456789ab 2024-05-01)` -> `0.1.0`
installed_version() {
  "$1" --version 2>/dev/null | awk '{ print $2 }'
}

if command -v sha256sum >/dev/null 2>&1; then sha256=(sha256sum); else sha256=(shasum -a 256); fi

# Everything the binary is built from: a change to the sources without a
# version bump must neither reuse an old build nor take the release binary.
source_digest() {
  local sources
  sources=$(cd "$action_path" && find Cargo.toml Cargo.lock build.rs src rules -type f | LC_ALL=C sort)
  (cd "$action_path" && printf '%s\n' "$sources" | xargs "${sha256[@]}" | "${sha256[@]}" | cut -c1-16)
}

# The release archive for a runner: the target triple the release workflow
# builds for it, `.zip` on Windows and `.tar.gz` elsewhere. Fails for a
# runner with no release binary.
asset_name() {
  local os=$1 arch=$2 v=$3 triple ext=tar.gz
  case "$os/$arch" in
    Linux/X64) triple=x86_64-unknown-linux-musl ;;
    Linux/ARM64) triple=aarch64-unknown-linux-musl ;;
    macOS/X64) triple=x86_64-apple-darwin ;;
    macOS/ARM64) triple=aarch64-apple-darwin ;;
    Windows/X64) triple=x86_64-pc-windows-msvc; ext=zip ;;
    *) return 1 ;;
  esac
  echo "misar-scan-$v-$triple.$ext"
}

# fetch URL FILE: an HTTP(S) download; fails on any error status.
fetch() {
  curl --fail --silent --show-error --location --retry 3 --retry-delay 1 --connect-timeout 20 -o "$2" "$1"
}

# release DIR: installs the release binary into DIR/bin and sets `binary`;
# returns 1 (with a notice saying why) when no release matches, so the caller
# builds from source; exits 2 when a release matches but its download is bad
# (a checksum that does not match is never run).
release() {
  local dir=$1 base asset tmp expected actual exe=misar-scan
  base="${MISAR_SCAN_RELEASE_URL:-https://github.com/misar/misar-scan/releases/download}"
  base="${base%/}/v$version"
  if ! asset=$(asset_name "${RUNNER_OS:-unknown}" "${RUNNER_ARCH:-unknown}" "$version"); then
    echo "::notice title=misar-scan::no release binary for ${RUNNER_OS:-unknown}/${RUNNER_ARCH:-unknown}: building from source" >&2
    return 1
  fi
  tmp=$(mktemp -d)
  if ! fetch "$base/SOURCE_DIGEST" "$tmp/SOURCE_DIGEST" 2>"$tmp/err"; then
    echo "::notice title=misar-scan::no release v$version at $base ($(tail -n 1 "$tmp/err")): building from source" >&2
    rm -rf "$tmp"
    return 1
  fi
  if [ "$(tr -d ' \r\n' <"$tmp/SOURCE_DIGEST")" != "$(source_digest)" ]; then
    echo "::notice title=misar-scan::this checkout is not release v$version (a branch or an unreleased commit): building from source" >&2
    rm -rf "$tmp"
    return 1
  fi
  echo "downloading $base/$asset" >&2
  if ! fetch "$base/SHA256SUMS" "$tmp/SHA256SUMS" 2>"$tmp/err" || ! fetch "$base/$asset" "$tmp/$asset" 2>>"$tmp/err"; then
    echo "::error title=misar-scan::release v$version is incomplete: $(tail -n 1 "$tmp/err")" >&2
    exit 2
  fi
  expected=$(awk -v a="$asset" '$2 == a || $2 == "*" a { print $1 }' "$tmp/SHA256SUMS" | head -n 1)
  actual=$("${sha256[@]}" "$tmp/$asset" | cut -d' ' -f1)
  if [ -z "$expected" ]; then
    echo "::error title=misar-scan::$base/SHA256SUMS has no checksum for $asset: refusing to run it" >&2
    exit 2
  fi
  if [ "$expected" != "$actual" ]; then
    echo "::error title=misar-scan::checksum mismatch for $asset: SHA256SUMS says $expected, the download is $actual. Refusing to run it." >&2
    exit 2
  fi
  # The archive holds one folder named after it: misar-scan-VERSION-TRIPLE/.
  mkdir -p "$tmp/x" "$dir/bin"
  local top=${asset%.tar.gz}
  case "$asset" in
    *.zip)
      exe=misar-scan.exe
      top=${asset%.zip}
      if command -v unzip >/dev/null 2>&1; then
        unzip -q "$tmp/$asset" -d "$tmp/x" || true
      else
        python3 -m zipfile -e "$tmp/$asset" "$tmp/x" || python -m zipfile -e "$tmp/$asset" "$tmp/x" || true
      fi
      ;;
    *) tar -xzf "$tmp/$asset" -C "$tmp/x" || true ;;
  esac
  if ! cp "$tmp/x/$top/$exe" "$dir/bin/$exe"; then
    echo "::error title=misar-scan::$asset does not hold $top/$exe" >&2
    exit 2
  fi
  chmod +x "$dir/bin/$exe"
  rm -rf "$tmp"
  if [ "$(installed_version "$dir/bin/$exe")" != "$version" ]; then
    echo "::error title=misar-scan::the release binary $asset does not run or is not version $version" >&2
    exit 2
  fi
  echo "misar-scan $version: release binary $asset (checksum verified)"
  binary="$dir/bin/$exe"
}

case "${1:-}" in
  prepare)
    output=${GITHUB_OUTPUT:?GITHUB_OUTPUT is not set: run this from action.yml}
    digest=$(source_digest)
    dir="${RUNNER_TOOL_CACHE:-$HOME/.cache}/misar-scan/$version-$digest"
    found=false
    if command -v misar-scan >/dev/null 2>&1 && [ "$(installed_version misar-scan)" = "$version" ]; then
      found=true
    fi
    {
      echo "version=$version"
      echo "key=misar-scan-${RUNNER_OS:-unknown}-${RUNNER_ARCH:-unknown}-$version-$digest"
      echo "dir=$dir"
      echo "found=$found"
    } >> "$output"
    ;;
  install)
    output=${GITHUB_OUTPUT:?GITHUB_OUTPUT is not set: run this from action.yml}
    dir=${MISAR_SCAN_DIR:?MISAR_SCAN_DIR is not set}
    if [ "${MISAR_SCAN_FOUND:-false}" = true ]; then
      binary=$(command -v misar-scan)
      echo "misar-scan $version is already installed at $binary"
    elif [ -x "$dir/bin/misar-scan" ] && [ "$(installed_version "$dir/bin/misar-scan")" = "$version" ]; then
      binary="$dir/bin/misar-scan"
      echo "misar-scan $version restored from the cache"
    elif [ -x "$dir/bin/misar-scan.exe" ] && [ "$(installed_version "$dir/bin/misar-scan.exe")" = "$version" ]; then
      binary="$dir/bin/misar-scan.exe"
      echo "misar-scan $version restored from the cache"
    elif release "$dir"; then
      :
    else
      if ! command -v cargo >/dev/null 2>&1; then
        echo "::error title=misar-scan::no release binary matches and cargo is not installed: use a release tag of the action (uses: misar/misar-scan@v$version), a runner with a Rust toolchain, or add dtolnay/rust-toolchain before this step"
        exit 2
      fi
      echo "::group::cargo install misar-scan $version (from source)"
      cargo install --locked --path "$action_path" --root "$dir"
      echo "::endgroup::"
      binary="$dir/bin/misar-scan"
      [ -x "$binary" ] || binary="$dir/bin/misar-scan.exe"
    fi
    echo "$(dirname "$binary")" >> "${GITHUB_PATH:-/dev/null}"
    echo "binary=$binary" >> "$output"
    ;;
  digest)
    source_digest
    ;;
  asset)
    asset_name "${2:?OS}" "${3:?ARCH}" "${4:?VERSION}"
    ;;
  *)
    echo "usage: action-install.sh prepare|install|digest|asset OS ARCH VERSION" >&2
    exit 2
    ;;
esac
