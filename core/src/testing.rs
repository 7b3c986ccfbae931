//! Helpers for tests in this crate and in `core/tests`: render a dataset as stable text for
//! snapshots, and check that an input parses the same whatever slices it arrives in.

use std::fmt::Write;

use crate::model::Dataset;
use crate::Ingest;

/// Ingests `bytes` as one input, fed in slices of `slice` bytes.
pub fn ingest_in_slices(path: &str, bytes: &[u8], format: Option<&str>, slice: usize) -> Dataset {
    let mut ing = Ingest::new();
    ing.begin(path, format).expect("known format");
    for c in bytes.chunks(slice.max(1)) {
        ing.feed(c);
    }
    ing.finish()
}

/// A stable, readable rendering of every input and event (for snapshot tests).
pub fn dump(ds: &Dataset) -> String {
    let mut s = String::new();
    for i in &ds.inputs {
        let _ = writeln!(
            s,
            "input {} format={} confidence={:.2} lines={} events={} skipped={}",
            i.path, i.format, i.confidence, i.lines, i.events, i.skipped_total
        );
        for k in &i.skipped {
            let _ = writeln!(s, "  skipped {}: {}", k.line, k.reason);
        }
        for n in &i.notices {
            let _ = writeln!(s, "  notice: {n}");
        }
    }
    for v in ds.iter() {
        let e = v.ev;
        let _ = write!(
            s,
            "L{} {} {} {} {} {} {} {} status={} code={} crid={} rid={} auth={}",
            e.line,
            v.time()
                .map(|t| t.to_string())
                .unwrap_or_else(|| "-".into()),
            e.source.as_str(),
            e.service.as_str(),
            v.account(),
            e.method.as_str(),
            v.operation(),
            v.resource(),
            e.status,
            v.error_code(),
            v.client_request_id(),
            v.request_id(),
            e.auth.as_str(),
        );
        if e.response_type != crate::model::ResponseType::Unknown {
            let _ = write!(s, " rt={}", e.response_type.as_str());
        }
        if !e.e2e_ms.is_nan() {
            let _ = write!(s, " e2e={}", e.e2e_ms);
        }
        if !e.server_ms.is_nan() {
            let _ = write!(s, " server={}", e.server_ms);
        }
        for (f, val) in v.extras() {
            if f == crate::model::Field::Sas {
                let t = &ds.sas[val as usize];
                let _ = write!(s, " sas=[{}]", t.redacted_query());
            } else {
                let _ = write!(s, " {}={:?}", f.as_str(), v.extra_text(f, val));
            }
        }
        let _ = writeln!(s);
    }
    s
}

/// Panics unless `bytes` gives the same dataset fed whole and split at every point (every
/// point up to `max_points`; beyond that, evenly spread points).
pub fn assert_split_invariant(path: &str, bytes: &[u8], format: Option<&str>, max_points: usize) {
    let whole = dump(&ingest_in_slices(path, bytes, format, bytes.len().max(1)));
    let n = bytes.len();
    let step = if n <= max_points { 1 } else { n / max_points };
    let mut at = 1;
    while at < n {
        let mut ing = Ingest::new();
        ing.begin(path, format).expect("known format");
        ing.feed(&bytes[..at]);
        ing.feed(&bytes[at..]);
        let split = dump(&ing.finish());
        assert_eq!(
            whole, split,
            "{path}: different result when split at byte {at}"
        );
        at += step;
    }
}
