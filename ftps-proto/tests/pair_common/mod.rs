//! Shared setup of the `pair_*` tests: configurations for each security mode and a pair with
//! one user and a few files.
#![allow(dead_code)]

use ftps_proto::client::{ClientConfig, ClientSecurity, TlsPolicy};
use ftps_proto::codec::ProtectionLevel;
use ftps_proto::pair::{MemStorage, Pair, PairOptions};
use ftps_proto::server::{ServerConfig, ServerTls};

/// The control-connection security of both sides.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Plain,
    Explicit,
    Implicit,
}

pub const ALL_MODES: [Mode; 3] = [Mode::Plain, Mode::Explicit, Mode::Implicit];

pub fn client_config(mode: Mode) -> ClientConfig {
    match mode {
        Mode::Plain => ClientConfig::plain(),
        Mode::Explicit => ClientConfig::default(),
        Mode::Implicit => ClientConfig::implicit(),
    }
}

pub fn server_config(mode: Mode) -> ServerConfig {
    let mut s = ServerConfig::default();
    s.tls = match mode {
        Mode::Plain => ServerTls::None,
        Mode::Explicit => ServerTls::Explicit {
            required_for_login: true,
        },
        Mode::Implicit => ServerTls::Implicit,
    };
    s
}

/// The storage of most tests: user `alice`/`secret`, `/pub/hello.txt`, `/pub/sub/`, a
/// 256-byte binary file.
pub fn storage() -> MemStorage {
    let mut s = MemStorage::new();
    s.add_user(b"alice", b"secret");
    s.put(b"/pub/hello.txt", b"hello world\n").unwrap();
    s.mkdir_all(b"/pub/sub").unwrap();
    let all: Vec<u8> = (0..=255u8).collect();
    s.put(b"/bin/all.bin", &all).unwrap();
    s
}

pub fn pair_with(client: ClientConfig, server: ServerConfig) -> Pair {
    Pair::builder()
        .client(client)
        .server(server)
        .storage(storage())
        .options(PairOptions::default())
        .build()
}

pub fn pair(mode: Mode) -> Pair {
    pair_with(client_config(mode), server_config(mode))
}

/// A pair in `mode`, logged in as alice.
pub fn logged_in(mode: Mode) -> Pair {
    let mut p = pair(mode);
    p.login(b"alice", b"secret").unwrap();
    p
}

/// A client configuration with `PROT C` instead of `PROT P`.
pub fn prot_c(mut c: ClientConfig) -> ClientConfig {
    c.protection = ProtectionLevel::Clear;
    if let ClientSecurity::Explicit { .. } = c.security {
        c.security = ClientSecurity::Explicit {
            policy: TlsPolicy::Required,
            auth_ssl_fallback: false,
        };
    }
    c
}

/// The server's transcript as text lines (lossy), for readable assertions.
pub fn server_lines(p: &Pair) -> Vec<String> {
    lines(p.server_transcript())
}

/// The client's transcript as text lines (lossy).
pub fn client_lines(p: &Pair) -> Vec<String> {
    lines(p.client_transcript())
}

fn lines(bytes: &[u8]) -> Vec<String> {
    String::from_utf8_lossy(bytes)
        .split("\r\n")
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Reply codes the server sent, in order (continuation lines skipped).
pub fn server_codes(p: &Pair) -> Vec<u16> {
    server_lines(p)
        .iter()
        .filter(|l| l.len() >= 4 && l.as_bytes()[3] == b' ')
        .filter_map(|l| l[..3].parse().ok())
        .collect()
}

/// The verbs the client sent, in order.
pub fn client_verbs(p: &Pair) -> Vec<String> {
    client_lines(p)
        .iter()
        .map(|l| l.split(' ').next().unwrap_or("").to_owned())
        .collect()
}
