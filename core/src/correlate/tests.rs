use super::*;
use crate::model::{EventSink, Method, RawEvent, Service};

const T0: i64 = 1_717_406_000_000_000; // 2024-06-03T09:13:20Z, in microseconds

fn at(secs: f64) -> Option<Timestamp> {
    Some(Timestamp(T0).add_seconds(secs))
}

struct Obs<'a> {
    secs: f64,
    source: SourceKind,
    method: Method,
    op: &'a str,
    blob: &'a str,
    status: u16,
    crid: &'a str,
    rid: &'a str,
}

fn push(ds: &mut Dataset, input: u16, line: u32, o: Obs<'_>) {
    let url = format!("https://acct.blob.core.windows.net/photos/{}", o.blob);
    let mut ev = RawEvent {
        time: at(o.secs),
        source: o.source,
        service: Service::Blob,
        method: o.method,
        operation: o.op.into(),
        resource: format!("/acct/photos/{}", o.blob).into(),
        status: o.status,
        client_request_id: o.crid.into(),
        request_id: o.rid.into(),
        ..Default::default()
    };
    if o.source != SourceKind::Server {
        ev.url = url.into();
    }
    ev.location.line = line;
    ds.sink(input).event(ev);
}

const CRID_RETRY: &str = "813ea74f-1c2d-4e5f-8a9b-0c1d2e3f4a5b";

/// A client (clock 3 s ahead), a browser HAR (clock 2.5 s behind) and the server log of the same
/// incident: a delete whose first attempt succeeded unseen and whose retry got 404, plus ordinary
/// traffic, and one HAR entry that carries no id at all.
fn incident() -> (Dataset, u16, u16, u16) {
    let mut ds = Dataset::new();
    let client = ds.add_input("app.log", "test-client", 1.0);
    let har = ds.add_input("browser.har", "test-har", 1.0);
    let server = ds.add_input("blob.log", "test-server", 1.0);
    let (c_skew, h_skew) = (3.0, -2.5);
    // Ordinary reads, observed by all three (the HAR only has the client request id).
    for k in 0..6 {
        let t = 10.0 * k as f64;
        let crid = format!("aaaaaaaa-0000-4000-8000-00000000000{k}");
        let rid = format!("bbbbbbbb-0000-4000-8000-00000000000{k}");
        let blob = format!("img{k}.png");
        let o = |source, secs| Obs {
            secs,
            source,
            method: Method::Get,
            op: if source == SourceKind::Server {
                "GetBlob"
            } else {
                ""
            },
            blob: &blob,
            status: 200,
            crid: &crid,
            rid: if source == SourceKind::Network {
                ""
            } else {
                &rid
            },
        };
        push(&mut ds, server, 100 + k, o(SourceKind::Server, t + 0.02));
        push(&mut ds, client, 100 + k, o(SourceKind::Client, t + c_skew));
        push(
            &mut ds,
            har,
            100 + k,
            o(SourceKind::Network, t + h_skew + 0.01),
        );
    }
    // The delete: attempt 1 succeeds on the server, the client sees a timeout; attempt 2 is 404.
    let del = |source, secs, status, rid| Obs {
        secs,
        source,
        method: Method::Delete,
        op: if source == SourceKind::Server {
            "DeleteBlob"
        } else {
            ""
        },
        blob: "old.png",
        status,
        crid: CRID_RETRY,
        rid,
    };
    let r1 = "7e84f12d-0001-4000-8000-000000000001";
    let r2 = "7e84f12d-0001-4000-8000-000000000002";
    push(&mut ds, server, 200, del(SourceKind::Server, 70.0, 202, r1));
    push(
        &mut ds,
        server,
        201,
        del(SourceKind::Server, 100.0, 404, r2),
    );
    push(
        &mut ds,
        client,
        200,
        del(SourceKind::Client, 70.0 + c_skew, 0, ""),
    );
    push(
        &mut ds,
        client,
        201,
        del(SourceKind::Client, 100.0 + c_skew, 404, r2),
    );
    push(
        &mut ds,
        har,
        200,
        del(SourceKind::Network, 70.0 + h_skew, 0, ""),
    );
    push(
        &mut ds,
        har,
        201,
        del(SourceKind::Network, 100.0 + h_skew, 404, ""),
    );
    // A HAR entry with no id at all, and its server row.
    let bare = |source, secs, crid, rid| Obs {
        secs,
        source,
        method: Method::Put,
        op: if source == SourceKind::Server {
            "PutBlob"
        } else {
            ""
        },
        blob: "new.png",
        status: 201,
        crid,
        rid,
    };
    push(
        &mut ds,
        server,
        300,
        bare(
            SourceKind::Server,
            130.0,
            "cccccccc-0000-4000-8000-000000000001",
            "dddddddd-0000-4000-8000-000000000001",
        ),
    );
    push(
        &mut ds,
        har,
        300,
        bare(SourceKind::Network, 130.0 + h_skew, "", ""),
    );
    ds.finish();
    (ds, client, har, server)
}

fn find(ds: &Dataset, input: u16, line: u32) -> usize {
    ds.iter()
        .find(|v| v.ev.input == input && v.ev.line == line)
        .map(|v| v.index)
        .expect("event present")
}

#[test]
fn joins_client_network_and_server_observations_of_a_retry_chain() {
    let (ds, client, har, server) = incident();
    let c = Correlation::build(&ds);
    let s404 = find(&ds, server, 201);
    let req = c.request_for(s404).unwrap();
    assert_eq!(req.events.len(), 6, "all six observations of the delete");
    assert!(req.sources.contains(SourceKind::Client));
    assert!(req.sources.contains(SourceKind::Network));
    assert!(req.sources.contains(SourceKind::Server));
    assert_eq!(req.sources.len(), 3);
    assert_eq!(req.joined_by, JoinedBy::ClientRequestId);
    assert_eq!(req.attempt_count(), 2);
    let first: Vec<usize> = req.attempt(0).iter().map(|&i| i as usize).collect();
    let second: Vec<usize> = req.attempt(1).iter().map(|&i| i as usize).collect();
    assert_eq!(first.len(), 3);
    assert!(first.contains(&find(&ds, server, 200)));
    assert!(first.contains(&find(&ds, client, 200)));
    assert!(first.contains(&find(&ds, har, 200)));
    assert_eq!(second.len(), 3);
    assert!(second.contains(&s404));
    assert!(second.contains(&find(&ds, client, 201)));
    assert!(second.contains(&find(&ds, har, 201)));
    // The service's row speaks for each attempt.
    assert_eq!(
        Request::primary(&ds, req.attempt(0)) as usize,
        find(&ds, server, 200)
    );
    assert_eq!(req.retry_chains(&ds), vec![vec![0, 1]]);
}

#[test]
fn estimates_each_inputs_clock_skew() {
    let (ds, client, har, _) = incident();
    let c = Correlation::build(&ds);
    let cs = c.skew_of(client).unwrap();
    let hs = c.skew_of(har).unwrap();
    assert!((cs - 3.0).abs() < 1.0, "client skew {cs}");
    assert!((hs + 2.5).abs() < 1.0, "har skew {hs}");
    let e = c.skew.iter().find(|s| s.input == client).unwrap();
    assert_eq!(e.basis, SkewBasis::MatchedRequests);
    assert!(e.pairs >= 6);
    // Corrected times land on the service's clock.
    let ct = c.corrected_time(&ds, find(&ds, client, 201)).unwrap();
    assert!((ct.seconds_since(Timestamp(T0)) - 100.0).abs() < 1.0);
}

#[test]
fn matches_an_observation_without_ids_by_time_operation_and_resource() {
    let (ds, _, har, server) = incident();
    let c = Correlation::build(&ds);
    let bare = find(&ds, har, 300);
    let req = c.request_for(bare).unwrap();
    assert_eq!(req.joined_by, JoinedBy::Time);
    assert_eq!(req.attempt_count(), 1);
    assert!(req.events.contains(&(find(&ds, server, 300) as u32)));
}

#[test]
fn does_not_join_by_time_across_different_resources_or_far_times() {
    let mut ds = Dataset::new();
    let har = ds.add_input("b.har", "t", 1.0);
    let server = ds.add_input("s.log", "t", 1.0);
    let o = |source, secs, blob, rid| Obs {
        secs,
        source,
        method: Method::Put,
        op: if source == SourceKind::Server {
            "PutBlob"
        } else {
            ""
        },
        blob,
        status: 201,
        crid: "",
        rid,
    };
    push(
        &mut ds,
        server,
        1,
        o(SourceKind::Server, 0.0, "a.png", "r-1"),
    );
    push(&mut ds, har, 1, o(SourceKind::Network, 0.5, "b.png", ""));
    push(&mut ds, har, 2, o(SourceKind::Network, 300.0, "a.png", ""));
    ds.finish();
    let c = Correlation::build(&ds);
    assert_eq!(c.requests.len(), 3);
    assert!(c.requests.iter().all(|r| r.joined_by == JoinedBy::Alone));
}

#[test]
fn different_operations_under_one_client_request_id_are_not_retries() {
    // CreateIfNotExists: HEAD 404 then PUT 201, one client request id.
    let mut ds = Dataset::new();
    let s = ds.add_input("s.log", "t", 1.0);
    for (line, secs, op, status, rid) in [
        (1, 0.0, "GetContainerProperties", 404, "r-1"),
        (2, 0.1, "CreateContainer", 201, "r-2"),
    ] {
        ds.sink(s).event(RawEvent {
            time: at(secs),
            source: SourceKind::Server,
            operation: op.into(),
            resource: "/acct/photos".into(),
            status,
            client_request_id: "e2d06d78-0000-4000-8000-000000000001".into(),
            request_id: rid.into(),
            location: crate::model::Location { line, offset: 0 },
            ..Default::default()
        });
    }
    ds.finish();
    let c = Correlation::build(&ds);
    assert_eq!(c.requests.len(), 1);
    assert_eq!(c.requests[0].attempt_count(), 2);
    assert!(c.requests[0].retry_chains(&ds).is_empty());
}

#[test]
fn header_dates_give_a_skew_without_a_server_log() {
    let mut ds = Dataset::new();
    let client = ds.add_input("c.log", "t", 1.0);
    for k in 0..3 {
        let mut ev = RawEvent {
            time: at(k as f64),
            source: SourceKind::Client,
            url: "https://acct.blob.core.windows.net/c/b".into(),
            status: 200,
            ..Default::default()
        };
        // The client's x-ms-date runs 120 s ahead of the service's Date header.
        ev.push(
            Field::RequestDate,
            Timestamp(T0).add_seconds(k as f64 + 120.0).to_http_date(),
        );
        ev.push(
            Field::ResponseDate,
            Timestamp(T0).add_seconds(k as f64).to_http_date(),
        );
        ds.sink(client).event(ev);
    }
    ds.finish();
    let c = Correlation::build(&ds);
    let e = &c.skew[0];
    assert_eq!(e.basis, SkewBasis::HttpDates);
    assert!((e.seconds - 120.0).abs() < 1.0);
}

#[test]
fn header_dates_of_long_transfers_are_not_read_as_skew() {
    // Clocks in agreement; each upload takes 67 s, so the service's Date is 67 s after the
    // x-ms-date the client signed with. The client's measured duration accounts for it.
    let mut ds = Dataset::new();
    let client = ds.add_input("c.log", "t", 1.0);
    for k in 0..3 {
        let start = k as f64 * 100.0;
        let mut ev = RawEvent {
            time: at(start),
            source: SourceKind::Client,
            url: "https://acct.blob.core.windows.net/c/b".into(),
            status: 201,
            e2e_ms: Some(67_400.0),
            ..Default::default()
        };
        ev.push(
            Field::RequestDate,
            Timestamp(T0).add_seconds(start).to_http_date(),
        );
        ev.push(
            Field::ResponseDate,
            Timestamp(T0).add_seconds(start + 67.0).to_http_date(),
        );
        ds.sink(client).event(ev);
    }
    ds.finish();
    let c = Correlation::build(&ds);
    assert_eq!(c.skew[0].basis, SkewBasis::HttpDates);
    assert!(c.skew[0].seconds.abs() <= 1.0, "{:?}", c.skew[0]);
}

#[test]
fn upper_case_guid_joins_lower_case_guid() {
    let mut ds = Dataset::new();
    let a = ds.add_input("a", "t", 1.0);
    for (src, crid) in [
        (SourceKind::Client, "ABCDEF01-2345-4678-89AB-CDEF01234567"),
        (SourceKind::Server, "abcdef01-2345-4678-89ab-cdef01234567"),
    ] {
        ds.sink(a).event(RawEvent {
            time: at(0.0),
            source: src,
            client_request_id: crid.into(),
            ..Default::default()
        });
    }
    let c = Correlation::build(&ds);
    assert_eq!(c.requests.len(), 1);
}

#[test]
fn the_report_summary_lists_each_inputs_skew() {
    let (ds, _, _, _) = incident();
    let r = crate::report::Report::build(&ds);
    let skew = &r.summary.clock_skew;
    assert_eq!(skew.len(), 2, "{skew:?}");
    let app = skew.iter().find(|s| s.source == "app.log").unwrap();
    assert!((app.seconds - 3.0).abs() < 1.0);
    let har = skew.iter().find(|s| s.source == "browser.har").unwrap();
    assert!((har.seconds + 2.5).abs() < 1.0);
}

/// Server rows with the given request ids (empty: none), one second apart.
fn server_rows(rids: &[&str]) -> Dataset {
    let mut ds = Dataset::new();
    let input = ds.add_input("server.log", "storage-analytics", 1.0);
    for (n, rid) in rids.iter().enumerate() {
        push(
            &mut ds,
            input,
            n as u32 + 1,
            Obs {
                secs: n as f64,
                source: SourceKind::Server,
                method: Method::Get,
                op: "GetBlob",
                blob: "a.txt",
                status: 200,
                crid: "",
                rid,
            },
        );
    }
    ds.finish();
    ds
}

#[test]
fn ids_with_one_fingerprint_are_still_told_apart() {
    // The fingerprint collision path never runs on real ids; give every id the same
    // fingerprint and the classes must still follow the ids.
    let a = "8e8f7bd4-2a1e-4b1f-9c55-6d9f2f6e0a01";
    let b = "8e8f7bd4-2a1e-4b1f-9c55-6d9f2f6e0a02";
    let ds = server_rows(&[a, b, a, "not-a-guid", b, "not-a-guid", ""]);
    let packing = Packing::for_events(ds.events.len());
    let keyed: Vec<u64> = (0..ds.events.len())
        .filter(|&i| rid_of(&ds.view(i)).is_some())
        .map(|i| packing.pack(7 << 40, i))
        .collect();
    let classes = IdClasses::from_keyed(&ds, packing, keyed, rid_of, &mut Vec::new());
    let got: Vec<Option<u32>> = (0..ds.events.len() as u32)
        .map(|i| classes.get(i))
        .collect();
    assert_eq!(
        got,
        vec![Some(0), Some(1), Some(0), Some(3), Some(1), Some(3), None]
    );
    // The real fingerprints give the same classes.
    let (real, _) = IdClasses::build_both(&ds);
    let again: Vec<Option<u32>> = (0..ds.events.len() as u32).map(|i| real.get(i)).collect();
    assert_eq!(again, got);
}

#[test]
fn packed_keys_give_back_their_index_and_fingerprint_bits() {
    for n in [1usize, 2, 7, 1000, 826_210, u32::MAX as usize] {
        let p = Packing::for_events(n);
        for i in [0, n / 2, n - 1] {
            let fp = 0xdead_beef_f00d_cafe_u64;
            let k = p.pack(fp, i);
            assert_eq!(p.index(k) as usize, i, "n={n}");
            assert_eq!(p.fingerprint(k), fp >> p.index_bits, "n={n}");
        }
        // Same fingerprint: the lower index sorts first.
        assert!(p.pack(5 << 40, 0) < p.pack(5 << 40, n - 1) || n == 1);
    }
}

#[test]
fn the_radix_sort_orders_as_a_full_sort() {
    // Above the size where the radix passes start, with clustered and spread fingerprints and
    // repeated ones.
    let mut x: u64 = 0x1234_5678_9abc_def0;
    let mut v: Vec<u64> = (0..70_000u32)
        .map(|i| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let fp = match i % 4 {
                0 => x,
                1 => x & 0xff00_0000_0000_00ff, // many share their leading 16 bits
                2 => (i as u64 / 3) << 40,      // repeats
                _ => u64::MAX - (i as u64 % 5),
            };
            fp ^ i as u64
        })
        .collect();
    let mut want = v.clone();
    want.sort_unstable();
    sort_by_leading_bits(&mut v, &mut Vec::new());
    assert_eq!(v, want);
}

#[test]
fn a_request_keeps_its_events_inline_then_on_the_heap() {
    let mut m = Members::default();
    assert!(m.is_empty());
    for i in 0..10u32 {
        m.push(i * 3);
        assert_eq!(&m[..], &(0..=i).map(|k| k * 3).collect::<Vec<_>>()[..]);
    }
    assert_eq!(m.iter().copied().sum::<u32>(), 135);
    assert_eq!(format!("{:?}", Members::one(5)), "[5]");
}

#[test]
fn attempts_are_kept_inline_or_spilled() {
    // One attempt of two observations stays inline; a second attempt moves the members out.
    let mut r = Request::default();
    assert_eq!(r.attempt_count(), 0);
    r.events.push(7);
    r.events.push(8);
    assert_eq!(r.attempt_count(), 1);
    assert_eq!(r.attempt(0), &[7, 8]);
    r.events.start_attempt();
    r.events.push(9);
    assert_eq!(r.attempt_count(), 2);
    assert_eq!(r.attempt(0), &[7, 8]);
    assert_eq!(r.attempt(1), &[9]);
    assert_eq!(
        r.attempts().collect::<Vec<_>>(),
        vec![&[7, 8][..], &[9][..]]
    );
    assert_eq!(&r.events[..], &[7, 8, 9]);
    // A request costs 24 bytes: a large server log has about one per row.
    assert_eq!(std::mem::size_of::<Request>(), 24);
}

#[test]
fn request_groups_are_ordered_by_root_and_in_time_inside() {
    // Two requests joined by client request id, their rows out of time order in the dataset.
    let mut ds = Dataset::new();
    let input = ds.add_input("client.log", "test", 1.0);
    for (line, secs, crid) in [(1, 5.0, "x"), (2, 1.0, "y"), (3, 3.0, "x"), (4, 2.0, "y")] {
        push(
            &mut ds,
            input,
            line,
            Obs {
                secs,
                source: SourceKind::Client,
                method: Method::Get,
                op: "GetBlob",
                blob: "a.txt",
                status: 200,
                crid,
                rid: "",
            },
        );
    }
    ds.finish();
    let c = Correlation::build(&ds);
    assert_eq!(c.requests.len(), 2);
    for r in &c.requests {
        let times: Vec<_> = r
            .events
            .iter()
            .map(|&i| ds.events[i as usize].time)
            .collect();
        let mut sorted = times.clone();
        sorted.sort();
        assert_eq!(times, sorted, "events of a request in time order");
        assert_eq!(r.events.len(), 2);
    }
    // Requests in dataset order: the first event of the first request comes first.
    assert!(c.requests[0].events[0] < c.requests[1].events[0]);
}

#[test]
fn ingest_marks_text_ids_that_are_no_guid_so_joins_skip_their_text() {
    let upper = "ABCDEF01-2345-4678-89AB-CDEF01234567";
    let ds = server_rows(&[
        "req-7",
        upper,
        "req-7",
        "{abcdef01-2345-4678-89ab-cdef01234567}",
    ]);
    let kind = |i: usize| {
        let (sym, bits) = ds.view(i).request_key().unwrap();
        assert!(sym);
        bits[1]
    };
    assert_eq!(kind(0), crate::model::SYM_ID_NOT_GUID);
    assert_eq!(kind(1), 0, "a GUID in capitals is parsed when joined");
    assert_eq!(
        kind(3),
        crate::model::SYM_ID_NOT_GUID,
        "braces are not read as a GUID"
    );
    assert_eq!(
        rid_of(&ds.view(1)),
        Some(IdKey::Guid(0xabcdef01_2345_4678_89ab_cdef01234567))
    );
    let text = rid_of(&ds.view(0));
    assert!(matches!(text, Some(IdKey::Text(_))));
    assert_eq!(rid_of(&ds.view(2)), text);
    let c = Correlation::build(&ds);
    assert_eq!(c.request_of[0], c.request_of[2]);
    assert_eq!(c.requests.len(), 3);
}
