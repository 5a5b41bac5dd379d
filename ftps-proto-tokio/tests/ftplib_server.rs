//! Python ftplib `FTP_TLS` against the tokio server: the cases of `external_common/ftplib.rs`,
//! shared with the std adapter's tests.

mod common;
#[path = "../../ftps-proto-std/tests/external_common/ftplib.rs"]
mod ftplib;

ftplib::ftplib_tests!(common::BlockingServer);
