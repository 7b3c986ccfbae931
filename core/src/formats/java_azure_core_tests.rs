use super::*;
use crate::formats::sdk_common::test_support::*;
use crate::ingest::analyze_bytes;
use crate::model::{AuthKind, Field};

const FULL: &[u8] =
    include_bytes!("../../fixtures/java-azure-core/logback-body-and-headers_mixed-failures.log");
const BASIC: &[u8] =
    include_bytes!("../../fixtures/java-azure-core/logback-default-basic_exception-body.log");
const DOCS: &[u8] =
    include_bytes!("../../fixtures/samples/java-azurecore-structured-logging_docs-example.log");

const ALL: [(&str, &[u8]); 3] = [("full.log", FULL), ("basic.log", BASIC), ("docs.log", DOCS)];

#[test]
fn detection_wins_on_own_files_only() {
    assert_detection("java-azure-core", |p| {
        p.contains("java-azurecore-") || p.starts_with("java-azure-core/")
    });
}

#[test]
fn object_and_prefix() {
    let (p, o) =
        sdk_object("16:58:51.038 INFO  c.a.c.c.i.C.x - {\"az.sdk.message\":\"HTTP request\"}")
            .unwrap();
    assert_eq!(p, "16:58:51.038 INFO  c.a.c.c.i.C.x - ");
    assert_eq!(o, "{\"az.sdk.message\":\"HTTP request\"}");
    assert!(sdk_object("no json here").is_none());
    assert_eq!(
        status_code_text("Status code 404, \"<?xml"),
        Some((404, "\"<?xml"))
    );
    assert_eq!(status_code_text("Status code abc, x"), None);
}

#[test]
fn body_and_headers_fixture() {
    let (ds, _) = analyze_bytes("full.log", FULL, None).unwrap();
    let info = &ds.inputs[0];
    assert_eq!(info.format, "java-azure-core");
    let lines: Vec<u64> = info.skipped.iter().map(|s| s.line).collect();
    assert_eq!(lines, vec![1, 4, 9, 16], "{:?}", info.skipped);
    assert!(
        info.notices.iter().any(|n| n.contains("UTC+01:00")),
        "{:?}",
        info.notices
    );
    assert_eq!(ds.events.len(), 6);
    let get = |c: &str| {
        ds.iter()
            .filter(|v| v.client_request_id() == c)
            .collect::<Vec<_>>()
    };

    let create = &get("0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c01")[0];
    assert_eq!(
        (create.ev.status, create.error_code()),
        (409, "ContainerAlreadyExists")
    );
    assert_eq!(create.ev.auth, AuthKind::SharedKey);
    assert_eq!(
        create.time().unwrap().to_string(),
        "2024-03-05T10:00:00.010Z"
    );
    assert_eq!(create.ev.e2e_ms, 98.0);
    assert_eq!(
        create.extra(Field::Detail),
        Some("The specified container already exists.")
    );

    // No x-ms-client-request-id echo on this 403: paired by URL.
    let sas = &get("1b2c3d4e-5f60-4b7c-9d8e-0f1a2b3c4d02")[0];
    assert_eq!(
        (sas.ev.status, sas.error_code()),
        (403, "AuthenticationFailed")
    );
    assert_eq!(sas.ev.auth, AuthKind::Sas);
    assert!(sas
        .extra(Field::Detail)
        .unwrap()
        .contains("Current [Tue, 05 Mar 2024 10:00:01 GMT]"));

    let bearer = &get("3d4e5f60-7182-4d9e-bf0a-2b3c4d5e6f04")[0];
    assert_eq!(
        (bearer.ev.auth, bearer.error_code()),
        (AuthKind::OAuth, "AuthorizationPermissionMismatch")
    );

    let big = get("4e5f6071-8293-4eaf-80b1-3c4d5e6f7a05");
    assert_eq!(big.len(), 2);
    assert_eq!((big[0].ev.status, big[0].error_code()), (503, "ServerBusy"));
    assert_eq!(
        (big[1].ev.status, big[1].extra(Field::RetryAttempt)),
        (201, Some("1"))
    );
}

#[test]
fn basic_level_with_exception_body() {
    let (ds, _) = analyze_bytes("basic.log", BASIC, None).unwrap();
    let info = &ds.inputs[0];
    assert_eq!(info.format, "java-azure-core");
    assert_eq!(ds.events.len(), 2);
    let v = ds.iter().find(|v| v.ev.status == 403).unwrap();
    // The body came from the exception the app printed.
    assert_eq!(v.error_code(), "AuthorizationPermissionMismatch");
    assert_eq!(v.request_id(), "2b3c4d5e-601e-0077-3c4d-8e5f6a000021");
    assert_eq!(v.ev.auth, AuthKind::Sas);
    assert_eq!(v.time(), None, "a time of day alone cannot be placed");
    let stack: Vec<u64> = info
        .skipped
        .iter()
        .filter(|s| s.reason.starts_with("Java exception"))
        .map(|s| s.line)
        .collect();
    assert_eq!(stack, vec![4, 5, 6, 10, 11, 12, 13, 14, 15]);
}

#[test]
fn docs_sample() {
    let (ds, _) = analyze_bytes("docs.log", DOCS, None).unwrap();
    assert_eq!(ds.inputs[0].skipped_total, 0);
    assert_eq!(ds.events.len(), 1);
    let v = ds.view(0);
    assert_eq!((v.ev.method, v.ev.status), (Method::Get, 200));
    assert_eq!(v.ev.e2e_ms, 102.0);
}

crate::formats::sdk_common::sdk_fixture_tests!(ALL, "java-azure-core");
