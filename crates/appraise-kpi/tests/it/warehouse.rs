//! KPIs over a warehouse: the same matrix as over the folder it was ingested from, a
//! period's query reading only the files of the period's months, and (with the
//! `cluster` feature) the same matrix again from a Ballista cluster.

use std::path::{Path, PathBuf};

use appraise_data::{Dataset, LoadOptions, load_dir, warehouse};
use appraise_kpi::{Calendar, Engine, EngineOptions, KpiDef, KpiMatrix, Period, load_library};
use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::compute::concat_batches;
use datafusion::arrow::ipc::writer::FileWriter;
use datafusion::arrow::util::pretty::pretty_format_batches;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// fixtures/demo ingested into a new warehouse, and the warehouse opened.
fn demo_warehouse() -> (tempfile::TempDir, Dataset) {
    let wh = tempfile::tempdir().unwrap();
    warehouse::ingest(
        &root().join("fixtures/demo"),
        wh.path(),
        &LoadOptions::default(),
    )
    .unwrap();
    let data = load_dir(wh.path(), &LoadOptions::default()).unwrap();
    (wh, data)
}

fn engine(data: &Dataset, cluster: Option<String>) -> Engine {
    let calendar = Calendar::from_dir(&root().join("queries/calendars")).unwrap();
    let opts = EngineOptions {
        cluster,
        ..EngineOptions::default()
    };
    Engine::new(data, calendar, &opts).unwrap()
}

async fn matrices(engine: &Engine) -> Vec<KpiMatrix> {
    let kpis = load_library(&root().join("queries/kpis")).unwrap();
    let mut out = Vec::new();
    // Two quarters, and a month whose edges cut through no file.
    for p in ["2026Q2", "2026Q3", "2026-08"] {
        out.push(
            engine
                .run(&p.parse::<Period>().unwrap(), &kpis)
                .await
                .unwrap(),
        );
    }
    out
}

fn assert_same(a: &[KpiMatrix], b: &[KpiMatrix]) {
    for (a, b) in a.iter().zip(b) {
        assert_eq!(a.period, b.period);
        assert_eq!(a.values.len(), b.values.len(), "{}", a.period);
        for (x, y) in a.values.iter().zip(&b.values) {
            assert_eq!(x, y, "{}", a.period);
        }
    }
    assert_eq!(a.len(), b.len());
}

#[tokio::test]
async fn a_warehouse_gives_the_matrix_of_the_folder_it_holds() {
    let folder = load_dir(&root().join("fixtures/demo"), &LoadOptions::default()).unwrap();
    let (_wh, stored) = demo_warehouse();
    // Opening a warehouse leaves the rows in their files: only departments are loaded.
    for t in &stored.tables {
        assert!(t.stored.is_some(), "{}", t.table);
        let loaded = t.batches.iter().map(|b| b.num_rows()).sum::<usize>();
        assert_eq!(
            loaded > 0,
            t.table == appraise_data::Table::Departments,
            "{}",
            t.table
        );
        assert_eq!(
            t.num_rows(),
            folder.table(t.table).num_rows(),
            "{}",
            t.table
        );
    }
    let direct = matrices(&engine(&folder, None)).await;
    // Some KPI must have values, or the comparison proves little.
    assert!(
        direct[1]
            .values
            .iter()
            .filter(|v| v.value.is_some())
            .count()
            > 500
    );
    assert_same(&direct, &matrices(&engine(&stored, None)).await);
}

#[tokio::test]
async fn a_query_gives_the_same_rows_and_types_from_a_warehouse_as_from_the_folder() {
    let folder = load_dir(&root().join("fixtures/demo"), &LoadOptions::default()).unwrap();
    let (_wh, stored) = demo_warehouse();
    let q3 = "2026Q3".parse::<Period>().unwrap();
    let rows = |data: &Dataset, sql: &'static str| {
        let engine = engine(data, None);
        let q3 = q3.clone();
        async move {
            engine.scope(Some(&q3)).unwrap();
            let df = engine.query(sql).await.unwrap();
            let schema = df.schema().as_arrow().clone();
            let batches = df.collect().await.unwrap();
            concat_batches(&std::sync::Arc::new(schema), &batches).unwrap()
        }
    };
    for sql in [
        "SELECT * FROM exchanges ORDER BY event_id",
        "SELECT * FROM share_requests ORDER BY request_id",
        "SELECT * FROM services ORDER BY case_id",
    ] {
        let (a, b) = (rows(&folder, sql).await, rows(&stored, sql).await);
        assert!(a.num_rows() > 0, "{sql}");
        // Text read from the files as Utf8View comes out as Utf8, as from the folder.
        let types = |b: &RecordBatch| {
            b.schema()
                .fields()
                .iter()
                .map(|f| (f.name().clone(), f.data_type().clone()))
                .collect::<Vec<_>>()
        };
        assert_eq!(types(&a), types(&b), "{sql}");
        assert_eq!(a.columns(), b.columns(), "{sql}");
    }
}

#[tokio::test]
async fn a_period_query_reads_only_the_files_of_its_months() {
    let (_wh, stored) = demo_warehouse();
    let engine = engine(&stored, None);
    engine
        .scope(Some(&"2026Q3".parse::<Period>().unwrap()))
        .unwrap();
    let sql = "EXPLAIN SELECT provider_dept, COUNT(*) FROM exchanges GROUP BY provider_dept";
    let plan = engine
        .context()
        .sql(sql)
        .await
        .unwrap()
        .collect()
        .await
        .unwrap();
    let plan = pretty_format_batches(&plan).unwrap().to_string();
    // The demo spans 2026-04 to 2026-09 (fixtures/demo/README.md) and a few bad rows
    // outside it are rejected; Q3 is July to September.
    for month in ["2026-07", "2026-08", "2026-09"] {
        assert!(plan.contains(&format!("month={month}")), "{month}:\n{plan}");
    }
    for month in ["2026-04", "2026-05", "2026-06"] {
        assert!(
            !plan.contains(&format!("month={month}")),
            "{month}:\n{plan}"
        );
    }
    // Within the files, row groups are pruned on the period's bounds.
    assert!(plan.contains("pruning_predicate"), "{plan}");
    assert!(plan.contains("requested_at"), "{plan}");
}

#[cfg(feature = "cluster")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ballista_cluster_gives_the_matrix_of_a_local_run() {
    let (_wh, stored) = demo_warehouse();
    let local = matrices(&engine(&stored, None)).await;
    let url = appraise_kpi::cluster::standalone().await.unwrap();
    let on_cluster = matrices(&engine(&stored, Some(url))).await;
    assert_same(&local, &on_cluster);
}

/// Writes `m` as the cache writes it, in Arrow IPC.
fn write_matrix(path: &Path, m: &KpiMatrix) {
    let batch = m.to_batch().unwrap();
    let mut w = FileWriter::try_new(std::fs::File::create(path).unwrap(), &batch.schema()).unwrap();
    w.write(&batch).unwrap();
    w.finish().unwrap();
}

/// The one file of the KPI cache.
fn cache_file(dir: &Path) -> PathBuf {
    let files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    files[0].clone()
}

/// 2026Q3's matrix as an earlier period of 2026Q2's trend: kept, or computed.
async fn q3_in_q2_s_trend(engine: &Engine, kpis: &[KpiDef]) -> KpiMatrix {
    let (q2, q3): (Period, Period) = ("2026Q2".parse().unwrap(), "2026Q3".parse().unwrap());
    let mut t = engine.trend(&q2, &[q3], kpis).await.unwrap();
    assert!(t.cut.is_none());
    t.earlier.remove(0)
}

#[tokio::test]
async fn a_kept_matrix_is_reused_until_the_period_s_files_change() {
    let (wh, stored) = demo_warehouse();
    let cache = wh.path().join("_cache");
    let calendar = || Calendar::from_dir(&root().join("queries/calendars")).unwrap();
    let opts = EngineOptions {
        kpi_cache: Some(cache.clone()),
        ..EngineOptions::default()
    };
    let kpis = load_library(&root().join("queries/kpis")).unwrap();
    let q3: Period = "2026Q3".parse().unwrap();
    let engine = Engine::new(&stored, calendar(), &opts).unwrap();
    let fresh = engine.run(&q3, &kpis).await.unwrap();

    // What the trend takes is the kept file: a doctored copy comes back as doctored.
    let mut doctored = fresh.clone();
    doctored.values[0].value = Some(-1.0);
    let file = cache_file(&cache);
    write_matrix(&file, &doctored);
    let kept = q3_in_q2_s_trend(&engine, &kpis).await;
    assert_eq!(kept.values, doctored.values);
    // `run` always computes.
    assert_eq!(engine.run(&q3, &kpis).await.unwrap().values, fresh.values);

    // A kept file that does not read is computed afresh.
    std::fs::write(&file, b"not arrow").unwrap();
    assert_eq!(q3_in_q2_s_trend(&engine, &kpis).await.values, fresh.values);
    write_matrix(&file, &doctored);

    // New rows in files that reach the period (April's exchanges: the files read for
    // Q3's completed services and catalog are all files before its end): another key,
    // computed afresh.
    let more = tempfile::tempdir().unwrap();
    std::fs::copy(
        root().join("fixtures/demo/departments.csv"),
        more.path().join("departments.csv"),
    )
    .unwrap();
    let exchanges = std::fs::read_to_string(root().join("fixtures/demo/exchanges.csv")).unwrap();
    let renamed: String = exchanges
        .lines()
        .take(21)
        .enumerate()
        .map(|(i, l)| {
            if i == 0 {
                format!("{l}\n")
            } else {
                format!("new-{l}\n")
            }
        })
        .collect();
    std::fs::write(more.path().join("exchanges.csv"), renamed).unwrap();
    let done = warehouse::ingest(more.path(), wh.path(), &LoadOptions::default()).unwrap();
    assert!(done.written["exchanges"] > 0);
    let reopened = load_dir(wh.path(), &LoadOptions::default()).unwrap();
    let engine = Engine::new(&reopened, calendar(), &opts).unwrap();
    let after = q3_in_q2_s_trend(&engine, &kpis).await;
    assert_eq!(after.values, engine.run(&q3, &kpis).await.unwrap().values);
    assert_ne!(after.values[0].value, Some(-1.0));
}
