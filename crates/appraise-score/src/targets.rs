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
    /// Whether the target lies within the KPI's plausible reach ([`plausible_cap`]).
    pub plausible: bool,
}

/// Where a department stands: its grade (band position) and rank.
type Standing = (usize, u32);

/// The targets of every ranked department on every KPI it has a value of, for both
/// goals; none where no change of that KPI alone reaches the goal. `history` (earlier
/// periods, scored through the same scorecard) tells which targets are plausible.
pub fn targets(
    card: &Scorecard,
    input: &Input<'_>,
    now: &Scores,
    history: &[Scores],
) -> Result<Vec<Target>, Error> {
    let rescore = Rescore::new(card, input)?;
    let n_kpi = now.kpis.len();
    // Each KPI's direction, furthest value and best value, worked out once.
    let bounds: Vec<Option<(bool, f64)>> = now.kpis.iter().map(|kpi| bound(input, kpi)).collect();
    let seen: Vec<Option<(bool, f64)>> = now.kpis.iter().map(|kpi| observed(input, kpi)).collect();
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
            let (higher, best) = seen[k].unwrap_or((true, value));
            let cap = plausible_cap(value, higher, best, own_best(history, id, kpi, higher));
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
                            plausible: if higher { target <= cap } else { target >= cap },
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
    observed(input, kpi)
}

/// Whether higher values of `kpi` are better, and the best value any department has
/// this period; `None` for a KPI outside the library or without a value.
fn observed(input: &Input<'_>, kpi: &str) -> Option<(bool, f64)> {
    let def = input.library.iter().find(|d| d.id == kpi)?;
    let higher = def.direction == Direction::Higher;
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

/// The department's best value of `kpi` in the periods of `history` (highest where
/// `higher` is better, else lowest), if it has one.
fn own_best(history: &[Scores], department: &str, kpi: &str, higher: bool) -> Option<f64> {
    history
        .iter()
        .filter_map(|h| {
            let k = h.kpis.iter().position(|x| x == kpi)?;
            h.cell(h.position(department)?, k).value
        })
        .filter(|x| x.is_finite())
        .reduce(if higher { f64::max } else { f64::min })
}

/// How far a KPI of value `v` plausibly moves in one period: to `v` × [`MAX_FACTOR`]
/// where `higher` values are better (÷ where lower are), or to the department's `own`
/// best of earlier periods if that is further; never beyond `best`, the best value
/// any department has this period.
pub fn plausible_cap(v: f64, higher: bool, best: f64, own: Option<f64>) -> f64 {
    let doubled = if higher {
        v * MAX_FACTOR
    } else {
        v / MAX_FACTOR
    };
    let reach = own.map_or(doubled, |o| {
        if higher {
            o.max(doubled)
        } else {
            o.min(doubled)
        }
    });
    if higher {
        reach.min(best)
    } else {
        reach.max(best)
    }
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

/// How far a KPI plausibly moves in one period ([`plausible_cap`]): to twice its value
/// where higher is better, to half where lower is (unless the department's own history
/// reaches further).
pub const MAX_FACTOR: f64 = 2.0;

/// The most KPIs a route of the cheapest kind changes together; where none of them
/// reaches the next grade, a broad route moves more.
pub const MAX_STEPS: usize = 3;

/// How many KPIs the routes of two to [`MAX_STEPS`] KPIs choose among: those whose
/// move to their cap alone raises the composite most. A route of one KPI may take
/// any.
pub const CANDIDATES: usize = 6;

/// How close the two ends of a route's search come, in ln f, before it stops: a
/// millionth of the factor, far below the precision a target is printed at.
const ROUTE_PRECISION: f64 = 1e-6;

/// One KPI of a [`Route`]: from its value to its target.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    /// The KPI changed.
    pub kpi: String,
    /// Its value now.
    pub value: f64,
    /// The value the route asks for.
    pub target: f64,
}

impl Step {
    /// How many times better the target is than the value ([`factor`]).
    pub fn factor(&self) -> f64 {
        factor(self.value, self.target)
    }
}

/// How many times better `target` is than `value` (both positive): target ÷ value
/// where it is higher, value ÷ target where lower; always ≥ 1.
pub fn factor(value: f64, target: f64) -> f64 {
    let f = target / value;
    if f >= 1.0 { f } else { 1.0 / f }
}

/// A department's least-effort way to the next grade within plausible moves
/// ([`routes`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Route {
    /// The department.
    pub department_id: String,
    /// The KPIs changed, in the scorecard's order.
    pub steps: Vec<Step>,
    /// The route's effort: the sum over its steps of (factor − 1), the relative
    /// changes it asks for (0.25 = a quarter better on one KPI).
    pub effort: f64,
    /// Whether every step stays within its [`plausible_cap`]. Only where no such
    /// route exists are the steps allowed as far as the best value this period.
    pub plausible: bool,
    /// The grade (band position) the route gives.
    pub grade: usize,
    /// The rank the route gives.
    pub rank: u32,
}

/// Each department's route to the next grade, if it has one: the KPIs it changes,
/// each moved by the same factor `f` in its better direction and stopped at its
/// [`plausible_cap`], with the least effort that reaches a better grade. Every KPI
/// alone is tried, and sets of two to [`MAX_STEPS`] KPIs among the [`CANDIDATES`] that
/// gain the composite most; where none reaches, the broad route moves the fewest KPIs, those that gain
/// most, that do. Where no route reaches within the plausible caps, the same search
/// runs with each KPI allowed as far as the best value any department has this period
/// (a route that is not [`Route::plausible`]). A KPI whose value is 0 or less has no
/// relative change and is left out. `history` holds earlier periods, scored through
/// the same scorecard.
pub fn routes(
    card: &Scorecard,
    input: &Input<'_>,
    now: &Scores,
    history: &[Scores],
) -> Result<Vec<Route>, Error> {
    let rescore = Rescore::new(card, input)?;
    let seen: Vec<Option<(bool, f64)>> = now.kpis.iter().map(|kpi| observed(input, kpi)).collect();
    // Departments below the top grade, with their standing.
    let below: Vec<(usize, Standing)> = now
        .departments
        .iter()
        .enumerate()
        .filter_map(|(d, dep)| Some((d, (dep.grade?, dep.rank?))))
        .filter(|(_, (grade, _))| *grade > 0)
        .collect();
    let found = appraise_data::parallel::on_every_core(&below, |&(d, standing)| {
        let id = &now.departments[d].department.id;
        let Some(at) = rescore.position(id) else {
            return Ok::<_, Error>(None);
        };
        // Each KPI the department can move: its position, value, direction and cap.
        let mut movable = Vec::new();
        for (k, kpi) in now.kpis.iter().enumerate() {
            let (Some(v), Some((higher, best)), Some(pos)) =
                (now.cell(d, k).value, seen[k], rescore.kpi(kpi))
            else {
                continue;
            };
            let cap = plausible_cap(v, higher, best, own_best(history, id, kpi, higher));
            // A cap of 0 (lower is better) has no finite factor: half the value, or
            // the plausible cap, stands in for it.
            let cap = if cap > 0.0 { cap } else { v / MAX_FACTOR };
            let wide = if best > 0.0 { best } else { cap };
            let moves = if higher { wide > v } else { wide < v };
            if v.is_finite() && v > 0.0 && moves {
                movable.push(Movable {
                    kpi: pos,
                    id: kpi.clone(),
                    value: v,
                    higher,
                    caps: [cap, wide],
                });
            }
        }
        let reached = |s: Standing| s.0 < standing.0;
        let mut scratch = rescore.scratch();
        for tier in [PLAUSIBLE, WIDE] {
            let Some((effort, f, set, (grade, rank))) =
                cheapest(&rescore, &mut scratch, at, &movable, tier, &reached)
            else {
                continue;
            };
            let steps = set
                .iter()
                .map(|&i| {
                    let m = &movable[i];
                    Step {
                        kpi: m.id.clone(),
                        value: m.value,
                        target: m.at(f, tier),
                    }
                })
                .collect();
            return Ok(Some(Route {
                department_id: id.clone(),
                steps,
                effort,
                plausible: tier == PLAUSIBLE,
                grade,
                rank,
            }));
        }
        Ok(None)
    })?;
    Ok(found.into_iter().flatten().collect())
}

/// The caps a route's steps stop at: [`plausible_cap`], or the best value this period.
const PLAUSIBLE: usize = 0;
const WIDE: usize = 1;

/// A KPI a route may change.
struct Movable {
    /// Its position in the scoring.
    kpi: usize,
    id: String,
    value: f64,
    higher: bool,
    /// How far it may move: plausibly, and at most.
    caps: [f64; 2],
}

impl Movable {
    /// The factor at which the KPI reaches its cap of `tier`.
    fn cap_factor(&self, tier: usize) -> f64 {
        factor(self.value, self.caps[tier])
    }

    /// The KPI's value moved by factor `f` in its better direction, stopped at its cap
    /// of `tier`.
    fn at(&self, f: f64, tier: usize) -> f64 {
        if f >= self.cap_factor(tier) {
            self.caps[tier]
        } else if self.higher {
            self.value * f
        } else {
            self.value / f
        }
    }
}

/// The effort of moving the KPIs of `set` by factor `f`: the sum of their relative
/// changes, each stopped at its cap.
fn effort(movable: &[Movable], set: &[usize], f: f64, tier: usize) -> f64 {
    set.iter()
        .map(|&i| f.min(movable[i].cap_factor(tier)) - 1.0)
        .sum()
}

/// The route found for one department: its effort, factor, the members of
/// `movable` it moves (in order) and the standing it gives.
type Found = (f64, f64, Vec<usize>, Standing);

/// The least-effort set of KPIs that reaches the goal within the caps of `tier`
/// ([`routes`]): each KPI alone, then pairs and triples of the candidates; a set is
/// searched only up to the factor where its effort equals the best found so far (it
/// cannot do better beyond). Failing those, the broad route: the `m` KPIs that gain most, for the
/// smallest `m` that reaches the goal.
fn cheapest(
    rescore: &Rescore<'_>,
    scratch: &mut Scratch,
    department: usize,
    movable: &[Movable],
    tier: usize,
    reached: &dyn Fn(Standing) -> bool,
) -> Option<Found> {
    let mut changes = Vec::with_capacity(movable.len());
    let mut score_at = |set: &[usize], f: f64| {
        changes.clear();
        changes.extend(
            set.iter()
                .map(|&i| (movable[i].kpi, movable[i].at(f, tier))),
        );
        rescore.standing_with(scratch, department, &changes)
    };
    // The KPIs that raise the composite at their cap, most first.
    let now = score_at(&[], 1.0).map_or(f64::NEG_INFINITY, |(_, c)| c);
    let mut gains: Vec<(usize, f64)> = (0..movable.len())
        .filter_map(|i| {
            let (_, c) = score_at(&[i], movable[i].cap_factor(tier))?;
            (c > now).then_some((i, c - now))
        })
        .collect();
    gains.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    let ordered: Vec<usize> = gains.iter().map(|g| g.0).collect();
    // The smallest factor up to `limit` at which `set` reaches the goal, with the
    // standing it gives; `None` where `limit` does not.
    let mut search = |set: &[usize], limit: f64| {
        smallest_factor(limit, |f| {
            score_at(set, f).map(|(s, _)| s).filter(|&s| reached(s))
        })
    };
    let most = |set: &[usize]| {
        set.iter()
            .map(|&i| movable[i].cap_factor(tier))
            .fold(1.0, f64::max)
    };
    let mut best: Option<Found> = None;
    for set in route_sets(&ordered) {
        let most = most(&set);
        // The factor beyond which this set costs more than the best so far.
        let limit = match &best {
            Some((e, ..)) if effort(movable, &set, most, tier) > *e => {
                within_effort(movable, &set, most, tier, *e)
            }
            _ => most,
        };
        let Some((f, at)) = search(&set, limit) else {
            continue;
        };
        let e = effort(movable, &set, f, tier);
        if best.as_ref().is_none_or(|b| e < b.0) {
            best = Some((e, f, set, at));
        }
    }
    if best.is_some() {
        return best;
    }
    (MAX_STEPS + 1..=ordered.len()).find_map(|m| {
        let mut set: Vec<usize> = ordered[..m].to_vec();
        set.sort_unstable();
        let (f, at) = search(&set, most(&set))?;
        Some((effort(movable, &set, f, tier), f, set, at))
    })
}

/// The smallest factor up to `limit` at which `reaching` gives a standing (it does for
/// every larger factor), with that standing; `None` where `limit` gives none. Bisects
/// ln f to [`ROUTE_PRECISION`].
fn smallest_factor(
    limit: f64,
    mut reaching: impl FnMut(f64) -> Option<Standing>,
) -> Option<(f64, Standing)> {
    let mut at = reaching(limit)?;
    // `short` never reaches the goal, `long` always does.
    let (mut short, mut long) = (0.0f64, limit.ln());
    for _ in 0..64 {
        if long - short <= ROUTE_PRECISION {
            break;
        }
        let mid = (short + long) / 2.0;
        match reaching(mid.exp()) {
            Some(s) => {
                long = mid;
                at = s;
            }
            None => short = mid,
        }
    }
    Some((long.exp(), at))
}

/// The sets of KPIs [`cheapest`] tries, of `ordered` (the KPIs that gain, most
/// first): every KPI alone, then the pairs and triples of the first [`CANDIDATES`],
/// each set in increasing order.
fn route_sets(ordered: &[usize]) -> Vec<Vec<usize>> {
    let mut candidates: Vec<usize> = ordered.iter().copied().take(CANDIDATES).collect();
    candidates.sort_unstable();
    let mut singles: Vec<usize> = ordered.to_vec();
    singles.sort_unstable();
    let pairs_and_triples = subsets(candidates.len(), MAX_STEPS)
        .into_iter()
        .filter(|set| set.len() > 1)
        .map(|set| set.iter().map(|&i| candidates[i]).collect());
    singles
        .iter()
        .map(|&i| vec![i])
        .chain(pairs_and_triples)
        .collect()
}

/// The largest factor up to `most` at which moving `set` costs no more effort than
/// `budget` (by bisection; the effort grows with the factor).
fn within_effort(movable: &[Movable], set: &[usize], most: f64, tier: usize, budget: f64) -> f64 {
    let (mut lo, mut hi) = (1.0, most);
    for _ in 0..60 {
        let mid = (lo + hi) / 2.0;
        if effort(movable, set, mid, tier) > budget {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    lo
}

/// Every set of 1 to `most` of `0..n`, smallest first, each in increasing order.
fn subsets(n: usize, most: usize) -> Vec<Vec<usize>> {
    let mut out: Vec<Vec<usize>> = Vec::new();
    let mut layer: Vec<Vec<usize>> = vec![Vec::new()];
    for _ in 0..most.min(n) {
        layer = layer
            .iter()
            .flat_map(|set| {
                let from = set.last().map_or(0, |&l| l + 1);
                (from..n).map(move |i| {
                    let mut next = set.clone();
                    next.push(i);
                    next
                })
            })
            .collect();
        out.extend(layer.iter().cloned());
    }
    out
}
