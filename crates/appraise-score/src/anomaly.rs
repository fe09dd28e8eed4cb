//! Anomalies in exchange traffic: days on which a providing department (or a busy
//! consumer→provider pair) departs from its own recent weeks.
//!
//! Each series (a provider, or a pair) is a run of local days with, per day, its
//! exchanges with other departments, how many failed, and (for a provider) the 90th
//! percentile of the response times of the successful ones. A day is compared with the **same kind of
//! day** (working day or rest day, from the calendar) in the `weeks` weeks before it:
//! their median is the expected value, and their spread the noise, measured robustly
//! by the median absolute deviation (MAD, × 1.4826 so that it estimates a standard
//! deviation), but never taken as smaller than the noise of counting itself (√m
//! exchanges; the binomial standard error of a failure rate; 10 % of a response time).
//! Its score is (observed − expected) ÷ noise, and a day is flagged when the score
//! passes `z` *and* the change is large in its own terms:
//!
//! | kind | on | flagged when |
//! | --- | --- | --- |
//! | `outage` | working days | volume score ≤ −z and volume at most half the expected; or failure-rate score ≥ z, failure rate at least 25 points above the expected, and at least 5 failures |
//! | `latency_regression` | any day | p90 score ≥ z, p90 at least 1.5 × the expected, and at least 50 timed exchanges |
//! | `spike` | any day | volume score ≥ z and volume at least twice the expected |
//!
//! A day needs `min_days` days of its kind in the weeks before it (and after the
//! series' first exchange); before that it is not judged. The severity follows the
//! score: `low` below 10, `medium` below 20, `high` from 20.

use std::collections::BTreeMap;

use appraise_kpi::Period;

use crate::stats::median;
use appraise_kpi::facts::ExchangeDay;
use chrono::{Datelike, Days, NaiveDate};
use serde::Serialize;

/// The detector's settings.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// Weeks before a day that make its baseline.
    pub weeks: u32,
    /// Days of the same kind a baseline needs.
    pub min_days: usize,
    /// The score a day must pass.
    pub z: f64,
    /// A pair is busy, and judged, when its median working day holds this many
    /// exchanges.
    pub busy_pair: f64,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            weeks: 8,
            min_days: 5,
            z: 5.0,
            busy_pair: 20.0,
        }
    }
}

/// What kind of anomaly.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// Volume collapse or failure burst on a working day.
    Outage,
    /// Responses much slower than usual.
    LatencyRegression,
    /// Far more exchanges than usual.
    Spike,
}

impl Kind {
    /// Its name in files: `outage`, `latency_regression`, `spike`.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Outage => "outage",
            Kind::LatencyRegression => "latency_regression",
            Kind::Spike => "spike",
        }
    }
}

/// What was measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    /// Exchanges in the day.
    Volume,
    /// Share of them not successful.
    FailureRate,
    /// 90th percentile response time, ms.
    P90Ms,
}

impl Metric {
    /// Its name in files: `volume`, `failure_rate`, `p90_ms`.
    pub fn name(self) -> &'static str {
        match self {
            Metric::Volume => "volume",
            Metric::FailureRate => "failure_rate",
            Metric::P90Ms => "p90_ms",
        }
    }
}

/// How far out of the ordinary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Score below 10.
    Low,
    /// Score from 10 to 20.
    Medium,
    /// Score 20 or more.
    High,
}

impl Severity {
    fn of(score: f64) -> Severity {
        match score.abs() {
            s if s >= 20.0 => Severity::High,
            s if s >= 10.0 => Severity::Medium,
            _ => Severity::Low,
        }
    }

    /// Its name in files: `low`, `medium`, `high`.
    pub fn name(self) -> &'static str {
        match self {
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
        }
    }
}

/// One flagged day.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Anomaly {
    /// The providing department.
    pub department_id: String,
    /// The consuming department, for a pair's anomaly.
    pub consumer_id: Option<String>,
    /// The local day (`YYYY-MM-DD`).
    #[serde(serialize_with = "as_text")]
    pub day: NaiveDate,
    /// What kind.
    pub kind: Kind,
    /// How far out of the ordinary.
    pub severity: Severity,
    /// What was measured.
    pub metric: Metric,
    /// The baseline's median.
    pub expected: f64,
    /// The day's value.
    pub observed: f64,
    /// (observed − expected) ÷ noise.
    pub score: f64,
}

/// What the detector found, and over how much.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Found {
    /// Flagged days, by day, department, consumer and kind.
    pub anomalies: Vec<Anomaly>,
    /// Department-days judged: provider series × period days with a baseline.
    pub department_days: u64,
    /// Busy pairs judged.
    pub pairs: usize,
    /// The flagged days that are public holidays: rest days that fall Monday to
    /// Friday. Such a day is judged against rest days; where the data's traffic does
    /// not follow the holiday (as on a working day), it shows as a spike, and a reader
    /// should know.
    pub holidays: std::collections::BTreeSet<NaiveDate>,
}

/// One day of a series.
#[derive(Debug, Clone, Copy, Default)]
struct Day {
    n: f64,
    failed: f64,
    timed: f64,
    p90: Option<f64>,
}

/// Each (provider, consumer) pair's days, by date (`consumer` `None`: all its
/// consumers together).
fn series_of(days: &[ExchangeDay]) -> BTreeMap<(&str, Option<&str>), BTreeMap<NaiveDate, Day>> {
    let mut series: BTreeMap<_, BTreeMap<NaiveDate, Day>> = BTreeMap::new();
    for d in days {
        let day = Day {
            n: d.n as f64,
            failed: d.failed as f64,
            timed: d.timed as f64,
            p90: d.p90_ms,
        };
        series
            .entry((d.provider.as_str(), d.consumer.as_deref()))
            .or_default()
            .insert(d.day, day);
    }
    series
}

/// A series' days from its first exchange (or `start`, if later) to `last`, every
/// day, those without exchanges as 0, each with whether it is a working day.
fn line_of(
    known: &BTreeMap<NaiveDate, Day>,
    start: NaiveDate,
    last: NaiveDate,
    is_workday: &impl Fn(NaiveDate) -> bool,
) -> Vec<(NaiveDate, bool, Day)> {
    let Some(&first) = known.keys().next() else {
        return Vec::new();
    };
    first
        .max(start)
        .iter_days()
        .take_while(|d| *d <= last)
        .map(|d| (d, is_workday(d), known.get(&d).copied().unwrap_or_default()))
        .collect()
}

/// The anomalies of one day `today` (a working day or not) against its `baseline`
/// days, at the score `z`, into `out`: an outage (by volume, or by failure rate where
/// that scores higher), a latency regression, a spike. `flag` makes one.
fn judge(
    baseline: &[Day],
    today: Day,
    working: bool,
    z: f64,
    flag: impl Fn(Kind, Metric, (f64, f64, f64)) -> Anomaly,
    out: &mut Vec<Anomaly>,
) {
    let mut outage: Option<Anomaly> = None;
    let volume = judge_volume(baseline, today);
    if working && volume.2 <= -z && volume.1 <= 0.5 * volume.0 {
        outage = Some(flag(Kind::Outage, Metric::Volume, volume));
    }
    if let Some(f) = judge_failures(baseline, today)
        && working
        && today.failed >= 5.0
        && f.2 >= z
        && f.1 >= f.0 + 0.25
        && outage.as_ref().is_none_or(|o| o.score.abs() < f.2)
    {
        outage = Some(flag(Kind::Outage, Metric::FailureRate, f));
    }
    out.extend(outage);
    if let Some(p) = judge_latency(baseline, today)
        && today.timed >= MIN_TIMED
        && p.2 >= z
        && p.1 >= 1.5 * p.0
    {
        out.push(flag(Kind::LatencyRegression, Metric::P90Ms, p));
    }
    if volume.2 >= z && volume.1 >= 2.0 * volume.0 && volume.1 >= MIN_SPIKE {
        out.push(flag(Kind::Spike, Metric::Volume, volume));
    }
}

/// Flags the anomalies of `period` in `days` (the exchange days of the period and of
/// the `weeks` weeks before it), with `is_workday` telling the kind of each day.
pub fn find(
    days: &[ExchangeDay],
    period: &Period,
    is_workday: impl Fn(NaiveDate) -> bool,
    settings: &Settings,
) -> Found {
    let series = series_of(days);
    let window_start = window(period, settings).first_day;
    let mut found = Found::default();
    for ((provider, consumer), known) in &series {
        let line = line_of(known, window_start, period.last_day, &is_workday);
        if consumer.is_some() {
            let working = line.iter().filter(|x| x.1).map(|x| x.2.n);
            if median(working).is_none_or(|m| m < settings.busy_pair) {
                continue;
            }
            found.pairs += 1;
        }
        for (i, &(date, working, today)) in line.iter().enumerate() {
            if date < period.first_day {
                continue;
            }
            let since = date - Days::new(7 * u64::from(settings.weeks));
            let baseline: Vec<Day> = line[..i]
                .iter()
                .filter(|x| x.0 >= since && x.1 == working)
                .map(|x| x.2)
                .collect();
            if baseline.len() < settings.min_days {
                continue;
            }
            if consumer.is_none() {
                found.department_days += 1;
            }
            let flag = |kind, metric, (expected, observed, score): (f64, f64, f64)| Anomaly {
                department_id: provider.to_string(),
                consumer_id: consumer.map(String::from),
                day: date,
                kind,
                severity: Severity::of(score),
                metric,
                expected,
                observed,
                score,
            };
            judge(
                &baseline,
                today,
                working,
                settings.z,
                flag,
                &mut found.anomalies,
            );
        }
    }
    found.anomalies.sort_by(|a, b| {
        (a.day, &a.department_id, &a.consumer_id, a.kind).cmp(&(
            b.day,
            &b.department_id,
            &b.consumer_id,
            b.kind,
        ))
    });
    found.holidays = found
        .anomalies
        .iter()
        .map(|a| a.day)
        .filter(|&d| d.weekday().number_from_monday() <= 5 && !is_workday(d))
        .collect();
    found
}

/// The days the detector reads for `period`: the `weeks` weeks before it and the
/// period itself.
pub fn window(period: &Period, settings: &Settings) -> Period {
    Period {
        kind: appraise_kpi::PeriodKind::Range,
        first_day: period.first_day - Days::new(7 * u64::from(settings.weeks)),
        last_day: period.last_day,
    }
}

/// (expected, observed, score) of the day's volume: noise at least √expected.
fn judge_volume(baseline: &[Day], today: Day) -> (f64, f64, f64) {
    let values: Vec<f64> = baseline.iter().map(|d| d.n).collect();
    let (m, mad) = median_mad(&values).unwrap_or((0.0, 0.0));
    let noise = mad.max(m.max(1.0).sqrt());
    (m, today.n, (today.n - m) / noise)
}

/// Exchanges a day needs to be a spike: a handful more at a quiet department is not one.
const MIN_SPIKE: f64 = 20.0;

/// Timed exchanges a day needs for its p90 to be judged, or to count in a baseline.
const MIN_TIMED: f64 = 50.0;

/// (expected, observed, score) of the day's failure rate. Expected: the failures over
/// the exchanges of the baseline's days, leaving out the tenth of days with the highest
/// rates (a burst in the baseline does not raise it; a median of daily rates would be
/// 0 wherever a day has a few dozen exchanges). Noise: the MAD of the daily rates, but
/// at least the binomial standard error at the day's volume (the rate taken as at
/// least 1 %).
fn judge_failures(baseline: &[Day], today: Day) -> Option<(f64, f64, f64)> {
    if today.n == 0.0 {
        return None;
    }
    let mut days: Vec<&Day> = baseline.iter().filter(|d| d.n > 0.0).collect();
    days.sort_by(|a, b| (a.failed / a.n).total_cmp(&(b.failed / b.n)));
    let rates: Vec<f64> = days.iter().map(|d| d.failed / d.n).collect();
    let (_, mad) = median_mad(&rates)?;
    let kept = &days[..days.len() - days.len() / 10];
    let (failed, n) = kept
        .iter()
        .fold((0.0, 0.0), |(f, n), d| (f + d.failed, n + d.n));
    let p = failed / n;
    let noise = mad.max((p.max(0.01) * (1.0 - p).max(0.01) / today.n).sqrt());
    let rate = today.failed / today.n;
    Some((p, rate, (rate - p) / noise))
}

/// (expected, observed, score) of the day's p90 response time over the baseline's days
/// with [`MIN_TIMED`] or more timed exchanges: noise at least 10 % of the expected.
fn judge_latency(baseline: &[Day], today: Day) -> Option<(f64, f64, f64)> {
    let p90s: Vec<f64> = baseline
        .iter()
        .filter(|d| d.timed >= MIN_TIMED)
        .filter_map(|d| d.p90)
        .collect();
    let (m, mad) = median_mad(&p90s)?;
    let observed = today.p90?;
    let noise = mad.max(0.1 * m).max(f64::MIN_POSITIVE);
    Some((m, observed, (observed - m) / noise))
}

fn as_text<S: serde::Serializer>(day: &NaiveDate, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(day)
}

/// The median, and the MAD scaled to estimate a standard deviation (× 1.4826).
fn median_mad(values: &[f64]) -> Option<(f64, f64)> {
    let m = median(values.iter().copied())?;
    Some((m, 1.4826 * median(values.iter().map(|x| (x - m).abs()))?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(provider: &str, date: NaiveDate, n: u64, failed: u64, p90: f64) -> ExchangeDay {
        ExchangeDay {
            provider: provider.into(),
            consumer: None,
            day: date,
            n,
            failed,
            timed: n - failed,
            p90_ms: Some(p90),
        }
    }

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap_or_default()
    }

    /// Weekdays working, weekends rest.
    fn weekday(date: NaiveDate) -> bool {
        use chrono::Datelike;
        date.weekday().number_from_monday() <= 5
    }

    /// 8 weeks of a steady provider (80 a working day with 2 failures and p90 500 ms; 8 a
    /// rest day), then `last` on 2026-07-01 (a Wednesday).
    fn steady(last: ExchangeDay) -> Vec<ExchangeDay> {
        let mut days: Vec<ExchangeDay> = d("2026-05-06")
            .iter_days()
            .take_while(|x| *x < d("2026-07-01"))
            .map(|x| {
                // A little wobble, so that the MAD is not 0: 78..=82.
                let n = if weekday(x) {
                    78 + (x.ordinal0() % 5) as u64
                } else {
                    8
                };
                day("P", x, n, 2, 500.0)
            })
            .collect();
        days.push(last);
        days
    }

    fn july_1() -> Period {
        Period {
            kind: appraise_kpi::PeriodKind::Range,
            first_day: d("2026-07-01"),
            last_day: d("2026-07-01"),
        }
    }

    use chrono::Datelike;

    #[test]
    fn a_working_day_with_no_traffic_is_an_outage_against_the_median_working_day() {
        let found = find(
            &steady(day("P", d("2026-07-01"), 0, 0, 500.0)),
            &july_1(),
            weekday,
            &Settings::default(),
        );
        assert_eq!(found.department_days, 1);
        let [a] = found.anomalies.as_slice() else {
            panic!("{:?}", found.anomalies)
        };
        // Working days of the 8 weeks: 40 of them, 78..=82 by day of year; median 80.
        // Noise: MAD × 1.4826 against √80 = 8.94, whichever is larger.
        assert_eq!(
            (a.kind, a.metric, a.expected, a.observed),
            (Kind::Outage, Metric::Volume, 80.0, 0.0)
        );
        // The MAD of 78..=82 about 80 is at most 2 × 1.4826, below √80: the noise is √80.
        assert!((a.score + 80f64.sqrt()).abs() < 1e-9, "{}", a.score);
        assert_eq!(a.severity, Severity::of(a.score));
    }

    #[test]
    fn a_failure_burst_is_an_outage_and_a_slow_day_a_regression() {
        let found = find(
            &steady(day("P", d("2026-07-01"), 80, 60, 2000.0)),
            &july_1(),
            weekday,
            &Settings::default(),
        );
        let kinds: Vec<(Kind, Metric)> =
            found.anomalies.iter().map(|a| (a.kind, a.metric)).collect();
        // 20 timed exchanges are too few to judge the p90.
        assert_eq!(kinds, [(Kind::Outage, Metric::FailureRate)]);
        let a = &found.anomalies[0];
        // 2 failures a working day of about 80: 2.5 %.
        assert!((a.expected - 0.025).abs() < 0.0005, "{}", a.expected);
        assert_eq!(a.observed, 0.75);

        let slow = find(
            &steady(day("P", d("2026-07-01"), 80, 2, 2000.0)),
            &july_1(),
            weekday,
            &Settings::default(),
        );
        let [a] = slow.anomalies.as_slice() else {
            panic!("{:?}", slow.anomalies)
        };
        // Baseline p90s all 500 ms: MAD 0, so the noise is 10 % of 500 = 50 ms.
        assert_eq!(
            (a.kind, a.expected, a.observed),
            (Kind::LatencyRegression, 500.0, 2000.0)
        );
        assert!((a.score - 30.0).abs() < 1e-9);
        assert_eq!(a.severity, Severity::High);
    }

    #[test]
    fn an_ordinary_day_and_a_quiet_rest_day_are_not_flagged() {
        let ordinary = find(
            &steady(day("P", d("2026-07-01"), 81, 2, 520.0)),
            &july_1(),
            weekday,
            &Settings::default(),
        );
        assert_eq!(ordinary.anomalies, []);
        // 2026-07-01 taken as a rest day: 8 exchanges are its usual.
        let rest = find(
            &steady(day("P", d("2026-07-01"), 6, 0, 500.0)),
            &july_1(),
            |x| weekday(x) && x != d("2026-07-01"),
            &Settings::default(),
        );
        assert_eq!(rest.anomalies, []);
    }

    #[test]
    fn a_day_four_times_as_busy_is_a_spike() {
        let found = find(
            &steady(day("P", d("2026-07-01"), 320, 8, 500.0)),
            &july_1(),
            weekday,
            &Settings::default(),
        );
        let kinds: Vec<Kind> = found.anomalies.iter().map(|a| a.kind).collect();
        assert_eq!(kinds, [Kind::Spike]);
    }

    #[test]
    fn a_day_without_enough_baseline_is_not_judged() {
        let days = vec![
            day("P", d("2026-06-29"), 40, 1, 500.0),
            day("P", d("2026-06-30"), 40, 1, 500.0),
            day("P", d("2026-07-01"), 0, 0, 500.0),
        ];
        let found = find(&days, &july_1(), weekday, &Settings::default());
        assert_eq!((found.department_days, found.anomalies.len()), (0, 0));
    }
}
