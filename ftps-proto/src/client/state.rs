//! Internal state of a client session: the command waiting for its reply, the running job,
//! the output queue and the timers.

use std::time::Instant;

use super::errors::TimerKind;
use super::login::LoginJob;
use super::output::{ClientEvent, OpId};
use super::setup::SetupJob;
use super::single::SingleJob;
use super::transfer::TransferJob;
use crate::session::{CloseReason, DataAction};

/// Which command is waiting for its reply; decides which reply classes are legal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Sent {
    /// Nothing sent yet: waiting for the greeting.
    Greeting,
    /// `AUTH TLS` (`ssl == false`) or `AUTH SSL`.
    Auth {
        ssl: bool,
    },
    Host,
    Feat,
    OptsUtf8,
    Pbsz,
    Prot,
    User,
    Pass,
    Acct,
    /// A one-reply command of a [`SingleJob`] (RFC 959 §6 diagram 1).
    Single,
    /// A raw command with an unknown verb: a 3yz is accepted as its final reply.
    RawUnknown,
    Rnfr,
    Rnto,
    Rein,
    Quit,
    Ccc,
    Type,
    EpsvAll,
    Epsv,
    Pasv,
    Eprt,
    Port,
    Rest,
    /// The transfer command itself (RFC 959 §6 diagram 2).
    Transfer,
    /// `ABOR` sent while the transfer command waited: `finals` more final replies are due
    /// (the transfer's and the ABOR's, in either order).
    Abort {
        finals: u8,
    },
}

impl Sent {
    /// Whether a 1yz reply may answer it.
    pub(crate) fn allows_preliminary(self) -> bool {
        matches!(
            self,
            Sent::Greeting | Sent::Rein | Sent::Transfer | Sent::Abort { .. }
        )
    }

    /// Whether a 3yz reply may answer it.
    pub(crate) fn allows_intermediate(self) -> bool {
        matches!(
            self,
            Sent::User | Sent::Pass | Sent::Rnfr | Sent::Rest | Sent::RawUnknown
        )
    }

    /// Whether only a 3yz means success (a 2yz is a protocol error).
    pub(crate) fn requires_intermediate(self) -> bool {
        matches!(self, Sent::Rnfr | Sent::Rest)
    }
}

/// The command waiting for its reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct InFlight {
    pub(crate) sent: Sent,
    /// A 1yz was already received for it.
    pub(crate) preliminary: bool,
}

/// The running job: the setup sequence or a caller's operation.
#[derive(Debug)]
pub(crate) enum Job {
    Setup(SetupJob),
    Login(OpId, LoginJob),
    Single(OpId, SingleJob),
    Transfer(OpId, Box<TransferJob>),
}

impl Job {
    /// The caller's handle, `None` for the setup.
    pub(crate) fn op(&self) -> Option<OpId> {
        match self {
            Job::Setup(_) => None,
            Job::Login(op, _) | Job::Single(op, _) => Some(*op),
            Job::Transfer(op, _) => Some(*op),
        }
    }
}

/// A queued operation, not started yet.
#[derive(Debug)]
pub(crate) enum Queued {
    Login(LoginJob),
    Single(SingleJob),
    Transfer(Box<TransferJob>),
}

/// One output item; `Transmit(n)` stands for the next `n` bytes of the transmit buffer.
#[derive(Debug)]
pub(crate) enum Out {
    Transmit(usize),
    StartTls,
    StopTls,
    Data(DataAction),
    Event(ClientEvent),
    Close(CloseReason),
}

/// The session's deadlines, one per [`TimerKind`].
#[derive(Debug, Default, Clone)]
pub(crate) struct Timers {
    at: [Option<Instant>; 5],
}

const KINDS: [TimerKind; 5] = [
    TimerKind::Greeting,
    TimerKind::Reply,
    TimerKind::DataConnect,
    TimerKind::DataStall,
    TimerKind::TlsHandshake,
];

fn slot(kind: TimerKind) -> usize {
    match kind {
        TimerKind::Greeting => 0,
        TimerKind::Reply => 1,
        TimerKind::DataConnect => 2,
        TimerKind::DataStall => 3,
        TimerKind::TlsHandshake => 4,
    }
}

impl Timers {
    pub(crate) fn set(&mut self, kind: TimerKind, at: Option<Instant>) {
        if let Some(t) = self.at.get_mut(slot(kind)) {
            *t = at;
        }
    }

    pub(crate) fn clear(&mut self, kind: TimerKind) {
        self.set(kind, None);
    }

    pub(crate) fn clear_all(&mut self) {
        self.at = [None; 5];
    }

    pub(crate) fn earliest(&self) -> Option<Instant> {
        self.at.iter().flatten().min().copied()
    }

    /// The first timer due at `now`, cleared.
    pub(crate) fn take_due(&mut self, now: Instant) -> Option<TimerKind> {
        for (t, kind) in self.at.iter_mut().zip(KINDS) {
            if t.is_some_and(|at| at <= now) {
                *t = None;
                return Some(kind);
            }
        }
        None
    }
}
