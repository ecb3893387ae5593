//! The sweep (SPEC §3 `misar-scan sweep PATH…`) as a library function:
//! [`run`] takes plain [`SweepOptions`] and a small terminal interface
//! ([`SweepUi`]: progress, messages, the one prompt) and returns the final
//! state ([`SweepResult`]).
//!
//! In order: load the state of an earlier run from the report folder (or
//! start one); discover every git repository under the paths
//! ([`discover`]) and take this run's shard; scan each one's full history
//! (as `scan --git`), skipping those scanned by an earlier run whose refs
//! have not moved ([`ref_tips`]); read back from their blobs the keys an
//! earlier run recorded; verify each distinct key once; [`decide`] what to do
//! about each; refuse `DELETE`s that would hit one entry for two keys
//! ([`SweepState::conflicting_deletes`]); ask once on a terminal; revoke
//! through the one executor ([`Revoker`]: `DELETE` once, re-verify, audit
//! log); write the reports. The state is saved atomically after each
//! repository and around each `DELETE` (its intent first), so a sweep killed
//! at any point resumes and never sends a second `DELETE` for a key.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use anyhow::{bail, Context, Result};

use super::decide::{decide, recorded_after, Consent, Decision, Unconfirmed, NO_CONSENT};
use super::discover::{discover, ref_tips, shallow_reason, FoundRepo, Shard};
use super::state::{KeyStatus, PlannedDelete, RepoRecord, SweepFinding, SweepState, AUDIT_FILE};
use crate::api::BaseUrl;
use crate::config::{load_rules, ApiEnv, RepoConfig};
use crate::engine::Scanner;
use crate::finding::sort_and_dedup;
use crate::finding::FindingRecord;
use crate::report::sweep::write_reports;
use crate::revoke::{plan, Attempt, Audit, AuditAction, Credential, RevocationStep, Revoker};
use crate::rules::RuleSet;
use crate::secret::Secret;
use crate::source::git::history::{scan_history, HistoryOptions};
use crate::source::{ProblemKind, ProblemSink, Problems, ScanContext};
use crate::verify::{base_for, client, ApiOptions, Checked, Job, Verifier};

/// What to sweep and how.
#[derive(Debug, Clone)]
pub struct SweepOptions {
    /// Folders to search for git repositories.
    pub paths: Vec<PathBuf>,
    /// The report folder: reports, audit log and resumable state.
    pub report_dir: PathBuf,
    /// Whether and how revocation is allowed.
    pub consent: Consent,
    /// Take only this shard of the repositories found.
    pub shard: Option<Shard>,
    /// Follow symbolic links to folders (never out of a path).
    pub follow: bool,
    /// Also scan objects no ref reaches.
    pub all_objects: bool,
    /// Extra rules from every `*.toml` in this folder.
    pub rules: Option<PathBuf>,
    /// Plain keys only.
    pub no_decode: bool,
    /// Do not look inside archives.
    pub no_archives: bool,
    /// Decompressed bytes read from one archive at most, in MiB.
    pub archive_limit_mib: u64,
    /// Worker threads per repository scan (0: one per core).
    pub threads: usize,
    /// Test hook: stop right after the Nth revocation has been recorded in
    /// the state, writing no reports, as a kill would ([`SweepResult::stopped`]).
    pub stop_after_revocations: Option<usize>,
    /// Rotate (replace, deliver, then revoke) instead of revoking
    /// (`--rotate`); the same consent applies.
    pub rotate: Option<SweepRotation>,
    /// How to reach the API.
    pub api: ApiOptions,
}

/// How `sweep --rotate` replaces keys: the sink and the cut-over wait of
/// `rotate` (SPEC §6). Its state file is `rotate-state.json` in the report
/// folder; its steps go to the sweep's audit log.
#[derive(Debug, Clone)]
pub struct SweepRotation {
    /// Where replacements go.
    pub sink: crate::rotate::Sink,
    /// Wait this long for a replacement's first use before revoking.
    pub wait_for_use: Option<std::time::Duration>,
    /// Time between two looks at the list while waiting.
    pub poll_interval: std::time::Duration,
}

/// The state file of `sweep --rotate`, in the report folder.
pub const ROTATE_STATE_FILE: &str = "rotate-state.json";

/// A revocation waiting for the one prompt (or for `--yes`).
#[derive(Debug, Clone)]
pub struct PlannedRevocation {
    /// The leaked key's SHA-256.
    pub secret_sha256: String,
    /// Its stem.
    pub stem: String,
    /// The list entry to delete.
    pub id: String,
    /// Who authenticates.
    pub credential: Credential,
    base: Result<BaseUrl, String>,
}

/// The terminal side of a sweep, implemented by `cli/sweep.rs`.
pub trait SweepUi {
    /// A line for the person running the sweep (`error: …`, `note: …`, what
    /// is going on). Not sanitized yet.
    fn say(&self, line: &str);
    /// The scan of `total` repositories begins.
    fn scan_started(&self, total: usize);
    /// The `i`th repository (from 0), `name`, is being scanned.
    fn scanning(&self, i: usize, name: &str);
    /// The `i`th repository of `total` is done; `summary` says what it held.
    fn scanned(&self, i: usize, total: usize, name: &str, summary: &str);
    /// The scan is over.
    fn scan_finished(&self);
    /// Where the problems met while scanning the repository `name` go, as
    /// they happen (from the scan's threads).
    fn problems(&self, name: &str) -> ProblemSink;
    /// Ask once before the first `DELETE` (with [`Consent::Ask`]): `true` to go ahead.
    fn confirm(&self, planned: &[PlannedRevocation]) -> Result<bool>;
}

/// What a sweep left.
#[derive(Debug, Clone)]
pub struct SweepResult {
    /// The final state (also in the report folder).
    pub state: SweepState,
    /// Something outside the repositories could not be read (a path given).
    pub incomplete: bool,
    /// Stopped by [`SweepOptions::stop_after_revocations`]: no reports written.
    pub stopped: bool,
    /// Live keys were not revoked for want of `--yes` and of a terminal.
    pub unconfirmed: bool,
}

impl SweepResult {
    /// What the sweep leaves to do, for the exit code.
    pub fn verdict(&self) -> super::SweepVerdict {
        self.state.verdict(self.incomplete)
    }
}

/// What every repository is scanned with.
struct Matchers<'a> {
    rules: &'a RuleSet,
    config: &'a RepoConfig,
    scanner: &'a Scanner,
    linter: Option<&'a crate::engine::content::ContentLinter>,
}

/// Run a sweep: see the module docs.
pub fn run(opts: &SweepOptions, ui: &dyn SweepUi) -> Result<SweepResult> {
    let config = RepoConfig::empty();
    let rules = load_rules(opts.rules.as_deref(), &config)?;
    let scanner = Scanner::with_decoding(&rules, &[], !opts.no_decode);
    // The webhook lints run so that what they match (a hard-coded signing
    // secret beside a key) is redacted in key snippets; their own findings
    // are not part of a sweep.
    let linter = crate::engine::content::ContentLinter::new(&rules);
    let dir = &opts.report_dir;
    std::fs::create_dir_all(dir)
        .with_context(|| format!("failed to create the report folder `{}`", dir.display()))?;
    let mut state = open_state(dir, opts.shard, ui)?;
    state.runs += 1;
    state.save(dir)?;
    if opts.consent == Consent::Impossible {
        ui.say(&format!("error: {NO_CONSENT}"));
        ui.say("hint: pass `--yes` to revoke without a prompt; the sweep goes on without revoking");
    }
    // Before any work: a report folder we cannot append to safely stops here.
    let mut audit = Audit::open_no_follow(&dir.join(AUDIT_FILE), !opts.consent.may_revoke())?;

    let (mine, incomplete) = discover_shard(opts, ui);
    let matchers = Matchers {
        rules: &rules,
        config: &config,
        scanner: &scanner,
        linter: linter.as_ref(),
    };
    let secrets = scan_all(opts, &mine, &matchers, &mut state, ui)?;

    // Verify each distinct key once.
    let env = ApiEnv::from_env();
    let client = client(&opts.api, &env)?;
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
        ui.say(&format!("verifying {} distinct key(s)", jobs.len()));
    }
    let results = Verifier::new(&client, opts.api.concurrency).verify_all(jobs);

    // Decide per key; revocations are collected and run after consent.
    let mut revoker = Revoker::new(&client, env.admin_key.as_ref());
    let mut planned: Vec<PlannedRevocation> = Vec::new();
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
        let first_exposed = state.first_exposed(sha);
        let Some(record) = state.keys.get_mut(sha) else {
            continue;
        };
        record.observe(&checked.verification);
        if let Some(info) = &checked.key {
            record.last_used_at = info.last_used_at.clone();
            record.usage_known = true;
        }
        // The persistence check: a live key holding `keys:manage` could
        // have minted keys since it was first exposed.
        if let (
            crate::finding::Verification::Live {
                can_manage_keys: true,
            },
            Some(entries),
            Some(since),
        ) = (
            &checked.verification,
            &checked.entries,
            first_exposed
                .as_deref()
                .and_then(|d| crate::timestamp::Timestamp::parse_rfc3339(d).ok()),
        ) {
            let own = checked.key.as_ref().map(|k| k.id.as_str());
            record.created_since_exposure = super::exposure::created_since(entries, since, own);
        }
        if let Some(secret) = secret {
            let id = checked.key.as_ref().map(|k| k.id.as_str());
            audit.verified(secret, id, &checked.verification)?;
        }
        let base = base_for(&rules, &record.rule_id, &env);
        let prefix = rules.get(&record.rule_id).map_or("", |r| r.prefix.as_str());
        let decision = decide(record, &checked.verification, opts.consent, || {
            match secret {
                Some(secret) => plan(
                    secret,
                    prefix,
                    &checked.verification,
                    revoker.listing(&checked, &base),
                ),
                // Not read back: verified as unknown, never planned.
                None => RevocationStep::Refuse {
                    reason: "the key could not be read back".into(),
                },
            }
        });
        // The admin list fetched to plan a key without `keys:manage` has its
        // entry's `last_used_at` too (the exposure window).
        if !record.usage_known {
            if let (Some(secret), Ok(b)) = (secret, &base) {
                if let Some(e) = revoker.listed_entry(b, secret) {
                    record.last_used_at = e.last_used_at;
                    record.usage_known = true;
                }
            }
        }
        if let Some((action, detail)) = decision.recorded_as(record) {
            record.action = action;
            record.detail = detail;
        }
        if decision.stops_revoking() {
            revoker.stop();
        }
        match decision {
            Decision::EarlierDiscrepancy => ui.say(&format!(
                "error: {}… had a discrepancy in an earlier run (see `{AUDIT_FILE}`); \
                 no further keys will be revoked",
                record.stem
            )),
            Decision::StillLive => ui.say(&format!(
                "error: {}… is STILL LIVE although an earlier run revoked key id `{}`; \
                 no further keys will be revoked",
                record.stem,
                record.key_id.as_deref().unwrap_or("?")
            )),
            Decision::ConfirmedRevoked => {
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
            Decision::ResumedDelete => {
                record.delete_pending = false;
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
            Decision::Refused { reason } => {
                if let Some(secret) = secret {
                    audit.record(secret, None, AuditAction::Refuse, None, &reason)?;
                }
            }
            Decision::RevokeNow { id, credential } | Decision::Ask { id, credential } => {
                record.key_id = Some(id.clone());
                planned.push(PlannedRevocation {
                    secret_sha256: sha.clone(),
                    stem: record.stem.clone(),
                    id,
                    credential,
                    base,
                });
            }
            Decision::NotConfirmed { id, credential, .. } => {
                if let Some(secret) = secret {
                    audit.record(
                        secret,
                        Some(&id),
                        AuditAction::Plan,
                        Some(&credential),
                        &format!("would revoke with {}; not confirmed", credential.describe()),
                    )?;
                }
                record.key_id = Some(id);
            }
            Decision::RevokedUnconfirmed
            | Decision::NotLive { .. }
            | Decision::Unknown { .. }
            | Decision::KeepLive => {}
        }
    }
    refuse_conflicts(&mut planned, &mut state, &secrets, &mut audit, &rules, &env)?;
    state.save(dir)?;

    // If the admin key itself leaked, revoke it last: the others may need it.
    if let Some(admin) = &env.admin_key {
        planned.sort_by_key(|p| p.secret_sha256 == admin.sha256());
    }
    let mut go = !planned.is_empty();
    if go && opts.consent == Consent::Ask && !revoker.stopped() {
        go = ui.confirm(&planned)?;
        if !go {
            ui.say("not revoking: the confirmation was declined");
            for p in &planned {
                if let Some(secret) = secrets.get(&p.secret_sha256) {
                    audit.record(
                        secret,
                        Some(&p.id),
                        AuditAction::Plan,
                        Some(&p.credential),
                        "declined at the prompt",
                    )?;
                }
                if let Some(record) = state.keys.get_mut(&p.secret_sha256) {
                    let declined = Decision::NotConfirmed {
                        id: p.id.clone(),
                        credential: p.credential.clone(),
                        why: Unconfirmed::Declined,
                    };
                    if let Some((action, detail)) = declined.recorded_as(record) {
                        record.action = action;
                        record.detail = detail;
                    }
                }
            }
        }
    }

    let rotate_opts = opts.rotate.as_ref().map(|r| crate::rotate::RotateOptions {
        act: true,
        audit_log: dir.join(AUDIT_FILE),
        state_file: dir.join(ROTATE_STATE_FILE),
        sink: r.sink.clone(),
        wait_for_use: r.wait_for_use,
        poll_interval: r.poll_interval,
        api: opts.api.clone(),
    });
    let mut revocations = 0;
    for p in planned.iter().filter(|_| go) {
        let Some(secret) = secrets.get(&p.secret_sha256) else {
            continue;
        };
        if let Some(ro) = &rotate_opts {
            let checked = results
                .get(&p.secret_sha256)
                .cloned()
                .unwrap_or_else(|| Checked::unknown("not verified"));
            let (product, rule_id) = state
                .keys
                .get(&p.secret_sha256)
                .map(|r| (r.product.clone(), r.rule_id.clone()))
                .unwrap_or_default();
            let prefix = rules.get(&rule_id).map_or("", |r| r.prefix.as_str());
            let mut rotator =
                crate::rotate::Rotator::new(&client, env.admin_key.as_ref(), ro, &mut audit)?;
            let rotation = rotator.one(
                secret,
                &product,
                prefix,
                &checked,
                &p.base,
                &mut revoker,
                &mut || {
                    if let Some(record) = state.keys.get_mut(&p.secret_sha256) {
                        record.delete_pending = true;
                        record.shard = opts.shard.map(|s| s.to_string());
                    }
                    state.save(dir)
                },
            )?;
            drop(rotator);
            let Some(record) = state.keys.get_mut(&p.secret_sha256) else {
                continue;
            };
            record.delete_pending = false;
            match &rotation.outcome {
                crate::rotate::RotateOutcome::Rotated { new_id, revoke } => {
                    record.status_after = Some(KeyStatus::of(&revoke.after));
                    (record.action, record.detail) = recorded_after(revoke);
                    record.detail = format!(
                        "rotated: replacement id `{new_id}` delivered; {}",
                        record.detail
                    );
                    record.replaced_by = Some(new_id.clone());
                    if revoke.confirmed() {
                        record.revoked_at = Some(crate::revoke::log::rfc3339_now());
                    }
                    revocations += 1;
                }
                crate::rotate::RotateOutcome::Refused { reason } => {
                    record.action = super::Action::Refused;
                    record.detail = format!("refused: {reason}");
                }
                other => {
                    record.action = super::Action::Failed;
                    record.detail = rotation.describe();
                    if let crate::rotate::RotateOutcome::NotUsedInTime { new_id, .. }
                    | crate::rotate::RotateOutcome::RevokeNotAttempted { new_id, .. } = other
                    {
                        record.replaced_by = Some(new_id.clone());
                    }
                }
            }
            state.save(dir)?;
            ui.say(&format!("{}: {}", secret.redacted(), rotation.describe()));
            if let Some(e) = rotation.discrepancy() {
                ui.say(&format!(
                    "error: {} is STILL LIVE after revoking key id `{}`: a different key was \
                     revoked. Stopping: no further keys will be revoked.",
                    secret.redacted(),
                    e.id
                ));
            }
            if opts.stop_after_revocations == Some(revocations) {
                ui.say(&format!(
                    "stopping abruptly after {revocations} revocation(s) (--stop-after-revocations)"
                ));
                return Ok(SweepResult {
                    state,
                    incomplete,
                    stopped: true,
                    unconfirmed: false,
                });
            }
            continue;
        }
        let base = p
            .base
            .as_ref()
            .map_err(|reason| anyhow::anyhow!("{reason}"))?;
        // Record the intent first: if this run dies after the DELETE, the
        // next one re-verifies instead of sending another.
        let attempt = revoker.revoke(secret, base, &p.id, &p.credential, &mut audit, || {
            if let Some(record) = state.keys.get_mut(&p.secret_sha256) {
                record.delete_pending = true;
                record.shard = opts.shard.map(|s| s.to_string());
            }
            state.save(dir)
        })?;
        let Some(record) = state.keys.get_mut(&p.secret_sha256) else {
            continue;
        };
        let executed = match attempt {
            Attempt::Sent(executed) => executed,
            Attempt::EntryTaken { reason } => {
                record.action = super::Action::Refused;
                record.detail = format!("refused: {reason}");
                record.key_id = None;
                continue;
            }
            Attempt::NotAttempted => {
                record.action = super::Action::Refused;
                record.detail = format!("refused: {}", crate::revoke::NOT_ATTEMPTED);
                continue;
            }
        };
        record.delete_pending = false;
        record.status_after = Some(KeyStatus::of(&executed.after));
        if executed.confirmed() {
            record.revoked_at = Some(crate::revoke::log::rfc3339_now());
        }
        (record.action, record.detail) = recorded_after(&executed);
        state.save(dir)?;
        revocations += 1;
        if executed.discrepancy() {
            ui.say(&format!(
                "error: {} is STILL LIVE after revoking key id `{}`: a different key was \
                 revoked. Stopping: no further keys will be revoked.",
                secret.redacted(),
                p.id
            ));
        } else {
            ui.say(&format!("{}: {}", secret.redacted(), executed.describe()));
        }
        if opts.stop_after_revocations == Some(revocations) {
            ui.say(&format!(
                "stopping abruptly after {revocations} revocation(s) (--stop-after-revocations)"
            ));
            return Ok(SweepResult {
                state,
                incomplete,
                stopped: true,
                unconfirmed: false,
            });
        }
    }

    // What the prompt and the executor changed since the last save.
    state.save(dir)?;
    let notes = write_reports(
        dir,
        &state,
        &rules,
        &scanner,
        incomplete || state.repos.values().any(|r| r.incomplete),
    )?;
    for note in notes {
        ui.say(&format!("note: {note}"));
    }
    let unconfirmed = opts.consent == Consent::Impossible
        && state
            .keys
            .values()
            .any(|k| k.action == super::Action::NotConfirmed);
    Ok(SweepResult {
        state,
        incomplete,
        stopped: false,
        unconfirmed,
    })
}

/// The state in `dir` from an earlier run of the same sweep, or a new one.
fn open_state(dir: &Path, shard: Option<Shard>, ui: &dyn SweepUi) -> Result<SweepState> {
    let Some(state) = SweepState::load(dir)? else {
        return Ok(SweepState::new(shard));
    };
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
    ui.say(&format!(
        "resuming the sweep in `{}`: {} repositories and {} keys recorded",
        dir.display(),
        state.repos.values().filter(|r| !r.incomplete).count(),
        state.keys.len()
    ));
    Ok(state)
}

/// The repositories under the paths that this run's shard takes, and
/// whether some folder could not be read.
fn discover_shard(opts: &SweepOptions, ui: &dyn SweepUi) -> (Vec<FoundRepo>, bool) {
    let mut problems = Vec::new();
    let mut skipped_links = Vec::new();
    let found = discover(&opts.paths, opts.follow, &mut problems, &mut skipped_links);
    for p in &problems {
        ui.say(&format!("error: {p}"));
    }
    const SHOWN_LINKS: usize = 5;
    for link in skipped_links.iter().take(SHOWN_LINKS) {
        ui.say(&format!("note: {link}"));
    }
    if skipped_links.len() > SHOWN_LINKS {
        ui.say(&format!(
            "note: and {} more symbolic link(s) not followed",
            skipped_links.len() - SHOWN_LINKS
        ));
    }
    let total = found.len();
    let mine: Vec<FoundRepo> = found
        .into_iter()
        .filter(|r| opts.shard.is_none_or(|s| s.takes(&r.rel)))
        .collect();
    let repositories = if total == 1 { "y" } else { "ies" };
    ui.say(&match opts.shard {
        Some(s) => format!(
            "found {total} git repositor{repositories}; shard {s} takes {}",
            mine.len()
        ),
        None => format!("found {total} git repositor{repositories}"),
    });
    (mine, !problems.is_empty())
}

/// Scan the repositories not reusable from an earlier run, recording each
/// in `state` (saved after each); every key found or recorded, by SHA-256
/// (those of earlier runs read back from their blobs).
fn scan_all(
    opts: &SweepOptions,
    repos: &[FoundRepo],
    matchers: &Matchers<'_>,
    state: &mut SweepState,
    ui: &dyn SweepUi,
) -> Result<HashMap<String, Secret>> {
    let mut secrets: HashMap<String, Secret> = HashMap::new();
    ui.scan_started(repos.len());
    for (i, repo) in repos.iter().enumerate() {
        // Taken before the scan: commits made meanwhile move it again.
        let tips = ref_tips(&repo.path, opts.all_objects);
        match state.repos.get(&repo.name) {
            Some(done) if done.reusable(tips.as_deref()) => {
                let text = format!(
                    "{} findings (scanned in an earlier run; refs unchanged)",
                    done.findings.len()
                );
                ui.scanned(i, repos.len(), &repo.name, &text);
                continue;
            }
            Some(done) if !done.incomplete => ui.say(&format!(
                "{}: its refs moved since an earlier run (or were not recorded): scanning it again",
                repo.name
            )),
            _ => {}
        }
        ui.scanning(i, &repo.name);
        let mut record = scan_repo(repo, opts, matchers, ui, &mut secrets);
        record.tips = tips;
        for f in &record.findings {
            state.add_key(&f.record);
        }
        let text = if record.incomplete {
            format!("{} findings, INCOMPLETE", record.findings.len())
        } else {
            format!("{} findings", record.findings.len())
        };
        state.repos.insert(repo.name.clone(), record);
        state.save(&opts.report_dir)?;
        ui.scanned(i, repos.len(), &repo.name, &text);
    }
    ui.scan_finished();

    // Keys recorded by an earlier run: read them back from their blobs.
    let missing: Vec<String> = state
        .keys
        .keys()
        .filter(|sha| !secrets.contains_key(*sha))
        .cloned()
        .collect();
    for sha in missing {
        if let Some(secret) = state.recover_key(&sha, matchers.scanner) {
            secrets.insert(sha, secret);
        }
    }
    Ok(secrets)
}

/// Scan one repository's history; its findings as redacted JSON objects.
fn scan_repo(
    repo: &FoundRepo,
    opts: &SweepOptions,
    matchers: &Matchers<'_>,
    ui: &dyn SweepUi,
    secrets: &mut HashMap<String, Secret>,
) -> RepoRecord {
    let unread = Arc::new(Mutex::new(Vec::<String>::new()));
    let sink_unread = Arc::clone(&unread);
    let show = ui.problems(&repo.name);
    let problems = Problems::new(Box::new(move |kind, message| {
        show(kind, message);
        if kind == ProblemKind::Unread {
            sink_unread
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .push(message.to_string());
        }
    }));
    let ctx = ScanContext {
        scanner: matchers.scanner,
        rules: matchers.rules,
        config: matchers.config,
        redact: true,
        archives: !opts.no_archives,
        archive_limit: opts.archive_limit_mib << 20,
        problems: &problems,
        linter: matchers.linter,
    };
    let history = HistoryOptions {
        all_occurrences: false,
        all_objects: opts.all_objects,
        threads: opts.threads,
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
    match scan_history(&repo.path, &history, &ctx) {
        Ok((mut findings, _stats)) => {
            findings.retain(|f| matchers.rules.lint(&f.rule_id).is_none());
            sort_and_dedup(&mut findings);
            for f in &findings {
                secrets
                    .entry(f.secret.sha256().to_string())
                    .or_insert_with(|| f.secret.clone());
                record.findings.push(SweepFinding {
                    record: FindingRecord::new(f, true),
                    repo: repo.name.clone(),
                });
            }
        }
        Err(e) => {
            let text = format!("{e:#}");
            ui.say(&format!("error: {}: {text}", repo.name));
            record.problems.push(text);
            record.incomplete = true;
        }
    }
    if problems.incomplete() {
        record.incomplete = true;
    }
    // History cut off at a shallow boundary was not read: incomplete.
    if let Some(reason) = shallow_reason(&repo.path) {
        ui.say(&format!("error: {}: {reason}", repo.name));
        record.problems.push(reason);
        record.incomplete = true;
    }
    record.problems.extend(
        unread
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .drain(..),
    );
    record
}

/// Refuse the planned `DELETE`s that resolve to one list entry for several
/// keys, or to an entry this sweep already deleted for another key
/// ([`SweepState::conflicting_deletes`]): never a second `DELETE` for one id.
fn refuse_conflicts(
    planned: &mut Vec<PlannedRevocation>,
    state: &mut SweepState,
    secrets: &HashMap<String, Secret>,
    audit: &mut Audit,
    rules: &RuleSet,
    env: &ApiEnv,
) -> Result<()> {
    let deletes: Vec<PlannedDelete> = planned
        .iter()
        .map(|p| PlannedDelete {
            sha: p.secret_sha256.clone(),
            base: p.base.as_ref().map(ToString::to_string).unwrap_or_default(),
            id: p.id.clone(),
        })
        .collect();
    let conflicts = state.conflicting_deletes(&deletes, |k| {
        base_for(rules, &k.rule_id, env).ok().map(|b| b.to_string())
    });
    if conflicts.is_empty() {
        return Ok(());
    }
    planned.retain(|p| !conflicts.contains_key(&p.secret_sha256));
    for (sha, reason) in conflicts {
        if let Some(secret) = secrets.get(&sha) {
            audit.record(secret, None, AuditAction::Refuse, None, &reason)?;
        }
        if let Some(record) = state.keys.get_mut(&sha) {
            if let Some((action, detail)) = (Decision::Refused { reason }).recorded_as(record) {
                record.action = action;
                record.detail = detail;
            }
            record.key_id = None;
        }
    }
    Ok(())
}
