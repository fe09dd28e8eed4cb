//! Scoring the KPI matrix into a ranked, graded scorecard.
//!
//! This crate will hold: the scorecard file (`queries/scorecard.toml`), transforms
//! (`none`, `log`, `auto`), normalisation within peer groups (`minmax`, `zscore`,
//! `rank`, `goalpost`), missing-value rules, weighted arithmetic or geometric
//! aggregation, competition ranking, grades by thresholds or quota, comparison with
//! earlier periods, Monte Carlo rank intervals with Sobol indices, and diagnostics.
#![deny(missing_docs)]
