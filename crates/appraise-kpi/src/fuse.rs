//! Fused KPIs: the KPIs that aggregate one table by one key, run as one aggregation.
//!
//! Each KPI file stays plain SQL that runs unchanged elsewhere (DuckDB reads it). Most
//! built-in KPIs have one shape: `SELECT <key> AS department_id, <expressions of
//! aggregates> FROM <table> [WHERE <predicate>] GROUP BY <key>`. Run one by one, each
//! scans its table and builds its own hash table by department. appraise finds the
//! KPIs of that shape over the same table and key and runs them as **one** statement:
//! one scan, one hash table by the key, each KPI's aggregates evaluated in it under a
//! `FILTER (WHERE <its predicate>)`, the scan's filter the OR of the predicates:
//!
//! ```sql
//! SELECT __k, __n0, <KPI 0's expressions over __a0_*>, __n1, <KPI 1's ...>
//! FROM (SELECT provider_dept AS __k,
//!              COUNT(*) FILTER (WHERE p0) AS __n0, SUM(...) FILTER (WHERE p0) AS __a0_0, ...
//!              COUNT(*) FILTER (WHERE p1) AS __n1, COUNT(DISTINCT ...) FILTER (WHERE p1) AS __a1_0, ...
//!       FROM exchanges WHERE (p0) OR (p1) GROUP BY provider_dept) AS fused
//! ```
//!
//! Each KPI's rows are then those of its groups with a row of its own (`__n > 0`), with
//! its columns under their names: exactly the rows and values it gives alone (the
//! tests compare every value, bit for bit, on `fixtures/tiny`, the demo and generated
//! data). The rewrite is done on the SQL's syntax tree, before DataFusion plans it, so
//! that the fused statement is itself plain SQL (shown by `appraise kpi run
//! --explain`); a KPI of another shape (a `WITH`, a join, a window, an aggregate other
//! than `COUNT`, `SUM`, `AVG`, `MIN`, `MAX` and the exact `percentile_cont`) runs as
//! before.

use std::collections::BTreeMap;

use datafusion::sql::sqlparser::ast::{
    Expr, Function, FunctionArg, FunctionArgExpr, FunctionArgumentList, FunctionArguments,
    GroupByExpr, Ident, ObjectName, SelectItem, SetExpr, Statement, TableFactor,
    visit_expressions_mut,
};
use datafusion::sql::sqlparser::dialect::GenericDialect;
use datafusion::sql::sqlparser::parser::Parser;

use crate::KpiDef;

/// The aggregates a fused KPI may use (the percentiles: appraise's exact ones,
/// [`crate::percentile`], with their `WITHIN GROUP`).
const AGGREGATES: [&str; 7] = [
    "count",
    "sum",
    "avg",
    "min",
    "max",
    "percentile_cont",
    "quantile_cont",
];

/// A KPI of the fusable shape.
#[derive(Debug, Clone)]
struct Shape {
    /// The table, as written (lowercase).
    table: String,
    /// The grouping key: one column.
    key: Ident,
    /// Its `WHERE`, if any.
    predicate: Option<Expr>,
    /// Its output columns: expression and name.
    items: Vec<(Expr, String)>,
}

/// How a run's KPIs are computed: alone, or fused with others of the same table and key.
#[derive(Debug, Clone, PartialEq)]
pub enum Unit {
    /// The KPI at this index, by its own query.
    Alone(usize),
    /// The KPIs at these indices, by one statement; member `m` of `members` has its
    /// columns as `__<m>_<name>` and its row count as `__n<m>`.
    Fused {
        /// The statement.
        sql: String,
        /// The KPIs, by index, in the order of their columns.
        members: Vec<usize>,
    },
}

impl Unit {
    /// The KPIs it computes, by index.
    pub fn members(&self) -> Vec<usize> {
        match self {
            Unit::Alone(i) => vec![*i],
            Unit::Fused { members, .. } => members.clone(),
        }
    }
}

/// The units of `kpis`: those of the fusable shape fused by table and key (two or
/// more together), the others alone, in the order of their first KPI.
pub fn units(kpis: &[KpiDef]) -> Vec<Unit> {
    let shapes: Vec<Option<Shape>> = kpis.iter().map(|k| shape(&k.sql)).collect();
    let mut groups: BTreeMap<(String, String), Vec<usize>> = BTreeMap::new();
    for (i, s) in shapes.iter().enumerate() {
        if let Some(s) = s {
            groups
                .entry((s.table.clone(), s.key.value.to_lowercase()))
                .or_default()
                .push(i);
        }
    }
    let mut units: Vec<(usize, Unit)> = Vec::new();
    for members in groups.values() {
        if members.len() < 2 {
            continue;
        }
        let shapes: Vec<&Shape> = members.iter().filter_map(|&i| shapes[i].as_ref()).collect();
        units.push((
            members[0],
            Unit::Fused {
                sql: fused_sql(&shapes),
                members: members.clone(),
            },
        ));
    }
    for i in 0..kpis.len() {
        let fused = units
            .iter()
            .any(|(_, u)| matches!(u, Unit::Fused { members, .. } if members.contains(&i)));
        if !fused {
            units.push((i, Unit::Alone(i)));
        }
    }
    units.sort_by_key(|(first, _)| *first);
    units.into_iter().map(|(_, u)| u).collect()
}

/// The shape of `sql`, if it is the fusable one.
fn shape(sql: &str) -> Option<Shape> {
    let statements = Parser::parse_sql(&GenericDialect {}, sql).ok()?;
    let [Statement::Query(query)] = statements.as_slice() else {
        return None;
    };
    let SetExpr::Select(select) = query.body.as_ref() else {
        return None;
    };
    let [from] = select.from.as_slice() else {
        return None;
    };
    let TableFactor::Table { name, .. } = &from.relation else {
        return None;
    };
    let GroupByExpr::Expressions(keys, _) = &select.group_by else {
        return None;
    };
    let [Expr::Identifier(key)] = keys.as_slice() else {
        return None;
    };
    let mut items = Vec::new();
    for item in &select.projection {
        match item {
            SelectItem::ExprWithAlias { expr, alias } => {
                items.push((expr.clone(), alias.value.clone()))
            }
            SelectItem::UnnamedExpr(Expr::Identifier(id)) => {
                items.push((Expr::Identifier(id.clone()), id.value.clone()))
            }
            _ => return None,
        }
    }
    let shape = Shape {
        table: name.to_string().to_lowercase(),
        key: key.clone(),
        predicate: select.selection.clone(),
        items,
    };
    // Nothing else in the statement: written again from the parts, it reads the same.
    let again = format!(
        "SELECT {} FROM {name}{} GROUP BY {key}",
        shape
            .items
            .iter()
            .map(|(e, a)| format!("{e} AS {}", Ident::new(a.clone())))
            .collect::<Vec<_>>()
            .join(", "),
        shape
            .predicate
            .as_ref()
            .map_or(String::new(), |p| format!(" WHERE {p}")),
    );
    let canonical = |s: &str| {
        Parser::parse_sql(&GenericDialect {}, s)
            .ok()
            .map(|s| s.iter().map(ToString::to_string).collect::<Vec<_>>())
    };
    if canonical(&again)? != canonical(&query.to_string())? {
        return None;
    }
    // The columns of a KPI's result, with its value; department_id is the key itself;
    // every aggregate is one of AGGREGATES, without
    // a window, FILTER or WITHIN GROUP of its own, and every other function scalar.
    const COLUMNS: [&str; 5] = [
        "department_id",
        "value",
        "numerator",
        "denominator",
        "sample_size",
    ];
    if !shape
        .items
        .iter()
        .all(|(_, a)| COLUMNS.contains(&a.as_str()))
        || !shape.items.iter().any(|(_, a)| a == "value")
    {
        return None;
    }
    let department = shape.items.iter().find(|(_, a)| a == "department_id")?;
    if !matches!(&department.0, Expr::Identifier(id) if id.value.eq_ignore_ascii_case(&key.value)) {
        return None;
    }
    let mut fits = true;
    for (e, _) in &shape.items {
        let mut e = e.clone();
        let _ = visit_expressions_mut(&mut e, |x| {
            if let Expr::Function(f) = x {
                let name = f.name.to_string().to_lowercase();
                let ordered = name == "percentile_cont" || name == "quantile_cont";
                let plain = f.over.is_none()
                    && f.filter.is_none()
                    && (f.within_group.is_empty() || ordered);
                if !plain
                    || (!AGGREGATES.contains(&name.as_str()) && !SCALARS.contains(&name.as_str()))
                {
                    fits = false;
                }
            }
            std::ops::ControlFlow::<()>::Continue(())
        });
    }
    fits.then_some(shape)
}

/// The scalar functions a fused KPI's expressions may use around its aggregates.
const SCALARS: [&str; 6] = ["coalesce", "round", "abs", "nullif", "greatest", "least"];

/// The one statement of `shapes` (same table and key) — see the module's docs.
fn fused_sql(shapes: &[&Shape]) -> String {
    let quoted = |s: String| Ident::with_quote('"', s);
    let key = &shapes[0].key;
    let mut inner: Vec<String> = vec![format!("{key} AS {}", quoted("__k".into()))];
    let mut outer: Vec<String> = vec![quoted("__k".into()).to_string()];
    let mut predicates: Vec<Option<&Expr>> = Vec::new();
    // Percentiles of the same values under the same filter, taken by two KPIs or more:
    // gathered once, by one `appraise_percentiles` ([`crate::percentile`]).
    let mut shared = Percentiles::of(shapes);
    for (m, s) in shapes.iter().enumerate() {
        predicates.push(s.predicate.as_ref());
        let count = Expr::Function(count_star(s.predicate.clone()));
        inner.push(format!("{count} AS {}", quoted(format!("__n{m}"))));
        outer.push(quoted(format!("__n{m}")).to_string());
        let mut j = 0;
        for (expr, alias) in &s.items {
            let mut expr = expr.clone();
            let _ = visit_expressions_mut(&mut expr, |x| {
                if let Expr::Function(f) = x
                    && let Some(taken) = shared.take(f, s.predicate.as_ref())
                {
                    *x = taken;
                    return std::ops::ControlFlow::<()>::Continue(());
                }
                match x {
                    Expr::Function(f)
                        if AGGREGATES.contains(&f.name.to_string().to_lowercase().as_str()) =>
                    {
                        let mut call = f.clone();
                        call.filter = s.predicate.clone().map(Box::new);
                        let name = format!("__a{m}_{j}");
                        inner.push(format!("{call} AS {}", quoted(name.clone())));
                        *x = Expr::Identifier(quoted(name));
                        j += 1;
                    }
                    Expr::Identifier(id) if id.value.eq_ignore_ascii_case(&key.value) => {
                        *x = Expr::Identifier(quoted("__k".into()));
                    }
                    _ => {}
                }
                std::ops::ControlFlow::<()>::Continue(())
            });
            outer.push(format!("{expr} AS {}", quoted(format!("__{m}_{alias}"))));
        }
    }
    inner.extend(shared.columns());
    let filter = if predicates.iter().all(Option::is_some) {
        let any: Vec<String> = predicates
            .iter()
            .flatten()
            .map(|p| format!("({p})"))
            .collect();
        format!(" WHERE {}", any.join(" OR "))
    } else {
        String::new()
    };
    format!(
        "SELECT {} FROM (SELECT {} FROM {}{filter} GROUP BY {key}) AS fused",
        outer.join(", "),
        inner.join(", "),
        shapes[0].table,
    )
}

/// The percentiles of a fused statement that share their values and filter: each set
/// (the ordered expression and the filter, as written) with its fractions as taken.
struct Percentiles {
    sets: Vec<Set>,
}

/// Percentiles of one set of values.
struct Set {
    /// The value and the filter, as written.
    key: String,
    /// How many calls take it.
    calls: usize,
    /// The fractions taken so far, as written.
    fractions: Vec<String>,
    /// The value.
    value: Expr,
    /// The filter.
    predicate: Option<Expr>,
}

impl Percentiles {
    /// The sets of `shapes`' percentile calls (ascending, one fraction).
    fn of(shapes: &[&Shape]) -> Percentiles {
        let mut p = Percentiles { sets: Vec::new() };
        for s in shapes {
            for (expr, _) in &s.items {
                let mut expr = expr.clone();
                let _ = visit_expressions_mut(&mut expr, |x| {
                    if let Expr::Function(f) = x
                        && let Some((key, value, _)) = percentile_call(f, s.predicate.as_ref())
                    {
                        match p.sets.iter_mut().find(|set| set.key == key) {
                            Some(set) => set.calls += 1,
                            None => p.sets.push(Set {
                                key,
                                calls: 1,
                                fractions: Vec::new(),
                                value,
                                predicate: s.predicate.clone(),
                            }),
                        }
                    }
                    std::ops::ControlFlow::<()>::Continue(())
                });
            }
        }
        p.sets.retain(|set| set.calls > 1);
        p
    }

    /// `f` as its place in a shared set's list (`"__q<n>"[k]`), if it is in one.
    fn take(&mut self, f: &Function, predicate: Option<&Expr>) -> Option<Expr> {
        let (key, _, fraction) = percentile_call(f, predicate)?;
        let n = self.sets.iter().position(|set| set.key == key)?;
        let fractions = &mut self.sets[n].fractions;
        fractions.push(fraction);
        let text = format!("\"__q{n}\"[{}]", fractions.len());
        Parser::new(&GenericDialect {})
            .try_with_sql(&text)
            .and_then(|mut p| p.parse_expr())
            .ok()
    }

    /// The inner columns that gather each set.
    fn columns(&self) -> Vec<String> {
        self.sets
            .iter()
            .enumerate()
            .map(|(n, set)| {
                let (fractions, value) = (&set.fractions, &set.value);
                let filter = set
                    .predicate
                    .as_ref()
                    .map_or(String::new(), |p| format!(" FILTER (WHERE {p})"));
                format!(
                    "appraise_percentiles({value}, {}){filter} AS \"__q{n}\"",
                    fractions.join(", ")
                )
            })
            .collect()
    }
}

/// A call `percentile_cont(<fraction>) WITHIN GROUP (ORDER BY <value> [ASC])` (or
/// `quantile_cont`): its set's key (the value and the filter), the value, the fraction.
fn percentile_call(f: &Function, predicate: Option<&Expr>) -> Option<(String, Expr, String)> {
    let name = f.name.to_string().to_lowercase();
    if name != "percentile_cont" && name != "quantile_cont" {
        return None;
    }
    let [order] = f.within_group.as_slice() else {
        return None;
    };
    if order.options.asc == Some(false) {
        return None;
    }
    let FunctionArguments::List(list) = &f.args else {
        return None;
    };
    let [FunctionArg::Unnamed(FunctionArgExpr::Expr(fraction))] = list.args.as_slice() else {
        return None;
    };
    let value = order.expr.clone();
    let key = format!(
        "{value} | {}",
        predicate.map_or(String::new(), ToString::to_string)
    );
    Some((key, value, fraction.to_string()))
}

/// `COUNT(*)`, filtered by `predicate` if any.
fn count_star(predicate: Option<Expr>) -> Function {
    Function {
        name: ObjectName::from(vec![Ident::new("COUNT")]),
        uses_odbc_syntax: false,
        parameters: FunctionArguments::None,
        args: FunctionArguments::List(FunctionArgumentList {
            duplicate_treatment: None,
            args: vec![FunctionArg::Unnamed(FunctionArgExpr::Wildcard)],
            clauses: vec![],
        }),
        filter: predicate.map(Box::new),
        null_treatment: None,
        over: None,
        within_group: vec![],
    }
}

/// Member `m`'s rows of a fused statement's result: its columns under their own names,
/// the groups that hold a row of its own.
pub(crate) fn member_rows(
    batches: &[datafusion::arrow::array::RecordBatch],
    m: usize,
) -> Result<Vec<datafusion::arrow::array::RecordBatch>, crate::Error> {
    use std::sync::Arc;

    use datafusion::arrow::array::{Int64Array, RecordBatch};
    use datafusion::arrow::compute::filter_record_batch;
    use datafusion::arrow::compute::kernels::cmp::gt;
    use datafusion::arrow::datatypes::{Field, Schema};
    let missing = |c: &str| datafusion::error::DataFusionError::Internal(format!("no {c}"));
    let prefix = format!("__{m}_");
    let count = format!("__n{m}");
    let mut out = Vec::with_capacity(batches.len());
    for b in batches {
        let schema = b.schema();
        let (mut fields, mut columns) = (Vec::new(), Vec::new());
        for (f, c) in schema.fields().iter().zip(b.columns()) {
            if let Some(name) = f.name().strip_prefix(&prefix) {
                fields.push(Field::new(name, f.data_type().clone(), f.is_nullable()));
                columns.push(c.clone());
            }
        }
        let own = RecordBatch::try_new(Arc::new(Schema::new(fields)), columns)?;
        let n = b.column_by_name(&count).ok_or_else(|| missing(&count))?;
        let kept = gt(n, &Int64Array::new_scalar(0))?;
        out.push(filter_record_batch(&own, &kept)?);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_table_one_key_fuses_and_other_shapes_do_not() {
        let fits = [
            "SELECT provider_dept AS department_id, COUNT(*) AS value FROM exchanges WHERE status = 'success' GROUP BY provider_dept",
            "SELECT dept_id AS department_id, CAST(SUM(CASE WHEN x THEN 1 ELSE 0 END) AS DOUBLE) / COUNT(*) AS value FROM services GROUP BY dept_id",
        ];
        for sql in fits {
            assert!(shape(sql).is_some(), "{sql}");
        }
        let others = [
            "WITH v AS (SELECT 1) SELECT provider_dept AS department_id, COUNT(*) AS value FROM exchanges GROUP BY provider_dept",
            "SELECT e.provider_dept AS department_id, COUNT(*) AS value FROM exchanges e JOIN catalog c ON e.resource_id = c.resource_id GROUP BY e.provider_dept",
            "SELECT provider_dept AS department_id, COUNT(*) AS value FROM exchanges GROUP BY provider_dept HAVING COUNT(*) > 1",
            "SELECT provider_dept AS department_id, COUNT(*) AS value FROM exchanges GROUP BY provider_dept ORDER BY 1",
            "SELECT provider_dept AS department_id, median(x) AS value FROM exchanges GROUP BY provider_dept",
            "SELECT consumer_dept AS department_id, COUNT(*) AS value FROM exchanges GROUP BY provider_dept",
            "SELECT provider_dept AS department_id, COUNT(*) FILTER (WHERE x) AS value FROM exchanges GROUP BY provider_dept",
        ];
        for sql in others {
            assert!(shape(sql).is_none(), "{sql}");
        }
    }
}
