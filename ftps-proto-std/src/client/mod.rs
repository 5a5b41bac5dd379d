//! The blocking FTPS client: [`Client`] drives a core [`ClientSession`] over a control
//! connection; transfers copy between data connections and the caller's readers/writers.
//!
//! ```no_run
//! use ftps_proto_std::client::{Client, ConnectOptions};
//! use ftps_proto_std::support::tls::ClientTls;
//!
//! # fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let tls = ClientTls::with_ca_file(std::path::Path::new("ftps-demo-cert.pem"))?;
//! let mut client = Client::connect("localhost", 2121, ConnectOptions::explicit(tls))?;
//! client.login("demo", "password")?;
//! let mut file = Vec::new();
//! client.retr("hello.txt", &mut file)?;
//! client.stor("copy.txt", &mut &file[..])?;
//! for entry in client.mlsd(None)? {
//!     println!("{}", String::from_utf8_lossy(&entry.name));
//! }
//! client.quit()?;
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
//! Every wait is bounded: the core's timers (reply, data connection, TLS handshake) through
//! socket timeouts, and [`ConnectOptions::timeout`] on the data streams.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::sync::mpsc::{self, Receiver, Sender};
use std::time::{Duration, Instant};

use crate::support::drive::Step;
use ftps_proto::ascii::{AsciiDecoder, AsciiEncoder};
use ftps_proto::client::{ClientSession, OpId, OpOutput, Operation, Transfer, TransferKind};
use ftps_proto::codec::reply_body::Features;
use ftps_proto::session::{DataError, DataId, TlsEvent};
use ftps_proto::timeval::TimeVal;
use ftps_proto::Secret;
use rustls::pki_types::ServerName;
use tracing::debug;

use crate::conn::{DataTasks, Woken, BUSY_POLL};
use crate::data::{receive_stream, send_stream, CopyError, Representation};
use crate::stream::{connect_tls, is_timeout, stop_tls, FtpStream};
use crate::support::client_book::{self as book, ClientBook};
use crate::support::data_tls::DataTlsRole;
use crate::support::remote::{ListingCollector, MAX_LISTING};
use crate::support::tls::ClientTls;
use crate::support::transfer::{confirmed_bytes, ClientDataEnd};

pub use crate::support::client_error::Error;
pub use crate::support::connect::ConnectOptions;
pub use crate::support::remote::{lines, RemoteEntry};

/// How long one control read waits otherwise (the loop then checks the deadline again).
const IDLE_POLL: Duration = Duration::from_secs(1);

/// A blocking FTPS client connection. See the [module docs](self).
pub struct Client {
    session: ClientSession,
    stream: FtpStream,
    out: Vec<u8>,
    rbuf: Vec<u8>,
    data: DataTasks<Sender<FtpStream>>,
    tls: Option<(ClientTls, ServerName<'static>)>,
    book: ClientBook,
    started: HashMap<DataId, Receiver<FtpStream>>,
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
    pub fn connect(host: &str, port: u16, options: ConnectOptions) -> Result<Client, Error> {
        let addrs: Vec<SocketAddr> = (ConnectOptions::bare_host(host), port)
            .to_socket_addrs()?
            .collect();
        let mut last = Error::Io(std::io::Error::new(
            std::io::ErrorKind::NotFound,
            format!("{host}: no address"),
        ));
        for addr in addrs {
            match crate::data::connect(addr, options.timeout) {
                Ok(tcp) => {
                    let name = options.verified_name(host);
                    return Client::on_stream(tcp, addr, &name, options);
                }
                Err(e) => last = Error::Io(e),
            }
        }
        Err(last)
    }

    fn on_stream(
        tcp: TcpStream,
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
            client.drain();
            if let Some(outcome) = client.book.setup_outcome() {
                return outcome.map(|()| client);
            }
            client.wait()?;
        }
    }

    /// Whether the control connection is encrypted now.
    pub fn is_control_tls(&self) -> bool {
        self.stream.is_tls()
    }

    /// The TLS version negotiated on the control connection (`None` in plaintext).
    pub fn control_tls_version(&self) -> Option<rustls::ProtocolVersion> {
        match &self.stream {
            FtpStream::Client(s) => s.conn.protocol_version(),
            _ => None,
        }
    }

    /// The core session (read-only), e.g. for its `features()`.
    pub fn session(&self) -> &ClientSession {
        &self.session
    }

    /// Logs in. The password is never logged.
    pub fn login(&mut self, user: &str, password: &str) -> Result<(), Error> {
        let op = self
            .session
            .login(user.as_bytes(), Secret::from(password), None)?;
        self.finish(op).map(|_| ())
    }

    /// Runs one single-command operation and returns its result.
    pub fn command(&mut self, operation: Operation<'_>) -> Result<OpOutput, Error> {
        let op = self.session.command(operation)?;
        self.finish(op)
    }

    /// `PWD`: the working directory.
    pub fn pwd(&mut self) -> Result<String, Error> {
        book::path_of(self.command(Operation::Pwd)?)
    }

    /// `CWD path`.
    pub fn cwd(&mut self, path: &str) -> Result<(), Error> {
        self.command(Operation::Cwd(path.as_bytes())).map(|_| ())
    }

    /// `MKD path`: returns the created directory as the server names it.
    pub fn mkdir(&mut self, path: &str) -> Result<String, Error> {
        let output = self.command(Operation::Mkd(path.as_bytes()))?;
        Ok(book::made_dir(output, path))
    }

    /// `RMD path`.
    pub fn rmdir(&mut self, path: &str) -> Result<(), Error> {
        self.command(Operation::Rmd(path.as_bytes())).map(|_| ())
    }

    /// `DELE path`.
    pub fn delete(&mut self, path: &str) -> Result<(), Error> {
        self.command(Operation::Dele(path.as_bytes())).map(|_| ())
    }

    /// `RNFR from` + `RNTO to`.
    pub fn rename(&mut self, from: &str, to: &str) -> Result<(), Error> {
        self.command(Operation::Rename {
            from: from.as_bytes(),
            to: to.as_bytes(),
        })
        .map(|_| ())
    }

    /// `SIZE path`.
    pub fn size(&mut self, path: &str) -> Result<u64, Error> {
        book::size_of(self.command(Operation::Size(path.as_bytes()))?)
    }

    /// `MDTM path`.
    pub fn mdtm(&mut self, path: &str) -> Result<TimeVal, Error> {
        book::time_of(self.command(Operation::Mdtm(path.as_bytes()))?)
    }

    /// `FEAT`.
    pub fn feat(&mut self) -> Result<Features, Error> {
        book::features_of(self.command(Operation::Feat)?)
    }

    /// `SITE text`: the reply's text (lines joined with `\n`, code removed).
    pub fn site(&mut self, text: &str) -> Result<String, Error> {
        book::reply_text_of(self.command(Operation::Site(text.as_bytes()))?)
    }

    /// `CCC`: the control connection continues in plaintext (data protection unchanged).
    pub fn ccc(&mut self) -> Result<(), Error> {
        self.command(Operation::Ccc).map(|_| ())
    }

    /// `NOOP`.
    pub fn noop(&mut self) -> Result<(), Error> {
        self.command(Operation::Noop).map(|_| ())
    }

    /// `QUIT`, then closes the connection.
    pub fn quit(mut self) -> Result<(), Error> {
        let op = self.session.command(Operation::Quit)?;
        let result = self.finish(op);
        self.stream.close();
        result.map(|_| ())
    }

    /// `RETR path` into `writer`, from `offset` (`REST`) when non-zero. Returns the bytes
    /// received. Under TLS a data stream that ends without close_notify is an error.
    pub fn retr_from<W>(&mut self, path: &str, offset: u64, writer: &mut W) -> Result<u64, Error>
    where
        W: Write + ?Sized,
    {
        let t = Transfer::new(TransferKind::Retr, path.as_bytes()).offset(offset);
        self.download(t, writer)
    }

    /// `RETR path` into `writer`.
    pub fn retr<W>(&mut self, path: &str, writer: &mut W) -> Result<u64, Error>
    where
        W: Write + ?Sized,
    {
        self.retr_from(path, 0, writer)
    }

    /// `RETR path` in `TYPE A`: CRLF line ends on the wire become LF in `writer`.
    pub fn retr_ascii<W>(&mut self, path: &str, writer: &mut W) -> Result<u64, Error>
    where
        W: Write + ?Sized,
    {
        let t = Transfer::new(TransferKind::Retr, path.as_bytes()).ascii(true);
        self.download(t, writer)
    }

    /// Any download ([`TransferKind::Retr`] or a listing) into `writer`, as `t` describes it
    /// (offset, `TYPE A`). Returns the bytes read from the data connection.
    pub fn download<W>(&mut self, t: Transfer<'_>, writer: &mut W) -> Result<u64, Error>
    where
        W: Write + ?Sized,
    {
        let repr = book::download_repr(&t)?;
        let (op, id, mut stream) = self.open_transfer(t)?;
        let result = receive_stream(&mut stream, writer, repr, |_| {});
        self.end_transfer(op, id, result).map(|(n, _)| n)
    }

    /// `RETR path` as a [`Read`]: read it to the end, then call [`DataReader::finish`] for the
    /// server's verdict.
    pub fn retr_reader(&mut self, path: &str, offset: u64) -> Result<DataReader<'_>, Error> {
        let t = Transfer::new(TransferKind::Retr, path.as_bytes()).offset(offset);
        self.download_reader(t)
    }

    /// Any download as a [`Read`] (see [`Client::retr_reader`]).
    pub fn download_reader(&mut self, t: Transfer<'_>) -> Result<DataReader<'_>, Error> {
        let repr = book::download_repr(&t)?;
        let (op, id, stream) = self.open_transfer(t)?;
        Ok(DataReader {
            client: self,
            op,
            id,
            stream,
            repr,
            decoder: AsciiDecoder::new(),
            pending: Vec::new(),
            bytes: 0,
            error: None,
            finished: false,
        })
    }

    /// `STOR path` from `reader`, writing from `offset` (`REST`) when non-zero.
    pub fn stor_from<R>(&mut self, path: &str, offset: u64, reader: &mut R) -> Result<u64, Error>
    where
        R: Read + ?Sized,
    {
        let t = Transfer::new(TransferKind::Stor, path.as_bytes()).offset(offset);
        self.upload(t, reader)
    }

    /// `STOR path` from `reader`.
    pub fn stor<R>(&mut self, path: &str, reader: &mut R) -> Result<u64, Error>
    where
        R: Read + ?Sized,
    {
        self.stor_from(path, 0, reader)
    }

    /// `STOR path` in `TYPE A`: LF line ends from `reader` go out as CRLF.
    pub fn stor_ascii<R>(&mut self, path: &str, reader: &mut R) -> Result<u64, Error>
    where
        R: Read + ?Sized,
    {
        let t = Transfer::new(TransferKind::Stor, path.as_bytes()).ascii(true);
        self.upload(t, reader)
    }

    /// `APPE path` from `reader`.
    pub fn appe<R>(&mut self, path: &str, reader: &mut R) -> Result<u64, Error>
    where
        R: Read + ?Sized,
    {
        let t = Transfer::new(TransferKind::Appe, path.as_bytes());
        self.upload(t, reader)
    }

    /// `STOU` from `reader`: the server picks the name, returned when its reply gives it.
    pub fn stou<R>(&mut self, reader: &mut R) -> Result<Option<String>, Error>
    where
        R: Read + ?Sized,
    {
        let t = Transfer::without_path(TransferKind::Stou);
        let (op, id, mut stream) = self.open_transfer(t)?;
        let result = send_stream(reader, &mut stream, Representation::Binary, |_| {});
        Ok(book::stored_name(self.end_transfer(op, id, result)?.1))
    }

    /// Any upload ([`TransferKind::Stor`], `Appe`, `Stou`) from `reader`, as `t` describes it
    /// (offset, `TYPE A`). Returns the bytes written on the data connection.
    pub fn upload<R>(&mut self, t: Transfer<'_>, reader: &mut R) -> Result<u64, Error>
    where
        R: Read + ?Sized,
    {
        let repr = book::upload_repr(&t)?;
        let (op, id, mut stream) = self.open_transfer(t)?;
        let result = send_stream(reader, &mut stream, repr, |_| {});
        self.end_transfer(op, id, result).map(|(n, _)| n)
    }

    /// `STOR path` as a [`Write`]: write the file, then call [`DataWriter::finish`] for the
    /// server's verdict (dropping the writer without `finish` aborts the upload).
    pub fn stor_writer(&mut self, path: &str) -> Result<DataWriter<'_>, Error> {
        self.upload_writer(Transfer::new(TransferKind::Stor, path.as_bytes()))
    }

    /// Any upload as a [`Write`] (see [`Client::stor_writer`]).
    pub fn upload_writer(&mut self, t: Transfer<'_>) -> Result<DataWriter<'_>, Error> {
        let repr = book::upload_repr(&t)?;
        let (op, id, stream) = self.open_transfer(t)?;
        Ok(DataWriter {
            client: self,
            op,
            id,
            stream,
            repr,
            encoder: AsciiEncoder::new(),
            wire: Vec::new(),
            bytes: 0,
            error: None,
            finished: false,
        })
    }

    /// `LIST [path]`: the raw lines.
    pub fn list(&mut self, path: Option<&str>) -> Result<Vec<String>, Error> {
        self.list_kind(TransferKind::List, path)
    }

    /// `NLST [path]`: the names.
    pub fn nlst(&mut self, path: Option<&str>) -> Result<Vec<String>, Error> {
        self.list_kind(TransferKind::Nlst, path)
    }

    fn list_kind(&mut self, kind: TransferKind, path: Option<&str>) -> Result<Vec<String>, Error> {
        let sink = self.listing(kind, path, ListingCollector::names)?;
        Ok(sink.into_lines())
    }

    /// `MLSD [path]`: the parsed entries (lines that do not parse are skipped).
    pub fn mlsd(&mut self, path: Option<&str>) -> Result<Vec<RemoteEntry>, Error> {
        let sink = self.listing(TransferKind::Mlsd, path, ListingCollector::mlsd)?;
        Ok(sink.into_entries())
    }

    /// Runs a listing transfer into a collector bounded by the session's
    /// [`Limits::max_listing_line`](ftps_proto::Limits) and [`MAX_LISTING`].
    fn listing(
        &mut self,
        kind: TransferKind,
        path: Option<&str>,
        collector: fn(usize, u64) -> ListingCollector,
    ) -> Result<ListingCollector, Error> {
        let max_line = self.session.config().limits.max_listing_line;
        let (op, id, mut stream) = self.open_transfer(book::listing_transfer(kind, path))?;
        let mut sink = collector(max_line, MAX_LISTING);
        let result = receive_stream(&mut stream, &mut sink, Representation::Binary, |_| {})
            .and_then(|n| sink.finish().map(|()| n).map_err(CopyError::Local));
        // Closed before waiting for the replies: after a local error (a listing limit) the
        // transfer is aborted, and a server blocked writing this connection reads `ABOR`
        // only once it is gone. After a clean end nothing is left on it.
        drop(stream);
        self.end_transfer(op, id, result)?;
        Ok(sink)
    }

    /// Starts a transfer and waits until its data stream may carry bytes.
    fn open_transfer(&mut self, t: Transfer<'_>) -> Result<(OpId, DataId, FtpStream), Error> {
        let op = self.session.transfer(t)?;
        loop {
            self.drain();
            if let Some(error) = self.book.ended_early(op) {
                return Err(error);
            }
            if let Some(id) = self.book.data_of(op) {
                if let Some(rx) = self.started.remove(&id) {
                    let stream = rx.recv_timeout(self.timeout).map_err(|_| {
                        std::io::Error::new(std::io::ErrorKind::BrokenPipe, "data thread ended")
                    })?;
                    // Every wait on the data stream is bounded.
                    stream.set_read_timeout(Some(self.timeout))?;
                    stream.set_write_timeout(Some(self.timeout))?;
                    return Ok((op, id, stream));
                }
            }
            self.wait()?;
        }
    }

    /// Reports how the data side ended and waits for the operation's result: the bytes the
    /// core confirmed, and the result itself.
    fn end_transfer(
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
        let outcome = self.finish(op);
        if let Some(e) = local_error {
            return Err(Error::Io(e));
        }
        let output = outcome?;
        Ok((confirmed_bytes(&output, counted), output))
    }

    /// Aborts a transfer whose reader or writer was dropped unfinished; its result is not
    /// waited for.
    fn abandon(&mut self, op: OpId) {
        if self.session.abort(Instant::now(), op).is_ok() {
            self.book.abandon(op);
        }
        self.drain();
    }

    /// Drives the session until `op` completes.
    fn finish(&mut self, op: OpId) -> Result<OpOutput, Error> {
        loop {
            self.drain();
            if let Some(result) = self.book.take_result(op) {
                return result;
            }
            self.wait()?;
        }
    }

    /// Carries out every pending output of the session.
    fn drain(&mut self) {
        loop {
            match Step::of_client(self.session.poll_output(), &mut self.out) {
                Step::Transmitted => {}
                Step::Idle(deadline) => {
                    self.deadline = deadline;
                    if self.flush().is_err() {
                        self.session.handle_eof(Instant::now());
                        continue;
                    }
                    return;
                }
                Step::StartTls => {
                    let event = self.start_tls();
                    self.session.handle_tls(Instant::now(), event);
                }
                Step::StopTls => {
                    let event = match self.flush() {
                        Ok(()) => match stop_tls(self.stream.detach(), self.timeout) {
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
                            let (tx, rx) = mpsc::channel();
                            started.insert(id, rx);
                            Some(tx)
                        },
                        |stream, tx, _progress| {
                            let _ = tx.send(stream);
                            None
                        },
                    );
                }
                Step::Event(event) => self.book.on_event(event),
                Step::Close(reason) => {
                    let _ = self.flush();
                    self.stream.close();
                    self.data.close_all();
                    self.book.close(reason);
                }
            }
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if self.out.is_empty() || self.book.is_closed() {
            self.out.clear();
            return Ok(());
        }
        let result = self
            .stream
            .set_write_timeout(Some(self.timeout))
            .and_then(|()| self.stream.write_all(&self.out))
            .and_then(|()| self.stream.flush());
        self.out.clear();
        result
    }

    fn start_tls(&mut self) -> TlsEvent {
        if self.flush().is_err() {
            return TlsEvent::Failed;
        }
        let (Some((tls, name)), Ok(tcp)) = (&self.tls, self.stream.detach().into_plain()) else {
            return TlsEvent::Failed;
        };
        let limit = self.session.config().timeouts.tls_handshake;
        match connect_tls(tls.config(), name.clone(), tcp, limit) {
            Ok(s) => {
                tls.pin_control_certificate(s.conn.peer_certificates());
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
    fn wait(&mut self) -> Result<(), Error> {
        self.book.check_open()?;
        if let Some((id, event)) = self.data.try_event() {
            self.session.handle_data(Instant::now(), id, event);
            return Ok(());
        }
        let now = Instant::now();
        let busy = self.data.busy();
        let poll = if busy { BUSY_POLL } else { IDLE_POLL };
        let limit = match self.deadline {
            Some(at) if at <= now => {
                self.session.handle_timeout(now);
                return Ok(());
            }
            Some(at) => (at - now).min(poll),
            None => poll,
        };
        if busy {
            let woken = self.data.wait_busy(&mut self.stream, &mut self.rbuf, limit);
            let now = Instant::now();
            match woken {
                // cannot fire: `read` returns at most the buffer's length.
                Woken::Control(n) => self
                    .session
                    .handle_input(now, self.rbuf.get(..n).unwrap_or_default()),
                Woken::Event(id, event) => self.session.handle_data(now, id, event),
                Woken::Eof | Woken::Failed => self.session.handle_eof(now),
                Woken::Nothing => {
                    if self.deadline.is_some_and(|at| at <= now) {
                        self.session.handle_timeout(now);
                    }
                }
            }
            return Ok(());
        }
        let read = self
            .stream
            .set_read_timeout(Some(limit.max(Duration::from_millis(1))))
            .and_then(|()| self.stream.read(&mut self.rbuf));
        let now = Instant::now();
        match read {
            Ok(0) => self.session.handle_eof(now),
            // cannot fire: `read` returns at most the buffer's length.
            Ok(n) => self
                .session
                .handle_input(now, self.rbuf.get(..n).unwrap_or_default()),
            Err(e) if is_timeout(&e) || e.kind() == std::io::ErrorKind::Interrupted => {
                if self.deadline.is_some_and(|at| at <= now) {
                    self.session.handle_timeout(now);
                }
            }
            Err(_) => self.session.handle_eof(now),
        }
        Ok(())
    }
}

/// A download in progress, as a [`Read`] (from [`Client::retr_reader`]).
///
/// Read to the end, then call [`DataReader::finish`]: it reports the end of the data stream
/// (a TLS stream cut without close_notify is an error) and waits for the server's reply.
/// Dropping it unfinished aborts the transfer (`ABOR`).
#[derive(Debug)]
pub struct DataReader<'a> {
    client: &'a mut Client,
    op: OpId,
    id: DataId,
    stream: FtpStream,
    repr: Representation,
    decoder: AsciiDecoder,
    /// Converted bytes not handed out yet (`TYPE A`).
    pending: Vec<u8>,
    bytes: u64,
    error: Option<DataError>,
    finished: bool,
}

impl DataReader<'_> {
    /// Bytes read from the data connection so far.
    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    /// Ends the download: reads and drops anything left, then returns the total the server
    /// confirmed.
    pub fn finish(mut self) -> Result<u64, Error> {
        self.finished = true;
        let rest = if let Some(e) = self.error {
            Err(CopyError::Data(e))
        } else {
            receive_stream(
                &mut self.stream,
                &mut std::io::sink(),
                Representation::Binary,
                |_| {},
            )
        };
        let result = rest.map(|n| n + self.bytes);
        self.client
            .end_transfer(self.op, self.id, result)
            .map(|(n, _)| n)
    }

    /// Aborts the download (`ABOR`) and waits for the server's answer.
    pub fn abort(mut self) -> Result<(), Error> {
        self.finished = true;
        self.stream.close();
        let _ = self.client.session.abort(Instant::now(), self.op);
        self.client.book.forget_data(self.op);
        match self.client.finish(self.op) {
            Ok(_) | Err(Error::Ftp(_)) => Ok(()),
            Err(e) => Err(e),
        }
    }

    fn read_raw(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self.stream.read(buf) {
            Ok(n) => {
                self.bytes += n as u64;
                Ok(n)
            }
            Err(e) => {
                self.error = Some(crate::data::read_error(&self.stream, &e));
                Err(e)
            }
        }
    }
}

impl Drop for DataReader<'_> {
    /// A download dropped before [`DataReader::finish`] is aborted (`ABOR`).
    fn drop(&mut self) {
        if !self.finished {
            self.client.abandon(self.op);
        }
    }
}

impl Read for DataReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.repr == Representation::Binary {
            return self.read_raw(buf);
        }
        while self.pending.is_empty() {
            let mut raw = [0u8; 8192];
            let n = self.read_raw(&mut raw)?;
            // cannot fire: `read` returns at most the buffer's length.
            let chunk = raw.get(..n).unwrap_or_default();
            if n == 0 {
                self.decoder.finish(&mut self.pending);
                break;
            }
            self.decoder.convert(chunk, &mut self.pending);
        }
        let n = buf.len().min(self.pending.len());
        // cannot fire: `n` is at most the length of both slices.
        buf[..n].copy_from_slice(&self.pending[..n]);
        self.pending.drain(..n);
        Ok(n)
    }
}

/// An upload in progress, as a [`Write`] (from [`Client::stor_writer`]).
///
/// Write the file, then call [`DataWriter::finish`]: it sends close_notify, waits for the
/// server to close the data connection, then for its reply. Dropping it unfinished aborts
/// the upload (`ABOR`), so the server never confirms a partial file.
#[derive(Debug)]
pub struct DataWriter<'a> {
    client: &'a mut Client,
    op: OpId,
    id: DataId,
    stream: FtpStream,
    repr: Representation,
    encoder: AsciiEncoder,
    /// The network form of the chunk being written (`TYPE A`).
    wire: Vec<u8>,
    bytes: u64,
    error: Option<DataError>,
    finished: bool,
}

impl DataWriter<'_> {
    /// Bytes written on the data connection so far.
    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    /// Ends the upload and returns the total the server confirmed.
    pub fn finish(mut self) -> Result<u64, Error> {
        self.finished = true;
        let result = match self.error {
            Some(e) => Err(CopyError::Data(e)),
            None => crate::data::finish_sending(&mut self.stream).map(|()| self.bytes),
        };
        self.client
            .end_transfer(self.op, self.id, result)
            .map(|(n, _)| n)
    }

    /// Aborts the upload (`ABOR`) and waits for the server's answer.
    pub fn abort(mut self) -> Result<(), Error> {
        self.finished = true;
        let _ = self.client.session.abort(Instant::now(), self.op);
        self.client.book.forget_data(self.op);
        self.client.drain();
        if let Some(tcp) = self.stream.tcp() {
            let _ = tcp.shutdown(std::net::Shutdown::Both);
        }
        match self.client.finish(self.op) {
            Ok(_) | Err(Error::Ftp(_)) => Ok(()),
            Err(e) => Err(e),
        }
    }
}

impl Drop for DataWriter<'_> {
    /// An upload dropped before [`DataWriter::finish`] is aborted (`ABOR`), so the server
    /// never confirms a partial file.
    fn drop(&mut self) {
        if !self.finished {
            self.client.abandon(self.op);
        }
    }
}

impl Write for DataWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let out: &[u8] = match self.repr {
            Representation::Binary => buf,
            Representation::Ascii => {
                self.wire.clear();
                self.encoder.convert(buf, &mut self.wire);
                &self.wire
            }
        };
        // The whole chunk goes out, so the caller's count and the conversion stay in step.
        match self.stream.write_all(out) {
            Ok(()) => {
                self.bytes += out.len() as u64;
                Ok(buf.len())
            }
            Err(e) => {
                self.error = Some(DataError::Broken);
                Err(e)
            }
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.stream.flush().inspect_err(|_| {
            self.error = Some(DataError::Broken);
        })
    }
}
