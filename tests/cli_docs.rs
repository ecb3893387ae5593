//! The first five minutes (issue 6): `--help` reads like a manual with
//! examples, completions and the man page come from the same definition,
//! `--version` names the build, and errors say what to do next.

mod common;

use common::{run, Tree};

#[test]
fn every_command_help_has_examples() {
    let tree = Tree::new();
    for args in [
        &["--help"][..],
        &["scan", "--help"],
        &["verify", "--help"],
        &["revoke", "--help"],
        &["install-hook", "--help"],
        &["rules", "--help"],
        &["ci", "github", "--help"],
        &["completions", "--help"],
        &["man", "--help"],
    ] {
        let r = run(tree.path(), args, &[]);
        assert_eq!(r.code, 0, "{args:?}: {}", r.stderr);
        assert!(
            r.stdout.contains("Examples:"),
            "{args:?} has no examples:\n{}",
            r.stdout
        );
        assert!(r.stdout.contains("misar-scan "), "{args:?}");
    }
}

#[test]
fn completions_are_generated_for_every_shell() {
    let tree = Tree::new();
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let r = run(tree.path(), &["completions", shell], &[]);
        assert_eq!(r.code, 0, "{shell}: {}", r.stderr);
        assert!(r.stdout.contains("scan"), "{shell}: {}", r.stdout);
        assert!(r.stdout.contains("install-hook"), "{shell}");
    }
    let r = run(tree.path(), &["completions", "tcsh"], &[]);
    assert_eq!(r.code, 2);
}

#[test]
fn man_page_is_roff_and_documents_the_commands() {
    let tree = Tree::new();
    let r = run(tree.path(), &["man"], &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains(".TH misar-scan 1"), "{}", r.stdout);
    for sub in [
        "scan",
        "verify",
        "revoke",
        "install-hook",
        "rules",
        "ci",
        "sweep",
        "keys",
        "report",
    ] {
        let title = format!(".SH \"MISAR-SCAN {}\"", sub.to_uppercase());
        assert!(r.stdout.contains(&title), "{sub} is documented");
    }
    assert!(r.stdout.contains("\\-\\-range"), "flags are documented");
}

#[test]
fn version_names_the_package_version() {
    let tree = Tree::new();
    let r = run(tree.path(), &["--version"], &[]);
    assert_eq!(r.code, 0);
    let expected = format!("misar-scan {}", env!("CARGO_PKG_VERSION"));
    assert!(r.stdout.starts_with(&expected), "{}", r.stdout);
    // Built from this checkout: `0.1.0 (0123456789ab 2024-05-01)`; from a
    // tarball the bare version (both accepted here).
    let rest = r.stdout.trim()[expected.len()..].trim();
    if !rest.is_empty() {
        let inner = rest.trim_start_matches('(').trim_end_matches(')');
        let commit = inner.split_whitespace().next().unwrap();
        assert_eq!(commit.len(), 12, "{rest}");
        assert!(commit.bytes().all(|b| b.is_ascii_hexdigit()), "{rest}");
    }
}

#[test]
fn git_scan_of_a_folder_that_is_no_repository_hints_what_to_do() {
    let tree = Tree::new();
    let r = run(tree.path(), &["scan", "--git"], &[]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr
            .contains("error: failed to open a git repository at `.`"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("\nhint: `--git` reads a git repository"),
        "{}",
        r.stderr
    );
}

#[test]
fn range_without_git_hints_the_right_command() {
    let tree = Tree::new();
    let r = run(tree.path(), &["scan", "--range", "main..HEAD"], &[]);
    assert_eq!(r.code, 2);
    assert_eq!(
        r.stderr,
        "error: `--range` selects commits, so it needs `--git`\nhint: run `misar-scan scan --git --range BASE..HEAD` (add the repository path after `--git` if it is not `.`)\n"
    );
}

#[test]
fn missing_path_is_an_error_with_a_hint() {
    let tree = Tree::new();
    let r = run(tree.path(), &["scan", "no-such-dir"], &[]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("error: could not read `no-such-dir`"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("hint: `no-such-dir` does not exist"),
        "{}",
        r.stderr
    );
}
