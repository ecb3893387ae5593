//! The helpers of every integration test, in one module (`mod common;`):
//!
//! - [`keys`]: the one fake-key generator ([`fake_key`], [`key_with_stem`]),
//!   the redacted form and SHA-256 of a key;
//! - [`run`]: the one runner of the real binary ([`bin`] … [`Bin::run`], or
//!   [`run()`]) in a cleared environment with an isolated `HOME`, checking
//!   that no full key reaches its output;
//! - [`redaction`]: the one redaction check ([`assert_no_full_key`],
//!   [`assert_no_key_fragment`]);
//! - [`tree`]: a temporary folder to write files in ([`Tree`]);
//! - [`webhook`]: an alert receiver on 127.0.0.1 ([`Webhook`]);
//! - [`git`]: sandboxes with git repositories at fixed names and dates
//!   ([`Sandbox`], [`Repo`]);
//! - [`ci`]: `ci github` as GitHub Actions runs it ([`ci_github`]);
//! - [`git_http`]: smart HTTP through `git http-backend` on 127.0.0.1 ([`GitHttp`]);
//! - [`fake_api`]: the fake Misar keys API on 127.0.0.1 ([`FakeApi`]).
//!
//! Each test binary uses part of it.
#![allow(dead_code, unused_imports)]

pub mod ci;
pub mod fake_api;
pub mod git;
pub mod git_http;
pub mod keys;
pub mod redaction;
pub mod run;
pub mod tree;
pub mod webhook;

pub use ci::{ci_github, CiRun};
pub use fake_api::{refused_url, Entry, FakeApi, Fault, DEFAULT_CREATED_AT, FAST, SCOPES};
pub use git::{at, Repo, Sandbox, AUTHOR, EMAIL, MAIL_RULE};
pub use git_http::GitHttp;
pub use keys::{fake_key, key_with_stem, redacted, sha256, KEY_LEN};
pub use redaction::{assert_no_full_key, assert_no_key_fragment};
pub use run::{bin, hermetic, locations, run, Bin, Run, BIN};
pub use tree::Tree;
pub use webhook::{Received, Webhook};
