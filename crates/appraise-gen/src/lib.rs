//! Deterministic synthetic data shaped like a province's exchange platform and service
//! system, for demos, tests and benchmarks.
//!
//! The same options and seed give the same files, byte for byte. Departments have a
//! heavy-tailed propensity to share and their own response-time median, so an
//! appraisal over the data shows a real spread. Rows are written as they are made, so
//! a hundred million exchanges need no more memory than a thousand.
//!
//! With a bad-row rate, every table but `departments` gets extra rows that each break
//! exactly one rule of the contract (or repeat a row), and the report says how many of
//! each kind went into each table: loading the files must reject or count as
//! duplicates exactly those.
//!
//! The main entry is [`generate`], with its [`GenerateOptions`]:
//!
//! ```no_run
//! use appraise_gen::{GenerateOptions, generate};
//!
//! let opts = GenerateOptions { exchanges: 10_000, out: "data".into(), ..Default::default() };
//! let report = generate(&opts)?;
//! println!("{} exchanges written", report.rows["exchanges"]);
//! # Ok::<(), appraise_data::Error>(())
//! ```
#![deny(missing_docs)]

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{Datelike, NaiveDate, Offset, TimeZone, Timelike, Weekday};
use chrono_tz::Tz;
use datafusion::arrow::datatypes::{Field, Schema};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::parquet::arrow::ArrowWriter;
use datafusion::parquet::basic::{Compression, ZstdLevel};
use datafusion::parquet::file::properties::WriterProperties;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, LogNormal};
use serde::Serialize;

use appraise_data::{Builder, Error, Reason, Table, Val};

mod bad;
mod province;
mod traffic;
mod write;
mod xroad;

use bad::*;
use province::*;
use traffic::*;
use write::*;
pub use xroad::XroadTruth;

/// The file format the generator writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
pub enum OutputFormat {
    /// CSV, UTF-8, timestamps as local time.
    #[default]
    Csv,
    /// Parquet (zstd), typed columns.
    Parquet,
    /// X-Road operational-monitoring records of the exchanges (`records.ndjson`), and
    /// the mapping of members to departments (`mapping.csv`).
    Xroad,
}

/// What to generate.
#[derive(Debug, Clone)]
pub struct GenerateOptions {
    /// Seed of the random generator; the same seed gives the same files.
    pub seed: u64,
    /// Number of departments (at least 3: one per level).
    pub departments: usize,
    /// First day of the data.
    pub start: NaiveDate,
    /// Number of months covered.
    pub months: u32,
    /// Number of exchanges.
    pub exchanges: u64,
    /// Number of service cases.
    pub services: u64,
    /// Number of share requests.
    pub share_requests: u64,
    /// Share of extra bad rows per good row (0 = none).
    pub bad_rows: f64,
    /// Output format.
    pub format: OutputFormat,
    /// Output folder.
    pub out: PathBuf,
    /// Zone the local timestamps are written in.
    pub timezone: Tz,
    /// The working-day calendar's exceptions (date → working day), for traffic that
    /// follows it: quiet on holidays, busy on make-up working days. Without it every
    /// weekday is a working day.
    pub workdays: Option<BTreeMap<NaiveDate, bool>>,
    /// Anomalies to plant in the exchanges ([`Planted`]), listed in
    /// `planted_anomalies.csv`.
    pub anomalies: u64,
}

impl Default for GenerateOptions {
    fn default() -> Self {
        GenerateOptions {
            seed: 1,
            departments: 60,
            start: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap_or_default(),
            months: 9,
            exchanges: 100_000,
            services: 20_000,
            share_requests: 2_000,
            bad_rows: 0.0,
            format: OutputFormat::Csv,
            out: PathBuf::from("data"),
            timezone: appraise_data::DEFAULT_TIMEZONE,
            workdays: None,
            anomalies: 0,
        }
    }
}

/// What was written.
#[derive(Debug, Clone, Default, Serialize)]
pub struct GenerateReport {
    /// Rows written per table, bad rows included.
    pub rows: BTreeMap<String, u64>,
    /// Bad rows injected per table and kind: a [`Reason`] name, or `duplicate`.
    pub injected: BTreeMap<String, BTreeMap<String, u64>>,
    /// The files written.
    pub files: Vec<PathBuf>,
    /// For X-Road records: what went into them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub xroad: Option<XroadTruth>,
    /// The anomalies planted in the exchanges.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub planted: Vec<Planted>,
}

/// One anomaly planted in the exchanges of a providing department on one local
/// working day (at least 8 weeks after the start, so that a detector has a baseline).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Planted {
    /// The providing department.
    pub department_id: String,
    /// The local day (`YYYY-MM-DD`).
    pub day: String,
    /// `outage`, `latency_regression` or `spike`.
    pub kind: &'static str,
    /// How: `failures` (every exchange fails) or `silence` (9 in 10 never happen) for
    /// an outage; `slow` (responses 4 × slower); `fourfold` (4 × the exchanges).
    pub how: &'static str,
}

/// Writes the five tables into `opts.out`.
pub fn generate(opts: &GenerateOptions) -> Result<GenerateReport, Error> {
    if opts.departments < 3 {
        return Err(Error::Input {
            reason: format!("--departments {} is too few", opts.departments),
            hint: Some("at least 3 (one per level) are needed".into()),
        });
    }
    if opts.months == 0 || !(0.0..=1.0).contains(&opts.bad_rows) {
        return Err(Error::Input {
            reason: "--months must be at least 1 and --bad-rows within 0..1".into(),
            hint: None,
        });
    }
    std::fs::create_dir_all(&opts.out).map_err(|e| Error::io(&opts.out, e))?;
    let mut g = Gen::new(opts);
    if opts.format == OutputFormat::Xroad {
        return xroad::generate(&mut g);
    }
    let mut report = GenerateReport::default();
    let depts = g.departments();
    let mut w = g.writer(Table::Departments)?;
    for d in &depts {
        w.write(&d.row(), &Damage::None)?;
    }
    report.record(Table::Departments, w.finish()?, BTreeMap::new());

    let catalog = g.catalog(&depts);
    let world = World::new(&depts, &catalog);
    let mut emitter = g.emitter(Table::Catalog)?;
    for r in &catalog {
        emitter.emit(&mut g, r.row.clone())?;
    }
    report.finish(Table::Catalog, emitter)?;

    let planted = g.plant(&world);
    let emitter = g.write_exchanges(&world, &planted)?;
    report.finish(Table::Exchanges, emitter)?;
    if opts.anomalies > 0 {
        let mut list: Vec<Planted> = planted.into_values().collect();
        list.sort_by(|a, b| (&a.day, &a.department_id).cmp(&(&b.day, &b.department_id)));
        write_planted(&opts.out, &list)?;
        report.planted = list;
    }
    let emitter = g.write_rows(
        Table::ShareRequests,
        opts.share_requests,
        &world,
        Gen::share_request,
    )?;
    report.finish(Table::ShareRequests, emitter)?;
    let emitter = g.write_rows(Table::Services, opts.services, &world, Gen::service)?;
    report.finish(Table::Services, emitter)?;
    Ok(report)
}

impl GenerateReport {
    fn record(
        &mut self,
        table: Table,
        (path, rows): (PathBuf, u64),
        injected: BTreeMap<String, u64>,
    ) {
        self.rows.insert(table.name().into(), rows);
        self.files.push(path);
        if !injected.is_empty() {
            self.injected.insert(table.name().into(), injected);
        }
    }

    fn finish(&mut self, table: Table, e: Emitter) -> Result<(), Error> {
        let written = e.writer.finish()?;
        self.record(table, written, e.injected);
        Ok(())
    }
}

type Row = Vec<Val<'static>>;

/// The departments and catalog, indexed for drawing millions of rows quickly.
struct World<'a> {
    depts: &'a [Dept],
    /// Cumulative sharing propensity: a provider is drawn by binary search.
    provider_cdf: Vec<f64>,
    /// Per department, its shareable resources' ids.
    shareable: Vec<Vec<&'a str>>,
    /// Per department, its conditional resources' ids.
    conditional: Vec<Vec<&'a str>>,
}

impl<'a> World<'a> {
    fn new(depts: &'a [Dept], catalog: &'a [Resource]) -> Self {
        let mut acc = 0.0;
        let provider_cdf = depts
            .iter()
            .map(|d| {
                acc += d.share;
                acc
            })
            .collect();
        let mut shareable = vec![Vec::new(); depts.len()];
        let mut conditional = vec![Vec::new(); depts.len()];
        for r in catalog {
            if r.shareable {
                shareable[r.owner].push(r.id.as_str());
            }
            if r.row[3] == Val::Str("conditional") {
                conditional[r.owner].push(r.id.as_str());
            }
        }
        World {
            depts,
            provider_cdf,
            shareable,
            conditional,
        }
    }
}

struct Gen<'o> {
    opts: &'o GenerateOptions,
    rng: ChaCha8Rng,
    /// The planted anomalies' own generator, so that planting none changes nothing.
    plant_rng: ChaCha8Rng,
    /// Start and end (exclusive) of the data, microseconds UTC.
    start_us: i64,
    end_us: i64,
}

impl<'o> Gen<'o> {
    fn new(opts: &'o GenerateOptions) -> Self {
        let start = local_midnight(opts.timezone, opts.start);
        let end_date = add_months(opts.start, opts.months);
        let end = local_midnight(opts.timezone, end_date);
        Gen {
            opts,
            rng: ChaCha8Rng::seed_from_u64(opts.seed),
            plant_rng: ChaCha8Rng::seed_from_u64(opts.seed ^ 0x616e_6f6d_616c_7920),
            start_us: start,
            end_us: end,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn planted_anomalies_change_only_their_providers_days() {
        // Long: two generations, without and with planted anomalies, compared row by
        // row: every row changed, dropped or added must be one a planted anomaly
        // explains, and every anomaly must fall on a day of its kind.
        let tmp = tempfile::tempdir().unwrap();
        let run = |name: &str, anomalies: u64| {
            let out = tmp.path().join(name);
            let report = generate(&GenerateOptions {
                departments: 12,
                months: 3,
                exchanges: 20_000,
                services: 100,
                share_requests: 20,
                out: out.clone(),
                // A Monday as a rest day, a Sunday as a working day.
                workdays: Some(BTreeMap::from([
                    (NaiveDate::from_ymd_opt(2026, 3, 2).unwrap(), false),
                    (NaiveDate::from_ymd_opt(2026, 3, 8).unwrap(), true),
                ])),
                anomalies,
                ..Default::default()
            })
            .unwrap();
            let text = std::fs::read_to_string(out.join("exchanges.csv")).unwrap();
            // Every 20th row writes its times with `T` and the offset: the same time.
            let local = |f: &str| match f.split_once('T') {
                Some((d, t)) => format!("{d} {}", &t[..t.len() - 6]),
                None => f.to_string(),
            };
            let rows: BTreeMap<String, String> = text
                .lines()
                .skip(1)
                .map(|l| {
                    let mut f: Vec<String> = l.split(',').map(String::from).collect();
                    f[1] = local(&f[1]);
                    f[2] = local(&f[2]);
                    (f[0].clone(), f.join(","))
                })
                .collect();
            (report.planted, rows)
        };
        let (none, clean) = run("clean", 0);
        let (planted, with) = run("planted", 8);
        assert!(none.is_empty());
        assert_eq!(planted.len(), 8);
        // A row's provider and local day (timestamps are written in local time).
        let key = |row: &str| {
            let f: Vec<&str> = row.split(',').collect();
            (f[4].to_string(), f[1][..10].to_string())
        };
        let how = |row: &str| {
            let k = key(row);
            planted
                .iter()
                .find(|p| (p.department_id.clone(), p.day.clone()) == k)
                .map(|p| p.how)
        };
        let mut seen = BTreeSet::new();
        for (id, row) in &clean {
            match with.get(id) {
                Some(w) if w == row => {}
                Some(w) => {
                    assert!(matches!(how(row), Some("failures" | "slow")), "{row} → {w}");
                    seen.insert(how(row));
                }
                None => {
                    assert_eq!(how(row), Some("silence"), "{row} dropped");
                    seen.insert(how(row));
                }
            }
        }
        for (id, row) in with.iter().filter(|(id, _)| !clean.contains_key(*id)) {
            assert_eq!(how(row), Some("fourfold"), "{id}: {row} added");
            seen.insert(how(row));
        }
        assert_eq!(
            seen.len(),
            4,
            "every way of planting changed rows: {seen:?}"
        );
        for p in &planted {
            let day: NaiveDate = p.day.parse().unwrap();
            assert!(
                day >= NaiveDate::from_ymd_opt(2026, 2, 26).unwrap(),
                "{p:?}"
            );
            assert!(
                day != NaiveDate::from_ymd_opt(2026, 3, 2).unwrap(),
                "a rest day: {p:?}"
            );
            let weekend = matches!(day.weekday(), Weekday::Sat | Weekday::Sun);
            assert!(!weekend || day == NaiveDate::from_ymd_opt(2026, 3, 8).unwrap());
        }
    }

    #[test]
    fn working_days_skip_weekends() {
        let tz = chrono_tz::Asia::Shanghai;
        // Friday 2026-07-03 10:00 local + 1.0 working day → Monday 2026-07-06, 08:30.
        let fri =
            local_midnight(tz, NaiveDate::from_ymd_opt(2026, 7, 3).unwrap()) + 10 * 3_600_000_000;
        let mon = local_midnight(tz, NaiveDate::from_ymd_opt(2026, 7, 6).unwrap())
            + 8 * 3_600_000_000
            + 1_800_000_000;
        assert_eq!(add_working_days(fri, 1.0, tz), mon);
    }

    #[test]
    fn the_timeline_stays_in_order_and_in_span() {
        let tz = chrono_tz::Asia::Shanghai;
        let start = local_midnight(tz, NaiveDate::from_ymd_opt(2026, 7, 1).unwrap());
        let end = local_midnight(tz, NaiveDate::from_ymd_opt(2026, 8, 1).unwrap());
        let mut tl = Timeline::new(start, end, 10_000, tz, None);
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let times: Vec<i64> = (0..10_000).map(|_| tl.next(&mut rng)).collect();
        assert!(times.iter().all(|t| (start..end).contains(t)));
        // Events land in the hour slots in order (within one hour of jitter).
        assert!(times.windows(2).all(|w| w[1] + 3_600_000_000 > w[0]));
        // Most events fall on weekdays in office hours.
        let office = times
            .iter()
            .filter(|t| {
                let l = tz.timestamp_micros(**t).unwrap();
                (8..18).contains(&l.hour()) && !matches!(l.weekday(), Weekday::Sat | Weekday::Sun)
            })
            .count();
        assert!(office > 7_000, "{office}");
    }
}
