//! The crate's error: what stops a load, with the file, the place and a fix.

use std::path::{Path, PathBuf};

use datafusion::arrow::error::ArrowError;
use datafusion::parquet::errors::ParquetError;

/// Something that stops a load. Rejected rows are not errors: they are counted and
/// written to the rejects files.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file that cannot be read as a table of the contract.
    #[error("{}{}: {reason}", path.display(), place.as_deref().map(|p| format!(", {p}")).unwrap_or_default())]
    Unreadable {
        /// The file.
        path: PathBuf,
        /// Where in it (`line 3`, `column "status"`, `byte 1024`), if known.
        place: Option<String>,
        /// What is wrong.
        reason: String,
        /// How to fix it.
        hint: Option<String>,
    },
    /// A problem with the options or the data folder as a whole.
    #[error("{reason}")]
    Input {
        /// What is wrong.
        reason: String,
        /// How to fix it.
        hint: Option<String>,
    },
    /// Reading or writing a file failed. A write that failed because the disk is
    /// full or read-only says so and is a fault, not the input's.
    #[error("{}{}", if Error::is_storage_fault(cause) { "cannot write " } else { "" }, path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause, which an error chain prints after the file.
        #[source]
        cause: std::io::Error,
    },
    /// An Arrow error.
    #[error(transparent)]
    Arrow(#[from] ArrowError),
    /// A Parquet error.
    #[error(transparent)]
    Parquet(#[from] ParquetError),
}

impl Error {
    /// A fix for the user, where one is known.
    pub fn hint(&self) -> Option<String> {
        match self {
            Error::Unreadable { hint, .. } | Error::Input { hint, .. } => hint.clone(),
            _ => None,
        }
    }

    /// Whether the error is the user's input (exit code 1) rather than internal (2).
    pub fn is_input(&self) -> bool {
        match self {
            Error::Unreadable { .. } | Error::Input { .. } => true,
            Error::Io { cause, .. } => !Error::is_storage_fault(cause),
            _ => false,
        }
    }

    /// Whether an I/O error is the disk's, not the input's: full, over quota,
    /// read-only, or a file too large for it. Only writing fails so; appraise writes
    /// only its own output, so such an error is a fault (exit 2) naming that output.
    pub fn is_storage_fault(e: &std::io::Error) -> bool {
        use std::io::ErrorKind::*;
        matches!(
            e.kind(),
            StorageFull | QuotaExceeded | ReadOnlyFilesystem | FileTooLarge
        )
    }

    /// Reading or writing `path` failed.
    pub fn io(path: &Path, source: std::io::Error) -> Self {
        Error::Io {
            path: path.to_path_buf(),
            cause: source,
        }
    }

    /// Writing CSV to `path` failed.
    pub fn csv_write(path: &Path, e: csv::Error) -> Self {
        Error::Io {
            path: path.to_path_buf(),
            cause: std::io::Error::other(e),
        }
    }

    pub(crate) fn unreadable(
        path: &Path,
        place: Option<String>,
        reason: impl Into<String>,
        hint: impl Into<Option<String>>,
    ) -> Self {
        Error::Unreadable {
            path: path.to_path_buf(),
            place,
            reason: reason.into(),
            hint: hint.into(),
        }
    }
}
