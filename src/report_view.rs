//! The page's view of a report: the CLI's JSON schema (CONTRACTS.md), read back from the
//! worker. Unknown fields are ignored and missing ones default, so the page keeps working while
//! the schema grows.

use std::collections::BTreeMap;
use std::rc::Rc;
use storage_doctor_core::knowledge::redact::neutralize_bidi;

use serde::Deserialize;

#[derive(Deserialize, Clone, Debug, PartialEq, Default)]
#[serde(default)]
pub struct ReportView {
    pub version: u32,
    pub inputs: Vec<InputView>,
    pub findings: Vec<FindingView>,
    pub summary: SummaryView,
    /// The JSON this view was read from, kept so the report can be shared exactly as the core
    /// wrote it (fields the page does not show included).
    #[serde(skip)]
    pub json: Rc<str>,
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
        // Bidi controls in log text could show a name or id reordered ("Trojan Source"); the
        // core writes them unescaped, so neutralizing the text neutralizes every string.
        let mut view: ReportView = serde_json::from_str(&neutralize_bidi(json))
            .map_err(|e| format!("the worker's report could not be read: {e}"))?;
        view.json = Rc::from(json);
        Ok(view)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bidi_controls_in_log_text_are_shown_as_replacement_characters() {
        let json = "{\"inputs\":[{\"path\":\"invoice\u{202E}gpj.exe\"}],\
                    \"findings\":[{\"title\":\"a\u{2066}b\u{2069}\"}]}";
        let view = ReportView::parse(json).unwrap();
        assert_eq!(view.inputs[0].path, "invoice\u{FFFD}gpj.exe");
        assert_eq!(view.findings[0].title, "a\u{FFFD}b\u{FFFD}");
        // The report is kept as it came, for sharing; the receiving page neutralizes it again.
        assert_eq!(&*view.json, json);
    }
}
