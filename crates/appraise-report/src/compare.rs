//! `compare.html`: two appraisals side by side ([`appraise_score::comparison`]), as a
//! page for people, in the report's language.

use std::collections::BTreeMap;

use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::util::display::{ArrayFormatter, FormatOptions};
use serde::Serialize;

use crate::Error;
use crate::lang::Lang;
use crate::templates::Templates;

#[derive(Serialize)]
struct Cell {
    text: String,
    num: bool,
    up: bool,
    down: bool,
}

/// The page of the per-department comparison table `departments`, comparing `now`
/// with `base` (each a period and a scorecard's name); the KPIs named in its
/// `explained_by` column are written with their titles in `titles` (KPI id → title).
pub fn comparison_page(
    templates: &Templates,
    lang: Lang,
    departments: &RecordBatch,
    (base, now): (&str, &str),
    titles: &BTreeMap<String, String>,
) -> Result<String, Error> {
    let t = templates.strings(lang);
    let headers: Vec<String> = departments
        .schema()
        .fields()
        .iter()
        .map(|f| {
            let key = format!("col:{}", f.name());
            t.0.get(&key).cloned().unwrap_or_else(|| f.name().clone())
        })
        .collect();
    templates.render(
        "compare.html.j2",
        minijinja::context! {
            lang => lang.code(),
            t => &t,
            title => t.get("compare_title"),
            base => base,
            now => now,
            headers => headers,
            rows => cells(departments, lang, titles)?,
        },
    )
}

/// The table's cells as the page shows them: numbers in the page's language (ranks and
/// their changes whole, composites with two decimals), changes marked up or down, the
/// `explained_by` KPIs by their titles.
fn cells(
    departments: &RecordBatch,
    lang: Lang,
    titles: &BTreeMap<String, String>,
) -> Result<Vec<Vec<Cell>>, Error> {
    let schema = departments.schema();
    let options = FormatOptions::default().with_null("–");
    let formatters = departments
        .columns()
        .iter()
        .map(|c| ArrayFormatter::try_new(c.as_ref(), &options))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| Error::Chart {
            chart: "compare.html".into(),
            reason: e.to_string(),
        })?;
    let fields = schema.fields();
    let explained = schema.index_of("explained_by").ok();
    Ok((0..departments.num_rows())
        .map(|i| {
            formatters
                .iter()
                .zip(fields.iter())
                .enumerate()
                .map(|(j, (f, field))| {
                    let text = f.value(i).to_string();
                    let text = if Some(j) == explained {
                        with_titles(&text, titles, lang)
                    } else {
                        text
                    };
                    let numeric = field.data_type().is_numeric();
                    let decimals = if field.data_type().is_integer() { 0 } else { 2 };
                    let change = field.name().ends_with("_change");
                    let sign = change.then(|| text.parse::<f64>().ok()).flatten();
                    Cell {
                        text: if numeric {
                            text.parse::<f64>()
                                .map_or(text.clone(), |v| lang.number(Some(v), decimals))
                        } else {
                            text
                        },
                        num: numeric,
                        up: sign.is_some_and(|v| v > 0.0),
                        down: sign.is_some_and(|v| v < 0.0),
                    }
                })
                .collect()
        })
        .collect())
}

/// `kpi (+1.20);kpi (-0.50)` with each KPI's title, joined as the page's language
/// joins a list.
fn with_titles(text: &str, titles: &BTreeMap<String, String>, lang: Lang) -> String {
    text.split(';')
        .map(|item| match item.split_once(" (") {
            Some((id, rest)) => {
                let title = titles.get(id).map_or(id, String::as_str);
                format!("{title} ({rest}")
            }
            None => item.to_string(),
        })
        .collect::<Vec<_>>()
        .join(match lang {
            Lang::Zh => "；",
            Lang::En => "; ",
        })
}
