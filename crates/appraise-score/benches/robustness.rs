//! The robustness analysis at scale: 500 departments × the 18 built-in KPIs through the
//! default scorecard, 1,000 Monte Carlo runs plus the Saltelli design for the Sobol
//! indices (6,000 model evaluations with the rates' sampling noise, 5,000 without), on
//! one thread.
//!
//! `cargo bench --workspace --bench robustness`; prints the median of 7 timings.

use std::path::Path;
use std::time::Instant;

use appraise_kpi::{KpiMatrix, KpiValue, load_library};
use appraise_score::{Department, Input, Scorecard, robustness, score};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

const DEPARTMENTS: usize = 500;
const REPEAT: usize = 7;

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut card = Scorecard::from_file(&root.join("queries/scorecard.toml")).expect("scorecard");
    card.uncertainty.runs = 1000;
    let library = load_library(&root.join("queries/kpis")).expect("KPI library");

    let mut rng = ChaCha8Rng::seed_from_u64(1);
    let groups = ["province", "city", "county"];
    let departments: Vec<Department> = (0..DEPARTMENTS)
        .map(|i| Department {
            id: format!("D{i:04}"),
            name: format!("Department {i}"),
            name_en: String::new(),
            level: groups[i % 3].into(),
            peer_group: groups[i % 3].into(),
        })
        .collect();
    // Values in each KPI's range; 5 % missing; sample sizes 0–200, a rate's cases.
    let mut values = Vec::new();
    for d in &departments {
        for k in &library {
            let sample = rng.random_range(0..200);
            let cases = (k.unit.as_deref() == Some("ratio")).then_some(sample as f64);
            let value = match k.unit.as_deref() {
                Some("ratio") => rng.random_range(0.0..1.0),
                Some("ms") => rng.random_range(50.0..5000.0),
                Some("days") => rng.random_range(0.0..15.0),
                _ => rng
                    .random_range(0.0..1e6f64)
                    .powf(rng.random_range(0.3..1.0)),
            };
            values.push(KpiValue {
                department_id: d.id.clone(),
                kpi: k.id.clone(),
                value: (rng.random_range(0.0..1.0) > 0.05).then_some(value),
                numerator: cases.map(|n| (value * n).round()),
                denominator: cases,
                sample_size: Some(sample),
            });
        }
    }
    let matrix = KpiMatrix {
        period: "2026Q3".parse().expect("a period"),
        values,
    };
    let input = Input {
        departments: &departments,
        library: &library,
        matrix: &matrix,
    };

    let started = Instant::now();
    let scores = score(&card, &input).expect("scores");
    let scoring = started.elapsed();

    println!(
        "scoring {DEPARTMENTS} departments × {} KPIs: {:.1} ms",
        library.len(),
        scoring.as_secs_f64() * 1e3
    );
    for sampling in [true, false] {
        card.uncertainty.sampling = sampling;
        let mut times = Vec::new();
        let mut evaluations = 0;
        for _ in 0..REPEAT {
            let t = Instant::now();
            let r = robustness(&scores, &card.uncertainty);
            times.push(t.elapsed());
            evaluations = r.evaluations;
            std::hint::black_box(r);
        }
        times.sort();
        let median = times[REPEAT / 2];
        println!(
            "robustness, sampling {sampling}, {} runs ({evaluations} evaluations, {} ranked \
             departments): median {:.1} ms, min {:.1} ms, max {:.1} ms over {REPEAT}",
            card.uncertainty.runs,
            scores.ranked().len(),
            median.as_secs_f64() * 1e3,
            times[0].as_secs_f64() * 1e3,
            times[REPEAT - 1].as_secs_f64() * 1e3,
        );
    }
}
