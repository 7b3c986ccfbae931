//! `metrics-export`: transaction counts per interval, FORMATS.md § c. No layout of the portal's
//! metrics download is documented, so the columns are found from the header:
//!
//! * **Wide** (a chart split by ResponseType): a time column and one value column per series,
//!   the series named in the header, e.g. `Transactions (Sum) ResponseType=ClientOtherError`
//!   or `contoso - Transactions - ClientOtherError`. `ApiName=` and `Authentication=` in a
//!   header name the operation and the authorization of that series.
//! * **Long**: a time column, a `ResponseType` column and one value column (`Transactions`,
//!   `Total`, `Sum`, `Count` or `Value`); `ApiName` and `Authentication` columns are read too.
//! * **Classic metrics tables** (`$MetricsHourPrimaryTransactionsBlob` and siblings, e.g. as a
//!   Storage Explorer CSV export): `PartitionKey` (`20240305T0200`), `RowKey`
//!   (`user;All`, `user;GetBlob`), `TotalRequests`, `PercentSuccess`… and one count column per
//!   status (`Success`, `SASClientOtherError`…). When per-operation rows exist for an interval,
//!   its `All` row is skipped so that no transaction is counted twice. Without count columns,
//!   counts are derived from `TotalRequests` and the `Percent…` columns.
//!
//! Each row × series with a count above zero becomes one [`SourceKind::Metrics`] event carrying
//! the count in [`Field::Count`], the series' response type, and the row's time. Titles above
//! the header are skipped with a reason; columns of other metrics (Ingress, latency,
//! availability) are not counted.
//!
//! When detection is unsure, the user maps the columns with options
//! ([`Format::parser_with_options`]; names are matched ignoring case and surrounding spaces):
//!
//! | key | meaning |
//! |---|---|
//! | `time=<column>` | the column holding the interval's time (also picks the header row) |
//! | `value=<column>[\|<column>…]` | the value columns: each is a series (wide) or the one value column (long) |
//! | `series=<column>` | the column naming each row's series (long layout), e.g. `ResponseType` |
//! | `response_type=<value>` | the response type of value columns whose header names none (a single-series chart) |
//! | `service=blob\|queue\|table\|file` | the storage service the metrics are for |
//! | `dates=mdy\|dmy` | how to read `1/2/2024` |

use std::collections::{BTreeMap, HashSet};

use super::csv_util::{
    guess_delimiter, is_ambiguous_slash_date, parse_loose_time, parse_number, split_record,
    CsvItem, CsvRecords, DateOrder,
};
use super::resource_log_json::skip_lines;
use super::{Format, LineParser};
use crate::input::Line;
use crate::model::{
    AuthKind, EventSink, Field, Location, RawEvent, ResponseType, Service, SourceKind, Timestamp,
};

pub struct MetricsExport;

/// ResponseType dimension values (current and classic), exactly as the service names them.
const RESPONSE_TYPES: [&str; 22] = [
    "Success",
    "SuccessWithThrottling",
    "SuccessWithShareEgressThrottling",
    "SuccessWithShareIngressThrottling",
    "SuccessWithShareIopsThrottling",
    "SuccessWithMetadataWarning",
    "SuccessWithMetadataThrottling",
    "ServerOtherError",
    "ServerBusyError",
    "ServerTimeoutError",
    "AuthorizationError",
    "NetworkError",
    "ClientAccountBandwidthThrottlingError",
    "ClientAccountRequestThrottlingError",
    "ClientThrottlingError",
    "ClientShareEgressThrottlingError",
    "ClientShareIngressThrottlingError",
    "ClientShareIopsThrottlingError",
    "ClientTimeoutError",
    "ClientOtherError",
    "ThrottlingError",
    "OAuthSuccess",
];

/// Metrics other than transaction counts; their columns are not counted.
const OTHER_METRICS: [&str; 9] = [
    "ingress",
    "egress",
    "latency",
    "availability",
    "capacity",
    "percent",
    "average",
    "bytes",
    "count of",
];

/// A ResponseType value (with the classic `Anonymous`/`SAS` prefixes) → its class; `None` for
/// anything that is not one.
fn response_type(word: &str) -> Option<ResponseType> {
    let w = word.trim();
    let base = w
        .strip_prefix("Anonymous")
        .or_else(|| w.strip_prefix("SAS"))
        .unwrap_or(w);
    let known = RESPONSE_TYPES
        .iter()
        .find(|k| k.eq_ignore_ascii_case(base))?;
    Some(
        if known.starts_with("Success") || *known == "OAuthSuccess" {
            ResponseType::Success
        } else if known.contains("Throttling") || *known == "ServerBusyError" {
            ResponseType::ThrottlingError
        } else {
            ResponseType::parse(known)
        },
    )
}

/// Auth of a classic status column (`SASSuccess`, `AnonymousClientOtherError`).
fn classic_auth(name: &str) -> AuthKind {
    if name.starts_with("SAS") {
        AuthKind::Sas
    } else if name.starts_with("Anonymous") {
        AuthKind::Anonymous
    } else {
        AuthKind::Unknown
    }
}

/// Lower-case ASCII alphanumerics only: `"Time (UTC)"` → `timeutc` (the names compared with
/// are all ASCII).
fn squash(s: &str) -> String {
    s.bytes()
        .filter(u8::is_ascii_alphanumeric)
        .map(|b| b.to_ascii_lowercase() as char)
        .collect()
}

/// Cheap test before splitting a line: a header row names a time column.
fn may_be_header(line: &str) -> bool {
    line.len() < 16 * 1024 && {
        let l = line.to_ascii_lowercase();
        l.contains("time") || l.contains("date") || l.contains("partitionkey")
    }
}

fn is_time_name(name: &str) -> bool {
    let n = squash(name);
    n == "partitionkey"
        || n == "date"
        || n == "datetime"
        || n.starts_with("time")
        || n.starts_with("timestamp")
        || n.contains("timegenerated")
        || n == "localtime"
}

/// `Key=Value` (or `Key: Value`) inside a header, e.g. `ResponseType=ClientOtherError`.
fn dimension<'h>(header: &'h str, key: &str) -> Option<&'h str> {
    let lower = header.to_ascii_lowercase();
    let at = lower.find(&key.to_ascii_lowercase())?;
    let rest = header.get(at + key.len()..)?.trim_start();
    let rest = rest.strip_prefix(['=', ':'])?.trim_start();
    let end = rest
        .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == '-'))
        .unwrap_or(rest.len());
    let v = &rest[..end];
    (!v.is_empty()).then_some(v)
}

/// The response type a wide column's header names, if any.
fn header_response_type(header: &str) -> Option<ResponseType> {
    if let Some(v) = dimension(header, "ResponseType") {
        return response_type(v);
    }
    header
        .split(|c: char| !c.is_alphanumeric())
        .find_map(response_type)
}

#[derive(Clone, Debug)]
struct Series {
    col: usize,
    label: String,
    response_type: ResponseType,
    auth: AuthKind,
    api: String,
}

#[derive(Clone, Debug)]
enum Shape {
    Wide(Vec<Series>),
    Long {
        series: usize,
        value: usize,
        api: Option<usize>,
        auth: Option<usize>,
    },
    Classic {
        row_key: Option<usize>,
        counts: Vec<Series>,
        total: Option<usize>,
        percents: Vec<Series>,
    },
}

#[derive(Clone, Debug)]
struct Header {
    time: usize,
    shape: Shape,
    columns: usize,
}

#[derive(Default, Clone)]
struct Options {
    time: Option<String>,
    values: Vec<String>,
    series: Option<String>,
    response_type: Option<ResponseType>,
    service: Service,
}

impl Options {
    fn from_map(m: &BTreeMap<String, String>) -> Options {
        let get = |k: &str| {
            m.get(k)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };
        Options {
            time: get("time"),
            values: get("value")
                .map(|v| {
                    v.split('|')
                        .map(|s| s.trim().to_string())
                        .filter(|s| !s.is_empty())
                        .collect()
                })
                .unwrap_or_default(),
            series: get("series"),
            response_type: get("response_type").and_then(|v| response_type(&v)),
            service: get("service").map_or(Service::Unknown, |s| Service::from_word(&s)),
        }
    }
}

fn same_name(a: &str, b: &str) -> bool {
    a.trim()
        .trim_matches('"')
        .trim()
        .eq_ignore_ascii_case(b.trim())
}

/// Reads a header row; `None` when `names` is not one.
fn header(names: &[String], o: &Options) -> Option<Header> {
    let find = |want: &str| names.iter().position(|n| same_name(n, want));
    let squashed: Vec<String> = names.iter().map(|n| squash(n)).collect();
    let named = |want: &str| squashed.iter().position(|n| n == want);
    let time = match &o.time {
        Some(t) => find(t)?,
        None => named("partitionkey").or_else(|| names.iter().position(|n| is_time_name(n)))?,
    };
    let columns = names.len();
    let value_cols: Vec<usize> = o.values.iter().filter_map(|v| find(v)).collect();
    if !o.values.is_empty() && value_cols.is_empty() {
        return None;
    }
    // Classic metrics table.
    let row_key = named("rowkey");
    let classic_counts: Vec<Series> = names
        .iter()
        .enumerate()
        .filter(|(i, n)| *i != time && !n.contains('@'))
        .filter_map(|(i, n)| {
            let name = n.trim();
            let rt = response_type(name)?;
            Some(Series {
                col: i,
                label: name.to_string(),
                response_type: rt,
                auth: classic_auth(name),
                api: String::new(),
            })
        })
        .collect();
    let total = named("totalrequests");
    if named("partitionkey") == Some(time) && (total.is_some() || !classic_counts.is_empty()) {
        let percents = [
            ("percentsuccess", ResponseType::Success),
            ("percentthrottlingerror", ResponseType::ThrottlingError),
            ("percenttimeouterror", ResponseType::ServerTimeoutError),
            ("percentserverothererror", ResponseType::ServerOtherError),
            ("percentclientothererror", ResponseType::ClientOtherError),
            (
                "percentauthorizationerror",
                ResponseType::AuthorizationError,
            ),
            ("percentnetworkerror", ResponseType::NetworkError),
        ]
        .iter()
        .filter_map(|(n, rt)| {
            Some(Series {
                col: named(n)?,
                label: names[named(n)?].trim().to_string(),
                response_type: *rt,
                auth: AuthKind::Unknown,
                api: String::new(),
            })
        })
        .collect();
        return Some(Header {
            time,
            shape: Shape::Classic {
                row_key,
                counts: classic_counts,
                total,
                percents,
            },
            columns,
        });
    }
    // Long: one row per (time, series).
    let series = match &o.series {
        Some(s) => Some(find(s)?),
        None => named("responsetype"),
    };
    if let Some(series) = series {
        let value = match value_cols.first() {
            Some(v) => *v,
            None => ["transactions", "total", "sum", "count", "value"]
                .iter()
                .find_map(|w| {
                    squashed
                        .iter()
                        .enumerate()
                        .position(|(i, n)| i != time && i != series && n.starts_with(w))
                })?,
        };
        return Some(Header {
            time,
            shape: Shape::Long {
                series,
                value,
                api: named("apiname"),
                auth: named("authentication"),
            },
            columns,
        });
    }
    // Wide: every other column may be a series.
    let cols: Vec<usize> = if value_cols.is_empty() {
        (0..columns).filter(|i| *i != time).collect()
    } else {
        value_cols
    };
    let wide: Vec<Series> = cols
        .into_iter()
        .filter_map(|i| {
            let label = names[i].trim().to_string();
            let lower = label.to_ascii_lowercase();
            let rt = header_response_type(&label);
            let other_metric =
                !lower.contains("transactions") && OTHER_METRICS.iter().any(|m| lower.contains(m));
            if other_metric && o.values.is_empty() {
                return None;
            }
            Some(Series {
                col: i,
                response_type: rt.or(o.response_type).unwrap_or_default(),
                auth: dimension(&label, "Authentication")
                    .map_or(AuthKind::Unknown, AuthKind::from_word),
                api: dimension(&label, "ApiName").unwrap_or("").to_string(),
                label,
            })
        })
        .collect();
    if wide.is_empty() {
        return None;
    }
    Some(Header {
        time,
        shape: Shape::Wide(wide),
        columns,
    })
}

impl Format for MetricsExport {
    fn id(&self) -> &'static str {
        "metrics-export"
    }
    fn name(&self) -> &'static str {
        "Azure Storage metrics (CSV: transactions per interval)"
    }
    fn detect(&self, sample: &str) -> f32 {
        for line in sample.lines().filter(|l| !l.trim().is_empty()).take(10) {
            let t = line.trim_start_matches('\u{feff}');
            if t.trim().starts_with('{') || t.trim().starts_with('[') {
                return 0.0;
            }
            if !may_be_header(t) {
                continue;
            }
            let names: Vec<String> = split_record(t, guess_delimiter(t))
                .iter()
                .map(|c| c.trim().to_string())
                .collect();
            let sq: Vec<String> = names.iter().map(|n| squash(n)).collect();
            // Request logs exported as CSV belong to log-analytics-export.
            if sq.iter().any(|n| n == "operationname" || n == "statuscode") {
                return 0.0;
            }
            let Some(h) = header(&names, &Options::default()) else {
                continue;
            };
            return match h.shape {
                Shape::Classic { .. } => 0.92,
                Shape::Long { .. } => 0.85,
                Shape::Wide(series) => {
                    let named = series
                        .iter()
                        .filter(|s| s.response_type != ResponseType::Unknown)
                        .count();
                    let transactions = series
                        .iter()
                        .any(|s| s.label.to_ascii_lowercase().contains("transactions"));
                    if named > 0 {
                        0.8
                    } else if transactions {
                        0.6
                    } else {
                        0.0
                    }
                }
            };
        }
        0.0
    }
    fn parser(&self) -> Box<dyn LineParser> {
        Box::new(Parser::new(Options::default(), DateOrder::Auto))
    }
    fn parser_with_options(&self, options: &BTreeMap<String, String>) -> Box<dyn LineParser> {
        Box::new(Parser::new(
            Options::from_map(options),
            DateOrder::from_option(options.get("dates")),
        ))
    }
}

#[derive(Clone, Copy)]
struct RowAt {
    first_line: u64,
    last_line: u64,
    offset: u64,
}

/// One series value of a classic row, kept until the end of the input.
struct Count {
    response_type: ResponseType,
    auth: AuthKind,
    value: f64,
    label: String,
}

/// A classic table row, kept until the end (its `All` row may have to give way).
struct ClassicRow {
    at: RowAt,
    time: Timestamp,
    /// `user` / `system`.
    kind: String,
    /// `All` or the API name.
    api: String,
    counts: Vec<Count>,
}

struct Parser {
    opts: Options,
    order: DateOrder,
    order_noted: bool,
    /// An ambiguous date was read month first while the order was undecided.
    order_guessed: bool,
    csv: CsvRecords,
    delim: Option<u8>,
    header: Option<Header>,
    classic: Vec<ClassicRow>,
    /// Skips of a classic table, reported with the rows at the end so the list stays in line
    /// order: (first line, last line, reason).
    classic_skips: Vec<(u64, u64, String)>,
    title_lines: Vec<u64>,
}

impl Parser {
    fn new(opts: Options, order: DateOrder) -> Parser {
        Parser {
            opts,
            order,
            order_noted: false,
            order_guessed: false,
            csv: CsvRecords::default(),
            delim: None,
            header: None,
            classic: Vec::new(),
            classic_skips: Vec::new(),
            title_lines: Vec::new(),
        }
    }
}

/// `1520.0` → `1520`; fractions as written.
fn count_text(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{v}")
    }
}

#[allow(clippy::too_many_arguments)]
fn emit(
    sink: &mut dyn EventSink,
    at: RowAt,
    time: Timestamp,
    service: Service,
    response_type: ResponseType,
    auth: AuthKind,
    api: &str,
    value: f64,
    label: &str,
) {
    let mut ev = RawEvent {
        time: Some(time),
        source: SourceKind::Metrics,
        service,
        operation: api.into(),
        response_type,
        auth,
        location: Location {
            line: at.first_line as u32,
            offset: at.offset,
        },
        ..Default::default()
    };
    ev.push(Field::Count, count_text(value));
    ev.push(Field::Note, label);
    sink.event(ev);
}

const NO_TRANSACTIONS: &str = "no transactions in this interval (every series is empty or zero)";

impl Parser {
    fn skip(&mut self, sink: &mut dyn EventSink, at: RowAt, reason: &str) {
        if matches!(
            self.header.as_ref().map(|h| &h.shape),
            Some(Shape::Classic { .. })
        ) {
            self.classic_skips
                .push((at.first_line, at.last_line, reason.to_string()));
        } else {
            skip_lines(sink, at.first_line, at.last_line, reason);
        }
    }

    fn record(&mut self, item: CsvItem<'_>, sink: &mut dyn EventSink) {
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
        let t = text.trim_start_matches('\u{feff}');
        if t.trim().is_empty() {
            return;
        }
        let Some(h) = self.header.clone() else {
            // Excel's `sep=;` line names the delimiter.
            if let Some(d) = t.trim().strip_prefix("sep=") {
                // Only a one-byte (ASCII) delimiter can split the text between characters.
                if let Some(&c) = d.as_bytes().first().filter(|c| c.is_ascii()) {
                    self.delim = Some(c);
                    return;
                }
            }
            let delim = self.delim.unwrap_or_else(|| guess_delimiter(t));
            let names: Vec<String> = split_record(t, delim)
                .iter()
                .map(|c| c.trim().to_string())
                .collect();
            match header(&names, &self.opts) {
                Some(h) => {
                    self.delim = Some(delim);
                    let ignored: Vec<&str> = match &h.shape {
                        Shape::Wide(s) => names
                            .iter()
                            .enumerate()
                            .filter(|(i, n)| {
                                *i != h.time && !n.is_empty() && !s.iter().any(|x| x.col == *i)
                            })
                            .map(|(_, n)| n.as_str())
                            .collect(),
                        _ => Vec::new(),
                    };
                    if !ignored.is_empty() {
                        sink.notice(&format!(
                            "Columns not counted as transactions (another metric): {}. Use the option value=<column> to count a column anyway.",
                            ignored.join(", ")
                        ));
                    }
                    self.header = Some(h);
                    for l in std::mem::take(&mut self.title_lines) {
                        sink.skipped(
                            l,
                            "a title or note above the column header, not a row of values",
                        );
                    }
                }
                None => self.title_lines.push(at.first_line),
            }
            return;
        };
        let delim = self.delim.unwrap_or(b',');
        let cells = split_record(t, delim);
        if cells.len() < h.columns {
            let reason = format!(
                "the row has {} cells but the header names {} columns (a cut or damaged row)",
                cells.len(),
                h.columns
            );
            self.skip(sink, at, &reason);
            return;
        }
        let cell = |i: usize| cells.get(i).map_or("", |c| c.trim());
        let before = self.order;
        let Some(time) = parse_loose_time(cell(h.time), &mut self.order) else {
            let reason = format!(
                "the time cell '{}' is not a date this analyzer can read",
                cell(h.time)
            );
            self.skip(sink, at, &reason);
            return;
        };
        if self.order == DateOrder::Auto && is_ambiguous_slash_date(cell(h.time)) {
            self.order_guessed = true;
        }
        if before == DateOrder::Auto
            && self.order == DateOrder::DayFirst
            && self.order_guessed
            && !self.order_noted
        {
            self.order_noted = true;
            sink.notice(&format!(
                "Dates are read day first (day/month/year) from line {} on, where a day above 12 appears; earlier ambiguous dates were read month first. Set the option dates=dmy to read them all day first.",
                at.first_line
            ));
        }
        let number = |i: usize| parse_number(cell(i), delim).filter(|v| *v > 0.0);
        let service = self.opts.service;
        match &h.shape {
            Shape::Wide(series) => {
                let mut any = false;
                for s in series {
                    if let Some(v) = number(s.col) {
                        any = true;
                        emit(
                            sink,
                            at,
                            time,
                            service,
                            s.response_type,
                            s.auth,
                            &s.api,
                            v,
                            &s.label,
                        );
                    }
                }
                if !any {
                    skip_lines(sink, at.first_line, at.last_line, NO_TRANSACTIONS);
                }
            }
            Shape::Long {
                series,
                value,
                api,
                auth,
            } => {
                let name = cell(*series);
                match number(*value) {
                    Some(v) => {
                        let rt = response_type(name)
                            .or(self.opts.response_type)
                            .unwrap_or_default();
                        let auth = auth.map_or(AuthKind::Unknown, |a| AuthKind::from_word(cell(a)));
                        let api = api.map_or("", cell);
                        emit(sink, at, time, service, rt, auth, api, v, name);
                    }
                    None => skip_lines(sink, at.first_line, at.last_line, NO_TRANSACTIONS),
                }
            }
            Shape::Classic {
                row_key,
                counts,
                total,
                percents,
            } => {
                let key = row_key.map_or("", cell);
                let (kind, api) = key.split_once(';').unwrap_or(("", key));
                let mut values: Vec<Count> = counts
                    .iter()
                    .filter_map(|s| {
                        Some(Count {
                            response_type: s.response_type,
                            auth: s.auth,
                            value: number(s.col)?,
                            label: s.label.clone(),
                        })
                    })
                    .collect();
                if counts.is_empty() {
                    // Only percentages: counts from the total.
                    if let Some(total) = total.and_then(|t| parse_number(cell(t), delim)) {
                        values = percents
                            .iter()
                            .filter_map(|s| {
                                let pct = parse_number(cell(s.col), delim)?;
                                let n = (total * pct / 100.0).round();
                                (n > 0.0).then(|| Count {
                                    response_type: s.response_type,
                                    auth: AuthKind::Unknown,
                                    value: n,
                                    label: format!("{} of TotalRequests", s.label),
                                })
                            })
                            .collect();
                    }
                }
                if values.is_empty() {
                    self.classic_skips.push((
                        at.first_line,
                        at.last_line,
                        NO_TRANSACTIONS.to_string(),
                    ));
                    return;
                }
                self.classic.push(ClassicRow {
                    at,
                    time,
                    kind: kind.to_string(),
                    api: api.to_string(),
                    counts: values,
                });
            }
        }
    }

    /// Emits the classic rows: an interval's `All` row only when it has no per-operation rows.
    fn flush_classic(&mut self, sink: &mut dyn EventSink) {
        let detailed: HashSet<(Timestamp, String)> = self
            .classic
            .iter()
            .filter(|r| !r.api.eq_ignore_ascii_case("All"))
            .map(|r| (r.time, r.kind.to_ascii_lowercase()))
            .collect();
        let service = self.opts.service;
        let mut skips = std::mem::take(&mut self.classic_skips)
            .into_iter()
            .peekable();
        for r in std::mem::take(&mut self.classic) {
            while let Some((first, last, reason)) = skips.next_if(|s| s.0 < r.at.first_line) {
                skip_lines(sink, first, last, &reason);
            }
            let all = r.api.eq_ignore_ascii_case("All");
            if all && detailed.contains(&(r.time, r.kind.to_ascii_lowercase())) {
                skip_lines(
                    sink,
                    r.at.first_line,
                    r.at.last_line,
                    "an 'All' row sums the per-operation rows of the same interval, which are counted instead",
                );
                continue;
            }
            let api = if all { "" } else { r.api.as_str() };
            for c in &r.counts {
                emit(
                    sink,
                    r.at,
                    r.time,
                    service,
                    c.response_type,
                    c.auth,
                    api,
                    c.value,
                    &c.label,
                );
            }
        }
        for (first, last, reason) in skips {
            skip_lines(sink, first, last, &reason);
        }
    }
}

impl LineParser for Parser {
    fn line(&mut self, line: Line<'_>, sink: &mut dyn EventSink) {
        let mut csv = std::mem::take(&mut self.csv);
        csv.line(&line, &mut |it| self.record(it, sink));
        self.csv = csv;
    }

    fn finish(&mut self, sink: &mut dyn EventSink) {
        let mut csv = std::mem::take(&mut self.csv);
        csv.finish(&mut |it| self.record(it, sink));
        self.flush_classic(sink);
        if self.header.is_none() {
            for l in std::mem::take(&mut self.title_lines) {
                sink.skipped(
                    l,
                    "no column header with a time column was found above this line; name the columns with the options time=<column> and value=<column>",
                );
            }
        }
    }
}

#[cfg(test)]
#[path = "metrics_export_tests.rs"]
mod tests;
