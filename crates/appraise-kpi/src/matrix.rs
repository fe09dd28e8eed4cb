//! The long KPI matrix: one value per department and KPI of a period, as the engine
//! computes it, the cache keeps it and the scoring reads it.

use std::path::Path;
use std::sync::Arc;

use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, Float64Array, Int64Array, RecordBatch, StringArray,
};
use datafusion::arrow::datatypes::{DataType, Field, Float64Type, Int64Type, Schema, SchemaRef};

use crate::Error;
use crate::period::Period;

/// One KPI value of one department.
#[derive(Debug, Clone, PartialEq)]
pub struct KpiValue {
    /// The department.
    pub department_id: String,
    /// The KPI id.
    pub kpi: String,
    /// The value; `None` when there was nothing to measure.
    pub value: Option<f64>,
    /// Numerator of a ratio.
    pub numerator: Option<f64>,
    /// Denominator of a ratio.
    pub denominator: Option<f64>,
    /// How many observations stand behind the value.
    pub sample_size: Option<i64>,
}

/// The long KPI matrix of one period: one row per department and KPI.
#[derive(Debug, Clone)]
pub struct KpiMatrix {
    /// The period.
    pub period: Period,
    /// Ordered by KPI (in the order run) and department id.
    pub values: Vec<KpiValue>,
}

impl KpiMatrix {
    /// Schema of [`KpiMatrix::to_batch`].
    pub fn schema() -> SchemaRef {
        Arc::new(Schema::new(vec![
            Field::new("period", DataType::Utf8, false),
            Field::new("department_id", DataType::Utf8, false),
            Field::new("kpi", DataType::Utf8, false),
            Field::new("value", DataType::Float64, true),
            Field::new("numerator", DataType::Float64, true),
            Field::new("denominator", DataType::Float64, true),
            Field::new("sample_size", DataType::Int64, true),
        ]))
    }

    /// The matrix as one Arrow batch: `period, department_id, kpi, value, numerator,
    /// denominator, sample_size`.
    pub fn to_batch(&self) -> Result<RecordBatch, Error> {
        let v = &self.values;
        let cols: Vec<ArrayRef> = vec![
            Arc::new(StringArray::from(vec![self.period.label(); v.len()])),
            Arc::new(StringArray::from_iter_values(
                v.iter().map(|r| r.department_id.as_str()),
            )),
            Arc::new(StringArray::from_iter_values(
                v.iter().map(|r| r.kpi.as_str()),
            )),
            Arc::new(Float64Array::from_iter(v.iter().map(|r| r.value))),
            Arc::new(Float64Array::from_iter(v.iter().map(|r| r.numerator))),
            Arc::new(Float64Array::from_iter(v.iter().map(|r| r.denominator))),
            Arc::new(Int64Array::from_iter(v.iter().map(|r| r.sample_size))),
        ];
        Ok(RecordBatch::try_new(Self::schema(), cols)?)
    }

    /// Reads the rows of `period` from a long KPI matrix in CSV with the header of
    /// `kpis.csv` (`period,department_id,kpi,value,numerator,denominator,sample_size`):
    /// an earlier run's, edited or written by hand.
    pub fn read_csv(path: &Path, period: &Period, max_record: usize) -> Result<KpiMatrix, Error> {
        use datafusion::arrow::csv::ReaderBuilder;
        let fail = |reason: String| Error::Matrix {
            path: path.to_path_buf(),
            reason,
        };
        let open = || {
            std::fs::File::open(path).map_err(|source| Error::Io {
                path: path.to_path_buf(),
                source,
            })
        };
        // Every line is bounded before anything is parsed: a file without line breaks
        // takes no more memory than one record.
        let header = first_line(open()?, max_record)
            .map_err(|(line, reason)| fail(format!("line {line}: {reason}")))?;
        let schema = Self::schema();
        let want: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
        let got: Vec<&str> = header.trim_end().split(',').map(str::trim).collect();
        if got != want {
            return Err(fail(format!(
                "line 1: the header is {:?}, not {:?}",
                header.trim_end(),
                want.join(",")
            )));
        }
        let reader = ReaderBuilder::new(schema)
            .with_header(true)
            .build(open()?)
            .map_err(|e| fail(e.to_string()))?;
        let (mut values, mut periods) = (Vec::new(), std::collections::BTreeSet::new());
        // The line of each (department, KPI) of the period, to refuse a second one.
        let mut seen = std::collections::HashMap::new();
        let mut line = 1usize;
        for batch in reader {
            let b = batch.map_err(|e| fail(e.to_string()))?;
            let labels = b.column(0).as_string::<i32>();
            let rows = matrix_rows(&b);
            for (i, row) in rows.into_iter().enumerate() {
                line += 1;
                if labels.value(i) != period.label() {
                    periods.insert(labels.value(i).to_string());
                    continue;
                }
                let key = (row.department_id.clone(), row.kpi.clone());
                if let Some(first) = seen.insert(key, line) {
                    return Err(fail(format!(
                        "line {line}: department {:?} has a second value of the KPI {:?} \
                         for {period} (the first is on line {first}); a KPI has one value \
                         per department and period",
                        row.department_id, row.kpi
                    )));
                }
                values.push(row);
            }
        }
        if values.is_empty() {
            return Err(fail(format!(
                "no row of the period {period}; the file has {}",
                if periods.is_empty() {
                    "no rows".to_string()
                } else {
                    periods.into_iter().collect::<Vec<_>>().join(", ")
                }
            )));
        }
        Ok(KpiMatrix {
            period: period.clone(),
            values,
        })
    }

    /// The value of one KPI for one department.
    pub fn get(&self, department_id: &str, kpi: &str) -> Option<&KpiValue> {
        self.values
            .iter()
            .find(|r| r.department_id == department_id && r.kpi == kpi)
    }
}

/// The first line of `file`, after checking that no line of it is longer than
/// `max_record` bytes; else the line and what is wrong.
fn first_line(file: std::fs::File, max_record: usize) -> Result<String, (usize, String)> {
    use std::io::Read;
    let mut reader = std::io::BufReader::with_capacity(1 << 16, file);
    let (mut first, mut line, mut len) = (Vec::new(), 1usize, 0usize);
    let mut chunk = vec![0u8; 1 << 16];
    loop {
        let n = reader.read(&mut chunk).map_err(|e| (line, e.to_string()))?;
        if n == 0 {
            break;
        }
        let mut rest = &chunk[..n];
        while !rest.is_empty() {
            let end = memchr::memchr(b'\n', rest);
            let piece = &rest[..end.unwrap_or(rest.len())];
            len += piece.len();
            if len > max_record {
                return Err((
                    line,
                    format!(
                        "a line longer than {max_record} bytes (the limit); a KPI matrix holds \
                         one row a line (--max-record-bytes sets another limit)"
                    ),
                ));
            }
            if line == 1 {
                first.extend_from_slice(piece);
            }
            match end {
                Some(e) => {
                    line += 1;
                    len = 0;
                    rest = &rest[e + 1..];
                }
                None => rest = &[],
            }
        }
    }
    String::from_utf8(first).map_err(|_| (1, "the header is not UTF-8".to_string()))
}

/// The rows of a batch in [`KpiMatrix::schema`].
pub(crate) fn matrix_rows(b: &RecordBatch) -> Vec<KpiValue> {
    let text = |i: usize| b.column(i).as_string::<i32>();
    let num = |i: usize| b.column(i).as_primitive::<Float64Type>();
    let (ids, kpis) = (text(1), text(2));
    let (value, numerator, denominator) = (num(3), num(4), num(5));
    let n = b.column(6).as_primitive::<Int64Type>();
    let opt =
        |a: &datafusion::arrow::array::Float64Array, i: usize| a.is_valid(i).then(|| a.value(i));
    (0..b.num_rows())
        .map(|i| KpiValue {
            department_id: ids.value(i).to_string(),
            kpi: kpis.value(i).to_string(),
            value: opt(value, i),
            numerator: opt(numerator, i),
            denominator: opt(denominator, i),
            sample_size: n.is_valid(i).then(|| n.value(i)),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "period,department_id,kpi,value,numerator,denominator,sample_size\n";

    fn read(text: &str, max: usize) -> Result<KpiMatrix, Error> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("kpis.csv");
        std::fs::write(&path, text).unwrap();
        KpiMatrix::read_csv(&path, &"2026Q3".parse().unwrap(), max)
    }

    #[test]
    fn duplicate_rows_in_a_kpi_matrix() {
        // Regression: a second row of one department and KPI silently replaced the
        // first (a rank moved from 2 to 4).
        let text = format!(
            "{HEADER}2026Q3,C1,records_provided,10,,,\n2026Q2,C1,records_provided,5,,,\n\
             2026Q3,C2,records_provided,3,,,\n2026Q3,C1,records_provided,99,,,\n"
        );
        let err = read(&text, 1 << 20).unwrap_err().to_string();
        assert!(err.contains("line 5"), "{err}");
        assert!(
            err.contains("\"C1\"") && err.contains("first is on line 2"),
            "{err}"
        );
        // The same department and KPI in another period is not a duplicate.
        let ok = read(
            &format!("{HEADER}2026Q3,C1,records_provided,10,,,\n2026Q2,C1,records_provided,5,,,\n"),
            1 << 20,
        )
        .unwrap();
        assert_eq!(ok.get("C1", "records_provided").unwrap().value, Some(10.0));
    }

    #[test]
    fn a_newline_free_kpi_matrix() {
        // Regression: a file without line breaks was read whole into memory.
        let long = format!(
            "{HEADER}2026Q3,{},records_provided,1,,,\n",
            "D".repeat(5000)
        );
        let err = read(&long, 4096).unwrap_err().to_string();
        assert!(
            err.contains("line 2: a line longer than 4096 bytes"),
            "{err}"
        );
        let header_only = "p".repeat(10_000);
        let err = read(&header_only, 4096).unwrap_err().to_string();
        assert!(err.contains("line 1: a line longer"), "{err}");
        // Under the limit the same file reads.
        read(&long, 1 << 20).unwrap();
    }
}
