//! The liveness policy and alerts of a run (SPEC §3): `--fail-on any|live`
//! and `--alert-webhook URL --alert-format json|slack`.
//!
//! - [`FailOn`]: which findings fail a run. `any` (the default): every one.
//!   `live`: only keys that are `live` or could not be confirmed dead
//!   (`unknown`, or not verified): a key confirmed `not_live` is still
//!   reported but does not fail the run.
//! - [`AlertKey`] / [`alert_keys`]: the `live` and `unknown` keys of a run,
//!   one per distinct key (redacted, `secret_sha256`, product, where first
//!   found, status) — never a full key.
//! - [`Webhook`]: the receiver, `https://`, or `http://` to a loopback
//!   address only; [`Webhook::post`] sends one document per run with a
//!   bounded retry, and says why it could not (the caller exits 2). Its URL
//!   is never shown beyond scheme, host and port: webhook URLs are
//!   credentials (Slack's carry a token in the path).

use std::time::Duration;

use reqwest::Url;
use serde::Serialize;

use crate::finding::{Finding, Verification};
use crate::rules::RuleSet;
use crate::sanitize::field;

/// Which findings fail a run (`--fail-on`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum FailOn {
    /// Every finding fails the run.
    #[default]
    Any,
    /// Only keys that are live or unknown (implies `--verify`).
    Live,
}

impl FailOn {
    /// How many of `findings` fail the run. With `live`: the key findings
    /// that are `live`, `unknown` or not verified (a key that could not be
    /// confirmed dead is never waved through), and the lint findings about
    /// a key that is; a lint finding about no verified key does not fail it.
    pub fn failing(self, findings: &[Finding], rules: &RuleSet) -> usize {
        match self {
            Self::Any => findings.len(),
            Self::Live => findings
                .iter()
                .filter(|f| match f.verification {
                    Verification::Live { .. } | Verification::Unknown { .. } => true,
                    Verification::NotLive => false,
                    Verification::Unverified => rules.get(&f.rule_id).is_some(),
                })
                .count(),
        }
    }
}

/// The body of an alert (`--alert-format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum AlertFormat {
    /// misar-scan's JSON document.
    #[default]
    Json,
    /// A Slack incoming-webhook message: `{"text": …}`.
    Slack,
}

/// One live or unknown key, as an alert lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AlertKey {
    /// The key, redacted (`msk_AbCd…`).
    pub key: String,
    /// Its SHA-256.
    pub secret_sha256: String,
    /// Its product (`Misar Mail`).
    pub product: String,
    /// Where it was first found: `path:line`, with the repository and
    /// commit when known.
    pub location: String,
    /// `live` or `unknown`.
    pub status: String,
    /// Why it is unknown.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// The live and unknown keys among `findings` (sorted: the first finding
/// of each key is where it was first found), one per distinct key; lint
/// findings only for a key no rule finding names.
pub fn alert_keys(findings: &[Finding], rules: &RuleSet) -> Vec<AlertKey> {
    let mut seen = std::collections::HashSet::new();
    let keys_first = findings
        .iter()
        .filter(|f| rules.get(&f.rule_id).is_some())
        .chain(findings.iter().filter(|f| rules.get(&f.rule_id).is_none()));
    keys_first
        .filter(|f| {
            matches!(
                f.verification,
                Verification::Live { .. } | Verification::Unknown { .. }
            )
        })
        .filter(|f| seen.insert(f.secret.sha256()))
        .map(|f| {
            let mut location = format!("{}:{}", f.path, f.line);
            if let Some(c) = &f.commit {
                location.push_str(&format!(" (commit {})", &c.id[..c.id.len().min(12)]));
            }
            AlertKey::new(
                f.secret.redacted(),
                f.secret.sha256(),
                &f.product,
                &location,
                &f.verification,
            )
        })
        .collect()
}

impl AlertKey {
    /// An alert line for a key, every text made safe (one line, key-shaped
    /// runs redacted).
    pub fn new(
        key: String,
        sha256: &str,
        product: &str,
        location: &str,
        verification: &Verification,
    ) -> Self {
        Self {
            key,
            secret_sha256: sha256.to_string(),
            product: field(product, true),
            location: field(location, true),
            status: verification.as_str().to_string(),
            reason: verification.reason().map(|r| field(r, true)),
        }
    }
}

#[derive(Serialize)]
struct Document<'a> {
    tool: &'static str,
    version: &'static str,
    /// `scan` or `sweep`.
    source: &'a str,
    summary: String,
    live: usize,
    unknown: usize,
    keys: &'a [AlertKey],
}

fn summary(keys: &[AlertKey]) -> (usize, usize, String) {
    let live = keys.iter().filter(|k| k.status == "live").count();
    let unknown = keys.len() - live;
    (
        live,
        unknown,
        format!("misar-scan: {live} live and {unknown} unknown Misar key(s) found"),
    )
}

/// The alert body for `keys` in `format`; `source` names the command.
pub fn render(keys: &[AlertKey], format: AlertFormat, source: &str) -> Vec<u8> {
    let (live, unknown, summary) = summary(keys);
    let value = match format {
        AlertFormat::Json => serde_json::to_value(Document {
            tool: "misar-scan",
            version: env!("CARGO_PKG_VERSION"),
            source,
            summary,
            live,
            unknown,
            keys,
        })
        .unwrap_or_default(),
        AlertFormat::Slack => {
            // Slack's mrkdwn: `&`, `<` and `>` are escaped.
            let esc = |s: &str| {
                s.replace('&', "&amp;")
                    .replace('<', "&lt;")
                    .replace('>', "&gt;")
                    .replace('`', "'")
            };
            let mut text = format!("*{}* ({source})", esc(&summary));
            for k in keys {
                text.push_str(&format!(
                    "\n• `{}` {} — *{}* at `{}` (sha256 {})",
                    esc(&k.key),
                    esc(&k.product),
                    esc(&k.status),
                    esc(&k.location),
                    &k.secret_sha256[..k.secret_sha256.len().min(16)]
                ));
            }
            serde_json::json!({ "text": text })
        }
    };
    let mut body = serde_json::to_vec(&value).unwrap_or_default();
    body.push(b'\n');
    body
}

/// Attempts of one alert POST.
const ATTEMPTS: u32 = 3;

/// A checked alert receiver.
#[derive(Debug, Clone)]
pub struct Webhook {
    url: Url,
}

impl Webhook {
    /// Check `url`: `https://`, or `http://` to a loopback address.
    pub fn parse(url: &str) -> Result<Self, String> {
        let parsed =
            Url::parse(url.trim()).map_err(|e| format!("`--alert-webhook` is not a URL: {e}"))?;
        let shown = Self::show(&parsed);
        match parsed.scheme() {
            "https" if parsed.host_str().is_some() => Ok(Self { url: parsed }),
            "http" if crate::api::client::is_loopback(&parsed) => Ok(Self { url: parsed }),
            "http" => Err(format!(
                "refusing plain http:// alert webhook `{shown}`: use https:// (http:// is allowed for loopback addresses only)"
            )),
            _ => Err(format!(
                "`--alert-webhook` must be an https:// URL, got `{shown}`"
            )),
        }
    }

    /// Scheme, host and port only: the rest of a webhook URL is a credential.
    fn show(url: &Url) -> String {
        let port = url.port().map(|p| format!(":{p}")).unwrap_or_default();
        format!(
            "{}://{}{port}",
            url.scheme(),
            url.host_str().unwrap_or_default()
        )
    }

    /// How messages name it.
    pub fn shown(&self) -> String {
        Self::show(&self.url)
    }

    /// POST `body` (JSON), retrying a failed connection, a timeout, `429` or
    /// `5xx` twice with a short backoff; any other answer is final. `Ok`
    /// on a `2xx`.
    pub fn post(&self, body: &[u8]) -> Result<(), String> {
        let mut builder = reqwest::blocking::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(10))
            .redirect(reqwest::redirect::Policy::none());
        if crate::api::client::is_loopback(&self.url) {
            builder = builder.no_proxy();
        }
        let client = builder
            .build()
            .map_err(|e| format!("cannot set up HTTP: {e}"))?;
        let mut last = String::new();
        for attempt in 0..ATTEMPTS {
            if attempt > 0 {
                std::thread::sleep(Duration::from_millis(500 << attempt));
            }
            let sent = client
                .post(self.url.clone())
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .header(
                    reqwest::header::USER_AGENT,
                    concat!("misar-scan/", env!("CARGO_PKG_VERSION")),
                )
                .body(body.to_vec())
                .send();
            match sent {
                Ok(r) if r.status().is_success() => return Ok(()),
                Ok(r) => {
                    last = format!("HTTP {}", r.status().as_u16());
                    if !(r.status().is_server_error() || r.status().as_u16() == 429) {
                        break;
                    }
                }
                Err(e) if e.is_timeout() => last = "timed out".into(),
                Err(e) if e.is_connect() => last = "could not connect".into(),
                Err(_) => last = "the connection failed".into(),
            }
        }
        Err(format!(
            "the alert to `{}` was not delivered: {last}",
            self.shown()
        ))
    }
}

/// Send one alert for `keys` to `hook`, unless there is none to send.
/// `Ok(n)`: `n` keys alerted (0: nothing was sent).
pub fn notify(
    hook: &Webhook,
    format: AlertFormat,
    keys: &[AlertKey],
    source: &str,
) -> Result<usize, String> {
    if keys.is_empty() {
        return Ok(0);
    }
    hook.post(&render(keys, format, source))?;
    Ok(keys.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(status: &str) -> AlertKey {
        AlertKey {
            key: "msk_AbCd…".into(),
            secret_sha256: "ab".repeat(32),
            product: "Misar Mail".into(),
            location: "src/<a>.js:3".into(),
            status: status.into(),
            reason: None,
        }
    }

    #[test]
    fn webhooks_are_https_or_loopback_http() {
        for ok in [
            "https://hooks.slack.com/services/T0/B0/XYZ",
            "http://127.0.0.1:9/x",
            "http://[::1]/",
            "http://localhost:8080",
        ] {
            assert!(Webhook::parse(ok).is_ok(), "{ok}");
        }
        for bad in [
            "http://hooks.example.com/x",
            "ftp://x",
            "not a url",
            "file:///tmp/x",
        ] {
            assert!(Webhook::parse(bad).is_err(), "{bad}");
        }
        let err = Webhook::parse("http://example.com/services/SECRET").unwrap_err();
        assert!(!err.contains("SECRET"), "{err}");
    }

    #[test]
    fn slack_bodies_are_one_text_field() {
        let body = render(&[key("live"), key("unknown")], AlertFormat::Slack, "scan");
        let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
        let obj = v.as_object().unwrap();
        assert_eq!(obj.len(), 1);
        let text = v["text"].as_str().unwrap();
        assert!(text.contains("1 live and 1 unknown"), "{text}");
        assert!(text.contains("src/&lt;a&gt;.js:3"), "{text}");
    }

    #[test]
    fn json_bodies_list_the_keys() {
        let body = render(&[key("live")], AlertFormat::Json, "sweep");
        let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(v["source"], "sweep");
        assert_eq!(v["live"], 1);
        assert_eq!(v["keys"][0]["secret_sha256"], "ab".repeat(32));
    }
}
