use super::*;

#[test]
fn parses_iso_with_seven_digits() {
    let t = Timestamp::parse("2014-05-23T06:19:48.1234567Z").unwrap();
    assert_eq!(t.to_string(), "2014-05-23T06:19:48.123456Z");
}

#[test]
fn parses_rfc1123_and_rfc850() {
    let a = Timestamp::parse("Fri, 23 May 2014 06:19:48 GMT").unwrap();
    assert_eq!(a.to_string(), "2014-05-23T06:19:48Z");
    assert_eq!(a.to_http_date(), "Fri, 23 May 2014 06:19:48 GMT");
    let b = Timestamp::parse("Tuesday, 09-Aug-11 21:13:26 GMT").unwrap();
    assert_eq!(b.to_string(), "2011-08-09T21:13:26Z");
}

#[test]
fn parses_offsets_and_space_separator() {
    let a = Timestamp::parse("2024-03-05 02:00:13+01:00").unwrap();
    assert_eq!(a.to_string(), "2024-03-05T01:00:13Z");
    assert_eq!(
        Timestamp::parse("2024-03-05").unwrap().to_string(),
        "2024-03-05T00:00:00Z"
    );
}

#[test]
fn rejects_garbage() {
    for s in [
        "",
        "2024",
        "2024-13-01",
        "2024-02-30T00:00:00Z",
        "x, y",
        "2024-01-01T1",
    ] {
        assert!(Timestamp::parse(s).is_none(), "{s}");
    }
}

#[test]
fn round_trips_many_days() {
    for d in (-800_000i64..800_000).step_by(997) {
        let t = Timestamp(d * 86_400 * 1_000_000);
        let (y, m, dd, ..) = t.civil();
        assert_eq!(Timestamp::from_civil(y, m, dd, 0, 0, 0, 0), Some(t));
    }
}

#[test]
fn years_too_far_out_are_rejected_not_overflowed() {
    // Found by fuzzing (a metrics CSV date `5.03.2021602`): years of up to nine digits reached the
    // day arithmetic and overflowed i64 microseconds.
    assert_eq!(Timestamp::from_civil(202_160_200, 3, 5, 0, 0, 0, 0), None);
    assert_eq!(Timestamp::from_civil(i64::MIN, 1, 1, 0, 0, 0, 0), None);
    assert!(Timestamp::parse("Fri, 23 May 999999999 06:19:48 GMT").is_none());
    assert!(Timestamp::from_civil(9999, 12, 31, 23, 59, 59, 999_999).is_some());
}

#[test]
fn the_usual_shape_reads_as_the_general_parser_reads_it() {
    // Variants of the shape the fast reader takes, and near misses it must leave to the general
    // parser: both paths must agree on each (the general one alone is the reference).
    let base = "2024-02-29T23:59:59.1234567Z";
    let mut cases: Vec<String> = vec![
        base.into(),
        "2024-03-05T00:00:01Z".into(),
        "2024-03-05T00:00:01.5Z".into(),
        "2024-03-05T00:00:01.Z".into(),
        "2024-03-05T00:00:01,5Z".into(),
        "2024-03-05T00:00:01.5z".into(),
        "2023-02-29T00:00:01Z".into(),
        "2024-13-05T00:00:01Z".into(),
        "2024-03-05T24:00:01Z".into(),
        "2024-03-05T00:00:60Z".into(),
        "2024-03-05T00:00:01.12345678901Z".into(),
        " 2024-03-05T00:00:01Z".into(),
        "2024-03-05T00:00:01Z ".into(),
        "2024-03-05T00:00:01+00:00".into(),
        "2024-03-05 00:00:01Z".into(),
    ];
    // Every byte of the base replaced by a character of each kind.
    for i in 0..base.len() {
        for c in ['0', '9', 'a', '-', ':', '.', 'Z', ' ', '/', 'é'] {
            let mut s: String = base[..i].into();
            s.push(c);
            s.push_str(&base[i + 1..]);
            cases.push(s);
        }
    }
    for s in &cases {
        let general = parse_iso(s.trim());
        assert_eq!(Timestamp::parse(s), general, "{s:?}");
        if let Some(fast) = parse_iso_utc(s.as_bytes()) {
            assert_eq!(Some(fast), general, "{s:?}");
        }
    }
    assert!(parse_iso_utc(base.as_bytes()).is_some());
}

#[test]
fn the_hour_reader_answers_as_the_parser_does() {
    // Rows of one hour, the next hour, other days, other shapes, and texts damaged one byte at
    // a time (after a valid row, so the damaged text meets a kept hour): every answer must be
    // `Timestamp::parse`'s.
    let base = [
        "2024-03-05T10:15:30.1234567Z",
        "2024-03-05T10:15:31Z",
        "2024-03-05T10:59:60.5Z",
        "2024-03-05T10:00:00.0000000Z",
        "2024-03-05T11:00:00.0000001Z",
        "2024-02-29T23:59:59.9999999Z",
        "2023-02-28T23:59:59Z",
        "2024-03-05T10:15:30.1234567+01:00",
        "2024-03-05 10:15:30Z",
        "Tue, 05 Mar 2024 10:15:30 GMT",
        "2024-03-05T10:15:30.Z",
        "2024-03-05T10:60:00Z",
        "2024-03-05T10:15:61Z",
        "2024-03-05T10:15:3Z",
        "2024-03-05T10:15:30.12a4567Z",
        "2024-13-05T10:15:30Z",
        "2024-03-05T10",
        "",
    ];
    let replacements = [
        b'0', b'9', b'5', b'6', b'Z', b'.', b':', b'-', b'T', b' ', b'a',
    ];
    let mut texts: Vec<String> = Vec::new();
    for b in base {
        texts.push(b.to_string());
        for i in 0..b.len() {
            for r in replacements {
                let mut t = b.as_bytes().to_vec();
                t[i] = r;
                texts.push(String::from_utf8(t).unwrap());
                // After a valid row of the same hour, so the kept hour meets the damaged text.
                texts.push(base[0].to_string());
            }
            let mut cut = b.to_string();
            cut.truncate(i);
            texts.push(cut);
        }
    }
    let mut reader = HourReader::default();
    for t in &texts {
        assert_eq!(reader.parse(t), Timestamp::parse(t), "{t:?}");
    }
    // The hour kept is that of the last row read: rows switching between two hours.
    let mut reader = HourReader::default();
    for k in 0..200u32 {
        let t = format!(
            "2024-03-0{}T1{}:{:02}:{:02}.{:07}Z",
            5 + k % 2,
            k % 3,
            k % 60,
            (k * 7) % 61,
            k * 4_999
        );
        assert_eq!(reader.parse(&t), Timestamp::parse(&t), "{t:?}");
    }
}
