//! `sas-expired`: the SAS expiry (`se`) was already past when the request arrived.

use super::{Confidence, Context, Evidence, Finding, Level, Rule, Severity};
use crate::knowledge::auth_failure::{human_duration, parse_time_frame};
use crate::model::{EventView, Field};

pub struct SasExpired;

/// Why one event counts as an expired-SAS failure, if it does.
fn judge(v: &EventView<'_>) -> Option<(Evidence, bool)> {
    let failed = v.ev.status == 403 || v.ev.status == 0 && v.extra(Field::Detail).is_some();
    if !failed {
        return None;
    }
    let detail = v.extra(Field::Detail).unwrap_or("");
    let sas = v.sas();
    // 1. The service said so, with its own clock.
    if let Some(tf) = parse_time_frame(detail) {
        let expired = match (tf.current, tf.expiry) {
            (Some(c), Some(e)) => c >= e,
            _ => tf.expiry_before_start,
        };
        if expired {
            let mut e = Evidence::from_event(v)
                .field("detail", detail)
                .field("se", tf.expiry.map(|t| t.to_string()).unwrap_or_default());
            if let (Some(c), Some(x)) = (tf.current, tf.expiry) {
                e = e
                    .field("service_time", c.to_string())
                    .field("expired_for", human_duration(c.seconds_since(x)));
            }
            if let Some(s) = sas.and_then(|s| s.st.clone()) {
                e = e.field("st", s);
            }
            return Some((e, true));
        }
        return None;
    }
    // 2. The token's `se` against the request's own time.
    let sas = sas?;
    let se = sas.expiry()?;
    let t = v.time()?;
    if t < se {
        return None;
    }
    let mut e = Evidence::from_event(v)
        .field("se", se.to_string())
        .field("request_time", t.to_string())
        .field("expired_for", human_duration(t.seconds_since(se)));
    if let Some(st) = &sas.st {
        e = e.field("st", st.clone());
    }
    if let Some(si) = &sas.si {
        e = e.field("si", si.clone());
    }
    Some((e, false))
}

impl Rule for SasExpired {
    fn id(&self) -> &'static str {
        "sas-expired"
    }
    fn default_severity(&self) -> Severity {
        Severity::Error
    }
    fn run(&self, cx: &Context<'_>) -> Vec<Finding> {
        let mut evidence = Vec::new();
        let mut confirmed = false;
        // `judge`'s first test, on the compact facts.
        let failed = |r: super::RowFacts| r.status == 403 || r.status == 0 && r.has(Field::Detail);
        for v in cx.rows_where(failed) {
            if let Some((e, by_service)) = judge(&v) {
                confirmed |= by_service;
                evidence.push(e);
            }
        }
        if evidence.is_empty() {
            return Vec::new();
        }
        let n = evidence.len();
        let worst = evidence
            .iter()
            .filter_map(|e| e.fields.get("expired_for"))
            .next()
            .cloned()
            .unwrap_or_default();
        let expiry = evidence[0].fields.get("se").cloned().unwrap_or_default();
        let title = if n == 1 {
            format!("A request was sent with a SAS that had expired ({expiry})")
        } else {
            format!("{n} requests were sent with a SAS that had expired (first expiry {expiry})")
        };
        let explanation = format!(
            "The shared access signature on these requests carries an expiry time (se) that had \
             already passed when the request reached the storage service{}. The service rejects \
             such a request with 403 AuthenticationFailed before it looks at anything else, and it \
             usually writes no server-side log row for it, so the client side is where this shows. \
             Tokens cached by the application, or issued with a very short lifetime, expire while \
             the application is still using them; a clock that runs ahead on the machine that \
             issued the token shortens the lifetime further.",
            if worst.is_empty() {
                String::new()
            } else {
                format!(" (the first one {worst} after expiry)")
            }
        );
        let fix = vec![
            "Issue a new SAS and make the application fetch a fresh one before the old one \
             expires (renew when, say, 80% of its lifetime has passed) instead of caching it."
                .to_string(),
            "Give tokens a lifetime that covers the whole operation, retries included, plus a \
             margin of several minutes for clock differences; do not set the start time (st) to \
             'now' — leave it out or set it 15 minutes in the past."
                .to_string(),
            "If the token comes from a stored access policy (si=), check the policy's expiry on \
             the container, share, queue or table: it is not visible in the token."
                .to_string(),
            "Check the clock of the machine that generates the tokens; it must be synchronised \
             (NTP)."
                .to_string(),
        ];
        let confidence = if confirmed {
            Confidence {
                level: Level::High,
                raise_with: String::new(),
            }
        } else {
            Confidence {
                level: Level::Medium,
                raise_with: "The times come from the client's clock. Add the error response body \
                             (its AuthenticationErrorDetail names the service's time) or a HAR of \
                             the failing request to confirm."
                    .to_string(),
            }
        };
        vec![Finding {
            rule: self.id(),
            severity: self.default_severity(),
            title,
            explanation,
            fix,
            confidence,
            first_seen: None,
            last_seen: None,
            count: 0,
            evidence: Vec::new(),
            kql: None,
            cors_rule: None,
            cors_forms: Vec::new(),
        }
        .with_evidence(evidence)]
    }
}
