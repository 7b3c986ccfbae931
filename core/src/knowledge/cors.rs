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
mod xml;

pub use forms::{render_forms, CorsForm, FormsInput, RuleStatus};

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
// Reading the current rules
// ---------------------------------------------------------------------------------------------

/// The rules found in one document, per service, plus what looked wrong while reading.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct RulesDoc {
    /// In document order. `Service::Unknown` when the document does not say (XML, a bare list).
    pub sets: Vec<(Service, CorsRules)>,
    pub warnings: Vec<String>,
}

impl RulesDoc {
    /// The rules for `service` (dfs → blob). A set whose service the document does not name is
    /// used when it is the only set; `None` when the document has nothing for this service.
    pub fn for_service(&self, service: Service) -> Option<&CorsRules> {
        let want = rules_service(service);
        self.sets
            .iter()
            .find(|(s, _)| *s == want)
            .or_else(|| match self.sets.as_slice() {
                [(Service::Unknown, _)] => self.sets.first(),
                _ => None,
            })
            .map(|(_, r)| r)
    }
}

/// Reads current rules from service-properties XML (`<StorageServiceProperties><Cors>…` or a bare
/// `<Cors>`), from `az storage cors list` output (the flat list with `Service` and `Rule`, or the
/// older object keyed by service), from ARM/Bicep-shaped JSON (`corsRules`, with the service taken
/// from a surrounding `type`/`id`), or from a bare JSON list of rules.
pub fn parse_rules(text: &str) -> Result<RulesDoc, String> {
    let t = text.trim_start_matches('\u{feff}').trim();
    match t.chars().next() {
        Some('<') => parse_xml(t),
        Some('{') | Some('[') => parse_json(t),
        Some(_) => Err(
            "expected service-properties XML or JSON (az storage cors list, ARM \
                        corsRules)"
                .to_string(),
        ),
        None => Err("the text is empty".to_string()),
    }
}

fn parse_xml(t: &str) -> Result<RulesDoc, String> {
    let root = xml::parse(t).map_err(|e| format!("not well-formed XML: {e}"))?;
    let cors = root.find("Cors").ok_or(
        "the XML has no <Cors> element (Get Service Properties returns one, empty when CORS is \
         off)",
    )?;
    let mut doc = RulesDoc::default();
    let mut rules = Vec::new();
    for (n, el) in cors.children.iter().enumerate() {
        if el.name != "CorsRule" {
            doc.warnings.push(format!(
                "<{}> inside <Cors> is not a rule and was ignored",
                el.name
            ));
            continue;
        }
        let text_of = |name: &str| el.child(name).map(|c| c.text.as_str()).unwrap_or("");
        let max_age = text_of("MaxAgeInSeconds").trim();
        let max_age_seconds = if max_age.is_empty() {
            0
        } else {
            max_age.parse::<u32>().unwrap_or_else(|_| {
                doc.warnings.push(format!(
                    "rule {}: MaxAgeInSeconds '{max_age}' is not a number",
                    n + 1
                ));
                0
            })
        };
        rules.push(CorsRule {
            allowed_origins: split_list(text_of("AllowedOrigins")),
            allowed_methods: split_list(text_of("AllowedMethods")),
            allowed_headers: split_list(text_of("AllowedHeaders")),
            exposed_headers: split_list(text_of("ExposedHeaders")),
            max_age_seconds,
        });
    }
    doc.sets.push((Service::Unknown, CorsRules { rules }));
    Ok(doc)
}

fn norm_key(k: &str) -> String {
    k.chars()
        .filter(|c| *c != '_' && *c != '-')
        .flat_map(char::to_lowercase)
        .collect()
}

fn get_ci<'a>(
    obj: &'a serde_json::Map<String, serde_json::Value>,
    key: &str,
) -> Option<&'a serde_json::Value> {
    obj.iter().find(|(k, _)| norm_key(k) == key).map(|(_, v)| v)
}

fn json_list(v: Option<&serde_json::Value>) -> Vec<String> {
    match v {
        Some(serde_json::Value::String(s)) => split_list(s),
        Some(serde_json::Value::Array(a)) => a
            .iter()
            .filter_map(|x| x.as_str())
            .flat_map(split_list)
            .collect(),
        _ => Vec::new(),
    }
}

fn looks_like_rule(obj: &serde_json::Map<String, serde_json::Value>) -> bool {
    get_ci(obj, "allowedorigins").is_some() || get_ci(obj, "allowedmethods").is_some()
}

fn json_rule(
    obj: &serde_json::Map<String, serde_json::Value>,
    warnings: &mut Vec<String>,
) -> CorsRule {
    let max_age_seconds = match get_ci(obj, "maxageinseconds").or_else(|| get_ci(obj, "maxage")) {
        Some(serde_json::Value::Number(n)) => n.as_u64().unwrap_or(0).min(u32::MAX as u64) as u32,
        Some(serde_json::Value::String(s)) if !s.trim().is_empty() => {
            s.trim().parse().unwrap_or_else(|_| {
                warnings.push(format!("maxAgeInSeconds '{s}' is not a number"));
                0
            })
        }
        _ => 0,
    };
    CorsRule {
        allowed_origins: json_list(get_ci(obj, "allowedorigins")),
        allowed_methods: json_list(get_ci(obj, "allowedmethods")),
        allowed_headers: json_list(get_ci(obj, "allowedheaders")),
        exposed_headers: json_list(get_ci(obj, "exposedheaders")),
        max_age_seconds,
    }
}

/// The service named by a word, a resource type (`…/blobServices`) or a resource id.
fn service_of_word(w: &str) -> Service {
    let l = w.to_ascii_lowercase();
    for (needle, s) in [
        ("blobservices", Service::Blob),
        ("fileservices", Service::File),
        ("queueservices", Service::Queue),
        ("tableservices", Service::Table),
    ] {
        if l.contains(needle) {
            return s;
        }
    }
    match l.trim() {
        "blob" | "b" => Service::Blob,
        "file" | "f" => Service::File,
        "queue" | "q" => Service::Queue,
        "table" | "t" => Service::Table,
        _ => Service::Unknown,
    }
}

fn push_set(doc: &mut RulesDoc, service: Service, rules: Vec<CorsRule>) {
    if let Some((_, existing)) = doc.sets.iter_mut().find(|(s, _)| *s == service) {
        existing.rules.extend(rules);
    } else {
        doc.sets.push((service, CorsRules { rules }));
    }
}

/// Walks any JSON looking for `corsRules` arrays, CLI outputs and bare rule lists.
fn walk_json(v: &serde_json::Value, service: Service, doc: &mut RulesDoc, depth: usize) {
    if depth > 32 {
        return;
    }
    match v {
        serde_json::Value::Array(items) => {
            let objs: Vec<&serde_json::Map<String, serde_json::Value>> =
                items.iter().filter_map(|x| x.as_object()).collect();
            if !objs.is_empty() && objs.iter().all(|o| looks_like_rule(o)) {
                // `az storage cors list`: one object per rule with `Service`; older CLI versions
                // write the service only on the first rule of each service.
                let mut current = service;
                let mut by_service: Vec<(Service, Vec<CorsRule>)> = Vec::new();
                for o in objs {
                    if let Some(s) = get_ci(o, "service").and_then(|x| x.as_str()) {
                        if !s.trim().is_empty() {
                            current = service_of_word(s);
                        }
                    }
                    let r = json_rule(o, &mut doc.warnings);
                    match by_service.iter_mut().find(|(s, _)| *s == current) {
                        Some((_, rs)) => rs.push(r),
                        None => by_service.push((current, vec![r])),
                    }
                }
                for (s, rs) in by_service {
                    push_set(doc, s, rs);
                }
                return;
            }
            for x in items {
                walk_json(x, service, doc, depth + 1);
            }
        }
        serde_json::Value::Object(obj) => {
            let mut here = service;
            for key in ["type", "id"] {
                if let Some(s) = get_ci(obj, key).and_then(|x| x.as_str()) {
                    let sv = service_of_word(s);
                    if sv != Service::Unknown && s.contains('/') {
                        here = sv;
                        break;
                    }
                }
            }
            if let Some(rules) = get_ci(obj, "corsrules") {
                let rules: Vec<CorsRule> = rules
                    .as_array()
                    .map(|a| {
                        a.iter()
                            .filter_map(|x| x.as_object())
                            .map(|o| json_rule(o, &mut doc.warnings))
                            .collect()
                    })
                    .unwrap_or_default();
                push_set(doc, here, rules);
                return;
            }
            if looks_like_rule(obj) {
                let r = json_rule(obj, &mut doc.warnings);
                push_set(doc, here, vec![r]);
                return;
            }
            for (k, val) in obj {
                // `{ "blob": [rules], "queue": [] }` (older CLI output).
                let sv = service_of_word(k);
                let next = if sv != Service::Unknown && val.is_array() {
                    sv
                } else {
                    here
                };
                if sv != Service::Unknown && val.as_array().is_some_and(|a| a.is_empty()) {
                    push_set(doc, sv, Vec::new());
                    continue;
                }
                walk_json(val, next, doc, depth + 1);
            }
        }
        _ => {}
    }
}

fn parse_json(t: &str) -> Result<RulesDoc, String> {
    let v: serde_json::Value =
        serde_json::from_str(t).map_err(|e| format!("not valid JSON: {e}"))?;
    let mut doc = RulesDoc::default();
    walk_json(&v, Service::Unknown, &mut doc, 0);
    if doc.sets.is_empty() {
        return Err(
            "the JSON holds no CORS rules (no corsRules, and no objects with \
                    AllowedOrigins/AllowedMethods)"
                .to_string(),
        );
    }
    Ok(doc)
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
// Generating the fix
// ---------------------------------------------------------------------------------------------

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

fn still_fails(rules: &[CorsRule], f: &Failure) -> bool {
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
/// origin with a path, an unknown method).
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
