//! The simulated control connection of a [`Pair`](super::Pair): one byte pipe per direction,
//! each chunk tagged with the layer it was written in (plaintext or TLS), and each side's TLS
//! state.
//!
//! No byte is encrypted; the tags are what keep the injection checks meaningful: plaintext
//! that reaches a side whose handshake is due is handed to its session (which must refuse
//! it), and TLS records never reach a side that is not speaking TLS.

use std::collections::VecDeque;

/// The layer a chunk was written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Layer {
    Plain,
    Tls,
}

/// One side's control-connection TLS state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TlsState {
    /// Plaintext.
    Plain,
    /// `StartTls` was asked for; the handshake has not completed.
    Starting,
    /// TLS is up.
    Tls,
    /// `StopTls` was asked for; close_notify is not exchanged yet.
    Stopping,
}

impl TlsState {
    /// The layer bytes written now travel in: after `StartTls` they wait for the handshake
    /// and go out encrypted; after `StopTls` they go out in plaintext.
    pub(crate) fn write_layer(self) -> Layer {
        match self {
            TlsState::Plain | TlsState::Stopping => Layer::Plain,
            TlsState::Starting | TlsState::Tls => Layer::Tls,
        }
    }
}

/// What a pipe hands to its receiving side next.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Delivery {
    /// Bytes for `handle_input`.
    Bytes(Vec<u8>),
    /// The sender closed: `handle_eof`.
    Eof,
    /// Plaintext reached a side speaking TLS: its TLS layer fails, the connection breaks.
    Broken,
}

/// What a TLS record looks like to a side that does not speak TLS (a ClientHello's first
/// bytes): sessions read it as garbage.
pub(crate) const TLS_RECORD: &[u8] = b"\x16\x03\x01\x00\xc8\x01\x00\x00\xc4\x03\x03\r\n";

/// One direction of the control connection.
#[derive(Debug, Default)]
pub(crate) struct Pipe {
    chunks: VecDeque<(Layer, Vec<u8>)>,
    /// The sender closed after the chunks.
    eof: bool,
    eof_delivered: bool,
}

impl Pipe {
    pub(crate) fn push(&mut self, layer: Layer, bytes: &[u8]) {
        if self.eof || bytes.is_empty() {
            return;
        }
        match self.chunks.back_mut() {
            Some((l, b)) if *l == layer => b.extend_from_slice(bytes),
            _ => self.chunks.push_back((layer, bytes.to_vec())),
        }
    }

    /// The sender closed: the receiver gets EOF once the chunks are read.
    pub(crate) fn close(&mut self) {
        self.eof = true;
    }

    /// The connection dropped: pending bytes are lost, EOF comes next.
    pub(crate) fn drop_all(&mut self) {
        self.chunks.clear();
        self.eof = true;
    }

    /// The receiver is gone: nothing more is delivered.
    pub(crate) fn discard(&mut self) {
        self.chunks.clear();
        self.eof = true;
        self.eof_delivered = true;
    }

    pub(crate) fn front_layer(&self) -> Option<Layer> {
        self.chunks.front().map(|(l, _)| *l)
    }

    /// The next delivery to a receiver in state `rx`, at most `max` bytes; `None` when
    /// nothing can be delivered now.
    pub(crate) fn take(&mut self, rx: TlsState, max: usize) -> Option<Delivery> {
        let Some((layer, bytes)) = self.chunks.front_mut() else {
            if self.eof && !self.eof_delivered {
                self.eof_delivered = true;
                return Some(Delivery::Eof);
            }
            return None;
        };
        match (rx, *layer) {
            // In step, or plaintext while a handshake is due: the session decides
            // (ATK-TLSINJ-S / ATK-TLSINJ-C).
            (TlsState::Plain, Layer::Plain)
            | (TlsState::Tls, Layer::Tls)
            | (TlsState::Starting, Layer::Plain)
            | (TlsState::Stopping, Layer::Tls) => {
                let n = bytes.len().min(max.max(1));
                let out: Vec<u8> = bytes.drain(..n).collect();
                if bytes.is_empty() {
                    self.chunks.pop_front();
                }
                Some(Delivery::Bytes(out))
            }
            // Written for the layer to come: wait for the handshake / close_notify.
            (TlsState::Starting, Layer::Tls) | (TlsState::Stopping, Layer::Plain) => None,
            (TlsState::Tls, Layer::Plain) => {
                self.chunks.clear();
                self.eof = true;
                self.eof_delivered = true;
                Some(Delivery::Broken)
            }
            (TlsState::Plain, Layer::Tls) => {
                self.chunks.pop_front();
                Some(Delivery::Bytes(TLS_RECORD.to_vec()))
            }
        }
    }
}
