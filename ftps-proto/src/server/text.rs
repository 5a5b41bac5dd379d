//! Multi-line reply texts generated from the session: FEAT, HELP and STAT.

use super::state::{DataSetup, Security, Stage, TypeCode, XferKind};
use super::{ServerSession, ServerTls};
use crate::listing::FactSet;

impl ServerSession {
    /// The `211` FEAT text, from what is enabled (F2389-FORMAT, F2389-COMPLETE).
    pub(crate) fn write_feat(&self, t: &mut Vec<u8>) {
        let f = &self.config.features;
        t.extend_from_slice(b"Features:");
        let line = |t: &mut Vec<u8>, label: &[u8]| {
            t.extend_from_slice(b"\n ");
            t.extend_from_slice(label);
        };
        match self.config.tls {
            ServerTls::Explicit { .. } => {
                line(t, b"AUTH TLS");
                line(t, b"AUTH SSL");
            }
            ServerTls::Implicit | ServerTls::None => {}
        }
        if !matches!(self.config.tls, ServerTls::None) {
            if f.ccc {
                line(t, b"CCC");
            }
            line(t, b"PBSZ");
            line(t, b"PROT");
        }
        if self.config.active.enabled {
            line(t, b"EPRT");
        }
        line(t, b"EPSV");
        if f.host {
            line(t, b"HOST");
        }
        if f.lang {
            line(t, b"LANG EN*");
        }
        if f.mdtm {
            line(t, b"MDTM");
        }
        if f.mfmt {
            line(t, b"MFMT");
        }
        if f.mlst {
            line(t, b"MLST ");
            FactSet::SERVER_DEFAULT.encode_feat(self.facts, t);
        }
        if f.rest_stream {
            line(t, b"REST STREAM");
        }
        if f.size {
            line(t, b"SIZE");
        }
        if f.tvfs {
            line(t, b"TVFS");
        }
        if f.utf8 {
            line(t, b"UTF8");
        }
        t.extend_from_slice(b"\nEnd");
    }

    /// The `214` HELP text: the commands understood.
    pub(crate) fn write_help(&self, t: &mut Vec<u8>) {
        t.extend_from_slice(b"The following commands are recognized:");
        const ROWS: [&[u8]; 5] = [
            b" ABOR ACCT ALLO APPE AUTH CCC  CDUP CWD  DELE EPRT EPSV FEAT",
            b" HELP HOST LANG LIST MDTM MFMT MKD  MLSD MLST MODE NLST NOOP",
            b" OPTS PASS PASV PBSZ PORT PROT PWD  QUIT REIN REST RETR RMD",
            b" RNFR RNTO SITE SIZE SMNT STAT STOR STOU STRU SYST TYPE USER",
            b" XCUP XCWD XMKD XPWD XRMD",
        ];
        for row in ROWS {
            t.push(b'\n');
            t.extend_from_slice(row);
        }
        t.extend_from_slice(b"\nHelp OK.");
    }

    /// The `211` STAT text: the session's parameters, and the transfer in progress
    /// (C959-STAT, DAT-DEFAULT).
    pub(crate) fn write_status(&self, t: &mut Vec<u8>) {
        t.extend_from_slice(b"FTP server status:");
        t.extend_from_slice(b"\n Connected to ");
        write_ip(t, self.peer.ip());
        match self.user() {
            Some(user) => {
                t.extend_from_slice(b"\n Logged in as ");
                super::output::push_text(t, user);
            }
            None => t.extend_from_slice(b"\n Not logged in"),
        }
        t.extend_from_slice(match self.type_code {
            TypeCode::Ascii => {
                b"\n TYPE: ASCII, FORM: Nonprint; STRUcture: File; transfer MODE: Stream"
            }
            TypeCode::AsciiTelnet => {
                b"\n TYPE: ASCII, FORM: Telnet; STRUcture: File; transfer MODE: Stream"
            }
            TypeCode::Image => b"\n TYPE: Image; STRUcture: File; transfer MODE: Stream",
        });
        t.extend_from_slice(match self.security {
            Security::Tls => b"\n Control connection: TLS".as_slice(),
            Security::Cleared => b"\n Control connection: cleared (CCC)",
            Security::Plain => b"\n Control connection: plaintext",
        });
        t.extend_from_slice(if self.prot.private {
            b"\n Data connections: TLS (PROT P)".as_slice()
        } else {
            b"\n Data connections: clear (PROT C)"
        });
        match (&self.transfer, &self.data) {
            (Some(transfer), _) => {
                t.extend_from_slice(match transfer.kind {
                    XferKind::Retrieve => b"\n Transfer in progress: RETR".as_slice(),
                    XferKind::Store(_) => b"\n Transfer in progress: STOR",
                    XferKind::List(_) => b"\n Transfer in progress: listing",
                });
                match transfer.stage {
                    Stage::Connecting { .. } => {
                        t.extend_from_slice(b", waiting for the data connection");
                    }
                    Stage::Running { .. } => {
                        t.extend_from_slice(b", ");
                        write_decimal(t, transfer.bytes);
                        t.extend_from_slice(b" bytes so far");
                    }
                }
            }
            (None, DataSetup::Passive { .. }) => {
                t.extend_from_slice(b"\n Passive mode listener open");
            }
            (None, DataSetup::Active { .. }) => t.extend_from_slice(b"\n Active mode set"),
            (None, DataSetup::None) => t.extend_from_slice(b"\n No data connection"),
        }
        t.extend_from_slice(b"\nEnd of status.");
    }
}

/// Appends `n` in decimal, without allocating.
pub(crate) fn write_decimal(t: &mut Vec<u8>, n: u64) {
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    let mut n = n;
    loop {
        i -= 1;
        // cannot fire: a u64 has at most 20 decimal digits, so i stays in range.
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    t.extend_from_slice(digits.get(i..).unwrap_or_default());
}

/// Appends an IP address in its usual text form.
fn write_ip(t: &mut Vec<u8>, ip: std::net::IpAddr) {
    use std::io::Write;
    // Writing into a Vec cannot fail.
    let _ = write!(t, "{ip}");
}
