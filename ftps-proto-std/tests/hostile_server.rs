//! Hostile clients over real sockets against the std server (issue 6, item 3): each case of
//! `hostile_common::server_cases` runs here and, the same, against the tokio server.

mod hostile_common;

use std::time::{Duration, Instant};

use ftps_proto_std::server::{LocalFs, Server, Users};
use hostile_common::{fixture, Running, Setup, PASSWORD, USER};

/// Starts the std server on 127.0.0.1 for `setup`.
fn start(setup: Setup) -> Running {
    let (dir, root, demo) = fixture();
    let options = setup.server_options(&demo);
    let storage = LocalFs::new(&root).expect("storage");
    let users = Users::new().with_user(USER, PASSWORD);
    let server = Server::bind(
        "127.0.0.1:0".parse().expect("addr"),
        options,
        storage,
        users,
    )
    .expect("bind");
    let addr = server.local_addr().expect("addr");
    let shutdown = server.shutdown_handle();
    let thread = std::thread::spawn(move || server.serve());
    Running {
        addr,
        root,
        dir,
        stop: Some(Box::new(move || {
            shutdown.shutdown();
            let deadline = Instant::now() + Duration::from_secs(20);
            while !thread.is_finished() && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(10));
            }
        })),
    }
}

hostile_common::server_cases::server_tests!(start);
