//! `sas-version-mismatch` (advisory): the SAS was signed with a service version (`sv`) that is
//! old, malformed, or differs from the `x-ms-version` the client library sends. A difference on
//! its own is normal; it is reported only for tokens whose requests failed, as a lead to check
//! when nothing else explains the failure.

use std::collections::{BTreeMap, HashMap};

use super::auth_common as ac;
use super::{Context, Evidence, Finding, Level, Rule, Severity};
use crate::knowledge::auth_failure::{
    classify, is_forbidden, is_refused_preflight, request_version, Problem,
};
use crate::model::{EventView, Field};

pub struct SasVersionMismatch;

fn is_version(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
}

/// A failure that the token could be behind: refused (401/403) or classified as an
/// authentication or authorization problem (an old-style 404 included).
fn failed_for_auth(v: &EventView<'_>) -> bool {
    v.ev.is_failure() && !is_refused_preflight(v) && (is_forbidden(v) || classify(v).is_some())
}

/// Failures whose cause the service named and the version cannot be behind: the token's
/// window, permissions or scope, or a problem of the request that has nothing to do with a SAS.
/// The version is a lead only for what remains (a signature that does not verify, a field
/// the service could not read, an unexplained refusal, an old-style 404).
fn explained_otherwise(p: Option<&Problem>) -> bool {
    matches!(
        p,
        Some(
            Problem::TimeFrame(_)
                | Problem::PermissionMismatch
                | Problem::ServiceMismatch
                | Problem::ResourceTypeMismatch
                | Problem::SourceIpMismatch(_)
                | Problem::ProtocolMismatch
                | Problem::ResourceLevelNotAllowed
                | Problem::DateTooOld(_)
                | Problem::KeyBasedNotPermitted
        )
    )
}

/// The `x-ms-version` the client library of each input sends most often (from its own
/// requests: headers, `api-version`, Shared Key strings-to-sign).
fn library_versions(cx: &Context<'_>) -> HashMap<u16, String> {
    let mut counts: HashMap<u16, BTreeMap<String, usize>> = HashMap::new();
    for v in cx.ds.iter() {
        if let Some(x) = request_version(&v) {
            *counts.entry(v.ev.input).or_default().entry(x).or_default() += 1;
        }
    }
    counts
        .into_iter()
        .filter_map(|(i, m)| m.into_iter().max_by_key(|(_, n)| *n).map(|(x, _)| (i, x)))
        .collect()
}

impl Rule for SasVersionMismatch {
    fn id(&self) -> &'static str {
        "sas-version-mismatch"
    }
    fn default_severity(&self) -> Severity {
        Severity::Warning
    }
    fn run(&self, cx: &Context<'_>) -> Vec<Finding> {
        // Needed only for a failing request that does not carry its own version.
        let library = std::cell::OnceCell::new();
        let mut evidence: Vec<Evidence> = Vec::new();
        let mut malformed_said = false;
        let mut reasons: Vec<String> = Vec::new();
        for v in cx.rows_where(|r| r.is_failure() && r.has(Field::Sas)) {
            // The status first: it is in the record, while the token is looked up.
            if !v.ev.is_failure() {
                continue;
            }
            let Some(token) = v.sas() else { continue };
            if !failed_for_auth(&v) || explained_otherwise(classify(&v).as_ref()) {
                continue;
            }
            let Some(sv) = token.sv.as_deref() else {
                continue;
            };
            let said = v
                .extra(Field::Detail)
                .is_some_and(|d| d.contains("'sv'") && d.contains("not well formed"))
                || matches!(classify(&v), Some(Problem::Malformed(m)) if m.contains("'sv'"));
            let (sent, source) = match request_version(&v) {
                Some(x) => (Some(x), "the request"),
                None => (
                    library
                        .get_or_init(|| library_versions(cx))
                        .get(&v.ev.input)
                        .cloned(),
                    "the client library's other requests in this log",
                ),
            };
            // The api-version of a legacy SAS URL often just repeats sv; that is no evidence.
            let differs = sent.as_deref().is_some_and(|x| x != sv);
            let reason = if said || !is_version(sv) {
                Some(format!(
                    "sv={sv} is not a service version the service accepts"
                ))
            } else if sv < "2015-04-05" {
                Some(format!(
                    "sv={sv} is older than 2015-04-05: such tokens cannot carry sip or spr, and \
                     the service reports their missing permissions as 404"
                ))
            } else if differs {
                Some(format!(
                    "sv={sv}, while {source} use{} x-ms-version {}",
                    if source == "the request" { "s" } else { "" },
                    sent.clone().unwrap_or_default()
                ))
            } else {
                None
            };
            let Some(reason) = reason else { continue };
            malformed_said |= said;
            if !reasons.contains(&reason) {
                reasons.push(reason.clone());
            }
            let mut e = ac::evidence(&v, classify(&v).as_ref())
                .field("sv", sv)
                .field("version_note", reason);
            if let Some(x) = sent {
                e = e
                    .field("x_ms_version", x)
                    .field("x_ms_version_from", source);
            }
            evidence.push(e);
        }
        if evidence.is_empty() {
            return Vec::new();
        }
        let svs = ac::distinct(&evidence, "sv");
        let title = format!(
            "{} with a SAS signed as sv={} failed; the token's version is worth checking",
            ac::requests(evidence.len()),
            svs.join(", sv=")
        );
        let explanation = format!(
            "sv is the service version a token was signed with: it fixes the layout of the \
             string that was signed and which fields the token may carry. A token whose sv \
             differs from the x-ms-version the client sends is normal and works in most cases, \
             so this is a lead, not a verdict. It matters when a token was built by hand or by \
             another tool with fields its sv does not know (sip and spr need 2015-04-05, sr and \
             snapshot lines 2018-11-09, encryption scopes 2020-12-06), which makes the \
             signature fail; when sv is older than 2015-04-05, so that missing permissions come \
             back as 404; or when a local emulator does not know a new sv. Here: {}.",
            reasons.join("; ")
        );
        let fix = vec![
            "Let the SDK that uses the token also generate it (or use a current SDK on both \
             sides), and do not set sv by hand."
                .to_string(),
            "If the token is built by hand, sign the string-to-sign layout of exactly the sv \
             written in the token."
                .to_string(),
            "Against Azurite or another emulator, upgrade it to a version that knows this sv \
             (Azurite can also be started with --skipApiVersionCheck)."
                .to_string(),
        ];
        vec![ac::finding(
            self.id(),
            self.default_severity(),
            title,
            explanation,
            fix,
            ac::confidence(
                if malformed_said {
                    Level::Medium
                } else {
                    Level::Low
                },
                "A version difference rarely causes a failure by itself; the error body's \
                 AuthenticationErrorDetail (for example \"SAS field 'sv' is not well formed\") \
                 shows whether the version is the problem.",
            ),
            evidence,
        )]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{AuthKind, RawEvent};
    use crate::rules::auth_common::testkit::*;

    fn sas(url: &str, status: u16, detail: &str) -> RawEvent<'static> {
        RawEvent {
            time: t("2024-03-05T10:00:00Z"),
            status,
            url: url.to_string().into(),
            ..Default::default()
        }
        .with(Field::Detail, detail.to_string())
    }

    fn shared_key_with(version: &str) -> RawEvent<'static> {
        RawEvent {
            time: t("2024-03-05T09:59:00Z"),
            status: 200,
            auth: AuthKind::SharedKey,
            url: "https://acct.blob.core.windows.net/c?restype=container".into(),
            ..Default::default()
        }
        .with(
            Field::StringToSign,
            format!("HEAD............x-ms-date:Tue, 05 Mar 2024 09:59:00 GMT.x-ms-version:{version}./acct/c.restype:container"),
        )
    }

    const OLD: &str = "https://acct.blob.core.windows.net/c/b?sv=2013-08-15&sr=b&sp=r&se=2030-01-01T00:00:00Z&sig=c2ln";
    const NEW: &str = "https://acct.blob.core.windows.net/c/b?sv=2019-02-02&sr=b&sp=r&se=2030-01-01T00:00:00Z&sig=c2ln";

    #[test]
    fn old_sv_with_a_failure() {
        let ds = dataset(vec![
            shared_key_with("2017-04-17"),
            sas(OLD, 403, "Server failed to authenticate the request."),
        ]);
        let f = run(&SasVersionMismatch, &ds);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].severity, Severity::Warning);
        assert_eq!(f[0].confidence.level, Level::Low);
        let e = &f[0].evidence[0];
        assert_eq!(e.fields["sv"], "2013-08-15");
        assert_eq!(e.fields["x_ms_version"], "2017-04-17");
        assert!(e.fields["version_note"].contains("older than 2015-04-05"));
    }

    #[test]
    fn differing_version_with_a_failure_and_not_well_formed() {
        let ds = dataset(vec![
            shared_key_with("2021-08-06"),
            sas(NEW, 403, "Server failed to authenticate the request."),
        ]);
        let f = run(&SasVersionMismatch, &ds);
        assert!(f[0].evidence[0].fields["version_note"].contains("x-ms-version 2021-08-06"));
        let ds = dataset(vec![sas(NEW, 403, "SAS field 'sv' is not well formed.")]);
        let f = run(&SasVersionMismatch, &ds);
        assert_eq!(f[0].confidence.level, Level::Medium);
    }

    #[test]
    fn advisory_only_when_the_token_failed() {
        // A differing sv on successful traffic is normal.
        let ds = dataset(vec![shared_key_with("2021-08-06"), sas(NEW, 200, "")]);
        assert!(run(&SasVersionMismatch, &ds).is_empty());
        // A failure that is not about authorization (404 on a missing blob).
        let ds = dataset(vec![
            shared_key_with("2021-08-06"),
            sas(NEW, 404, "The specified blob does not exist."),
        ]);
        assert!(run(&SasVersionMismatch, &ds).is_empty());
        // Same version everywhere: nothing to say.
        let ds = dataset(vec![shared_key_with("2019-02-02"), sas(NEW, 403, "")]);
        assert!(run(&SasVersionMismatch, &ds).is_empty());
    }

    #[test]
    fn quiet_when_the_service_named_another_cause() {
        // The versions differ, but the service said what failed: the token's window or its
        // permissions. The version is no lead then (sas-expired, sas-permission-missing).
        let expired = sas(
            NEW,
            403,
            "Signature not valid in the specified time frame: Start [Tue, 05 Mar 2024 08:00:00 GMT] - Expiry [Tue, 05 Mar 2024 09:00:00 GMT] - Current [Tue, 05 Mar 2024 10:00:00 GMT]",
        );
        let denied = RawEvent {
            error_code: "AuthorizationPermissionMismatch".into(),
            ..sas(
                NEW,
                403,
                "This request is not authorized to perform this operation using this permission.",
            )
        };
        let ds = dataset(vec![shared_key_with("2021-08-06"), expired, denied]);
        assert!(run(&SasVersionMismatch, &ds).is_empty());
        // A refused CORS preflight on a URL with the token is no authorization failure.
        let preflight = RawEvent {
            error_code: "CorsPreflightFailure".into(),
            operation: "BlobPreflightRequest".into(),
            ..sas(
                NEW,
                403,
                "CORS not enabled or no matching rule found for this request.",
            )
        };
        let ds = dataset(vec![shared_key_with("2021-08-06"), preflight]);
        assert!(run(&SasVersionMismatch, &ds).is_empty());
        // An unexplained refusal with the same token still is a lead.
        let ds = dataset(vec![
            shared_key_with("2021-08-06"),
            sas(NEW, 403, "Server failed to authenticate the request."),
        ]);
        assert_eq!(run(&SasVersionMismatch, &ds).len(), 1);
    }
}
