//! Transfers as streams: [`DataReader`] (a download as [`AsyncRead`]) and [`DataWriter`] (an
//! upload as [`AsyncWrite`]), each ended with `finish` (the server's verdict) or `abort`
//! (`ABOR`).

use std::io;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use ftps_proto::ascii::{AsciiDecoder, AsciiEncoder};
use ftps_proto::client::OpId;
use ftps_proto::session::{DataError, DataId};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use super::{Client, Error};
use crate::data::{finish_sending, read_error, receive_stream, CopyError, Representation};
use crate::stream::FtpStream;

/// Input taken per `poll_write` call in `TYPE A` (its network form is at most twice as long).
const ASCII_CHUNK: usize = 64 * 1024;

/// Buffer size for the network form read in `TYPE A`.
const ASCII_READ: usize = 64 * 1024;

/// A download in progress, as an [`AsyncRead`] (from [`Client::retr_reader`] or
/// [`Client::download_reader`]); in `TYPE A` it yields local (LF) line ends.
///
/// Read to the end, then call [`DataReader::finish`]: it reports the end of the data stream
/// (a TLS stream cut without close_notify is an error) and waits for the server's reply. To
/// stop early, call [`DataReader::abort`]. Dropping the reader without either aborts the
/// transfer too; its outcome is then discarded.
pub struct DataReader<'a> {
    client: &'a mut Client,
    op: OpId,
    id: DataId,
    stream: FtpStream,
    /// Bytes read from the data connection.
    bytes: u64,
    error: Option<DataError>,
    eof: bool,
    ascii: Option<Box<AsciiRead>>,
    /// `finish` or `abort` ran: dropping must not abandon the operation.
    ended: bool,
}

/// The `TYPE A` state of a [`DataReader`]: the raw network bytes and their local form.
struct AsciiRead {
    raw: Vec<u8>,
    local: Vec<u8>,
    pos: usize,
    decoder: AsciiDecoder,
}

impl std::fmt::Debug for DataReader<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DataReader")
            .field("data", &self.id.get())
            .field("bytes", &self.bytes)
            .field("ascii", &self.ascii.is_some())
            .finish_non_exhaustive()
    }
}

impl<'a> DataReader<'a> {
    pub(super) fn new(
        client: &'a mut Client,
        op: OpId,
        id: DataId,
        stream: FtpStream,
        repr: Representation,
    ) -> Self {
        let ascii = (repr == Representation::Ascii).then(|| {
            Box::new(AsciiRead {
                raw: vec![0u8; ASCII_READ],
                local: Vec::with_capacity(ASCII_READ + 1),
                pos: 0,
                decoder: AsciiDecoder::new(),
            })
        });
        DataReader {
            client,
            op,
            id,
            stream,
            bytes: 0,
            error: None,
            eof: false,
            ascii,
            ended: false,
        }
    }

    /// Bytes read from the data connection so far (the network form).
    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    /// Ends the download: reads and drops anything left, then returns the total the server
    /// confirmed (bytes on the data connection).
    pub async fn finish(mut self) -> Result<u64, Error> {
        self.ended = true;
        let rest = match self.error {
            Some(e) => Err(CopyError::Data(e)),
            None => {
                let mut sink = tokio::io::sink();
                receive_stream(&mut self.stream, &mut sink, Representation::Binary, |_| {}).await
            }
        };
        let result = rest.map(|n| n + self.bytes);
        let (op, id) = (self.op, self.id);
        self.client
            .end_transfer(op, id, result)
            .await
            .map(|(n, _)| n)
    }

    /// Stops the download (C959-ABOR, ADP-ABOR): closes the data connection, sends `ABOR`
    /// and waits for the server's replies (`426` + `226`, `226` alone or `225` are all
    /// accepted). `Ok` means the session is ready for the next command; the file is
    /// incomplete unless the server had finished already.
    pub async fn abort(mut self) -> Result<(), Error> {
        self.ended = true;
        drop(self.stream.detach());
        let op = self.op;
        self.client.abort_transfer(op).await
    }

    fn poll_read_ascii(
        &mut self,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let Some(state) = self.ascii.as_deref_mut() else {
            return Poll::Ready(Ok(()));
        };
        loop {
            // cannot fire: `pos` never passes `local.len()`.
            let pending = state.local.get(state.pos..).unwrap_or_default();
            if !pending.is_empty() {
                let n = pending.len().min(buf.remaining());
                buf.put_slice(pending.get(..n).unwrap_or_default());
                state.pos += n;
                return Poll::Ready(Ok(()));
            }
            if self.eof {
                return Poll::Ready(Ok(()));
            }
            let mut raw = ReadBuf::new(&mut state.raw);
            match Pin::new(&mut self.stream).poll_read(cx, &mut raw) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Err(e)) => {
                    self.error = Some(read_error(&self.stream, &e));
                    return Poll::Ready(Err(e));
                }
                Poll::Ready(Ok(())) => {
                    state.local.clear();
                    state.pos = 0;
                    let chunk = raw.filled();
                    if chunk.is_empty() {
                        self.eof = true;
                        state.decoder.finish(&mut state.local);
                    } else {
                        self.bytes += chunk.len() as u64;
                        state.decoder.convert(chunk, &mut state.local);
                    }
                }
            }
        }
    }
}

impl AsyncRead for DataReader<'_> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if buf.remaining() == 0 {
            return Poll::Ready(Ok(()));
        }
        if this.ascii.is_some() {
            return this.poll_read_ascii(cx, buf);
        }
        let before = buf.filled().len();
        let poll = Pin::new(&mut this.stream).poll_read(cx, buf);
        match &poll {
            Poll::Ready(Ok(())) => {
                let n = buf.filled().len() - before;
                if n == 0 {
                    this.eof = true;
                }
                this.bytes += n as u64;
            }
            Poll::Ready(Err(e)) => {
                this.error = Some(read_error(&this.stream, e));
            }
            Poll::Pending => {}
        }
        poll
    }
}

impl Drop for DataReader<'_> {
    fn drop(&mut self) {
        if !self.ended {
            self.client.abandon(self.op);
        }
    }
}

/// An upload in progress, as an [`AsyncWrite`] (from [`Client::stor_writer`] or
/// [`Client::upload_writer`]); in `TYPE A` local (LF) line ends go out as CRLF.
///
/// Write the file, then call [`DataWriter::finish`]: it sends TLS close_notify, waits until
/// the server closes its side (so that no unread TLS record makes the close reset the
/// connection and lose the tail), and returns the server's verdict. To stop early, call
/// [`DataWriter::abort`]. Dropping the writer without either aborts the transfer too; its
/// outcome is then discarded, and the server never answers `226` for it.
pub struct DataWriter<'a> {
    client: &'a mut Client,
    op: OpId,
    id: DataId,
    stream: FtpStream,
    /// Bytes written to the data connection.
    bytes: u64,
    error: Option<DataError>,
    ascii: Option<Box<AsciiWrite>>,
    ended: bool,
}

/// The `TYPE A` state of a [`DataWriter`]: the network form not yet written.
struct AsciiWrite {
    wire: Vec<u8>,
    pos: usize,
    encoder: AsciiEncoder,
}

impl std::fmt::Debug for DataWriter<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DataWriter")
            .field("data", &self.id.get())
            .field("bytes", &self.bytes)
            .field("ascii", &self.ascii.is_some())
            .finish_non_exhaustive()
    }
}

fn broken(e: &io::Error) -> io::Error {
    io::Error::new(e.kind(), e.to_string())
}

impl<'a> DataWriter<'a> {
    pub(super) fn new(
        client: &'a mut Client,
        op: OpId,
        id: DataId,
        stream: FtpStream,
        repr: Representation,
    ) -> Self {
        let ascii = (repr == Representation::Ascii).then(|| {
            Box::new(AsciiWrite {
                wire: Vec::with_capacity(2 * ASCII_CHUNK),
                pos: 0,
                encoder: AsciiEncoder::new(),
            })
        });
        DataWriter {
            client,
            op,
            id,
            stream,
            bytes: 0,
            error: None,
            ascii,
            ended: false,
        }
    }

    /// Bytes written to the data connection so far (the network form).
    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    /// Writes out the converted bytes still held (`TYPE A`).
    fn poll_drain(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let Some(state) = self.ascii.as_deref_mut() else {
            return Poll::Ready(Ok(()));
        };
        while state.pos < state.wire.len() {
            // cannot fire: `pos` is below `wire.len()`.
            let rest = state.wire.get(state.pos..).unwrap_or_default();
            match ready!(Pin::new(&mut self.stream).poll_write(cx, rest)) {
                Ok(0) => {
                    self.error = Some(DataError::Broken);
                    return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
                }
                Ok(n) => {
                    state.pos += n;
                    self.bytes += n as u64;
                }
                Err(e) => {
                    self.error = Some(DataError::Broken);
                    return Poll::Ready(Err(e));
                }
            }
        }
        state.wire.clear();
        state.pos = 0;
        Poll::Ready(Ok(()))
    }

    /// Ends the upload: writes what is held, sends close_notify (under TLS) and FIN, reads
    /// until the server closes, then waits for the final reply. Returns the bytes the server
    /// confirmed (on the data connection).
    pub async fn finish(mut self) -> Result<u64, Error> {
        self.ended = true;
        let result = match self.error {
            Some(e) => Err(CopyError::Data(e)),
            None => match std::future::poll_fn(|cx| self.poll_drain(cx)).await {
                Err(_) => Err(CopyError::Data(DataError::Broken)),
                Ok(()) => finish_sending(&mut self.stream).await.map(|()| self.bytes),
            },
        };
        let (op, id) = (self.op, self.id);
        self.client
            .end_transfer(op, id, result)
            .await
            .map(|(n, _)| n)
    }

    /// Stops the upload (C959-ABOR, ADP-ABOR): closes the data connection without
    /// close_notify (the server sees a truncated stream and never answers `226` for it),
    /// sends `ABOR` and waits for the server's replies. `Ok` means the session is ready for
    /// the next command.
    pub async fn abort(mut self) -> Result<(), Error> {
        self.ended = true;
        drop(self.stream.detach());
        let op = self.op;
        self.client.abort_transfer(op).await
    }
}

impl AsyncWrite for DataWriter<'_> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if this.ascii.is_none() {
            let poll = Pin::new(&mut this.stream).poll_write(cx, buf);
            match &poll {
                Poll::Ready(Ok(n)) => this.bytes += *n as u64,
                Poll::Ready(Err(e)) => {
                    this.error = Some(DataError::Broken);
                    return Poll::Ready(Err(broken(e)));
                }
                Poll::Pending => {}
            }
            return poll;
        }
        ready!(this.poll_drain(cx))?;
        if buf.is_empty() {
            return Poll::Ready(Ok(0));
        }
        let take = buf.len().min(ASCII_CHUNK);
        if let Some(state) = this.ascii.as_deref_mut() {
            // cannot fire: `take <= buf.len()`.
            state
                .encoder
                .convert(buf.get(..take).unwrap_or_default(), &mut state.wire);
        }
        // Start writing now; what does not fit yet goes out on the next call or flush.
        if let Poll::Ready(Err(e)) = this.poll_drain(cx) {
            return Poll::Ready(Err(e));
        }
        Poll::Ready(Ok(take))
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        ready!(this.poll_drain(cx))?;
        Pin::new(&mut this.stream).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        ready!(this.poll_drain(cx))?;
        Pin::new(&mut this.stream).poll_shutdown(cx)
    }
}

impl Drop for DataWriter<'_> {
    fn drop(&mut self) {
        if !self.ended {
            self.client.abandon(self.op);
        }
    }
}
