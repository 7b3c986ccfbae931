//! `python-azure-core`: the Azure SDK for Python's `HttpLoggingPolicy` (logger
//! `azure.core.pipeline.policies.http_logging_policy`, INFO) and the storage
//! `StorageLoggingPolicy` (DEBUG, `logging_enable=True`):
//!
//! ```text
//! 2024-03-05 11:00:01,002 - azure.core.pipeline.policies.http_logging_policy - INFO - Request URL: 'https://…'
//! Request method: 'PUT'
//! Request headers:
//!     'x-ms-client-request-id': '1f0e2d3c-…'
//! A body is sent with the request
//! 2024-03-05 11:00:01,090 - azure.core.pipeline.policies.http_logging_policy - INFO - Response status: 403
//! Response headers:
//!     'x-ms-error-code': 'AuthenticationFailed'
//! ```
//!
//! Current azure-core writes one multi-line record per request and per response; older versions
//! wrote every line as its own record, so each line carries the logging prefix. The prefix is
//! whatever the app's `logging` format says, so it is recognised by what follows it. Values are
//! Python `repr` strings. Nothing pairs a response with its request except order and the echoed
//! `x-ms-client-request-id`; the service's error body is not logged, but the exception the app
//! prints afterwards (`azure.core.exceptions.…Error: …` with `ErrorCode:` and `Content:`) carries
//! it and is attached to the response it belongs to.

use super::sdk_common::{leading_timestamp, AttemptCounter, Hold, LocalClock};
use super::{share_of_lines, Format, LineParser};
use crate::input::Line;
use crate::knowledge::http::{known_header, parse_error_body, ErrorBody, Exchange};
use crate::model::{EventSink, Location, Method, Timestamp};

pub struct PythonAzureCore;

/// A recognised message, after the logging prefix.
#[derive(Debug, PartialEq)]
enum Msg<'a> {
    RequestUrl(String),
    RequestMethod(String),
    RequestHeaders,
    ResponseStatus(u16),
    ResponseHeaders,
    Header(String, String),
    /// "No body was attached to the request" and its siblings: the request part ends.
    BodyNote,
    /// "Request body:" / "Response content:" (StorageLoggingPolicy): text lines follow.
    RequestBody,
    ResponseContent(&'a str),
}

const BODY_NOTES: [&str; 6] = [
    "No body was attached to the request",
    "A body is sent with the request",
    "File upload",
    "Body contains binary data.",
    "Body contains image data.",
    "Body is streamable",
];

/// A Python `repr` string (`'…'` or `"…"`); anything else as written.
fn unrepr(s: &str) -> String {
    let s = s.trim();
    let b = s.as_bytes();
    if b.len() >= 2 && (b[0] == b'\'' || b[0] == b'"') && b[b.len() - 1] == b[0] {
        s[1..s.len() - 1].replace("\\'", "'").replace("\\\\", "\\")
    } else {
        s.to_string()
    }
}

/// `    'Name': 'value'` → (Name, value).
fn header_line(s: &str) -> Option<(String, String)> {
    let t = s.trim_start();
    if t.len() == s.len() {
        return None;
    }
    let q = t.chars().next().filter(|c| *c == '\'' || *c == '"')?;
    let rest = &t[1..];
    let end = rest.find(q)?;
    let name = &rest[..end];
    let value = rest[end + 1..].strip_prefix(':')?;
    if name.is_empty() || name.contains(' ') {
        return None;
    }
    Some((name.to_string(), unrepr(value)))
}

fn message(s: &str) -> Option<Msg<'_>> {
    if let Some(u) = s.strip_prefix("Request URL: ") {
        return Some(Msg::RequestUrl(unrepr(u)));
    }
    if let Some(m) = s.strip_prefix("Request method: ") {
        return Some(Msg::RequestMethod(unrepr(m)));
    }
    if s.trim_end() == "Request headers:" {
        return Some(Msg::RequestHeaders);
    }
    if let Some(st) = s.strip_prefix("Response status: ") {
        let n: u16 = unrepr(st).parse().ok().filter(|n| (100..600).contains(n))?;
        return Some(Msg::ResponseStatus(n));
    }
    if s.trim_end() == "Response headers:" {
        return Some(Msg::ResponseHeaders);
    }
    if s.trim_end() == "Request body:" {
        return Some(Msg::RequestBody);
    }
    if let Some(c) = s.strip_prefix("Response content:") {
        return Some(Msg::ResponseContent(c.trim()));
    }
    if BODY_NOTES.iter().any(|n| s.trim_end().starts_with(n)) {
        return Some(Msg::BodyNote);
    }
    if let Some((k, v)) = header_line(s) {
        return Some(Msg::Header(k, v));
    }
    None
}

const LEVELS: [&str; 6] = ["DEBUG", "INFO", "WARNING", "WARN", "ERROR", "CRITICAL"];

/// A line split into its logging prefix and message.
struct Split<'a> {
    time: Option<(Timestamp, bool)>,
    /// The line starts with a logging prefix (a time, or `LEVEL:name:`).
    prefixed: bool,
    /// The logger named in the prefix, when one can be told.
    logger: Option<&'a str>,
    msg: &'a str,
}

/// Finds where the message starts: after a `LEVEL` word followed by `:` / ` - ` / ` `, and an
/// optional logger name after it (`INFO:azure.core…:msg`).
fn split(line: &str) -> Split<'_> {
    let mut s = Split {
        time: None,
        prefixed: false,
        logger: None,
        msg: line,
    };
    let mut rest = line;
    if let Some((t, zoned, r)) = leading_timestamp(line) {
        s.time = Some((t, zoned));
        s.prefixed = true;
        rest = r;
        s.msg = r.strip_prefix(' ').unwrap_or(r);
    }
    // The level and logger: look in the first 200 bytes for "<sep>LEVEL<sep>".
    let head_len = rest.len().min(200);
    let head = rest.get(..head_len).unwrap_or(rest);
    let mut best: Option<(usize, usize)> = None;
    for lvl in LEVELS {
        let mut from = 0;
        while let Some(i) = head.get(from..).and_then(|h| h.find(lvl)) {
            let at = from + i;
            from = at + lvl.len();
            let before_ok = at == 0 || matches!(head.as_bytes()[at - 1], b':' | b' ' | b'[' | b'-');
            let after = &rest[at + lvl.len()..];
            let sep = [":", " - ", "] ", " "]
                .iter()
                .find(|p| after.starts_with(**p))
                .map(|p| p.len());
            if let (true, Some(sep)) = (before_ok, sep) {
                if best.is_none_or(|(b, _)| at < b) {
                    best = Some((at, at + lvl.len() + sep));
                }
                break;
            }
        }
    }
    let Some((lvl_at, msg_at)) = best else {
        return s;
    };
    let before =
        rest[..lvl_at].trim_matches(|c: char| c == ':' || c == ' ' || c == '-' || c == '[');
    // Nothing but a logger name may stand between the time and the level.
    if before.contains(['\'', '"', '(']) || (before.contains(' ') && !before.contains(" - ")) {
        return s;
    }
    s.prefixed = true;
    let mut msg = &rest[msg_at..];
    let name_before = before.rsplit(" - ").next().unwrap_or(before).trim();
    if !name_before.is_empty() {
        s.logger = Some(name_before);
    } else if let Some((name, m)) = msg.split_once(':') {
        // "INFO:azure.core.pipeline.policies.http_logging_policy:Request URL: …"
        if !name.is_empty() && !name.contains(' ') && name.contains(['.', '_']) {
            s.logger = Some(name);
            msg = m;
        }
    }
    s.msg = msg;
    s
}

impl Format for PythonAzureCore {
    fn id(&self) -> &'static str {
        "python-azure-core"
    }
    fn name(&self) -> &'static str {
        "Python Azure SDK HTTP logging (azure-core)"
    }
    fn detect(&self, sample: &str) -> f32 {
        let mut url = false;
        let mut other = false;
        for l in sample.lines().take(400) {
            match message(split(l).msg) {
                Some(Msg::RequestUrl(_)) => url = true,
                Some(Msg::RequestMethod(_)) | Some(Msg::ResponseStatus(_)) => other = true,
                _ => {}
            }
        }
        if !(url && other) {
            return if sample.contains("azure.core.pipeline.policies.http_logging_policy") {
                0.5
            } else {
                0.0
            };
        }
        let share = share_of_lines(sample, |l| message(split(l).msg).is_some());
        0.85 + 0.15 * share
    }
    fn parser(&self) -> Box<dyn LineParser> {
        Box::new(Parser::default())
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq)]
enum Mode {
    #[default]
    None,
    Request,
    RequestHeaders,
    RequestBody,
    Response,
    ResponseHeaders,
    ResponseContent,
    /// A Python traceback (frames and source lines).
    Traceback,
    /// The exception text after a traceback: the service's message, `ErrorCode:`, `Content:`.
    Exception,
    /// Continuation lines of a record from another logger.
    OtherRecord,
}

impl Mode {
    /// Modes that gather free text, which any recognised message ends.
    fn reads_text(self) -> bool {
        matches!(
            self,
            Mode::RequestBody
                | Mode::ResponseContent
                | Mode::Traceback
                | Mode::Exception
                | Mode::OtherRecord
        )
    }
}

/// A request or response with its zone-less log time kept aside until the offset is known.
#[derive(Default)]
struct Part {
    x: Exchange,
    local_time: Option<Timestamp>,
}

#[derive(Default)]
struct Parser {
    mode: Mode,
    request: Option<Part>,
    /// Requests sent and not yet answered, oldest first.
    pending: Vec<Part>,
    response: Option<Part>,
    hold: Hold,
    seq: u64,
    clock: LocalClock,
    attempts: AttemptCounter,
    buffer: String,
    buffer_lines: Vec<u64>,
    other_reason: String,
}

const MAX_PENDING: usize = 256;
const MAX_BUFFER: usize = 64 * 1024;

impl Parser {
    fn location(line: &Line<'_>) -> Location {
        Location {
            line: line.number as u32,
            offset: line.offset,
        }
    }

    /// The request being described is complete: it waits for its response.
    fn close_request(&mut self) {
        if let Some(mut r) = self.request.take() {
            let n = self.attempts.next(r.x.crid());
            if n > 0 {
                r.x.retry_attempt = Some(n);
            }
            if self.pending.len() >= MAX_PENDING {
                let mut old = self.pending.remove(0);
                old.x.notes.push("no response was logged".into());
                self.finish_part(old);
            }
            self.pending.push(r);
        }
    }

    /// Pairs the finished response with its request: the one whose client request id it echoes,
    /// otherwise the most recent unanswered one (sequential code answers the last request sent).
    fn close_response(&mut self, sink: &mut dyn EventSink) {
        let Some(resp) = self.response.take() else {
            return;
        };
        self.close_request();
        let echo =
            known_header(&resp.x.response_headers, "x-ms-client-request-id").map(str::to_string);
        let idx = echo
            .as_deref()
            .and_then(|e| self.pending.iter().rposition(|p| p.x.crid() == e))
            .or_else(|| self.pending.len().checked_sub(1));
        let mut part = match idx {
            Some(i) => self.pending.remove(i),
            None => Part {
                x: Exchange {
                    location: resp.x.location,
                    ..Default::default()
                },
                local_time: None,
            },
        };
        let r = resp.x;
        part.x.status = r.status;
        part.x.response_headers = r.response_headers;
        part.x.error_body = r.error_body;
        part.x.lines.extend(r.lines);
        if let (Some(local), Some(date)) = (
            resp.local_time,
            known_header(&part.x.response_headers, "Date").and_then(Timestamp::parse),
        ) {
            if let Some(msg) = self.clock.learn(local, date) {
                sink.notice(&msg);
            }
        }
        part.x.response_time = r
            .response_time
            .or(resp.local_time.map(|t| self.clock.utc_of(t)));
        self.finish_part(part);
    }

    /// Converts a local request time and holds the exchange for a possible exception.
    fn finish_part(&mut self, mut p: Part) {
        if let Some(t) = p.local_time {
            p.x.time = Some(self.clock.utc_of(t));
        }
        self.hold.push(self.seq, p.x);
    }

    /// An exception without a service error in it. azure-core's transport errors (a connection
    /// reset, a refused connection, a timeout) mean the request sent last got no response: the
    /// text becomes that request's error. Any other exception is the application's own.
    fn transport_exception(&mut self, text: &str, lines: Vec<u64>, sink: &mut dyn EventSink) {
        let first = text.lines().next().unwrap_or("").trim();
        let name = first.split_once(": ").map_or(first, |(n, _)| n);
        let transport = [
            "ServiceRequestError",
            "ServiceResponseError",
            "ServiceRequestTimeoutError",
            "ServiceResponseTimeoutError",
        ]
        .iter()
        .any(|t| name.ends_with(t));
        self.close_request();
        match self.pending.pop() {
            Some(mut p) if transport => {
                p.x.error_text = first.to_string();
                p.x.lines.extend(lines);
                self.finish_part(p);
            }
            other => {
                self.pending.extend(other);
                for l in lines {
                    sink.skipped(
                        l,
                        "an exception that is not a storage error or a transport failure",
                    );
                }
            }
        }
    }

    /// The exception text being read is inside the authentication detail or the error body.
    fn exception_open(&self) -> bool {
        let b = &self.buffer;
        (b.contains("authenticationerrordetail:") || b.contains("<Error>"))
            && !b.contains("</Error>")
    }

    fn end_mode(&mut self, sink: &mut dyn EventSink) {
        let mode = std::mem::take(&mut self.mode);
        let buf = std::mem::take(&mut self.buffer);
        let lines = std::mem::take(&mut self.buffer_lines);
        match mode {
            Mode::ResponseContent => {
                if let Some(r) = self.response.as_mut() {
                    r.x.error_body = parse_error_body(&buf);
                    r.x.lines.extend(lines);
                }
            }
            Mode::Exception => {
                let Some(body) = exception_body(&buf) else {
                    self.transport_exception(&buf, lines, sink);
                    return;
                };
                let rid = body.request_id.clone();
                let target = self
                    .hold
                    .latest_mut(|x| {
                        !rid.is_empty()
                            && known_header(&x.response_headers, "x-ms-request-id")
                                == Some(rid.as_str())
                    })
                    .is_some();
                let x = if target {
                    self.hold.latest_mut(|x| {
                        known_header(&x.response_headers, "x-ms-request-id") == Some(rid.as_str())
                    })
                } else {
                    self.hold
                        .latest_mut(|x| x.status >= 400 && x.error_body.is_none())
                };
                if let Some(x) = x {
                    if x.error_body.is_none() {
                        x.error_body = Some(body);
                    }
                    x.lines.extend(lines);
                }
            }
            _ => {}
        }
    }

    fn on_message(
        &mut self,
        msg: Msg<'_>,
        time: Option<(Timestamp, bool)>,
        line: &Line<'_>,
        sink: &mut dyn EventSink,
    ) {
        let (utc, local) = match time {
            Some((t, true)) => (Some(t), None),
            Some((t, false)) => (None, Some(t)),
            None => (None, None),
        };
        match msg {
            Msg::RequestUrl(url) => {
                self.end_mode(sink);
                self.close_response(sink);
                self.close_request();
                self.seq += 1;
                self.hold.release(self.seq, sink);
                self.request = Some(Part {
                    x: Exchange {
                        location: Self::location(line),
                        time: utc,
                        url,
                        headers_complete: true,
                        lines: vec![line.number],
                        ..Default::default()
                    },
                    local_time: local,
                });
                self.mode = Mode::Request;
            }
            Msg::ResponseStatus(status) => {
                self.end_mode(sink);
                self.close_response(sink);
                self.close_request();
                self.seq += 1;
                self.hold.release(self.seq, sink);
                self.response = Some(Part {
                    x: Exchange {
                        location: Self::location(line),
                        status,
                        response_time: utc,
                        lines: vec![line.number],
                        ..Default::default()
                    },
                    local_time: local,
                });
                self.mode = Mode::Response;
            }
            Msg::RequestMethod(m) => {
                if let Some(r) = self.request.as_mut() {
                    r.x.method = Method::parse(&m);
                    r.x.lines.push(line.number);
                } else {
                    sink.skipped(line.number, ORPHAN);
                }
            }
            Msg::RequestHeaders => self.in_request(Mode::RequestHeaders, line, sink),
            Msg::BodyNote => self.in_request(Mode::Request, line, sink),
            Msg::RequestBody => self.in_request(Mode::RequestBody, line, sink),
            Msg::ResponseHeaders => self.in_response(Mode::ResponseHeaders, line, sink),
            Msg::ResponseContent(first) => {
                self.in_response(Mode::ResponseContent, line, sink);
                self.buffer = first.to_string();
            }
            Msg::Header(k, v) => match self.mode {
                Mode::RequestHeaders => {
                    if let Some(r) = self.request.as_mut() {
                        r.x.request_headers.push((k, v));
                        r.x.lines.push(line.number);
                    }
                }
                Mode::ResponseHeaders => {
                    if let Some(r) = self.response.as_mut() {
                        r.x.response_headers.push((k, v));
                        r.x.lines.push(line.number);
                    }
                }
                _ => sink.skipped(line.number, ORPHAN),
            },
        }
    }

    fn in_request(&mut self, mode: Mode, line: &Line<'_>, sink: &mut dyn EventSink) {
        match self.request.as_mut() {
            Some(r) => {
                r.x.lines.push(line.number);
                self.mode = mode;
            }
            None => sink.skipped(line.number, ORPHAN),
        }
    }

    fn in_response(&mut self, mode: Mode, line: &Line<'_>, sink: &mut dyn EventSink) {
        match self.response.as_mut() {
            Some(r) => {
                r.x.lines.push(line.number);
                self.mode = mode;
            }
            None => sink.skipped(line.number, ORPHAN),
        }
    }

    fn buffer_line(&mut self, t: &str, number: u64) {
        if self.buffer.len() < MAX_BUFFER {
            if !self.buffer.is_empty() {
                self.buffer.push('\n');
            }
            self.buffer.push_str(t);
        }
        self.buffer_lines.push(number);
    }
}

const ORPHAN: &str = "HTTP logging line whose request or response start is not in the file";
const TRACEBACK: &str = "Python traceback (not HTTP logging)";

/// The facts in an exception printed after a failed response: the XML after `Content:` when
/// present, otherwise the message with its `RequestId:`, `ErrorCode:` and
/// `authenticationerrordetail:` lines.
fn exception_body(text: &str) -> Option<ErrorBody> {
    let xml = parse_error_body(text);
    let mut b = ErrorBody::default();
    let mut first = true;
    for l in text.lines() {
        let l = l.trim();
        if first {
            first = false;
            // "azure.core.exceptions.ResourceNotFoundError: The specified blob does not exist."
            if let Some((_, m)) = l.split_once(": ") {
                b.message = m.trim().to_string();
            }
        } else if let Some(c) = l.strip_prefix("ErrorCode:") {
            b.code = c.trim().to_string();
        } else if let Some(r) = l.strip_prefix("RequestId:") {
            b.request_id = r.trim().to_string();
        } else if let Some(t) = l.strip_prefix("Time:") {
            b.time = t.trim().to_string();
        } else if let Some(d) = l.strip_prefix("authenticationerrordetail:") {
            b.authentication_detail = d.trim().to_string();
        }
    }
    match xml {
        Some(mut x) => {
            if x.request_id.is_empty() {
                x.request_id = b.request_id;
            }
            Some(x)
        }
        None if !b.code.is_empty() || !b.request_id.is_empty() => Some(b),
        None => None,
    }
}

fn is_exception_line(t: &str) -> bool {
    // "azure.core.exceptions.HttpResponseError: …", "azure.storage.blob._shared….: …"
    let Some((name, _)) = t.split_once(": ") else {
        return false;
    };
    !name.contains(' ')
        && (name.ends_with("Error") || name.ends_with("Exception"))
        && name.contains('.')
}

impl LineParser for Parser {
    fn line(&mut self, line: Line<'_>, sink: &mut dyn EventSink) {
        let sp = split(line.text);
        let header_mode = matches!(self.mode, Mode::RequestHeaders | Mode::ResponseHeaders);
        // An indented quoted line is a header only where headers are expected; elsewhere it is
        // body or traceback text.
        let msg = message(sp.msg).filter(|m| header_mode || !matches!(m, Msg::Header(..)));
        if let Some(m) = msg {
            if self.mode.reads_text() {
                self.end_mode(sink);
            }
            self.on_message(m, sp.time, &line, sink);
            return;
        }
        let t = sp.msg.trim_end();
        if t.trim().is_empty() {
            // The service's string to sign, quoted in `authenticationerrordetail:` and in the
            // XML after `Content:`, has empty lines of its own: they belong to the exception
            // (and to the string's layout) until the error body is closed.
            if self.mode == Mode::Exception && self.exception_open() {
                self.buffer_line("", line.number);
                return;
            }
            if matches!(self.mode, Mode::Exception | Mode::Traceback) {
                self.end_mode(sink);
            }
            return;
        }
        if sp.prefixed {
            // A record of its own that is not HTTP logging ends what was being read.
            self.end_mode(sink);
            self.close_response(sink);
            let reason = match sp.logger {
                Some(l) => format!("not an azure-core HTTP logging line (logger {l})"),
                None => "not an azure-core HTTP logging line".to_string(),
            };
            sink.skipped(line.number, &reason);
            self.other_reason = reason;
            self.mode = Mode::OtherRecord;
            return;
        }
        match self.mode {
            Mode::RequestBody => {
                if let Some(r) = self.request.as_mut() {
                    r.x.lines.push(line.number);
                }
                return;
            }
            Mode::ResponseContent => {
                self.buffer_line(t, line.number);
                return;
            }
            Mode::Exception if !t.starts_with("Traceback (") => {
                self.buffer_line(t, line.number);
                return;
            }
            _ => {}
        }
        if t.starts_with("Traceback (")
            || t.starts_with("During handling of the above exception")
            || t.starts_with("The above exception was the direct cause")
        {
            self.end_mode(sink);
            self.close_response(sink);
            self.mode = Mode::Traceback;
            sink.skipped(line.number, TRACEBACK);
            return;
        }
        if self.mode == Mode::Traceback && (t.starts_with(' ') || t.starts_with('\t')) {
            sink.skipped(line.number, TRACEBACK);
            return;
        }
        if is_exception_line(t) {
            self.end_mode(sink);
            self.close_response(sink);
            self.mode = Mode::Exception;
            self.buffer_line(t, line.number);
            return;
        }
        if self.mode == Mode::OtherRecord {
            let r = self.other_reason.clone();
            sink.skipped(line.number, &r);
            return;
        }
        self.end_mode(sink);
        sink.skipped(line.number, "not an azure-core HTTP logging line");
    }

    fn finish(&mut self, sink: &mut dyn EventSink) {
        self.end_mode(sink);
        self.close_response(sink);
        self.close_request();
        for mut p in std::mem::take(&mut self.pending) {
            p.x.notes.push("no response was logged".into());
            self.finish_part(p);
        }
        if let Some(msg) = self.clock.unresolved() {
            sink.notice(msg);
        }
        self.hold.release_all(sink);
    }
}

#[cfg(test)]
#[path = "python_azure_core_tests.rs"]
mod tests;
