//! The data contract of appraise and everything that reads data into it.
//!
//! The main entry point is [`load_dir`], which reads a data folder into a [`Dataset`]:
//! the five tables of the contract ([`Table`]) as Arrow record batches, every input row
//! accounted for as loaded, rejected (with its reason, written to a rejects file) or a
//! duplicate. (The crate `appraise-gen` writes synthetic data in the same shape.)
//!
//! ```no_run
//! use appraise_data::{load_dir, LoadOptions, Table};
//!
//! let data = load_dir("fixtures/demo".as_ref(), &LoadOptions::default())?;
//! let exchanges = data.table(Table::Exchanges);
//! assert!(exchanges.accounting.balances());
//! println!("{} exchanges loaded", exchanges.num_rows());
//! # Ok::<(), appraise_data::Error>(())
//! ```
#![deny(missing_docs)]

pub mod digest;
mod encoding;
mod error;
#[doc(hidden)]
pub mod guard;
mod load;
pub mod lock;
pub mod manifest;
pub mod parallel;
mod pseudonym;
mod rejects;
pub mod schema;
mod source;
pub mod staging;
pub mod timestamp;
mod validate;
pub mod warehouse;
mod warning;
pub mod xroad;

pub use encoding::{EncodingProblem, encoding_for_label};
pub use error::Error;
pub use load::{Dataset, LoadedTable, load_departments};
pub use pseudonym::{KEY_ENV, Pseudonymiser};
pub use rejects::{REDACTED, REJECT_COLUMNS, spreadsheet_safe};
pub use schema::Table;
pub use source::database::{DatabaseOptions, without_password};
pub use source::{InputFormat, LoadOptions, MAX_RECORD_BYTES, SourceReport};
pub use warning::Warning;

/// The zone of timestamps written without an offset, of dates and of periods, unless a
/// command or the scorecard names another.
pub const DEFAULT_TIMEZONE: chrono_tz::Tz = chrono_tz::Asia::Shanghai;

/// [`DEFAULT_TIMEZONE`]'s IANA name.
pub const DEFAULT_TIMEZONE_NAME: &str = "Asia/Shanghai";
pub use validate::{Accounting, Builder, Reason, Val, parse_bool, unprintable};

/// Loads every table of a data folder: `<table>.{csv,jsonl,parquet,arrow}` or a folder
/// `<table>/` of such files (or, with [`InputFormat::Xroad`], X-Road records).
///
/// `departments` is required; a missing table of the others is empty, with a warning.
/// Rows that break the contract are rejected, never lost: see [`Accounting`].
///
/// A warehouse is opened with [`warehouse::open`]: its departments are loaded and its
/// other tables stay in their files.
pub fn load_dir(dir: &std::path::Path, opts: &LoadOptions) -> Result<Dataset, Error> {
    if warehouse::is_warehouse(dir) {
        return warehouse::open(dir, opts);
    }
    let mut warnings = Vec::new();
    let mut source = source::open(dir, opts, &mut warnings)?;
    load::load(source.as_mut(), opts, warnings, None)
}
