use super::*;
use crate::ingest::analyze_bytes;
use crate::model::{Dataset, EventView};

use crate::formats::server_formats_testkit as kit;

const FIXTURE: &[u8] = include_bytes!("../../fixtures/storage-analytics/contoso-hour.log");

const SAMPLES: [(&str, &[u8]); 7] = [
    (
        "storage-analytics-mixed_docs-2022-per-service-examples.log",
        include_bytes!(
            "../../fixtures/samples/storage-analytics-mixed_docs-2022-per-service-examples.log"
        ),
    ),
    (
        "storage-analytics-v1_docs-examples.log",
        include_bytes!("../../fixtures/samples/storage-analytics-v1_docs-examples.log"),
    ),
    (
        "storage-analytics-v1_real-azcopy-sas-service-endpoint.log",
        include_bytes!(
            "../../fixtures/samples/storage-analytics-v1_real-azcopy-sas-service-endpoint.log"
        ),
    ),
    (
        "storage-analytics-v2_docs-oauth-examples.log",
        include_bytes!("../../fixtures/samples/storage-analytics-v2_docs-oauth-examples.log"),
    ),
    (
        "storage-analytics-v2_real-azcopy-sas-getblob-206.log",
        include_bytes!(
            "../../fixtures/samples/storage-analytics-v2_real-azcopy-sas-getblob-206.log"
        ),
    ),
    (
        "storage-analytics-v2_real-dotnet-v9-putblob-getblob.log",
        include_bytes!(
            "../../fixtures/samples/storage-analytics-v2_real-dotnet-v9-putblob-getblob.log"
        ),
    ),
    (
        "storage-analytics-v2_real-lifecycle-TrustedAccessSas.log",
        include_bytes!(
            "../../fixtures/samples/storage-analytics-v2_real-lifecycle-TrustedAccessSas.log"
        ),
    ),
];

fn by_line(ds: &Dataset, line: u32) -> EventView<'_> {
    ds.iter()
        .find(|v| v.ev.line == line)
        .unwrap_or_else(|| panic!("no event from line {line}"))
}

fn split_line(line: &str) -> Fields<'_> {
    split(line, &mut ByteMasks::default())
}

/// The splitting rules read byte by byte, as the module documents them: the reference the
/// mask-based splitter is checked against.
fn reference_split(line: &str) -> Vec<&str> {
    let b = line.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    loop {
        let quoted = b.get(i) == Some(&b'"');
        let mut end = None;
        for s in i..b.len() {
            if b[s] != b';' {
                continue;
            }
            let closes = if quoted {
                s >= i + 2 && b[s - 1] == b'"'
            } else {
                !ends_entity(b, i, s)
            };
            if closes {
                end = Some(s);
                break;
            }
        }
        match end {
            Some(s) if quoted => out.push(&line[i + 1..s - 1]),
            Some(s) => out.push(&line[i..s]),
            None if quoted && b.len() >= i + 2 && b[b.len() - 1] == b'"' => {
                out.push(&line[i + 1..b.len() - 1])
            }
            None if quoted => out.push(&line[i + 1..]),
            None => out.push(&line[i..]),
        }
        match end {
            Some(s) => i = s + 1,
            None => return out,
        }
    }
}

/// Random lines made of `pieces`, long enough to cross several 64-byte words; a fixed generator
/// so failures reproduce.
fn random_lines(
    pieces: &'static [&'static str],
    max_pieces: u64,
    seed: u64,
) -> impl Iterator<Item = String> {
    let mut st = seed;
    (0..5000).map(move |_| {
        st ^= st << 13;
        st ^= st >> 7;
        st ^= st << 17;
        let n = (st % max_pieces) as usize;
        let mut line = String::new();
        let mut r = st;
        for _ in 0..n {
            r = r.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            line.push_str(pieces[(r >> 59) as usize % pieces.len()]);
        }
        line
    })
}

fn assert_same_fields(got: &Fields<'_>, want: &[&str], line: &str) {
    assert_eq!(got.count, want.len(), "{line:?}");
    for (k, w) in want.iter().enumerate().take(MAX_FIELDS) {
        assert_eq!(got.get(k), *w, "field {k} of {line:?}");
    }
}

#[test]
fn splitter_agrees_with_the_byte_by_byte_rules_on_random_lines() {
    // The bytes that matter: separators, quotes, entity starts and names.
    const PIECES: &[&str] = &[
        ";", "\"", "&", "amp;", "&quot;", "a", "#59;", "é", "\";", "x&y",
    ];
    let mut masks = ByteMasks::default();
    for line in random_lines(PIECES, 120, 0x853c_49e6_748f_ea9b) {
        assert_same_fields(&split(&line, &mut masks), &reference_split(&line), &line);
    }
}

#[test]
fn the_whole_line_splitter_answers_for_usual_lines_and_agrees_when_it_does() {
    // Fields as a real line has them (quoted with `;` and entities inside, empty, unquoted;
    // pieces of up to 70 bytes so quotes span words), and now and then a stray quote or `&` that
    // must send the line to the field-by-field splitter.
    const USUAL: &[&str] = &[
        ";",
        ";\"a;b\"",
        ";\"&quot;0x8DC3C0DA1A846EA&quot;\"",
        ";word",
        ";é",
        ";\"\"",
        ";\"https://a.blob.core.windows.net/c/b.txt?sv=1&amp;sig=XXXXX&amp;timeout=30\"",
        ";2.0",
        ";\"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36\"",
        ";12",
        ";;",
        ";\"x;\"",
        ";\"\";",
        ";\"x\"\"",
        ";a&b",
        "\"",
    ];
    let mut masks = ByteMasks::default();
    let mut answered = 0;
    for line in random_lines(USUAL, 40, 0x2545_f491_4f6c_dd1d) {
        masks.fill(line.as_bytes(), [b';', b'"', b'&']);
        let mut got = Fields::new(&line);
        if split_well_formed(&masks, &mut got) {
            answered += 1;
            assert_same_fields(&got, &reference_split(&line), &line);
        }
    }
    assert!(
        answered > 500,
        "only {answered} of 5000 lines took the whole-line path"
    );
    // Every line the service wrote in the real samples, and in the project's fixture, is a usual
    // line, except those whose 2.0 authorization-detail field holds raw JSON and those with an
    // unquoted URL (as documentation examples have them; the fixture has a few).
    let real = SAMPLES.iter().filter(|(name, _)| name.contains("_real-"));
    for text in real.map(|(_, t)| *t).chain([FIXTURE]) {
        let text = std::str::from_utf8(text).expect("UTF-8 fixture");
        let usual = text
            .lines()
            .filter(|l| l.contains(';') && !l.contains("\"[{\"") && !l.contains(";https://"));
        for line in usual {
            masks.fill(line.as_bytes(), [b';', b'"', b'&']);
            assert!(
                split_well_formed(&masks, &mut Fields::new(line)),
                "{line:?}"
            );
        }
    }
}

#[test]
fn splitter_handles_quotes_entities_and_trailing_fields() {
    let f = split_line(r#"2.0;a;"x;y";;"";"he said &quot;hi&quot;""#);
    assert_eq!(f.count, 6);
    assert_eq!(f.get(2), "x;y");
    assert_eq!(f.get(3), "");
    assert_eq!(f.get(4), "");
    assert_eq!(f.get(5), "he said &quot;hi&quot;");
    // Raw quotes inside a quoted field close it only before `;` or the end of the line.
    let f = split_line(r#"a;"[{"action":"read", "principalType":"User"}]""#);
    assert_eq!(f.count, 2);
    assert_eq!(f.get(1), r#"[{"action":"read", "principalType":"User"}]"#);
    // An unquoted URL keeps its `&amp;`.
    let f = split_line("blob;https://a.blob.core.windows.net/c/b?x=1&amp;y=2&#59;z;next");
    assert_eq!(f.count, 3);
    assert_eq!(
        f.get(1),
        "https://a.blob.core.windows.net/c/b?x=1&amp;y=2&#59;z"
    );
    // Trailing separators announce empty fields.
    assert_eq!(split_line("a;;;").count, 4);
    // An unclosed quote runs to the end of the line.
    let f = split_line(r#"a;"never closed; really"#);
    assert_eq!(f.count, 2);
    assert_eq!(f.get(1), "never closed; really");
    // More fields than kept are still counted.
    assert_eq!(split_line(&";".repeat(60)).count, 61);
}

#[test]
fn fast_decoder_agrees_with_the_general_one() {
    for s in [
        "",
        "plain",
        "a&amp;b&amp;c",
        "&quot;0x8D&quot;",
        "x&amp;",
        "&amp",
        "&lt;tag&gt; &amp; &#59;",
        "caf\u{e9}&amp;\u{FFFD}",
        "&&amp;&",
    ] {
        assert_eq!(decode(s), html_decode(s), "{s}");
    }
}

#[test]
fn fast_classifiers_agree_with_the_model() {
    for s in [
        "authenticated",
        "sas",
        "anonymous",
        "bearer",
        "Sas",
        "TrustedAccessSas",
        "",
        "x",
    ] {
        assert_eq!(auth_type(s), AuthKind::from_word(s), "{s}");
    }
    for s in ["blob", "queue", "table", "file", "Blob", "dfs", ""] {
        assert_eq!(service(s), Service::from_word(s), "{s}");
    }
}

#[test]
fn every_real_sample_is_detected_and_fully_parsed() {
    for (name, bytes) in SAMPLES {
        kit::assert_detected_as("storage-analytics", name, bytes);
        let (ds, _) = analyze_bytes(name, bytes, None).unwrap();
        let lines = String::from_utf8_lossy(bytes)
            .lines()
            .filter(|l| !l.trim().is_empty())
            .count();
        assert_eq!(
            ds.inputs[0].skipped_total, 0,
            "{name}: {:?}",
            ds.inputs[0].skipped
        );
        assert_eq!(ds.events.len(), lines, "{name}");
        assert!(ds
            .iter()
            .all(|v| v.ev.source == SourceKind::Server && v.time().is_some()));
    }
}

#[test]
fn sample_fields_are_mapped() {
    let (ds, _) = analyze_bytes("v2.log", SAMPLES[4].1, None).unwrap();
    let v = ds.view(0);
    assert_eq!(v.operation(), "GetBlob");
    assert_eq!(v.ev.status, 206);
    assert_eq!(v.ev.auth, AuthKind::Sas);
    assert_eq!(v.ev.response_type, ResponseType::Success);
    assert_eq!(v.ev.service, Service::Blob);
    assert_eq!(v.account(), "aenhowestorageaccount");
    assert_eq!(
        v.resource(),
        "/aenhowestorageaccount/previz/src/terraform/examples/jumpbox/main.tf"
    );
    assert_eq!(v.request_id(), "2a16ee81-c01e-0010-73e5-0cd55c000000");
    assert_eq!(
        v.client_request_id(),
        "4317add7-4052-49b1-45ec-0747a1797a2b"
    );
    assert_eq!(v.ev.e2e_ms, 7.0);
    assert_eq!(v.extra(Field::CallerIp), Some("24.155.118.199"));
    assert_eq!(v.caller_ip().as_deref(), Some("24.155.118.199:61943"));
    assert_eq!(v.extra(Field::XmsVersion), Some("2018-03-28"));
    assert_eq!(
        v.extra(Field::Conditions),
        Some("If-Unmodified-Since=Tuesday, 07-Apr-20 13:56:12 GMT")
    );
    // The URL was HTML-decoded before the SAS was read from it.
    let sas = v.sas().expect("SAS parsed from the decoded URL");
    assert_eq!(sas.se.as_deref(), Some("2021-01-01T00:00:00Z"));
    assert_eq!(sas.sp.as_deref(), Some("racwdl"));

    // Lifecycle management: TrustedAccessSas auth, status class with that prefix.
    let (ds, _) = analyze_bytes("lc.log", SAMPLES[6].1, None).unwrap();
    let v = ds.view(0);
    assert_eq!(v.ev.auth, AuthKind::Sas);
    assert_eq!(v.ev.response_type, ResponseType::Success);
    assert_eq!(v.error_code(), "");

    // OAuth 2.0 lines with a raw-JSON authorization detail.
    let (ds, _) = analyze_bytes("oauth.log", SAMPLES[3].1, None).unwrap();
    assert!(ds.iter().all(|v| v.ev.auth == AuthKind::OAuth));
    let list = ds.iter().find(|v| v.operation() == "ListBlobs").unwrap();
    assert_eq!(list.client_request_id(), "");
    assert_eq!(
        list.extra(Field::UserAgent)
            .map(|u| u.starts_with("Mozilla/5.0")),
        Some(true)
    );

    // Copy Blob: the source row names its object by URL; it becomes the key form.
    let (ds, _) = analyze_bytes("v1.log", SAMPLES[1].1, None).unwrap();
    let src = by_line(&ds, 4);
    assert_eq!(src.operation(), "CopyBlobSource");
    assert_eq!(
        src.resource(),
        "/storagesample/sample-container/sample-blob.txt"
    );

    // Unquoted URLs of the 2022 documentation examples, and a table row.
    let (ds, _) = analyze_bytes("mixed.log", SAMPLES[0].1, None).unwrap();
    let put = ds.iter().find(|v| v.operation() == "PutBlob").unwrap();
    assert_eq!(put.sas().and_then(|s| s.sp.clone()).as_deref(), Some("rwl"));
    let table = ds.iter().find(|v| v.operation() == "CreateTable").unwrap();
    assert_eq!(table.ev.service, Service::Table);
    assert_eq!(table.ev.status, 204);
}

#[test]
fn masked_request_ids_are_not_taken_for_duplicates() {
    // The 2022 documentation examples all carry `xxxxxxxx-…` request ids with count 0.
    let (ds, _) = analyze_bytes("mixed.log", SAMPLES[0].1, None).unwrap();
    assert_eq!(ds.events.len(), 4);
}

#[test]
fn fixture_failures_are_mapped() {
    let (ds, _) = analyze_bytes("contoso-hour.log", FIXTURE, None).unwrap();
    let info = &ds.inputs[0];
    assert_eq!(info.format, "storage-analytics");

    let v = by_line(&ds, 2);
    assert_eq!((v.ev.status, v.error_code()), (404, "BlobNotFound"));
    assert_eq!(v.ev.response_type, ResponseType::ErrorCode);
    assert_eq!(v.ev.auth, AuthKind::Sas);

    let v = by_line(&ds, 4);
    assert_eq!(v.ev.status, 304);
    assert_eq!(v.ev.response_type, ResponseType::ClientOtherError);
    assert_eq!(v.ev.auth, AuthKind::Anonymous);
    assert_eq!(
        v.extra(Field::Conditions),
        Some("If-None-Match=\"0x8DB9F0A2C3D4E5F\"")
    );

    let v = by_line(&ds, 7);
    assert_eq!(v.ev.response_type, ResponseType::AuthorizationError);
    assert_eq!(v.ev.auth, AuthKind::Sas);
    assert_eq!(
        v.sas().and_then(|s| s.si.clone()).as_deref(),
        Some("mypolicy")
    );

    let v = by_line(&ds, 14);
    assert_eq!(v.ev.auth, AuthKind::OAuth);
    assert_eq!(v.error_code(), "AuthorizationPermissionMismatch");

    let v = by_line(&ds, 15);
    assert_eq!(v.ev.response_type, ResponseType::ThrottlingError);
    assert_eq!(v.error_code(), "");

    let v = by_line(&ds, 17);
    assert_eq!(v.ev.status, 0, "'Unknown' status");
    assert!(v.ev.server_ms.is_nan(), "empty server latency");
    assert_eq!(v.ev.response_type, ResponseType::NetworkError);

    let v = by_line(&ds, 27);
    assert_eq!(v.ev.service, Service::Table);
    assert_eq!(
        v.client_request_id(),
        "8/9/2024 9:44:36 PM 45ef1c0f-2a5e-4b1c-9d3e-5f6a7b8c9d0e"
    );

    let v = by_line(&ds, 29);
    assert_eq!(
        v.extra(Field::UserAgent),
        Some("MyTool/1.0 (\"nightly\"; build 42)")
    );

    // The future version is read with the 2.0 layout, and said so once.
    assert_eq!(by_line(&ds, 35).resource(), "/contosologs/future/blob.txt");
    assert!(info.notices.iter().any(|n| n.contains("version 3.0")));
}

#[test]
fn damaged_and_repeated_lines_are_skipped_with_reasons() {
    let (ds, _) = analyze_bytes("contoso-hour.log", FIXTURE, None).unwrap();
    let skipped: Vec<(u64, &str)> = ds.inputs[0]
        .skipped
        .iter()
        .map(|s| (s.line, s.reason.as_str()))
        .collect();
    let lines: Vec<u64> = skipped.iter().map(|s| s.0).collect();
    assert_eq!(lines, vec![12, 30, 31, 32, 33, 34], "{skipped:#?}");
    assert!(
        skipped[0].1.starts_with("duplicate record"),
        "{}",
        skipped[0].1
    );
    assert!(skipped[0].1.contains("line 1"));
    assert!(skipped[1].1.contains("fields"));
    assert!(skipped[2].1.contains("not a Storage Analytics log line"));
    assert!(skipped[3].1.contains("version 0.9"));
    assert!(skipped[4].1.contains("request-start-time"));
    assert!(skipped[5].1.contains("http-status-code"));
    // 35 lines, one blank, six skipped.
    assert_eq!(ds.events.len(), 28);
}

#[test]
fn preflight_rows_name_the_page_origin_from_the_referrer() {
    let line = "1.0;2024-08-02T09:14:05.1182203Z;BlobPreflightRequest;CorsPreflightFailure;403;1;1;anonymous;;acct;blob;\"https://acct.blob.core.windows.net/c/b.png\";\"/acct/c/b.png\";0b1c2d3e-401e-0090-6a7b-8c9d0e000001;0;198.51.100.71:50140;2009-09-19;512;0;231;0;0;;;;;;\"Mozilla/5.0\";\"https://portal.fabrikam.com/profile?tab=1&amp;user=&quot;me&quot;\";\n";
    let (ds, _) = analyze_bytes("000001.log", line.as_bytes(), None).unwrap();
    assert_eq!(ds.events.len(), 1, "{}", crate::testing::dump(&ds));
    assert_eq!(
        by_line(&ds, 1).extra(Field::Origin),
        Some("https://portal.fabrikam.com")
    );
}

#[test]
fn same_events_at_every_split_point() {
    crate::testing::assert_split_invariant("contoso-hour.log", FIXTURE, None, 3_000);
    for (name, bytes) in SAMPLES {
        crate::testing::assert_split_invariant(name, bytes, None, 300);
    }
}

#[test]
fn snapshot_of_normalized_events() {
    let ds = crate::testing::ingest_in_slices("contoso-hour.log", FIXTURE, None, 1 << 20);
    insta::assert_snapshot!(crate::testing::dump(&ds));
}

#[test]
fn snapshot_of_real_samples() {
    let mut out = String::new();
    for (name, bytes) in SAMPLES {
        let ds = crate::testing::ingest_in_slices(name, bytes, None, 1 << 20);
        out.push_str(&crate::testing::dump(&ds));
    }
    insta::assert_snapshot!(out);
}

#[test]
fn no_panic_on_damaged_input() {
    kit::assert_survives_damage("storage-analytics", FIXTURE);
    kit::assert_survives_damage("storage-analytics", SAMPLES[3].1);
}

#[test]
fn other_text_is_not_claimed() {
    let f = StorageAnalytics;
    assert_eq!(f.detect("hello;world\n1;2;3"), 0.0);
    assert_eq!(
        f.detect(include_str!(
            "../../fixtures/samples/storage-analytics-fields_404-SASAuthorizationError_docs-table.md"
        )),
        0.0
    );
    assert_eq!(
        f.detect(include_str!(
            "../../fixtures/samples/dotnet-legacy-trace_textwriter-lines_docs-client-side-logging.log"
        )),
        0.0
    );
}

/// Throughput of the whole ingest (decode, lines, this parser, dataset) on ~64 MB of distinct
/// records. Run: `cargo test --release -p storage-doctor-core -- --ignored throughput --nocapture`.
#[test]
#[ignore]
fn throughput() {
    let base: Vec<&str> = std::str::from_utf8(FIXTURE)
        .unwrap()
        .lines()
        .take(11)
        .filter(|l| l.contains(";7c9e1a20-"))
        .collect();
    let mut data = String::new();
    let mut n = 0u32;
    while data.len() < 64 << 20 {
        for l in &base {
            n += 1;
            // A distinct request id per line, so that no line is a duplicate.
            data.push_str(&l.replacen("7c9e1a20-", &format!("{n:08x}-"), 1));
            data.push('\n');
        }
    }
    let t = kit::cpu_seconds();
    let ds = crate::testing::ingest_in_slices("big.log", data.as_bytes(), None, 1 << 20);
    let secs = kit::cpu_seconds() - t;
    assert_eq!(ds.inputs[0].skipped_total, 0);
    println!(
        "storage-analytics: {} events, {:.0} MB/s",
        ds.events.len(),
        data.len() as f64 / secs / 1e6
    );
}

#[test]
#[ignore]
fn throughput_parser_only() {
    struct Null(u64);
    impl EventSink for Null {
        fn event(&mut self, ev: RawEvent<'_>) {
            self.0 += ev.url.len() as u64;
        }
        fn skipped(&mut self, _: u64, _: &str) {}
        fn notice(&mut self, _: &str) {}
    }
    let base: Vec<&str> = std::str::from_utf8(FIXTURE)
        .unwrap()
        .lines()
        .take(11)
        .filter(|l| l.contains(";7c9e1a20-"))
        .collect();
    let mut data = String::new();
    let mut n = 0u32;
    while data.len() < 64 << 20 {
        for l in &base {
            n += 1;
            data.push_str(&l.replacen("7c9e1a20-", &format!("{n:08x}-"), 1));
            data.push('\n');
        }
    }
    let lines: Vec<&str> = data.lines().collect();
    let t = kit::cpu_seconds();
    let mut sink = Null(0);
    const PASSES: usize = 5;
    for _ in 0..PASSES {
        let mut p = StorageAnalytics.parser();
        let mut offset = 0;
        for (i, l) in lines.iter().copied().enumerate() {
            p.line(
                Line {
                    number: i as u64 + 1,
                    offset,
                    text: l,
                },
                &mut sink,
            );
            offset += l.len() as u64 + 1;
        }
    }
    let secs = (kit::cpu_seconds() - t) / PASSES as f64;
    println!(
        "storage-analytics parser only: {:.0} MB/s ({})",
        data.len() as f64 / secs / 1e6,
        sink.0
    );
}

#[test]
fn the_url_is_left_as_written_only_when_its_entities_are_all_amp() {
    let cases = [
        (
            "https://a.blob.core.windows.net/c/b",
            "https://a.blob.core.windows.net/c/b",
            false,
        ),
        (
            "https://a.blob.core.windows.net/c/b?sv=1&amp;sig=XXXXX",
            "https://a.blob.core.windows.net/c/b?sv=1&amp;sig=XXXXX",
            true,
        ),
        (
            "https://a.blob.core.windows.net/c/&quot;b&quot;?sv=1&amp;x=2",
            "https://a.blob.core.windows.net/c/\"b\"?sv=1&x=2",
            false,
        ),
        ("https://a/c/b?x=1&y", "https://a/c/b?x=1&y", false),
        (
            "https://a/c/b?x=1&amp;y&amp",
            "https://a/c/b?x=1&y&amp",
            false,
        ),
    ];
    let mut masks = ByteMasks::default();
    for (written, want, encoded) in cases {
        let line = format!("2.0;a;b;c;d;e;f;g;h;i;j;\"{written}\";k;l");
        let f = split(&line, &mut masks);
        let (url, amp) = f.url(&masks);
        assert_eq!((url.as_ref(), amp), (want, encoded), "{written}");
        if amp {
            assert_eq!(url.replace("&amp;", "&"), f.decoded(11, &masks));
        }
    }
}

#[test]
fn the_record_table_finds_every_repeat_however_it_was_sized() {
    // Reserved for fewer keys than come (so it still grows), for exactly as many, for more,
    // and never reserved: every key is new once and a repeat after that, with its first line.
    for reserved in [None, Some(0), Some(10), Some(3000), Some(100_000)] {
        let mut seen = Seen::default();
        if let Some(n) = reserved {
            seen.reserve(n);
        }
        let key = |k: u64| {
            (
                u128::from(k).wrapping_mul(0x9e37_79b9_7f4a_7c15_f39c_c060_5ced_c835),
                (k % 3) as u32,
            )
        };
        for k in 0..3000u64 {
            let (g, n) = key(k);
            assert_eq!(
                seen.first_or_insert(key_hash(g, n), g, n, k + 1),
                None,
                "{reserved:?} {k}"
            );
        }
        for k in (0..3000u64).rev() {
            let (g, n) = key(k);
            assert_eq!(
                seen.first_or_insert(key_hash(g, n), g, n, 99_999),
                Some(k + 1),
                "{reserved:?} {k}"
            );
            // Same GUID, another operation count: a different record.
            assert_eq!(seen.first_or_insert(key_hash(g, n + 3), g, n + 3, 7), None);
        }
        assert!(seen.table.len() >= 2 * seen.keys.len());
    }
}

#[test]
fn keys_that_share_a_place_and_a_tag_are_told_apart() {
    // The hash is the caller's: give many keys one hash (same place, same tag), and keys whose
    // hashes differ only above 32 bits, and every key must still be found as itself.
    let mut seen = Seen::default();
    let keys: Vec<(u128, u32)> = (0..200u32)
        .map(|k| (u128::from(k) << 70 | 5, k % 2))
        .collect();
    for (j, &(g, n)) in keys.iter().enumerate() {
        let h = if j % 2 == 0 {
            0xdead_beef
        } else {
            0xdead_beef | (j as u64) << 40
        };
        assert_eq!(seen.first_or_insert(h, g, n, j as u64 + 1), None, "{j}");
    }
    for (j, &(g, n)) in keys.iter().enumerate().rev() {
        let h = if j % 2 == 0 {
            0xdead_beef
        } else {
            0xdead_beef | (j as u64) << 40
        };
        assert_eq!(seen.first_or_insert(h, g, n, 0), Some(j as u64 + 1), "{j}");
    }
}

#[test]
fn a_size_hint_changes_no_result() {
    // The fixture read with its size announced (the record table sized up front) and with none.
    let mut text = FIXTURE.to_vec();
    // A repeated record, so that the table has a duplicate to find.
    let first = text.split(|&b| b == b'\n').next().unwrap().to_vec();
    text.extend_from_slice(&first);
    text.push(b'\n');
    let read = |hint: Option<u64>| {
        let mut ing = crate::ingest::Ingest::new();
        ing.begin("hour.log", None).unwrap();
        if let Some(h) = hint {
            ing.expect_bytes(h);
        }
        ing.feed(&text);
        ing.end();
        ing.finish()
    };
    let listed = |ds: &Dataset| {
        ds.inputs[0]
            .skipped
            .iter()
            .map(|k| (k.line, k.reason.clone()))
            .collect::<Vec<_>>()
    };
    let a = read(None);
    let last = text.iter().filter(|&&b| b == b'\n').count() as u64;
    assert!(listed(&a).iter().any(|(line, why)| *line == last
        && why.starts_with("duplicate record")
        && why.ends_with(
            "already read on line 1 (the service may write a record twice within an hour)"
        )));
    for hint in [1, text.len() as u64, 1 << 30] {
        let b = read(Some(hint));
        assert_eq!(a.events.len(), b.events.len());
        assert_eq!(a.inputs[0].skipped_total, b.inputs[0].skipped_total);
        assert_eq!(listed(&a), listed(&b));
    }
}
