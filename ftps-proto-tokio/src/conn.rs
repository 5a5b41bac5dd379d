//! Data-connection tasks shared by the client and server drivers: one task per [`DataId`]
//! that listens/accepts or connects, runs the TLS handshake in the FTP role, reports
//! [`DataEvent`]s, and waits for `Start`/`Reject` before it hands the stream to a job.

use std::collections::HashMap;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use ftps_proto::session::{DataAction, DataError, DataEvent, DataId, DataTls};
use rustls::pki_types::ServerName;
use rustls::HandshakeKind;
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tracing::debug;

use crate::data::{bind_listener, connect};
use crate::stream::{accept_tls, connect_tls, FtpStream};

/// The TLS role this side plays on data connections.
#[derive(Clone)]
pub(crate) enum DataTlsRole {
    /// The FTP server: TLS server with the session's data config.
    Server(Arc<rustls::ServerConfig>),
    /// The FTP client: TLS client with the shared config, under the control connection's
    /// server name (so the control session is offered for resumption).
    Client(Arc<rustls::ClientConfig>, ServerName<'static>),
    /// No TLS is available: a data connection that must be TLS fails.
    Unavailable,
}

/// Runs the handshake when `tls`, returning the stream and the TLS details.
async fn secure(
    tcp: TcpStream,
    tls: bool,
    role: &DataTlsRole,
    limit: Duration,
) -> Result<(FtpStream, Option<DataTls>), DataError> {
    if !tls {
        return Ok((FtpStream::Plain(tcp), None));
    }
    match role {
        DataTlsRole::Server(config) => {
            let s = accept_tls(config.clone(), tcp, limit)
                .await
                .map_err(|_| DataError::TlsFailed)?;
            // The config is private to this control session (see
            // `ftps_proto_std::support::tls::SessionTls`): "resumed" means resumed one of its
            // sessions.
            let resumed = s.get_ref().1.handshake_kind() == Some(HandshakeKind::Resumed);
            Ok((
                FtpStream::Server(Box::new(s)),
                Some(DataTls {
                    resumed_control_session: resumed,
                }),
            ))
        }
        DataTlsRole::Client(config, name) => {
            let s = connect_tls(config.clone(), name.clone(), tcp, limit)
                .await
                .map_err(|_| DataError::TlsFailed)?;
            let resumed = s.get_ref().1.handshake_kind() == Some(HandshakeKind::Resumed);
            Ok((
                FtpStream::Client(Box::new(s)),
                Some(DataTls {
                    resumed_control_session: resumed,
                }),
            ))
        }
        DataTlsRole::Unavailable => Err(DataError::TlsFailed),
    }
}

enum Cmd<J> {
    Start(J),
    Reject,
}

struct Task<J> {
    cmd: mpsc::UnboundedSender<Cmd<J>>,
    join: JoinHandle<()>,
}

/// The data-connection tasks of one control session. Events come back on
/// [`DataTasks::next_event`].
pub(crate) struct DataTasks<J> {
    events_tx: mpsc::UnboundedSender<(DataId, DataEvent)>,
    events_rx: mpsc::UnboundedReceiver<(DataId, DataEvent)>,
    tasks: HashMap<DataId, Task<J>>,
    role: DataTlsRole,
    handshake_limit: Duration,
}

impl<J: Send + 'static> DataTasks<J> {
    pub(crate) fn new(role: DataTlsRole, handshake_limit: Duration) -> Self {
        let (events_tx, events_rx) = mpsc::unbounded_channel();
        DataTasks {
            events_tx,
            events_rx,
            tasks: HashMap::new(),
            role,
            handshake_limit,
        }
    }

    /// The next event of any data connection (never ends: the set holds a sender itself).
    pub(crate) async fn next_event(&mut self) -> (DataId, DataEvent) {
        loop {
            if let Some(event) = self.events_rx.recv().await {
                return event;
            }
        }
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
                    loop {
                        let (tcp, peer) = match listener.accept().await {
                            Ok(x) => x,
                            Err(_) => continue,
                        };
                        let _ = tcp.set_nodelay(true);
                        match ctx
                            .established(tcp, peer, protection.tls, &mut cmd_rx)
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
                    if let Some((stream, job)) = ctx
                        .established(tcp, addr, protection.tls, &mut cmd_rx)
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
                        .events_tx
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

    fn task_context(&self, id: DataId) -> TaskContext {
        TaskContext {
            id,
            events: self.events_tx.clone(),
            role: self.role.clone(),
            limit: self.handshake_limit,
        }
    }

    fn insert(&mut self, id: DataId, cmd: mpsc::UnboundedSender<Cmd<J>>, join: JoinHandle<()>) {
        if let Some(old) = self.tasks.insert(id, Task { cmd, join }) {
            old.join.abort();
        }
        // Forget finished tasks so the map stays small.
        self.tasks.retain(|_, t| !t.join.is_finished());
    }

    /// Aborts a data connection's task (its sockets close at once).
    pub(crate) fn close(&mut self, id: DataId) {
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
}

/// Reports [`DataEvent::Progress`] at most once a second.
pub(crate) struct Progress {
    id: DataId,
    events: mpsc::UnboundedSender<(DataId, DataEvent)>,
    last: std::time::Instant,
}

impl Progress {
    /// Notes the running total; sends it when a second has passed since the last report.
    pub(crate) fn report(&mut self, bytes: u64) {
        let now = std::time::Instant::now();
        if now.duration_since(self.last) >= Duration::from_secs(1) {
            self.last = now;
            let _ = self.events.send((self.id, DataEvent::Progress { bytes }));
        }
    }
}

impl TaskContext {
    fn progress(&self) -> Progress {
        Progress {
            id: self.id,
            events: self.events.clone(),
            last: std::time::Instant::now(),
        }
    }

    fn send(&self, event: DataEvent) {
        let _ = self.events.send((self.id, event));
    }

    /// Secures a fresh connection, reports it, and waits for the verdict: the stream and the
    /// job on `Start`, `None` on `Reject` (or a failed handshake).
    async fn established<J>(
        &self,
        tcp: TcpStream,
        peer: SocketAddr,
        tls: bool,
        cmd_rx: &mut mpsc::UnboundedReceiver<Cmd<J>>,
    ) -> Option<(FtpStream, J)> {
        let (stream, tls_info) = match secure(tcp, tls, &self.role, self.limit).await {
            Ok(x) => x,
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
        match cmd_rx.recv().await {
            Some(Cmd::Start(job)) => Some((stream, job)),
            Some(Cmd::Reject) | None => None,
        }
    }
}
