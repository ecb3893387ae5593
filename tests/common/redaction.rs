//! The one redaction check: no output holds a full key, or more of a key
//! than its redacted form shows.

/// Panic if any of `keys` appears in `text`; `what` names the output.
pub fn assert_no_full_key(what: &str, text: &str, keys: &[&str]) {
    for k in keys {
        assert!(
            !text.contains(k),
            "{what} holds the full key {}…:\n{text}",
            &k[..k.len().min(8)]
        );
    }
}

/// Panic if `text` holds any 12 consecutive characters of `key`: its
/// redacted form shows 8, so more is a key clipped instead of scrubbed.
pub fn assert_no_key_fragment(what: &str, text: &str, key: &str) {
    let chars: Vec<char> = key.chars().collect();
    for window in chars.windows(12) {
        let fragment: String = window.iter().collect();
        assert!(
            !text.contains(&fragment),
            "{what} holds 12 or more characters of the key {}…:\n{text}",
            &key[..8]
        );
    }
}
