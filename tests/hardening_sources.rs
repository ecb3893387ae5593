//! Issue 11, sources: keys read back from archive members and non-UTF-8
//! paths, archives found by their magic bytes whatever their name, inputs
//! named on the command line that cannot be scanned, keys base64-encoded
//! twice, archive members that cannot be read, and hook backups.

// A skipped test says why on standard error.
#![allow(clippy::print_stderr)]

mod common;
mod common_git;

use common::{fake_key, locations, run, Tree};
use serde_json::Value;

fn paths(report: &Value) -> Vec<String> {
    locations(report).into_iter().map(|l| l.0).collect()
}

// ---------------------------------------------------------------- item 14

#[cfg(unix)]
#[test]
fn a_fifo_or_device_named_on_the_command_line_is_an_error() {
    let tree = Tree::new();
    let k = fake_key("msk_", 1141);
    tree.write("a.env", format!("KEY={k}\n"));
    let made = std::process::Command::new("mkfifo")
        .arg(tree.path().join("pipe"))
        .status();
    if !made.is_ok_and(|s| s.success()) {
        eprintln!("skipped: `mkfifo` is not available");
        return;
    }
    let r = run(tree.path(), &["scan", "a.env", "pipe", "-f", "json"], &[&k]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains("error:") && r.stderr.contains("`pipe`"),
        "{}",
        r.stderr
    );
    let json = r.json();
    assert_eq!(json["summary"]["incomplete"], true);
    assert_eq!(
        paths(&json),
        ["a.env"],
        "the other inputs are still scanned"
    );

    let r = run(tree.path(), &["scan", "/dev/null"], &[]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("`/dev/null`"), "{}", r.stderr);

    // A FIFO met inside a tree is still only a warning.
    std::fs::create_dir(tree.path().join("dir")).unwrap();
    std::fs::rename(tree.path().join("pipe"), tree.path().join("dir/pipe")).unwrap();
    let r = run(tree.path(), &["scan", "dir"], &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.contains("warning:"), "{}", r.stderr);
}

// ---------------------------------------------------------------- item 18

#[test]
fn install_hook_force_keeps_every_replaced_hook_in_numbered_backups() {
    let sb = common_git::Sandbox::new();
    let repo = sb.repo("r");
    let hook = repo.path.join(".git/hooks/pre-commit");
    std::fs::create_dir_all(hook.parent().unwrap()).unwrap();
    let hooks = [
        "#!/bin/sh\necho one\n",
        "#!/bin/sh\necho two\n",
        "#!/bin/sh\necho three\n",
    ];
    for (i, text) in hooks.iter().enumerate() {
        std::fs::write(&hook, text).unwrap();
        let r = sb.scan(&repo.path, &["install-hook", "--force"], &[]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        let backup = if i == 0 {
            "pre-commit.backup".to_string()
        } else {
            format!("pre-commit.backup.{i}")
        };
        assert!(r.stderr.contains(&backup), "{}", r.stderr);
    }
    let read = |name: &str| std::fs::read_to_string(hook.with_file_name(name)).unwrap();
    assert_eq!(read("pre-commit.backup"), hooks[0]);
    assert_eq!(read("pre-commit.backup.1"), hooks[1]);
    assert_eq!(read("pre-commit.backup.2"), hooks[2]);
    // Our own hook is updated in place, without a backup.
    let r = sb.scan(&repo.path, &["install-hook", "--force"], &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(!hook.with_file_name("pre-commit.backup.3").exists());
}
