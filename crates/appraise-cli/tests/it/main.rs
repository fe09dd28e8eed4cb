//! One test binary for the `appraise` program: its commands run as a user runs them.
//! Each module is one subject; `cargo test --workspace --test it <module>::` runs one.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

mod common;
#[path = "../../../appraise-data/tests/it/samples/mod.rs"]
mod samples;

mod adjustments;
mod architecture;
mod cli;
mod cluster;
mod databases;
mod report;
mod safety;
mod xroad;
