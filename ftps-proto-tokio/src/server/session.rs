//! The per-connection driver: one task runs one [`ServerSession`] over its control connection.

use std::collections::HashMap;
use std::io::Cursor;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use ftps_proto::codec::Verb;
use ftps_proto::listing::{
    format_list_line, format_mlsx_line, format_nlst_line, FileInfo, FileKind,
};
use ftps_proto::server::{
    ListFormat, Request, Response, ServerEvent, ServerOutput, ServerSession, StatFormat, StoreMode,
};
use ftps_proto::session::{CloseReason, DataAction, DataError, DataEvent, DataId, TlsEvent};
use ftps_proto::vpath::VirtualPath;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::watch;
use tracing::{debug, info, warn};

use super::{AuthOutcome, Authenticator, PartialUploads, Shared, Storage, WriteMode};
use crate::conn::{DataTasks, DataTlsRole, Progress};
use crate::data::{receive_stream, send_stream, CopyError, Representation};
use crate::stream::{accept_tls, stop_tls, FtpStream};
use ftps_proto_std::support::fs::storage_error;
use ftps_proto_std::support::tls::{DataDirection, SessionTls};

/// Control-connection read buffer size.
const CONTROL_BUFFER: usize = 16 * 1024;

/// What a data connection of this session does once started.
enum Job<S: Storage> {
    /// Send a file (converted to CRLF line ends in `TYPE A`).
    SendFile(S::Reader, Representation),
    /// Send a formatted listing (already in the network form).
    SendBytes(Vec<u8>),
    /// Receive a file (converted to local line ends in `TYPE A`); on failure, `discard`
    /// names a file to delete (partial-upload policy).
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
    let mut session =
        ServerSession::new(shared.options.session.clone(), peer, local, Instant::now());
    let mut driver = Driver {
        stream: FtpStream::Plain(tcp),
        out: Vec::with_capacity(4096),
        data: DataTasks::new(
            role,
            handshake_limit,
            shared.options.session.data_accept_timeout,
        ),
        jobs: HashMap::new(),
        shared,
        session_tls,
        peer,
        host: None,
    };
    info!(%peer, "session started");
    let mut rbuf = vec![0u8; CONTROL_BUFFER];
    let mut shutting_down = *shutdown.borrow();
    if shutting_down {
        session.shutdown(Instant::now());
    }
    loop {
        let deadline = match driver.drain(&mut session).await {
            Some(deadline) => deadline,
            None => break,
        };
        let sleep = async {
            match deadline {
                Some(at) => tokio::time::sleep_until(tokio::time::Instant::from_std(at)).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            read = driver.stream.read(&mut rbuf) => {
                let now = Instant::now();
                match read {
                    Ok(0) | Err(_) => session.handle_eof(now),
                    // cannot fire: `read` returns at most the buffer's length.
                    Ok(n) => session.handle_input(now, rbuf.get(..n).unwrap_or_default()),
                }
            }
            (id, event) = driver.data.next_event() => {
                session.handle_data(Instant::now(), id, event);
            }
            () = sleep => session.handle_timeout(Instant::now()),
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
    session_tls: Option<SessionTls>,
    peer: SocketAddr,
    /// The virtual host accepted with `HOST`.
    host: Option<Vec<u8>>,
}

impl<S: Storage, A: Authenticator> Driver<S, A> {
    /// Drains the session's outputs and carries them out. Returns the next deadline, or
    /// `None` when the session is over.
    async fn drain(&mut self, session: &mut ServerSession) -> Option<Option<Instant>> {
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
                    if self.flush().await.is_err() {
                        session.handle_eof(Instant::now());
                        continue;
                    }
                    return Some(deadline);
                }
                _ => continue,
            };
            match step {
                Step::StartTls => {
                    let event = self.start_tls().await;
                    session.handle_tls(Instant::now(), event);
                }
                Step::StopTls => {
                    let event = self.stop_tls().await;
                    session.handle_tls(Instant::now(), event);
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
        match accept_tls(tls.control_config(), tcp, limit).await {
            Ok(s) => {
                debug!(peer = %self.peer, version = ?s.get_ref().1.protocol_version(), "control TLS established");
                self.stream = FtpStream::Server(Box::new(s));
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
        match stop_tls(self.stream.detach(), limit).await {
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
            move |stream, job, progress| run_job(stream, job, progress, storage),
        );
    }

    async fn event(&mut self, session: &mut ServerSession, event: ServerEvent) {
        match event {
            ServerEvent::Request { id, request } => {
                if let Some((data, direction)) = DataDirection::of_request(&request) {
                    self.data.set_direction(data, direction);
                }
                let response = self.answer(request).await;
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
    async fn answer(&mut self, request: Request) -> Response {
        let storage = &self.shared.storage;
        let done = |r: Result<(), ftps_proto::session::StorageError>| match r {
            Ok(()) => Response::Ok,
            Err(e) => Response::Error(e),
        };
        match request {
            Request::Authenticate {
                user,
                password,
                account,
            } => match self
                .shared
                .auth
                .authenticate_on_host(self.host.as_deref(), &user, &password, account.as_ref())
                .await
            {
                AuthOutcome::LoggedIn => Response::LoggedIn,
                AuthOutcome::NeedAccount => Response::NeedAccount,
                AuthOutcome::Failed => Response::LoginFailed,
            },
            Request::ChangeDir { path } => match storage.metadata(&path).await {
                Ok(info) if is_dir(&info) => Response::Ok,
                Ok(_) => Response::Error(ftps_proto::session::StorageError::NotFound),
                Err(e) => Response::Error(e),
            },
            Request::MakeDir { path } => done(storage.make_dir(&path).await),
            Request::RemoveDir { path } => done(storage.remove_dir(&path).await),
            Request::Delete { path } => done(storage.delete(&path).await),
            Request::RenameFrom { path } => done(storage.metadata(&path).await.map(|_| ())),
            Request::Rename { from, to } => done(storage.rename(&from, &to).await),
            // In TYPE A the stored size is given as is (as vsftpd and ProFTPD do by default):
            // clients ask SIZE before switching to TYPE I for the transfer.
            Request::Size { path, .. } => match storage.metadata(&path).await {
                Ok(info) if is_dir(&info) => {
                    Response::Error(ftps_proto::session::StorageError::NotFound)
                }
                Ok(info) => Response::Size(info.size),
                Err(e) => Response::Error(e),
            },
            Request::ModifiedTime { path } => match storage.metadata(&path).await {
                Ok(info) => match info.modified {
                    Some(t) => Response::Time(t),
                    None => Response::Error(ftps_proto::session::StorageError::Unsupported),
                },
                Err(e) => Response::Error(e),
            },
            Request::SetModifiedTime { path, time } => {
                done(storage.set_modified(&path, time).await)
            }
            Request::Stat { path, format, .. } => match format {
                StatFormat::Mlst => match storage.metadata(&path).await {
                    Ok(info) => Response::Info(info),
                    Err(e) => Response::Error(e),
                },
                _ => {
                    let entries = match storage.metadata(&path).await {
                        Ok(info) if is_dir(&info) => storage.list(&path).await,
                        Ok(info) => Ok(vec![info]),
                        Err(e) => Err(e),
                    };
                    match entries {
                        Ok(entries) => Response::Listing {
                            entries,
                            now_unix: unix_now(),
                        },
                        Err(e) => Response::Error(e),
                    }
                }
            },
            Request::Site { command } => match storage.site(&command).await {
                Ok(reply) if matches!(reply.code.class(), 2 | 4 | 5) => Response::Site {
                    code: reply.code,
                    text: reply.text,
                },
                Ok(reply) => {
                    warn!(peer = %self.peer, code = reply.code.get(), "SITE reply code refused");
                    Response::Error(ftps_proto::session::StorageError::Local)
                }
                Err(e) => Response::Error(e),
            },
            Request::Host { name } => {
                if self.shared.auth.select_host(&name).await {
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
            } => match storage.open_read(&path, offset).await {
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
                    return match storage.create_unique(&path).await {
                        Ok((name, writer)) => {
                            let discard = if delete_partial {
                                path.join(&name).ok()
                            } else {
                                None
                            };
                            self.jobs.insert(
                                data,
                                Job::Receive {
                                    writer,
                                    discard,
                                    repr,
                                },
                            );
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
                    _ => return Response::Error(ftps_proto::session::StorageError::Unsupported),
                };
                match storage.open_write(&path, write_mode).await {
                    Ok(writer) => {
                        self.jobs.insert(
                            data,
                            Job::Receive {
                                writer,
                                discard,
                                repr,
                            },
                        );
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
                let entries = match storage.metadata(&path).await {
                    Ok(info) if is_dir(&info) => storage.list(&path).await,
                    Ok(_) if format == ListFormat::Mlsd => {
                        return Response::Error(ftps_proto::session::StorageError::NotFound)
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
            _ => Response::Error(ftps_proto::session::StorageError::Unsupported),
        }
    }
}

/// Formats a listing's data-connection bytes; entries whose names cannot be written safely
/// are left out (the formatters refuse them).
fn format_listing(
    entries: &[FileInfo],
    format: ListFormat,
    facts: ftps_proto::listing::FactSet,
    all: bool,
) -> Vec<u8> {
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
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// Moves one transfer's bytes; returns the final event.
async fn run_job<S: Storage>(
    mut stream: FtpStream,
    job: Job<S>,
    mut progress: Progress,
    storage: Arc<S>,
) -> Option<DataEvent> {
    let result = match job {
        Job::SendFile(mut reader, repr) => {
            send_stream(&mut reader, &mut stream, repr, |n| progress.report(n)).await
        }
        Job::SendBytes(bytes) => {
            let mut source = Cursor::new(bytes);
            let repr = Representation::Binary;
            send_stream(&mut source, &mut stream, repr, |n| progress.report(n)).await
        }
        Job::Receive {
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
            result
        }
    };
    Some(match result {
        Ok(bytes) => DataEvent::Finished { bytes },
        Err(CopyError::Data(e)) => DataEvent::Failed(e),
        Err(CopyError::Local(e)) => DataEvent::Failed(DataError::Storage(storage_error(&e))),
    })
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
