//! Scanning a byte stream of any length in chunks with an overlap, so memory
//! stays flat however large a file, an archive member or a line is.

use std::io::Read;

use super::{Provenance, ScanContext};
use crate::engine::location::LinePos;
use crate::engine::Candidate;
use crate::finding::Finding;

/// Bytes read per chunk from standard input, hook blobs and git objects.
pub const CHUNK: usize = 4 << 20;

/// Bytes read per chunk in a tree walk (and the archives met in it): small
/// enough that the kernel's copy into the buffer and the scan that follows
/// stay in the core's L2 cache, as ripgrep's 64 KiB reads do. A 4 MiB buffer
/// made the copy itself the largest cost of a tree scan (issue 16).
pub const TREE_CHUNK: usize = 64 << 10;

/// The length of a chunk buffer for a scanner whose
/// [`Scanner::overlap`](crate::engine::Scanner::overlap) is `overlap`:
/// `want`, raised to 4 × `overlap` for rules with very long keys (the bound
/// [`scan_stream`] needs is an even length greater than 2 × `overlap`; 4 ×
/// keeps the bytes scanned twice under a quarter), and even.
pub fn chunk_len(want: usize, overlap: usize) -> usize {
    want.max(4 * overlap).next_multiple_of(2)
}

/// Fill `buf` from `reader`, up to its end or EOF; returns bytes read.
pub(crate) fn fill(reader: &mut dyn Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match reader.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// Scan everything `reader` yields, in chunks of `buf.len()` bytes, and
/// return how many bytes it yielded. `buf.len()` must be even (UTF-16 keys
/// are decoded from even offsets) and greater than 2 ×
/// [`Scanner::overlap`](crate::engine::Scanner::overlap), since each chunk
/// after the first starts with the previous one's last `overlap` bytes;
/// [`chunk_len`] gives such a length.
/// `at` makes the provenance of the findings; it is called only on a hit.
/// `name` is the file's name, to decide whether the content lints read it.
pub fn scan_stream(
    reader: &mut dyn Read,
    name: &str,
    at: &dyn Fn() -> Provenance,
    ctx: &ScanContext<'_>,
    buf: &mut [u8],
    scratch: &mut Vec<Candidate>,
    out: &mut Vec<Finding>,
) -> std::io::Result<u64> {
    scan_stream_keeping_head(reader, name, at, ctx, buf, scratch, out, &mut Vec::new(), 0)
}

/// [`scan_stream`], also copying the stream's first `keep` bytes (fewer
/// when it is shorter) into `head`: to tell an archive by its magic bytes
/// without reading the file twice.
#[allow(clippy::too_many_arguments)]
pub fn scan_stream_keeping_head(
    reader: &mut dyn Read,
    name: &str,
    at: &dyn Fn() -> Provenance,
    ctx: &ScanContext<'_>,
    buf: &mut [u8],
    scratch: &mut Vec<Candidate>,
    out: &mut Vec<Finding>,
    head: &mut Vec<u8>,
    keep: usize,
) -> std::io::Result<u64> {
    let overlap = ctx.scanner.overlap();
    let lookbehind = ctx.scanner.lookbehind();
    debug_assert!(
        buf.len() > 2 * overlap && buf.len().is_multiple_of(2) && overlap.is_multiple_of(2)
    );
    let mut carried = 0; // bytes at the front of `buf` kept from the previous chunk
    let mut base: u64 = 0; // stream offset of buf[0]; always even, for UTF-16
    let mut pos = LinePos::START;
    let mut provenance: Option<Provenance> = None;
    let linter = ctx.linter.filter(|l| l.wants(name));
    loop {
        let n = fill(reader, &mut buf[carried..])?;
        let total = carried + n;
        if base == 0 && carried == 0 {
            head.extend_from_slice(&buf[..total.min(keep)]);
        }
        let eof = total < buf.len();
        // The previous chunk reported hits before `lookbehind`; its last
        // `overlap` bytes are the context this one starts with.
        let from = if base > 0 { lookbehind } else { 0 };
        let to = if eof {
            total
        } else {
            total - overlap + lookbehind
        };
        let (hits, lint_hits) =
            ctx.scan_buffer(&buf[..total], from, to, pos, linter.is_some(), scratch);
        if !hits.is_empty() {
            let p = provenance.get_or_insert_with(at);
            ctx.findings(hits, base, p, out);
        }
        if !lint_hits.is_empty() {
            let p = provenance.get_or_insert_with(at);
            ctx.lint_findings(lint_hits, base, p, out);
        }
        if eof {
            return Ok(base + total as u64);
        }
        // Keep the last `overlap` bytes: the next chunk starts at `keep` and
        // reports hits from `keep + lookbehind`, where this one stopped.
        let keep = total - overlap;
        pos = pos.advance(&buf[..keep]);
        buf.copy_within(keep..total, 0);
        carried = total - keep;
        base += keep as u64;
    }
}

/// Scan bytes already in memory (a git blob, a nested archive member).
pub fn scan_bytes(
    bytes: &[u8],
    at: &Provenance,
    ctx: &ScanContext<'_>,
    scratch: &mut Vec<Candidate>,
    out: &mut Vec<Finding>,
) {
    let lint = ctx.linter.is_some_and(|l| l.wants(&at.path));
    let (hits, lint_hits) = ctx.scan_buffer(bytes, 0, bytes.len(), LinePos::START, lint, scratch);
    ctx.findings(hits, 0, at, out);
    ctx.lint_findings(lint_hits, 0, at, out);
}

/// The path a stream read from standard input is reported at.
pub const STDIN_PATH: &str = "<stdin>";

/// Scan everything `reader` yields (standard input for `scan -`), reported
/// at [`STDIN_PATH`], in chunks of [`CHUNK`] bytes: memory stays flat
/// however long the stream. A read error leaves the scan incomplete; the
/// findings made before it are kept.
pub fn scan_stdin(reader: &mut dyn Read, ctx: &ScanContext<'_>) -> (Vec<Finding>, super::Stats) {
    let at = || Provenance {
        path: STDIN_PATH.to_string(),
        uri: STDIN_PATH.to_string(),
        raw: None,
        commit: None,
    };
    let mut buf = vec![0; CHUNK];
    let (mut scratch, mut out) = (Vec::new(), Vec::new());
    let mut stats = super::Stats::default();
    match scan_stream(
        reader,
        STDIN_PATH,
        &at,
        ctx,
        &mut buf,
        &mut scratch,
        &mut out,
    ) {
        Ok(bytes) => (stats.files, stats.bytes) = (1, bytes),
        Err(e) => ctx
            .problems
            .unread(&format!("could not read {STDIN_PATH}: {e}")),
    }
    (out, stats)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::Secret;
    use base64::Engine as _;

    // Built at run time, so that no key-shaped literal is in the source.
    fn key() -> String {
        format!("msk_{}", "u8jzPde0IgxLd6GncfBAepfJBd0Kh8oO")
    }

    fn b64(s: &[u8]) -> String {
        base64::engine::general_purpose::STANDARD.encode(s)
    }

    /// The key in each form the scanner decodes: raw, base64, UTF-16LE,
    /// and base64 twice behind a carrier (a Kubernetes `.dockerconfigjson`).
    fn forms() -> Vec<(&'static str, Vec<u8>)> {
        let k = key();
        let utf16: Vec<u8> = k.bytes().flat_map(|b| [b, 0]).collect();
        let docker = format!(
            "{{\"auths\":{{\"r.io\":{{\"auth\":\"{}\"}}}}}}",
            b64(format!("u:{k}").as_bytes())
        );
        let far = format!(
            "{{\"auths\":{{\"r.io\":{{\"auth\":\"{}\"}}}}}}",
            b64(format!("{}:{k}", "u".repeat(598)).as_bytes())
        );
        vec![
            ("raw", format!("k=\"{k}\"").into_bytes()),
            ("base64", format!("v: {} ", b64(k.as_bytes())).into_bytes()),
            ("utf16", utf16),
            (
                "nested",
                format!("d: {} ", b64(docker.as_bytes())).into_bytes(),
            ),
            // Its key 800 decoded bytes after the carrier, within NESTED_REACH.
            (
                "nested-far",
                format!("d: {} ", b64(far.as_bytes())).into_bytes(),
            ),
        ]
    }

    #[test]
    fn keys_in_every_form_are_found_once_at_every_offset_around_a_small_chunk_edge() {
        let engine = crate::source::test_engine::TestEngine::new();
        let ctx = engine.ctx();
        let overlap = engine.scanner.overlap();
        // The smallest buffer chunk_len gives, so that edges come often.
        let len = chunk_len(0, overlap);
        assert!(len > 2 * overlap && len.is_multiple_of(2));
        assert_eq!(chunk_len(TREE_CHUNK, overlap), TREE_CHUNK);
        let at = || Provenance {
            path: "f".into(),
            uri: "f".into(),
            raw: None,
            commit: None,
        };
        let mut buf = vec![0; len];
        for (form, text) in forms() {
            // The first edge is at `len`, the next ones every `len - overlap`.
            for edge in [len, 2 * len - overlap] {
                let span = text.len() + 8;
                for start in edge - span..edge + 8 {
                    let mut data = vec![b' '; start];
                    data.extend_from_slice(&text);
                    data.extend(std::iter::repeat_n(b' ', len));
                    let (mut scratch, mut out) = (Vec::new(), Vec::new());
                    let n = scan_stream(
                        &mut data.as_slice(),
                        "f",
                        &at,
                        &ctx,
                        &mut buf,
                        &mut scratch,
                        &mut out,
                    )
                    .unwrap();
                    assert_eq!(n, data.len() as u64);
                    // The same as one pass over the whole file.
                    let mut whole = Vec::new();
                    scan_bytes(&data, &at(), &ctx, &mut scratch, &mut whole);
                    let seen = |f: &[Finding]| -> Vec<(u64, usize, usize, String)> {
                        f.iter()
                            .map(|f| (f.offset, f.line, f.column, f.secret.sha256().to_string()))
                            .collect()
                    };
                    assert_eq!(seen(&out), seen(&whole), "{form} at {start} (edge {edge})");
                    if form != "utf16" || start % 2 == 0 {
                        assert_eq!(out.len(), 1, "{form} at {start} (edge {edge}): {out:?}");
                        assert_eq!(out[0].secret.sha256(), Secret::new(key()).sha256());
                    }
                }
            }
        }
    }
}
