//! The one fake-key generator. Nothing here is a real key.

use sha2::{Digest, Sha256};

const BASE62: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// Characters in a key made by [`fake_key`] or [`key_with_stem`] with a
/// four-character prefix (`msk_` + 32).
pub const KEY_LEN: usize = 36;

/// A random-looking key: `prefix` and a 32-character base62 body from `seed`
/// (splitmix64). Distinct seeds give distinct keys, the same seed the same
/// key; random bodies pass the placeholder filter.
pub fn fake_key(prefix: &str, seed: u64) -> String {
    let mut x = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut body = String::with_capacity(32);
    for _ in 0..32 {
        x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = x;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        body.push(BASE62[(z % 62) as usize] as char);
    }
    format!("{prefix}{body}")
}

/// A [`KEY_LEN`]-character key that starts with `stem` (e.g. `msk_Qx7v`, the
/// 8 characters reports show), random after it: for keys that share a stem.
pub fn key_with_stem(stem: &str, seed: u64) -> String {
    assert!(
        (4..KEY_LEN).contains(&stem.len()),
        "a stem of 4 to {} characters",
        KEY_LEN - 1
    );
    let body = fake_key("", seed);
    format!("{stem}{}", &body[..KEY_LEN - stem.len()])
}

/// `msk_AbCd…`: a key as reports show it (its first 8 characters and `…`).
pub fn redacted(key: &str) -> String {
    format!("{}…", &key[..8])
}

/// Lower-case hex SHA-256 of `s` (the reports' `secret_sha256`), computed
/// here rather than by the code under test.
pub fn sha256(s: &str) -> String {
    hex::encode(Sha256::digest(s.as_bytes()))
}
