//! Facts of the exchange log that the report shows beside the KPIs: who exchanges with
//! whom, and how response times spread. Their SQL is in `queries/facts/`, built in
//! (they are not policy: an office edits KPIs, not the charts' facts), and runs in the
//! sandbox over the period's tables like a KPI.

use datafusion::arrow::array::{Array, ArrayRef, AsArray, Float64Array, RecordBatch, StringArray};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Float64Type};
use datafusion::scalar::ScalarValue;

use crate::{Engine, Error, Period};

/// The exchange log of one period, summarised for the charts.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ExchangeFacts {
    /// Exchanges per (provider, consumer), self-exchanges included.
    pub volumes: Vec<(String, String, u64)>,
    /// Response times (ms) of successful exchanges to other departments, for the
    /// providers with the most such exchanges (as many as were asked for).
    pub response: Vec<ResponseSpread>,
}

/// The spread of one provider's response times, in milliseconds.
#[derive(Debug, Clone, PartialEq)]
pub struct ResponseSpread {
    /// The providing department.
    pub provider: String,
    /// Exchanges measured.
    pub n: u64,
    /// 5th, 25th, 50th, 75th and 95th percentiles (exact, linear interpolation).
    pub quantiles: [f64; 5],
}

/// `queries/facts/exchange_volumes.sql`.
const VOLUME_SQL: &str = include_str!("../../../queries/facts/exchange_volumes.sql");

/// `queries/facts/response_spread.sql`; `$1` is how many providers are spread.
const RESPONSE_SQL: &str = include_str!("../../../queries/facts/response_spread.sql");

impl Engine {
    /// The exchange facts of `period`, with the response spreads of the `busiest`
    /// providers (by exchanges timed, ties by id). Scopes the engine to `period`.
    pub async fn exchange_facts(
        &self,
        period: &Period,
        busiest: usize,
    ) -> Result<ExchangeFacts, Error> {
        self.scope(Some(period))?;
        let volumes = self.query(VOLUME_SQL).await?.collect().await?;
        let busiest = ScalarValue::Int64(Some(i64::try_from(busiest).unwrap_or(i64::MAX)));
        let response = self
            .query(RESPONSE_SQL)
            .await?
            .with_param_values(vec![busiest])?
            .collect()
            .await?;
        let mut facts = ExchangeFacts::default();
        for b in &volumes {
            let (p, c, n) = (text(b, 0)?, text(b, 1)?, number(b, 2)?);
            for i in 0..b.num_rows() {
                facts
                    .volumes
                    .push((p.value(i).into(), c.value(i).into(), n.value(i) as u64));
            }
        }
        for b in &response {
            let (p, n) = (text(b, 0)?, number(b, 1)?);
            let q = (2..7)
                .map(|j| number(b, j))
                .collect::<Result<Vec<_>, _>>()?;
            for i in 0..b.num_rows() {
                if q.iter().any(|a| a.is_null(i)) {
                    continue;
                }
                facts.response.push(ResponseSpread {
                    provider: p.value(i).into(),
                    n: n.value(i) as u64,
                    quantiles: [0, 1, 2, 3, 4].map(|j| q[j].value(i)),
                });
            }
        }
        Ok(facts)
    }
}

fn column(b: &RecordBatch, j: usize, to: &DataType) -> Result<ArrayRef, Error> {
    Ok(cast(b.column(j), to)?)
}

fn text(b: &RecordBatch, j: usize) -> Result<StringArray, Error> {
    Ok(column(b, j, &DataType::Utf8)?.as_string::<i32>().clone())
}

fn number(b: &RecordBatch, j: usize) -> Result<Float64Array, Error> {
    Ok(column(b, j, &DataType::Float64)?
        .as_primitive::<Float64Type>()
        .clone())
}
