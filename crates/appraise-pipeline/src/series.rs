//! The releases of one series: what an office publishes month after month and quarter
//! after quarter, protected together.
//!
//! Publishing a quarter and its three months lets anyone subtract: a cell hidden in
//! one month but shown in the quarter and the other two months is the difference. So
//! a release knows the releases it nests with, its **family**: the calendar quarter it
//! lies in and that quarter's three months. Every release of a family hides the same
//! cells and withholds the same KPI rows ([`crate::publish`] computes that pattern from
//! the whole family's data, whichever member is published, and in whatever order),
//! and only calendar months and quarters are published: an arbitrary range would
//! difference against them (`2026Q3` less `2026-07-01..2026-09-29` is the last day).
//!
//! Two releases of the same data at different minimum cells undo the larger one (the
//! smaller shows cells the larger hides), and a family whose data changed between two
//! of its releases no longer hides one pattern. The **series log**
//! (`appraise-series.json`, beside the output folder unless `--series` names another)
//! records every release: its period, its minimum cell, and fingerprints of its
//! family's data and pattern. A release at another minimum cell, or of a family whose
//! data or pattern differ from what the log recorded, is refused.

use std::path::{Path, PathBuf};

use appraise_data::lock::Lock;
use appraise_kpi::{Period, PeriodKind};
use serde::{Deserialize, Serialize};

use crate::Error;

/// The file name of a series log when `--series` is not given: beside the release.
pub const SERIES_FILE: &str = "appraise-series.json";

/// What a series log says it is.
const TOOL: &str = "appraise-series";

/// The periods released together with `period`: its calendar quarter first, then the
/// quarter's three months. Anything but a calendar month or quarter is refused.
pub fn family(period: &Period) -> Result<Vec<Period>, Error> {
    use chrono::Datelike;
    let quarter = match period.kind {
        PeriodKind::Quarter | PeriodKind::Month => Period::quarter(
            period.first_day.year(),
            (period.first_day.month() - 1) / 3 + 1,
        ),
        PeriodKind::Year | PeriodKind::Range => None,
    };
    let Some(quarter) = quarter else {
        return Err(Error::Input {
            reason: format!(
                "publish releases a calendar month or quarter, not {period}: releases of other \
                 spans of days could be subtracted from one another"
            ),
            hint: Some(
                "publish --period 2026Q3 or --period 2026-07 (a year as its four quarters)".into(),
            ),
        });
    };
    let mut out = vec![quarter.clone()];
    let mut month = quarter.first_day;
    for _ in 0..3 {
        let label = format!("{}-{:02}", month.year(), month.month());
        out.push(label.parse()?);
        month = month
            .checked_add_months(chrono::Months::new(1))
            .unwrap_or(month);
    }
    Ok(out)
}

/// One release in the log.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Entry {
    /// The period released (`2026-07`).
    pub period: String,
    /// Its family's quarter (`2026Q3`).
    pub family: String,
    /// The minimum cell.
    pub min_cell: u64,
    /// SHA-256 of the family's figures before suppression (exchange counts and KPI
    /// rows of the quarter and its months).
    pub data: String,
    /// SHA-256 of the family's pattern: the cells hidden and the KPI rows withheld.
    pub pattern: String,
    /// The folder written.
    pub out: String,
    /// When (RFC 3339, UTC).
    pub released_at: String,
    /// The appraise that made it.
    pub version: String,
}

#[derive(Debug, Serialize, Deserialize)]
struct Log {
    tool: String,
    format: u32,
    releases: Vec<Entry>,
}

/// A series log, locked while a release is made.
pub struct Series {
    path: PathBuf,
    log: Log,
    _lock: Lock,
}

impl Series {
    /// The series log at `path` (absent: a new series), locked against another
    /// release of the same series (`wait`: wait for it, else refuse).
    pub fn open(path: &Path, wait: bool) -> Result<Series, Error> {
        let name = path
            .file_name()
            .map_or_else(|| SERIES_FILE.into(), |n| n.to_string_lossy().into_owned());
        let lock = Lock::acquire(
            &path.with_file_name(format!(".{name}.lock")),
            &format!("the release series {}", path.display()),
            wait,
        )?;
        let not_ours = |why: String| Error::Input {
            reason: format!("{}: {why}", path.display()),
            hint: Some(format!(
                "appraise keeps the log of a release series in this file ({SERIES_FILE}) and \
                 never writes over another file: move it away, or name the series' log with \
                 --series FILE"
            )),
        };
        let log = match std::fs::symlink_metadata(path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Log {
                tool: TOOL.into(),
                format: 1,
                releases: Vec::new(),
            },
            Err(e) => return Err(Error::io(format!("reading {}", path.display()), e)),
            Ok(m) if !m.is_file() => return Err(not_ours("is not a regular file".into())),
            Ok(_) => {
                let text = std::fs::read_to_string(path)
                    .map_err(|e| Error::io(format!("reading {}", path.display()), e))?;
                let log: Log = serde_json::from_str(&text)
                    .map_err(|e| not_ours(format!("is not a series log of appraise's: {e}")))?;
                if log.tool != TOOL {
                    return Err(not_ours("is not a series log of appraise's".into()));
                }
                log
            }
        };
        Ok(Series {
            path: path.to_path_buf(),
            log,
            _lock: lock,
        })
    }

    /// The releases recorded so far.
    pub fn releases(&self) -> &[Entry] {
        &self.log.releases
    }

    /// Refuses a release that would not stay safe with those recorded: another
    /// minimum cell than the series', or a family whose figures or pattern differ from
    /// those an earlier release of it was made from.
    pub fn check(&self, next: &Entry) -> Result<(), Error> {
        let series = self.path.display();
        if let Some(e) = self
            .log
            .releases
            .iter()
            .find(|e| e.min_cell != next.min_cell)
        {
            return Err(Error::Input {
                reason: format!(
                    "the series {series} was released with --min-cell {} ({} to {}); a release \
                     of the same data at --min-cell {} would let anyone combine the two and see \
                     counts the larger minimum hides",
                    e.min_cell, e.period, e.out, next.min_cell
                ),
                hint: Some(format!(
                    "publish with --min-cell {}, or start a series of its own (--series FILE) \
                     for data no release of this one covers",
                    e.min_cell
                )),
            });
        }
        let earlier = self.log.releases.iter().find(|e| e.family == next.family);
        if let Some(e) = earlier.filter(|e| e.data != next.data || e.pattern != next.pattern) {
            let what = if e.data != next.data {
                "the figures of the family (its exchanges, or its KPIs and their values) have \
                 changed"
            } else {
                "this appraise hides other cells than the one that made it"
            };
            return Err(Error::Input {
                reason: format!(
                    "{} was released from {series} as part of {} ({} to {}); {what} since, so \
                     the two releases would not hide the same cells and could be subtracted",
                    next.period, e.family, e.period, e.out
                ),
                hint: Some(format!(
                    "publish {}'s releases again as a revision, all of them into a new series \
                     (--series FILE), and withdraw the earlier ones",
                    e.family
                )),
            });
        }
        Ok(())
    }

    /// Adds `entry` to the log, written beside it and renamed into place.
    pub fn record(&mut self, entry: Entry) -> Result<(), Error> {
        self.log.releases.push(entry);
        let text = serde_json::to_string_pretty(&self.log).unwrap_or_default() + "\n";
        let name = self
            .path
            .file_name()
            .map_or_else(|| SERIES_FILE.into(), |n| n.to_string_lossy().into_owned());
        let tmp = self
            .path
            .with_file_name(format!(".{name}.partial-{}", std::process::id()));
        let write = || -> std::io::Result<()> {
            use std::io::Write;
            let mut f = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&tmp)?;
            f.write_all(text.as_bytes())?;
            f.sync_all()?;
            std::fs::rename(&tmp, &self.path)
        };
        write().map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            Error::io(format!("writing {}", self.path.display()), e)
        })
    }
}

/// The SHA-256 of `parts`, each length-prefixed, as lowercase hex.
pub(crate) fn fingerprint<'a>(parts: impl IntoIterator<Item = &'a [u8]>) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    for p in parts {
        h.update((p.len() as u64).to_le_bytes());
        h.update(p);
    }
    hex::encode(h.finalize())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(period: &str, k: u64, data: &str) -> Entry {
        Entry {
            period: period.into(),
            family: "2026Q3".into(),
            min_cell: k,
            data: data.into(),
            pattern: "p".into(),
            out: format!("r/{period}"),
            released_at: String::new(),
            version: String::new(),
        }
    }

    #[test]
    fn a_family_is_the_quarter_and_its_months() {
        let labels = |p: &str| -> Vec<String> {
            family(&p.parse().unwrap())
                .unwrap()
                .iter()
                .map(ToString::to_string)
                .collect()
        };
        assert_eq!(
            labels("2026-08"),
            ["2026Q3", "2026-07", "2026-08", "2026-09"]
        );
        assert_eq!(
            labels("2026Q4"),
            ["2026Q4", "2026-10", "2026-11", "2026-12"]
        );
        for refused in ["2026", "2026-07-01..2026-09-29", "2026-07-01..2026-09-30"] {
            let e = family(&refused.parse().unwrap()).unwrap_err();
            assert!(e.to_string().contains("calendar month or quarter"), "{e}");
        }
    }

    #[test]
    fn two_releases_at_different_k_undo_the_larger_k() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(SERIES_FILE);
        let mut s = Series::open(&path, false).unwrap();
        s.check(&entry("2026Q3", 5, "d")).unwrap();
        s.record(entry("2026Q3", 5, "d")).unwrap();
        drop(s);
        let s = Series::open(&path, false).unwrap();
        let e = s.check(&entry("2026-07", 10, "d")).unwrap_err();
        assert!(e.to_string().contains("--min-cell 5"), "{e}");
        // The same family from changed data is refused too.
        let e = s.check(&entry("2026-07", 5, "other")).unwrap_err();
        assert!(e.to_string().contains("figures of the family"), "{e}");
        s.check(&entry("2026-07", 5, "d")).unwrap();
        assert_eq!(s.releases().len(), 1);
        // A second writer of the series waits or is refused.
        assert!(Series::open(&path, false).is_err());
    }

    #[test]
    fn a_users_file_at_the_logs_name_is_never_written() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(SERIES_FILE);
        std::fs::write(&path, "{\"mine\": 1}").unwrap();
        let e = Series::open(&path, false).err().unwrap();
        assert!(e.to_string().contains("not a series log"), "{e}");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "{\"mine\": 1}");
    }
}
