//! `error-text`: a service error or an SDK exception pasted on its own, without the log around
//! it. Users paste what their program printed:
//!
//! * the service's XML (or Table/Data Lake JSON) error body, pretty-printed or escaped;
//! * .NET v12 `RequestFailedException` text (`Status: 403 (…)`, `ErrorCode: …`,
//!   `Additional Information:`, `Content:`, `Headers:`), the legacy `StorageException` with its
//!   `Request Information` block, Python's `HttpResponseError` (`RequestId:`, `Time:`,
//!   `ErrorCode:`, `Content:`), the JS error object as Node prints it (`statusCode: 403`,
//!   `code: 'AuthenticationFailed'`, `Message: '…\n' +` continuation lines), Java's
//!   `BlobStorageException: Status code 403, "<?xml…"`, Go's `RESPONSE 403: …` / `ERROR CODE:`;
//! * AzCopy's console dump (`===== RESPONSE ERROR (ServiceCode=…) =====`, `Description=…`);
//! * just the authentication detail ("Signature not valid in the specified time frame: …"),
//!   sometimes inside a code comment.
//!
//! One `client` event per error. Several errors may be pasted together, separated by `---`
//! lines or simply one after the other: an error ends where a second value for the same thing
//! (another status, another request id, another error body) starts. Each block is buffered and
//! read when it ends, because the parts of one error come in any order; long blocks are cut at a
//! blank line so memory stays bounded.
//!
//! Detection is deliberately modest (at most 0.6): these fragments also appear inside real logs,
//! and a log's own format must win there.

use std::ops::Range;

use super::{Format, LineParser};
use crate::input::Line;
use crate::knowledge::error_body::{find_error_body, server_string_to_sign, split_message};
use crate::knowledge::url::StorageUrl;
use crate::model::{AuthKind, EventSink, Field, Location, Method, RawEvent, SourceKind, Timestamp};

pub struct ErrorText;

/// Names of exceptions and dumps that carry a storage error.
const EXCEPTION_MARKERS: [&str; 14] = [
    "RequestFailedException",
    "StorageException",
    "HttpResponseError",
    "ResourceNotFoundError",
    "ResourceExistsError",
    "ResourceModifiedError",
    "ClientAuthenticationError",
    "RestError",
    "BlobStorageException",
    "QueueStorageException",
    "ShareStorageException",
    "DataLakeStorageException",
    "RESPONSE ERROR (ServiceCode=",
    "ERROR CODE:",
];

/// Authentication details the service writes, which users often paste alone.
const AUTH_DETAILS: [&str; 11] = [
    "Signature not valid in the specified time frame",
    "Signed expiry time [",
    "Signature did not match. String to sign used was",
    "Request date header too old",
    "Request date header not specified",
    "The Date header in the request is incorrect",
    "Signature fields not well formed",
    "sr is mandatory",
    "The MAC signature found in the HTTP request",
    "Access without signed identifier cannot have time window",
    "Server used following string to sign",
];

impl Format for ErrorText {
    fn id(&self) -> &'static str {
        "error-text"
    }
    fn name(&self) -> &'static str {
        "Pasted service error or SDK exception"
    }
    fn detect(&self, sample: &str) -> f32 {
        let mut signals: Vec<f32> = Vec::new();
        if find_error_body(sample).is_some_and(|(b, _)| !b.code.is_empty()) {
            signals.push(0.55);
        }
        let lines: Vec<&str> = sample.lines().take(400).collect();
        // Per line: searching a long sample at once is much slower in debug builds.
        if lines
            .iter()
            .any(|l| EXCEPTION_MARKERS.iter().any(|m| l.contains(m)))
        {
            signals.push(0.5);
        }
        if lines
            .iter()
            .any(|l| AUTH_DETAILS.iter().any(|d| uncomment(l).starts_with(d)))
        {
            signals.push(0.5);
        }
        let texts: Vec<Text<'_>> = lines.iter().map(|l| Text::new(l)).collect();
        let has_code = texts.iter().any(|t| find_code(t).is_some());
        let has_status = texts.iter().any(|t| find_status(t).is_some());
        if has_code && has_status {
            signals.push(0.45);
        } else if has_code || has_status {
            signals.push(0.2);
        }
        let Some(best) = signals.iter().copied().reduce(f32::max) else {
            return 0.0;
        };
        let score = (best + 0.05 * (signals.len() as f32 - 1.0)).min(0.6);
        // Several lines led by a timestamp or a logger name make a log, whose own format should
        // take it; a Markdown table is documentation.
        let logged = lines.iter().filter(|l| looks_logged(l)).count();
        if logged >= 3 && logged * 10 >= lines.len() {
            return score.min(0.25);
        }
        let table = lines
            .iter()
            .filter(|l| l.trim_start().starts_with('|'))
            .count();
        if table * 10 > lines.len() * 3 {
            return score.min(0.2);
        }
        score
    }
    fn parser(&self) -> Box<dyn LineParser> {
        Box::new(Parser::default())
    }
}

/// A line a logger wrote: timestamp first (with a message after it), or a logger or level
/// prefix. A line that holds nothing but a time or a version is a value, not a log line: the
/// string to sign quoted in a SAS error has several (`2024-10-15T13:00:00Z`, `2022-11-02`).
fn looks_logged(l: &str) -> bool {
    const PREFIXES: [&str; 10] = [
        "azure:",
        "info:",
        "warn:",
        "fail:",
        "dbug:",
        "trce:",
        "[Information]",
        "[Warning]",
        "[Verbose]",
        "[Error]",
    ];
    (starts_with_timestamp(l) && l.trim().contains(char::is_whitespace))
        || PREFIXES.iter().any(|p| l.starts_with(p))
}

fn starts_with_timestamp(l: &str) -> bool {
    let b = l.trim_start_matches('[').as_bytes();
    let digits = |r: Range<usize>| b.get(r).is_some_and(|s| s.iter().all(u8::is_ascii_digit));
    (digits(0..4) && matches!(b.get(4), Some(b'-' | b'/')) && digits(5..7))
        || (digits(0..2) && b.get(2) == Some(&b':') && digits(3..5) && b.get(5) == Some(&b':'))
}

/// Removes a code-comment or quote marker in front of pasted text (`// `, `# `, `* `, `> `).
fn uncomment(l: &str) -> &str {
    let mut t = l.trim();
    for m in ["///", "//", "#", "*", ">", "--"] {
        if let Some(r) = t.strip_prefix(m) {
            t = r.trim_start();
            break;
        }
    }
    t
}

// ---------------------------------------------------------------------------------------------
// Facts on one line.

/// A line and its ASCII-lower-cased copy (same byte offsets), made once per line because every
/// key is looked up case-insensitively.
struct Text<'a> {
    raw: &'a str,
    lower: String,
}

impl<'a> Text<'a> {
    fn new(raw: &'a str) -> Text<'a> {
        Text {
            raw,
            lower: raw.to_ascii_lowercase(),
        }
    }
}

/// Finds `key` (lower-case; matched ignoring ASCII case) as a whole word, optionally quoted,
/// followed by `:` or `=`; returns the text after the separator.
fn key_value<'a>(t: &Text<'a>, key: &str) -> Option<&'a str> {
    let (line, lower) = (t.raw, t.lower.as_str());
    let mut from = 0;
    while let Some(i) = lower[from..].find(key) {
        let at = from + i;
        from = at + key.len();
        let before = lower[..at].chars().next_back();
        if before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.') {
            continue;
        }
        let rest = &line[at + key.len()..];
        let rest = rest.strip_prefix(['\'', '"']).unwrap_or(rest);
        let rest = rest.trim_start_matches(' ');
        if let Some(v) = rest.strip_prefix([':', '=']) {
            return Some(v.trim());
        }
    }
    None
}

/// A single value: without brackets, quotes, trailing commas.
fn clean(v: &str) -> &str {
    let v = v.trim().trim_end_matches(',').trim();
    let v = v
        .strip_prefix('[')
        .and_then(|x| x.strip_suffix(']'))
        .unwrap_or(v);
    v.trim_matches(|c| c == '\'' || c == '"').trim()
}

/// The first whitespace-free token of a value.
fn token(v: &str) -> &str {
    let v = clean(v);
    v.split(|c: char| c.is_whitespace() || c == ',' || c == '\'' || c == '"' || c == '<')
        .next()
        .unwrap_or("")
}

fn is_identifier(s: &str) -> bool {
    s.len() >= 3
        && s.chars().next().is_some_and(|c| c.is_ascii_uppercase())
        && s.chars().all(|c| c.is_ascii_alphanumeric())
}

/// An error code (`ErrorCode: X`, `x-ms-error-code: [X]`, `code: 'X'`, `ServiceCode=X`).
fn find_code(line: &Text<'_>) -> Option<String> {
    for key in [
        "x-ms-error-code",
        "errorcode",
        "error code",
        "servicecode",
        "code",
    ] {
        if let Some(v) = key_value(line, key) {
            let c = token(v).trim_end_matches(')');
            if is_identifier(c) {
                return Some(c.to_string());
            }
        }
    }
    None
}

/// An HTTP status with the reason phrase after it, if any.
fn find_status(t: &Text<'_>) -> Option<(u16, String)> {
    let (line, lower) = (t.raw, t.lower.as_str());
    const KEYS: [&str; 11] = [
        "status:",
        "statuscode=",
        "statuscode:",
        "status code",
        "\"status\":",
        "response status:",
        "response ",
        "description=",
        "http status code",
        "httpstatuscode:",
        "returned an error: (",
    ];
    for key in KEYS {
        let mut from = 0;
        while let Some(i) = lower[from..].find(key) {
            let at = from + i;
            from = at + key.len();
            let before = line[..at].chars().next_back();
            if before.is_some_and(|c| c.is_ascii_alphanumeric()) {
                continue;
            }
            let rest = line[at + key.len()..].trim_start_matches([' ', ':']);
            let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
            if digits.len() != 3 {
                continue;
            }
            let Ok(status) = digits.parse::<u16>() else {
                continue;
            };
            if !(100..600).contains(&status) {
                continue;
            }
            if key == "returned an error: (" {
                // `(404) Not Found.`: the standard phrase, not the service's message.
                return Some((status, String::new()));
            }
            let mut reason = rest[3..].trim_start_matches([')', ':', ',']).trim();
            // Go's `RESPONSE 403: 403 This request…` repeats the status.
            reason = reason
                .strip_prefix(digits.as_str())
                .unwrap_or(reason)
                .trim();
            let reason = if let Some(r) = reason.strip_prefix('(') {
                r.rsplit_once(')').map_or(r, |(x, _)| x)
            } else {
                reason
            };
            let reason = reason
                .split(", Details:")
                .next()
                .unwrap_or("")
                .trim()
                .trim_end_matches(',');
            return Some((status, reason.to_string()));
        }
    }
    None
}

/// `PUT https://…` (AzCopy and Go request lines) or `url: 'https://…'`.
fn find_request_line(t: &Text<'_>) -> Option<(Method, String)> {
    let line = t.raw;
    let words: Vec<&str> = line.split_whitespace().collect();
    for pair in words.windows(2) {
        let m = Method::parse(pair[0].trim_start_matches(['"', '\'']));
        let url = pair[1];
        if m != Method::Unknown && (url.starts_with("https://") || url.starts_with("http://")) {
            return Some((m, url.trim_end_matches([',', '"', '\'']).to_string()));
        }
    }
    for key in ["request url", "requesturl", "url", "uri"] {
        if let Some(v) = key_value(t, key) {
            let v = token(v);
            if v.starts_with("https://") || v.starts_with("http://") {
                return Some((Method::Unknown, v.to_string()));
            }
        }
    }
    None
}

/// Joins a JS string written over several lines (`'a\n' +` / `'b'`), starting at `lines[i]`
/// with the text after the key; returns the string (escapes undone) and the index of its last
/// line.
fn js_string(first: &str, lines: &[(Location, &str)], i: usize) -> (String, usize) {
    let mut out = String::new();
    let mut piece = first.trim();
    let mut k = i;
    loop {
        let continues = piece.ends_with('+');
        let p = piece.trim_end_matches('+').trim().trim_end_matches(',');
        let inner = p
            .strip_prefix(['\'', '"', '`'])
            .map(|x| x.strip_suffix(['\'', '"', '`']).unwrap_or(x))
            .unwrap_or(p);
        out.push_str(&unescape_js(inner));
        if !continues || k + 1 >= lines.len() {
            break;
        }
        k += 1;
        piece = lines[k].1.trim();
    }
    (out, k)
}

fn unescape_js(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('r') => {}
            Some('t') => out.push('\t'),
            Some(o) => out.push(o),
            None => out.push('\\'),
        }
    }
    out
}

/// Status the service uses for a code (from the service's error-code tables), for pastes that
/// give the code but not the status.
fn status_for_code(code: &str) -> u16 {
    match code {
        "AccountIsDisabled"
        | "AuthenticationFailed"
        | "AuthorizationFailure"
        | "AuthorizationPermissionMismatch"
        | "AuthorizationProtocolMismatch"
        | "AuthorizationResourceTypeMismatch"
        | "AuthorizationServiceMismatch"
        | "AuthorizationSourceIPMismatch"
        | "CorsPreflightFailure"
        | "InsufficientAccountPermissions"
        | "KeyBasedAuthenticationNotPermitted"
        | "ShareDisabled"
        | "UnauthorizedBlobOverwrite" => 403,
        "BlobNotFound" | "ContainerNotFound" | "EntityNotFound" | "MessageNotFound"
        | "ParentNotFound" | "QueueNotFound" | "ResourceNotFound" | "ShareNotFound"
        | "TableNotFound" => 404,
        "InternalError" | "OperationTimedOut" => 500,
        "ServerBusy" => 503,
        _ if code.ends_with("AlreadyExists") || code.ends_with("BeingDeleted") => 409,
        _ => 0,
    }
}

// ---------------------------------------------------------------------------------------------
// One error being assembled.

#[derive(Default, Clone)]
struct Draft {
    location: Option<Location>,
    status: u16,
    code: String,
    message: String,
    auth_detail: String,
    sts: String,
    request_id: String,
    client_request_id: String,
    /// The service's time (`Time:` in the message).
    time: String,
    response_date: String,
    request_date: String,
    method: Method,
    url: String,
    xms_version: String,
    user_agent: String,
    exception: String,
    has_body: bool,
    /// The message so far is only the reason phrase of a status line.
    message_from_status: bool,
}

impl Draft {
    fn is_empty(&self) -> bool {
        self.location.is_none()
    }

    fn touch(&mut self, loc: Location) {
        if self.location.is_none() {
            self.location = Some(loc);
        }
    }
}

/// A fact about an error; `set` returns false when the draft already holds a different value
/// (then the fact belongs to the next error).
enum Fact {
    Status(u16, String),
    Code(String),
    RequestId(String),
    ClientRequestId(String),
    Time(String),
    Date(String),
    RequestDate(String),
    Request(Method, String),
    Version(String),
    UserAgent(String),
    Message(String),
    Detail(String),
    Exception(String, String),
}

fn conflicts(old: &str, new: &str) -> bool {
    !old.is_empty() && !new.is_empty() && old != new
}

impl Fact {
    fn conflicts_with(&self, d: &Draft) -> bool {
        match self {
            Fact::Status(s, _) => d.status != 0 && *s != 0 && d.status != *s,
            Fact::Code(c) => conflicts(&d.code, c),
            Fact::RequestId(r) => conflicts(&d.request_id, r),
            Fact::ClientRequestId(r) => conflicts(&d.client_request_id, r),
            Fact::Time(t) => conflicts(&d.time, t),
            Fact::Detail(x) => conflicts(&d.auth_detail, x),
            Fact::Exception(..) => !d.exception.is_empty(),
            _ => false,
        }
    }

    fn apply(self, d: &mut Draft) {
        fn fill(slot: &mut String, v: String) {
            if slot.is_empty() {
                *slot = v;
            }
        }
        match self {
            Fact::Status(s, reason) => {
                if d.status == 0 {
                    d.status = s;
                }
                // The reason phrase is the service's message; generic phrases say nothing more.
                if reason.ends_with('.') && d.message.is_empty() {
                    d.message = reason;
                    d.message_from_status = true;
                }
            }
            Fact::Code(c) => fill(&mut d.code, c),
            Fact::RequestId(r) => fill(&mut d.request_id, r),
            Fact::ClientRequestId(r) => fill(&mut d.client_request_id, r),
            Fact::Time(t) => fill(&mut d.time, t),
            Fact::Date(t) => fill(&mut d.response_date, t),
            Fact::RequestDate(t) => fill(&mut d.request_date, t),
            Fact::Request(m, u) => {
                if d.method == Method::Unknown {
                    d.method = m;
                }
                fill(&mut d.url, u);
            }
            Fact::Version(v) => fill(&mut d.xms_version, v),
            Fact::UserAgent(v) => fill(&mut d.user_agent, v),
            Fact::Message(m) => {
                let (sentence, rid, time) = split_message(&m);
                if d.message_from_status && !sentence.is_empty() {
                    d.message = sentence;
                    d.message_from_status = false;
                } else {
                    fill(&mut d.message, sentence);
                }
                fill(&mut d.request_id, rid);
                fill(&mut d.time, time);
            }
            Fact::Detail(x) => {
                if d.sts.is_empty() {
                    if let Some(s) = server_string_to_sign(&x) {
                        d.sts = s;
                    }
                }
                fill(&mut d.auth_detail, x.trim().to_string());
            }
            Fact::Exception(name, message) => {
                fill(&mut d.exception, name);
                if !message.is_empty() && !is_generic_message(&message) {
                    let (sentence, rid, time) = split_message(&message);
                    fill(&mut d.message, sentence);
                    fill(&mut d.request_id, rid);
                    fill(&mut d.time, time);
                }
            }
        }
    }
}

/// Exception messages that only restate the status.
fn is_generic_message(m: &str) -> bool {
    let m = m.trim();
    m.is_empty()
        || m.starts_with("Service request failed")
        || m.starts_with("The remote server returned an error")
        || m.starts_with("Status code ")
        || m.starts_with("Operation returned an invalid status code")
}

/// `Azure.RequestFailedException: message`, `azure.core.exceptions.HttpResponseError: message`,
/// `RestError: message`, `… Azure.RequestFailedException ; Service request failed.`
fn find_exception(line: &str) -> Option<(String, String)> {
    for m in EXCEPTION_MARKERS.iter().take(12) {
        let Some(i) = line.find(m) else { continue };
        let start = line[..i]
            .rfind(|c: char| c.is_whitespace() || c == '(' || c == '[')
            .map_or(0, |k| k + 1);
        let end = i + m.len();
        let name = &line[start..end];
        let rest = &line[end..];
        // `Name: message`, `Name ; message` or the name alone, not `name: 'RestError'`.
        let heads =
            rest.starts_with(':') || rest.trim_start().starts_with(';') || rest.trim().is_empty();
        if !heads {
            continue;
        }
        let message = rest
            .strip_prefix(':')
            .or_else(|| rest.trim_start().strip_prefix(';'))
            .unwrap_or("")
            .trim();
        return Some((name.to_string(), message.to_string()));
    }
    if line.contains("zc_storage_error.go") {
        // AzCopy's first line: "<what failed> -> github.com/…/azblob.newStorageError, …".
        return Some(("azblob.StorageError".to_string(), String::new()));
    }
    None
}

/// The facts on line `i` (reading continuation lines of a JS string if one starts there);
/// returns the facts and the index of the last line used.
fn facts_at(lines: &[(Location, &str)], i: usize) -> (Vec<Fact>, usize) {
    let raw = lines[i].1;
    let line = uncomment(raw);
    let mut facts = Vec::new();
    let mut last = i;
    if line.is_empty() {
        return (facts, last);
    }
    let text = Text::new(line);
    let t = &text;
    if AUTH_DETAILS.iter().any(|d| line.starts_with(d)) {
        // A bare authentication detail.
        let (text, end) = with_string_to_sign(line, lines, i);
        facts.push(Fact::Detail(text));
        return (facts, end);
    }
    for key in [
        "authenticationerrordetail",
        "message",
        "statusmessage",
        "errormessage",
    ] {
        if let Some(v) = key_value(t, key) {
            let quoted = v.starts_with(['\'', '"', '`']);
            let (text, end) = if quoted {
                js_string(v, lines, i)
            } else if key == "authenticationerrordetail" {
                with_string_to_sign(v, lines, i)
            } else {
                (v.to_string(), i)
            };
            last = end;
            if key == "authenticationerrordetail" {
                facts.push(Fact::Detail(text));
            } else if !text.is_empty() {
                facts.push(Fact::Message(text));
            }
            break;
        }
    }
    if let Some(v) = key_value(t, "description") {
        let v = v.split(", Details:").next().unwrap_or("").trim();
        let v = v
            .split_once(' ')
            .filter(|(n, _)| n.len() == 3 && n.bytes().all(|b| b.is_ascii_digit()))
            .map_or(v, |(_, r)| r);
        if !v.is_empty() {
            facts.push(Fact::Message(v.to_string()));
        }
    }
    if let Some((name, message)) = find_exception(line) {
        facts.push(Fact::Exception(name, message));
    }
    if let Some((s, reason)) = find_status(t) {
        facts.push(Fact::Status(s, reason));
    }
    if let Some(c) = find_code(t) {
        facts.push(Fact::Code(c));
    }
    let has_message = facts.iter().any(|f| matches!(f, Fact::Message(_)));
    // The JS SDK's `WebResource.requestId` is the client request id it sent.
    let js_client_id = line.starts_with("requestId:") || line.starts_with("clientRequestId:");
    if js_client_id {
        let t = token(line.split_once(':').map_or("", |(_, v)| v));
        if !t.is_empty() {
            facts.push(Fact::ClientRequestId(t.to_string()));
        }
    } else if !has_message {
        // In a message the request id and time are read by `split_message`.
        for key in ["x-ms-request-id", "requestid"] {
            if let Some(v) = key_value(t, key) {
                let t = token(v);
                if !t.is_empty() {
                    facts.push(Fact::RequestId(t.to_string()));
                }
                break;
            }
        }
        if let Some(v) = key_value(t, "time") {
            let t = token(v);
            if Timestamp::parse(t).is_some() {
                facts.push(Fact::Time(t.to_string()));
            }
        }
    }
    for key in ["x-ms-client-request-id", "clientrequestid"] {
        if let Some(v) = key_value(t, key) {
            let t = token(v);
            if !t.is_empty() {
                facts.push(Fact::ClientRequestId(t.to_string()));
            }
            break;
        }
    }
    if let Some(v) = key_value(t, "date") {
        let v = clean(v);
        if Timestamp::parse(v).is_some() {
            facts.push(Fact::Date(v.to_string()));
        }
    }
    if let Some(v) = key_value(t, "x-ms-date") {
        let v = clean(v);
        if Timestamp::parse(v).is_some() {
            facts.push(Fact::RequestDate(v.to_string()));
        }
    }
    // The legacy library's `RequestDate` is the `Date` header of the response.
    if let Some(v) = key_value(t, "requestdate") {
        let v = clean(v);
        if Timestamp::parse(v).is_some() {
            facts.push(Fact::Date(v.to_string()));
        }
    }
    if let Some(v) = key_value(t, "x-ms-version") {
        let t = token(v);
        if !t.is_empty() {
            facts.push(Fact::Version(t.to_string()));
        }
    }
    if let Some(v) = key_value(t, "user-agent") {
        let v = clean(v);
        if !v.is_empty() {
            facts.push(Fact::UserAgent(v.to_string()));
        }
    }
    if let Some((m, u)) = find_request_line(t) {
        facts.push(Fact::Request(m, u));
    } else if let Some(v) = key_value(t, "method") {
        let m = Method::parse(token(v));
        if m != Method::Unknown {
            facts.push(Fact::Request(m, String::new()));
        }
    }
    (facts, last)
}

/// A detail starting on line `i`; a string-to-sign it quotes continues on the following lines
/// (one field per line) up to a blank line or the next part of the dump.
fn with_string_to_sign(first: &str, lines: &[(Location, &str)], i: usize) -> (String, usize) {
    let mut text = first.trim().to_string();
    let mut last = i;
    if text.contains("String to sign used was") {
        let mut k = i + 1;
        while k < lines.len() {
            let next = lines[k].1;
            if next.trim().is_empty() || starts_new_part(next) {
                break;
            }
            text.push('\n');
            text.push_str(next.trim());
            last = k;
            k += 1;
        }
    }
    (text, last)
}

/// A line that starts another part of an exception dump (so a pasted string-to-sign ends).
fn starts_new_part(line: &str) -> bool {
    let t = uncomment(line);
    t.starts_with('<')
        || t.starts_with("Content:")
        || t.starts_with("Headers:")
        || t.starts_with("Status:")
        || t.starts_with("ErrorCode")
        || t.starts_with("RequestId:")
        || t.starts_with("Time:")
        || t.starts_with("---")
        || t.starts_with("at ")
}

// ---------------------------------------------------------------------------------------------

/// A block this long is read at its next blank line, so that a large file forced into this
/// format is read in bounded memory (a paste is far shorter).
const BLOCK_SOFT_LIMIT: usize = 2_000;
/// …and at any line past this many.
const BLOCK_HARD_LIMIT: usize = 20_000;

#[derive(Default)]
struct Parser {
    /// The current block: lines since the last separator (or flush).
    lines: Vec<(Location, String)>,
}

impl Parser {
    fn flush(&mut self, sink: &mut dyn EventSink) {
        let owned = std::mem::take(&mut self.lines);
        let lines: Vec<(Location, &str)> = owned.iter().map(|(l, t)| (*l, t.as_str())).collect();
        read_block(&lines, sink);
    }
}

impl LineParser for Parser {
    fn line(&mut self, line: Line<'_>, sink: &mut dyn EventSink) {
        // Blocks between separator lines (`---`): nothing joins across them.
        if is_separator(line.text) {
            self.flush(sink);
            sink.skipped(line.number, "a separator line");
            return;
        }
        let blank = line.text.trim().is_empty();
        if (blank && self.lines.len() >= BLOCK_SOFT_LIMIT) || self.lines.len() >= BLOCK_HARD_LIMIT {
            self.flush(sink);
        }
        self.lines.push((
            Location {
                line: line.number as u32,
                offset: line.offset,
            },
            line.text.to_string(),
        ));
    }

    fn finish(&mut self, sink: &mut dyn EventSink) {
        self.flush(sink);
    }
}

fn is_separator(t: &str) -> bool {
    let t = t.trim();
    (3..=5).contains(&t.len()) && t.bytes().all(|b| b == b'-' || b == b'=')
}

/// Reads the errors in one block of lines.
fn read_block(lines: &[(Location, &str)], sink: &mut dyn EventSink) {
    if lines.is_empty() {
        return;
    }
    // Error bodies first: their line ranges are read as a whole.
    let mut text = String::new();
    let mut starts: Vec<usize> = Vec::with_capacity(lines.len());
    for (_, t) in lines {
        starts.push(text.len());
        text.push_str(t);
        text.push('\n');
    }
    let line_of = |byte: usize| starts.partition_point(|&s| s <= byte).saturating_sub(1);
    let mut bodies: Vec<(usize, usize, crate::knowledge::error_body::ErrorBody)> = Vec::new();
    let mut from = 0;
    while from < text.len() {
        let Some((b, r)) = find_error_body(&text[from..]) else {
            break;
        };
        let (a, z) = (from + r.start, from + r.end);
        bodies.push((line_of(a), line_of(z.saturating_sub(1).max(a)), b));
        from = z.max(a + 1);
    }
    let mut drafts: Vec<Draft> = Vec::new();
    let mut cur = Draft::default();
    let mut i = 0;
    let mut body_idx = 0;
    while i < lines.len() {
        let loc = lines[i].0;
        // A body that starts inside lines already read (a quoted detail) was read with them.
        while bodies.get(body_idx).is_some_and(|(f, _, _)| *f < i) {
            body_idx += 1;
        }
        if let Some((first, last, body)) = bodies.get(body_idx).filter(|(f, _, _)| *f == i) {
            let body = body.clone();
            let last = *last;
            if cur.has_body
                || conflicts(&cur.request_id, &body.request_id)
                || conflicts(&cur.code, &body.code)
            {
                drafts.push(std::mem::take(&mut cur));
            }
            cur.touch(lines[*first].0);
            cur.has_body = true;
            // The body is what the service said: it wins over what the SDK repeated.
            if !body.code.is_empty() {
                cur.code = body.code.clone();
            }
            if !body.message.is_empty() {
                cur.message = body.message.clone();
            }
            if !body.request_id.is_empty() {
                cur.request_id = body.request_id.clone();
            }
            if !body.time.is_empty() {
                cur.time = body.time.clone();
            }
            if !body.auth_detail.is_empty() {
                cur.auth_detail = body.auth_detail.clone();
            }
            if !body.server_string_to_sign.is_empty() {
                cur.sts = body.server_string_to_sign.clone();
            }
            body_idx += 1;
            // The line that opens the body may carry facts before it (`Content: <?xml…`,
            // `Status code 404, "<?xml…`).
            let before = &lines[i].1[..lines[i].1.find('<').unwrap_or(0)];
            if !before.trim().is_empty() {
                let (facts, _) = facts_at(&[(loc, before)], 0);
                for f in facts {
                    if !f.conflicts_with(&cur) {
                        f.apply(&mut cur);
                    }
                }
            }
            i = last + 1;
            continue;
        }
        let (facts, last) = facts_at(lines, i);
        for f in facts {
            if f.conflicts_with(&cur) {
                drafts.push(std::mem::take(&mut cur));
            }
            cur.touch(loc);
            f.apply(&mut cur);
        }
        i = last + 1;
    }
    if !cur.is_empty() {
        drafts.push(cur);
    }
    if drafts.is_empty() {
        for (loc, t) in lines {
            if !t.trim().is_empty() {
                sink.skipped(
                    loc.line as u64,
                    "no service error or exception found in this text",
                );
            }
        }
        return;
    }
    for d in drafts {
        emit(d, sink);
    }
}

/// "Current [Mon, 12 Oct 2015 20:40:05 GMT]" of a time-frame detail: the service's clock.
fn current_of(detail: &str) -> Option<Timestamp> {
    let i = detail.find("Current [")? + "Current [".len();
    let end = detail[i..].find(']')?;
    Timestamp::parse(&detail[i..i + end])
}

/// "Request date header too old: 'Fri, 31 Jan 2020 12:28:37 GMT'": the date the client sent.
fn too_old_date(detail: &str) -> Option<&str> {
    let i = detail.find("Request date header too old:")? + "Request date header too old:".len();
    let v = detail[i..].trim().trim_matches(|c| c == '\'' || c == '"');
    let v = v.split('\'').next().unwrap_or(v);
    Timestamp::parse(v).map(|_| v)
}

fn emit(d: Draft, sink: &mut dyn EventSink) {
    let Some(location) = d.location else { return };
    let auth_failure = AUTH_DETAILS.iter().any(|p| d.auth_detail.contains(p));
    let code = if d.code.is_empty() && auth_failure {
        // Every one of these details comes with 403 AuthenticationFailed.
        "AuthenticationFailed".to_string()
    } else {
        d.code.clone()
    };
    let status = match d.status {
        0 => status_for_code(&code),
        s => s,
    };
    let time = Timestamp::parse(&d.time)
        .or_else(|| Timestamp::parse(&d.response_date))
        .or_else(|| current_of(&d.auth_detail))
        .or_else(|| Timestamp::parse(&d.request_date));
    let has_sig = StorageUrl::parse(&d.url).is_some_and(|u| u.param("sig").is_some());
    let auth = if has_sig
        || d.auth_detail.contains("Signed expiry time")
        || d.auth_detail.contains("specified time frame")
        || d.auth_detail.contains("sr is mandatory")
    {
        AuthKind::Sas
    } else if d.auth_detail.contains("Request date header")
        || d.auth_detail.contains("MAC signature")
    {
        // Date headers and MAC signatures belong to Shared Key requests.
        AuthKind::SharedKey
    } else {
        AuthKind::Unknown
    };
    let operation = if d.method != Method::Unknown {
        crate::knowledge::operations::infer(d.method, &d.url)
    } else {
        ""
    };
    let mut ev = RawEvent {
        time,
        source: SourceKind::Client,
        method: d.method,
        operation: operation.into(),
        url: d.url.as_str().into(),
        status,
        error_code: code.into(),
        client_request_id: d.client_request_id.as_str().into(),
        request_id: d.request_id.as_str().into(),
        auth,
        location,
        ..Default::default()
    };
    let detail = match (d.message.is_empty(), d.auth_detail.is_empty()) {
        (false, false) => format!("{} {}", d.message, d.auth_detail),
        (false, true) => d.message.clone(),
        (true, false) => d.auth_detail.clone(),
        (true, true) => String::new(),
    };
    ev.push(Field::Detail, detail);
    ev.push(Field::ServerStringToSign, d.sts.as_str());
    let request_date = if d.request_date.is_empty() {
        too_old_date(&d.auth_detail).unwrap_or("")
    } else {
        d.request_date.as_str()
    };
    ev.push(Field::RequestDate, request_date);
    // Without a `Date` header, the `Time:` the service writes into every error message is the
    // same clock at the same moment: the rules judge request dates and SAS times against it.
    let response_date = if d.response_date.is_empty() && Timestamp::parse(&d.time).is_some() {
        d.time.as_str()
    } else {
        d.response_date.as_str()
    };
    ev.push(Field::ResponseDate, response_date);
    ev.push(Field::XmsVersion, d.xms_version.as_str());
    ev.push(Field::UserAgent, d.user_agent.as_str());
    ev.push(Field::Note, d.exception.as_str());
    sink.event(ev);
}

#[cfg(test)]
#[path = "error_text_tests.rs"]
mod tests;
