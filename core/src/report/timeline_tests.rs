use super::*;
use crate::correlate::Correlation;
use crate::model::{Dataset, EventSink, Method, RawEvent, Service, SourceKind};
use crate::report::table::TableQuery;

fn us(iso: &str) -> i64 {
    Timestamp::parse(iso).expect("test time").0
}

fn timeline(reqs: &[(Option<&str>, u16)]) -> Option<Timeline> {
    let v: Vec<(Option<i64>, u16)> = reqs.iter().map(|(t, s)| (t.map(us), *s)).collect();
    Timeline::from_requests(v.into_iter())
}

#[test]
fn no_time_at_all_means_no_timeline() {
    assert_eq!(timeline(&[]), None);
    assert_eq!(timeline(&[(None, 200), (None, 0)]), None);
}

#[test]
fn a_single_instant_is_one_one_second_bucket() {
    let t = timeline(&[
        (Some("2024-03-05T02:00:13.250Z"), 403),
        (Some("2024-03-05T02:00:13.250Z"), 201),
        (None, 500),
    ])
    .unwrap();
    assert_eq!(t.bucket_seconds, 1);
    assert_eq!(t.buckets, vec![[1, 0, 1, 0, 0]]);
    assert_eq!(t.start * 1_000_000, us("2024-03-05T02:00:13Z"));
    assert_eq!(t.first, "2024-03-05T02:00:13.250Z");
    assert_eq!(t.first, t.last);
    assert_eq!(t.without_time, 1);
    assert_eq!(t.timed(), 2);
}

#[test]
fn status_classes() {
    assert_eq!(class_index(200), 0);
    assert_eq!(class_index(206), 0);
    assert_eq!(class_index(304), 1);
    assert_eq!(class_index(404), 2);
    assert_eq!(class_index(503), 3);
    assert_eq!(class_index(0), 4);
    assert_eq!(class_index(100), 4);
    assert_eq!(class_index(999), 4);
}

#[test]
fn widths_are_nice_and_keep_at_most_120_buckets() {
    let t0 = us("2024-01-01T00:00:00Z");
    let s = 1_000_000i64;
    // (span in seconds, expected width)
    for (span, width) in [
        (0, 1),
        (119, 1),
        (120, 5),
        (599, 5),
        (600, 10),
        (1_199, 10),
        (3_000, 30),
        (7_000, 60),
        (35_000, 300),
        (100_000, 900),
        (400_000, 3600),
        (2_000_000, 6 * 3600),
        (10_000_000, 86_400),
        (60_000_000, 7 * 86_400),
        (300_000_000, 30 * 86_400),
        (3_000_000_000, 365 * 86_400),
    ] {
        assert_eq!(bucket_width(t0, t0 + span * s), width, "span {span} s");
        let tl = Timeline::from_requests([(Some(t0), 200), (Some(t0 + span * s), 200)].into_iter())
            .unwrap();
        assert!(tl.buckets.len() <= MAX_BUCKETS, "span {span} s");
        assert_eq!(tl.bucket_seconds, width);
    }
    // Alignment can add a bucket: 119 s starting mid-bucket needs 5 s buckets.
    let mid = t0 + s / 2;
    assert_eq!(bucket_width(mid, mid + 119 * s), 1);
    assert_eq!(bucket_width(t0 + 30 * s, t0 + 30 * s + 599 * s), 5);
    assert_eq!(bucket_width(t0 + 3 * s, t0 + 3 * s + 599 * s), 10);
    // Damaged logs far apart in time still get a bounded timeline.
    let far = Timeline::from_requests(
        [
            (Some(us("0001-01-01T00:00:00Z")), 200),
            (Some(us("9999-12-31T23:59:59Z")), 500),
        ]
        .into_iter(),
    )
    .unwrap();
    assert!(far.buckets.len() <= MAX_BUCKETS);
    assert!(far.bucket_seconds > 365 * 86_400);
    assert_eq!(far.timed(), 2);
    assert_eq!(far.buckets[0][0], 1);
    assert_eq!(far.buckets.last().unwrap()[3], 1);
}

#[test]
fn buckets_count_each_request_once_by_class() {
    let t = timeline(&[
        (Some("2024-01-01T00:00:00Z"), 200),
        (Some("2024-01-01T00:00:04.999999Z"), 404),
        (Some("2024-01-01T00:00:05Z"), 0),
        (Some("2024-01-01T00:10:00Z"), 503),
        (Some("2024-01-01T00:10:00Z"), 304),
        (None, 200),
    ])
    .unwrap();
    // 600 s: 5 s buckets would be 121 of them, so 10 s.
    assert_eq!(t.bucket_seconds, 10);
    assert_eq!(t.buckets.len(), 61);
    assert_eq!(t.buckets[0], [1, 0, 1, 0, 1]);
    assert_eq!(t.buckets[60], [0, 1, 0, 1, 0]);
    assert!(t.buckets[1..60].iter().all(|b| *b == [0; 5]));
    assert_eq!(t.timed(), 5);
    assert_eq!(t.without_time, 1);
    assert_eq!(t.first, "2024-01-01T00:00:00Z");
    assert_eq!(t.last, "2024-01-01T00:10:00Z");
}

#[test]
fn a_range_of_buckets_is_an_inclusive_filter() {
    let t = timeline(&[
        (Some("2024-01-01T00:00:00Z"), 200),
        (Some("2024-01-01T00:01:00Z"), 200),
    ])
    .unwrap();
    assert_eq!(t.bucket_seconds, 1);
    assert_eq!(
        t.range_of_buckets(12, 10),
        (
            "2024-01-01T00:00:10Z".to_string(),
            "2024-01-01T00:00:12.999999Z".to_string()
        )
    );
}

/// Requests at 0, 1, 2 … 9 minutes; request `i` answered 200 when even, 500 when odd; one
/// request without time.
fn dataset() -> (Dataset, Correlation) {
    let mut ds = Dataset::new();
    let input = ds.add_input("server.log", "test", 1.0);
    for i in 0..10u32 {
        ds.sink(input).event(RawEvent {
            time: Timestamp::parse(&format!("2024-01-01T00:{i:02}:00Z")),
            source: SourceKind::Server,
            service: Service::Blob,
            method: Method::Get,
            operation: "GetBlob".to_string().into(),
            status: if i % 2 == 0 { 200 } else { 500 },
            client_request_id: format!("aaaaaaaa-0000-0000-0000-{i:012}").into(),
            ..Default::default()
        });
    }
    ds.sink(input).event(RawEvent {
        time: None,
        source: SourceKind::Server,
        service: Service::Blob,
        method: Method::Get,
        status: 200,
        client_request_id: "bbbbbbbb-0000-0000-0000-000000000000".to_string().into(),
        ..Default::default()
    });
    ds.finish();
    let c = Correlation::build(&ds);
    (ds, c)
}

#[test]
fn built_from_the_request_index_and_agrees_with_the_table_filter() {
    let (ds, c) = dataset();
    let idx = RequestIndex::build(&ds, &c);
    assert_eq!(idx.len(), 11);
    let t = Timeline::build(&idx).unwrap();
    assert_eq!(t.bucket_seconds, 5);
    assert_eq!(t.buckets.len(), 109);
    assert_eq!(t.timed(), 10);
    assert_eq!(t.without_time, 1);
    // Buckets 12..=47 (00:01:00 to 00:03:59.999999) hold the requests of minutes 1, 2 and 3.
    let (from, to) = t.range_of_buckets(12, 47);
    let in_bars: u64 = t.buckets[12..=47]
        .iter()
        .map(|b| b.iter().map(|&n| n as u64).sum::<u64>())
        .sum();
    assert_eq!(in_bars, 3);
    let q = TableQuery {
        from: Some(from),
        to: Some(to),
        ..TableQuery::default()
    };
    assert_eq!(idx.query(&ds, &q).len(), 3);
    // A time filter leaves out the request without a time.
    let q = TableQuery {
        from: Some(t.first.clone()),
        ..TableQuery::default()
    };
    assert_eq!(idx.query(&ds, &q).len(), 10);
}
