//! Funnel plots of the rate KPIs (Spiegelhalter 2005): each department's rate against
//! its cases, with control limits around the rate of all departments together, so that
//! a rate far from the others only because it rests on few cases is not singled out.

use crate::Scores;
use crate::rates::{FUNNEL_LEVELS, binomial_tails, funnel_limit};

/// One rate KPI's funnel.
#[derive(Debug, Clone, PartialEq)]
pub struct Funnel {
    /// The KPI's position in the scores.
    pub kpi: usize,
    /// The pooled rate of every department with cases: Σ counted / Σ cases.
    pub centre: f64,
    /// The departments with cases.
    pub points: Vec<Point>,
}

/// One department on a funnel.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Point {
    /// The department's position in the scores.
    pub department: usize,
    /// Its rate, as measured.
    pub rate: f64,
    /// Its cases (the rate's denominator).
    pub cases: f64,
    /// Where it falls, by its exact binomial tail probability around the centre
    /// ([`crate::rates::binomial_tails`] of round(rate · cases)): −2 below the 99.8 %
    /// limits (P(X ≤ x) < 0.001), −1 below the 95 % (< 0.025), 0 within, 1 above the
    /// 95 % (P(X ≥ x) < 0.025), 2 above the 99.8 % (< 0.001).
    pub signal: i8,
}

impl Funnel {
    /// The (lower, upper) control limits at `cases` for coverage `level` (0.95, 0.998).
    pub fn limits(&self, cases: f64, level: f64) -> (f64, f64) {
        let n = cases.round().max(1.0) as u64;
        let tail = (1.0 - level) / 2.0;
        (
            funnel_limit(self.centre, n, tail),
            funnel_limit(self.centre, n, 1.0 - tail),
        )
    }
}

impl Funnel {
    /// Whether every department has the same rate (every one at 100 %, say): a funnel
    /// plot of it shows one line of dots and says nothing a sentence does not.
    pub fn degenerate(&self) -> bool {
        self.points
            .iter()
            .all(|p| (p.rate - self.points[0].rate).abs() < 1e-12)
    }
}

/// The funnels of every KPI with cases (the rates), in the scores' KPI order.
pub fn funnels(s: &Scores) -> Vec<Funnel> {
    let mut out = Vec::new();
    for k in 0..s.kpis.len() {
        let cells: Vec<(usize, f64, f64)> = (0..s.departments.len())
            .filter_map(|d| {
                let c = s.cell(d, k);
                Some((d, c.value?, c.cases?))
            })
            .collect();
        let cases: f64 = cells.iter().map(|c| c.2).sum();
        if cells.is_empty() || cases <= 0.0 {
            continue;
        }
        let centre = cells.iter().map(|c| c.1.clamp(0.0, 1.0) * c.2).sum::<f64>() / cases;
        let mut funnel = Funnel {
            kpi: k,
            centre,
            points: Vec::new(),
        };
        for (department, rate, cases) in cells {
            let n = cases.round().max(1.0) as u64;
            let x = (rate.clamp(0.0, 1.0) * n as f64).round() as u64;
            let (below, above) = binomial_tails(centre, n, x);
            let mut signal = 0;
            for (i, level) in FUNNEL_LEVELS.iter().enumerate() {
                let tail = (1.0 - level) / 2.0;
                let step = i as i8 + 1;
                if above < tail {
                    signal = step;
                } else if below < tail {
                    signal = -step;
                }
            }
            funnel.points.push(Point {
                department,
                rate,
                cases,
                signal,
            });
        }
        out.push(funnel);
    }
    out
}
