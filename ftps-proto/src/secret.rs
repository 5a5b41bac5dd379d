//! [`Secret`]: a password or account string that never prints.

use std::borrow::Cow;
use std::fmt;

/// A secret byte string (a `PASS` or `ACCT` argument) whose `Debug` output is redacted.
///
/// ```
/// use ftps_proto::Secret;
/// let s = Secret::from("hunter2");
/// assert_eq!(format!("{s:?}"), "Secret(***)");
/// assert_eq!(s.expose(), b"hunter2");
/// ```
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Secret<'a>(Cow<'a, [u8]>);

impl<'a> Secret<'a> {
    /// Wraps bytes as a secret.
    pub fn new(bytes: impl Into<Cow<'a, [u8]>>) -> Self {
        Secret(bytes.into())
    }

    /// The secret bytes. Call this only where the secret must really be used.
    pub fn expose(&self) -> &[u8] {
        &self.0
    }

    /// Detaches the secret from the buffer it borrows from.
    pub fn into_owned(self) -> Secret<'static> {
        Secret(Cow::Owned(self.0.into_owned()))
    }
}

impl fmt::Debug for Secret<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl<'a> From<&'a str> for Secret<'a> {
    fn from(s: &'a str) -> Self {
        Secret(Cow::Borrowed(s.as_bytes()))
    }
}

impl<'a> From<&'a [u8]> for Secret<'a> {
    fn from(s: &'a [u8]) -> Self {
        Secret(Cow::Borrowed(s))
    }
}

impl From<String> for Secret<'static> {
    fn from(s: String) -> Self {
        Secret(Cow::Owned(s.into_bytes()))
    }
}

impl From<Vec<u8>> for Secret<'static> {
    fn from(s: Vec<u8>) -> Self {
        Secret(Cow::Owned(s))
    }
}
