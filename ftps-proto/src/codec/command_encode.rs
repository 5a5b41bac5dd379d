//! Encoding of [`Command`] into bytes.
//!
//! A command is written as `VERB[ SP argument] CRLF`, the verb in upper case, with exactly one SP
//! before the argument. Nothing that can end or split the line ever reaches the output: an
//! argument holding CR, LF or NUL is refused whole (command injection), and a 0xFF byte is
//! doubled so that it cannot start a Telnet command (RFC 959 §4.1, RFC 854).

use std::fmt;

use super::args::{
    is_host_name, is_lang_tag, write_decimal, write_host_port, EpsvArg, ExtendedAddr,
    FormatControl, ProtectionLevel, RepresentationType, Structure, TransferMode,
};
use super::command::{Command, Verb};
use super::error::EncodeError;

impl Verb {
    /// The verb in upper case, as sent on the wire; the empty string for [`Verb::Unknown`]
    /// (the spelling of an unknown verb is in [`Command::Unknown`]).
    pub fn as_str(self) -> &'static str {
        match self {
            Verb::User => "USER",
            Verb::Pass => "PASS",
            Verb::Acct => "ACCT",
            Verb::Cwd => "CWD",
            Verb::Xcwd => "XCWD",
            Verb::Cdup => "CDUP",
            Verb::Xcup => "XCUP",
            Verb::Smnt => "SMNT",
            Verb::Rein => "REIN",
            Verb::Quit => "QUIT",
            Verb::Port => "PORT",
            Verb::Pasv => "PASV",
            Verb::Type => "TYPE",
            Verb::Stru => "STRU",
            Verb::Mode => "MODE",
            Verb::Retr => "RETR",
            Verb::Stor => "STOR",
            Verb::Stou => "STOU",
            Verb::Appe => "APPE",
            Verb::Allo => "ALLO",
            Verb::Rest => "REST",
            Verb::Rnfr => "RNFR",
            Verb::Rnto => "RNTO",
            Verb::Abor => "ABOR",
            Verb::Dele => "DELE",
            Verb::Rmd => "RMD",
            Verb::Xrmd => "XRMD",
            Verb::Mkd => "MKD",
            Verb::Xmkd => "XMKD",
            Verb::Pwd => "PWD",
            Verb::Xpwd => "XPWD",
            Verb::List => "LIST",
            Verb::Nlst => "NLST",
            Verb::Site => "SITE",
            Verb::Syst => "SYST",
            Verb::Stat => "STAT",
            Verb::Help => "HELP",
            Verb::Noop => "NOOP",
            Verb::Auth => "AUTH",
            Verb::Adat => "ADAT",
            Verb::Pbsz => "PBSZ",
            Verb::Prot => "PROT",
            Verb::Ccc => "CCC",
            Verb::Mic => "MIC",
            Verb::Conf => "CONF",
            Verb::Enc => "ENC",
            Verb::Feat => "FEAT",
            Verb::Opts => "OPTS",
            Verb::Eprt => "EPRT",
            Verb::Epsv => "EPSV",
            Verb::Size => "SIZE",
            Verb::Mdtm => "MDTM",
            Verb::Mlst => "MLST",
            Verb::Mlsd => "MLSD",
            Verb::Lang => "LANG",
            Verb::Host => "HOST",
            Verb::Mfmt => "MFMT",
            Verb::Unknown => "",
        }
    }
}

impl fmt::Display for Verb {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How CR is treated in text arguments.
#[derive(Clone, Copy, PartialEq, Eq)]
enum CrPolicy {
    /// CR, LF and NUL are refused.
    Refuse,
    /// A CR is sent as `CR NUL` and an LF right after a CR is allowed (RFC 2640 §3.1).
    Escape,
}

/// The writer of one command line; every method appends to `out`.
struct Writer<'o> {
    out: &'o mut Vec<u8>,
    cr: CrPolicy,
}

impl Writer<'_> {
    fn sp(&mut self) {
        self.out.push(b' ');
    }

    fn bytes(&mut self, b: &[u8]) {
        self.out.extend_from_slice(b);
    }

    fn decimal(&mut self, n: u64) {
        write_decimal(self.out, n);
    }

    /// Appends a text argument: 0xFF doubled, CR/LF/NUL refused or escaped.
    fn text(&mut self, arg: &[u8]) -> Result<(), EncodeError> {
        if !arg.iter().any(|&b| matches!(b, 0 | b'\r' | b'\n' | 0xFF)) {
            self.out.extend_from_slice(arg);
            return Ok(());
        }
        let mut prev_cr = false;
        for &b in arg {
            match b {
                b'\r' if self.cr == CrPolicy::Escape => self.out.extend_from_slice(b"\r\0"),
                b'\n' if prev_cr => self.out.push(b'\n'),
                0 | b'\r' | b'\n' => return Err(EncodeError::ForbiddenByte { byte: b }),
                0xFF => self.out.extend_from_slice(&[0xFF, 0xFF]),
                _ => self.out.push(b),
            }
            prev_cr = b == b'\r';
        }
        Ok(())
    }

    /// SP and a mandatory text argument (an empty one is `InvalidArgument`).
    fn required(&mut self, arg: &[u8]) -> Result<(), EncodeError> {
        if arg.is_empty() {
            return Err(EncodeError::InvalidArgument);
        }
        self.sp();
        self.text(arg)
    }

    /// SP and an optional text argument; nothing for `None` or an empty one.
    fn optional(&mut self, arg: Option<&[u8]>) -> Result<(), EncodeError> {
        match arg {
            Some(a) if !a.is_empty() => self.required(a),
            _ => Ok(()),
        }
    }

    fn type_code(&mut self, t: &RepresentationType) -> Result<(), EncodeError> {
        let (code, format) = match *t {
            RepresentationType::Ascii(f) => (b'A', f),
            RepresentationType::Ebcdic(f) => (b'E', f),
            RepresentationType::Image => {
                self.bytes(b"I");
                return Ok(());
            }
            RepresentationType::Local(0) => return Err(EncodeError::InvalidArgument),
            RepresentationType::Local(n) => {
                self.bytes(b"L ");
                self.decimal(u64::from(n));
                return Ok(());
            }
        };
        self.out.push(code);
        match format {
            FormatControl::Default => {}
            FormatControl::NonPrint => self.bytes(b" N"),
            FormatControl::Telnet => self.bytes(b" T"),
            FormatControl::Asa => self.bytes(b" C"),
        }
        Ok(())
    }

    fn eprt(&mut self, a: &ExtendedAddr) -> Result<(), EncodeError> {
        let d = a.delimiter;
        if !(33..=126).contains(&d) || a.addr.port() == 0 {
            return Err(EncodeError::InvalidArgument);
        }
        self.out.push(d);
        let fields = self.out.len();
        self.bytes(if a.addr.is_ipv4() { b"1" } else { b"2" });
        self.out.push(d);
        // Writing into a Vec cannot fail. Flow info and scope id have no place in EPRT.
        let _ = std::io::Write::write_fmt(self.out, format_args!("{}", a.addr.ip()));
        self.out.push(d);
        self.decimal(u64::from(a.addr.port()));
        // The delimiter must not occur inside a field (e.g. `:` with an IPv6 address).
        let written = self.out.get(fields..).unwrap_or_default();
        if written.iter().filter(|&&b| b == d).count() != 2 {
            return Err(EncodeError::InvalidArgument);
        }
        self.out.push(d);
        Ok(())
    }

    fn command(&mut self, cmd: &Command<'_>) -> Result<(), EncodeError> {
        match cmd {
            Command::Unknown { verb, .. } => {
                if verb.is_empty() || verb.len() > 16 || !verb.iter().all(u8::is_ascii_alphabetic) {
                    return Err(EncodeError::InvalidArgument);
                }
                let start = self.out.len();
                self.bytes(verb);
                if let Some(v) = self.out.get_mut(start..) {
                    v.make_ascii_uppercase();
                }
            }
            other => self.bytes(other.verb().as_str().as_bytes()),
        }
        match cmd {
            Command::Cdup
            | Command::Xcup
            | Command::Rein
            | Command::Quit
            | Command::Pasv
            | Command::Abor
            | Command::Pwd
            | Command::Xpwd
            | Command::Syst
            | Command::Noop
            | Command::Ccc
            | Command::Feat => {}
            Command::Pass(secret) => {
                // An empty password is sent as `PASS ` (the receiver reads an empty argument).
                self.sp();
                self.text(secret.expose())?;
            }
            Command::Acct(secret) => self.required(secret.expose())?,
            Command::User(b)
            | Command::Cwd(b)
            | Command::Xcwd(b)
            | Command::Smnt(b)
            | Command::Retr(b)
            | Command::Stor(b)
            | Command::Appe(b)
            | Command::Rnfr(b)
            | Command::Rnto(b)
            | Command::Dele(b)
            | Command::Rmd(b)
            | Command::Xrmd(b)
            | Command::Mkd(b)
            | Command::Xmkd(b)
            | Command::Site(b)
            | Command::Auth(b)
            | Command::Adat(b)
            | Command::Mic(b)
            | Command::Conf(b)
            | Command::Enc(b)
            | Command::Opts(b)
            | Command::Size(b)
            | Command::Mdtm(b) => self.required(b)?,
            Command::Stou(b)
            | Command::List(b)
            | Command::Nlst(b)
            | Command::Stat(b)
            | Command::Help(b)
            | Command::Mlst(b)
            | Command::Mlsd(b) => self.optional(b.as_deref())?,
            Command::Unknown { arg, .. } => self.optional(arg.as_deref())?,
            Command::Lang(tag) => {
                self.optional(tag.as_deref())?;
                if tag
                    .as_deref()
                    .is_some_and(|t| !t.is_empty() && !is_lang_tag(t))
                {
                    return Err(EncodeError::InvalidArgument);
                }
            }
            Command::Host(host) => {
                self.required(host)?;
                if !is_host_name(host) {
                    return Err(EncodeError::InvalidArgument);
                }
            }
            Command::Port(addr) => {
                if addr.port() == 0 {
                    return Err(EncodeError::InvalidArgument);
                }
                self.sp();
                write_host_port(self.out, addr);
            }
            Command::Type(t) => {
                self.sp();
                self.type_code(t)?;
            }
            Command::Stru(s) => self.bytes(match s {
                Structure::File => b" F",
                Structure::Record => b" R",
                Structure::Page => b" P",
            }),
            Command::Mode(m) => self.bytes(match m {
                TransferMode::Stream => b" S",
                TransferMode::Block => b" B",
                TransferMode::Compressed => b" C",
                TransferMode::Deflate => b" Z",
            }),
            Command::Prot(p) => self.bytes(match p {
                ProtectionLevel::Clear => b" C",
                ProtectionLevel::Safe => b" S",
                ProtectionLevel::Confidential => b" E",
                ProtectionLevel::Private => b" P",
            }),
            Command::Allo { size, record } => {
                self.sp();
                self.decimal(*size);
                if let Some(m) = record {
                    self.bytes(b" R ");
                    self.decimal(*m);
                }
            }
            Command::Rest(n) => {
                self.sp();
                self.decimal(*n);
            }
            Command::Pbsz(n) => {
                self.sp();
                self.decimal(u64::from(*n));
            }
            Command::Eprt(a) => {
                self.sp();
                self.eprt(a)?;
            }
            Command::Epsv(EpsvArg::Any) => {}
            Command::Epsv(EpsvArg::All) => self.bytes(b" ALL"),
            Command::Epsv(EpsvArg::Protocol(n)) => {
                self.sp();
                self.decimal(u64::from(*n));
            }
            Command::Mfmt { time, path } => {
                if !time.is_valid() {
                    return Err(EncodeError::InvalidArgument);
                }
                self.sp();
                time.encode(self.out);
                self.required(path)?;
            }
        }
        self.bytes(b"\r\n");
        Ok(())
    }
}

impl Command<'_> {
    /// Appends the command line, `VERB[ SP argument] CRLF`, to `out`.
    ///
    /// The verb is written in upper case (an unknown verb must be 1-16 ASCII letters) and
    /// 0xFF bytes in text arguments are doubled (Telnet IAC). On error `out` is left as it was:
    ///
    /// * [`EncodeError::ForbiddenByte`]: a text argument holds CR, LF or NUL, which would let it
    ///   end the line and inject a second command;
    /// * [`EncodeError::InvalidArgument`]: an empty mandatory argument, a port of 0, an `EPRT`
    ///   delimiter outside 33-126 or present in the address, `TYPE L 0`, an invalid `MFMT`
    ///   time, a `HOST` or `LANG` argument outside its grammar, a malformed unknown verb.
    ///
    /// An optional argument that is `Some` but empty is written like `None`; an empty password
    /// is written `PASS ` (with the SP).
    ///
    /// ```
    /// use ftps_proto::codec::{Command, EncodeError};
    ///
    /// let mut out = Vec::new();
    /// Command::Retr(b"a\xffb".as_slice().into()).encode(&mut out)?;
    /// assert_eq!(out, b"RETR a\xff\xffb\r\n");
    ///
    /// let evil = Command::Retr(b"x\r\nDELE y".as_slice().into());
    /// assert_eq!(evil.encode(&mut out), Err(EncodeError::ForbiddenByte { byte: b'\r' }));
    /// assert_eq!(out, b"RETR a\xff\xffb\r\n"); // nothing was added
    /// # Ok::<(), EncodeError>(())
    /// ```
    pub fn encode(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        self.encode_with(out, CrPolicy::Refuse)
    }

    /// Like [`Command::encode`], but a CR inside a text argument is sent as `CR NUL`, and an LF
    /// right after such a CR is allowed (RFC 2640 §3.1), so that a path such as `a\r\nb` can
    /// be named. A NUL, or an LF not preceded by a CR, is still
    /// [`EncodeError::ForbiddenByte`]. Use this only when the caller opted in to such names.
    ///
    /// ```
    /// use ftps_proto::codec::Command;
    ///
    /// let mut out = Vec::new();
    /// Command::Stor(b"a\r\nb".as_slice().into()).encode_escaping_cr(&mut out)?;
    /// assert_eq!(out, b"STOR a\r\0\nb\r\n");
    /// # Ok::<(), ftps_proto::codec::EncodeError>(())
    /// ```
    pub fn encode_escaping_cr(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        self.encode_with(out, CrPolicy::Escape)
    }

    fn encode_with(&self, out: &mut Vec<u8>, cr: CrPolicy) -> Result<(), EncodeError> {
        let start = out.len();
        let result = Writer { out, cr }.command(self);
        if result.is_err() {
            out.truncate(start);
        }
        result
    }
}
