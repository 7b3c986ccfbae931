use super::*;
use crate::model::Method;
use crate::rules::ops_testkit::*;

#[test]
fn reports_a_missing_queue_that_nothing_created() {
    let mut b = Builder::new();
    let s = b.input("queue.log");
    for k in 0..3 {
        b.push(
            s,
            server(
                k as f64,
                "PutMessage",
                "/acctqueue/orders/messages",
                404,
                "QueueNotFound",
                "",
                "",
            ),
        );
    }
    let fs = b.run(&ContainerMissing);
    let f = only(&fs, "container-missing");
    assert_complete(f);
    assert_eq!(f.severity, Severity::Error);
    assert_eq!(f.count, 3);
    assert_eq!(f.confidence.level, Level::High);
    assert_eq!(
        f.title,
        "Queue 'orders' does not exist (3 requests failed with 404)"
    );
    assert!(f.explanation.contains("Nothing in these logs created it"));
    let q = f.kql.as_deref().unwrap();
    assert!(q.starts_with("StorageQueueLogs"), "{q}");
    assert!(q.contains("QueueNotFound"));
}

#[test]
fn one_finding_per_missing_container() {
    let mut b = Builder::new();
    let s = b.input("blob.log");
    b.push(
        s,
        server(
            0.0,
            "PutBlob",
            "/acct/a/x",
            404,
            "ContainerNotFound",
            "",
            "",
        ),
    );
    b.push(
        s,
        server(
            1.0,
            "PutBlob",
            "/acct/b/y",
            404,
            "ContainerNotFound",
            "",
            "",
        ),
    );
    let fs = b.run(&ContainerMissing);
    assert_eq!(fs.len(), 2);
}

#[test]
fn created_on_demand_afterwards_is_only_a_warning() {
    let mut b = Builder::new();
    let s = b.input("blob.log");
    b.push(
        s,
        server(
            0.0,
            "PutBlob",
            "/acct/up/a",
            404,
            "ContainerNotFound",
            "",
            "r1",
        ),
    );
    b.push(
        s,
        server(
            9.0,
            "CreateContainer",
            "/acct/up",
            201,
            "",
            "cccccccc-0000-4000-8000-000000000001",
            "r2",
        ),
    );
    let fs = b.run(&ContainerMissing);
    let f = only(&fs, "container-missing");
    assert_eq!(f.severity, Severity::Warning);
    assert!(f.explanation.contains("created it later"));
}

#[test]
fn an_inferred_404_from_a_client_log_is_a_low_confidence_warning() {
    let mut b = Builder::new();
    let c = b.input("app.log");
    b.push(
        c,
        client(
            0.0,
            Method::Put,
            "https://acct.blob.core.windows.net/up/a.txt",
            404,
            "",
            "",
        ),
    );
    let fs = b.run(&ContainerMissing);
    let f = only(&fs, "container-missing");
    assert_eq!(f.severity, Severity::Warning);
    assert_eq!(f.confidence.level, Level::Low);
}

#[test]
fn not_for_a_blob_that_is_missing_or_a_deleted_container() {
    let mut b = Builder::new();
    let s = b.input("blob.log");
    // A missing blob is not a missing container.
    b.push(
        s,
        server(0.0, "GetBlob", "/acct/up/a", 404, "BlobNotFound", "", ""),
    );
    // A container deleted earlier belongs to deleted-earlier.
    b.push(
        s,
        server(
            1.0,
            "DeleteContainer",
            "/acct/gone",
            202,
            "",
            "dddddddd-0000-4000-8000-000000000001",
            "r1",
        ),
    );
    b.push(
        s,
        server(
            2.0,
            "PutBlob",
            "/acct/gone/a",
            404,
            "ContainerNotFound",
            "",
            "r2",
        ),
    );
    // A SAS without permission answered 404 (old service versions): not a missing container.
    let mut ev = server(3.0, "PutBlob", "/acct/up/b", 404, "", "", "r3");
    ev.response_type = crate::model::ResponseType::AuthorizationError;
    b.push(s, ev);
    assert!(b.run(&ContainerMissing).is_empty());
}
