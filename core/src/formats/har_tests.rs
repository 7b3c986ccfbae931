use super::*;
use crate::formats::Format;
use crate::ingest::analyze_bytes;
use crate::model::Dataset;

const SAMPLE: &[u8] = include_bytes!(
    "../../fixtures/samples/har-chrome-edge126_cors-actual-request-ERR_FAILED-plus-preflight_fragment.json"
);
const CHROME: &[u8] = include_bytes!("../../fixtures/har/chrome-blob-upload-cors-and-sas.har");
const FIREFOX: &[u8] =
    include_bytes!("../../fixtures/har/firefox-queue-cdn-cors-and-signature.har");

fn parse(bytes: &[u8]) -> Dataset {
    analyze_bytes("t.har", bytes, None).unwrap().0
}

fn at_line(ds: &Dataset, line: u32) -> crate::model::EventView<'_> {
    ds.iter()
        .find(|v| v.ev.line == line)
        .unwrap_or_else(|| panic!("no event at line {line}"))
}

#[test]
fn detection() {
    let f = Har;
    for b in [SAMPLE, CHROME, FIREFOX] {
        let c = f.detect(std::str::from_utf8(b).unwrap());
        assert!(c >= 0.9, "{c}");
    }
    assert_eq!(f.detect("hello\nworld"), 0.0);
    assert_eq!(
        f.detect(r#"{"time":"2024-01-01T00:00:00Z","operationName":"GetBlob","statusCode":200}"#),
        0.0
    );
}

#[test]
fn fragment_sample_recovers_both_entries() {
    let ds = parse(SAMPLE);
    let info = &ds.inputs[0];
    assert_eq!(info.format, "har");
    assert_eq!(info.skipped_total, 0);
    assert_eq!(
        info.notices,
        vec!["This HAR file is truncated: it starts in the middle of an entry (the beginning of the file is missing; what remained of that entry was read). Recovered 1 whole entry and the remainder of the entry it starts in.".to_string()]
    );
    assert_eq!(ds.events.len(), 2);
    // The blocked POST: the server answered 400 without Access-Control-Allow-Origin.
    let post = at_line(&ds, 1);
    assert_eq!(post.ev.method, Method::Post);
    assert_eq!(post.ev.status, 400);
    assert_eq!(post.ev.source, SourceKind::Network);
    assert_eq!(post.extra(Field::CorsFailure), Some("no-allow-origin"));
    assert_eq!(post.extra(Field::Origin), Some("http://localhost:5173"));
    assert_eq!(post.extra(Field::Detail), Some("net::ERR_FAILED"));
    assert_eq!(
        post.extra(Field::AccessControlRequestHeaders),
        Some("content-type")
    );
    assert_eq!(post.time().unwrap().to_string(), "2024-06-30T04:14:55.736Z");
    assert!((post.ev.e2e_ms - 2166.58).abs() < 0.01);
    // Its preflight succeeded (204 with `*`), so it carries no CORS failure.
    let pre = at_line(&ds, 167);
    assert_eq!(pre.ev.method, Method::Options);
    assert_eq!(pre.ev.status, 204);
    assert_eq!(pre.extra(Field::CorsFailure), None);
    assert_eq!(pre.extra(Field::AccessControlRequestMethod), Some("POST"));
    assert_eq!(pre.ev.auth, AuthKind::Anonymous);
}

#[test]
fn chrome_fixture_events() {
    let ds = parse(CHROME);
    let info = &ds.inputs[0];
    assert_eq!(info.skipped_total, 0);
    assert!(info.notices.is_empty(), "{:?}", info.notices);
    assert_eq!(ds.events.len(), 14);

    // The failed preflight (403 CorsPreflightFailure) and the upload it stopped (status 0).
    let pre = at_line(&ds, 691);
    assert_eq!(pre.ev.status, 403);
    assert_eq!(pre.error_code(), "CorsPreflightFailure");
    assert_eq!(pre.operation(), "BlobPreflightRequest");
    assert_eq!(pre.extra(Field::CorsFailure), Some("preflight-failed"));
    assert_eq!(pre.extra(Field::Origin), Some("https://portal.contoso.com"));
    assert_eq!(pre.extra(Field::AccessControlRequestMethod), Some("PUT"));
    assert_eq!(
        pre.extra(Field::AccessControlRequestHeaders),
        Some(
            "content-type,x-ms-blob-type,x-ms-client-request-id,x-ms-meta-uploadedby,x-ms-version"
        )
    );
    assert_eq!(pre.request_id(), "8f2b7d41-201e-0061-3a11-05e7bf000000");
    let put = at_line(&ds, 518);
    assert_eq!(put.ev.status, 0);
    assert!(put.ev.is_failure());
    assert_eq!(put.extra(Field::CorsFailure), Some("preflight-failed"));
    assert_eq!(put.extra(Field::Detail), Some("net::ERR_FAILED"));
    assert_eq!(
        put.client_request_id(),
        "6b1f0c2e-5a7d-4e44-9a3b-1c2d3e4f5a02"
    );
    assert_eq!(
        put.extra(Field::Note),
        Some("its CORS preflight is the entry at line 691")
    );

    // Only those two are CORS failures.
    let cors: Vec<u32> = ds
        .iter()
        .filter(|v| v.extra(Field::CorsFailure).is_some())
        .map(|v| v.ev.line)
        .collect();
    assert_eq!(cors, vec![518, 691]);

    // Expired SAS: the body was stored base64-encoded.
    let expired = at_line(&ds, 1677);
    assert_eq!(expired.ev.status, 403);
    assert_eq!(expired.error_code(), "AuthenticationFailed");
    assert_eq!(expired.ev.auth, AuthKind::Sas);
    assert!(expired
        .extra(Field::Detail)
        .unwrap()
        .ends_with("Signature not valid in the specified time frame: Start [Thu, 12 Sep 2024 09:00:00 GMT] - Expiry [Thu, 12 Sep 2024 10:00:00 GMT] - Current [Thu, 12 Sep 2024 10:45:01 GMT]"));
    assert_eq!(
        expired.sas().unwrap().se.as_deref(),
        Some("2024-09-12T10:00:00Z")
    );

    // Bearer token: OAuth, request date kept, token not stored.
    let oauth = at_line(&ds, 2472);
    assert_eq!(oauth.ev.auth, AuthKind::OAuth);
    assert_eq!(oauth.error_code(), "AuthorizationPermissionMismatch");
    assert_eq!(
        oauth.extra(Field::RequestDate),
        Some("Thu, 12 Sep 2024 10:46:05 GMT")
    );

    // HEAD 404 has no body: code from the header, message from the reason phrase.
    let head = at_line(&ds, 1862);
    assert_eq!(head.operation(), "GetBlobProperties");
    assert_eq!(head.error_code(), "BlobNotFound");
    assert_eq!(
        head.extra(Field::Detail),
        Some("The specified blob does not exist.")
    );

    // The page's own script is not a storage request: no operation name.
    let script = at_line(&ds, 20);
    assert_eq!(script.operation(), "");
    assert_eq!(script.extra(Field::Origin), None);

    let dump = crate::testing::dump(&ds);
    assert!(!dump.contains("eyJ0eXAi"), "bearer token leaked");
    assert!(!dump.contains("k3Jm0a9bV1xQeYz2HcT5uW8pL4nR6sD7fG0hJ1kM2oA"));
}

#[test]
fn firefox_fixture_events() {
    let ds = parse(FIREFOX);
    assert_eq!(ds.inputs[0].skipped_total, 0);
    assert_eq!(ds.events.len(), 10);
    let cors: Vec<(u32, &str)> = ds
        .iter()
        .filter_map(|v| Some((v.ev.line, v.extra(Field::CorsFailure)?)))
        .collect();
    assert_eq!(
        cors,
        vec![
            (379, "preflight-failed"),
            (515, "preflight-failed"),
            (1021, "credentials-wildcard"),
            (1158, "origin-mismatch"),
        ]
    );
    // Firefox writes local time with an offset.
    let post = at_line(&ds, 379);
    assert_eq!(post.time().unwrap().to_string(), "2024-10-03T12:02:20.117Z");
    assert_eq!(post.ev.status, 0);
    assert_eq!(post.operation(), "PutMessage");
    // HTTP/1.1 header names keep their casing; they are still found.
    assert_eq!(
        post.extra(Field::Origin),
        Some("https://reports.contoso.com")
    );
    let gone = at_line(&ds, 838);
    assert_eq!(gone.error_code(), "QueueNotFound");
    assert_eq!(
        gone.extra(Field::Detail),
        Some("The specified queue does not exist.")
    );
    let sig = at_line(&ds, 1435);
    assert_eq!(sig.error_code(), "AuthenticationFailed");
    assert_eq!(
        sig.extra(Field::ServerStringToSign),
        Some("rcw\n2024-10-03T11:30:00Z\n2024-10-03T20:00:00Z\n/blob/contosofield/field-photos\n\n\nhttps\n2023-11-03\nc\n\n\n\n\n\n\n")
    );
}

/// Byte offsets of the closing braces of the entries of a whole HAR.
fn entry_end_offsets(bytes: &[u8]) -> Vec<usize> {
    // Entries are the objects inside depth 3 (root, log, entries array).
    let mut ends = Vec::new();
    let mut depth = 0;
    let entries = memchr::memmem::find(bytes, b"\"entries\"").unwrap();
    let (mut in_str, mut esc) = (false, false);
    for (i, &b) in bytes.iter().enumerate() {
        if in_str {
            match b {
                _ if esc => esc = false,
                b'\\' => esc = true,
                b'"' => in_str = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_str = true,
            b'{' | b'[' => depth += 1,
            b'}' | b']' => {
                depth -= 1;
                if depth == 3 && b == b'}' && i > entries {
                    ends.push(i);
                }
            }
            _ => {}
        }
    }
    ends
}

#[test]
fn truncated_at_the_end_keeps_whole_entries() {
    let text = std::str::from_utf8(CHROME).unwrap();
    // Cut at the start of line 900, in the middle of the entry that starts at line 862.
    let cut: usize = text.split_inclusive('\n').take(899).map(str::len).sum();
    let ds = parse(&CHROME[..cut]);
    let info = &ds.inputs[0];
    assert_eq!(ds.events.len(), 5);
    assert_eq!(
        info.notices,
        vec!["This HAR file is truncated: it ends inside an entry (the end of the file is missing). Recovered 5 whole entries.".to_string()]
    );
    // Every line of the cut entry is skipped, with the entry's first line first.
    let lines = text[..cut].lines().count() as u64;
    assert_eq!(info.skipped_total, lines - 862 + 1);
    assert_eq!(info.skipped[0].line, 862);
    assert!(info.skipped[0].reason.contains("cut off"));
}

#[test]
fn every_cut_point_yields_the_entries_before_it() {
    let ends = entry_end_offsets(CHROME);
    assert_eq!(ends.len(), 14);
    let text = std::str::from_utf8(CHROME).unwrap();
    for (at, _) in text.match_indices('\n').step_by(7) {
        // Forced: the first lines alone are too little to detect.
        let ds = analyze_bytes("t.har", &CHROME[..at], Some("har"))
            .unwrap()
            .0;
        let whole = ends.iter().filter(|&&e| e < at).count();
        assert_eq!(ds.events.len(), whole, "cut at byte {at}");
        if whole < 14 {
            assert!(
                ds.inputs[0].notices.iter().any(|n| n.contains("truncated")),
                "cut at byte {at}: {:?}",
                ds.inputs[0].notices
            );
        }
    }
}

#[test]
fn cut_at_the_start_between_entries_and_inside_a_nested_array() {
    let text = std::str::from_utf8(CHROME).unwrap();
    // From the line where the fourth entry starts: the eleven entries from there on are whole.
    let from = text.match_indices("\n   {\n").nth(4).unwrap().0 + 1;
    let ds = parse(&CHROME[from..]);
    assert_eq!(ds.events.len(), 11);
    assert_eq!(ds.inputs[0].skipped_total, 0);
    // From inside the request headers of an entry: the rest of that entry is lost (its lines
    // are skipped), the following entries are read.
    let inside = text.find("\"name\": \"accept-language\"").unwrap();
    let inside = text[..inside].rfind('\n').unwrap() + 1;
    let ds = parse(&CHROME[inside..]);
    let before = ends_before(CHROME, inside);
    assert_eq!(ds.events.len(), 14 - before - 1);
    assert!(ds.inputs[0].skipped_total > 0);
    assert!(ds.inputs[0].skipped[0]
        .reason
        .contains("middle of a HAR entry"));
    assert_eq!(ds.inputs[0].skipped[0].line, 1);
    assert!(ds.inputs[0].notices[0]
        .starts_with("This HAR file is truncated: it starts in the middle of the document"));
}

fn ends_before(bytes: &[u8], at: usize) -> usize {
    entry_end_offsets(bytes).iter().filter(|&&e| e < at).count()
}

#[test]
fn minified_har_on_one_line_gives_the_same_events() {
    let v: serde_json::Value = serde_json::from_slice(CHROME).unwrap();
    let one_line = serde_json::to_string(&v).unwrap();
    let ds = parse(one_line.as_bytes());
    let pretty = parse(CHROME);
    assert_eq!(ds.events.len(), 14);
    let strip = |d: &Dataset| -> Vec<String> {
        crate::testing::dump(d)
            .lines()
            .skip_while(|l| !l.starts_with('L'))
            .map(|l| {
                l.split_once(' ')
                    .unwrap()
                    .1
                    .replace("entry at line 691", "entry at line X")
                    .replace("entry at line 1", "entry at line X")
            })
            .collect()
    };
    assert_eq!(strip(&ds), strip(&pretty));
    // All on line 1, each at the byte offset of its own `{`.
    let offsets: std::collections::BTreeSet<u64> = ds.events.iter().map(|e| e.offset).collect();
    assert_eq!(offsets.len(), 14);
}

fn har(entries: &str) -> String {
    format!("{{\"log\":{{\"version\":\"1.2\",\"creator\":{{\"name\":\"WebInspector\",\"version\":\"537.36\"}},\"entries\":[\n{entries}\n]}}}}\n")
}

fn preflight(url: &str, method: &str, headers: &str, status: u16, resp: &str) -> String {
    format!(
        r#"{{"startedDateTime":"2024-05-01T10:00:00.000Z","time":20,"request":{{"method":"OPTIONS","url":"{url}","headers":[{{"name":"Origin","value":"https://app.example.com"}},{{"name":"Access-Control-Request-Method","value":"{method}"}},{{"name":"Access-Control-Request-Headers","value":"{headers}"}}]}},"response":{{"status":{status},"statusText":"","headers":[{resp}]}}}}"#
    )
}

fn verdict_of(entry: &str) -> Option<String> {
    let ds = parse(har(entry).as_bytes());
    assert_eq!(ds.events.len(), 1);
    ds.view(0).extra(Field::CorsFailure).map(str::to_string)
}

#[test]
fn preflight_verdicts() {
    let url = "https://acct.blob.core.windows.net/c/b.txt";
    let ok_origin = r#"{"name":"Access-Control-Allow-Origin","value":"https://app.example.com"}"#;
    // Everything allowed.
    let all = format!(
        r#"{ok_origin},{{"name":"Access-Control-Allow-Methods","value":"GET,PUT"}},{{"name":"Access-Control-Allow-Headers","value":"x-ms-blob-type,X-MS-Version"}}"#
    );
    assert_eq!(
        verdict_of(&preflight(
            url,
            "PUT",
            "x-ms-version, X-MS-Blob-Type",
            200,
            &all
        )),
        None
    );
    // Method missing from the allowed list.
    let get_only = format!(
        r#"{ok_origin},{{"name":"Access-Control-Allow-Methods","value":"GET"}},{{"name":"Access-Control-Allow-Headers","value":"*"}}"#
    );
    assert_eq!(
        verdict_of(&preflight(url, "DELETE", "x-ms-version", 200, &get_only)).as_deref(),
        Some("method-not-allowed")
    );
    // A header not allowed; `*` does not cover Authorization.
    let no_meta = format!(
        r#"{ok_origin},{{"name":"Access-Control-Allow-Methods","value":"PUT"}},{{"name":"Access-Control-Allow-Headers","value":"x-ms-version"}}"#
    );
    assert_eq!(
        verdict_of(&preflight(
            url,
            "PUT",
            "x-ms-meta-a,x-ms-version",
            200,
            &no_meta
        ))
        .as_deref(),
        Some("header-not-allowed")
    );
    let star = format!(
        r#"{ok_origin},{{"name":"Access-Control-Allow-Methods","value":"PUT"}},{{"name":"Access-Control-Allow-Headers","value":"*"}}"#
    );
    assert_eq!(
        verdict_of(&preflight(
            url,
            "PUT",
            "authorization,x-ms-version",
            200,
            &star
        ))
        .as_deref(),
        Some("header-not-allowed")
    );
    assert_eq!(
        verdict_of(&preflight(url, "PUT", "x-ms-version", 200, &star)),
        None
    );
    // Wrong origin, no origin, failed status, no answer at all.
    let other = r#"{"name":"Access-Control-Allow-Origin","value":"https://other.example.com"}"#;
    assert_eq!(
        verdict_of(&preflight(url, "PUT", "", 200, other)).as_deref(),
        Some("origin-mismatch")
    );
    assert_eq!(
        verdict_of(&preflight(url, "PUT", "", 200, "")).as_deref(),
        Some("no-allow-origin")
    );
    assert_eq!(
        verdict_of(&preflight(url, "PUT", "", 403, "")).as_deref(),
        Some("preflight-failed")
    );
    assert_eq!(
        verdict_of(&preflight(url, "PUT", "", 0, "")).as_deref(),
        Some("blocked")
    );
}

#[test]
fn actual_request_verdicts_without_preflight() {
    let get = |status: u16, resp: &str, error: &str, cookies: bool| {
        let cookie = if cookies {
            r#"{"name":"Cookie","value":"session=abc"}"#
        } else {
            r#"{"name":"Accept","value":"*/*"}"#
        };
        format!(
            r#"{{"startedDateTime":"2024-05-01T10:00:00Z","time":20,"request":{{"method":"GET","url":"https://acct.blob.core.windows.net/c/b.txt","headers":[{{"name":"Origin","value":"https://app.example.com"}},{cookie}]}},"response":{{"status":{status},"headers":[{resp}],"_error":{error}}}}}"#
        )
    };
    let acao = |v: &str| format!(r#"{{"name":"Access-Control-Allow-Origin","value":"{v}"}}"#);
    assert_eq!(
        verdict_of(&get(200, &acao("https://app.example.com"), "null", false)),
        None
    );
    assert_eq!(verdict_of(&get(200, &acao("*"), "null", false)), None);
    // A 403 with the CORS headers reaches the page: not a CORS failure.
    assert_eq!(verdict_of(&get(403, &acao("*"), "null", false)), None);
    assert_eq!(
        verdict_of(&get(200, "", "\"net::ERR_FAILED\"", false)).as_deref(),
        Some("no-allow-origin")
    );
    assert_eq!(
        verdict_of(&get(200, &acao("*"), "null", true)).as_deref(),
        Some("credentials-wildcard")
    );
    assert_eq!(
        verdict_of(&get(0, "", "\"net::ERR_FAILED\"", false)).as_deref(),
        Some("blocked")
    );
    // A network failure that is not CORS.
    assert_eq!(
        verdict_of(&get(0, "", "\"net::ERR_NAME_NOT_RESOLVED\"", false)),
        None
    );
}

#[test]
fn safari_style_export_with_blocked_request() {
    // Web Inspector exports: creator "WebKit Web Inspector", `_fetchType`, status 0 and no
    // `_error` for a request the browser refused after its preflight failed.
    let text = r#"{"log":{"version":"1.2","creator":{"name":"WebKit Web Inspector","version":"18.0"},"pages":[],"entries":[
{"pageref":"page-0","startedDateTime":"2024-11-20T16:05:01.120Z","time":31.5,"request":{"method":"OPTIONS","url":"https://acct.file.core.windows.net/share/dir/report.xlsx?sv=2022-11-02&sr=f&sp=r&se=2024-11-21T00:00:00Z&sig=c2FmYXJpLXRlc3Q%3D","httpVersion":"HTTP/2","cookies":[],"headers":[{"name":"Origin","value":"https://files.example.org"},{"name":"Access-Control-Request-Method","value":"GET"},{"name":"Access-Control-Request-Headers","value":"x-ms-version"}],"queryString":[],"headersSize":-1,"bodySize":0},"response":{"status":403,"statusText":"CORS not enabled or no matching rule found for this request.","httpVersion":"HTTP/2","cookies":[],"headers":[{"name":"x-ms-request-id","value":"5b0c9a11-b01a-0012-6e3b-3b2a4c000000"}],"content":{"size":0,"mimeType":"application/xml"},"redirectURL":"","headersSize":-1,"bodySize":0},"cache":{},"timings":{"blocked":0,"dns":-1,"connect":-1,"ssl":-1,"send":0,"wait":30,"receive":1.5},"_fetchType":"Network Load"},
{"pageref":"page-0","startedDateTime":"2024-11-20T16:05:01.152Z","time":0,"request":{"method":"GET","url":"https://acct.file.core.windows.net/share/dir/report.xlsx?sv=2022-11-02&sr=f&sp=r&se=2024-11-21T00:00:00Z&sig=c2FmYXJpLXRlc3Q%3D","httpVersion":"","cookies":[],"headers":[{"name":"Origin","value":"https://files.example.org"},{"name":"x-ms-version","value":"2022-11-02"}],"queryString":[],"headersSize":-1,"bodySize":0},"response":{"status":0,"statusText":"","httpVersion":"","cookies":[],"headers":[],"content":{"size":0,"mimeType":""},"redirectURL":"","headersSize":-1,"bodySize":-1},"cache":{},"timings":{"blocked":0,"dns":-1,"connect":-1,"ssl":-1,"send":0,"wait":0,"receive":0},"_fetchType":"Network Load"}
]}}"#;
    let ds = parse(text.as_bytes());
    assert_eq!(ds.events.len(), 2);
    assert_eq!(ds.inputs[0].skipped_total, 0);
    let pre = at_line(&ds, 2);
    assert_eq!(pre.extra(Field::CorsFailure), Some("preflight-failed"));
    assert_eq!(pre.operation(), "FilePreflightRequest");
    assert_eq!(
        pre.extra(Field::Detail),
        Some("CORS not enabled or no matching rule found for this request.")
    );
    let get = at_line(&ds, 3);
    assert_eq!(get.extra(Field::CorsFailure), Some("preflight-failed"));
    assert_eq!(get.extra(Field::Origin), Some("https://files.example.org"));
    assert_eq!(
        get.extra(Field::AccessControlRequestHeaders),
        Some("x-ms-version")
    );
}

#[test]
fn text_after_the_document_and_unreadable_entries_are_skipped() {
    let text = format!(
        "{}trailing words\n",
        har(
            r#"{"startedDateTime":"2024-05-01T10:00:00Z","request":{"url":"https://a.blob.core.windows.net/c"}},
{"startedDateTime":"2024-05-01T10:00:01Z","request":{"method":"GET","url":"https://a.blob.core.windows.net/c"},"response":{"status":"404","headers":[]}}"#
        )
    );
    let ds = parse(text.as_bytes());
    let info = &ds.inputs[0];
    assert_eq!(ds.events.len(), 1);
    // The status written as a string is still read.
    assert_eq!(ds.view(0).ev.status, 404);
    let skipped: Vec<(u64, &str)> = info
        .skipped
        .iter()
        .map(|s| (s.line, s.reason.as_str()))
        .collect();
    assert_eq!(
        skipped,
        vec![
            (
                2,
                "this HAR entry could not be read (missing field `method`)"
            ),
            (5, "text after the end of the HAR document"),
        ]
    );
    assert_eq!(
        info.notices,
        vec!["1 HAR entry could not be read and was skipped.".to_string()]
    );
}

#[test]
fn bare_array_of_entries() {
    let text = r#"[
 {"startedDateTime":"2024-05-01T10:00:00Z","request":{"method":"GET","url":"https://a.queue.core.windows.net/q/messages"},"response":{"status":404,"headers":[{"name":"x-ms-error-code","value":"QueueNotFound"}]}}
]
"#;
    // Too little to detect: the user chooses the format.
    let ds = analyze_bytes("t.json", text.as_bytes(), Some("har"))
        .unwrap()
        .0;
    assert_eq!(ds.events.len(), 1);
    assert_eq!(ds.view(0).error_code(), "QueueNotFound");
    assert_eq!(
        ds.inputs[0].notices,
        vec!["format set by the user: HAR (browser network log)".to_string()]
    );
}

#[test]
fn base64_decoder() {
    assert_eq!(base64_decode("aGVsbG8=").unwrap(), b"hello");
    assert_eq!(base64_decode("aGVs\nbG8").unwrap(), b"hello");
    assert_eq!(base64_decode(""), Some(vec![]));
    assert_eq!(base64_decode("a$b"), None);
}

#[test]
fn never_panics_on_cut_or_garbled_input() {
    let mut variants: Vec<Vec<u8>> = Vec::new();
    for b in [SAMPLE, CHROME, FIREFOX] {
        for k in [1usize, 2, 3, 5, 7, 11, 97, 1021] {
            let n = b.len() * k / 1024;
            variants.push(b[..n].to_vec());
            variants.push(b[n..].to_vec());
            // Drop or duplicate a bracket / quote near the cut.
            let mut g = b.to_vec();
            if let Some(i) = g[n..]
                .iter()
                .position(|c| matches!(c, b'{' | b'}' | b'"' | b'['))
            {
                g.remove(n + i);
            }
            variants.push(g);
            let mut d = b.to_vec();
            d.insert(n, b'"');
            variants.push(d);
        }
    }
    variants.push(b"}}}]]]".to_vec());
    variants.push(b"\"\\".to_vec());
    variants.push(b"{\"log\":{\"entries\":[{\"request\":{\"method\":\"GET\",\"url\":\"x\"},\"response\":{\"status\":1e9,\"content\":{\"text\":\"<Error>\",\"encoding\":\"base64\"}}}]}}".to_vec());
    for v in variants {
        let _ = analyze_bytes("g.har", &v, Some("har")).unwrap();
    }
}

#[test]
fn same_events_at_every_split_point() {
    crate::testing::assert_split_invariant("s.json", SAMPLE, None, 1_000);
    crate::testing::assert_split_invariant("c.har", CHROME, None, 300);
    crate::testing::assert_split_invariant("f.har", FIREFOX, None, 300);
}

#[test]
fn snapshot_chrome() {
    let ds = crate::testing::ingest_in_slices("chrome.har", CHROME, None, 1 << 20);
    insta::assert_snapshot!(crate::testing::dump(&ds));
}

#[test]
fn snapshot_firefox() {
    let ds = crate::testing::ingest_in_slices("firefox.har", FIREFOX, None, 1 << 20);
    insta::assert_snapshot!(crate::testing::dump(&ds));
}

#[test]
fn snapshot_sample_fragment() {
    let ds = crate::testing::ingest_in_slices("fragment.json", SAMPLE, None, 1 << 20);
    insta::assert_snapshot!(crate::testing::dump(&ds));
}
