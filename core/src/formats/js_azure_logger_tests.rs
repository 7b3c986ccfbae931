use super::*;
use crate::formats::sdk_common::test_support::*;
use crate::ingest::analyze_bytes;
use crate::model::{AuthKind, Field};

const MIXED: &[u8] = include_bytes!("../../fixtures/js-azure-logger/stderr_mixed-failures.log");
const DOCS: &[u8] = include_bytes!(
    "../../fixtures/samples/js-azure-logger_AZURE_LOG_LEVEL-verbose_docs-example.log"
);

const ALL: [(&str, &[u8]); 2] = [("mixed.log", MIXED), ("docs.log", DOCS)];

#[test]
fn detection_wins_on_own_files_only() {
    assert_detection("js-azure-logger", |p| {
        p.contains("js-azure-logger_") || p.starts_with("js-azure-logger/")
    });
}

#[test]
fn prefixes() {
    assert_eq!(
        logger_prefix("azure:core-rest-pipeline retryPolicy:info Retry 0: x"),
        Some(("core-rest-pipeline retryPolicy", "Retry 0: x"))
    );
    assert_eq!(
        logger_prefix("2024-03-05T10:00:00.123Z azure:storage-blob:error RetryPolicy: y"),
        Some(("storage-blob", "RetryPolicy: y"))
    );
    assert_eq!(logger_prefix("azure:storage-blob:infox"), None);
    assert_eq!(logger_prefix("azure is a cloud"), None);
}

#[test]
fn mixed_fixture() {
    let (ds, _) = analyze_bytes("mixed.log", MIXED, None).unwrap();
    let info = &ds.inputs[0];
    assert_eq!(info.format, "js-azure-logger");
    let skipped: Vec<(u64, &str)> = info
        .skipped
        .iter()
        .map(|s| (s.line, s.reason.as_str()))
        .collect();
    assert_eq!(skipped.len(), 6, "{skipped:?}");
    assert_eq!(
        skipped[0],
        (1, "not an @azure/logger line (application output)")
    );
    assert!(skipped.iter().any(|(_, r)| r.contains("(azure:identity)")));
    assert_eq!(ds.events.len(), 8);

    let get = |c: &str| {
        ds.iter()
            .filter(|v| v.client_request_id() == c)
            .collect::<Vec<_>>()
    };
    let create = &get("3a1f9c2e-7b4d-4e8a-9f60-1c2d3e4f5a01")[0];
    assert_eq!(
        (create.ev.status, create.error_code()),
        (409, "ContainerAlreadyExists")
    );
    assert_eq!(create.operation(), "CreateContainer");
    assert_eq!(create.time().unwrap().to_string(), "2024-03-05T10:00:00Z");

    let sas = &get("4b2e0d3f-8c5e-4f9b-a071-2d3e4f5a6b02")[0];
    assert_eq!(sas.ev.auth, AuthKind::Sas);
    assert_eq!(sas.error_code(), "AuthenticationFailed");
    assert!(sas
        .extra(Field::Detail)
        .unwrap()
        .starts_with("Signature not valid in the specified time frame"));
    assert_eq!(
        sas.sas().unwrap().se.as_deref(),
        Some("2024-03-05T09:00:00Z")
    );

    let head = &get("5c3f1e40-9d6f-4a0c-b182-3e4f5a6b7c03")[0];
    assert_eq!(
        (head.ev.status, head.operation()),
        (404, "GetBlobProperties")
    );

    let big = get("7e5b3062-bf81-4c2e-93a4-5a6b7c8d9e05");
    assert_eq!(big.len(), 2);
    assert_eq!((big[0].ev.status, big[0].error_code()), (503, "ServerBusy"));
    assert_eq!(big[1].extra(Field::RetryAttempt), Some("1"));
    assert_eq!(big[1].ev.status, 201);

    let reset = get("8f6c4173-c092-4d3f-a4b5-6b7c8d9e0f06");
    assert_eq!(reset.len(), 2);
    assert_eq!(reset[0].ev.status, 0);
    assert_eq!(
        reset[0].extra(Field::Detail),
        Some("read ECONNRESET, code: ECONNRESET")
    );
    assert_eq!(
        (reset[1].ev.status, reset[1].extra(Field::RetryAttempt)),
        (200, Some("1"))
    );
}

#[test]
fn docs_sample_is_identity_traffic_only() {
    let (ds, _) = analyze_bytes("docs.log", DOCS, None).unwrap();
    let info = &ds.inputs[0];
    assert_eq!(info.format, "js-azure-logger");
    assert_eq!(ds.events.len(), 0);
    // The IMDS token request and the identity messages are set aside; the five retry-policy
    // lines (3, 9, 31-33) are understood and need no report.
    assert_eq!(info.skipped_total, 38, "{:?}", info.skipped);
    assert!(info
        .skipped
        .iter()
        .any(|s| s.reason.contains("managed-identity endpoint")));
}

#[test]
fn json_split_over_wrapped_lines() {
    let long = "x".repeat(90);
    let text = format!(
        "azure:storage-blob:info Request: {{\n  \"url\": \"https://acct.blob.core.windows.net/c/b?comp=blo\nck\",\n  \"method\": \"PUT\",\n  \"requestId\": \"r-1\",\n  \"note\": \"{long}\"\n}}\nazure:storage-blob:info Response status code: 201\n"
    );
    let (ds, _) = analyze_bytes("w.log", text.as_bytes(), Some("js-azure-logger")).unwrap();
    assert_eq!(ds.events.len(), 1);
    let v = ds.view(0);
    assert_eq!(v.operation(), "PutBlock");
    assert_eq!(v.client_request_id(), "r-1");
    assert_eq!(v.ev.status, 201);
}

crate::formats::sdk_common::sdk_fixture_tests!(ALL, "js-azure-logger");
