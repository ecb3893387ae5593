//! Issue 11, item 10 follow-up: keys a redacted report locates somewhere
//! other than a file's content — in a file, folder or archive member name,
//! in a commit's author, committer or message, in an annotated tag's tagger
//! or message — are read back by `verify REPORT`, `revoke REPORT` and a
//! resumed `sweep --revoke`, and only when their SHA-256 matches.

mod common;

use std::collections::BTreeSet;
use std::io::Write;
use std::path::Path;

use common::{bin, fake_key, key_with_stem, sha256, FakeApi, Run, FAST};
use serde_json::Value;

/// The binary in `dir`; no full key of `keys` in its output.
fn misar(dir: &Path, api: &FakeApi, args: &[&str], keys: &[&str]) -> Run {
    bin(dir).api(&api.url()).args(args).secrets(keys).run()
}

/// `scan extra… -f json -o r.json` in `dir` (a git scan when `extra` says
/// so): it finds something, and the report holds no full key.
fn scan_to_report(sb: &common::Sandbox, dir: &Path, extra: &[&str], keys: &[&str]) -> Value {
    let mut args = vec!["scan"];
    args.extend_from_slice(extra);
    args.extend(["-f", "json", "-o", "r.json"]);
    let run = sb.scan(dir, &args, keys);
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    let text = std::fs::read_to_string(dir.join("r.json")).unwrap();
    common::assert_no_full_key("report", &text, keys);
    serde_json::from_str(&text).unwrap()
}

/// `verify r.json -f json`: (location, verification) of the finding of each key.
fn verify(dir: &Path, api: &FakeApi, keys: &[&str]) -> (Run, Vec<(String, String)>) {
    let mut args = vec!["verify", "r.json", "-f", "json"];
    args.extend_from_slice(FAST);
    let run = misar(dir, api, &args, keys);
    let doc: Value = serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {run:?}"));
    let found = doc["findings"].as_array().unwrap();
    let states = keys
        .iter()
        .map(|k| {
            let f = found
                .iter()
                .find(|f| f["secret_sha256"] == sha256(k).as_str())
                .unwrap_or_else(|| panic!("key {}… not in the output: {doc:#}", &k[..8]));
            (
                f["location"].as_str().unwrap_or_default().to_string(),
                f["verification"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    (run, states)
}

/// `verify` finds each key live at its location, then `revoke r.json --yes`
/// deletes exactly their ids, each once.
fn verify_then_revoke(dir: &Path, api: &FakeApi, expected: &[(&str, &str)]) {
    let keys: Vec<&str> = expected.iter().map(|(_, k)| *k).collect();
    let (run, states) = verify(dir, api, &keys);
    let want: Vec<(String, String)> = expected
        .iter()
        .map(|(location, _)| (location.to_string(), "live".to_string()))
        .collect();
    assert_eq!(states, want, "{run:?}");
    assert_eq!(run.code, 1, "{run:?}");
    assert!(!run.stderr.contains("not recovered"), "{}", run.stderr);

    let mut args = vec!["revoke", "r.json", "--yes"];
    args.extend_from_slice(FAST);
    let run = misar(dir, api, &args, &keys);
    assert_eq!(run.code, 0, "{run:?}");
    let audit = std::fs::read_to_string(dir.join("misar-scan-audit.jsonl")).unwrap_or_default();
    common::assert_no_full_key("audit log", &audit, &keys);
    let deleted: Vec<String> = api
        .requests()
        .into_iter()
        .filter(|r| r.method == "DELETE")
        .map(|r| r.path)
        .collect();
    let mut want: Vec<String> = keys
        .iter()
        .map(|k| format!("/api/v1/keys/{}", api.id_of(k).unwrap()))
        .collect();
    let mut got = deleted.clone();
    want.sort();
    got.sort();
    assert_eq!(got, want, "{run:?}");
    for k in &keys {
        assert!(api.is_revoked(k), "{}… not revoked: {run:?}", &k[..8]);
    }
}

/// A fake API where each of `keys` is live and may revoke itself.
fn api_with(keys: &[&str]) -> FakeApi {
    let api = FakeApi::start();
    for k in keys {
        api.add_key(k, 1, &["send", "keys:manage"]);
    }
    api
}

fn locations(report: &Value) -> BTreeSet<(String, String)> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["location"].as_str().unwrap().to_string(),
                f["path"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn redacted(key: &str) -> String {
    format!("{}…", &key[..8])
}

// ---------------------------------------------------------------- paths

#[test]
fn keys_in_file_and_folder_names_are_read_back() {
    let sb = common::Sandbox::new();
    let dir = sb.path("tree");
    let (file, folder, outer, inner) = (
        fake_key("msk_", 2101),
        fake_key("ask_", 2102),
        fake_key("mdk_", 2103),
        fake_key("msk_", 2104),
    );
    let write = |rel: &str| {
        let path = dir.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, "nothing here\n").unwrap();
    };
    write(&format!("keys/{file}.txt"));
    write(&format!("conf/{folder}/app.cfg"));
    // A key in a folder name and another in a file name below it: the
    // second's path has two redacted names.
    write(&format!("{outer}/{inner}.pem"));
    let keys = [
        file.as_str(),
        folder.as_str(),
        outer.as_str(),
        inner.as_str(),
    ];
    let report = scan_to_report(&sb, &dir, &["--no-config"], &keys);
    let places = locations(&report);
    for path in [
        format!("keys/{}.txt", redacted(&file)),
        format!("conf/{}", redacted(&folder)),
        redacted(&outer),
        format!("{}/{}.pem", redacted(&outer), redacted(&inner)),
    ] {
        assert!(
            places.contains(&("path".into(), path.clone())),
            "{path}: {places:?}"
        );
    }
    let api = api_with(&keys);
    verify_then_revoke(
        &dir,
        &api,
        &[
            ("path", &file),
            ("path", &folder),
            ("path", &outer),
            ("path", &inner),
        ],
    );
}

fn zip_bytes(members: &[(&str, &[u8])]) -> Vec<u8> {
    let mut buf = std::io::Cursor::new(Vec::new());
    let mut zip = zip::ZipWriter::new(&mut buf);
    for (name, data) in members {
        zip.start_file(*name, zip::write::SimpleFileOptions::default())
            .unwrap();
        zip.write_all(data).unwrap();
    }
    zip.finish().unwrap();
    buf.into_inner()
}

fn tar_bytes(members: &[(&str, &[u8])]) -> Vec<u8> {
    let mut tar = tar::Builder::new(Vec::new());
    for (name, data) in members {
        let mut header = tar::Header::new_gnu();
        header.set_size(data.len() as u64);
        header.set_mode(0o644);
        header.set_cksum();
        tar.append_data(&mut header, name, *data).unwrap();
    }
    tar.into_inner().unwrap()
}

#[test]
fn keys_in_archive_member_names_are_read_back() {
    let sb = common::Sandbox::new();
    let dir = sb.path("tree");
    std::fs::create_dir_all(&dir).unwrap();
    let (member, folder, nested) = (
        fake_key("msk_", 2111),
        fake_key("ask_", 2112),
        fake_key("mdk_", 2113),
    );
    std::fs::write(
        dir.join("bundle.zip"),
        zip_bytes(&[(&format!("cfg/{member}.txt"), b"plain\n")]),
    )
    .unwrap();
    // A key in a member's folder name, and one in a member of a zip inside a tar.
    let inner = zip_bytes(&[(&format!("{nested}.txt"), b"plain\n")]);
    std::fs::write(
        dir.join("release.tar"),
        tar_bytes(&[
            (&format!("{folder}/notes.txt"), b"plain\n"),
            ("plugins/p.zip", &inner),
        ]),
    )
    .unwrap();
    let keys = [member.as_str(), folder.as_str(), nested.as_str()];
    let report = scan_to_report(&sb, &dir, &["--no-config"], &keys);
    let places = locations(&report);
    for path in [
        format!("bundle.zip!cfg/{}.txt", redacted(&member)),
        format!("release.tar!{}", redacted(&folder)),
        format!("release.tar!plugins/p.zip!{}.txt", redacted(&nested)),
    ] {
        assert!(
            places.contains(&("path".into(), path.clone())),
            "{path}: {places:?}"
        );
    }
    let api = api_with(&keys);
    verify_then_revoke(
        &dir,
        &api,
        &[("path", &member), ("path", &folder), ("path", &nested)],
    );
}

#[test]
fn a_key_in_a_file_name_is_read_back_from_the_commit_tree_not_the_work_tree() {
    let sb = common::Sandbox::new();
    let repo = sb.repo("r");
    repo.write("a.txt", "a\n");
    let base = repo.commit("base");
    let k = fake_key("mdk_", 2121);
    repo.write(&format!("certs/{k}.pem"), "not a key\n");
    repo.commit("add cert");
    let range = format!("{base}..HEAD");
    let report = scan_to_report(&sb, &repo.path, &["--git", "--range", &range], &[&k]);
    let f = &report["findings"][0];
    assert_eq!(f["location"], "path", "{report:#}");
    assert!(f["commit"].is_string(), "{report:#}");
    // Gone from the work tree: only the commit's tree still has it.
    std::fs::remove_dir_all(repo.path.join("certs")).unwrap();
    let api = api_with(&[&k]);
    verify_then_revoke(&repo.path, &api, &[("path", &k)]);
}

#[test]
fn a_name_with_the_same_redacted_form_but_another_key_is_never_taken() {
    let sb = common::Sandbox::new();
    let dir = sb.path("tree");
    std::fs::create_dir_all(dir.join("keys")).unwrap();
    let reported = fake_key("msk_", 2131);
    let other = key_with_stem(&reported[..8], 2132);
    std::fs::write(dir.join(format!("keys/{reported}.txt")), "x\n").unwrap();
    scan_to_report(&sb, &dir, &["--no-config"], &[&reported]);
    // The file is renamed to another key with the same first 8 characters.
    std::fs::rename(
        dir.join(format!("keys/{reported}.txt")),
        dir.join(format!("keys/{other}.txt")),
    )
    .unwrap();
    let api = api_with(&[&reported, &other]);
    let keys = [reported.as_str(), other.as_str()];
    let mut args = vec!["verify", "r.json", "-f", "json"];
    args.extend_from_slice(FAST);
    let run = misar(&dir, &api, &args, &keys);
    assert_eq!(run.code, 2, "{run:?}");
    let doc: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(doc["findings"][0]["verification"], "unknown", "{doc:#}");
    assert!(run.stderr.contains("not recovered"), "{}", run.stderr);
    assert!(api.requests().is_empty(), "{:?}", api.requests());

    let mut args = vec!["revoke", "r.json", "--yes"];
    args.extend_from_slice(FAST);
    let run = misar(&dir, &api, &args, &keys);
    assert_ne!(run.code, 0, "{run:?}");
    assert!(api.requests().is_empty(), "{:?}", api.requests());
}

// ---------------------------------------------------------------- metadata

/// Write `object` (a commit or tag object's text) into `repo`; its id.
fn write_object(sb: &common::Sandbox, repo: &common::Repo, kind: &str, object: &str) -> String {
    let file = sb.path(&format!("{kind}.txt"));
    std::fs::write(&file, object).unwrap();
    repo.git(&["hash-object", "-t", kind, "-w", file.to_str().unwrap()])
}

#[test]
fn keys_in_commit_authors_committers_and_messages_are_read_back() {
    let sb = common::Sandbox::new();
    let repo = sb.repo("r");
    let (author, committer, message) = (
        fake_key("msk_", 2141),
        fake_key("ask_", 2142),
        fake_key("mdk_", 2143),
    );
    repo.write("a.txt", "a\n");
    repo.git(&["add", "-A"]);
    let tree = repo.git(&["write-tree"]);
    let commit = write_object(
        &sb,
        &repo,
        "commit",
        &format!(
            "tree {tree}\nauthor {author} <a@example.com> 1704067200 +0000\n\
committer Ci <{committer}@example.com> 1704067200 +0000\n\n\
add a\n\ndeployed with {message}\n"
        ),
    );
    repo.git(&["update-ref", "refs/heads/main", &commit]);
    let keys = [author.as_str(), committer.as_str(), message.as_str()];
    let report = scan_to_report(&sb, &repo.path, &["--git"], &keys);
    let places = locations(&report);
    for location in ["commit-author", "commit-committer", "commit-message"] {
        assert!(
            places.iter().any(|(l, _)| l == location),
            "{location}: {places:?}"
        );
    }
    let api = api_with(&keys);
    verify_then_revoke(
        &repo.path,
        &api,
        &[
            ("commit-author", &author),
            ("commit-committer", &committer),
            ("commit-message", &message),
        ],
    );
}

#[test]
fn keys_in_tag_taggers_and_messages_are_read_back() {
    let sb = common::Sandbox::new();
    let repo = sb.repo("r");
    repo.write("a.txt", "a\n");
    let commit = repo.commit("base");
    let (tagger, message) = (fake_key("msk_", 2151), fake_key("ask_", 2152));
    let tag = write_object(
        &sb,
        &repo,
        "tag",
        &format!(
            "object {commit}\ntype commit\ntag v1\n\
tagger {tagger} <t@example.com> 1704067200 +0000\n\nrelease\n\nkey {message}\n"
        ),
    );
    repo.git(&["update-ref", "refs/tags/v1", &tag]);
    let keys = [tagger.as_str(), message.as_str()];
    let report = scan_to_report(&sb, &repo.path, &["--git"], &keys);
    let places = locations(&report);
    for location in ["tag-tagger", "tag-message"] {
        assert!(
            places.iter().any(|(l, _)| l == location),
            "{location}: {places:?}"
        );
    }
    let api = api_with(&keys);
    verify_then_revoke(
        &repo.path,
        &api,
        &[("tag-tagger", &tagger), ("tag-message", &message)],
    );
}

#[test]
fn a_resumed_sweep_reads_keys_back_from_commit_and_tag_messages() {
    let sb = common::Sandbox::new();
    let repo = sb.repo("org/app");
    let (in_commit, in_tag) = (fake_key("msk_", 2161), fake_key("ask_", 2162));
    repo.write("a.txt", "a\n");
    let commit = repo.commit(&format!("add a\n\nused {in_commit}"));
    repo.git(&[
        "tag",
        "-a",
        "v1",
        "-m",
        &format!("release\n\nkey {in_tag}"),
        &commit,
    ]);
    let api = api_with(&[&in_commit, &in_tag]);
    let keys = [in_commit.as_str(), in_tag.as_str()];
    let root = sb.dir.path();
    let args = ["sweep", "org", "--revoke", "--yes", "--report-dir", "out"];
    let mut first: Vec<&str> = args.to_vec();
    first.extend_from_slice(FAST);
    first.extend(["--stop-after-revocations", "1"]);
    let killed = misar(root, &api, &first, &keys);
    assert_eq!(killed.code, 3, "{killed:?}");
    assert_eq!(api.count_method("DELETE"), 1);
    // The second run does not scan again: the other key is read back from
    // the metadata the first run recorded.
    let mut again: Vec<&str> = args.to_vec();
    again.extend_from_slice(FAST);
    let resumed = misar(root, &api, &again, &keys);
    assert!(
        resumed.stderr.contains("scanned in an earlier run"),
        "{resumed:?}"
    );
    assert_eq!(resumed.code, 0, "{resumed:?}");
    for k in keys {
        assert_eq!(api.count("DELETE", k), 1, "{}…: {resumed:?}", &k[..8]);
        assert!(api.is_revoked(k));
    }
    for entry in std::fs::read_dir(root.join("out")).unwrap() {
        let text = std::fs::read_to_string(entry.unwrap().path()).unwrap_or_default();
        common::assert_no_full_key("report folder", &text, &keys);
    }
}
