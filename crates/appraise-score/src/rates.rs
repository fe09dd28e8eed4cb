//! Rates behind few cases, treated honestly: a 95 % interval for every rate, and
//! empirical-Bayes shrinkage of a peer group's rates toward the group's own rate.
//!
//! A rate here is a KPI whose unit is `ratio`: its value `p` is a share of its
//! `denominator` `n` cases, so `x = p · n` of them count. The formulas are in
//! docs/scoring.md ("Small samples").

use statrs::distribution::{Beta, Binomial, ContinuousCDF, DiscreteCDF};

/// The standard normal quantile of 0.975: a two-sided 95 % interval.
pub const Z95: f64 = 1.959_963_984_540_054;

/// A rate behind fewer cases than this is flagged `low_n` wherever it is shown.
pub const LOW_N: f64 = 20.0;

/// The prior strength α + β taken where the method of moments cannot fit one (fewer
/// than three rates, no spread between them beyond chance, or a peer rate of exactly 0
/// or 1): a weak prior, worth two cases at the peer rate.
pub const FALLBACK_STRENGTH: f64 = 2.0;

/// The Wilson score interval of `x` counted out of `n` (n > 0) at normal quantile `z`.
pub fn wilson(x: f64, n: f64, z: f64) -> (f64, f64) {
    let p = (x / n).clamp(0.0, 1.0);
    let z2 = z * z;
    let centre = (p + z2 / (2.0 * n)) / (1.0 + z2 / n);
    let half = z / (1.0 + z2 / n) * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt();
    ((centre - half).max(0.0), (centre + half).min(1.0))
}

/// The two-sided coverages of a funnel plot's control limits: 95 % and 99.8 %.
pub const FUNNEL_LEVELS: [f64; 2] = [0.95, 0.998];

/// A funnel plot's control limit (Spiegelhalter 2005, exact binomial with
/// interpolation): the `p` quantile of a rate of `n` cases whose true rate is `theta`.
/// With r the smallest count whose binomial probability F(r) ≥ p and
/// α = (F(r) − p) / (F(r) − F(r − 1)), the limit is (r − α) / n.
pub fn funnel_limit(theta: f64, n: u64, p: f64) -> f64 {
    let Ok(b) = Binomial::new(theta.clamp(0.0, 1.0), n.max(1)) else {
        return theta;
    };
    let n = n.max(1);
    let (mut lo, mut hi) = (0u64, n);
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if b.cdf(mid) >= p {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    let r = lo;
    let f = b.cdf(r);
    let below = if r == 0 { 0.0 } else { b.cdf(r - 1) };
    let alpha = if f > below {
        (f - p) / (f - below)
    } else {
        0.0
    };
    ((r as f64 - alpha) / n as f64).clamp(0.0, 1.0)
}

/// The exact binomial tail probabilities of `x` counted out of `n` cases when the true
/// rate is `theta`: P(X ≤ x) and P(X ≥ x). A funnel plot flags a rate by these, so that
/// a rate of exactly 0 or 1 is flagged only when its probability says so.
pub fn binomial_tails(theta: f64, n: u64, x: u64) -> (f64, f64) {
    let Ok(b) = Binomial::new(theta.clamp(0.0, 1.0), n.max(1)) else {
        return (1.0, 1.0);
    };
    let x = x.min(n.max(1));
    let at_most = b.cdf(x);
    let at_least = if x == 0 { 1.0 } else { 1.0 - b.cdf(x - 1) };
    (at_most, at_least)
}

/// Jeffreys' prior Beta(½, ½): what a rate that is not shrunk is uncertain by, in the
/// robustness analysis (its posterior Beta(x + ½, n − x + ½)).
pub const JEFFREYS: Prior = Prior {
    alpha: 0.5,
    beta: 0.5,
    fitted: false,
};

/// A Beta(α, β) prior of a peer group's rates.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Prior {
    /// α: prior successes.
    pub alpha: f64,
    /// β: prior failures.
    pub beta: f64,
    /// Whether the method of moments fitted it (else [`FALLBACK_STRENGTH`]).
    pub fitted: bool,
}

impl Prior {
    /// Fits the prior to `(x, n)` pairs (n > 0) by the method of moments of the
    /// beta-binomial: the pooled rate μ = Σx / Σn, and the intra-class correlation
    /// ρ = (S / (μ(1 − μ)) − (k − 1)) / (N − k + 1 − Σn² / N), where S = Σ n (x/n − μ)²,
    /// N = Σn and k the number of rates; then α + β = 1/ρ − 1. `None` without a case.
    pub fn fit(rates: &[(f64, f64)]) -> Option<Prior> {
        let total: f64 = rates.iter().map(|r| r.1).sum();
        if rates.is_empty() || total <= 0.0 {
            return None;
        }
        let mu = (rates.iter().map(|r| r.0).sum::<f64>() / total).clamp(0.0, 1.0);
        let k = rates.len() as f64;
        let spread: f64 = rates.iter().map(|&(x, n)| n * (x / n - mu).powi(2)).sum();
        let squares: f64 = rates.iter().map(|r| r.1 * r.1).sum();
        let denominator = total - k + 1.0 - squares / total;
        let rho = if rates.len() >= 3 && mu > 0.0 && mu < 1.0 && denominator > 0.0 {
            (spread / (mu * (1.0 - mu)) - (k - 1.0)) / denominator
        } else {
            f64::NAN
        };
        let (strength, fitted) = if rho > 0.0 && rho < 1.0 {
            (1.0 / rho - 1.0, true)
        } else {
            (FALLBACK_STRENGTH, false)
        };
        Some(Prior {
            alpha: mu * strength,
            beta: (1.0 - mu) * strength,
            fitted,
        })
    }

    /// The posterior mean of `x` counted out of `n`: (x + α) / (n + α + β), between the
    /// rate x/n and the prior's mean.
    pub fn shrink(&self, x: f64, n: f64) -> f64 {
        (x + self.alpha) / (n + self.alpha + self.beta)
    }

    /// The posterior Beta(x + α, n − x + β) of `x` counted out of `n`: its (a, b).
    pub fn posterior(&self, x: f64, n: f64) -> (f64, f64) {
        (x + self.alpha, (n - x).max(0.0) + self.beta)
    }

    /// The central 95 % interval of the posterior Beta(x + α, n − x + β); the posterior
    /// mean twice where it is degenerate (a prior and data all at 0 or all at 1).
    pub fn interval(&self, x: f64, n: f64) -> (f64, f64) {
        let (a, b) = self.posterior(x, n);
        match Beta::new(a, b) {
            Ok(post) => (post.inverse_cdf(0.025), post.inverse_cdf(0.975)),
            Err(_) => {
                let m = self.shrink(x, n);
                (m, m)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Wilson's interval for 0 of 10 and 5 of 10, worked out from the formula by hand:
    /// 0/10 → (0, z²/n / (1 + z²/n)) = (0, 0.27753); 5/10 → 0.5 ± 0.29058.
    #[test]
    fn wilson_intervals_by_hand() {
        let (lo, hi) = wilson(0.0, 10.0, Z95);
        assert_eq!(lo, 0.0);
        assert!((hi - 0.277_532).abs() < 1e-6, "{hi}");
        let (lo, hi) = wilson(5.0, 10.0, Z95);
        assert!((lo - 0.236_593).abs() < 1e-6, "{lo}");
        assert!((hi - 0.763_407).abs() < 1e-6, "{hi}");
    }

    /// Four groups of 10 cases with 1, 3, 5, 7 successes: μ = 16/40 = 0.4,
    /// S = 10 (0.09 + 0.01 + 0.01 + 0.09) = 2, ρ = (2 / 0.24 − 3) / (40 − 4 + 1 − 400/40)
    /// = 5.3333 / 27 = 0.197531, α + β = 1/ρ − 1 = 4.0625.
    #[test]
    fn the_method_of_moments_by_hand() {
        let p = Prior::fit(&[(1.0, 10.0), (3.0, 10.0), (5.0, 10.0), (7.0, 10.0)]).unwrap();
        assert!(p.fitted);
        assert!((p.alpha + p.beta - 4.0625).abs() < 1e-9);
        assert!((p.alpha / (p.alpha + p.beta) - 0.4).abs() < 1e-12);
        // 1 of 10 shrinks to (1 + 1.625) / 14.0625.
        assert!((p.shrink(1.0, 10.0) - 2.625 / 14.0625).abs() < 1e-12);
    }

    /// Rates that differ less than chance explains fall back to the weak prior.
    #[test]
    fn no_spread_beyond_chance_falls_back_to_a_weak_prior() {
        let p = Prior::fit(&[(5.0, 10.0), (5.0, 10.0), (5.0, 10.0)]).unwrap();
        assert!(!p.fitted);
        assert!((p.alpha - 1.0).abs() < 1e-12 && (p.beta - 1.0).abs() < 1e-12);
        assert!(Prior::fit(&[]).is_none());
    }

    /// θ = 0.5, n = 10, p = 0.975: F(8) = 1013/1024, F(7) = 968/1024, so r = 8,
    /// α = (1013/1024 − 0.975) / (45/1024) = 0.324444, limit (8 − α) / 10 = 0.767556.
    /// p = 0.025: F(2) = 56/1024, F(1) = 11/1024, so r = 2,
    /// α = (56/1024 − 0.025) / (45/1024) = 0.675556, limit (2 − α) / 10 = 0.132444.
    #[test]
    fn spiegelhalters_exact_limits_by_hand() {
        let hi = funnel_limit(0.5, 10, 0.975);
        assert!((hi - 0.767_556).abs() < 1e-6, "{hi}");
        let lo = funnel_limit(0.5, 10, 0.025);
        assert!((lo - 0.132_444).abs() < 1e-6, "{lo}");
        // Limits narrow as cases grow.
        assert!(funnel_limit(0.5, 1000, 0.975) < hi);
    }

    /// The posterior Beta(1, 1) of no cases under a uniform prior is uniform: its
    /// central 95 % is (0.025, 0.975).
    #[test]
    fn the_posterior_interval_of_a_uniform_beta() {
        let p = Prior {
            alpha: 1.0,
            beta: 1.0,
            fitted: false,
        };
        let (lo, hi) = p.interval(0.0, 0.0);
        assert!((lo - 0.025).abs() < 1e-9 && (hi - 0.975).abs() < 1e-9);
    }
}
