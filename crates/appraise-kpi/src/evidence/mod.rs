//! Evidence: the rows behind a KPI's value for one department, so that a department can
//! check its figures and find what to fix.
//!
//! A KPI's evidence is a query beside it, `evidence/<kpi id>.sql` in the KPI folder,
//! with one header line naming the table whose rows it lists:
//!
//! ```sql
//! -- evidence: exchanges
//! SELECT provider_dept AS department_id, event_id, requested_at, consumer_dept, status,
//!     status = 'success' AS in_numerator
//! FROM exchanges
//! WHERE consumer_dept <> provider_dept
//! ```
//!
//! It returns `department_id`, the table's id column and whatever else shows why a row
//! counts; one row per row of the table that enters the KPI's value for that
//! department: as many as the KPI's sample size, or its denominator where it has no
//! sample size. Computed again on the table restricted to those rows, the KPI gives
//! the same value for the department (the tests check both for every built-in KPI).
//!
//! Header lines after the first may also say how its rows make the items a card lists
//! under "how to move up" ([`items`]).

mod items;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use appraise_data::Table;
use datafusion::arrow::array::RecordBatch;
use datafusion::logical_expr::{col, lit};

use crate::{Engine, Error, KpiDef, Period};

pub use items::{Item, ItemSpec, Items, Weight};

/// A KPI's evidence query.
#[derive(Debug, Clone)]
pub struct Evidence {
    /// The table whose rows it lists.
    pub table: Table,
    /// The query, as written.
    pub sql: String,
    /// The file it came from.
    pub path: PathBuf,
    /// How its rows make a card's items, if they do.
    pub items: Option<ItemSpec>,
}

impl Evidence {
    /// Parses an evidence file: `-- evidence: <table>`, then the query.
    pub fn parse(path: &Path, text: &str) -> Result<Evidence, Error> {
        let bad = |line: usize, reason: String| Error::KpiFile {
            path: path.to_path_buf(),
            line,
            reason,
        };
        let mut lines = text.lines().enumerate();
        let (first, header) = lines
            .by_ref()
            .find(|(_, l)| !l.trim().is_empty())
            .ok_or_else(|| bad(0, "the file is empty".into()))?;
        let name = header
            .trim()
            .strip_prefix("-- evidence:")
            .map(str::trim)
            .ok_or_else(|| {
                bad(
                    first + 1,
                    "an evidence file begins with `-- evidence: <table>`".into(),
                )
            })?;
        let table = Table::ALL
            .into_iter()
            .find(|t| t.name() == name)
            .ok_or_else(|| {
                bad(
                    first + 1,
                    format!("{name:?} is not one of the five tables (exchanges, ...)"),
                )
            })?;
        let rest: Vec<(usize, &str)> = lines.collect();
        // The `key: value` lines of the header, up to the query's first line.
        let mut header = HashMap::new();
        let mut items_line = first + 1;
        for (i, line) in rest
            .iter()
            .take_while(|(_, l)| l.trim_start().starts_with("--"))
        {
            let pair = line.trim_start().trim_start_matches('-').split_once(':');
            if let Some((key, value)) = pair.map(|(k, v)| (k.trim(), v.trim()))
                && let Some(key) = items::KEYS.iter().find(|k| **k == key)
            {
                if header.insert(*key, value.to_string()).is_some() {
                    return Err(bad(i + 1, format!("`{key}:` twice")));
                }
                items_line = i + 1;
            }
        }
        let items = items::spec(&header).map_err(|reason| bad(items_line, reason))?;
        let sql = rest.iter().map(|(_, l)| *l).collect::<Vec<_>>().join("\n");
        if sql.trim().is_empty() {
            return Err(bad(first + 2, "no query after the header".into()));
        }
        Ok(Evidence {
            table,
            sql,
            path: path.to_path_buf(),
            items,
        })
    }
}

impl Engine {
    /// The evidence of `kpi` for `department` in `period`, in the order of the table's
    /// ids (one empty batch where there are none); `None` for a KPI without an evidence
    /// query.
    pub async fn evidence(
        &self,
        period: &Period,
        kpi: &KpiDef,
        department: &str,
    ) -> Result<Option<Vec<RecordBatch>>, Error> {
        self.evidence_of(period, kpi, Some(department)).await
    }

    /// The evidence of `kpi` for every department in `period`, by department and id
    /// (one empty batch where there are none).
    pub async fn evidence_all(
        &self,
        period: &Period,
        kpi: &KpiDef,
    ) -> Result<Option<Vec<RecordBatch>>, Error> {
        self.evidence_of(period, kpi, None).await
    }

    async fn evidence_of(
        &self,
        period: &Period,
        kpi: &KpiDef,
        department: Option<&str>,
    ) -> Result<Option<Vec<RecordBatch>>, Error> {
        let Some(evidence) = &kpi.evidence else {
            return Ok(None);
        };
        self.scope(Some(period))?;
        let df = self.planned(kpi, evidence, department).await?;
        let failed = |source| query_failed(kpi, evidence, source);
        let schema = Arc::new(df.schema().as_arrow().clone());
        let mut rows = df.collect().await.map_err(failed)?;
        // One batch at least, so that the rows' columns are known without rows.
        if rows.is_empty() {
            rows.push(RecordBatch::new_empty(schema));
        }
        Ok(Some(rows))
    }
}

impl Engine {
    /// Plans `kpi`'s evidence query on the tables as they are scoped: whether it reads
    /// and returns `department_id` and its table's id column.
    pub async fn check_evidence(&self, kpi: &KpiDef) -> Result<(), Error> {
        match &kpi.evidence {
            Some(evidence) => self.planned(kpi, evidence, Some("")).await.map(|_| ()),
            None => Ok(()),
        }
    }

    /// The evidence query of `kpi` for `department` (every one, by department, when
    /// `None`), by id, planned.
    async fn planned(
        &self,
        kpi: &KpiDef,
        evidence: &Evidence,
        department: Option<&str>,
    ) -> Result<datafusion::dataframe::DataFrame, Error> {
        let df = self.query(&evidence.sql).await.map_err(|e| match e {
            Error::DataFusion(source) => query_failed(kpi, evidence, source),
            other => other,
        })?;
        let by_id = col(evidence.table.id_column()).sort(true, false);
        match department {
            Some(d) => df
                .filter(col("department_id").eq(lit(d)))
                .and_then(|df| df.sort(vec![by_id])),
            None => df.sort(vec![col("department_id").sort(true, false), by_id]),
        }
        .map_err(|source| query_failed(kpi, evidence, source))
    }
}

fn query_failed(
    kpi: &KpiDef,
    evidence: &Evidence,
    source: datafusion::error::DataFusionError,
) -> Error {
    Error::Query {
        kpi: kpi.id.clone(),
        path: evidence.path.clone(),
        source: Box::new(source),
    }
}

/// Gives each KPI of `kpis` the evidence file of its id among `files` (path, text); a
/// file whose name is no KPI's id is refused.
pub fn attach(kpis: &mut [KpiDef], files: Vec<(PathBuf, String)>) -> Result<(), Error> {
    for (path, text) in files {
        let id = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let Some(kpi) = kpis.iter_mut().find(|k| k.id == id) else {
            return Err(Error::KpiFile {
                path,
                line: 0,
                reason: format!(
                    "no KPI {id:?} for this evidence file (it is named after its KPI's id)"
                ),
            });
        };
        kpi.evidence = Some(Evidence::parse(&path, &text)?);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_header_names_the_table_then_the_query() {
        let e = Evidence::parse(
            Path::new("evidence/k.sql"),
            "\n-- evidence: share_requests\nSELECT provider_dept AS department_id, request_id\nFROM share_requests",
        )
        .unwrap();
        assert_eq!(e.table, Table::ShareRequests);
        assert!(e.sql.starts_with("SELECT provider_dept"));
        for (text, line, says) in [
            ("SELECT 1", 1, "begins with `-- evidence:"),
            (
                "-- evidence: visits\nSELECT 1",
                1,
                "not one of the five tables",
            ),
            ("-- evidence: catalog\n", 2, "no query"),
        ] {
            let Err(Error::KpiFile {
                line: l, reason, ..
            }) = Evidence::parse(Path::new("k.sql"), text)
            else {
                panic!("{text:?} parsed");
            };
            assert_eq!(l, line, "{text:?}");
            assert!(reason.contains(says), "{reason}");
        }
    }
}
