//! X-Road operational-monitoring records in every container they come in, paired and
//! loaded as exchanges, read from the real samples in `../shared/xroad/` (X-Road Metrics,
//! NIIS; not copied into the project). `APPRAISE_XROAD_SAMPLES` names another folder of
//! them. Expected values come from the raw JSON, read here with `serde_json` alone.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;

use crate::samples::samples;
use appraise_data::xroad::{
    LEGACY_WINDOW_MS, Matching, Record, Side, XroadOptions, pair, read_records,
};
use appraise_data::{InputFormat, LoadOptions, Table, load_dir};
use datafusion::arrow::array::{Array, AsArray};
use datafusion::arrow::datatypes::{Int64Type, TimestampMicrosecondType};
use serde_json::Value;

/// The raw records of a sample, as plain JSON.
fn raw(name: &str) -> Vec<Value> {
    serde_json::from_slice(&std::fs::read(samples().join(name)).unwrap()).unwrap()
}

fn kinds(records: &[Record]) -> (usize, usize) {
    let n = |s: Side| records.iter().filter(|r| r.side == s).count();
    (n(Side::Client), n(Side::Producer))
}

#[test]
fn the_security_servers_multipart_answer_holds_5230_records() {
    let read = read_records(&samples().join("metrics_response1.dat")).unwrap();
    assert_eq!(read.records.len(), 5_230);
    assert_eq!(kinds(&read.records), (2_615, 2_615));
    // Legacy size fields only (requestSoapSize, ...): every size still reads.
    assert!(read.records.iter().all(|r| r.request_size.is_some()));
    let members: Vec<String> = read.names.members().map(|m| m.to_string()).collect();
    assert!(members.iter().all(|m| m.starts_with("DEV/")), "{members:?}");
}

#[test]
fn an_array_an_object_of_records_ndjson_and_gzip_give_the_same_records() {
    let dir = tempfile::tempdir().unwrap();
    let array = raw("raw_messages_batch_1.json");
    let want = read_records(&samples().join("raw_messages_batch_1.json")).unwrap();
    assert_eq!(want.records.len(), 17);

    let write = |name: &str, bytes: &[u8]| {
        let p = dir.path().join(name);
        std::fs::write(&p, bytes).unwrap();
        p
    };
    let wrapped = serde_json::json!({ "records": array }).to_string();
    let pretty = serde_json::to_string_pretty(&serde_json::json!({ "records": array })).unwrap();
    let ndjson: String = array.iter().map(|r| format!("{r}\n\n")).collect();
    let gzip = |text: &str| {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(text.as_bytes()).unwrap();
        gz.finish().unwrap()
    };
    for path in [
        write("wrapped.json", wrapped.as_bytes()),
        write("pretty.json", pretty.as_bytes()),
        write("lines.ndjson", ndjson.as_bytes()),
        write("lines.ndjson.gz", &gzip(&ndjson)),
        write("wrapped.json.gz", &gzip(&wrapped)),
    ] {
        let got = read_records(&path).unwrap();
        assert_eq!(got.records, want.records, "{}", path.display());
    }
}

#[test]
fn sizes_come_from_the_mime_size_then_the_message_size() {
    let read = read_records(&samples().join("raw_messages_batch_1.json")).unwrap();
    for (r, raw) in read.records.iter().zip(raw("raw_messages_batch_1.json")) {
        let n = |k: &str| raw.get(k).and_then(Value::as_i64);
        assert_eq!(
            r.response_size,
            n("responseMimeSize").or(n("responseSize")),
            "{raw}"
        );
        assert_eq!(
            r.request_size,
            n("requestMimeSize").or(n("requestSize")),
            "{raw}"
        );
    }
}

#[test]
fn a_broken_line_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("broken.ndjson");
    let record = "{\"securityServerType\": \"Client\"}";
    std::fs::write(&p, format!("{record}\n{record}\n{{\"a\": \n")).unwrap();
    let err = read_records(&p).unwrap_err().to_string();
    assert!(err.contains("record 3"), "{err}");
    assert!(err.contains("broken.ndjson"), "{err}");
    let q = dir.path().join("broken.json");
    std::fs::write(&q, "[{\"securityServerType\": \"Client\"},\n {\"a\": }]").unwrap();
    let err = read_records(&q).unwrap_err().to_string();
    assert!(err.contains("record 2"), "{err}");
    // An array cut short names the record it stops in.
    std::fs::write(&q, "[{\"securityServerType\": \"Client\"},\n {\"a\": [1, ").unwrap();
    let err = read_records(&q).unwrap_err().to_string();
    assert!(
        err.contains("record 2") && err.contains("ends before"),
        "{err}"
    );
}

#[test]
fn brackets_quotes_and_line_breaks_inside_an_array_stay_in_their_record() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("tricky.json");
    let code = r#"a]}\"{[,\n"#;
    let text = format!(
        "{{ \"records\" :\n [\n {{\"securityServerType\":\n \"Producer\", \"serviceXRoadInstance\": \"EE\",\
         \"serviceMemberClass\": \"GOV\", \"serviceMemberCode\": \"1\", \"serviceCode\": \"{code}\",\
         \"extra\": {{\"nested\": [\"]\", {{}}]}}}},\n{{\"securityServerType\": \"Client\"}} ],\
         \"more\": 1 }}"
    );
    std::fs::write(&p, text).unwrap();
    let read = read_records(&p).unwrap();
    assert_eq!(kinds(&read.records), (1, 1));
    let service = read.records[0].service.unwrap();
    assert_eq!(&*read.names.service(service).code, "a]}\"{[,\n");
}

/// An exchange by its halves' `xRequestId` and `requestInTs` (Client, Producer):
/// unique in the samples.
type Key = (Option<String>, Option<i64>, Option<i64>);

fn key_of(client: Option<&Record>, producer: Option<&Record>) -> Key {
    let id = client
        .or(producer)
        .and_then(|r| r.x_request_id.as_deref().map(str::to_string));
    (
        id,
        client.and_then(|r| r.request_in_ts),
        producer.and_then(|r| r.request_in_ts),
    )
}

#[test]
fn pairing_the_raw_batch_gives_the_correctors_pairs_orphans_and_durations() {
    let paired = pair(
        read_records(&samples().join("raw_messages_batch_1.json"))
            .unwrap()
            .records,
    );
    let golden = raw("clean_data_batch_1.json");
    assert_eq!(paired.duplicates, 0);
    assert_eq!(paired.exchanges.len(), golden.len());

    let ours: BTreeMap<Key, _> = paired
        .exchanges
        .iter()
        .map(|e| (key_of(e.client.as_ref(), e.producer.as_ref()), e))
        .collect();
    assert_eq!(ours.len(), golden.len(), "two exchanges share a key");
    for g in &golden {
        let half = |k: &str| g.get(k).filter(|v| v.is_object());
        let ts = |k: &str| half(k).and_then(|h| h.get("requestInTs")?.as_i64());
        let id = half("client")
            .or(half("producer"))
            .and_then(|h| h.get("xRequestId")?.as_str().map(str::to_string));
        let key = (id, ts("client"), ts("producer"));
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
        let n = |k: &str| g.get(k).and_then(Value::as_i64);
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
    // A Client half of 91f47d62, a Producer half of c17d7a71, and the Client half of
    // 3d3969aa twice: three exchanges, all orphans, one duplicate.
    let read = read_records(&samples().join("raw_messages_duplicates.json")).unwrap();
    let paired = pair(read.records);
    assert_eq!(paired.exchanges.len(), 3);
    assert_eq!(paired.duplicates, 1);
    assert!(
        paired
            .exchanges
            .iter()
            .all(|e| e.matching() == Matching::Orphan)
    );
    let ids: std::collections::BTreeSet<_> = paired
        .exchanges
        .iter()
        .map(|e| e.first().unwrap().x_request_id.clone())
        .collect();
    assert_eq!(ids.len(), 3);
}

#[test]
fn without_request_ids_halves_pair_by_message_id_parties_and_time() {
    let batch = read_records(&samples().join("raw_messages_batch_1.json")).unwrap();
    // The first two records are the Client and Producer halves of one exchange.
    let legacy: Vec<Record> = batch.records[..2]
        .iter()
        .cloned()
        .map(|mut r| {
            r.x_request_id = None;
            r
        })
        .collect();
    let paired = pair(legacy.clone());
    assert_eq!(paired.exchanges.len(), 1);
    assert_eq!(paired.exchanges[0].matching(), Matching::Pair);
    assert_eq!(paired.exchanges[0].durations().request_nw, Some(128));

    // Repeated: still one exchange, two duplicates; in any order.
    let twice: Vec<Record> = legacy.iter().chain(&legacy).cloned().collect();
    let paired = pair(twice);
    assert_eq!((paired.exchanges.len(), paired.duplicates), (1, 2));
    let repeated = vec![
        legacy[0].clone(),
        legacy[0].clone(),
        legacy[1].clone(),
        legacy[1].clone(),
    ];
    let paired = pair(repeated);
    assert_eq!((paired.exchanges.len(), paired.duplicates), (1, 2));

    // One security server older than X-Road 6.22: the Client half has the id, the
    // Producer half has none. Still one pair, in either order.
    let mut mixed = batch.records[..2].to_vec();
    mixed[1].x_request_id = None;
    for records in [mixed.clone(), mixed.into_iter().rev().collect()] {
        let paired = pair(records);
        assert_eq!(paired.exchanges.len(), 1);
        assert_eq!(paired.exchanges[0].matching(), Matching::Pair);
    }

    // The Producer half too late, or of another service: two orphans, never one pair.
    let mut late = legacy.clone();
    late[1].request_in_ts = late[1].request_in_ts.map(|t| t + LEGACY_WINDOW_MS + 1);
    let mut other = legacy.clone();
    other[1].service = other[1].service.map(|s| s + 1);
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

fn xroad_options(mapping: Option<PathBuf>, auto: bool) -> LoadOptions {
    LoadOptions {
        input_format: InputFormat::Xroad,
        xroad: XroadOptions {
            mapping,
            departments: None,
            auto_departments: auto,
        },
        ..LoadOptions::default()
    }
}

#[test]
fn the_multipart_answer_loads_as_2615_exchanges() {
    let data = load_dir(
        &samples().join("metrics_response1.dat"),
        &xroad_options(None, true),
    )
    .unwrap();
    let Some(appraise_data::SourceReport::Xroad(x)) = data.report.clone() else {
        panic!("no X-Road report")
    };
    assert_eq!(x.records, 5_230);
    assert_eq!(x.pairs, 2_615);
    assert_eq!(
        (x.client_orphans, x.producer_orphans, x.duplicates),
        (0, 0, 0)
    );
    assert!(x.balances());
    let exchanges = data.table(Table::Exchanges);
    assert_eq!(exchanges.accounting.read, 2_615);
    assert_eq!(exchanges.num_rows(), 2_615, "{:?}", exchanges.accounting);
    // One member, so one department made for it.
    let depts = data.table(Table::Departments);
    assert_eq!(depts.num_rows() as u64, x.auto_departments);
    assert_eq!(
        depts
            .value_counts("dept_id")
            .into_keys()
            .collect::<Vec<_>>(),
        vec!["DEV/ORG/1234567-8".to_string()]
    );
}

/// The rows of a loaded exchanges table by `event_id`.
fn rows_by_id(data: &appraise_data::Dataset) -> BTreeMap<String, Vec<Option<String>>> {
    let t = data.table(Table::Exchanges);
    let mut out = BTreeMap::new();
    for b in &t.batches {
        let text = |c: usize, i: usize| -> Option<String> {
            let a = b.column(c);
            if a.is_null(i) {
                return None;
            }
            Some(match a.data_type() {
                datafusion::arrow::datatypes::DataType::Utf8 => {
                    a.as_string::<i32>().value(i).to_string()
                }
                datafusion::arrow::datatypes::DataType::Int64 => {
                    a.as_primitive::<Int64Type>().value(i).to_string()
                }
                _ => a
                    .as_primitive::<TimestampMicrosecondType>()
                    .value(i)
                    .to_string(),
            })
        };
        for i in 0..b.num_rows() {
            let row: Vec<Option<String>> = (0..b.num_columns()).map(|c| text(c, i)).collect();
            out.insert(row[0].clone().unwrap(), row);
        }
    }
    out
}

#[test]
fn exchanges_take_the_client_records_values_and_the_mapping_names_departments() {
    let dir = tempfile::tempdir().unwrap();
    // TEST1 is one department as a whole member; TEST2's SUB3 is its own department,
    // its other subsystems fall to the member's line; TEST3 and CS1 are not mapped.
    let mapping = dir.path().join("mapping.csv");
    std::fs::write(
        &mapping,
        "xroad_instance,member_class,member_code,subsystem_code,dept_id,name,level\n\
         LTT,TEST,TEST1,,D1,Dept one,province\n\
         LTT,TEST,TEST2,,D2,Dept two,city\n\
         LTT,TEST,TEST2,SUB3,D3,Dept three,county\n\
         PLAYGROUND,ORG,2908758-4,,D1,,\n",
    )
    .unwrap();
    let mut opts = xroad_options(Some(mapping), false);
    opts.rejects_dir = Some(dir.path().join("rejects"));
    let data = load_dir(&samples().join("raw_messages_batch_1.json"), &opts).unwrap();
    let Some(appraise_data::SourceReport::Xroad(x)) = data.report.clone() else {
        panic!("no X-Road report")
    };
    assert!(x.balances());
    assert_eq!((x.records, x.pairs, x.duplicates), (17, 5, 0));

    let rows = rows_by_id(&data);
    let raw = raw("raw_messages_batch_1.json");
    let dept = |r: &Value, side: &str| -> Option<String> {
        let s = |k: &str| r.get(format!("{side}{k}")).and_then(Value::as_str);
        match (s("MemberCode")?, s("SubsystemCode")) {
            ("TEST1", _) | ("2908758-4", _) => Some("D1".into()),
            ("TEST2", Some("SUB3")) => Some("D3".into()),
            ("TEST2", _) => Some("D2".into()),
            _ => None,
        }
    };
    let mut expected_loaded = 0;
    let mut expected_unmapped = 0;
    let ids: std::collections::BTreeSet<&str> = raw
        .iter()
        .filter_map(|r| r.get("xRequestId")?.as_str())
        .collect();
    for id in ids {
        // The Client record where there is one, else the Producer record.
        let halves: Vec<&Value> = raw.iter().filter(|r| r["xRequestId"] == id).collect();
        let r = halves
            .iter()
            .find(|r| r["securityServerType"] == "Client")
            .unwrap_or(&halves[0]);
        let (consumer, provider) = (dept(r, "client"), dept(r, "service"));
        if consumer.is_none() || provider.is_none() {
            expected_unmapped += 1;
            assert!(!rows.contains_key(id), "{id} should be rejected");
            continue;
        }
        expected_loaded += 1;
        let row = &rows[id];
        let us = |k: &str| {
            r.get(k)
                .and_then(Value::as_i64)
                .map(|ms| (ms * 1000).to_string())
        };
        assert_eq!(row[1], us("requestInTs"), "requested_at of {id}");
        assert_eq!(row[2], us("responseOutTs"), "responded_at of {id}");
        assert_eq!((&row[3], &row[4]), (&consumer, &provider), "{id}");
        let status = if r["succeeded"] == true {
            "success"
        } else {
            "failed"
        };
        assert_eq!(row[6].as_deref(), Some(status), "{id}");
        let bytes = r
            .get("responseMimeSize")
            .or(r.get("responseSize"))
            .and_then(Value::as_i64)
            .map(|b| b.to_string());
        assert_eq!(row[8], bytes, "bytes of {id}");
        assert_eq!(row[9].as_deref(), Some("api"));
    }
    // The two records without ids or parties are rejected for the missing consumer.
    let t = data.table(Table::Exchanges);
    assert_eq!(t.accounting.loaded, expected_loaded);
    assert_eq!(
        t.accounting.reasons.get("unmapped_member"),
        Some(&expected_unmapped)
    );
    assert_eq!(t.accounting.reasons.get("missing_required"), Some(&2));
    assert!(t.accounting.balances());
    assert_eq!(
        x.unmapped.keys().cloned().collect::<Vec<_>>(),
        vec![
            "LTT/CS/CS1/MANAGEMENT".to_string(),
            "LTT/TEST/TEST3".to_string(),
            "LTT/TEST/TEST3/SUB3".to_string()
        ]
    );
    assert!(
        data.warnings
            .iter()
            .any(|w| w.text().contains("LTT/TEST/TEST3"))
    );
    let rejects = std::fs::read_to_string(dir.path().join("rejects/exchanges.csv")).unwrap();
    assert!(rejects.contains("unmapped_member"), "{rejects}");

    // Departments from the mapping: three, the first line naming each.
    let depts = data.table(Table::Departments);
    assert_eq!(depts.num_rows(), 3);
    assert_eq!(depts.value_counts("level").len(), 3);
}

#[test]
fn a_mapping_that_maps_a_member_twice_stops_with_both_lines() {
    let dir = tempfile::tempdir().unwrap();
    let mapping = dir.path().join("mapping.csv");
    std::fs::write(
        &mapping,
        "xroad_instance,member_class,member_code,subsystem_code,dept_id,name,level\n\
         LTT,TEST,TEST1,,D1,One,province\n\
         LTT,TEST,TEST1,,D2,Two,city\n",
    )
    .unwrap();
    let err = load_dir(
        &samples().join("raw_messages_batch_1.json"),
        &xroad_options(Some(mapping.clone()), false),
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("line 3") && err.contains("line 2"), "{err}");
    assert!(err.contains("mapping.csv"), "{err}");

    // Without a mapping or --auto-departments there is no way to name departments.
    let err = load_dir(
        &samples().join("raw_messages_batch_1.json"),
        &xroad_options(None, false),
    )
    .unwrap_err();
    assert!(err.hint().unwrap().contains("--mapping"), "{err}");
}

#[test]
fn generated_records_load_as_the_exchanges_that_went_in() {
    use appraise_gen::{GenerateOptions, OutputFormat, generate};
    let dir = tempfile::tempdir().unwrap();
    let opts = GenerateOptions {
        seed: 11,
        departments: 25,
        exchanges: 20_000,
        months: 2,
        format: OutputFormat::Xroad,
        out: dir.path().join("xroad"),
        ..GenerateOptions::default()
    };
    let report = generate(&opts).unwrap();
    let truth = report.xroad.unwrap();
    assert_eq!(truth.exchanges, 20_000);
    assert!(truth.legacy > 0 && truth.duplicates > 0 && truth.producer_only > 0);
    let records = opts.out.join("records.ndjson");
    let data = load_dir(
        &records,
        &xroad_options(Some(opts.out.join("mapping.csv")), false),
    )
    .unwrap();
    let Some(appraise_data::SourceReport::Xroad(x)) = data.report.clone() else {
        panic!("no X-Road report")
    };
    assert_eq!(
        (
            x.records,
            x.pairs,
            x.client_orphans,
            x.producer_orphans,
            x.duplicates,
            x.unusable
        ),
        (
            truth.records,
            truth.pairs,
            truth.client_only,
            truth.producer_only,
            truth.duplicates,
            0
        )
    );
    assert!(x.unmapped.is_empty());
    let exchanges = data.table(Table::Exchanges);
    assert_eq!(
        exchanges.accounting.loaded, truth.exchanges,
        "{:?}",
        exchanges.accounting
    );
    assert_eq!(data.table(Table::Departments).num_rows(), 25);
    // Exchanges logged without xRequestId are named by messageId, client and time.
    let legacy_ids = exchanges
        .batches
        .iter()
        .flat_map(|b| b.column(0).as_string::<i32>().iter().flatten())
        .filter(|id| {
            let parts: Vec<&str> = id.split('@').collect();
            parts.len() == 3
                && parts[1].starts_with("CN-JS/GOV/")
                && parts[2].parse::<i64>().is_ok()
        })
        .count();
    assert_eq!(legacy_ids as u64, truth.legacy);
    // The person named in every Client record is nowhere in the loaded rows.
    let text = std::fs::read_to_string(&records).unwrap();
    let person = text
        .split("\"messageUserId\":\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap();
    for b in &exchanges.batches {
        for c in b.columns() {
            if let Some(s) = c.as_string_opt::<i32>() {
                assert!(s.iter().flatten().all(|v| !v.contains(person)));
            }
        }
    }
}

#[test]
fn a_departments_file_names_the_departments_a_bare_mapping_maps_to() {
    let dir = tempfile::tempdir().unwrap();
    let mapping = dir.path().join("mapping.csv");
    std::fs::write(
        &mapping,
        "xroad_instance,member_class,member_code,subsystem_code,dept_id\n\
         DEV,ORG,1234567-8,TEST,T1\n\
         DEV,ORG,1234567-8,,M1\n",
    )
    .unwrap();
    let mut opts = xroad_options(Some(mapping), false);
    let records = samples().join("metrics_response1.dat");
    // Without names and levels the departments must come from somewhere.
    let err = load_dir(&records, &opts).unwrap_err();
    assert!(err.to_string().contains("no name and level"), "{err}");

    // A departments table that lacks M1: exchanges provided by M1 are rejected as
    // naming an unknown department; the rest load.
    let departments = dir.path().join("departments.csv");
    std::fs::write(&departments, "dept_id,name,level\nT1,Test subsystem,city\n").unwrap();
    opts.xroad.departments = Some(departments);
    let data = load_dir(&records, &opts).unwrap();
    let ex = &data.table(Table::Exchanges).accounting;
    // 1,905 exchanges from TEST to TEST, 710 from TEST to the member itself.
    assert_eq!((ex.loaded, ex.rejected), (1_905, 710));
    assert_eq!(ex.reasons.get("unknown_department"), Some(&710));
    assert_eq!(data.table(Table::Departments).num_rows(), 1);
}
