//! KPIs as SQL files, run on DataFusion.
//!
//! This crate will hold: the KPI file format (a `-- key: value` header, then one
//! `SELECT`), periods (`2026Q3`, `2026-07`, `2026`, `2026-07-01..2026-09-30`), the
//! working-day `calendar` table built from `queries/calendars/`, the period-scoped
//! registration of the five tables, sandboxed read-only execution (locally or on a
//! Ballista cluster) and the long KPI matrix
//! `period, department_id, kpi, value, numerator, denominator, sample_size`.
#![deny(missing_docs)]
