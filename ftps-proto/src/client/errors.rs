//! Client errors: [`ClientError`] (an operation failed), [`Violation`] (the server broke the
//! protocol) and [`LocalError`] (the caller misused the API; nothing was sent).

use std::fmt;

use crate::codec::{EncodeError, Reply};
use crate::session::DataError;

/// Which timer ran out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TimerKind {
    /// Waiting for the `220` greeting.
    Greeting,
    /// Waiting for the reply to a command.
    Reply,
    /// Waiting for a data connection to open.
    DataConnect,
    /// Waiting for the other half of a transfer's completion (data end or final reply).
    DataStall,
    /// Waiting for a TLS handshake (or close_notify exchange) on the control connection.
    TlsHandshake,
}

impl fmt::Display for TimerKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TimerKind::Greeting => "greeting",
            TimerKind::Reply => "reply",
            TimerKind::DataConnect => "data connection",
            TimerKind::DataStall => "transfer completion",
            TimerKind::TlsHandshake => "TLS handshake",
        })
    }
}

/// How the server broke the protocol. Every violation but [`Violation::InvalidReplyBody`]
/// closes the session: once replies and commands may be out of step, no further reply can be
/// trusted. A reply that is in step but lacks its value only fails its operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Violation {
    /// The first reply was neither `120`, `220` nor an error (SM959-GREET).
    ReplyBeforeGreeting,
    /// A reply arrived while no command was waiting for one.
    UnsolicitedReply,
    /// A 1yz reply to a command that allows none (SM959-G1).
    UnexpectedPreliminary,
    /// A second 1yz reply to one command (REP-ONE1YZ).
    SecondPreliminary,
    /// A 3yz reply to a command that allows none.
    UnexpectedIntermediate,
    /// A 2yz reply where only 3yz makes sense (`RNFR`, `REST`: SM959-RENAME/REST).
    UnexpectedCompletion,
    /// A reply line without a valid code.
    MalformedReply,
    /// A reply line or a multi-line reply over the [`Limits`](crate::Limits) (FRM-MAXREP).
    ReplyTooLong,
    /// A reply lacks the value its code must carry (e.g. `227` without an address, `213`
    /// without a number).
    InvalidReplyBody,
    /// The control connection ended inside a reply.
    EofInsideReply,
    /// Plaintext bytes followed the `234` reply (TLS injection, ATK-TLSINJ-C).
    TlsInjection,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Violation {
    /// A short static description, also used as the
    /// [`CloseReason::ProtocolViolation`](crate::session::CloseReason::ProtocolViolation) text.
    pub fn as_str(self) -> &'static str {
        match self {
            Violation::ReplyBeforeGreeting => "reply before the greeting",
            Violation::UnsolicitedReply => "unsolicited reply",
            Violation::UnexpectedPreliminary => "unexpected 1yz reply",
            Violation::SecondPreliminary => "second 1yz reply",
            Violation::UnexpectedIntermediate => "unexpected 3yz reply",
            Violation::UnexpectedCompletion => "2yz reply where 3yz was required",
            Violation::MalformedReply => "malformed reply line",
            Violation::ReplyTooLong => "reply over the configured limits",
            Violation::InvalidReplyBody => "reply lacks its required value",
            Violation::EofInsideReply => "connection closed inside a reply",
            Violation::TlsInjection => "plaintext bytes after the 234 reply",
        }
    }
}

/// Why a transfer's final reply reports failure; see [`ClientError::Transfer`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TransferFailure {
    /// `425`: the server could not open the data connection.
    CannotOpenDataConnection,
    /// `426`: the data connection closed; transfer aborted.
    ConnectionClosed,
    /// `451`: local error on the server.
    ServerLocalError,
    /// `452`: insufficient storage space.
    InsufficientStorage,
    /// `552`: storage allocation (quota) exceeded.
    QuotaExceeded,
    /// `521`: the data connection cannot be opened with this protection level.
    ProtectionLevelRefused,
    /// `522` (RFC 4217) / `535`: the data connection's TLS negotiation failed or TLS is
    /// required on it.
    DataTlsFailed,
    /// `534`: refused for policy reasons (usually: protection too low).
    PolicyRefused,
    /// `554`/`555`: invalid restart offset or type mismatch (H1123-RESTCODES).
    InvalidRestart,
}

/// Why an operation failed (the `result` of [`ClientEvent::Done`](super::ClientEvent::Done)).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ClientError {
    /// The server refused the command with this 4yz/5yz reply.
    Rejected {
        /// The reply.
        reply: Reply<'static>,
    },
    /// `530`: not logged in.
    NotLoggedIn {
        /// The reply.
        reply: Reply<'static>,
    },
    /// Login refused (`USER`/`PASS`/`ACCT` answered 4yz/5yz). `cleartext` tells that the
    /// control connection was not encrypted: TLS-only servers refuse login that way.
    LoginRefused {
        /// The reply.
        reply: Reply<'static>,
        /// The control connection was plaintext.
        cleartext: bool,
    },
    /// The server wants an account (`332`/`532`) and none was given.
    AccountRequired {
        /// The reply.
        reply: Reply<'static>,
    },
    /// TLS was required (by the configuration or the server) and could not be had: `AUTH`
    /// refused, `PROT P` refused, or a `534` policy refusal.
    TlsRequired {
        /// The server's refusal, when there was one.
        reply: Option<Reply<'static>>,
    },
    /// The control TLS handshake failed.
    TlsFailed,
    /// A transfer's command or final reply failed, classified.
    Transfer {
        /// The class of failure.
        failure: TransferFailure,
        /// The reply.
        reply: Reply<'static>,
    },
    /// The data connection failed on the client side.
    DataConnection(DataError),
    /// `421`: the server is closing the control connection.
    ServerClosed {
        /// The reply.
        reply: Reply<'static>,
    },
    /// The control connection closed (or the session closed for another reason) before the
    /// operation completed.
    ConnectionClosed,
    /// The server broke the protocol; the session is closed.
    ProtocolViolation(Violation),
    /// A timer ran out.
    Timeout(TimerKind),
    /// The operation was aborted with [`ClientSession::abort`](super::ClientSession::abort).
    Aborted,
    /// A command the session built could not be encoded (e.g. a configured `HOST` name with
    /// CR or LF); nothing was sent for it.
    Local(LocalError),
}

impl ClientError {
    /// Whether a retry may succeed: a 4yz reply (RFC 959 transient) or a timeout (REP-DIGIT).
    pub fn is_transient(&self) -> bool {
        match self {
            ClientError::Rejected { reply }
            | ClientError::NotLoggedIn { reply }
            | ClientError::LoginRefused { reply, .. }
            | ClientError::AccountRequired { reply }
            | ClientError::Transfer { reply, .. }
            | ClientError::ServerClosed { reply } => reply.code().get() / 100 == 4,
            ClientError::Timeout(_) | ClientError::DataConnection(_) => true,
            _ => false,
        }
    }

    /// The server's reply that caused the error, if one did.
    pub fn reply(&self) -> Option<&Reply<'static>> {
        match self {
            ClientError::Rejected { reply }
            | ClientError::NotLoggedIn { reply }
            | ClientError::LoginRefused { reply, .. }
            | ClientError::AccountRequired { reply }
            | ClientError::Transfer { reply, .. }
            | ClientError::ServerClosed { reply } => Some(reply),
            ClientError::TlsRequired { reply } => reply.as_ref(),
            _ => None,
        }
    }
}

/// Writes `code text` with the text's invalid UTF-8 replaced, for messages.
fn write_reply(f: &mut fmt::Formatter<'_>, reply: &Reply<'_>) -> fmt::Result {
    write!(
        f,
        "{} {}",
        reply.code().get(),
        String::from_utf8_lossy(reply.text()).trim_end()
    )
}

impl fmt::Display for ClientError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClientError::Rejected { reply } => {
                f.write_str("server refused: ")?;
                write_reply(f, reply)
            }
            ClientError::NotLoggedIn { reply } => {
                f.write_str("not logged in: ")?;
                write_reply(f, reply)
            }
            ClientError::LoginRefused { reply, cleartext } => {
                f.write_str("login refused: ")?;
                write_reply(f, reply)?;
                if *cleartext {
                    f.write_str(" (over a plaintext connection: the server may require TLS)")?;
                }
                Ok(())
            }
            ClientError::AccountRequired { reply } => {
                f.write_str("account required: ")?;
                write_reply(f, reply)
            }
            ClientError::TlsRequired { reply: Some(reply) } => {
                f.write_str("TLS required but refused: ")?;
                write_reply(f, reply)
            }
            ClientError::TlsRequired { reply: None } => {
                f.write_str("TLS required but not in force")
            }
            ClientError::TlsFailed => f.write_str("control connection TLS handshake failed"),
            ClientError::Transfer { failure, reply } => {
                write!(f, "transfer failed ({failure:?}): ")?;
                write_reply(f, reply)
            }
            ClientError::DataConnection(e) => write!(f, "data connection failed: {e:?}"),
            ClientError::ServerClosed { reply } => {
                f.write_str("server closing the connection: ")?;
                write_reply(f, reply)
            }
            ClientError::ConnectionClosed => f.write_str("control connection closed"),
            ClientError::ProtocolViolation(v) => write!(f, "protocol violation: {v}"),
            ClientError::Timeout(t) => write!(f, "timed out waiting for the {t}"),
            ClientError::Aborted => f.write_str("aborted"),
            ClientError::Local(e) => write!(f, "request not sent: {e}"),
        }
    }
}

impl std::error::Error for ClientError {}

/// Caller misuse: the request was refused, nothing was sent and the session is unchanged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum LocalError {
    /// An argument holds CR, LF or NUL (command injection, ATK-CRLF).
    ForbiddenByte {
        /// The offending byte.
        byte: u8,
    },
    /// An argument cannot be encoded (e.g. an empty path).
    InvalidArgument,
    /// The transfer kind needs a path and none was given.
    MissingPath,
    /// The command is driven by the session itself; use the matching operation.
    UseOperation,
    /// The session is closed (or closing after `QUIT`).
    Closed,
    /// No queued or running operation has this id.
    UnknownOperation,
    /// The operation cannot be aborted (a single command already sent).
    NotAbortable,
    /// The configuration forbids it (e.g. `CCC` when TLS is required, active mode after
    /// `EPSV ALL`, `PASV`-only over IPv6).
    ForbiddenByConfig,
}

impl From<EncodeError> for LocalError {
    fn from(e: EncodeError) -> Self {
        match e {
            EncodeError::ForbiddenByte { byte } => LocalError::ForbiddenByte { byte },
            _ => LocalError::InvalidArgument,
        }
    }
}

impl fmt::Display for LocalError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LocalError::ForbiddenByte { byte } => {
                write!(f, "argument holds forbidden byte 0x{byte:02x}")
            }
            LocalError::InvalidArgument => f.write_str("argument cannot be encoded"),
            LocalError::MissingPath => f.write_str("this transfer needs a path"),
            LocalError::UseOperation => {
                f.write_str("this command is driven by the session; use its operation")
            }
            LocalError::Closed => f.write_str("the session is closed"),
            LocalError::UnknownOperation => f.write_str("no such operation"),
            LocalError::NotAbortable => f.write_str("the operation cannot be aborted now"),
            LocalError::ForbiddenByConfig => f.write_str("forbidden by the configuration"),
        }
    }
}

impl std::error::Error for LocalError {}
