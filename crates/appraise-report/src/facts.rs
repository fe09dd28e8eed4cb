//! Facts of the exchange log that the charts show beside the KPIs: who exchanges with
//! whom, and how response times spread.

use appraise_kpi::{Engine, Period};
use datafusion::arrow::array::{Array, ArrayRef, AsArray, Float64Array, RecordBatch, StringArray};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Float64Type};

use crate::Error;

/// Departments shown in the exchange matrix and the response-time chart, and so how
/// many response spreads the facts compute.
pub const TOP_DEPARTMENTS: usize = 15;

/// The exchange log of one period, summarised for the charts.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ExchangeFacts {
    /// Exchanges per (provider, consumer), self-exchanges included.
    pub volumes: Vec<(String, String, u64)>,
    /// Response times (ms) of successful exchanges to other departments, for the
    /// providers with the most such exchanges (the ones the chart shows).
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

/// What the response times are measured on: the same exchanges and the same values as
/// `response_p50_ms`, so the box's median is that KPI's value. The five percentiles
/// are exact (linear interpolation at position (n - 1) * p of the sorted values), taken
/// from the cumulative counts of each distinct value, as the percentile KPIs do: the
/// memory grows with the distinct values, not the rows (docs/kpis.md). Only the
/// `{busiest}` providers with the most exchanges timed (ties by id) are spread.
const RESPONSE_SQL: &str = "
WITH v AS (
    SELECT provider_dept,
           ROUND((EXTRACT(EPOCH FROM responded_at) - EXTRACT(EPOCH FROM requested_at)) * 1000, 3) AS ms
    FROM exchanges
    WHERE status = 'success' AND consumer_dept <> provider_dept AND responded_at IS NOT NULL
),
busiest AS (
    SELECT provider_dept FROM v GROUP BY provider_dept
    ORDER BY COUNT(*) DESC, provider_dept LIMIT {busiest}
),
counted AS (
    SELECT provider_dept, ms, COUNT(*) AS c FROM v
    WHERE provider_dept IN (SELECT provider_dept FROM busiest)
    GROUP BY provider_dept, ms
),
cumulative AS (
    SELECT provider_dept, ms,
           SUM(c) OVER (PARTITION BY provider_dept ORDER BY ms ROWS UNBOUNDED PRECEDING) AS upto,
           SUM(c) OVER (PARTITION BY provider_dept) AS n
    FROM counted
),
positions AS (
    SELECT provider_dept, ms, upto, n,
           CAST(n - 1 AS DOUBLE) * 0.05 AS q05,
           CAST(n - 1 AS DOUBLE) * 0.25 AS q25,
           CAST(n - 1 AS DOUBLE) * 0.50 AS q50,
           CAST(n - 1 AS DOUBLE) * 0.75 AS q75,
           CAST(n - 1 AS DOUBLE) * 0.95 AS q95
    FROM cumulative
),
ends AS (
    SELECT provider_dept, n, q05, q25, q50, q75, q95,
           MIN(CASE WHEN upto > FLOOR(q05) THEN ms END) AS lo05,
           MIN(CASE WHEN upto > CEIL(q05) THEN ms END) AS hi05,
           MIN(CASE WHEN upto > FLOOR(q25) THEN ms END) AS lo25,
           MIN(CASE WHEN upto > CEIL(q25) THEN ms END) AS hi25,
           MIN(CASE WHEN upto > FLOOR(q50) THEN ms END) AS lo50,
           MIN(CASE WHEN upto > CEIL(q50) THEN ms END) AS hi50,
           MIN(CASE WHEN upto > FLOOR(q75) THEN ms END) AS lo75,
           MIN(CASE WHEN upto > CEIL(q75) THEN ms END) AS hi75,
           MIN(CASE WHEN upto > FLOOR(q95) THEN ms END) AS lo95,
           MIN(CASE WHEN upto > CEIL(q95) THEN ms END) AS hi95
    FROM positions
    GROUP BY provider_dept, n, q05, q25, q50, q75, q95
)
SELECT provider_dept,
       n,
       lo05 + (q05 - FLOOR(q05)) * (hi05 - lo05) AS p05,
       lo25 + (q25 - FLOOR(q25)) * (hi25 - lo25) AS p25,
       lo50 + (q50 - FLOOR(q50)) * (hi50 - lo50) AS p50,
       lo75 + (q75 - FLOOR(q75)) * (hi75 - lo75) AS p75,
       lo95 + (q95 - FLOOR(q95)) * (hi95 - lo95) AS p95
FROM ends
ORDER BY provider_dept";

const VOLUME_SQL: &str = "
SELECT provider_dept, consumer_dept, COUNT(*) AS n
FROM exchanges
GROUP BY provider_dept, consumer_dept
ORDER BY provider_dept, consumer_dept";

impl ExchangeFacts {
    /// Queries the exchanges of `period` through the engine's sandbox, with the
    /// response spreads of as many providers as the chart shows.
    pub async fn of(engine: &Engine, period: &Period) -> Result<ExchangeFacts, Error> {
        Self::with_spreads(engine, period, TOP_DEPARTMENTS).await
    }

    /// [`ExchangeFacts::of`] with the response spreads of the `busiest` providers.
    pub async fn with_spreads(
        engine: &Engine,
        period: &Period,
        busiest: usize,
    ) -> Result<ExchangeFacts, Error> {
        engine.scope(Some(period))?;
        let volumes = collect(engine, VOLUME_SQL).await?;
        let response_sql = RESPONSE_SQL.replace("{busiest}", &busiest.to_string());
        let response = collect(engine, &response_sql).await?;
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
