//! Shared harness of the client transcript tests: drives a `ClientSession` with scripted
//! server bytes and collects what it sends and emits.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use ftps_proto::client::{
    ClientConfig, ClientError, ClientEvent, ClientOutput, ClientSession, OpId, OpOutput,
};
use ftps_proto::session::{CloseReason, DataAction, DataEvent, DataId, DataTls, TlsEvent};

/// One non-transmit output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item {
    StartTls,
    StopTls,
    Data(DataAction),
    Event(ClientEvent),
    Close(CloseReason),
}

pub struct Harness {
    pub c: ClientSession,
    pub now: Instant,
    /// Everything transmitted since the last `take_sent`.
    pub sent: Vec<u8>,
    /// Items drained by `take_sent`, returned by the next `drain`.
    pub stash: Vec<Item>,
}

pub const SERVER: &str = "198.51.100.7:21";

pub fn server() -> SocketAddr {
    SERVER.parse().unwrap()
}

/// A capture from `/work/shared/data/peers/<server>/<name>`.
pub fn capture(server: &str, name: &str) -> Vec<u8> {
    let path: PathBuf = [
        env!("CARGO_MANIFEST_DIR"),
        "..",
        "..",
        "shared",
        "data",
        "peers",
        server,
        name,
    ]
    .iter()
    .collect();
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

impl Harness {
    pub fn new(config: ClientConfig) -> Self {
        Self::with_server(config, server())
    }

    pub fn with_server(config: ClientConfig, server: SocketAddr) -> Self {
        let now = Instant::now();
        Harness {
            c: ClientSession::new(config, server, now),
            now,
            sent: Vec::new(),
            stash: Vec::new(),
        }
    }

    /// Plain FTP, through the greeting and an empty FEAT: ready, nothing pending.
    pub fn plain_ready() -> Self {
        Self::ready_with(ClientConfig::plain())
    }

    /// `config` (plain security expected) through greeting + FEAT.
    pub fn ready_with(config: ClientConfig) -> Self {
        let mut h = Harness::new(config);
        h.feed(b"220 ready\r\n");
        h.feed(b"211 no features\r\n");
        assert!(h.c.is_ready());
        h.take_sent();
        h
    }

    /// Explicit FTPS (TLS required, PROT P before login) through setup.
    pub fn tls_ready() -> Self {
        let mut h = Harness::new(ClientConfig::default());
        h.feed(b"220 ready\r\n");
        assert_eq!(h.take_sent(), "AUTH TLS\r\n");
        assert_eq!(h.feed(b"234 go\r\n"), vec![Item::StartTls]);
        h.tls(TlsEvent::Established);
        h.feed(b"211 no features\r\n");
        h.feed(b"200 PBSZ=0\r\n");
        h.feed(b"200 PROT P\r\n");
        assert!(h.c.is_ready());
        h.take_sent();
        h
    }

    /// Drains the outputs: transmitted bytes go to `sent`, the rest is returned.
    pub fn drain(&mut self) -> Vec<Item> {
        let mut items = std::mem::take(&mut self.stash);
        for _ in 0..10_000 {
            match self.c.poll_output() {
                ClientOutput::Transmit(b) => self.sent.extend_from_slice(b),
                ClientOutput::StartTls { .. } => items.push(Item::StartTls),
                ClientOutput::StopTls => items.push(Item::StopTls),
                ClientOutput::Data(a) => items.push(Item::Data(a)),
                ClientOutput::Event(e) => items.push(Item::Event(e)),
                ClientOutput::Close(r) => items.push(Item::Close(r)),
                ClientOutput::Timeout(_) => return items,
                other => panic!("unknown output {other:?}"),
            }
        }
        panic!("poll_output never returned Timeout");
    }

    pub fn feed(&mut self, bytes: &[u8]) -> Vec<Item> {
        self.c.handle_input(self.now, bytes);
        self.drain()
    }

    /// Feeds one byte at a time, collecting everything.
    pub fn feed_bytewise(&mut self, bytes: &[u8]) -> Vec<Item> {
        let mut items = Vec::new();
        for b in bytes {
            items.extend(self.feed(std::slice::from_ref(b)));
        }
        items
    }

    pub fn eof(&mut self) -> Vec<Item> {
        self.c.handle_eof(self.now);
        self.drain()
    }

    pub fn tls(&mut self, e: TlsEvent) -> Vec<Item> {
        self.c.handle_tls(self.now, e);
        self.drain()
    }

    pub fn data(&mut self, id: DataId, e: DataEvent) -> Vec<Item> {
        self.c.handle_data(self.now, id, e);
        self.drain()
    }

    pub fn connected(&mut self, id: DataId, tls: bool) -> Vec<Item> {
        let peer = SocketAddr::new(self.c.server_addr().ip(), 40000);
        let tls = tls.then_some(DataTls {
            resumed_control_session: true,
        });
        self.data(id, DataEvent::Connected { peer, tls })
    }

    /// Jumps to the earliest deadline and fires it.
    pub fn advance_to_deadline(&mut self) -> Vec<Item> {
        let at = self.c.poll_timeout().expect("a timer runs");
        self.now = at;
        self.c.handle_timeout(at);
        self.drain()
    }

    pub fn advance(&mut self, d: Duration) -> Vec<Item> {
        self.now += d;
        self.c.handle_timeout(self.now);
        self.drain()
    }

    /// Drains (keeping the items for the next `drain`) and returns what was transmitted.
    pub fn take_sent(&mut self) -> String {
        let items = self.drain();
        self.stash = items;
        String::from_utf8_lossy(&std::mem::take(&mut self.sent)).into_owned()
    }
}

/// The `Done` result of `op` in `items`.
pub fn done(items: &[Item], op: OpId) -> Result<OpOutput, ClientError> {
    items
        .iter()
        .find_map(|i| match i {
            Item::Event(ClientEvent::Done { op: o, result }) if *o == op => Some(result.clone()),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no Done for {op:?} in {items:?}"))
}

/// The `Done` results in `items`, in order.
pub fn dones(items: &[Item]) -> Vec<(OpId, Result<OpOutput, ClientError>)> {
    items
        .iter()
        .filter_map(|i| match i {
            Item::Event(ClientEvent::Done { op, result }) => Some((*op, result.clone())),
            _ => None,
        })
        .collect()
}

pub fn has_done(items: &[Item]) -> bool {
    !dones(items).is_empty()
}

/// The data id announced by `TransferData`.
pub fn transfer_data(items: &[Item]) -> DataId {
    items
        .iter()
        .find_map(|i| match i {
            Item::Event(ClientEvent::TransferData { data, .. }) => Some(*data),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no TransferData in {items:?}"))
}

pub fn close_reason(items: &[Item]) -> Option<CloseReason> {
    items.iter().find_map(|i| match i {
        Item::Close(r) => Some(r.clone()),
        _ => None,
    })
}

pub fn violation(items: &[Item]) -> Option<ftps_proto::client::Violation> {
    items.iter().find_map(|i| match i {
        Item::Event(ClientEvent::ProtocolViolation { violation }) => Some(*violation),
        _ => None,
    })
}

/// A reply as the client reports it.
pub fn reply(code: u16, text: &str) -> ftps_proto::Reply<'static> {
    ftps_proto::Reply::new(
        ftps_proto::ReplyCode::new(code).unwrap(),
        text.as_bytes().to_vec(),
    )
}
