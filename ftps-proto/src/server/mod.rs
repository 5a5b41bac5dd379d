//! The sans-IO FTPS server session.
//!
//! A [`ServerSession`] holds every protocol decision of one control connection: login, TLS
//! upgrade and policies, data-connection setup and its security checks, the transfer
//! lifecycle, timers and the exact replies. It does no I/O and reads no clock. The adapter
//! feeds it what happened (`handle_*`), answers the [`Request`]s it emits (storage and
//! authentication: [`ServerSession::respond`]) and performs its [`ServerOutput`]s in order.
//!
//! # The drive loop: mutate, then drain
//!
//! After every input or `respond`, call [`ServerSession::poll_output`] until it returns
//! [`ServerOutput::Timeout`]; call [`ServerSession::handle_timeout`] when that instant passes.
//!
//! ```
//! use std::time::Instant;
//! use ftps_proto::server::{Request, Response, ServerConfig, ServerEvent, ServerOutput, ServerSession};
//!
//! let now = Instant::now();
//! let peer = "198.51.100.2:50000".parse().unwrap();
//! let local = "192.0.2.1:21".parse().unwrap();
//! let mut session = ServerSession::new(ServerConfig::default(), peer, local, now);
//! let mut wire = Vec::new();
//!
//! session.handle_input(now, b"USER alice\r\nPASS secret\r\nPWD\r\n");
//! loop {
//!     // Drain everything the session wants done, in order.
//!     let mut asked = Vec::new();
//!     loop {
//!         match session.poll_output() {
//!             ServerOutput::Transmit(bytes) => wire.extend_from_slice(bytes),
//!             ServerOutput::Event(ServerEvent::Request { id, request }) => asked.push((id, request)),
//!             ServerOutput::Timeout(_) => break,
//!             _ => {} // StartTls, Data(..), Close(..): the adapter's work
//!         }
//!     }
//!     if asked.is_empty() {
//!         break;
//!     }
//!     // The application answers (here: every password is good), then drains again.
//!     for (id, request) in asked {
//!         assert!(matches!(request, Request::Authenticate { .. }));
//!         session.respond(now, id, Response::LoggedIn).unwrap();
//!     }
//! }
//! assert_eq!(
//!     wire,
//!     b"220 ftps-proto server ready.\r\n331 Password required.\r\n\
//!       230 User logged in, proceed.\r\n257 \"/\" is the current directory.\r\n"
//! );
//! ```
//!
//! # Transfers
//!
//! 1. `PASV`/`EPSV`: the session emits [`DataAction::Listen`]; the adapter binds and reports
//!    [`DataEvent::Listening`]; the session answers `227` (with the masquerade address, if
//!    set) or `229`. `PORT`/`EPRT`: the address is checked (control peer only, port >= 1024,
//!    active mode enabled: RFC 2577) and answered `200`.
//! 2. A transfer command (`RETR`, `STOR`, `APPE`, `STOU`, `LIST`, `NLST`, `MLSD`) without a
//!    prepared data connection gets `425`; under a "PROT P required" policy without `PROT P`,
//!    `521`. Otherwise the application gets a [`Request`] naming the [`DataId`].
//! 3. The application answers `Ok` (file opened) or an error (`550`...). On `Ok` the session
//!    replies `150` (`125` when the passive connection is already there) and, in active mode,
//!    emits [`DataAction::Connect`].
//! 4. [`DataEvent::Connected`]: a passive connection from another address than the control
//!    peer is refused with [`DataAction::Reject`] (port stealing) and the listener keeps
//!    waiting; under `PROT P` the connection must be TLS and, when required, resume the
//!    control connection's TLS session (else `522` and [`DataAction::Close`]). Then
//!    [`DataAction::Start`].
//! 5. [`DataEvent::Finished`] gives `226`; [`DataEvent::Failed`] gives `426` (broken or
//!    truncated: never `226`), `451`/`452`/`552` (storage), `425`/`522` (connection or TLS).
//!
//! Each transfer consumes its data connection: the next one needs a new `PASV`/`PORT`. A
//! listener's TLS requirement is fixed when it is created: a `PROT` change between `PASV` and
//! the transfer command is answered `521` (send `PASV` again).
//!
//! While a request is outstanding, or a transfer runs, later command lines stay buffered and
//! are answered strictly in order afterwards; during a transfer `ABOR` and `STAT` are
//! answered at once.
//!
//! [`DataAction::Listen`]: crate::session::DataAction::Listen
//! [`DataAction::Connect`]: crate::session::DataAction::Connect
//! [`DataAction::Reject`]: crate::session::DataAction::Reject
//! [`DataAction::Close`]: crate::session::DataAction::Close
//! [`DataAction::Start`]: crate::session::DataAction::Start
//! [`DataEvent::Listening`]: crate::session::DataEvent::Listening
//! [`DataEvent::Connected`]: crate::session::DataEvent::Connected
//! [`DataEvent::Finished`]: crate::session::DataEvent::Finished
//! [`DataEvent::Failed`]: crate::session::DataEvent::Failed

mod config;
mod data;
mod dispatch;
mod output;
mod request;
mod respond;
mod state;
mod text;
mod timers;

use std::net::SocketAddr;
use std::time::Instant;

pub use config::{ActiveConfig, Features, PassiveConfig, ServerConfig, ServerTls};
pub use output::{ServerEvent, ServerOutput};
pub use request::{ListFormat, Request, RequestId, Response, StatFormat, StoreMode};

use crate::codec::{LineBuffer, LineEnding, ReplyCode};
use crate::listing::FactSet;
use crate::session::{CloseReason, DataAction, DataEvent, DataId, LocalError, TlsEvent};
use crate::vpath::VirtualPath;
use output::{Item, OutQueue};
use state::{Conn, DataSetup, Login, Prot, Security, Transfer, TypeCode, Wait};

/// The state machine of one FTPS server control connection. See the [module docs](self).
#[derive(Debug)]
pub struct ServerSession {
    config: ServerConfig,
    peer: SocketAddr,
    local: SocketAddr,
    lines: LineBuffer,
    out: OutQueue,
    /// Reused buffer for reply texts and Telnet answers.
    scratch: Vec<u8>,
    /// Reused buffer holding the command line being handled.
    line: Vec<u8>,
    /// A line taken out while a transfer runs, handled after it (`has_held`).
    held: Vec<u8>,
    has_held: bool,
    conn: Conn,
    wait: Wait,
    login: Login,
    security: Security,
    prot: Prot,
    type_code: TypeCode,
    cwd: VirtualPath,
    rename_from: Option<VirtualPath>,
    rest: u64,
    epsv_all: bool,
    facts: FactSet,
    data: DataSetup,
    transfer: Option<Transfer>,
    failed_logins: u32,
    next_request: u64,
    next_data: u64,
    last_activity: Instant,
    login_since: Instant,
    /// The SNI of the control connection's TLS handshake, when the adapter reported one
    /// (H7151-SNI).
    tls_server_name: Option<Box<[u8]>>,
}

/// Longest TLS server name kept (a DNS name has at most 253 bytes).
const MAX_TLS_SERVER_NAME: usize = 255;

impl ServerSession {
    /// A session for a control connection from `peer`, accepted on `local`.
    ///
    /// The first outputs are the greeting (`220`, or `120` with
    /// [`ServerConfig::delay_greeting`]) or, in implicit mode, `StartTls`.
    pub fn new(config: ServerConfig, peer: SocketAddr, local: SocketAddr, now: Instant) -> Self {
        let lines = LineBuffer::new(config.limits, LineEnding::Crlf);
        let mut session = ServerSession {
            peer,
            local,
            lines,
            out: OutQueue::default(),
            scratch: Vec::new(),
            line: Vec::new(),
            held: Vec::new(),
            has_held: false,
            conn: Conn::Open,
            wait: Wait::None,
            login: Login::Idle,
            security: Security::Plain,
            prot: Prot {
                pbsz: false,
                private: false,
            },
            type_code: TypeCode::Ascii,
            cwd: VirtualPath::root(),
            rename_from: None,
            rest: 0,
            epsv_all: false,
            facts: FactSet::SERVER_DEFAULT,
            data: DataSetup::None,
            transfer: None,
            failed_logins: 0,
            next_request: 0,
            next_data: 0,
            last_activity: now,
            login_since: now,
            tls_server_name: None,
            config,
        };
        if matches!(session.config.tls, ServerTls::Implicit) {
            session.conn = Conn::Handshake {
                since: now,
                implicit: true,
            };
            session.out.push(Item::StartTls);
        } else {
            session.greet(now);
        }
        session
    }

    /// Control-connection bytes arrived (plaintext, after the adapter's TLS layer).
    pub fn handle_input(&mut self, now: Instant, data: &[u8]) {
        if matches!(self.conn, Conn::Closed) || data.is_empty() {
            return;
        }
        if matches!(self.conn, Conn::Handshake { .. }) {
            // Bytes the adapter delivers while a handshake runs were sent in cleartext after
            // AUTH: never interpret them, and send nothing in cleartext (ATK-TLSINJ-S).
            self.drop_data();
            self.conn = Conn::Closed;
            self.out.push(Item::Close(CloseReason::TlsInjection));
            return;
        }
        // The idle timer restarts on complete command lines only (H1123-IDLE): a peer
        // trickling bytes without a line end is still idle.
        self.lines.push(data);
        self.scratch.clear();
        self.lines.take_telnet_replies(&mut self.scratch);
        // Telnet answers are a courtesy: none while a close_notify exchange runs (nothing may
        // be written into a TLS change; the lines themselves wait until it is over).
        if !self.scratch.is_empty() && !matches!(self.conn, Conn::Stopping { .. }) {
            self.out.raw(&self.scratch);
        }
        self.process(now);
        // Bytes and the records of over-long lines alike: both wait for an answer.
        if !matches!(self.conn, Conn::Closed) && self.lines.held() > self.config.max_pipelined {
            self.close_with(
                ReplyCode::C421,
                b"Too many pipelined commands; closing.",
                CloseReason::ProtocolViolation("too many pipelined commands"),
            );
        }
    }

    /// The peer closed the control connection: any transfer is aborted and the session ends.
    pub fn handle_eof(&mut self, _now: Instant) {
        if matches!(self.conn, Conn::Closed) {
            return;
        }
        self.drop_data();
        self.conn = Conn::Closed;
        self.out.push(Item::Close(CloseReason::PeerClosed));
    }

    /// The instant returned by [`poll_timeout`](Self::poll_timeout) has passed.
    pub fn handle_timeout(&mut self, now: Instant) {
        self.on_timeout(now);
        self.process(now);
    }

    /// The server name (SNI) the client sent in the control connection's TLS handshake, for
    /// the adapter to report before [`handle_tls`](Self::handle_tls)`(Established)`; `None`
    /// when it sent none or the TLS library did not say (a resumed handshake). A `HOST` after
    /// TLS must then name it, or it is refused with `504` (H7151-SNI, RFC 7151 §3.2.2).
    ///
    /// ```
    /// use std::time::Instant;
    /// use ftps_proto::server::{ServerConfig, ServerOutput, ServerSession};
    /// let mut config = ServerConfig::default();
    /// config.features.host = true;
    /// let (peer, local) = ("192.0.2.7:5000".parse().unwrap(), "192.0.2.1:21".parse().unwrap());
    /// let now = Instant::now();
    /// let mut s = ServerSession::new(config, peer, local, now);
    /// s.set_tls_server_name(Some(b"ftp.example.com"));
    /// s.handle_input(now, b"HOST other.example\r\nHOST FTP.example.com\r\n");
    /// let mut wire = Vec::new();
    /// loop {
    ///     match s.poll_output() {
    ///         ServerOutput::Transmit(bytes) => wire.extend_from_slice(bytes),
    ///         ServerOutput::Timeout(_) => break,
    ///         _ => {}
    ///     }
    /// }
    /// // The greeting, then the refusal; the matching HOST goes to the application.
    /// assert!(wire.ends_with(b"\r\n504 HOST does not match the TLS server name.\r\n"));
    /// ```
    pub fn set_tls_server_name(&mut self, name: Option<&[u8]>) {
        self.tls_server_name = name
            .filter(|n| n.len() <= MAX_TLS_SERVER_NAME)
            .map(Box::from);
    }

    /// The control connection's TLS layer finished a handshake, failed, or stopped.
    pub fn handle_tls(&mut self, now: Instant, event: TlsEvent) {
        self.on_tls(now, event);
        self.process(now);
    }

    /// Something happened on data connection `id`. Events for a connection the session no
    /// longer tracks are ignored.
    pub fn handle_data(&mut self, now: Instant, id: DataId, event: DataEvent) {
        self.on_data(now, id, event);
        self.process(now);
    }

    /// Answers request `id`.
    ///
    /// # Errors
    ///
    /// [`LocalError::UnknownRequest`] when `id` is not waiting for an answer,
    /// [`LocalError::UnexpectedResponse`] when `response` does not fit the request,
    /// [`LocalError::InvalidReplyCode`] for a [`Response::Site`] code that is not 2yz, 4yz or
    /// 5yz, [`LocalError::Closed`] after `Close`. The session is unchanged then.
    pub fn respond(
        &mut self,
        now: Instant,
        id: RequestId,
        response: Response,
    ) -> Result<(), LocalError> {
        if matches!(self.conn, Conn::Closed) {
            return Err(LocalError::Closed);
        }
        self.on_response(now, id, response)?;
        self.process(now);
        Ok(())
    }

    /// The server is going down: `421`, every data connection closed, then `Close` (only
    /// `Close` while a TLS handshake or close_notify is under way: nothing can be sent then).
    pub fn shutdown(&mut self, _now: Instant) {
        self.close_with(
            ReplyCode::C421,
            b"Service not available, closing control connection.",
            CloseReason::Shutdown,
        );
    }

    /// The next thing to do. Call until it returns [`ServerOutput::Timeout`].
    pub fn poll_output(&mut self) -> ServerOutput<'_> {
        if self.out.is_empty() {
            // The deadline is only needed once the queue is drained.
            let deadline = self.poll_timeout();
            self.out.reclaim();
            return ServerOutput::Timeout(deadline);
        }
        self.out.pop()
    }

    /// When [`handle_timeout`](Self::handle_timeout) must be called next, if ever.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.next_deadline()
    }

    /// Frees the buffers the session keeps between commands (received lines, the output
    /// queue, scratch space) wherever they hold nothing, so that a session waiting for its
    /// next command holds no buffer. For adapters that keep many idle sessions: call it once
    /// a session has been idle for a while (the tokio adapter does after a second without
    /// input). Behaviour does not change; the next command allocates the buffers again, which
    /// is why a busy session should not call it after every command.
    ///
    /// ```
    /// use std::time::Instant;
    /// use ftps_proto::server::{ServerConfig, ServerOutput, ServerSession};
    /// let (peer, local) = ("127.0.0.1:50000".parse().unwrap(), "127.0.0.1:21".parse().unwrap());
    /// let mut session = ServerSession::new(ServerConfig::default(), peer, local, Instant::now());
    /// while !matches!(session.poll_output(), ServerOutput::Timeout(_)) {}
    /// session.release_memory();
    /// session.handle_input(Instant::now(), b"NOOP\r\n");
    /// assert!(matches!(session.poll_output(), ServerOutput::Event(_) | ServerOutput::Transmit(_)));
    /// ```
    pub fn release_memory(&mut self) {
        self.lines.release_memory();
        self.out.release_memory();
        self.scratch = Vec::new();
        self.line = Vec::new();
        if !self.has_held {
            self.held = Vec::new();
        }
    }

    /// A login completed (`230`) and was not reset since.
    pub fn is_logged_in(&self) -> bool {
        matches!(self.login, Login::In { .. })
    }

    /// The logged-in user's name.
    pub fn user(&self) -> Option<&[u8]> {
        match &self.login {
            Login::In { name } => Some(name),
            _ => None,
        }
    }

    /// The current directory.
    pub fn cwd(&self) -> &VirtualPath {
        &self.cwd
    }

    /// The control connection is protected by TLS now.
    pub fn control_tls_active(&self) -> bool {
        self.security == Security::Tls
    }

    /// `PROT P` is in force: data connections must be TLS.
    pub fn data_protected(&self) -> bool {
        self.prot.private
    }

    /// `TYPE A` is in force.
    pub fn ascii(&self) -> bool {
        self.type_code.is_ascii()
    }

    /// The `Close` output was queued: the session is over.
    pub fn is_closed(&self) -> bool {
        matches!(self.conn, Conn::Closed)
    }

    /// The control connection's peer.
    pub fn peer(&self) -> SocketAddr {
        self.peer
    }

    // ---- shared helpers ----

    /// Queues a reply.
    fn reply(&mut self, code: ReplyCode, text: &[u8]) {
        self.out.reply(code, text);
    }

    /// Queues a reply whose text is written into the scratch buffer by `write`.
    fn reply_with(&mut self, code: ReplyCode, write: impl FnOnce(&mut Vec<u8>)) {
        self.out.reply_with(code, &mut self.scratch, write);
    }

    /// Sends the `220` (or `120` first) greeting.
    fn greet(&mut self, now: Instant) {
        match self.config.delay_greeting {
            Some(delay) if !delay.is_zero() => {
                let minutes = delay.as_secs().div_ceil(60).max(1);
                self.reply_with(ReplyCode::C120, |t| {
                    t.extend_from_slice(b"Service ready in ");
                    text::write_decimal(t, minutes);
                    t.extend_from_slice(if minutes == 1 {
                        b" minute."
                    } else {
                        b" minutes."
                    });
                });
                self.conn = Conn::Delayed { until: now + delay };
            }
            _ => {
                let greeting = std::mem::take(&mut self.config.greeting);
                self.out.reply_lines(ReplyCode::C220, &greeting);
                self.config.greeting = greeting;
                self.conn = Conn::Open;
            }
        }
    }

    /// A fresh data-connection handle.
    fn new_data_id(&mut self) -> DataId {
        self.next_data += 1;
        DataId(self.next_data)
    }

    /// Closes every data connection and forgets them (no reply).
    fn drop_data(&mut self) {
        let transfer = self.transfer.take().map(|t| t.data);
        let setup = match std::mem::replace(&mut self.data, DataSetup::None) {
            DataSetup::None => None,
            DataSetup::Passive { id, .. } | DataSetup::Active { id, .. } => Some(id),
        };
        let listener = match self.wait {
            Wait::Listen { data, .. } => Some(data),
            _ => None,
        };
        // One `Close` per connection: a passive setup and its pending listener share an id.
        let ids = [transfer, setup, listener];
        for (i, id) in ids.iter().enumerate() {
            if let Some(id) = *id {
                if !ids.iter().take(i).any(|earlier| *earlier == Some(id)) {
                    self.out.push(Item::Data(DataAction::Close { id }));
                }
            }
        }
        if matches!(self.wait, Wait::Transfer | Wait::Listen { .. }) {
            self.wait = Wait::None;
        }
    }

    /// Sends a final reply, closes every data connection and ends the session.
    /// Ends the session with a final reply, or with none while the TLS layer is changing
    /// (a handshake or a close_notify exchange runs): nothing can be sent then
    /// (T4217-SRVFAIL), so the connection is just closed.
    fn close_with(&mut self, code: ReplyCode, text: &[u8], reason: CloseReason) {
        let silent = match self.conn {
            Conn::Closed => return,
            Conn::Handshake { .. } | Conn::Stopping { .. } => true,
            Conn::Delayed { .. } | Conn::Open => false,
        };
        self.drop_data();
        if !silent {
            self.reply(code, text);
        }
        self.conn = Conn::Closed;
        self.out.push(Item::Close(reason));
    }
}
