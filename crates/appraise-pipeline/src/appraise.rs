//! KPIs and scoring: a period and the periods before it that the data reaches, scored
//! through the scorecard.

use std::collections::BTreeSet;
use std::path::Path;
use std::time::Duration;

use appraise_data::{Dataset, Table};
use appraise_kpi::{Calendar, Engine, EngineOptions, KpiDef, KpiMatrix, Period};
use appraise_score::{Appraisal, Department, Input, Scorecard, score};
use datafusion::arrow::array::{Array, AsArray, StringArray};

use crate::{Error, Laps, block_on};

/// Periods scored for the trend: the current one and up to seven before it (two years
/// of quarters), as far back as the data and the working-day calendar reach.
pub const TREND_PERIODS: usize = 8;

/// The folder of a warehouse where KPI matrices are kept (docs/cluster.md).
pub const KPI_CACHE: &str = "_cache";

/// By which rules a period is appraised.
#[derive(Debug, Clone)]
pub struct Rules {
    /// The scorecard.
    pub scorecard: Scorecard,
    /// The KPI library; the scorecard's KPIs are taken from it.
    pub library: Vec<KpiDef>,
    /// The working-day calendar.
    pub calendar: Calendar,
    /// The engine's settings; its zone is the appraisal's.
    pub engine: EngineOptions,
    /// Whether a period the data does not cover may be appraised (empty, with a
    /// warning).
    pub allow_empty: bool,
    /// How long one call into the engine may run.
    pub query_timeout: Duration,
}

/// An appraisal with what went into it.
pub struct Scored {
    /// The scored period, the periods before it, and the diagnostics.
    pub appraisal: Appraisal,
    /// The KPI matrix of the period appraised.
    pub matrix: KpiMatrix,
    /// The KPI files the scorecard uses.
    pub kpis: Vec<KpiDef>,
    /// The engine that ran them, for further queries over the same tables.
    pub engine: Engine,
    /// What the scorecard check found (KPIs left out, dimensions overridden).
    pub warnings: Vec<appraise_data::Warning>,
    /// Months of the period the data does not reach (or, allowed, an empty period).
    pub coverage: Vec<appraise_data::Warning>,
    /// With adjustments: the rows each touched, in the file's order.
    pub touched: Vec<appraise_kpi::adjust::Touched>,
}

/// Runs the scorecard's KPIs for `period` and the periods before it that the data
/// reaches, and scores them all; `laps` gets the time of the steps `kpis` and
/// `scoring`. A period the data does not cover is an error unless `allow_empty`. Over
/// a warehouse (`data_dir`), the earlier periods' matrices are kept and reused.
pub fn appraise(
    data_dir: &Path,
    data: &Dataset,
    period: &Period,
    rules: Rules,
    laps: &mut Laps,
) -> Result<Scored, Error> {
    let Rules {
        scorecard: card,
        library,
        calendar,
        engine: mut options,
        allow_empty,
        query_timeout,
    } = rules;
    let (kpis, mut warnings) = scorecard_kpis(&card, library)?;
    if appraise_data::warehouse::is_warehouse(data_dir) {
        options.kpi_cache = Some(data_dir.join(KPI_CACHE));
    }
    let timezone = options.timezone;
    let engine = Engine::new(data, calendar, &options)?;
    let departments = loaded_departments(data, data_dir)?;
    let periods = trend_periods(data, period, timezone);
    // Before any KPI runs: the period must hold data in every table the KPIs read.
    engine.scope(Some(period))?;
    let mut read = BTreeSet::new();
    for k in &kpis {
        read.extend(block_on(engine.tables_read(k), query_timeout)??);
    }
    let mut coverage =
        appraise_kpi::coverage::check_period(data, period, timezone, &read, allow_empty)?;
    let score_matrix = |matrix: &KpiMatrix| -> Result<_, Error> {
        let input = Input {
            departments: &departments,
            library: &kpis,
            matrix,
        };
        Ok(score(&card, &input)?)
    };
    let touched = block_on(engine.adjusted_rows(), query_timeout)??;
    if let Some(a) = engine.adjustments() {
        for (line, t) in a.lines.iter().zip(&touched) {
            if t.rows == 0 {
                warnings.push(unmatched(&a.path, line.line));
            }
        }
    }
    // The period appraised is always computed; earlier ones may come from the cache,
    // the others are computed after it, one period after another.
    let before: Vec<Period> = periods
        .iter()
        .rev()
        .filter(|p| *p != period)
        .cloned()
        .collect();
    let trend = block_on(engine.trend(period, &before, &kpis), query_timeout)??;
    if let Some((p, year)) = &trend.cut {
        coverage.push(trend_cut(p, *year));
    }
    laps.next("scoring");
    let current = score_matrix(&trend.current)?;
    let earlier = trend
        .earlier
        .iter()
        .map(score_matrix)
        .collect::<Result<Vec<_>, _>>()?;
    let matrix = trend.current;
    laps.next("targets");
    let input = Input {
        departments: &departments,
        library: &kpis,
        matrix: &matrix,
    };
    Ok(Scored {
        appraisal: with_targets(card, &input, current, earlier)?,
        matrix,
        kpis,
        engine,
        warnings,
        touched,
        coverage,
    })
}

/// The departments that loaded; an error where none did (a header-only departments
/// file, or every department rejected): nothing to rank.
fn loaded_departments(data: &Dataset, data_dir: &Path) -> Result<Vec<Department>, Error> {
    let departments = departments(data);
    if departments.is_empty() {
        return Err(Error::Input {
            reason: format!("{}: no department was loaded", data_dir.display()),
            hint: Some(
                "the departments table needs at least one valid row; `appraise validate --data DIR` lists the rejected ones"
                    .into(),
            ),
        });
    }
    Ok(departments)
}

/// The appraisal of `current` with its history, and each department's improvement
/// targets and route to the next grade.
fn with_targets(
    card: Scorecard,
    input: &Input<'_>,
    current: appraise_score::Scores,
    earlier: Vec<appraise_score::Scores>,
) -> Result<Appraisal, Error> {
    let (targets, routes) = (
        appraise_score::targets::targets(&card, input, &current, &earlier)?,
        appraise_score::targets::routes(&card, input, &current, &earlier)?,
    );
    Ok(Appraisal {
        targets,
        routes,
        ..Appraisal::new(card, current, earlier)
    })
}

/// `period` and the [`TREND_PERIODS`] before it, the earlier ones only where the data's
/// exchanges reach back to them.
fn trend_periods(data: &Dataset, period: &Period, timezone: chrono_tz::Tz) -> Vec<Period> {
    let first = data
        .table(Table::Exchanges)
        .time_span()
        .map(|(first, _)| first);
    period
        .last_n(TREND_PERIODS)
        .into_iter()
        .filter(|p| p == period || first.is_some_and(|f| p.end_us(timezone) > f))
        .collect()
}

/// Scores a KPI matrix given as it is (an earlier run's `kpis.csv`, edited, or a
/// researcher's own) through the scorecard, without the data: the period alone, with
/// its improvement targets, robustness and diagnostics. Returns the appraisal and what
/// the scorecard check found.
pub fn appraise_matrix(
    departments: &[Department],
    matrix: &KpiMatrix,
    rules: Rules,
) -> Result<(Appraisal, Vec<appraise_data::Warning>), Error> {
    let Rules {
        scorecard: card,
        library,
        ..
    } = rules;
    let (kpis, warnings) = scorecard_kpis(&card, library)?;
    let input = Input {
        departments,
        library: &kpis,
        matrix,
    };
    let current = score(&card, &input)?;
    let targets = appraise_score::targets::targets(&card, &input, &current, &[])?;
    let routes = appraise_score::targets::routes(&card, &input, &current, &[])?;
    let appraisal = Appraisal {
        targets,
        routes,
        ..Appraisal::new(card, current, Vec::new())
    };
    Ok((appraisal, warnings))
}

/// The KPI files the scorecard uses, after checking it against the library, and what
/// the check found.
fn scorecard_kpis(
    card: &Scorecard,
    library: Vec<KpiDef>,
) -> Result<(Vec<KpiDef>, Vec<appraise_data::Warning>), Error> {
    let warnings = card.check(&library)?;
    let kpis = library
        .into_iter()
        .filter(|k| card.kpi(&k.id).is_some())
        .collect();
    Ok((kpis, warnings))
}

/// What the report says of the adjustments `scored` applied: what each touched, and
/// the period computed and scored as the data have it (`None` without adjustments).
pub(crate) fn unadjusted(
    scored: &mut Scored,
    data: &Dataset,
    period: &Period,
    timeout: Duration,
) -> Result<Option<appraise_report::Adjusted>, Error> {
    let engine = &scored.engine;
    let Some(adjustments) = engine.adjustments().cloned() else {
        return Ok(None);
    };
    engine.adjusting(false)?;
    let before_matrix = block_on(engine.run(period, &scored.kpis), timeout)?;
    engine.adjusting(true)?;
    let before_matrix = before_matrix?;
    let departments = departments(data);
    let input = Input {
        departments: &departments,
        library: &scored.kpis,
        matrix: &before_matrix,
    };
    Ok(Some(appraise_report::Adjusted {
        before: score(&scored.appraisal.scorecard, &input)?,
        before_matrix,
        adjustments,
        touched: std::mem::take(&mut scored.touched),
    }))
}

/// The warning that the adjustment of `line` touches no row of the data.
fn unmatched(path: &Path, line: usize) -> appraise_data::Warning {
    appraise_data::Warning::new(
        "adjustment_unmatched",
        format!(
            "{}:{line}: the adjustment touches no row of the data",
            path.display()
        ),
    )
    .with_hint("check its table, id, department and window against the data")
    .arg("path", path.display())
    .arg("line", line)
}

/// The warning that the trend leaves out `p` and the periods before it, for want of
/// the working-day calendar of `year`.
fn trend_cut(p: &Period, year: i32) -> appraise_data::Warning {
    appraise_data::Warning::new(
        "trend_calendar",
        format!(
            "the trend leaves out {p} and earlier periods: the working-day calendar does not \
             cover {year}"
        ),
    )
    .with_hint(format!("add queries/calendars/cn-{year}.csv to score them"))
    .arg("period", p)
    .arg("year", year)
}

/// The departments table as the scoring sees it; a department without a peer group
/// is compared with its level.
pub fn departments(data: &Dataset) -> Vec<Department> {
    let mut out = Vec::new();
    for b in &data.table(Table::Departments).batches {
        let column = |name: &str| b.column_by_name(name).map(|c| c.as_string::<i32>().clone());
        let (Some(id), Some(name), Some(name_en), Some(level), Some(group)) = (
            column("dept_id"),
            column("name"),
            column("name_en"),
            column("level"),
            column("peer_group"),
        ) else {
            continue;
        };
        for i in 0..b.num_rows() {
            let text = |a: &StringArray| {
                if a.is_null(i) {
                    String::new()
                } else {
                    a.value(i).to_string()
                }
            };
            out.push(Department {
                id: text(&id),
                name: text(&name),
                name_en: text(&name_en),
                level: text(&level),
                peer_group: if group.is_null(i) {
                    text(&level)
                } else {
                    text(&group)
                },
            });
        }
    }
    out
}
