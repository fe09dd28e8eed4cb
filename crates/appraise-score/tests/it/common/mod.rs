//! Small builders for scoring tests: KPI definitions, matrices, scorecards.
#![allow(dead_code, unreachable_pub)]

use std::path::Path;

use appraise_kpi::{KpiDef, KpiMatrix, KpiValue};
use appraise_score::{Department, Input, Scorecard, Scores, score};

/// A KPI definition with an id and a direction (`higher` or `lower`).
pub fn kpi(id: &str, direction: &str) -> KpiDef {
    let text = format!(
        "-- kpi: {id}\n-- title: {id}\n-- dimension: d\n-- direction: {direction}\n\
         SELECT department_id, value FROM t\n"
    );
    KpiDef::parse(Path::new(&format!("{id}.sql")), &text).expect("test KPI parses")
}

/// Departments `d1..` with the given peer groups.
pub fn departments(groups: &[&str]) -> Vec<Department> {
    groups
        .iter()
        .enumerate()
        .map(|(i, g)| Department {
            id: format!("d{}", i + 1),
            name: format!("Department {}", i + 1),
            name_en: String::new(),
            level: "province".into(),
            peer_group: (*g).into(),
        })
        .collect()
}

/// A matrix from (department, kpi, value, sample size) rows.
pub fn matrix(rows: &[(&str, &str, Option<f64>, Option<i64>)]) -> KpiMatrix {
    KpiMatrix {
        period: "2026Q3".parse().expect("a period"),
        values: rows
            .iter()
            .map(|&(d, k, v, n)| KpiValue {
                department_id: d.into(),
                kpi: k.into(),
                value: v,
                numerator: None,
                denominator: None,
                sample_size: n,
            })
            .collect(),
    }
}

pub fn card(text: &str) -> Scorecard {
    Scorecard::parse(Path::new("test.toml"), text).expect("test scorecard parses")
}

pub fn run(card: &Scorecard, deps: &[Department], library: &[KpiDef], m: &KpiMatrix) -> Scores {
    score(
        card,
        &Input {
            departments: deps,
            library,
            matrix: m,
        },
    )
    .expect("scores")
}

pub fn close(a: Option<f64>, b: f64) -> bool {
    a.is_some_and(|a| (a - b).abs() < 1e-9)
}
