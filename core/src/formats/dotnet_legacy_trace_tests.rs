use super::*;
use crate::formats::Format;
use crate::ingest::analyze_bytes;

const FIXTURE: &[u8] =
    include_bytes!("../../fixtures/scenarios/sas-expired.dotnet-legacy-trace.log");
const DOCS_SAMPLE: &[u8] = include_bytes!(
    "../../fixtures/samples/dotnet-legacy-trace_textwriter-lines_docs-client-side-logging.log"
);

#[test]
fn detects_both_source_names() {
    let f = DotnetLegacyTrace;
    assert!(f.detect(std::str::from_utf8(FIXTURE).unwrap()) > 0.9);
    assert!(f.detect(std::str::from_utf8(DOCS_SAMPLE).unwrap()) > 0.9);
    assert!(f.detect("Microsoft.Azure.Storage Verbose: 4 : *: StringToSign = GET...") > 0.5);
    assert_eq!(f.detect("hello world\nanother line"), 0.0);
}

#[test]
fn one_event_per_attempt_with_times_from_footers() {
    let (ds, _) = analyze_bytes("t.log", FIXTURE, None).unwrap();
    assert_eq!(ds.inputs[0].format, "dotnet-legacy-trace");
    assert_eq!(ds.inputs[0].skipped_total, 0);
    assert_eq!(ds.events.len(), 4);
    let v = ds.view(1);
    assert_eq!(v.ev.status, 403);
    assert_eq!(v.time().unwrap().to_string(), "2024-03-05T02:00:13.555Z");
    assert_eq!(
        v.client_request_id(),
        "9d2c4b7a-6e1f-4a3b-8c5d-1e2f3a4b5c02"
    );
    assert_eq!(v.request_id(), "7c9e1a20-001e-0042-4b2a-6f0e3c000002");
    assert_eq!(v.sas().unwrap().se.as_deref(), Some("2024-03-05T02:00:00Z"));
    assert_eq!(v.ev.line, 19);
    let url = v.extra(Field::Url).unwrap();
    assert!(url.contains("sig=REDACTED"), "{url}");
}

#[test]
fn docs_sample_parses_with_string_to_sign() {
    let (ds, _) = analyze_bytes("docs.log", DOCS_SAMPLE, None).unwrap();
    assert_eq!(ds.inputs[0].skipped_total, 0);
    // The table query, then the HEAD and DELETE seen only through their StringToSign.
    assert_eq!(ds.events.len(), 3);
    let with_status: Vec<_> = ds.iter().filter(|v| v.ev.status == 200).collect();
    assert_eq!(with_status.len(), 1);
    assert_eq!(
        with_status[0].request_id(),
        "417db530-853d-48a7-a23c-0c8d5f728178"
    );
    let head = ds.iter().find(|v| v.ev.method == Method::Head).unwrap();
    assert_eq!(
        head.extra(Field::RequestDate),
        Some("Tue, 03 Jun 2014 10:33:11 GMT")
    );
}

#[test]
fn junk_lines_are_skipped_with_line_numbers() {
    let text = b"Microsoft.WindowsAzure.Storage Information: 3 : abc: Starting synchronous request to https://a.blob.core.windows.net/c/b.\r\nthis is junk\r\n";
    let (ds, _) = analyze_bytes("j.log", text, None).unwrap();
    assert_eq!(ds.inputs[0].skipped_total, 1);
    assert_eq!(ds.inputs[0].skipped[0].line, 2);
    assert_eq!(ds.events.len(), 1);
}

#[test]
fn same_events_at_every_split_point() {
    crate::testing::assert_split_invariant("t.log", FIXTURE, None, 3_000);
    crate::testing::assert_split_invariant("docs.log", DOCS_SAMPLE, None, 3_000);
}

#[test]
fn snapshot_of_normalized_events() {
    let ds = crate::testing::ingest_in_slices("t.log", FIXTURE, None, 1 << 20);
    insta::assert_snapshot!(crate::testing::dump(&ds));
}
