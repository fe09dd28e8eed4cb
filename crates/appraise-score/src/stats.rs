//! The statistics scoring needs, written out so that each matches a named reference
//! (Excel's SKEW and KURT, R's default quantile) exactly.

/// The values standardised by the sample mean and sample standard deviation; `None`
/// below `min_len` values or with no spread.
fn standardised(x: &[f64], min_len: usize) -> Option<Vec<f64>> {
    if x.len() < min_len {
        return None;
    }
    let n = x.len() as f64;
    let mean = x.iter().sum::<f64>() / n;
    let m2: f64 = x.iter().map(|v| (v - mean).powi(2)).sum();
    if m2 <= 0.0 {
        return None;
    }
    let s = (m2 / (n - 1.0)).sqrt();
    Some(x.iter().map(|v| (v - mean) / s).collect())
}

/// Sample skewness as Excel's SKEW: n/((n−1)(n−2)) · Σ((x − x̄)/s)³, s the sample
/// standard deviation. `None` below 3 values or with no spread.
pub fn skew(x: &[f64]) -> Option<f64> {
    let z = standardised(x, 3)?;
    let n = x.len() as f64;
    Some(n / ((n - 1.0) * (n - 2.0)) * z.iter().map(|z| z.powi(3)).sum::<f64>())
}

/// Sample excess kurtosis as Excel's KURT:
/// n(n+1)/((n−1)(n−2)(n−3)) · Σ((x − x̄)/s)⁴ − 3(n−1)²/((n−2)(n−3)).
/// `None` below 4 values or with no spread.
pub fn kurt(x: &[f64]) -> Option<f64> {
    let z = standardised(x, 4)?;
    let n = x.len() as f64;
    let m4: f64 = z.iter().map(|z| z.powi(4)).sum();
    Some(
        n * (n + 1.0) / ((n - 1.0) * (n - 2.0) * (n - 3.0)) * m4
            - 3.0 * (n - 1.0).powi(2) / ((n - 2.0) * (n - 3.0)),
    )
}

/// The continuous quantile with linear interpolation (R's type 7, Excel's
/// PERCENTILE.INC) of values already sorted ascending.
pub fn quantile_sorted(sorted: &[f64], p: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let h = (sorted.len() - 1) as f64 * p.clamp(0.0, 1.0);
    let lo = h.floor() as usize;
    let hi = h.ceil() as usize;
    Some(sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo]))
}

/// The median (the mean of the two middle values for an even count): the same
/// arithmetic as [`quantile_sorted`] at 0.5, with the middle values selected rather
/// than every value sorted.
pub fn median(values: impl IntoIterator<Item = f64>) -> Option<f64> {
    let mut v: Vec<f64> = values.into_iter().collect();
    if v.is_empty() {
        return None;
    }
    let (lo, hi) = ((v.len() - 1) / 2, v.len() / 2);
    let (below, &mut upper, _) = v.select_nth_unstable_by(hi, f64::total_cmp);
    let lower = if lo == hi {
        upper
    } else {
        below
            .iter()
            .copied()
            .max_by(f64::total_cmp)
            .unwrap_or(upper)
    };
    let h = (v.len() - 1) as f64 * 0.5;
    Some(lower + (h - lo as f64) * (upper - lower))
}

/// Ascending ranks 1..=n, ties given the mean of the ranks they span.
pub fn average_ranks(x: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..x.len()).collect();
    order.sort_by(|&a, &b| x[a].total_cmp(&x[b]));
    let mut ranks = vec![0.0; x.len()];
    let mut i = 0;
    while i < order.len() {
        let mut j = i;
        while j + 1 < order.len() && x[order[j + 1]] == x[order[i]] {
            j += 1;
        }
        // positions i..=j (0-based) hold ranks i+1..=j+1
        let rank = (i + j) as f64 / 2.0 + 1.0;
        for &o in &order[i..=j] {
            ranks[o] = rank;
        }
        i = j + 1;
    }
    ranks
}

/// Pearson's correlation; `None` when either side has no spread or fewer than 2 values.
pub fn pearson(x: &[f64], y: &[f64]) -> Option<f64> {
    let n = x.len().min(y.len());
    if n < 2 {
        return None;
    }
    let mx = x[..n].iter().sum::<f64>() / n as f64;
    let my = y[..n].iter().sum::<f64>() / n as f64;
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for i in 0..n {
        let (dx, dy) = (x[i] - mx, y[i] - my);
        sxy += dx * dy;
        sxx += dx * dx;
        syy += dy * dy;
    }
    (sxx > 0.0 && syy > 0.0).then(|| sxy / (sxx * syy).sqrt())
}

/// Spearman's ρ: Pearson's correlation of the average ranks.
pub fn spearman(x: &[f64], y: &[f64]) -> Option<f64> {
    pearson(&average_ranks(x), &average_ranks(y))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol
    }

    // COINr's example vector: 1..10 with two outliers, 30 and 100.
    const COINR_X: [f64; 12] = [1., 2., 3., 4., 5., 6., 7., 8., 9., 10., 30., 100.];

    #[test]
    fn skew_and_kurt_match_the_closed_form_on_a_fixed_vector() {
        // Independent computation from the central moments m2, m3, m4 (population):
        // G1 = sqrt(n(n−1))/(n−2) · m3/m2^1.5 and
        // G2 = (n−1)/((n−2)(n−3)) · ((n+1)·m4/m2² − 3(n−1)),
        // which are algebraically Excel's SKEW and KURT.
        let x = COINR_X;
        let n = x.len() as f64;
        let mean = x.iter().sum::<f64>() / n;
        let m = |p: i32| x.iter().map(|v| (v - mean).powi(p)).sum::<f64>() / n;
        let (m2, m3, m4) = (m(2), m(3), m(4));
        let g1 = (n * (n - 1.0)).sqrt() / (n - 2.0) * m3 / m2.powf(1.5);
        let g2 =
            (n - 1.0) / ((n - 2.0) * (n - 3.0)) * ((n + 1.0) * m4 / (m2 * m2) - 3.0 * (n - 1.0));
        assert!(close(skew(&x).unwrap(), g1, 1e-12));
        assert!(close(kurt(&x).unwrap(), g2, 1e-12));
        // Excel's SKEW and KURT of this vector (equal to scipy.stats.skew and kurtosis
        // with bias=False): 3.063241034239 and 9.741390834569.
        assert!(close(skew(&x).unwrap(), 3.063241034239, 1e-11));
        assert!(close(kurt(&x).unwrap(), 9.741390834569, 1e-11));
    }

    #[test]
    fn skew_and_kurt_need_enough_values_and_spread() {
        assert_eq!(skew(&[1.0, 2.0]), None);
        assert_eq!(kurt(&[1.0, 2.0, 3.0]), None);
        assert_eq!(skew(&[4.0, 4.0, 4.0]), None);
        // symmetric: no skew
        assert!(close(skew(&[1.0, 2.0, 3.0]).unwrap(), 0.0, 1e-12));
    }

    #[test]
    fn quantile_interpolates_linearly() {
        // 0.9 of [10, 20, 30, 40, 50]: h = 4·0.9 = 3.6 → 40 + 0.6·10 = 46
        assert_eq!(quantile_sorted(&[10., 20., 30., 40., 50.], 0.9), Some(46.0));
        assert_eq!(median([4.0, 1.0, 3.0, 2.0]), Some(2.5));
        assert_eq!(median([]), None);
        // The selection gives the sorted quantile's figure to the bit, ties and
        // infinities included.
        let mut state = 7u64;
        for len in 1..40 {
            let v: Vec<f64> = (0..len)
                .map(|i| {
                    state = state
                        .wrapping_mul(6364136223846793005)
                        .wrapping_add(1442695040888963407);
                    match (state >> 60, i % 7) {
                        (0, _) => f64::INFINITY,
                        (1, _) => 3.0,
                        (_, 0) => -0.0,
                        _ => (state >> 11) as f64 / (1u64 << 53) as f64 * 100.0 - 50.0,
                    }
                })
                .collect();
            let mut sorted = v.clone();
            sorted.sort_by(f64::total_cmp);
            let (a, b) = (median(v.iter().copied()), quantile_sorted(&sorted, 0.5));
            assert_eq!(a.map(f64::to_bits), b.map(f64::to_bits), "{v:?}");
        }
    }

    #[test]
    fn ties_share_the_mean_rank() {
        // 10 → 1, 20 and 20 → (2+3)/2 = 2.5, 30 → 4
        assert_eq!(
            average_ranks(&[20., 10., 30., 20.]),
            vec![2.5, 1.0, 4.0, 2.5]
        );
    }

    #[test]
    fn spearman_of_monotone_and_reversed_data() {
        let x = [1.0, 2.0, 3.0, 4.0];
        assert!(close(
            spearman(&x, &[1.0, 8.0, 27.0, 64.0]).unwrap(),
            1.0,
            1e-12
        ));
        assert!(close(
            spearman(&x, &[4.0, 3.0, 2.0, 1.0]).unwrap(),
            -1.0,
            1e-12
        ));
        // ranks 1,2,3,4 vs 2,1,4,3: d² = 1+1+1+1 = 4 → 1 − 6·4/(4·15) = 0.6
        assert!(close(
            spearman(&x, &[2.0, 1.0, 4.0, 3.0]).unwrap(),
            0.6,
            1e-12
        ));
        assert_eq!(spearman(&x, &[5.0, 5.0, 5.0, 5.0]), None);
    }
}
