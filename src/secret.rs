//! `Secret`: a key that was found. Redacted by default (SPEC §4).
//!
//! `Debug` and `Display` print only the redacted stem (the first 8 characters
//! followed by `…`, the same stem the Misar API shows as `prefix`). The full
//! value needs an explicit [`Secret::expose`], used in very few, greppable
//! places: the API client and `--no-redact` output.

use std::fmt;

use sha2::{Digest, Sha256};

/// How many leading characters of a key the redacted form keeps.
pub const STEM_LEN: usize = 8;

/// A found key.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Secret {
    value: String,
    sha256: String,
}

impl Secret {
    /// Wrap a key; computes its SHA-256 once.
    pub fn new(value: impl Into<String>) -> Self {
        let value = value.into();
        let sha256 = sha256_hex(value.as_bytes());
        Self { value, sha256 }
    }

    /// A key known only by its stem and hash: read back from a redacted report
    /// and not found again. [`Secret::expose`] returns only the stem, so such a
    /// secret must never be sent to the API (callers track that it is unrecovered).
    pub fn unrecovered(stem: &str, sha256: &str) -> Self {
        Self {
            value: stem.chars().take(STEM_LEN).collect(),
            sha256: sha256.to_ascii_lowercase(),
        }
    }

    /// The full key. Call only to authenticate or when the user asked for `--no-redact`.
    pub fn expose(&self) -> &str {
        &self.value
    }

    /// Lower-case hex SHA-256 of the full key.
    pub fn sha256(&self) -> &str {
        &self.sha256
    }

    /// The first 8 characters followed by `…`.
    pub fn redacted(&self) -> String {
        redact(&self.value)
    }

    /// The first 8 characters, without the ellipsis (the API's `prefix` stem).
    pub fn stem(&self) -> &str {
        let end = self
            .value
            .char_indices()
            .nth(STEM_LEN)
            .map_or(self.value.len(), |(i, _)| i);
        &self.value[..end]
    }

    /// The redacted form, or the full key when `redact` is false.
    pub fn display(&self, redact: bool) -> String {
        if redact {
            self.redacted()
        } else {
            self.value.clone()
        }
    }
}

/// Redact any key-like string: its first 8 characters followed by `…`.
pub fn redact(value: &str) -> String {
    let stem: String = value.chars().take(STEM_LEN).collect();
    format!("{stem}…")
}

/// `text` with every occurrence of each of `secrets` replaced by its redacted
/// form ([`redact`]): for what a server says, which a lying or broken server
/// could make echo a key. A secret no longer than [`STEM_LEN`] characters is
/// left alone (its redacted form would show all of it anyway). Scrub before
/// clipping: a clipped key is no longer found.
pub fn scrub(text: &str, secrets: &[&str]) -> String {
    let mut out = text.to_string();
    for s in secrets.iter().filter(|s| s.chars().count() > STEM_LEN) {
        if out.contains(*s) {
            out = out.replace(*s, &redact(s));
        }
    }
    out
}

/// The prefixes of SPEC §1, for the last line of defence ([`key_shaped_runs`]).
const KEY_PREFIXES: [&[u8; 3]; 3] = [b"msk", b"ask", b"mdk"];

/// The shortest body a key-shaped run has.
pub const KEY_SHAPED_MIN_BODY: usize = 20;

/// Byte ranges of the key-shaped runs that start in `hay[from..to]`: `msk_`,
/// `ask_` or `mdk_` not preceded by a letter, digit or `_`, then 20 or more
/// base62 characters (SPEC §1, without the rules' upper bound or placeholder
/// filter). A run may end past `to`.
///
/// The last line of defence of every display: whatever a rule did or did not
/// report, a key-shaped run is never shown in full unless `--no-redact`.
pub fn key_shaped_runs(hay: &[u8], from: usize, to: usize) -> Vec<std::ops::Range<usize>> {
    let to = to.min(hay.len());
    let mut runs = Vec::new();
    let mut at = from.min(to);
    // Each `_` at `at + 3` or later may end a prefix.
    while let Some(i) = memchr::memchr(b'_', &hay[(at + 3).min(to)..to]) {
        let underscore = (at + 3).min(to) + i;
        let start = underscore - 3;
        at = underscore - 2;
        let prefixed = KEY_PREFIXES.iter().any(|p| hay[start..underscore] == p[..]);
        let boundary = start == 0 || {
            let b = hay[start - 1];
            !(b.is_ascii_alphanumeric() || b == b'_')
        };
        if !prefixed || !boundary {
            continue;
        }
        let body = hay[underscore + 1..]
            .iter()
            .take_while(|b| b.is_ascii_alphanumeric())
            .count();
        if body >= KEY_SHAPED_MIN_BODY {
            let end = underscore + 1 + body;
            runs.push(start..end);
            at = end;
        }
    }
    runs
}

/// `text` with every key-shaped run ([`key_shaped_runs`]) redacted to its
/// first 8 characters and `…`.
pub fn redact_key_shaped(text: &str) -> std::borrow::Cow<'_, str> {
    let runs = key_shaped_runs(text.as_bytes(), 0, text.len());
    if runs.is_empty() {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for run in runs {
        out.push_str(&text[at..run.start]);
        out.push_str(&redact(&text[run.clone()]));
        at = run.end;
    }
    out.push_str(&text[at..]);
    std::borrow::Cow::Owned(out)
}

/// The first `n` characters of `s` (all of it when shorter), cut on a
/// character boundary: for commit ids and hashes read from reports, which may
/// hold anything.
pub fn clip(s: &str, n: usize) -> &str {
    s.char_indices().nth(n).map_or(s, |(i, _)| &s[..i])
}

/// Lower-case hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Secret({})", self.redacted())
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "msk_u8jzPde0IgxLd6GncfBAepfJBd0Kh8oO"; // misar-scan:allow (fake test key)

    #[test]
    fn debug_and_display_never_show_the_key() {
        let s = Secret::new(KEY);
        assert_eq!(format!("{s}"), "msk_u8jz…");
        assert_eq!(format!("{s:?}"), "Secret(msk_u8jz…)");
        assert!(!format!("{s:?}{s}").contains(KEY));
        assert_eq!(s.stem(), "msk_u8jz");
        assert_eq!(s.expose(), KEY);
    }

    #[test]
    fn scrub_replaces_full_keys_only() {
        let text = format!("name {KEY}, again {KEY}, and msk_u8jz…");
        assert_eq!(
            scrub(&text, &[KEY, "short", ""]),
            "name msk_u8jz…, again msk_u8jz…, and msk_u8jz…"
        );
        assert_eq!(scrub("abc", &["abc"]), "abc");
    }

    #[test]
    fn clip_cuts_on_character_boundaries() {
        assert_eq!(clip("abcdef", 3), "abc");
        assert_eq!(clip("ab", 3), "ab");
        assert_eq!(clip("a€€€€", 3), "a€€");
    }

    #[test]
    fn sha256_is_lowercase_hex_of_full_key() {
        let s = Secret::new("abc");
        assert_eq!(
            s.sha256(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn key_shaped_runs_follow_the_boundary_and_length_rules() {
        let runs = |s: &str| key_shaped_runs(s.as_bytes(), 0, s.len());
        assert_eq!(runs(KEY), vec![0..KEY.len()]);
        assert_eq!(runs(&format!("a/{KEY}.env")), vec![2..2 + KEY.len()]);
        assert!(runs(&format!("t{KEY}")).is_empty(), "task_… is not a key");
        assert!(runs(&format!("_{KEY}")).is_empty());
        assert!(runs("msk_short1234567890").is_empty(), "19 characters");
        assert_eq!(
            runs("ask_aaaaaaaaaaaaaaaaaaaa").len(),
            1,
            "no placeholder filter"
        );
        let two = format!("{KEY} mdk_{}", &KEY[4..]);
        assert_eq!(runs(&two).len(), 2);
        assert!(runs("msk").is_empty() && runs("").is_empty() && runs("___").is_empty());
        assert_eq!(
            redact_key_shaped(&format!("by {KEY} <{KEY}@x.io>")),
            "by msk_u8jz… <msk_u8jz…@x.io>"
        );
        assert!(matches!(
            redact_key_shaped("plain"),
            std::borrow::Cow::Borrowed(_)
        ));
    }
}
