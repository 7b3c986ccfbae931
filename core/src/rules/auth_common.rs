//! Pieces the 403-family rules share: evidence rows with the decisive fields, the request as the
//! SAS evaluation sees it (with the client clock corrected when the correlation could estimate
//! its skew), Log Analytics queries, and finding assembly.

use super::{Confidence, Context, Evidence, Finding, Level, Severity};
use crate::knowledge::auth_failure::Problem;
use crate::knowledge::sas::SasToken;
use crate::knowledge::sas_eval::SasRequest;
use crate::model::{AuthKind, EventView, Field, Service, SourceKind};
use crate::report::kql::{list, statuses, Kql};

/// Columns every query of the family shows.
pub(crate) const PROJECT: &str = "project TimeGenerated, OperationName, StatusCode, StatusText, \
     AuthenticationType, CallerIpAddress, Uri, CorrelationId, ClientRequestId";

/// The first line of a long service text, capped, for an evidence field.
pub(crate) fn short_detail(detail: &str) -> String {
    let t: String = detail.trim().chars().take(300).collect();
    if detail.trim().chars().count() > 300 {
        format!("{t}…")
    } else {
        t
    }
}

/// An evidence row with what every rule of the family shows: the operation, the error code (the
/// one the text implies when the log had none) and the service's text.
pub(crate) fn evidence(v: &EventView<'_>, problem: Option<&Problem>) -> Evidence {
    let mut e = Evidence::from_event(v);
    if e.error_code.is_empty() {
        if let Some(p) = problem {
            e.error_code = p.code().to_string();
        }
    }
    let mut e = e
        .field("operation", operation(v))
        .field("auth", auth_word(v));
    if let Some(d) = v.extra(Field::Detail) {
        e = e.field("detail", short_detail(d));
    }
    e
}

/// The operation in the service's naming, inferred from method and URL when the source did not
/// name it.
pub(crate) fn operation(v: &EventView<'_>) -> String {
    let op = v.operation();
    if !op.is_empty() {
        return op.to_string();
    }
    let url = v.extra(Field::Url).unwrap_or("");
    crate::knowledge::operations::infer(v.ev.method, url).to_string()
}

/// How the request was authorized, in words.
pub(crate) fn auth_word(v: &EventView<'_>) -> &'static str {
    match v.sas().map(SasToken::kind) {
        Some(crate::knowledge::sas::SasKind::Account) => "account SAS",
        Some(crate::knowledge::sas::SasKind::Service) => "service SAS",
        Some(crate::knowledge::sas::SasKind::UserDelegation) => "user delegation SAS",
        None => match v.ev.auth {
            AuthKind::SharedKey => "Shared Key",
            AuthKind::OAuth => "Microsoft Entra ID (OAuth)",
            AuthKind::Anonymous => "anonymous",
            AuthKind::Sas => "SAS",
            AuthKind::Unknown if v.extra(Field::StringToSign).is_some() => "Shared Key",
            AuthKind::Unknown => "",
        },
    }
}

/// The request as the SAS evaluation sees it. A client time is moved onto the service's clock
/// when the correlation estimated this input's skew from joined server rows or HTTP dates.
pub(crate) fn sas_request(cx: &Context<'_>, v: &EventView<'_>) -> SasRequest {
    let mut r = SasRequest::from_event(v);
    if !r.time_from_service && v.ev.source != SourceKind::Server {
        if let (Some(_), Some(t)) = (
            cx.correlation.skew_of(v.ev.input),
            cx.correlation.corrected_time(cx.ds, v.index),
        ) {
            r.time = Some(t);
            r.time_from_service = true;
        }
    }
    r
}

/// The SAS fields that decide most findings, as evidence.
pub(crate) fn with_token(mut e: Evidence, t: &SasToken) -> Evidence {
    for (k, v) in [
        ("sv", &t.sv),
        ("sp", &t.sp),
        ("st", &t.st),
        ("se", &t.se),
        ("si", &t.si),
        ("sr", &t.sr),
        ("ss", &t.ss),
        ("srt", &t.srt),
        ("sip", &t.sip),
        ("spr", &t.spr),
    ] {
        if let Some(v) = v {
            e = e.field(k, v.clone());
        }
    }
    e
}

/// The services the evidence rows belong to (for the query's tables).
pub(crate) fn services(cx: &Context<'_>, evidence: &[Evidence]) -> Vec<Service> {
    let mut out: Vec<Service> = Vec::new();
    for e in evidence {
        if let Some(i) = e.event {
            let s = cx.ds.events[i as usize].service;
            if !out.contains(&s) {
                out.push(s);
            }
        }
    }
    out
}

/// A query over the evidence's services and time: `where` stages, then the common projection.
pub(crate) fn kql(cx: &Context<'_>, f: &Finding, stages: &[String]) -> String {
    let mut q = Kql::from(
        &services(cx, &f.evidence),
        f.first_seen.as_deref(),
        f.last_seen.as_deref(),
    );
    for s in stages {
        q = q.pipe(s);
    }
    q.pipe(PROJECT).build()
}

/// `where StatusCode in ("403") and StatusText in ("A", "B")`.
pub(crate) fn where_codes(status: &[u16], texts: &[&str]) -> String {
    format!(
        "where StatusCode in {} and StatusText in {}",
        statuses(status),
        list(texts)
    )
}

pub(crate) fn confidence(level: Level, raise_with: &str) -> Confidence {
    Confidence {
        level,
        raise_with: if level == Level::High {
            String::new()
        } else {
            raise_with.to_string()
        },
    }
}

/// Assembles a finding (first/last seen and count come from the evidence).
pub(crate) fn finding(
    rule: &'static str,
    severity: Severity,
    title: String,
    explanation: String,
    fix: Vec<String>,
    confidence: Confidence,
    evidence: Vec<Evidence>,
) -> Finding {
    let mut chars = title.chars();
    let title = match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => title,
    };
    Finding {
        rule,
        severity,
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
    .with_evidence(evidence)
}

/// "one request" / "3 requests".
pub(crate) fn requests(n: usize) -> String {
    if n == 1 {
        "one request".to_string()
    } else {
        format!("{n} requests")
    }
}

/// "was" / "were" for `n` requests.
pub(crate) fn were(n: usize) -> &'static str {
    if n == 1 {
        "was"
    } else {
        "were"
    }
}

/// The values of one field across the evidence, each once, in order.
pub(crate) fn distinct(evidence: &[Evidence], field: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for e in evidence {
        if let Some(v) = e.fields.get(field) {
            if !out.contains(v) {
                out.push(v.clone());
            }
        }
    }
    out
}

#[cfg(test)]
pub(crate) mod testkit {
    //! Datasets built by hand for the rule tests (no parser involved).

    use crate::correlate::Correlation;
    use crate::model::{Dataset, EventSink, RawEvent, Timestamp};
    use crate::rules::{Context, Finding, Rule};

    pub fn t(s: &str) -> Option<Timestamp> {
        Timestamp::parse(s)
    }

    /// One input holding `events`.
    pub fn dataset(events: Vec<RawEvent<'static>>) -> Dataset {
        let mut ds = Dataset::new();
        let i = ds.add_input("client.log", "test", 1.0);
        for (n, mut e) in events.into_iter().enumerate() {
            if e.location.line == 0 {
                e.location.line = n as u32 + 1;
            }
            ds.sink(i).event(e);
        }
        ds.finish();
        ds
    }

    pub fn run(rule: &dyn Rule, ds: &Dataset) -> Vec<Finding> {
        let c = Correlation::build(ds);
        rule.run(&Context::new(ds, &c))
    }
}
