//! `misar-scan sweep PATH…` (SPEC §3): incident response across many
//! repositories. Discover every git repository under the paths
//! ([`crate::sweep::discover`]), optionally take one shard of them
//! (`--shard K/N`), scan each one's full history (`scan_history`, as
//! `scan --git`), deduplicate keys across repositories by `secret_sha256`
//! (keeping every location), verify each distinct key once (the
//! [`crate::verify::Verifier`]), and with `--revoke` revoke every live,
//! unambiguously matched key with the machinery of `revoke` (the pure
//! planner, the `DELETE` + re-verification executor and its audit log).
//!
//! Revoking needs `--yes`, or a "yes" at an interactive prompt when standard
//! input is a terminal. Without either, nothing is revoked, the run says so
//! and exits 2.
//!
//! The report folder (`--report-dir`) holds the reports, `audit.jsonl` and
//! `sweep-state.json`, which is rewritten atomically after each repository
//! and each API action. Run again with the same folder, a sweep skips the
//! repositories already scanned whose refs have not moved since (recorded as
//! [`crate::sweep::ref_tips`]; reading keys back from their blobs when it
//! must act on them), scans again those that moved, re-verifies every key,
//! and never sends a second
//! `DELETE` for a key it revoked: a key revoked earlier is re-verified and
//! reported as revoked when it gets 401.
//!
//! Exit code ([`exit_outcome`]): 0 no key is live at the end and everything
//! was read and checked; 1 a key is still live (no `--revoke`); 2 something
//! needs a person — a repository not fully read, a key unknown, refused
//! (ambiguous), not confirmed (no `--yes` and no terminal), failed or
//! discrepant — or a usage/runtime error.

#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::collections::HashMap;
use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use anyhow::{bail, Context, Result};
use clap::Args;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::args::ApiArgs;
use super::{sanitize, Outcome};
use crate::api::BaseUrl;
use crate::config::load_rules;
use crate::config::{ApiEnv, RepoConfig};
use crate::engine::Scanner;
use crate::finding::{sort_and_dedup, Verification};
use crate::report::json::JsonFinding;
use crate::report::sweep::write_reports;
use crate::revoke::{
    plan, Attempt, Audit, AuditAction, Confirmation, Credential, RevocationStep, Revoker,
    NOT_ATTEMPTED,
};
use crate::secret::Secret;
use crate::source::git_history::{scan_history, HistoryOptions};
use crate::source::{ProblemKind, Problems, ScanContext};
use crate::sweep::{
    discover, ref_tips, shallow_reason, Action, FoundRepo, KeyStatus, PlannedDelete, RepoRecord,
    Shard, SweepState, AUDIT_FILE,
};
use crate::verify::{base_for, client};
use crate::verify::{Checked, Job, Verifier};

/// The default report folder.
pub const DEFAULT_REPORT_DIR: &str = "misar-sweep-report";

/// Options of `sweep`.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  misar-scan sweep ~/src                              find, verify, report (no revocation)\n  MISAR_ADMIN_KEY=... misar-scan sweep ~/src --revoke --yes --report-dir incident-42\n  misar-scan sweep /srv/git --shard 2/8 --report-dir shard-2\n  misar-scan report merge shard-* --output incident-42\n\nThe report folder holds report.json, report.sarif, summary.md, report.html, audit.jsonl and\nsweep-state.json. Run the same command again with the same folder to resume: repositories\nalready scanned whose refs have not moved since are skipped, those with new commits, branches\nor tags are scanned again, and no key is revoked twice.\nExit codes: 0 nothing live is left and everything was read and checked, 1 a key is still live,\n2 something needs a person (unread repository, unknown, refused, unconfirmed, failed or\ndiscrepant key) or a usage/runtime error."
)]
pub struct SweepArgs {
    /// Folders to search for git repositories (work trees and bare, nested too).
    #[arg(value_name = "PATH", required = true)]
    pub paths: Vec<PathBuf>,

    /// Write the reports, the audit log and the resumable state to DIR.
    ///
    /// Created if missing. If it holds `sweep-state.json` from an earlier run
    /// of the same sweep, that run is resumed: repositories whose refs have
    /// not moved are not scanned again, the others are.
    #[arg(long, value_name = "DIR", default_value = DEFAULT_REPORT_DIR)]
    pub report_dir: PathBuf,

    /// Revoke every live key that matches exactly one entry of its account's key list.
    ///
    /// Asks for confirmation on a terminal; `--yes` skips the question.
    /// Keys that hold `keys:manage` revoke themselves; others need
    /// `MISAR_ADMIN_KEY` (environment only). Each revocation is re-verified
    /// (the key must now get 401) and logged to `audit.jsonl`.
    #[arg(long)]
    pub revoke: bool,

    /// With `--revoke`: do not ask, revoke (needed when standard input is not a terminal).
    #[arg(long, requires = "revoke")]
    pub yes: bool,

    /// Take only shard K of N (1-based) of the repositories found.
    ///
    /// A repository belongs to the shard given by the SHA-256 of its path
    /// relative to the PATH it was found under, modulo N: every shard sees
    /// the same assignment, and adding repositories moves none. Give each
    /// shard its own `--report-dir`, then `misar-scan report merge`.
    #[arg(long, value_name = "K/N")]
    pub shard: Option<String>,

    /// Follow symbolic links to folders, as `scan --follow` does; never to a
    /// folder outside the PATH they were found under.
    ///
    /// Without it, links are not followed (as in `scan`).
    #[arg(short = 'L', long)]
    pub follow: bool,

    /// Also scan objects no ref reaches (deleted branches, amended commits).
    #[arg(long)]
    pub all_objects: bool,

    /// Load extra rules from every `*.toml` in DIR (as in `scan`).
    #[arg(long, value_name = "DIR")]
    pub rules: Option<PathBuf>,

    /// Look for plain keys only (no base64, percent, escapes or UTF-16 decoding).
    #[arg(long)]
    pub no_decode: bool,

    /// Do not look inside archives and compressed files.
    #[arg(long)]
    pub no_archives: bool,

    /// Stop reading an archive after this many MiB of decompressed data.
    #[arg(long, value_name = "MIB", default_value_t = 1024)]
    pub archive_limit: u64,

    /// Worker threads per repository scan [default: one per core].
    #[arg(
        short = 'j',
        long,
        value_name = "N",
        default_value_t = 0,
        hide_default_value = true
    )]
    pub threads: usize,

    /// Test hook: exit abruptly (code 3, no reports written) right after the
    /// Nth revocation has been recorded in the state file, as a kill would.
    /// Lets the resume tests stop a sweep at a deterministic point.
    #[arg(long, value_name = "N", hide = true)]
    pub stop_after_revocations: Option<usize>,

    #[command(flatten)]
    pub api: ApiArgs,
}

/// Progress on standard error: a bar on a terminal, plain lines otherwise.
struct Progress {
    bar: Option<ProgressBar>,
    total: usize,
}

impl Progress {
    fn new(total: usize) -> Self {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar =
                ProgressBar::with_draw_target(Some(total as u64), ProgressDrawTarget::stderr());
            if let Ok(style) =
                ProgressStyle::with_template("{bar:30} {pos}/{len} repositories  {wide_msg}")
            {
                bar.set_style(style);
            }
            bar
        });
        Self { bar, total }
    }

    fn message(&self, text: &str) {
        match &self.bar {
            Some(bar) => bar.println(sanitize(text)),
            None => eprintln!("{}", sanitize(text)),
        }
    }

    fn start(&self, name: &str) {
        if let Some(bar) = &self.bar {
            bar.set_message(sanitize(name));
        }
    }

    fn done(&self, i: usize, name: &str, text: &str) {
        match &self.bar {
            Some(bar) => bar.inc(1),
            None => eprintln!(
                "[{}/{}] {}: {}",
                i + 1,
                self.total,
                sanitize(name),
                sanitize(text)
            ),
        }
    }

    fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

/// Whether and how revocation is allowed in this run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Consent {
    /// No `--revoke`.
    NotAsked,
    /// `--revoke --yes`.
    Given,
    /// `--revoke` on a terminal: ask before the first `DELETE`.
    Ask,
    /// `--revoke` without `--yes` and without a terminal: never revoke.
    Impossible,
}

const NO_CONSENT: &str = "`--revoke` without `--yes`, and standard input is not a terminal to \
                          confirm on: nothing is revoked";

/// Run `sweep`.
pub fn run(args: SweepArgs) -> Result<Outcome> {
    let shard = args.shard.as_deref().map(Shard::parse).transpose()?;
    let config = RepoConfig::empty();
    let rules = load_rules(args.rules.as_deref(), &config)?;
    let scanner = Scanner::with_decoding(&rules, &[], !args.no_decode);
    // The webhook lints run so that what they match (a hard-coded signing
    // secret beside a key) is redacted in key snippets; their own findings
    // are not part of a sweep.
    let linter = crate::lint::ContentLinter::new(&rules);
    let dir = &args.report_dir;
    std::fs::create_dir_all(dir)
        .with_context(|| format!("failed to create the report folder `{}`", dir.display()))?;
    let mut state = match SweepState::load(dir)? {
        Some(state) => {
            let want: Vec<String> = shard.map(|s| s.to_string()).into_iter().collect();
            if state.shards != want {
                bail!(
                    "`{}` holds the state of a sweep with shard(s) [{}], not [{}]; \
                     hint: give each shard its own `--report-dir`",
                    dir.display(),
                    state.shards.join(", "),
                    want.join(", ")
                );
            }
            eprintln!(
                "resuming the sweep in `{}`: {} repositories and {} keys recorded",
                dir.display(),
                state.repos.values().filter(|r| !r.incomplete).count(),
                state.keys.len()
            );
            state
        }
        None => SweepState::new(shard),
    };
    state.runs += 1;
    state.save(dir)?;

    let consent = match (args.revoke, args.yes) {
        (false, _) => Consent::NotAsked,
        (true, true) => Consent::Given,
        (true, false) if std::io::stdin().is_terminal() => Consent::Ask,
        (true, false) => {
            eprintln!("error: {NO_CONSENT}");
            eprintln!(
                "hint: pass `--yes` to revoke without a prompt; the sweep goes on without revoking"
            );
            Consent::Impossible
        }
    };

    // Before any work: a report folder we cannot append to safely stops here.
    let mut audit = Audit::open_no_follow(
        &dir.join(AUDIT_FILE),
        consent != Consent::Given && consent != Consent::Ask,
    )?;

    // Discover and shard.
    let mut discovery_problems = Vec::new();
    let mut skipped_links = Vec::new();
    let found = discover(
        &args.paths,
        args.follow,
        &mut discovery_problems,
        &mut skipped_links,
    );
    for p in &discovery_problems {
        eprintln!("error: {}", sanitize(p));
    }
    const SHOWN_LINKS: usize = 5;
    for link in skipped_links.iter().take(SHOWN_LINKS) {
        eprintln!("note: {}", sanitize(link));
    }
    if skipped_links.len() > SHOWN_LINKS {
        eprintln!(
            "note: and {} more symbolic link(s) not followed",
            skipped_links.len() - SHOWN_LINKS
        );
    }
    let total = found.len();
    let mine: Vec<FoundRepo> = found
        .into_iter()
        .filter(|r| shard.is_none_or(|s| s.takes(&r.rel)))
        .collect();
    match shard {
        Some(s) => eprintln!(
            "found {total} git repositor{}; shard {s} takes {}",
            if total == 1 { "y" } else { "ies" },
            mine.len()
        ),
        None => eprintln!(
            "found {total} git repositor{}",
            if total == 1 { "y" } else { "ies" }
        ),
    }

    // Scan.
    let mut secrets: HashMap<String, Secret> = HashMap::new();
    let progress = Progress::new(mine.len());
    for (i, repo) in mine.iter().enumerate() {
        // Taken before the scan: commits made meanwhile move it again.
        let tips = ref_tips(&repo.path, args.all_objects);
        match state.repos.get(&repo.name) {
            Some(done) if done.reusable(tips.as_deref()) => {
                let text = format!(
                    "{} findings (scanned in an earlier run; refs unchanged)",
                    done.findings.len()
                );
                progress.done(i, &repo.name, &text);
                continue;
            }
            Some(done) if !done.incomplete => progress.message(&format!(
                "{}: its refs moved since an earlier run (or were not recorded): scanning it again",
                repo.name
            )),
            _ => {}
        }
        progress.start(&repo.name);
        let mut record = scan_repo(
            repo,
            &args,
            &Matchers {
                rules: &rules,
                config: &config,
                scanner: &scanner,
                linter: linter.as_ref(),
            },
            &progress,
            &mut secrets,
        );
        record.tips = tips;
        for f in &record.findings {
            state.add_key(f);
        }
        let text = if record.incomplete {
            format!("{} findings, INCOMPLETE", record.findings.len())
        } else {
            format!("{} findings", record.findings.len())
        };
        state.repos.insert(repo.name.clone(), record);
        state.save(dir)?;
        progress.done(i, &repo.name, &text);
    }
    progress.finish();

    // Keys recorded by an earlier run: read them back from their blobs.
    let missing: Vec<String> = state
        .keys
        .keys()
        .filter(|sha| !secrets.contains_key(*sha))
        .cloned()
        .collect();
    for sha in missing {
        if let Some(secret) = state.recover_key(&sha, &scanner) {
            secrets.insert(sha, secret);
        }
    }

    // Verify each distinct key once.
    let env = ApiEnv::from_env();
    let client = client(&args.api.options()?, &env)?;
    let jobs: Vec<Job> = state
        .keys
        .values()
        .filter_map(|k| {
            secrets.get(&k.secret_sha256).map(|secret| Job {
                secret: secret.clone(),
                base: base_for(&rules, &k.rule_id, &env),
            })
        })
        .collect();
    if !jobs.is_empty() {
        eprintln!("verifying {} distinct key(s)", jobs.len());
    }
    let results = Verifier::new(&client, args.api.verify_concurrency).verify_all(jobs);

    // Decide per key; revocations are collected and run after consent.
    let mut revoker = Revoker::new(&client, env.admin_key.as_ref());
    let mut planned: Vec<(String, String, Credential, Result<BaseUrl, String>)> = Vec::new();
    let mut stopped = false;
    let shas: Vec<String> = state.keys.keys().cloned().collect();
    for sha in &shas {
        let secret = secrets.get(sha);
        let checked = match (secret, results.get(sha)) {
            (Some(_), Some(c)) => c.clone(),
            (Some(_), None) => Checked::unknown("not verified"),
            (None, _) => Checked::unknown(
                "the key could not be read back from the repositories it was found in",
            ),
        };
        let Some(record) = state.keys.get_mut(sha) else {
            continue;
        };
        record.observe(&checked.verification);
        if let Some(secret) = secret {
            let id = checked.key.as_ref().map(|k| k.id.as_str());
            audit.verified(secret, id, &checked.verification)?;
        }
        if record.action == Action::Discrepancy {
            // An earlier run revoked a different key for this one: never
            // again automatically; a person must look first.
            stopped = true;
            eprintln!(
                "error: {}… had a discrepancy in an earlier run (see `{}`); no further keys will be revoked",
                record.stem,
                AUDIT_FILE
            );
            continue;
        }
        let base = base_for(&rules, &record.rule_id, &env);
        let prefix = rules.get(&record.rule_id).map_or("", |r| r.prefix.as_str());
        match (
            &checked.verification,
            record.action.is_final(),
            record.delete_pending,
        ) {
            // Revoked in an earlier run or by another shard: never a second DELETE.
            (Verification::NotLive, true, _) => {
                if let Some(secret) = secret {
                    audit.record(
                        secret,
                        record.key_id.as_deref(),
                        AuditAction::Reverify,
                        None,
                        "revoked in an earlier run; confirmed 401, no DELETE sent",
                    )?;
                }
            }
            (Verification::Live { .. }, true, _) => {
                record.action = Action::Discrepancy;
                record.detail = format!(
                    "DISCREPANCY: recorded as revoked (id `{}`) but the key is LIVE: a different key was revoked",
                    record.key_id.as_deref().unwrap_or("?")
                );
                stopped = true;
                eprintln!(
                    "error: {}… is STILL LIVE although an earlier run revoked key id `{}`; no further keys will be revoked",
                    record.stem,
                    sanitize(record.key_id.as_deref().unwrap_or("?"))
                );
            }
            (_, true, _) => {}
            // A DELETE was sent by a run that died before recording the answer.
            (Verification::NotLive, false, true) => {
                record.action = Action::Revoked;
                record.delete_pending = false;
                record.detail =
                    "revoked by an interrupted run (DELETE sent); confirmed 401 on resume".into();
                if let Some(secret) = secret {
                    audit.record(
                        secret,
                        record.key_id.as_deref(),
                        AuditAction::Reverify,
                        None,
                        &record.detail,
                    )?;
                }
            }
            (Verification::NotLive, false, false) => {
                record.action = Action::NotLive;
                record.detail = "not live (401): already revoked (by another shard, an earlier \
                                 run or someone else) or never valid; nothing to do"
                    .into();
            }
            (Verification::Unknown { reason }, false, _) => {
                record.action = Action::LeftAloneUnknown;
                record.detail = format!(
                    "verification gave no answer ({reason}); left alone, never revoked on a guess: check again or revoke in the Misar dashboard"
                );
            }
            (Verification::Unverified, false, _) => {
                record.action = Action::LeftAloneUnknown;
                record.detail = "not verified; left alone".into();
            }
            (Verification::Live { .. }, false, _) => {
                let Some(secret) = secret else { continue };
                if consent == Consent::NotAsked {
                    record.action = Action::None;
                    record.detail = "live: not revoked (run with `--revoke`)".into();
                    continue;
                }
                let listing = revoker.listing(&checked, &base);
                match plan(secret, prefix, &checked.verification, listing) {
                    RevocationStep::Skip { reason } => {
                        record.action = Action::NotLive;
                        record.detail = reason;
                    }
                    RevocationStep::Refuse { reason } => {
                        audit.record(secret, None, AuditAction::Refuse, None, &reason)?;
                        record.action = Action::Refused;
                        record.detail = format!("refused: {reason}");
                    }
                    RevocationStep::Revoke { id, credential, .. } => {
                        record.key_id = Some(id.clone());
                        if consent == Consent::Impossible {
                            audit.record(
                                secret,
                                Some(&id),
                                AuditAction::Plan,
                                Some(&credential),
                                &format!(
                                    "would revoke with {}; not confirmed",
                                    credential.describe()
                                ),
                            )?;
                            record.action = Action::NotConfirmed;
                            record.detail = format!(
                                "live; would revoke id `{id}` with {}, but {NO_CONSENT}",
                                credential.describe()
                            );
                        } else {
                            planned.push((sha.clone(), id, credential, base));
                        }
                    }
                }
            }
        }
    }
    // Keys resolving to one list entry, or to an entry this sweep already
    // revoked for another key: refused, never a second DELETE for one id.
    let planned_deletes: Vec<PlannedDelete> = planned
        .iter()
        .map(|(sha, id, _, base)| PlannedDelete {
            sha: sha.clone(),
            base: base.as_ref().map(ToString::to_string).unwrap_or_default(),
            id: id.clone(),
        })
        .collect();
    let conflicts = state.conflicting_deletes(&planned_deletes, |k| {
        base_for(&rules, &k.rule_id, &env)
            .ok()
            .map(|b| b.to_string())
    });
    if !conflicts.is_empty() {
        planned.retain(|(sha, ..)| !conflicts.contains_key(sha));
        for (sha, reason) in &conflicts {
            if let Some(secret) = secrets.get(sha) {
                audit.record(secret, None, AuditAction::Refuse, None, reason)?;
            }
            if let Some(record) = state.keys.get_mut(sha) {
                record.action = Action::Refused;
                record.detail = format!("refused: {reason}");
                record.key_id = None;
            }
        }
    }
    state.save(dir)?;

    // If the admin key itself leaked, revoke it last: the others may need it.
    if let Some(admin) = &env.admin_key {
        planned.sort_by_key(|(sha, ..)| sha == admin.sha256());
    }
    let mut go = !planned.is_empty();
    if go && consent == Consent::Ask && !stopped {
        go = ask(&planned, &state)?;
        if !go {
            audit_declined(&planned, &mut state, &secrets, &mut audit)?;
        }
    }
    if stopped {
        revoker.stop();
    }
    let mut revocations = 0;
    for (sha, id, credential, base) in planned.into_iter().filter(|_| go) {
        let Some(secret) = secrets.get(&sha) else {
            continue;
        };
        let base = base.map_err(|reason| anyhow::anyhow!("{reason}"))?;
        // Record the intent first: if this run dies after the DELETE, the
        // next one re-verifies instead of sending another.
        let attempt = revoker.revoke(secret, &base, &id, &credential, &mut audit, || {
            if let Some(record) = state.keys.get_mut(&sha) {
                record.delete_pending = true;
                record.shard = shard.map(|s| s.to_string());
            }
            state.save(dir)
        })?;
        let executed = match attempt {
            Attempt::Sent(executed) => executed,
            Attempt::EntryTaken { reason } => {
                if let Some(record) = state.keys.get_mut(&sha) {
                    record.action = Action::Refused;
                    record.detail = format!("refused: {reason}");
                    record.key_id = None;
                }
                continue;
            }
            Attempt::NotAttempted => {
                if let Some(record) = state.keys.get_mut(&sha) {
                    record.action = Action::Refused;
                    record.detail = format!("refused: {NOT_ATTEMPTED}");
                }
                continue;
            }
        };
        if let Some(record) = state.keys.get_mut(&sha) {
            record.delete_pending = false;
            record.status_after = Some(KeyStatus::of(&executed.after));
            record.detail = executed.describe();
            record.action = match executed.confirmation {
                Confirmation::Discrepancy => Action::Discrepancy,
                Confirmation::Revoked => Action::Revoked,
                Confirmation::AlreadyRevoked => Action::AlreadyRevoked,
                _ => Action::Failed,
            };
        }
        state.save(dir)?;
        revocations += 1;
        if executed.discrepancy() {
            eprintln!(
                "error: {} is STILL LIVE after revoking key id `{}`: a different key was revoked. \
                 Stopping: no further keys will be revoked.",
                secret.redacted(),
                sanitize(&id)
            );
        } else {
            eprintln!("{}: {}", secret.redacted(), sanitize(&executed.describe()));
        }
        if args.stop_after_revocations == Some(revocations) {
            eprintln!(
                "stopping abruptly after {revocations} revocation(s) (--stop-after-revocations)"
            );
            std::process::exit(3);
        }
    }

    let incomplete = !discovery_problems.is_empty();
    write_reports(
        dir,
        &state,
        &rules,
        &scanner,
        incomplete || state.repos.values().any(|r| r.incomplete),
    )?;
    print_summary(&state);
    eprintln!("reports written to `{}`", dir.display());
    if consent == Consent::Impossible
        && state
            .keys
            .values()
            .any(|k| k.action == Action::NotConfirmed)
    {
        eprintln!("error: {NO_CONSENT}");
    }
    Ok(exit_outcome(&state, incomplete))
}

/// The exit code of a sweep (and of `report merge`) from its state: see the module docs.
pub fn exit_outcome(state: &SweepState, incomplete: bool) -> Outcome {
    let verdict = state.verdict(incomplete);
    Outcome {
        findings: verdict.live_left,
        incomplete: verdict.needs_person,
        ..Outcome::default()
    }
}

/// What every repository is scanned with.
#[derive(Clone, Copy)]
struct Matchers<'a> {
    rules: &'a crate::rules::RuleSet,
    config: &'a RepoConfig,
    scanner: &'a Scanner,
    linter: Option<&'a crate::lint::ContentLinter>,
}

/// Scan one repository's history; its findings as redacted JSON objects.
fn scan_repo(
    repo: &FoundRepo,
    args: &SweepArgs,
    matchers: &Matchers<'_>,
    progress: &Progress,
    secrets: &mut HashMap<String, Secret>,
) -> RepoRecord {
    let Matchers {
        rules,
        config,
        scanner,
        linter,
    } = *matchers;
    let messages = Arc::new(Mutex::new(Vec::<String>::new()));
    let sink_messages = Arc::clone(&messages);
    let bar = progress.bar.clone();
    let name = repo.name.clone();
    let problems = Problems::new(Box::new(move |kind, message| {
        let label = match kind {
            ProblemKind::Warning => "warning",
            ProblemKind::Unread => "error",
        };
        let line = format!("{label}: {}: {}", sanitize(&name), sanitize(message));
        match &bar {
            Some(bar) => bar.println(&line),
            None => eprintln!("{line}"),
        }
        if kind == ProblemKind::Unread {
            sink_messages
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .push(message.to_string());
        }
    }));
    let ctx = ScanContext {
        scanner,
        rules,
        config,
        redact: true,
        archives: !args.no_archives,
        archive_limit: args.archive_limit << 20,
        problems: &problems,
        linter,
    };
    let opts = HistoryOptions {
        all_occurrences: false,
        all_objects: args.all_objects,
        threads: args.threads,
    };
    let mut record = RepoRecord {
        rel: repo.rel.clone(),
        path: repo
            .path
            .canonicalize()
            .unwrap_or_else(|_| repo.path.clone()),
        bare: repo.bare,
        ..RepoRecord::default()
    };
    match scan_history(&repo.path, &opts, &ctx) {
        Ok((mut findings, _stats)) => {
            findings.retain(|f| rules.lint(&f.rule_id).is_none());
            sort_and_dedup(&mut findings);
            for f in &findings {
                secrets
                    .entry(f.secret.sha256().to_string())
                    .or_insert_with(|| f.secret.clone());
                match serde_json::to_value(JsonFinding::new(f, true)) {
                    Ok(mut value) => {
                        if let Some(obj) = value.as_object_mut() {
                            obj.insert("repo".into(), serde_json::json!(repo.name));
                        }
                        record.findings.push(value);
                    }
                    Err(e) => record
                        .problems
                        .push(format!("cannot record a finding: {e}")),
                }
            }
        }
        Err(e) => {
            let text = format!("{e:#}");
            progress.message(&format!("error: {}: {text}", repo.name));
            record.problems.push(text);
            record.incomplete = true;
        }
    }
    if problems.incomplete() {
        record.incomplete = true;
    }
    // History cut off at a shallow boundary was not read: incomplete.
    if let Some(reason) = shallow_reason(&repo.path) {
        progress.message(&format!("error: {}: {reason}", repo.name));
        record.problems.push(reason);
        record.incomplete = true;
    }
    record.problems.extend(
        messages
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .drain(..),
    );
    record
}

/// Ask on the terminal before revoking.
fn ask(
    planned: &[(String, String, Credential, Result<BaseUrl, String>)],
    state: &SweepState,
) -> Result<bool> {
    eprintln!("about to revoke {} live key(s):", planned.len());
    for (sha, id, credential, _) in planned {
        let stem = state.keys.get(sha).map_or("", |k| k.stem.as_str());
        eprintln!(
            "  {stem}…  id `{}` with {}",
            sanitize(id),
            credential.describe()
        );
    }
    eprint!("revoke them now? [y/N] ");
    std::io::stderr().flush()?;
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    Ok(matches!(answer.trim(), "y" | "Y" | "yes" | "YES" | "Yes"))
}

fn audit_declined(
    planned: &[(String, String, Credential, Result<BaseUrl, String>)],
    state: &mut SweepState,
    secrets: &HashMap<String, Secret>,
    audit: &mut Audit,
) -> Result<()> {
    eprintln!("not revoking: the confirmation was declined");
    for (sha, id, credential, _) in planned {
        if let Some(secret) = secrets.get(sha) {
            audit.record(
                secret,
                Some(id),
                AuditAction::Plan,
                Some(credential),
                "declined at the prompt",
            )?;
        }
        if let Some(record) = state.keys.get_mut(sha) {
            record.action = Action::NotConfirmed;
            record.detail = format!(
                "live; would revoke id `{id}` with {}, but the confirmation was declined",
                credential.describe()
            );
        }
    }
    Ok(())
}

/// One line per key on standard output.
fn print_summary(state: &SweepState) {
    let mut out = std::io::stdout().lock();
    for v in crate::report::sweep::key_views(state) {
        let r = v.record;
        let status = |s: &Option<KeyStatus>| {
            s.as_ref()
                .map_or("unverified".to_string(), KeyStatus::describe)
        };
        let _ = writeln!(
            out,
            "{}  {}  sha256 {}  before: {}  after: {}  action: {}  ({} location(s), first {})",
            v.key,
            r.product,
            crate::secret::clip(&r.secret_sha256, 16),
            status(&r.status_before),
            status(&r.status_after),
            r.action.as_str(),
            v.locations.len(),
            v.first().map_or(String::new(), |p| sanitize(&p.describe())),
        );
        if r.action != Action::Revoked && !r.detail.is_empty() {
            let _ = writeln!(out, "  {}", sanitize(&r.detail));
        }
    }
}
