//! `sas-scope-mismatch`: the SAS does not cover the service (`ss`), the level of resource
//! (`srt`), the resource (`sr`, `tn`), the client's address (`sip`) or the protocol (`spr`) of
//! the request. The finding names the field, what the token holds and what it would need.

use super::auth_common as ac;
use super::{Context, Evidence, Finding, Level, Rule, Severity};
use crate::knowledge::auth_failure::{classify, is_forbidden, Problem};
use crate::knowledge::sas::SasToken;
use crate::knowledge::sas_eval::{evaluate, SasCheck, Verdict};
use crate::model::EventView;

pub struct SasScopeMismatch;

const SCOPE: [&str; 6] = ["ss", "srt", "sr", "tn", "sip", "spr"];

struct Row {
    evidence: Evidence,
    field: &'static str,
    stated: bool,
}

fn value_of(t: &SasToken, field: &str) -> Option<String> {
    match field {
        "ss" => t.ss.clone(),
        "srt" => t.srt.clone(),
        "sr" => t.sr.clone(),
        "tn" => t.tn.clone(),
        "sip" => t.sip.clone(),
        "spr" => t.spr.clone(),
        _ => None,
    }
}

/// A missing `sr` is a malformed token (auth-malformed), not a scope question.
fn is_scope_failure(t: &SasToken, c: &SasCheck) -> bool {
    c.verdict == Verdict::Fails
        && SCOPE.contains(&c.field)
        && !(c.field == "sr" && t.sr.is_none() && !c.needs.starts_with("an account SAS"))
}

fn judge(cx: &Context<'_>, v: &EventView<'_>) -> Option<Row> {
    if !v.ev.is_failure() {
        return None;
    }
    let token = v.sas()?;
    let problem = classify(v);
    let stated_field = match &problem {
        Some(Problem::ServiceMismatch) => Some("ss"),
        Some(Problem::ResourceTypeMismatch) => Some("srt"),
        Some(Problem::SourceIpMismatch(_)) => Some("sip"),
        Some(Problem::ProtocolMismatch) => Some("spr"),
        Some(Problem::ResourceLevelNotAllowed) => Some("sr"),
        Some(Problem::AuthorizationFailure) | Some(Problem::SasAuthorizationError) => None,
        None if is_forbidden(v) => None,
        _ => return None,
    };
    let checks = evaluate(token, &ac::sas_request(cx, v));
    let (field, check) = match stated_field {
        Some(f) => (
            f,
            checks
                .iter()
                .find(|c| c.field == f && c.verdict == Verdict::Fails)
                .or_else(|| checks.iter().find(|c| c.field == f)),
        ),
        None => {
            let c = checks.iter().find(|c| is_scope_failure(token, c))?;
            (c.field, Some(c))
        }
    };
    let mut e = ac::with_token(ac::evidence(v, problem.as_ref()), token)
        .field("field", field)
        .field(
            "token_value",
            value_of(token, field)
                .map(|x| format!("{field}={x}"))
                .unwrap_or_else(|| format!("{field} not set")),
        );
    if let Some(c) = check {
        e = e
            .field("reason", c.reason.clone())
            .field("needs", c.needs.clone());
    }
    if let Some(Problem::SourceIpMismatch(Some(ip))) = &problem {
        e = e.field("caller_ip", ip.clone());
    } else if let Some(ip) = v.caller_ip() {
        e = e.field("caller_ip", ip);
    }
    if let Some(s) = v.extra(crate::model::Field::Scheme) {
        e = e.field("scheme", s);
    }
    Some(Row {
        evidence: e,
        field,
        stated: stated_field.is_some(),
    })
}

fn field_words(field: &str) -> &'static str {
    match field {
        "ss" => "service",
        "srt" => "resource type",
        "sr" | "tn" => "resource",
        "sip" => "client address",
        "spr" => "protocol",
        _ => "scope",
    }
}

fn explain(field: &str) -> &'static str {
    match field {
        "ss" => {
            "An account SAS lists the services it may be used with in ss (b blob, q queue, t \
             table, f file); a request to a service the list leaves out is refused with \
             AuthorizationServiceMismatch."
        }
        "srt" => {
            "An account SAS lists the levels of resource it covers in srt: s for service-level \
             calls (listing containers or queues, service properties), c for container-level \
             calls (creating, deleting or listing a container, queue, table or share), o for \
             objects (blobs, messages, entities, files). A call at a level the list leaves out \
             is refused with AuthorizationResourceTypeMismatch."
        }
        "sr" => {
            "A service SAS is bound to one resource: sr=b one blob, sr=c a container and its \
             blobs, sr=d a directory, sr=f one file, sr=s a share. It cannot reach above that \
             resource, and some operations cannot be granted by a service SAS at all (account- \
             level calls, container properties, metadata, ACLs and leases, creating or deleting \
             containers); those need an account SAS, Shared Key or Microsoft Entra ID."
        }
        "tn" => "A table SAS is bound to the table named in tn and works for no other table.",
        "sip" => {
            "A SAS with sip is accepted only from the addresses it lists, and the service \
             compares the address it sees: behind NAT, a proxy or a corporate gateway that is \
             the public address, not the machine's own. Requests from anywhere else are refused \
             with AuthorizationSourceIPMismatch."
        }
        "spr" => {
            "A SAS with spr=https is accepted over HTTPS only; a request sent over plain HTTP is \
             refused with AuthorizationProtocolMismatch."
        }
        _ => "",
    }
}

fn fix_for(field: &str, needs: &str) -> String {
    let value = |v: &str| {
        if needs.is_empty() {
            format!("the missing {v}")
        } else {
            format!("{field}={needs}")
        }
    };
    match field {
        "ss" => format!(
            "Issue the account SAS with {} (az storage account generate-sas --services), or \
             use a separate token per service.",
            value("service letter")
        ),
        "srt" => format!(
            "Issue the account SAS with {} (az storage account generate-sas \
             --resource-types), or use a container SAS for work inside one container.",
            value("resource type")
        ),
        "sr" => format!(
            "Use a token bound at the right level ({}): a container SAS (sr=c) to list or \
             reach several blobs, an account SAS with srt=c or srt=s for container- and \
             account-level operations, or Microsoft Entra ID.",
            if needs.is_empty() {
                "see the evidence"
            } else {
                needs
            }
        ),
        "tn" => format!(
            "Issue the token for the table the request goes to ({}).",
            value("table")
        ),
        "sip" => format!(
            "Put the address the service sees into sip, or a range around it ({}); if the \
             caller's public address changes, drop sip and restrict access with the storage \
             firewall or a private endpoint instead.",
            if needs.is_empty() {
                "the server log's CallerIpAddress shows it"
            } else {
                needs
            }
        ),
        "spr" => "Call the https:// endpoint (recommended); only if plain HTTP is truly \
             needed, issue the token with spr=https,http."
            .to_string(),
        _ => String::new(),
    }
}

impl Rule for SasScopeMismatch {
    fn id(&self) -> &'static str {
        "sas-scope-mismatch"
    }
    fn default_severity(&self) -> Severity {
        Severity::Error
    }
    fn run(&self, cx: &Context<'_>) -> Vec<Finding> {
        let rows: Vec<Row> = cx.auth_failures().filter_map(|v| judge(cx, &v)).collect();
        if rows.is_empty() {
            return Vec::new();
        }
        let n = rows.len();
        let mut fields: Vec<&'static str> = Vec::new();
        for r in &rows {
            if !fields.contains(&r.field) {
                fields.push(r.field);
            }
        }
        let first = &rows[0].evidence;
        let title = if fields.len() == 1 {
            let f = fields[0];
            let value = first.fields.get("token_value").cloned().unwrap_or_default();
            let needs = first.fields.get("needs").cloned().unwrap_or_default();
            let op = first.fields.get("operation").cloned().unwrap_or_default();
            let mut t = format!(
                "The SAS does not cover the request's {}: {value}",
                field_words(f)
            );
            if !needs.is_empty() {
                // ss, srt, sr and tn needs are values of the field; sip and spr needs are words.
                let wanted = if matches!(f, "ss" | "srt" | "sr" | "tn") {
                    format!("{f}={needs}")
                } else {
                    needs
                };
                t.push_str(&format!(
                    "; {} needs {wanted}",
                    if op.is_empty() {
                        "the request".to_string()
                    } else {
                        op
                    }
                ));
            }
            if n > 1 {
                t.push_str(&format!(" ({})", ac::requests(n)));
            }
            t
        } else {
            format!(
                "{} fell outside the SAS's scope ({})",
                ac::requests(n),
                fields.join(", ")
            )
        };
        let mut explanation: Vec<String> = fields.iter().map(|f| explain(f).to_string()).collect();
        let reasons = ac::distinct(
            &rows.iter().map(|r| r.evidence.clone()).collect::<Vec<_>>(),
            "reason",
        );
        if !reasons.is_empty() {
            explanation.push(format!("Here: {}.", reasons.join("; ")));
        }
        if rows.iter().any(|r| !r.stated) {
            explanation.push(
                "The log does not carry the service's error code for every request; the field \
                 named was found by checking the token against the request."
                    .to_string(),
            );
        }
        let mut fix: Vec<String> = Vec::new();
        for f in &fields {
            let needs = rows
                .iter()
                .find(|r| r.field == *f)
                .and_then(|r| r.evidence.fields.get("needs").cloned())
                .unwrap_or_default();
            fix.push(fix_for(f, &needs));
        }
        fix.push(
            "Generate tokens with the SDK or the CLI from the operations the application will \
             perform, so that the scope and the use cannot drift apart."
                .to_string(),
        );
        let stated = rows.iter().all(|r| r.stated);
        let evidence: Vec<Evidence> = rows.into_iter().map(|r| r.evidence).collect();
        let mut f = ac::finding(
            self.id(),
            self.default_severity(),
            title,
            explanation.join(" "),
            fix,
            ac::confidence(
                if stated { Level::High } else { Level::Medium },
                "The response's error code (AuthorizationServiceMismatch, \
                 AuthorizationResourceTypeMismatch, AuthorizationSourceIPMismatch or \
                 AuthorizationProtocolMismatch) names the field; add the error body or the \
                 server-side log row (its CallerIpAddress shows the address the service saw).",
            ),
            evidence,
        );
        f.kql = Some(ac::kql(
            cx,
            &f,
            &[ac::where_codes(
                &[403],
                &[
                    "AuthorizationServiceMismatch",
                    "AuthorizationResourceTypeMismatch",
                    "AuthorizationSourceIPMismatch",
                    "AuthorizationProtocolMismatch",
                ],
            )],
        ));
        vec![f]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Field, Method, RawEvent, SourceKind};
    use crate::rules::auth_common::testkit::*;

    fn ev(url: &str, code: &str, detail: &str) -> RawEvent<'static> {
        RawEvent {
            time: t("2024-03-05T10:00:00Z"),
            status: 403,
            method: Method::Put,
            operation: "PutBlob".into(),
            error_code: code.to_string().into(),
            url: url.to_string().into(),
            ..Default::default()
        }
        .with(Field::Detail, detail.to_string())
    }

    #[test]
    fn resource_type_named_with_what_it_needs() {
        let url = "https://acct.blob.core.windows.net/c/b?sv=2019-02-02&ss=b&srt=c&sp=rwl&se=2030-01-01T00:00:00Z&sig=c2ln";
        let f = run(
            &SasScopeMismatch,
            &dataset(vec![ev(url, "AuthorizationResourceTypeMismatch", "")]),
        );
        assert_eq!(f.len(), 1);
        let f = &f[0];
        assert_eq!(f.confidence.level, Level::High);
        assert_eq!(f.evidence[0].fields["field"], "srt");
        assert_eq!(f.evidence[0].fields["needs"], "co");
        assert!(
            f.title.contains("srt=c; PutBlob needs srt=co"),
            "{}",
            f.title
        );
        assert!(f
            .kql
            .as_deref()
            .unwrap()
            .contains("AuthorizationResourceTypeMismatch"));
    }

    #[test]
    fn source_ip_from_the_message() {
        let url = "https://acct.blob.core.windows.net/c/b?sv=2019-02-02&sr=b&sp=rw&sip=10.1.0.0-10.1.255.255&se=2030-01-01T00:00:00Z&sig=c2ln";
        let f = run(&SasScopeMismatch, &dataset(vec![ev(url, "", "This request is not authorized to perform this operation using this source IP 203.0.113.7.")]));
        let e = &f[0].evidence[0];
        assert_eq!(e.fields["field"], "sip");
        assert_eq!(e.fields["caller_ip"], "203.0.113.7");
        assert!(e.fields["needs"].contains("203.0.113.7"));
        assert_eq!(e.error_code, "AuthorizationSourceIPMismatch");
    }

    #[test]
    fn inferred_from_the_token_when_the_log_has_no_code() {
        let mut e = ev("http://acct.blob.core.windows.net/c/b?sv=2019-02-02&sr=b&sp=rw&spr=https&se=2030-01-01T00:00:00Z&sig=c2ln", "", "");
        e.extras.clear();
        let f = run(&SasScopeMismatch, &dataset(vec![e]));
        assert_eq!(f[0].evidence[0].fields["field"], "spr");
        assert_eq!(f[0].confidence.level, Level::Medium);
        // The same request from a server log row with the address the service saw.
        let mut s = ev("https://acct.blob.core.windows.net/c/b?sv=2019-02-02&sr=b&sp=rw&sip=10.0.0.1&se=2030-01-01T00:00:00Z&sig=c2ln", "SASAuthorizationError", "");
        s.source = SourceKind::Server;
        s.extras = vec![(Field::CallerIp, "52.1.2.3:51234".into())];
        let f = run(&SasScopeMismatch, &dataset(vec![s]));
        assert_eq!(f[0].evidence[0].fields["field"], "sip");
    }

    #[test]
    fn quiet_when_scope_is_fine_or_sr_is_missing() {
        let fine = ev("https://acct.blob.core.windows.net/c/b?sv=2019-02-02&sr=b&sp=rw&se=2030-01-01T00:00:00Z&sig=c2ln", "", "");
        let missing_sr = ev("https://acct.blob.core.windows.net/c/b?sv=2019-02-02&sp=rw&se=2030-01-01T00:00:00Z&sig=c2ln", "", "");
        let ok = RawEvent { status: 201, ..ev("https://acct.blob.core.windows.net/c/b?sv=2019-02-02&ss=q&srt=o&sp=rw&se=2030-01-01T00:00:00Z&sig=c2ln", "", "") };
        assert!(run(&SasScopeMismatch, &dataset(vec![fine, missing_sr, ok])).is_empty());
    }
}
