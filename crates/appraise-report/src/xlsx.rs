//! `appraisal.xlsx`: the ranking, the KPI values, the scores, the methodology and the
//! data quality, one sheet each, with formatted headers, frozen header rows, filters
//! and number formats.

use std::path::Path;

use datafusion::arrow::array::{Array, AsArray, RecordBatch};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Float64Type};
use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format, Workbook, Worksheet, XlsxError};

use crate::Error;

/// A sheet of label/value pairs or a small table: first row is the header.
pub(crate) type Rows = Vec<Vec<String>>;

/// What the workbook holds.
pub(crate) struct Sheets<'a> {
    pub ranking: &'a RecordBatch,
    pub kpis: &'a RecordBatch,
    pub scores: &'a RecordBatch,
    pub methodology: Rows,
    pub quality: Rows,
    /// Sheet names, in the report's language.
    pub names: [String; 5],
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
    let [ranking, kpis, scores, methodology, quality] = &s.names;
    for (name, batch) in [(ranking, s.ranking), (kpis, s.kpis), (scores, s.scores)] {
        let ws = wb.add_worksheet();
        ws.set_name(sheet_name(name))?;
        batch_sheet(ws, batch, &header)?;
    }
    for (name, rows) in [(methodology, &s.methodology), (quality, &s.quality)] {
        let ws = wb.add_worksheet();
        ws.set_name(sheet_name(name))?;
        rows_sheet(ws, rows, &header)?;
    }
    Ok(wb)
}

/// Excel allows 31 characters and none of `[]:*?/\`.
fn sheet_name(name: &str) -> String {
    name.chars()
        .map(|c| if "[]:*?/\\".contains(c) { '_' } else { c })
        .take(31)
        .collect()
}

/// A table: header row, then one row per record; numbers as numbers.
fn batch_sheet(ws: &mut Worksheet, batch: &RecordBatch, header: &Format) -> Result<(), XlsxError> {
    let decimals = Format::new().set_num_format("#,##0.00");
    let integer = Format::new().set_num_format("#,##0");
    for (j, field) in batch.schema().fields().iter().enumerate() {
        let col = j as u16;
        ws.write_string_with_format(0, col, field.name(), header)?;
        let column = batch.column(j);
        let width = match field.data_type() {
            DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => 18.0,
            _ => 12.0,
        };
        ws.set_column_width(col, width)?;
        if field.data_type().is_numeric() {
            let format = if field.data_type().is_floating() {
                &decimals
            } else {
                &integer
            };
            let Ok(values) = cast(column, &DataType::Float64) else {
                continue;
            };
            let values = values.as_primitive::<Float64Type>();
            for i in 0..values.len() {
                if values.is_valid(i) && values.value(i).is_finite() {
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
                    ws.write_string(i as u32 + 1, col, fit_cell(values.value(i)))?;
                }
            }
        }
    }
    finish(ws, batch.num_rows() as u32, batch.num_columns() as u16)
}

/// Rows of text; cells that read as numbers are written as numbers.
fn rows_sheet(ws: &mut Worksheet, rows: &Rows, header: &Format) -> Result<(), XlsxError> {
    let width = rows.iter().map(Vec::len).max().unwrap_or(0) as u16;
    for (i, row) in rows.iter().enumerate() {
        for (j, cell) in row.iter().enumerate() {
            let (r, c) = (i as u32, j as u16);
            if i == 0 {
                ws.write_string_with_format(r, c, cell, header)?;
            } else if let Ok(v) = cell.replace(',', "").parse::<f64>() {
                ws.write_number(r, c, v)?;
            } else {
                ws.write_string(r, c, fit_cell(cell))?;
            }
        }
    }
    for c in 0..width {
        ws.set_column_width(c, if c == 0 { 28.0 } else { 22.0 })?;
    }
    finish(ws, rows.len().saturating_sub(1) as u32, width)
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

fn finish(ws: &mut Worksheet, rows: u32, columns: u16) -> Result<(), XlsxError> {
    ws.set_freeze_panes(1, 0)?;
    if columns > 0 {
        ws.autofilter(0, 0, rows, columns - 1)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

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
