//! The session's engine: output queue, reply validation and routing to the running job,
//! fatal errors, timers and the operation queue. Each job's own transitions live in
//! `setup.rs`, `login.rs`, `single.rs` and `transfer.rs`.

use std::time::Instant;

use super::errors::{ClientError, LocalError, TimerKind, Violation};
use super::output::{ClientEvent, OpId, OpOutput};
use super::state::{InFlight, Job, Out, Queued, Sent};
use super::ClientSession;
use crate::codec::{Command, ProtectionLevel, Reply, ReplyCode, ReplyError};
use crate::session::{CloseReason, DataAction, DataEvent, DataId, TlsEvent};

/// What a job handler decided.
#[derive(Debug)]
pub(crate) enum Step {
    /// The job goes on (a command is in flight, or it waits for an event).
    Continue,
    /// The job is done with this result.
    Done(Result<OpOutput, ClientError>),
    /// The job is done; then the session closes for `reason` (after `QUIT`).
    DoneClose(Result<OpOutput, ClientError>, CloseReason),
    /// The session cannot go on: fail everything and close.
    Fatal(ClientError, CloseReason),
    /// The server broke the protocol.
    Violation(Violation),
}

impl ClientSession {
    // ---- output ----

    pub(crate) fn emit(&mut self, out: Out) {
        self.out.push_back(out);
    }

    pub(crate) fn emit_event(&mut self, event: ClientEvent) {
        self.out.push_back(Out::Event(event));
    }

    pub(crate) fn emit_data(&mut self, action: DataAction) {
        self.out.push_back(Out::Data(action));
    }

    /// Appends `bytes` (a whole encoded line) to the transmit buffer.
    fn transmit_appended(&mut self, n: usize) {
        if n == 0 {
            return;
        }
        if let Some(Out::Transmit(len)) = self.out.back_mut() {
            *len += n;
        } else {
            self.out.push_back(Out::Transmit(n));
        }
    }

    /// Encodes and queues `cmd`, waiting for its reply as `sent`; starts the reply timer.
    pub(crate) fn send(&mut self, cmd: &Command<'_>, sent: Sent) -> Result<(), LocalError> {
        let before = self.tx.len();
        if let Err(e) = cmd.encode(&mut self.tx) {
            self.tx.truncate(before);
            return Err(e.into());
        }
        self.transmit_appended(self.tx.len() - before);
        self.await_reply(sent);
        Ok(())
    }

    fn await_reply(&mut self, sent: Sent) {
        self.inflight = Some(InFlight {
            sent,
            preliminary: false,
        });
        self.arm(TimerKind::Reply);
    }

    /// Sends a command of the running job, turning an encoding failure into the job's end.
    pub(crate) fn send_step(&mut self, cmd: &Command<'_>, sent: Sent) -> Step {
        match self.send(cmd, sent) {
            Ok(()) => Step::Continue,
            Err(e) => Step::Done(Err(ClientError::Local(e))),
        }
    }

    /// Test-encodes `cmd` so that an operation with a bad argument is refused up front.
    pub(crate) fn check(&mut self, cmd: &Command<'_>) -> Result<(), LocalError> {
        self.scratch.clear();
        let result = cmd.encode(&mut self.scratch).map_err(LocalError::from);
        // The scratch may hold a password: do not keep it around.
        self.scratch.clear();
        result
    }

    pub(crate) fn arm(&mut self, kind: TimerKind) {
        let t = &self.config.timeouts;
        let after = match kind {
            TimerKind::Greeting => t.greeting,
            TimerKind::Reply => t.reply,
            TimerKind::DataConnect => t.data_connect,
            TimerKind::DataStall => t.data_stall,
            TimerKind::TlsHandshake => t.tls_handshake,
        };
        self.timers.set(kind, self.now.checked_add(after));
    }

    pub(crate) fn new_data_id(&mut self) -> DataId {
        self.next_data += 1;
        DataId(self.next_data)
    }

    /// Starts a TLS handshake (or, with `stop`, a close_notify) on the control connection.
    pub(crate) fn start_tls(&mut self, stop: bool) {
        self.emit(if stop { Out::StopTls } else { Out::StartTls });
        self.facts.awaiting_tls = true;
        self.arm(TimerKind::TlsHandshake);
    }

    // ---- queue ----

    pub(crate) fn check_open(&self) -> Result<(), LocalError> {
        if self.closed || self.facts.quit_requested {
            Err(LocalError::Closed)
        } else {
            Ok(())
        }
    }

    pub(crate) fn enqueue(&mut self, job: Queued) -> OpId {
        self.next_op += 1;
        let op = OpId(self.next_op);
        self.queue.push_back((op, job));
        self.drive();
        op
    }

    /// Starts the next queued operation when the session is ready and idle.
    pub(crate) fn drive(&mut self) {
        if self.facts.resetup && !self.closed && self.job.is_none() && self.inflight.is_none() {
            // T4217-REIN: back in plaintext after REIN; AUTH TLS again (and FEAT, PBSZ/PROT).
            self.facts.resetup = false;
            self.ready = false;
            let mut job = super::setup::SetupJob::default();
            let step = self.setup_restart(&mut job);
            self.settle(Job::Setup(job), step);
        }
        while !self.closed && self.ready && self.job.is_none() && self.inflight.is_none() {
            let Some((op, queued)) = self.queue.pop_front() else {
                return;
            };
            let mut job = match queued {
                Queued::Login(j) => Job::Login(op, j),
                Queued::Single(j) => Job::Single(op, j),
                Queued::Transfer(j) => Job::Transfer(op, j),
            };
            let step = match &mut job {
                Job::Setup(_) => Step::Continue,
                Job::Login(_, j) => self.login_advance(j),
                Job::Single(_, j) => self.single_start(j),
                Job::Transfer(op, j) => self.transfer_advance(*op, j),
            };
            self.settle(job, step);
        }
    }

    /// Applies a handler's decision to the job taken out of `self.job`.
    pub(crate) fn settle(&mut self, job: Job, step: Step) {
        if self.closed {
            return;
        }
        match step {
            Step::Continue => self.job = Some(job),
            Step::Done(result) => {
                self.finish(&job, result);
                self.drive();
            }
            Step::DoneClose(result, reason) => {
                self.finish(&job, result);
                self.fatal(ClientError::ConnectionClosed, reason);
            }
            Step::Fatal(error, reason) => {
                self.job = Some(job);
                self.fatal(error, reason);
            }
            Step::Violation(v) => {
                self.job = Some(job);
                self.violation(v);
            }
        }
    }

    /// Reports the end of `job`; `self.job` is already empty.
    fn finish(&mut self, job: &Job, result: Result<OpOutput, ClientError>) {
        if let Job::Transfer(_, t) = job {
            if let Some(id) = t.open_data() {
                self.emit_data(DataAction::Close { id });
            }
            self.timers.clear(TimerKind::DataConnect);
            self.timers.clear(TimerKind::DataStall);
        }
        match job.op() {
            Some(op) => self.emit_event(ClientEvent::Done { op, result }),
            None => match result {
                Ok(_) => {
                    self.ready = true;
                    let control_tls = self.facts.control_tls;
                    self.emit_event(ClientEvent::Ready { control_tls });
                }
                Err(error) => {
                    self.emit_event(ClientEvent::SetupFailed { error });
                    self.fatal(ClientError::ConnectionClosed, CloseReason::PeerClosed);
                }
            },
        }
    }

    // ---- fatal ----

    /// Fails the running job with `error`, every queued one too, and closes.
    pub(crate) fn fatal(&mut self, error: ClientError, reason: CloseReason) {
        if self.closed {
            return;
        }
        self.closed = true;
        self.timers.clear_all();
        self.inflight = None;
        let queued_error = match &error {
            ClientError::ServerClosed { .. } => error.clone(),
            _ => ClientError::ConnectionClosed,
        };
        if let Some(mut job) = self.job.take() {
            let mut error = error;
            if let Job::Transfer(_, t) = &mut job {
                if let Some(id) = t.open_data() {
                    self.emit_data(DataAction::Close { id });
                }
                // The first cause wins: a transfer that had already failed (data truncated,
                // aborted) reports that, not the close that followed.
                if let Some(first) = t.take_error() {
                    error = first;
                }
            }
            match job.op() {
                Some(op) => self.emit_event(ClientEvent::Done {
                    op,
                    result: Err(error),
                }),
                None => self.emit_event(ClientEvent::SetupFailed { error }),
            }
        }
        while let Some((op, _)) = self.queue.pop_front() {
            self.emit_event(ClientEvent::Done {
                op,
                result: Err(queued_error.clone()),
            });
        }
        self.emit(Out::Close(reason));
        self.lines.clear();
        self.replies.reset();
    }

    /// The server broke the protocol: report it, fail everything, close.
    pub(crate) fn violation(&mut self, violation: Violation) {
        if self.closed {
            return;
        }
        self.emit_event(ClientEvent::ProtocolViolation { violation });
        let reason = match violation {
            Violation::TlsInjection => CloseReason::TlsInjection,
            v => CloseReason::ProtocolViolation(v.as_str()),
        };
        self.fatal(ClientError::ProtocolViolation(violation), reason);
    }

    /// Sends `QUIT` without waiting for its reply, then fails everything with `error`.
    pub(crate) fn quit_and_fail(&mut self, error: ClientError) -> Step {
        // QUIT cannot fail to encode.
        let _ = self.send(&Command::Quit, Sent::Quit);
        Step::Fatal(error, CloseReason::Quit)
    }

    // ---- input ----

    pub(crate) fn on_input(&mut self, _now: Instant, data: &[u8]) {
        if self.closed || data.is_empty() {
            return;
        }
        if self.facts.awaiting_tls {
            // Plaintext while a handshake is due: injected before the TLS layer took over
            // (ATK-TLSINJ-C), or the server talking before the implicit handshake.
            self.violation(Violation::TlsInjection);
            return;
        }
        self.lines.push(data);
        while !self.closed && !self.facts.awaiting_tls {
            let reply = match self.lines.next_line() {
                None => break,
                // FRM-MAXREP: the only framing error is a line over the limit.
                Some(Err(_)) => Err(Violation::ReplyTooLong),
                Some(Ok(line)) => match self.replies.push_line(line) {
                    Ok(None) => continue,
                    Ok(Some(reply)) => Ok(reply),
                    Err(ReplyError::TooLong | ReplyError::TooManyLines) => {
                        Err(Violation::ReplyTooLong)
                    }
                    Err(_) => Err(Violation::MalformedReply),
                },
            };
            match reply {
                Ok(reply) => self.on_reply(reply),
                Err(v) => self.violation(v),
            }
        }
    }

    /// Bytes received and not yet consumed as a whole reply.
    pub(crate) fn input_pending(&self) -> bool {
        self.lines.buffered() > 0 || self.replies.in_progress()
    }

    pub(crate) fn on_eof(&mut self, _now: Instant) {
        if self.closed {
            return;
        }
        if self.input_pending() {
            self.violation(Violation::EofInsideReply);
            return;
        }
        if let Some(Job::Single(_, j)) = &self.job {
            if j.is_quit() && self.inflight.is_some() {
                // The server closed instead of answering QUIT: that is what QUIT asked for.
                if let Some(job) = self.job.take() {
                    self.inflight = None;
                    self.settle(job, Step::DoneClose(Ok(OpOutput::None), CloseReason::Quit));
                }
                return;
            }
        }
        self.fatal(ClientError::ConnectionClosed, CloseReason::PeerClosed);
    }

    /// One whole reply: check it against the command waiting for it, then hand it to the job.
    fn on_reply(&mut self, reply: Reply<'static>) {
        let code = reply.code();
        if code == ReplyCode::C421 {
            // REP-421: fatal at any time.
            self.fatal(ClientError::ServerClosed { reply }, CloseReason::Shutdown);
            return;
        }
        let Some(inflight) = self.inflight else {
            self.violation(Violation::UnsolicitedReply);
            return;
        };
        let sent = inflight.sent;
        if sent == Sent::Greeting
            && !(code == ReplyCode::C120
                || code == ReplyCode::C220
                || code.class() == 4
                || code.class() == 5)
        {
            self.violation(Violation::ReplyBeforeGreeting);
            return;
        }
        match code.class() {
            1 => {
                if !sent.allows_preliminary() || (sent == Sent::Rein && code != ReplyCode::C120) {
                    self.violation(Violation::UnexpectedPreliminary);
                    return;
                }
                if code == ReplyCode::C110 && matches!(sent, Sent::Transfer | Sent::Abort { .. }) {
                    // Restart markers (MODE B/C only) do not count as the one 1yz.
                    return;
                }
                if inflight.preliminary {
                    self.violation(Violation::SecondPreliminary);
                    return;
                }
                self.inflight = Some(InFlight {
                    sent,
                    preliminary: true,
                });
                self.timers.clear(TimerKind::Reply);
                if sent == Sent::Greeting || sent == Sent::Rein {
                    // "120 ready in nnn minutes": the 220 follows, maybe much later.
                    self.timers.clear(TimerKind::Reply);
                    return;
                }
                self.route(|s, job| match job {
                    Job::Transfer(op, t) => s.transfer_preliminary(*op, t, reply),
                    _ => Step::Violation(Violation::UnexpectedPreliminary),
                });
                return;
            }
            3 if !sent.allows_intermediate() => {
                self.violation(Violation::UnexpectedIntermediate);
                return;
            }
            2 if sent.requires_intermediate() => {
                self.violation(Violation::UnexpectedCompletion);
                return;
            }
            6 => {
                self.violation(Violation::MalformedReply);
                return;
            }
            _ => {}
        }
        if let Sent::Abort { finals } = sent {
            if finals > 1 {
                self.inflight = Some(InFlight {
                    sent: Sent::Abort { finals: finals - 1 },
                    preliminary: inflight.preliminary,
                });
                self.arm(TimerKind::Reply);
                return;
            }
        }
        self.inflight = None;
        self.timers.clear(TimerKind::Reply);
        if sent == Sent::Greeting {
            self.timers.clear(TimerKind::Greeting);
        }
        self.route(|s, job| match job {
            Job::Setup(j) => s.setup_reply(j, sent, reply),
            Job::Login(_, j) => s.login_reply(j, sent, reply),
            Job::Single(_, j) => s.single_reply(j, sent, reply),
            Job::Transfer(op, t) => s.transfer_reply(*op, t, sent, reply),
        });
    }

    /// Runs `f` on the running job (taken out of the session meanwhile) and settles it.
    pub(crate) fn route(&mut self, f: impl FnOnce(&mut Self, &mut Job) -> Step) {
        let Some(mut job) = self.job.take() else {
            self.violation(Violation::UnsolicitedReply);
            return;
        };
        let step = f(self, &mut job);
        self.settle(job, step);
    }

    // ---- TLS, data, timers, abort ----

    pub(crate) fn on_tls(&mut self, _now: Instant, event: TlsEvent) {
        if self.closed || !self.facts.awaiting_tls {
            return;
        }
        self.facts.awaiting_tls = false;
        self.timers.clear(TimerKind::TlsHandshake);
        match event {
            TlsEvent::Established => {
                self.facts.control_tls = true;
                self.route(|s, job| match job {
                    Job::Setup(j) => s.setup_tls_up(j),
                    _ => Step::Continue,
                });
            }
            TlsEvent::Stopped => {
                self.facts.control_tls = false;
                self.route(|s, job| match job {
                    Job::Single(_, j) => s.single_tls_stopped(j),
                    _ => Step::Continue,
                });
            }
            _ => self.fatal(ClientError::TlsFailed, CloseReason::TlsFailed),
        }
    }

    pub(crate) fn on_data(&mut self, _now: Instant, id: DataId, event: DataEvent) {
        if self.closed {
            return;
        }
        let ours = matches!(&self.job, Some(Job::Transfer(_, t)) if t.open_data() == Some(id));
        if !ours {
            return;
        }
        self.route(|s, job| match job {
            Job::Transfer(op, t) => s.transfer_data(*op, t, event),
            _ => Step::Continue,
        });
    }

    pub(crate) fn on_timeout(&mut self, now: Instant) {
        while let Some(kind) = self.timers.take_due(now) {
            if self.closed {
                return;
            }
            match kind {
                TimerKind::DataConnect | TimerKind::DataStall => {
                    self.route(|s, job| match job {
                        Job::Transfer(op, t) => s.transfer_timeout(*op, t, kind),
                        _ => Step::Continue,
                    });
                }
                kind => self.fatal(ClientError::Timeout(kind), CloseReason::Timeout),
            }
        }
    }

    pub(crate) fn on_abort(&mut self, _now: Instant, op: OpId) -> Result<(), LocalError> {
        if let Some(at) = self.queue.iter().position(|(id, _)| *id == op) {
            if let Some((_, queued)) = self.queue.remove(at) {
                if matches!(queued, Queued::Single(ref j) if j.is_quit()) {
                    self.facts.quit_requested = false;
                }
            }
            self.emit_event(ClientEvent::Done {
                op,
                result: Err(ClientError::Aborted),
            });
            return Ok(());
        }
        match &self.job {
            Some(Job::Transfer(id, _)) if *id == op => {}
            Some(j) if j.op() == Some(op) => return Err(LocalError::NotAbortable),
            _ => return Err(LocalError::UnknownOperation),
        }
        self.route(|s, job| match job {
            Job::Transfer(op, t) => s.transfer_abort(*op, t),
            _ => Step::Continue,
        });
        Ok(())
    }

    // ---- data protection (PBSZ/PROT), shared by setup, login and transfers ----

    /// The level `PROT` asks for.
    pub(crate) fn wanted_protection(&self) -> ProtectionLevel {
        self.config.protection
    }

    /// Sends the next of `PBSZ 0` / `PROT` still needed in this TLS session; `None` when
    /// nothing is needed.
    pub(crate) fn send_next_prot(&mut self) -> Option<Step> {
        let f = &self.facts;
        if !f.control_tls || f.prot_confirmed || f.prot_refusal.is_some() {
            return None;
        }
        Some(if self.facts.pbsz_done {
            let level = self.wanted_protection();
            self.send_step(&Command::Prot(level), Sent::Prot)
        } else {
            self.send_step(&Command::Pbsz(0), Sent::Pbsz)
        })
    }

    /// Records the answer to `PBSZ`/`PROT`.
    pub(crate) fn on_prot_reply(&mut self, sent: Sent, reply: Reply<'static>) {
        let ok = reply.code().is_completion();
        match (sent, ok) {
            (Sent::Pbsz, true) => self.facts.pbsz_done = true,
            (Sent::Prot, true) => {
                self.facts.prot_confirmed = true;
                self.facts.data_prot = Some(self.wanted_protection());
            }
            _ => self.facts.prot_refusal = Some(reply),
        }
    }

    /// Whether data may flow under the configured policy: with TLS required and `PROT P`
    /// wanted, only when `PROT P` is in force (ATK-DOWNGRADE, IMP-PROTC).
    pub(crate) fn data_protection_allowed(&self) -> Result<(), ClientError> {
        if self.config.security.tls_required()
            && self.config.protection == ProtectionLevel::Private
            && self.facts.data_prot != Some(ProtectionLevel::Private)
        {
            return Err(ClientError::TlsRequired {
                reply: self.facts.prot_refusal.clone(),
            });
        }
        Ok(())
    }

    /// Whether data connections must be TLS now.
    pub(crate) fn data_tls(&self) -> bool {
        self.facts.data_prot == Some(ProtectionLevel::Private)
    }
}
