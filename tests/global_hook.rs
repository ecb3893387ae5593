//! `install-hook --global` (SPEC §5 machine-wide): `core.hooksPath` in the
//! global git configuration, misar-scan's checks first, then the previous
//! global hook and each repository's own, and `--uninstall` putting back
//! what was there. Driven by the real `git` in a sandboxed `HOME`.

mod common;

use std::path::Path;

use common::{assert_no_full_key, fake_key, Repo, Sandbox};

/// The global `core.hooksPath`, if set.
fn global_hooks_path(sb: &Sandbox) -> Option<String> {
    let out = std::process::Command::new("git")
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", sb.home())
        .args(["config", "--global", "--get", "core.hooksPath"])
        .output()
        .unwrap();
    out.status
        .success()
        .then(|| String::from_utf8(out.stdout).unwrap().trim().to_string())
}

/// An executable hook at `path` that appends `tag` to `log` and exits `code`.
fn marker_hook(path: &Path, log: &Path, tag: &str, code: i32) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(
        path,
        format!(
            "#!/bin/sh\necho \"{tag} $*\" >> '{}'\nexit {code}\n",
            log.display()
        ),
    )
    .unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

fn commit(repo: &Repo, message: &str) -> (bool, String) {
    repo.git(&["add", "-A"]);
    repo.git_out(&["commit", "-q", "-m", message])
}

#[test]
fn global_hooks_check_first_then_run_the_repositorys_own_hook() {
    let sb = Sandbox::new();
    let repo = sb.repo("r");
    let log = sb.path("hooks.log");
    marker_hook(
        &repo.path.join(".git/hooks/pre-commit"),
        &log,
        "own pre-commit",
        0,
    );
    marker_hook(
        &repo.path.join(".git/hooks/commit-msg"),
        &log,
        "own commit-msg",
        0,
    );

    let run = sb.scan(&repo.path, &["install-hook", "--global"], &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let dir = sb.home().join(".config/misar-scan/git-hooks");
    assert_eq!(
        global_hooks_path(&sb).as_deref(),
        Some(dir.to_str().unwrap())
    );
    assert!(dir.join("pre-commit").exists() && dir.join("pre-push").exists());

    repo.write("README.md", "hi\n");
    let (ok, out) = commit(&repo, "clean");
    assert!(ok, "{out}");
    let ran = read(&log);
    assert!(ran.contains("own pre-commit"), "{ran}");
    assert!(
        ran.contains("own commit-msg .git/COMMIT_EDITMSG"),
        "arguments pass through: {ran}"
    );

    let key = fake_key("msk_", 1401);
    repo.write(".env", &format!("K={key}\n"));
    std::fs::remove_file(&log).unwrap();
    let (ok, out) = commit(&repo, "key");
    assert!(!ok, "the commit went through:\n{out}");
    assert!(out.contains("commit blocked"), "{out}");
    assert_no_full_key("commit output", &out, &[&key]);
    assert!(
        !read(&log).contains("own pre-commit"),
        "the chain stops at the first failure"
    );

    // A repository's own hook that fails still blocks.
    repo.git(&["rm", "-q", "--cached", ".env"]);
    std::fs::remove_file(repo.path.join(".env")).unwrap();
    marker_hook(
        &repo.path.join(".git/hooks/pre-commit"),
        &log,
        "own pre-commit",
        7,
    );
    repo.write("b.txt", "b\n");
    let (ok, _) = commit(&repo, "own hook says no");
    assert!(!ok);
}

#[test]
fn global_pre_push_blocks_and_passes_stdin_to_the_repositorys_hook() {
    let sb = Sandbox::new();
    sb.git_in(
        sb.dir.path(),
        &["init", "-q", "--bare", "-b", "main", "remote.git"],
    );
    let repo = sb.repo("r");
    let url = format!("file://{}", sb.path("remote.git").display());
    repo.git(&["remote", "add", "origin", &url]);
    let log = sb.path("hooks.log");
    // The repository's own pre-push (git-lfs has one) reads git's lines too.
    let own = repo.path.join(".git/hooks/pre-push");
    std::fs::write(&own, format!("#!/bin/sh\ncat >> '{}'\n", log.display())).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&own, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    assert_eq!(
        sb.scan(&repo.path, &["install-hook", "--global"], &[]).code,
        0
    );
    repo.write("README.md", "hi\n");
    commit(&repo, "clean");
    let (ok, out) = repo.git_out(&["push", "-q", "origin", "main"]);
    assert!(ok, "{out}");
    assert!(
        read(&log).contains("refs/heads/main"),
        "the repository's hook got git's lines"
    );

    let key = fake_key("ask_", 1402);
    repo.write("k.txt", &format!("{key}\n"));
    commit_no_verify(&repo, "key");
    let (ok, out) = repo.git_out(&["push", "-q", "origin", "main"]);
    assert!(!ok, "the push went through:\n{out}");
    assert!(out.contains("push blocked"), "{out}");
    assert_no_full_key("push output", &out, &[&key]);
}

fn commit_no_verify(repo: &Repo, message: &str) {
    repo.git(&["add", "-A"]);
    repo.git(&["commit", "-q", "--no-verify", "-m", message]);
}

#[test]
fn uninstall_restores_the_previous_hooks_path_and_the_previous_hooks_keep_running() {
    let sb = Sandbox::new();
    let repo = sb.repo("r");
    let log = sb.path("hooks.log");
    let previous = sb.path("team-hooks");
    marker_hook(&previous.join("pre-commit"), &log, "team pre-commit", 0);
    sb.git_in(
        sb.dir.path(),
        &[
            "config",
            "--global",
            "core.hooksPath",
            previous.to_str().unwrap(),
        ],
    );

    let run = sb.scan(&repo.path, &["install-hook", "--global"], &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr.contains("previous `core.hooksPath`"),
        "{}",
        run.stderr
    );
    // Twice: the recorded previous value is not replaced by our own folder.
    assert_eq!(
        sb.scan(&repo.path, &["install-hook", "--global"], &[]).code,
        0
    );
    repo.write("a.txt", "a\n");
    let (ok, out) = commit(&repo, "a");
    assert!(ok, "{out}");
    assert!(
        read(&log).contains("team pre-commit"),
        "the previous global hook runs"
    );

    // A repository hook installed now would go into the global folder: refused.
    let run = sb.scan(&repo.path, &["install-hook"], &[]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("machine-wide"), "{}", run.stderr);

    let run = sb.scan(
        &repo.path,
        &["install-hook", "--global", "--uninstall"],
        &[],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        global_hooks_path(&sb).as_deref(),
        Some(previous.to_str().unwrap())
    );
    assert!(!sb.home().join(".config/misar-scan/git-hooks").exists());
    let run = sb.scan(
        &repo.path,
        &["install-hook", "--global", "--uninstall"],
        &[],
    );
    assert_eq!(run.code, 0);
    assert!(run.stderr.contains("not installed"), "{}", run.stderr);
}

#[test]
fn uninstall_without_a_previous_value_unsets_it() {
    let sb = Sandbox::new();
    let repo = sb.repo("r");
    assert_eq!(global_hooks_path(&sb), None);
    assert_eq!(
        sb.scan(&repo.path, &["install-hook", "--global"], &[]).code,
        0
    );
    assert!(global_hooks_path(&sb).is_some());
    let run = sb.scan(
        &repo.path,
        &["install-hook", "--global", "--uninstall"],
        &[],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(global_hooks_path(&sb), None);
}
