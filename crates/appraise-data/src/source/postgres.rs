//! PostgreSQL, and the databases that speak its protocol (openGauss, KingbaseES, Highgo,
//! Greenplum), as a source: `--from postgresql://user@host:port/db` (the password from
//! the URL, `PGPASSWORD`, or the whole URL from `--from env:NAME`).
//!
//! Each table is read with `COPY (SELECT ...) TO STDOUT` as CSV and streamed into the
//! CSV reader: the server turns every value into text, rows arrive as they are sent
//! (never the whole table in memory), and they obey the same validation, rejects and
//! accounting as a file's. Instants are sent as UTC (`...Z`); a timestamp without a
//! zone as it is, read in the appraisal's zone. All tables are read in one read-only
//! snapshot, so they agree with each other.

use std::io::Read;
use std::path::Path;
use std::sync::Arc;

use postgres::error::SqlState;
use postgres::types::Type;
use postgres::{Client, Config, NoTls};

use super::csv_blocks::read_csv;
use super::database::{Class, Dialect, Reading, shown};
use super::{LoadOptions, Source};
use crate::schema::Table;
use crate::validate::TableSink;
use crate::{Error, Warning};

/// A PostgreSQL database.
pub(crate) struct Postgres {
    client: Client,
    db: Reading,
}

/// Whether `address` names a PostgreSQL database.
pub(crate) fn is_postgres(address: &str) -> bool {
    address.starts_with("postgresql://") || address.starts_with("postgres://")
}

impl Postgres {
    /// Connects to the database at `address` and opens the snapshot every table is read
    /// in.
    pub(crate) fn open(address: &str, opts: &LoadOptions) -> Result<Postgres, Error> {
        let mut config: Config = address.parse().map_err(|e| Error::Input {
            reason: format!("not a PostgreSQL address: {e}"),
            hint: Some("write it as postgresql://user@host:5432/database".into()),
        })?;
        if config.get_password().is_none()
            && let Ok(password) = std::env::var("PGPASSWORD")
        {
            config.password(password);
        }
        let host = match config.get_hosts().first() {
            Some(postgres::config::Host::Tcp(h)) => h.clone(),
            #[cfg(unix)]
            Some(postgres::config::Host::Unix(p)) => p.display().to_string(),
            None => "localhost".into(),
        };
        let port = config.get_ports().first().copied().unwrap_or(5432);
        let db = config.get_dbname().unwrap_or("").to_string();
        let shown = shown("postgresql", config.get_user(), &host, port, &db);
        // The mapping first: a mistake in it needs no connection to be found.
        let db = Reading::new(shown, opts)?;
        let shown = &db.shown;
        let mut client = config
            .connect(NoTls)
            .map_err(|e| failed(shown, None, "cannot connect", &e))?;
        client
            .batch_execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            .map_err(|e| failed(shown, None, "cannot start a read-only snapshot", &e))?;
        Ok(Postgres { client, db })
    }

    /// The `COPY` that sends `table`'s contract columns as CSV, each under its contract
    /// name; an error for a table or required column the database does not have, or a
    /// column of a type the contract cannot read.
    fn copy_statement(&mut self, table: Table, tz: chrono_tz::Tz) -> Result<String, Error> {
        let source = self.db.mapping.of(table);
        let from = POSTGRES.from(&source, table);
        let described = self
            .client
            .prepare(&format!("SELECT * FROM {from} AS q LIMIT 0"))
            .map_err(|e| failed(&self.db.shown, Some(table), "cannot read the table", &e))?;
        let columns: Vec<(String, Class, String)> = described
            .columns()
            .iter()
            .map(|c| {
                (
                    c.name().to_string(),
                    class(c.type_()),
                    c.type_().to_string(),
                )
            })
            .collect();
        let select = self.db.select(&POSTGRES, table, &source, &columns, tz)?;
        Ok(format!(
            "COPY ({select}) TO STDOUT WITH (FORMAT csv, HEADER true, ENCODING 'UTF8')"
        ))
    }
}

impl Source for Postgres {
    fn read(
        &mut self,
        table: Table,
        sink: &mut TableSink<'_>,
        opts: &LoadOptions,
        warnings: &mut Vec<Warning>,
    ) -> Result<(), Error> {
        let copy = self.copy_statement(table, opts.timezone)?;
        let place = format!("{} {table}", self.db.shown);
        tracing::info!(table = table.name(), source = %self.db.shown, "loading");
        let name: Arc<str> = place.clone().into();
        let rows = self
            .client
            .copy_out(&copy)
            .map_err(|e| failed(&self.db.shown, Some(table), "cannot read the table", &e))?;
        let lost = std::cell::RefCell::new(None);
        let stream = Stream {
            rows: Some(rows),
            lost: &lost,
        };
        let read = read_csv(Path::new(&place), &name, stream, sink, opts, warnings);
        match (read, lost.into_inner()) {
            (Err(_), Some(cause)) => Err(self.db.lost(table, cause)),
            (read, _) => read,
        }
    }

    fn identity(&self) -> Option<String> {
        Some(self.db.shown.clone())
    }

    fn since(&mut self, table: Table, micros: i64) {
        self.db.since.insert(table, micros);
    }
}

/// A table's `COPY` stream as the CSV reader reads it: once at its end it stays there
/// without asking the server again (a `COPY` stream asked for more after its end reads
/// the server's next message as data), and a failed read is kept in `lost`, so that a
/// lost connection is told as such, not as a flaw of the data.
struct Stream<'a, R> {
    rows: Option<R>,
    lost: &'a std::cell::RefCell<Option<String>>,
}

impl<R: Read> Read for Stream<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let Some(rows) = &mut self.rows else {
            return Ok(0);
        };
        match rows.read(buf) {
            Ok(0) if !buf.is_empty() => {
                self.rows = None;
                Ok(0)
            }
            Ok(n) => Ok(n),
            Err(e) => {
                *self.lost.borrow_mut() = Some(e.to_string());
                Err(e)
            }
        }
    }
}

/// The class of a PostgreSQL type.
fn class(ty: &Type) -> Class {
    match *ty {
        Type::TEXT | Type::VARCHAR | Type::BPCHAR | Type::NAME => Class::Text,
        Type::INT2 | Type::INT4 | Type::INT8 => Class::Integer,
        Type::NUMERIC => Class::Decimal,
        Type::BOOL => Class::Bool,
        Type::TIMESTAMPTZ => Class::Instant,
        Type::TIMESTAMP => Class::WallTime,
        Type::UUID => Class::Uuid,
        _ => Class::Other(ty.to_string()),
    }
}

/// PostgreSQL's SQL: instants sent in UTC (`...Z`), wall times as they are, to the
/// microsecond.
const POSTGRES: Dialect = Dialect {
    quote: '"',
    as_text: |value, class| match class {
        Class::Instant => {
            format!("to_char({value} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')")
        }
        Class::WallTime => format!("to_char({value}, 'YYYY-MM-DD\"T\"HH24:MI:SS.US')"),
        _ => value.to_string(),
    },
    at_or_after: |value, class, utc, local| match class {
        Class::Instant => Some(format!("{value} >= '{utc}+00'::timestamptz")),
        Class::WallTime => Some(format!("{value} >= '{local}'::timestamp")),
        _ => None,
    },
};

/// A database error, with what was being done and a fix where the error says which.
fn failed(shown: &str, table: Option<Table>, doing: &str, e: &postgres::Error) -> Error {
    let of = table.map_or(String::new(), |t| format!(" (the {t} table)"));
    let cause = match e.as_db_error() {
        Some(db) => db.message().to_string(),
        None => {
            // With its causes ("invalid configuration: password missing").
            let mut text = e.to_string();
            let mut source = std::error::Error::source(e);
            while let Some(s) = source {
                text = format!("{text}: {s}");
                source = s.source();
            }
            text
        }
    };
    let no_password = cause.contains("password missing");
    let hint = match e.code() {
        Some(c) if *c == SqlState::INVALID_PASSWORD => {
            "check the user and password (in the URL, PGPASSWORD, or --from env:NAME)"
        }
        Some(c) if *c == SqlState::INVALID_AUTHORIZATION_SPECIFICATION => {
            "check the user name, and that the server lets it connect from here (pg_hba.conf)"
        }
        Some(c) if *c == SqlState::INVALID_CATALOG_NAME => "check the database name in the URL",
        Some(c) if *c == SqlState::UNDEFINED_TABLE => {
            let t = table.map_or("TABLE", Table::name);
            return Error::Input {
                reason: format!("{shown}{of}: {doing}: {cause}"),
                hint: Some(format!(
                    "name the source table in the mapping (--db-mapping): [{t}] table = \
                     \"schema.table\", or query = \"SELECT ...\""
                )),
            };
        }
        Some(c) if *c == SqlState::INSUFFICIENT_PRIVILEGE => {
            "grant the user SELECT on the source tables"
        }
        Some(_) => "check the query or table in the mapping",
        None if no_password => {
            "the server asks for a password: set PGPASSWORD, or give the whole address in an \
             environment variable and pass --from env:NAME"
        }
        None if e.is_closed() => "the connection was lost: run the ingest again",
        None => "check the host and port, and that the server is running and reachable",
    };
    Error::Input {
        reason: format!("{shown}{of}: {doing}: {cause}"),
        hint: Some(hint.into()),
    }
}
