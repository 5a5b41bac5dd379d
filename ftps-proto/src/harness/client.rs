//! The client session target.

use std::collections::{HashMap, HashSet};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::{Duration, Instant};

use crate::client::{
    ClientConfig, ClientEvent, ClientOutput, ClientSecurity, ClientSession, OpId, Operation,
    PassiveMode, TlsPolicy, Transfer, TransferKind,
};
use crate::codec::{ProtectionLevel, RepresentationType, Verb};
use crate::session::{
    CloseReason, DataAction, DataError, DataEvent, DataId, DataTls, TlsEvent, TlsRole,
};
use crate::timeval::TimeVal;
use crate::Secret;

use super::checks::CommandStream;
use super::codec::command;
use super::driver::{self, Driven};
use super::reader::{limits, Reader};
use super::MemoryGuard;

/// Lines a server sends, for the canned steps (the most useful first).
const SERVER_LINES: &[&[u8]] = &[
    b"220 ready\r\n",
    b"234 AUTH TLS ok\r\n",
    b"211-Features:\r\n UTF8\r\n MLST type*;size*;modify*;\r\n EPSV\r\n211 End\r\n",
    b"200 ok\r\n",
    b"331 pw\r\n",
    b"230 in\r\n",
    b"229 Entering Extended Passive Mode (|||40000|)\r\n",
    b"227 Entering Passive Mode (198,51,100,9,156,64).\r\n",
    b"150 Opening data connection\r\n",
    b"226 done\r\n",
    b"257 \"/my \"\"dir\"\"\" is current\r\n",
    b"213 1234\r\n",
    b"550 no\r\n",
    b"421 bye\r\n",
    b"125 open\r\n",
    b"350 ok\r\n",
    b"332 acct\r\n",
    b"500 what\r\n",
    b"502 no\r\n",
    b"530 no\r\n",
    b"534 no\r\n",
    b"521 no\r\n",
    b"522 Network protocol not supported, use (1)\r\n",
    b"425 no\r\n",
    b"426 abort\r\n",
    b"451 err\r\n",
    b"213 20240101000000\r\n",
    b"150 FILE: x\r\n",
    b"221 bye\r\n",
    b"120 wait\r\n",
    b"211 no features\r\n",
    b"200 PBSZ=0\r\n",
    b"226-Options: -l \r\n",
    b"110 MARK 1 = 2\r\n",
    b"250 ok\r\n",
    b"234 ok\r\n220 injected\r\n",
    b"220-multi\r\n220 end\r\n",
    b"211-x\r\n",
    b"\n",
    b"\r\n",
    b"\xff\xfd\x01",
    b"999 bad\r\n",
    b"631 AAAA\r\n",
];

const KINDS: &[TransferKind] = &[
    TransferKind::Retr,
    TransferKind::Stor,
    TransferKind::Appe,
    TransferKind::Stou,
    TransferKind::List,
    TransferKind::Nlst,
    TransferKind::Mlsd,
];

/// The configuration, from a 3-byte header when the input starts with a non-text byte.
fn config(r: &mut Reader<'_>) -> (ClientConfig, bool) {
    let mut c = ClientConfig::default();
    let text_first = r
        .peek()
        .map_or(true, |b| matches!(b, b'\t' | b'\n' | b'\r' | 0x20..=0x7E));
    if text_first {
        return (c, false);
    }
    let (c0, c1, c2) = (r.u8(), r.u8(), r.u8());
    c.security = match c0 & 3 {
        0 => ClientSecurity::Plain,
        1 => ClientSecurity::Explicit {
            policy: TlsPolicy::Required,
            auth_ssl_fallback: c0 & 4 != 0,
        },
        2 => ClientSecurity::Explicit {
            policy: TlsPolicy::Opportunistic,
            auth_ssl_fallback: c0 & 4 != 0,
        },
        _ => ClientSecurity::Implicit,
    };
    if c0 & 8 != 0 {
        c.protection = ProtectionLevel::Clear;
    }
    c.prot_before_login = c0 & 16 == 0;
    c.passive = [
        PassiveMode::EpsvThenPasv,
        PassiveMode::PasvOnly,
        PassiveMode::EpsvAll,
        PassiveMode::EpsvThenPasv,
    ][usize::from(c0 >> 5 & 3)];
    c.active = c0 & 128 != 0;
    c.limits = limits(c1);
    if c2 & 1 != 0 {
        c.active_ip = Some(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 100)));
    }
    c.trust_pasv_address = c2 & 2 != 0;
    if c2 & 4 != 0 {
        c.host = Some(b"ftp.example.com".to_vec());
    }
    c.send_utf8 = c2 & 8 == 0;
    if c2 & 32 != 0 {
        let t = &mut c.timeouts;
        t.greeting = Duration::from_secs(1);
        t.reply = Duration::from_secs(2);
        t.data_connect = Duration::from_secs(3);
        t.data_stall = Duration::from_secs(4);
        t.tls_handshake = Duration::from_secs(5);
    }
    (c, c2 & 16 != 0)
}

struct ClientHarness {
    session: ClientSession,
    config: ClientConfig,
    server: SocketAddr,
    now: Instant,
    commands: CommandStream,
    closed: Option<CloseReason>,
    /// `Some(true)` after `StartTls`, `Some(false)` after `StopTls`, until reported.
    tls_busy: Option<bool>,
    /// The control connection is TLS (an `Established` answered a `StartTls`).
    tls_up: bool,
    ready: bool,
    /// Operations accepted, and whether each is done.
    ops: HashMap<OpId, bool>,
    last_op: Option<OpId>,
    /// Data connections announced, with whether one was reported connected.
    data: Vec<(DataId, bool)>,
    data_seen: HashSet<DataId>,
    closed_data: HashSet<DataId>,
    /// A `REIN` was sent and no `StopTls` followed yet.
    rein_sent: bool,
    /// Print every step and output (`FTPS_HARNESS_TRACE=1`), to read what a crash input does.
    trace: bool,
}

impl ClientHarness {
    fn drain(&mut self) -> usize {
        let mut count = 0;
        let mut violation = false;
        while let Some(output) =
            driver::next_output(&mut self.session, self.closed.is_some(), self.trace)
        {
            count += 1;
            match output {
                ClientOutput::Transmit(bytes) => {
                    assert!(self.tls_busy.is_none(), "sent during a TLS change");
                    let bytes = bytes.to_vec();
                    for verb in self.commands.push(&bytes) {
                        if verb == Verb::Rein {
                            self.rein_sent = true;
                        }
                        if matches!(verb, Verb::User | Verb::Pass | Verb::Acct)
                            && self.config.security.tls_required()
                        {
                            // ATK-DOWNGRADE: credentials never travel before TLS when it is required.
                            assert!(
                                self.tls_up,
                                "{verb} sent in cleartext under a TLS-required policy"
                            );
                        }
                        if matches!(self.config.security, ClientSecurity::Plain) {
                            assert!(!matches!(
                                verb,
                                Verb::Auth | Verb::Pbsz | Verb::Prot | Verb::Ccc
                            ));
                        }
                    }
                }
                ClientOutput::StartTls { role } => {
                    assert_eq!(role, TlsRole::Client);
                    assert!(self.tls_busy.is_none() && !self.tls_up, "StartTls twice");
                    assert!(!matches!(self.config.security, ClientSecurity::Plain));
                    self.tls_busy = Some(true);
                }
                ClientOutput::StopTls => {
                    assert!(
                        self.tls_busy.is_none() && self.tls_up,
                        "StopTls without TLS"
                    );
                    // Only REIN (T4217-REIN: the setup then runs again) may clear a required TLS.
                    let rein = std::mem::take(&mut self.rein_sent);
                    assert!(
                        rein || !self.config.security.tls_required(),
                        "CCC under a TLS-required policy"
                    );
                    self.tls_busy = Some(false);
                }
                ClientOutput::Data(action) => self.data_action(action),
                ClientOutput::Event(event) => {
                    if matches!(event, ClientEvent::ProtocolViolation { .. }) {
                        violation = true;
                    }
                    self.event(event);
                }
                ClientOutput::Close(reason) => self.closed = Some(reason),
                ClientOutput::Timeout(_) => {}
            }
        }
        if violation {
            assert!(
                self.closed.is_some(),
                "a protocol violation did not close the session"
            );
        }
        assert!(!self.commands.is_mid_line(), "a command was cut");
        assert_eq!(self.session.is_closed(), self.closed.is_some());
        if self.closed.is_some() {
            assert_eq!(self.session.poll_timeout(), None);
        }
        count
    }

    fn data_action(&mut self, action: DataAction) {
        match action {
            DataAction::Connect {
                id,
                addr,
                protection,
            } => {
                // ATK-PASVIP: passive connections go to the control peer unless trusted.
                if !self.config.trust_pasv_address {
                    assert_eq!(addr.ip(), self.server.ip(), "data connection to {addr}");
                }
                assert_ne!(addr.port(), 0);
                if protection.tls {
                    assert!(self.tls_up, "data TLS without control TLS");
                }
                assert!(self.data_seen.insert(id), "Connect on a used id");
                self.note_data(id);
            }
            DataAction::Listen {
                id,
                protection,
                accept_from,
                ..
            } => {
                assert!(self.config.active, "Listen in passive mode");
                assert_eq!(accept_from, None, "the client accepts any peer");
                if protection.tls {
                    assert!(self.tls_up, "data TLS without control TLS");
                }
                assert!(self.data_seen.insert(id), "Listen on a used id");
                self.note_data(id);
            }
            DataAction::Start { id } => {
                let connected = self.data.iter().any(|&(d, c)| d == id && c);
                assert!(
                    connected,
                    "Start for {id:?}, which was never reported connected"
                );
            }
            DataAction::Reject { .. } => {}
            DataAction::Close { id } => {
                assert!(self.data_seen.contains(&id), "Close for unknown {id:?}");
                assert!(self.closed_data.insert(id), "{id:?} closed twice");
            }
        }
    }

    fn note_data(&mut self, id: DataId) {
        if self.data.len() >= 16 {
            self.data.remove(0);
        }
        self.data.push((id, false));
    }

    fn event(&mut self, event: ClientEvent) {
        match event {
            ClientEvent::Ready { control_tls } => {
                assert!(!self.ready, "Ready twice");
                self.ready = true;
                assert_eq!(control_tls, self.tls_up);
                if self.config.security.tls_required() {
                    assert!(control_tls, "Ready without TLS under a TLS-required policy");
                }
            }
            ClientEvent::Done { op, .. } => match self.ops.get_mut(&op) {
                Some(done) => {
                    assert!(!*done, "{op:?} done twice");
                    *done = true;
                }
                None => panic!("Done for unknown {op:?}"),
            },
            ClientEvent::TransferData { op, .. } => {
                assert!(
                    self.ops.contains_key(&op),
                    "TransferData for unknown {op:?}"
                );
            }
            ClientEvent::SetupFailed { .. } | ClientEvent::ProtocolViolation { .. } => {}
        }
    }

    fn accepted(&mut self, result: Result<OpId, crate::client::LocalError>) {
        match result {
            Ok(op) => {
                assert!(self.closed.is_none(), "operation accepted after Close");
                assert!(self.ops.insert(op, false).is_none(), "{op:?} issued twice");
                self.last_op = Some(op);
                self.drain();
            }
            Err(_) => assert_eq!(self.drain(), 0, "a refused operation had effects"),
        }
    }

    fn app(&mut self, which: u8, sel: u8, r: &mut Reader<'_>) {
        match which {
            0 => {
                let (user, pass) = if sel & 1 == 0 {
                    (&b"anna"[..], &b"secret"[..])
                } else {
                    (r.short(), r.short())
                };
                let account = (sel & 2 != 0).then(|| Secret::from(&b"acct"[..]));
                let result = self.session.login(user, Secret::from(pass), account);
                self.accepted(result);
            }
            1 => {
                let arg = r.short();
                let op = match sel % 22 {
                    0 => Operation::Cwd(arg),
                    1 => Operation::Cdup,
                    2 => Operation::Pwd,
                    3 => Operation::Mkd(arg),
                    4 => Operation::Rmd(arg),
                    5 => Operation::Dele(arg),
                    6 => Operation::Rename {
                        from: arg,
                        to: b"new",
                    },
                    7 => Operation::Size(arg),
                    8 => Operation::Mdtm(arg),
                    9 => Operation::Mfmt {
                        time: TimeVal::from_unix(1_700_000_000, 0).unwrap_or_default_time(),
                        path: arg,
                    },
                    10 => Operation::Mlst(Some(arg)),
                    11 => Operation::Site(arg),
                    12 => Operation::Stat(None),
                    13 => Operation::Syst,
                    14 => Operation::Help(Some(arg)),
                    15 => Operation::Noop,
                    16 => Operation::Feat,
                    17 => Operation::Type(RepresentationType::Image),
                    18 => Operation::Ccc,
                    19 => Operation::Rein,
                    20 => Operation::Quit,
                    _ => Operation::Mlst(None),
                };
                let result = self.session.command(op);
                self.accepted(result);
            }
            2 => {
                let kind = KINDS[usize::from(sel) % KINDS.len()];
                let path = r.short();
                let t = if sel & 0x80 != 0 {
                    Transfer::without_path(kind)
                } else {
                    Transfer::new(kind, path)
                };
                let offset = if sel & 0x40 != 0 { r.size() } else { 0 };
                let result = self
                    .session
                    .transfer(t.offset(offset).ascii(sel & 0x20 != 0));
                self.accepted(result);
            }
            3 => {
                let op = if sel == 0xFF {
                    OpId(u64::from(r.u8()))
                } else {
                    match self.last_op {
                        Some(op) => op,
                        None => return,
                    }
                };
                let result = self.session.abort(self.now, op);
                if result.is_err() {
                    assert_eq!(self.drain(), 0, "a refused abort had effects");
                } else {
                    self.drain();
                }
            }
            _ => {
                let cmd = command(r);
                let result = self.session.command(Operation::Raw(cmd));
                self.accepted(result);
            }
        }
    }

    fn data_event(&mut self, pick: u8, kind: u8, arg: u8) {
        let id = if pick == 0xFF || self.data.is_empty() {
            DataId(u64::from(arg))
        } else {
            // cannot fire: the list is not empty.
            self.data[self.data.len() - 1 - usize::from(pick) % self.data.len()].0
        };
        let port = 40000 + u16::from(arg);
        let event = match kind % 8 {
            0 => DataEvent::Listening {
                addr: SocketAddr::new(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 100)), port),
            },
            1 => DataEvent::Connected {
                peer: SocketAddr::new(self.server.ip(), port),
                tls: None,
            },
            2 => DataEvent::Connected {
                peer: SocketAddr::new(self.server.ip(), port),
                tls: Some(DataTls {
                    resumed_control_session: arg & 1 == 0,
                }),
            },
            3 => DataEvent::Finished {
                bytes: u64::from(arg),
            },
            4 => DataEvent::Progress {
                bytes: u64::from(arg),
            },
            5 => DataEvent::Failed(DataError::Truncated),
            6 => DataEvent::Failed(DataError::Broken),
            _ => DataEvent::Failed(
                [
                    DataError::ListenFailed,
                    DataError::ConnectFailed,
                    DataError::TlsFailed,
                ][usize::from(arg) % 3],
            ),
        };
        if matches!(event, DataEvent::Connected { .. }) {
            if let Some(entry) = self.data.iter_mut().find(|(d, _)| *d == id) {
                entry.1 = true;
            }
        }
        self.session.handle_data(self.now, id, event);
        self.drain();
    }
}

impl Driven for ClientHarness {
    type Session = ClientSession;
    const CANNED: &'static [&'static [u8]] = SERVER_LINES;

    fn parts(&mut self) -> (&mut ClientSession, &mut Instant) {
        (&mut self.session, &mut self.now)
    }

    fn drain_outputs(&mut self) {
        self.drain();
    }

    fn feed(&mut self, bytes: &[u8]) {
        let during_tls = self.tls_busy.is_some() && self.closed.is_none();
        self.session.handle_input(self.now, bytes);
        self.drain();
        if during_tls && !bytes.is_empty() {
            // ATK-TLSINJ-C: bytes while a TLS change is due are never interpreted.
            assert!(
                self.closed.is_some(),
                "cleartext during a TLS change was accepted"
            );
        }
    }

    fn tls_answers(&mut self, event: TlsEvent) -> bool {
        let answers = self.tls_busy.take().is_some() && self.closed.is_none();
        if answers {
            match event {
                TlsEvent::Established => self.tls_up = true,
                TlsEvent::Stopped => self.tls_up = false,
                _ => {}
            }
        }
        answers
    }

    fn data_step(&mut self, pick: u8, kind: u8, arg: u8) {
        self.data_event(pick, kind, arg);
    }

    fn app_step(&mut self, which: u8, sel: u8, r: &mut Reader<'_>) {
        self.app(which, sel, r);
    }
}

/// A fixed time for `MFMT` when the conversion has none.
trait OrDefaultTime {
    fn unwrap_or_default_time(self) -> TimeVal;
}

impl OrDefaultTime for Option<TimeVal> {
    fn unwrap_or_default_time(self) -> TimeVal {
        self.unwrap_or(TimeVal {
            year: 2023,
            month: 11,
            day: 14,
            hour: 22,
            minute: 13,
            second: 20,
            nanos: 0,
            frac_digits: 0,
        })
    }
}

/// Client session: a [`ClientSession`] fed a script (see the `script` module) of server
/// bytes in any chunking, adapter events and the caller's requests (login, commands,
/// transfers, aborts; also with CR/LF in arguments). Checked after every step:
///
/// - everything transmitted is whole, valid command lines (strict CRLF, no Telnet
///   negotiation); `USER`/`PASS`/`ACCT` never before TLS when the policy requires it;
///   nothing is sent between `StartTls`/`StopTls` and the report, and server bytes then end
///   the session (ATK-TLSINJ-C);
/// - data connections go to the control peer unless the `227` address is trusted, use TLS
///   only over a TLS control connection, and are started only once reported connected;
/// - a refused request changes nothing; each operation is done at most once; a protocol
///   violation closes; memory stays bounded; no deadline is left in the past after
///   `handle_timeout`; after `Close` nothing more happens; after any script, `handle_eof`
///   leads to `Close`, and then every accepted operation has been reported done.
///
/// Input: an optional 3-byte configuration header (when the first byte is not text), then
/// the script.
pub fn client_session(data: &[u8]) {
    let mut r = Reader::new(data);
    let (config, v6) = config(&mut r);
    let server = if v6 {
        SocketAddr::new(
            IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1)),
            21,
        )
    } else {
        SocketAddr::from(([198, 51, 100, 1], 21))
    };
    let l = config.limits;
    let bound = 64 * 1024
        + 8 * (l.max_reply_bytes + l.max_line.max(l.max_security_line))
        + r.clone().rest().len() * 4;
    let memory = MemoryGuard::new(bound);
    let now = Instant::now();
    let mut h = ClientHarness {
        session: ClientSession::new(config.clone(), server, now),
        config,
        server,
        now,
        commands: CommandStream::default(),
        closed: None,
        tls_busy: None,
        tls_up: false,
        ready: false,
        ops: HashMap::new(),
        last_op: None,
        data: Vec::new(),
        data_seen: HashSet::new(),
        closed_data: HashSet::new(),
        rein_sent: false,
        trace: super::tracing(),
    };
    h.drain();
    driver::run(&mut h, &mut r, &memory, "client session");
    if h.closed.is_none() {
        h.session.handle_eof(h.now);
        h.drain();
        assert!(h.closed.is_some(), "no Close after EOF");
    }
    let open: Vec<&OpId> = h
        .ops
        .iter()
        .filter(|(_, done)| !**done)
        .map(|(op, _)| op)
        .collect();
    assert!(open.is_empty(), "operations never reported done: {open:?}");
    assert!(h.session.login(b"u", Secret::from("p"), None).is_err());
    h.session.handle_input(h.now, b"220 x\r\n");
    h.session
        .handle_timeout(h.now + Duration::from_secs(100_000));
    assert_eq!(h.drain(), 0, "a closed session still acts");
}
