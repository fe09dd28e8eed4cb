//! The appraisal as Arrow tables: `ranking`, `scores`, `sensitivity`, `trend`,
//! `correlations` and `profiles`, with the columns of DESIGN.md's Outputs section.

use std::sync::Arc;

use datafusion::arrow::array::{
    ArrayRef, BooleanArray, Float64Array, Int64Array, RecordBatch, StringArray, UInt32Array,
};
use datafusion::arrow::datatypes::{Field, Schema};

use crate::{Appraisal, Error, change, diagnose};

fn batch(columns: Vec<(&str, ArrayRef)>) -> Result<RecordBatch, Error> {
    let fields: Vec<Field> = columns
        .iter()
        .map(|(name, a)| Field::new(*name, a.data_type().clone(), true))
        .collect();
    let arrays = columns.into_iter().map(|(_, a)| a).collect();
    Ok(RecordBatch::try_new(Arc::new(Schema::new(fields)), arrays)?)
}

fn text<S: AsRef<str>>(v: impl IntoIterator<Item = Option<S>>) -> ArrayRef {
    Arc::new(v.into_iter().collect::<StringArray>())
}

/// Significant digits of a published number ([`published`]).
pub const SIGNIFICANT_DIGITS: i32 = 12;

/// A number as it is published in the ranking, score and other tables: rounded to
/// [`SIGNIFICANT_DIGITS`] significant digits, which removes the noise binary floating
/// point leaves in the last digits (`4.950000000000003` → `4.95`,
/// `1.0000000000000002` → `1`) and keeps every digit the method means. `kpis.csv`
/// keeps the exact values.
pub fn published(x: f64) -> f64 {
    if x == 0.0 || !x.is_finite() {
        return x;
    }
    // Rust prints a float's exact decimal rounded to the digits asked for, and parses
    // a decimal to the nearest double: the result prints as the rounded decimal.
    let digits = (SIGNIFICANT_DIGITS - 1) as usize;
    let rounded: f64 = format!("{x:.digits$e}").parse().unwrap_or(x);
    if rounded.is_finite() { rounded } else { x }
}

fn float(v: impl IntoIterator<Item = Option<f64>>) -> ArrayRef {
    Arc::new(
        v.into_iter()
            .map(|x| x.map(published))
            .collect::<Float64Array>(),
    )
}

/// Counts (a rate's cases) as integers; as numbers where one is not whole (a KPI whose
/// denominator is a sum of fractions), so that nothing is rounded away.
fn count(v: impl IntoIterator<Item = Option<f64>>) -> ArrayRef {
    let v: Vec<Option<f64>> = v.into_iter().collect();
    if v.iter()
        .flatten()
        .all(|x| x.fract() == 0.0 && x.abs() < 9e15)
    {
        Arc::new(
            v.into_iter()
                .map(|x| x.map(|x| x as i64))
                .collect::<Int64Array>(),
        )
    } else {
        float(v)
    }
}

fn uint(v: impl IntoIterator<Item = Option<u32>>) -> ArrayRef {
    Arc::new(v.into_iter().collect::<UInt32Array>())
}

impl Appraisal {
    /// Every table of the appraisal by the stem of its file, in the order they are
    /// written: `ranking`, `scores`, `sensitivity`, `trend`, `targets`, `routes`,
    /// `funnel`, `correlations`, `profiles`.
    pub fn tables(&self) -> Result<[(&'static str, RecordBatch); 9], Error> {
        Ok([
            ("ranking", self.ranking_table()?),
            ("scores", self.scores_table()?),
            ("sensitivity", self.sensitivity_table()?),
            ("trend", self.trend_table()?),
            ("targets", self.targets_table()?),
            ("routes", self.routes_table()?),
            ("funnel", self.funnel_table()?),
            ("correlations", self.correlations_table()?),
            ("profiles", self.profiles_table()?),
        ])
    }

    /// One row per department in ranking order: `department_id, name, level,
    /// peer_group, status, composite, rank, group_rank, grade, dim_<id>...`, then
    /// `previous_composite, composite_change, previous_rank, rank_change, rank_median,
    /// rank_p05, rank_p95, coverage`.
    pub fn ranking_table(&self) -> Result<RecordBatch, Error> {
        let s = &self.current;
        let order = s.ranking_order();
        let dep = |d: usize| &s.departments[d];
        let mut columns: Vec<(String, ArrayRef)> = vec![
            (
                "department_id".into(),
                text(order.iter().map(|&d| Some(&dep(d).department.id))),
            ),
            (
                "name".into(),
                text(order.iter().map(|&d| Some(&dep(d).department.name))),
            ),
            (
                "level".into(),
                text(order.iter().map(|&d| Some(&dep(d).department.level))),
            ),
            (
                "peer_group".into(),
                text(order.iter().map(|&d| Some(&dep(d).department.peer_group))),
            ),
            (
                "status".into(),
                text(order.iter().map(|&d| Some(dep(d).status.name()))),
            ),
            (
                "composite".into(),
                float(order.iter().map(|&d| dep(d).composite)),
            ),
            ("rank".into(), uint(order.iter().map(|&d| dep(d).rank))),
            (
                "group_rank".into(),
                uint(order.iter().map(|&d| dep(d).group_rank)),
            ),
            (
                "grade".into(),
                text(
                    order
                        .iter()
                        .map(|&d| dep(d).grade.map(|g| &self.scorecard.grades.bands[g].grade)),
                ),
            ),
        ];
        for (j, id) in s.dimensions.iter().enumerate() {
            columns.push((
                format!("dim_{id}"),
                float(order.iter().map(|&d| dep(d).dimensions[j])),
            ));
        }
        columns.extend(self.change_columns(&order));
        columns.push((
            "coverage".into(),
            // A sum of weight shares: within [0, 1] but for rounding.
            float(order.iter().map(|&d| Some(dep(d).coverage.clamp(0.0, 1.0)))),
        ));
        batch(
            columns
                .iter()
                .map(|(n, a)| (n.as_str(), a.clone()))
                .collect(),
        )
    }

    /// The ranking's columns of comparison with the previous period and of rank
    /// intervals, for the departments in `order`.
    fn change_columns(&self, order: &[usize]) -> Vec<(String, ArrayRef)> {
        let s = &self.current;
        let mut columns = Vec::new();
        let changes: Vec<Option<change::Change>> = order
            .iter()
            .map(|&d| self.previous().map(|p| change::change(s, p, d)))
            .collect();
        columns.push((
            "previous_composite".into(),
            float(changes.iter().map(|c| c.and_then(|c| c.previous_composite))),
        ));
        columns.push((
            "composite_change".into(),
            float(changes.iter().map(|c| c.and_then(|c| c.composite_change))),
        ));
        columns.push((
            "previous_rank".into(),
            uint(changes.iter().map(|c| c.and_then(|c| c.previous_rank))),
        ));
        columns.push((
            "rank_change".into(),
            Arc::new(
                changes
                    .iter()
                    .map(|c| c.and_then(|c| c.rank_change))
                    .collect::<Int64Array>(),
            ),
        ));
        let interval = |d: usize| self.robustness.as_ref().and_then(|r| r.intervals[d]);
        columns.push((
            "rank_median".into(),
            float(order.iter().map(|&d| interval(d).map(|i| i.median))),
        ));
        columns.push((
            "rank_p05".into(),
            float(order.iter().map(|&d| interval(d).map(|i| i.p05))),
        ));
        columns.push((
            "rank_p95".into(),
            float(order.iter().map(|&d| interval(d).map(|i| i.p95))),
        ));
        columns
    }

    /// Long, one row per department × KPI (departments by id, KPIs in scorecard order):
    /// `department_id, kpi, value, treated_value, score, flags, weight, contribution,
    /// peer_median`.
    pub fn scores_table(&self) -> Result<RecordBatch, Error> {
        let s = &self.current;
        let n_kpi = s.kpis.len();
        let cells = || s.cells.iter();
        batch(vec![
            (
                "department_id",
                text((0..s.cells.len()).map(|i| Some(&s.departments[i / n_kpi].department.id))),
            ),
            (
                "kpi",
                text((0..s.cells.len()).map(|i| Some(&s.kpis[i % n_kpi]))),
            ),
            ("value", float(cells().map(|c| c.value))),
            ("treated_value", float(cells().map(|c| c.treated))),
            ("score", float(cells().map(|c| c.score))),
            ("flags", text(cells().map(|c| Some(c.flags.names())))),
            ("weight", float(cells().map(|c| c.weight))),
            ("contribution", float(cells().map(|c| c.contribution))),
            ("peer_median", float(cells().map(|c| c.peer_median))),
            ("cases", count(cells().map(|c| c.cases))),
            ("shrunk_value", float(cells().map(|c| c.shrunk))),
            ("ci_low", float(cells().map(|c| c.interval.map(|i| i.0)))),
            ("ci_high", float(cells().map(|c| c.interval.map(|i| i.1)))),
        ])
    }

    /// The Sobol indices: `assumption, first_order, total`, and the run settings.
    pub fn sensitivity_table(&self) -> Result<RecordBatch, Error> {
        let sobol = self
            .robustness
            .as_ref()
            .map(|r| r.sobol.as_slice())
            .unwrap_or_default();
        let runs = self.robustness.as_ref().map_or(0, |r| r.runs as i64);
        batch(vec![
            (
                "assumption",
                text(sobol.iter().map(|s| Some(s.assumption.name()))),
            ),
            ("first_order", float(sobol.iter().map(|s| s.first_order))),
            ("total", float(sobol.iter().map(|s| s.total))),
            (
                "runs",
                Arc::new(sobol.iter().map(|_| Some(runs)).collect::<Int64Array>()),
            ),
        ])
    }

    /// Improvement targets: `department_id, kpi, value, target, goal, reaches,
    /// plausible`, by
    /// department then KPI, the grade goal first. `value` and `target` are exact (not
    /// rounded to [`SIGNIFICANT_DIGITS`]), so that scoring the matrix with the target
    /// reaches the goal; `reaches` is the grade (for `next_grade`) or the rank (for
    /// `next_rank`) the target gives.
    pub fn targets_table(&self) -> Result<RecordBatch, Error> {
        let t = &self.targets;
        let bands = &self.scorecard.grades.bands;
        let exact = |v: Vec<f64>| -> ArrayRef { Arc::new(Float64Array::from(v)) };
        batch(vec![
            (
                "department_id",
                text(t.iter().map(|x| Some(&x.department_id))),
            ),
            ("kpi", text(t.iter().map(|x| Some(&x.kpi)))),
            ("value", exact(t.iter().map(|x| x.value).collect())),
            ("target", exact(t.iter().map(|x| x.target).collect())),
            ("goal", text(t.iter().map(|x| Some(x.goal.name())))),
            (
                "reaches",
                text(t.iter().map(|x| {
                    Some(match x.goal {
                        crate::targets::Goal::NextGrade => bands[x.grade].grade.clone(),
                        crate::targets::Goal::NextRank => x.rank.to_string(),
                    })
                })),
            ),
            (
                "plausible",
                Arc::new(
                    t.iter()
                        .map(|x| Some(x.plausible))
                        .collect::<BooleanArray>(),
                ),
            ),
        ])
    }

    /// Routes to the next grade: `department_id, step, kpi, value, target, factor,
    /// effort, plausible, reaches`, one row per KPI a route changes (`step` 1, 2, 3),
    /// by department. `value` and `target` are exact: scoring the matrix with every
    /// target of a route reaches `reaches`, the grade; `factor` is the step's
    /// [`crate::targets::Step::factor`], `effort` the route's.
    pub fn routes_table(&self) -> Result<RecordBatch, Error> {
        let rows: Vec<(usize, &crate::targets::Route, &crate::targets::Step)> = self
            .routes
            .iter()
            .flat_map(|r| r.steps.iter().enumerate().map(move |(i, s)| (i + 1, r, s)))
            .collect();
        let bands = &self.scorecard.grades.bands;
        let exact = |v: Vec<f64>| -> ArrayRef { Arc::new(Float64Array::from(v)) };
        batch(vec![
            (
                "department_id",
                text(rows.iter().map(|(_, r, _)| Some(&r.department_id))),
            ),
            (
                "step",
                Arc::new(
                    rows.iter()
                        .map(|(i, _, _)| Some(*i as i64))
                        .collect::<Int64Array>(),
                ),
            ),
            ("kpi", text(rows.iter().map(|(_, _, s)| Some(&s.kpi)))),
            (
                "value",
                exact(rows.iter().map(|(_, _, s)| s.value).collect()),
            ),
            (
                "target",
                exact(rows.iter().map(|(_, _, s)| s.target).collect()),
            ),
            (
                "factor",
                float(rows.iter().map(|(_, _, s)| Some(s.factor()))),
            ),
            ("effort", float(rows.iter().map(|(_, r, _)| Some(r.effort)))),
            (
                "plausible",
                Arc::new(
                    rows.iter()
                        .map(|(_, r, _)| Some(r.plausible))
                        .collect::<BooleanArray>(),
                ),
            ),
            (
                "reaches",
                text(
                    rows.iter()
                        .map(|(_, r, _)| Some(bands[r.grade].grade.clone())),
                ),
            ),
        ])
    }

    /// The funnel plots' data: `department_id, kpi, rate, cases, centre, lower_95,
    /// upper_95, lower_998, upper_998, signal` for every rate with cases; `signal` is
    /// `above_99.8`, `above_95`, `within`, `below_95` or `below_99.8`.
    pub fn funnel_table(&self) -> Result<RecordBatch, Error> {
        let s = &self.current;
        let funnels = crate::funnel::funnels(s);
        let rows: Vec<(&crate::funnel::Funnel, &crate::funnel::Point)> = funnels
            .iter()
            .flat_map(|f| f.points.iter().map(move |p| (f, p)))
            .collect();
        let limit = |level: f64, upper: bool| {
            float(rows.iter().map(|(f, p)| {
                let (lo, hi) = f.limits(p.cases, level);
                Some(if upper { hi } else { lo })
            }))
        };
        batch(vec![
            (
                "department_id",
                text(
                    rows.iter()
                        .map(|(_, p)| Some(&s.departments[p.department].department.id)),
                ),
            ),
            ("kpi", text(rows.iter().map(|(f, _)| Some(&s.kpis[f.kpi])))),
            ("rate", float(rows.iter().map(|(_, p)| Some(p.rate)))),
            ("cases", count(rows.iter().map(|(_, p)| Some(p.cases)))),
            ("centre", float(rows.iter().map(|(f, _)| Some(f.centre)))),
            ("lower_95", limit(0.95, false)),
            ("upper_95", limit(0.95, true)),
            ("lower_998", limit(0.998, false)),
            ("upper_998", limit(0.998, true)),
            (
                "signal",
                text(rows.iter().map(|(_, p)| {
                    Some(match p.signal {
                        2 => "above_99.8",
                        1 => "above_95",
                        -1 => "below_95",
                        -2 => "below_99.8",
                        _ => "within",
                    })
                })),
            ),
        ])
    }

    /// The composite series: `department_id, period, composite, rank, grade`, oldest
    /// period first, the current one last.
    pub fn trend_table(&self) -> Result<RecordBatch, Error> {
        let periods: Vec<&crate::Scores> =
            self.history.iter().rev().chain([&self.current]).collect();
        // (department id, period, its result in that period)
        let mut rows = Vec::new();
        for dep in &self.current.departments {
            let id = dep.department.id.as_str();
            for p in &periods {
                rows.push((
                    id,
                    p.period.label(),
                    p.position(id).map(|i| &p.departments[i]),
                ));
            }
        }
        let grade = |d: &crate::DepartmentScore| {
            d.grade
                .map(|g| self.scorecard.grades.bands[g].grade.as_str())
        };
        batch(vec![
            ("department_id", text(rows.iter().map(|r| Some(r.0)))),
            ("period", text(rows.iter().map(|r| Some(&r.1)))),
            (
                "composite",
                float(rows.iter().map(|r| r.2.and_then(|d| d.composite))),
            ),
            ("rank", uint(rows.iter().map(|r| r.2.and_then(|d| d.rank)))),
            ("grade", text(rows.iter().map(|r| r.2.and_then(grade)))),
        ])
    }

    /// KPI pairs: `kpi_a, kpi_b, spearman_rho, n, redundant`.
    pub fn correlations_table(&self) -> Result<RecordBatch, Error> {
        let c = &self.correlations;
        batch(vec![
            ("kpi_a", text(c.iter().map(|c| Some(&c.kpi_a)))),
            ("kpi_b", text(c.iter().map(|c| Some(&c.kpi_b)))),
            ("spearman_rho", float(c.iter().map(|c| Some(c.rho)))),
            (
                "n",
                Arc::new(c.iter().map(|c| Some(c.n as i64)).collect::<Int64Array>()),
            ),
            (
                "redundant",
                Arc::new(
                    c.iter()
                        .map(|c| Some(c.redundant))
                        .collect::<BooleanArray>(),
                ),
            ),
        ])
    }

    /// Strengths and weaknesses: `department_id, kind, kpi, score, peer_median,
    /// difference`.
    pub fn profiles_table(&self) -> Result<RecordBatch, Error> {
        let s = &self.current;
        let mut rows = Vec::new();
        for d in 0..s.departments.len() {
            let p = diagnose::profile(s, d);
            for (kind, list) in [("strength", &p.strengths), ("weakness", &p.weaknesses)] {
                for st in list {
                    rows.push((d, kind, st.clone()));
                }
            }
        }
        batch(vec![
            (
                "department_id",
                text(rows.iter().map(|r| Some(&s.departments[r.0].department.id))),
            ),
            ("kind", text(rows.iter().map(|r| Some(r.1)))),
            ("kpi", text(rows.iter().map(|r| Some(&s.kpis[r.2.kpi])))),
            ("score", float(rows.iter().map(|r| Some(r.2.score)))),
            (
                "peer_median",
                float(rows.iter().map(|r| Some(r.2.peer_median))),
            ),
            (
                "difference",
                float(rows.iter().map(|r| Some(r.2.difference))),
            ),
        ])
    }
}

/// Two appraisals side by side: one period through two scorecards, or two periods
/// through one. `base` is what `now` is compared with. Returns two tables:
///
/// - per department (those of `now` in its ranking order, then those only in `base`):
///   `department_id, name, composite_base, composite, composite_change, rank_base,
///   rank, rank_change` (places gained: base rank − rank), `grade_base, grade`, and
///   `explained_by`: the three KPIs whose composite points changed most, as
///   `kpi (+1.2)`, `;`-separated;
/// - per department and KPI (the KPIs of `now`, then those only in `base`):
///   `department_id, kpi, value_base, value, value_change, score_base, score,
///   score_change, points_base, points, points_change` (points: the KPI's
///   contribution to the composite; a KPI without one adds none, so a department's
///   `points_change` add up to its `composite_change`).
pub fn comparison(base: &Appraisal, now: &Appraisal) -> Result<(RecordBatch, RecordBatch), Error> {
    let (a, b) = (&base.current, &now.current);
    let ids = union_of(
        b.ranking_order()
            .into_iter()
            .map(|d| b.departments[d].department.id.as_str()),
        a.ranking_order()
            .into_iter()
            .map(|d| a.departments[d].department.id.as_str()),
    );
    let kpis = union_of(
        b.kpis.iter().map(String::as_str),
        a.kpis.iter().map(String::as_str),
    );
    let rows = kpi_rows(a, b, &ids, &kpis);
    let kpi_table = kpi_changes(&rows)?;
    let departments = department_changes(base, now, &ids, &rows)?;
    Ok((departments, kpi_table))
}

/// The items of `first` in order, then those of `then` not among them.
fn union_of<'a>(
    first: impl Iterator<Item = &'a str>,
    then: impl Iterator<Item = &'a str>,
) -> Vec<&'a str> {
    let mut out: Vec<&str> = first.collect();
    let then: Vec<&str> = then.filter(|x| !out.contains(x)).collect();
    out.extend(then);
    out
}

/// A department's KPI in both appraisals: value, score and points (contribution), the
/// base's before the other's.
type KpiRow<'a> = (&'a str, &'a str, [Option<f64>; 6]);

/// Every department × KPI of either appraisal, in the order of `ids` and `kpis`.
fn kpi_rows<'a>(
    a: &crate::Scores,
    b: &crate::Scores,
    ids: &[&'a str],
    kpis: &[&'a str],
) -> Vec<KpiRow<'a>> {
    let cell = |s: &crate::Scores, id: &str, kpi: &str| -> Option<crate::Cell> {
        let d = s.position(id)?;
        let k = s.kpis.iter().position(|x| x == kpi)?;
        Some(s.cell(d, k).clone())
    };
    let mut rows = Vec::new();
    for id in ids {
        for kpi in kpis {
            let (ca, cb) = (cell(a, id, kpi), cell(b, id, kpi));
            let get = |c: &Option<crate::Cell>, f: fn(&crate::Cell) -> Option<f64>| {
                c.as_ref().and_then(f)
            };
            rows.push((
                *id,
                *kpi,
                [
                    get(&ca, |c| c.value),
                    get(&cb, |c| c.value),
                    get(&ca, |c| c.score),
                    get(&cb, |c| c.score),
                    get(&ca, |c| c.contribution),
                    get(&cb, |c| c.contribution),
                ],
            ));
        }
    }
    rows
}

/// `y − x` where both are known.
fn difference(x: Option<f64>, y: Option<f64>) -> Option<f64> {
    x.zip(y).map(|(x, y)| y - x)
}

/// The per-KPI table of [`comparison`].
fn kpi_changes(rows: &[KpiRow<'_>]) -> Result<RecordBatch, Error> {
    let col = |i: usize| float(rows.iter().map(|r| r.2[i]));
    let diff = |i: usize| float(rows.iter().map(|r| difference(r.2[i], r.2[i + 1])));
    batch(vec![
        ("department_id", text(rows.iter().map(|r| Some(r.0)))),
        ("kpi", text(rows.iter().map(|r| Some(r.1)))),
        ("value_base", col(0)),
        ("value", col(1)),
        ("value_change", diff(0)),
        ("score_base", col(2)),
        ("score", col(3)),
        ("score_change", diff(2)),
        ("points_base", col(4)),
        ("points", col(5)),
        // A KPI without a contribution adds no points: its change is the other side's
        // points, so that a department's changes add up to its composite change.
        (
            "points_change",
            float(rows.iter().map(|r| {
                (r.2[4].is_some() || r.2[5].is_some())
                    .then(|| r.2[5].unwrap_or(0.0) - r.2[4].unwrap_or(0.0))
            })),
        ),
    ])
}

/// The KPIs that moved department `id`'s composite most, at most three, as
/// `kpi (+points)` joined by `;`.
fn explained_by(id: &str, rows: &[KpiRow<'_>]) -> String {
    let mut moves: Vec<(&str, f64)> = rows
        .iter()
        .filter(|r| r.0 == id)
        .filter_map(|r| {
            let points = r.2[5].unwrap_or(0.0) - r.2[4].unwrap_or(0.0);
            (points != 0.0).then_some((r.1, points))
        })
        .collect();
    moves.sort_by(|x, y| y.1.abs().total_cmp(&x.1.abs()).then(x.0.cmp(y.0)));
    moves
        .iter()
        .take(3)
        .map(|(k, p)| format!("{k} ({p:+.2})"))
        .collect::<Vec<_>>()
        .join(";")
}

/// The per-department table of [`comparison`], with the KPIs that moved each composite
/// most.
fn department_changes(
    base: &Appraisal,
    now: &Appraisal,
    ids: &[&str],
    rows: &[KpiRow<'_>],
) -> Result<RecordBatch, Error> {
    let dep = |s: &crate::Scores, id: &str| s.position(id).map(|d| s.departments[d].clone());
    let grade = |x: &Appraisal, d: &Option<crate::DepartmentScore>| {
        d.as_ref()
            .and_then(|d| d.grade)
            .map(|g| x.scorecard.grades.bands[g].grade.clone())
    };
    let (da, db): (Vec<_>, Vec<_>) = ids
        .iter()
        .map(|id| (dep(&base.current, id), dep(&now.current, id)))
        .unzip();
    let name = |i: usize| {
        db[i]
            .as_ref()
            .or(da[i].as_ref())
            .map(|d| d.department.name.clone())
    };
    let composite = |v: &[Option<crate::DepartmentScore>]| -> Vec<Option<f64>> {
        v.iter()
            .map(|d| d.as_ref().and_then(|d| d.composite))
            .collect()
    };
    let rank = |v: &[Option<crate::DepartmentScore>]| -> Vec<Option<u32>> {
        v.iter().map(|d| d.as_ref().and_then(|d| d.rank)).collect()
    };
    let (ca, cb) = (composite(&da), composite(&db));
    let (ra, rb) = (rank(&da), rank(&db));
    let explained: Vec<String> = ids.iter().map(|id| explained_by(id, rows)).collect();
    batch(vec![
        ("department_id", text(ids.iter().map(|id| Some(*id)))),
        ("name", text((0..ids.len()).map(name))),
        ("composite_base", float(ca.clone())),
        ("composite", float(cb.clone())),
        (
            "composite_change",
            float(ca.iter().zip(&cb).map(|(x, y)| difference(*x, *y))),
        ),
        ("rank_base", uint(ra.clone())),
        ("rank", uint(rb.clone())),
        (
            "rank_change",
            Arc::new(
                ra.iter()
                    .zip(&rb)
                    .map(|(x, y)| x.zip(*y).map(|(x, y)| i64::from(x) - i64::from(y)))
                    .collect::<Int64Array>(),
            ),
        ),
        ("grade_base", text(da.iter().map(|d| grade(base, d)))),
        ("grade", text(db.iter().map(|d| grade(now, d)))),
        ("explained_by", text(explained.iter().map(Some))),
    ])
}

#[cfg(test)]
mod tests {
    use super::published;

    #[test]
    fn published_numbers_carry_no_float_noise() {
        // Regression (float_noise_in_ranking): rank_p05 4.950000000000003, coverage
        // 1.0000000000000002 were published as computed.
        assert_eq!(published(4.950000000000003).to_string(), "4.95");
        assert_eq!(published(1.0000000000000002).to_string(), "1");
        assert_eq!(published(0.1 + 0.2).to_string(), "0.3");
        assert_eq!(published(-62.199999999999996).to_string(), "-62.2");
        // Meaningful digits stay: 12 significant ones.
        assert_eq!(published(123_456_789_012.0), 123_456_789_012.0);
        assert_eq!(published(0.123456789012).to_string(), "0.123456789012");
        assert_eq!(published(1.0e-20 / 3.0), 3.33333333333e-21);
        assert_eq!(published(9.87654321098765e20), 9.87654321099e20);
        assert!(published(f64::NAN).is_nan());
        assert_eq!(published(f64::INFINITY), f64::INFINITY);
    }
}
