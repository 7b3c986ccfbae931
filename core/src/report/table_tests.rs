use super::*;
use crate::model::{EventSink, Method, RawEvent, Service};

fn dataset() -> (Dataset, Correlation) {
    let mut ds = Dataset::new();
    let i = ds.add_input("client.log", "test", 1.0);
    let j = ds.add_input("server.log", "test", 1.0);
    let ev =
        |t: &str, src: SourceKind, status: u16, code: &str, op: &str, crid: &str, path: &str| {
            RawEvent {
                time: crate::model::Timestamp::parse(t),
                source: src,
                service: Service::Blob,
                method: Method::Put,
                operation: op.to_string().into(),
                resource: path.to_string().into(),
                status,
                error_code: code.to_string().into(),
                client_request_id: crid.to_string().into(),
                e2e_ms: Some(12.0),
                ..Default::default()
            }
        };
    ds.sink(i).event(ev(
        "2024-01-01T00:00:02Z",
        SourceKind::Client,
        404,
        "",
        "",
        "aaaaaaaa-0000-0000-0000-000000000001",
        "/a/c/x",
    ));
    ds.sink(j).event(ev(
        "2024-01-01T00:00:01Z",
        SourceKind::Server,
        404,
        "ContainerNotFound",
        "PutBlob",
        "aaaaaaaa-0000-0000-0000-000000000001",
        "/a/c/x",
    ));
    ds.sink(j).event(ev(
        "2024-01-01T00:00:03Z",
        SourceKind::Server,
        201,
        "",
        "CreateContainer",
        "bbbbbbbb-0000-0000-0000-000000000002",
        "/a/c",
    ));
    ds.sink(j).event(ev(
        "2024-01-01T00:00:04Z",
        SourceKind::Server,
        409,
        "ContainerAlreadyExists",
        "CreateContainer",
        "cccccccc-0000-0000-0000-000000000003",
        "/a/c=evil",
    ));
    ds.finish();
    let c = Correlation::build(&ds);
    (ds, c)
}

#[test]
fn rows_join_sources_and_prefer_the_service_view() {
    let (ds, c) = dataset();
    let idx = RequestIndex::build(&ds, &c);
    assert_eq!(idx.len(), 3);
    let all = idx.query(&ds, &TableQuery::default());
    let first = idx.row(&ds, &c, all[0]);
    assert_eq!(first.time.as_deref(), Some("2024-01-01T00:00:01Z"));
    assert_eq!(first.sources, ["client", "server"]);
    assert_eq!(first.error_code, "ContainerNotFound");
    assert_eq!(first.observations, 2);
}

#[test]
fn filters_sort_and_search() {
    let (ds, c) = dataset();
    let idx = RequestIndex::build(&ds, &c);
    let q = |f: fn(&mut TableQuery)| {
        let mut q = TableQuery::default();
        f(&mut q);
        idx.query(&ds, &q)
    };
    assert_eq!(q(|q| q.status_class = Some(4)).len(), 2);
    assert_eq!(
        q(|q| q.error_code = Some("ContainerNotFound".into())).len(),
        1
    );
    assert_eq!(q(|q| q.error_code = Some("NoSuchCode".into())).len(), 0);
    assert_eq!(q(|q| q.operation = Some("CreateContainer".into())).len(), 2);
    assert_eq!(q(|q| q.source = Some(SourceKind::Client)).len(), 1);
    assert_eq!(q(|q| q.search = "CCCCCCCC".into()).len(), 1);
    assert_eq!(q(|q| q.from = Some("2024-01-01T00:00:03Z".into())).len(), 2);
    let by_status = q(|q| {
        q.sort = SortKey::Status;
        q.descending = true;
    });
    assert_eq!(idx.row(&ds, &c, by_status[0]).status, 409);
    let f = idx.facets(&ds);
    assert_eq!(f.status_classes, vec![(2, 1), (4, 2)]);
    assert_eq!(
        f.sources,
        vec![("client".to_string(), 1), ("server".to_string(), 3)]
    );
}

#[test]
fn failure_summary_and_csv() {
    let (ds, c) = dataset();
    let idx = RequestIndex::build(&ds, &c);
    let s = idx.failure_summary(&ds, &c);
    assert_eq!(s.len(), 2);
    assert!(s
        .iter()
        .any(|r| r.operation == "PutBlob" && r.status == 404 && r.attempts == 2));
    let all = idx.query(&ds, &TableQuery::default());
    let csv = idx.to_csv(&ds, &c, &all);
    assert_eq!(csv.lines().count(), 4);
    assert!(csv.contains("/a/c=evil"));
    assert_eq!(csv_cell("=cmd()"), "'=cmd()");
    assert_eq!(csv_cell("a,\"b\""), "\"a,\"\"b\"\"\"");
    assert_eq!(csv_cell("-12"), "-12");
}

#[test]
fn detail_lists_every_observation() {
    let (ds, c) = dataset();
    let idx = RequestIndex::build(&ds, &c);
    let all = idx.query(&ds, &TableQuery::default());
    let d = idx.detail(&ds, &c, all[0]);
    assert_eq!(d.observations.len(), 2);
    assert!(d.observations.iter().any(|o| o.path == "client.log"));
}

#[test]
fn time_range_filter_is_inclusive_at_both_ends() {
    let (ds, c) = dataset();
    let idx = RequestIndex::build(&ds, &c);
    let range = |from: Option<&str>, to: Option<&str>| {
        let q = TableQuery {
            from: from.map(str::to_string),
            to: to.map(str::to_string),
            ..TableQuery::default()
        };
        idx.query(&ds, &q)
            .iter()
            .map(|&r| idx.row(&ds, &c, r).time.unwrap_or_default())
            .collect::<Vec<_>>()
    };
    // A request's time is its earliest observation's (the server saw the first one at 00:01).
    assert_eq!(
        range(None, Some("2024-01-01T00:00:03Z")),
        ["2024-01-01T00:00:01Z", "2024-01-01T00:00:03Z"]
    );
    assert_eq!(
        range(Some("2024-01-01T00:00:03Z"), Some("2024-01-01T00:00:03Z")),
        ["2024-01-01T00:00:03Z"]
    );
    assert_eq!(
        range(Some("2024-01-01T00:00:01.000001Z"), None),
        ["2024-01-01T00:00:03Z", "2024-01-01T00:00:04Z"]
    );
    assert_eq!(
        range(
            Some("2024-01-01T00:00:03.5Z"),
            Some("2024-01-01T00:00:03.9Z")
        ),
        Vec::<String>::new()
    );
    assert_eq!(
        range(Some("2024-01-01T00:00:04Z"), Some("2024-01-01T00:00:01Z")),
        Vec::<String>::new()
    );
}
