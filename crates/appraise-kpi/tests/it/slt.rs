//! The KPI tests in sqllogictest files beside the SQL: `queries/kpis/<id>.slt` tests
//! `queries/kpis/<id>.sql` on `fixtures/tiny`, with the values worked out by hand in
//! `fixtures/tiny/README.md`, in the format DataFusion and DuckDB test their SQL in.
//!
//! What a record may say (docs/kpis.md, "Testing a KPI"):
//!
//! - `PERIOD 2026Q3` (a `statement ok`): scopes the tables to the period;
//! - `KPI <id>` (a `query TRRRI`): runs the KPI file `<id>.sql` beside the test as
//!   `appraise` does, result contract included, and gives one row per department by
//!   id: `department_id, value, numerator, denominator, sample_size`;
//! - any other text: a query in the KPI sandbox (so a refusal is a `statement error`).
//!
//! Numbers are written with at most 9 decimals, trailing zeros dropped (`0.666666667`,
//! `0.5`, `880`); a missing value is `NULL`.

use std::path::{Path, PathBuf};

use appraise_kpi::{Calendar, Engine, EngineOptions, KpiDef, Period, load_library};
use datafusion::arrow::array::{Array, ArrayRef, AsArray, RecordBatch};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Float64Type};
use datafusion::arrow::util::display::{ArrayFormatter, FormatOptions};
use sqllogictest::{DBOutput, DefaultColumnType, Runner};

fn root() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    // So that a failure names queries/kpis/... without `..` in the way.
    root.canonicalize().unwrap_or(root)
}

/// `fixtures/tiny` in the engine, with the KPI library the tests sit beside.
struct Tiny {
    engine: Engine,
    library: Vec<KpiDef>,
    period: Option<Period>,
    runtime: tokio::runtime::Runtime,
}

/// Why a record failed, as the runner shows it.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct Failure(String);

impl Failure {
    fn of(e: impl std::fmt::Display) -> Failure {
        Failure(e.to_string())
    }
}

impl Tiny {
    fn new(kpis: &Path) -> Tiny {
        let data =
            appraise_data::load_dir(&root().join("fixtures/tiny"), &Default::default()).unwrap();
        let calendar = Calendar::from_dir(&root().join("queries/calendars")).unwrap();
        Tiny {
            engine: Engine::new(&data, calendar, &EngineOptions::default()).unwrap(),
            library: load_library(kpis).unwrap(),
            period: None,
            runtime: tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap(),
        }
    }

    fn kpi(&self, id: &str) -> Result<DBOutput<DefaultColumnType>, Failure> {
        let period = self
            .period
            .as_ref()
            .ok_or_else(|| Failure("KPI before PERIOD: say which period first".into()))?;
        let kpi = self
            .library
            .iter()
            .find(|k| k.id == id)
            .ok_or_else(|| Failure(format!("no KPI file {id}.sql beside the test")))?;
        let matrix = self
            .runtime
            .block_on(self.engine.run(period, std::slice::from_ref(kpi)))
            .map_err(Failure::of)?;
        let number = |v: Option<f64>| v.map_or("NULL".into(), decimal);
        let rows = matrix
            .values
            .iter()
            .map(|v| {
                vec![
                    v.department_id.clone(),
                    number(v.value),
                    number(v.numerator),
                    number(v.denominator),
                    v.sample_size.map_or("NULL".into(), |n| n.to_string()),
                ]
            })
            .collect();
        use DefaultColumnType::{FloatingPoint as R, Integer as I, Text as T};
        Ok(DBOutput::Rows {
            types: vec![T, R, R, R, I],
            rows,
        })
    }

    fn query(&self, sql: &str) -> Result<DBOutput<DefaultColumnType>, Failure> {
        let batches = self
            .runtime
            .block_on(async {
                self.engine
                    .query(sql)
                    .await?
                    .collect()
                    .await
                    .map_err(Into::into)
            })
            .map_err(|e: appraise_kpi::Error| Failure::of(e))?;
        let Some(first) = batches.first() else {
            return Ok(DBOutput::Rows {
                types: vec![],
                rows: vec![],
            });
        };
        let types = first
            .schema()
            .fields()
            .iter()
            .map(|f| column_type(f.data_type()))
            .collect();
        let mut rows = Vec::new();
        for b in &batches {
            rows.extend(text_rows(b)?);
        }
        Ok(DBOutput::Rows { types, rows })
    }
}

impl sqllogictest::DB for Tiny {
    type Error = Failure;
    type ColumnType = DefaultColumnType;

    fn run(&mut self, sql: &str) -> Result<DBOutput<DefaultColumnType>, Failure> {
        let words: Vec<&str> = sql.split_whitespace().collect();
        match words.as_slice() {
            ["PERIOD", p] => {
                let period: Period = p.parse().map_err(Failure::of)?;
                self.engine.scope(Some(&period)).map_err(Failure::of)?;
                self.period = Some(period);
                Ok(DBOutput::StatementComplete(0))
            }
            ["KPI", id] => self.kpi(id),
            _ => self.query(sql),
        }
    }

    fn engine_name(&self) -> &str {
        "appraise"
    }
}

/// A number with at most 9 decimals, trailing zeros dropped.
fn decimal(v: f64) -> String {
    let s = format!("{v:.9}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" { "0".into() } else { s.into() }
}

fn column_type(t: &DataType) -> DefaultColumnType {
    if t.is_integer() {
        DefaultColumnType::Integer
    } else if t.is_floating() || matches!(t, DataType::Decimal128(..)) {
        DefaultColumnType::FloatingPoint
    } else {
        DefaultColumnType::Text
    }
}

fn text_rows(b: &RecordBatch) -> Result<Vec<Vec<String>>, Failure> {
    let options = FormatOptions::default().with_null("NULL");
    let mut columns: Vec<Vec<String>> = Vec::new();
    for c in b.columns() {
        columns.push(if c.data_type().is_floating() {
            let f: ArrayRef = cast(c, &DataType::Float64).map_err(Failure::of)?;
            let f = f.as_primitive::<Float64Type>();
            (0..f.len())
                .map(|i| {
                    if f.is_null(i) {
                        "NULL".into()
                    } else {
                        decimal(f.value(i))
                    }
                })
                .collect()
        } else {
            let f = ArrayFormatter::try_new(c.as_ref(), &options).map_err(Failure::of)?;
            (0..c.len()).map(|i| f.value(i).to_string()).collect()
        });
    }
    Ok((0..b.num_rows())
        .map(|i| columns.iter().map(|c| c[i].clone()).collect())
        .collect())
}

fn runner(kpis: &Path) -> Runner<Tiny, impl sqllogictest::MakeConnection<Conn = Tiny>> {
    let kpis = kpis.to_path_buf();
    let mut runner = Runner::new(move || {
        let kpis = kpis.clone();
        async move { Ok(Tiny::new(&kpis)) }
    });
    runner.with_column_validator(sqllogictest::strict_column_validator);
    runner
}

fn tests_in(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "slt"))
        .collect();
    files.sort();
    files
}

#[test]
fn every_kpi_file_passes_the_test_beside_it() {
    let kpis = root().join("queries/kpis");
    let mut failures = Vec::new();
    for file in tests_in(&kpis) {
        if let Err(e) = runner(&kpis).run_file(&file) {
            failures.push(e.display(false).to_string());
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn every_kpi_file_has_a_test_beside_it() {
    let kpis = root().join("queries/kpis");
    for k in load_library(&kpis).unwrap() {
        let test = k.path.with_extension("slt");
        assert!(
            test.is_file(),
            "{} has no test {}",
            k.path.display(),
            test.display()
        );
    }
}

/// The tests can fail: one value changed in a copy of a test fails it, naming the file
/// and the line of the record.
#[test]
fn a_changed_value_fails_naming_the_file_and_line() {
    let kpis = root().join("queries/kpis");
    let dir = tempfile::tempdir().unwrap();
    for f in ["exchange_success_rate.sql", "exchange_success_rate.slt"] {
        std::fs::copy(kpis.join(f), dir.path().join(f)).unwrap();
    }
    let test = dir.path().join("exchange_success_rate.slt");
    let text = std::fs::read_to_string(&test).unwrap();
    assert!(text.contains("\nP1 0.75 3 4 4\n"), "{text}");
    std::fs::write(&test, text.replace("\nP1 0.75 3 4 4\n", "\nP1 0.8 3 4 4\n")).unwrap();
    // The record starts at its `query` line, just before the KPI's (0-based) line.
    let line = text
        .lines()
        .position(|l| l == "KPI exchange_success_rate")
        .unwrap();
    let err = runner(dir.path()).run_file(&test).unwrap_err();
    let shown = err.display(false).to_string();
    assert!(
        shown.contains(&format!("exchange_success_rate.slt:{line}")),
        "{shown}"
    );
    assert!(shown.contains("P1 0.8 3 4 4"), "{shown}");
}
