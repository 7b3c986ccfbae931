//! Azure Storage CORS: the rule model with the storage service's own semantics, readers for the
//! shapes users have their current rules in, an evaluator that says why a browser request is
//! refused, and a generator for the smallest rule change that lets the failing requests through.
//!
//! How the service decides (Set Blob Service Properties / "CORS support for the storage
//! services"): rules are tried in the order they were set. The first rule that lists the request's
//! origin *and* its method is selected and no later rule is looked at; the request's headers must
//! then all be allowed by that rule, or the request fails. Preflights that no rule accepts get
//! 403 `CorsPreflightFailure`; actual requests that no rule accepts are executed but answered
//! without `Access-Control-*` headers, so the browser throws the response away.
//!
//! Rules belong to one service: blob, file, queue and table each keep their own list; the Data
//! Lake endpoint (`dfs`) answers with the blob service's rules.

use std::fmt::Write;

use serde::Serialize;

use crate::model::Service;

mod forms;
mod read;
mod suggest;
mod xml;

pub use forms::{render_forms, CorsForm, FormsInput, RuleStatus};
pub use read::{parse_rules, RulesDoc};
#[cfg(test)]
use suggest::still_fails;
pub use suggest::{cautions, collapse_headers, limits_note, suggest, Action, Failure, Suggestion};

/// The service accepts at most this many rules per service.
pub const MAX_RULES: usize = 5;
/// Documented limit on the entries of `AllowedOrigins`.
pub const MAX_ORIGINS: usize = 64;
/// Documented limit on literal entries of `AllowedHeaders` / `ExposedHeaders`.
pub const MAX_LITERAL_HEADERS: usize = 64;
/// Documented limit on prefixed (`x-ms-meta*`) entries of `AllowedHeaders` / `ExposedHeaders`.
pub const MAX_PREFIXED_HEADERS: usize = 2;
/// Documented limit on the length of one origin or header name.
pub const MAX_ITEM_CHARS: usize = 256;
/// Documented limit on the size of all rule settings together, tags excluded.
pub const MAX_TOTAL_BYTES: usize = 2048;
/// The max-age a generated rule uses: browsers then re-ask at most once an hour.
pub const DEFAULT_MAX_AGE: u32 = 3600;
/// Methods a rule may list. The REST reference names the first seven; current management APIs
/// and the CLI also accept PATCH (and CONNECT/TRACE, which storage never serves).
pub const METHODS: [&str; 10] = [
    "DELETE", "GET", "HEAD", "MERGE", "POST", "OPTIONS", "PUT", "PATCH", "CONNECT", "TRACE",
];

/// One CORS rule of one service, entries as the service stores them.
#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize)]
pub struct CorsRule {
    pub allowed_origins: Vec<String>,
    pub allowed_methods: Vec<String>,
    pub allowed_headers: Vec<String>,
    pub exposed_headers: Vec<String>,
    pub max_age_seconds: u32,
}

/// The ordered rule list of one service (order matters: the first match wins).
#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize)]
pub struct CorsRules {
    pub rules: Vec<CorsRule>,
}

/// A rule as reports serialize it (CONTRACTS.md: `cors_rule`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CorsRuleOut {
    pub service: String,
    pub allowed_origins: Vec<String>,
    pub allowed_methods: Vec<String>,
    pub allowed_headers: Vec<String>,
    pub exposed_headers: Vec<String>,
    pub max_age_seconds: u32,
}

impl CorsRuleOut {
    pub fn new(service: Service, r: &CorsRule) -> CorsRuleOut {
        CorsRuleOut {
            service: rules_service(service).as_str().to_string(),
            allowed_origins: r.allowed_origins.clone(),
            allowed_methods: r.allowed_methods.clone(),
            allowed_headers: r.allowed_headers.clone(),
            exposed_headers: r.exposed_headers.clone(),
            max_age_seconds: r.max_age_seconds,
        }
    }
}

/// The service whose rule list answers requests to `s`: dfs uses blob's; unknown stays unknown.
pub fn rules_service(s: Service) -> Service {
    match s {
        Service::Dfs => Service::Blob,
        other => other,
    }
}

/// The service a generated rule is written for: blob when the service is not known, because a
/// browser app talking to storage is almost always reading or uploading blobs.
pub fn target_service(s: Service) -> Service {
    match rules_service(s) {
        Service::Unknown => Service::Blob,
        other => other,
    }
}

fn split_list(s: &str) -> Vec<String> {
    s.split(',')
        .map(str::trim)
        .filter(|x| !x.is_empty())
        .map(str::to_string)
        .collect()
}

fn is_prefixed(h: &str) -> bool {
    h.len() > 1 && h.ends_with('*')
}

impl CorsRule {
    /// Whether one allowed-header entry covers the (lower-case) request header `h`.
    fn header_entry_covers(entry: &str, h: &str) -> bool {
        let e = entry.trim().to_ascii_lowercase();
        if e == "*" {
            return true;
        }
        match e.strip_suffix('*') {
            Some(prefix) => h.starts_with(prefix),
            None => e == h,
        }
    }

    /// Whether the rule allows request header `h` (exact, prefix `x-ms-meta*`, or `*`).
    pub fn allows_header(&self, h: &str) -> bool {
        let h = h.trim().to_ascii_lowercase();
        self.allowed_headers
            .iter()
            .any(|e| Self::header_entry_covers(e, &h))
    }

    /// Whether the rule lists `method` (case does not matter).
    pub fn allows_method(&self, method: &str) -> bool {
        self.allowed_methods
            .iter()
            .any(|m| m.trim().eq_ignore_ascii_case(method.trim()))
    }

    /// Whether the rule accepts `origin`, with the closest near miss when it does not.
    pub fn match_origin(&self, origin: &str) -> OriginMatch {
        let mut best = OriginMatch::Miss(OriginMiss::Unrelated);
        for entry in &self.allowed_origins {
            let m = match_origin_entry(entry, origin);
            if m.is_match() {
                return m;
            }
            if m.rank() > best.rank() {
                best = m;
            }
        }
        best
    }

    pub fn allows_origin(&self, origin: &str) -> bool {
        self.match_origin(origin).is_match()
    }

    fn has_wildcard_origin(&self) -> bool {
        self.allowed_origins.iter().any(|o| o.trim() == "*")
    }
}

/// How one rule's origins relate to a request origin.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OriginMatch {
    /// The rule lists exactly this origin (host compared without regard to case).
    Exact {
        /// The rule writes the host in other letter case than the browser sends it.
        case_differs: bool,
    },
    /// The rule lists `*`.
    Any,
    Miss(OriginMiss),
}

/// Why an origin entry that looks like the request's origin still does not match.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OriginMiss {
    /// Same host and port, other scheme (`http` vs `https`).
    Scheme { entry: String },
    /// Same scheme and host, other port (or a default port written out).
    Port { entry: String },
    /// The entry ends with `/`; an `Origin` header never does.
    TrailingSlash { entry: String },
    /// The entry carries a path; origins have none.
    Path { entry: String },
    /// The entry uses `*` inside a host name; the service only understands `*` alone.
    Wildcard { entry: String },
    /// Nothing alike.
    Unrelated,
}

impl OriginMatch {
    pub fn is_match(&self) -> bool {
        !matches!(self, OriginMatch::Miss(_))
    }

    fn rank(&self) -> u8 {
        match self {
            OriginMatch::Exact { .. } | OriginMatch::Any => 9,
            OriginMatch::Miss(OriginMiss::TrailingSlash { .. }) => 5,
            OriginMatch::Miss(OriginMiss::Wildcard { .. }) => 4,
            OriginMatch::Miss(OriginMiss::Port { .. }) => 3,
            OriginMatch::Miss(OriginMiss::Scheme { .. }) => 3,
            OriginMatch::Miss(OriginMiss::Path { .. }) => 2,
            OriginMatch::Miss(OriginMiss::Unrelated) => 0,
        }
    }

    /// A near miss: the rule was meant for this origin but is written wrongly.
    fn near_miss(&self) -> bool {
        self.rank() > 0 && !self.is_match()
    }

    /// Plain-words reason for a near miss (empty for matches and unrelated entries).
    fn describe(&self, origin: &str) -> String {
        match self {
            OriginMatch::Miss(OriginMiss::TrailingSlash { entry }) => format!(
                "it lists '{entry}' with a trailing slash; the browser sends '{origin}' without \
                 one, and the service compares the text as written, so it never matches"
            ),
            OriginMatch::Miss(OriginMiss::Path { entry }) => format!(
                "it lists '{entry}', which includes a path; an origin is only scheme://host[:port] \
                 ('{origin}')"
            ),
            OriginMatch::Miss(OriginMiss::Scheme { entry }) => format!(
                "it lists '{entry}', which has another scheme than the page's origin '{origin}'"
            ),
            OriginMatch::Miss(OriginMiss::Port { entry }) => format!(
                "it lists '{entry}', whose port differs from the page's origin '{origin}' \
                 (browsers leave out the default port 80/443)"
            ),
            OriginMatch::Miss(OriginMiss::Wildcard { entry }) => format!(
                "it lists '{entry}', but the storage service does not expand '*' inside a host \
                 name: only '*' on its own (every origin) or exact origins work"
            ),
            _ => String::new(),
        }
    }
}

/// `scheme://host[:port]` plus whatever follows, split without allocation.
struct OriginParts<'a> {
    scheme: &'a str,
    host: &'a str,
    port: &'a str,
    rest: &'a str,
}

fn origin_parts(s: &str) -> Option<OriginParts<'_>> {
    let (scheme, after) = s.split_once("://")?;
    let end = after.find('/').unwrap_or(after.len());
    let (authority, rest) = after.split_at(end);
    // IPv6 literals keep their colons inside brackets.
    let (host, port) = match authority.rfind(':') {
        Some(i) if !authority[i..].contains(']') => (&authority[..i], &authority[i + 1..]),
        _ => (authority, ""),
    };
    Some(OriginParts {
        scheme,
        host,
        port,
        rest,
    })
}

fn default_port(scheme: &str) -> &'static str {
    if scheme.eq_ignore_ascii_case("https") {
        "443"
    } else if scheme.eq_ignore_ascii_case("http") {
        "80"
    } else {
        ""
    }
}

fn match_origin_entry(entry: &str, origin: &str) -> OriginMatch {
    let entry = entry.trim();
    let origin = origin.trim();
    if entry == "*" {
        return OriginMatch::Any;
    }
    if entry == origin {
        return OriginMatch::Exact {
            case_differs: false,
        };
    }
    let (Some(e), Some(o)) = (origin_parts(entry), origin_parts(origin)) else {
        return if entry.eq_ignore_ascii_case(origin) {
            OriginMatch::Exact { case_differs: true }
        } else {
            OriginMatch::Miss(OriginMiss::Unrelated)
        };
    };
    let miss = |m: OriginMiss| OriginMatch::Miss(m);
    let owned = || entry.to_string();
    if e.host.contains('*') {
        let suffix = e.host.trim_start_matches('*');
        let would = !suffix.is_empty()
            && o.host
                .to_ascii_lowercase()
                .ends_with(&suffix.to_ascii_lowercase());
        return if would {
            miss(OriginMiss::Wildcard { entry: owned() })
        } else {
            miss(OriginMiss::Unrelated)
        };
    }
    if !e.host.eq_ignore_ascii_case(o.host) {
        return miss(OriginMiss::Unrelated);
    }
    let same_scheme = e.scheme.eq_ignore_ascii_case(o.scheme);
    let same_port = e.port == o.port;
    match (same_scheme, same_port, e.rest) {
        (true, true, "") => OriginMatch::Exact {
            case_differs: e.host != o.host || e.scheme != o.scheme,
        },
        (true, true, "/") => miss(OriginMiss::TrailingSlash { entry: owned() }),
        (true, true, _) => miss(OriginMiss::Path { entry: owned() }),
        (false, _, _) => miss(OriginMiss::Scheme { entry: owned() }),
        (true, false, _) => miss(OriginMiss::Port { entry: owned() }),
    }
}

/// The part of a rule that failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Hash, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
pub enum Element {
    Origin,
    Method,
    Header,
}

impl Element {
    pub fn as_str(self) -> &'static str {
        match self {
            Element::Origin => "origin",
            Element::Method => "method",
            Element::Header => "header",
        }
    }
}

/// What a browser asks of the service: the page's origin, the method of the actual request
/// (never OPTIONS) and the non-simple request headers (lower case).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Default, Serialize)]
pub struct CorsRequest {
    pub origin: String,
    pub method: String,
    pub headers: Vec<String>,
}

impl CorsRequest {
    /// Builds a request, normalising method case and splitting comma-joined header lists.
    pub fn new<S: AsRef<str>>(origin: &str, method: &str, headers: &[S]) -> CorsRequest {
        let mut hs: Vec<String> = Vec::new();
        for h in headers {
            for part in h.as_ref().split(',') {
                let p = part.trim().to_ascii_lowercase();
                if !p.is_empty() && !hs.contains(&p) {
                    hs.push(p);
                }
            }
        }
        CorsRequest {
            origin: origin.trim().to_string(),
            method: method.trim().to_ascii_uppercase(),
            headers: hs,
        }
    }
}

/// The service's verdict on one request, with the reasons in plain words.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Evaluation {
    pub allowed: bool,
    /// 0-based index of the rule the service selects (first to match origin and method).
    pub selected: Option<usize>,
    /// 0-based index of the rule that comes closest to allowing the request.
    pub closest: Option<usize>,
    /// Which element of the closest rule fails.
    pub failing: Option<Element>,
    /// The values that fail: the origin, the method, or the header names.
    pub failing_values: Vec<String>,
    pub explanation: String,
    /// Things worth fixing even when they are not what failed (letter case, `*` origins…).
    pub hints: Vec<String>,
}

fn score(rule: &CorsRule, req: &CorsRequest) -> u32 {
    let om = rule.match_origin(&req.origin);
    let mut s = match &om {
        m if m.is_match() => 100,
        m if m.near_miss() => 60,
        _ => 0,
    };
    if rule.allows_method(&req.method) {
        s += 20;
    }
    let ok = req.headers.iter().filter(|h| rule.allows_header(h)).count() as u32;
    s += if req.headers.is_empty() {
        10
    } else {
        10 * ok / req.headers.len() as u32
    };
    s
}

fn list(v: &[String]) -> String {
    if v.is_empty() {
        "(none)".to_string()
    } else {
        v.join(", ")
    }
}

/// Evaluates `req` against `rules` as the storage service does.
pub fn evaluate(rules: &[CorsRule], req: &CorsRequest) -> Evaluation {
    let mut hints = Vec::new();
    if rules.is_empty() {
        return Evaluation {
            allowed: false,
            selected: None,
            closest: None,
            failing: None,
            failing_values: Vec::new(),
            explanation: "CORS is not enabled on this service: it has no rules, so it refuses \
                          every preflight and sends no CORS headers on any response."
                .to_string(),
            hints,
        };
    }
    for (i, r) in rules.iter().enumerate() {
        let om = r.match_origin(&req.origin);
        if !(om.is_match() && r.allows_method(&req.method)) {
            continue;
        }
        if let OriginMatch::Exact { case_differs: true } = om {
            hints.push(format!(
                "Rule {} writes the origin in other letter case than the browser sends \
                 ('{}'). The reference describes the comparison as case-sensitive: write it in \
                 lower case, exactly as the browser sends it.",
                i + 1,
                req.origin
            ));
        }
        let missing: Vec<String> = req
            .headers
            .iter()
            .filter(|h| !r.allows_header(h))
            .cloned()
            .collect();
        if missing.is_empty() {
            return Evaluation {
                allowed: true,
                selected: Some(i),
                closest: Some(i),
                failing: None,
                failing_values: Vec::new(),
                explanation: format!(
                    "Rule {} allows it: it is the first rule that lists {} and the method {}{}.",
                    i + 1,
                    if om == OriginMatch::Any {
                        "every origin ('*')".to_string()
                    } else {
                        format!("the origin {}", req.origin)
                    },
                    req.method,
                    if req.headers.is_empty() {
                        String::new()
                    } else {
                        format!(", and it covers the headers {}", req.headers.join(", "))
                    }
                ),
                hints,
            };
        }
        let later = rules
            .iter()
            .enumerate()
            .skip(i + 1)
            .find(|(_, r2)| {
                r2.allows_origin(&req.origin)
                    && r2.allows_method(&req.method)
                    && req.headers.iter().all(|h| r2.allows_header(h))
            })
            .map(|(j, _)| j);
        let mut explanation = format!(
            "Rule {n} is the rule the service uses for this request: it is the first one that \
             lists both the origin and the method {m}. It does not allow the request header{s} \
             {h} (it allows: {a}), so the request is refused. The service does not try later \
             rules once one has matched on origin and method.",
            n = i + 1,
            m = req.method,
            s = if missing.len() == 1 { "" } else { "s" },
            h = missing.join(", "),
            a = list(&r.allowed_headers),
        );
        if let Some(j) = later {
            let _ = write!(
                explanation,
                " Rule {} would allow the request, but it comes too late.",
                j + 1
            );
        }
        return Evaluation {
            allowed: false,
            selected: Some(i),
            closest: Some(i),
            failing: Some(Element::Header),
            failing_values: missing,
            explanation,
            hints,
        };
    }
    // No rule selected: find the one that comes closest and say what it lacks.
    let (best, _) = rules
        .iter()
        .enumerate()
        .map(|(i, r)| (i, score(r, req)))
        .fold(
            (0usize, 0u32),
            |acc, (i, s)| if s > acc.1 { (i, s) } else { acc },
        );
    let r = &rules[best];
    let om = r.match_origin(&req.origin);
    let (failing, values, why) = if !om.is_match() {
        let near = om.describe(&req.origin);
        let why = if near.is_empty() {
            format!(
                "No rule lists the origin {}. Rule {} comes closest (it lists {}).",
                req.origin,
                best + 1,
                list(&r.allowed_origins)
            )
        } else {
            format!(
                "No rule lists the origin {}. Rule {} comes closest: {}.",
                req.origin,
                best + 1,
                near
            )
        };
        (Element::Origin, vec![req.origin.clone()], why)
    } else {
        (
            Element::Method,
            vec![req.method.clone()],
            format!(
                "Rule {} lists the origin but not the method {} (it allows: {}), and no other \
                 rule lists both.",
                best + 1,
                req.method,
                list(&r.allowed_methods)
            ),
        )
    };
    Evaluation {
        allowed: false,
        selected: None,
        closest: Some(best),
        failing: Some(failing),
        failing_values: values,
        explanation: why,
        hints,
    }
}

// ---------------------------------------------------------------------------------------------
// Limits and lint
// ---------------------------------------------------------------------------------------------

/// Everything about a rule list that breaks a documented limit or cannot work as written.
pub fn lint(rules: &[CorsRule]) -> Vec<String> {
    let mut out = Vec::new();
    if rules.len() > MAX_RULES {
        out.push(format!(
            "{} rules: the service accepts at most {MAX_RULES} per service.",
            rules.len()
        ));
    }
    let mut total = 0usize;
    for (i, r) in rules.iter().enumerate() {
        let n = i + 1;
        if r.allowed_origins.is_empty() {
            out.push(format!("Rule {n} lists no origin, so it never matches."));
        }
        if r.allowed_methods.is_empty() {
            out.push(format!("Rule {n} lists no method, so it never matches."));
        }
        if r.allowed_origins.len() > MAX_ORIGINS {
            out.push(format!(
                "Rule {n} lists {} origins; the limit is {MAX_ORIGINS}.",
                r.allowed_origins.len()
            ));
        }
        for o in r.allowed_origins.iter().filter(|o| o.trim() != "*") {
            if o.trim().ends_with('/') {
                out.push(format!(
                    "Rule {n}: the origin '{o}' ends with '/'; browsers send origins without \
                     one, so this entry never matches. Remove the slash."
                ));
            } else if o.contains('*') {
                out.push(format!(
                    "Rule {n}: '{o}' uses '*' inside an origin; the service only accepts '*' on \
                     its own or exact origins."
                ));
            } else if let Some(p) = origin_parts(o.trim()) {
                if !p.rest.is_empty() {
                    out.push(format!(
                        "Rule {n}: '{o}' has a path; an origin is only scheme://host[:port]."
                    ));
                } else if !p.port.is_empty() && p.port == default_port(p.scheme) {
                    out.push(format!(
                        "Rule {n}: '{o}' writes the default port; browsers leave it out of the \
                         Origin header, so write the origin without ':{}'.",
                        p.port
                    ));
                }
            } else {
                out.push(format!(
                    "Rule {n}: '{o}' is not an origin (scheme://host[:port])."
                ));
            }
        }
        for m in &r.allowed_methods {
            if !METHODS.iter().any(|k| k.eq_ignore_ascii_case(m.trim())) {
                out.push(format!(
                    "Rule {n}: '{m}' is not a method the service accepts."
                ));
            }
        }
        for (what, list) in [
            ("allowed", &r.allowed_headers),
            ("exposed", &r.exposed_headers),
        ] {
            let prefixed = list.iter().filter(|h| is_prefixed(h)).count();
            let literal = list.iter().filter(|h| !is_prefixed(h) && *h != "*").count();
            if prefixed > MAX_PREFIXED_HEADERS {
                out.push(format!(
                    "Rule {n} has {prefixed} prefixed {what} headers; the limit is \
                     {MAX_PREFIXED_HEADERS}."
                ));
            }
            if literal > MAX_LITERAL_HEADERS {
                out.push(format!(
                    "Rule {n} has {literal} literal {what} headers; the limit is \
                     {MAX_LITERAL_HEADERS}."
                ));
            }
        }
        for item in r
            .allowed_origins
            .iter()
            .chain(&r.allowed_headers)
            .chain(&r.exposed_headers)
        {
            if item.chars().count() > MAX_ITEM_CHARS {
                out.push(format!(
                    "Rule {n}: '{}…' is longer than {MAX_ITEM_CHARS} characters.",
                    item.chars().take(40).collect::<String>()
                ));
            }
        }
        total += r.allowed_origins.join(",").len()
            + r.allowed_methods.join(",").len()
            + r.allowed_headers.join(",").len()
            + r.exposed_headers.join(",").len()
            + r.max_age_seconds.to_string().len();
    }
    if total > MAX_TOTAL_BYTES {
        out.push(format!(
            "All rules together hold {total} bytes of settings; the service refuses more than \
             {MAX_TOTAL_BYTES} (2 KB, tags excluded)."
        ));
    }
    out
}

// ---------------------------------------------------------------------------------------------
// The CLI entry point
// ---------------------------------------------------------------------------------------------

/// The answer of `storage-doctor cors`: would the service let this browser request through,
/// and if not, why and what to change.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CorsCheck {
    /// `allowed` or `blocked`.
    pub verdict: &'static str,
    pub service: String,
    pub origin: String,
    pub method: String,
    pub headers: Vec<String>,
    /// How many rules the service has.
    pub rules: usize,
    /// 1-based number of the rule the service selects (origin and method match).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub selected_rule: Option<usize>,
    /// 1-based number of the rule that comes closest (the selected one when there is one).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub closest_rule: Option<usize>,
    /// `origin`, `method` or `header`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failing_element: Option<Element>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub failing_values: Vec<String>,
    pub explanation: String,
    /// Problems with the current rules and general cautions.
    pub warnings: Vec<String>,
    /// The rule to add or the changed rule (only when blocked).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub generated_rule: Option<CorsRuleOut>,
    /// The complete rule list after the change (only when blocked).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub rules_after: Vec<CorsRuleOut>,
    /// The change written out for the portal, CLI, PowerShell, Bicep, ARM, XML, .NET and JS.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub forms: Vec<CorsForm>,
}

fn validate_origin(origin: &str) -> Result<String, String> {
    let o = origin.trim();
    let parts = origin_parts(o).ok_or_else(|| {
        format!("'{origin}' is not an origin: write it as scheme://host[:port], e.g. https://app.contoso.com")
    })?;
    if parts.host.is_empty() {
        return Err(format!("'{origin}' has no host name"));
    }
    match parts.rest {
        "" => Ok(o.to_string()),
        "/" => Ok(o.trim_end_matches('/').to_string()),
        _ => Err(format!(
            "'{origin}' includes a path; the browser's Origin is only scheme://host[:port]"
        )),
    }
}

/// Checks one browser request against the rules in `rules_text` (service-properties XML,
/// `az storage cors list` JSON, or ARM `corsRules` JSON).
///
/// * `service`: which service's rules to use. Needed when the file holds rules of several
///   services; when the file does not say (XML) the rules are taken as the given service's (blob
///   when `None`).
/// * `origin`: the page's origin as the browser sends it (`https://app.contoso.com`).
/// * `method`: the method of the actual request (`PUT`), not `OPTIONS`.
/// * `headers`: the request headers the browser asks about (`Access-Control-Request-Headers`);
///   comma-joined lists are split.
///
/// Errors name what is wrong with the input (unreadable rules, no rules for the service, an
/// origin with a path, an unknown method); the CLI prints them and exits with status 2. A
/// `--service` word maps with [`Service::from_word`].
///
/// ```
/// use storage_doctor_core::knowledge::cors::check;
/// use storage_doctor_core::model::Service;
///
/// let rules = r#"[{"Service": "blob", "Rule": 1, "AllowedOrigins": "https://app.contoso.com",
///                  "AllowedMethods": "GET,PUT", "AllowedHeaders": "x-ms-version",
///                  "ExposedHeaders": "x-ms-*", "MaxAgeInSeconds": 3600}]"#;
/// let c = check(rules, Some(Service::Blob), "https://app.contoso.com", "PUT",
///               &["x-ms-version", "x-ms-blob-type"]).unwrap();
/// assert_eq!(c.verdict, "blocked");
/// assert_eq!(c.failing_values, ["x-ms-blob-type"]);
/// let json = serde_json::to_string(&c).unwrap(); // `--format json`
/// let text = c.to_text();                        // `--format text`
/// # assert!(json.contains("\"forms\"") && text.contains("az storage cors"));
/// ```
pub fn check<S: AsRef<str>>(
    rules_text: &str,
    service: Option<Service>,
    origin: &str,
    method: &str,
    headers: &[S],
) -> Result<CorsCheck, String> {
    let doc = parse_rules(rules_text)?;
    let mut warnings: Vec<String> = doc.warnings.clone();
    if origin.trim().ends_with('/') {
        warnings.push(format!(
            "The origin '{}' was given with a trailing slash; browsers send it without one, so \
             it was checked as '{}'.",
            origin.trim(),
            origin.trim().trim_end_matches('/')
        ));
    }
    let origin = validate_origin(origin)?;
    let m = method.trim().to_ascii_uppercase();
    if m == "OPTIONS" {
        return Err(
            "give the method of the actual request (the one the browser puts in \
                    Access-Control-Request-Method), not OPTIONS"
                .to_string(),
        );
    }
    if !METHODS.contains(&m.as_str()) {
        return Err(format!(
            "'{method}' is not an HTTP method a CORS rule can list ({})",
            METHODS.join(", ")
        ));
    }
    let named: Vec<Service> = doc
        .sets
        .iter()
        .map(|(s, _)| *s)
        .filter(|s| *s != Service::Unknown)
        .collect();
    let (svc, rules) = match service.map(rules_service) {
        Some(s) => {
            let r = doc.for_service(s).ok_or_else(|| {
                format!(
                    "the file holds no rules for the {} service (it has: {})",
                    s.as_str(),
                    doc.sets
                        .iter()
                        .map(|(s, _)| s.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            })?;
            (s, r.clone())
        }
        None => match doc.sets.as_slice() {
            [(s, r)] => (*s, r.clone()),
            _ => {
                return Err(format!(
                    "the file holds rules for several services ({}); choose one with --service",
                    named
                        .iter()
                        .map(|s| s.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ))
            }
        },
    };
    if svc == Service::Unknown {
        warnings.push(
            "The rules do not say which service they belong to; they were checked as the blob \
             service's. Pass --service if they are another service's."
                .to_string(),
        );
    }
    let target = target_service(svc);
    warnings.extend(lint(&rules.rules));
    let req = CorsRequest::new(&origin, &m, headers);
    let ev = evaluate(&rules.rules, &req);
    warnings.extend(ev.hints.iter().cloned());
    let mut out = CorsCheck {
        verdict: if ev.allowed { "allowed" } else { "blocked" },
        service: target.as_str().to_string(),
        origin: req.origin.clone(),
        method: req.method.clone(),
        headers: req.headers.clone(),
        rules: rules.rules.len(),
        selected_rule: ev.selected.map(|i| i + 1),
        closest_rule: ev.closest.map(|i| i + 1),
        failing_element: ev.failing,
        failing_values: ev.failing_values.clone(),
        explanation: ev.explanation.clone(),
        warnings,
        generated_rule: None,
        rules_after: Vec::new(),
        forms: Vec::new(),
    };
    if !ev.allowed {
        let failure = Failure {
            request: req,
            credentials: false,
        };
        let s = suggest(target, std::slice::from_ref(&failure), Some(&rules));
        out.warnings.extend(s.notes.iter().cloned());
        out.warnings.extend(cautions(&s.rules, target));
        out.warnings.push(limits_note());
        if let Some(r) = s.rule() {
            out.generated_rule = Some(CorsRuleOut::new(target, r));
            out.rules_after = s
                .rules
                .iter()
                .map(|r| CorsRuleOut::new(target, r))
                .collect();
            out.forms = render_forms(&FormsInput {
                service: target,
                rules: &s.rules,
                status: &s.status,
                whole_list: true,
                account: None,
            });
        }
    }
    Ok(out)
}

impl CorsCheck {
    /// A terminal rendering: verdict, why, the change, and every form.
    pub fn to_text(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "{} — {} {} from {} to the {} service{}",
            self.verdict.to_ascii_uppercase(),
            self.method,
            if self.headers.is_empty() {
                String::new()
            } else {
                format!("(headers: {})", self.headers.join(", "))
            },
            self.origin,
            self.service,
            format_args!(
                " ({} rule{})",
                self.rules,
                if self.rules == 1 { "" } else { "s" }
            )
        );
        let _ = writeln!(s, "\n{}", self.explanation);
        if let Some(r) = &self.generated_rule {
            let _ = writeln!(s, "\nRule to set on the {} service:", r.service);
            let _ = writeln!(s, "  allowed origins: {}", r.allowed_origins.join(", "));
            let _ = writeln!(s, "  allowed methods: {}", r.allowed_methods.join(", "));
            let _ = writeln!(s, "  allowed headers: {}", list(&r.allowed_headers));
            let _ = writeln!(s, "  exposed headers: {}", list(&r.exposed_headers));
            let _ = writeln!(s, "  max age: {} s", r.max_age_seconds);
        }
        if !self.warnings.is_empty() {
            let _ = writeln!(s, "\nNotes:");
            for w in &self.warnings {
                let _ = writeln!(s, "  - {w}");
            }
        }
        for f in &self.forms {
            let _ = writeln!(s, "\n== {} ==\n{}", f.name, f.text.trim_end());
        }
        s
    }
}

#[cfg(test)]
#[path = "cors_tests.rs"]
mod tests;
