#![no_main]
//! Fuzz target: see `ftps_proto::harness::path_jail` for the input format and the invariants.

libfuzzer_sys::fuzz_target!(|data: &[u8]| ftps_proto::harness::path_jail(data));
