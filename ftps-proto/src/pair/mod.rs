//! A deterministic in-memory client <-> server [`Pair`] (feature `testing`).
//!
//! A [`Pair`] joins a [`ClientSession`] and a [`ServerSession`] without sockets, TLS or a
//! clock, and plays both adapters:
//!
//! - **Control connection**: it moves the bytes each session transmits to the other. TLS is
//!   simulated: when both sides asked `StartTls`, both get [`TlsEvent::Established`] (and
//!   [`TlsEvent::Stopped`] after both asked `StopTls`). Each chunk remembers whether it was
//!   written in plaintext or under TLS, so plaintext injected behind `AUTH TLS` or `234`
//!   still reaches the session that must refuse it.
//! - **Data connections**: server `Listen` and client `Connect` (or the reverse in active
//!   mode) meet on fake ports; both sides get `Connected` (with a resumed TLS session under
//!   `PROT P`, unless told otherwise); once both sent `Start` the transfer's bytes move at
//!   once between the client's upload/download buffers and a [`MemStorage`], then both get
//!   `Finished`.
//! - **Server application**: every [`Request`](crate::server::Request) is answered by the
//!   [`MemStorage`] (users, files, directories, listings through the core's formatters).
//! - **Virtual clock**: [`now`](Pair::now) is a fixed base plus an offset that only
//!   [`advance`](Pair::advance) and [`advance_to_next_timeout`](Pair::advance_to_next_timeout)
//!   move, so timers fire exactly when asked to.
//!
//! [`run`](Pair::run) drives both sessions until nothing more can happen without time passing
//! (bounded by [`PairOptions::max_steps`]: a session that never settles is an error, not a
//! hang). Faults: [`drop_control`](Pair::drop_control), [`reset_data`](Pair::reset_data),
//! [`fault_next_data`](Pair::fault_next_data), [`set_unresponsive`](Pair::set_unresponsive),
//! [`hold_requests`](Pair::hold_requests), [`fail_next_handshake`](Pair::fail_next_handshake),
//! [`inject`](Pair::inject) and [`steal_next_passive`](Pair::steal_next_passive).
//!
//! ```
//! use ftps_proto::client::ClientConfig;
//! use ftps_proto::pair::Pair;
//! use ftps_proto::server::ServerConfig;
//!
//! // Explicit FTPS with PROT P on both sides (the defaults).
//! let mut pair = Pair::new(ClientConfig::default(), ServerConfig::default());
//! pair.storage_mut().add_user(b"alice", b"secret");
//! pair.storage_mut().put(b"/docs/a.txt", b"hello")?;
//!
//! pair.login(b"alice", b"secret")?;
//! assert!(pair.client().control_tls_active());
//! let names = pair.nlst(Some(b"/docs"))?;
//! assert_eq!(names, b"a.txt\r\n");
//! assert_eq!(pair.retr(b"/docs/a.txt")?, b"hello");
//! pair.quit()?;
//! assert!(pair.client().is_closed() && pair.server().is_closed());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod data;
mod drive;
mod ops;
mod storage;
mod wire;

pub use data::{DataFault, DataRecord};
pub use ops::PairError;
pub use storage::MemStorage;
pub use wire::TlsState;

use std::collections::{BTreeMap, VecDeque};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::{Duration, Instant};

use crate::ascii::AsciiDecoder;
use crate::client::{ClientConfig, ClientError, ClientEvent, ClientSession, OpId, OpOutput};
use crate::server::{RequestId, ServerConfig, ServerEvent, ServerSession};
use crate::session::{CloseReason, DataError, DataId};

#[cfg(doc)]
use crate::session::TlsEvent;

use data::DataNet;
use storage::ServerJob;
use wire::Pipe;

/// The Unix time at the pair's clock base (2023-11-14T22:13:20Z): the storage's "now".
pub(crate) const UNIX_BASE: i64 = 1_700_000_000;

/// One of the two sessions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Side {
    /// The [`ClientSession`].
    Client,
    /// The [`ServerSession`].
    Server,
}

impl Side {
    /// The other side.
    pub fn other(self) -> Side {
        match self {
            Side::Client => Side::Server,
            Side::Server => Side::Client,
        }
    }
}

/// Knobs of a [`Pair`]. The default moves whole chunks, resumes data TLS sessions, and
/// gives up after 100 000 steps without settling.
///
/// ```
/// use ftps_proto::pair::PairOptions;
/// let mut options = PairOptions::default();
/// options.read_size = 1; // every control read is one byte
/// assert!(options.resume_data_tls);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct PairOptions {
    /// Most bytes one control-connection read hands to a session (at least 1). Default: no
    /// limit (everything pending in one read).
    pub read_size: usize,
    /// Data TLS sessions resume the control connection's session. Default `true`; `false`
    /// simulates a client without a session cache (servers requiring reuse answer `522`).
    pub resume_data_tls: bool,
    /// Report the client's end of a data transfer only once nothing else can happen, so the
    /// final reply (`226`) arrives before it (DAT-COMPLETE, the other order). Default `false`.
    pub late_client_data_end: bool,
    /// Bound on the steps of one [`Pair::run`]. Default 100 000.
    pub max_steps: usize,
    /// The client's address (the server's control peer). Default `192.0.2.10:40000`.
    pub client_addr: SocketAddr,
    /// The server's control address. Default `192.0.2.1:21`.
    pub server_addr: SocketAddr,
}

impl Default for PairOptions {
    fn default() -> Self {
        PairOptions {
            read_size: usize::MAX,
            resume_data_tls: true,
            late_client_data_end: false,
            max_steps: 100_000,
            client_addr: SocketAddr::new(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 10)), 40_000),
            server_addr: SocketAddr::new(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1)), 21),
        }
    }
}

/// Builds a [`Pair`] with a chosen storage and options.
///
/// ```
/// use ftps_proto::client::ClientConfig;
/// use ftps_proto::pair::{MemStorage, Pair, PairOptions};
/// use ftps_proto::server::{ServerConfig, ServerTls};
///
/// let mut storage = MemStorage::new();
/// storage.add_user(b"bob", b"pw");
/// let mut server = ServerConfig::default();
/// server.tls = ServerTls::None;
/// let mut pair = Pair::builder()
///     .client(ClientConfig::plain())
///     .server(server)
///     .storage(storage)
///     .options(PairOptions::default())
///     .build();
/// pair.login(b"bob", b"pw").unwrap();
/// assert!(!pair.client().control_tls_active());
/// ```
#[derive(Debug, Default)]
pub struct PairBuilder {
    client: Option<ClientConfig>,
    server: Option<ServerConfig>,
    storage: Option<MemStorage>,
    options: Option<PairOptions>,
}

impl PairBuilder {
    /// The client's configuration (default: [`ClientConfig::default`]).
    #[must_use]
    pub fn client(mut self, config: ClientConfig) -> Self {
        self.client = Some(config);
        self
    }

    /// The server's configuration (default: [`ServerConfig::default`]).
    #[must_use]
    pub fn server(mut self, config: ServerConfig) -> Self {
        self.server = Some(config);
        self
    }

    /// The storage (default: an empty [`MemStorage`]).
    #[must_use]
    pub fn storage(mut self, storage: MemStorage) -> Self {
        self.storage = Some(storage);
        self
    }

    /// The pair's options (default: [`PairOptions::default`]).
    #[must_use]
    pub fn options(mut self, options: PairOptions) -> Self {
        self.options = Some(options);
        self
    }

    /// The pair, just connected: nothing has run yet.
    pub fn build(self) -> Pair {
        Pair::with(
            self.client.unwrap_or_default(),
            self.server.unwrap_or_default(),
            self.storage.unwrap_or_default(),
            self.options.unwrap_or_default(),
        )
    }
}

/// The client-side state of one operation: its upload source and download buffer.
#[derive(Debug, Default)]
struct OpData {
    /// The local file to upload (the network form from the restart offset is sent).
    upload: Vec<u8>,
    offset: u64,
    ascii: bool,
    /// What arrived (local form).
    download: Vec<u8>,
}

/// A [`ClientSession`] and a [`ServerSession`] joined in memory, with a virtual clock, a
/// [`MemStorage`] and fault injectors. See the [module docs](self).
#[derive(Debug)]
pub struct Pair {
    client: ClientSession,
    server: ServerSession,
    storage: MemStorage,
    options: PairOptions,
    base: Instant,
    elapsed: Duration,
    /// Client -> server and server -> client.
    to_server: Pipe,
    to_client: Pipe,
    /// TLS state, indexed by `Side as usize`.
    tls: [TlsState; 2],
    closed: [Option<CloseReason>; 2],
    unresponsive: [bool; 2],
    hold: bool,
    handshake_faults: usize,
    requests: VecDeque<(RequestId, crate::server::Request)>,
    jobs: BTreeMap<DataId, ServerJob>,
    net: DataNet,
    ops: BTreeMap<OpId, OpData>,
    data_ops: BTreeMap<DataId, OpId>,
    results: BTreeMap<OpId, Result<OpOutput, ClientError>>,
    client_events: Vec<ClientEvent>,
    server_events: Vec<ServerEvent>,
    client_wire: Vec<u8>,
    server_wire: Vec<u8>,
    anomalies: Vec<String>,
}

impl Pair {
    /// A pair with an empty [`MemStorage`] and default [`PairOptions`], just connected.
    pub fn new(client: ClientConfig, server: ServerConfig) -> Pair {
        Pair::with(client, server, MemStorage::new(), PairOptions::default())
    }

    /// A builder, to choose the storage and options too.
    pub fn builder() -> PairBuilder {
        PairBuilder::default()
    }

    fn with(
        client: ClientConfig,
        server: ServerConfig,
        storage: MemStorage,
        options: PairOptions,
    ) -> Pair {
        let base = Instant::now();
        Pair {
            client: ClientSession::new(client, options.server_addr, base),
            server: ServerSession::new(server, options.client_addr, options.server_addr, base),
            storage,
            options,
            base,
            elapsed: Duration::ZERO,
            to_server: Pipe::default(),
            to_client: Pipe::default(),
            tls: [TlsState::Plain; 2],
            closed: [None, None],
            unresponsive: [false; 2],
            hold: false,
            handshake_faults: 0,
            requests: VecDeque::new(),
            jobs: BTreeMap::new(),
            net: DataNet::new(),
            ops: BTreeMap::new(),
            data_ops: BTreeMap::new(),
            results: BTreeMap::new(),
            client_events: Vec::new(),
            server_events: Vec::new(),
            client_wire: Vec::new(),
            server_wire: Vec::new(),
            anomalies: Vec::new(),
        }
    }

    // ---- access ----

    /// The client session.
    pub fn client(&self) -> &ClientSession {
        &self.client
    }

    /// The client session, to enqueue work directly (then [`run`](Self::run)). Transfers
    /// enqueued this way upload nothing and collect downloads in binary form; see
    /// [`start_transfer`](Self::start_transfer).
    pub fn client_mut(&mut self) -> &mut ClientSession {
        &mut self.client
    }

    /// The server session.
    pub fn server(&self) -> &ServerSession {
        &self.server
    }

    /// The server session (e.g. to call `shutdown`).
    pub fn server_mut(&mut self) -> &mut ServerSession {
        &mut self.server
    }

    /// The storage behind the server.
    pub fn storage(&self) -> &MemStorage {
        &self.storage
    }

    /// The storage behind the server, to add users and files or set faults.
    pub fn storage_mut(&mut self) -> &mut MemStorage {
        &mut self.storage
    }

    /// The options (they may be changed between runs).
    pub fn options_mut(&mut self) -> &mut PairOptions {
        &mut self.options
    }

    // ---- clock ----

    /// The virtual time.
    pub fn now(&self) -> Instant {
        // `advance` only accepts offsets that keep `base + elapsed` representable.
        self.base.checked_add(self.elapsed).unwrap_or(self.base)
    }

    /// Virtual time since the pair was made.
    pub fn elapsed(&self) -> Duration {
        self.elapsed
    }

    /// The earliest deadline of the sessions still open.
    pub fn next_timeout(&self) -> Option<Instant> {
        let c = self
            .closed_reason(Side::Client)
            .is_none()
            .then(|| self.client.poll_timeout())
            .flatten();
        let s = self
            .closed_reason(Side::Server)
            .is_none()
            .then(|| self.server.poll_timeout())
            .flatten();
        match (c, s) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Moves the clock forward by `by` (less when the platform's `Instant` cannot go that
    /// far), fires the deadlines that passed, and runs.
    ///
    /// # Errors
    ///
    /// [`PairError::NotIdle`] when the sessions do not settle.
    pub fn advance(&mut self, by: Duration) -> Result<(), PairError> {
        let elapsed = self.elapsed.saturating_add(by);
        if self.base.checked_add(elapsed).is_some() {
            self.elapsed = elapsed;
        }
        self.fire_timeouts();
        self.run().map(|_| ())
    }

    /// Jumps the clock to the earliest deadline (if it is in the future), fires it, and
    /// runs. Returns how far the clock moved, or `None` when no timer runs.
    ///
    /// # Errors
    ///
    /// [`PairError::NotIdle`] when the sessions do not settle.
    pub fn advance_to_next_timeout(&mut self) -> Result<Option<Duration>, PairError> {
        let Some(deadline) = self.next_timeout() else {
            return Ok(None);
        };
        let by = deadline.saturating_duration_since(self.now());
        self.advance(by)?;
        Ok(Some(by))
    }

    // ---- logs ----

    /// Every event the client emitted, in order.
    pub fn client_events(&self) -> &[ClientEvent] {
        &self.client_events
    }

    /// Every event the server emitted (requests included), in order.
    pub fn server_events(&self) -> &[ServerEvent] {
        &self.server_events
    }

    /// Takes the client's event log.
    pub fn take_client_events(&mut self) -> Vec<ClientEvent> {
        std::mem::take(&mut self.client_events)
    }

    /// Takes the server's event log.
    pub fn take_server_events(&mut self) -> Vec<ServerEvent> {
        std::mem::take(&mut self.server_events)
    }

    /// Every control byte the client transmitted (plaintext view).
    pub fn client_transcript(&self) -> &[u8] {
        &self.client_wire
    }

    /// Every control byte the server transmitted (plaintext view).
    pub fn server_transcript(&self) -> &[u8] {
        &self.server_wire
    }

    /// Empties both transcripts.
    pub fn clear_transcripts(&mut self) {
        self.client_wire.clear();
        self.server_wire.clear();
    }

    /// Every data connection made so far.
    pub fn data_log(&self) -> &[DataRecord] {
        &self.net.records
    }

    /// Why `side` closed, once it emitted `Close`.
    pub fn closed_reason(&self, side: Side) -> Option<&CloseReason> {
        self.closed.get(side as usize).and_then(Option::as_ref)
    }

    /// `side`'s control-connection TLS state as the pair sees it.
    pub fn tls_state(&self, side: Side) -> TlsState {
        self.tls
            .get(side as usize)
            .copied()
            .unwrap_or(TlsState::Plain)
    }

    /// Things that went wrong in the harness itself (a `respond` refused, a second `Done`
    /// for one operation); a correct pair of sessions leaves it empty.
    pub fn anomalies(&self) -> &[String] {
        &self.anomalies
    }

    /// The result of operation `op`, once its `Done` was emitted (kept until taken).
    pub fn result(&self, op: OpId) -> Option<&Result<OpOutput, ClientError>> {
        self.results.get(&op)
    }

    /// Takes the result of `op`.
    pub fn take_result(&mut self, op: OpId) -> Option<Result<OpOutput, ClientError>> {
        self.results.remove(&op)
    }

    /// What a download of `op` received so far (local form).
    pub fn downloaded(&self, op: OpId) -> Option<&[u8]> {
        self.ops.get(&op).map(|d| d.download.as_slice())
    }

    /// Takes what a download of `op` received (local form), leaving it empty: a driver that
    /// runs many transfers frees each download once it has read it (the pair keeps every
    /// download until then).
    pub fn take_downloaded(&mut self, op: OpId) -> Option<Vec<u8>> {
        self.ops
            .get_mut(&op)
            .map(|d| std::mem::take(&mut d.download))
    }

    // ---- faults ----

    /// The control connection drops: pending bytes are lost and both sides get EOF (data
    /// connections go with it once a session closes).
    pub fn drop_control(&mut self) {
        self.to_server.drop_all();
        self.to_client.drop_all();
    }

    /// Every live data connection fails now, on both ends, with `error` (usually
    /// [`DataError::Broken`] or [`DataError::Truncated`]).
    pub fn reset_data(&mut self, error: DataError) {
        self.net.reset_all(error);
    }

    /// Applies `fault` to the next data connection attempt (faults queue up).
    pub fn fault_next_data(&mut self, fault: DataFault) {
        self.net.push_fault(fault);
    }

    /// A stranger from another address connects to the server's next passive listener
    /// before the client does (S2577-PEER).
    pub fn steal_next_passive(&mut self) {
        self.net.steal_next();
    }

    /// While set, no control byte reaches `side` and its pending data events wait (a peer
    /// that stopped reading); its own output still leaves.
    pub fn set_unresponsive(&mut self, side: Side, unresponsive: bool) {
        if let Some(u) = self.unresponsive.get_mut(side as usize) {
            *u = unresponsive;
        }
    }

    /// While set, the server's requests are not answered (a slow application).
    pub fn hold_requests(&mut self, hold: bool) {
        self.hold = hold;
    }

    /// The next control-connection handshake fails on both sides.
    pub fn fail_next_handshake(&mut self) {
        self.handshake_faults += 1;
    }

    /// Puts `bytes` on the wire towards `to`, in plaintext, behind what is already in
    /// flight (an attacker on the path).
    pub fn inject(&mut self, to: Side, bytes: &[u8]) {
        self.pipe_to(to).push(wire::Layer::Plain, bytes);
    }

    fn pipe_to(&mut self, to: Side) -> &mut Pipe {
        match to {
            Side::Client => &mut self.to_client,
            Side::Server => &mut self.to_server,
        }
    }

    /// The local address of `side`.
    fn addr(&self, side: Side) -> SocketAddr {
        match side {
            Side::Client => self.options.client_addr,
            Side::Server => self.options.server_addr,
        }
    }
}

impl OpData {
    /// Appends received network bytes (converted from CRLF when ASCII).
    fn receive(&mut self, bytes: &[u8]) {
        if self.ascii {
            let mut decoder = AsciiDecoder::new();
            decoder.convert(bytes, &mut self.download);
            decoder.finish(&mut self.download);
        } else {
            self.download.extend_from_slice(bytes);
        }
    }
}
