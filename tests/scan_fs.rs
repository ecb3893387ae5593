//! `misar-scan scan PATH…` on temporary trees: what is found, where, what is
//! skipped, exit codes, and that no output holds a full key.

mod common;

use common::{fake_key, locations, run, sha256, Tree};

fn t(path: &str, line: u64, col: u64, rule: &str) -> (String, u64, u64, String) {
    (path.to_string(), line, col, rule.to_string())
}

#[test]
fn finds_every_key_with_path_line_and_column() {
    let tree = Tree::new();
    let (k1, k2, k3) = (
        fake_key("msk_", 1),
        fake_key("ask_", 2),
        fake_key("mdk_", 3),
    );
    tree.write("src/app.js", format!("// config\nconst key = \"{k1}\";\n"));
    tree.write("src/two.py", format!("a = '{k2}'; b = '{k3}'\n"));
    tree.write(".env", format!("MISAR_API_KEY={k1}\n"));
    tree.write("clean.txt", "nothing here\n");
    let r = run(tree.path(), &["scan", "-f", "json"], &[&k1, &k2, &k3]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let report = r.json();
    assert_eq!(
        locations(&report),
        [
            t(".env", 1, 15, "misar-mail-api-key"),
            t("src/app.js", 2, 14, "misar-mail-api-key"),
            t("src/two.py", 1, 6, "assisters-api-key"),
            t("src/two.py", 1, 50, "misar-dev-api-key"),
        ]
    );
    let first = &report["findings"][0];
    assert_eq!(first["secret"], format!("{}…", &k1[..8]));
    assert_eq!(first["secret_sha256"], sha256(&k1));
    assert_eq!(first["product"], "Misar Mail");
    assert_eq!(first["verification"], "unverified");
    assert_eq!(first["end_column"], 15 + k1.len() as u64);
    assert_eq!(report["summary"]["files_scanned"], 4);
    assert_eq!(report["summary"]["incomplete"], false);
}

#[test]
fn clean_tree_exits_zero() {
    let tree = Tree::new();
    tree.write(
        "a.txt",
        "msk_your_api_key and task_abcdefghijklmnopqrstuvwxyz012345\n",
    );
    tree.write(
        "docs/README.md",
        "export MISAR_API_KEY=msk_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n",
    );
    let r = run(tree.path(), &["scan"], &[]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("no Misar keys found"), "{}", r.stdout);
}

#[test]
fn gitignore_is_honoured_unless_no_ignore() {
    let tree = Tree::new();
    let k = fake_key("msk_", 4);
    tree.write(".gitignore", "build/\n");
    tree.write("build/out.js", format!("k=\"{k}\"\n"));
    let r = run(tree.path(), &["scan", "-f", "json"], &[&k]);
    assert_eq!(r.code, 0, "{}", r.stdout);
    let r = run(tree.path(), &["scan", "-f", "json", "--no-ignore"], &[&k]);
    assert_eq!(r.code, 1);
    assert_eq!(locations(&r.json())[0].0, "build/out.js");
}

#[test]
fn hidden_files_are_scanned_and_dot_git_is_skipped() {
    let tree = Tree::new();
    let k = fake_key("ask_", 5);
    tree.write(".config/secrets.env", format!("{k}\n"));
    tree.write(".git/config", format!("token = {k}\n"));
    let r = run(tree.path(), &["scan", "-f", "json"], &[&k]);
    assert_eq!(r.code, 1);
    let paths: Vec<String> = locations(&r.json()).into_iter().map(|l| l.0).collect();
    assert_eq!(paths, [".config/secrets.env"]);
    let r = run(tree.path(), &["scan", "-f", "json", "--skip-hidden"], &[&k]);
    assert_eq!(r.code, 0);
}

#[test]
fn missing_path_exits_2_and_still_reports_what_was_found() {
    let tree = Tree::new();
    let k = fake_key("mdk_", 6);
    tree.write("ok/a.txt", format!("{k}\n"));
    let r = run(
        tree.path(),
        &["scan", "-f", "json", "ok", "does-not-exist"],
        &[&k],
    );
    assert_eq!(r.code, 2, "an incomplete scan is never clean");
    assert!(r.stderr.contains("does-not-exist"), "{}", r.stderr);
    assert_eq!(locations(&r.json()).len(), 1);
    assert_eq!(r.json()["summary"]["incomplete"], true);
}

// Unix only: mode bits and /proc make a file that cannot be read.
#[cfg(unix)]
#[test]
fn unreadable_file_is_reported_and_the_scan_goes_on() {
    use std::os::unix::fs::PermissionsExt;
    let tree = Tree::new();
    let k = fake_key("msk_", 7);
    tree.write("a.txt", format!("{k}\n"));
    let locked = tree.write("locked.txt", "secret stuff\n");
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o000)).unwrap();
    let mut args = vec!["scan", "-f", "json"];
    let mut bad = "locked.txt";
    if std::fs::read(&locked).is_ok() {
        // Root reads mode-000 files: use a file whose read fails for anyone,
        // the scanning process's own memory at address 0 (EIO), via a symlink.
        std::fs::remove_file(&locked).unwrap();
        std::os::unix::fs::symlink("/proc/self/mem", tree.path().join("mem")).unwrap();
        args.push("--follow");
        bad = "mem";
    }
    let r = run(tree.path(), &args, &[&k]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains(&format!("could not read `{bad}`")),
        "{}",
        r.stderr
    );
    assert_eq!(locations(&r.json()).len(), 1);
}

#[test]
fn binary_files_and_invalid_utf8_are_scanned() {
    let tree = Tree::new();
    let k = fake_key("msk_", 8);
    let mut bytes = vec![0u8, 159, 146, 150, 0xff, b'\n', 0, 1, 2];
    bytes.extend_from_slice(k.as_bytes());
    bytes.extend_from_slice(&[0, 0xfe, 0xc3]);
    tree.write("cache.bin", &bytes);
    let r = run(tree.path(), &["scan", "-f", "json"], &[&k]);
    assert_eq!(r.code, 1);
    assert_eq!(
        locations(&r.json()),
        [t("cache.bin", 2, 4, "misar-mail-api-key")]
    );
}

#[test]
fn key_at_a_chunk_edge_of_a_large_file_is_found_once() {
    let tree = Tree::new();
    let k = fake_key("ask_", 9);
    // A tree is read in chunks of 64 KiB (source::stream::TREE_CHUNK).
    let chunk = 64 << 10;
    let mut data = Vec::with_capacity(2 * chunk + 1000);
    let line = b"let value = compute(alpha, beta, gamma);\n";
    while data.len() < chunk - 20 {
        data.extend_from_slice(line);
    }
    let lines_before = data.iter().filter(|&&b| b == b'\n').count() as u64;
    data.extend_from_slice(b"x=");
    data.extend_from_slice(k.as_bytes());
    data.push(b'\n');
    while data.len() < 2 * chunk + 500 {
        data.extend_from_slice(line);
    }
    data.extend_from_slice(k.as_bytes()); // last bytes of the file, no newline
    tree.write("big.txt", &data);
    let total_lines = data.iter().filter(|&&b| b == b'\n').count() as u64 + 1;
    let r = run(tree.path(), &["scan", "-f", "json"], &[&k]);
    assert_eq!(
        locations(&r.json()),
        [
            t("big.txt", lines_before + 1, 3, "assisters-api-key"),
            t("big.txt", total_lines, 1, "assisters-api-key"),
        ]
    );
}

#[test]
fn inline_allow_comment_suppresses_that_line_only() {
    let tree = Tree::new();
    let (a, b) = (fake_key("msk_", 10), fake_key("msk_", 11));
    tree.write(
        "fixture.py",
        format!("A = '{a}'  # misar-scan:allow\nB = '{b}'\n"),
    );
    let r = run(tree.path(), &["scan", "-f", "json"], &[&a, &b]);
    assert_eq!(
        locations(&r.json()),
        [t("fixture.py", 2, 6, "misar-mail-api-key")]
    );
}

#[test]
fn repo_config_allowlists_paths_secrets_words_and_disables_rules() {
    let tree = Tree::new();
    let (a, b, c, d) = (
        fake_key("msk_", 12),
        fake_key("msk_", 13),
        fake_key("ask_", 14),
        fake_key("mdk_", 15),
    );
    tree.write("tests/fixtures/keys.txt", format!("{a}\n"));
    tree.write("src/one.txt", format!("{b}\n"));
    tree.write("src/two.txt", format!("{c}\n"));
    tree.write(
        "src/three.txt",
        format!("{d}\nmsk_AcmeWidgetFactoryCorporation\n"),
    );
    let r = run(tree.path(), &["scan", "-f", "json"], &[&a, &b, &c, &d]);
    assert_eq!(locations(&r.json()).len(), 5);
    tree.write(
        ".misar-scan.toml",
        format!(
            "[allowlist]\npaths = [\"tests/fixtures/**\"]\nsecrets = [\"{}\"]\nplaceholder_words = [\"acme\", \"widget\", \"factory\", \"corporation\"]\n\n[rules]\ndisable = [\"assisters-api-key\"]\n",
            sha256(&b)
        ),
    );
    let r = run(tree.path(), &["scan", "-f", "json"], &[&a, &b, &c, &d]);
    assert_eq!(
        locations(&r.json()),
        [t("src/three.txt", 1, 1, "misar-dev-api-key")]
    );
    let r = run(
        tree.path(),
        &["scan", "-f", "json", "--no-config"],
        &[&a, &b, &c, &d],
    );
    assert_eq!(locations(&r.json()).len(), 5);
}

#[test]
fn bad_config_is_a_clear_error() {
    let tree = Tree::new();
    tree.write(
        ".misar-scan.toml",
        "[rules]\ndisable = [\"no-such-rule\"]\n",
    );
    let r = run(tree.path(), &["scan"], &[]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("unknown rule `no-such-rule`"),
        "{}",
        r.stderr
    );
    tree.write(".misar-scan.toml", "[allowlist]\npath = []\n");
    let r = run(tree.path(), &["scan"], &[]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("line 2"), "{}", r.stderr);
}

#[test]
fn baseline_matches_by_content_not_line() {
    let tree = Tree::new();
    let (a, b) = (fake_key("msk_", 16), fake_key("msk_", 17));
    tree.write("conf.js", format!("const k = \"{a}\";\n"));
    let r = run(
        tree.path(),
        &["scan", "--write-baseline", "base.json"],
        &[&a, &b],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let baseline = tree.read("base.json");
    common::assert_no_full_key("baseline", &baseline, &[&a]);
    assert!(baseline.contains(&sha256(&a)));

    // Moving the accepted key down does not reopen it.
    tree.write("conf.js", format!("// moved\n\nconst k = \"{a}\";\n"));
    let r = run(tree.path(), &["scan", "--baseline", "base.json"], &[&a, &b]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);

    // A different key on the same line is never hidden, and the old entry is stale.
    tree.write("conf.js", format!("const k = \"{b}\";\n"));
    let r = run(
        tree.path(),
        &["scan", "-f", "json", "--baseline", "base.json"],
        &[&a, &b],
    );
    assert_eq!(r.code, 1);
    assert_eq!(r.json()["findings"][0]["secret_sha256"], sha256(&b));
    assert!(r.stderr.contains("stale baseline entry"), "{}", r.stderr);
    assert_eq!(r.json()["stale_baseline"][0]["secret_sha256"], sha256(&a));
}

#[test]
fn no_redact_shows_full_keys_everywhere() {
    let tree = Tree::new();
    let k = fake_key("mdk_", 18);
    tree.write("a.txt", format!("token: {k}\n"));
    for format in ["human", "json", "sarif"] {
        let r = run(tree.path(), &["scan", "-f", format, "--no-redact"], &[]);
        assert!(r.stdout.contains(&k), "{format}: {}", r.stdout);
        let r = run(tree.path(), &["scan", "-f", format], &[&k]);
        assert!(r.stdout.contains(&k[..8]), "{format}: {}", r.stdout);
    }
}

#[test]
fn output_file_gets_the_report_and_stdout_stays_empty() {
    let tree = Tree::new();
    let k = fake_key("msk_", 19);
    tree.write("a.txt", format!("{k}\n"));
    let r = run(
        tree.path(),
        &["scan", "-f", "sarif", "-o", "out.sarif"],
        &[&k],
    );
    assert_eq!(r.code, 1);
    assert!(r.stdout.is_empty());
    let sarif = tree.read("out.sarif");
    common::assert_no_full_key("sarif", &sarif, &[&k]);
    assert!(sarif.contains("\"version\": \"2.1.0\""));
}

#[test]
fn human_report_shows_location_source_line_and_summary() {
    let tree = Tree::new();
    let k = fake_key("msk_", 20);
    tree.write("dir/app.ts", format!("export const key = '{k}';\n"));
    let r = run(tree.path(), &["scan"], &[&k]);
    assert_eq!(r.code, 1);
    assert!(
        r.stdout.contains("error[misar-mail-api-key]"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("dir/app.ts:1:21"), "{}", r.stdout);
    assert!(
        r.stdout
            .contains(&format!("export const key = '{}…';", &k[..8])),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("1 key found in 1 file (scanned 1 file"),
        "{}",
        r.stdout
    );
    assert!(
        !r.stdout.contains('\u{1b}'),
        "no colour when not on a terminal"
    );
}

#[test]
fn output_is_identical_whatever_the_thread_count() {
    let tree = Tree::new();
    let mut keys = Vec::new();
    for i in 0..40u64 {
        let k = fake_key(["msk_", "ask_", "mdk_"][(i % 3) as usize], 100 + i);
        tree.write(&format!("d{}/f{i}.txt", i % 7), format!("x\n{k}\n"));
        keys.push(k);
    }
    let refs: Vec<&str> = keys.iter().map(String::as_str).collect();
    let one = run(tree.path(), &["scan", "-f", "json", "-j", "1"], &refs);
    let four = run(tree.path(), &["scan", "-f", "json", "-j", "4"], &refs);
    assert_eq!(one.stdout, four.stdout);
    assert_eq!(locations(&one.json()).len(), 40);
}

#[test]
fn paths_outside_the_current_directory_and_single_files() {
    let tree = Tree::new();
    let k = fake_key("ask_", 21);
    tree.write("repo/sub dir/a b.txt", format!("{k}\n"));
    std::fs::create_dir_all(tree.path().join("elsewhere")).unwrap();
    let cwd = tree.path().join("elsewhere");
    let r = run(&cwd, &["scan", "-f", "sarif", "../repo"], &[&k]);
    let sarif: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let uri = &sarif["runs"][0]["results"][0]["locations"][0]["physicalLocation"]
        ["artifactLocation"]["uri"];
    assert_eq!(uri, "sub%20dir/a%20b.txt", "relative to the scanned path");
    let r = run(
        tree.path(),
        &["scan", "-f", "json", "repo/sub dir/a b.txt"],
        &[&k],
    );
    assert_eq!(locations(&r.json())[0].0, "repo/sub dir/a b.txt");
    let abs = tree.path().join("repo");
    let r = run(
        tree.path(),
        &["scan", "-f", "json", abs.to_str().unwrap()],
        &[&k],
    );
    assert_eq!(
        locations(&r.json())[0].0,
        "repo/sub dir/a b.txt",
        "relative to cwd when under it"
    );
}

#[test]
fn usage_errors_exit_2() {
    let tree = Tree::new();
    let r = run(tree.path(), &["scan", "--format", "xml"], &[]);
    assert_eq!(r.code, 2);
    let r = run(tree.path(), &["frobnicate"], &[]);
    assert_eq!(r.code, 2);
}

#[test]
fn broken_rules_dir_names_file_rule_and_line() {
    let tree = Tree::new();
    tree.write(
        "myrules/acme.toml",
        "id = \"acme-key\"\nname = \"Acme\"\nproduct = \"Acme\"\nprefix = \"acme_\"\nbody = { charset = \"base64\", min_len = 20, max_len = 40 }\ndescription = \"d\"\nexamples = [\"acme_x\"]\n",
    );
    let r = run(tree.path(), &["scan", "--rules", "myrules"], &[]);
    assert_eq!(r.code, 2);
    // The path as the platform writes it (`myrules\acme.toml` on Windows).
    let shown = format!(
        "{}` line 5",
        std::path::Path::new("myrules").join("acme.toml").display()
    );
    assert!(r.stderr.contains(&shown), "{}", r.stderr);
    assert!(r.stderr.contains("acme-key"), "{}", r.stderr);
    assert!(r.stderr.contains("base64"), "{}", r.stderr);
    let r = run(tree.path(), &["scan", "--rules", "nowhere"], &[]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("nowhere"), "{}", r.stderr);
}

#[test]
fn custom_rules_extend_and_override() {
    let tree = Tree::new();
    let acme = "acme_Zq8Lp2Xv9Rk4Tw7Yb3Nc6Md1";
    let short = "msk_Zq8Lp2Xv9Rk4Tw7Y"; // 16-character body: too short for the built-in rule
    tree.write("myrules/acme.toml", format!(
        "id = \"acme-key\"\nname = \"Acme key\"\nproduct = \"Acme\"\nprefix = \"acme_\"\nbody = {{ charset = \"base62\", min_len = 20, max_len = 40 }}\ndescription = \"d\"\nexamples = [\"{acme}\"]\n"
    ));
    tree.write("myrules/mail.toml", format!(
        "id = \"misar-mail-api-key\"\nname = \"Misar Mail API key\"\nproduct = \"Misar Mail\"\nprefix = \"msk_\"\nbody = {{ charset = \"base62\", min_len = 16, max_len = 64 }}\ndescription = \"d\"\nexamples = [\"{short}\"]\n"
    ));
    tree.write("src/a.txt", format!("{acme}\n{short}\n"));
    let r = run(
        tree.path(),
        &["scan", "-f", "json", "--rules", "myrules", "src"],
        &[acme, short],
    );
    assert_eq!(
        locations(&r.json()),
        [
            t("src/a.txt", 1, 1, "acme-key"),
            t("src/a.txt", 2, 1, "misar-mail-api-key")
        ]
    );
    let r = run(tree.path(), &["rules", "check", "--rules", "myrules"], &[]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
}
