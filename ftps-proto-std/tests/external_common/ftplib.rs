//! Python ftplib `FTP_TLS` against a server under test (both adapters run these cases, see
//! [`External`]): explicit FTPS, PROT P, passive and active, sha256-checked round trips. Stock
//! ftplib does not resume the control TLS session on data connections, so it runs with the
//! reuse requirement off; a subclass that resumes it runs with the requirement on.

use std::process::Command;
use std::time::Duration;

use crate::common::external::External;
use crate::common::{payload, sha256, sha256_file, Mode, PASSWORD, USER};

const SCRIPT: &str = r#"
import ftplib, hashlib, io, ssl, sys
port, cafile, resume, passive, up_path = int(sys.argv[1]), sys.argv[2], sys.argv[3] == "1", sys.argv[4] == "1", sys.argv[5]
ctx = ssl.create_default_context(cafile=cafile)
class Resuming(ftplib.FTP_TLS):
    def ntransfercmd(self, cmd, rest=None):
        conn, size = ftplib.FTP.ntransfercmd(self, cmd, rest)
        if self._prot_p:
            conn = self.context.wrap_socket(conn, server_hostname=self.host, session=self.sock.session)
        return conn, size
cls = Resuming if resume else ftplib.FTP_TLS
f = cls(context=ctx, timeout=20)
f.connect("localhost", port)
f.login(sys.argv[6], sys.argv[7])
f.prot_p()
f.set_pasv(passive)
data = open(up_path, "rb").read()
f.storbinary("STOR py.bin", io.BytesIO(data))
got = io.BytesIO()
f.retrbinary("RETR py.bin", got.write)
assert got.getvalue() == data, "download differs"
print(hashlib.sha256(got.getvalue()).hexdigest())
print(",".join(sorted(f.nlst())))
f.quit()
"#;

fn ftplib<S: External>(server: &S, resume: bool, passive: bool) -> Vec<u8> {
    let data = payload(1_500_000, 9);
    let up = server.dir().join("py-up.bin");
    std::fs::write(&up, &data).unwrap();
    let mut c = Command::new("python3");
    c.arg("-c")
        .arg(SCRIPT)
        .arg(server.addr().port().to_string())
        .arg(server.cert())
        .arg(if resume { "1" } else { "0" })
        .arg(if passive { "1" } else { "0" })
        .arg(&up)
        .arg(USER)
        .arg(PASSWORD);
    let out = server.run(c, Duration::from_secs(60));
    assert!(
        out.status.success(),
        "ftplib failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(sha256_file(&server.root().join("py.bin")), sha256(&data));
    out.stdout
}

fn hex(d: [u8; 32]) -> String {
    d.iter().map(|b| format!("{b:02x}")).collect()
}

// T4217-DATATLS, ADP-RESUME with the reuse requirement off (stock ftplib)
pub fn ftplib_stock_prot_p_passive_reuse_off<S: External>() {
    let server = S::start(Mode::Explicit, false);
    let out = ftplib(&server, false, true);
    let expected = format!(
        "{}\npy-up.bin,py.bin\n",
        hex(sha256(&payload(1_500_000, 9)))
    );
    // The upload source lives outside the root: only py.bin is listed.
    assert_eq!(
        String::from_utf8_lossy(&out),
        expected.replace("py-up.bin,", "")
    );
    server.stop();
}

// ADP-RESUME, ATK-STEAL: data sessions resume the control session; the requirement is on.
pub fn ftplib_resuming_prot_p_passive_reuse_required<S: External>() {
    let server = S::start(Mode::Explicit, true);
    ftplib(&server, true, true);
    server.stop();
}

// ADP-ACTIVE, T4217-TLSROLE: active mode, the server connects and is the TLS server.
pub fn ftplib_resuming_prot_p_active_reuse_required<S: External>() {
    let server = S::start(Mode::Explicit, true);
    ftplib(&server, true, false);
    server.stop();
}

// T4217-REUSE: stock ftplib (no resumption) is refused when reuse is required.
pub fn ftplib_stock_refused_when_reuse_required<S: External>() {
    let server = S::start(Mode::Explicit, true);
    let up = server.dir().join("x.bin");
    std::fs::write(&up, b"x").unwrap();
    let mut c = Command::new("python3");
    c.arg("-c")
        .arg(SCRIPT)
        .arg(server.addr().port().to_string())
        .arg(server.cert())
        .arg("0")
        .arg("1")
        .arg(&up)
        .arg(USER)
        .arg(PASSWORD);
    let out = server.run(c, Duration::from_secs(60));
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    // The server refuses the data connection (522 on the control connection); ftplib
    // reports whichever it notices first: the 522 or the data socket closed under it (while
    // reading, or while writing the upload or its close_notify).
    assert!(
        err.contains("522")
            || err.contains("SSL")
            || err.contains("EOF")
            || err.contains("Broken pipe")
            || err.contains("Connection reset"),
        "expected a refused data connection: {err}"
    );
    assert!(
        !server.root().join("py.bin").exists()
            || std::fs::read(server.root().join("py.bin"))
                .unwrap()
                .is_empty()
    );
    server.stop();
}

/// The cases above as `#[test]`s against `$server` (an [`External`]); the test file declares
/// this module as `mod ftplib;` at its root.
macro_rules! ftplib_tests {
    ($server:ty) => {
        $crate::common::external::external_tests!($server; ftplib:
            ftplib_stock_prot_p_passive_reuse_off,
            ftplib_resuming_prot_p_passive_reuse_required,
            ftplib_resuming_prot_p_active_reuse_required,
            ftplib_stock_refused_when_reuse_required,
        );
    };
}

pub(crate) use ftplib_tests;
