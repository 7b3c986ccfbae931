//! Share links: a report packed into a URL fragment (`#/report/<payload>`, CONTRACTS.md), so a
//! diagnosis can be sent to a colleague without sending the logs.
//!
//! A payload carries the findings with their evidence, the summary and the inputs' names and
//! formats — never a log line that no finding quotes, never the skipped-line list. It is
//! `base64url(deflate(JSON))`, where the JSON is the CLI schema's shape plus a `schema` number.
//! Opening a link happens on whatever copy of the page the link points at, entirely in that
//! browser: the fragment is never sent to a server.
//!
//! Because a link ends up in chats and tickets, every string is passed through
//! [`redact`] again when the payload is made (the report was
//! already redacted at parse time; this guards against a rule that quotes something the parser
//! did not see as a secret), and again when it is read (a hand-made link cannot show a secret
//! either). Reading is defensive: a payload is untrusted input of bounded size, and every way it
//! can be wrong gives a [`ShareError`] with a message fit for the page, never a panic.

use std::collections::BTreeMap;
use std::io::{Read, Write};

use flate2::read::DeflateDecoder;
use flate2::write::DeflateEncoder;
use flate2::Compression;
use serde::{Deserialize, Serialize};

use super::Report;
use crate::knowledge::redact::redact;
use crate::rules::MAX_EVIDENCE;

/// Version of the payload's JSON. A reader refuses newer schemas with a clear message instead of
/// half-reading them.
pub const SCHEMA: u32 = 1;
/// Longest payload accepted (characters of base64url). Links far longer than this are cut by
/// chat tools and mail clients anyway.
pub const MAX_PAYLOAD: usize = 64 * 1024;
/// Largest JSON a payload may inflate to: deflate can expand a thousandfold, so a short link
/// must not become a gigabyte in the reader's tab.
pub const MAX_JSON: usize = 1024 * 1024;
/// Evidence rows kept per finding when a whole report does not fit in [`MAX_PAYLOAD`]: the
/// largest that fits is used (`count` still counts every occurrence). A report's lists never
/// exceed [`MAX_EVIDENCE`], which [`decode`] enforces.
const EVIDENCE_CAPS: [usize; 7] = [MAX_EVIDENCE, 20, 10, 5, 2, 1, 0];

/// Why a report could not be shared, or a link could not be read.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ShareError {
    #[error("the link holds no report (nothing follows #/report/)")]
    Empty,
    #[error("the link is too long to be a shared report ({len} characters; at most {max})")]
    TooLong { len: usize, max: usize },
    #[error(
        "the link is damaged: character {at} ({ch:?}) cannot appear in a shared report; \
         was the link cut or changed when it was copied?"
    )]
    BadCharacter { at: usize, ch: char },
    #[error("the link is damaged: it was probably cut short when it was copied")]
    Truncated,
    #[error("the link is damaged: its compressed data is corrupt ({0})")]
    Corrupt(String),
    #[error("the shared report would expand to more than {max} bytes, so it was not opened")]
    TooLarge { max: usize },
    #[error(
        "this link was made by a newer version of Storage Doctor (report schema {found}; this \
         page reads schema {SCHEMA}); open it with an up-to-date copy"
    )]
    NewerSchema { found: u32 },
    #[error("the link does not hold a valid shared report: {0}")]
    Invalid(String),
    #[error("the report cannot be shared: {0}")]
    Unshareable(String),
    #[error(
        "the report is too large for a link even without evidence rows ({len} characters; at \
         most {max}); export it as a file instead"
    )]
    ReportTooLarge { len: usize, max: usize },
}

/// What a payload holds, in the CLI schema's field names (CONTRACTS.md § CLI).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SharedReport {
    pub schema: u32,
    pub inputs: Vec<SharedInput>,
    pub findings: Vec<SharedFinding>,
    pub summary: SharedSummary,
}

/// An input's name and format and how much of it was read: no line of it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SharedInput {
    pub path: String,
    pub format: String,
    #[serde(default)]
    pub confidence: f32,
    #[serde(default)]
    pub events: u64,
    #[serde(default)]
    pub lines: u64,
    #[serde(default)]
    pub skipped_total: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SharedSeverity {
    Error,
    Warning,
    Info,
    Benign,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SharedLevel {
    High,
    Medium,
    Low,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SharedConfidence {
    pub level: SharedLevel,
    #[serde(default)]
    pub raise_with: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SharedEvidence {
    pub path: String,
    pub line: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time: Option<String>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub client_request_id: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub request_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub error_code: String,
    #[serde(default)]
    pub fields: BTreeMap<String, String>,
}

/// The CORS rule a `cors-blocked` finding proposes (the eight written-out forms are derived from
/// it, so they are not carried).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SharedCorsRule {
    pub service: String,
    pub allowed_origins: Vec<String>,
    pub allowed_methods: Vec<String>,
    pub allowed_headers: Vec<String>,
    pub exposed_headers: Vec<String>,
    pub max_age_seconds: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SharedFinding {
    pub rule: String,
    pub severity: SharedSeverity,
    pub title: String,
    #[serde(default)]
    pub explanation: String,
    #[serde(default)]
    pub fix: Vec<String>,
    pub confidence: SharedConfidence,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_seen: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_seen: Option<String>,
    pub count: u64,
    #[serde(default)]
    pub evidence: Vec<SharedEvidence>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kql: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cors_rule: Option<SharedCorsRule>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SharedSkew {
    pub source: String,
    pub seconds: f64,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct SharedSummary {
    #[serde(default)]
    pub events: u64,
    #[serde(default)]
    pub requests: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_range: Option<[String; 2]>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub success_percent: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub adjusted_success_percent: Option<f64>,
    #[serde(default)]
    pub clock_skew: Vec<SharedSkew>,
}

/// The parts of a CLI report a link keeps (fields not named here — skipped lines, notices,
/// generated CORS forms — are dropped by serde).
#[derive(Deserialize)]
struct CliReport {
    inputs: Vec<SharedInput>,
    findings: Vec<SharedFinding>,
    summary: SharedSummary,
}

/// A payload made by [`encode`] or [`encode_json`].
#[derive(Debug, Clone, PartialEq)]
pub struct Encoded {
    /// base64url text for `#/report/<payload>`.
    pub payload: String,
    /// `Some(n)` when evidence lists were cut to `n` rows per finding to fit in a link.
    pub evidence_per_finding: Option<usize>,
}

/// Packs a report for a link.
pub fn encode(report: &Report) -> Result<Encoded, ShareError> {
    encode_json(&report.to_json())
}

/// Packs a report given as CLI JSON (`analyze --format json`, or what the page's worker sends).
///
/// Everything here and in [`decode`] goes through typed structs and byte slices, never
/// `serde_json::Value`: the page links this code, and each extra way of (de)serializing the same
/// types costs its wasm size.
pub fn encode_json(report_json: &str) -> Result<Encoded, ShareError> {
    let cli: CliReport = serde_json::from_slice(report_json.as_bytes()).map_err(|e| {
        ShareError::Unshareable(format!("it is not a report in the CLI schema ({e})"))
    })?;
    let mut full = SharedReport {
        schema: SCHEMA,
        inputs: cli.inputs,
        findings: cli.findings,
        summary: cli.summary,
    };
    full.redact();
    validate(&full).map_err(ShareError::Unshareable)?;
    let longest = full
        .findings
        .iter()
        .map(|f| f.evidence.len())
        .max()
        .unwrap_or(0);
    // The whole report first; then fewer evidence rows per finding until it fits.
    let caps = std::iter::once(longest).chain(EVIDENCE_CAPS.into_iter().filter(|&c| c < longest));
    let mut last_len = 0;
    for cap in caps {
        let mut shared = full.clone();
        for f in &mut shared.findings {
            f.evidence.truncate(cap);
        }
        let payload = pack(&shared)?;
        if payload.len() <= MAX_PAYLOAD {
            return Ok(Encoded {
                payload,
                evidence_per_finding: (cap < longest).then_some(cap),
            });
        }
        last_len = payload.len();
    }
    Err(ShareError::ReportTooLarge {
        len: last_len,
        max: MAX_PAYLOAD,
    })
}

fn pack(shared: &SharedReport) -> Result<String, ShareError> {
    let json = serde_json::to_vec(shared)
        .map_err(|e| ShareError::Unshareable(format!("it could not be written: {e}")))?;
    let mut z = DeflateEncoder::new(Vec::new(), Compression::best());
    z.write_all(&json)
        .and_then(|_| z.finish())
        .map(|bytes| base64url_encode(&bytes))
        .map_err(|e| ShareError::Unshareable(format!("it could not be compressed: {e}")))
}

fn redact_in_place(s: &mut String) {
    if let std::borrow::Cow::Owned(r) = redact(s) {
        *s = r;
    }
}

fn redact_all(items: &mut [String]) {
    items.iter_mut().for_each(redact_in_place);
}

impl SharedReport {
    /// Passes every string of the report — map keys included — through the redactor. (A test
    /// checks this against a generic walk over the JSON, so a field added later and not listed
    /// here is noticed.)
    fn redact(&mut self) {
        for i in &mut self.inputs {
            redact_in_place(&mut i.path);
            redact_in_place(&mut i.format);
        }
        for f in &mut self.findings {
            redact_in_place(&mut f.rule);
            redact_in_place(&mut f.title);
            redact_in_place(&mut f.explanation);
            redact_all(&mut f.fix);
            redact_in_place(&mut f.confidence.raise_with);
            f.first_seen.iter_mut().for_each(redact_in_place);
            f.last_seen.iter_mut().for_each(redact_in_place);
            f.kql.iter_mut().for_each(redact_in_place);
            for e in &mut f.evidence {
                redact_in_place(&mut e.path);
                e.time.iter_mut().for_each(redact_in_place);
                redact_in_place(&mut e.client_request_id);
                redact_in_place(&mut e.request_id);
                redact_in_place(&mut e.error_code);
                e.fields = std::mem::take(&mut e.fields)
                    .into_iter()
                    .map(|(mut k, mut v)| {
                        redact_in_place(&mut k);
                        redact_in_place(&mut v);
                        (k, v)
                    })
                    .collect();
            }
            if let Some(c) = &mut f.cors_rule {
                redact_in_place(&mut c.service);
                redact_all(&mut c.allowed_origins);
                redact_all(&mut c.allowed_methods);
                redact_all(&mut c.allowed_headers);
                redact_all(&mut c.exposed_headers);
            }
        }
        if let Some(range) = &mut self.summary.time_range {
            redact_all(range);
        }
        for k in &mut self.summary.clock_skew {
            redact_in_place(&mut k.source);
        }
    }
}

/// The first look at a payload's JSON: only its schema number.
#[derive(Deserialize)]
struct Probe {
    #[serde(default)]
    schema: Option<u64>,
}

/// Reads a payload back, checking everything a hand-made or damaged link could get wrong.
pub fn decode(payload: &str) -> Result<SharedReport, ShareError> {
    if payload.is_empty() {
        return Err(ShareError::Empty);
    }
    if payload.len() > MAX_PAYLOAD {
        return Err(ShareError::TooLong {
            len: payload.len(),
            max: MAX_PAYLOAD,
        });
    }
    let compressed = base64url_decode(payload)?;
    let mut json = Vec::new();
    DeflateDecoder::new(compressed.as_slice())
        .take(MAX_JSON as u64 + 1)
        .read_to_end(&mut json)
        .map_err(|e| ShareError::Corrupt(e.to_string()))?;
    if json.len() > MAX_JSON {
        return Err(ShareError::TooLarge { max: MAX_JSON });
    }
    // The schema number decides how the rest is read, so it is checked on its own first.
    let probe: Probe = serde_json::from_slice(&json).map_err(|e| {
        ShareError::Invalid(if e.is_data() {
            format!("it is not a shared report ({e})")
        } else {
            format!("its JSON is malformed ({e})")
        })
    })?;
    match probe.schema {
        None => return Err(ShareError::Invalid("it has no schema number".into())),
        Some(0) => return Err(ShareError::Invalid("schema 0 does not exist".into())),
        Some(n) if n > SCHEMA as u64 => {
            return Err(ShareError::NewerSchema {
                found: u32::try_from(n).unwrap_or(u32::MAX),
            })
        }
        Some(_) => {}
    }
    let mut shared: SharedReport = serde_json::from_slice(&json)
        .map_err(|e| ShareError::Invalid(format!("it does not have the expected fields ({e})")))?;
    shared.redact();
    validate(&shared).map_err(ShareError::Invalid)?;
    Ok(shared)
}

/// An input as the CLI schema writes it (the skipped-line list is never shared).
#[derive(Serialize)]
struct CliInputOut<'a> {
    path: &'a str,
    format: &'a str,
    confidence: f32,
    events: u64,
    lines: u64,
    skipped: [u8; 0],
    skipped_total: u64,
}

/// A shared report in the CLI schema (`version` 1), which is how the page reads every report.
#[derive(Serialize)]
struct CliOut<'a> {
    version: u32,
    inputs: Vec<CliInputOut<'a>>,
    findings: &'a [SharedFinding],
    summary: &'a SharedSummary,
}

/// Reads a payload back as CLI JSON, which is how the page reads every report.
pub fn decode_to_json(payload: &str) -> Result<String, ShareError> {
    let shared = decode(payload)?;
    let report = CliOut {
        version: 1,
        inputs: shared
            .inputs
            .iter()
            .map(|i| CliInputOut {
                path: &i.path,
                format: &i.format,
                confidence: i.confidence,
                events: i.events,
                lines: i.lines,
                skipped: [],
                skipped_total: i.skipped_total,
            })
            .collect(),
        findings: &shared.findings,
        summary: &shared.summary,
    };
    serde_json::to_string(&report)
        .map_err(|e| ShareError::Invalid(format!("it could not be rewritten as a report: {e}")))
}

/// Checks the parts serde cannot: ids are ids, lists stay within the report's own limits.
fn validate(r: &SharedReport) -> Result<(), String> {
    let bad = |m: String| Err(m);
    // Rule and format ids name things the page knows (and end up in attributes): ids only.
    let id_ok = |id: &str| {
        !id.is_empty()
            && id.len() <= 64
            && id
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    };
    for (i, input) in r.inputs.iter().enumerate() {
        if !id_ok(&input.format) {
            return bad(format!("input {} has a malformed format id", i + 1));
        }
    }
    for (i, f) in r.findings.iter().enumerate() {
        let n = i + 1;
        if !id_ok(&f.rule) {
            return bad(format!("finding {n} has a malformed rule id"));
        }
        if f.evidence.len() > MAX_EVIDENCE {
            return bad(format!(
                "finding {n} lists {} evidence rows (at most {MAX_EVIDENCE})",
                f.evidence.len()
            ));
        }
        // `count` counts occurrences; one occurrence may rest on several evidence rows (a
        // delete and the failed create it explains), so the two are not compared.
    }
    Ok(())
}

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// base64url without padding (RFC 4648 §5): every character is safe in a URL fragment.
pub fn base64url_encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | ((*b as u32) << (16 - 8 * i)));
        let chars = chunk.len() + 1;
        for i in 0..chars {
            out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
        }
    }
    out
}

fn sextet(c: u8) -> Option<u32> {
    Some(match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'-' => 62,
        b'_' => 63,
        _ => return None,
    } as u32)
}

/// Decodes unpadded base64url, naming the first character that does not belong.
pub fn base64url_decode(text: &str) -> Result<Vec<u8>, ShareError> {
    if let Some((at, ch)) = text
        .chars()
        .enumerate()
        .find(|(_, c)| !c.is_ascii() || sextet(*c as u8).is_none())
    {
        return Err(ShareError::BadCharacter { at: at + 1, ch });
    }
    let b = text.as_bytes();
    // A last group of one character cannot hold a whole byte: the text was cut.
    if b.len() % 4 == 1 {
        return Err(ShareError::Truncated);
    }
    let mut out = Vec::with_capacity(b.len() / 4 * 3 + 2);
    for chunk in b.chunks(4) {
        let n = chunk.iter().enumerate().fold(0u32, |n, (i, c)| {
            n | (sextet(*c).expect("checked above") << (18 - 6 * i))
        });
        for i in 0..chunk.len() - 1 {
            out.push((n >> (16 - 8 * i)) as u8);
        }
    }
    Ok(out)
}

#[cfg(test)]
#[path = "share_tests.rs"]
mod tests;
