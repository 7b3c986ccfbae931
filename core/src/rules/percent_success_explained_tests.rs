use super::*;
use crate::model::{Method, RawEvent};
use crate::rules::ops_testkit::*;

#[test]
fn raw_and_adjusted_rates_with_the_breakdown() {
    let mut b = Builder::new();
    let s = b.input("blob.log");
    for k in 0..6 {
        b.push(s, server(k as f64, "GetBlob", "/acct/c/x", 200, "", "", ""));
    }
    b.push(
        s,
        server(
            7.0,
            "CreateContainer",
            "/acct/c",
            409,
            "ContainerAlreadyExists",
            "",
            "",
        ),
    );
    b.push(
        s,
        server(
            7.5,
            "CreateContainer",
            "/acct/c",
            409,
            "ContainerAlreadyExists",
            "",
            "",
        ),
    );
    b.push(
        s,
        server(8.0, "GetBlobProperties", "/acct/c/y", 404, "", "", ""),
    );
    b.push(
        s,
        server(9.0, "GetBlob", "/acct/c/z", 404, "BlobNotFound", "", ""),
    );
    let fs = b.run(&PercentSuccessExplained);
    let f = only(&fs, "percent-success-explained");
    assert_complete(f);
    assert_eq!(f.severity, Severity::Info);
    assert_eq!(
        f.title,
        "Success 60% of 10 requests; 90% once expected errors are set aside"
    );
    assert!(
        f.explanation
            .contains("ClientOtherError 4 = 40% (ContainerAlreadyExists, BlobNotFound)"),
        "{}",
        f.explanation
    );
    assert!(f.explanation.contains("Success 6 = 60%"));
    assert_eq!(f.count, 4);
    let q = f.kql.as_deref().unwrap();
    assert!(q.starts_with("let rows = StorageBlobLogs"), "{q}");
    assert!(
        q.contains("let total = toscalar(rows | count);\nrows\n| summarize"),
        "{q}"
    );
}

#[test]
fn metrics_rows_weigh_by_their_transaction_count() {
    let mut b = Builder::new();
    let m = b.input("metrics.csv");
    for (rt, n) in [
        ("Success", "970"),
        ("ClientOtherError", "25"),
        ("ServerBusyError", "5"),
    ] {
        let ev = RawEvent {
            time: at(0.0),
            source: SourceKind::Metrics,
            operation: "GetBlob".into(),
            response_type: ResponseType::parse(rt),
            ..Default::default()
        };
        b.push(m, with(ev, Field::Count, n));
    }
    let fs = b.run(&PercentSuccessExplained);
    let f = only(&fs, "percent-success-explained");
    assert_eq!(
        f.title,
        "Success 97% of 1000 transactions; at most 99.5% once expected errors are set aside"
    );
    assert_eq!(f.confidence.level, Level::Medium);
    assert!(f.explanation.contains("ThrottlingError 5 = 0.5%"));
}

#[test]
fn no_finding_for_clean_logs_or_client_logs_alone() {
    let mut b = Builder::new();
    let s = b.input("blob.log");
    b.push(s, server(0.0, "GetBlob", "/acct/c/x", 200, "", "", ""));
    assert!(b.run(&PercentSuccessExplained).is_empty());
    let mut b = Builder::new();
    let c = b.input("app.log");
    b.push(
        c,
        client(
            0.0,
            Method::Get,
            "https://acct.blob.core.windows.net/c/x",
            404,
            "",
            "",
        ),
    );
    assert!(b.run(&PercentSuccessExplained).is_empty());
}
