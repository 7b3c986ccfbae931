use super::*;

fn timeline(start: &str, bucket_seconds: u64, n: usize) -> Timeline {
    Timeline {
        start: Timestamp::parse(start).unwrap().0 / MICROS,
        bucket_seconds,
        buckets: vec![[1, 0, 0, 0, 0]; n],
        first: start.to_string(),
        last: start.to_string(),
        without_time: 0,
    }
}

#[test]
fn markers_are_the_timed_errors_and_warnings() {
    let f = |rule: &str, severity: &str, first: Option<&str>, last: Option<&str>| FindingView {
        rule: rule.into(),
        severity: severity.into(),
        first_seen: first.map(str::to_string),
        last_seen: last.map(str::to_string),
        ..Default::default()
    };
    let m = markers_of(&[
        f(
            "sas-expired",
            "error",
            Some("2024-03-05T02:00:13Z"),
            Some("2024-03-05T02:05:00Z"),
        ),
        f(
            "throttling",
            "warning",
            Some("2024-03-05T02:01:00Z"),
            Some("2024-03-05T02:01:00Z"),
        ),
        f(
            "expected-404",
            "benign",
            Some("2024-03-05T02:00:13Z"),
            Some("2024-03-05T02:05:00Z"),
        ),
        f("cors-blocked", "error", None, None),
        f(
            "odd",
            "error",
            Some("not a time"),
            Some("2024-03-05T02:05:00Z"),
        ),
    ]);
    let rules: Vec<&str> = m.iter().map(|m| m.rule.as_str()).collect();
    assert_eq!(rules, ["sas-expired", "throttling"]);
    assert_eq!(m[0].first, "2024-03-05T02:00:13Z");
    assert_eq!(
        m[0].to - m[0].from,
        (4 * 60 + 47) * MICROS,
        "from and to in µs"
    );
}

#[test]
fn pixels_map_to_buckets_and_back() {
    let t = timeline("2024-01-01T00:00:00Z", 10, 100);
    let s = Scale::new(&t, 2);
    assert_eq!(s.lanes, 2);
    assert!(s.bars_top() > TOP + 2.0 * LANE - 1.0);
    assert_eq!(s.x_of_bucket(0), PAD_L);
    assert!((s.x_of_bucket(100) - (W - PAD_R)).abs() < 1e-9);
    // Anywhere inside a bucket's slot selects that bucket; outside the plot clamps.
    for i in [0, 1, 37, 99] {
        let mid = (s.x_of_bucket(i) + s.x_of_bucket(i + 1)) / 2.0;
        assert_eq!(s.bucket_at(mid), i);
        assert_eq!(s.bucket_of_time(t.bucket_start_micros(i) + 3 * MICROS), i);
        assert!((s.x_of_time(t.bucket_start_micros(i)) - s.x_of_bucket(i)).abs() < 1e-6);
    }
    assert_eq!(s.bucket_at(0.0), 0);
    assert_eq!(s.bucket_at(W), 99);
    assert_eq!(s.bucket_of_time(0), 0);
    assert_eq!(s.bucket_of_time(i64::MAX), 99);
    assert_eq!(s.x_of_time(i64::MIN), PAD_L);
    // Without markers the bars start at the top.
    assert_eq!(Scale::new(&t, 0).bars_top(), TOP);
    assert_eq!(Scale::new(&t, 40).lanes, MAX_LANES);
}

#[test]
fn axis_ticks_are_few_and_round() {
    // 100 buckets of 10 s: 1000 s, ticks every 5 min.
    let t = timeline("2024-01-01T00:00:00Z", 10, 100);
    let (step, ticks) = ticks(&t);
    assert_eq!(step, 300);
    assert_eq!(ticks.len(), 4);
    assert!(ticks.iter().all(|s| s % 300 == 0));
    assert_eq!(tick_label(ticks[1], step, false), "00:05");
    // One 1 s bucket: a tick at its start, labelled to the second.
    let one = timeline("2024-03-05T02:00:13Z", 1, 1);
    let (step, ticks) = super::ticks(&one);
    assert_eq!(step, 1);
    assert_eq!(ticks.len(), 2);
    assert_eq!(tick_label(ticks[0], step, false), "02:00:13");
    // Days are labelled with the date.
    let days = timeline("2024-01-01T00:00:00Z", 86_400, 60);
    let (step, ticks) = super::ticks(&days);
    assert_eq!(step, 30 * 86_400);
    assert!(ticks.len() <= 6);
    assert_eq!(tick_label(1_704_067_200, step, false), "2024-01-01");
}

#[test]
fn words_and_inputs() {
    assert_eq!(width_label(1), "1 s");
    assert_eq!(width_label(300), "5 min");
    assert_eq!(width_label(6 * 3600), "6 h");
    assert_eq!(width_label(86_400), "1 day");
    assert_eq!(width_label(7 * 86_400), "7 days");
    let t = Timestamp::parse("2024-03-05T02:00:13Z").unwrap().0;
    assert_eq!(input_value(t + 500_000, false), "2024-03-05T02:00:13");
    assert_eq!(parse_input("2024-03-05T02:00:13", false, false), Some(t));
    assert_eq!(
        parse_input("2024-03-05T02:00:13", false, true),
        Some(t + 999_999),
        "the end of a range is the whole of its last second"
    );
    // Chromium leaves the seconds out when they are zero.
    assert_eq!(
        parse_input("2024-03-05T02:00", false, false),
        Some(t - 13 * MICROS)
    );
    assert_eq!(parse_input("", false, false), None);
    assert_eq!(parse_input("yesterday", false, false), None);
}
