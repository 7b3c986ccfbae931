use super::*;
use crate::model::{Field, Method, Timestamp};
use crate::rules::ops_testkit::*;

const C: &str = "https://domemaildist.blob.core.windows.net/azuremmblobcontainer?restype=container";
const BLOB: &str =
    "https://domemaildist.blob.core.windows.net/azuremmblobcontainer/blobCreated.txt";
const DEL: &str = "07b26a5d-3f1e-4c8a-9b2d-5e6f7a8b9c01";
const CREATE: &str = "e2d06d78-8a4b-4f3c-b1d2-3c4d5e6f7a02";
const UPLOAD: &str = "de8b1c3c-5d6e-4f7a-8b9c-0d1e2f3a4b03";

fn answered(secs: f64) -> String {
    Timestamp(T0).add_seconds(secs).to_string()
}

/// The troubleshooting guide's interleaved trace, as a client parser would report it.
fn guide_trace(b: &mut Builder) -> (u32, u32) {
    let c = b.input("client.log");
    let mut obs = |start: f64, end: f64, m: Method, url: &'static str, status, crid, rid| {
        let ev = client(start, m, url, status, crid, rid);
        b.push(c, with(ev, Field::ResponseDate, answered(end)))
    };
    obs(
        0.00,
        0.05,
        Method::Head,
        C,
        200,
        DEL,
        "eeead849-0001-4000-8000-000000000001",
    );
    obs(
        0.10,
        0.15,
        Method::Delete,
        C,
        202,
        DEL,
        "6ab2a4cf-0001-4000-8000-000000000002",
    );
    obs(
        0.20,
        0.30,
        Method::Head,
        C,
        404,
        CREATE,
        "353ae3bc-0001-4000-8000-000000000003",
    );
    let write = obs(
        0.25,
        0.60,
        Method::Put,
        BLOB,
        404,
        UPLOAD,
        "0eaeab3e-0001-4000-8000-000000000005",
    );
    let create = obs(
        0.32,
        0.50,
        Method::Put,
        C,
        409,
        CREATE,
        "c27da20e-0001-4000-8000-000000000004",
    );
    (write, create)
}

#[test]
fn finds_the_guides_interleaved_create_and_upload() {
    let mut b = Builder::new();
    let (write, _) = guide_trace(&mut b);
    let fs = b.run(&ContainerCreateRace);
    let f = only(&fs, "container-create-race");
    assert_complete(f);
    assert_eq!(f.severity, Severity::Error);
    assert_eq!(f.count, 1);
    let e = &f.evidence[0];
    assert_eq!(e.line, write as u64);
    assert_eq!(e.client_request_id, UPLOAD);
    assert_eq!(e.fields["create_client_request_id"], CREATE);
    assert_eq!(e.fields["create_status"], "409");
    assert_eq!(e.fields["container"], "/domemaildist/azuremmblobcontainer");
    // No error code in a client trace: the 404's meaning is inferred.
    assert_eq!(f.confidence.level, Level::Medium);
    assert!(f.explanation.contains("deleted"), "{}", f.explanation);
    assert!(f.title.contains("azuremmblobcontainer"));
    // The container requests in flight are cited as well.
    assert!(f
        .evidence
        .iter()
        .any(|e| e.client_request_id == CREATE && e.status == Some(409)));
}

#[test]
fn finds_the_server_log_fingerprint() {
    let mut b = Builder::new();
    let s = b.input("blob.log");
    let x = "aaaaaaaa-1111-4000-8000-000000000001";
    let y = "bbbbbbbb-2222-4000-8000-000000000002";
    b.push(
        s,
        server(
            0.00,
            "GetContainerProperties",
            "/acct/up",
            404,
            "ContainerNotFound",
            x,
            "r1",
        ),
    );
    b.push(
        s,
        server(
            0.05,
            "PutBlob",
            "/acct/up/a.txt",
            404,
            "ContainerNotFound",
            y,
            "r2",
        ),
    );
    b.push(
        s,
        server(0.10, "CreateContainer", "/acct/up", 201, "", x, "r3"),
    );
    let fs = b.run(&ContainerCreateRace);
    let f = only(&fs, "container-create-race");
    assert_eq!(f.confidence.level, Level::High);
    assert!(f.explanation.contains("succeeded"));
    assert!(f.kql.as_deref().unwrap().contains("ContainerNotFound"));
}

#[test]
fn a_create_started_after_the_failure_is_not_a_race() {
    let mut b = Builder::new();
    let s = b.input("blob.log");
    let x = "aaaaaaaa-1111-4000-8000-000000000001";
    let y = "bbbbbbbb-2222-4000-8000-000000000002";
    b.push(
        s,
        server(
            0.0,
            "PutBlob",
            "/acct/up/a.txt",
            404,
            "ContainerNotFound",
            y,
            "r1",
        ),
    );
    b.push(
        s,
        server(
            5.0,
            "GetContainerProperties",
            "/acct/up",
            404,
            "ContainerNotFound",
            x,
            "r2",
        ),
    );
    b.push(
        s,
        server(5.1, "CreateContainer", "/acct/up", 201, "", x, "r3"),
    );
    assert!(b.run(&ContainerCreateRace).is_empty());
}

#[test]
fn a_create_that_finished_before_the_write_was_sent_is_not_a_race() {
    let mut b = Builder::new();
    let s = b.input("blob.log");
    b.push(
        s,
        server(
            0.0,
            "CreateContainer",
            "/acct/up",
            201,
            "",
            "aaaaaaaa-1111-4000-8000-000000000001",
            "r1",
        ),
    );
    b.push(
        s,
        server(
            1.0,
            "PutBlob",
            "/acct/up/a.txt",
            404,
            "ContainerNotFound",
            "bbbbbbbb-2222-4000-8000-000000000002",
            "r2",
        ),
    );
    assert!(b.run(&ContainerCreateRace).is_empty());
}

#[test]
fn the_other_rules_leave_the_race_alone() {
    let mut b = Builder::new();
    guide_trace(&mut b);
    let fs = b.run_all();
    only(&fs, "container-create-race");
    assert!(!fs
        .iter()
        .any(|f| f.rule == "deleted-earlier" || f.rule == "container-missing"));
}
