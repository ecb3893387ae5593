//! Scanning a byte stream of any length in chunks with an overlap, so memory
//! stays flat however large a file, an archive member or a line is.

use std::io::Read;

use super::{Provenance, ScanContext};
use crate::engine::location::LinePos;
use crate::engine::Candidate;
use crate::finding::Finding;

/// Bytes read per chunk.
pub const CHUNK: usize = 4 << 20;

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

/// Scan everything `reader` yields, in chunks of `buf.len()` bytes (an even
/// number, at least [`CHUNK`] / 4), and return how many bytes it yielded.
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
