//! The whole appraisal on X-Road records: every command that reads data takes them
//! with `--input-format xroad`, and `messageUserId` reaches no output. The records are
//! the real samples in `../shared/xroad/` (not copied into the project), split here
//! into the two security servers' files.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::samples::samples;

use crate::common::appraise;
use predicates::prelude::*;
use serde_json::Value;

/// A personal identity code, put into every record as its `messageUserId`.
const PERSON: &str = "EE38001085718";

/// The raw batch as two security servers' exports: the Client records as NDJSON, the
/// Producer records as a gzipped JSON array; every record names [`PERSON`].
fn exports(dir: &Path) -> PathBuf {
    let raw: Vec<Value> = serde_json::from_slice(
        &std::fs::read(samples().join("raw_messages_batch_1.json")).unwrap(),
    )
    .unwrap();
    let records = dir.join("records");
    std::fs::create_dir_all(&records).unwrap();
    let (mut clients, mut producers) = (String::new(), Vec::new());
    for mut r in raw {
        r["messageUserId"] = PERSON.into();
        if r["securityServerType"] == "Client" {
            clients.push_str(&format!("{r}\n"));
        } else {
            producers.push(r);
        }
    }
    std::fs::write(records.join("client-ss.ndjson"), clients).unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(Value::Array(producers).to_string().as_bytes())
        .unwrap();
    std::fs::write(records.join("producer-ss.json.gz"), gz.finish().unwrap()).unwrap();

    std::fs::write(
        dir.join("mapping.csv"),
        "xroad_instance,member_class,member_code,subsystem_code,dept_id,name,level\n\
         LTT,TEST,TEST1,,D1,Registry office,province\n\
         LTT,TEST,TEST2,,D2,Tax board,province\n\
         LTT,TEST,TEST3,,D3,Land board,province\n\
         LTT,CS,CS1,,D4,Central server,province\n\
         PLAYGROUND,ORG,2908758-4,,D5,Monitoring,province\n",
    )
    .unwrap();
    // The records' dates are in December 2022; Estonia's holidays of that month.
    let calendars = dir.join("calendars");
    std::fs::create_dir_all(&calendars).unwrap();
    std::fs::write(
        calendars.join("ee-2022.csv"),
        "date,kind,name\n2022-12-24,holiday,Christmas Eve\n\
         2022-12-25,holiday,Christmas Day\n2022-12-26,holiday,Boxing Day\n",
    )
    .unwrap();
    records
}

fn xroad_args(dir: &Path) -> Vec<String> {
    [
        "--input-format",
        "xroad",
        "--mapping",
        &dir.join("mapping.csv").display().to_string(),
        "--timezone",
        "Europe/Tallinn",
    ]
    .map(String::from)
    .to_vec()
}

/// `appraise COMMAND` over the exports of `dir` as X-Road records, with the rejects in
/// `dir/rejects`.
fn over_records(command: &str, dir: &Path) -> assert_cmd::Command {
    let mut cmd = appraise();
    let data = if command == "ingest" {
        "--from"
    } else {
        "--data"
    };
    cmd.args([command, data])
        .arg(dir.join("records"))
        .args(xroad_args(dir))
        .arg("--rejects")
        .arg(dir.join("rejects"));
    cmd
}

/// Every file under `dir`, as bytes.
fn every_file(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push((p.clone(), std::fs::read(&p).unwrap()));
            }
        }
    }
    out
}

#[test]
fn the_whole_appraisal_runs_on_two_security_servers_exports() {
    let dir = tempfile::tempdir().unwrap();
    let records = exports(dir.path());
    let args = xroad_args(dir.path());

    // validate: the halves pair across the two files.
    let out = over_records("validate", dir.path())
        .args(["--format", "json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let summary: Value = serde_json::from_slice(&out.stdout).unwrap();
    let x = &summary["xroad"];
    assert_eq!(
        (
            &x["records"],
            &x["pairs"],
            &x["client_orphans"],
            &x["producer_orphans"]
        ),
        (&17.into(), &5.into(), &5.into(), &2.into())
    );
    // The two records that name no parties are rejected; the other ten are loaded.
    let ex = &summary["tables"]["exchanges"];
    assert_eq!((&ex["read"], &ex["loaded"]), (&12.into(), &10.into()));

    // run: a report over the five departments.
    let report = dir.path().join("out");
    appraise()
        .args(["run", "--period", "2022Q4", "--data"])
        .arg(&records)
        .args(&args)
        .arg("--calendars")
        .arg(dir.path().join("calendars"))
        .arg("--out")
        .arg(&report)
        .assert()
        .success()
        .stdout(predicate::str::contains("report.html"));
    let html = std::fs::read_to_string(report.join("report.html")).unwrap();
    assert!(html.contains("Registry office") && html.contains("Tax board"));
    let manifest: Value =
        serde_json::from_slice(&std::fs::read(report.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["xroad"]["pairs"], 5);
    assert_eq!(manifest["inputs"].as_array().unwrap().len(), 3);

    // ingest, then the KPIs and SQL over the warehouse; a second ingest adds nothing.
    let warehouse = dir.path().join("warehouse");
    for written in ["10", "0"] {
        over_records("ingest", dir.path())
            .arg("--into")
            .arg(&warehouse)
            .assert()
            .success()
            .stdout(
                predicate::str::is_match(format!(r"exchanges +12 +10 +2 +0 +\d+ +{written}\n"))
                    .unwrap(),
            );
    }
    appraise()
        .args([
            "kpi", "run", "--period", "2022Q4", "--format", "csv", "--data",
        ])
        .arg(&warehouse)
        .arg("--calendars")
        .arg(dir.path().join("calendars"))
        .assert()
        .success()
        // D2 served six exchanges, one of them failed (`doesnotexist`).
        .stdout(predicate::str::contains(
            "2022Q4,D2,exchange_success_rate,0.8333333333333334,5.0,6.0,6\n",
        ));
    appraise()
        .args(["sql", "--data"])
        .arg(&warehouse)
        .args(["--format", "csv", "SELECT provider_dept, COUNT(*) AS n FROM exchanges GROUP BY provider_dept ORDER BY provider_dept"])
        .assert()
        .success()
        .stdout("provider_dept,n\nD1,1\nD2,6\nD3,2\nD5,1\n");

    // messageUserId is in no file any of these commands wrote.
    for (path, bytes) in every_file(dir.path()) {
        if path.starts_with(&records) {
            continue;
        }
        assert!(
            !bytes.windows(PERSON.len()).any(|w| w == PERSON.as_bytes()),
            "{} holds messageUserId",
            path.display()
        );
    }
}

#[test]
fn unmapped_members_are_rejected_and_listed_unless_departments_are_made() {
    let dir = tempfile::tempdir().unwrap();
    exports(dir.path());
    // TEST3 and CS1 left out of the mapping.
    std::fs::write(
        dir.path().join("mapping.csv"),
        "xroad_instance,member_class,member_code,subsystem_code,dept_id,name,level\n\
         LTT,TEST,TEST1,,D1,Registry office,province\n\
         LTT,TEST,TEST2,,D2,Tax board,province\n\
         PLAYGROUND,ORG,2908758-4,,D5,Monitoring,province\n",
    )
    .unwrap();
    over_records("validate", dir.path())
        .assert()
        .success()
        .stdout(predicate::str::is_match(r"exchanges +unmapped_member +2\n").unwrap())
        .stderr(predicate::str::contains("LTT/TEST/TEST3/SUB3 (1)"))
        .stderr(predicate::str::contains("LTT/CS/CS1/MANAGEMENT (1)"));

    over_records("validate", dir.path())
        .args(["--format", "json", "--auto-departments"])
        .assert()
        .success()
        .stdout(predicate::str::contains("\"auto_departments\": 2"))
        .stdout(predicate::str::contains("unmapped_member").not());

    // A mapping without the key columns stops with the fix.
    std::fs::write(dir.path().join("mapping.csv"), "member,dept_id\nX,D1\n").unwrap();
    over_records("validate", dir.path())
        .assert()
        .code(1)
        .stderr(predicate::str::contains("no column xroad_instance"))
        .stderr(predicate::str::contains("hint:"));
}
