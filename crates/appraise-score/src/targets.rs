//! Improvement targets: for each ranked department and each KPI, the smallest change of
//! that KPI alone that lifts the department to the next grade, and the one that gains it
//! a rank.
//!
//! A target is exact to the scoring model: every candidate value is scored by
//! [`crate::score()`] itself (without the rates' intervals, which scores do not use), with the other departments' values and the department's other
//! KPIs fixed. So treatment, peer-group normalisation, missing values, aggregation,
//! ranking and grading are all recomputed as the scorecard says. The search is a
//! bisection between the department's value (which does not reach the goal) and the
//! furthest value the KPI can take in its better direction (which must, else no single
//! KPI change suffices and there is no target). It stops when the two ends are within
//! [`PRECISION`] of each other, relative to the value, and returns the end that reaches
//! the goal. The furthest value is 1 (or 0) for a KPI whose unit is `ratio`, and
//! otherwise the best value any department has this period: a target beyond what anyone
//! achieves is not offered.

use appraise_kpi::{Direction, KpiMatrix};

use crate::score::{Input, Scores, score_with};
use crate::{Error, Scorecard};

/// How close the two ends of the bisection come, relative to the larger of them, before
/// the search stops: far below the 1e-6 a target is checked to.
pub const PRECISION: f64 = 1e-8;

/// What a target is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Goal {
    /// A better grade than the department has.
    NextGrade,
    /// A better rank than the department has.
    NextRank,
}

impl Goal {
    /// `next_grade` or `next_rank`.
    pub fn name(self) -> &'static str {
        match self {
            Goal::NextGrade => "next_grade",
            Goal::NextRank => "next_rank",
        }
    }
}

/// One department's target on one KPI.
#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    /// The department.
    pub department_id: String,
    /// The KPI changed.
    pub kpi: String,
    /// Its value now.
    pub value: f64,
    /// The value that reaches the goal, the others fixed.
    pub target: f64,
    /// What the target reaches for.
    pub goal: Goal,
    /// The grade (band position) the target value gives.
    pub grade: usize,
    /// The rank the target value gives.
    pub rank: u32,
}

/// Where a department stands: its grade (band position) and rank.
type Standing = (usize, u32);

/// The targets of every ranked department on every KPI it has a value of, for both
/// goals; none where no change of that KPI alone reaches the goal.
pub fn targets(card: &Scorecard, input: &Input<'_>, now: &Scores) -> Result<Vec<Target>, Error> {
    let n_kpi = now.kpis.len();
    let mut jobs = Vec::new();
    for (d, dep) in now.departments.iter().enumerate() {
        let (Some(grade), Some(rank)) = (dep.grade, dep.rank) else {
            continue;
        };
        for k in 0..n_kpi {
            if let Some(value) = now.cell(d, k).value {
                jobs.push((d, k, value, (grade, rank)));
            }
        }
    }
    let found = appraise_data::parallel::on_every_core(&jobs, |&(d, k, value, standing)| {
        let id = &now.departments[d].department.id;
        let kpi = &now.kpis[k];
        let Some(search) = Search::new(card, input, id, kpi, value)? else {
            return Ok(Vec::new());
        };
        let mut out = Vec::new();
        for goal in [Goal::NextGrade, Goal::NextRank] {
            let reached = |s: Standing| match goal {
                Goal::NextGrade => s.0 < standing.0,
                Goal::NextRank => s.1 < standing.1,
            };
            if let Some((target, (grade, rank))) = search.find(&reached)? {
                out.push(Target {
                    department_id: id.clone(),
                    kpi: kpi.clone(),
                    value,
                    target,
                    goal,
                    grade,
                    rank,
                });
            }
        }
        Ok::<_, Error>(out)
    })?;
    Ok(found.into_iter().flatten().collect())
}

/// The search over one department's value of one KPI.
struct Search<'a> {
    card: &'a Scorecard,
    input: &'a Input<'a>,
    department: &'a str,
    /// The matrix row changed.
    row: usize,
    value: f64,
    /// The furthest value in the KPI's better direction.
    bound: f64,
}

impl<'a> Search<'a> {
    /// `None` where the KPI cannot move in its better direction (the department has the
    /// best value there is, or the KPI is not in the matrix).
    fn new(
        card: &'a Scorecard,
        input: &'a Input<'a>,
        department: &'a str,
        kpi: &str,
        value: f64,
    ) -> Result<Option<Search<'a>>, Error> {
        let matrix = input.matrix;
        let Some(row) = matrix
            .values
            .iter()
            .position(|v| v.kpi == kpi && v.department_id == department)
        else {
            return Ok(None);
        };
        let Some(def) = input.library.iter().find(|d| d.id == kpi) else {
            return Ok(None);
        };
        let higher = def.direction == Direction::Higher;
        let bound = if def.unit.as_deref() == Some("ratio") {
            if higher { 1.0 } else { 0.0 }
        } else {
            let seen = matrix
                .values
                .iter()
                .filter(|v| v.kpi == kpi)
                .filter_map(|v| v.value)
                .filter(|x| x.is_finite());
            let best = if higher {
                seen.fold(f64::NEG_INFINITY, f64::max)
            } else {
                seen.fold(f64::INFINITY, f64::min)
            };
            if !best.is_finite() {
                return Ok(None);
            }
            best
        };
        let better = if higher { bound > value } else { bound < value };
        Ok(better.then_some(Search {
            card,
            input,
            department,
            row,
            value,
            bound,
        }))
    }

    /// The department's grade and rank with its value set to `x`.
    fn standing(&self, matrix: &mut KpiMatrix, x: f64) -> Result<Option<Standing>, Error> {
        matrix.values[self.row].value = Some(x);
        let input = Input {
            departments: self.input.departments,
            library: self.input.library,
            matrix,
        };
        let s = score_with(self.card, &input, false)?;
        Ok(s.position(self.department).and_then(|d| {
            let dep = &s.departments[d];
            dep.grade.zip(dep.rank)
        }))
    }

    /// The value closest to the department's own that reaches the goal, with the
    /// standing it gives; `None` when even the bound does not.
    fn find(&self, reached: &dyn Fn(Standing) -> bool) -> Result<Option<(f64, Standing)>, Error> {
        let mut matrix = self.input.matrix.clone();
        let reaches = |m: &mut KpiMatrix, x: f64| -> Result<Option<Standing>, Error> {
            Ok(self.standing(m, x)?.filter(|&s| reached(s)))
        };
        let Some(mut at) = reaches(&mut matrix, self.bound)? else {
            return Ok(None);
        };
        // `short` never reaches the goal, `long` always does.
        let (mut short, mut long) = (self.value, self.bound);
        while (long - short).abs() > PRECISION * long.abs().max(short.abs()).max(f64::MIN_POSITIVE)
        {
            let mid = short + (long - short) / 2.0;
            if mid == short || mid == long {
                break;
            }
            match reaches(&mut matrix, mid)? {
                Some(s) => {
                    long = mid;
                    at = s;
                }
                None => short = mid,
            }
        }
        Ok(Some((long, at)))
    }
}
