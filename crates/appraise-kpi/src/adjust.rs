//! Adjustments: the appeals and corrections an office accepted, applied to the rows as
//! the KPIs read them. The data are never changed: an excluded row leaves the
//! appraisal, a `set` row is read with its new value, and both are listed in the
//! report.
//!
//! The file is CSV with the header
//! `table,id,department_id,from,to,action,reason,reference`:
//!
//! | column | what |
//! | --- | --- |
//! | `table` | `exchanges`, `share_requests`, `services`, `catalog` or `departments` |
//! | `id` | the row's id (`event_id`, `request_id`, `case_id`, `resource_id`, `dept_id`); or empty for a window |
//! | `department_id` | the appellant: the department the rows belong to (an exchange's or share request's provider, a case's or catalog entry's department); with an id, checked against the row |
//! | `from`, `to` | without an id: the window of the rows' time (`requested_at`, `submitted_at`, `registered_at`), local time in the run's zone; `from` included, `to` excluded, and a `to` that is a date alone includes that day |
//! | `action` | `exclude`, or `set:<column>=<value>` (empty value: null) |
//! | `reason`, `reference` | why, and the decision's number; both required |

use std::path::{Path, PathBuf};

use appraise_data::Table;
use appraise_data::timestamp::parse_timestamp;
use chrono::NaiveDate;
use chrono_tz::Tz;
use datafusion::arrow::datatypes::{DataType, TimeUnit};
use datafusion::logical_expr::{Expr, col, lit, when};
use datafusion::scalar::ScalarValue;

use crate::Error;

/// The header of an adjustments file.
pub const HEADER: [&str; 8] = [
    "table",
    "id",
    "department_id",
    "from",
    "to",
    "action",
    "reason",
    "reference",
];

/// The accepted adjustments of one file.
#[derive(Debug, Clone, PartialEq)]
pub struct Adjustments {
    /// The file read.
    pub path: PathBuf,
    /// Its size in bytes and SHA-256, for the manifest.
    pub bytes: u64,
    /// Its SHA-256.
    pub sha256: String,
    /// Its lines, in order.
    pub lines: Vec<Adjustment>,
}

/// One accepted adjustment.
#[derive(Debug, Clone, PartialEq)]
pub struct Adjustment {
    /// Its line in the file (the header is line 1).
    pub line: usize,
    /// The table of its rows.
    pub table: Table,
    /// Which rows.
    pub rows: Rows,
    /// The appellant, where given (always for a window).
    pub department_id: Option<String>,
    /// What is done to them.
    pub action: Action,
    /// Why.
    pub reason: String,
    /// The decision's number.
    pub reference: String,
}

/// The rows an adjustment touches.
#[derive(Debug, Clone, PartialEq)]
pub enum Rows {
    /// One row, by id.
    Id(String),
    /// The appellant's rows whose time falls in `[from, to)`, microseconds UTC; with
    /// the times as written.
    Window {
        /// Start, included.
        from: i64,
        /// End, excluded.
        to: i64,
        /// `from` and `to` as the file says them.
        written: (String, String),
    },
}

/// What an adjustment does to its rows.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// The rows leave the appraisal.
    Exclude,
    /// A column is read with another value (null where `None`).
    Set {
        /// The column.
        column: String,
        /// The value as written.
        written: String,
        /// The value in the column's type.
        value: ScalarValue,
    },
}

/// The column naming the department a row of `table` belongs to: an exchange's and a
/// share request's provider, a case's, a catalog entry's and a department's own id.
pub fn department_column(table: Table) -> &'static str {
    match table {
        Table::Exchanges | Table::ShareRequests => "provider_dept",
        Table::Services | Table::Catalog | Table::Departments => "dept_id",
    }
}

impl Adjustments {
    /// Reads an adjustments file; times without an offset are read in `tz`.
    pub fn from_file(path: &Path, tz: Tz) -> Result<Adjustments, Error> {
        let bytes = std::fs::read(path).map_err(|source| Error::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Adjustments::parse(path, &bytes, tz)
    }

    /// Parses the text of an adjustments file.
    pub fn parse(path: &Path, bytes: &[u8], tz: Tz) -> Result<Adjustments, Error> {
        use sha2::Digest;
        let bad = |line: usize, field: Option<&str>, reason: String, hint: Option<String>| {
            Error::Adjustments {
                path: path.to_path_buf(),
                line,
                field: field.map(str::to_string),
                reason,
                hint,
            }
        };
        let text = std::str::from_utf8(bytes).map_err(|e| {
            bad(
                0,
                None,
                format!("not UTF-8 (byte {})", e.valid_up_to()),
                Some("save the file as UTF-8".into()),
            )
        })?;
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(true)
            .flexible(false)
            .from_reader(text.as_bytes());
        let header: Vec<String> = reader
            .headers()
            .map_err(|e| bad(1, None, e.to_string(), None))?
            .iter()
            .map(|h| h.trim().to_string())
            .collect();
        if header != HEADER {
            return Err(bad(
                1,
                None,
                format!("the header is {:?}", header.join(",")),
                Some(format!("the header is {}", HEADER.join(","))),
            ));
        }
        let mut lines = Vec::new();
        for record in reader.records() {
            let record = record.map_err(|e| {
                let line = e.position().map_or(0, |p| p.line() as usize);
                bad(
                    line,
                    None,
                    e.to_string(),
                    Some(format!(
                        "each line has the {} fields of the header",
                        HEADER.len()
                    )),
                )
            })?;
            let line = record.position().map_or(0, |p| p.line() as usize);
            let field = |name: &str| {
                let i = HEADER.iter().position(|h| *h == name).unwrap_or(0);
                record.get(i).unwrap_or("").trim().to_string()
            };
            lines.push(
                adjustment(line, &field, tz)
                    .map_err(|(field, reason, hint)| bad(line, Some(field), reason, hint))?,
            );
        }
        Ok(Adjustments {
            path: path.to_path_buf(),
            bytes: bytes.len() as u64,
            sha256: hex::encode(sha2::Sha256::digest(bytes)),
            lines,
        })
    }

    /// The adjustments of `table`.
    pub fn of(&self, table: Table) -> impl Iterator<Item = &Adjustment> {
        self.lines.iter().filter(move |a| a.table == table)
    }

    /// `df`, rows of `table` in its extended schema, as the adjustments have it: the
    /// excluded rows left out, the set columns replaced (and the local dates of a set
    /// time with them); `local_date` gives a time's local date, as the engine computes it.
    pub(crate) fn apply(
        &self,
        table: Table,
        df: datafusion::dataframe::DataFrame,
        local_date: &dyn Fn(Expr) -> Expr,
    ) -> Result<datafusion::dataframe::DataFrame, Error> {
        let mut adjustments = self.of(table).peekable();
        if adjustments.peek().is_none() {
            return Ok(df);
        }
        let mut excluded: Option<Expr> = None;
        let mut sets: Vec<(&str, Expr, &ScalarValue)> = Vec::new();
        for a in adjustments {
            let matched = a.matches();
            match &a.action {
                Action::Exclude => {
                    excluded = Some(match excluded {
                        Some(e) => e.or(matched),
                        None => matched,
                    });
                }
                Action::Set { column, value, .. } => sets.push((column, matched, value)),
            }
        }
        let mut df = df;
        if let Some(e) = excluded {
            df = df.filter(e.is_not_true())?;
        }
        if sets.is_empty() {
            return Ok(df);
        }
        // A column as set: a later line wins over an earlier one for the same row.
        let own = |c: &str| -> Result<Expr, Error> {
            let mut e = col(c);
            for (_, matched, value) in sets.iter().filter(|(column, ..)| *column == c) {
                e = when(matched.clone(), lit((*value).clone())).otherwise(e)?;
            }
            Ok(e)
        };
        let mut columns = Vec::new();
        for f in df.schema().fields() {
            let name = f.name();
            // A local date follows its time (`decided_date` its `decided_at`).
            let time = name.strip_suffix("_date").map(|t| format!("{t}_at"));
            columns.push(match time {
                Some(t) if sets.iter().any(|(c, ..)| *c == t) => local_date(own(&t)?).alias(name),
                _ => own(name)?.alias(name),
            });
        }
        Ok(df.select(columns)?)
    }
}

impl Adjustment {
    /// Whether a row of its table is one it touches (on the table's own columns).
    pub fn matches(&self) -> Expr {
        match &self.rows {
            Rows::Id(id) => col(self.table.id_column()).eq(lit(id.as_str())),
            Rows::Window { from, to, .. } => {
                let time = self.table.time_column().unwrap_or_default();
                let at = |us: i64| {
                    lit(ScalarValue::TimestampMicrosecond(
                        Some(us),
                        Some("UTC".into()),
                    ))
                };
                col(department_column(self.table))
                    .eq(lit(self.department_id.clone().unwrap_or_default()))
                    .and(col(time).gt_eq(at(*from)))
                    .and(col(time).lt(at(*to)))
            }
        }
    }
}

type Refusal = (&'static str, String, Option<String>);

/// One line of the file, from its fields.
fn adjustment(line: usize, field: &dyn Fn(&str) -> String, tz: Tz) -> Result<Adjustment, Refusal> {
    let name = field("table");
    let table = Table::from_name(&name).ok_or_else(|| {
        (
            "table",
            format!("{name:?} is not a table"),
            Some("one of exchanges, share_requests, services, catalog, departments".into()),
        )
    })?;
    let (id, department_id) = (field("id"), field("department_id"));
    let (from, to) = (field("from"), field("to"));
    let department_id = (!department_id.is_empty()).then_some(department_id);
    let rows = if !id.is_empty() {
        if !from.is_empty() || !to.is_empty() {
            return Err((
                "from",
                "an adjustment names a row by its id or a window of time, not both".into(),
                Some("leave from and to empty for one row".into()),
            ));
        }
        Rows::Id(id)
    } else {
        if table.time_column().is_none() {
            return Err((
                "id",
                format!("a row of {name} is named by its id"),
                Some("give the dept_id in the id column".into()),
            ));
        }
        if department_id.is_none() {
            return Err((
                "department_id",
                "a window of time needs the department whose rows it excuses".into(),
                Some(format!(
                    "give the appellant's id; its {name} are those whose {} it is",
                    department_column(table)
                )),
            ));
        }
        let start = instant(&from, tz, false).map_err(|r| ("from", r, Some(TIME_HINT.into())))?;
        let end = instant(&to, tz, true).map_err(|r| ("to", r, Some(TIME_HINT.into())))?;
        if start >= end {
            return Err(("to", format!("the window {from} to {to} is empty"), None));
        }
        Rows::Window {
            from: start,
            to: end,
            written: (from, to),
        }
    };
    let action = action(table, &field("action"), tz)?;
    let (reason, reference) = (field("reason"), field("reference"));
    for (key, value) in [("reason", &reason), ("reference", &reference)] {
        if value.is_empty() {
            return Err((
                key,
                format!("no {key}"),
                Some("every adjustment gives its reason and the number of the decision that accepted it".into()),
            ));
        }
    }
    Ok(Adjustment {
        line,
        table,
        rows,
        department_id,
        action,
        reason,
        reference,
    })
}

const TIME_HINT: &str = "a date (2026-08-12) or a local time (2026-08-12 09:30:00)";

/// A `from` or `to` time in microseconds UTC: a date alone is its start, or, for a
/// `to` (`end`), the start of the next day.
fn instant(s: &str, tz: Tz, end: bool) -> Result<i64, String> {
    if let Ok(day) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        let day = if end {
            day.succ_opt().unwrap_or(day)
        } else {
            day
        };
        return parse_timestamp(&format!("{day} 00:00:00"), tz).map_err(str::to_string);
    }
    parse_timestamp(s, tz).map_err(|e| format!("{s:?}: {e}"))
}

/// The action of a line: `exclude` or `set:<column>=<value>` on a column of `table`
/// that is neither its id nor its department.
fn action(table: Table, s: &str, tz: Tz) -> Result<Action, Refusal> {
    if s == "exclude" {
        return Ok(Action::Exclude);
    }
    let hint = || Some("exclude, or set:<column>=<value>".into());
    let Some((column, written)) = s.strip_prefix("set:").and_then(|r| r.split_once('=')) else {
        return Err(("action", format!("{s:?} is not an action"), hint()));
    };
    let column = column.trim();
    let schema = table.schema();
    let Ok(f) = schema.field_with_name(column) else {
        return Err((
            "action",
            format!("{} has no column {column:?}", table.name()),
            Some(format!(
                "its columns: {}",
                schema
                    .fields()
                    .iter()
                    .map(|f| f.name().as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
        ));
    };
    if column == table.id_column() || column == department_column(table) {
        return Err((
            "action",
            format!("{column} says whose row it is and cannot be set"),
            Some(
                "an adjustment may not move a row to another department; exclude it instead".into(),
            ),
        ));
    }
    let value = if written.is_empty() {
        ScalarValue::try_from(f.data_type()).map_err(|e| ("action", e.to_string(), None))?
    } else {
        match f.data_type() {
            DataType::Timestamp(TimeUnit::Microsecond, zone) => ScalarValue::TimestampMicrosecond(
                Some(parse_timestamp(written, tz).map_err(|e| {
                    (
                        "action",
                        format!("{written:?}: {e}"),
                        Some(TIME_HINT.into()),
                    )
                })?),
                zone.clone(),
            ),
            t => ScalarValue::try_from_string(written.to_string(), t).map_err(|_| {
                (
                    "action",
                    format!("{written:?} is not a value of {column}"),
                    Some(format!("{column} holds values of type {t}")),
                )
            })?,
        }
    };
    Ok(Action::Set {
        column: column.to_string(),
        written: written.to_string(),
        value,
    })
}

/// What one adjustment touches in the data.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Touched {
    /// How many rows.
    pub rows: u64,
    /// The departments they belong to, sorted.
    pub departments: Vec<String>,
}
