//! File names from department ids: safe on every common file system, and never two
//! departments on one file.
//!
//! An id is kept as it is when it is made of ASCII letters, digits, `-`, `_` and inner
//! `.`, is at most [`MAX_STEM`] bytes long and is not a name Windows reserves (`CON`,
//! `NUL`, `COM1`, ...). Anything else — `../x`, `a/b`, Chinese characters, 300
//! characters — keeps its safe characters (others become `_`, the length is cut) and
//! gains `-` and 12 hex digits of the SHA-256 of the id, so two ids never meet. Ids that
//! differ only in case (`A1`, `a1`) would meet on a case-insensitive file system: they
//! gain the hash too.

use std::collections::{BTreeMap, HashMap};

use sha2::{Digest, Sha256};

/// Longest stem kept from an id, in bytes (well under every file system's 255).
pub const MAX_STEM: usize = 100;

const RESERVED: [&str; 22] = [
    "CON", "PRN", "AUX", "NUL", "COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7", "COM8",
    "COM9", "LPT1", "LPT2", "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9",
];

/// The safe characters of an id, and whether it was already safe.
fn clean(id: &str) -> (String, bool) {
    let mut stem: String = id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.' {
                c
            } else {
                '_'
            }
        })
        .collect();
    // No leading dot (hidden files, `..`), no trailing dot or space (Windows).
    let dots = stem.len() - stem.trim_start_matches('.').len();
    stem.replace_range(..dots, &"_".repeat(dots));
    while stem.ends_with('.') {
        stem.pop();
        stem.push('_');
    }
    stem.truncate(MAX_STEM);
    let base = stem
        .split('.')
        .next()
        .unwrap_or_default()
        .to_ascii_uppercase();
    let reserved = RESERVED.contains(&base.as_str());
    let safe = !stem.is_empty() && stem == id && !reserved;
    if stem.is_empty() || reserved {
        // Windows reserves `CON` and `CON.txt` alike: the part before the first dot.
        stem.insert(0, '_');
    }
    (stem, safe)
}

fn hashed(stem: &str, id: &str) -> String {
    let digest = Sha256::digest(id.as_bytes());
    format!("{stem}-{}", &hex::encode(digest)[..12])
}

/// A file stem (no extension) for each id: safe, and distinct even where case does not
/// count. The same ids always get the same stems, whatever their order.
pub fn file_stems<'a>(ids: impl IntoIterator<Item = &'a str>) -> BTreeMap<&'a str, String> {
    let mut stems: BTreeMap<&str, String> = BTreeMap::new();
    let mut by_folded: HashMap<String, Vec<&str>> = HashMap::new();
    for id in ids {
        let (stem, safe) = clean(id);
        let stem = if safe { stem } else { hashed(&stem, id) };
        by_folded
            .entry(stem.to_ascii_lowercase())
            .or_default()
            .push(id);
        stems.insert(id, stem);
    }
    for group in by_folded.values().filter(|g| g.len() > 1) {
        for &id in group {
            let (stem, _) = clean(id);
            stems.insert(id, hashed(&stem, id));
        }
    }
    stems
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    fn stem(id: &str) -> String {
        file_stems([id])[id].clone()
    }

    #[test]
    fn plain_ids_stay_as_they_are() {
        assert_eq!(stem("320000-GA"), "320000-GA");
        assert_eq!(stem("dept_1.v2"), "dept_1.v2");
    }

    #[test]
    fn unsafe_ids_are_cleaned_and_hashed() {
        for id in [
            "../x",
            "a/b",
            "a\\b",
            "..",
            ".hidden",
            "x.",
            "",
            "省公安厅",
            "a b",
            "CON",
            "con.txt",
            "LPT1",
        ] {
            let s = stem(id);
            assert!(s.len() > 12, "{id:?} → {s:?}");
            assert!(!s.starts_with('.') && !s.ends_with('.'), "{id:?} → {s:?}");
            assert!(
                s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c)),
                "{id:?} → {s:?}"
            );
            // Windows reserves a name by its part before the first dot.
            let base = s.split('.').next().unwrap_or_default().to_ascii_uppercase();
            assert!(!RESERVED.contains(&base.as_str()), "{id:?} → {s:?}");
        }
        // `.`, `.`, `/` each become `_`; the hash is of the id:
        // `printf '../x' | sha256sum` starts d6b96a97d147.
        assert_eq!(stem("../x"), "___x-d6b96a97d147");
    }

    #[test]
    fn long_ids_are_cut_and_still_distinct() {
        let a = "x".repeat(300);
        let b = format!("{}y", "x".repeat(299));
        let stems = file_stems([a.as_str(), b.as_str()]);
        assert!(stems[a.as_str()].len() <= MAX_STEM + 13);
        assert_ne!(stems[a.as_str()], stems[b.as_str()]);
    }

    #[test]
    fn no_two_ids_share_a_file_even_without_case() {
        let ids = ["A1", "a1", "a/b", "a_b", "a?b", "CON", "con", "x", "X"];
        let stems = file_stems(ids);
        let folded: HashSet<String> = stems.values().map(|s| s.to_ascii_lowercase()).collect();
        assert_eq!(folded.len(), ids.len(), "{stems:?}");
        // a_b is safe, but a/b and a?b clean to a_b too: they carry hashes, a_b keeps
        // its name unless case-folding collides.
        assert_eq!(stems["a_b"], "a_b");
        // Order does not matter.
        let mut reversed = ids;
        reversed.reverse();
        assert_eq!(file_stems(reversed), stems);
    }
}
