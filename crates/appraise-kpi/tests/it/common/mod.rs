//! What the engine tests over generated exchanges share: the engine over fixtures/tiny
//! with its exchanges replaced, and the percentile they are checked against.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use std::path::{Path, PathBuf};

use appraise_data::{LoadOptions, Table, load_dir};
use appraise_kpi::{Calendar, Engine, EngineOptions};
use datafusion::arrow::array::RecordBatch;

pub(crate) fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The engine over fixtures/tiny whose exchanges are `exchanges`.
pub(crate) fn engine_with_exchanges(exchanges: RecordBatch) -> Engine {
    let mut data = load_dir(&root().join("fixtures/tiny"), &LoadOptions::default()).unwrap();
    let t = data
        .tables
        .iter_mut()
        .find(|t| t.table == Table::Exchanges)
        .unwrap();
    t.batches = vec![exchanges];
    let calendar = Calendar::from_dir(&root().join("queries/calendars")).unwrap();
    Engine::new(&data, calendar, &EngineOptions::default()).unwrap()
}

/// Type-7 percentile of sorted values: linear between the two nearest, at (n - 1) p.
pub(crate) fn percentile(sorted: &[f64], p: f64) -> f64 {
    let pos = (sorted.len() - 1) as f64 * p;
    let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
    sorted[lo] + (pos - pos.floor()) * (sorted[hi] - sorted[lo])
}
