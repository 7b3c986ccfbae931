//! `java-azure-core`: the Azure SDK for Java's `HttpLoggingPolicy`, written by `ClientLogger` as
//! one JSON object per message after whatever prefix the app's logback / log4j pattern adds:
//!
//! ```text
//! 2024-03-05 11:00:01.002 [main] INFO  c.a.s.b.i.BlockBlobsImpl$BlockBlobsService.upload - {"az.sdk.message":"HTTP request","method":"PUT","url":"https://…","tryCount":"1",…}
//! 2024-03-05 11:00:01.090 [main] INFO  c.a.s.b.i.BlockBlobsImpl$BlockBlobsService.upload - {"az.sdk.message":"HTTP response","statusCode":403,"url":"https://…","durationMs":88,…}
//! ```
//!
//! With `HttpLogDetailLevel.HEADERS` the allow-listed headers are extra keys (the others
//! `"REDACTED"`, or listed under `redactedHeaders` in newer versions); with `BODY` the body is the
//! `body` key. `tryCount` counts attempts. A response is paired with its request by the echoed
//! `x-ms-client-request-id`, else by URL. Without `BODY`, the service's error body still reaches
//! the log when the app prints the `BlobStorageException` (`Status code 403, "<?xml …"`); it is
//! attached to the response it belongs to.

use super::sdk_common::{json_pairs, leading_timestamp, pair, Hold, LocalClock};
use super::{Format, LineParser};
use crate::input::Line;
use crate::knowledge::http::{known_header, parse_error_body, Exchange};
use crate::model::{EventSink, Location, Method, Timestamp};

pub struct JavaAzureCore;

/// Keys of the logged object that are not HTTP headers.
const NON_HEADER_KEYS: [&str; 9] = [
    "az.sdk.message",
    "method",
    "url",
    "uri",
    "tryCount",
    "contentLength",
    "statusCode",
    "durationMs",
    "body",
];

/// Splits a line into its logging prefix and the `{"az.sdk.message":…}` object.
fn sdk_object(line: &str) -> Option<(&str, &str)> {
    let key = line.find("\"az.sdk.message\"")?;
    let brace = line[..key].rfind('{')?;
    Some((&line[..brace], &line[brace..]))
}

impl Format for JavaAzureCore {
    fn id(&self) -> &'static str {
        "java-azure-core"
    }
    fn name(&self) -> &'static str {
        "Java Azure SDK log (azure-core)"
    }
    fn detect(&self, sample: &str) -> f32 {
        let mut http = 0u32;
        let mut any = 0u32;
        for l in sample.lines().take(400) {
            if let Some((_, obj)) = sdk_object(l) {
                any += 1;
                if obj.contains("\"HTTP request\"") || obj.contains("\"HTTP response\"") {
                    http += 1;
                }
            }
        }
        match (http, any) {
            (0, 0) => 0.0,
            (0, _) => 0.5,
            _ => 0.95,
        }
    }
    fn parser(&self) -> Box<dyn LineParser> {
        Box::new(Parser::default())
    }
}

#[derive(Default)]
struct Parser {
    pending: Vec<Part>,
    hold: Hold,
    seq: u64,
    clock: LocalClock,
    /// A `Status code NNN, "<?xml …` exception text being read (it spans lines).
    exception: Option<(u16, String, Vec<u64>)>,
    /// The previous line started a Java exception or stack trace.
    in_trace: bool,
}

/// A request with its zone-less log time kept until the zone offset is known.
struct Part {
    x: Exchange,
    local_time: Option<Timestamp>,
}

const MAX_PENDING: usize = 256;
const STACK: &str = "Java exception or stack trace (not HTTP logging)";

fn headers_of(pairs: &[(String, String)]) -> Vec<(String, String)> {
    let mut h: Vec<(String, String)> = pairs
        .iter()
        .filter(|(k, _)| !NON_HEADER_KEYS.contains(&k.as_str()) && k != "redactedHeaders")
        .cloned()
        .collect();
    // Newer azure-core lists the names of redacted headers instead of printing each.
    if let Some(names) = pair(pairs, "redactedHeaders") {
        for n in names.split(',') {
            let n = n.trim();
            if !n.is_empty() {
                h.push((n.to_string(), "REDACTED".to_string()));
            }
        }
    }
    h
}

impl Parser {
    fn time_of(&self, prefix: &str) -> (Option<Timestamp>, Option<Timestamp>) {
        match leading_timestamp(prefix.trim_start()) {
            Some((t, true, _)) => (Some(t), None),
            Some((t, false, _)) => (None, Some(t)),
            // A time of day without a date (logback's default pattern) cannot be placed.
            None => (None, None),
        }
    }

    fn request(
        &mut self,
        pairs: Vec<(String, String)>,
        prefix: &str,
        line: &Line<'_>,
        sink: &mut dyn EventSink,
    ) {
        self.seq += 1;
        self.hold.release(self.seq, sink);
        let (utc, local) = self.time_of(prefix);
        let url = pair(&pairs, "url")
            .or_else(|| pair(&pairs, "uri"))
            .unwrap_or("")
            .to_string();
        let tries: u32 = pair(&pairs, "tryCount")
            .and_then(|t| t.parse().ok())
            .unwrap_or(1);
        let headers = headers_of(&pairs);
        let x = Exchange {
            location: Location {
                line: line.number as u32,
                offset: line.offset,
            },
            time: utc,
            method: Method::parse(pair(&pairs, "method").unwrap_or("")),
            url,
            // Header names are logged only at the HEADERS level.
            headers_complete: !headers.is_empty(),
            request_headers: headers,
            retry_attempt: Some(tries.saturating_sub(1)).filter(|n| *n > 0),
            lines: vec![line.number],
            ..Default::default()
        };
        if self.pending.len() >= MAX_PENDING {
            let mut old = self.pending.remove(0);
            old.x.notes.push("no response was logged".into());
            self.finish_part(old);
        }
        self.pending.push(Part {
            x,
            local_time: local,
        });
    }

    fn response(
        &mut self,
        pairs: Vec<(String, String)>,
        prefix: &str,
        line: &Line<'_>,
        sink: &mut dyn EventSink,
    ) {
        self.seq += 1;
        self.hold.release(self.seq, sink);
        let (utc, local) = self.time_of(prefix);
        let headers = headers_of(&pairs);
        let url = pair(&pairs, "url")
            .or_else(|| pair(&pairs, "uri"))
            .unwrap_or("");
        let echo = known_header(&headers, "x-ms-client-request-id");
        let idx = echo
            .and_then(|e| self.pending.iter().rposition(|p| p.x.crid() == e))
            .or_else(|| {
                self.pending
                    .iter()
                    .rposition(|p| !url.is_empty() && p.x.url == url)
            })
            .or_else(|| self.pending.len().checked_sub(1));
        let mut part = match idx {
            Some(i) => self.pending.remove(i),
            None => Part {
                x: Exchange {
                    location: Location {
                        line: line.number as u32,
                        offset: line.offset,
                    },
                    url: url.to_string(),
                    ..Default::default()
                },
                local_time: None,
            },
        };
        let x = &mut part.x;
        x.status = pair(&pairs, "statusCode")
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        x.duration_ms = pair(&pairs, "durationMs").and_then(|d| d.parse().ok());
        x.error_body = pair(&pairs, "body").and_then(parse_error_body);
        x.response_headers = headers;
        x.response_time = utc;
        x.lines.push(line.number);
        if let (Some(l), Some(date)) = (
            local,
            known_header(&x.response_headers, "Date").and_then(Timestamp::parse),
        ) {
            if let Some(msg) = self.clock.learn(l, date) {
                sink.notice(&msg);
            }
        }
        if let Some(l) = local {
            part.x.response_time = Some(self.clock.utc_of(l));
        }
        self.finish_part(part);
    }

    fn finish_part(&mut self, mut p: Part) {
        if let Some(t) = p.local_time {
            p.x.time = Some(self.clock.utc_of(t));
        }
        self.hold.push(self.seq, p.x);
    }

    /// Attaches a finished `Status code NNN, "…"` text to the response with that status.
    fn end_exception(&mut self) {
        let Some((status, text, lines)) = self.exception.take() else {
            return;
        };
        let Some(body) = parse_error_body(&text) else {
            return;
        };
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
                .latest_mut(|x| x.status == status && x.error_body.is_none())
        };
        if let Some(x) = target {
            if x.error_body.is_none() {
                x.error_body = Some(body);
            }
            x.lines.extend(lines);
        }
    }
}

/// `Status code 403, "<?xml …` → (403, the text after the comma).
fn status_code_text(line: &str) -> Option<(u16, &str)> {
    let i = line.find("Status code ")?;
    let rest = &line[i + "Status code ".len()..];
    let (n, body) = rest.split_once(',')?;
    let n: u16 = n.trim().parse().ok().filter(|n| (100..600).contains(n))?;
    Some((n, body.trim_start()))
}

fn is_stack_line(t: &str) -> bool {
    let s = t.trim_start();
    (t.starts_with([' ', '\t'])
        && (s.starts_with("at ") || s.starts_with("...") || s.starts_with("Suppressed:")))
        || s.starts_with("Caused by:")
}

impl LineParser for Parser {
    fn line(&mut self, line: Line<'_>, sink: &mut dyn EventSink) {
        let text = line.text;
        if let Some((prefix, obj)) = sdk_object(text) {
            self.end_exception();
            self.in_trace = false;
            let pairs = json_pairs(obj);
            match pair(&pairs, "az.sdk.message").unwrap_or("") {
                "HTTP request" => self.request(pairs, prefix, &line, sink),
                "HTTP response" => self.response(pairs, prefix, &line, sink),
                other => {
                    let other: String = other.chars().take(60).collect();
                    sink.skipped(
                        line.number,
                        &format!("azure-core log message that is not an HTTP request or response (\"{other}\")"),
                    );
                }
            }
            return;
        }
        if text.trim().is_empty() {
            self.end_exception();
            return;
        }
        if let Some((status, rest)) = status_code_text(text) {
            self.end_exception();
            self.exception = Some((status, rest.to_string(), vec![line.number]));
            if rest.contains("</Error>") {
                self.end_exception();
            }
            self.in_trace = true;
            return;
        }
        if let Some((_, buf, lines)) = self.exception.as_mut() {
            if !is_stack_line(text) {
                if buf.len() < 64 * 1024 {
                    buf.push('\n');
                    buf.push_str(text);
                }
                lines.push(line.number);
                if text.contains("</Error>") {
                    self.end_exception();
                }
                return;
            }
            self.end_exception();
        }
        let t = text.trim_start();
        let exception_start = t.split_once(": ").is_some_and(|(name, _)| {
            !name.contains(' ')
                && name.contains('.')
                && (name.ends_with("Exception") || name.ends_with("Error"))
        });
        if is_stack_line(text)
            || exception_start
            || (self.in_trace && leading_timestamp(text).is_none())
        {
            self.in_trace = true;
            sink.skipped(line.number, STACK);
            return;
        }
        self.in_trace = false;
        sink.skipped(line.number, "not an azure-core log line");
    }

    fn finish(&mut self, sink: &mut dyn EventSink) {
        self.end_exception();
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
#[path = "java_azure_core_tests.rs"]
mod tests;
