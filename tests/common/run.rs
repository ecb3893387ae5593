//! The one binary runner: the real `misar-scan` in a cleared environment
//! with an isolated `HOME`, checking that no full key reaches its output.

use std::ffi::OsString;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::Value;

use super::redaction::assert_no_full_key;

/// The binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_misar-scan");

/// The environment every child process gets (the binary, `git`, scripts):
/// nothing from the user's but `PATH`; `HOME` is `home`, no system git
/// configuration, no colour, the C locale.
pub fn hermetic(cmd: &mut Command, home: &Path) {
    cmd.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", home)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("NO_COLOR", "1")
        .env("LC_ALL", "C");
}

/// One run of the binary, decoded.
#[derive(Debug)]
pub struct Run {
    /// Exit code (-1 when killed by a signal).
    pub code: i32,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
}

impl Run {
    /// Stdout as JSON.
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "stdout is not JSON ({e}):\n{}\nstderr:\n{}",
                self.stdout, self.stderr
            )
        })
    }

    /// The findings of a `-f json` run.
    pub fn findings(&self) -> Vec<Value> {
        self.json()["findings"].as_array().unwrap().clone()
    }

    /// (path, line, rule, commit) of each finding of a `-f json` run.
    pub fn places(&self) -> Vec<(String, u64, String, Option<String>)> {
        self.findings()
            .iter()
            .map(|f| {
                (
                    f["path"].as_str().unwrap().to_string(),
                    f["line"].as_u64().unwrap(),
                    f["rule_id"].as_str().unwrap().to_string(),
                    f["commit"].as_str().map(str::to_string),
                )
            })
            .collect()
    }

    /// Panic if stdout or stderr holds any of `keys`.
    pub fn assert_redacted(&self, keys: &[&str]) -> &Self {
        assert_no_full_key("stdout", &self.stdout, keys);
        assert_no_full_key("stderr", &self.stderr, keys);
        self
    }
}

/// A run of the binary being set up: `bin(cwd).args(..).run()`.
#[must_use]
pub struct Bin {
    cwd: PathBuf,
    home: Option<PathBuf>,
    args: Vec<OsString>,
    env: Vec<(OsString, OsString)>,
    stdin: Option<Vec<u8>>,
    secrets: Vec<String>,
}

/// The binary in `cwd`. Unless [`Bin::home`] says otherwise, `HOME` is a
/// fresh empty folder removed after the run.
pub fn bin(cwd: &Path) -> Bin {
    Bin {
        cwd: cwd.to_path_buf(),
        home: None,
        args: Vec::new(),
        env: Vec::new(),
        stdin: None,
        secrets: Vec::new(),
    }
}

impl Bin {
    /// Append arguments.
    pub fn args<S: AsRef<std::ffi::OsStr>>(mut self, args: impl IntoIterator<Item = S>) -> Self {
        self.args
            .extend(args.into_iter().map(|a| a.as_ref().to_os_string()));
        self
    }

    /// `HOME` (a sandbox's home, shared with the `git` it runs).
    pub fn home(mut self, home: &Path) -> Self {
        self.home = Some(home.to_path_buf());
        self
    }

    /// Set a variable (over the hermetic ones).
    pub fn env(
        mut self,
        name: impl AsRef<std::ffi::OsStr>,
        value: impl AsRef<std::ffi::OsStr>,
    ) -> Self {
        self.env
            .push((name.as_ref().to_os_string(), value.as_ref().to_os_string()));
        self
    }

    /// Set several variables.
    pub fn envs(mut self, vars: &[(&str, &str)]) -> Self {
        for (k, v) in vars {
            self = self.env(k, v);
        }
        self
    }

    /// `MISAR_API_URL`.
    pub fn api(self, url: &str) -> Self {
        self.env("MISAR_API_URL", url)
    }

    /// Feed this to standard input (otherwise it is empty).
    pub fn stdin(mut self, input: impl AsRef<[u8]>) -> Self {
        self.stdin = Some(input.as_ref().to_vec());
        self
    }

    /// Keys that must not appear in full in stdout or stderr.
    pub fn secrets(mut self, keys: &[&str]) -> Self {
        self.secrets.extend(keys.iter().map(|k| k.to_string()));
        self
    }

    /// Run to completion; panics if a secret leaked.
    pub fn run(self) -> Run {
        let temp_home;
        let home = match &self.home {
            Some(home) => home.as_path(),
            None => {
                temp_home = tempfile::tempdir().expect("a temporary HOME");
                temp_home.path()
            }
        };
        let mut cmd = Command::new(BIN);
        hermetic(&mut cmd, home);
        cmd.current_dir(&self.cwd)
            .args(&self.args)
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .stdin(if self.stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("misar-scan runs");
        // A writer thread: the child may answer before it has read it all.
        let writer = child.stdin.take().map(|mut pipe| {
            let input = self.stdin.clone().unwrap_or_default();
            std::thread::spawn(move || {
                let _ = pipe.write_all(&input);
            })
        });
        let out = child.wait_with_output().expect("misar-scan finishes");
        if let Some(w) = writer {
            w.join().expect("stdin writer");
        }
        let run = Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        };
        let secrets: Vec<&str> = self.secrets.iter().map(String::as_str).collect();
        run.assert_redacted(&secrets);
        run
    }
}

/// Run with `args` in `cwd`; no key in `keys` may appear in full in stdout
/// or stderr, unless `--no-redact` was asked for.
pub fn run(cwd: &Path, args: &[&str], keys: &[&str]) -> Run {
    let b = bin(cwd).args(args);
    if args.contains(&"--no-redact") {
        b.run()
    } else {
        b.secrets(keys).run()
    }
}

/// `(path, line, column, rule_id)` of every finding in a JSON report.
pub fn locations(report: &Value) -> Vec<(String, u64, u64, String)> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap().to_string(),
                f["line"].as_u64().unwrap(),
                f["column"].as_u64().unwrap(),
                f["rule_id"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}
