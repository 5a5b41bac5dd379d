//! Data-connection tasks shared by the client and server drivers: one task per [`DataId`]
//! that listens/accepts or connects, runs the TLS handshake in the FTP role, reports
//! [`DataEvent`]s, and waits for `Start`/`Reject` before it hands the stream to a job.
//!
//! As the TLS server, a task reads the ClientHello first, then waits (at most
//! [`direction_wait`]) until the driver tells it the transfer's direction, and answers with
//! the config [`SessionTls::data_config_known`] picks for it (TLS 1.3 tickets on downloads
//! only; none when the direction is still unknown).

use std::collections::HashMap;
use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use ftps_proto::session::{DataAction, DataError, DataEvent, DataId, DataTls};
use ftps_proto_std::support::data_ports::peer_allowed;
use ftps_proto_std::support::data_tls::{
    direction_wait, tls_details, DataCmd as Cmd, DataTlsRole, PendingDirections, ProgressClock,
};
use ftps_proto_std::support::tls::DataDirection;
#[cfg(doc)]
use ftps_proto_std::support::tls::SessionTls;
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tracing::debug;

use crate::data::{bind_listener, connect, drain_after_sending};
use crate::stream::{connect_tls, with_timeout, FtpStream};

struct Task<J> {
    cmd: mpsc::UnboundedSender<Cmd<J>>,
    join: JoinHandle<()>,
}

/// The data-connection tasks of one control session. Events come back on
/// [`DataTasks::next_event`].
pub(crate) struct DataTasks<J> {
    /// The tasks' event channel, made with the first task: a session that never opens a data
    /// connection does not hold one (the channel's first block is about 2 KiB).
    events: Option<EventChannel>,
    tasks: HashMap<DataId, Task<J>>,
    /// Directions named before their task exists (active mode connects after the request).
    directions: PendingDirections,
    role: DataTlsRole,
    handshake_limit: Duration,
    accept_limit: Duration,
}

type EventChannel = (
    mpsc::UnboundedSender<(DataId, DataEvent)>,
    mpsc::UnboundedReceiver<(DataId, DataEvent)>,
);

/// What waiting for a transfer's direction gave.
enum Waited {
    Direction(DataDirection),
    TimedOut,
    Rejected,
}

impl<J: Send + 'static> DataTasks<J> {
    /// `handshake_limit` bounds each TLS handshake; `accept_limit` bounds the wait for a
    /// transfer's direction after the ClientHello (server role).
    pub(crate) fn new(
        role: DataTlsRole,
        handshake_limit: Duration,
        accept_limit: Duration,
    ) -> Self {
        DataTasks {
            events: None,
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

    /// The next event of any data connection (never ends: the set holds a sender itself;
    /// pending until the first task exists).
    pub(crate) async fn next_event(&mut self) -> (DataId, DataEvent) {
        let Some((_, events)) = &mut self.events else {
            return std::future::pending().await;
        };
        loop {
            if let Some(event) = events.recv().await {
                return event;
            }
        }
    }

    /// The sender of the tasks' events (the channel is made on first use).
    fn events(&mut self) -> &mpsc::UnboundedSender<(DataId, DataEvent)> {
        &self.events.get_or_insert_with(mpsc::unbounded_channel).0
    }

    /// Carries out a [`DataAction`]. `Start` needs the job (taken from `job` when the action is
    /// `Start`); `run` moves the bytes and returns the final event, if any.
    pub(crate) fn act<F, Fut>(
        &mut self,
        action: DataAction,
        job: impl FnOnce(DataId) -> Option<J>,
        run: F,
    ) where
        F: FnOnce(FtpStream, J, Progress) -> Fut + Send + 'static,
        Fut: Future<Output = Option<DataEvent>> + Send + 'static,
    {
        match action {
            DataAction::Listen {
                id,
                ip,
                ports,
                protection,
                accept_from,
            } => {
                let ctx = self.task_context(id);
                let (cmd_tx, cmd_rx) = mpsc::unbounded_channel();
                let join = tokio::spawn(async move {
                    let listener = match bind_listener(ip, ports.as_ref()).await {
                        Ok(l) => l,
                        Err(e) => {
                            debug!(data = id.get(), error = %e, "data listen failed");
                            ctx.send(DataEvent::Failed(DataError::ListenFailed));
                            return;
                        }
                    };
                    match listener.local_addr() {
                        Ok(addr) => ctx.send(DataEvent::Listening { addr }),
                        Err(_) => {
                            ctx.send(DataEvent::Failed(DataError::ListenFailed));
                            return;
                        }
                    }
                    let mut cmd_rx = cmd_rx;
                    let mut direction = None;
                    loop {
                        let (tcp, peer) = match listener.accept().await {
                            Ok(x) => x,
                            Err(_) => continue,
                        };
                        if !peer_allowed(accept_from, peer.ip()) {
                            // S2577-PEER: dropped before any TLS byte is read, unreported.
                            debug!(data = id.get(), %peer, "data connection from a foreign address dropped");
                            continue;
                        }
                        let _ = tcp.set_nodelay(true);
                        match ctx
                            .established(tcp, peer, protection.tls, &mut cmd_rx, &mut direction)
                            .await
                        {
                            Some((stream, job)) => {
                                drop(listener);
                                if let Some(event) = run(stream, job, ctx.progress()).await {
                                    ctx.send(event);
                                }
                                return;
                            }
                            None => continue,
                        }
                    }
                });
                self.insert(id, cmd_tx, join);
            }
            DataAction::Connect {
                id,
                addr,
                protection,
            } => {
                let ctx = self.task_context(id);
                let (cmd_tx, mut cmd_rx) = mpsc::unbounded_channel();
                let join = tokio::spawn(async move {
                    let tcp = match connect(addr, ctx.limit).await {
                        Ok(tcp) => tcp,
                        Err(e) => {
                            debug!(data = id.get(), %addr, error = %e, "data connect failed");
                            ctx.send(DataEvent::Failed(DataError::ConnectFailed));
                            return;
                        }
                    };
                    let mut direction = None;
                    if let Some((stream, job)) = ctx
                        .established(tcp, addr, protection.tls, &mut cmd_rx, &mut direction)
                        .await
                    {
                        if let Some(event) = run(stream, job, ctx.progress()).await {
                            ctx.send(event);
                        }
                    }
                });
                self.insert(id, cmd_tx, join);
            }
            DataAction::Start { id } => {
                let sent = match (self.tasks.get(&id), job(id)) {
                    (Some(task), Some(j)) => task.cmd.send(Cmd::Start(j)).is_ok(),
                    _ => false,
                };
                if !sent {
                    let _ = self
                        .events()
                        .send((id, DataEvent::Failed(DataError::Broken)));
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

    fn task_context(&mut self, id: DataId) -> TaskContext {
        TaskContext {
            id,
            events: self.events().clone(),
            role: self.role.clone(),
            limit: self.handshake_limit,
            accept_limit: self.accept_limit,
        }
    }

    fn insert(&mut self, id: DataId, cmd: mpsc::UnboundedSender<Cmd<J>>, join: JoinHandle<()>) {
        if let Some(direction) = self.directions.take(&id) {
            let _ = cmd.send(Cmd::Direction(direction));
        }
        if let Some(old) = self.tasks.insert(id, Task { cmd, join }) {
            old.join.abort();
        }
        // Forget finished tasks so the map stays small.
        self.tasks.retain(|_, t| !t.join.is_finished());
    }

    /// Aborts a data connection's task (its sockets close at once).
    pub(crate) fn close(&mut self, id: DataId) {
        self.directions.take(&id);
        if let Some(task) = self.tasks.remove(&id) {
            task.join.abort();
        }
    }

    /// Aborts every data connection.
    pub(crate) fn close_all(&mut self) {
        for (_, task) in self.tasks.drain() {
            task.join.abort();
        }
    }
}

impl<J> Drop for DataTasks<J> {
    fn drop(&mut self) {
        for (_, task) in self.tasks.drain() {
            task.join.abort();
        }
    }
}

struct TaskContext {
    id: DataId,
    events: mpsc::UnboundedSender<(DataId, DataEvent)>,
    role: DataTlsRole,
    limit: Duration,
    accept_limit: Duration,
}

/// Reports [`DataEvent::Progress`] at most once a second.
pub(crate) struct Progress {
    id: DataId,
    events: mpsc::UnboundedSender<(DataId, DataEvent)>,
    clock: ProgressClock,
}

impl Progress {
    /// Notes the running total; sends it when a second has passed since the last report.
    pub(crate) fn report(&mut self, bytes: u64) {
        if self.clock.due(std::time::Instant::now()) {
            let _ = self.events.send((self.id, DataEvent::Progress { bytes }));
        }
    }

    /// Reports a sending transfer's final event, then, when it finished, drains the data
    /// connection in a task of its own ([`drain_after_sending`], at most its limit). Our
    /// close_notify and FIN are out, so the reply need not wait for the peer's close (a client
    /// may close only after the `226`), and the socket stays open until the peer has read
    /// everything, also when the `Close` that follows the event aborts this task.
    pub(crate) fn report_then_drain(self, event: DataEvent, mut stream: FtpStream) {
        let finished = matches!(event, DataEvent::Finished { .. });
        let _ = self.events.send((self.id, event));
        if finished {
            tokio::spawn(async move { drain_after_sending(&mut stream).await });
        }
    }
}

impl TaskContext {
    fn progress(&self) -> Progress {
        Progress {
            id: self.id,
            events: self.events.clone(),
            clock: ProgressClock::new(std::time::Instant::now()),
        }
    }

    fn send(&self, event: DataEvent) {
        let _ = self.events.send((self.id, event));
    }

    /// Secures a fresh connection, reports it, and waits for the verdict: the stream and the
    /// job on `Start`, `None` on `Reject` (or a failed handshake). `direction` keeps the
    /// transfer's direction across the connections a listener accepts.
    async fn established<J>(
        &self,
        tcp: TcpStream,
        peer: SocketAddr,
        tls: bool,
        cmd_rx: &mut mpsc::UnboundedReceiver<Cmd<J>>,
        direction: &mut Option<DataDirection>,
    ) -> Option<(FtpStream, J)> {
        let secured = if tls {
            self.secure(tcp, cmd_rx, direction).await
        } else {
            Ok(Some((FtpStream::Plain(tcp), None)))
        };
        let (stream, tls_info) = match secured {
            Ok(Some(x)) => x,
            Ok(None) => return None,
            Err(e) => {
                debug!(data = self.id.get(), %peer, "data TLS handshake failed");
                self.send(DataEvent::Failed(e));
                return None;
            }
        };
        self.send(DataEvent::Connected {
            peer,
            tls: tls_info,
        });
        loop {
            match cmd_rx.recv().await {
                Some(Cmd::Start(job)) => return Some((stream, job)),
                Some(Cmd::Direction(d)) => *direction = Some(d),
                Some(_) | None => return None,
            }
        }
    }

    /// Runs the TLS handshake in this side's role. `Ok(None)`: the connection was rejected
    /// while the server waited for the transfer's direction.
    async fn secure<J>(
        &self,
        tcp: TcpStream,
        cmd_rx: &mut mpsc::UnboundedReceiver<Cmd<J>>,
        direction: &mut Option<DataDirection>,
    ) -> Result<Option<(FtpStream, Option<DataTls>)>, DataError> {
        match &self.role {
            DataTlsRole::Server(session) => {
                let acceptor =
                    tokio_rustls::LazyConfigAcceptor::new(rustls::server::Acceptor::default(), tcp);
                let start = with_timeout(self.limit, acceptor)
                    .await
                    .map_err(|_| DataError::TlsFailed)?;
                if direction.is_none() {
                    match self.wait_direction(cmd_rx).await {
                        Waited::Direction(d) => *direction = Some(d),
                        Waited::TimedOut => {}
                        Waited::Rejected => return Ok(None),
                    }
                }
                let config = session.data_config_known(*direction);
                let s = with_timeout(self.limit, start.into_stream(config))
                    .await
                    .map_err(|_| DataError::TlsFailed)?;
                if let Err(e) = session.check_client_certificate(s.get_ref().1.peer_certificates())
                {
                    debug!(data = self.id.get(), error = %e, "data connection refused");
                    return Err(DataError::TlsFailed);
                }
                let kind = s.get_ref().1.handshake_kind();
                Ok(Some((FtpStream::Server(Box::new(s)), tls_details(kind))))
            }
            DataTlsRole::Client(tls, name) => {
                let s = connect_tls(tls.config(), name.clone(), tcp, self.limit)
                    .await
                    .map_err(|_| DataError::TlsFailed)?;
                if let Err(e) = tls.check_data_certificate(s.get_ref().1.peer_certificates()) {
                    debug!(data = self.id.get(), error = %e, "data connection refused");
                    return Err(DataError::TlsFailed);
                }
                let kind = s.get_ref().1.handshake_kind();
                Ok(Some((FtpStream::Client(Box::new(s)), tls_details(kind))))
            }
            DataTlsRole::Unavailable => Err(DataError::TlsFailed),
        }
    }

    /// Waits for the transfer's direction, at most [`direction_wait`] of the accept limit.
    async fn wait_direction<J>(&self, cmd_rx: &mut mpsc::UnboundedReceiver<Cmd<J>>) -> Waited {
        let wait = async {
            loop {
                match cmd_rx.recv().await {
                    Some(Cmd::Direction(d)) => return Waited::Direction(d),
                    Some(Cmd::Reject) | None => return Waited::Rejected,
                    // `Start` cannot come yet: it follows `Connected`, which is not sent yet.
                    Some(_) => continue,
                }
            }
        };
        let limit = direction_wait(self.accept_limit);
        match tokio::time::timeout(limit, wait).await {
            Ok(waited) => waited,
            Err(_) => {
                debug!(
                    data = self.id.get(),
                    "no transfer named this data connection in time; no tickets on it"
                );
                Waited::TimedOut
            }
        }
    }
}
