//! The requests table: one row per correlated request, with filtering, sorting, text search,
//! facets, a failure summary and CSV export. The page's worker answers table queries with this,
//! so a million rows never cross to the page: only the visible window does.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::correlate::Correlation;
use crate::knowledge::redact::neutralize_bidi;
use crate::knowledge::sas::field_name;
use crate::model::{Dataset, EventView, Field, SourceKind, Sym};

/// Columns the table sorts by.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum SortKey {
    #[default]
    Time,
    Status,
    Operation,
    Resource,
    ErrorCode,
    Latency,
    Service,
}

/// What the user asked the table to show. Every filter is optional.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct TableQuery {
    pub sort: SortKey,
    pub descending: bool,
    /// 2, 3, 4, 5 for 2xx…5xx; 0 for "no response" (status unknown or 0).
    pub status_class: Option<u16>,
    pub error_code: Option<String>,
    pub operation: Option<String>,
    pub source: Option<SourceKind>,
    /// Case-insensitive substring of resource, operation, error code or client request id.
    pub search: String,
    /// Time range filter (ISO 8601 strings, inclusive), from the timeline brush.
    pub from: Option<String>,
    pub to: Option<String>,
}

/// One visible row.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct RowView {
    pub request: u32,
    pub time: Option<String>,
    /// Which kinds of source observed it: "client", "server", "network", "console".
    pub sources: Vec<String>,
    pub service: String,
    pub operation: String,
    pub method: String,
    pub resource: String,
    pub status: u16,
    pub error_code: String,
    pub client_request_id: String,
    pub e2e_ms: Option<f32>,
    pub server_ms: Option<f32>,
    /// Observations of this request (several: retries or several sources).
    pub observations: u32,
}

/// Counts behind the facet chips.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct Facets {
    pub status_classes: Vec<(u16, u64)>,
    pub error_codes: Vec<(String, u64)>,
    pub operations: Vec<(String, u64)>,
    pub sources: Vec<(String, u64)>,
}

/// One line of the failure summary: operation × status × error code.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct FailureRow {
    pub operation: String,
    pub status: u16,
    pub error_code: String,
    /// Requests with this outcome.
    pub requests: u64,
    /// Observations (attempts and sources) behind them.
    pub attempts: u64,
}

/// One observation in a request's detail, with the fields worth showing.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct ObservationView {
    pub event: u32,
    pub source: String,
    pub path: String,
    pub input: u16,
    pub line: u32,
    pub offset: u64,
    pub time: Option<String>,
    pub method: String,
    pub operation: String,
    pub status: u16,
    pub error_code: String,
    pub request_id: String,
    pub client_request_id: String,
    pub fields: Vec<(String, String)>,
}

/// A request's detail: every observation, and the SAS on its URL decoded.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct RequestDetail {
    pub request: u32,
    pub observations: Vec<ObservationView>,
    /// (parameter, meaning, value) of the SAS token, when the request used one.
    pub sas: Vec<(String, String, String)>,
}

/// Per-request values the table sorts and filters on, computed once.
#[derive(Clone, Debug, Default)]
pub struct RequestIndex {
    rows: Vec<RowKey>,
}

#[derive(Clone, Copy, Debug, Default)]
struct RowKey {
    /// The event that best represents the request (the service's view when present).
    main: u32,
    time: i64,
    has_time: bool,
    status: u16,
    sources: u8,
    e2e: f32,
}

fn source_bit(s: SourceKind) -> u8 {
    1 << (s as u8)
}

fn rank(s: SourceKind) -> u8 {
    // Whose view of the outcome wins: the service's, then the network's, then the client's.
    match s {
        SourceKind::Server => 4,
        SourceKind::Network => 3,
        SourceKind::Client => 2,
        SourceKind::Console => 1,
        SourceKind::Metrics => 0,
    }
}

impl RequestIndex {
    pub fn build(ds: &Dataset, c: &Correlation) -> RequestIndex {
        let rows = c
            .requests
            .iter()
            .map(|r| {
                let mut k = RowKey {
                    e2e: f32::NAN,
                    ..Default::default()
                };
                let mut best: Option<(u8, bool, u32)> = None;
                for &i in &r.events {
                    let e = &ds.events[i as usize];
                    k.sources |= source_bit(e.source);
                    if let Some(t) = e.time() {
                        if !k.has_time || t.0 < k.time {
                            k.time = t.0;
                            k.has_time = true;
                        }
                    }
                    if k.e2e.is_nan() && !e.e2e_ms.is_nan() {
                        k.e2e = e.e2e_ms;
                    }
                    // Prefer a source with a status; among equals the later observation (the
                    // final attempt).
                    let cand = (rank(e.source), e.status != 0, i);
                    let better = match best {
                        None => true,
                        Some((r0, s0, _)) => (cand.1, cand.0) >= (s0, r0),
                    };
                    if better {
                        best = Some(cand);
                    }
                }
                if let Some((_, _, i)) = best {
                    k.main = i;
                    k.status = ds.events[i as usize].status;
                }
                k
            })
            .collect();
        RequestIndex { rows }
    }

    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Each request's time (µs since the epoch, when known) and status, as the table shows them.
    pub fn outcomes(&self) -> impl Iterator<Item = (Option<i64>, u16)> + Clone + '_ {
        self.rows
            .iter()
            .map(|k| (k.has_time.then_some(k.time), k.status))
    }

    fn main<'a>(&self, ds: &'a Dataset, r: usize) -> EventView<'a> {
        ds.view(self.rows[r].main as usize)
    }

    /// Request indices matching the query, sorted.
    pub fn query(&self, ds: &Dataset, q: &TableQuery) -> Vec<u32> {
        let code: Option<Sym> = match &q.error_code {
            Some(c) => match ds.strings.find(c) {
                Some(s) => Some(s),
                None => return Vec::new(),
            },
            None => None,
        };
        let op: Option<Sym> = match &q.operation {
            Some(o) => match ds.strings.find(o) {
                Some(s) => Some(s),
                None => return Vec::new(),
            },
            None => None,
        };
        let needle = q.search.trim().to_lowercase();
        let from = q.from.as_deref().and_then(crate::model::Timestamp::parse);
        let to = q.to.as_deref().and_then(crate::model::Timestamp::parse);
        let mut out: Vec<u32> = (0..self.rows.len() as u32)
            .filter(|&r| {
                let k = &self.rows[r as usize];
                let e = &ds.events[k.main as usize];
                if let Some(sc) = q.status_class {
                    let class = if k.status == 0 { 0 } else { k.status / 100 };
                    if class != sc {
                        return false;
                    }
                }
                if code.is_some_and(|c| e.error_code != c) || op.is_some_and(|o| e.operation != o) {
                    return false;
                }
                if let Some(s) = q.source {
                    if k.sources & source_bit(s) == 0 {
                        return false;
                    }
                }
                if from.is_some_and(|f| !k.has_time || k.time < f.0)
                    || to.is_some_and(|t| !k.has_time || k.time > t.0)
                {
                    return false;
                }
                if !needle.is_empty() {
                    let v = ds.view(k.main as usize);
                    let hit = [v.resource(), v.operation(), v.error_code()]
                        .iter()
                        .any(|s| s.to_lowercase().contains(&needle))
                        || v.client_request_id().to_lowercase().contains(&needle)
                        || v.request_id().to_lowercase().contains(&needle);
                    if !hit {
                        return false;
                    }
                }
                true
            })
            .collect();
        let rows = &self.rows;
        let s = |r: &u32| ds.view(rows[*r as usize].main as usize);
        match q.sort {
            SortKey::Time => {
                out.sort_by_key(|r| (!rows[*r as usize].has_time, rows[*r as usize].time))
            }
            SortKey::Status => out.sort_by_key(|r| rows[*r as usize].status),
            SortKey::Latency => {
                out.sort_by(|a, b| rows[*a as usize].e2e.total_cmp(&rows[*b as usize].e2e))
            }
            SortKey::Operation => out.sort_by(|a, b| s(a).operation().cmp(s(b).operation())),
            SortKey::Resource => out.sort_by(|a, b| s(a).resource().cmp(s(b).resource())),
            SortKey::ErrorCode => out.sort_by(|a, b| s(a).error_code().cmp(s(b).error_code())),
            SortKey::Service => out.sort_by_key(|r| s(r).ev.service),
        }
        if q.descending {
            out.reverse();
        }
        out
    }

    pub fn row(&self, ds: &Dataset, c: &Correlation, r: u32) -> RowView {
        let k = &self.rows[r as usize];
        let v = self.main(ds, r as usize);
        let mut sources = Vec::new();
        for s in [
            SourceKind::Client,
            SourceKind::Network,
            SourceKind::Server,
            SourceKind::Console,
        ] {
            if k.sources & source_bit(s) != 0 {
                sources.push(s.as_str().to_string());
            }
        }
        RowView {
            request: r,
            time: k
                .has_time
                .then(|| crate::model::Timestamp(k.time).to_string()),
            sources,
            service: v.ev.service.as_str().to_string(),
            operation: shown(v.operation()),
            method: v.ev.method.as_str().to_string(),
            resource: shown(v.resource()),
            status: k.status,
            error_code: shown(v.error_code()),
            client_request_id: shown(&v.client_request_id()),
            e2e_ms: (!k.e2e.is_nan()).then_some(k.e2e),
            server_ms: c.requests[r as usize]
                .events
                .iter()
                .map(|&i| ds.events[i as usize].server_ms)
                .find(|x| !x.is_nan()),
            observations: c.requests[r as usize].events.len() as u32,
        }
    }

    pub fn facets(&self, ds: &Dataset) -> Facets {
        let mut classes: BTreeMap<u16, u64> = BTreeMap::new();
        let mut codes: BTreeMap<Sym, u64> = BTreeMap::new();
        let mut ops: BTreeMap<Sym, u64> = BTreeMap::new();
        let mut sources: BTreeMap<u8, u64> = BTreeMap::new();
        for k in &self.rows {
            let e = &ds.events[k.main as usize];
            *classes
                .entry(if k.status == 0 { 0 } else { k.status / 100 })
                .or_default() += 1;
            if !e.error_code.is_empty() {
                *codes.entry(e.error_code).or_default() += 1;
            }
            if !e.operation.is_empty() {
                *ops.entry(e.operation).or_default() += 1;
            }
            for s in [
                SourceKind::Client,
                SourceKind::Network,
                SourceKind::Server,
                SourceKind::Console,
            ] {
                if k.sources & source_bit(s) != 0 {
                    *sources.entry(s as u8).or_default() += 1;
                }
            }
        }
        let top = |m: BTreeMap<Sym, u64>| {
            let mut v: Vec<(String, u64)> =
                m.into_iter().map(|(s, n)| (shown(ds.str(s)), n)).collect();
            v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
            v.truncate(30);
            v
        };
        let names = [
            SourceKind::Client,
            SourceKind::Server,
            SourceKind::Network,
            SourceKind::Console,
            SourceKind::Metrics,
        ];
        Facets {
            status_classes: classes.into_iter().collect(),
            error_codes: top(codes),
            operations: top(ops),
            sources: sources
                .into_iter()
                .filter_map(|(b, n)| {
                    names
                        .iter()
                        .find(|s| **s as u8 == b)
                        .map(|s| (s.as_str().to_string(), n))
                })
                .collect(),
        }
    }

    /// Failed requests grouped by operation × status × error code, most frequent first.
    pub fn failure_summary(&self, ds: &Dataset, c: &Correlation) -> Vec<FailureRow> {
        let mut m: BTreeMap<(Sym, u16, Sym), (u64, u64)> = BTreeMap::new();
        for (r, k) in self.rows.iter().enumerate() {
            let e = &ds.events[k.main as usize];
            if k.status < 300
                && !(k.status == 0 && k.sources & source_bit(SourceKind::Network) != 0)
            {
                continue;
            }
            let slot = m.entry((e.operation, k.status, e.error_code)).or_default();
            slot.0 += 1;
            slot.1 += c.requests[r].events.len() as u64;
        }
        let mut out: Vec<FailureRow> = m
            .into_iter()
            .map(|((op, status, code), (requests, attempts))| FailureRow {
                operation: shown(ds.str(op)),
                status,
                error_code: shown(ds.str(code)),
                requests,
                attempts,
            })
            .collect();
        out.sort_by_key(|r| std::cmp::Reverse(r.requests));
        out
    }

    /// Every observation of a request, with the fields worth showing.
    pub fn detail(&self, ds: &Dataset, c: &Correlation, r: u32) -> RequestDetail {
        let mut sas = Vec::new();
        let observations = c.requests[r as usize]
            .events
            .iter()
            .map(|&i| {
                let v = ds.view(i as usize);
                if sas.is_empty() {
                    if let Some(t) = v.sas() {
                        sas = t
                            .described_fields()
                            .into_iter()
                            .map(|(k, name, val)| (k.to_string(), name.to_string(), val))
                            .collect();
                        if t.has_signature {
                            sas.push(("sig".into(), field_name("sig").into(), "REDACTED".into()));
                        }
                    }
                }
                let mut fields: Vec<(String, String)> = v
                    .extras()
                    .filter(|(f, _)| *f != Field::Sas)
                    .map(|(f, s)| (f.as_str().to_string(), shown(&v.extra_text(f, s))))
                    .collect();
                if !v.ev.e2e_ms.is_nan() {
                    fields.push(("e2e_ms".into(), v.ev.e2e_ms.to_string()));
                }
                if !v.ev.server_ms.is_nan() {
                    fields.push(("server_ms".into(), v.ev.server_ms.to_string()));
                }
                if v.ev.auth != crate::model::AuthKind::Unknown {
                    fields.push(("auth".into(), v.ev.auth.as_str().to_string()));
                }
                if !v.resource().is_empty() {
                    fields.push(("resource".into(), shown(v.resource())));
                }
                ObservationView {
                    event: i,
                    source: v.ev.source.as_str().to_string(),
                    path: shown(&v.input().path),
                    input: v.ev.input,
                    line: v.ev.line,
                    offset: v.ev.offset,
                    time: v.time().map(|t| t.to_string()),
                    method: v.ev.method.as_str().to_string(),
                    operation: shown(v.operation()),
                    status: v.ev.status,
                    error_code: shown(v.error_code()),
                    request_id: shown(&v.request_id()),
                    client_request_id: shown(&v.client_request_id()),
                    fields,
                }
            })
            .collect();
        RequestDetail {
            request: r,
            observations,
            sas,
        }
    }

    /// CSV of the given rows (RFC 4180 quoting). Strings are already redacted in the dataset.
    pub fn to_csv(&self, ds: &Dataset, c: &Correlation, rows: &[u32]) -> String {
        let mut s = String::from(
            "time,sources,service,operation,method,resource,status,error_code,client_request_id,e2e_ms,server_ms,observations\n",
        );
        for &r in rows {
            let v = self.row(ds, c, r);
            let cells = [
                v.time.unwrap_or_default(),
                v.sources.join(" "),
                v.service,
                v.operation,
                v.method,
                v.resource,
                if v.status == 0 {
                    String::new()
                } else {
                    v.status.to_string()
                },
                v.error_code,
                v.client_request_id,
                v.e2e_ms.map(|x| x.to_string()).unwrap_or_default(),
                v.server_ms.map(|x| x.to_string()).unwrap_or_default(),
                v.observations.to_string(),
            ];
            let line: Vec<String> = cells.iter().map(|c| csv_cell(c)).collect();
            s.push_str(&line.join(","));
            s.push('\n');
        }
        s
    }
}

/// Text as it may be shown to a person (bidirectional controls neutralised).
fn shown(s: &str) -> String {
    neutralize_bidi(s).into_owned()
}

fn csv_cell(c: &str) -> String {
    // A leading = + - @ would make a spreadsheet evaluate the cell: neutralise it.
    let c = if c.starts_with(['=', '+', '@'])
        || (c.starts_with('-') && c.len() > 1 && !c[1..].starts_with(|x: char| x.is_ascii_digit()))
    {
        format!("'{c}")
    } else {
        c.to_string()
    };
    if c.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", c.replace('"', "\"\""))
    } else {
        c
    }
}

#[cfg(test)]
#[path = "table_tests.rs"]
mod tests;
