//! Facts of the exchange log that the charts show beside the KPIs: who exchanges with
//! whom, and how response times spread.

use appraise_kpi::{Engine, Period};
use datafusion::arrow::array::{Array, ArrayRef, AsArray, Float64Array, RecordBatch, StringArray};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Float64Type};

use crate::Error;

/// The exchange log of one period, summarised for the charts.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ExchangeFacts {
    /// Exchanges per (provider, consumer), self-exchanges included.
    pub volumes: Vec<(String, String, u64)>,
    /// Response times (ms) of successful exchanges to other departments, per provider.
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

/// What the response times are measured on: the same exchanges as `response_p50_ms`.
const RESPONSE_SQL: &str = "
WITH v AS (
    SELECT provider_dept,
           (EXTRACT(EPOCH FROM responded_at) - EXTRACT(EPOCH FROM requested_at)) * 1000 AS ms
    FROM exchanges
    WHERE status = 'success' AND consumer_dept <> provider_dept AND responded_at IS NOT NULL
)
SELECT provider_dept,
       COUNT(*) AS n,
       percentile_cont(0.05) WITHIN GROUP (ORDER BY ms) AS p05,
       percentile_cont(0.25) WITHIN GROUP (ORDER BY ms) AS p25,
       percentile_cont(0.50) WITHIN GROUP (ORDER BY ms) AS p50,
       percentile_cont(0.75) WITHIN GROUP (ORDER BY ms) AS p75,
       percentile_cont(0.95) WITHIN GROUP (ORDER BY ms) AS p95
FROM v
GROUP BY provider_dept
ORDER BY provider_dept";

const VOLUME_SQL: &str = "
SELECT provider_dept, consumer_dept, COUNT(*) AS n
FROM exchanges
GROUP BY provider_dept, consumer_dept
ORDER BY provider_dept, consumer_dept";

impl ExchangeFacts {
    /// Queries the exchanges of `period` through the engine's sandbox.
    pub async fn of(engine: &Engine, period: &Period) -> Result<ExchangeFacts, Error> {
        engine.scope(Some(period))?;
        let volumes = collect(engine, VOLUME_SQL).await?;
        let response = collect(engine, RESPONSE_SQL).await?;
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
    cast(b.column(j), to).map_err(|e| Error::Facts(e.to_string()))
}

fn text(b: &RecordBatch, j: usize) -> Result<StringArray, Error> {
    Ok(column(b, j, &DataType::Utf8)?.as_string::<i32>().clone())
}

fn number(b: &RecordBatch, j: usize) -> Result<Float64Array, Error> {
    Ok(column(b, j, &DataType::Float64)?
        .as_primitive::<Float64Type>()
        .clone())
}

async fn collect(engine: &Engine, sql: &str) -> Result<Vec<RecordBatch>, Error> {
    let df = engine.query(sql).await?;
    df.collect().await.map_err(|e| Error::Facts(e.to_string()))
}
