//! `dotnet-azure-core`: the Azure SDK for .NET (v12, `Azure.Storage.*`) logging through the
//! `Azure-Core` event source. One message per request, per response, per retry; each message may
//! span several lines (the request and response headers, one `Name:value` per line):
//!
//! ```text
//! Request [<client request id>] PUT https://acct.blob.core.windows.net/c/b?sv=…&sig=REDACTED
//! x-ms-version:2023-11-03
//! …
//! client assembly: Azure.Storage.Blobs
//! Error response [<client request id>] 404 The specified blob does not exist. (00.1s)
//! x-ms-request-id:…
//! x-ms-error-code:BlobNotFound
//! ```
//!
//! The same messages arrive wrapped in whatever the app's listener adds, all handled here:
//! `AzureEventSourceListener.CreateConsoleLogger()` (`[Informational] Azure-Core: …`),
//! `CreateTraceLogger()` (`Azure-Core: [Informational] …`), ILogger console output
//! (`info: Azure.Core[1]` then the message indented by six spaces), the Functions / App Service
//! log stream (`2026-06-22T14:21:18   [Information]   …` on the first line of a message only,
//! host messages in between), and Functions Core Tools (`[2025-10-01T23:55:20.883Z] ` on every
//! physical line). One event is produced per request attempt; responses are matched to their
//! request by the id in brackets, because concurrent requests interleave.

use std::collections::HashMap;

use super::sdk_common::{AttemptCounter, Hold};
use super::{Format, LineParser};
use crate::input::Line;
use crate::knowledge::http::{parse_error_body, split_header_line, ErrorBody, Exchange};
use crate::model::{EventSink, Location, Method, Timestamp};

use super::sdk_common::leading_timestamp;

pub struct DotnetAzureCore;

const LEVELS: [&str; 7] = [
    "Informational",
    "Information",
    "Verbose",
    "Warning",
    "Error",
    "Critical",
    "LogAlways",
];
const ILOGGER_LEVELS: [&str; 6] = ["trce", "dbug", "info", "warn", "fail", "crit"];

/// Where a record came from, judged from its prefix.
#[derive(Clone, Debug, PartialEq)]
enum Origin {
    /// The Azure.Core event source (or a listener that prints only the message).
    Sdk,
    /// Another Azure SDK event source (Azure-Identity…): not HTTP traffic.
    OtherSdk(String),
    /// Not the SDK at all; the text says what.
    Host(String),
}

/// A line with its prefixes peeled off.
struct Peeled<'a> {
    /// Time written on the line (record prefix or per-line prefix).
    time: Option<Timestamp>,
    /// A per-physical-line prefix (Functions Core Tools) was removed: such lines are not
    /// continuations by position alone.
    line_prefixed: bool,
    /// The line starts a new record with this origin.
    record: Option<Origin>,
    /// ILogger: a category header line (`info: Azure.Core[5]`) with no message on it.
    ilogger_header: bool,
    /// ILogger: an indented message line of the current entry (indentation removed).
    ilogger_body: bool,
    text: &'a str,
}

impl Peeled<'_> {
    /// Whether the next line may still belong to an ILogger entry.
    fn in_ilogger_after(&self, before: bool) -> bool {
        self.ilogger_header || self.ilogger_body || (before && self.text.trim().is_empty())
    }
}

fn is_level(s: &str) -> bool {
    LEVELS.contains(&s)
}

/// `Category[123]` → Category.
fn ilogger_category(s: &str) -> Option<&str> {
    let (cat, rest) = s.split_once('[')?;
    let id = rest.strip_suffix(']')?;
    (!cat.is_empty() && !cat.contains(' ') && id.bytes().all(|b| b.is_ascii_digit())).then_some(cat)
}

fn origin_of_source(name: &str) -> Origin {
    match name {
        "Azure-Core" | "Azure.Core" => Origin::Sdk,
        n if n.starts_with("Azure-") || n.starts_with("Azure.") => Origin::OtherSdk(n.to_string()),
        n => Origin::Host(format!("not an Azure SDK line (log output of {n})")),
    }
}

/// Peels the prefixes; `in_ilogger` says whether the previous lines were an ILogger entry (whose
/// message lines are indented by six spaces).
fn peel(text: &str, in_ilogger: bool) -> Peeled<'_> {
    let mut p = Peeled {
        time: None,
        line_prefixed: false,
        record: None,
        ilogger_header: false,
        ilogger_body: false,
        text,
    };
    // Functions Core Tools: "[2025-10-01T23:55:20.883Z] " on every physical line.
    if text.starts_with('[') {
        if let Some((t, _, rest)) = leading_timestamp(text) {
            p.time = Some(t);
            p.line_prefixed = true;
            p.text = rest.strip_prefix(' ').unwrap_or(rest);
        }
    }
    let t = p.text;
    if in_ilogger && t.starts_with("      ") {
        p.text = &t[6..];
        p.ilogger_body = true;
        return p;
    }
    // ILogger console: "info: Azure.Core[1]", the message on the next lines (or on the same line
    // with the single-line formatter).
    if let Some((lvl, rest)) = t.split_once(": ") {
        if ILOGGER_LEVELS.contains(&lvl) {
            let (cat_id, msg) = rest.split_once(' ').unwrap_or((rest, ""));
            if let Some(cat) = ilogger_category(cat_id.trim_end()) {
                p.record = Some(origin_of_source(cat));
                p.ilogger_header = msg.trim().is_empty();
                p.text = msg.trim_start();
                return p;
            }
        }
    }
    // Functions / App Service log stream: "<time>   [Information]   <message>".
    if !p.line_prefixed {
        if let Some((time, _, rest)) = leading_timestamp(t) {
            let r = rest.trim_start();
            if let Some((lvl, msg)) = r.strip_prefix('[').and_then(|r| r.split_once(']')) {
                if is_level(lvl) {
                    p.time = Some(time);
                    let msg = msg.trim_start();
                    p.record = Some(if sdk_message(msg).is_some() {
                        Origin::Sdk
                    } else {
                        Origin::Host("not an Azure SDK line (Functions host output)".into())
                    });
                    p.text = msg;
                    return p;
                }
            }
        }
    }
    // CreateConsoleLogger: "[Informational] Azure-Core: <message>".
    if let Some((lvl, rest)) = t.strip_prefix('[').and_then(|r| r.split_once("] ")) {
        if is_level(lvl) {
            if let Some((src, msg)) = rest.split_once(": ") {
                if !src.contains(' ') {
                    p.record = Some(origin_of_source(src));
                    p.text = msg;
                    return p;
                }
            }
        }
    }
    // CreateTraceLogger: "Azure-Core: [Informational] <message>".
    if let Some((src, rest)) = t.split_once(": [") {
        if let Some((lvl, msg)) = rest.split_once("] ") {
            if is_level(lvl) && !src.contains(' ') {
                p.record = Some(origin_of_source(src));
                p.text = msg;
                return p;
            }
        }
    }
    // A listener that prints the bare message.
    if sdk_message(t).is_some() {
        p.record = Some(Origin::Sdk);
    }
    p
}

/// One Azure-Core message header.
#[derive(Debug, PartialEq)]
enum Msg<'a> {
    Request(&'a str, Method, &'a str),
    RequestContent(&'a str),
    Retrying(&'a str, u32),
    Exception(&'a str, &'a str),
    Response(&'a str, u16, &'a str, Option<f32>),
    ResponseContent,
    ErrorContent(&'a str, &'a str),
    Slow,
    AuthException,
}

/// `[<id>] <rest>` → (id, rest).
fn bracket_id(s: &str) -> Option<(&str, &str)> {
    let s = s.strip_prefix('[')?;
    let (id, rest) = s.split_once(']')?;
    Some((id.trim(), rest.strip_prefix(' ').unwrap_or(rest)))
}

/// `(00.1s)` at the end of a response line → milliseconds.
fn duration_suffix(s: &str) -> (&str, Option<f32>) {
    let t = s.trim_end();
    if let Some(open) = t.rfind(" (") {
        let inner = &t[open + 2..];
        if let Some(num) = inner.strip_suffix("s)") {
            if let Ok(v) = num.parse::<f32>() {
                return (t[..open].trim_end(), Some(v * 1000.0));
            }
        }
    }
    (t, None)
}

fn sdk_message(s: &str) -> Option<Msg<'_>> {
    if let Some(r) = s.strip_prefix("Request ") {
        let (id, rest) = bracket_id(r)?;
        if rest.starts_with("content") {
            return Some(Msg::RequestContent(id));
        }
        for p in ["attempt number ", "retry number "] {
            if let Some(n) = rest.strip_prefix(p) {
                let n = n.split(' ').next().unwrap_or("").parse().ok()?;
                return Some(Msg::Retrying(id, n));
            }
        }
        if let Some(e) = rest.strip_prefix("exception ") {
            return Some(Msg::Exception(id, e));
        }
        let (m, url) = rest.split_once(' ')?;
        let method = Method::parse(m);
        if method == Method::Unknown || !url.contains("://") {
            return None;
        }
        return Some(Msg::Request(id, method, url.trim()));
    }
    if let Some(r) = s.strip_prefix("Authentication request ") {
        bracket_id(r)?;
        return Some(Msg::AuthException);
    }
    let (error, r) = match s.strip_prefix("Error response ") {
        Some(r) => (true, r),
        None => (false, s.strip_prefix("Response ")?),
    };
    let (id, rest) = bracket_id(r)?;
    if let Some(c) = rest.strip_prefix("content") {
        if !error {
            return Some(Msg::ResponseContent);
        }
        // "content: <text>" or "content block 2: <text>".
        let text = c.split_once(": ").map_or("", |(_, t)| t);
        return Some(Msg::ErrorContent(id, text));
    }
    if rest.starts_with("took ") {
        return Some(Msg::Slow);
    }
    let (status, reason) = rest.split_once(' ').unwrap_or((rest, ""));
    let status: u16 = status.parse().ok().filter(|s| (100..600).contains(s))?;
    let (reason, dur) = duration_suffix(reason);
    Some(Msg::Response(id, status, reason, dur))
}

impl Format for DotnetAzureCore {
    fn id(&self) -> &'static str {
        "dotnet-azure-core"
    }
    fn name(&self) -> &'static str {
        ".NET Azure SDK log (Azure.Core)"
    }
    fn detect(&self, sample: &str) -> f32 {
        let mut total = 0u32;
        let mut sdk = 0u32;
        let mut fitting = 0u32;
        let mut in_ilogger = false;
        for l in sample.lines().filter(|l| !l.trim().is_empty()).take(400) {
            total += 1;
            let p = peel(l, in_ilogger);
            in_ilogger = p.in_ilogger_after(in_ilogger);
            let t = p.text.trim();
            if sdk_message(t).is_some() {
                sdk += 1;
                fitting += 1;
            } else if p.ilogger_header
                || t.starts_with("client assembly: ")
                || split_header_line(t).is_some()
            {
                fitting += 1;
            }
        }
        if sdk == 0 || total == 0 {
            return 0.0;
        }
        0.8 + 0.2 * (fitting as f32 / total as f32)
    }
    fn parser(&self) -> Box<dyn LineParser> {
        Box::new(Parser::default())
    }
}

/// What the lines after a message header belong to.
#[derive(Clone, Debug, Default, PartialEq)]
enum Mode {
    #[default]
    None,
    /// Headers of the open request with this id, up to `client assembly:`.
    RequestHeaders(String),
    /// After `client assembly:`: only blank lines belong to the message.
    RequestDone,
    /// Headers of the finished response with this id, up to a blank line.
    ResponseHeaders(String),
    /// An error response body for this id.
    ErrorBody(String),
    /// An exception for this id (message, inner exceptions, stack trace).
    Exception(String),
    /// Content the analysis does not need (request bodies, success bodies).
    IgnoredContent,
    /// An ILogger entry header was seen; its message is on the next indented line.
    AwaitMessage,
    /// The rest of a record that is not SDK traffic, skipped with this reason.
    Skip(String),
}

#[derive(Default)]
struct Parser {
    open: HashMap<String, Exchange>,
    hold: Hold,
    /// Records seen (drives [`Hold`]).
    seq: u64,
    mode: Mode,
    /// Text gathered for an `ErrorBody` / `Exception` mode.
    buffer: String,
    in_ilogger: bool,
    /// "Request [id] attempt number N" announces the retry number of the next attempt.
    retry_next: HashMap<String, u32>,
    attempts: AttemptCounter,
}

const MAX_BUFFER: usize = 64 * 1024;
const MAX_OPEN: usize = 4096;

/// An error body that has been read to its end (the service's XML closes with `</Error>`).
fn body_complete(buf: &str) -> bool {
    buf.contains("</Error>")
}

fn looks_like_exception_line(t: &str) -> bool {
    t.is_empty()
        || t.starts_with(' ')
        || t.starts_with('\t')
        || t.starts_with("--->")
        || t.starts_with("at ")
        || t.starts_with("---")
        || t.starts_with('<')
        || t.starts_with("RequestId:")
        || t.starts_with("Time:")
        || t.starts_with("Service request failed")
        || t.starts_with("Content:")
        || t.starts_with("Headers:")
        || split_header_line(t).is_some()
}

fn looks_like_body_line(t: &str) -> bool {
    t.starts_with(' ')
        || t.starts_with('\t')
        || t.starts_with('<')
        || t.starts_with('{')
        || t.starts_with('}')
        || t.starts_with('"')
        || t.starts_with("RequestId:")
        || t.starts_with("Time:")
}

impl Parser {
    fn exchange_mut(&mut self, id: &str) -> Option<&mut Exchange> {
        if self.open.contains_key(id) {
            return self.open.get_mut(id);
        }
        self.hold.latest_mut(|x| x.client_request_id == id)
    }

    /// Ends the current mode, applying what it gathered.
    fn end_mode(&mut self) {
        let mode = std::mem::take(&mut self.mode);
        let buf = std::mem::take(&mut self.buffer);
        match mode {
            Mode::ErrorBody(id) => {
                if let Some(b) = parse_error_body(&buf) {
                    if let Some(x) = self.exchange_mut(&id) {
                        if x.error_body.is_none() {
                            x.error_body = Some(b);
                        }
                    }
                }
            }
            Mode::Exception(id) => {
                let body = exception_facts(&buf);
                if let Some(x) = self.exchange_mut(&id) {
                    if let Some((status, b)) = body {
                        if x.status == 0 {
                            x.status = status;
                        }
                        if x.error_body.is_none() && b != ErrorBody::default() {
                            x.error_body = Some(b);
                        }
                    }
                }
            }
            _ => {}
        }
    }

    fn finish_open(&mut self, id: &str, note: &str) {
        if let Some(mut x) = self.open.remove(id) {
            x.notes.push(note.to_string());
            self.hold.push(self.seq, x);
        }
    }

    fn new_record(&mut self, sink: &mut dyn EventSink) {
        self.end_mode();
        self.seq += 1;
        self.hold.release(self.seq, sink);
    }

    fn message(&mut self, msg: Msg<'_>, time: Option<Timestamp>, line: &Line<'_>) {
        let loc = Location {
            line: line.number as u32,
            offset: line.offset,
        };
        match msg {
            Msg::Request(id, method, url) => {
                if self.open.contains_key(id) {
                    self.finish_open(id, "no response was logged before the next attempt");
                }
                if self.open.len() >= MAX_OPEN {
                    let oldest = self
                        .open
                        .iter()
                        .min_by_key(|(_, x)| x.location.line)
                        .map(|(k, _)| k.clone());
                    if let Some(k) = oldest {
                        self.finish_open(&k, "no response was logged");
                    }
                }
                let earlier = self.attempts.next(id);
                let retry = self
                    .retry_next
                    .remove(id)
                    .or((earlier > 0).then_some(earlier));
                let x = Exchange {
                    location: loc,
                    time,
                    method,
                    url: url.to_string(),
                    headers_complete: true,
                    client_request_id: id.to_string(),
                    retry_attempt: retry,
                    lines: vec![line.number],
                    ..Default::default()
                };
                self.open.insert(id.to_string(), x);
                self.mode = Mode::RequestHeaders(id.to_string());
            }
            Msg::Response(id, status, reason, dur) => {
                let mut x = self.open.remove(id).unwrap_or_else(|| Exchange {
                    location: loc,
                    client_request_id: id.to_string(),
                    ..Default::default()
                });
                x.status = status;
                x.reason = reason.to_string();
                x.duration_ms = dur;
                x.response_time = time;
                x.lines.push(line.number);
                self.hold.push(self.seq, x);
                self.mode = Mode::ResponseHeaders(id.to_string());
            }
            Msg::Exception(id, text) => {
                let mut x = self.open.remove(id).unwrap_or_else(|| Exchange {
                    location: loc,
                    client_request_id: id.to_string(),
                    ..Default::default()
                });
                x.error_text = text.trim().to_string();
                x.response_time = x.response_time.or(time);
                x.lines.push(line.number);
                x.notes
                    .push("the request failed with an exception before a response arrived".into());
                self.hold.push(self.seq, x);
                self.mode = Mode::Exception(id.to_string());
                self.buffer = text.to_string();
            }
            Msg::ErrorContent(id, text) => {
                if let Some(x) = self.exchange_mut(id) {
                    x.lines.push(line.number);
                }
                self.mode = Mode::ErrorBody(id.to_string());
                self.buffer = text.to_string();
                if body_complete(&self.buffer) {
                    self.end_mode();
                }
            }
            Msg::Retrying(id, n) => {
                self.retry_next.insert(id.to_string(), n);
            }
            Msg::RequestContent(_) | Msg::ResponseContent => self.mode = Mode::IgnoredContent,
            Msg::Slow => {}
            Msg::AuthException => {
                self.mode = Mode::Skip(
                    "token request failure logged by the SDK (not a storage request)".into(),
                )
            }
        }
    }

    /// A line that continues the current message. Returns false when it does not fit.
    fn continuation(
        &mut self,
        text: &str,
        line: &Line<'_>,
        line_prefixed: bool,
        sink: &mut dyn EventSink,
    ) -> bool {
        let t = text.trim_end();
        match self.mode.clone() {
            Mode::RequestHeaders(id) => {
                let x = self.open.get_mut(&id);
                if t.trim_start().starts_with("client assembly:") {
                    if let Some(x) = x {
                        x.lines.push(line.number);
                    }
                    self.mode = Mode::RequestDone;
                    return true;
                }
                if t.trim().is_empty() {
                    return true;
                }
                match (split_header_line(t), x) {
                    (Some((k, v)), Some(x)) => {
                        x.request_headers.push((k.to_string(), v.to_string()));
                        x.lines.push(line.number);
                        true
                    }
                    _ => false,
                }
            }
            Mode::RequestDone => t.trim().is_empty(),
            Mode::ResponseHeaders(id) => {
                if t.trim().is_empty() {
                    self.mode = Mode::None;
                    return true;
                }
                let Some((k, v)) = split_header_line(t) else {
                    return false;
                };
                if let Some(x) = self.exchange_mut(&id) {
                    x.response_headers.push((k.to_string(), v.to_string()));
                    x.lines.push(line.number);
                }
                true
            }
            Mode::ErrorBody(id) => {
                // Blank lines inside an unfinished XML body belong to it (the empty lines of a
                // quoted string to sign); otherwise a blank line ends the body.
                let open_xml = self.buffer.contains("<Error") && !self.buffer.contains("</Error>");
                if t.trim().is_empty() && !open_xml {
                    self.end_mode();
                    return true;
                }
                if line_prefixed && !looks_like_body_line(t) {
                    return false;
                }
                self.append(t);
                if !t.trim().is_empty() {
                    if let Some(x) = self.exchange_mut(&id) {
                        x.lines.push(line.number);
                    }
                }
                if body_complete(&self.buffer) {
                    self.end_mode();
                }
                true
            }
            Mode::Exception(id) => {
                if line_prefixed && !looks_like_exception_line(t) {
                    return false;
                }
                self.append(t);
                if !t.trim().is_empty() {
                    if let Some(x) = self.exchange_mut(&id) {
                        x.lines.push(line.number);
                    }
                }
                true
            }
            Mode::IgnoredContent => {
                if t.trim().is_empty() {
                    self.mode = Mode::None;
                    return true;
                }
                !line_prefixed || looks_like_body_line(t)
            }
            Mode::AwaitMessage => false,
            Mode::Skip(reason) => {
                if !t.trim().is_empty() {
                    sink.skipped(line.number, &reason);
                }
                true
            }
            Mode::None => t.trim().is_empty(),
        }
    }

    fn append(&mut self, t: &str) {
        if self.buffer.len() < MAX_BUFFER {
            self.buffer.push('\n');
            self.buffer.push_str(t);
        }
    }

    fn record(
        &mut self,
        origin: Origin,
        text: &str,
        time: Option<Timestamp>,
        line: &Line<'_>,
        sink: &mut dyn EventSink,
    ) {
        self.new_record(sink);
        match origin {
            Origin::Sdk => match sdk_message(text.trim_end()) {
                Some(m) => self.message(m, time, line),
                None => {
                    let reason = "Azure.Core message that is not part of a request or response";
                    sink.skipped(line.number, reason);
                    self.mode = Mode::Skip(reason.into());
                }
            },
            Origin::OtherSdk(src) => {
                let reason =
                    format!("Azure SDK message from {src}, not an HTTP request or response");
                sink.skipped(line.number, &reason);
                self.mode = Mode::Skip(reason);
            }
            Origin::Host(reason) => {
                sink.skipped(line.number, &reason);
                self.mode = Mode::Skip(reason);
            }
        }
    }
}

/// Facts in a `RequestFailedException` text: the status and the service's error (from the XML
/// content when logged, else the `ErrorCode:` line and the status message).
fn exception_facts(text: &str) -> Option<(u16, ErrorBody)> {
    let mut status = 0u16;
    let mut message = String::new();
    let mut code = String::new();
    for l in text.lines() {
        let l = l.trim();
        if let Some(s) = l.strip_prefix("Status: ") {
            let (n, rest) = s.split_once(' ').unwrap_or((s, ""));
            status = n.parse().unwrap_or(0);
            message = rest
                .trim()
                .trim_start_matches('(')
                .trim_end_matches(')')
                .to_string();
        } else if let Some(c) = l.strip_prefix("ErrorCode: ") {
            code = c.trim().to_string();
        }
    }
    if let Some(b) = parse_error_body(text) {
        return Some((status, b));
    }
    if status == 0 && code.is_empty() {
        return None;
    }
    Some((
        status,
        ErrorBody {
            code,
            message,
            ..Default::default()
        },
    ))
}

impl LineParser for Parser {
    fn line(&mut self, line: Line<'_>, sink: &mut dyn EventSink) {
        let p = peel(line.text, self.in_ilogger);
        let next = p.in_ilogger_after(self.in_ilogger);
        if self.in_ilogger && !next {
            // A line outside the entry's indentation ends an ILogger entry.
            self.end_mode();
        }
        self.in_ilogger = next;
        if let Some(origin) = p.record {
            if p.ilogger_header {
                self.new_record(sink);
                match origin {
                    Origin::Sdk => self.mode = Mode::AwaitMessage,
                    Origin::OtherSdk(src) => {
                        let reason = format!(
                            "Azure SDK message from {src}, not an HTTP request or response"
                        );
                        sink.skipped(line.number, &reason);
                        self.mode = Mode::Skip(reason);
                    }
                    Origin::Host(r) => {
                        sink.skipped(line.number, &r);
                        self.mode = Mode::Skip(r);
                    }
                }
                return;
            }
            self.record(origin, p.text, p.time, &line, sink);
            return;
        }
        if self.mode == Mode::AwaitMessage {
            // The first indented line of an Azure.Core ILogger entry is the message.
            self.mode = Mode::None;
            match sdk_message(p.text.trim_end()) {
                Some(m) => self.message(m, p.time, &line),
                None => {
                    let reason = "Azure.Core message that is not part of a request or response";
                    sink.skipped(line.number, reason);
                    self.mode = Mode::Skip(reason.into());
                }
            }
            return;
        }
        if self.continuation(p.text, &line, p.line_prefixed, sink) {
            return;
        }
        self.end_mode();
        let t = p.text.trim();
        // Azure.Core writes headers as `Name:value`, with no space after the colon.
        let header_like = (split_header_line(t).is_some() && !t.contains(": "))
            || t.starts_with("client assembly: ");
        let reason = if header_like {
            "a header line whose request or response line is not in the file (the log starts or was cut in the middle of a message)"
        } else if p.line_prefixed {
            "not an Azure SDK line (Functions Core Tools output)"
        } else {
            "not an Azure SDK line"
        };
        sink.skipped(line.number, reason);
    }

    fn finish(&mut self, sink: &mut dyn EventSink) {
        self.end_mode();
        let mut rest: Vec<Exchange> = self.open.drain().map(|(_, x)| x).collect();
        rest.sort_by_key(|x| x.location.line);
        for mut x in rest {
            x.notes.push("no response was logged".into());
            self.hold.push(self.seq, x);
        }
        self.hold.release_all(sink);
    }
}

#[cfg(test)]
#[path = "dotnet_azure_core_tests.rs"]
mod tests;
