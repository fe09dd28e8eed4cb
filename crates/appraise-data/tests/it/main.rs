//! One test binary for appraise-data: loading, validation, the warehouse and X-Road records.
//! Each module is one subject; `cargo test --workspace --test it <module>::` runs one.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

mod samples;

mod bad_inputs;
mod blocks;
mod corruption;
mod dictionary;
mod formats;
mod warehouse;
mod xroad;
