//! [`SessionTicketer`]: the TLS session tickets of one server control session.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use rustls::server::ProducesTickets;

/// The ticket maker of one control session: the server's one ticket key (its
/// [`ProducesTickets`], with its rotation), and a number no other session of this process
/// has, sealed inside every ticket it issues. It opens only its own session's tickets: a
/// ticket issued to another control session (another client's, or the same client's other
/// session) decrypts under the shared key but carries another number, so it is refused and
/// the handshake is a full one, which the data-session binding then rejects. A ticket the key
/// did not seal fails as before.
///
/// This keeps the binding of [`super::tls::SessionTls`] ("resumed" means "resumed a session
/// of this control connection", TLS 1.2 and 1.3 alike) while an idle session holds 40 bytes
/// instead of a ticket key of its own (about 2.3 KiB).
///
/// ```
/// use std::sync::Arc;
/// use rustls::server::ProducesTickets;
/// use ftps_proto_std::support::session_ticketer::SessionTicketer;
/// # #[derive(Debug)] struct Plain;
/// # impl ProducesTickets for Plain {
/// #     fn enabled(&self) -> bool { true }
/// #     fn lifetime(&self) -> u32 { 60 }
/// #     fn encrypt(&self, p: &[u8]) -> Option<Vec<u8>> { Some(p.to_vec()) }
/// #     fn decrypt(&self, c: &[u8]) -> Option<Vec<u8>> { Some(c.to_vec()) }
/// # }
/// let key: Arc<dyn ProducesTickets> = Arc::new(Plain);
/// let (a, b) = (SessionTicketer::new(key.clone()), SessionTicketer::new(key));
/// let ticket = a.encrypt(b"session state").unwrap();
/// assert_eq!(a.decrypt(&ticket).as_deref(), Some(&b"session state"[..]));
/// assert_eq!(b.decrypt(&ticket), None);
/// ```
#[derive(Debug)]
pub struct SessionTicketer {
    key: Arc<dyn ProducesTickets>,
    session: [u8; 8],
}

/// The next session number of this process.
static NEXT_SESSION: AtomicU64 = AtomicU64::new(1);

impl SessionTicketer {
    /// A ticketer for a new control session under the server's ticket `key`.
    pub fn new(key: Arc<dyn ProducesTickets>) -> SessionTicketer {
        SessionTicketer {
            key,
            session: NEXT_SESSION.fetch_add(1, Ordering::Relaxed).to_be_bytes(),
        }
    }
}

impl ProducesTickets for SessionTicketer {
    fn enabled(&self) -> bool {
        self.key.enabled()
    }

    fn lifetime(&self) -> u32 {
        self.key.lifetime()
    }

    fn encrypt(&self, plain: &[u8]) -> Option<Vec<u8>> {
        let mut sealed = Vec::with_capacity(self.session.len() + plain.len());
        sealed.extend_from_slice(&self.session);
        sealed.extend_from_slice(plain);
        self.key.encrypt(&sealed)
    }

    fn decrypt(&self, cipher: &[u8]) -> Option<Vec<u8>> {
        let mut plain = self.key.decrypt(cipher)?;
        if plain.get(..self.session.len()) != Some(&self.session[..]) {
            return None;
        }
        plain.drain(..self.session.len());
        Some(plain)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A stand-in key that seals by reversing the bytes (enough to tell opened from refused).
    #[derive(Debug)]
    struct Reverse;

    impl ProducesTickets for Reverse {
        fn enabled(&self) -> bool {
            true
        }
        fn lifetime(&self) -> u32 {
            7
        }
        fn encrypt(&self, plain: &[u8]) -> Option<Vec<u8>> {
            Some(plain.iter().rev().copied().collect())
        }
        fn decrypt(&self, cipher: &[u8]) -> Option<Vec<u8>> {
            Some(cipher.iter().rev().copied().collect())
        }
    }

    // ATK-STEAL (TLS layer): a ticket of one session never opens in another.
    #[test]
    fn atk_steal_tickets_open_only_in_their_session() {
        let key: Arc<dyn ProducesTickets> = Arc::new(Reverse);
        let a = SessionTicketer::new(key.clone());
        let b = SessionTicketer::new(key.clone());
        assert_ne!(a.session, b.session);
        let t = a.encrypt(b"state").expect("sealed");
        assert_eq!(a.decrypt(&t), Some(b"state".to_vec()));
        assert_eq!(b.decrypt(&t), None);
        // A ticket of the bare key (no session number) and a short one are refused too.
        assert_eq!(a.decrypt(&key.encrypt(b"state").expect("sealed")), None);
        assert_eq!(a.decrypt(b"x"), None);
        assert!(a.enabled());
        assert_eq!(a.lifetime(), 7);
    }
}
