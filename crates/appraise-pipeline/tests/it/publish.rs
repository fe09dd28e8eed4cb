//! The open-data release of the demo's 2026Q3: no published count below the minimum
//! cell, no suppressed count that the published totals give away (checked by linear
//! algebra), KPI rows and scores withheld by the documented rule, and a package whose
//! hashes match its files.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::Duration;

use appraise_data::staging::Policy;
use appraise_kpi::{Calendar, EngineOptions, load_library};
use appraise_pipeline::disclosure::recoverable;
use appraise_pipeline::{
    Laps, Licence, Release, Rules, SUPPRESSED, Scored, appraise, block_on, publish,
};
use appraise_report::lang::Lang;
use appraise_score::Scorecard;

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

/// Exchanges per (provider, consumer, count).
type Volumes = Vec<(String, String, u64)>;

/// A release of the family as the checks read it: its KPI matrix and its exchanges.
type Member<'a> = (&'a appraise_kpi::KpiMatrix, &'a [(String, String, u64)]);

/// The demo's 2026Q3 as the release computes it, before suppression: the KPI matrix
/// and the exchanges per (provider, consumer); and the same figures of its three
/// months, which its release is protected with.
#[allow(clippy::type_complexity)]
fn demo() -> (
    Scored,
    Vec<(String, String, u64)>,
    Vec<(appraise_kpi::KpiMatrix, Vec<(String, String, u64)>)>,
) {
    let dir = root().join("fixtures/demo");
    let data = appraise_data::load_dir(&dir, &Default::default()).unwrap();
    let period = "2026Q3".parse().unwrap();
    let scored = appraise(&dir, &data, &period, rules(), &mut Laps::start("kpis")).unwrap();
    let wait = Duration::from_secs(600);
    let volumes = block_on(scored.engine.exchange_volumes(&period), wait)
        .unwrap()
        .unwrap();
    let months = ["2026-07", "2026-08", "2026-09"]
        .map(|m| {
            let m = m.parse().unwrap();
            let matrix = block_on(scored.engine.run(&m, &scored.kpis), wait)
                .unwrap()
                .unwrap();
            let volumes = block_on(scored.engine.exchange_volumes(&m), wait)
                .unwrap()
                .unwrap();
            (matrix, volumes)
        })
        .into();
    (scored, volumes, months)
}

fn publish_demo(k: u64, out: &Path) -> appraise_pipeline::Published {
    release(&root().join("fixtures/demo"), "2026Q3", k, out, None).unwrap()
}

#[test]
fn the_demo_release_shows_no_small_count_and_gives_no_suppressed_one_away() {
    let (scored, volumes, months) = demo();
    for k in [5, 10] {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("release");
        let done = publish_demo(k, &out);
        check_matrix(&out, k, &scored, &volumes);
        let (withheld, rows) = check_kpis(&out, k, &scored, &volumes, &months);
        assert_eq!(done.kpi_rows, (scored.matrix.values.len(), rows));
        check_ranking(&out, &scored, &withheld);
        check_package(&out);
    }
}

/// Regression (kpi_counts_show_hidden_cells_are_not_zero): `consumers_served` counts a
/// provider's consumers, the non-zero cells of its matrix column; provider 320826-SP
/// (demo, K = 5) showed 59 with 52 published cells, so its 7 suppressed cells were all
/// at least 1 (two narrowed to [1, 5]). A count of partner departments is withheld
/// wherever the department's row or column hides a cell between departments.
#[test]
fn kpi_counts_show_hidden_cells_are_not_zero() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("release");
    publish_demo(5, &out);
    let (header, cells) = shown_matrix(&out);
    let ids = &header;
    let n = ids.len();
    let (_, rows) = read_csv(&out.join("kpis.csv"));
    let mut checked = 0;
    for row in rows
        .iter()
        .filter(|r| r[2] == "consumers_served" || r[2] == "providers_used")
    {
        let d = ids.iter().position(|x| *x == row[1]).unwrap();
        let line: Vec<Option<u64>> = if row[2] == "consumers_served" {
            (0..n).map(|i| cells[i][d]).collect()
        } else {
            cells[d][..n].to_vec()
        };
        if line.iter().any(Option::is_none) {
            assert_eq!(row[3], SUPPRESSED, "{row:?} published beside hidden cells");
            checked += 1;
        } else {
            // Every partner shown: the count is the shown non-zero cells.
            let partners = line.iter().filter(|c| c.is_some_and(|x| x > 0)).count();
            assert!(row[3] == SUPPRESSED || row[3].parse::<usize>().unwrap() <= partners);
        }
    }
    assert!(checked > 0, "the demo hides cells beside partner counts");
    let sp = rows
        .iter()
        .find(|r| r[1] == "320826-SP" && r[2] == "consumers_served")
        .unwrap();
    assert_eq!(sp[3], SUPPRESSED);
}

/// Regression (empty_kpi_rows_publish_zero_counts): at any K, 31 demo rows of
/// `request_approval_rate`, `request_decision_days` and `request_on_time_rate` were
/// published empty, which says the department decided no request: a count of 0,
/// below K. A row with nothing to measure is withheld like any count below K.
#[test]
fn empty_kpi_rows_publish_zero_counts() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("release");
    publish_demo(u64::MAX, &out);
    let (_, rows) = read_csv(&out.join("kpis.csv"));
    assert!(!rows.is_empty());
    for row in &rows {
        assert!(row[3..].iter().all(|c| c == SUPPRESSED), "{row:?}");
    }
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("release");
    publish_demo(2, &out);
    let (_, rows) = read_csv(&out.join("kpis.csv"));
    for row in &rows {
        assert!(
            !row[3..].iter().all(String::is_empty),
            "{row:?} published empty"
        );
    }
    assert!(
        rows.iter()
            .any(|r| r[2] == "request_decision_days" && r[3] == SUPPRESSED)
    );
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
/// no count below `k`, withheld rows for a reason (in the quarter or one of its
/// months: a count below `k` or equal to a total, nothing to measure, or a count of
/// partners beside hidden cells). Returns the KPIs withheld with a value, per
/// department, and how many rows are withheld.
fn check_kpis(
    out: &Path,
    k: u64,
    scored: &Scored,
    volumes: &[(String, String, u64)],
    months: &[(appraise_kpi::KpiMatrix, Volumes)],
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
    let family: Vec<Member<'_>> = std::iter::once((&scored.matrix, volumes))
        .chain(months.iter().map(|(m, v)| (m, v.as_slice())))
        .collect();
    let unit = |kpi: &str| {
        scored
            .kpis
            .iter()
            .find(|d| d.id == kpi)
            .and_then(|d| d.unit.clone())
    };
    let (ids, cells) = shown_matrix(out);
    let beside_hidden = |d: &str| {
        let Some(i) = ids.iter().position(|x| x == d) else {
            return false;
        };
        (0..ids.len()).any(|j| cells[i][j].is_none() || cells[j][i].is_none())
    };
    // Why a member's row of (department, KPI) would be withheld, if it would.
    let reason =
        |m: &appraise_kpi::KpiMatrix, vols: &[(String, String, u64)], d: &str, kpi: &str| {
            let Some(v) = m
                .values
                .iter()
                .find(|v| v.department_id == d && v.kpi == kpi)
            else {
                return false;
            };
            let counting =
                unit(kpi).is_some_and(|u| appraise_pipeline::COUNT_UNITS.contains(&u.as_str()));
            let counts: Vec<f64> = [v.numerator, v.denominator, v.sample_size.map(|s| s as f64)]
                .into_iter()
                .chain([v.value.filter(|_| counting)])
                .flatten()
                .collect();
            // The department's totals, as consumer and as provider, where the release
            // hides them.
            let mut t = [0u64; 2];
            for (p, c, x) in vols.iter().filter(|(p, c, _)| p != c) {
                if c == d {
                    t[0] += x;
                }
                if p == d {
                    t[1] += x;
                }
            }
            let n = ids.len();
            let i = ids.iter().position(|x| x == d);
            let hidden_totals: Vec<u64> = [
                i.filter(|&i| cells[i][n].is_none()).map(|_| t[0]),
                i.filter(|&i| cells[n][i].is_none()).map(|_| t[1]),
            ]
            .into_iter()
            .flatten()
            .collect();
            v.value.is_none()
                || counts
                    .iter()
                    .any(|&c| c < k as f64 || hidden_totals.iter().any(|&t| c == t as f64))
                || (unit(kpi).as_deref() == Some("departments") && beside_hidden(d))
        };
    let truth: BTreeMap<(&str, &str), &appraise_kpi::KpiValue> = scored
        .matrix
        .values
        .iter()
        .map(|v| ((v.department_id.as_str(), v.kpi.as_str()), v))
        .collect();
    let mut withheld: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for row in &rows {
        assert_eq!(row[0], "2026Q3");
        let v = truth[&(row[1].as_str(), row[2].as_str())];
        let cells = &row[3..];
        if cells.iter().all(|c| c == SUPPRESSED) {
            assert!(
                family
                    .iter()
                    .any(|(m, vols)| reason(m, vols, &row[1], &row[2])),
                "{row:?} withheld for no reason"
            );
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
            // Published: no member of the family gives a reason to withhold it.
            for (m, vols) in &family {
                assert!(
                    !reason(m, vols, &row[1], &row[2]),
                    "{row:?}: published with a reason"
                );
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

/// A Chinese release describes itself in Chinese: the package's title and every
/// description, and kpi_definitions.csv's titles, units, directions and descriptions
/// hold no word of Latin letters but the names of the release's files and columns and
/// the codes its data files use; the English release says the same in English.
#[test]
fn release_metadata_in_chinese() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("zh");
    release_in(
        Lang::Zh,
        &root().join("fixtures/demo"),
        "2026Q3",
        10,
        &out,
        None,
    )
    .unwrap();
    let text = std::fs::read_to_string(out.join("datapackage.json")).unwrap();
    let p: serde_json::Value = serde_json::from_str(&text).unwrap();
    let mut said = vec![
        p["title"].as_str().unwrap().to_string(),
        p["description"].as_str().unwrap().to_string(),
    ];
    for r in p["resources"].as_array().unwrap() {
        said.push(r["description"].as_str().unwrap().to_string());
        for f in r["schema"]["fields"].as_array().unwrap() {
            said.push(f["description"].as_str().unwrap().to_string());
        }
    }
    assert!(said[0].contains("2026年第三季度"), "{}", said[0]);
    let definitions = std::fs::read_to_string(out.join("kpi_definitions.csv")).unwrap();
    let mut rows = csv::Reader::from_reader(definitions.as_bytes());
    let header = rows.headers().unwrap().clone();
    for row in rows.records() {
        let row = row.unwrap();
        for column in ["title_zh", "unit", "direction", "description"] {
            let at = header.iter().position(|h| h == column).unwrap();
            said.push(row[at].to_string());
        }
    }
    // Files, columns (the departments' ids among them) and codes of the data files
    // are named as they are.
    let matrix = std::fs::read_to_string(out.join("exchanges.csv")).unwrap();
    let mut allowed: Vec<&str> = vec!["kpi_definitions", "csv", "ranked", "insufficient_data"];
    allowed.extend(matrix.lines().next().unwrap().split([',', '-']));
    for text in &said {
        let latin: Vec<&str> = text
            .split(|c: char| !(c.is_ascii_alphabetic() || c == '_'))
            .filter(|w| w.chars().filter(char::is_ascii_alphabetic).count() >= 2)
            .filter(|w| !allowed.contains(w))
            .collect();
        assert!(latin.is_empty(), "{latin:?} in {text:?}");
    }
    assert!(said.iter().any(|s| s.contains("越高越好")));
    // The English release: the same package in English.
    let en = dir.path().join("en");
    release_in(
        Lang::En,
        &root().join("fixtures/demo"),
        "2026Q3",
        10,
        &en,
        Some(&dir.path().join("en-series.json")),
    )
    .unwrap();
    let text = std::fs::read_to_string(en.join("datapackage.json")).unwrap();
    assert!(text.contains("Performance appraisal of government information sharing, 2026Q3"));
    assert!(
        std::fs::read_to_string(en.join("kpi_definitions.csv"))
            .unwrap()
            .contains("higher is better")
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

/// A generated province of 14 departments over 2026Q3, with few exchanges a pair: a
/// matrix of many small cells in every month. (Seed 1: protected by cycles alone, 7
/// cells of its July at K = 5 and 56 at K = 10 lay in intervals narrower than K.)
fn province(dir: &Path) -> PathBuf {
    let data = dir.join("province");
    appraise_gen::generate(&appraise_gen::GenerateOptions {
        seed: 1,
        departments: 14,
        start: chrono::NaiveDate::from_ymd_opt(2026, 7, 1).unwrap(),
        months: 3,
        exchanges: 4_000,
        services: 400,
        share_requests: 80,
        out: data.clone(),
        ..Default::default()
    })
    .unwrap();
    data
}

/// The release of `period` of `data` at minimum cell `k` into `out`, recorded in the
/// series log `series` (the default one beside `out` where `None`).
fn release(
    data: &Path,
    period: &str,
    k: u64,
    out: &Path,
    series: Option<&Path>,
) -> Result<appraise_pipeline::Published, appraise_pipeline::Error> {
    release_in(Lang::En, data, period, k, out, series)
}

/// [`release`], its descriptions in `lang`.
fn release_in(
    lang: Lang,
    data: &Path,
    period: &str,
    k: u64,
    out: &Path,
    series: Option<&Path>,
) -> Result<appraise_pipeline::Published, appraise_pipeline::Error> {
    publish(Release {
        data: data.to_path_buf(),
        options: Default::default(),
        period: period.parse().unwrap(),
        rules: rules(),
        out: out.to_path_buf(),
        write: Policy::default(),
        min_cell: k,
        licence: Licence::from_id("CC-BY-4.0").unwrap(),
        series: series.map(Path::to_path_buf),
        lang,
    })
}

/// A released matrix as anyone reads it: the department ids, and each cell of the
/// (n + 1) × (n + 1) table with its totals, `None` where suppressed (the diagonal,
/// left out, reads 0: a reader knows it).
fn shown_matrix(out: &Path) -> (Vec<String>, Vec<Vec<Option<u64>>>) {
    let (header, rows) = read_csv(&out.join("exchanges.csv"));
    let ids = header[1..header.len() - 1].to_vec();
    let cells = rows
        .iter()
        .enumerate()
        .map(|(i, row)| {
            row[1..]
                .iter()
                .enumerate()
                .map(|(j, c)| {
                    if i == j && i < ids.len() {
                        Some(0)
                    } else if c == SUPPRESSED {
                        None
                    } else {
                        Some(c.parse().unwrap())
                    }
                })
                .collect()
        })
        .collect();
    (ids, cells)
}

/// Everything the releases of a quarter and its months publish about their matrices,
/// as linear equations in the suppressed cells (each ≥ 0): every row and column sum of
/// every release, and every cell of the quarter as the sum of the same cell of its
/// months. Returns the unknowns as (release, row, column) and the equations as
/// (terms, right-hand side).
#[allow(clippy::type_complexity)]
fn attack_system(
    releases: &[Vec<Vec<Option<u64>>>],
) -> (Vec<(usize, usize, usize)>, Vec<(Vec<(usize, f64)>, f64)>) {
    let size = releases[0].len();
    let mut unknowns = Vec::new();
    let mut index = BTreeMap::new();
    for (r, cells) in releases.iter().enumerate() {
        for (i, row) in cells.iter().enumerate() {
            for (j, c) in row.iter().enumerate() {
                if c.is_none() {
                    index.insert((r, i, j), unknowns.len());
                    unknowns.push((r, i, j));
                }
            }
        }
    }
    let mut equations = Vec::new();
    // sum(terms) = 0 with each term (release, row, column, coefficient).
    let mut add = |terms: Vec<(usize, usize, usize, f64)>| {
        let (mut lhs, mut rhs) = (Vec::new(), 0.0);
        for (r, i, j, c) in terms {
            match releases[r][i][j] {
                Some(x) => rhs -= c * x as f64,
                None => lhs.push((index[&(r, i, j)], c)),
            }
        }
        if !lhs.is_empty() {
            equations.push((lhs, rhs));
        }
    };
    let t = size - 1;
    for r in 0..releases.len() {
        for i in 0..size {
            // A row (the totals row too) sums to its last cell; a column likewise.
            let mut row: Vec<_> = (0..t).map(|j| (r, i, j, 1.0)).collect();
            row.push((r, i, t, -1.0));
            add(row);
            let mut col: Vec<_> = (0..t).map(|j| (r, j, i, 1.0)).collect();
            col.push((r, t, i, -1.0));
            add(col);
        }
    }
    for i in 0..size {
        for j in 0..size {
            let mut cell = vec![(0, i, j, 1.0)];
            cell.extend((1..releases.len()).map(|r| (r, i, j, -1.0)));
            add(cell);
        }
    }
    (unknowns, equations)
}

/// The unknowns the equations fix exactly, by elimination: an unknown is determined
/// when, in reduced row echelon form, it is a pivot whose row holds no free unknown.
fn determined(n: usize, equations: &[(Vec<(usize, f64)>, f64)]) -> Vec<usize> {
    let mut m: Vec<Vec<f64>> = equations
        .iter()
        .map(|(terms, _)| {
            let mut row = vec![0.0; n];
            for &(i, c) in terms {
                row[i] += c;
            }
            row
        })
        .collect();
    let mut pivots = Vec::new();
    for col in 0..n {
        let r = pivots.len();
        let Some(p) = (r..m.len()).max_by(|&a, &b| m[a][col].abs().total_cmp(&m[b][col].abs()))
        else {
            break;
        };
        if m[p][col].abs() < 1e-9 {
            continue;
        }
        m.swap(r, p);
        let pivot = m[r].clone();
        for (i, row) in m.iter_mut().enumerate() {
            if i != r && row[col].abs() > 1e-12 {
                let f = row[col] / pivot[col];
                for (x, q) in row.iter_mut().zip(&pivot) {
                    *x -= f * q;
                }
            }
        }
        pivots.push(col);
    }
    let is_pivot: BTreeSet<usize> = pivots.iter().copied().collect();
    pivots
        .iter()
        .enumerate()
        .filter(|&(r, _)| {
            m[r].iter()
                .enumerate()
                .all(|(c, x)| is_pivot.contains(&c) || x.abs() <= 1e-9)
        })
        .map(|(_, &c)| c)
        .collect()
}

/// The bounds attacker (tests/attack/bounds.py, scipy's HiGHS): each unknown's
/// narrowest interval. `None` where no Python with scipy is at hand.
fn bounds(n: usize, equations: &[(Vec<(usize, f64)>, f64)]) -> Option<Vec<(f64, Option<f64>)>> {
    use std::io::Write;
    // CI names its Python with scipy (.ci/run): there the attacker must run.
    let named = std::env::var("APPRAISE_PYTHON").ok();
    let python = named.clone().unwrap_or_else(|| "python3".into());
    let has_scipy = std::process::Command::new(&python)
        .args(["-c", "import scipy"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !has_scipy {
        assert!(
            named.is_none(),
            "APPRAISE_PYTHON={python} cannot import scipy"
        );
        eprintln!("no Python with scipy here: the bounds attacker is not run");
        return None;
    }
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/attack/bounds.py");
    let mut child = std::process::Command::new(&python)
        .arg(script)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let system = serde_json::json!({"unknowns": n, "equations": equations});
    child
        .stdin
        .take()
        .unwrap()
        .write_all(system.to_string().as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let intervals: Vec<(f64, Option<f64>)> = serde_json::from_slice(&out.stdout).unwrap();
    Some(intervals)
}

/// Regression (differencing_across_releases, two_releases_at_different_k): publishing a
/// quarter and its three months let anyone subtract (on the demo 122 hidden cells
/// recovered at K = 5), a quarter against a range one day shorter gave the last day's
/// counts, and a K = 5 and a K = 10 release of one period undid the larger K. Each
/// series (one K) of a generated province publishes 2026Q3 and its months; the
/// differencing attacker (linear algebra over every release's sums and the quarter =
/// the sum of its months) recovers no suppressed cell, and the bounds attacker (linear
/// programming, the cells ≥ 0) puts none in an interval narrower than K. Ranges and a
/// second K in a series are refused.
#[test]
fn differencing_across_releases() {
    let dir = tempfile::tempdir().unwrap();
    let data = province(dir.path());
    let family = ["2026Q3", "2026-07", "2026-08", "2026-09"];
    for k in [5u64, 10] {
        let series = dir.path().join(format!("series-{k}.json"));
        // Published in an order other than the quarter's: the pattern is the family's.
        let mut shown = BTreeMap::new();
        for period in ["2026-08", "2026Q3", "2026-07", "2026-09"] {
            let out = dir.path().join(format!("k{k}-{period}"));
            release(&data, period, k, &out, Some(&series)).unwrap();
            shown.insert(period, shown_matrix(&out));
        }
        let ids = &shown["2026Q3"].0;
        assert!(
            family.iter().all(|p| shown[p].0 == *ids),
            "one set of departments"
        );
        let releases: Vec<Vec<Vec<Option<u64>>>> =
            family.iter().map(|p| shown[p].1.clone()).collect();
        let hidden = releases[0].iter().flatten().filter(|c| c.is_none()).count();
        assert!(hidden > 50, "k = {k}: {hidden} hidden cells");
        let (unknowns, equations) = attack_system(&releases);
        let fixed = determined(unknowns.len(), &equations);
        let named: Vec<_> = fixed.iter().map(|&u| unknowns[u]).collect();
        assert!(named.is_empty(), "k = {k}: recovered exactly {named:?}");
        if let Some(intervals) = bounds(unknowns.len(), &equations) {
            let narrow: Vec<_> = intervals
                .iter()
                .zip(&unknowns)
                .filter(|((lo, hi), _)| hi.is_some_and(|hi| hi - lo < k as f64 - 1e-6))
                .map(|((lo, hi), u)| (u, *lo, *hi))
                .collect();
            assert!(narrow.is_empty(), "k = {k}: narrower than {k}: {narrow:?}");
            let widest = intervals.iter().filter_map(|(lo, hi)| hi.map(|hi| hi - lo));
            eprintln!(
                "k = {k}: {hidden} hidden cells in the quarter, {} unknowns in the four \
                 releases, {} equations; narrowest interval {:?}",
                unknowns.len(),
                equations.len(),
                widest.reduce(f64::min)
            );
        }
        // A second minimum cell in the series is refused, and so is any span of days
        // but a month or a quarter.
        let out = dir.path().join(format!("k{k}-again"));
        let e = release(&data, "2026-07", 15 - k, &out, Some(&series)).unwrap_err();
        assert!(e.to_string().contains(&format!("--min-cell {k}")), "{e}");
        for period in ["2026-07-01..2026-09-29", "2026"] {
            let e = release(&data, period, k, &out, Some(&series)).unwrap_err();
            assert!(e.to_string().contains("calendar month or quarter"), "{e}");
        }
        assert!(!out.exists());
    }
}
