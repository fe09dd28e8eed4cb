//! KPI matrices kept beside a warehouse, so that a run does not compute again the
//! earlier periods it compares with.
//!
//! A matrix is stored under a key that hashes everything it depends on: the engine's
//! version, the time zone, the working-day calendar, the period, every KPI's id,
//! missing rule and SQL, and the SHA-256 of every committed file whose rows may reach
//! the period (all files whose earliest time is before the period's end, and the
//! departments). An ingest that adds rows to those months, a changed KPI or calendar,
//! or another version gives another key, and the matrix is computed afresh. Files are
//! Arrow IPC (exact floating-point values); a cache that cannot be read or written is
//! skipped with a log line, never an error. The folder may be deleted at any time.

use std::fs::File;
use std::path::{Path, PathBuf};

use datafusion::arrow::ipc::reader::FileReader;
use datafusion::arrow::ipc::writer::FileWriter;
use sha2::{Digest, Sha256};

use crate::matrix::KpiMatrix;
use crate::period::Period;

/// A folder of cached matrices.
#[derive(Debug, Clone)]
pub(crate) struct KpiCache {
    dir: PathBuf,
}

impl KpiCache {
    pub(crate) fn new(dir: &Path) -> KpiCache {
        KpiCache {
            dir: dir.to_path_buf(),
        }
    }

    fn path(&self, key: &str) -> PathBuf {
        self.dir.join(format!("kpis-{key}.arrow"))
    }

    /// The matrix stored under `key`, if there is one that reads.
    pub(crate) fn get(&self, key: &str, period: &Period) -> Option<KpiMatrix> {
        let path = self.path(key);
        let file = File::open(&path).ok()?;
        let read = || -> Result<KpiMatrix, datafusion::arrow::error::ArrowError> {
            let mut values = Vec::new();
            for b in FileReader::try_new(file, None)? {
                values.extend(crate::matrix::matrix_rows(&b?));
            }
            Ok(KpiMatrix {
                period: period.clone(),
                values,
            })
        };
        match read() {
            Ok(m) => Some(m),
            Err(e) => {
                tracing::warn!(path = %path.display(), error = %e, "unreadable KPI cache file: computing afresh");
                None
            }
        }
    }

    /// Stores `matrix` under `key`: written to a temporary file, then renamed.
    pub(crate) fn put(&self, key: &str, matrix: &KpiMatrix) {
        let path = self.path(key);
        let tmp = self.dir.join(format!(".kpis-{key}.tmp"));
        let write = || -> Result<(), Box<dyn std::error::Error>> {
            std::fs::create_dir_all(&self.dir)?;
            let batch = matrix.to_batch()?;
            let mut w = FileWriter::try_new(File::create(&tmp)?, &batch.schema())?;
            w.write(&batch)?;
            w.finish()?;
            std::fs::rename(&tmp, &path)?;
            Ok(())
        };
        if let Err(e) = write() {
            tracing::warn!(path = %path.display(), error = %e, "could not keep the KPI matrix");
        }
    }
}

/// Builds a cache key from the parts a matrix depends on.
#[derive(Default)]
pub(crate) struct Key(Sha256);

impl Key {
    pub(crate) fn add(&mut self, part: &[u8]) -> &mut Self {
        // Length-prefixed, so that no two sequences of parts hash alike.
        self.0.update((part.len() as u64).to_le_bytes());
        self.0.update(part);
        self
    }

    pub(crate) fn finish(self) -> String {
        hex::encode(&self.0.finalize()[..16])
    }
}
