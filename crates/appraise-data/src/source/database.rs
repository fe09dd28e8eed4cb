//! What every database source shares: where each appraise table's rows are in the
//! database (the mapping file), and the connection's address as it may be shown.
//!
//! The mapping file (TOML) names, per appraise table, the source table or a `SELECT`,
//! and the column names where they differ from the contract's; a table or column it does
//! not name is looked up by the contract's own name:
//!
//! ```toml
//! [exchanges]
//! table = "platform.exchange_log"
//! columns = { event_id = "log_id", requested_at = "req_time" }
//!
//! [services]
//! query = "SELECT * FROM gov.cases WHERE deleted = false"
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::Error;
use crate::schema::{Kind, Table};

/// How a database source is read.
#[derive(Debug, Clone, Default)]
pub struct DatabaseOptions {
    /// The mapping file: where each table and column is ([`Mapping`]).
    pub mapping: Option<PathBuf>,
}

/// What a database source keeps besides its connection.
pub(crate) struct Reading {
    /// Its address without the password.
    pub shown: String,
    /// Where each table is.
    pub mapping: Mapping,
    /// Per table, the time (µs UTC) from which rows are read, where not all.
    pub since: BTreeMap<Table, i64>,
}

impl Reading {
    /// The reading of the database shown as `shown`, by the mapping `opts` names.
    pub(crate) fn new(shown: String, opts: &super::LoadOptions) -> Result<Reading, Error> {
        Ok(Reading {
            shown,
            mapping: Mapping::read(opts.database.mapping.as_deref())?,
            since: BTreeMap::new(),
        })
    }

    /// The `SELECT` of `table`'s contract columns in `dialect`, from the rows at
    /// `source` whose columns (name, class, the database's name for its type) are
    /// `columns`, of the rows since the table's watermark where one is set; an error for
    /// a required column missing or one the contract cannot read ([`plan`]).
    pub(crate) fn select(
        &self,
        dialect: &Dialect,
        table: Table,
        source: &TableSource,
        columns: &[(String, Class, String)],
        tz: chrono_tz::Tz,
    ) -> Result<String, Error> {
        let planned = plan(&self.shown, table, source, columns)?;
        let since = self.since.get(&table).copied();
        Ok(dialect.select(table, &dialect.from(source, table), &planned, since, tz))
    }

    /// The error of a connection lost while `table` was read.
    pub(crate) fn lost(&self, table: Table, cause: impl std::fmt::Display) -> Error {
        Error::Input {
            reason: format!(
                "{}: the connection was lost while the {table} table was read: {cause}",
                self.shown
            ),
            hint: Some(
                "run the ingest again: nothing of this one was committed, and it reads the \
                 same rows"
                    .into(),
            ),
        }
    }
}

/// Where one appraise table's rows are.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct TableSource {
    /// The source table (`schema.table` allowed).
    pub table: Option<String>,
    /// A `SELECT` giving the rows instead.
    pub query: Option<String>,
    /// Contract column → source column, where they differ.
    #[serde(default)]
    pub columns: BTreeMap<String, String>,
}

/// Every table's source.
#[derive(Debug, Clone, Default)]
pub(crate) struct Mapping {
    tables: BTreeMap<Table, TableSource>,
}

impl Mapping {
    /// Reads the mapping file `path`; without one, every table and column goes by its
    /// contract name.
    pub(crate) fn read(path: Option<&Path>) -> Result<Mapping, Error> {
        let Some(path) = path else {
            return Ok(Mapping::default());
        };
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        let raw: BTreeMap<String, TableSource> = toml::from_str(&text).map_err(|e| {
            Error::unreadable(
                path,
                None,
                format!("not a database mapping: {}", e.message()),
                Some(
                    "each section is a table ([exchanges]) with `table = \"...\"` or \
                     `query = \"SELECT ...\"`, and `columns = { contract = \"source\" }`"
                        .into(),
                ),
            )
        })?;
        let mut tables = BTreeMap::new();
        for (name, source) in raw {
            let table = Table::from_name(&name).ok_or_else(|| {
                Error::unreadable(
                    path,
                    Some(format!("[{name}]")),
                    format!("no table is called {name:?}"),
                    Some(format!(
                        "the tables are {}",
                        Table::ALL.map(Table::name).join(", ")
                    )),
                )
            })?;
            if source.table.is_some() && source.query.is_some() {
                return Err(Error::unreadable(
                    path,
                    Some(format!("[{name}]")),
                    "names both a table and a query",
                    Some("keep one of `table` and `query`".into()),
                ));
            }
            for column in source.columns.keys() {
                if table.column_index(column).is_none() {
                    let all: Vec<&str> = table.columns().iter().map(|c| c.name).collect();
                    return Err(Error::unreadable(
                        path,
                        Some(format!("[{name}] columns")),
                        format!("the {table} table has no column {column:?}"),
                        Some(format!("its columns are {}", all.join(", "))),
                    ));
                }
            }
            tables.insert(table, source);
        }
        Ok(Mapping { tables })
    }

    /// Where `table`'s rows are.
    pub(crate) fn of(&self, table: Table) -> TableSource {
        self.tables.get(&table).cloned().unwrap_or_default()
    }
}

impl TableSource {
    /// The source column of the contract column `column`.
    pub(crate) fn column<'a>(&'a self, column: &'a str) -> &'a str {
        self.columns.get(column).map_or(column, String::as_str)
    }
}

/// What a source column's type holds, as far as the contract cares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Class {
    /// Text of any kind.
    Text,
    /// An integer.
    Integer,
    /// A decimal number.
    Decimal,
    /// A boolean.
    Bool,
    /// An instant (a time with its zone or offset).
    Instant,
    /// A wall-clock time, read in the appraisal's zone.
    WallTime,
    /// A UUID.
    Uuid,
    /// Anything else, by the database's name for it.
    Other(String),
}

impl Class {
    /// Whether a value of this class can be read as the contract's `kind`.
    fn fits(&self, kind: Kind) -> bool {
        match kind {
            Kind::Timestamp => matches!(self, Class::Text | Class::Instant | Class::WallTime),
            Kind::Int { .. } => matches!(self, Class::Text | Class::Integer | Class::Decimal),
            Kind::Bool => matches!(self, Class::Text | Class::Integer | Class::Bool),
            Kind::Text | Kind::DeptRef | Kind::Enum(_) | Kind::Personal => matches!(
                self,
                Class::Text | Class::Integer | Class::Decimal | Class::Uuid
            ),
        }
    }
}

/// For each column of `table`, in the contract's order, the source column holding it
/// and its class, from the source's `columns` (name, class, and the database's name for
/// its type); `None` for an optional column the source does not have. An error for a
/// required column it does not have, or one whose type the contract cannot read.
fn plan(
    shown: &str,
    table: Table,
    source: &TableSource,
    columns: &[(String, Class, String)],
) -> Result<Vec<Option<(String, Class)>>, Error> {
    let mut planned = Vec::new();
    for c in table.columns() {
        let name = source.column(c.name);
        let Some((_, class, ty)) = columns.iter().find(|(n, ..)| n == name) else {
            if c.required {
                let have: Vec<&str> = columns.iter().map(|(n, ..)| n.as_str()).collect();
                return Err(Error::Input {
                    reason: format!(
                        "{shown}: the {table} table has no column {name:?} (it has {})",
                        have.join(", ")
                    ),
                    hint: Some(format!(
                        "name the column that holds {} in the mapping (--db-mapping): \
                         [{table}] columns = {{ {} = \"...\" }}",
                        c.name, c.name
                    )),
                });
            }
            planned.push(None);
            continue;
        };
        if !class.fits(c.kind) {
            return Err(Error::Input {
                reason: format!(
                    "{shown}: the column {name:?} of the {table} table is of type {ty}, which \
                     the contract's {} cannot read",
                    c.name
                ),
                hint: Some(format!(
                    "give the {table} table a `query` in the mapping that casts it to text \
                     (or the type the contract's {} holds)",
                    c.name
                )),
            });
        }
        planned.push(Some((name.to_string(), class.clone())));
    }
    Ok(planned)
}

/// The source column of `table`'s time column, with its class, in a plan.
fn time_column(table: Table, planned: &[Option<(String, Class)>]) -> Option<&(String, Class)> {
    let ix = table.column_index(table.time_column()?)?;
    planned.get(ix)?.as_ref()
}

/// The instant `micros` (µs UTC) as UTC text, and as wall-clock text in `tz`, each
/// `YYYY-MM-DD HH:MM:SS.ffffff`: what a `since` condition compares with.
fn since_texts(micros: i64, tz: chrono_tz::Tz) -> Option<(String, String)> {
    let at = chrono::DateTime::from_timestamp_micros(micros)?;
    let format = "%Y-%m-%d %H:%M:%S%.6f";
    Some((
        at.format(format).to_string(),
        at.with_timezone(&tz).format(format).to_string(),
    ))
}

/// What differs between the SQL of the databases appraise reads.
pub(crate) struct Dialect {
    /// The mark around an identifier (`"` or `` ` ``), doubled within it.
    pub quote: char,
    /// A value of a class as the text the contract reads (instants with `Z`).
    pub as_text: fn(&str, &Class) -> String,
    /// `value >= the time`, for a time column of a class, given the time as UTC text and
    /// as wall-clock text in the appraisal's zone; `None` where the class has no order
    /// of time (text).
    pub at_or_after: fn(&str, &Class, &str, &str) -> Option<String>,
}

impl Dialect {
    /// An identifier, quoted.
    pub(crate) fn quoted(&self, name: &str) -> String {
        let q = self.quote;
        format!("{q}{}{q}", name.replace(q, &format!("{q}{q}")))
    }

    /// Where `table`'s rows are: its query, its source table (`schema.table` allowed),
    /// or the table by its contract name.
    pub(crate) fn from(&self, source: &TableSource, table: Table) -> String {
        let name = match (&source.query, &source.table) {
            (Some(query), _) => return format!("({query})"),
            (None, Some(name)) => name.as_str(),
            (None, None) => table.name(),
        };
        name.split('.')
            .map(|part| self.quoted(part))
            .collect::<Vec<_>>()
            .join(".")
    }

    /// The `SELECT` of `table`'s contract columns from `from` (as `q`), in the contract's
    /// order and under its names (`NULL` for an optional column the source lacks), of
    /// the rows from `since` on (µs UTC) where the time column allows it.
    pub(crate) fn select(
        &self,
        table: Table,
        from: &str,
        planned: &[Option<(String, Class)>],
        since: Option<i64>,
        tz: chrono_tz::Tz,
    ) -> String {
        let value = |name: &str| format!("q.{}", self.quoted(name));
        let columns: Vec<String> = table
            .columns()
            .iter()
            .zip(planned)
            .map(|(c, p)| {
                let text = p.as_ref().map_or_else(
                    || "NULL".into(),
                    |(name, class)| (self.as_text)(&value(name), class),
                );
                format!("{text} AS {}", self.quoted(c.name))
            })
            .collect();
        let condition = since.and_then(|micros| {
            let (name, class) = time_column(table, planned)?;
            let (utc, local) = since_texts(micros, tz)?;
            (self.at_or_after)(&value(name), class, &utc, &local)
        });
        format!(
            "SELECT {} FROM {from} AS q{}",
            columns.join(", "),
            condition.map_or(String::new(), |c| format!(" WHERE {c}"))
        )
    }
}

/// A database address without its password: what messages, rejects files and the
/// manifest show.
pub(crate) fn shown(scheme: &str, user: Option<&str>, host: &str, port: u16, db: &str) -> String {
    let user = user.map_or(String::new(), |u| format!("{u}@"));
    format!("{scheme}://{user}{host}:{port}/{db}")
}

/// The address at `place`: the text itself, or with `env:NAME` the environment
/// variable `NAME` (so that a password is in neither a shell history nor a file).
pub(crate) fn address(place: &Path) -> Result<Option<String>, Error> {
    let Some(text) = place.to_str() else {
        return Ok(None);
    };
    if let Some(name) = text.strip_prefix("env:") {
        return match std::env::var(name) {
            Ok(url) => Ok(Some(url)),
            Err(_) => Err(Error::Input {
                reason: format!("the environment variable {name} is not set"),
                hint: Some(format!(
                    "set {name} to the database's address, e.g. postgresql://user:password@host/db"
                )),
            }),
        };
    }
    Ok(Some(text.to_string()))
}

/// `place` as it may be shown: an address's password, if it holds one, left out
/// (`postgresql://user:secret@host/db` → `postgresql://user@host/db`).
pub fn without_password(place: &Path) -> String {
    let text = place.display().to_string();
    let Some((scheme, rest)) = text.split_once("://") else {
        return text;
    };
    let Some((userinfo, host)) = rest.rsplit_once('@') else {
        return text;
    };
    let user = userinfo.split_once(':').map_or(userinfo, |(user, _)| user);
    format!("{scheme}://{user}@{host}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_is_shown_without_its_password() {
        let shown = |s: &str| without_password(Path::new(s));
        assert_eq!(
            shown("postgresql://ana:s3cr@t@db:5432/gov"),
            "postgresql://ana@db:5432/gov"
        );
        assert_eq!(shown("postgresql://ana@db/gov"), "postgresql://ana@db/gov");
        assert_eq!(shown("mysql://ana:pw@db/gov"), "mysql://ana@db/gov");
        assert_eq!(shown("fixtures/demo"), "fixtures/demo");
        assert_eq!(shown("env:APPRAISE_DB"), "env:APPRAISE_DB");
    }
}
