//! Issue 11, item 4 for full-history scans: a key in a file or folder name
//! anywhere in the history is reported as a finding at a `path` location,
//! at the commit that first put that path there, redacted in every output;
//! in a loose history and in a packed one alike.

mod common;

use common::{fake_key, Repo, Sandbox, AUTHOR, EMAIL, MAIL_RULE};
use serde_json::Value;

/// How the repository's objects are stored when it is scanned.
#[derive(Debug, Clone, Copy)]
enum Storage {
    /// As `git commit` leaves them: loose objects.
    Loose,
    /// All in one pack, deltas recomputed (`git repack -adf`).
    Repacked,
    /// As `git gc` leaves them.
    Gc,
}

const STORAGES: [Storage; 3] = [Storage::Loose, Storage::Repacked, Storage::Gc];

fn store(repo: &Repo, storage: Storage) {
    match storage {
        Storage::Loose => {}
        Storage::Repacked => {
            repo.git(&["repack", "-adfq"]);
        }
        Storage::Gc => {
            repo.git(&["gc", "-q", "--prune=now"]);
        }
    }
    let loose = repo.git(&["count-objects"]);
    let packed = matches!(storage, Storage::Repacked | Storage::Gc);
    assert_eq!(
        loose.starts_with("0 objects"),
        packed,
        "{storage:?}: {loose}"
    );
}

/// `msk_AbCd…` as reports show a key.
fn stem(k: &str) -> String {
    format!("{}…", &k[..8])
}

fn path_findings(fs: &[Value]) -> Vec<&Value> {
    fs.iter().filter(|f| f["location"] == "path").collect()
}

/// `scan --git` in every format: exit 1 and no full key in any of them.
/// Returns the JSON findings, the human report and the SARIF results.
fn scan_git_all_formats(
    sb: &Sandbox,
    repo: &Repo,
    extra: &[&str],
    keys: &[&str],
) -> (Vec<Value>, String, Vec<Value>) {
    let mut outs = Vec::new();
    for format in ["human", "json", "sarif"] {
        let mut args = vec!["scan", "--git", "-f", format];
        args.extend_from_slice(extra);
        let r = sb.scan(&repo.path, &args, keys);
        assert_eq!(r.code, 1, "{format}: {}{}", r.stdout, r.stderr);
        outs.push(r.stdout);
    }
    let json: Value = serde_json::from_str(&outs[1]).unwrap();
    let sarif: Value = serde_json::from_str(&outs[2]).unwrap();
    (
        json["findings"].as_array().unwrap().clone(),
        outs.swap_remove(0),
        sarif["runs"][0]["results"].as_array().unwrap().clone(),
    )
}

#[test]
fn keys_in_file_and_folder_names_in_history_are_reported_at_their_commits() {
    for storage in STORAGES {
        let sb = Sandbox::new();
        let repo = sb.repo("r");
        repo.write("README.md", "hello\n");
        repo.commit("base");
        let file_key = fake_key("msk_", 1201);
        let folder_key = fake_key("ask_", 1202);
        repo.write(&format!("config/{file_key}.txt"), "nothing secret here\n");
        let added_file = repo.commit("add a config");
        repo.write(&format!("keys/{folder_key}/a.txt"), "a\n");
        repo.write(&format!("keys/{folder_key}/b/c.txt"), "c\n");
        let added_folder = repo.commit("add a key folder");
        repo.write("README.md", "hello again\n");
        repo.commit("later");
        store(&repo, storage);

        let (fs, human, sarif) = scan_git_all_formats(&sb, &repo, &[], &[&file_key, &folder_key]);
        let in_paths = path_findings(&fs);
        let mut got: Vec<(String, String, String)> = in_paths
            .iter()
            .map(|f| {
                (
                    f["path"].as_str().unwrap().to_string(),
                    f["commit"].as_str().unwrap_or("").to_string(),
                    f["secret_sha256"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        got.sort();
        let mut want = vec![
            (
                format!("config/{}.txt", stem(&file_key)),
                added_file.clone(),
                common::sha256(&file_key),
            ),
            (
                format!("keys/{}", stem(&folder_key)),
                added_folder.clone(),
                common::sha256(&folder_key),
            ),
        ];
        want.sort();
        assert_eq!(got, want, "{storage:?}: {fs:#?}");
        assert_eq!(fs.len(), 2, "{storage:?}: nothing else: {fs:#?}");
        for f in &in_paths {
            assert_eq!(f["line"], 1);
            assert_eq!(f["author"], format!("{AUTHOR} <{EMAIL}>"));
            assert!(f["date"].as_str().unwrap().starts_with("2024-01-01T00:0"));
        }
        let mail: Vec<&&Value> = in_paths
            .iter()
            .filter(|f| f["rule_id"] == MAIL_RULE)
            .collect();
        assert_eq!(mail.len(), 1);
        assert_eq!(mail[0]["column"], 8, "the key starts after `config/`");
        assert!(
            human.contains(&format!("config/{}.txt", stem(&file_key))),
            "{human}"
        );
        assert!(human.contains(&added_file[..7]), "{human}");
        assert_eq!(sarif.len(), 2, "{sarif:#?}");
        assert!(sarif.iter().all(|r| r["properties"]["location"] == "path"));
    }
}

#[test]
fn a_key_named_file_renamed_away_is_reported_at_the_commit_that_added_it() {
    for storage in STORAGES {
        let sb = Sandbox::new();
        let repo = sb.repo("r");
        repo.write("README.md", "hello\n");
        repo.commit("base");
        let k = fake_key("mdk_", 1203);
        repo.write(&format!("certs/{k}.pem"), "not a key\n");
        let added = repo.commit("add cert");
        repo.git(&["mv", &format!("certs/{k}.pem"), "certs/server.pem"]);
        repo.commit("rename cert");
        repo.write("certs/server.pem", "changed\n");
        repo.commit("edit cert");
        store(&repo, storage);

        let r = sb.scan(&repo.path, &["scan", "--git", "-f", "json"], &[&k]);
        assert_eq!(r.code, 1, "{storage:?}: {}", r.stderr);
        let fs = r.findings();
        assert_eq!(fs.len(), 1, "{storage:?}: {fs:#?}");
        assert_eq!(fs[0]["location"], "path");
        assert_eq!(fs[0]["path"], format!("certs/{}.pem", stem(&k)));
        assert_eq!(fs[0]["commit"], added.as_str());
        assert_eq!(fs[0]["secret_sha256"], common::sha256(&k));
    }
}

#[test]
fn a_key_named_path_is_reported_once_and_every_time_with_all_occurrences() {
    for storage in [Storage::Loose, Storage::Gc] {
        let sb = Sandbox::new();
        let repo = sb.repo("r");
        repo.write("README.md", "hello\n");
        repo.commit("base");
        let k = fake_key("msk_", 1204);
        let path = format!("deploy/{k}");
        repo.write(&path, "one\n");
        let first = repo.commit("add");
        repo.write(&path, "two\n");
        repo.commit("edit: the same path, not a new leak");
        repo.git(&["rm", "-q", &path]);
        repo.commit("remove");
        repo.write(&path, "three\n");
        let again = repo.commit("add again");
        store(&repo, storage);

        let r = sb.scan(&repo.path, &["scan", "--git", "-f", "json"], &[&k]);
        assert_eq!(r.code, 1, "{}", r.stderr);
        let fs = r.findings();
        assert_eq!(fs.len(), 1, "{storage:?}: {fs:#?}");
        assert_eq!(fs[0]["commit"], first.as_str());

        let r = sb.scan(
            &repo.path,
            &["scan", "--git", "--all-occurrences", "-f", "json"],
            &[&k],
        );
        assert_eq!(r.code, 1, "{}", r.stderr);
        let mut commits: Vec<String> = r
            .findings()
            .iter()
            .map(|f| {
                assert_eq!(f["location"], "path");
                assert_eq!(f["path"], format!("deploy/{}", stem(&k)));
                f["commit"].as_str().unwrap().to_string()
            })
            .collect();
        commits.sort();
        let mut want = vec![first, again];
        want.sort();
        assert_eq!(commits, want, "{storage:?}");
    }
}

#[test]
fn a_key_in_a_name_and_in_the_content_of_the_same_file_are_two_findings() {
    let sb = Sandbox::new();
    let repo = sb.repo("r");
    let (named, inside) = (fake_key("msk_", 1205), fake_key("ask_", 1206));
    repo.write(
        &format!("{named}.env"),
        &format!("KEY={named}\nOTHER={inside}\n"),
    );
    let c = repo.commit("add env");
    let r = sb.scan(
        &repo.path,
        &["scan", "--git", "-f", "json"],
        &[&named, &inside],
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    let fs = r.findings();
    let mut got: Vec<(String, u64, String)> = fs
        .iter()
        .map(|f| {
            assert_eq!(f["commit"], c.as_str());
            assert_eq!(f["path"], format!("{}.env", stem(&named)));
            (
                f["location"].as_str().unwrap().to_string(),
                f["line"].as_u64().unwrap(),
                f["rule_id"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    got.sort();
    assert_eq!(
        got,
        [
            ("file".to_string(), 1, MAIL_RULE.to_string()),
            ("file".to_string(), 2, "assisters-api-key".to_string()),
            ("path".to_string(), 1, MAIL_RULE.to_string()),
        ],
        "{fs:#?}"
    );
}

#[test]
fn allowlisted_paths_and_names_that_are_not_keys_are_not_reported() {
    for storage in [Storage::Loose, Storage::Repacked] {
        let sb = Sandbox::new();
        let repo = sb.repo("r");
        repo.write(
            ".misar-scan.toml",
            "[allowlist]\npaths = [\"fixtures/**\"]\n",
        );
        let k = fake_key("msk_", 1207);
        repo.write(&format!("fixtures/{k}.json"), "{}\n");
        repo.write(&format!("fixtures/{k}/inner.txt"), "x\n");
        // Not keys: a prefix inside a word, a placeholder, a body too short.
        let body = &k[4..];
        repo.write(&format!("src/task_{body}.rs"), "fn main() {}\n");
        repo.write("docs/msk_your_api_key_goes_here.md", "docs\n");
        repo.write("docs/msk_AbC123.md", "short\n");
        repo.commit("fixtures and look-alikes");
        store(&repo, storage);

        let r = sb.scan(&repo.path, &["scan", "--git", "-f", "json"], &[&k]);
        assert_eq!(r.code, 0, "{storage:?}: {}{}", r.stdout, r.stderr);
        assert!(r.findings().is_empty());
    }
}

#[test]
fn a_key_named_file_on_a_side_branch_and_a_merge_are_attributed_to_the_branch_commit() {
    let sb = Sandbox::new();
    let repo = sb.repo("r");
    repo.write("README.md", "hello\n");
    repo.commit("base");
    repo.git(&["checkout", "-q", "-b", "side"]);
    let k = fake_key("ask_", 1208);
    repo.write(&format!("side/{k}.key"), "x\n");
    let on_side = repo.commit("side adds a key-named file");
    repo.git(&["checkout", "-q", "main"]);
    repo.write("main.txt", "main\n");
    repo.commit("main moves on");
    repo.git_commit(&["merge", "-q", "--no-ff", "-m", "merge side", "side"]);
    store(&repo, Storage::Gc);

    let r = sb.scan(
        &repo.path,
        &["scan", "--git", "--all-occurrences", "-f", "json"],
        &[&k],
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    let fs = r.findings();
    assert_eq!(fs.len(), 1, "the merge does not introduce it: {fs:#?}");
    assert_eq!(fs[0]["commit"], on_side.as_str());
    assert_eq!(fs[0]["location"], "path");
}

#[test]
fn a_key_named_file_in_a_tree_a_tag_points_at_is_reported() {
    let sb = Sandbox::new();
    let repo = sb.repo("r");
    repo.write("README.md", "hello\n");
    repo.commit("base");
    let k = fake_key("msk_", 1209);
    let blob = repo.git(&["hash-object", "-w", "README.md"]);
    // `git mktree` reads the entries on stdin.
    let made = std::process::Command::new("git")
        .current_dir(&repo.path)
        .args(["mktree"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write;
            writeln!(child.stdin.take().unwrap(), "100644 blob {blob}\t{k}.txt")?;
            child.wait_with_output()
        })
        .unwrap();
    assert!(made.status.success());
    let tree = String::from_utf8(made.stdout).unwrap().trim().to_string();
    repo.git(&["tag", "loose-tree", &tree]);

    let r = sb.scan(&repo.path, &["scan", "--git", "-f", "json"], &[&k]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let fs = r.findings();
    assert_eq!(fs.len(), 1, "{fs:#?}");
    assert_eq!(fs[0]["location"], "path");
    assert_eq!(
        fs[0]["path"],
        format!("refs/tags/loose-tree:{}.txt", stem(&k))
    );
}
