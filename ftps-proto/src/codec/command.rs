//! [`Command`]: every FTP/FTPS command verb, with typed arguments, and its decoder.

use std::borrow::Cow;

use super::args::{
    EpsvArg, ExtendedAddr, HostPort, ProtectionLevel, RepresentationType, Structure, TransferMode,
};
use crate::timeval::TimeVal;
use crate::Secret;

/// A path or other byte-string argument: 8-bit clean, borrowed from the input where possible.
pub type Bytes<'a> = Cow<'a, [u8]>;

/// One FTP command, as sent by a client.
///
/// Paths and free-text arguments are byte strings (RFC 2640: UTF-8 is usual but not assumed).
/// Every verb is decoded case-insensitively and encoded in upper case. Decoding
/// ([`Command::parse`]) borrows from the line; [`Command::into_owned`] detaches the result;
/// [`Command::encode`] writes the wire form into a caller's buffer.
///
/// ```
/// use ftps_proto::codec::{Command, ProtectionLevel, Verb};
///
/// let cmd = Command::parse(b"prot p")?;
/// assert_eq!(cmd, Command::Prot(ProtectionLevel::Private));
/// assert_eq!(cmd.verb(), Verb::Prot);
///
/// let mut wire = Vec::new();
/// cmd.encode(&mut wire)?;
/// Command::Cwd(b"my dir".as_slice().into()).encode(&mut wire)?;
/// assert_eq!(wire, b"PROT P\r\nCWD my dir\r\n");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Command<'a> {
    // ---- RFC 959 access control ----
    /// `USER name`
    User(Bytes<'a>),
    /// `PASS password` (an empty password is allowed: `PASS` alone).
    Pass(Secret<'a>),
    /// `ACCT account`
    Acct(Secret<'a>),
    /// `CWD path`
    Cwd(Bytes<'a>),
    /// `XCWD path` (RFC 775 synonym of CWD)
    Xcwd(Bytes<'a>),
    /// `CDUP`
    Cdup,
    /// `XCUP` (synonym of CDUP)
    Xcup,
    /// `SMNT path`
    Smnt(Bytes<'a>),
    /// `REIN`
    Rein,
    /// `QUIT`
    Quit,
    // ---- RFC 959 transfer parameters ----
    /// `PORT h1,h2,h3,h4,p1,p2`
    Port(HostPort),
    /// `PASV`
    Pasv,
    /// `TYPE ...`
    Type(RepresentationType),
    /// `STRU F|R|P`
    Stru(Structure),
    /// `MODE S|B|C|Z`
    Mode(TransferMode),
    // ---- RFC 959 service commands ----
    /// `RETR path`
    Retr(Bytes<'a>),
    /// `STOR path`
    Stor(Bytes<'a>),
    /// `STOU [path]`
    Stou(Option<Bytes<'a>>),
    /// `APPE path`
    Appe(Bytes<'a>),
    /// `ALLO size [R record]`
    Allo {
        /// Bytes to reserve.
        size: u64,
        /// Optional maximum record or page size.
        record: Option<u64>,
    },
    /// `REST marker` (RFC 3659 REST STREAM: a decimal byte offset).
    Rest(u64),
    /// `RNFR path`
    Rnfr(Bytes<'a>),
    /// `RNTO path`
    Rnto(Bytes<'a>),
    /// `ABOR`
    Abor,
    /// `DELE path`
    Dele(Bytes<'a>),
    /// `RMD path`
    Rmd(Bytes<'a>),
    /// `XRMD path` (synonym of RMD)
    Xrmd(Bytes<'a>),
    /// `MKD path`
    Mkd(Bytes<'a>),
    /// `XMKD path` (synonym of MKD)
    Xmkd(Bytes<'a>),
    /// `PWD`
    Pwd,
    /// `XPWD` (synonym of PWD)
    Xpwd,
    /// `LIST [path-or-options]`
    List(Option<Bytes<'a>>),
    /// `NLST [path]`
    Nlst(Option<Bytes<'a>>),
    /// `SITE text`
    Site(Bytes<'a>),
    /// `SYST`
    Syst,
    /// `STAT [path]`
    Stat(Option<Bytes<'a>>),
    /// `HELP [topic]`
    Help(Option<Bytes<'a>>),
    /// `NOOP`
    Noop,
    // ---- RFC 2228 security ----
    /// `AUTH mechanism` (`TLS`, `TLS-C`, `SSL`, `TLS-P`, ...), as sent.
    Auth(Bytes<'a>),
    /// `ADAT base64`
    Adat(Bytes<'a>),
    /// `PBSZ n`
    Pbsz(u32),
    /// `PROT C|S|E|P`
    Prot(ProtectionLevel),
    /// `CCC`
    Ccc,
    /// `MIC base64`
    Mic(Bytes<'a>),
    /// `CONF base64`
    Conf(Bytes<'a>),
    /// `ENC base64`
    Enc(Bytes<'a>),
    // ---- RFC 2389 ----
    /// `FEAT`
    Feat,
    /// `OPTS command [options]`: the whole argument, e.g. `UTF8 ON` or `MLST type;size;`.
    Opts(Bytes<'a>),
    // ---- RFC 2428 ----
    /// `EPRT |af|addr|port|`
    Eprt(ExtendedAddr),
    /// `EPSV [ALL|af]`
    Epsv(EpsvArg),
    // ---- RFC 3659 ----
    /// `SIZE path`
    Size(Bytes<'a>),
    /// `MDTM path`
    Mdtm(Bytes<'a>),
    /// `MLST [path]`
    Mlst(Option<Bytes<'a>>),
    /// `MLSD [path]`
    Mlsd(Option<Bytes<'a>>),
    // ---- RFC 2640 ----
    /// `LANG [tag]`
    Lang(Option<Bytes<'a>>),
    // ---- RFC 7151 ----
    /// `HOST name`
    Host(Bytes<'a>),
    // ---- draft-somers-ftp-mfxx ----
    /// `MFMT time path`
    Mfmt {
        /// The new modification time.
        time: TimeVal,
        /// The file.
        path: Bytes<'a>,
    },
    /// Any other verb, with its raw argument (everything after the first space).
    Unknown {
        /// The verb as sent (ASCII letters, case preserved).
        verb: Bytes<'a>,
        /// The raw argument, if any.
        arg: Option<Bytes<'a>>,
    },
}

/// The verb of a command, without its arguments; cheap to copy and match on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
#[allow(missing_docs)]
pub enum Verb {
    User,
    Pass,
    Acct,
    Cwd,
    Xcwd,
    Cdup,
    Xcup,
    Smnt,
    Rein,
    Quit,
    Port,
    Pasv,
    Type,
    Stru,
    Mode,
    Retr,
    Stor,
    Stou,
    Appe,
    Allo,
    Rest,
    Rnfr,
    Rnto,
    Abor,
    Dele,
    Rmd,
    Xrmd,
    Mkd,
    Xmkd,
    Pwd,
    Xpwd,
    List,
    Nlst,
    Site,
    Syst,
    Stat,
    Help,
    Noop,
    Auth,
    Adat,
    Pbsz,
    Prot,
    Ccc,
    Mic,
    Conf,
    Enc,
    Feat,
    Opts,
    Eprt,
    Epsv,
    Size,
    Mdtm,
    Mlst,
    Mlsd,
    Lang,
    Host,
    Mfmt,
    Unknown,
}

/// Detaches a byte string from the buffer it borrows from.
fn owned(b: Bytes<'_>) -> Bytes<'static> {
    Cow::Owned(b.into_owned())
}

impl<'a> Command<'a> {
    /// The verb of this command.
    pub fn verb(&self) -> Verb {
        match self {
            Command::User(_) => Verb::User,
            Command::Pass(_) => Verb::Pass,
            Command::Acct(_) => Verb::Acct,
            Command::Cwd(_) => Verb::Cwd,
            Command::Xcwd(_) => Verb::Xcwd,
            Command::Cdup => Verb::Cdup,
            Command::Xcup => Verb::Xcup,
            Command::Smnt(_) => Verb::Smnt,
            Command::Rein => Verb::Rein,
            Command::Quit => Verb::Quit,
            Command::Port(_) => Verb::Port,
            Command::Pasv => Verb::Pasv,
            Command::Type(_) => Verb::Type,
            Command::Stru(_) => Verb::Stru,
            Command::Mode(_) => Verb::Mode,
            Command::Retr(_) => Verb::Retr,
            Command::Stor(_) => Verb::Stor,
            Command::Stou(_) => Verb::Stou,
            Command::Appe(_) => Verb::Appe,
            Command::Allo { .. } => Verb::Allo,
            Command::Rest(_) => Verb::Rest,
            Command::Rnfr(_) => Verb::Rnfr,
            Command::Rnto(_) => Verb::Rnto,
            Command::Abor => Verb::Abor,
            Command::Dele(_) => Verb::Dele,
            Command::Rmd(_) => Verb::Rmd,
            Command::Xrmd(_) => Verb::Xrmd,
            Command::Mkd(_) => Verb::Mkd,
            Command::Xmkd(_) => Verb::Xmkd,
            Command::Pwd => Verb::Pwd,
            Command::Xpwd => Verb::Xpwd,
            Command::List(_) => Verb::List,
            Command::Nlst(_) => Verb::Nlst,
            Command::Site(_) => Verb::Site,
            Command::Syst => Verb::Syst,
            Command::Stat(_) => Verb::Stat,
            Command::Help(_) => Verb::Help,
            Command::Noop => Verb::Noop,
            Command::Auth(_) => Verb::Auth,
            Command::Adat(_) => Verb::Adat,
            Command::Pbsz(_) => Verb::Pbsz,
            Command::Prot(_) => Verb::Prot,
            Command::Ccc => Verb::Ccc,
            Command::Mic(_) => Verb::Mic,
            Command::Conf(_) => Verb::Conf,
            Command::Enc(_) => Verb::Enc,
            Command::Feat => Verb::Feat,
            Command::Opts(_) => Verb::Opts,
            Command::Eprt(_) => Verb::Eprt,
            Command::Epsv(_) => Verb::Epsv,
            Command::Size(_) => Verb::Size,
            Command::Mdtm(_) => Verb::Mdtm,
            Command::Mlst(_) => Verb::Mlst,
            Command::Mlsd(_) => Verb::Mlsd,
            Command::Lang(_) => Verb::Lang,
            Command::Host(_) => Verb::Host,
            Command::Mfmt { .. } => Verb::Mfmt,
            Command::Unknown { .. } => Verb::Unknown,
        }
    }

    /// Detaches the command from the buffer it was parsed from.
    pub fn into_owned(self) -> Command<'static> {
        match self {
            Command::User(b) => Command::User(owned(b)),
            Command::Pass(s) => Command::Pass(s.into_owned()),
            Command::Acct(s) => Command::Acct(s.into_owned()),
            Command::Cwd(b) => Command::Cwd(owned(b)),
            Command::Xcwd(b) => Command::Xcwd(owned(b)),
            Command::Cdup => Command::Cdup,
            Command::Xcup => Command::Xcup,
            Command::Smnt(b) => Command::Smnt(owned(b)),
            Command::Rein => Command::Rein,
            Command::Quit => Command::Quit,
            Command::Port(a) => Command::Port(a),
            Command::Pasv => Command::Pasv,
            Command::Type(t) => Command::Type(t),
            Command::Stru(s) => Command::Stru(s),
            Command::Mode(m) => Command::Mode(m),
            Command::Retr(b) => Command::Retr(owned(b)),
            Command::Stor(b) => Command::Stor(owned(b)),
            Command::Stou(b) => Command::Stou(b.map(owned)),
            Command::Appe(b) => Command::Appe(owned(b)),
            Command::Allo { size, record } => Command::Allo { size, record },
            Command::Rest(n) => Command::Rest(n),
            Command::Rnfr(b) => Command::Rnfr(owned(b)),
            Command::Rnto(b) => Command::Rnto(owned(b)),
            Command::Abor => Command::Abor,
            Command::Dele(b) => Command::Dele(owned(b)),
            Command::Rmd(b) => Command::Rmd(owned(b)),
            Command::Xrmd(b) => Command::Xrmd(owned(b)),
            Command::Mkd(b) => Command::Mkd(owned(b)),
            Command::Xmkd(b) => Command::Xmkd(owned(b)),
            Command::Pwd => Command::Pwd,
            Command::Xpwd => Command::Xpwd,
            Command::List(b) => Command::List(b.map(owned)),
            Command::Nlst(b) => Command::Nlst(b.map(owned)),
            Command::Site(b) => Command::Site(owned(b)),
            Command::Syst => Command::Syst,
            Command::Stat(b) => Command::Stat(b.map(owned)),
            Command::Help(b) => Command::Help(b.map(owned)),
            Command::Noop => Command::Noop,
            Command::Auth(b) => Command::Auth(owned(b)),
            Command::Adat(b) => Command::Adat(owned(b)),
            Command::Pbsz(n) => Command::Pbsz(n),
            Command::Prot(p) => Command::Prot(p),
            Command::Ccc => Command::Ccc,
            Command::Mic(b) => Command::Mic(owned(b)),
            Command::Conf(b) => Command::Conf(owned(b)),
            Command::Enc(b) => Command::Enc(owned(b)),
            Command::Feat => Command::Feat,
            Command::Opts(b) => Command::Opts(owned(b)),
            Command::Eprt(a) => Command::Eprt(a),
            Command::Epsv(a) => Command::Epsv(a),
            Command::Size(b) => Command::Size(owned(b)),
            Command::Mdtm(b) => Command::Mdtm(owned(b)),
            Command::Mlst(b) => Command::Mlst(b.map(owned)),
            Command::Mlsd(b) => Command::Mlsd(b.map(owned)),
            Command::Lang(b) => Command::Lang(b.map(owned)),
            Command::Host(b) => Command::Host(owned(b)),
            Command::Mfmt { time, path } => Command::Mfmt {
                time,
                path: owned(path),
            },
            Command::Unknown { verb, arg } => Command::Unknown {
                verb: owned(verb),
                arg: arg.map(owned),
            },
        }
    }
}

impl Verb {
    /// Every known verb (all but [`Verb::Unknown`]), in declaration order.
    pub const KNOWN: &'static [Verb] = &[
        Verb::User,
        Verb::Pass,
        Verb::Acct,
        Verb::Cwd,
        Verb::Xcwd,
        Verb::Cdup,
        Verb::Xcup,
        Verb::Smnt,
        Verb::Rein,
        Verb::Quit,
        Verb::Port,
        Verb::Pasv,
        Verb::Type,
        Verb::Stru,
        Verb::Mode,
        Verb::Retr,
        Verb::Stor,
        Verb::Stou,
        Verb::Appe,
        Verb::Allo,
        Verb::Rest,
        Verb::Rnfr,
        Verb::Rnto,
        Verb::Abor,
        Verb::Dele,
        Verb::Rmd,
        Verb::Xrmd,
        Verb::Mkd,
        Verb::Xmkd,
        Verb::Pwd,
        Verb::Xpwd,
        Verb::List,
        Verb::Nlst,
        Verb::Site,
        Verb::Syst,
        Verb::Stat,
        Verb::Help,
        Verb::Noop,
        Verb::Auth,
        Verb::Adat,
        Verb::Pbsz,
        Verb::Prot,
        Verb::Ccc,
        Verb::Mic,
        Verb::Conf,
        Verb::Enc,
        Verb::Feat,
        Verb::Opts,
        Verb::Eprt,
        Verb::Epsv,
        Verb::Size,
        Verb::Mdtm,
        Verb::Mlst,
        Verb::Mlsd,
        Verb::Lang,
        Verb::Host,
        Verb::Mfmt,
    ];

    /// Whether lines of this verb carry an RFC 2228 base64 blob (`ADAT`, `MIC`, `CONF`,
    /// `ENC`) and so get [`Limits::max_security_line`](crate::Limits) instead of `max_line`.
    pub fn takes_security_line(self) -> bool {
        matches!(self, Verb::Adat | Verb::Mic | Verb::Conf | Verb::Enc)
    }
}
