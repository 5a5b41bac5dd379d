//! curl against the tokio server: the cases of `external_common/curl.rs`, shared with the
//! std adapter's tests.

mod common;
#[path = "../../ftps-proto-std/tests/external_common/curl.rs"]
mod curl;

curl::curl_tests!(common::BlockingServer);
