//! Test data shared by both adapters' tests (`tests/common` and `hostile_common` include it):
//! deterministic payloads and their SHA-256 digests.

use std::path::Path;

use sha2::{Digest, Sha256};

pub fn sha256(data: &[u8]) -> [u8; 32] {
    Sha256::digest(data).into()
}

pub fn sha256_file(path: &Path) -> [u8; 32] {
    sha256(&std::fs::read(path).expect("read file"))
}

/// Deterministic pseudo-random bytes.
pub fn payload(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}
