//! [`ServerOutput`] and [`ServerEvent`], and the ordered output queue behind
//! [`ServerSession::poll_output`](super::ServerSession::poll_output).

use std::collections::VecDeque;
use std::time::Instant;

use super::request::{Request, RequestId};
use crate::codec::{Reply, ReplyCode, Verb};
use crate::session::{CloseReason, DataAction, DataId, TlsRole};

/// One thing the adapter must do, in order. Drain with
/// [`ServerSession::poll_output`](super::ServerSession::poll_output) until `Timeout`.
#[must_use]
#[derive(Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ServerOutput<'a> {
    /// Write these bytes to the control connection (through TLS when it is active).
    Transmit(&'a [u8]),
    /// Flush what was transmitted, then run a TLS handshake in `role` on the control
    /// connection and report it with [`TlsEvent`](crate::session::TlsEvent). Bytes received
    /// before the handshake are never handed to the session.
    StartTls {
        /// The side to play (always `Server` here).
        role: TlsRole,
    },
    /// Flush, send TLS close_notify, wait for the peer's, and continue in plaintext on the same
    /// TCP connection (`CCC`, `REIN`); report [`TlsEvent::Stopped`](crate::session::TlsEvent).
    StopTls,
    /// A data-connection action.
    Data(DataAction),
    /// Something for the application.
    Event(ServerEvent),
    /// Flush what was transmitted and close the control connection (and every data
    /// connection). The session is over.
    Close(CloseReason),
    /// Nothing more to do now: call `handle_timeout` at this instant (if any) or when input
    /// arrives.
    Timeout(Option<Instant>),
}

/// What the application learns from the session.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ServerEvent {
    /// Answer this with [`ServerSession::respond`](super::ServerSession::respond). Later
    /// commands wait until it is answered (replies stay in order).
    Request {
        /// The handle to answer with.
        id: RequestId,
        /// What to do.
        request: Request,
    },
    /// A command line was received and is about to be handled (for logs; `PASS` arguments
    /// never appear anywhere).
    CommandReceived {
        /// The verb.
        verb: Verb,
    },
    /// A login succeeded.
    LoggedIn {
        /// The user name.
        user: Vec<u8>,
    },
    /// A login attempt failed.
    LoginFailed {
        /// The user name tried.
        user: Vec<u8>,
    },
    /// A transfer ended with a `226`.
    TransferFinished {
        /// The data connection.
        data: DataId,
        /// Bytes the adapter reported.
        bytes: u64,
    },
    /// A transfer ended without success (aborted, broken, refused, timed out).
    TransferFailed {
        /// The data connection.
        data: DataId,
        /// The final reply code sent.
        code: ReplyCode,
    },
}

/// A queued output item; `Transmit` counts bytes of the shared output buffer.
#[derive(Debug)]
pub(crate) enum Item {
    Transmit(usize),
    StartTls,
    StopTls,
    Data(DataAction),
    Event(ServerEvent),
    Close(CloseReason),
}

/// The ordered output queue: one reusable byte buffer for everything transmitted and a queue
/// of items that reuses its capacity (no allocation per command in steady state).
#[derive(Debug, Default)]
pub(crate) struct OutQueue {
    /// Bytes to transmit; `bytes[..sent]` was handed out already.
    bytes: Vec<u8>,
    sent: usize,
    items: VecDeque<Item>,
    /// A `Close` was queued: nothing is queued after it.
    closed: bool,
}

impl OutQueue {
    /// Queues raw bytes (Telnet negotiation answers).
    pub(crate) fn raw(&mut self, data: &[u8]) {
        if self.closed || data.is_empty() {
            return;
        }
        self.bytes.extend_from_slice(data);
        self.note_transmit(data.len());
    }

    /// Queues a one-line reply. Any CR, LF or NUL in `text` becomes a space, so user-controlled
    /// text can never split or spoof a reply (REP-SANITIZE).
    pub(crate) fn reply(&mut self, code: ReplyCode, text: &[u8]) {
        self.encode(code, text, false);
    }

    /// Queues a reply whose lines are separated by `\n` in `text` (multi-line when there are
    /// several). Only session-built texts use it; user-controlled parts are put in with
    /// [`push_text`] so they hold no `\n`. Digit-led inner lines are padded by the codec
    /// (REP-PAD) and CR/NUL become spaces.
    pub(crate) fn reply_lines(&mut self, code: ReplyCode, text: &[u8]) {
        self.encode(code, text, true);
    }

    fn encode(&mut self, code: ReplyCode, text: &[u8], lines: bool) {
        if self.closed {
            return;
        }
        let before = self.bytes.len();
        // The only error is a code outside 100..=699; every code the session uses is a
        // `ReplyCode` constant or a 2yz/4yz/5yz code checked in `respond`, so it cannot occur
        // (and would write nothing).
        let _ = if lines && text.contains(&b'\n') {
            Reply::new(code, text).encode(&mut self.bytes)
        } else {
            Reply::encode_line(code, text, &mut self.bytes)
        };
        let added = self.bytes.len() - before;
        self.note_transmit(added);
    }

    /// Queues a reply whose text the caller writes into the buffer with `write` (one line, no
    /// allocation); the written text is sanitised like any other.
    pub(crate) fn reply_with(
        &mut self,
        code: ReplyCode,
        scratch: &mut Vec<u8>,
        write: impl FnOnce(&mut Vec<u8>),
    ) {
        scratch.clear();
        write(scratch);
        self.reply(code, scratch);
    }

    fn note_transmit(&mut self, n: usize) {
        if n == 0 {
            return;
        }
        if let Some(Item::Transmit(len)) = self.items.back_mut() {
            *len += n;
        } else {
            self.items.push_back(Item::Transmit(n));
        }
    }

    /// Queues a non-transmit item.
    pub(crate) fn push(&mut self, item: Item) {
        if self.closed {
            return;
        }
        if matches!(item, Item::Close(_)) {
            self.closed = true;
        }
        self.items.push_back(item);
    }

    /// A `Close` is queued.
    pub(crate) fn is_closed(&self) -> bool {
        self.closed
    }

    /// Nothing is queued: [`pop`](Self::pop) would return `None`.
    pub(crate) fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// The next output; `None` when the queue is empty.
    ///
    /// Bytes handed out stay in the buffer until the queue is empty (then it is cleared, which
    /// costs nothing) or until they are at least half of it (then the rest moves down once):
    /// each byte is moved at most a bounded number of times, however many replies are queued.
    pub(crate) fn pop(&mut self) -> Option<ServerOutput<'_>> {
        let Some(item) = self.items.pop_front() else {
            // Every queued byte belongs to a `Transmit` item, so all were handed out.
            self.bytes.clear();
            self.sent = 0;
            return None;
        };
        Some(match item {
            Item::Transmit(n) => {
                if self.sent > 0 && self.sent >= self.bytes.len() / 2 {
                    self.bytes.drain(..self.sent);
                    self.sent = 0;
                }
                let start = self.sent;
                let end = start.saturating_add(n).min(self.bytes.len());
                self.sent = end;
                // cannot fire: start <= end <= len.
                ServerOutput::Transmit(&self.bytes[start..end])
            }
            Item::StartTls => ServerOutput::StartTls {
                role: TlsRole::Server,
            },
            Item::StopTls => ServerOutput::StopTls,
            Item::Data(a) => ServerOutput::Data(a),
            Item::Event(e) => ServerOutput::Event(e),
            Item::Close(r) => ServerOutput::Close(r),
        })
    }
}

/// Appends user-controlled bytes to a multi-line reply text: `\n` (a line separator there)
/// becomes a space, so the bytes stay on one line (REP-SANITIZE).
pub(crate) fn push_text(t: &mut Vec<u8>, bytes: &[u8]) {
    t.extend(bytes.iter().map(|&b| if b == b'\n' { b' ' } else { b }));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::DataId;

    /// Replies queued while earlier ones are being handed out come out whole and in order, and
    /// the buffer is reclaimed once the queue is drained (REP-ORDER).
    #[test]
    fn queue_hands_out_replies_in_order_and_reclaims() {
        let mut q = OutQueue::default();
        q.reply(ReplyCode::C200, b"one");
        q.push(Item::Data(DataAction::Start { id: DataId(1) }));
        q.reply(ReplyCode::C226, b"two");
        q.reply(ReplyCode::C250, b"three");
        assert_eq!(q.pop(), Some(ServerOutput::Transmit(b"200 one\r\n")));
        assert_eq!(
            q.pop(),
            Some(ServerOutput::Data(DataAction::Start { id: DataId(1) }))
        );
        // Queued between two pops: joins the pending transmit.
        q.reply(ReplyCode::C257, b"four");
        assert_eq!(
            q.pop(),
            Some(ServerOutput::Transmit(
                b"226 two\r\n250 three\r\n257 four\r\n"
            ))
        );
        assert!(q.is_empty());
        assert_eq!(q.pop(), None);
        assert!(q.bytes.is_empty() && q.sent == 0);
        // Many rounds of queue-then-drain keep the buffer small.
        for _ in 0..1000 {
            q.reply(ReplyCode::C200, b"ok");
            q.push(Item::Data(DataAction::Start { id: DataId(2) }));
            assert_eq!(q.pop(), Some(ServerOutput::Transmit(b"200 ok\r\n")));
            q.reply(ReplyCode::C226, b"done");
            let _ = q.pop();
            assert_eq!(q.pop(), Some(ServerOutput::Transmit(b"226 done\r\n")));
            assert!(q.bytes.len() <= 2 * b"226 done\r\n200 ok\r\n".len());
        }
    }
}
