//! `misar-scan verify` and `scan --verify` against the fake Misar API
//! (SPEC §2): every status, retries, timeouts, one request per distinct key,
//! bounded concurrency, reading keys back from redacted reports, redaction.

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use common::{bin, fake_key, refused_url, FakeApi, Fault, Run, FAST};
use serde_json::Value;

fn verify_stdin(api: &str, keys: &[&str], extra: &[&str]) -> (Run, Value) {
    let dir = tempfile::tempdir().unwrap();
    let mut args = vec!["verify", "--stdin", "-f", "json"];
    for pair in FAST.chunks(2) {
        if !extra.contains(&pair[0]) {
            args.extend_from_slice(pair);
        }
    }
    args.extend_from_slice(extra);
    let input: String = keys.iter().map(|k| format!("{k}\n")).collect();
    let run = bin(dir.path())
        .api(api)
        .args(&args)
        .stdin(&input)
        .secrets(keys)
        .run();
    let json: Value = serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {run:?}"));
    (run, json)
}

/// The verification of the only finding, and its reason.
fn status(json: &Value) -> (String, String) {
    let f = &json["findings"][0];
    (
        f["verification"].as_str().unwrap().to_string(),
        f["verification_reason"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
    )
}

#[test]
fn verify_200_with_misar_list_is_live_and_attaches_the_key_entry() {
    let api = FakeApi::start();
    let key = fake_key("msk_", 1);
    let id = api.add_key(&key, 1, &["send", "keys:manage"]);
    let (run, json) = verify_stdin(&api.url(), &[&key], &[]);
    assert_eq!(run.code, 1, "{run:?}");
    let f = &json["findings"][0];
    assert_eq!(f["verification"], "live");
    assert_eq!(f["can_manage_keys"], true);
    assert_eq!(f["key"]["id"], id.as_str());
    assert_eq!(f["key"]["name"], "key 1");
    assert_eq!(
        f["key"]["scopes"],
        serde_json::json!(["send", "keys:manage"])
    );
    assert_eq!(f["key"]["last_used_at"], "2026-11-01T12:00:00Z");
    assert_eq!(api.count("GET", &key), 1);
}

#[test]
fn verify_403_forbidden_is_live_without_keys_manage() {
    let api = FakeApi::start();
    let key = fake_key("ask_", 2);
    api.add_key(&key, 1, &["send"]);
    let (run, json) = verify_stdin(&api.url(), &[&key], &[]);
    assert_eq!(run.code, 1, "{run:?}");
    assert_eq!(status(&json).0, "live");
    assert_eq!(json["findings"][0]["can_manage_keys"], false);
    assert!(json["findings"][0].get("key").is_none());
}

#[test]
fn verify_401_unauthorized_is_not_live_for_unknown_and_revoked_keys() {
    let api = FakeApi::start();
    let unknown = fake_key("mdk_", 3);
    let revoked = fake_key("msk_", 4);
    let admin = fake_key("msk_", 5);
    let id = api.add_key(&revoked, 1, &["send"]);
    api.add_key(&admin, 1, &["keys:manage"]);
    // Revoke through the API itself, as a user would.
    let out = misar_delete(&api, &admin, &id);
    assert_eq!(out, 200);
    let (run, json) = verify_stdin(&api.url(), &[&unknown, &revoked], &[]);
    assert_eq!(run.code, 0, "{run:?}");
    for f in json["findings"].as_array().unwrap() {
        assert_eq!(f["verification"], "not_live");
    }
}

/// A raw DELETE against the fake server (test setup, not the product).
fn misar_delete(api: &FakeApi, key: &str, id: &str) -> u16 {
    use std::io::{Read, Write};
    let addr = api.url().trim_start_matches("http://").to_string();
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    write!(s, "DELETE /api/v1/keys/{id} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {key}\r\nContent-Length: 0\r\n\r\n").unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    out[9..12].parse().unwrap()
}

#[test]
fn verify_404_on_the_list_call_is_unknown() {
    let api = FakeApi::start();
    let key = fake_key("msk_", 6);
    api.fault_always(
        &key,
        Fault::Raw(
            404,
            r#"{"success":false,"error":{"code":"NOT_FOUND","message":"x"}}"#.into(),
        ),
    );
    let (run, json) = verify_stdin(&api.url(), &[&key], &[]);
    assert_eq!(run.code, 2, "{run:?}");
    let (v, reason) = status(&json);
    assert_eq!(v, "unknown");
    assert!(reason.contains("404"), "{reason}");
}

#[test]
fn verify_honours_retry_after_on_429_then_reports_live() {
    let api = FakeApi::start();
    let key = fake_key("msk_", 7);
    api.add_key(&key, 1, &["send"]);
    api.fault_once(&key, Fault::RateLimited(1));
    let started = Instant::now();
    let (run, json) = verify_stdin(&api.url(), &[&key], &[]);
    assert_eq!(run.code, 1, "{run:?}");
    assert_eq!(status(&json).0, "live");
    assert_eq!(api.count("GET", &key), 2);
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "Retry-After: 1 was not honoured"
    );
}

#[test]
fn verify_retries_500_then_reports_unknown() {
    let api = FakeApi::start();
    let key = fake_key("msk_", 8);
    api.add_key(&key, 1, &["send"]);
    api.fault_always(&key, Fault::ServerError);
    let (run, json) = verify_stdin(&api.url(), &[&key], &["--verify-retries", "2"]);
    assert_eq!(run.code, 2, "{run:?}");
    let (v, reason) = status(&json);
    assert_eq!(v, "unknown");
    assert!(
        reason.contains("3 attempt") && reason.contains("500"),
        "{reason}"
    );
    assert_eq!(api.count("GET", &key), 3);
}

#[test]
fn verify_timeout_is_unknown() {
    let api = FakeApi::start();
    let key = fake_key("msk_", 9);
    api.add_key(&key, 1, &["send"]);
    api.fault_always(&key, Fault::Hang(Duration::from_secs(3)));
    let (run, json) = verify_stdin(&api.url(), &[&key], &["--verify-retries", "0"]);
    assert_eq!(run.code, 2, "{run:?}");
    let (v, reason) = status(&json);
    assert_eq!(v, "unknown");
    assert!(reason.contains("timed out"), "{reason}");
}

#[test]
fn verify_total_deadline_bounds_the_run() {
    let api = FakeApi::start();
    let keys: Vec<String> = (0..3).map(|i| fake_key("msk_", 30 + i)).collect();
    for k in &keys {
        api.add_key(k, 1, &["send"]);
        api.fault_always(k, Fault::Hang(Duration::from_secs(5)));
    }
    let refs: Vec<&str> = keys.iter().map(String::as_str).collect();
    let started = Instant::now();
    let extra = [
        "--verify-timeout",
        "10",
        "--verify-deadline",
        "1",
        "--verify-concurrency",
        "1",
    ];
    let (run, json) = verify_stdin(&api.url(), &refs, &extra);
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(run.code, 2, "{run:?}");
    for f in json["findings"].as_array().unwrap() {
        assert_eq!(f["verification"], "unknown");
    }
    let reasons: String = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["verification_reason"].as_str().unwrap().to_string())
        .collect();
    assert!(reasons.contains("deadline"), "{reasons}");
}

#[test]
fn verify_malformed_body_and_dropped_connection_are_unknown() {
    let api = FakeApi::start();
    let malformed = fake_key("msk_", 10);
    let dropped = fake_key("msk_", 11);
    for k in [&malformed, &dropped] {
        api.add_key(k, 1, &["keys:manage"]);
    }
    api.fault_always(&malformed, Fault::Malformed);
    api.fault_always(&dropped, Fault::Drop);
    let (run, json) = verify_stdin(&api.url(), &[&malformed, &dropped], &[]);
    assert_eq!(run.code, 2, "{run:?}");
    let f = json["findings"].as_array().unwrap();
    assert_eq!(f[0]["verification"], "unknown");
    assert!(
        f[0]["verification_reason"]
            .as_str()
            .unwrap()
            .contains("malformed"),
        "{f:?}"
    );
    assert_eq!(f[1]["verification"], "unknown");
}

#[test]
fn verify_html_403_and_html_200_are_unknown_never_live() {
    let api = FakeApi::start();
    let waf = fake_key("msk_", 12);
    let portal = fake_key("msk_", 13);
    api.fault_always(&waf, Fault::HtmlForbidden);
    api.fault_always(&portal, Fault::HtmlOk);
    let (run, json) = verify_stdin(&api.url(), &[&waf, &portal], &[]);
    assert_eq!(run.code, 2, "{run:?}");
    for f in json["findings"].as_array().unwrap() {
        assert_eq!(f["verification"], "unknown", "{f}");
        assert!(
            f["verification_reason"]
                .as_str()
                .unwrap()
                .contains("HTML page"),
            "{f}"
        );
    }
}

#[test]
fn verify_connection_refused_is_unknown() {
    let key = fake_key("msk_", 14);
    let (run, json) = verify_stdin(&refused_url(), &[&key], &[]);
    assert_eq!(run.code, 2, "{run:?}");
    let (v, reason) = status(&json);
    assert_eq!(v, "unknown");
    assert!(reason.contains("connect"), "{reason}");
}

#[test]
fn plain_http_to_a_non_loopback_host_is_refused() {
    let key = fake_key("msk_", 15);
    let dir = tempfile::tempdir().unwrap();
    let run = bin(dir.path())
        .api("http://api.example.com")
        .args(["verify", "--stdin"])
        .stdin(&key)
        .run();
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        run.stderr.contains("refusing plain http://"),
        "{}",
        run.stderr
    );
    run.assert_redacted(&[&key]);
}

#[test]
fn scan_verify_checks_a_key_found_50_times_with_one_request() {
    let api = FakeApi::start();
    let key = fake_key("msk_", 16);
    api.add_key(&key, 1, &["send"]);
    let dir = tempfile::tempdir().unwrap();
    let text: String = (0..50).map(|i| format!("KEY_{i}={key}\n")).collect();
    std::fs::write(dir.path().join("a.env"), text).unwrap();
    let mut args = vec!["scan", "--verify", "-f", "json"];
    args.extend_from_slice(FAST);
    let run = bin(dir.path())
        .api(&api.url())
        .args(&args)
        .secrets(&[&key])
        .run();
    assert_eq!(run.code, 1, "{run:?}");
    let json: Value = serde_json::from_str(&run.stdout).unwrap();
    let findings = json["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 50);
    assert!(findings.iter().all(|f| f["verification"] == "live"));
    assert_eq!(api.requests().len(), 1, "{:?}", api.requests());
    assert!(
        run.stderr.contains("1 live, 0 not live, 0 unknown"),
        "{}",
        run.stderr
    );
}

#[test]
fn verify_concurrency_is_bounded_by_the_flag() {
    let api = FakeApi::start();
    api.set_latency(Duration::from_millis(150));
    let keys: Vec<String> = (0..24).map(|i| fake_key("msk_", 100 + i)).collect();
    for k in &keys {
        api.add_key(k, 1, &["send"]);
    }
    let refs: Vec<&str> = keys.iter().map(String::as_str).collect();
    let (run, json) = verify_stdin(&api.url(), &refs, &["--verify-concurrency", "3"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert_eq!(json["findings"].as_array().unwrap().len(), 24);
    assert_eq!(api.requests().len(), 24);
    assert!(
        api.max_in_flight() <= 3,
        "max in flight {}",
        api.max_in_flight()
    );
    assert!(api.max_in_flight() >= 2, "requests did not overlap");
}

/// Write a file with keys and scan it to a JSON report (redacted unless `extra` says otherwise).
fn scanned_report(dir: &std::path::Path, keys: &[&str], extra: &[&str]) {
    let text: String = keys
        .iter()
        .map(|k| format!("const k = \"{k}\";\n"))
        .collect();
    std::fs::create_dir_all(dir.join("src")).unwrap();
    std::fs::write(dir.join("src/app.js"), text).unwrap();
    let mut args = vec!["scan", "src", "-f", "json", "-o", "report.json"];
    args.extend_from_slice(extra);
    let run = bin(dir).args(&args).run();
    assert_eq!(run.code, 1, "{run:?}");
}

#[test]
fn verify_reads_keys_back_from_a_redacted_report() {
    let api = FakeApi::start();
    let live = fake_key("msk_", 20);
    let dead = fake_key("ask_", 21);
    api.add_key(&live, 1, &["send"]);
    let dir = tempfile::tempdir().unwrap();
    scanned_report(dir.path(), &[&live, &dead], &[]);
    let report = std::fs::read_to_string(dir.path().join("report.json")).unwrap();
    common::assert_no_full_key("report", &report, &[&live, &dead]);

    let mut args = vec!["verify", "report.json", "-f", "sarif"];
    args.extend_from_slice(FAST);
    let run = bin(dir.path())
        .api(&api.url())
        .args(&args)
        .secrets(&[&live, &dead])
        .run();
    assert_eq!(run.code, 1, "{run:?}");
    let sarif: Value = serde_json::from_str(&run.stdout).unwrap();
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    let states: Vec<&str> = results
        .iter()
        .map(|r| r["properties"]["verification"].as_str().unwrap())
        .collect();
    assert_eq!(states, ["live", "not_live"]);
}

#[test]
fn verify_says_unknown_when_a_key_cannot_be_read_back() {
    let api = FakeApi::start();
    let key = fake_key("msk_", 22);
    api.add_key(&key, 1, &["send"]);
    let dir = tempfile::tempdir().unwrap();
    scanned_report(dir.path(), &[&key], &[]);
    // The key was removed from the file since the scan.
    std::fs::write(
        dir.path().join("src/app.js"),
        "const k = process.env.KEY;\n",
    )
    .unwrap();
    let run = bin(dir.path())
        .api(&api.url())
        .args(["verify", "--report", "report.json", "-f", "json"])
        .secrets(&[&key])
        .run();
    assert_eq!(run.code, 2, "{run:?}");
    let json: Value = serde_json::from_str(&run.stdout).unwrap();
    let (v, reason) = status(&json);
    assert_eq!(v, "unknown");
    assert!(reason.contains("not recovered"), "{reason}");
    assert_eq!(json["findings"][0]["secret_sha256"], common::sha256(&key));
    assert!(
        api.requests().is_empty(),
        "an unrecovered key must not reach the API"
    );
}

#[test]
fn verify_accepts_a_no_redact_report_even_after_the_file_is_gone() {
    let api = FakeApi::start();
    let key = fake_key("mdk_", 23);
    api.add_key(&key, 1, &["keys:manage"]);
    let dir = tempfile::tempdir().unwrap();
    scanned_report(dir.path(), &[&key], &["--no-redact"]);
    std::fs::remove_file(dir.path().join("src/app.js")).unwrap();
    let run = bin(dir.path())
        .api(&api.url())
        .args(["verify", "report.json"])
        .secrets(&[&key])
        .run();
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stdout.contains("LIVE (holds keys:manage)"),
        "{}",
        run.stdout
    );
    // With --no-redact the key is shown, as asked.
    let run = bin(dir.path())
        .api(&api.url())
        .args(["verify", "report.json", "--no-redact"])
        .run();
    assert!(run.stdout.contains(&key));
}

#[test]
fn verify_stdin_skips_placeholders_and_says_so_without_echoing_lines() {
    let api = FakeApi::start();
    let dir = tempfile::tempdir().unwrap();
    let run = bin(dir.path())
        .api(&api.url())
        .args(["verify", "--stdin"])
        .stdin("msk_your_api_key\n# comment\n\n")
        .run();
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.contains("line 1"), "{}", run.stderr);
    assert!(api.requests().is_empty());
}

#[test]
fn verify_reads_history_findings_back_from_their_commit() {
    let api = FakeApi::start();
    let key = fake_key("msk_", 40);
    api.add_key(&key, 1, &["send"]);
    let dir = tempfile::tempdir().unwrap();
    let repo = git2::Repository::init(dir.path()).unwrap();
    let text = format!("MISAR_KEY={key}\n");
    std::fs::write(dir.path().join(".env"), &text).unwrap();
    let mut index = repo.index().unwrap();
    index.add_path(Path::new(".env")).unwrap();
    let tree = repo.find_tree(index.write_tree().unwrap()).unwrap();
    let sig =
        git2::Signature::new("Ada", "ada@example.com", &git2::Time::new(1_700_000_000, 0)).unwrap();
    let commit = repo
        .commit(Some("HEAD"), &sig, &sig, "add key", &tree, &[])
        .unwrap();
    // The key was removed from the working tree since; only history has it.
    std::fs::write(dir.path().join(".env"), "MISAR_KEY=\n").unwrap();
    let report = serde_json::json!({"findings": [{
        "rule_id": "misar-mail-api-key",
        "path": ".env", "line": 1, "column": 11, "end_column": 47, "offset": 10,
        "secret": format!("{}…", &key[..8]),
        "secret_sha256": common::sha256(&key),
        "snippet": format!("MISAR_KEY={}…", &key[..8]),
        "commit": commit.to_string(), "author": "Ada <ada@example.com>", "date": "2023-11-14T22:13:20Z"
    }]});
    std::fs::write(dir.path().join("history.json"), report.to_string()).unwrap();
    let mut args = vec!["verify", "history.json", "-f", "json"];
    args.extend_from_slice(FAST);
    let run = bin(dir.path())
        .api(&api.url())
        .args(&args)
        .secrets(&[&key])
        .run();
    assert_eq!(run.code, 1, "{run:?}");
    let json: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(json["findings"][0]["verification"], "live");
    assert_eq!(json["findings"][0]["commit"], commit.to_string().as_str());
}

#[test]
fn verify_survives_a_hostile_retry_after_and_reports_unknown() {
    // A review found that `Retry-After: 18446744073709551615` overflowed the
    // deadline arithmetic and panicked.
    let api = FakeApi::start();
    let key = fake_key("msk_", 70);
    api.add_key(&key, 1, &["send"]);
    api.fault_always(&key, Fault::RateLimited(u64::MAX));
    let (run, json) = verify_stdin(&api.url(), &[&key], &[]);
    assert_eq!(run.code, 2, "{run:?}");
    assert_eq!(status(&json).0, "unknown");
    assert!(!run.stderr.contains("panicked"), "{run:?}");
}

#[test]
fn verify_honours_a_retry_after_http_date() {
    // Issue 11 item 15: `Retry-After` as an HTTP-date (RFC 9110) was ignored.
    let api = FakeApi::start();
    let key = fake_key("msk_", 71);
    api.add_key(&key, 1, &["send"]);
    // Whole seconds: 3 s from now is at least 2 s away.
    let when = std::time::SystemTime::now() + Duration::from_secs(3);
    api.fault_once(&key, Fault::RetryAfter(httpdate::fmt_http_date(when)));
    let started = Instant::now();
    let (run, json) = verify_stdin(&api.url(), &[&key], &[]);
    assert_eq!(run.code, 1, "{run:?}");
    assert_eq!(status(&json).0, "live");
    assert_eq!(api.count("GET", &key), 2);
    assert!(
        started.elapsed() >= Duration::from_secs(2),
        "Retry-After as an HTTP-date was not honoured ({:?})",
        started.elapsed()
    );
}

#[test]
fn verify_gives_up_on_a_retry_after_past_the_deadline_or_too_large_to_count() {
    // Issue 11 item 15: a number past `u64` was ignored (retried at once),
    // and a date centuries away must end the retries, not hang or panic.
    for value in [
        "99999999999999999999999999",
        "Fri, 31 Dec 9999 23:59:59 GMT",
    ] {
        let api = FakeApi::start();
        let key = fake_key("msk_", 72);
        api.add_key(&key, 1, &["send"]);
        api.fault_always(&key, Fault::RetryAfter(value.into()));
        let started = Instant::now();
        let (run, json) = verify_stdin(&api.url(), &[&key], &["--verify-retries", "3"]);
        assert_eq!(run.code, 2, "{value}: {run:?}");
        let (v, reason) = status(&json);
        assert_eq!(v, "unknown", "{value}");
        assert!(reason.contains("deadline"), "{value}: {reason}");
        assert_eq!(api.count("GET", &key), 1, "{value}: retried");
        assert!(!run.stderr.contains("panicked"), "{run:?}");
        assert!(started.elapsed() < Duration::from_secs(30), "{value}");
    }
}

#[test]
fn verify_names_a_list_answer_over_the_limit_as_too_large_not_malformed() {
    // Issue 11 item 19: a body over the limit was cut and judged malformed.
    let api = FakeApi::start();
    let key = fake_key("msk_", 73);
    api.add_key(&key, 1, &["send", "keys:manage"]);
    let big = format!(
        "{{\"success\":true,\"data\":[],\"pad\":\"{}\"}}",
        "x".repeat(65 << 20)
    );
    api.fault_always(&key, Fault::Raw(200, big));
    let (run, json) = verify_stdin(&api.url(), &[&key], &["--verify-timeout", "60"]);
    assert_eq!(run.code, 2, "{run:?}");
    let (v, reason) = status(&json);
    assert_eq!(v, "unknown");
    assert!(
        reason.contains("list answer larger than 64 MiB"),
        "{reason}"
    );
    assert!(!reason.contains("malformed"), "{reason}");
    assert_eq!(
        api.count("GET", &key),
        1,
        "an answer too large is not retried"
    );
}
