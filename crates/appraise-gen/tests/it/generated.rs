//! Generated data loads back as generated: row for row, and bad row for bad row.

use std::collections::BTreeMap;
use std::path::Path;

use appraise_data::{LoadOptions, Pseudonymiser, Table, load_dir};
use appraise_gen::{GenerateOptions, GenerateReport, OutputFormat, generate};
use datafusion::arrow::array::{Array, AsArray};
use datafusion::arrow::compute::concat_batches;

fn small(out: &Path, format: OutputFormat, bad_rows: f64, seed: u64) -> GenerateReport {
    let opts = GenerateOptions {
        seed,
        departments: 24,
        start: chrono::NaiveDate::from_ymd_opt(2026, 4, 1).unwrap(),
        months: 6,
        exchanges: 4_000,
        services: 1_500,
        share_requests: 400,
        bad_rows,
        format,
        out: out.to_path_buf(),
        ..GenerateOptions::default()
    };
    generate(&opts).unwrap()
}

fn injected_equals_found(format: OutputFormat) {
    let dir = tempfile::tempdir().unwrap();
    let report = small(dir.path(), format, 0.08, 11);
    let data = load_dir(dir.path(), &LoadOptions::default()).unwrap();
    for t in &data.tables {
        let a = &t.accounting;
        assert!(a.balances(), "{}: {a:?}", t.table);
        assert_eq!(a.read, report.rows[t.table.name()], "{}", t.table);
        let injected = report
            .injected
            .get(t.table.name())
            .cloned()
            .unwrap_or_default();
        let mut want_reasons: BTreeMap<String, u64> = injected.clone();
        let duplicates = want_reasons.remove("duplicate").unwrap_or(0);
        assert_eq!(a.duplicates, duplicates, "{}", t.table);
        assert_eq!(a.reasons, want_reasons, "{}", t.table);
    }
    // The large tables drew every kind of bad row their format can carry: 10 kinds for
    // exchanges and 12 for services in CSV; in Parquet, 3 text-only kinds fewer each.
    let kinds = |t: &str| report.injected[t].len();
    let text_only = if format == OutputFormat::Csv { 0 } else { 3 };
    assert_eq!(kinds("exchanges"), 10 - text_only, "{:?}", report.injected);
    assert_eq!(kinds("services"), 12 - text_only, "{:?}", report.injected);
}

#[test]
fn injected_bad_rows_are_exactly_the_rejects_and_duplicates_in_csv() {
    injected_equals_found(OutputFormat::Csv);
}

#[test]
fn injected_bad_rows_are_exactly_the_rejects_and_duplicates_in_parquet() {
    injected_equals_found(OutputFormat::Parquet);
}

#[test]
fn csv_and_parquet_of_one_seed_load_to_the_same_tables() {
    let csv = tempfile::tempdir().unwrap();
    let pq = tempfile::tempdir().unwrap();
    small(csv.path(), OutputFormat::Csv, 0.0, 5);
    small(pq.path(), OutputFormat::Parquet, 0.0, 5);
    let a = load_dir(csv.path(), &LoadOptions::default()).unwrap();
    let b = load_dir(pq.path(), &LoadOptions::default()).unwrap();
    for t in Table::ALL {
        let (x, y) = (a.table(t), b.table(t));
        assert_eq!(x.accounting.rejected, 0, "{t}: {:?}", x.accounting);
        assert_eq!(x.accounting.duplicates, 0);
        let schema = t.schema();
        let x = concat_batches(&schema, &x.batches).unwrap();
        let y = concat_batches(&schema, &y.batches).unwrap();
        assert_eq!(x, y, "{t}");
    }
}

#[test]
fn the_same_seed_gives_the_same_bytes_and_another_seed_does_not() {
    let (a, b, c) = (
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
    );
    small(a.path(), OutputFormat::Csv, 0.02, 3);
    small(b.path(), OutputFormat::Csv, 0.02, 3);
    small(c.path(), OutputFormat::Csv, 0.02, 4);
    for t in Table::ALL {
        let f = format!("{}.csv", t.name());
        let (x, y) = (
            std::fs::read(a.path().join(&f)).unwrap(),
            std::fs::read(b.path().join(&f)).unwrap(),
        );
        assert!(x == y, "{f} differs between two runs with one seed");
        if t != Table::Departments {
            assert_ne!(x, std::fs::read(c.path().join(&f)).unwrap(), "{f}");
        }
    }
}

#[test]
fn applicant_ids_are_pseudonymised_with_a_key_and_dropped_without() {
    let dir = tempfile::tempdir().unwrap();
    small(dir.path(), OutputFormat::Csv, 0.0, 9);
    let mut raw = Vec::new();
    let mut r = csv::Reader::from_path(dir.path().join("services.csv")).unwrap();
    for rec in r.records() {
        raw.push(rec.unwrap()[11].to_string());
    }
    assert!(raw.iter().all(|id| id.len() == 18));

    let key = b"0123456789abcdef0123456789abcdef";
    let p = Pseudonymiser::new(key).unwrap();
    let opts = LoadOptions {
        pseudonymiser: Some(p.clone()),
        ..LoadOptions::default()
    };
    let data = load_dir(dir.path(), &opts).unwrap();
    let services = data.table(Table::Services);
    let ix = Table::Services.column_index("applicant_id").unwrap();
    let mut n = 0;
    for b in &services.batches {
        let ids = b.column(ix).as_string::<i32>();
        for (i, v) in ids.iter().enumerate() {
            let v = v.unwrap();
            assert_eq!(v.len(), 64);
            assert_eq!(v, p.pseudonym(&raw[n + i]));
            assert!(!raw.contains(&v.to_string()));
        }
        n += b.num_rows();
    }
    assert_eq!(n, raw.len());

    let data = load_dir(dir.path(), &LoadOptions::default()).unwrap();
    for b in &data.table(Table::Services).batches {
        assert_eq!(b.column(ix).null_count(), b.num_rows());
    }
}
