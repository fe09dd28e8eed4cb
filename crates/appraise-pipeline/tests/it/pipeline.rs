//! The whole appraisal as a library call, on fixtures/tiny with the three-KPI scorecard
//! `fixtures/scorecards/tiny-sharing.toml`, whose ranking is worked out by hand in its
//! comments: C1, K1, P1 tie at 1 (A); K2 4 (C, 66.67); C2, P2 tie at 5 (D).

use std::path::{Path, PathBuf};
use std::time::Duration;

use appraise_data::staging::Policy;
use appraise_kpi::{Calendar, EngineOptions, load_library};
use appraise_pipeline::{Error, Job, Laps, RUN_STEPS, Rules, appraise, block_on, run};
use appraise_report::lang::Lang;
use appraise_report::templates::Templates;
use appraise_score::Scorecard;

/// The ranking of the table above: department, rank, grade.
const WANT: [(&str, u32, &str); 6] = [
    ("C1", 1, "A"),
    ("K1", 1, "A"),
    ("P1", 1, "A"),
    ("K2", 4, "C"),
    ("C2", 5, "D"),
    ("P2", 5, "D"),
];

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn rules() -> Rules {
    Rules {
        scorecard: Scorecard::from_file(&root().join("fixtures/scorecards/tiny-sharing.toml"))
            .unwrap(),
        library: load_library(&root().join("queries/kpis")).unwrap(),
        calendar: Calendar::from_dir(&root().join("queries/calendars")).unwrap(),
        engine: EngineOptions::default(),
        allow_empty: false,
        query_timeout: Duration::from_secs(600),
    }
}

#[test]
fn a_run_ranks_tiny_as_computed_by_hand_and_names_every_step() {
    let dir = tempfile::tempdir().unwrap();
    let job = Job {
        data: root().join("fixtures/tiny"),
        options: Default::default(),
        period: Some("2026Q3".parse().unwrap()),
        rules: rules(),
        templates: Templates::load(None).unwrap(),
        lang: Lang::En,
        out: dir.path().join("out"),
        write: Policy::default(),
        evidence: true,
        status: None,
    };
    let mut steps = Vec::new();
    let done = run(job, &mut |s| steps.push(s.to_string())).unwrap();

    assert_eq!(done.period.to_string(), "2026Q3");
    let got: Vec<(u32, &str, &str)> = done
        .ranking
        .iter()
        .map(|r| (r.rank, r.id.as_str(), r.grade.as_str()))
        .collect();
    assert_eq!(got, WANT.map(|(id, rank, grade)| (rank, id, grade)));
    assert_eq!(done.unranked, 0);
    assert_eq!(steps.len(), RUN_STEPS, "{steps:?}");
    assert_eq!(steps.first().map(String::as_str), Some("loading"));
    assert_eq!(steps.last().map(String::as_str), Some("manifest"));
    assert!(done.out.join("report.html").is_file());
    assert!(done.out.join("manifest.json").is_file());
    // The evidence beside each card: fixtures/tiny/README.md, P1 provided X01, X02 and
    // X03 to others; K2 provided nothing (a header only).
    let evidence = |dept: &str, kpi: &str| {
        std::fs::read_to_string(
            done.out
                .join("departments")
                .join(dept)
                .join(format!("{kpi}.csv")),
        )
        .unwrap()
    };
    let ids: Vec<String> = evidence("P1", "records_provided")
        .lines()
        .skip(1)
        .map(|l| l.split(',').nth(1).unwrap().to_string())
        .collect();
    assert_eq!(ids, ["X01", "X02", "X03"]);
    assert_eq!(evidence("K2", "records_provided").lines().count(), 1);
    // A file for every KPI appraised (those of kpis.csv), for every department.
    let appraised: std::collections::BTreeSet<String> =
        std::fs::read_to_string(done.out.join("kpis.csv"))
            .unwrap()
            .lines()
            .skip(1)
            .map(|l| format!("{}.csv", l.split(',').nth(2).unwrap()))
            .collect();
    for dept in WANT.map(|(id, _, _)| id) {
        let files: std::collections::BTreeSet<String> =
            std::fs::read_dir(done.out.join("departments").join(dept))
                .unwrap()
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect();
        assert_eq!(files, appraised, "{dept}");
    }
}

#[test]
fn scoring_tiny_ranks_as_computed_by_hand() {
    let data = appraise_data::load_dir(&root().join("fixtures/tiny"), &Default::default()).unwrap();
    let scored = appraise(
        &root().join("fixtures/tiny"),
        &data,
        &"2026Q3".parse().unwrap(),
        rules(),
        &mut Laps::start("kpis"),
    )
    .unwrap();
    let s = &scored.appraisal.current;
    let grades = &scored.appraisal.scorecard.grades.bands;
    let got: Vec<(String, Option<u32>, String)> = s
        .ranking_order()
        .into_iter()
        .map(|d| {
            let dep = &s.departments[d];
            (
                dep.department.id.clone(),
                dep.rank,
                dep.grade.map_or("-".into(), |g| grades[g].grade.clone()),
            )
        })
        .collect();
    assert_eq!(
        got,
        WANT.map(|(id, rank, grade)| (id.to_string(), Some(rank), grade.to_string()))
    );
    let k2 = s
        .departments
        .iter()
        .find(|d| d.department.id == "K2")
        .unwrap();
    assert!((k2.composite.unwrap() - 200.0 / 3.0).abs() < 1e-9);
    // Only the scorecard's three KPIs ran.
    assert_eq!(scored.kpis.len(), 3);
}

#[test]
fn a_period_without_data_is_the_users_error_with_a_hint() {
    let data = appraise_data::load_dir(&root().join("fixtures/tiny"), &Default::default()).unwrap();
    let Err(err) = appraise(
        &root().join("fixtures/tiny"),
        &data,
        &"2030Q1".parse().unwrap(),
        rules(),
        &mut Laps::start("kpis"),
    ) else {
        panic!("2030Q1 has no data, yet was appraised");
    };
    assert!(matches!(err, Error::Kpi(_)), "{err:?}");
    assert!(err.is_input());
    assert!(
        err.hint().unwrap().contains("--allow-empty"),
        "{:?}",
        err.hint()
    );
}

#[test]
fn a_query_past_its_time_is_stopped_as_the_users_error() {
    let err = block_on(std::future::pending::<()>(), Duration::from_millis(20)).unwrap_err();
    assert!(matches!(err, Error::Timeout { .. }));
    assert!(err.is_input());
    assert!(err.hint().unwrap().contains("--query-timeout"));
}

/// The trend scores up to eight quarters, back as far as the data reaches and the
/// working-day calendar covers: the built-in calendar (2025–2026) ends it in 2025, with
/// a warning naming 2024; with a calendar for 2024 as well, the eight quarters 2024Q4 to
/// 2026Q3 are scored.
#[test]
fn the_trend_reaches_back_eight_quarters_as_far_as_the_calendar_goes() {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().join("data");
    appraise_gen::generate(&appraise_gen::GenerateOptions {
        departments: 12,
        start: chrono::NaiveDate::from_ymd_opt(2024, 1, 1).unwrap(),
        months: 33,
        exchanges: 20_000,
        services: 2_000,
        share_requests: 1_000,
        out: data_dir.clone(),
        ..Default::default()
    })
    .unwrap();
    let data = appraise_data::load_dir(&data_dir, &Default::default()).unwrap();
    // The built-in scorecard: its response-time KPIs count working days.
    let trend = |calendars: &Path| {
        let mut rules = rules();
        rules.scorecard = Scorecard::from_file(&root().join("queries/scorecard.toml")).unwrap();
        rules.calendar = Calendar::from_dir(calendars).unwrap();
        let period = "2026Q3".parse().unwrap();
        let scored = appraise(&data_dir, &data, &period, rules, &mut Laps::start("kpis")).unwrap();
        let a = &scored.appraisal;
        let periods: Vec<String> = a
            .history
            .iter()
            .rev()
            .chain([&a.current])
            .map(|s| s.period.label())
            .collect();
        let cut: Vec<String> = scored
            .coverage
            .iter()
            .filter(|w| w.code == "trend_calendar")
            .map(|w| w.text().to_string())
            .collect();
        (periods, cut)
    };

    let (periods, cut) = trend(&root().join("queries/calendars"));
    assert!(
        periods.len() < 8 && periods[0].starts_with("2025"),
        "{periods:?}"
    );
    assert_eq!(periods.last().map(String::as_str), Some("2026Q3"));
    assert_eq!(cut.len(), 1);
    assert!(cut[0].contains("does not cover 2024"), "{}", cut[0]);

    // A calendar for 2024 (one holiday, for this test), beside the built-in one.
    let calendars = dir.path().join("calendars");
    std::fs::create_dir(&calendars).unwrap();
    std::fs::copy(
        root().join("queries/calendars/cn-2025-2026.csv"),
        calendars.join("cn-2025-2026.csv"),
    )
    .unwrap();
    std::fs::write(
        calendars.join("test-2024.csv"),
        "date,kind,name\n2024-01-01,holiday,New Year\n",
    )
    .unwrap();
    let (periods, cut) = trend(&calendars);
    assert_eq!(
        periods,
        [
            "2024Q4", "2025Q1", "2025Q2", "2025Q3", "2025Q4", "2026Q1", "2026Q2", "2026Q3"
        ]
    );
    assert!(cut.is_empty(), "{cut:?}");
}

/// Every improvement target of the demo reaches what it says when the matrix is scored
/// with it, and a value a hair short of it (1e-6 relative, toward the department's own
/// value) does not: the targets are exact to the scoring model.
#[test]
fn every_target_reaches_its_goal_and_a_hair_short_does_not() {
    use appraise_score::targets::Goal;

    let mut rules = rules();
    rules.scorecard = Scorecard::from_file(&root().join("queries/scorecard.toml")).unwrap();
    let card = rules.scorecard.clone();
    let (data, scored) = appraise_demo(rules);
    let departments = appraise_pipeline::departments(&data);
    let targets = &scored.appraisal.targets;
    assert!(targets.len() > 100, "{} targets", targets.len());
    let now = &scored.appraisal.current;
    let standing =
        |id: &str, kpi: &str, x: f64| standing_with(&card, &departments, &scored, id, &[(kpi, x)]);
    for t in targets {
        let before = &now.departments[now.position(&t.department_id).unwrap()];
        let (grade, rank) = (before.grade.unwrap(), before.rank.unwrap());
        let reached = |s: (usize, u32)| match t.goal {
            Goal::NextGrade => s.0 < grade,
            Goal::NextRank => s.1 < rank,
        };
        let at = standing(&t.department_id, &t.kpi, t.target);
        assert!(reached(at), "{t:?} gives {at:?}");
        assert_eq!(at, (t.grade, t.rank), "{t:?}");
        let short = t.target - (t.target - t.value).signum() * 1e-6 * t.target.abs();
        let below = standing(&t.department_id, &t.kpi, short);
        assert!(!reached(below), "{t:?}: {short} already gives {below:?}");
    }
}

/// Every route to the next grade of the demo reaches the grade it states when the
/// matrix is scored with all its targets, and falls short when the steps that move by
/// the route's factor move a hair less (1e-5 of the factor): the factor is the least
/// that reaches. No single plausible next-grade target is cheaper than the route.
#[test]
fn every_route_reaches_its_grade_and_a_hair_short_does_not() {
    use appraise_score::targets::{Goal, factor};

    let mut rules = rules();
    rules.scorecard = Scorecard::from_file(&root().join("queries/scorecard.toml")).unwrap();
    let card = rules.scorecard.clone();
    let (data, scored) = appraise_demo(rules);
    let departments = appraise_pipeline::departments(&data);
    let a = &scored.appraisal;
    assert!(a.routes.len() > 40, "{} routes", a.routes.len());
    assert!(a.routes.iter().any(|r| r.steps.len() > 1));
    let standing =
        |id: &str, steps: &[(&str, f64)]| standing_with(&card, &departments, &scored, id, steps);
    for r in &a.routes {
        let now = &a.current.departments[a.current.position(&r.department_id).unwrap()];
        let grade = now.grade.unwrap();
        let full: Vec<(&str, f64)> = r.steps.iter().map(|s| (s.kpi.as_str(), s.target)).collect();
        assert_eq!(
            standing(&r.department_id, &full),
            (r.grade, r.rank),
            "{r:?}"
        );
        assert!(r.grade < grade, "{r:?}");
        let f = r.steps.iter().map(|s| s.factor()).fold(1.0, f64::max);
        let short: Vec<(&str, f64)> = r
            .steps
            .iter()
            .map(|s| {
                let x = if (s.factor() - f).abs() <= 1e-9 * f {
                    let less = f * (1.0 - 1e-5);
                    if s.target > s.value {
                        s.value * less
                    } else {
                        s.value / less
                    }
                } else {
                    s.target
                };
                (s.kpi.as_str(), x)
            })
            .collect();
        let below = standing(&r.department_id, &short);
        assert!(below.0 >= grade, "{r:?}: {short:?} already gives {below:?}");
        let effort: f64 = r.steps.iter().map(|s| s.factor() - 1.0).sum();
        assert!((effort - r.effort).abs() < 1e-9, "{r:?}");
        for t in a.targets.iter().filter(|t| {
            t.department_id == r.department_id && t.goal == Goal::NextGrade && t.plausible
        }) {
            let single = factor(t.value, t.target) - 1.0;
            assert!(single >= r.effort - 1e-5, "{t:?} is cheaper than {r:?}");
        }
    }
}

/// On generated provinces of 150 and 300 departments (heavy-tailed volumes) and the
/// demo, no advice a card gives asks for more than the best value of its KPI this
/// period, or for more than twice a department's value unless the department itself did
/// better before; and every D-grade department with any plausible target has a route to
/// C.
#[test]
fn levers_stay_plausible_and_every_d_with_a_target_has_a_route_to_c() {
    use appraise_kpi::Direction;
    use appraise_score::targets::{MAX_FACTOR, factor};

    let dir = tempfile::tempdir().unwrap();
    let mut provinces = vec![(root().join("fixtures/demo"), 0)];
    for (seed, n) in [(5u64, 150usize), (7, 300)] {
        let out = dir.path().join(format!("p{n}"));
        appraise_gen::generate(&appraise_gen::GenerateOptions {
            seed,
            departments: n,
            start: chrono::NaiveDate::from_ymd_opt(2026, 4, 1).unwrap(),
            months: 6,
            exchanges: 60_000,
            out: out.clone(),
            ..Default::default()
        })
        .unwrap();
        provinces.push((out, n));
    }
    for (data_dir, n) in provinces {
        let mut rules = rules();
        rules.scorecard = Scorecard::from_file(&root().join("queries/scorecard.toml")).unwrap();
        let data = appraise_data::load_dir(&data_dir, &Default::default()).unwrap();
        let period = "2026Q3".parse().unwrap();
        let scored = appraise(&data_dir, &data, &period, rules, &mut Laps::start("kpis")).unwrap();
        let a = &scored.appraisal;
        let s = &a.current;
        let higher = |kpi: &str| {
            scored.kpis.iter().find(|k| k.id == kpi).unwrap().direction == Direction::Higher
        };
        let best = |kpi: &str| {
            let seen = scored.matrix.values.iter().filter(|v| v.kpi == kpi);
            let seen = seen.filter_map(|v| v.value);
            if higher(kpi) {
                seen.fold(f64::MIN, f64::max)
            } else {
                seen.fold(f64::MAX, f64::min)
            }
        };
        let own_best = |id: &str, kpi: &str| {
            a.history
                .iter()
                .filter_map(|h| {
                    let k = h.kpis.iter().position(|x| x == kpi)?;
                    h.cell(h.position(id)?, k).value
                })
                .fold(if higher(kpi) { f64::MIN } else { f64::MAX }, |b, x| {
                    if higher(kpi) { b.max(x) } else { b.min(x) }
                })
        };
        // Every step of every route and every plausible target: within the best
        // value seen, and, but for a route marked not plausible, within twice the
        // value or the department's own best.
        let advice = a
            .routes
            .iter()
            .flat_map(|r| {
                r.steps
                    .iter()
                    .map(move |st| (&r.department_id, &st.kpi, st.value, st.target, r.plausible))
            })
            .chain(
                a.targets
                    .iter()
                    .filter(|t| t.plausible)
                    .map(|t| (&t.department_id, &t.kpi, t.value, t.target, true)),
            );
        let mut checked = 0;
        for (id, kpi, value, target, plausible) in advice {
            let (best, own) = (best(kpi), own_best(id, kpi));
            let within = |x: f64, y: f64| {
                if higher(kpi) {
                    x <= y + 1e-9 * y.abs()
                } else {
                    x >= y - 1e-9 * y.abs()
                }
            };
            assert!(
                within(target, best),
                "{n}: {id} {kpi} {value} → {target} passes the best {best}"
            );
            assert!(
                !plausible
                    || factor(value, target) <= MAX_FACTOR * (1.0 + 1e-9)
                    || within(target, own),
                "{n}: {id} {kpi} {value} → {target} is more than ×{MAX_FACTOR} and past its own best {own}"
            );
            checked += 1;
        }
        assert!(checked > 100, "{n}: {checked}");
        let bands = &a.scorecard.grades.bands;
        let d_grade = bands.iter().position(|b| b.grade == "D").unwrap();
        let departments = appraise_pipeline::departments(&data);
        let mut ds = 0;
        for dep in s.departments.iter().filter(|d| d.grade == Some(d_grade)) {
            let id = &dep.department.id;
            if !a
                .targets
                .iter()
                .any(|t| &t.department_id == id && t.plausible)
            {
                continue;
            }
            ds += 1;
            match a.routes.iter().find(|r| &r.department_id == id) {
                Some(r) => assert_eq!(bands[r.grade].grade, "C", "{n}: {r:?}"),
                // No route: even every KPI at the best value seen does not reach C.
                None => {
                    let mut matrix = scored.matrix.clone();
                    for v in matrix.values.iter_mut().filter(|v| &v.department_id == id) {
                        if v.value.is_some() {
                            v.value = Some(best(&v.kpi));
                        }
                    }
                    let input = appraise_score::Input {
                        departments: &departments,
                        library: &scored.kpis,
                        matrix: &matrix,
                    };
                    let at_best = appraise_score::score(&a.scorecard, &input).unwrap();
                    let grade = at_best.departments[at_best.position(id).unwrap()].grade;
                    assert_eq!(
                        grade,
                        Some(d_grade),
                        "{n}: {id} has no route, yet reaches {grade:?}"
                    );
                }
            }
        }
        assert!(ds >= 20, "{n}: {ds} D-grade departments with a target");
    }
}

/// The grade and rank of department `id` when the period is scored with each KPI of
/// `steps` set to its value, all else as `scored`.
fn standing_with(
    card: &Scorecard,
    departments: &[appraise_score::Department],
    scored: &appraise_pipeline::Scored,
    id: &str,
    steps: &[(&str, f64)],
) -> (usize, u32) {
    let mut matrix = scored.matrix.clone();
    for (kpi, x) in steps {
        let row = matrix
            .values
            .iter_mut()
            .find(|v| v.department_id == id && v.kpi == *kpi)
            .unwrap();
        row.value = Some(*x);
    }
    let input = appraise_score::Input {
        departments,
        library: &scored.kpis,
        matrix: &matrix,
    };
    let s = appraise_score::score(card, &input).unwrap();
    let d = &s.departments[s.position(id).unwrap()];
    (d.grade.unwrap(), d.rank.unwrap())
}

/// On the demo with every rate KPI shrunk (`shrink = "beta-binomial"`), no rate behind
/// fewer than 20 cases is scored at exactly 0 or 100 % unless its peer group's pooled
/// rate is (worked out here from the KPI matrix), and every shrunk rate lies between
/// the department's own rate and that peer rate.
#[test]
fn shrunk_small_rates_leave_the_edges_unless_their_peer_group_is_there() {
    let mut rules = rules();
    let library = rules.library.clone();
    let rates: Vec<&str> = library
        .iter()
        .filter(|k| k.unit.as_deref() == Some("ratio"))
        .map(|k| k.id.as_str())
        .collect();
    let path = root().join("queries/scorecard.toml");
    let mut text = std::fs::read_to_string(&path).unwrap();
    for id in &rates {
        let line = format!("id = \"{id}\"\n");
        text = text.replace(&line, &format!("{line}shrink = \"beta-binomial\"\n"));
    }
    rules.scorecard = Scorecard::parse(&path, &text).unwrap();
    let (_, scored) = appraise_demo(rules);
    let s = &scored.appraisal.current;
    let (mut small, mut at_edge_before) = (0, 0);
    for (k, kpi) in s.kpis.iter().enumerate() {
        if !rates.contains(&kpi.as_str()) {
            continue;
        }
        for (d, dep) in s.departments.iter().enumerate() {
            let cell = s.cell(d, k);
            let (Some(n), Some(value)) = (cell.cases, cell.value) else {
                continue;
            };
            let shrunk = cell.shrunk.unwrap();
            // The peer group's pooled rate, from the matrix.
            let (x, total) = s
                .departments
                .iter()
                .enumerate()
                .filter(|(_, e)| e.department.peer_group == dep.department.peer_group)
                .filter_map(|(e, _)| {
                    let c = s.cell(e, k);
                    Some((c.value? * c.cases?, c.cases?))
                })
                .fold((0.0, 0.0), |a, b| (a.0 + b.0, a.1 + b.1));
            let peer = x / total;
            let (lo, hi) = (value.min(peer), value.max(peer));
            assert!(
                shrunk >= lo - 1e-9 && shrunk <= hi + 1e-9,
                "{kpi} {}",
                dep.department.id
            );
            if n < 20.0 {
                small += 1;
                at_edge_before += usize::from(value == 0.0 || value == 1.0);
                if shrunk == 0.0 || shrunk == 1.0 {
                    assert!(
                        peer == 0.0 || peer == 1.0,
                        "{kpi} {}: {value} of {n} shrunk to {shrunk}, peer rate {peer}",
                        dep.department.id
                    );
                }
            }
        }
    }
    // The demo has many small rates, and many of them at an edge before shrinkage.
    assert!(
        small > 100 && at_edge_before > 50,
        "{small} small, {at_edge_before} at an edge"
    );
}

/// The demo's 2026Q3 appraised through `rules`, with the data loaded.
fn appraise_demo(rules: Rules) -> (appraise_data::Dataset, appraise_pipeline::Scored) {
    let dir = root().join("fixtures/demo");
    let data = appraise_data::load_dir(&dir, &Default::default()).unwrap();
    let scored = appraise(
        &dir,
        &data,
        &"2026Q3".parse().unwrap(),
        rules,
        &mut Laps::start("kpis"),
    )
    .unwrap();
    (data, scored)
}

/// The cards' "what to fix" on the demo, read as a department reads them: under the
/// exchange success rate, the resources listed are those with the most failed exchanges
/// in the evidence file beside the card (grouped here from that CSV), most first, ties
/// by id, at most five, with their counts and how many there are in all; the card links
/// that file.
#[test]
fn a_card_names_the_resources_with_the_most_failures_in_its_evidence() {
    let dir = tempfile::tempdir().unwrap();
    let job = Job {
        data: root().join("fixtures/demo"),
        options: Default::default(),
        period: Some("2026Q3".parse().unwrap()),
        rules: Rules {
            scorecard: Scorecard::from_file(&root().join("queries/scorecard.toml")).unwrap(),
            ..rules()
        },
        templates: Templates::load(None).unwrap(),
        lang: Lang::En,
        out: dir.path().join("out"),
        write: Policy::default(),
        evidence: true,
        status: None,
    };
    let done = run(job, &mut |_| {}).unwrap();
    let cards = done.out.join("departments");
    let mut checked = 0;
    for entry in std::fs::read_dir(&cards).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "html") {
            continue;
        }
        let html = std::fs::read_to_string(&path).unwrap();
        let Some(at) = html.find("<h4>Exchange success rate: ") else {
            continue;
        };
        let section = &html[at..];
        // minijinja escapes `/` in HTML, as `&#x2f;`.
        let section = section[..section.find("</p>").unwrap()].replace("&#x2f;", "/");
        let cells: Vec<&str> = section
            .split("<td")
            .skip(1)
            .map(|c| {
                let c = &c[c.find('>').unwrap() + 1..];
                &c[..c.find("</td>").unwrap()]
            })
            .collect();
        let listed: Vec<(String, u64)> = cells
            .chunks(2)
            .map(|c| (c[0].to_string(), c[1].parse().unwrap()))
            .collect();
        // The evidence file the card links, grouped here.
        let stem = path.file_stem().unwrap().to_str().unwrap();
        let file = format!("{stem}/exchange_success_rate.csv");
        assert!(
            section.contains(&format!("<a href=\"{file}\">")),
            "{stem}: link"
        );
        let csv = std::fs::read_to_string(cards.join(&file)).unwrap();
        let mut lines = csv.lines();
        let header: Vec<&str> = lines.next().unwrap().split(',').collect();
        let column = |name: &str| header.iter().position(|h| *h == name).unwrap();
        let (resource, ok) = (column("resource_id"), column("in_numerator"));
        let title = column("resource_title");
        // resource id -> (failures, title)
        let mut failures: std::collections::BTreeMap<String, (u64, String)> = Default::default();
        for line in lines {
            let fields: Vec<&str> = line.split(',').collect();
            if fields[ok] == "false" {
                let f = failures.entry(fields[resource].to_string()).or_default();
                f.0 += 1;
                f.1 = fields[title].to_string();
            }
        }
        let total = failures.len();
        // Most failures first, then by id; shown as "title (id)".
        let mut want: Vec<(String, u64, String)> = failures
            .into_iter()
            .map(|(id, (n, title))| (id, n, title))
            .collect();
        want.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        let mut want: Vec<(String, u64)> = want
            .into_iter()
            .map(|(id, n, title)| match (id.is_empty(), title.is_empty()) {
                (true, _) => ("(none given)".to_string(), n),
                (false, true) => (id, n),
                (false, false) => (format!("{title} ({id})"), n),
            })
            .collect();
        want.truncate(5);
        assert_eq!(listed, want, "{stem}");
        assert!(
            section.contains(&format!("{total} in all")),
            "{stem}: {total} in all"
        );
        checked += 1;
    }
    assert!(checked >= 3, "{checked} cards list failed exchanges");
}
