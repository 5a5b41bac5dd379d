//! Typed command arguments: representation type, structure, mode, protection level, host-ports.

use std::net::{IpAddr, SocketAddr, SocketAddrV4};

/// `TYPE` argument (RFC 959 §3.1.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RepresentationType {
    /// `A [N|T|C]`
    Ascii(FormatControl),
    /// `E [N|T|C]`
    Ebcdic(FormatControl),
    /// `I`
    Image,
    /// `L n` (byte size; `L 8` is the same as `I`).
    Local(u8),
}

/// Format control of `TYPE A`/`TYPE E`. `None` on the wire when omitted defaults to non-print.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FormatControl {
    /// Omitted on the wire (means non-print).
    Default,
    /// `N`
    NonPrint,
    /// `T`
    Telnet,
    /// `C`
    Asa,
}

/// `STRU` argument.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Structure {
    /// `F`
    File,
    /// `R`
    Record,
    /// `P`
    Page,
}

/// `MODE` argument.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TransferMode {
    /// `S`
    Stream,
    /// `B`
    Block,
    /// `C`
    Compressed,
    /// `Z` (deflate, draft-preston-ftpext-deflate)
    Deflate,
}

/// `PROT` argument (RFC 2228 §3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ProtectionLevel {
    /// `C`: clear.
    Clear,
    /// `S`: safe (integrity only).
    Safe,
    /// `E`: confidential.
    Confidential,
    /// `P`: private (integrity and confidentiality).
    Private,
}

/// `EPSV` argument (RFC 2428 §3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EpsvArg {
    /// Bare `EPSV`.
    Any,
    /// `EPSV ALL`.
    All,
    /// `EPSV <net-prt>`: 1 = IPv4, 2 = IPv6, others as given.
    Protocol(u16),
}

/// The address of an `EPRT` command (RFC 2428 §2): `|1|132.235.1.2|6275|`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ExtendedAddr {
    /// The delimiter byte used (printable ASCII 33-126; `|` is usual).
    pub delimiter: u8,
    /// The address and port.
    pub addr: SocketAddr,
}

impl ExtendedAddr {
    /// An address with the usual `|` delimiter.
    pub fn new(addr: SocketAddr) -> Self {
        ExtendedAddr {
            delimiter: b'|',
            addr,
        }
    }

    /// The IP address.
    pub fn ip(&self) -> IpAddr {
        self.addr.ip()
    }
}

/// The `h1,h2,h3,h4,p1,p2` host-port of `PORT` and `227` replies.
pub type HostPort = SocketAddrV4;
