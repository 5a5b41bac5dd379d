#![no_main]
//! Fuzz target: see `ftps_proto::harness::listing_parse` for the input format and the invariants.

libfuzzer_sys::fuzz_target!(|data: &[u8]| ftps_proto::harness::listing_parse(data));
