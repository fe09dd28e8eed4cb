//! Runs an office can trust: a user's files survive every command pointed at them, an
//! uncovered period is an error, published numbers carry no float noise, and one writer
//! at a time. Each test is named after the defect it guards against.

use std::path::Path;

use crate::common::{appraise, fixtures};
use predicates::prelude::*;

/// A folder holding someone's work: two files, one in a sub-folder.
fn users_folder(dir: &Path) {
    std::fs::create_dir_all(dir.join("sub")).unwrap();
    std::fs::write(dir.join("notes.txt"), "my notes").unwrap();
    std::fs::write(dir.join("sub/analysis.R"), "my analysis").unwrap();
}

/// A copy of fixtures/tiny in `dir/data`, to be written over by an attack.
fn tiny_copy(dir: &Path) -> std::path::PathBuf {
    let data = dir.join("data");
    std::fs::create_dir_all(&data).unwrap();
    for e in std::fs::read_dir(fixtures().join("tiny"))
        .unwrap()
        .flatten()
    {
        std::fs::copy(e.path(), data.join(e.file_name())).unwrap();
    }
    data
}

fn users_files_survive(dir: &Path) {
    assert_eq!(
        std::fs::read_to_string(dir.join("notes.txt")).unwrap(),
        "my notes"
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("sub/analysis.R")).unwrap(),
        "my analysis"
    );
}

#[test]
fn out_deletes_user_files() {
    // Regression: `run --out work` deleted work/notes.txt and work/sub/analysis.R.
    let tmp = tempfile::tempdir().unwrap();
    let work = tmp.path().join("work");
    users_folder(&work);
    for args in [
        vec!["run", "--period", "2026Q3", "--data"],
        vec!["score", "--period", "2026Q3", "--data"],
        vec!["publish", "--period", "2026Q3", "--data"],
        vec!["anomalies", "--period", "2026Q3", "--data"],
        vec![
            "evidence",
            "--period",
            "2026Q3",
            "--department",
            "P1",
            "--data",
        ],
    ] {
        appraise()
            .args(&args)
            .arg(fixtures().join("tiny"))
            .arg("--out")
            .arg(&work)
            .assert()
            .code(1)
            .stderr(predicate::str::contains("was not written by appraise"))
            .stderr(predicate::str::contains("notes.txt"))
            .stderr(predicate::str::contains("hint:"));
        users_files_survive(&work);
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    appraise()
        .current_dir(&root)
        .args(["demo", "--out"])
        .arg(&work)
        .assert()
        .code(1);
    users_files_survive(&work);

    // With --force the report goes beside the user's files, and a second run replaces
    // only what appraise wrote.
    for _ in 0..2 {
        appraise()
            .args(["run", "--period", "2026Q3", "--force", "--data"])
            .arg(fixtures().join("tiny"))
            .arg("--out")
            .arg(&work)
            .assert()
            .success();
        users_files_survive(&work);
        assert!(work.join("report.html").is_file());
    }
    let entries: Vec<_> = std::fs::read_dir(tmp.path()).unwrap().flatten().collect();
    assert_eq!(entries.len(), 1, "nothing is left beside the output folder");
}

#[test]
fn out_deletes_the_data_and_the_working_folder() {
    // Regression: --out set to the data folder deleted the input data; --out "$PWD"
    // wiped the current folder; --out naming a file replaced it.
    let tmp = tempfile::tempdir().unwrap();
    let data = tiny_copy(tmp.path());
    let before = std::fs::read(data.join("exchanges.csv")).unwrap();
    for force in [false, true] {
        let mut cmd = appraise();
        cmd.args(["run", "--period", "2026Q3", "--data"])
            .arg(&data)
            .arg("--out")
            .arg(&data);
        if force {
            cmd.arg("--force");
        }
        cmd.assert()
            .code(1)
            .stderr(predicate::str::contains("which this command reads"));
        appraise()
            .current_dir(&data)
            .args(["run", "--period", "2026Q3", "--data", ".", "--out", "."])
            .assert()
            .code(1);
    }
    assert_eq!(std::fs::read(data.join("exchanges.csv")).unwrap(), before);
    let file = tmp.path().join("f.txt");
    std::fs::write(&file, "mine").unwrap();
    appraise()
        .args(["run", "--period", "2026Q3", "--data"])
        .arg(&data)
        .arg("--out")
        .arg(&file)
        .assert()
        .code(1)
        .stderr(predicate::str::contains("is a file"));
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "mine");
    assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 2);
}

#[test]
fn evidence_writes_into_the_kpi_folder_it_reads() {
    // Regression: `evidence --out KPIS/evidence --force` wrote its CSV files among the
    // evidence queries it had just read, for --kpis and for the working folder's
    // queries/kpis alike.
    let tmp = tempfile::tempdir().unwrap();
    let data = tiny_copy(tmp.path());
    let kpis = tmp.path().join("queries/kpis");
    std::fs::create_dir_all(kpis.join("evidence")).unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../queries/kpis");
    for sub in ["", "evidence"] {
        for e in std::fs::read_dir(root.join(sub)).unwrap().flatten() {
            if e.path().is_file() {
                std::fs::copy(e.path(), kpis.join(sub).join(e.file_name())).unwrap();
            }
        }
    }
    let before = std::fs::read_dir(kpis.join("evidence")).unwrap().count();
    let evidence = [
        "evidence",
        "--period",
        "2026Q3",
        "--department",
        "P1",
        "--force",
    ];
    appraise()
        .args(evidence)
        .arg("--kpis")
        .arg(&kpis)
        .arg("--data")
        .arg(&data)
        .arg("--out")
        .arg(kpis.join("evidence"))
        .assert()
        .code(1)
        .stderr(predicate::str::contains("which this command reads"));
    appraise()
        .current_dir(tmp.path())
        .args(evidence)
        .args(["--data", "data", "--out", "queries/kpis/evidence"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("which this command reads"));
    assert_eq!(
        std::fs::read_dir(kpis.join("evidence")).unwrap().count(),
        before
    );
}

#[test]
fn rejects_truncates_input_files() {
    // Regression: `validate --data d3 --rejects d3` left d3/departments.csv as a
    // rejects header; `ingest --rejects` the same.
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("d3");
    std::fs::create_dir_all(&data).unwrap();
    std::fs::copy(
        fixtures().join("tiny/departments.csv"),
        data.join("departments.csv"),
    )
    .unwrap();
    let before = std::fs::read(data.join("departments.csv")).unwrap();
    appraise()
        .args(["validate", "--data"])
        .arg(&data)
        .arg("--rejects")
        .arg(&data)
        .assert()
        .code(1);
    appraise()
        .args(["ingest", "--from"])
        .arg(&data)
        .arg("--into")
        .arg(tmp.path().join("wh"))
        .arg("--rejects")
        .arg(&data)
        .assert()
        .code(1);
    assert_eq!(std::fs::read(data.join("departments.csv")).unwrap(), before);

    // A folder of someone's files is refused as rejects and as a warehouse.
    let work = tmp.path().join("work");
    users_folder(&work);
    appraise()
        .args(["validate", "--data"])
        .arg(fixtures().join("tiny"))
        .arg("--rejects")
        .arg(&work)
        .assert()
        .code(1);
    appraise()
        .args(["ingest", "--from"])
        .arg(fixtures().join("tiny"))
        .arg("--into")
        .arg(&work)
        .assert()
        .code(1)
        .stderr(predicate::str::contains("neither empty nor a warehouse"));
    users_files_survive(&work);
}

#[test]
fn validate_writes_into_the_working_folder() {
    // Regression: validate with no --rejects created reports/out/rejects/ in the
    // working folder even when nothing was rejected.
    let cwd = tempfile::tempdir().unwrap();
    appraise()
        .current_dir(cwd.path())
        .args(["validate", "--data"])
        .arg(fixtures().join("tiny"))
        .assert()
        .success();
    assert_eq!(std::fs::read_dir(cwd.path()).unwrap().count(), 0);
    // With rejected rows they are written, and the command says where.
    appraise()
        .current_dir(cwd.path())
        .args(["validate", "--data"])
        .arg(fixtures().join("bad/rows"))
        .assert()
        .success()
        .stderr(predicate::str::contains("rejected rows: "));
    assert!(
        cwd.path()
            .join("reports/out/rejects/exchanges.csv")
            .is_file()
    );
}

#[test]
fn a_period_the_data_does_not_cover() {
    // Regression: `run --period 2025Q4` on data of 2026 exited 0 with a normal-looking
    // report of 0 ranked departments.
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    appraise()
        .args(["run", "--period", "2025Q4", "--data"])
        .arg(fixtures().join("tiny"))
        .arg("--out")
        .arg(&out)
        .assert()
        .code(1)
        .stderr(predicate::str::contains("the data holds no exchanges"))
        .stderr(predicate::str::contains("in the period 2025Q4"))
        // The exchanges of fixtures/tiny run from 2026-06-30 to 2026-10-01 local time.
        .stderr(predicate::str::contains("exchanges: 2026-06-"))
        .stderr(predicate::str::contains("--allow-empty"));
    assert!(!out.exists());
    appraise()
        .args(["score", "--period", "2025Q4", "--data"])
        .arg(fixtures().join("tiny"))
        .assert()
        .code(1);
    // Nor an open-data release or an anomaly scan of it.
    for command in ["publish", "anomalies"] {
        appraise()
            .args([command, "--period", "2025Q4", "--data"])
            .arg(fixtures().join("tiny"))
            .arg("--out")
            .arg(&out)
            .assert()
            .code(1)
            .stderr(predicate::str::contains("--allow-empty"));
        assert!(!out.exists(), "{command} wrote an empty quarter");
    }
    appraise()
        .args([
            "run",
            "--period",
            "2025Q4",
            "--allow-empty",
            "--lang",
            "en",
            "--data",
        ])
        .arg(fixtures().join("tiny"))
        .arg("--out")
        .arg(&out)
        .assert()
        .success()
        .stderr(predicate::str::contains(
            "warning: the data holds no exchanges",
        ));

    // A quarter covered in one month of three is appraised with a warning, in the
    // report's data-quality section too. fixtures/tiny has one exchange, one share
    // request and one service case in 2026-06, none in April or May.
    let partly = tmp.path().join("partly");
    appraise()
        .args(["run", "--period", "2026Q2", "--data"])
        .arg(fixtures().join("tiny"))
        .arg("--out")
        .arg(&partly)
        .assert()
        .success()
        // The terminal (Chinese, as the report) names the months.
        .stderr(predicate::str::contains(
            "警告：考核期2026年第二季度只有部分月份有数据：数据交换、共享申请、政务服务办件在 2026-04、2026-05 没有记录",
        ));
    let html = std::fs::read_to_string(partly.join("report.html")).unwrap();
    // The report (Chinese by default) says it in its own words.
    assert!(html.contains(
        "考核期2026年第二季度只有部分月份有数据：数据交换、共享申请、政务服务办件在 2026-04、2026-05 没有记录"
    ));
}

/// Every number of a CSV or JSON text, as written.
fn numbers(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    for c in text.chars().chain([' ']) {
        if c.is_ascii_digit() || c == '.' || c == 'e' || c == '-' {
            cur.push(c);
        } else {
            if cur.chars().any(|c| c.is_ascii_digit()) && cur.contains('.') {
                out.push(cur.clone());
            }
            cur.clear();
        }
    }
    out
}

#[test]
fn float_noise_in_ranking() {
    // Regression: ranking.csv/json held coverage 1.0000000000000002 and rank_p05
    // 4.950000000000003.
    let tmp = tempfile::tempdir().unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    appraise()
        .current_dir(&root)
        .args(["demo", "--out"])
        .arg(tmp.path().join("demo"))
        .assert()
        .success();
    for file in ["ranking.csv", "ranking.json", "scores.csv"] {
        let text = std::fs::read_to_string(tmp.path().join("demo").join(file)).unwrap();
        for n in numbers(&text) {
            let digits = n
                .split('e')
                .next()
                .unwrap()
                .chars()
                .filter(char::is_ascii_digit)
                .collect::<String>();
            let significant = digits.trim_start_matches('0').len();
            assert!(significant <= 12, "{file}: {n} carries float noise");
        }
    }
    let ranking: Vec<serde_json::Value> =
        serde_json::from_slice(&std::fs::read(tmp.path().join("demo/ranking.json")).unwrap())
            .unwrap();
    assert!(!ranking.is_empty());
    for row in ranking {
        let c = row["coverage"].as_f64().unwrap();
        assert!((0.0..=1.0).contains(&c), "coverage {c}");
    }
}

#[test]
fn two_ingests_into_one_warehouse_lose_rows() {
    // Regression: two ingests started together both printed "committed", and the
    // warehouse held half the exchanges. Now the second is refused, or waits.
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("src");
    appraise()
        .args([
            "generate",
            "--seed",
            "3",
            "--departments",
            "12",
            "--exchanges",
            "60000",
        ])
        .args(["--months", "2", "--start", "2026-07-01", "--out"])
        .arg(&src)
        .assert()
        .success();
    let ingest = |wh: &Path, wait: bool| {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_appraise"));
        cmd.args(["ingest", "--from"])
            .arg(&src)
            .arg("--into")
            .arg(wh);
        if wait {
            cmd.arg("--wait");
        }
        cmd.stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap()
    };
    let rows_in = |wh: &Path| -> u64 {
        let m: serde_json::Value =
            serde_json::from_slice(&std::fs::read(wh.join("_warehouse.json")).unwrap()).unwrap();
        m["files"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["table"] == "exchanges")
            .map(|f| f["rows"].as_u64().unwrap())
            .sum()
    };
    let reference = tmp.path().join("wh-alone");
    assert!(ingest(&reference, false).wait().unwrap().success());
    let all = rows_in(&reference);
    assert!(all > 50_000, "{all}");
    for wait in [false, true] {
        let wh = tmp.path().join(format!("wh-{wait}"));
        let (a, b) = (ingest(&wh, wait), ingest(&wh, wait));
        let (a, b) = (a.wait_with_output().unwrap(), b.wait_with_output().unwrap());
        let ok = [&a, &b].iter().filter(|o| o.status.success()).count();
        if wait {
            assert_eq!(ok, 2);
        }
        for o in [&a, &b].iter().filter(|o| !o.status.success()) {
            let err = String::from_utf8_lossy(&o.stderr);
            assert!(err.contains("another appraise"), "{err}");
        }
        assert!(ok >= 1);
        // Whatever ran, the warehouse holds every exchange once.
        assert_eq!(rows_in(&wh), all);
        assert!(!wh.join("_warehouse.lock").exists());
    }
}

#[test]
fn a_header_only_departments_file() {
    // Regression: a departments file with a header and no rows was accepted, every
    // other row was then rejected, and the run exited 0.
    let tmp = tempfile::tempdir().unwrap();
    for f in std::fs::read_dir(fixtures().join("tiny"))
        .unwrap()
        .flatten()
    {
        std::fs::copy(f.path(), tmp.path().join(f.file_name())).unwrap();
    }
    std::fs::write(
        tmp.path().join("departments.csv"),
        "dept_id,name,name_en,level,parent_id,region,peer_group\n",
    )
    .unwrap();
    appraise()
        .args(["run", "--period", "2026Q3", "--data"])
        .arg(tmp.path())
        .arg("--out")
        .arg(tmp.path().join("out"))
        .assert()
        .code(1)
        .stderr(predicate::str::contains("no department was loaded"));
}

#[test]
fn a_copied_binary_reads_its_built_in_policy_files() {
    // Regression: the default queries/ and templates were found through the checkout
    // path compiled into the binary, and the manifest did not say where the scorecard
    // came from. From a folder without queries/ the built-in copies are used, and
    // `init` writes them out.
    let cwd = tempfile::tempdir().unwrap();
    appraise()
        .current_dir(cwd.path())
        .args(["run", "--period", "2026Q3", "--data"])
        .arg(fixtures().join("tiny"))
        .args(["--out", "out"])
        .assert()
        .success();
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(cwd.path().join("out/manifest.json")).unwrap())
            .unwrap();
    assert_eq!(manifest["scorecard"]["origin"], "built-in");
    assert!(
        manifest["kpis"]
            .as_array()
            .unwrap()
            .iter()
            .all(|k| k["origin"] == "built-in")
    );
    // The built-in scorecard is the checkout's, byte for byte.
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let card = std::fs::read(root.join("queries/scorecard.toml")).unwrap();
    assert_eq!(manifest["scorecard"]["bytes"], card.len() as u64);

    appraise()
        .current_dir(cwd.path())
        .args(["init", "office"])
        .assert()
        .success();
    assert_eq!(
        std::fs::read(cwd.path().join("office/queries/scorecard.toml")).unwrap(),
        card
    );
    assert!(
        cwd.path()
            .join("office/reports/templates/strings.toml")
            .is_file()
    );
    // Nothing is replaced by a second init.
    appraise()
        .current_dir(cwd.path())
        .args(["init", "office"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("exist already"));
    // From the new folder its own copies are used, and the manifest says so.
    let office = cwd.path().join("office");
    appraise()
        .current_dir(&office)
        .args(["run", "--period", "2026Q3", "--data"])
        .arg(fixtures().join("tiny"))
        .args(["--out", "out"])
        .assert()
        .success();
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(office.join("out/manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["scorecard"]["origin"], "queries/scorecard.toml");
}

#[test]
fn a_subcommand_typo_gets_no_suggestion() {
    // Regression: `appraise rnu` got no suggestion (clap's measure misses swapped
    // letters), while a flag typo did.
    appraise()
        .arg("rnu")
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "a similar subcommand exists: 'run'",
        ));
    appraise()
        .args(["kpi", "lsit"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "a similar subcommand exists: 'list'",
        ));
}

#[test]
fn sql_shows_times_in_utc_and_refuses_describe() {
    // Regression: `sql` printed 2026-06-30T15:59:59Z for a local 23:59:59 event while
    // every other output speaks local time, and DESCRIBE was refused. X07 of
    // fixtures/tiny was requested at 2026-06-30 23:59:59 Asia/Shanghai.
    appraise()
        .args([
            "sql",
            "SELECT event_id, requested_at FROM exchanges WHERE event_id = 'X07'",
        ])
        .arg("--data")
        .arg(fixtures().join("tiny"))
        .args(["--format", "csv"])
        .assert()
        .success()
        .stdout("event_id,requested_at\nX07,2026-06-30T23:59:59+08:00\n");
    appraise()
        .args(["sql", "DESCRIBE exchanges", "--format", "csv", "--data"])
        .arg(fixtures().join("tiny"))
        .assert()
        .success()
        .stdout(predicate::str::contains("requested_date,Date32,NO"));
}

#[test]
fn an_endless_query_or_template_runs_forever() {
    // Regression: an endless recursive CTE in `sql` (or a KPI), or an endless loop in
    // a template, ran forever.
    appraise()
        .args(["sql", "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) SELECT count(*) FROM r"])
        .arg("--data")
        .arg(fixtures().join("tiny"))
        .args(["--query-timeout", "2"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("ran longer than 2 s"));
    let tmp = tempfile::tempdir().unwrap();
    let templates = tmp.path().join("templates");
    std::fs::create_dir_all(&templates).unwrap();
    std::fs::write(
        templates.join("report.md.j2"),
        "{% for i in range(100000) %}{% for j in range(100000) %}.{% endfor %}{% endfor %}\n",
    )
    .unwrap();
    appraise()
        .args(["run", "--period", "2026Q3", "--data"])
        .arg(fixtures().join("tiny"))
        .arg("--templates")
        .arg(&templates)
        .arg("--out")
        .arg(tmp.path().join("out"))
        .assert()
        .code(1)
        .stderr(predicate::str::contains("report.md.j2"))
        .stderr(predicate::str::contains("fuel"));
    assert!(!tmp.path().join("out").exists());
}

#[test]
fn sql_results_stream_and_an_out_file_is_replaced_only_with_force() {
    // A result is written as it comes (memory holds the engine's working set, not the
    // result); the terminal table shows the first 10,000 rows and says how many more
    // there are.
    let query = "SELECT value FROM generate_series(1, 25000)";
    let tiny = fixtures().join("tiny");
    let out = appraise()
        .args(["sql", query, "--data"])
        .arg(&tiny)
        .assert()
        .success()
        .stderr(predicate::str::contains("15000 more rows not shown"))
        .get_output()
        .stdout
        .clone();
    let table = String::from_utf8(out).unwrap();
    assert!(table.contains("| 10000 |") && !table.contains("| 10001 |"));
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("result.csv");
    appraise()
        .args(["sql", query, "--format", "csv", "--data"])
        .arg(&tiny)
        .arg("--out")
        .arg(&file)
        .assert()
        .success();
    let csv = std::fs::read_to_string(&file).unwrap();
    assert_eq!(csv.lines().count(), 25_001);
    assert_eq!(csv.lines().last(), Some("25000"));
    // An existing file is the user's until --force says otherwise.
    appraise()
        .args(["sql", "SELECT 1 AS one", "--format", "csv", "--data"])
        .arg(&tiny)
        .arg("--out")
        .arg(&file)
        .assert()
        .code(1)
        .stderr(predicate::str::contains("the file exists"));
    assert_eq!(std::fs::read_to_string(&file).unwrap(), csv);
    appraise()
        .args([
            "sql",
            "SELECT 1 AS one",
            "--format",
            "csv",
            "--force",
            "--data",
        ])
        .arg(&tiny)
        .arg("--out")
        .arg(&file)
        .assert()
        .success();
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "one\n1\n");
    assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 1);
}

/// Regression (exit_codes_on_a_full_or_read_only_disk): `ingest`, `generate` and
/// `validate --rejects` exited 1 when their own output could not be written, and
/// `validate` blamed the input ("loading ...: No space left on device"). Each command
/// runs with its output on a one-page tmpfs (full) and on a read-only one, mounted in a
/// mount namespace of its own (`unshare`).
#[test]
fn exit_codes_on_a_full_or_read_only_disk() {
    let probe = std::process::Command::new("unshare")
        .args(["-rm", "sh", "-c", "mount -t tmpfs -o size=4k tmpfs /mnt"])
        .output();
    if !probe.is_ok_and(|o| o.status.success()) {
        eprintln!("skipped: this machine cannot mount a tmpfs in a user namespace (unshare -rm)");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let mnt = tmp.path().join("disk");
    std::fs::create_dir_all(&mnt).unwrap();
    let bin = assert_cmd::cargo::cargo_bin("appraise");
    let demo = fixtures().join("demo");
    let m = mnt.display();
    let commands = [
        format!("validate --data {} --rejects {m}/rejects", demo.display()),
        format!("ingest --from {} --into {m}/wh", demo.display()),
        format!("generate --seed 1 --departments 8 --months 1 --exchanges 2000 --out {m}/gen"),
    ];
    for (mount, why) in [
        ("size=4k", "No space left on device"),
        ("ro", "Read-only file system"),
    ] {
        for args in &commands {
            let script = format!(
                "mount -t tmpfs -o {mount} tmpfs {m} && exec {} {args}",
                bin.display()
            );
            let out = std::process::Command::new("unshare")
                .args(["-rm", "sh", "-c", &script])
                .env("NO_COLOR", "1")
                .env("APPRAISE_FONT", "builtin")
                .env_remove("APPRAISE_PSEUDONYM_KEY")
                .output()
                .unwrap();
            let err = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(2), "{mount} {args}: {err}");
            assert!(
                err.contains("cannot write") && err.contains(&*m.to_string()),
                "{mount} {args}: {err}"
            );
            assert!(err.contains(why), "{mount} {args}: {err}");
            assert!(err.contains("hint: free space"), "{mount} {args}: {err}");
            // The message starts at the write, not at the step under way.
            assert!(
                err.starts_with("error: cannot write"),
                "{mount} {args}: {err}"
            );
        }
    }
}

/// Regression (a_lock_file_that_is_a_link_truncates_its_target): `ln DATA/exchanges.csv
/// R/.q.lock`, then `publish --out R/q`, left exchanges.csv holding the lock's process
/// number; the same through a symbolic link at `WAREHOUSE/_warehouse.lock` on `ingest`.
#[test]
fn a_lock_file_that_is_a_link_truncates_its_target() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tiny_copy(tmp.path());
    let exchanges = std::fs::read(data.join("exchanges.csv")).unwrap();
    let r = tmp.path().join("r");
    std::fs::create_dir_all(&r).unwrap();
    std::fs::hard_link(data.join("exchanges.csv"), r.join(".q.lock")).unwrap();
    appraise()
        .args(["publish", "--period", "2026Q3", "--data"])
        .arg(&data)
        .arg("--out")
        .arg(r.join("q"))
        .assert()
        .code(1)
        .stderr(predicate::str::contains(".q.lock"))
        .stderr(predicate::str::contains("hard link"))
        .stderr(predicate::str::contains("hint:"));
    assert_eq!(
        std::fs::read(data.join("exchanges.csv")).unwrap(),
        exchanges
    );

    let wh = tmp.path().join("wh");
    appraise()
        .args(["ingest", "--from"])
        .arg(&data)
        .arg("--into")
        .arg(&wh)
        .assert()
        .success();
    std::os::unix::fs::symlink(data.join("exchanges.csv"), wh.join("_warehouse.lock")).unwrap();
    appraise()
        .args(["ingest", "--from"])
        .arg(&data)
        .arg("--into")
        .arg(&wh)
        .assert()
        .code(1)
        .stderr(predicate::str::contains("symbolic link"));
    assert_eq!(
        std::fs::read(data.join("exchanges.csv")).unwrap(),
        exchanges
    );
}

/// Regression (sql_out_and_kpi_run_out_with_force_overwrite_an_input): `sql --out
/// DATA/exchanges.csv --force` and `kpi run --out ... --force` replaced the data file
/// the command was reading.
#[test]
fn sql_out_and_kpi_run_out_with_force_overwrite_an_input() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tiny_copy(tmp.path());
    let exchanges = std::fs::read(data.join("exchanges.csv")).unwrap();
    for args in [
        vec!["sql", "SELECT 1 AS x", "--format", "csv", "--data"],
        vec![
            "kpi", "run", "--period", "2026Q3", "--format", "csv", "--data",
        ],
    ] {
        appraise()
            .args(&args)
            .arg(&data)
            .arg("--out")
            .arg(data.join("exchanges.csv"))
            .arg("--force")
            .assert()
            .code(1)
            .stderr(predicate::str::contains("which this command reads"))
            .stderr(predicate::str::contains("hint:"));
        assert_eq!(
            std::fs::read(data.join("exchanges.csv")).unwrap(),
            exchanges
        );
    }
}
