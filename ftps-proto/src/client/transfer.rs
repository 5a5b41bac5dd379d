//! Data transfers (RFC 959 §6 diagram 2): protection, `TYPE`, the data connection (`EPSV`,
//! `PASV`, `EPRT`, `PORT`), `REST`, the transfer command, completion (final reply and data
//! end, in either order) and `ABOR`.

use std::borrow::Cow;
use std::net::{IpAddr, SocketAddr};

use super::core::Step;
use super::errors::{ClientError, LocalError, TimerKind, TransferFailure, Violation};
use super::ops::{Transfer, TransferKind};
use super::output::{ClientEvent, OpId, OpOutput};
use super::single::refusal;
use super::state::{InFlight, Sent};
use super::{ClientSession, PassiveMode};
use crate::codec::reply_body::{parse_227, parse_229, parse_stou_file};
use crate::codec::{
    Command, EpsvArg, ExtendedAddr, FormatControl, Reply, ReplyCode, RepresentationType,
};
use crate::session::{CloseReason, DataAction, DataError, DataEvent, DataId, DataProtection};

/// Where a transfer stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    /// Setting up: protection, type, data connection, restart offset.
    Setup,
    /// Waiting for the adapter's `Listening` (active mode).
    Listen,
    /// The transfer command is out.
    Command,
    /// `ABOR` is out; waiting for the server's replies.
    Aborting,
}

/// A transfer operation and its progress.
#[derive(Debug)]
pub(crate) struct TransferJob {
    kind: TransferKind,
    path: Option<Vec<u8>>,
    offset: u64,
    ascii: bool,
    stage: Stage,
    type_sent: bool,
    rest_sent: bool,
    /// The data connection, once asked for.
    data: Option<DataId>,
    /// `Close` was emitted for `data` (or it ended on its own).
    data_done: bool,
    connected: bool,
    started: bool,
    preliminary: bool,
    final_ok: bool,
    finished: Option<u64>,
    /// The failure to report once the control channel is in step again.
    error: Option<ClientError>,
    /// Abort was asked for before the command went out.
    abort: bool,
    stored_as: Option<Vec<u8>>,
    /// The adapter's listener (active mode), kept for a `PORT` retry after `EPRT`.
    listen_addr: Option<SocketAddr>,
}

impl TransferJob {
    /// The first failure recorded (a data error, a local abort), if the transfer had one: it
    /// is what the operation reports even when the connection closes before the replies.
    pub(crate) fn take_error(&mut self) -> Option<ClientError> {
        self.error.take()
    }

    pub(crate) fn new(t: Transfer<'_>) -> Result<Self, LocalError> {
        if t.kind.needs_path() && t.path.is_none() {
            return Err(LocalError::MissingPath);
        }
        Ok(TransferJob {
            kind: t.kind,
            path: t.path.map(<[u8]>::to_vec),
            offset: t.offset,
            ascii: t.ascii,
            stage: Stage::Setup,
            type_sent: false,
            rest_sent: false,
            data: None,
            data_done: false,
            connected: false,
            started: false,
            preliminary: false,
            final_ok: false,
            finished: None,
            error: None,
            abort: false,
            stored_as: None,
            listen_addr: None,
        })
    }

    /// The data connection still open, if any.
    pub(crate) fn open_data(&self) -> Option<DataId> {
        self.data.filter(|_| !self.data_done)
    }

    fn command(&self) -> Command<'_> {
        let path = || Cow::Borrowed(self.path.as_deref().unwrap_or_default());
        let opt = || self.path.as_deref().map(Cow::Borrowed);
        match self.kind {
            TransferKind::Retr => Command::Retr(path()),
            TransferKind::Stor => Command::Stor(path()),
            TransferKind::Appe => Command::Appe(path()),
            TransferKind::Stou => Command::Stou(opt()),
            TransferKind::List => Command::List(opt()),
            TransferKind::Nlst => Command::Nlst(opt()),
            TransferKind::Mlsd => Command::Mlsd(opt()),
        }
    }

    fn output(&mut self) -> OpOutput {
        match self.stored_as.take() {
            Some(name) => OpOutput::StoredAs(name),
            None => OpOutput::Transferred {
                bytes: self.finished.unwrap_or(0),
            },
        }
    }
}

/// The error for a refused transfer command or a failed transfer (DAT-125, S2228-XFER,
/// T4217-DATATLS, H1123-RESTCODES).
fn transfer_refusal(reply: Reply<'static>) -> ClientError {
    let failure = match reply.code().get() {
        425 => TransferFailure::CannotOpenDataConnection,
        426 => TransferFailure::ConnectionClosed,
        451 => TransferFailure::ServerLocalError,
        452 => TransferFailure::InsufficientStorage,
        552 => TransferFailure::QuotaExceeded,
        521 => TransferFailure::ProtectionLevelRefused,
        522 | 535 => TransferFailure::DataTlsFailed,
        534 => TransferFailure::PolicyRefused,
        554 | 555 => TransferFailure::InvalidRestart,
        _ => return refusal(reply),
    };
    ClientError::Transfer { failure, reply }
}

fn invalid_body() -> ClientError {
    ClientError::ProtocolViolation(Violation::InvalidReplyBody)
}

impl ClientSession {
    /// ATK-CRLF and configuration checks before a transfer is accepted.
    pub(crate) fn check_transfer(&mut self, job: &TransferJob) -> Result<(), LocalError> {
        if self.server.is_ipv6()
            && !self.config.active
            && self.config.passive == PassiveMode::PasvOnly
        {
            // E2428-USE: PASV cannot work over IPv6.
            return Err(LocalError::ForbiddenByConfig);
        }
        self.check(&job.command())
    }

    fn data_protection(&self) -> DataProtection {
        DataProtection {
            tls: self.data_tls(),
            require_session_reuse: false,
        }
    }

    /// Asks the adapter for the data connection of `op`.
    fn open_data(
        &mut self,
        op: OpId,
        job: &mut TransferJob,
        action: impl FnOnce(DataId) -> DataAction,
    ) {
        let id = self.new_data_id();
        job.data = Some(id);
        self.emit_event(ClientEvent::TransferData { op, data: id });
        self.emit_data(action(id));
        self.arm(TimerKind::DataConnect);
    }

    fn close_data(&mut self, job: &mut TransferJob) {
        if let Some(id) = job.open_data() {
            self.emit_data(DataAction::Close { id });
        }
        job.data_done = true;
        self.timers.clear(TimerKind::DataConnect);
    }

    /// Sends the next setup command or the transfer command.
    pub(crate) fn transfer_advance(&mut self, op: OpId, job: &mut TransferJob) -> Step {
        if job.abort {
            return Step::Done(Err(job.error.take().unwrap_or(ClientError::Aborted)));
        }
        if let Some(error) = job.error.take() {
            return Step::Done(Err(error));
        }
        // Data protection first (PBSZ/PROT not sent yet, e.g. before login), then the policy.
        if let Some(step) = self.send_next_prot() {
            return step;
        }
        if let Err(e) = self.data_protection_allowed() {
            return Step::Done(Err(e));
        }
        if !job.kind.is_listing() && !job.type_sent && self.facts.type_ascii != Some(job.ascii) {
            job.type_sent = true;
            let t = if job.ascii {
                RepresentationType::Ascii(FormatControl::Default)
            } else {
                RepresentationType::Image
            };
            return self.send_step(&Command::Type(t), Sent::Type);
        }
        if job.data.is_none() {
            if self.config.active {
                let ip = self.config.active_ip.unwrap_or(if self.server.is_ipv6() {
                    IpAddr::V6(std::net::Ipv6Addr::UNSPECIFIED)
                } else {
                    IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED)
                });
                let protection = self.data_protection();
                self.open_data(op, job, |id| DataAction::Listen {
                    id,
                    ip,
                    ports: None,
                    protection,
                    accept_from: None,
                });
                job.stage = Stage::Listen;
                return Step::Continue;
            }
            if self.config.passive == PassiveMode::EpsvAll && !self.facts.epsv_all_sent {
                self.facts.epsv_all_sent = true;
                return self.send_step(&Command::Epsv(EpsvArg::All), Sent::EpsvAll);
            }
            let epsv = self.server.is_ipv6()
                || self.facts.epsv_all
                || (self.config.passive != PassiveMode::PasvOnly && !self.facts.epsv_refused);
            return if epsv {
                self.send_step(&Command::Epsv(EpsvArg::Any), Sent::Epsv)
            } else {
                self.send_step(&Command::Pasv, Sent::Pasv)
            };
        }
        if !job.rest_sent && (job.offset > 0 || self.facts.rest_dirty) {
            job.rest_sent = true;
            return self.send_step(&Command::Rest(job.offset), Sent::Rest);
        }
        job.stage = Stage::Command;
        self.send_step(&job.command(), Sent::Transfer)
    }

    /// Connects to the passive address (the control peer's unless trusted, ATK-PASVIP).
    fn connect_passive(&mut self, op: OpId, job: &mut TransferJob, addr: SocketAddr) -> Step {
        let protection = self.data_protection();
        self.open_data(op, job, |id| DataAction::Connect {
            id,
            addr,
            protection,
        });
        self.transfer_advance(op, job)
    }

    /// Sends `EPRT` (or `PORT` after a 500/502 over IPv4) for the adapter's listener.
    fn send_port(&mut self, addr: SocketAddr) -> Step {
        let ip = self.config.active_ip.unwrap_or(addr.ip());
        let addr = SocketAddr::new(ip, addr.port());
        match addr {
            SocketAddr::V4(v4) if self.facts.eprt_refused => {
                self.send_step(&Command::Port(v4), Sent::Port)
            }
            _ => self.send_step(&Command::Eprt(ExtendedAddr::new(addr)), Sent::Eprt),
        }
    }

    /// A final reply while the transfer runs.
    pub(crate) fn transfer_reply(
        &mut self,
        op: OpId,
        job: &mut TransferJob,
        sent: Sent,
        reply: Reply<'static>,
    ) -> Step {
        let code = reply.code();
        let ok = code.is_completion() || code.is_intermediate();
        match sent {
            Sent::Pbsz | Sent::Prot => {
                self.on_prot_reply(sent, reply);
                self.transfer_advance(op, job)
            }
            Sent::Type if ok => {
                self.facts.type_ascii = Some(job.ascii);
                self.transfer_advance(op, job)
            }
            Sent::EpsvAll => {
                self.facts.epsv_all = code.is_completion();
                self.transfer_advance(op, job)
            }
            Sent::Epsv if ok => match parse_229(reply.text()) {
                Ok(port) => {
                    let addr = SocketAddr::new(self.server.ip(), port);
                    self.connect_passive(op, job, addr)
                }
                Err(_) => Step::Done(Err(invalid_body())),
            },
            Sent::Epsv
                if (code == ReplyCode::C500 || code == ReplyCode::C502)
                    && !self.server.is_ipv6()
                    && !self.facts.epsv_all =>
            {
                // E2428-USE: fall back to PASV, and remember it.
                self.facts.epsv_refused = true;
                self.transfer_advance(op, job)
            }
            Sent::Pasv if ok => match parse_227(reply.text()) {
                Ok(given) => {
                    let ip = if self.config.trust_pasv_address && !given.ip().is_unspecified() {
                        IpAddr::V4(*given.ip())
                    } else {
                        self.server.ip()
                    };
                    self.connect_passive(op, job, SocketAddr::new(ip, given.port()))
                }
                Err(_) => Step::Done(Err(invalid_body())),
            },
            Sent::Eprt if ok => self.transfer_advance(op, job),
            Sent::Eprt if code == ReplyCode::C500 || code == ReplyCode::C502 => {
                // The listener's address is sent again as PORT (IPv4 only).
                match job
                    .listen_addr
                    .filter(|a| a.is_ipv4() && self.server.is_ipv4())
                {
                    Some(addr) => {
                        self.facts.eprt_refused = true;
                        self.send_port(addr)
                    }
                    None => Step::Done(Err(refusal(reply))),
                }
            }
            Sent::Port if ok => self.transfer_advance(op, job),
            Sent::Rest if ok => {
                // The marker is pending until a transfer command accepts it (X3659-RESTCLI).
                self.facts.rest_dirty = job.offset > 0;
                self.transfer_advance(op, job)
            }
            Sent::Rest if job.offset == 0 => {
                // A refused "REST 0" cleanup: nothing is pending then.
                self.facts.rest_dirty = false;
                self.transfer_advance(op, job)
            }
            Sent::Transfer => self.transfer_final(job, reply),
            Sent::Abort { .. } => Step::Done(Err(job.error.take().unwrap_or(ClientError::Aborted))),
            _ if sent == Sent::Rest => Step::Done(Err(transfer_refusal(reply))),
            _ => Step::Done(Err(refusal(reply))),
        }
    }

    /// The final reply to the transfer command.
    fn transfer_final(&mut self, job: &mut TransferJob, reply: Reply<'static>) -> Step {
        if !reply.code().is_completion() {
            // The data connection is of no use any more.
            self.close_data(job);
            return Step::Done(Err(transfer_refusal(reply)));
        }
        job.final_ok = true;
        if let Some(error) = job.error.take() {
            return Step::Done(Err(error));
        }
        if job.finished.is_some() {
            return Step::Done(Ok(job.output()));
        }
        if job.connected && !job.started {
            self.start_data(job);
        }
        // DAT-COMPLETE: the data end must follow.
        self.arm(TimerKind::DataStall);
        Step::Continue
    }

    fn start_data(&mut self, job: &mut TransferJob) {
        if let Some(id) = job.open_data() {
            job.started = true;
            self.emit_data(DataAction::Start { id });
        }
    }

    /// The 1yz reply to the transfer command.
    pub(crate) fn transfer_preliminary(
        &mut self,
        _op: OpId,
        job: &mut TransferJob,
        reply: Reply<'static>,
    ) -> Step {
        job.preliminary = true;
        self.facts.rest_dirty = false;
        if job.kind == TransferKind::Stou {
            job.stored_as = parse_stou_file(reply.text()).map(Cow::into_owned);
        }
        if job.stage == Stage::Aborting {
            return Step::Continue;
        }
        if job.error.is_some() {
            // The data side already failed: bring the server to the end with ABOR.
            return self.send_abor(job);
        }
        if job.connected {
            self.start_data(job);
        } else if self.config.active {
            // The server connects now (DAT-ORDER).
            self.arm(TimerKind::DataConnect);
        }
        Step::Continue
    }

    /// An event on the transfer's data connection.
    pub(crate) fn transfer_data(
        &mut self,
        op: OpId,
        job: &mut TransferJob,
        event: DataEvent,
    ) -> Step {
        match event {
            DataEvent::Listening { addr } if job.stage == Stage::Listen => {
                job.stage = Stage::Setup;
                job.listen_addr = Some(addr);
                self.send_port(addr)
            }
            DataEvent::Connected { peer, tls } if !job.connected => {
                if self.config.active && peer.ip() != self.server.ip() {
                    // S2577-PEER: only the server may connect to our listener.
                    if let Some(id) = job.open_data() {
                        self.emit_data(DataAction::Reject { id });
                    }
                    return Step::Continue;
                }
                if self.data_tls() && tls.is_none() {
                    return self.data_failed(
                        op,
                        job,
                        ClientError::DataConnection(DataError::TlsFailed),
                    );
                }
                job.connected = true;
                self.timers.clear(TimerKind::DataConnect);
                if job.preliminary || job.final_ok {
                    self.start_data(job);
                }
                Step::Continue
            }
            DataEvent::Finished { bytes } if job.connected && job.finished.is_none() => {
                job.finished = Some(bytes);
                job.data_done = true;
                self.timers.clear(TimerKind::DataStall);
                if job.final_ok {
                    return Step::Done(Ok(job.output()));
                }
                if job.stage == Stage::Command {
                    // The final reply must follow.
                    self.arm(TimerKind::DataStall);
                }
                Step::Continue
            }
            DataEvent::Failed(e) => self.data_failed(op, job, ClientError::DataConnection(e)),
            _ => Step::Continue,
        }
    }

    /// The data side failed with `error`: close it; report once the control channel is in
    /// step (after the in-flight reply, or after `ABOR` when the command is out).
    fn data_failed(&mut self, _op: OpId, job: &mut TransferJob, error: ClientError) -> Step {
        self.close_data(job);
        if job.error.is_none() {
            job.error = Some(error);
        }
        match job.stage {
            Stage::Aborting => Step::Continue,
            Stage::Listen => Step::Done(Err(job.error.take().unwrap_or(ClientError::Aborted))),
            Stage::Setup => Step::Continue,
            Stage::Command if job.final_ok => {
                Step::Done(Err(job.error.take().unwrap_or(ClientError::Aborted)))
            }
            Stage::Command => self.send_abor(job),
        }
    }

    /// Sends `ABOR` while the transfer command waits: its final reply and the ABOR's are due
    /// (only the ABOR's when the final reply is in already).
    fn send_abor(&mut self, job: &mut TransferJob) -> Step {
        self.close_data(job);
        let finals = if job.final_ok { 1 } else { 2 };
        let preliminary = self.inflight.is_some_and(|f| f.preliminary) || job.final_ok;
        job.stage = Stage::Aborting;
        self.timers.clear(TimerKind::DataStall);
        if let Err(e) = self.send(&Command::Abor, Sent::Abort { finals }) {
            return Step::Done(Err(ClientError::Local(e)));
        }
        self.inflight = Some(InFlight {
            sent: Sent::Abort { finals },
            preliminary,
        });
        Step::Continue
    }

    /// The caller aborts the running transfer.
    pub(crate) fn transfer_abort(&mut self, _op: OpId, job: &mut TransferJob) -> Step {
        match job.stage {
            Stage::Aborting => Step::Continue,
            Stage::Command => {
                job.error = Some(ClientError::Aborted);
                self.send_abor(job)
            }
            Stage::Listen => {
                self.close_data(job);
                Step::Done(Err(ClientError::Aborted))
            }
            Stage::Setup => {
                self.close_data(job);
                job.abort = true;
                job.error = Some(ClientError::Aborted);
                Step::Continue
            }
        }
    }

    /// A data timer ran out.
    pub(crate) fn transfer_timeout(
        &mut self,
        op: OpId,
        job: &mut TransferJob,
        kind: TimerKind,
    ) -> Step {
        match kind {
            TimerKind::DataConnect if !job.connected => {
                self.data_failed(op, job, ClientError::Timeout(TimerKind::DataConnect))
            }
            TimerKind::DataStall if job.final_ok && job.finished.is_none() => {
                // DAT-COMPLETE: a 2yz without the data end is not success.
                self.close_data(job);
                Step::Done(Err(ClientError::Timeout(TimerKind::DataStall)))
            }
            TimerKind::DataStall => Step::Fatal(
                ClientError::Timeout(TimerKind::DataStall),
                CloseReason::Timeout,
            ),
            _ => Step::Continue,
        }
    }
}
