//! Generating the smallest rule change that lets refused browser calls through.

use super::*;

/// One refused request as the evidence shows it.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Default)]
pub struct Failure {
    pub request: CorsRequest,
    /// The browser refused a `*` answer because the request carried credentials.
    pub credentials: bool,
}

/// What the suggestion does to the rule list.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Action {
    /// A new rule at the end of the list.
    Added,
    /// A new rule placed before an existing one (first match wins).
    Inserted,
    /// An existing rule gets more origins, methods or headers.
    Extended,
}

/// The smallest change found, with the complete list it leads to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Suggestion {
    /// The service the rule goes on (blob when the evidence did not show one).
    pub service: Service,
    pub service_known: bool,
    /// Whether the current rules were known (then `rules` is the complete new list).
    pub current_known: bool,
    /// The rule list to set: complete when `current_known`, else just the rule(s) to add.
    pub rules: Vec<CorsRule>,
    /// Per rule of `rules`: unchanged, changed or new.
    pub status: Vec<RuleStatus>,
    /// The main rule that was added or changed (index into `rules`).
    pub primary: usize,
    pub action: Action,
    /// Plain-words remarks: limits, assumptions, placement.
    pub notes: Vec<String>,
    /// Failures the change still does not let through (empty when it works; kept for honesty).
    pub unresolved: Vec<CorsRequest>,
}

impl Suggestion {
    /// The rule that was added or changed; `None` when nothing could or needed to change (the
    /// notes say why).
    pub fn rule(&self) -> Option<&CorsRule> {
        match self.status.get(self.primary) {
            Some(RuleStatus::Changed) | Some(RuleStatus::New) => self.rules.get(self.primary),
            _ => None,
        }
    }
}

/// Canonical order for methods in generated rules.
fn sort_methods(ms: &mut Vec<String>) {
    ms.sort_by_key(|m| METHODS.iter().position(|k| k == m).unwrap_or(usize::MAX));
    ms.dedup();
}

/// Header entries for a set of requested headers: `x-ms-*` when many `x-ms-` headers are asked
/// for (the SDKs send several), `x-ms-meta-*` for several metadata headers, others as they are.
pub fn collapse_headers(headers: &[String]) -> Vec<String> {
    let mut hs: Vec<String> = Vec::new();
    for h in headers {
        let h = h.trim().to_ascii_lowercase();
        if !h.is_empty() && !hs.contains(&h) {
            hs.push(h);
        }
    }
    let xms = hs.iter().filter(|h| h.starts_with("x-ms-")).count();
    let meta = hs.iter().filter(|h| h.starts_with("x-ms-meta-")).count();
    let mut out: Vec<String> = Vec::new();
    let mut push = |s: &str| {
        if !out.iter().any(|o| o == s) {
            out.push(s.to_string());
        }
    };
    for h in &hs {
        if xms >= 4 && h.starts_with("x-ms-") {
            push("x-ms-*");
        } else if meta >= 2 && h.starts_with("x-ms-meta-") {
            push("x-ms-meta-*");
        } else {
            push(h);
        }
    }
    out
}

/// Adds header entries to a rule without repeating what it already covers; a new prefix entry
/// replaces the narrower entries it covers. Keeps within the two-prefix limit by falling back to
/// the literal names.
fn add_headers(rule: &mut CorsRule, entries: &[String], literal: &[String]) {
    for e in entries {
        if rule.allowed_headers.iter().any(|x| x.trim() == "*") {
            return;
        }
        if is_prefixed(e) {
            let prefix = e.trim_end_matches('*');
            if rule
                .allowed_headers
                .iter()
                .any(|x| is_prefixed(x) && prefix.starts_with(x.trim_end_matches('*')))
            {
                continue;
            }
            rule.allowed_headers
                .retain(|x| !x.to_ascii_lowercase().starts_with(prefix));
            let prefixed = rule
                .allowed_headers
                .iter()
                .filter(|x| is_prefixed(x))
                .count();
            if prefixed >= MAX_PREFIXED_HEADERS {
                for l in literal.iter().filter(|l| l.starts_with(prefix)) {
                    if !rule.allows_header(l) {
                        rule.allowed_headers.push(l.clone());
                    }
                }
                continue;
            }
            rule.allowed_headers.push(e.clone());
        } else if !rule.allows_header(e) {
            rule.allowed_headers.push(e.clone());
        }
    }
}

fn add_unique(list: &mut Vec<String>, items: &[String], ci: bool) {
    for it in items {
        let present = list.iter().any(|x| {
            if ci {
                x.trim().eq_ignore_ascii_case(it)
            } else {
                x.trim() == it
            }
        });
        if !present {
            list.push(it.clone());
        }
    }
}

/// The smallest rule that allows every request in `fails`.
fn minimal_rule(fails: &[&Failure], notes: &mut Vec<String>) -> CorsRule {
    let mut origins: Vec<String> = Vec::new();
    let mut methods: Vec<String> = Vec::new();
    let mut headers: Vec<String> = Vec::new();
    for f in fails {
        let o = f.request.origin.trim().trim_end_matches('/').to_string();
        if !o.is_empty() && !origins.contains(&o) {
            origins.push(o);
        }
        let m = f.request.method.trim().to_ascii_uppercase();
        if !m.is_empty() && m != "OPTIONS" && !methods.contains(&m) {
            methods.push(m);
        }
        headers.extend(f.request.headers.iter().cloned());
    }
    if methods.is_empty() {
        methods.push("GET".to_string());
        notes.push(
            "The evidence does not show the HTTP method of the refused calls, so the rule lists \
             GET. Add every method the page uses (PUT for uploads, DELETE, HEAD…)."
                .to_string(),
        );
    }
    sort_methods(&mut methods);
    CorsRule {
        allowed_origins: origins,
        allowed_methods: methods,
        allowed_headers: collapse_headers(&headers),
        exposed_headers: vec!["x-ms-*".to_string()],
        max_age_seconds: DEFAULT_MAX_AGE,
    }
}

pub(super) fn still_fails(rules: &[CorsRule], f: &Failure) -> bool {
    let ev = evaluate(rules, &f.request);
    if !ev.allowed {
        return true;
    }
    // A credentialed request needs the exact origin echoed: a `*` rule is no good.
    f.credentials
        && ev
            .selected
            .is_some_and(|i| rules[i].match_origin(&f.request.origin) == OriginMatch::Any)
}

/// How a mistyped origin entry is made to work.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Repair {
    /// The entry is the origin written wrongly: replace it.
    Replace,
    /// The entry is a pattern the service does not understand: list the origin next to it.
    AddBeside,
}

/// The first origin entry that was evidently meant for `origin` (rule index, entry index).
fn repairable_entry(rules: &[CorsRule], origin: &str) -> Option<(usize, usize, Repair)> {
    let o = origin_parts(origin)?;
    rules.iter().enumerate().find_map(|(k, r)| {
        r.allowed_origins.iter().enumerate().find_map(|(e, entry)| {
            match match_origin_entry(entry, origin) {
                OriginMatch::Miss(OriginMiss::TrailingSlash { .. }) => {
                    Some((k, e, Repair::Replace))
                }
                OriginMatch::Miss(OriginMiss::Port { .. }) => {
                    let p = origin_parts(entry.trim())?;
                    (o.port.is_empty() && p.rest.is_empty() && p.port == default_port(p.scheme))
                        .then_some((k, e, Repair::Replace))
                }
                OriginMatch::Miss(OriginMiss::Wildcard { .. }) => Some((k, e, Repair::AddBeside)),
                _ => None,
            }
        })
    })
}

/// Marks rule `i` as changed (a new rule keeps its mark) and remembers the first change.
fn touch(status: &mut [RuleStatus], primary: &mut Option<(usize, Action)>, i: usize, a: Action) {
    if status.get(i) == Some(&RuleStatus::Unchanged) {
        status[i] = RuleStatus::Changed;
    }
    if primary.is_none() {
        *primary = Some((i, a));
    }
}

/// The smallest change to `current` (when known) that lets every failure through.
///
/// With the current rules: a rule the service already selects gets the missing headers; a rule
/// that already lists the origin gets the missing method; otherwise a new rule is added (before
/// any `*` rule when credentials are involved), or — when the service already has five rules —
/// the origin is added to the rule that comes closest. Without them: one new rule.
pub fn suggest(service: Service, failures: &[Failure], current: Option<&CorsRules>) -> Suggestion {
    let service_known = rules_service(service) != Service::Unknown;
    let target = target_service(service);
    let mut notes = Vec::new();
    if !service_known {
        notes.push(
            "The evidence does not show which storage service the page called (no URL), so the \
             rule is written for the blob service. If the page calls the queue, table or file \
             service, set the same rule there instead."
                .to_string(),
        );
    }
    // A call whose method the evidence does not show takes the methods seen for its origin
    // (GET when none is): it has to be allowed somehow, and the note says what was assumed.
    let failures: Vec<Failure> = failures
        .iter()
        .flat_map(|f| {
            let m = f.request.method.trim();
            if !m.is_empty() && m != "OPTIONS" {
                return vec![f.clone()];
            }
            let mut known: Vec<String> = failures
                .iter()
                .filter(|g| g.request.origin == f.request.origin)
                .map(|g| g.request.method.trim().to_ascii_uppercase())
                .filter(|m| !m.is_empty() && m != "OPTIONS")
                .collect();
            sort_methods(&mut known);
            if known.is_empty() {
                if !notes
                    .iter()
                    .any(|n| n.contains("does not show the HTTP method"))
                {
                    notes.push(
                        "The evidence does not show the HTTP method of some refused calls, so \
                         the rule lists GET for them. Add every method the page uses (PUT for \
                         uploads, DELETE, HEAD…)."
                            .to_string(),
                    );
                }
                known.push("GET".to_string());
            }
            known
                .into_iter()
                .map(|m| Failure {
                    request: CorsRequest {
                        method: m,
                        ..f.request.clone()
                    },
                    credentials: f.credentials,
                })
                .collect()
        })
        .collect();
    let failures = failures.as_slice();
    let with_origin: Vec<&Failure> = failures
        .iter()
        .filter(|f| !f.request.origin.trim().is_empty())
        .collect();
    let Some(current) = current else {
        let rule = minimal_rule(&failures.iter().collect::<Vec<_>>(), &mut notes);
        if failures.iter().any(|f| f.credentials) {
            notes.push(
                "These requests carry credentials: the rule names the exact origin. Put it before \
                 any rule whose origin is '*' — the first matching rule wins, and a '*' answer is \
                 refused for credentialed requests."
                    .to_string(),
            );
        }
        notes.push(
            "The current rules were not supplied: add this rule to the existing ones (the \
             service keeps at most five). Supply them (az storage cors list, or the service \
             properties XML) to get the exact change."
                .to_string(),
        );
        let unresolved = with_origin
            .iter()
            .filter(|f| still_fails(std::slice::from_ref(&rule), f))
            .map(|f| f.request.clone())
            .collect();
        return Suggestion {
            service: target,
            service_known,
            current_known: false,
            rules: vec![rule],
            status: vec![RuleStatus::New],
            primary: 0,
            action: Action::Added,
            notes,
            unresolved,
        };
    };
    let mut rules = current.rules.clone();
    let mut status = vec![RuleStatus::Unchanged; rules.len()];
    let mut primary: Option<(usize, Action)> = None;
    // Each pass fixes at least one failure or gives up on it; bounded either way.
    let mut gave_up: Vec<CorsRequest> = Vec::new();
    for _ in 0..(with_origin.len() * 3 + 3) {
        let Some(f) = with_origin
            .iter()
            .find(|f| still_fails(&rules, f) && !gave_up.contains(&f.request))
        else {
            break;
        };
        let ev = evaluate(&rules, &f.request);
        let req = &f.request;
        let same_origin: Vec<&Failure> = with_origin
            .iter()
            .copied()
            .filter(|g| g.request.origin == req.origin)
            .collect();
        if ev.allowed && f.credentials {
            // The selected rule is a `*` rule: an exact-origin rule must come before it.
            let at = ev.selected.unwrap_or(rules.len());
            if rules.len() >= MAX_RULES {
                notes.push(format!(
                    "The service already has {MAX_RULES} rules, so no rule for {} can be put \
                     before the '*' rule. Replace the '*' in rule {} by the exact origins your \
                     pages use.",
                    req.origin,
                    at + 1
                ));
                gave_up.push(req.clone());
                continue;
            }
            let creds: Vec<&Failure> = same_origin
                .iter()
                .copied()
                .filter(|g| g.credentials)
                .collect();
            let rule = minimal_rule(&creds, &mut notes);
            rules.insert(at, rule);
            status.insert(at, RuleStatus::New);
            if let Some((p, _)) = primary.as_mut() {
                if *p >= at {
                    *p += 1;
                }
            }
            touch(&mut status, &mut primary, at, Action::Inserted);
            notes.push(format!(
                "The new rule goes in position {} — before the '*' rule — because the first \
                 matching rule wins and a credentialed request needs its exact origin echoed.",
                at + 1
            ));
            continue;
        }
        if let (Some(i), Some(Element::Header)) = (ev.selected, ev.failing) {
            // Only what the rule lacks is added (collapsed when many are missing), so a rule
            // that lists most SDK headers literally keeps doing so.
            let literal: Vec<String> = same_origin
                .iter()
                .flat_map(|g| g.request.headers.iter().cloned())
                .filter(|h| !rules[i].allows_header(h))
                .collect();
            let entries = collapse_headers(&literal);
            add_headers(&mut rules[i], &entries, &literal);
            if rules[i].allowed_headers.is_empty() || still_fails(&rules, f) {
                // The collapsed form did not cover it (prefix limit): list the names literally.
                add_unique(&mut rules[i].allowed_headers, &ev.failing_values, true);
            }
            touch(&mut status, &mut primary, i, Action::Extended);
            continue;
        }
        if let Some(k) = rules.iter().position(|r| r.allows_origin(&req.origin)) {
            let mut methods: Vec<String> = same_origin
                .iter()
                .map(|g| g.request.method.clone())
                .filter(|m| !m.is_empty() && m != "OPTIONS")
                .collect();
            sort_methods(&mut methods);
            if methods.is_empty() {
                gave_up.push(req.clone());
                continue;
            }
            add_unique(&mut rules[k].allowed_methods, &methods, true);
            touch(&mut status, &mut primary, k, Action::Extended);
            continue;
        }
        // No rule takes this origin. A rule that was meant for it but is written wrongly (a
        // trailing slash, the default port, a wildcard inside the host) is corrected first.
        if let Some((k, e, fix)) = repairable_entry(&rules, &req.origin) {
            let entry = rules[k].allowed_origins[e].clone();
            match fix {
                Repair::Replace => rules[k].allowed_origins[e] = req.origin.clone(),
                Repair::AddBeside => rules[k].allowed_origins.push(req.origin.clone()),
            }
            touch(&mut status, &mut primary, k, Action::Extended);
            notes.push(format!(
                "Rule {} was meant for {} but lists '{entry}', which never matches what the \
                 browser sends; the change {} it.",
                k + 1,
                req.origin,
                match fix {
                    Repair::Replace => "corrects",
                    Repair::AddBeside => "adds the exact origin beside",
                }
            ));
            continue;
        }
        let pending: Vec<&Failure> = with_origin
            .iter()
            .copied()
            .filter(|g| {
                still_fails(&rules, g) && !rules.iter().any(|r| r.allows_origin(&g.request.origin))
            })
            .collect();
        if rules.len() < MAX_RULES {
            let rule = minimal_rule(&pending, &mut notes);
            rules.push(rule);
            status.push(RuleStatus::New);
            let at = rules.len() - 1;
            touch(&mut status, &mut primary, at, Action::Added);
            continue;
        }
        // Five rules already: widen the closest rule rather than exceed the limit.
        let k = ev.closest.unwrap_or(0);
        let extra = minimal_rule(&same_origin, &mut notes);
        add_unique(&mut rules[k].allowed_origins, &extra.allowed_origins, false);
        add_unique(&mut rules[k].allowed_methods, &extra.allowed_methods, true);
        add_headers(&mut rules[k], &extra.allowed_headers, &req.headers);
        touch(&mut status, &mut primary, k, Action::Extended);
        notes.push(format!(
            "The service already has {MAX_RULES} rules (the limit), so instead of adding one, \
             rule {} is widened to take {} as well. Every origin in that rule now gets the same \
             methods and headers; if that is too broad, merge or remove an unused rule first.",
            k + 1,
            req.origin
        ));
    }
    let unresolved: Vec<CorsRequest> = with_origin
        .iter()
        .filter(|f| still_fails(&rules, f))
        .map(|f| f.request.clone())
        .collect();
    let (primary, action) = primary.unwrap_or((0, Action::Extended));
    if status.iter().all(|s| *s == RuleStatus::Unchanged) {
        notes.push(
            "The current rules already allow these requests. If the browser still refuses them, \
             the rules were changed after the failures, belong to another account or service, \
             or the failure is not about the rules (a redirect, or a '*' answer to a \
             credentialed request)."
                .to_string(),
        );
    }
    Suggestion {
        service: target,
        service_known,
        current_known: true,
        rules,
        status,
        primary,
        action,
        notes,
        unresolved,
    }
}

/// The documented limits and wildcard forms, in one sentence for reports.
pub fn limits_note() -> String {
    format!(
        "Limits of the service: at most {MAX_RULES} rules per service; per rule up to \
         {MAX_ORIGINS} origins, {MAX_LITERAL_HEADERS} literal and {MAX_PREFIXED_HEADERS} prefixed \
         headers in each header list, each origin or header name at most {MAX_ITEM_CHARS} \
         characters, and all rules together at most 2 KB. '*' on its own allows every origin or \
         header; a header entry ending in '*' (x-ms-meta-*) allows every header with that prefix; \
         '*' inside an origin is not supported."
    )
}

/// General cautions for a rule list: wildcard origins and the per-service scope.
pub fn cautions(rules: &[CorsRule], service: Service) -> Vec<String> {
    let mut out = Vec::new();
    if rules.iter().any(|r| r.has_wildcard_origin()) {
        out.push(
            "A rule with origin '*' makes the service answer 'Access-Control-Allow-Origin: *'. \
             Browsers refuse that answer for requests sent with credentials (cookies, \
             withCredentials, credentials: 'include'); such pages need their exact origin listed \
             in an earlier rule."
                .to_string(),
        );
    }
    let svc = target_service(service);
    out.push(format!(
        "CORS rules are set per service: this rule applies to the {} service only. Blob, file, \
         queue and table each keep their own list (at most five rules); the Data Lake (dfs) \
         endpoint uses the blob service's rules.",
        svc.as_str()
    ));
    out
}
