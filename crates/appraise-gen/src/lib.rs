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

mod xroad;
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
    let mut emitter = g.emitter(Table::Exchanges)?;
    let mut times = g.timeline(opts.exchanges);
    let mut extra = opts.exchanges;
    for i in 0..opts.exchanges {
        let t = times.next(&mut g.rng);
        let mut row = g.exchange(i, t, &world);
        let how = match &row[4] {
            Val::Owned(provider) if !planted.is_empty() => {
                let day = opts
                    .timezone
                    .timestamp_micros(t)
                    .single()
                    .map(|l| l.date_naive());
                day.and_then(|d| planted.get(&(provider.clone(), d)).map(|p| p.how))
            }
            _ => None,
        };
        match how {
            Some("failures") => {
                row[6] = Val::Str("failed");
                row[7] = Val::Int(0);
                row[8] = Val::Int(0);
            }
            Some("silence") if g.plant_rng.random_bool(0.9) => continue,
            Some("slow") => {
                if let Val::Ts(at) = row[2] {
                    row[2] = ts(t + (at - t) * 4);
                }
            }
            Some("fourfold") => {
                for k in 1..=3 {
                    extra += 1;
                    let mut copy = row.clone();
                    copy[0] = Val::Owned(format!("E{extra:010}"));
                    let shift = k * 1_000_000;
                    copy[1] = ts(t + shift);
                    if let Val::Ts(at) = copy[2] {
                        copy[2] = ts(at + shift);
                    }
                    emitter.emit(&mut g, copy)?;
                }
            }
            _ => {}
        }
        emitter.emit(&mut g, row)?;
    }
    report.finish(Table::Exchanges, emitter)?;
    if opts.anomalies > 0 {
        let mut list: Vec<Planted> = planted.into_values().collect();
        list.sort_by(|a, b| (&a.day, &a.department_id).cmp(&(&b.day, &b.department_id)));
        write_planted(&opts.out, &list)?;
        report.planted = list;
    }

    let mut emitter = g.emitter(Table::ShareRequests)?;
    let mut times = g.timeline(opts.share_requests);
    for i in 0..opts.share_requests {
        let t = times.next(&mut g.rng);
        let row = g.share_request(i, t, &world);
        emitter.emit(&mut g, row)?;
    }
    report.finish(Table::ShareRequests, emitter)?;

    let mut emitter = g.emitter(Table::Services)?;
    let mut times = g.timeline(opts.services);
    for i in 0..opts.services {
        let t = times.next(&mut g.rng);
        let row = g.service(i, t, &world);
        emitter.emit(&mut g, row)?;
    }
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

/// How a row is spoiled on its way out.
enum Damage {
    None,
    /// Write this text in place of the column's value (CSV only).
    Text(usize, &'static str),
    /// Add a field the header does not have (CSV only).
    ExtraField,
}

/// One generated department.
struct Dept {
    id: String,
    name: String,
    name_en: String,
    level: &'static str,
    parent: Option<String>,
    region: String,
    /// Relative weight as a data provider (heavy-tailed).
    share: f64,
    /// Median response time in milliseconds.
    median_ms: f64,
    /// Chance that an exchange it serves fails.
    fail_rate: f64,
    /// Median working days to decide a share request.
    decision_days: f64,
    /// Chance that a service case uses an online channel.
    online: f64,
    /// Chance that a catalog resource is kept up to date.
    diligence: f64,
}

impl Dept {
    fn row(&self) -> Row {
        vec![
            Val::Owned(self.id.clone()),
            Val::Owned(self.name.clone()),
            Val::Owned(self.name_en.clone()),
            Val::Str(self.level),
            self.parent.clone().map_or(Val::Null, Val::Owned),
            Val::Owned(self.region.clone()),
            Val::Str(self.level),
        ]
    }
}

struct Resource {
    id: String,
    owner: usize,
    shareable: bool,
    row: Row,
}

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

const PROVINCE_BUREAUS: &[(&str, &str, &str)] = &[
    ("GA", "公安厅", "Department of Public Security"),
    ("MZ", "民政厅", "Department of Civil Affairs"),
    (
        "RS",
        "人力资源和社会保障厅",
        "Department of Human Resources and Social Security",
    ),
    ("ZR", "自然资源厅", "Department of Natural Resources"),
    ("HB", "生态环境厅", "Department of Ecology and Environment"),
    (
        "ZJ",
        "住房和城乡建设厅",
        "Department of Housing and Urban-Rural Development",
    ),
    ("JT", "交通运输厅", "Department of Transport"),
    (
        "NY",
        "农业农村厅",
        "Department of Agriculture and Rural Affairs",
    ),
    ("SW", "商务厅", "Department of Commerce"),
    ("WJ", "卫生健康委员会", "Health Commission"),
    (
        "SJ",
        "市场监督管理局",
        "Administration for Market Regulation",
    ),
    ("JY", "教育厅", "Department of Education"),
    ("KJ", "科学技术厅", "Department of Science and Technology"),
    ("CZ", "财政厅", "Department of Finance"),
    ("SF", "司法厅", "Department of Justice"),
    ("WL", "文化和旅游厅", "Department of Culture and Tourism"),
    ("YJ", "应急管理厅", "Department of Emergency Management"),
    ("YB", "医疗保障局", "Healthcare Security Administration"),
    ("TJ", "统计局", "Bureau of Statistics"),
    ("SL", "水利厅", "Department of Water Resources"),
    (
        "FG",
        "发展和改革委员会",
        "Development and Reform Commission",
    ),
    (
        "GX",
        "工业和信息化厅",
        "Department of Industry and Information Technology",
    ),
    ("TY", "退役军人事务厅", "Department of Veterans Affairs"),
    ("ZW", "政务服务管理办公室", "Government Services Office"),
    ("DS", "大数据管理中心", "Big Data Management Centre"),
    ("GJ", "住房公积金管理中心", "Housing Provident Fund Centre"),
];

const CITIES: &[(&str, &str, &str)] = &[
    ("320100", "南京市", "Nanjing"),
    ("320200", "无锡市", "Wuxi"),
    ("320300", "徐州市", "Xuzhou"),
    ("320400", "常州市", "Changzhou"),
    ("320500", "苏州市", "Suzhou"),
    ("320600", "南通市", "Nantong"),
    ("320700", "连云港市", "Lianyungang"),
    ("320800", "淮安市", "Huai'an"),
    ("320900", "盐城市", "Yancheng"),
    ("321000", "扬州市", "Yangzhou"),
    ("321100", "镇江市", "Zhenjiang"),
    ("321200", "泰州市", "Taizhou"),
    ("321300", "宿迁市", "Suqian"),
];

const CITY_BUREAUS: &[(&str, &str, &str)] = &[
    ("SJJ", "数据局", "Data Bureau"),
    ("GA", "公安局", "Public Security Bureau"),
    (
        "RS",
        "人力资源和社会保障局",
        "Human Resources and Social Security Bureau",
    ),
    ("SJ", "市场监督管理局", "Market Regulation Bureau"),
    ("WJ", "卫生健康委员会", "Health Commission"),
    (
        "ZR",
        "自然资源和规划局",
        "Natural Resources and Planning Bureau",
    ),
    ("SP", "行政审批局", "Administrative Approval Bureau"),
];

/// (city index, region code, Chinese name, English name)
const COUNTIES: &[(usize, &str, &str, &str)] = &[
    (0, "320115", "江宁区", "Jiangning District"),
    (0, "320111", "浦口区", "Pukou District"),
    (1, "320281", "江阴市", "Jiangyin"),
    (1, "320282", "宜兴市", "Yixing"),
    (2, "320321", "丰县", "Feng County"),
    (2, "320322", "沛县", "Pei County"),
    (3, "320481", "溧阳市", "Liyang"),
    (4, "320581", "常熟市", "Changshu"),
    (4, "320582", "张家港市", "Zhangjiagang"),
    (4, "320583", "昆山市", "Kunshan"),
    (4, "320585", "太仓市", "Taicang"),
    (5, "320685", "海安市", "Hai'an"),
    (5, "320682", "如皋市", "Rugao"),
    (5, "320681", "启东市", "Qidong"),
    (6, "320722", "东海县", "Donghai County"),
    (6, "320723", "灌云县", "Guanyun County"),
    (7, "320826", "涟水县", "Lianshui County"),
    (7, "320830", "盱眙县", "Xuyi County"),
    (8, "320981", "东台市", "Dongtai"),
    (8, "320925", "建湖县", "Jianhu County"),
    (9, "321081", "仪征市", "Yizheng"),
    (9, "321084", "高邮市", "Gaoyou"),
    (10, "321181", "丹阳市", "Danyang"),
    (10, "321183", "句容市", "Jurong"),
    (11, "321281", "兴化市", "Xinghua"),
    (11, "321282", "靖江市", "Jingjiang"),
    (12, "321322", "沭阳县", "Shuyang County"),
    (12, "321323", "泗阳县", "Siyang County"),
];

const COUNTY_BUREAUS: &[(&str, &str, &str)] = &[
    ("SP", "行政审批局", "Administrative Approval Bureau"),
    ("GA", "公安分局", "Public Security Sub-bureau"),
    (
        "RS",
        "人力资源和社会保障局",
        "Human Resources and Social Security Bureau",
    ),
    ("SJ", "市场监督管理局", "Market Regulation Bureau"),
];

const RESOURCE_TOPICS: &[&str] = &[
    "户籍人口信息",
    "企业登记信息",
    "社保缴纳记录",
    "不动产登记信息",
    "医疗机构名录",
    "道路运输许可",
    "行政处罚信息",
    "学籍信息",
    "婚姻登记信息",
    "残疾人证信息",
    "环境监测数据",
    "公积金缴存信息",
    "营业执照信息",
    "出生医学证明",
    "低保救助信息",
];

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

    fn writer(&self, table: Table) -> Result<TableWriter, Error> {
        TableWriter::create(&self.opts.out, table, self.opts.format, self.opts.timezone)
    }

    fn emitter(&self, table: Table) -> Result<Emitter, Error> {
        Ok(Emitter {
            table,
            writer: self.writer(table)?,
            rate: self.opts.bad_rows,
            csv: self.opts.format == OutputFormat::Csv,
            last_good: None,
            serial: 0,
            injected: BTreeMap::new(),
        })
    }

    fn departments(&mut self) -> Vec<Dept> {
        let n = self.opts.departments;
        let n_province = (n * 3 / 10).max(1);
        let n_city = (n * 4 / 10).max(1);
        let n_county = n - n_province - n_city;
        let share = LogNormal::new(0.0, 1.3).expect("valid parameters");
        let mut out = Vec::with_capacity(n);
        let mut push =
            |g: &mut Self, id: String, name: String, en: String, level, parent, region| {
                let rng = &mut g.rng;
                out.push(Dept {
                    id,
                    name,
                    name_en: en,
                    level,
                    parent,
                    region,
                    share: share.sample(rng),
                    median_ms: LogNormal::new(6.5, 0.7).expect("valid").sample(rng),
                    fail_rate: rng.random_range(0.002..0.08),
                    decision_days: rng.random_range(0.8..9.0),
                    online: rng.random_range(0.35..0.95),
                    diligence: rng.random_range(0.3..0.98),
                });
            };
        for i in 0..n_province {
            let (code, zh, en) = PROVINCE_BUREAUS[i % PROVINCE_BUREAUS.len()];
            let round = i / PROVINCE_BUREAUS.len();
            let id = suffixed(format!("320000-{code}"), round);
            let name = format!("省{zh}{}", round_zh(round));
            let en = format!("Provincial {en}{}", round_en(round));
            push(self, id, name, en, "province", None, "320000".into());
        }
        let mut city_ids = vec![None; CITIES.len()];
        for i in 0..n_city {
            let c = i % CITIES.len();
            let b = i / CITIES.len();
            let (code, zh, en) = CITY_BUREAUS[b % CITY_BUREAUS.len()];
            let round = b / CITY_BUREAUS.len();
            let (region, city_zh, city_en) = CITIES[c];
            let id = suffixed(format!("{region}-{code}"), round);
            city_ids[c].get_or_insert_with(|| id.clone());
            let name = format!("{city_zh}{zh}{}", round_zh(round));
            let en = format!("{city_en} {en}{}", round_en(round));
            push(self, id, name, en, "city", None, region.into());
        }
        for i in 0..n_county {
            let k = i % COUNTIES.len();
            let b = i / COUNTIES.len();
            let (city, region, zh, en_place) = COUNTIES[k];
            let (code, bz, be) = COUNTY_BUREAUS[b % COUNTY_BUREAUS.len()];
            let round = b / COUNTY_BUREAUS.len();
            let id = suffixed(format!("{region}-{code}"), round);
            let parent = city_ids[city].clone().or_else(|| city_ids[0].clone());
            let name = format!("{zh}{bz}{}", round_zh(round));
            let en = format!("{en_place} {be}{}", round_en(round));
            push(self, id, name, en, "county", parent, region.into());
        }
        out
    }

    fn catalog(&mut self, depts: &[Dept]) -> Vec<Resource> {
        let mut out = Vec::new();
        // The metadata columns come from a generator of their own, so that the rows of
        // every table are those the seed gave before they existed.
        let mut meta = ChaCha8Rng::seed_from_u64(self.opts.seed ^ 0x6d65_7461_6461_7461);
        let registered_from = self.start_us - 3 * 365 * DAY_US;
        for (d_ix, d) in depts.iter().enumerate() {
            let n = 2 + (d.share * 4.0).round().min(20.0) as usize + self.rng.random_range(0..3);
            for k in 0..n {
                let id = format!("R-{}-{:03}", d.id, k + 1);
                let open = 0.2 + 0.6 * d.diligence;
                let share_type = pick(
                    &mut self.rng,
                    &[
                        ("unconditional", open),
                        ("conditional", 0.8 - open * 0.5),
                        ("none", 0.25),
                    ],
                );
                let open_type = pick(
                    &mut self.rng,
                    &[("open", 0.3), ("conditional", 0.3), ("closed", 0.4)],
                );
                let cycle = pick(
                    &mut self.rng,
                    &[
                        ("realtime", 0.1),
                        ("daily", 0.25),
                        ("weekly", 0.15),
                        ("monthly", 0.25),
                        ("quarterly", 0.1),
                        ("yearly", 0.05),
                        ("irregular", 0.1),
                    ],
                );
                // A few resources are registered during the data's span.
                let registered = if self.rng.random_bool(0.85) {
                    self.rng.random_range(registered_from..self.start_us)
                } else {
                    self.rng.random_range(self.start_us..self.end_us)
                };
                let allowance = cycle_allowance_days(cycle).unwrap_or(60) * DAY_US;
                let updated = if self.rng.random_bool(0.1) {
                    None
                } else if self.rng.random_bool(d.diligence) {
                    // Kept up to date as of the end of the data.
                    Some(
                        (self.end_us - self.rng.random_range(DAY_US / 4..allowance))
                            .max(registered),
                    )
                } else {
                    Some(
                        self.rng
                            .random_range(registered..=registered.max(self.end_us - allowance * 2)),
                    )
                };
                let topic = RESOURCE_TOPICS[self.rng.random_range(0..RESOURCE_TOPICS.len())];
                let title = format!("{}{}", d.name, topic);
                let metadata =
                    metadata(&mut meta, d.diligence, &title, topic, share_type, open_type);
                let mut row = vec![
                    Val::Owned(id.clone()),
                    Val::Owned(d.id.clone()),
                    Val::Owned(title),
                    Val::Str(share_type),
                    Val::Str(open_type),
                    Val::Str(cycle),
                    ts(registered),
                    updated.map_or(Val::Null, ts),
                ];
                row.extend(metadata);
                out.push(Resource {
                    id,
                    owner: d_ix,
                    shareable: share_type != "none",
                    row,
                });
            }
        }
        out
    }

    fn timeline(&mut self, n: u64) -> Timeline {
        Timeline::new(
            self.start_us,
            self.end_us,
            n,
            self.opts.timezone,
            self.opts.workdays.as_ref(),
        )
    }

    /// The anomalies to plant, by (provider, day): each on a working day at least 8
    /// weeks after the start, at one of the busiest quarter of providers (so that its
    /// traffic is enough to tell), no two on one provider's day; the kinds in turn.
    fn plant(&mut self, w: &World<'_>) -> BTreeMap<(String, NaiveDate), Planted> {
        const HOW: [(&str, &str); 4] = [
            ("outage", "failures"),
            ("latency_regression", "slow"),
            ("spike", "fourfold"),
            ("outage", "silence"),
        ];
        let mut planted = BTreeMap::new();
        let mut busiest: Vec<usize> = (0..w.depts.len()).collect();
        busiest.sort_by(|&a, &b| w.depts[b].share.total_cmp(&w.depts[a].share));
        busiest.truncate(w.depts.len().div_ceil(4));
        let first = self.opts.start + chrono::Days::new(56);
        let last = add_months(self.opts.start, self.opts.months) - chrono::Days::new(1);
        let days: Vec<NaiveDate> = first
            .iter_days()
            .take_while(|d| *d <= last)
            .filter(|d| is_working(self.opts.workdays.as_ref(), *d))
            .collect();
        if days.is_empty() {
            return planted;
        }
        let mut tries = 0;
        while (planted.len() as u64) < self.opts.anomalies && tries < 100 * self.opts.anomalies {
            tries += 1;
            let d = days[self.plant_rng.random_range(0..days.len())];
            let p = busiest[self.plant_rng.random_range(0..busiest.len())];
            let id = w.depts[p].id.clone();
            let (kind, how) = HOW[planted.len() % HOW.len()];
            planted.entry((id.clone(), d)).or_insert(Planted {
                department_id: id,
                day: d.to_string(),
                kind,
                how,
            });
        }
        planted
    }

    fn pick_provider(&mut self, w: &World<'_>) -> usize {
        // Weighted by sharing propensity: a few departments serve most exchanges.
        let total = w.provider_cdf.last().copied().unwrap_or(1.0);
        let x = self.rng.random_range(0.0..total);
        w.provider_cdf
            .partition_point(|&c| c <= x)
            .min(w.depts.len() - 1)
    }

    fn pick_resource(&mut self, ids: &[&str]) -> Val<'static> {
        if ids.is_empty() {
            Val::Null
        } else {
            Val::Owned(ids[self.rng.random_range(0..ids.len())].to_string())
        }
    }

    fn exchange(&mut self, i: u64, t: i64, w: &World<'_>) -> Row {
        let depts = w.depts;
        let p = self.pick_provider(w);
        let c = if self.rng.random_bool(0.02) {
            p
        } else {
            self.other(p, depts.len())
        };
        let d = &depts[p];
        let resource = if self.rng.random_bool(0.05) {
            Val::Null
        } else {
            self.pick_resource(&w.shareable[p])
        };
        let roll: f64 = self.rng.random();
        let status = if roll < d.fail_rate * 0.5 {
            "failed"
        } else if roll < d.fail_rate * 0.7 {
            "rejected"
        } else if roll < d.fail_rate {
            "timeout"
        } else {
            "success"
        };
        let latency_ms = LogNormal::new(d.median_ms.ln(), 0.6)
            .expect("valid")
            .sample(&mut self.rng);
        let responded = match status {
            "success" if self.rng.random_bool(0.99) => ts(t + (latency_ms * 1000.0) as i64),
            "failed" | "rejected" => ts(t + (latency_ms * 300.0) as i64),
            _ => Val::Null,
        };
        let records = if status == "success" {
            let n = LogNormal::new(3.5 + d.share.ln().max(-2.0), 1.4)
                .expect("valid")
                .sample(&mut self.rng);
            if self.rng.random_bool(0.03) {
                Val::Null
            } else {
                Val::Int(n as i64)
            }
        } else {
            Val::Int(0)
        };
        let bytes = match records {
            Val::Int(n) => Val::Int(n * self.rng.random_range(120..900) + 512),
            _ => Val::Null,
        };
        let mode = pick(&mut self.rng, &[("api", 0.7), ("file", 0.2), ("sync", 0.1)]);
        vec![
            Val::Owned(format!("E{:010}", i + 1)),
            ts(t),
            responded,
            Val::Owned(depts[c].id.clone()),
            Val::Owned(d.id.clone()),
            resource,
            Val::Str(status),
            records,
            bytes,
            Val::Str(mode),
        ]
    }

    fn other(&mut self, not: usize, n: usize) -> usize {
        let k = self.rng.random_range(0..n - 1);
        if k >= not { k + 1 } else { k }
    }

    fn share_request(&mut self, i: u64, t: i64, w: &World<'_>) -> Row {
        let depts = w.depts;
        let p = self.pick_provider(w);
        let c = self.other(p, depts.len());
        let d = &depts[p];
        let resource = self.pick_resource(&w.conditional[p]);
        let days = LogNormal::new(d.decision_days.ln(), 0.7)
            .expect("valid")
            .sample(&mut self.rng);
        let decided = add_working_days(t, days, self.opts.timezone);
        let (decided_at, decision) = if decided >= self.end_us {
            (Val::Null, "pending")
        } else if self.rng.random_bool(0.8) {
            (ts(decided), "approved")
        } else {
            (ts(decided), "rejected")
        };
        vec![
            Val::Owned(format!("Q{:08}", i + 1)),
            Val::Owned(depts[c].id.clone()),
            Val::Owned(d.id.clone()),
            resource,
            ts(t),
            decided_at,
            Val::Str(decision),
        ]
    }

    /// Service case `i`, submitted at `t`. Long on purpose: the random draws stay in
    /// one place, in the order that makes a seed give the same rows.
    fn service(&mut self, i: u64, t: i64, w: &World<'_>) -> Row {
        let depts = w.depts;
        // Cities and counties handle most cases.
        let d_ix = loop {
            let k = self.rng.random_range(0..depts.len());
            if depts[k].level != "province" || self.rng.random_bool(0.3) {
                break k;
            }
        };
        let d = &depts[d_ix];
        let channel = if self.rng.random_bool(d.online) {
            pick(
                &mut self.rng,
                &[("online", 0.5), ("mobile", 0.4), ("self_service", 0.1)],
            )
        } else {
            "hall"
        };
        let promised = if self.rng.random_bool(0.1) {
            None
        } else {
            Some(
                *[0i64, 1, 3, 5, 10, 15, 20]
                    .get(self.rng.random_range(0..7))
                    .unwrap_or(&5),
            )
        };
        let status = pick(
            &mut self.rng,
            &[
                ("completed", 0.85),
                ("rejected", 0.05),
                ("withdrawn", 0.03),
                ("in_progress", 0.07),
            ],
        );
        let limit = promised.unwrap_or(5) as f64;
        let late = self.rng.random_bool(1.0 - d.diligence * 0.9);
        let days = if late {
            limit + self.rng.random_range(0.5..6.0)
        } else {
            self.rng.random_range(0.0..=limit.max(0.2))
        };
        let completed = match status {
            "in_progress" | "withdrawn" => Val::Null,
            _ => ts(add_working_days(t, days, self.opts.timezone)),
        };
        let rating = if self.rng.random_bool(0.45) {
            Val::Null
        } else {
            let good = 0.55 + 0.4 * d.diligence;
            Val::Int(if self.rng.random_bool(good) {
                self.rng.random_range(4..=5)
            } else {
                self.rng.random_range(1..=3)
            })
        };
        let visits = if self.rng.random_bool(0.05) {
            Val::Null
        } else if channel == "hall" {
            Val::Int(self.rng.random_range(1..=3))
        } else {
            Val::Int(i64::from(self.rng.random_bool(0.08)))
        };
        let reuse = if self.rng.random_bool(0.1) {
            Val::Null
        } else {
            Val::Bool(self.rng.random_bool(d.diligence * 0.8))
        };
        let applicant = Val::Owned(format!(
            "320{:015}",
            self.rng.random_range(0..10u64.pow(15))
        ));
        vec![
            Val::Owned(format!("C{:010}", i + 1)),
            Val::Owned(d.id.clone()),
            Val::Owned(format!("SV{:04}", self.rng.random_range(1..=240))),
            Val::Str(channel),
            ts(t),
            completed,
            promised.map_or(Val::Null, Val::Int),
            Val::Str(status),
            rating,
            visits,
            reuse,
            applicant,
        ]
    }
}

const DAY_US: i64 = 86_400_000_000;

/// A timestamp cut to the millisecond: the precision the CSV files carry, so that CSV
/// and Parquet output hold the same values.
fn ts(us: i64) -> Val<'static> {
    Val::Ts(us - us.rem_euclid(1000))
}

/// A resource's description, format, keywords, share condition and licence: each
/// filled in more often the more diligent its department, a required one sometimes
/// left out, and now and then a format no catalog recognises.
fn metadata(
    rng: &mut ChaCha8Rng,
    diligence: f64,
    title: &str,
    topic: &str,
    share_type: &str,
    open_type: &str,
) -> [Val<'static>; 5] {
    let mut filled = |base: f64| rng.random_bool((base + (1.0 - base) * diligence).min(1.0));
    let description = filled(0.5).then(|| Val::Owned(format!("{title}，按目录登记的周期更新")));
    let keywords = filled(0.4).then(|| Val::Owned(topic.trim_end_matches("信息").to_string()));
    let format = filled(0.6).then_some(());
    let condition = (share_type != "unconditional" && filled(0.5)).then(|| {
        Val::Str(if share_type == "none" {
            "依据有关法律法规不予共享"
        } else {
            "仅限政务服务使用"
        })
    });
    let licence = (open_type != "closed" && filled(0.3)).then_some(Val::Str("开放数据许可协议"));
    let format = format.map(|()| {
        Val::Str(pick(
            rng,
            &[
                ("csv", 0.25),
                ("xlsx", 0.2),
                ("api", 0.25),
                ("database", 0.15),
                ("json", 0.08),
                ("pdf", 0.04),
                ("电子表格", 0.03),
            ],
        ))
    });
    [description, format, keywords, condition, licence].map(|v| v.unwrap_or(Val::Null))
}

/// The cycle allowances of DESIGN.md's `catalog_timeliness`, in days.
fn cycle_allowance_days(cycle: &str) -> Option<i64> {
    match cycle {
        "realtime" => Some(1),
        "daily" => Some(2),
        "weekly" => Some(8),
        "monthly" => Some(32),
        "quarterly" => Some(93),
        "yearly" => Some(367),
        _ => None,
    }
}

fn suffixed(id: String, round: usize) -> String {
    if round == 0 {
        id
    } else {
        format!("{id}{}", round + 1)
    }
}

fn round_zh(round: usize) -> String {
    if round == 0 {
        String::new()
    } else {
        format!("（{}）", round + 1)
    }
}

fn round_en(round: usize) -> String {
    if round == 0 {
        String::new()
    } else {
        format!(" ({})", round + 1)
    }
}

fn pick(rng: &mut ChaCha8Rng, choices: &[(&'static str, f64)]) -> &'static str {
    let total: f64 = choices.iter().map(|c| c.1.max(0.0)).sum();
    let mut x = rng.random_range(0.0..total);
    for (v, w) in choices {
        x -= w.max(0.0);
        if x <= 0.0 {
            return v;
        }
    }
    choices[choices.len() - 1].0
}

fn local_midnight(tz: Tz, date: NaiveDate) -> i64 {
    let naive = date.and_hms_opt(0, 0, 0).unwrap_or_default();
    tz.from_local_datetime(&naive)
        .earliest()
        .map_or(0, |t| t.timestamp_micros())
}

fn add_months(date: NaiveDate, months: u32) -> NaiveDate {
    date.checked_add_months(chrono::Months::new(months))
        .unwrap_or(date)
}

/// Moves forward by `days` working days (weekends skipped; holidays are the
/// calendar's business, not the generator's), landing within office hours.
fn add_working_days(t: i64, days: f64, tz: Tz) -> i64 {
    let Some(start) = tz.timestamp_micros(t).single() else {
        return t;
    };
    let mut date = start.date_naive();
    let whole = days.floor() as i64;
    let mut left = whole;
    while left > 0 {
        date = date.succ_opt().unwrap_or(date);
        if !matches!(date.weekday(), Weekday::Sat | Weekday::Sun) {
            left -= 1;
        }
    }
    let frac = days - whole as f64;
    let secs = 8.5 * 3600.0 + frac * 9.0 * 3600.0;
    let mut at = local_midnight(tz, date) + (secs * 1e6) as i64;
    if at <= t {
        at = t + ((frac * 4.0 + 0.1) * 3600.0 * 1e6) as i64;
    }
    at
}

/// Spreads `n` events over the span in time order, most in office hours on weekdays.
struct Timeline {
    hours: Vec<(i64, f64)>,
    per_weight: f64,
    n: u64,
    next_event: u64,
    hour: usize,
    cumulative: f64,
}

impl Timeline {
    fn new(
        start: i64,
        end: i64,
        n: u64,
        tz: Tz,
        workdays: Option<&BTreeMap<NaiveDate, bool>>,
    ) -> Self {
        let mut hours = Vec::new();
        let mut t = start;
        while t < end {
            let w = match tz.timestamp_micros(t).single() {
                Some(local) => {
                    let weekend = !is_working(workdays, local.date_naive());
                    let office = (8..18).contains(&local.hour());
                    match (weekend, office) {
                        (false, true) => 1.0,
                        (false, false) => 0.08,
                        (true, true) => 0.12,
                        (true, false) => 0.03,
                    }
                }
                None => 0.05,
            };
            hours.push((t, w));
            t += 3_600_000_000;
        }
        let total: f64 = hours.iter().map(|h| h.1).sum();
        Timeline {
            per_weight: n as f64 / total.max(1e-9),
            hours,
            n,
            next_event: 0,
            hour: 0,
            cumulative: 0.0,
        }
    }

    /// The time of the next event.
    fn next(&mut self, rng: &mut ChaCha8Rng) -> i64 {
        self.next_event += 1;
        let target = self.next_event as f64 - 0.5;
        while self.hour + 1 < self.hours.len()
            && self.cumulative + self.hours[self.hour].1 * self.per_weight < target
        {
            self.cumulative += self.hours[self.hour].1 * self.per_weight;
            self.hour += 1;
        }
        debug_assert!(self.next_event <= self.n);
        self.hours[self.hour].0 + rng.random_range(0..3_600_000_000)
    }
}

/// Whether `date` is a working day: by the calendar's exceptions where given, else
/// Monday to Friday.
fn is_working(workdays: Option<&BTreeMap<NaiveDate, bool>>, date: NaiveDate) -> bool {
    let weekday = !matches!(date.weekday(), Weekday::Sat | Weekday::Sun);
    workdays
        .and_then(|w| w.get(&date).copied())
        .unwrap_or(weekday)
}

/// `planted_anomalies.csv`: `department_id,day,kind,how`, by day.
fn write_planted(dir: &Path, list: &[Planted]) -> Result<(), Error> {
    let path = dir.join("planted_anomalies.csv");
    let mut text = String::from("department_id,day,kind,how\n");
    for p in list {
        let _ = writeln!(text, "{},{},{},{}", p.department_id, p.day, p.kind, p.how);
    }
    std::fs::write(&path, text).map_err(|e| Error::io(&path, e))
}

/// Writes good rows and, at the bad-row rate, spoiled ones after them.
struct Emitter {
    table: Table,
    writer: TableWriter,
    rate: f64,
    csv: bool,
    last_good: Option<Row>,
    serial: u64,
    injected: BTreeMap<String, u64>,
}

impl Emitter {
    fn emit(&mut self, g: &mut Gen<'_>, row: Row) -> Result<(), Error> {
        self.writer.write(&row, &Damage::None)?;
        if self.rate > 0.0 && g.rng.random_bool(self.rate) {
            let kinds = bad_kinds(self.table, self.csv);
            let kind = kinds[g.rng.random_range(0..kinds.len())];
            self.serial += 1;
            let (bad, damage) = spoil(self.table, kind, &row, self.serial);
            self.writer.write(&bad, &damage)?;
            *self.injected.entry(kind.to_string()).or_default() += 1;
        }
        self.last_good = Some(row);
        Ok(())
    }
}

/// The kinds of bad row a table can carry in a format: reason names, and `duplicate`.
fn bad_kinds(table: Table, csv: bool) -> Vec<&'static str> {
    let mut kinds = vec![
        Reason::MissingRequired.as_str(),
        Reason::InvalidEnum.as_str(),
        Reason::UnknownDepartment.as_str(),
        Reason::TimeOrder.as_str(),
        Reason::ConflictingId.as_str(),
        "duplicate",
    ];
    if csv {
        kinds.extend([
            Reason::InvalidTimestamp.as_str(),
            Reason::FieldCount.as_str(),
        ]);
    }
    match table {
        Table::Exchanges => {
            kinds.push(Reason::NegativeCount.as_str());
            if csv {
                kinds.push(Reason::InvalidInteger.as_str());
            }
        }
        Table::ShareRequests => kinds.push(Reason::Inconsistent.as_str()),
        Table::Services => {
            kinds.extend([
                Reason::NegativeCount.as_str(),
                Reason::OutOfRange.as_str(),
                Reason::Inconsistent.as_str(),
            ]);
            if csv {
                kinds.push(Reason::InvalidBoolean.as_str());
            }
        }
        Table::Departments | Table::Catalog => {}
    }
    kinds
}

/// A copy of a good row that breaks exactly one rule of kind `kind`.
fn spoil(table: Table, kind: &str, good: &Row, serial: u64) -> (Row, Damage) {
    let ix = |name: &str| table.column_index(name).expect("contract column");
    let mut row = good.clone();
    if kind != "duplicate" && kind != Reason::ConflictingId.as_str() {
        row[0] = Val::Owned(format!("BAD{serial:08}"));
    }
    let (start, end, enum_col, dept_col, count_col) = match table {
        Table::Catalog => (
            "registered_at",
            "last_updated_at",
            "share_type",
            "dept_id",
            "",
        ),
        Table::Exchanges => (
            "requested_at",
            "responded_at",
            "status",
            "provider_dept",
            "records",
        ),
        Table::ShareRequests => (
            "submitted_at",
            "decided_at",
            "decision",
            "provider_dept",
            "",
        ),
        Table::Services => (
            "submitted_at",
            "completed_at",
            "channel",
            "dept_id",
            "visits",
        ),
        Table::Departments => ("", "", "level", "parent_id", ""),
    };
    let mut damage = Damage::None;
    match kind {
        "duplicate" => {}
        "conflicting_id" => {
            // Same id, different content: the start one second earlier, which keeps
            // every other rule of the row.
            row[ix(start)] = ts(row[ix(start)].ts().unwrap_or_default() - 1_000_000);
        }
        "missing_required" => row[ix(enum_col)] = Val::Null,
        "invalid_enum" => row[ix(enum_col)] = Val::Str("unknown"),
        "unknown_department" => row[ix(dept_col)] = Val::Str("NO-SUCH-DEPT"),
        "time_order" => {
            row[ix(end)] = ts(row[ix(start)].ts().unwrap_or_default() - 3_600_000_000);
            make_consistent(table, &mut row, &ix);
        }
        "negative_count" => row[ix(count_col)] = Val::Int(-3),
        "out_of_range" => row[ix("rating")] = Val::Int(7),
        "inconsistent" => match table {
            Table::ShareRequests => {
                row[ix("decision")] = Val::Str("pending");
                let submitted = row[ix("submitted_at")].ts().unwrap_or_default();
                row[ix("decided_at")] = ts(submitted + 3_600_000_000);
            }
            _ => {
                row[ix("status")] = Val::Str("completed");
                row[ix("completed_at")] = Val::Null;
            }
        },
        "invalid_timestamp" => damage = Damage::Text(ix(start), "2026-13-45 25:61:00"),
        "invalid_integer" => damage = Damage::Text(ix(count_col), "12a"),
        "invalid_boolean" => damage = Damage::Text(ix("shared_data_used"), "maybe"),
        "field_count" => damage = Damage::ExtraField,
        _ => {}
    }
    (row, damage)
}

/// After changing a status-like field, restore the rules that tie fields together.
fn make_consistent(table: Table, row: &mut Row, ix: &dyn Fn(&str) -> usize) {
    match table {
        Table::ShareRequests => {
            let pending = row[ix("decision")] == Val::Str("pending");
            let has = row[ix("decided_at")] != Val::Null;
            if pending && has {
                row[ix("decision")] = Val::Str("approved");
            } else if !pending && !has {
                row[ix("decision")] = Val::Str("pending");
            }
        }
        Table::Services
            if row[ix("status")] == Val::Str("completed")
                && row[ix("completed_at")] == Val::Null =>
        {
            row[ix("status")] = Val::Str("in_progress");
        }
        _ => {}
    }
}

/// Writes one table's file.
struct TableWriter {
    path: PathBuf,
    rows: u64,
    tz: Tz,
    kind: WriterKind,
}

enum WriterKind {
    Csv(Box<csv::Writer<BufWriter<File>>>, Vec<String>),
    Parquet(Box<ArrowWriter<File>>, Arc<Schema>, Vec<Builder>, usize),
}

const PARQUET_BATCH: usize = 65_536;

impl TableWriter {
    fn create(dir: &Path, table: Table, format: OutputFormat, tz: Tz) -> Result<Self, Error> {
        let ext = match format {
            OutputFormat::Csv => "csv",
            // X-Road records are written by `xroad::generate`, never a table at a time.
            OutputFormat::Parquet | OutputFormat::Xroad => "parquet",
        };
        let path = dir.join(format!("{}.{ext}", table.name()));
        let file = File::create(&path).map_err(|e| Error::io(&path, e))?;
        let kind = match format {
            OutputFormat::Csv => {
                let mut w = csv::WriterBuilder::new()
                    .flexible(true)
                    .from_writer(BufWriter::with_capacity(1 << 20, file));
                w.write_record(table.columns().iter().map(|c| c.name))
                    .map_err(|e| Error::csv_write(&path, e))?;
                WriterKind::Csv(Box::new(w), Vec::new())
            }
            OutputFormat::Parquet | OutputFormat::Xroad => {
                let props = WriterProperties::builder()
                    .set_compression(Compression::ZSTD(ZstdLevel::try_new(3)?))
                    .build();
                let schema = raw_schema(table);
                let w = ArrowWriter::try_new(file, schema.clone(), Some(props))?;
                let builders = table
                    .columns()
                    .iter()
                    .map(|c| Builder::new(c.kind, PARQUET_BATCH))
                    .collect();
                WriterKind::Parquet(Box::new(w), schema, builders, 0)
            }
        };
        Ok(TableWriter {
            path,
            rows: 0,
            tz,
            kind,
        })
    }

    fn write(&mut self, row: &[Val<'_>], damage: &Damage) -> Result<(), Error> {
        self.rows += 1;
        let tz = self.tz;
        let row_no = self.rows;
        match &mut self.kind {
            WriterKind::Csv(w, fields) => {
                fields.resize(row.len(), String::new());
                for (i, (f, v)) in fields.iter_mut().zip(row).enumerate() {
                    f.clear();
                    match damage {
                        Damage::Text(c, text) if *c == i => f.push_str(text),
                        _ => format_val(f, v, tz, row_no),
                    }
                }
                let result = if matches!(damage, Damage::ExtraField) {
                    w.write_record(fields.iter().map(String::as_str).chain(["extra"]))
                } else {
                    w.write_record(fields.iter())
                };
                result.map_err(|e| Error::csv_write(&self.path, e))
            }
            WriterKind::Parquet(w, schema, builders, pending) => {
                for (b, v) in builders.iter_mut().zip(row) {
                    b.append(v);
                }
                *pending += 1;
                if *pending >= PARQUET_BATCH {
                    flush_parquet(w, schema, builders, pending)?;
                }
                Ok(())
            }
        }
    }

    fn finish(self) -> Result<(PathBuf, u64), Error> {
        match self.kind {
            WriterKind::Csv(w, _) => {
                w.into_inner()
                    .map_err(|e| Error::io(&self.path, e.into_error()))?;
            }
            WriterKind::Parquet(mut w, schema, mut builders, mut pending) => {
                flush_parquet(&mut w, &schema, &mut builders, &mut pending)?;
                w.close()?;
            }
        }
        Ok((self.path, self.rows))
    }
}

/// The contract's schema with every column nullable: raw files may hold bad rows.
fn raw_schema(table: Table) -> Arc<Schema> {
    let fields: Vec<Field> = table
        .schema()
        .fields()
        .iter()
        .map(|f| f.as_ref().clone().with_nullable(true))
        .collect();
    Arc::new(Schema::new(fields))
}

fn flush_parquet(
    w: &mut ArrowWriter<File>,
    schema: &Arc<Schema>,
    builders: &mut [Builder],
    pending: &mut usize,
) -> Result<(), Error> {
    if *pending == 0 {
        return Ok(());
    }
    let arrays = builders.iter_mut().map(Builder::finish).collect();
    w.write(&RecordBatch::try_new(schema.clone(), arrays)?)?;
    *pending = 0;
    Ok(())
}

/// CSV text of one value. Timestamps are local time; one row in twenty uses the RFC
/// 3339 form with an offset instead, so both readings are exercised.
fn format_val(out: &mut String, v: &Val<'_>, tz: Tz, row_no: u64) {
    match v {
        Val::Null => {}
        Val::Str(s) => out.push_str(s),
        Val::Owned(s) => out.push_str(s),
        Val::Int(n) => {
            let _ = write!(out, "{n}");
        }
        Val::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Val::Ts(us) => {
            let Some(t) = tz.timestamp_micros(*us).single() else {
                return;
            };
            let _ = write!(
                out,
                "{:04}-{:02}-{:02}{}{:02}:{:02}:{:02}",
                t.year(),
                t.month(),
                t.day(),
                if row_no.is_multiple_of(20) { 'T' } else { ' ' },
                t.hour(),
                t.minute(),
                t.second()
            );
            let ms = t.timestamp_subsec_millis();
            if ms != 0 {
                let _ = write!(out, ".{ms:03}");
            }
            if row_no.is_multiple_of(20) {
                let _ = write!(out, "{}", t.offset().fix());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn planted_anomalies_change_only_their_providers_days() {
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
