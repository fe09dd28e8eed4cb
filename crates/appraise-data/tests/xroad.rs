//! X-Road operational-monitoring records in every container they come in, read from
//! the real samples in `../shared/xroad/` (X-Road Metrics, NIIS; not copied into the
//! project). `APPRAISE_XROAD_SAMPLES` names another folder of them.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use std::io::Write;
use std::path::{Path, PathBuf};

use appraise_data::xroad::{Record, read_records};

fn samples() -> PathBuf {
    let candidates = [
        std::env::var_os("APPRAISE_XROAD_SAMPLES").map(PathBuf::from),
        Some(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/xroad")),
        Some(PathBuf::from("/work/shared/xroad")),
    ];
    candidates
        .into_iter()
        .flatten()
        .find(|p| p.join("raw_messages_batch_1.json").is_file())
        .expect(
            "the X-Road samples: ../shared/xroad beside the repository, or APPRAISE_XROAD_SAMPLES",
        )
}

fn kinds(records: &[Record]) -> (usize, usize) {
    let kind = |k: &str| {
        records
            .iter()
            .filter(|r| r.get("securityServerType").and_then(|v| v.as_str()) == Some(k))
            .count()
    };
    (kind("Client"), kind("Producer"))
}

#[test]
fn the_security_servers_multipart_answer_holds_5230_records() {
    let records = read_records(&samples().join("metrics_response1.dat")).unwrap();
    assert_eq!(records.len(), 5_230);
    assert_eq!(kinds(&records), (2_615, 2_615));
    // Legacy size fields, as the README of the samples says.
    assert!(
        records
            .iter()
            .all(|r| r.contains_key("requestSoapSize") || r.contains_key("requestRestSize"))
    );
}

#[test]
fn an_array_an_object_of_records_ndjson_and_gzip_give_the_same_records() {
    let dir = tempfile::tempdir().unwrap();
    let array = read_records(&samples().join("raw_messages_batch_1.json")).unwrap();
    assert_eq!(array.len(), 17);

    let write = |name: &str, bytes: &[u8]| {
        let p = dir.path().join(name);
        std::fs::write(&p, bytes).unwrap();
        p
    };
    let wrapped = serde_json::json!({ "records": array }).to_string();
    let ndjson: String = array
        .iter()
        .map(|r| format!("{}\n\n", serde_json::to_string(r).unwrap()))
        .collect();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(ndjson.as_bytes()).unwrap();
    let gz = gz.finish().unwrap();
    for path in [
        write("wrapped.json", wrapped.as_bytes()),
        write("lines.ndjson", ndjson.as_bytes()),
        write("lines.ndjson.gz", &gz),
    ] {
        assert_eq!(read_records(&path).unwrap(), array, "{}", path.display());
    }
}

#[test]
fn a_broken_line_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("broken.ndjson");
    std::fs::write(&p, "{\"a\": 1}\n{\"a\": 2}\n{\"a\": \n").unwrap();
    let err = read_records(&p).unwrap_err().to_string();
    assert!(err.contains("line 3"), "{err}");
    assert!(err.contains("broken.ndjson"), "{err}");
}
