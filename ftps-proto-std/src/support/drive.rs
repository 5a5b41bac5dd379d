//! One drain step of a core session, without borrowing it: [`Step::of_client`] and
//! [`Step::of_server`] copy `Transmit` bytes into the adapter's output buffer and turn every
//! other output into an owned [`Step`], so the adapter can act on it while it mutates the
//! session. Both adapters' drive loops (blocking and async) are built on these.

use std::time::Instant;

use ftps_proto::client::{ClientEvent, ClientOutput};
use ftps_proto::server::{ServerEvent, ServerOutput};
use ftps_proto::session::{CloseReason, DataAction};

/// What one `poll_output` asks of the adapter, owned.
#[derive(Debug)]
#[must_use]
pub enum Step<E> {
    /// Bytes were appended to the output buffer: poll again.
    Transmitted,
    /// Run the TLS handshake on the control connection.
    StartTls,
    /// End TLS on the control connection (close_notify, the TCP stream stays: CCC).
    StopTls,
    /// Act on a data connection.
    Data(DataAction),
    /// An event of the session.
    Event(E),
    /// Close the control connection and every data connection.
    Close(CloseReason),
    /// Nothing more to do now: flush the output, then wait for input until this deadline.
    Idle(Option<Instant>),
}

impl Step<ClientEvent> {
    /// The step for one client output; `Transmit` bytes go to `out`. An output this version
    /// does not know is skipped ([`Step::Transmitted`]: poll again).
    pub fn of_client(output: ClientOutput<'_>, out: &mut Vec<u8>) -> Self {
        match output {
            ClientOutput::Transmit(bytes) => {
                out.extend_from_slice(bytes);
                Step::Transmitted
            }
            ClientOutput::StartTls { .. } => Step::StartTls,
            ClientOutput::StopTls => Step::StopTls,
            ClientOutput::Data(action) => Step::Data(action),
            ClientOutput::Event(event) => Step::Event(event),
            ClientOutput::Close(reason) => Step::Close(reason),
            ClientOutput::Timeout(deadline) => Step::Idle(deadline),
            _ => Step::Transmitted,
        }
    }
}

impl Step<ServerEvent> {
    /// The step for one server output; `Transmit` bytes go to `out`. An output this version
    /// does not know is skipped ([`Step::Transmitted`]: poll again).
    pub fn of_server(output: ServerOutput<'_>, out: &mut Vec<u8>) -> Self {
        match output {
            ServerOutput::Transmit(bytes) => {
                out.extend_from_slice(bytes);
                Step::Transmitted
            }
            ServerOutput::StartTls { .. } => Step::StartTls,
            ServerOutput::StopTls => Step::StopTls,
            ServerOutput::Data(action) => Step::Data(action),
            ServerOutput::Event(event) => Step::Event(event),
            ServerOutput::Close(reason) => Step::Close(reason),
            ServerOutput::Timeout(deadline) => Step::Idle(deadline),
            _ => Step::Transmitted,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ftps_proto::server::{ServerConfig, ServerSession};

    // The server's greeting is transmitted, then the session waits.
    #[test]
    fn server_greeting_is_transmitted_then_idle() {
        let now = Instant::now();
        let mut session = ServerSession::new(
            ServerConfig::default(),
            "127.0.0.1:40000".parse().unwrap(),
            "127.0.0.1:21".parse().unwrap(),
            now,
        );
        let mut out = Vec::new();
        loop {
            match Step::of_server(session.poll_output(), &mut out) {
                Step::Transmitted => continue,
                Step::Idle(_) => break,
                other => panic!("unexpected {other:?}"),
            }
        }
        assert!(out.starts_with(b"220"), "{out:?}");
        assert!(out.ends_with(b"\r\n"));
    }
}
