//! `cors-rules`: a storage account's current CORS rules, as the user exported them:
//!
//! * the Get Service Properties XML body (`<StorageServiceProperties><Cors><CorsRule>…`), or a
//!   bare `<Cors>` element;
//! * `az storage cors list` JSON (a list of rules with `Service` and `Rule`; older CLI versions
//!   write `Service` only on the first rule of each service, or key the rules by service);
//! * ARM/Bicep-shaped JSON with `corsRules` (a template, or `az storage account
//!   blob-service-properties show` output; the service comes from `type`/`id`).
//!
//! Such a file describes configuration, not requests: it produces no events. The rules go to the
//! dataset through [`EventSink::cors_rules`] for the `cors-blocked` rule to compare against.

use super::{Format, LineParser};
use crate::input::Line;
use crate::knowledge::cors::{lint, parse_rules};
use crate::model::EventSink;

pub struct CorsRulesFormat;

/// Rules documents are a few kilobytes; anything far larger is not one.
const MAX_DOCUMENT_BYTES: usize = 1 << 20;

impl Format for CorsRulesFormat {
    fn id(&self) -> &'static str {
        "cors-rules"
    }
    fn name(&self) -> &'static str {
        "Azure Storage CORS rules"
    }
    fn detect(&self, sample: &str) -> f32 {
        let t = sample.trim_start_matches('\u{feff}').trim_start();
        match t.chars().next() {
            Some('<') => {
                let has_rule = t.contains("<CorsRule>") || t.contains("<CorsRule ");
                let has_cors =
                    t.contains("<Cors>") || t.contains("<Cors/>") || t.contains("<Cors />");
                if has_rule || (has_cors && t.contains("<StorageServiceProperties")) {
                    0.95
                } else if has_cors {
                    0.6
                } else {
                    0.0
                }
            }
            Some('{') | Some('[') => {
                let l = t.to_ascii_lowercase();
                // A HAR may quote service properties in a response body; it is still a HAR.
                if l.contains("\"log\"") && l.contains("\"entries\"") {
                    return 0.0;
                }
                let key = |k: &str| l.contains(&format!("\"{k}\""));
                let rule_keys = (key("allowedorigins") || key("allowed_origins"))
                    && (key("allowedmethods") || key("allowed_methods"));
                if key("corsrules") || rule_keys {
                    0.9
                } else {
                    0.0
                }
            }
            _ => 0.0,
        }
    }
    fn parser(&self) -> Box<dyn LineParser> {
        Box::new(Parser::default())
    }
}

#[derive(Default)]
struct Parser {
    text: String,
    /// Line numbers of the non-blank lines taken into the document.
    lines: Vec<u64>,
    too_large: bool,
}

impl LineParser for Parser {
    fn line(&mut self, line: Line<'_>, sink: &mut dyn EventSink) {
        if self.too_large || self.text.len() + line.text.len() > MAX_DOCUMENT_BYTES {
            self.too_large = true;
            if !line.text.trim().is_empty() {
                sink.skipped(
                    line.number,
                    "beyond 1 MB: CORS rules documents are a few kilobytes, so the rest is not read",
                );
            }
            return;
        }
        if !line.text.trim().is_empty() {
            self.lines.push(line.number);
        }
        self.text.push_str(line.text);
        self.text.push('\n');
    }

    fn finish(&mut self, sink: &mut dyn EventSink) {
        if self.lines.is_empty() {
            return;
        }
        let doc = match parse_rules(&self.text) {
            Ok(d) => d,
            Err(e) => {
                let reason = format!("could not read the CORS rules: {e}");
                for &n in &self.lines {
                    sink.skipped(n, &reason);
                }
                return;
            }
        };
        for w in &doc.warnings {
            sink.notice(w);
        }
        for (service, rules) in doc.sets {
            let n = rules.rules.len();
            sink.notice(&format!(
                "{} CORS rule{} for {}{}",
                n,
                if n == 1 { "" } else { "s" },
                match service {
                    crate::model::Service::Unknown =>
                        "a service the file does not name".to_string(),
                    s => format!("the {} service", s.as_str()),
                },
                if n == 0 {
                    " (CORS is off: every cross-origin call is refused)"
                } else {
                    ""
                }
            ));
            for problem in lint(&rules.rules) {
                sink.notice(&problem);
            }
            sink.cors_rules(service, rules);
        }
    }
}

#[cfg(test)]
#[path = "cors_rules_tests.rs"]
mod tests;
