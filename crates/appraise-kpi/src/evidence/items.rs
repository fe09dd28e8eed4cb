//! What to fix, item by item: a KPI's evidence rows grouped into items (a service, a
//! share request, a catalog entry), the worst first, for the card's "how to move up".
//!
//! An evidence file says how, in header lines after `-- evidence:`:
//!
//! ```sql
//! -- evidence: exchanges
//! -- items: resource_id where not in_numerator by count
//! -- items_title: resources with the most failed exchanges
//! -- items_title_zh: 交换失败最多的资源
//! ```
//!
//! `items: <column> [label <column>] [where [not] <column>] [by count | sum(<column>) |
//! max(<column>) | p<NN>(<column>)]`, each a column of the evidence query: the column
//! naming an item, the one that says what it is in words (a resource's title; the
//! smallest of its rows' where they differ), the rows kept (`where`, a boolean column;
//! a null is false), and how an item's rows are weighed (`by`, heaviest first; `count`
//! when not given). `pNN` is the exact
//! continuous percentile the percentile KPIs compute. An item whose weight is not above
//! zero is nothing to fix and is left out. A `by` other than `count` names its figure
//! in `items_by_title` and `items_by_title_zh`.

use std::collections::HashMap;

use datafusion::arrow::array::{Array, AsArray};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Float64Type};

use crate::{Engine, Error, KpiDef, Period};

/// How a KPI's evidence makes items.
#[derive(Debug, Clone, PartialEq)]
pub struct ItemSpec {
    /// The column naming an item.
    pub column: String,
    /// The column that says what an item is, if any.
    pub label: Option<String>,
    /// The boolean column of the rows kept, and whether it is negated.
    pub filter: Option<(bool, String)>,
    /// How an item's rows are weighed.
    pub by: Weight,
    /// What the items are ("resources with the most failed exchanges").
    pub title: String,
    /// What the items are, in Chinese.
    pub title_zh: String,
    /// The weight's name; empty for `count`.
    pub by_title: String,
    /// The weight's name in Chinese; empty for `count`.
    pub by_title_zh: String,
}

/// How an item's rows are weighed.
#[derive(Debug, Clone, PartialEq)]
pub enum Weight {
    /// How many rows.
    Count,
    /// The sum of a column.
    Sum(String),
    /// The largest value of a column.
    Max(String),
    /// The exact continuous percentile (0–100) of a column.
    Percentile(u8, String),
}

impl Weight {
    /// The column it reads, if any.
    fn column(&self) -> Option<&str> {
        match self {
            Weight::Count => None,
            Weight::Sum(c) | Weight::Max(c) | Weight::Percentile(_, c) => Some(c),
        }
    }
}

/// One item: its name, how many evidence rows it has (of those kept), its weight.
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    /// The value of the item column; empty where it is null.
    pub item: String,
    /// What it is in words (the label column's smallest value); empty without one.
    pub label: String,
    /// The rows it has.
    pub rows: u64,
    /// Its weight (the rows, for `count`).
    pub weight: f64,
}

/// A department's items of one KPI: how many there are, and the heaviest few.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Items {
    /// How many items weigh above zero.
    pub total: usize,
    /// The heaviest, at most the number asked for: by weight, then rows, largest
    /// first; then by name.
    pub top: Vec<Item>,
}

/// The header keys of an evidence file that describe its items.
pub(super) const KEYS: [&str; 5] = [
    "items",
    "items_title",
    "items_title_zh",
    "items_by_title",
    "items_by_title_zh",
];

/// The items of an evidence file from its header's `key: value` pairs; `None` without
/// an `items` line. An error says what is wrong.
pub(super) fn spec(header: &HashMap<&str, String>) -> Result<Option<ItemSpec>, String> {
    let Some(line) = header.get("items") else {
        if let Some(k) = KEYS.iter().find(|k| header.contains_key(**k)) {
            return Err(format!("`{k}` without an `items:` line"));
        }
        return Ok(None);
    };
    let form = "`<column> [label <column>] [where [not] <column>] [by <weight>]`";
    let words: Vec<&str> = line.split_whitespace().collect();
    let (column, mut rest) = match words.split_first() {
        Some((c, rest)) if is_column(c) => (c.to_string(), rest),
        _ => return Err(format!("`items: {line}` does not begin with a column name")),
    };
    let mut label = None;
    if let [w, more @ ..] = rest
        && w.eq_ignore_ascii_case("label")
    {
        let [c, more @ ..] = more else {
            return Err(format!("`items: {line}`: `label` needs a column"));
        };
        if !is_column(c) {
            return Err(format!("`items: {line}`: {c:?} is not a column name"));
        }
        label = Some(c.to_string());
        rest = more;
    }
    let mut filter = None;
    if let [w, more @ ..] = rest
        && w.eq_ignore_ascii_case("where")
    {
        let (negated, more) = match more {
            [n, more @ ..] if n.eq_ignore_ascii_case("not") => (true, more),
            _ => (false, more),
        };
        let [c, more @ ..] = more else {
            return Err(format!("`items: {line}`: `where` needs a column"));
        };
        if !is_column(c) {
            return Err(format!("`items: {line}`: {c:?} is not a column name"));
        }
        filter = Some((negated, c.to_string()));
        rest = more;
    }
    let by = match rest {
        [] => Weight::Count,
        [b, w] if b.eq_ignore_ascii_case("by") => weight(w).ok_or_else(|| {
            format!(
                "`items: {line}`: {w:?} is not count, sum(<column>), max(<column>) or p<NN>(<column>)"
            )
        })?,
        _ => return Err(format!("`items: {line}` is not {form}")),
    };
    let text = |key: &str| header.get(key).cloned().unwrap_or_default();
    let spec = ItemSpec {
        column,
        label,
        filter,
        title: text("items_title"),
        title_zh: text("items_title_zh"),
        by_title: text("items_by_title"),
        by_title_zh: text("items_by_title_zh"),
        by,
    };
    let weighed = spec.by != Weight::Count;
    for (key, value, needed) in [
        ("items_title", &spec.title, true),
        ("items_title_zh", &spec.title_zh, true),
        ("items_by_title", &spec.by_title, weighed),
        ("items_by_title_zh", &spec.by_title_zh, weighed),
    ] {
        if needed && value.is_empty() {
            return Err(format!("the items need `{key}:`, what a card calls them"));
        }
    }
    Ok(Some(spec))
}

fn is_column(word: &str) -> bool {
    word.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && word.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
}

fn weight(word: &str) -> Option<Weight> {
    if word.eq_ignore_ascii_case("count") {
        return Some(Weight::Count);
    }
    let (name, rest) = word.split_once('(')?;
    let column = rest.strip_suffix(')').filter(|c| is_column(c))?.to_string();
    match name.to_ascii_lowercase().as_str() {
        "sum" => Some(Weight::Sum(column)),
        "max" => Some(Weight::Max(column)),
        p => {
            let n: u8 = p.strip_prefix('p')?.parse().ok()?;
            (n <= 100).then_some(Weight::Percentile(n, column))
        }
    }
}

/// The aggregate of an item's weight over its rows' values (`weight`) of the weighed
/// column; the percentile is appraise's exact one, the percentile KPIs' own.
fn weigh(by: &Weight) -> String {
    match by {
        Weight::Count => "CAST(COUNT(*) AS DOUBLE)".into(),
        Weight::Sum(_) => "SUM(weight)".into(),
        Weight::Max(_) => "MAX(weight)".into(),
        Weight::Percentile(p, _) => format!(
            "percentile_cont({:?}) WITHIN GROUP (ORDER BY weight)",
            f64::from(*p) / 100.0
        ),
    }
}

impl Engine {
    /// Each department's items of `kpi` in `period`, the `top` heaviest of each;
    /// `None` for a KPI whose evidence names no items (or that has no evidence).
    pub async fn items(
        &self,
        period: &Period,
        kpi: &KpiDef,
        top: usize,
    ) -> Result<Option<HashMap<String, Items>>, Error> {
        let Some((evidence, spec)) = kpi
            .evidence
            .as_ref()
            .and_then(|e| Some((e, e.items.as_ref()?)))
        else {
            return Ok(None);
        };
        let failed = |source| super::query_failed(kpi, evidence, source);
        // Only the columns the items read, of the rows kept; a percentile is the KPIs'
        // exact one.
        let weight = spec
            .by
            .column()
            .map_or("NULL".into(), |c| format!("\"{c}\""));
        let keep = match &spec.filter {
            Some((negated, c)) => {
                let not = if *negated { "NOT " } else { "" };
                format!("WHERE {not}COALESCE(\"{c}\", false)")
            }
            None => String::new(),
        };
        let label = spec
            .label
            .as_ref()
            .map_or("NULL".into(), |c| format!("\"{c}\""));
        // Grouped by the engine: one row per item (an item without a name is one
        // item, ""), not one per row of evidence.
        let sql = format!(
            "SELECT department_id, item, COUNT(*) AS n, {} AS weight, MIN(label) AS label \
             FROM (SELECT CAST(department_id AS VARCHAR) AS department_id, \
                COALESCE(CAST(\"{}\" AS VARCHAR), '') AS item, \
                CAST({weight} AS DOUBLE) AS weight, CAST({label} AS VARCHAR) AS label \
                FROM ({}) AS evidence {keep}) AS rows \
             WHERE department_id IS NOT NULL GROUP BY department_id, item",
            weigh(&spec.by),
            spec.column,
            evidence.sql
        );
        self.scope(Some(period))?;
        let df = self.query(&sql).await.map_err(|e| match e {
            Error::DataFusion(source) => failed(source),
            other => other,
        })?;
        let batches = df.collect().await.map_err(failed)?;
        let mut by_department: HashMap<String, Items> = HashMap::new();
        for b in &batches {
            let text = |i: usize| cast(b.column(i), &DataType::Utf8).map_err(|e| failed(e.into()));
            let (dept, item, labels) = (text(0)?, text(1)?, text(4)?);
            let (dept, item) = (dept.as_string::<i32>(), item.as_string::<i32>());
            let labels = labels.as_string::<i32>();
            let rows = cast(b.column(2), &DataType::UInt64).map_err(|e| failed(e.into()))?;
            let rows = rows.as_primitive::<datafusion::arrow::datatypes::UInt64Type>();
            let weights = b.column(3).as_primitive::<Float64Type>();
            for r in 0..b.num_rows() {
                // Nothing to fix: a weight not above zero, or none.
                let weight = weights.is_valid(r).then(|| weights.value(r));
                let Some(weight) = weight.filter(|w| *w > 0.0) else {
                    continue;
                };
                let items = by_department.entry(dept.value(r).to_string()).or_default();
                items.total += 1;
                items.top.push(Item {
                    item: item.value(r).to_string(),
                    label: if labels.is_valid(r) {
                        labels.value(r).to_string()
                    } else {
                        String::new()
                    },
                    rows: rows.value(r),
                    weight,
                });
            }
        }
        for items in by_department.values_mut() {
            items.top.sort_by(|a, b| {
                b.weight
                    .total_cmp(&a.weight)
                    .then(b.rows.cmp(&a.rows))
                    .then_with(|| a.item.cmp(&b.item))
            });
            items.top.truncate(top);
        }
        Ok(Some(by_department))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(pairs: &[(&'static str, &str)]) -> HashMap<&'static str, String> {
        pairs.iter().map(|(k, v)| (*k, v.to_string())).collect()
    }

    const TITLES: [(&str, &str); 2] = [("items_title", "t"), ("items_title_zh", "标题")];
    const BY: [(&str, &str); 2] = [
        ("items_by_title", "p90 (ms)"),
        ("items_by_title_zh", "第90百分位（毫秒）"),
    ];

    fn with(items: &str, by: bool) -> HashMap<&'static str, String> {
        let mut pairs = TITLES.to_vec();
        if by {
            pairs.extend(BY);
        }
        pairs.push(("items", items));
        header(&pairs)
    }

    #[test]
    fn an_items_line_names_column_filter_and_weight() {
        let s = spec(&with("resource_id where not in_numerator", false))
            .unwrap()
            .unwrap();
        assert_eq!(s.column, "resource_id");
        assert_eq!(s.filter, Some((true, "in_numerator".into())));
        assert_eq!(s.by, Weight::Count);
        let s = spec(&with("resource_id by p90(ms)", true))
            .unwrap()
            .unwrap();
        assert_eq!(
            (s.filter, s.by),
            (None, Weight::Percentile(90, "ms".into()))
        );
        let s = spec(&with("resource_id label title where not ok", false))
            .unwrap()
            .unwrap();
        assert_eq!(s.label.as_deref(), Some("title"));
        assert_eq!(s.filter, Some((true, "ok".into())));
        for (line, says) in [
            ("", "does not begin with a column"),
            ("9th", "does not begin with a column"),
            ("resource_id where", "`where` needs a column"),
            ("resource_id label", "`label` needs a column"),
            ("resource_id by median(ms)", "is not count"),
            ("resource_id by p101(ms)", "is not count"),
            ("resource_id order by count", "is not `<column>"),
        ] {
            let e = spec(&with(line, true)).unwrap_err();
            assert!(e.contains(says), "{line:?}: {e}");
        }
        let e = spec(&with("request_id by max(days)", false)).unwrap_err();
        assert!(e.contains("items_by_title"), "{e}");
        let e = spec(&header(&[("items_title", "t")])).unwrap_err();
        assert!(e.contains("without an `items:` line"), "{e}");
        assert_eq!(spec(&header(&[])).unwrap(), None);
    }

    #[test]
    fn an_item_is_weighed_as_its_by_says() {
        // The percentile the KPIs' own: p90 is the fraction 0.9, not 90 or 0.90000001.
        assert_eq!(
            weigh(&Weight::Percentile(90, "x".into())),
            "percentile_cont(0.9) WITHIN GROUP (ORDER BY weight)"
        );
        assert_eq!(
            weigh(&Weight::Percentile(5, "x".into())),
            "percentile_cont(0.05) WITHIN GROUP (ORDER BY weight)"
        );
        assert_eq!(weigh(&Weight::Count), "CAST(COUNT(*) AS DOUBLE)");
        assert_eq!(weigh(&Weight::Sum("x".into())), "SUM(weight)");
        assert_eq!(weigh(&Weight::Max("x".into())), "MAX(weight)");
    }
}
