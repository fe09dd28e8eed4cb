//! The open-data release of the demo's 2026Q3: no published count below the minimum
//! cell, no suppressed count that the published totals give away (checked by linear
//! algebra), KPI rows and scores withheld by the documented rule, and a package whose
//! hashes match its files.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::Duration;

use appraise_kpi::{Calendar, EngineOptions, load_library};
use appraise_pipeline::{
    Laps, Licence, Release, Rules, SUPPRESSED, Scored, appraise, block_on, from_disk, publish,
};
use appraise_report::staging::Policy;
use appraise_score::Scorecard;
use appraise_score::suppress::recoverable;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn rules() -> Rules {
    Rules {
        scorecard: Scorecard::from_file(&root().join("queries/scorecard.toml")).unwrap(),
        library: load_library(&root().join("queries/kpis")).unwrap(),
        calendar: Calendar::from_dir(&root().join("queries/calendars")).unwrap(),
        engine: EngineOptions::default(),
        allow_empty: false,
        query_timeout: Duration::from_secs(600),
    }
}

fn read_csv(path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let mut r = csv::Reader::from_path(path).unwrap();
    let header = r.headers().unwrap().iter().map(String::from).collect();
    let rows = r
        .records()
        .map(|rec| rec.unwrap().iter().map(String::from).collect())
        .collect();
    (header, rows)
}

/// The demo's 2026Q3 as the release computes it, before suppression: the KPI matrix
/// and the exchanges per (provider, consumer).
fn demo() -> (Scored, Vec<(String, String, u64)>) {
    let dir = root().join("fixtures/demo");
    let data = appraise_data::load_dir(&dir, &Default::default()).unwrap();
    let period = "2026Q3".parse().unwrap();
    let scored = appraise(&dir, &data, &period, rules(), &mut Laps::start("kpis")).unwrap();
    let volumes = block_on(
        scored.engine.exchange_volumes(&period),
        Duration::from_secs(600),
    )
    .unwrap()
    .unwrap();
    (scored, volumes)
}

#[test]
fn the_demo_release_shows_no_small_count_and_gives_no_suppressed_one_away() {
    let (scored, volumes) = demo();
    for k in [5, 10] {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("release");
        let done = publish(Release {
            data: root().join("fixtures/demo"),
            options: Default::default(),
            period: "2026Q3".parse().unwrap(),
            rules: rules(),
            out: out.clone(),
            write: Policy::default(),
            contents: from_disk,
            min_cell: k,
            licence: Licence::from_id("CC-BY-4.0").unwrap(),
        })
        .unwrap();
        check_matrix(&out, k, &scored, &volumes);
        let (withheld, rows) = check_kpis(&out, k, &scored, &volumes);
        assert_eq!(done.kpi_rows, (scored.matrix.values.len(), rows));
        check_ranking(&out, &scored, &withheld);
        check_package(&out);
    }
}

/// exchanges.csv: shown counts are at least `k` and match the exchanges; the diagonal is
/// empty; no hidden cell follows from the rest.
fn check_matrix(out: &Path, k: u64, scored: &Scored, volumes: &[(String, String, u64)]) {
    let (header, rows) = read_csv(&out.join("exchanges.csv"));
    let ids: Vec<&str> = header[1..header.len() - 1]
        .iter()
        .map(String::as_str)
        .collect();
    let n = ids.len();
    assert_eq!(rows.len(), n + 1);
    // The true counts, from the engine's facts, self-exchanges left out.
    let at = |id: &str| ids.iter().position(|x| *x == id).unwrap();
    let mut truth = vec![vec![0u64; n + 1]; n + 1];
    for (p, c, x) in volumes.iter().filter(|(p, c, _)| p != c) {
        for (i, j) in [(at(c), at(p)), (at(c), n), (n, at(p)), (n, n)] {
            truth[i][j] += x;
        }
    }
    let mut hidden = vec![vec![false; n + 1]; n + 1];
    for (i, row) in rows.iter().enumerate() {
        assert_eq!(row[0], if i < n { ids[i] } else { "total" });
        for (j, cell) in row[1..].iter().enumerate() {
            if i == j && i < n {
                assert_eq!(cell, "", "the diagonal is left out");
            } else if cell == SUPPRESSED {
                hidden[i][j] = true;
            } else {
                let x: u64 = cell.parse().unwrap();
                assert!(x >= k, "{x} shown at ({i}, {j}) below {k}");
                assert_eq!(x, truth[i][j], "cell ({i}, {j})");
            }
        }
    }
    assert!(
        hidden.iter().flatten().any(|&h| h),
        "the demo has small cells"
    );
    assert_eq!(
        recoverable(&hidden),
        [],
        "k = {k}: a suppressed cell is given away"
    );
    // A provider's total is the denominator of its exchange success rate: the same
    // exchanges, counted by another query.
    for v in scored
        .matrix
        .values
        .iter()
        .filter(|v| v.kpi == "exchange_success_rate")
    {
        let j = at(&v.department_id);
        assert_eq!(
            v.denominator,
            Some(truth[n][j] as f64),
            "{}",
            v.department_id
        );
    }
}

/// kpis.csv: every row published or withheld whole, published rows as computed and with
/// no count below `k`, withheld rows for a reason. Returns the KPIs withheld with a
/// value, per department, and how many rows are withheld.
fn check_kpis(
    out: &Path,
    k: u64,
    scored: &Scored,
    volumes: &[(String, String, u64)],
) -> (BTreeMap<String, BTreeSet<String>>, usize) {
    let (header, rows) = read_csv(&out.join("kpis.csv"));
    let mut count = 0;
    assert_eq!(
        header,
        [
            "period",
            "department_id",
            "kpi",
            "value",
            "numerator",
            "denominator",
            "sample_size"
        ]
    );
    assert_eq!(rows.len(), scored.matrix.values.len());
    let truth: BTreeMap<(&str, &str), &appraise_kpi::KpiValue> = scored
        .matrix
        .values
        .iter()
        .map(|v| ((v.department_id.as_str(), v.kpi.as_str()), v))
        .collect();
    let counts_value: BTreeSet<&str> = scored
        .kpis
        .iter()
        .filter(|d| {
            d.unit
                .as_deref()
                .is_some_and(|u| appraise_pipeline::COUNT_UNITS.contains(&u))
        })
        .map(|d| d.id.as_str())
        .collect();
    // Totals of each department as consumer and as provider.
    let mut totals: BTreeMap<&str, [u64; 2]> = BTreeMap::new();
    for (p, c, x) in volumes.iter().filter(|(p, c, _)| p != c) {
        totals.entry(c).or_default()[0] += x;
        totals.entry(p).or_default()[1] += x;
    }
    let mut withheld: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for row in &rows {
        assert_eq!(row[0], "2026Q3");
        let v = truth[&(row[1].as_str(), row[2].as_str())];
        let counts: Vec<f64> = [v.numerator, v.denominator, v.sample_size.map(|s| s as f64)]
            .into_iter()
            .chain([v.value.filter(|_| counts_value.contains(v.kpi.as_str()))])
            .flatten()
            .collect();
        let cells = &row[3..];
        if cells.iter().all(|c| c == SUPPRESSED) {
            let small = counts.iter().any(|&c| c < k as f64);
            let t = totals
                .get(v.department_id.as_str())
                .copied()
                .unwrap_or([0, 0]);
            let a_total = counts.iter().any(|&c| t.iter().any(|&t| c == t as f64));
            assert!(small || a_total, "{row:?} withheld for no reason");
            count += 1;
            if v.value.is_some() {
                withheld
                    .entry(v.department_id.clone())
                    .or_default()
                    .insert(v.kpi.clone());
            }
        } else {
            assert!(
                !cells.iter().any(|c| c == SUPPRESSED),
                "{row:?} partly withheld"
            );
            for c in &counts {
                assert!(*c >= k as f64, "{row:?}: a count below {k}");
            }
            let parse = |s: &str| (!s.is_empty()).then(|| s.parse::<f64>().unwrap());
            assert_eq!(parse(&cells[0]), v.value, "{row:?}");
            assert_eq!(parse(&cells[1]), v.numerator, "{row:?}");
            assert_eq!(parse(&cells[2]), v.denominator, "{row:?}");
            assert_eq!(parse(&cells[3]), v.sample_size.map(|s| s as f64), "{row:?}");
        }
    }
    assert!(!withheld.is_empty(), "the demo has small counts");
    (withheld, count)
}

/// ranking.csv: a composite and a dimension score withheld exactly where a KPI behind
/// them is; ranks and grades as scored.
fn check_ranking(out: &Path, scored: &Scored, withheld: &BTreeMap<String, BTreeSet<String>>) {
    let (header, rows) = read_csv(&out.join("ranking.csv"));
    let s = &scored.appraisal.current;
    let card = &scored.appraisal.scorecard;
    assert_eq!(rows.len(), s.departments.len());
    let none = BTreeSet::new();
    for row in &rows {
        let dep = s
            .departments
            .iter()
            .find(|d| d.department.id == row[0])
            .unwrap();
        assert_eq!(row[5], dep.rank.map_or(String::new(), |r| r.to_string()));
        let held = withheld.get(&row[0]).unwrap_or(&none);
        assert_eq!(row[8] == SUPPRESSED, !held.is_empty(), "{row:?}");
        for (j, dim) in s.dimensions.iter().enumerate() {
            let col = header
                .iter()
                .position(|h| *h == format!("dim_{dim}"))
                .unwrap();
            let behind = card
                .kpis
                .iter()
                .any(|r| r.dimension == *dim && held.contains(&r.id));
            assert_eq!(row[col] == SUPPRESSED, behind, "{row:?} {dim}");
            if !behind {
                let shown = (!row[col].is_empty()).then(|| row[col].parse::<f64>().unwrap());
                assert_eq!(shown, dep.dimensions[j]);
            }
        }
    }
}

/// datapackage.json: every resource's size and hash are its file's; the demo's
/// exchanges are among the sources with their hash; the licence is named.
fn check_package(out: &Path) {
    let text = std::fs::read_to_string(out.join("datapackage.json")).unwrap();
    let p: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(p["licenses"][0]["name"], "CC-BY-4.0");
    assert_eq!(p["profile"], "tabular-data-package");
    let resources = p["resources"].as_array().unwrap();
    assert_eq!(resources.len(), 4);
    for r in resources {
        let path = out.join(r["path"].as_str().unwrap());
        let (bytes, sha) = appraise_data::digest::file_sha256(&path).unwrap();
        assert_eq!(r["bytes"], bytes);
        assert_eq!(r["hash"], format!("sha256:{sha}"));
    }
    let (_, demo) =
        appraise_data::digest::file_sha256(&root().join("fixtures/demo/exchanges.csv")).unwrap();
    let sources = p["sources"].as_array().unwrap();
    assert!(
        sources
            .iter()
            .any(|s| s["title"] == "exchanges.csv" && s["hash"] == format!("sha256:{demo}")),
        "{sources:?}"
    );
}

#[test]
fn a_licence_is_a_known_id_or_an_id_shaped_name() {
    let cc0 = Licence::from_id("cc0-1.0").unwrap();
    assert_eq!(cc0.name, "CC0-1.0");
    assert_eq!(
        cc0.path,
        Some("https://creativecommons.org/publicdomain/zero/1.0/")
    );
    assert_eq!(Licence::from_id("GL-OGL-3.0").unwrap().path, None);
    let e = Licence::from_id("CC BY 4.0").unwrap_err();
    assert!(e.to_string().contains("not a licence id"), "{e}");
    assert!(e.hint().unwrap().contains("CC-BY-4.0"));
}
