//! Live verification (SPEC §2): is a found key live?
//!
//! [`judge`] is the pure mapping from one HTTP answer of `GET /api/v1/keys`
//! to a final answer or a retryable reason:
//!
//! | answer | meaning |
//! |---|---|
//! | `200` + Misar body (`success: true`, a `data` array) | live, holds `keys:manage` |
//! | `403` + Misar error body, code `FORBIDDEN` | live, lacks `keys:manage` |
//! | `401` + Misar error body, code `UNAUTHORIZED` | not live (invalid or revoked) |
//! | anything else (429, 5xx, HTML pages, malformed bodies, other codes) | retried, then unknown |
//!
//! A proxy, WAF or captive portal answers with the same status codes, so the
//! body must be Misar's too: a live key is never called dead, nor a random
//! string live. [`Verifier`] checks each distinct key (by SHA-256) once, with
//! bounded concurrency, and [`apply`] shares each result with all the findings
//! of that key, attaching the key's list entry (`id`, `name`, `scopes`,
//! `last_used_at`) when the list call revealed it.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use crate::api::model::{parse_error_code, parse_list, scrub_entries};
use anyhow::Context;

use crate::api::{ApiClient, BaseUrl, ClientOptions, KeyEntry, RawResponse};
use crate::config::{ApiEnv, ENV_API_URL};
use crate::finding::{Finding, KeyInfo, Verification};
use crate::revoke::matching_entries;
use crate::rules::RuleSet;
use crate::secret::Secret;

/// The default for `--verify-concurrency`.
pub const DEFAULT_CONCURRENCY: usize = 16;

/// A final answer about a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// Live; with `keys:manage` the list came too.
    Live {
        /// The key holds `keys:manage` (200).
        can_manage_keys: bool,
        /// The account's keys (empty without `keys:manage`).
        entries: Vec<KeyEntry>,
    },
    /// 401 UNAUTHORIZED from Misar.
    NotLive,
}

/// Map one answer of `GET /api/v1/keys`: `Ok` is final, `Err` a reason to
/// retry (and, when retries run out, to report unknown).
pub fn judge(resp: &RawResponse) -> Result<Answer, String> {
    match resp.status {
        200 => {
            if let Some(entries) = parse_list(&resp.body) {
                return Ok(Answer::Live {
                    can_manage_keys: true,
                    entries,
                });
            }
        }
        403 if parse_error_code(&resp.body).as_deref() == Some("FORBIDDEN") => {
            return Ok(Answer::Live {
                can_manage_keys: false,
                entries: Vec::new(),
            })
        }
        401 if parse_error_code(&resp.body).as_deref() == Some("UNAUTHORIZED") => {
            return Ok(Answer::NotLive)
        }
        _ => {}
    }
    Err(describe(resp))
}

/// A short, key-free description of an answer that was not final.
pub fn describe(resp: &RawResponse) -> String {
    let status = match resp.status {
        200 => "200 OK",
        401 => "401 Unauthorized",
        403 => "403 Forbidden",
        404 => "404 Not Found",
        429 => "429 Too Many Requests",
        500 => "500 Internal Server Error",
        502 => "502 Bad Gateway",
        503 => "503 Service Unavailable",
        504 => "504 Gateway Timeout",
        _ => "",
    };
    let status = if status.is_empty() {
        format!("HTTP {}", resp.status)
    } else {
        format!("HTTP {status}")
    };
    let looks_html = resp
        .content_type
        .as_deref()
        .is_some_and(|c| c.contains("html"))
        || resp.body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'<');
    let body = if let Some(code) = parse_error_code(&resp.body) {
        format!("Misar error `{}`", sanitize_code(&code))
    } else if looks_html {
        "an HTML page, not Misar's answer (proxy, WAF or captive portal?)".to_string()
    } else if resp.body.is_empty() {
        "an empty body".to_string()
    } else if serde_json::from_slice::<serde_json::Value>(&resp.body).is_err() {
        "a malformed body (not JSON)".to_string()
    } else {
        "a JSON body that is not Misar's answer".to_string()
    };
    let mut out = format!("{status} with {body}");
    if let Some(after) = resp.retry_after {
        out.push_str(&format!(" (Retry-After {} s)", after.as_secs()));
    }
    out
}

/// Error codes come from the network: show only what looks like a code
/// (`[A-Z0-9_]`, at most 40 characters), so a hostile server cannot echo the
/// key (keys start with a lower-case prefix) or control characters into reports.
fn sanitize_code(code: &str) -> String {
    let plain = |b: u8| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_';
    if !code.is_empty() && code.len() <= 40 && code.bytes().all(plain) {
        code.to_string()
    } else {
        "?".to_string()
    }
}

/// The result of verifying one key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checked {
    /// The state for reports.
    pub verification: Verification,
    /// The key's own entry, when the list revealed exactly one.
    pub key: Option<KeyInfo>,
    /// The whole list, when the key holds `keys:manage` (for revocation).
    pub entries: Option<Vec<KeyEntry>>,
}

impl Checked {
    /// Unknown, with a reason.
    pub fn unknown(reason: impl Into<String>) -> Self {
        Self {
            verification: Verification::Unknown {
                reason: reason.into(),
            },
            key: None,
            entries: None,
        }
    }
}

/// Verify one key: one `GET /api/v1/keys` (with retries).
pub fn verify_one(client: &ApiClient, base: &BaseUrl, secret: &Secret) -> Checked {
    match client.list_keys(base, secret, judge) {
        Ok(Answer::NotLive) => Checked {
            verification: Verification::NotLive,
            key: None,
            entries: None,
        },
        Ok(Answer::Live {
            can_manage_keys: false,
            ..
        }) => Checked {
            verification: Verification::Live {
                can_manage_keys: false,
            },
            key: None,
            entries: None,
        },
        Ok(Answer::Live {
            can_manage_keys: true,
            mut entries,
        }) => {
            // What the server says lands in every report, and the list goes on
            // to `revoke` and `sweep` plans: a lying server could echo the key
            // in any field, so the whole list is scrubbed here, once.
            scrub_entries(&mut entries, &[secret.expose()]);
            let key = match matching_entries(secret.expose(), &entries).as_slice() {
                [one] => Some(KeyInfo {
                    id: one.id.clone(),
                    name: one.name.clone(),
                    scopes: one.scopes.clone(),
                    last_used_at: one.last_used_at.clone(),
                }),
                _ => None,
            };
            Checked {
                verification: Verification::Live {
                    can_manage_keys: true,
                },
                key,
                entries: Some(entries),
            }
        }
        Err(e) => Checked::unknown(e.to_string()),
    }
}

/// One key to check and where.
#[derive(Debug, Clone)]
pub struct Job {
    /// The key.
    pub secret: Secret,
    /// Its product's API, or why there is none (an invalid or refused base URL).
    pub base: Result<BaseUrl, String>,
}

/// Checks many keys, each once, at most `concurrency` at a time.
#[derive(Debug)]
pub struct Verifier<'a> {
    client: &'a ApiClient,
    concurrency: usize,
}

impl<'a> Verifier<'a> {
    /// A verifier running at most `concurrency` requests at once (at least 1).
    pub fn new(client: &'a ApiClient, concurrency: usize) -> Self {
        Self {
            client,
            concurrency: concurrency.max(1),
        }
    }

    /// Verify every distinct key (by SHA-256) in `jobs`; results by SHA-256.
    pub fn verify_all(&self, jobs: Vec<Job>) -> HashMap<String, Checked> {
        let mut seen = std::collections::HashSet::new();
        let jobs: Vec<Job> = jobs
            .into_iter()
            .filter(|j| seen.insert(j.secret.sha256().to_string()))
            .collect();
        let next = AtomicUsize::new(0);
        let results = Mutex::new(HashMap::with_capacity(jobs.len()));
        let workers = self.concurrency.min(jobs.len());
        std::thread::scope(|s| {
            for _ in 0..workers {
                s.spawn(|| loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(job) = jobs.get(i) else { break };
                    let checked = match &job.base {
                        Ok(base) => verify_one(self.client, base, &job.secret),
                        Err(reason) => Checked::unknown(reason.clone()),
                    };
                    results
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner)
                        .insert(job.secret.sha256().to_string(), checked);
                });
            }
        });
        results
            .into_inner()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// Give every finding its key's result.
pub fn apply(findings: &mut [Finding], results: &HashMap<String, Checked>) {
    for f in findings {
        if let Some(c) = results.get(f.secret.sha256()) {
            f.verification = c.verification.clone();
            f.key = c.key.clone();
        }
    }
}

/// Counts of each state, for summaries and exit codes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    /// Live keys.
    pub live: usize,
    /// Not live.
    pub not_live: usize,
    /// Unknown.
    pub unknown: usize,
}

impl Tally {
    /// Count distinct keys in `findings` by state.
    pub fn of(findings: &[Finding]) -> Self {
        let mut seen = std::collections::HashSet::new();
        let mut t = Self::default();
        for f in findings.iter().filter(|f| seen.insert(f.secret.sha256())) {
            match f.verification {
                Verification::Live { .. } => t.live += 1,
                Verification::NotLive => t.not_live += 1,
                Verification::Unknown { .. } | Verification::Unverified => t.unknown += 1,
            }
        }
        t
    }
}

impl std::fmt::Display for Tally {
    /// `verification: 1 live, 2 not live, 0 unknown (distinct keys)`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "verification: {} live, {} not live, {} unknown (distinct keys)",
            self.live, self.not_live, self.unknown
        )
    }
}

/// How to reach the API: the client's timeouts and retries, and how many
/// keys to check at once.
#[derive(Debug, Clone)]
pub struct ApiOptions {
    /// Timeouts, retries, deadline (`no_proxy` is decided by [`client`]).
    pub client: ClientOptions,
    /// Keys checked at once.
    pub concurrency: usize,
}

impl Default for ApiOptions {
    fn default() -> Self {
        Self {
            client: ClientOptions::default(),
            concurrency: DEFAULT_CONCURRENCY,
        }
    }
}

/// The API client for `opts` and the environment. Fails when
/// `MISAR_API_URL` is set but refused by the base-URL policy; a loopback
/// override bypasses proxies.
pub fn client(opts: &ApiOptions, env: &ApiEnv) -> anyhow::Result<ApiClient> {
    let override_url = env
        .api_url
        .as_deref()
        .map(|u| BaseUrl::parse(u).with_context(|| format!("invalid `{ENV_API_URL}`")))
        .transpose()?;
    let opts = ClientOptions {
        no_proxy: override_url.as_ref().is_some_and(BaseUrl::is_loopback),
        ..opts.client.clone()
    };
    ApiClient::new(opts).context("failed to set up the HTTP client")
}

/// The API base for a finding's rule (or `MISAR_API_URL`), or why there is none.
pub fn base_for(rules: &RuleSet, rule_id: &str, env: &ApiEnv) -> Result<BaseUrl, String> {
    let rule_url = rules.get(rule_id).map(|r| r.api_base_url.as_str());
    match (env.api_url.as_deref(), rule_url) {
        (None, None) => Err(format!(
            "rule `{rule_id}` is not loaded, so its API is unknown (pass `--rules`)"
        )),
        (over, rule) => BaseUrl::resolve(rule.unwrap_or_default(), over).map_err(|e| e.to_string()),
    }
}

/// Verify the distinct keys of `findings` (those not already unknown).
pub fn verify_with<'a>(
    client: &ApiClient,
    findings: impl Iterator<Item = &'a Finding>,
    rules: &RuleSet,
    env: &ApiEnv,
    concurrency: usize,
) -> HashMap<String, Checked> {
    // Only key findings go to the API: lint findings about a key share its
    // result through `secret_sha256`, and the other lints hold no Misar key.
    let jobs: Vec<Job> = findings
        .filter(|f| rules.lint(&f.rule_id).is_none())
        .filter(|f| f.verification.reason().is_none())
        .map(|f| Job {
            secret: f.secret.clone(),
            base: base_for(rules, &f.rule_id, env),
        })
        .collect();
    if jobs.is_empty() {
        return HashMap::new();
    }
    Verifier::new(client, concurrency).verify_all(jobs)
}

/// Verify every distinct key among `findings` and record the results in
/// them; the tally of distinct keys by state.
pub fn verify_findings(
    findings: &mut [Finding],
    rules: &RuleSet,
    opts: &ApiOptions,
    env: &ApiEnv,
) -> anyhow::Result<Tally> {
    let client = client(opts, env)?;
    let results = verify_with(&client, findings.iter(), rules, env, opts.concurrency);
    apply(findings, &results);
    Ok(Tally::of(findings))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resp(status: u16, body: &str) -> RawResponse {
        RawResponse {
            status,
            content_type: None,
            retry_after: None,
            body: body.as_bytes().to_vec(),
        }
    }

    const LIST: &str = r#"{"success":true,"data":[{"id":"k1","name":"ci","prefix":"msk_u8jz...","scopes":["keys:manage"],"last_used_at":null,"created_at":"2026-01-01T00:00:00Z"}]}"#;

    #[test]
    fn ok_with_misar_list_is_live_with_keys_manage() {
        match judge(&resp(200, LIST)) {
            Ok(Answer::Live {
                can_manage_keys: true,
                entries,
            }) => assert_eq!(entries.len(), 1),
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            judge(&resp(200, r#"{"success":true,"data":[]}"#)),
            Ok(Answer::Live {
                can_manage_keys: true,
                ..
            })
        ));
    }

    #[test]
    fn forbidden_with_misar_body_is_live_without_keys_manage() {
        for body in [
            r#"{"success":false,"error":{"code":"FORBIDDEN","message":"missing scope keys:manage"}}"#,
            r#"{"success":false,"error":"FORBIDDEN"}"#,
            r#"{"success":false,"code":"FORBIDDEN"}"#,
        ] {
            assert_eq!(
                judge(&resp(403, body)),
                Ok(Answer::Live {
                    can_manage_keys: false,
                    entries: vec![]
                })
            );
        }
    }

    #[test]
    fn unauthorized_with_misar_body_is_not_live() {
        assert_eq!(
            judge(&resp(
                401,
                r#"{"success":false,"error":{"code":"UNAUTHORIZED","message":"x"}}"#
            )),
            Ok(Answer::NotLive)
        );
    }

    #[test]
    fn lookalike_answers_are_never_final() {
        let html = "<!doctype html><html><body>Access denied</body></html>";
        for r in [
            resp(403, html),
            resp(200, html),
            resp(401, html),
            resp(200, r#"{"success":true}"#),
            resp(200, r#"{"success":false,"data":[]}"#),
            resp(200, "{not json"),
            resp(403, r#"{"success":false,"error":{"code":"UNAUTHORIZED"}}"#),
            resp(401, r#"{"success":false,"error":{"code":"FORBIDDEN"}}"#),
            resp(401, r#"{"error":{"code":"UNAUTHORIZED"}}"#),
            resp(404, r#"{"success":false,"error":{"code":"NOT_FOUND"}}"#),
            resp(429, r#"{"success":false,"error":{"code":"RATE_LIMITED"}}"#),
            resp(500, ""),
            resp(502, "bad gateway"),
        ] {
            assert!(
                judge(&r).is_err(),
                "{} {:?}",
                r.status,
                String::from_utf8_lossy(&r.body)
            );
        }
    }

    #[test]
    fn reasons_name_what_came_back() {
        let mut r = resp(403, "<html>blocked</html>");
        assert_eq!(describe(&r), "HTTP 403 Forbidden with an HTML page, not Misar's answer (proxy, WAF or captive portal?)");
        r = resp(429, r#"{"success":false,"error":{"code":"RATE_LIMITED"}}"#);
        r.retry_after = Some(std::time::Duration::from_secs(2));
        assert_eq!(
            describe(&r),
            "HTTP 429 Too Many Requests with Misar error `RATE_LIMITED` (Retry-After 2 s)"
        );
        assert_eq!(
            describe(&resp(200, "{oops")),
            "HTTP 200 OK with a malformed body (not JSON)"
        );
        let echo = r#"{"success":false,"code":"msk_u8jzPde0IgxLd6GncfBAepfJBd0Kh8oO"}"#; // misar-scan:allow (fake test key)
        assert_eq!(describe(&resp(418, echo)), "HTTP 418 with Misar error `?`");
        assert_eq!(
            describe(&resp(500, "")),
            "HTTP 500 Internal Server Error with an empty body"
        );
    }
}
