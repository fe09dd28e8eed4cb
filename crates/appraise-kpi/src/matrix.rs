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
    pub fn read_csv(path: &Path, period: &Period) -> Result<KpiMatrix, Error> {
        use datafusion::arrow::csv::ReaderBuilder;
        use std::io::BufRead;
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
        let mut header = String::new();
        std::io::BufReader::new(open()?)
            .read_line(&mut header)
            .map_err(|e| fail(e.to_string()))?;
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
        for batch in reader {
            let b = batch.map_err(|e| fail(e.to_string()))?;
            let labels = b.column(0).as_string::<i32>();
            let rows = matrix_rows(&b);
            for (i, row) in rows.into_iter().enumerate() {
                if labels.value(i) == period.label() {
                    values.push(row);
                } else {
                    periods.insert(labels.value(i).to_string());
                }
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
