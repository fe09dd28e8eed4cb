//! Improvement targets: for each ranked department and each KPI, the smallest change of
//! that KPI alone that lifts the department to the next grade, and the one that gains it
//! a rank.
//!
//! A target is exact to the scoring model: every candidate value is scored through the
//! same steps as [`crate::score()`], with the other departments' values and the
//! department's other KPIs fixed (only the changed KPI's steps run again, within the
//! department's peer group; the others' results are kept). So treatment, peer-group
//! normalisation, missing values, aggregation, ranking and grading are all recomputed
//! as the scorecard says. The search is a
//! bisection between the department's value (which does not reach the goal) and the
//! furthest value the KPI can take in its better direction (which must, else no single
//! KPI change suffices and there is no target). It stops when the two ends are within
//! [`PRECISION`] of each other, relative to the value, and returns the end that reaches
//! the goal. The furthest value is 1 (or 0) for a KPI whose unit is `ratio`, and
//! otherwise the best value any department has this period: a target beyond what anyone
//! achieves is not offered.

use appraise_kpi::Direction;

use crate::score::{Input, Rescore, Scores, Scratch};
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
    let rescore = Rescore::new(card, input)?;
    let n_kpi = now.kpis.len();
    // Each KPI's direction and furthest value, worked out once.
    let bounds: Vec<Option<(bool, f64)>> = now.kpis.iter().map(|kpi| bound(input, kpi)).collect();
    let ranked: Vec<(usize, Standing)> = now
        .departments
        .iter()
        .enumerate()
        .filter_map(|(d, dep)| Some((d, (dep.grade?, dep.rank?))))
        .collect();
    // One job per KPI, each with its own scratch copy of the scoring.
    let kpis: Vec<usize> = (0..n_kpi).collect();
    let found = appraise_data::parallel::on_every_core(&kpis, |&k| {
        let kpi = &now.kpis[k];
        let mut scratch = rescore.scratch();
        let mut out = Vec::new();
        for &(d, standing) in &ranked {
            let Some(value) = now.cell(d, k).value else {
                continue;
            };
            let id = &now.departments[d].department.id;
            let Some(search) = bounds[k].and_then(|b| Search::new(&rescore, b, id, kpi, value))
            else {
                continue;
            };
            for goal in [Goal::NextGrade, Goal::NextRank] {
                let reached = |s: Standing| match goal {
                    Goal::NextGrade => s.0 < standing.0,
                    Goal::NextRank => s.1 < standing.1,
                };
                if let Some((target, (grade, rank))) = search.find(&mut scratch, &reached) {
                    out.push((
                        d,
                        Target {
                            department_id: id.clone(),
                            kpi: kpi.clone(),
                            value,
                            target,
                            goal,
                            grade,
                            rank,
                        },
                    ));
                }
            }
        }
        Ok::<_, Error>(out)
    })?;
    // Department by department, each in the scorecard's KPI order.
    let mut found: Vec<(usize, Target)> = found.into_iter().flatten().collect();
    found.sort_by_key(|(d, _)| *d);
    Ok(found.into_iter().map(|(_, t)| t).collect())
}

/// Whether higher values of `kpi` are better, and the furthest value it can take that
/// way: 1 or 0 for a rate, else the best value of any department this period; `None`
/// for a KPI outside the library or without a value.
fn bound(input: &Input<'_>, kpi: &str) -> Option<(bool, f64)> {
    let def = input.library.iter().find(|d| d.id == kpi)?;
    let higher = def.direction == Direction::Higher;
    if def.unit.as_deref() == Some("ratio") {
        return Some((higher, if higher { 1.0 } else { 0.0 }));
    }
    let seen = input
        .matrix
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
    best.is_finite().then_some((higher, best))
}

/// The search over one department's value of one KPI.
struct Search<'a> {
    rescore: &'a Rescore<'a>,
    /// The department's and the KPI's positions in the scoring.
    department: usize,
    kpi: usize,
    value: f64,
    /// The furthest value in the KPI's better direction.
    bound: f64,
}

impl<'a> Search<'a> {
    /// `None` where the KPI cannot move in its better direction (higher is better,
    /// and `bound` its furthest value): the department has the best value there is.
    fn new(
        rescore: &'a Rescore<'a>,
        (higher, bound): (bool, f64),
        department: &str,
        kpi: &str,
        value: f64,
    ) -> Option<Search<'a>> {
        let better = if higher { bound > value } else { bound < value };
        better.then_some(Search {
            rescore,
            department: rescore.position(department)?,
            kpi: rescore.kpi(kpi)?,
            value,
            bound,
        })
    }

    /// The value closest to the department's own that reaches the goal, with the
    /// standing it gives; `None` when even the bound does not.
    fn find(
        &self,
        scratch: &mut Scratch,
        reached: &dyn Fn(Standing) -> bool,
    ) -> Option<(f64, Standing)> {
        let mut reaches = |x: f64| {
            self.rescore
                .standing(scratch, self.department, self.kpi, x)
                .filter(|&s| reached(s))
        };
        let mut at = reaches(self.bound)?;
        // `short` never reaches the goal, `long` always does.
        let (mut short, mut long) = (self.value, self.bound);
        while (long - short).abs() > PRECISION * long.abs().max(short.abs()).max(f64::MIN_POSITIVE)
        {
            let mid = short + (long - short) / 2.0;
            if mid == short || mid == long {
                break;
            }
            match reaches(mid) {
                Some(s) => {
                    long = mid;
                    at = s;
                }
                None => short = mid,
            }
        }
        Some((long, at))
    }
}
