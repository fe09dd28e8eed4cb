//! The crate's error: the scorecard line at fault, and a fix.

use std::path::PathBuf;

use datafusion::arrow::error::ArrowError;

/// What stops scoring.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A scorecard that does not read or breaks a rule.
    #[error("{}{}: {reason}", path.display(), if *line > 0 { format!(":{line}") } else { String::new() })]
    Scorecard {
        /// The file.
        path: PathBuf,
        /// 1-based line (0: the file as a whole).
        line: usize,
        /// What is wrong.
        reason: String,
        /// How to fix it, where known.
        hint: Option<String>,
    },
    /// A scorecard file that cannot be read.
    #[error("cannot read {}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// Why, which an error chain prints after the file.
        #[source]
        cause: std::io::Error,
    },
    /// Input the scoring cannot use (no departments, a KPI matrix of another period).
    #[error("{reason}")]
    Input {
        /// What is wrong.
        reason: String,
    },
    /// Building an output table failed.
    #[error(transparent)]
    Arrow(#[from] ArrowError),
}

impl Error {
    /// How to fix it, where known.
    pub fn hint(&self) -> Option<String> {
        match self {
            Error::Scorecard { hint, .. } => hint.clone(),
            Error::Io { .. } => Some("check the --scorecard path".into()),
            _ => None,
        }
    }

    /// Whether the cause is the user's input (exit code 1) rather than a fault (2).
    pub fn is_input(&self) -> bool {
        !matches!(self, Error::Arrow(_))
    }
}
