//! How robust each rank is: a seeded Monte Carlo over the scorecard's uncertain
//! assumptions, with Sobol sensitivity indices from a Saltelli design.
//!
//! Three assumptions are uncertain, each one input factor:
//!
//! - **weights**: every KPI weight and every dimension weight × U(1 − noise, 1 + noise),
//!   renormalised;
//! - **normalisation**: the scorecard's, `minmax` for every KPI, or `rank` for every KPI,
//!   with equal probability;
//! - **aggregation**: arithmetic or geometric, with equal probability.
//!
//! The output is the mean absolute change of the ranked departments' overall ranks
//! against the nominal ranking. With N = `runs`, two independent samples A and B of N
//! draws and, for each factor i, A with factor i taken from B (A_B^i), the model runs
//! N·(3 + 2) times. The rank intervals come from the N runs of A. First-order indices
//! use Saltelli (2010): S_i = mean(f(B)·(f(A_B^i) − f(A))) / V; total indices Jansen
//! (1999): ST_i = mean((f(A) − f(A_B^i))²) / (2V); V is the variance of f over A and B
//! together.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;

use crate::score::{Scores, Weighting, competition_ranks, lift};
use crate::scorecard::{Aggregation, Normalisation, Uncertainty};
use crate::stats;

/// One uncertain assumption.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Assumption {
    /// The KPI and dimension weights.
    Weights,
    /// The normalisation method.
    Normalisation,
    /// The aggregation rule.
    Aggregation,
}

impl Assumption {
    /// All three, in table order.
    pub const ALL: [Assumption; 3] = [
        Assumption::Weights,
        Assumption::Normalisation,
        Assumption::Aggregation,
    ];

    /// The name written in tables.
    pub fn name(self) -> &'static str {
        match self {
            Assumption::Weights => "weights",
            Assumption::Normalisation => "normalisation",
            Assumption::Aggregation => "aggregation",
        }
    }
}

/// The spread of one department's rank over the Monte Carlo runs.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct RankInterval {
    /// Median rank.
    pub median: f64,
    /// 5 % quantile (the better end).
    pub p05: f64,
    /// 95 % quantile (the worse end).
    pub p95: f64,
}

/// Sobol indices of one assumption.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct SobolIndex {
    /// The assumption.
    pub assumption: Assumption,
    /// Share of the output variance it causes alone.
    pub first_order: Option<f64>,
    /// Share it causes alone and with the others.
    pub total: Option<f64>,
}

/// The robustness analysis of one scored period.
#[derive(Debug, Clone, Serialize)]
pub struct Robustness {
    /// Monte Carlo runs (N).
    pub runs: usize,
    /// The seed used.
    pub seed: u64,
    /// Model evaluations in all: N·5.
    pub evaluations: usize,
    /// Per department position (as in [`Scores::departments`]); ranked ones only.
    pub intervals: Vec<Option<RankInterval>>,
    /// Mean absolute rank change over the N runs of A.
    pub mean_rank_change: f64,
    /// Variance of the mean absolute rank change (A and B).
    pub variance: f64,
    /// Sobol indices, one per assumption; `None` when the ranking never moves.
    pub sobol: Vec<SobolIndex>,
}

impl Robustness {
    /// The assumption with the largest total index: what the ranking hangs on.
    pub fn decisive(&self) -> Option<Assumption> {
        self.sobol
            .iter()
            .filter_map(|s| s.total.map(|t| (s.assumption, t)))
            .max_by(|a, b| a.1.total_cmp(&b.1))
            .map(|(a, _)| a)
    }
}

/// One draw of the three factors.
#[derive(Debug, Clone)]
struct Draw {
    /// Multipliers of the KPI weights, then of the dimension weights.
    weights: Vec<f64>,
    normalisation: usize,
    aggregation: usize,
}

impl Draw {
    fn sample(rng: &mut ChaCha8Rng, n: usize, noise: f64) -> Draw {
        Draw {
            weights: (0..n)
                .map(|_| {
                    if noise > 0.0 {
                        rng.random_range(1.0 - noise..1.0 + noise)
                    } else {
                        1.0
                    }
                })
                .collect(),
            normalisation: rng.random_range(0..3),
            aggregation: rng.random_range(0..2),
        }
    }

    /// This draw with factor `i` from `other`.
    fn with(&self, i: usize, other: &Draw) -> Draw {
        let mut d = self.clone();
        match i {
            0 => d.weights.clone_from(&other.weights),
            1 => d.normalisation = other.normalisation,
            _ => d.aggregation = other.aggregation,
        }
        d
    }
}

/// The model: ranked departments' score rows under each normalisation choice.
struct Evaluator<'a> {
    scores: &'a Scores,
    ranked: Vec<usize>,
    nominal: Vec<u32>,
    /// Per normalisation choice (scorecard's, minmax, rank): ranked rows, KPI-minor.
    rows: [Vec<f64>; 3],
    /// The same as ln max(s, 1), for geometric aggregation.
    logs: [Vec<f64>; 3],
    n_kpi: usize,
}

impl<'a> Evaluator<'a> {
    fn new(scores: &'a Scores) -> Evaluator<'a> {
        let model = &scores.model;
        let n_kpi = model.n_kpi();
        let ranked = scores.ranked();
        let nominal = ranked
            .iter()
            .map(|&d| scores.departments[d].rank.unwrap_or_default())
            .collect();
        let rows_of = |method: Normalisation| {
            let all = model.normalise(Some(method)).scores;
            ranked
                .iter()
                .flat_map(|&d| all[d * n_kpi..(d + 1) * n_kpi].iter().copied())
                .collect::<Vec<f64>>()
        };
        // The scorecard's own normalisation is what `score` already computed.
        let nominal_rows = ranked
            .iter()
            .flat_map(|&d| (0..n_kpi).map(move |k| scores.cell(d, k).score.unwrap_or(f64::NAN)))
            .collect();
        let rows = [
            nominal_rows,
            rows_of(Normalisation::Minmax),
            rows_of(Normalisation::Rank),
        ];
        let logs = rows.clone().map(|r| r.into_iter().map(lift).collect());
        Evaluator {
            scores,
            ranked,
            nominal,
            rows,
            logs,
            n_kpi,
        }
    }

    /// Runs the model for one draw: the ranks of the ranked departments (in `ranks`)
    /// and the mean absolute rank change.
    fn run(&self, draw: &Draw, ranks: &mut [u32]) -> f64 {
        let model = &self.scores.model;
        let n_kpi = self.n_kpi;
        let kpi_weight: Vec<f64> = model
            .kpi_weight
            .iter()
            .zip(&draw.weights)
            .map(|(w, m)| w * m)
            .collect();
        let dim_weight: Vec<f64> = model
            .dim_weight
            .iter()
            .zip(&draw.weights[n_kpi..])
            .map(|(w, m)| w * m)
            .collect();
        let weighting = Weighting {
            kpi_dim: &model.kpi_dim,
            kpi_weight: &kpi_weight,
            dim_weight: &dim_weight,
            aggregation: if draw.aggregation == 0 {
                Aggregation::Arithmetic
            } else {
                Aggregation::Geometric
            },
        };
        let geometric = weighting.aggregation == Aggregation::Geometric;
        let rows = if geometric {
            &self.logs[draw.normalisation]
        } else {
            &self.rows[draw.normalisation]
        };
        let n_dim = dim_weight.len();
        let (mut dims, mut sum_w) = (vec![0.0; n_dim], vec![0.0; n_dim]);
        let items: Vec<(usize, f64)> = (0..self.ranked.len())
            .map(|i| {
                let row = &rows[i * n_kpi..(i + 1) * n_kpi];
                let c = weighting.aggregate_lifted(row, geometric, &mut dims, &mut sum_w);
                (i, if c.is_nan() { f64::NEG_INFINITY } else { c })
            })
            .collect();
        let mut change = 0u64;
        for (i, r) in competition_ranks(&items) {
            ranks[i] = r;
            change += u64::from(r.abs_diff(self.nominal[i]));
        }
        if self.ranked.is_empty() {
            0.0
        } else {
            change as f64 / self.ranked.len() as f64
        }
    }
}

/// Runs the Monte Carlo and the Sobol design on a scored period.
pub fn robustness(scores: &Scores, settings: &Uncertainty) -> Robustness {
    let eval = Evaluator::new(scores);
    let n = settings.runs;
    let n_factors_weights = eval.n_kpi + scores.model.dim_weight.len();
    let mut rng = ChaCha8Rng::seed_from_u64(settings.seed);
    let n_ranked = eval.ranked.len();

    let mut ranks_a = vec![0u32; n * n_ranked];
    let mut scratch = vec![0u32; n_ranked];
    let (mut f_a, mut f_b) = (Vec::with_capacity(n), Vec::with_capacity(n));
    let mut f_ab = [
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
    ];
    for j in 0..n {
        let a = Draw::sample(&mut rng, n_factors_weights, settings.weight_noise);
        let b = Draw::sample(&mut rng, n_factors_weights, settings.weight_noise);
        f_a.push(eval.run(&a, &mut ranks_a[j * n_ranked..(j + 1) * n_ranked]));
        f_b.push(eval.run(&b, &mut scratch));
        for (i, f) in f_ab.iter_mut().enumerate() {
            f.push(eval.run(&a.with(i, &b), &mut scratch));
        }
    }

    let mut intervals = vec![None; scores.departments.len()];
    if n > 0 {
        let mut column = vec![0.0; n];
        for (i, &d) in eval.ranked.iter().enumerate() {
            for (j, c) in column.iter_mut().enumerate() {
                *c = f64::from(ranks_a[j * n_ranked + i]);
            }
            column.sort_by(f64::total_cmp);
            intervals[d] = Some(RankInterval {
                median: stats::quantile_sorted(&column, 0.5).unwrap_or_default(),
                p05: stats::quantile_sorted(&column, 0.05).unwrap_or_default(),
                p95: stats::quantile_sorted(&column, 0.95).unwrap_or_default(),
            });
        }
    }

    let both: Vec<f64> = f_a.iter().chain(&f_b).copied().collect();
    let variance = sample_variance(&both);
    let sobol = Assumption::ALL
        .iter()
        .enumerate()
        .map(|(i, &assumption)| {
            let defined = variance > 1e-12 && n > 0;
            let nf = n as f64;
            let first = (0..n).map(|j| f_b[j] * (f_ab[i][j] - f_a[j])).sum::<f64>() / nf;
            let total = (0..n).map(|j| (f_a[j] - f_ab[i][j]).powi(2)).sum::<f64>() / (2.0 * nf);
            SobolIndex {
                assumption,
                first_order: defined.then(|| first / variance),
                total: defined.then(|| total / variance),
            }
        })
        .collect();

    Robustness {
        runs: n,
        seed: settings.seed,
        evaluations: n * (Assumption::ALL.len() + 2),
        intervals,
        mean_rank_change: if n > 0 {
            f_a.iter().sum::<f64>() / n as f64
        } else {
            0.0
        },
        variance,
        sobol,
    }
}

fn sample_variance(x: &[f64]) -> f64 {
    if x.len() < 2 {
        return 0.0;
    }
    let n = x.len() as f64;
    let mean = x.iter().sum::<f64>() / n;
    x.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0)
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use appraise_kpi::{KpiDef, KpiMatrix, KpiValue};

    use super::*;
    use crate::{Department, Input, Scorecard, score};

    // Regression: the Monte Carlo's precomputed logs once turned a missing score (NaN)
    // into ln 1 = 0, a present score, under geometric aggregation. The nominal draw
    // must reproduce the nominal ranks exactly, missing values and all.
    #[test]
    fn the_nominal_draw_reproduces_the_nominal_ranking() {
        for aggregation in ["arithmetic", "geometric"] {
            let card = Scorecard::parse(
                Path::new("t.toml"),
                &format!(
                    "[scorecard]\nname = \"t\"\naggregation = \"{aggregation}\"\nmin_coverage = 0.3\n\
                     [[dimension]]\nid = \"s\"\nweight = 1\n\
                     [[kpi]]\nid = \"p\"\ndimension = \"s\"\n\
                     [[kpi]]\nid = \"q\"\ndimension = \"s\"\nmissing = \"exclude\"\n"
                ),
            )
            .expect("scorecard");
            let def = |id: &str| {
                let text = format!(
                    "-- kpi: {id}\n-- title: t\n-- dimension: s\n-- direction: higher\nSELECT 1\n"
                );
                KpiDef::parse(Path::new("k.sql"), &text).expect("kpi")
            };
            let library = [def("p"), def("q")];
            // d1: p 10, q missing; d2: p 5, q 9; d3: p 1, q 1.
            let cells = [
                ("d1", 10.0, None),
                ("d2", 5.0, Some(9.0)),
                ("d3", 1.0, Some(1.0)),
            ];
            let departments: Vec<Department> = cells
                .iter()
                .map(|c| Department {
                    id: c.0.into(),
                    name: c.0.into(),
                    name_en: String::new(),
                    level: "x".into(),
                    peer_group: "x".into(),
                })
                .collect();
            let value = |d: &str, k: &str, v: Option<f64>| KpiValue {
                department_id: d.into(),
                kpi: k.into(),
                value: v,
                numerator: None,
                denominator: None,
                sample_size: None,
            };
            let values = cells
                .iter()
                .flat_map(|c| [value(c.0, "p", Some(c.1)), value(c.0, "q", c.2)])
                .collect();
            let matrix = KpiMatrix {
                period: "2026Q3".parse().expect("a period"),
                values,
            };
            let input = Input {
                departments: &departments,
                library: &library,
                matrix: &matrix,
            };
            let scores = score(&card, &input).expect("scores");
            let eval = Evaluator::new(&scores);
            let nominal = Draw {
                weights: vec![1.0; 3],
                normalisation: 0,
                aggregation: usize::from(aggregation == "geometric"),
            };
            let mut ranks = vec![0; eval.ranked.len()];
            assert_eq!(eval.run(&nominal, &mut ranks), 0.0, "{aggregation}");
            assert_eq!(ranks, eval.nominal, "{aggregation}");
        }
    }
}
