//! curl against the std server: the cases of `external_common/curl.rs`, shared with the
//! tokio adapter's tests.

mod common;
#[path = "external_common/curl.rs"]
mod curl;

curl::curl_tests!(common::TestServer);
