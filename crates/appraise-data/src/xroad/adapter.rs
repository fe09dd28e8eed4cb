//! From X-Road records to the contract's `exchanges` and `departments` tables.
//!
//! Every exchange, pair or orphan, becomes one `exchanges` row, read from its Client
//! record where it has one and from its Producer record otherwise (field by field):
//!
//! | column | from |
//! | --- | --- |
//! | `event_id` | `xRequestId`; else `messageId@client@requestInTs`; else `xroad-` and a digest of the record |
//! | `requested_at` | `requestInTs` |
//! | `responded_at` | `responseOutTs` |
//! | `consumer_dept` | the client member or subsystem, through the mapping |
//! | `provider_dept` | the service's member or subsystem, through the mapping |
//! | `resource_id` | the service, `INSTANCE/CLASS/CODE[/SUBSYSTEM]/SERVICE[/VERSION]` |
//! | `status` | `succeeded`: `success`, else `failed` |
//! | `bytes` | the response size |
//! | `mode` | `api` |
//!
//! The rows then go through the same validation as any other input, so a bad time
//! order or an unknown department is rejected as it would be from a CSV file.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::PathBuf;
use std::sync::Arc;

use super::mapping::Mapping;
use super::pair::{Exchange, Matching, Pairer, digest};
use super::read::{Item, each_record};
use super::{Member, Names, Place, Summary};
use crate::Error;
use crate::rejects::REDACTED;
use crate::source::LoadOptions;
use crate::validate::{Reason, Rejection, TableSink};

/// An exchange, reduced to what its row needs.
#[derive(Debug)]
struct Row {
    event_id: Box<str>,
    requested_at: Option<i64>,
    responded_at: Option<i64>,
    client: Option<u32>,
    service: Option<u32>,
    succeeded: Option<bool>,
    bytes: Option<i64>,
    matching: &'static str,
    place: Place,
}

/// What a record gives a load: an exchange's row, or an unusable record.
enum Outcome {
    Row(Row),
    Unusable(Place, Rejection),
}

/// X-Road input of a load. Its exchanges stream from the record files into the
/// `exchanges` table; only with `--auto-departments`, whose departments are known once
/// every record is read, are they read ahead and held.
pub(crate) struct Adapter {
    paths: Vec<PathBuf>,
    /// The longest record read ([`LoadOptions::max_record_bytes`]).
    max_record: usize,
    names: Names,
    /// The outcomes read ahead of the departments.
    read_ahead: Option<Vec<Outcome>>,
    lookup: Lookup,
    pub(crate) summary: Summary,
}

/// What turns an exchange into a row: departments and resources by number.
struct Lookup {
    files: Vec<Arc<str>>,
    mapping: Option<Mapping>,
    auto_departments: bool,
    /// The department of each member settled so far ([`Names::member`]); `None` when
    /// unmapped.
    dept_of: Vec<Option<Arc<str>>>,
    /// The `resource_id` of each service settled so far.
    resources: Vec<Option<Box<str>>>,
    /// Rows of the `departments` table the mapping and `--auto-departments` give, with
    /// the file and line each comes from.
    departments: Vec<(Arc<str>, u64, Vec<Option<String>>)>,
    /// The departments made by `--auto-departments`.
    made: BTreeSet<String>,
    /// Text of the row being pushed: `requested_at`, `responded_at`, `bytes`.
    text: [String; 3],
}

/// The hint for X-Road input without a way to name departments.
const DEPARTMENTS_HINT: &str = "pass --mapping FILE (columns xroad_instance, member_class, \
     member_code, subsystem_code, dept_id, and name and level unless --departments FILE gives \
     the departments), or --auto-departments to make one department per member";

impl Adapter {
    /// The adapter for the record files `paths`: reads the mapping, and with
    /// `--auto-departments` every record.
    pub(crate) fn new(paths: &[PathBuf], opts: &LoadOptions) -> Result<Adapter, Error> {
        let x = &opts.xroad;
        let mapping = x
            .mapping
            .as_deref()
            .map(|p| Mapping::read(p, opts.encoding))
            .transpose()?;
        let describes = mapping.as_ref().is_some_and(Mapping::describes_departments);
        if mapping.is_none() && !x.auto_departments {
            return Err(Error::Input {
                reason: "X-Road records need a mapping from members to departments".into(),
                hint: Some(DEPARTMENTS_HINT.into()),
            });
        }
        if x.departments.is_none() && !describes && !x.auto_departments {
            return Err(Error::Input {
                reason: format!(
                    "{}: the mapping has no name and level columns, and no --departments \
                     file was given",
                    mapping
                        .as_ref()
                        .map_or_else(String::new, |m| m.path().display().to_string())
                ),
                hint: Some(DEPARTMENTS_HINT.into()),
            });
        }
        let mut departments = Vec::new();
        if let (Some(m), true, None) = (&mapping, describes, &x.departments) {
            let file: Arc<str> = m.path().display().to_string().into();
            for d in m.departments() {
                departments.push((file.clone(), d.line, d.fields.clone()));
            }
        }
        let mut adapter = Adapter {
            paths: paths.to_vec(),
            max_record: opts.max_record_bytes,
            names: Names::default(),
            read_ahead: None,
            lookup: Lookup {
                files: paths
                    .iter()
                    .map(|f| f.display().to_string().into())
                    .collect(),
                mapping,
                auto_departments: x.auto_departments,
                dept_of: Vec::new(),
                resources: Vec::new(),
                departments,
                made: BTreeSet::new(),
                text: Default::default(),
            },
            summary: Summary::default(),
        };
        if x.auto_departments {
            let mut outcomes = Vec::new();
            read(
                &adapter.paths,
                adapter.max_record,
                &mut adapter.names,
                &mut adapter.summary,
                &mut |_, _, o| {
                    outcomes.push(o);
                    Ok(())
                },
            )?;
            adapter.lookup.settle(&adapter.names);
            adapter.summary.auto_departments = adapter.lookup.made.len() as u64;
            adapter.read_ahead = Some(outcomes);
        }
        Ok(adapter)
    }

    /// Whether the load has departments besides those of a `--departments` file.
    pub(crate) fn has_departments(&self) -> bool {
        !self.lookup.departments.is_empty()
    }

    /// Hands the departments of the mapping and of `--auto-departments` to `sink`.
    pub(crate) fn push_departments(&self, sink: &mut TableSink<'_>) -> Result<(), Error> {
        for (file, line, fields) in &self.lookup.departments {
            let fields: Vec<Option<&str>> = fields.iter().map(Option::as_deref).collect();
            let raw = || {
                fields
                    .iter()
                    .map(|f| f.unwrap_or(""))
                    .collect::<Vec<_>>()
                    .join(",")
            };
            sink.push(&fields, file, *line, raw)?;
        }
        Ok(())
    }

    /// Hands every exchange to `sink` as a row, and every unusable record as a
    /// rejected one; exchanges naming an unmapped member are rejected here.
    pub(crate) fn push_exchanges(&mut self, sink: &mut TableSink<'_>) -> Result<(), Error> {
        let Adapter {
            paths,
            max_record,
            names,
            read_ahead,
            lookup,
            summary,
        } = self;
        match read_ahead.take() {
            Some(outcomes) => {
                for o in outcomes {
                    lookup.push(names, summary, o, sink)?;
                }
                Ok(())
            }
            None => read(
                paths,
                *max_record,
                names,
                summary,
                &mut |names, summary, o| lookup.push(names, summary, o, sink),
            ),
        }
    }

    /// The members the mapping does not map, as a warning naming at most 20.
    pub(crate) fn unmapped_warning(&self) -> Option<crate::Warning> {
        let unmapped = &self.summary.unmapped;
        if unmapped.is_empty() {
            return None;
        }
        let mapping = self.lookup.mapping.as_ref().map(Mapping::path);
        let mut list: Vec<(&String, &u64)> = unmapped.iter().collect();
        list.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        let shown: Vec<String> = list
            .iter()
            .take(20)
            .map(|(m, n)| format!("{m} ({n})"))
            .collect();
        let more = list.len().saturating_sub(20);
        let text = format!(
            "{} X-Road members or subsystems are not in the mapping{}; exchanges naming \
             them were rejected as unmapped_member: {}{}. hint: add them to the mapping, \
             or pass --auto-departments",
            list.len(),
            mapping.map_or_else(String::new, |p| format!(" {}", p.display())),
            shown.join(", "),
            if more > 0 {
                format!(" and {more} more (the rejects file lists each exchange)")
            } else {
                String::new()
            }
        );
        Some(
            crate::Warning::new("xroad_unmapped", text)
                .arg("count", list.len())
                .list("members", shown)
                .arg("more", more),
        )
    }
}

/// Reads and pairs the records of `paths`, in order; `emit` gets each exchange's row
/// and each unusable record.
fn read(
    paths: &[PathBuf],
    max_record: usize,
    names: &mut Names,
    summary: &mut Summary,
    emit: &mut dyn FnMut(&Names, &mut Summary, Outcome) -> Result<(), Error>,
) -> Result<(), Error> {
    let mut pairer = Pairer::default();
    for (n, path) in paths.iter().enumerate() {
        tracing::info!(file = %path.display(), "reading X-Road records");
        each_record(path, max_record, names, &mut |names, item, record| {
            summary.records += 1;
            let place = Place {
                file: n as u32,
                record,
            };
            match item {
                Item::Record(r) => match pairer.push(r, place) {
                    Some(e) => {
                        let row = row(e, names, summary);
                        emit(names, summary, Outcome::Row(row))
                    }
                    None => Ok(()),
                },
                Item::Unusable(why) => {
                    summary.unusable += 1;
                    emit(names, summary, Outcome::Unusable(place, why))
                }
            }
        })?;
    }
    let (orphans, duplicates) = pairer.finish();
    summary.duplicates = duplicates;
    for e in orphans {
        let row = row(e, names, summary);
        emit(names, summary, Outcome::Row(row))?;
    }
    debug_assert!(summary.balances());
    tracing::info!(records = summary.records, "paired X-Road records");
    Ok(())
}

impl Lookup {
    /// Settles the department and resource of every member and service named so far;
    /// with `--auto-departments`, makes a department for each member left unmapped.
    fn settle(&mut self, names: &Names) {
        for m in names.members().skip(self.dept_of.len()) {
            let dept = match self.mapping.as_ref().and_then(|map| map.dept_of(m)) {
                Some(d) => Some(d.into()),
                None if self.auto_departments => {
                    let id = format!("{}/{}/{}", m.instance, m.class, m.code);
                    if self.made.insert(id.clone()) {
                        let line = self.made.len() as u64;
                        self.departments
                            .push((AUTO.into(), line, auto_department(&id, m)));
                    }
                    Some(id.into())
                }
                None => None,
            };
            self.dept_of.push(dept);
        }
        for s in self.resources.len()..names.services_len() {
            let s = s as u32;
            let named = !names.service(s).code.is_empty();
            self.resources
                .push(named.then(|| names.service_path(s).into()));
        }
    }

    /// Hands one outcome to `sink`: a row, a rejected exchange or an unusable record.
    fn push(
        &mut self,
        names: &Names,
        summary: &mut Summary,
        outcome: Outcome,
        sink: &mut TableSink<'_>,
    ) -> Result<(), Error> {
        let row = match outcome {
            Outcome::Row(row) => row,
            Outcome::Unusable(place, why) => {
                let file = &self.files[place.file as usize];
                return sink.reject_unparsed(file, place.record, None, why, REDACTED.into());
            }
        };
        if self.dept_of.len() < names.members().len() || self.resources.len() < names.services_len()
        {
            self.settle(names);
        }
        let file = &self.files[row.place.file as usize];
        let provider = row.service.map(|s| names.service(s).provider);
        let mut unmapped = None;
        for (side, member) in [("client", row.client), ("provider", provider)] {
            if let Some(m) = member
                && self.dept_of[m as usize].is_none()
            {
                let name = names.member(m).to_string();
                unmapped.get_or_insert((side, name.clone()));
                *summary.unmapped.entry(name).or_default() += 1;
            }
        }
        if let Some((side, name)) = unmapped {
            let column = if side == "client" {
                "consumer_dept"
            } else {
                "provider_dept"
            };
            let mapping = self.mapping.as_ref().map_or_else(
                || "no mapping".to_string(),
                |m| m.path().display().to_string(),
            );
            let why = Rejection {
                reason: Reason::UnmappedMember,
                column: Some(column),
                detail: format!("the {side} {name} is not in the mapping ({mapping})"),
            };
            let record = render(names, &row);
            return sink.reject_unparsed(file, row.place.record, Some(&row.event_id), why, record);
        }
        let dept = |m: Option<u32>| m.and_then(|m| self.dept_of[m as usize].as_deref());
        let [requested_text, responded_text, bytes_text] = &mut self.text;
        let requested = row.requested_at.map(|ms| {
            timestamp(ms, requested_text);
            requested_text.as_str()
        });
        let responded = row.responded_at.map(|ms| {
            timestamp(ms, responded_text);
            responded_text.as_str()
        });
        let bytes = row.bytes.map(|b| {
            bytes_text.clear();
            let _ = write!(bytes_text, "{b}");
            bytes_text.as_str()
        });
        let fields = [
            Some(&*row.event_id),
            requested,
            responded,
            dept(row.client),
            dept(provider),
            row.service
                .and_then(|s| self.resources[s as usize].as_deref()),
            row.succeeded.map(|s| if s { "success" } else { "failed" }),
            None,
            bytes,
            Some("api"),
        ];
        sink.push(&fields, file, row.place.record, || render(names, &row))
    }
}

/// The source named for departments made by `--auto-departments`.
const AUTO: &str = "auto-departments";

/// An exchange as the rejects file shows it: what the row was made of, never a record
/// as read (it may hold `messageUserId`).
fn render(names: &Names, row: &Row) -> String {
    serde_json::json!({
        "event_id": &*row.event_id,
        "matching": row.matching,
        "client": row.client.map(|m| names.member(m).to_string()),
        "service": row.service.map(|s| names.service_path(s)),
        "requestInTs": row.requested_at,
        "responseOutTs": row.responded_at,
        "succeeded": row.succeeded,
        "responseSize": row.bytes,
    })
    .to_string()
}

/// A department for a member the mapping does not map: named by its code, at the
/// province level, ranked among members of its class (`peer_group`).
fn auto_department(id: &str, m: &Member) -> Vec<Option<String>> {
    let mut fields = vec![None; crate::schema::Table::Departments.columns().len()];
    let set = |fields: &mut Vec<Option<String>>, column: &str, value: &str| {
        if let Some(i) = crate::schema::Table::Departments.column_index(column) {
            fields[i] = Some(value.to_string());
        }
    };
    set(&mut fields, "dept_id", id);
    set(&mut fields, "name", id);
    set(&mut fields, "level", "province");
    set(&mut fields, "peer_group", &m.class);
    fields
}

/// An exchange's row: the Client record's values, else the Producer record's.
fn row(mut e: Exchange, names: &Names, summary: &mut Summary) -> Row {
    let matching = match (e.matching(), &e.client) {
        (Matching::Pair, _) => {
            summary.pairs += 1;
            "pair"
        }
        (Matching::Orphan, Some(_)) => {
            summary.client_orphans += 1;
            "client_only"
        }
        (Matching::Orphan, None) => {
            summary.producer_orphans += 1;
            "producer_only"
        }
    };
    let x_request_id = e
        .client
        .as_mut()
        .and_then(|r| r.x_request_id.take())
        .or_else(|| e.producer.as_mut().and_then(|r| r.x_request_id.take()));
    let (c, p) = (e.client.as_ref(), e.producer.as_ref());
    macro_rules! pick {
        ($field:ident) => {
            c.and_then(|r| r.$field.clone())
                .or_else(|| p.and_then(|r| r.$field.clone()))
        };
    }
    let requested_at = pick!(request_in_ts);
    let client = pick!(client);
    let event_id: Box<str> = match (x_request_id, pick!(message_id)) {
        (Some(id), _) => id,
        (None, Some(m)) => format!(
            "{m}@{}@{}",
            client.map_or_else(String::new, |c| names.member(c).to_string()),
            requested_at.map_or_else(String::new, |t| t.to_string())
        )
        .into(),
        // Neither id: the records are whole (taking an absent id changed nothing).
        (None, None) => match e.first().map(digest) {
            Some(d) => format!("xroad-{d:032x}").into(),
            None => "".into(),
        },
    };
    Row {
        event_id,
        requested_at,
        responded_at: pick!(response_out_ts),
        client,
        service: pick!(service),
        succeeded: pick!(succeeded),
        bytes: pick!(response_size),
        matching,
        place: e.place,
    }
}

/// Writes a Unix time in milliseconds as RFC 3339 text (UTC) into `out`; the bare
/// number when out of range, so that it is rejected as a timestamp that does not read.
fn timestamp(ms: i64, out: &mut String) {
    use chrono::{Datelike, Timelike};
    out.clear();
    let _ = match chrono::DateTime::from_timestamp_millis(ms) {
        Some(t) => write!(
            out,
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
            t.year(),
            t.month(),
            t.day(),
            t.hour(),
            t.minute(),
            t.second(),
            ms.rem_euclid(1000)
        ),
        None => write!(out, "{ms}"),
    };
}
