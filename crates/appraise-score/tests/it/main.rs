//! One test binary for appraise-score: scorecards, scoring and its properties.
//! Each module is one subject; `cargo test --workspace --test it <module>::` runs one.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

mod common;

mod properties;
mod scorecard;
mod scoring;
