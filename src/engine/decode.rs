//! Encoded views of keys (SPEC §1: "keys leak in encoded form too").
//!
//! Decoding every base64 run or every UTF-16 file would make the common case
//! slow, so each encoding contributes *literals* to the prefilter instead:
//! the images of each rule's prefix in that encoding. Only where one matches
//! do we decode a small window around it and run the ordinary key checks on
//! the decoded bytes. A finding is reported at the location of the encoded
//! text.
//!
//! | encoding | literals per prefix (`msk_`) | decoded around a hit |
//! |---|---|---|
//! | base64 (standard and URL-safe, padded or not, wrapped or not) | the characters fully determined by the prefix at each of the 3 byte alignments (`bXNrX`, …) | the quanta around the hit, line wraps skipped |
//! | percent-encoding | `msk%` (then `5F` or `5f`) | the prefix's last byte; the body is plain base62 |
//! | `\uXXXX`, `\xNN` escapes | `msk\` (then `u005f` or `x5f`) | the prefix's last byte |
//! | UTF-16 LE / BE | `m\0s\0k\0_\0`, `\0m\0s\0k\0_` | the ASCII code units that follow |
//!
//! The byte before a key is also read through escapes (`decoded_prev`): in
//! `%3Dmsk_…` or `"\nmsk_…"` the key is preceded by `=` or a newline, not by a
//! letter, so the boundary rule of SPEC §1 holds on the decoded text.

use base64::alphabet;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use base64::Engine as _;

/// How a key was written where it was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Encoding {
    /// As is.
    Raw,
    /// Base64 (standard or URL-safe alphabet).
    Base64,
    /// The prefix percent-encoded (`msk%5F…`).
    Percent,
    /// The prefix written with `\uXXXX` or `\xNN` escapes.
    Escape,
    /// UTF-16 little-endian text.
    Utf16Le,
    /// UTF-16 big-endian text.
    Utf16Be,
}

impl Encoding {
    /// The encoding with this report name.
    pub fn parse(name: &str) -> Option<Self> {
        [
            Self::Raw,
            Self::Base64,
            Self::Percent,
            Self::Escape,
            Self::Utf16Le,
            Self::Utf16Be,
        ]
        .into_iter()
        .find(|e| e.as_str() == name)
    }

    /// The name used in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Raw => "raw",
            Self::Base64 => "base64",
            Self::Percent => "percent",
            Self::Escape => "escape",
            Self::Utf16Le => "utf16le",
            Self::Utf16Be => "utf16be",
        }
    }
}

/// What a prefilter literal stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Trigger {
    /// The prefix itself.
    Raw,
    /// The prefix with its last byte escaped (the literal ends with the
    /// escape's `%` or `\\`); the body follows as plain base62.
    EscapedLast(Encoding),
    /// Base64 characters determined by the prefix: the literal starts at
    /// character `offset` of a 4-character quantum, and `lead` decoded bytes of
    /// that quantum come before the prefix.
    Base64 { offset: usize, lead: usize },
    /// UTF-16 code units.
    Utf16 { big_endian: bool },
    /// Base64 characters determined by a [`CARRIERS`] text (as for
    /// [`Trigger::Base64`]): the base64 after it is decoded and scanned
    /// once more, for keys base64-encoded twice.
    Nested { offset: usize, lead: usize },
}

/// Texts that announce base64 inside base64: the `"auth"` of a Docker
/// `config.json` (base64 of `user:password`, itself base64-encoded whole in
/// a Kubernetes `.dockerconfigjson`) and an HTTP `Basic ` header value.
/// Their base64 images are prefilter literals; only where one matches is
/// the base64 that follows decoded ([`NESTED_WINDOW`] bytes at most) and
/// scanned again, one level deep. A general second level (the base64 images
/// of every prefix's base64 images) would need 27 more literals and take the
/// prefilter past the 32 that its fastest search handles.
pub(crate) const CARRIERS: &[&[u8]] = &[b"\"auth\"", b"Basic "];

/// Decoded bytes scanned after a [`CARRIERS`] image.
pub(crate) const NESTED_WINDOW: usize = 3072;

/// Decoded bytes after a carrier that its key is expected within: a carrier
/// closer than this to the end of the window decoded for an earlier one
/// is decoded again, so no key is missed and no byte is decoded more than
/// about twice.
pub(crate) const NESTED_REACH: usize = 1024;

/// The prefilter literals of [`CARRIERS`] (their base64 images at the three alignments).
pub(crate) fn carrier_literals() -> Vec<(Vec<u8>, Trigger)> {
    let mut out = Vec::new();
    for carrier in CARRIERS {
        for lead in 0..3 {
            let (lit, offset) = base64_image(carrier, lead);
            out.push((lit, Trigger::Nested { offset, lead }));
        }
    }
    out
}

/// The literals for `prefix`: the raw prefix first, then (with `decode`) its encoded images.
pub(crate) fn literals(prefix: &str, decode: bool) -> Vec<(Vec<u8>, Trigger)> {
    let mut out = vec![(prefix.as_bytes().to_vec(), Trigger::Raw)];
    if !decode {
        return out;
    }
    let bytes = prefix.as_bytes();
    // `msk%5F…`, `msk\u005f…`, `msk\x5f…`: the escape itself is checked at the hit,
    // so two literals cover every escape and both hex cases.
    let head = &bytes[..bytes.len() - 1];
    for (intro, encoding) in [(b'%', Encoding::Percent), (b'\\', Encoding::Escape)] {
        out.push(([head, &[intro]].concat(), Trigger::EscapedLast(encoding)));
    }
    out.push((
        bytes.iter().flat_map(|&b| [b, 0]).collect(),
        Trigger::Utf16 { big_endian: false },
    ));
    out.push((
        bytes.iter().flat_map(|&b| [0, b]).collect(),
        Trigger::Utf16 { big_endian: true },
    ));
    for lead in 0..3 {
        let (lit, offset) = base64_image(bytes, lead);
        let url: Vec<u8> = lit
            .iter()
            .map(|&c| match c {
                b'+' => b'-',
                b'/' => b'_',
                c => c,
            })
            .collect();
        let trigger = Trigger::Base64 { offset, lead };
        if url != lit {
            out.push((url, trigger));
        }
        out.push((lit, trigger));
    }
    let mut seen = std::collections::HashSet::new();
    out.retain(|(lit, _)| seen.insert(lit.clone()));
    out
}

/// The base64 characters fully determined by `prefix` when `lead` unknown
/// bytes precede it in its 3-byte group, and the index of the first of them
/// within its 4-character quantum.
fn base64_image(prefix: &[u8], lead: usize) -> (Vec<u8>, usize) {
    let total = (lead + prefix.len()).div_ceil(3) * 3;
    let with = |fill: u8| -> Vec<u8> {
        let mut v = vec![fill; total];
        v[lead..lead + prefix.len()].copy_from_slice(prefix);
        base64::engine::general_purpose::STANDARD
            .encode(&v)
            .into_bytes()
    };
    let (zeros, ones) = (with(0x00), with(0xFF));
    let fixed: Vec<bool> = zeros.iter().zip(&ones).map(|(a, b)| a == b).collect();
    // The longest run of determined characters.
    let (mut best, mut run_start) = ((0, 0), None);
    for i in 0..=fixed.len() {
        match (fixed.get(i).copied().unwrap_or(false), run_start) {
            (true, None) => run_start = Some(i),
            (false, Some(s)) => {
                if i - s > best.1 - best.0 {
                    best = (s, i);
                }
                run_start = None;
            }
            _ => {}
        }
    }
    (zeros[best.0..best.1].to_vec(), best.0 % 4)
}

fn is_b64(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'-' | b'_')
}

/// A line wrap inside base64 ends at `end`: `\r?\n` and the next line's
/// indentation. Returns where it starts.
fn wrap_before(hay: &[u8], end: usize) -> Option<usize> {
    let mut i = end;
    while i > 0 && matches!(hay[i - 1], b' ' | b'\t') {
        i -= 1;
    }
    if i == 0 || hay[i - 1] != b'\n' {
        return None;
    }
    i -= 1;
    if i > 0 && hay[i - 1] == b'\r' {
        i -= 1;
    }
    Some(i)
}

/// A line wrap inside base64 starts at `start`: returns where it ends.
fn wrap_after(hay: &[u8], start: usize) -> Option<usize> {
    let mut j = start;
    if hay.get(j) == Some(&b'\r') {
        j += 1;
    }
    if hay.get(j) != Some(&b'\n') {
        return None;
    }
    j += 1;
    while j < hay.len() && matches!(hay[j], b' ' | b'\t') {
        j += 1;
    }
    Some(j)
}

/// A decoded base64 window.
#[derive(Debug)]
pub(crate) struct Base64Window {
    /// Decoded bytes.
    pub decoded: Vec<u8>,
    /// Offset of the prefix in `decoded`.
    pub prefix_at: usize,
    /// Position in the haystack of each base64 character used, in order.
    positions: Vec<usize>,
}

impl Base64Window {
    /// Just past the last haystack character decoded.
    pub fn end(&self) -> usize {
        self.positions.last().map_or(0, |&p| p + 1)
    }

    /// The haystack span of the characters that encode `decoded[from..to]`.
    pub fn span(&self, from: usize, to: usize) -> (usize, usize) {
        let first = (from / 3) * 4 + from % 3;
        let last = (to * 4).div_ceil(3).max(first + 1) - 1;
        let at = |i: usize| self.positions[i.min(self.positions.len() - 1)];
        (at(first), at(last) + 1)
    }
}

/// Decode the base64 around a literal found at `pos`, long enough to hold a
/// key of `max_key` bytes; `None` when the characters before the literal
/// cannot hold its alignment.
pub(crate) fn base64_window(
    hay: &[u8],
    pos: usize,
    offset: usize,
    lead: usize,
    max_key: usize,
) -> Option<Base64Window> {
    // Characters before the literal: the rest of its quantum and one quantum
    // more for the byte before the prefix, skipping line wraps.
    let mut before = Vec::new();
    let mut i = pos;
    while i > 0 && before.len() < offset + 4 {
        if is_b64(hay[i - 1]) {
            before.push(i - 1);
            i -= 1;
        } else {
            match wrap_before(hay, i) {
                Some(start) if start > 0 && is_b64(hay[start - 1]) => i = start,
                _ => break,
            }
        }
    }
    if before.len() < offset {
        return None;
    }
    let keep = if before.len() >= offset + 4 {
        offset + 4
    } else {
        offset
    };
    before.truncate(keep);
    before.reverse();
    let need = (lead + max_key + 2).div_ceil(3) * 4 + 4;
    let mut positions = before;
    let mut j = pos;
    while j < hay.len() && positions.len() < keep + need {
        if is_b64(hay[j]) {
            positions.push(j);
            j += 1;
        } else {
            match wrap_after(hay, j) {
                Some(end) if end < hay.len() && is_b64(hay[end]) => j = end,
                _ => break,
            }
        }
    }
    let mut chars: Vec<u8> = positions
        .iter()
        .map(|&p| match hay[p] {
            b'-' => b'+',
            b'_' => b'/',
            c => c,
        })
        .collect();
    if chars.len() % 4 == 1 {
        chars.pop();
        positions.pop();
    }
    let engine = GeneralPurpose::new(
        &alphabet::STANDARD,
        GeneralPurposeConfig::new()
            .with_decode_allow_trailing_bits(true)
            .with_decode_padding_mode(DecodePaddingMode::RequireNone),
    );
    let decoded = engine.decode(&chars).ok()?;
    let quanta_before = (keep - offset) / 4;
    Some(Base64Window {
        decoded,
        prefix_at: quanta_before * 3 + lead,
        positions,
    })
}

/// The ASCII text of UTF-16 code units from `pos` (at most `max` characters),
/// and the character before `pos` (`None` at the start or when not ASCII).
pub(crate) fn utf16_ascii(
    hay: &[u8],
    pos: usize,
    big_endian: bool,
    max: usize,
) -> (Vec<u8>, Option<u8>) {
    let unit = |i: usize| -> Option<u8> {
        let pair = hay.get(i..i + 2)?;
        let (hi, lo) = if big_endian {
            (pair[0], pair[1])
        } else {
            (pair[1], pair[0])
        };
        (hi == 0 && lo < 0x80).then_some(lo)
    };
    let text = (0..max).map_while(|k| unit(pos + 2 * k)).collect();
    let prev = if pos >= 2 { unit(pos - 2) } else { None };
    (text, prev)
}

/// The byte written by the escape at `pos` (`%5F`, `\u005f`, `\x5F`) and
/// the escape's length.
pub(crate) fn escape_at(hay: &[u8], pos: usize) -> Option<(u8, usize)> {
    let hex = |from: usize, len: usize| -> Option<u32> {
        let s = std::str::from_utf8(hay.get(from..from + len)?).ok()?;
        u32::from_str_radix(s, 16).ok()
    };
    let (value, len) = match (hay.get(pos)?, hay.get(pos + 1)) {
        (b'%', _) => (hex(pos + 1, 2)?, 3),
        (b'\\', Some(b'u')) => (hex(pos + 2, 4)?, 6),
        (b'\\', Some(b'x')) => (hex(pos + 2, 2)?, 4),
        _ => return None,
    };
    Some((u8::try_from(value).ok().filter(u8::is_ascii)?, len))
}

/// The byte before `pos`, read through an escape that ends there: `%3D` → `=`,
/// `\u003d` → `=`, `\x3d` → `=`, `\n` → newline. Non-ASCII escapes read as a
/// space (they are not ASCII letters or digits).
pub(crate) fn decoded_prev(hay: &[u8], pos: usize) -> Option<u8> {
    let before = &hay[..pos];
    let hex = |s: &[u8]| -> Option<u32> {
        std::str::from_utf8(s)
            .ok()
            .and_then(|s| u32::from_str_radix(s, 16).ok())
    };
    let ascii = |v: u32| u8::try_from(v).ok().filter(u8::is_ascii).unwrap_or(b' ');
    let n = before.len();
    if n >= 3 && before[n - 3] == b'%' {
        if let Some(v) = hex(&before[n - 2..]) {
            return Some(ascii(v));
        }
    }
    if n >= 6 && before[n - 6] == b'\\' && before[n - 5] == b'u' {
        if let Some(v) = hex(&before[n - 4..]) {
            return Some(ascii(v));
        }
    }
    if n >= 4 && before[n - 4] == b'\\' && before[n - 3] == b'x' {
        if let Some(v) = hex(&before[n - 2..]) {
            return Some(ascii(v));
        }
    }
    if n >= 2
        && before[n - 2] == b'\\'
        && matches!(before[n - 1], b'n' | b'r' | b't' | b'b' | b'f' | b'0')
    {
        return Some(b'\n');
    }
    before.last().copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_images_of_a_prefix() {
        assert_eq!(base64_image(b"msk_", 0), (b"bXNrX".to_vec(), 0));
        // Each image is found in the encoding of text holding the prefix at that alignment.
        for lead in 0..3 {
            let (lit, _) = base64_image(b"ask_", lead);
            let text = format!("{}ask_Zq8Lp2Xv9Rk4", "x".repeat(lead + 3));
            let enc = base64::engine::general_purpose::STANDARD.encode(text);
            assert!(
                enc.contains(std::str::from_utf8(&lit).unwrap()),
                "lead {lead}: {enc}"
            );
        }
    }

    #[test]
    fn literals_cover_every_encoding() {
        let lits = literals("msk_", true);
        let has = |s: &[u8]| lits.iter().any(|(l, _)| l == s);
        assert!(has(b"msk_"));
        assert!(has(b"msk%") && has(b"msk\\"));
        assert!(has(b"m\0s\0k\0_\0") && has(b"\0m\0s\0k\0_"));
        assert!(has(b"bXNrX"));
        assert_eq!(literals("msk_", false).len(), 1);
    }

    #[test]
    fn escapes_are_read() {
        assert_eq!(escape_at(b"%5Fx", 0), Some((b'_', 3)));
        assert_eq!(escape_at(b"\\u005f", 0), Some((b'_', 6)));
        assert_eq!(escape_at(b"\\x5F", 0), Some((b'_', 4)));
        assert_eq!(escape_at(b"%G1", 0), None);
        assert_eq!(escape_at(b"\\u00e9", 0), None);
    }

    #[test]
    fn every_rule_prefix_stays_under_the_slim_teddy_limit() {
        // aho-corasick's fast (slim) Teddy prefilter handles up to 32
        // literals; past them it is slower on x86-64 and gone on aarch64.
        let n: usize = ["msk_", "ask_", "mdk_"]
            .iter()
            .map(|p| literals(p, true).len())
            .sum::<usize>()
            + carrier_literals().len();
        assert!(n <= 32, "{n} literals");
    }

    #[test]
    fn carrier_images_are_long_enough_to_be_rare() {
        for (lit, _) in carrier_literals() {
            assert!(lit.len() >= 6, "{}", String::from_utf8_lossy(&lit));
        }
    }

    #[test]
    fn escapes_before_a_key_are_decoded() {
        assert_eq!(decoded_prev(b"a=%3D", 5), Some(b'='));
        assert_eq!(decoded_prev(b"\\u003d", 6), Some(b'='));
        assert_eq!(decoded_prev(b"\\x41", 4), Some(b'A'));
        assert_eq!(decoded_prev(b"line\\n", 6), Some(b'\n'));
        assert_eq!(decoded_prev(b"\\u00e9", 6), Some(b' '));
        assert_eq!(decoded_prev(b"ab", 2), Some(b'b'));
        assert_eq!(decoded_prev(b"", 0), None);
    }

    #[test]
    fn utf16_units_decode() {
        let le: Vec<u8> = "=msk_AB"
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect();
        let (text, prev) = utf16_ascii(&le, 2, false, 100);
        assert_eq!((text.as_slice(), prev), (&b"msk_AB"[..], Some(b'=')));
    }
}
