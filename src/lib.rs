//! misar-scan: find leaked Misar API keys (`msk_` Misar Mail, `ask_`
//! Assisters.io, `mdk_` Misar Dev) before they are committed, on the pull
//! request that adds them, and across whole histories when one escapes.
//!
//! # The pipeline
//!
//! The command line ([`cli`]) turns flags into plain settings and picks a
//! **source** ([`source`]): a parallel, `.gitignore`-aware walk of files, the
//! blobs of a git history, of a commit range, of the index or of a push, or
//! standard input (`scan -`). The same engine answers the hooks ([`hooks`]:
//! git's pre-commit, pre-push and a server's pre-receive, and an AI coding
//! agent's event before each tool call and prompt). A
//! source reads bytes and hands them to the **engine** ([`engine::Scanner`]),
//! which knows nothing of files or networks: a literal prefilter over the
//! rules' prefixes finds candidate positions, then the boundary rule, the body
//! length and the placeholder filter decide what is a key. Hits become
//! [`finding::Finding`]s carrying their provenance and the key as a
//! [`secret::Secret`], which prints redacted unless explicitly exposed.
//! Findings are allow-listed ([`config`]), matched against a [`baseline`],
//! sorted, and rendered by a **reporter** ([`report`]) as human diagnostics,
//! JSON or SARIF. One function ([`cli::Outcome::exit_code`]) turns the result
//! into the exit code: 0 nothing to report, 1 findings, 2 usage or runtime
//! error, including a scan that could not read everything.
//!
//! With `--verify` (and in `misar-scan verify` and `revoke`), each distinct
//! key is checked once against the Misar keys API ([`verify`], through the one
//! HTTP client in [`api`]). [`revoke`] plans revocations as a pure function of
//! the key, its verification and the key list, and runs them through one
//! executor (`DELETE` once, re-verify, audit log); [`rotate`] replaces a
//! live key first (create with the same name and scopes, deliver to a sink,
//! wait for its use) and then revokes it through that executor, resumably;
//! [`sweep`] does all of it
//! across every repository under some folders, deciding per key with a pure
//! decision table and keeping a state it resumes from. `keys audit` judges
//! the account's key list itself ([`keys_audit`]): over-broad scopes, unused,
//! old and leaked keys.
//!
//! In GitHub Actions, `ci github` ([`ci`]) turns the event into what to
//! scan (a pull request's commits, a push, the whole history), fetches what
//! a shallow checkout lacks and runs the same scan; [`report::github`]
//! renders its annotations and step summary.
//!
//! Rules ([`rules`]) are TOML files embedded at build time; each carries
//! examples and negative examples that the test suite and `rules check` run
//! ([`examples`]). Lint files configure the key lints over findings ([`lint`])
//! and the webhook content lints the engine runs on bytes
//! ([`engine::content`]).

pub mod alert;
pub mod api;
pub mod baseline;
pub mod ci;
pub mod cli;
pub mod config;
pub mod engine;
pub mod examples;
pub mod finding;
pub mod hint;
pub mod hooks;
pub mod keys_audit;
pub mod lint;
pub mod recover;
pub mod report;
pub mod revoke;
pub mod rotate;
pub mod rules;
pub mod sanitize;
pub mod scan;
pub mod secret;
pub mod source;
pub mod sweep;
pub mod timestamp;
pub mod verify;
