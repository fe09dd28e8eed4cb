//! X-Road records as a source: the `exchanges` from the records, paired; the
//! `departments` from a `--departments` file, the mapping, or made per member; no other
//! table (`docs/xroad.md`).

use std::path::{Path, PathBuf};

use super::adapter::Adapter;
use crate::source::files::{format_of, no_departments, not_a_table, read_file, sorted_entries};
use crate::source::{InputFormat, LoadOptions, Source, SourceReport, check_regular};
use crate::validate::TableSink;
use crate::{Error, Table, Warning};

/// X-Road operational-monitoring records, paired into exchanges.
pub(crate) struct Monitoring {
    records: Vec<PathBuf>,
    /// The `--departments` file, if one is given.
    departments: Option<(PathBuf, InputFormat)>,
    mapping: Option<PathBuf>,
    adapter: Adapter,
}

impl Monitoring {
    /// The records at `path`, the file itself or every file under the folder (hidden
    /// ones aside), with the mapping and departments `opts.xroad` names.
    pub(crate) fn open(path: &Path, opts: &LoadOptions) -> Result<Monitoring, Error> {
        let records = record_files(path)?;
        let departments = match &opts.xroad.departments {
            Some(d) => {
                let format = format_of(d, InputFormat::Auto)?.ok_or_else(|| not_a_table(d, ""))?;
                Some((d.clone(), format))
            }
            None => None,
        };
        let adapter = Adapter::new(&records, opts)?;
        if departments.is_none() && !adapter.has_departments() {
            return Err(no_departments(path));
        }
        Ok(Monitoring {
            records,
            departments,
            mapping: opts.xroad.mapping.clone(),
            adapter,
        })
    }
}

impl Source for Monitoring {
    fn read(
        &mut self,
        table: Table,
        sink: &mut TableSink<'_>,
        opts: &LoadOptions,
        warnings: &mut Vec<Warning>,
    ) -> Result<(), Error> {
        match table {
            Table::Exchanges => self.adapter.push_exchanges(sink),
            Table::Departments => {
                if let Some((path, format)) = &self.departments {
                    tracing::info!(table = table.name(), file = %path.display(), "loading");
                    read_file(path, *format, sink, opts, warnings)?;
                }
                self.adapter.push_departments(sink)
            }
            _ => Ok(()),
        }
    }

    fn files(&self, table: Table) -> Vec<PathBuf> {
        match table {
            Table::Exchanges => self.records.clone(),
            Table::Departments => {
                let file = self.departments.iter().map(|(p, _)| p);
                file.chain(&self.mapping).cloned().collect()
            }
            _ => Vec::new(),
        }
    }

    fn finish(&mut self, warnings: &mut Vec<Warning>) -> Option<SourceReport> {
        warnings.push(Warning::new(
            "xroad_exchanges_only",
            "X-Road records hold exchanges only: catalog, share_requests and services are \
             empty, and the KPIs on them have no values",
        ));
        warnings.extend(self.adapter.unmapped_warning());
        Some(SourceReport::Xroad(std::mem::take(
            &mut self.adapter.summary,
        )))
    }
}

/// The record files: `path` itself, or every file under the folder `path` (hidden ones
/// aside), in order of their paths.
fn record_files(path: &Path) -> Result<Vec<PathBuf>, Error> {
    let mut files = Vec::new();
    if path.is_dir() {
        let mut folders = vec![path.to_path_buf()];
        while let Some(dir) = folders.pop() {
            for p in sorted_entries(&dir)?.into_iter().rev() {
                let hidden = p
                    .file_name()
                    .and_then(|n| n.to_str())
                    .is_none_or(|n| n.starts_with('.'));
                if hidden {
                    continue;
                }
                if p.is_dir() {
                    folders.push(p);
                } else {
                    check_regular(&p)?;
                    files.push(p);
                }
            }
        }
        files.sort();
    } else if path.is_file() {
        files.push(path.to_path_buf());
    } else {
        return Err(Error::io(
            path,
            std::io::Error::new(std::io::ErrorKind::NotFound, "no such file or folder"),
        ));
    }
    if files.is_empty() {
        return Err(Error::Input {
            reason: format!("{}: no X-Road record files", path.display()),
            hint: Some(
                "point --data at a file of operational-monitoring records, or a folder of them"
                    .into(),
            ),
        });
    }
    Ok(files)
}
