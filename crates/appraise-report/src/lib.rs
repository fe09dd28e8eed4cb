//! The appraisal's outputs.
//!
//! This crate will hold: charts (plotters, SVG and PNG), the self-contained HTML report
//! and Markdown from minijinja templates in `reports/templates/`, department report
//! cards, the XLSX workbook, CSV/JSON/Parquet tables and the run manifest. Today it
//! holds the two pieces every output needs: [`names::file_stems`], file names from
//! department ids, and [`staging::Staging`], an output folder that appears whole or not
//! at all.
#![deny(missing_docs)]

pub mod names;
pub mod staging;
