//! `manifest.json`: what a run read, with which settings, and what it made of every row,
//! so that a reader can check a report against its inputs.
//!
//! Every input file, the scorecard and every KPI file are listed with their size and
//! SHA-256; per table, the row accounting. Only `generated_at` and `timings` change
//! between two runs over the same inputs.

use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};

use crate::{Accounting, Dataset};
use serde::Serialize;

/// A file and its fingerprint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FileHash {
    /// The path: a data file's relative to the data folder, the scorecard's and a KPI's
    /// its file name, so that the manifest does not change with where a checkout lies.
    pub path: PathBuf,
    /// Size in bytes.
    pub bytes: u64,
    /// SHA-256 of the content, lowercase hex.
    pub sha256: String,
    /// For the scorecard and the KPI files: where they came from, `built-in` (the copy
    /// in the binary) or the path they were read from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub origin: Option<String>,
}

impl FileHash {
    /// Hashes a file, streaming; `shown` is the path the manifest gives.
    pub fn of(path: &Path, shown: &Path) -> io::Result<FileHash> {
        let (bytes, sha256) = crate::digest::file_sha256(path)?;
        Ok(FileHash {
            path: shown.to_path_buf(),
            bytes,
            sha256,
            origin: None,
        })
    }

    /// Hashes a policy file's content, read from `origin`.
    pub fn of_policy(shown: &Path, content: &[u8], origin: &str) -> FileHash {
        use sha2::{Digest, Sha256};
        FileHash {
            path: file_name(shown),
            bytes: content.len() as u64,
            sha256: hex::encode(Sha256::digest(content)),
            origin: Some(origin.to_string()),
        }
    }
}

/// A KPI as the run used it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KpiHash {
    /// Its id.
    pub id: String,
    /// Its file.
    #[serde(flatten)]
    pub file: FileHash,
}

/// The run manifest.
#[derive(Debug, Clone, Serialize)]
pub struct Manifest {
    /// `appraise` and its version.
    pub tool: String,
    /// The version of the tool.
    pub version: String,
    /// The period appraised.
    pub period: String,
    /// When the run ended (RFC 3339, UTC). Differs between runs.
    pub generated_at: String,
    /// Every data file read, in table order.
    pub inputs: Vec<FileHash>,
    /// The scorecard.
    pub scorecard: Option<FileHash>,
    /// The KPI files, by id.
    pub kpis: Vec<KpiHash>,
    /// The adjustments applied (`--adjustments`), where any were.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub adjustments: Option<FileHash>,
    /// The report's language.
    pub lang: String,
    /// The template files that replaced built-in ones (`--templates`); empty when the
    /// report used the built-in templates only.
    pub templates: Vec<FileHash>,
    /// Rows read, loaded, rejected (by reason) and duplicated, per table.
    pub accounting: BTreeMap<String, Accounting>,
    /// The source's own account of the load, under its name (`xroad`: what became of
    /// every record); absent for table files.
    #[serde(flatten)]
    pub report: Option<crate::SourceReport>,
    /// Seconds per step. Differs between runs.
    pub timings: Vec<(String, f64)>,
}

impl Manifest {
    /// A manifest for a run over `data`, read from the folder `root`: hashes its input
    /// files. Of a warehouse, it hashes the warehouse's manifest, which lists every
    /// committed file with its SHA-256 (files that may run to gigabytes are not read
    /// again).
    pub fn new(version: &str, period: &str, root: &Path, data: &Dataset) -> io::Result<Manifest> {
        // A single input file (X-Road records) is named from its folder.
        let root = match root.parent() {
            Some(parent) if root.is_file() => parent,
            _ => root,
        };
        let mut inputs = Vec::new();
        let mut accounting = BTreeMap::new();
        for t in &data.tables {
            if t.stored.is_none() {
                for f in &t.files {
                    inputs.push(FileHash::of(f, f.strip_prefix(root).unwrap_or(f))?);
                }
            }
            accounting.insert(t.table.name().to_string(), t.accounting.clone());
        }
        if data.tables.iter().any(|t| t.stored.is_some()) {
            // The manifest as the run read it at open, not as it is now: an ingest
            // committing meanwhile does not change what the figures came from.
            let shown = Path::new(crate::warehouse::MANIFEST);
            inputs.push(match &data.snapshot {
                Some((bytes, sha256)) => FileHash {
                    path: shown.to_path_buf(),
                    bytes: *bytes,
                    sha256: sha256.clone(),
                    origin: None,
                },
                None => FileHash::of(&root.join(shown), shown)?,
            });
        }
        Ok(Manifest {
            tool: "appraise".into(),
            version: version.into(),
            period: period.into(),
            generated_at: String::new(),
            inputs,
            scorecard: None,
            kpis: Vec::new(),
            adjustments: None,
            lang: String::new(),
            templates: Vec::new(),
            accounting,
            report: data.report.clone(),
            timings: Vec::new(),
        })
    }

    /// Adds the scorecard's hash and origin.
    pub fn scorecard(&mut self, path: &Path, content: &[u8], origin: &str) {
        self.scorecard = Some(FileHash::of_policy(path, content, origin));
    }

    /// Adds a KPI file's hash and origin.
    pub fn kpi(&mut self, id: &str, path: &Path, content: &[u8], origin: &str) {
        self.kpis.push(KpiHash {
            id: id.into(),
            file: FileHash::of_policy(path, content, origin),
        });
    }

    /// Adds the adjustments file: its name, size and SHA-256 as read.
    pub fn adjustments(&mut self, path: &Path, bytes: u64, sha256: &str) {
        self.adjustments = Some(FileHash {
            path: file_name(path),
            bytes,
            sha256: sha256.to_string(),
            origin: None,
        });
    }

    /// Adds the hash of a template file that replaced a built-in one.
    pub fn template(&mut self, path: &Path) -> io::Result<()> {
        self.templates.push(FileHash::of(path, &file_name(path))?);
        Ok(())
    }

    /// The manifest as pretty JSON, ending with a newline.
    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).unwrap_or_default();
        s.push('\n');
        s
    }
}

fn file_name(path: &Path) -> PathBuf {
    path.file_name()
        .map_or_else(|| path.to_path_buf(), PathBuf::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn provenance_hashed_at_the_end() {
        // Regression: a run reading a warehouse while an ingest committed named the
        // manifest as it was after the ingest, though its figures came from before.
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures");
        let dir = tempfile::tempdir().unwrap();
        let wh = dir.path().join("wh");
        let opts = crate::LoadOptions::default();
        crate::warehouse::ingest(&root.join("tiny"), &wh, &opts).unwrap();
        let manifest = wh.join(crate::warehouse::MANIFEST);
        let at_open = crate::digest::file_sha256(&manifest).unwrap();
        let data = crate::warehouse::open(&wh, &opts).unwrap();
        // An ingest commits while the run goes on.
        crate::warehouse::ingest(&root.join("demo"), &wh, &opts).unwrap();
        let now = crate::digest::file_sha256(&manifest).unwrap();
        assert_ne!(now, at_open);
        let m = Manifest::new("0", "2026Q3", &wh, &data).unwrap();
        let named = m
            .inputs
            .iter()
            .find(|f| f.path == Path::new(crate::warehouse::MANIFEST))
            .unwrap();
        assert_eq!((named.bytes, named.sha256.clone()), at_open);
    }

    #[test]
    fn hashes_a_file_as_sha256sum_does() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.csv");
        std::fs::write(&path, "abc").unwrap();
        let h = FileHash::of(&path, Path::new("x.csv")).unwrap();
        // `printf abc | sha256sum` (the FIPS 180-2 test vector)
        assert_eq!(
            h.sha256,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(h.bytes, 3);
    }

    #[test]
    fn lists_every_input_and_balances_the_rows() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/tiny");
        let data = crate::load_dir(&root, &Default::default()).unwrap();
        let m = Manifest::new("0.1.0", "2026Q3", &root, &data).unwrap();
        let files: usize = data.tables.iter().map(|t| t.files.len()).sum();
        assert_eq!(m.inputs.len(), files);
        assert_eq!(m.accounting.len(), 5);
        assert!(m.accounting.values().all(Accounting::balances));
        let json: serde_json::Value = serde_json::from_str(&m.to_json()).unwrap();
        assert_eq!(json["accounting"]["departments"]["read"], 6);
        // Paths are relative to the data folder.
        assert!(
            m.inputs.iter().all(|f| f.path.is_relative()),
            "{:?}",
            m.inputs
        );
    }
}
