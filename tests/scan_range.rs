//! `scan --git --range`: what the commits of a pull request introduced (issue 3).

mod common;

use common::{at, fake_key, Sandbox};

#[test]
fn range_reports_only_keys_added_inside_the_range() {
    let sb = Sandbox::new();
    let repo = sb.repo("r");
    let before = fake_key("msk_", 21);
    let inside = fake_key("msk_", 22);
    let transient = fake_key("msk_", 23);
    repo.write("legacy.env", &format!("OLD={before}\n"));
    repo.write("app.py", "print('v1')\n");
    repo.commit("before the range");
    repo.git(&["checkout", "-q", "-b", "feature"]);
    // Editing a file that already holds a key does not report that key again.
    repo.write("legacy.env", &format!("# touched\nOLD={before}\n"));
    repo.write("app.py", &format!("print('v2')\nAPI_KEY = '{inside}'\n"));
    let adds = repo.commit("feature work");
    // A key added and removed inside the range is still a leak.
    repo.write("tmp.txt", &format!("{transient}\n"));
    let transient_commit = repo.commit("debug");
    std::fs::remove_file(repo.path.join("tmp.txt")).unwrap();
    repo.commit("remove debug");
    let keys = [before.as_str(), inside.as_str(), transient.as_str()];

    let expected = vec![
        at("app.py", 2, Some(&adds)),
        at("tmp.txt", 1, Some(&transient_commit)),
    ];
    for range in ["main..feature", "main...feature", "main"] {
        let run = sb.scan(
            &repo.path,
            &["scan", "--git", "--range", range, "-f", "json"],
            &keys,
        );
        assert_eq!(run.code, 1, "{range}: {}", run.stderr);
        assert_eq!(run.places(), expected, "{range}");
    }
    // The whole history also reports the key from before the range (once: the
    // later version of the file still holding it is not a new leak).
    let all = sb.scan(&repo.path, &["scan", "--git", "-f", "json"], &keys);
    assert_eq!(all.places().len(), 3, "{:?}", all.places());
    // SARIF names the mode.
    let sarif = sb.scan(
        &repo.path,
        &["scan", "--git", "--range", "main..feature", "-f", "sarif"],
        &keys,
    );
    let doc: serde_json::Value = serde_json::from_str(&sarif.stdout).unwrap();
    assert_eq!(
        doc["runs"][0]["automationDetails"]["id"],
        "misar-scan/range/"
    );
}

#[test]
fn range_with_only_keys_from_before_it_is_clean() {
    let sb = Sandbox::new();
    let repo = sb.repo("r");
    let before = fake_key("msk_", 24);
    repo.write("legacy.env", &format!("OLD={before}\n"));
    repo.commit("before");
    repo.git(&["checkout", "-q", "-b", "feature"]);
    std::fs::create_dir(repo.path.join("config")).unwrap();
    repo.git(&["mv", "legacy.env", "config/legacy.env"]);
    repo.commit_staged("move it");
    repo.write("README.md", "docs\n");
    repo.commit("docs");

    let run = sb.scan(
        &repo.path,
        &["scan", "--git", "--range", "main..feature", "-f", "json"],
        &[&before],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.places(), vec![]);
}

#[test]
fn range_ignores_keys_merged_in_from_base_and_finds_merge_resolutions() {
    let sb = Sandbox::new();
    let repo = sb.repo("r");
    let on_main = fake_key("msk_", 25);
    let in_merge = fake_key("msk_", 26);
    repo.write("settings.ini", "mode = a\n");
    repo.commit("init");
    repo.git(&["checkout", "-q", "-b", "feature"]);
    repo.write("settings.ini", "mode = feature\n");
    repo.commit("feature");
    repo.git(&["checkout", "-q", "main"]);
    repo.write("settings.ini", "mode = main\n");
    repo.write("main.env", &format!("K={on_main}\n"));
    repo.commit("main moves on, with a key");
    // The pull request merges main in and resolves the conflict with a key.
    repo.git(&["checkout", "-q", "feature"]);
    assert!(
        !repo.git_ok(&["merge", "-q", "main"]),
        "the merge should conflict"
    );
    repo.write("settings.ini", &format!("mode = both\nkey = {in_merge}\n"));
    repo.git(&["add", "settings.ini"]);
    let merge = repo.git_commit(&["commit", "-q", "-m", "merge main"]);

    let keys = [on_main.as_str(), in_merge.as_str()];
    let run = sb.scan(
        &repo.path,
        &["scan", "--git", "--range", "main..feature", "-f", "json"],
        &keys,
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(run.places(), vec![at("settings.ini", 2, Some(&merge))]);
}

#[test]
fn range_with_an_unknown_revision_is_a_usage_error() {
    let sb = Sandbox::new();
    let repo = sb.repo("r");
    repo.write("a", "a\n");
    repo.commit("init");
    let run = sb.scan(&repo.path, &["scan", "--git", "--range", "nope..HEAD"], &[]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("failed to resolve `nope`"),
        "{}",
        run.stderr
    );
    let run = sb.scan(&repo.path, &["scan", "--range", "main..HEAD"], &[]);
    assert_eq!(run.code, 2, "--range needs --git");
}
