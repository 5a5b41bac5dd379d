//! Data connections: opening them (listen, accept, connect) and moving a transfer's bytes with
//! one large buffer, close_notify at the end and truncation detection.

use std::io::{self, Read, Write};
use std::net::{IpAddr, SocketAddr, TcpListener, TcpStream};
use std::ops::RangeInclusive;
use std::time::{Duration, Instant};

use ftps_proto::session::DataError;

use crate::stream::{remaining, FtpStream};
use crate::support::data_ports::port_candidates;
use crate::support::transfer::{read_failure, FromWire, ToWire, DRAIN_LIMIT};

pub(crate) use crate::support::transfer::CopyError;
pub use crate::support::transfer::{Representation, DATA_BUFFER};

/// Binds a listener on `ip`, on a port from `ports` (tried from a pseudo-random start, each
/// at most once) or any free port.
pub(crate) fn bind_listener(
    ip: IpAddr,
    ports: Option<&RangeInclusive<u16>>,
) -> io::Result<TcpListener> {
    let Some(range) = ports else {
        return TcpListener::bind(SocketAddr::new(ip, 0));
    };
    let mut last = io::Error::new(io::ErrorKind::AddrInUse, "no free port in range");
    for port in port_candidates(range)? {
        match TcpListener::bind(SocketAddr::new(ip, port)) {
            Ok(listener) => return Ok(listener),
            Err(e) => last = e,
        }
    }
    Err(last)
}

/// Connects to `addr` within `limit`.
pub(crate) fn connect(addr: SocketAddr, limit: Duration) -> io::Result<TcpStream> {
    let stream = TcpStream::connect_timeout(&addr, limit.max(Duration::from_millis(1)))?;
    let _ = stream.set_nodelay(true);
    Ok(stream)
}

/// Sends everything `source` yields on `data` (converted to the network form in
/// [`Representation::Ascii`]), then ends the stream properly: TLS close_notify and FIN
/// ([`close_sending`]), then reads until the peer closes ([`drain_after_sending`]).
///
/// Returns the bytes written on the data connection; `progress` is called with the running
/// total after each chunk. The buffers are allocated once per transfer.
pub(crate) fn send_stream<R>(
    source: &mut R,
    data: &mut FtpStream,
    repr: Representation,
    progress: impl FnMut(u64),
) -> Result<u64, CopyError>
where
    R: Read + ?Sized,
{
    let total = send_and_close(source, data, repr, progress)?;
    drain_after_sending(data);
    Ok(total)
}

/// [`send_stream`] without the drain: the bytes, then close_notify and FIN. The caller drains
/// ([`drain_after_sending`]) before dropping the stream.
pub(crate) fn send_and_close<R>(
    source: &mut R,
    data: &mut FtpStream,
    repr: Representation,
    mut progress: impl FnMut(u64),
) -> Result<u64, CopyError>
where
    R: Read + ?Sized,
{
    let mut buf = vec![0u8; DATA_BUFFER];
    let mut wire = ToWire::new(repr);
    let mut total: u64 = 0;
    loop {
        let n = match source.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(CopyError::Local(e)),
        };
        // cannot fire: `read` returns at most `buf.len()`.
        let out = wire.convert(buf.get(..n).unwrap_or_default());
        data.write_all(out)
            .map_err(|_| CopyError::Data(DataError::Broken))?;
        total += out.len() as u64;
        progress(total);
    }
    close_sending(data)?;
    Ok(total)
}

/// Ends a stream we sent on: flush, close_notify + FIN, drain until the peer's close.
pub(crate) fn finish_sending(data: &mut FtpStream) -> Result<(), CopyError> {
    close_sending(data)?;
    drain_after_sending(data);
    Ok(())
}

/// Flush, then TLS close_notify and FIN: everything we sent is on its way.
pub(crate) fn close_sending(data: &mut FtpStream) -> Result<(), CopyError> {
    data.flush()
        .map_err(|_| CopyError::Data(DataError::Broken))?;
    data.shutdown_write()
        .map_err(|_| CopyError::Data(DataError::Broken))
}

/// After [`close_sending`]: reads until the peer closes, bounded by [`DRAIN_LIMIT`], so that
/// nothing the peer still sends (a TLS 1.3 session ticket, its close_notify) makes our close
/// reset the connection before the peer has read everything. Whatever the peer does (close,
/// reset, silence), the data is delivered.
pub(crate) fn drain_after_sending(data: &mut FtpStream) {
    let mut buf = [0u8; 4096];
    let deadline = Instant::now() + DRAIN_LIMIT;
    while let Some(left) = remaining(deadline) {
        if data.set_read_timeout(Some(left)).is_err() {
            break;
        }
        match data.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(_) => {}
        }
    }
}

/// Receives the whole stream into `sink` (converted to local line ends in
/// [`Representation::Ascii`]). Under TLS an end without close_notify is
/// [`DataError::Truncated`]. After the end, answers with our own close_notify and FIN.
///
/// Returns the bytes read from the data connection.
pub(crate) fn receive_stream<W>(
    data: &mut FtpStream,
    sink: &mut W,
    repr: Representation,
    mut progress: impl FnMut(u64),
) -> Result<u64, CopyError>
where
    W: Write + ?Sized,
{
    let mut buf = vec![0u8; DATA_BUFFER];
    let mut local = FromWire::new(repr);
    let mut total: u64 = 0;
    loop {
        let n = match data.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(CopyError::Data(read_error(data, &e))),
        };
        // cannot fire: `read` returns at most `buf.len()`.
        let out = local.convert(buf.get(..n).unwrap_or_default());
        sink.write_all(out).map_err(CopyError::Local)?;
        total += n as u64;
        progress(total);
    }
    sink.write_all(local.finish()).map_err(CopyError::Local)?;
    sink.flush().map_err(CopyError::Local)?;
    data.close();
    Ok(total)
}

/// The [`DataError`] of a failed data read (the shared rule,
/// [`read_failure`](crate::support::transfer::read_failure)).
pub(crate) fn read_error(data: &FtpStream, e: &io::Error) -> DataError {
    read_failure(data.is_tls(), e)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stream::{accept_tls, connect_tls};
    use crate::support::cert::DemoCertificate;
    use crate::support::tls::{ClientTls, ServerTls, ServerTlsOptions, ServerVerification};

    const LIMIT: Duration = Duration::from_secs(10);

    /// A TLS pair over loopback: (client side, server side).
    fn tls_pair() -> (FtpStream, FtpStream) {
        let demo = DemoCertificate::generate().unwrap();
        let server = ServerTls::from_pem(
            demo.cert_pem.as_bytes(),
            demo.key_pem.as_bytes(),
            ServerTlsOptions::default(),
        )
        .unwrap()
        .session()
        .unwrap();
        let roots = crate::support::tls::certificates_from_pem(demo.cert_pem.as_bytes()).unwrap();
        let client = ClientTls::new(ServerVerification::Roots(roots), None).unwrap();
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let config = server.data_config();
        let accept = std::thread::spawn(move || {
            let (tcp, _) = listener.accept().unwrap();
            accept_tls(config, tcp, LIMIT).unwrap()
        });
        let tcp = connect(addr, LIMIT).unwrap();
        let name = client.server_name("localhost").unwrap();
        let c = connect_tls(client.config(), name, tcp, LIMIT).unwrap();
        let s = accept.join().unwrap();
        (
            FtpStream::Client(Box::new(c)),
            FtpStream::Server(Box::new(s)),
        )
    }

    // ADP-CLOSE: a sender that ends with close_notify delivers every byte; the receiver's
    // end is clean.
    #[test]
    fn adp_close_clean_end_delivers_every_byte() {
        let (mut client, mut server) = tls_pair();
        let payload: Vec<u8> = (0..700_000u32).map(|i| (i % 251) as u8).collect();
        let sent = payload.clone();
        let sender = std::thread::spawn(move || {
            send_stream(&mut &sent[..], &mut server, Representation::Binary, |_| {})
                .map_err(|e| format!("{e:?}"))
        });
        let mut got = Vec::new();
        let n = receive_stream(&mut client, &mut got, Representation::Binary, |_| {}).unwrap();
        assert_eq!(sender.join().unwrap(), Ok(700_000));
        assert_eq!(n, 700_000);
        assert_eq!(got, payload);
    }

    // ADP-CLOSE: a TLS stream cut without close_notify is Truncated, never a clean end.
    #[test]
    fn adp_close_cut_without_close_notify_is_truncated() {
        let (mut client, server) = tls_pair();
        let writer = std::thread::spawn(move || {
            let mut server = server;
            server.write_all(b"partial file").unwrap();
            server.flush().unwrap();
            // Drop the TCP stream without close_notify.
            if let FtpStream::Server(s) = server {
                s.sock.shutdown(std::net::Shutdown::Both).unwrap();
            }
        });
        let mut got = Vec::new();
        let result = receive_stream(&mut client, &mut got, Representation::Binary, |_| {});
        writer.join().unwrap();
        assert!(
            matches!(result, Err(CopyError::Data(DataError::Truncated))),
            "{result:?}"
        );
        assert_eq!(got, b"partial file");
    }

    // A plaintext stream has no close_notify: its FIN is the clean end.
    #[test]
    fn plain_end_is_clean() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let t = std::thread::spawn(move || {
            let (mut tcp, _) = listener.accept().unwrap();
            tcp.write_all(b"abc").unwrap();
        });
        let mut data = FtpStream::Plain(connect(addr, LIMIT).unwrap());
        let mut got = Vec::new();
        assert_eq!(
            receive_stream(&mut data, &mut got, Representation::Binary, |_| {}).unwrap(),
            3
        );
        assert_eq!(got, b"abc");
        t.join().unwrap();
    }

    // TYPE A: LF locally, CRLF on the wire, and back (the core's converters).
    #[test]
    fn ascii_representation_converts_both_ways() {
        let (mut client, mut server) = tls_pair();
        let sender = std::thread::spawn(move || {
            send_stream(
                &mut &b"a\nb\r\nc"[..],
                &mut server,
                Representation::Ascii,
                |_| {},
            )
            .map_err(|e| format!("{e:?}"))
        });
        let mut wire = Vec::new();
        let n = receive_stream(&mut client, &mut wire, Representation::Binary, |_| {}).unwrap();
        assert_eq!(sender.join().unwrap(), Ok(7));
        assert_eq!((n, wire.as_slice()), (7, &b"a\r\nb\r\nc"[..]));
        let (mut client, mut server) = tls_pair();
        let sender = std::thread::spawn(move || {
            send_stream(&mut &wire[..], &mut server, Representation::Binary, |_| {})
                .map_err(|e| format!("{e:?}"))
        });
        let mut local = Vec::new();
        receive_stream(&mut client, &mut local, Representation::Ascii, |_| {}).unwrap();
        assert_eq!(sender.join().unwrap(), Ok(7));
        assert_eq!(local, b"a\nb\nc");
    }

    #[test]
    fn listener_takes_a_port_from_the_range() {
        let probe = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = probe.local_addr().unwrap().port();
        drop(probe);
        let l = bind_listener("127.0.0.1".parse().unwrap(), Some(&(port..=port))).unwrap();
        assert_eq!(l.local_addr().unwrap().port(), port);
        // The only port is taken now: the range is exhausted.
        assert_eq!(
            bind_listener("127.0.0.1".parse().unwrap(), Some(&(port..=port)))
                .unwrap_err()
                .kind(),
            io::ErrorKind::AddrInUse
        );
    }
}
