//! Resuming a sweep from a state file written by an earlier release.
//!
//! `tests/fixtures/sweep-state-v1/` holds `sweep-state.json` and `audit.jsonl`
//! exactly as the release at commit 057ce06 wrote them (the only edit a test
//! makes is moving the repositories' absolute paths to its own sandbox). They
//! were produced by [`regenerate_the_v1_fixture`] (ignored; see there) from
//! the world below, in two runs:
//!
//! 1. `sweep --revoke --yes --stop-after-revocations 1`: one key revoked
//!    (`revoked`), the other revocable key planned (its `key_id` recorded),
//!    then the run stopped (exit 3);
//! 2. the same sweep again, killed while its `DELETE` for that second key was
//!    on the wire: the state says `delete_pending: true`.
//!
//! The state also holds a not-live key, an unknown key (the API answered
//! 500), an ambiguous one (another entry shows its stem), the three
//! repositories with their redacted findings and ref tips, and `runs: 2`.
//! Keys are fake, and the state holds only their stems and SHA-256s.
//!
//! A sweep resumed from it must read all of that back: skip the three
//! repositories (refs unchanged), read the keys back from their blobs through
//! the recorded findings, re-verify the pending `DELETE` instead of sending
//! it again, keep each key's first status, and write the same final reports
//! as an uninterrupted sweep. If the state file ever stops being readable, the
//! resumed sweep fails (exit 2 with `invalid sweep state`) or rescans and
//! forgets what was done, and these tests fail.

mod common;

use std::path::{Path, PathBuf};

use common::sha256 as sha256_hex;
use common::Sandbox;
use common::{bin, fake_key as key_from_seed, key_with_stem, FakeApi, Fault, Run, FAST};
use serde_json::Value;

/// The checked-in report folder of the interrupted sweep.
const FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/sweep-state-v1");

/// The keys of the world (the seeds of `tests/sweep.rs`).
struct World {
    sandbox: Sandbox,
    /// Live, holds `keys:manage` (revokes itself); only in `alpha`'s history.
    self_managed: String,
    /// Live without `keys:manage` (revoked with the admin key); in `alpha` and nested `beta`.
    shared: String,
    /// The API answers 500 for it: unknown.
    unknown: String,
    /// Live, but another entry of the account shows the same stem: ambiguous.
    ambiguous: String,
    /// Never valid: 401.
    dead: String,
    /// `MISAR_ADMIN_KEY`, never in a repository.
    admin: String,
}

impl World {
    fn root(&self) -> &Path {
        self.sandbox.dir.path()
    }

    fn leaked(&self) -> Vec<&str> {
        vec![
            &self.self_managed,
            &self.shared,
            &self.unknown,
            &self.ambiguous,
            &self.dead,
            &self.admin,
        ]
    }

    /// The key revoked by the first run and the one whose `DELETE` was
    /// pending when the second died: the planner takes keys in SHA-256
    /// order (the admin key last), so the smaller SHA-256 went first.
    fn revoked_then_pending(&self) -> (&str, &str) {
        let (a, b) = (self.self_managed.as_str(), self.shared.as_str());
        if sha256_hex(a) < sha256_hex(b) {
            (a, b)
        } else {
            (b, a)
        }
    }
}

/// `org/alpha` (work tree, a key only in history), `org/alpha/vendor/beta`
/// (nested work tree) and `org/gamma.git` (bare), with fixed commit dates
/// and authors: the same commit ids and ref tips on every machine.
fn world() -> World {
    let w = World {
        sandbox: Sandbox::new(),
        self_managed: key_from_seed("msk_", 101),
        shared: key_from_seed("ask_", 102),
        unknown: key_from_seed("mdk_", 103),
        ambiguous: key_from_seed("msk_", 104),
        dead: key_from_seed("msk_", 105),
        admin: key_from_seed("msk_", 106),
    };
    let alpha = w.sandbox.repo("org/alpha");
    alpha.write(".gitignore", "vendor/\n");
    alpha.write(
        "config/.env",
        &format!("MAIL_KEY={}\nASSISTERS_KEY={}\n", w.self_managed, w.shared),
    );
    alpha.commit("add config");
    alpha.write("config/.env", &format!("ASSISTERS_KEY={}\n", w.shared));
    alpha.commit("drop the mail key");

    let beta = w.sandbox.repo("org/alpha/vendor/beta");
    beta.write("app.js", &format!("const k = \"{}\";\n", w.shared));
    beta.write("dev.toml", &format!("token = \"{}\"\n", w.unknown));
    beta.commit("vendor beta");

    let gamma = w.sandbox.repo("work/gamma");
    gamma.write(
        "settings.py",
        &format!("KEY = '{}'\nOLD = '{}'\n", w.ambiguous, w.dead),
    );
    gamma.commit("settings");
    w.sandbox.git_in(
        w.root(),
        &["clone", "-q", "--bare", "work/gamma", "org/gamma.git"],
    );
    w
}

const SWEEP: &[&str] = &["sweep", "org", "--revoke", "--yes", "--report-dir", "out"];

fn sweep(w: &World, api: &FakeApi, extra: &[&str]) -> Run {
    let mut args: Vec<&str> = SWEEP.to_vec();
    args.extend_from_slice(extra);
    args.extend_from_slice(FAST);
    let run = bin(w.root())
        .args(&args)
        .api(&api.url())
        .env("MISAR_ADMIN_KEY", &w.admin)
        .run();
    run.assert_redacted(&w.leaked());
    run
}

fn json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// The canonical folder the fixture's sweep ran in: each repository's
/// recorded path is that folder joined with the repository's name.
fn recorded_root(state: &Value) -> String {
    let path = state["repos"]["org/alpha"]["path"].as_str().unwrap();
    path.strip_suffix("/org/alpha")
        .unwrap_or_else(|| panic!("unexpected recorded path {path}"))
        .to_string()
}

/// Copy the fixture into `w`'s `out/`, with the recorded repository paths
/// moved to `w`'s sandbox (the only change to the files).
fn install_fixture(w: &World) -> PathBuf {
    let out = w.root().join("out");
    std::fs::create_dir(&out).unwrap();
    let text = std::fs::read_to_string(Path::new(FIXTURE).join("sweep-state.json")).unwrap();
    let old_root = recorded_root(&serde_json::from_str(&text).unwrap());
    let new_root = w.root().canonicalize().unwrap();
    let new_root = new_root.to_str().unwrap();
    let moved = text.replace(&format!("\"{old_root}/"), &format!("\"{new_root}/"));
    assert_eq!(
        moved.matches(new_root).count(),
        3,
        "every repository path moved"
    );
    std::fs::write(out.join("sweep-state.json"), moved).unwrap();
    std::fs::copy(
        Path::new(FIXTURE).join("audit.jsonl"),
        out.join("audit.jsonl"),
    )
    .unwrap();
    out
}

/// The fake API as the interrupted sweep left it: the revoked key and the
/// one whose `DELETE` went out are gone (401), as is the dead key; the admin
/// key, the ambiguous key and its twin are live; the unknown key gets 500.
fn api_after_the_interruption(w: &World) -> FakeApi {
    let api = FakeApi::start();
    api.add_key(&w.unknown, 1, &["send"]);
    api.fault_always(&w.unknown, Fault::ServerError);
    api.add_key(&w.ambiguous, 1, &["send"]);
    api.add_key(&key_with_stem(&w.ambiguous[..8], 999), 1, &["send"]);
    api.add_key(&w.admin, 1, &["keys:manage"]);
    api
}

/// The report's record of `key`.
fn record<'a>(report: &'a Value, key: &str) -> &'a Value {
    let sha = sha256_hex(key);
    report["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["secret_sha256"] == sha.as_str())
        .unwrap_or_else(|| panic!("{}… is not in the report", &key[..8]))
}

#[test]
fn the_fixture_is_what_the_interrupted_sweep_left() {
    // What the resume tests rely on, read as plain JSON (independent of the
    // library's types): if the fixture is regenerated, it must still hold it.
    let w = world();
    let state = json(&Path::new(FIXTURE).join("sweep-state.json"));
    assert_eq!(state["version"], 1);
    assert_eq!(state["runs"], 2);
    assert_eq!(state["repos"].as_object().unwrap().len(), 3);
    assert!(
        state["repos"]["org/alpha"]["findings"]
            .as_array()
            .unwrap()
            .len()
            >= 2
    );
    let (revoked, pending) = w.revoked_then_pending();
    let key = |k: &str| state["keys"][sha256_hex(k).as_str()].clone();
    assert_eq!(key(revoked)["action"], "revoked");
    assert_eq!(key(revoked)["status_after"]["state"], "not_live");
    assert_eq!(key(pending)["action"], "none");
    assert_eq!(key(pending)["delete_pending"], true);
    assert!(key(pending)["key_id"].is_string());
    assert_eq!(key(pending)["status_before"]["state"], "live");
    assert_eq!(key(&w.dead)["status_before"]["state"], "not_live");
    assert_eq!(key(&w.unknown)["status_before"]["state"], "unknown");
    assert_eq!(key(&w.ambiguous)["action"], "refused");
    let text = std::fs::read_to_string(Path::new(FIXTURE).join("sweep-state.json")).unwrap()
        + &std::fs::read_to_string(Path::new(FIXTURE).join("audit.jsonl")).unwrap();
    common::assert_no_full_key("the fixture", &text, &w.leaked());
}

#[test]
fn an_old_state_with_a_pending_delete_resumes_without_sending_it_again() {
    let w = world();
    let out = install_fixture(&w);
    let api = api_after_the_interruption(&w);
    let (revoked, pending) = w.revoked_then_pending();

    let resumed = sweep(&w, &api, &[]);
    // The unknown and the ambiguous keys need a person.
    assert_eq!(resumed.code, 2, "{resumed:?}");
    assert!(
        resumed
            .stderr
            .contains("resuming the sweep in `out`: 3 repositories and 5 keys recorded"),
        "{}",
        resumed.stderr
    );
    // Refs unchanged: nothing is scanned again, the keys are read back from
    // their blobs through the recorded findings.
    assert_eq!(
        resumed
            .stderr
            .matches("(scanned in an earlier run; refs unchanged)")
            .count(),
        3,
        "{}",
        resumed.stderr
    );
    // No DELETE at all: the revoked key and the pending one are re-verified.
    assert_eq!(api.count_method("DELETE"), 0, "{resumed:?}");
    assert_eq!(api.count("GET", revoked), 1);
    assert_eq!(api.count("GET", pending), 1);

    let report = json(&out.join("report.json"));
    let pending_rec = record(&report, pending);
    assert_eq!(pending_rec["action"], "revoked", "{pending_rec}");
    assert!(
        pending_rec["detail"]
            .as_str()
            .unwrap()
            .contains("revoked by an interrupted run (DELETE sent); confirmed 401 on resume"),
        "{pending_rec}"
    );
    assert_eq!(pending_rec["delete_pending"], false, "{pending_rec}");
    let revoked_rec = record(&report, revoked);
    assert_eq!(revoked_rec["action"], "revoked", "{revoked_rec}");
    for rec in [pending_rec, revoked_rec] {
        // The first answer (live, from the first run) is kept.
        assert_eq!(rec["status_before"]["state"], "live", "{rec}");
        assert_eq!(rec["status_after"]["state"], "not_live", "{rec}");
        assert!(rec["key_id"].is_string(), "{rec}");
    }
    assert_eq!(
        record(&report, &w.self_managed)["status_before"]["can_manage_keys"],
        true
    );
    assert_eq!(record(&report, &w.dead)["action"], "not_live");
    assert_eq!(record(&report, &w.unknown)["action"], "left_alone_unknown");
    assert_eq!(
        record(&report, &w.unknown)["status_after"]["state"],
        "unknown"
    );
    assert_eq!(record(&report, &w.ambiguous)["action"], "refused");
    assert_eq!(report["summary"]["repos"], 3);
    assert_eq!(report["summary"]["revoked"], 2);
    assert_eq!(report["summary"]["live_before"], 3);
    assert_eq!(report["summary"]["live_after"], 1);
    // Every location recorded by the first run is still in the report.
    let fixture = json(&Path::new(FIXTURE).join("sweep-state.json"));
    let recorded: usize = fixture["repos"]
        .as_object()
        .unwrap()
        .values()
        .map(|r| r["findings"].as_array().unwrap().len())
        .sum();
    assert_eq!(report["findings"].as_array().unwrap().len(), recorded);

    let state = json(&out.join("sweep-state.json"));
    assert_eq!(state["runs"], 3);
    let audit = std::fs::read_to_string(out.join("audit.jsonl")).unwrap();
    let deletes = audit
        .lines()
        .filter(|l| l.contains("\"action\":\"delete\""))
        .count();
    assert_eq!(deletes, 1, "only the first run's DELETE:\n{audit}");
    assert!(
        audit.contains("revoked in an earlier run; confirmed 401, no DELETE sent"),
        "{audit}"
    );
    assert!(
        audit.contains("revoked by an interrupted run (DELETE sent); confirmed 401 on resume"),
        "{audit}"
    );
    for name in ["report.sarif", "summary.md", "report.html"] {
        let text = std::fs::read_to_string(out.join(name)).unwrap();
        common::assert_no_full_key(name, &text, &w.leaked());
    }

    // Once more: nothing left to do, nothing sent.
    let again = sweep(&w, &api, &[]);
    assert_eq!(again.code, 2, "{again:?}");
    assert_eq!(api.count_method("DELETE"), 0);
}

#[test]
fn a_pending_delete_that_never_reached_the_api_is_sent_once() {
    // The same state, but the interrupted DELETE never arrived: the key is
    // still live, so the resumed sweep revokes it (once) and confirms it.
    let w = world();
    let out = install_fixture(&w);
    let api = api_after_the_interruption(&w);
    let (revoked, pending) = w.revoked_then_pending();
    let scopes: &[&str] = if pending == w.self_managed {
        &["send", "keys:manage"]
    } else {
        &["send"]
    };
    api.add_key(pending, 1, scopes);

    let resumed = sweep(&w, &api, &[]);
    assert_eq!(resumed.code, 2, "{resumed:?}");
    assert_eq!(api.count_method("DELETE"), 1, "{resumed:?}");
    assert!(api.is_revoked(pending));
    assert_eq!(api.count("GET", revoked), 1);
    let report = json(&out.join("report.json"));
    assert_eq!(record(&report, pending)["action"], "revoked");
    assert_eq!(
        record(&report, pending)["detail"],
        "revoked (confirmed 401)"
    );
    assert_eq!(record(&report, revoked)["action"], "revoked");
}

/// Regenerate `tests/fixtures/sweep-state-v1/` with the binary under test:
/// `cargo test --test sweep_resume -- --ignored regenerate`. Its point is the
/// file an older release wrote, so regenerate only with a reason (a new
/// layout version gets a new fixture folder; this one stays).
#[test]
#[ignore = "writes tests/fixtures/sweep-state-v1; run by hand"]
fn regenerate_the_v1_fixture() {
    use std::process::{Command, Stdio};
    use std::time::{Duration, Instant};

    let w = world();
    let api = FakeApi::start();
    api.add_key(&w.self_managed, 1, &["send", "keys:manage"]);
    api.add_key(&w.shared, 1, &["send"]);
    api.add_key(&w.unknown, 1, &["send"]);
    api.fault_always(&w.unknown, Fault::ServerError);
    api.add_key(&w.ambiguous, 1, &["send"]);
    api.add_key(&key_with_stem(&w.ambiguous[..8], 999), 1, &["send"]);
    api.add_key(&w.admin, 1, &["keys:manage"]);

    // 1. Stopped right after the first revocation.
    let first = sweep(&w, &api, &["--stop-after-revocations", "1"]);
    assert_eq!(first.code, 3, "{first:?}");
    assert_eq!(api.count_method("DELETE"), 1);

    // 2. Killed while the second DELETE is on the wire.
    let (_, pending) = w.revoked_then_pending();
    let credential = if pending == w.self_managed {
        pending
    } else {
        &w.admin
    };
    api.fault_once_on(credential, "DELETE", Fault::Hang(Duration::from_secs(30)));
    let mut args: Vec<&str> = SWEEP.to_vec();
    args.extend_from_slice(FAST);
    let mut child = Command::new(env!("CARGO_BIN_EXE_misar-scan"))
        .current_dir(w.root())
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", w.sandbox.home())
        .env("NO_COLOR", "1")
        .env("MISAR_API_URL", api.url())
        .env("MISAR_ADMIN_KEY", &w.admin)
        .args(&args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let state_path = w.root().join("out/sweep-state.json");
    let started = Instant::now();
    loop {
        let text = std::fs::read_to_string(&state_path).unwrap_or_default();
        let pending_now = serde_json::from_str::<Value>(&text)
            .is_ok_and(|s| s["keys"][sha256_hex(pending).as_str()]["delete_pending"] == true);
        if pending_now && api.count_method("DELETE") == 2 {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "the DELETE never went out"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap();
    child.wait().unwrap();

    let dir = Path::new(FIXTURE);
    std::fs::create_dir_all(dir).unwrap();
    for name in ["sweep-state.json", "audit.jsonl"] {
        std::fs::copy(w.root().join("out").join(name), dir.join(name)).unwrap();
    }
}

#[test]
fn the_state_file_ends_as_the_reports_say() {
    // A resumed sweep and `report merge` read `sweep-state.json`: it must
    // hold what `report.json` says, including what changed after the last
    // DELETE (here a key not attempted after a discrepancy).
    let sandbox = Sandbox::new();
    let root = sandbox.dir.path();
    let leaked = [key_from_seed("msk_", 301), key_from_seed("msk_", 302)];
    let admin = key_from_seed("msk_", 303);
    let repo = sandbox.repo("org/app");
    repo.write("a.env", &format!("A={}\nB={}\n", leaked[0], leaked[1]));
    repo.commit("keys");
    let api = FakeApi::start();
    api.add_key(&admin, 1, &["keys:manage"]);
    // Both leaked keys live in another account; the admin key's account
    // lists a bystander under each one's stem: the first DELETE hits a
    // bystander, a discrepancy, and the other key is not attempted.
    for (i, key) in leaked.iter().enumerate() {
        api.add_key(key, 2, &["send"]);
        let bystander = api.add_key(&key_from_seed("msk_", 310 + i as u64), 1, &["send"]);
        api.set_shown_prefix(&bystander, &format!("{}...", &key[..8]));
    }
    let mut args = SWEEP.to_vec();
    args.extend_from_slice(FAST);
    let out = bin(root)
        .args(&args)
        .api(&api.url())
        .env("MISAR_ADMIN_KEY", &admin)
        .run();
    assert_eq!(out.code, 2, "{out:?}");
    assert_eq!(api.count_method("DELETE"), 1, "{out:?}");
    let report = json(&root.join("out/report.json"));
    let state = json(&root.join("out/sweep-state.json"));
    let mut actions = Vec::new();
    for key in &leaked {
        let rec = record(&report, key);
        let saved = &state["keys"][sha256_hex(key).as_str()];
        for field in [
            "action",
            "detail",
            "status_after",
            "key_id",
            "delete_pending",
        ] {
            assert_eq!(saved[field], rec[field], "{field}: {saved} vs {rec}");
        }
        actions.push(rec["action"].as_str().unwrap().to_string());
    }
    actions.sort();
    assert_eq!(actions, ["discrepancy", "refused"]);
    assert!(state.to_string().contains("not attempted"), "{state}");
}
