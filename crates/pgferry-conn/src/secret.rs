//! [`Secret`]: a password that never shows up in logs or messages.

use std::fmt;

/// A password or other secret.
///
/// `Debug` and `Display` print `********`, never the value, so a `Secret` can sit inside any struct that
/// derives `Debug` or is logged with `tracing`. The only way to read the value is [`Secret::expose`], which
/// makes each use easy to find.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

/// What `Debug` and `Display` print instead of the value.
const REDACTED: &str = "********";

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: String) -> Secret {
        Secret(value)
    }

    /// The secret value itself. Do not log it or put it in an error message.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Secret {
        Secret(value)
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

#[cfg(test)]
mod tests;
