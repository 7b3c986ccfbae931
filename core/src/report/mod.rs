//! The analysis report: what the CLI prints and the page shows (CONTRACTS.md § CLI).

pub mod kql;
mod render;
pub mod share;
pub mod table;
pub mod timeline;

use serde::Serialize;

use crate::correlate::Correlation;
use crate::knowledge::expected::expected_reason;
use crate::model::{Dataset, Skipped, SourceKind, Timestamp};
use crate::rules::{self, Context, Finding};

pub use render::{to_markdown, to_text};

/// One input as reported.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct InputReport {
    pub path: String,
    pub format: String,
    pub confidence: f32,
    pub events: u64,
    pub lines: u64,
    pub skipped: Vec<Skipped>,
    pub skipped_total: u64,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notices: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time_range: Option<[String; 2]>,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct ClockSkew {
    pub source: String,
    /// Seconds the source's clock is ahead of the service's (negative: behind).
    pub seconds: f64,
}

#[derive(Clone, Debug, Serialize, PartialEq, Default)]
pub struct Summary {
    pub events: u64,
    pub requests: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time_range: Option<[String; 2]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub success_percent: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub adjusted_success_percent: Option<f64>,
    pub clock_skew: Vec<ClockSkew>,
}

/// The whole report (`analyze --format json` prints exactly this).
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Report {
    pub version: u32,
    pub inputs: Vec<InputReport>,
    pub findings: Vec<Finding>,
    pub summary: Summary,
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

impl Report {
    /// Correlates, runs every rule, and summarises.
    pub fn build(ds: &Dataset) -> Report {
        Report::from_correlation(ds, &Correlation::build(ds))
    }

    /// Runs every rule and summarises, over a correlation the caller already has (the page's
    /// worker keeps it for the requests table; building it twice doubled the most expensive
    /// step of the diagnosis).
    pub fn from_correlation(ds: &Dataset, correlation: &Correlation) -> Report {
        Report::from_correlation_on(ds, correlation, 1)
    }

    /// [`Report::build`] with the rules run on up to `threads` threads ([`rules::run_all_on`]):
    /// the same report, sooner where there are cores to spare (the CLI).
    pub fn build_on(ds: &Dataset, threads: usize) -> Report {
        Report::from_correlation_on(ds, &Correlation::build(ds), threads)
    }

    fn from_correlation_on(ds: &Dataset, correlation: &Correlation, threads: usize) -> Report {
        let cx = Context::new(ds, correlation);
        let findings = rules::run_all_on(&cx, threads);
        Report {
            version: 1,
            inputs: ds
                .inputs
                .iter()
                .map(|i| InputReport {
                    path: i.path.clone(),
                    format: i.format.clone(),
                    confidence: (i.confidence * 100.0).round() / 100.0,
                    events: i.events,
                    lines: i.lines,
                    skipped: i.skipped.clone(),
                    skipped_total: i.skipped_total,
                    notices: i.notices.clone(),
                    time_range: i
                        .first_time
                        .clone()
                        .zip(i.last_time.clone())
                        .map(|(a, b)| [a, b]),
                })
                .collect(),
            findings,
            summary: summarize(ds, correlation, cx.facts()),
        }
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("report serializes")
    }
}

fn summarize(ds: &Dataset, c: &Correlation, facts: &[rules::RowFacts]) -> Summary {
    // Each input's first and last time were kept while it was read.
    let mut lo: Option<Timestamp> = None;
    let mut hi: Option<Timestamp> = None;
    for (a, b) in ds.inputs.iter().filter_map(|i| i.time_range) {
        lo = Some(lo.map_or(a, |x| x.min(a)));
        hi = Some(hi.map_or(b, |x| x.max(b)));
    }
    let (success_percent, adjusted_success_percent) = success_rates(ds, facts);
    Summary {
        events: ds.events.len() as u64,
        requests: c.requests.len() as u64,
        time_range: lo.zip(hi).map(|(a, b)| [a.to_string(), b.to_string()]),
        success_percent,
        adjusted_success_percent,
        clock_skew: clock_skew(ds, c),
    }
}

/// Success rate, and the rate once expected errors are set aside.
fn success_rates(ds: &Dataset, facts: &[rules::RowFacts]) -> (Option<f64>, Option<f64>) {
    // Success rates come from the service's view when there is one (as PercentSuccess does);
    // otherwise from whatever observed responses.
    let has_server = ds.sources().contains(SourceKind::Server);
    let mut total = 0u64;
    let mut ok = 0u64;
    let mut expected = 0u64;
    // Counted from the rows' compact facts; only failures are read in full.
    for (i, r) in facts.iter().enumerate() {
        if r.status == 0 || (has_server && r.source != SourceKind::Server) {
            continue;
        }
        if r.source == SourceKind::Metrics || r.source == SourceKind::Console {
            continue;
        }
        total += 1;
        if r.status < 400 && r.status != 304 {
            ok += 1;
        } else if expected_reason(&ds.view(i)).is_some() {
            expected += 1;
        }
    }
    let pct = |n: u64| (total > 0).then(|| round1(n as f64 * 100.0 / total as f64));
    let (mut success_percent, mut adjusted_success_percent) = (pct(ok), pct(ok + expected));
    // Without a server log, metrics are the service's own count of every transaction: weight
    // each row by its count. ClientOtherError is the class of expected failures (404 probes,
    // 409 already-exists, 304/412 conditions), so the adjusted figure sets it aside.
    if !has_server {
        use crate::model::ResponseType;
        let (mut m_total, mut m_ok, mut m_expected) = (0f64, 0f64, 0f64);
        for v in ds.iter().filter(|v| v.ev.source == SourceKind::Metrics) {
            let rt = v.ev.response_type;
            if matches!(rt, ResponseType::Unknown | ResponseType::ErrorCode) {
                continue; // a series whose class is unknown (e.g. an unsplit total)
            }
            let n = v.transactions();
            if n <= 0.0 {
                continue;
            }
            m_total += n;
            match rt {
                ResponseType::Success => m_ok += n,
                ResponseType::ClientOtherError => m_expected += n,
                _ => {}
            }
        }
        if m_total > 0.0 {
            success_percent = Some(round1(m_ok * 100.0 / m_total));
            adjusted_success_percent = Some(round1((m_ok + m_expected) * 100.0 / m_total));
        }
    }
    (success_percent, adjusted_success_percent)
}

/// How far each client or network input's clock is from the service's, named by its path.
fn clock_skew(ds: &Dataset, c: &Correlation) -> Vec<ClockSkew> {
    c.skew
        .iter()
        .filter_map(|s| {
            Some(ClockSkew {
                source: ds.inputs.get(s.input as usize)?.path.clone(),
                seconds: round1(s.seconds),
            })
        })
        .collect()
}
