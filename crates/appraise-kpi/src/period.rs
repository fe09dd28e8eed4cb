//! Appraisal periods: `2026Q3`, `2026-07`, `2026`, `2026-07-01..2026-09-30`.
//!
//! A period is the half-open interval [local midnight of its first day, local midnight
//! after its last day) in the configured zone. Its *end* is that exclusive instant.

use std::fmt;
use std::str::FromStr;

use chrono::{Datelike, Months, NaiveDate, TimeZone};
use chrono_tz::Tz;

use crate::Error;

/// What kind of period, which decides what "the previous one" is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PeriodKind {
    /// A calendar year.
    Year,
    /// A quarter.
    Quarter,
    /// A month.
    Month,
    /// Any run of days; the previous one is the run of equal length before it.
    Range,
}

/// A period of whole local days.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Period {
    /// Its kind.
    pub kind: PeriodKind,
    /// First day.
    pub first_day: NaiveDate,
    /// Last day (inclusive).
    pub last_day: NaiveDate,
}

impl Period {
    /// The quarter `q` (1–4) of `year`.
    pub fn quarter(year: i32, q: u32) -> Option<Period> {
        if !(1..=4).contains(&q) {
            return None;
        }
        let first = NaiveDate::from_ymd_opt(year, (q - 1) * 3 + 1, 1)?;
        Some(Period {
            kind: PeriodKind::Quarter,
            first_day: first,
            last_day: add_months(first, 3)?.pred_opt()?,
        })
    }

    /// The label: `2026Q3`, `2026-07`, `2026` or `2026-07-01..2026-09-30`.
    pub fn label(&self) -> String {
        let (y, m) = (self.first_day.year(), self.first_day.month());
        match self.kind {
            PeriodKind::Year => format!("{y}"),
            PeriodKind::Quarter => format!("{y}Q{}", (m - 1) / 3 + 1),
            PeriodKind::Month => format!("{y}-{m:02}"),
            PeriodKind::Range => format!("{}..{}", self.first_day, self.last_day),
        }
    }

    /// The period of the same kind just before this one.
    pub fn previous(&self) -> Option<Period> {
        let months = match self.kind {
            PeriodKind::Year => 12,
            PeriodKind::Quarter => 3,
            PeriodKind::Month => 1,
            PeriodKind::Range => {
                let days = (self.last_day - self.first_day).num_days() + 1;
                let last = self.first_day.pred_opt()?;
                let first = last - chrono::Duration::days(days - 1);
                return Some(Period {
                    kind: PeriodKind::Range,
                    first_day: first,
                    last_day: last,
                });
            }
        };
        let first = self.first_day.checked_sub_months(Months::new(months))?;
        Some(Period {
            kind: self.kind,
            first_day: first,
            last_day: self.first_day.pred_opt()?,
        })
    }

    /// This period and the `n − 1` before it, oldest first.
    pub fn last_n(&self, n: usize) -> Vec<Period> {
        let mut out = vec![self.clone()];
        while out.len() < n {
            match out.last().and_then(Period::previous) {
                Some(p) => out.push(p),
                None => break,
            }
        }
        out.reverse();
        out
    }

    /// Start instant (inclusive), microseconds since the epoch, UTC.
    pub fn start_us(&self, tz: Tz) -> i64 {
        local_midnight_us(tz, self.first_day)
    }

    /// End instant (exclusive): local midnight after the last day.
    pub fn end_us(&self, tz: Tz) -> i64 {
        local_midnight_us(tz, self.last_day.succ_opt().unwrap_or(self.last_day))
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.label())
    }
}

impl FromStr for Period {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Error> {
        let bad = || Error::Period {
            given: s.to_string(),
            hint: "write 2026Q3, 2026-07, 2026 or 2026-07-01..2026-09-30".into(),
        };
        let s = s.trim();
        if let Some((a, b)) = s.split_once("..") {
            let first = NaiveDate::parse_from_str(a, "%Y-%m-%d").map_err(|_| bad())?;
            let last = NaiveDate::parse_from_str(b, "%Y-%m-%d").map_err(|_| bad())?;
            if last < first {
                return Err(Error::Period {
                    given: s.to_string(),
                    hint: "the first day must not be after the last".into(),
                });
            }
            return Ok(Period {
                kind: PeriodKind::Range,
                first_day: first,
                last_day: last,
            });
        }
        if let Some((y, q)) = s.split_once(['Q', 'q']) {
            let year = y.parse().map_err(|_| bad())?;
            let q = q.parse().map_err(|_| bad())?;
            return Period::quarter(year, q).ok_or_else(bad);
        }
        if let Some((y, m)) = s.split_once('-') {
            let year: i32 = y.parse().map_err(|_| bad())?;
            let month: u32 = m.parse().map_err(|_| bad())?;
            let first = NaiveDate::from_ymd_opt(year, month, 1).ok_or_else(bad)?;
            let last = add_months(first, 1)
                .and_then(|d| d.pred_opt())
                .ok_or_else(bad)?;
            return Ok(Period {
                kind: PeriodKind::Month,
                first_day: first,
                last_day: last,
            });
        }
        if s.len() == 4 {
            let year: i32 = s.parse().map_err(|_| bad())?;
            let first = NaiveDate::from_ymd_opt(year, 1, 1).ok_or_else(bad)?;
            let last = NaiveDate::from_ymd_opt(year, 12, 31).ok_or_else(bad)?;
            return Ok(Period {
                kind: PeriodKind::Year,
                first_day: first,
                last_day: last,
            });
        }
        Err(bad())
    }
}

fn add_months(d: NaiveDate, n: u32) -> Option<NaiveDate> {
    d.checked_add_months(Months::new(n))
}

/// Microseconds (UTC) of local midnight starting `date` in `tz`; where a zone skips
/// midnight, the first instant of the day.
pub(crate) fn local_midnight_us(tz: Tz, date: NaiveDate) -> i64 {
    let mut t = date.and_hms_opt(0, 0, 0).unwrap_or_default();
    // A daylight-saving jump at midnight: the day starts at the first existing minute.
    for _ in 0..180 {
        if let Some(x) = tz.from_local_datetime(&t).earliest() {
            return x.timestamp_micros();
        }
        t += chrono::Duration::minutes(1);
    }
    t.and_utc().timestamp_micros()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn the_four_spellings() {
        let q: Period = "2026Q3".parse().unwrap();
        assert_eq!(
            (q.first_day, q.last_day),
            (d("2026-07-01"), d("2026-09-30"))
        );
        let m: Period = "2026-02".parse().unwrap();
        assert_eq!(
            (m.first_day, m.last_day),
            (d("2026-02-01"), d("2026-02-28"))
        );
        let y: Period = "2026".parse().unwrap();
        assert_eq!(
            (y.first_day, y.last_day),
            (d("2026-01-01"), d("2026-12-31"))
        );
        let r: Period = "2026-07-01..2026-09-30".parse().unwrap();
        assert_eq!((r.first_day, r.last_day), (q.first_day, q.last_day));
        for p in [&q, &m, &y, &r] {
            assert_eq!(&p.label().parse::<Period>().unwrap(), p);
        }
        for bad in ["2026Q5", "2026-13", "26", "2026-09-30..2026-07-01", "Q3"] {
            assert!(bad.parse::<Period>().is_err(), "{bad}");
        }
    }

    #[test]
    fn boundaries_are_local_midnights() {
        let q: Period = "2026Q3".parse().unwrap();
        let sh = chrono_tz::Asia::Shanghai;
        // 2026-07-01 00:00 +08:00 = 2026-06-30 16:00 UTC.
        let start = chrono::DateTime::parse_from_rfc3339("2026-06-30T16:00:00Z").unwrap();
        let end = chrono::DateTime::parse_from_rfc3339("2026-09-30T16:00:00Z").unwrap();
        assert_eq!(q.start_us(sh), start.timestamp_micros());
        assert_eq!(q.end_us(sh), end.timestamp_micros());
    }

    #[test]
    fn previous_and_trend_periods() {
        let q: Period = "2026Q1".parse().unwrap();
        assert_eq!(q.previous().unwrap().label(), "2025Q4");
        let labels: Vec<String> = q.last_n(4).iter().map(Period::label).collect();
        assert_eq!(labels, ["2025Q2", "2025Q3", "2025Q4", "2026Q1"]);
        let m: Period = "2026-03".parse().unwrap();
        assert_eq!(m.previous().unwrap().label(), "2026-02");
        let r: Period = "2026-07-01..2026-07-10".parse().unwrap();
        assert_eq!(r.previous().unwrap().label(), "2026-06-21..2026-06-30");
    }
}
