//! `appraise anomalies`, and the anomaly section of a run: the exchange days of a period
//! and the weeks before it, judged by [`appraise_score::anomaly`].

use appraise_data::Warning;
use std::path::{Path, PathBuf};
use std::time::Duration;

use appraise_data::staging::{Policy, Staging};
use appraise_data::{Dataset, LoadOptions};
use appraise_kpi::{Calendar, Engine, EngineOptions, Period};
use appraise_score::anomaly::{self, Found, Settings, window};
use chrono::{Datelike, NaiveDate};

use crate::{Error, block_on};

/// One anomaly scan.
pub struct AnomaliesJob {
    /// The data folder or warehouse.
    pub data: PathBuf,
    /// How it is read.
    pub options: LoadOptions,
    /// The period scanned; its baseline is the weeks before it.
    pub period: Period,
    /// The working-day calendar.
    pub calendar: Calendar,
    /// Engine settings.
    pub engine: EngineOptions,
    /// How long a query may run.
    pub query_timeout: Duration,
    /// Scan a period the data holds no exchange in (nothing is found, with a warning);
    /// without it that is an error.
    pub allow_empty: bool,
    /// The detector's settings.
    pub settings: Settings,
    /// Where `anomalies.csv` and `anomalies.json` go, if anywhere.
    pub out: Option<PathBuf>,
    /// How the output folder may be treated.
    pub write: Policy,
}

/// What a scan found.
#[derive(Debug)]
pub struct AnomaliesFound {
    /// The period scanned.
    pub period: Period,
    /// The anomalies, and what was judged.
    pub detected: Found,
    /// What was loaded.
    pub data: Dataset,
    /// The output folder, committed, if one was given.
    pub out: Option<PathBuf>,
    /// Everything the user should be told.
    pub warnings: Vec<Warning>,
}

/// Scans `job.period` for anomalies and, with `job.out`, writes them there.
pub fn anomalies(job: AnomaliesJob) -> Result<AnomaliesFound, Error> {
    let staging = match &job.out {
        Some(out) => Some(Staging::new(out, &job.write)?),
        None => None,
    };
    let mut options = job.options;
    options.rejects_dir = None;
    let data = crate::load(&job.data, &options)?;
    // A period without exchanges is an error, as for `run`, unless allowed.
    let coverage = appraise_kpi::coverage::check_period(
        &data,
        &job.period,
        job.engine.timezone,
        &std::collections::BTreeSet::from([appraise_data::Table::Exchanges]),
        job.allow_empty,
    )?;
    let engine = Engine::new(&data, job.calendar, &job.engine)?;
    let (detected, found) = find(
        &engine,
        &job.period,
        last_day(&data, job.engine.timezone),
        &job.settings,
        job.query_timeout,
    )?;
    let warnings = data
        .warnings
        .iter()
        .chain(&coverage)
        .chain(&found)
        .cloned()
        .collect();
    let out = match staging {
        Some(staging) => {
            write(&detected, &job.period, &job.settings, staging.path())?;
            write_candidates(&detected, staging.path())?;
            Some(staging.commit()?)
        }
        None => None,
    };
    Ok(AnomaliesFound {
        period: job.period,
        detected,
        data,
        out,
        warnings,
    })
}

/// The file of candidate adjustments `appraise anomalies` writes beside its findings.
pub(crate) const CANDIDATES: &str = "candidate-adjustments.csv";

/// Each outage found as a candidate adjustment ([`appraise_kpi::adjust`]) for the
/// office to review, into `dir/candidate-adjustments.csv` (only where there is an
/// outage): the department's exchanges of that day excluded, the reason saying what
/// was found and how many departments had an outage that day. The `reference` is left
/// empty: a file with a line without one is refused by `--adjustments`, so that no
/// candidate is applied before the office has decided on it and numbered its decision.
pub(crate) fn write_candidates(detected: &Found, dir: &Path) -> Result<(), Error> {
    use appraise_score::anomaly::Kind;
    let outages: Vec<_> = detected
        .anomalies
        .iter()
        .filter(|a| a.kind == Kind::Outage && a.consumer_id.is_none())
        .collect();
    if outages.is_empty() {
        return Ok(());
    }
    let io = |e: std::io::Error| Error::io(format!("writing {CANDIDATES}"), e);
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(appraise_kpi::adjust::HEADER)
        .map_err(|e| io(e.into()))?;
    for a in &outages {
        let same_day = outages.iter().filter(|o| o.day == a.day).count();
        let day = a.day.to_string();
        let reason = format!(
            "outage on {day} found by appraise anomalies ({} {:.4} against {:.4}); {same_day} \
             department{} had an outage that day",
            a.metric.name(),
            a.observed,
            a.expected,
            if same_day == 1 { "" } else { "s" },
        );
        let id = appraise_data::spreadsheet_safe(&a.department_id).into_owned();
        w.write_record(["exchanges", "", &id, &day, &day, "exclude", &reason, ""])
            .map_err(|e| io(e.into()))?;
    }
    let csv = w.into_inner().map_err(|e| io(e.into_error()))?;
    std::fs::write(dir.join(CANDIDATES), csv).map_err(io)
}

/// The local day of the data's last exchange, if it has any.
pub(crate) fn last_day(data: &Dataset, tz: chrono_tz::Tz) -> Option<NaiveDate> {
    let (_, last) = data.table(appraise_data::Table::Exchanges).time_span()?;
    chrono::DateTime::from_timestamp_micros(last).map(|t| t.with_timezone(&tz).date_naive())
}

/// The anomalies of `period` over the engine's data, with a warning where the
/// calendar does not reach a day judged (such days are taken by weekday). Only days
/// up to `last_day`, the data's last exchange day, are judged: after it the data says
/// nothing, and a day without exchanges there is not an outage.
pub fn find(
    engine: &Engine,
    asked: &Period,
    last_day: Option<NaiveDate>,
    settings: &Settings,
    timeout: Duration,
) -> Result<(Found, Vec<Warning>), Error> {
    // Nothing in the period: no day is judged (and no query run, so the engine keeps
    // its scope).
    let (period, clipped) = match judged_days(asked, last_day) {
        Ok(judged) => judged,
        Err(w) => return Ok((Found::default(), vec![w])),
    };
    let calendar = engine.calendar();
    let weekday = |d: NaiveDate| d.weekday().number_from_monday() <= 5;
    // Candidate busy pairs: `busy_pair` exchanges a working day of the window on
    // average. Only they are read day by day; `anomaly::find` keeps those whose median
    // working day holds as many.
    let window = window(&period, settings);
    let working = window
        .first_day
        .iter_days()
        .take_while(|d| *d <= window.last_day)
        .filter(|&d| calendar.is_workday(d).unwrap_or_else(|| weekday(d)))
        .count();
    let least = (settings.busy_pair * working as f64).floor() as u64;
    let days = block_on(engine.exchange_days(&window, least), timeout)??;
    // Leave the engine scoped to the period, as the other steps expect.
    engine.scope(Some(asked))?;
    let uncovered = std::cell::RefCell::new(std::collections::BTreeSet::new());
    let detected = anomaly::find(
        &days,
        &period,
        |d| {
            calendar.is_workday(d).unwrap_or_else(|| {
                uncovered.borrow_mut().insert(d.year());
                weekday(d)
            })
        },
        settings,
    );
    let mut warnings: Vec<Warning> = clipped.into_iter().collect();
    warnings.extend(uncovered.into_inner().into_iter().map(calendar_missing));
    if detected.department_days == 0 {
        warnings.push(unjudged(&period, settings));
    }
    Ok((detected, warnings))
}

/// The days of `asked` that can be judged: up to the last day of the data's exchanges,
/// with a warning where that ends the period early; `Err` with the warning where no day
/// can be.
fn judged_days(
    asked: &Period,
    last_day: Option<NaiveDate>,
) -> Result<(Period, Option<Warning>), Warning> {
    let last = match last_day {
        Some(last) if last >= asked.first_day => last,
        Some(last) => {
            let text = format!(
                "anomalies: the data's exchanges end on {last}, before {asked}: no day was judged"
            );
            return Err(Warning::new("anomalies_before", text)
                .arg("last", last)
                .arg("period", asked));
        }
        None => {
            let text =
                format!("anomalies: the data holds no exchanges: no day of {asked} was judged");
            return Err(Warning::new("anomalies_no_exchanges", text).arg("period", asked));
        }
    };
    if last >= asked.last_day {
        return Ok((asked.clone(), None));
    }
    let clipped = Warning::new(
        "anomalies_clipped",
        format!(
            "anomalies: the data's exchanges end on {last}; the days of {asked} after it were \
             not judged"
        ),
    )
    .arg("last", last)
    .arg("period", asked);
    let period = Period {
        kind: appraise_kpi::PeriodKind::Range,
        first_day: asked.first_day,
        last_day: last,
    };
    Ok((period, Some(clipped)))
}

/// The warning that the calendar has no year `y`.
fn calendar_missing(y: i32) -> Warning {
    Warning::new(
        "anomalies_calendar",
        format!(
            "anomalies: the working-day calendar has no year {y}; its days were taken as \
             working Monday to Friday"
        ),
    )
    .with_hint(format!("add {y}.csv to the calendars"))
    .arg("year", y)
}

/// The warning that no day of `period` could be judged.
fn unjudged(period: &Period, settings: &Settings) -> Warning {
    Warning::new(
        "anomalies_unjudged",
        format!(
            "anomalies: no day of {period} could be judged: a day needs {} days of its kind \
             in the {} weeks before it",
            settings.min_days, settings.weeks
        ),
    )
    .with_hint("load the weeks before the period too")
    .arg("period", period)
    .arg("min_days", settings.min_days)
    .arg("weeks", settings.weeks)
}

/// Writes `anomalies.csv` (a row per anomaly) and `anomalies.json` (the same with the
/// settings and what was judged) into `dir`.
pub fn write(
    detected: &Found,
    period: &Period,
    settings: &Settings,
    dir: &Path,
) -> Result<(), Error> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let header = [
        "department_id",
        "consumer_id",
        "day",
        "kind",
        "severity",
        "metric",
        "expected",
        "observed",
        "score",
    ];
    let io = |what: &str, e: std::io::Error| Error::io(format!("writing {what}"), e);
    w.write_record(header)
        .map_err(|e| io("anomalies.csv", e.into()))?;
    for a in &detected.anomalies {
        let id = |s: &str| appraise_data::spreadsheet_safe(s).into_owned();
        w.write_record([
            id(&a.department_id),
            a.consumer_id.as_deref().map_or(String::new(), id),
            a.day.to_string(),
            a.kind.name().into(),
            a.severity.name().into(),
            a.metric.name().into(),
            a.expected.to_string(),
            a.observed.to_string(),
            format!("{:.2}", a.score),
        ])
        .map_err(|e| io("anomalies.csv", e.into()))?;
    }
    let csv = w
        .into_inner()
        .map_err(|e| io("anomalies.csv", e.into_error()))?;
    std::fs::write(dir.join("anomalies.csv"), csv).map_err(|e| io("anomalies.csv", e))?;
    let json = serde_json::json!({
        "period": period.to_string(),
        "settings": {
            "baseline_weeks": settings.weeks,
            "min_baseline_days": settings.min_days,
            "z": settings.z,
            "busy_pair": settings.busy_pair,
        },
        "department_days": detected.department_days,
        "busy_pairs": detected.pairs,
        "anomalies": detected.anomalies,
    });
    let text = serde_json::to_string_pretty(&json).unwrap_or_default() + "\n";
    std::fs::write(dir.join("anomalies.json"), text).map_err(|e| io("anomalies.json", e))
}
