//! The anomaly detector on generated traffic that follows the working-day calendar:
//! with planted anomalies it finds every planted outage (and the other kinds), and on
//! the same traffic without them it raises at most 1 false alarm per 1,000
//! department-days.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

use appraise_data::staging::Policy;
use appraise_gen::{GenerateOptions, Planted, generate};
use appraise_kpi::{Calendar, EngineOptions};
use appraise_pipeline::{AnomaliesFound, AnomaliesJob, anomalies};
use appraise_score::anomaly::{Kind, Settings};
use chrono::NaiveDate;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn calendar() -> Calendar {
    Calendar::from_dir(&root().join("queries/calendars")).unwrap()
}

/// 30 departments, January to June 2026, 300,000 exchanges, `planted` anomalies.
fn traffic(dir: &Path, planted: u64) -> Vec<Planted> {
    let report = generate(&GenerateOptions {
        seed: 7,
        departments: 30,
        start: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
        months: 6,
        exchanges: 300_000,
        services: 1_000,
        share_requests: 200,
        out: dir.to_path_buf(),
        workdays: Some(calendar().exceptions().clone()),
        anomalies: planted,
        ..Default::default()
    })
    .unwrap();
    report.planted
}

fn scan(dir: &Path) -> AnomaliesFound {
    anomalies(AnomaliesJob {
        data: dir.to_path_buf(),
        options: Default::default(),
        period: "2026Q2".parse().unwrap(),
        calendar: calendar(),
        engine: EngineOptions::default(),
        query_timeout: Duration::from_secs(600),
        allow_empty: false,
        settings: Settings::default(),
        out: Some(dir.join("out")),
        write: Policy::default(),
    })
    .unwrap()
}

#[test]
fn every_planted_outage_is_found_with_at_most_one_false_alarm_per_1000_department_days() {
    let tmp = tempfile::tempdir().unwrap();
    let (with, clean) = (tmp.path().join("planted"), tmp.path().join("clean"));
    let planted = traffic(&with, 16);
    assert!(traffic(&clean, 0).is_empty());

    // Planted in 2026Q2: found when the detector flags the department on that day (as
    // itself or in one of its busy pairs), as an anomaly of the planted kind.
    let in_period: Vec<&Planted> = planted
        .iter()
        .filter(|p| ("2026-04-01".."2026-07-01").contains(&p.day.as_str()))
        .collect();
    let found = scan(&with);
    let a = &found.detected;
    let hit = |p: &Planted| {
        a.anomalies.iter().any(|x| {
            x.department_id == p.department_id
                && x.day.to_string() == p.day
                && x.kind.name() == p.kind
        })
    };
    let planted_days: BTreeSet<(&str, String)> = planted
        .iter()
        .map(|p| (p.department_id.as_str(), p.day.clone()))
        .collect();
    let false_alarms = a
        .anomalies
        .iter()
        .filter(|x| !planted_days.contains(&(x.department_id.as_str(), x.day.to_string())))
        .count();
    let clean = scan(&clean).detected;
    for kind in [Kind::Outage, Kind::LatencyRegression, Kind::Spike] {
        let of: Vec<&&Planted> = in_period.iter().filter(|p| p.kind == kind.name()).collect();
        let hits = of.iter().filter(|p| hit(p)).count();
        eprintln!("{}: {hits} of {} planted found", kind.name(), of.len());
        assert!(!of.is_empty(), "no {} planted in 2026Q2", kind.name());
        assert_eq!(hits, of.len(), "{} missed: {of:?}", kind.name());
    }
    let rate = |n: usize, days: u64| 1000.0 * n as f64 / days as f64;
    eprintln!(
        "false alarms: {false_alarms} over {} department-days with anomalies planted \
         ({:.2} per 1,000); {} over {} on clean traffic ({:.2} per 1,000)",
        a.department_days,
        rate(false_alarms, a.department_days),
        clean.anomalies.len(),
        clean.department_days,
        rate(clean.anomalies.len(), clean.department_days),
    );
    // 30 providers × 91 days, less those without 5 days of baseline.
    assert!(clean.department_days > 2000, "{}", clean.department_days);
    assert!(rate(false_alarms, a.department_days) <= 1.0);
    assert!(rate(clean.anomalies.len(), clean.department_days) <= 1.0);

    // anomalies.csv: a row per anomaly, as found.
    let out = found.out.unwrap();
    let csv = std::fs::read_to_string(out.join("anomalies.csv")).unwrap();
    let mut lines = csv.lines();
    assert_eq!(
        lines.next(),
        Some("department_id,consumer_id,day,kind,severity,metric,expected,observed,score")
    );
    assert_eq!(lines.count(), a.anomalies.len());
    // candidate-adjustments.csv: each department's outage as its day excluded, without
    // a decision's number, so that `--adjustments` refuses it until one is given.
    let candidates = std::fs::read(out.join("candidate-adjustments.csv")).unwrap();
    let tz = appraise_data::DEFAULT_TIMEZONE;
    let path = Path::new("candidate-adjustments.csv");
    let refused = appraise_kpi::Adjustments::parse(path, &candidates, tz).unwrap_err();
    assert!(
        refused.to_string().contains(":2 (reference): no reference"),
        "{refused}"
    );
    let numbered: String = String::from_utf8(candidates)
        .unwrap()
        .lines()
        .enumerate()
        .map(|(i, l)| {
            if i == 0 {
                format!("{l}\n")
            } else {
                format!("{l}D-{i}\n")
            }
        })
        .collect();
    let parsed = appraise_kpi::Adjustments::parse(path, numbered.as_bytes(), tz).unwrap();
    let outages: BTreeSet<(String, String)> = a
        .anomalies
        .iter()
        .filter(|x| x.kind == Kind::Outage && x.consumer_id.is_none())
        .map(|x| (x.department_id.clone(), x.day.to_string()))
        .collect();
    let listed: BTreeSet<(String, String)> = parsed
        .lines
        .iter()
        .map(|l| {
            assert_eq!(l.table, appraise_data::Table::Exchanges);
            assert_eq!(l.action, appraise_kpi::adjust::Action::Exclude);
            let appraise_kpi::adjust::Rows::Window { written, .. } = &l.rows else {
                panic!("{l:?}");
            };
            assert_eq!(written.0, written.1, "one day");
            (l.department_id.clone().unwrap(), written.0.clone())
        })
        .collect();
    assert!(!outages.is_empty());
    assert_eq!(listed, outages);
    assert_eq!(parsed.lines.len(), outages.len());
}

fn scan_demo(period: &str) -> AnomaliesFound {
    anomalies(AnomaliesJob {
        data: root().join("fixtures/demo"),
        options: Default::default(),
        period: period.parse().unwrap(),
        calendar: calendar(),
        engine: EngineOptions::default(),
        query_timeout: Duration::from_secs(600),
        allow_empty: false,
        settings: Settings::default(),
        out: None,
        write: Policy::default(),
    })
    .unwrap()
}

/// Regression (anomalies_on_days_the_data_does_not_cover): a period reaching past the
/// data's last exchange (the demo ends on 2026-09-30) reported the silent days after it
/// as outages ("exchanges 0, expected 36" on 2026-10-08 to 15).
#[test]
fn anomalies_on_days_the_data_does_not_cover() {
    let last = NaiveDate::from_ymd_opt(2026, 9, 30).unwrap();
    let within = scan_demo("2026-09-01..2026-09-30");
    let past = scan_demo("2026-09-01..2026-10-31");
    assert!(
        past.detected.anomalies.iter().all(|a| a.day <= last),
        "{:?}",
        past.detected.anomalies
    );
    // The days the data covers are judged as before, and the user is told.
    assert_eq!(past.detected.anomalies, within.detected.anomalies);
    assert_eq!(
        past.detected.department_days,
        within.detected.department_days
    );
    assert!(
        past.warnings
            .iter()
            .any(|w| w.text().contains("end on 2026-09-30")),
        "{:?}",
        past.warnings
    );
}

/// Regression (anomalies_over_a_period_of_centuries): `--period
/// 2026-04-01..2500-12-31` judged every day to the year 2500 (over 300 s); the scan
/// stops at the data's last day and finds what the data's own months give.
#[test]
fn anomalies_over_a_period_of_centuries() {
    let long = scan_demo("2026-04-01..2500-12-31");
    let covered = scan_demo("2026-04-01..2026-09-30");
    assert_eq!(long.detected.anomalies, covered.detected.anomalies);
    assert_eq!(
        long.detected.department_days,
        covered.detected.department_days
    );
}
