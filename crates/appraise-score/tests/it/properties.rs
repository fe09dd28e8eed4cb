//! Properties that hold for any data: monotonicity, order and scale invariance, and
//! seeded reproducibility of the robustness analysis.

use crate::common::{card, departments, kpi, matrix, run};
use appraise_score::{Assumption, Scores, robustness};
use proptest::prelude::*;

/// Three KPIs in two dimensions; `p` minmax, `q` goalpost (lower, 100 → 0), `r` minmax.
fn card_text(scale: f64, aggregation: &str) -> String {
    format!(
        r#"
[scorecard]
name = "t"
aggregation = "{aggregation}"
[[dimension]]
id = "s"
weight = {}
[[dimension]]
id = "t"
weight = {}
[[kpi]]
id = "p"
dimension = "s"
weight = {}
[[kpi]]
id = "q"
dimension = "s"
weight = {}
normalise = "goalpost"
floor = 100
target = 0
[[kpi]]
id = "r"
dimension = "t"
weight = {}
[uncertainty]
runs = 40
seed = 7
"#,
        0.6 * scale,
        0.4 * scale,
        1.0 * scale,
        2.0 * scale,
        1.0 * scale
    )
}

fn scored(text: &str, values: &[[f64; 3]], order: &[usize]) -> Scores {
    let card = card(text);
    let lib = [kpi("p", "higher"), kpi("q", "lower"), kpi("r", "higher")];
    let groups: Vec<&str> = (0..values.len())
        .map(|i| if i % 3 == 0 { "a" } else { "b" })
        .collect();
    let all = departments(&groups);
    let deps: Vec<_> = order.iter().map(|&i| all[i].clone()).collect();
    let ids: Vec<String> = (1..=values.len()).map(|i| format!("d{i}")).collect();
    let mut rows = Vec::new();
    for &i in order {
        for (k, id) in ["p", "q", "r"].iter().enumerate() {
            rows.push((ids[i].as_str(), *id, Some(values[i][k]), None));
        }
    }
    run(&card, &deps, &lib, &matrix(&rows))
}

fn values() -> impl Strategy<Value = Vec<[f64; 3]>> {
    prop::collection::vec([0.0..100.0f64, 0.0..100.0f64, 0.0..100.0f64], 2..9)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn improving_a_kpi_never_lowers_the_composite(
        v in values(), who in 0usize..9, which in 0usize..3, delta in 0.001..50.0f64,
    ) {
        let who = who % v.len();
        let order: Vec<usize> = (0..v.len()).collect();
        let text = card_text(1.0, "arithmetic");
        let before = scored(&text, &v, &order).departments[who].composite;
        let mut better = v.clone();
        // q is lower-is-better: improving it means lowering it.
        better[who][which] += if which == 1 { -delta } else { delta };
        let after = scored(&text, &better, &order).departments[who].composite;
        prop_assert!(after.unwrap_or(0.0) >= before.unwrap_or(0.0) - 1e-9, "{before:?} → {after:?}");
    }

    #[test]
    fn reordering_departments_changes_nothing(v in values(), seed in any::<u64>()) {
        let n = v.len();
        let order: Vec<usize> = (0..n).collect();
        // A seeded permutation of the input order.
        let mut shuffled = order.clone();
        shuffled.sort_by_key(|&i| (i as u64).wrapping_mul(seed | 1).rotate_left(17));
        let text = card_text(1.0, "arithmetic");
        let a = scored(&text, &v, &order);
        let b = scored(&text, &v, &shuffled);
        prop_assert_eq!(&a.cells, &b.cells);
        let ranks = |s: &Scores| s.departments.iter().map(|d| (d.rank, d.group_rank, d.grade)).collect::<Vec<_>>();
        prop_assert_eq!(ranks(&a), ranks(&b));
    }

    #[test]
    fn scaling_every_weight_changes_nothing(v in values(), scale in 0.01..100.0f64, geometric in any::<bool>()) {
        let order: Vec<usize> = (0..v.len()).collect();
        let aggregation = if geometric { "geometric" } else { "arithmetic" };
        let a = scored(&card_text(1.0, aggregation), &v, &order);
        let b = scored(&card_text(scale, aggregation), &v, &order);
        for (x, y) in a.departments.iter().zip(&b.departments) {
            prop_assert!((x.composite.unwrap_or(0.0) - y.composite.unwrap_or(0.0)).abs() < 1e-9);
            prop_assert_eq!(x.rank, y.rank);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(16))]

    #[test]
    fn the_same_seed_gives_the_same_robustness_and_another_seed_another(seed in any::<u64>()) {
        // Eight departments whose KPIs disagree, so the ranking does move.
        let v: Vec<[f64; 3]> = (0..8)
            .map(|i| {
                let i = i as f64;
                [i * 10.0, 90.0 - i * 7.0, (i * 37.0) % 80.0]
            })
            .collect();
        let order: Vec<usize> = (0..v.len()).collect();
        let text = card_text(1.0, "arithmetic");
        let s = scored(&text, &v, &order);
        let mut settings = card(&text).uncertainty;
        settings.seed = seed;
        let a = robustness(&s, &settings);
        let b = robustness(&s, &settings);
        prop_assert_eq!(&a.intervals, &b.intervals);
        prop_assert_eq!(a.mean_rank_change, b.mean_rank_change);
        settings.seed = seed ^ 0x9e37_79b9_7f4a_7c15;
        let c = robustness(&s, &settings);
        prop_assert!(a.mean_rank_change != c.mean_rank_change || a.variance != c.variance);
    }
}

#[test]
fn a_single_kpi_ranking_never_moves() {
    // One KPI: weights cancel out, every normalisation and both aggregations are
    // monotone in it, so every run reproduces the nominal ranks exactly.
    let text = r#"
[scorecard]
name = "t"
[[dimension]]
id = "s"
weight = 1
[[kpi]]
id = "p"
dimension = "s"
[uncertainty]
runs = 200
seed = 1
"#;
    let card = card(text);
    let lib = [kpi("p", "higher")];
    let deps = departments(&["g"; 5]);
    let m = matrix(&[
        ("d1", "p", Some(5.0), None),
        ("d2", "p", Some(1.0), None),
        ("d3", "p", Some(4.0), None),
        ("d4", "p", Some(2.0), None),
        ("d5", "p", Some(3.0), None),
    ]);
    let s = run(&card, &deps, &lib, &m);
    let r = robustness(&s, &card.uncertainty);
    assert_eq!(r.evaluations, 200 * 5);
    assert_eq!(r.mean_rank_change, 0.0);
    assert!(
        r.sobol
            .iter()
            .all(|x| x.first_order.is_none() && x.total.is_none())
    );
    for (d, i) in s.departments.iter().zip(&r.intervals) {
        let rank = f64::from(d.rank.unwrap_or(0));
        let i = i.expect("ranked");
        assert_eq!((i.p05, i.median, i.p95), (rank, rank, rank));
    }
}

#[test]
fn a_normalisation_choice_without_effect_gets_zero_indices() {
    // Both KPIs are rank-normalised over equally spaced values, where minmax gives the
    // very same scores (100·(x − 1)/3 = 100·(r − 1)/3), so the normalisation draw never
    // changes a composite: f(A_B) = f(A) in every run and both of its indices are
    // exactly 0. Weights and aggregation do move ranks: p scores d1..d4 0, 33.3, 66.7,
    // 100 and q 100, 66.7, 0, 33.3, so the nominal tie of d1 and d2 (50 each) breaks
    // one way or the other with any unequal weights, and the geometric mean sinks d1
    // and d3, whose zero is floored at 1.
    let text = r#"
[scorecard]
name = "t"
[[dimension]]
id = "s"
weight = 1
[[kpi]]
id = "p"
dimension = "s"
normalise = "rank"
[[kpi]]
id = "q"
dimension = "s"
normalise = "rank"
[uncertainty]
runs = 500
seed = 3
"#;
    let card = card(text);
    let lib = [kpi("p", "higher"), kpi("q", "higher")];
    let deps = departments(&["g"; 4]);
    let m = matrix(&[
        ("d1", "p", Some(1.0), None),
        ("d1", "q", Some(4.0), None),
        ("d2", "p", Some(2.0), None),
        ("d2", "q", Some(3.0), None),
        ("d3", "p", Some(3.0), None),
        ("d3", "q", Some(1.0), None),
        ("d4", "p", Some(4.0), None),
        ("d4", "q", Some(2.0), None),
    ]);
    let s = run(&card, &deps, &lib, &m);
    let ranks: Vec<Option<u32>> = s.departments.iter().map(|d| d.rank).collect();
    assert_eq!(ranks, vec![Some(2), Some(2), Some(4), Some(1)]);
    let r = robustness(&s, &card.uncertainty);
    let index = |a: Assumption| r.sobol.iter().find(|x| x.assumption == a).copied();
    let norm = index(Assumption::Normalisation).expect("index");
    assert_eq!((norm.first_order, norm.total), (Some(0.0), Some(0.0)));
    assert!(
        index(Assumption::Weights)
            .and_then(|x| x.total)
            .unwrap_or(0.0)
            > 0.0
    );
    assert!(
        index(Assumption::Aggregation)
            .and_then(|x| x.total)
            .unwrap_or(0.0)
            > 0.0
    );
    assert_ne!(r.decisive(), Some(Assumption::Normalisation));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// A shrunk rate lies between the department's own rate and its peer group's
    /// pooled rate (the prior's mean), whatever the rates and denominators.
    #[test]
    fn a_shrunk_rate_lies_between_the_raw_rate_and_the_peer_rate(
        group in proptest::collection::vec((0.0..=1.0f64, 1u32..500), 1..12),
    ) {
        use appraise_score::rates::Prior;
        let pairs: Vec<(f64, f64)> = group
            .iter()
            .map(|&(p, n)| ((p * f64::from(n)).round(), f64::from(n)))
            .collect();
        let prior = Prior::fit(&pairs).unwrap();
        let mu = pairs.iter().map(|p| p.0).sum::<f64>() / pairs.iter().map(|p| p.1).sum::<f64>();
        prop_assert!((prior.alpha / (prior.alpha + prior.beta) - mu).abs() < 1e-9);
        for &(x, n) in &pairs {
            let (raw, shrunk) = (x / n, prior.shrink(x, n));
            let (lo, hi) = if raw < mu { (raw, mu) } else { (mu, raw) };
            prop_assert!(shrunk >= lo - 1e-12 && shrunk <= hi + 1e-12,
                "{x}/{n}: {shrunk} not between {raw} and {mu}");
            let (a, b) = prior.interval(x, n);
            prop_assert!((0.0..=1.0).contains(&a) && a <= b && b <= 1.0, "{a} {b}");
        }
    }
}
