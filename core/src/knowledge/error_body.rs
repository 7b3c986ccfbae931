//! The storage service's error response body, wherever it turns up.
//!
//! Blob, Queue and File answer a failed request with an XML document:
//!
//! ```text
//! <?xml version="1.0" encoding="utf-8"?><Error><Code>AuthenticationFailed</Code><Message>Server failed
//! to authenticate the request. …
//! RequestId:d236f092-801e-007a-51e2-57e2ef000000
//! Time:2024-12-26T22:05:37.0687700Z</Message><AuthenticationErrorDetail>Signed expiry time […] must be
//! after signed start time […]</AuthenticationErrorDetail></Error>
//! ```
//!
//! Table and Data Lake answer with JSON (`{"odata.error":{"code":…,"message":{"value":…}}}`,
//! `{"error":{"code":…,"message":…}}`). Users rarely hand us the body as the service sent it: it
//! arrives inside a HAR (`content.text`), a Go `%q` dump (`\"` and literal `\n`), an HTML page
//! (`&lt;Error&gt;`), an exception message, or pretty-printed by hand with the `RequestId:` and
//! `Time:` lines joined by spaces. [`find_error_body`] copes with all of these and returns the same
//! [`ErrorBody`] for each, so every format reads error bodies the same way.
//!
//! This is the one shared parser of error bodies; formats should call it rather than scan for
//! `<Code>` themselves.

use std::ops::Range;

use crate::knowledge::url::html_decode;
use crate::model::Timestamp;

/// What an error body says. Empty strings mean "not in the body".
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ErrorBody {
    /// `<Code>`: the error code (`AuthenticationFailed`, `BlobNotFound`…).
    pub code: String,
    /// The sentence of `<Message>` before its `RequestId:` line, whitespace collapsed to single
    /// spaces (it equals the HTTP reason phrase).
    pub message: String,
    /// The `RequestId:` value inside `<Message>` (the server request id, `x-ms-request-id`).
    pub request_id: String,
    /// The `Time:` value inside `<Message>`, as written (ISO 8601, 7 fractional digits).
    pub time: String,
    /// `<AuthenticationErrorDetail>`, trimmed; line breaks inside it are kept.
    pub auth_detail: String,
    /// The string-to-sign the service used ("Signature did not match. String to sign used was …",
    /// "Server used following string to sign: '…'"), with its line breaks as `\n` characters.
    pub server_string_to_sign: String,
    /// Any other child element (`HeaderName`, `QueryParameterName`, `Reason`, `MessageDetails`…),
    /// in document order, values trimmed with whitespace collapsed.
    pub other: Vec<(String, String)>,
}

impl ErrorBody {
    /// The text for `Field::Detail`: the message, then the authentication detail, then the
    /// other elements as `Name: value`. Rules search this text for the service's phrases.
    pub fn detail(&self) -> String {
        let mut parts: Vec<String> = Vec::new();
        if !self.message.is_empty() {
            parts.push(self.message.clone());
        }
        if !self.auth_detail.is_empty() {
            parts.push(self.auth_detail.clone());
        }
        for (k, v) in &self.other {
            if !v.is_empty() {
                parts.push(format!("{k}: {v}"));
            }
        }
        parts.join(" ")
    }

    /// The `Time:` value as a timestamp.
    pub fn timestamp(&self) -> Option<Timestamp> {
        Timestamp::parse(&self.time)
    }

    fn is_empty(&self) -> bool {
        self.code.is_empty()
            && self.message.is_empty()
            && self.auth_detail.is_empty()
            && self.other.is_empty()
    }
}

/// The first error body in `text` (see the module documentation for the shapes understood).
pub fn parse_error_body(text: &str) -> Option<ErrorBody> {
    find_error_body(text).map(|(b, _)| b)
}

/// The first error body in `text` and the byte range it occupies in `text` (so a caller can look
/// for the next one after it). A body cut off before `</Error>` is still read.
pub fn find_error_body(text: &str) -> Option<(ErrorBody, Range<usize>)> {
    let xml = find_xml(text);
    let json = find_json(text);
    match (xml, json) {
        (Some(x), Some(j)) => Some(if j.1.start < x.1.start { j } else { x }),
        (x, j) => x.or(j),
    }
}

/// Splits a service message into (sentence, request id, time): the message of an error body, or
/// an exception message that copied it (`…permission.\nRequestId:…\nTime:…`). Accepts the
/// `RequestId:`/`Time:` parts on their own lines or joined by spaces.
pub fn split_message(message: &str) -> (String, String, String) {
    let (head, rest) = match message.find("RequestId:") {
        Some(i) => (&message[..i], Some(&message[i + "RequestId:".len()..])),
        None => match message.find("\nTime:") {
            Some(i) => (&message[..i], None),
            None => (message, None),
        },
    };
    let request_id = rest.map(first_token).unwrap_or_default();
    let time = message
        .find("Time:")
        .map(|i| first_token(&message[i + "Time:".len()..]))
        .unwrap_or_default();
    (collapse(head), request_id, time)
}

/// The string-to-sign quoted by an authentication detail, if it quotes one.
///
/// `Signature did not match. String to sign used was <sts>` gives everything after `was ` (the
/// service ends it at the end of the detail); the older `… Server used following string to sign:
/// '<sts>'.` gives the text between the quotes.
pub fn server_string_to_sign(detail: &str) -> Option<String> {
    const USED_WAS: &str = "String to sign used was";
    const SERVER_USED: &str = "Server used following string to sign:";
    if let Some(i) = detail.find(USED_WAS) {
        let s = &detail[i + USED_WAS.len()..];
        // The service writes one space after "was"; the string itself may start with a newline
        // (an empty first field, e.g. an empty permission in a malformed SAS).
        let s = s.strip_prefix(' ').unwrap_or(s);
        return Some(s.to_string());
    }
    if let Some(i) = detail.find(SERVER_USED) {
        let s = detail[i + SERVER_USED.len()..].trim_start();
        let s = s.strip_prefix('\'').unwrap_or(s);
        let end = s.rfind('\'').unwrap_or(s.len());
        return Some(s[..end].to_string());
    }
    None
}

fn first_token(s: &str) -> String {
    s.trim_start()
        .split(|c: char| c.is_whitespace() || c == '<' || c == '"' || c == '\'' || c == ',')
        .next()
        .unwrap_or("")
        .to_string()
}

/// Collapses runs of whitespace (line breaks and indentation included) into single spaces.
fn collapse(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Undoes the escapes a body gets when it is printed inside a quoted string: `\n`, `\r`, `\t`,
/// `\"`, `\\`, `\/`, `\uXXXX` (a byte-order mark is dropped). Anything else is kept as written.
fn unescape_c(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
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
                // `\r\n` is a line break like `\n`; a lone `\r` too.
                if !out.ends_with('\n') {
                    out.push('\n');
                }
            }
            Some('t') => {
                chars.next();
                out.push('\t');
            }
            Some(q @ ('"' | '\\' | '/' | '\'')) => {
                chars.next();
                out.push(q);
            }
            Some('u') => {
                let hex: String = chars.clone().skip(1).take(4).collect();
                match (hex.len() == 4)
                    .then(|| u32::from_str_radix(&hex, 16).ok())
                    .flatten()
                    .and_then(char::from_u32)
                {
                    Some(ch) => {
                        for _ in 0..5 {
                            chars.next();
                        }
                        if ch != '\u{feff}' {
                            out.push(ch);
                        }
                    }
                    None => out.push('\\'),
                }
            }
            _ => out.push('\\'),
        }
    }
    out
}

/// Does this text carry quoted-string escapes (`\n`, `\"`) rather than real line breaks?
fn looks_escaped(s: &str) -> bool {
    s.contains("\\n") || s.contains("\\\"") || s.contains("\\r") || s.contains("\\u")
}

fn find_xml(text: &str) -> Option<(ErrorBody, Range<usize>)> {
    // Plain XML, or XML that was HTML-escaped once more (an error page, a docs snippet).
    let plain = find_tag(text, "<Error", ">");
    let escaped = find_tag(text, "&lt;Error", "&gt;");
    let (start, escaped) = match (plain, escaped) {
        (Some(p), Some(e)) if e < p => (e, true),
        (Some(p), _) => (p, false),
        (None, Some(e)) => (e, true),
        (None, None) => return None,
    };
    let close = if escaped {
        "&lt;/Error&gt;"
    } else {
        "</Error>"
    };
    let end = text[start..]
        .find(close)
        .map_or(text.len(), |i| start + i + close.len());
    let region = &text[start..end];
    let mut xml = if escaped {
        html_decode(region).into_owned()
    } else {
        region.to_string()
    };
    if looks_escaped(&xml) {
        xml = unescape_c(&xml);
    }
    let body = parse_xml_error(&xml)?;
    Some((body, start..end))
}

/// Position of an opening tag `<Error>` / `<Error xmlns…>` (not `<ErrorCode>`).
fn find_tag(text: &str, open: &str, gt: &str) -> Option<usize> {
    let mut from = 0;
    while let Some(i) = text[from..].find(open) {
        let at = from + i;
        let after = &text[at + open.len()..];
        if after.starts_with(gt) || after.starts_with(' ') || after.starts_with('\n') {
            return Some(at);
        }
        from = at + open.len();
    }
    None
}

/// Reads the child elements of one `<Error>…</Error>` (already unescaped).
fn parse_xml_error(xml: &str) -> Option<ErrorBody> {
    let open_end = xml.find('>')? + 1;
    let inner = &xml[open_end..];
    let inner = inner.strip_suffix("</Error>").unwrap_or(inner);
    let mut body = ErrorBody::default();
    let mut rest = inner;
    while let Some(lt) = rest.find('<') {
        let after = &rest[lt + 1..];
        let Some(gt) = after.find('>') else { break };
        let tag = &after[..gt];
        let after_tag = &after[gt + 1..];
        if tag.starts_with('/') || tag.starts_with('?') || tag.starts_with('!') {
            rest = after_tag;
            continue;
        }
        let name = tag.split_whitespace().next().unwrap_or("");
        if tag.ends_with('/') || name.is_empty() {
            rest = after_tag;
            continue;
        }
        let close = format!("</{name}>");
        let (raw, next) = match after_tag.find(&close) {
            Some(c) => (&after_tag[..c], &after_tag[c + close.len()..]),
            // Cut off inside this element: keep what is there.
            None => (after_tag, ""),
        };
        let content = html_decode(raw);
        match name {
            "Code" => body.code = content.trim().to_string(),
            "Message" => {
                let (m, rid, time) = split_message(&content);
                body.message = m;
                body.request_id = rid;
                body.time = time;
            }
            "AuthenticationErrorDetail" => {
                let (detail, sts) = auth_detail(&content);
                body.auth_detail = detail;
                body.server_string_to_sign = sts.unwrap_or_default();
            }
            _ => body.other.push((name.to_string(), collapse(&content))),
        }
        rest = next;
    }
    if body.server_string_to_sign.is_empty() {
        // Older services put "Server used following string to sign" in the message itself.
        if let Some(s) = server_string_to_sign(inner) {
            body.server_string_to_sign = s;
        }
    }
    (!body.is_empty()).then_some(body)
}

/// The authentication detail for display, and the string-to-sign it quotes (if any).
///
/// As the service sends it the detail is compact and the string-to-sign runs to the closing tag,
/// line breaks and a trailing `\n` included, so it is kept exactly. Pretty-printed by hand (the
/// content starts with a line break and indentation) every line was indented, so lines are
/// trimmed.
fn auth_detail(content: &str) -> (String, Option<String>) {
    let pretty = content.starts_with('\n') || content.starts_with("\r\n");
    if pretty {
        let lines: Vec<&str> = content.lines().map(str::trim).collect();
        let joined = lines.join("\n");
        let joined = joined.trim().to_string();
        let sts = server_string_to_sign(&joined);
        (joined, sts)
    } else {
        let sts = server_string_to_sign(content);
        (content.trim().to_string(), sts)
    }
}

fn find_json(text: &str) -> Option<(ErrorBody, Range<usize>)> {
    let start = json_error_key(text)?;
    let escaped = text[start..].starts_with('\\');
    let end = json_object_end(text, start, escaped).unwrap_or(text.len());
    let mut region = text[start..end].to_string();
    if region.contains("\\\"") {
        region = unescape_c(&region);
    }
    let code = json_string_after(&region, "\"code\"").unwrap_or_default();
    let message = json_string_after(&region, "\"value\"")
        .or_else(|| json_string_after(&region, "\"message\""))
        .unwrap_or_default();
    if code.is_empty() && message.is_empty() {
        return None;
    }
    let (m, rid, time) = split_message(&message);
    let body = ErrorBody {
        code,
        message: m,
        request_id: rid,
        time,
        ..Default::default()
    };
    Some((body, start..end))
}

/// Where the error object's key is: `"odata.error"` (Table) or `"error"` (Data Lake), plain or
/// inside a quoted string (`\"error\"`), followed by `:` and an object.
fn json_error_key(text: &str) -> Option<usize> {
    let keys = [
        "\"odata.error\"",
        "\\\"odata.error\\\"",
        "\"error\"",
        "\\\"error\\\"",
    ];
    let mut best: Option<usize> = None;
    for k in keys {
        let mut from = 0;
        while let Some(i) = text[from..].find(k) {
            let at = from + i;
            from = at + k.len();
            let rest = text[from..].trim_start();
            if let Some(r) = rest.strip_prefix(':') {
                if r.trim_start().starts_with('{') {
                    best = Some(best.map_or(at, |b: usize| b.min(at)));
                    break;
                }
            }
        }
    }
    best
}

/// End of the JSON object that encloses the key at `from` (string-aware brace matching), or
/// `None` when the text ends first. `escaped`: the JSON is itself inside a quoted string, so its
/// quotes are written `\"`.
fn json_object_end(text: &str, from: usize, escaped: bool) -> Option<usize> {
    // Start at the nearest `{` at or before the key.
    let open = text[..from + 1].rfind('{')?;
    // That `{` may open an object that closes before the key (`{"a":1} "error":{…`): then the
    // key's own object started before the text did, and the caller reads to the end.
    let enclosing = |end: usize| (end > from).then_some(end);
    let mut depth = 0i32;
    let mut in_str = false;
    let mut esc = false;
    let bytes = text.as_bytes();
    for (i, b) in bytes[open..].iter().enumerate() {
        if escaped {
            // Only `\"` delimits strings; a backslash before anything else is part of a value.
            let next = bytes.get(open + i + 1);
            match b {
                b'\\' if next == Some(&b'"') => in_str = !in_str,
                b'{' if !in_str => depth += 1,
                b'}' if !in_str => {
                    depth -= 1;
                    if depth == 0 {
                        return enclosing(open + i + 1);
                    }
                }
                _ => {}
            }
            continue;
        }
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
            b'{' => depth += 1,
            b'}' => {
                depth -= 1;
                if depth == 0 {
                    return enclosing(open + i + 1);
                }
            }
            _ => {}
        }
    }
    None
}

/// The JSON string value after `"key"` (`"key": "value"`), unescaped. `None` when the value is
/// not a string (e.g. `"message": {` in the OData shape).
fn json_string_after(json: &str, key: &str) -> Option<String> {
    let i = json.find(key)?;
    let rest = json[i + key.len()..].trim_start().strip_prefix(':')?;
    let rest = rest.trim_start().strip_prefix('"')?;
    let mut end = None;
    let mut esc = false;
    for (k, c) in rest.char_indices() {
        match c {
            _ if esc => esc = false,
            '\\' => esc = true,
            '"' => {
                end = Some(k);
                break;
            }
            _ => {}
        }
    }
    let raw = &rest[..end.unwrap_or(rest.len())];
    Some(unescape_c(raw))
}

#[cfg(test)]
#[path = "error_body_tests.rs"]
mod tests;
