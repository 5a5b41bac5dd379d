//! The data connections' side of FTPS that is not I/O: which TLS role a side plays
//! ([`DataTlsRole`]), what the core learns of a finished data handshake ([`tls_details`]),
//! the commands a driver sends to a data connection's task ([`DataCmd`]), the transfer
//! directions named before their connection exists ([`PendingDirections`]), how long a TLS
//! server waits for a direction ([`direction_wait`]) and how often progress is reported
//! ([`ProgressClock`]).

use std::collections::HashMap;
use std::time::{Duration, Instant};

use ftps_proto::session::{DataId, DataTls};
use rustls::pki_types::ServerName;
use rustls::HandshakeKind;

use super::tls::{ClientTls, DataDirection, SessionTls};

/// The TLS role this side plays on data connections (in FTPS the FTP client is always the TLS
/// client, also in active mode).
#[derive(Clone)]
pub enum DataTlsRole {
    /// The FTP server: TLS server with the control session's data configs (chosen by
    /// direction, [`SessionTls::data_config_for`]).
    Server(SessionTls),
    /// The FTP client: TLS client with the control connection's setup, under its server name
    /// (so the control session is offered for resumption, and the data certificate is checked
    /// against the control connection's: [`ClientTls::check_data_certificate`]).
    Client(ClientTls, ServerName<'static>),
    /// No TLS is available: a data connection that must be TLS fails.
    Unavailable,
}

impl std::fmt::Debug for DataTlsRole {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            DataTlsRole::Server(_) => "Server",
            DataTlsRole::Client(..) => "Client",
            DataTlsRole::Unavailable => "Unavailable",
        })
    }
}

impl DataTlsRole {
    /// The role of a client with this TLS setup and server name (`None`: plain FTP).
    pub fn for_client(tls: Option<&(ClientTls, ServerName<'static>)>) -> Self {
        match tls {
            Some((t, name)) => DataTlsRole::Client(t.clone(), name.clone()),
            None => DataTlsRole::Unavailable,
        }
    }

    /// The role of a server session with these TLS configs (`None`: plain FTP).
    pub fn for_server(tls: Option<&SessionTls>) -> Self {
        match tls {
            Some(s) => DataTlsRole::Server(s.clone()),
            None => DataTlsRole::Unavailable,
        }
    }
}

/// The TLS details the core wants of a finished data handshake, from rustls' handshake kind.
///
/// The server configs are private to one control session (see [`SessionTls`]): "resumed"
/// means resumed one of its sessions.
///
/// ```
/// use rustls::HandshakeKind;
/// use ftps_proto_std::support::data_tls::tls_details;
/// assert!(tls_details(Some(HandshakeKind::Resumed)).unwrap().resumed_control_session);
/// assert!(!tls_details(Some(HandshakeKind::Full)).unwrap().resumed_control_session);
/// ```
pub fn tls_details(kind: Option<HandshakeKind>) -> Option<DataTls> {
    Some(DataTls {
        resumed_control_session: SessionTls::resumed_this_session(kind),
    })
}

/// What a driver tells one data connection's task.
#[derive(Debug)]
#[non_exhaustive]
pub enum DataCmd<J> {
    /// The transfer's direction is known (server: picks the data TLS config).
    Direction(DataDirection),
    /// Move the bytes: the job.
    Start(J),
    /// Drop the connection (the core refused it).
    Reject,
}

/// How long a data connection's TLS server waits, after the ClientHello, for the transfer
/// command that tells the direction. Clients send that command without waiting for the data
/// handshake, so it is normally there within a round trip; one that waits for the handshake
/// first gets [`SessionTls::data_config_known`]`(None)` (no tickets) after this delay.
pub const DIRECTION_WAIT: Duration = Duration::from_secs(5);

/// The wait for a direction: [`DIRECTION_WAIT`], never longer than the data accept timeout.
///
/// ```
/// use std::time::Duration;
/// use ftps_proto_std::support::data_tls::direction_wait;
/// assert_eq!(direction_wait(Duration::from_secs(60)), Duration::from_secs(5));
/// assert_eq!(direction_wait(Duration::from_secs(2)), Duration::from_secs(2));
/// ```
pub fn direction_wait(accept_limit: Duration) -> Duration {
    accept_limit.min(DIRECTION_WAIT)
}

/// Directions named for data connections whose task does not exist yet (active mode connects
/// after the request). Bounded: past [`MAX_PENDING_DIRECTIONS`] it forgets them all.
#[derive(Debug)]
pub struct PendingDirections<K = DataId> {
    directions: HashMap<K, DataDirection>,
}

impl<K> Default for PendingDirections<K> {
    fn default() -> Self {
        PendingDirections {
            directions: HashMap::new(),
        }
    }
}

/// Most directions a [`PendingDirections`] remembers.
pub const MAX_PENDING_DIRECTIONS: usize = 16;

impl<K: std::hash::Hash + Eq> PendingDirections<K> {
    /// Remembers `direction` for `id`.
    pub fn insert(&mut self, id: K, direction: DataDirection) {
        if self.directions.len() >= MAX_PENDING_DIRECTIONS {
            self.directions.clear();
        }
        self.directions.insert(id, direction);
    }

    /// Takes the direction remembered for `id`.
    pub fn take(&mut self, id: &K) -> Option<DataDirection> {
        self.directions.remove(id)
    }
}

/// When a data connection reports its running total ([`DataEvent::Progress`]
/// (ftps_proto::session::DataEvent::Progress)): at most once a second.
#[derive(Debug, Clone, Copy)]
pub struct ProgressClock {
    last: Instant,
}

impl ProgressClock {
    /// The interval between two reports.
    pub const INTERVAL: Duration = Duration::from_secs(1);

    /// A clock whose first report is due one interval after `now`.
    pub fn new(now: Instant) -> Self {
        ProgressClock { last: now }
    }

    /// Whether a report is due at `now` (and, when it is, starts the next interval).
    pub fn due(&mut self, now: Instant) -> bool {
        if now.duration_since(self.last) >= Self::INTERVAL {
            self.last = now;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_is_due_once_a_second() {
        let t0 = Instant::now();
        let mut clock = ProgressClock::new(t0);
        assert!(!clock.due(t0 + Duration::from_millis(999)));
        assert!(clock.due(t0 + Duration::from_secs(1)));
        assert!(!clock.due(t0 + Duration::from_millis(1500)));
        assert!(clock.due(t0 + Duration::from_secs(2)));
    }

    // Memory stays bounded: pending directions are forgotten past the limit.
    #[test]
    fn pending_directions_are_bounded() {
        let mut pending = PendingDirections::<usize>::default();
        for id in 0..=MAX_PENDING_DIRECTIONS {
            pending.insert(id, DataDirection::ServerSends);
        }
        assert_eq!(pending.directions.len(), 1);
        assert_eq!(
            pending.take(&MAX_PENDING_DIRECTIONS),
            Some(DataDirection::ServerSends)
        );
        assert_eq!(pending.take(&0), None);
    }
}
