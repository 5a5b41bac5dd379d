//! Checks of what a session writes on the control connection, shared by the session harnesses.

use crate::codec::{Command, LineBuffer, LineEnding, Status, Verb};
use crate::{Reply, ReplyCode};

use super::reader::roomy_limits;

/// Asserts the strict wire form of encoded replies or commands: every LF is preceded by a CR,
/// every CR is followed by an LF (or, with `cr_nul`, by the NUL of an escaped CR), no other
/// NUL, and 0xFF only doubled (Telnet IAC escaping).
pub(crate) fn assert_strict_wire(wire: &[u8], cr_nul: bool, what: &str) {
    let mut i = 0;
    while let Some(&b) = wire.get(i) {
        let next = wire.get(i + 1).copied();
        match b {
            b'\r' => match next {
                Some(b'\n') => i += 2,
                Some(0) if cr_nul => i += 2,
                _ => panic!("{what}: CR not followed by LF at {i} in {wire:?}"),
            },
            b'\n' => {
                let after_escaped_cr = cr_nul && i >= 2 && wire.get(i - 2..i) == Some(b"\r\0");
                assert!(after_escaped_cr, "{what}: bare LF at {i} in {wire:?}");
                i += 1;
            }
            0 => panic!("{what}: NUL at {i} in {wire:?}"),
            0xFF => {
                assert_eq!(next, Some(0xFF), "{what}: lone IAC at {i} in {wire:?}");
                i += 2;
            }
            _ => i += 1,
        }
    }
    assert!(
        wire.is_empty() || wire.ends_with(b"\r\n"),
        "{what}: does not end with CRLF: {wire:?}"
    );
}

/// The server's output stream: whole replies, and the Telnet refusals (`IAC WONT x`,
/// `IAC DONT x`) between them.
#[derive(Debug, Default)]
pub(crate) struct ReplyStream {
    pending: Vec<u8>,
}

impl ReplyStream {
    /// Takes transmitted bytes and returns the codes of the replies they complete. Panics on
    /// anything that is not a well-formed reply or Telnet refusal.
    pub(crate) fn push(&mut self, bytes: &[u8]) -> Vec<ReplyCode> {
        self.pending.extend_from_slice(bytes);
        let mut codes = Vec::new();
        let mut pos = 0;
        let limits = roomy_limits();
        while let Some(rest) = self.pending.get(pos..).filter(|r| !r.is_empty()) {
            if rest.first() == Some(&0xFF) {
                match rest.get(..3) {
                    Some([0xFF, 0xFC | 0xFE, _]) => {
                        pos += 3;
                        continue;
                    }
                    Some(other) => panic!("server sent a Telnet sequence {other:?}"),
                    None => break,
                }
            }
            match Reply::parse(rest, &limits) {
                Ok(Status::Complete((used, reply))) => {
                    let code = reply.code();
                    assert!(
                        (1..=5).contains(&code.class()),
                        "server sent reply code {code}"
                    );
                    assert_strict_wire(rest.get(..used).unwrap_or_default(), false, "reply");
                    codes.push(code);
                    pos += used;
                }
                Ok(Status::Partial) => break,
                Err(e) => panic!("server sent a malformed reply ({e}): {rest:?}"),
            }
        }
        self.pending.drain(..pos);
        codes
    }

    /// Whether a reply is cut in the middle.
    pub(crate) fn is_mid_reply(&self) -> bool {
        !self.pending.is_empty()
    }
}

/// The client's output stream: command lines only.
#[derive(Debug)]
pub(crate) struct CommandStream {
    lines: LineBuffer,
}

impl Default for CommandStream {
    fn default() -> Self {
        CommandStream {
            lines: LineBuffer::new(roomy_limits(), LineEnding::Crlf),
        }
    }
}

impl CommandStream {
    /// Takes transmitted bytes and returns the verbs of the commands they complete. Panics on
    /// anything that is not a valid command line in the strict wire form.
    pub(crate) fn push(&mut self, bytes: &[u8]) -> Vec<Verb> {
        assert_strict_wire(bytes, false, "client command");
        self.lines.push(bytes);
        let mut verbs = Vec::new();
        while let Some(line) = self.lines.next_line() {
            let line = line.unwrap_or_else(|e| panic!("client command line: {e}"));
            match Command::parse(line) {
                Ok(cmd) => verbs.push(cmd.verb()),
                Err(e) => panic!("client sent an invalid command ({e}): {line:?}"),
            }
        }
        let mut telnet = Vec::new();
        self.lines.take_telnet_replies(&mut telnet);
        // FRM-NONEG: the client never negotiates Telnet options.
        assert!(telnet.is_empty(), "client sent a Telnet negotiation");
        verbs
    }

    /// Whether a command line is cut in the middle.
    pub(crate) fn is_mid_line(&self) -> bool {
        self.lines.buffered() > 0
    }
}
