//! Which ports a passive data listener tries: every port of the configured range once, from a
//! varying start, so that concurrent sessions spread over the range.

use std::io;
use std::ops::RangeInclusive;
use std::sync::atomic::{AtomicU64, Ordering};

/// The ports of `range` in the order a listener tries them: each once, starting at a
/// pseudo-random one and wrapping around. An empty range (`lo > hi`) is an
/// [`io::ErrorKind::InvalidInput`] error.
///
/// ```
/// use ftps_proto_std::support::data_ports::port_candidates;
/// let mut ports: Vec<u16> = port_candidates(&(50000..=50003)).unwrap().collect();
/// ports.sort();
/// assert_eq!(ports, [50000, 50001, 50002, 50003]);
/// #[allow(clippy::reversed_empty_ranges)]
/// let empty = 9..=1;
/// assert!(port_candidates(&empty).is_err());
/// ```
pub fn port_candidates(range: &RangeInclusive<u16>) -> io::Result<impl Iterator<Item = u16>> {
    let (lo, hi) = (*range.start(), *range.end());
    if lo > hi {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "empty passive port range",
        ));
    }
    let span = u32::from(hi - lo) + 1;
    let start = pseudo_random() % span;
    // cannot overflow: the offset is below `span`, so lo + offset <= hi.
    Ok((0..span).map(move |i| lo + ((start + i) % span) as u16))
}

/// A cheap varying number for spreading passive ports (not for security).
fn pseudo_random() -> u32 {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let mixed =
        (u64::from(t) ^ n.wrapping_mul(0x9E37_79B9_7F4A_7C15)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    (mixed >> 32) as u32
}

/// Whether a data connection accepted from `peer` may go on to its TLS handshake and be
/// reported to the core: `accept_from` is the address the core asked for in
/// [`DataAction::Listen`](ftps_proto::session::DataAction::Listen) (`None`: any address).
/// A connection that is not allowed is dropped at once, with no event (S2577-PEER).
///
/// ```
/// use ftps_proto_std::support::data_ports::peer_allowed;
/// let control = "192.0.2.1".parse().unwrap();
/// assert!(peer_allowed(Some(control), "::ffff:192.0.2.1".parse().unwrap()));
/// assert!(!peer_allowed(Some(control), "192.0.2.2".parse().unwrap()));
/// assert!(peer_allowed(None, "192.0.2.2".parse().unwrap()));
/// ```
pub fn peer_allowed(accept_from: Option<std::net::IpAddr>, peer: std::net::IpAddr) -> bool {
    match accept_from {
        Some(want) => want.to_canonical() == peer.to_canonical(),
        None => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_port_once_even_at_the_top_of_the_range() {
        let mut ports: Vec<u16> = port_candidates(&(65534..=65535)).unwrap().collect();
        ports.sort_unstable();
        assert_eq!(ports, [65534, 65535]);
        assert_eq!(port_candidates(&(7..=7)).unwrap().collect::<Vec<_>>(), [7]);
        let full: Vec<u16> = port_candidates(&(1..=u16::MAX)).unwrap().collect();
        assert_eq!(full.len(), 65535);
    }

    // S2577-PEER: the adapter-side filter compares canonical addresses.
    #[test]
    fn s2577_peer_filter_before_tls() {
        let v4: std::net::IpAddr = "127.0.0.1".parse().unwrap();
        let mapped: std::net::IpAddr = "::ffff:127.0.0.1".parse().unwrap();
        let other: std::net::IpAddr = "127.0.0.2".parse().unwrap();
        assert!(peer_allowed(Some(v4), v4));
        assert!(peer_allowed(Some(mapped), v4));
        assert!(peer_allowed(Some(v4), mapped));
        assert!(!peer_allowed(Some(v4), other));
        assert!(!peer_allowed(Some("::1".parse().unwrap()), v4));
        assert!(peer_allowed(None, other));
    }
}
