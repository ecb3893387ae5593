//! Placeholder and low-entropy suppression (SPEC §1).
//!
//! Documentation placeholders (`msk_YourApiKeyGoesHere`, `msk_xxxxxxxx…`,
//! `msk_0123456789abcdef…`) have the shape of a key but are not live secrets.
//! A body is a placeholder when its Shannon entropy is below the rule's
//! minimum, when it repeats one character or one short unit, or when most of
//! it is made of dictionary words and counting sequences. Real keys are
//! random base62: a 20-character random body has about 4 bits of entropy per
//! character and essentially never 60 % dictionary coverage.

/// Why a body was taken for a placeholder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placeholder {
    /// Entropy below the rule's `min_entropy`.
    LowEntropy,
    /// A character repeated six or more times in a row, or a short unit repeated.
    Repeated,
    /// Mostly dictionary words and sequences such as `12345` or `abcde`.
    Words,
}

/// Words that make up documentation placeholders. Lower case, 3+ letters.
const WORDS: &[&str] = &[
    "abc",
    "access",
    "account",
    "actual",
    "add",
    "admin",
    "api",
    "app",
    "application",
    "assisters",
    "auth",
    "bar",
    "baz",
    "blank",
    "change",
    "changeme",
    "client",
    "code",
    "config",
    "copy",
    "create",
    "default",
    "demo",
    "deploy",
    "dev",
    "development",
    "dummy",
    "empty",
    "enter",
    "example",
    "fake",
    "fill",
    "fixme",
    "fixture",
    "foo",
    "foobar",
    "generated",
    "goes",
    "here",
    "hidden",
    "hmac",
    "immediately",
    "insert",
    "invalid",
    "key",
    "keys",
    "live",
    "local",
    "mail",
    "misar",
    "mock",
    "my",
    "new",
    "none",
    "not",
    "null",
    "old",
    "once",
    "paste",
    "password",
    "personal",
    "placeholder",
    "private",
    "prod",
    "production",
    "project",
    "public",
    "put",
    "qux",
    "random",
    "real",
    "redacted",
    "replace",
    "replaceme",
    "sample",
    "sandbox",
    "secret",
    "secrets",
    "server",
    "service",
    "shown",
    "signing",
    "some",
    "staging",
    "store",
    "string",
    "stub",
    "test",
    "testing",
    "tests",
    "text",
    "this",
    "todo",
    "token",
    "undefined",
    "user",
    "valid",
    "value",
    "webhook",
    "whsec",
    "with",
    "xxx",
    "your",
    "yours",
    "zzz",
];

/// Shannon entropy of `body` in bits per byte.
pub fn entropy(body: &[u8]) -> f64 {
    if body.is_empty() {
        return 0.0;
    }
    let mut counts = [0u32; 256];
    for &b in body {
        counts[b as usize] += 1;
    }
    let n = body.len() as f64;
    counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = f64::from(c) / n;
            -p * p.log2()
        })
        .sum()
}

/// Classify `body` (the part after the prefix); `None` means it looks like a real key.
pub fn classify(body: &[u8], min_entropy: f64, extra_words: &[String]) -> Option<Placeholder> {
    if entropy(body) < min_entropy {
        return Some(Placeholder::LowEntropy);
    }
    if longest_run(body) >= 6 || repeats_short_unit(body) {
        return Some(Placeholder::Repeated);
    }
    if word_coverage(body, extra_words) * 10 >= body.len() * 6 {
        return Some(Placeholder::Words);
    }
    None
}

fn longest_run(body: &[u8]) -> usize {
    let mut best = 0;
    let mut run = 0;
    let mut prev = None;
    for &b in body {
        run = if prev == Some(b) { run + 1 } else { 1 };
        prev = Some(b);
        best = best.max(run);
    }
    best
}

/// `abcabcabc…`: the body is one unit of up to 4 characters, repeated.
fn repeats_short_unit(body: &[u8]) -> bool {
    (1..=4).any(|unit| {
        body.len() >= unit * 3 && body.iter().enumerate().all(|(i, &b)| b == body[i % unit])
    })
}

/// How many bytes of `body` are covered by dictionary words (case-insensitive)
/// and by counting sequences of 5+ (`12345`, `abcde`, `98765`).
fn word_coverage(body: &[u8], extra_words: &[String]) -> usize {
    let lower: Vec<u8> = body.iter().map(u8::to_ascii_lowercase).collect();
    let n = lower.len();
    // best[i]: the most bytes of lower[..i] that words and sequences can cover.
    let mut best = vec![0usize; n + 1];
    let seq_end = sequence_ends(&lower);
    for i in 0..n {
        best[i + 1] = best[i + 1].max(best[i]);
        let words = WORDS
            .iter()
            .map(|w| w.as_bytes())
            .chain(extra_words.iter().map(String::as_bytes));
        for w in words {
            if w.len() >= 3 && lower[i..].starts_with(w) {
                let j = i + w.len();
                best[j] = best[j].max(best[i] + w.len());
            }
        }
        if let Some(j) = seq_end[i] {
            best[j] = best[j].max(best[i] + (j - i));
        }
    }
    best[n]
}

/// For each start, the end of the longest counting sequence (step +1 or −1) of 5+ there.
fn sequence_ends(s: &[u8]) -> Vec<Option<usize>> {
    let n = s.len();
    (0..n)
        .map(|i| {
            [1i16, -1]
                .iter()
                .map(|&step| {
                    let mut j = i + 1;
                    while j < n && i16::from(s[j]) - i16::from(s[j - 1]) == step {
                        j += 1;
                    }
                    j
                })
                .max()
                .filter(|&j| j - i >= 5)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(body: &str) -> Option<Placeholder> {
        classify(body.as_bytes(), 3.0, &[])
    }

    #[test]
    fn random_bodies_are_not_placeholders() {
        for body in [
            "u8jzPde0IgxLd6GncfBAepfJBd0Kh8oO",
            "OL8dKLzdocJ2isAjIhKtJ0RlgLKOmxgJTeKdNnFR",
            "IBXuDL7DxtpYlSXpfKtHF4vU",
        ] {
            assert_eq!(check(body), None, "{body}");
        }
    }

    #[test]
    fn placeholders_are_recognised() {
        assert_eq!(
            check("xxxxxxxxxxxxxxxxxxxxxxxx"),
            Some(Placeholder::LowEntropy)
        );
        assert_eq!(
            check("abcabcabcabcabcabcabcabc"),
            Some(Placeholder::LowEntropy)
        );
        assert_eq!(
            check("YourMisarMailApiKeyGoesHere"),
            Some(Placeholder::Words)
        );
        assert_eq!(
            check("0123456789abcdefghijklmnop"),
            Some(Placeholder::Words)
        );
        assert_eq!(check("test1234567890ABCDEFGHIJ"), Some(Placeholder::Words));
        assert_eq!(
            check("Ab3dE6gH1jKmmmmmmmq2Wz9R"),
            Some(Placeholder::Repeated)
        );
    }

    #[test]
    fn extra_words_extend_the_dictionary() {
        let body = "AcmeCorpWidgetFactoryQz";
        assert_eq!(check(body), None);
        let extra = [
            "acme".to_string(),
            "corp".into(),
            "widget".into(),
            "factory".into(),
        ];
        assert_eq!(
            classify(body.as_bytes(), 3.0, &extra),
            Some(Placeholder::Words)
        );
    }

    #[test]
    fn entropy_bounds() {
        assert_eq!(entropy(b"aaaa"), 0.0);
        assert!((entropy(b"abcd") - 2.0).abs() < 1e-9);
    }
}
