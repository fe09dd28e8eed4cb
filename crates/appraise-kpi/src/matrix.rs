//! The long KPI matrix: one value per department and KPI of a period, as the engine
//! computes it, the cache keeps it and the scoring reads it.

use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, Float64Array, Int64Array, RecordBatch, StringArray};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};

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

    /// The value of one KPI for one department.
    pub fn get(&self, department_id: &str, kpi: &str) -> Option<&KpiValue> {
        self.values
            .iter()
            .find(|r| r.department_id == department_id && r.kpi == kpi)
    }
}
