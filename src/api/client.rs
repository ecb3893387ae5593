//! `ApiClient`: the one HTTP client of misar-scan (SPEC §2).
//!
//! - **Base URL policy** ([`BaseUrl`]): the rule's `api_base_url`, overridden
//!   for every product by `MISAR_API_URL`; `https://` always, plain `http://`
//!   only for loopback hosts (127.0.0.0/8, `::1`, `localhost`); no user info,
//!   query or fragment.
//! - **The credential** goes into the `Authorization` header in exactly one
//!   function, `ApiClient::send`, marked sensitive; never into a URL, a log
//!   line or an error (errors here hold statuses and reasons, never keys).
//! - **Timeouts**: connect and per-request timeouts, and a total deadline for
//!   the whole run that every attempt and every wait respects.
//! - **Retries**: one loop, `ApiClient::get_with_retries`: capped
//!   exponential backoff with jitter, waiting at least `Retry-After` (seconds
//!   or an HTTP-date; one past the deadline, or too large to count, ends the
//!   retries). The caller's judge says which answers are final; everything
//!   else (transport errors included) is retried until the attempts or the
//!   deadline run out. `DELETE` and `POST` are never retried
//!   ([`ApiClient::delete_key`], [`ApiClient::create_key`]).
//! - **Bodies** are read up to a limit: 64 MiB for a key list (about 400,000
//!   keys), 1 MiB otherwise. A larger answer is an error naming the limit
//!   ([`ApiError::TooLarge`]), never a cut body judged malformed.
//! - **`DELETE` paths** are checked before sending: exactly
//!   `<base>/api/v1/keys/<id>`, the id one percent-encoded segment that
//!   decodes back to it ([`ApiError::UnsafePath`]).

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::io::Read;
use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime};

use reqwest::blocking::Client;
use reqwest::header::{HeaderValue, AUTHORIZATION, CONTENT_TYPE, RETRY_AFTER, USER_AGENT};
use reqwest::{Method, Url};

use crate::secret::Secret;

/// Largest body read from an answer that is not a key list; a captive
/// portal may send megabytes.
const MAX_BODY: u64 = 1 << 20;

/// Largest key list read: about 400,000 keys of ~160 bytes. Bounded, so a
/// hostile server cannot make the run hold gigabytes.
pub const MAX_LIST_BODY: u64 = 64 << 20;

/// Why an API call did not produce an answer the caller can use. Never holds a key.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The base URL does not parse or has parts we refuse (user info, query).
    #[error("invalid API base URL `{url}`: {reason}")]
    InvalidUrl {
        /// The URL, without user info.
        url: String,
        /// What is wrong.
        reason: String,
    },
    /// Plain `http://` to a host that is not loopback.
    #[error("refusing plain http:// to `{host}`: keys may only travel over https:// (http:// is allowed for loopback addresses only)")]
    InsecureUrl {
        /// The host.
        host: String,
    },
    /// No answer within the per-request timeout.
    #[error("timed out after {0:.1} s")]
    Timeout(f64),
    /// The connection could not be made (refused, DNS, TLS handshake).
    #[error("could not connect: {0}")]
    Connect(String),
    /// The connection broke (dropped, reset, unreadable answer).
    #[error("connection failed: {0}")]
    Transport(String),
    /// The run's total deadline passed.
    #[error("the deadline of {0} s for API calls was reached")]
    Deadline(u64),
    /// The answer's body is larger than the limit for its call: it was not
    /// read in full, so it is not judged (not retried: it would be as large again).
    #[error("{what} larger than {} MiB: cut off, not judged", limit >> 20)]
    TooLarge {
        /// Which answer (`list answer`, `DELETE answer`).
        what: &'static str,
        /// The limit, in bytes.
        limit: u64,
    },
    /// A `DELETE` whose URL would not be `<base>/api/v1/keys/<id>`: not sent.
    #[error("refusing to send a DELETE to `{path}`: the key id does not make exactly one path segment under `/api/v1/keys`")]
    UnsafePath {
        /// The path it would have gone to (control characters escaped).
        path: String,
    },
    /// Every attempt was retryable and none succeeded.
    #[error("no usable answer after {attempts} attempt(s): {last}")]
    GaveUp {
        /// Attempts made.
        attempts: u32,
        /// What the last attempt got.
        last: String,
    },
}

/// Timeouts, retries and the total deadline.
#[derive(Debug, Clone)]
pub struct ClientOptions {
    /// Time allowed to open a connection.
    pub connect_timeout: Duration,
    /// Time allowed for one request, from connecting to the end of the body.
    pub request_timeout: Duration,
    /// Retries after the first attempt.
    pub retries: u32,
    /// Total time for all API calls of the run.
    pub deadline: Duration,
    /// First backoff; doubled on each retry.
    pub backoff_base: Duration,
    /// Largest backoff.
    pub backoff_cap: Duration,
    /// Do not use proxies from the environment (for loopback servers).
    pub no_proxy: bool,
}

impl Default for ClientOptions {
    fn default() -> Self {
        Self {
            connect_timeout: Duration::from_secs(5),
            request_timeout: Duration::from_secs(10),
            retries: 3,
            deadline: Duration::from_secs(300),
            backoff_base: Duration::from_millis(500),
            backoff_cap: Duration::from_secs(8),
            no_proxy: false,
        }
    }
}

/// A validated API base URL (see the module docs for the policy).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct BaseUrl(Url);

impl BaseUrl {
    /// Validate `url` against the base-URL policy.
    pub fn parse(url: &str) -> Result<Self, ApiError> {
        // Only the scheme, host and port are shown: a key may hide in the
        // credentials, the path or the query of a mistyped URL.
        let shown = Url::parse(url.trim())
            .ok()
            .map(|u| {
                let port = u.port().map(|p| format!(":{p}")).unwrap_or_default();
                format!(
                    "{}://{}{port}",
                    u.scheme(),
                    u.host_str().unwrap_or_default()
                )
            })
            .unwrap_or_else(|| "(unparseable)".to_string());
        let invalid = |reason: &str| ApiError::InvalidUrl {
            url: shown.clone(),
            reason: reason.to_string(),
        };
        let parsed = Url::parse(url.trim()).map_err(|e| invalid(&e.to_string()))?;
        if !parsed.username().is_empty() || parsed.password().is_some() {
            return Err(invalid("credentials in the URL are not allowed"));
        }
        if parsed.query().is_some() || parsed.fragment().is_some() {
            return Err(invalid("a query or fragment is not allowed"));
        }
        let host = parsed
            .host_str()
            .ok_or_else(|| invalid("no host"))?
            .to_string();
        match parsed.scheme() {
            "https" => {}
            "http" if is_loopback(&parsed) => {}
            "http" => return Err(ApiError::InsecureUrl { host }),
            _ => return Err(invalid("expected an https:// URL")),
        }
        Ok(Self(parsed))
    }

    /// The base for a product: `MISAR_API_URL` when set, else the rule's URL.
    pub fn resolve(rule_url: &str, env_override: Option<&str>) -> Result<Self, ApiError> {
        Self::parse(env_override.unwrap_or(rule_url))
    }

    /// Whether the host is a loopback address.
    pub fn is_loopback(&self) -> bool {
        is_loopback(&self.0)
    }

    /// Whether `url` is exactly this base's `…/api/v1/keys/<id>`: same origin,
    /// the keys path plus one non-empty segment that is not a dot segment and
    /// percent-decodes back to `id`, no query or fragment. The URL library
    /// drops tabs and newlines and resolves `.` and `..`, so an odd id can
    /// otherwise land on the collection (`DELETE /api/v1/keys`) or above it.
    fn check_key_url(&self, url: &Url, id: &str) -> Result<(), ApiError> {
        let keys = self.keys_url(None);
        let ok = url.origin() == keys.origin()
            && url.query().is_none()
            && url.fragment().is_none()
            && url
                .path()
                .strip_prefix(keys.path())
                .and_then(|rest| rest.strip_prefix('/'))
                .is_some_and(|segment| {
                    !segment.is_empty()
                        && !segment.contains('/')
                        && !matches!(segment, "." | "..")
                        && percent_encoding::percent_decode_str(segment)
                            .decode_utf8()
                            .is_ok_and(|decoded| decoded == id)
                });
        if ok {
            Ok(())
        } else {
            Err(ApiError::UnsafePath {
                path: crate::secret::clip(&url.path().escape_debug().to_string(), 120).to_string(),
            })
        }
    }

    /// `…/api/v1/keys`, then `extra` as one percent-encoded segment.
    fn keys_url(&self, extra: Option<&str>) -> Url {
        let mut url = self.0.clone();
        if let Ok(mut segments) = url.path_segments_mut() {
            segments.pop_if_empty().extend(["api", "v1", "keys"]);
            if let Some(id) = extra {
                segments.push(id);
            }
        }
        url
    }
}

impl std::fmt::Display for BaseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0.as_str().trim_end_matches('/'))
    }
}

/// Whether `url`'s host is a loopback address (127.0.0.0/8, `::1`, `localhost`).
pub(crate) fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        None => false,
    }
}

/// One HTTP answer, read in full (up to its call's limit).
#[derive(Debug, Clone)]
pub struct RawResponse {
    /// HTTP status.
    pub status: u16,
    /// The `Content-Type` header, if any.
    pub content_type: Option<String>,
    /// The `Retry-After` header (seconds, or an HTTP-date as the time left
    /// until it), if any; [`Duration::MAX`] for a number too large to count.
    pub retry_after: Option<Duration>,
    /// The body.
    pub body: Vec<u8>,
}

/// The client. Cheap to share between threads.
#[derive(Debug)]
pub struct ApiClient {
    http: Client,
    opts: ClientOptions,
    deadline: Instant,
    jitter_seed: u64,
    jitter_counter: AtomicU64,
}

impl ApiClient {
    /// A client whose total deadline starts now.
    pub fn new(opts: ClientOptions) -> Result<Self, ApiError> {
        let mut builder = Client::builder()
            .connect_timeout(opts.connect_timeout)
            .timeout(opts.request_timeout)
            .redirect(reqwest::redirect::Policy::none())
            .https_only(false);
        if opts.no_proxy {
            builder = builder.no_proxy();
        }
        let http = builder
            .build()
            .map_err(|e| ApiError::Transport(format!("cannot set up HTTP: {}", error_chain(&e))))?;
        Ok(Self {
            http,
            deadline: Instant::now()
                .checked_add(opts.deadline)
                .ok_or_else(|| ApiError::Transport("the deadline is too far away".into()))?,
            opts,
            jitter_seed: RandomState::new().build_hasher().finish(),
            jitter_counter: AtomicU64::new(0),
        })
    }

    /// The options in force.
    pub fn options(&self) -> &ClientOptions {
        &self.opts
    }

    /// `GET /api/v1/keys` authenticated with `key`, retried until `judge`
    /// accepts an answer (`Ok`) or attempts or the deadline run out. `judge`
    /// returns `Err(reason)` for an answer worth retrying.
    pub fn list_keys<T>(
        &self,
        base: &BaseUrl,
        key: &Secret,
        judge: impl FnMut(&RawResponse) -> Result<T, String>,
    ) -> Result<T, ApiError> {
        self.get_with_retries(base.keys_url(None), key, judge)
    }

    /// `DELETE /api/v1/keys/:id` authenticated with `key`: one attempt, never
    /// retried (a second DELETE after an unclear first one is not blind luck
    /// we want; the caller re-verifies instead).
    pub fn delete_key(
        &self,
        base: &BaseUrl,
        key: &Secret,
        id: &str,
    ) -> Result<RawResponse, ApiError> {
        // Defence in depth: the planner refuses such ids (`revoke::unusable_id`),
        // and whatever gets here still goes to one key's URL or nowhere.
        let url = base.keys_url(Some(id));
        base.check_key_url(&url, id)?;
        let timeout = self.remaining()?.min(self.opts.request_timeout);
        self.send(
            Method::DELETE,
            url,
            key,
            timeout,
            ("DELETE answer", MAX_BODY),
            None,
        )
    }

    /// `POST /api/v1/keys` with `{"name", "scopes"}`, authenticated with
    /// `key`: one attempt, never retried (a second `POST` after an unclear
    /// first one could mint a second key). The answer holds the new key:
    /// the caller parses it ([`crate::api::model::parse_created`]) and keeps
    /// it out of every output.
    pub fn create_key(
        &self,
        base: &BaseUrl,
        key: &Secret,
        name: &str,
        scopes: &[String],
    ) -> Result<RawResponse, ApiError> {
        let body = serde_json::to_vec(&serde_json::json!({ "name": name, "scopes": scopes }))
            .map_err(|e| ApiError::Transport(format!("cannot encode the request: {e}")))?;
        let timeout = self.remaining()?.min(self.opts.request_timeout);
        self.send(
            Method::POST,
            base.keys_url(None),
            key,
            timeout,
            ("POST answer", MAX_BODY),
            Some(body),
        )
    }

    /// The retry loop: the only place that waits between attempts.
    fn get_with_retries<T>(
        &self,
        url: Url,
        key: &Secret,
        mut judge: impl FnMut(&RawResponse) -> Result<T, String>,
    ) -> Result<T, ApiError> {
        let attempts = self.opts.retries + 1;
        let mut last = String::new();
        for attempt in 0..attempts {
            let remaining = match self.remaining() {
                Ok(r) => r,
                Err(e) if attempt == 0 => return Err(e),
                Err(e) => {
                    return Err(ApiError::GaveUp {
                        attempts: attempt,
                        last: format!("{last}; {e}"),
                    })
                }
            };
            let timeout = remaining.min(self.opts.request_timeout);
            let sent = self.send(
                Method::GET,
                url.clone(),
                key,
                timeout,
                ("list answer", MAX_LIST_BODY),
                None,
            );
            let retry_after = match sent {
                // As large again next time: give up now, naming the limit.
                Err(e @ ApiError::TooLarge { .. }) => return Err(e),
                Ok(resp) => match judge(&resp) {
                    Ok(done) => return Ok(done),
                    Err(reason) => {
                        last = reason;
                        resp.retry_after
                    }
                },
                Err(e) => {
                    last = e.to_string();
                    None
                }
            };
            if attempt + 1 == attempts {
                break;
            }
            let wait = self.backoff(attempt).max(retry_after.unwrap_or_default());
            // Saturating: a hostile `Retry-After: 18446744073709551615` (or
            // [`Duration::MAX`] for a number past `u64`, or a date in the year
            // 9999) must not overflow: it is past the deadline, so retrying ends.
            if wait >= self.deadline.saturating_duration_since(Instant::now()) {
                return Err(ApiError::GaveUp {
                    attempts: attempt + 1,
                    last: format!("{last}; the next attempt would pass the deadline"),
                });
            }
            std::thread::sleep(wait);
        }
        Err(ApiError::GaveUp { attempts, last })
    }

    /// Capped exponential backoff with equal jitter: half fixed, half random.
    fn backoff(&self, retry: u32) -> Duration {
        let exp = self
            .opts
            .backoff_base
            .saturating_mul(1u32 << retry.min(16))
            .min(self.opts.backoff_cap);
        let half = exp / 2;
        let n = self.jitter_counter.fetch_add(1, Ordering::Relaxed);
        let mut h = RandomState::new().build_hasher();
        h.write_u64(self.jitter_seed ^ n);
        let nanos = half.as_nanos() as u64;
        half + Duration::from_nanos(if nanos == 0 { 0 } else { h.finish() % nanos })
    }

    fn remaining(&self) -> Result<Duration, ApiError> {
        let left = self.deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            Err(ApiError::Deadline(self.opts.deadline.as_secs()))
        } else {
            Ok(left)
        }
    }

    /// One request. The only function that puts a key on the wire. The body
    /// is read up to `limit` (what the answer is, bytes); past it the answer
    /// is [`ApiError::TooLarge`].
    fn send(
        &self,
        method: Method,
        url: Url,
        key: &Secret,
        timeout: Duration,
        (what, limit): (&'static str, u64),
        body: Option<Vec<u8>>,
    ) -> Result<RawResponse, ApiError> {
        let mut auth =
            HeaderValue::from_str(&format!("Bearer {}", key.expose())).map_err(|_| {
                ApiError::Transport("the key holds characters not allowed in a header".into())
            })?;
        auth.set_sensitive(true);
        let mut request = self
            .http
            .request(method, url)
            .header(AUTHORIZATION, auth)
            .header(
                USER_AGENT,
                concat!("misar-scan/", env!("CARGO_PKG_VERSION")),
            )
            .timeout(timeout);
        if let Some(body) = body {
            request = request
                .header(CONTENT_TYPE, HeaderValue::from_static("application/json"))
                .body(body);
        }
        let resp = request.send().map_err(|e| classify_error(&e, timeout))?;
        let status = resp.status().as_u16();
        let header = |name| {
            resp.headers()
                .get(name)
                .and_then(|v: &HeaderValue| v.to_str().ok())
                .map(str::to_string)
        };
        let content_type = header(CONTENT_TYPE);
        let retry_after =
            header(RETRY_AFTER).and_then(|v| parse_retry_after(&v, SystemTime::now()));
        if resp.content_length().is_some_and(|n| n > limit) {
            return Err(ApiError::TooLarge { what, limit });
        }
        let body = read_capped(resp, limit).map_err(|e| match e {
            Capped::TooLarge => ApiError::TooLarge { what, limit },
            Capped::Io(e) if e.kind() == std::io::ErrorKind::TimedOut => {
                ApiError::Timeout(timeout.as_secs_f64())
            }
            Capped::Io(e) => ApiError::Transport(format!("reading the answer: {e}")),
        })?;
        Ok(RawResponse {
            status,
            content_type,
            retry_after,
            body,
        })
    }
}

/// Why a body could not be read whole.
enum Capped {
    /// More than the limit.
    TooLarge,
    /// The connection failed.
    Io(std::io::Error),
}

/// Read all of `r` if it holds at most `limit` bytes.
fn read_capped(r: impl Read, limit: u64) -> Result<Vec<u8>, Capped> {
    let mut body = Vec::new();
    r.take(limit.saturating_add(1))
        .read_to_end(&mut body)
        .map_err(Capped::Io)?;
    if body.len() as u64 > limit {
        Err(Capped::TooLarge)
    } else {
        Ok(body)
    }
}

/// A `Retry-After` value (RFC 9110 §10.2.3): delay seconds, or an HTTP-date
/// read as the time from `now` until it (zero once past). A number too large
/// for `u64` is [`Duration::MAX`]: past any deadline, so retrying ends rather
/// than the header being ignored. Anything else is ignored (`None`).
fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        return Some(
            value
                .parse::<u64>()
                .map_or(Duration::MAX, Duration::from_secs),
        );
    }
    let when = httpdate::parse_http_date(value).ok()?;
    Some(when.duration_since(now).unwrap_or(Duration::ZERO))
}

/// Name the failure without the URL (it holds no key, but it is noise).
fn classify_error(e: &reqwest::Error, timeout: Duration) -> ApiError {
    if e.is_timeout() {
        ApiError::Timeout(timeout.as_secs_f64())
    } else if e.is_connect() {
        ApiError::Connect(error_chain(e))
    } else {
        ApiError::Transport(error_chain(e))
    }
}

/// The innermost causes of an error, joined; reqwest's own text repeats the URL.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut parts = Vec::new();
    let mut cur = e.source();
    while let Some(s) = cur {
        parts.push(s.to_string());
        cur = s.source();
    }
    if parts.is_empty() {
        e.to_string()
    } else {
        parts.dedup();
        parts.join(": ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_is_refused_unless_loopback() {
        for ok in [
            "https://api.misar.io",
            "http://127.0.0.1:8080",
            "http://127.9.9.9",
            "http://[::1]:9",
            "http://localhost:3000/base/",
        ] {
            assert!(BaseUrl::parse(ok).is_ok(), "{ok}");
        }
        for bad in [
            "http://api.misar.io",
            "http://10.0.0.1",
            "http://[::2]",
            "http://localhost.evil.com",
        ] {
            assert!(
                matches!(BaseUrl::parse(bad), Err(ApiError::InsecureUrl { .. })),
                "{bad}"
            );
        }
        for bad in [
            "ftp://x",
            "https://u:p@api.misar.io",
            "https://api.misar.io/?a=b",
            "not a url",
        ] {
            assert!(
                matches!(BaseUrl::parse(bad), Err(ApiError::InvalidUrl { .. })),
                "{bad}"
            );
        }
    }

    #[test]
    fn invalid_url_errors_hide_credentials() {
        let err =
            BaseUrl::parse("https://user:msk_u8jzPde0IgxLd6GncfBAepfJBd0Kh8oO@x").unwrap_err(); // misar-scan:allow (fake test key)
        assert!(!err.to_string().contains("msk_u8jz"), "{err}");
    }

    #[test]
    fn env_override_wins_over_the_rule() {
        let b = BaseUrl::resolve("https://api.misar.io", Some("http://127.0.0.1:9")).unwrap();
        assert_eq!(b.to_string(), "http://127.0.0.1:9");
    }

    #[test]
    fn keys_url_keeps_a_base_path_and_encodes_the_id() {
        let b = BaseUrl::parse("https://h/misar/").unwrap();
        assert_eq!(b.keys_url(None).as_str(), "https://h/misar/api/v1/keys");
        assert_eq!(
            b.keys_url(Some("a/b c")).as_str(),
            "https://h/misar/api/v1/keys/a%2Fb%20c"
        );
    }

    #[test]
    fn a_delete_goes_to_one_key_url_or_nowhere() {
        let b = BaseUrl::parse("http://127.0.0.1:9/misar").unwrap();
        for id in ["k1", "7", "a/b c", "%2e%2e", "…", "a..b"] {
            let url = b.keys_url(Some(id));
            assert!(b.check_key_url(&url, id).is_ok(), "{id:?} -> {url}");
        }
        // Nothing listens on port 9 of 127.0.0.1: a refusal is not a connect error.
        let client = ApiClient::new(ClientOptions::default()).unwrap();
        let key = Secret::new("msk_u8jzPde0IgxLd6GncfBAepfJBd0Kh8oO"); // misar-scan:allow (fake test key)
        for id in [".", "..", ".\t.", "\t.\n.", "a\nb", "", "\r"] {
            match client.delete_key(&b, &key, id) {
                Err(ApiError::UnsafePath { path }) => {
                    assert!(!path.contains(['\t', '\n', '\r']), "{path}")
                }
                other => panic!("{id:?}: {other:?}"),
            }
        }
    }

    #[test]
    fn retry_after_is_seconds_or_an_http_date() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_767_225_600); // 2026-01-01
        assert_eq!(parse_retry_after(" 5 ", now), Some(Duration::from_secs(5)));
        assert_eq!(
            parse_retry_after("Thu, 01 Jan 2026 00:00:07 GMT", now),
            Some(Duration::from_secs(7))
        );
        assert_eq!(
            parse_retry_after("Wed, 31 Dec 2025 23:00:00 GMT", now),
            Some(Duration::ZERO),
            "a past date means now"
        );
        assert_eq!(
            parse_retry_after("99999999999999999999999999", now),
            Some(Duration::MAX),
            "too large to count is past any deadline, not ignored"
        );
        assert!(
            parse_retry_after("Fri, 31 Dec 9999 23:59:59 GMT", now).unwrap()
                > Duration::from_secs(100 * 365 * 86_400)
        );
        for junk in ["", "-1", "1.5", "soon", "Thu, 32 Jan 2026 00:00:07 GMT"] {
            assert_eq!(parse_retry_after(junk, now), None, "{junk:?}");
        }
    }

    #[test]
    fn a_body_over_the_limit_is_too_large_not_cut() {
        assert_eq!(read_capped(&b"12345"[..], 5).ok(), Some(b"12345".to_vec()));
        assert!(matches!(
            read_capped(&b"123456"[..], 5),
            Err(Capped::TooLarge)
        ));
        let e = ApiError::TooLarge {
            what: "list answer",
            limit: MAX_LIST_BODY,
        };
        assert_eq!(
            e.to_string(),
            "list answer larger than 64 MiB: cut off, not judged"
        );
    }

    #[test]
    fn backoff_grows_is_capped_and_jittered() {
        let c = ApiClient::new(ClientOptions {
            backoff_base: Duration::from_millis(100),
            backoff_cap: Duration::from_millis(400),
            ..ClientOptions::default()
        })
        .unwrap();
        for retry in 0..10 {
            let exp = Duration::from_millis(100 * (1 << retry.min(2)));
            let b = c.backoff(retry);
            assert!(b >= exp / 2 && b <= exp, "retry {retry}: {b:?}");
        }
    }
}
