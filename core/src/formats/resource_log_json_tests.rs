use super::*;
use crate::ingest::analyze_bytes;
use crate::model::{Dataset, EventView};

use crate::formats::server_formats_testkit as kit;

const ARCHIVE: &[u8] = include_bytes!("../../fixtures/resource-log-json/PT1H.json");
const ENVELOPE_CUT: &[u8] =
    include_bytes!("../../fixtures/resource-log-json/eventhubs-envelope-cut.json");
const ENVELOPE_ONE_LINE: &[u8] =
    include_bytes!("../../fixtures/resource-log-json/eventhubs-one-line.json");
const CONCATENATED: &[u8] =
    include_bytes!("../../fixtures/resource-log-json/concatenated-pretty.json");

const FIXTURES: [(&str, &[u8]); 4] = [
    ("PT1H.json", ARCHIVE),
    ("eventhubs-envelope-cut.json", ENVELOPE_CUT),
    ("eventhubs-one-line.json", ENVELOPE_ONE_LINE),
    ("concatenated-pretty.json", CONCATENATED),
];

const SAMPLES: [(&str, &[u8]); 5] = [
    (
        "resourcelog-blob_304-ConditionNotMet_sanitized.json",
        include_bytes!("../../fixtures/samples/resourcelog-blob_304-ConditionNotMet_sanitized.json"),
    ),
    (
        "resourcelog-blob_CopyBlob-operationCount_pretty-concatenated_fragment.json",
        include_bytes!(
            "../../fixtures/samples/resourcelog-blob_CopyBlob-operationCount_pretty-concatenated_fragment.json"
        ),
    ),
    (
        "resourcelog-blob_ListContainers-AccountKey_pretty.json",
        include_bytes!(
            "../../fixtures/samples/resourcelog-blob_ListContainers-AccountKey_pretty.json"
        ),
    ),
    (
        "resourcelog-blob_SetBlobMetadata-AccountKey_pretty.json",
        include_bytes!(
            "../../fixtures/samples/resourcelog-blob_SetBlobMetadata-AccountKey_pretty.json"
        ),
    ),
    (
        "resourcelog-blob_docs-reference-fragments.json",
        include_bytes!("../../fixtures/samples/resourcelog-blob_docs-reference-fragments.json"),
    ),
];

fn by_line(ds: &Dataset, line: u32) -> EventView<'_> {
    ds.iter()
        .find(|v| v.ev.line == line)
        .unwrap_or_else(|| panic!("no event from line {line}"))
}

#[test]
fn detection_picks_this_format() {
    for (name, bytes) in FIXTURES.iter().chain(SAMPLES.iter()) {
        kit::assert_detected_as("resource-log-json", name, bytes);
    }
    let f = ResourceLogJson;
    assert_eq!(
        f.detect("{\"log\":{\"version\":\"1.2\",\"entries\":[]}}"),
        0.0
    );
    assert_eq!(f.detect("plain text"), 0.0);
}

#[test]
fn real_samples_give_every_whole_record() {
    let expect = [(0, 1, 0), (1, 1, 0), (2, 1, 0), (3, 1, 0), (4, 1, 0)];
    for (i, events, _) in expect {
        let (name, bytes) = SAMPLES[i];
        let (ds, _) = analyze_bytes(name, bytes, None).unwrap();
        assert_eq!(ds.events.len(), events, "{name}");
    }
    // The 304 sample: the error code and the class come from different fields.
    let (ds, _) = analyze_bytes("s.json", SAMPLES[0].1, None).unwrap();
    let v = ds.view(0);
    assert_eq!((v.ev.status, v.error_code()), (304, "ConditionNotMet"));
    assert_eq!(v.ev.response_type, ResponseType::ClientOtherError);
    assert_eq!(v.ev.auth, AuthKind::Sas);
    assert_eq!(v.ev.e2e_ms, 8.0);
    assert_eq!(v.ev.server_ms, 8.0);
    assert_eq!(v.account(), "exampleentities");
    assert_eq!(v.request_id(), "00000000-0000-0000-0000-000000000035");
    assert_eq!(
        v.extra(Field::Conditions),
        Some("If-None-Match=Monday, 12-May-25 06:18:23 GMT")
    );
    assert_eq!(v.sas().and_then(|s| s.sp.clone()).as_deref(), Some("rlf"));
    assert_eq!(ds.inputs[0].skipped_total, 0);

    // Pretty-printed, cut inside the second record: the first is kept, the rest reported.
    let (ds, _) = analyze_bytes("c.json", SAMPLES[1].1, None).unwrap();
    let info = &ds.inputs[0];
    assert_eq!(ds.view(0).operation(), "CopyBlob");
    assert_eq!(ds.view(0).ev.line, 1);
    assert_eq!(ds.view(0).ev.auth, AuthKind::SharedKey);
    assert_eq!(info.skipped.first().map(|s| s.line), Some(37));
    assert_eq!(info.skipped_total, 8, "lines 37-44 of the cut record");
    assert!(info.skipped[0].reason.contains("cut short"));
    assert!(info.notices.iter().any(|n| n.contains("cut short")));

    // Documentation fragments: the whole first record is read; the identity fragment (a
    // trailing comma) and the properties-only fragment are skipped with their reasons.
    let (ds, _) = analyze_bytes("f.json", SAMPLES[4].1, None).unwrap();
    let info = &ds.inputs[0];
    let v = ds.view(0);
    assert_eq!(v.operation(), "PutBlob");
    assert_eq!(v.account(), "testaccount1", "from the resource id");
    assert_eq!(v.ev.service, Service::Blob);
    let reasons: Vec<&str> = info.skipped.iter().map(|s| s.reason.as_str()).collect();
    assert!(reasons
        .iter()
        .any(|r| r.contains("not valid JSON") && r.contains("trailing comma")));
    assert!(reasons
        .iter()
        .any(|r| r.contains("not a Storage resource log record")));
    assert_eq!(info.skipped.first().map(|s| s.line), Some(16));
    assert_eq!(info.skipped.last().map(|s| s.line), Some(73));
}

#[test]
fn archive_records_are_mapped() {
    let (ds, _) = analyze_bytes("PT1H.json", ARCHIVE, None).unwrap();
    let v = by_line(&ds, 6);
    assert_eq!(v.error_code(), "AuthorizationPermissionMismatch");
    assert_eq!(v.ev.response_type, ResponseType::AuthorizationError);
    assert_eq!(v.ev.auth, AuthKind::OAuth);
    assert_eq!(
        v.extra(Field::Note),
        Some("authorization denied for Microsoft.Storage/storageAccounts/blobServices/containers/blobs/write (NoApplicablePolicy)")
    );
    let v = by_line(&ds, 10);
    assert_eq!(v.ev.response_type, ResponseType::ThrottlingError);
    assert_eq!(v.ev.status, 503);
    let v = by_line(&ds, 14);
    assert_eq!(v.ev.status, 0, "statusCode \"Unknown\"");
    assert!(v.ev.server_ms.is_nan());
    // No identity and no metricResponseType: auth and class from "SASSuccess".
    let v = by_line(&ds, 17);
    assert_eq!(v.ev.auth, AuthKind::Sas);
    assert_eq!(v.ev.response_type, ResponseType::Success);
    assert_eq!(v.error_code(), "");
    let v = by_line(&ds, 18);
    assert_eq!(v.resource(), "/contosodiag/docs/résumé.pdf");
    assert_eq!(v.extra(Field::UserAgent), Some("MyTool/1.0 (\"nightly\")"));
    let v = by_line(&ds, 20);
    assert_eq!(v.ev.service, Service::Table);
    assert_eq!(
        v.time().map(|t| t.to_string()).as_deref(),
        Some("2024-03-05T02:00:17.690011Z")
    );
    assert_eq!(by_line(&ds, 21).ev.service, Service::File);
    assert_eq!(by_line(&ds, 21).ev.auth, AuthKind::Sas);
    assert_eq!(by_line(&ds, 22).ev.auth, AuthKind::Anonymous);
    // The unmasked signature in one URL never reaches the dataset.
    let dump = crate::testing::dump(&ds);
    assert!(!dump.contains("c2VjcmV0"), "{dump}");
}

#[test]
fn archive_damage_is_reported_per_line() {
    let (ds, _) = analyze_bytes("PT1H.json", ARCHIVE, None).unwrap();
    let info = &ds.inputs[0];
    let got: Vec<(u64, &str)> = info
        .skipped
        .iter()
        .map(|s| (s.line, s.reason.as_str()))
        .collect();
    assert_eq!(got.len(), 4, "{got:#?}");
    assert_eq!(got[0].0, 11);
    assert!(got[0].1.starts_with("text outside any JSON record"));
    assert_eq!(got[1].0, 13, "{got:#?}");
    assert!(got[1].1.contains("not valid JSON"));
    assert_eq!(got[2].0, 15);
    assert!(got[2].1.contains("not a Storage resource log record"));
    assert_eq!(got[3].0, 23);
    assert!(got[3].1.contains("cut short"));
    assert!(info.notices.iter().any(|n| n.contains("19 whole record")));
    assert_eq!(ds.events.len(), 19);
}

#[test]
fn envelopes_are_unwrapped() {
    let (ds, _) = analyze_bytes("one.json", ENVELOPE_ONE_LINE, None).unwrap();
    assert_eq!(ds.events.len(), 3);
    assert!(ds.iter().all(|v| v.ev.line == 1));
    assert_eq!(ds.inputs[0].skipped_total, 0);

    let (ds, _) = analyze_bytes("cut.json", ENVELOPE_CUT, None).unwrap();
    let info = &ds.inputs[0];
    // Four records: two whole, one with a trailing comma, one cut off.
    assert_eq!(ds.events.len(), 2);
    let ops: Vec<&str> = ds.iter().map(|v| v.operation()).collect();
    assert_eq!(ops, vec!["PutBlob", "PutBlob"]);
    assert!(ds
        .iter()
        .any(|v| v.error_code() == "AuthorizationPermissionMismatch"));
    assert!(info
        .skipped
        .iter()
        .any(|s| s.reason.contains("trailing comma")));
    assert!(info.skipped.iter().any(|s| s.reason.contains("cut short")));
    assert!(info.notices.iter().any(|n| n.contains("2 whole record")));
}

#[test]
fn concatenated_records_and_arrays() {
    let (ds, _) = analyze_bytes("cat.json", CONCATENATED, None).unwrap();
    let info = &ds.inputs[0];
    assert_eq!(ds.events.len(), 5);
    assert_eq!(info.skipped_total, 1);
    assert_eq!(info.skipped[0].line, 1, "the stray 'Content' word");
    assert!(info.notices.is_empty(), "{:?}", info.notices);
    // Each record's line is where its opening brace is.
    let lines: Vec<u32> = ds.iter().map(|v| v.ev.line).collect();
    assert!(lines.contains(&2), "{lines:?}");
}

#[test]
fn throttling_causes_of_metric_response_type() {
    // metricResponseType takes the metrics dimension's values, which split throttling by cause;
    // statusText then carries the error code (ServerBusy).
    let rec = |rt: &str| {
        format!(
            "{{\"time\":\"2024-06-27T13:00:00.0833315Z\",\"category\":\"StorageWrite\",\"operationName\":\"PutBlob\",\"statusCode\":503,\"statusText\":\"ServerBusy\",\"durationMs\":1,\"correlationId\":\"b1c2d3e4-a01e-0064-5f6a-7b8c9d000002\",\"properties\":{{\"accountName\":\"acct\",\"serviceType\":\"blob\",\"objectKey\":\"/acct/raw/a.json\",\"metricResponseType\":\"{rt}\"}},\"uri\":\"https://acct.blob.core.windows.net:443/raw/a.json\"}}\n"
        )
    };
    for rt in [
        "ClientAccountRequestThrottlingError",
        "ClientAccountBandwidthThrottlingError",
        "ClientShareIopsThrottlingError",
        "ServerBusyError",
    ] {
        let (ds, _) = analyze_bytes("PT1H.json", rec(rt).as_bytes(), None).unwrap();
        assert_eq!(ds.events.len(), 1);
        let v = ds.view(0);
        assert_eq!(v.ev.response_type, ResponseType::ThrottlingError, "{rt}");
        assert_eq!(v.error_code(), "ServerBusy");
    }
}

#[test]
fn preflight_rows_name_the_page_origin_from_the_referrer() {
    // Server logs record the Referer, not the Origin; for a refused preflight the page's origin
    // is what the CORS rule needs.
    let row = |op: &str| {
        format!(
            "{{\"time\":\"2024-08-02T09:14:05.1182203Z\",\"category\":\"StorageWrite\",\"operationName\":\"{op}\",\"statusCode\":403,\"statusText\":\"CorsPreflightFailure\",\"correlationId\":\"0b1c2d3e-401e-0090-6a7b-8c9d0e000001\",\"identity\":{{\"type\":\"Anonymous\"}},\"properties\":{{\"accountName\":\"acct\",\"serviceType\":\"blob\",\"objectKey\":\"/acct/c/b.png\",\"referrerHeader\":\"https://portal.fabrikam.com/profile\"}},\"uri\":\"https://acct.blob.core.windows.net:443/c/b.png\"}}\n"
        )
    };
    let (ds, _) = analyze_bytes("PT1H.json", row("BlobPreflightRequest").as_bytes(), None).unwrap();
    assert_eq!(
        ds.view(0).extra(Field::Origin),
        Some("https://portal.fabrikam.com")
    );
    // Other operations keep no origin: their referrer says nothing about CORS.
    let (ds, _) = analyze_bytes("PT1H.json", row("GetBlob").as_bytes(), None).unwrap();
    assert_eq!(ds.view(0).extra(Field::Origin), None);
}

#[test]
fn same_events_at_every_split_point() {
    for (name, bytes) in FIXTURES.iter().chain(SAMPLES.iter()) {
        crate::testing::assert_split_invariant(name, bytes, None, 1_000);
    }
}

#[test]
fn snapshot_of_normalized_events() {
    let mut out = String::new();
    for (name, bytes) in FIXTURES.iter().chain(SAMPLES.iter()) {
        let ds = crate::testing::ingest_in_slices(name, bytes, None, 1 << 20);
        out.push_str(&crate::testing::dump(&ds));
    }
    insta::assert_snapshot!(out);
}

#[test]
fn no_panic_on_damaged_input() {
    kit::assert_survives_damage("resource-log-json", ARCHIVE);
    kit::assert_survives_damage("resource-log-json", ENVELOPE_CUT);
    kit::assert_survives_damage("resource-log-json", SAMPLES[4].1);
}

#[test]
fn record_times_in_both_shapes() {
    assert_eq!(
        parse_record_time("2018/11/08 21:09:36.6900118").map(|t| t.to_string()),
        Some("2018-11-08T21:09:36.690011Z".to_string())
    );
    assert!(parse_record_time("2018/1é").is_none());
    assert!(parse_record_time("").is_none());
}

/// Throughput of the parser alone and of the whole ingest on ~64 MB of JSON Lines. Run:
/// `cargo test --release -p storage-doctor-core -- --ignored throughput --nocapture`.
#[test]
#[ignore]
fn throughput() {
    struct Null(u64);
    impl EventSink for Null {
        fn event(&mut self, ev: RawEvent<'_>) {
            self.0 += ev.request_id.len() as u64;
        }
        fn skipped(&mut self, _: u64, _: &str) {}
        fn notice(&mut self, _: &str) {}
    }
    let base: Vec<&str> = std::str::from_utf8(ARCHIVE)
        .unwrap()
        .lines()
        .filter(|l| {
            l.contains("\"operationName\"") && serde_json::from_str::<serde_json::Value>(l).is_ok()
        })
        .collect();
    let mut data = String::new();
    let mut n = 0u32;
    while data.len() < 64 << 20 {
        for l in &base {
            n += 1;
            data.push_str(&l.replacen("4dfed43b-", &format!("{n:08x}-"), 1));
            data.push('\n');
        }
    }
    let lines: Vec<&str> = data.lines().collect();
    let t = kit::cpu_seconds();
    let mut sink = Null(0);
    let mut p = ResourceLogJson.parser();
    for (i, l) in lines.iter().copied().enumerate() {
        p.line(
            Line {
                number: i as u64 + 1,
                offset: 0,
                text: l,
            },
            &mut sink,
        );
    }
    let parser_secs = kit::cpu_seconds() - t;
    let t = kit::cpu_seconds();
    let ds = crate::testing::ingest_in_slices("big.json", data.as_bytes(), None, 1 << 20);
    let secs = kit::cpu_seconds() - t;
    assert_eq!(ds.inputs[0].skipped_total, 0);
    println!(
        "resource-log-json: parser alone {:.0} MB/s, whole ingest {:.0} MB/s ({} events)",
        data.len() as f64 / parser_secs / 1e6,
        data.len() as f64 / secs / 1e6,
        ds.events.len()
    );
}
