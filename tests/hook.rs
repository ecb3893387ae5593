//! `install-hook` and the pre-commit framework (issue 3).

// A skipped test says why on standard error.
#![allow(clippy::print_stderr)]

mod common;

use std::path::Path;
use std::process::Command;

use common::{assert_no_full_key, fake_key, hermetic, Repo, Sandbox, AUTHOR, EMAIL};

const MARKER: &str = "# misar-scan-hook: managed by `misar-scan install-hook`";

/// `git commit` in `repo` with hooks enabled; returns (success, stdout + stderr).
fn try_commit(sb: &Sandbox, repo: &Repo, message: &str) -> (bool, String) {
    commit_with(sb, repo, &["-m", message])
}

/// `git commit -q ARGS` in `repo` with hooks enabled; returns (success,
/// stdout + stderr).
fn commit_with(sb: &Sandbox, repo: &Repo, args: &[&str]) -> (bool, String) {
    let mut git = Command::new("git");
    hermetic(&mut git, &sb.home());
    let out = git
        .current_dir(&repo.path)
        .env("GIT_AUTHOR_NAME", AUTHOR)
        .env("GIT_AUTHOR_EMAIL", EMAIL)
        .env("GIT_COMMITTER_NAME", AUTHOR)
        .env("GIT_COMMITTER_EMAIL", EMAIL)
        .args(["commit", "-q"])
        .args(args)
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

#[test]
fn installed_hook_blocks_a_commit_with_a_staged_key_and_allows_it_once_removed() {
    let sb = Sandbox::new();
    let repo = sb.repo("r");
    let k = fake_key("msk_", 41);
    repo.write("README.md", "hi\n");
    repo.commit("init");

    let run = sb.scan(&repo.path, &["install-hook"], &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let hook = repo.path.join(".git/hooks/pre-commit");
    assert!(
        run.stderr.contains("installed the pre-commit hook"),
        "{}",
        run.stderr
    );
    let text = std::fs::read_to_string(&hook).unwrap();
    assert!(text.contains(MARKER));
    assert!(
        text.contains(env!("CARGO_BIN_EXE_misar-scan")),
        "the hook calls this binary:\n{text}"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&hook).unwrap().permissions().mode() & 0o111,
            0o111
        );
    }

    repo.write("deploy.env", &format!("KEY={k}\n"));
    repo.git(&["add", "deploy.env"]);
    let (ok, output) = try_commit(&sb, &repo, "add deploy config");
    assert!(!ok, "the commit must be blocked:\n{output}");
    assert!(output.contains("deploy.env:1:5"), "{output}");
    assert!(output.contains("commit blocked"), "{output}");
    assert_no_full_key("the commit's output", &output, &[&k]);

    repo.write("deploy.env", "KEY=${MISAR_KEY}\n");
    repo.git(&["add", "deploy.env"]);
    let (ok, output) = try_commit(&sb, &repo, "add deploy config");
    assert!(ok, "the commit must go through:\n{output}");

    // `git commit -a` runs the hook on a temporary index ($GIT_INDEX_FILE):
    // a key in a tracked file that was never `git add`ed is caught too.
    repo.write("deploy.env", &format!("KEY=${{MISAR_KEY}}\nBACKUP={k}\n"));
    let (ok, output) = commit_with(&sb, &repo, &["-a", "-m", "backup key"]);
    assert!(!ok, "`git commit -a` must be blocked:\n{output}");
    assert!(output.contains("deploy.env:2:8"), "{output}");
    assert_no_full_key("the commit's output", &output, &[&k]);

    // Installing again updates our own hook.
    let run = sb.scan(&repo.path, &["install-hook"], &[]);
    assert_eq!(run.code, 0);
    assert!(
        run.stderr.contains("updated the pre-commit hook"),
        "{}",
        run.stderr
    );
}

#[test]
fn install_hook_refuses_a_foreign_hook_unless_forced() {
    let sb = Sandbox::new();
    let repo = sb.repo("r");
    let hook = repo.path.join(".git/hooks/pre-commit");
    std::fs::create_dir_all(hook.parent().unwrap()).unwrap();
    std::fs::write(&hook, "#!/bin/sh\necho mine\n").unwrap();

    let run = sb.scan(&repo.path, &["install-hook"], &[]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("was not written by misar-scan"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("--force"), "{}", run.stderr);
    assert_eq!(
        std::fs::read_to_string(&hook).unwrap(),
        "#!/bin/sh\necho mine\n"
    );

    let run = sb.scan(&repo.path, &["install-hook", "--force"], &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(std::fs::read_to_string(&hook).unwrap().contains(MARKER));
    assert_eq!(
        std::fs::read_to_string(hook.with_file_name("pre-commit.backup")).unwrap(),
        "#!/bin/sh\necho mine\n"
    );
}

#[test]
fn install_hook_honours_core_hooks_path() {
    let sb = Sandbox::new();
    let repo = sb.repo("r");
    repo.git(&["config", "core.hooksPath", ".githooks"]);
    let sub = repo.path.join("src");
    std::fs::create_dir(&sub).unwrap();

    let run = sb.scan(&sub, &["install-hook"], &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        std::fs::read_to_string(repo.path.join(".githooks/pre-commit"))
            .unwrap()
            .contains(MARKER)
    );
    assert!(!repo.path.join(".git/hooks/pre-commit").exists());

    let k = fake_key("mdk_", 42);
    repo.write("src/lib.rs", &format!("const K: &str = \"{k}\";\n"));
    repo.git(&["add", "-A"]);
    let (ok, output) = try_commit(&sb, &repo, "key");
    assert!(!ok, "{output}");
    assert!(output.contains("src/lib.rs:1:18"), "{output}");
}

/// A Python with a working `venv`, or why not.
fn venv(dir: &Path) -> Result<std::path::PathBuf, String> {
    let status = Command::new("python3")
        .args(["-m", "venv"])
        .arg(dir)
        .status()
        .map_err(|e| format!("python3 is not available ({e})"))?;
    if !status.success() {
        return Err("`python3 -m venv` failed".into());
    }
    Ok(dir.join("bin"))
}

#[test]
fn pre_commit_framework_blocks_the_commit_and_allows_it_once_the_key_is_removed() {
    let sb = Sandbox::new();
    let bin = match venv(&sb.path("venv")) {
        Ok(bin) => bin,
        Err(why) => {
            eprintln!("SKIPPED pre_commit_framework test: {why}");
            return;
        }
    };
    // pip keeps the machine's registry settings (PIP_*, proxies).
    let mut pip = Command::new(bin.join("pip"));
    pip.args(["install", "-q", "pre-commit"]);
    let pip = pip.output().unwrap();
    if !pip.status.success() {
        eprintln!(
            "SKIPPED pre_commit_framework test: `pip install pre-commit` failed (is PyPI reachable?):\n{}",
            String::from_utf8_lossy(&pip.stderr)
        );
        return;
    }

    let repo = sb.repo("r");
    let k = fake_key("msk_", 43);
    let config = format!(
        "repos:\n  - repo: local\n    hooks:\n      - id: misar-scan\n        name: misar-scan\n        entry: {} scan --staged\n        language: system\n        pass_filenames: false\n        always_run: true\n",
        env!("CARGO_BIN_EXE_misar-scan")
    );
    repo.write(".pre-commit-config.yaml", &config);
    repo.commit("pre-commit config");
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let pre_commit = |args: &[&str]| {
        let out = Command::new(bin.join("pre-commit"))
            .current_dir(&repo.path)
            .env_clear()
            .env("PATH", &path)
            .env("HOME", sb.home())
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "pre-commit {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    pre_commit(&["install"]);

    repo.write("settings.py", &format!("MISAR_KEY = \"{k}\"\n"));
    repo.git(&["add", "settings.py"]);
    let (ok, output) = try_commit(&sb, &repo, "settings");
    assert!(!ok, "the commit must be blocked:\n{output}");
    assert!(output.contains("misar-scan"), "{output}");
    assert!(
        output.contains("settings.py:1:14"),
        "the finding is shown:\n{output}"
    );
    assert_no_full_key("the commit's output", &output, &[&k]);

    repo.write(
        "settings.py",
        "import os\nMISAR_KEY = os.environ[\"MISAR_KEY\"]\n",
    );
    repo.git(&["add", "settings.py"]);
    let (ok, output) = try_commit(&sb, &repo, "settings");
    assert!(ok, "the commit must go through:\n{output}");
}

#[test]
fn install_hook_in_a_linked_worktree_uses_the_shared_hooks() {
    let sb = Sandbox::new();
    let repo = sb.repo("r");
    repo.write("a", "a\n");
    repo.commit("init");
    repo.git(&["worktree", "add", "-q", "-b", "wt", "../wt"]);

    let run = sb.scan(&sb.path("wt"), &["install-hook"], &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        std::fs::read_to_string(repo.path.join(".git/hooks/pre-commit"))
            .unwrap()
            .contains(MARKER)
    );
}
