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

/// One provider's (or one consumer→provider pair's) exchanges with other departments
/// on one local day.
#[derive(Debug, Clone, PartialEq)]
pub struct ExchangeDay {
    /// The providing department.
    pub provider: String,
    /// The consuming department, for a pair's day; `None` for the provider's own.
    pub consumer: Option<String>,
    /// The local day.
    pub day: chrono::NaiveDate,
    /// Exchanges.
    pub n: u64,
    /// Of them not successful.
    pub failed: u64,
    /// Of them successful with a response time.
    pub timed: u64,
    /// The 90th percentile of those response times, in ms (approximate, t-digest).
    pub p90_ms: Option<f64>,
}

/// `queries/facts/exchange_days.sql`.
const DAYS_SQL: &str = include_str!("../../../queries/facts/exchange_days.sql");

/// `queries/facts/exchange_volumes.sql`.
const VOLUME_SQL: &str = include_str!("../../../queries/facts/exchange_volumes.sql");

/// `queries/facts/response_spread.sql`; `$1` is how many providers are spread.
const RESPONSE_SQL: &str = include_str!("../../../queries/facts/response_spread.sql");

impl Engine {
    /// Exchanges per (provider, consumer) in `period`, self-exchanges included
    /// ([`ExchangeFacts::volumes`]). Scopes the engine to `period`.
    pub async fn exchange_volumes(
        &self,
        period: &Period,
    ) -> Result<Vec<(String, String, u64)>, Error> {
        self.scope(Some(period))?;
        let mut volumes = Vec::new();
        for b in &self.query(VOLUME_SQL).await?.collect().await? {
            let (p, c, n) = (text(b, 0)?, text(b, 1)?, number(b, 2)?);
            for i in 0..b.num_rows() {
                volumes.push((p.value(i).into(), c.value(i).into(), n.value(i) as u64));
            }
        }
        Ok(volumes)
    }

    /// The exchange facts of `period`, with the response spreads of the `busiest`
    /// providers (by exchanges timed, ties by id). Scopes the engine to `period`.
    pub async fn exchange_facts(
        &self,
        period: &Period,
        busiest: usize,
    ) -> Result<ExchangeFacts, Error> {
        let mut facts = ExchangeFacts {
            volumes: self.exchange_volumes(period).await?,
            ..Default::default()
        };
        let busiest = ScalarValue::Int64(Some(i64::try_from(busiest).unwrap_or(i64::MAX)));
        let response = self
            .query(RESPONSE_SQL)
            .await?
            .with_param_values(vec![busiest])?
            .collect()
            .await?;
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

impl Engine {
    /// The exchanges of every provider, and of every consumer→provider pair with at
    /// least `pair_exchanges` in all, per local day of `window` (days without exchanges
    /// have no row). Scopes the engine to `window`.
    pub async fn exchange_days(
        &self,
        window: &Period,
        pair_exchanges: u64,
    ) -> Result<Vec<ExchangeDay>, Error> {
        self.scope(Some(window))?;
        let least = ScalarValue::Int64(Some(i64::try_from(pair_exchanges).unwrap_or(i64::MAX)));
        let batches = self
            .query(DAYS_SQL)
            .await?
            .with_param_values(vec![least])?
            .collect()
            .await?;
        let mut days = Vec::new();
        for b in &batches {
            let (p, c) = (text(b, 0)?, text(b, 1)?);
            let day = cast(b.column(2), &DataType::Date32)?;
            let day = day.as_primitive::<datafusion::arrow::datatypes::Date32Type>();
            let (n, failed, timed, p90) =
                (number(b, 3)?, number(b, 4)?, number(b, 5)?, number(b, 6)?);
            for i in 0..b.num_rows() {
                let Some(date) = day.value_as_date(i) else {
                    continue;
                };
                days.push(ExchangeDay {
                    provider: p.value(i).into(),
                    consumer: c.is_valid(i).then(|| c.value(i).to_string()),
                    day: date,
                    n: n.value(i) as u64,
                    failed: failed.value(i) as u64,
                    timed: timed.value(i) as u64,
                    p90_ms: p90.is_valid(i).then(|| p90.value(i)),
                });
            }
        }
        Ok(days)
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
