//! A partial clone (`git clone --filter=blob:none`) holds only the blobs it
//! checked out: a history scan says once that the clone is partial, how
//! many blobs were not fetched and how to fetch them, scans the rest, and
//! exits 2 (issue 16).

mod common;

use common::{fake_key, redacted, Sandbox};

#[test]
fn a_partial_clone_is_named_once_with_the_count_and_the_fix_and_the_rest_is_scanned() {
    let sb = Sandbox::new();
    let src = sb.repo("src");
    let old_key = fake_key("msk_", 1601);
    let head_key = fake_key("ask_", 1602);
    for i in 0..4 {
        src.write(&format!("notes/{i}.txt"), &format!("version {i}\n"));
        src.commit(&format!("notes {i}"));
    }
    src.write("old.env", &format!("K={old_key}\n"));
    src.commit("old key");
    src.write("old.env", "K=\n");
    src.commit("old key removed");
    src.write("app.env", &format!("K={head_key}\n"));
    src.commit("head key");
    src.git(&["config", "uploadpack.allowFilter", "true"]);
    let url = format!("file://{}", src.path.display());
    sb.git_in(
        sb.dir.path(),
        &[
            "clone",
            "-q",
            "--no-local",
            "--filter=blob:none",
            &url,
            "part",
        ],
    );
    let part = sb.path("part");

    let run = sb.scan(
        &part,
        &["scan", "--git", "-f", "json"],
        &[&old_key, &head_key],
    );
    assert_eq!(run.code, 2, "{}", run.stderr);
    let partial: Vec<&str> = run
        .stderr
        .lines()
        .filter(|l| l.contains("partial clone"))
        .collect();
    assert_eq!(partial.len(), 1, "said once:\n{}", run.stderr);
    // Checked out: every file's last version; not fetched: the one older
    // version in the history, old.env's with the key.
    assert!(
        partial[0].contains("1 blob it refers to was not fetched"),
        "{}",
        partial[0]
    );
    assert!(partial[0].contains("filter `blob:none`"), "{}", partial[0]);
    assert!(
        partial[0].contains("fetch --refetch --no-filter origin"),
        "{}",
        partial[0]
    );
    assert!(
        !run.stderr.contains("could not read blob"),
        "no error per blob:\n{}",
        run.stderr
    );
    let found: Vec<String> = run
        .findings()
        .iter()
        .map(|f| f["path"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(found, ["app.env"], "the fetched blobs are scanned");

    // The fix the message gives works: afterwards the scan is complete.
    sb.git_in(
        &part,
        &["fetch", "-q", "--refetch", "--no-filter", "origin"],
    );
    let run = sb.scan(&part, &["scan", "--git"], &[&old_key, &head_key]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(!run.stderr.contains("partial clone"), "{}", run.stderr);
    assert!(run.stdout.contains(&redacted(&old_key)), "{}", run.stdout);
}
