//! A faithful fake of the Misar keys API (SPEC §2) for tests and the benchmark.
//!
//! Listens on `127.0.0.1:0` (std `TcpListener`, one thread per connection,
//! `Connection: close`). Implements `GET/POST/DELETE /api/v1/keys` with
//! scopes, `prefix` = the key's first 8 characters + `...`, accounts (a list
//! shows the caller's account only), `400 VALIDATION_ERROR`, `401
//! UNAUTHORIZED` (missing, unknown or revoked key), `403 FORBIDDEN` (no
//! `keys:manage`), `404 NOT_FOUND`, each with
//! `{"success":false,"error":{"code","message"}}`. Each key has a name,
//! `last_used_at` (`null`: never used) and `created_at`, settable per key.
//!
//! Faults are injected per bearer key ([`Fault`]), once (queued) or always.
//! Every request is recorded with the bearer key's SHA-256 and stem — never
//! the key in clear — and the largest number of requests in flight at once.

use std::collections::{HashMap, VecDeque};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use super::keys::{fake_key, sha256};

/// Every scope the API knows.
pub const SCOPES: &[&str] = &[
    "send",
    "contacts:read",
    "contacts:write",
    "campaigns:read",
    "campaigns:write",
    "templates:read",
    "templates:write",
    "analytics:read",
    "keys:manage",
];

/// A misbehaviour, injected for requests made with one key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// `429` with `Retry-After: secs` and a Misar error body.
    RateLimited(u64),
    /// `429` with `Retry-After: <this text>` as it stands (an HTTP-date, a
    /// number too large for `u64`, junk) and a Misar error body.
    RetryAfter(String),
    /// `500` with a Misar error body.
    ServerError,
    /// Wait this long before answering normally (past the client's timeout).
    Hang(Duration),
    /// `200` with a body that is not JSON.
    Malformed,
    /// Read the request, then close the connection without answering.
    Drop,
    /// Carry the request out (a `POST` creates its key), then close the
    /// connection without answering: the client cannot know it happened.
    DoneThenDrop,
    /// `403` with an HTML page (a WAF).
    HtmlForbidden,
    /// `200` with an HTML page (a captive portal).
    HtmlOk,
    /// Any status with any body (`application/json`).
    Raw(u16, String),
    /// On `DELETE`: someone else revoked the key a moment ago, so this
    /// request revokes it and answers `404 NOT_FOUND`.
    AlreadyRevoked,
}

/// One request, as the server saw it. Never holds the key in clear.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recorded {
    /// `GET`, `POST`, `DELETE`, …
    pub method: String,
    /// The path, e.g. `/api/v1/keys/k3`.
    pub path: String,
    /// SHA-256 (hex) of the bearer key, if one was sent.
    pub key_sha256: Option<String>,
    /// The bearer key's first 8 characters.
    pub key_stem: Option<String>,
}

#[derive(Debug, Clone)]
struct KeyRec {
    id: String,
    name: String,
    key: String,
    account: u32,
    scopes: Vec<String>,
    revoked: bool,
    shown_prefix: Option<String>,
    last_used_at: Option<String>,
    created_at: String,
}

/// `created_at` of keys whose creation date a test did not set.
pub const DEFAULT_CREATED_AT: &str = "2026-01-01T00:00:00Z";

#[derive(Debug, Default)]
struct State {
    keys: Vec<KeyRec>,
    once: HashMap<String, VecDeque<(Option<String>, Fault)>>,
    always: HashMap<String, Fault>,
    requests: Vec<Recorded>,
    latency: Duration,
    next_id: u64,
    /// Ids of the keys made by `POST`.
    created: Vec<String>,
    /// Status of a successful `POST` (201 unless a test says 200).
    create_status: Option<u16>,
    /// `created_at` of keys made by `POST` (unless set: [`DEFAULT_CREATED_AT`]).
    now: Option<String>,
}

/// One entry of the account, as a test sees it (the key in clear, for
/// comparing with what a sink received).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Its id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// The key.
    pub key: String,
    /// Its account.
    pub account: u32,
    /// Its scopes.
    pub scopes: Vec<String>,
    /// Revoked (deleted).
    pub revoked: bool,
    /// `last_used_at`.
    pub last_used_at: Option<String>,
    /// `created_at`.
    pub created_at: String,
}

/// The running server; stops accepting when dropped.
pub struct FakeApi {
    addr: SocketAddr,
    state: Arc<Mutex<State>>,
    in_flight: Arc<AtomicUsize>,
    max_in_flight: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
}

/// Flags that keep API tests fast: 1 s timeout, one retry, short backoff.
pub const FAST: &[&str] = &[
    "--verify-timeout",
    "1",
    "--verify-retries",
    "1",
    "--verify-backoff-ms",
    "50",
];

/// An address on 127.0.0.1 where nothing listens.
pub fn refused_url() -> String {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = l.local_addr().expect("addr");
    drop(l);
    format!("http://{addr}")
}

fn stem(key: &str) -> String {
    key.chars().take(8).collect()
}

impl FakeApi {
    /// Start on `127.0.0.1:0`.
    pub fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().expect("local addr");
        let api = Self {
            addr,
            state: Arc::new(Mutex::new(State::default())),
            in_flight: Arc::new(AtomicUsize::new(0)),
            max_in_flight: Arc::new(AtomicUsize::new(0)),
            stop: Arc::new(AtomicBool::new(false)),
        };
        let (state, in_flight, max, stop) = (
            api.state.clone(),
            api.in_flight.clone(),
            api.max_in_flight.clone(),
            api.stop.clone(),
        );
        thread::spawn(move || {
            for conn in listener.incoming() {
                if stop.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(conn) = conn else { continue };
                let (state, in_flight, max) = (state.clone(), in_flight.clone(), max.clone());
                thread::spawn(move || handle(conn, &state, &in_flight, &max));
            }
        });
        api
    }

    /// The base URL, for `MISAR_API_URL`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Wait this long before every answer.
    pub fn set_latency(&self, latency: Duration) {
        self.lock().latency = latency;
    }

    /// Register `key` in `account` with `scopes`; returns its id.
    pub fn add_key(&self, key: &str, account: u32, scopes: &[&str]) -> String {
        let mut s = self.lock();
        s.next_id += 1;
        let n = s.next_id;
        let id = format!("key_{n}");
        s.keys.push(KeyRec {
            id: id.clone(),
            name: format!("key {n}"),
            key: key.to_string(),
            account,
            scopes: scopes.iter().map(|s| s.to_string()).collect(),
            revoked: false,
            shown_prefix: None,
            last_used_at: Some("2026-11-01T12:00:00Z".into()),
            created_at: DEFAULT_CREATED_AT.into(),
        });
        id
    }

    /// Change the key with `id`: its name, when it was last used (`None`:
    /// never) and when it was created (RFC 3339 text, as the API writes it;
    /// tests may pass text that is not a date).
    pub fn set_key_info(&self, id: &str, name: &str, last_used_at: Option<&str>, created_at: &str) {
        let mut s = self.lock();
        let k = s
            .keys
            .iter_mut()
            .find(|k| k.id == id)
            .expect("set_key_info: no key with this id");
        k.name = name.to_string();
        k.last_used_at = last_used_at.map(str::to_string);
        k.created_at = created_at.to_string();
    }

    /// Give the key with `id` the id `new` (any text: a list entry whose id is
    /// `.`, `..` or holds a tab; `DELETE` matches the path's text as sent).
    pub fn set_id(&self, id: &str, new: &str) {
        let mut s = self.lock();
        let k = s
            .keys
            .iter_mut()
            .find(|k| k.id == id)
            .expect("set_id: no key with this id");
        k.id = new.to_string();
    }

    /// Answer a successful `POST /api/v1/keys` with `status` (200 or 201).
    pub fn set_create_status(&self, status: u16) {
        self.lock().create_status = Some(status);
    }

    /// The `created_at` that keys made by `POST` get from now on.
    pub fn set_now(&self, created_at: &str) {
        self.lock().now = Some(created_at.to_string());
    }

    /// The key with `id` was used at `when` (its `last_used_at`).
    pub fn mark_used(&self, id: &str, when: &str) {
        let mut s = self.lock();
        let k = s
            .keys
            .iter_mut()
            .find(|k| k.id == id)
            .expect("mark_used: no key with this id");
        k.last_used_at = Some(when.to_string());
    }

    /// Every key of every account, revoked ones too, in creation order.
    pub fn entries(&self) -> Vec<Entry> {
        self.lock()
            .keys
            .iter()
            .map(|k| Entry {
                id: k.id.clone(),
                name: k.name.clone(),
                key: k.key.clone(),
                account: k.account,
                scopes: k.scopes.clone(),
                revoked: k.revoked,
                last_used_at: k.last_used_at.clone(),
                created_at: k.created_at.clone(),
            })
            .collect()
    }

    /// The keys made by `POST`, in order.
    pub fn created(&self) -> Vec<Entry> {
        let created = self.lock().created.clone();
        self.entries()
            .into_iter()
            .filter(|e| created.contains(&e.id))
            .collect()
    }

    /// The id of `key`, if registered.
    pub fn id_of(&self, key: &str) -> Option<String> {
        self.lock()
            .keys
            .iter()
            .find(|k| k.key == key)
            .map(|k| k.id.clone())
    }

    /// Show `prefix` for the key with `id` instead of its real stem (a
    /// mislabelled entry, to make a revoke hit the wrong key).
    pub fn set_shown_prefix(&self, id: &str, prefix: &str) {
        let mut s = self.lock();
        if let Some(k) = s.keys.iter_mut().find(|k| k.id == id) {
            k.shown_prefix = Some(prefix.to_string());
        }
    }

    /// Answer the next request made with `key` with `fault` (queued, once each).
    pub fn fault_once(&self, key: &str, fault: Fault) {
        self.lock()
            .once
            .entry(sha256(key))
            .or_default()
            .push_back((None, fault));
    }

    /// Answer the next `method` request made with `key` with `fault`.
    pub fn fault_once_on(&self, key: &str, method: &str, fault: Fault) {
        self.lock()
            .once
            .entry(sha256(key))
            .or_default()
            .push_back((Some(method.to_string()), fault));
    }

    /// Answer every request made with `key` with `fault`.
    pub fn fault_always(&self, key: &str, fault: Fault) {
        self.lock().always.insert(sha256(key), fault);
    }

    /// Whether `key` has been revoked.
    pub fn is_revoked(&self, key: &str) -> bool {
        self.lock().keys.iter().any(|k| k.key == key && k.revoked)
    }

    /// Every request so far.
    pub fn requests(&self) -> Vec<Recorded> {
        self.lock().requests.clone()
    }

    /// Requests with `method` made with `key`.
    pub fn count(&self, method: &str, key: &str) -> usize {
        let sha = sha256(key);
        self.lock()
            .requests
            .iter()
            .filter(|r| r.method == method && r.key_sha256.as_deref() == Some(sha.as_str()))
            .count()
    }

    /// Requests with `method`, whatever the key.
    pub fn count_method(&self, method: &str) -> usize {
        self.lock()
            .requests
            .iter()
            .filter(|r| r.method == method)
            .count()
    }

    /// The most requests in flight at once.
    pub fn max_in_flight(&self) -> usize {
        self.max_in_flight.load(Ordering::SeqCst)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl Drop for FakeApi {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(self.addr);
    }
}

struct Request {
    method: String,
    path: String,
    bearer: Option<String>,
    body: Vec<u8>,
}

fn read_request(conn: &TcpStream) -> Option<Request> {
    let mut reader = BufReader::new(conn);
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let mut parts = line.split_whitespace();
    let method = parts.next()?.to_string();
    let path = parts.next()?.to_string();
    let mut bearer = None;
    let mut len = 0usize;
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h).ok()? == 0 {
            return None;
        }
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        let (name, value) = h.split_once(':')?;
        let value = value.trim();
        match name.to_ascii_lowercase().as_str() {
            "authorization" => bearer = value.strip_prefix("Bearer ").map(str::to_string),
            "content-length" => len = value.parse().ok()?,
            _ => {}
        }
    }
    let mut body = vec![0; len];
    reader.read_exact(&mut body).ok()?;
    Some(Request {
        method,
        path,
        bearer,
        body,
    })
}

fn handle(mut conn: TcpStream, state: &Mutex<State>, in_flight: &AtomicUsize, max: &AtomicUsize) {
    let _ = conn.set_read_timeout(Some(Duration::from_secs(5)));
    let Some(req) = read_request(&conn) else {
        return;
    };
    let now = in_flight.fetch_add(1, Ordering::SeqCst) + 1;
    max.fetch_max(now, Ordering::SeqCst);
    let (latency, fault) = {
        let mut s = state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        s.requests.push(Recorded {
            method: req.method.clone(),
            path: req.path.clone(),
            key_sha256: req.bearer.as_deref().map(sha256),
            key_stem: req.bearer.as_deref().map(stem),
        });
        let fault = req.bearer.as_deref().map(sha256).and_then(|sha| {
            let queue = s.once.get_mut(&sha);
            let queued = queue.and_then(|q| {
                let i = q
                    .iter()
                    .position(|(m, _)| m.as_ref().is_none_or(|m| *m == req.method))?;
                q.remove(i).map(|(_, f)| f)
            });
            queued.or_else(|| s.always.get(&sha).cloned())
        });
        (s.latency, fault)
    };
    thread::sleep(latency);
    let answer = match fault {
        Some(Fault::Drop) => None,
        Some(Fault::DoneThenDrop) => {
            let _ = route(&req, state);
            None
        }
        Some(Fault::Hang(d)) => {
            thread::sleep(d);
            Some(route(&req, state))
        }
        Some(Fault::RateLimited(secs)) => Some(Answer {
            status: 429,
            content_type: "application/json",
            extra: format!("Retry-After: {secs}\r\n"),
            body: error_body("RATE_LIMITED", "too many requests"),
        }),
        Some(Fault::RetryAfter(value)) => Some(Answer {
            status: 429,
            content_type: "application/json",
            extra: format!("Retry-After: {value}\r\n"),
            body: error_body("RATE_LIMITED", "too many requests"),
        }),
        Some(Fault::ServerError) => Some(Answer::json(500, error_body("INTERNAL_ERROR", "boom"))),
        Some(Fault::Malformed) => Some(Answer::json(200, "{\"success\":true,\"data\":[".into())),
        Some(Fault::HtmlForbidden) => Some(Answer::html(
            403,
            "<!DOCTYPE html><html><body><h1>403 Forbidden</h1>Request blocked by WAF</body></html>",
        )),
        Some(Fault::HtmlOk) => Some(Answer::html(
            200,
            "<html><body>Welcome! Please log in to the guest network.</body></html>",
        )),
        Some(Fault::Raw(status, body)) => Some(Answer::json(status, body)),
        Some(Fault::AlreadyRevoked) => {
            let _ = route(&req, state);
            Some(Answer::error(404, "NOT_FOUND", "no such key"))
        }
        None => Some(route(&req, state)),
    };
    if let Some(a) = answer {
        let _ = conn.write_all(
            format!(
                "HTTP/1.1 {} {}\r\nContent-Type: {}\r\nContent-Length: {}\r\n{}Connection: close\r\n\r\n{}",
                a.status,
                reason(a.status),
                a.content_type,
                a.body.len(),
                a.extra,
                a.body
            )
            .as_bytes(),
        );
        let _ = conn.flush();
    }
    in_flight.fetch_sub(1, Ordering::SeqCst);
}

struct Answer {
    status: u16,
    content_type: &'static str,
    extra: String,
    body: String,
}

impl Answer {
    fn json(status: u16, body: String) -> Self {
        Self {
            status,
            content_type: "application/json",
            extra: String::new(),
            body,
        }
    }
    fn html(status: u16, body: &str) -> Self {
        Self {
            status,
            content_type: "text/html; charset=utf-8",
            extra: String::new(),
            body: body.into(),
        }
    }
    fn error(status: u16, code: &str, message: &str) -> Self {
        Self::json(status, error_body(code, message))
    }
}

fn error_body(code: &str, message: &str) -> String {
    serde_json::json!({"success": false, "error": {"code": code, "message": message}}).to_string()
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        201 => "Created",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        _ => "Whatever",
    }
}

fn route(req: &Request, state: &Mutex<State>) -> Answer {
    let mut s = state
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let caller = req
        .bearer
        .as_deref()
        .and_then(|b| s.keys.iter().find(|k| k.key == b && !k.revoked))
        .cloned();
    let path = req.path.split('?').next().unwrap_or_default();
    let rest = path.strip_prefix("/api/v1/keys");
    let Some(rest) = rest.filter(|r| r.is_empty() || r.starts_with('/')) else {
        return Answer::error(404, "NOT_FOUND", "no such route");
    };
    let Some(caller) = caller else {
        return Answer::error(401, "UNAUTHORIZED", "invalid, missing or revoked API key");
    };
    if !caller.scopes.iter().any(|s| s == "keys:manage") {
        return Answer::error(403, "FORBIDDEN", "this key lacks the keys:manage scope");
    }
    match (req.method.as_str(), rest) {
        ("GET", "" | "/") => {
            let data: Vec<_> = s
                .keys
                .iter()
                .filter(|k| k.account == caller.account && !k.revoked)
                .map(|k| {
                    serde_json::json!({
                        "id": k.id,
                        "name": k.name,
                        "prefix": k.shown_prefix.clone().unwrap_or_else(|| format!("{}...", stem(&k.key))),
                        "scopes": k.scopes,
                        "last_used_at": k.last_used_at,
                        "created_at": k.created_at,
                    })
                })
                .collect();
            Answer::json(
                200,
                serde_json::json!({"success": true, "data": data}).to_string(),
            )
        }
        ("POST", "" | "/") => {
            let body: serde_json::Value = serde_json::from_slice(&req.body).unwrap_or_default();
            let name = body
                .get("name")
                .and_then(|n| n.as_str())
                .filter(|n| !n.is_empty());
            let scopes: Option<Vec<String>> =
                body.get("scopes").and_then(|s| s.as_array()).and_then(|a| {
                    a.iter()
                        .map(|v| {
                            v.as_str()
                                .filter(|s| SCOPES.contains(s))
                                .map(str::to_string)
                        })
                        .collect()
                });
            match (name, scopes) {
                (Some(name), Some(scopes)) if !scopes.is_empty() => {
                    s.next_id += 1;
                    let id = format!("key_{}", s.next_id);
                    let key = fake_key(
                        &caller.key[..4],
                        0xC0FFEE ^ s.next_id ^ (u64::from(caller.account) << 32),
                    );
                    let created_at = s.now.clone().unwrap_or_else(|| DEFAULT_CREATED_AT.into());
                    s.created.push(id.clone());
                    s.keys.push(KeyRec {
                        id: id.clone(),
                        name: name.to_string(),
                        key: key.clone(),
                        account: caller.account,
                        scopes: scopes.clone(),
                        revoked: false,
                        shown_prefix: None,
                        last_used_at: None,
                        created_at: created_at.clone(),
                    });
                    Answer::json(
                        s.create_status.unwrap_or(201),
                        serde_json::json!({"success": true, "data": {"id": id, "name": name, "key": key, "prefix": format!("{}...", stem(&key)), "scopes": scopes, "created_at": created_at}}).to_string(),
                    )
                }
                _ => Answer::error(
                    400,
                    "VALIDATION_ERROR",
                    "`name` (text) and `scopes` (known scopes) are required",
                ),
            }
        }
        ("DELETE", id) if id.len() > 1 => {
            let id = &id[1..];
            match s
                .keys
                .iter_mut()
                .find(|k| k.id == id && k.account == caller.account && !k.revoked)
            {
                Some(k) => {
                    k.revoked = true;
                    Answer::json(200, "{\"success\":true}".into())
                }
                None => Answer::error(404, "NOT_FOUND", "no such key"),
            }
        }
        _ => Answer::error(404, "NOT_FOUND", "no such route"),
    }
}
