//! SHA-256 of files, for the manifests that let a reader check what a run read.

use std::io;
use std::path::Path;

use sha2::{Digest, Sha256};

/// The size in bytes and the SHA-256 (lowercase hex) of a file, read streaming.
pub fn file_sha256(path: &Path) -> io::Result<(u64, String)> {
    let mut file = std::fs::File::open(path)?;
    let mut hasher = Sha256::new();
    let bytes = io::copy(&mut file, &mut hasher)?;
    Ok((bytes, hex::encode(hasher.finalize())))
}
