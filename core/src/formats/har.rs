//! `har`: HAR 1.2, the network log a browser saves from DevTools ("Save all as HAR" in Chromium,
//! Firefox and Safari).
//!
//! ```text
//! {"log": {"version": "1.2", "creator": {…}, "pages": […], "entries": [
//!   {"startedDateTime": "2024-06-30T04:14:55.736Z", "time": 302.2,
//!    "request": {"method": "OPTIONS", "url": "https://…", "headers": [{"name": "origin", …}]},
//!    "response": {"status": 403, "headers": […], "content": {"text": "<?xml…", "encoding": …}},
//!    "_resourceType": "preflight", "_initiator": {"type": "preflight", "url": "https://…"}}, …
//! ]}}
//! ```
//!
//! One `network` event per entry. A HAR can be hundreds of megabytes (response bodies are
//! inside), so the document is never held whole: a small structural scanner follows the JSON as
//! lines arrive, copies out one entry object at a time (string-aware brace matching), reads it
//! into borrowed structs, and keeps only a compact summary. The same scanner is what makes
//! truncated files useful: a HAR cut at the end still yields every whole entry, and one cut at
//! the start (a fragment pasted from the middle of `entries`) yields the entries after the cut
//! and, when the cut fell between two keys, the remainder of the first one.
//!
//! Events are emitted at the end because a CORS verdict needs two entries: the preflight
//! (`OPTIONS`) and the actual request it guarded, which Chromium records in either order.

use std::borrow::Cow;
use std::collections::HashMap;

use serde::de::IgnoredAny;
use serde::Deserialize;

use super::{Format, LineParser};
use crate::input::Line;
use crate::knowledge::error_body::{find_error_body, ErrorBody};
use crate::knowledge::operations;
use crate::knowledge::url::StorageUrl;
use crate::model::{AuthKind, EventSink, Field, Location, Method, RawEvent, SourceKind, Timestamp};

pub struct Har;

/// Keys that only HAR entries use together (a resource log or an SDK's JSON has none of them).
const MARKERS: [&str; 12] = [
    "startedDateTime",
    "serverIPAddress",
    "headersSize",
    "bodySize",
    "httpVersion",
    "redirectURL",
    "queryString",
    "timings",
    "_resourceType",
    "_initiator",
    "pageref",
    "_transferSize",
];

fn has_key(sample: &str, key: &str) -> bool {
    let quoted = format!("\"{key}\"");
    let mut from = 0;
    while let Some(i) = sample[from..].find(&quoted) {
        let after = &sample[from + i + quoted.len()..];
        if after.trim_start().starts_with(':') {
            return true;
        }
        from += i + quoted.len();
    }
    false
}

impl Format for Har {
    fn id(&self) -> &'static str {
        "har"
    }
    fn name(&self) -> &'static str {
        "HAR (browser network log)"
    }
    fn detect(&self, sample: &str) -> f32 {
        let markers = MARKERS.iter().filter(|k| has_key(sample, k)).count();
        let envelope = has_key(sample, "log") && has_key(sample, "entries");
        let creator = has_key(sample, "creator") && has_key(sample, "version");
        match (envelope, markers) {
            (true, m) if m >= 2 || creator => 0.99,
            (true, _) => 0.6,
            (false, m) if m >= 5 => 0.95,
            (false, 4) => 0.85,
            (false, 3) => 0.6,
            (false, 2) => 0.3,
            _ => 0.0,
        }
    }
    fn parser(&self) -> Box<dyn LineParser> {
        Box::new(Parser::default())
    }
}

// ---------------------------------------------------------------------------------------------
// Borrowed view of one entry. Unknown members (`_initiator.stack`, `timings`, cookies…) are
// skipped by serde without being stored.

#[derive(Deserialize)]
struct Entry<'a> {
    #[serde(rename = "startedDateTime", default, borrow)]
    started: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    time: Option<Scalar<'a>>,
    #[serde(borrow)]
    request: Request<'a>,
    #[serde(default, borrow)]
    response: Option<Response<'a>>,
    #[serde(rename = "_resourceType", default, borrow)]
    resource_type: Option<Cow<'a, str>>,
    #[serde(rename = "_initiator", default, borrow)]
    initiator: Option<Initiator<'a>>,
}

#[derive(Deserialize)]
struct Request<'a> {
    #[serde(borrow)]
    method: Cow<'a, str>,
    #[serde(borrow)]
    url: Cow<'a, str>,
    #[serde(default, borrow)]
    headers: Vec<Header<'a>>,
    #[serde(default)]
    cookies: Vec<IgnoredAny>,
}

#[derive(Deserialize)]
struct Response<'a> {
    #[serde(default, borrow)]
    status: Option<Scalar<'a>>,
    #[serde(rename = "statusText", default, borrow)]
    status_text: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    headers: Vec<Header<'a>>,
    #[serde(default, borrow)]
    content: Option<Content<'a>>,
    #[serde(rename = "_error", default, borrow)]
    error: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
struct Content<'a> {
    #[serde(default, borrow)]
    text: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    encoding: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
struct Header<'a> {
    #[serde(borrow)]
    name: Cow<'a, str>,
    #[serde(default, borrow)]
    value: Cow<'a, str>,
}

#[derive(Deserialize)]
struct Initiator<'a> {
    #[serde(rename = "type", default, borrow)]
    kind: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    url: Option<Cow<'a, str>>,
}

/// A number some exporters write as a string (`"status": "403"`).
#[derive(Deserialize)]
#[serde(untagged)]
enum Scalar<'a> {
    Num(f64),
    #[serde(borrow)]
    Text(Cow<'a, str>),
}

impl Scalar<'_> {
    fn as_f64(&self) -> Option<f64> {
        match self {
            Scalar::Num(n) => Some(*n),
            Scalar::Text(t) => t.trim().parse().ok(),
        }
    }
}

fn header<'h>(headers: &'h [Header<'_>], name: &str) -> Option<&'h str> {
    headers
        .iter()
        .find(|h| h.name.eq_ignore_ascii_case(name))
        .map(|h| h.value.as_ref())
}

// ---------------------------------------------------------------------------------------------
// What is kept of an entry until the end of the input.

#[derive(Default, Debug)]
struct Summary {
    location: Location,
    time: Option<Timestamp>,
    method: Method,
    url: String,
    status: u16,
    /// Chromium's `response._error` (`net::ERR_FAILED`…).
    net_error: String,
    resource_type: String,
    initiator_url: String,
    origin: String,
    referer_origin: String,
    acrm: String,
    acrh: String,
    request_date: String,
    xms_version: String,
    client_request_id: String,
    auth: AuthKind,
    user_agent: String,
    sends_credentials: bool,
    acao: Option<String>,
    acam: Option<String>,
    acah: Option<String>,
    acac: Option<String>,
    request_id: String,
    error_code: String,
    response_date: String,
    detail: String,
    server_string_to_sign: String,
    e2e_ms: Option<f32>,
}

impl Summary {
    fn is_preflight(&self) -> bool {
        self.method == Method::Options
            && (!self.acrm.is_empty() || self.resource_type.eq_ignore_ascii_case("preflight"))
    }

    /// The origin of the page that made the request.
    fn page_origin(&self) -> &str {
        if self.origin.is_empty() {
            &self.referer_origin
        } else {
            &self.origin
        }
    }
}

fn summarize(e: &Entry<'_>, location: Location) -> Summary {
    let req = &e.request;
    let method = Method::parse(&req.method);
    let mut s = Summary {
        location,
        time: e.started.as_deref().and_then(Timestamp::parse),
        method,
        url: req.url.to_string(),
        resource_type: e.resource_type.as_deref().unwrap_or("").to_string(),
        initiator_url: e
            .initiator
            .as_ref()
            .filter(|i| i.kind.as_deref() == Some("preflight"))
            .and_then(|i| i.url.as_deref())
            .unwrap_or("")
            .to_string(),
        e2e_ms: e
            .time
            .as_ref()
            .and_then(Scalar::as_f64)
            .filter(|t| *t >= 0.0)
            .map(|t| t as f32),
        ..Default::default()
    };
    let h = &req.headers;
    s.origin = header(h, "origin").unwrap_or("").trim().to_string();
    s.referer_origin = header(h, "referer").map(origin_of).unwrap_or_default();
    s.acrm = header(h, "access-control-request-method")
        .unwrap_or("")
        .trim()
        .to_ascii_uppercase();
    s.acrh = header(h, "access-control-request-headers")
        .map(normalize_header_list)
        .unwrap_or_default();
    s.request_date = header(h, "x-ms-date").unwrap_or("").to_string();
    s.xms_version = header(h, "x-ms-version").unwrap_or("").to_string();
    s.client_request_id = header(h, "x-ms-client-request-id")
        .unwrap_or("")
        .to_string();
    s.user_agent = header(h, "user-agent").unwrap_or("").to_string();
    s.sends_credentials = !req.cookies.is_empty() || header(h, "cookie").is_some();
    s.auth = auth_kind(method, header(h, "authorization"), &s.url);
    let Some(resp) = &e.response else {
        return s;
    };
    s.status = resp
        .status
        .as_ref()
        .and_then(Scalar::as_f64)
        .filter(|v| (1.0..1000.0).contains(v))
        .map_or(0, |v| v as u16);
    s.net_error = resp.error.as_deref().unwrap_or("").trim().to_string();
    let rh = &resp.headers;
    s.acao = header(rh, "access-control-allow-origin").map(|v| v.trim().to_string());
    s.acam = header(rh, "access-control-allow-methods").map(str::to_string);
    s.acah = header(rh, "access-control-allow-headers").map(str::to_string);
    s.acac = header(rh, "access-control-allow-credentials").map(|v| v.trim().to_string());
    s.request_id = header(rh, "x-ms-request-id").unwrap_or("").to_string();
    s.error_code = header(rh, "x-ms-error-code").unwrap_or("").to_string();
    s.response_date = header(rh, "date").unwrap_or("").to_string();
    if s.client_request_id.is_empty() {
        // The service echoes it; a sanitized export may have dropped the request side.
        s.client_request_id = header(rh, "x-ms-client-request-id")
            .unwrap_or("")
            .to_string();
    }
    if s.xms_version.is_empty() {
        s.xms_version = header(rh, "x-ms-version").unwrap_or("").to_string();
    }
    let body = if s.status >= 400 {
        resp.content.as_ref().and_then(error_body_of)
    } else {
        None
    };
    let mut detail = String::new();
    if let Some(b) = body {
        if s.error_code.is_empty() {
            s.error_code = b.code.clone();
        }
        if s.request_id.is_empty() {
            s.request_id = b.request_id.clone();
        }
        s.server_string_to_sign = b.server_string_to_sign.clone();
        detail = b.detail();
    }
    if detail.is_empty() && s.status >= 400 {
        // The service's reason phrase is its error message ("CORS not enabled or no matching
        // rule found for this request."); a plain "Forbidden" says nothing the status does not.
        let text = resp.status_text.as_deref().unwrap_or("").trim();
        if text.ends_with('.') {
            detail = text.to_string();
        }
    }
    if !s.net_error.is_empty() {
        detail = if detail.is_empty() {
            s.net_error.clone()
        } else {
            format!("{detail} (browser: {})", s.net_error)
        };
    }
    s.detail = detail;
    s
}

fn error_body_of(c: &Content<'_>) -> Option<ErrorBody> {
    let text = c.text.as_deref()?;
    if c.encoding
        .as_deref()
        .is_some_and(|e| e.eq_ignore_ascii_case("base64"))
    {
        let bytes = base64_decode(text)?;
        return find_error_body(&String::from_utf8_lossy(&bytes)).map(|(b, _)| b);
    }
    find_error_body(text).map(|(b, _)| b)
}

/// Standard base64 (whitespace ignored, padding optional). `None` on any other character.
fn base64_decode(s: &str) -> Option<Vec<u8>> {
    fn val(c: u8) -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            _ => return None,
        } as u32)
    }
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let mut acc = 0u32;
    let mut bits = 0u32;
    for &c in s.as_bytes() {
        if c.is_ascii_whitespace() {
            continue;
        }
        if c == b'=' {
            break;
        }
        acc = (acc << 6) | val(c)?;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

fn auth_kind(method: Method, authorization: Option<&str>, url: &str) -> AuthKind {
    if method == Method::Options {
        // Browsers never send credentials on a preflight; the service logs it as anonymous
        // (`AnonymousPreflight`) even when the URL carries a SAS.
        return AuthKind::Anonymous;
    }
    if let Some(a) = authorization {
        let scheme = a.split_whitespace().next().unwrap_or("");
        if scheme.eq_ignore_ascii_case("bearer") {
            return AuthKind::OAuth;
        }
        if scheme.eq_ignore_ascii_case("sharedkey") || scheme.eq_ignore_ascii_case("sharedkeylite")
        {
            return AuthKind::SharedKey;
        }
    }
    let has_sig = StorageUrl::parse(url).is_some_and(|u| u.param("sig").is_some());
    if has_sig {
        AuthKind::Sas
    } else {
        // No Authorization header may mean anonymous access or a sanitized export (Chromium
        // drops the header unless the user exports "with sensitive data").
        AuthKind::Unknown
    }
}

/// `Content-Type, X-MS-Blob-Type` → `content-type,x-ms-blob-type`.
fn normalize_header_list(v: &str) -> String {
    v.split(',')
        .map(|h| h.trim().to_ascii_lowercase())
        .filter(|h| !h.is_empty())
        .collect::<Vec<_>>()
        .join(",")
}

/// `scheme://host[:port]` of a URL, lower-cased, default port dropped (`""` if not a URL).
fn origin_of(url: &str) -> String {
    let Some(u) = StorageUrl::parse(url.trim()) else {
        return String::new();
    };
    if u.scheme.is_empty() || u.host.is_empty() {
        return String::new();
    }
    let scheme = u.scheme.to_ascii_lowercase();
    let mut host = u.host.to_ascii_lowercase();
    let default_port = match scheme.as_str() {
        "https" => ":443",
        "http" => ":80",
        _ => "",
    };
    if !default_port.is_empty() && host.ends_with(default_port) {
        host.truncate(host.len() - default_port.len());
    }
    format!("{scheme}://{host}")
}

// ---------------------------------------------------------------------------------------------
// CORS verdicts.

/// Methods a preflight never has to list (CORS-safelisted).
const SIMPLE_METHODS: [&str; 3] = ["GET", "HEAD", "POST"];

fn list_contains(list: &str, item: &str) -> bool {
    list.split(',').any(|v| v.trim().eq_ignore_ascii_case(item))
}

/// Why the browser rejects this response to a cross-origin request, judged from the
/// Access-Control-Allow-Origin family (the checks every CORS response must pass).
fn allow_origin_failure(s: &Summary, credentials: bool) -> Option<&'static str> {
    let origin = s.page_origin();
    match s.acao.as_deref() {
        None | Some("") => Some("no-allow-origin"),
        Some("*") if credentials => Some("credentials-wildcard"),
        Some("*") => None,
        Some(v) if !origin.is_empty() && origin_of(v) != origin_of(origin) && v != origin => {
            Some("origin-mismatch")
        }
        Some(_) => {
            if credentials && s.acac.as_deref() != Some("true") {
                Some("credentials-wildcard")
            } else {
                None
            }
        }
    }
}

/// The verdict on a preflight: its status first (a 403 CorsPreflightFailure says no CORS rule
/// matched at all), then the allow-origin checks, then method and headers.
fn preflight_failure(p: &Summary, credentials: bool) -> Option<&'static str> {
    if p.status == 0 {
        // No answer recorded: the browser blocked it or the network failed.
        return Some("blocked");
    }
    if !(200..300).contains(&p.status) {
        return Some("preflight-failed");
    }
    if let Some(f) = allow_origin_failure(p, credentials) {
        return Some(f);
    }
    if !p.acrm.is_empty() && !SIMPLE_METHODS.contains(&p.acrm.as_str()) {
        let allowed = p.acam.as_deref().unwrap_or("");
        let wildcard = !credentials && list_contains(allowed, "*");
        if !wildcard && !list_contains(allowed, &p.acrm) {
            return Some("method-not-allowed");
        }
    }
    if !p.acrh.is_empty() {
        let allowed = p.acah.as_deref().unwrap_or("");
        let wildcard = !credentials && list_contains(allowed, "*");
        let refused = p.acrh.split(',').any(|h| {
            // `*` never covers Authorization.
            !(list_contains(allowed, h) || (wildcard && h != "authorization"))
        });
        if refused {
            return Some("header-not-allowed");
        }
    }
    None
}

/// Is this a request a browser subjected to CORS: made by script, with an `Origin` header that
/// differs from the URL's origin? (Browsers send `Origin` on every CORS request, and on
/// same-origin requests only for unsafe methods.)
fn is_cross_origin(s: &Summary) -> bool {
    if s.origin.is_empty() {
        return false;
    }
    if matches!(
        s.resource_type.to_ascii_lowercase().as_str(),
        "document" | "stylesheet" | "image" | "media" | "font" | "script" | "manifest"
    ) {
        // Navigations and no-cors subresources are not blocked by CORS.
        return false;
    }
    origin_of(&s.origin) != origin_of(&s.url)
}

/// Preflights by the URL they guard.
fn preflight_index(all: &[Summary]) -> HashMap<&str, Vec<usize>> {
    let mut by_url: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, p) in all.iter().enumerate().filter(|(_, p)| p.is_preflight()) {
        by_url.entry(p.url.as_str()).or_default().push(i);
        if !p.initiator_url.is_empty() && p.initiator_url != p.url {
            by_url.entry(p.initiator_url.as_str()).or_default().push(i);
        }
    }
    by_url
}

/// The preflight that guarded `actual`: same URL, asking for its method, nearest in time
/// (Chromium may record the preflight before or after the request; allow a minute).
fn find_preflight(
    all: &[Summary],
    index: &HashMap<&str, Vec<usize>>,
    actual: usize,
) -> Option<usize> {
    let a = &all[actual];
    index
        .get(a.url.as_str())?
        .iter()
        .copied()
        .filter(|&p| all[p].acrm.is_empty() || all[p].acrm == a.method.as_str())
        .filter_map(|p| {
            let dt = match (a.time, all[p].time) {
                (Some(x), Some(y)) => x.seconds_since(y).abs(),
                _ => 0.0,
            };
            (dt <= 60.0).then_some((p, dt))
        })
        .min_by(|x, y| x.1.total_cmp(&y.1))
        .map(|(p, _)| p)
}

#[derive(Default)]
struct Verdict {
    cors: Option<&'static str>,
    origin: String,
    acrh: String,
    note: String,
}

/// The CORS verdict for every entry (most have none).
fn verdicts(all: &[Summary]) -> Vec<Verdict> {
    let mut out: Vec<Verdict> = all.iter().map(|_| Verdict::default()).collect();
    let index = preflight_index(all);
    // Actual requests first: they tell whether credentials were sent, which the verdict on
    // their preflight needs.
    let mut preflight_credentials: Vec<bool> = vec![false; all.len()];
    for (i, a) in all.iter().enumerate() {
        if a.is_preflight() {
            continue;
        }
        let pre = find_preflight(all, &index, i);
        if let Some(p) = pre {
            preflight_credentials[p] |= a.sends_credentials;
        }
        if !(is_cross_origin(a) || pre.is_some()) {
            continue;
        }
        // Chromium marks a request its CORS check rejected with `net::ERR_FAILED`; other network
        // errors (name not resolved, refused, aborted, blocked by an extension) are not CORS.
        let cors_like_error = a.net_error.is_empty() || a.net_error == "net::ERR_FAILED";
        let failed = (a.status == 0 || !a.net_error.is_empty()) && cors_like_error;
        let pre_failure = pre.and_then(|p| preflight_failure(&all[p], a.sends_credentials));
        let code = match pre_failure {
            // Blocked (or never sent) because its preflight failed.
            Some(f) if failed => Some(f),
            Some(_) => None,
            // The server answered: the browser judged the answer's CORS headers.
            None if a.status > 0 => allow_origin_failure(a, a.sends_credentials)
                .filter(|_| !a.origin.is_empty() || failed)
                .or(failed.then_some("blocked")),
            None => failed.then_some("blocked"),
        };
        let Some(code) = code else { continue };
        let v = &mut out[i];
        v.cors = Some(code);
        v.origin = match pre {
            Some(p) if a.page_origin().is_empty() => all[p].page_origin().to_string(),
            _ => a.page_origin().to_string(),
        };
        if let Some(p) = pre {
            v.acrh = all[p].acrh.clone();
            v.note = format!(
                "its CORS preflight is the entry at line {}",
                all[p].location.line
            );
        }
    }
    for (i, p) in all.iter().enumerate() {
        if !p.is_preflight() {
            continue;
        }
        if let Some(code) = preflight_failure(p, preflight_credentials[i]) {
            out[i].cors = Some(code);
            out[i].origin = p.page_origin().to_string();
        }
    }
    out
}

fn emit(s: &Summary, v: &Verdict, sink: &mut dyn EventSink) {
    let service_known =
        StorageUrl::parse(&s.url).is_some_and(|u| u.service() != crate::model::Service::Unknown);
    let operation = if service_known {
        operations::infer(s.method, &s.url)
    } else {
        ""
    };
    let mut ev = RawEvent {
        time: s.time,
        source: SourceKind::Network,
        method: s.method,
        operation: operation.into(),
        url: s.url.as_str().into(),
        status: s.status,
        error_code: s.error_code.as_str().into(),
        client_request_id: s.client_request_id.as_str().into(),
        request_id: s.request_id.as_str().into(),
        e2e_ms: s.e2e_ms,
        auth: s.auth,
        location: s.location,
        ..Default::default()
    };
    let origin = if v.origin.is_empty() {
        &s.origin
    } else {
        &v.origin
    };
    ev.push(Field::Origin, origin.as_str());
    ev.push(Field::AccessControlRequestMethod, s.acrm.as_str());
    let acrh = if s.acrh.is_empty() { &v.acrh } else { &s.acrh };
    ev.push(Field::AccessControlRequestHeaders, acrh.as_str());
    if let Some(code) = v.cors {
        ev.push(Field::CorsFailure, code);
    }
    ev.push(Field::RequestDate, s.request_date.as_str());
    ev.push(Field::ResponseDate, s.response_date.as_str());
    ev.push(Field::XmsVersion, s.xms_version.as_str());
    ev.push(Field::Detail, s.detail.as_str());
    ev.push(Field::ServerStringToSign, s.server_string_to_sign.as_str());
    ev.push(Field::UserAgent, s.user_agent.as_str());
    ev.push(Field::Note, v.note.as_str());
    sink.event(ev);
}

// ---------------------------------------------------------------------------------------------
// The structural scanner.

#[derive(Clone, Copy, PartialEq, Debug)]
enum Key {
    Root,
    Log,
    Entries,
    Other,
}

#[derive(Clone, Copy, Debug)]
struct Frame {
    object: bool,
    key: Key,
}

#[derive(PartialEq, Debug)]
enum CaptureKind {
    /// An object inside `log.entries` (or a bare array of entries).
    Entry,
    /// An object at the top level whose first key decides: `log` → the HAR envelope, anything
    /// else → an entry pasted on its own.
    TopLevel,
    /// The text before the first bracket of a file that starts inside an object.
    Head,
}

struct Capture {
    kind: CaptureKind,
    text: String,
    depth: u32,
    in_str: bool,
    esc: bool,
    location: Location,
    last_line: u64,
    /// For `TopLevel`: the first key, once read.
    first_key: Option<String>,
    key_buf: String,
}

impl Capture {
    fn new(kind: CaptureKind, location: Location, depth: u32) -> Capture {
        Capture {
            kind,
            text: String::new(),
            depth,
            in_str: false,
            esc: false,
            location,
            last_line: location.line as u64,
            first_key: None,
            key_buf: String::new(),
        }
    }
}

#[derive(Default)]
struct Parser {
    stack: Vec<Frame>,
    in_str: bool,
    esc: bool,
    /// The last string read outside an entry (a key candidate) and the key a `:` made of it.
    str_buf: String,
    last_str: Option<String>,
    pending_key: Option<String>,
    /// Saw the first non-blank character.
    started: bool,
    /// The file started inside a structure; brackets that close what we never saw are ignored.
    headless: bool,
    /// The top-level document closed.
    complete: bool,
    capture: Option<Capture>,
    entries: Vec<Summary>,
    /// Entries that could not be read.
    broken: u32,
    /// Recovered the remainder of an entry whose beginning was cut off.
    head_recovered: bool,
    head_lost: bool,
    last_skipped: u64,
}

const HEAD_LOST: &str =
    "the file starts in the middle of a HAR entry and what remains of it cannot be read";

/// Longest string kept as a key candidate outside entries (keys that matter are short).
const MAX_KEY: usize = 64;

impl Parser {
    fn skip_range(&mut self, from: u64, to: u64, reason: &str, sink: &mut dyn EventSink) {
        for n in from.max(self.last_skipped + 1)..=to {
            sink.skipped(n, reason);
            self.last_skipped = n;
        }
    }

    fn entries_open(&self) -> bool {
        match self.stack.as_slice() {
            // A bare array of entries.
            [Frame {
                object: false,
                key: Key::Entries,
            }] => true,
            [.., Frame {
                object: true,
                key: Key::Log,
            }, Frame {
                object: false,
                key: Key::Entries,
            }] => true,
            _ => false,
        }
    }

    fn classify(&self, key: Option<&str>) -> Key {
        match (key, self.stack.last()) {
            (Some("log"), Some(Frame { key: Key::Root, .. })) => Key::Log,
            (Some("entries"), Some(Frame { key: Key::Log, .. })) => Key::Entries,
            _ => Key::Other,
        }
    }

    fn finish_capture(&mut self, cap: Capture, sink: &mut dyn EventSink) {
        let (text, first, last) = (cap.text, cap.location.line as u64, cap.last_line);
        let json: Cow<'_, str> = if cap.kind == CaptureKind::Head {
            Cow::Owned(format!("{{{text}}}"))
        } else {
            Cow::Borrowed(text.as_str())
        };
        match serde_json::from_str::<Entry<'_>>(&json) {
            Ok(e) => {
                if cap.kind == CaptureKind::Head {
                    self.head_recovered = true;
                }
                self.entries.push(summarize(&e, cap.location));
            }
            Err(err) => {
                let fragment_of_cut_entry = cap.kind == CaptureKind::Head
                    || (cap.kind == CaptureKind::TopLevel && self.entries.is_empty());
                let reason = match cap.kind {
                    _ if fragment_of_cut_entry => {
                        self.head_lost = true;
                        HEAD_LOST.to_string()
                    }
                    _ => {
                        self.broken += 1;
                        let msg = err.to_string();
                        let msg = msg.split(" at line ").next().unwrap_or("");
                        format!("this HAR entry could not be read ({msg})")
                    }
                };
                self.skip_range(first, last, &reason, sink);
            }
        }
    }

    /// Feeds the bytes of one line (plus its line break) through the scanner.
    fn scan(&mut self, line: &Line<'_>, sink: &mut dyn EventSink) {
        let text = line.text;
        let bytes = text.as_bytes();
        let mut i = 0;
        // Saw something outside any entry on this line.
        let mut outside = false;
        // Where the part of this line that belongs to the open capture starts.
        let mut seg = 0;
        while i < bytes.len() {
            let b = bytes[i];
            if let Some(cap) = self.capture.as_mut() {
                cap.last_line = line.number;
                if cap.in_str {
                    if cap.esc {
                        cap.esc = false;
                    } else if b == b'\\' {
                        cap.esc = true;
                    } else if b == b'"' {
                        cap.in_str = false;
                        if cap.kind == CaptureKind::TopLevel
                            && cap.first_key.is_none()
                            && cap.depth == 1
                        {
                            cap.first_key = Some(std::mem::take(&mut cap.key_buf));
                            if cap.first_key.as_deref() == Some("log") {
                                // The HAR envelope, not an entry: follow it structurally.
                                self.capture = None;
                                self.stack.push(Frame {
                                    object: true,
                                    key: Key::Root,
                                });
                                self.last_str = Some("log".to_string());
                                i += 1;
                                continue;
                            }
                        }
                    } else if cap.kind == CaptureKind::TopLevel
                        && cap.first_key.is_none()
                        && cap.depth == 1
                        && cap.key_buf.len() < MAX_KEY
                    {
                        cap.key_buf.push(b as char);
                    }
                    i += 1;
                    continue;
                }
                match b {
                    b'"' => cap.in_str = true,
                    b'{' | b'[' => cap.depth += 1,
                    b'}' | b']' => {
                        if cap.depth == 0 {
                            // Only a head capture starts at depth 0: this bracket closes the
                            // object the file started in.
                            let mut cap = self.capture.take().expect("capture open");
                            cap.text.push_str(&text[seg..i]);
                            if b == b'}' {
                                self.finish_capture(cap, sink);
                            } else {
                                self.head_lost = true;
                                self.skip_range(
                                    cap.location.line as u64,
                                    line.number,
                                    HEAD_LOST,
                                    sink,
                                );
                            }
                            self.headless = true;
                            i += 1;
                            continue;
                        }
                        cap.depth -= 1;
                        // A head capture ends only at the bracket that underflows (above).
                        if cap.depth == 0 && cap.kind != CaptureKind::Head {
                            let mut cap = self.capture.take().expect("capture open");
                            cap.text.push_str(&text[seg..=i]);
                            if cap.kind == CaptureKind::TopLevel && self.stack.is_empty() {
                                // A top-level object that was not the envelope.
                                self.headless = true;
                            }
                            self.finish_capture(cap, sink);
                        }
                    }
                    _ => {}
                }
                i += 1;
                continue;
            }
            // Outside any entry: follow the envelope.
            if self.in_str {
                if self.esc {
                    self.esc = false;
                } else if b == b'\\' {
                    self.esc = true;
                } else if b == b'"' {
                    self.in_str = false;
                    self.last_str = Some(std::mem::take(&mut self.str_buf));
                } else if self.str_buf.len() < MAX_KEY {
                    self.str_buf.push(b as char);
                }
                i += 1;
                continue;
            }
            if b.is_ascii_whitespace() {
                i += 1;
                continue;
            }
            outside = true;
            if self.complete {
                self.skip_range(
                    line.number,
                    line.number,
                    "text after the end of the HAR document",
                    sink,
                );
                return;
            }
            let location = Location {
                line: line.number as u32,
                offset: line.offset + i as u64,
            };
            if !self.started {
                self.started = true;
                if b != b'{' && b != b'[' {
                    // The file starts inside an object (a fragment of `entries`): capture up to
                    // the bracket that closes it.
                    self.headless = true;
                    self.capture = Some(Capture::new(CaptureKind::Head, location, 0));
                    seg = i;
                    continue;
                }
            }
            match b {
                b'"' => {
                    self.in_str = true;
                    self.str_buf.clear();
                }
                b':' => self.pending_key = self.last_str.take(),
                b',' => {
                    self.pending_key = None;
                    self.last_str = None;
                }
                b'{' => {
                    if self.entries_open() {
                        self.capture = Some(Capture::new(CaptureKind::Entry, location, 1));
                        seg = i;
                    } else if self.stack.is_empty() {
                        self.capture = Some(Capture::new(CaptureKind::TopLevel, location, 1));
                        seg = i;
                    } else {
                        let key = self.classify(self.pending_key.as_deref());
                        self.stack.push(Frame { object: true, key });
                    }
                    self.pending_key = None;
                }
                b'[' => {
                    let key = if self.stack.is_empty() && !self.headless {
                        Key::Entries
                    } else {
                        self.classify(self.pending_key.as_deref())
                    };
                    self.stack.push(Frame { object: false, key });
                    self.pending_key = None;
                }
                b'}' | b']' => {
                    if self.stack.pop().is_some() {
                        if self.stack.is_empty() && !self.headless {
                            self.complete = true;
                        }
                    } else if !self.headless {
                        self.skip_range(
                            line.number,
                            line.number,
                            "a closing bracket that matches nothing before it",
                            sink,
                        );
                    }
                }
                _ => {}
            }
            i += 1;
        }
        if let Some(cap) = self.capture.as_mut() {
            cap.text.push_str(&text[seg..]);
            cap.text.push('\n');
            cap.last_line = line.number;
        } else if outside && self.headless && self.entries.is_empty() {
            // Pieces of the cut entry between the fragments tried above (`"cookies": [],`).
            self.skip_range(line.number, line.number, HEAD_LOST, sink);
        }
    }
}

impl LineParser for Parser {
    fn line(&mut self, line: Line<'_>, sink: &mut dyn EventSink) {
        self.scan(&line, sink);
    }

    fn finish(&mut self, sink: &mut dyn EventSink) {
        let mut cut_inside_entry = false;
        if let Some(cap) = self.capture.take() {
            cut_inside_entry = true;
            let reason = match cap.kind {
                CaptureKind::Head => {
                    "the file starts in the middle of a HAR entry and ends before that entry does"
                }
                _ => {
                    "the file ends inside this HAR entry (it was cut off); the entry is incomplete"
                }
            };
            self.skip_range(cap.location.line as u64, cap.last_line, reason, sink);
        }
        let envelope_open = !self.stack.is_empty() && !self.headless;
        let n = self.entries.len();
        let mut parts: Vec<String> = Vec::new();
        if self.head_recovered {
            parts.push("it starts in the middle of an entry (the beginning of the file is missing; what remained of that entry was read)".to_string());
        } else if self.head_lost || (self.headless && self.started) {
            parts.push(
                "it starts in the middle of the document (the beginning of the file is missing)"
                    .to_string(),
            );
        }
        if cut_inside_entry {
            parts.push("it ends inside an entry (the end of the file is missing)".to_string());
        } else if envelope_open {
            parts.push(
                "it ends before the document is closed (the end of the file is missing)"
                    .to_string(),
            );
        }
        if !parts.is_empty() {
            let whole = n - usize::from(self.head_recovered);
            let partial = if self.head_recovered {
                " and the remainder of the entry it starts in"
            } else {
                ""
            };
            sink.notice(&format!(
                "This HAR file is truncated: {}. Recovered {} whole {}{}.",
                parts.join("; "),
                whole,
                if whole == 1 { "entry" } else { "entries" },
                partial
            ));
        }
        if self.broken > 0 {
            sink.notice(&format!(
                "{} HAR {} could not be read and {} skipped.",
                self.broken,
                if self.broken == 1 { "entry" } else { "entries" },
                if self.broken == 1 { "was" } else { "were" }
            ));
        }
        let verdicts = verdicts(&self.entries);
        for (s, v) in self.entries.iter().zip(&verdicts) {
            emit(s, v, sink);
        }
        self.entries.clear();
    }
}

#[cfg(test)]
#[path = "har_tests.rs"]
mod tests;
