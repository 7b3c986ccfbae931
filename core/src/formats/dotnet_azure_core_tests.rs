use super::*;
use crate::formats::sdk_common::test_support::*;
use crate::ingest::analyze_bytes;
use crate::model::{AuthKind, Field, Service};

const CONSOLE: &[u8] =
    include_bytes!("../../fixtures/dotnet-azure-core/console-logger_mixed-failures.log");
const TRACE: &[u8] =
    include_bytes!("../../fixtures/dotnet-azure-core/trace-logger_shared-key-mismatch.log");
const ILOGGER: &[u8] = include_bytes!(
    "../../fixtures/samples/dotnet-v12-azurecore_aspnetcore-ilogger-console_200.log"
);
const CORE_TOOLS: &[u8] = include_bytes!(
    "../../fixtures/samples/dotnet-v12-azurecore_func-core-tools_connection-refused.log"
);
const STREAM_BLOB: &[u8] = include_bytes!(
    "../../fixtures/samples/dotnet-v12-azurecore_functions-logstream_404-BlobNotFound-then-201.log"
);
const STREAM_QUEUE: &[u8] = include_bytes!(
    "../../fixtures/samples/dotnet-v12-azurecore_functions-logstream_404-QueueNotFound.log"
);
const STREAM_TABLES: &[u8] = include_bytes!(
    "../../fixtures/samples/dotnet-v12-azurecore_functions-logstream_tables-batch-REDACTED-headers.log"
);

const ALL: [(&str, &[u8]); 7] = [
    ("console.log", CONSOLE),
    ("trace.log", TRACE),
    ("ilogger.log", ILOGGER),
    ("core-tools.log", CORE_TOOLS),
    ("stream-blob.log", STREAM_BLOB),
    ("stream-queue.log", STREAM_QUEUE),
    ("stream-tables.log", STREAM_TABLES),
];

#[test]
fn detection_wins_on_own_files_only() {
    assert_detection("dotnet-azure-core", |p| {
        p.contains("dotnet-v12-azurecore_") || p.starts_with("dotnet-azure-core/")
    });
}

#[test]
fn message_headers() {
    assert_eq!(
        sdk_message("Response [ab] 404 The specified blob does not exist. (00.1s)"),
        Some(Msg::Response(
            "ab",
            404,
            "The specified blob does not exist.",
            Some(100.0)
        ))
    );
    assert_eq!(
        sdk_message("Request [ab] attempt number 2 took 01.0s"),
        Some(Msg::Retrying("ab", 2))
    );
    assert_eq!(
        sdk_message("Request [ab] retry number 1 took 00.5s"),
        Some(Msg::Retrying("ab", 1))
    );
    assert_eq!(
        sdk_message("Request [ab] GET https://a.blob.core.windows.net/c"),
        Some(Msg::Request(
            "ab",
            Method::Get,
            "https://a.blob.core.windows.net/c"
        ))
    );
    assert_eq!(sdk_message("Request [ab] is fine"), None);
    assert_eq!(sdk_message("Response [ab] 999 x"), None);
    assert_eq!(sdk_message("Request [ab"), None);
}

#[test]
fn console_logger_fixture() {
    let (ds, _) = analyze_bytes("console.log", CONSOLE, None).unwrap();
    let info = &ds.inputs[0];
    assert_eq!(info.format, "dotnet-azure-core");
    // The application's own lines, nothing else.
    let skipped: Vec<u64> = info.skipped.iter().map(|s| s.line).collect();
    assert_eq!(skipped, vec![1, 46, 140], "{:?}", info.skipped);
    assert_eq!(ds.events.len(), 6);
    let by_crid = |c: &str| {
        ds.iter()
            .filter(|v| v.client_request_id() == c)
            .collect::<Vec<_>>()
    };

    let create = &by_crid("4b1f6a3e-2d7c-4e55-9a11-0c3f5e6d7a01")[0];
    assert_eq!(create.ev.status, 409);
    assert_eq!(create.operation(), "CreateContainer");
    assert_eq!(create.error_code(), "ContainerAlreadyExists");
    assert_eq!(create.ev.auth, AuthKind::SharedKey);
    assert_eq!(create.request_id(), "7c9e1a20-001e-0042-4b2a-6f0e3c000001");
    assert_eq!(
        create.extra(Field::Detail),
        Some("The specified container already exists.")
    );
    assert_eq!(create.time().unwrap().to_string(), "2024-03-05T10:00:00Z");
    assert_eq!(create.ev.e2e_ms, 100.0);

    let sas = &by_crid("9d2c4b7a-6e1f-4a3b-8c5d-1e2f3a4b5c02")[0];
    assert_eq!(sas.ev.status, 403);
    assert_eq!(sas.ev.auth, AuthKind::Sas);
    assert_eq!(sas.error_code(), "AuthenticationFailed");
    assert!(sas.extra(Field::Detail).unwrap().starts_with(
        "Signature not valid in the specified time frame: Start [Tue, 05 Mar 2024 08:00:00 GMT]"
    ));
    assert_eq!(
        sas.sas().unwrap().se.as_deref(),
        Some("2024-03-05T09:00:00Z")
    );
    assert!(sas.extra(Field::Url).unwrap().contains("sig=REDACTED"));

    let head = &by_crid("0e8f7d6c-5b4a-4392-8170-6f5e4d3c2b03")[0];
    assert_eq!((head.ev.status, head.error_code()), (404, "BlobNotFound"));
    assert_eq!(head.operation(), "GetBlobProperties");
    assert_eq!(
        head.extra(Field::Detail),
        Some("The specified blob does not exist.")
    );

    let bearer = &by_crid("a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c04")[0];
    assert_eq!(bearer.ev.auth, AuthKind::OAuth);
    assert_eq!(bearer.error_code(), "AuthorizationPermissionMismatch");

    let big = by_crid("5f4e3d2c-1b0a-4998-8877-665544332205");
    assert_eq!(big.len(), 2);
    assert_eq!((big[0].ev.status, big[0].error_code()), (503, "ServerBusy"));
    assert_eq!(big[0].extra(Field::RetryAttempt), None);
    assert_eq!(big[1].ev.status, 201);
    assert_eq!(big[1].extra(Field::RetryAttempt), Some("1"));
    assert_eq!(
        big[1].extra(Field::RequestDate),
        Some("Tue, 05 Mar 2024 10:00:04 GMT")
    );
}

#[test]
fn trace_logger_fixture_with_server_string_to_sign_and_timeout() {
    let (ds, _) = analyze_bytes("trace.log", TRACE, None).unwrap();
    assert_eq!(ds.inputs[0].format, "dotnet-azure-core");
    assert_eq!(ds.inputs[0].skipped_total, 0, "{:?}", ds.inputs[0].skipped);
    assert_eq!(ds.events.len(), 2);
    let e = ds.view(0);
    assert_eq!(e.ev.status, 403);
    assert_eq!(e.ev.auth, AuthKind::Unknown);
    assert_eq!(e.operation(), "ListBlobs");
    let sts = e.extra(Field::ServerStringToSign).unwrap();
    assert!(sts.starts_with("GET\\n\\n"), "{sts}");
    assert!(
        sts.ends_with("/contosoapp/uploads\\ncomp:list\\nrestype:container"),
        "{sts}"
    );
    let t = ds.view(1);
    assert_eq!(t.ev.status, 0);
    assert!(t
        .extra(Field::Detail)
        .unwrap()
        .starts_with("System.Threading.Tasks.TaskCanceledException"));
    assert_eq!(t.operation(), "GetBlob");
}

#[test]
fn ilogger_sample() {
    let (ds, _) = analyze_bytes("ilogger.log", ILOGGER, None).unwrap();
    assert_eq!(ds.inputs[0].skipped_total, 0, "{:?}", ds.inputs[0].skipped);
    assert_eq!(ds.events.len(), 1);
    let v = ds.view(0);
    assert_eq!(v.ev.status, 200);
    assert_eq!(v.operation(), "ListBlobs");
    assert_eq!(v.request_id(), "f4ebea53-401e-002b-5b0d-678cad000000");
    assert_eq!(v.extra(Field::XmsVersion), Some("2023-11-03"));
    assert!(v
        .extra(Field::UserAgent)
        .unwrap()
        .starts_with("azsdk-net-Storage.Blobs/12.19.1"));
    assert_eq!(v.time().unwrap().to_string(), "2024-02-24T10:36:20Z");
}

#[test]
fn functions_log_stream_samples() {
    let (ds, _) = analyze_bytes("stream.log", STREAM_BLOB, None).unwrap();
    let info = &ds.inputs[0];
    assert_eq!(info.skipped_total, 1, "{:?}", info.skipped);
    assert_eq!(
        info.skipped[0].reason,
        "not an Azure SDK line (Functions host output)"
    );
    let statuses: Vec<u16> = ds.iter().map(|v| v.ev.status).collect();
    assert_eq!(statuses.iter().filter(|s| **s == 404).count(), 1);
    let miss = ds.iter().find(|v| v.ev.status == 404).unwrap();
    assert_eq!(miss.error_code(), "BlobNotFound");
    assert_eq!(miss.operation(), "GetBlobProperties");
    assert_eq!(miss.time().unwrap().to_string(), "2026-06-22T14:21:18Z");
    // A response whose request line is not in the log still counts, without a URL.
    let orphan = ds
        .iter()
        .find(|v| v.client_request_id() == "b7234b00-f479-4da8-af84-58122cb6ec0c")
        .unwrap();
    assert_eq!(orphan.ev.status, 200);
    assert_eq!(orphan.extra(Field::Url), None);
    let put = ds
        .iter()
        .find(|v| v.client_request_id() == "b3858cf2-c173-4ed4-b930-edb49a7e4547")
        .unwrap();
    assert_eq!(put.extra(Field::Conditions), Some("If-None-Match=*"));

    let (ds, _) = analyze_bytes("q.log", STREAM_QUEUE, None).unwrap();
    assert_eq!(ds.events.len(), 1);
    let q = ds.view(0);
    assert_eq!((q.ev.status, q.error_code()), (404, "QueueNotFound"));
    assert_eq!(q.ev.service, Service::Queue);
    assert_eq!(
        q.extra(Field::Detail),
        Some("The specified queue does not exist.")
    );

    let (ds, _) = analyze_bytes("t.log", STREAM_TABLES, None).unwrap();
    assert_eq!(ds.inputs[0].skipped_total, 0, "{:?}", ds.inputs[0].skipped);
    let t = ds.view(0);
    assert_eq!(
        (t.ev.status, t.operation()),
        (202, "EntityGroupTransaction")
    );
    // x-ms-date and x-ms-version were masked by the SDK: not facts.
    assert_eq!(t.extra(Field::RequestDate), None);
    assert_eq!(t.extra(Field::XmsVersion), None);
}

#[test]
fn core_tools_sample_starts_mid_request() {
    let (ds, _) = analyze_bytes("ct.log", CORE_TOOLS, None).unwrap();
    let info = &ds.inputs[0];
    // The eight lines before the exception belong to a request whose first line was cut off.
    assert_eq!(info.skipped_total, 8, "{:?}", info.skipped);
    assert!(info.skipped[0].reason.contains("not in the file"));
    assert_eq!(ds.events.len(), 1);
    let v = ds.view(0);
    assert_eq!(v.ev.status, 0);
    assert_eq!(
        v.client_request_id(),
        "f27ef14f-60fe-4bc8-b032-4eb9d22f2f01"
    );
    assert!(v.extra(Field::Detail).unwrap().contains("actively refused"));
    assert_eq!(v.time().unwrap().to_string(), "2025-10-01T23:55:23.081Z");
}

#[test]
fn ilogger_host_categories_are_skipped_with_their_name() {
    let text = "info: Microsoft.Hosting.Lifetime[14]\n      Now listening on: http://localhost:5000\ninfo: Azure.Core[1]\n      Request [x1] DELETE https://a.blob.core.windows.net/c/b\n      x-ms-version:2023-11-03\n      client assembly: Azure.Storage.Blobs\nwarn: Azure.Core[8]\n      Error response [x1] 404 The specified blob does not exist. (00.0s)\n      x-ms-error-code:BlobNotFound\n\n";
    let (ds, _) = analyze_bytes("h.log", text.as_bytes(), None).unwrap();
    let info = &ds.inputs[0];
    assert_eq!(info.format, "dotnet-azure-core");
    let lines: Vec<u64> = info.skipped.iter().map(|s| s.line).collect();
    assert_eq!(lines, vec![1, 2]);
    assert!(info.skipped[0]
        .reason
        .contains("Microsoft.Hosting.Lifetime"));
    assert_eq!(ds.events.len(), 1);
    assert_eq!(ds.view(0).operation(), "DeleteBlob");
    assert_eq!(ds.view(0).error_code(), "BlobNotFound");
}

#[test]
fn secrets_never_reach_the_output() {
    assert!(assert_secrets_redacted(&ALL) >= 6);
}

crate::formats::sdk_common::sdk_fixture_tests!(ALL, "dotnet-azure-core");
