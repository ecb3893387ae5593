#!/usr/bin/env bash
# The one packaging entry point: builds, from this checkout, the PyPI wheel
# and the npm tarballs (the `misar-scan` launcher and one platform package)
# into OUTDIR. CI (scripts/test-packaging.sh) and the release workflow use it.
#
#   scripts/package.sh [--target TRIPLE] [--profile PROFILE] OUTDIR
#
# One cargo build makes the binary: maturin compiles it (into the usual
# target/ folder) and wraps it into the wheel; the npm platform package and
# the release archive take that same binary from target/. Without --target it
# is for this machine (the host triple); --profile defaults to `release`
# (CI passes `dev` to reuse the debug build `cargo test` already made).
#
# Prints the paths it wrote, one a line, and writes OUTDIR/misar-scan[.exe]
# (the binary), OUTDIR/*.whl and OUTDIR/*.tgz.
#
# Needs: cargo, maturin (MATURIN=/path/to/maturin, else on PATH), npm, node.
# MATURIN_ARGS adds flags to `maturin build`.
set -euo pipefail

target=""
profile=release
while [ $# -gt 1 ]; do
  case "$1" in
    --target) target=$2; shift 2 ;;
    --profile) profile=$2; shift 2 ;;
    *) echo "package.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
if [ $# -ne 1 ]; then
  echo "usage: scripts/package.sh [--target TRIPLE] [--profile PROFILE] OUTDIR" >&2
  exit 2
fi
root=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$1"
out=$(cd "$1" && pwd)
maturin=${MATURIN:-maturin}
version=$(sed -n 's/^version *= *"\([^"]*\)".*/\1/p' "$root/Cargo.toml" | head -n 1)

if [ -z "$target" ]; then
  target=$(rustc -vV | sed -n 's/^host: //p')
fi

# The npm platform package for a Rust target triple (node's process.platform
# and process.arch).
case "$target" in
  x86_64-unknown-linux-*) npm_os=linux; npm_cpu=x64 ;;
  aarch64-unknown-linux-*) npm_os=linux; npm_cpu=arm64 ;;
  x86_64-apple-darwin) npm_os=darwin; npm_cpu=x64 ;;
  aarch64-apple-darwin) npm_os=darwin; npm_cpu=arm64 ;;
  x86_64-pc-windows-*) npm_os=win32; npm_cpu=x64 ;;
  *) echo "package.sh: no npm platform package for $target" >&2; exit 2 ;;
esac
exe=misar-scan
case "$npm_os" in win32) exe=misar-scan.exe ;; esac

# Cargo's folder for the profile (`dev` builds into `debug`).
profile_dir=$profile
[ "$profile" = dev ] && profile_dir=debug
target_dir=${CARGO_TARGET_DIR:-$root/target}

# 1. The wheel (and the binary). maturin builds with `--target` into
# target/TRIPLE/PROFILE; the host target without it, into target/PROFILE,
# where `cargo build`/`cargo test` already put theirs.
host=$(rustc -vV | sed -n 's/^host: //p')
args=(build --locked --profile "$profile" --out "$out")
# Extra maturin flags (the release's `--compatibility manylinux2014 musllinux_1_2`).
read -r -a extra <<<"${MATURIN_ARGS:-}"
args+=(${extra[@]+"${extra[@]}"})
if [ "$target" = "$host" ]; then
  binary="$target_dir/$profile_dir/$exe"
else
  args+=(--target "$target")
  binary="$target_dir/$target/$profile_dir/$exe"
fi
(cd "$root/packaging/pypi" && "$maturin" "${args[@]}") >&2
cp "$binary" "$out/$exe"

# 2. The npm packages: this platform's, then the launcher, each staged in a
# temporary folder with the version of Cargo.toml.
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
platform="$stage/platform"
mkdir -p "$platform/bin"
cp "$root/npm/platform/package.json" "$platform/package.json"
cp "$binary" "$platform/bin/$exe"
chmod 0755 "$platform/bin/$exe"
launcher="$stage/launcher"
cp -R "$root/npm/misar-scan" "$launcher"
cp "$root/README.md" "$launcher/README.md"
VERSION=$version NPM_OS=$npm_os NPM_CPU=$npm_cpu node - "$platform/package.json" "$launcher/package.json" <<'JS'
const fs = require("fs");
const [platformJson, launcherJson] = process.argv.slice(2);
const { VERSION, NPM_OS, NPM_CPU } = process.env;
const p = JSON.parse(fs.readFileSync(platformJson, "utf8"));
p.name = `@misar-scan/${NPM_OS}-${NPM_CPU}`;
p.version = VERSION;
p.description = p.description.replace("PLATFORM", `${NPM_OS}-${NPM_CPU}`);
p.os = [NPM_OS];
p.cpu = [NPM_CPU];
fs.writeFileSync(platformJson, JSON.stringify(p, null, 2) + "\n");
const l = JSON.parse(fs.readFileSync(launcherJson, "utf8"));
l.version = VERSION;
for (const dep of Object.keys(l.optionalDependencies)) l.optionalDependencies[dep] = VERSION;
fs.writeFileSync(launcherJson, JSON.stringify(l, null, 2) + "\n");
JS
(cd "$platform" && npm pack --silent --pack-destination "$out") >/dev/null
(cd "$launcher" && npm pack --silent --pack-destination "$out") >/dev/null

ls -1 "$out"/*.whl "$out"/*.tgz "$out/$exe"
