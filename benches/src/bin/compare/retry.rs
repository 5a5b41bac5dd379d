//! Session setup retried, and every failed try counted per server port for the report.
//!
//! libunftp answers `AUTH TLS` with `234` and switches the connection to TLS from another task;
//! under concurrent connects its command reader sometimes takes the ClientHello first and
//! answers it in plaintext, so the client's handshake fails ("InvalidContentType"). A client
//! would reconnect; so does the benchmark (inside the clock where setup is timed), and the
//! report says how often it happened.

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Mutex;

use crate::Result;

/// Tries per session setup.
pub const ATTEMPTS: usize = 3;

/// Setup tries against one server.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tally {
    /// Setups tried.
    pub tries: usize,
    /// Of which failed.
    pub failed: usize,
    /// The first failure's message.
    pub first_error: Option<String>,
}

static LOG: Mutex<BTreeMap<u16, Tally>> = Mutex::new(BTreeMap::new());

fn note(port: u16, error: Option<&crate::BoxError>) {
    let mut log = LOG.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let tally = log.entry(port).or_default();
    tally.tries += 1;
    if let Some(e) = error {
        tally.failed += 1;
        tally.first_error.get_or_insert_with(|| e.to_string());
    }
}

/// Takes (and resets) the tally of the server on `port`.
pub fn take(port: u16) -> Tally {
    let mut log = LOG.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    log.remove(&port).unwrap_or_default()
}

/// Runs `setup` against the server on `port` up to [`ATTEMPTS`] times.
pub async fn setup<T, F, Fut>(port: u16, mut setup: F) -> Result<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T>>,
{
    let mut tries = 0;
    loop {
        tries += 1;
        match setup().await {
            Ok(v) => {
                note(port, None);
                return Ok(v);
            }
            Err(e) => {
                note(port, Some(&e));
                if tries >= ATTEMPTS {
                    return Err(e);
                }
            }
        }
    }
}

/// [`setup`] for blocking code.
pub fn setup_blocking<T>(port: u16, mut setup: impl FnMut() -> Result<T>) -> Result<T> {
    let mut tries = 0;
    loop {
        tries += 1;
        match setup() {
            Ok(v) => {
                note(port, None);
                return Ok(v);
            }
            Err(e) => {
                note(port, Some(&e));
                if tries >= ATTEMPTS {
                    return Err(e);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failed_tries_are_counted_and_retried() {
        // A port no other test uses.
        let port = 1;
        let mut calls = 0;
        let v = setup_blocking(port, || {
            calls += 1;
            if calls < 3 {
                Err(format!("try {calls}").into())
            } else {
                Ok(calls)
            }
        });
        assert_eq!(v.unwrap(), 3);
        assert_eq!(
            take(port),
            Tally {
                tries: 3,
                failed: 2,
                first_error: Some("try 1".into())
            }
        );
        assert_eq!(take(port), Tally::default());
        let e = setup_blocking::<()>(port, || Err("always".into())).unwrap_err();
        assert_eq!(e.to_string(), "always");
        assert_eq!(take(port).failed, ATTEMPTS);
    }
}
