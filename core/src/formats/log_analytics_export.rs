//! `log-analytics-export`: query results over the Storage tables of a Log Analytics workspace
//! (`StorageBlobLogs`, `StorageFileLogs`, `StorageQueueLogs`, `StorageTableLogs`) exported from
//! the portal, FORMATS.md § b "Log Analytics table columns" and "CSV exported".
//!
//! * CSV: a header row of the table's PascalCase column names (datetime columns carry a
//!   ` [UTC]` suffix), any order, any subset; RFC 4180 quoting, so a quoted cell may hold
//!   newlines and a record may span lines (an event's line is the record's first line). Dates
//!   are rendered in the browser's locale (`3/5/2024, 2:00:13.123 AM`) or ISO 8601.
//! * JSON: an array of objects keyed by the same column names.
//!
//! A query over another table exports the same way; such a file (no `OperationName`, no
//! `StatusCode`/`StatusText`) gets a low detection score, and when this format is forced on it
//! every row is skipped with the reason, so it is never mistaken for storage traffic.
//!
//! Option keys ([`Format::parser_with_options`]): `dates=mdy` or `dates=dmy` fixes how
//! `1/2/2024` is read; without it, month first until a value proves the day comes first.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;

use super::csv_util::{
    guess_delimiter, is_ambiguous_slash_date, parse_loose_time, parse_number, split_record,
    CsvItem, CsvRecords, DateOrder,
};
use super::json_stream::{Item, JsonObjects};
use super::resource_log_json::{json_error, skip_lines};
use super::{Format, LineParser};
use crate::input::Line;
use crate::knowledge::url::preflight_origin;
use crate::model::{
    AuthKind, EventSink, Field, Location, RawEvent, ResponseType, Service, SourceKind,
};

pub struct LogAnalyticsExport;

/// The columns this parser reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Col {
    Time,
    Account,
    Operation,
    StatusCode,
    StatusText,
    Uri,
    CallerIp,
    RequestId,
    ClientRequestId,
    Duration,
    ServerLatency,
    AuthType,
    UserAgent,
    /// `ReferrerHeader`: for a preflight, the page that sent it.
    Referrer,
    ObjectKey,
    MetricResponseType,
    ServiceType,
    Version,
    Conditions,
    /// `Type`: the table name (`StorageBlobLogs`).
    Table,
    /// `_ResourceId`.
    ResourceId,
    Other,
}

/// `"TimeGenerated [UTC]"` → `timegenerated`.
fn normalize(name: &str) -> String {
    let n = name.trim().trim_matches('"').trim_start_matches('\u{feff}');
    let n = n.split('[').next().unwrap_or(n);
    n.chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_ascii_lowercase()
}

fn column(name: &str) -> Col {
    match normalize(name).as_str() {
        "timegenerated" | "time" | "timestamp" => Col::Time,
        "accountname" => Col::Account,
        "operationname" => Col::Operation,
        "statuscode" => Col::StatusCode,
        "statustext" => Col::StatusText,
        "uri" | "requesturl" => Col::Uri,
        "calleripaddress" => Col::CallerIp,
        "correlationid" => Col::RequestId,
        "clientrequestid" => Col::ClientRequestId,
        "durationms" => Col::Duration,
        "serverlatencyms" => Col::ServerLatency,
        "authenticationtype" => Col::AuthType,
        "useragentheader" => Col::UserAgent,
        "referrerheader" => Col::Referrer,
        "objectkey" => Col::ObjectKey,
        "metricresponsetype" => Col::MetricResponseType,
        "servicetype" => Col::ServiceType,
        "operationversion" => Col::Version,
        "conditionsused" => Col::Conditions,
        "type" => Col::Table,
        "_resourceid" => Col::ResourceId,
        _ => Col::Other,
    }
}

/// Columns that only a storage log table has (beyond the time).
const STORAGE_COLS: [Col; 14] = [
    Col::Operation,
    Col::StatusCode,
    Col::StatusText,
    Col::Uri,
    Col::CallerIp,
    Col::RequestId,
    Col::ClientRequestId,
    Col::Duration,
    Col::ServerLatency,
    Col::AuthType,
    Col::UserAgent,
    Col::ObjectKey,
    Col::MetricResponseType,
    Col::ServiceType,
];

fn is_storage_table(cols: &[Col]) -> bool {
    cols.contains(&Col::Operation)
        && (cols.contains(&Col::StatusCode) || cols.contains(&Col::StatusText))
}

impl Format for LogAnalyticsExport {
    fn id(&self) -> &'static str {
        "log-analytics-export"
    }
    fn name(&self) -> &'static str {
        "Log Analytics export of Storage logs (CSV or JSON)"
    }
    fn detect(&self, sample: &str) -> f32 {
        let Some(first) = sample.lines().find(|l| !l.trim().is_empty()) else {
            return 0.0;
        };
        let t = first.trim_start_matches('\u{feff}').trim_start();
        if t.starts_with('[') || t.starts_with('{') {
            let op = sample.contains("\"OperationName\"");
            let status = sample.contains("\"StatusCode\"") || sample.contains("\"StatusText\"");
            return match (op && status, sample.contains("\"TimeGenerated")) {
                (true, _) => 0.9,
                (false, true) => 0.1,
                _ => 0.0,
            };
        }
        let delim = guess_delimiter(first);
        let cols: Vec<Col> = split_record(first, delim)
            .iter()
            .map(|c| column(c))
            .collect();
        let storage = STORAGE_COLS.iter().filter(|c| cols.contains(c)).count() as f32;
        if is_storage_table(&cols) {
            (0.6 + 0.04 * storage).min(0.98)
        } else if cols.contains(&Col::Time) {
            // A Log Analytics export of another table: recognisably an export, not storage data.
            0.1
        } else {
            0.0
        }
    }
    fn parser(&self) -> Box<dyn LineParser> {
        Box::new(Parser::new(DateOrder::Auto))
    }
    fn parser_with_options(
        &self,
        options: &std::collections::BTreeMap<String, String>,
    ) -> Box<dyn LineParser> {
        Box::new(Parser::new(DateOrder::from_option(options.get("dates"))))
    }
}

/// A JSON value read as text (numbers and booleans as written, nested values as empty).
struct Text<'a>(Cow<'a, str>);

impl<'de> Deserialize<'de> for Text<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Text<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Text(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Text(Cow::Owned(v.to_string())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(Text(Cow::Owned(v)))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
                Ok(Text(Cow::Owned(v.to_string())))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
                Ok(Text(Cow::Owned(v.to_string())))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
                Ok(Text(Cow::Owned(v.to_string())))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
                Ok(Text(Cow::Borrowed(if v { "true" } else { "false" })))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(Text(Cow::Borrowed("")))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut a: A) -> Result<Self::Value, A::Error> {
                while a.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Text(Cow::Borrowed("")))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> Result<Self::Value, A::Error> {
                while a.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(Text(Cow::Borrowed("")))
            }
        }
        d.deserialize_any(V)
    }
}

/// One exported row as JSON: its columns in order.
struct JsonRow<'a>(Vec<(Cow<'a, str>, Cow<'a, str>)>);

impl<'de> Deserialize<'de> for JsonRow<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = JsonRow<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object of column values")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> Result<Self::Value, A::Error> {
                let mut v = Vec::new();
                while let Some((k, val)) = a.next_entry::<Text<'de>, Text<'de>>()? {
                    v.push((k.0, val.0));
                }
                Ok(JsonRow(v))
            }
        }
        d.deserialize_map(V)
    }
}

enum Mode {
    /// Nothing but blank lines so far.
    Start,
    Csv {
        delim: u8,
        /// `None` until the header row is read.
        cols: Option<Vec<Col>>,
        names: Vec<String>,
    },
    Json,
}

struct Parser {
    mode: Mode,
    csv: CsvRecords,
    json: JsonObjects,
    state: RowState,
}

impl Parser {
    fn new(order: DateOrder) -> Parser {
        Parser {
            mode: Mode::Start,
            csv: CsvRecords::default(),
            json: JsonObjects::default(),
            state: RowState {
                order,
                ..Default::default()
            },
        }
    }
}

fn status_class(status_text: &str) -> (ResponseType, &str) {
    let class = ResponseType::parse(status_text);
    if class == ResponseType::ErrorCode {
        (class, status_text)
    } else {
        (class, "")
    }
}

fn account_from_resource_id(id: &str) -> &str {
    let mut parts = id.split('/');
    while let Some(p) = parts.next() {
        if p.eq_ignore_ascii_case("storageAccounts") {
            return parts.next().unwrap_or("");
        }
    }
    ""
}

/// Where a row came from, for events and skip reasons.
#[derive(Clone, Copy)]
struct RowAt {
    first_line: u64,
    last_line: u64,
    offset: u64,
}

/// State rows share.
#[derive(Default)]
struct RowState {
    order: DateOrder,
    order_noted: bool,
    /// An ambiguous date was read month first while the order was undecided.
    order_guessed: bool,
    rows: u64,
}

/// Turns one row (column, value) into an event, or skips its lines.
/// `delim` is the CSV delimiter: a comma inside a number is a decimal comma only when it is
/// not the delimiter.
fn emit_row(
    cells: &[(Col, &str)],
    at: RowAt,
    cx: &mut RowState,
    delim: u8,
    sink: &mut dyn EventSink,
) {
    let get = |c: Col| -> &str {
        cells
            .iter()
            .find(|(k, v)| *k == c && !v.trim().is_empty())
            .map_or("", |(_, v)| v.trim())
    };
    let operation = get(Col::Operation);
    let status_code = get(Col::StatusCode);
    let status_text = get(Col::StatusText);
    if operation.is_empty() && status_code.is_empty() && status_text.is_empty() {
        skip_lines(
            sink,
            at.first_line,
            at.last_line,
            "the row has no OperationName, StatusCode or StatusText value: nothing to analyse",
        );
        return;
    }
    let time_text = get(Col::Time);
    let before = cx.order;
    let time = parse_loose_time(time_text, &mut cx.order);
    if time.is_none() && !time_text.is_empty() {
        skip_lines(
            sink,
            at.first_line,
            at.last_line,
            &format!("the TimeGenerated value '{time_text}' is not a date this analyzer can read"),
        );
        return;
    }
    if cx.order == DateOrder::Auto && is_ambiguous_slash_date(time_text) {
        cx.order_guessed = true;
    }
    if before == DateOrder::Auto
        && cx.order == DateOrder::DayFirst
        && cx.order_guessed
        && !cx.order_noted
    {
        cx.order_noted = true;
        sink.notice(&format!(
            "Dates are read day first (day/month/year) from line {} on, where a day above 12 appears; earlier ambiguous dates were read month first. Set the option dates=dmy to read them all day first.",
            at.first_line
        ));
    }
    cx.rows += 1;
    let (class, code) = status_class(status_text);
    let response_type = match get(Col::MetricResponseType) {
        "" => class,
        m => ResponseType::parse(m),
    };
    // 0 for `Unknown` (an interrupted request) and for SMB status words (Files).
    let status = status_code.parse::<u16>().unwrap_or_default();
    let account = match get(Col::Account) {
        "" => account_from_resource_id(get(Col::ResourceId)),
        a => a,
    };
    let service = match get(Col::ServiceType) {
        "" => Service::from_word(get(Col::Table)),
        s => Service::from_word(s),
    };
    let mut auth = AuthKind::from_word(get(Col::AuthType));
    if auth == AuthKind::Unknown {
        auth = if status_text.starts_with("SAS") {
            AuthKind::Sas
        } else if status_text.starts_with("Anonymous") {
            AuthKind::Anonymous
        } else {
            AuthKind::Unknown
        };
    }
    let ms = |c: Col| parse_number(get(c), delim).map(|v| v as f32);
    let mut ev = RawEvent {
        time,
        source: SourceKind::Server,
        service,
        operation: Cow::Borrowed(operation),
        url: Cow::Borrowed(get(Col::Uri)),
        resource: Cow::Borrowed(get(Col::ObjectKey)),
        account: Cow::Borrowed(account),
        status,
        error_code: Cow::Borrowed(code),
        response_type,
        client_request_id: Cow::Borrowed(get(Col::ClientRequestId)),
        request_id: Cow::Borrowed(get(Col::RequestId)),
        e2e_ms: ms(Col::Duration),
        server_ms: ms(Col::ServerLatency),
        auth,
        location: Location {
            line: at.first_line as u32,
            offset: at.offset,
        },
        ..Default::default()
    };
    ev.push(Field::CallerIp, get(Col::CallerIp));
    ev.push(Field::UserAgent, get(Col::UserAgent));
    ev.push(Field::Conditions, get(Col::Conditions));
    ev.push(Field::XmsVersion, get(Col::Version));
    if let Some(o) = preflight_origin(operation, get(Col::Referrer)) {
        ev.push(Field::Origin, o);
    }
    sink.event(ev);
}

fn csv_record(mode: &mut Mode, cx: &mut RowState, item: CsvItem<'_>, sink: &mut dyn EventSink) {
    let Mode::Csv { delim, cols, names } = mode else {
        return;
    };
    let (at, text) = match item {
        CsvItem::Unterminated { line } => {
            sink.skipped(
                line,
                "a quoted cell opens on this line and never closes (a stray '\"'), so the row cannot be split into columns",
            );
            return;
        }
        CsvItem::Record {
            line,
            last_line,
            offset,
            text,
        } => (
            RowAt {
                first_line: line,
                last_line,
                offset,
            },
            text,
        ),
    };
    if text.trim().is_empty() {
        return;
    }
    let Some(cols) = cols.as_ref() else {
        let fields = split_record(text, *delim);
        let c: Vec<Col> = fields.iter().map(|f| column(f)).collect();
        *names = fields
            .iter()
            .map(|f| f.trim().trim_start_matches('\u{feff}').to_string())
            .collect();
        if !is_storage_table(&c) {
            sink.notice(&format!(
                "This Log Analytics export has no OperationName and StatusCode/StatusText columns, so it is not a Storage log table (StorageBlobLogs, StorageFileLogs, StorageQueueLogs, StorageTableLogs); its rows are not analysed. Columns: {}.",
                names.join(", ")
            ));
        } else if names
            .iter()
            .any(|n| n.to_ascii_lowercase().contains("[local"))
        {
            sink.notice("The export shows times in local time (\"[Local Time]\" in the header); they are read as UTC, so comparisons with other logs may be off by the time zone.");
        }
        *cols = Some(c);
        return;
    };
    if !is_storage_table(cols) {
        skip_lines(
            sink,
            at.first_line,
            at.last_line,
            "row of a Log Analytics table that is not a Storage log (no OperationName and StatusCode/StatusText columns)",
        );
        return;
    }
    let fields = split_record(text, *delim);
    let extra_filled = fields.iter().skip(cols.len()).any(|f| !f.trim().is_empty());
    if fields.len() < cols.len() || extra_filled {
        skip_lines(
            sink,
            at.first_line,
            at.last_line,
            &format!(
                "the row has {} cells but the header names {} columns (a cut or damaged row)",
                fields.len(),
                cols.len()
            ),
        );
        return;
    }
    let cells: Vec<(Col, &str)> = cols
        .iter()
        .zip(fields.iter())
        .filter(|(c, _)| **c != Col::Other)
        .map(|(c, f)| (*c, f.as_ref()))
        .collect();
    emit_row(&cells, at, cx, *delim, sink);
}

fn json_item(cx: &mut RowState, item: Item<'_>, sink: &mut dyn EventSink) {
    match item {
        Item::Object {
            first_line,
            last_line,
            offset,
            text,
        } => match serde_json::from_str::<JsonRow<'_>>(text) {
            Ok(row) => {
                let cells: Vec<(Col, &str)> = row
                    .0
                    .iter()
                    .map(|(k, v)| (column(k), v.as_ref()))
                    .filter(|(c, _)| *c != Col::Other)
                    .collect();
                let cols: Vec<Col> = cells.iter().map(|(c, _)| *c).collect();
                let at = RowAt {
                    first_line,
                    last_line,
                    offset,
                };
                if is_storage_table(&cols) {
                    emit_row(&cells, at, cx, b',', sink);
                } else {
                    skip_lines(
                        sink,
                        first_line,
                        last_line,
                        "an object without OperationName and StatusCode/StatusText: not a row of a Storage log table",
                    );
                }
            }
            Err(e) => skip_lines(
                sink,
                first_line,
                last_line,
                &format!(
                    "part of a row that is not valid JSON ({})",
                    json_error(&e, first_line)
                ),
            ),
        },
        Item::Stray { line } => sink.skipped(line, "text outside the JSON rows of the export"),
        Item::Broken {
            first_line,
            last_line,
            why,
        } => skip_lines(
            sink,
            first_line,
            last_line,
            &format!("part of a row that cannot be read: {}", why.describe()),
        ),
    }
}

impl LineParser for Parser {
    fn line(&mut self, line: Line<'_>, sink: &mut dyn EventSink) {
        if let Mode::Start = self.mode {
            let t = line.text.trim_start_matches('\u{feff}').trim();
            if t.is_empty() {
                return;
            }
            self.mode = if t.starts_with('[') || t.starts_with('{') {
                Mode::Json
            } else {
                Mode::Csv {
                    delim: guess_delimiter(t),
                    cols: None,
                    names: Vec::new(),
                }
            };
        }
        let cx = &mut self.state;
        if let Mode::Json = self.mode {
            self.json.line(&line, &mut |it| json_item(cx, it, sink));
        } else {
            let mode = &mut self.mode;
            self.csv
                .line(&line, &mut |it| csv_record(mode, cx, it, sink));
        }
    }

    fn finish(&mut self, sink: &mut dyn EventSink) {
        let cx = &mut self.state;
        match self.mode {
            Mode::Json => {
                let mut cut = false;
                let open = self.json.finish(&mut |it| {
                    cut |= matches!(it, Item::Broken { .. });
                    json_item(cx, it, sink)
                });
                if cut || open {
                    sink.notice(&format!(
                        "The JSON export ends before its list of rows is closed: the file looks cut short. {} whole row(s) were read.",
                        cx.rows
                    ));
                }
            }
            Mode::Csv { .. } => {
                let mode = &mut self.mode;
                self.csv.finish(&mut |it| csv_record(mode, cx, it, sink));
            }
            Mode::Start => {}
        }
    }
}

#[cfg(test)]
#[path = "log_analytics_export_tests.rs"]
mod tests;
