//! Byte offset → line and column.
//!
//! Lines are 1-based and end at `\n` (a `\r` before it belongs to the line).
//! Columns are 1-based and count UTF-16 code units from the start of the line,
//! as GitHub code scanning and SARIF's default `columnKind` (`utf16CodeUnits`)
//! do: an ASCII or other BMP character is one unit, a character outside the
//! BMP (most emoji) is two. Bytes that are not valid UTF-8 count one unit each
//! (they display as U+FFFD), except stray continuation bytes, which count none.
//!
//! The count is additive over any split of the bytes, so a file read in
//! chunks carries a [`LinePos`] from one chunk to the next.

/// UTF-16 code units in `bytes`, computed byte by byte (see the module docs).
pub fn utf16_units(bytes: &[u8]) -> usize {
    // Branch-free so the compiler vectorises it: megabyte lines pass through here.
    bytes
        .iter()
        .map(|&b| usize::from(b & 0xC0 != 0x80) + usize::from(b & 0xF8 == 0xF0))
        .sum()
}

/// Where a buffer starts in its file: the line, and the UTF-16 units of that
/// line that lie before the buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LinePos {
    /// 1-based line of the buffer's first byte.
    pub line: usize,
    /// UTF-16 units between the start of that line and the buffer's first byte.
    pub units_before: usize,
}

impl LinePos {
    /// The start of a file.
    pub const START: Self = Self {
        line: 1,
        units_before: 0,
    };

    /// The position just after `consumed`, which starts at `self`.
    pub fn advance(self, consumed: &[u8]) -> Self {
        let newlines = memchr::memchr_iter(b'\n', consumed).count();
        match memchr::memrchr(b'\n', consumed) {
            Some(last) => Self {
                line: self.line + newlines,
                units_before: utf16_units(&consumed[last + 1..]),
            },
            None => Self {
                line: self.line,
                units_before: self.units_before + utf16_units(consumed),
            },
        }
    }
}

/// Locates increasing offsets in one buffer without rescanning from its start.
#[derive(Debug)]
pub struct Locator<'a> {
    hay: &'a [u8],
    /// Offset up to which newlines have been counted.
    at: usize,
    line: usize,
    /// Offset of the current line's start in `hay`, or 0 when the line began before it.
    line_start: usize,
    /// Units before `hay` that belong to the current line (only while it began before `hay`).
    carried: usize,
    /// Cache: units between `line_start` and `units_at`.
    units_at: usize,
    units: usize,
}

impl<'a> Locator<'a> {
    /// A locator for `hay`, whose first byte is at `start`.
    pub fn new(hay: &'a [u8], start: LinePos) -> Self {
        Self {
            hay,
            at: 0,
            line: start.line,
            line_start: 0,
            carried: start.units_before,
            units_at: 0,
            units: 0,
        }
    }

    /// The 1-based line and column of `pos`. Offsets may repeat but must not decrease.
    pub fn locate(&mut self, pos: usize) -> (usize, usize) {
        debug_assert!(pos >= self.at, "offsets must not decrease");
        let pos = pos.max(self.at);
        let span = &self.hay[self.at..pos];
        if let Some(last) = memchr::memrchr(b'\n', span) {
            self.line += memchr::memchr_iter(b'\n', span).count();
            self.line_start = self.at + last + 1;
            self.carried = 0;
            self.units_at = self.line_start;
            self.units = 0;
        }
        self.at = pos;
        self.units += utf16_units(&self.hay[self.units_at..pos]);
        self.units_at = pos;
        (self.line, self.carried + self.units + 1)
    }

    /// Offset in the buffer where the line holding the last located offset starts.
    pub fn line_start(&self) -> usize {
        self.line_start
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_and_columns() {
        let hay = "ab\ncd\r\nxé😀z".as_bytes();
        let mut loc = Locator::new(hay, LinePos::START);
        assert_eq!(loc.locate(0), (1, 1));
        assert_eq!(loc.locate(1), (1, 2));
        assert_eq!(loc.locate(3), (2, 1));
        let z = hay.len() - 1;
        // x(1) é(1) 😀(2) → z is at column 5 of line 3.
        assert_eq!(loc.locate(z), (3, 5));
        assert_eq!(loc.locate(z), (3, 5));
    }

    #[test]
    fn chunked_positions_add_up() {
        let text = "first line\nsecond 😀 line continues".as_bytes();
        for split in 0..text.len() {
            let start = LinePos::START.advance(&text[..split]);
            let mut whole = Locator::new(text, LinePos::START);
            let mut part = Locator::new(&text[split..], start);
            let pos = text.len() - 1;
            assert_eq!(part.locate(pos - split), whole.locate(pos), "split {split}");
        }
    }

    #[test]
    fn invalid_utf8_counts_one_unit_per_byte() {
        let hay = b"\xff\xfeK";
        assert_eq!(Locator::new(hay, LinePos::START).locate(2), (1, 3));
    }
}
