//! [`ControlTls`]: the server's TLS layer for control connections, on rustls's unbuffered API
//! so that every buffer is ours and an idle session holds none.
//!
//! A control connection spends nearly all its life idle between commands. rustls's buffered
//! connection keeps a 4 KiB receive buffer from its first read to its end (it never shrinks
//! below that), which was the largest single part of an idle session. Here received TLS
//! bytes, decrypted bytes and encrypted bytes each live in a `Vec` that is freed as soon as
//! it is drained, and reads wait for the socket with a buffer on the stack. Data connections
//! keep `tokio-rustls`: they are busy while they exist.

use std::fmt;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{ready, Context, Poll};
use std::time::Duration;

use rustls::server::UnbufferedServerConnection;
use rustls::unbuffered::{
    ConnectionState, EncodeError, EncryptError, InsufficientSizeError, UnbufferedStatus,
};
use rustls::ServerConfig;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

use crate::stream::with_timeout;

/// Largest plaintext taken by one `poll_write` (one TLS record's worth): bounds the encrypted
/// bytes held for the socket.
const MAX_WRITE: usize = 16 * 1024;

/// Largest amount of received TLS bytes held unprocessed: one handshake message of up to
/// 64 KiB (rustls's own limit) split over records, plus one record.
const MAX_INCOMING: usize = 0xffff + 16 * 1024 + 2048 + 5;

/// Size of one socket read (on the stack; only what arrives is kept).
const READ_CHUNK: usize = 4096;

/// A TLS server stream over a control connection's TCP stream.
pub struct ControlTls {
    tcp: TcpStream,
    conn: UnbufferedServerConnection,
    /// Received TLS bytes not processed yet (a partial record); unallocated when empty.
    incoming: Vec<u8>,
    /// Decrypted bytes not read yet: `plain[plain_pos..]`; unallocated when drained.
    plain: Vec<u8>,
    plain_pos: usize,
    /// Encrypted bytes not written yet: `outgoing[out_pos..]`; unallocated when drained.
    outgoing: Vec<u8>,
    out_pos: usize,
    /// The peer's close_notify arrived: reads return end of stream.
    peer_closed: bool,
    /// Our close_notify is queued.
    sent_close_notify: bool,
    /// The TCP stream ended.
    eof: bool,
}

impl fmt::Debug for ControlTls {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ControlTls")
            .field("tcp", &self.tcp)
            .field("protocol_version", &self.conn.protocol_version())
            .field("incoming", &self.incoming.len())
            .field("plain", &(self.plain.len() - self.plain_pos))
            .field("outgoing", &(self.outgoing.len() - self.out_pos))
            .field("peer_closed", &self.peer_closed)
            .finish()
    }
}

/// What the connection waits for after processing what it holds.
enum Next {
    /// More bytes from the peer (a handshake flight, or the rest of a record).
    Read,
    /// Nothing: application data may be written.
    Write,
    /// Both close_notify alerts were exchanged.
    Closed,
}

fn tls_error(e: rustls::Error) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, e)
}

fn encode_error(e: EncodeError) -> io::Error {
    io::Error::other(e)
}

fn encrypt_error(e: EncryptError) -> io::Error {
    io::Error::other(e)
}

/// Appends what `write` produces to `out`: asked first with no room, it reports the exact size
/// it needs, which is then made available.
fn append<E>(
    out: &mut Vec<u8>,
    mut write: impl FnMut(&mut [u8]) -> Result<usize, E>,
    needed: impl Fn(&E) -> Option<InsufficientSizeError>,
) -> Result<(), E> {
    let start = out.len();
    let n = match write(&mut []) {
        Ok(n) => n,
        Err(e) => {
            let Some(InsufficientSizeError { required_size }) = needed(&e) else {
                return Err(e);
            };
            out.resize(start + required_size, 0);
            // cannot fire: `out` is at least `start` long.
            let tail = out.get_mut(start..).unwrap_or_default();
            match write(tail) {
                Ok(n) => n,
                Err(e) => {
                    out.truncate(start);
                    return Err(e);
                }
            }
        }
    };
    out.truncate(start + n);
    Ok(())
}

impl ControlTls {
    /// Runs a TLS server handshake on `tcp` within `limit`.
    pub(crate) async fn accept(
        config: Arc<ServerConfig>,
        tcp: TcpStream,
        limit: Duration,
    ) -> io::Result<ControlTls> {
        let conn = UnbufferedServerConnection::new(config).map_err(tls_error)?;
        let mut tls = ControlTls {
            tcp,
            conn,
            incoming: Vec::new(),
            plain: Vec::new(),
            plain_pos: 0,
            outgoing: Vec::new(),
            out_pos: 0,
            peer_closed: false,
            sent_close_notify: false,
            eof: false,
        };
        with_timeout(limit, std::future::poll_fn(|cx| tls.poll_handshake(cx))).await?;
        Ok(tls)
    }

    /// The negotiated TLS version.
    pub fn protocol_version(&self) -> Option<rustls::ProtocolVersion> {
        self.conn.protocol_version()
    }

    /// The certificate chain the client presented, if any.
    pub fn peer_certificates(&self) -> Option<&[rustls::pki_types::CertificateDer<'static>]> {
        self.conn.peer_certificates()
    }

    /// The TCP stream underneath.
    pub fn get_ref(&self) -> &TcpStream {
        &self.tcp
    }

    fn poll_handshake(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        loop {
            let next = self.process()?;
            if !self.conn.is_handshaking() {
                // The session tickets and the last flight go out before the session goes on.
                return self.poll_write_out(cx);
            }
            match next {
                // A TLS 1.3 server may write once its Finished is out, but the handshake is
                // over only with the client's Finished.
                Next::Read | Next::Write => {
                    // Our flight must reach the peer before its answer can come.
                    ready!(self.poll_write_out(cx))?;
                    if ready!(self.poll_fill(cx))? == 0 {
                        return Poll::Ready(Err(io::Error::new(
                            io::ErrorKind::UnexpectedEof,
                            "connection closed during the TLS handshake",
                        )));
                    }
                }
                Next::Closed => {
                    return Poll::Ready(Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "TLS closed during the handshake",
                    )))
                }
            }
        }
    }

    /// Processes the received TLS bytes until the connection needs I/O: decrypted data goes to
    /// `plain`, records to send to `outgoing`.
    fn process(&mut self) -> io::Result<Next> {
        loop {
            let ControlTls {
                conn,
                incoming,
                plain,
                outgoing,
                peer_closed,
                ..
            } = self;
            let UnbufferedStatus { discard, state } = conn.process_tls_records(incoming);
            let next = match state.map_err(tls_error)? {
                ConnectionState::ReadTraffic(mut traffic) => {
                    while let Some(record) = traffic.next_record() {
                        let record = record.map_err(tls_error)?;
                        plain.extend_from_slice(record.payload);
                    }
                    None
                }
                ConnectionState::EncodeTlsData(mut data) => {
                    append(
                        outgoing,
                        |out| data.encode(out),
                        |e| match e {
                            EncodeError::InsufficientSize(s) => Some(*s),
                            _ => None,
                        },
                    )
                    .map_err(encode_error)?;
                    None
                }
                // The encoded records are written, in order, before anything written later.
                ConnectionState::TransmitTlsData(data) => {
                    data.done();
                    None
                }
                ConnectionState::PeerClosed => {
                    *peer_closed = true;
                    None
                }
                ConnectionState::BlockedHandshake => Some(Next::Read),
                ConnectionState::WriteTraffic(_) => Some(Next::Write),
                ConnectionState::Closed => Some(Next::Closed),
                // No early data is accepted (the configs leave `max_early_data_size` at 0).
                _ => {
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidData,
                        "unexpected TLS state",
                    ))
                }
            };
            if discard >= incoming.len() {
                *incoming = Vec::new();
            } else {
                incoming.drain(..discard);
            }
            if let Some(next) = next {
                return Ok(next);
            }
        }
    }

    /// Reads what the socket has into `incoming`; `Ready(Ok(0))` at its end.
    fn poll_fill(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        if self.eof {
            return Poll::Ready(Ok(0));
        }
        if self.incoming.len() >= MAX_INCOMING {
            return Poll::Ready(Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "TLS message too large",
            )));
        }
        let mut chunk = [0u8; READ_CHUNK];
        let mut buf = ReadBuf::new(&mut chunk);
        ready!(Pin::new(&mut self.tcp).poll_read(cx, &mut buf))?;
        let got = buf.filled();
        if got.is_empty() {
            self.eof = true;
        }
        self.incoming.extend_from_slice(got);
        Poll::Ready(Ok(got.len()))
    }

    /// Writes `outgoing` to the socket; frees it once all is written.
    fn poll_write_out(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while let Some(rest) = self.outgoing.get(self.out_pos..).filter(|r| !r.is_empty()) {
            let n = ready!(Pin::new(&mut self.tcp).poll_write(cx, rest))?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            self.out_pos += n;
        }
        self.outgoing = Vec::new();
        self.out_pos = 0;
        Poll::Ready(Ok(()))
    }

    /// Brings the connection to the point where application data may be encrypted (what was
    /// received meanwhile is kept for reads) and runs `write` on it, with `outgoing`.
    fn with_write_traffic<T>(
        &mut self,
        write: impl FnOnce(
            &mut rustls::unbuffered::WriteTraffic<'_, rustls::server::ServerConnectionData>,
            &mut Vec<u8>,
        ) -> io::Result<T>,
    ) -> io::Result<T> {
        match self.process()? {
            Next::Write => {}
            Next::Read => {
                return Err(io::Error::new(
                    io::ErrorKind::NotConnected,
                    "TLS handshake not complete",
                ))
            }
            Next::Closed => return Err(io::ErrorKind::BrokenPipe.into()),
        }
        let ControlTls {
            conn,
            incoming,
            outgoing,
            ..
        } = self;
        let UnbufferedStatus { discard, state } = conn.process_tls_records(incoming);
        let result = match state.map_err(tls_error)? {
            ConnectionState::WriteTraffic(mut traffic) => write(&mut traffic, outgoing),
            // cannot happen: `process` just stopped at `WriteTraffic` and nothing was received
            // since.
            _ => Err(io::Error::other("TLS state changed unexpectedly")),
        };
        if discard > 0 {
            incoming.drain(..discard.min(incoming.len()));
        }
        result
    }

    /// Sends close_notify, reads the peer's records one at a time until its close_notify (so
    /// no byte of the plaintext that follows is consumed) and gives back the TCP stream with the
    /// plaintext bytes that arrived after the close_notify already (CCC, RFC 4217 §6).
    pub(crate) async fn stop(mut self, limit: Duration) -> io::Result<(TcpStream, Vec<u8>)> {
        with_timeout(limit, async {
            std::future::poll_fn(|cx| self.poll_close_notify(cx)).await?;
            while !self.peer_closed {
                if let Next::Closed = self.process()? {
                    break;
                }
                if self.peer_closed {
                    break;
                }
                self.read_record().await?;
            }
            Ok(())
        })
        .await?;
        // After the close_notify rustls stops reading: what is left is plaintext.
        let rest = std::mem::take(&mut self.incoming);
        Ok((self.tcp, rest))
    }

    /// Reads exactly the rest of the next TLS record (header, then body) into `incoming`.
    async fn read_record(&mut self) -> io::Result<()> {
        use tokio::io::AsyncReadExt;
        let have = self.incoming.len();
        let mut need = 5usize.saturating_sub(have);
        if let Some(header) = self.incoming.get(..5) {
            let body = usize::from(u16::from_be_bytes([header[3], header[4]]));
            need = (5 + body).saturating_sub(have);
        }
        if need == 0 || have + need > MAX_INCOMING {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "unexpected TLS record",
            ));
        }
        self.incoming.resize(have + need, 0);
        // cannot fire: `incoming` was just resized to `have + need`.
        let tail = self.incoming.get_mut(have..).unwrap_or_default();
        self.tcp.read_exact(tail).await?;
        Ok(())
    }

    fn poll_close_notify(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if !self.sent_close_notify {
            self.with_write_traffic(|traffic, out| {
                append(
                    out,
                    |o| traffic.queue_close_notify(o),
                    |e| match e {
                        EncryptError::InsufficientSize(s) => Some(*s),
                        _ => None,
                    },
                )
                .map_err(encrypt_error)
            })?;
            self.sent_close_notify = true;
        }
        ready!(self.poll_write_out(cx))?;
        Pin::new(&mut self.tcp).poll_flush(cx)
    }
}

impl AsyncRead for ControlTls {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        loop {
            if let Some(rest) = this.plain.get(this.plain_pos..).filter(|r| !r.is_empty()) {
                let n = rest.len().min(buf.remaining());
                // cannot fire: `n` is at most `rest.len()`.
                buf.put_slice(rest.get(..n).unwrap_or_default());
                this.plain_pos += n;
                if this.plain_pos == this.plain.len() {
                    this.plain = Vec::new();
                    this.plain_pos = 0;
                }
                return Poll::Ready(Ok(()));
            }
            if this.peer_closed {
                return Poll::Ready(Ok(()));
            }
            let next = this.process()?;
            if !this.plain.is_empty() || this.peer_closed {
                continue;
            }
            // Records produced while reading (KeyUpdate answers) go out when they can; a peer
            // that makes us produce them without reading them is not read further until they
            // are written (they stay bounded).
            if this.outgoing.len() - this.out_pos >= MAX_WRITE {
                ready!(this.poll_write_out(cx))?;
            } else if this.out_pos < this.outgoing.len() {
                let _ = this.poll_write_out(cx)?;
            }
            match next {
                Next::Closed => return Poll::Ready(Ok(())),
                Next::Read | Next::Write => {
                    if ready!(this.poll_fill(cx))? == 0 {
                        // The TCP stream ended without close_notify: end of stream.
                        return Poll::Ready(Ok(()));
                    }
                }
            }
        }
    }
}

impl AsyncWrite for ControlTls {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if data.is_empty() {
            return Poll::Ready(Ok(0));
        }
        // Earlier records go first; at most one write's worth is held.
        if this.outgoing.len() - this.out_pos >= MAX_WRITE {
            ready!(this.poll_write_out(cx))?;
        }
        // cannot fire: the bound is at most `data.len()`.
        let chunk = data.get(..data.len().min(MAX_WRITE)).unwrap_or_default();
        this.with_write_traffic(|traffic, out| {
            append(
                out,
                |o| traffic.encrypt(chunk, o),
                |e| match e {
                    EncryptError::InsufficientSize(s) => Some(*s),
                    _ => None,
                },
            )
            .map_err(encrypt_error)
        })?;
        // Start sending now; whatever the socket does not take waits for the next write or flush.
        if let Poll::Ready(Err(e)) = this.poll_write_out(cx) {
            return Poll::Ready(Err(e));
        }
        Poll::Ready(Ok(chunk.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        ready!(this.poll_write_out(cx))?;
        Pin::new(&mut this.tcp).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if !this.sent_close_notify && !this.eof {
            // A peer that is gone cannot take the close_notify: shut down anyway.
            if let Poll::Ready(Err(_)) = this.poll_close_notify(cx) {
                return Pin::new(&mut this.tcp).poll_shutdown(cx);
            }
        }
        ready!(this.poll_write_out(cx))?;
        Pin::new(&mut this.tcp).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ftps_proto_std::support::cert::DemoCertificate;
    use ftps_proto_std::support::tls::{certificates_from_pem, ServerTls, ServerTlsOptions};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpListener;

    const LIMIT: Duration = Duration::from_secs(10);

    /// A server config and a client config that trusts it, limited to `versions`.
    fn configs(
        versions: &[&'static rustls::SupportedProtocolVersion],
    ) -> (Arc<ServerConfig>, Arc<rustls::ClientConfig>) {
        let demo = DemoCertificate::generate().expect("certificate");
        let server = ServerTls::from_pem(
            demo.cert_pem.as_bytes(),
            demo.key_pem.as_bytes(),
            ServerTlsOptions::default(),
        )
        .expect("server TLS");
        let control = server.session().expect("session TLS").control_config();
        let mut roots = rustls::RootCertStore::empty();
        for cert in certificates_from_pem(demo.cert_pem.as_bytes()).expect("roots") {
            roots.add(cert).expect("root");
        }
        let provider = ftps_proto_std::support::tls::crypto_provider();
        let client = rustls::ClientConfig::builder_with_provider(provider)
            .with_protocol_versions(versions)
            .expect("versions")
            .with_root_certificates(roots)
            .with_no_client_auth();
        (control, Arc::new(client))
    }

    /// A connected pair: our server side (handshake done) and a tokio-rustls client.
    async fn pair(
        versions: &[&'static rustls::SupportedProtocolVersion],
    ) -> (ControlTls, tokio_rustls::client::TlsStream<TcpStream>) {
        let (server_config, client_config) = configs(versions);
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let connector = tokio_rustls::TlsConnector::from(client_config);
        let client = async {
            let tcp = TcpStream::connect(addr).await.expect("connect");
            let name = rustls::pki_types::ServerName::try_from("localhost").expect("name");
            connector
                .connect(name, tcp)
                .await
                .expect("client handshake")
        };
        let server = async {
            let (tcp, _) = listener.accept().await.expect("accept");
            ControlTls::accept(server_config, tcp, LIMIT)
                .await
                .expect("server handshake")
        };
        let (server, client) = tokio::join!(server, client);
        (server, client)
    }

    fn holds_nothing(tls: &ControlTls) -> bool {
        tls.incoming.capacity() == 0 && tls.plain.capacity() == 0 && tls.outgoing.capacity() == 0
    }

    /// Both ways, both TLS versions, lines and a reply larger than a record; once drained the
    /// server side holds no buffer (what an idle session costs).
    #[tokio::test]
    async fn exchanges_data_and_holds_no_buffer_when_idle() {
        for versions in [
            &[&rustls::version::TLS13][..],
            &[&rustls::version::TLS12][..],
        ] {
            let (mut server, mut client) = pair(versions).await;
            assert!(holds_nothing(&server), "after the handshake: {server:?}");
            client.write_all(b"USER anna\r\n").await.expect("write");
            client.flush().await.expect("flush");
            let mut line = [0u8; 11];
            server.read_exact(&mut line).await.expect("read");
            assert_eq!(&line, b"USER anna\r\n");
            let big: Vec<u8> = (0..40_000u32).map(|i| (i % 251) as u8).collect();
            server.write_all(&big).await.expect("write big");
            server.flush().await.expect("flush");
            let mut got = vec![0u8; big.len()];
            client.read_exact(&mut got).await.expect("read big");
            assert_eq!(got, big);
            assert!(holds_nothing(&server), "after the exchange: {server:?}");
            client.shutdown().await.expect("client close_notify");
            let mut rest = Vec::new();
            server.read_to_end(&mut rest).await.expect("read to end");
            assert!(rest.is_empty());
            server.shutdown().await.expect("server shutdown");
        }
    }

    /// ADP-HANDOFF after CCC: plaintext pipelined right behind the client's close_notify (here
    /// in the same TCP write as the command and the close_notify) is handed back unchanged, not
    /// lost; without pipelining no byte after the close_notify is read from the socket.
    #[tokio::test]
    async fn stop_gives_back_plaintext_after_close_notify() {
        for pipelined in [false, true] {
            let (mut server, client) = pair(&[&rustls::version::TLS13]).await;
            let (mut tcp, mut conn) = client.into_inner();
            let mut wire = Vec::new();
            std::io::Write::write_all(&mut conn.writer(), b"CCC\r\n").expect("plaintext");
            if pipelined {
                conn.send_close_notify();
            }
            while conn.wants_write() {
                conn.write_tls(&mut wire).expect("encode");
            }
            if pipelined {
                wire.extend_from_slice(b"NOOP\r\n");
            }
            tcp.write_all(&wire).await.expect("send");
            let mut line = [0u8; 5];
            server.read_exact(&mut line).await.expect("read");
            assert_eq!(&line, b"CCC\r\n");
            let stopping = tokio::spawn(server.stop(LIMIT));
            if !pipelined {
                conn.send_close_notify();
                let mut wire = Vec::new();
                while conn.wants_write() {
                    conn.write_tls(&mut wire).expect("encode");
                }
                wire.extend_from_slice(b"NOOP\r\n");
                tcp.write_all(&wire).await.expect("send");
            }
            let (mut plain, mut rest) = stopping.await.expect("join").expect("stop");
            while rest.len() < 6 {
                let mut more = [0u8; 16];
                let n = plain.read(&mut more).await.expect("read plaintext");
                assert!(n > 0, "connection ended");
                rest.extend_from_slice(&more[..n]);
            }
            assert_eq!(rest, b"NOOP\r\n", "pipelined: {pipelined}");
        }
    }

    /// A peer that sends no ClientHello but text gets an error, not a hang or a panic.
    #[tokio::test]
    async fn garbage_instead_of_client_hello_fails() {
        let (server_config, _) = configs(&[&rustls::version::TLS13]);
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let client = tokio::spawn(async move {
            let mut tcp = TcpStream::connect(addr).await.expect("connect");
            tcp.write_all(b"USER anna\r\nPASS secret\r\n")
                .await
                .expect("write");
            let mut sink = Vec::new();
            let _ = tcp.read_to_end(&mut sink).await;
        });
        let (tcp, _) = listener.accept().await.expect("accept");
        let err = ControlTls::accept(server_config, tcp, LIMIT)
            .await
            .expect_err("handshake must fail");
        assert_eq!(err.kind(), io::ErrorKind::InvalidData, "{err}");
        client.abort();
    }
}
