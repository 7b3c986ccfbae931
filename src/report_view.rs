//! The page's view of a report: the CLI's JSON schema (CONTRACTS.md), read back from the
//! worker. Unknown fields are ignored and missing ones default, so the page keeps working while
//! the schema grows.

use std::collections::BTreeMap;

use serde::Deserialize;

#[derive(Deserialize, Clone, Debug, PartialEq, Default)]
#[serde(default)]
pub struct ReportView {
    pub version: u32,
    pub inputs: Vec<InputView>,
    pub findings: Vec<FindingView>,
    pub summary: SummaryView,
}

#[derive(Deserialize, Clone, Debug, PartialEq, Default)]
#[serde(default)]
pub struct SkippedView {
    pub line: u64,
    pub reason: String,
}

#[derive(Deserialize, Clone, Debug, PartialEq, Default)]
#[serde(default)]
pub struct InputView {
    pub path: String,
    pub format: String,
    pub confidence: f32,
    pub events: u64,
    pub lines: u64,
    pub skipped: Vec<SkippedView>,
    pub skipped_total: u64,
    pub notices: Vec<String>,
    pub time_range: Option<[String; 2]>,
}

#[derive(Deserialize, Clone, Debug, PartialEq, Default)]
#[serde(default)]
pub struct ConfidenceView {
    pub level: String,
    pub raise_with: String,
}

#[derive(Deserialize, Clone, Debug, PartialEq, Default)]
#[serde(default)]
pub struct EvidenceView {
    pub path: String,
    pub line: u64,
    pub time: Option<String>,
    pub client_request_id: String,
    pub request_id: String,
    pub status: Option<u16>,
    pub error_code: String,
    pub fields: BTreeMap<String, String>,
}

#[derive(Deserialize, Clone, Debug, PartialEq, Default)]
#[serde(default)]
pub struct FindingView {
    pub rule: String,
    pub severity: String,
    pub title: String,
    pub explanation: String,
    pub fix: Vec<String>,
    pub confidence: ConfidenceView,
    pub first_seen: Option<String>,
    pub last_seen: Option<String>,
    pub count: u64,
    pub evidence: Vec<EvidenceView>,
    pub kql: Option<String>,
    pub cors_rule: Option<CorsRuleView>,
    pub cors_forms: Vec<CorsFormView>,
}

#[derive(Deserialize, Clone, Debug, PartialEq, Default)]
#[serde(default)]
pub struct CorsRuleView {
    pub service: String,
    pub allowed_origins: Vec<String>,
    pub allowed_methods: Vec<String>,
    pub allowed_headers: Vec<String>,
    pub exposed_headers: Vec<String>,
    pub max_age_seconds: u32,
}

/// One way of writing the CORS change (portal, az CLI, PowerShell, Bicep, ARM, XML, .NET, JS).
#[derive(Deserialize, Clone, Debug, PartialEq, Default)]
#[serde(default)]
pub struct CorsFormView {
    pub name: String,
    pub text: String,
}

#[derive(Deserialize, Clone, Debug, PartialEq, Default)]
#[serde(default)]
pub struct SkewView {
    pub source: String,
    pub seconds: f64,
}

#[derive(Deserialize, Clone, Debug, PartialEq, Default)]
#[serde(default)]
pub struct SummaryView {
    pub events: u64,
    pub requests: u64,
    pub time_range: Option<[String; 2]>,
    pub success_percent: Option<f64>,
    pub adjusted_success_percent: Option<f64>,
    pub clock_skew: Vec<SkewView>,
}

impl ReportView {
    pub fn parse(json: &str) -> Result<ReportView, String> {
        serde_json::from_str(json)
            .map_err(|e| format!("the worker's report could not be read: {e}"))
    }
}
