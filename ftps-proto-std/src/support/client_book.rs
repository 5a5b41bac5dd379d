//! The client drivers' bookkeeping, the same for the blocking and the async client: what the
//! core reported ([`ClientBook::on_event`]) and what each call takes out of it, and the typed
//! results of single-command operations ([`path_of`], [`size_of`] ...).

use std::collections::{HashMap, HashSet};

use ftps_proto::client::{ClientError, ClientEvent, OpId, OpOutput, Transfer, TransferKind};
use ftps_proto::codec::reply_body::Features;
use ftps_proto::session::{CloseReason, DataId};
use ftps_proto::timeval::TimeVal;
use tracing::debug;

use super::client_error::Error;
use super::transfer::Representation;

/// Results, data connections and session state a client driver collects from the core's
/// events until the call waiting for them takes them.
///
/// ```
/// use ftps_proto::client::ClientEvent;
/// use ftps_proto_std::support::client_book::ClientBook;
/// let mut book = ClientBook::default();
/// assert!(book.setup_outcome().is_none());
/// book.on_event(ClientEvent::Ready { control_tls: false });
/// assert!(matches!(book.setup_outcome(), Some(Ok(()))));
/// ```
#[derive(Debug, Default)]
pub struct ClientBook {
    done: HashMap<OpId, Result<OpOutput, ClientError>>,
    data_of: HashMap<OpId, DataId>,
    /// Operations whose caller went away: their results are dropped when they come.
    abandoned: HashSet<OpId>,
    ready: bool,
    setup_error: Option<ClientError>,
    closed: Option<CloseReason>,
}

impl ClientBook {
    /// Notes one event of the core.
    pub fn on_event(&mut self, event: ClientEvent) {
        match event {
            ClientEvent::Ready { .. } => self.ready = true,
            ClientEvent::SetupFailed { error } => self.setup_error = Some(error),
            ClientEvent::TransferData { op, data } => {
                self.data_of.insert(op, data);
            }
            ClientEvent::Done { op, result } if !self.abandoned.remove(&op) => {
                self.done.insert(op, result);
            }
            ClientEvent::ProtocolViolation { violation } => {
                debug!(?violation, "server broke the protocol");
            }
            _ => {}
        }
    }

    /// The session setup's outcome once known: `Ok` when ready, the core's error otherwise.
    pub fn setup_outcome(&mut self) -> Option<Result<(), Error>> {
        if self.ready {
            return Some(Ok(()));
        }
        self.setup_error.take().map(|e| Err(Error::Ftp(e)))
    }

    /// Takes the result of `op` once it completed.
    pub fn take_result(&mut self, op: OpId) -> Option<Result<OpOutput, Error>> {
        self.done.remove(&op).map(|r| r.map_err(Error::Ftp))
    }

    /// For a transfer that completed before its data connection was handed over: the error
    /// its call returns.
    pub fn ended_early(&mut self, op: OpId) -> Option<Error> {
        self.done.remove(&op).map(|result| match result {
            Ok(_) => Error::Unexpected("transfer ended before its data".to_owned()),
            Err(e) => Error::Ftp(e),
        })
    }

    /// The data connection the core named for transfer `op`.
    pub fn data_of(&self, op: OpId) -> Option<DataId> {
        self.data_of.get(&op).copied()
    }

    /// Forgets the data connection of `op` (its copy ended).
    pub fn forget_data(&mut self, op: OpId) {
        self.data_of.remove(&op);
    }

    /// Drops `op`'s result when it comes: its caller is gone (a reader or writer dropped).
    pub fn abandon(&mut self, op: OpId) {
        self.data_of.remove(&op);
        if self.done.remove(&op).is_none() {
            self.abandoned.insert(op);
        }
    }

    /// Notes that the session closed.
    pub fn close(&mut self, reason: CloseReason) {
        self.closed = Some(reason);
    }

    /// Whether the session closed.
    pub fn is_closed(&self) -> bool {
        self.closed.is_some()
    }

    /// `Err(Closed)` once the session closed: nothing more can be waited for.
    pub fn check_open(&self) -> Result<(), Error> {
        match &self.closed {
            Some(reason) => Err(Error::Closed(reason.clone())),
            None => Ok(()),
        }
    }
}

fn unexpected(output: OpOutput) -> Error {
    Error::Unexpected(format!("{output:?}"))
}

/// The path of a `257` reply (`PWD`).
pub fn path_of(output: OpOutput) -> Result<String, Error> {
    match output {
        OpOutput::Path(p) => Ok(String::from_utf8_lossy(&p).into_owned()),
        other => Err(unexpected(other)),
    }
}

/// The directory `MKD` created, as the server names it (`asked` when its reply names none).
pub fn made_dir(output: OpOutput, asked: &str) -> String {
    match output {
        OpOutput::Path(p) => String::from_utf8_lossy(&p).into_owned(),
        _ => asked.to_owned(),
    }
}

/// The size of a `213` reply (`SIZE`).
pub fn size_of(output: OpOutput) -> Result<u64, Error> {
    match output {
        OpOutput::Size(n) => Ok(n),
        other => Err(unexpected(other)),
    }
}

/// The time of a `213` reply (`MDTM`).
pub fn time_of(output: OpOutput) -> Result<TimeVal, Error> {
    match output {
        OpOutput::Time(t) => Ok(t),
        other => Err(unexpected(other)),
    }
}

/// The features of a `211` reply (`FEAT`).
pub fn features_of(output: OpOutput) -> Result<Features, Error> {
    match output {
        OpOutput::Features(f) => Ok(f),
        other => Err(unexpected(other)),
    }
}

/// The text of the final reply (`SITE`): its lines joined with `\n`, the code removed.
pub fn reply_text_of(output: OpOutput) -> Result<String, Error> {
    match output {
        OpOutput::Reply(r) => Ok(r.text_lossy().into_owned()),
        other => Err(unexpected(other)),
    }
}

/// The name `STOU` stored the upload under, when the server said.
pub fn stored_name(output: OpOutput) -> Option<String> {
    match output {
        OpOutput::StoredAs(name) => Some(String::from_utf8_lossy(&name).into_owned()),
        _ => None,
    }
}

/// The representation of a download, or [`Error::WrongDirection`] for an upload.
pub fn download_repr(t: &Transfer<'_>) -> Result<Representation, Error> {
    if t.kind.is_upload() {
        return Err(Error::WrongDirection);
    }
    Ok(Representation::of_transfer(t))
}

/// The representation of an upload, or [`Error::WrongDirection`] for a download.
pub fn upload_repr(t: &Transfer<'_>) -> Result<Representation, Error> {
    if !t.kind.is_upload() {
        return Err(Error::WrongDirection);
    }
    Ok(Representation::of_transfer(t))
}

/// The transfer of a listing (`LIST`, `NLST`, `MLSD`) of `path`, or of the working directory.
pub fn listing_transfer(kind: TransferKind, path: Option<&str>) -> Transfer<'_> {
    match path {
        Some(p) => Transfer::new(kind, p.as_bytes()),
        None => Transfer::without_path(kind),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ftps_proto::client::TransferKind;

    #[test]
    fn typed_outputs_and_their_mismatches() {
        assert_eq!(path_of(OpOutput::Path(b"/a".to_vec())).unwrap(), "/a");
        assert!(matches!(
            path_of(OpOutput::Size(1)),
            Err(Error::Unexpected(s)) if s == "Size(1)"
        ));
        assert_eq!(made_dir(OpOutput::None, "x"), "x");
        assert_eq!(size_of(OpOutput::Size(9)).unwrap(), 9);
        assert!(time_of(OpOutput::None).is_err());
        assert_eq!(
            stored_name(OpOutput::StoredAs(b"n".to_vec())).as_deref(),
            Some("n")
        );
        assert_eq!(stored_name(OpOutput::None), None);
    }

    #[test]
    fn directions_are_checked() {
        let up = Transfer::new(TransferKind::Stor, b"f");
        let down = Transfer::new(TransferKind::Retr, b"f").ascii(true);
        assert!(matches!(download_repr(&up), Err(Error::WrongDirection)));
        assert!(matches!(upload_repr(&down), Err(Error::WrongDirection)));
        assert_eq!(download_repr(&down).unwrap(), Representation::Ascii);
        let list = listing_transfer(TransferKind::List, None).ascii(true);
        assert_eq!(download_repr(&list).unwrap(), Representation::Binary);
    }

    #[test]
    fn abandoned_results_are_dropped() {
        let mut book = ClientBook::default();
        let mut session = ftps_proto::client::ClientSession::new(
            ftps_proto::client::ClientConfig::plain(),
            "127.0.0.1:21".parse().unwrap(),
            std::time::Instant::now(),
        );
        let op = session
            .command(ftps_proto::client::Operation::Noop)
            .unwrap();
        book.abandon(op);
        book.on_event(ClientEvent::Done {
            op,
            result: Ok(OpOutput::None),
        });
        assert!(book.take_result(op).is_none());
        book.on_event(ClientEvent::Done {
            op,
            result: Ok(OpOutput::None),
        });
        assert!(matches!(book.take_result(op), Some(Ok(OpOutput::None))));
    }
}
