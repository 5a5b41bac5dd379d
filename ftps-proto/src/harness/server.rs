//! The server session target.

use std::collections::HashSet;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::{Duration, Instant};

use crate::server::{
    ListFormat, Request, RequestId, Response, ServerConfig, ServerEvent, ServerOutput,
    ServerSession, ServerTls, StatFormat, StoreMode,
};
use crate::session::{
    CloseReason, DataAction, DataError, DataEvent, DataId, DataProtection, DataTls, LocalError,
    StorageError, TlsEvent, TlsRole,
};
use crate::timeval::TimeVal;
use crate::vpath::VirtualPath;
use crate::ReplyCode;

use super::checks::ReplyStream;
use super::driver::{self, Driven};
use super::listing::file_info;
use super::reader::{limits, Reader};
use super::MemoryGuard;

/// Lines a client sends, for the canned steps (the most useful first: `12`..`1F` reach them
/// with one byte).
const CLIENT_LINES: &[&[u8]] = &[
    b"USER anna\r\n",
    b"PASS secret\r\n",
    b"AUTH TLS\r\n",
    b"PBSZ 0\r\n",
    b"PROT P\r\n",
    b"EPSV\r\n",
    b"PASV\r\n",
    b"LIST\r\n",
    b"RETR f.txt\r\n",
    b"STOR f.txt\r\n",
    b"ABOR\r\n",
    b"QUIT\r\n",
    b"PORT 198,51,100,2,156,64\r\n",
    b"EPRT |1|198.51.100.2|40000|\r\n",
    b"EPRT |2|2001:db8::2|40000|\r\n",
    b"PROT C\r\n",
    b"CCC\r\n",
    b"REIN\r\n",
    b"AUTH SSL\r\n",
    b"USER anonymous\r\n",
    b"ACCT acct\r\n",
    b"EPSV ALL\r\n",
    b"LIST -a\r\n",
    b"NLST\r\n",
    b"MLSD\r\n",
    b"APPE f.txt\r\n",
    b"STOU\r\n",
    b"REST 100\r\n",
    b"\xff\xf4\xff\xf2ABOR\r\n",
    b"STAT\r\n",
    b"STAT f.txt\r\n",
    b"MLST f.txt\r\n",
    b"TYPE I\r\n",
    b"TYPE A\r\n",
    b"CWD dir\r\n",
    b"CDUP\r\n",
    b"PWD\r\n",
    b"MKD d\r\n",
    b"RMD d\r\n",
    b"DELE f.txt\r\n",
    b"RNFR a\r\n",
    b"RNTO b\r\n",
    b"SIZE f.txt\r\n",
    b"MDTM f.txt\r\n",
    b"MFMT 20240101000000 f.txt\r\n",
    b"FEAT\r\n",
    b"OPTS UTF8 ON\r\n",
    b"OPTS MLST type;size;\r\n",
    b"SITE CHMOD 644 f\r\n",
    b"HOST ftp.example.com\r\n",
    b"HELP\r\n",
    b"SYST\r\n",
    b"NOOP\r\n",
    b"LANG EN\r\n",
    b"PORT 10,0,0,1,0,25\r\n",
    b"CWD ../../etc\r\n",
    b"RETR /../../etc/passwd\r\n",
    b"ADAT AAAA\r\n",
    b"\xff\xfd\x01\xff\xfb\x03",
    b"NOOP",
    b"\r\n",
];

const STORAGE_ERRORS: &[StorageError] = &[
    StorageError::NotFound,
    StorageError::PermissionDenied,
    StorageError::AlreadyExists,
    StorageError::InvalidName,
    StorageError::InsufficientStorage,
    StorageError::QuotaExceeded,
    StorageError::Unsupported,
    StorageError::Local,
    StorageError::NotADirectory,
    StorageError::InvalidOffset,
];

/// The configuration, from a 4-byte header when the input starts with a non-text byte.
fn config(r: &mut Reader<'_>) -> (ServerConfig, bool, bool) {
    let mut c = ServerConfig::default();
    let text_first = r
        .peek()
        .map_or(true, |b| matches!(b, b'\t' | b'\n' | b'\r' | 0x20..=0x7E));
    if text_first {
        return (c, false, false);
    }
    let (c0, c1, c2, c3) = (r.u8(), r.u8(), r.u8(), r.u8());
    c.tls = match c0 & 3 {
        0 => ServerTls::None,
        1 => ServerTls::Explicit {
            required_for_login: false,
        },
        2 => ServerTls::Explicit {
            required_for_login: true,
        },
        _ => ServerTls::Implicit,
    };
    c.require_prot_p = c0 & 4 != 0;
    c.require_data_session_reuse = c0 & 8 == 0;
    c.allow_anonymous = c0 & 16 != 0;
    if c0 & 32 != 0 {
        c.delay_greeting = Some(Duration::from_secs(60));
    }
    c.active.enabled = c0 & 64 == 0;
    c.features.host = c0 & 128 != 0;
    c.features.site = c0 & 128 != 0;
    c.limits = limits(c1);
    if c1 & 0x40 != 0 {
        c.max_pipelined = 256;
    }
    c.max_login_attempts = u32::from(c2 & 3);
    c.active.require_peer_ip = c2 & 4 == 0;
    if c2 & 8 != 0 {
        c.active.min_port = 0;
    }
    if c2 & 16 != 0 {
        c.passive.masquerade = Some(Ipv4Addr::new(203, 0, 113, 7));
    }
    if c2 & 32 != 0 {
        c.passive.ports = Some(40000..=40009);
    }
    if c2 & 64 != 0 {
        let f = &mut c.features;
        (f.mlst, f.mfmt, f.size, f.mdtm, f.rest_stream) = (false, false, false, false, false);
        (f.utf8, f.tvfs, f.ccc, f.lang) = (false, false, false, false);
    }
    if c2 & 128 != 0 {
        c.greeting = b"Welcome\n220 not the end\n\xff\r\0ready".to_vec();
        c.welcome = b"Hello\n230-x\n".to_vec();
    }
    if c3 & 2 != 0 {
        c.failed_login_delay = Duration::ZERO;
    }
    (c, c3 & 1 != 0, c3 & 4 != 0)
}

fn same_ip(a: IpAddr, b: IpAddr) -> bool {
    a.to_canonical() == b.to_canonical()
}

/// A data connection the session announced.
#[derive(Debug)]
struct DataTrack {
    id: DataId,
    passive: bool,
    protection: Option<DataProtection>,
    /// The first `Connected` reported, from the control peer's address for a passive one.
    first_connected: Option<Option<DataTls>>,
}

/// A fixed clock origin plus the virtual time.
struct ServerHarness {
    session: ServerSession,
    config: ServerConfig,
    peer: SocketAddr,
    local: SocketAddr,
    other: IpAddr,
    now: Instant,
    replies: ReplyStream,
    first_reply: bool,
    closed: Option<CloseReason>,
    /// `Some(true)` after `StartTls`, `Some(false)` after `StopTls`, until reported.
    tls_busy: Option<bool>,
    pending: Vec<(RequestId, Request)>,
    data: Vec<DataTrack>,
    closed_data: HashSet<DataId>,
    /// Print every step and output (`FTPS_HARNESS_TRACE=1`), to read what a crash input does.
    trace: bool,
    /// Free the session's idle buffers after every drain (`ServerSession::release_memory`,
    /// what an adapter does for idle sessions): nothing it does may change.
    release: bool,
}

impl ServerHarness {
    fn track(&mut self, id: DataId) -> &mut DataTrack {
        if let Some(i) = self.data.iter().position(|d| d.id == id) {
            // cannot fire: `i` was just found.
            return &mut self.data[i];
        }
        if self.data.len() >= 16 {
            self.data.remove(0);
        }
        self.data.push(DataTrack {
            id,
            passive: false,
            protection: None,
            first_connected: None,
        });
        let last = self.data.len() - 1;
        &mut self.data[last]
    }

    /// Drains the outputs, checking each; returns how many there were.
    fn drain(&mut self) -> usize {
        let count = self.drain_all();
        if self.release {
            self.session.release_memory();
        }
        count
    }

    fn drain_all(&mut self) -> usize {
        let mut count = 0;
        while let Some(output) =
            driver::next_output(&mut self.session, self.closed.is_some(), self.trace)
        {
            count += 1;
            match output {
                ServerOutput::Transmit(bytes) => {
                    assert!(
                        self.tls_busy.is_none(),
                        "cleartext sent during a TLS change"
                    );
                    let bytes = bytes.to_vec();
                    for code in self.replies.push(&bytes) {
                        if std::mem::take(&mut self.first_reply) {
                            assert!(
                                [ReplyCode::C120, ReplyCode::C220, ReplyCode::C421].contains(&code),
                                "first reply {code}"
                            );
                        }
                    }
                }
                ServerOutput::StartTls { role } => {
                    assert_eq!(role, TlsRole::Server);
                    assert!(self.tls_busy.is_none(), "StartTls during a TLS change");
                    self.tls_busy = Some(true);
                }
                ServerOutput::StopTls => {
                    assert!(self.tls_busy.is_none(), "StopTls during a TLS change");
                    self.tls_busy = Some(false);
                }
                ServerOutput::Data(action) => self.data_action(action),
                ServerOutput::Event(event) => self.event(event),
                ServerOutput::Close(reason) => self.closed = Some(reason),
                ServerOutput::Timeout(_) => {}
            }
        }
        assert!(!self.replies.is_mid_reply(), "a reply was cut");
        assert_eq!(self.session.is_closed(), self.closed.is_some());
        count
    }

    fn data_action(&mut self, action: DataAction) {
        let (peer, local) = (self.peer, self.local);
        let active = self.config.active.clone();
        let ports = self.config.passive.ports.clone();
        match action {
            DataAction::Listen {
                id,
                ip,
                ports: p,
                protection,
                accept_from,
            } => {
                assert!(self.data.iter().all(|d| d.id != id), "Listen on a used id");
                assert!(same_ip(ip, local.ip()), "listening on {ip}");
                // S2577-PEER: the adapter is told to drop foreign peers before TLS.
                assert_eq!(accept_from, Some(peer.ip().to_canonical()));
                assert_eq!(p, ports);
                let t = self.track(id);
                t.passive = true;
                t.protection = Some(protection);
            }
            DataAction::Connect {
                id,
                addr,
                protection,
            } => {
                // S2577-BOUNCE: only the control peer, only allowed ports.
                if active.require_peer_ip {
                    assert!(same_ip(addr.ip(), peer.ip()), "active connection to {addr}");
                }
                assert!(
                    addr.port() >= active.min_port,
                    "active connection to {addr}"
                );
                assert!(active.enabled, "active mode is off");
                let t = self.track(id);
                t.protection = Some(protection);
            }
            DataAction::Start { id } => {
                // S2577-PEER, ATK-STEAL: only the accepted connection, with the TLS it needs.
                let t = self.track(id);
                let tls = match t.first_connected {
                    Some(tls) => tls,
                    None => panic!("Start for {id:?}, which was never reported connected"),
                };
                let protection = t
                    .protection
                    .unwrap_or_else(|| panic!("Start for unannounced {id:?}"));
                if protection.tls {
                    let Some(tls) = tls else {
                        panic!("cleartext data connection started under PROT P");
                    };
                    if protection.require_session_reuse {
                        assert!(
                            tls.resumed_control_session,
                            "unbound data TLS session started"
                        );
                    }
                }
            }
            DataAction::Reject { .. } => {}
            DataAction::Close { id } => {
                // Ids are never reused: one `Close` per data connection.
                assert!(self.closed_data.insert(id), "{id:?} closed twice");
            }
        }
    }

    fn event(&mut self, event: ServerEvent) {
        if let ServerEvent::Request { id, request } = event {
            assert!(
                self.pending.iter().all(|(p, _)| *p != id),
                "request id reused"
            );
            for path in request_paths(&request) {
                assert_eq!(path.as_bytes().first(), Some(&b'/'));
                assert!(path
                    .components()
                    .all(|c| c != b".." && c != b"." && !c.contains(&0)));
            }
            match &request {
                Request::Retrieve { data, .. }
                | Request::Store { data, .. }
                | Request::List { data, .. } => {
                    self.track(*data);
                }
                _ => {}
            }
            self.pending.push((id, request));
        }
    }

    fn data_event(&mut self, pick: u8, kind: u8, arg: u8) {
        let id = if pick == 0xFF || self.data.is_empty() {
            DataId(u64::from(arg))
        } else {
            // cannot fire: the list is not empty.
            self.data[self.data.len() - 1 - usize::from(pick) % self.data.len()].id
        };
        let port = 40000 + u16::from(arg);
        let tls = |resumed| {
            Some(DataTls {
                resumed_control_session: resumed,
            })
        };
        let event = match kind % 10 {
            0 => DataEvent::Listening {
                addr: SocketAddr::new(self.local.ip(), port),
            },
            1 => DataEvent::Connected {
                peer: SocketAddr::new(self.peer.ip(), port),
                tls: None,
            },
            2 => DataEvent::Connected {
                peer: SocketAddr::new(self.peer.ip(), port),
                tls: tls(true),
            },
            3 => DataEvent::Connected {
                peer: SocketAddr::new(self.peer.ip(), port),
                tls: tls(false),
            },
            4 => DataEvent::Connected {
                peer: SocketAddr::new(self.other, port),
                tls: tls(true),
            },
            5 => DataEvent::Finished {
                bytes: u64::from(arg),
            },
            6 => DataEvent::Progress {
                bytes: u64::from(arg),
            },
            7 => DataEvent::Failed(DataError::Storage(
                STORAGE_ERRORS[usize::from(arg) % STORAGE_ERRORS.len()],
            )),
            8 => DataEvent::Failed(DataError::Truncated),
            _ => DataEvent::Failed(
                [
                    DataError::ListenFailed,
                    DataError::ConnectFailed,
                    DataError::TlsFailed,
                    DataError::Broken,
                ][usize::from(arg) % 4],
            ),
        };
        if let DataEvent::Connected { peer, tls } = &event {
            let from_peer = same_ip(peer.ip(), self.peer.ip());
            if let Some(t) = self.data.iter_mut().find(|d| d.id == id) {
                // Only once the session asked for this connection (Listen/Connect): an adapter
                // cannot report one before, and the session ignores such an event.
                if t.first_connected.is_none()
                    && t.protection.is_some()
                    && (from_peer || !t.passive)
                {
                    t.first_connected = Some(*tls);
                }
            }
        }
        self.session.handle_data(self.now, id, event);
    }

    /// Answers a request: `fitting` picks a response of the request's kind.
    fn respond(&mut self, sel: u8, fitting: bool, r: &mut Reader<'_>) {
        if self.pending.is_empty() {
            let result = self
                .session
                .respond(self.now, RequestId(u64::from(sel)), Response::Ok);
            let expected = if self.closed.is_some() {
                LocalError::Closed
            } else {
                LocalError::UnknownRequest
            };
            assert_eq!(result, Err(expected));
            assert_eq!(self.drain(), 0, "a refused response had effects");
            return;
        }
        let index = usize::from(sel) % self.pending.len();
        // cannot fire: `index` is below the length.
        let (id, request) = self.pending[index].clone();
        let response = if fitting {
            fitting_response(&request, sel, r)
        } else {
            any_response(sel, r)
        };
        let site_code = match &response {
            Response::Site { code, .. } => Some(*code),
            _ => None,
        };
        let result = self.session.respond(self.now, id, response);
        match result {
            Ok(()) => {
                self.pending.remove(index);
            }
            Err(e) => {
                assert_eq!(self.drain(), 0, "a refused response ({e}) had effects");
                if self.closed.is_some() {
                    assert_eq!(e, LocalError::Closed);
                }
                if fitting && e != LocalError::Closed {
                    // Only a bad SITE code may refuse a response of the right kind.
                    assert_eq!(e, LocalError::InvalidReplyCode, "{request:?}");
                    assert!(site_code.is_some_and(|c| !matches!(c.class(), 2 | 4 | 5)));
                }
            }
        }
    }
}

impl Driven for ServerHarness {
    type Session = ServerSession;
    const CANNED: &'static [&'static [u8]] = CLIENT_LINES;

    fn parts(&mut self) -> (&mut ServerSession, &mut Instant) {
        (&mut self.session, &mut self.now)
    }

    fn drain_outputs(&mut self) {
        self.drain();
    }

    fn feed(&mut self, bytes: &[u8]) {
        let during_handshake = self.tls_busy == Some(true) && self.closed.is_none();
        self.session.handle_input(self.now, bytes);
        let before = self.closed.clone();
        self.drain();
        if during_handshake && !bytes.is_empty() {
            // ATK-TLSINJ-S: cleartext during the handshake ends the session.
            assert_eq!(before, None);
            assert_eq!(self.closed, Some(CloseReason::TlsInjection));
        }
    }

    fn tls_answers(&mut self, event: TlsEvent) -> bool {
        let answers = matches!(
            (self.tls_busy, event),
            (Some(_), TlsEvent::Failed)
                | (Some(true), TlsEvent::Established)
                | (Some(false), TlsEvent::Stopped)
        );
        if answers {
            self.tls_busy = None;
        }
        answers
    }

    fn data_step(&mut self, pick: u8, kind: u8, arg: u8) {
        self.data_event(pick, kind, arg);
        self.drain();
    }

    fn app_step(&mut self, which: u8, sel: u8, r: &mut Reader<'_>) {
        match which {
            0 | 3 => self.respond(sel, true, r),
            1 => self.respond(sel, false, r),
            2 => self.session.shutdown(self.now),
            _ => {
                if let Some(i) = self.pending.len().checked_sub(1) {
                    let (id, request) = self.pending[i].clone();
                    let response = fitting_response(&request, sel, r);
                    if self.session.respond(self.now, id, response).is_ok() {
                        self.pending.remove(i);
                    }
                }
            }
        }
        self.drain();
    }
}

fn request_paths(request: &Request) -> Vec<&VirtualPath> {
    match request {
        Request::ChangeDir { path }
        | Request::MakeDir { path }
        | Request::RemoveDir { path }
        | Request::Delete { path }
        | Request::RenameFrom { path }
        | Request::Size { path, .. }
        | Request::ModifiedTime { path }
        | Request::SetModifiedTime { path, .. }
        | Request::Stat { path, .. }
        | Request::Retrieve { path, .. }
        | Request::Store { path, .. }
        | Request::List { path, .. } => vec![path],
        Request::Rename { from, to } => vec![from, to],
        _ => Vec::new(),
    }
}

fn storage_error(sel: u8) -> Response {
    Response::Error(STORAGE_ERRORS[usize::from(sel >> 2) % STORAGE_ERRORS.len()])
}

fn time(r: &mut Reader<'_>) -> TimeVal {
    TimeVal::from_unix(i64::from(r.u32()) * 8, 0).unwrap_or(TimeVal {
        year: 2000,
        month: 1,
        day: 1,
        hour: 0,
        minute: 0,
        second: 0,
        nanos: 0,
        frac_digits: 0,
    })
}

/// A response of the kind `request` expects (success or one of its failures).
fn fitting_response(request: &Request, sel: u8, r: &mut Reader<'_>) -> Response {
    let fail = sel & 3 == 3;
    if fail {
        return if sel & 4 != 0 {
            Response::Denied
        } else {
            storage_error(sel)
        };
    }
    match request {
        Request::Authenticate { .. } => [
            Response::LoggedIn,
            Response::LoginFailed,
            Response::NeedAccount,
        ][usize::from(sel & 3)]
        .clone(),
        Request::MakeDir { path } => match sel & 1 {
            0 => Response::Ok,
            _ => Response::Created(path.join(r.short()).unwrap_or_else(|_| path.clone())),
        },
        Request::Size { .. } => Response::Size(r.size()),
        Request::ModifiedTime { .. } => Response::Time(time(r)),
        Request::SetModifiedTime { time: t, .. } => match sel & 1 {
            0 => Response::Ok,
            _ => Response::Time(*t),
        },
        Request::Stat {
            format: StatFormat::Mlst,
            ..
        } => Response::Info(file_info(r)),
        Request::Stat { .. } => Response::Listing {
            entries: (0..sel % 3).map(|_| file_info(r)).collect(),
            now_unix: i64::from(r.u32()),
        },
        Request::Site { .. } => Response::Site {
            code: ReplyCode::new(100 + r.u16() % 600).unwrap_or(ReplyCode::C200),
            text: r.short().to_vec(),
        },
        Request::Store {
            mode: StoreMode::Unique,
            ..
        } => Response::StoreUnique {
            name: r.short().to_vec(),
        },
        Request::Store { .. } if sel & 8 != 0 => Response::NeedAccount,
        Request::List {
            format: ListFormat::Mlsd | ListFormat::List | ListFormat::Nlst,
            ..
        } => Response::Ok,
        _ => Response::Ok,
    }
}

/// Any response at all, fitting or not.
fn any_response(sel: u8, r: &mut Reader<'_>) -> Response {
    match sel % 14 {
        0 => Response::Ok,
        1 => Response::LoggedIn,
        2 => Response::LoginFailed,
        3 => Response::NeedAccount,
        4 => Response::Size(r.size()),
        5 => Response::Time(time(r)),
        6 => Response::Info(file_info(r)),
        7 => Response::Listing {
            entries: vec![file_info(r)],
            now_unix: i64::from(r.u32()),
        },
        8 => Response::Created(VirtualPath::root().resolve(r.short()).unwrap_or_default()),
        9 => Response::StoreUnique {
            name: r.short().to_vec(),
        },
        10 => Response::Site {
            code: ReplyCode::new(100 + r.u16() % 600).unwrap_or(ReplyCode::C200),
            text: r.short().to_vec(),
        },
        11 => storage_error(sel),
        _ => Response::Denied,
    }
}

/// Server session: a [`ServerSession`] fed a script (see the `script` module) of client
/// bytes in any chunking, interleaved with adapter events (TLS, data connections, timers)
/// and the application's answers. Checked after every step:
///
/// - everything transmitted is well-formed reply lines (strict CRLF, 1yz-5yz codes, doubled
///   IAC) or Telnet refusals, never cut mid-reply; the first reply is `120`, `220` or `421`;
/// - nothing is transmitted between `StartTls`/`StopTls` and the adapter's report, and
///   cleartext bytes during a handshake end the session (ATK-TLSINJ-S);
/// - data connections: active connections only to the control peer and allowed ports
///   (S2577-BOUNCE), listeners on the local address, `Start` only for a connection reported
///   connected, from the control peer when passive, with TLS under `PROT P` and a resumed
///   session when required;
/// - requests carry jailed paths; refused responses change nothing; memory stays bounded;
/// - no deadline is left in the past after `handle_timeout`; after `Close` nothing more is
///   output; after any script, `handle_eof` leads to `Close`;
/// - with the header's release bit, the session frees its idle buffers after every drain
///   (`ServerSession::release_memory`) and all of the above still holds.
///
/// Input: an optional 4-byte configuration header (when the first byte is not text), then
/// the script.
pub fn server_session(data: &[u8]) {
    let mut r = Reader::new(data);
    let (config, v6, release) = config(&mut r);
    let (peer, local, other) = if v6 {
        (
            SocketAddr::new(
                IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 2)),
                50000,
            ),
            SocketAddr::new(
                IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1)),
                21,
            ),
            IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 9)),
        )
    } else {
        (
            SocketAddr::from(([198, 51, 100, 2], 50000)),
            SocketAddr::from(([192, 0, 2, 1], 21)),
            IpAddr::V4(Ipv4Addr::new(203, 0, 113, 9)),
        )
    };
    let l = config.limits;
    let bound = 64 * 1024
        + 8 * (config.max_pipelined + l.max_line.max(l.max_security_line))
        + r.clone().rest().len() * 2;
    let memory = MemoryGuard::new(bound);
    let now = Instant::now();
    let implicit = matches!(config.tls, ServerTls::Implicit);
    let mut h = ServerHarness {
        session: ServerSession::new(config.clone(), peer, local, now),
        config,
        peer,
        local,
        other,
        now,
        replies: ReplyStream::default(),
        first_reply: true,
        closed: None,
        tls_busy: None,
        pending: Vec::new(),
        data: Vec::new(),
        closed_data: HashSet::new(),
        trace: super::tracing(),
        release,
    };
    h.drain();
    if implicit {
        assert_eq!(
            h.tls_busy,
            Some(true),
            "implicit FTPS does not start with StartTls"
        );
    }
    driver::run(&mut h, &mut r, &memory, "server session");
    if h.closed.is_none() {
        h.session.handle_eof(h.now);
        h.drain();
        assert_eq!(
            h.closed,
            Some(CloseReason::PeerClosed),
            "no Close after EOF"
        );
    }
    assert_eq!(
        h.session.respond(h.now, RequestId(0), Response::Ok),
        Err(LocalError::Closed)
    );
    h.session.handle_input(h.now, b"NOOP\r\n");
    h.session
        .handle_timeout(h.now + Duration::from_secs(100_000));
    assert_eq!(h.drain(), 0, "a closed session still acts");
}
