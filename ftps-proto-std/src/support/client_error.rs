//! The client's [`Error`], shared by the blocking and async clients (re-exported as
//! `ftps_proto_std::client::Error` and `ftps_proto_tokio::client::Error`).

use std::fmt;

use ftps_proto::client::{ClientError, LocalError};
use ftps_proto::session::CloseReason;

use super::tls::TlsConfigError;

/// Why a client call failed.
///
/// ```
/// use ftps_proto_std::support::client_error::Error;
/// let e = Error::from(std::io::Error::from(std::io::ErrorKind::TimedOut));
/// assert_eq!(e.to_string(), "I/O error: timed out");
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// A socket or local reader/writer error (timeouts are `TimedOut`, or `WouldBlock` from a
    /// blocking socket).
    Io(std::io::Error),
    /// The TLS configuration is unusable (for example, an invalid server name).
    Tls(TlsConfigError),
    /// TLS is required by the configuration but
    /// [`ConnectOptions::tls`](super::connect::ConnectOptions::tls) is `None`.
    TlsNotConfigured,
    /// The call was refused before anything was sent (CR/LF in an argument, ...).
    Local(LocalError),
    /// The server refused, or the protocol failed (with the server's reply when there was one).
    Ftp(ClientError),
    /// The control connection is closed.
    Closed(CloseReason),
    /// The operation completed with a result of an unexpected kind.
    Unexpected(String),
    /// A download method was given an upload [`Transfer`](ftps_proto::client::Transfer), or
    /// the other way round; nothing was sent.
    WrongDirection,
}

impl Error {
    /// The reply code of the server's refusal, when the error carries one.
    ///
    /// ```
    /// use ftps_proto_std::support::client_error::Error;
    /// assert_eq!(Error::WrongDirection.reply_code(), None);
    /// ```
    pub fn reply_code(&self) -> Option<u16> {
        match self {
            Error::Ftp(e) => e.reply().map(|r| r.code().get()),
            _ => None,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Io(e) => write!(f, "I/O error: {e}"),
            Error::Tls(e) => write!(f, "TLS: {e}"),
            Error::TlsNotConfigured => f.write_str("TLS is required but no TLS setup was given"),
            Error::Local(e) => write!(f, "refused locally: {e}"),
            Error::Ftp(e) => write!(f, "{e}"),
            Error::Closed(reason) => write!(f, "connection closed ({reason:?})"),
            Error::Unexpected(what) => write!(f, "unexpected result: {what}"),
            Error::WrongDirection => {
                f.write_str("transfer kind does not match the direction of the call")
            }
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Io(e) => Some(e),
            Error::Tls(e) => Some(e),
            Error::Local(e) => Some(e),
            Error::Ftp(e) => Some(e),
            _ => None,
        }
    }
}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Self {
        Error::Io(e)
    }
}

impl From<TlsConfigError> for Error {
    fn from(e: TlsConfigError) -> Self {
        Error::Tls(e)
    }
}

impl From<LocalError> for Error {
    fn from(e: LocalError) -> Self {
        Error::Local(e)
    }
}

impl From<ClientError> for Error {
    fn from(e: ClientError) -> Self {
        Error::Ftp(e)
    }
}
