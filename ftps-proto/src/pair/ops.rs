//! Operation helpers of a [`Pair`]: enqueue a client operation, run until its `Done`, and
//! return its result; and [`PairError`].

use std::fmt;

use crate::client::{ClientError, LocalError, OpId, OpOutput, Operation, Transfer, TransferKind};
use crate::Secret;

use super::{OpData, Pair, Side};

/// Why a [`Pair`] helper did not return a result.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum PairError {
    /// The client refused to enqueue the operation (nothing was sent).
    Local(LocalError),
    /// The operation completed with this error.
    Failed(ClientError),
    /// The sessions did not settle within the step bound (a livelock).
    NotIdle {
        /// The bound that was reached.
        steps: usize,
    },
    /// The sessions settled without completing the operation (time must pass, or a side
    /// is unresponsive).
    NoResult,
    /// The operation succeeded with an output the helper does not expect.
    UnexpectedOutput(OpOutput),
}

impl fmt::Display for PairError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PairError::Local(e) => write!(f, "operation refused: {e}"),
            PairError::Failed(e) => write!(f, "operation failed: {e}"),
            PairError::NotIdle { steps } => write!(f, "sessions still busy after {steps} steps"),
            PairError::NoResult => f.write_str("sessions idle without completing the operation"),
            PairError::UnexpectedOutput(o) => write!(f, "unexpected operation output {o:?}"),
        }
    }
}

impl std::error::Error for PairError {}

impl From<LocalError> for PairError {
    fn from(e: LocalError) -> Self {
        PairError::Local(e)
    }
}

/// Most timer jumps [`Pair::wait_op`] makes.
const MAX_JUMPS: usize = 64;

impl Pair {
    /// Runs until idle and returns `op`'s result (no time passes).
    ///
    /// # Errors
    ///
    /// [`PairError::Failed`] with the operation's error, [`PairError::NoResult`] when it did
    /// not complete, [`PairError::NotIdle`].
    pub fn run_op(&mut self, op: OpId) -> Result<OpOutput, PairError> {
        self.run()?;
        self.op_result(op)
    }

    /// Like [`run_op`](Self::run_op), but lets time pass: while the operation is not done,
    /// jumps to the next deadline (at most 64 times).
    ///
    /// # Errors
    ///
    /// As [`run_op`](Self::run_op).
    pub fn wait_op(&mut self, op: OpId) -> Result<OpOutput, PairError> {
        self.run()?;
        for _ in 0..MAX_JUMPS {
            if self.results.contains_key(&op) {
                break;
            }
            if self.advance_to_next_timeout()?.is_none() {
                break;
            }
        }
        self.op_result(op)
    }

    fn op_result(&mut self, op: OpId) -> Result<OpOutput, PairError> {
        match self.results.remove(&op) {
            Some(Ok(output)) => Ok(output),
            Some(Err(e)) => Err(PairError::Failed(e)),
            None => Err(PairError::NoResult),
        }
    }

    /// Logs in with `USER`/`PASS` (after the setup the configuration asks for).
    ///
    /// # Errors
    ///
    /// See [`run_op`](Self::run_op).
    pub fn login(&mut self, user: &[u8], password: &[u8]) -> Result<(), PairError> {
        let op = self.client.login(user, Secret::new(password), None)?;
        self.run_op(op).map(|_| ())
    }

    /// Runs one single-command operation.
    ///
    /// # Errors
    ///
    /// See [`run_op`](Self::run_op).
    pub fn command(&mut self, op: Operation<'_>) -> Result<OpOutput, PairError> {
        let id = self.client.command(op)?;
        self.run_op(id)
    }

    /// Enqueues a transfer; an upload sends the network form of `local` from `t.offset`
    /// (`TYPE A` converts LF to CRLF), a download collects into a buffer read with
    /// [`downloaded`](Self::downloaded). Nothing runs yet.
    ///
    /// # Errors
    ///
    /// [`PairError::Local`] when the client refuses it.
    pub fn start_transfer(&mut self, t: Transfer<'_>, local: &[u8]) -> Result<OpId, PairError> {
        let op = self.client.transfer(t)?;
        self.ops.insert(
            op,
            OpData {
                upload: if t.kind.is_upload() {
                    local.to_vec()
                } else {
                    Vec::new()
                },
                offset: t.offset,
                ascii: t.ascii && !t.kind.is_listing(),
                download: Vec::new(),
            },
        );
        Ok(op)
    }

    /// Runs a whole transfer: its output and the bytes downloaded (empty for uploads).
    ///
    /// # Errors
    ///
    /// See [`run_op`](Self::run_op).
    pub fn transfer(
        &mut self,
        t: Transfer<'_>,
        local: &[u8],
    ) -> Result<(OpOutput, Vec<u8>), PairError> {
        let op = self.start_transfer(t, local)?;
        let output = self.run_op(op)?;
        let data = self.ops.remove(&op).map(|d| d.download).unwrap_or_default();
        Ok((output, data))
    }

    /// Downloads `path` (binary).
    ///
    /// # Errors
    ///
    /// See [`run_op`](Self::run_op).
    pub fn retr(&mut self, path: &[u8]) -> Result<Vec<u8>, PairError> {
        self.retr_from(path, 0)
    }

    /// Downloads `path` from byte `offset` (`REST`).
    ///
    /// # Errors
    ///
    /// See [`run_op`](Self::run_op).
    pub fn retr_from(&mut self, path: &[u8], offset: u64) -> Result<Vec<u8>, PairError> {
        let t = Transfer::new(TransferKind::Retr, path).offset(offset);
        self.transfer(t, b"").map(|(_, data)| data)
    }

    /// Uploads `data` to `path` (binary, `STOR`); returns the bytes moved.
    ///
    /// # Errors
    ///
    /// See [`run_op`](Self::run_op).
    pub fn stor(&mut self, path: &[u8], data: &[u8]) -> Result<u64, PairError> {
        self.upload(Transfer::new(TransferKind::Stor, path), data)
    }

    /// Resumes an upload: `REST offset`, then `STOR` with `local[offset..]`.
    ///
    /// # Errors
    ///
    /// See [`run_op`](Self::run_op).
    pub fn stor_from(&mut self, path: &[u8], local: &[u8], offset: u64) -> Result<u64, PairError> {
        self.upload(
            Transfer::new(TransferKind::Stor, path).offset(offset),
            local,
        )
    }

    /// Appends `data` to `path` (`APPE`); returns the bytes moved.
    ///
    /// # Errors
    ///
    /// See [`run_op`](Self::run_op).
    pub fn appe(&mut self, path: &[u8], data: &[u8]) -> Result<u64, PairError> {
        self.upload(Transfer::new(TransferKind::Appe, path), data)
    }

    fn upload(&mut self, t: Transfer<'_>, local: &[u8]) -> Result<u64, PairError> {
        match self.transfer(t, local)?.0 {
            OpOutput::Transferred { bytes } => Ok(bytes),
            other => Err(PairError::UnexpectedOutput(other)),
        }
    }

    /// Uploads `data` under a name the server picks (`STOU`); returns the name.
    ///
    /// # Errors
    ///
    /// See [`run_op`](Self::run_op).
    pub fn stou(&mut self, data: &[u8]) -> Result<Vec<u8>, PairError> {
        match self
            .transfer(Transfer::without_path(TransferKind::Stou), data)?
            .0
        {
            OpOutput::StoredAs(name) => Ok(name),
            other => Err(PairError::UnexpectedOutput(other)),
        }
    }

    /// `LIST [path]`: the raw listing bytes.
    ///
    /// # Errors
    ///
    /// See [`run_op`](Self::run_op).
    pub fn list(&mut self, path: Option<&[u8]>) -> Result<Vec<u8>, PairError> {
        self.listing(TransferKind::List, path)
    }

    /// `NLST [path]`: the raw name list.
    ///
    /// # Errors
    ///
    /// See [`run_op`](Self::run_op).
    pub fn nlst(&mut self, path: Option<&[u8]>) -> Result<Vec<u8>, PairError> {
        self.listing(TransferKind::Nlst, path)
    }

    /// `MLSD [path]`: the raw fact lines.
    ///
    /// # Errors
    ///
    /// See [`run_op`](Self::run_op).
    pub fn mlsd(&mut self, path: Option<&[u8]>) -> Result<Vec<u8>, PairError> {
        self.listing(TransferKind::Mlsd, path)
    }

    fn listing(&mut self, kind: TransferKind, path: Option<&[u8]>) -> Result<Vec<u8>, PairError> {
        let t = match path {
            Some(p) => Transfer::new(kind, p),
            None => Transfer::without_path(kind),
        };
        self.transfer(t, b"").map(|(_, data)| data)
    }

    /// Sends `QUIT` and runs until both sides closed.
    ///
    /// # Errors
    ///
    /// See [`run_op`](Self::run_op); [`PairError::NoResult`] when a side stays open.
    pub fn quit(&mut self) -> Result<(), PairError> {
        let op = self.client.command(Operation::Quit)?;
        self.run_op(op)?;
        if self.closed_reason(Side::Client).is_none() || self.closed_reason(Side::Server).is_none()
        {
            return Err(PairError::NoResult);
        }
        Ok(())
    }
}
