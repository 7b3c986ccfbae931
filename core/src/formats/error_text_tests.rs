use super::*;
use crate::formats::{rank, MIN_CONFIDENCE};
use crate::ingest::analyze_bytes;
use crate::model::{Dataset, EventView};
use crate::Ingest;

/// The samples FORMAT_MAP.md marks `text: error-text`.
const SAMPLES: [&str; 9] = [
    "azcopy-console_403-AuthorizationPermissionMismatch-oauth_azcopy-1343.txt",
    "azcopy-console_403-AuthorizationPermissionMismatch_azcopy-2333.txt",
    "dotnet-comment_sas-not-yet-valid-clock-skew_detail.txt",
    "dotnet-v12-RequestFailedException_403-AuthorizationPermissionMismatch_kusto-copy-79.txt",
    "js-error-object_403-AuthenticationFailed-expired-sas-detail.txt",
    "service-error-xml_403-AuthenticationFailed_request-date-too-old_autorest-go.txt",
    "service-error-xml_403-AuthenticationFailed_sas-expired-no-st.xml",
    "service-error-xml_403-AuthenticationFailed_sas-expired_docs-tutorial.xml",
    "service-error-xml_403-AuthenticationFailed_signature-did-not-match_examples.txt",
];

const FIXTURES: [&str; 6] = [
    "dotnet-v12-requestfailed-sas-expired.txt",
    "dotnet-legacy-storageexception-container-not-found.txt",
    "python-httpresponseerror-permission.txt",
    "js-resterror-signature-mismatch.txt",
    "go-azcore-responseerror-clock-skew.txt",
    "java-blobstorageexception-two-errors.txt",
];

fn read(dir: &str, name: &str) -> Vec<u8> {
    let path = format!("{}/fixtures/{dir}/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn parse(bytes: &[u8]) -> Dataset {
    analyze_bytes("error.txt", bytes, None).unwrap().0
}

fn only(ds: &Dataset) -> EventView<'_> {
    assert_eq!(ds.events.len(), 1, "{}", crate::testing::dump(ds));
    ds.view(0)
}

/// What FORMAT_MAP.md expects for a sample: `Some(id)` for `must` and `text` rows, `None` for
/// reference material.
fn expected_format(name: &str) -> Option<&'static str> {
    let starts = |p: &str| name.starts_with(p);
    if SAMPLES.contains(&name) {
        Some("error-text")
    } else if starts("browser-console_") {
        Some("browser-console")
    } else if starts("har-") {
        Some("har")
    } else if starts("azcopy-joblog_") || starts("azcopy-pipeline-output_") {
        Some("azcopy-log")
    } else if name == "dotnet-legacy-trace_textwriter-lines_docs-client-side-logging.log" {
        Some("dotnet-legacy-trace")
    } else if starts("dotnet-v12-azurecore_") {
        Some("dotnet-azure-core")
    } else if starts("java-azurecore") {
        Some("java-azure-core")
    } else if starts("js-azure-logger") {
        Some("js-azure-logger")
    } else if starts("python-azurecore") {
        Some("python-azure-core")
    } else if starts("resourcelog-blob_") {
        Some("resource-log-json")
    } else if starts("storage-analytics-") && name.ends_with(".log") {
        Some("storage-analytics")
    } else {
        None
    }
}

/// The part of a text detection sees (at most `SAMPLE_BYTES`, cut at a character boundary).
fn head(text: &str) -> &str {
    let mut n = text.len().min(crate::formats::SAMPLE_BYTES);
    while !text.is_char_boundary(n) {
        n -= 1;
    }
    &text[..n]
}

#[test]
fn detection_across_all_samples() {
    let mine = ["har", "browser-console", "error-text"];
    let dir = format!("{}/fixtures/samples", env!("CARGO_MANIFEST_DIR"));
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let mut checked = 0;
    for name in &names {
        let bytes = read("samples", name);
        let text = String::from_utf8_lossy(&bytes);
        let sample = head(&text);
        let ranked = rank(sample);
        let score = |id: &str| {
            ranked
                .iter()
                .find(|(f, _)| f.id() == id)
                .map_or(0.0, |r| r.1)
        };
        assert!(score("error-text") <= 0.6, "{name}");
        match expected_format(name) {
            Some(id) if mine.contains(&id) => {
                assert_eq!(ranked[0].0.id(), id, "{name}: {:?}", score(id));
                assert!(ranked[0].1 >= 0.35, "{name}");
                checked += 1;
            }
            Some(_) => {
                // Another engineer's format: none of these may claim it.
                for id in mine {
                    assert!(score(id) < MIN_CONFIDENCE, "{name}: {id} = {}", score(id));
                }
            }
            None => {
                // Reference material: only the error bodies inside (recordings) may be seen.
                assert!(score("har") < MIN_CONFIDENCE, "{name}");
                assert!(score("browser-console") < MIN_CONFIDENCE, "{name}");
            }
        }
    }
    assert_eq!(checked, 9 + 8 + 1);
    // The fixtures written for these formats are recognised as theirs too.
    for (dir, id) in [
        ("har", "har"),
        ("browser-console", "browser-console"),
        ("error-text", "error-text"),
    ] {
        let path = format!("{}/fixtures/{dir}", env!("CARGO_MANIFEST_DIR"));
        for e in std::fs::read_dir(&path).unwrap() {
            let bytes = std::fs::read(e.unwrap().path()).unwrap();
            let text = String::from_utf8_lossy(&bytes);
            let ranked = rank(head(&text));
            assert_eq!(ranked[0].0.id(), id, "{dir}");
            assert!(ranked[0].1 >= 0.35);
        }
    }
}

#[test]
fn every_sample_yields_its_error() {
    // (sample, events, status, code, request id of the first event by line)
    let expect: [(&str, usize, u16, &str, &str); 9] = [
        (SAMPLES[0], 1, 403, "AuthorizationPermissionMismatch", ""),
        (SAMPLES[1], 1, 403, "AuthorizationPermissionMismatch", ""),
        (SAMPLES[2], 1, 403, "AuthenticationFailed", ""),
        (
            SAMPLES[3],
            1,
            403,
            "AuthorizationPermissionMismatch",
            "1a9db850-b01e-0036-17c2-5708ec000000",
        ),
        (
            SAMPLES[4],
            1,
            403,
            "AuthenticationFailed",
            "a61c5522-e01e-001f-1873-b6530e000000",
        ),
        (
            SAMPLES[5],
            1,
            403,
            "AuthenticationFailed",
            "cba2935f-1003-006f-071d-db55f6000000",
        ),
        (
            SAMPLES[6],
            1,
            403,
            "AuthenticationFailed",
            "d236f092-801e-007a-51e2-57e2ef000000",
        ),
        (
            SAMPLES[7],
            1,
            403,
            "AuthenticationFailed",
            "03eda893-f01e-0028-2d73-c5c947000000",
        ),
        (
            SAMPLES[8],
            5,
            403,
            "AuthenticationFailed",
            "eeef7192-001e-0000-57a0-75692e000000",
        ),
    ];
    for (name, n, status, code, rid) in expect {
        let ds = parse(&read("samples", name));
        assert_eq!(ds.inputs[0].format, "error-text", "{name}");
        assert_eq!(ds.events.len(), n, "{name}");
        let first = ds.iter().min_by_key(|v| v.ev.line).unwrap();
        assert_eq!(first.ev.source, SourceKind::Client);
        assert_eq!(first.ev.status, status, "{name}");
        assert_eq!(first.error_code(), code, "{name}");
        assert_eq!(first.request_id(), rid, "{name}");
        assert!(first.extra(Field::Detail).is_some(), "{name}");
    }
}

#[test]
fn sample_details() {
    // AzCopy: status from the code, URL and time from the dump.
    let ds = parse(&read("samples", SAMPLES[0]));
    let v = only(&ds);
    assert_eq!(v.ev.method, Method::Put);
    assert_eq!(v.time().unwrap().to_string(), "2021-02-24T07:06:01.466667Z");
    assert_eq!(
        v.extra(Field::Detail),
        Some("This request is not authorized to perform this operation using this permission.")
    );
    let ds = parse(&read("samples", SAMPLES[1]));
    let v = only(&ds);
    assert_eq!(v.ev.method, Method::Head);
    assert_eq!(
        v.client_request_id(),
        "95225d47-1e5c-42a5-4c6f-f0d200c82cb2"
    );
    assert_eq!(
        v.extra(Field::ResponseDate),
        Some("Tue, 08 Aug 2023 21:19:19 GMT")
    );
    // The code comment: the detail alone; the service's clock is its "Current".
    let ds = parse(&read("samples", SAMPLES[2]));
    let v = only(&ds);
    assert_eq!(v.time().unwrap().to_string(), "2015-10-12T20:40:05Z");
    assert_eq!(v.ev.auth, AuthKind::Sas);
    assert!(v.extra(Field::Detail).unwrap().starts_with(
        "Signature not valid in the specified time frame: Start [Mon, 12 Oct 2015 20:40:06 GMT]"
    ));
    // .NET v12: headers give the client request id, version and date.
    let ds = parse(&read("samples", SAMPLES[3]));
    let v = only(&ds);
    assert_eq!(
        v.client_request_id(),
        "0d3662ef-5c42-44dd-8c01-0a4353c87670"
    );
    assert_eq!(v.extra(Field::XmsVersion), Some("2025-07-05"));
    assert_eq!(v.time().unwrap().to_string(), "2025-11-17T13:03:52Z");
    assert_eq!(v.extra(Field::Note), Some("Azure.RequestFailedException"));
    // The JS object: `Message: '…\n' +` continuation lines joined.
    let ds = parse(&read("samples", SAMPLES[4]));
    let v = only(&ds);
    assert_eq!(v.ev.line, 2);
    assert_eq!(v.time().unwrap().to_string(), "2019-12-19T13:54:43.540480Z");
    assert!(v
        .extra(Field::Detail)
        .unwrap()
        .ends_with("Current [Thu, 19 Dec 2019 13:54:43 GMT]"));
    // Go's %q dump: the date the client sent is kept apart from the service's time.
    let ds = parse(&read("samples", SAMPLES[5]));
    let v = only(&ds);
    assert_eq!(
        v.extra(Field::RequestDate),
        Some("Fri, 31 Jan 2020 12:28:37 GMT")
    );
    assert_eq!(v.time().unwrap().to_string(), "2020-02-04T05:38:45.426819Z");
    assert_eq!(v.ev.auth, AuthKind::SharedKey);
}

#[test]
fn several_errors_in_one_paste() {
    let ds = parse(&read("samples", SAMPLES[8]));
    let mut rows: Vec<(u32, String)> = ds
        .iter()
        .map(|v| {
            (
                v.ev.line,
                v.extra(Field::ServerStringToSign).unwrap_or("").to_string(),
            )
        })
        .collect();
    rows.sort();
    assert_eq!(
        rows,
        vec![
            (
                1,
                "segyshare rwdlacupitfx bfqt co 2022-06-01T10:14:15Z 2022-06-01T18:14:15Z https 2021-06-08 "
                    .to_string()
            ),
            (
                7,
                "r 2017-12-17T15:56:39Z /blob/mystorageaccount/mycontainer/myfile.txt 2017-04-17"
                    .to_string()
            ),
            (
                17,
                "r 2018-01-12T18:45:17Z /blob/odinlitestorage/images/1515638198829.jpeg/2e4dca1c24076df03586a19c48e2e6c7.jpeg 2015-04-05"
                    .to_string()
            ),
            (19, String::new()),
            (21, String::new()),
        ]
    );
    let skipped: Vec<u64> = ds.inputs[0].skipped.iter().map(|s| s.line).collect();
    assert_eq!(skipped, vec![6, 16, 18, 20]);
    assert!(ds.inputs[0]
        .skipped
        .iter()
        .all(|s| s.reason == "a separator line"));
}

#[test]
fn fixtures() {
    let ds = parse(&read("error-text", FIXTURES[0]));
    let v = only(&ds);
    assert_eq!(v.ev.status, 403);
    assert_eq!(v.error_code(), "AuthenticationFailed");
    assert_eq!(v.request_id(), "5e1f7c2a-401e-0063-2b9d-7a1c4e000000");
    assert_eq!(
        v.client_request_id(),
        "2f4d8a61-93b0-4c7e-a5d2-6e8f1b3c9d07"
    );
    assert_eq!(v.time().unwrap().to_string(), "2024-08-21T14:07:33.421559Z");
    assert_eq!(
        v.extra(Field::ResponseDate),
        Some("Wed, 21 Aug 2024 14:07:32 GMT")
    );
    assert!(v
        .extra(Field::Detail)
        .unwrap()
        .contains("Current [Wed, 21 Aug 2024 14:07:33 GMT]"));
    // Every line, stack trace included, belongs to the error.
    assert_eq!(ds.inputs[0].skipped_total, 0);

    let ds = parse(&read("error-text", FIXTURES[1]));
    let v = only(&ds);
    assert_eq!((v.ev.status, v.error_code()), (404, "ContainerNotFound"));
    assert_eq!(
        v.extra(Field::Detail),
        Some("The specified container does not exist.")
    );
    assert_eq!(v.request_id(), "a1c07e55-d01e-0019-6b4f-91e0c8000000");

    let ds = parse(&read("error-text", FIXTURES[2]));
    let v = only(&ds);
    assert_eq!(v.ev.line, 13);
    assert_eq!(
        v.extra(Field::Note),
        Some("azure.core.exceptions.HttpResponseError")
    );
    assert_eq!(
        (v.ev.status, v.error_code()),
        (403, "AuthorizationPermissionMismatch")
    );

    let ds = parse(&read("error-text", FIXTURES[3]));
    let v = only(&ds);
    assert_eq!(v.ev.method, Method::Get);
    assert_eq!(v.operation(), "GetBlob");
    assert_eq!(
        v.client_request_id(),
        "9c5e0d72-4a1b-4f3e-8d6c-2b7a1e9f0c35"
    );
    assert_eq!(v.request_id(), "3b8f21c4-e01e-0058-7d2a-6c9f0a000000");
    assert_eq!(
        v.extra(Field::ServerStringToSign),
        Some("contosodata\nr\nb\no\n2024-05-02T08:00:00Z\n2024-05-02T10:00:00Z\n\nhttps\n2023-01-03\n\n")
    );
    assert_eq!(v.sas().unwrap().sp.as_deref(), Some("r"));
    let dump = crate::testing::dump(&ds);
    assert!(
        !dump.contains("anMtZml4dHVyZS1ub3QtYS1yZWFsLXNpZ25hdHVyZQ"),
        "sig leaked"
    );

    let ds = parse(&read("error-text", FIXTURES[4]));
    let v = only(&ds);
    assert_eq!(v.ev.method, Method::Put);
    assert_eq!(
        v.extra(Field::RequestDate),
        Some("Tue, 06 Feb 2024 16:20:11 GMT")
    );
    assert_eq!(v.time().unwrap().to_string(), "2024-02-06T16:41:52.770311Z");

    // Two exceptions one after the other: two errors.
    let ds = parse(&read("error-text", FIXTURES[5]));
    let mut got: Vec<(u32, u16, String)> = ds
        .iter()
        .map(|v| (v.ev.line, v.ev.status, v.error_code().to_string()))
        .collect();
    got.sort();
    assert_eq!(
        got,
        vec![
            (1, 404, "ContainerNotFound".to_string()),
            (9, 409, "ContainerBeingDeleted".to_string()),
        ]
    );
}

#[test]
fn text_without_an_error_is_skipped() {
    let ds = analyze_bytes(
        "n.txt",
        b"hello there\n\nnothing to see\n---\n<Error><Code>BlobNotFound</Code></Error>\n",
        Some("error-text"),
    )
    .unwrap()
    .0;
    assert_eq!(ds.events.len(), 1);
    assert_eq!(ds.view(0).ev.status, 404);
    let skipped: Vec<(u64, &str)> = ds.inputs[0]
        .skipped
        .iter()
        .map(|s| (s.line, s.reason.as_str()))
        .collect();
    assert_eq!(
        skipped,
        vec![
            (1, "no service error or exception found in this text"),
            (3, "no service error or exception found in this text"),
            (4, "a separator line"),
        ]
    );
}

#[test]
fn line_facts() {
    assert_eq!(
        find_status(&Text::new("Status: 403 (This request is not authorized.)")),
        Some((403, "This request is not authorized.".to_string()))
    );
    assert_eq!(
        find_status(&Text::new("RESPONSE 403: 403 Server failed.")),
        Some((403, "Server failed.".to_string()))
    );
    assert_eq!(
        find_status(&Text::new("\tstatusCode: 404,")).map(|s| s.0),
        Some(404)
    );
    assert_eq!(
        find_status(&Text::new(
            "The remote server returned an error: (409) Conflict."
        )),
        Some((409, String::new()))
    );
    assert_eq!(find_status(&Text::new("Status code 4040")), None);
    assert_eq!(find_status(&Text::new("Time:2024-01-01T00:00:00Z")), None);
    assert_eq!(
        find_code(&Text::new("ErrorCode: BlobNotFound")).as_deref(),
        Some("BlobNotFound")
    );
    assert_eq!(
        find_code(&Text::new("   X-Ms-Error-Code: [ServerBusy]")).as_deref(),
        Some("ServerBusy")
    );
    assert_eq!(
        find_code(&Text::new("\t\t'x-ms-error-code': 'AuthenticationFailed',")).as_deref(),
        Some("AuthenticationFailed")
    );
    assert_eq!(find_code(&Text::new("Status code 403")), None);
    assert_eq!(find_code(&Text::new("code: 403")), None);
    assert_eq!(status_for_code("QueueAlreadyExists"), 409);
    assert_eq!(status_for_code("SomethingNew"), 0);
}

#[test]
fn detection_is_modest() {
    let f = ErrorText;
    assert_eq!(f.detect("just some words\nand more"), 0.0);
    for name in SAMPLES {
        let text = String::from_utf8_lossy(&read("samples", name)).into_owned();
        let c = f.detect(&text);
        assert!((0.35..=0.6).contains(&c), "{name}: {c}");
    }
    for name in FIXTURES {
        let text = String::from_utf8_lossy(&read("error-text", name)).into_owned();
        let c = f.detect(&text);
        assert!((0.35..=0.6).contains(&c), "{name}: {c}");
    }
    // The same body inside a log with timestamps is left to the log's format.
    let log = "2024-01-01 10:00:00,001 INFO request\n2024-01-01 10:00:00,002 INFO response 403\n2024-01-01 10:00:00,003 ERROR <Error><Code>AuthenticationFailed</Code><Message>x</Message></Error>\n";
    assert!(f.detect(log) < 0.3);
}

#[test]
fn service_time_of_the_message_is_the_response_date() {
    // No `Date` header in a Java exception: the `Time:` the service wrote is its clock, and the
    // clock-skew rule compares the quoted request date with it.
    let text = "com.azure.storage.blob.models.BlobStorageException: Status code 403, \"<?xml version=\"1.0\" encoding=\"utf-8\"?><Error><Code>AuthenticationFailed</Code><Message>Server failed to authenticate the request.\nRequestId:51c9e0a7-801e-0062-44b3-44e5d8000000\nTime:2024-12-02T19:02:44.9034117Z</Message><AuthenticationErrorDetail>Request date header too old: 'Mon, 02 Dec 2024 18:31:07 GMT'</AuthenticationErrorDetail></Error>\"\n";
    let ds = parse(text.as_bytes());
    let v = only(&ds);
    assert_eq!(
        v.extra(Field::ResponseDate),
        Some("2024-12-02T19:02:44.9034117Z")
    );
    assert_eq!(
        v.extra(Field::RequestDate),
        Some("Mon, 02 Dec 2024 18:31:07 GMT")
    );
    // A `Date` header, when pasted, stays the response date.
    let with_date = format!("{text}Date: Mon, 02 Dec 2024 19:02:44 GMT\n");
    let ds = parse(with_date.as_bytes());
    assert_eq!(
        only(&ds).extra(Field::ResponseDate),
        Some("Mon, 02 Dec 2024 19:02:44 GMT")
    );
}

#[test]
fn quoted_string_to_sign_is_not_a_log() {
    // The dates and the version of a SAS string to sign stand alone on their lines; they are
    // values inside the error, not timestamps of log lines, so a short paste stays error-text.
    let sts = "r\n2024-10-15T13:00:00Z\n2024-10-15T21:00:00Z\n/blob/acct/c/b.xlsx\n\n\nhttps\n2022-11-02\nb\n";
    let text = format!(
        "Azure.RequestFailedException: Server failed to authenticate the request.\nStatus: 403 (Server failed to authenticate the request.)\nErrorCode: AuthenticationFailed\n\nAdditional Information:\nAuthenticationErrorDetail: Signature did not match. String to sign used was {sts}\nContent:\n<?xml version=\"1.0\" encoding=\"utf-8\"?><Error><Code>AuthenticationFailed</Code><Message>Server failed to authenticate the request.</Message><AuthenticationErrorDetail>Signature did not match. String to sign used was {sts}</AuthenticationErrorDetail></Error>\n"
    );
    assert!(
        ErrorText.detect(&text) >= 0.5,
        "{}",
        ErrorText.detect(&text)
    );
    assert!(!looks_logged("2024-10-15T13:00:00Z"));
    assert!(!looks_logged("2022-11-02"));
    assert!(looks_logged("2024-10-15T13:00:00Z INFO upload"));
    assert!(looks_logged("13:41:27.118 [main] ERROR x"));
}

#[test]
fn never_panics_on_cut_or_garbled_input() {
    let mut all: Vec<Vec<u8>> = SAMPLES.iter().map(|n| read("samples", n)).collect();
    all.extend(FIXTURES.iter().map(|n| read("error-text", n)));
    for b in &all {
        let text = String::from_utf8_lossy(b);
        for (i, _) in text.char_indices().step_by(5) {
            let _ = analyze_bytes("g.txt", text[..i].as_bytes(), Some("error-text")).unwrap();
            let _ = analyze_bytes("g.txt", text[i..].as_bytes(), Some("error-text")).unwrap();
        }
        let stripped: String = text
            .chars()
            .filter(|c| !matches!(c, '\'' | '<' | '>' | ':' | '+'))
            .collect();
        let _ = analyze_bytes("g.txt", stripped.as_bytes(), Some("error-text")).unwrap();
    }
    for odd in [
        "Status: 4",
        "RequestId:",
        "Message: '\\",
        "Message: 'a' +",
        "AuthenticationErrorDetail: Signature did not match. String to sign used was",
        "Signature did not match. String to sign used was\n\n",
        "<Error>",
        "Request date header too old: '",
        "Current [",
        "PUT http",
        "code: ''",
    ] {
        let _ = analyze_bytes("o.txt", odd.as_bytes(), Some("error-text")).unwrap();
    }
}

#[test]
fn same_events_at_every_split_point() {
    for name in SAMPLES {
        crate::testing::assert_split_invariant(name, &read("samples", name), None, 300);
    }
    for name in FIXTURES {
        crate::testing::assert_split_invariant(name, &read("error-text", name), None, 300);
    }
}

fn ingest_all(dir: &str, names: &[&str]) -> Dataset {
    let mut ing = Ingest::new();
    for name in names {
        ing.begin(name, None).unwrap();
        ing.feed(&read(dir, name));
    }
    ing.finish()
}

#[test]
fn snapshot_samples() {
    insta::assert_snapshot!(crate::testing::dump(&ingest_all("samples", &SAMPLES)));
}

#[test]
fn snapshot_fixtures() {
    insta::assert_snapshot!(crate::testing::dump(&ingest_all("error-text", &FIXTURES)));
}

#[test]
fn long_input_is_read_in_blocks() {
    let mut text =
        String::from("ErrorCode: BlobNotFound\nStatus: 404 (The specified blob does not exist.)\n");
    for i in 0..2_500 {
        text.push_str(if i == 2_200 {
            "\n"
        } else {
            "   at Worker.Run()\n"
        });
    }
    text.push_str("ErrorCode: ServerBusy\nStatus: 503 (The server is busy.)\n");
    let ds = analyze_bytes("long.txt", text.as_bytes(), Some("error-text"))
        .unwrap()
        .0;
    let mut got: Vec<(u32, u16)> = ds.iter().map(|v| (v.ev.line, v.ev.status)).collect();
    got.sort();
    assert_eq!(got, vec![(1, 404), (2_503, 503)]);
    // The stack lines belong to the blocks of the two errors, so none is skipped.
    assert_eq!(ds.inputs[0].skipped_total, 0);
}
