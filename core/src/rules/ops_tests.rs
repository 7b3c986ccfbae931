//! Whole-catalogue checks for the request-level rules: what clean and benign-only logs produce.

use super::ops_testkit::*;
use super::Severity;
use crate::model::{Field, Method};

#[test]
fn clean_logs_produce_no_finding() {
    let mut b = Builder::new();
    let s = b.input("blob.log");
    let c = b.input("app.log");
    for k in 0..20 {
        let crid = format!("aaaaaaaa-0000-4000-8000-0000000000{k:02}");
        let rid = format!("bbbbbbbb-0000-4000-8000-0000000000{k:02}");
        let key = format!("/acct/c/{k}.txt");
        let url = format!("https://acct.blob.core.windows.net/c/{k}.txt");
        let op = if k % 2 == 0 { "PutBlob" } else { "GetBlob" };
        let m = if k % 2 == 0 { Method::Put } else { Method::Get };
        let status = if k % 2 == 0 { 201 } else { 200 };
        b.push(s, server(k as f64, op, &key, status, "", &crid, &rid));
        b.push(c, client(k as f64 + 0.2, m, &url, status, &crid, &rid));
    }
    let fs = b.run_all();
    assert!(fs.is_empty(), "{fs:#?}");
}

#[test]
fn benign_only_logs_produce_only_benign_and_info_findings() {
    let mut b = Builder::new();
    let s = b.input("blob.log");
    let crid = "e2d06d78-8a4b-4f3c-b1d2-3c4d5e6f7a02";
    // CreateIfNotExists on a new container, then again on the existing one.
    b.push(
        s,
        server(
            0.0,
            "GetContainerProperties",
            "/acct/c",
            404,
            "ContainerNotFound",
            crid,
            "r1",
        ),
    );
    b.push(
        s,
        server(0.1, "CreateContainer", "/acct/c", 201, "", crid, "r2"),
    );
    b.push(
        s,
        server(
            5.0,
            "CreateContainer",
            "/acct/c",
            409,
            "ContainerAlreadyExists",
            "",
            "r3",
        ),
    );
    // A conditional read of an unchanged blob.
    let ev = server(
        6.0,
        "GetBlob",
        "/acct/c/logo.png",
        304,
        "ConditionNotMet",
        "",
        "r4",
    );
    b.push(
        s,
        with(ev, Field::Conditions, "If-None-Match=\"0x8D15A2913C934DE\""),
    );
    b.push(
        s,
        server(7.0, "PutBlob", "/acct/c/a.txt", 201, "", "", "r5"),
    );
    let fs = b.run_all();
    assert_quiet(&fs);
    let rules: Vec<&str> = fs.iter().map(|f| f.rule).collect();
    for r in [
        "benign-not-found-probe",
        "benign-already-exists",
        "benign-condition-not-met",
        "percent-success-explained",
    ] {
        assert!(rules.contains(&r), "{r} missing from {rules:?}");
    }
    assert!(fs
        .iter()
        .all(|f| matches!(f.severity, Severity::Benign | Severity::Info)));
}
