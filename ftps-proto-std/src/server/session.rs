//! The per-connection driver: one thread runs one [`ServerSession`] over its control
//! connection.

use std::collections::HashMap;
use std::io::{Cursor, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use ftps_proto::codec::Verb;
use ftps_proto::listing::{
    format_list_line, format_mlsx_line, format_nlst_line, FactSet, FileInfo, FileKind,
};
use ftps_proto::server::{
    ListFormat, Request, Response, ServerEvent, ServerOutput, ServerSession, StatFormat, StoreMode,
};
use ftps_proto::session::{
    CloseReason, DataAction, DataError, DataEvent, DataId, StorageError, TlsEvent,
};
use ftps_proto::vpath::VirtualPath;
use tracing::{debug, info, warn};

use super::{AuthOutcome, Authenticator, PartialUploads, Shared, Storage, WriteMode};
use crate::conn::{DataTasks, DataTlsRole, Progress};
use crate::data::{receive_stream, send_stream, CopyError, Representation};
use crate::stream::{accept_tls, is_timeout, stop_tls, FtpStream};
use crate::support::fs::storage_error;
use crate::support::tls::{DataDirection, SessionTls};

/// Control-connection read buffer size.
const CONTROL_BUFFER: usize = 16 * 1024;

/// How long one control read waits while a data thread may report an event.
const BUSY_POLL: Duration = Duration::from_millis(5);

/// How long one control read waits otherwise (then the shutdown flag is checked again).
const IDLE_POLL: Duration = Duration::from_millis(100);

/// What a data connection of this session does once started.
enum Job<S: Storage> {
    /// Send a file.
    SendFile(S::Reader, Representation),
    /// Send a formatted listing.
    SendBytes(Vec<u8>),
    /// Receive a file; on failure, `discard` names a file to delete (partial-upload policy).
    Receive {
        writer: S::Writer,
        discard: Option<VirtualPath>,
        repr: Representation,
    },
}

/// A non-borrowing copy of one [`ServerOutput`] (everything but `Transmit`).
enum Step {
    StartTls,
    StopTls,
    Data(DataAction),
    Event(ServerEvent),
    Close(CloseReason),
}

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
    let session_tls: Option<SessionTls> = match shared.options.tls.as_ref().map(|t| t.session()) {
        Some(Ok(s)) => Some(s),
        Some(Err(e)) => {
            warn!(%peer, error = %e, "TLS session setup failed");
            return;
        }
        None => None,
    };
    let role = match &session_tls {
        Some(s) => DataTlsRole::Server(s.clone()),
        None => DataTlsRole::Unavailable,
    };
    let handshake_limit = shared.options.session.tls_handshake_timeout;
    let accept_limit = shared.options.session.data_accept_timeout;
    let mut session =
        ServerSession::new(shared.options.session.clone(), peer, local, Instant::now());
    let mut driver = Driver {
        stream: FtpStream::Plain(tcp),
        out: Vec::with_capacity(4096),
        data: DataTasks::new(role, handshake_limit, accept_limit),
        jobs: HashMap::new(),
        shared,
        session_tls,
        peer,
        host: None,
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
        let poll = if driver.data.busy() {
            BUSY_POLL
        } else {
            IDLE_POLL
        };
        let limit = match deadline {
            Some(at) if at <= now => {
                session.handle_timeout(now);
                continue;
            }
            Some(at) => (at - now).min(poll),
            None => poll,
        };
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
    session_tls: Option<SessionTls>,
    peer: SocketAddr,
    /// The virtual host accepted with `HOST`.
    host: Option<Vec<u8>>,
}

impl<S: Storage, A: Authenticator> Driver<S, A> {
    /// Drains the session's outputs and carries them out. Returns the next deadline, or
    /// `None` when the session is over.
    fn drain(&mut self, session: &mut ServerSession) -> Option<Option<Instant>> {
        loop {
            let step = match session.poll_output() {
                ServerOutput::Transmit(bytes) => {
                    self.out.extend_from_slice(bytes);
                    continue;
                }
                ServerOutput::StartTls { .. } => Step::StartTls,
                ServerOutput::StopTls => Step::StopTls,
                ServerOutput::Data(action) => Step::Data(action),
                ServerOutput::Event(event) => Step::Event(event),
                ServerOutput::Close(reason) => Step::Close(reason),
                ServerOutput::Timeout(deadline) => {
                    if self.flush().is_err() {
                        session.handle_eof(Instant::now());
                        continue;
                    }
                    return Some(deadline);
                }
                _ => continue,
            };
            match step {
                Step::StartTls => {
                    let event = self.start_tls();
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
            move |stream, job, progress| run_job(stream, job, progress, &storage),
        );
    }

    fn event(&mut self, session: &mut ServerSession, event: ServerEvent) {
        match event {
            ServerEvent::Request { id, request } => {
                if let Some((data, direction)) = DataDirection::of_request(&request) {
                    self.data.set_direction(data, direction);
                }
                let response = self.answer(request);
                if let Err(e) = session.respond(Instant::now(), id, response) {
                    warn!(peer = %self.peer, error = ?e, "response refused by the session");
                }
            }
            ServerEvent::LoggedIn { user } => {
                info!(peer = %self.peer, user = %String::from_utf8_lossy(&user), "logged in");
            }
            ServerEvent::LoginFailed { user } => {
                info!(peer = %self.peer, user = %String::from_utf8_lossy(&user), "login failed");
            }
            ServerEvent::TransferFinished { data, bytes } => {
                info!(peer = %self.peer, data = data.get(), bytes, "transfer finished");
            }
            ServerEvent::TransferFailed { data, code } => {
                info!(peer = %self.peer, data = data.get(), code = code.get(), "transfer failed");
            }
            ServerEvent::CommandReceived { verb } => {
                debug!(peer = %self.peer, ?verb, "command");
                if verb == Verb::Rein {
                    // H7151-REIN: back to no virtual host.
                    self.host = None;
                }
            }
            _ => {}
        }
    }

    /// Carries out one request with the storage and authenticator.
    fn answer(&mut self, request: Request) -> Response {
        let storage = &self.shared.storage;
        let done = |r: Result<(), StorageError>| match r {
            Ok(()) => Response::Ok,
            Err(e) => Response::Error(e),
        };
        match request {
            Request::Authenticate {
                user,
                password,
                account,
            } => match self.shared.auth.authenticate_on_host(
                self.host.as_deref(),
                &user,
                &password,
                account.as_ref(),
            ) {
                AuthOutcome::LoggedIn => Response::LoggedIn,
                AuthOutcome::NeedAccount => Response::NeedAccount,
                AuthOutcome::Failed => Response::LoginFailed,
            },
            Request::ChangeDir { path } => match storage.metadata(&path) {
                Ok(info) if is_dir(&info) => Response::Ok,
                Ok(_) => Response::Error(StorageError::NotFound),
                Err(e) => Response::Error(e),
            },
            Request::MakeDir { path } => done(storage.make_dir(&path)),
            Request::RemoveDir { path } => done(storage.remove_dir(&path)),
            Request::Delete { path } => done(storage.delete(&path)),
            Request::RenameFrom { path } => done(storage.metadata(&path).map(|_| ())),
            Request::Rename { from, to } => done(storage.rename(&from, &to)),
            // In TYPE A the stored size is given as is (as vsftpd and ProFTPD do by default):
            // clients ask SIZE before switching to TYPE I for the transfer.
            Request::Size { path, .. } => match storage.metadata(&path) {
                Ok(info) if is_dir(&info) => Response::Error(StorageError::NotFound),
                Ok(info) => Response::Size(info.size),
                Err(e) => Response::Error(e),
            },
            Request::ModifiedTime { path } => match storage.metadata(&path) {
                Ok(info) => match info.modified {
                    Some(t) => Response::Time(t),
                    None => Response::Error(StorageError::Unsupported),
                },
                Err(e) => Response::Error(e),
            },
            Request::SetModifiedTime { path, time } => done(storage.set_modified(&path, time)),
            Request::Stat { path, format, .. } => match format {
                StatFormat::Mlst => match storage.metadata(&path) {
                    Ok(info) => Response::Info(info),
                    Err(e) => Response::Error(e),
                },
                _ => match entries_of(storage.as_ref(), &path) {
                    Ok(entries) => Response::Listing {
                        entries,
                        now_unix: unix_now(),
                    },
                    Err(e) => Response::Error(e),
                },
            },
            Request::Site { command } => match storage.site(&command) {
                Ok(reply) if matches!(reply.code.class(), 2 | 4 | 5) => Response::Site {
                    code: reply.code,
                    text: reply.text,
                },
                Ok(reply) => {
                    warn!(peer = %self.peer, code = reply.code.get(), "SITE reply code refused");
                    Response::Error(StorageError::Local)
                }
                Err(e) => Response::Error(e),
            },
            Request::Host { name } => {
                if self.shared.auth.select_host(&name) {
                    self.host = Some(name);
                    Response::Ok
                } else {
                    Response::Denied
                }
            }
            Request::Retrieve {
                path,
                offset,
                data,
                ascii,
            } => match storage.open_read(&path, offset) {
                Ok(reader) => {
                    let repr = Representation::from_ascii(ascii);
                    self.jobs.insert(data, Job::SendFile(reader, repr));
                    Response::Ok
                }
                Err(e) => Response::Error(e),
            },
            Request::Store {
                path,
                offset,
                mode,
                data,
                ascii,
            } => {
                let repr = Representation::from_ascii(ascii);
                let delete_partial = self.shared.options.partial_uploads == PartialUploads::Delete;
                if mode == StoreMode::Unique {
                    // C959-STOU: `path` is the directory; the storage picks the name.
                    return match storage.create_unique(&path) {
                        Ok((name, writer)) => {
                            let discard = if delete_partial {
                                path.join(&name).ok()
                            } else {
                                None
                            };
                            let job = Job::Receive {
                                writer,
                                discard,
                                repr,
                            };
                            self.jobs.insert(data, job);
                            Response::StoreUnique { name }
                        }
                        Err(e) => Response::Error(e),
                    };
                }
                let (write_mode, discard) = match mode {
                    StoreMode::Append => (WriteMode::Append, None),
                    StoreMode::Replace => (
                        WriteMode::Replace { offset },
                        (offset == 0 && delete_partial).then(|| path.clone()),
                    ),
                    _ => return Response::Error(StorageError::Unsupported),
                };
                match storage.open_write(&path, write_mode) {
                    Ok(writer) => {
                        let job = Job::Receive {
                            writer,
                            discard,
                            repr,
                        };
                        self.jobs.insert(data, job);
                        Response::Ok
                    }
                    Err(e) => Response::Error(e),
                }
            }
            Request::List {
                path,
                format,
                data,
                facts,
                all,
            } => {
                let entries = match storage.metadata(&path) {
                    Ok(info) if is_dir(&info) => storage.list(&path),
                    Ok(_) if format == ListFormat::Mlsd => {
                        return Response::Error(StorageError::NotFound)
                    }
                    Ok(info) => Ok(vec![info]),
                    Err(e) => Err(e),
                };
                match entries {
                    Ok(entries) => {
                        let bytes = format_listing(&entries, format, facts, all);
                        self.jobs.insert(data, Job::SendBytes(bytes));
                        Response::Ok
                    }
                    Err(e) => Response::Error(e),
                }
            }
            _ => Response::Error(StorageError::Unsupported),
        }
    }
}

/// A directory's entries, or the single entry of a file (`STAT path`).
fn entries_of<S: Storage>(storage: &S, path: &VirtualPath) -> Result<Vec<FileInfo>, StorageError> {
    match storage.metadata(path) {
        Ok(info) if is_dir(&info) => storage.list(path),
        Ok(info) => Ok(vec![info]),
        Err(e) => Err(e),
    }
}

/// Formats a listing's data-connection bytes; entries whose names cannot be written safely
/// are left out (the formatters refuse them).
fn format_listing(entries: &[FileInfo], format: ListFormat, facts: FactSet, all: bool) -> Vec<u8> {
    let now = unix_now();
    let mut out = Vec::with_capacity(entries.len() * 64);
    for entry in entries {
        if !all && format == ListFormat::List && entry.name.first() == Some(&b'.') {
            continue;
        }
        let _ = match format {
            ListFormat::List => format_list_line(entry, now, &mut out),
            ListFormat::Nlst => format_nlst_line(entry, &mut out),
            _ => format_mlsx_line(entry, facts, &mut out),
        };
    }
    out
}

fn is_dir(info: &FileInfo) -> bool {
    matches!(
        info.kind,
        FileKind::Directory | FileKind::CurrentDir | FileKind::ParentDir
    )
}

fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// Moves one transfer's bytes (on the data connection's thread); returns the final event.
fn run_job<S: Storage>(
    mut stream: FtpStream,
    job: Job<S>,
    mut progress: Progress,
    storage: &S,
) -> Option<DataEvent> {
    let result = match job {
        Job::SendFile(mut reader, repr) => {
            send_stream(&mut reader, &mut stream, repr, |n| progress.report(n))
        }
        Job::SendBytes(bytes) => {
            let mut source = Cursor::new(bytes);
            let repr = Representation::Binary;
            send_stream(&mut source, &mut stream, repr, |n| progress.report(n))
        }
        Job::Receive {
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
            result
        }
    };
    Some(match result {
        Ok(bytes) => DataEvent::Finished { bytes },
        Err(CopyError::Data(e)) => DataEvent::Failed(e),
        Err(CopyError::Local(e)) => DataEvent::Failed(DataError::Storage(storage_error(&e))),
    })
}
