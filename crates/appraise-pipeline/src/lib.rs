//! The whole appraisal as a library: load → validate → KPIs → scoring → report. The
//! `appraise` binary resolves its flags and policy files into a [`Job`] (or, for
//! `appraise score`, [`Rules`]) and calls [`run`] (or [`appraise()`]); a test or
//! another program can do the same without spawning it.
//!
//! ```no_run
//! # fn f() -> Result<(), Box<dyn std::error::Error>> {
//! use std::path::PathBuf;
//! use std::time::Duration;
//! use appraise_kpi::{Calendar, EngineOptions, load_library};
//! use appraise_pipeline::{Job, Rules, run};
//! use appraise_data::staging::Policy;
//! use appraise_report::{lang::Lang, templates::Templates};
//! use appraise_score::Scorecard;
//!
//! let job = Job {
//!     data: "fixtures/demo".into(),
//!     options: Default::default(),
//!     period: None,
//!     rules: Rules {
//!         scorecard: Scorecard::from_file("queries/scorecard.toml".as_ref())?,
//!         library: load_library("queries/kpis".as_ref())?,
//!         calendar: Calendar::from_dir("queries/calendars".as_ref())?,
//!         engine: EngineOptions::default(),
//!         allow_empty: false,
//!         query_timeout: Duration::from_secs(3600),
//!     },
//!     templates: Templates::load(None)?,
//!     lang: Lang::Zh,
//!     out: PathBuf::from("reports/out/demo"),
//!     evidence: false,
//!     status: None,
//!     write: Policy::default(),
//! };
//! let done = run(job, &mut |_step| {})?;
//! println!("{} departments ranked", done.ranking.len());
//! # Ok(()) }
//! ```
#![deny(missing_docs)]

mod anomalies;
mod appraise;
mod compare;
mod inspect;
mod laps;
pub mod policy;
mod publish;
mod run;
mod runtime;
mod score;
pub mod series;
mod settings;
mod terminal;

use std::path::PathBuf;
use std::time::Duration;

pub use anomalies::{
    AnomaliesFound, AnomaliesJob, anomalies, find as find_anomalies, write as write_anomalies,
};
pub use appraise::{
    KPI_CACHE, Rules, Scored, TREND_PERIODS, appraise, appraise_matrix, departments,
};
pub use compare::{Compared, Comparison, compare};
pub use inspect::{
    EvidenceWritten, Rejects, Validated, check_kpis, evidence, explain_kpis, kpi_matrix, query,
    validate,
};
pub use laps::Laps;
pub use policy::BUILT_IN;
pub use publish::{
    COUNT_UNITS, Licence, Published, Release, SUPPRESSED, publish, rule as disclosure,
};
pub use run::{Done, Job, RUN_STEPS, Ranked, latest_quarter, run};
pub use runtime::{block_on, serve};
pub use score::{ScoreDone, ScoreInput, Scoring, score};
pub use settings::{Resolved, Settings};

/// What stops an appraisal: a stage's own error (with its hint and whether it is the
/// user's input), or one of the pipeline's.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Reading, validating or writing data.
    #[error(transparent)]
    Data(#[from] appraise_data::Error),
    /// Loading the data folder.
    #[error("loading {}", dir.display())]
    Load {
        /// The folder.
        dir: PathBuf,
        /// Why.
        #[source]
        source: appraise_data::Error,
    },
    /// KPIs, periods, calendars, the engine.
    #[error(transparent)]
    Kpi(#[from] appraise_kpi::Error),
    /// The scorecard and the scoring.
    #[error(transparent)]
    Score(#[from] appraise_score::Error),
    /// The report.
    #[error(transparent)]
    Report(#[from] appraise_report::Error),
    /// A call into the engine that ran out of time.
    #[error("a query ran longer than {} s and was stopped", limit.as_secs())]
    Timeout {
        /// The limit.
        limit: Duration,
    },
    /// Input the stages accept but the appraisal cannot use.
    #[error("{reason}")]
    Input {
        /// What is wrong.
        reason: String,
        /// How to fix it.
        hint: Option<String>,
    },
    /// A file of the run's own that could not be read or written.
    #[error("{what}")]
    Io {
        /// What was being done.
        what: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
}

/// Loads the data folder, X-Road records or warehouse `dir`; an error names it.
fn load(
    dir: &std::path::Path,
    options: &appraise_data::LoadOptions,
) -> Result<appraise_data::Dataset, Error> {
    appraise_data::load_dir(dir, options).map_err(|source| Error::Load {
        dir: dir.to_path_buf(),
        source,
    })
}

impl Error {
    fn io(what: impl Into<String>, source: std::io::Error) -> Error {
        Error::Io {
            what: what.into(),
            source,
        }
    }

    /// A fix, where one is known.
    pub fn hint(&self) -> Option<String> {
        match self {
            Error::Data(e) | Error::Load { source: e, .. } => e.hint(),
            Error::Kpi(e) => e.hint(),
            Error::Score(e) => e.hint(),
            Error::Report(e) => e.hint(),
            Error::Timeout { .. } => Some(
                "look for a query without end (a recursive CTE that never stops) or, with \
                 --cluster, an executor that stopped mid-query (check the executors and run \
                 again); or raise --query-timeout"
                    .into(),
            ),
            Error::Input { hint, .. } => hint.clone(),
            Error::Io { .. } => None,
        }
    }

    /// Whether the error is the user's input (exit 1) rather than a fault (exit 2).
    pub fn is_input(&self) -> bool {
        match self {
            Error::Data(e) | Error::Load { source: e, .. } => e.is_input(),
            Error::Kpi(e) => e.is_input(),
            Error::Score(e) => e.is_input(),
            Error::Report(e) => e.is_input(),
            Error::Timeout { .. } | Error::Input { .. } => true,
            Error::Io { .. } => false,
        }
    }
}
