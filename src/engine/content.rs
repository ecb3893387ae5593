//! The webhook content lints: JavaScript/TypeScript and Python sources that
//! verify Misar webhooks (they mention `createHmac`, `hmac.new` or
//! `X-Misar-Signature`) with a signing secret hard-coded next to the HMAC
//! call, or a signature compared with `==`/`===` instead of a constant-time
//! comparison.
//!
//! [`ContentLinter`] runs on a buffer's bytes during the scan, after a cheap
//! literal check, so other files cost nothing; like the rest of the engine
//! it reads no file and knows no path beyond the name it is asked about
//! ([`ContentLinter::wants`]). Sources turn its [`LintHit`]s into findings.
//! Each lint is configured by a file in `rules/lints/` (its id, severity,
//! message and examples); disabling its id turns it off.

use aho_corasick::AhoCorasick;
use regex::bytes::Regex;

use super::location::{LinePos, Locator};
use super::{line_bounds, Candidate, Snippet};
use crate::rules::{LintCheck, RuleSet};

/// A content lint hit in a buffer. `Debug` shows the flagged text redacted.
#[derive(Clone)]
pub struct LintHit {
    /// The lint's id.
    pub lint: usize,
    /// The flagged text (a hard-coded secret, or a comparison).
    pub text: String,
    /// What is wrong.
    pub note: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
    /// Column just past the flagged text.
    pub end_column: usize,
    /// Offset in the buffer.
    pub start: usize,
    /// The line, sanitised, with a hard-coded secret redacted.
    pub snippet: Snippet,
}

impl std::fmt::Debug for LintHit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LintHit")
            .field("lint", &self.lint)
            .field("text", &crate::secret::redact(&self.text))
            .field("line", &self.line)
            .field("column", &self.column)
            .finish_non_exhaustive()
    }
}

/// The webhook content lints, compiled once per scan.
#[derive(Debug)]
pub struct ContentLinter {
    context: AhoCorasick,
    secret: Option<(usize, Vec<Regex>)>,
    timing: Option<(usize, Regex)>,
    safe_compare: AhoCorasick,
}

/// File extensions the content lints read.
const SOURCE_EXTENSIONS: &[&str] = &[
    ".js", ".mjs", ".cjs", ".jsx", ".ts", ".mts", ".cts", ".tsx", ".py",
];

impl ContentLinter {
    /// The linter for the webhook lints in `rules`, or `None` when both are off.
    pub fn new(rules: &RuleSet) -> Option<Self> {
        let index = |check| rules.lints().iter().position(|l| l.check == check);
        let secret = index(LintCheck::WebhookSecretHardcoded);
        let timing = index(LintCheck::WebhookSignatureTimingUnsafe);
        if secret.is_none() && timing.is_none() {
            return None;
        }
        let re = |s: &str| Regex::new(s).expect("the webhook lint patterns are valid");
        let quoted = r#"['"`](?P<s>[^'"`\\\s]{8,})['"`]"#;
        Some(Self {
            // Leftmost-first with case-sensitive spellings, so aho-corasick can
            // use its SIMD (Teddy) prefilter: without it, scanning minified
            // bundles for these words cost more than the key search itself.
            context: AhoCorasick::builder()
                .match_kind(aho_corasick::MatchKind::LeftmostFirst)
                .build([
                    "createHmac",
                    "hmac.new",
                    "X-Misar-Signature",
                    "x-misar-signature",
                    "X-MISAR-SIGNATURE",
                ])
                .expect("five literals build an automaton"),
            secret: secret.map(|i| {
                (
                    i,
                    vec![
                        re(&format!(r#"createHmac\(\s*['"`]sha256['"`]\s*,\s*{quoted}"#)),
                        re(&format!(r#"hmac\.new\(\s*b?{quoted}"#)),
                        re(&format!(
                            r#"(?i)\b[a-z_$]*(?:webhook|signing|hmac)[a-z_$]*secret[a-z_$]*\s*(?::\s*[a-z<>\[\]]+\s*)?[:=]\s*b?{quoted}"#
                        )),
                    ],
                )
            }),
            timing: timing.map(|i| {
                let operand = r#"(?:[A-Za-z_$][\w$.]*(?:\[[^\]\n]*\])*(?:\(\))?|`[^`\n]*`|'[^'\n]*'|"[^"\n]*")"#;
                (i, re(&format!(r"(?P<a>{operand})\s*(?P<op>===|!==|==|!=)\s*(?P<b>{operand})")))
            }),
            safe_compare: AhoCorasick::builder()
                .match_kind(aho_corasick::MatchKind::LeftmostFirst)
                .build(["timingSafeEqual", "compare_digest", "constant_time"])
                .expect("three literals build an automaton"),
        })
    }

    /// Whether a file with this path is one the content lints read.
    pub fn wants(&self, path: &str) -> bool {
        let lower = path.to_ascii_lowercase();
        SOURCE_EXTENSIONS.iter().any(|e| lower.ends_with(e))
    }

    /// Lint hits whose start lies in `hay[from..to]`; `start` says where `hay`
    /// begins. Snippets redact the hard-coded secrets and key-shaped runs on
    /// their line; [`Self::find`] and [`LintMatches::into_hits`] also redact
    /// the keys a scanner found.
    pub fn scan(
        &self,
        hay: &[u8],
        from: usize,
        to: usize,
        start: LinePos,
        redact: bool,
    ) -> Vec<LintHit> {
        self.find(hay, from, to, redact)
            .into_hits(hay, start, redact, &[])
    }

    /// The matches whose start lies in `hay[from..to]`, and every hard-coded
    /// secret in `hay` (for other snippets to redact), before snippets are made.
    pub fn find(&self, hay: &[u8], from: usize, to: usize, redact: bool) -> LintMatches {
        let mut found = LintMatches::default();
        if self.context.find(hay).is_none() {
            return found;
        }
        if let Some((lint, res)) = &self.secret {
            for re in res {
                for caps in re.captures_iter(hay) {
                    let m = caps
                        .name("s")
                        .expect("every secret pattern has the group `s`");
                    let value = m.as_bytes();
                    if crate::engine::placeholder::classify(value, 3.0, &[]).is_some() {
                        continue;
                    }
                    let text = String::from_utf8_lossy(value).into_owned();
                    found.secrets.push(Candidate {
                        rule: 0,
                        start: m.start(),
                        end: m.end(),
                        key: text.clone(),
                        encoding: crate::engine::decode::Encoding::Raw,
                    });
                    if m.start() < from || m.start() >= to {
                        continue;
                    }
                    let note = format!(
                        "webhook signing secret `{}` hard-coded next to the HMAC that checks signatures",
                        if redact { crate::secret::redact(&text) } else { text.clone() }
                    );
                    found.raw.push(RawLintHit {
                        lint: *lint,
                        start: m.start(),
                        end: m.end(),
                        text,
                        note,
                    });
                }
            }
        }
        if let Some((lint, re)) = &self.timing {
            for caps in re.captures_iter(hay) {
                let whole = caps.get(0).expect("group 0 always exists");
                if whole.start() < from || whole.start() >= to {
                    continue;
                }
                let (a, b) = (&caps["a"], &caps["b"]);
                let (ls, le) = line_bounds(hay, whole.start(), whole.end());
                let line = &hay[ls..le];
                if self.safe_compare.find(line).is_some() || !timing_unsafe(a, b) {
                    continue;
                }
                let op = String::from_utf8_lossy(&caps["op"]).into_owned();
                let text = String::from_utf8_lossy(whole.as_bytes()).into_owned();
                let note = format!(
                    "webhook signature compared with `{op}`, which leaks timing; use crypto.timingSafeEqual or hmac.compare_digest"
                );
                found.raw.push(RawLintHit {
                    lint: *lint,
                    start: whole.start(),
                    end: whole.end(),
                    text,
                    note,
                });
            }
        }
        found.raw.sort_by_key(|r| r.start);
        found.raw.dedup_by_key(|r| (r.lint, r.start));
        found.secrets.sort_by_key(|c| c.start);
        found.secrets.dedup_by_key(|c| (c.start, c.end));
        found
    }
}

/// A content lint match before its snippet is made.
#[derive(Clone)]
struct RawLintHit {
    lint: usize,
    start: usize,
    end: usize,
    text: String,
    note: String,
}

/// What [`ContentLinter::find`] found in a buffer. `Debug` shows no secret.
#[derive(Clone, Default)]
pub struct LintMatches {
    raw: Vec<RawLintHit>,
    /// Every hard-coded webhook secret in the buffer, sorted by start: the
    /// key snippets of the same buffer redact them.
    pub secrets: Vec<Candidate>,
}

impl std::fmt::Debug for LintMatches {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LintMatches")
            .field("hits", &self.raw.len())
            .field("secrets", &self.secrets)
            .finish()
    }
}

impl LintMatches {
    /// Whether nothing matched.
    pub fn is_empty(&self) -> bool {
        self.raw.is_empty()
    }

    /// The hits with line, column and snippet; `start` says where `hay`
    /// begins. Each snippet redacts, unless `redact` is false, the hard-coded
    /// secrets, the `keys` (candidates a scanner found in `hay`, sorted by
    /// start) and the key-shaped runs on its line.
    pub fn into_hits(
        self,
        hay: &[u8],
        start: LinePos,
        redact: bool,
        keys: &[Candidate],
    ) -> Vec<LintHit> {
        if self.raw.is_empty() {
            return Vec::new();
        }
        let secrets = crate::engine::merge_by_start(keys, &self.secrets);
        let mut locator = Locator::new(hay, start);
        self.raw
            .into_iter()
            .map(|r| {
                let (line, column) = locator.locate(r.start);
                let (_, line_end) = line_bounds(hay, r.start, r.end);
                let end = r.end.min(line_end);
                let snippet = crate::engine::snippet(
                    hay,
                    locator.line_start(),
                    r.start..end,
                    &secrets,
                    redact,
                );
                LintHit {
                    lint: r.lint,
                    end_column: column + crate::engine::location::utf16_units(&hay[r.start..end]),
                    text: r.text,
                    note: r.note,
                    line,
                    column,
                    start: r.start,
                    snippet,
                }
            })
            .collect()
    }
}

/// Whether comparing `a` with `b` is a signature check done in variable time
/// (and not a presence or length check).
fn timing_unsafe(a: &[u8], b: &[u8]) -> bool {
    let lower = |s: &[u8]| String::from_utf8_lossy(s).to_ascii_lowercase();
    let (a, b) = (lower(a), lower(b));
    let trivial = |s: &str| {
        matches!(
            s,
            "null" | "undefined" | "none" | "''" | "\"\"" | "``" | "0" | "true" | "false"
        ) || s.ends_with(".length")
            || s.ends_with("length()")
            || s.starts_with("typeof")
    };
    let about_signature = |s: &str| {
        ["signature", "digest", "hmac", "sig", "expected", "computed"]
            .iter()
            .any(|w| s.contains(w))
    };
    !trivial(&a) && !trivial(&b) && (about_signature(&a) || about_signature(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timing_checks() {
        assert!(timing_unsafe(b"signature", b"digest"));
        assert!(timing_unsafe(
            b"req.headers['x-misar-signature']",
            b"`sha256=${expected}`"
        ));
        assert!(!timing_unsafe(b"signature.length", b"expected.length"));
        assert!(!timing_unsafe(b"signature", b"undefined"));
        assert!(!timing_unsafe(b"count", b"total"));
    }
}
