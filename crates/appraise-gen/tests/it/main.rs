//! One test binary for appraise-gen: the generated data and its planted facts.
//! Each module is one subject; `cargo test --workspace --test it <module>::` runs one.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

mod generated;
