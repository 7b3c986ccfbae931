//! HTTP facts shared by every parser that sees requests and responses (client SDK logs, AzCopy,
//! HAR files, pasted error text):
//!
//! - [`parse_error_body`]: the storage service's error body (`<Error><Code>…`), in the shapes logs
//!   mangle it into (HTML-escaped, JSON-escaped, `\n` written as two characters, with a BOM,
//!   or the JSON bodies of the Table and Data Lake endpoints);
//! - [`header`] / [`known_header`]: case-insensitive header lookup over `(name, value)` pairs;
//! - [`split_header_line`]: one `Name:value` / `Name: value` line;
//! - [`auth_kind`]: how a request was authorized, from its URL and `Authorization` header;
//! - [`server_string_to_sign`]: the string to sign the service quotes in a 403;
//! - [`token_endpoint`]: whether a URL is an identity (token) endpoint rather than storage;
//! - [`Exchange`]: one observed request attempt and its response, turned into a [`RawEvent`]
//!   the same way whatever log it came from.

use std::borrow::Cow;

use super::operations;
use super::redact::is_masked;
use super::url::{html_decode, StorageUrl};
use crate::model::{AuthKind, Field, Location, Method, RawEvent, Service, SourceKind, Timestamp};

/// What the service said in an error response body.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ErrorBody {
    /// `<Code>` (XML) or `code` (JSON), e.g. `AuthenticationFailed`.
    pub code: String,
    /// The message without its `RequestId:` and `Time:` lines.
    pub message: String,
    /// `<AuthenticationErrorDetail>`; empty when the body has none.
    pub authentication_detail: String,
    /// The `RequestId:` line inside the message (the service's request id).
    pub request_id: String,
    /// The `Time:` line inside the message (the service's clock).
    pub time: String,
}

impl ErrorBody {
    /// The most specific explanation: the authentication detail when there is one (it names
    /// the SAS times or the string to sign), otherwise the message.
    pub fn detail(&self) -> &str {
        if self.authentication_detail.is_empty() {
            &self.message
        } else {
            &self.authentication_detail
        }
    }
}

/// Undoes the escaping logs put around a body: JSON string escapes (`\n`, `\"`, `\u003c`) and a
/// leading byte-order mark. HTML entities are handled by the caller (they may be the structure
/// or only the content).
fn unescape_json_like(text: &str) -> Cow<'_, str> {
    let text = text
        .trim_start_matches('\u{feff}')
        .trim_start_matches("ï»¿");
    if !text.contains('\\') {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.peek().copied() {
            Some('n') => {
                chars.next();
                out.push('\n');
            }
            Some('r') => {
                chars.next();
            }
            Some('t') => {
                chars.next();
                out.push('\t');
            }
            Some('"') | Some('/') | Some('\'') => {
                out.push(chars.next().unwrap_or('"'));
            }
            Some('\\') => {
                chars.next();
                out.push('\\');
            }
            Some('u') => {
                let hex: String = chars.clone().skip(1).take(4).collect();
                match u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32) {
                    Some(ch) if hex.len() == 4 => {
                        for _ in 0..5 {
                            chars.next();
                        }
                        out.push(ch);
                    }
                    _ => out.push('\\'),
                }
            }
            _ => out.push('\\'),
        }
    }
    Cow::Owned(out.trim_start_matches('\u{feff}').to_string())
}

/// Text of `<tag>…</tag>`; an unterminated element (a truncated log line) runs to the next `<`
/// or the end of the text.
fn xml_element<'t>(text: &'t str, tag: &str) -> Option<&'t str> {
    let open = format!("<{tag}>");
    let start = text.find(&open)? + open.len();
    let rest = &text[start..];
    let close = format!("</{tag}>");
    let end = rest
        .find(&close)
        .or_else(|| rest.find('<'))
        .unwrap_or(rest.len());
    Some(&rest[..end])
}

/// A JSON string value for `"key": "…"` anywhere in `text` (escapes undone).
fn json_string_after(text: &str, key: &str) -> Option<String> {
    let pat = format!("\"{key}\"");
    let mut from = 0;
    while let Some(i) = text.get(from..).and_then(|t| t.find(&pat)) {
        let after = &text[from + i + pat.len()..];
        from += i + pat.len();
        let after = after.trim_start();
        let Some(after) = after.strip_prefix(':') else {
            continue;
        };
        let after = after.trim_start();
        let Some(body) = after.strip_prefix('"') else {
            continue;
        };
        let mut end = None;
        let mut escaped = false;
        for (k, c) in body.char_indices() {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                end = Some(k);
                break;
            }
        }
        let raw = &body[..end.unwrap_or(body.len())];
        return Some(unescape_json_like(raw).into_owned());
    }
    None
}

/// Splits a service message into (message, RequestId, Time): the service appends
/// `\nRequestId:<id>\nTime:<iso>` to every message; logs that flatten newlines leave them
/// separated by spaces.
fn split_message(msg: &str) -> (String, String, String) {
    let mut message = Vec::new();
    let mut rid = String::new();
    let mut time = String::new();
    for line in msg.lines() {
        let mut line = line.trim();
        // Flattened: "The specified blob does not exist. RequestId:… Time:…".
        if let Some(i) = line.find(" RequestId:") {
            message.push(line[..i].trim().to_string());
            line = line[i + 1..].trim();
        }
        if let Some(r) = line.strip_prefix("RequestId:") {
            match r.find(" Time:") {
                Some(j) => {
                    rid = r[..j].trim().to_string();
                    time = r[j + 6..].trim().to_string();
                }
                None => rid = r.trim().to_string(),
            }
        } else if let Some(t) = line.strip_prefix("Time:") {
            time = t.trim().to_string();
        } else if !line.is_empty() {
            message.push(line.to_string());
        }
    }
    (message.join(" "), rid, time)
}

/// Parses the service's error body:
///
/// - XML `<?xml …?><Error><Code>…</Code><Message>…</Message>[<AuthenticationErrorDetail>…
///   </AuthenticationErrorDetail>]</Error>`, also HTML-escaped (`&lt;Code&gt;`), JSON-escaped
///   (`\n`, `\"`, `\u003C`), with a byte-order mark, or truncated after the code;
/// - JSON `{"odata.error":{"code":…,"message":{"value":…}}}` (Table) and
///   `{"error":{"code":…,"message":…}}` (Data Lake).
///
/// `RequestId:` / `Time:` lines inside the message are returned separately. Returns `None`
/// when the text holds neither a code nor a message.
pub fn parse_error_body(text: &str) -> Option<ErrorBody> {
    let unescaped = unescape_json_like(text);
    let t: Cow<'_, str> = if unescaped.contains("&lt;") && !unescaped.contains("<Code>") {
        Cow::Owned(html_decode(&unescaped).into_owned())
    } else {
        Cow::Borrowed(&unescaped)
    };
    let code = xml_element(&t, "Code").map(|c| html_decode(c.trim()).into_owned());
    let msg = xml_element(&t, "Message").map(|m| html_decode(m).into_owned());
    let auth =
        xml_element(&t, "AuthenticationErrorDetail").map(|a| html_decode(a.trim()).into_owned());
    if code.is_some() || msg.is_some() {
        let (message, request_id, time) = split_message(msg.as_deref().unwrap_or(""));
        return Some(ErrorBody {
            code: code.unwrap_or_default(),
            message,
            authentication_detail: auth.unwrap_or_default(),
            request_id,
            time,
        });
    }
    // JSON bodies: look inside the error object only, so that unrelated "code" keys elsewhere in
    // a log line are not taken for the error code.
    let raw = text.trim_start_matches('\u{feff}');
    let at = raw
        .find("\"odata.error\"")
        .or_else(|| raw.find("\"error\""))?;
    let inner = &raw[at..];
    let code = json_string_after(inner, "code").unwrap_or_default();
    let msg = json_string_after(inner, "value")
        .or_else(|| json_string_after(inner, "message"))
        .unwrap_or_default();
    if code.is_empty() && msg.is_empty() {
        return None;
    }
    let (message, request_id, time) = split_message(&msg);
    Some(ErrorBody {
        code,
        message,
        authentication_detail: String::new(),
        request_id,
        time,
    })
}

/// The value of header `name` (ASCII case-insensitive), trimmed; the first one when repeated.
pub fn header<'a, K: AsRef<str>, V: AsRef<str>>(
    headers: &'a [(K, V)],
    name: &str,
) -> Option<&'a str> {
    headers
        .iter()
        .find(|(k, _)| k.as_ref().trim().eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_ref().trim())
}

/// Like [`header`], but `None` when the log masked the value (`REDACTED`, `*****`, empty): a
/// masked `x-ms-date` says nothing about the client's clock.
pub fn known_header<'a, K: AsRef<str>, V: AsRef<str>>(
    headers: &'a [(K, V)],
    name: &str,
) -> Option<&'a str> {
    header(headers, name).filter(|v| !is_masked(v))
}

/// Splits `Name:value` or `Name: value` when `Name` is an HTTP header token (letters, digits and
/// `-_.`), so that prose such as `Executing 'Functions.X' (Reason=…)` is not taken for a header.
pub fn split_header_line(line: &str) -> Option<(&str, &str)> {
    let (name, value) = line.trim().split_once(':')?;
    if name.is_empty()
        || name.len() > 80
        || !name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
    {
        return None;
    }
    Some((name, value.trim()))
}

/// How a request was authorized: a `sig` query parameter means SAS (even when the log masked
/// its value); otherwise the `Authorization` scheme (`Bearer` → OAuth, `SharedKey`/
/// `SharedKeyLite` → Shared Key). With `headers_complete` (the log lists every request header
/// name), a request with neither was anonymous.
pub fn auth_kind(url: &str, authorization: Option<&str>, headers_complete: bool) -> AuthKind {
    if let Some(u) = StorageUrl::parse(url) {
        if u.params().any(|(k, _)| k.eq_ignore_ascii_case("sig")) {
            return AuthKind::Sas;
        }
    }
    match authorization.map(str::trim) {
        Some(a) if starts_with_ci(a, "bearer") => AuthKind::OAuth,
        Some(a) if starts_with_ci(a, "sharedkey") => AuthKind::SharedKey,
        // Present but masked: Shared Key or OAuth, the log does not say which.
        Some(_) => AuthKind::Unknown,
        None if headers_complete && !url.is_empty() => AuthKind::Anonymous,
        None => AuthKind::Unknown,
    }
}

fn starts_with_ci(s: &str, prefix: &str) -> bool {
    s.len() >= prefix.len() && s.as_bytes()[..prefix.len()].eq_ignore_ascii_case(prefix.as_bytes())
}

/// The string to sign the service quotes in a 403 ("The MAC signature found in the HTTP request
/// '…' is not the same as any computed signature. Server used following string to sign: '…'."
/// or "Signature did not match. String to sign used was …"), with its newlines written as `\n`
/// (the same notation as [`Field::StringToSign`]).
pub fn server_string_to_sign(text: &str) -> Option<String> {
    let sts = if let Some(i) = text.find("Server used following string to sign:") {
        let rest = text[i + "Server used following string to sign:".len()..].trim_start();
        match rest.strip_prefix('\'') {
            Some(quoted) => quoted.rfind('\'').map_or(quoted, |e| &quoted[..e]),
            None => rest.trim_end_matches('.'),
        }
    } else {
        let i = text.find("String to sign used was")?;
        text[i + "String to sign used was".len()..]
            .strip_prefix(' ')
            .unwrap_or(&text[i + "String to sign used was".len()..])
    };
    if sts.trim().is_empty() {
        return None;
    }
    Some(sts.replace("\r\n", "\n").replace('\n', "\\n"))
}

/// When `url` is an identity endpoint (Microsoft Entra sign-in, the managed-identity endpoint),
/// what it is. Token requests are not storage traffic: counting them would distort the
/// storage success rate.
pub fn token_endpoint(url: &str) -> Option<&'static str> {
    let u = StorageUrl::parse(url)?;
    let host = u.host.split(':').next().unwrap_or("").to_ascii_lowercase();
    let path = u.path.to_ascii_lowercase();
    if host.starts_with("login.microsoftonline.")
        || host.starts_with("login.windows.")
        || host.starts_with("login.chinacloudapi.")
        || host.starts_with("login.partner.microsoftonline.")
    {
        return Some("the Microsoft Entra sign-in endpoint");
    }
    if host == "169.254.169.254"
        || path.contains("/metadata/identity/")
        || path.contains("/msi/token")
    {
        return Some("the managed-identity endpoint");
    }
    None
}

/// One request attempt seen by a client, with whatever its log told about the response.
/// Parsers fill what their format shows; [`Exchange::to_event`] derives the rest the same way
/// for every format (ids from headers, error code from header or body, auth from the scheme…).
#[derive(Clone, Debug, Default)]
pub struct Exchange {
    pub location: Location,
    /// When the log says the request was sent (UTC).
    pub time: Option<Timestamp>,
    /// When the log recorded the response (UTC).
    pub response_time: Option<Timestamp>,
    pub method: Method,
    pub url: String,
    /// The operation when the log names it; otherwise inferred from method and URL.
    pub operation: String,
    /// 0 when no response was seen.
    pub status: u16,
    /// The HTTP reason phrase: the storage service puts its error message there.
    pub reason: String,
    pub request_headers: Vec<(String, String)>,
    pub response_headers: Vec<(String, String)>,
    /// The log lists every request header name (values may be masked): no `Authorization`
    /// and no `sig` then means an anonymous request.
    pub headers_complete: bool,
    pub error_body: Option<ErrorBody>,
    /// An exception or transport error instead of (or besides) a response.
    pub error_text: String,
    /// 1 for the first retry; `None` for a first attempt or when the log does not say.
    pub retry_attempt: Option<u32>,
    /// The client request id the log itself names (e.g. `Request [<id>]`), used when the
    /// `x-ms-client-request-id` header is not shown.
    pub client_request_id: String,
    /// Client-measured duration of the attempt.
    pub duration_ms: Option<f32>,
    pub notes: Vec<String>,
    /// Every input line the exchange was read from, so that a parser that drops it (a token
    /// request) can still report each of its lines as skipped.
    pub lines: Vec<u64>,
}

const CONDITION_HEADERS: [&str; 5] = [
    "If-Match",
    "If-None-Match",
    "If-Modified-Since",
    "If-Unmodified-Since",
    "x-ms-if-tags",
];

impl Exchange {
    /// The client request id: the request header, else the log's own id, else the response echo.
    pub fn crid(&self) -> &str {
        known_header(&self.request_headers, "x-ms-client-request-id")
            .or_else(|| Some(self.client_request_id.as_str()).filter(|s| !s.is_empty()))
            .or_else(|| known_header(&self.response_headers, "x-ms-client-request-id"))
            .unwrap_or("")
    }

    /// The error code: `x-ms-error-code` (HEAD responses carry no body), else the body's code.
    pub fn error_code(&self) -> &str {
        known_header(&self.response_headers, "x-ms-error-code")
            .or_else(|| self.error_body.as_ref().map(|b| b.code.as_str()))
            .unwrap_or("")
    }

    /// The explanation kept as [`Field::Detail`].
    pub fn detail(&self) -> &str {
        if let Some(b) = &self.error_body {
            if !b.detail().is_empty() {
                return b.detail();
            }
        }
        if self.status >= 400 && !self.reason.trim().is_empty() {
            return self.reason.trim();
        }
        self.error_text.trim()
    }

    pub fn to_event(&self) -> RawEvent<'_> {
        let req = &self.request_headers;
        let resp = &self.response_headers;
        let operation: Cow<'_, str> = if self.operation.is_empty() {
            Cow::Borrowed(operations::infer(self.method, &self.url))
        } else {
            Cow::Borrowed(&self.operation)
        };
        let url_service = StorageUrl::parse(&self.url).map_or(Service::Unknown, |u| u.service());
        // Without a URL (a response whose request line is not in the file) the `Server` header
        // still names the service (`Windows-Azure-Queue/1.0`).
        let service = if url_service == Service::Unknown {
            header(resp, "Server").map_or(Service::Unknown, |s| {
                if s.contains("Windows-Azure-") {
                    Service::from_word(s)
                } else {
                    Service::Unknown
                }
            })
        } else {
            Service::Unknown
        };
        let request_date = known_header(req, "x-ms-date").or_else(|| known_header(req, "Date"));
        let response_date = known_header(resp, "Date");
        let time = self
            .time
            .or(self.response_time)
            .or_else(|| request_date.and_then(Timestamp::parse))
            .or_else(|| response_date.and_then(Timestamp::parse));
        let mut ev = RawEvent {
            time,
            source: SourceKind::Client,
            service,
            method: self.method,
            operation,
            url: Cow::Borrowed(&self.url),
            status: self.status,
            error_code: Cow::Borrowed(self.error_code()),
            client_request_id: Cow::Borrowed(self.crid()),
            request_id: Cow::Borrowed(
                known_header(resp, "x-ms-request-id")
                    .or_else(|| {
                        self.error_body
                            .as_ref()
                            .map(|b| b.request_id.as_str())
                            .filter(|s| !s.is_empty())
                    })
                    .unwrap_or(""),
            ),
            e2e_ms: self.duration_ms,
            auth: auth_kind(
                &self.url,
                header(req, "Authorization"),
                self.headers_complete,
            ),
            location: self.location,
            ..Default::default()
        };
        let detail = self.detail();
        ev.push(Field::Detail, detail);
        if let Some(sts) =
            server_string_to_sign(detail).or_else(|| server_string_to_sign(&self.error_text))
        {
            ev.push(Field::ServerStringToSign, sts);
        }
        if let Some(d) = request_date {
            ev.push(Field::RequestDate, d);
        }
        if let Some(d) = response_date {
            ev.push(Field::ResponseDate, d);
        }
        if let Some(v) =
            known_header(req, "x-ms-version").or_else(|| known_header(resp, "x-ms-version"))
        {
            ev.push(Field::XmsVersion, v);
        }
        if let Some(ua) =
            known_header(req, "User-Agent").or_else(|| known_header(req, "x-ms-useragent"))
        {
            ev.push(Field::UserAgent, ua);
        }
        if let Some(o) = known_header(req, "Origin") {
            ev.push(Field::Origin, o);
        }
        let conditions: Vec<String> = CONDITION_HEADERS
            .iter()
            // Not `known_header`: `If-None-Match: *` is meaningful although it looks masked.
            .filter_map(|h| header(req, h).map(|v| (h, v)))
            .filter(|(_, v)| !v.is_empty() && !v.eq_ignore_ascii_case("REDACTED"))
            .map(|(h, v)| format!("{h}={v}"))
            .collect();
        if !conditions.is_empty() {
            ev.push(Field::Conditions, conditions.join(", "));
        }
        if let Some(l) = known_header(req, "x-ms-lease-id") {
            ev.push(Field::LeaseId, l);
        }
        if let Some(n) = self.retry_attempt.filter(|n| *n > 0) {
            ev.push(Field::RetryAttempt, n.to_string());
        }
        if !self.notes.is_empty() {
            ev.push(Field::Note, self.notes.join("; "));
        }
        ev
    }
}

#[cfg(test)]
#[path = "http_tests.rs"]
mod tests;
