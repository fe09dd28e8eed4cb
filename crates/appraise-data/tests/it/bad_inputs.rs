//! Every kind of bad input in `fixtures/bad` is caught with the right reason and place.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use appraise_data::{Error, LoadOptions, Table, encoding_for_label, load_dir};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures/bad")
        .join(name)
}

fn read_csv(path: &Path) -> Vec<csv::StringRecord> {
    let mut r = csv::Reader::from_path(path).unwrap();
    r.records().map(Result::unwrap).collect()
}

#[test]
fn each_bad_row_is_rejected_with_its_reason_line_and_column() {
    let out = tempfile::tempdir().unwrap();
    let opts = LoadOptions {
        rejects_dir: Some(out.path().to_path_buf()),
        ..LoadOptions::default()
    };
    let data = load_dir(&fixture("rows"), &opts).unwrap();

    let expected: BTreeSet<(String, u64, String, String)> = read_csv(&fixture("rows/expected.csv"))
        .iter()
        .map(|r| {
            (
                r[0].to_string(),
                r[1].parse().unwrap(),
                r[2].to_string(),
                r[3].to_string(),
            )
        })
        .collect();
    let mut got = BTreeSet::new();
    for t in Table::ALL {
        let path = out.path().join(format!("{}.csv", t.name()));
        let mut r = csv::Reader::from_path(&path).unwrap();
        assert_eq!(
            r.headers().unwrap(),
            vec!["file", "line", "id", "column", "reason", "record", "detail"]
        );
        for rec in r.records() {
            let rec = rec.unwrap();
            assert!(rec[0].ends_with(&format!("{}.csv", t.name())) || rec[0].ends_with(".jsonl"));
            got.insert((
                t.name().to_string(),
                rec[1].parse().unwrap(),
                rec[4].to_string(),
                rec[3].to_string(),
            ));
        }
    }
    assert_eq!(got, expected);

    // The accounting worked out by hand in fixtures/bad/README.md.
    let want = [
        (Table::Departments, 8, 2, 5, 1),
        (Table::Catalog, 5, 1, 4, 0),
        (Table::Exchanges, 14, 2, 11, 1),
        (Table::ShareRequests, 6, 1, 5, 0),
        (Table::Services, 7, 1, 6, 0),
    ];
    for (table, read, loaded, rejected, duplicates) in want {
        let a = &data.table(table).accounting;
        assert_eq!(
            (a.read, a.loaded, a.rejected, a.duplicates),
            (read, loaded, rejected, duplicates),
            "{table}"
        );
        assert_eq!(data.table(table).num_rows() as u64, loaded);
    }
}

#[test]
fn a_quoted_field_with_commas_quotes_and_a_line_break_survives() {
    let data = load_dir(&fixture("rows"), &LoadOptions::default()).unwrap();
    let ex = &data.table(Table::Exchanges).batches[0];
    let ids = ex
        .column(0)
        .as_any()
        .downcast_ref::<datafusion::arrow::array::StringArray>()
        .unwrap();
    let res = ex
        .column(5)
        .as_any()
        .downcast_ref::<datafusion::arrow::array::StringArray>()
        .unwrap();
    let e9 = (0..ex.num_rows()).find(|&i| ids.value(i) == "E9").unwrap();
    assert_eq!(res.value(e9), "R1, the \"population\" base\n(two lines)");
}

#[test]
fn rejected_records_never_hold_the_raw_applicant_id() {
    let out = tempfile::tempdir().unwrap();
    let opts = LoadOptions {
        rejects_dir: Some(out.path().to_path_buf()),
        ..LoadOptions::default()
    };
    load_dir(&fixture("rows"), &opts).unwrap();
    let services = std::fs::read_to_string(out.path().join("services.csv")).unwrap();
    assert!(services.contains("[redacted]"));
    assert!(!services.contains("1101011990010"), "{services}");
}

fn unreadable(err: Error) -> (PathBuf, String, String) {
    let hint = err.hint();
    match err {
        Error::Unreadable { path, reason, .. } => (path, reason, hint.unwrap_or_default()),
        other => panic!("expected an unreadable file, got {other:?}"),
    }
}

#[test]
fn a_missing_required_column_names_the_file_and_the_column() {
    let err = load_dir(&fixture("missing_column"), &LoadOptions::default()).unwrap_err();
    let (path, reason, hint) = unreadable(err);
    assert!(path.ends_with("exchanges.csv"));
    assert!(reason.contains("status"), "{reason}");
    assert!(
        hint.contains("event_id, requested_at, consumer_dept, provider_dept, status"),
        "{hint}"
    );
}

#[test]
fn a_binary_file_is_not_a_table() {
    let err = load_dir(&fixture("not_a_table"), &LoadOptions::default()).unwrap_err();
    let (path, reason, _) = unreadable(err);
    assert!(path.ends_with("departments.csv"));
    assert!(reason.contains("neither UTF-8 nor GB18030"), "{reason}");
}

#[test]
fn an_unknown_format_is_refused() {
    let err = load_dir(&fixture("unknown_format"), &LoadOptions::default()).unwrap_err();
    let (path, _, hint) = unreadable(err);
    assert!(path.ends_with("departments.xlsx"));
    assert!(hint.contains(".csv"));
}

#[test]
fn the_departments_table_is_required() {
    let err = load_dir(&fixture("no_departments"), &LoadOptions::default()).unwrap_err();
    assert!(matches!(err, Error::Input { .. }), "{err:?}");
    assert!(err.to_string().contains("no departments table"));
}

#[test]
fn a_gb18030_file_keeps_its_chinese_names() {
    let data = load_dir(&fixture("gb18030"), &LoadOptions::default()).unwrap();
    let names = data.table(Table::Departments).value_counts("name");
    let names: Vec<&str> = names.keys().map(String::as_str).collect();
    assert_eq!(names, ["南京市数据局", "省数据局", "苏州工业园区管委会"]);
}

#[test]
fn a_gb18030_file_declared_as_utf8_is_refused() {
    let opts = LoadOptions {
        encoding: encoding_for_label("utf-8"),
        ..LoadOptions::default()
    };
    let err = load_dir(&fixture("gb18030"), &opts).unwrap_err();
    let (path, reason, hint) = unreadable(err);
    assert!(path.ends_with("departments.csv"));
    assert!(reason.contains("not valid UTF-8"), "{reason}");
    assert!(hint.contains("--encoding gb18030"), "{hint}");
}

#[test]
fn a_utf8_file_declared_as_gbk_is_refused_not_garbled() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("departments.csv"),
        "dept_id,name,level\nD1,省数据局,province\n",
    )
    .unwrap();
    let opts = LoadOptions {
        encoding: encoding_for_label("gbk"),
        ..LoadOptions::default()
    };
    let err = load_dir(dir.path(), &opts).unwrap_err();
    let (_, reason, _) = unreadable(err);
    assert!(reason.contains("valid UTF-8"), "{reason}");
}

#[test]
fn a_bad_utf8_byte_past_the_detected_start_names_its_line() {
    // Detection reads the first 64 KiB, all valid; the bad byte comes on line 2,002.
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        fixture("../tiny/departments.csv"),
        dir.path().join("departments.csv"),
    )
    .unwrap();
    let mut csv = String::from(
        "event_id,requested_at,responded_at,consumer_dept,provider_dept,resource_id,status\n",
    );
    for i in 0..2_000 {
        csv.push_str(&format!(
            "X{i:05},2026-07-01 10:00:00,2026-07-01 10:00:01,C1,P1,R-P1-1,success\n"
        ));
    }
    let mut bytes = csv.into_bytes();
    bytes.extend_from_slice(b"X99999,2026-07-01 10:00:00,,C1,P1,R-P1-\xff,success\n");
    std::fs::write(dir.path().join("exchanges.csv"), bytes).unwrap();
    let err = load_dir(dir.path(), &LoadOptions::default()).unwrap_err();
    let message = err.to_string();
    let (path, reason, hint) = unreadable(err);
    assert!(path.ends_with("exchanges.csv"));
    assert!(reason.contains("not valid UTF-8"), "{reason}");
    assert!(message.contains("line 2002"), "{message}");
    assert!(hint.contains("--encoding"), "{hint}");
}

/// Regression (raw_applicant_id_in_rejects): redaction went by column position, so a
/// services row with a field too few or too many kept the raw id (or redacted the
/// wrong field), and a JSON Lines row that was an array was written raw.
#[test]
fn misaligned_rows_never_carry_the_applicant_id_into_rejects() {
    let header = "case_id,dept_id,service_id,channel,submitted_at,completed_at,promised_days,\
                  status,rating,visits,shared_data_used,applicant_id";
    let rows = [
        // one field too few (no rating): the id sits one column to the left
        "C1,D1,SV1,online,2026-07-01 09:00:00,2026-07-02 09:00:00,5,completed,0,yes,110101199001011234",
        // one field too many: the id is the last field but not the 12th
        "C2,D1,SV1,online,2026-07-01 09:00:00,2026-07-02 09:00:00,5,completed,5,0,yes,x,110101199001011235",
        // an unterminated quote swallowing the rest of the file
        "C3,D1,\"SV1,online,2026-07-01 09:00:00,2026-07-02 09:00:00,5,completed,5,0,yes,110101199001011236",
    ];
    let jsonl = [
        r#"["C4","D1","110101199001011237"]"#,
        r#"{"case_id": "C5", "dept_id": "D1", "applicant_id": "110101199001011238""#,
    ];
    for key in [None, Some("a key of at least sixteen bytes")] {
        let data = tempfile::tempdir().unwrap();
        std::fs::write(
            data.path().join("departments.csv"),
            "dept_id,name,level\nD1,One,province\n",
        )
        .unwrap();
        let mut csv = format!("{header}\n");
        for r in rows {
            csv.push_str(r);
            csv.push('\n');
        }
        let folder = data.path().join("services");
        std::fs::create_dir_all(&folder).unwrap();
        std::fs::write(folder.join("a.csv"), csv).unwrap();
        // A valid first line, so that the file reads as JSON Lines.
        let mut lines = String::from(
            r#"{"case_id": "C0", "dept_id": "D1", "service_id": "SV1", "channel": "online", "submitted_at": "2026-07-01 09:00:00", "promised_days": 5, "status": "in_progress"}"#,
        );
        for l in jsonl {
            lines.push('\n');
            lines.push_str(l);
        }
        std::fs::write(folder.join("b.jsonl"), lines + "\n").unwrap();
        let out = tempfile::tempdir().unwrap();
        let opts = LoadOptions {
            rejects_dir: Some(out.path().to_path_buf()),
            pseudonymiser: key.map(|k| appraise_data::Pseudonymiser::new(k.as_bytes()).unwrap()),
            ..LoadOptions::default()
        };
        let loaded = load_dir(data.path(), &opts).unwrap();
        let services = loaded.table(Table::Services);
        assert_eq!(services.accounting.rejected, 5, "{:?}", services.accounting);
        let text = std::fs::read_to_string(out.path().join("services.csv")).unwrap();
        assert!(!text.contains("11010119900101123"), "key {key:?}: {text}");
        assert_eq!(text.matches("[redacted]").count(), 5, "{text}");
    }
}

/// Regression (personal_data_in_rejects_when_the_header_case_differs): a services file
/// headed `Applicant_ID` (or ` applicant_id ` in another case, or a JSON key `ApplicantId`)
/// wrote the raw id of a rejected row to the rejects file, the column not being
/// recognised as personal.
#[test]
fn personal_data_in_rejects_when_the_header_case_differs() {
    let data = tempfile::tempdir().unwrap();
    std::fs::write(
        data.path().join("departments.csv"),
        "dept_id,name,level\nD1,One,province\n",
    )
    .unwrap();
    let folder = data.path().join("services");
    std::fs::create_dir_all(&folder).unwrap();
    let good = "C1,D1,SV1,online,2026-07-01 09:00:00,2026-07-02 09:00:00,5,completed,5,0,yes";
    // A bad channel: the row is rejected with its fields shown.
    let bad = "C2,D1,SV1,pigeon,2026-07-01 09:00:00,2026-07-02 09:00:00,5,completed,5,0,yes";
    let head = "case_id,dept_id,service_id,channel,submitted_at,completed_at,promised_days,\
                status,rating,visits,shared_data_used";
    std::fs::write(
        folder.join("a.csv"),
        format!(
            "{head},Applicant_ID,Citizen Phone\n{good},110101199001011234,13800000000\n\
             {bad},110101199001011235,13800000001\n"
        ),
    )
    .unwrap();
    std::fs::write(
        folder.join("b.jsonl"),
        concat!(
            r#"{"case_id": "C3", "dept_id": "D1", "service_id": "SV1", "channel": "online", "submitted_at": "2026-07-01 09:00:00", "promised_days": 5, "status": "in_progress"}"#,
            "\n",
            r#"{"case_id": "C4", "dept_id": "D1", "service_id": "SV1", "channel": "pigeon", "submitted_at": "2026-07-01 09:00:00", "promised_days": 5, "status": "in_progress", "ApplicantId": "110101199001011236", "note": "13800000002"}"#,
            "\n"
        ),
    )
    .unwrap();
    let out = tempfile::tempdir().unwrap();
    let opts = LoadOptions {
        rejects_dir: Some(out.path().to_path_buf()),
        ..LoadOptions::default()
    };
    let loaded = load_dir(data.path(), &opts).unwrap();
    assert_eq!(loaded.table(Table::Services).accounting.rejected, 2);
    let text = std::fs::read_to_string(out.path().join("services.csv")).unwrap();
    assert!(!text.contains("1101011990010112"), "{text}");
    assert!(!text.contains("1380000000"), "{text}");
    // The contract's other columns still show what was wrong.
    assert!(
        text.contains("pigeon") && text.contains("C2") && text.contains("C4"),
        "{text}"
    );
    assert_eq!(text.matches("[redacted]").count(), 4, "{text}");
}
