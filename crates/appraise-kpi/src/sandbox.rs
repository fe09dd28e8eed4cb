//! The sandbox: only one read-only `SELECT` (or `WITH ... SELECT`, or `DESCRIBE table`)
//! runs.
//!
//! Two locks: the statement is parsed and anything but a query is refused with a
//! message naming its origin (DDL, DML, `COPY`, `CREATE EXTERNAL TABLE`, `SET`,
//! `SELECT ... INTO`, several statements); then the plan runs under DataFusion's
//! `SQLOptions` with DDL, DML and statements disallowed, so nothing that slipped past
//! the first lock can write, create or change settings. The session registers no table
//! function that reads files.

use datafusion::execution::context::SQLOptions;
use datafusion::sql::parser::{DFParser, Statement};
use datafusion::sql::sqlparser::ast::{SetExpr, Statement as SqlStatement};

use crate::Error;

/// The options every sandboxed query runs under.
pub fn read_only_options() -> SQLOptions {
    SQLOptions::new()
        .with_allow_ddl(false)
        .with_allow_dml(false)
        .with_allow_statements(false)
}

/// Refuses anything but one read-only query; `origin` names the KPI file or `query`.
pub fn check_read_only(origin: &str, sql: &str) -> Result<(), Error> {
    let refuse = |reason: String| Error::Refused {
        origin: origin.to_string(),
        reason,
    };
    let statements =
        DFParser::parse_sql(sql).map_err(|e| refuse(format!("does not parse: {e}")))?;
    if statements.len() != 1 {
        return Err(refuse(format!(
            "{} statements; exactly one query is allowed",
            statements.len()
        )));
    }
    let first_word = |s: &str| s.split_whitespace().next().unwrap_or("").to_uppercase();
    match &statements[0] {
        Statement::Statement(s) => match s.as_ref() {
            SqlStatement::Query(q) => {
                if let SetExpr::Select(select) = q.body.as_ref()
                    && select.into.is_some()
                {
                    return Err(refuse(
                        "SELECT ... INTO creates a table and is refused".into(),
                    ));
                }
                Ok(())
            }
            // `DESCRIBE table`: the columns and their types, nothing else.
            SqlStatement::ExplainTable { .. } => Ok(()),
            other => Err(refuse(format!(
                "{} statements are refused: only a read-only SELECT runs",
                first_word(&other.to_string())
            ))),
        },
        Statement::CreateExternalTable(_) => Err(refuse(
            "CREATE EXTERNAL TABLE is refused: KPIs read only the registered tables".into(),
        )),
        Statement::CopyTo(_) => Err(refuse("COPY is refused: KPIs write no files".into())),
        Statement::Explain(_) => Err(refuse("EXPLAIN is refused here".into())),
        Statement::Reset(_) => Err(refuse("RESET statements are refused".into())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_pass() {
        check_read_only("q", "SELECT 1").unwrap();
        check_read_only("q", "WITH a AS (SELECT 1 AS x) SELECT x FROM a").unwrap();
        check_read_only("q", "SELECT 1 UNION ALL SELECT 2").unwrap();
        check_read_only("q", "DESCRIBE exchanges").unwrap();
    }

    #[test]
    fn every_other_kind_is_refused() {
        for (sql, word) in [
            ("CREATE TABLE t (a INT)", "CREATE"),
            ("CREATE VIEW v AS SELECT 1", "CREATE"),
            ("DROP TABLE exchanges", "DROP"),
            ("INSERT INTO exchanges VALUES (1)", "INSERT"),
            ("UPDATE exchanges SET status = 'success'", "UPDATE"),
            ("DELETE FROM exchanges", "DELETE"),
            ("COPY exchanges TO '/tmp/x.csv'", "COPY"),
            (
                "CREATE EXTERNAL TABLE t STORED AS CSV LOCATION '/etc/passwd'",
                "CREATE EXTERNAL TABLE",
            ),
            ("SET datafusion.execution.batch_size = 1", "SET"),
            ("SELECT * INTO t FROM exchanges", "INTO"),
            ("SELECT 1; SELECT 2", "2 statements"),
            ("EXPLAIN SELECT 1", "EXPLAIN"),
        ] {
            let err = check_read_only("k.sql", sql).unwrap_err().to_string();
            assert!(
                err.starts_with("k.sql: ") && err.contains(word),
                "{sql}: {err}"
            );
        }
    }
}
