//! `misar-scan ci github` run as GitHub Actions would: an event payload at
//! `GITHUB_EVENT_PATH`, `GITHUB_OUTPUT` and `GITHUB_STEP_SUMMARY` files in a
//! job folder, `RUNNER_TEMP` for the SARIF file.

use std::path::{Path, PathBuf};

use serde_json::Value;

use super::git::Sandbox;
use super::redaction::assert_no_full_key;
use super::run::bin;

/// A finished `ci github` run and the files it wrote.
pub struct CiRun {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
    /// `GITHUB_STEP_SUMMARY` (Markdown).
    pub summary: String,
    /// `GITHUB_OUTPUT`, as written.
    pub outputs: String,
    /// `$RUNNER_TEMP/misar-scan.sarif`, if written.
    pub sarif: String,
    /// The job folder (`RUNNER_TEMP`), removed once the run is read.
    pub job: PathBuf,
}

impl CiRun {
    /// The workflow commands that annotate a file (`::error file=…`,
    /// `::warning file=…`).
    pub fn annotations(&self) -> Vec<&str> {
        self.stdout
            .lines()
            .filter(|l| l.starts_with("::error file=") || l.starts_with("::warning file="))
            .collect()
    }
}

/// Run `ci github` in `workspace` (also `GITHUB_WORKSPACE`) for `event` with
/// `payload`; none of `keys` may appear in full in stdout, stderr, the
/// summary, the outputs or the SARIF file.
pub fn ci_github(
    sb: &Sandbox,
    workspace: &Path,
    event: &str,
    payload: &Value,
    keys: &[&str],
) -> CiRun {
    let job = tempfile::tempdir_in(sb.dir.path()).unwrap();
    let event_path = job.path().join("event.json");
    std::fs::write(&event_path, payload.to_string()).unwrap();
    let summary = job.path().join("summary.md");
    let output = job.path().join("output");
    let run = bin(workspace)
        .home(&sb.home())
        .args(["ci", "github"])
        .env("GITHUB_EVENT_NAME", event)
        .env("GITHUB_EVENT_PATH", &event_path)
        .env("GITHUB_STEP_SUMMARY", &summary)
        .env("GITHUB_OUTPUT", &output)
        .env("GITHUB_WORKSPACE", workspace)
        .env("RUNNER_TEMP", job.path())
        .secrets(keys)
        .run();
    let read = |p: &Path| std::fs::read_to_string(p).unwrap_or_default();
    let ci = CiRun {
        code: run.code,
        stdout: run.stdout,
        stderr: run.stderr,
        summary: read(&summary),
        outputs: read(&output),
        sarif: read(&job.path().join("misar-scan.sarif")),
        job: job.path().to_path_buf(),
    };
    for (what, text) in [
        ("summary", &ci.summary),
        ("outputs", &ci.outputs),
        ("sarif", &ci.sarif),
    ] {
        assert_no_full_key(what, text, keys);
    }
    ci
}
