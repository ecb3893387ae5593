//! Errors that say what to do next: a [`Hint`] attached to an error with
//! [`HintExt::hint`] or [`hinted`]. The library attaches them where it knows
//! the fix; the command line prints them as a `hint:` line under the error.

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
