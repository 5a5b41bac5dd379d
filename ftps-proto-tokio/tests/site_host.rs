//! `SITE` (C959-SITE, S2577-SITEEXEC) and `HOST` (H7151-REPLY, H7151-ORDER) answered by the
//! application through the `Storage` and `Authenticator` traits, with their denying defaults;
//! exact replies checked on a plaintext control connection.

mod common;

use std::path::Path;
use std::time::Duration;

use common::{Mode, RawControl, TestServer, PASSWORD, USER};
use ftps_proto::listing::FileInfo;
use ftps_proto::session::StorageError;
use ftps_proto::vpath::VirtualPath;
use ftps_proto::{ReplyCode, Secret};
use ftps_proto_std::support::tls::ServerTlsOptions;
use ftps_proto_tokio::server::{
    AuthOutcome, Authenticator, LocalFs, ServerOptions, SiteReply, Storage, Users, WriteMode,
};

const LIMIT: Duration = Duration::from_secs(30);

/// `LocalFs` with a few `SITE` subcommands.
struct SiteFs(LocalFs);

impl Storage for SiteFs {
    type Reader = <LocalFs as Storage>::Reader;
    type Writer = <LocalFs as Storage>::Writer;

    async fn metadata(&self, path: &VirtualPath) -> Result<FileInfo, StorageError> {
        self.0.metadata(path).await
    }
    async fn list(&self, path: &VirtualPath) -> Result<Vec<FileInfo>, StorageError> {
        self.0.list(path).await
    }
    async fn open_read(
        &self,
        path: &VirtualPath,
        offset: u64,
    ) -> Result<Self::Reader, StorageError> {
        self.0.open_read(path, offset).await
    }
    async fn open_write(
        &self,
        path: &VirtualPath,
        mode: WriteMode,
    ) -> Result<Self::Writer, StorageError> {
        self.0.open_write(path, mode).await
    }
    async fn site(&self, command: &[u8]) -> Result<SiteReply, StorageError> {
        match command {
            [b'E', b'C', b'H', b'O', b' ', rest @ ..] => Ok(SiteReply::new(ReplyCode::C200, rest)),
            b"HELP" => Ok(SiteReply::new(ReplyCode::C214, "ECHO HELP\nEnd")),
            b"PROGRESS" => Ok(SiteReply::new(ReplyCode::C150, "not a final code")),
            b"SECRET" => Err(StorageError::PermissionDenied),
            _ => Err(StorageError::Unsupported),
        }
    }
}

fn site_fs(root: &Path) -> std::io::Result<SiteFs> {
    LocalFs::new(root).map(SiteFs)
}

fn enable(site: bool, host: bool) -> impl FnOnce(&mut ServerOptions) {
    move |o| {
        o.session.features.site = site;
        o.session.features.host = host;
    }
}

async fn plain_with<S: Storage, A: Authenticator>(
    tweak: impl FnOnce(&mut ServerOptions),
    storage: impl FnOnce(&Path) -> std::io::Result<S>,
    auth: A,
) -> TestServer {
    TestServer::start_custom(
        Mode::Plain,
        false,
        ServerTlsOptions::default(),
        tweak,
        storage,
        auth,
    )
    .await
}

// C959-SITE, S2577-SITEEXEC: the default Storage::site refuses with 502; so does the core
// when the SITE feature is off.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn c959_site_default_denies_with_502() {
    for site_on in [true, false] {
        let users = Users::new().with_user(USER, PASSWORD);
        let server = plain_with(enable(site_on, false), LocalFs::new, users).await;
        let run = async {
            let (mut c, _) = RawControl::connect(server.addr).await;
            c.login().await;
            let r = c.cmd("SITE EXEC ls").await;
            assert!(r.starts_with("502 "), "site feature {site_on}: {r:?}");
        };
        tokio::time::timeout(LIMIT, run).await.expect("timed out");
        server.stop().await;
    }
}

// C959-SITE: the application's replies, single and multi-line; its errors map to the
// core's codes; a code that is not 2yz/4yz/5yz becomes 451.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn c959_site_answered_by_the_storage() {
    let users = Users::new().with_user(USER, PASSWORD);
    let server = plain_with(enable(true, false), site_fs, users).await;
    let run = async {
        let (mut c, _) = RawControl::connect(server.addr).await;
        c.login().await;
        assert_eq!(c.cmd("SITE ECHO hello there").await, "200 hello there\r\n");
        let help = c.cmd("SITE HELP").await;
        assert!(help.starts_with("214-ECHO HELP\r\n"), "{help:?}");
        assert!(help.ends_with("214 End\r\n"), "{help:?}");
        assert!(c.cmd("SITE SECRET").await.starts_with("550 "));
        assert!(c.cmd("SITE PROGRESS").await.starts_with("451 "));
        assert!(c.cmd("SITE OTHER").await.starts_with("502 "));
        // The session is still in step.
        assert!(c.cmd("NOOP").await.starts_with("200 "));
    };
    tokio::time::timeout(LIMIT, run).await.expect("timed out");
    server.stop().await;
}

/// One virtual host, `good.example`, with its own password for the demo user.
struct VirtualHosts;

const VHOST_PASSWORD: &str = "vhost-pw";

impl Authenticator for VirtualHosts {
    async fn authenticate(
        &self,
        user: &[u8],
        password: &Secret<'_>,
        _: Option<&Secret<'_>>,
    ) -> AuthOutcome {
        if user == USER.as_bytes() && password.expose() == PASSWORD.as_bytes() {
            AuthOutcome::LoggedIn
        } else {
            AuthOutcome::Failed
        }
    }

    async fn select_host(&self, name: &[u8]) -> bool {
        name == b"good.example"
    }

    async fn authenticate_on_host(
        &self,
        host: Option<&[u8]>,
        user: &[u8],
        password: &Secret<'_>,
        account: Option<&Secret<'_>>,
    ) -> AuthOutcome {
        match host {
            Some(b"good.example")
                if user == USER.as_bytes() && password.expose() == VHOST_PASSWORD.as_bytes() =>
            {
                AuthOutcome::LoggedIn
            }
            Some(_) => AuthOutcome::Failed,
            None => self.authenticate(user, password, account).await,
        }
    }
}

// H7151-REPLY: the default Authenticator knows no host: 504.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn h7151_host_default_denies_with_504() {
    let users = Users::new().with_user(USER, PASSWORD);
    let server = plain_with(enable(false, true), LocalFs::new, users).await;
    let run = async {
        let (mut c, _) = RawControl::connect(server.addr).await;
        assert!(c.cmd("HOST ftp.example.com").await.starts_with("504 "));
        // The connection stays usable: login without HOST.
        c.login().await;
    };
    tokio::time::timeout(LIMIT, run).await.expect("timed out");
    server.stop().await;
}

// H7151-REPLY, H7151-ORDER: an unknown host gets 504, a known one 220, and the login is
// checked against the selected host's accounts.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn h7151_host_selects_the_authentication_environment() {
    let server = plain_with(enable(false, true), LocalFs::new, VirtualHosts).await;
    let run = async {
        let (mut c, _) = RawControl::connect(server.addr).await;
        assert!(c.cmd("HOST bad.example").await.starts_with("504 "));
        assert_eq!(c.cmd("HOST good.example").await, "220 Host accepted.\r\n");
        assert!(c.cmd(&format!("USER {USER}")).await.starts_with("331"));
        // The default host's password is not this host's.
        assert!(c.cmd(&format!("PASS {PASSWORD}")).await.starts_with("530"));
        assert!(c.cmd(&format!("USER {USER}")).await.starts_with("331"));
        assert!(c
            .cmd(&format!("PASS {VHOST_PASSWORD}"))
            .await
            .starts_with("230"));
        // After login HOST is out of order.
        assert!(c.cmd("HOST good.example").await.starts_with("503 "));

        // Without HOST, the default accounts apply.
        let (mut d, _) = RawControl::connect(server.addr).await;
        assert!(d.cmd(&format!("USER {USER}")).await.starts_with("331"));
        assert!(d
            .cmd(&format!("PASS {VHOST_PASSWORD}"))
            .await
            .starts_with("530"));
        d.login().await;
    };
    tokio::time::timeout(LIMIT, run).await.expect("timed out");
    server.stop().await;
}
