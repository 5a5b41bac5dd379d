//! The async FTPS client: [`Client`] drives a core [`ClientSession`] over a control
//! connection; transfers copy between data connections and the caller's readers/writers.
//!
//! ```no_run
//! use ftps_proto_tokio::client::{Client, ConnectOptions};
//! use ftps_proto_tokio::support::tls::ClientTls;
//!
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let tls = ClientTls::with_ca_file(std::path::Path::new("ftps-demo-cert.pem"))?;
//! let mut client = Client::connect("localhost", 2121, ConnectOptions::explicit(tls)).await?;
//! client.login("demo", "password").await?;
//! let mut file = Vec::new();
//! client.retr("hello.txt", &mut file).await?;
//! client.stor("copy.txt", &mut &file[..]).await?;
//! for entry in client.mlsd(None).await? {
//!     println!("{}", String::from_utf8_lossy(&entry.name));
//! }
//! client.quit().await?;
//! # Ok(()) }
//! ```
//!
//! Data connections under `PROT P` are TLS with this client as the TLS client (also in active
//! mode), with the **same** rustls config as the control connection and the same server name,
//! so each one offers the control session for resumption (servers that require it, such as
//! vsftpd with `require_ssl_reuse=YES`, accept them). After an upload the client sends
//! close_notify, then reads until the server closes, so the server gets every byte even when
//! it sends a TLS session ticket on the data connection.
//!
//! Transfers come in three forms: with a reader or writer of the caller's ([`Client::retr`],
//! [`Client::stor`], [`Client::download`], [`Client::upload`]), as an [`AsyncRead`]
//! ([`Client::retr_reader`] -> [`DataReader`]) and as an [`AsyncWrite`]
//! ([`Client::stor_writer`] -> [`DataWriter`]); the stream forms end with `finish` (the
//! server's verdict) or `abort` (`ABOR`). `TYPE A` ([`Client::retr_ascii`],
//! [`Client::stor_ascii`], or [`Transfer::ascii`] with the general forms) converts line ends
//! with [`ftps_proto::ascii`] while copying: LF locally, CRLF on the wire. [`Client::stou`]
//! returns the name the server picked.

mod stream_io;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use ftps_proto::client::{ClientSession, OpId, OpOutput, Operation, Transfer, TransferKind};
use ftps_proto::codec::reply_body::Features;
use ftps_proto::session::{DataId, TlsEvent};
use ftps_proto::timeval::TimeVal;
use ftps_proto::Secret;
use ftps_proto_std::support::client_book::{self as book, ClientBook};
use ftps_proto_std::support::data_tls::DataTlsRole;
use ftps_proto_std::support::drive::Step;
use ftps_proto_std::support::remote::{ListingCollector, MAX_LISTING};
use ftps_proto_std::support::tls::ClientTls;
use ftps_proto_std::support::transfer::{confirmed_bytes, ClientDataEnd};
use rustls::pki_types::ServerName;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::oneshot;
use tracing::debug;

use crate::conn::DataTasks;
use crate::data::{receive_stream, send_stream, CopyError, Representation};
use crate::stream::{connect_tls, stop_tls, with_timeout, FtpStream};

pub use ftps_proto_std::support::client_error::Error;
pub use ftps_proto_std::support::connect::ConnectOptions;
pub use ftps_proto_std::support::remote::RemoteEntry;
pub use stream_io::{DataReader, DataWriter};

/// An FTPS client connection.
pub struct Client {
    session: ClientSession,
    stream: FtpStream,
    out: Vec<u8>,
    rbuf: Vec<u8>,
    data: DataTasks<oneshot::Sender<FtpStream>>,
    tls: Option<(ClientTls, ServerName<'static>)>,
    book: ClientBook,
    started: HashMap<DataId, oneshot::Receiver<FtpStream>>,
    deadline: Option<Instant>,
    timeout: Duration,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("server", &self.session.server_addr())
            .field("tls", &self.stream.is_tls())
            .finish_non_exhaustive()
    }
}

impl Client {
    /// Connects to `host:port` and runs the session setup (greeting, TLS, `FEAT`, `PBSZ`/`PROT`).
    pub async fn connect(host: &str, port: u16, options: ConnectOptions) -> Result<Client, Error> {
        let lookup = tokio::net::lookup_host((ConnectOptions::bare_host(host), port));
        let addrs: Vec<SocketAddr> = with_timeout(options.timeout, lookup).await?.collect();
        let mut last = Error::Io(std::io::Error::new(
            std::io::ErrorKind::NotFound,
            format!("{host}: no address"),
        ));
        for addr in addrs {
            match crate::data::connect(addr, options.timeout).await {
                Ok(tcp) => {
                    let name = options.verified_name(host);
                    return Client::on_stream(tcp, addr, &name, options).await;
                }
                Err(e) => last = Error::Io(e),
            }
        }
        Err(last)
    }

    async fn on_stream(
        tcp: tokio::net::TcpStream,
        addr: SocketAddr,
        name: &str,
        options: ConnectOptions,
    ) -> Result<Client, Error> {
        let parts = options.into_parts(name, tcp.local_addr()?.ip())?;
        let role = DataTlsRole::for_client(parts.tls.as_ref());
        let handshake = parts.config.timeouts.tls_handshake;
        let session = ClientSession::new(parts.config, addr, Instant::now());
        let mut client = Client {
            session,
            stream: FtpStream::Plain(tcp),
            out: Vec::with_capacity(1024),
            rbuf: vec![0u8; 16 * 1024],
            data: DataTasks::new(role, handshake, handshake),
            tls: parts.tls,
            book: ClientBook::default(),
            started: HashMap::new(),
            deadline: None,
            timeout: parts.timeout,
        };
        loop {
            client.drain().await;
            if let Some(outcome) = client.book.setup_outcome() {
                return outcome.map(|()| client);
            }
            client.wait().await?;
        }
    }

    /// Whether the control connection is encrypted now.
    pub fn is_control_tls(&self) -> bool {
        self.stream.is_tls()
    }

    /// The TLS version negotiated on the control connection (`None` in plaintext).
    pub fn control_tls_version(&self) -> Option<rustls::ProtocolVersion> {
        match &self.stream {
            FtpStream::Client(s) => s.get_ref().1.protocol_version(),
            _ => None,
        }
    }

    /// The core session (read-only), e.g. for its `features()`.
    pub fn session(&self) -> &ClientSession {
        &self.session
    }

    /// Logs in. The password is never logged.
    pub async fn login(&mut self, user: &str, password: &str) -> Result<(), Error> {
        let op = self
            .session
            .login(user.as_bytes(), Secret::from(password), None)?;
        self.finish(op).await.map(|_| ())
    }

    /// Runs one single-command operation and returns its result.
    pub async fn command(&mut self, operation: Operation<'_>) -> Result<OpOutput, Error> {
        let op = self.session.command(operation)?;
        self.finish(op).await
    }

    /// `PWD`: the working directory.
    pub async fn pwd(&mut self) -> Result<String, Error> {
        book::path_of(self.command(Operation::Pwd).await?)
    }

    /// `CWD path`.
    pub async fn cwd(&mut self, path: &str) -> Result<(), Error> {
        self.command(Operation::Cwd(path.as_bytes()))
            .await
            .map(|_| ())
    }

    /// `MKD path`: returns the created directory as the server names it.
    pub async fn mkdir(&mut self, path: &str) -> Result<String, Error> {
        let output = self.command(Operation::Mkd(path.as_bytes())).await?;
        Ok(book::made_dir(output, path))
    }

    /// `RMD path`.
    pub async fn rmdir(&mut self, path: &str) -> Result<(), Error> {
        self.command(Operation::Rmd(path.as_bytes()))
            .await
            .map(|_| ())
    }

    /// `DELE path`.
    pub async fn delete(&mut self, path: &str) -> Result<(), Error> {
        self.command(Operation::Dele(path.as_bytes()))
            .await
            .map(|_| ())
    }

    /// `RNFR from` + `RNTO to`.
    pub async fn rename(&mut self, from: &str, to: &str) -> Result<(), Error> {
        self.command(Operation::Rename {
            from: from.as_bytes(),
            to: to.as_bytes(),
        })
        .await
        .map(|_| ())
    }

    /// `SIZE path`.
    pub async fn size(&mut self, path: &str) -> Result<u64, Error> {
        book::size_of(self.command(Operation::Size(path.as_bytes())).await?)
    }

    /// `MDTM path`.
    pub async fn mdtm(&mut self, path: &str) -> Result<TimeVal, Error> {
        book::time_of(self.command(Operation::Mdtm(path.as_bytes())).await?)
    }

    /// `FEAT`.
    pub async fn feat(&mut self) -> Result<Features, Error> {
        book::features_of(self.command(Operation::Feat).await?)
    }

    /// `SITE text`: the reply's text (lines joined with `\n`, code removed).
    pub async fn site(&mut self, text: &str) -> Result<String, Error> {
        book::reply_text_of(self.command(Operation::Site(text.as_bytes())).await?)
    }

    /// `CCC`: the control connection continues in plaintext (data protection unchanged).
    pub async fn ccc(&mut self) -> Result<(), Error> {
        self.command(Operation::Ccc).await.map(|_| ())
    }

    /// `NOOP`.
    pub async fn noop(&mut self) -> Result<(), Error> {
        self.command(Operation::Noop).await.map(|_| ())
    }

    /// `QUIT`, then closes the connection.
    pub async fn quit(mut self) -> Result<(), Error> {
        let op = self.session.command(Operation::Quit)?;
        let result = self.finish(op).await;
        self.stream.close().await;
        result.map(|_| ())
    }

    /// `RETR path` into `writer`, from `offset` (`REST`) when non-zero. Returns the bytes
    /// received. Under TLS a data stream that ends without close_notify is an error.
    pub async fn retr_from<W>(
        &mut self,
        path: &str,
        offset: u64,
        writer: &mut W,
    ) -> Result<u64, Error>
    where
        W: AsyncWrite + Unpin + Send + ?Sized,
    {
        let t = Transfer::new(TransferKind::Retr, path.as_bytes()).offset(offset);
        self.download(t, writer).await
    }

    /// `RETR path` into `writer`.
    pub async fn retr<W>(&mut self, path: &str, writer: &mut W) -> Result<u64, Error>
    where
        W: AsyncWrite + Unpin + Send + ?Sized,
    {
        self.retr_from(path, 0, writer).await
    }

    /// `RETR path` in `TYPE A`: the server's CRLF line ends arrive as LF in `writer`
    /// (DAT-ASCII). Returns the bytes received on the data connection.
    pub async fn retr_ascii<W>(&mut self, path: &str, writer: &mut W) -> Result<u64, Error>
    where
        W: AsyncWrite + Unpin + Send + ?Sized,
    {
        let t = Transfer::new(TransferKind::Retr, path.as_bytes()).ascii(true);
        self.download(t, writer).await
    }

    /// Runs a download described by the core's [`Transfer`] (`RETR`, or a listing) into
    /// `writer`: offset (`REST`) and `TYPE A` conversion as `t` asks. Returns the bytes
    /// received on the data connection.
    ///
    /// ```no_run
    /// # async fn demo(client: &mut ftps_proto_tokio::client::Client) -> Result<(), ftps_proto_tokio::client::Error> {
    /// use ftps_proto::client::{Transfer, TransferKind};
    /// let mut text = Vec::new();
    /// let t = Transfer::new(TransferKind::Retr, b"notes.txt").offset(10).ascii(true);
    /// client.download(t, &mut text).await?;
    /// # Ok(()) }
    /// ```
    pub async fn download<W>(&mut self, t: Transfer<'_>, writer: &mut W) -> Result<u64, Error>
    where
        W: AsyncWrite + Unpin + Send + ?Sized,
    {
        let repr = book::download_repr(&t)?;
        let (op, id, mut stream) = self.open_transfer(t).await?;
        let result = receive_stream(&mut stream, writer, repr, |_| {}).await;
        // Closed before waiting for the replies: after a local error (listing cap, writer
        // failure) the transfer is aborted, and a server blocked writing this connection
        // reads `ABOR` only once it is gone. After a clean end nothing is left on it.
        drop(stream);
        self.end_transfer(op, id, result).await.map(|(n, _)| n)
    }

    /// `RETR path` as an [`AsyncRead`]: read it to the end, then call
    /// [`DataReader::finish`] for the server's verdict (or [`DataReader::abort`]).
    pub async fn retr_reader(&mut self, path: &str, offset: u64) -> Result<DataReader<'_>, Error> {
        let t = Transfer::new(TransferKind::Retr, path.as_bytes()).offset(offset);
        self.download_reader(t).await
    }

    /// A download described by `t` (`RETR` or a listing) as an [`AsyncRead`], converted to
    /// local line ends when `t.ascii` (see [`Client::retr_reader`]).
    pub async fn download_reader(&mut self, t: Transfer<'_>) -> Result<DataReader<'_>, Error> {
        let repr = book::download_repr(&t)?;
        let (op, id, stream) = self.open_transfer(t).await?;
        Ok(DataReader::new(self, op, id, stream, repr))
    }

    /// `STOR path` from `reader`, writing from `offset` (`REST`) when non-zero.
    pub async fn stor_from<R>(
        &mut self,
        path: &str,
        offset: u64,
        reader: &mut R,
    ) -> Result<u64, Error>
    where
        R: AsyncRead + Unpin + Send + ?Sized,
    {
        let t = Transfer::new(TransferKind::Stor, path.as_bytes()).offset(offset);
        self.upload(t, reader).await
    }

    /// `STOR path` from `reader`.
    pub async fn stor<R>(&mut self, path: &str, reader: &mut R) -> Result<u64, Error>
    where
        R: AsyncRead + Unpin + Send + ?Sized,
    {
        self.stor_from(path, 0, reader).await
    }

    /// `STOR path` in `TYPE A`: LF line ends from `reader` travel as CRLF (DAT-ASCII; an
    /// existing CRLF is kept as is). Returns the bytes sent on the data connection.
    pub async fn stor_ascii<R>(&mut self, path: &str, reader: &mut R) -> Result<u64, Error>
    where
        R: AsyncRead + Unpin + Send + ?Sized,
    {
        let t = Transfer::new(TransferKind::Stor, path.as_bytes()).ascii(true);
        self.upload(t, reader).await
    }

    /// `APPE path` from `reader`.
    pub async fn appe<R>(&mut self, path: &str, reader: &mut R) -> Result<u64, Error>
    where
        R: AsyncRead + Unpin + Send + ?Sized,
    {
        let t = Transfer::new(TransferKind::Appe, path.as_bytes());
        self.upload(t, reader).await
    }

    /// `STOU` from `reader` (C959-STOU): the server stores the upload under a name it picks
    /// and returns that name (from its `150 FILE: name` reply; `None` when the server did not
    /// give one).
    pub async fn stou<R>(&mut self, reader: &mut R) -> Result<Option<String>, Error>
    where
        R: AsyncRead + Unpin + Send + ?Sized,
    {
        let t = Transfer::without_path(TransferKind::Stou);
        let (op, id, mut stream) = self.open_transfer(t).await?;
        let result = send_stream(reader, &mut stream, Representation::Binary, |_| {}).await;
        Ok(book::stored_name(
            self.end_transfer(op, id, result).await?.1,
        ))
    }

    /// Runs an upload described by the core's [`Transfer`] (`STOR`, `APPE` or `STOU`) from
    /// `reader`: offset (`REST`) and `TYPE A` conversion as `t` asks. Returns the bytes sent
    /// on the data connection.
    pub async fn upload<R>(&mut self, t: Transfer<'_>, reader: &mut R) -> Result<u64, Error>
    where
        R: AsyncRead + Unpin + Send + ?Sized,
    {
        let repr = book::upload_repr(&t)?;
        let (op, id, mut stream) = self.open_transfer(t).await?;
        let result = send_stream(reader, &mut stream, repr, |_| {}).await;
        // Closed before waiting for the replies: after a local error (listing cap, writer
        // failure) the transfer is aborted, and a server blocked writing this connection
        // reads `ABOR` only once it is gone. After a clean end nothing is left on it.
        drop(stream);
        self.end_transfer(op, id, result).await.map(|(n, _)| n)
    }

    /// `STOR path` as an [`AsyncWrite`]: write the file, then call [`DataWriter::finish`]
    /// (close_notify, wait for the server's close and its final reply), or
    /// [`DataWriter::abort`].
    ///
    /// ```no_run
    /// # async fn demo(client: &mut ftps_proto_tokio::client::Client) -> Result<(), ftps_proto_tokio::client::Error> {
    /// use tokio::io::AsyncWriteExt;
    /// let mut w = client.stor_writer("log.txt").await?;
    /// w.write_all(b"line 1\n").await?;
    /// w.write_all(b"line 2\n").await?;
    /// let sent = w.finish().await?;
    /// assert_eq!(sent, 14);
    /// # Ok(()) }
    /// ```
    pub async fn stor_writer(&mut self, path: &str) -> Result<DataWriter<'_>, Error> {
        self.upload_writer(Transfer::new(TransferKind::Stor, path.as_bytes()))
            .await
    }

    /// An upload described by `t` (`STOR`, `APPE`, `STOU`) as an [`AsyncWrite`], converted
    /// to CRLF line ends when `t.ascii` (see [`Client::stor_writer`]).
    pub async fn upload_writer(&mut self, t: Transfer<'_>) -> Result<DataWriter<'_>, Error> {
        let repr = book::upload_repr(&t)?;
        let (op, id, stream) = self.open_transfer(t).await?;
        Ok(DataWriter::new(self, op, id, stream, repr))
    }

    /// `LIST [path]`: the raw lines.
    pub async fn list(&mut self, path: Option<&str>) -> Result<Vec<String>, Error> {
        self.list_kind(TransferKind::List, path).await
    }

    /// `NLST [path]`: the names.
    pub async fn nlst(&mut self, path: Option<&str>) -> Result<Vec<String>, Error> {
        self.list_kind(TransferKind::Nlst, path).await
    }

    async fn list_kind(
        &mut self,
        kind: TransferKind,
        path: Option<&str>,
    ) -> Result<Vec<String>, Error> {
        let sink = self.listing(kind, path, ListingCollector::names).await?;
        Ok(sink.into_lines())
    }

    /// `MLSD [path]`: the parsed entries (lines that do not parse are skipped).
    pub async fn mlsd(&mut self, path: Option<&str>) -> Result<Vec<RemoteEntry>, Error> {
        let sink = self
            .listing(TransferKind::Mlsd, path, ListingCollector::mlsd)
            .await?;
        Ok(sink.into_entries())
    }

    /// Runs a listing transfer into a collector bounded by the session's
    /// [`Limits::max_listing_line`](ftps_proto::Limits) and [`MAX_LISTING`].
    async fn listing(
        &mut self,
        kind: TransferKind,
        path: Option<&str>,
        collector: fn(usize, u64) -> ListingCollector,
    ) -> Result<ListingCollector, Error> {
        let max_line = self.session.config().limits.max_listing_line;
        let t = book::listing_transfer(kind, path);
        let (op, id, mut stream) = self.open_transfer(t).await?;
        let mut sink = ListingSink(collector(max_line, MAX_LISTING));
        let result = receive_stream(&mut stream, &mut sink, Representation::Binary, |_| {})
            .await
            .and_then(|n| sink.0.finish().map(|()| n).map_err(CopyError::Local));
        // Closed before waiting for the replies: after a local error (a listing limit) the
        // transfer is aborted, and a server blocked writing this connection reads `ABOR`
        // only once it is gone. After a clean end nothing is left on it.
        drop(stream);
        self.end_transfer(op, id, result).await?;
        Ok(sink.0)
    }

    /// Starts a transfer and waits until its data stream may carry bytes.
    async fn open_transfer(&mut self, t: Transfer<'_>) -> Result<(OpId, DataId, FtpStream), Error> {
        let op = self.session.transfer(t)?;
        loop {
            self.drain().await;
            if let Some(error) = self.book.ended_early(op) {
                return Err(error);
            }
            if let Some(id) = self.book.data_of(op) {
                if let Some(rx) = self.started.remove(&id) {
                    let stream = with_timeout(self.timeout, async {
                        rx.await.map_err(|_| {
                            std::io::Error::new(std::io::ErrorKind::BrokenPipe, "data task ended")
                        })
                    })
                    .await?;
                    return Ok((op, id, stream));
                }
            }
            self.wait().await?;
        }
    }

    /// Reports how the data side ended and waits for the operation's result: the bytes
    /// moved on the data connection and the core's output.
    async fn end_transfer(
        &mut self,
        op: OpId,
        id: DataId,
        result: Result<u64, CopyError>,
    ) -> Result<(u64, OpOutput), Error> {
        let now = Instant::now();
        let counted = result.as_ref().ok().copied();
        let local_error = match ClientDataEnd::of(result) {
            ClientDataEnd::Report(event) => {
                self.session.handle_data(now, id, event);
                None
            }
            ClientDataEnd::Abort(e) => {
                let _ = self.session.abort(now, op);
                Some(e)
            }
        };
        self.book.forget_data(op);
        let outcome = self.finish(op).await;
        if let Some(e) = local_error {
            return Err(Error::Io(e));
        }
        let output = outcome?;
        Ok((confirmed_bytes(&output, counted), output))
    }

    /// Abandons a transfer whose data stream the caller holds (a reader or writer dropped
    /// without `finish`/`abort`): the core aborts it, and its result is dropped when it comes.
    fn abandon(&mut self, op: OpId) {
        self.book.forget_data(op);
        if self.session.abort(Instant::now(), op).is_ok() {
            self.book.abandon(op);
        }
    }

    /// Aborts a transfer whose data stream the caller held and dropped (C959-ABOR,
    /// ADP-ABOR): `ABOR` goes out, the core collects the server's replies (`426` + `226`,
    /// `226` or `225`), and the session is ready for the next command.
    async fn abort_transfer(&mut self, op: OpId) -> Result<(), Error> {
        self.book.forget_data(op);
        match self.session.abort(Instant::now(), op) {
            Ok(()) => {}
            // Finished already: its result is (or will be) there.
            Err(ftps_proto::client::LocalError::UnknownOperation) => {}
            Err(e) => return Err(Error::Local(e)),
        }
        match self.finish(op).await {
            Ok(_) | Err(Error::Ftp(ftps_proto::client::ClientError::Aborted)) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Drives the session until `op` completes.
    async fn finish(&mut self, op: OpId) -> Result<OpOutput, Error> {
        loop {
            self.drain().await;
            if let Some(result) = self.book.take_result(op) {
                return result;
            }
            self.wait().await?;
        }
    }

    /// Carries out every pending output of the session.
    async fn drain(&mut self) {
        loop {
            match Step::of_client(self.session.poll_output(), &mut self.out) {
                Step::Transmitted => {}
                Step::Idle(deadline) => {
                    self.deadline = deadline;
                    if self.flush().await.is_err() {
                        self.session.handle_eof(Instant::now());
                        continue;
                    }
                    return;
                }
                Step::StartTls => {
                    let event = self.start_tls().await;
                    self.session.handle_tls(Instant::now(), event);
                }
                Step::StopTls => {
                    let event = match self.flush().await {
                        Ok(()) => match stop_tls(self.stream.detach(), self.timeout).await {
                            Ok(tcp) => {
                                self.stream = FtpStream::Plain(tcp);
                                TlsEvent::Stopped
                            }
                            Err(_) => TlsEvent::Failed,
                        },
                        Err(_) => TlsEvent::Failed,
                    };
                    self.session.handle_tls(Instant::now(), event);
                }
                Step::Data(action) => {
                    let started = &mut self.started;
                    self.data.act(
                        action,
                        |id| {
                            let (tx, rx) = oneshot::channel();
                            started.insert(id, rx);
                            Some(tx)
                        },
                        |stream, tx, _progress| async move {
                            let _ = tx.send(stream);
                            None
                        },
                    );
                }
                Step::Event(event) => self.book.on_event(event),
                Step::Close(reason) => {
                    let _ = self.flush().await;
                    self.stream.close().await;
                    self.data.close_all();
                    self.book.close(reason);
                }
            }
        }
    }

    async fn flush(&mut self) -> std::io::Result<()> {
        if self.out.is_empty() || self.book.is_closed() {
            self.out.clear();
            return Ok(());
        }
        let result = async {
            self.stream.write_all(&self.out).await?;
            self.stream.flush().await
        }
        .await;
        self.out.clear();
        result
    }

    async fn start_tls(&mut self) -> TlsEvent {
        if self.flush().await.is_err() {
            return TlsEvent::Failed;
        }
        let (Some((tls, name)), Ok(tcp)) = (&self.tls, self.stream.detach().into_plain()) else {
            return TlsEvent::Failed;
        };
        match connect_tls(tls.config(), name.clone(), tcp, self.timeout).await {
            Ok(s) => {
                tls.pin_control_certificate(s.get_ref().1.peer_certificates());
                self.stream = FtpStream::Client(Box::new(s));
                TlsEvent::Established
            }
            Err(e) => {
                debug!(error = %e, "control TLS handshake failed");
                TlsEvent::Failed
            }
        }
    }

    /// Waits for one input: control bytes, a data event or the session's deadline.
    async fn wait(&mut self) -> Result<(), Error> {
        self.book.check_open()?;
        let deadline = self.deadline;
        let sleep = async {
            match deadline {
                Some(at) => tokio::time::sleep_until(tokio::time::Instant::from_std(at)).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            read = self.stream.read(&mut self.rbuf) => {
                let now = Instant::now();
                match read {
                    Ok(0) | Err(_) => self.session.handle_eof(now),
                    // cannot fire: `read` returns at most the buffer's length.
                    Ok(n) => self.session.handle_input(now, self.rbuf.get(..n).unwrap_or_default()),
                }
            }
            (id, event) = self.data.next_event() => self.session.handle_data(Instant::now(), id, event),
            () = sleep => self.session.handle_timeout(Instant::now()),
        }
        Ok(())
    }
}

/// Reads a whole `AsyncRead` into memory (used by examples and tests).
pub async fn read_all<R: AsyncRead + Unpin>(reader: &mut R) -> std::io::Result<Vec<u8>> {
    let mut v = Vec::new();
    reader.read_to_end(&mut v).await?;
    Ok(v)
}

/// The async face of the shared [`ListingCollector`].
struct ListingSink(ListingCollector);

impl AsyncWrite for ListingSink {
    fn poll_write(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Poll::Ready(self.get_mut().0.push(data).map(|()| data.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}
