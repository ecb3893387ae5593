//! The push hooks (SPEC §5) driven by the real `git`: a bare repository with
//! `install-hook --pre-receive` receiving pushes over `file://` and smart
//! HTTP (`git http-backend` on 127.0.0.1), the pre-push hook on the client,
//! and the hook run directly on damaged input.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{
    assert_no_full_key, bin, fake_key, hermetic, redacted, sha256, GitHttp, Repo, Sandbox, AUTHOR,
    EMAIL,
};
use serde_json::Value;

/// A server (a bare repository with the pre-receive hook) and a clone.
struct World {
    sb: Sandbox,
    server: PathBuf,
    work: Repo,
}

/// What a `git push` said.
struct Pushed {
    ok: bool,
    out: String,
}

impl World {
    fn new() -> Self {
        let sb = Sandbox::new();
        sb.git_in(
            sb.dir.path(),
            &["init", "-q", "--bare", "-b", "main", "srv.git"],
        );
        let server = sb.path("srv.git");
        let run = sb.scan(&server, &["install-hook", "--pre-receive"], &[]);
        assert_eq!(run.code, 0, "{}", run.stderr);
        assert!(
            run.stderr.contains("installed the pre-receive hook"),
            "{}",
            run.stderr
        );
        let work = sb.repo("w");
        let url = format!("file://{}", server.display());
        work.git(&["remote", "add", "origin", &url]);
        Self { sb, server, work }
    }

    /// `git push ARGS` from the clone, as `tester`.
    fn push(&self, args: &[&str]) -> Pushed {
        push_in(&self.sb, &self.work.path, args)
    }

    /// The id the server's `name` points at.
    fn server_ref(&self, name: &str) -> Option<String> {
        let mut git = Command::new("git");
        hermetic(&mut git, &self.sb.home());
        let out = git
            .current_dir(&self.server)
            .args(["rev-parse", "-q", "--verify", name])
            .output()
            .unwrap();
        out.status
            .success()
            .then(|| String::from_utf8(out.stdout).unwrap().trim().to_string())
    }

    /// The lines of the server's bypass log.
    fn bypass_log(&self) -> Vec<Value> {
        match std::fs::read_to_string(self.server.join("misar-scan/bypass.jsonl")) {
            Ok(text) => text
                .lines()
                .map(|l| serde_json::from_str(l).expect("each line is JSON"))
                .collect(),
            Err(_) => Vec::new(),
        }
    }

    /// Every file under the server's `misar-scan` folder, as text.
    fn server_files(&self) -> String {
        let mut all = String::new();
        if let Ok(dir) = std::fs::read_dir(self.server.join("misar-scan")) {
            for entry in dir.flatten() {
                all.push_str(&std::fs::read_to_string(entry.path()).unwrap_or_default());
            }
        }
        all
    }

    /// A clean first commit on `main`, pushed.
    fn seeded(self) -> Self {
        self.work.write("README.md", "hello\n");
        self.work.commit("init");
        let p = self.push(&["origin", "main"]);
        assert!(p.ok, "{}", p.out);
        self
    }
}

fn push_in(sb: &Sandbox, cwd: &Path, args: &[&str]) -> Pushed {
    let mut git = Command::new("git");
    hermetic(&mut git, &sb.home());
    let out = git
        .current_dir(cwd)
        .env("USER", "tester")
        .env("GIT_AUTHOR_NAME", AUTHOR)
        .env("GIT_AUTHOR_EMAIL", EMAIL)
        .env("GIT_COMMITTER_NAME", AUTHOR)
        .env("GIT_COMMITTER_EMAIL", EMAIL)
        .arg("push")
        .args(args)
        .output()
        .expect("git runs");
    Pushed {
        ok: out.status.success(),
        out: format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    }
}

/// The `remote:` lines of a push's output, prefix removed.
fn remote_lines(out: &str) -> Vec<String> {
    out.lines()
        .filter_map(|l| l.strip_prefix("remote: "))
        .map(|l| l.trim_end().to_string())
        .collect()
}

fn assert_rejected(p: &Pushed, keys: &[&str]) {
    assert!(!p.ok, "the push went through:\n{}", p.out);
    let remote = remote_lines(&p.out).join("\n");
    assert!(
        remote.contains("misar-scan: push rejected"),
        "no rejection on remote: lines:\n{}",
        p.out
    );
    assert_no_full_key("push output", &p.out, keys);
}

#[test]
fn a_clean_push_is_accepted_and_a_key_is_rejected_with_where_and_how_to_bypass() {
    let w = World::new().seeded();
    let key = fake_key("msk_", 1301);
    let before = w.server_ref("main").unwrap();
    w.work
        .write("config/app.env", &format!("MISAR_KEY={key}\n"));
    let commit = w.work.commit("add config");

    let p = w.push(&["origin", "main"]);
    assert_rejected(&p, &[&key]);
    let remote = remote_lines(&p.out).join("\n");
    assert!(remote.contains(&redacted(&key)), "{remote}");
    assert!(remote.contains("config/app.env:1"), "{remote}");
    assert!(remote.contains(&commit[..12]), "{remote}");
    assert!(
        remote.contains("git push -o misar-scan.bypass=\"<reason>\" <remote> main"),
        "{remote}"
    );
    assert_eq!(w.server_ref("main").unwrap(), before, "the ref moved");
    assert!(w.bypass_log().is_empty());
}

#[test]
fn a_bypass_with_a_reason_is_accepted_and_recorded_once_without_the_key() {
    let w = World::new().seeded();
    let key = fake_key("msk_", 1302);
    w.work.write(".env", &format!("MISAR_KEY={key}\n"));
    let commit = w.work.commit("fixture");

    let p = w.push(&[
        "-o",
        "misar-scan.bypass=test fixture, revoked",
        "origin",
        "main",
    ]);
    assert!(p.ok, "{}", p.out);
    assert_no_full_key("push output", &p.out, &[&key]);
    assert!(
        remote_lines(&p.out)
            .join("\n")
            .contains("push accepted with a Misar API key"),
        "{}",
        p.out
    );
    assert_eq!(w.server_ref("main").unwrap(), commit);
    let log = w.bypass_log();
    assert_eq!(log.len(), 1, "{log:?}");
    let r = &log[0];
    assert_eq!(r["reason"], "test fixture, revoked");
    assert_eq!(r["pusher"]["name"], "tester");
    assert_eq!(r["pusher"]["from"], "USER");
    assert_eq!(r["refs"][0]["ref"], "refs/heads/main");
    assert_eq!(r["refs"][0]["new"], commit.as_str());
    assert_eq!(r["commits"], serde_json::json!([commit]));
    assert_eq!(r["findings"][0]["path"], ".env");
    assert_eq!(r["findings"][0]["secret_sha256"], sha256(&key));
    assert!(r["time"].as_str().unwrap().ends_with('Z'));
    assert_no_full_key("bypass log", &w.server_files(), &[&key]);

    // Nothing new: a second push of the same commits writes nothing.
    let p = w.push(&[
        "-o",
        "misar-scan.bypass=again",
        "origin",
        "main:refs/heads/copy",
    ]);
    assert!(p.ok, "{}", p.out);
    assert_eq!(
        w.bypass_log().len(),
        1,
        "a push that adds nothing is no bypass"
    );
}

#[test]
fn an_empty_bypass_reason_is_no_bypass() {
    let w = World::new().seeded();
    let key = fake_key("ask_", 1303);
    w.work.write("a.txt", &format!("{key}\n"));
    w.work.commit("key");
    for option in [
        "misar-scan.bypass=",
        "misar-scan.bypass=   ",
        "misar-scan.bypass",
    ] {
        let p = w.push(&["-o", option, "origin", "main"]);
        assert_rejected(&p, &[&key]);
        assert!(
            remote_lines(&p.out)
                .join("\n")
                .contains("an empty reason is not a bypass"),
            "{}",
            p.out
        );
    }
    assert!(w.bypass_log().is_empty());
}

#[test]
fn a_new_branch_from_an_old_commit_adds_nothing_and_is_accepted() {
    let w = World::new().seeded();
    let key = fake_key("msk_", 1304);
    w.work.write(".env", &format!("K={key}\n"));
    let with_key = w.work.commit("key");
    let p = w.push(&[
        "-o",
        "misar-scan.bypass=seeding the history",
        "origin",
        "main",
    ]);
    assert!(p.ok, "{}", p.out);
    w.work.write(".env", "K=\n");
    w.work.commit("remove");
    let p = w.push(&["origin", "main"]);
    assert!(p.ok, "{}", p.out);

    // A branch at the commit that added the key: nothing the server lacks.
    let p = w.push(&["origin", &format!("{with_key}:refs/heads/old")]);
    assert!(p.ok, "{}", p.out);
    assert_eq!(w.server_ref("old").unwrap(), with_key);
    assert_eq!(w.bypass_log().len(), 1);
}

#[test]
fn tags_are_scanned_for_new_commits_and_their_own_message() {
    let w = World::new().seeded();
    let key = fake_key("mdk_", 1305);
    // A lightweight tag on a commit the server has: accepted.
    w.work.git(&["tag", "v0"]);
    assert!(w.push(&["origin", "v0"]).ok);
    // An annotated tag whose message holds a key, on a known commit: rejected.
    w.work
        .git(&["tag", "-a", "v1", "-m", &format!("release with {key}")]);
    let p = w.push(&["origin", "v1"]);
    assert_rejected(&p, &[&key]);
    assert!(
        remote_lines(&p.out).join("\n").contains("tag message"),
        "{}",
        p.out
    );
    assert!(w.server_ref("refs/tags/v1").is_none());
    // A tag on a new commit that adds a key: rejected.
    w.work.write("k.txt", &format!("{key}\n"));
    w.work.commit("key");
    w.work.git(&["tag", "v2"]);
    let p = w.push(&["origin", "v2"]);
    assert_rejected(&p, &[&key]);
    assert!(remote_lines(&p.out).join("\n").contains("k.txt:1"));
    assert!(w.server_ref("refs/tags/v2").is_none());
}

#[test]
fn a_deletion_scans_nothing() {
    let w = World::new().seeded();
    let key = fake_key("msk_", 1306);
    w.work.git(&["checkout", "-q", "-b", "leaky"]);
    w.work.write(".env", &format!("K={key}\n"));
    w.work.commit("key");
    assert!(
        w.push(&["-o", "misar-scan.bypass=fixture", "origin", "leaky"])
            .ok
    );
    let p = w.push(&["origin", "--delete", "leaky"]);
    assert!(p.ok, "{}", p.out);
    assert!(w.server_ref("leaky").is_none());
    assert!(remote_lines(&p.out).is_empty(), "{}", p.out);
}

#[test]
fn a_force_push_is_scanned_for_its_new_commits_and_the_bypass_says_force() {
    let w = World::new().seeded();
    w.work.write("a.txt", "one\n");
    w.work.commit("one");
    assert!(w.push(&["origin", "main"]).ok);
    let before = w.server_ref("main").unwrap();
    let key = fake_key("msk_", 1307);
    w.work.git(&["reset", "-q", "--hard", "HEAD~1"]);
    w.work.write("b.txt", &format!("{key}\n"));
    w.work.commit("rewritten");
    let p = w.push(&["--force", "origin", "main"]);
    assert_rejected(&p, &[&key]);
    assert!(
        remote_lines(&p.out)
            .join("\n")
            .contains("git push --force -o misar-scan.bypass="),
        "{}",
        p.out
    );
    assert_eq!(w.server_ref("main").unwrap(), before);
    // Rewritten without the key: accepted.
    w.work.write("b.txt", "clean\n");
    w.work
        .git_commit(&["commit", "-q", "-a", "--amend", "-m", "rewritten"]);
    let p = w.push(&["--force", "origin", "main"]);
    assert!(p.ok, "{}", p.out);
}

#[test]
fn two_refs_in_one_push_are_rejected_together() {
    let w = World::new().seeded();
    let key = fake_key("ask_", 1308);
    let main_before = w.server_ref("main").unwrap();
    w.work.write("clean.txt", "fine\n");
    w.work.commit("clean");
    w.work.git(&["checkout", "-q", "-b", "feature"]);
    w.work
        .write("src/key.rs", &format!("const K: &str = \"{key}\";\n"));
    let bad = w.work.commit("key");
    let p = w.push(&["origin", "main", "feature"]);
    assert_rejected(&p, &[&key]);
    let remote = remote_lines(&p.out).join("\n");
    assert!(remote.contains(&bad[..12]), "{remote}");
    assert!(remote.contains("<remote> main feature"), "{remote}");
    assert_eq!(w.server_ref("main").unwrap(), main_before, "main moved");
    assert!(w.server_ref("feature").is_none());
}

#[test]
fn a_key_added_then_removed_inside_the_push_is_still_rejected() {
    let w = World::new().seeded();
    let key = fake_key("msk_", 1309);
    w.work.write(".env", &format!("K={key}\n"));
    let added = w.work.commit("add");
    w.work.write(".env", "K=${MISAR_KEY}\n");
    w.work.commit("remove");
    let p = w.push(&["origin", "main"]);
    assert_rejected(&p, &[&key]);
    assert!(
        remote_lines(&p.out).join("\n").contains(&added[..12]),
        "{}",
        p.out
    );
}

#[test]
fn merges_report_only_what_the_merge_itself_writes() {
    let w = World::new().seeded();
    let key = fake_key("msk_", 1310);
    // A branch with a key, let through once; then merged into main: the
    // merge brings nothing the server lacks besides itself.
    w.work.git(&["checkout", "-q", "-b", "side"]);
    w.work.write("side.env", &format!("K={key}\n"));
    w.work.commit("side key");
    assert!(
        w.push(&["-o", "misar-scan.bypass=fixture", "origin", "side"])
            .ok
    );
    w.work.git(&["checkout", "-q", "main"]);
    w.work.write("main.txt", "main\n");
    w.work.commit("main work");
    w.work
        .git_commit(&["merge", "-q", "--no-ff", "-m", "merge side", "side"]);
    let p = w.push(&["origin", "main"]);
    assert!(p.ok, "{}", p.out);
    assert_eq!(w.bypass_log().len(), 1);

    // A merge whose resolution writes a key: rejected at the merge.
    let other = fake_key("mdk_", 1311);
    w.work.git(&["checkout", "-q", "-b", "two"]);
    w.work.write("conf.txt", "two\n");
    w.work.commit("two");
    w.work.git(&["checkout", "-q", "main"]);
    w.work.write("conf.txt", "one\n");
    w.work.commit("one");
    assert!(!w.work.git_ok(&["merge", "-q", "two"]));
    w.work.write("conf.txt", &format!("{other}\n"));
    w.work.git(&["add", "conf.txt"]);
    let merge = w.work.git_commit(&["commit", "-q", "--no-edit"]);
    let p = w.push(&["origin", "main"]);
    assert_rejected(&p, &[&key, &other]);
    let remote = remote_lines(&p.out).join("\n");
    assert!(remote.contains(&merge[..12]), "{remote}");
    assert!(remote.contains(&redacted(&other)), "{remote}");
    assert!(!remote.contains(&redacted(&key)), "{remote}");
}

#[test]
fn a_hook_that_cannot_scan_rejects_the_push_with_the_reason() {
    let w = World::new().seeded();
    // A broken configuration on the server: the scan cannot start.
    std::fs::write(w.server.join(".misar-scan.toml"), "[allowlist\n").unwrap();
    w.work.write("a.txt", "fine\n");
    w.work.commit("fine");
    let p = w.push(&["origin", "main"]);
    assert!(!p.ok, "{}", p.out);
    let remote = remote_lines(&p.out).join("\n");
    assert!(remote.contains("could not be scanned"), "{remote}");
    assert!(remote.contains(".misar-scan.toml"), "{remote}");
}

#[test]
fn a_configuration_above_the_repositories_applies_its_allow_list() {
    let w = World::new().seeded();
    // One file for every repository under the folder.
    std::fs::write(
        w.sb.dir.path().join(".misar-scan.toml"),
        "[allowlist]\npaths = [\"fixtures/**\"]\n",
    )
    .unwrap();
    let key = fake_key("msk_", 1313);
    w.work.write("fixtures/sample.env", &format!("K={key}\n"));
    let commit = w.work.commit("fixture");
    let p = w.push(&["origin", "main"]);
    assert!(p.ok, "{}", p.out);
    assert_eq!(w.server_ref("main").unwrap(), commit);
    w.work.write("src/app.env", &format!("K={key}\n"));
    w.work.commit("not a fixture");
    assert_rejected(&w.push(&["origin", "main"]), &[&key]);
}

#[test]
fn pushes_over_smart_http_are_rejected_or_let_through_and_name_the_web_user() {
    let w = World::new().seeded();
    let http = GitHttp::start(w.sb.dir.path(), &w.sb.home(), "alice");
    w.work
        .git(&["remote", "add", "web", &format!("{}srv.git", http.url)]);
    let key = fake_key("msk_", 1312);
    w.work.write("deploy/.env", &format!("MISAR_KEY={key}\n"));
    let commit = w.work.commit("deploy");
    let before = w.server_ref("main").unwrap();

    let p = w.push(&["web", "main"]);
    assert_rejected(&p, &[&key]);
    assert!(
        remote_lines(&p.out).join("\n").contains("deploy/.env:1"),
        "{}",
        p.out
    );
    assert_eq!(w.server_ref("main").unwrap(), before);

    let p = w.push(&[
        "-o",
        "misar-scan.bypass=approved by security",
        "web",
        "main",
    ]);
    assert!(p.ok, "{}", p.out);
    assert_no_full_key("push output", &p.out, &[&key]);
    assert_eq!(w.server_ref("main").unwrap(), commit);
    let log = w.bypass_log();
    assert_eq!(log.len(), 1, "{log:?}");
    assert_eq!(log[0]["pusher"]["name"], "alice");
    assert_eq!(log[0]["pusher"]["from"], "REMOTE_USER");
    assert_no_full_key("bypass log", &w.server_files(), &[&key]);
}

/// `misar-scan hook pre-receive` run as git would, on `input`, with the
/// pushed objects in `quarantine`.
fn pre_receive(sb: &Sandbox, git_dir: &Path, quarantine: &Path, input: &str) -> common::Run {
    bin(git_dir)
        .home(&sb.home())
        .args(["hook", "pre-receive"])
        .env("GIT_DIR", ".")
        .env("GIT_OBJECT_DIRECTORY", quarantine)
        .env("GIT_QUARANTINE_PATH", quarantine)
        .env("GIT_ALTERNATE_OBJECT_DIRECTORIES", git_dir.join("objects"))
        .stdin(input)
        .run()
}

#[test]
fn damaged_input_and_objects_reject_the_push_with_a_reason_not_a_crash() {
    let w = World::new().seeded();
    let quarantine = w.sb.path("incoming");
    std::fs::create_dir_all(quarantine.join("ab")).unwrap();
    let zero = "0".repeat(40);
    let corrupt = format!("ab{}", "c".repeat(38));
    // A loose object that is not zlib data.
    std::fs::write(quarantine.join("ab").join(&corrupt[2..]), b"not an object").unwrap();
    let missing = "d".repeat(40);
    let cases = [
        (format!("{zero} {corrupt} refs/heads/x\n"), "cannot be read"),
        (format!("{zero} {missing} refs/heads/y\n"), "cannot be read"),
        (
            "this is not what git writes\n".to_string(),
            "not an object id",
        ),
        ("only-one-field\n".to_string(), "expected"),
    ];
    for (input, says) in cases {
        let run = pre_receive(&w.sb, &w.server, &quarantine, &input);
        assert_eq!(run.code, 2, "{input}: {}", run.stderr);
        assert!(
            run.stderr.contains("could not be scanned"),
            "{}",
            run.stderr
        );
        assert!(run.stderr.contains(says), "{input}: {}", run.stderr);
        assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    }
    // A quarantine folder that does not exist.
    let run = pre_receive(
        &w.sb,
        &w.server,
        &w.sb.path("nowhere"),
        &format!("{zero} {} refs/heads/z\n", w.server_ref("main").unwrap()),
    );
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("cannot be read"), "{}", run.stderr);
    // Deletions only: nothing to read, accepted.
    let run = pre_receive(
        &w.sb,
        &w.server,
        &quarantine,
        &format!("{} {zero} refs/heads/main\n", w.server_ref("main").unwrap()),
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
}

#[test]
fn pre_push_blocks_locally_and_scans_only_what_the_remote_lacks() {
    let sb = Sandbox::new();
    sb.git_in(
        sb.dir.path(),
        &["init", "-q", "--bare", "-b", "main", "plain.git"],
    );
    let work = sb.repo("w");
    work.git(&[
        "remote",
        "add",
        "origin",
        &format!("file://{}", sb.path("plain.git").display()),
    ]);
    work.write("README.md", "hi\n");
    work.commit("init");
    let run = sb.scan(&work.path, &["install-hook", "--pre-push"], &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(work.path.join(".git/hooks/pre-push").exists());
    assert!(push_in(&sb, &work.path, &["origin", "main"]).ok);
    let server_main = || {
        let mut git = Command::new("git");
        hermetic(&mut git, &sb.home());
        let out = git
            .current_dir(sb.path("plain.git"))
            .args(["rev-parse", "main"])
            .output()
            .unwrap();
        String::from_utf8(out.stdout).unwrap().trim().to_string()
    };
    let before = server_main();

    let key = fake_key("msk_", 1320);
    work.write("app/.env", &format!("K={key}\n"));
    let commit = work.commit("key");
    let p = push_in(&sb, &work.path, &["origin", "main"]);
    assert!(!p.ok, "{}", p.out);
    assert_no_full_key("push output", &p.out, &[&key]);
    assert!(p.out.contains("push blocked"), "{}", p.out);
    assert!(p.out.contains("app/.env:1"), "{}", p.out);
    assert!(p.out.contains(&commit[..12]), "{}", p.out);
    assert!(p.out.contains("git push --no-verify"), "{}", p.out);
    assert_eq!(server_main(), before, "the remote moved");

    // Through with --no-verify; afterwards the remote has those commits, and
    // a branch pushed at them scans nothing.
    assert!(push_in(&sb, &work.path, &["--no-verify", "origin", "main"]).ok);
    let p = push_in(&sb, &work.path, &["origin", "main:refs/heads/copy"]);
    assert!(p.ok, "{}", p.out);
    // A deletion scans nothing.
    let p = push_in(&sb, &work.path, &["origin", "--delete", "copy"]);
    assert!(p.ok, "{}", p.out);
    // The hook reads nothing of the history: run directly, it says nothing.
    let line = format!("refs/heads/main {commit} refs/heads/main {commit}\n");
    let run = bin(&work.path)
        .home(&sb.home())
        .args(["hook", "pre-push", "origin"])
        .stdin(line)
        .secrets(&[&key])
        .run();
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stderr.is_empty(), "{}", run.stderr);
}
