//! `dotnet-legacy-trace`: the legacy .NET Storage Client Library (WindowsAzure.Storage ≤ 9.x,
//! Microsoft.Azure.Storage.* 10–11) logging through `System.Diagnostics.TraceSource`, as a
//! `TextWriterTraceListener` writes it:
//!
//! ```text
//! Microsoft.WindowsAzure.Storage Information: 3 : 85d077ab-…: Starting synchronous request to https://…
//!     DateTime=2014-05-23T06:19:48.1234567Z
//! ```
//!
//! Each message is `<source> <level>: <event id> : <client request id>: <text>`; with
//! `traceOutputOptions` the listener adds indented footer lines (`DateTime=`, `ThreadId=`…) after
//! it. One event is produced per request attempt: from `Starting … request to <url>` to the
//! response, the retry decision, or the next attempt.

use std::collections::HashMap;

use super::{share_of_lines, Format, LineParser};
use crate::input::Line;
use crate::knowledge::operations;
use crate::knowledge::url::html_decode;
use crate::model::{AuthKind, EventSink, Field, Location, Method, RawEvent, SourceKind, Timestamp};

pub struct DotnetLegacyTrace;

const SOURCES: [&str; 2] = ["Microsoft.WindowsAzure.Storage", "Microsoft.Azure.Storage"];
const LEVELS: [&str; 5] = ["Critical", "Error", "Warning", "Information", "Verbose"];

impl Format for DotnetLegacyTrace {
    fn id(&self) -> &'static str {
        "dotnet-legacy-trace"
    }
    fn name(&self) -> &'static str {
        ".NET Storage Client Library trace (legacy)"
    }
    fn detect(&self, sample: &str) -> f32 {
        let share = share_of_lines(sample, |l| header(l).is_some() || footer(l).is_some());
        let any = sample.lines().take(200).any(|l| header(l).is_some());
        if !any {
            return 0.0;
        }
        0.6 + 0.4 * share
    }
    fn parser(&self) -> Box<dyn LineParser> {
        Box::new(Parser::default())
    }
}

/// A parsed message header: (client request id, message text).
fn header(line: &str) -> Option<(&str, &str)> {
    let src = SOURCES.iter().find(|s| line.starts_with(*s))?;
    let rest = line[src.len()..].strip_prefix(' ')?;
    let (level, rest) = rest.split_once(": ")?;
    if !LEVELS.contains(&level) {
        return None;
    }
    let (id, rest) = rest.split_once(" : ")?;
    if id.trim().parse::<u32>().is_err() {
        return None;
    }
    // "<client request id>: <text>"; the id may be "*" (no operation context).
    let (crid, text) = rest.split_once(": ")?;
    Some((crid.trim(), text))
}

/// A listener footer line: `    DateTime=…` and siblings.
fn footer(line: &str) -> Option<(&str, &str)> {
    if !line.starts_with(' ') && !line.starts_with('\t') {
        return None;
    }
    let (k, v) = line.trim().split_once('=')?;
    matches!(
        k,
        "DateTime" | "Timestamp" | "ProcessId" | "ThreadId" | "LogicalOperationStack" | "Callstack"
    )
    .then_some((k, v))
}

#[derive(Default, Clone)]
struct Attempt {
    location: Location,
    url: String,
    method: Method,
    time: Option<Timestamp>,
    response_time: Option<Timestamp>,
    status: u16,
    request_id: String,
    detail: String,
    string_to_sign: String,
    request_date: String,
    retry_count: String,
    failed_final: bool,
}

#[derive(Clone, Copy, PartialEq)]
enum Last {
    Start,
    Response,
    Other,
}

#[derive(Default)]
struct Parser {
    open: HashMap<String, Attempt>,
    /// The message the next footer belongs to.
    last_crid: String,
    last_kind: Option<Last>,
    /// Completed attempts waiting for their footer lines before being emitted.
    done: Vec<(String, Attempt)>,
    in_message: bool,
}

fn strip_final_dot(s: &str) -> &str {
    s.strip_suffix('.').unwrap_or(s)
}

impl Parser {
    fn flush_done(&mut self, sink: &mut dyn EventSink) {
        for (crid, a) in std::mem::take(&mut self.done) {
            emit(&crid, a, sink);
        }
    }

    fn attempt(&mut self, crid: &str, line: &Line<'_>) -> &mut Attempt {
        self.open
            .entry(crid.to_string())
            .or_insert_with(|| Attempt {
                location: Location {
                    line: line.number as u32,
                    offset: line.offset,
                },
                ..Default::default()
            })
    }

    fn close(&mut self, crid: &str) {
        if let Some(a) = self.open.remove(crid) {
            self.done.push((crid.to_string(), a));
        }
    }

    fn message(&mut self, crid: &str, text: &str, line: &Line<'_>) {
        let loc = Location {
            line: line.number as u32,
            offset: line.offset,
        };
        let mut kind = Last::Other;
        if let Some(url) = text
            .strip_prefix("Starting synchronous request to ")
            .or_else(|| text.strip_prefix("Starting asynchronous request to "))
        {
            // A new attempt: the previous one of this operation (a retry) is complete.
            let prev_sts = self
                .open
                .get(crid)
                .map(|a| (a.url.is_empty(), a.string_to_sign.clone()));
            match prev_sts {
                // A StringToSign seen before the URL belongs to this attempt.
                Some((true, _)) => {}
                Some((false, _)) => self.close(crid),
                None => {}
            }
            let a = self.attempt(crid, line);
            a.location = loc;
            a.url = html_decode(strip_final_dot(url)).into_owned();
            kind = Last::Start;
        } else if let Some(sts) = text.strip_prefix("StringToSign = ") {
            let sts = strip_final_dot(sts);
            if self
                .open
                .get(crid)
                .is_some_and(|a| !a.string_to_sign.is_empty())
            {
                self.close(crid);
            }
            let a = self.attempt(crid, line);
            a.string_to_sign = sts.to_string();
            let verb = sts.split('.').next().unwrap_or("");
            if a.method == Method::Unknown {
                a.method = Method::parse(verb);
            }
            if let Some(i) = sts.find("x-ms-date:") {
                let d = &sts[i + 10..];
                let end = d.find(" GMT").map_or(d.len(), |e| e + 4);
                a.request_date = d[..end].to_string();
            } else if let Some(d) = find_http_date(sts) {
                a.request_date = d.to_string();
            }
        } else if let Some(resp) = text.strip_prefix("Response received. ") {
            let a = self.attempt(crid, line);
            for part in resp.split(", ") {
                if let Some(v) = part.strip_prefix("Status code = ") {
                    a.status = v.trim().parse().unwrap_or(0);
                } else if let Some(v) = part.strip_prefix("Request ID = ") {
                    a.request_id = v.trim().to_string();
                }
            }
            kind = Last::Response;
        } else if let Some(e) = text
            .strip_prefix("Exception thrown while waiting for response: ")
            .or_else(|| text.strip_prefix("Exception thrown during the operation: "))
        {
            let a = self.attempt(crid, line);
            if a.detail.is_empty() {
                a.detail = strip_final_dot(e).to_string();
            }
            if a.status == 0 {
                a.status = status_in_text(e);
            }
        } else if let Some(r) = text.strip_prefix("Checking if the operation should be retried. ") {
            let a = self.attempt(crid, line);
            for part in r.split(", ") {
                if let Some(v) = part.strip_prefix("Retry count = ") {
                    a.retry_count = v.trim().to_string();
                } else if let Some(v) = part.strip_prefix("HTTP status code = ") {
                    if a.status == 0 {
                        a.status = v.trim().parse().unwrap_or(0);
                    }
                }
            }
        } else if text.starts_with("Retry policy did not allow for a retry")
            || text.starts_with("Operation cannot be retried")
        {
            if let Some(a) = self.open.get_mut(crid) {
                a.failed_final = true;
            }
            self.close(crid);
        } else if text.starts_with("Operation completed successfully")
            || text.starts_with("Retrying failed operation")
        {
            self.close(crid);
        }
        self.last_crid = crid.to_string();
        self.last_kind = Some(kind);
    }
}

fn find_http_date(s: &str) -> Option<&str> {
    let end = s.find(" GMT")? + 4;
    let start = s[..end].rfind('.').map_or(0, |i| i + 1);
    let cand = &s[start..end];
    Timestamp::parse(cand).map(|_| cand)
}

fn status_in_text(s: &str) -> u16 {
    // "The remote server returned an error: (403) Forbidden."
    s.find('(')
        .and_then(|i| s[i + 1..].get(..3))
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

fn emit(crid: &str, a: Attempt, sink: &mut dyn EventSink) {
    let operation = operations::infer(a.method, &a.url);
    let auth = if a.url.contains("sig=") || a.url.contains("SIG=") {
        AuthKind::Sas
    } else if !a.string_to_sign.is_empty() {
        AuthKind::SharedKey
    } else {
        AuthKind::Unknown
    };
    let time = a
        .time
        .or(a.response_time)
        .or_else(|| Timestamp::parse(&a.request_date));
    let mut ev = RawEvent {
        time,
        source: SourceKind::Client,
        method: a.method,
        operation: operation.into(),
        url: a.url.into(),
        status: a.status,
        client_request_id: if crid == "*" {
            "".into()
        } else {
            crid.to_string().into()
        },
        request_id: a.request_id.into(),
        auth,
        location: a.location,
        ..Default::default()
    };
    ev.push(Field::Detail, a.detail);
    ev.push(Field::StringToSign, a.string_to_sign);
    ev.push(Field::RequestDate, a.request_date);
    ev.push(Field::RetryAttempt, a.retry_count);
    if let Some(rt) = a.response_time {
        ev.push(Field::ResponseDate, rt.to_string());
    }
    if a.failed_final {
        ev.push(Field::Note, "the client gave up after this attempt");
    }
    sink.event(ev);
}

impl LineParser for Parser {
    fn line(&mut self, line: Line<'_>, sink: &mut dyn EventSink) {
        let text = line.text;
        if let Some((k, v)) = footer(text) {
            if k == "DateTime" {
                if let (Some(t), Some(kind)) = (Timestamp::parse(v), self.last_kind) {
                    let crid = self.last_crid.clone();
                    let target = self.open.get_mut(&crid).or_else(|| {
                        self.done
                            .iter_mut()
                            .rev()
                            .find(|(c, _)| *c == crid)
                            .map(|(_, a)| a)
                    });
                    if let Some(a) = target {
                        match kind {
                            Last::Start => a.time = Some(t),
                            Last::Response => a.response_time = Some(t),
                            _ => {
                                if a.time.is_none() && a.url.is_empty() {
                                    a.time = Some(t);
                                }
                            }
                        }
                    }
                }
            }
            return;
        }
        self.flush_done(sink);
        if text.trim().is_empty() {
            self.in_message = false;
            return;
        }
        match header(text) {
            Some((crid, msg)) => {
                self.message(crid, msg, &line);
                self.in_message = true;
            }
            None if self.in_message && (text.starts_with(' ') || text.starts_with('\t') || text.starts_with("   at ")) => {
                // Continuation of a multi-line message (an exception's stack trace).
            }
            None => sink.skipped(
                line.number,
                "not a Storage Client Library trace line (expected \"Microsoft.WindowsAzure.Storage <Level>: <id> : <client request id>: <message>\")",
            ),
        }
    }

    fn finish(&mut self, sink: &mut dyn EventSink) {
        self.flush_done(sink);
        let mut rest: Vec<(String, Attempt)> = self.open.drain().collect();
        rest.sort_by_key(|(_, a)| a.location.line);
        for (crid, a) in rest {
            // Only attempts that got as far as a request line or a signature are requests.
            if !a.url.is_empty() || !a.string_to_sign.is_empty() || a.status != 0 {
                emit(&crid, a, sink);
            }
        }
    }
}

#[cfg(test)]
#[path = "dotnet_legacy_trace_tests.rs"]
mod tests;
