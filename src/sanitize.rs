//! The one filter for text that reaches a terminal, a workflow command, a
//! Markdown table or an HTML page: control and bidi characters replaced, so
//! a file name, an author name or a message from the API cannot move the
//! cursor, retitle the window, hide text (`\r`, bidi overrides) or forge
//! lines.
//!
//! [`sanitize`] keeps line breaks and tabs (for multi-line messages);
//! [`sanitize_line`] replaces line breaks too (for one-line fields such as a
//! path); [`field`] also redacts key-shaped runs (a path or an author name
//! holding a key), for every renderer.

use std::borrow::Cow;

/// What unsafe characters become.
const REPLACEMENT: char = '\u{FFFD}';

/// Bidi controls that reorder what a terminal shows.
fn is_bidi(c: char) -> bool {
    matches!(c, '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

fn replace_if(text: &str, unsafe_char: impl Fn(char) -> bool) -> Cow<'_, str> {
    if !text.chars().any(&unsafe_char) {
        return Cow::Borrowed(text);
    }
    Cow::Owned(
        text.chars()
            .map(|c| if unsafe_char(c) { REPLACEMENT } else { c })
            .collect(),
    )
}

/// Replace control and bidi characters (keeping `\n` and `\t`) so a message
/// cannot rewrite the terminal.
pub fn sanitize(message: &str) -> String {
    replace_if(message, |c| {
        (c.is_control() && c != '\n' && c != '\t') || is_bidi(c)
    })
    .into_owned()
}

/// Replace control characters (line breaks included, tabs kept) and bidi
/// characters: for text that must stay on one line.
pub fn sanitize_line(text: &str) -> Cow<'_, str> {
    replace_if(text, |c| (c.is_control() && c != '\t') || is_bidi(c))
}

/// A one-line field for display (a path, an author name, an e-mail): made
/// safe with [`sanitize_line`] and, when `redact`, with every key-shaped run
/// redacted ([`crate::secret::redact_key_shaped`]).
pub fn field(text: &str, redact: bool) -> String {
    let line = sanitize_line(text);
    if redact {
        crate::secret::redact_key_shaped(&line).into_owned()
    } else {
        line.into_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_bells_returns_and_bidi_are_replaced() {
        let hostile = "a\u{1b}]0;t\u{7}b\rc\u{202e}d\ne\tf";
        assert_eq!(
            sanitize(hostile),
            "a\u{FFFD}]0;t\u{FFFD}b\u{FFFD}c\u{FFFD}d\ne\tf"
        );
        assert_eq!(
            sanitize_line(hostile),
            "a\u{FFFD}]0;t\u{FFFD}b\u{FFFD}c\u{FFFD}d\u{FFFD}e\tf"
        );
        assert!(matches!(sanitize_line("plain/path.rs"), Cow::Borrowed(_)));
    }

    #[test]
    fn fields_redact_key_shaped_runs_unless_asked_not_to() {
        let key = "msk_u8jzPde0IgxLd6GncfBAepfJBd0Kh8oO"; // misar-scan:allow (fake test key)
        let path = format!("conf/{key}.env\n");
        assert_eq!(field(&path, true), "conf/msk_u8jz….env\u{FFFD}");
        assert_eq!(field(&path, false), format!("conf/{key}.env\u{FFFD}"));
    }
}
