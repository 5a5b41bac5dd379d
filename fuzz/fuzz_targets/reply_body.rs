#![no_main]
//! Fuzz target: see `ftps_proto::harness::reply_body` for the input format and the invariants.

libfuzzer_sys::fuzz_target!(|data: &[u8]| ftps_proto::harness::reply_body(data));
