//! MySQL, and the databases that speak its protocol (MariaDB, TiDB, OceanBase), as a
//! source: `--from mysql://user@host:3306/db` (or `mariadb://`; the password from the
//! URL, `MYSQL_PWD`, or the whole URL from `--from env:NAME`).
//!
//! Each table is one `SELECT` of the contract's columns over the text protocol, its rows
//! read from the connection as they arrive (never the whole table in memory) and pushed
//! into the sink as text: the same validation, rejects and accounting as a file's row.
//! The session's zone is UTC, so a `TIMESTAMP` column is sent as its instant (`...Z`); a
//! `DATETIME` column is a wall-clock time, read in the appraisal's zone. All tables are
//! read in one consistent, read-only snapshot.

use std::borrow::Cow;
use std::sync::Arc;

use mysql::consts::ColumnType;
use mysql::prelude::Queryable;
use mysql::{Conn, Opts, OptsBuilder, Value};

use super::database::{Class, Dialect, Reading, shown};
use super::files::push_fields;
use super::{LoadOptions, Source};
use crate::schema::Table;
use crate::validate::TableSink;
use crate::{Error, Warning};

/// The character set number of binary strings.
const BINARY: u16 = 63;

/// A MySQL database.
pub(crate) struct Mysql {
    conn: Conn,
    db: Reading,
}

/// Whether `address` names a MySQL database.
pub(crate) fn is_mysql(address: &str) -> bool {
    address.starts_with("mysql://") || address.starts_with("mariadb://")
}

impl Mysql {
    /// Connects to the database at `address` and opens the snapshot every table is read
    /// in.
    pub(crate) fn open(address: &str, opts: &LoadOptions) -> Result<Mysql, Error> {
        let url = address.replacen("mariadb://", "mysql://", 1);
        let parsed = Opts::from_url(&url).map_err(|e| Error::Input {
            reason: format!("not a MySQL address: {e}"),
            hint: Some("write it as mysql://user@host:3306/database".into()),
        })?;
        let shown = shown(
            "mysql",
            parsed.get_user(),
            &parsed.get_ip_or_hostname(),
            parsed.get_tcp_port(),
            parsed.get_db_name().unwrap_or(""),
        );
        let mut builder = OptsBuilder::from_opts(parsed.clone());
        if parsed.get_pass().is_none()
            && let Ok(password) = std::env::var("MYSQL_PWD")
        {
            builder = builder.pass(Some(password));
        }
        // The mapping first: a mistake in it needs no connection to be found.
        let db = Reading::new(shown, opts)?;
        let mut conn = Conn::new(builder).map_err(|e| failed(&db, None, "cannot connect", &e))?;
        for setting in [
            "SET NAMES utf8mb4",
            "SET time_zone = '+00:00'",
            "SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ",
            "START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY",
        ] {
            conn.query_drop(setting)
                .map_err(|e| failed(&db, None, "cannot start a read-only snapshot", &e))?;
        }
        Ok(Mysql { conn, db })
    }

    /// The `SELECT` of `table`'s contract columns ([`Dialect::select`]); an error for a
    /// table or required column the database does not have, or a column of a type the
    /// contract cannot read.
    fn select(&mut self, table: Table, tz: chrono_tz::Tz) -> Result<String, Error> {
        let source = self.db.mapping.of(table);
        let from = MYSQL.from(&source, table);
        let columns: Vec<(String, Class, String)> = {
            let db = &self.db;
            let described = self
                .conn
                .query_iter(format!("SELECT * FROM {from} AS q LIMIT 0"))
                .map_err(|e| failed(db, Some(table), "cannot read the table", &e))?;
            described
                .columns()
                .as_ref()
                .iter()
                .map(|c| {
                    let ty = format!("{:?}", c.column_type());
                    (c.name_str().into_owned(), class(c), ty)
                })
                .collect()
        };
        self.db.select(&MYSQL, table, &source, &columns, tz)
    }
}

impl Source for Mysql {
    fn read(
        &mut self,
        table: Table,
        sink: &mut TableSink<'_>,
        opts: &LoadOptions,
        _warnings: &mut Vec<Warning>,
    ) -> Result<(), Error> {
        let select = self.select(table, opts.timezone)?;
        tracing::info!(table = table.name(), source = %self.db.shown, "loading");
        let name: Arc<str> = format!("{} {table}", self.db.shown).into();
        let db = &self.db;
        let lost = |e: &mysql::Error| failed(db, Some(table), "cannot read the table", e);
        let rows = self.conn.query_iter(select).map_err(|e| lost(&e))?;
        for (i, row) in rows.enumerate() {
            let row = row.map_err(|e| lost(&e))?;
            let texts: Vec<Option<Cow<'_, str>>> = (0..row.len())
                .map(|c| match row.as_ref(c) {
                    None | Some(Value::NULL) => None,
                    Some(Value::Bytes(b)) => Some(String::from_utf8_lossy(b)),
                    Some(other) => Some(Cow::Owned(other.as_sql(true))),
                })
                .collect();
            let fields: Vec<Option<&str>> = texts.iter().map(|t| t.as_deref()).collect();
            push_fields(sink, &fields, &name, i as u64)?;
        }
        Ok(())
    }

    fn identity(&self) -> Option<String> {
        Some(self.db.shown.clone())
    }

    fn since(&mut self, table: Table, micros: i64) {
        self.db.since.insert(table, micros);
    }
}

/// The class of a MySQL column.
fn class(c: &mysql::Column) -> Class {
    use ColumnType::*;
    let binary = c.character_set() == BINARY;
    match c.column_type() {
        MYSQL_TYPE_VARCHAR
        | MYSQL_TYPE_VAR_STRING
        | MYSQL_TYPE_STRING
        | MYSQL_TYPE_ENUM
        | MYSQL_TYPE_SET
        | MYSQL_TYPE_TINY_BLOB
        | MYSQL_TYPE_MEDIUM_BLOB
        | MYSQL_TYPE_LONG_BLOB
        | MYSQL_TYPE_BLOB
            if !binary =>
        {
            Class::Text
        }
        MYSQL_TYPE_TINY | MYSQL_TYPE_SHORT | MYSQL_TYPE_INT24 | MYSQL_TYPE_LONG
        | MYSQL_TYPE_LONGLONG | MYSQL_TYPE_YEAR => Class::Integer,
        MYSQL_TYPE_DECIMAL | MYSQL_TYPE_NEWDECIMAL => Class::Decimal,
        MYSQL_TYPE_TIMESTAMP | MYSQL_TYPE_TIMESTAMP2 => Class::Instant,
        MYSQL_TYPE_DATETIME | MYSQL_TYPE_DATETIME2 => Class::WallTime,
        other if binary => Class::Other(format!("binary {other:?}")),
        other => Class::Other(format!("{other:?}")),
    }
}

/// MySQL's SQL: instants (the session's zone is UTC) with `Z`, wall times as they are,
/// to the microsecond.
const MYSQL: Dialect = Dialect {
    quote: '`',
    as_text: |value, class| match class {
        Class::Instant => format!("DATE_FORMAT({value}, '%Y-%m-%dT%H:%i:%s.%fZ')"),
        Class::WallTime => format!("DATE_FORMAT({value}, '%Y-%m-%d %H:%i:%s.%f')"),
        _ => value.to_string(),
    },
    at_or_after: |value, class, utc, local| match class {
        Class::Instant => Some(format!("{value} >= '{utc}'")),
        Class::WallTime => Some(format!("{value} >= '{local}'")),
        _ => None,
    },
};

/// A database error, with what was being done and a fix where the error says which.
fn failed(db: &Reading, table: Option<Table>, doing: &str, e: &mysql::Error) -> Error {
    let shown = &db.shown;
    let of = table.map_or(String::new(), |t| format!(" (the {t} table)"));
    let t = table.map_or("TABLE", Table::name);
    let cause = match e {
        mysql::Error::MySqlError(m) => m.message.clone(),
        other => other.to_string(),
    };
    // Killed by the server (1927), gone (2006, 2013), or cut on the wire.
    let lost = match e {
        mysql::Error::MySqlError(m) => matches!(m.code, 1927 | 2006 | 2013),
        mysql::Error::IoError(_) | mysql::Error::CodecError(_) => true,
        _ => false,
    };
    if let Some(table) = table.filter(|_| lost) {
        return db.lost(table, cause);
    }
    let hint = match e {
        mysql::Error::MySqlError(m) => match m.code {
            1045 => "check the user and password (in the URL, MYSQL_PWD, or --from env:NAME)"
                .to_string(),
            1049 => "check the database name in the URL".into(),
            1146 => format!(
                "name the source table in the mapping (--db-mapping): [{t}] table = \
                 \"database.table\", or query = \"SELECT ...\""
            ),
            1142 | 1044 => "grant the user SELECT on the source tables".into(),
            _ => "check the query or table in the mapping".into(),
        },
        mysql::Error::IoError(_) | mysql::Error::DriverError(_) | mysql::Error::CodecError(_) => {
            "check the host and port, and that the server is running and reachable".into()
        }
        _ => "check the address and the mapping".into(),
    };
    Error::Input {
        reason: format!("{shown}{of}: {doing}: {cause}"),
        hint: Some(hint),
    }
}
