//! Hash maps and sets keyed by machine words: the addresses of shared
//! (interned) strings, or numbers that are hashes already. Hashing a word
//! is one multiplication, where the default hasher (SipHash) reads the text
//! or runs its rounds on every key (bench/README.md).

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};

/// A map keyed by words, or by tuples of words.
pub type WordMap<K, V> = HashMap<K, V, BuildHasherDefault<WordHasher>>;
/// A set of words.
pub type WordSet<K> = HashSet<K, BuildHasherDefault<WordHasher>>;

/// Multiplies each word in; the table's bucket bits come from the well-mixed
/// high half (addresses' low bits are all zero, by alignment).
#[derive(Default)]
pub struct WordHasher(u64);

const K: u64 = 0x9e37_79b9_7f4a_7c15;

impl Hasher for WordHasher {
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(u64::from(b));
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0 ^ n).wrapping_mul(K);
    }
    fn write_usize(&mut self, n: usize) {
        self.write_u64(n as u64);
    }
    fn finish(&self) -> u64 {
        self.0.rotate_left(26)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Aligned addresses spread over the buckets: no bucket gets a tenth.
    #[test]
    fn aligned_addresses_spread() {
        let mut buckets = [0u32; 64];
        for i in 0..64_000u64 {
            let mut h = WordHasher::default();
            h.write_usize((0x5555_0000_0000 + i * 16) as usize);
            buckets[(h.finish() % 64) as usize] += 1;
        }
        assert!(buckets.iter().all(|&n| n < 6_400), "{buckets:?}");
        let map: WordMap<(usize, usize), u32> = (0..1000).map(|i| ((i * 8, 3), i as u32)).collect();
        assert_eq!(map.get(&(800, 3)), Some(&100));
        assert_eq!(map.get(&(800, 4)), None);
    }
}
