//! What every contender shares: the served directory (on tmpfs when there is one), the demo
//! certificate, the login, and the TLS client configs built from them.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use ftps_proto_std::support::cert::DemoCertificate;
use ftps_proto_std::support::tls::{
    certificates_from_pem, crypto_provider, ClientTls, ServerVerification,
};

use crate::args::Options;
use crate::payload::{block, Pattern};
use crate::Result;

/// The user every server accepts (libunftp's default authenticator accepts any).
pub const USER: &str = "bench";
/// Its password.
pub const PASSWORD: &str = "bench-password";
/// The name clients verify in the certificate (and send as SNI).
pub const TLS_NAME: &str = "localhost";
/// The bulk download, at the root of the served directory.
pub const BULK_FILE: &str = "bulk.bin";
/// Directory of the small files.
pub const SMALL_DIR: &str = "small";
/// Directory uploads go to.
pub const UPLOAD_DIR: &str = "up";

/// The shared files and certificate; the directory is removed on drop.
#[derive(Debug)]
pub struct Fixture {
    /// Top directory (removed on drop).
    dir: PathBuf,
    /// The directory every server serves.
    pub root: PathBuf,
    /// The certificate, PEM file.
    pub cert_path: PathBuf,
    /// Its private key, PEM file.
    pub key_path: PathBuf,
    /// The certificate itself.
    pub cert: DemoCertificate,
    /// Paths of the small files, relative to the root.
    pub small_files: Vec<String>,
    /// Size of the bulk file.
    pub bulk_bytes: u64,
    /// Where the files live (`tmpfs` or a plain temp dir).
    pub medium: &'static str,
}

impl Fixture {
    /// Creates the directory, the bulk file, the small files and the certificate.
    pub fn create(options: &Options) -> Result<Fixture> {
        let shm = Path::new("/dev/shm");
        let (base, medium) = if shm.is_dir() {
            (shm.to_path_buf(), "tmpfs (/dev/shm)")
        } else {
            (std::env::temp_dir(), "the temp dir")
        };
        let dir = base.join(format!("ftps-compare-{}", std::process::id()));
        let fixture = Fixture {
            root: dir.join("root"),
            cert_path: dir.join("cert.pem"),
            key_path: dir.join("key.pem"),
            dir,
            cert: DemoCertificate::generate()?,
            small_files: Vec::new(),
            bulk_bytes: options.bulk_bytes,
            medium,
        };
        // From here on the directory is removed on every exit path (drop).
        fixture.populate(options)
    }

    fn populate(mut self, options: &Options) -> Result<Fixture> {
        std::fs::create_dir_all(self.root.join(SMALL_DIR))?;
        std::fs::create_dir_all(self.root.join(UPLOAD_DIR))?;
        std::fs::write(&self.cert_path, self.cert.cert_pem.as_bytes())?;
        std::fs::write(&self.key_path, self.cert.key_pem.as_bytes())?;
        let mut bulk = std::io::BufWriter::with_capacity(
            1024 * 1024,
            std::fs::File::create(self.root.join(BULK_FILE))?,
        );
        std::io::copy(&mut Pattern::new(options.bulk_bytes), &mut bulk)?;
        bulk.flush()?;
        let small = block().get(..options.file_bytes.min(block().len()));
        let small = small.unwrap_or_default();
        for i in 0..options.files {
            let name = format!("{SMALL_DIR}/f{i:06}.bin");
            std::fs::write(self.root.join(&name), small)?;
            self.small_files.push(name);
        }
        Ok(self)
    }

    /// A path for an upload, unique per contender and round.
    pub fn upload_path(&self, tag: &str, round: usize) -> String {
        format!("{UPLOAD_DIR}/{tag}-{round}.bin")
    }

    /// Checks an upload's size on disk, then removes it.
    pub fn check_upload(&self, path: &str, expected: u64) -> Result<()> {
        let local = self.root.join(path);
        let len = std::fs::metadata(&local)?.len();
        std::fs::remove_file(&local)?;
        if len != expected {
            return Err(format!("{path}: {len} bytes stored, {expected} sent").into());
        }
        Ok(())
    }

    /// A new client TLS setup of our adapters (its own resumption store).
    pub fn ours_tls(&self) -> Result<ClientTls> {
        let roots = certificates_from_pem(self.cert.cert_pem.as_bytes())?;
        Ok(ClientTls::new(ServerVerification::Roots(roots), None)?)
    }

    /// A new plain rustls client config (rustls' default resumption cache), as a suppaftp user
    /// or the raw copy builds it.
    pub fn rustls_client(&self) -> Result<Arc<rustls::ClientConfig>> {
        let mut store = rustls::RootCertStore::empty();
        for cert in certificates_from_pem(self.cert.cert_pem.as_bytes())? {
            store.add(cert)?;
        }
        let config = rustls::ClientConfig::builder_with_provider(crypto_provider())
            .with_safe_default_protocol_versions()?
            .with_root_certificates(store)
            .with_no_client_auth();
        Ok(Arc::new(config))
    }
}

impl Drop for Fixture {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
