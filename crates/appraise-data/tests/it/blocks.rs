//! CSV files are cut into blocks that threads validate apart. Wherever the cuts fall —
//! inside a quoted field with a line break, between a row and its repeat or its
//! conflicting twin — a load gives what a load in one block gives: the same rows, the
//! same accounting and the same rejects files, line numbers and order included.

use std::path::{Path, PathBuf};

use appraise_data::{Dataset, LoadOptions, Table, load_dir};
use datafusion::arrow::compute::concat_batches;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures")
        .join(name)
}

/// Loads `dir` in blocks of `block` bytes; the data and every rejects file's text.
fn load(dir: &Path, block: usize) -> (Dataset, Vec<String>) {
    let out = tempfile::tempdir().unwrap();
    let opts = LoadOptions {
        rejects_dir: Some(out.path().to_path_buf()),
        csv_block_bytes: block,
        batch_size: 3,
        ..LoadOptions::default()
    };
    let data = load_dir(dir, &opts).unwrap();
    let rejects = Table::ALL
        .iter()
        .map(|t| std::fs::read_to_string(out.path().join(format!("{}.csv", t.name()))).unwrap())
        .collect();
    (data, rejects)
}

fn assert_same(a: &(Dataset, Vec<String>), b: &(Dataset, Vec<String>), what: &str) {
    for t in Table::ALL {
        let (x, y) = (a.0.table(t), b.0.table(t));
        assert_eq!(x.accounting, y.accounting, "{what}: {t}");
        let rows =
            |l: &appraise_data::LoadedTable| concat_batches(&t.schema(), &l.batches).unwrap();
        assert_eq!(rows(x), rows(y), "{what}: {t}");
    }
    assert_eq!(a.0.warnings, b.0.warnings, "{what}");
    assert_eq!(a.1, b.1, "{what}");
}

#[test]
fn every_block_size_gives_the_rows_and_rejects_of_one_block() {
    for name in ["bad/rows", "tiny"] {
        let dir = fixture(name);
        let whole = load(&dir, usize::MAX / 2);
        // Something to compare: rows loaded, rejected and repeated.
        let exchanges = &whole.0.table(Table::Exchanges).accounting;
        assert!(exchanges.loaded > 0, "{name}");
        if name == "bad/rows" {
            assert!(exchanges.rejected > 5 && exchanges.duplicates == 1);
            assert!(exchanges.reasons.contains_key("conflicting_id"));
        }
        for block in 1..=1300 {
            assert_same(
                &whole,
                &load(&dir, block),
                &format!("{name}, blocks of {block}"),
            );
        }
    }
}

#[test]
fn the_demo_reads_the_same_in_small_blocks() {
    let dir = fixture("demo");
    let whole = load(&dir, usize::MAX / 2);
    for block in [4096, 65_536] {
        assert_same(
            &whole,
            &load(&dir, block),
            &format!("demo, blocks of {block}"),
        );
    }
}
