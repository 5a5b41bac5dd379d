//! [`Command`]: every FTP/FTPS command verb, with typed arguments, and its decoder.

use std::borrow::Cow;

use super::args::{
    EpsvArg, ExtendedAddr, HostPort, ProtectionLevel, RepresentationType, Structure, TransferMode,
};
use super::error::CommandError;
use crate::timeval::TimeVal;
use crate::Secret;

/// A path or other byte-string argument: 8-bit clean, borrowed from the input where possible.
pub type Bytes<'a> = Cow<'a, [u8]>;

/// One FTP command, as sent by a client.
///
/// Paths and free-text arguments are byte strings (RFC 2640: UTF-8 is usual but not assumed).
/// Every verb is decoded case-insensitively and encoded in upper case.
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
