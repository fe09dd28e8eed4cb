//! One test binary for appraise-kpi: the KPI contract, the engine's facts and percentiles, SQL logic tests, warehouses.
//! Each module is one subject; `cargo test --workspace --test it <module>::` runs one.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

mod common;

mod adjust;
mod contract;
mod facts;
mod fuse;
mod percentiles;
mod slt;
mod warehouse;
