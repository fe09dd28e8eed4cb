//! One test binary for appraise-pipeline: a run end to end, anomalies and the open-data release.
//! Each module is one subject; `cargo test --workspace --test it <module>::` runs one.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

mod anomalies;
mod pipeline;
mod publish;
