//! The dataset: every input's accounting plus the compact event table.

use std::borrow::Cow;
use std::collections::HashMap;

use serde::Serialize;

use super::event::{FLAG_CRID_SYM, FLAG_HAS_TIME, FLAG_RID_SYM};
use super::{Event, EventSink, Field, Interner, RawEvent, Service, SourceKind, Sym, Timestamp};
use crate::knowledge::redact::redact;
use crate::knowledge::sas::SasToken;
use crate::knowledge::url::StorageUrl;

/// How many skipped lines each input lists (all are counted).
pub const MAX_SKIPPED_LISTED: usize = 100;

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Skipped {
    pub line: u64,
    pub reason: String,
}

/// What happened to one input file.
#[derive(Clone, Debug, Serialize, Default)]
pub struct InputInfo {
    pub path: String,
    pub format: String,
    pub confidence: f32,
    pub events: u64,
    pub lines: u64,
    pub bytes: u64,
    pub skipped: Vec<Skipped>,
    pub skipped_total: u64,
    /// Messages about the file as a whole (unknown format, truncation, header only…).
    pub notices: Vec<String>,
    pub first_time: Option<String>,
    pub last_time: Option<String>,
    /// Where decoded offset 0 is in the original bytes, when offsets map to them one to one
    /// (plain UTF-8: the BOM length); `None` for compressed or UTF-16 inputs, whose text cannot
    /// be re-read by offset.
    #[serde(skip)]
    pub raw_offset: Option<u64>,
    #[serde(skip)]
    pub(crate) time_range: Option<(Timestamp, Timestamp)>,
}

/// All inputs of one analysis and every event they produced.
#[derive(Debug, Default)]
pub struct Dataset {
    pub inputs: Vec<InputInfo>,
    pub events: Vec<Event>,
    pub strings: Interner,
    /// Extras arena: at an event's `extras` index, a count `n` then `n` pairs (field, value).
    /// Index 0 is a sentinel so that 0 means "no extras".
    extras: Vec<u32>,
    /// Distinct SAS tokens seen (extras `Field::Sas` holds an index into this).
    pub sas: Vec<SasToken>,
    sas_index: HashMap<String, u32>,
    /// Current CORS rules supplied by `cors-rules` inputs: (input, service, rules).
    pub cors_rules: Vec<(u16, Service, crate::knowledge::cors::CorsRules)>,
}

fn pack_guid(s: &str) -> Option<[u64; 2]> {
    let b = s.as_bytes();
    if b.len() != 36 || b[8] != b'-' || b[13] != b'-' || b[18] != b'-' || b[23] != b'-' {
        return None;
    }
    let mut v: u128 = 0;
    for (i, &c) in b.iter().enumerate() {
        if matches!(i, 8 | 13 | 18 | 23) {
            continue;
        }
        let d = match c {
            b'0'..=b'9' => c - b'0',
            b'a'..=b'f' => c - b'a' + 10,
            _ => return None, // upper case or not hex: intern to keep the text exact
        };
        v = (v << 4) | d as u128;
    }
    Some([(v >> 64) as u64, v as u64])
}

fn unpack_guid(p: [u64; 2]) -> String {
    let v = ((p[0] as u128) << 64) | p[1] as u128;
    let h = format!("{v:032x}");
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

impl Dataset {
    pub fn new() -> Dataset {
        Dataset {
            extras: vec![0],
            ..Default::default()
        }
    }

    /// Registers an input and returns a sink that files events under it.
    pub fn add_input(&mut self, path: &str, format: &str, confidence: f32) -> u16 {
        self.inputs.push(InputInfo {
            path: path.to_string(),
            format: format.to_string(),
            confidence,
            ..Default::default()
        });
        (self.inputs.len() - 1) as u16
    }

    pub fn sink(&mut self, input: u16) -> InputSink<'_> {
        InputSink { ds: self, input }
    }

    pub fn view(&self, index: usize) -> EventView<'_> {
        EventView {
            ds: self,
            ev: &self.events[index],
            index,
        }
    }

    pub fn iter(&self) -> impl Iterator<Item = EventView<'_>> {
        (0..self.events.len()).map(move |i| self.view(i))
    }

    pub fn str(&self, s: Sym) -> &str {
        self.strings.get(s)
    }

    /// Memory held by the index (events, strings, extras, SAS table), for benchmarks.
    pub fn heap_bytes(&self) -> usize {
        self.events.capacity() * std::mem::size_of::<Event>()
            + self.strings.heap_bytes()
            + self.extras.capacity() * 4
            + self.sas.capacity() * std::mem::size_of::<SasToken>()
    }

    fn push_extras(&mut self, pairs: &[(Field, u32)]) -> u32 {
        if pairs.is_empty() {
            return 0;
        }
        let at = self.extras.len() as u32;
        self.extras.push(pairs.len() as u32);
        for (f, v) in pairs {
            self.extras.push(*f as u32);
            self.extras.push(*v);
        }
        at
    }

    fn intern_sas(&mut self, t: SasToken) -> u32 {
        let key = format!("{}|{:?}", t.redacted_query(), t.signature_hash);
        if let Some(&i) = self.sas_index.get(&key) {
            return i;
        }
        let i = self.sas.len() as u32;
        self.sas.push(t);
        self.sas_index.insert(key, i);
        i
    }

    fn ingest(&mut self, input: u16, raw: RawEvent<'_>) {
        let mut extras: Vec<(Field, u32)> = Vec::with_capacity(raw.extras.len() + 2);
        let mut service = raw.service;
        let mut account: Cow<'_, str> = raw.account.clone();
        let mut resource: Cow<'_, str> = raw.resource.clone();
        if !raw.url.is_empty() {
            if let Some(u) = StorageUrl::parse(&raw.url) {
                if service == Service::Unknown {
                    service = u.service();
                }
                if account.is_empty() {
                    account = Cow::Owned(u.account().into_owned());
                }
                if resource.is_empty() {
                    resource = Cow::Owned(u.resource_key());
                }
                if !u.scheme.is_empty() && raw.source != SourceKind::Server {
                    let s = self.strings.intern(&u.scheme.to_ascii_lowercase());
                    extras.push((Field::Scheme, s.0));
                }
            }
            if let Some(t) = SasToken::from_url(&raw.url) {
                let i = self.intern_sas(t);
                extras.push((Field::Sas, i));
            }
            // Server rows are many and their URLs mostly unique: keep them out of the index (the
            // text is re-read from the file on demand).
            if raw.source != SourceKind::Server {
                let s = self.strings.intern(&redact(&raw.url));
                extras.push((Field::Url, s.0));
            }
        }
        for (f, v) in &raw.extras {
            let s = self.strings.intern(&redact(v));
            extras.push((*f, s.0));
        }
        let mut flags = 0u8;
        let time = match raw.time {
            Some(t) => {
                flags |= FLAG_HAS_TIME;
                let info = &mut self.inputs[input as usize];
                info.time_range = Some(match info.time_range {
                    Some((a, b)) => (a.min(t), b.max(t)),
                    None => (t, t),
                });
                t
            }
            None => Timestamp::default(),
        };
        let crid = match pack_guid(&raw.client_request_id) {
            Some(g) => g,
            None => {
                flags |= FLAG_CRID_SYM;
                [
                    self.strings.intern(&redact(&raw.client_request_id)).0 as u64,
                    0,
                ]
            }
        };
        let rid = match pack_guid(&raw.request_id) {
            Some(g) => g,
            None => {
                flags |= FLAG_RID_SYM;
                [self.strings.intern(&raw.request_id).0 as u64, 0]
            }
        };
        let ev = Event {
            time,
            offset: raw.location.offset,
            client_request_id: crid,
            request_id: rid,
            line: raw.location.line,
            operation: self.strings.intern(&raw.operation),
            resource: self.strings.intern(&redact(&resource)),
            error_code: self.strings.intern(&raw.error_code),
            account: self.strings.intern(&account),
            extras: self.push_extras(&extras),
            e2e_ms: raw.e2e_ms.unwrap_or(f32::NAN),
            server_ms: raw.server_ms.unwrap_or(f32::NAN),
            status: raw.status,
            input,
            source: raw.source,
            service,
            method: raw.method,
            auth: raw.auth,
            response_type: raw.response_type,
            flags,
        };
        self.events.push(ev);
        self.inputs[input as usize].events += 1;
    }

    /// Sorts events by time (stable; events without time keep their place at the start) and
    /// fills the per-input time strings. Called once after ingest.
    pub fn finish(&mut self) {
        self.events.sort_by_key(|e| (e.time, e.input, e.line));
        for info in &mut self.inputs {
            if let Some((a, b)) = info.time_range {
                info.first_time = Some(a.to_string());
                info.last_time = Some(b.to_string());
            }
        }
    }
}

/// The sink for one input of a dataset.
pub struct InputSink<'a> {
    ds: &'a mut Dataset,
    input: u16,
}

impl InputSink<'_> {
    pub fn set_lines(&mut self, lines: u64, bytes: u64) {
        let i = &mut self.ds.inputs[self.input as usize];
        i.lines = lines;
        i.bytes = bytes;
    }
}

impl EventSink for InputSink<'_> {
    fn event(&mut self, ev: RawEvent<'_>) {
        self.ds.ingest(self.input, ev);
    }

    fn skipped(&mut self, line: u64, reason: &str) {
        let i = &mut self.ds.inputs[self.input as usize];
        i.skipped_total += 1;
        if i.skipped.len() < MAX_SKIPPED_LISTED {
            i.skipped.push(Skipped {
                line,
                reason: reason.to_string(),
            });
        }
    }

    fn notice(&mut self, message: &str) {
        let i = &mut self.ds.inputs[self.input as usize];
        if !i.notices.iter().any(|n| n == message) {
            i.notices.push(message.to_string());
        }
    }

    fn cors_rules(&mut self, service: Service, rules: crate::knowledge::cors::CorsRules) {
        self.ds.cors_rules.push((self.input, service, rules));
    }
}

/// Read access to one event with its strings resolved.
#[derive(Clone, Copy)]
pub struct EventView<'a> {
    pub ds: &'a Dataset,
    pub ev: &'a Event,
    pub index: usize,
}

impl<'a> EventView<'a> {
    pub fn operation(&self) -> &'a str {
        self.ds.str(self.ev.operation)
    }
    pub fn resource(&self) -> &'a str {
        self.ds.str(self.ev.resource)
    }
    pub fn error_code(&self) -> &'a str {
        self.ds.str(self.ev.error_code)
    }
    pub fn account(&self) -> &'a str {
        self.ds.str(self.ev.account)
    }
    pub fn input(&self) -> &'a InputInfo {
        &self.ds.inputs[self.ev.input as usize]
    }
    pub fn time(&self) -> Option<Timestamp> {
        self.ev.time()
    }

    pub fn client_request_id(&self) -> Cow<'a, str> {
        if self.ev.flags & FLAG_CRID_SYM != 0 {
            Cow::Borrowed(self.ds.str(Sym(self.ev.client_request_id[0] as u32)))
        } else {
            Cow::Owned(unpack_guid(self.ev.client_request_id))
        }
    }

    pub fn request_id(&self) -> Cow<'a, str> {
        if self.ev.flags & FLAG_RID_SYM != 0 {
            Cow::Borrowed(self.ds.str(Sym(self.ev.request_id[0] as u32)))
        } else {
            Cow::Owned(unpack_guid(self.ev.request_id))
        }
    }

    /// A cheap key for joining on client request id (no string formatting).
    pub fn client_request_key(&self) -> Option<(bool, [u64; 2])> {
        let sym = self.ev.flags & FLAG_CRID_SYM != 0;
        if sym && self.ev.client_request_id[0] == 0 {
            return None;
        }
        Some((sym, self.ev.client_request_id))
    }

    /// A cheap key for joining on the service's request id.
    pub fn request_key(&self) -> Option<(bool, [u64; 2])> {
        let sym = self.ev.flags & FLAG_RID_SYM != 0;
        if sym && self.ev.request_id[0] == 0 {
            return None;
        }
        Some((sym, self.ev.request_id))
    }

    pub fn extras(&self) -> impl Iterator<Item = (Field, u32)> + 'a {
        let ex = &self.ds.extras;
        let at = self.ev.extras as usize;
        let n = if at == 0 { 0 } else { ex[at] as usize };
        (0..n).filter_map(move |k| {
            let f = Field::from_u32(ex[at + 1 + 2 * k])?;
            Some((f, ex[at + 2 + 2 * k]))
        })
    }

    /// The first value of a string extra.
    pub fn extra(&self, field: Field) -> Option<&'a str> {
        let ds = self.ds;
        self.extras()
            .find(|(f, _)| *f == field)
            .map(|(_, v)| ds.str(Sym(v)))
    }

    pub fn sas(&self) -> Option<&'a SasToken> {
        let ds = self.ds;
        self.extras()
            .find(|(f, _)| *f == Field::Sas)
            .and_then(|(_, v)| ds.sas.get(v as usize))
    }

    /// "file.log:12" for messages.
    pub fn cite(&self) -> String {
        format!("{}:{}", self.input().path, self.ev.line)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guid_round_trip() {
        let g = "417db530-853d-48a7-a23c-0c8d5f728178";
        assert_eq!(unpack_guid(pack_guid(g).unwrap()), g);
        assert!(pack_guid("417DB530-853D-48A7-A23C-0C8D5F728178").is_none());
        assert!(pack_guid("c3aa328b...").is_none());
    }

    #[test]
    fn event_record_stays_small() {
        assert!(
            std::mem::size_of::<Event>() <= 96,
            "{}",
            std::mem::size_of::<Event>()
        );
    }

    #[test]
    fn sink_redacts_and_keeps_sas_fields() {
        let mut ds = Dataset::new();
        let i = ds.add_input("x.log", "test", 1.0);
        ds.sink(i).event(RawEvent {
            url: "https://acct.blob.core.windows.net/c/b?se=2024-01-01T00%3A00%3A00Z&sig=c2VjcmV0c2lnbmF0dXJl".into(),
            client_request_id: "417db530-853d-48a7-a23c-0c8d5f728178".into(),
            ..Default::default()
        });
        let v = ds.view(0);
        assert_eq!(v.account(), "acct");
        assert_eq!(v.resource(), "/acct/c/b");
        assert_eq!(v.ev.service, Service::Blob);
        assert!(!v.extra(Field::Url).unwrap().contains("c2VjcmV0"));
        assert_eq!(v.sas().unwrap().se.as_deref(), Some("2024-01-01T00:00:00Z"));
        assert_eq!(
            v.client_request_id(),
            "417db530-853d-48a7-a23c-0c8d5f728178"
        );
    }
}
