//! The `appraise` binary as a person or a script uses it.

use std::path::{Path, PathBuf};

use predicates::prelude::*;

use crate::common::{appraise, fixtures};

#[test]
fn validate_json_has_the_documented_shape() {
    let rejects = tempfile::tempdir().unwrap();
    let out = appraise()
        .args(["validate", "--format", "json", "--data"])
        .arg(fixtures().join("bad/rows"))
        .arg("--rejects")
        .arg(rejects.path())
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    let ex = &v["tables"]["exchanges"];
    // fixtures/bad/README.md: 14 read = 2 loaded + 11 rejected + 1 duplicate.
    assert_eq!(ex["read"], 14);
    assert_eq!(ex["loaded"], 2);
    assert_eq!(ex["rejected"], 11);
    assert_eq!(ex["duplicates"], 1);
    assert_eq!(ex["reasons"]["unknown_department"], 2);
    assert!(v["warnings"].is_array());
    for t in [
        "departments",
        "catalog",
        "exchanges",
        "share_requests",
        "services",
    ] {
        assert!(rejects.path().join(format!("{t}.csv")).is_file(), "{t}");
    }
}

#[test]
fn an_unreadable_file_exits_1_with_the_file_and_a_hint() {
    let rejects = tempfile::tempdir().unwrap();
    appraise()
        .args(["validate", "--data"])
        .arg(fixtures().join("bad/missing_column"))
        .arg("--rejects")
        .arg(rejects.path())
        .assert()
        .code(1)
        .stderr(predicate::str::contains("exchanges.csv"))
        .stderr(predicate::str::contains(
            "missing required column(s) status",
        ))
        .stderr(predicate::str::contains(
            "hint: the exchanges table needs the columns",
        ));
}

#[test]
fn a_wrong_encoding_declaration_exits_1_with_a_hint() {
    let rejects = tempfile::tempdir().unwrap();
    appraise()
        .args(["validate", "--encoding", "utf-8", "--data"])
        .arg(fixtures().join("bad/gb18030"))
        .arg("--rejects")
        .arg(rejects.path())
        .assert()
        .code(1)
        .stderr(predicate::str::contains("departments.csv"))
        .stderr(predicate::str::contains(
            "hint: the file may be GB18030/GBK",
        ));
}

#[test]
fn a_usage_error_exits_1() {
    appraise().args(["validate", "--bogus"]).assert().code(1);
}

#[test]
fn generate_then_validate_accounts_for_the_injected_rows() {
    let data = tempfile::tempdir().unwrap();
    let report = appraise()
        .args([
            "generate",
            "--seed",
            "7",
            "--departments",
            "12",
            "--exchanges",
            "2000",
        ])
        .args(["--bad-rows", "0.05", "--out"])
        .arg(data.path())
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let report: serde_json::Value = serde_json::from_slice(&report).unwrap();
    let rejects = tempfile::tempdir().unwrap();
    let out = appraise()
        .args(["validate", "--format", "json", "--data"])
        .arg(data.path())
        .arg("--rejects")
        .arg(rejects.path())
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    let injected = report["injected"]["exchanges"].as_object().unwrap();
    let found = &v["tables"]["exchanges"];
    let injected_total: u64 = injected.values().map(|n| n.as_u64().unwrap()).sum();
    let found_total = found["rejected"].as_u64().unwrap() + found["duplicates"].as_u64().unwrap();
    assert_eq!(injected_total, found_total);
    assert_eq!(found["read"], report["rows"]["exchanges"]);
    // Regression (generate_reports_its_staging_folder): the files listed were those of
    // the staging folder, gone once the output was committed.
    let files = report["files"].as_array().unwrap();
    assert_eq!(files.len(), 5);
    for f in files {
        let f = Path::new(f.as_str().unwrap());
        assert!(f.is_file() && f.parent() == Some(data.path()), "{f:?}");
    }
}

#[test]
fn the_demo_summarises_the_demo_data() {
    let out = tempfile::tempdir().unwrap();
    appraise()
        .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("../.."))
        .args(["demo", "--out"])
        .arg(out.path())
        .assert()
        .success()
        // In Chinese, as the report (the default).
        .stdout(predicate::str::contains("部门 60 个（"))
        .stdout(predicate::str::contains("数据交换：读取 30070 行"))
        .stdout(predicate::str::contains("2026年第三季度排名"))
        .stdout(predicate::str::contains("Ranking").not())
        .stdout(predicate::str::contains(" read,").not());
    let ranking = std::fs::read_to_string(out.path().join("ranking.csv")).unwrap();
    assert_eq!(ranking.lines().count(), 60 + 1);
    let kpis = std::fs::read_to_string(out.path().join("kpis.csv")).unwrap();
    // 60 demo departments × 18 KPIs, plus the header.
    assert_eq!(kpis.lines().count(), 60 * 18 + 1);
    assert!(kpis.starts_with("period,department_id,kpi,value,numerator,denominator,sample_size"));
}

#[test]
fn evidence_lists_the_rows_behind_a_department_s_values() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("evidence");
    appraise()
        .args(["evidence", "--period", "2026Q3", "--department", "P1"])
        .args(["--kpi", "records_provided,catalog_timeliness", "--data"])
        .arg(fixtures().join("tiny"))
        .arg("--out")
        .arg(&out)
        .assert()
        .success()
        .stdout(predicate::str::contains("3  records_provided.csv"));
    // fixtures/tiny/README.md: P1 provided X01 (C1, 100), X02 (C2, 50) and X03 (K1, no
    // count) to others in 2026Q3; X05 is to itself. Instants in local time.
    let records = std::fs::read_to_string(out.join("records_provided.csv")).unwrap();
    let rows: Vec<Vec<&str>> = records.lines().map(|l| l.split(',').collect()).collect();
    assert_eq!(
        rows[0],
        [
            "department_id",
            "event_id",
            "requested_at",
            "consumer_dept",
            "resource_id",
            "records"
        ]
    );
    let picked: Vec<(&str, &str, &str)> = rows[1..].iter().map(|r| (r[1], r[3], r[5])).collect();
    assert_eq!(
        picked,
        [
            ("X01", "C1", "100"),
            ("X02", "C2", "50"),
            ("X03", "K1", "0")
        ]
    );
    assert!(rows[1][2].starts_with("2026-07-01T00:00:00") && rows[1][2].ends_with("+08:00"));
    // Its periodic catalog entries: R-P1-1 (daily, updated 09-30) timely, R-P1-2
    // (monthly, updated 08-15) not.
    let catalog = std::fs::read_to_string(out.join("catalog_timeliness.csv")).unwrap();
    let timely: Vec<(&str, &str)> = catalog
        .lines()
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            (f[1], f[f.len() - 1])
        })
        .collect();
    assert_eq!(timely, [("R-P1-1", "true"), ("R-P1-2", "false")]);
    assert_eq!(
        std::fs::read_dir(&out).unwrap().count(),
        3,
        "two files and the marker"
    );

    appraise()
        .args([
            "evidence",
            "--period",
            "2026Q3",
            "--department",
            "Z9",
            "--data",
        ])
        .arg(fixtures().join("tiny"))
        .arg("--out")
        .arg(tmp.path().join("none"))
        .assert()
        .code(1)
        .stderr(predicate::str::contains("no department \"Z9\" in the data"))
        .stderr(predicate::str::contains("hint: "));
    assert!(!tmp.path().join("none").exists());
}

#[test]
fn kpi_run_prints_the_matrix() {
    let out = appraise()
        .args([
            "kpi",
            "run",
            "--period",
            "2026Q3",
            "--kpi",
            "records_provided",
            "--format",
            "json",
            "--data",
        ])
        .arg(fixtures().join("tiny"))
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let rows: Vec<serde_json::Value> = serde_json::from_slice(&out).unwrap();
    // fixtures/tiny/README.md: P1 provided 100 + 50 + 0 records over 3 exchanges.
    let p1 = rows.iter().find(|r| r["department_id"] == "P1").unwrap();
    assert_eq!(p1["value"], 150.0);
    assert_eq!(p1["sample_size"], 3);
    assert_eq!(rows.len(), 6);
}

#[test]
fn sql_refuses_to_write() {
    appraise()
        .args(["sql", "DROP TABLE exchanges", "--data"])
        .arg(fixtures().join("tiny"))
        .assert()
        .code(1)
        .stderr(predicate::str::contains("DROP statements are refused"))
        .stderr(predicate::str::contains(
            "hint: a KPI or query is one read-only SELECT",
        ));
}

#[test]
fn sql_sees_the_scoped_tables() {
    appraise()
        .args([
            "sql",
            "SELECT COUNT(*) AS n FROM exchanges",
            "--period",
            "2026Q3",
            "--format",
            "csv",
            "--data",
        ])
        .arg(fixtures().join("tiny"))
        .assert()
        .success()
        .stdout("n\n13\n");
}

#[test]
fn kpi_check_names_a_broken_kpi() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("broken.sql");
    std::fs::write(
        &file,
        "-- kpi: broken\n-- title: B\n-- dimension: sharing\n-- direction: higher\nSELECT no_such_column AS department_id, 1 AS value FROM exchanges\n",
    )
    .unwrap();
    appraise()
        .args(["kpi", "check"])
        .arg(&file)
        .assert()
        .code(1)
        .stdout(predicate::str::contains("FAILED  broken"))
        .stderr(predicate::str::contains("no_such_column"));
}

/// Two volume KPIs of fixtures/tiny (values in its README), minmax within peer groups.
const TINY_SCORECARD: &str = r#"
[scorecard]
name = "tiny"
[[dimension]]
id = "sharing"
weight = 1
[[kpi]]
id = "records_provided"
dimension = "sharing"
[[kpi]]
id = "consumers_served"
dimension = "sharing"
[uncertainty]
runs = 100
"#;

/// `score --out <dir>/out` of fixtures/tiny's 2026Q3 with [`TINY_SCORECARD`] (written to
/// `<dir>/card.toml`); returns the card and the output folder.
fn score_tiny(dir: &Path) -> (PathBuf, PathBuf) {
    let card = dir.join("card.toml");
    std::fs::write(&card, TINY_SCORECARD).unwrap();
    let out = dir.join("out");
    appraise()
        .args(["score", "--period", "2026Q3", "--data"])
        .arg(fixtures().join("tiny"))
        .arg("--scorecard")
        .arg(&card)
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
    (card, out)
}

#[test]
fn score_ranks_tiny_as_computed_by_hand() {
    let dir = tempfile::tempdir().unwrap();
    let (_, out) = score_tiny(dir.path());
    // records_provided and consumers_served, minmax within each peer group:
    // province P1 (150, 3) vs P2 (30, 2): 100 and 0 on both;
    // city C1 (10, 1) vs C2 (0, 0): 100 and 0;
    // county K1 and K2 (0, 0) are constant: 100 each (with a warning).
    // Composites: P1, C1, K1, K2 = 100 tie at rank 1 (listed by id); P2, C2 = 0 at 5.
    let ranking = std::fs::read_to_string(out.join("ranking.csv")).unwrap();
    let rows: Vec<Vec<&str>> = ranking
        .lines()
        .skip(1)
        .map(|l| l.split(',').collect())
        .collect();
    let got: Vec<(&str, &str, &str, &str, &str)> = rows
        .iter()
        .map(|r| (r[0], r[5], r[6], r[7], r[8]))
        .collect();
    assert_eq!(
        got,
        vec![
            ("C1", "100.0", "1", "1", "A"),
            ("K1", "100.0", "1", "1", "A"),
            ("K2", "100.0", "1", "1", "A"),
            ("P1", "100.0", "1", "1", "A"),
            ("C2", "0.0", "5", "2", "D"),
            ("P2", "0.0", "5", "2", "D"),
        ]
    );
    assert!(ranking.starts_with(
        "department_id,name,level,peer_group,status,composite,rank,group_rank,grade,dim_sharing,"
    ));
    let scores = std::fs::read_to_string(out.join("scores.csv")).unwrap();
    assert_eq!(scores.lines().count(), 6 * 2 + 1);
    assert!(scores.contains("K1,records_provided,0.0,0.0,100.0,constant,"));
    for table in ["sensitivity", "trend", "correlations", "profiles"] {
        assert!(out.join(format!("{table}.csv")).exists(), "{table}");
    }
}

/// `score --kpi-matrix` scores a matrix written by hand, without the data: the values
/// of fixtures/tiny rank as worked out above; with C2's records_provided raised to C1's
/// 10, the city group's records are constant (100 each) and C2 keeps 0 on consumers:
/// composite 50, alone at rank 5, and P2 (0) falls to 6.
#[test]
fn score_ranks_a_kpi_matrix_without_the_data() {
    let dir = tempfile::tempdir().unwrap();
    let card = dir.path().join("card.toml");
    std::fs::write(&card, TINY_SCORECARD).unwrap();
    let matrix = |c2_records: &str| {
        let mut text =
            String::from("period,department_id,kpi,value,numerator,denominator,sample_size\n");
        for (id, records, consumers) in [
            ("P1", "150", "3"),
            ("P2", "30", "2"),
            ("C1", "10", "1"),
            ("C2", c2_records, "0"),
            ("K1", "0", "0"),
            ("K2", "0", "0"),
        ] {
            text += &format!("2026Q3,{id},records_provided,{records},,,\n");
            text += &format!("2026Q3,{id},consumers_served,{consumers},,,\n");
        }
        // A row of another period is left out.
        text += "2026Q2,C2,consumers_served,99,,,\n";
        text
    };
    let ranking = |c2_records: &str, name: &str| {
        let file = dir.path().join(format!("{name}.csv"));
        std::fs::write(&file, matrix(c2_records)).unwrap();
        let out = dir.path().join(name);
        appraise()
            .args(["score", "--period", "2026Q3", "--kpi-matrix"])
            .arg(&file)
            .arg("--departments")
            .arg(fixtures().join("tiny/departments.csv"))
            .arg("--scorecard")
            .arg(&card)
            .arg("--out")
            .arg(&out)
            .assert()
            .success();
        let text = std::fs::read_to_string(out.join("ranking.csv")).unwrap();
        text.lines()
            .skip(1)
            .map(|l| {
                let r: Vec<&str> = l.split(',').collect();
                (r[0].to_string(), r[5].to_string(), r[6].to_string())
            })
            .collect::<Vec<_>>()
    };
    let row = |id: &str, c: &str, r: &str| (id.to_string(), c.to_string(), r.to_string());
    assert_eq!(
        ranking("0", "as-is"),
        vec![
            row("C1", "100.0", "1"),
            row("K1", "100.0", "1"),
            row("K2", "100.0", "1"),
            row("P1", "100.0", "1"),
            row("C2", "0.0", "5"),
            row("P2", "0.0", "5"),
        ]
    );
    let edited = ranking("10", "edited");
    assert_eq!(edited[4], row("C2", "50.0", "5"));
    assert_eq!(edited[5], row("P2", "0.0", "6"));

    // A matrix without the header of kpis.csv is refused, naming the file and line 1.
    let bad = dir.path().join("bad.csv");
    std::fs::write(&bad, "department_id,kpi,value\nC1,records_provided,1\n").unwrap();
    appraise()
        .args(["score", "--period", "2026Q3", "--kpi-matrix"])
        .arg(&bad)
        .arg("--departments")
        .arg(fixtures().join("tiny/departments.csv"))
        .assert()
        .code(1)
        .stderr(predicate::str::contains("bad.csv: line 1: the header is"))
        .stderr(predicate::str::contains("hint:"));
}

#[test]
fn a_wrong_scorecard_exits_1_naming_the_line() {
    let dir = tempfile::tempdir().unwrap();
    let card = dir.path().join("card.toml");
    std::fs::write(
        &card,
        TINY_SCORECARD.replace("\"consumers_served\"", "\"consumers\""),
    )
    .unwrap();
    appraise()
        .args(["score", "--period", "2026Q3", "--data"])
        .arg(fixtures().join("tiny"))
        .arg("--scorecard")
        .arg(&card)
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "card.toml:11: unknown KPI \"consumers\"",
        ))
        .stderr(predicate::str::contains("hint: the KPI library has:"));
}

#[test]
fn two_demo_runs_give_the_same_files_but_for_time() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let dirs = [tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap()];
    for d in &dirs {
        appraise()
            .current_dir(&root)
            .args(["demo", "--out"])
            .arg(d.path().join("demo"))
            .assert()
            .success();
    }
    let files = |d: &Path| {
        let mut out = Vec::new();
        let mut stack = vec![d.to_path_buf()];
        while let Some(p) = stack.pop() {
            for e in std::fs::read_dir(&p).unwrap().flatten() {
                if e.path().is_dir() {
                    stack.push(e.path());
                } else {
                    out.push(e.path().strip_prefix(d).unwrap().to_path_buf());
                }
            }
        }
        out.sort();
        out
    };
    let (a, b) = (dirs[0].path().join("demo"), dirs[1].path().join("demo"));
    assert_eq!(files(&a), files(&b));
    assert!(files(&a).contains(&PathBuf::from("manifest.json")));
    for f in files(&a) {
        let (x, y) = (
            std::fs::read(a.join(&f)).unwrap(),
            std::fs::read(b.join(&f)).unwrap(),
        );
        if f == Path::new("manifest.json") {
            // Only the generation time and the timings may differ.
            let strip = |bytes: &[u8]| {
                let mut v: serde_json::Value = serde_json::from_slice(bytes).unwrap();
                let m = v.as_object_mut().unwrap();
                m.remove("generated_at");
                m.remove("timings");
                v
            };
            assert_eq!(strip(&x), strip(&y));
        } else {
            assert!(x == y, "{} differs between two runs", f.display());
        }
    }
}

/// `appraise ingest` of fixtures/tiny into `dir/wh`, rejects to `dir/rejects`.
fn ingest_tiny(dir: &Path) -> assert_cmd::assert::Assert {
    appraise()
        .args(["ingest", "--from"])
        .arg(fixtures().join("tiny"))
        .arg("--into")
        .arg(dir.join("wh"))
        .arg("--rejects")
        .arg(dir.join("rejects"))
        .assert()
}

#[test]
fn a_warehouse_ingested_twice_gives_the_kpis_of_its_folder() {
    let dir = tempfile::tempdir().unwrap();
    let wh = dir.path().join("wh");
    for written in ["15", "0"] {
        ingest_tiny(dir.path())
            .success()
            // exchanges: 15 read and loaded; written 15 the first time, 0 the second.
            .stdout(
                predicate::str::is_match(format!(
                    r"exchanges\s+15\s+15\s+0\s+0\s+\d+\s+{written}\n"
                ))
                .unwrap(),
            );
    }
    let kpis = |data: &Path| {
        appraise()
            .args([
                "kpi", "run", "--period", "2026Q3", "--format", "csv", "--data",
            ])
            .arg(data)
            .assert()
            .success()
            .get_output()
            .stdout
            .clone()
    };
    let direct = kpis(&fixtures().join("tiny"));
    assert!(direct.len() > 100);
    assert_eq!(kpis(&wh), direct);
}

#[test]
fn a_cluster_needs_a_warehouse_and_a_df_address() {
    // A plain folder is loaded into memory, which cannot be sent to executors; the
    // check comes before any connection, so no scheduler is needed.
    appraise()
        .args([
            "kpi",
            "run",
            "--period",
            "2026Q3",
            "--cluster",
            "df://localhost:1",
        ])
        .arg("--data")
        .arg(fixtures().join("tiny"))
        .assert()
        .code(1)
        .stderr(predicate::str::contains("cannot be sent to a cluster"))
        .stderr(predicate::str::contains(
            "hint: ingest the data into a warehouse",
        ));
    appraise()
        .args(["sql", "SELECT 1", "--cluster", "http://localhost:1"])
        .arg("--data")
        .arg(fixtures().join("tiny"))
        .assert()
        .code(1)
        .stderr(predicate::str::contains("not a df:// address"))
        .stderr(predicate::str::contains(
            "hint: name the Ballista scheduler as df://HOST:PORT",
        ));
}

#[test]
fn sql_explain_shows_a_period_reading_only_its_months_files() {
    let dir = tempfile::tempdir().unwrap();
    let wh = dir.path().join("wh");
    ingest_tiny(dir.path()).success();
    let plan = appraise()
        .args(["sql", "--explain", "--period", "2026-08", "--format", "csv"])
        .arg("SELECT COUNT(*) AS n FROM exchanges WHERE status = 'success'")
        .arg("--data")
        .arg(&wh)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let plan = String::from_utf8(plan).unwrap();
    // tiny's exchanges fall in 2026-06 to 2026-10, one file per month; August's file
    // alone is read, with the period's bounds pushed into the Parquet scan.
    assert!(plan.contains("exchanges/month=2026-08/part-"), "{plan}");
    for other in ["2026-06", "2026-07", "2026-09", "2026-10"] {
        assert!(!plan.contains(&format!("month={other}")), "{other}: {plan}");
    }
    assert!(plan.contains("pruning_predicate"), "{plan}");
}

#[test]
fn an_input_error_exits_1_and_an_internal_fault_exits_2() {
    let tiny = fixtures().join("tiny");
    // The user's input, from each library: the data, the KPI engine (a query naming no
    // such column), the scorecard. Each with its hint where one is known.
    appraise()
        .args(["validate", "--data"])
        .arg(fixtures().join("bad/missing_column"))
        .assert()
        .code(1)
        .stderr(predicate::str::contains("hint:"));
    appraise()
        .args(["sql", "SELECT no_such_column FROM exchanges", "--data"])
        .arg(&tiny)
        .assert()
        .code(1)
        .stderr(predicate::str::contains("no_such_column"));
    let card = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(card.path(), "[scorecard]\nname = 1\n").unwrap();
    appraise()
        .args(["score", "--period", "2026Q3", "--data"])
        .arg(&tiny)
        .arg("--scorecard")
        .arg(card.path())
        .assert()
        .code(1);
    // A fault: the output cannot be written (standard output is a full device), for a
    // result that streams and for text a command prints; no panic, no message twice.
    let tiny = tiny.to_string_lossy();
    let sql = [
        "sql",
        "SELECT * FROM exchanges",
        "--format",
        "csv",
        "--data",
        &tiny,
    ];
    for args in [&sql[..], &["kpi", "list"]] {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_appraise"))
            .args(args)
            .stdout(std::fs::File::create("/dev/full").unwrap())
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert_eq!(err.matches("No space left on device").count(), 1, "{err}");
    }
}

#[test]
fn every_command_takes_its_zone_by_one_rule() {
    // `--timezone`, else the zone of the scorecard the command would use. X07 of
    // fixtures/tiny was logged at 2026-06-30 23:59:59, without an offset.
    let cwd = tempfile::tempdir().unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let card = std::fs::read_to_string(root.join("queries/scorecard.toml")).unwrap();
    assert!(card.contains("timezone = \"Asia/Shanghai\""));
    std::fs::create_dir_all(cwd.path().join("queries")).unwrap();
    std::fs::write(
        cwd.path().join("queries/scorecard.toml"),
        card.replace("timezone = \"Asia/Shanghai\"", "timezone = \"UTC\""),
    )
    .unwrap();
    let query = "SELECT requested_at FROM exchanges WHERE event_id = 'X07'";
    let sql = |zone: Option<&str>| {
        let mut cmd = appraise();
        cmd.current_dir(cwd.path())
            .args(["sql", query, "--format", "csv", "--data"])
            .arg(fixtures().join("tiny"));
        if let Some(z) = zone {
            cmd.args(["--timezone", z]);
        }
        String::from_utf8(cmd.assert().success().get_output().stdout.clone()).unwrap()
    };
    assert_eq!(sql(None), "requested_at\n2026-06-30T23:59:59Z\n");
    assert_eq!(
        sql(Some("Asia/Shanghai")),
        "requested_at\n2026-06-30T23:59:59+08:00\n"
    );
}

/// `compare` of fixtures/tiny's 2026Q3 with 2026Q2: the base columns are what `score`
/// reports as the previous period (another path: its ranking's previous_* columns), a
/// department's KPI point changes add up to its composite change, and the page is in
/// Chinese with the KPIs' titles.
#[test]
fn compare_sets_two_periods_side_by_side() {
    let dir = tempfile::tempdir().unwrap();
    let (card, score) = score_tiny(dir.path());
    let out = dir.path().join("compare");
    appraise()
        .args([
            "compare",
            "--period",
            "2026Q3",
            "--base-period",
            "2026Q2",
            "--data",
        ])
        .arg(fixtures().join("tiny"))
        .arg("--scorecard")
        .arg(&card)
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
    let table = |path: &Path| -> Vec<std::collections::HashMap<String, String>> {
        let text = std::fs::read_to_string(path).unwrap();
        let mut lines = text.lines();
        let header: Vec<String> = lines.next().unwrap().split(',').map(String::from).collect();
        lines
            .map(|l| {
                header
                    .iter()
                    .cloned()
                    .zip(l.split(',').map(String::from))
                    .collect()
            })
            .collect()
    };
    let ranking = table(&score.join("ranking.csv"));
    let compared = table(&out.join("compare.csv"));
    assert_eq!(compared.len(), ranking.len());
    for row in &compared {
        let r = ranking
            .iter()
            .find(|r| r["department_id"] == row["department_id"])
            .unwrap();
        assert_eq!(row["composite"], r["composite"]);
        assert_eq!(row["rank"], r["rank"]);
        assert_eq!(row["composite_base"], r["previous_composite"]);
        assert_eq!(row["rank_base"], r["previous_rank"]);
        assert_eq!(row["rank_change"], r["rank_change"]);
    }
    let kpis = table(&out.join("compare_kpis.csv"));
    for row in &compared {
        let Ok(change) = row["composite_change"].parse::<f64>() else {
            continue;
        };
        let points: f64 = kpis
            .iter()
            .filter(|k| k["department_id"] == row["department_id"])
            .filter_map(|k| k["points_change"].parse::<f64>().ok())
            .sum();
        assert!((points - change).abs() < 1e-6, "{row:?}: {points}");
    }
    let page = std::fs::read_to_string(out.join("compare.html")).unwrap();
    assert!(page.contains("考核结果对比") && page.contains("2026年第二季度"));
    assert!(!page.contains("records_provided ("), "KPI ids, not titles");

    // The same period under the same scorecard is nothing to compare.
    appraise()
        .args(["compare", "--period", "2026Q3", "--data"])
        .arg(fixtures().join("tiny"))
        .arg("--out")
        .arg(dir.path().join("nothing"))
        .assert()
        .code(1)
        .stderr(predicate::str::contains("nothing to compare"));
}

// Regression (usage_errors_raised_as_data_errors): the binary raised its own rules (flags
// that do not go together, a KPI id not in the library) as data errors. Each is now the
// error of the crate whose rule it is, still the user's input (exit 1), with its fix
// as a hint.
#[test]
fn a_usage_problem_is_input_with_its_hint() {
    let tiny = fixtures().join("tiny");
    appraise()
        .args(["kpi", "run", "--period", "2026Q3", "--kpi", "no_such_kpi", "--data"])
        .arg(&tiny)
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "error: no KPI \"no_such_kpi\" in the KPI library\nhint: `appraise kpi list` shows the KPIs",
        ));
    appraise()
        .args([
            "score", "--period", "2026Q3", "--format", "parquet", "--data",
        ])
        .arg(&tiny)
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "error: --format parquet writes files\nhint: add --out DIR",
        ));
    appraise()
        .args(["validate", "--timezone", "Mars/Olympus", "--data"])
        .arg(&tiny)
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "unknown time zone \"Mars/Olympus\"",
        ))
        .stderr(predicate::str::contains("hint: use an IANA name"));
}
