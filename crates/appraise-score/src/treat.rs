//! Transforms (`none`, `log`, `auto`) and normalisation onto 0–100, each over one
//! peer group's values.

use appraise_kpi::Direction;

use crate::flags::Flags;
use crate::scorecard::{Normalisation, Transform};
use crate::stats;

/// The `auto` rule's limits: treat where |skew| > 2 and excess kurtosis > 3.5.
const SKEW_LIMIT: f64 = 2.0;
const KURT_LIMIT: f64 = 3.5;
/// At most this many values are winsorised before the log fallback.
const WINSORISE_MAX: usize = 5;

/// Whether a group's values call for treatment. Fewer than 4 values, or no spread,
/// leave skew or kurtosis undefined: nothing to treat.
pub(crate) fn needs_treatment(x: &[f64]) -> bool {
    match (stats::skew(x), stats::kurt(x)) {
        (Some(s), Some(k)) => s.abs() > SKEW_LIMIT && k > KURT_LIMIT,
        _ => false,
    }
}

/// Applies a transform to one group's values; returns the treated values and a flag
/// per value (`winsorised`, `log_fallback`, or `invalid_for_log` where ln(1 + x) is
/// undefined, which leaves the value NaN).
pub(crate) fn transform(kind: Transform, x: &[f64]) -> (Vec<f64>, Vec<Flags>) {
    match kind {
        Transform::None => (x.to_vec(), vec![Flags::NONE; x.len()]),
        Transform::Log => {
            let flags = x
                .iter()
                .map(|&v| {
                    if v > -1.0 {
                        Flags::NONE
                    } else {
                        Flags::INVALID_FOR_LOG
                    }
                })
                .collect();
            let values = x
                .iter()
                .map(|&v| if v > -1.0 { v.ln_1p() } else { f64::NAN })
                .collect();
            (values, flags)
        }
        Transform::Auto => auto(x),
    }
}

/// `auto`: while the rule fails, winsorise the most extreme value on the side of the
/// skew (all copies of it, set to the next value inwards), up to 5 values in all; if
/// the rule still fails, ln(x − min + 0.01·(max − min)) on the original values.
fn auto(x: &[f64]) -> (Vec<f64>, Vec<Flags>) {
    let mut flags = vec![Flags::NONE; x.len()];
    if !needs_treatment(x) {
        return (x.to_vec(), flags);
    }
    let mut w = x.to_vec();
    let mut count = 0;
    while needs_treatment(&w) {
        let high = stats::skew(&w).unwrap_or_default() >= 0.0;
        let extreme = if high {
            w.iter().copied().fold(f64::NEG_INFINITY, f64::max)
        } else {
            w.iter().copied().fold(f64::INFINITY, f64::min)
        };
        let inner = w.iter().copied().filter(|&v| v != extreme);
        let next = if high {
            inner.fold(f64::NEG_INFINITY, f64::max)
        } else {
            inner.fold(f64::INFINITY, f64::min)
        };
        let ties = w.iter().filter(|&&v| v == extreme).count();
        if !next.is_finite() || count + ties > WINSORISE_MAX {
            break;
        }
        for (v, f) in w.iter_mut().zip(flags.iter_mut()) {
            if *v == extreme {
                *v = next;
                *f |= Flags::WINSORISED;
            }
        }
        count += ties;
    }
    if !needs_treatment(&w) {
        return (w, flags);
    }
    let min = x.iter().copied().fold(f64::INFINITY, f64::min);
    let max = x.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let shift = 0.01 * (max - min);
    let values = x.iter().map(|&v| (v - min + shift).ln()).collect();
    (values, vec![Flags::LOG_FALLBACK; x.len()])
}

/// Normalises one group's treated values onto 0–100, better = higher. Returns the
/// scores and whether the group had no spread (minmax: all 100; zscore: all 50).
pub(crate) fn normalise(
    method: Normalisation,
    direction: Direction,
    x: &[f64],
    goalpost: (f64, f64),
) -> (Vec<f64>, bool) {
    if x.is_empty() {
        return (Vec::new(), false);
    }
    // Direction first: for a lower-is-better KPI the negated values are ranked.
    let sign = match direction {
        Direction::Higher => 1.0,
        Direction::Lower => -1.0,
    };
    let y: Vec<f64> = x.iter().map(|v| sign * v).collect();
    match method {
        Normalisation::Minmax => {
            let min = y.iter().copied().fold(f64::INFINITY, f64::min);
            let max = y.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            if max - min <= 0.0 {
                return (vec![100.0; y.len()], true);
            }
            (
                y.iter().map(|v| 100.0 * (v - min) / (max - min)).collect(),
                false,
            )
        }
        Normalisation::Zscore => {
            let n = y.len() as f64;
            let mean = y.iter().sum::<f64>() / n;
            let sd = (y.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n).sqrt();
            if sd <= 0.0 {
                return (vec![50.0; y.len()], true);
            }
            let t = y
                .iter()
                .map(|v| (50.0 + 10.0 * (v - mean) / sd).clamp(0.0, 100.0));
            (t.collect(), false)
        }
        Normalisation::Rank => {
            if y.len() == 1 {
                return (vec![100.0], false);
            }
            let n = y.len() as f64;
            let ranks = stats::average_ranks(&y);
            (
                ranks
                    .iter()
                    .map(|r| 100.0 * (r - 1.0) / (n - 1.0))
                    .collect(),
                false,
            )
        }
        Normalisation::Goalpost => {
            // The raw value against absolute standards; floor > target for `lower`.
            let (floor, target) = goalpost;
            let s = x
                .iter()
                .map(|v| 100.0 * ((v - floor) / (target - floor)).clamp(0.0, 1.0));
            (s.collect(), false)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const H: Direction = Direction::Higher;
    const L: Direction = Direction::Lower;

    fn near(a: &[f64], b: &[f64]) -> bool {
        a.len() == b.len() && a.iter().zip(b).all(|(x, y)| (x - y).abs() < 1e-9)
    }

    #[test]
    fn minmax_both_directions_and_constant() {
        // [2, 4, 10]: range 8 → (0, 2, 8)/8·100
        let (s, c) = normalise(Normalisation::Minmax, H, &[2.0, 4.0, 10.0], (0.0, 0.0));
        assert!(near(&s, &[0.0, 25.0, 100.0]) && !c);
        // lower: 100·(max − x)/(max − min) = (8, 6, 0)/8·100
        let (s, _) = normalise(Normalisation::Minmax, L, &[2.0, 4.0, 10.0], (0.0, 0.0));
        assert!(near(&s, &[100.0, 75.0, 0.0]));
        let (s, c) = normalise(Normalisation::Minmax, H, &[3.0, 3.0], (0.0, 0.0));
        assert!(near(&s, &[100.0, 100.0]) && c);
    }

    #[test]
    fn zscore_is_a_clamped_t_score_with_population_sd() {
        // [2, 4, 6]: mean 4, population sd sqrt(8/3) = 1.632993 → z = ∓1.224745
        // → 50 ∓ 12.24745
        let (s, _) = normalise(Normalisation::Zscore, H, &[2.0, 4.0, 6.0], (0.0, 0.0));
        assert!(near(&s, &[37.752551286084, 50.0, 62.247448713916]), "{s:?}");
        let (s, _) = normalise(Normalisation::Zscore, L, &[2.0, 4.0, 6.0], (0.0, 0.0));
        assert!(near(&s, &[62.247448713916, 50.0, 37.752551286084]));
        // one value of 100 among 99 zeros: z = 9.95 → 149.5, clamped to 100;
        // the zeros have z = −0.1005 → 48.995
        let mut x = vec![0.0; 99];
        x.push(100.0);
        let (s, _) = normalise(Normalisation::Zscore, H, &x, (0.0, 0.0));
        assert_eq!(s[99], 100.0);
        assert!((s[0] - 48.994962).abs() < 1e-6, "{}", s[0]);
        let (s, c) = normalise(Normalisation::Zscore, H, &[7.0, 7.0], (0.0, 0.0));
        assert!(near(&s, &[50.0, 50.0]) && c);
    }

    #[test]
    fn rank_averages_ties_and_gives_a_lone_department_100() {
        // [5, 1, 5, 3]: ranks 3.5, 1, 3.5, 2 → 100·(r − 1)/3
        let (s, _) = normalise(Normalisation::Rank, H, &[5.0, 1.0, 5.0, 3.0], (0.0, 0.0));
        assert!(near(&s, &[250.0 / 3.0, 0.0, 250.0 / 3.0, 100.0 / 3.0]));
        // lower: ranks of (−5, −1, −5, −3) = 1.5, 4, 1.5, 3
        let (s, _) = normalise(Normalisation::Rank, L, &[5.0, 1.0, 5.0, 3.0], (0.0, 0.0));
        assert!(near(&s, &[50.0 / 3.0, 100.0, 50.0 / 3.0, 200.0 / 3.0]));
        let (s, _) = normalise(Normalisation::Rank, H, &[42.0], (0.0, 0.0));
        assert!(near(&s, &[100.0]));
    }

    #[test]
    fn goalpost_clamps_in_both_directions() {
        // floor 0.5, target 0.95: 0.4 → 0 (clamped), 0.725 → 50, 0.95 → 100, 1.0 → 100
        let (s, _) = normalise(
            Normalisation::Goalpost,
            H,
            &[0.4, 0.725, 0.95, 1.0],
            (0.5, 0.95),
        );
        assert!(near(&s, &[0.0, 50.0, 100.0, 100.0]), "{s:?}");
        // lower, floor 10 days, target 2: 12 → 0, 6 → 50, 1 → 100
        let (s, _) = normalise(Normalisation::Goalpost, L, &[12.0, 6.0, 1.0], (10.0, 2.0));
        assert!(near(&s, &[0.0, 50.0, 100.0]));
    }

    #[test]
    fn auto_winsorises_one_outlier_of_the_fixed_vector() {
        // SKEW 3.063, KURT 9.741: the rule fails. Winsorising 100 → 30 gives SKEW 1.712,
        // KURT 1.816 (scipy, bias=False): passes after one value.
        let x = [1., 2., 3., 4., 5., 6., 7., 8., 9., 10., 30., 100.];
        let (t, f) = transform(Transform::Auto, &x);
        assert_eq!(t[11], 30.0);
        assert_eq!(t[..11], x[..11]);
        assert_eq!(
            f.iter().filter(|f| f.contains(Flags::WINSORISED)).count(),
            1
        );
        assert!(f[11].contains(Flags::WINSORISED));
    }

    #[test]
    fn auto_falls_back_to_log_after_five_values() {
        // 60 ones and 1e6, 2e6, ..., 6e6 (SKEW 3.849, KURT 14.574). Winsorising 6e6 → 5e6
        // (1 value), then both 5e6 → 4e6 (3 values) still fails (SKEW 3.468, KURT
        // 10.938; scipy, bias=False); the three 4e6 would make 6 values, more than 5.
        // So the log of the original values is taken: ln(x − 1 + 0.01·(6e6 − 1)).
        let mut x = vec![1.0; 60];
        x.extend([1e6, 2e6, 3e6, 4e6, 5e6, 6e6]);
        let (t, f) = transform(Transform::Auto, &x);
        let shift = 0.01 * (6e6 - 1.0);
        assert!((t[0] - f64::ln(shift)).abs() < 1e-12);
        assert!((t[65] - f64::ln(6e6 - 1.0 + shift)).abs() < 1e-12);
        assert!(f.iter().all(|f| *f == Flags::LOG_FALLBACK));
    }

    #[test]
    fn auto_leaves_a_passing_vector_alone_and_log_is_ln_1p() {
        let (t, f) = transform(Transform::Auto, &[1.0, 2.0, 3.0, 4.0]);
        assert_eq!(t, vec![1.0, 2.0, 3.0, 4.0]);
        assert!(f.iter().all(|f| *f == Flags::NONE));
        let (t, f) = transform(Transform::Log, &[0.0, std::f64::consts::E - 1.0, -2.0]);
        assert!(near(&t[..2], &[0.0, 1.0]) && t[2].is_nan());
        assert!(f[2].contains(Flags::INVALID_FOR_LOG));
    }
}
