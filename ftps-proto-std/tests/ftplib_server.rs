//! Python ftplib `FTP_TLS` against the std server: the cases of `external_common/ftplib.rs`,
//! shared with the tokio adapter's tests.

mod common;
#[path = "external_common/ftplib.rs"]
mod ftplib;

ftplib::ftplib_tests!(common::TestServer);
