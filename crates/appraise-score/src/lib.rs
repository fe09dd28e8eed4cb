//! Scoring the KPI matrix into a ranked, graded appraisal.
//!
//! The method is DESIGN.md's Scoring section, after the OECD/JRC handbook on composite
//! indicators as the JRC's COINr package implements it: treat → normalise → weight →
//! aggregate → rank → grade, then compare with earlier periods and test how robust
//! each rank is. The policy lives in a [`Scorecard`] (`queries/scorecard.toml`); the
//! main types are [`Scores`] (one period) and [`Appraisal`] (a period with its history,
//! robustness and diagnostics), which writes the output tables.
//!
//! ```no_run
//! # fn f(departments: &[appraise_score::Department], library: &[appraise_kpi::KpiDef],
//! #      now: &appraise_kpi::KpiMatrix, before: &appraise_kpi::KpiMatrix)
//! #      -> Result<(), appraise_score::Error> {
//! use appraise_score::{Appraisal, Input, Scorecard, score};
//!
//! let card = Scorecard::from_file("queries/scorecard.toml".as_ref())?;
//! card.check(library)?;
//! let current = score(&card, &Input { departments, library, matrix: now })?;
//! let previous = score(&card, &Input { departments, library, matrix: before })?;
//! let appraisal = Appraisal::new(card, current, vec![previous]);
//! let ranking = appraisal.ranking_table()?; // an Arrow RecordBatch
//! # Ok(()) }
//! ```
#![deny(missing_docs)]

pub mod anomaly;
pub mod change;
pub mod diagnose;
mod error;
pub mod flags;
pub mod funnel;
pub mod rates;
pub mod robust;
mod score;
pub mod scorecard;
pub mod stats;
mod tables;
pub mod targets;
mod treat;

pub use error::Error;
pub use flags::Flags;
pub use robust::{Assumption, RankInterval, Robustness, SobolIndex, robustness};
pub use score::{
    Cell, Department, DepartmentScore, Input, Scores, Status, TIE, competition_ranks, score,
};
pub use scorecard::{
    Aggregation, Bulletin, GradeMethod, MissingRule, Normalisation, Scorecard, Shrink, Transform,
};
pub use tables::{SIGNIFICANT_DIGITS, comparison, published};

/// A scored period with its history, rank intervals and diagnostics: everything the
/// report shows.
#[derive(Debug, Clone)]
pub struct Appraisal {
    /// The scorecard used for every period.
    pub scorecard: Scorecard,
    /// The period appraised.
    pub current: Scores,
    /// Earlier periods through the same scorecard, most recent first.
    pub history: Vec<Scores>,
    /// The Monte Carlo and Sobol analysis of the current period (none when the
    /// scorecard sets `runs = 0`).
    pub robustness: Option<Robustness>,
    /// Rank correlations of the KPI pairs in the current period.
    pub correlations: Vec<diagnose::Correlation>,
    /// Improvement targets of the current period ([`targets::targets`]; empty until
    /// set, as they need the KPI matrix).
    pub targets: Vec<targets::Target>,
    /// Each department's route to the next grade ([`targets::routes`]; empty until
    /// set, as they need the KPI matrix).
    pub routes: Vec<targets::Route>,
}

impl Appraisal {
    /// Runs the robustness analysis and the diagnostics on `current`.
    pub fn new(scorecard: Scorecard, current: Scores, history: Vec<Scores>) -> Appraisal {
        let robustness =
            (scorecard.uncertainty.runs > 0).then(|| robustness(&current, &scorecard.uncertainty));
        let correlations = diagnose::correlations(&current);
        Appraisal {
            scorecard,
            current,
            history,
            robustness,
            correlations,
            targets: Vec::new(),
            routes: Vec::new(),
        }
    }

    /// The period before the current one, if it was scored.
    pub fn previous(&self) -> Option<&Scores> {
        self.history.first()
    }
}
