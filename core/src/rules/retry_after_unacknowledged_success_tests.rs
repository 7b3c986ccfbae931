use super::*;
use crate::rules::ops_testkit::*;

const CRID: &str = "813ea74f-2b3c-4d5e-8f60-718293a4b5c6";
const ENTITY: &str = "/accttable/mailinglist/pk/rk";

#[test]
fn server_log_shows_the_successful_delete_and_the_failed_retry() {
    let mut b = Builder::new();
    let s = b.input("table.log");
    b.push(
        s,
        server(
            0.0,
            "DeleteEntity",
            ENTITY,
            204,
            "",
            CRID,
            "11111111-0000-4000-8000-000000000001",
        ),
    );
    let retry = b.push(
        s,
        server(
            7.2,
            "DeleteEntity",
            ENTITY,
            404,
            "ResourceNotFound",
            CRID,
            "7e84f12d-0000-4000-8000-000000000002",
        ),
    );
    let fs = b.run(&RetryAfterUnacknowledgedSuccess);
    let f = only(&fs, "retry-after-unacknowledged-success");
    assert_complete(f);
    assert_eq!(f.severity, Severity::Warning);
    assert_eq!(f.count, 1);
    assert_eq!(f.confidence.level, Level::High);
    let e = &f.evidence[0];
    assert_eq!(e.line, retry as u64);
    assert_eq!(e.client_request_id, CRID);
    assert_eq!(e.fields["first_attempt_status"], "204");
    assert_eq!(e.fields["retry_after"], "7.2 s");
    assert_eq!(
        f.title,
        "A retried delete of 'mailinglist/pk/rk' failed with 404 although the first attempt had succeeded"
    );
    assert!(f.kql.as_deref().unwrap().starts_with("StorageTableLogs"));
}

#[test]
fn mirror_case_for_creates() {
    let mut b = Builder::new();
    let s = b.input("table.log");
    b.push(s, server(0.0, "InsertEntity", ENTITY, 201, "", CRID, "r-1"));
    b.push(
        s,
        server(
            30.0,
            "InsertEntity",
            ENTITY,
            409,
            "EntityAlreadyExists",
            CRID,
            "r-2",
        ),
    );
    let fs = b.run(&RetryAfterUnacknowledgedSuccess);
    let f = only(&fs, "retry-after-unacknowledged-success");
    assert!(
        f.title.contains("create") && f.title.contains("409"),
        "{}",
        f.title
    );
}

#[test]
fn client_log_alone_timeout_then_404() {
    let mut b = Builder::new();
    let c = b.input("app.log");
    let url = "https://acct.blob.core.windows.net/c/report.csv";
    let first = client(0.0, crate::model::Method::Delete, url, 0, CRID, "");
    b.push(
        c,
        with(
            first,
            Field::Detail,
            "The client could not finish the operation within specified timeout.",
        ),
    );
    b.push(
        c,
        client(31.0, crate::model::Method::Delete, url, 404, CRID, "r-2"),
    );
    let fs = b.run(&RetryAfterUnacknowledgedSuccess);
    let f = only(&fs, "retry-after-unacknowledged-success");
    assert_eq!(f.confidence.level, Level::Medium);
    assert!(f.evidence[0].fields["client_saw"].contains("timeout"));
    assert!(f.explanation.contains("31 s"), "{}", f.explanation);
}

#[test]
fn proxy_capture_of_the_late_answer_does_not_hide_the_client_timeout() {
    // The application timed out on the first attempt; Fiddler, in between, still received the
    // service's 202 and recorded it. The application never saw it and retried.
    let mut b = Builder::new();
    let c = b.input("app.log");
    let n = b.input("fiddler.har");
    let s = b.input("blob.log");
    let url = "https://acct.blob.core.windows.net/c/report.csv";
    b.push(
        c,
        with(
            client(0.0, crate::model::Method::Delete, url, 0, CRID, ""),
            Field::Detail,
            "The operation was cancelled because it exceeded the configured timeout of 0:00:02.",
        ),
    );
    let mut seen = client(0.01, crate::model::Method::Delete, url, 202, CRID, "r-1");
    seen.source = crate::model::SourceKind::Network;
    b.push(n, seen);
    b.push(
        s,
        server(
            0.02,
            "DeleteBlob",
            "/acct/c/report.csv",
            202,
            "",
            CRID,
            "r-1",
        ),
    );
    b.push(
        s,
        server(
            2.9,
            "DeleteBlob",
            "/acct/c/report.csv",
            404,
            "BlobNotFound",
            CRID,
            "r-2",
        ),
    );
    let fs = b.run(&RetryAfterUnacknowledgedSuccess);
    let f = only(&fs, "retry-after-unacknowledged-success");
    assert!(f.evidence[0].fields["client_saw"].contains("timeout"));
    // Without the application's log, a capture that shows the 202 still means the client got it.
    let mut b = Builder::new();
    let n = b.input("browser.har");
    let s = b.input("blob.log");
    let mut seen = client(0.01, crate::model::Method::Delete, url, 202, CRID, "r-1");
    seen.source = crate::model::SourceKind::Network;
    b.push(n, seen);
    b.push(
        s,
        server(
            0.02,
            "DeleteBlob",
            "/acct/c/report.csv",
            202,
            "",
            CRID,
            "r-1",
        ),
    );
    b.push(
        s,
        server(
            2.9,
            "DeleteBlob",
            "/acct/c/report.csv",
            404,
            "BlobNotFound",
            CRID,
            "r-2",
        ),
    );
    assert!(b.run(&RetryAfterUnacknowledgedSuccess).is_empty());
}

#[test]
fn not_when_the_first_attempt_failed_or_the_ids_differ() {
    let mut b = Builder::new();
    let s = b.input("table.log");
    // First attempt failed on the service: the 404 is not caused by it.
    b.push(
        s,
        server(
            0.0,
            "DeleteEntity",
            ENTITY,
            500,
            "InternalError",
            CRID,
            "r-1",
        ),
    );
    b.push(
        s,
        server(
            5.0,
            "DeleteEntity",
            ENTITY,
            404,
            "ResourceNotFound",
            CRID,
            "r-2",
        ),
    );
    // Different client request ids: two operations, not a retry.
    b.push(
        s,
        server(
            10.0,
            "DeleteEntity",
            "/accttable/t/x/y",
            204,
            "",
            "aaaaaaaa-0000-4000-8000-000000000001",
            "r-3",
        ),
    );
    b.push(
        s,
        server(
            11.0,
            "DeleteEntity",
            "/accttable/t/x/y",
            404,
            "ResourceNotFound",
            "aaaaaaaa-0000-4000-8000-000000000002",
            "r-4",
        ),
    );
    assert!(b.run(&RetryAfterUnacknowledgedSuccess).is_empty());
}
