//! Scoring on small matrices whose every number is worked out by hand in the comments.

use crate::common::{card, close, departments, kpi, matrix, run};
use appraise_score::{Appraisal, Flags, Status, change, diagnose};

const TWO_DIMENSIONS: &str = r#"
[scorecard]
name = "t"

[[dimension]]
id = "s"
weight = 3

[[dimension]]
id = "r"
weight = 1

[[kpi]]
id = "a"
dimension = "s"
normalise = "minmax"

[[kpi]]
id = "b"
dimension = "s"
normalise = "goalpost"
floor = 0
target = 10

[[kpi]]
id = "c"
dimension = "r"
normalise = "minmax"
missing = "exclude"

[uncertainty]
runs = 0
"#;

#[test]
fn minmax_goalpost_exclude_and_dimension_renormalisation() {
    let card = card(TWO_DIMENSIONS);
    let lib = [kpi("a", "higher"), kpi("b", "higher"), kpi("c", "lower")];
    let deps = departments(&["g", "g", "g", "g"]);
    let m = matrix(&[
        ("d1", "a", Some(10.0), None),
        ("d1", "b", Some(10.0), None),
        ("d1", "c", Some(100.0), None),
        ("d2", "a", Some(20.0), None),
        ("d2", "b", Some(5.0), None),
        ("d2", "c", Some(300.0), None),
        ("d3", "a", Some(30.0), None),
        ("d3", "b", Some(0.0), None),
        ("d3", "c", Some(200.0), None),
        ("d4", "a", Some(20.0), None),
        ("d4", "b", Some(5.0), None),
        ("d4", "c", None, None),
    ]);
    let s = run(&card, &deps, &lib, &m);
    let score = |d: usize, k: usize| s.cell(d, k).score;
    // a, minmax over 10, 20, 30, 20: 0, 50, 100, 50
    assert!(close(score(0, 0), 0.0) && close(score(1, 0), 50.0) && close(score(2, 0), 100.0));
    // b, goalpost 0 → 10: 100, 50, 0, 50
    assert!(close(score(0, 1), 100.0) && close(score(2, 1), 0.0) && close(score(3, 1), 50.0));
    // c is lower-is-better, minmax over 100, 300, 200 (d4 has none): 100, 0, 50
    assert!(close(score(0, 2), 100.0) && close(score(1, 2), 0.0) && close(score(2, 2), 50.0));
    assert_eq!(score(3, 2), None);
    assert!(s.cell(3, 2).flags.contains(Flags::EXCLUDED));
    // dimension s = mean(a, b) = 50 for all; r = c
    // composite = (3·s + 1·r)/4: d1 (150 + 100)/4 = 62.5, d2 150/4 = 37.5,
    // d3 (150 + 50)/4 = 50; d4 has no r, so r is dropped: 50.
    let composite: Vec<Option<f64>> = s.departments.iter().map(|d| d.composite).collect();
    assert!(close(composite[0], 62.5) && close(composite[1], 37.5));
    assert!(close(composite[2], 50.0) && close(composite[3], 50.0));
    assert_eq!(s.departments[3].dimensions[1], None);
    // Coverage of d4: a and b are 0.5 · 0.75 = 0.375 each of the composite: 0.75 ≥ 2/3.
    assert!((s.departments[3].coverage - 0.75).abs() < 1e-12);
    assert_eq!(s.departments[3].status, Status::Ranked);
    // Ranks 1, 4, 2, 2 (competition ranking; d3 and d4 tie at 50).
    let ranks: Vec<Option<u32>> = s.departments.iter().map(|d| d.rank).collect();
    assert_eq!(ranks, vec![Some(1), Some(4), Some(2), Some(2)]);
    // Default grades: 62.5 is C (≥ 60), the rest D.
    let grade = |d: usize| {
        s.departments[d]
            .grade
            .map(|g| card.grades.bands[g].grade.clone())
    };
    assert_eq!(grade(0).as_deref(), Some("C"));
    assert_eq!(grade(1).as_deref(), Some("D"));
    // Contributions add up to the composite: d1 0.375·0 + 0.375·100 + 0.25·100 = 62.5;
    // d4 has only dimension s, so a and b weigh 0.5 each: 25 + 25 = 50.
    assert!(close(s.cell(0, 1).contribution, 37.5) && close(s.cell(0, 2).contribution, 25.0));
    assert!(close(s.cell(3, 0).weight, 0.5) && close(s.cell(3, 0).contribution, 25.0));
    for d in 0..4 {
        let sum: f64 = (0..3).filter_map(|k| s.cell(d, k).contribution).sum();
        assert!(close(s.departments[d].composite, sum));
    }
}

const MISSING_RULES: &str = r#"
[scorecard]
name = "t"

[[dimension]]
id = "s"
weight = 1

[[kpi]]
id = "x"
dimension = "s"
missing = "zero"

[[kpi]]
id = "y"
dimension = "s"
missing = "median"

[[kpi]]
id = "z"
dimension = "s"
weight = 2
missing = "exclude"
min_sample = 5

[uncertainty]
runs = 0
"#;

#[test]
fn missing_rules_min_sample_and_insufficient_coverage() {
    let card = card(MISSING_RULES);
    let lib = [kpi("x", "higher"), kpi("y", "higher"), kpi("z", "higher")];
    let deps = departments(&["g", "g", "g"]);
    let m = matrix(&[
        ("d1", "x", Some(0.0), Some(10)),
        ("d1", "y", Some(10.0), Some(10)),
        ("d1", "z", Some(1.0), Some(10)),
        ("d2", "x", Some(10.0), Some(10)),
        ("d2", "y", None, None),
        ("d2", "z", Some(3.0), Some(2)),
        ("d3", "x", None, None),
        ("d3", "y", Some(20.0), Some(10)),
        ("d3", "z", None, None),
    ]);
    let s = run(&card, &deps, &lib, &m);
    // x over d1, d2 (0, 10): 0, 100; d3 gets 0 by the zero rule.
    assert!(close(s.cell(2, 0).score, 0.0));
    assert!(s.cell(2, 0).flags.contains(Flags::IMPUTED_ZERO));
    // y over d1, d3 (10, 20): 0, 100; d2 gets the peer median of (0, 100) = 50.
    assert!(close(s.cell(1, 1).score, 50.0));
    assert!(s.cell(1, 1).flags.contains(Flags::IMPUTED_MEDIAN));
    // z: d2's value rests on 2 cases < 5, so only d1 has one: minmax of one value is
    // constant → 100, flagged.
    assert!(s.cell(1, 2).flags.contains(Flags::BELOW_MIN_SAMPLE));
    assert_eq!(s.cell(1, 2).score, None);
    assert_eq!(s.cell(1, 2).value, Some(3.0));
    assert!(close(s.cell(0, 2).score, 100.0));
    assert!(s.cell(0, 2).flags.contains(Flags::CONSTANT));
    assert!(s.warnings.iter().any(|w| w.text().contains("KPI z")));
    // Composites (x, y weigh 1, z 2): d1 (0 + 0 + 200)/4 = 50; d2 (100 + 50)/2 = 75;
    // d3 (0 + 100)/2 = 50.
    assert!(close(s.departments[0].composite, 50.0));
    assert!(close(s.departments[1].composite, 75.0));
    assert!(close(s.departments[2].composite, 50.0));
    // Coverage counts real values only: d2 has x (1/4), d3 has y (1/4), both < 2/3.
    assert!((s.departments[1].coverage - 0.25).abs() < 1e-12);
    assert_eq!(s.departments[1].status, Status::InsufficientData);
    assert_eq!(s.departments[2].status, Status::InsufficientData);
    assert_eq!(s.departments[1].rank, None);
    assert_eq!(s.departments[1].grade, None);
    assert_eq!(s.departments[0].rank, Some(1));
}

fn direct(aggregation: &str, grades: &str) -> String {
    // Goalpost 0 → 100 makes each value its own score.
    format!(
        r#"
[scorecard]
name = "t"
aggregation = "{aggregation}"

[[dimension]]
id = "s"
weight = 1

[[kpi]]
id = "p"
dimension = "s"
normalise = "goalpost"
floor = 0
target = 100

[[kpi]]
id = "q"
dimension = "s"
normalise = "goalpost"
floor = 0
target = 100

{grades}

[uncertainty]
runs = 0
"#
    )
}

#[test]
fn geometric_mean_floors_scores_at_one() {
    let card = card(&direct("geometric", ""));
    let lib = [kpi("p", "higher"), kpi("q", "higher")];
    let deps = departments(&["g", "g"]);
    let m = matrix(&[
        ("d1", "p", Some(0.0), None),
        ("d1", "q", Some(100.0), None),
        ("d2", "p", Some(25.0), None),
        ("d2", "q", Some(100.0), None),
    ]);
    let s = run(&card, &deps, &lib, &m);
    // d1: sqrt(max(0, 1) · 100) = 10, not 0; d2: sqrt(25 · 100) = 50.
    assert!(close(s.departments[0].composite, 10.0));
    assert!(close(s.departments[1].composite, 50.0));
    // Contributions split ln C: d2 ln 50 = ½ ln 25 + ½ ln 100, so p gets
    // 50 · ln 25 / (ln 25 + ln 100) and the two add up to 50.
    let p = 50.0 * 25f64.ln() / (25f64.ln() + 100f64.ln());
    assert!(close(s.cell(1, 0).contribution, p));
    assert!(close(s.cell(1, 1).contribution, 50.0 - p));
}

fn scores_of(card_text: &str, values: &[(f64, f64)]) -> appraise_score::Scores {
    let card = card(card_text);
    let lib = [kpi("p", "higher"), kpi("q", "higher")];
    let deps = departments(&vec!["g"; values.len()]);
    let ids: Vec<String> = (1..=values.len()).map(|i| format!("d{i}")).collect();
    let rows: Vec<(&str, &str, Option<f64>, Option<i64>)> = values
        .iter()
        .zip(&ids)
        .flat_map(|(&(p, q), id)| {
            [
                (id.as_str(), "p", Some(p), None),
                (id.as_str(), "q", Some(q), None),
            ]
        })
        .collect();
    run(&card, &deps, &lib, &matrix(&rows))
}

#[test]
fn ties_within_1e9_share_a_competition_rank() {
    // Composites 80, 80 + 5e-10, 70, 70 − 2e-10, 60: the first two tie (within 1e-9),
    // the next two tie, so ranks are 1, 1, 3, 3, 5; displayed ties go by id.
    let s = scores_of(
        &direct("arithmetic", ""),
        &[
            (80.0, 80.0),
            (80.0 + 1e-9, 80.0),
            (70.0, 70.0),
            (70.0 - 4e-10, 70.0),
            (60.0, 60.0),
        ],
    );
    let ranks: Vec<Option<u32>> = s.departments.iter().map(|d| d.rank).collect();
    assert_eq!(ranks, vec![Some(1), Some(1), Some(3), Some(3), Some(5)]);
    assert_eq!(s.ranking_order(), vec![0, 1, 2, 3, 4]);
}

#[test]
fn quota_grades_never_split_a_tie() {
    let quota = |a: f64, b: f64| {
        format!(
            "[grades]\nmethod = \"quota\"\nbands = [ {{ grade = \"A\", share = {a} }}, \
             {{ grade = \"B\", share = {b} }}, {{ grade = \"C\" }} ]"
        )
    };
    let values = [
        (90.0, 90.0),
        (80.0, 80.0),
        (80.0, 80.0),
        (70.0, 70.0),
        (60.0, 60.0),
    ];
    let grades = |text: &str| {
        let c = card(text);
        let s = scores_of(text, &values);
        s.departments
            .iter()
            .map(|d| {
                d.grade
                    .map_or("-".to_string(), |g| c.grades.bands[g].grade.clone())
            })
            .collect::<Vec<_>>()
            .join("")
    };
    // N = 5. A 20 %: at most ⌊0.2·5⌋ = 1 → the 90; A + B 60 %: at most 3 → the two 80s
    // join B (1 + 2 = 3); the rest C.
    assert_eq!(grades(&direct("arithmetic", &quota(0.2, 0.4))), "ABBCC");
    // A 40 %: at most 2, but the tie of two 80s would make 3: it goes wholly to B
    // (cumulative cap ⌊0.6·5⌋ = 3).
    assert_eq!(grades(&direct("arithmetic", &quota(0.4, 0.2))), "ABBCC");
    // A 60 %: at most 3 → 90 and both 80s are A; B (cap ⌊0.8·5⌋ = 4) takes the 70.
    assert_eq!(grades(&direct("arithmetic", &quota(0.6, 0.2))), "AAABC");
}

#[test]
fn thresholds_grade_and_peer_groups_normalise_apart() {
    let text = r#"
[scorecard]
name = "t"
[[dimension]]
id = "s"
weight = 1
[[kpi]]
id = "p"
dimension = "s"
normalise = "minmax"
[uncertainty]
runs = 0
"#;
    let card = card(text);
    let lib = [kpi("p", "higher")];
    let deps = departments(&["g1", "g1", "g2", "g2", "g2"]);
    let m = matrix(&[
        ("d1", "p", Some(10.0), None),
        ("d2", "p", Some(20.0), None),
        ("d3", "p", Some(100.0), None),
        ("d4", "p", Some(300.0), None),
        ("d5", "p", Some(250.0), None),
    ]);
    let s = run(&card, &deps, &lib, &m);
    // g1 over (10, 20): 0, 100. g2 over (100, 300, 250): 0, 100, 75.
    let composite: Vec<f64> = s
        .departments
        .iter()
        .map(|d| d.composite.unwrap_or(-1.0))
        .collect();
    assert_eq!(composite, vec![0.0, 100.0, 0.0, 100.0, 75.0]);
    // overall: d2 and d4 tie at 1, d5 3, d1 and d3 tie at 4
    let ranks: Vec<u32> = s.departments.iter().map(|d| d.rank.unwrap_or(0)).collect();
    assert_eq!(ranks, vec![4, 1, 4, 1, 3]);
    let group: Vec<u32> = s
        .departments
        .iter()
        .map(|d| d.group_rank.unwrap_or(0))
        .collect();
    assert_eq!(group, vec![2, 1, 3, 1, 2]);
    // A ≥ 90, B ≥ 75, D below 60
    let grades: String = s
        .departments
        .iter()
        .map(|d| card.grades.bands[d.grade.unwrap_or(0)].grade.clone())
        .collect();
    assert_eq!(grades, "DADAB");
    // peer medians: g1 of (0, 100) = 50; g2 of (0, 100, 75) = 75
    assert!(close(s.cell(0, 0).peer_median, 50.0) && close(s.cell(4, 0).peer_median, 75.0));
}

#[test]
fn comparison_trend_and_profiles() {
    let text = direct("arithmetic", "");
    let before = scores_of(&text, &[(50.0, 50.0), (70.0, 70.0), (60.0, 60.0)]);
    let now = scores_of(&text, &[(80.0, 60.0), (40.0, 40.0), (60.0, 60.0)]);
    // d1: 50 → 70 (composite), rank 3 → 1: +2 places; d2 70 → 40, rank 1 → 3: −2.
    let c = change::change(&now, &before, 0);
    assert!(close(c.composite_change, 20.0));
    assert_eq!((c.previous_rank, c.rank_change), (Some(3), Some(2)));
    assert_eq!(change::change(&now, &before, 1).rank_change, Some(-2));
    // d1's p = 80 against the peer median of (80, 40, 60) = 60: +20, a strength;
    // q = 60 against median 60: neither.
    let p = diagnose::profile(&now, 0);
    assert_eq!(p.strengths.len(), 1);
    assert_eq!((p.strengths[0].kpi, p.strengths[0].difference), (0, 20.0));
    assert!(p.weaknesses.is_empty());
    // d2 is below on both: −20 each, in scorecard order.
    let p = diagnose::profile(&now, 1);
    assert_eq!(
        p.weaknesses.iter().map(|s| s.kpi).collect::<Vec<_>>().len(),
        2
    );

    let appraisal = Appraisal::new(card(&text), now, vec![before]);
    let ranking = appraisal.ranking_table().expect("ranking");
    let names: Vec<String> = ranking
        .schema()
        .fields()
        .iter()
        .map(|f| f.name().clone())
        .collect();
    assert_eq!(
        names[..10],
        [
            "department_id",
            "name",
            "level",
            "peer_group",
            "status",
            "composite",
            "rank",
            "group_rank",
            "grade",
            "dim_s"
        ]
    );
    assert!(names.contains(&"rank_change".to_string()) && names.contains(&"rank_p95".to_string()));
    let trend = appraisal.trend_table().expect("trend");
    assert_eq!(trend.num_rows(), 3 * 2);
}

#[test]
fn redundant_kpis_are_flagged() {
    // q rises with p in every department (ρ = 1); with a third KPI r reversed, ρ = −1.
    let s = scores_of(
        &direct("arithmetic", ""),
        &[(1.0, 10.0), (2.0, 20.0), (3.0, 35.0), (4.0, 36.0)],
    );
    let c = diagnose::correlations(&s);
    assert_eq!(c.len(), 1);
    assert!((c[0].rho - 1.0).abs() < 1e-12 && c[0].redundant && c[0].n == 4);
}
