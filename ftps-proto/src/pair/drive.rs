//! The [`Pair`]'s drive loop: draining both sessions, delivering control bytes, TLS
//! progress, server requests, data events and byte movement, timers.

use crate::ascii::AsciiEncoder;
use crate::client::{ClientEvent, ClientOutput};
use crate::server::{Request, ServerEvent, ServerOutput};
use crate::session::{DataAction, DataError, DataEvent, TlsEvent};

use super::data::{DataFault, Queued};
use super::storage::ServerJob;
use super::wire::{Delivery, Layer, TlsState};
use super::{OpData, Pair, PairError, Side};

/// A non-transmit output, owned (so the session is free again).
enum Act {
    StartTls,
    StopTls,
    Data(DataAction),
    Close(crate::session::CloseReason),
}

impl Pair {
    /// Runs until nothing more can happen without time passing; returns the steps taken.
    ///
    /// # Errors
    ///
    /// [`PairError::NotIdle`] after [`PairOptions::max_steps`](super::PairOptions) steps.
    pub fn run(&mut self) -> Result<usize, PairError> {
        self.run_until_idle(self.options.max_steps)
    }

    /// Runs at most `max_steps` steps until nothing more can happen without time passing;
    /// returns the steps taken.
    ///
    /// # Errors
    ///
    /// [`PairError::NotIdle`] when the sessions are still busy after `max_steps` steps
    /// (a livelock).
    pub fn run_until_idle(&mut self, max_steps: usize) -> Result<usize, PairError> {
        for taken in 0..=max_steps {
            if !self.step() {
                return Ok(taken);
            }
        }
        Err(PairError::NotIdle { steps: max_steps })
    }

    /// One unit of progress: drain one session's outputs, answer a request, deliver one
    /// control read, complete a TLS exchange, or report one data event. Returns `false`
    /// when nothing could be done (idle). Useful to inject a fault at an exact point.
    pub fn step(&mut self) -> bool {
        self.drain_client()
            || self.drain_server()
            || self.answer_request()
            || self.deliver(Side::Server)
            || self.deliver(Side::Client)
            || self.tls_progress()
            || self.data_event(false)
            || self.data_event(true)
    }

    /// Calls `handle_timeout` on every open session whose deadline has passed.
    pub(crate) fn fire_timeouts(&mut self) {
        let now = self.now();
        if self.closed_reason(Side::Client).is_none()
            && self.client.poll_timeout().is_some_and(|t| t <= now)
        {
            self.client.handle_timeout(now);
        }
        if self.closed_reason(Side::Server).is_none()
            && self.server.poll_timeout().is_some_and(|t| t <= now)
        {
            self.server.handle_timeout(now);
        }
    }

    // ---- draining ----

    fn drain_client(&mut self) -> bool {
        let mut any = false;
        loop {
            let layer = self.tls_state(Side::Client).write_layer();
            let act = match self.client.poll_output() {
                ClientOutput::Transmit(bytes) => {
                    self.to_server.push(layer, bytes);
                    self.client_wire.extend_from_slice(bytes);
                    any = true;
                    continue;
                }
                ClientOutput::Timeout(_) => return any,
                ClientOutput::Event(event) => {
                    self.on_client_event(event);
                    any = true;
                    continue;
                }
                ClientOutput::StartTls { .. } => Act::StartTls,
                ClientOutput::StopTls => Act::StopTls,
                ClientOutput::Data(action) => Act::Data(action),
                ClientOutput::Close(reason) => Act::Close(reason),
            };
            any = true;
            self.act(Side::Client, act);
        }
    }

    fn drain_server(&mut self) -> bool {
        let mut any = false;
        loop {
            let layer = self.tls_state(Side::Server).write_layer();
            let act = match self.server.poll_output() {
                ServerOutput::Transmit(bytes) => {
                    self.to_client.push(layer, bytes);
                    self.server_wire.extend_from_slice(bytes);
                    any = true;
                    continue;
                }
                ServerOutput::Timeout(_) => return any,
                ServerOutput::Event(event) => {
                    if let ServerEvent::Request { id, request } = &event {
                        self.requests.push_back((*id, request.clone()));
                    }
                    self.server_events.push(event);
                    any = true;
                    continue;
                }
                ServerOutput::StartTls { .. } => Act::StartTls,
                ServerOutput::StopTls => Act::StopTls,
                ServerOutput::Data(action) => Act::Data(action),
                ServerOutput::Close(reason) => Act::Close(reason),
            };
            any = true;
            self.act(Side::Server, act);
        }
    }

    fn on_client_event(&mut self, event: ClientEvent) {
        match &event {
            ClientEvent::Done { op, result } => {
                if self.results.contains_key(op) || self.done_seen(*op) {
                    self.anomalies
                        .push(format!("second Done for operation {}", op.get()));
                }
                self.results.insert(*op, result.clone());
            }
            ClientEvent::TransferData { op, data } => {
                self.data_ops.insert(*data, *op);
                self.ops.entry(*op).or_default();
            }
            _ => {}
        }
        self.client_events.push(event);
    }

    /// Whether a `Done` for `op` is in the client's event log already.
    fn done_seen(&self, op: crate::client::OpId) -> bool {
        self.client_events
            .iter()
            .any(|e| matches!(e, ClientEvent::Done { op: o, .. } if *o == op))
    }

    fn act(&mut self, side: Side, act: Act) {
        let i = side as usize;
        match act {
            Act::StartTls => {
                if let Some(t) = self.tls.get_mut(i) {
                    *t = TlsState::Starting;
                }
            }
            Act::StopTls => {
                if let Some(t) = self.tls.get_mut(i) {
                    *t = TlsState::Stopping;
                }
            }
            Act::Data(action) => self.data_action(side, action),
            Act::Close(reason) => {
                if let Some(c) = self.closed.get_mut(i) {
                    c.get_or_insert(reason);
                }
                // What was transmitted is flushed, then the peer reads EOF; nothing more
                // reaches this side.
                self.pipe_to(side.other()).close();
                self.pipe_to(side).discard();
                self.net.close_side(side);
            }
        }
    }

    fn data_action(&mut self, side: Side, action: DataAction) {
        let own = self.addr(side).ip();
        match action {
            DataAction::Listen {
                id,
                ip,
                ports,
                protection,
                // The fake network ignores the adapter-side filter on purpose: its stranger
                // still reaches the session, which must refuse it itself (S2577-PEER).
                accept_from: _,
            } => self
                .net
                .listen(side, id, ip, own, ports.as_ref(), protection.tls),
            DataAction::Connect {
                id,
                addr,
                protection,
            } => {
                let resume = self.options.resume_data_tls;
                self.net
                    .connect(side, id, addr, own, protection.tls, resume);
            }
            DataAction::Start { id } => {
                if let Some(conn) = self.net.start(side, id) {
                    self.move_bytes(conn);
                }
            }
            DataAction::Reject { id } => self.net.reject(side, id),
            DataAction::Close { id } => {
                self.net.close(side, id);
                if side == Side::Server {
                    self.jobs.remove(&id);
                }
            }
        }
    }

    // ---- the server application ----

    fn answer_request(&mut self) -> bool {
        if self.hold || self.closed_reason(Side::Server).is_some() {
            return false;
        }
        let Some((id, request)) = self.requests.pop_front() else {
            return false;
        };
        let secs = i64::try_from(self.elapsed.as_secs()).unwrap_or(i64::MAX);
        self.storage
            .set_now_unix(super::UNIX_BASE.saturating_add(secs));
        let (response, job) = self.storage.answer(&request);
        if let (
            Some(job),
            Request::Retrieve { data, .. }
            | Request::Store { data, .. }
            | Request::List { data, .. },
        ) = (job, &request)
        {
            self.jobs.insert(*data, job);
        }
        let now = self.now();
        if let Err(e) = self.server.respond(now, id, response) {
            self.anomalies
                .push(format!("respond to request {} refused: {e}", id.get()));
        }
        true
    }

    // ---- control bytes and TLS ----

    fn deliver(&mut self, to: Side) -> bool {
        if self.unresponsive.get(to as usize).copied().unwrap_or(false)
            || self.closed_reason(to).is_some()
        {
            return false;
        }
        let rx = self.tls_state(to);
        let max = self.options.read_size;
        let Some(delivery) = self.pipe_to(to).take(rx, max) else {
            return false;
        };
        let now = self.now();
        match (delivery, to) {
            (Delivery::Bytes(b), Side::Client) => self.client.handle_input(now, &b),
            (Delivery::Bytes(b), Side::Server) => self.server.handle_input(now, &b),
            (Delivery::Eof, Side::Client) => self.client.handle_eof(now),
            (Delivery::Eof, Side::Server) => self.server.handle_eof(now),
            (Delivery::Broken, side) => {
                // The TLS layer read a plaintext record: it fails and the connection ends.
                self.pipe_to(side.other()).drop_all();
                match side {
                    Side::Client => self.client.handle_eof(now),
                    Side::Server => self.server.handle_eof(now),
                }
            }
        }
        true
    }

    /// Completes a handshake (or close_notify exchange) both sides asked for, once nothing
    /// of the old layer is in flight.
    fn tls_progress(&mut self) -> bool {
        if self.unresponsive.iter().any(|&u| u) || self.closed.iter().any(Option::is_some) {
            return false;
        }
        let old = match self.tls {
            [TlsState::Starting, TlsState::Starting] => Layer::Plain,
            [TlsState::Stopping, TlsState::Stopping] => Layer::Tls,
            _ => return false,
        };
        if self.to_server.front_layer() == Some(old) || self.to_client.front_layer() == Some(old) {
            return false;
        }
        let now = self.now();
        let (state, event) = if old == Layer::Tls {
            (TlsState::Plain, TlsEvent::Stopped)
        } else if self.handshake_faults > 0 {
            self.handshake_faults -= 1;
            (TlsState::Plain, TlsEvent::Failed)
        } else {
            (TlsState::Tls, TlsEvent::Established)
        };
        self.tls = [state; 2];
        self.server.handle_tls(now, event);
        self.client.handle_tls(now, event);
        true
    }

    // ---- data ----

    /// Reports one queued data event (from the late queue when `late`).
    fn data_event(&mut self, late: bool) -> bool {
        let queue = if late {
            &mut self.net.late
        } else {
            &mut self.net.events
        };
        let unresponsive = self.unresponsive;
        let Some(at) = queue
            .iter()
            .position(|q| !unresponsive.get(q.side as usize).copied().unwrap_or(false))
        else {
            return false;
        };
        let Some(q) = queue.remove(at) else {
            return false;
        };
        if self.closed_reason(q.side).is_some() {
            return true;
        }
        if matches!(q.event, DataEvent::Connected { .. }) {
            self.net.reported(q.side, q.id, q.conn);
        }
        let now = self.now();
        match q.side {
            Side::Client => self.client.handle_data(now, q.id, q.event),
            Side::Server => self.server.handle_data(now, q.id, q.event),
        }
        true
    }

    /// Both ends of connection `at` started: move its bytes and queue the end events.
    fn move_bytes(&mut self, at: usize) {
        let Some(conn) = self.net.conns.get(at) else {
            return;
        };
        let (client_id, server_id, fault, record) =
            (conn.client, conn.server, conn.fault, conn.record);
        if fault == Some(DataFault::Stall) {
            return;
        }
        let job = self
            .jobs
            .remove(&server_id)
            .unwrap_or(ServerJob::Send(Vec::new()));
        let op = self.data_ops.get(&client_id).copied();
        let upload = matches!(job, ServerJob::Receive { .. });
        // The bytes on the wire.
        let wire = match &job {
            ServerJob::Send(bytes) => bytes.clone(),
            ServerJob::Receive { .. } => op
                .and_then(|op| self.ops.get(&op))
                .map(network_form)
                .unwrap_or_default(),
        };
        let total = wire.len() as u64;
        let crossed = match fault {
            Some(DataFault::Broken { after } | DataFault::Truncated { after }) => after.min(total),
            _ => total,
        };
        let part = wire
            .get(
                ..usize::try_from(crossed)
                    .unwrap_or(usize::MAX)
                    .min(wire.len()),
            )
            .unwrap_or_default();
        // The receiver keeps what crossed.
        let mut storage_error = None;
        match &job {
            ServerJob::Send(_) => {
                if let Some(d) = op.and_then(|op| self.ops.get_mut(&op)) {
                    d.receive(part);
                }
            }
            ServerJob::Receive { path, ascii } => {
                if let Err(e) = self.storage.write_upload(path, *ascii, part) {
                    storage_error = Some(e);
                }
            }
        }
        let (sender, receiver) = if upload {
            (Side::Client, Side::Server)
        } else {
            (Side::Server, Side::Client)
        };
        let finished = DataEvent::Finished { bytes: crossed };
        let (sender_event, receiver_event) = match fault {
            Some(DataFault::Broken { .. }) => (
                DataEvent::Failed(DataError::Broken),
                DataEvent::Failed(DataError::Broken),
            ),
            Some(DataFault::Truncated { .. }) => {
                (finished.clone(), DataEvent::Failed(DataError::Truncated))
            }
            _ => (finished.clone(), finished),
        };
        let server_event = |e: DataEvent| match storage_error {
            Some(s) => DataEvent::Failed(DataError::Storage(s)),
            None => e,
        };
        let mut events = vec![(sender, sender_event), (receiver, receiver_event)];
        for (side, event) in &mut events {
            if *side == Side::Server {
                *event = server_event(event.clone());
            }
        }
        if let Some(c) = self.net.conns.get_mut(at) {
            c.done = true;
        }
        if let Some(r) = self.net.records.get_mut(record) {
            r.upload = Some(upload);
            r.bytes = crossed;
            r.complete = !matches!(
                fault,
                Some(DataFault::Broken { .. } | DataFault::Truncated { .. })
            ) && storage_error.is_none();
        }
        for (side, event) in events {
            let id = match side {
                Side::Client => client_id,
                Side::Server => server_id,
            };
            let q = Queued {
                side,
                id,
                event,
                conn: None,
            };
            if side == Side::Client && self.options.late_client_data_end {
                self.net.late.push_back(q);
            } else {
                self.net.events.push_back(q);
            }
        }
    }
}

/// An upload's bytes on the wire: the network form of the local file, from the offset.
fn network_form(d: &OpData) -> Vec<u8> {
    let full = if d.ascii {
        let mut out = Vec::with_capacity(d.upload.len());
        AsciiEncoder::new().convert(&d.upload, &mut out);
        out
    } else {
        d.upload.clone()
    };
    let from = usize::try_from(d.offset)
        .unwrap_or(usize::MAX)
        .min(full.len());
    full.get(from..).unwrap_or_default().to_vec()
}
