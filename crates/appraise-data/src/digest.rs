//! Hashes: the SHA-256 of files, for the manifests that let a reader check what a run
//! read, and the 128-bit hashes of row ids that the duplicate checks keep.

use std::collections::HashSet;
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

/// Places an [`id_hash`] in a hash table by its low 64 bits: the
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
/// table a little larger while the old one is still held) costs a 64th of the index
/// at a time.
const SHARDS: usize = 64;

/// The fullest a shard gets before it grows, and how much it grows by: between
/// 0.9 / 1.1 ≈ 0.82 and 0.9 of its slots are taken, about 14 bytes an id.
const MAX_LOAD: f64 = 0.9;
const GROWTH: f64 = 1.1;

/// The ids a load has taken, each with a hash of its row, in 12 bytes an id and some
/// room: 70 bits of the id's 128-bit hash (6 choose the shard, 64 are the key) and the
/// low 32 bits of the row's hash.
///
/// Two of 50 million ids share those 70 bits with a chance of about 10⁻⁶ (of a billion,
/// 4·10⁻⁴); the second of such a pair is then rejected as a conflict, or with a further
/// chance of 2⁻³² counted as a repeat. A repeated id whose row differs is told from a
/// repeat of the same row by 32 bits of the row's hash: a conflicting row would pass
/// for a repeat (counted as a duplicate instead of rejected) with a chance of 2⁻³²,
/// about 2·10⁻¹⁰ per conflict.
pub(crate) struct Seen {
    shards: Vec<Shard>,
}

/// One shard: an ordered hash table. A key's home slot is its place in the range of
/// keys scaled to the slots (`key × slots / 2⁶⁴`), so homes rise with the keys; each
/// key sits at or after its home, and the taken slots hold the keys in ascending
/// order with no free slot between a key and its home. A key is found by looking on
/// from its home past the smaller keys, and put in by moving the larger ones of its
/// run up one slot. Keys are hashes, spread evenly, so runs stay short; a run that
/// reaches the end goes on into slots added there.
#[derive(Default)]
struct Shard {
    /// 0: a free slot (a key of 0 is kept as 1).
    keys: Paged<u64>,
    /// The row hash beside each key.
    rows: Paged<u32>,
    /// The slots homes are spread over; `keys` may run on past them.
    slots: usize,
    len: usize,
}

impl Shard {
    fn home(&self, key: u64) -> usize {
        ((u128::from(key) * self.slots as u128) >> 64) as usize
    }

    /// `key` with a row hashing to `row`: `None` the first time, after that whether
    /// the row is the same as the first one's.
    fn take(&mut self, key: u64, row: u32) -> Option<bool> {
        let key = key.max(1);
        if self.len + 1 > (self.slots as f64 * MAX_LOAD) as usize {
            self.grow();
        }
        let end = self.keys.len();
        let mut at = self.home(key);
        while at < end && (1..key).contains(&self.keys.get(at)) {
            at += 1;
        }
        if at < end && self.keys.get(at) == key {
            return Some(self.rows.get(at) == row);
        }
        // The run from `at` moves up one slot, into the first free one.
        let mut free = at;
        while free < end && self.keys.get(free) != 0 {
            free += 1;
        }
        if free == end {
            self.run_on();
        }
        for i in (at..free).rev() {
            self.keys.set(i + 1, self.keys.get(i));
            self.rows.set(i + 1, self.rows.get(i));
        }
        self.keys.set(at, key);
        self.rows.set(at, row);
        self.len += 1;
        None
    }

    /// Slots added at the end at a time, for a run that reaches it.
    const RUN_ON: usize = 64;

    fn run_on(&mut self) {
        self.keys.extend_to(self.keys.len() + Self::RUN_ON);
        self.rows.extend_to(self.rows.len() + Self::RUN_ON);
    }

    /// Moves the keys, in order, into more slots.
    fn grow(&mut self) {
        let slots = ((self.slots as f64 * GROWTH) as usize).max(self.slots + 1024);
        let mut grown = Shard {
            keys: Paged::default(),
            rows: Paged::default(),
            slots,
            len: self.len,
        };
        grown.keys.extend_to(slots);
        grown.rows.extend_to(slots);
        let mut next = 0;
        for (k, r) in self
            .keys
            .iter()
            .zip(self.rows.iter())
            .filter(|(k, _)| *k != 0)
        {
            let at = grown.home(k).max(next);
            if at == grown.keys.len() {
                grown.run_on();
            }
            grown.keys.set(at, k);
            grown.rows.set(at, r);
            next = at + 1;
        }
        *self = grown;
    }
}

/// A shard's slots in pages of [`PAGE`] slots (the last one may be shorter), so that
/// as the shards grow, one at a time by a tenth, the memory a shard lets go of is
/// pages of the very size the next one asks for. In one block per shard each new block
/// was a little larger than any freed one, the freed ones could not be reused, and
/// the process held some 650 MiB more than the index at 50 million ids.
#[derive(Default)]
struct Paged<T> {
    pages: Vec<Vec<T>>,
    len: usize,
}

/// Slots per page: 256 KiB of keys, 128 KiB of row hashes.
const PAGE_BITS: u32 = 15;
const PAGE: usize = 1 << PAGE_BITS;

impl<T: Copy + Default> Paged<T> {
    fn len(&self) -> usize {
        self.len
    }

    fn get(&self, i: usize) -> T {
        self.pages[i >> PAGE_BITS][i & (PAGE - 1)]
    }

    fn set(&mut self, i: usize, value: T) {
        self.pages[i >> PAGE_BITS][i & (PAGE - 1)] = value;
    }

    /// Adds default slots up to `len`.
    fn extend_to(&mut self, len: usize) {
        while self.len < len {
            if self.pages.last().is_none_or(|p| p.len() == PAGE) {
                self.pages.push(Vec::new());
            }
            let Some(page) = self.pages.last_mut() else {
                return;
            };
            let room = (PAGE - page.len()).min(len - self.len);
            page.reserve_exact(room);
            page.resize(page.len() + room, T::default());
            self.len += room;
        }
    }

    fn iter(&self) -> impl Iterator<Item = T> + '_ {
        self.pages.iter().flatten().copied()
    }
}

impl Default for Seen {
    fn default() -> Self {
        Seen {
            shards: (0..SHARDS).map(|_| Shard::default()).collect(),
        }
    }
}

impl Seen {
    /// Takes `id` (an [`id_hash`]) with a row hashing to `content`: `None` the first
    /// time, after that whether the row is the same as the first one's.
    pub(crate) fn take(&mut self, id: u128, content: u64) -> Option<bool> {
        let shard = (id >> 122) as usize % SHARDS;
        self.shards[shard].take(id as u64, content as u32)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn a_shard_answers_as_a_map_does_through_its_growth() {
        // Keys from a simple generator, each taken twice with the same row and once
        // with another, in an order that mixes old and new; small keys and keys near
        // the top run together at the ends.
        let mut shard = Shard::default();
        let mut model: HashMap<u64, u32> = HashMap::new();
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut keys = Vec::new();
        for i in 0..200_000u64 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let key = match i % 1000 {
                0 => i,
                1 => u64::MAX - i,
                _ => x,
            };
            keys.push(key);
            for k in [key, keys[(x % keys.len() as u64) as usize]] {
                let row = (k % 7) as u32;
                let k = k.max(1);
                let expected = model.get(&k).map(|r| *r == row);
                model.entry(k).or_insert(row);
                assert_eq!(shard.take(k, row), expected, "key {k}");
            }
            if i % 5 == 0 {
                assert_eq!(shard.take(key.max(1), 99), Some(false));
            }
        }
        assert_eq!(shard.len, model.len());
        // In order, each at or after its home, no free slot between.
        let keys: Vec<u64> = shard.keys.iter().collect();
        assert_eq!(keys.len(), shard.keys.len());
        assert!(shard.keys.len() > 4 * PAGE, "the test crosses pages");
        let taken: Vec<u64> = keys.iter().copied().filter(|k| *k != 0).collect();
        assert!(taken.windows(2).all(|w| w[0] < w[1]));
        for (at, &k) in keys.iter().enumerate().filter(|(_, k)| **k != 0) {
            let home = shard.home(k);
            assert!(at >= home && keys[home..at].iter().all(|k| *k != 0));
        }
        // 12 bytes a slot, 82 to 90 % of them taken.
        let load = shard.len as f64 / shard.keys.len() as f64;
        assert!(load > 0.8 && load <= MAX_LOAD + 0.001, "load {load}");
    }

    #[test]
    fn seen_tells_new_ids_repeats_and_conflicts_apart() {
        let mut seen = Seen::default();
        let (a, b) = (id_hash("E1"), id_hash("E2"));
        assert_eq!(seen.take(a, 7), None);
        assert_eq!(seen.take(b, 7), None);
        assert_eq!(seen.take(a, 7), Some(true));
        assert_eq!(seen.take(a, 8), Some(false));
        // Ids apart in their low 64 bits, or only in the shard's, are apart.
        assert_eq!(seen.take(a ^ 1 << 63, 7), None);
        assert_eq!(seen.take(a ^ 1 << 127, 7), None);
        assert_eq!(seen.take(a ^ 1 << 127, 7), Some(true));
        // Bits 64 to 121 are not kept.
        assert_eq!(seen.take(a ^ 1 << 100, 7), Some(true));
    }
}
