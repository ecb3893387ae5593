//! The matching engine: bytes in, key candidates out. No I/O, no printing.
//!
//! A literal prefilter (Aho-Corasick over the rules' prefixes, which uses
//! SIMD "Teddy" search on x86-64) finds candidate positions; only there do we
//! look at bytes one by one:
//!
//! 1. **boundary** — the byte before the prefix must not be an ASCII letter,
//!    digit or `_` (`task_…`, `mask_…` are not keys; SPEC §1);
//! 2. **body** — a run of base62 characters, ended by the first byte that is
//!    not base62; its length must be within the rule's range (a longer run is
//!    not a key of that rule);
//! 3. **placeholder** — low entropy, repeated characters or dictionary words
//!    ([`placeholder`]) are documentation, not secrets;
//! 4. **inline allow** — a line holding `misar-scan:allow` is not reported.
//!
//! Input may be any bytes: invalid UTF-8 around a key does not matter, and
//! lines of any length cost the same as short ones. A caller that reads a
//! large file in chunks scans each chunk with [`Scanner::find_in`], carrying
//! [`Scanner::overlap`] bytes over so that no key is cut at a chunk edge.

pub mod location;
pub mod placeholder;

use aho_corasick::{AhoCorasick, AhoCorasickKind, Input, MatchKind};

use crate::rules::{Rule, RuleSet};
use location::{LinePos, Locator};

/// The marker that suppresses findings on its line.
pub const ALLOW_MARKER: &[u8] = b"misar-scan:allow";

/// How much of a line a snippet keeps on each side of the key, in bytes.
const SNIPPET_CONTEXT: usize = 80;

/// A key found in a buffer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    /// Index of the rule in the [`RuleSet`] the scanner was built from.
    pub rule: usize,
    /// Offset of the key's first byte.
    pub start: usize,
    /// Offset just past the key's last byte.
    pub end: usize,
}

/// A candidate with its place in the file and the line around it.
#[derive(Debug, Clone)]
pub struct Hit {
    /// Index of the rule.
    pub rule: usize,
    /// The key's bytes (ASCII by construction).
    pub key: String,
    /// Offset of the key in the buffer.
    pub start: usize,
    /// 1-based line.
    pub line: usize,
    /// 1-based column, in UTF-16 code units.
    pub column: usize,
    /// Column just past the key.
    pub end_column: usize,
    /// The source line around the key, sanitised and with every key on it redacted (or not).
    pub snippet: Snippet,
}

/// A line of source for display, made safe to print.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Snippet {
    /// The text: control and bidi characters replaced, clipped to a window around the key.
    pub text: String,
    /// Byte range of the (displayed) key within `text`.
    pub key: std::ops::Range<usize>,
}

#[derive(Debug)]
struct CompiledRule {
    prefix_len: usize,
    min_len: usize,
    max_len: usize,
    min_entropy: f64,
    words: Vec<String>,
}

/// Finds keys of every loaded rule in byte buffers. Cheap to share between threads.
#[derive(Debug)]
pub struct Scanner {
    rules: Vec<CompiledRule>,
    /// Aho-Corasick pattern index → the rules with that prefix.
    by_pattern: Vec<Vec<usize>>,
    prefixes: AhoCorasick,
    longest_prefix: usize,
    max_key_len: usize,
}

const fn base62_table() -> [bool; 256] {
    let mut t = [false; 256];
    let mut i = 0;
    while i < 256 {
        let b = i as u8;
        t[i] = b.is_ascii_alphanumeric();
        i += 1;
    }
    t
}

static BASE62: [bool; 256] = base62_table();

fn continues_word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

impl Scanner {
    /// Compile a scanner for `rules`; `extra_words` extend every rule's placeholder dictionary.
    pub fn new(rules: &RuleSet, extra_words: &[String]) -> Self {
        let mut patterns: Vec<&str> = Vec::new();
        let mut by_pattern: Vec<Vec<usize>> = Vec::new();
        let mut compiled = Vec::new();
        for (i, rule) in rules.rules().iter().enumerate() {
            match patterns.iter().position(|p| *p == rule.prefix) {
                Some(p) => by_pattern[p].push(i),
                None => {
                    patterns.push(&rule.prefix);
                    by_pattern.push(vec![i]);
                }
            }
            compiled.push(compile(rule, extra_words));
        }
        let prefixes = AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostFirst)
            .kind(Some(AhoCorasickKind::DFA))
            .build(&patterns)
            .expect("a handful of short literal prefixes always builds an automaton");
        Self {
            rules: compiled,
            by_pattern,
            longest_prefix: patterns.iter().map(|p| p.len()).max().unwrap_or(0),
            max_key_len: rules.max_key_len(),
            prefixes,
        }
    }

    /// Bytes a chunked reader must carry from one chunk into the next: the
    /// longest key, the byte before it and the byte after it.
    pub fn overlap(&self) -> usize {
        self.max_key_len + 2
    }

    /// Every key in `hay`.
    pub fn find(&self, hay: &[u8], out: &mut Vec<Candidate>) {
        self.find_in(hay, 0, hay.len(), out);
    }

    /// Keys whose prefix starts at an offset in `from..to`. When `from > 0`,
    /// `hay[from - 1]` is the byte before the first possible key; offset 0 is
    /// the start of the input.
    pub fn find_in(&self, hay: &[u8], from: usize, to: usize, out: &mut Vec<Candidate>) {
        let limit = (to + self.longest_prefix).min(hay.len());
        let mut at = from;
        while at < to {
            let Some(m) = self
                .prefixes
                .find(Input::new(&hay[..limit]).range(at..limit))
            else {
                break;
            };
            if m.start() >= to {
                break;
            }
            at = m.start() + 1;
            if m.start() > 0 && continues_word(hay[m.start() - 1]) {
                continue;
            }
            for &r in &self.by_pattern[m.pattern().as_usize()] {
                if let Some(end) = self.accept(r, hay, m.start()) {
                    out.push(Candidate {
                        rule: r,
                        start: m.start(),
                        end,
                    });
                    break;
                }
            }
        }
    }

    /// The end of a key of rule `r` starting at `start`, if there is one.
    fn accept(&self, r: usize, hay: &[u8], start: usize) -> Option<usize> {
        let rule = &self.rules[r];
        let body_start = start + rule.prefix_len;
        let window = &hay[body_start..hay.len().min(body_start + rule.max_len + 1)];
        let len = window
            .iter()
            .position(|&b| !BASE62[b as usize])
            .unwrap_or(window.len());
        if len < rule.min_len || len > rule.max_len {
            return None;
        }
        let body = &window[..len];
        if placeholder::classify(body, rule.min_entropy, &rule.words).is_some() {
            return None;
        }
        let end = body_start + len;
        if line_has_allow_marker(hay, start, end) {
            return None;
        }
        Some(end)
    }

    /// Candidates in `hay[from..to]` turned into hits with line, column and
    /// snippet; `start` says where `hay` begins in its file.
    pub fn hits(
        &self,
        hay: &[u8],
        from: usize,
        to: usize,
        start: LinePos,
        redact: bool,
        scratch: &mut Vec<Candidate>,
    ) -> Vec<Hit> {
        scratch.clear();
        self.find_in(hay, from, to, scratch);
        if scratch.is_empty() {
            return Vec::new();
        }
        let mut locator = Locator::new(hay, start);
        scratch
            .iter()
            .map(|c| {
                let (line, column) = locator.locate(c.start);
                let key = String::from_utf8_lossy(&hay[c.start..c.end]).into_owned();
                let snippet = snippet(hay, locator.line_start(), c, scratch, redact);
                Hit {
                    rule: c.rule,
                    end_column: column + (c.end - c.start),
                    key,
                    start: c.start,
                    line,
                    column,
                    snippet,
                }
            })
            .collect()
    }
}

fn compile(rule: &Rule, extra_words: &[String]) -> CompiledRule {
    let mut words: Vec<String> = rule.placeholder_words.clone();
    words.extend(extra_words.iter().map(|w| w.to_ascii_lowercase()));
    CompiledRule {
        prefix_len: rule.prefix.len(),
        min_len: rule.min_len,
        max_len: rule.max_len,
        min_entropy: rule.min_entropy,
        words,
    }
}

fn line_bounds(hay: &[u8], start: usize, end: usize) -> (usize, usize) {
    let line_start = memchr::memrchr(b'\n', &hay[..start]).map_or(0, |i| i + 1);
    let line_end = memchr::memchr(b'\n', &hay[end..]).map_or(hay.len(), |i| end + i);
    (line_start, line_end)
}

fn line_has_allow_marker(hay: &[u8], start: usize, end: usize) -> bool {
    let (line_start, line_end) = line_bounds(hay, start, end);
    memchr::memmem::find(&hay[line_start..line_end], ALLOW_MARKER).is_some()
}

/// The line around candidate `c`, clipped to a window, sanitised, with every
/// candidate on it shown redacted unless `redact` is false.
fn snippet(
    hay: &[u8],
    line_start: usize,
    c: &Candidate,
    all: &[Candidate],
    redact: bool,
) -> Snippet {
    let (_, line_end) = line_bounds(hay, c.start, c.end);
    let from = line_start.max(c.start.saturating_sub(SNIPPET_CONTEXT));
    let to = line_end.min(c.end + SNIPPET_CONTEXT);
    let mut text = String::new();
    if from > line_start {
        text.push('…');
    }
    let mut key = 0..0;
    let mut at = from;
    for other in all.iter().filter(|o| o.end > from && o.start < to) {
        if other.start > at {
            push_sanitised(&mut text, &hay[at..other.start]);
        }
        let shown_from = other.start.max(at);
        let raw = String::from_utf8_lossy(&hay[other.start..other.end]);
        let begin = text.len();
        if redact {
            text.push_str(&crate::secret::redact(&raw));
        } else {
            push_sanitised(&mut text, &hay[shown_from..other.end.min(to)]);
        }
        if other == c {
            key = begin..text.len();
        }
        at = other.end.min(to).max(at);
    }
    if at < to {
        push_sanitised(&mut text, &hay[at..to]);
    }
    let trimmed = text.trim_end_matches(['\r', ' ']).len().max(key.end);
    text.truncate(trimmed);
    if to < line_end {
        text.push('…');
    }
    Snippet { text, key }
}

/// Append `bytes` as text, with invalid UTF-8 as U+FFFD and control and bidi
/// characters (which could disguise what a terminal shows) replaced.
fn push_sanitised(out: &mut String, bytes: &[u8]) {
    for ch in String::from_utf8_lossy(bytes).chars() {
        let unsafe_char = (ch.is_control() && ch != '\t')
            || matches!(ch, '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}');
        out.push(if unsafe_char { '\u{FFFD}' } else { ch });
    }
}

/// A rule example that did not behave as the rule file says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExampleFailure {
    /// The rule.
    pub rule_id: String,
    /// The example text (redacted in messages).
    pub example: String,
    /// What went wrong.
    pub problem: String,
}

impl std::fmt::Display for ExampleFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "rule `{}`: {} in example `{}`",
            self.rule_id,
            self.problem,
            crate::secret::redact(&self.example)
        )
    }
}

/// Run every rule against its own `examples` (each must yield exactly one
/// finding, of that rule) and `negative_examples` (none at all).
pub fn check_rule_examples(rules: &RuleSet) -> Vec<ExampleFailure> {
    let scanner = Scanner::new(rules, &[]);
    let mut failures = Vec::new();
    for (i, rule) in rules.rules().iter().enumerate() {
        let mut found = Vec::new();
        for example in &rule.examples {
            found.clear();
            scanner.find(example.as_bytes(), &mut found);
            let problem = match found.as_slice() {
                [one] if one.rule == i => continue,
                [one] => format!("matched rule `{}` instead", rules.rules()[one.rule].id),
                [] => "no finding".to_string(),
                many => format!("{} findings instead of one", many.len()),
            };
            failures.push(ExampleFailure {
                rule_id: rule.id.clone(),
                example: example.clone(),
                problem,
            });
        }
        for example in &rule.negative_examples {
            found.clear();
            scanner.find(example.as_bytes(), &mut found);
            if !found.is_empty() {
                failures.push(ExampleFailure {
                    rule_id: rule.id.clone(),
                    example: example.clone(),
                    problem: format!("{} finding(s) in a negative example", found.len()),
                });
            }
        }
    }
    failures
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "msk_u8jzPde0IgxLd6GncfBAepfJBd0Kh8oO"; // misar-scan:allow (fake test key)
    const KEY2: &str = "ask_CsMehGAkWvj7FAc9QeWJKY40uvSwMFLZ"; // misar-scan:allow (fake test key)

    fn scanner() -> Scanner {
        Scanner::new(&RuleSet::embedded().unwrap(), &[])
    }

    fn spans(hay: &[u8]) -> Vec<(usize, usize)> {
        let mut out = Vec::new();
        scanner().find(hay, &mut out);
        out.iter().map(|c| (c.start, c.end)).collect()
    }

    #[test]
    fn finds_key_at_start_and_end_without_newline() {
        assert_eq!(spans(KEY.as_bytes()), [(0, KEY.len())]);
        let hay = format!("x = {KEY}");
        assert_eq!(spans(hay.as_bytes()), [(4, hay.len())]);
    }

    #[test]
    fn boundary_rule() {
        for glued in ["t", "m", "fl", "x", "1", "_"] {
            let hay = format!("{glued}{KEY}");
            assert!(spans(hay.as_bytes()).is_empty(), "{hay}");
        }
        for ok in ["\"", "=", ":", " ", "Bearer ", "\t", "-", "/", "\u{e9}"] {
            let hay = format!("{ok}{KEY}");
            assert_eq!(spans(hay.as_bytes()).len(), 1, "{hay:?}");
        }
    }

    #[test]
    fn body_longer_than_max_is_not_a_key() {
        let long = format!("msk_{}", "aB3".repeat(43)); // 129
        assert!(spans(long.as_bytes()).is_empty());
        let max = format!("msk_{}", &"u8jzPde0IgxLd6GncfBAepfJBd0Kh8oO".repeat(4)); // 128
        assert_eq!(spans(max.as_bytes()).len(), 1);
    }

    #[test]
    fn several_keys_on_one_line() {
        let hay = format!("a={KEY},b={KEY2};c=\"{KEY}\"");
        assert_eq!(spans(hay.as_bytes()).len(), 3);
    }

    #[test]
    fn crlf_and_invalid_utf8_around_keys() {
        let mut hay = b"line one\r\n\xff\xfe".to_vec();
        hay.extend_from_slice(KEY.as_bytes());
        hay.extend_from_slice(b"\xc3\r\nnext");
        let s = scanner();
        let hits = s.hits(&hay, 0, hay.len(), LinePos::START, true, &mut Vec::new());
        assert_eq!(hits.len(), 1);
        assert_eq!((hits[0].line, hits[0].column), (2, 3));
        assert_eq!(hits[0].key, KEY);
        assert!(!hits[0].snippet.text.contains(KEY));
        assert_eq!(
            &hits[0].snippet.text[hits[0].snippet.key.clone()],
            "msk_u8jz…"
        );
    }

    #[test]
    fn allow_marker_on_the_same_line_suppresses() {
        let hay = format!("k = \"{KEY}\" # misar-scan:allow\nk2 = \"{KEY2}\"");
        assert_eq!(spans(hay.as_bytes()).len(), 1);
    }

    #[test]
    fn five_megabyte_single_line() {
        let mut hay = vec![b'a'; 5 << 20];
        hay.extend_from_slice(b";var k=\"");
        hay.extend_from_slice(KEY.as_bytes());
        hay.extend_from_slice(b"\";");
        hay.extend(std::iter::repeat_n(b'z', 1 << 20));
        let s = scanner();
        let hits = s.hits(&hay, 0, hay.len(), LinePos::START, true, &mut Vec::new());
        assert_eq!(hits.len(), 1);
        assert_eq!(hits[0].line, 1);
        assert_eq!(hits[0].column, (5 << 20) + 9);
        assert!(hits[0].snippet.text.len() < 400);
    }

    #[test]
    fn chunked_search_finds_keys_cut_at_the_edge() {
        let s = scanner();
        let mut hay = b"xx\n".to_vec();
        hay.extend_from_slice(KEY.as_bytes());
        hay.push(b'\n');
        // Keys must be found once whichever chunk edge we choose.
        for to in 0..hay.len() {
            let mut a = Vec::new();
            s.find_in(&hay, 0, to, &mut a);
            s.find_in(&hay, to.max(1), hay.len(), &mut a);
            assert_eq!(a.len(), 1, "edge {to}");
        }
    }

    #[test]
    fn no_redact_shows_the_key_in_the_snippet() {
        let hay = format!("k={KEY}");
        let s = scanner();
        let hits = s.hits(
            hay.as_bytes(),
            0,
            hay.len(),
            LinePos::START,
            false,
            &mut Vec::new(),
        );
        assert_eq!(hits[0].snippet.text, hay);
    }

    #[test]
    fn control_and_bidi_characters_are_replaced() {
        let hay = format!("\u{202E}x\u{1b}[31m={KEY}");
        let s = scanner();
        let hits = s.hits(
            hay.as_bytes(),
            0,
            hay.len(),
            LinePos::START,
            true,
            &mut Vec::new(),
        );
        assert!(!hits[0].snippet.text.contains('\u{202E}'));
        assert!(!hits[0].snippet.text.contains('\u{1b}'));
    }
}
