//! `scan --git`: the whole history of a repository (issue 3).

mod common;

use common::{at, fake_key, hermetic, Sandbox, AUTHOR, EMAIL, MAIL_RULE};

const DATE_1: &str = "2024-01-01T00:01:00+00:00";

#[test]
fn history_finds_key_added_then_deleted_later() {
    let sb = Sandbox::new();
    let repo = sb.repo("r");
    let k = fake_key("msk_", 1);
    repo.write("README.md", "hello\n");
    repo.write("config.env", &format!("USER=me\nMISAR_KEY={k}\n"));
    let added = repo.commit("add config");
    repo.write("config.env", "USER=me\n");
    repo.commit("remove the key");

    let run = sb.scan(&repo.path, &["scan", "--git", "-f", "json"], &[&k]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(run.places(), vec![at("config.env", 2, Some(&added))]);
    let f = &run.findings()[0];
    assert_eq!(f["author"], format!("{AUTHOR} <{EMAIL}>"));
    assert_eq!(f["date"], DATE_1);
    assert_eq!(f["column"], 11);

    // SARIF carries the same attribution in properties, and the URI is the path in the repository.
    let sarif = sb.scan(&repo.path, &["scan", "--git", "-f", "sarif"], &[&k]);
    assert_eq!(sarif.code, 1);
    let doc: serde_json::Value = serde_json::from_str(&sarif.stdout).unwrap();
    let result = &doc["runs"][0]["results"][0];
    assert_eq!(result["properties"]["commit"], added.as_str());
    assert_eq!(
        result["properties"]["author"],
        format!("{AUTHOR} <{EMAIL}>")
    );
    assert_eq!(result["properties"]["date"], DATE_1);
    assert_eq!(
        result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "config.env"
    );
    assert_eq!(doc["runs"][0]["automationDetails"]["id"], "misar-scan/git/");

    // The human report shows the commit and the source line from the blob, redacted.
    let human = sb.scan(&repo.path, &["scan", "--git"], &[&k]);
    assert_eq!(human.code, 1);
    assert!(
        human
            .stdout
            .contains(&format!("config.env @ {}", &added[..12])),
        "{}",
        human.stdout
    );
    assert!(human.stdout.contains(&format!(
        "introduced in commit {added} by {AUTHOR} <{EMAIL}> on {DATE_1}"
    )));
    assert!(human.stdout.contains(&format!("MISAR_KEY={}…", &k[..8])));
}

#[test]
fn history_finds_key_only_on_a_non_default_branch() {
    let sb = Sandbox::new();
    let repo = sb.repo("r");
    let k = fake_key("msk_", 2);
    repo.write("app.py", "print('hi')\n");
    repo.commit("init");
    repo.git(&["checkout", "-q", "-b", "experiment"]);
    repo.write("app.py", &format!("print('hi')\nKEY = '{k}'\n"));
    let on_branch = repo.commit("try the api");
    repo.git(&["checkout", "-q", "main"]);

    let run = sb.scan(&repo.path, &["scan", "--git", "-f", "json"], &[&k]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(run.places(), vec![at("app.py", 2, Some(&on_branch))]);
}

#[test]
fn history_finds_key_only_reachable_from_a_tag() {
    let sb = Sandbox::new();
    let repo = sb.repo("r");
    let k = fake_key("msk_", 3);
    repo.write("a.txt", "a\n");
    repo.commit("init");
    repo.git(&["checkout", "-q", "-b", "release"]);
    repo.write("deploy/prod.env", &format!("\n\nKEY={k}\n"));
    let tagged = repo.commit("release build");
    repo.git(&["tag", "-a", "v1.0", "-m", "v1.0"]);
    repo.git(&["checkout", "-q", "main"]);
    repo.git(&["branch", "-q", "-D", "release"]);

    let run = sb.scan(&repo.path, &["scan", "--git", "-f", "json"], &[&k]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(run.places(), vec![at("deploy/prod.env", 3, Some(&tagged))]);
}

#[test]
fn history_attributes_key_written_by_a_merge_resolution_to_the_merge() {
    let sb = Sandbox::new();
    let repo = sb.repo("r");
    let k = fake_key("msk_", 4);
    repo.write("settings.ini", "mode = a\n");
    repo.commit("init");
    repo.git(&["checkout", "-q", "-b", "side"]);
    repo.write("settings.ini", "mode = side\n");
    repo.commit("side");
    repo.git(&["checkout", "-q", "main"]);
    repo.write("settings.ini", "mode = main\n");
    repo.commit("main");
    // A conflicting merge, resolved by hand with a key in the resolution.
    assert!(
        !repo.git_ok(&["merge", "-q", "side"]),
        "the merge should conflict"
    );
    repo.write("settings.ini", &format!("mode = both\nkey = {k}\n"));
    repo.git(&["add", "settings.ini"]);
    let merge = repo.git_commit(&["commit", "-q", "-m", "merge side"]);
    assert_eq!(
        repo.git(&["rev-list", "--parents", "-n1", "HEAD"])
            .split(' ')
            .count(),
        3
    );

    let run = sb.scan(&repo.path, &["scan", "--git", "-f", "json"], &[&k]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(run.places(), vec![at("settings.ini", 2, Some(&merge))]);
}

#[test]
fn history_reports_a_renamed_file_once_at_its_first_path() {
    let sb = Sandbox::new();
    let repo = sb.repo("r");
    let k = fake_key("msk_", 5);
    repo.write("old/name.env", &format!("KEY={k}\n"));
    let first = repo.commit("add");
    repo.git(&["mv", "old/name.env", "new.env"]);
    let renamed = repo.commit_staged("rename");

    let run = sb.scan(&repo.path, &["scan", "--git", "-f", "json"], &[&k]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(run.places(), vec![at("old/name.env", 1, Some(&first))]);

    // --all-occurrences: every commit that introduced the blob at a path.
    let all = sb.scan(
        &repo.path,
        &["scan", "--git", "--all-occurrences", "-f", "json"],
        &[&k],
    );
    assert_eq!(all.code, 1, "{}", all.stderr);
    assert_eq!(
        all.places(),
        vec![
            at("new.env", 1, Some(&renamed)),
            at("old/name.env", 1, Some(&first))
        ]
    );
}

#[test]
fn history_reports_the_same_key_in_two_files() {
    let sb = Sandbox::new();
    let repo = sb.repo("r");
    let k = fake_key("msk_", 6);
    repo.write("a/app.ini", &format!("KEY={k}\n"));
    repo.write("b/settings.json", &format!("{{\n  \"key\": \"{k}\"\n}}\n"));
    let c = repo.commit("two copies");

    let run = sb.scan(&repo.path, &["scan", "--git", "-f", "json"], &[&k]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(
        run.places(),
        vec![
            at("a/app.ini", 1, Some(&c)),
            at("b/settings.json", 2, Some(&c))
        ]
    );
    let f = run.findings();
    assert_eq!(f[0]["secret_sha256"], f[1]["secret_sha256"]);
}

#[test]
fn history_with_all_objects_finds_unreachable_blobs_and_amended_commits() {
    let sb = Sandbox::new();
    let repo = sb.repo("r");
    let dangling_key = fake_key("msk_", 7);
    let amended_key = fake_key("msk_", 8);
    repo.write("a.txt", "a\n");
    repo.commit("init");
    // A blob written to the object database and never committed.
    repo.write("scratch.txt", &format!("token {dangling_key}\n"));
    let blob = repo.git(&["hash-object", "-w", "scratch.txt"]);
    std::fs::remove_file(repo.path.join("scratch.txt")).unwrap();
    // A commit replaced by `--amend`: unreachable once the reflog is gone.
    repo.write("b.txt", &format!("KEY={amended_key}\n"));
    let amended = repo.commit("oops");
    repo.write("b.txt", "KEY=from-env\n");
    repo.git(&["add", "-A"]);
    repo.git_commit(&["commit", "-q", "--amend", "-m", "fixed"]);
    repo.git(&["reflog", "expire", "--expire=now", "--all"]);
    let keys = [dangling_key.as_str(), amended_key.as_str()];

    let reachable = sb.scan(&repo.path, &["scan", "--git", "-f", "json"], &keys);
    assert_eq!(reachable.code, 0, "{}", reachable.stderr);
    assert_eq!(reachable.places(), vec![]);

    let run = sb.scan(
        &repo.path,
        &["scan", "--git", "--all-objects", "-f", "json"],
        &keys,
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(
        run.places(),
        vec![
            at(&format!("<unreachable>/{blob}"), 1, None),
            at("b.txt", 1, Some(&amended)),
        ]
    );
}

#[test]
fn history_of_a_shallow_clone_scans_what_is_there_and_says_so() {
    let sb = Sandbox::new();
    let repo = sb.repo("origin");
    let old_key = fake_key("msk_", 9);
    let new_key = fake_key("msk_", 10);
    repo.write("old.env", &format!("KEY={old_key}\n"));
    repo.commit("old");
    repo.write("old.env", "KEY=\n");
    repo.commit("clean up");
    repo.write("new.env", &format!("KEY={new_key}\n"));
    let tip = repo.commit("new");
    let url = format!("file://{}", repo.path.display());
    sb.git_in(
        sb.dir.path(),
        &["clone", "-q", "--depth", "1", &url, "shallow"],
    );

    let run = sb.scan(
        &sb.path("shallow"),
        &["scan", "--git", "-f", "json"],
        &[&old_key, &new_key],
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(run.places(), vec![at("new.env", 1, Some(&tip))]);
    assert!(run.stderr.contains("shallow clone"), "{}", run.stderr);
}

#[test]
fn history_of_a_bare_repository() {
    let sb = Sandbox::new();
    let repo = sb.repo("work");
    let k = fake_key("msk_", 11);
    repo.write("src/main.rs", &format!("fn main() {{}}\n// {k}\n"));
    let c = repo.commit("add");
    let url = format!("file://{}", repo.path.display());
    sb.git_in(sb.dir.path(), &["clone", "-q", "--bare", &url, "bare.git"]);

    let run = sb.scan(
        sb.dir.path(),
        &["scan", "--git", "bare.git", "-f", "json"],
        &[&k],
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(run.places(), vec![at("src/main.rs", 2, Some(&c))]);
}

#[test]
fn history_reports_a_missing_blob_with_its_id_and_still_reports_findings() {
    let sb = Sandbox::new();
    let repo = sb.repo("r");
    let k = fake_key("msk_", 12);
    repo.write("key.env", &format!("KEY={k}\n"));
    repo.write("other.txt", "nothing here\n");
    let c = repo.commit("add");
    let lost = repo.git(&["rev-parse", "HEAD:other.txt"]);
    std::fs::remove_file(
        repo.path
            .join(".git/objects")
            .join(&lost[..2])
            .join(&lost[2..]),
    )
    .unwrap();

    let run = sb.scan(&repo.path, &["scan", "--git", "-f", "json"], &[&k]);
    assert_eq!(
        run.code, 2,
        "an incomplete scan is never clean: {}",
        run.stderr
    );
    assert!(run.stderr.contains(&lost), "{}", run.stderr);
    assert_eq!(run.places(), vec![at("key.env", 1, Some(&c))]);
}

#[test]
fn history_skips_allowlisted_paths() {
    let sb = Sandbox::new();
    let repo = sb.repo("r");
    let k = fake_key("msk_", 13);
    repo.write(
        ".misar-scan.toml",
        "[allowlist]\npaths = [\"fixtures/**\"]\n",
    );
    repo.write("fixtures/fake.env", &format!("KEY={k}\n"));
    repo.commit("fixtures");

    let run = sb.scan(&repo.path, &["scan", "--git", "-f", "json"], &[&k]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.findings().is_empty());
    // The same blob later copied to a path that is not allow-listed is reported there.
    std::fs::create_dir_all(repo.path.join("src")).unwrap();
    std::fs::copy(
        repo.path.join("fixtures/fake.env"),
        repo.path.join("src/real.env"),
    )
    .unwrap();
    let copied = repo.commit("copy");
    let run = sb.scan(&repo.path, &["scan", "--git", "-f", "json"], &[&k]);
    assert_eq!(run.places(), vec![at("src/real.env", 1, Some(&copied))]);
    assert_eq!(run.findings()[0]["rule_id"], MAIL_RULE);
}

#[test]
fn history_with_thousands_of_refs_and_a_non_utf8_path() {
    let sb = Sandbox::new();
    let repo = sb.repo("r");
    let k = fake_key("msk_", 14);
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        let name = std::ffi::OsStr::from_bytes(b"caf\xe9.env");
        std::fs::write(repo.path.join(name), format!("KEY={k}\n")).unwrap();
    }
    #[cfg(not(unix))]
    repo.write("caf\u{e9}.env", &format!("KEY={k}\n"));
    let c = repo.commit("latin-1 file name");
    // Written as a packed-refs file: `git update-ref` makes 3000 loose refs slowly.
    let refs: String = (0..3000)
        .map(|i| format!("{c} refs/tags/t{i:04}\n"))
        .collect();
    std::fs::write(
        repo.path.join(".git/packed-refs"),
        format!("# pack-refs with: peeled fully-peeled sorted \n{refs}"),
    )
    .unwrap();
    assert_eq!(repo.git(&["tag", "--list"]).lines().count(), 3000);

    let run = sb.scan(&repo.path, &["scan", "--git", "-f", "json"], &[&k]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let expected = if cfg!(unix) {
        "caf\u{fffd}.env"
    } else {
        "caf\u{e9}.env"
    };
    assert_eq!(run.places(), vec![at(expected, 1, Some(&c))]);
}

#[test]
fn history_walked_in_parallel_slices_keeps_the_first_commit() {
    // 600 commits (more than one walking slice), made with fast-import.
    let sb = Sandbox::new();
    let repo = sb.repo("r");
    let early = fake_key("msk_", 15);
    let late = fake_key("msk_", 16);
    let mut stream = String::new();
    for i in 1..=600u32 {
        next_commit(&mut stream, i);
        let counter = format!("{i}\n");
        stream.push_str(&format!(
            "M 100644 inline counter.txt\ndata {}\n{counter}\n",
            counter.len()
        ));
        let file = match i {
            10 => Some(("a.env", &early)),
            400 => Some(("b.env", &late)),
            _ => None,
        };
        if let Some((path, k)) = file {
            let body = format!("KEY={k}\n");
            stream.push_str(&format!(
                "M 100644 inline {path}\ndata {}\n{body}\n",
                body.len()
            ));
        }
    }
    fast_import(&sb, &repo.path, &stream);
    let c10 = repo.rev(":/^c10$");
    let c400 = repo.rev(":/^c400$");

    let run = sb.scan(
        &repo.path,
        &["scan", "--git", "-j", "2", "-f", "json"],
        &[&early, &late],
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(
        run.places(),
        vec![at("a.env", 1, Some(&c10)), at("b.env", 1, Some(&c400))]
    );
}

#[test]
fn history_does_not_follow_submodules_and_says_so() {
    let sb = Sandbox::new();
    let repo = sb.repo("r");
    let k = fake_key("msk_", 17);
    repo.write("main.env", &format!("KEY={k}\n"));
    // A gitlink: a commit id of another repository, which is not here.
    repo.git(&[
        "update-index",
        "--add",
        "--cacheinfo",
        "160000,1111111111111111111111111111111111111111,vendor/lib",
    ]);
    repo.git(&["add", "main.env"]);
    let c = repo.commit_staged("with a submodule");

    let run = sb.scan(&repo.path, &["scan", "--git", "-f", "json"], &[&k]);
    assert_eq!(
        run.code, 1,
        "a gitlink is not an unreadable object: {}",
        run.stderr
    );
    assert_eq!(run.places(), vec![at("main.env", 1, Some(&c))]);
    assert!(
        run.stderr.contains("skipped 1 submodule entry"),
        "{}",
        run.stderr
    );
}

#[test]
fn history_opens_archives_and_applies_webhook_lints_by_path() {
    use std::io::Write;
    let sb = Sandbox::new();
    let repo = sb.repo("r");
    let k = fake_key("ask_", 40);
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    zip.start_file("conf/app.ini", opts).unwrap();
    zip.write_all(format!("[misar]\nkey = {k}\n").as_bytes())
        .unwrap();
    let bytes = zip.finish().unwrap().into_inner();
    std::fs::create_dir_all(repo.path.join("dist")).unwrap();
    std::fs::write(repo.path.join("dist/bundle.zip"), bytes).unwrap();
    let code = "const e = createHmac('sha256', s).digest('hex');\nif (signature === e) ok();\n";
    repo.write("hook.js", code);
    repo.write("notes.txt", code);
    let c = repo.commit("archive and webhook handler");

    let run = sb.scan(&repo.path, &["scan", "--git", "-f", "json"], &[&k]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(
        run.places(),
        vec![
            (
                "dist/bundle.zip!conf/app.ini".to_string(),
                2,
                "assisters-api-key".to_string(),
                Some(c.clone())
            ),
            (
                "hook.js".to_string(),
                2,
                "misar-webhook-signature-timing-unsafe".to_string(),
                Some(c)
            ),
        ],
        "the lint applies to the .js path only, the archive is opened by its path"
    );
}

/// Start commit `i` (message `c{i}`, a minute after the one before, on
/// `main` after commit `i - 1`) in a fast-import stream.
fn next_commit(stream: &mut String, i: u32) {
    let msg = format!("c{i}");
    stream.push_str(&format!(
        "commit refs/heads/main\nmark :{i}\ncommitter {AUTHOR} <{EMAIL}> {} +0000\ndata {}\n{msg}\n",
        1_704_067_200 + i * 60,
        msg.len()
    ));
    if i > 1 {
        stream.push_str(&format!("from :{}\n", i - 1));
    }
}

/// Feed a fast-import stream to git in `repo`.
fn fast_import(sb: &Sandbox, repo: &std::path::Path, stream: &str) {
    use std::io::Write;
    let mut git = std::process::Command::new("git");
    hermetic(&mut git, &sb.home());
    let mut child = git
        .current_dir(repo)
        .args(["fast-import", "--quiet"])
        .stdin(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stream.as_bytes())
        .unwrap();
    assert!(child.wait().unwrap().success());
}

#[test]
fn history_read_pack_by_pack_finds_keys_in_deltas_and_loose_objects_and_reports_a_damaged_entry() {
    // 2,200 versions of a sliding 21-line log (more blobs than the scan
    // reads one by one, so the packs are decoded whole), repacked into
    // delta chains; then a loose commit on top.
    let sb = Sandbox::new();
    let repo = sb.repo("r");
    let (in_log, in_env, loose) = (
        fake_key("msk_", 30),
        fake_key("msk_", 31),
        fake_key("msk_", 32),
    );
    let mut stream = String::new();
    for i in 1..=2200u32 {
        next_commit(&mut stream, i);
        let log: String = (i.saturating_sub(20)..=i)
            .map(|j| match j {
                1000 => format!("KEY={in_log}\n"),
                _ => format!("line {j}: the quick brown fox jumps over the lazy dog\n"),
            })
            .collect();
        stream.push_str(&format!(
            "M 100644 inline log.txt\ndata {}\n{log}\n",
            log.len()
        ));
        if i == 1500 {
            let body = format!("KEY={in_env}\n");
            stream.push_str(&format!(
                "M 100644 inline keys.env\ndata {}\n{body}\n",
                body.len()
            ));
        }
    }
    fast_import(&sb, &repo.path, &stream);
    repo.git(&["repack", "-adfq", "--depth=50"]);
    repo.git(&["checkout", "-q", "-f", "main"]);
    repo.write("loose.env", &format!("KEY={loose}\n"));
    let last = repo.commit("loose");
    let (c1000, c1500) = (repo.rev(":/^c1000$"), repo.rev(":/^c1500$"));
    let expected = vec![
        at("keys.env", 1, Some(&c1500)),
        at("log.txt", 21, Some(&c1000)),
        at("loose.env", 1, Some(&last)),
    ];
    let keys = [in_log.as_str(), in_env.as_str(), loose.as_str()];

    let run = sb.scan(&repo.path, &["scan", "--git", "-f", "json"], &keys);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(run.places(), expected);
    let doc: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(doc["summary"]["files_scanned"], 2202, "every blob once");

    // Damage a delta that no other entry is based on (so nothing else is
    // lost with it) and that holds no key: the scan reports that blob by
    // id, exits 2, and still finds every key.
    let pack_dir = repo.path.join(".git/objects/pack");
    let idx = std::fs::read_dir(&pack_dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|x| x == "idx"))
        .unwrap();
    let listing = repo.git(&["verify-pack", "-v", idx.to_str().unwrap()]);
    let rows: Vec<Vec<&str>> = listing
        .lines()
        .map(|l| l.split_whitespace().collect())
        .collect();
    let bases: std::collections::HashSet<&str> =
        rows.iter().filter(|r| r.len() == 7).map(|r| r[6]).collect();
    let victim = rows
        .iter()
        .filter(|r| r.len() == 7 && r[1] == "blob" && !bases.contains(r[0]))
        .find(|r| {
            let text = repo.git(&["cat-file", "blob", r[0]]);
            !text.contains("KEY=")
        })
        .expect("a delta with no dependants");
    let (size_in_pack, offset): (u64, u64) =
        (victim[3].parse().unwrap(), victim[4].parse().unwrap());
    let pack = idx.with_extension("pack");
    let mut bytes = std::fs::read(&pack).unwrap();
    bytes[(offset + size_in_pack - 1) as usize] ^= 0xff;
    make_writable(&pack);
    std::fs::write(&pack, bytes).unwrap();

    let run = sb.scan(&repo.path, &["scan", "--git", "-f", "json"], &keys);
    assert_eq!(
        run.code, 2,
        "an incomplete scan is never clean: {}",
        run.stderr
    );
    assert!(run.stderr.contains(victim[0]), "{}", run.stderr);
    assert_eq!(run.places(), expected);
}

#[test]
fn history_walks_a_packed_tree_entry_with_a_non_standard_directory_mode() {
    // `40755` for a directory: git accepts it (fsck calls it badFilemode)
    // and libgit2 reads it as a tree; so must the packed walk.
    let sb = Sandbox::new();
    let repo = sb.repo("r");
    let k = fake_key("msk_", 40);
    repo.write("payload/key.env", &format!("KEY={k}\n"));
    let blob = repo.git(&["hash-object", "-w", "payload/key.env"]);
    let raw = |hex: &str| -> Vec<u8> {
        (0..20)
            .map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).unwrap())
            .collect()
    };
    let write_tree = |name: &str, entry: &[u8], id: &str| {
        let mut bytes = entry.to_vec();
        bytes.extend(raw(id));
        std::fs::write(repo.path.join(name), bytes).unwrap();
        repo.git(&["hash-object", "-t", "tree", "--literally", "-w", name])
    };
    let sub = write_tree("sub.bin", b"100644 key.env\0", &blob);
    let root = write_tree("root.bin", b"40755 dir\0", &sub);
    let commit = repo.git(&["commit-tree", &root, "-m", "odd mode"]);
    repo.git(&["update-ref", "refs/heads/odd", &commit]);
    repo.git(&["repack", "-adq"]);

    let run = sb.scan(&repo.path, &["scan", "--git", "-f", "json"], &[&k]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(run.places(), vec![at("dir/key.env", 1, Some(&commit))]);
}

/// Git writes packs read-only.
fn make_writable(path: &std::path::Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o644)).unwrap();
    }
    #[cfg(not(unix))]
    {
        let mut permissions = std::fs::metadata(path).unwrap().permissions();
        #[allow(clippy::permissions_set_readonly_false)]
        permissions.set_readonly(false);
        std::fs::set_permissions(path, permissions).unwrap();
    }
}
