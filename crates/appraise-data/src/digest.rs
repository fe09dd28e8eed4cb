//! Hashes: the SHA-256 of files, for the manifests that let a reader check what a run
//! read, and the 128-bit hashes of row ids that the duplicate checks keep.

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};
use std::io;
use std::path::Path;

use sha2::{Digest, Sha256};
use xxhash_rust::xxh3::xxh3_128;

/// The size in bytes and the SHA-256 (lowercase hex) of a file, read streaming.
pub fn file_sha256(path: &Path) -> io::Result<(u64, String)> {
    let mut file = std::fs::File::open(path)?;
    let mut hasher = Sha256::new();
    let bytes = io::copy(&mut file, &mut hasher)?;
    Ok((bytes, hex::encode(hasher.finalize())))
}

/// A row id as its 128-bit xxh3 hash: two of a billion ids share one with a chance
/// below 10⁻²⁰.
pub(crate) fn id_hash(id: &str) -> u128 {
    xxh3_128(id.as_bytes())
}

/// Places an [`id_hash`] (or a [`SeenKey`]) in a hash table by its low 64 bits: the
/// key is a hash already, and hashing it again would only cost time.
#[derive(Default)]
pub(crate) struct IdHasher(u64);

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        // Only reached by keys other than these; fold the bytes in.
        for b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(*b);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }

    fn write_u128(&mut self, n: u128) {
        self.0 = n as u64;
    }
}

/// A set of id hashes.
pub(crate) type IdSet = HashSet<u128, BuildHasherDefault<IdHasher>>;

/// Shards of a [`Seen`] index: each grows on its own, so that growing one (a new
/// table twice the size while the old one is still held) costs a 64th of the index
/// at a time, not half of it again.
const SHARDS: usize = 64;

/// 96 bits of an id hash, aligned to 4 bytes so that a key and its row hash take 16
/// bytes in a hash table (a `u128` would take 24 with the row hash beside it).
#[derive(Clone, Copy, PartialEq, Eq)]
struct SeenKey([u32; 3]);

impl std::hash::Hash for SeenKey {
    fn hash<H: Hasher>(&self, state: &mut H) {
        // Bits of a hash already: placed by themselves.
        state.write_u64(u64::from(self.0[0]) | u64::from(self.0[1]) << 32);
    }
}

/// The ids a load has taken, each with a hash of its row, in 16 bytes an id (plus the
/// hash table's byte of control): 102 bits of the id's 128-bit hash (6 choose the
/// shard, 96 are the key) and the low 32 bits of the row's hash.
///
/// Two of a billion ids share those 102 bits with a chance below 10⁻¹³. A repeated id
/// whose row differs is told from a repeat of the same row by 32 bits of the row's
/// hash: a conflicting row would pass for a repeat (counted as a duplicate instead of
/// rejected) with a chance of 2⁻³², about 2·10⁻¹⁰ per conflict.
pub(crate) struct Seen {
    shards: Vec<HashMap<SeenKey, u32, BuildHasherDefault<IdHasher>>>,
}

impl Default for Seen {
    fn default() -> Self {
        Seen {
            shards: (0..SHARDS).map(|_| HashMap::default()).collect(),
        }
    }
}

impl Seen {
    /// Takes `id` (an [`id_hash`]) with a row hashing to `content`: `None` the first
    /// time, after that whether the row is the same as the first one's.
    pub(crate) fn take(&mut self, id: u128, content: u64) -> Option<bool> {
        let shard = (id >> 122) as usize % SHARDS;
        let key = SeenKey([id as u32, (id >> 32) as u32, (id >> 64) as u32]);
        match self.shards[shard].entry(key) {
            std::collections::hash_map::Entry::Occupied(e) => Some(*e.get() == content as u32),
            std::collections::hash_map::Entry::Vacant(e) => {
                e.insert(content as u32);
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_entry_takes_sixteen_bytes() {
        assert_eq!(std::mem::size_of::<(SeenKey, u32)>(), 16);
    }

    #[test]
    fn seen_tells_new_ids_repeats_and_conflicts_apart() {
        let mut seen = Seen::default();
        let (a, b) = (id_hash("E1"), id_hash("E2"));
        assert_eq!(seen.take(a, 7), None);
        assert_eq!(seen.take(b, 7), None);
        assert_eq!(seen.take(a, 7), Some(true));
        assert_eq!(seen.take(a, 8), Some(false));
        // Ids alike in their low 64 bits, or in all bits but the shard's, are apart.
        assert_eq!(seen.take(a ^ 1 << 70, 7), None);
        assert_eq!(seen.take(a ^ 1 << 127, 7), None);
        assert_eq!(seen.take(a ^ 1 << 127, 7), Some(true));
        // Bits 96 to 121 are not kept.
        assert_eq!(seen.take(a ^ 1 << 100, 7), Some(true));
    }
}
