use super::*;
use crate::formats::Format;
use crate::ingest::analyze_bytes;
use crate::model::{Dataset, EventView};
use crate::Ingest;

const SAMPLES: [&str; 8] = [
    "browser-console_chrome-edge_cors-no-ACAO-header_xhr.txt",
    "browser-console_chrome_azure-blob-cors-preflight-no-ACAO_issues.txt",
    "browser-console_chrome_cors-method-not-allowed_examples.txt",
    "browser-console_ie-edgehtml-cors_SEC7118-SEC7120_okta-docs.txt",
    "browser-console_ie11-cors_SEC7120-SCRIPT7002.txt",
    "browser-console_ie11-cors_SEC7123-azure-media-player.txt",
    "browser-console_ie11-cors_SEC7123-content-type.txt",
    "browser-console_ie11-cors_SEC7123-x-csrf-token.txt",
];

const FIXTURES: [&str; 5] = [
    "ie11-f12-tsg-localhost-56309.txt",
    "edgehtml-cors-localhost-56309.txt",
    "chrome-devtools-react-blob-upload.txt",
    "firefox-console-queue-worker.txt",
    "safari-console-file-share.txt",
];

fn read(dir: &str, name: &str) -> Vec<u8> {
    let path = format!("{}/fixtures/{dir}/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn parse(bytes: &[u8]) -> Dataset {
    analyze_bytes("console.txt", bytes, None).unwrap().0
}

/// (line, cors_failure) of every event, in line order.
fn failures(ds: &Dataset) -> Vec<(u32, String)> {
    let mut v: Vec<(u32, String)> = ds
        .iter()
        .map(|e| {
            (
                e.ev.line,
                e.extra(Field::CorsFailure).unwrap_or("-").to_string(),
            )
        })
        .collect();
    v.sort();
    v
}

fn at_line(ds: &Dataset, line: u32) -> EventView<'_> {
    ds.iter()
        .find(|v| v.ev.line == line)
        .unwrap_or_else(|| panic!("no event at line {line}"))
}

fn one(text: &str) -> Dataset {
    let ds = analyze_bytes("one.txt", text.as_bytes(), Some("browser-console"))
        .unwrap()
        .0;
    assert_eq!(ds.events.len(), 1, "{}", crate::testing::dump(&ds));
    ds
}

#[test]
fn every_sample_is_recognised() {
    for name in SAMPLES {
        let bytes = read("samples", name);
        let text = String::from_utf8_lossy(&bytes);
        let c = BrowserConsole.detect(&text);
        assert!(c >= 0.8, "{name}: {c}");
        let ds = parse(&bytes);
        assert_eq!(ds.inputs[0].format, "browser-console", "{name}");
        assert!(
            ds.iter().all(|v| v.ev.source == SourceKind::Console),
            "{name}"
        );
    }
}

#[test]
fn samples_yield_the_right_failures() {
    let expect: [(&str, &[(u32, &str)]); 8] = [
        (SAMPLES[0], &[(1, "no-allow-origin")]),
        (
            SAMPLES[1],
            &[
                (1, "no-allow-origin"),
                (3, "no-allow-origin"),
                (6, "preflight-failed"),
                (8, "preflight-failed"),
                (21, "preflight-failed"),
            ],
        ),
        (
            SAMPLES[2],
            &[
                (1, "method-not-allowed"),
                (2, "method-not-allowed"),
                (3, "method-not-allowed"),
            ],
        ),
        (SAMPLES[3], &[(3, "no-allow-origin")]),
        (SAMPLES[4], &[(1, "no-allow-origin")]),
        (SAMPLES[5], &[(5, "header-not-allowed")]),
        (
            SAMPLES[6],
            &[(7, "header-not-allowed"), (12, "header-not-allowed")],
        ),
        (SAMPLES[7], &[(1, "header-not-allowed")]),
    ];
    for (name, want) in expect {
        let ds = parse(&read("samples", name));
        let got = failures(&ds);
        let want: Vec<(u32, String)> = want.iter().map(|(l, c)| (*l, c.to_string())).collect();
        assert_eq!(got, want, "{name}");
    }
}

#[test]
fn azure_issue_sample_details() {
    let ds = parse(&read("samples", SAMPLES[1]));
    let first = at_line(&ds, 1);
    assert_eq!(
        first.extra(Field::Origin),
        Some("https://accountname.z33.web.core.windows.net")
    );
    assert_eq!(first.ev.service, Service::Blob);
    assert_eq!(first.operation(), "");
    // "Failed to load resource: … status of 403 ()" on line 5 belongs to line 6, which also
    // says 403 itself; the preflight refusal becomes preflight-failed.
    let six = at_line(&ds, 6);
    assert_eq!(six.ev.status, 403);
    assert_eq!(six.extra(Field::Origin), Some("http://192.168.10.71:4443"));
    // The pasted OPTIONS request headers complete the bare message on line 8.
    let eight = at_line(&ds, 8);
    assert_eq!(eight.extra(Field::AccessControlRequestMethod), Some("PUT"));
    assert_eq!(
        eight.extra(Field::AccessControlRequestHeaders),
        Some("accept,authorization,content-type,x-ms-blob-type")
    );
    assert_eq!(eight.ev.service, Service::Blob);
    assert_eq!(eight.account(), "kumo2stage");
    // The origin header of the paste disagrees with the message: the message wins and the
    // header line is reported as unused.
    assert_eq!(eight.extra(Field::Origin), Some("http://localhost:3000"));
    let skipped: Vec<u64> = ds.inputs[0].skipped.iter().map(|s| s.line).collect();
    assert_eq!(skipped, vec![2, 4, 7, 10, 11, 12, 13, 16, 18, 19, 20]);
    // The lone reason phrase after the last separator is Azure's refused-preflight text.
    let last = at_line(&ds, 21);
    assert_eq!(last.ev.status, 403);
    assert_eq!(
        last.extra(Field::Detail),
        Some("CORS not enabled or no matching rule found for this request")
    );
}

#[test]
fn troubleshooting_article_example() {
    // The guide's example: SEC7120 for origin http://localhost:56309, then SCRIPT7002.
    let ds = parse(&read("browser-console", FIXTURES[0]));
    assert_eq!(ds.inputs[0].format, "browser-console");
    assert_eq!(
        failures(&ds),
        vec![
            (5, "no-allow-origin".to_string()),
            (14, "header-not-allowed".to_string()),
            (21, "method-not-allowed".to_string()),
        ]
    );
    let tsg = at_line(&ds, 5);
    assert_eq!(tsg.extra(Field::Origin), Some("http://localhost:56309"));
    // The URL comes from the SEC7118 line before it.
    assert_eq!(
        tsg.extra(Field::Url),
        Some("https://contosotsg.blob.core.windows.net/images/banner.png")
    );
    assert_eq!(tsg.ev.service, Service::Blob);
    assert_eq!(
        tsg.extra(Field::Detail),
        Some("SEC7120: Origin http://localhost:56309 not found in Access-Control-Allow-Origin header.")
    );
    let hdr = at_line(&ds, 14);
    assert_eq!(
        hdr.extra(Field::AccessControlRequestHeaders),
        Some("x-ms-blob-type")
    );
    assert_eq!(hdr.ev.auth, AuthKind::Sas);
    let meth = at_line(&ds, 21);
    assert_eq!(meth.ev.method, Method::Delete);
    assert_eq!(meth.ev.service, Service::Queue);
    assert_eq!(
        meth.extra(Field::AccessControlRequestMethod),
        Some("DELETE")
    );
    // Every other non-blank line is skipped with a reason, at its own line number.
    let info = &ds.inputs[0];
    assert_eq!(info.skipped_total, 17);
    assert!(info
        .skipped
        .iter()
        .any(|s| s.line == 26 && s.reason.contains("not a CORS refusal")));

    // EdgeHTML's wording of the same failure.
    let edge = parse(&read("browser-console", FIXTURES[1]));
    assert_eq!(failures(&edge), vec![(4, "no-allow-origin".to_string())]);
    let e = at_line(&edge, 4);
    assert_eq!(e.extra(Field::Origin), Some("http://localhost:56309"));
    assert_eq!(
        e.extra(Field::Url),
        Some("https://contosotsg.blob.core.windows.net/images/banner.png")
    );
}

#[test]
fn chrome_fixture() {
    let ds = parse(&read("browser-console", FIXTURES[2]));
    assert_eq!(
        failures(&ds),
        vec![
            (5, "preflight-failed".to_string()),
            (14, "credentials-wildcard".to_string()),
            (17, "-".to_string()),
            (18, "header-not-allowed".to_string()),
        ]
    );
    // The network line after the message gives method and status.
    let put = at_line(&ds, 5);
    assert_eq!(put.ev.method, Method::Put);
    assert_eq!(put.ev.status, 403);
    assert_eq!(put.operation(), "PutBlob");
    assert_eq!(put.extra(Field::Origin), Some("http://localhost:5173"));
    // A network line matching no CORS message is an event with its status.
    let missing = at_line(&ds, 17);
    assert_eq!(missing.ev.status, 404);
    assert_eq!(
        missing.extra(Field::Detail),
        Some("The specified blob does not exist.")
    );
    assert_eq!(
        at_line(&ds, 18).extra(Field::AccessControlRequestHeaders),
        Some("x-ms-meta-project")
    );
    let dump = crate::testing::dump(&ds);
    assert!(
        !dump.contains("Y2hyb21lLWZpeHR1cmUtbm90LXJlYWw"),
        "sig leaked"
    );
}

#[test]
fn firefox_and_safari_fixtures() {
    let ff = parse(&read("browser-console", FIXTURES[3]));
    assert_eq!(
        failures(&ff),
        vec![
            (4, "preflight-failed".to_string()),
            (7, "no-allow-origin".to_string()),
            (8, "-".to_string()),
            (9, "header-not-allowed".to_string()),
            (10, "credentials-wildcard".to_string()),
        ]
    );
    let pre = at_line(&ff, 4);
    assert_eq!(pre.ev.status, 403);
    assert_eq!(pre.ev.service, Service::Queue);
    assert_eq!(
        at_line(&ff, 9).extra(Field::AccessControlRequestHeaders),
        Some("x-ms-client-request-id")
    );
    assert_eq!(
        at_line(&ff, 10).extra(Field::Url),
        Some("https://media.contoso.com/routes/17/map.png")
    );

    let sf = parse(&read("browser-console", FIXTURES[4]));
    assert_eq!(
        failures(&sf),
        vec![
            (2, "preflight-failed".to_string()),
            (7, "no-allow-origin".to_string()),
            (10, "credentials-wildcard".to_string()),
        ]
    );
    let file = at_line(&sf, 2);
    assert_eq!(file.ev.service, Service::File);
    assert_eq!(file.ev.status, 403);
    let blob = at_line(&sf, 7);
    assert_eq!(
        blob.extra(Field::Origin),
        Some("https://intranet.contoso.com")
    );
    assert_eq!(
        blob.extra(Field::Url),
        Some("https://contosodocs.blob.core.windows.net/templates/index.json")
    );
}

#[test]
fn navigation_line_gives_the_origin_of_later_refusals() {
    // Firefox names no origin in its CORS messages; the console's `Navigated to` line says
    // which page made the calls that follow.
    let text = "Navigated to https://Dispatch.fabrikam.com/board?tab=1\nCross-Origin Request Blocked: The Same Origin Policy disallows reading the remote resource at https://acct.queue.core.windows.net/jobs/messages. (Reason: CORS preflight response did not succeed). Status code: 403.\nNavigated to http://localhost:8080/\n";
    let ds = parse(text.as_bytes());
    assert_eq!(ds.events.len(), 1, "{}", crate::testing::dump(&ds));
    assert_eq!(
        at_line(&ds, 2).extra(Field::Origin),
        Some("https://dispatch.fabrikam.com")
    );
    // The second navigation is followed by nothing: reported as skipped; the first is used.
    let skipped: Vec<u64> = ds.inputs[0].skipped.iter().map(|s| s.line).collect();
    assert_eq!(skipped, vec![3]);
    // A message that names its own origin keeps it.
    let chromium = "Navigated to https://other.example/\nAccess to fetch at 'https://acct.blob.core.windows.net/c/b' from origin 'http://localhost:5173' has been blocked by CORS policy: No 'Access-Control-Allow-Origin' header is present on the requested resource.\n";
    let ds = parse(chromium.as_bytes());
    assert_eq!(
        at_line(&ds, 2).extra(Field::Origin),
        Some("http://localhost:5173")
    );
}

#[test]
fn chromium_reasons() {
    let pre = "Access to XMLHttpRequest at 'https://a.blob.core.windows.net/c/b' from origin 'https://app.example.com' has been blocked by CORS policy: ";
    let cases = [
        ("No 'Access-Control-Allow-Origin' header is present on the requested resource.", "no-allow-origin"),
        ("Response to preflight request doesn't pass access control check: It does not have HTTP ok status.", "preflight-failed"),
        ("Redirect is not allowed for a preflight request.", "preflight-failed"),
        ("The 'Access-Control-Allow-Origin' header has a value 'https://other.example.com' that is not equal to the supplied origin.", "origin-mismatch"),
        ("The 'Access-Control-Allow-Origin' header contains multiple values 'https://a, https://b', but only one is allowed.", "origin-mismatch"),
        ("The value of the 'Access-Control-Allow-Credentials' header in the response is '' which must be 'true' when the request's credentials mode is 'include'.", "credentials-wildcard"),
        ("Response to preflight request doesn't pass access control check: Cannot parse Access-Control-Allow-Headers response header field in preflight response.", "header-not-allowed"),
        ("Cross origin requests are only supported for protocol schemes: http, data, chrome, https.", "blocked"),
    ];
    for (reason, code) in cases {
        let ds = one(&format!("{pre}{reason}"));
        let v = ds.view(0);
        assert_eq!(v.extra(Field::CorsFailure), Some(code), "{reason}");
        assert_eq!(v.extra(Field::Origin), Some("https://app.example.com"));
        assert_eq!(
            v.extra(Field::Url),
            Some("https://a.blob.core.windows.net/c/b")
        );
    }
    // A redirect: the first quoted URL is the last one requested.
    let ds = one("Access to fetch at 'https://b.example.com/x' (redirected from 'https://a.blob.core.windows.net/c/x') from origin 'https://app.example.com' has been blocked by CORS policy: No 'Access-Control-Allow-Origin' header is present on the requested resource.");
    assert_eq!(
        ds.view(0).extra(Field::Url),
        Some("https://b.example.com/x")
    );
    assert_eq!(
        ds.view(0).extra(Field::Origin),
        Some("https://app.example.com")
    );
    // The pre-2017 wording.
    let ds = one("XMLHttpRequest cannot load https://a.blob.core.windows.net/c/b. No 'Access-Control-Allow-Origin' header is present on the requested resource. Origin 'http://localhost:8080' is therefore not allowed access. The response had HTTP status code 403.");
    let v = ds.view(0);
    assert_eq!(
        v.extra(Field::Url),
        Some("https://a.blob.core.windows.net/c/b")
    );
    assert_eq!(v.extra(Field::Origin), Some("http://localhost:8080"));
    assert_eq!(v.ev.status, 403);
    assert_eq!(v.extra(Field::CorsFailure), Some("no-allow-origin"));
}

#[test]
fn firefox_reasons() {
    let pre = "Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote resource at https://a.blob.core.windows.net/c/b. ";
    let cases = [
        ("(Reason: CORS header 'Access-Control-Allow-Origin' missing).", "no-allow-origin", 0),
        ("(Reason: CORS header \u{2018}Access-Control-Allow-Origin\u{2019} missing). Status code: 403.", "no-allow-origin", 403),
        ("(Reason: CORS header \u{2018}Access-Control-Allow-Origin\u{2019} does not match \u{2018}https://x.example.com\u{2019}).", "origin-mismatch", 0),
        ("(Reason: Multiple CORS header \u{2018}Access-Control-Allow-Origin\u{2019} not allowed).", "origin-mismatch", 0),
        ("(Reason: Did not find method in CORS header \u{2018}Access-Control-Allow-Methods\u{2019}).", "method-not-allowed", 0),
        ("(Reason: expected \u{2018}true\u{2019} in CORS header \u{2018}Access-Control-Allow-Credentials\u{2019}).", "credentials-wildcard", 0),
        ("(Reason: missing token \u{2018}x-ms-version\u{2019} in CORS header \u{2018}Access-Control-Allow-Headers\u{2019} from CORS preflight channel).", "header-not-allowed", 0),
        ("(Reason: CORS disabled).", "blocked", 0),
        ("(Reason: CORS request did not succeed). Status code: (null).", "blocked", 0),
    ];
    for (reason, code, status) in cases {
        let ds = one(&format!("{pre}{reason}"));
        let v = ds.view(0);
        assert_eq!(v.extra(Field::CorsFailure), Some(code), "{reason}");
        assert_eq!(v.ev.status, status, "{reason}");
        assert_eq!(
            v.extra(Field::Url),
            Some("https://a.blob.core.windows.net/c/b")
        );
    }
    let ds = one(&format!("{pre}(Reason: missing token \u{2018}x-ms-version\u{2019} in CORS header \u{2018}Access-Control-Allow-Headers\u{2019} from CORS preflight channel)."));
    assert_eq!(
        ds.view(0).extra(Field::AccessControlRequestHeaders),
        Some("x-ms-version")
    );
}

#[test]
fn safari_and_ie_variants() {
    let ds = one("[Error] Method DELETE is not allowed by Access-Control-Allow-Methods.");
    assert_eq!(
        ds.view(0).extra(Field::CorsFailure),
        Some("method-not-allowed")
    );
    assert_eq!(ds.view(0).ev.method, Method::Delete);
    let ds = one("[Error] Request header field x-ms-blob-type is not allowed by Access-Control-Allow-Headers.");
    assert_eq!(
        ds.view(0).extra(Field::AccessControlRequestHeaders),
        Some("x-ms-blob-type")
    );
    let ds = one("[Error] Access-Control-Allow-Origin cannot contain more than one origin.");
    assert_eq!(
        ds.view(0).extra(Field::CorsFailure),
        Some("origin-mismatch")
    );
    let ds = one("SEC7121: Wildcard in Access-Control-Allow-Origin not allowed when credentials flag is set to true.");
    assert_eq!(
        ds.view(0).extra(Field::CorsFailure),
        Some("credentials-wildcard")
    );
    let ds = one("SEC7126: Redirects are not allowed for CORS preflight requests.");
    assert_eq!(
        ds.view(0).extra(Field::CorsFailure),
        Some("preflight-failed")
    );
    let ds = one(
        "SEC7128: Multiple Access-Control-Allow-Origin headers are not allowed for CORS response.",
    );
    assert_eq!(
        ds.view(0).extra(Field::CorsFailure),
        Some("origin-mismatch")
    );
    // SCRIPT7002 "Access is denied" alone still reports a refusal.
    let ds = one("SCRIPT7002: XMLHttpRequest: Network Error 0x80070005, Access is denied.");
    assert_eq!(ds.view(0).extra(Field::CorsFailure), Some("blocked"));
}

#[test]
fn informational_lines_alone_are_not_failures() {
    let text = "SEC7118: XMLHttpRequest for https://a.blob.core.windows.net/c/b required Cross Origin Resource Sharing (CORS).\nHTML1300: Navigation occurred.\n";
    let ds = analyze_bytes("i.txt", text.as_bytes(), Some("browser-console"))
        .unwrap()
        .0;
    assert_eq!(ds.events.len(), 0);
    let skipped: Vec<(u64, &str)> = ds.inputs[0]
        .skipped
        .iter()
        .map(|s| (s.line, s.reason.as_str()))
        .collect();
    assert_eq!(
        skipped,
        vec![
            (1, "a CORS notice that does not report a refusal"),
            (2, "a console message that is not about CORS"),
        ]
    );
}

#[test]
fn detection_stays_low_on_other_text() {
    let f = BrowserConsole;
    assert_eq!(f.detect(""), 0.0);
    assert_eq!(
        f.detect("2024-01-01 INFO started\n2024-01-01 INFO done\n"),
        0.0
    );
    let dotnet = include_str!(
        "../../fixtures/samples/dotnet-legacy-trace_textwriter-lines_docs-client-side-logging.log"
    );
    assert!(f.detect(dotnet) < 0.3);
    // A log of another format with one pasted CORS line does not become a console copy
    // with certainty.
    let mut mixed = String::new();
    for i in 0..40 {
        mixed.push_str(&format!(
            "2024-05-01T10:00:{i:02}Z INFO worker: processed batch {i}\n"
        ));
    }
    mixed.push_str("Access to fetch at 'https://a.blob.core.windows.net/c' from origin 'https://x' has been blocked by CORS policy: No 'Access-Control-Allow-Origin' header is present on the requested resource.\n");
    assert!(f.detect(&mixed) < 0.65, "{}", f.detect(&mixed));
}

#[test]
fn never_panics_on_cut_or_garbled_input() {
    let mut all: Vec<Vec<u8>> = SAMPLES.iter().map(|n| read("samples", n)).collect();
    all.extend(FIXTURES.iter().map(|n| read("browser-console", n)));
    for b in &all {
        let text = String::from_utf8_lossy(b);
        for (i, _) in text.char_indices().step_by(7) {
            let _ = analyze_bytes("g.txt", text[..i].as_bytes(), Some("browser-console")).unwrap();
            let _ = analyze_bytes("g.txt", text[i..].as_bytes(), Some("browser-console")).unwrap();
        }
        // Quotes and brackets removed, lines shuffled.
        let stripped: String = text
            .chars()
            .filter(|c| !matches!(c, '\'' | '(' | ')' | ':'))
            .collect();
        let _ = analyze_bytes("g.txt", stripped.as_bytes(), Some("browser-console")).unwrap();
        let mut lines: Vec<&str> = text.lines().collect();
        lines.reverse();
        let _ = analyze_bytes(
            "g.txt",
            lines.join("\n").as_bytes(),
            Some("browser-console"),
        )
        .unwrap();
    }
    for odd in [
        "SEC7",
        "SEC7120:",
        "SEC71xx: x",
        "Access to  has been blocked by CORS policy:",
        "Failed to load : ",
        "GET https://",
        "XHR",
        "'403 (",
        " cannot load ",
        "Cross-Origin Request Blocked: (Reason: ",
        "x @ :",
    ] {
        let _ = analyze_bytes("o.txt", odd.as_bytes(), Some("browser-console")).unwrap();
    }
}

#[test]
fn same_events_at_every_split_point() {
    for name in SAMPLES {
        crate::testing::assert_split_invariant(name, &read("samples", name), None, 400);
    }
    for name in FIXTURES {
        crate::testing::assert_split_invariant(name, &read("browser-console", name), None, 400);
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
    insta::assert_snapshot!(crate::testing::dump(&ingest_all(
        "browser-console",
        &FIXTURES
    )));
}
