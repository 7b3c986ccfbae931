//! `percent-success-explained`: the success rate the service reports (PercentSuccess), the rate
//! once expected errors are set aside, and the breakdown by response type, from a server log or
//! a metrics export.

use super::ops_common::{confidence, finding, listed, services, Seen};
use super::{Context, Evidence, Finding, Level, Rule, Severity};
use crate::knowledge::expected::expected_reason;
use crate::model::{EventView, Field, ResponseType, SourceKind};
use crate::report::kql::Kql;

pub struct PercentSuccessExplained;

/// The response-type class of a row, from the service's classification when it gave one, else
/// from the status code the way the service assigns them.
pub(crate) fn class(v: &EventView<'_>) -> &'static str {
    class_of(v.ev.response_type, v.ev.status, || v.error_code())
}

/// [`class`] from the fields it reads; the error code is asked for only for a 500.
fn class_of<'a>(
    response_type: ResponseType,
    status: u16,
    error_code: impl FnOnce() -> &'a str,
) -> &'static str {
    match response_type {
        ResponseType::Unknown | ResponseType::ErrorCode => {}
        rt => return rt.as_str(),
    }
    match status {
        200..=299 => "Success",
        403 => "AuthorizationError",
        503 => "ThrottlingError",
        500 if error_code() == "OperationTimedOut" => "ServerTimeoutError",
        500..=599 => "ServerOtherError",
        300..=499 => "ClientOtherError",
        _ => "Unknown",
    }
}

/// Counts by class, with the error codes seen in each.
#[derive(Default)]
struct Tally {
    total: f64,
    success: f64,
    expected: f64,
    classes: Vec<(&'static str, f64, Vec<String>)>,
    failures: Vec<usize>,
}

impl Tally {
    fn add(&mut self, class: &'static str, n: f64, code: &str) {
        self.total += n;
        let slot = match self.classes.iter_mut().find(|(c, _, _)| *c == class) {
            Some(s) => s,
            None => {
                self.classes.push((class, 0.0, Vec::new()));
                self.classes.last_mut().expect("just pushed")
            }
        };
        slot.1 += n;
        if !code.is_empty() && !slot.2.iter().any(|c| c == code) && slot.2.len() < 6 {
            slot.2.push(code.to_string());
        }
    }
}

fn pct(n: f64, total: f64) -> f64 {
    (n * 1000.0 / total).round() / 10.0
}

impl Rule for PercentSuccessExplained {
    fn id(&self) -> &'static str {
        "percent-success-explained"
    }
    fn default_severity(&self) -> Severity {
        Severity::Info
    }
    fn run(&self, cx: &Context<'_>) -> Vec<Finding> {
        let has_server = cx.ds.sources().contains(SourceKind::Server);
        let mut t = Tally::default();
        let from_metrics = !has_server;
        for (i, f) in cx.facts().iter().enumerate() {
            if has_server {
                // Rows whose status the service could not record say nothing about success.
                if f.source != SourceKind::Server || f.status == 0 {
                    continue;
                }
                // A success without an error code, most rows of a server log: what it adds is
                // all in its facts.
                if cx.facts_decide() && (200..300).contains(&f.status) && !f.has_error_code() {
                    t.add(class_of(f.response_type, f.status, || ""), 1.0, "");
                    t.success += 1.0;
                    continue;
                }
            } else if f.source != SourceKind::Metrics {
                continue;
            }
            let v = cx.ds.view(i);
            let e = v.ev;
            if has_server {
                let c = class(&v);
                t.add(c, 1.0, v.error_code());
                // The same test PercentSuccess uses: 2xx succeed, 3xx-5xx do not.
                if (200..300).contains(&e.status) {
                    t.success += 1.0;
                } else {
                    if expected_reason(&v).is_some() {
                        t.expected += 1.0;
                    }
                    t.failures.push(v.index);
                }
            } else if e.source == SourceKind::Metrics {
                let n = v.transactions();
                if n <= 0.0 {
                    continue;
                }
                let c = class(&v);
                t.add(c, n, "");
                if c == "Success" {
                    t.success += n;
                } else {
                    // Per-request detail is not in metrics: every ClientOtherError may be an
                    // expected one, so the adjusted rate is an upper bound.
                    if c == "ClientOtherError" {
                        t.expected += n;
                    }
                    t.failures.push(v.index);
                }
            }
        }
        if t.total <= 0.0 || t.success >= t.total {
            return Vec::new();
        }
        t.classes
            .sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(b.0)));
        let raw = pct(t.success, t.total);
        let adjusted = pct(t.success + t.expected, t.total);
        let parts: Vec<String> = t
            .classes
            .iter()
            .map(|(c, n, codes)| {
                let codes = if codes.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", codes.join(", "))
                };
                format!("{c} {} = {}%{codes}", *n as u64, pct(*n, t.total))
            })
            .collect();
        let title = if from_metrics {
            format!(
                "Success {raw}% of {} transactions; at most {adjusted}% once expected errors are \
                 set aside",
                t.total as u64
            )
        } else {
            format!(
                "Success {raw}% of {} requests; {adjusted}% once expected errors are set aside",
                t.total as u64
            )
        };
        let source = if from_metrics {
            "the metrics export"
        } else {
            "the server-side log"
        };
        let expected_note = if from_metrics {
            "Metrics do not say which ClientOtherError answers were expected ones (404 from \
             existence checks, 409 from create-if-not-exists, 304 from conditional reads), so \
             the adjusted rate counts all of them as expected and is an upper bound."
                .to_string()
        } else {
            format!(
                "Expected answers among the {} failed requests: {} (404 from existence checks, \
                 409 from create-if-not-exists, 304/412 from conditional requests); for those \
                 the service did what was asked, and they do not count against availability.",
                t.failures.len(),
                t.expected as u64
            )
        };
        let explanation = format!(
            "Like the PercentSuccess metric, this counts only 2xx answers as successes, so \
             expected 3xx and 4xx answers pull it down. By response type, from {source}: {}. \
             {expected_note} Look at the other findings for what remains.",
            parts.join("; ")
        );
        let evidence: Vec<Evidence> = listed(&t.failures)
            .iter()
            .map(|&i| {
                let v = cx.ds.view(i);
                let mut e = Evidence::from_event(&v)
                    .field("operation", v.operation())
                    .field("response_type", class(&v));
                if let Some(r) = expected_reason(&v) {
                    e = e.field("expected", r);
                }
                if let Some(c) = v.extra(Field::Count) {
                    e = e.field("count", c);
                }
                e
            })
            .collect();
        let conf = if from_metrics {
            confidence(
                Level::Medium,
                "Add the resource logs (StorageBlobLogs …) or the $logs files for the same \
                 period: each failed request's error code shows whether it was expected.",
            )
        } else {
            confidence(Level::High, "")
        };
        let svcs = services(cx, &evidence);
        vec![finding(
            self.id(),
            self.default_severity(),
            title,
            explanation,
            &[
                "Judge the service by the adjusted rate and by availability, not by the raw \
                 success percentage.",
                "Exclude expected answers (…AlreadyExists on creates, 404 on existence checks, \
                 304/412 on conditional requests) from alerts on the success rate.",
                "Investigate the failures that remain, starting with the error and warning \
                 findings of this report.",
            ],
            conf,
            evidence,
            Some(Seen::of(cx, &t.failures)),
            |a, b| {
                Kql::over("rows")
                    .with("rows", Kql::from(&svcs, a, b))
                    .let_scalar("total", "toscalar(rows | count)")
                    .pipe(
                        "summarize Requests = count() by MetricResponseType, StatusCode, \
                         StatusText",
                    )
                    .pipe("extend Share = round(100.0 * Requests / total, 1)")
                    .pipe("order by Requests desc")
                    .build()
            },
        )]
    }
}

#[cfg(test)]
#[path = "percent_success_explained_tests.rs"]
mod tests;
