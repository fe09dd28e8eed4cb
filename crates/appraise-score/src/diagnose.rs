//! Diagnostics: redundant KPI pairs, and each department's strengths and weaknesses.

use serde::Serialize;

use crate::score::Scores;
use crate::stats;

/// |Spearman ρ| above this flags a KPI pair as redundant.
pub const REDUNDANT: f64 = 0.9;

/// How many strengths and weaknesses a department's profile lists.
pub const PROFILE_LEN: usize = 3;

/// The rank correlation of two KPIs over the departments that have both.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Correlation {
    /// First KPI (scorecard order).
    pub kpi_a: String,
    /// Second KPI.
    pub kpi_b: String,
    /// Spearman's ρ of the usable values.
    pub rho: f64,
    /// Departments with both values.
    pub n: usize,
    /// |ρ| > 0.9.
    pub redundant: bool,
}

/// Spearman's ρ of every KPI pair over the departments with a usable value of both
/// (at least 3, and both with spread); pairs where it is undefined are left out.
pub fn correlations(scores: &Scores) -> Vec<Correlation> {
    let model = &scores.model;
    let n_dept = model.n_dept;
    let mut out = Vec::new();
    for a in 0..scores.kpis.len() {
        for b in a + 1..scores.kpis.len() {
            let (mut x, mut y) = (Vec::new(), Vec::new());
            for d in 0..n_dept {
                if let (Some(va), Some(vb)) =
                    (model.usable[a * n_dept + d], model.usable[b * n_dept + d])
                {
                    x.push(va.0);
                    y.push(vb.0);
                }
            }
            if x.len() < 3 {
                continue;
            }
            if let Some(rho) = stats::spearman(&x, &y) {
                out.push(Correlation {
                    kpi_a: scores.kpis[a].clone(),
                    kpi_b: scores.kpis[b].clone(),
                    rho,
                    n: x.len(),
                    redundant: rho.abs() > REDUNDANT,
                });
            }
        }
    }
    out
}

/// One KPI of a department's profile.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Standing {
    /// KPI position in [`Scores::kpis`].
    pub kpi: usize,
    /// The department's score.
    pub score: f64,
    /// Its peer group's median score.
    pub peer_median: f64,
    /// Score minus peer median.
    pub difference: f64,
}

/// A department's strengths and weaknesses.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Profile {
    /// Up to three KPIs furthest above the peer median, furthest first.
    pub strengths: Vec<Standing>,
    /// Up to three KPIs furthest below the peer median, furthest first.
    pub weaknesses: Vec<Standing>,
}

/// The KPIs on which the department at position `d` stands furthest above and below its
/// peer median; only scores from real values count (imputed ones say nothing).
pub fn profile(scores: &Scores, d: usize) -> Profile {
    let mut standings: Vec<Standing> = (0..scores.kpis.len())
        .filter_map(|k| {
            let c = scores.cell(d, k);
            if c.flags.imputed() {
                return None;
            }
            let (score, peer_median) = (c.score?, c.peer_median?);
            Some(Standing {
                kpi: k,
                score,
                peer_median,
                difference: score - peer_median,
            })
        })
        .collect();
    // Largest difference first; equal differences in scorecard order.
    standings.sort_by(|a, b| {
        b.difference
            .total_cmp(&a.difference)
            .then(a.kpi.cmp(&b.kpi))
    });
    let strengths = standings
        .iter()
        .filter(|s| s.difference > 0.0)
        .take(PROFILE_LEN)
        .cloned()
        .collect();
    let weaknesses = standings
        .iter()
        .rev()
        .filter(|s| s.difference < 0.0)
        .take(PROFILE_LEN)
        .cloned()
        .collect();
    Profile {
        strengths,
        weaknesses,
    }
}
