//! `azcopy-log`: AzCopy v10 job logs (`~/.azcopy/<job id>.log`) and the same request dumps
//! copied out of a console or a CI pipeline. Every log call starts with Go's `YYYY/MM/DD HH:MM:SS `
//! (UTC); a request dump continues on lines indented by three spaces:
//!
//! ```text
//! 2023/07/13 17:43:22 ==> REQUEST/RESPONSE (Try=1/7.6423ms, OpTime=178.0441ms) -- RESPONSE STATUS CODE ERROR
//!    HEAD https://storage.blob.core.windows.net/container/path/file?se=…&sig=-REDACTED-&…
//!    X-Ms-Client-Request-Id: [0a06fb66-…]
//!    --------------------------------------------------------------------------------
//!    RESPONSE Status: 403 Server failed to authenticate the request. …
//!    X-Ms-Error-Code: [AuthenticationFailed]
//! Response Details: <Code>AuthenticationFailed</Code><Message>… </Message>…
//! ```
//!
//! Header values are bracketed by older versions (`[value]`) and bare in newer ones. Errors other
//! than 404/409/412/416 (and slow tries) are dumped in full; other responses get a one-line form
//! (`   PUT <url>` and `   X-Ms-Request-Id: [<id>]`) that does not show the status. A CI runner
//! may put its own ISO timestamp before every line. The job header (`AzcopyVersion`,
//! `OS-Environment`, `Log times are in UTC`…) and job messages (`INFO:`, `ERR:`…) are
//! understood but are not requests.

use super::sdk_common::leading_timestamp;
use super::{Format, LineParser};
use crate::input::Line;
use crate::knowledge::http::{parse_error_body, Exchange};
use crate::model::{EventSink, Location, Method, Timestamp};

pub struct AzcopyLog;

/// Lines of the job header that AzCopy writes before any transfer.
const HEADER_KEYS: [&str; 16] = [
    "AzcopyVersion",
    "OS-Environment",
    "OS-Architecture",
    "Log times are in UTC",
    "Job-Command",
    "Number of CPUs",
    "Max file buffer RAM",
    "Max concurrent",
    "Check CPU usage",
    "Max enumeration routines",
    "Parallelize getting file properties",
    "Max open files",
    "ISO 8601 START TIME",
    "Authenticating to",
    "Any empty folders",
    "Final job part",
];

/// Go's `log.LstdFlags` prefix `2023/07/13 17:43:22 ` → (time, rest).
fn go_prefix(line: &str) -> Option<(Timestamp, &str)> {
    let b = line.as_bytes();
    if b.len() < 20
        || b[4] != b'/'
        || b[7] != b'/'
        || b[10] != b' '
        || b[13] != b':'
        || b[16] != b':'
        || b[19] != b' '
    {
        return None;
    }
    let iso = format!(
        "{}-{}-{}T{}Z",
        line.get(0..4)?,
        line.get(5..7)?,
        line.get(8..10)?,
        line.get(11..19)?
    );
    Some((Timestamp::parse(&iso)?, &line[20..]))
}

/// A CI runner's per-line timestamp (`2022-03-31T03:13:57.7263289Z `) → (time, rest).
fn ci_prefix(line: &str) -> Option<(Timestamp, &str)> {
    let (t, zoned, rest) = leading_timestamp(line)?;
    if !zoned || line.as_bytes().get(10).is_none_or(|b| *b != b'T') {
        return None;
    }
    Some((t, rest.strip_prefix(' ').unwrap_or(rest)))
}

/// A Go duration (`7.6423ms`, `8.57s`, `1m2.5s`, `500µs`) in milliseconds.
fn go_duration_ms(s: &str) -> Option<f32> {
    let mut total = 0f64;
    let mut rest = s.trim();
    if rest.is_empty() {
        return None;
    }
    while !rest.is_empty() {
        let n_end = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let n: f64 = rest[..n_end].parse().ok()?;
        rest = &rest[n_end..];
        let (mult, len) = if rest.starts_with("ms") {
            (1.0, 2)
        } else if rest.starts_with("µs") {
            (0.001, "µs".len())
        } else if rest.starts_with("us") {
            (0.001, 2)
        } else if rest.starts_with("ns") {
            (0.000_001, 2)
        } else if rest.starts_with('s') {
            (1000.0, 1)
        } else if rest.starts_with('m') {
            (60_000.0, 1)
        } else if rest.starts_with('h') {
            (3_600_000.0, 1)
        } else {
            return None;
        };
        total += n * mult;
        rest = &rest[len..];
    }
    Some(total as f32)
}

/// `==> REQUEST/RESPONSE (Try=1/8.57s[SLOW >3s], OpTime=8.6s) -- RESPONSE STATUS CODE ERROR`
/// → (try, try duration in ms, classification).
fn block_start(msg: &str) -> Option<(u32, Option<f32>, &str)> {
    let rest = msg.strip_prefix("==> REQUEST/RESPONSE (Try=")?;
    let (tr, rest) = rest.split_once('/')?;
    let tries: u32 = tr.trim().parse().ok()?;
    let dur_end = rest.find(['[', ',', ')']).unwrap_or(rest.len());
    let dur = go_duration_ms(&rest[..dur_end]);
    let class = rest.split_once(") -- ").map_or("", |(_, c)| c.trim());
    Some((tries, dur, class))
}

/// `   Name: [value]` or `   Name: value` (3-space indent) → (Name, value).
fn header(line: &str) -> Option<(&str, &str)> {
    let t = line.strip_prefix("   ")?;
    if t.starts_with(' ') {
        return None;
    }
    let (k, v) = t
        .split_once(": ")
        .or_else(|| t.strip_suffix(':').map(|k| (k, "")))?;
    if k.is_empty()
        || !k
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return None;
    }
    let v = v.trim();
    let v = v
        .strip_prefix('[')
        .and_then(|x| x.strip_suffix(']'))
        .unwrap_or(v);
    Some((k, v))
}

/// `   PUT https://…` → (method, url).
fn request_line(line: &str) -> Option<(Method, &str)> {
    let t = line.strip_prefix("   ")?;
    let (m, url) = t.split_once(' ')?;
    let method = Method::parse(m);
    (method != Method::Unknown && url.contains("://")).then_some((method, url.trim()))
}

fn is_separator(line: &str) -> bool {
    let t = line.trim();
    t.len() >= 20 && t.bytes().all(|b| b == b'-')
}

/// Console output of an AzCopy run (progress and summary lines).
fn is_console_line(t: &str) -> bool {
    const STARTS: [&str; 19] = [
        "INFO: ",
        "WARN: ",
        "ERR: ",
        "ERROR: ",
        "Job ",
        "Log file is located at",
        "Elapsed Time",
        "Number of ",
        "Total Number of",
        "TotalBytesTransferred",
        "Final Job Status",
        "Percent Complete",
        "Scanning...",
        "Failed to ",
        "Diagnostic stats:",
        "IOPS:",
        "End-to-end ms per request:",
        "Network Errors:",
        "Server Busy:",
    ];
    STARTS.iter().any(|s| t.starts_with(s))
        || (t.contains(" %, ") && t.contains(" Done, ") && t.contains(" Failed, "))
}

impl Format for AzcopyLog {
    fn id(&self) -> &'static str {
        "azcopy-log"
    }
    fn name(&self) -> &'static str {
        "AzCopy v10 log"
    }
    fn detect(&self, sample: &str) -> f32 {
        let mut strong = false;
        let mut status_lines = 0u32;
        let mut header_lines = 0u32;
        let mut storage_error_dump = false;
        for l in sample.lines().take(2000) {
            let l = ci_prefix(l).map_or(l, |(_, r)| r);
            if l.contains("===== RESPONSE ERROR (ServiceCode=") {
                storage_error_dump = true;
            }
            let msg = go_prefix(l).map(|(_, m)| m);
            if let Some(m) = msg {
                if m.starts_with("==> REQUEST/RESPONSE (Try=")
                    || m.starts_with("==> OUTGOING REQUEST (Try=")
                    || m.starts_with("AzcopyVersion ")
                    || m.starts_with("Log times are in UTC")
                {
                    strong = true;
                }
                if HEADER_KEYS.iter().any(|k| m.starts_with(k)) {
                    header_lines += 1;
                }
            }
            if l.starts_with("   RESPONSE Status: ") {
                status_lines += 1;
            }
        }
        if strong || header_lines >= 3 {
            0.95
        } else if storage_error_dump {
            // A pasted SDK error (`===== RESPONSE ERROR …`), the error-text format's domain.
            0.1
        } else if status_lines > 0 {
            0.8
        } else {
            0.0
        }
    }
    fn parser(&self) -> Box<dyn LineParser> {
        Box::new(Parser::default())
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Stage {
    Request,
    Response,
    /// After `   ERROR:`: the transport error text (and possibly a goroutine dump).
    Error,
    /// After `Response Details:`.
    Details,
}

struct Block {
    x: Exchange,
    stage: Stage,
    /// `==> OUTGOING REQUEST` (debug level): the same request is dumped again with its
    /// response, so this one is read but not counted.
    outgoing: bool,
    classification: String,
    details: String,
    saw_status: bool,
}

#[derive(Default)]
struct Parser {
    block: Option<Block>,
    header_lines: u32,
    version: String,
    emitted: u64,
}

impl Parser {
    fn end_block(&mut self, sink: &mut dyn EventSink) {
        let Some(mut b) = self.block.take() else {
            return;
        };
        if b.outgoing {
            return;
        }
        if !b.details.trim().is_empty() {
            b.x.error_body = parse_error_body(&b.details);
        }
        if !b.saw_status && b.classification == "RESPONSE SUCCESSFULLY RECEIVED" {
            b.x.notes.push(
                "AzCopy logged this response in its one-line form: the status is not shown (a success, or 404/409/412/416)"
                    .into(),
            );
        }
        if b.classification == "REQUEST ERROR" {
            b.x.notes
                .push("no response: the request failed in transport".into());
        }
        self.emitted += 1;
        super::sdk_common::emit(&b.x, sink);
    }

    fn start_block(
        &mut self,
        msg: &str,
        time: Option<Timestamp>,
        line: &Line<'_>,
        sink: &mut dyn EventSink,
    ) -> bool {
        let loc = Location {
            line: line.number as u32,
            offset: line.offset,
        };
        if let Some((tries, dur, class)) = block_start(msg) {
            self.end_block(sink);
            // The line is written when the try ends: a slow try started noticeably earlier.
            let start = match (time, dur) {
                (Some(t), Some(ms)) if ms >= 1000.0 => Some(t.add_seconds(-(ms as f64) / 1000.0)),
                _ => time,
            };
            self.block = Some(Block {
                x: Exchange {
                    location: loc,
                    time: start,
                    response_time: time,
                    duration_ms: dur,
                    retry_attempt: Some(tries.saturating_sub(1)).filter(|n| *n > 0),
                    headers_complete: true,
                    lines: vec![line.number],
                    ..Default::default()
                },
                stage: Stage::Request,
                outgoing: false,
                classification: class.to_string(),
                details: String::new(),
                saw_status: false,
            });
            return true;
        }
        if msg.starts_with("==> OUTGOING REQUEST (Try=") {
            self.end_block(sink);
            self.block = Some(Block {
                x: Exchange::default(),
                stage: Stage::Request,
                outgoing: true,
                classification: String::new(),
                details: String::new(),
                saw_status: false,
            });
            return true;
        }
        false
    }

    /// A line inside a request dump. Returns false when it does not belong to one.
    fn block_line(&mut self, text: &str, number: u64) -> bool {
        let Some(b) = self.block.as_mut() else {
            return false;
        };
        if b.stage == Stage::Error {
            // Everything up to the next log line: the error text, then possibly a stack dump.
            if b.x.error_text.is_empty() && !text.trim().is_empty() {
                b.x.error_text = text.trim().to_string();
            }
            b.x.lines.push(number);
            return true;
        }
        if let Some(d) = text.strip_prefix("Response Details:") {
            b.stage = Stage::Details;
            b.details = d.trim().to_string();
            b.x.lines.push(number);
            return true;
        }
        if b.stage == Stage::Details {
            if b.details.len() < 64 * 1024 {
                b.details.push(' ');
                b.details.push_str(text.trim());
            }
            b.x.lines.push(number);
            return true;
        }
        if is_separator(text) {
            b.stage = Stage::Response;
            b.x.lines.push(number);
            return true;
        }
        if text.trim() == "ERROR:" {
            b.stage = Stage::Error;
            b.x.lines.push(number);
            return true;
        }
        if let Some(s) = text.strip_prefix("   RESPONSE Status: ") {
            let (code, reason) = s.split_once(' ').unwrap_or((s, ""));
            b.x.status = code.trim().parse().unwrap_or(0);
            b.x.reason = reason.trim().to_string();
            b.saw_status = true;
            b.stage = Stage::Response;
            b.x.lines.push(number);
            return true;
        }
        if b.x.url.is_empty() && b.stage == Stage::Request {
            if let Some((m, url)) = request_line(text) {
                b.x.method = m;
                b.x.url = url.to_string();
                b.x.lines.push(number);
                return true;
            }
        }
        if text.trim() == "(no headers)" {
            b.x.lines.push(number);
            return true;
        }
        if let Some((k, v)) = header(text) {
            let pair = (k.to_string(), v.to_string());
            // X-Ms-Request-Id is the service's: in the one-line form it follows the request line.
            if b.stage == Stage::Response || k.eq_ignore_ascii_case("X-Ms-Request-Id") {
                b.x.response_headers.push(pair);
            } else {
                b.x.request_headers.push(pair);
            }
            b.x.lines.push(number);
            return true;
        }
        false
    }
}

impl LineParser for Parser {
    fn line(&mut self, line: Line<'_>, sink: &mut dyn EventSink) {
        let (ci_time, text) = match ci_prefix(line.text) {
            Some((t, r)) => (Some(t), r),
            None => (None, line.text),
        };
        if let Some((time, msg)) = go_prefix(text) {
            if self.start_block(msg, Some(time), &line, sink) {
                return;
            }
            self.end_block(sink);
            if HEADER_KEYS.iter().any(|k| msg.starts_with(k)) {
                self.header_lines += 1;
                if let Some(v) = msg.strip_prefix("AzcopyVersion") {
                    self.version = v.trim().to_string();
                }
            }
            // Any other job message (INFO:, ERR:, scanning and summary lines) is AzCopy's own
            // text about the job, not a request.
            return;
        }
        if text.trim().is_empty() {
            // A blank line ends a dump, except inside an error text (stack dumps have blanks).
            if self.block.as_ref().is_some_and(|b| b.stage != Stage::Error) {
                self.end_block(sink);
            }
            return;
        }
        if self.block_line(text, line.number) {
            return;
        }
        // A dump whose `==>` line is not in the file (a console or CI copy): start one here.
        let starts_dump = text.starts_with("   RESPONSE Status: ")
            || request_line(text).is_some()
            || (header(text).is_some() && text.contains(": ["));
        if starts_dump {
            self.end_block(sink);
            self.block = Some(Block {
                x: Exchange {
                    location: Location {
                        line: line.number as u32,
                        offset: line.offset,
                    },
                    time: ci_time,
                    headers_complete: request_line(text).is_some(),
                    ..Default::default()
                },
                stage: Stage::Request,
                outgoing: false,
                classification: String::new(),
                details: String::new(),
                saw_status: false,
            });
            self.block_line(text, line.number);
            return;
        }
        self.end_block(sink);
        if is_console_line(text.trim_start()) {
            return;
        }
        sink.skipped(line.number, "not an AzCopy log line");
    }

    fn finish(&mut self, sink: &mut dyn EventSink) {
        self.end_block(sink);
        if self.emitted == 0 && self.header_lines > 0 {
            let v = if self.version.is_empty() {
                String::new()
            } else {
                format!(" (AzCopy {})", self.version)
            };
            sink.notice(&format!(
                "AzCopy job log{v} with only its header: no request was logged, so there is nothing to diagnose in it. The job stopped before its first request (the console output of the run names the error), or ran at a log level that hides requests; --log-level=DEBUG logs every request."
            ));
        }
    }
}

#[cfg(test)]
#[path = "azcopy_log_tests.rs"]
mod tests;
