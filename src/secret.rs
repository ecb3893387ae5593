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
}
