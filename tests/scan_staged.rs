//! `scan --staged`: what the next commit will contain (issue 3).

mod common;

use common::{at, fake_key, Sandbox};

#[test]
fn staged_scan_finds_a_staged_key_removed_from_the_working_file() {
    let sb = Sandbox::new();
    let repo = sb.repo("r");
    let k = fake_key("msk_", 31);
    repo.write("README.md", "hi\n");
    repo.commit("init");
    repo.write("src/config.py", &format!("import os\nKEY = '{k}'\n"));
    repo.git(&["add", "src/config.py"]);
    repo.write("src/config.py", "import os\nKEY = os.environ['KEY']\n");

    let run = sb.scan(&repo.path, &["scan", "--staged", "-f", "json"], &[&k]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(run.places(), vec![at("src/config.py", 2, None)]);

    // Paths stay relative to the repository root when run from a subfolder.
    let run = sb.scan(
        &repo.path.join("src"),
        &["scan", "--staged", "-f", "json"],
        &[&k],
    );
    assert_eq!(run.places(), vec![at("src/config.py", 2, None)]);
    let sarif = sb.scan(&repo.path, &["scan", "--staged", "-f", "sarif"], &[&k]);
    let doc: serde_json::Value = serde_json::from_str(&sarif.stdout).unwrap();
    assert_eq!(
        doc["runs"][0]["automationDetails"]["id"],
        "misar-scan/staged/"
    );
}

#[test]
fn staged_scan_ignores_unstaged_edits() {
    let sb = Sandbox::new();
    let repo = sb.repo("r");
    let k = fake_key("msk_", 32);
    repo.write("app.env", "USER=me\n");
    repo.commit("init");
    repo.write("app.env", "USER=me\nDEBUG=1\n");
    repo.git(&["add", "app.env"]);
    repo.write("app.env", &format!("USER=me\nDEBUG=1\nKEY={k}\n"));
    repo.write("untracked.env", &format!("KEY={k}\n"));

    let run = sb.scan(&repo.path, &["scan", "--staged", "-f", "json"], &[&k]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.places(), vec![]);
}

#[test]
fn staged_scan_in_a_repository_without_commits_scans_everything_staged() {
    let sb = Sandbox::new();
    let repo = sb.repo("r");
    let k = fake_key("ask_", 33);
    repo.write("a/b/c.json", &format!("{{\"key\": \"{k}\"}}\n"));
    repo.git(&["add", "-A"]);

    let run = sb.scan(&repo.path, &["scan", "--staged", "-f", "json"], &[&k]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let places = run.places();
    assert_eq!(places.len(), 1);
    assert_eq!((places[0].0.as_str(), places[0].1), ("a/b/c.json", 1));
    assert_eq!(places[0].2, "assisters-api-key");
}

#[test]
fn staged_scan_reports_only_keys_a_modified_file_adds() {
    let sb = Sandbox::new();
    let repo = sb.repo("r");
    let old = fake_key("msk_", 34);
    let new = fake_key("msk_", 35);
    repo.write("keys.env", &format!("OLD={old}\n"));
    repo.commit("legacy");
    repo.write("keys.env", &format!("# comment\nOLD={old}\n"));
    repo.git(&["add", "keys.env"]);
    let run = sb.scan(&repo.path, &["scan", "--staged", "-f", "json"], &[&old]);
    assert_eq!(
        run.code, 0,
        "an old key is not this commit's doing: {}",
        run.stderr
    );

    repo.write("keys.env", &format!("# comment\nOLD={old}\nNEW={new}\n"));
    repo.git(&["add", "keys.env"]);
    let run = sb.scan(
        &repo.path,
        &["scan", "--staged", "-f", "json"],
        &[&old, &new],
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(run.places(), vec![at("keys.env", 3, None)]);
}

#[test]
fn staged_scan_outside_a_repository_is_an_error() {
    let sb = Sandbox::new();
    let dir = sb.path("plain");
    std::fs::create_dir(&dir).unwrap();
    let run = sb.scan(&dir, &["scan", "--staged"], &[]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("failed to open a git repository"),
        "{}",
        run.stderr
    );
}

#[test]
fn staged_scan_from_a_subfolder_uses_the_repository_configuration() {
    let sb = Sandbox::new();
    let repo = sb.repo("r");
    let k = fake_key("msk_", 36);
    repo.write(
        ".misar-scan.toml",
        "[allowlist]\npaths = [\"fixtures/**\"]\n",
    );
    repo.write("fixtures/fake.env", &format!("KEY={k}\n"));
    repo.write("src/real.env", &format!("KEY={k}\n"));
    repo.git(&["add", "-A"]);

    let run = sb.scan(
        &repo.path.join("src"),
        &["scan", "--staged", "-f", "json"],
        &[&k],
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(run.places(), vec![at("src/real.env", 1, None)]);
}

#[test]
fn staged_scan_reads_index_versions_2_3_and_4_and_skips_intent_to_add() {
    let sb = Sandbox::new();
    let repo = sb.repo("r");
    let changed = fake_key("msk_", 37);
    let added = fake_key("mdk_", 38);
    let not_staged = fake_key("msk_", 39);
    for d in 0..20 {
        for f in 0..5 {
            repo.write(
                &format!("src/d{d:02}/sub/f{f}.rs"),
                &format!("// {d} {f}\n"),
            );
        }
    }
    repo.write("src/d07/sub/config.rs", "// nothing yet\n");
    repo.commit("tree");
    repo.write(
        "src/d07/sub/config.rs",
        &format!("// nothing yet\nconst K: &str = \"{changed}\";\n"),
    );
    repo.write("new/deep/dir/keys.env", &format!("\nKEY={added}\n"));
    repo.write("src/d03/sub/f1.rs", "// edited, no key\n");
    repo.git(&["add", "-A"]);
    repo.write("later.env", &format!("KEY={not_staged}\n"));
    repo.git(&["add", "-N", "later.env"]);
    let keys = [changed.as_str(), added.as_str(), not_staged.as_str()];
    for version in ["2", "3", "4"] {
        repo.git(&["update-index", "--index-version", version]);
        let run = sb.scan(&repo.path, &["scan", "--staged", "-f", "json"], &keys);
        assert_eq!(run.code, 1, "index v{version}: {}", run.stderr);
        let places: Vec<(String, u64)> = run.places().into_iter().map(|p| (p.0, p.1)).collect();
        assert_eq!(
            places,
            vec![
                ("new/deep/dir/keys.env".to_string(), 2),
                ("src/d07/sub/config.rs".to_string(), 2)
            ],
            "index v{version}"
        );
    }
}

#[test]
fn staged_scan_during_a_conflicted_merge_scans_the_merged_files() {
    let sb = Sandbox::new();
    let repo = sb.repo("r");
    let k = fake_key("msk_", 40);
    repo.write("conflict.txt", "base\n");
    repo.commit("init");
    repo.git(&["checkout", "-q", "-b", "side"]);
    repo.write("conflict.txt", "side\n");
    repo.write("side.env", &format!("KEY={k}\n"));
    repo.commit("side");
    repo.git(&["checkout", "-q", "main"]);
    repo.write("conflict.txt", "main\n");
    repo.commit("main");
    assert!(!repo.git_ok(&["merge", "-q", "side"]));

    let run = sb.scan(&repo.path, &["scan", "--staged", "-f", "json"], &[&k]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(run.places(), vec![at("side.env", 1, None)]);
    assert!(run.stderr.contains("`conflict.txt`"), "{}", run.stderr);
}
