//! Shared helpers of the ftps-proto benchmarks: a counting global allocator and realistic
//! control-channel inputs.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicU64, Ordering};

/// A global allocator that counts allocations, so benches can report heap allocations per item.
///
/// Install it in a bench binary with `#[global_allocator] static A: CountingAlloc = CountingAlloc;`.
#[derive(Debug)]
pub struct CountingAlloc;

static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);

// SAFETY: every call is forwarded unchanged to the system allocator; the counter has no effect
// on the memory handed out.
unsafe impl GlobalAlloc for CountingAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: same contract as our caller's.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as our caller's.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: same contract as our caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

/// Allocations counted so far (all threads).
pub fn allocations() -> u64 {
    ALLOCATIONS.load(Ordering::Relaxed)
}

/// A realistic mix of client commands (one session's worth), repeated `rounds` times, as one
/// pipelined buffer. Returns the buffer and the number of commands in it.
pub fn pipelined_commands(rounds: usize) -> (Vec<u8>, usize) {
    const MIX: &[&str] = &[
        "USER demo",
        "PASS not-a-real-password",
        "PBSZ 0",
        "PROT P",
        "TYPE I",
        "PWD",
        "CWD /srv/ftp/incoming/2026/reports",
        "EPSV",
        "MLSD",
        "SIZE quarterly report final.pdf",
        "MDTM quarterly report final.pdf",
        "REST 1048576",
        "RETR quarterly report final.pdf",
        "PASV",
        "STOR upload-0001.bin",
        "PORT 127,0,0,1,195,80",
        "EPRT |1|127.0.0.1|50000|",
        "NOOP",
        "MFMT 20261121115000 upload-0001.bin",
        "RNFR upload-0001.bin",
        "RNTO archive/upload-0001.bin",
        "OPTS UTF8 ON",
        "FEAT",
        "DELE old.log",
    ];
    let mut buf = Vec::new();
    for _ in 0..rounds {
        for cmd in MIX {
            buf.extend_from_slice(cmd.as_bytes());
            buf.extend_from_slice(b"\r\n");
        }
    }
    (buf, MIX.len() * rounds)
}

/// A stream of replies a client sees: single-line replies and multi-line FEAT / STAT replies,
/// repeated `rounds` times. Returns the buffer and the number of replies in it.
pub fn reply_stream(rounds: usize) -> (Vec<u8>, usize) {
    const REPLIES: &[&str] = &[
        "220 (vsFTPd 3.0.3)\r\n",
        "234 Proceed with negotiation.\r\n",
        "331 Please specify the password.\r\n",
        "230 Login successful.\r\n",
        "211-Features:\r\n EPRT\r\n EPSV\r\n MDTM\r\n MLST type*;size*;modify*;perm*;unique*;\r\n PASV\r\n PBSZ\r\n PROT\r\n REST STREAM\r\n SIZE\r\n TVFS\r\n UTF8\r\n211 End\r\n",
        "200 PBSZ set to 0.\r\n",
        "200 PROT now Private.\r\n",
        "257 \"/home/ftptest\" is the current directory\r\n",
        "229 Entering Extended Passive Mode (|||40123|)\r\n",
        "150 Opening BINARY mode data connection for file1234.bin (1234 bytes).\r\n",
        "226 Transfer complete.\r\n",
        "213 1234\r\n",
        "213 20261022123456\r\n",
        "211-FTP server status:\r\n     Connected to 127.0.0.1\r\n     Logged in as ftptest\r\n     TYPE: BINARY\r\n     Session bandwidth limit in byte/s is 0\r\n     At session startup, client count was 1\r\n     vsFTPd 3.0.3 - secure, fast, stable\r\n211 End of status\r\n",
        "227 Entering Passive Mode (127,0,0,1,156,203).\r\n",
    ];
    let mut buf = Vec::new();
    for _ in 0..rounds {
        for r in REPLIES {
            buf.extend_from_slice(r.as_bytes());
        }
    }
    (buf, REPLIES.len() * rounds)
}
