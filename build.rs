//! Build script: puts the git commit and its date into `--version` when the
//! crate is built from a git checkout of this repository.
//!
//! Sets `MISAR_SCAN_VERSION` to `0.1.0 (0123456789ab 2024-05-01)`, or to the
//! bare package version when there is no git, no checkout (`cargo install`
//! from a tarball or the registry), or the crate sits inside some other
//! repository. Rebuilds only when `HEAD` or the branch it points to moves.

use std::path::{Path, PathBuf};
use std::process::Command;

fn git(dir: &Path, args: &[&str]) -> Option<String> {
    let out = Command::new("git")
        .current_dir(dir)
        .args(args)
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    let text = String::from_utf8(out.stdout).ok()?.trim().to_string();
    (!text.is_empty()).then_some(text)
}

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let version = std::env::var("CARGO_PKG_VERSION").unwrap_or_default();
    let manifest = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_default());
    let described = describe(&manifest).map_or(version.clone(), |(commit, date)| match date {
        Some(date) => format!("{version} ({commit} {date})"),
        None => format!("{version} ({commit})"),
    });
    println!("cargo:rustc-env=MISAR_SCAN_VERSION={described}");
}

/// The short commit and its date, when `manifest` is the top of a git work tree.
fn describe(manifest: &Path) -> Option<(String, Option<String>)> {
    let top = PathBuf::from(git(manifest, &["rev-parse", "--show-toplevel"])?);
    // A tarball unpacked inside another repository (a home directory under
    // git, say) must not take that repository's commit.
    if top.canonicalize().ok()? != manifest.canonicalize().ok()? {
        return None;
    }
    let commit = git(manifest, &["rev-parse", "--short=12", "HEAD"])?;
    let date = git(manifest, &["log", "-1", "--format=%cs", "HEAD"]);
    // Watch HEAD and the ref it points to (in the common dir for a linked
    // worktree), and packed-refs; only files that exist, or cargo would rerun
    // this script on every build.
    let resolve = |p: String| {
        let p = PathBuf::from(p);
        if p.is_absolute() {
            p
        } else {
            manifest.join(p)
        }
    };
    let mut watch = Vec::new();
    if let Some(git_dir) = git(manifest, &["rev-parse", "--git-dir"]).map(resolve) {
        watch.push(git_dir.join("HEAD"));
    }
    if let Some(common) = git(manifest, &["rev-parse", "--git-common-dir"]).map(resolve) {
        if let Some(reference) = git(manifest, &["symbolic-ref", "-q", "HEAD"]) {
            watch.push(common.join(reference));
        }
        watch.push(common.join("packed-refs"));
    }
    for path in watch.iter().filter(|p| p.exists()) {
        println!("cargo:rerun-if-changed={}", path.display());
    }
    Some((commit, date))
}
