//! From the KPI matrix to ranked, graded departments: treat → normalise → missing
//! values → coverage → aggregate → rank → grade.

use std::collections::HashMap;

use appraise_data::Warning;
use appraise_kpi::{Direction, KpiDef, KpiMatrix};
use serde::Serialize;

use crate::flags::Flags;
use crate::scorecard::{
    Aggregation, GradeMethod, MissingRule, Normalisation, Scorecard, Shrink, Transform,
};
use crate::{Error, stats, treat};

/// Composites closer than this are tied.
pub const TIE: f64 = 1e-9;

/// A department as the scoring sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Department {
    /// Identifier.
    pub id: String,
    /// Display name.
    pub name: String,
    /// English name; empty where the data gives none.
    pub name_en: String,
    /// Administrative level.
    pub level: String,
    /// Group within which KPIs are normalised and group ranks given.
    pub peer_group: String,
}

/// What scoring needs: the departments, the KPI library (for directions) and the KPI
/// matrix of one period.
#[derive(Debug, Clone, Copy)]
pub struct Input<'a> {
    /// Every department to appraise.
    pub departments: &'a [Department],
    /// The KPI files, for each KPI's direction.
    pub library: &'a [KpiDef],
    /// The KPI values of the period.
    pub matrix: &'a KpiMatrix,
}

/// Whether a department is ranked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Enough of its KPI weight has values: ranked and graded.
    Ranked,
    /// Less than `min_coverage` of its KPI weight has values: listed, not ranked.
    InsufficientData,
}

impl Status {
    /// The name written in tables.
    pub fn name(self) -> &'static str {
        match self {
            Status::Ranked => "ranked",
            Status::InsufficientData => "insufficient_data",
        }
    }
}

/// One department × KPI.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Cell {
    /// The KPI value as computed (even when below `min_sample`).
    pub value: Option<f64>,
    /// The value after the transform (usable values only).
    pub treated: Option<f64>,
    /// The 0–100 score, from the value or the missing-value rule.
    pub score: Option<f64>,
    /// What was done on the way.
    pub flags: Flags,
    /// Its effective share of the department's composite (after renormalisation).
    pub weight: Option<f64>,
    /// What it adds to the composite (weight × score for arithmetic aggregation).
    pub contribution: Option<f64>,
    /// The median score of the department's peer group (departments with a value).
    pub peer_median: Option<f64>,
    /// For a rate KPI shrunk toward its peer group (`shrink`): the rate scored.
    pub shrunk: Option<f64>,
    /// For a rate KPI: its 95 % interval (Wilson's; the posterior's where shrunk).
    pub interval: Option<(f64, f64)>,
    /// For a rate KPI: the cases behind it (its denominator).
    pub cases: Option<f64>,
}

/// A value of the matrix as scoring reads it.
#[derive(Debug, Clone, Copy)]
struct Raw {
    value: f64,
    sample: Option<i64>,
    /// For a rate (a KPI whose unit is `ratio`): its denominator, when positive.
    cases: Option<f64>,
}

/// What the rate step makes of a rate: the value scored and its interval (none when
/// not asked for).
#[derive(Debug, Clone, Copy)]
struct Rate {
    shrunk: Option<f64>,
    interval: Option<(f64, f64)>,
    /// The rate's posterior Beta(a, b): its uncertainty, which the robustness analysis
    /// samples.
    posterior: (f64, f64),
}

/// One department's result.
#[derive(Debug, Clone, Serialize)]
pub struct DepartmentScore {
    /// The department.
    pub department: Department,
    /// Ranked or insufficient data.
    pub status: Status,
    /// Share of the nominal KPI weight with a usable value.
    pub coverage: f64,
    /// The composite score, 0–100.
    pub composite: Option<f64>,
    /// Dimension scores, in scorecard order.
    pub dimensions: Vec<Option<f64>>,
    /// Overall rank (standard competition ranking).
    pub rank: Option<u32>,
    /// Rank within the peer group.
    pub group_rank: Option<u32>,
    /// Index of the grade band in the scorecard.
    pub grade: Option<usize>,
}

/// The scored period.
#[derive(Debug, Clone)]
pub struct Scores {
    /// The period.
    pub period: appraise_kpi::Period,
    /// Departments, ordered by id; `cells` follow this order.
    pub departments: Vec<DepartmentScore>,
    /// KPI ids, in scorecard order.
    pub kpis: Vec<String>,
    /// Dimension ids, in scorecard order.
    pub dimensions: Vec<String>,
    /// `departments.len() × kpis.len()` cells, department-major.
    pub cells: Vec<Cell>,
    /// What an office should know (constant KPIs, values that could not be used).
    pub warnings: Vec<Warning>,
    pub(crate) model: Model,
}

impl Scores {
    /// The cell of department `d` and KPI `k` (positions).
    pub fn cell(&self, d: usize, k: usize) -> &Cell {
        &self.cells[d * self.kpis.len() + k]
    }

    /// The position of a department.
    pub fn position(&self, id: &str) -> Option<usize> {
        self.departments
            .binary_search_by(|d| d.department.id.as_str().cmp(id))
            .ok()
    }

    /// Department positions in report order: ranked ones by rank (ties by id), then the
    /// rest by id.
    pub fn ranking_order(&self) -> Vec<usize> {
        let mut order: Vec<usize> = (0..self.departments.len()).collect();
        order.sort_by_key(|&d| (self.departments[d].rank.unwrap_or(u32::MAX), d));
        order
    }

    /// Positions of the ranked departments.
    pub fn ranked(&self) -> Vec<usize> {
        (0..self.departments.len())
            .filter(|&d| self.departments[d].status == Status::Ranked)
            .collect()
    }
}

/// Everything scoring needs again for the robustness analysis: usable values by KPI
/// and peer group, and the rules.
#[derive(Debug, Clone)]
pub(crate) struct Model {
    pub n_dept: usize,
    pub kpi_dim: Vec<usize>,
    pub kpi_weight: Vec<f64>,
    pub dim_weight: Vec<f64>,
    pub aggregation: Aggregation,
    /// Department positions per peer group.
    pub groups: Vec<Vec<usize>>,
    /// KPI-major: the raw and treated value where usable.
    pub usable: Vec<Option<(f64, f64)>>,
    /// KPI-major: each rate's posterior Beta(a, b) as measured (the robustness
    /// analysis samples it; a search over values does not read it).
    pub posterior: Vec<Option<(f64, f64)>>,
    pub rules: Vec<Rule>,
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct Rule {
    pub transform: Transform,
    pub normalise: Normalisation,
    pub direction: Direction,
    pub missing: MissingRule,
    pub goalpost: (f64, f64),
}

/// Scores of every department × KPI under one normalisation choice.
#[derive(Clone)]
pub(crate) struct Normalised {
    /// Department-major; NaN where there is no score.
    pub scores: Vec<f64>,
    pub flags: Vec<Flags>,
    /// KPI-major per department: the peer median of the real scores.
    pub peer_median: Vec<Option<f64>>,
}

impl Normalised {
    /// No score yet for `n_dept` × `n_kpi` cells.
    pub(crate) fn new(n_dept: usize, n_kpi: usize) -> Normalised {
        Normalised {
            scores: vec![f64::NAN; n_dept * n_kpi],
            flags: vec![Flags::NONE; n_dept * n_kpi],
            peer_median: vec![None; n_dept * n_kpi],
        }
    }
}

impl Model {
    pub(crate) fn n_kpi(&self) -> usize {
        self.rules.len()
    }

    /// The share of the nominal KPI weight (`shares`) department `d` has a usable
    /// value of.
    fn coverage(&self, d: usize, shares: &[f64]) -> f64 {
        (0..self.n_kpi())
            .filter(|&k| self.usable[k * self.n_dept + d].is_some())
            .map(|k| shares[k])
            .sum()
    }

    /// The scorecard's weights and aggregation.
    pub(crate) fn weighting(&self) -> Weighting<'_> {
        Weighting {
            kpi_dim: &self.kpi_dim,
            kpi_weight: &self.kpi_weight,
            dim_weight: &self.dim_weight,
            aggregation: self.aggregation,
        }
    }

    /// Normalises every KPI within each peer group and applies the missing-value rule;
    /// `method` overrides the scorecard's normalisation of every KPI.
    pub(crate) fn normalise(&self, method: Option<Normalisation>) -> Normalised {
        let mut out = Normalised::new(self.n_dept, self.n_kpi());
        for k in 0..self.n_kpi() {
            self.normalise_kpi(k, method, &self.groups, &mut out);
        }
        out
    }

    /// [`Model::normalise`] of KPI `k` alone, within the peer groups `groups` (all of
    /// the model's, or some): writes their cells of KPI `k`'s column of `out`.
    pub(crate) fn normalise_kpi(
        &self,
        k: usize,
        method: Option<Normalisation>,
        groups: &[Vec<usize>],
        out: &mut Normalised,
    ) {
        let usable = &self.usable[k * self.n_dept..(k + 1) * self.n_dept];
        self.normalise_column(k, usable, method, groups, out);
    }

    /// [`Model::normalise_kpi`] with KPI `k`'s usable values given (`usable`, one per
    /// department) in place of the model's.
    pub(crate) fn normalise_column(
        &self,
        k: usize,
        usable: &[Option<(f64, f64)>],
        method: Option<Normalisation>,
        groups: &[Vec<usize>],
        out: &mut Normalised,
    ) {
        let n_kpi = self.n_kpi();
        let rule = &self.rules[k];
        let Normalised {
            scores,
            flags,
            peer_median,
        } = out;
        let method = method.unwrap_or(rule.normalise);
        for group in groups {
            let members: Vec<usize> = group
                .iter()
                .copied()
                .filter(|&d| usable[d].is_some())
                .collect();
            let values: Vec<f64> = members
                .iter()
                .filter_map(|&d| usable[d])
                .map(|(raw, treated)| match method {
                    Normalisation::Goalpost => raw,
                    _ => treated,
                })
                .collect();
            let (s, constant) = treat::normalise(method, rule.direction, &values, rule.goalpost);
            for (&d, &v) in members.iter().zip(&s) {
                scores[d * n_kpi + k] = v;
                if constant {
                    flags[d * n_kpi + k] |= Flags::CONSTANT;
                }
            }
            let median = stats::median(s.iter().copied());
            for &d in group {
                peer_median[d * n_kpi + k] = median;
                if usable[d].is_some() {
                    continue;
                }
                let (score, flag) = match rule.missing {
                    MissingRule::Zero => (0.0, Flags::IMPUTED_ZERO),
                    MissingRule::Median => match median {
                        Some(m) => (m, Flags::IMPUTED_MEDIAN),
                        None => (f64::NAN, Flags::EXCLUDED),
                    },
                    MissingRule::Exclude => (f64::NAN, Flags::EXCLUDED),
                };
                scores[d * n_kpi + k] = score;
                flags[d * n_kpi + k] |= flag;
            }
        }
    }
}

/// The weights and the rule that combine a row of KPI scores.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Weighting<'a> {
    pub kpi_dim: &'a [usize],
    pub kpi_weight: &'a [f64],
    pub dim_weight: &'a [f64],
    pub aggregation: Aggregation,
}

impl Weighting<'_> {
    /// Weighted mean of the present (non-NaN) scores of a row: `dims[j]` gets the score
    /// of dimension j (NaN when it has none) and the result is the composite (NaN when
    /// no dimension has a score). Weights are renormalised over what is present;
    /// geometric means floor every score at 1. `sum_w` is scratch space of the same
    /// length as `dims`.
    pub(crate) fn aggregate(&self, row: &[f64], dims: &mut [f64], sum_w: &mut [f64]) -> f64 {
        let composite = self.aggregate_lifted(row, false, dims, sum_w);
        if self.aggregation == Aggregation::Geometric {
            dims.iter_mut().for_each(|d| *d = d.exp());
        }
        composite
    }

    /// [`Weighting::aggregate`] where, for a geometric mean, `lifted` says the row
    /// already holds ln max(s, 1) (the Monte Carlo computes those logs once per
    /// normalisation instead of once per run), and the dimension scores are left as
    /// logs (the Monte Carlo needs only the composite).
    pub(crate) fn aggregate_lifted(
        &self,
        row: &[f64],
        lifted: bool,
        dims: &mut [f64],
        sum_w: &mut [f64],
    ) -> f64 {
        let geometric = self.aggregation == Aggregation::Geometric;
        dims.fill(0.0);
        sum_w.fill(0.0);
        for (k, &s) in row.iter().enumerate() {
            let w = self.kpi_weight[k];
            if s.is_nan() || w == 0.0 {
                continue;
            }
            let v = if geometric && !lifted { lift(s) } else { s };
            dims[self.kpi_dim[k]] += w * v;
            sum_w[self.kpi_dim[k]] += w;
        }
        // Geometric means are kept as logs until the end: a dimension's log mean is
        // already ≥ 0, i.e. its score is ≥ 1, so the floor needs no second pass.
        let (mut total, mut total_w) = (0.0, 0.0);
        for (j, d) in dims.iter_mut().enumerate() {
            if sum_w[j] == 0.0 {
                *d = f64::NAN;
                continue;
            }
            let mean = *d / sum_w[j];
            let w = self.dim_weight[j];
            if w > 0.0 {
                total += w * mean;
                total_w += w;
            }
            *d = mean;
        }
        if total_w == 0.0 {
            return f64::NAN;
        }
        let mean = total / total_w;
        if geometric { mean.exp() } else { mean }
    }
}

/// A score as the geometric mean takes it: ln max(s, 1); NaN (no score) stays NaN.
pub(crate) fn lift(s: f64) -> f64 {
    if s.is_nan() { s } else { s.max(1.0).ln() }
}

/// Standard competition ranks (1, 2, 2, 4), higher value first. `items` are
/// (position, value) in the order that breaks displayed ties (by department id); a
/// value within [`TIE`] of the first of a run of ties shares its rank.
pub fn competition_ranks(items: &[(usize, f64)]) -> Vec<(usize, u32)> {
    let mut sorted: Vec<(usize, f64)> = items.to_vec();
    // Positions are distinct, so the order is total and an unstable sort is exact.
    sorted.sort_unstable_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    let mut out = Vec::with_capacity(sorted.len());
    let mut leader = f64::NAN;
    let mut rank = 0;
    for (i, &(d, v)) in sorted.iter().enumerate() {
        if i == 0 || leader - v > TIE {
            leader = v;
            rank = i as u32 + 1;
        }
        out.push((d, rank));
    }
    out
}

/// Scores one period.
pub fn score(card: &Scorecard, input: &Input<'_>) -> Result<Scores, Error> {
    let Prepared {
        departments,
        raw,
        rates,
        model,
        flags,
        mut warnings,
        ..
    } = prepare(card, input, true)?;
    let (n_dept, n_kpi) = (model.n_dept, model.n_kpi());
    let normalised = model.normalise(None);
    for (k, rule) in card.kpis.iter().enumerate() {
        let constant =
            (0..n_dept).any(|d| normalised.flags[d * n_kpi + k].contains(Flags::CONSTANT));
        // Only minmax and zscore flag a group without spread.
        if constant {
            warnings.push(
                Warning::new(
                    "constant_kpi",
                    format!(
                        "KPI {} has the same value for every department of a peer group: \
                         minmax gives them all 100, zscore 50",
                        rule.id
                    ),
                )
                .arg("kpi", &rule.id),
            );
        }
    }

    let (mut scored, cells) = score_departments(
        card,
        departments,
        &model,
        &normalised,
        (&raw, &rates),
        &flags,
    );

    rank_and_grade(card, &mut scored, &model.groups);

    Ok(Scores {
        period: input.matrix.period.clone(),
        departments: scored,
        kpis: card.kpis.iter().map(|k| k.id.clone()).collect(),
        dimensions: card.dimensions.iter().map(|d| d.id.clone()).collect(),
        cells,
        warnings,
        model,
    })
}

/// A period scored, kept with what scoring computed on the way, to be scored again
/// with one value changed ([`Rescore::standing`]): only that value's KPI goes through
/// the rate step, treatment and normalisation again, and only within the department's
/// peer group (each of those steps works within a peer group, so the other groups'
/// results stand); then the group's composites and every rank and grade are
/// recomputed. The improvement targets' search, which a test checks against [`score`]
/// itself.
pub(crate) struct Rescore<'a> {
    card: &'a Scorecard,
    prepared: Prepared,
    normalised: Normalised,
    scored: Vec<DepartmentScore>,
    shares: Vec<f64>,
    /// Each department's peer group (a position in `prepared.model.groups`).
    group_of: Vec<usize>,
}

/// What [`Rescore::standing`] changes, copied once from the [`Rescore`] and reused: a
/// call resets the cells of the KPI and peer group it recomputes, so one scratch
/// serves any number of calls.
pub(crate) struct Scratch {
    raw: Vec<Option<Raw>>,
    rates: Vec<Option<Rate>>,
    values: Vec<Option<Raw>>,
    model: Model,
    flags: Vec<Flags>,
    normalised: Normalised,
    scored: Vec<DepartmentScore>,
    dims: Vec<f64>,
    sum_w: Vec<f64>,
}

impl<'a> Rescore<'a> {
    pub(crate) fn new(card: &'a Scorecard, input: &Input<'_>) -> Result<Rescore<'a>, Error> {
        let prepared = prepare(card, input, false)?;
        let normalised = prepared.model.normalise(None);
        let (mut scored, _) = score_departments(
            card,
            prepared.departments.clone(),
            &prepared.model,
            &normalised,
            (&prepared.raw, &prepared.rates),
            &prepared.flags,
        );
        rank_and_grade(card, &mut scored, &prepared.model.groups);
        let mut group_of = vec![0; prepared.model.n_dept];
        for (g, members) in prepared.model.groups.iter().enumerate() {
            for &d in members {
                group_of[d] = g;
            }
        }
        Ok(Rescore {
            card,
            prepared,
            normalised,
            scored,
            shares: card.nominal_shares(),
            group_of,
        })
    }

    /// The position of department `id` (departments are in id order).
    pub(crate) fn position(&self, id: &str) -> Option<usize> {
        self.scored
            .binary_search_by(|d| d.department.id.as_str().cmp(id))
            .ok()
    }

    /// The position of KPI `id`.
    pub(crate) fn kpi(&self, id: &str) -> Option<usize> {
        self.card.kpis.iter().position(|k| k.id == id)
    }

    /// A scratch copy of the scoring for [`Rescore::standing`].
    pub(crate) fn scratch(&self) -> Scratch {
        let p = &self.prepared;
        let n_dim = self.card.dimensions.len();
        Scratch {
            raw: p.raw.clone(),
            rates: p.rates.clone(),
            values: p.scored_values.clone(),
            model: p.model.clone(),
            flags: p.flags.clone(),
            normalised: self.normalised.clone(),
            scored: self.scored.clone(),
            dims: vec![0.0; n_dim],
            sum_w: vec![0.0; n_dim],
        }
    }

    /// Department `d`'s grade and rank with its value of KPI `k` set to `x` (all else
    /// as scored); `None` where it has no value of `k` or is not ranked.
    pub(crate) fn standing(
        &self,
        s: &mut Scratch,
        d: usize,
        k: usize,
        x: f64,
    ) -> Option<(usize, u32)> {
        self.standing_with(s, d, &[(k, x)])
            .map(|(standing, _)| standing)
    }

    /// Department `d`'s grade and rank, and its composite, with each KPI `k` of
    /// `changes` set to its `x` (all else as scored); `None` where it lacks a value of
    /// one of them or is not ranked. Each KPI appears once in `changes`.
    pub(crate) fn standing_with(
        &self,
        s: &mut Scratch,
        d: usize,
        changes: &[(usize, f64)],
    ) -> Option<((usize, u32), f64)> {
        let p = &self.prepared;
        let card = self.card;
        let (n, n_kpi) = (p.model.n_dept, p.model.n_kpi());
        let group = std::slice::from_ref(&p.model.groups[self.group_of[d]]);
        let members = &group[0];
        if changes.iter().any(|&(k, _)| s.raw[k * n + d].is_none()) {
            return None;
        }
        for &(k, x) in changes {
            if let Some(raw) = s.raw[k * n + d].as_mut() {
                raw.value = x;
            }
            for &e in members {
                let (i, j) = (k * n + e, e * n_kpi + k);
                s.rates[i] = None;
                s.model.usable[i] = None;
                s.flags[j] = Flags::NONE;
                s.normalised.scores[j] = f64::NAN;
                s.normalised.flags[j] = Flags::NONE;
                s.normalised.peer_median[j] = None;
            }
            rate_kpi(card, k, &s.raw, group, false, &mut s.rates);
            for &e in members {
                let i = k * n + e;
                s.values[i] = s.raw[i].map(|r| Raw {
                    value: s.rates[i].and_then(|x| x.shrunk).unwrap_or(r.value),
                    ..r
                });
            }
            treat_kpi(card, k, &s.values, group, &mut s.model.usable, &mut s.flags);
            s.model.normalise_kpi(k, None, group, &mut s.normalised);
        }
        for &e in members {
            let row = &s.normalised.scores[e * n_kpi..(e + 1) * n_kpi];
            let composite = s
                .model
                .weighting()
                .aggregate(row, &mut s.dims, &mut s.sum_w);
            let dep = &mut s.scored[e];
            dep.status = status(card, s.model.coverage(e, &self.shares), composite);
            dep.composite = Some(composite).filter(|c| !c.is_nan());
        }
        for dep in &mut s.scored {
            (dep.rank, dep.group_rank, dep.grade) = (None, None, None);
        }
        rank_and_grade(card, &mut s.scored, &s.model.groups);
        let standing = s.scored[d]
            .grade
            .zip(s.scored[d].rank)
            .zip(s.scored[d].composite);
        // Back to the period as scored, for the next call.
        for &(k, _) in changes {
            s.raw[k * n + d] = p.raw[k * n + d];
            for &e in members {
                let (i, j) = (k * n + e, e * n_kpi + k);
                s.rates[i] = p.rates[i];
                s.values[i] = p.scored_values[i];
                s.model.usable[i] = p.model.usable[i];
                s.flags[j] = p.flags[j];
                s.normalised.scores[j] = self.normalised.scores[j];
                s.normalised.flags[j] = self.normalised.flags[j];
                s.normalised.peer_median[j] = self.normalised.peer_median[j];
            }
        }
        for &e in members {
            s.scored[e].status = self.scored[e].status;
            s.scored[e].composite = self.scored[e].composite;
        }
        standing
    }
}

/// What scoring computes before it normalises: the departments in order, their peer
/// groups, the matrix's values, the rate step, the treatment and the model.
#[derive(Clone)]
struct Prepared {
    departments: Vec<Department>,
    raw: Vec<Option<Raw>>,
    rates: Vec<Option<Rate>>,
    /// `raw` with shrunk rates in place of the measured ones: what is treated.
    scored_values: Vec<Option<Raw>>,
    model: Model,
    /// The treatment's flags, department-major.
    flags: Vec<Flags>,
    warnings: Vec<Warning>,
}

/// Prepares `input` for scoring, with the rates' intervals or without them (a search
/// over values does not read them).
fn prepare(card: &Scorecard, input: &Input<'_>, intervals: bool) -> Result<Prepared, Error> {
    let mut departments: Vec<Department> = input.departments.to_vec();
    departments.sort_by(|a, b| a.id.cmp(&b.id));
    if let Some(w) = departments.windows(2).find(|w| w[0].id == w[1].id) {
        return Err(Error::Input {
            reason: format!("department {:?} is listed twice", w[0].id),
        });
    }
    let n_dept = departments.len();
    let mut warnings = Vec::new();

    let mut named: Vec<(&str, Vec<usize>)> = Vec::new();
    for (d, dep) in departments.iter().enumerate() {
        match named.iter_mut().find(|(g, _)| *g == dep.peer_group) {
            Some((_, members)) => members.push(d),
            None => named.push((&dep.peer_group, vec![d])),
        }
    }
    let groups: Vec<Vec<usize>> = named.into_iter().map(|(_, m)| m).collect();

    let raw = raw_values(card, input, &departments, &mut warnings);
    let rates = rate_values(card, &raw, &groups, intervals);
    // Shrunk rates are what is treated and scored; the cells keep the value measured.
    let scored_values: Vec<Option<Raw>> = raw
        .iter()
        .zip(&rates)
        .map(|(r, rate)| {
            r.map(|r| Raw {
                value: rate.and_then(|x| x.shrunk).unwrap_or(r.value),
                ..r
            })
        })
        .collect();
    let Treated {
        rules,
        usable,
        flags,
    } = treat_values(card, input, &scored_values, &groups, n_dept, &mut warnings)?;

    let model = Model {
        n_dept,
        kpi_dim: card
            .kpis
            .iter()
            .map(|k| card.dimension_index(&k.dimension))
            .collect(),
        kpi_weight: card.kpis.iter().map(|k| k.weight).collect(),
        dim_weight: card.dimensions.iter().map(|d| d.weight).collect(),
        aggregation: card.aggregation,
        groups,
        usable,
        posterior: rates.iter().map(|r| r.map(|r| r.posterior)).collect(),
        rules,
    };
    Ok(Prepared {
        departments,
        raw,
        rates,
        scored_values,
        model,
        flags,
        warnings,
    })
}

/// Ranked, or not for want of coverage or of any score.
fn status(card: &Scorecard, coverage: f64, composite: f64) -> Status {
    if coverage >= card.min_coverage - TIE && !composite.is_nan() {
        Status::Ranked
    } else {
        Status::InsufficientData
    }
}

/// Each department's coverage, dimension scores and composite, and its cells (value,
/// treated value, score, flags, effective weight, contribution, peer median).
fn score_departments(
    card: &Scorecard,
    departments: Vec<Department>,
    model: &Model,
    normalised: &Normalised,
    (raw, rates): (&[Option<Raw>], &[Option<Rate>]),
    flags: &[Flags],
) -> (Vec<DepartmentScore>, Vec<Cell>) {
    let (n_dept, n_kpi) = (model.n_dept, card.kpis.len());
    let shares = card.nominal_shares();
    let n_dim = card.dimensions.len();
    let (mut dims, mut sum_w) = (vec![0.0; n_dim], vec![0.0; n_dim]);
    let mut scored: Vec<DepartmentScore> = Vec::with_capacity(n_dept);
    let mut cells: Vec<Cell> = Vec::with_capacity(n_dept * n_kpi);
    for (d, department) in departments.into_iter().enumerate() {
        let row = &normalised.scores[d * n_kpi..(d + 1) * n_kpi];
        let coverage = model.coverage(d, &shares);
        let composite = model.weighting().aggregate(row, &mut dims, &mut sum_w);
        let weights = effective_weights(row, model);
        for k in 0..n_kpi {
            let i = d * n_kpi + k;
            let score = Some(row[k]).filter(|s| !s.is_nan());
            let contribution = weights[k].zip(score).map(|(w, s)| match model.aggregation {
                Aggregation::Arithmetic => w * s,
                Aggregation::Geometric => geometric_contribution(w, s, composite, row, &weights),
            });
            cells.push(Cell {
                value: raw[k * n_dept + d].map(|v| v.value),
                treated: model.usable[k * n_dept + d].map(|v| v.1),
                score,
                flags: flags[i]
                    | normalised.flags[i]
                    | match raw[k * n_dept + d].and_then(|r| r.cases) {
                        Some(n) if n < crate::rates::LOW_N => Flags::LOW_N,
                        _ => Flags::NONE,
                    },
                weight: weights[k],
                contribution,
                peer_median: normalised.peer_median[i],
                shrunk: rates[k * n_dept + d].and_then(|r| r.shrunk),
                interval: rates[k * n_dept + d].and_then(|r| r.interval),
                cases: raw[k * n_dept + d].and_then(|r| r.cases),
            });
        }
        let status = status(card, coverage, composite);
        scored.push(DepartmentScore {
            department,
            status,
            coverage,
            composite: Some(composite).filter(|c| !c.is_nan()),
            dimensions: dims
                .iter()
                .map(|&x| Some(x).filter(|x| !x.is_nan()))
                .collect(),
            rank: None,
            group_rank: None,
            grade: None,
        });
    }

    (scored, cells)
}

/// The KPI values and sample sizes of the matrix, KPI-major (`None`: no value); values
/// of departments outside the list are counted in a warning, not scored.
fn raw_values(
    card: &Scorecard,
    input: &Input<'_>,
    departments: &[Department],
    warnings: &mut Vec<Warning>,
) -> Vec<Option<Raw>> {
    let n_dept = departments.len();
    let dept_pos: HashMap<&str, usize> = departments
        .iter()
        .enumerate()
        .map(|(i, d)| (d.id.as_str(), i))
        .collect();
    let kpi_pos: HashMap<&str, usize> = card
        .kpis
        .iter()
        .enumerate()
        .map(|(i, k)| (k.id.as_str(), i))
        .collect();
    let is_rate: Vec<bool> = card
        .kpis
        .iter()
        .map(|k| {
            input
                .library
                .iter()
                .any(|d| d.id == k.id && d.unit.as_deref() == Some("ratio"))
        })
        .collect();
    let mut raw = vec![None; card.kpis.len() * n_dept];
    let mut unknown = 0usize;
    for v in &input.matrix.values {
        let (Some(&k), Some(&d)) = (
            kpi_pos.get(v.kpi.as_str()),
            dept_pos.get(v.department_id.as_str()),
        ) else {
            unknown += usize::from(!dept_pos.contains_key(v.department_id.as_str()));
            continue;
        };
        raw[k * n_dept + d] = v.value.map(|value| Raw {
            value,
            sample: v.sample_size,
            cases: v
                .denominator
                .filter(|&n| is_rate[k] && n > 0.0 && n.is_finite() && value.is_finite()),
        });
    }
    if unknown > 0 {
        warnings.push(
            Warning::new(
                "values_of_unknown_departments",
                format!(
                    "{unknown} KPI values name departments outside the department list and \
                     are not scored"
                ),
            )
            .arg("count", unknown),
        );
    }
    raw
}

/// The rate step, KPI-major: for every rate with cases, its 95 % interval, and for a
/// KPI the scorecard shrinks, its rate shrunk toward its peer group's (a Beta prior
/// fitted on the group's rates, [`crate::rates::Prior`]) with the posterior interval.
fn rate_values(
    card: &Scorecard,
    raw: &[Option<Raw>],
    groups: &[Vec<usize>],
    intervals: bool,
) -> Vec<Option<Rate>> {
    let mut out = vec![None; raw.len()];
    for k in 0..card.kpis.len() {
        rate_kpi(card, k, raw, groups, intervals, &mut out);
    }
    out
}

/// [`rate_values`] of KPI `k` alone: writes its part of `out`.
fn rate_kpi(
    card: &Scorecard,
    k: usize,
    raw: &[Option<Raw>],
    groups: &[Vec<usize>],
    intervals: bool,
    out: &mut [Option<Rate>],
) {
    use crate::rates::{JEFFREYS, Prior, Z95, wilson};
    let n_dept = raw.len() / card.kpis.len().max(1);
    let rule = &card.kpis[k];
    for members in groups {
        // (department, x, n): the cases counted and the cases.
        let counted: Vec<(usize, f64, f64)> = members
            .iter()
            .filter_map(|&d| {
                let r = raw[k * n_dept + d]?;
                let n = r.cases?;
                Some((d, r.value.clamp(0.0, 1.0) * n, n))
            })
            .collect();
        let prior = match rule.shrink {
            Shrink::None => None,
            Shrink::BetaBinomial => {
                let pairs: Vec<(f64, f64)> = counted.iter().map(|c| (c.1, c.2)).collect();
                Prior::fit(&pairs)
            }
        };
        for (d, x, n) in counted {
            out[k * n_dept + d] = Some(match prior {
                Some(p) => Rate {
                    shrunk: Some(p.shrink(x, n)),
                    interval: intervals.then(|| p.interval(x, n)),
                    posterior: p.posterior(x, n),
                },
                None => Rate {
                    shrunk: None,
                    interval: intervals.then(|| wilson(x, n, Z95)),
                    posterior: JEFFREYS.posterior(x, n),
                },
            });
        }
    }
}

/// What treatment makes of the raw values: each KPI's rule, the usable (raw, treated)
/// values (KPI-major) and the flags of each cell (department-major).
struct Treated {
    rules: Vec<Rule>,
    usable: Vec<Option<(f64, f64)>>,
    flags: Vec<Flags>,
}

/// Checks each KPI's sample sizes against its `min_sample` and treats (transforms) its
/// values within each peer group; a KPI without sample sizes gets a warning when it has
/// a `min_sample`.
fn treat_values(
    card: &Scorecard,
    input: &Input<'_>,
    raw: &[Option<Raw>],
    groups: &[Vec<usize>],
    n_dept: usize,
    warnings: &mut Vec<Warning>,
) -> Result<Treated, Error> {
    let n_kpi = card.kpis.len();
    let mut rules = Vec::with_capacity(n_kpi);
    let mut usable = vec![None; n_kpi * n_dept];
    let mut flags = vec![Flags::NONE; n_dept * n_kpi];
    for (k, rule) in card.kpis.iter().enumerate() {
        let def = input
            .library
            .iter()
            .find(|d| d.id == rule.id)
            .ok_or_else(|| Error::Scorecard {
                path: card.path.clone(),
                line: rule.line,
                reason: format!("unknown KPI {:?}", rule.id),
                hint: Some("`appraise kpi list` shows the KPIs".into()),
            })?;
        rules.push(Rule {
            transform: rule.transform,
            normalise: rule.normalise,
            direction: def.direction,
            missing: rule.missing,
            goalpost: (rule.floor.unwrap_or(0.0), rule.target.unwrap_or(1.0)),
        });
        let no_sample = treat_kpi(card, k, raw, groups, &mut usable, &mut flags);
        if no_sample {
            warnings.push(
                Warning::new(
                    "no_sample_size",
                    format!(
                        "KPI {} gives no sample_size, so its min_sample of {} cannot be checked",
                        rule.id, rule.min_sample
                    ),
                )
                .arg("kpi", &rule.id)
                .arg("min_sample", rule.min_sample),
            );
        }
    }

    Ok(Treated {
        rules,
        usable,
        flags,
    })
}

/// [`treat_values`] of KPI `k` alone: writes its part of `usable` (KPI-major) and ors
/// its flags into `flags` (department-major). Returns whether it has a `min_sample`
/// and values without a sample size.
fn treat_kpi(
    card: &Scorecard,
    k: usize,
    raw: &[Option<Raw>],
    groups: &[Vec<usize>],
    usable: &mut [Option<(f64, f64)>],
    flags: &mut [Flags],
) -> bool {
    let n_kpi = card.kpis.len();
    let n_dept = raw.len() / n_kpi.max(1);
    let rule = &card.kpis[k];
    let mut no_sample = false;
    for members in groups {
        let mut kept: Vec<usize> = Vec::new();
        for &d in members {
            let Some(Raw {
                value: x, sample, ..
            }) = raw[k * n_dept + d]
            else {
                continue;
            };
            let enough = match sample {
                Some(n) => n >= 0 && n as u64 >= rule.min_sample,
                None => {
                    no_sample |= rule.min_sample > 0;
                    true
                }
            };
            if !enough {
                flags[d * n_kpi + k] |= Flags::BELOW_MIN_SAMPLE;
            } else if x.is_finite() {
                kept.push(d);
            }
        }
        let values: Vec<f64> = kept
            .iter()
            .map(|&d| raw[k * n_dept + d].map_or(0.0, |v| v.value))
            .collect();
        let (treated, treat_flags) = treat::transform(rule.transform, &values);
        for (i, &d) in kept.iter().enumerate() {
            flags[d * n_kpi + k] |= treat_flags[i];
            if !treated[i].is_nan() {
                usable[k * n_dept + d] = Some((values[i], treated[i]));
            }
        }
    }
    no_sample
}

/// Each present KPI's share of the composite after renormalisation over the KPIs and
/// dimensions present: (w_k / Σ w in its dimension) · (W_j / Σ W of dimensions present).
fn effective_weights(row: &[f64], model: &Model) -> Vec<Option<f64>> {
    let n_dim = model.dim_weight.len();
    let mut within = vec![0.0; n_dim];
    for (k, &s) in row.iter().enumerate() {
        if !s.is_nan() {
            within[model.kpi_dim[k]] += model.kpi_weight[k];
        }
    }
    let dims_total: f64 = (0..n_dim)
        .filter(|&j| within[j] > 0.0)
        .map(|j| model.dim_weight[j])
        .sum();
    row.iter()
        .enumerate()
        .map(|(k, &s)| {
            let j = model.kpi_dim[k];
            (!s.is_nan() && within[j] > 0.0 && dims_total > 0.0)
                .then(|| model.kpi_weight[k] / within[j] * model.dim_weight[j] / dims_total)
        })
        .collect()
}

/// Under geometric aggregation ln C = Σ w_k ln max(s_k, 1), so KPI k's part of C is its
/// share of ln C; when ln C = 0 (every score at most 1) the parts are w_k · C.
fn geometric_contribution(
    w: f64,
    s: f64,
    composite: f64,
    row: &[f64],
    weights: &[Option<f64>],
) -> f64 {
    let log_c: f64 = row
        .iter()
        .zip(weights)
        .filter_map(|(&s, w)| w.map(|w| w * lift(s)))
        .sum();
    if log_c > 0.0 {
        composite * w * lift(s) / log_c
    } else {
        w * composite
    }
}

/// Overall and peer-group ranks of the ranked departments, and their grades.
fn rank_and_grade(card: &Scorecard, scored: &mut [DepartmentScore], groups: &[Vec<usize>]) {
    let ranked = |d: &DepartmentScore| d.status == Status::Ranked;
    let items: Vec<(usize, f64)> = scored
        .iter()
        .enumerate()
        .filter(|(_, d)| ranked(d))
        .filter_map(|(i, d)| d.composite.map(|c| (i, c)))
        .collect();
    let overall = competition_ranks(&items);
    for &(d, r) in &overall {
        scored[d].rank = Some(r);
    }
    for group in groups {
        let items: Vec<(usize, f64)> = group
            .iter()
            .filter(|&&d| ranked(&scored[d]))
            .filter_map(|&d| scored[d].composite.map(|c| (d, c)))
            .collect();
        for (d, r) in competition_ranks(&items) {
            scored[d].group_rank = Some(r);
        }
    }

    // Tie groups in rank order: (leader composite, members).
    let mut ties: Vec<(f64, Vec<usize>)> = Vec::new();
    let mut last_rank = 0;
    for &(d, r) in &overall {
        let c = scored[d].composite.unwrap_or_default();
        if r != last_rank || ties.is_empty() {
            ties.push((c, Vec::new()));
            last_rank = r;
        }
        if let Some((_, members)) = ties.last_mut() {
            members.push(d);
        }
    }
    let bands = &card.grades.bands;
    match card.grades.method {
        GradeMethod::Thresholds => {
            for (leader, members) in &ties {
                let band = bands
                    .iter()
                    .position(|b| *leader >= b.min.unwrap_or(0.0))
                    .unwrap_or(bands.len() - 1);
                for &d in members {
                    scored[d].grade = Some(band);
                }
            }
        }
        GradeMethod::Quota => {
            let n = overall.len() as f64;
            let last = bands.len() - 1;
            let mut caps = Vec::with_capacity(last);
            let mut cumulative = 0.0;
            for b in &bands[..last] {
                cumulative += b.share.unwrap_or(0.0);
                // The epsilon keeps 0.7 + 0.1 = 0.7999… from losing a place.
                caps.push((cumulative * n + 1e-9).floor() as usize);
            }
            let (mut band, mut assigned) = (0, 0);
            for (_, members) in &ties {
                while band < last && assigned + members.len() > caps[band] {
                    band += 1;
                }
                for &d in members {
                    scored[d].grade = Some(band);
                }
                assigned += members.len();
            }
        }
    }
}
