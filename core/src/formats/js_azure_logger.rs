//! `js-azure-logger`: the Azure SDK for JavaScript logging through `@azure/logger`
//! (`AZURE_LOG_LEVEL=info`), one message per `<namespace>:<level> <text>` line, where the request
//! and the response headers are pretty-printed JSON spanning many lines:
//!
//! ```text
//! azure:storage-blob:info RetryPolicy: =====> Try=1 Primary
//! azure:storage-blob:info Request: {
//!   "url": "https://contosoapp.blob.core.windows.net/uploads/report-1.csv?…&sig=REDACTED",
//!   "headers": { … "x-ms-client-request-id": "…" … },
//!   "method": "PUT",
//!   …
//! }
//! azure:storage-blob:info Response status code: 403
//! azure:storage-blob:info Headers: {
//!   "x-ms-error-code": "AuthenticationFailed",
//!   …
//! }
//! ```
//!
//! Sub-loggers add a word after a space (`azure:core-rest-pipeline retryPolicy:info`). Terminal
//! copies hard-wrap long lines, splitting words: a line without the prefix that follows a long
//! one is glued back onto it. Responses carry no request id; they are paired with their request
//! by the echoed `x-ms-client-request-id`, else with the most recent unanswered request. The log
//! has no timestamps: times come from the `x-ms-date` / `Date` headers. An application that
//! prints the SDK's `RestError` to the same stream gives the service's error details, which are
//! attached to the response they belong to.

use std::collections::HashMap;

use super::sdk_common::{json_pairs, leading_timestamp, pair, AttemptCounter, Hold};
use super::{Format, LineParser};
use crate::input::Line;
use crate::knowledge::http::{known_header, ErrorBody, Exchange};
use crate::model::{EventSink, Location, Method};

pub struct JsAzureLogger;

const LEVELS: [&str; 4] = ["verbose", "info", "warning", "error"];

/// `azure:<namespace>:<level> <message>` → (namespace, message). An ISO timestamp before it
/// (container or CI log collectors add one) is allowed.
fn logger_prefix(line: &str) -> Option<(&str, &str)> {
    let line = match leading_timestamp(line) {
        Some((_, _, rest)) if rest.trim_start().starts_with("azure:") => rest.trim_start(),
        _ => line,
    };
    let rest = line.strip_prefix("azure:")?;
    let colon = rest.find(':')?;
    let ns = &rest[..colon];
    if ns.is_empty() || ns.len() > 80 {
        return None;
    }
    let after = &rest[colon + 1..];
    let lvl = LEVELS.iter().find(|l| after.starts_with(**l))?;
    let msg = &after[lvl.len()..];
    if !(msg.is_empty() || msg.starts_with(' ')) {
        return None;
    }
    Some((ns, msg.strip_prefix(' ').unwrap_or(msg)))
}

impl Format for JsAzureLogger {
    fn id(&self) -> &'static str {
        "js-azure-logger"
    }
    fn name(&self) -> &'static str {
        "JavaScript Azure SDK log (@azure/logger)"
    }
    fn detect(&self, sample: &str) -> f32 {
        let mut total = 0u32;
        let mut prefixed = 0u32;
        let mut fitting = 0u32;
        for l in sample.lines().filter(|l| !l.trim().is_empty()).take(400) {
            total += 1;
            if logger_prefix(l).is_some() {
                prefixed += 1;
                fitting += 1;
            } else if l.starts_with(' ') || l.starts_with('}') {
                fitting += 1;
            }
        }
        if prefixed == 0 || total == 0 {
            return 0.0;
        }
        // A handful of logger lines in a large unrelated file is not enough.
        let share = fitting as f32 / total as f32;
        if share < 0.2 {
            return 0.3 * share / 0.2;
        }
        0.7 + 0.3 * share
    }
    fn parser(&self) -> Box<dyn LineParser> {
        Box::new(Parser::default())
    }
}

#[derive(Clone, Copy, PartialEq, Debug)]
enum RecKind {
    Logger,
    /// An application's dump of the SDK's `RestError` (`RestError: <message>` then JSON).
    RestError,
}

/// One logical record: a prefixed line and what continues it.
struct Record {
    kind: RecKind,
    namespace: String,
    text: String,
    first: Location,
    lines: Vec<u64>,
    /// JSON nesting so far (outside strings), to know whether more lines belong to it.
    depth: i32,
    in_string: bool,
    escaped: bool,
    saw_brace: bool,
    last_len: usize,
}

const MAX_TEXT: usize = 256 * 1024;
/// A line at least this long may have been hard-wrapped by the terminal.
const WRAP_WIDTH: usize = 80;

impl Record {
    fn new(kind: RecKind, namespace: &str, text: &str, line: &Line<'_>) -> Record {
        let mut r = Record {
            kind,
            namespace: namespace.to_string(),
            text: String::new(),
            first: Location {
                line: line.number as u32,
                offset: line.offset,
            },
            lines: vec![line.number],
            depth: 0,
            in_string: false,
            escaped: false,
            saw_brace: false,
            last_len: line.text.len(),
        };
        r.push_text(text);
        r
    }

    fn push_text(&mut self, t: &str) {
        for c in t.chars() {
            if self.in_string {
                if self.escaped {
                    self.escaped = false;
                } else if c == '\\' {
                    self.escaped = true;
                } else if c == '"' {
                    self.in_string = false;
                }
            } else if c == '"' {
                self.in_string = true;
            } else if c == '{' || c == '[' {
                self.depth += 1;
                self.saw_brace = true;
            } else if c == '}' || c == ']' {
                self.depth -= 1;
            }
        }
        if self.text.len() < MAX_TEXT {
            self.text.push_str(t);
        }
    }

    /// Whether an unprefixed line continues this record: the rest of an open JSON payload, or
    /// the remainder of a hard-wrapped long line.
    fn takes(&self, raw: &str) -> bool {
        (self.saw_brace && self.depth > 0) || self.last_len >= WRAP_WIDTH && !raw.trim().is_empty()
    }

    fn continue_with(&mut self, raw: &str, number: u64) {
        // Pretty-printed JSON lines start with indentation or a closing bracket; anything else
        // is the tail of a wrapped line and is glued on without a separator.
        let real_newline = raw.starts_with([' ', '\t', '}', ']']);
        if real_newline {
            self.push_text("\n");
        }
        self.push_text(raw);
        self.lines.push(number);
        self.last_len = raw.len();
    }
}

#[derive(Default)]
struct Parser {
    record: Option<Record>,
    pending: Vec<Exchange>,
    response: Option<Exchange>,
    hold: Hold,
    seq: u64,
    /// core-rest-pipeline "Retry N: Attempting to send request <id>".
    retry_next: HashMap<String, u32>,
    /// storage "RetryPolicy: =====> Try=N": applies to the next request.
    next_try: Option<u32>,
    attempts: AttemptCounter,
}

const MAX_PENDING: usize = 256;

impl Parser {
    fn skip_record(r: &Record, reason: &str, sink: &mut dyn EventSink) {
        for l in &r.lines {
            sink.skipped(*l, reason);
        }
    }

    fn release(&mut self, sink: &mut dyn EventSink) {
        self.seq += 1;
        self.hold.release(self.seq, sink);
    }

    /// The response (status, then headers) is complete: pair it with its request.
    fn close_response(&mut self) {
        let Some(resp) = self.response.take() else {
            return;
        };
        let echo =
            known_header(&resp.response_headers, "x-ms-client-request-id").map(str::to_string);
        let idx = echo
            .as_deref()
            .and_then(|e| self.pending.iter().rposition(|p| p.crid() == e))
            .or_else(|| self.pending.len().checked_sub(1));
        let mut x = match idx {
            Some(i) => self.pending.remove(i),
            None => Exchange {
                location: resp.location,
                ..Default::default()
            },
        };
        x.status = resp.status;
        x.response_headers = resp.response_headers;
        x.lines.extend(resp.lines);
        self.hold.push(self.seq, x);
    }

    fn flush(&mut self, sink: &mut dyn EventSink) {
        let Some(r) = self.record.take() else {
            return;
        };
        if r.kind == RecKind::RestError {
            self.rest_error(r, sink);
            return;
        }
        let text = r.text.trim_end();
        if let Some(json) = text.strip_prefix("Request: ") {
            self.close_response();
            self.release(sink);
            let pairs = json_pairs(json);
            let url = pair(&pairs, "url").unwrap_or("").to_string();
            if url.is_empty() {
                Self::skip_record(&r, "request log without a URL", sink);
                return;
            }
            let id = pair(&pairs, "requestId").unwrap_or("").to_string();
            let mut x = Exchange {
                location: r.first,
                method: Method::parse(pair(&pairs, "method").unwrap_or("")),
                url,
                headers_complete: true,
                lines: r.lines,
                ..Default::default()
            };
            x.request_headers = pairs;
            if x.crid().is_empty() {
                x.client_request_id = id.clone();
            }
            let earlier = self.attempts.next(x.crid());
            // Both announcements are consumed, so neither lingers onto a later request.
            let from_core = self.retry_next.remove(&id);
            let from_storage = self.next_try.take();
            let retry = from_core.or(from_storage).or(Some(earlier));
            x.retry_attempt = retry.filter(|n| *n > 0);
            if self.pending.len() >= MAX_PENDING {
                let mut old = self.pending.remove(0);
                old.notes.push("no response was logged".into());
                self.hold.push(self.seq, old);
            }
            self.pending.push(x);
        } else if let Some(st) = text.strip_prefix("Response status code: ") {
            self.close_response();
            self.release(sink);
            let Some(status) = st
                .trim()
                .parse::<u16>()
                .ok()
                .filter(|s| (100..600).contains(s))
            else {
                Self::skip_record(&r, "response status that is not a number", sink);
                return;
            };
            self.response = Some(Exchange {
                location: r.first,
                status,
                lines: r.lines,
                ..Default::default()
            });
        } else if let Some(json) = text.strip_prefix("Headers: ") {
            match self.response.as_mut() {
                Some(resp) => {
                    resp.response_headers = json_pairs(json);
                    resp.lines.extend(r.lines);
                    self.close_response();
                }
                None => Self::skip_record(
                    &r,
                    "response headers whose status line is not in the file",
                    sink,
                ),
            }
        } else if let Some(rest) = text.strip_prefix("Retry ") {
            self.core_retry(rest);
        } else if let Some(rest) = text.strip_prefix("RetryPolicy: ") {
            self.storage_retry(rest);
        } else {
            let reason = format!(
                "@azure/logger message that is not an HTTP request or response (azure:{})",
                r.namespace
            );
            Self::skip_record(&r, &reason, sink);
        }
    }

    /// core-rest-pipeline retry policy messages.
    fn core_retry(&mut self, rest: &str) {
        let Some((n, msg)) = rest.split_once(": ") else {
            return;
        };
        let n: u32 = n.trim().parse().unwrap_or(0);
        if let Some(id) = msg.strip_prefix("Attempting to send request ") {
            self.retry_next.insert(id.trim().to_string(), n);
        } else if let Some(id) = msg.strip_prefix("Received an error from request ") {
            let id = id.trim();
            if let Some(i) = self
                .pending
                .iter()
                .rposition(|p| p.crid() == id || p.client_request_id == id)
            {
                let mut x = self.pending.remove(i);
                x.notes.push(
                    "the request failed before a response arrived (the SDK received an error)"
                        .into(),
                );
                self.hold.push(self.seq, x);
            }
        }
    }

    /// Storage retry policy messages (`RetryPolicy: …`).
    fn storage_retry(&mut self, rest: &str) {
        if let Some(t) = rest.strip_prefix("=====> Try=") {
            let n: u32 = t.split(' ').next().unwrap_or("").parse().unwrap_or(1);
            self.next_try = Some(n.saturating_sub(1));
        } else if let Some(e) = rest.strip_prefix("Caught error, message: ") {
            // A transport error: the latest unanswered request got no response.
            if let Some(mut x) = self.pending.pop() {
                x.error_text = e.trim().to_string();
                self.hold.push(self.seq, x);
            }
        }
    }

    /// An application's `RestError` dump: the service's message, request id and details.
    fn rest_error(&mut self, r: Record, sink: &mut dyn EventSink) {
        self.close_response();
        let text = &r.text;
        let first = text.lines().next().unwrap_or("");
        let mut body = ErrorBody {
            message: first
                .strip_prefix("RestError: ")
                .unwrap_or(first)
                .trim()
                .to_string(),
            ..Default::default()
        };
        for l in text.lines() {
            if let Some(id) = l.trim().strip_prefix("RequestId:") {
                body.request_id = id.trim().to_string();
            } else if let Some(t) = l.trim().strip_prefix("Time:") {
                body.time = t.trim().to_string();
            }
        }
        let pairs = json_pairs(text);
        body.code = pair(&pairs, "errorCode")
            .or_else(|| pair(&pairs, "code"))
            .unwrap_or("")
            .to_string();
        body.authentication_detail = pair(&pairs, "authenticationErrorDetail")
            .unwrap_or("")
            .to_string();
        let rid = body.request_id.clone();
        let by_rid = !rid.is_empty()
            && self
                .hold
                .latest_mut(|x| {
                    known_header(&x.response_headers, "x-ms-request-id") == Some(rid.as_str())
                })
                .is_some();
        let target = if by_rid {
            self.hold.latest_mut(|x| {
                known_header(&x.response_headers, "x-ms-request-id") == Some(rid.as_str())
            })
        } else {
            self.hold
                .latest_mut(|x| x.status >= 400 && x.error_body.is_none())
        };
        match target {
            Some(x) => {
                if x.error_body.is_none() {
                    x.error_body = Some(body);
                }
                x.lines.extend(r.lines);
            }
            None => Self::skip_record(
                &r,
                "error printed by the application with no matching response in the log",
                sink,
            ),
        }
    }
}

impl LineParser for Parser {
    fn line(&mut self, line: Line<'_>, sink: &mut dyn EventSink) {
        if let Some((ns, msg)) = logger_prefix(line.text) {
            self.flush(sink);
            self.record = Some(Record::new(RecKind::Logger, ns, msg, &line));
            return;
        }
        if line.text.trim().is_empty() {
            // A blank line ends an application's error dump; JSON payloads have none.
            if self
                .record
                .as_ref()
                .is_some_and(|r| r.kind == RecKind::RestError)
            {
                self.flush(sink);
            }
            return;
        }
        if let Some(r) = self.record.as_mut() {
            if r.takes(line.text) || (r.kind == RecKind::RestError && !r.saw_brace) {
                r.continue_with(line.text, line.number);
                if r.kind == RecKind::RestError && r.saw_brace && r.depth <= 0 {
                    self.flush(sink);
                }
                return;
            }
        }
        if line.text.starts_with("RestError: ") {
            self.flush(sink);
            self.record = Some(Record::new(RecKind::RestError, "", line.text, &line));
            return;
        }
        self.flush(sink);
        sink.skipped(
            line.number,
            "not an @azure/logger line (application output)",
        );
    }

    fn finish(&mut self, sink: &mut dyn EventSink) {
        self.flush(sink);
        self.close_response();
        for mut x in std::mem::take(&mut self.pending) {
            x.notes.push("no response was logged".into());
            self.hold.push(self.seq, x);
        }
        self.hold.release_all(sink);
    }
}

#[cfg(test)]
#[path = "js_azure_logger_tests.rs"]
mod tests;
