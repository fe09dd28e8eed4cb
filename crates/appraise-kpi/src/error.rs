//! The crate's error: the KPI file, the line or the period at fault, and a fix.

use std::path::PathBuf;

use datafusion::arrow::error::ArrowError;
use datafusion::error::DataFusionError;

/// What stops a KPI run.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A KPI file that does not parse.
    #[error("{}:{line}: {reason}", path.display())]
    KpiFile {
        /// The file.
        path: PathBuf,
        /// 1-based line (0: the file as a whole).
        line: usize,
        /// What is wrong.
        reason: String,
    },
    /// A KPI asked for by id that the library does not hold.
    #[error("no KPI {id:?} in the KPI library")]
    UnknownKpi {
        /// The id asked for.
        id: String,
    },
    /// A query the sandbox refuses.
    #[error("{origin}: {reason}")]
    Refused {
        /// The KPI file or `query`.
        origin: String,
        /// What was refused.
        reason: String,
    },
    /// A KPI whose result breaks the result contract.
    #[error("KPI {kpi} ({}): {reason}", path.display())]
    Result {
        /// KPI id.
        kpi: String,
        /// Its file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// A KPI whose query fails to plan or run.
    #[error("KPI {kpi} ({})", path.display())]
    Query {
        /// KPI id.
        kpi: String,
        /// Its file.
        path: PathBuf,
        /// The engine's error.
        source: Box<DataFusionError>,
    },
    /// A period the data does not cover.
    #[error("{reason}")]
    EmptyPeriod {
        /// The period and what the data covers.
        reason: String,
    },
    /// A period that does not read.
    #[error("period {given:?} does not read")]
    Period {
        /// What was given.
        given: String,
        /// How to write it.
        hint: String,
    },
    /// A calendar file that does not read.
    #[error("{}{}: {reason}", path.display(), line.map(|l| format!(":{l}")).unwrap_or_default())]
    Calendar {
        /// The file.
        path: PathBuf,
        /// The line, if known.
        line: Option<u64>,
        /// What is wrong.
        reason: String,
    },
    /// Data reaching a year the working-day calendar does not cover.
    #[error(
        "the working-day calendar does not cover {year} (needed by {what}); it covers {covered}"
    )]
    CalendarYear {
        /// The missing year.
        year: i32,
        /// Which data needs it.
        what: String,
        /// The years it does cover.
        covered: String,
    },
    /// A cluster that cannot be used.
    #[error("cluster {url}: {reason}")]
    Cluster {
        /// The address given.
        url: String,
        /// What is wrong.
        reason: String,
        /// How to fix it.
        hint: String,
    },
    /// A KPI matrix file (`kpis.csv`) that does not read.
    #[error("{}: {reason}", path.display())]
    Matrix {
        /// The file.
        path: PathBuf,
        /// What is wrong, with the line where known.
        reason: String,
    },
    /// An adjustments file (`--adjustments`) that does not read.
    #[error("{}{}{}: {reason}", path.display(), if *line > 0 { format!(":{line}") } else { String::new() }, field.as_ref().map(|f| format!(" ({f})")).unwrap_or_default())]
    Adjustments {
        /// The file.
        path: PathBuf,
        /// 1-based line (0: the file as a whole).
        line: usize,
        /// The field, where one is wrong.
        field: Option<String>,
        /// What is wrong.
        reason: String,
        /// The fix, where known.
        hint: Option<String>,
    },
    /// A file the engine cannot reach.
    #[error("{}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// What happened.
        source: std::io::Error,
    },
    /// An engine error outside any one KPI.
    #[error(transparent)]
    DataFusion(#[from] DataFusionError),
    /// An Arrow error.
    #[error(transparent)]
    Arrow(#[from] ArrowError),
}

impl Error {
    /// A fix, where one is known.
    pub fn hint(&self) -> Option<String> {
        match self {
            Error::Period { hint, .. } | Error::Cluster { hint, .. } => Some(hint.clone()),
            Error::Adjustments { hint, .. } => hint.clone(),
            Error::Query { source, .. } if unreachable_member(source) => Some(UNREACHABLE.into()),
            Error::DataFusion(e) if unreachable_member(e) => Some(UNREACHABLE.into()),
            Error::EmptyPeriod { .. } => Some(
                "check --period against the dates above; to publish an empty appraisal anyway, pass --allow-empty"
                    .into(),
            ),
            Error::CalendarYear { year, .. } => Some(format!(
                "add queries/calendars/cn-{year}.csv (date,kind,name) with {year}'s holidays and make-up workdays"
            )),
            Error::Refused { .. } => Some("a KPI or query is one read-only SELECT (or WITH ... SELECT)".into()),
            Error::UnknownKpi { .. } => Some("`appraise kpi list` shows the KPIs".into()),
            Error::Matrix { .. } => Some(
                "a KPI matrix is a CSV file with the header period,department_id,kpi,value,numerator,denominator,sample_size (as appraise writes kpis.csv)"
                    .into(),
            ),
            Error::Result { .. } => Some(
                "a KPI returns department_id, a numeric value, and optionally numerator, denominator, sample_size; at most one row per department"
                    .into(),
            ),
            _ => None,
        }
    }

    /// Whether the error is the user's input (exit 1) rather than internal (exit 2). A
    /// query's planning, schema and execution errors are its author's; DataFusion's
    /// internal errors and Arrow's are faults.
    pub fn is_input(&self) -> bool {
        match self {
            Error::DataFusion(e) => datafusion_input(e),
            Error::Query { source, .. } => datafusion_input(source),
            Error::Arrow(_) => false,
            _ => true,
        }
    }
}

/// The fix for a query on a cluster of which a member stopped answering or left.
const UNREACHABLE: &str = "a member of the cluster stopped answering or left mid-query (an \
     appraise scheduler stops the queries then running rather than trust Ballista's \
     recovery): check that the scheduler and the executors run, then run again";

/// Whether an engine error is Ballista's failure to reach its scheduler or an executor,
/// or a query the scheduler stopped when an executor left.
fn unreachable_member(e: &DataFusionError) -> bool {
    let message = e.to_string();
    message.contains("Error connecting to Ballista scheduler or executor")
        || message.contains("failed: Cancelled")
}

/// Whether an engine error comes from the query rather than from the engine.
fn datafusion_input(e: &DataFusionError) -> bool {
    match e.find_root() {
        DataFusionError::Plan(_)
        | DataFusionError::SchemaError(..)
        | DataFusionError::SQL(..)
        | DataFusionError::Execution(_)
        | DataFusionError::ResourcesExhausted(_) => true,
        // What a query computes: a division by zero, a cast that does not hold.
        DataFusionError::ArrowError(a, _) => matches!(
            a.as_ref(),
            ArrowError::DivideByZero
                | ArrowError::CastError(_)
                | ArrowError::ComputeError(_)
                | ArrowError::ArithmeticOverflow(_)
                | ArrowError::InvalidArgumentError(_)
                | ArrowError::ParseError(_)
        ),
        _ => false,
    }
}
