//! Property tests for the matcher: a key planted anywhere in random bytes,
//! between characters that cannot continue a key, is always found at its
//! offset; and arbitrary input never panics.

use misar_scan::engine::location::LinePos;
use misar_scan::engine::{Candidate, Scanner};
use misar_scan::rules::RuleSet;
use proptest::prelude::*;

const BASE62: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

fn scanner() -> Scanner {
    Scanner::new(&RuleSet::embedded().unwrap(), &[])
}

/// A random base62 body of 20–128 characters that is not a placeholder.
fn body() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(BASE62), 24..=128)
        .prop_map(|v| String::from_utf8(v).unwrap())
        .prop_filter("random bodies only", |b| {
            misar_scan::engine::placeholder::classify(b.as_bytes(), 3.0, &[]).is_none()
        })
}

/// A byte that may stand before a key (not a letter, digit or `_`).
fn before() -> impl Strategy<Value = u8> {
    any::<u8>().prop_filter("boundary", |b| !(b.is_ascii_alphanumeric() || *b == b'_'))
}

/// A byte that ends a key (not base62).
fn after() -> impl Strategy<Value = u8> {
    any::<u8>().prop_filter("end", |b| !b.is_ascii_alphanumeric())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn planted_key_is_found_at_its_offset(
        head in prop::collection::vec(any::<u8>(), 0..300),
        tail in prop::collection::vec(any::<u8>(), 0..300),
        prefix in prop::sample::select(vec!["msk_", "ask_", "mdk_"]),
        body in body(),
        b in before(),
        a in after(),
        at_start in any::<bool>(),
        at_end in any::<bool>(),
    ) {
        let key = format!("{prefix}{body}");
        let mut hay = Vec::new();
        if !at_start {
            hay.extend_from_slice(&head);
            hay.push(b);
        }
        let start = hay.len();
        hay.extend_from_slice(key.as_bytes());
        if !at_end {
            hay.push(a);
            hay.extend_from_slice(&tail);
        }
        let mut found: Vec<Candidate> = Vec::new();
        scanner().find(&hay, &mut found);
        // Random noise never holds "misar-scan:allow" by chance in 600 bytes.
        prop_assert!(
            found.iter().any(|c| c.start == start && c.end == start + key.len()),
            "key at {} not found in {:?}", start, found
        );
    }

    #[test]
    fn arbitrary_input_never_panics(hay in prop::collection::vec(any::<u8>(), 0..4096)) {
        let s = scanner();
        let hits = s.hits(&hay, 0, hay.len(), LinePos::START, true, &mut Vec::new());
        for h in hits {
            prop_assert!(h.line >= 1 && h.column >= 1);
        }
    }

    #[test]
    fn keys_glued_to_a_word_are_never_found(
        glue in prop::sample::select(BASE62.iter().copied().chain([b'_']).collect::<Vec<u8>>()),
        prefix in prop::sample::select(vec!["msk_", "ask_", "mdk_"]),
        body in body(),
    ) {
        let hay = format!("{}{prefix}{body}", glue as char);
        let mut found = Vec::new();
        scanner().find(hay.as_bytes(), &mut found);
        prop_assert!(found.is_empty());
    }
}
