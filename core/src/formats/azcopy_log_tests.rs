use super::*;
use crate::formats::sdk_common::test_support::*;
use crate::ingest::analyze_bytes;
use crate::model::{AuthKind, Field};

const SAS_JOB: &[u8] = include_bytes!("../../fixtures/azcopy-log/job-sas_mixed-failures.log");
const OAUTH_JOB: &[u8] =
    include_bytes!("../../fixtures/azcopy-log/job-oauth_permission-and-network.log");
const EXPIRED: &[u8] = include_bytes!(
    "../../fixtures/samples/azcopy-joblog_403-AuthenticationFailed-expired-sas_AzureStorageExplorer-6992.log"
);
const HEADER_ONLY: &[u8] =
    include_bytes!("../../fixtures/samples/azcopy-joblog_header_azcopy-1170.log");
const PIPELINE: &[u8] = include_bytes!(
    "../../fixtures/samples/azcopy-pipeline-output_403-AuthorizationPermissionMismatch_azcopy-120.log"
);

const ALL: [(&str, &[u8]); 5] = [
    ("sas-job.log", SAS_JOB),
    ("oauth-job.log", OAUTH_JOB),
    ("expired.log", EXPIRED),
    ("header.log", HEADER_ONLY),
    ("pipeline.log", PIPELINE),
];

#[test]
fn detection_wins_on_own_files_only() {
    assert_detection("azcopy-log", |p| {
        p.contains("azcopy-joblog_")
            || p.contains("azcopy-pipeline-output_")
            || p.starts_with("azcopy-log/")
    });
}

#[test]
fn pieces() {
    assert_eq!(go_duration_ms("7.6423ms"), Some(7.6423));
    assert_eq!(go_duration_ms("1m2.5s"), Some(62_500.0));
    assert_eq!(go_duration_ms("500µs"), Some(0.5));
    assert_eq!(go_duration_ms("12x"), None);
    assert_eq!(go_duration_ms(""), None);
    assert_eq!(
        block_start(
            "==> REQUEST/RESPONSE (Try=2/8.57s[SLOW >3s], OpTime=9s) -- RESPONSE STATUS CODE ERROR"
        ),
        Some((2, Some(8570.0), "RESPONSE STATUS CODE ERROR"))
    );
    assert_eq!(
        header("   X-Ms-Version: [2020-10-02]"),
        Some(("X-Ms-Version", "2020-10-02"))
    );
    assert_eq!(
        header("   X-Ms-Blob-Cache-Control: []"),
        Some(("X-Ms-Blob-Cache-Control", ""))
    );
    assert_eq!(header("    deeper: x"), None);
    assert_eq!(go_prefix("2023/07/13 17:43:22 x").unwrap().1, "x");
    assert!(go_prefix("2023-07-13 17:43:22 x").is_none());
}

#[test]
fn sas_job_fixture() {
    let (ds, _) = analyze_bytes("sas-job.log", SAS_JOB, None).unwrap();
    let info = &ds.inputs[0];
    assert_eq!(info.format, "azcopy-log");
    assert_eq!(info.skipped_total, 0, "{:?}", info.skipped);
    assert_eq!(ds.events.len(), 5);
    let create = ds.view(0);
    assert_eq!(create.operation(), "CreateContainer");
    assert_eq!(
        create.ev.status, 0,
        "the one-line form does not show the status"
    );
    assert_eq!(create.request_id(), "6f7a8b9c-d01e-0088-4d5e-9f6a7b000001");
    assert!(create.extra(Field::Note).unwrap().contains("one-line form"));

    let sas = ds.iter().find(|v| v.ev.status == 403).unwrap();
    assert_eq!(sas.ev.auth, AuthKind::Sas);
    assert_eq!(sas.error_code(), "AuthenticationFailed");
    assert_eq!(
        sas.client_request_id(),
        "9a8b7c6d-5e4f-4a3b-7c2d-1e0f9a8b7c01"
    );
    assert!(sas
        .extra(Field::Detail)
        .unwrap()
        .starts_with("Signature not valid in the specified time frame"));
    assert_eq!(
        sas.extra(Field::ResponseDate),
        Some("Tue, 05 Mar 2024 10:00:01 GMT")
    );
    assert_eq!(
        sas.sas().unwrap().se.as_deref(),
        Some("2024-03-05T09:00:00Z")
    );

    let busy = ds.iter().find(|v| v.ev.status == 503).unwrap();
    assert_eq!(
        (busy.error_code(), busy.operation()),
        ("ServerBusy", "PutBlock")
    );
    // Logged at 10:00:08 after a 5.5 s try: sent at 10:00:02.49.
    assert_eq!(
        busy.time().unwrap().to_string(),
        "2024-03-05T10:00:02.487830Z"
    );
    assert_eq!(
        busy.extra(Field::Detail),
        Some("Operations per second is over the account limit.")
    );
    let retry = ds
        .iter()
        .find(|v| v.extra(Field::RetryAttempt).is_some())
        .unwrap();
    assert_eq!(retry.extra(Field::RetryAttempt), Some("1"));
    assert_eq!(retry.operation(), "PutBlock");
}

#[test]
fn oauth_job_fixture() {
    let (ds, _) = analyze_bytes("oauth-job.log", OAUTH_JOB, None).unwrap();
    assert_eq!(ds.inputs[0].skipped_total, 0, "{:?}", ds.inputs[0].skipped);
    assert_eq!(ds.events.len(), 2);
    let perm = ds.view(0);
    assert_eq!(perm.error_code(), "AuthorizationPermissionMismatch");
    assert_eq!(perm.ev.auth, AuthKind::Unknown, "AzCopy masks the scheme");
    let net = ds.view(1);
    assert_eq!(net.ev.status, 0);
    assert!(net
        .extra(Field::Detail)
        .unwrap()
        .contains("forcibly closed"));
    assert!(net.extra(Field::Note).unwrap().contains("transport"));
}

#[test]
fn storage_explorer_sample() {
    let (ds, _) = analyze_bytes("e.log", EXPIRED, None).unwrap();
    assert_eq!(ds.inputs[0].skipped_total, 0);
    assert_eq!(ds.events.len(), 1);
    let v = ds.view(0);
    assert_eq!((v.ev.status, v.error_code()), (403, "AuthenticationFailed"));
    assert_eq!(v.operation(), "GetBlobProperties");
    assert_eq!(v.ev.auth, AuthKind::Sas);
    assert_eq!(
        v.client_request_id(),
        "0a06fb66-6d9c-4df3-620a-b66b4c00b9d6"
    );
    assert_eq!(v.time().unwrap().to_string(), "2023-07-13T17:43:22Z");
    assert!(v
        .extra(Field::UserAgent)
        .unwrap()
        .contains("AzCopy/10.19.0"));
}

#[test]
fn header_only_sample_gives_a_notice_and_no_error() {
    let (ds, _) = analyze_bytes("h.log", HEADER_ONLY, None).unwrap();
    let info = &ds.inputs[0];
    assert_eq!(info.format, "azcopy-log");
    assert_eq!(ds.events.len(), 0);
    assert_eq!(info.skipped_total, 0);
    assert_eq!(info.notices.len(), 1, "{:?}", info.notices);
    assert!(info.notices[0].contains("only its header"));
    assert!(info.notices[0].contains("10.6.0"));
}

#[test]
fn pipeline_fragment_without_request_line() {
    let (ds, _) = analyze_bytes("p.log", PIPELINE, None).unwrap();
    assert_eq!(ds.inputs[0].skipped_total, 0, "{:?}", ds.inputs[0].skipped);
    assert_eq!(ds.events.len(), 1);
    let v = ds.view(0);
    assert_eq!(
        (v.ev.status, v.error_code()),
        (403, "AuthorizationPermissionMismatch")
    );
    assert_eq!(v.request_id(), "3f2570e8-101e-0050-1ead-441353000000");
    assert_eq!(
        v.client_request_id(),
        "4ac5e717-8418-4dcb-7bf7-cb11bba1edc9"
    );
    assert_eq!(v.extra(Field::XmsVersion), Some("2019-12-12"));
    assert_eq!(v.time().unwrap().to_string(), "2022-03-31T03:13:57.726328Z");
}

crate::formats::sdk_common::sdk_fixture_tests!(ALL, "azcopy-log");
