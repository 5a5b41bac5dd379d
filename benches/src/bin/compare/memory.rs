//! Idle-session memory: a fresh server child, one warm-up session, its RSS; then `sessions`
//! explicit-FTPS sessions logged in and left idle (our tokio client for every server, so only
//! the server differs), and the RSS again. The growth divided by the sessions is the figure.

use std::time::Duration;

use crate::child::{ServerKind, ServerProcess};
use crate::fixture::Fixture;
use crate::ours::{self, Prot};
use crate::retry::{self, Tally};
use crate::scenario::join_all;
use crate::Result;

/// The servers measured, in run order.
pub const SERVERS: [ServerKind; 3] = [
    ServerKind::OursTokio,
    ServerKind::OursStd,
    ServerKind::Libunftp,
];

/// How long the server gets to settle before each RSS reading.
const SETTLE: Duration = Duration::from_millis(500);

/// Limit for one wave of connections.
const WAVE_LIMIT: Duration = Duration::from_secs(120);

/// One measurement.
#[derive(Debug, Clone, Copy)]
pub struct MemorySample {
    /// RSS after the warm-up session, KiB.
    pub base_kib: u64,
    /// RSS with every session open and idle, KiB.
    pub loaded_kib: u64,
    /// Sessions held.
    pub sessions: usize,
}

impl MemorySample {
    /// RSS growth per session, KiB.
    pub fn per_session_kib(&self) -> f64 {
        self.loaded_kib.saturating_sub(self.base_kib) as f64 / self.sessions.max(1) as f64
    }
}

/// Measures `kind` with `sessions` idle sessions, `wave` connecting at once; also returns
/// the session setup tries.
pub fn measure(
    rt: &tokio::runtime::Runtime,
    fixture: &Fixture,
    kind: ServerKind,
    sessions: usize,
    wave: usize,
) -> Result<(MemorySample, Tally)> {
    let server = ServerProcess::spawn(kind, fixture)?;
    let port = server.port();
    let tls = fixture.ours_tls()?;
    rt.block_on(async {
        let warm = tokio::time::timeout(
            WAVE_LIMIT,
            ours::tokio_session(port, Prot::Private, tls.clone()),
        )
        .await
        .map_err(|_| "warm-up session timed out")??;
        warm.quit().await?;
        Ok::<_, crate::BoxError>(())
    })?;
    std::thread::sleep(SETTLE);
    let base_kib = server.rss_kib()?;
    let mut held = Vec::with_capacity(sessions);
    let opened: Result<()> = rt.block_on(async {
        let mut left = sessions;
        while left > 0 {
            let n = left.min(wave.max(1));
            let mut set = tokio::task::JoinSet::new();
            for _ in 0..n {
                // A TLS setup of its own per session: no resumption state shared between them.
                set.spawn(ours::tokio_session(
                    port,
                    Prot::Private,
                    fixture.ours_tls()?,
                ));
            }
            let clients = tokio::time::timeout(WAVE_LIMIT, join_all(set))
                .await
                .map_err(|_| "a wave of sessions timed out")??;
            held.extend(clients);
            left -= n;
        }
        Ok(())
    });
    let loaded = opened.and_then(|()| {
        std::thread::sleep(SETTLE);
        server.rss_kib()
    });
    // The sessions close (dropped inside the runtime) before the server is killed.
    rt.block_on(async { drop(held) });
    drop(server);
    let tally = retry::take(port);
    let sample = MemorySample {
        base_kib,
        loaded_kib: loaded?,
        sessions,
    };
    Ok((sample, tally))
}
