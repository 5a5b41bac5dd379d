//! Data-connection threads shared by the client and server drivers: one thread per
//! [`DataId`] that accepts or connects, runs the TLS handshake in the FTP role, reports
//! [`DataEvent`]s on a channel, and waits for `Start`/`Reject` before it hands the stream to a
//! job.
//!
//! Blocking threads cannot be aborted, so each one is cancelled by closing its socket: the
//! driver keeps a clone of every data socket (and a flag the accept loop checks) and
//! [`DataTasks::close`] shuts them down, which ends any blocked read, write or handshake at
//! once.
//!
//! As the TLS server, a thread reads the ClientHello first, then waits (at most
//! [`direction_wait`]) until the driver tells it the transfer's direction, and answers with
//! the config [`SessionTls::data_config_known`] picks for it (TLS 1.3 tickets on downloads
//! only; none when the direction is still unknown).

use std::collections::HashMap;
use std::io;
use std::net::{IpAddr, Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use ftps_proto::session::{DataAction, DataError, DataEvent, DataId, DataTls};
use tracing::debug;

use crate::data::{bind_listener, connect, drain_after_sending};
use crate::stream::{accept_tls_with, connect_tls, read_client_hello, FtpStream};
use crate::support::data_ports::peer_allowed;
use crate::support::data_tls::{
    direction_wait, tls_details, DataCmd as Cmd, DataTlsRole, PendingDirections, ProgressClock,
};
use crate::support::tls::DataDirection;
#[cfg(doc)]
use crate::support::tls::SessionTls;

/// What [`DataTasks::wait_busy`] found.
#[derive(Debug)]
pub(crate) enum Woken {
    /// This many control bytes, at the start of the buffer.
    Control(usize),
    /// The control connection ended.
    Eof,
    /// A data connection's event.
    Event(DataId, DataEvent),
    /// Nothing within the limit.
    Nothing,
    /// The control connection failed.
    Failed,
}

/// Longest pause between two polls of a listener that has no connection yet (a listener lives
/// only from `PASV`/`EPSV` to the client's connect, so polling it often costs little, and
/// each poll's pause adds to every passive transfer's latency).
const ACCEPT_POLL_MAX: Duration = Duration::from_millis(2);

/// While data connections are busy, the client's and the server's loops wait for a data event
/// at most this long before they look at the control connection again (events wake them at
/// once: [`DataTasks::wait_busy`]); control bytes are seen at most this late then. Idle
/// sessions wait much longer.
pub(crate) const BUSY_POLL: Duration = Duration::from_millis(1);

/// How the driver stops one data thread: a flag for the accept loop, and a clone of the
/// current socket to shut down.
#[derive(Default)]
struct Cancel {
    cancelled: AtomicBool,
    socket: Mutex<Option<TcpStream>>,
}

impl Cancel {
    fn cancel(&self) {
        self.cancelled.store(true, Ordering::SeqCst);
        let mut socket = self.socket.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(tcp) = socket.take() {
            let _ = tcp.shutdown(Shutdown::Both);
        }
    }

    /// Shuts down and forgets the current socket (an abandoned connection: rejected, or its
    /// handshake failed), so the clone kept here does not hold it open.
    fn release(&self) {
        let mut socket = self.socket.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(tcp) = socket.take() {
            let _ = tcp.shutdown(Shutdown::Both);
        }
    }

    /// Forgets the current socket without shutting it down: a finished sender that drains
    /// on its own after its final event ([`Progress::report_then_drain`]).
    fn forget(&self) {
        let mut socket = self.socket.lock().unwrap_or_else(|p| p.into_inner());
        socket.take();
    }

    fn is_cancelled(&self) -> bool {
        self.cancelled.load(Ordering::SeqCst)
    }

    /// Remembers `tcp` so that [`Cancel::cancel`] can shut it down; `false` (and the socket
    /// shut down) when cancelled already.
    fn register(&self, tcp: &TcpStream) -> bool {
        let mut socket = self.socket.lock().unwrap_or_else(|p| p.into_inner());
        if self.is_cancelled() {
            let _ = tcp.shutdown(Shutdown::Both);
            return false;
        }
        *socket = tcp.try_clone().ok();
        true
    }
}

struct Task<J> {
    cmd: Sender<Cmd<J>>,
    cancel: Arc<Cancel>,
    join: JoinHandle<()>,
}

/// The data-connection threads of one control session. Events come back through
/// [`DataTasks::try_event`].
pub(crate) struct DataTasks<J> {
    events_tx: Sender<(DataId, DataEvent)>,
    events_rx: Receiver<(DataId, DataEvent)>,
    tasks: HashMap<DataId, Task<J>>,
    /// Directions named before their thread exists (active mode connects after the request).
    directions: PendingDirections,
    role: DataTlsRole,
    handshake_limit: Duration,
    accept_limit: Duration,
}

impl<J: Send + 'static> DataTasks<J> {
    /// `handshake_limit` bounds each TLS handshake; `accept_limit` bounds the wait for a
    /// transfer's direction after the ClientHello (server role).
    pub(crate) fn new(
        role: DataTlsRole,
        handshake_limit: Duration,
        accept_limit: Duration,
    ) -> Self {
        let (events_tx, events_rx) = mpsc::channel();
        DataTasks {
            events_tx,
            events_rx,
            tasks: HashMap::new(),
            directions: PendingDirections::default(),
            role,
            handshake_limit,
            accept_limit,
        }
    }

    /// Tells data connection `id` which way its transfer goes (from the core's request).
    pub(crate) fn set_direction(&mut self, id: DataId, direction: DataDirection) {
        if let Some(task) = self.tasks.get(&id) {
            let _ = task.cmd.send(Cmd::Direction(direction));
            return;
        }
        self.directions.insert(id, direction);
    }

    /// The next pending event of any data connection, without waiting.
    pub(crate) fn try_event(&mut self) -> Option<(DataId, DataEvent)> {
        // The set holds a sender itself: never disconnected, only empty.
        self.events_rx.try_recv().ok()
    }

    /// Waits for one input of a control loop while data threads are busy: control bytes
    /// that are there now (one non-blocking read into `rbuf`), else a data event for at most
    /// `limit`. The event wait is a channel wait, which wakes the moment a data thread
    /// reports; a socket read timeout would wake only at the kernel's timer tick (several ms
    /// on Linux), which every transfer's start and end would pay.
    pub(crate) fn wait_busy(
        &mut self,
        stream: &mut FtpStream,
        rbuf: &mut [u8],
        limit: Duration,
    ) -> Woken {
        let Some(tcp) = stream.tcp() else {
            return Woken::Failed;
        };
        if tcp.set_nonblocking(true).is_err() {
            return Woken::Failed;
        }
        let read = io::Read::read(stream, rbuf);
        let restored = stream.tcp().map(|t| t.set_nonblocking(false));
        if !matches!(restored, Some(Ok(()))) {
            return Woken::Failed;
        }
        match read {
            Ok(0) => Woken::Eof,
            Ok(n) => Woken::Control(n),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                match self.events_rx.recv_timeout(limit) {
                    Ok((id, event)) => Woken::Event(id, event),
                    Err(_) => Woken::Nothing,
                }
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => Woken::Nothing,
            Err(_) => Woken::Failed,
        }
    }

    /// Whether some data thread is still running (events may still come).
    pub(crate) fn busy(&mut self) -> bool {
        self.tasks.retain(|_, t| !t.join.is_finished());
        !self.tasks.is_empty()
    }

    /// Carries out a [`DataAction`]. `Start` needs the job (taken from `job` when the action is
    /// `Start`); `run` moves the bytes on the data thread and returns the final event, if any.
    pub(crate) fn act<F>(
        &mut self,
        action: DataAction,
        job: impl FnOnce(DataId) -> Option<J>,
        run: F,
    ) where
        F: FnOnce(FtpStream, J, Progress) -> Option<DataEvent> + Send + 'static,
    {
        match action {
            DataAction::Listen {
                id,
                ip,
                ports,
                protection,
                accept_from,
            } => {
                // Bound here, so `Listening` is reported at once.
                let listener = match bind_listener(ip, ports.as_ref()) {
                    Ok(l) => l,
                    Err(e) => {
                        debug!(data = id.get(), error = %e, "data listen failed");
                        self.report(id, DataEvent::Failed(DataError::ListenFailed));
                        return;
                    }
                };
                match listener.local_addr() {
                    Ok(addr) => self.report(id, DataEvent::Listening { addr }),
                    Err(_) => {
                        self.report(id, DataEvent::Failed(DataError::ListenFailed));
                        return;
                    }
                }
                let (ctx, cmd_tx, cmd_rx) = self.task_context(id);
                let cancel = ctx.cancel.clone();
                let spawned = std::thread::Builder::new()
                    .name(format!("ftps-data-{}", id.get()))
                    .spawn(move || {
                        ctx.accept_loop(listener, accept_from, protection.tls, cmd_rx, run)
                    });
                self.insert(id, cmd_tx, cancel, spawned);
            }
            DataAction::Connect {
                id,
                addr,
                protection,
            } => {
                let (ctx, cmd_tx, cmd_rx) = self.task_context(id);
                let cancel = ctx.cancel.clone();
                let spawned = std::thread::Builder::new()
                    .name(format!("ftps-data-{}", id.get()))
                    .spawn(move || ctx.connect_once(addr, protection.tls, cmd_rx, run));
                self.insert(id, cmd_tx, cancel, spawned);
            }
            DataAction::Start { id } => {
                let sent = match (self.tasks.get(&id), job(id)) {
                    (Some(task), Some(j)) => task.cmd.send(Cmd::Start(j)).is_ok(),
                    _ => false,
                };
                if !sent {
                    self.report(id, DataEvent::Failed(DataError::Broken));
                }
            }
            DataAction::Reject { id } => {
                if let Some(task) = self.tasks.get(&id) {
                    let _ = task.cmd.send(Cmd::Reject);
                }
            }
            DataAction::Close { id } => self.close(id),
            _ => {}
        }
    }

    fn report(&self, id: DataId, event: DataEvent) {
        let _ = self.events_tx.send((id, event));
    }

    fn task_context(&self, id: DataId) -> (TaskContext, Sender<Cmd<J>>, Receiver<Cmd<J>>) {
        let (cmd_tx, cmd_rx) = mpsc::channel();
        let ctx = TaskContext {
            id,
            events: self.events_tx.clone(),
            role: self.role.clone(),
            limit: self.handshake_limit,
            accept_limit: self.accept_limit,
            cancel: Arc::new(Cancel::default()),
        };
        (ctx, cmd_tx, cmd_rx)
    }

    fn insert(
        &mut self,
        id: DataId,
        cmd: Sender<Cmd<J>>,
        cancel: Arc<Cancel>,
        spawned: io::Result<JoinHandle<()>>,
    ) {
        let join = match spawned {
            Ok(join) => join,
            Err(e) => {
                debug!(data = id.get(), error = %e, "cannot start a data thread");
                self.report(id, DataEvent::Failed(DataError::Broken));
                return;
            }
        };
        if let Some(direction) = self.directions.take(&id) {
            let _ = cmd.send(Cmd::Direction(direction));
        }
        if let Some(old) = self.tasks.insert(id, Task { cmd, cancel, join }) {
            old.cancel.cancel();
        }
        // Forget finished threads so the map stays small.
        self.tasks.retain(|_, t| !t.join.is_finished());
    }

    /// Stops a data connection: its sockets are shut down, its thread ends on its own.
    pub(crate) fn close(&mut self, id: DataId) {
        self.directions.take(&id);
        if let Some(task) = self.tasks.remove(&id) {
            task.cancel.cancel();
        }
    }

    /// Stops every data connection.
    pub(crate) fn close_all(&mut self) {
        for (_, task) in self.tasks.drain() {
            task.cancel.cancel();
        }
    }
}

impl<J> Drop for DataTasks<J> {
    fn drop(&mut self) {
        for (_, task) in self.tasks.drain() {
            task.cancel.cancel();
        }
    }
}

/// What waiting for a transfer's direction gave.
enum Waited {
    Direction(DataDirection),
    TimedOut,
    Rejected,
}

struct TaskContext {
    id: DataId,
    events: Sender<(DataId, DataEvent)>,
    role: DataTlsRole,
    limit: Duration,
    accept_limit: Duration,
    cancel: Arc<Cancel>,
}

/// Reports [`DataEvent::Progress`] at most once a second.
pub(crate) struct Progress {
    id: DataId,
    events: Sender<(DataId, DataEvent)>,
    clock: ProgressClock,
    cancel: Arc<Cancel>,
}

impl Progress {
    /// Notes the running total; sends it when a second has passed since the last report.
    pub(crate) fn report(&mut self, bytes: u64) {
        if self.clock.due(Instant::now()) {
            let _ = self.events.send((self.id, DataEvent::Progress { bytes }));
        }
    }

    /// Reports a sending transfer's final event, then, when it finished, drains the data
    /// connection on this thread ([`drain_after_sending`]). Our close_notify and FIN are out,
    /// so the reply need not wait for the peer's close (a client may close only after the
    /// `226`), and the socket stays open until the peer has read everything; the `Close` that
    /// follows the event no longer shuts it down.
    pub(crate) fn report_then_drain(self, event: DataEvent, mut stream: FtpStream) {
        let finished = matches!(event, DataEvent::Finished { .. });
        if finished {
            self.cancel.forget();
        }
        let _ = self.events.send((self.id, event));
        if finished {
            drain_after_sending(&mut stream);
        }
    }
}

impl TaskContext {
    fn progress(&self) -> Progress {
        Progress {
            id: self.id,
            events: self.events.clone(),
            clock: ProgressClock::new(Instant::now()),
            cancel: self.cancel.clone(),
        }
    }

    fn send(&self, event: DataEvent) {
        let _ = self.events.send((self.id, event));
    }

    /// Accepts connections until one is started (or the task is cancelled).
    fn accept_loop<J, F>(
        self,
        listener: TcpListener,
        accept_from: Option<IpAddr>,
        tls: bool,
        cmd_rx: Receiver<Cmd<J>>,
        run: F,
    ) where
        F: FnOnce(FtpStream, J, Progress) -> Option<DataEvent>,
    {
        if listener.set_nonblocking(true).is_err() {
            self.send(DataEvent::Failed(DataError::ListenFailed));
            return;
        }
        let mut pause = Duration::from_millis(1);
        let mut direction = None;
        while !self.cancel.is_cancelled() {
            let (tcp, peer) = match listener.accept() {
                Ok(x) => x,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    std::thread::sleep(pause);
                    pause = (pause * 2).min(ACCEPT_POLL_MAX);
                    continue;
                }
                Err(_) => continue,
            };
            pause = Duration::from_millis(1);
            if !peer_allowed(accept_from, peer.ip()) {
                // S2577-PEER: dropped before any TLS byte is read, and not reported.
                debug!(data = self.id.get(), %peer, "data connection from a foreign address dropped");
                continue;
            }
            if tcp.set_nonblocking(false).is_err() || !self.cancel.register(&tcp) {
                continue;
            }
            let _ = tcp.set_nodelay(true);
            if let Some((stream, job)) = self.established(tcp, peer, tls, &cmd_rx, &mut direction) {
                drop(listener);
                if let Some(event) = run(stream, job, self.progress()) {
                    self.send(event);
                }
                return;
            }
        }
    }

    /// Connects, then hands the stream to `run` once started.
    fn connect_once<J, F>(self, addr: SocketAddr, tls: bool, cmd_rx: Receiver<Cmd<J>>, run: F)
    where
        F: FnOnce(FtpStream, J, Progress) -> Option<DataEvent>,
    {
        let tcp = match connect(addr, self.limit) {
            Ok(tcp) => tcp,
            Err(e) => {
                debug!(data = self.id.get(), %addr, error = %e, "data connect failed");
                self.send(DataEvent::Failed(DataError::ConnectFailed));
                return;
            }
        };
        if !self.cancel.register(&tcp) {
            return;
        }
        let mut direction = None;
        if let Some((stream, job)) = self.established(tcp, addr, tls, &cmd_rx, &mut direction) {
            if let Some(event) = run(stream, job, self.progress()) {
                self.send(event);
            }
        }
    }

    /// Secures a fresh connection, reports it, and waits for the verdict: the stream and the
    /// job on `Start`, `None` on `Reject` (or a failed handshake, or the task closed).
    /// `direction` keeps the transfer's direction across the connections a listener accepts.
    fn established<J>(
        &self,
        tcp: TcpStream,
        peer: SocketAddr,
        tls: bool,
        cmd_rx: &Receiver<Cmd<J>>,
        direction: &mut Option<DataDirection>,
    ) -> Option<(FtpStream, J)> {
        let secured = if tls {
            self.secure(tcp, cmd_rx, direction)
        } else {
            Ok(Some((FtpStream::Plain(tcp), None)))
        };
        let (stream, tls_info) = match secured {
            Ok(Some(x)) => x,
            Ok(None) => {
                self.cancel.release();
                return None;
            }
            Err(e) => {
                self.cancel.release();
                debug!(data = self.id.get(), %peer, "data TLS handshake failed");
                if !self.cancel.is_cancelled() {
                    self.send(DataEvent::Failed(e));
                }
                return None;
            }
        };
        self.send(DataEvent::Connected {
            peer,
            tls: tls_info,
        });
        // The driver always answers (Start, Reject or Close, which drops the sender).
        loop {
            match cmd_rx.recv() {
                Ok(Cmd::Start(job)) => return Some((stream, job)),
                Ok(Cmd::Direction(d)) => *direction = Some(d),
                Ok(_) | Err(_) => {
                    self.cancel.release();
                    return None;
                }
            }
        }
    }

    /// Runs the TLS handshake in this side's role. `Ok(None)`: the connection was rejected
    /// (or the task closed) while the server waited for the transfer's direction.
    fn secure<J>(
        &self,
        mut tcp: TcpStream,
        cmd_rx: &Receiver<Cmd<J>>,
        direction: &mut Option<DataDirection>,
    ) -> Result<Option<(FtpStream, Option<DataTls>)>, DataError> {
        match &self.role {
            DataTlsRole::Server(session) => {
                let hello =
                    read_client_hello(&mut tcp, self.limit).map_err(|_| DataError::TlsFailed)?;
                if direction.is_none() {
                    match self.wait_direction(cmd_rx) {
                        Waited::Direction(d) => *direction = Some(d),
                        Waited::TimedOut => {}
                        Waited::Rejected => return Ok(None),
                    }
                }
                let config = session.data_config_known(*direction);
                let s = accept_tls_with(hello, config, tcp, self.limit)
                    .map_err(|_| DataError::TlsFailed)?;
                if let Err(e) = session.check_client_certificate(s.conn.peer_certificates()) {
                    debug!(data = self.id.get(), error = %e, "data connection refused");
                    return Err(DataError::TlsFailed);
                }
                let kind = s.conn.handshake_kind();
                Ok(Some((FtpStream::Server(Box::new(s)), tls_details(kind))))
            }
            DataTlsRole::Client(tls, name) => {
                let s = connect_tls(tls.config(), name.clone(), tcp, self.limit)
                    .map_err(|_| DataError::TlsFailed)?;
                if let Err(e) = tls.check_data_certificate(s.conn.peer_certificates()) {
                    debug!(data = self.id.get(), error = %e, "data connection refused");
                    return Err(DataError::TlsFailed);
                }
                let kind = s.conn.handshake_kind();
                Ok(Some((FtpStream::Client(Box::new(s)), tls_details(kind))))
            }
            DataTlsRole::Unavailable => Err(DataError::TlsFailed),
        }
    }

    /// Waits for the transfer's direction, at most [`direction_wait`] of the accept limit.
    fn wait_direction<J>(&self, cmd_rx: &Receiver<Cmd<J>>) -> Waited {
        let deadline = Instant::now() + direction_wait(self.accept_limit);
        loop {
            let Some(left) = crate::stream::remaining(deadline) else {
                debug!(
                    data = self.id.get(),
                    "no transfer named this data connection in time; no tickets on it"
                );
                return Waited::TimedOut;
            };
            match cmd_rx.recv_timeout(left) {
                Ok(Cmd::Direction(d)) => return Waited::Direction(d),
                Ok(Cmd::Reject) | Err(RecvTimeoutError::Disconnected) => return Waited::Rejected,
                // `Start` cannot come yet: it follows `Connected`, which is not sent yet.
                Ok(_) | Err(RecvTimeoutError::Timeout) => continue,
            }
        }
    }
}
