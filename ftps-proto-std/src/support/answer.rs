//! A server request mapped to storage and authenticator calls, as data: [`Answerer::start`]
//! turns a core [`Request`] into the [`Call`] to make (or the answer at once), the adapter
//! makes the call with its own `Storage`/`Authenticator` (blocking or async) and hands back
//! the [`Outcome`], and [`Answerer::resume`] turns that into the next call or the final
//! [`Answer`]: the core's [`Response`] and, for a transfer, the data connection's [`Job`].
//!
//! [`Call`], [`Outcome`] and [`Job`] are exhaustive on purpose: a new kind of call must be
//! handled by every adapter, so adding one breaks their build instead of their behaviour.
//!
//! Every decision lives here once: what `CWD` on a file answers, that `SIZE` of a directory is
//! `550`, how `STAT`/`LIST` read a directory or a single file, the partial-upload policy, the
//! listing bytes (with the core's [`format_listing`]), `SITE` reply codes, the virtual host
//! selected with `HOST` and forgotten on `REIN`.
//!
//! ```
//! use ftps_proto::server::{Request, Response};
//! use ftps_proto_std::support::answer::{Answerer, Call, Next, Outcome};
//! use ftps_proto_std::support::server_options::PartialUploads;
//! use ftps_proto_std::support::users::AuthOutcome;
//!
//! let mut answerer = Answerer::new(PartialUploads::Keep);
//! let request = Request::Authenticate {
//!     user: b"demo".to_vec(), password: "pw".into(), account: None };
//! let Next::Call(Call::Authenticate { user, .. }, plan) = answerer.start::<(), ()>(request) else {
//!     unreachable!()
//! };
//! assert_eq!(user, b"demo");
//! let Next::Done(answer) = answerer.resume::<(), ()>(plan, Outcome::Auth(AuthOutcome::LoggedIn))
//! else { unreachable!() };
//! assert_eq!(answer.response, Response::LoggedIn);
//! ```

use std::net::SocketAddr;

use ftps_proto::codec::Verb;
use ftps_proto::listing::{format_listing, FactSet, FileInfo, FileKind};
use ftps_proto::server::{ListFormat, Request, Response, ServerEvent, StatFormat, StoreMode};
use ftps_proto::session::{DataId, StorageError};
use ftps_proto::timeval::TimeVal;
use ftps_proto::vpath::VirtualPath;
use ftps_proto::Secret;
use tracing::{debug, info};

use super::server_options::PartialUploads;
use super::storage::{SiteReply, WriteMode};
use super::transfer::Representation;
use super::users::AuthOutcome;

/// One call on the application's storage or authenticator.
#[derive(Debug)]
pub enum Call {
    /// `Authenticator::authenticate_on_host` → [`Outcome::Auth`].
    Authenticate {
        /// The virtual host selected with `HOST`, if any.
        host: Option<Vec<u8>>,
        /// The user name.
        user: Vec<u8>,
        /// The password.
        password: Secret<'static>,
        /// The account, when one was asked for.
        account: Option<Secret<'static>>,
    },
    /// `Authenticator::select_host` → [`Outcome::Host`].
    SelectHost(Vec<u8>),
    /// `Storage::metadata` → [`Outcome::Info`].
    Metadata(VirtualPath),
    /// `Storage::list` → [`Outcome::Entries`].
    List(VirtualPath),
    /// `Storage::make_dir` → [`Outcome::Done`].
    MakeDir(VirtualPath),
    /// `Storage::remove_dir` → [`Outcome::Done`].
    RemoveDir(VirtualPath),
    /// `Storage::delete` → [`Outcome::Done`].
    Delete(VirtualPath),
    /// `Storage::rename(from, to)` → [`Outcome::Done`].
    Rename(VirtualPath, VirtualPath),
    /// `Storage::set_modified` → [`Outcome::Done`].
    SetModified(VirtualPath, TimeVal),
    /// `Storage::site` → [`Outcome::Site`].
    Site(Vec<u8>),
    /// `Storage::open_read(path, offset)` → [`Outcome::Reader`].
    OpenRead(VirtualPath, u64),
    /// `Storage::open_write` → [`Outcome::Writer`].
    OpenWrite(VirtualPath, WriteMode),
    /// `Storage::create_unique(dir)` → [`Outcome::Unique`].
    CreateUnique(VirtualPath),
}

/// The result of a [`Call`], `R` and `W` being the storage's reader and writer types.
#[derive(Debug)]
pub enum Outcome<R, W> {
    /// Of [`Call::Authenticate`].
    Auth(AuthOutcome),
    /// Of [`Call::SelectHost`].
    Host(bool),
    /// Of [`Call::Metadata`].
    Info(Result<FileInfo, StorageError>),
    /// Of [`Call::List`].
    Entries(Result<Vec<FileInfo>, StorageError>),
    /// Of the calls that only succeed or fail.
    Done(Result<(), StorageError>),
    /// Of [`Call::Site`].
    Site(Result<SiteReply, StorageError>),
    /// Of [`Call::OpenRead`].
    Reader(Result<R, StorageError>),
    /// Of [`Call::OpenWrite`].
    Writer(Result<W, StorageError>),
    /// Of [`Call::CreateUnique`]: the name picked and its writer.
    Unique(Result<(Vec<u8>, W), StorageError>),
}

/// What a data connection does once the core starts it.
#[derive(Debug)]
pub enum Job<R, W> {
    /// Send a file (converted to CRLF line ends in `TYPE A`).
    SendFile(R, Representation),
    /// Send a formatted listing (already in the network form).
    SendBytes(Vec<u8>),
    /// Receive a file (converted to local line ends in `TYPE A`); when it fails, `discard`
    /// names the file to delete (partial-upload policy).
    Receive {
        /// The file's writer.
        writer: W,
        /// The file to delete when the upload fails.
        discard: Option<VirtualPath>,
        /// The representation.
        repr: Representation,
    },
}

/// The final answer to a request.
#[derive(Debug)]
pub struct Answer<R, W> {
    /// What to tell the core (`ServerSession::respond`).
    pub response: Response,
    /// For an accepted transfer: its data connection and what it does.
    pub job: Option<(DataId, Job<R, W>)>,
}

impl<R, W> Answer<R, W> {
    fn respond(response: Response) -> Self {
        Answer {
            response,
            job: None,
        }
    }

    fn error(e: StorageError) -> Self {
        Answer::respond(Response::Error(e))
    }
}

/// The next step of a request: a call to make (then [`Answerer::resume`] with its outcome and
/// the plan), or the answer.
#[derive(Debug)]
#[must_use]
pub enum Next<R, W> {
    /// Make this call, then resume the plan with its outcome.
    Call(Call, Plan),
    /// The request is answered.
    Done(Answer<R, W>),
}

/// What to do with a call's outcome (opaque; pass it back to [`Answerer::resume`]).
#[derive(Debug)]
pub struct Plan(Then);

#[derive(Debug)]
enum Then {
    Auth,
    Host(Vec<u8>),
    Done,
    ChangeDir,
    RenameFrom,
    Size,
    ModifiedTime,
    StatInfo,
    /// Metadata of a `STAT` target, then its entries.
    StatTarget(VirtualPath),
    StatEntries,
    Site,
    Retrieve(DataId, Representation),
    Store {
        data: DataId,
        repr: Representation,
        discard: Option<VirtualPath>,
    },
    StoreUnique {
        dir: VirtualPath,
        data: DataId,
        repr: Representation,
    },
    /// Metadata of a listing's target, then its entries.
    ListTarget(VirtualPath, Listing),
    ListEntries(Listing),
}

/// How a listing is to be written.
#[derive(Debug, Clone, Copy)]
struct Listing {
    format: ListFormat,
    data: DataId,
    facts: FactSet,
    all: bool,
}

impl Listing {
    fn answer<R, W>(self, entries: Vec<FileInfo>) -> Answer<R, W> {
        let mut bytes = Vec::with_capacity(entries.len().saturating_mul(64));
        format_listing(
            &entries,
            self.format,
            self.facts,
            self.all,
            unix_now(),
            &mut bytes,
        );
        Answer {
            response: Response::Ok,
            job: Some((self.data, Job::SendBytes(bytes))),
        }
    }
}

/// The request-answering state of one server session: the partial-upload policy and the
/// virtual host selected with `HOST`.
#[derive(Debug, Clone, Default)]
pub struct Answerer {
    partial_uploads: PartialUploads,
    host: Option<Vec<u8>>,
}

fn call<R, W>(call: Call, then: Then) -> Next<R, W> {
    Next::Call(call, Plan(then))
}

fn done<R, W>(response: Response) -> Next<R, W> {
    Next::Done(Answer::respond(response))
}

/// Whether `info` is a directory.
pub fn is_dir(info: &FileInfo) -> bool {
    matches!(
        info.kind,
        FileKind::Directory | FileKind::CurrentDir | FileKind::ParentDir
    )
}

/// The current time in Unix seconds (0 before 1970, `i64::MAX` past its range).
pub fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

impl Answerer {
    /// A session's answerer with this partial-upload policy and no virtual host.
    pub fn new(partial_uploads: PartialUploads) -> Self {
        Answerer {
            partial_uploads,
            host: None,
        }
    }

    /// The virtual host selected with `HOST`.
    pub fn host(&self) -> Option<&[u8]> {
        self.host.as_deref()
    }

    /// Notes (and logs) a session event other than a request: `REIN` forgets the virtual
    /// host (H7151-REIN); logins and transfers are logged at INFO, commands at DEBUG.
    pub fn observe(&mut self, peer: SocketAddr, event: &ServerEvent) {
        match event {
            ServerEvent::LoggedIn { user } => {
                info!(%peer, user = %String::from_utf8_lossy(user), "logged in");
            }
            ServerEvent::LoginFailed { user } => {
                info!(%peer, user = %String::from_utf8_lossy(user), "login failed");
            }
            ServerEvent::TransferFinished { data, bytes } => {
                info!(%peer, data = data.get(), bytes, "transfer finished");
            }
            ServerEvent::TransferFailed { data, code } => {
                info!(%peer, data = data.get(), code = code.get(), "transfer failed");
            }
            ServerEvent::CommandReceived { verb } => {
                debug!(%peer, ?verb, "command");
                if *verb == Verb::Rein {
                    self.host = None;
                }
            }
            _ => {}
        }
    }

    /// The first step of answering `request`.
    pub fn start<R, W>(&mut self, request: Request) -> Next<R, W> {
        match request {
            Request::Authenticate {
                user,
                password,
                account,
            } => call(
                Call::Authenticate {
                    host: self.host.clone(),
                    user,
                    password,
                    account,
                },
                Then::Auth,
            ),
            Request::Host { name } => call(Call::SelectHost(name.clone()), Then::Host(name)),
            Request::ChangeDir { path } => call(Call::Metadata(path), Then::ChangeDir),
            Request::MakeDir { path } => call(Call::MakeDir(path), Then::Done),
            Request::RemoveDir { path } => call(Call::RemoveDir(path), Then::Done),
            Request::Delete { path } => call(Call::Delete(path), Then::Done),
            Request::RenameFrom { path } => call(Call::Metadata(path), Then::RenameFrom),
            Request::Rename { from, to } => call(Call::Rename(from, to), Then::Done),
            // In TYPE A the stored size is given as is (as vsftpd and ProFTPD do by default):
            // clients ask SIZE before switching to TYPE I for the transfer.
            Request::Size { path, .. } => call(Call::Metadata(path), Then::Size),
            Request::ModifiedTime { path } => call(Call::Metadata(path), Then::ModifiedTime),
            Request::SetModifiedTime { path, time } => {
                call(Call::SetModified(path, time), Then::Done)
            }
            Request::Stat {
                path,
                format: StatFormat::Mlst,
                ..
            } => call(Call::Metadata(path), Then::StatInfo),
            Request::Stat { path, .. } => {
                call(Call::Metadata(path.clone()), Then::StatTarget(path))
            }
            Request::Site { command } => call(Call::Site(command), Then::Site),
            Request::Retrieve {
                path,
                offset,
                data,
                ascii,
            } => call(
                Call::OpenRead(path, offset),
                Then::Retrieve(data, Representation::from_ascii(ascii)),
            ),
            Request::Store {
                path,
                offset,
                mode,
                data,
                ascii,
            } => {
                let repr = Representation::from_ascii(ascii);
                match (mode, WriteMode::of_store(mode, offset)) {
                    // C959-STOU: `path` is the directory; the storage picks the name.
                    (StoreMode::Unique, _) => call(
                        Call::CreateUnique(path.clone()),
                        Then::StoreUnique {
                            dir: path,
                            data,
                            repr,
                        },
                    ),
                    (_, Some(write_mode)) => {
                        let discard = self.partial_uploads.discard(&path, write_mode);
                        call(
                            Call::OpenWrite(path, write_mode),
                            Then::Store {
                                data,
                                repr,
                                discard,
                            },
                        )
                    }
                    (_, None) => done(Response::Error(StorageError::Unsupported)),
                }
            }
            Request::List {
                path,
                format,
                data,
                facts,
                all,
            } => {
                let listing = Listing {
                    format,
                    data,
                    facts,
                    all,
                };
                call(
                    Call::Metadata(path.clone()),
                    Then::ListTarget(path, listing),
                )
            }
            _ => done(Response::Error(StorageError::Unsupported)),
        }
    }

    /// The step after a call: `plan` (from the [`Next::Call`]) with the call's `outcome`. An
    /// outcome of the wrong kind (an adapter bug) answers a local error.
    pub fn resume<R, W>(&mut self, plan: Plan, outcome: Outcome<R, W>) -> Next<R, W> {
        use Outcome as O;
        let answer = match (plan.0, outcome) {
            (Then::Auth, O::Auth(verdict)) => Answer::respond(verdict.response()),
            (Then::Host(name), O::Host(accepted)) => {
                if accepted {
                    self.host = Some(name);
                    Answer::respond(Response::Ok)
                } else {
                    Answer::respond(Response::Denied)
                }
            }
            (Then::Done, O::Done(result)) => Answer::respond(match result {
                Ok(()) => Response::Ok,
                Err(e) => Response::Error(e),
            }),
            (_, O::Info(Err(e)) | O::Entries(Err(e)) | O::Done(Err(e)) | O::Site(Err(e))) => {
                Answer::error(e)
            }
            (_, O::Reader(Err(e)) | O::Writer(Err(e)) | O::Unique(Err(e))) => Answer::error(e),
            (Then::ChangeDir, O::Info(Ok(info))) if is_dir(&info) => Answer::respond(Response::Ok),
            (Then::ChangeDir, O::Info(Ok(_))) => Answer::error(StorageError::NotFound),
            (Then::RenameFrom, O::Info(Ok(_))) => Answer::respond(Response::Ok),
            (Then::Size, O::Info(Ok(info))) if is_dir(&info) => {
                Answer::error(StorageError::NotFound)
            }
            (Then::Size, O::Info(Ok(info))) => Answer::respond(Response::Size(info.size)),
            (Then::ModifiedTime, O::Info(Ok(info))) => match info.modified {
                Some(t) => Answer::respond(Response::Time(t)),
                None => Answer::error(StorageError::Unsupported),
            },
            (Then::StatInfo, O::Info(Ok(info))) => Answer::respond(Response::Info(info)),
            (Then::StatTarget(path), O::Info(Ok(info))) if is_dir(&info) => {
                return call(Call::List(path), Then::StatEntries)
            }
            (Then::StatTarget(_), O::Info(Ok(info))) => Answer::respond(Response::Listing {
                entries: vec![info],
                now_unix: unix_now(),
            }),
            (Then::StatEntries, O::Entries(Ok(entries))) => Answer::respond(Response::Listing {
                entries,
                now_unix: unix_now(),
            }),
            (Then::Site, O::Site(Ok(reply))) => Answer::respond(reply.into_response()),
            (Then::Retrieve(data, repr), O::Reader(Ok(reader))) => Answer {
                response: Response::Ok,
                job: Some((data, Job::SendFile(reader, repr))),
            },
            (
                Then::Store {
                    data,
                    repr,
                    discard,
                },
                O::Writer(Ok(writer)),
            ) => Answer {
                response: Response::Ok,
                job: Some((
                    data,
                    Job::Receive {
                        writer,
                        discard,
                        repr,
                    },
                )),
            },
            (Then::StoreUnique { dir, data, repr }, O::Unique(Ok((name, writer)))) => {
                let discard = dir
                    .join(&name)
                    .ok()
                    .and_then(|p| self.partial_uploads.discard(&p, WriteMode::CreateNew));
                Answer {
                    response: Response::StoreUnique { name },
                    job: Some((
                        data,
                        Job::Receive {
                            writer,
                            discard,
                            repr,
                        },
                    )),
                }
            }
            (Then::ListTarget(path, listing), O::Info(Ok(info))) if is_dir(&info) => {
                return call(Call::List(path), Then::ListEntries(listing))
            }
            // MLSD names a directory (X3659-MLSD: 501/550 for a file).
            (Then::ListTarget(_, listing), O::Info(Ok(_)))
                if listing.format == ListFormat::Mlsd =>
            {
                Answer::error(StorageError::NotFound)
            }
            (Then::ListTarget(_, listing), O::Info(Ok(info))) => listing.answer(vec![info]),
            (Then::ListEntries(listing), O::Entries(Ok(entries))) => listing.answer(entries),
            (then, _) => {
                debug!(?then, "storage call answered with the wrong outcome");
                Answer::error(StorageError::Local)
            }
        };
        Next::Done(answer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ftps_proto::server::{ServerConfig, ServerOutput, ServerSession, ServerTls};
    use ftps_proto::session::DataAction;
    use ftps_proto::ReplyCode;
    use std::time::Instant;

    type Out = Outcome<&'static str, &'static str>;

    /// A data connection handle, from a real session (`PASV` after login).
    fn data_id() -> DataId {
        let now = Instant::now();
        let mut config = ServerConfig::default();
        config.tls = ServerTls::None;
        let mut s = ServerSession::new(
            config,
            "127.0.0.1:40000".parse().unwrap(),
            "127.0.0.1:21".parse().unwrap(),
            now,
        );
        s.handle_input(now, b"USER demo\r\nPASS pw\r\nPASV\r\n");
        for _ in 0..100 {
            match s.poll_output() {
                ServerOutput::Event(ServerEvent::Request { id, .. }) => {
                    s.respond(now, id, Response::LoggedIn).unwrap();
                }
                ServerOutput::Data(DataAction::Listen { id, .. }) => return id,
                ServerOutput::Timeout(_) => s.handle_input(now, b""),
                _ => {}
            }
        }
        panic!("no data connection");
    }

    fn path(p: &[u8]) -> VirtualPath {
        VirtualPath::root().join(p).unwrap()
    }

    fn file(name: &str, size: u64) -> FileInfo {
        FileInfo::new(name, FileKind::File).with_size(size)
    }

    fn dir(name: &str) -> FileInfo {
        FileInfo::new(name, FileKind::Directory)
    }

    /// Answers `request`, each call answered by `storage`; returns the calls made too.
    fn run(
        answerer: &mut Answerer,
        request: Request,
        mut storage: impl FnMut(&Call) -> Out,
    ) -> (Answer<&'static str, &'static str>, Vec<String>) {
        let mut calls = Vec::new();
        let mut next = answerer.start(request);
        loop {
            match next {
                Next::Call(call, plan) => {
                    calls.push(format!("{call:?}"));
                    let outcome = storage(&call);
                    next = answerer.resume(plan, outcome);
                }
                Next::Done(answer) => return (answer, calls),
            }
        }
    }

    // C959-CWD: a file is not a directory to change into.
    #[test]
    fn c959_cwd_needs_a_directory() {
        let mut a = Answerer::default();
        let cwd = |p: &[u8]| Request::ChangeDir { path: path(p) };
        let (answer, _) = run(&mut a, cwd(b"d"), |_| Out::Info(Ok(dir("d"))));
        assert_eq!(answer.response, Response::Ok);
        let (answer, _) = run(&mut a, cwd(b"f"), |_| Out::Info(Ok(file("f", 1))));
        assert_eq!(answer.response, Response::Error(StorageError::NotFound));
        let (answer, _) = run(&mut a, cwd(b"x"), |_| {
            Out::Info(Err(StorageError::PermissionDenied))
        });
        assert_eq!(
            answer.response,
            Response::Error(StorageError::PermissionDenied)
        );
    }

    // X3659-SIZE: the size of a file; a directory has none (550).
    #[test]
    fn x3659_size_of_files_only() {
        let mut a = Answerer::default();
        let size = |p: &[u8]| Request::Size {
            path: path(p),
            ascii: false,
        };
        let (answer, _) = run(&mut a, size(b"f"), |_| Out::Info(Ok(file("f", 42))));
        assert_eq!(answer.response, Response::Size(42));
        let (answer, _) = run(&mut a, size(b"d"), |_| Out::Info(Ok(dir("d"))));
        assert_eq!(answer.response, Response::Error(StorageError::NotFound));
    }

    // C959-LIST: a directory is listed (dot files hidden without -a); a file lists itself;
    // MLSD of a file is refused.
    #[test]
    fn c959_list_reads_directories_and_single_files() {
        let data = data_id();
        let mut a = Answerer::default();
        let list = |format, p: &[u8]| Request::List {
            path: path(p),
            format,
            data,
            facts: FactSet::default(),
            all: false,
        };
        let (answer, calls) = run(&mut a, list(ListFormat::Nlst, b"d"), |call| match call {
            Call::Metadata(_) => Out::Info(Ok(dir("d"))),
            _ => Out::Entries(Ok(vec![file(".hidden", 1), file("a", 2)])),
        });
        assert_eq!(
            calls,
            ["Metadata(VirtualPath(\"/d\"))", "List(VirtualPath(\"/d\"))"]
        );
        assert_eq!(answer.response, Response::Ok);
        let Some((id, Job::SendBytes(bytes))) = answer.job else {
            panic!("no listing job")
        };
        assert_eq!((id, bytes.as_slice()), (data, &b".hidden\r\na\r\n"[..]));
        let (answer, calls) = run(&mut a, list(ListFormat::List, b"f"), |_| {
            Out::Info(Ok(file(".f", 2)))
        });
        assert_eq!(calls.len(), 1);
        assert!(matches!(answer.job, Some((_, Job::SendBytes(b))) if b.is_empty()));
        let (answer, _) = run(&mut a, list(ListFormat::Mlsd, b"f"), |_| {
            Out::Info(Ok(file("f", 2)))
        });
        assert_eq!(answer.response, Response::Error(StorageError::NotFound));
        assert!(answer.job.is_none());
    }

    // The partial-upload policy (issue 4: keep / delete) names the file to discard for fresh uploads only.
    #[test]
    fn partial_upload_policy_discards_fresh_files_only() {
        let data = data_id();
        let mut a = Answerer::new(PartialUploads::Delete);
        let store = |mode, offset| Request::Store {
            path: path(b"up.bin"),
            offset,
            mode,
            data,
            ascii: true,
        };
        let discard_of = |answer: Answer<&str, &str>| match answer.job {
            Some((_, Job::Receive { discard, repr, .. })) => {
                assert_eq!(repr, Representation::Ascii);
                discard
            }
            other => panic!("no receive job: {other:?}"),
        };
        let (answer, calls) = run(&mut a, store(StoreMode::Replace, 0), |_| {
            Out::Writer(Ok("w"))
        });
        assert_eq!(
            calls,
            ["OpenWrite(VirtualPath(\"/up.bin\"), Replace { offset: 0 })"]
        );
        assert_eq!(discard_of(answer), Some(path(b"up.bin")));
        let (answer, _) = run(&mut a, store(StoreMode::Replace, 9), |_| {
            Out::Writer(Ok("w"))
        });
        assert_eq!(discard_of(answer), None);
        let (answer, calls) = run(&mut a, store(StoreMode::Append, 0), |_| {
            Out::Writer(Ok("w"))
        });
        assert_eq!(calls, ["OpenWrite(VirtualPath(\"/up.bin\"), Append)"]);
        assert_eq!(discard_of(answer), None);
        // C959-STOU: the path names the directory; the name comes back in the response.
        let stou = Request::Store {
            path: VirtualPath::root(),
            offset: 0,
            mode: StoreMode::Unique,
            data,
            ascii: true,
        };
        let (answer, _) = run(&mut a, stou, |_| Out::Unique(Ok((b"stou.1".to_vec(), "w"))));
        assert_eq!(
            answer.response,
            Response::StoreUnique {
                name: b"stou.1".to_vec()
            }
        );
        assert_eq!(discard_of(answer), Some(path(b"stou.1")));
        let mut keep = Answerer::new(PartialUploads::Keep);
        let (answer, _) = run(&mut keep, store(StoreMode::Replace, 0), |_| {
            Out::Writer(Ok("w"))
        });
        assert_eq!(discard_of(answer), None);
    }

    // H7151-ORDER, H7151-REIN: the accepted HOST goes with the login; REIN forgets it.
    #[test]
    fn h7151_host_goes_with_login_until_rein() {
        let peer: SocketAddr = "127.0.0.1:1".parse().unwrap();
        let mut a = Answerer::default();
        let host = |name: &[u8]| Request::Host {
            name: name.to_vec(),
        };
        let (answer, _) = run(&mut a, host(b"bad"), |_| Out::Host(false));
        assert_eq!((answer.response, a.host()), (Response::Denied, None));
        let (answer, _) = run(&mut a, host(b"ftp.example"), |_| Out::Host(true));
        assert_eq!(answer.response, Response::Ok);
        let login = || Request::Authenticate {
            user: b"u".to_vec(),
            password: "p".into(),
            account: None,
        };
        let (answer, calls) = run(&mut a, login(), |call| {
            assert!(
                matches!(call, Call::Authenticate { host: Some(h), .. } if h == b"ftp.example")
            );
            Out::Auth(AuthOutcome::NeedAccount)
        });
        assert_eq!(answer.response, Response::NeedAccount);
        assert_eq!(calls.len(), 1);
        a.observe(peer, &ServerEvent::CommandReceived { verb: Verb::Noop });
        assert_eq!(a.host(), Some(&b"ftp.example"[..]));
        a.observe(peer, &ServerEvent::CommandReceived { verb: Verb::Rein });
        assert_eq!(a.host(), None);
    }

    // C959-SITE, S2577-SITEEXEC: SITE replies pass with 2yz/4yz/5yz codes only.
    #[test]
    fn c959_site_reply_codes_are_checked() {
        let mut a = Answerer::default();
        let site = || Request::Site {
            command: b"HELP".to_vec(),
        };
        let (answer, _) = run(&mut a, site(), |_| {
            Out::Site(Ok(SiteReply::new(ReplyCode::C200, "ok")))
        });
        assert_eq!(
            answer.response,
            Response::Site {
                code: ReplyCode::C200,
                text: b"ok".to_vec()
            }
        );
        let (answer, _) = run(&mut a, site(), |_| {
            Out::Site(Ok(SiteReply::new(ReplyCode::new(125).unwrap(), "no")))
        });
        assert_eq!(answer.response, Response::Error(StorageError::Local));
        let (answer, _) = run(&mut a, site(), |_| {
            Out::Site(Err(StorageError::Unsupported))
        });
        assert_eq!(answer.response, Response::Error(StorageError::Unsupported));
    }

    // An adapter that answers a call with the wrong kind of outcome gets a local error, not a
    // panic; STAT reads a directory's entries, or the single file's.
    #[test]
    fn wrong_outcomes_are_local_errors_and_stat_lists() {
        let mut a = Answerer::default();
        let mdtm = Request::ModifiedTime { path: path(b"f") };
        let (answer, _) = run(&mut a, mdtm, |_| Out::Host(true));
        assert_eq!(answer.response, Response::Error(StorageError::Local));
        let stat = Request::Stat {
            path: path(b"d"),
            format: StatFormat::List,
            facts: FactSet::default(),
        };
        let (answer, calls) = run(&mut a, stat, |call| match call {
            Call::Metadata(_) => Out::Info(Ok(dir("d"))),
            _ => Out::Entries(Ok(vec![file("a", 1)])),
        });
        assert_eq!(calls.len(), 2);
        assert!(
            matches!(answer.response, Response::Listing { ref entries, .. } if entries.len() == 1)
        );
        let mdtm = Request::ModifiedTime { path: path(b"f") };
        let (answer, _) = run(&mut a, mdtm, |_| Out::Info(Ok(file("f", 1))));
        assert_eq!(answer.response, Response::Error(StorageError::Unsupported));
    }
}
