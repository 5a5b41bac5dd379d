//! The per-connection driver: one task runs one [`ServerSession`] over its control connection.

use ftps_proto_std::support::server_name::report_server_name;
use std::collections::HashMap;
use std::io::Cursor;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use ftps_proto::server::{Request, ServerEvent, ServerSession};
use ftps_proto::session::{DataAction, DataEvent, DataId, TlsEvent};
use ftps_proto::vpath::VirtualPath;
use ftps_proto_std::support::answer::{self, Answer, Answerer, Call, Next, Outcome};
use ftps_proto_std::support::data_tls::DataTlsRole;
use ftps_proto_std::support::drive::Step;
use ftps_proto_std::support::tls::{DataDirection, SessionTls};
use ftps_proto_std::support::transfer::server_data_event;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::watch;
use tracing::{debug, info, warn};

use super::{Authenticator, Shared, Storage};
use crate::conn::{DataTasks, Progress};
use crate::data::{receive_stream, send_and_close, CopyError, Representation};
use crate::stream::{stop_tls, ControlTls, FtpStream};

/// Control-connection read buffer: it starts at `CONTROL_BUFFER_START` bytes (a command line
/// and some) and doubles, up to `CONTROL_BUFFER`, each time a read fills it (a client that
/// pipelines), so idle sessions keep a small one.
const CONTROL_BUFFER: usize = 4 * 1024;
const CONTROL_BUFFER_START: usize = 512;

/// After this long without input a session frees the buffers it keeps between commands (the
/// core's and the driver's); a busy session keeps them and allocates nothing per command.
const IDLE_RELEASE: Duration = Duration::from_secs(1);

/// What a data connection of this session does once started.
type Job<S> = answer::Job<<S as Storage>::Reader, <S as Storage>::Writer>;

/// Runs one session to its end.
pub(super) async fn run<S: Storage, A: Authenticator>(
    tcp: TcpStream,
    peer: SocketAddr,
    shared: Arc<Shared<S, A>>,
    mut shutdown: watch::Receiver<bool>,
) {
    let local = match tcp.local_addr() {
        Ok(a) => a,
        Err(_) => return,
    };
    let _ = tcp.set_nodelay(true);
    let session_tls = match shared.options.session_tls() {
        Ok(tls) => tls,
        Err(e) => {
            warn!(%peer, error = %e, "TLS session setup failed");
            return;
        }
    };
    let role = DataTlsRole::for_server(session_tls.as_ref());
    let handshake_limit = shared.options.session.tls_handshake_timeout;
    let mut session =
        ServerSession::new(shared.options.session.clone(), peer, local, Instant::now());
    let mut driver = Driver {
        stream: FtpStream::Plain(tcp),
        out: Vec::new(),
        data: DataTasks::new(
            role,
            handshake_limit,
            shared.options.session.data_accept_timeout,
        ),
        jobs: HashMap::new(),
        answerer: Answerer::new(shared.options.partial_uploads),
        shared,
        session_tls,
        after_stop: Vec::new(),
        peer,
    };
    info!(%peer, "session started");
    let mut rbuf = vec![0u8; CONTROL_BUFFER_START];
    let mut shutting_down = *shutdown.borrow();
    if shutting_down {
        session.shutdown(Instant::now());
    }
    // When the idle buffers are freed next (`None`: they are, until the next input).
    let mut release_at = Some(Instant::now() + IDLE_RELEASE);
    loop {
        let deadline = match driver.drain(&mut session).await {
            Some(deadline) => deadline,
            None => break,
        };
        let wake = match (deadline, release_at) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        let sleep = async {
            match wake {
                Some(at) => tokio::time::sleep_until(tokio::time::Instant::from_std(at)).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            read = driver.stream.read(&mut rbuf) => {
                let now = Instant::now();
                release_at = Some(now + IDLE_RELEASE);
                match read {
                    Ok(0) | Err(_) => session.handle_eof(now),
                    // cannot fire: `read` returns at most the buffer's length.
                    Ok(n) => {
                        session.handle_input(now, rbuf.get(..n).unwrap_or_default());
                        if n == rbuf.len() && n < CONTROL_BUFFER {
                            rbuf.resize(n * 2, 0);
                        }
                    }
                }
            }
            (id, event) = driver.data.next_event() => {
                session.handle_data(Instant::now(), id, event);
            }
            () = sleep => {
                let now = Instant::now();
                if release_at.is_some_and(|at| at <= now) {
                    release_at = None;
                    session.release_memory();
                    driver.release_memory();
                    if rbuf.len() > CONTROL_BUFFER_START {
                        rbuf = vec![0u8; CONTROL_BUFFER_START];
                    }
                }
                if deadline.is_some_and(|at| at <= now) {
                    session.handle_timeout(now);
                }
            }
            changed = shutdown.changed(), if !shutting_down => {
                shutting_down = true;
                if changed.is_ok() {
                    session.shutdown(Instant::now());
                }
            }
        }
    }
    driver.data.close_all();
    info!(%peer, "session ended");
}

struct Driver<S: Storage, A: Authenticator> {
    stream: FtpStream,
    out: Vec<u8>,
    data: DataTasks<Job<S>>,
    jobs: HashMap<DataId, Job<S>>,
    shared: Arc<Shared<S, A>>,
    /// The request mapping and the virtual host accepted with `HOST`.
    answerer: Answerer,
    session_tls: Option<SessionTls>,
    /// Plaintext received with the peer's close_notify when TLS stopped (CCC), not yet handed
    /// to the session.
    after_stop: Vec<u8>,
    peer: SocketAddr,
}

impl<S: Storage, A: Authenticator> Driver<S, A> {
    /// Drains the session's outputs and carries them out. Returns the next deadline, or
    /// `None` when the session is over.
    async fn drain(&mut self, session: &mut ServerSession) -> Option<Option<Instant>> {
        loop {
            match Step::of_server(session.poll_output(), &mut self.out) {
                Step::Transmitted => {}
                Step::Idle(deadline) => {
                    if self.flush().await.is_err() {
                        session.handle_eof(Instant::now());
                        continue;
                    }
                    return Some(deadline);
                }
                Step::StartTls => {
                    // Boxed for the same reason as the answers: a handshake runs once.
                    let event = Box::pin(self.start_tls()).await;
                    report_server_name(self.session_tls.as_ref(), session);
                    session.handle_tls(Instant::now(), event);
                }
                Step::StopTls => {
                    let event = Box::pin(self.stop_tls()).await;
                    session.handle_tls(Instant::now(), event);
                    if !self.after_stop.is_empty() {
                        let rest = std::mem::take(&mut self.after_stop);
                        session.handle_input(Instant::now(), &rest);
                    }
                }
                Step::Data(action) => self.data_action(action),
                Step::Event(event) => self.event(session, event).await,
                Step::Close(reason) => {
                    let _ = self.flush().await;
                    self.stream.close().await;
                    info!(peer = %self.peer, ?reason, "closing control connection");
                    return None;
                }
            }
        }
    }

    /// Frees what the driver keeps between commands, where it holds nothing.
    fn release_memory(&mut self) {
        if self.out.is_empty() {
            self.out = Vec::new();
        }
        if self.jobs.is_empty() {
            self.jobs = HashMap::new();
        }
    }

    async fn flush(&mut self) -> std::io::Result<()> {
        if self.out.is_empty() {
            return Ok(());
        }
        let result = async {
            self.stream.write_all(&self.out).await?;
            self.stream.flush().await
        }
        .await;
        self.out.clear();
        result
    }

    async fn start_tls(&mut self) -> TlsEvent {
        if self.flush().await.is_err() {
            return TlsEvent::Failed;
        }
        let (Some(tls), Ok(tcp)) = (&self.session_tls, self.stream.detach().into_plain()) else {
            return TlsEvent::Failed;
        };
        let limit = self.shared.options.session.tls_handshake_timeout;
        match ControlTls::accept(tls.control_config(), tcp, limit).await {
            Ok(s) => {
                debug!(peer = %self.peer, version = ?s.protocol_version(), "control TLS established");
                tls.pin_client_certificate(s.peer_certificates());
                self.stream = FtpStream::ServerControl(Box::new(s));
                TlsEvent::Established
            }
            Err(e) => {
                info!(peer = %self.peer, error = %e, "control TLS handshake failed");
                TlsEvent::Failed
            }
        }
    }

    async fn stop_tls(&mut self) -> TlsEvent {
        if self.flush().await.is_err() {
            return TlsEvent::Failed;
        }
        let limit = self.shared.options.session.tls_handshake_timeout;
        let stopped = match self.stream.detach() {
            // Plaintext that came in with the peer's close_notify is the session's next input.
            FtpStream::ServerControl(tls) => tls.stop(limit).await,
            other => stop_tls(other, limit).await.map(|tcp| (tcp, Vec::new())),
        };
        match stopped {
            Ok((tcp, rest)) => {
                self.stream = FtpStream::Plain(tcp);
                self.after_stop = rest;
                TlsEvent::Stopped
            }
            Err(_) => TlsEvent::Failed,
        }
    }

    fn data_action(&mut self, action: DataAction) {
        let jobs = &mut self.jobs;
        if let DataAction::Close { id } = &action {
            jobs.remove(id);
        }
        let storage = self.shared.storage.clone();
        self.data.act(
            action,
            |id| jobs.remove(&id),
            move |stream, job, progress| run_job::<S>(stream, job, progress, storage),
        );
    }

    async fn event(&mut self, session: &mut ServerSession, event: ServerEvent) {
        let ServerEvent::Request { id, request } = event else {
            self.answerer.observe(self.peer, &event);
            return;
        };
        if let Some((data, direction)) = DataDirection::of_request(&request) {
            self.data.set_direction(data, direction);
        }
        // Boxed: the storage and authenticator futures are the largest state of a session;
        // inline, every idle session's task would carry their size (15.8 KB instead of
        // 3.1 KB; the `idle_session_task_is_small` test keeps it so).
        let Answer { response, job } = Box::pin(self.answer(request)).await;
        if let Some((data, job)) = job {
            self.jobs.insert(data, job);
        }
        if let Err(e) = session.respond(Instant::now(), id, response) {
            warn!(peer = %self.peer, error = ?e, "response refused by the session");
        }
    }

    /// Carries out one request with the storage and authenticator.
    async fn answer(&mut self, request: Request) -> Answer<S::Reader, S::Writer> {
        let mut next = self.answerer.start(request);
        loop {
            match next {
                Next::Call(call, plan) => {
                    let outcome = perform(&self.shared, call).await;
                    next = self.answerer.resume(plan, outcome);
                }
                Next::Done(answer) => return answer,
            }
        }
    }
}

/// Makes one storage or authenticator call (a free function: the future borrows only what it
/// needs, which is `Sync`, so it stays `Send`).
async fn perform<S: Storage, A: Authenticator>(
    shared: &Shared<S, A>,
    call: Call,
) -> Outcome<S::Reader, S::Writer> {
    let (storage, auth) = (&shared.storage, &shared.auth);
    match call {
        Call::Authenticate {
            host,
            user,
            password,
            account,
        } => Outcome::Auth(
            auth.authenticate_on_host(host.as_deref(), &user, &password, account.as_ref())
                .await,
        ),
        Call::SelectHost(name) => Outcome::Host(auth.select_host(&name).await),
        Call::Metadata(path) => Outcome::Info(storage.metadata(&path).await),
        Call::List(path) => Outcome::Entries(storage.list(&path).await),
        Call::MakeDir(path) => Outcome::Done(storage.make_dir(&path).await),
        Call::RemoveDir(path) => Outcome::Done(storage.remove_dir(&path).await),
        Call::Delete(path) => Outcome::Done(storage.delete(&path).await),
        Call::Rename(from, to) => Outcome::Done(storage.rename(&from, &to).await),
        Call::SetModified(path, time) => Outcome::Done(storage.set_modified(&path, time).await),
        Call::Site(command) => Outcome::Site(storage.site(&command).await),
        Call::OpenRead(path, offset) => Outcome::Reader(storage.open_read(&path, offset).await),
        Call::OpenWrite(path, mode) => Outcome::Writer(storage.open_write(&path, mode).await),
        Call::CreateUnique(dir) => Outcome::Unique(storage.create_unique(&dir).await),
    }
}

/// Moves one transfer's bytes; returns the final event for the caller to send (none
/// for a download, which reports its own before draining the connection).
async fn run_job<S: Storage>(
    mut stream: FtpStream,
    job: Job<S>,
    mut progress: Progress,
    storage: Arc<S>,
) -> Option<DataEvent> {
    let sent = match job {
        answer::Job::SendFile(mut reader, repr) => {
            send_and_close(&mut reader, &mut stream, repr, |n| progress.report(n)).await
        }
        answer::Job::SendBytes(bytes) => {
            let mut source = Cursor::new(bytes);
            let repr = Representation::Binary;
            send_and_close(&mut source, &mut stream, repr, |n| progress.report(n)).await
        }
        answer::Job::Receive {
            mut writer,
            discard,
            repr,
        } => {
            // Also covers the task being stopped mid-upload (ABOR, control close, shutdown).
            let mut guard = DiscardOnDrop {
                storage: storage.clone(),
                path: discard,
            };
            let mut result =
                receive_stream(&mut stream, &mut writer, repr, |n| progress.report(n)).await;
            if result.is_ok() {
                if let Err(e) = writer.shutdown().await {
                    result = Err(CopyError::Local(e));
                }
            }
            drop(writer);
            if let Some(path) = guard.path.take() {
                if result.is_err() {
                    let _ = storage.delete(&path).await;
                }
            }
            return Some(server_data_event(result));
        }
    };
    // A download's final event goes out now; the drain after it sends nothing more.
    progress.report_then_drain(server_data_event(sent), stream);
    None
}

/// Deletes a failed upload's file when dropped armed: the partial-upload policy for an upload
/// whose task is stopped before it ends ([`PartialUploads::Delete`]). The deletion runs as its
/// own task, since a drop cannot wait.
struct DiscardOnDrop<S: Storage> {
    storage: Arc<S>,
    path: Option<VirtualPath>,
}

impl<S: Storage> Drop for DiscardOnDrop<S> {
    fn drop(&mut self) {
        let Some(path) = self.path.take() else {
            return;
        };
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            let storage = self.storage.clone();
            runtime.spawn(async move {
                let _ = storage.delete(&path).await;
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::{LocalFs, ServerOptions, Users};

    /// Every session's task is allocated at its largest state's size, idle or not: the rare
    /// big states (storage calls, TLS handshakes) are boxed so an idle session stays small.
    #[test]
    fn idle_session_task_is_small() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        rt.block_on(async {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                .await
                .expect("bind");
            let addr = listener.local_addr().expect("addr");
            let tcp = TcpStream::connect(addr).await.expect("connect");
            let shared = Arc::new(Shared {
                options: ServerOptions::new(None),
                storage: Arc::new(LocalFs::new(&std::env::temp_dir()).expect("storage")),
                auth: Users::new(),
            });
            let (_tx, rx) = watch::channel(false);
            let task = run(tcp, addr, shared, rx);
            let size = std::mem::size_of_val(&task);
            assert!(size <= 4096, "a session task takes {size} bytes");
        });
    }
}
