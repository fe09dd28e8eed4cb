//! `appraisal.xlsx`: the ranking, the KPI values, the scores, the methodology, the data
//! quality and a data dictionary, one sheet each. Headers are in the report's language
//! (the dictionary sheet gives each column's id); numbers are stored as numbers, with a
//! format by what they are: percentages for ratios, weights and coverage, whole numbers
//! for counts and ranks, one or two decimals for scores and composites. The header row
//! and the columns that name a row stay in view.

use std::path::Path;

use datafusion::arrow::array::{Array, AsArray, RecordBatch};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Float64Type};
use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format, Workbook, Worksheet, XlsxError};

use crate::Error;

/// A sheet of label/value pairs or a small table: first row is the header.
pub(crate) type Rows = Vec<Vec<String>>;

/// How a number is shown.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Shown {
    /// A share: `12.5%`.
    Percent,
    /// A whole number: `1,234`.
    Whole,
    /// With this many decimals.
    Decimals(u8),
}

/// What the workbook holds.
pub(crate) struct Sheets<'a> {
    /// The report's wording, with each KPI's title as `kpi:<id>`: a coded value of the
    /// tables (a level, a status, a flag, a KPI id) is written in words.
    pub words: &'a crate::lang::Strings,
    pub ranking: &'a RecordBatch,
    pub kpis: &'a RecordBatch,
    pub scores: &'a RecordBatch,
    /// The column headers of the three tables above, in the report's language.
    pub headers: [Vec<String>; 3],
    /// How each KPI's values are shown (by its unit), by KPI id.
    pub kpi_shown: std::collections::BTreeMap<String, Shown>,
    pub methodology: Rows,
    pub quality: Rows,
    /// Sheet names, in the report's language: ranking, KPI values, scores,
    /// methodology, data quality, data dictionary.
    pub names: [String; 6],
    /// The dictionary sheet's header: sheet, column id, header shown.
    pub dictionary_header: [String; 3],
    /// The document's date (the period's last day), so that two runs write the same
    /// bytes: the writer would stamp the current time otherwise.
    pub date: chrono::NaiveDate,
    pub title: String,
}

pub(crate) fn write(sheets: &Sheets<'_>, path: &Path) -> Result<(), Error> {
    let fail = |e: XlsxError| Error::Xlsx {
        path: path.to_path_buf(),
        reason: e.to_string(),
    };
    build(sheets).and_then(|mut wb| wb.save(path)).map_err(fail)
}

fn build(s: &Sheets<'_>) -> Result<Workbook, XlsxError> {
    use chrono::Datelike;
    let mut wb = Workbook::new();
    let date = ExcelDateTime::from_ymd(
        s.date.year().clamp(1900, 9999) as u16,
        s.date.month() as u8,
        s.date.day() as u8,
    )?;
    wb.set_properties(
        &DocProperties::new()
            .set_title(&s.title)
            .set_author("appraise")
            .set_creation_datetime(&date),
    );
    let header = Format::new()
        .set_bold()
        .set_background_color("#1F60A8")
        .set_font_color("#FFFFFF")
        .set_text_wrap();
    let formats = Formats::new();
    let [ranking, kpis, scores, methodology, quality, dictionary] = &s.names;
    // Frozen: the header row, and the columns that say whose row it is.
    let tables = [
        (ranking, s.ranking, 2),
        (kpis, s.kpis, 3),
        (scores, s.scores, 2),
    ];
    let mut dictionary_rows: Rows = vec![s.dictionary_header.to_vec()];
    for ((name, batch, frozen), headers) in tables.into_iter().zip(&s.headers) {
        let ws = wb.add_worksheet();
        ws.set_name(sheet_name(name))?;
        let table = Table {
            batch,
            headers,
            kpi_shown: &s.kpi_shown,
            words: s.words,
            frozen,
        };
        batch_sheet(ws, &table, &header, &formats)?;
        for (field, shown) in batch.schema().fields().iter().zip(headers) {
            dictionary_rows.push(vec![name.clone(), field.name().clone(), shown.clone()]);
        }
    }
    for (name, rows) in [
        (methodology, &s.methodology),
        (quality, &s.quality),
        (dictionary, &dictionary_rows),
    ] {
        let ws = wb.add_worksheet();
        ws.set_name(sheet_name(name))?;
        rows_sheet(ws, rows, &header, &formats)?;
    }
    Ok(wb)
}

/// The number formats, one per [`Shown`].
struct Formats {
    percent: Format,
    whole: Format,
    decimals: [Format; 5],
}

impl Formats {
    fn new() -> Formats {
        Formats {
            percent: Format::new().set_num_format("0.0%"),
            whole: Format::new().set_num_format("#,##0"),
            decimals: ["#,##0", "#,##0.0", "#,##0.00", "#,##0.000", "#,##0.0000"]
                .map(|f| Format::new().set_num_format(f)),
        }
    }

    fn of(&self, shown: Shown) -> &Format {
        match shown {
            Shown::Percent => &self.percent,
            Shown::Whole => &self.whole,
            Shown::Decimals(n) => &self.decimals[usize::from(n).min(4)],
        }
    }
}

/// How a column of the ranking, KPI or score table is shown, by its name; `None` for
/// `value` and `treated_value`, shown by their KPI's unit.
fn column_shown(name: &str) -> Option<Shown> {
    Some(match name {
        "value" | "treated_value" => return None,
        "coverage" | "weight" | "shrunk_value" | "ci_low" | "ci_high" => Shown::Percent,
        "rank" | "group_rank" | "previous_rank" | "rank_change" | "numerator" | "denominator"
        | "sample_size" | "cases" => Shown::Whole,
        "score" | "peer_median" | "rank_median" | "rank_p05" | "rank_p95" => Shown::Decimals(1),
        _ => Shown::Decimals(2),
    })
}

/// One of the three tables, as a sheet.
struct Table<'a> {
    batch: &'a RecordBatch,
    headers: &'a [String],
    kpi_shown: &'a std::collections::BTreeMap<String, Shown>,
    words: &'a crate::lang::Strings,
    /// Columns kept in view when scrolling right.
    frozen: u16,
}

/// Excel allows 31 characters and none of `[]:*?/\`.
fn sheet_name(name: &str) -> String {
    name.chars()
        .map(|c| if "[]:*?/\\".contains(c) { '_' } else { c })
        .take(31)
        .collect()
}

/// A table: header row, then one row per record; numbers as numbers.
fn batch_sheet(
    ws: &mut Worksheet,
    t: &Table<'_>,
    header: &Format,
    formats: &Formats,
) -> Result<(), XlsxError> {
    let batch = t.batch;
    // The KPI of each row, where the table has one: its values are shown by its unit.
    let kpi_of_row = batch
        .column_by_name("kpi")
        .and_then(|c| cast(c, &DataType::Utf8).ok());
    let kpi_of_row = kpi_of_row.as_ref().map(|c| c.as_string::<i32>());
    for (j, field) in batch.schema().fields().iter().enumerate() {
        let col = j as u16;
        let title = t.headers.get(j).unwrap_or(field.name());
        ws.write_string_with_format(0, col, title, header)?;
        let column = batch.column(j);
        let width = match field.data_type() {
            DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => 18.0,
            _ => 12.0,
        };
        ws.set_column_width(col, width)?;
        if field.data_type().is_numeric() {
            let Ok(values) = cast(column, &DataType::Float64) else {
                continue;
            };
            let values = values.as_primitive::<Float64Type>();
            for i in 0..values.len() {
                if values.is_valid(i) && values.value(i).is_finite() {
                    let shown = column_shown(field.name())
                        .or_else(|| {
                            let kpi = kpi_of_row.filter(|k| k.is_valid(i))?.value(i);
                            t.kpi_shown.get(kpi).copied()
                        })
                        .unwrap_or(Shown::Decimals(2));
                    let format = formats.of(shown);
                    ws.write_number_with_format(i as u32 + 1, col, values.value(i), format)?;
                }
            }
        } else {
            let Ok(values) = cast(column, &DataType::Utf8) else {
                continue;
            };
            let values = values.as_string::<i32>();
            for i in 0..values.len() {
                if values.is_valid(i) {
                    let text = in_words(field.name(), values.value(i), t.words);
                    ws.write_string(i as u32 + 1, col, fit_cell(&text))?;
                }
            }
        }
    }
    finish(
        ws,
        batch.num_rows() as u32,
        batch.num_columns() as u16,
        t.frozen,
    )
}

/// A coded value of the column `column` in the report's words, where it has some: a
/// level or peer group (`level:<name>`), a status (`status:<name>`), the flags of a
/// score (`flag:<name>`, `;`-separated, joined by `sep`), a KPI (its title). The CSV
/// and Parquet tables keep the codes, for programs.
fn in_words(column: &str, value: &str, words: &crate::lang::Strings) -> String {
    let word = |key: String| words.0.get(&key).cloned();
    let shown = match column {
        "level" | "peer_group" => word(format!("level:{value}")),
        "status" => word(format!("status:{value}")),
        "kpi" => word(format!("kpi:{value}")),
        "flags" if !value.is_empty() => Some(
            value
                .split(';')
                .map(|f| word(format!("flag:{f}")).unwrap_or_else(|| f.to_string()))
                .collect::<Vec<_>>()
                .join(&words.get("sep")),
        ),
        _ => None,
    };
    shown.unwrap_or_else(|| value.to_string())
}

/// A cell of text that reads as a number: `12.5%` (a share), `1,234` (whole), `0.35`
/// (two decimals), with how to show it.
fn number_in(cell: &str) -> Option<(f64, Shown)> {
    let cell = cell.trim();
    if let Some(p) = cell.strip_suffix('%') {
        let v: f64 = p.trim().replace(',', "").parse().ok()?;
        return Some((v / 100.0, Shown::Percent));
    }
    let plain = cell.replace(',', "");
    let v: f64 = plain.parse().ok()?;
    if !v.is_finite() {
        return None;
    }
    Some(match plain.split_once('.') {
        None => (v, Shown::Whole),
        Some((_, d)) => (v, Shown::Decimals(d.len().min(4) as u8)),
    })
}

/// Rows of text; cells that read as numbers (percentages included) are written as
/// numbers with their format.
fn rows_sheet(
    ws: &mut Worksheet,
    rows: &Rows,
    header: &Format,
    formats: &Formats,
) -> Result<(), XlsxError> {
    let width = rows.iter().map(Vec::len).max().unwrap_or(0) as u16;
    for (i, row) in rows.iter().enumerate() {
        for (j, cell) in row.iter().enumerate() {
            let (r, c) = (i as u32, j as u16);
            if i == 0 {
                ws.write_string_with_format(r, c, cell, header)?;
            } else if let Some((v, shown)) = number_in(cell) {
                ws.write_number_with_format(r, c, v, formats.of(shown))?;
            } else {
                ws.write_string(r, c, fit_cell(cell))?;
            }
        }
    }
    for c in 0..width {
        ws.set_column_width(c, if c == 0 { 28.0 } else { 22.0 })?;
    }
    finish(ws, rows.len().saturating_sub(1) as u32, width, 1)
}

/// The most characters a spreadsheet cell holds.
const CELL_CHARS: usize = 32_767;

/// Text cut to fit a cell, with an ellipsis: the workbook shows what the CSV and JSON
/// files hold whole.
fn fit_cell(text: &str) -> std::borrow::Cow<'_, str> {
    if text.chars().count() <= CELL_CHARS {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut cut: String = text.chars().take(CELL_CHARS - 1).collect();
    cut.push('…');
    std::borrow::Cow::Owned(cut)
}

fn finish(ws: &mut Worksheet, rows: u32, columns: u16, frozen: u16) -> Result<(), XlsxError> {
    ws.set_freeze_panes(1, frozen.min(columns))?;
    if columns > 0 {
        ws.autofilter(0, 0, rows, columns - 1)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_in_text_are_read_with_their_format() {
        assert_eq!(number_in("12.5%"), Some((0.125, Shown::Percent)));
        assert_eq!(number_in("1,234"), Some((1234.0, Shown::Whole)));
        assert_eq!(number_in("0.35"), Some((0.35, Shown::Decimals(2))));
        assert_eq!(number_in("–"), None);
        assert_eq!(number_in("inf"), None);
        assert_eq!(number_in("A"), None);
    }

    #[test]
    fn sheet_names_fit_excel() {
        assert_eq!(sheet_name("a/b:c"), "a_b_c");
        assert_eq!(sheet_name(&"x".repeat(40)).len(), 31);
    }

    #[test]
    fn a_name_longer_than_a_cell_is_cut_with_an_ellipsis() {
        // Regression (long_name_fails_the_workbook): a 32,768-character department
        // name passed validate, then the workbook step failed and no report was written.
        let long = "名".repeat(CELL_CHARS + 1);
        let cut = fit_cell(&long);
        assert_eq!(cut.chars().count(), CELL_CHARS);
        assert!(cut.ends_with('…'));
        let mut book = rust_xlsxwriter::Workbook::new();
        book.add_worksheet()
            .write_string(0, 0, cut.as_ref())
            .unwrap();
        assert_eq!(fit_cell("省数据局"), "省数据局");
    }
}
