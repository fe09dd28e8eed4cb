//! The appraisal's outputs.
//!
//! This crate will hold: charts (plotters, SVG and PNG), the self-contained HTML report
//! and Markdown from minijinja templates in `reports/templates/`, department report
//! cards, the XLSX workbook, CSV/JSON/Parquet tables and the run manifest.
#![deny(missing_docs)]
