use super::*;
use crate::model::{Field, Method};
use crate::rules::ops_testkit::*;

const C1: &str = "c9f52c89-0a1b-4c2d-8e3f-405162738495";
const C2: &str = "bc881924-6a7b-4c8d-9e0f-a1b2c3d4e5f6";

#[test]
fn the_guides_delete_then_recreate_extract() {
    let mut b = Builder::new();
    let s = b.input("blob.log");
    b.push(
        s,
        server(
            0.0,
            "GetContainerProperties",
            "/acct/mmcont",
            200,
            "",
            C1,
            "r1",
        ),
    );
    let del = server(0.1, "DeleteContainer", "/acct/mmcont", 202, "", C1, "r2");
    b.push(s, with(del, Field::CallerIp, "10.1.2.3:5000"));
    b.push(
        s,
        server(
            0.18,
            "GetContainerProperties",
            "/acct/mmcont",
            404,
            "ContainerNotFound",
            C2,
            "r3",
        ),
    );
    let create = b.push(
        s,
        server(
            0.5,
            "CreateContainer",
            "/acct/mmcont",
            409,
            "ContainerBeingDeleted",
            C2,
            "r4",
        ),
    );
    let fs = b.run(&NameBeingDeleted);
    let f = only(&fs, "name-being-deleted");
    assert_complete(f);
    assert_eq!(f.severity, Severity::Error);
    assert_eq!(f.count, 1);
    assert_eq!(f.confidence.level, Level::High);
    assert_eq!(
        f.title,
        "Container 'mmcont' was created again while its deletion was still in progress"
    );
    let e = &f.evidence[0];
    assert_eq!(e.line, create as u64);
    assert_eq!(e.fields["deleted_by_client_request_id"], C1);
    assert_eq!(e.fields["deleted_by_caller_ip"], "10.1.2.3:5000");
    assert_eq!(e.fields["created_again_after"], "0.4 s");
    assert!(f.kql.as_deref().unwrap().contains("BeingDeleted"));
}

#[test]
fn explicit_code_is_enough_without_the_delete() {
    let mut b = Builder::new();
    let s = b.input("queue.log");
    b.push(
        s,
        server(
            0.0,
            "CreateQueue",
            "/acctqueue/jobs",
            409,
            "QueueBeingDeleted",
            C2,
            "r1",
        ),
    );
    let fs = b.run(&NameBeingDeleted);
    let f = only(&fs, "name-being-deleted");
    assert!(f.title.starts_with("Queue 'jobs'"));
    assert_eq!(f.confidence.level, Level::High);
}

#[test]
fn client_log_409_without_code_shortly_after_a_delete() {
    let mut b = Builder::new();
    let c = b.input("app.log");
    let url = "https://acct.blob.core.windows.net/mmcont?restype=container";
    b.push(c, client(0.0, Method::Delete, url, 202, C1, "r1"));
    b.push(c, client(1.0, Method::Put, url, 409, C2, "r2"));
    let fs = b.run(&NameBeingDeleted);
    let f = only(&fs, "name-being-deleted");
    assert_eq!(f.confidence.level, Level::Medium);
}

#[test]
fn already_exists_and_late_creates_are_not_this() {
    let mut b = Builder::new();
    let c = b.input("app.log");
    let url = "https://acct.blob.core.windows.net/mmcont?restype=container";
    b.push(c, client(0.0, Method::Delete, url, 202, C1, "r1"));
    // An hour later: not put down to that delete without a code.
    b.push(c, client(3600.0, Method::Put, url, 409, C2, "r2"));
    let s = b.input("blob.log");
    b.push(
        s,
        server(
            0.0,
            "CreateContainer",
            "/acct/other",
            409,
            "ContainerAlreadyExists",
            "",
            "r3",
        ),
    );
    // A blob write into a container being deleted is not a re-create.
    b.push(
        s,
        server(
            1.0,
            "PutBlob",
            "/acct/x/y",
            409,
            "ContainerBeingDeleted",
            "",
            "r4",
        ),
    );
    assert!(b.run(&NameBeingDeleted).is_empty());
}
