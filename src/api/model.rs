//! Wire types of the Misar keys API (SPEC §2), parsed leniently.
//!
//! A list answer is `{"success":true,"data":[{"id","name","prefix","scopes",
//! "last_used_at","created_at"}]}`; an error answer is `{"success":false,
//! "error":{"code":"…","message":"…"}}`, with the code also accepted as
//! `"error":"CODE"` or a top-level `"code"`. Anything that does not have this
//! shape is *not* Misar's answer (a proxy, WAF or captive portal) and parses
//! to `None`.

use serde::Serialize;
use serde_json::Value;

use crate::secret::Secret;

/// One entry of `GET /api/v1/keys`. Full keys are never returned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KeyEntry {
    /// The key's id, used by `DELETE /api/v1/keys/:id` (a string or a number on the wire).
    pub id: String,
    /// The name given at creation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The key's leading characters followed by `...`, e.g. `msk_AbCd...`.
    pub prefix: String,
    /// Scopes, e.g. `send`, `keys:manage`.
    pub scopes: Vec<String>,
    /// When the key was last used, as the API wrote it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_used_at: Option<String>,
    /// When the key was created, as the API wrote it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
    /// The server's `id` held a key, so [`KeyEntry::scrub`] redacted it:
    /// `id` is no longer the server's id and must never be sent in a `DELETE`.
    #[serde(skip)]
    pub id_scrubbed: bool,
}

impl KeyEntry {
    /// The identifying part of `prefix`: without the trailing `...` (or `…`).
    pub fn stem(&self) -> &str {
        let p = self.prefix.trim_end();
        p.strip_suffix("...")
            .or_else(|| p.strip_suffix('…'))
            .unwrap_or(p)
    }

    /// Replace every full key of `secrets` in the entry's fields by its
    /// redacted form ([`crate::secret::scrub`]; in `prefix`, by its stem, the
    /// API's own form, so the entry still matches the key it names). A
    /// lying or broken server could echo a key in any field, and what the
    /// server says lands in reports, logs and plans: call this on a list as
    /// soon as it is fetched, before anything is built from it.
    pub fn scrub(&mut self, secrets: &[&str]) {
        // The keys named, then any key-shaped run at all (a key of another
        // account, or one this run does not know, echoed all the same).
        let scrub = |s: &mut String| {
            if secrets.iter().any(|k| s.contains(k)) {
                *s = crate::secret::scrub(s, secrets);
            }
            if let std::borrow::Cow::Owned(redacted) = crate::secret::redact_key_shaped(s) {
                *s = redacted;
            }
        };
        let before = self.id.clone();
        scrub(&mut self.id);
        self.id_scrubbed |= self.id != before;
        for field in [&mut self.name, &mut self.last_used_at, &mut self.created_at]
            .into_iter()
            .flatten()
        {
            scrub(field);
        }
        self.scopes.iter_mut().for_each(scrub);
        for k in secrets
            .iter()
            .filter(|k| k.chars().count() > crate::secret::STEM_LEN)
        {
            if self.prefix.contains(k) {
                self.prefix = self
                    .prefix
                    .replace(k, crate::secret::clip(k, crate::secret::STEM_LEN));
            }
        }
    }

    fn from_value(v: &Value) -> Option<Self> {
        let obj = v.as_object()?;
        let id = match obj.get("id")? {
            Value::String(s) if !s.is_empty() => s.clone(),
            Value::Number(n) => n.to_string(),
            _ => return None,
        };
        let text = |k: &str| obj.get(k).and_then(Value::as_str).map(str::to_string);
        // A date that is not a string (an epoch number, an object) is kept as
        // its JSON text, so the audit reports it instead of reading `never`.
        let date = |k: &str| match obj.get(k) {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(s.clone()),
            Some(other) => Some(other.to_string()),
        };
        Some(Self {
            id,
            name: text("name"),
            prefix: text("prefix")?,
            scopes: obj
                .get("scopes")
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_string)
                        .collect()
                })
                .unwrap_or_default(),
            last_used_at: date("last_used_at"),
            created_at: date("created_at"),
            id_scrubbed: false,
        })
    }
}

/// A Misar list answer: `success: true` and a `data` array. Entries that lack
/// an `id` or `prefix` are dropped (they cannot identify a key), the answer is
/// still Misar's. `None` when the body is not that shape.
pub fn parse_list(body: &[u8]) -> Option<Vec<KeyEntry>> {
    let v: Value = serde_json::from_slice(body).ok()?;
    if v.get("success")?.as_bool()? {
        let data = v.get("data")?.as_array()?;
        Some(data.iter().filter_map(KeyEntry::from_value).collect())
    } else {
        None
    }
}

/// [`KeyEntry::scrub`] every entry of a list.
pub fn scrub_entries(entries: &mut [KeyEntry], secrets: &[&str]) {
    for e in entries {
        e.scrub(secrets);
    }
}

/// The answer to `POST /api/v1/keys`: the new entry and, once, its key.
/// `Debug` shows the key redacted ([`Secret`]); nothing else may show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreatedKey {
    /// The new entry's id.
    pub id: String,
    /// Its name, as the API wrote it back.
    pub name: Option<String>,
    /// Its scopes, as the API wrote them back.
    pub scopes: Vec<String>,
    /// When it was created, as the API wrote it.
    pub created_at: Option<String>,
    /// The new key itself: for the sink only.
    pub key: Secret,
}

/// A Misar creation answer: `success: true` and a `data` object with an
/// `id` and a non-empty `key` string. The other fields are scrubbed of the
/// new key (and of `secrets`): a server echoing it in the name must not put
/// it in a report. `None` when the body is not that shape.
pub fn parse_created(body: &[u8], secrets: &[&str]) -> Option<CreatedKey> {
    let v: Value = serde_json::from_slice(body).ok()?;
    if !v.get("success")?.as_bool()? {
        return None;
    }
    let data = v.get("data")?.as_object()?;
    let key = data
        .get("key")?
        .as_str()
        .filter(|k| !k.trim().is_empty())?
        .to_string();
    let mut entry = KeyEntry::from_value(&serde_json::json!({
        "id": data.get("id")?,
        "name": data.get("name"),
        "prefix": "",
        "scopes": data.get("scopes"),
        "created_at": data.get("created_at"),
    }))?;
    let mut all: Vec<&str> = secrets.to_vec();
    all.push(&key);
    entry.scrub(&all);
    if entry.id_scrubbed {
        return None;
    }
    Some(CreatedKey {
        id: entry.id,
        name: entry.name,
        scopes: entry.scopes,
        created_at: entry.created_at,
        key: Secret::new(key),
    })
}

/// A Misar success answer without data (`DELETE`): `{"success":true}`.
pub fn parse_success(body: &[u8]) -> bool {
    serde_json::from_slice::<Value>(body)
        .ok()
        .and_then(|v| v.get("success").and_then(Value::as_bool))
        .unwrap_or(false)
}

/// The error code of a Misar error answer (`success: false`), wherever the
/// API put it: `error.code`, `error` as a string, or a top-level `code`.
/// `None` when the body is not a Misar error answer.
pub fn parse_error_code(body: &[u8]) -> Option<String> {
    let v: Value = serde_json::from_slice(body).ok()?;
    if v.get("success")?.as_bool()? {
        return None;
    }
    let code = match v.get("error") {
        Some(Value::Object(e)) => e.get("code").and_then(Value::as_str),
        Some(Value::String(s)) => Some(s.as_str()),
        _ => None,
    }
    .or_else(|| v.get("code").and_then(Value::as_str))?;
    Some(code.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_code_is_found_in_all_three_places() {
        for body in [
            r#"{"success":false,"error":{"code":"FORBIDDEN","message":"no"}}"#,
            r#"{"success":false,"error":"FORBIDDEN"}"#,
            r#"{"success":false,"code":"FORBIDDEN"}"#,
        ] {
            assert_eq!(
                parse_error_code(body.as_bytes()).as_deref(),
                Some("FORBIDDEN"),
                "{body}"
            );
        }
    }

    #[test]
    fn error_code_needs_success_false() {
        for body in [
            r#"{"error":{"code":"FORBIDDEN"}}"#,
            r#"{"success":true,"error":"FORBIDDEN"}"#,
            r#"{"success":"false","code":"FORBIDDEN"}"#,
            "<html><body>403 Forbidden</body></html>",
            "",
        ] {
            assert_eq!(parse_error_code(body.as_bytes()), None, "{body}");
        }
    }

    #[test]
    fn list_needs_success_true_and_a_data_array() {
        let ok = br#"{"success":true,"data":[{"id":7,"name":"ci","prefix":"msk_AbCd...","scopes":["send"],"last_used_at":null}]}"#;
        let entries = parse_list(ok).expect("a Misar list");
        assert_eq!(entries[0].id, "7");
        assert_eq!(entries[0].stem(), "msk_AbCd");
        assert_eq!(entries[0].last_used_at, None);
        let odd = br#"{"success":true,"data":[{"id":"a","prefix":"msk_AbCd...","last_used_at":1767225600}]}"#;
        assert_eq!(
            parse_list(odd).expect("a Misar list")[0]
                .last_used_at
                .as_deref(),
            Some("1767225600")
        );
        assert!(parse_list(br#"{"success":true,"data":{}}"#).is_none());
        assert!(parse_list(br#"{"success":true}"#).is_none());
        assert!(parse_list(br#"{"data":[]}"#).is_none());
        assert!(parse_list(b"<html>Welcome to the hotel wifi</html>").is_none());
    }

    #[test]
    fn scrub_redacts_a_key_it_was_not_told_of() {
        // Another leaked key (another account's, or one this run does not
        // know) echoed in an entry planned for a different key.
        const OTHER: &str = "ask_Q2v9XbL0pR7sT1uW3yZ5aC8eG4iK6mN0"; // misar-scan:allow (fake test key)
        const KEY: &str = "msk_u8jzPde0IgxLd6GncfBAepfJBd0Kh8oO"; // misar-scan:allow (fake test key)
        let mut e = KeyEntry::from_value(&serde_json::json!({
            "id": format!("id-{OTHER}"),
            "name": format!("ci ({OTHER})"),
            "prefix": "msk_u8jz...",
        }))
        .expect("valid entry");
        e.scrub(&[KEY]);
        assert!(!format!("{e:?}").contains(OTHER), "{e:?}");
        assert_eq!(e.name.as_deref(), Some("ci (ask_Q2v9…)"));
        assert!(e.id_scrubbed, "an id that held a key is never sent");
    }

    #[test]
    fn scrub_redacts_a_key_in_every_field_and_marks_the_id() {
        const KEY: &str = "msk_u8jzPde0IgxLd6GncfBAepfJBd0Kh8oO"; // misar-scan:allow (fake test key)
        let mut e = KeyEntry::from_value(&serde_json::json!({
            "id": KEY,
            "name": format!("ci {KEY}"),
            "prefix": format!("{KEY}..."),
            "scopes": ["send", KEY],
            "last_used_at": KEY,
            "created_at": format!("x{KEY}"),
        }))
        .expect("valid entry");
        e.scrub(&[KEY]);
        assert!(!format!("{e:?}").contains(KEY), "{e:?}");
        assert!(e.id_scrubbed);
        assert_eq!(e.id, "msk_u8jz…");
        assert_eq!(e.name.as_deref(), Some("ci msk_u8jz…"));
        assert_eq!(e.stem(), "msk_u8jz", "the prefix still names the key");
        assert_eq!(e.scopes, ["send", "msk_u8jz…"]);
        assert_eq!(e.created_at.as_deref(), Some("xmsk_u8jz…"));
        let mut clean =
            KeyEntry::from_value(&serde_json::json!({"id":"k1","prefix":"msk_u8jz..."}))
                .expect("valid entry");
        let before = clean.clone();
        clean.scrub(&[KEY]);
        assert_eq!(clean, before);
    }

    #[test]
    fn stem_strips_either_ellipsis() {
        let mut e = KeyEntry::from_value(&serde_json::json!({"id":"a","prefix":"msk_AbCd…"}))
            .expect("valid entry");
        assert_eq!(e.stem(), "msk_AbCd");
        e.prefix = "msk_...".into();
        assert_eq!(e.stem(), "msk_");
    }

    #[test]
    fn a_created_key_is_parsed_and_scrubbed_from_the_other_fields() {
        const NEW: &str = "msk_Zq3v9XbL0pR7sT1uW3yZ5aC8eG4iK6mN"; // misar-scan:allow (fake test key)
        let body = serde_json::json!({"success": true, "data": {
            "id": 12, "name": format!("ci {NEW}"), "key": NEW,
            "scopes": ["send"], "created_at": "2026-11-30T10:00:00Z"}});
        let c = parse_created(body.to_string().as_bytes(), &[]).expect("a creation answer");
        assert_eq!(c.id, "12");
        assert_eq!(c.key.expose(), NEW);
        assert_eq!(c.scopes, ["send"]);
        assert_eq!(c.name.as_deref(), Some("ci msk_Zq3v…"));
        assert!(!format!("{c:?}").contains(NEW), "{c:?}");
        for bad in [
            r#"{"success":true,"data":{"id":"1"}}"#,
            r#"{"success":true,"data":{"id":"1","key":""}}"#,
            r#"{"success":false,"data":{"id":"1","key":"x"}}"#,
            r#"{"success":true,"data":{"key":"msk_x"}}"#,
            "<html>created</html>",
        ] {
            assert!(parse_created(bad.as_bytes(), &[]).is_none(), "{bad}");
        }
        let echoed = serde_json::json!({"success": true, "data": {"id": NEW, "key": NEW}});
        assert!(parse_created(echoed.to_string().as_bytes(), &[]).is_none());
    }
}
