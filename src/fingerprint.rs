//! The running hash every fingerprint and state checksum is made with: a
//! leaf, so the state module and the plan share it without importing
//! each other.

use xxhash_rust::xxh3::Xxh3;

/// A running hash for fingerprints (xxh3: fast, stable across runs).
#[derive(Default)]
pub struct Fingerprint(Xxh3);

impl Fingerprint {
    pub fn new() -> Self {
        Fingerprint(Xxh3::new())
    }

    pub fn add(&mut self, bytes: &[u8]) -> &mut Self {
        self.0.update(&(bytes.len() as u64).to_le_bytes());
        self.0.update(bytes);
        self
    }

    pub fn add_u64(&mut self, n: u64) -> &mut Self {
        self.0.update(&n.to_le_bytes());
        self
    }

    pub fn finish(&self) -> u64 {
        self.0.digest()
    }
}
