//! Errors that say what to do next: a [`Hint`] attached to an error with
//! [`HintExt::hint`] or [`hinted`]. The library attaches them where it knows
//! the fix; the command line prints them as a `hint:` line under the error
//! ([`error_lines`]).

/// What to do next about an error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hint(pub String);

impl std::fmt::Display for Hint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Attach a [`Hint`] to an error.
pub trait HintExt<T> {
    /// Add `hint` (what the user should do next) to the error, if any.
    fn hint(self, hint: impl Into<String>) -> anyhow::Result<T>;
}

impl<T, E> HintExt<T> for Result<T, E>
where
    E: Into<anyhow::Error>,
{
    fn hint(self, hint: impl Into<String>) -> anyhow::Result<T> {
        self.map_err(|e| e.into().context(Hint(hint.into())))
    }
}

/// An error with a hint, for `bail!`-like early returns.
pub fn hinted(message: impl Into<String>, hint: impl Into<String>) -> anyhow::Error {
    anyhow::Error::msg(message.into()).context(Hint(hint.into()))
}

/// The error line (the chain on one line after `error:`) and the `hint:`
/// line, if the error carries a [`Hint`].
pub fn error_lines(err: &anyhow::Error) -> Vec<String> {
    let hint = err.downcast_ref::<Hint>().map(|h| h.0.clone());
    let chain: Vec<String> = err
        .chain()
        .map(|e| e.to_string())
        .filter(|m| Some(m) != hint.as_ref())
        .collect();
    let mut lines = vec![format!(
        "error: {}",
        crate::sanitize::sanitize(&chain.join(": "))
    )];
    if let Some(hint) = hint {
        lines.push(format!("hint: {}", crate::sanitize::sanitize(&hint)));
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hints_print_on_their_own_line() {
        let err: anyhow::Result<()> = Err(anyhow::anyhow!("inner"));
        let err = err
            .map_err(|e| e.context("outer"))
            .hint("do `this`")
            .unwrap_err();
        assert_eq!(
            error_lines(&err),
            ["error: outer: inner", "hint: do `this`"]
        );
        let plain = anyhow::anyhow!("no hint");
        assert_eq!(error_lines(&plain), ["error: no hint"]);
    }
}
