#![no_main]
//! Fuzz target: see `ftps_proto::harness::pair_session` for the input format and the invariants.

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    fuzz_support::install_memory_probe();
    ftps_proto::harness::pair_session(data);
});
