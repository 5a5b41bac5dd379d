//! A tiny driver for server-session transcript tests: feeds bytes, answers requests with
//! scripted responses, reports data and TLS events on a virtual clock, and records every
//! output in order.
#![allow(dead_code)]

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use ftps_proto::server::{
    Request, RequestId, Response, ServerConfig, ServerEvent, ServerOutput, ServerSession,
};
use ftps_proto::session::{CloseReason, DataAction, DataEvent, DataId, DataTls, TlsEvent};

/// The control peer of every test session.
pub const PEER: &str = "198.51.100.2:50000";
/// The local address of every test session.
pub const LOCAL: &str = "192.0.2.1:21";

/// One recorded output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Out {
    Tx(Vec<u8>),
    StartTls,
    StopTls,
    Data(DataAction),
    Event(ServerEvent),
    Close(CloseReason),
}

pub struct Driver {
    pub session: ServerSession,
    pub now: Instant,
    /// Every output, in order (consecutive transmits merged).
    pub log: Vec<Out>,
    /// Bytes transmitted since the last `take`.
    pub wire: Vec<u8>,
    /// Requests not answered yet.
    pub requests: VecDeque<(RequestId, Request)>,
    /// Data actions not inspected yet.
    pub actions: VecDeque<DataAction>,
    pub closed: Option<CloseReason>,
}

impl Driver {
    pub fn new(config: ServerConfig) -> Driver {
        Driver::with_addrs(config, PEER.parse().unwrap(), LOCAL.parse().unwrap())
    }

    /// A session whose control connection runs from `peer` to `local`.
    pub fn with_addrs(config: ServerConfig, peer: SocketAddr, local: SocketAddr) -> Driver {
        let now = Instant::now();
        let mut d = Driver {
            session: ServerSession::new(config, peer, local, now),
            now,
            log: Vec::new(),
            wire: Vec::new(),
            requests: VecDeque::new(),
            actions: VecDeque::new(),
            closed: None,
        };
        d.drain();
        d
    }

    /// A session with the default config, greeting consumed.
    pub fn ready() -> Driver {
        let mut d = Driver::new(ServerConfig::default());
        d.take();
        d
    }

    /// A default session, logged in as `alice`, with everything consumed.
    pub fn logged_in() -> Driver {
        Driver::logged_in_with(ServerConfig::default())
    }

    pub fn logged_in_with(config: ServerConfig) -> Driver {
        let mut d = Driver::new(config);
        d.send(b"USER alice\r\nPASS pw\r\n");
        d.answer(Response::LoggedIn);
        d.take();
        d.log.clear();
        d
    }

    /// Drains every output.
    pub fn drain(&mut self) {
        loop {
            match self.session.poll_output() {
                ServerOutput::Transmit(b) => {
                    assert!(!b.is_empty(), "empty transmit");
                    self.wire.extend_from_slice(b);
                    if let Some(Out::Tx(v)) = self.log.last_mut() {
                        v.extend_from_slice(b);
                    } else {
                        self.log.push(Out::Tx(b.to_vec()));
                    }
                }
                ServerOutput::StartTls { .. } => self.log.push(Out::StartTls),
                ServerOutput::StopTls => self.log.push(Out::StopTls),
                ServerOutput::Data(a) => {
                    self.actions.push_back(a.clone());
                    self.log.push(Out::Data(a));
                }
                ServerOutput::Event(e) => {
                    if let ServerEvent::Request { id, request } = &e {
                        self.requests.push_back((*id, request.clone()));
                    }
                    if !matches!(e, ServerEvent::CommandReceived { .. }) {
                        self.log.push(Out::Event(e));
                    }
                }
                ServerOutput::Close(r) => {
                    assert!(self.closed.is_none(), "closed twice");
                    self.closed = Some(r.clone());
                    self.log.push(Out::Close(r));
                }
                ServerOutput::Timeout(_) => break,
                other => panic!("unknown output {other:?}"),
            }
        }
    }

    pub fn send(&mut self, bytes: &[u8]) {
        self.session.handle_input(self.now, bytes);
        self.drain();
    }

    /// Transmitted bytes since the last call, as text for readable assertions.
    pub fn take(&mut self) -> String {
        let w = std::mem::take(&mut self.wire);
        String::from_utf8_lossy(&w).into_owned()
    }

    /// Sends `line` and returns the replies.
    pub fn cmd(&mut self, line: &str) -> String {
        self.send(line.as_bytes());
        self.take()
    }

    /// The oldest unanswered request.
    pub fn request(&mut self) -> (RequestId, Request) {
        self.requests.pop_front().expect("a request")
    }

    /// Answers the oldest request.
    pub fn answer(&mut self, response: Response) {
        let (id, _) = self.request();
        self.session
            .respond(self.now, id, response)
            .expect("respond");
        self.drain();
    }

    /// Answers request `id`.
    pub fn reply_to(&mut self, id: RequestId, response: Response) {
        self.session
            .respond(self.now, id, response)
            .expect("respond");
        self.drain();
    }

    pub fn action(&mut self) -> DataAction {
        self.actions.pop_front().expect("a data action")
    }

    pub fn data(&mut self, id: DataId, event: DataEvent) {
        self.session.handle_data(self.now, id, event);
        self.drain();
    }

    pub fn tls(&mut self, event: TlsEvent) {
        self.session.handle_tls(self.now, event);
        self.drain();
    }

    /// Moves the clock and fires the timer when due.
    pub fn advance(&mut self, by: Duration) {
        self.now += by;
        if let Some(at) = self.session.poll_timeout() {
            if at <= self.now {
                self.session.handle_timeout(self.now);
            }
        }
        self.drain();
    }

    /// PASV answered: returns the data id; the adapter bound port 40001 (156*256+65).
    pub fn pasv(&mut self) -> DataId {
        self.actions.clear();
        self.send(b"PASV\r\n");
        let DataAction::Listen { id, .. } = self.action() else {
            panic!("expected Listen")
        };
        let addr: SocketAddr = "192.0.2.1:40001".parse().unwrap();
        self.data(id, DataEvent::Listening { addr });
        id
    }

    /// A connection from the control peer's address.
    pub fn connect_from_peer(&mut self, id: DataId, tls: Option<DataTls>) {
        let peer: SocketAddr = "198.51.100.2:50001".parse().unwrap();
        self.data(id, DataEvent::Connected { peer, tls });
    }
}

/// Every line of `wire` is a well-formed reply line: `ddd ` / `ddd-` or an inner line of a
/// multi-line reply, CRLF-terminated, no bare CR or LF (REP-FORMAT, REP-SANITIZE).
pub fn assert_well_formed(wire: &[u8]) {
    let mut open: Option<[u8; 3]> = None;
    let mut rest = wire;
    while !rest.is_empty() {
        let end = rest
            .windows(2)
            .position(|w| w == b"\r\n")
            .unwrap_or_else(|| panic!("unterminated line in {:?}", String::from_utf8_lossy(wire)));
        let line = &rest[..end];
        assert!(
            !line.contains(&b'\r') && !line.contains(&b'\n'),
            "bare CR/LF"
        );
        rest = &rest[end + 2..];
        if line.first() == Some(&0xff) {
            continue; // Telnet negotiation answer
        }
        let coded = line.len() >= 4 && line[..3].iter().all(u8::is_ascii_digit);
        match open {
            None => {
                assert!(
                    coded,
                    "line without code: {:?}",
                    String::from_utf8_lossy(line)
                );
                assert!((b'1'..=b'5').contains(&line[0]));
                if line[3] == b'-' {
                    open = Some([line[0], line[1], line[2]]);
                } else {
                    assert_eq!(line[3], b' ');
                }
            }
            Some(code) => {
                if line.len() >= 4 && line[..3] == code && line[3] == b' ' {
                    open = None;
                } else {
                    assert!(!(line.len() >= 3 && line[..3] == code && line.get(3) == Some(&b' ')));
                }
            }
        }
    }
    assert!(open.is_none(), "unfinished multi-line reply");
}
