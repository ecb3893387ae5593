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
//! With decoding on (the default), the prefilter also looks for the images
//! of each prefix in base64, percent-encoding, `\u`/`\x` escapes and UTF-16,
//! and decodes only around those hits ([`decode`]); after the base64 image
//! of a text that announces base64 inside base64 (`decode::CARRIERS`) it
//! decodes a bounded window and scans it once more, one level deep.
//!
//! The webhook content lints ([`content`]) match the same buffers for
//! hard-coded signing secrets and signatures compared in variable time.
//!
//! Input may be any bytes: invalid UTF-8 around a key does not matter, and
//! lines of any length cost the same as short ones. A caller that reads a
//! large file in chunks scans each chunk with [`Scanner::find_in`], carrying
//! [`Scanner::overlap`] bytes over so that no key is cut at a chunk edge.

pub mod content;
pub mod decode;
pub mod location;
pub mod placeholder;

use aho_corasick::{AhoCorasick, AhoCorasickKind, Input, MatchKind};

use crate::rules::{Rule, RuleSet};
use decode::{Encoding, Trigger};
use location::{LinePos, Locator};

/// The marker that suppresses findings on its line.
pub const ALLOW_MARKER: &[u8] = b"misar-scan:allow";

/// How much of a line a snippet keeps on each side of the key, in bytes.
const SNIPPET_CONTEXT: usize = 80;

/// A key found in a buffer. `Debug` shows the key redacted.
#[derive(Clone, PartialEq, Eq)]
pub struct Candidate {
    /// Index of the rule in the [`RuleSet`] the scanner was built from.
    pub rule: usize,
    /// Offset of the key's first byte.
    pub start: usize,
    /// Offset just past the key's last byte (of its encoded form).
    pub end: usize,
    /// The key, decoded.
    pub key: String,
    /// How it was written.
    pub encoding: Encoding,
}

/// A candidate with its place in the file and the line around it. `Debug`
/// shows the key redacted.
#[derive(Clone)]
pub struct Hit {
    /// Index of the rule.
    pub rule: usize,
    /// The key's bytes (ASCII by construction).
    pub key: String,
    /// Offset of the key in the buffer.
    pub start: usize,
    /// How the key was written.
    pub encoding: Encoding,
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

impl std::fmt::Debug for Candidate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Candidate")
            .field("rule", &self.rule)
            .field("start", &self.start)
            .field("end", &self.end)
            .field("key", &crate::secret::redact(&self.key))
            .field("encoding", &self.encoding)
            .finish()
    }
}

impl std::fmt::Debug for Hit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hit")
            .field("rule", &self.rule)
            .field("key", &crate::secret::redact(&self.key))
            .field("start", &self.start)
            .field("encoding", &self.encoding)
            .field("line", &self.line)
            .field("column", &self.column)
            .finish_non_exhaustive()
    }
}

#[derive(Debug)]
struct CompiledRule {
    prefix: String,
    min_len: usize,
    max_len: usize,
    min_entropy: f64,
    words: Vec<String>,
}

/// What one prefilter literal stands for: the rules sharing a prefix, and the encoding.
#[derive(Debug)]
struct Target {
    rules: Vec<usize>,
    trigger: Trigger,
}

/// Finds keys of every loaded rule in byte buffers. Cheap to share between threads.
#[derive(Debug)]
pub struct Scanner {
    rules: Vec<CompiledRule>,
    /// Aho-Corasick pattern index → what it stands for.
    targets: Vec<Target>,
    literals: AhoCorasick,
    longest_literal: usize,
    max_key_len: usize,
    /// Names shorter than this hold no key in any form (an encoded key is
    /// longer than the key).
    min_key_len: usize,
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

/// How much before a prefilter hit decoding may look.
const LOOKBEHIND: usize = 64;

/// [`decode::NESTED_REACH`] decoded bytes as base64 characters (and a wrap or two).
const NESTED_REACH_CHARS: usize = decode::NESTED_REACH * 4 / 3 + 16;

impl Scanner {
    /// A scanner for `rules` that also finds encoded keys; `extra_words`
    /// extend every rule's placeholder dictionary.
    pub fn new(rules: &RuleSet, extra_words: &[String]) -> Self {
        Self::with_decoding(rules, extra_words, true)
    }

    /// A scanner that finds encoded keys only when `decode` is true.
    pub fn with_decoding(rules: &RuleSet, extra_words: &[String], decode: bool) -> Self {
        let compiled: Vec<CompiledRule> = rules
            .rules()
            .iter()
            .map(|r| compile(r, extra_words))
            .collect();
        // Rules sharing a prefix share its literals.
        let mut prefixes: Vec<(&str, Vec<usize>)> = Vec::new();
        for (i, rule) in compiled.iter().enumerate() {
            match prefixes.iter_mut().find(|(p, _)| *p == rule.prefix) {
                Some((_, rs)) => rs.push(i),
                None => prefixes.push((&rule.prefix, vec![i])),
            }
        }
        let mut patterns: Vec<Vec<u8>> = Vec::new();
        let mut targets = Vec::new();
        let mut add = |literal: Vec<u8>, rules: &[usize], trigger| {
            if patterns.contains(&literal) {
                return; // a collision between two prefixes' images: keep the first
            }
            patterns.push(literal);
            targets.push(Target {
                rules: rules.to_vec(),
                trigger,
            });
        };
        for (prefix, rs) in &prefixes {
            for (literal, trigger) in decode::literals(prefix, decode) {
                add(literal, rs, trigger);
            }
        }
        if decode {
            for (literal, trigger) in decode::carrier_literals() {
                add(literal, &[], trigger);
            }
        }
        let literals = AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostFirst)
            .kind(Some(AhoCorasickKind::DFA))
            .build(&patterns)
            .expect("a few dozen short literals always build an automaton");
        Self {
            rules: compiled,
            targets,
            longest_literal: patterns.iter().map(Vec::len).max().unwrap_or(0),
            max_key_len: rules.max_key_len(),
            min_key_len: rules.min_key_len(),
            literals,
        }
    }

    /// Bytes before a hit that decoding may read; a chunked reader reports
    /// hits from this offset of each chunk after the first.
    pub fn lookbehind(&self) -> usize {
        LOOKBEHIND
    }

    /// Bytes a chunked reader must carry from one chunk into the next:
    /// [`Self::lookbehind`] plus the longest encoded key (UTF-16 doubles a
    /// key, base64 adds a third and line wraps) and the byte after it, plus
    /// the reach of a nested-base64 carrier such as `"auth"` (its key may
    /// start up to `decode::NESTED_REACH` decoded bytes after it): a carrier
    /// in the last `overlap` bytes of a chunk is decoded in the next one,
    /// whole.
    /// Even, so that chunks after the first start at even offsets (UTF-16).
    pub fn overlap(&self) -> usize {
        (LOOKBEHIND + NESTED_REACH_CHARS + 4 * (self.max_key_len + 2) + 256).next_multiple_of(2)
    }

    /// Whether a file or folder name holds a key (in any form). Most names
    /// are shorter than the shortest key and cost one comparison; the
    /// others one prefilter pass over a few dozen bytes.
    pub fn name_holds_key(&self, name: &[u8]) -> bool {
        if name.len() < self.min_key_len {
            return false;
        }
        let mut found = Vec::new();
        self.find_in(name, 0, name.len(), &mut found);
        !found.is_empty()
    }

    /// Every key in `hay`.
    pub fn find(&self, hay: &[u8], out: &mut Vec<Candidate>) {
        self.find_in(hay, 0, hay.len(), out);
    }

    /// Keys whose prefilter hit starts at an offset in `from..to`. Bytes
    /// before `from` are context (the byte before a key, escapes, base64
    /// quanta); offset 0 is the start of the input.
    pub fn find_in(&self, hay: &[u8], from: usize, to: usize, out: &mut Vec<Candidate>) {
        let first = out.len();
        self.find_raw(hay, from, to, out, 0);
        // An encoded key can sit inside another key's body (a base64 image of
        // a prefix made only of base62 characters): keep candidates in order
        // of their start and drop any that overlaps one kept before it.
        let found = &mut out[first..];
        found.sort_by_key(|c| c.start);
        let mut end = 0;
        let mut kept = first;
        for i in first..out.len() {
            if out[i].start >= end || kept == first {
                end = out[i].end;
                out.swap(kept, i);
                kept += 1;
            }
        }
        out.truncate(kept);
    }

    /// Candidates whose prefilter hit starts in `from..to`, unsorted;
    /// `depth` is 1 inside a window decoded after a [`decode::CARRIERS`] image.
    fn find_raw(&self, hay: &[u8], from: usize, to: usize, out: &mut Vec<Candidate>, depth: usize) {
        let limit = (to + self.longest_literal).min(hay.len());
        let mut at = from;
        // Where the window decoded for the last carrier ends.
        let mut nested_until = 0;
        while at < to {
            let Some(m) = self
                .literals
                .find(Input::new(&hay[..limit]).range(at..limit))
            else {
                break;
            };
            if m.start() >= to {
                break;
            }
            at = m.start() + 1;
            let target = &self.targets[m.pattern().as_usize()];
            if let Trigger::Nested { offset, lead } = target.trigger {
                if depth == 0 && m.start() + NESTED_REACH_CHARS > nested_until {
                    nested_until = self.nested(hay, m.start(), offset, lead, out);
                }
                continue;
            }
            if let Some(c) = self.candidate(hay, m.start(), m.len(), target) {
                if !line_has_allow_marker(hay, c.start, c.end) {
                    out.push(c);
                }
            }
        }
    }

    /// Keys base64-encoded twice: decode the base64 from the carrier image at
    /// `s` on ([`decode::NESTED_WINDOW`] bytes at most), scan the decoded
    /// bytes once more (without going deeper), and report what is found
    /// there at the base64 characters that encode it. Returns where the
    /// decoded window ends in `hay`.
    fn nested(
        &self,
        hay: &[u8],
        s: usize,
        offset: usize,
        lead: usize,
        out: &mut Vec<Candidate>,
    ) -> usize {
        let Some(w) = decode::base64_window(hay, s, offset, lead, decode::NESTED_WINDOW) else {
            return 0;
        };
        let mut inner = Vec::new();
        self.find_raw(&w.decoded, w.prefix_at, w.decoded.len(), &mut inner, 1);
        for c in inner {
            let (start, end) = w.span(c.start, c.end);
            if !line_has_allow_marker(hay, start, end) {
                out.push(Candidate {
                    start,
                    end,
                    encoding: Encoding::Base64,
                    ..c
                });
            }
        }
        w.end()
    }

    /// The key at a prefilter hit, if the hit is one.
    fn candidate(
        &self,
        hay: &[u8],
        s: usize,
        lit_len: usize,
        target: &Target,
    ) -> Option<Candidate> {
        let boundary_ok = |prev: Option<u8>| !prev.is_some_and(continues_word);
        match target.trigger {
            Trigger::Raw | Trigger::EscapedLast(_) => {
                if !boundary_ok(decode::decoded_prev(hay, s)) {
                    return None;
                }
                let (encoding, body_at) = match target.trigger {
                    Trigger::EscapedLast(e) => {
                        let at = s + lit_len - 1;
                        let (byte, len) = decode::escape_at(hay, at)?;
                        let last = *self.rules[target.rules[0]].prefix.as_bytes().last()?;
                        if byte != last {
                            return None;
                        }
                        (e, at + len)
                    }
                    _ => (Encoding::Raw, s + lit_len),
                };
                target.rules.iter().find_map(|&r| {
                    let len = self.body_len(r, &hay[body_at..])?;
                    let body = String::from_utf8_lossy(&hay[body_at..body_at + len]);
                    Some(Candidate {
                        rule: r,
                        start: s,
                        end: body_at + len,
                        key: format!("{}{body}", self.rules[r].prefix),
                        encoding,
                    })
                })
            }
            Trigger::Base64 { offset, lead } => {
                let w = decode::base64_window(hay, s, offset, lead, self.max_key_len)?;
                let at = w.prefix_at;
                let prev = at.checked_sub(1).map(|i| w.decoded[i]);
                if !boundary_ok(prev) {
                    return None;
                }
                target.rules.iter().find_map(|&r| {
                    let rule = &self.rules[r];
                    let key_at = w.decoded.get(at..)?;
                    if !key_at.starts_with(rule.prefix.as_bytes()) {
                        return None;
                    }
                    let len = self.body_len(r, &key_at[rule.prefix.len()..])?;
                    let key_len = rule.prefix.len() + len;
                    let (start, end) = w.span(at, at + key_len);
                    Some(Candidate {
                        rule: r,
                        start,
                        end,
                        key: String::from_utf8_lossy(&key_at[..key_len]).into_owned(),
                        encoding: Encoding::Base64,
                    })
                })
            }
            Trigger::Nested { .. } => None, // handled in `find_raw`
            Trigger::Utf16 { big_endian } => {
                // Code units start at even offsets (buffers start at even file
                // offsets): `\0m\0s` at an odd offset is little-endian text
                // whose `m` follows, and `m\0s\0` at an odd one is big-endian.
                let (s, big_endian) = match (big_endian, s % 2 == 1) {
                    (true, true) => (s + 1, false),
                    (false, true) => (s - 1, true),
                    (be, false) => (s, be),
                };
                let max = self.max_key_len + 1;
                let (text, prev) = decode::utf16_ascii(hay, s, big_endian, max);
                if !boundary_ok(prev) {
                    return None;
                }
                target.rules.iter().find_map(|&r| {
                    let rule = &self.rules[r];
                    let len = self.body_len(r, text.get(rule.prefix.len()..)?)?;
                    let key_len = rule.prefix.len() + len;
                    Some(Candidate {
                        rule: r,
                        start: s,
                        end: s + 2 * key_len,
                        key: String::from_utf8_lossy(&text[..key_len]).into_owned(),
                        encoding: if big_endian {
                            Encoding::Utf16Be
                        } else {
                            Encoding::Utf16Le
                        },
                    })
                })
            }
        }
    }

    /// The length of a key body of rule `r` at the start of `bytes`, if it is
    /// one: base62, within the length range, ended by a non-base62 byte, and
    /// not a placeholder.
    fn body_len(&self, r: usize, bytes: &[u8]) -> Option<usize> {
        let rule = &self.rules[r];
        let window = &bytes[..bytes.len().min(rule.max_len + 1)];
        let len = window
            .iter()
            .position(|&b| !BASE62[b as usize])
            .unwrap_or(window.len());
        if len < rule.min_len || len > rule.max_len {
            return None;
        }
        if placeholder::classify(&window[..len], rule.min_entropy, &rule.words).is_some() {
            return None;
        }
        Some(len)
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
        self.hits_of(hay, start, redact, scratch, &[])
    }

    /// `found` (candidates of [`Self::find_in`] on `hay`, in order) turned
    /// into hits. Each snippet redacts every key of `found`, every secret of
    /// `also` (other secrets in `hay`, such as hard-coded webhook secrets,
    /// sorted by start) and every key-shaped run on its line, unless `redact`
    /// is false.
    pub fn hits_of(
        &self,
        hay: &[u8],
        start: LinePos,
        redact: bool,
        found: &[Candidate],
        also: &[Candidate],
    ) -> Vec<Hit> {
        if found.is_empty() {
            return Vec::new();
        }
        let merged;
        let secrets = if also.is_empty() {
            found
        } else {
            merged = merge_by_start(found, also);
            &merged
        };
        let mut locator = Locator::new(hay, start);
        found
            .iter()
            .map(|c| {
                let (line, mut column) = locator.locate(c.start);
                let line_end =
                    memchr::memchr(b'\n', &hay[c.start..c.end]).map_or(c.end, |i| c.start + i);
                let mut width = location::utf16_units(&hay[c.start..line_end]);
                if matches!(c.encoding, Encoding::Utf16Le | Encoding::Utf16Be) {
                    // Each UTF-16 code unit is two bytes, counted one unit each.
                    column = (column - 1) / 2 + 1;
                    width = c.key.len();
                }
                let snippet = snippet(hay, locator.line_start(), c.start..c.end, secrets, redact);
                Hit {
                    rule: c.rule,
                    key: c.key.clone(),
                    start: c.start,
                    encoding: c.encoding,
                    line,
                    column,
                    end_column: column + width,
                    snippet,
                }
            })
            .collect()
    }
}

/// Two lists of secrets sorted by start, merged into one.
pub fn merge_by_start(a: &[Candidate], b: &[Candidate]) -> Vec<Candidate> {
    let mut all: Vec<Candidate> = a.iter().chain(b).cloned().collect();
    all.sort_by_key(|c| c.start);
    all
}

fn compile(rule: &Rule, extra_words: &[String]) -> CompiledRule {
    let mut words: Vec<String> = rule.placeholder_words.clone();
    words.extend(extra_words.iter().map(|w| w.to_ascii_lowercase()));
    CompiledRule {
        prefix: rule.prefix.clone(),
        min_len: rule.min_len,
        max_len: rule.max_len,
        min_entropy: rule.min_entropy,
        words,
    }
}

pub(crate) fn line_bounds(hay: &[u8], start: usize, end: usize) -> (usize, usize) {
    let line_start = memchr::memrchr(b'\n', &hay[..start]).map_or(0, |i| i + 1);
    let line_end = memchr::memchr(b'\n', &hay[end..]).map_or(hay.len(), |i| end + i);
    (line_start, line_end)
}

fn line_has_allow_marker(hay: &[u8], start: usize, end: usize) -> bool {
    let (line_start, line_end) = line_bounds(hay, start, end);
    memchr::memmem::find(&hay[line_start..line_end], ALLOW_MARKER).is_some()
}

/// A span of a buffer shown redacted in snippets: a key, a hard-coded webhook
/// secret, or a key-shaped run no rule reported.
struct Redacted {
    start: usize,
    end: usize,
    /// What stands in its place.
    shown: String,
}

/// The line around `focus` (a key, or a lint's flagged text), clipped to a
/// window, sanitised, and unless `redact` is false with every secret of
/// `secrets` (sorted by start: the keys and webhook secrets found in `hay`)
/// and every key-shaped run on it redacted ([`crate::secret::key_shaped_runs`],
/// the last line of defence). The snippet's `key` range covers `focus`.
pub(crate) fn snippet(
    hay: &[u8],
    line_start: usize,
    focus: std::ops::Range<usize>,
    secrets: &[Candidate],
    redact: bool,
) -> Snippet {
    let (_, line_end) = line_bounds(hay, focus.start, focus.end.max(focus.start));
    let from = line_start.max(focus.start.saturating_sub(SNIPPET_CONTEXT));
    let to = line_end.min(focus.end + SNIPPET_CONTEXT).max(from);
    let mut spans: Vec<Redacted> = Vec::new();
    if redact {
        // Secrets that overlap the window (they are sorted by start; an
        // encoded key can start up to a few hundred bytes before it).
        let last = secrets.partition_point(|o| o.start < to);
        spans.extend(
            secrets[..last]
                .iter()
                .filter(|o| o.end > from)
                .map(|o| Redacted {
                    start: o.start,
                    end: o.end,
                    shown: crate::secret::redact(&o.key),
                }),
        );
        // A run that starts before the window and reaches into it: look back
        // as far as the longest key the rules accept.
        let back = from.saturating_sub(4 + 128).max(line_start);
        // The same secret written again on the line where no rule reports
        // it (glued to a word, `headermsk_…`): every copy in the window.
        // (Secrets from 4 KiB before the window on: bounded work per
        // snippet on a minified line holding thousands of keys.)
        let near = secrets.partition_point(|o| o.start < from.saturating_sub(4096).max(line_start));
        let mut copies = Vec::new();
        for o in secrets[near..last.max(near)]
            .iter()
            .filter(|o| o.end > line_start)
        {
            let needle = o.key.as_bytes();
            if needle.len() < crate::secret::STEM_LEN {
                continue;
            }
            let area = back..line_end.min(to + needle.len()).max(back);
            copies.extend(
                memchr::memmem::find_iter(&hay[area.clone()], needle)
                    .map(|i| area.start + i)
                    .filter(|&start| start != o.start && start + needle.len() > from)
                    .map(|start| Redacted {
                        start,
                        end: start + needle.len(),
                        shown: crate::secret::redact(&o.key),
                    }),
            );
        }
        spans.extend(copies);
        spans.extend(
            crate::secret::key_shaped_runs(&hay[..line_end], back, to)
                .into_iter()
                .filter(|r| r.end > from)
                .map(|r| Redacted {
                    shown: crate::secret::redact(&String::from_utf8_lossy(&hay[r.clone()])),
                    start: r.start,
                    end: r.end,
                }),
        );
        // The window may start inside a word (`r|ask_…`): a run glued to the
        // word on the line is no key there, but starts the snippet after
        // the `…`, where it reads as one. Runs found in the window alone,
        // starting at its first byte, are redacted too.
        if from > line_start {
            spans.extend(
                crate::secret::key_shaped_runs(&hay[from..line_end], 0, to - from)
                    .into_iter()
                    .filter(|r| r.start == 0)
                    .map(|r| Redacted {
                        shown: crate::secret::redact(&String::from_utf8_lossy(
                            &hay[from + r.start..from + r.end],
                        )),
                        start: from + r.start,
                        end: from + r.end,
                    }),
            );
        }
        spans.sort_by_key(|r| r.start);
    }
    let mut text = String::new();
    if from > line_start {
        text.push('…');
    }
    let (mut key_start, mut key_end) = (None, None);
    let mut at = from;
    // Plain text from `at` to `upto`, noting where the focus starts and ends.
    let plain = |text: &mut String, at: usize, upto: usize, marks: [&mut Option<usize>; 2]| {
        let mut cut = at;
        for (mark, slot) in [focus.start, focus.end].into_iter().zip(marks) {
            if slot.is_none() && (cut..=upto).contains(&mark) {
                push_sanitised(text, &hay[cut..mark]);
                cut = mark;
                *slot = Some(text.len());
            }
        }
        push_sanitised(text, &hay[cut..upto.max(cut)]);
    };
    for span in &spans {
        if span.end <= at {
            continue; // inside a span already shown
        }
        if span.start > at {
            plain(
                &mut text,
                at,
                span.start.min(to),
                [&mut key_start, &mut key_end],
            );
        }
        let begin = text.len();
        text.push_str(&span.shown);
        if key_start.is_none() && focus.start < span.end {
            key_start = Some(begin);
        }
        if key_end.is_none() && focus.end <= span.end {
            key_end = Some(text.len());
        }
        at = span.end.min(to).max(at);
        if at >= to {
            break;
        }
    }
    if at < to {
        plain(&mut text, at, to, [&mut key_start, &mut key_end]);
    }
    let key_start = key_start.unwrap_or(text.len());
    let key = key_start..key_end.unwrap_or(text.len()).max(key_start);
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
    out.push_str(&crate::sanitize::sanitize_line(&String::from_utf8_lossy(
        bytes,
    )));
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
    fn names_holding_keys_are_told_apart_cheaply() {
        use base64::Engine as _;
        let s = scanner();
        assert_eq!(s.min_key_len, 4 + 20);
        let b64 = base64::engine::general_purpose::STANDARD.encode(KEY);
        for name in [
            KEY.to_string(),
            format!("{KEY}.txt"),
            format!("backup-{KEY2}"),
            format!("{b64}.bin"),
        ] {
            assert!(s.name_holds_key(name.as_bytes()), "{name}");
        }
        for name in [
            "main.rs",
            "msk_short.txt",
            "task_u8jzPde0IgxLd6GncfBAepfJBd0Kh8oO.rs", // misar-scan:allow (not a key)
            "msk_your_api_key_goes_here.md",
            "a_rather_long_file_name_with_no_key_in_it.rs",
        ] {
            assert!(!s.name_holds_key(name.as_bytes()), "{name}");
        }
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
    fn debug_output_redacts_keys() {
        let s = scanner();
        let hits = s.hits(
            KEY.as_bytes(),
            0,
            KEY.len(),
            LinePos::START,
            false,
            &mut Vec::new(),
        );
        let mut found = Vec::new();
        s.find(KEY.as_bytes(), &mut found);
        let shown = format!("{hits:?}{found:?}");
        assert!(!shown.contains(KEY), "{shown}");
        assert!(shown.contains("msk_u8jz…"));
    }

    #[test]
    fn a_base64_key_inside_another_key_is_not_reported_twice_and_never_panics() {
        use base64::Engine as _;
        // Find a body whose base64 image is pure base62, so it can sit inside
        // a raw key's body (a review found this panicked with --no-redact).
        let mut x: u64 = 0x9E37_79B9;
        let inner = loop {
            let body: String = (0..20)
                .map(|_| {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    char::from(
                        b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
                            [(x % 62) as usize],
                    )
                })
                .collect();
            let enc = base64::engine::general_purpose::STANDARD.encode(format!("msk_{body}"));
            if enc.bytes().all(|b| b.is_ascii_alphanumeric()) {
                break enc;
            }
        };
        let hay = format!("x msk_AAAA{inner}Zq8Lp2Xv end");
        let s = scanner();
        for redact in [true, false] {
            let hits = s.hits(
                hay.as_bytes(),
                0,
                hay.len(),
                LinePos::START,
                redact,
                &mut Vec::new(),
            );
            assert_eq!(hits.len(), 1, "{hits:?}");
            assert_eq!(hits[0].start, 2);
        }
    }

    #[test]
    fn a_key_base64_encoded_twice_behind_a_carrier_is_found_at_its_encoded_text() {
        use base64::Engine as _;
        let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
        let key = "msk_u8jzPde0IgxLd6GncfBAepfJBd0Kh8oO"; // misar-scan:allow (fake test key)
        let s = scanner();
        for pad in ["", "r", "re", "reg"] {
            let doc = format!(
                "{{\"auths\":{{\"{pad}.io\":{{\"auth\":\"{}\"}}}}}}",
                b64(&format!("u:{key}"))
            );
            let outer = b64(&doc);
            // Wrapped at 60 columns and indented, as in a YAML block scalar.
            let wrapped: Vec<String> = outer
                .as_bytes()
                .chunks(60)
                .map(|c| format!("    {}", String::from_utf8_lossy(c)))
                .collect();
            let hay = format!("data: |\n{}\n", wrapped.join("\n"));
            let mut found = Vec::new();
            s.find(hay.as_bytes(), &mut found);
            assert_eq!(found.len(), 1, "{pad:?}: {found:?}");
            assert_eq!(found[0].key, key);
            assert_eq!(found[0].encoding, Encoding::Base64);
            // The span covers base64 text of the outer document, after the carrier.
            assert!(found[0].start > hay.find("    ").unwrap());
            assert!(found[0].end <= hay.len());
        }
        // Without a carrier, base64 in base64 is not decoded (see decode::CARRIERS).
        let plain = b64(&b64(key));
        let mut found = Vec::new();
        s.find(plain.as_bytes(), &mut found);
        assert!(found.is_empty());
        // No decoding at all with --no-decode.
        let rules = RuleSet::embedded().unwrap();
        let off = Scanner::with_decoding(&rules, &[], false);
        let hay = b64(&format!("Basic {}", b64(&format!("api:{key}"))));
        off.find(hay.as_bytes(), &mut found);
        assert!(found.is_empty());
        s.find(hay.as_bytes(), &mut found);
        assert_eq!(found.len(), 1);
    }

    #[test]
    fn many_carriers_in_a_row_decode_each_byte_a_bounded_number_of_times() {
        use base64::Engine as _;
        // 100,000 `Basic ` in a row: a window per carrier would decode ~300 MB.
        let hay = base64::engine::general_purpose::STANDARD.encode("Basic ".repeat(100_000));
        let start = std::time::Instant::now();
        let mut found = Vec::new();
        scanner().find(hay.as_bytes(), &mut found);
        assert!(found.is_empty());
        assert!(
            start.elapsed() < std::time::Duration::from_secs(10),
            "{:?}",
            start.elapsed()
        );
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
    fn a_snippet_redacts_every_secret_on_its_line_around_its_focus() {
        let hay = format!(
            "if (sig == '{KEY}') x('whsec12345678') y('{}')",
            &KEY2[..24]
        );
        let at = |s: &str| hay.find(s).unwrap();
        let webhook = Candidate {
            rule: 0,
            start: at("whsec"),
            end: at("whsec") + 13,
            key: "whsec12345678".into(),
            encoding: Encoding::Raw,
        };
        // The focus (a comparison) holds a key no candidate names: the
        // key-shaped run is redacted inside it, and the key range covers it all.
        let focus = at("sig")..at(")");
        let s = snippet(hay.as_bytes(), 0, focus, &[webhook], true);
        assert_eq!(
            s.text,
            "if (sig == 'msk_u8jz…') x('whsec123…') y('ask_CsMe…')"
        );
        assert_eq!(&s.text[s.key.clone()], "sig == 'msk_u8jz…'");
        let plain = snippet(hay.as_bytes(), 0, at("sig")..at(")"), &[], false);
        assert_eq!(plain.text, hay);
    }

    /// Found by the `scan` fuzz target: the key written again on its line
    /// where no rule reports it (a letter before it) was shown in full.
    #[test]
    fn every_copy_of_a_secret_on_its_line_is_redacted() {
        let hay = format!("k = '{KEY}'; header{KEY} + x{KEY}y");
        let s = scanner();
        let hits = s.hits(
            hay.as_bytes(),
            0,
            hay.len(),
            LinePos::START,
            true,
            &mut Vec::new(),
        );
        assert_eq!(
            hits.len(),
            1,
            "only the first is a key by the boundary rule"
        );
        let text = &hits[0].snippet.text;
        assert!(!text.contains(KEY), "{text}");
        assert!(
            text.starts_with("k = 'msk_u8jz…'; headermsk_u8jz… + xmsk_u8jz…"),
            "{text}"
        );
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
