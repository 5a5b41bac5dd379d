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

mod error;
mod listing;
mod stream_io;

use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use ftps_proto::client::{
    ClientConfig, ClientEvent, ClientOutput, ClientSession, OpId, OpOutput, Operation, Transfer,
    TransferKind,
};
use ftps_proto::codec::reply_body::Features;
use ftps_proto::session::{CloseReason, DataAction, DataEvent, DataId, TlsEvent};
use ftps_proto::timeval::TimeVal;
use ftps_proto::Secret;
use rustls::pki_types::ServerName;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::oneshot;
use tracing::debug;

use crate::conn::{DataTasks, DataTlsRole};
use crate::data::{receive_stream, send_stream, CopyError, Representation};
use crate::stream::{connect_tls, stop_tls, with_timeout, FtpStream};
use ftps_proto_std::support::tls::ClientTls;

pub use error::Error;
pub use listing::RemoteEntry;
pub use stream_io::{DataReader, DataWriter};

/// The data representation a transfer asks for (`TYPE A` applies to file transfers only:
/// listings are sent in the network form already).
fn representation(t: &Transfer<'_>) -> Representation {
    Representation::from_ascii(t.ascii && !t.kind.is_listing())
}

/// Largest listing a client buffers (bytes).
const MAX_LISTING: usize = 64 * 1024 * 1024;

/// How to connect.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ConnectOptions {
    /// The session's protocol configuration (security mode, PROT level, passive/active ...).
    pub config: ClientConfig,
    /// TLS setup (certificate verification, client certificate, resumption store); required
    /// unless `config.security` is plain.
    pub tls: Option<ClientTls>,
    /// Name verified in the server's certificate and sent as SNI; default: the host given to
    /// [`Client::connect`].
    pub server_name: Option<String>,
    /// Limit for the TCP connect and each wait on the data connection. Default 30 s.
    pub timeout: Duration,
}

impl ConnectOptions {
    /// Explicit FTPS (`AUTH TLS`), TLS required, `PROT P`.
    pub fn explicit(tls: ClientTls) -> Self {
        ConnectOptions {
            config: ClientConfig::default(),
            tls: Some(tls),
            server_name: None,
            timeout: Duration::from_secs(30),
        }
    }

    /// Implicit FTPS (TLS from the first byte, usually port 990).
    pub fn implicit(tls: ClientTls) -> Self {
        ConnectOptions {
            config: ClientConfig::implicit(),
            ..ConnectOptions::explicit(tls)
        }
    }

    /// Plain FTP: **no encryption**, the password travels in the clear. Explicit opt-in only.
    pub fn plain_insecure() -> Self {
        ConnectOptions {
            config: ClientConfig::plain(),
            tls: None,
            server_name: None,
            timeout: Duration::from_secs(30),
        }
    }
}

/// An FTPS client connection.
pub struct Client {
    session: ClientSession,
    stream: FtpStream,
    out: Vec<u8>,
    rbuf: Vec<u8>,
    data: DataTasks<oneshot::Sender<FtpStream>>,
    tls: Option<(ClientTls, ServerName<'static>)>,
    done: HashMap<OpId, Result<OpOutput, ftps_proto::client::ClientError>>,
    data_of: HashMap<OpId, DataId>,
    started: HashMap<DataId, oneshot::Receiver<FtpStream>>,
    abandoned: HashSet<OpId>,
    deadline: Option<Instant>,
    ready: bool,
    setup_error: Option<ftps_proto::client::ClientError>,
    closed: Option<CloseReason>,
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

/// A non-borrowing copy of a [`ClientOutput`] other than `Transmit`/`Timeout`.
enum Step {
    StartTls,
    StopTls,
    Data(DataAction),
    Event(ClientEvent),
    Close(CloseReason),
}

impl Client {
    /// Connects to `host:port` and runs the session setup (greeting, TLS, `FEAT`, `PBSZ`/`PROT`).
    pub async fn connect(host: &str, port: u16, options: ConnectOptions) -> Result<Client, Error> {
        let host_only = host.trim_start_matches('[').trim_end_matches(']');
        let addrs: Vec<SocketAddr> =
            with_timeout(options.timeout, tokio::net::lookup_host((host_only, port)))
                .await?
                .collect();
        let mut last = Error::Io(std::io::Error::new(
            std::io::ErrorKind::NotFound,
            format!("{host}: no address"),
        ));
        for addr in addrs {
            match crate::data::connect(addr, options.timeout).await {
                Ok(tcp) => {
                    let name = options
                        .server_name
                        .clone()
                        .unwrap_or_else(|| host_only.to_owned());
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
        let tls = match options.tls {
            Some(tls) => {
                let server_name = tls.server_name(name)?;
                Some((tls, server_name))
            }
            None if options.config.security.tls_required() => return Err(Error::TlsNotConfigured),
            None => None,
        };
        let role = match &tls {
            Some((t, n)) => DataTlsRole::Client(t.config(), n.clone()),
            None => DataTlsRole::Unavailable,
        };
        let handshake = options.config.timeouts.tls_handshake;
        let mut config = options.config;
        if config.active_ip.is_none() {
            // Active mode listens on (and advertises) the control connection's local address.
            config.active_ip = Some(tcp.local_addr()?.ip());
        }
        let session = ClientSession::new(config, addr, Instant::now());
        let mut client = Client {
            session,
            stream: FtpStream::Plain(tcp),
            out: Vec::with_capacity(1024),
            rbuf: vec![0u8; 16 * 1024],
            data: DataTasks::new(role, handshake, handshake),
            tls,
            done: HashMap::new(),
            data_of: HashMap::new(),
            started: HashMap::new(),
            abandoned: HashSet::new(),
            deadline: None,
            ready: false,
            setup_error: None,
            closed: None,
            timeout: options.timeout,
        };
        loop {
            client.drain().await;
            if client.ready {
                return Ok(client);
            }
            if let Some(e) = client.setup_error.take() {
                return Err(Error::Ftp(e));
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
        match self.command(Operation::Pwd).await? {
            OpOutput::Path(p) => Ok(String::from_utf8_lossy(&p).into_owned()),
            other => Err(Error::Unexpected(format!("{other:?}"))),
        }
    }

    /// `CWD path`.
    pub async fn cwd(&mut self, path: &str) -> Result<(), Error> {
        self.command(Operation::Cwd(path.as_bytes()))
            .await
            .map(|_| ())
    }

    /// `MKD path`: returns the created directory as the server names it.
    pub async fn mkdir(&mut self, path: &str) -> Result<String, Error> {
        match self.command(Operation::Mkd(path.as_bytes())).await? {
            OpOutput::Path(p) => Ok(String::from_utf8_lossy(&p).into_owned()),
            _ => Ok(path.to_owned()),
        }
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
        match self.command(Operation::Size(path.as_bytes())).await? {
            OpOutput::Size(n) => Ok(n),
            other => Err(Error::Unexpected(format!("{other:?}"))),
        }
    }

    /// `MDTM path`.
    pub async fn mdtm(&mut self, path: &str) -> Result<TimeVal, Error> {
        match self.command(Operation::Mdtm(path.as_bytes())).await? {
            OpOutput::Time(t) => Ok(t),
            other => Err(Error::Unexpected(format!("{other:?}"))),
        }
    }

    /// `FEAT`.
    pub async fn feat(&mut self) -> Result<Features, Error> {
        match self.command(Operation::Feat).await? {
            OpOutput::Features(f) => Ok(f),
            other => Err(Error::Unexpected(format!("{other:?}"))),
        }
    }

    /// `SITE text`: the reply's text (lines joined with `\n`, code removed).
    pub async fn site(&mut self, text: &str) -> Result<String, Error> {
        match self.command(Operation::Site(text.as_bytes())).await? {
            OpOutput::Reply(r) => Ok(r.text_lossy().into_owned()),
            other => Err(Error::Unexpected(format!("{other:?}"))),
        }
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
        if t.kind.is_upload() {
            return Err(Error::WrongDirection);
        }
        let repr = representation(&t);
        let (op, id, mut stream) = self.open_transfer(t).await?;
        let result = receive_stream(&mut stream, writer, repr, |_| {}).await;
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
        if t.kind.is_upload() {
            return Err(Error::WrongDirection);
        }
        let repr = representation(&t);
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
        match self.end_transfer(op, id, result).await?.1 {
            OpOutput::StoredAs(name) => Ok(Some(String::from_utf8_lossy(&name).into_owned())),
            _ => Ok(None),
        }
    }

    /// Runs an upload described by the core's [`Transfer`] (`STOR`, `APPE` or `STOU`) from
    /// `reader`: offset (`REST`) and `TYPE A` conversion as `t` asks. Returns the bytes sent
    /// on the data connection.
    pub async fn upload<R>(&mut self, t: Transfer<'_>, reader: &mut R) -> Result<u64, Error>
    where
        R: AsyncRead + Unpin + Send + ?Sized,
    {
        if !t.kind.is_upload() {
            return Err(Error::WrongDirection);
        }
        let repr = representation(&t);
        let (op, id, mut stream) = self.open_transfer(t).await?;
        let result = send_stream(reader, &mut stream, repr, |_| {}).await;
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
        if !t.kind.is_upload() {
            return Err(Error::WrongDirection);
        }
        let repr = representation(&t);
        let (op, id, stream) = self.open_transfer(t).await?;
        Ok(DataWriter::new(self, op, id, stream, repr))
    }

    /// `LIST [path]`: the raw lines.
    pub async fn list(&mut self, path: Option<&str>) -> Result<Vec<String>, Error> {
        let bytes = self.listing(TransferKind::List, path).await?;
        Ok(listing::lines(&bytes)
            .map(|l| String::from_utf8_lossy(l).into_owned())
            .collect())
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
        let bytes = self.listing(kind, path).await?;
        Ok(listing::lines(&bytes)
            .map(|l| String::from_utf8_lossy(l).into_owned())
            .collect())
    }

    /// `MLSD [path]`: the parsed entries (lines that do not parse are skipped).
    pub async fn mlsd(&mut self, path: Option<&str>) -> Result<Vec<RemoteEntry>, Error> {
        let bytes = self.listing(TransferKind::Mlsd, path).await?;
        Ok(listing::parse_mlsd(&bytes))
    }

    async fn listing(&mut self, kind: TransferKind, path: Option<&str>) -> Result<Vec<u8>, Error> {
        let t = match path {
            Some(p) => Transfer::new(kind, p.as_bytes()),
            None => Transfer::without_path(kind),
        };
        let (op, id, mut stream) = self.open_transfer(t).await?;
        let mut sink = listing::BoundedSink::new(MAX_LISTING);
        let result = receive_stream(&mut stream, &mut sink, Representation::Binary, |_| {}).await;
        self.end_transfer(op, id, result).await?;
        Ok(sink.into_inner())
    }

    /// Starts a transfer and waits until its data stream may carry bytes.
    async fn open_transfer(&mut self, t: Transfer<'_>) -> Result<(OpId, DataId, FtpStream), Error> {
        let op = self.session.transfer(t)?;
        loop {
            self.drain().await;
            if let Some(result) = self.done.remove(&op) {
                // Finished (failed) before any data moved.
                return Err(match result {
                    Ok(_) => Error::Unexpected("transfer ended before its data".to_owned()),
                    Err(e) => Error::Ftp(e),
                });
            }
            if let Some(id) = self.data_of.get(&op).copied() {
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
        let local_error = match result {
            Ok(bytes) => {
                self.session
                    .handle_data(now, id, DataEvent::Finished { bytes });
                None
            }
            Err(CopyError::Data(e)) => {
                self.session.handle_data(now, id, DataEvent::Failed(e));
                None
            }
            Err(CopyError::Local(e)) => {
                let _ = self.session.abort(now, op);
                Some(e)
            }
        };
        self.data_of.remove(&op);
        let outcome = self.finish(op).await;
        if let Some(e) = local_error {
            return Err(Error::Io(e));
        }
        let output = outcome?;
        let bytes = match (&output, counted) {
            (OpOutput::Transferred { bytes }, _) => *bytes,
            (_, Some(n)) => n,
            (_, None) => 0,
        };
        Ok((bytes, output))
    }

    /// Abandons a transfer whose data stream the caller holds (a reader or writer dropped
    /// without `finish`/`abort`): the core aborts it, and its result is dropped when it comes.
    fn abandon(&mut self, op: OpId) {
        self.data_of.remove(&op);
        if self.session.abort(Instant::now(), op).is_ok() {
            self.abandoned.insert(op);
        }
    }

    /// Aborts a transfer whose data stream the caller held and dropped (C959-ABOR,
    /// ADP-ABOR): `ABOR` goes out, the core collects the server's replies (`426` + `226`,
    /// `226` or `225`), and the session is ready for the next command.
    async fn abort_transfer(&mut self, op: OpId) -> Result<(), Error> {
        self.data_of.remove(&op);
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
            if let Some(result) = self.done.remove(&op) {
                return result.map_err(Error::Ftp);
            }
            self.wait().await?;
        }
    }

    /// Carries out every pending output of the session.
    async fn drain(&mut self) {
        loop {
            let step = match self.session.poll_output() {
                ClientOutput::Transmit(bytes) => {
                    self.out.extend_from_slice(bytes);
                    continue;
                }
                ClientOutput::StartTls { .. } => Step::StartTls,
                ClientOutput::StopTls => Step::StopTls,
                ClientOutput::Data(action) => Step::Data(action),
                ClientOutput::Event(event) => Step::Event(event),
                ClientOutput::Close(reason) => Step::Close(reason),
                ClientOutput::Timeout(deadline) => {
                    self.deadline = deadline;
                    if self.flush().await.is_err() {
                        self.session.handle_eof(Instant::now());
                        continue;
                    }
                    return;
                }
                _ => continue,
            };
            match step {
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
                Step::Event(event) => match event {
                    ClientEvent::Ready { .. } => self.ready = true,
                    ClientEvent::SetupFailed { error } => self.setup_error = Some(error),
                    ClientEvent::TransferData { op, data } => {
                        self.data_of.insert(op, data);
                    }
                    // An abandoned transfer's result is dropped.
                    ClientEvent::Done { op, result } if !self.abandoned.remove(&op) => {
                        self.done.insert(op, result);
                    }
                    ClientEvent::ProtocolViolation { violation } => {
                        debug!(?violation, "server broke the protocol");
                    }
                    _ => {}
                },
                Step::Close(reason) => {
                    let _ = self.flush().await;
                    self.stream.close().await;
                    self.data.close_all();
                    self.closed = Some(reason);
                }
            }
        }
    }

    async fn flush(&mut self) -> std::io::Result<()> {
        if self.out.is_empty() || self.closed.is_some() {
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
        if let Some(reason) = &self.closed {
            return Err(Error::Closed(reason.clone()));
        }
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
