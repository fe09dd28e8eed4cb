//! The command line, as clap reads it. Doc comments here are the `--help` text.

use std::path::PathBuf;

use appraise_data::InputFormat;
use appraise_gen::OutputFormat as GenerateFormat;
use appraise_kpi::Period;
use clap::{Args, Parser, Subcommand, ValueEnum};

/// appraise: the performance appraisal of government information sharing.
///
/// Loads the exchange platform's and the service system's logs, scores every
/// department with SQL-defined KPIs, and writes ranking reports.
#[derive(Debug, Parser)]
#[command(name = "appraise", version, max_term_width = 100)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub command: Command,

    /// Print more about what is being done (repeat for more).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,

    /// Stop a query (a KPI run for a period, or an `sql` query) that runs longer than
    /// this many seconds.
    #[arg(
        long,
        global = true,
        value_name = "SECS",
        default_value_t = 3600,
        env = "APPRAISE_QUERY_TIMEOUT"
    )]
    pub query_timeout: u64,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Run the appraisal on the committed demo data (fixtures/demo).
    ///
    /// The same as `run` on fixtures/demo for its latest quarter, into
    /// reports/out/demo/; prints where report.html is.
    Demo(DemoArgs),
    /// The whole appraisal: load, validate, KPIs, scoring and the report.
    ///
    /// Writes report.html (self-contained), report.md, a report card per department,
    /// charts (SVG and PNG), appraisal.xlsx, the ranking, KPI and score tables, the
    /// rejected rows and manifest.json into --out, all at once at the end: an
    /// interrupted run leaves the previous report as it was.
    Run(RunArgs),
    /// Load every table, check every row, and account for each one.
    ///
    /// Prints rows read, loaded, rejected (by reason) and duplicates per table, and
    /// writes the rejected rows, a TABLE.csv each, into --rejects (or, when rows were
    /// rejected, into reports/out/rejects). A warehouse's files are first checked
    /// against its manifest. Exits 0 when every file could be read (rejected rows are
    /// findings, not failures), 1 when a file could not.
    Validate(ValidateArgs),
    /// Load and validate a data folder and append its new rows to a Parquet warehouse.
    ///
    /// The warehouse holds each table partitioned by month (<table>/month=YYYY-MM/),
    /// zstd-compressed and sorted by time; rows whose id it already holds are skipped,
    /// so ingesting the same files twice changes nothing. Files are committed through
    /// the manifest _warehouse.json in one step: a crash leaves the warehouse as it was.
    /// Every command that takes --data reads a warehouse too.
    Ingest(IngestArgs),
    /// Write deterministic synthetic data for demos, tests and benchmarks.
    Generate(GenerateArgs),
    /// List, check and run the SQL KPIs.
    #[command(subcommand)]
    Kpi(KpiCommand),
    /// Score the departments for a period: normalise, weight, aggregate, rank, grade.
    ///
    /// Runs the KPIs for the period and the seven before it (as far as the data and
    /// the working-day calendar reach), scores each through the scorecard, compares
    /// the period with the one before, and tests how robust each rank is. Prints the
    /// ranking, or with --out writes ranking, scores, targets, funnel, sensitivity,
    /// trend, correlations and profiles there. With --kpi-matrix it scores a given
    /// KPI matrix instead of running the KPIs.
    Score(ScoreArgs),
    /// Compare two appraisals side by side: a period with another, or one period under
    /// two scorecards.
    ///
    /// Writes compare.csv (per department: composites, ranks and grades in both, with
    /// the changes and the KPIs that moved the composite most), compare_kpis.csv (per
    /// department and KPI: values, scores and composite points in both, with the
    /// changes) and compare.html into --out.
    Compare(CompareArgs),
    /// Write editable copies of the built-in KPIs, calendars, scorecard and report
    /// templates into a folder.
    ///
    /// appraise uses queries/ of the working folder when there is one, else its
    /// built-in copies; --kpis, --calendars, --scorecard and --templates name others.
    Init(InitArgs),
    /// Run a read-only SQL query over the tables (for researchers).
    ///
    /// With --period the tables are scoped as KPIs see them; without it they hold all
    /// loaded rows. Every timestamp column x_at comes with x_date, its local date; the
    /// tables period and calendar are there too.
    Sql(SqlArgs),
    /// Write the period's open-data release: KPI values, ranking and exchange matrix as
    /// CSV with a Frictionless datapackage.json, small cells suppressed.
    ///
    /// No count below --min-cell is published (zeros included), and enough other cells
    /// of the exchange matrix are suppressed that no suppressed count can be worked out
    /// from the published totals; a KPI row with a small count is withheld whole, and
    /// so is a score computed from it. Suppressed figures read `[c]`.
    Publish(PublishArgs),
    /// Flag days on which a department's exchange traffic departs from its recent weeks:
    /// outages, latency regressions, traffic spikes.
    ///
    /// For each providing department (and each busy consumer→provider pair), per local
    /// day of the period: volume, failure rate and p90 response time against the median
    /// and MAD of the same kind of day (working or rest, from the calendar) over the
    /// weeks before. Prints a summary; with --out writes anomalies.csv and
    /// anomalies.json there.
    Anomalies(AnomaliesArgs),
    /// Write the rows behind a department's KPI values for a period: one CSV file per
    /// KPI (`<kpi>.csv`), the exchanges, share requests, service cases or catalog
    /// entries that make its value, with their ids, local times and the columns the KPI
    /// reads (docs/kpis.md, "Evidence").
    Evidence(EvidenceArgs),
    /// Serve one member of a Ballista cluster that `--cluster df://HOST:PORT` runs
    /// queries on: the same program as the client, so always the same version.
    ///
    /// Start one scheduler and executors on as many hosts as wanted; every executor
    /// must read the warehouse at the same path (docs/cluster.md).
    #[command(subcommand)]
    Cluster(ClusterCommand),
}

#[derive(Debug, Subcommand)]
pub(crate) enum ClusterCommand {
    /// Serve the scheduler: it takes the plans of `--cluster` runs and hands their tasks
    /// to the executors.
    Scheduler(appraise_kpi::cluster::SchedulerSettings),
    /// Serve an executor of the scheduler at --scheduler.
    Executor(appraise_kpi::cluster::ExecutorSettings),
}

#[derive(Debug, Subcommand)]
pub(crate) enum KpiCommand {
    /// List the KPIs: id, title, dimension, direction, unit.
    List(KpiListArgs),
    /// Parse and plan KPI files against the table schemas, without data.
    Check(KpiCheckArgs),
    /// Run the KPIs for a period and print the long KPI matrix.
    Run(Box<KpiRunArgs>),
}

/// Where the KPI library and the calendars are.
#[derive(Debug, Args, Default)]
pub(crate) struct QueryArgs {
    /// Folder of KPI files (*.sql) [default: queries/kpis in the working folder, else
    /// the built-in KPIs].
    #[arg(long, value_name = "DIR")]
    pub kpis: Option<PathBuf>,

    /// Folder of working-day calendars (*.csv: date,kind,name) [default:
    /// queries/calendars in the working folder, else the built-in calendars].
    #[arg(long, value_name = "DIR")]
    pub calendars: Option<PathBuf>,
}

/// Where queries run.
#[derive(Debug, Args, Default)]
pub(crate) struct ClusterArgs {
    /// Run the queries on the Apache DataFusion Ballista cluster whose scheduler is at
    /// this address (needs --data WAREHOUSE at a path every executor reads, and the
    /// `cluster` feature, on by default).
    #[arg(long, value_name = "df://HOST:PORT", env = "APPRAISE_CLUSTER")]
    pub cluster: Option<String>,
}

#[derive(Debug, Args)]
pub(crate) struct KpiListArgs {
    #[command(flatten)]
    pub queries: QueryArgs,

    /// Output format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    pub format: OutputFormat,
}

#[derive(Debug, Args)]
pub(crate) struct KpiCheckArgs {
    /// KPI files to check [default: every file of --kpis].
    pub files: Vec<PathBuf>,

    #[command(flatten)]
    pub queries: QueryArgs,
}

#[derive(Debug, Args)]
pub(crate) struct KpiRunArgs {
    /// The period: 2026Q3, 2026-07, 2026 or 2026-07-01..2026-09-30.
    #[arg(long, value_parser = period)]
    pub period: Period,

    /// Only these KPIs (comma-separated ids).
    #[arg(long, value_delimiter = ',', value_name = "ID,...")]
    pub kpi: Vec<String>,

    /// Print how the KPIs run instead of running them: the statements that compute
    /// several KPIs of one table and key at once (fused), with DataFusion's plan of
    /// each, and the KPIs that run alone.
    #[arg(long)]
    pub explain: bool,

    /// Run every KPI on its own statement, as before fusion (for comparison: the
    /// values are the same).
    #[arg(long)]
    pub unfused: bool,

    #[command(flatten)]
    pub reading: ReadingArgs,
}

#[derive(Debug, Args)]
pub(crate) struct EvidenceArgs {
    /// The period: 2026Q3, 2026-07, 2026 or 2026-07-01..2026-09-30.
    #[arg(long, value_parser = period)]
    pub period: Period,

    /// The department (its dept_id).
    #[arg(long, value_name = "ID")]
    pub department: String,

    /// Only these KPIs (comma-separated ids).
    #[arg(long, value_delimiter = ',', value_name = "ID,...")]
    pub kpi: Vec<String>,

    /// The folder the files go to.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,

    /// The adjustments the figures were published with (as given to `run`): the
    /// evidence is then the rows as adjusted.
    #[arg(long, value_name = "FILE")]
    pub adjustments: Option<PathBuf>,

    #[command(flatten)]
    pub querying: QueryingArgs,

    #[command(flatten)]
    pub write: WriteArgs,
}

#[derive(Debug, Args)]
pub(crate) struct SqlArgs {
    /// The query: one read-only SELECT.
    pub query: String,

    /// Scope the tables to this period, as KPIs see them.
    #[arg(long, value_parser = period)]
    pub period: Option<Period>,

    /// Print the query's plan (logical and physical: the files read, the filters
    /// pushed into the scan) instead of running it.
    #[arg(long)]
    pub explain: bool,

    #[command(flatten)]
    pub reading: ReadingArgs,
}

/// The data a result is read from, the KPI library and calendars, where queries run,
/// and where the result goes.
#[derive(Debug, Args)]
pub(crate) struct ReadingArgs {
    #[command(flatten)]
    pub querying: QueryingArgs,

    #[command(flatten)]
    pub output: OutputArgs,
}

/// The data queries read, the KPI library and calendars, and where queries run.
#[derive(Debug, Args)]
pub(crate) struct QueryingArgs {
    #[command(flatten)]
    pub data: DataArgs,

    #[command(flatten)]
    pub queries: QueryArgs,

    #[command(flatten)]
    pub cluster: ClusterArgs,
}

#[derive(Debug, Args)]
pub(crate) struct ScoreArgs {
    /// The data folder (as for `run`); not needed with --kpi-matrix.
    #[arg(
        long,
        value_name = "PATH",
        required_unless_present = "kpi_matrix",
        conflicts_with = "kpi_matrix"
    )]
    pub data: Option<PathBuf>,

    #[command(flatten)]
    pub read: ReadArgs,

    /// Score this KPI matrix instead of running the KPIs on data: a CSV file with the
    /// columns of kpis.csv (period,department_id,kpi,value,numerator,denominator,
    /// sample_size), its rows of --period, with the departments of --departments.
    #[arg(long, value_name = "FILE", requires = "departments")]
    pub kpi_matrix: Option<PathBuf>,

    #[command(flatten)]
    pub policy: PolicyArgs,

    #[command(flatten)]
    pub output: ScoreOutputArgs,
}

/// Where the scoring tables go and in which format.
#[derive(Debug, Args)]
pub(crate) struct ScoreOutputArgs {
    /// Output format (with --out, `table` writes CSV files).
    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    pub format: OutputFormat,

    /// Write ranking.csv, scores.csv, ... into this folder instead of printing the
    /// ranking.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,

    #[command(flatten)]
    pub write: WriteArgs,
}

/// Where a result table goes and in which format.
#[derive(Debug, Args)]
pub(crate) struct OutputArgs {
    /// Output format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    pub format: OutputFormat,

    /// Write to this file instead of standard output (a new file, or with --force one
    /// that is replaced).
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,

    /// Replace the --out file if it exists.
    #[arg(long, requires = "out")]
    pub force: bool,
}

/// How tables are printed or written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum OutputFormat {
    Table,
    Csv,
    Json,
    Parquet,
}

/// How a command treats an output folder (or warehouse) that exists, and another
/// appraise writing it.
#[derive(Debug, Args, Clone, Default)]
pub(crate) struct WriteArgs {
    /// Write into an output folder that holds files appraise did not write: appraise
    /// replaces only its own files there and never touches the others. Without it such
    /// a folder is refused.
    #[arg(long)]
    pub force: bool,

    /// When another appraise is writing the same output folder or warehouse, wait for
    /// it to finish instead of stopping.
    #[arg(long)]
    pub wait: bool,
}

/// Where data is read from and how.
#[derive(Debug, Args)]
pub(crate) struct DataArgs {
    /// The data folder: <table>.{csv,jsonl,parquet,arrow}, or a folder <table>/ of such
    /// files, for departments, catalog, exchanges, share_requests and services; or a
    /// warehouse. With --input-format xroad: a file of X-Road records, or a folder of them.
    #[arg(long, value_name = "PATH")]
    pub data: PathBuf,

    #[command(flatten)]
    pub read: ReadArgs,
}

/// How files are read.
#[derive(Debug, Args)]
pub(crate) struct ReadArgs {
    /// How to read the input files; `auto` goes by extension.
    #[arg(long, value_enum, default_value_t = InputFormat::Auto)]
    pub input_format: InputFormat,

    /// Text encoding of CSV and JSON Lines files (utf-8, gb18030, gbk); detected when
    /// not given.
    #[arg(long, value_name = "LABEL")]
    pub encoding: Option<String>,

    /// The appraisal's time zone: of timestamps written without an offset, of dates and
    /// of periods [default: the scorecard's `timezone`, Asia/Shanghai unless it names
    /// another].
    #[arg(long, value_name = "ZONE")]
    pub timezone: Option<String>,

    /// File holding the key that pseudonymises applicant_id (HMAC-SHA-256). Without it,
    /// the key comes from APPRAISE_PSEUDONYM_KEY; with neither, applicant_id is dropped.
    #[arg(long, value_name = "FILE")]
    pub pseudonym_key_file: Option<PathBuf>,

    /// X-Road input: the CSV that maps members and subsystems to departments (columns
    /// xroad_instance, member_class, member_code, subsystem_code, dept_id; with name and
    /// level it also supplies the departments).
    #[arg(long, value_name = "FILE")]
    pub mapping: Option<PathBuf>,

    /// The departments table as one file: of X-Road input, when the mapping gives no
    /// names and levels; of `score --kpi-matrix`.
    #[arg(long, value_name = "FILE")]
    pub departments: Option<PathBuf>,

    /// Database input (--from postgresql://... or mysql://...): the TOML file naming, per table, the
    /// source table or a SELECT and the columns whose names differ from the contract's
    /// (docs/data.md, "From a database").
    #[arg(long, value_name = "FILE")]
    pub db_mapping: Option<PathBuf>,

    /// X-Road input: make a department for each member the mapping does not map,
    /// instead of rejecting its exchanges.
    #[arg(long)]
    pub auto_departments: bool,

    /// The longest record (CSV record, JSON line, X-Road record) read, in bytes; a
    /// longer one stops the load with an error naming its line.
    #[arg(long, value_name = "BYTES", default_value_t = appraise_data::MAX_RECORD_BYTES)]
    pub max_record_bytes: usize,
}

#[derive(Debug, Args)]
pub(crate) struct IngestArgs {
    /// What to ingest: a data folder (as for --data), X-Road records, a warehouse, or a
    /// database: postgresql://user@host:5432/db or mysql://user@host:3306/db (the
    /// password from PGPASSWORD or MYSQL_PWD, or the whole address from an environment
    /// variable with env:NAME). A second ingest from a database reads only rows newer
    /// than the last (from three days before).
    #[arg(long, value_name = "SOURCE")]
    pub from: PathBuf,

    /// The warehouse folder; created if absent.
    #[arg(long, value_name = "WAREHOUSE")]
    pub into: PathBuf,

    #[command(flatten)]
    pub read: ReadArgs,

    /// Where to write the rejected rows (<table>.csv) [default: reports/out/rejects,
    /// only when rows were rejected].
    #[arg(long, value_name = "DIR")]
    pub rejects: Option<PathBuf>,

    #[command(flatten)]
    pub write: WriteArgs,
}

#[derive(Debug, Args)]
pub(crate) struct ValidateArgs {
    #[command(flatten)]
    pub data: DataArgs,

    /// Where to write the rejected rows (<table>.csv) [default: reports/out/rejects,
    /// only when rows were rejected].
    #[arg(long, value_name = "DIR")]
    pub rejects: Option<PathBuf>,

    /// Output format.
    #[arg(long, value_enum, default_value_t = SummaryFormat::Table)]
    pub format: SummaryFormat,

    #[command(flatten)]
    pub write: WriteArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum SummaryFormat {
    Table,
    Json,
}

#[derive(Debug, Args)]
pub(crate) struct InitArgs {
    /// The folder to write queries/ and reports/templates/ into (created if absent).
    pub dir: PathBuf,
}

#[derive(Debug, Args)]
pub(crate) struct CompareArgs {
    #[command(flatten)]
    pub appraisal: AppraisalArgs,

    /// The period to compare with [default: --period].
    #[arg(long, value_parser = period)]
    pub base_period: Option<Period>,

    /// The scorecard to compare with [default: --scorecard].
    #[arg(long, value_name = "FILE")]
    pub base_scorecard: Option<PathBuf>,

    /// The language of compare.html.
    #[arg(long, value_enum, default_value_t = Language::Zh)]
    pub lang: Language,

    /// Where the comparison goes: a new or empty folder, or one appraise wrote before.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,

    #[command(flatten)]
    pub write: WriteArgs,
}

#[derive(Debug, Args)]
pub(crate) struct DemoArgs {
    /// The demo data folder [default: fixtures/demo in the working folder].
    #[arg(long, value_name = "DIR")]
    pub data: Option<PathBuf>,

    /// Where the demo's output goes.
    #[arg(long, value_name = "DIR", default_value = "reports/out/demo")]
    pub out: PathBuf,

    #[command(flatten)]
    pub report: ReportArgs,

    #[command(flatten)]
    pub write: WriteArgs,
}

#[derive(Debug, Args)]
pub(crate) struct RunArgs {
    #[command(flatten)]
    pub appraisal: AppraisalArgs,

    /// Where the report goes [default: reports/out/<period>]: a new or empty folder,
    /// or one appraise wrote before (replaced whole at the end of the run).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,

    #[command(flatten)]
    pub report: ReportArgs,

    #[command(flatten)]
    pub write: WriteArgs,
}

/// `appraise anomalies`.
#[derive(Debug, Args)]
pub(crate) struct AnomaliesArgs {
    #[command(flatten)]
    pub appraisal: AppraisalArgs,

    /// Where anomalies.csv and anomalies.json go: a new or empty folder, or one
    /// appraise wrote before.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,

    /// Weeks before a day that make its baseline.
    #[arg(long, value_name = "N", default_value_t = 8,
          value_parser = clap::value_parser!(u32).range(1..=52))]
    pub baseline_weeks: u32,

    /// The score ((observed − expected) ÷ noise) a day must pass to be flagged.
    #[arg(long, value_name = "Z", default_value_t = 5.0)]
    pub z: f64,

    #[command(flatten)]
    pub write: WriteArgs,
}

/// `appraise publish`.
#[derive(Debug, Args)]
pub(crate) struct PublishArgs {
    #[command(flatten)]
    pub appraisal: AppraisalArgs,

    /// Where the release goes: a new or empty folder, or one appraise wrote before
    /// (replaced whole at the end).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,

    /// The minimum cell: no published count is below it.
    #[arg(long, value_name = "K", default_value_t = 10,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub min_cell: u64,

    /// The licence the release is published under, as an SPDX or Open Definition id
    /// (CC-BY-4.0, CC0-1.0, ODC-By-1.0, ...).
    #[arg(long, value_name = "ID", default_value = "CC-BY-4.0")]
    pub licence: String,

    /// The log of the release series this release belongs to (its months and
    /// quarters, one minimum cell) [default: appraise-series.json beside --out].
    #[arg(long, value_name = "FILE")]
    pub series: Option<PathBuf>,

    /// The language of the package's descriptions, of kpi_definitions.csv's words and
    /// of what the command prints (the data files' codes and columns are the same).
    #[arg(long, value_enum, default_value_t = Language::Zh)]
    pub lang: Language,

    #[command(flatten)]
    pub write: WriteArgs,
}

/// What is appraised, and by which rules: the data, the period, the scorecard and the
/// KPI library.
#[derive(Debug, Args)]
pub(crate) struct AppraisalArgs {
    #[command(flatten)]
    pub data: DataArgs,

    #[command(flatten)]
    pub policy: PolicyArgs,
}

/// The period and the rules it is appraised by.
#[derive(Debug, Args)]
pub(crate) struct PolicyArgs {
    /// The period: 2026Q3, 2026-07, 2026 or 2026-07-01..2026-09-30.
    #[arg(long, value_parser = period)]
    pub period: Period,

    /// The scorecard: weights, normalisations, grades, robustness settings [default:
    /// queries/scorecard.toml in the working folder, else the built-in scorecard].
    #[arg(long, value_name = "FILE")]
    pub scorecard: Option<PathBuf>,

    #[command(flatten)]
    pub queries: QueryArgs,

    #[command(flatten)]
    pub cluster: ClusterArgs,

    /// Appraise the period even when the data holds nothing in it (an empty appraisal,
    /// with a warning); without it such a period is an error.
    #[arg(long)]
    pub allow_empty: bool,

    /// Accepted appeals and corrections: a CSV file with the header
    /// table,id,department_id,from,to,action,reason,reference. Each line excludes rows
    /// (exclude) or corrects a column (set:<column>=<value>) as every KPI reads them;
    /// the data are not changed. The report lists them with their effect.
    #[arg(long, value_name = "FILE")]
    pub adjustments: Option<PathBuf>,
}

/// How the report reads.
#[derive(Debug, Args)]
pub(crate) struct ReportArgs {
    /// The report's language.
    #[arg(long, value_enum, default_value_t = Language::Zh)]
    pub lang: Language,

    /// A folder of templates (report.html.j2, department.html.j2, report.md.j2,
    /// release.html.j2, style.css, strings.toml) that replace the built-in ones file by file; the keys of
    /// its strings.toml replace the built-in wording key by key.
    #[arg(long, value_name = "DIR")]
    pub templates: Option<PathBuf>,

    /// Also write, beside each department's card, the rows behind its KPI values:
    /// departments/<id>/<kpi>.csv (as `appraise evidence` writes them).
    #[arg(long)]
    pub evidence: bool,

    /// Mark the bulletin and every card on every page: `preliminary` (with the appeal
    /// deadline, the scorecard's [bulletin] appeal_deadline) or `final` (which also
    /// lists the adjustments applied, or that there were none).
    #[arg(long, value_enum)]
    pub status: Option<Status>,
}

/// Whether the bulletin is preliminary or final.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Status {
    /// Preliminary results, open to appeal until the deadline.
    Preliminary,
    /// Final results.
    Final,
}

impl From<Status> for appraise_report::Status {
    fn from(s: Status) -> Self {
        match s {
            Status::Preliminary => Self::Preliminary,
            Status::Final => Self::Final,
        }
    }
}

/// The report's language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Language {
    /// Simplified Chinese.
    Zh,
    /// English.
    En,
}

#[derive(Debug, Args)]
pub(crate) struct GenerateArgs {
    /// Seed of the random generator: the same seed gives the same files.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,

    /// Number of departments (provincial bureaus, city and county units).
    #[arg(long, default_value_t = 60)]
    pub departments: usize,

    /// First day of the data (YYYY-MM-DD).
    #[arg(long, default_value = "2026-01-01")]
    pub start: String,

    /// Number of months covered.
    #[arg(long, default_value_t = 9)]
    pub months: u32,

    /// Number of exchanges.
    #[arg(long, default_value_t = 100_000)]
    pub exchanges: u64,

    /// Number of service cases [default: a fifth of --exchanges].
    #[arg(long)]
    pub services: Option<u64>,

    /// Number of share requests [default: a fiftieth of --exchanges].
    #[arg(long)]
    pub share_requests: Option<u64>,

    /// Add this share of bad rows (0–1), each breaking one rule of the contract, and
    /// report how many of each kind.
    #[arg(long, default_value_t = 0.0, value_name = "RATE")]
    pub bad_rows: f64,

    /// Plant N anomalies in the exchanges (outages, latency regressions, spikes at busy
    /// providers on working days), listed in planted_anomalies.csv; traffic then follows
    /// the working-day calendar (quiet on holidays, busy on make-up working days), also
    /// with 0.
    #[arg(long, value_name = "N")]
    pub anomalies: Option<u64>,

    /// File format of the tables.
    #[arg(long, value_enum, default_value_t = GenerateFormat::Csv)]
    pub format: GenerateFormat,

    /// Output folder: a new or empty folder, or one appraise generated before.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,

    #[command(flatten)]
    pub write: WriteArgs,

    /// Time zone the local timestamps are written in.
    #[arg(long, value_name = "ZONE", default_value = appraise_data::DEFAULT_TIMEZONE_NAME)]
    pub timezone: String,
}

/// `--period`, parsed once, here: a period that does not read is a usage error, with
/// how to write one.
fn period(text: &str) -> Result<Period, String> {
    text.parse::<Period>().map_err(|e| match e.hint() {
        Some(hint) => format!("{e}; {hint}"),
        None => e.to_string(),
    })
}
