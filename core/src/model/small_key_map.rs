//! Hash maps for keys made of small integers (symbols, indices, input numbers), which rules
//! update once per row of a log: the standard SipHash costs more than the rest of such an update.
//! Not for strings read from a log — a crafted log could make their hashes collide — only for
//! numbers the analyzer itself assigns.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// Folds each integer written into one word; the finish mixes every bit into every bit, so keys
/// that differ only in their high or low bits still land in different buckets.
#[derive(Default)]
pub(crate) struct SmallKeyHasher(u64);

impl Hasher for SmallKeyHasher {
    fn finish(&self) -> u64 {
        super::mix(self.0)
    }
    fn write(&mut self, bytes: &[u8]) {
        for c in bytes.chunks(8) {
            let mut w = [0u8; 8];
            w[..c.len()].copy_from_slice(c);
            self.write_u64(u64::from_le_bytes(w));
        }
    }
    fn write_u8(&mut self, v: u8) {
        self.write_u64(v as u64);
    }
    fn write_u16(&mut self, v: u16) {
        self.write_u64(v as u64);
    }
    fn write_u32(&mut self, v: u32) {
        self.write_u64(v as u64);
    }
    fn write_u64(&mut self, v: u64) {
        self.0 = (self.0.rotate_left(23) ^ v).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
    fn write_usize(&mut self, v: usize) {
        self.write_u64(v as u64);
    }
    fn write_isize(&mut self, v: isize) {
        self.write_u64(v as u64);
    }
}

pub(crate) type SmallKeyMap<K, V> = HashMap<K, V, BuildHasherDefault<SmallKeyHasher>>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_differing_in_low_or_high_bits_spread_over_buckets() {
        use std::hash::BuildHasher;
        let b = BuildHasherDefault::<SmallKeyHasher>::default();
        // Multiples of 8 (aligned offsets) and multiples of 2^32: the bucket index (low bits)
        // must still differ.
        let low: std::collections::HashSet<u64> =
            (0..1024u32).map(|k| b.hash_one(k * 8) & 1023).collect();
        let high: std::collections::HashSet<u64> =
            (0..1024u64).map(|k| b.hash_one(k << 32) & 1023).collect();
        assert!(low.len() > 600, "{} buckets of 1024", low.len());
        assert!(high.len() > 600, "{} buckets of 1024", high.len());
    }

    #[test]
    fn behaves_as_a_map() {
        let mut m: SmallKeyMap<(u32, u16), usize> = SmallKeyMap::default();
        for i in 0..10_000u32 {
            *m.entry((i % 97, (i % 7) as u16)).or_default() += 1;
        }
        assert_eq!(m.len(), 97 * 7);
        assert_eq!(m.values().sum::<usize>(), 10_000);
    }
}
