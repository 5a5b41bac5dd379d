//! The per-connection driver: one thread runs one [`ServerSession`] over its control
//! connection.

use crate::support::server_name::report_server_name;
use std::collections::HashMap;
use std::io::{Cursor, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::support::drive::Step;
use ftps_proto::server::{Request, ServerEvent, ServerSession};
use ftps_proto::session::{DataAction, DataEvent, DataId, TlsEvent};
use tracing::{debug, info, warn};

use super::{Authenticator, Shared, Storage};
use crate::conn::{DataTasks, Progress, Woken, BUSY_POLL};
use crate::data::{receive_stream, send_and_close, CopyError, Representation};
use crate::stream::{accept_tls, is_timeout, stop_tls, FtpStream};
use crate::support::answer::{self, Answer, Answerer, Call, Next, Outcome};
use crate::support::data_tls::DataTlsRole;
use crate::support::tls::{DataDirection, SessionTls};
use crate::support::transfer::server_data_event;

/// Control-connection read buffer size.
const CONTROL_BUFFER: usize = 4 * 1024;

/// How long one control read waits otherwise (then the shutdown flag is checked again).
const IDLE_POLL: Duration = Duration::from_millis(100);

/// What a data connection of this session does once started.
type Job<S> = crate::support::answer::Job<<S as Storage>::Reader, <S as Storage>::Writer>;

/// Runs one session to its end.
pub(super) fn run<S: Storage, A: Authenticator>(
    tcp: TcpStream,
    peer: SocketAddr,
    shared: Arc<Shared<S, A>>,
    shutdown: Arc<AtomicBool>,
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
    let accept_limit = shared.options.session.data_accept_timeout;
    let shared_partial = shared.options.partial_uploads;
    let mut session =
        ServerSession::new(shared.options.session.clone(), peer, local, Instant::now());
    let mut driver = Driver {
        stream: FtpStream::Plain(tcp),
        out: Vec::new(),
        data: DataTasks::new(role, handshake_limit, accept_limit),
        jobs: HashMap::new(),
        shared,
        answerer: Answerer::new(shared_partial),
        session_tls,
        peer,
    };
    info!(%peer, "session started");
    let mut rbuf = vec![0u8; CONTROL_BUFFER];
    let mut shutting_down = false;
    while let Some(deadline) = driver.drain(&mut session) {
        let now = Instant::now();
        if let Some((id, event)) = driver.data.try_event() {
            session.handle_data(now, id, event);
            continue;
        }
        if !shutting_down && shutdown.load(Ordering::SeqCst) {
            shutting_down = true;
            session.shutdown(now);
            continue;
        }
        let busy = driver.data.busy();
        let poll = if busy { BUSY_POLL } else { IDLE_POLL };
        let limit = match deadline {
            Some(at) if at <= now => {
                session.handle_timeout(now);
                continue;
            }
            Some(at) => (at - now).min(poll),
            None => poll,
        };
        if busy {
            let woken = driver.data.wait_busy(&mut driver.stream, &mut rbuf, limit);
            let now = Instant::now();
            match woken {
                Woken::Control(n) => {
                    // cannot fire: `read` returns at most the buffer's length.
                    session.handle_input(now, rbuf.get(..n).unwrap_or_default());
                }
                Woken::Event(id, event) => session.handle_data(now, id, event),
                Woken::Eof | Woken::Failed => session.handle_eof(now),
                Woken::Nothing => {
                    if deadline.is_some_and(|at| at <= now) {
                        session.handle_timeout(now);
                    }
                }
            }
            continue;
        }
        let read = driver
            .stream
            .set_read_timeout(Some(limit.max(Duration::from_millis(1))))
            .and_then(|()| driver.stream.read(&mut rbuf));
        let now = Instant::now();
        match read {
            Ok(0) => session.handle_eof(now),
            // cannot fire: `read` returns at most the buffer's length.
            Ok(n) => session.handle_input(now, rbuf.get(..n).unwrap_or_default()),
            Err(e) if is_timeout(&e) || e.kind() == std::io::ErrorKind::Interrupted => {
                if deadline.is_some_and(|at| at <= now) {
                    session.handle_timeout(now);
                }
            }
            Err(_) => session.handle_eof(now),
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
    peer: SocketAddr,
}

impl<S: Storage, A: Authenticator> Driver<S, A> {
    /// Drains the session's outputs and carries them out. Returns the next deadline, or
    /// `None` when the session is over.
    fn drain(&mut self, session: &mut ServerSession) -> Option<Option<Instant>> {
        loop {
            match Step::of_server(session.poll_output(), &mut self.out) {
                Step::Transmitted => {}
                Step::Idle(deadline) => {
                    if self.flush().is_err() {
                        session.handle_eof(Instant::now());
                        continue;
                    }
                    return Some(deadline);
                }
                Step::StartTls => {
                    let event = self.start_tls();
                    report_server_name(self.session_tls.as_ref(), session);
                    session.handle_tls(Instant::now(), event);
                }
                Step::StopTls => {
                    let event = self.stop_tls();
                    session.handle_tls(Instant::now(), event);
                }
                Step::Data(action) => self.data_action(action),
                Step::Event(event) => self.event(session, event),
                Step::Close(reason) => {
                    let _ = self.flush();
                    self.stream.close();
                    info!(peer = %self.peer, ?reason, "closing control connection");
                    return None;
                }
            }
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if self.out.is_empty() {
            return Ok(());
        }
        // A peer that stops reading its replies cannot hold the session forever.
        let limit = self.shared.options.session.idle_timeout;
        let result = self
            .stream
            .set_write_timeout(Some(limit.max(Duration::from_millis(1))))
            .and_then(|()| self.stream.write_all(&self.out))
            .and_then(|()| self.stream.flush());
        self.out.clear();
        result
    }

    fn start_tls(&mut self) -> TlsEvent {
        if self.flush().is_err() {
            return TlsEvent::Failed;
        }
        let (Some(tls), Ok(tcp)) = (&self.session_tls, self.stream.detach().into_plain()) else {
            return TlsEvent::Failed;
        };
        let limit = self.shared.options.session.tls_handshake_timeout;
        match accept_tls(tls.control_config(), tcp, limit) {
            Ok(s) => {
                debug!(peer = %self.peer, version = ?s.conn.protocol_version(), "control TLS established");
                tls.pin_client_certificate(s.conn.peer_certificates());
                self.stream = FtpStream::Server(Box::new(s));
                TlsEvent::Established
            }
            Err(e) => {
                info!(peer = %self.peer, error = %e, "control TLS handshake failed");
                TlsEvent::Failed
            }
        }
    }

    fn stop_tls(&mut self) -> TlsEvent {
        if self.flush().is_err() {
            return TlsEvent::Failed;
        }
        let limit = self.shared.options.session.tls_handshake_timeout;
        match stop_tls(self.stream.detach(), limit) {
            Ok(tcp) => {
                self.stream = FtpStream::Plain(tcp);
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
            move |stream, job, progress| run_job::<S>(stream, job, progress, &storage),
        );
    }

    fn event(&mut self, session: &mut ServerSession, event: ServerEvent) {
        let ServerEvent::Request { id, request } = event else {
            self.answerer.observe(self.peer, &event);
            return;
        };
        if let Some((data, direction)) = DataDirection::of_request(&request) {
            self.data.set_direction(data, direction);
        }
        let Answer { response, job } = self.answer(request);
        if let Some((data, job)) = job {
            self.jobs.insert(data, job);
        }
        if let Err(e) = session.respond(Instant::now(), id, response) {
            warn!(peer = %self.peer, error = ?e, "response refused by the session");
        }
    }

    /// Carries out one request with the storage and authenticator.
    fn answer(&mut self, request: Request) -> Answer<S::Reader, S::Writer> {
        let mut next = self.answerer.start(request);
        loop {
            match next {
                Next::Call(call, plan) => next = self.answerer.resume(plan, self.perform(call)),
                Next::Done(answer) => return answer,
            }
        }
    }

    /// Makes one storage or authenticator call.
    fn perform(&self, call: Call) -> Outcome<S::Reader, S::Writer> {
        let (storage, auth) = (&self.shared.storage, &self.shared.auth);
        match call {
            Call::Authenticate {
                host,
                user,
                password,
                account,
            } => Outcome::Auth(auth.authenticate_on_host(
                host.as_deref(),
                &user,
                &password,
                account.as_ref(),
            )),
            Call::SelectHost(name) => Outcome::Host(auth.select_host(&name)),
            Call::Metadata(path) => Outcome::Info(storage.metadata(&path)),
            Call::List(path) => Outcome::Entries(storage.list(&path)),
            Call::MakeDir(path) => Outcome::Done(storage.make_dir(&path)),
            Call::RemoveDir(path) => Outcome::Done(storage.remove_dir(&path)),
            Call::Delete(path) => Outcome::Done(storage.delete(&path)),
            Call::Rename(from, to) => Outcome::Done(storage.rename(&from, &to)),
            Call::SetModified(path, time) => Outcome::Done(storage.set_modified(&path, time)),
            Call::Site(command) => Outcome::Site(storage.site(&command)),
            Call::OpenRead(path, offset) => Outcome::Reader(storage.open_read(&path, offset)),
            Call::OpenWrite(path, mode) => Outcome::Writer(storage.open_write(&path, mode)),
            Call::CreateUnique(dir) => Outcome::Unique(storage.create_unique(&dir)),
        }
    }
}

/// Moves one transfer's bytes (on the data connection's thread); returns the final event for
/// the caller to send (none for a download, which reports its own before draining the
/// connection).
fn run_job<S: Storage>(
    mut stream: FtpStream,
    job: Job<S>,
    mut progress: Progress,
    storage: &S,
) -> Option<DataEvent> {
    let sent = match job {
        answer::Job::SendFile(mut reader, repr) => {
            send_and_close(&mut reader, &mut stream, repr, |n| progress.report(n))
        }
        answer::Job::SendBytes(bytes) => {
            let mut source = Cursor::new(bytes);
            let repr = Representation::Binary;
            send_and_close(&mut source, &mut stream, repr, |n| progress.report(n))
        }
        answer::Job::Receive {
            mut writer,
            discard,
            repr,
        } => {
            let mut result = receive_stream(&mut stream, &mut writer, repr, |n| progress.report(n));
            if result.is_ok() {
                if let Err(e) = writer.flush() {
                    result = Err(CopyError::Local(e));
                }
            }
            drop(writer);
            if result.is_err() {
                if let Some(path) = discard {
                    let _ = storage.delete(&path);
                }
            }
            return Some(server_data_event(result));
        }
    };
    // A download's final event goes out now; the drain after it sends nothing more.
    progress.report_then_drain(server_data_event(sent), stream);
    None
}
