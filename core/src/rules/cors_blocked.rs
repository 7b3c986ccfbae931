//! `cors-blocked`: a browser refused a cross-origin call to a storage service because no CORS rule
//! of that service allows the page's origin, method or request headers.
//!
//! Evidence: events whose parser set [`Field::CorsFailure`] (browser console text, HAR entries),
//! and refused preflights in server logs (`*PreflightRequest`, 403 `CorsPreflightFailure`). One
//! finding per storage service, carrying the smallest rule change (merged with the current rules
//! when a `cors-rules` input supplied them) in every form users apply it in.

use std::collections::BTreeSet;

use super::{Confidence, Context, Evidence, Finding, Level, Rule, Severity};
use crate::knowledge::cors::{
    cautions, evaluate, limits_note, lint, render_forms, rules_service, suggest, target_service,
    Action, CorsRequest, CorsRuleOut, CorsRules, Element, Failure, FormsInput,
};
use crate::knowledge::url::StorageUrl;
use crate::model::{Dataset, EventView, Field, Method, Service, SourceKind};

pub struct CorsBlocked;

/// One refused call as read from one event.
struct Seen {
    service: Service,
    evidence: Evidence,
    origin: String,
    method: String,
    headers: Vec<String>,
    kind: String,
    server: bool,
    account: String,
    /// `/account/container/blob`, to count a preflight and its blocked request as one call.
    resource: String,
    emulator: bool,
}

fn is_emulator(v: &EventView<'_>) -> bool {
    if v.account() == "devstoreaccount1" {
        return true;
    }
    v.extra(Field::Url)
        .and_then(StorageUrl::parse)
        .is_some_and(|u| {
            let h = u.host.to_ascii_lowercase();
            (h.starts_with("127.0.0.1:") || h.starts_with("localhost:"))
                && ["10000", "10001", "10002"]
                    .iter()
                    .any(|p| h.ends_with(&format!(":{p}")))
        })
}

fn read(v: &EventView<'_>) -> Option<Seen> {
    let kind = match v.extra(Field::CorsFailure) {
        Some(k) => k.to_string(),
        None => {
            if !crate::knowledge::auth_failure::is_refused_preflight(v) {
                return None;
            }
            "preflight-failed".to_string()
        }
    };
    let origin = v.extra(Field::Origin).unwrap_or("").trim().to_string();
    let method = match v.extra(Field::AccessControlRequestMethod) {
        Some(m) if !m.trim().is_empty() => m.trim().to_ascii_uppercase(),
        _ if !matches!(v.ev.method, Method::Unknown | Method::Options) => {
            v.ev.method.as_str().to_string()
        }
        _ => String::new(),
    };
    let headers: Vec<String> = v
        .extra(Field::AccessControlRequestHeaders)
        .map(|h| {
            h.split(',')
                .map(|x| x.trim().to_ascii_lowercase())
                .filter(|x| !x.is_empty())
                .collect()
        })
        .unwrap_or_default();
    let mut service = rules_service(v.ev.service);
    if service == Service::Unknown && !v.operation().is_empty() {
        service = rules_service(Service::from_word(v.operation()));
    }
    let evidence = Evidence::from_event(v)
        .field("cors_failure", kind.clone())
        .field("origin", origin.clone())
        .field("method", method.clone())
        .field("request_headers", headers.join(","));
    Some(Seen {
        service,
        evidence,
        origin,
        method,
        headers,
        kind,
        server: v.ev.source == SourceKind::Server,
        account: v.account().to_string(),
        resource: v.resource().to_string(),
        emulator: is_emulator(v),
    })
}

/// The current rules for a service: the last input that named it, else the last input whose
/// document did not name a service.
fn current_rules(ds: &Dataset, service: Service) -> Option<(&CorsRules, bool)> {
    let want = target_service(service);
    ds.cors_rules
        .iter()
        .rev()
        .find(|(_, s, _)| rules_service(*s) == want)
        .map(|(_, _, r)| (r, true))
        .or_else(|| {
            ds.cors_rules
                .iter()
                .rev()
                .find(|(_, s, _)| *s == Service::Unknown)
                .map(|(_, _, r)| (r, false))
        })
}

fn describe_kind(kind: &str) -> &'static str {
    match kind {
        "preflight-failed" => "the service refused the preflight OPTIONS request",
        "no-allow-origin" => "the response carried no Access-Control-Allow-Origin header",
        "origin-mismatch" => "the response allowed another origin than the page's",
        "method-not-allowed" => "the method was not among the allowed methods",
        "header-not-allowed" => "a request header was not among the allowed headers",
        "credentials-wildcard" => {
            "the request carried credentials but the answer allowed every origin ('*')"
        }
        _ => "the browser blocked the response",
    }
}

fn plural(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("{n} {one}")
    } else {
        format!("{n} {many}")
    }
}

fn joined(v: &BTreeSet<String>) -> String {
    v.iter().cloned().collect::<Vec<_>>().join(", ")
}

/// Builds the finding for one service from what was seen.
fn finding(ds: &Dataset, service: Service, seen: Vec<Seen>) -> Finding {
    let target = target_service(service);
    let service_known = service != Service::Unknown;
    let origins: BTreeSet<String> = seen
        .iter()
        .map(|s| s.origin.clone())
        .filter(|o| !o.is_empty())
        .collect();
    let accounts: BTreeSet<String> = seen
        .iter()
        .map(|s| s.account.clone())
        .filter(|a| !a.is_empty())
        .collect();
    let kinds: BTreeSet<&str> = seen.iter().map(|s| s.kind.as_str()).collect();
    let server_only = seen.iter().all(|s| s.server);
    let emulator = seen.iter().any(|s| s.emulator);
    let methods_seen: BTreeSet<String> = seen
        .iter()
        .map(|s| s.method.clone())
        .filter(|m| !m.is_empty() && m != "OPTIONS")
        .collect();
    let headers_seen: BTreeSet<String> = seen.iter().flat_map(|s| s.headers.clone()).collect();

    // Requests to allow: events without an origin belong to every origin seen (a console line
    // such as SEC7123 names the header but not the origin).
    let mut failures: Vec<Failure> = Vec::new();
    for s in seen.iter().filter(|s| !s.server || !s.origin.is_empty()) {
        let targets: Vec<String> = if s.origin.is_empty() {
            origins.iter().cloned().collect()
        } else {
            vec![s.origin.clone()]
        };
        for o in targets {
            let f = Failure {
                request: CorsRequest::new(&o, &s.method, &s.headers),
                credentials: s.kind == "credentials-wildcard",
            };
            if !failures.contains(&f) {
                failures.push(f);
            }
        }
    }
    let current = current_rules(ds, service);
    let mut evidence: Vec<Evidence> = Vec::with_capacity(seen.len());
    let mut first_eval: Option<String> = None;
    let mut first_fail: Option<(Element, Vec<String>)> = None;
    let mut allowed_now = 0usize;
    for s in &seen {
        let mut e = s.evidence.clone();
        if let (Some((rules, _)), false) = (current, s.origin.is_empty()) {
            // Without the method only the origin can be judged: GET stands in, and the row is
            // annotated only when the origin is what fails.
            let method_known = !s.method.is_empty();
            let method = if method_known {
                s.method.as_str()
            } else {
                "GET"
            };
            let req = CorsRequest::new(&s.origin, method, &s.headers);
            let ev = evaluate(&rules.rules, &req);
            if !method_known && ev.failing != Some(Element::Origin) {
                evidence.push(e);
                continue;
            }
            if ev.allowed {
                // This row alone passes (an actual request whose preflight headers are in
                // another row): nothing to say about it.
                allowed_now += 1;
                evidence.push(e);
                continue;
            }
            if first_eval.is_none() {
                first_eval = Some(ev.explanation.clone());
                first_fail = ev.failing.map(|f| (f, ev.failing_values.clone()));
            }
            e = e
                .field(
                    "closest_rule",
                    ev.closest.map(|i| (i + 1).to_string()).unwrap_or_default(),
                )
                .field(
                    "failing_element",
                    ev.failing.map(|f| f.as_str()).unwrap_or_default(),
                )
                .field("failing_values", ev.failing_values.join(","));
        }
        evidence.push(e);
    }

    let suggestion =
        (!origins.is_empty()).then(|| suggest(service, &failures, current.map(|(r, _)| r)));
    let account = (accounts.len() == 1)
        .then(|| accounts.iter().next().cloned())
        .flatten();

    // Title.
    // A refused preflight and the request it was for are one call.
    let n = seen
        .iter()
        .map(|s| (&s.origin, &s.method, &s.resource, s.server))
        .collect::<BTreeSet<_>>()
        .len();
    let origin_part = match origins.len() {
        0 => String::new(),
        1 => format!(" from {}", joined(&origins)),
        k => format!(" from {k} origins"),
    };
    let why = match &first_fail {
        Some((Element::Header, v)) => format!(
            "the CORS rules do not allow the request header{} {}",
            if v.len() == 1 { "" } else { "s" },
            v.join(", ")
        ),
        Some((Element::Method, v)) => {
            format!("the CORS rules do not allow the method {}", v.join(", "))
        }
        Some((Element::Origin, _)) => "no CORS rule lists the page's origin".to_string(),
        None => match kinds.iter().next() {
            Some(&"credentials-wildcard") if kinds.len() == 1 => {
                "a credentialed call was answered for every origin ('*')".to_string()
            }
            Some(&"header-not-allowed") if kinds.len() == 1 => {
                "no CORS rule allows its request headers".to_string()
            }
            Some(&"method-not-allowed") if kinds.len() == 1 => {
                "no CORS rule allows its method".to_string()
            }
            _ => "no CORS rule allows the request".to_string(),
        },
    };
    let title = format!(
        "The browser blocked {} to the {} service{origin_part}: {why}",
        plural(n, "cross-origin call", "cross-origin calls"),
        if service_known {
            target.as_str()
        } else {
            "storage"
        },
    );

    // Explanation.
    let mut ex = String::new();
    let who = if origins.is_empty() {
        "A web page".to_string()
    } else {
        format!("A web page at {}", joined(&origins))
    };
    let acct = if accounts.is_empty() {
        String::new()
    } else {
        format!(" of {}", joined(&accounts))
    };
    ex.push_str(&format!(
        "{who} called the {} service{acct} directly from the browser, and the browser refused \
         to let the page use the answer ({}). Script code never learns why: fetch() rejects with \
         a generic TypeError ('Failed to fetch'), XMLHttpRequest reports status 0, and the SDK \
         surfaces a network error. ",
        if service_known {
            target.as_str()
        } else {
            "storage"
        },
        kinds
            .iter()
            .map(|k| describe_kind(k))
            .collect::<Vec<_>>()
            .join("; ")
    ));
    ex.push_str(&format!(
        "A browser only lets a page on another origin read a storage response when the service \
         answers with CORS headers, and the service does that only when one of its CORS rules \
         lists the page's origin and the method (and, for the preflight, every request header). \
         Those rules are a setting of the storage account's {} service — not of the web app, \
         App Service or CDN that serves the page. ",
        target.as_str()
    ));
    if !methods_seen.is_empty() || !headers_seen.is_empty() {
        ex.push_str(&format!(
            "The refused calls used {}{}. ",
            if methods_seen.is_empty() {
                "an unknown method".to_string()
            } else {
                format!("the method(s) {}", joined(&methods_seen))
            },
            if headers_seen.is_empty() {
                String::new()
            } else {
                format!(" with the request header(s) {}", joined(&headers_seen))
            }
        ));
    }
    if kinds.contains("credentials-wildcard") {
        ex.push_str(
            "Some calls carried credentials (cookies or an Authorization header sent with \
             credentials: 'include' / withCredentials); for those the browser refuses an answer \
             that allows every origin ('*'): the page's exact origin must be listed in a rule that \
             comes before the '*' rule. ",
        );
    }
    if seen.iter().any(|s| s.server) {
        ex.push_str(
            "The service's own log shows refused preflights (403 CorsPreflightFailure). Server \
             log rows do not record the Origin or the Access-Control-Request-Method/-Headers the \
             browser sent",
        );
        // The parsers take the page's origin from the Referer of a preflight row when it has one.
        if seen.iter().any(|s| s.server && !s.origin.is_empty()) {
            ex.push_str(
                "; the origin here is that of the page in the rows' Referer, while the method \
                 and headers to allow stay unknown from those rows alone. ",
            );
        } else {
            ex.push_str(
                ", so from those rows alone the origin, method and headers to allow are \
                 unknown. ",
            );
        }
    }
    match (current, &first_eval) {
        (Some((rules, named)), Some(why)) => {
            ex.push_str(&format!(
                "Checked against the {} current rule{} supplied{}: {why}",
                rules.rules.len(),
                if rules.rules.len() == 1 { "" } else { "s" },
                if named {
                    String::new()
                } else {
                    format!(
                        " (the rules file does not say which service it is for; it was taken \
                         as the {} service's)",
                        target.as_str()
                    )
                }
            ));
            if !ex.ends_with(' ') {
                ex.push(' ');
            }
        }
        (Some(_), None) if allowed_now > 0 => {
            ex.push_str(
                "The current rules supplied would allow these calls: either they were changed \
                 after the failures, they belong to another account or service, or the failure \
                 is not about the rules. ",
            );
        }
        _ => {}
    }
    if suggestion.is_some() {
        ex.push_str(&limits_note());
    }
    let ex = ex.trim_end().to_string();

    // Fix.
    let mut fix: Vec<String> = Vec::new();
    let mut cors_rule = None;
    let mut cors_forms = Vec::new();
    match suggestion.as_ref().and_then(|s| s.rule().map(|r| (s, r))) {
        Some((s, r)) => {
            let where_ = match &account {
                Some(a) => format!("the {} service of storage account {a}", s.service.as_str()),
                None => format!("the storage account's {} service", s.service.as_str()),
            };
            let what = match (s.current_known, s.action) {
                (false, _) | (true, Action::Added) => "add this rule".to_string(),
                (true, Action::Inserted) => format!("insert this rule as rule {}", s.primary + 1),
                (true, Action::Extended) => format!("change rule {} to read", s.primary + 1),
            };
            fix.push(format!(
                "On {where_}, {what}: allowed origins {}; allowed methods {}; allowed headers {}; \
                 exposed headers {} (so the page's SDK can read x-ms-request-id and error codes); \
                 max age {} seconds. The ready-made forms (portal, az CLI, PowerShell, Bicep, ARM, \
                 REST XML, .NET, JavaScript) are attached to this finding.",
                r.allowed_origins.join(", "),
                r.allowed_methods.join(", "),
                if r.allowed_headers.is_empty() {
                    "(none needed)".to_string()
                } else {
                    r.allowed_headers.join(", ")
                },
                r.exposed_headers.join(", "),
                r.max_age_seconds
            ));
            fix.extend(s.notes.iter().cloned());
            if !s.unresolved.is_empty() {
                fix.push(format!(
                    "This change still does not cover {} request(s) (for example {} {}): review \
                     the rule order by hand.",
                    s.unresolved.len(),
                    s.unresolved[0].method,
                    s.unresolved[0].origin
                ));
            }
            fix.extend(lint(&s.rules));
            fix.extend(cautions(&s.rules, s.service));
            cors_rule = Some(CorsRuleOut::new(s.service, r));
            cors_forms = render_forms(&FormsInput {
                service: s.service,
                rules: &s.rules,
                status: &s.status,
                whole_list: s.current_known,
                account: account.as_deref(),
            });
        }
        None if suggestion.is_some() => {
            // Nothing to change (the rules already allow it) or nothing possible (limits).
            fix.extend(suggestion.iter().flat_map(|s| s.notes.iter().cloned()));
        }
        None => {
            fix.push(
                "Find out which origin, method and headers the browser asked for: save a HAR \
                 from the browser's developer tools (Network tab, with the failing OPTIONS \
                 request) or copy the console error, and analyse it together with this log. \
                 The exact rule can then be written."
                    .to_string(),
            );
            if !methods_seen.is_empty() || !headers_seen.is_empty() {
                fix.push(format!(
                    "Whatever the origin, the rule will need the method(s) {} and the header(s) {}.",
                    if methods_seen.is_empty() {
                        "used by the page".to_string()
                    } else {
                        joined(&methods_seen)
                    },
                    if headers_seen.is_empty() {
                        "(none seen)".to_string()
                    } else {
                        joined(&headers_seen)
                    }
                ));
            }
            fix.extend(cautions(&[], target));
        }
    }
    if emulator {
        fix.push(
            "The calls went to the storage emulator (Azurite): it keeps its own CORS rules, \
             so set the same rule on the emulator's service too (through the SDK or Storage \
             Explorer pointed at the emulator)."
                .to_string(),
        );
    }
    fix.push(
        "Reload the page and repeat the action: the preflight should now be answered with 200 \
         and the real request go out. CORS only lets the browser talk to the service; if the \
         call then fails with 403 AuthenticationFailed or AuthorizationPermissionMismatch, that \
         is a SAS or role problem, not CORS."
            .to_string(),
    );

    let detailed = seen
        .iter()
        .any(|s| !s.server && !s.origin.is_empty() && !s.method.is_empty());
    let confidence = if detailed && service_known {
        Confidence {
            level: Level::High,
            raise_with: String::new(),
        }
    } else if server_only {
        Confidence {
            level: Level::Medium,
            raise_with: "Add the browser's HAR file or console output for the same time: it shows \
                         the origin, method and headers, so the exact rule can be written."
                .to_string(),
        }
    } else {
        Confidence {
            level: Level::Medium,
            raise_with: if service_known {
                "Add a HAR file of the failing page: its OPTIONS entry shows the method and \
                 headers the browser asked for."
                    .to_string()
            } else {
                "The console text does not name the storage URL, so the service is assumed to be \
                 blob. Add a HAR file (or the console line with the URL) to confirm the service."
                    .to_string()
            },
        }
    };
    Finding {
        rule: "cors-blocked",
        severity: Severity::Error,
        title,
        explanation: ex,
        fix,
        confidence,
        first_seen: None,
        last_seen: None,
        count: 0,
        evidence: Vec::new(),
        kql: None,
        cors_rule,
        cors_forms,
    }
    .with_evidence(evidence)
}

impl Rule for CorsBlocked {
    fn id(&self) -> &'static str {
        "cors-blocked"
    }
    fn default_severity(&self) -> Severity {
        Severity::Error
    }
    fn run(&self, cx: &Context<'_>) -> Vec<Finding> {
        let mut groups: Vec<(Service, Vec<Seen>)> = Vec::new();
        // `read` keeps rows with a CORS failure, or refused preflights (an error code, or a 403).
        let maybe =
            |r: super::RowFacts| r.has(Field::CorsFailure) || r.has_error_code() || r.status == 403;
        for v in cx.rows_where(maybe) {
            let Some(s) = read(&v) else { continue };
            match groups.iter_mut().find(|(svc, _)| *svc == s.service) {
                Some((_, g)) => g.push(s),
                None => groups.push((s.service, vec![s])),
            }
        }
        // Console text without a URL says nothing about the service: when every other call went
        // to one service, those lines are about it too.
        let known: Vec<Service> = groups
            .iter()
            .map(|(s, _)| *s)
            .filter(|s| *s != Service::Unknown)
            .collect();
        if known.len() == 1 {
            if let Some(pos) = groups.iter().position(|(s, _)| *s == Service::Unknown) {
                let (_, unknown) = groups.remove(pos);
                if let Some((_, g)) = groups.iter_mut().find(|(s, _)| *s == known[0]) {
                    g.extend(unknown);
                }
            }
        }
        groups.sort_by_key(|(s, _)| *s);
        groups
            .into_iter()
            .map(|(s, seen)| finding(cx.ds, s, seen))
            .collect()
    }
}

#[cfg(test)]
#[path = "cors_blocked_tests.rs"]
mod tests;
