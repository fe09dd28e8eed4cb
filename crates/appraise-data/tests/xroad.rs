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

/// An exchange by its halves' `xRequestId` and `requestInTs` (Client, Producer):
/// unique in the samples.
type Key = (Option<String>, Option<i64>, Option<i64>);

fn key_of(client: Option<&Record>, producer: Option<&Record>) -> Key {
    let at = |r: Option<&Record>| r.and_then(|r| r.get("requestInTs")?.as_i64());
    let id = client
        .or(producer)
        .and_then(|r| r.get("xRequestId")?.as_str().map(str::to_string));
    (id, at(client), at(producer))
}

#[test]
fn pairing_the_raw_batch_gives_the_correctors_pairs_orphans_and_durations() {
    use appraise_data::xroad::{Matching, pair};
    let paired = pair(read_records(&samples().join("raw_messages_batch_1.json")).unwrap());
    let golden: Vec<serde_json::Value> =
        serde_json::from_slice(&std::fs::read(samples().join("clean_data_batch_1.json")).unwrap())
            .unwrap();
    assert_eq!(paired.duplicates, 0);
    assert_eq!(paired.exchanges.len(), golden.len());

    let ours: std::collections::BTreeMap<Key, _> = paired
        .exchanges
        .iter()
        .map(|e| (key_of(e.client.as_ref(), e.producer.as_ref()), e))
        .collect();
    assert_eq!(ours.len(), golden.len(), "two exchanges share a key");
    for g in &golden {
        let half = |k: &str| g.get(k).and_then(|v| v.as_object());
        let key = key_of(half("client"), half("producer"));
        let e = ours
            .get(&key)
            .unwrap_or_else(|| panic!("no exchange {key:?}"));
        let want = if g["matchingType"] == "regular_pair" {
            Matching::Pair
        } else {
            Matching::Orphan
        };
        assert_eq!(e.matching(), want, "{key:?}");
        let d = e.durations();
        let n = |k: &str| g.get(k).and_then(serde_json::Value::as_i64);
        let fields = [
            ("totalDuration", d.total),
            ("clientSsRequestDuration", d.client_ss_request),
            ("clientSsResponseDuration", d.client_ss_response),
            ("producerDurationClientView", d.producer_client_view),
            ("producerDurationProducerView", d.producer_producer_view),
            ("producerSsRequestDuration", d.producer_ss_request),
            ("producerSsResponseDuration", d.producer_ss_response),
            ("producerIsDuration", d.producer_is),
            ("requestNwDuration", d.request_nw),
            ("responseNwDuration", d.response_nw),
            ("clientRequestSize", d.client_request_size),
            ("producerRequestSize", d.producer_request_size),
            ("clientResponseSize", d.client_response_size),
            ("producerResponseSize", d.producer_response_size),
        ];
        for (name, got) in fields {
            assert_eq!(got, n(name), "{name} of {key:?}");
        }
    }
}

#[test]
fn repeated_records_give_one_exchange_per_request_id() {
    use appraise_data::xroad::{Matching, pair};
    // A Client half of 91f47d62, a Producer half of c17d7a71, and the Client half of
    // 3d3969aa twice: three exchanges, all orphans, one duplicate.
    let paired = pair(read_records(&samples().join("raw_messages_duplicates.json")).unwrap());
    assert_eq!(paired.exchanges.len(), 3);
    assert_eq!(paired.duplicates, 1);
    assert!(
        paired
            .exchanges
            .iter()
            .all(|e| e.matching() == Matching::Orphan)
    );
}

#[test]
fn without_request_ids_halves_pair_by_message_id_parties_and_time() {
    use appraise_data::xroad::{LEGACY_WINDOW_MS, Matching, pair};
    let batch = read_records(&samples().join("raw_messages_batch_1.json")).unwrap();
    // The first two records are the Client and Producer halves of one exchange.
    let legacy: Vec<Record> = batch[..2]
        .iter()
        .cloned()
        .map(|mut r| {
            r.remove("xRequestId");
            r
        })
        .collect();
    let paired = pair(legacy.clone());
    assert_eq!(paired.exchanges.len(), 1);
    assert_eq!(paired.exchanges[0].matching(), Matching::Pair);
    assert_eq!(paired.exchanges[0].durations().request_nw, Some(128));

    // Repeated: still one exchange, two duplicates.
    let twice: Vec<Record> = legacy.iter().chain(&legacy).cloned().collect();
    let paired = pair(twice);
    assert_eq!((paired.exchanges.len(), paired.duplicates), (1, 2));

    // The Producer half too late, or of another service: two orphans, never one pair.
    let mut late = legacy.clone();
    let at = late[1]["requestInTs"].as_i64().unwrap();
    late[1].insert("requestInTs".into(), (at + LEGACY_WINDOW_MS + 1).into());
    let mut other = legacy.clone();
    other[1].insert("serviceCode".into(), "another".into());
    for records in [late, other] {
        let paired = pair(records);
        assert_eq!(paired.exchanges.len(), 2);
        assert!(
            paired
                .exchanges
                .iter()
                .all(|e| e.matching() == Matching::Orphan)
        );
    }
}
