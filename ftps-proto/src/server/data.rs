//! Data connections: listener and connection events, the transfer lifecycle and its final
//! replies.

use std::time::Instant;

use super::dispatch::same_ip;
use super::output::{Item, ServerEvent};
use super::request::StoreMode;
use super::state::{DataSetup, PassiveConn, Stage, Transfer, Wait, XferKind};
use super::ServerSession;
use crate::codec::ReplyCode;
use crate::session::{DataAction, DataError, DataEvent, DataId, DataTls, StorageError};

/// The reply to a storage failure reported before any 1yz reply (REP-CODES).
pub(crate) fn storage_reply(error: StorageError) -> (ReplyCode, &'static [u8]) {
    match error {
        StorageError::NotFound => (ReplyCode::C550, b"No such file or directory."),
        StorageError::PermissionDenied => (ReplyCode::C550, b"Permission denied."),
        StorageError::AlreadyExists => (ReplyCode::C550, b"File exists."),
        StorageError::NotADirectory => (ReplyCode::C550, b"Not a directory."),
        StorageError::InvalidName => (ReplyCode::C553, b"File name not allowed."),
        StorageError::InsufficientStorage => (ReplyCode::C452, b"Insufficient storage space."),
        StorageError::QuotaExceeded => (ReplyCode::C552, b"Exceeded storage allocation."),
        StorageError::Unsupported => (ReplyCode::C502, b"Not supported by this server."),
        StorageError::Local => (ReplyCode::C451, b"Local error in processing."),
        StorageError::InvalidOffset => (ReplyCode::C554, b"Invalid REST parameter."),
    }
}

/// The reply to a storage failure in the middle of a transfer (after the 1yz): only the
/// transfer completion codes are allowed there (C959-RETR, C959-STOR).
fn storage_reply_mid(error: StorageError) -> (ReplyCode, &'static [u8]) {
    match error {
        StorageError::InsufficientStorage => (ReplyCode::C452, b"Insufficient storage space."),
        StorageError::QuotaExceeded => (ReplyCode::C552, b"Exceeded storage allocation."),
        StorageError::NotFound
        | StorageError::PermissionDenied
        | StorageError::AlreadyExists
        | StorageError::NotADirectory
        | StorageError::InvalidName
        | StorageError::Unsupported
        | StorageError::Local
        | StorageError::InvalidOffset => (ReplyCode::C451, b"Local error in processing."),
    }
}

impl ServerSession {
    /// The application opened the file (or directory) of a transfer: the 1yz reply, then the
    /// data connection.
    pub(crate) fn start_transfer(
        &mut self,
        now: Instant,
        data: DataId,
        kind: XferKind,
        unique: Option<&[u8]>,
    ) {
        let setup = std::mem::replace(&mut self.data, DataSetup::None);
        let mut connect = None;
        let (protection, passive, conn) = match setup {
            DataSetup::Passive {
                id,
                protection,
                conn,
            } if id == data => (protection, true, Some(conn)),
            DataSetup::Active { id, addr } if id == data => {
                connect = Some(addr);
                (self.protection(), false, None)
            }
            other => {
                // The data connection vanished (failed listener) while the application was
                // deciding.
                self.data = other;
                self.out.push(Item::Data(DataAction::Close { id: data }));
                self.reply(ReplyCode::C425, b"Cannot open data connection.");
                return;
            }
        };
        if let Some(PassiveConn::Failed(_)) = conn {
            self.out.push(Item::Data(DataAction::Close { id: data }));
            self.reply(ReplyCode::C425, b"Cannot open data connection.");
            return;
        }
        let open = matches!(conn, Some(PassiveConn::Connected { .. }));
        let code = if open {
            ReplyCode::C125
        } else {
            ReplyCode::C150
        };
        self.reply_with(code, |t| match unique {
            // C959-STOU: the name is in the preliminary reply.
            Some(name) => {
                t.extend_from_slice(b"FILE: ");
                t.extend_from_slice(name);
            }
            None if open => {
                t.extend_from_slice(b"Data connection already open; transfer starting.")
            }
            None => t.extend_from_slice(b"Opening data connection."),
        });
        self.transfer = Some(Transfer {
            data,
            kind,
            protection,
            passive,
            stage: Stage::Connecting { since: now },
            bytes: 0,
        });
        self.wait = Wait::Transfer;
        if let Some(addr) = connect {
            // DAT-ORDER: in active mode the server connects after its 1yz reply.
            self.out.push(Item::Data(DataAction::Connect {
                id: data,
                addr,
                protection,
            }));
        }
        if let Some(PassiveConn::Connected { tls }) = conn {
            self.accept_connection(now, tls);
        }
    }

    /// A connection for the running transfer is there: check its TLS, then start it.
    fn accept_connection(&mut self, now: Instant, tls: Option<DataTls>) {
        let Some(transfer) = &mut self.transfer else {
            return;
        };
        let id = transfer.data;
        if transfer.protection.tls {
            match tls {
                None => {
                    self.fail_transfer(ReplyCode::C522, b"Data connection must use TLS.");
                    return;
                }
                Some(t)
                    if transfer.protection.require_session_reuse && !t.resumed_control_session =>
                {
                    // T4217-REUSE, ATK-STEAL.
                    self.fail_transfer(
                        ReplyCode::C522,
                        b"Data connection must resume the control connection's TLS session.",
                    );
                    return;
                }
                Some(_) => {}
            }
        }
        transfer.stage = Stage::Running { last: now };
        self.out.push(Item::Data(DataAction::Start { id }));
    }

    /// Ends the running transfer with a failure reply (the data connection is closed first).
    pub(crate) fn fail_transfer(&mut self, code: ReplyCode, text: &[u8]) {
        let Some(transfer) = self.transfer.take() else {
            return;
        };
        self.wait = Wait::None;
        self.out
            .push(Item::Data(DataAction::Close { id: transfer.data }));
        self.reply(code, text);
        self.out.push(Item::Event(ServerEvent::TransferFailed {
            data: transfer.data,
            code,
        }));
    }

    /// Ends the running transfer with `226` (DAT-CLOSE: the data connection is closed first).
    fn finish_transfer(&mut self, bytes: u64) {
        let Some(transfer) = self.transfer.take() else {
            return;
        };
        self.wait = Wait::None;
        self.out
            .push(Item::Data(DataAction::Close { id: transfer.data }));
        self.reply(ReplyCode::C226, b"Transfer complete.");
        self.out.push(Item::Event(ServerEvent::TransferFinished {
            data: transfer.data,
            bytes,
        }));
    }

    /// Handles a data-connection event.
    pub(crate) fn on_data(&mut self, now: Instant, id: DataId, event: DataEvent) {
        if self.is_closed() {
            return;
        }
        self.last_activity = now;
        if self.transfer.as_ref().is_some_and(|t| t.data == id) {
            self.on_transfer_event(now, event);
            return;
        }
        let listening = matches!(self.wait, Wait::Listen { data, .. } if data == id);
        let DataSetup::Passive {
            id: setup_id, conn, ..
        } = &mut self.data
        else {
            return; // Active setups see no events before the transfer; others are stale.
        };
        if *setup_id != id {
            return;
        }
        match event {
            DataEvent::Listening { addr } => {
                if let Wait::Listen { extended, .. } = self.wait {
                    if listening {
                        self.wait = Wait::None;
                        self.announce_passive(extended, addr.port());
                    }
                }
            }
            DataEvent::Connected { peer, tls } => {
                if !same_ip(peer.ip(), self.peer.ip())
                    || matches!(conn, PassiveConn::Connected { .. } | PassiveConn::Failed(_))
                {
                    // S2577-PEER: a connection from elsewhere (or a second one) is refused and
                    // the listener keeps waiting.
                    self.out.push(Item::Data(DataAction::Reject { id }));
                } else {
                    *conn = PassiveConn::Connected { tls };
                }
            }
            DataEvent::Failed(error) => {
                if listening {
                    self.wait = Wait::None;
                    self.data = DataSetup::None;
                    self.out.push(Item::Data(DataAction::Close { id }));
                    self.reply(ReplyCode::C425, b"Cannot open passive connection.");
                } else {
                    *conn = PassiveConn::Failed(error);
                }
            }
            DataEvent::Finished { .. } | DataEvent::Progress { .. } => {}
        }
    }

    /// An event on the running transfer's data connection.
    fn on_transfer_event(&mut self, now: Instant, event: DataEvent) {
        let Some(transfer) = &mut self.transfer else {
            return;
        };
        let running = matches!(transfer.stage, Stage::Running { .. });
        match event {
            DataEvent::Listening { .. } => {}
            DataEvent::Connected { peer, tls } => {
                if running || (transfer.passive && !same_ip(peer.ip(), self.peer.ip())) {
                    let id = transfer.data;
                    self.out.push(Item::Data(DataAction::Reject { id }));
                } else {
                    self.accept_connection(now, tls);
                }
            }
            DataEvent::Progress { bytes } => {
                transfer.bytes = bytes;
                if running {
                    transfer.stage = Stage::Running { last: now };
                }
            }
            DataEvent::Finished { bytes } => {
                if running {
                    self.finish_transfer(bytes);
                } else {
                    self.fail_transfer(ReplyCode::C426, b"Connection closed; transfer aborted.");
                }
            }
            DataEvent::Failed(error) => {
                let upload = matches!(transfer.kind, XferKind::Store(_));
                self.fail_data(running, upload, error);
            }
        }
    }

    /// The final reply for a data-connection failure.
    fn fail_data(&mut self, running: bool, upload: bool, error: DataError) {
        let (code, text): (ReplyCode, &[u8]) = match (running, error) {
            (_, DataError::Storage(e)) => storage_reply_mid(e),
            (false, DataError::TlsFailed) => (
                ReplyCode::C522,
                b"TLS negotiation on the data connection failed.",
            ),
            (false, DataError::ListenFailed | DataError::ConnectFailed) => {
                (ReplyCode::C425, b"Cannot open data connection.")
            }
            (true, DataError::Truncated) if upload => (
                ReplyCode::C426,
                b"Upload truncated: data connection closed without TLS close_notify.",
            ),
            (
                _,
                DataError::Truncated
                | DataError::Broken
                | DataError::TlsFailed
                | DataError::ListenFailed
                | DataError::ConnectFailed,
            ) => (ReplyCode::C426, b"Connection closed; transfer aborted."),
        };
        self.fail_transfer(code, text);
    }

    /// The store mode of a transfer kind, for `STOU` replies.
    pub(crate) fn is_unique(kind: XferKind) -> bool {
        matches!(kind, XferKind::Store(StoreMode::Unique))
    }
}
