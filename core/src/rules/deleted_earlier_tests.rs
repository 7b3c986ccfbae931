use super::*;
use crate::model::Method;
use crate::rules::ops_testkit::*;

const KEY: &str = "/acct/photos/cat.png";

fn deleter(secs: f64) -> crate::model::RawEvent<'static> {
    let ev = server(
        secs,
        "DeleteBlob",
        KEY,
        202,
        "",
        "a1a1a1a1-0000-4000-8000-000000000001",
        "r-del",
    );
    let ev = with(ev, Field::CallerIp, "10.0.0.5:50123");
    with(ev, Field::UserAgent, "cleanup-job/1.0")
}

fn reader(
    secs: f64,
    op: &'static str,
    status: u16,
    code: &'static str,
) -> crate::model::RawEvent<'static> {
    let ev = server(
        secs,
        op,
        KEY,
        status,
        code,
        "b2b2b2b2-0000-4000-8000-000000000002",
        "r-read",
    );
    let ev = with(ev, Field::CallerIp, "10.0.0.9:41000");
    with(ev, Field::UserAgent, "azsdk-net-Storage.Blobs/12.19.1")
}

#[test]
fn names_who_deleted_the_object_and_when() {
    let mut b = Builder::new();
    let s = b.input("blob.log");
    b.push(s, deleter(0.0));
    let line = b.push(s, reader(30.0, "GetBlob", 404, "BlobNotFound"));
    let fs = b.run(&DeletedEarlier);
    let f = only(&fs, "deleted-earlier");
    assert_complete(f);
    assert_eq!(f.severity, Severity::Warning);
    assert_eq!(f.count, 1);
    assert_eq!(f.confidence.level, Level::High);
    let e = &f.evidence[0];
    assert_eq!(e.line, line as u64);
    assert_eq!(e.fields["deleted_by_caller_ip"], "10.0.0.5:50123");
    assert_eq!(e.fields["deleted_by_user_agent"], "cleanup-job/1.0");
    assert_eq!(e.fields["deleted_by_auth"], "shared-key");
    assert_eq!(
        e.fields["deleted_by_client_request_id"],
        "a1a1a1a1-0000-4000-8000-000000000001"
    );
    assert_eq!(e.fields["same_caller"], "no");
    assert_eq!(e.fields["deleted_before"], "30 s");
    assert!(f.explanation.contains("cleanup-job/1.0"));
    assert!(f.explanation.contains("different caller"));
    // The delete itself is cited too.
    assert!(f.evidence.iter().any(|e| e.fields.contains_key("role")));
    let q = f.kql.as_deref().unwrap();
    assert!(q.contains("StorageBlobLogs") && q.contains("join kind=inner deletes on ObjectKey"));
}

#[test]
fn a_deleted_container_explains_a_404_on_a_blob_inside_it() {
    let mut b = Builder::new();
    let s = b.input("blob.log");
    b.push(
        s,
        server(
            0.0,
            "DeleteContainer",
            "/acct/photos",
            202,
            "",
            "c3c3c3c3-0000-4000-8000-000000000003",
            "r-1",
        ),
    );
    b.push(s, reader(600.0, "GetBlob", 404, "ContainerNotFound"));
    let fs = b.run(&DeletedEarlier);
    let f = only(&fs, "deleted-earlier");
    assert_eq!(f.evidence[0].fields["deleted_key"], "/acct/photos");
    assert_eq!(f.evidence[0].fields["delete_operation"], "DeleteContainer");
    assert!(f.title.contains("'photos'"), "{}", f.title);
}

#[test]
fn no_finding_without_an_earlier_delete() {
    let mut b = Builder::new();
    let s = b.input("blob.log");
    b.push(s, reader(0.0, "GetBlob", 404, "BlobNotFound"));
    b.push(s, deleter(30.0)); // after the 404
    assert!(b.run(&DeletedEarlier).is_empty());
}

#[test]
fn no_finding_when_the_object_was_created_again_after_the_delete() {
    let mut b = Builder::new();
    let s = b.input("blob.log");
    b.push(s, deleter(0.0));
    b.push(
        s,
        server(
            5.0,
            "PutBlob",
            KEY,
            201,
            "",
            "d4d4d4d4-0000-4000-8000-000000000004",
            "r-put",
        ),
    );
    b.push(s, reader(30.0, "GetBlob", 404, "BlobNotFound"));
    assert!(b.run(&DeletedEarlier).is_empty());
}

#[test]
fn own_retry_and_benign_probes_are_left_to_other_rules() {
    let mut b = Builder::new();
    let s = b.input("blob.log");
    let crid = "e5e5e5e5-0000-4000-8000-000000000005";
    // Same client request id: a retry whose first attempt deleted it.
    b.push(s, server(0.0, "DeleteBlob", KEY, 202, "", crid, "r-1"));
    b.push(
        s,
        server(10.0, "DeleteBlob", KEY, 404, "BlobNotFound", crid, "r-2"),
    );
    // An existence check after someone's delete is an expected answer.
    b.push(s, reader(20.0, "GetBlobProperties", 404, ""));
    assert!(b.run(&DeletedEarlier).is_empty());
}

#[test]
fn client_log_alone_gives_a_medium_confidence_finding_about_the_same_caller() {
    let mut b = Builder::new();
    let c = b.input("app.log");
    let url = "https://acct.blob.core.windows.net/photos/cat.png";
    b.push(
        c,
        client(
            0.0,
            Method::Delete,
            url,
            202,
            "f6f6f6f6-0000-4000-8000-000000000006",
            "r-1",
        ),
    );
    b.push(
        c,
        client(
            4.0,
            Method::Get,
            url,
            404,
            "f6f6f6f6-0000-4000-8000-000000000007",
            "r-2",
        ),
    );
    let fs = b.run(&DeletedEarlier);
    let f = only(&fs, "deleted-earlier");
    assert_eq!(f.confidence.level, Level::Medium);
    assert!(f.confidence.raise_with.contains("server-side log"));
    assert_eq!(f.evidence[0].fields["same_caller"], "yes");
    assert!(f.explanation.contains("same caller"));
}

#[test]
fn lifecycle_policy_deletes_are_named() {
    let mut b = Builder::new();
    let s = b.input("blob.log");
    let ev = server(0.0, "DeleteBlob", KEY, 202, "", "", "r-1");
    b.push(
        s,
        with(
            ev,
            Field::UserAgent,
            "xAzure/1.0 AzureStorage/1.0 ObjectLifeCycleScanner/0.50",
        ),
    );
    b.push(s, reader(3600.0, "GetBlob", 404, "BlobNotFound"));
    let fs = b.run(&DeletedEarlier);
    assert!(only(&fs, "deleted-earlier")
        .explanation
        .contains("lifecycle"));
}

#[test]
fn same_caller_compares_addresses_without_their_port_ipv6_included() {
    use crate::model::EventSink;
    let mut ds = crate::model::Dataset::new();
    let i = ds.add_input("x.log", "test", 1.0);
    for ip in [
        "[2001:db8::1]:443",
        "[2001:db8::1]",
        "[2001:db8::2]:443",
        "10.0.0.5:50123",
        "10.0.0.5",
        "2001:db8::1",
    ] {
        ds.sink(i).event(
            crate::model::RawEvent::default()
                .with(Field::CallerIp, ip)
                .with(Field::UserAgent, "job/1"),
        );
    }
    let v = |k| ds.view(k);
    assert_eq!(
        same_caller(&v(0), &v(1)),
        Some(true),
        "port or not, one IPv6 caller"
    );
    assert_eq!(same_caller(&v(0), &v(2)), Some(false));
    assert_eq!(same_caller(&v(3), &v(4)), Some(true));
    assert_eq!(same_caller(&v(3), &v(0)), Some(false));
    assert_eq!(same_caller(&v(5), &v(5)), Some(true));
}
