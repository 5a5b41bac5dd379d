//! The session script: how the input of [`server_session`](super::server_session) and
//! [`client_session`](super::client_session) reads as a sequence of steps.
//!
//! A plain-text transcript is a valid script: a byte that is printable ASCII, TAB, CR or LF
//! starts a text step, which feeds the peer's bytes up to and including the next LF. Other
//! bytes are events:
//!
//! | byte | step |
//! | --- | --- |
//! | `00` | end of stream (`handle_eof`) |
//! | `01 n` | the clock advances `n` x 100 ms, then `handle_timeout` |
//! | `02 n` | the clock advances `n` x 4 s, then `handle_timeout` |
//! | `03` | the clock jumps to the session's deadline, then `handle_timeout` |
//! | `04` / `05` / `06` | TLS `Established` / `Failed` / `Stopped` |
//! | `07 pick kind arg` | a data-connection event (see the session harness) |
//! | `08`, `0B`, `0C`, `0F`, `11` `sel` + bytes | application steps A-E (per role) |
//! | `0E n` | feed the previous input `4 n + 1` more times (a peer that floods) |
//! | `10 i`, `12`..`1F` | feed a canned line of the peer (per role) |
//! | `80`..`FF` | feed the next `b - 0x7F` bytes as they are (binary input) |

use std::time::Duration;

use super::reader::Reader;

/// One step of a session script.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Step<'a> {
    /// Bytes from the peer.
    Input(&'a [u8]),
    /// The previous input again, this many times.
    Repeat(usize),
    Eof,
    /// Advance the clock, then `handle_timeout`.
    Advance(Duration),
    /// Jump to the deadline, then `handle_timeout`.
    Deadline,
    Tls(u8),
    Data {
        pick: u8,
        kind: u8,
        arg: u8,
    },
    /// Application step `which` (0-4) with a selector byte.
    App {
        which: u8,
        sel: u8,
    },
    /// Canned peer line number `i`.
    Canned(u8),
}

/// Reads the next step; `None` at the end of the input.
pub(crate) fn next_step<'a>(r: &mut Reader<'a>) -> Option<Step<'a>> {
    let b = r.peek()?;
    if matches!(b, b'\t' | b'\n' | b'\r' | 0x20..=0x7E) {
        return Some(Step::Input(r.line()));
    }
    r.u8();
    Some(match b {
        0x00 => Step::Eof,
        0x01 => Step::Advance(Duration::from_millis(u64::from(r.u8()) * 100)),
        0x02 => Step::Advance(Duration::from_secs(u64::from(r.u8()) * 4)),
        0x03 => Step::Deadline,
        0x04..=0x06 => Step::Tls(b - 0x04),
        0x07 => Step::Data {
            pick: r.u8(),
            kind: r.u8(),
            arg: r.u8(),
        },
        0x08 | 0x0B | 0x0C | 0x0F | 0x11 => Step::App {
            which: match b {
                0x08 => 0,
                0x0B => 1,
                0x0C => 2,
                0x0F => 3,
                _ => 4,
            },
            sel: r.u8(),
        },
        0x0E => Step::Repeat(usize::from(r.u8()) * 4 + 1),
        0x10 => Step::Canned(r.u8()),
        0x12..=0x1F => Step::Canned(b - 0x12),
        0x7F => Step::Input(&[]),
        _ => Step::Input(r.bytes(usize::from(b - 0x7F))),
    })
}
