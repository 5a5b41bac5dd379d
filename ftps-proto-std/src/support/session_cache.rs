//! [`SessionCache`]: the TLS 1.2 session-id store of one server control session.

use std::collections::VecDeque;
use std::sync::Mutex;

use rustls::server::StoresServerSessions;

/// The TLS 1.2 session-id store of one control session ([`super::tls::ServerTls::session`]):
/// its control handshake and its data connections' handshakes, nothing else, so a few entries
/// are plenty. It allocates nothing until the first session is stored (an idle TLS 1.3
/// session never stores one: its resumption goes through tickets), and holds at most
/// `capacity` entries, dropping the oldest.
///
/// ```
/// use rustls::server::StoresServerSessions;
/// use ftps_proto_std::support::session_cache::SessionCache;
/// let cache = SessionCache::new(2);
/// assert!(cache.put(b"a".to_vec(), b"1".to_vec()));
/// assert!(cache.put(b"b".to_vec(), b"2".to_vec()));
/// assert!(cache.put(b"c".to_vec(), b"3".to_vec()));
/// assert_eq!(cache.get(b"a"), None);
/// assert_eq!(cache.take(b"b"), Some(b"2".to_vec()));
/// assert_eq!(cache.get(b"b"), None);
/// assert_eq!(cache.get(b"c"), Some(b"3".to_vec()));
/// ```
#[derive(Debug)]
pub struct SessionCache {
    entries: Mutex<VecDeque<(Vec<u8>, Vec<u8>)>>,
    capacity: usize,
}

impl SessionCache {
    /// An empty cache of at most `capacity` sessions (0: stores nothing).
    pub fn new(capacity: usize) -> SessionCache {
        SessionCache {
            entries: Mutex::new(VecDeque::new()),
            capacity,
        }
    }

    fn with<T>(&self, f: impl FnOnce(&mut VecDeque<(Vec<u8>, Vec<u8>)>) -> T) -> T {
        // A panic while the lock was held cannot leave the queue inconsistent (each change
        // is one push or remove), so a poisoned lock is used as it is.
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        f(&mut entries)
    }
}

impl StoresServerSessions for SessionCache {
    fn put(&self, key: Vec<u8>, value: Vec<u8>) -> bool {
        if self.capacity == 0 {
            return false;
        }
        self.with(|entries| {
            entries.retain(|(k, _)| *k != key);
            while entries.len() >= self.capacity {
                entries.pop_front();
            }
            entries.push_back((key, value));
        });
        true
    }

    fn get(&self, key: &[u8]) -> Option<Vec<u8>> {
        self.with(|entries| {
            entries
                .iter()
                .find(|(k, _)| k.as_slice() == key)
                .map(|(_, v)| v.clone())
        })
    }

    fn take(&self, key: &[u8]) -> Option<Vec<u8>> {
        self.with(|entries| {
            let at = entries.iter().position(|(k, _)| k.as_slice() == key)?;
            entries.remove(at).map(|(_, v)| v)
        })
    }

    fn can_cache(&self) -> bool {
        self.capacity > 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn put_replaces_same_key_and_evicts_oldest() {
        let cache = SessionCache::new(2);
        assert!(cache.put(b"k".to_vec(), b"1".to_vec()));
        assert!(cache.put(b"k".to_vec(), b"2".to_vec()));
        assert_eq!(cache.get(b"k"), Some(b"2".to_vec()));
        assert!(cache.put(b"x".to_vec(), b"3".to_vec()));
        assert!(cache.put(b"y".to_vec(), b"4".to_vec()));
        assert_eq!(cache.get(b"k"), None);
        assert_eq!(cache.take(b"x"), Some(b"3".to_vec()));
        assert_eq!(cache.take(b"x"), None);
    }

    #[test]
    fn zero_capacity_stores_nothing() {
        let cache = SessionCache::new(0);
        assert!(!cache.can_cache());
        assert!(!cache.put(b"k".to_vec(), b"v".to_vec()));
        assert_eq!(cache.get(b"k"), None);
    }
}
