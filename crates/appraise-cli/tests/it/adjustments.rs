//! Adjustments (appeals) on the demo with a platform outage planted: every exchange
//! requested on 2026-08-12 fails. The office accepts 320000-SJ's appeal for that day.

use std::path::{Path, PathBuf};

use predicates::prelude::*;

use crate::common::{appraise, fixtures};

/// The appellant, the day of the outage and the file's lines.
const DEPT: &str = "320000-SJ";
const DAY: &str = "2026-08-12";
const HEADER: &str = "table,id,department_id,from,to,action,reason,reference";

/// The demo, copied, with every exchange requested on [`DAY`] failed; the planted
/// failures of [`DEPT`] as provider to others.
fn planted(dir: &Path) -> (PathBuf, u64) {
    let data = dir.join("planted");
    std::fs::create_dir_all(&data).unwrap();
    for f in std::fs::read_dir(fixtures().join("demo")).unwrap() {
        let f = f.unwrap().path();
        std::fs::copy(&f, data.join(f.file_name().unwrap())).unwrap();
    }
    let path = data.join("exchanges.csv");
    let text = std::fs::read_to_string(&path).unwrap();
    let mut lines = text.lines();
    let header = lines.next().unwrap();
    let columns: Vec<&str> = header.split(',').collect();
    let at = |name: &str| columns.iter().position(|c| *c == name).unwrap();
    let (requested, status) = (at("requested_at"), at("status"));
    let (consumer, provider) = (at("consumer_dept"), at("provider_dept"));
    let mut out = vec![header.to_string()];
    let mut planted = 0;
    for line in lines {
        let mut f: Vec<&str> = line.split(',').collect();
        if f.len() == columns.len() && f[requested].starts_with(DAY) {
            f[status] = "failed";
            if f[provider] == DEPT && f[consumer] != DEPT {
                planted += 1;
            }
        }
        out.push(f.join(","));
    }
    std::fs::write(&path, out.join("\n") + "\n").unwrap();
    (data, planted)
}

/// The lines of `exchanges.csv` that `appraise validate` rejects.
fn rejected(data: &Path, dir: &Path) -> std::collections::HashSet<usize> {
    let rejects = dir.join("rejects");
    appraise()
        .args(["validate", "--data"])
        .arg(data)
        .arg("--rejects")
        .arg(&rejects)
        .assert()
        .success();
    let text = std::fs::read_to_string(rejects.join("exchanges.csv")).unwrap();
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    reader
        .records()
        .map(|r| r.unwrap()[1].parse().unwrap())
        .collect()
}

/// (successful, all) exchanges of [`DEPT`] to other departments in 2026Q3 (local time
/// as written), without those requested on `without` — counted from the CSV file, less
/// the `rejected` lines and repeats of a line.
fn successes(
    data: &Path,
    rejected: &std::collections::HashSet<usize>,
    without: Option<&str>,
) -> (u64, u64) {
    let text = std::fs::read_to_string(data.join("exchanges.csv")).unwrap();
    let mut lines = text.lines();
    let columns: Vec<&str> = lines.next().unwrap().split(',').collect();
    let at = |name: &str| columns.iter().position(|c| *c == name).unwrap();
    let (mut ok, mut all) = (0, 0);
    let mut seen = std::collections::HashSet::new();
    for (i, line) in lines.enumerate() {
        let f: Vec<&str> = line.split(',').collect();
        // Line numbers count the header as line 1.
        if rejected.contains(&(i + 2))
            || !seen.insert(line)
            || f.len() != columns.len()
            || f[at("provider_dept")] != DEPT
            || f[at("consumer_dept")] == DEPT
        {
            continue;
        }
        let t = f[at("requested_at")];
        if !("2026-07-01".."2026-10-01").contains(&t) || without.is_some_and(|d| t.starts_with(d)) {
            continue;
        }
        all += 1;
        ok += u64::from(f[at("status")] == "success");
    }
    (ok, all)
}

/// `kpis.csv` of a run as (department, KPI) → the rest of the line.
fn kpis(out: &Path) -> std::collections::BTreeMap<(String, String), String> {
    std::fs::read_to_string(out.join("kpis.csv"))
        .unwrap()
        .lines()
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.splitn(4, ',').collect();
            ((f[1].to_string(), f[2].to_string()), f[3].to_string())
        })
        .collect()
}

/// The rank of [`DEPT`] in `ranking.csv`.
fn rank(out: &Path) -> String {
    let text = std::fs::read_to_string(out.join("ranking.csv")).unwrap();
    let mut lines = text.lines();
    let columns: Vec<&str> = lines.next().unwrap().split(',').collect();
    let at = |name: &str| columns.iter().position(|c| *c == name).unwrap();
    lines
        .map(|l| l.split(',').collect::<Vec<_>>())
        .find(|f| f[at("department_id")] == DEPT)
        .map(|f| f[at("rank")].to_string())
        .unwrap()
}

/// The outage excused for one department changes exactly its exchange success rate,
/// to the value counted by hand from the data without that day's exchanges; the
/// report lists the adjustment, the rows it touched and the rank before and after; the
/// manifest records the file; a line that matches nothing is named in a warning.
#[test]
fn an_excused_outage_changes_exactly_the_appellant_s_exchange_kpis() {
    let tmp = tempfile::tempdir().unwrap();
    let (data, planted) = planted(tmp.path());
    assert!(
        planted >= 20,
        "{planted} exchanges of {DEPT} planted failed"
    );
    let adjustments = tmp.path().join("appeals.csv");
    std::fs::write(
        &adjustments,
        format!(
            "{HEADER}\nexchanges,,{DEPT},{DAY},{DAY},exclude,平台故障：{DAY} 交换平台中断,苏政数考〔2026〕12号\n\
             exchanges,E9999999999,,,,exclude,编号有误,苏政数考〔2026〕13号\n"
        ),
    )
    .unwrap();
    let run = |out: &Path, with: bool| {
        let mut cmd = appraise();
        cmd.args(["run", "--period", "2026Q3", "--lang", "en", "--data"])
            .arg(&data)
            .arg("--out")
            .arg(out);
        if with {
            cmd.arg("--adjustments").arg(&adjustments);
        }
        cmd.assert().success()
    };
    let (before, after) = (tmp.path().join("before"), tmp.path().join("after"));
    run(&before, false);
    run(&after, true).stderr(predicate::str::contains(format!(
        "{}:3: the adjustment touches no row of the data",
        adjustments.display()
    )));

    // Exactly one KPI value moved: the appellant's exchange success rate, from the
    // data's count with the outage to the count without that day.
    let (a, b) = (kpis(&before), kpis(&after));
    let moved: Vec<&(String, String)> = a.keys().filter(|k| a.get(*k) != b.get(*k)).collect();
    let key = (DEPT.to_string(), "exchange_success_rate".to_string());
    assert_eq!(moved, [&key]);
    let rejected = rejected(&data, tmp.path());
    for (out, without) in [(&a, None), (&b, Some(DAY))] {
        let (ok, all) = successes(&data, &rejected, without);
        // value, numerator, denominator
        let f: Vec<f64> = out[&key]
            .split(',')
            .take(3)
            .map(|x| x.parse().unwrap())
            .collect();
        assert!(
            (f[0] - ok as f64 / all as f64).abs() < 1e-12,
            "{without:?}: {f:?}"
        );
        assert_eq!((f[1], f[2]), (ok as f64, all as f64), "{without:?}");
    }
    let count = |without| successes(&data, &rejected, without).1;
    assert_eq!(count(None) - count(Some(DAY)), planted);
    // The evidence, with the same file, lists the rows as adjusted.
    let evidence = tmp.path().join("evidence");
    appraise()
        .args(["evidence", "--period", "2026Q3", "--department", DEPT])
        .args(["--kpi", "exchange_success_rate", "--data"])
        .arg(&data)
        .arg("--adjustments")
        .arg(&adjustments)
        .arg("--out")
        .arg(&evidence)
        .assert()
        .success();
    let listed = std::fs::read_to_string(evidence.join("exchange_success_rate.csv")).unwrap();
    assert_eq!(listed.lines().count() as u64 - 1, count(Some(DAY)));
    // department_id, event_id, requested_at, ...
    let requested = listed.lines().skip(1).map(|l| l.split(',').nth(2).unwrap());
    assert_eq!(
        requested.filter(|t| t.starts_with(DAY)).count(),
        0,
        "{DAY} listed"
    );

    // The report's section: the line, the rows it touched, the rank before → after.
    let md = std::fs::read_to_string(after.join("report.md")).unwrap();
    let section = &md[md.find("## Adjustments and appeals").unwrap()..];
    let section = &section[..section.find("\n## ").unwrap()];
    assert!(
        section.contains(&format!(
            "| 2 | exchanges | {DEPT}, {DAY} to {DAY} | excluded | 平台故障：{DAY} 交换平台中断 | 苏政数考〔2026〕12号 | {planted} |"
        )),
        "{section}"
    );
    assert!(
        section.contains("| 3 | exchanges | E9999999999 | excluded |"),
        "{section}"
    );
    let (was, is) = (rank(&before), rank(&after));
    let line = section
        .lines()
        .find(|l| l.contains("Exchange success rate ") && l.contains(" → "))
        .unwrap_or_else(|| panic!("{section}"));
    assert!(line.contains(&format!("| {was} → {is} |")), "{line}");
    assert!(
        !std::fs::read_to_string(before.join("report.md"))
            .unwrap()
            .contains("Adjustments and appeals")
    );

    // The manifest: the file's name, size and SHA-256; none without the file.
    use sha2::Digest;
    let bytes = std::fs::read(&adjustments).unwrap();
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(after.join("manifest.json")).unwrap())
            .unwrap();
    assert_eq!(manifest["adjustments"]["path"], "appeals.csv");
    assert_eq!(manifest["adjustments"]["bytes"], bytes.len() as u64);
    assert_eq!(
        manifest["adjustments"]["sha256"],
        hex::encode(sha2::Sha256::digest(&bytes))
    );
    let plain: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(before.join("manifest.json")).unwrap())
            .unwrap();
    assert!(plain.get("adjustments").is_none());
}

/// An adjustment that names another department's row, or does not read, stops the run
/// before it writes anything, naming the file, the line and the field, with a hint.
#[test]
fn an_adjustment_of_another_department_s_row_or_a_bad_line_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    // fixtures/tiny: X01 is an exchange P1 provided to C1.
    for (line, says) in [
        (
            "exchanges,X01,K1,,,exclude,r,n",
            "appeals.csv:2 (department_id): the exchanges it names is P1's, not K1's",
        ),
        (
            "exchanges,X01,,,,set:provider_dept=K1,r,n",
            "appeals.csv:2 (action): provider_dept says whose row it is",
        ),
        (
            "visits,X01,,,,exclude,r,n",
            "appeals.csv:2 (table): \"visits\" is not a table",
        ),
        (
            "exchanges,,P1,2026-08-12,,exclude,r,n",
            "appeals.csv:2 (to)",
        ),
        (
            "exchanges,X01,,,,exclude,r,",
            "appeals.csv:2 (reference): no reference",
        ),
        (
            "exchanges,X01,,,,set:records=many,r,n",
            "appeals.csv:2 (action): \"many\" is not a value of records",
        ),
    ] {
        let adjustments = tmp.path().join("appeals.csv");
        std::fs::write(&adjustments, format!("{HEADER}\n{line}\n")).unwrap();
        let out = tmp.path().join("out");
        appraise()
            .args(["run", "--period", "2026Q3", "--data"])
            .arg(fixtures().join("tiny"))
            .arg("--adjustments")
            .arg(&adjustments)
            .arg("--out")
            .arg(&out)
            .assert()
            .code(1)
            .stderr(predicate::str::contains(says).and(predicate::str::contains("hint:")));
        assert!(!out.exists(), "{line}: wrote {}", out.display());
    }
}
