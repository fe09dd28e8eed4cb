//! Whether the data covers a period: an appraisal of a quarter the data does not reach
//! is an error, not an empty bulletin; a quarter the data covers only in part is
//! appraised with a warning.
//!
//! A table covers a month of the period when it holds a row whose time column
//! ([`Table::time_column`]) falls in that month (within the period); the catalog, which KPIs
//! see as it stands at the period's end, covers a month when a resource was registered
//! before the month's end. For rows in memory this is counted exactly; for a warehouse
//! it is read off the committed files' time spans (each file is one local month of one
//! table), so a month counts as covered when a file overlaps it.

use std::collections::BTreeSet;

use appraise_data::{Dataset, Table, Warning};
use chrono::Datelike;
use chrono_tz::Tz;
use datafusion::arrow::array::AsArray;
use datafusion::arrow::datatypes::TimestampMicrosecondType;

use crate::Error;
use crate::period::Period;

/// How one table covers a period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableCoverage {
    /// The table.
    pub table: Table,
    /// Earliest and latest value of its time column in the whole data (µs UTC).
    pub span: Option<(i64, i64)>,
    /// The months of the period (`2026-07`), each with whether the table has rows in it.
    pub months: Vec<(String, bool)>,
}

impl TableCoverage {
    /// Whether the table has a row in the period.
    pub fn any(&self) -> bool {
        self.months.iter().any(|(_, c)| *c)
    }

    /// The months of the period the table has no rows in.
    pub fn missing(&self) -> Vec<&str> {
        self.months
            .iter()
            .filter(|(_, c)| !c)
            .map(|(m, _)| m.as_str())
            .collect()
    }

    /// "exchanges: 2026-04-01 to 2026-09-30", or "exchanges: no rows".
    pub fn describe(&self, tz: Tz) -> String {
        let day = |us: i64| {
            chrono::DateTime::from_timestamp_micros(us)
                .map(|t| t.with_timezone(&tz).format("%Y-%m-%d").to_string())
                .unwrap_or_default()
        };
        match self.span {
            Some((lo, hi)) => format!("{}: {} to {}", self.table, day(lo), day(hi)),
            None => format!("{}: no rows", self.table),
        }
    }
}

/// The calendar months of `period`, each cut to the period: label, start, end (µs UTC).
fn months(period: &Period, tz: Tz) -> Vec<(String, i64, i64)> {
    let (start, end) = (period.start_us(tz), period.end_us(tz));
    let mut out = Vec::new();
    let (mut y, mut m) = (period.first_day.year(), period.first_day.month());
    loop {
        let label = format!("{y:04}-{m:02}");
        let Ok(month) = label.parse::<Period>() else {
            break;
        };
        let (lo, hi) = (month.start_us(tz).max(start), month.end_us(tz).min(end));
        if lo >= end {
            break;
        }
        out.push((label, lo, hi));
        (y, m) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
    }
    out
}

/// How `table` of `data` covers `period`.
pub fn coverage(data: &Dataset, table: Table, period: &Period, tz: Tz) -> TableCoverage {
    let loaded = data.table(table);
    let months = months(period, tz);
    let mut covered = vec![false; months.len()];
    let column = table.time_column();
    let span = loaded.time_span();
    // The catalog in scope is every resource registered before the end.
    let so_far = table == Table::Catalog;
    let within = |t: i64, lo: i64, hi: i64| t < hi && (so_far || lo <= t);
    if let Some(files) = &loaded.stored {
        for f in files.iter().filter(|f| f.rows > 0) {
            for (i, (_, lo, hi)) in months.iter().enumerate() {
                covered[i] |= if so_far {
                    f.starts_before(*hi)
                } else {
                    f.overlaps(*lo, *hi)
                };
            }
        }
    } else if let Some(ix) = column.and_then(|c| table.column_index(c)) {
        for b in &loaded.batches {
            let Some(times) = b.column(ix).as_primitive_opt::<TimestampMicrosecondType>() else {
                continue;
            };
            for t in times.iter().flatten() {
                for (i, (_, lo, hi)) in months.iter().enumerate() {
                    covered[i] |= within(t, *lo, *hi);
                }
            }
            if covered.iter().all(|c| *c) {
                break;
            }
        }
    }
    TableCoverage {
        table,
        span,
        months: months
            .into_iter()
            .zip(covered)
            .map(|((m, _, _), c)| (m, c))
            .collect(),
    }
}

/// Checks that the data covers `period`: exchanges, and every other table in `tables`
/// (those the KPIs read) that holds rows at all, must have rows in the period, else the
/// error names the period and what the data covers. Months of the period that one of
/// them does not reach come back as warnings. With `allow_empty` an empty period is a
/// warning too.
pub fn check_period(
    data: &Dataset,
    period: &Period,
    tz: Tz,
    tables: &BTreeSet<Table>,
    allow_empty: bool,
) -> Result<Vec<Warning>, Error> {
    let mut checked: Vec<TableCoverage> = Vec::new();
    for t in Table::ALL {
        if t == Table::Departments || (t != Table::Exchanges && !tables.contains(&t)) {
            continue;
        }
        let c = coverage(data, t, period, tz);
        // A table the data does not have at all is a load warning, not a period's.
        if t == Table::Exchanges || c.span.is_some() {
            checked.push(c);
        }
    }
    let empty: Vec<&TableCoverage> = checked.iter().filter(|c| !c.any()).collect();
    let mut warnings = Vec::new();
    if !empty.is_empty() {
        let names: Vec<String> = empty.iter().map(|c| c.table.to_string()).collect();
        let covers: Vec<String> = checked.iter().map(|c| c.describe(tz)).collect();
        let reason = format!(
            "the data holds no {} in the period {period} ({} to {}); it covers {}",
            names.join(", "),
            period.first_day,
            period.last_day,
            covers.join("; ")
        );
        if !allow_empty {
            return Err(Error::EmptyPeriod { reason });
        }
        warnings.push(
            Warning::new("empty_period", reason)
                .list("tables", &names)
                .arg("period", period)
                .arg("first", period.first_day)
                .arg("last", period.last_day),
        );
    }
    // One warning per set of missing months, naming the tables that miss them.
    let mut partly: Vec<(Vec<&str>, Vec<&TableCoverage>)> = Vec::new();
    for c in checked
        .iter()
        .filter(|c| c.any() && !c.missing().is_empty())
    {
        match partly.iter_mut().find(|(m, _)| *m == c.missing()) {
            Some((_, tables)) => tables.push(c),
            None => partly.push((c.missing(), vec![c])),
        }
    }
    for (missing, tables) in partly {
        let names: Vec<String> = tables.iter().map(|c| c.table.to_string()).collect();
        let covers: Vec<String> = tables.iter().map(|c| c.describe(tz)).collect();
        let text = format!(
            "the period {period} is only partly covered: {} {} no rows in {} ({})",
            names.join(", "),
            if names.len() == 1 { "has" } else { "have" },
            missing.join(", "),
            covers.join("; ")
        );
        warnings.push(
            Warning::new("partial_period", text)
                .arg("period", period)
                .list("tables", names)
                .list("months", missing),
        );
    }
    Ok(warnings)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_of_a_quarter_and_of_a_range() {
        let tz = chrono_tz::Asia::Shanghai;
        let q: Period = "2026Q3".parse().unwrap();
        let m: Vec<String> = months(&q, tz).into_iter().map(|(l, _, _)| l).collect();
        assert_eq!(m, ["2026-07", "2026-08", "2026-09"]);
        let r: Period = "2026-07-15..2026-08-10".parse().unwrap();
        let m = months(&r, tz);
        assert_eq!(m.len(), 2);
        // Cut to the period: the first month starts on the 15th, the last ends on the
        // 11th (exclusive).
        assert_eq!(m[0].1, r.start_us(tz));
        assert_eq!(m[1].2, r.end_us(tz));
    }
}
