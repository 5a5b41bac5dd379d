//! The sans-IO FTPS client session.
//!
//! A [`ClientSession`] is the whole FTP/FTPS client protocol as a state machine: it never reads
//! a clock, opens a socket or touches TLS bytes. The adapter feeds it what happened
//! (`handle_*`), asks it for work ([`login`](ClientSession::login),
//! [`command`](ClientSession::command), [`transfer`](ClientSession::transfer)), and carries
//! out what it says, in order, by draining [`poll_output`](ClientSession::poll_output) until
//! it returns [`ClientOutput::Timeout`]. Mutate, then drain.
//!
//! # Connection setup
//!
//! - Implicit FTPS: `StartTls { role: Client }` is the first output; the `220` greeting comes
//!   inside TLS; `PBSZ 0` + `PROT P` are sent anyway (vsftpd refuses data connections
//!   without them).
//! - Explicit FTPS: greeting, `AUTH TLS` (optionally `AUTH SSL` when refused), `234`, then
//!   `StartTls`. Any plaintext bytes after the `234` line close the session
//!   ([`Violation::TlsInjection`]). With [`TlsPolicy::Required`] a refused `AUTH` sends `QUIT`
//!   and fails; nothing the server said in plaintext (`FEAT` included) is trusted.
//! - Then `HOST` (when configured), `FEAT` (after TLS, never before), `OPTS UTF8 ON` (when
//!   offered), `PBSZ 0` + `PROT` (when before login), and [`ClientEvent::Ready`].
//!
//! # Transfers
//!
//! A transfer sends `TYPE` when needed, then `EPSV` (or `PASV` after a `500`/`502`, which is
//! remembered). On `229`/`227` the session emits [`ClientEvent::TransferData`] and
//! `Data(Connect { id, addr, protection })` (the address is the control peer's unless
//! [`ClientConfig::trust_pasv_address`]), then `REST` when there is an offset, then the
//! transfer command. The adapter reports [`DataEvent::Connected`]; after the `1yz` reply the
//! session emits `Data(Start { id })`, and only then does the adapter move bytes (uploads
//! included). The transfer is done when both [`DataEvent::Finished`] and the final `2yz` reply
//! have arrived, in either order. In active mode the session emits `Data(Listen { .. })`, the
//! adapter reports `Listening { addr }`, the session sends `EPRT`/`PORT`, then the command.
//!
//! # The drive loop
//!
//! ```
//! use std::net::SocketAddr;
//! use std::time::Instant;
//! use ftps_proto::client::{ClientConfig, ClientEvent, ClientOutput, ClientSession, OpOutput};
//! use ftps_proto::Secret;
//!
//! let now = Instant::now();
//! let server: SocketAddr = "192.0.2.1:21".parse().unwrap();
//! let mut client = ClientSession::new(ClientConfig::plain(), server, now);
//! let login = client.login(b"anonymous", Secret::from("guest"), None).unwrap();
//!
//! // What a server would say, one read at a time.
//! let script: [&[u8]; 4] = [b"220 ready\r\n", b"211 no features\r\n", b"331 pw\r\n", b"230 in\r\n"];
//! let mut sent = Vec::new();
//! let mut done = None;
//! for read in script {
//!     client.handle_input(now, read);
//!     loop {
//!         match client.poll_output() {
//!             ClientOutput::Transmit(bytes) => sent.extend_from_slice(bytes), // write to socket
//!             ClientOutput::Event(ClientEvent::Done { op, result }) => done = Some((op, result)),
//!             ClientOutput::Timeout(_deadline) => break, // sleep until data or the deadline
//!             _other => {} // StartTls, Data actions, Close ...: act on them
//!         }
//!     }
//! }
//! assert_eq!(sent, b"FEAT\r\nUSER anonymous\r\nPASS guest\r\n");
//! assert_eq!(done, Some((login, Ok(OpOutput::None))));
//! ```

mod config;
mod core;
mod errors;
mod login;
mod ops;
mod output;
mod setup;
mod single;
mod state;
mod transfer;

pub use config::{ClientConfig, ClientSecurity, ClientTimeouts, PassiveMode, TlsPolicy};
pub use errors::{ClientError, LocalError, TimerKind, TransferFailure, Violation};
pub use ops::{Operation, Transfer, TransferKind};
pub use output::{ClientEvent, ClientOutput, OpId, OpOutput};

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::time::Instant;

use crate::codec::reply_body::Features;
use crate::codec::{LineBuffer, LineEnding, ProtectionLevel, ReplyAssembler};
use crate::session::{DataEvent, DataId, TlsEvent};
use crate::Secret;

use self::state::{InFlight, Job, Out, Queued, Timers};

#[cfg(doc)]
use crate::session::DataAction;

/// What the session knows about the server and the connection.
#[derive(Debug, Default)]
struct Facts {
    /// The control connection is encrypted.
    control_tls: bool,
    /// A `StartTls`/`StopTls` was emitted and its outcome is not reported yet.
    awaiting_tls: bool,
    /// `USER`/`PASS`/`ACCT` succeeded (and no `REIN` since).
    logged_in: bool,
    /// The last `FEAT` answer, if one was asked.
    features: Option<Features>,
    /// The data protection in force.
    data_prot: Option<ProtectionLevel>,
    /// `PBSZ` was accepted in this TLS session.
    pbsz_done: bool,
    /// `PROT` was accepted in this TLS session.
    prot_confirmed: bool,
    /// The server refused `PBSZ`/`PROT` in this TLS session.
    prot_refusal: Option<crate::Reply<'static>>,
    /// `EPSV` got `500`/`502`: use `PASV` from now on.
    epsv_refused: bool,
    /// `EPRT` got `500`/`502`: use `PORT` from now on.
    eprt_refused: bool,
    /// `EPSV ALL` was sent (whatever the answer).
    epsv_all_sent: bool,
    /// `EPSV ALL` was accepted: only `EPSV` from now on.
    epsv_all: bool,
    /// The representation type in force: `Some(true)` for ASCII, `Some(false)` for image.
    type_ascii: Option<bool>,
    /// A `REST` was accepted but its transfer command failed: send `REST 0` before the next
    /// transfer without an offset (X3659-RESTCLI).
    rest_dirty: bool,
    /// `QUIT` was requested: no further operation is accepted.
    quit_requested: bool,
    /// `REIN` cleared the control TLS: the setup runs again before the next operation.
    resetup: bool,
}

/// The sans-IO FTP/FTPS client: one control connection and its data connections.
///
/// See the [module documentation](self) for the drive loop and the data flow.
///
/// ```
/// use std::time::Instant;
/// use ftps_proto::client::{ClientConfig, ClientOutput, ClientSession};
/// use ftps_proto::session::TlsRole;
///
/// let now = Instant::now();
/// let mut client = ClientSession::new(ClientConfig::implicit(), "192.0.2.1:990".parse().unwrap(), now);
/// assert_eq!(client.poll_output(), ClientOutput::StartTls { role: TlsRole::Client });
/// ```
#[derive(Debug)]
pub struct ClientSession {
    config: ClientConfig,
    server: SocketAddr,
    lines: LineBuffer,
    replies: ReplyAssembler,
    /// Encoded commands not yet handed out; `tx[tx_pos..]` is pending.
    tx: Vec<u8>,
    tx_pos: usize,
    out: VecDeque<Out>,
    /// Where arguments are test-encoded before an operation is accepted.
    scratch: Vec<u8>,
    /// The time of the latest `handle_*` call (or `new`): when a mutator sends a command,
    /// its reply timer starts here.
    now: Instant,
    closed: bool,
    ready: bool,
    inflight: Option<InFlight>,
    job: Option<Job>,
    queue: VecDeque<(OpId, Queued)>,
    next_op: u64,
    next_data: u64,
    timers: Timers,
    facts: Facts,
}

impl ClientSession {
    /// A session for a control connection to `server` (the control peer's address, which
    /// passive data connections go to), just connected at `now`.
    pub fn new(config: ClientConfig, server: SocketAddr, now: Instant) -> Self {
        let lines = LineBuffer::new(config.limits, LineEnding::CrlfOrLf);
        let replies = ReplyAssembler::new(config.limits);
        let mut session = ClientSession {
            config,
            server,
            lines,
            replies,
            tx: Vec::new(),
            tx_pos: 0,
            out: VecDeque::new(),
            scratch: Vec::new(),
            now,
            closed: false,
            ready: false,
            inflight: None,
            job: None,
            queue: VecDeque::new(),
            next_op: 0,
            next_data: 0,
            timers: Timers::default(),
            facts: Facts::default(),
        };
        session.start_setup(now);
        session
    }

    /// Control-connection bytes received (decrypted, when TLS is up).
    pub fn handle_input(&mut self, now: Instant, data: &[u8]) {
        self.now = now;
        self.on_input(now, data);
    }

    /// The server closed the control connection.
    pub fn handle_eof(&mut self, now: Instant) {
        self.now = now;
        self.on_eof(now);
    }

    /// The deadline from [`poll_timeout`](Self::poll_timeout) has passed (calling it early
    /// does nothing).
    pub fn handle_timeout(&mut self, now: Instant) {
        self.now = now;
        self.on_timeout(now);
    }

    /// The outcome of a `StartTls` or `StopTls` on the control connection.
    pub fn handle_tls(&mut self, now: Instant, event: TlsEvent) {
        self.now = now;
        self.on_tls(now, event);
    }

    /// Something happened on data connection `id`. Events for connections the session
    /// closed are ignored.
    pub fn handle_data(&mut self, now: Instant, id: DataId, event: DataEvent) {
        self.now = now;
        self.on_data(now, id, event);
    }

    /// The next thing to do. Call until it returns [`ClientOutput::Timeout`]; a `Transmit`
    /// borrows the session's buffer until the next call.
    pub fn poll_output(&mut self) -> ClientOutput<'_> {
        if self.tx_pos >= self.tx.len() {
            self.tx.clear();
            self.tx_pos = 0;
        }
        match self.out.pop_front() {
            Some(Out::Transmit(n)) => {
                let start = self.tx_pos;
                let end = start.saturating_add(n).min(self.tx.len());
                self.tx_pos = end;
                ClientOutput::Transmit(self.tx.get(start..end).unwrap_or_default())
            }
            Some(Out::StartTls) => ClientOutput::StartTls {
                role: crate::session::TlsRole::Client,
            },
            Some(Out::StopTls) => ClientOutput::StopTls,
            Some(Out::Data(action)) => ClientOutput::Data(action),
            Some(Out::Event(event)) => ClientOutput::Event(event),
            Some(Out::Close(reason)) => ClientOutput::Close(reason),
            None => ClientOutput::Timeout(self.poll_timeout()),
        }
    }

    /// The earliest deadline, if a timer runs.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.timers.earliest()
    }

    /// Enqueues a login: `USER`, then `PASS` on `331`, `ACCT` on `332` (when `account` is
    /// given); then `PBSZ`/`PROT` when configured after login. Result: [`OpOutput::None`].
    ///
    /// # Errors
    ///
    /// [`LocalError::ForbiddenByte`] when an argument holds CR, LF or NUL;
    /// [`LocalError::Closed`] after `QUIT` or once the session is closed.
    pub fn login(
        &mut self,
        user: &[u8],
        password: Secret<'_>,
        account: Option<Secret<'_>>,
    ) -> Result<OpId, LocalError> {
        self.check_open()?;
        let job = login::LoginJob::new(user, password, account);
        self.check_login(&job)?;
        Ok(self.enqueue(Queued::Login(job)))
    }

    /// Enqueues a single-command operation (or `RNFR`/`RNTO`).
    ///
    /// # Errors
    ///
    /// [`LocalError::ForbiddenByte`] when an argument holds CR, LF or NUL (nothing is sent);
    /// [`LocalError::UseOperation`] for a [`Operation::Raw`] command the session drives
    /// itself; [`LocalError::ForbiddenByConfig`] for `CCC` when TLS is required;
    /// [`LocalError::Closed`] after `QUIT` or once the session is closed.
    pub fn command(&mut self, op: Operation<'_>) -> Result<OpId, LocalError> {
        self.check_open()?;
        let job = single::SingleJob::new(op, &self.config)?;
        self.check_single(&job)?;
        let quit = job.is_quit();
        let id = self.enqueue(Queued::Single(job));
        if quit {
            self.facts.quit_requested = true;
        }
        Ok(id)
    }

    /// Enqueues a data transfer. Result: [`OpOutput::Transferred`] (or
    /// [`OpOutput::StoredAs`] for `STOU` when the server names the file).
    ///
    /// # Errors
    ///
    /// [`LocalError::MissingPath`] for `RETR`/`STOR`/`APPE` without a path;
    /// [`LocalError::ForbiddenByte`] for CR, LF or NUL in the path;
    /// [`LocalError::ForbiddenByConfig`] for `PASV`-only mode over IPv6;
    /// [`LocalError::Closed`] after `QUIT` or once the session is closed.
    pub fn transfer(&mut self, t: Transfer<'_>) -> Result<OpId, LocalError> {
        self.check_open()?;
        let job = transfer::TransferJob::new(t)?;
        self.check_transfer(&job)?;
        Ok(self.enqueue(Queued::Transfer(Box::new(job))))
    }

    /// Aborts an operation: a queued one is dropped; a running transfer is stopped (its data
    /// connection closed, `ABOR` sent when its command is out). It completes with
    /// [`ClientError::Aborted`] once the server's replies are in.
    ///
    /// # Errors
    ///
    /// [`LocalError::UnknownOperation`] when `op` is neither queued nor running;
    /// [`LocalError::NotAbortable`] for a running single command.
    pub fn abort(&mut self, now: Instant, op: OpId) -> Result<(), LocalError> {
        self.now = now;
        self.on_abort(now, op)
    }

    /// The features from the latest `FEAT` reply (empty when `FEAT` was refused); `None`
    /// before `FEAT` was answered.
    pub fn features(&self) -> Option<&Features> {
        self.facts.features.as_ref()
    }

    /// Whether a login succeeded (and no `REIN` since).
    pub fn is_logged_in(&self) -> bool {
        self.facts.logged_in
    }

    /// Whether the control connection is encrypted.
    pub fn control_tls_active(&self) -> bool {
        self.facts.control_tls
    }

    /// The data protection in force: `Private` means data connections use TLS.
    pub fn protection(&self) -> ProtectionLevel {
        self.facts.data_prot.unwrap_or(ProtectionLevel::Clear)
    }

    /// Whether setup finished ([`ClientEvent::Ready`] was emitted).
    pub fn is_ready(&self) -> bool {
        self.ready
    }

    /// Whether the session is over (a `Close` was emitted).
    pub fn is_closed(&self) -> bool {
        self.closed
    }

    /// Operations queued or running.
    pub fn pending_operations(&self) -> usize {
        self.queue.len() + usize::from(self.job.as_ref().is_some_and(|j| j.op().is_some()))
    }

    /// The control peer's address.
    pub fn server_addr(&self) -> SocketAddr {
        self.server
    }

    /// The configuration.
    pub fn config(&self) -> &ClientConfig {
        &self.config
    }
}
