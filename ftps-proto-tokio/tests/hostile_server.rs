//! Hostile clients over real sockets against the tokio server (issue 6, item 3): each case of
//! `hostile_common::server_cases` (shared with the std adapter's tests) runs here.

#[path = "../../ftps-proto-std/tests/hostile_common/mod.rs"]
mod hostile_common;

use std::time::Duration;

use ftps_proto_tokio::server::{LocalFs, PartialUploads, Server, ServerOptions, Users};
use ftps_proto_tokio::support::tls::{ServerTls, ServerTlsOptions};
use hostile_common::server_cases as cases;
use hostile_common::{fixture, serial, Mode, Running, Setup, PASSWORD, USER};

/// Starts the tokio server on 127.0.0.1 for `setup`, on its own multi-thread runtime (the
/// hostile clients are blocking).
fn start(setup: Setup) -> Running {
    let (dir, root, demo) = fixture();
    let tls = (setup.mode != Mode::Plain).then(|| {
        ServerTls::from_pem(
            demo.cert_pem.as_bytes(),
            demo.key_pem.as_bytes(),
            ServerTlsOptions::default(),
        )
        .expect("server tls")
    });
    let mut options = ServerOptions::new(tls);
    options.session.tls = match setup.mode {
        Mode::Explicit => ftps_proto::server::ServerTls::Explicit {
            required_for_login: true,
        },
        Mode::Implicit => ftps_proto::server::ServerTls::Implicit,
        Mode::Plain => ftps_proto::server::ServerTls::None,
    };
    options.session.require_data_session_reuse = setup.require_reuse;
    options.session.failed_login_delay = Duration::from_millis(10);
    if setup.delete_partial {
        options.partial_uploads = PartialUploads::Delete;
    }
    (setup.session)(&mut options.session);
    let storage = LocalFs::new(&root).expect("storage");
    let users = Users::new().with_user(USER, PASSWORD);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let server = runtime
        .block_on(Server::bind(
            "127.0.0.1:0".parse().expect("addr"),
            options,
            storage,
            users,
        ))
        .expect("bind");
    let addr = server.local_addr().expect("addr");
    let shutdown = server.shutdown_handle();
    let task = runtime.spawn(server.serve());
    Running {
        addr,
        root,
        dir,
        stop: Some(Box::new(move || {
            shutdown.shutdown();
            let _ = runtime
                .block_on(async { tokio::time::timeout(Duration::from_secs(20), task).await });
            runtime.shutdown_timeout(Duration::from_secs(5));
        })),
    }
}

macro_rules! cases {
    ($($(#[$meta:meta])* $name:ident => $case:ident;)*) => {$(
        $(#[$meta])*
        #[test]
        fn $name() {
            let _serial = serial();
            cases::$case(start);
        }
    )*};
}

cases! {
    /// FRM-MAXCMD
    frm_maxcmd_1mib_line_500_then_session_goes_on => long_line_1mib;
    /// FRM-MAXCMD
    frm_maxcmd_1mib_without_line_end_then_crlf => long_line_without_end_then_end;
    /// 10,000 pipelined commands.
    pipelined_10000_noops_answered_in_order => pipelined_10000_noops;
    /// ATK-TIMEOUT (slow client before login)
    atk_timeout_one_byte_per_second_before_login_421 => one_byte_per_second_before_login;
    /// ATK-TLSINJ-S
    atk_tlsinj_s_auth_with_pipelined_user_closes => auth_tls_with_pipelined_user;
    /// S2577-BOUNCE, S2577-LOWPORT
    s2577_bounce_lowport_port_eprt_refused => port_bounce_refused;
    /// S2577-PEER
    s2577_peer_passive_from_other_address_refused => passive_from_other_address;
    /// S2577-PEER, ATK-STEAL
    s2577_peer_tls_thief_from_other_address_refused => passive_tls_from_other_address;
    /// T4217-REUSE, ATK-STEAL
    t4217_reuse_fresh_data_tls_session_522 => data_tls_not_resumed;
    /// T4217-REUSE (cleartext data under PROT P)
    cleartext_data_under_prot_p_522 => cleartext_data_under_prot_p;
    /// Garbage ClientHello on a data connection.
    garbage_client_hello_on_data_522 => garbage_client_hello_on_data;
    /// Garbage ClientHello, implicit control connection.
    garbage_client_hello_implicit_closed => garbage_client_hello_implicit;
    /// Garbage ClientHello after 234.
    garbage_client_hello_explicit_closed => garbage_client_hello_explicit;
    /// Reset mid-STOR, partial uploads kept.
    reset_mid_stor_426_partial_kept => reset_mid_stor_keep;
    /// Reset mid-STOR, partial uploads deleted.
    reset_mid_stor_426_partial_deleted => reset_mid_stor_delete;
    /// ATK-TRUNC (server side)
    atk_trunc_tls_upload_without_close_notify_426 => truncated_tls_stor;
    /// Reset mid-RETR.
    reset_mid_retr_426_session_goes_on => reset_mid_retr;
    /// ATK-TRAVERSAL
    atk_traversal_path_escapes_refused => path_escapes;
    /// S2577-BRUTE
    s2577_brute_delay_cap_421 => brute_force_pass;
    /// H1123-IDLE, ATK-TIMEOUT (slow client after login)
    h1123_idle_one_byte_per_second_421_then_close => one_byte_per_second_after_login;
    /// S2577-PEER (PROT P): a foreign garbage sender is dropped before TLS
    s2577_peer_garbage_thief_does_not_kill_transfer => passive_garbage_from_other_address;
    /// ATK-TRAVERSAL (name over NAME_MAX)
    atk_traversal_long_name_553 => long_name_refused;
}
