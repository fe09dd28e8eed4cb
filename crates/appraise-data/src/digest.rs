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

/// Places an [`id_hash`] in a hash table by its low 64 bits: the key is a hash already,
/// and hashing it again would only cost time.
#[derive(Default)]
pub(crate) struct IdHasher(u64);

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        // Only reached by keys other than u128; fold the bytes in.
        for b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(*b);
        }
    }

    fn write_u128(&mut self, n: u128) {
        self.0 = n as u64;
    }
}

/// Id hashes to `V`.
pub(crate) type IdMap<V> = HashMap<u128, V, BuildHasherDefault<IdHasher>>;

/// A set of id hashes.
pub(crate) type IdSet = HashSet<u128, BuildHasherDefault<IdHasher>>;
