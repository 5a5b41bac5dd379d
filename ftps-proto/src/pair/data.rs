//! The simulated data network of a [`Pair`](super::Pair): listeners, connections between a
//! client and a server [`DataId`], their TLS, faults, and the queue of [`DataEvent`]s to
//! report.

use std::collections::VecDeque;
use std::net::{IpAddr, SocketAddr};
use std::ops::RangeInclusive;

use super::Side;
use crate::session::{DataError, DataEvent, DataId, DataTls};

/// A fault for the next data connection, queued with
/// [`Pair::fault_next_data`](super::Pair::fault_next_data).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DataFault {
    /// The connection is reset after `after` bytes: both ends report
    /// [`DataError::Broken`], the receiver keeps the bytes that crossed.
    Broken {
        /// Bytes that cross before the reset.
        after: u64,
    },
    /// The stream ends after `after` bytes without TLS close_notify (a forged FIN): the
    /// sender reports `Finished`, the receiver [`DataError::Truncated`].
    Truncated {
        /// Bytes that cross before the end.
        after: u64,
    },
    /// The connection opens but no byte ever moves (a peer that stopped reading).
    Stall,
    /// The connection attempt goes nowhere: no event at all (a dropped SYN).
    NoConnect,
    /// The connection attempt is refused: the connecting end reports
    /// [`DataError::ConnectFailed`].
    Refused,
    /// The data TLS handshake fails: both ends report [`DataError::TlsFailed`].
    TlsFailed,
    /// The data TLS handshake does not resume the control connection's session.
    FreshTlsSession,
}

/// What happened to one data connection, for tests (see
/// [`Pair::data_log`](super::Pair::data_log)).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct DataRecord {
    /// The client session's handle.
    pub client: DataId,
    /// The server session's handle.
    pub server: DataId,
    /// The TLS session, when the connection is TLS.
    pub tls: Option<DataTls>,
    /// The fault applied, if any.
    pub fault: Option<DataFault>,
    /// The bytes flowed from the client to the server (known once both ends started).
    pub upload: Option<bool>,
    /// Bytes that crossed the connection.
    pub bytes: u64,
    /// Every byte crossed and both ends were told `Finished`.
    pub complete: bool,
}

/// A listening socket.
#[derive(Debug)]
struct Listener {
    side: Side,
    id: DataId,
    addr: SocketAddr,
    tls: bool,
}

/// An established connection between the two sessions' handles.
#[derive(Debug)]
pub(crate) struct Conn {
    pub(crate) client: DataId,
    pub(crate) server: DataId,
    started: [bool; 2],
    /// Ended (finished, failed or closed): no further event is produced for it.
    pub(crate) done: bool,
    pub(crate) fault: Option<DataFault>,
    /// Index in the record log.
    pub(crate) record: usize,
}

impl Conn {
    fn id(&self, side: Side) -> DataId {
        match side {
            Side::Client => self.client,
            Side::Server => self.server,
        }
    }
}

/// A data event waiting to be reported.
#[derive(Debug)]
pub(crate) struct Queued {
    pub(crate) side: Side,
    pub(crate) id: DataId,
    pub(crate) event: DataEvent,
    /// The connection a `Connected` event is about (`None`: a stranger's).
    pub(crate) conn: Option<usize>,
}

/// The data network.
#[derive(Debug)]
pub(crate) struct DataNet {
    listeners: Vec<Listener>,
    pub(crate) conns: Vec<Conn>,
    /// Events to report, first first.
    pub(crate) events: VecDeque<Queued>,
    /// Events held until nothing else can happen (the late client data end option).
    pub(crate) late: VecDeque<Queued>,
    /// The connection last reported `Connected` on each (side, id): what `Reject` drops.
    reported: Vec<(Side, DataId, Option<usize>)>,
    faults: VecDeque<DataFault>,
    /// A stranger connects to the next passive listener first.
    steal: bool,
    next_port: [u16; 2],
    pub(crate) records: Vec<DataRecord>,
}

/// Where the stranger of [`DataNet::steal`] connects from.
const STRANGER: SocketAddr =
    SocketAddr::new(IpAddr::V4(std::net::Ipv4Addr::new(203, 0, 113, 66)), 31337);

impl DataNet {
    pub(crate) fn new() -> DataNet {
        DataNet {
            listeners: Vec::new(),
            conns: Vec::new(),
            events: VecDeque::new(),
            late: VecDeque::new(),
            reported: Vec::new(),
            faults: VecDeque::new(),
            steal: false,
            next_port: [40_001, 50_000],
            records: Vec::new(),
        }
    }

    fn push(&mut self, side: Side, id: DataId, event: DataEvent) {
        self.events.push_back(Queued {
            side,
            id,
            event,
            conn: None,
        });
    }

    /// `side` was told `Connected` for `conn` on `id` (`None`: a stranger).
    pub(crate) fn reported(&mut self, side: Side, id: DataId, conn: Option<usize>) {
        self.reported.retain(|(s, i, _)| !(*s == side && *i == id));
        self.reported.push((side, id, conn));
    }

    pub(crate) fn push_fault(&mut self, fault: DataFault) {
        self.faults.push_back(fault);
    }

    pub(crate) fn steal_next(&mut self) {
        self.steal = true;
    }

    fn port(&mut self, side: Side, range: Option<&RangeInclusive<u16>>) -> u16 {
        let slot = &mut self.next_port[side as usize];
        let port = match range {
            Some(r) if !r.is_empty() => {
                let span = u32::from(*r.end()) - u32::from(*r.start()) + 1;
                let pick = u32::from(*r.start()) + u32::from(*slot) % span;
                // cannot truncate: pick <= r.end(), a u16.
                pick as u16
            }
            _ => *slot,
        };
        *slot = slot.checked_add(1).unwrap_or(1024);
        port
    }

    /// `Listen` from `side`: bind a fake port on `ip` (or on `own` when unspecified).
    pub(crate) fn listen(
        &mut self,
        side: Side,
        id: DataId,
        ip: IpAddr,
        own: IpAddr,
        ports: Option<&RangeInclusive<u16>>,
        tls: bool,
    ) {
        let ip = if ip.is_unspecified() { own } else { ip };
        let addr = SocketAddr::new(ip, self.port(side, ports));
        self.listeners.push(Listener {
            side,
            id,
            addr,
            tls,
        });
        self.push(side, id, DataEvent::Listening { addr });
        if side == Side::Server && std::mem::take(&mut self.steal) {
            // S2577-PEER: a stranger races the real client to the passive port.
            let tls = tls.then_some(DataTls {
                resumed_control_session: false,
            });
            self.push(
                side,
                id,
                DataEvent::Connected {
                    peer: STRANGER,
                    tls,
                },
            );
        }
    }

    /// `Connect` from `side` (whose own address is `own`) to `addr`.
    pub(crate) fn connect(
        &mut self,
        side: Side,
        id: DataId,
        addr: SocketAddr,
        own: IpAddr,
        tls: bool,
        resume: bool,
    ) {
        let fault = self.faults.pop_front();
        match fault {
            Some(DataFault::NoConnect) => return,
            Some(DataFault::Refused) => {
                self.push(side, id, DataEvent::Failed(DataError::ConnectFailed));
                return;
            }
            _ => {}
        }
        let Some(at) = self
            .listeners
            .iter()
            .position(|l| l.side != side && l.addr == addr)
        else {
            self.push(side, id, DataEvent::Failed(DataError::ConnectFailed));
            return;
        };
        let Some(listener) = self.listeners.get(at) else {
            return;
        };
        let (lside, lid, ltls) = (listener.side, listener.id, listener.tls);
        let (client, server) = match side {
            Side::Client => (id, lid),
            Side::Server => (lid, id),
        };
        // The FTP client is the TLS client in both modes (DESIGN §4): its wish decides
        // whether a handshake is attempted at all.
        let (client_tls, server_tls) = match side {
            Side::Client => (tls, ltls),
            Side::Server => (ltls, tls),
        };
        // A TLS fault needs a TLS connection to apply to.
        let fault = fault.filter(|f| {
            client_tls || !matches!(f, DataFault::TlsFailed | DataFault::FreshTlsSession)
        });
        let session = DataTls {
            resumed_control_session: resume && fault != Some(DataFault::FreshTlsSession),
        };
        let record = self.records.len();
        self.records.push(DataRecord {
            client,
            server,
            tls: client_tls.then_some(session),
            fault,
            upload: None,
            bytes: 0,
            complete: false,
        });
        let mut conn = Conn {
            client,
            server,
            started: [false; 2],
            done: false,
            fault,
            record,
        };
        let own_peer = SocketAddr::new(own, 40_000u16.wrapping_add(record as u16));
        let (client_peer, server_peer) = match side {
            Side::Client => (addr, own_peer),
            Side::Server => (own_peer, addr),
        };
        let peer_of = |s: Side| match s {
            Side::Client => client_peer,
            Side::Server => server_peer,
        };
        let mut events: Vec<(Side, DataEvent)> = Vec::new();
        if fault == Some(DataFault::TlsFailed) && client_tls {
            conn.done = true;
            events.push((lside, DataEvent::Failed(DataError::TlsFailed)));
            events.push((side, DataEvent::Failed(DataError::TlsFailed)));
        } else if client_tls && !server_tls {
            // The client's handshake meets a plaintext accept: it fails on the client; the
            // server saw a plain connection that then breaks.
            conn.done = true;
            events.push((
                Side::Server,
                DataEvent::Connected {
                    peer: peer_of(Side::Server),
                    tls: None,
                },
            ));
            events.push((Side::Client, DataEvent::Failed(DataError::TlsFailed)));
            events.push((Side::Server, DataEvent::Failed(DataError::Broken)));
        } else {
            let tls = client_tls.then_some(session);
            for s in [lside, side] {
                events.push((
                    s,
                    DataEvent::Connected {
                        peer: peer_of(s),
                        tls,
                    },
                ));
            }
        }
        let index = self.conns.len();
        for (s, event) in events {
            self.events.push_back(Queued {
                side: s,
                id: conn.id(s),
                event,
                conn: Some(index),
            });
        }
        self.conns.push(conn);
    }

    /// `Start` from `side`; returns the connection index when both ends started.
    pub(crate) fn start(&mut self, side: Side, id: DataId) -> Option<usize> {
        let at = self.live(side, id)?;
        let conn = self.conns.get_mut(at)?;
        if let Some(s) = conn.started.get_mut(side as usize) {
            *s = true;
        }
        (conn.started == [true, true]).then_some(at)
    }

    /// The index of the live connection of `side`'s `id`.
    fn live(&self, side: Side, id: DataId) -> Option<usize> {
        self.conns.iter().rposition(|c| !c.done && c.id(side) == id)
    }

    /// `Reject` from `side`: the most recent connection on `id` is dropped, the listener
    /// stays; the other end sees a reset.
    pub(crate) fn reject(&mut self, side: Side, id: DataId) {
        let last = self
            .reported
            .iter()
            .find(|(s, i, _)| *s == side && *i == id)
            .and_then(|(_, _, c)| *c);
        let Some(conn) = last.and_then(|at| self.conns.get_mut(at)) else {
            return; // A stranger's connection: dropping it touches no session.
        };
        if conn.done {
            return;
        }
        conn.done = true;
        let other = side.other();
        let peer = conn.id(other);
        self.push(other, peer, DataEvent::Failed(DataError::Broken));
    }

    /// `Close` from `side`: the listener and any live connection on `id` go away.
    pub(crate) fn close(&mut self, side: Side, id: DataId) {
        self.listeners.retain(|l| !(l.side == side && l.id == id));
        self.end(side, id);
        self.events.retain(|q| !(q.side == side && q.id == id));
        self.late.retain(|q| !(q.side == side && q.id == id));
    }

    fn end(&mut self, side: Side, id: DataId) {
        let other = side.other();
        let mut resets = Vec::new();
        for conn in self
            .conns
            .iter_mut()
            .filter(|c| c.id(side) == id && !c.done)
        {
            conn.done = true;
            resets.push(conn.id(other));
        }
        for peer in resets {
            self.push(other, peer, DataEvent::Failed(DataError::Broken));
        }
    }

    /// Every connection and listener of `side` goes away (its control connection closed).
    pub(crate) fn close_side(&mut self, side: Side) {
        let ids: Vec<DataId> = self
            .conns
            .iter()
            .filter(|c| !c.done)
            .map(|c| c.id(side))
            .chain(
                self.listeners
                    .iter()
                    .filter(|l| l.side == side)
                    .map(|l| l.id),
            )
            .collect();
        for id in ids {
            self.close(side, id);
        }
    }

    /// Every live connection fails now with `error` on both ends.
    pub(crate) fn reset_all(&mut self, error: DataError) {
        let mut ends = Vec::new();
        for conn in self.conns.iter_mut().filter(|c| !c.done) {
            conn.done = true;
            ends.extend([Side::Client, Side::Server].map(|s| (s, conn.id(s))));
        }
        for (s, id) in ends {
            self.push(s, id, DataEvent::Failed(error));
        }
    }
}
