//! Hostile clients over real sockets against the tokio server (issue 6, item 3): each case of
//! `hostile_common::server_cases` (shared with the std adapter's tests) runs here.

#[path = "../../ftps-proto-std/tests/hostile_common/mod.rs"]
mod hostile_common;

use std::time::Duration;

use ftps_proto_tokio::server::{LocalFs, Server, Users};
use hostile_common::{fixture, Running, Setup, PASSWORD, USER};

/// Starts the tokio server on 127.0.0.1 for `setup`, on its own multi-thread runtime (the
/// hostile clients are blocking).
fn start(setup: Setup) -> Running {
    let (dir, root, demo) = fixture();
    let options = setup.server_options(&demo);
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

hostile_common::server_cases::server_tests!(start);
