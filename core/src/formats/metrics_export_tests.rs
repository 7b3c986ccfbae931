use std::collections::BTreeMap;

use super::*;
use crate::ingest::analyze_bytes;
use crate::model::{Dataset, EventView};
use crate::Ingest;

use crate::formats::server_formats_testkit as kit;

const WIDE: &[u8] =
    include_bytes!("../../fixtures/metrics-export/transactions-by-responsetype-wide.csv");
const LONG: &[u8] = include_bytes!("../../fixtures/metrics-export/transactions-long.csv");
const CLASSIC: &[u8] =
    include_bytes!("../../fixtures/metrics-export/MetricsHourPrimaryTransactionsBlob.csv");
const SINGLE: &[u8] = include_bytes!("../../fixtures/metrics-export/single-series-semicolon.csv");
const PERCENT: &[u8] = include_bytes!("../../fixtures/metrics-export/classic-percentages-only.csv");

const FIXTURES: [(&str, &[u8]); 5] = [
    ("transactions-by-responsetype-wide.csv", WIDE),
    ("transactions-long.csv", LONG),
    ("MetricsHourPrimaryTransactionsBlob.csv", CLASSIC),
    ("single-series-semicolon.csv", SINGLE),
    ("classic-percentages-only.csv", PERCENT),
];

fn ingest(name: &str, bytes: &[u8], format: Option<&str>, opts: &[(&str, &str)]) -> Dataset {
    let options: BTreeMap<String, String> = opts
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let mut ing = Ingest::new();
    ing.begin_with_options(name, format, &options).unwrap();
    ing.feed(bytes);
    ing.finish()
}

fn count(v: &EventView<'_>) -> f64 {
    v.extra(Field::Count).unwrap().parse().unwrap()
}

/// Sum of counts per response type, in a stable order.
fn totals(ds: &Dataset) -> BTreeMap<&'static str, f64> {
    let mut m = BTreeMap::new();
    for v in ds.iter() {
        *m.entry(v.ev.response_type.as_str()).or_insert(0.0) += count(&v);
    }
    m
}

fn skipped_lines(ds: &Dataset) -> Vec<u64> {
    ds.inputs[0].skipped.iter().map(|s| s.line).collect()
}

#[test]
fn detection_picks_this_format() {
    for (name, bytes) in FIXTURES {
        kit::assert_detected_as("metrics-export", name, bytes);
    }
    // Request-log exports and other tables are not metrics.
    let la = include_bytes!("../../fixtures/log-analytics-export/StorageBlobLogs-export.csv");
    assert_eq!(kit::confidence("metrics-export", la), 0.0);
    let asim = include_bytes!(
        "../../fixtures/samples/log-analytics-export-csv_header-and-row_ASIM-example.csv"
    );
    assert_eq!(kit::confidence("metrics-export", asim), 0.0);
    assert_eq!(kit::confidence("metrics-export", b"{\"value\":[]}"), 0.0);
}

#[test]
fn wide_chart_export() {
    let (ds, _) = analyze_bytes("w.csv", WIDE, None).unwrap();
    let info = &ds.inputs[0];
    assert!(ds.iter().all(|v| v.ev.source == SourceKind::Metrics));
    assert_eq!(ds.events.len(), 14);
    let t = totals(&ds);
    assert_eq!(t["Success"], 1520.0 + 1498.0 + 1210.0 + 1602.0);
    assert_eq!(t["ClientOtherError"], 37.0 + 41.0 + 388.0 + 35.0);
    assert_eq!(t["AuthorizationError"], 3.0 + 212.0);
    assert_eq!(t["ThrottlingError"], 2.0 + 45.0 + 9.0 + 1.0);
    let first = ds.view(0);
    assert_eq!(first.time().unwrap().to_string(), "2024-03-05T00:00:00Z");
    assert_eq!(first.ev.line, 3);
    assert_eq!(skipped_lines(&ds), vec![1, 6, 7, 9]);
    let reasons: Vec<&str> = info.skipped.iter().map(|s| s.reason.as_str()).collect();
    assert!(reasons[0].contains("title"));
    assert!(reasons[1].contains("'not a date'"));
    assert!(reasons[2].contains("no transactions"));
    assert!(reasons[3].contains("3 cells"));
    assert!(info
        .notices
        .iter()
        .any(|n| n.contains("Ingress (Avg)") && n.contains("value=")));
}

#[test]
fn long_export_with_dimensions() {
    let (ds, _) = analyze_bytes("l.csv", LONG, None).unwrap();
    assert_eq!(ds.events.len(), 10);
    assert_eq!(skipped_lines(&ds), vec![5, 11]);
    let v = ds.iter().find(|v| v.ev.line == 4).unwrap();
    assert_eq!(v.operation(), "GetBlobProperties");
    assert_eq!(v.ev.auth, AuthKind::Sas);
    assert_eq!(v.ev.response_type, ResponseType::ClientOtherError);
    assert_eq!(count(&v), 190.0);
    let v = ds.iter().find(|v| v.ev.line == 9).unwrap();
    assert_eq!(
        v.ev.response_type,
        ResponseType::ThrottlingError,
        "bandwidth throttling"
    );
    assert_eq!(v.ev.auth, AuthKind::OAuth);
    let v = ds.iter().find(|v| v.ev.line == 12).unwrap();
    assert_eq!(
        v.ev.response_type,
        ResponseType::Unknown,
        "an unknown series name"
    );
    assert_eq!(v.extra(Field::Note), Some("SomethingNew"));
    let v = ds.iter().find(|v| v.ev.line == 13).unwrap();
    assert_eq!(v.extra(Field::Count), Some("1.5"));
}

#[test]
fn classic_table_counts_each_transaction_once() {
    let (ds, _) = analyze_bytes("c.csv", CLASSIC, None).unwrap();
    let info = &ds.inputs[0];
    assert_eq!(ds.events.len(), 12);
    assert_eq!(skipped_lines(&ds), vec![2, 7, 8]);
    assert!(info.skipped[0].reason.contains("'All' row"));
    assert!(info.skipped[1].reason.contains("no transactions"));
    // Hour 01: from the GetBlob and PutBlob rows (the All row is skipped), plus system;All.
    let hour1: f64 = ds
        .iter()
        .filter(|v| v.time().unwrap().to_string() == "2024-03-05T01:00:00Z")
        .map(|v| count(&v))
        .sum();
    assert_eq!(hour1, 300.0 + 25.0 + 3.0 + 900.0 + 40.0 + 12.0 + 14.0);
    let v = ds
        .iter()
        .find(|v| v.extra(Field::Note) == Some("SASClientOtherError"))
        .unwrap();
    assert_eq!(v.operation(), "GetBlob");
    assert_eq!(v.ev.auth, AuthKind::Sas);
    assert_eq!(v.ev.response_type, ResponseType::ClientOtherError);
    // Hour 02 has only its All row: used, with no operation name.
    let v = ds
        .iter()
        .find(|v| v.extra(Field::Note) == Some("AnonymousClientOtherError"))
        .unwrap();
    assert_eq!(v.operation(), "");
    assert_eq!(v.ev.auth, AuthKind::Anonymous);

    let (ds, _) = analyze_bytes("p.csv", PERCENT, None).unwrap();
    let t = totals(&ds);
    assert_eq!(t["Success"], 1910.0);
    assert_eq!(t["ClientOtherError"], 70.0);
    assert_eq!(t["AuthorizationError"], 15.0);
    assert_eq!(t["ThrottlingError"], 5.0);
    assert_eq!(skipped_lines(&ds), vec![3]);
}

#[test]
fn single_series_with_options() {
    let (ds, _) = analyze_bytes("s.csv", SINGLE, None).unwrap();
    assert_eq!(ds.events.len(), 3);
    assert_eq!(skipped_lines(&ds), vec![5]);
    let t = totals(&ds);
    assert_eq!(t[""], 1204.0 + 987.0 + 1100.0, "no response type named");
    assert_eq!(
        ds.view(0).time().unwrap().to_string(),
        "2024-03-05T01:00:00Z",
        "dotted dates are day first"
    );
    assert!(ds.inputs[0]
        .notices
        .iter()
        .all(|n| !n.contains("dates=dmy")));
    let ds = ingest(
        "s.csv",
        SINGLE,
        None,
        &[("response_type", "ClientOtherError")],
    );
    assert_eq!(totals(&ds)["ClientOtherError"], 3291.0);
}

#[test]
fn columns_mapped_by_the_user() {
    // Headers in another language: nothing to detect, so the user names the columns.
    let wide = "Zeitstempel;Anzahl (Summe)\n05.03.2024 01:00;12\n05.03.2024 02:00;7\n";
    let (ds, _) = analyze_bytes("de.csv", wide.as_bytes(), Some("metrics-export")).unwrap();
    assert!(ds.events.is_empty());
    assert!(ds.inputs[0].skipped[0].reason.contains("time=<column>"));
    let ds = ingest(
        "de.csv",
        wide.as_bytes(),
        Some("metrics-export"),
        &[
            ("time", "Zeitstempel"),
            ("value", "Anzahl (Summe)"),
            ("response_type", "AuthorizationError"),
            ("service", "queue"),
        ],
    );
    assert_eq!(ds.events.len(), 2);
    assert!(ds.iter().all(|v| v.ev.service == Service::Queue));
    assert_eq!(totals(&ds)["AuthorizationError"], 19.0);

    let long = "Zeit,Antworttyp,Anzahl,Region\n2024-03-05T01:00:00Z,Success,90,eu\n2024-03-05T01:00:00Z,ClientOtherError,10,eu\n";
    let ds = ingest(
        "l.csv",
        long.as_bytes(),
        Some("metrics-export"),
        &[
            ("time", "Zeit"),
            ("series", "Antworttyp"),
            ("value", "Anzahl"),
        ],
    );
    let t = totals(&ds);
    assert_eq!((t["Success"], t["ClientOtherError"]), (90.0, 10.0));
    // Several value columns of a wide export, separated by '|'.
    let wide = "t,a,b,c\n2024-03-05T01:00:00Z,1,2,3\n";
    let ds = ingest(
        "w.csv",
        wide.as_bytes(),
        Some("metrics-export"),
        &[("time", "t"), ("value", "a|c")],
    );
    assert_eq!(ds.events.len(), 2);
}

#[test]
fn response_type_names() {
    assert_eq!(response_type("Success"), Some(ResponseType::Success));
    assert_eq!(
        response_type("SuccessWithThrottling"),
        Some(ResponseType::Success)
    );
    assert_eq!(
        response_type("SASClientOtherError"),
        Some(ResponseType::ClientOtherError)
    );
    assert_eq!(
        response_type("ClientAccountRequestThrottlingError"),
        Some(ResponseType::ThrottlingError)
    );
    assert_eq!(
        response_type("ServerBusyError"),
        Some(ResponseType::ThrottlingError)
    );
    assert_eq!(response_type("SuccessE2ELatency"), None);
    assert_eq!(response_type("Transactions"), None);
    assert_eq!(
        header_response_type("Transactions (Sum) ResponseType = NetworkError"),
        Some(ResponseType::NetworkError)
    );
    assert_eq!(
        header_response_type("acct - Transactions - ClientOtherError"),
        Some(ResponseType::ClientOtherError)
    );
    assert_eq!(header_response_type("SuccessE2ELatency (Avg)"), None);
    assert_eq!(
        dimension("Transactions ApiName=GetBlob, x", "ApiName"),
        Some("GetBlob")
    );
    assert_eq!(dimension("ApiName", "ApiName"), None);
}

#[test]
fn same_events_at_every_split_point() {
    for (name, bytes) in FIXTURES {
        crate::testing::assert_split_invariant(name, bytes, None, 1_500);
    }
}

#[test]
fn snapshot_of_normalized_events() {
    let mut out = String::new();
    for (name, bytes) in FIXTURES {
        let ds = crate::testing::ingest_in_slices(name, bytes, None, 1 << 20);
        out.push_str(&crate::testing::dump(&ds));
    }
    insta::assert_snapshot!(out);
}

#[test]
fn no_panic_on_damaged_input() {
    for (_, bytes) in FIXTURES {
        kit::assert_survives_damage("metrics-export", bytes);
    }
}

#[test]
fn summary_success_rates_come_from_metrics_counts() {
    // Wide fixture: Success 5830, ClientOtherError 501, AuthorizationError 215, throttling 57.
    let (_, report) = analyze_bytes("w.csv", WIDE, None).unwrap();
    let total = 5830.0 + 501.0 + 215.0 + 57.0;
    let round1 = |x: f64| (x * 10.0).round() / 10.0;
    assert_eq!(
        report.summary.success_percent,
        Some(round1(5830.0 * 100.0 / total))
    );
    assert_eq!(
        report.summary.adjusted_success_percent,
        Some(round1((5830.0 + 501.0) * 100.0 / total))
    );
    // Series of unknown class do not count: a single unsplit total gives no rate.
    let (_, report) = analyze_bytes("s.csv", SINGLE, None).unwrap();
    assert_eq!(report.summary.success_percent, None);

    // With a server log, the rates come from its requests as before; the metrics are ignored.
    let server = include_bytes!("../../fixtures/storage-analytics/contoso-hour.log");
    let mut ing = Ingest::new();
    ing.begin("contoso-hour.log", None).unwrap();
    ing.feed(server);
    let server_only = crate::Report::build(&ing.finish()).summary;
    let mut ing = Ingest::new();
    ing.begin("contoso-hour.log", None).unwrap();
    ing.feed(server);
    ing.begin("w.csv", None).unwrap();
    ing.feed(WIDE);
    let both = crate::Report::build(&ing.finish()).summary;
    assert!(server_only.success_percent.is_some());
    assert_eq!(both.success_percent, server_only.success_percent);
    assert_eq!(
        both.adjusted_success_percent,
        server_only.adjusted_success_percent
    );
}

#[test]
fn non_ascii_sep_line_is_not_a_delimiter() {
    // Found by fuzzing: `sep=` followed by a multi-byte character took its first byte as the
    // delimiter, and splitting the next line there cut a character in two and panicked.
    for text in [
        "sep=\u{e9}\n\u{e9}",
        "sep=\u{20ac}\nTime\u{20ac}Transactions\n2024-05-02T10:00:00Z\u{20ac}3\n",
    ] {
        let (ds, _) = analyze_bytes("m.csv", text.as_bytes(), Some("metrics-export")).unwrap();
        assert_eq!(ds.events.len(), 0, "{text:?}");
    }
}

#[test]
fn date_with_a_huge_year_is_skipped() {
    // Found by fuzzing: a dotted date with a seven-digit year overflowed the time arithmetic.
    let text = b"Time,\n\xff\n5.03.2021602,\n";
    let (ds, _) = analyze_bytes("m.csv", text, Some("metrics-export")).unwrap();
    assert_eq!(ds.events.len(), 0);
}
