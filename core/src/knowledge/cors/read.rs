//! Reading a service's current CORS rules from the shapes users export them in.

use super::*;

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
