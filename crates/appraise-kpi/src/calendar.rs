//! The working-day calendar: weekends off, listed holidays off, listed make-up workdays
//! on, read from `queries/calendars/*.csv` (`date,kind,name`, kind `holiday` or
//! `workday`).
//!
//! A year is covered when some file lists a day of it; dates in any other year are never
//! guessed: asking for them is an error that names the year and the file to add.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{Datelike, NaiveDate, Weekday};
use datafusion::arrow::array::{BooleanArray, Date32Array, Int64Array, RecordBatch};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};

use crate::Error;

/// Holidays and make-up workdays for the covered years.
#[derive(Debug, Clone, Default)]
pub struct Calendar {
    /// date → is it a working day (only the listed exceptions).
    exceptions: BTreeMap<NaiveDate, bool>,
    years: BTreeSet<i32>,
    /// Where it was read from.
    pub files: Vec<PathBuf>,
}

impl Calendar {
    /// Reads every `*.csv` in `dir`.
    pub fn from_dir(dir: &Path) -> Result<Calendar, Error> {
        let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
            .map_err(|e| Error::Calendar {
                path: dir.to_path_buf(),
                line: None,
                reason: format!("cannot read the calendar folder: {e}"),
            })?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "csv"))
            .collect();
        files.sort();
        let mut texts = Vec::with_capacity(files.len());
        for f in files {
            let text = std::fs::read_to_string(&f).map_err(|e| Error::Calendar {
                path: f.clone(),
                line: None,
                reason: e.to_string(),
            })?;
            texts.push((f, text));
        }
        Calendar::from_texts(dir, texts)
    }

    /// The calendar of files given as (path, text); `origin` names them all in messages.
    pub fn from_texts(origin: &Path, files: Vec<(PathBuf, String)>) -> Result<Calendar, Error> {
        let mut cal = Calendar::default();
        for (f, text) in &files {
            cal.add_csv(f, text)?;
        }
        if cal.years.is_empty() {
            return Err(Error::Calendar {
                path: origin.to_path_buf(),
                line: None,
                reason: "no calendar file lists any day".into(),
            });
        }
        Ok(cal)
    }

    /// Adds the rows of one calendar file.
    pub fn add_csv(&mut self, path: &Path, text: &str) -> Result<(), Error> {
        let mut r = csv::Reader::from_reader(text.as_bytes());
        for rec in r.records() {
            let rec = rec.map_err(|e| Error::Calendar {
                path: path.to_path_buf(),
                line: e.position().map(|p| p.line()),
                reason: e.to_string(),
            })?;
            let line = rec.position().map(|p| p.line());
            let bad = |reason: String| Error::Calendar {
                path: path.to_path_buf(),
                line,
                reason,
            };
            let date = NaiveDate::parse_from_str(rec.get(0).unwrap_or("").trim(), "%Y-%m-%d")
                .map_err(|_| {
                    bad(format!(
                        "{:?} is not a date (YYYY-MM-DD)",
                        rec.get(0).unwrap_or("")
                    ))
                })?;
            let working = match rec.get(1).map(str::trim) {
                Some("holiday") => false,
                Some("workday") => true,
                other => {
                    return Err(bad(format!(
                        "kind {other:?} is neither holiday nor workday"
                    )));
                }
            };
            if self
                .exceptions
                .insert(date, working)
                .is_some_and(|w| w != working)
            {
                return Err(bad(format!(
                    "{date} is listed both as a holiday and as a workday"
                )));
            }
            self.years.insert(date.year());
        }
        self.files.push(path.to_path_buf());
        Ok(())
    }

    /// The years the calendar covers.
    pub fn years(&self) -> &BTreeSet<i32> {
        &self.years
    }

    /// The listed exceptions: date → whether it is a working day.
    pub fn exceptions(&self) -> &BTreeMap<NaiveDate, bool> {
        &self.exceptions
    }

    /// Whether `date` is a working day, or `None` outside the covered years.
    pub fn is_workday(&self, date: NaiveDate) -> Option<bool> {
        if !self.years.contains(&date.year()) {
            return None;
        }
        Some(match self.exceptions.get(&date) {
            Some(w) => *w,
            None => !matches!(date.weekday(), Weekday::Sat | Weekday::Sun),
        })
    }

    /// Checks that every year from `first` to `last` is covered; `what` says which data
    /// needs them, for the message.
    pub fn check_covers(&self, first: NaiveDate, last: NaiveDate, what: &str) -> Result<(), Error> {
        for year in first.year()..=last.year() {
            if !self.years.contains(&year) {
                return Err(Error::CalendarYear {
                    year,
                    what: what.to_string(),
                    covered: self
                        .years
                        .iter()
                        .map(i32::to_string)
                        .collect::<Vec<_>>()
                        .join(", "),
                });
            }
        }
        Ok(())
    }

    /// The `calendar` table: `date`, `is_workday`, `workday_seq` (working days up to and
    /// including the date, counted from the first covered day), one row per day of the
    /// covered years.
    pub fn to_batch(&self) -> RecordBatch {
        let mut dates = Vec::new();
        let mut work = Vec::new();
        let mut seq = Vec::new();
        let mut n = 0i64;
        for &year in &self.years {
            let (Some(first), Some(last)) = (
                NaiveDate::from_ymd_opt(year, 1, 1),
                NaiveDate::from_ymd_opt(year, 12, 31),
            ) else {
                continue;
            };
            for d in first.iter_days().take_while(|d| *d <= last) {
                let w = self.is_workday(d).unwrap_or(false);
                n += i64::from(w);
                dates.push(days_since_epoch(d));
                work.push(w);
                seq.push(n);
            }
        }
        RecordBatch::try_new(
            calendar_schema(),
            vec![
                Arc::new(Date32Array::from(dates)),
                Arc::new(BooleanArray::from(work)),
                Arc::new(Int64Array::from(seq)),
            ],
        )
        .expect("calendar columns match their schema")
    }
}

/// The schema of the `calendar` table.
pub fn calendar_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("date", DataType::Date32, false),
        Field::new("is_workday", DataType::Boolean, false),
        Field::new("workday_seq", DataType::Int64, false),
    ]))
}

/// Days since 1970-01-01, as Arrow's `Date32` counts.
pub(crate) fn days_since_epoch(d: NaiveDate) -> i32 {
    (d - NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default()).num_days() as i32
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cn() -> Calendar {
        Calendar::from_dir(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../../queries/calendars"))
            .unwrap()
    }

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn holidays_and_make_up_days() {
        let c = cn();
        assert_eq!(c.is_workday(d("2026-09-20")), Some(true)); // Sunday, make-up
        assert_eq!(c.is_workday(d("2026-10-10")), Some(true)); // Saturday, make-up
        assert_eq!(c.is_workday(d("2026-09-25")), Some(false)); // Friday, Mid-Autumn
        assert_eq!(c.is_workday(d("2026-10-01")), Some(false)); // Thursday, National Day
        assert_eq!(c.is_workday(d("2026-09-19")), Some(false)); // ordinary Saturday
        assert_eq!(c.is_workday(d("2026-09-21")), Some(true)); // ordinary Monday
        assert_eq!(c.is_workday(d("2027-01-04")), None); // not covered
    }

    #[test]
    fn workday_seq_counts_working_days() {
        let c = cn();
        let b = c.to_batch();
        let dates = b.column(0).as_any().downcast_ref::<Date32Array>().unwrap();
        let seq = b.column(2).as_any().downcast_ref::<Int64Array>().unwrap();
        let at = |s: &str| {
            let want = days_since_epoch(d(s));
            seq.value((0..b.num_rows()).find(|&i| dates.value(i) == want).unwrap())
        };
        // (09-18, 09-28]: 20 (make-up), 21, 22, 23, 24, 28 = 6 working days.
        assert_eq!(at("2026-09-28") - at("2026-09-18"), 6);
        // (09-30, 10-10]: 10-01..07 off; Thu 10-08, Fri 10-09 and the make-up Sat 10-10.
        assert_eq!(at("2026-10-10") - at("2026-09-30"), 3);
        assert_eq!(b.num_rows(), 365 + 365);
    }

    #[test]
    fn a_year_outside_the_calendar_is_named() {
        let err = cn()
            .check_covers(d("2024-12-30"), d("2026-01-02"), "share_requests")
            .unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.contains("2024") && msg.contains("share_requests"),
            "{msg}"
        );
    }
}
