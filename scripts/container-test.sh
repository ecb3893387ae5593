#!/usr/bin/env bash
# Builds the Dockerfile's `minimal` stage (FROM scratch + the static musl
# binary: no base image to pull) with podman or buildah, checks the image's
# entrypoint and non-root user, and runs a scan in it that finds a planted
# key. The published image is the `image` stage (alpine + git), which needs
# base images this machine cannot pull; it shares the binary and the user.
#
#   scripts/container-test.sh [STATIC-MUSL-BINARY]
#
# Default binary: target/x86_64-unknown-linux-musl/release/misar-scan, built
# when missing (needs `rustup target add x86_64-unknown-linux-musl` and
# musl-gcc, Debian's musl-tools; a release build takes minutes, so .ci/run
# does not run this script). Prints SKIP and why when a tool is missing.
#
# Where the container runtime cannot start a container (a sandbox that
# forbids setrlimit or cgroups), the scan runs in the image's own root
# filesystem instead (`podman mount` + chroot as the image's user), and the
# script says so.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

skip() { echo "SKIP: $*"; echo "container: 0 passed, 0 failed, 1 skipped"; exit 0; }
passed=0
ok() { passed=$((passed + 1)); echo "ok: $*"; }
die() { echo "FAILED: $*"; echo "container: $passed passed, 1 failed"; exit 1; }

if command -v podman >/dev/null 2>&1; then tool=podman
elif command -v buildah >/dev/null 2>&1; then tool=buildah
else skip "neither podman nor buildah is installed (apt-get install podman)"; fi

binary=${1:-target/x86_64-unknown-linux-musl/release/misar-scan}
if [ ! -x "$binary" ]; then
  if ! command -v musl-gcc >/dev/null 2>&1 || ! rustup target list --installed 2>/dev/null | grep -qx x86_64-unknown-linux-musl; then
    skip "no static binary at $binary, and musl-gcc or the x86_64-unknown-linux-musl target is missing to build one"
  fi
  cargo build --release --locked --target x86_64-unknown-linux-musl --bin misar-scan
fi
if ! ldd "$binary" 2>&1 | grep -qE "not a dynamic executable|statically linked"; then
  die "$binary is dynamically linked: the image needs a static (musl) binary"
fi
ok "$binary is static"

work=$(mktemp -d)
image=localhost/misar-scan:container-test
cleanup() {
  if [ -n "${cid:-}" ]; then podman umount "$cid" >/dev/null 2>&1 || true; podman rm -f "$cid" >/dev/null 2>&1 || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

# The build context: the Dockerfile and the binary where the `prebuilt`
# stage takes it from.
mkdir -p "$work/ctx/image/amd64"
cp Dockerfile .dockerignore "$work/ctx/"
cp "$binary" "$work/ctx/image/amd64/misar-scan"
# As the release ships it: without symbols (maturin's `strip = true`).
if command -v strip >/dev/null 2>&1; then strip "$work/ctx/image/amd64/misar-scan"; fi
echo "binary in the image: $(du -k "$work/ctx/image/amd64/misar-scan" | cut -f1) KiB"
start=$(date +%s)
if [ "$tool" = podman ]; then
  podman build -q --build-arg BINARY=prebuilt --target minimal -t "$image" "$work/ctx" >"$work/build.log" 2>&1 || { cat "$work/build.log"; die "podman build"; }
else
  buildah bud -q --build-arg BINARY=prebuilt --target minimal -t "$image" "$work/ctx" >"$work/build.log" 2>&1 || { cat "$work/build.log"; die "buildah bud"; }
fi
size=$($tool images --format '{{.Size}}' "$image" | head -n 1)
ok "$tool built the Dockerfile's minimal stage in $(($(date +%s) - start)) s ($size)"

entrypoint=$($tool inspect --format '{{json .Config.Entrypoint}}' "$image" 2>/dev/null || $tool inspect --format '{{json .OCIv1.Config.Entrypoint}}' "$image")
user=$($tool inspect --format '{{.Config.User}}' "$image" 2>/dev/null || $tool inspect --format '{{.OCIv1.Config.User}}' "$image")
[ "$entrypoint" = '["/misar-scan"]' ] || die "entrypoint is $entrypoint"
[ "$user" = "10001:10001" ] || die "user is $user"
ok "entrypoint $entrypoint, user $user (not root)"

# A tree with a key made at run time (this file holds none).
key=$(python3 -c 'import secrets,string; a=string.ascii_letters+string.digits; print("msk" + "_" + "".join(secrets.choice(a) for _ in range(32)))')
mkdir -p "$work/tree"
printf 'MISAR_API_KEY=%s\n' "$key" >"$work/tree/app.env"
chmod -R a+rX "$work/tree"

check_scan() {
  local how=$1 code=$2 out=$3
  if grep -qF "$key" "$out"; then die "$how: a full key was printed"; fi
  if [ "$code" -ne 1 ] || ! grep -qF "${key:0:8}" "$out"; then
    sed 's/^/  | /' "$out"; die "$how: exit $code, expected 1 with the redacted key"
  fi
  ok "$how: the scan finds the planted key (exit 1)"
}

code=0
ran=false
: >"$work/out"
if [ "$tool" = podman ]; then
  podman run --rm --network none -v "$work/tree:/src:ro" "$image" scan /src >"$work/out" 2>&1 || code=$?
  if ! grep -qE "OCI|crun:|runc:" "$work/out"; then ran=true; fi
fi
if $ran; then
  check_scan "podman run" "$code" "$work/out"
else
  echo "note: $tool cannot start a container here ($(grep -m1 -o 'Error: .*' "$work/out" || echo "buildah only")): running the image's root filesystem with chroot instead"
  command -v podman >/dev/null 2>&1 || skip "running the image needs podman (for podman mount)"
  cid=$(podman create "$image")
  mnt=$(podman mount "$cid")
  mkdir -p "$mnt/src"
  cp -R "$work/tree/." "$mnt/src/"
  chmod -R a+rX "$mnt/src"
  code=0
  chroot --userspec=10001:10001 "$mnt" /misar-scan scan /src >"$work/out" 2>&1 || code=$?
  check_scan "chroot into the image as 10001:10001" "$code" "$work/out"
  version=$(chroot --userspec=10001:10001 "$mnt" /misar-scan --version)
  ok "in the image: $version"
fi
echo "container: $passed passed, 0 failed"
