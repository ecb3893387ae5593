#!/usr/bin/env bash
# Install step of the misar-scan GitHub Action (action.yml). The scanning
# logic is in the binary (`misar-scan ci github`); this script only gets the
# binary, so it must run before there is one.
#
#   action-install.sh prepare   outputs: version, key (the cache key), dir
#                               (where the binary is cached), found (true when
#                               a misar-scan of this version is already on PATH)
#   action-install.sh install   outputs: binary (absolute path); builds with
#                               `cargo install --locked --path ACTION_PATH`
#                               unless the cache or PATH already has it
#
# Needs: GITHUB_ACTION_PATH (the action's checkout), GITHUB_OUTPUT; for
# `install` also the `dir`/`found` outputs of `prepare` as MISAR_SCAN_DIR and
# MISAR_SCAN_FOUND.
set -euo pipefail

action_path=${GITHUB_ACTION_PATH:?GITHUB_ACTION_PATH is not set: run this from action.yml}
output=${GITHUB_OUTPUT:?GITHUB_OUTPUT is not set: run this from action.yml}

version=$(sed -n 's/^version *= *"\([^"]*\)".*/\1/p' "$action_path/Cargo.toml" | head -n 1)

# `misar-scan 0.1.0 (0123456789ab 2024-05-01)` -> `0.1.0`
installed_version() {
  "$1" --version 2>/dev/null | awk '{ print $2 }'
}

case "${1:-}" in
  prepare)
    # The key covers everything the binary is built from: a change to the
    # sources without a version bump must not reuse an old build.
    sources=$(cd "$action_path" && find Cargo.toml Cargo.lock build.rs src rules -type f | LC_ALL=C sort)
    digest=$(cd "$action_path" && printf '%s\n' "$sources" | xargs sha256sum | sha256sum | cut -c1-16)
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
    dir=${MISAR_SCAN_DIR:?MISAR_SCAN_DIR is not set}
    if [ "${MISAR_SCAN_FOUND:-false}" = true ]; then
      binary=$(command -v misar-scan)
      echo "misar-scan $version is already installed at $binary"
    elif [ -x "$dir/bin/misar-scan" ] && [ "$(installed_version "$dir/bin/misar-scan")" = "$version" ]; then
      binary="$dir/bin/misar-scan"
      echo "misar-scan $version restored from the cache"
    else
      if ! command -v cargo >/dev/null 2>&1; then
        echo "::error title=misar-scan::cargo is not installed: use a runner with a Rust toolchain (GitHub's ubuntu, macos and windows images have one) or add dtolnay/rust-toolchain before this step"
        exit 2
      fi
      echo "::group::cargo install misar-scan $version"
      cargo install --locked --path "$action_path" --root "$dir"
      echo "::endgroup::"
      binary="$dir/bin/misar-scan"
    fi
    echo "$(dirname "$binary")" >> "${GITHUB_PATH:-/dev/null}"
    echo "binary=$binary" >> "$output"
    ;;
  *)
    echo "usage: action-install.sh prepare|install" >&2
    exit 2
    ;;
esac
