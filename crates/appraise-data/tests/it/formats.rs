//! One data set, every input format: CSV, JSON Lines, Parquet and Arrow IPC load to the
//! same tables; CSV dialect details (BOM, CRLF) make no difference.

use std::fs::File;
use std::path::{Path, PathBuf};

use appraise_data::{Dataset, LoadOptions, Table, load_dir};
use datafusion::arrow::compute::concat_batches;
use datafusion::arrow::ipc::writer::FileWriter;
use datafusion::arrow::json::LineDelimitedWriter;
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::parquet::arrow::ArrowWriter;

fn tiny() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/tiny")
}

fn table(data: &Dataset, t: Table) -> RecordBatch {
    concat_batches(&t.schema(), &data.table(t).batches).unwrap()
}

#[test]
fn the_tiny_set_loads_whole() {
    let data = load_dir(&tiny(), &LoadOptions::default()).unwrap();
    let counts: Vec<(u64, u64)> = Table::ALL
        .iter()
        .map(|t| {
            (
                data.table(*t).accounting.read,
                data.table(*t).accounting.loaded,
            )
        })
        .collect();
    // fixtures/tiny: 6 departments, 10 resources, 15 exchanges, 9 requests, 11 cases.
    assert_eq!(counts, [(6, 6), (10, 10), (15, 15), (9, 9), (11, 11)]);
    // K1 and K2 leave peer_group empty: it defaults to their level.
    let groups = data.table(Table::Departments).value_counts("peer_group");
    assert_eq!(groups.get("county"), Some(&2));
}

#[test]
fn csv_jsonl_parquet_and_arrow_give_the_same_tables() {
    let csv = load_dir(&tiny(), &LoadOptions::default()).unwrap();
    let dirs: Vec<(&str, tempfile::TempDir)> = ["jsonl", "parquet", "arrow"]
        .into_iter()
        .map(|f| (f, tempfile::tempdir().unwrap()))
        .collect();
    for t in Table::ALL {
        let batch = table(&csv, t);
        for (fmt, dir) in &dirs {
            let path = dir.path().join(format!("{}.{fmt}", t.name()));
            let file = File::create(&path).unwrap();
            match *fmt {
                "jsonl" => {
                    let mut w = LineDelimitedWriter::new(file);
                    w.write(&batch).unwrap();
                    w.finish().unwrap();
                }
                "parquet" => {
                    let mut w = ArrowWriter::try_new(file, batch.schema(), None).unwrap();
                    w.write(&batch).unwrap();
                    w.close().unwrap();
                }
                _ => {
                    let mut w = FileWriter::try_new(file, &batch.schema()).unwrap();
                    w.write(&batch).unwrap();
                    w.finish().unwrap();
                }
            }
        }
    }
    for (fmt, dir) in &dirs {
        let other = load_dir(dir.path(), &LoadOptions::default()).unwrap();
        for t in Table::ALL {
            assert_eq!(
                other.table(t).accounting.rejected,
                0,
                "{fmt} {t}: {:?}",
                other.table(t).accounting
            );
            assert_eq!(table(&other, t), table(&csv, t), "{fmt} {t}");
        }
    }
}

#[test]
fn bom_and_crlf_are_read_like_plain_lf() {
    let plain = "dept_id,name,level\nD1,省数据局,province\nD2,\"南京市, 数据局\",city\n";
    let dos = format!("\u{feff}{}", plain.replace('\n', "\r\n"));
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    std::fs::write(a.path().join("departments.csv"), plain).unwrap();
    std::fs::write(b.path().join("departments.csv"), dos).unwrap();
    let a = load_dir(a.path(), &LoadOptions::default()).unwrap();
    let b = load_dir(b.path(), &LoadOptions::default()).unwrap();
    assert_eq!(table(&a, Table::Departments), table(&b, Table::Departments));
    assert_eq!(table(&b, Table::Departments).num_rows(), 2);
}

#[test]
fn a_table_may_be_a_folder_of_files() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("departments.csv"),
        "dept_id,name,level\nD1,a,province\nD2,b,city\n",
    )
    .unwrap();
    let ex = dir.path().join("exchanges");
    std::fs::create_dir(&ex).unwrap();
    let header = "event_id,requested_at,consumer_dept,provider_dept,status\n";
    std::fs::write(
        ex.join("2026-07.csv"),
        format!("{header}E1,2026-07-01 10:00:00,D1,D2,success\n"),
    )
    .unwrap();
    std::fs::write(
        ex.join("2026-08.jsonl"),
        r#"{"event_id":"E2","requested_at":"2026-08-01 10:00:00","consumer_dept":"D2","provider_dept":"D1","status":"failed"}"#,
    )
    .unwrap();
    let data = load_dir(dir.path(), &LoadOptions::default()).unwrap();
    let t = data.table(Table::Exchanges);
    assert_eq!(t.files.len(), 2);
    assert_eq!((t.accounting.read, t.accounting.loaded), (2, 2));
}

#[test]
fn two_sources_for_one_table_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("departments.csv"),
        "dept_id,name,level\nD1,a,province\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("departments.jsonl"), "").unwrap();
    let err = load_dir(dir.path(), &LoadOptions::default()).unwrap_err();
    assert!(err.to_string().contains("more than one source"), "{err}");
}
