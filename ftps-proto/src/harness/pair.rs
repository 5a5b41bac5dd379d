//! The in-memory client <-> server pair target.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::client::{
    ClientConfig, ClientEvent, ClientSecurity, OpId, OpOutput, Operation, PassiveMode, TlsPolicy,
    Transfer, TransferKind,
};
use crate::codec::ProtectionLevel;
use crate::pair::{DataFault, MemStorage, Pair, PairError, PairOptions, Side};
use crate::server::{ServerConfig, ServerTls};
use crate::session::DataError;

use super::reader::Reader;
use super::MemoryGuard;

const PATHS: &[&[u8]] = &[
    b"/a.txt",
    b"/dir/b.bin",
    b"new.txt",
    b"/dir",
    b"/",
    b"sp ace.txt",
    b"../../etc/passwd",
    b"/dir/../a.txt",
];

const KINDS: &[TransferKind] = &[
    TransferKind::Retr,
    TransferKind::Stor,
    TransferKind::Appe,
    TransferKind::Stou,
    TransferKind::List,
    TransferKind::Nlst,
    TransferKind::Mlsd,
];

/// Client and server configurations from two header bytes.
fn configs(c0: u8, c1: u8) -> (ClientConfig, ServerConfig, PairOptions) {
    let mut client = ClientConfig::default();
    let mut server = ServerConfig::default();
    match c0 & 3 {
        0 => {
            client.security = ClientSecurity::Plain;
            server.tls = ServerTls::None;
        }
        1 => {}
        2 => {
            client.security = ClientSecurity::Implicit;
            server.tls = ServerTls::Implicit;
        }
        _ => {
            client.security = ClientSecurity::Explicit {
                policy: TlsPolicy::Opportunistic,
                auth_ssl_fallback: true,
            };
            server.tls = ServerTls::Explicit {
                required_for_login: true,
            };
        }
    }
    client.active = c0 & 4 != 0;
    client.passive = [
        PassiveMode::EpsvThenPasv,
        PassiveMode::PasvOnly,
        PassiveMode::EpsvAll,
        PassiveMode::EpsvThenPasv,
    ][usize::from(c0 >> 3 & 3)];
    if c0 & 32 != 0 {
        client.protection = ProtectionLevel::Clear;
    }
    client.prot_before_login = c0 & 64 == 0;
    server.require_prot_p = c0 & 128 != 0;
    server.max_login_attempts = u32::from(c1 & 3) + 1;
    server.require_data_session_reuse = c1 & 4 == 0;
    server.active.enabled = c1 & 8 == 0;
    let read_size = [usize::MAX, 1, 7, 64][usize::from(c1 >> 4 & 3)];
    let options = PairOptions {
        read_size,
        resume_data_tls: c1 & 64 == 0,
        late_client_data_end: c1 & 128 != 0,
        max_steps: step_budget(read_size),
        ..PairOptions::default()
    };
    (client, server, options)
}

/// The livelock bound for control reads of `read_size` bytes: 20,000 steps move every control
/// byte of a run when reads take 64 bytes or more; with smaller reads a byte may cost a step of
/// its own, so the bound grows in proportion (16 KiB of replies queued for an unresponsive
/// client took more than 20,000 one-byte reads once it answered).
fn step_budget(read_size: usize) -> usize {
    20_000 * (64 / read_size.clamp(1, 64))
}

/// An accepted operation and what to check when it completes.
#[derive(Debug)]
struct Pending {
    /// A binary transfer from offset 0: (kind, resolved path, local bytes).
    check: Option<(TransferKind, Vec<u8>, Vec<u8>)>,
    /// Nothing else was in flight from its start to its end.
    alone: bool,
}

struct PairHarness {
    pair: Pair,
    ops: BTreeMap<OpId, Pending>,
    /// Bytes of transfer data the script generated so far (for the memory bound).
    generated: usize,
    /// Bytes were injected into a control connection: on a plaintext one they are commands or
    /// replies the other side cannot tell from real ones (an injected partial line swallows the
    /// client's `TYPE I`, and the server stores in ASCII), so the byte-exact transfer checks
    /// stop; every other invariant stays.
    injected: bool,
}

impl PairHarness {
    /// Runs to idle: the sessions must settle (no livelock) and the pair see no anomaly.
    fn run(&mut self) {
        match self.pair.run() {
            Ok(_) => {}
            Err(PairError::NotIdle { steps }) => {
                self.dump();
                panic!("sessions did not settle in {steps} steps")
            }
            Err(e) => {
                self.dump();
                panic!("run failed: {e}")
            }
        }
        self.check();
    }

    /// With tracing on, prints both transcripts and the data log (at the end, or before a
    /// failure).
    fn dump(&self) {
        if !super::tracing() {
            return;
        }
        eprintln!(
            "client sent:\n{}",
            String::from_utf8_lossy(self.pair.client_transcript())
        );
        eprintln!(
            "server sent:\n{}",
            String::from_utf8_lossy(self.pair.server_transcript())
        );
        eprintln!("data: {:?}", self.pair.data_log());
    }

    fn check(&mut self) {
        assert!(
            self.pair.anomalies().is_empty(),
            "pair anomalies: {:?}",
            self.pair.anomalies()
        );
        // ATK-TRUNC: a TLS data connection that was cut never ends in success.
        for record in self.pair.data_log() {
            let cut = matches!(
                record.fault,
                Some(DataFault::Broken { .. } | DataFault::Truncated { .. })
            );
            if !(cut && record.tls.is_some() && !record.complete) {
                continue;
            }
            let op = self.pair.client_events().iter().find_map(|e| match e {
                ClientEvent::TransferData { op, data } if *data == record.client => Some(*op),
                _ => None,
            });
            if let Some(op) = op {
                let result = self.pair.result(op);
                assert!(
                    !matches!(result, Some(Ok(_))),
                    "cut transfer {op:?} succeeded: {record:?}"
                );
            }
        }
        let done: Vec<OpId> = self
            .ops
            .keys()
            .copied()
            .filter(|op| self.pair.result(*op).is_some())
            .collect();
        for op in done {
            let Some(pending) = self.ops.remove(&op) else {
                continue;
            };
            // Read once, then freed: the pair would keep every download of the script.
            let downloaded = self.pair.take_downloaded(op);
            let Some(Ok(output)) = self.pair.result(op) else {
                continue;
            };
            let (Some((kind, path, local)), true, false) =
                (pending.check, pending.alone, self.injected)
            else {
                continue;
            };
            let transferred = match output {
                OpOutput::Transferred { bytes } => *bytes,
                other => panic!("transfer {op:?} ended with {other:?}"),
            };
            match kind {
                TransferKind::Stor => {
                    // Every completed upload stored exactly what was sent.
                    let stored = self.pair.storage().get(&path);
                    if transferred != local.len() as u64 || stored != Some(&local[..]) {
                        self.dump();
                        panic!(
                            "upload {op:?} corrupted: {transferred} bytes sent of {}, \
                             stored {stored:?}, sent {local:?}",
                            local.len()
                        );
                    }
                }
                TransferKind::Retr => {
                    let stored = self.pair.storage().get(&path).map(<[u8]>::to_vec);
                    if downloaded != stored {
                        self.dump();
                        panic!("download {op:?} corrupted: got {downloaded:?}, stored {stored:?}");
                    }
                }
                _ => {}
            }
        }
    }

    fn accept(
        &mut self,
        result: Result<OpId, PairError>,
        check: Option<(TransferKind, Vec<u8>, Vec<u8>)>,
    ) {
        if let Ok(op) = result {
            // An operation queued behind pending ones may change their files before they are
            // checked (they all may complete in one run): none of them is alone any more.
            let alone = self.ops.is_empty();
            for pending in self.ops.values_mut() {
                pending.alone = false;
            }
            self.ops.insert(op, Pending { check, alone });
        }
    }

    fn step(&mut self, r: &mut Reader<'_>) {
        let sel = r.u8();
        match sel % 16 {
            0 => {
                let pw: &[u8] = if sel & 0x10 == 0 { b"secret" } else { b"wrong" };
                let result = self.pair.client_mut().login(b"anna", pw.into(), None);
                self.accept(result.map_err(PairError::from), None);
            }
            1..=4 => {
                let kind = KINDS[usize::from(r.u8()) % KINDS.len()];
                let path = PATHS[usize::from(r.u8()) % PATHS.len()];
                let local: Vec<u8> = match r.u8() {
                    n @ 0..=200 => r.bytes(usize::from(n)).to_vec(),
                    n => pattern(usize::from(n - 200) * 1024),
                };
                let flags = r.u8();
                let offset = if flags & 1 != 0 { u64::from(r.u8()) } else { 0 };
                let ascii = flags & 2 != 0;
                let t = Transfer::new(kind, path).offset(offset).ascii(ascii);
                // Relative paths depend on the current directory: only absolute ones are checked.
                let check = (offset == 0
                    && !ascii
                    && path.first() == Some(&b'/')
                    && matches!(kind, TransferKind::Stor | TransferKind::Retr))
                .then(|| {
                    let resolved = crate::vpath::VirtualPath::root()
                        .resolve(path)
                        .map(|p| p.into_bytes())
                        .unwrap_or_default();
                    (kind, resolved, local.clone())
                });
                self.generated = self.generated.saturating_add(local.len());
                let result = self.pair.start_transfer(t, &local);
                self.accept(result, check);
            }
            5 | 6 => {
                let path = PATHS[usize::from(r.u8()) % PATHS.len()];
                let op = match r.u8() % 12 {
                    0 => Operation::Cwd(path),
                    1 => Operation::Pwd,
                    2 => Operation::Mkd(path),
                    3 => Operation::Rmd(path),
                    4 => Operation::Dele(path),
                    5 => Operation::Rename {
                        from: path,
                        to: b"/renamed",
                    },
                    6 => Operation::Size(path),
                    7 => Operation::Mdtm(path),
                    8 => Operation::Mlst(Some(path)),
                    9 => Operation::Stat(Some(path)),
                    10 => Operation::Noop,
                    _ => Operation::Quit,
                };
                let result = self.pair.client_mut().command(op);
                self.accept(result.map_err(PairError::from), None);
            }
            7 => {
                if let Some((&op, _)) = self.ops.iter().next_back() {
                    let now = self.pair.now();
                    let _ = self.pair.client_mut().abort(now, op);
                }
            }
            8 => self.pair.drop_control(),
            9 => self.pair.reset_data(if sel & 0x10 == 0 {
                DataError::Broken
            } else {
                DataError::Truncated
            }),
            10 => {
                let fault = match r.u8() % 7 {
                    0 => DataFault::Broken {
                        after: u64::from(r.u8()),
                    },
                    1 => DataFault::Truncated {
                        after: u64::from(r.u8()),
                    },
                    2 => DataFault::Stall,
                    3 => DataFault::NoConnect,
                    4 => DataFault::Refused,
                    5 => DataFault::TlsFailed,
                    _ => DataFault::FreshTlsSession,
                };
                self.pair.fault_next_data(fault);
            }
            11 => match r.u8() % 4 {
                0 => self.pair.steal_next_passive(),
                1 => self.pair.fail_next_handshake(),
                2 => self.pair.hold_requests(sel & 0x10 != 0),
                _ => {
                    let side = if sel & 0x10 == 0 {
                        Side::Client
                    } else {
                        Side::Server
                    };
                    self.pair.set_unresponsive(side, sel & 0x20 != 0);
                }
            },
            12 => {
                let side = if sel & 0x10 == 0 {
                    Side::Client
                } else {
                    Side::Server
                };
                let bytes = r.short().to_vec();
                self.injected = true;
                self.pair.inject(side, &bytes);
            }
            13 => {
                let by = Duration::from_millis(u64::from(r.u16()) * 50);
                if let Err(e) = self.pair.advance(by) {
                    self.dump();
                    panic!("advance failed: {e}");
                }
                self.check();
                return;
            }
            14 => {
                if let Err(e) = self.pair.advance_to_next_timeout() {
                    self.dump();
                    panic!("advance failed: {e}");
                }
                self.check();
                return;
            }
            _ => {
                let options = self.pair.options_mut();
                options.read_size = usize::from(r.u8()).max(1);
                options.max_steps = step_budget(options.read_size);
            }
        }
        self.run();
    }
}

/// The in-memory [`Pair`]: a client and a server core talking through the pair's simulated
/// network and storage, driven by arbitrary operation sequences (logins, transfers of
/// arbitrary bytes, commands, aborts) with faults (control drops, data resets and faults,
/// handshake failures, port stealing, unresponsive peers, slow applications, injected
/// plaintext, any read size, time jumps). Checked after every step:
///
/// - the sessions always settle (no livelock) and the pair records no anomaly (no second
///   `Done`, no refused response);
/// - a binary upload that completes stored exactly the bytes sent, and a binary download that
///   completes received exactly the stored file (until bytes are injected into the control
///   connection: on plaintext, a man in the middle can always desynchronise the two sides);
/// - memory stays bounded;
/// - in the end, once the control connection is dropped and the timers have run, both
///   sessions are closed and every accepted operation has a result.
///
/// Input: two configuration bytes, then steps (a selector byte and its parameters).
pub fn pair_session(data: &[u8]) {
    let mut r = Reader::new(data);
    let (client, server, options) = configs(r.u8(), r.u8());
    let memory = MemoryGuard::new((4 << 20) + r.clone().rest().len() * 1024);
    let mut storage = MemStorage::new();
    storage.add_user(b"anna", b"secret");
    let _ = storage.put(b"/a.txt", b"line one\nline two\r\n");
    let _ = storage.put(b"/dir/b.bin", &[0xFF, 0, b'\r', b'\n', 7]);
    let _ = storage.mkdir_all(b"/empty");
    let pair = Pair::builder()
        .client(client)
        .server(server)
        .storage(storage)
        .options(options)
        .build();
    let mut h = PairHarness {
        pair,
        ops: BTreeMap::new(),
        generated: 0,
        injected: false,
    };
    h.run();
    let mut steps = 0;
    while r.peek().is_some() && steps < 256 {
        h.step(&mut r);
        // Transfer data the script generates (up to 55 KiB from 2 bytes) ends up in the
        // storage (APPE accumulates it), in a download's buffer (a `Vec` grown by doubling:
        // up to twice a stored file), in the harness's copies kept for the checks and in the
        // comparison: allowed on top, eight times over; the sessions themselves must stay in
        // the bound.
        memory.check_with("pair", h.generated.saturating_mul(8));
        steps += 1;
    }
    // The end: the control connection drops and the timers run out.
    h.pair.set_unresponsive(Side::Client, false);
    h.pair.set_unresponsive(Side::Server, false);
    h.pair.hold_requests(false);
    h.pair.drop_control();
    h.run();
    for _ in 0..64 {
        match h.pair.advance_to_next_timeout() {
            Ok(Some(_)) => h.check(),
            Ok(None) => break,
            Err(e) => {
                h.dump();
                panic!("advance failed: {e}")
            }
        }
    }
    h.check();
    assert!(
        h.pair.client().is_closed(),
        "client open after the control connection dropped"
    );
    assert!(
        h.pair.server().is_closed(),
        "server open after the control connection dropped"
    );
    h.dump();
    let open: Vec<&OpId> = h.ops.keys().collect();
    assert!(open.is_empty(), "operations without a result: {open:?}");
}

/// `len` bytes of the repeating pattern 0, 1, ..., 250: a large transfer body from one script
/// byte. Built by whole copies of the pattern (a byte loop here took a fifth of the target's time
/// under coverage instrumentation).
fn pattern(len: usize) -> Vec<u8> {
    const CYCLE: [u8; 251] = {
        let mut c = [0u8; 251];
        let mut i = 0;
        while i < c.len() {
            c[i] = i as u8;
            i += 1;
        }
        c
    };
    let mut out = Vec::with_capacity(len);
    while out.len() < len {
        let take = (len - out.len()).min(CYCLE.len());
        out.extend_from_slice(CYCLE.get(..take).unwrap_or_default());
    }
    out
}
