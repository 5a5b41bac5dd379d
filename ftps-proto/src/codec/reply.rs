//! [`Reply`]: a server reply (single or multi-line), its decoder and its encoder.

use std::borrow::Cow;

/// A three-digit reply code, 100..=699 (the 6yz codes are the RFC 2228 protected replies).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ReplyCode(u16);

impl ReplyCode {
    /// `110`: Restart marker reply.
    pub const C110: ReplyCode = ReplyCode(110);
    /// `120`: Service ready in nnn minutes.
    pub const C120: ReplyCode = ReplyCode(120);
    /// `125`: Data connection already open; transfer starting.
    pub const C125: ReplyCode = ReplyCode(125);
    /// `150`: File status okay; about to open data connection.
    pub const C150: ReplyCode = ReplyCode(150);
    /// `200`: Command okay.
    pub const C200: ReplyCode = ReplyCode(200);
    /// `202`: Command not implemented, superfluous at this site.
    pub const C202: ReplyCode = ReplyCode(202);
    /// `211`: System status, or system help reply.
    pub const C211: ReplyCode = ReplyCode(211);
    /// `212`: Directory status.
    pub const C212: ReplyCode = ReplyCode(212);
    /// `213`: File status.
    pub const C213: ReplyCode = ReplyCode(213);
    /// `214`: Help message.
    pub const C214: ReplyCode = ReplyCode(214);
    /// `215`: NAME system type.
    pub const C215: ReplyCode = ReplyCode(215);
    /// `220`: Service ready for new user.
    pub const C220: ReplyCode = ReplyCode(220);
    /// `221`: Service closing control connection.
    pub const C221: ReplyCode = ReplyCode(221);
    /// `225`: Data connection open; no transfer in progress.
    pub const C225: ReplyCode = ReplyCode(225);
    /// `226`: Closing data connection; requested file action successful.
    pub const C226: ReplyCode = ReplyCode(226);
    /// `227`: Entering Passive Mode.
    pub const C227: ReplyCode = ReplyCode(227);
    /// `228`: Entering Long Passive Mode.
    pub const C228: ReplyCode = ReplyCode(228);
    /// `229`: Entering Extended Passive Mode.
    pub const C229: ReplyCode = ReplyCode(229);
    /// `230`: User logged in, proceed.
    pub const C230: ReplyCode = ReplyCode(230);
    /// `232`: User logged in, authorized by security data exchange.
    pub const C232: ReplyCode = ReplyCode(232);
    /// `234`: Security data exchange complete (AUTH accepted).
    pub const C234: ReplyCode = ReplyCode(234);
    /// `235`: Security data exchange completed successfully (ADAT).
    pub const C235: ReplyCode = ReplyCode(235);
    /// `250`: Requested file action okay, completed.
    pub const C250: ReplyCode = ReplyCode(250);
    /// `257`: PATHNAME created.
    pub const C257: ReplyCode = ReplyCode(257);
    /// `331`: User name okay, need password.
    pub const C331: ReplyCode = ReplyCode(331);
    /// `332`: Need account for login.
    pub const C332: ReplyCode = ReplyCode(332);
    /// `334`: Requested security mechanism is ok, ADAT expected.
    pub const C334: ReplyCode = ReplyCode(334);
    /// `335`: Security data is acceptable, more is required.
    pub const C335: ReplyCode = ReplyCode(335);
    /// `336`: Username okay, need password; challenge is ....
    pub const C336: ReplyCode = ReplyCode(336);
    /// `350`: Requested file action pending further information.
    pub const C350: ReplyCode = ReplyCode(350);
    /// `421`: Service not available, closing control connection.
    pub const C421: ReplyCode = ReplyCode(421);
    /// `425`: Can't open data connection.
    pub const C425: ReplyCode = ReplyCode(425);
    /// `426`: Connection closed; transfer aborted.
    pub const C426: ReplyCode = ReplyCode(426);
    /// `431`: Need some unavailable resource to process security.
    pub const C431: ReplyCode = ReplyCode(431);
    /// `450`: Requested file action not taken.
    pub const C450: ReplyCode = ReplyCode(450);
    /// `451`: Requested action aborted: local error in processing.
    pub const C451: ReplyCode = ReplyCode(451);
    /// `452`: Requested action not taken: insufficient storage space.
    pub const C452: ReplyCode = ReplyCode(452);
    /// `500`: Syntax error, command unrecognized.
    pub const C500: ReplyCode = ReplyCode(500);
    /// `501`: Syntax error in parameters or arguments.
    pub const C501: ReplyCode = ReplyCode(501);
    /// `502`: Command not implemented.
    pub const C502: ReplyCode = ReplyCode(502);
    /// `503`: Bad sequence of commands.
    pub const C503: ReplyCode = ReplyCode(503);
    /// `504`: Command not implemented for that parameter.
    pub const C504: ReplyCode = ReplyCode(504);
    /// `521`: Data connection cannot be opened with this PROT setting.
    pub const C521: ReplyCode = ReplyCode(521);
    /// `522`: Network protocol not supported / server requires TLS on the data connection.
    pub const C522: ReplyCode = ReplyCode(522);
    /// `530`: Not logged in.
    pub const C530: ReplyCode = ReplyCode(530);
    /// `532`: Need account for storing files.
    pub const C532: ReplyCode = ReplyCode(532);
    /// `533`: Command protection level denied for policy reasons.
    pub const C533: ReplyCode = ReplyCode(533);
    /// `534`: Request denied for policy reasons.
    pub const C534: ReplyCode = ReplyCode(534);
    /// `535`: Failed security check.
    pub const C535: ReplyCode = ReplyCode(535);
    /// `536`: Requested PROT level not supported by mechanism.
    pub const C536: ReplyCode = ReplyCode(536);
    /// `537`: Command protection level not supported by security mechanism.
    pub const C537: ReplyCode = ReplyCode(537);
    /// `550`: Requested action not taken: file unavailable.
    pub const C550: ReplyCode = ReplyCode(550);
    /// `551`: Requested action aborted: page type unknown.
    pub const C551: ReplyCode = ReplyCode(551);
    /// `552`: Requested file action aborted: exceeded storage allocation.
    pub const C552: ReplyCode = ReplyCode(552);
    /// `553`: Requested action not taken: file name not allowed.
    pub const C553: ReplyCode = ReplyCode(553);
    /// `554`: Requested action not taken: invalid REST parameter.
    pub const C554: ReplyCode = ReplyCode(554);
    /// `555`: Requested action not taken: type or stru mismatch.
    pub const C555: ReplyCode = ReplyCode(555);
    /// `631`: Integrity protected reply.
    pub const C631: ReplyCode = ReplyCode(631);
    /// `632`: Confidentiality and integrity protected reply.
    pub const C632: ReplyCode = ReplyCode(632);
    /// `633`: Confidentiality protected reply.
    pub const C633: ReplyCode = ReplyCode(633);

    /// A code from a number; `None` outside 100..=699 (the 6yz codes are the RFC 2228 protected replies).
    pub const fn new(code: u16) -> Option<ReplyCode> {
        if code >= 100 && code <= 699 {
            Some(ReplyCode(code))
        } else {
            None
        }
    }

    /// The number.
    pub const fn get(self) -> u16 {
        self.0
    }
}

/// One reply: a code and its text lines (joined with `\n`, without the code prefixes of the
/// first and last line).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply<'a> {
    code: ReplyCode,
    text: Cow<'a, [u8]>,
}

impl<'a> Reply<'a> {
    /// A reply with this code and text (lines separated by `\n`).
    pub fn new(code: ReplyCode, text: impl Into<Cow<'a, [u8]>>) -> Self {
        Reply {
            code,
            text: text.into(),
        }
    }

    /// The code.
    pub fn code(&self) -> ReplyCode {
        self.code
    }

    /// The text, lines joined by `\n`.
    pub fn text(&self) -> &[u8] {
        &self.text
    }
}

/// Assembles reply lines into [`Reply`]s, within the limits.
#[derive(Debug, Default)]
pub struct ReplyAssembler {
    lines: Vec<u8>,
}
