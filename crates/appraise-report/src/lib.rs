//! The appraisal's outputs.
//!
//! This crate will hold: charts (plotters, SVG and PNG), the self-contained HTML report
//! and Markdown from minijinja templates in `reports/templates/`, department report
//! cards, the XLSX workbook and CSV/JSON/Parquet tables. Today it holds what every
//! output needs: [`manifest::Manifest`] (`manifest.json`: inputs with SHA-256, the
//! scorecard and KPI hashes, row accounting), [`names::file_stems`], file names from
//! department ids, and [`staging::Staging`], an output folder that appears whole or not
//! at all.
#![deny(missing_docs)]

pub mod manifest;
pub mod names;
pub mod staging;
