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

/// An output to queue ([`OutQueue::push`]).
#[derive(Debug)]
pub(crate) enum Item {
    StartTls,
    StopTls,
    Data(DataAction),
    Event(ServerEvent),
    Close(CloseReason),
}

/// A queued output as stored: small, so queueing and handing out outputs copies little (a
/// [`ServerEvent`] holds a whole [`Request`], up to two paths of 96 bytes). Events that come with
/// most commands are stored inline; the others wait in [`OutQueue::events`], in order.
#[derive(Debug)]
enum Slot {
    /// Counts bytes of the shared output buffer.
    Transmit(usize),
    StartTls,
    StopTls,
    Data(DataAction),
    Close(CloseReason),
    /// [`ServerEvent::CommandReceived`].
    CommandReceived(Verb),
    /// [`ServerEvent::TransferFinished`].
    TransferFinished(DataId, u64),
    /// [`ServerEvent::TransferFailed`].
    TransferFailed(DataId, ReplyCode),
    /// The next event of [`OutQueue::events`].
    Event,
}

/// Output bytes kept allocated between bursts.
const KEEP_BYTES: usize = 16 * 1024;
/// Queue entries kept allocated between bursts.
const KEEP_ITEMS: usize = 64;

/// The ordered output queue: one reusable byte buffer for everything transmitted and a queue
/// of items that reuses its capacity (no allocation per command in steady state).
#[derive(Debug, Default)]
pub(crate) struct OutQueue {
    /// Bytes to transmit; `bytes[..sent]` was handed out already.
    bytes: Vec<u8>,
    sent: usize,
    items: VecDeque<Slot>,
    /// The events of the queued [`Slot::Event`]s, in order.
    events: VecDeque<ServerEvent>,
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
        if let Some(Slot::Transmit(len)) = self.items.back_mut() {
            *len += n;
        } else {
            self.items.push_back(Slot::Transmit(n));
        }
    }

    /// Queues a non-transmit item.
    pub(crate) fn push(&mut self, item: Item) {
        if self.closed {
            return;
        }
        let slot = match item {
            Item::StartTls => Slot::StartTls,
            Item::StopTls => Slot::StopTls,
            Item::Data(action) => Slot::Data(action),
            Item::Close(reason) => {
                self.closed = true;
                Slot::Close(reason)
            }
            Item::Event(ServerEvent::CommandReceived { verb }) => Slot::CommandReceived(verb),
            Item::Event(ServerEvent::TransferFinished { data, bytes }) => {
                Slot::TransferFinished(data, bytes)
            }
            Item::Event(ServerEvent::TransferFailed { data, code }) => {
                Slot::TransferFailed(data, code)
            }
            Item::Event(event) => {
                self.events.push_back(event);
                Slot::Event
            }
        };
        self.items.push_back(slot);
    }

    /// A `Close` is queued.
    pub(crate) fn is_closed(&self) -> bool {
        self.closed
    }

    /// Nothing is queued: [`pop`](Self::pop) would return `None`.
    pub(crate) fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Clears the output buffer once the queue is empty (which costs nothing), so it does
    /// not grow; after a burst (a peer that pipelined thousands of commands in one read) the
    /// buffers give back what they hold past a steady-state size, so a session keeps no
    /// memory for a burst that is over. Below those sizes nothing is freed or allocated.
    pub(crate) fn reclaim(&mut self) {
        if self.items.is_empty() {
            // Every queued byte belongs to a `Transmit` item, so all were handed out.
            self.bytes.clear();
            self.sent = 0;
            if self.bytes.capacity() > KEEP_BYTES {
                self.bytes.shrink_to(KEEP_BYTES);
            }
            if self.items.capacity() > KEEP_ITEMS {
                self.items.shrink_to(KEEP_ITEMS);
            }
            if self.events.is_empty() && self.events.capacity() > KEEP_ITEMS {
                self.events.shrink_to(KEEP_ITEMS);
            }
        }
    }

    /// Frees the buffers when nothing is queued (an idle session); the next output allocates
    /// them again.
    pub(crate) fn release_memory(&mut self) {
        if self.items.is_empty() {
            self.bytes = Vec::new();
            self.sent = 0;
            self.items = VecDeque::new();
        }
        if self.events.is_empty() {
            self.events = VecDeque::new();
        }
    }

    /// The next output; `Timeout(None)` when the queue is empty (then the buffer is reclaimed).
    ///
    /// Bytes handed out stay in the buffer until the queue is empty (then it is cleared, which
    /// costs nothing) or until they are at least half of it (then the rest moves down once):
    /// each byte is moved at most a bounded number of times, however many replies are queued.
    pub(crate) fn pop(&mut self) -> ServerOutput<'_> {
        let Some(slot) = self.items.pop_front() else {
            self.reclaim();
            return ServerOutput::Timeout(None);
        };
        match slot {
            Slot::Transmit(n) => {
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
            Slot::StartTls => ServerOutput::StartTls {
                role: TlsRole::Server,
            },
            Slot::StopTls => ServerOutput::StopTls,
            Slot::Data(a) => ServerOutput::Data(a),
            Slot::Close(r) => ServerOutput::Close(r),
            Slot::CommandReceived(verb) => {
                ServerOutput::Event(ServerEvent::CommandReceived { verb })
            }
            Slot::TransferFinished(data, bytes) => {
                ServerOutput::Event(ServerEvent::TransferFinished { data, bytes })
            }
            Slot::TransferFailed(data, code) => {
                ServerOutput::Event(ServerEvent::TransferFailed { data, code })
            }
            Slot::Event => match self.events.pop_front() {
                Some(event) => ServerOutput::Event(event),
                // cannot happen: each `Slot::Event` has its event, queued with it.
                None => ServerOutput::Timeout(None),
            },
        }
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
        assert_eq!(q.pop(), ServerOutput::Transmit(b"200 one\r\n"));
        assert_eq!(
            q.pop(),
            ServerOutput::Data(DataAction::Start { id: DataId(1) })
        );
        // Queued between two pops: joins the pending transmit.
        q.reply(ReplyCode::C257, b"four");
        assert_eq!(
            q.pop(),
            ServerOutput::Transmit(b"226 two\r\n250 three\r\n257 four\r\n")
        );
        assert!(q.is_empty());
        assert_eq!(q.pop(), ServerOutput::Timeout(None));
        assert!(q.bytes.is_empty() && q.sent == 0);
        // Many rounds of queue-then-drain keep the buffer small.
        for _ in 0..1000 {
            q.reply(ReplyCode::C200, b"ok");
            q.push(Item::Data(DataAction::Start { id: DataId(2) }));
            assert_eq!(q.pop(), ServerOutput::Transmit(b"200 ok\r\n"));
            q.reply(ReplyCode::C226, b"done");
            let _ = q.pop();
            assert_eq!(q.pop(), ServerOutput::Transmit(b"226 done\r\n"));
            assert!(q.bytes.len() <= 2 * b"226 done\r\n200 ok\r\n".len());
        }
    }

    /// FRM-MAXCMD (memory): a burst of 20,000 replies and events queued before one drain
    /// grows the buffers; once drained they shrink back to their steady-state size, so a
    /// session keeps nothing for a burst that is over (found by the `server_session` fuzz
    /// target's memory bound).
    #[test]
    fn queue_gives_back_memory_after_a_burst() {
        use crate::codec::Verb;
        let mut q = OutQueue::default();
        for _ in 0..20_000 {
            q.push(Item::Event(ServerEvent::CommandReceived {
                verb: Verb::Ccc,
            }));
            q.reply(ReplyCode::C502, b"Command not implemented.");
        }
        assert!(q.items.capacity() >= 40_000 && q.bytes.capacity() > 600_000);
        let mut outputs = 0;
        while q.pop() != ServerOutput::Timeout(None) {
            outputs += 1;
        }
        assert_eq!(outputs, 40_000);
        assert!(q.items.capacity() <= KEEP_ITEMS, "{}", q.items.capacity());
        assert!(q.bytes.capacity() <= KEEP_BYTES, "{}", q.bytes.capacity());
        // Steady state below those sizes: nothing is given back (no allocation per round).
        q.reply(ReplyCode::C200, b"ok");
        let cap = q.bytes.capacity();
        let _ = q.pop();
        assert_eq!(q.pop(), ServerOutput::Timeout(None));
        assert_eq!(q.bytes.capacity(), cap);
    }

    /// Events stored inline and events stored aside come out in the order they were queued,
    /// between the replies around them (REP-ORDER).
    #[test]
    fn queue_keeps_events_in_order() {
        use crate::codec::Verb;
        use crate::server::{Request, RequestId};
        let mut q = OutQueue::default();
        let request = |n: u64| ServerEvent::Request {
            id: RequestId(n),
            request: Request::Delete {
                path: crate::vpath::VirtualPath::root(),
            },
        };
        q.push(Item::Event(ServerEvent::CommandReceived {
            verb: Verb::Noop,
        }));
        q.push(Item::Event(request(1)));
        q.reply(ReplyCode::C200, b"one");
        q.push(Item::Event(ServerEvent::LoggedIn {
            user: b"u".to_vec(),
        }));
        q.push(Item::Event(ServerEvent::TransferFinished {
            data: DataId(3),
            bytes: 7,
        }));
        q.push(Item::Event(request(2)));
        q.push(Item::Event(ServerEvent::TransferFailed {
            data: DataId(4),
            code: ReplyCode::C426,
        }));
        q.push(Item::Close(CloseReason::Quit));
        q.push(Item::Event(request(3)));
        let want = [
            ServerOutput::Event(ServerEvent::CommandReceived { verb: Verb::Noop }),
            ServerOutput::Event(request(1)),
            ServerOutput::Transmit(b"200 one\r\n"),
            ServerOutput::Event(ServerEvent::LoggedIn {
                user: b"u".to_vec(),
            }),
            ServerOutput::Event(ServerEvent::TransferFinished {
                data: DataId(3),
                bytes: 7,
            }),
            ServerOutput::Event(request(2)),
            ServerOutput::Event(ServerEvent::TransferFailed {
                data: DataId(4),
                code: ReplyCode::C426,
            }),
            ServerOutput::Close(CloseReason::Quit),
        ];
        for output in want {
            assert_eq!(q.pop(), output);
        }
        // Nothing is queued after `Close`.
        assert_eq!(q.pop(), ServerOutput::Timeout(None));
        assert!(q.events.is_empty());
    }
}
