//! The Parquet warehouse: what an ingest writes, that a second ingest of the same files
//! changes nothing, and that an ingest that dies before its commit leaves the warehouse
//! as it was.

use std::path::{Path, PathBuf};

use appraise_data::warehouse::{self, MANIFEST, Manifest};
use appraise_data::{Dataset, LoadOptions, Table, load_dir};
use datafusion::arrow::array::AsArray;
use datafusion::arrow::compute::{concat_batches, sort_to_indices, take_record_batch};
use datafusion::arrow::datatypes::TimestampMicrosecondType;
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::parquet::basic::{Compression, Encoding};
use datafusion::parquet::file::reader::{FileReader, SerializedFileReader};

fn tiny() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/tiny")
}

/// A table's rows in id order, so that two loads compare whatever their file order.
fn by_id(data: &Dataset, t: Table) -> RecordBatch {
    let all = concat_batches(&t.schema(), &data.table(t).batches).unwrap();
    let order = sort_to_indices(all.column(0), None, None).unwrap();
    take_record_batch(&all, &order).unwrap()
}

fn same_tables(a: &Dataset, b: &Dataset) {
    for t in Table::ALL {
        assert_eq!(by_id(a, t), by_id(b, t), "{t}");
    }
}

#[test]
fn the_warehouse_holds_what_the_folder_loads_by_month_and_in_time_order() {
    let wh = tempfile::tempdir().unwrap();
    let opts = LoadOptions::default();
    let done = warehouse::ingest(&tiny(), wh.path(), &opts).unwrap();
    // Every tiny row loads and is new (fixtures/tiny/README.md).
    assert_eq!(done.written["exchanges"], 15);
    assert_eq!(done.written["departments"], 6);
    assert_eq!(done.already_present["exchanges"], 0);

    let direct = load_dir(&tiny(), &opts).unwrap();
    let stored = warehouse::read_all(wh.path(), &opts).unwrap();
    same_tables(&direct, &stored);
    for t in &stored.tables {
        assert_eq!(t.accounting.rejected, 0, "{}", t.table);
    }

    // Exchanges by local month of requested_at: X07 at 06-30 23:59:59 is June, X06 at
    // exactly 10-01 00:00:00 is October (Asia/Shanghai).
    let manifest = Manifest::read(wh.path()).unwrap();
    let months: Vec<&str> = manifest
        .files
        .iter()
        .filter(|f| f.table == "exchanges")
        .filter_map(|f| f.month.as_deref())
        .collect();
    assert_eq!(
        months,
        ["2026-06", "2026-07", "2026-08", "2026-09", "2026-10"]
    );
    for f in manifest.files.iter().filter(|f| f.table == "exchanges") {
        let path = wh.path().join(&f.path);
        assert!(f.path.starts_with(&format!(
            "exchanges/month={}/part-",
            f.month.as_deref().unwrap()
        )));
        let reader = SerializedFileReader::new(std::fs::File::open(&path).unwrap()).unwrap();
        let meta = reader.metadata();
        assert_eq!(meta.file_metadata().num_rows() as u64, f.rows);
        let codec = meta.row_group(0).column(0).compression();
        assert!(matches!(codec, Compression::ZSTD(_)), "{codec:?}");
        // Time stamps as deltas, without a dictionary; text with one.
        let encodings = |name: &str| {
            let ix = Table::Exchanges.column_index(name).unwrap();
            meta.row_group(0).column(ix).encodings().collect::<Vec<_>>()
        };
        assert!(
            encodings("requested_at").contains(&Encoding::DELTA_BINARY_PACKED)
                && !encodings("requested_at").contains(&Encoding::RLE_DICTIONARY),
            "{:?}",
            encodings("requested_at")
        );
        assert!(encodings("provider_dept").contains(&Encoding::RLE_DICTIONARY));
        // Sorted by time within the file.
        let batch: RecordBatch =
            datafusion::parquet::arrow::arrow_reader::ParquetRecordBatchReader::try_new(
                std::fs::File::open(&path).unwrap(),
                1024,
            )
            .unwrap()
            .next()
            .unwrap()
            .unwrap();
        let ix = Table::Exchanges.column_index("requested_at").unwrap();
        let times = batch.column(ix).as_primitive::<TimestampMicrosecondType>();
        assert!(
            times.values().windows(2).all(|w| w[0] <= w[1]),
            "{}",
            f.path
        );
    }
}

#[test]
fn ingesting_the_same_files_twice_changes_nothing() {
    let wh = tempfile::tempdir().unwrap();
    let opts = LoadOptions::default();
    warehouse::ingest(&tiny(), wh.path(), &opts).unwrap();
    let manifest = std::fs::read(wh.path().join(MANIFEST)).unwrap();
    let before = warehouse::read_all(wh.path(), &opts).unwrap();

    let again = warehouse::ingest(&tiny(), wh.path(), &opts).unwrap();
    assert!(again.files.is_empty());
    for (table, a) in &again.accounting {
        assert_eq!(again.already_present[table], a.loaded, "{table}");
        assert_eq!(again.written[table], 0, "{table}");
    }
    assert_eq!(std::fs::read(wh.path().join(MANIFEST)).unwrap(), manifest);
    same_tables(&before, &warehouse::read_all(wh.path(), &opts).unwrap());
}

/// fixtures/tiny with its exchanges renamed (`X01` → `Y01`): the same departments,
/// fifteen new exchanges.
fn tiny_with_new_exchanges(dir: &Path) -> PathBuf {
    let data = dir.join("more");
    std::fs::create_dir_all(&data).unwrap();
    for e in std::fs::read_dir(tiny()).unwrap().flatten() {
        if e.path().extension().is_some_and(|x| x == "csv") {
            std::fs::copy(e.path(), data.join(e.file_name())).unwrap();
        }
    }
    let exchanges = std::fs::read_to_string(tiny().join("exchanges.csv")).unwrap();
    let renamed: String = exchanges
        .lines()
        .enumerate()
        .map(|(i, l)| {
            if i > 0 && l.starts_with('X') {
                format!("Y{}\n", &l[1..])
            } else {
                format!("{l}\n")
            }
        })
        .collect();
    std::fs::write(data.join("exchanges.csv"), renamed).unwrap();
    data
}

#[test]
fn an_ingest_that_dies_before_its_commit_leaves_the_warehouse_as_it_was() {
    let wh = tempfile::tempdir().unwrap();
    let scratch = tempfile::tempdir().unwrap();
    let opts = LoadOptions::default();
    warehouse::ingest(&tiny(), wh.path(), &opts).unwrap();
    let manifest = std::fs::read(wh.path().join(MANIFEST)).unwrap();
    let before = warehouse::read_all(wh.path(), &opts).unwrap();
    let more = tiny_with_new_exchanges(scratch.path());

    // Dies after writing two of the new exchange files.
    let tuning = warehouse::Tuning {
        fail_after: Some(2),
        ..Default::default()
    };
    let err = warehouse::ingest_with(&more, wh.path(), &opts, tuning).unwrap_err();
    assert!(err.to_string().contains("injected failure"));
    assert_eq!(std::fs::read(wh.path().join(MANIFEST)).unwrap(), manifest);
    let parquet_files = |dir: &Path| {
        let mut n = 0;
        let mut stack = vec![dir.to_path_buf()];
        while let Some(d) = stack.pop() {
            for e in std::fs::read_dir(&d).unwrap().flatten() {
                if e.path().is_dir() {
                    stack.push(e.path());
                } else if e.path().extension().is_some_and(|x| x == "parquet") {
                    n += 1;
                }
            }
        }
        n
    };
    let committed = Manifest::read(wh.path()).unwrap().files.len();
    assert_eq!(
        parquet_files(wh.path()),
        committed + 2,
        "the dead ingest's files"
    );
    same_tables(&before, &warehouse::read_all(wh.path(), &opts).unwrap());

    // The next ingest clears them and commits the new exchanges.
    let done = warehouse::ingest(&more, wh.path(), &opts).unwrap();
    assert_eq!(done.written["exchanges"], 15);
    assert_eq!(done.already_present["exchanges"], 0);
    assert_eq!(done.written["departments"], 0);
    let after = warehouse::read_all(wh.path(), &opts).unwrap();
    assert_eq!(after.table(Table::Exchanges).num_rows(), 30);
    assert_eq!(
        parquet_files(wh.path()),
        Manifest::read(wh.path()).unwrap().files.len()
    );
}

#[test]
fn an_ingest_in_small_chunks_holds_the_same_rows_and_skips_them_the_second_time() {
    // Batches of 2 rows and chunks of 4: the 15 exchanges arrive in 4 chunks, which
    // cut across months, so months get several files and the held ids are let go and
    // read again between chunks.
    let opts = LoadOptions {
        batch_size: 2,
        ..LoadOptions::default()
    };
    let tuning = warehouse::Tuning {
        chunk_rows: 4,
        ..Default::default()
    };
    let wh = tempfile::tempdir().unwrap();
    let done = warehouse::ingest_with(&tiny(), wh.path(), &opts, tuning).unwrap();
    assert_eq!(done.written["exchanges"], 15);
    let manifest = Manifest::read(wh.path()).unwrap();
    let exchange_files = manifest.files.iter().filter(|f| f.table == "exchanges");
    assert!(exchange_files.count() > 5, "{:#?}", manifest.files);
    same_tables(
        &load_dir(&tiny(), &opts).unwrap(),
        &warehouse::read_all(wh.path(), &opts).unwrap(),
    );

    let again = warehouse::ingest_with(&tiny(), wh.path(), &opts, tuning).unwrap();
    assert!(again.files.is_empty());
    assert_eq!(again.already_present["exchanges"], 15);
    assert_eq!(Manifest::read(wh.path()).unwrap(), manifest);
}

/// Regression (unverified_warehouse): the SHA-256 and rows in `_warehouse.json` were
/// never checked (50 flipped bytes silently changed 91 KPI values), manifest paths were
/// not confined to the warehouse, and a warehouse killed before its first commit read
/// as a folder with no exchanges.
#[test]
fn a_changed_or_misplaced_warehouse_file_is_an_error_naming_it() {
    let wh = tempfile::tempdir().unwrap();
    let opts = LoadOptions::default();
    warehouse::ingest(&tiny(), wh.path(), &opts).unwrap();
    let manifest = Manifest::read(wh.path()).unwrap();
    let v = warehouse::verify(wh.path()).unwrap();
    assert_eq!(v.files, manifest.files.len());
    assert_eq!(v.rows, manifest.files.iter().map(|f| f.rows).sum::<u64>());
    // fixtures/tiny: 6 departments, 15 exchanges, and the other tables' rows.
    assert_eq!(
        v.rows,
        load_dir(&tiny(), &opts)
            .unwrap()
            .tables
            .iter()
            .map(|t| t.num_rows() as u64)
            .sum::<u64>()
    );

    // A byte changed in place: same size, so reads go on, but verify and the next
    // ingest into that month name the file.
    let july = manifest
        .files
        .iter()
        .find(|f| f.table == "exchanges" && f.month.as_deref() == Some("2026-07"))
        .unwrap();
    let path = wh.path().join(&july.path);
    let original = std::fs::read(&path).unwrap();
    let mut bytes = original.clone();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0x55;
    std::fs::write(&path, &bytes).unwrap();
    let err = warehouse::verify(wh.path()).unwrap_err().to_string();
    assert!(err.contains(&july.path) && err.contains("SHA-256"), "{err}");
    let err = warehouse::ingest(&tiny(), wh.path(), &opts)
        .unwrap_err()
        .to_string();
    assert!(err.contains(&july.path) && err.contains("SHA-256"), "{err}");

    // Cut short: every read names it.
    std::fs::write(&path, &original[..original.len() - 10]).unwrap();
    let err = load_dir(wh.path(), &opts).unwrap_err().to_string();
    assert!(
        err.contains(&july.path) && err.contains("the manifest says"),
        "{err}"
    );
    std::fs::write(&path, &original).unwrap();
    load_dir(wh.path(), &opts).unwrap();

    // A path outside the warehouse.
    let text = std::fs::read_to_string(wh.path().join(MANIFEST)).unwrap();
    let escaped = text.replace(&july.path, "../other/exchanges.parquet");
    std::fs::write(wh.path().join(MANIFEST), &escaped).unwrap();
    let err = load_dir(wh.path(), &opts).unwrap_err().to_string();
    assert!(err.contains("outside the warehouse"), "{err}");
    std::fs::write(wh.path().join(MANIFEST), &text).unwrap();

    // No commit yet: an empty manifest is a warehouse with no data, not an empty folder.
    let empty = tempfile::tempdir().unwrap();
    std::fs::write(
        empty.path().join(MANIFEST),
        "{\"format\": 1, \"files\": [], \"ingested\": []}",
    )
    .unwrap();
    let err = load_dir(empty.path(), &opts).unwrap_err().to_string();
    assert!(err.contains("holds no data yet"), "{err}");
}
