//! KPIs as SQL files, run on DataFusion.
//!
//! The main type is [`Engine`]: a DataFusion session over a loaded
//! [`appraise_data::Dataset`] that scopes the tables to a [`Period`] and runs
//! [`KpiDef`]s — each one `.sql` file with a `-- key: value` header — into the long
//! [`KpiMatrix`] (`period, department_id, kpi, value, numerator, denominator,
//! sample_size`).
//!
//! What KPI SQL sees for a period (so that it never names a date):
//!
//! | table | rows |
//! | --- | --- |
//! | `exchanges` | `requested_at` in the period |
//! | `share_requests` | `submitted_at` in the period, as of its end: decided at or after the end → `decision = 'pending'`, `decided_at` null |
//! | `services` | `submitted_at` in the period |
//! | `services_completed` | services with `completed_at` in the period |
//! | `catalog` | `registered_at` before the end; `last_updated_at` at or after the end → null |
//! | `departments` | all |
//! | `period` | one row: `start_ts`, `end_ts` (exclusive), `start_date`, `end_date` (last day), `label` |
//! | `calendar` | `date`, `is_workday`, `workday_seq` |
//!
//! Every timestamp column `x_at` comes with `x_date`, its local calendar date, so that
//! working days are plain joins on `calendar`: the working days in (date a, date b] are
//! `workday_seq(b) − workday_seq(a)`.
//!
//! ```no_run
//! # async fn f() -> Result<(), Box<dyn std::error::Error>> {
//! use appraise_kpi::{Calendar, Engine, EngineOptions, Period, load_library};
//!
//! let data = appraise_data::load_dir("fixtures/tiny".as_ref(), &Default::default())?;
//! let calendar = Calendar::from_dir("queries/calendars".as_ref())?;
//! let engine = Engine::new(&data, calendar, &EngineOptions::default())?;
//! let kpis = load_library("queries/kpis".as_ref())?;
//! let matrix = engine.run(&"2026Q3".parse::<Period>()?, &kpis).await?;
//! println!("{} values", matrix.values.len());
//! # Ok(()) }
//! ```
#![deny(missing_docs)]

pub mod adjust;
mod cache;
pub mod calendar;
pub mod cluster;
pub mod coverage;
mod definition;
mod engine;
mod error;
mod evidence;
pub mod facts;
pub mod fuse;
mod matrix;
pub mod percentile;
pub mod period;
pub mod sandbox;

pub use adjust::Adjustments;
pub use calendar::Calendar;
pub use definition::{Direction, KpiDef, Missing, library_from, load_library, select};
pub use engine::{Engine, EngineOptions, Trend, date_column, extended_schema};
pub use error::Error;
pub use evidence::{Evidence, Item, ItemSpec, Items, Weight, attach as attach_evidence};
pub use matrix::{KpiMatrix, KpiValue};
pub use period::{Period, PeriodKind};

/// appraise's own aggregate functions, in place of DataFusion's of the same names on
/// every session, scheduler and executor: the exact `percentile_cont` and
/// `appraise_percentiles` ([`percentile`]).
pub fn aggregates() -> Vec<datafusion::logical_expr::AggregateUDF> {
    vec![percentile::percentile_cont(), percentile::percentiles()]
}
