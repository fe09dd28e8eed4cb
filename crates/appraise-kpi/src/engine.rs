//! The KPI engine: one DataFusion session over a loaded data set, the tables scoped to a
//! period, and the KPIs run against them.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use appraise_data::warehouse::StoredFile;
use appraise_data::{Dataset, Table};
use chrono::{Offset, TimeZone};
use chrono_tz::Tz;
use datafusion::arrow::array::{Array, ArrayRef, AsArray, Date32Array, RecordBatch, StringArray};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{
    DataType, Field, Schema, SchemaRef, TimeUnit, TimestampMicrosecondType,
};
use datafusion::catalog::{MemTable, TableProvider};
use datafusion::common::{Column, ScalarValue};
use datafusion::dataframe::DataFrame;
use datafusion::datasource::file_format::parquet::ParquetFormat;
use datafusion::datasource::listing::{
    ListingOptions, ListingTable, ListingTableConfig, ListingTableUrl,
};
use datafusion::execution::SessionStateBuilder;
use datafusion::execution::runtime_env::RuntimeEnvBuilder;
use datafusion::functions::expr_fn::to_local_time;
use datafusion::logical_expr::{Cast, LogicalPlanBuilder};
use datafusion::logical_expr::{Expr, col, lit, when};
use datafusion::prelude::{SessionConfig, SessionContext};

use crate::Error;
use crate::cache::{Key, KpiCache};
use crate::calendar::{Calendar, days_since_epoch};
use crate::definition::{KpiDef, Missing};
use crate::matrix::{KpiMatrix, KpiValue};
use crate::period::Period;
use crate::sandbox::{check_read_only, read_only_options};

/// Settings of the engine.
#[derive(Debug, Clone)]
pub struct EngineOptions {
    /// Zone of local dates and period boundaries.
    pub timezone: Tz,
    /// Memory the engine may use for query execution, in bytes.
    pub memory_limit: usize,
    /// A Ballista scheduler (`df://HOST:PORT`) to run queries on, instead of this
    /// process; needs the `cluster` feature and a warehouse every executor can read.
    pub cluster: Option<String>,
    /// A folder where the KPI matrices computed over a warehouse are kept, for
    /// [`Engine::trend`].
    pub kpi_cache: Option<std::path::PathBuf>,
    /// The accepted appeals and corrections, applied to the rows as every query reads
    /// them ([`crate::adjust`]).
    pub adjustments: Option<Arc<crate::Adjustments>>,
    /// Whether the KPIs that aggregate one table by one key run as one statement
    /// ([`crate::fuse`]); on by default.
    pub fuse: bool,
}

impl Default for EngineOptions {
    fn default() -> Self {
        EngineOptions {
            timezone: appraise_data::DEFAULT_TIMEZONE,
            memory_limit: 4 << 30,
            cluster: None,
            kpi_cache: None,
            adjustments: None,
            fuse: true,
        }
    }
}

/// A DataFusion session over one data set.
pub struct Engine {
    ctx: SessionContext,
    tz: Tz,
    calendar: Calendar,
    tables: BTreeMap<Table, Rows>,
    departments: Vec<String>,
    cache: Option<KpiCache>,
    adjustments: Option<Arc<crate::Adjustments>>,
    fuse: bool,
    /// Whether the adjustments are applied ([`Engine::adjusting`]).
    adjusting: std::sync::atomic::AtomicBool,
}

/// Where a table's rows are.
enum Rows {
    /// Loaded, with the local-date columns computed once.
    Memory(Arc<MemTable>),
    /// In a warehouse's committed Parquet files: read, and their local dates computed,
    /// by each query that needs them.
    Files(Vec<StoredFile>),
}

/// The name of the local-date column that accompanies a timestamp column:
/// `requested_at` → `requested_date`.
pub fn date_column(timestamp_column: &str) -> String {
    format!(
        "{}_date",
        timestamp_column
            .strip_suffix("_at")
            .unwrap_or(timestamp_column)
    )
}

impl Engine {
    /// Registers the data set's tables (unscoped) in a new session.
    ///
    /// A table of a warehouse ([`appraise_data::LoadedTable::stored`]) is read from its
    /// Parquet files by each query, and only from the files whose time span overlaps the
    /// period [`Engine::scope`] sets.
    pub fn new(data: &Dataset, calendar: Calendar, opts: &EngineOptions) -> Result<Engine, Error> {
        let runtime = RuntimeEnvBuilder::new()
            .with_memory_limit(opts.memory_limit, 1.0)
            .build_arc()?;
        let config = SessionConfig::new().with_information_schema(true);
        let state = SessionStateBuilder::new()
            .with_config(config)
            .with_runtime_env(runtime)
            .with_default_features()
            .build();
        let ctx = crate::cluster::context(state, opts.cluster.as_deref())?;
        // appraise's own aggregates in place of DataFusion's of those names.
        for f in crate::aggregates() {
            ctx.register_udaf(f);
        }
        let mut tables = BTreeMap::new();
        let mut local = LocalDates::new(opts.timezone);
        for t in &data.tables {
            if let Some(files) = &t.stored {
                tables.insert(t.table, Rows::Files(files.clone()));
                continue;
            }
            let schema = extended_schema(t.table);
            let batches = t
                .batches
                .iter()
                .map(|b| extend_batch(b, &schema, &mut local))
                .collect::<Result<Vec<_>, _>>()?;
            let memory = Arc::new(MemTable::try_new(schema, vec![batches])?);
            tables.insert(t.table, Rows::Memory(memory));
        }
        if let Some(url) = &opts.cluster
            && tables.values().any(|r| matches!(r, Rows::Memory(_)))
        {
            return Err(Error::Cluster {
                url: url.clone(),
                reason: "tables loaded into memory cannot be sent to a cluster".into(),
                hint: "ingest the data into a warehouse that every executor can read at the same path (appraise ingest --from DIR --into WAREHOUSE) and pass --data WAREHOUSE".into(),
            });
        }
        let mut departments: Vec<String> = data
            .table(Table::Departments)
            .value_counts("dept_id")
            .into_keys()
            .collect();
        departments.sort();
        let engine = Engine {
            ctx,
            tz: opts.timezone,
            calendar,
            tables,
            departments,
            cache: opts.kpi_cache.as_deref().map(KpiCache::new),
            adjustments: opts.adjustments.clone(),
            fuse: opts.fuse,
            adjusting: std::sync::atomic::AtomicBool::new(true),
        };
        engine.register_unscoped()?;
        Ok(engine)
    }

    /// An engine over empty tables: for planning KPIs against the schemas alone.
    pub fn without_data(calendar: Calendar, opts: &EngineOptions) -> Result<Engine, Error> {
        let data = Dataset {
            tables: Table::ALL
                .iter()
                .map(|t| appraise_data::LoadedTable {
                    table: *t,
                    files: vec![],
                    batches: vec![],
                    accounting: Default::default(),
                    stored: None,
                })
                .collect(),
            warnings: vec![],
            report: None,
            snapshot: None,
        };
        Engine::new(&data, calendar, opts)
    }

    /// The session, for researchers' queries.
    pub fn context(&self) -> &SessionContext {
        &self.ctx
    }

    /// The working-day calendar.
    pub fn calendar(&self) -> &Calendar {
        &self.calendar
    }

    /// Department ids, sorted.
    pub fn departments(&self) -> &[String] {
        &self.departments
    }

    fn register(
        &self,
        name: &str,
        provider: Arc<dyn datafusion::catalog::TableProvider>,
    ) -> Result<(), Error> {
        self.ctx.deregister_table(name)?;
        self.ctx.register_table(name, provider)?;
        Ok(())
    }

    /// Whether the queries from now on read the rows with the adjustments applied (the
    /// default) or as the data have them; for the report's before and after.
    pub fn adjusting(&self, on: bool) -> Result<(), Error> {
        self.adjusting
            .store(on, std::sync::atomic::Ordering::SeqCst);
        self.register_unscoped()
    }

    /// The adjustments the engine applies, if any.
    pub fn adjustments(&self) -> Option<&Arc<crate::Adjustments>> {
        self.adjustments.as_ref()
    }

    /// Table `t` in its extended schema ([`extended_schema`]), the adjustments applied;
    /// of a warehouse, only the files `keep` selects are read.
    fn table(&self, t: Table, keep: impl Fn(&StoredFile) -> bool) -> Result<DataFrame, Error> {
        let df = self.raw_table(t, keep)?;
        match &self.adjustments {
            Some(a) if self.adjusting.load(std::sync::atomic::Ordering::SeqCst) => {
                a.apply(t, df, &|e| local_date(e, self.tz))
            }
            _ => Ok(df),
        }
    }

    /// Table `t` in its extended schema, as the data have it.
    pub(crate) fn raw_table(
        &self,
        t: Table,
        keep: impl Fn(&StoredFile) -> bool,
    ) -> Result<DataFrame, Error> {
        let files = match &self.tables[&t] {
            Rows::Memory(memory) => return Ok(self.ctx.read_table(memory.clone())?),
            Rows::Files(files) => files.iter().filter(|f| keep(f)),
        };
        let urls = files
            .map(|f| {
                let path = std::path::absolute(&f.path).map_err(|source| Error::Io {
                    path: f.path.clone(),
                    source,
                })?;
                Ok(ListingTableUrl::parse(path.to_string_lossy())?)
            })
            .collect::<Result<Vec<_>, Error>>()?;
        let provider: Arc<dyn TableProvider> = if urls.is_empty() {
            Arc::new(MemTable::try_new(t.schema(), vec![vec![]])?)
        } else {
            let options = ListingOptions::new(Arc::new(ParquetFormat::default()))
                .with_file_extension(".parquet");
            let config = ListingTableConfig::new_with_multi_paths(urls)
                .with_listing_options(options)
                .with_schema(view_types(&t.schema()));
            Arc::new(ListingTable::try_new(config)?)
        };
        // The extended schema's columns, as `extended_schema` lays them out.
        let mut columns = Vec::new();
        for f in t.schema().fields() {
            columns.push(col(f.name()));
            if matches!(f.data_type(), DataType::Timestamp(TimeUnit::Microsecond, _)) {
                columns.push(local_date(col(f.name()), self.tz).alias(date_column(f.name())));
            }
        }
        Ok(self.ctx.read_table(provider)?.select(columns)?)
    }

    fn register_unscoped(&self) -> Result<(), Error> {
        for t in self.tables.keys() {
            self.register(t.name(), self.table(*t, |_| true)?.into_view())?;
        }
        let services = self.table(Table::Services, |_| true)?;
        self.register("services_completed", services.into_view())?;
        let calendar = values(&self.ctx, &self.calendar.to_batch())?;
        self.register("calendar", calendar.into_view())?;
        self.ctx.deregister_table("period")?;
        Ok(())
    }

    /// Registers the tables as KPI SQL sees them for `period` (see the crate docs), or
    /// unscoped for `None`.
    pub fn scope(&self, period: Option<&Period>) -> Result<(), Error> {
        let Some(period) = period else {
            return self.register_unscoped();
        };
        let (start, end) = (period.start_us(self.tz), period.end_us(self.tz));
        let within = |c: &str| col(c).gt_eq(utc(start)).and(col(c).lt(utc(end)));

        // Files whose rows may fall in the period; a completed service was submitted
        // before it was completed, and a resource in the catalog by the period's end was
        // registered before that end.
        let overlapping = |f: &StoredFile| f.overlaps(start, end);
        let before_end = |f: &StoredFile| f.starts_before(end);

        let exchanges = self
            .table(Table::Exchanges, overlapping)?
            .filter(within("requested_at"))?;
        let share_requests = self
            .table(Table::ShareRequests, overlapping)?
            .filter(within("submitted_at"))?;
        let catalog = self
            .table(Table::Catalog, before_end)?
            .filter(col("registered_at").lt(utc(end)))?;
        let services = self
            .table(Table::Services, overlapping)?
            .filter(within("submitted_at"))?;
        let services_completed = self
            .table(Table::Services, before_end)?
            .filter(within("completed_at"))?;

        self.register("exchanges", exchanges.into_view())?;
        let share_requests = as_of_end(share_requests, end)?;
        self.register("share_requests", share_requests.into_view())?;
        self.register("catalog", catalog_as_of_end(catalog, end)?.into_view())?;
        self.register("services", services.into_view())?;
        self.register("services_completed", services_completed.into_view())?;
        let departments = self.table(Table::Departments, |_| true)?;
        self.register("departments", departments.into_view())?;
        let period = values(&self.ctx, &period_batch(period, start, end)?)?;
        self.register("period", period.into_view())?;
        Ok(())
    }

    /// Checks that the calendar covers every date the working-day KPIs of `period`
    /// will look up: the period itself and the submission and decision or completion
    /// dates of the share requests and completed services in scope.
    ///
    /// First from the earliest and latest of those instants, a day either side (a local
    /// date moves with its instant, give or take a clock change): enough almost always,
    /// and it reads the timestamps alone. Only where that span reaches a year the
    /// calendar lacks are the local dates themselves computed, for the exact answer.
    pub async fn check_calendar(&self, period: &Period) -> Result<(), Error> {
        self.calendar.check_covers(
            period.first_day,
            period.last_day,
            &format!("the period {period}"),
        )?;
        let Some((lo, hi)) = self.span("_at").await? else {
            return Ok(());
        };
        let mut local = LocalDates::new(self.tz);
        let (lo, hi) = (local.date(lo), local.date(hi));
        let around = date_from_days(lo)
            .pred_opt()
            .zip(date_from_days(hi).succ_opt());
        if let Some((first, last)) = around
            && self.calendar.check_covers(first, last, "").is_ok()
        {
            return Ok(());
        }
        if let Some((lo, hi)) = self.span("_date").await? {
            let (first, last) = (date_from_days(lo as i32), date_from_days(hi as i32));
            self.calendar.check_covers(
                first,
                last,
                &format!("share requests and services in {period}, dated {first} to {last}"),
            )?;
        }
        Ok(())
    }

    /// The earliest and latest of the working-day KPIs' instants (`suffix` `_at`, in
    /// microseconds since 1970) or local dates (`_date`, in days): the submissions and
    /// decisions of the share requests and the submissions and completions of the
    /// completed services in scope; `None` where there is none.
    async fn span(&self, suffix: &str) -> Result<Option<(i64, i64)>, Error> {
        let sql = format!(
            "SELECT MIN(x), MAX(x) FROM (\
             SELECT submitted{suffix} AS x FROM share_requests UNION ALL \
             SELECT decided{suffix} FROM share_requests UNION ALL \
             SELECT submitted{suffix} FROM services_completed UNION ALL \
             SELECT completed{suffix} FROM services_completed) AS span"
        );
        let batches = self.ctx.sql(&sql).await?.collect().await?;
        let Some(b) = batches.first().filter(|b| b.num_rows() > 0) else {
            return Ok(None);
        };
        let as_i64 = |i: usize| -> Result<Option<i64>, Error> {
            let c = cast(b.column(i), &DataType::Int64)?;
            let c = c.as_primitive::<datafusion::arrow::datatypes::Int64Type>();
            Ok(c.is_valid(0).then(|| c.value(0)))
        };
        Ok(as_i64(0)?.zip(as_i64(1)?))
    }

    /// The cache and the key of `period`'s matrix, when there is a cache and the data
    /// is a warehouse.
    fn cache_key(&self, period: &Period, kpis: &[KpiDef]) -> Option<(&KpiCache, String)> {
        let cache = self.cache.as_ref()?;
        let (start, end) = (period.start_us(self.tz), period.end_us(self.tz));
        let mut key = Key::default();
        key.add(env!("CARGO_PKG_VERSION").as_bytes())
            .add(self.tz.name().as_bytes())
            .add(period.label().as_bytes())
            .add(&start.to_le_bytes())
            .add(&end.to_le_bytes())
            .add(format!("{:?}", self.calendar.to_batch()).as_bytes());
        if let Some(a) = &self.adjustments
            && self.adjusting.load(std::sync::atomic::Ordering::SeqCst)
        {
            key.add(b"adjustments").add(a.sha256.as_bytes());
        }
        for k in kpis {
            key.add(k.id.as_bytes())
                .add(format!("{:?}", k.missing).as_bytes())
                .add(k.sql.as_bytes());
        }
        // Every file whose rows may reach the period (see `scope`).
        for (t, rows) in &self.tables {
            let Rows::Files(files) = rows else {
                return None;
            };
            for f in files.iter().filter(|f| f.starts_before(end)) {
                key.add(t.name().as_bytes()).add(f.sha256.as_bytes());
            }
        }
        Some((cache, key.finish()))
    }

    /// Runs `kpis` for `period`, all at once on this session, into the long matrix
    /// (kept in the KPI cache, if there is one).
    pub async fn run(&self, period: &Period, kpis: &[KpiDef]) -> Result<KpiMatrix, Error> {
        let matrix = self.compute(period, kpis, true).await?;
        Ok(self.keep(period, kpis, matrix))
    }

    /// `kpis` for `period`, each fused unit and KPI at once; the calendar checked first
    /// where `check_calendar` (else the caller has).
    async fn compute(
        &self,
        period: &Period,
        kpis: &[KpiDef],
        check_calendar: bool,
    ) -> Result<KpiMatrix, Error> {
        self.scope(Some(period))?;
        if check_calendar && kpis.iter().any(KpiDef::uses_calendar) {
            let t = std::time::Instant::now();
            self.check_calendar(period).await?;
            let seconds = t.elapsed().as_secs_f64();
            tracing::debug!(period = %period, seconds, "calendar checked");
        }
        let units = self.units(kpis);
        let mut results: Vec<HashMap<String, KpiValue>> = vec![HashMap::new(); kpis.len()];
        let done =
            futures::future::try_join_all(units.iter().map(|u| self.run_unit(kpis, u))).await?;
        for (i, rows) in done.into_iter().flatten() {
            results[i] = rows;
        }
        let mut values = Vec::with_capacity(kpis.len() * self.departments.len());
        for (kpi, rows) in kpis.iter().zip(results) {
            for d in &self.departments {
                // No row: missing, or a real 0 from no observations (`missing: zero`).
                let zero = kpi.missing == Missing::Zero;
                let v = rows.get(d.as_str()).cloned().unwrap_or_else(|| KpiValue {
                    department_id: d.clone(),
                    kpi: kpi.id.clone(),
                    value: zero.then_some(0.0),
                    numerator: None,
                    denominator: None,
                    sample_size: zero.then_some(0),
                });
                values.push(v);
            }
        }
        Ok(KpiMatrix {
            period: period.clone(),
            values,
        })
    }

    /// The matrices of a trend: `current`'s, computed, and those of the `earlier`
    /// periods (most recent first), each kept from an earlier run where the cache has
    /// it, the others computed after `current`'s ([`Engine::run_periods`]);
    /// every computed matrix is kept in the cache. The trend stops at the first earlier
    /// period the working-day calendar does not cover (`cut`, with the year): no period
    /// before it can be scored either.
    pub async fn trend(
        &self,
        current: &Period,
        earlier: &[Period],
        kpis: &[KpiDef],
    ) -> Result<Trend, Error> {
        let calendar = kpis.iter().any(KpiDef::uses_calendar);
        let mut todo = vec![current.clone()];
        let mut kept: Vec<Option<KpiMatrix>> = Vec::new();
        let mut cut = None;
        for p in earlier {
            if let Some((cache, key)) = self.cache_key(p, kpis)
                && let Some(m) = cache.get(&key, p)
            {
                tracing::info!(period = %p, "KPI matrix reused");
                kept.push(Some(m));
                continue;
            }
            if calendar {
                self.scope(Some(p))?;
                match self.check_calendar(p).await {
                    Err(Error::CalendarYear { year, .. }) => {
                        cut = Some((p.clone(), year));
                        break;
                    }
                    checked => checked?,
                }
            }
            kept.push(None);
            todo.push(p.clone());
        }
        let mut computed = self.run_periods(&todo, kpis).await?.into_iter();
        let matrix = computed.next().ok_or_else(|| {
            datafusion::error::DataFusionError::Internal("no matrix of the period".into())
        })?;
        let earlier = kept
            .into_iter()
            .map(|m| m.or_else(|| computed.next()))
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| {
                datafusion::error::DataFusionError::Internal("a period was not computed".into())
            })?;
        self.scope(Some(current))?;
        Ok(Trend {
            current: matrix,
            earlier,
            cut,
        })
    }

    /// Runs `kpis` for each of `periods`, one period after another, each period's KPIs
    /// at once (the first's calendar checked here, the others' by the caller), kept in
    /// the KPI cache. (One pass over every period, grouped by period as well as by
    /// department, was slower: the work is in the rows, which a pass does not share;
    /// docs/kpis.md, "The periods of a trend".)
    async fn run_periods(
        &self,
        periods: &[Period],
        kpis: &[KpiDef],
    ) -> Result<Vec<KpiMatrix>, Error> {
        let mut out = Vec::with_capacity(periods.len());
        for (n, p) in periods.iter().enumerate() {
            let matrix = self.compute(p, kpis, n == 0).await?;
            out.push(self.keep(p, kpis, matrix));
        }
        Ok(out)
    }

    /// `matrix`, kept in the KPI cache if there is one.
    fn keep(&self, period: &Period, kpis: &[KpiDef], matrix: KpiMatrix) -> KpiMatrix {
        if let Some((cache, key)) = self.cache_key(period, kpis) {
            cache.put(&key, &matrix);
        }
        matrix
    }

    /// The data tables a KPI reads (`services_completed` counts as `services`).
    pub async fn tables_read(
        &self,
        kpi: &KpiDef,
    ) -> Result<std::collections::BTreeSet<Table>, Error> {
        use datafusion::common::tree_node::TreeNodeRecursion;
        use datafusion::logical_expr::LogicalPlan;
        check_read_only(&kpi.path.display().to_string(), &kpi.sql)?;
        let plan = self
            .ctx
            .state()
            .create_logical_plan(&kpi.sql)
            .await
            .map_err(|e| query_error(kpi, e))?;
        // The scoped tables are views, which the planner inlines under an alias of
        // their name.
        let mut names = std::collections::BTreeSet::new();
        plan.apply_with_subqueries(|node| {
            let name = match node {
                LogicalPlan::TableScan(scan) => Some(scan.table_name.table()),
                LogicalPlan::SubqueryAlias(a) => Some(a.alias.table()),
                _ => None,
            };
            if let Some(name) = name {
                let name = if name == "services_completed" {
                    "services"
                } else {
                    name
                };
                names.extend(Table::from_name(name));
            }
            Ok(TreeNodeRecursion::Continue)
        })?;
        Ok(names)
    }

    /// Plans a KPI against the current tables and checks its result columns.
    pub async fn check(&self, kpi: &KpiDef) -> Result<(), Error> {
        let df = self.plan(kpi).await?;
        check_result_schema(kpi, df.schema().as_arrow())
    }

    async fn plan(&self, kpi: &KpiDef) -> Result<DataFrame, Error> {
        check_read_only(&kpi.path.display().to_string(), &kpi.sql)?;
        self.ctx
            .sql_with_options(&kpi.sql, read_only_options())
            .await
            .map_err(|e| query_error(kpi, e))
    }

    /// How `kpis` run for `period`: each fused statement with the KPIs it computes and
    /// DataFusion's optimized plan of it, then the KPIs that run alone.
    pub async fn explain(&self, period: &Period, kpis: &[KpiDef]) -> Result<String, Error> {
        use std::fmt::Write;
        self.scope(Some(period))?;
        let units = self.units(kpis);
        let mut out = String::new();
        let mut alone = Vec::new();
        for unit in &units {
            match unit {
                crate::fuse::Unit::Alone(i) => alone.push(kpis[*i].id.as_str()),
                crate::fuse::Unit::Fused { sql, members } => {
                    let ids: Vec<&str> = members.iter().map(|&i| kpis[i].id.as_str()).collect();
                    let first = &kpis[members[0]];
                    let plan = self
                        .ctx
                        .sql_with_options(sql, read_only_options())
                        .await
                        .map_err(|e| query_error(first, e))?
                        .into_optimized_plan()
                        .map_err(|e| query_error(first, e))?;
                    let _ = writeln!(
                        out,
                        "fused: {}\n\n{sql}\n\n{}\n",
                        ids.join(", "),
                        plan.display_indent()
                    );
                }
            }
        }
        let _ = writeln!(out, "alone: {}", alone.join(", "));
        Ok(out)
    }

    /// How `kpis` run: fused where they can be ([`crate::fuse`]), unless fusing is off.
    fn units(&self, kpis: &[KpiDef]) -> Vec<crate::fuse::Unit> {
        if self.fuse {
            crate::fuse::units(kpis)
        } else {
            (0..kpis.len()).map(crate::fuse::Unit::Alone).collect()
        }
    }

    /// The rows of each KPI of `unit`, by index into `kpis`.
    async fn run_unit(
        &self,
        kpis: &[KpiDef],
        unit: &crate::fuse::Unit,
    ) -> Result<Vec<(usize, HashMap<String, KpiValue>)>, Error> {
        let t = std::time::Instant::now();
        let out = self.compute_unit(kpis, unit).await;
        let ids = unit
            .members()
            .iter()
            .map(|&i| kpis[i].id.as_str())
            .collect::<Vec<_>>();
        tracing::debug!(
            kpis = ids.join(","),
            seconds = t.elapsed().as_secs_f64(),
            "KPIs computed"
        );
        out
    }

    async fn compute_unit(
        &self,
        kpis: &[KpiDef],
        unit: &crate::fuse::Unit,
    ) -> Result<Vec<(usize, HashMap<String, KpiValue>)>, Error> {
        let (sql, members) = match unit {
            crate::fuse::Unit::Alone(i) => return Ok(vec![(*i, self.run_one(&kpis[*i]).await?)]),
            crate::fuse::Unit::Fused { sql, members } => (sql, members),
        };
        let fused = async {
            self.ctx
                .sql_with_options(sql, read_only_options())
                .await?
                .collect()
                .await
        };
        let mut out = Vec::with_capacity(members.len());
        let batches = match fused.await {
            Ok(batches) => batches,
            // A member that does not plan or run fails alone, under its own name; the
            // others still run.
            Err(_) => {
                for &i in members {
                    out.push((i, self.run_one(&kpis[i]).await?));
                }
                return Ok(out);
            }
        };
        for (m, &i) in members.iter().enumerate() {
            let kpi = &kpis[i];
            let own = crate::fuse::member_rows(&batches, m)?;
            if let Some(b) = own.first() {
                check_result_schema(kpi, &b.schema())?;
            }
            out.push((i, self.rows(kpi, &own)?));
        }
        Ok(out)
    }

    async fn run_one(&self, kpi: &KpiDef) -> Result<HashMap<String, KpiValue>, Error> {
        let df = self.plan(kpi).await?;
        check_result_schema(kpi, df.schema().as_arrow())?;
        let batches = df.collect().await.map_err(|e| query_error(kpi, e))?;
        self.rows(kpi, &batches)
    }

    /// A KPI's result as values by department, checked.
    fn rows(
        &self,
        kpi: &KpiDef,
        batches: &[RecordBatch],
    ) -> Result<HashMap<String, KpiValue>, Error> {
        let mut rows = HashMap::new();
        let bad = |reason: String| Error::Result {
            kpi: kpi.id.clone(),
            path: kpi.path.clone(),
            reason,
        };
        for b in batches {
            let column = |name: &str, to: &DataType| -> Result<Option<ArrayRef>, Error> {
                match b.schema().index_of(name) {
                    Ok(i) => Ok(Some(cast(b.column(i), to)?)),
                    Err(_) => Ok(None),
                }
            };
            let ids = column("department_id", &DataType::Utf8)?
                .ok_or_else(|| bad("no department_id".into()))?;
            let ids = ids.as_string::<i32>();
            let value =
                column("value", &DataType::Float64)?.ok_or_else(|| bad("no value".into()))?;
            let value = value.as_primitive::<datafusion::arrow::datatypes::Float64Type>();
            let num = column("numerator", &DataType::Float64)?;
            let den = column("denominator", &DataType::Float64)?;
            let n = column("sample_size", &DataType::Int64)?;
            let f = |a: &Option<ArrayRef>, i: usize| {
                a.as_ref().and_then(|a| {
                    let a = a.as_primitive::<datafusion::arrow::datatypes::Float64Type>();
                    a.is_valid(i).then(|| a.value(i))
                })
            };
            for i in 0..b.num_rows() {
                if ids.is_null(i) {
                    return Err(bad("a row has a null department_id".into()));
                }
                let id = ids.value(i);
                if self
                    .departments
                    .binary_search_by(|d| d.as_str().cmp(id))
                    .is_err()
                {
                    return Err(bad(format!(
                        "department {id:?} is not in the departments table"
                    )));
                }
                let sample_size = n.as_ref().and_then(|a| {
                    let a = a.as_primitive::<datafusion::arrow::datatypes::Int64Type>();
                    a.is_valid(i).then(|| a.value(i))
                });
                if let Some(n) = sample_size.filter(|n| *n < 0) {
                    return Err(bad(format!(
                        "department {id:?} has sample_size {n}; a count of cases is at least 0"
                    )));
                }
                let v = KpiValue {
                    department_id: id.to_string(),
                    kpi: kpi.id.clone(),
                    value: value
                        .is_valid(i)
                        .then(|| value.value(i))
                        .filter(|v| v.is_finite()),
                    numerator: f(&num, i),
                    denominator: f(&den, i),
                    sample_size,
                };
                if rows.insert(id.to_string(), v).is_some() {
                    return Err(bad(format!("two rows for department {id:?}")));
                }
            }
        }
        Ok(rows)
    }

    /// Runs a researcher's query in the sandbox. Text comes out as `Utf8` whether the
    /// tables were read from a folder or (as `Utf8View`) from a warehouse.
    pub async fn query(&self, sql: &str) -> Result<DataFrame, Error> {
        check_read_only("query", sql)?;
        let df = self.ctx.sql_with_options(sql, read_only_options()).await?;
        let columns: Vec<Expr> = df
            .schema()
            .iter()
            .map(|(qualifier, f)| {
                let c = Expr::Column(Column::new(qualifier.cloned(), f.name()));
                match f.data_type() {
                    DataType::Utf8View => {
                        Expr::Cast(Cast::new(Box::new(c), DataType::Utf8)).alias(f.name())
                    }
                    _ => c,
                }
            })
            .collect();
        Ok(df.select(columns)?)
    }
}

/// A UTC timestamp literal, microseconds since the epoch.
/// The KPI matrices of a period and the periods of its trend ([`Engine::trend`]).
#[derive(Debug)]
pub struct Trend {
    /// The period's.
    pub current: KpiMatrix,
    /// The earlier periods', most recent first, up to `cut`.
    pub earlier: Vec<KpiMatrix>,
    /// The earlier period the working-day calendar does not cover, with the year it
    /// lacks: it and every period before it are left out.
    pub cut: Option<(Period, i32)>,
}

fn utc(v: i64) -> Expr {
    lit(ScalarValue::TimestampMicrosecond(
        Some(v),
        Some("UTC".into()),
    ))
}

/// `df` with some columns replaced, every column kept in the schema order of `t`.
fn replacing(df: DataFrame, t: Table, replace: &[(String, Expr)]) -> Result<DataFrame, Error> {
    let exprs: Vec<Expr> = extended_schema(t)
        .fields()
        .iter()
        .map(|f| match replace.iter().find(|(n, _)| n == f.name()) {
            Some((n, e)) => e.clone().alias(n),
            None => col(f.name()),
        })
        .collect();
    Ok(df.select(exprs)?)
}

/// A time stamp column and its date as known at `end`: null where it falls at or after.
fn known_at_end(stamp: &str, end: i64) -> Result<[(String, Expr); 2], Error> {
    let after = col(stamp).gt_eq(utc(end));
    let date = date_column(stamp);
    let null_ts = lit(ScalarValue::TimestampMicrosecond(None, Some("UTC".into())));
    Ok([
        (
            stamp.to_string(),
            when(after.clone(), null_ts).otherwise(col(stamp))?,
        ),
        (
            date.clone(),
            when(after, lit(ScalarValue::Date32(None))).otherwise(col(date.as_str()))?,
        ),
    ])
}

/// Share requests as they stood at `end`: one decided at or after it is pending, with
/// no decision time.
fn as_of_end(df: DataFrame, end: i64) -> Result<DataFrame, Error> {
    let late = col("decided_at").gt_eq(utc(end));
    let mut replace = known_at_end("decided_at", end)?.to_vec();
    replace.push((
        "decision".into(),
        // Both branches Utf8: DataFusion types a CASE of a Utf8 literal and a Utf8View
        // column (a warehouse's) as Utf8 but computes Utf8View.
        when(late, lit("pending")).otherwise(Expr::Cast(Cast::new(
            Box::new(col("decision")),
            DataType::Utf8,
        )))?,
    ));
    replacing(df, Table::ShareRequests, &replace)
}

/// The catalog as it stood at `end`: an update at or after it is not known yet.
fn catalog_as_of_end(df: DataFrame, end: i64) -> Result<DataFrame, Error> {
    replacing(df, Table::Catalog, &known_at_end("last_updated_at", end)?)
}

impl KpiDef {
    /// Whether the query reads the working-day calendar.
    pub fn uses_calendar(&self) -> bool {
        self.sql.to_ascii_lowercase().contains("calendar")
    }
}

fn query_error(kpi: &KpiDef, e: datafusion::error::DataFusionError) -> Error {
    Error::Query {
        kpi: kpi.id.clone(),
        path: kpi.path.clone(),
        source: Box::new(e),
    }
}

const RESULT_COLUMNS: [&str; 5] = [
    "department_id",
    "value",
    "numerator",
    "denominator",
    "sample_size",
];

fn check_result_schema(kpi: &KpiDef, schema: &Schema) -> Result<(), Error> {
    let bad = |reason: String| Error::Result {
        kpi: kpi.id.clone(),
        path: kpi.path.clone(),
        reason,
    };
    for f in schema.fields() {
        if !RESULT_COLUMNS.contains(&f.name().as_str()) {
            return Err(bad(format!(
                "unexpected column {:?} (a KPI returns {})",
                f.name(),
                RESULT_COLUMNS.join(", ")
            )));
        }
    }
    match schema.field_with_name("department_id") {
        Ok(f)
            if matches!(
                f.data_type(),
                DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View
            ) => {}
        Ok(f) => return Err(bad(format!("department_id is {}, not text", f.data_type()))),
        Err(_) => return Err(bad("result has no column \"department_id\"".into())),
    }
    for (name, required) in [
        ("value", true),
        ("numerator", false),
        ("denominator", false),
        ("sample_size", false),
    ] {
        match schema.field_with_name(name) {
            Ok(f) if f.data_type().is_numeric() || f.data_type() == &DataType::Null => {}
            Ok(f) => {
                return Err(bad(format!(
                    "column {name} is {}, not a number",
                    f.data_type()
                )));
            }
            Err(_) if required => return Err(bad(format!("result has no column \"{name}\""))),
            Err(_) => {}
        }
    }
    Ok(())
}

/// The local calendar date in `tz` of a UTC timestamp: what [`LocalDates`] computes for
/// a loaded table, as an expression for a table read from files.
fn local_date(ts: Expr, tz: Tz) -> Expr {
    let zoned = DataType::Timestamp(TimeUnit::Microsecond, Some(tz.name().into()));
    Expr::Cast(Cast::new(
        Box::new(to_local_time(vec![Expr::Cast(Cast::new(
            Box::new(ts),
            zoned,
        ))])),
        DataType::Date32,
    ))
}

/// A batch as a `VALUES` list: a small table every plan can carry with it, also to
/// the executors of a cluster (an in-memory table cannot be sent there).
fn values(ctx: &SessionContext, batch: &RecordBatch) -> Result<DataFrame, Error> {
    let schema = batch.schema();
    let rows = (0..batch.num_rows())
        .map(|i| {
            batch
                .columns()
                .iter()
                .map(|c| Ok(lit(ScalarValue::try_from_array(c, i)?)))
                .collect::<Result<Vec<_>, Error>>()
        })
        .collect::<Result<Vec<_>, Error>>()?;
    if rows.is_empty() {
        let empty = MemTable::try_new(schema, vec![vec![]])?;
        return Ok(ctx.read_table(Arc::new(empty))?);
    }
    let plan = LogicalPlanBuilder::values(rows)?.build()?;
    let named = plan
        .schema()
        .columns()
        .into_iter()
        .zip(schema.fields())
        .map(|(c, f)| Expr::Column(c).alias(f.name()))
        .collect::<Vec<_>>();
    Ok(DataFrame::new(ctx.state(), plan).select(named)?)
}

/// `schema` with its text columns as `Utf8View`, which the Parquet reader decodes
/// straight from the files' dictionaries, and which compare and group faster.
fn view_types(schema: &Schema) -> SchemaRef {
    let fields: Vec<Field> = schema
        .fields()
        .iter()
        .map(|f| match f.data_type() {
            DataType::Utf8 => f.as_ref().clone().with_data_type(DataType::Utf8View),
            _ => f.as_ref().clone(),
        })
        .collect();
    Arc::new(Schema::new_with_metadata(fields, schema.metadata().clone()))
}

/// The contract's schema plus a local-date column after each timestamp column.
pub fn extended_schema(t: Table) -> SchemaRef {
    let mut fields = Vec::new();
    for f in t.schema().fields() {
        fields.push(f.as_ref().clone());
        if matches!(f.data_type(), DataType::Timestamp(TimeUnit::Microsecond, _)) {
            fields.push(Field::new(
                date_column(f.name()),
                DataType::Date32,
                f.is_nullable(),
            ));
        }
    }
    Arc::new(Schema::new(fields))
}

fn extend_batch(
    b: &RecordBatch,
    schema: &SchemaRef,
    local: &mut LocalDates,
) -> Result<RecordBatch, Error> {
    let mut cols: Vec<ArrayRef> = Vec::with_capacity(schema.fields().len());
    for c in b.columns() {
        cols.push(c.clone());
        if let Some(ts) = c.as_primitive_opt::<TimestampMicrosecondType>() {
            let dates: Date32Array = ts.iter().map(|v| v.map(|us| local.date(us))).collect();
            cols.push(Arc::new(dates));
        }
    }
    Ok(RecordBatch::try_new(schema.clone(), cols)?)
}

/// Local calendar dates of UTC instants, with the zone's offset cached per UTC day.
struct LocalDates {
    tz: Tz,
    /// UTC day → offset in seconds, where the offset is the same all day.
    offsets: HashMap<i64, Option<i64>>,
}

const DAY_US: i64 = 86_400_000_000;

impl LocalDates {
    fn new(tz: Tz) -> Self {
        LocalDates {
            tz,
            offsets: HashMap::new(),
        }
    }

    fn offset_at(&self, us: i64) -> i64 {
        match self.tz.timestamp_micros(us).single() {
            Some(t) => i64::from(t.offset().fix().local_minus_utc()),
            None => 0,
        }
    }

    fn date(&mut self, us: i64) -> i32 {
        let day = us.div_euclid(DAY_US);
        let tz_offset = match self.offsets.get(&day) {
            Some(o) => *o,
            None => {
                let a = self.offset_at(day * DAY_US);
                let b = self.offset_at((day + 1) * DAY_US - 1);
                let o = (a == b).then_some(a);
                self.offsets.insert(day, o);
                o
            }
        };
        let offset = tz_offset.unwrap_or_else(|| self.offset_at(us));
        (us + offset * 1_000_000).div_euclid(DAY_US) as i32
    }
}

fn date_from_days(days: i32) -> chrono::NaiveDate {
    chrono::NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default()
        + chrono::Duration::days(i64::from(days))
}

fn period_schema() -> SchemaRef {
    let ts = DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()));
    Arc::new(Schema::new(vec![
        Field::new("start_ts", ts.clone(), false),
        Field::new("end_ts", ts, false),
        Field::new("start_date", DataType::Date32, false),
        Field::new("end_date", DataType::Date32, false),
        Field::new("label", DataType::Utf8, false),
    ]))
}

fn period_batch(p: &Period, start: i64, end: i64) -> Result<RecordBatch, Error> {
    use datafusion::arrow::array::TimestampMicrosecondArray;
    let cols: Vec<ArrayRef> = vec![
        Arc::new(TimestampMicrosecondArray::from(vec![start]).with_timezone("UTC")),
        Arc::new(TimestampMicrosecondArray::from(vec![end]).with_timezone("UTC")),
        Arc::new(Date32Array::from(vec![days_since_epoch(p.first_day)])),
        Arc::new(Date32Array::from(vec![days_since_epoch(p.last_day)])),
        Arc::new(StringArray::from(vec![p.label()])),
    ];
    Ok(RecordBatch::try_new(period_schema(), cols)?)
}

impl Engine {
    /// The rows of the data each adjustment touches, in the file's order (over all the
    /// data, not one period). An adjustment that touches a row of another department
    /// than its appellant is refused, naming its line.
    pub async fn adjusted_rows(&self) -> Result<Vec<crate::adjust::Touched>, Error> {
        use datafusion::arrow::array::{Array, AsArray};
        let Some(adjustments) = self.adjustments() else {
            return Ok(Vec::new());
        };
        let lines = &adjustments.lines;
        let mut rows = vec![crate::adjust::Touched::default(); lines.len()];
        // One scan of each table adjusted: its rows that any line touches, with the
        // department they belong to and which lines touch them.
        for table in Table::ALL {
            let of: Vec<usize> = (0..lines.len())
                .filter(|&i| lines[i].table == table)
                .collect();
            let Some(any) = of.iter().map(|&i| lines[i].matches()).reduce(Expr::or) else {
                continue;
            };
            let mut columns = vec![col(crate::adjust::department_column(table))];
            columns.extend(
                of.iter()
                    .map(|&i| lines[i].matches().alias(format!("l{i}"))),
            );
            let batches = self
                .raw_table(table, |_| true)?
                .filter(any)?
                .select(columns)?
                .collect()
                .await?;
            for b in &batches {
                let owners = datafusion::arrow::compute::cast(b.column(0), &DataType::Utf8)?;
                let owners = owners.as_string::<i32>();
                for (k, &i) in of.iter().enumerate() {
                    let touches = b.column(k + 1).as_boolean();
                    let (a, touched) = (&lines[i], &mut rows[i]);
                    for r in (0..b.num_rows()).filter(|&r| touches.is_valid(r) && touches.value(r))
                    {
                        let whose = owners.is_valid(r).then(|| owners.value(r));
                        if let Some(appellant) = &a.department_id
                            && whose != Some(appellant.as_str())
                        {
                            return Err(Error::Adjustments {
                                path: adjustments.path.clone(),
                                line: a.line,
                                field: Some("department_id".into()),
                                reason: format!(
                                    "the {} it names is {}'s, not {appellant}'s",
                                    table.name(),
                                    whose.unwrap_or("no department")
                                ),
                                hint: Some("an adjustment touches only its appellant's rows: check the id and the department".into()),
                            });
                        }
                        touched.rows += 1;
                        if let Some(w) = whose
                            && !touched.departments.iter().any(|d| d == w)
                        {
                            touched.departments.push(w.to_string());
                        }
                    }
                }
            }
        }
        for touched in &mut rows {
            touched.departments.sort();
        }
        Ok(rows)
    }
}
