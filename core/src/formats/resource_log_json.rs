//! `resource-log-json`: Azure Monitor resource logs for Storage (categories StorageRead,
//! StorageWrite, StorageDelete) as JSON, FORMATS.md § b.
//!
//! Accepted layouts: the storage-account archive (`insights-logs-storage*/…/PT1H.json`, one
//! record per line), the Event Hubs body `{"records": [ … ]}`, records pretty-printed over many
//! lines, several of them concatenated, or a JSON array of records. A file that is not valid
//! JSON as a whole (cut short, documentation fragments) still gives every whole record; the rest
//! is skipped line by line with the reason, and a cut-off end is reported as a notice.
//!
//! Mapping: `statusText` is an error code (`ContainerNotFound`, `ConditionNotMet`…) or a class
//! (`Success`, `SASSuccess`…); `properties.metricResponseType` is the class when present.
//! `identity.type` (`SAS`, `AccountKey`, `OAuth`, `Anonymous`, `TrustedAccessSAS`…) gives the
//! authorization; `correlationId` is the service's request id.
//!
//! Records are deserialized into small borrowed structs naming only the fields used (serde
//! skips the rest), so text is copied only where JSON escapes must be decoded.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, Deserializer, Visitor};
use serde::Deserialize;

use super::json_stream::{Item, JsonObjects};
use super::{Format, LineParser, RangeEnd};
use crate::input::Line;
use crate::knowledge::url::preflight_origin;
use crate::model::{
    reuse_extras, AuthKind, EventSink, Field, Location, RawEvent, ResponseType, Service,
    SourceKind, Timestamp,
};

mod fast;

/// Whether the fast reader's answer for `line`, when it gives one, is what serde reads (for the
/// fuzz target that compares them; `true` when the fast reader declines).
#[doc(hidden)]
pub fn fast_reader_agrees_with_serde(line: &str) -> bool {
    match fast::record(line) {
        Some(r) => serde_json::from_str::<Record<'_>>(line).ok().as_ref() == Some(&r),
        None => true,
    }
}

pub struct ResourceLogJson;

impl Format for ResourceLogJson {
    fn id(&self) -> &'static str {
        "resource-log-json"
    }
    fn name(&self) -> &'static str {
        "Azure Monitor resource log for Storage (JSON)"
    }
    fn detect(&self, sample: &str) -> f32 {
        if !sample.contains('{') {
            return 0.0;
        }
        let has_op = sample.contains("\"operationName\"");
        let storage = sample.contains("Microsoft.Storage/storageAccounts")
            || sample.contains("\"StorageRead\"")
            || sample.contains("\"StorageWrite\"")
            || sample.contains("\"StorageDelete\"");
        let keys = [
            "\"correlationId\"",
            "\"statusCode\"",
            "\"statusText\"",
            "\"callerIpAddress\"",
            "\"identity\"",
            "\"properties\"",
        ]
        .iter()
        .filter(|k| sample.contains(*k))
        .count() as f32;
        match (has_op, storage) {
            (true, true) => (0.88 + 0.02 * keys).min(1.0),
            (true, false) => 0.45 + 0.05 * keys,
            (false, true) if sample.contains("\"resourceId\"") => 0.35,
            _ => 0.0,
        }
    }
    fn parser(&self) -> Box<dyn LineParser> {
        Box::new(Parser::default())
    }
    /// Only the JSON Lines layout really splits; [`LineParser::range_end`] says whether a range
    /// was in it.
    fn splits_at_lines(&self) -> bool {
        true
    }
}

/// A number that may be written as a JSON number, a numeric string, or a word (`"Unknown"`).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
struct Num(Option<f64>);

impl<'de> Deserialize<'de> for Num {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Num, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Num;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a number or a string")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Num, E> {
                Ok(Num(Some(v as f64)))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Num, E> {
                Ok(Num(Some(v as f64)))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Num, E> {
                Ok(Num(Some(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Num, E> {
                Ok(Num(v.trim().parse::<f64>().ok().filter(|x| x.is_finite())))
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Num, E> {
                Ok(Num(None))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Num, E> {
                Ok(Num(None))
            }
        }
        d.deserialize_any(V)
    }
}

#[derive(Deserialize, Default, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
struct Record<'a> {
    #[serde(borrow)]
    time: Option<Cow<'a, str>>,
    #[serde(borrow)]
    resource_id: Option<Cow<'a, str>>,
    #[serde(borrow)]
    operation_name: Option<Cow<'a, str>>,
    #[serde(borrow)]
    operation_version: Option<Cow<'a, str>>,
    status_code: Option<Num>,
    #[serde(borrow)]
    status_text: Option<Cow<'a, str>>,
    duration_ms: Option<Num>,
    #[serde(borrow)]
    caller_ip_address: Option<Cow<'a, str>>,
    #[serde(borrow)]
    correlation_id: Option<Cow<'a, str>>,
    #[serde(borrow)]
    identity: Option<Identity<'a>>,
    #[serde(borrow)]
    properties: Option<Properties<'a>>,
    #[serde(borrow)]
    uri: Option<Cow<'a, str>>,
    /// Present only on an Event Hubs envelope written on one line.
    #[serde(borrow)]
    records: Option<Vec<Record<'a>>>,
}

#[derive(Deserialize, Default, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
struct Identity<'a> {
    #[serde(rename = "type", borrow)]
    kind: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    authorization: Vec<Authorization<'a>>,
}

#[derive(Deserialize, Default, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
struct Authorization<'a> {
    #[serde(borrow)]
    action: Option<Cow<'a, str>>,
    #[serde(borrow)]
    result: Option<Cow<'a, str>>,
    #[serde(borrow)]
    reason: Option<Cow<'a, str>>,
}

#[derive(Deserialize, Default, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
struct Properties<'a> {
    #[serde(borrow)]
    account_name: Option<Cow<'a, str>>,
    #[serde(borrow)]
    request_url: Option<Cow<'a, str>>,
    #[serde(borrow)]
    user_agent_header: Option<Cow<'a, str>>,
    #[serde(borrow)]
    referrer_header: Option<Cow<'a, str>>,
    #[serde(borrow)]
    service_type: Option<Cow<'a, str>>,
    #[serde(borrow)]
    object_key: Option<Cow<'a, str>>,
    #[serde(borrow)]
    client_request_id: Option<Cow<'a, str>>,
    server_latency_ms: Option<Num>,
    #[serde(borrow)]
    conditions_used: Option<Cow<'a, str>>,
    #[serde(borrow)]
    metric_response_type: Option<Cow<'a, str>>,
}

fn text<'s>(v: &'s Option<Cow<'_, str>>) -> &'s str {
    v.as_deref().unwrap_or("")
}

/// `…/storageAccounts/<account>/blobServices/default` → (`<account>`, `blobServices`).
fn from_resource_id(id: &str) -> (&str, &str) {
    let mut parts = id.split('/');
    let mut account = "";
    let mut service = "";
    while let Some(p) = parts.next() {
        if p.eq_ignore_ascii_case("storageAccounts") {
            account = parts.next().unwrap_or("");
            service = parts.next().unwrap_or("");
            break;
        }
    }
    (account, service)
}

/// Resource-log times: ISO 8601 in real records, `2018/11/08 21:09:36.6900118` in the
/// documentation's example.
pub(crate) fn parse_record_time(s: &str) -> Option<Timestamp> {
    let s = s.trim();
    let b = s.as_bytes();
    if b.len() >= 10 && b[4] == b'/' && b[7] == b'/' && s.is_char_boundary(10) {
        let mut fixed = String::with_capacity(s.len());
        fixed.push_str(&s[..4]);
        fixed.push('-');
        fixed.push_str(&s[5..7]);
        fixed.push('-');
        fixed.push_str(&s[8..]);
        return Timestamp::parse(&fixed);
    }
    Timestamp::parse(s)
}

/// Auth from a status class prefix (`SASSuccess`, `AnonymousSuccess`, `OAuthSuccess`).
fn auth_from_status(s: &str) -> AuthKind {
    if s.starts_with("SAS") || s.starts_with("TrustedAccessSas") {
        AuthKind::Sas
    } else if s.starts_with("Anonymous") {
        AuthKind::Anonymous
    } else if s.starts_with("OAuth") {
        AuthKind::OAuth
    } else {
        AuthKind::Unknown
    }
}

#[derive(Default)]
struct Parser {
    scanner: JsonObjects,
    out: Out,
    /// Some line went to the multi-line scanner (not one whole record per line).
    multiline: bool,
}

const NOT_A_RECORD: &str = "a JSON object without \"time\" or \"operationName\": not a Storage resource log record (a fragment or another kind of document)";

/// What records are emitted with: their count, and the extras list of the last event, emptied
/// for the next one's (no allocation per record).
#[derive(Default)]
struct Out {
    records: u64,
    extras: Vec<(Field, Cow<'static, str>)>,
}

/// Emits one record (counting it in `out`), or skips its lines with the reason.
fn record(
    r: Record<'_>,
    first_line: u64,
    last_line: u64,
    offset: u64,
    out: &mut Out,
    sink: &mut dyn EventSink,
) {
    if let Some(inner) = r.records {
        // An Event Hubs envelope written on one line.
        for rec in inner {
            record(rec, first_line, last_line, offset, out, sink);
        }
        return;
    }
    if r.time.is_none() && r.operation_name.is_none() {
        skip_lines(sink, first_line, last_line, NOT_A_RECORD);
        return;
    }
    out.records += 1;
    let props = r.properties.unwrap_or_default();
    let identity = r.identity.unwrap_or_default();
    let status_text = text(&r.status_text).trim();
    let class = ResponseType::parse(status_text);
    let error_code = if class == ResponseType::ErrorCode {
        status_text
    } else {
        ""
    };
    let response_type = match props.metric_response_type.as_deref().map(str::trim) {
        Some(m) if !m.is_empty() => ResponseType::parse(m),
        _ => class,
    };
    let mut auth = AuthKind::from_word(text(&identity.kind));
    if auth == AuthKind::Unknown {
        auth = auth_from_status(status_text);
    }
    // The resource id names both again; it is split only when a record lacks one of them
    // (real records have both, and splitting the long id was a noticeable share of a record).
    let from_id = || from_resource_id(text(&r.resource_id));
    let account = match props.account_name {
        Some(a) if !a.is_empty() => a,
        _ => Cow::Borrowed(from_id().0),
    };
    let service = match props.service_type.as_deref() {
        Some(s) if !s.is_empty() => Service::from_word(s),
        _ => Service::from_word(from_id().1),
    };
    let url = match r.uri {
        Some(u) if !u.is_empty() => u,
        _ => props.request_url.unwrap_or_default(),
    };
    let status = r
        .status_code
        .and_then(|n| n.0)
        .filter(|s| (0.0..=999.0).contains(s))
        .map_or(0, |s| s as u16);
    let mut ev = RawEvent {
        time: r.time.as_deref().and_then(parse_record_time),
        source: SourceKind::Server,
        service,
        operation: r.operation_name.unwrap_or_default(),
        url,
        resource: props.object_key.unwrap_or_default(),
        account,
        status,
        error_code: Cow::Borrowed(error_code),
        response_type,
        client_request_id: props.client_request_id.unwrap_or_default(),
        request_id: r.correlation_id.unwrap_or_default(),
        e2e_ms: r.duration_ms.and_then(|n| n.0).map(|v| v as f32),
        server_ms: props.server_latency_ms.and_then(|n| n.0).map(|v| v as f32),
        auth,
        extras: reuse_extras(std::mem::take(&mut out.extras)),
        location: Location {
            line: first_line as u32,
            offset,
        },
        ..Default::default()
    };
    ev.push(Field::CallerIp, r.caller_ip_address.unwrap_or_default());
    ev.push(
        Field::UserAgent,
        props.user_agent_header.unwrap_or_default(),
    );
    ev.push(Field::Conditions, props.conditions_used.unwrap_or_default());
    ev.push(Field::XmsVersion, r.operation_version.unwrap_or_default());
    if let Some(o) = preflight_origin(&ev.operation, text(&props.referrer_header)) {
        ev.push(Field::Origin, o);
    }
    // Role assignments that refused the request say why an OAuth caller got a 403.
    let denied: Vec<String> = identity
        .authorization
        .iter()
        .filter(|a| {
            a.result
                .as_deref()
                .is_some_and(|r| !r.eq_ignore_ascii_case("Granted"))
        })
        .map(|a| {
            let mut s = format!(
                "authorization {} for {}",
                text(&a.result).to_ascii_lowercase(),
                text(&a.action)
            );
            if let Some(reason) = a.reason.as_deref().filter(|r| !r.is_empty()) {
                s.push_str(&format!(" ({reason})"));
            }
            s
        })
        .collect();
    if !denied.is_empty() {
        ev.push(Field::Note, denied.join("; "));
    }
    sink.event_reusing(&mut ev);
    out.extras = reuse_extras(std::mem::take(&mut ev.extras));
}

fn item(item: Item<'_>, out: &mut Out, sink: &mut dyn EventSink) {
    match item {
        Item::Object {
            first_line,
            last_line,
            offset,
            text,
        } => match serde_json::from_str::<Record<'_>>(text) {
            Ok(r) => record(r, first_line, last_line, offset, out, sink),
            Err(e) => skip_lines(
                sink,
                first_line,
                last_line,
                &format!(
                    "part of a record that is not valid JSON ({})",
                    json_error(&e, first_line)
                ),
            ),
        },
        Item::Stray { line } => sink.skipped(
            line,
            "text outside any JSON record (a resource log holds only JSON objects)",
        ),
        Item::Broken {
            first_line,
            last_line,
            why,
        } => skip_lines(
            sink,
            first_line,
            last_line,
            &format!("part of a record that cannot be read: {}", why.describe()),
        ),
    }
}

/// serde's message with the line made absolute.
pub(crate) fn json_error(e: &serde_json::Error, first_line: u64) -> String {
    let msg = e.to_string();
    // serde appends " at line L column C" relative to the record; say where it is in the file.
    let base = msg.split(" at line ").next().unwrap_or(&msg);
    if e.line() > 0 {
        format!("{base}, at line {}", first_line + e.line() as u64 - 1)
    } else {
        base.to_string()
    }
}

pub(crate) fn skip_lines(sink: &mut dyn EventSink, first: u64, last: u64, reason: &str) {
    for n in first..=last.max(first) {
        sink.skipped(n, reason);
    }
}

impl LineParser for Parser {
    fn line(&mut self, line: Line<'_>, sink: &mut dyn EventSink) {
        if self.scanner.is_idle() {
            let t = line.text.trim();
            if t.is_empty() {
                return;
            }
            // JSON Lines, the archive layout: parse the line in place.
            if t.starts_with('{') && t.ends_with('}') {
                // The usual record without serde; serde for anything the fast reader declines.
                if let Some(r) = fast::record(t).or_else(|| serde_json::from_str(t).ok()) {
                    record(
                        r,
                        line.number,
                        line.number,
                        line.offset,
                        &mut self.out,
                        sink,
                    );
                    return;
                }
            }
        }
        self.multiline = true;
        let out = &mut self.out;
        self.scanner.line(&line, &mut |it| item(it, out, sink));
    }

    fn finish(&mut self, sink: &mut dyn EventSink) {
        let out = &mut self.out;
        let mut cut = false;
        let open = self.scanner.finish(&mut |it| {
            if matches!(it, Item::Broken { .. }) {
                cut = true;
            }
            item(it, out, sink)
        });
        if cut || open {
            sink.notice(&format!(
                "The JSON ends before its last record or its enclosing list is closed: the file looks cut short. {} whole record(s) were read.",
                self.out.records
            ));
        }
    }

    fn range_end(&mut self) -> Option<RangeEnd> {
        // Every line a whole record read on its own: nothing ties this range to another.
        (!self.multiline && self.scanner.is_idle()).then(RangeEnd::default)
    }
}

#[cfg(test)]
#[path = "resource_log_json_tests.rs"]
mod tests;
