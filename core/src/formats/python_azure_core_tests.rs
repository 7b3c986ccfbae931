use super::*;
use crate::formats::sdk_common::test_support::*;
use crate::ingest::analyze_bytes;
use crate::model::{AuthKind, Field};

const STD: &[u8] =
    include_bytes!("../../fixtures/python-azure-core/std-logging_mixed-failures.log");
const PER_LINE: &[u8] =
    include_bytes!("../../fixtures/python-azure-core/per-line-records_allowlisted-headers.log");
const FUNC_403: &[u8] = include_bytes!(
    "../../fixtures/samples/python-azurecore-httplogging_403-AuthorizationPermissionMismatch_func-core-tools.log"
);
const IDENTITY: &[u8] = include_bytes!(
    "../../fixtures/samples/python-azurecore-httplogging_std-logging-format_identity-200.log"
);

const ALL: [(&str, &[u8]); 4] = [
    ("std.log", STD),
    ("per-line.log", PER_LINE),
    ("func-403.log", FUNC_403),
    ("identity.log", IDENTITY),
];

#[test]
fn detection_wins_on_own_files_only() {
    assert_detection("python-azure-core", |p| {
        p.contains("python-azurecore-httplogging_") || p.starts_with("python-azure-core/")
    });
}

#[test]
fn prefixes_are_recognised() {
    let s = split("2025-10-02 14:47:37,901:azure.core.pipeline.policies.http_logging_policy:INFO:Request URL: 'x'");
    assert_eq!(s.msg, "Request URL: 'x'");
    assert_eq!(
        s.logger,
        Some("azure.core.pipeline.policies.http_logging_policy")
    );
    let s = split("2024-03-05 11:00:00,012 - __main__ - INFO - Uploading");
    assert_eq!((s.msg, s.logger), ("Uploading", Some("__main__")));
    let s = split("INFO:azure.core.pipeline.policies.http_logging_policy:    'Date': 'x'");
    assert_eq!(s.msg, "    'Date': 'x'");
    let s = split("[2025-07-19T04:36:29.121Z] Request URL: 'u'");
    assert_eq!(s.msg, "Request URL: 'u'");
    assert!(s.time.unwrap().1);
    let s = split("    'x-ms-date': 'REDACTED'");
    assert!(!s.prefixed);
    assert_eq!(
        message(s.msg),
        Some(Msg::Header("x-ms-date".into(), "REDACTED".into()))
    );
    assert_eq!(message("Response status: 9999"), None);
}

#[test]
fn std_logging_fixture() {
    let (ds, _) = analyze_bytes("std.log", STD, None).unwrap();
    let info = &ds.inputs[0];
    assert_eq!(info.format, "python-azure-core");
    assert!(
        info.notices.iter().any(|n| n.contains("UTC+01:00")),
        "{:?}",
        info.notices
    );
    // 6 storage attempts; the token request to Entra ID is not one of them.
    assert_eq!(ds.events.len(), 6);
    assert!(info.skipped.iter().any(|s| s
        .reason
        .contains("token request to the Microsoft Entra sign-in endpoint")));
    assert!(info
        .skipped
        .iter()
        .any(|s| s.reason == "Python traceback (not HTTP logging)"));
    assert!(info
        .skipped
        .iter()
        .any(|s| s.reason == "not an azure-core HTTP logging line (logger __main__)"));

    let get = |c: &str| {
        ds.iter()
            .filter(|v| v.client_request_id() == c)
            .collect::<Vec<_>>()
    };
    let create = &get("1f0e2d3c-4b5a-11ee-9f8e-7c1e52a3b401")[0];
    assert_eq!(
        (create.ev.status, create.error_code()),
        (409, "ContainerAlreadyExists")
    );
    assert_eq!(create.operation(), "CreateContainer");
    // Local 11:00:00,020 CET is 10:00:00.020 UTC.
    assert_eq!(
        create.time().unwrap().to_string(),
        "2024-03-05T10:00:00.020Z"
    );

    let sas = &get("2a1b3c4d-4b5a-11ee-9f8e-7c1e52a3b402")[0];
    assert_eq!(sas.ev.auth, AuthKind::Sas);
    assert_eq!(sas.error_code(), "AuthenticationFailed");
    assert!(sas
        .extra(Field::Detail)
        .unwrap()
        .starts_with("Signature not valid in the specified time frame"));

    let head = &get("3b2c4d5e-4b5a-11ee-9f8e-7c1e52a3b403")[0];
    assert_eq!(
        (head.ev.status, head.operation()),
        (404, "GetBlobProperties")
    );

    let perm = &get("4c3d5e6f-4b5a-11ee-9f8e-7c1e52a3b404")[0];
    assert_eq!(perm.error_code(), "AuthorizationPermissionMismatch");
    assert_eq!(perm.ev.auth, AuthKind::Unknown, "the scheme was masked");

    let big = get("5d4e6f70-4b5a-11ee-9f8e-7c1e52a3b405");
    assert_eq!(big.len(), 2);
    assert_eq!((big[0].ev.status, big[0].error_code()), (503, "ServerBusy"));
    assert_eq!(big[1].ev.status, 201);
    assert_eq!(big[1].extra(Field::RetryAttempt), Some("1"));
}

#[test]
fn per_line_records_fixture() {
    let (ds, _) = analyze_bytes("per-line.log", PER_LINE, None).unwrap();
    let info = &ds.inputs[0];
    assert_eq!(info.format, "python-azure-core");
    assert_eq!(ds.events.len(), 3);
    let lines: std::collections::BTreeSet<&str> =
        info.skipped.iter().map(|s| s.reason.as_str()).collect();
    assert_eq!(
        lines.into_iter().collect::<Vec<_>>(),
        vec!["Python traceback (not HTTP logging)"]
    );
    let sas = ds.view(0);
    assert_eq!(sas.ev.auth, AuthKind::Sas);
    assert_eq!(
        sas.sas().unwrap().se.as_deref(),
        Some("2024-03-05T09:00:00Z")
    );
    assert_eq!(sas.time().unwrap().to_string(), "2024-03-05T10:05:00Z");
    assert_eq!(sas.extra(Field::XmsVersion), Some("2021-12-02"));
    let bearer = ds.view(1);
    assert_eq!(
        (bearer.ev.auth, bearer.error_code()),
        (AuthKind::OAuth, "AuthorizationPermissionMismatch")
    );
    let missing = ds.view(2);
    assert_eq!(missing.ev.auth, AuthKind::SharedKey);
    assert_eq!(missing.operation(), "GetBlob");
    // The exception printed after the response gave the service's message.
    assert_eq!(
        missing.extra(Field::Detail),
        Some("The specified blob does not exist.")
    );
}

#[test]
fn func_core_tools_sample() {
    let (ds, _) = analyze_bytes("f.log", FUNC_403, None).unwrap();
    let info = &ds.inputs[0];
    assert_eq!(info.skipped_total, 1, "{:?}", info.skipped);
    assert_eq!(info.skipped[0].line, 1);
    assert_eq!(ds.events.len(), 1);
    let v = ds.view(0);
    assert_eq!(
        (v.ev.status, v.error_code()),
        (403, "AuthorizationPermissionMismatch")
    );
    assert_eq!(v.time().unwrap().to_string(), "2025-07-19T04:36:29.121Z");
    assert_eq!(v.account(), "sgppipelinesa");
    assert!(info.notices.iter().all(|n| !n.contains("local time")));
}

#[test]
fn identity_sample_holds_only_token_traffic() {
    let (ds, _) = analyze_bytes("id.log", IDENTITY, None).unwrap();
    let info = &ds.inputs[0];
    assert_eq!(info.format, "python-azure-core");
    assert_eq!(ds.events.len(), 0);
    assert_eq!(info.skipped_total, 28, "{:?}", info.skipped);
    assert!(info.skipped[2].reason.contains("token request"));
}

#[test]
fn concurrent_responses_pair_by_client_request_id() {
    let text = "Request URL: 'https://a.blob.core.windows.net/c/one'\nRequest method: 'GET'\nRequest headers:\n    'x-ms-client-request-id': 'id-1'\nRequest URL: 'https://a.blob.core.windows.net/c/two'\nRequest method: 'DELETE'\nRequest headers:\n    'x-ms-client-request-id': 'id-2'\nResponse status: 202\nResponse headers:\n    'x-ms-client-request-id': 'id-2'\nResponse status: 404\nResponse headers:\n    'x-ms-client-request-id': 'id-1'\n    'x-ms-error-code': 'BlobNotFound'\n";
    let (ds, _) = analyze_bytes("c.log", text.as_bytes(), Some("python-azure-core")).unwrap();
    assert_eq!(ds.events.len(), 2);
    let one = ds.iter().find(|v| v.client_request_id() == "id-1").unwrap();
    assert_eq!((one.operation(), one.ev.status), ("GetBlob", 404));
    let two = ds.iter().find(|v| v.client_request_id() == "id-2").unwrap();
    assert_eq!((two.operation(), two.ev.status), ("DeleteBlob", 202));
}

#[test]
fn string_to_sign_with_empty_lines_stays_in_the_exception() {
    // A Shared Key signature failure: the service's string to sign has empty lines, in the
    // exception's detail line and again in the XML after `Content:`. The whole string must reach
    // the event, and none of its lines may be reported as skipped.
    let sts = "PUT\n\n\n18734112\n\napplication/octet-stream\n\n\n\n\n\n\nx-ms-blob-type:BlockBlob\nx-ms-date:Tue, 27 Aug 2024 02:00:00 GMT\nx-ms-version:2024-08-04\n/acct/backups/db.gz";
    let mac = "The MAC signature found in the HTTP request 'c2ln' is not the same as any computed signature. Server used following string to sign: '";
    let text = format!(
        "2024-08-27 02:00:00,118 - azure.core.pipeline.policies.http_logging_policy - INFO - Request URL: 'https://acct.blob.core.windows.net/backups/db.gz'\nRequest method: 'PUT'\nRequest headers:\n    'x-ms-client-request-id': 'id-1'\nA body is sent with the request\n2024-08-27 02:00:00,197 - azure.core.pipeline.policies.http_logging_policy - INFO - Response status: 403\nResponse headers:\n    'x-ms-request-id': 'rid-1'\n    'x-ms-error-code': 'AuthenticationFailed'\n2024-08-27 02:00:00,203 - backup - ERROR - upload failed\nazure.core.exceptions.ClientAuthenticationError: Server failed to authenticate the request.\nRequestId:rid-1\nErrorCode:AuthenticationFailed\nauthenticationerrordetail:{mac}{sts}'.\nContent: <?xml version=\"1.0\" encoding=\"utf-8\"?><Error><Code>AuthenticationFailed</Code><Message>Server failed to authenticate the request.\nRequestId:rid-1</Message><AuthenticationErrorDetail>{mac}{sts}'.</AuthenticationErrorDetail></Error>\n\n2024-08-27 02:00:01,000 - backup - INFO - done\n"
    );
    let (ds, _) = analyze_bytes("sts.log", text.as_bytes(), None).unwrap();
    assert_eq!(ds.events.len(), 1);
    let v = ds.view(0);
    let got = v.extra(Field::ServerStringToSign).unwrap_or_default();
    assert!(got.contains("application/octet-stream"), "{got}");
    assert!(got.ends_with("/acct/backups/db.gz"), "{got}");
    let skipped: Vec<u64> = ds.inputs[0].skipped.iter().map(|s| s.line).collect();
    assert_eq!(skipped, vec![10, 48], "{:?}", ds.inputs[0].skipped);
}

#[test]
fn transport_exceptions_belong_to_the_unanswered_request() {
    // No response, then azure-core's transport error after a traceback: the request's error.
    let reset = "2024-03-05 11:00:00,020 - azure.core.pipeline.policies.http_logging_policy - INFO - Request URL: 'https://a.blob.core.windows.net/c/big.bin'\nRequest method: 'GET'\nRequest headers:\n    'x-ms-client-request-id': 'id-1'\nNo body was attached to the request\n2024-03-05 11:00:30,118 - app - ERROR - download failed\nTraceback (most recent call last):\n  File \"/app/dl.py\", line 10, in main\n    blob.download_blob().readall()\nazure.core.exceptions.ServiceResponseError: ('Connection aborted.', ConnectionResetError(104, 'Connection reset by peer'))\n";
    let (ds, _) = analyze_bytes("reset.log", reset.as_bytes(), None).unwrap();
    assert_eq!(ds.events.len(), 1);
    let v = ds.view(0);
    assert_eq!(v.ev.status, 0);
    assert!(v
        .extra(Field::Detail)
        .is_some_and(|d| d.contains("Connection reset by peer")));
    let skipped: Vec<u64> = ds.inputs[0].skipped.iter().map(|s| s.line).collect();
    assert_eq!(
        skipped,
        vec![6, 7, 8, 9],
        "the exception line is part of the event"
    );
    // An exception of the application's own is no request's error, and its line is reported.
    let own = reset.replace(
        "azure.core.exceptions.ServiceResponseError: ('Connection aborted.', ConnectionResetError(104, 'Connection reset by peer'))",
        "builtins.ValueError: bad input",
    );
    let (ds, _) = analyze_bytes("own.log", own.as_bytes(), None).unwrap();
    assert_eq!(ds.view(0).extra(Field::Detail), None);
    let skipped: Vec<u64> = ds.inputs[0].skipped.iter().map(|s| s.line).collect();
    assert_eq!(skipped, vec![6, 7, 8, 9, 10]);
}

#[test]
fn secrets_never_reach_the_output() {
    assert!(assert_secrets_redacted(&ALL) >= 3);
}

crate::formats::sdk_common::sdk_fixture_tests!(ALL, "python-azure-core");
