//! KPI files: a header of `-- key: value` comment lines, then one query.
//!
//! ```sql
//! -- kpi: records_provided
//! -- title: Records provided to other departments
//! -- title_zh: 向其他部门提供数据量
//! -- dimension: sharing
//! -- unit: records
//! -- unit_zh: 条
//! -- direction: higher
//! -- missing: zero
//! SELECT provider_dept AS department_id, SUM(COALESCE(records, 0)) AS value
//! FROM exchanges WHERE status = 'success' AND consumer_dept <> provider_dept
//! GROUP BY provider_dept
//! ```
//!
//! The file stays valid SQL. Header keys: `kpi`, `title`, `dimension`, `direction`
//! (required); `title_zh`, `unit`, `unit_zh`, `missing`, `optional`, `description`,
//! `description_zh` (optional; the `_zh` keys are what the Chinese report shows). A
//! value may continue over further `--` lines indented by two or more spaces.

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::Error;

/// Which way is better.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// More is better.
    Higher,
    /// Less is better.
    Lower,
}

/// What a department with no result row gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Missing {
    /// No value: there was nothing to measure.
    None,
    /// Zero, a real value (counts and sums).
    Zero,
}

/// One KPI: its header and its query.
#[derive(Debug, Clone, Serialize)]
pub struct KpiDef {
    /// Identifier (`kpi:`), also the scorecard's key.
    pub id: String,
    /// English title.
    pub title: String,
    /// Chinese title, if given.
    pub title_zh: Option<String>,
    /// The scorecard dimension it belongs to.
    pub dimension: String,
    /// Unit of the value (`records`, `ratio`, `ms`, `days`, ...).
    pub unit: Option<String>,
    /// The unit in Chinese, if given.
    pub unit_zh: Option<String>,
    /// Which way is better.
    pub direction: Direction,
    /// What a department with no row gets.
    pub missing: Missing,
    /// Offered for scorecards to choose (`optional: true`): one that leaves it out is
    /// not warned.
    pub optional: bool,
    /// What it measures, in words.
    pub description: Option<String>,
    /// What it measures, in Chinese, if given.
    pub description_zh: Option<String>,
    /// The query, as written.
    pub sql: String,
    /// The file it came from.
    pub path: PathBuf,
    /// The file's text as read: what the run manifest hashes.
    #[serde(skip)]
    pub text: String,
    /// The query that lists the rows behind its value (`evidence/<id>.sql`), if any.
    #[serde(skip)]
    pub evidence: Option<crate::Evidence>,
}

const KEYS: [&str; 11] = [
    "kpi",
    "title",
    "title_zh",
    "dimension",
    "unit",
    "unit_zh",
    "direction",
    "missing",
    "optional",
    "description",
    "description_zh",
];

/// A KPI file's header: each key's value and line, and where the query starts.
struct Header<'t> {
    fields: Vec<(&'static str, String, usize)>,
    body_start: Option<usize>,
    /// How a line's error reads.
    err: &'t dyn Fn(usize, String) -> Error,
}

impl<'t> Header<'t> {
    /// Reads the `-- key: value` lines up to the first line of SQL.
    fn read(text: &str, err: &'t dyn Fn(usize, String) -> Error) -> Result<Header<'t>, Error> {
        let mut h = Header {
            fields: Vec::new(),
            body_start: None,
            err,
        };
        let mut offset = 0;
        for (i, raw) in text.split_inclusive('\n').enumerate() {
            let trimmed = raw.trim_end_matches(['\n', '\r']).trim();
            if trimmed.is_empty() {
                offset += raw.len();
                continue;
            }
            let Some(comment) = trimmed.strip_prefix("--") else {
                h.body_start = Some(offset);
                break;
            };
            offset += raw.len();
            h.line(i + 1, comment)?;
        }
        Ok(h)
    }

    /// One header line: the text after `--`.
    fn line(&mut self, line_no: usize, comment: &str) -> Result<(), Error> {
        let err = self.err;
        // A continuation of the previous value: `--` then two or more spaces.
        if comment.starts_with("  ") || comment.starts_with('\t') {
            let Some((_, v, _)) = self.fields.last_mut() else {
                return Err(err(
                    line_no,
                    "a continuation line before any header key".into(),
                ));
            };
            v.push(' ');
            v.push_str(comment.trim());
            return Ok(());
        }
        let comment = comment.trim();
        if comment.is_empty() {
            return Ok(());
        }
        let Some((key, value)) = comment.split_once(':') else {
            return Err(err(
                line_no,
                format!("header line {comment:?} is not `-- key: value`"),
            ));
        };
        let key = key.trim();
        let Some(key) = KEYS.iter().find(|k| **k == key) else {
            return Err(err(
                line_no,
                format!("unknown header key {key:?} (known: {})", KEYS.join(", ")),
            ));
        };
        if self.fields.iter().any(|(k, _, _)| k == key) {
            return Err(err(line_no, format!("header key {key:?} appears twice")));
        }
        self.fields.push((*key, value.trim().to_string(), line_no));
        Ok(())
    }

    /// A key's value and line.
    fn get(&self, k: &str) -> Option<(String, usize)> {
        self.fields
            .iter()
            .find(|(key, _, _)| *key == k)
            .map(|(_, v, l)| (v.clone(), *l))
    }

    /// A key that must have a value.
    fn need(&self, k: &str) -> Result<(String, usize), Error> {
        self.get(k)
            .filter(|(v, _)| !v.is_empty())
            .ok_or_else(|| (self.err)(1, format!("the header has no {k:?}")))
    }

    fn id(&self) -> Result<String, Error> {
        let (id, line) = self.need("kpi")?;
        if !id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        {
            return Err((self.err)(
                line,
                format!("kpi id {id:?} must be lowercase letters, digits and _"),
            ));
        }
        Ok(id)
    }

    fn direction(&self) -> Result<Direction, Error> {
        let (direction, line) = self.need("direction")?;
        match direction.as_str() {
            "higher" => Ok(Direction::Higher),
            "lower" => Ok(Direction::Lower),
            other => Err((self.err)(
                line,
                format!("direction {other:?} is neither higher nor lower"),
            )),
        }
    }

    fn optional(&self) -> Result<bool, Error> {
        match self.get("optional") {
            None => Ok(false),
            Some((v, line)) => match v.as_str() {
                "true" => Ok(true),
                "false" => Ok(false),
                other => Err((self.err)(
                    line,
                    format!("optional {other:?} is neither true nor false"),
                )),
            },
        }
    }

    fn missing(&self) -> Result<Missing, Error> {
        match self.get("missing") {
            None => Ok(Missing::None),
            Some((v, line)) => match v.as_str() {
                "zero" => Ok(Missing::Zero),
                "none" | "missing" => Ok(Missing::None),
                other => Err((self.err)(
                    line,
                    format!("missing {other:?} is neither zero nor none"),
                )),
            },
        }
    }
}

impl KpiDef {
    /// Parses a KPI file's text; `path` is for messages.
    pub fn parse(path: &Path, text: &str) -> Result<KpiDef, Error> {
        let err = |line: usize, reason: String| Error::KpiFile {
            path: path.to_path_buf(),
            line,
            reason,
        };
        let h = Header::read(text, &err)?;
        let id = h.id()?;
        let direction = h.direction()?;
        let missing = h.missing()?;
        let optional = h.optional()?;
        let sql = h
            .body_start
            .map(|o| text[o..].trim().to_string())
            .unwrap_or_default();
        if sql.is_empty() {
            return Err(err(
                h.fields.last().map_or(1, |f| f.2 + 1),
                "no query after the header".into(),
            ));
        }
        Ok(KpiDef {
            id,
            title: h.need("title")?.0,
            title_zh: h.get("title_zh").map(|v| v.0),
            dimension: h.need("dimension")?.0,
            unit: h.get("unit").map(|v| v.0),
            unit_zh: h.get("unit_zh").map(|v| v.0),
            direction,
            missing,
            optional,
            description: h.get("description").map(|v| v.0),
            description_zh: h.get("description_zh").map(|v| v.0),
            sql,
            path: path.to_path_buf(),
            text: text.to_string(),
            evidence: None,
        })
    }

    /// Reads one KPI file.
    pub fn from_file(path: &Path) -> Result<KpiDef, Error> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::KpiFile {
            path: path.to_path_buf(),
            line: 0,
            reason: format!("cannot read: {e}"),
        })?;
        KpiDef::parse(path, &text)
    }
}

/// Reads every `*.sql` file of a folder, in name order (ids must be unique), with the
/// evidence queries of its `evidence/` folder.
pub fn load_library(dir: &Path) -> Result<Vec<KpiDef>, Error> {
    let mut kpis = library_from(sql_files(dir)?)?;
    let evidence = dir.join("evidence");
    if evidence.is_dir() {
        crate::evidence::attach(&mut kpis, sql_files(&evidence)?)?;
    }
    Ok(kpis)
}

/// Every `*.sql` file of the folder `dir` with its text, in name order.
fn sql_files(dir: &Path) -> Result<Vec<(PathBuf, String)>, Error> {
    let entries = std::fs::read_dir(dir).map_err(|e| Error::KpiFile {
        path: dir.to_path_buf(),
        line: 0,
        reason: format!("cannot read the KPI folder: {e}"),
    })?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "sql"))
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|f| {
            let text = std::fs::read_to_string(&f).map_err(|e| Error::KpiFile {
                path: f.clone(),
                line: 0,
                reason: format!("cannot read: {e}"),
            })?;
            Ok((f, text))
        })
        .collect()
}

/// The KPIs of `library` whose ids `ids` names, in the library's order; all of them
/// where `ids` is empty. An id the library does not hold is an error.
pub fn select(library: Vec<KpiDef>, ids: &[String]) -> Result<Vec<KpiDef>, Error> {
    if let Some(id) = ids.iter().find(|id| !library.iter().any(|k| &k.id == *id)) {
        return Err(Error::UnknownKpi { id: id.clone() });
    }
    Ok(library
        .into_iter()
        .filter(|k| ids.is_empty() || ids.contains(&k.id))
        .collect())
}

/// The KPIs of files given as (path, text), in that order; two files with one id are
/// refused.
pub fn library_from(files: Vec<(PathBuf, String)>) -> Result<Vec<KpiDef>, Error> {
    let mut kpis: Vec<KpiDef> = Vec::with_capacity(files.len());
    for (f, text) in files {
        let k = KpiDef::parse(&f, &text)?;
        if let Some(other) = kpis.iter().find(|o| o.id == k.id) {
            return Err(Error::KpiFile {
                path: f,
                line: 1,
                reason: format!(
                    "kpi id {:?} is already defined in {}",
                    k.id,
                    other.path.display()
                ),
            });
        }
        kpis.push(k);
    }
    Ok(kpis)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<KpiDef, Error> {
        KpiDef::parse(Path::new("k.sql"), text)
    }

    #[test]
    fn a_header_then_a_query() {
        let k = parse(
            "-- kpi: online_rate\n-- title: Online\n-- title_zh: 网办率\n-- dimension: service\n\
             -- direction: higher\n-- description: cases online\n--   or on a phone\n\nSELECT 1\n",
        )
        .unwrap();
        assert_eq!(k.id, "online_rate");
        assert_eq!(k.title_zh.as_deref(), Some("网办率"));
        assert_eq!(k.description.as_deref(), Some("cases online or on a phone"));
        assert_eq!(k.missing, Missing::None);
        assert_eq!(k.sql, "SELECT 1");
    }

    #[test]
    fn header_errors_name_the_line() {
        let e = parse("-- kpi: a\n-- titel: x\nSELECT 1")
            .unwrap_err()
            .to_string();
        assert!(e.contains("k.sql:2") && e.contains("titel"), "{e}");
        let e = parse("-- kpi: a\n-- title: t\n-- dimension: d\n-- direction: up\nSELECT 1")
            .unwrap_err()
            .to_string();
        assert!(e.contains("k.sql:4") && e.contains("up"), "{e}");
        let e =
            parse("-- kpi: a\n-- title: t\n-- dimension: d\n-- direction: higher\n").unwrap_err();
        assert!(e.to_string().contains("no query"), "{e}");
        let e = parse("-- title: t\nSELECT 1").unwrap_err();
        assert!(e.to_string().contains("\"kpi\""), "{e}");
        let head = "-- kpi: a\n-- title: t\n-- dimension: d\n-- direction: higher\n";
        let e = parse(&format!("{head}-- optional: yes\nSELECT 1"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("k.sql:5") && e.contains("yes"), "{e}");
        assert!(
            parse(&format!("{head}-- optional: true\nSELECT 1"))
                .unwrap()
                .optional
        );
        assert!(!parse(&format!("{head}SELECT 1")).unwrap().optional);
    }
}
