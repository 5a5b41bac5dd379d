#![no_main]
//! Fuzz target: see `ftps_proto::harness::reply_parse` for the input format and the invariants.

libfuzzer_sys::fuzz_target!(|data: &[u8]| ftps_proto::harness::reply_parse(data));
