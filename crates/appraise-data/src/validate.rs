//! Row validation: text fields in, typed Arrow columns out, or a reason for rejecting.
//!
//! Every reader (CSV, JSON Lines, Parquet, Arrow IPC) hands rows to a [`TableSink`] as
//! one optional text field per contract column. The sink parses and checks them
//! ([`Validator`]), keeps identical repeats once, rejects conflicting repeats of an id,
//! and appends the rest to Arrow builders. Each row ends up in exactly one of loaded,
//! rejected or duplicates, which is the accounting identity every run reports. CSV
//! files are checked in blocks on worker threads ([`BlockBuilder`]), and the sink
//! settles their repeats in file order ([`TableSink::push_block`]).

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

use chrono_tz::Tz;
use datafusion::arrow::array::{
    ArrayRef, AsArray, BooleanArray, BooleanBuilder, Int64Builder, StringBuilder,
    TimestampMicrosecondBuilder,
};
use datafusion::arrow::compute::filter_record_batch;
use datafusion::arrow::record_batch::RecordBatch;
use serde::Serialize;
use xxhash_rust::xxh3::xxh3_64;

use crate::Error;
use crate::digest::{Seen, id_hash};
use crate::pseudonym::Pseudonymiser;
use crate::rejects::{Reject, RejectWriter};
use crate::schema::{Column, Kind, Table};
use crate::timestamp::parse_timestamp;

/// Why a row was rejected. The names are stable: scripts read them from
/// `appraise validate --format json` and from the rejects files.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Reason {
    /// A CSV row with more or fewer fields than the header.
    FieldCount,
    /// A JSON Lines line that is not a JSON object.
    MalformedJson,
    /// A required field is empty or absent.
    MissingRequired,
    /// A timestamp that does not read.
    InvalidTimestamp,
    /// A whole number that does not read.
    InvalidInteger,
    /// A boolean that does not read.
    InvalidBoolean,
    /// A value outside its column's fixed set of words.
    InvalidEnum,
    /// A count below zero.
    NegativeCount,
    /// A number outside its allowed range (a rating outside 1–5).
    OutOfRange,
    /// An end before its start (`responded_at` before `requested_at`, ...).
    TimeOrder,
    /// Fields that contradict each other (a pending request with a decision time, ...).
    Inconsistent,
    /// A department code that names no loaded department.
    UnknownDepartment,
    /// An id seen before on a row with different content.
    ConflictingId,
    /// An X-Road member or subsystem the mapping file does not map to a department.
    UnmappedMember,
}

impl Reason {
    /// The stable name used in reports and rejects files.
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::FieldCount => "field_count",
            Reason::MalformedJson => "malformed_json",
            Reason::MissingRequired => "missing_required",
            Reason::InvalidTimestamp => "invalid_timestamp",
            Reason::InvalidInteger => "invalid_integer",
            Reason::InvalidBoolean => "invalid_boolean",
            Reason::InvalidEnum => "invalid_enum",
            Reason::NegativeCount => "negative_count",
            Reason::OutOfRange => "out_of_range",
            Reason::TimeOrder => "time_order",
            Reason::Inconsistent => "inconsistent",
            Reason::UnknownDepartment => "unknown_department",
            Reason::ConflictingId => "conflicting_id",
            Reason::UnmappedMember => "unmapped_member",
        }
    }
}

/// A rejected row's reason, the column at fault and a readable detail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Rejection {
    /// Why.
    pub reason: Reason,
    /// The column at fault, where one is.
    pub column: Option<&'static str>,
    /// What was wrong, for a person (never holds personal data).
    pub detail: String,
}

impl Rejection {
    fn new(reason: Reason, column: &'static str, detail: impl Into<String>) -> Self {
        Rejection {
            reason,
            column: Some(column),
            detail: detail.into(),
        }
    }
}

/// Per-table row accounting: `read = loaded + rejected + duplicates`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Accounting {
    /// Rows read from the table's files.
    pub read: u64,
    /// Rows loaded into the table.
    pub loaded: u64,
    /// Rows rejected (written to the rejects file).
    pub rejected: u64,
    /// Identical repeats of a loaded row, kept once.
    pub duplicates: u64,
    /// Rejected rows by reason.
    pub reasons: BTreeMap<String, u64>,
}

impl Accounting {
    /// Whether every row read is accounted for.
    pub fn balances(&self) -> bool {
        self.read == self.loaded + self.rejected + self.duplicates
    }
}

/// One field of a row, parsed: what validation makes of a text field, and what a
/// [`Builder`] turns into a column.
#[derive(Debug, Clone, PartialEq)]
pub enum Val<'a> {
    /// Absent.
    Null,
    /// Text borrowed from the input.
    Str(&'a str),
    /// Text made while reading (a pseudonym, a canonical spelling).
    Owned(String),
    /// A timestamp, µs since the epoch, UTC.
    Ts(i64),
    /// A whole number.
    Int(i64),
    /// A boolean.
    Bool(bool),
}

impl Val<'_> {
    /// The timestamp, if the field is one.
    pub fn ts(&self) -> Option<i64> {
        match self {
            Val::Ts(t) => Some(*t),
            _ => None,
        }
    }

    fn text(&self) -> Option<&str> {
        match self {
            Val::Str(s) => Some(s),
            Val::Owned(s) => Some(s),
            _ => None,
        }
    }
}

/// The ids of the departments rows may refer to (looked up twice per exchange, so with
/// a fast hash rather than the default SipHash).
pub(crate) type Departments = HashSet<String, foldhash::fast::RandomState>;

/// What a sink needs besides the rows.
#[derive(Clone)]
pub(crate) struct SinkConfig<'a> {
    pub tz: Tz,
    pub departments: Option<&'a Departments>,
    pub pseudonymiser: Option<&'a Pseudonymiser>,
    /// Personal fields are kept as stored: they were pseudonymised before (a warehouse).
    pub stored_pseudonyms: bool,
    pub batch_size: usize,
}

/// Takes a table's loaded rows a chunk at a time, so that the sink need not keep them.
pub(crate) type Drain<'d> = dyn FnMut(Table, Vec<RecordBatch>) -> Result<(), Error> + 'd;

/// Parses and checks rows of one table; shared by the threads that validate a file's
/// blocks.
#[derive(Clone)]
pub(crate) struct Validator<'a> {
    table: Table,
    columns: &'static [Column],
    cfg: SinkConfig<'a>,
}

/// Receives a table's rows, validates them and builds its Arrow batches.
pub(crate) struct TableSink<'a> {
    validator: Validator<'a>,
    builders: Vec<Builder>,
    pending: usize,
    batches: Vec<RecordBatch>,
    /// The ids loaded, with a hash of their rows.
    seen: Seen,
    acct: Accounting,
    rejects: &'a mut RejectWriter,
    /// Where batches go once `chunk_rows` have gathered, instead of staying here.
    drain: Option<(usize, &'a mut Drain<'a>)>,
    /// Rows in `batches`.
    held: usize,
    /// Scratch space for [`content_hash`].
    scratch: Vec<u8>,
}

/// What the load makes of a valid row's id.
enum Admit {
    /// First seen: loaded.
    New,
    /// An identical repeat: counted, not loaded.
    Duplicate,
    /// The id was loaded with other content: rejected.
    Conflict,
}

/// One row of a block validated apart from the sink ([`BlockBuilder`]), in file order.
pub(crate) enum Checked {
    /// A valid row, the next row of the block's batch.
    Valid {
        id: u128,
        content: u64,
        line: u64,
        /// Where the row lies in the block, to render it should its id conflict.
        record: std::ops::Range<usize>,
    },
    /// A rejected row.
    Rejected {
        line: u64,
        id: Option<String>,
        rejection: Rejection,
        record: String,
    },
}

/// A block of rows validated by a worker thread: the valid rows as a batch, and every
/// row's outcome in file order. The sink then settles repeats ([`TableSink::push_block`]).
pub(crate) struct CheckedBlock {
    pub batch: RecordBatch,
    pub rows: Vec<Checked>,
}

/// Builds a [`CheckedBlock`] on a worker thread.
pub(crate) struct BlockBuilder<'v, 'a> {
    validator: &'v Validator<'a>,
    builders: Vec<Builder>,
    rows: Vec<Checked>,
    scratch: Vec<u8>,
}

impl<'v, 'a> BlockBuilder<'v, 'a> {
    pub(crate) fn new(validator: &'v Validator<'a>, capacity: usize) -> Self {
        BlockBuilder {
            validator,
            builders: validator
                .columns
                .iter()
                .map(|c| Builder::new(c.kind, capacity))
                .collect(),
            rows: Vec::with_capacity(capacity),
            scratch: Vec::new(),
        }
    }

    /// Validates one row, as [`TableSink::push`] does, short of settling repeats.
    pub(crate) fn push(
        &mut self,
        fields: &[Option<&str>],
        line: u64,
        record: std::ops::Range<usize>,
        render: impl FnOnce() -> String,
    ) {
        match self.validator.check(fields) {
            Ok(vals) => {
                let (id, content) = row_keys(&vals, &mut self.scratch);
                self.rows.push(Checked::Valid {
                    id,
                    content,
                    line,
                    record,
                });
                for (b, v) in self.builders.iter_mut().zip(&vals) {
                    b.append(v);
                }
            }
            Err(rejection) => self.reject(line, fields[0], rejection, render()),
        }
    }

    /// A row rejected before validation (a wrong field count).
    pub(crate) fn reject(
        &mut self,
        line: u64,
        id: Option<&str>,
        rejection: Rejection,
        record: String,
    ) {
        self.rows.push(Checked::Rejected {
            line,
            id: present(id).map(str::to_string),
            rejection,
            record,
        });
    }

    pub(crate) fn finish(mut self) -> Result<CheckedBlock, Error> {
        let arrays: Vec<ArrayRef> = self.builders.iter_mut().map(Builder::finish).collect();
        Ok(CheckedBlock {
            batch: RecordBatch::try_new(self.validator.table.schema(), arrays)?,
            rows: self.rows,
        })
    }
}

impl<'a> TableSink<'a> {
    pub(crate) fn new(table: Table, cfg: SinkConfig<'a>, rejects: &'a mut RejectWriter) -> Self {
        let columns = table.columns();
        TableSink {
            builders: columns
                .iter()
                .map(|c| Builder::new(c.kind, cfg.batch_size))
                .collect(),
            validator: Validator {
                table,
                columns,
                cfg,
            },
            pending: 0,
            batches: Vec::new(),
            seen: Seen::default(),
            acct: Accounting::default(),
            rejects,
            drain: None,
            held: 0,
            scratch: Vec::new(),
        }
    }

    /// Hands the loaded rows to `drain` in chunks of at least `chunk_rows` rows (and
    /// the rest when the table ends) instead of keeping them.
    pub(crate) fn with_drain(mut self, chunk_rows: usize, drain: &'a mut Drain<'a>) -> Self {
        self.drain = Some((chunk_rows, drain));
        self
    }

    /// The table being built.
    pub(crate) fn table(&self) -> Table {
        self.validator.table
    }

    /// The validator, to share with threads that validate blocks.
    pub(crate) fn validator(&self) -> &Validator<'a> {
        &self.validator
    }

    /// Rejects a row that could not even be split into fields.
    pub(crate) fn reject_unparsed(
        &mut self,
        file: &Arc<str>,
        line: u64,
        id: Option<&str>,
        rejection: Rejection,
        record: String,
    ) -> Result<(), Error> {
        self.acct.read += 1;
        self.reject(file, line, id, rejection, record)
    }

    /// Validates one row (one field per contract column, `None` where absent) and
    /// loads, rejects or counts it as a duplicate. `record` renders the raw row for a
    /// rejects file; it is only called on rejection.
    pub(crate) fn push(
        &mut self,
        fields: &[Option<&str>],
        file: &Arc<str>,
        line: u64,
        record: impl FnOnce() -> String,
    ) -> Result<(), Error> {
        self.acct.read += 1;
        let id = present(fields[0]);
        let vals = match self.validator.check(fields) {
            Ok(v) => v,
            Err(r) => return self.reject(file, line, id, r, record()),
        };
        let (id_key, content) = row_keys(&vals, &mut self.scratch);
        match self.admit(id_key, content) {
            Admit::New => {}
            Admit::Duplicate => return Ok(()),
            Admit::Conflict => {
                return self.reject(file, line, id, conflict(&self.validator), record());
            }
        }
        for (b, v) in self.builders.iter_mut().zip(&vals) {
            b.append(v);
        }
        self.acct.loaded += 1;
        self.pending += 1;
        if self.pending >= self.validator.cfg.batch_size {
            self.flush()?;
        }
        Ok(())
    }

    /// Settles a valid row's id against the rows loaded before it, counting a repeat.
    fn admit(&mut self, id: u128, content: u64) -> Admit {
        match self.seen.take(id, content) {
            Some(true) => {
                self.acct.duplicates += 1;
                Admit::Duplicate
            }
            Some(false) => Admit::Conflict,
            None => Admit::New,
        }
    }

    /// Takes a block validated on another thread, in file order after every row pushed
    /// before it; `render` renders the row at a range of the block for a rejects file.
    pub(crate) fn push_block(
        &mut self,
        block: CheckedBlock,
        file: &Arc<str>,
        render: impl Fn(std::ops::Range<usize>) -> String,
    ) -> Result<(), Error> {
        self.flush()?;
        let mut keep = Vec::with_capacity(block.batch.num_rows());
        for row in block.rows {
            self.acct.read += 1;
            match row {
                Checked::Valid {
                    id,
                    content,
                    line,
                    record,
                } => {
                    let admit = self.admit(id, content);
                    keep.push(matches!(admit, Admit::New));
                    if let Admit::Conflict = admit {
                        let row = render(record);
                        let id = block
                            .batch
                            .column(0)
                            .as_string::<i32>()
                            .value(keep.len() - 1);
                        let r = conflict(&self.validator);
                        self.reject(file, line, Some(id), r, row)?;
                    }
                }
                Checked::Rejected {
                    line,
                    id,
                    rejection,
                    record,
                } => self.reject(file, line, id.as_deref(), rejection, record)?,
            }
        }
        let batch = if keep.iter().all(|k| *k) {
            block.batch
        } else {
            filter_record_batch(&block.batch, &BooleanArray::from(keep))?
        };
        self.acct.loaded += batch.num_rows() as u64;
        let size = self.validator.cfg.batch_size.max(1);
        let mut offset = 0;
        while offset < batch.num_rows() {
            let len = size.min(batch.num_rows() - offset);
            self.batches.push(batch.slice(offset, len));
            self.held += len;
            offset += len;
            if matches!(self.drain, Some((chunk, _)) if self.held >= chunk) {
                self.drain()?;
            }
        }
        Ok(())
    }

    fn reject(
        &mut self,
        file: &Arc<str>,
        line: u64,
        id: Option<&str>,
        r: Rejection,
        record: String,
    ) -> Result<(), Error> {
        self.acct.rejected += 1;
        *self
            .acct
            .reasons
            .entry(r.reason.as_str().to_string())
            .or_default() += 1;
        self.rejects.write(&Reject {
            file,
            line,
            id: id.unwrap_or(""),
            column: r.column.unwrap_or(""),
            reason: r.reason.as_str(),
            detail: &r.detail,
            record: &record,
        })
    }

    fn flush(&mut self) -> Result<(), Error> {
        if self.pending == 0 {
            return Ok(());
        }
        let arrays: Vec<ArrayRef> = self.builders.iter_mut().map(Builder::finish).collect();
        self.batches
            .push(RecordBatch::try_new(self.validator.table.schema(), arrays)?);
        self.held += self.pending;
        self.pending = 0;
        if matches!(self.drain, Some((chunk, _)) if self.held >= chunk) {
            self.drain()?;
        }
        Ok(())
    }

    fn drain(&mut self) -> Result<(), Error> {
        if let Some((_, drain)) = &mut self.drain
            && !self.batches.is_empty()
        {
            drain(self.validator.table, std::mem::take(&mut self.batches))?;
            self.held = 0;
        }
        Ok(())
    }

    /// Ends the table: its batches (none with a drain) and accounting.
    pub(crate) fn finish(mut self) -> Result<(Vec<RecordBatch>, Accounting), Error> {
        self.flush()?;
        self.drain()?;
        Ok((self.batches, self.acct))
    }
}

/// The rejection of a valid row whose id was loaded with other content.
fn conflict(v: &Validator<'_>) -> Rejection {
    Rejection::new(
        Reason::ConflictingId,
        v.columns[0].name,
        "an earlier row has the same id with different content",
    )
}

impl Validator<'_> {
    /// Parses and checks one row: one field per contract column, `None` where absent.
    fn check<'f>(&self, fields: &[Option<&'f str>]) -> Result<Vec<Val<'f>>, Rejection> {
        self.parse(fields).and_then(|v| self.check_row(v))
    }

    fn parse<'f>(&self, fields: &[Option<&'f str>]) -> Result<Vec<Val<'f>>, Rejection> {
        let mut vals = Vec::with_capacity(self.columns.len());
        for (col, raw) in self.columns.iter().zip(fields) {
            vals.push(self.parse_field(col, present(*raw))?);
        }
        Ok(vals)
    }

    /// One field by its column's kind. One arm per kind, each short; the match is the
    /// whole of the per-field contract, kept in one place (docs/data.md lists it).
    fn parse_field<'f>(&self, col: &Column, raw: Option<&'f str>) -> Result<Val<'f>, Rejection> {
        // Long: one arm per column kind of the contract, each a parse and its rejection;
        // the kinds read best side by side.
        let Some(s) = raw else {
            if col.required {
                return Err(Rejection::new(
                    Reason::MissingRequired,
                    col.name,
                    "required",
                ));
            }
            return Ok(Val::Null);
        };
        Ok(match col.kind {
            Kind::Text => printable(s),
            Kind::DeptRef => {
                let s = printable(s);
                let text = match &s {
                    Val::Str(t) => t,
                    Val::Owned(t) => t.as_str(),
                    _ => "",
                };
                if let Some(known) = self.cfg.departments
                    && !known.contains(text)
                {
                    return Err(Rejection::new(
                        Reason::UnknownDepartment,
                        col.name,
                        format!("no department {text:?}"),
                    ));
                }
                s
            }
            Kind::Enum(words) => match words.iter().find(|w| w.eq_ignore_ascii_case(s)) {
                Some(w) => Val::Str(w),
                None => {
                    return Err(Rejection::new(
                        Reason::InvalidEnum,
                        col.name,
                        format!("{s:?} is not one of {}", words.join(", ")),
                    ));
                }
            },
            Kind::Timestamp => match parse_timestamp(s, self.cfg.tz) {
                Ok(t) => Val::Ts(t),
                Err(why) => {
                    return Err(Rejection::new(
                        Reason::InvalidTimestamp,
                        col.name,
                        format!("{s:?}: {why}"),
                    ));
                }
            },
            Kind::Int { min, max } => {
                let Some(n) = parse_whole(s) else {
                    return Err(Rejection::new(
                        Reason::InvalidInteger,
                        col.name,
                        format!("{s:?} is not a whole number"),
                    ));
                };
                if n < min && min == 0 {
                    return Err(Rejection::new(
                        Reason::NegativeCount,
                        col.name,
                        format!("{n} is negative"),
                    ));
                }
                if n < min || n > max {
                    return Err(Rejection::new(
                        Reason::OutOfRange,
                        col.name,
                        format!("{n} is outside {min}..={max}"),
                    ));
                }
                Val::Int(n)
            }
            Kind::Bool => match parse_bool(s) {
                Some(b) => Val::Bool(b),
                None => {
                    return Err(Rejection::new(
                        Reason::InvalidBoolean,
                        col.name,
                        format!("{s:?} is not true/false/t/f/1/0/yes/no"),
                    ));
                }
            },
            Kind::Personal => match self.cfg.pseudonymiser {
                _ if self.cfg.stored_pseudonyms => Val::Str(s),
                Some(p) => Val::Owned(p.pseudonym(s)),
                None => Val::Null,
            },
        })
    }

    /// Rules that span fields of one row.
    fn check_row<'f>(&self, mut vals: Vec<Val<'f>>) -> Result<Vec<Val<'f>>, Rejection> {
        let ix = |name: &str| self.table.column_index(name).expect("contract column");
        let order = |start: &str, end: &'static str, vals: &[Val<'_>]| match (
            vals[ix(start)].ts(),
            vals[ix(end)].ts(),
        ) {
            (Some(a), Some(b)) if b < a => Err(Rejection::new(
                Reason::TimeOrder,
                end,
                format!("{end} is before {start}"),
            )),
            _ => Ok(()),
        };
        match self.table {
            Table::Departments => {
                // peer_group defaults to the level.
                let pg = ix("peer_group");
                if vals[pg] == Val::Null {
                    vals[pg] = vals[ix("level")].clone();
                }
            }
            Table::Catalog => order("registered_at", "last_updated_at", &vals)?,
            Table::Exchanges => order("requested_at", "responded_at", &vals)?,
            Table::ShareRequests => {
                order("submitted_at", "decided_at", &vals)?;
                let pending = vals[ix("decision")].text() == Some("pending");
                let decided = vals[ix("decided_at")] != Val::Null;
                if pending && decided {
                    return Err(Rejection::new(
                        Reason::Inconsistent,
                        "decided_at",
                        "a pending request has no decision time",
                    ));
                }
                if !pending && !decided {
                    return Err(Rejection::new(
                        Reason::Inconsistent,
                        "decided_at",
                        "an approved or rejected request needs decided_at",
                    ));
                }
            }
            Table::Services => {
                order("submitted_at", "completed_at", &vals)?;
                let completed = vals[ix("status")].text() == Some("completed");
                if completed && vals[ix("completed_at")] == Val::Null {
                    return Err(Rejection::new(
                        Reason::Inconsistent,
                        "completed_at",
                        "a completed case needs completed_at",
                    ));
                }
            }
        }
        Ok(vals)
    }
}

/// A whole number; a zero fraction (`3.0`, as spreadsheet and pandas exports write
/// counts) is accepted.
fn parse_whole(s: &str) -> Option<i64> {
    match s.split_once('.') {
        None => s.parse().ok(),
        Some((int, frac)) if !frac.is_empty() && frac.bytes().all(|b| b == b'0') => {
            int.parse().ok()
        }
        Some(_) => None,
    }
}

/// `true/false/t/f/1/0/yes/no`, any case.
pub fn parse_bool(s: &str) -> Option<bool> {
    const TRUE: [&str; 4] = ["true", "t", "1", "yes"];
    const FALSE: [&str; 4] = ["false", "f", "0", "no"];
    if TRUE.iter().any(|w| w.eq_ignore_ascii_case(s)) {
        Some(true)
    } else if FALSE.iter().any(|w| w.eq_ignore_ascii_case(s)) {
        Some(false)
    } else {
        None
    }
}

/// A field's text without surrounding blanks; an empty field is absent.
fn present(raw: Option<&str>) -> Option<&str> {
    raw.map(str::trim).filter(|s| !s.is_empty())
}

/// A valid row's id hash, and the hash of its values that tells a repeat from a
/// conflict; `buf` is scratch space.
fn row_keys(vals: &[Val<'_>], buf: &mut Vec<u8>) -> (u128, u64) {
    (
        id_hash(vals[0].text().unwrap_or_default()),
        content_hash(vals, buf),
    )
}

/// A hash of a row's values, to tell a repeat from a conflict; `buf` is scratch space.
fn content_hash(vals: &[Val<'_>], buf: &mut Vec<u8>) -> u64 {
    buf.clear();
    for v in vals {
        match v {
            Val::Null => buf.push(0),
            Val::Str(_) | Val::Owned(_) => {
                let s = v.text().unwrap_or_default();
                buf.push(1);
                buf.extend_from_slice(&(s.len() as u64).to_le_bytes());
                buf.extend_from_slice(s.as_bytes());
            }
            Val::Ts(t) => {
                buf.push(2);
                buf.extend_from_slice(&t.to_le_bytes());
            }
            Val::Int(n) => {
                buf.push(3);
                buf.extend_from_slice(&n.to_le_bytes());
            }
            Val::Bool(b) => buf.extend_from_slice(&[4, u8::from(*b)]),
        }
    }
    xxh3_64(buf)
}

/// Whether `c` is a character no report can carry or show faithfully: a control
/// character (C0 but tab, line feed and carriage return; DEL; C1), a bidirectional
/// embedding, override, isolate or mark (which turn the text around it, and the
/// numbers beside a name, right to left), or a noncharacter that XML refuses (U+FFFE,
/// U+FFFF).
pub fn unprintable(c: char) -> bool {
    matches!(c,
        '\u{0}'..='\u{8}' | '\u{b}' | '\u{c}' | '\u{e}'..='\u{1f}' | '\u{7f}'..='\u{9f}'
        | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}'
        | '\u{61c}' | '\u{fffe}' | '\u{ffff}')
}

/// A text field with the characters [`unprintable`] names taken out, borrowed as it is
/// where it has none: so a name reaches SVG, HTML, Typst, the workbook, Markdown and
/// CSV as the letters a reader sees.
fn printable(s: &str) -> Val<'_> {
    // Every such character is an ASCII control or starts with one of these bytes
    // (C1: C2; U+061C: D8; U+200E.., U+202A.., U+2066..: E2; U+FFFE, U+FFFF: EF): most
    // fields are passed on a scan of their bytes.
    let suspect = |b: u8| {
        (b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r'))
            || matches!(b, 0x7f | 0xc2 | 0xd8 | 0xe2 | 0xef)
    };
    if !s.bytes().any(suspect) || !s.chars().any(unprintable) {
        return Val::Str(s);
    }
    Val::Owned(s.chars().filter(|&c| !unprintable(c)).collect())
}

/// An Arrow column builder for one contract column, in the type [`Table::schema`]
/// gives it.
pub enum Builder {
    /// Text, enumerations, department ids, personal data.
    Str(StringBuilder),
    /// Timestamps (µs, UTC).
    Ts(TimestampMicrosecondBuilder),
    /// Whole numbers.
    Int(Int64Builder),
    /// Booleans.
    Bool(BooleanBuilder),
}

impl Builder {
    /// A builder for a column of `kind`, room for `capacity` rows.
    pub fn new(kind: Kind, capacity: usize) -> Self {
        match kind {
            Kind::Text | Kind::DeptRef | Kind::Enum(_) | Kind::Personal => {
                Builder::Str(StringBuilder::with_capacity(capacity, capacity * 16))
            }
            Kind::Timestamp => Builder::Ts(
                TimestampMicrosecondBuilder::with_capacity(capacity).with_timezone("UTC"),
            ),
            Kind::Int { .. } => Builder::Int(Int64Builder::with_capacity(capacity)),
            Kind::Bool => Builder::Bool(BooleanBuilder::with_capacity(capacity)),
        }
    }

    /// Appends a field; one of another type than the column's is a null.
    pub fn append(&mut self, v: &Val<'_>) {
        match (self, v) {
            (Builder::Str(b), Val::Str(s)) => b.append_value(s),
            (Builder::Str(b), Val::Owned(s)) => b.append_value(s),
            (Builder::Ts(b), Val::Ts(t)) => b.append_value(*t),
            (Builder::Int(b), Val::Int(n)) => b.append_value(*n),
            (Builder::Bool(b), Val::Bool(x)) => b.append_value(*x),
            (Builder::Str(b), _) => b.append_null(),
            (Builder::Ts(b), _) => b.append_null(),
            (Builder::Int(b), _) => b.append_null(),
            (Builder::Bool(b), _) => b.append_null(),
        }
    }

    /// The column built so far; the builder starts again empty.
    pub fn finish(&mut self) -> ArrayRef {
        match self {
            Builder::Str(b) => Arc::new(b.finish()),
            Builder::Ts(b) => Arc::new(b.finish()),
            Builder::Int(b) => Arc::new(b.finish()),
            Builder::Bool(b) => Arc::new(b.finish()),
        }
    }
}

#[cfg(test)]
mod printable_tests {
    use super::*;

    #[test]
    fn every_unprintable_character_is_caught_by_the_byte_scan() {
        // The fast path may pass a field only if no character of it is unprintable:
        // every unprintable character's first byte is one the scan stops at.
        for c in (0..=0x10ffff)
            .filter_map(char::from_u32)
            .filter(|&c| unprintable(c))
        {
            let s = c.to_string();
            assert!(
                matches!(printable(&s), Val::Owned(ref t) if t.is_empty()),
                "{:x}",
                c as u32
            );
        }
        assert!(matches!(printable("省公安厅 “共享” a\tb\nc"), Val::Str(_)));
        assert!(matches!(printable("A\u{202e}B\u{1b}C"), Val::Owned(ref t) if t == "ABC"));
    }
}
