//! `auth-malformed`: the request's authorization is missing or badly formed — an Authorization
//! header in the wrong format, no date header, a SAS without a field it must have or with a
//! value the service cannot read. The service answers 403 AuthenticationFailed (or 400
//! InvalidAuthenticationInfo) before it looks at permissions.

use super::auth_common as ac;
use super::{Context, Evidence, Finding, Level, Rule, Severity};
use crate::knowledge::auth_failure::{classify, is_forbidden, Problem};
use crate::knowledge::sas::{SasKind, SasToken};
use crate::knowledge::sas_eval::parse_ip;
use crate::knowledge::string_to_sign as sts;
use crate::model::{EventView, Field, Service, Timestamp};

pub struct AuthMalformed;

fn is_version(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
}

/// What is structurally wrong with a token, whatever the request.
pub(crate) fn token_defects(t: &SasToken, service: Service) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(sv) = t.sv.as_deref() {
        if !is_version(sv) {
            out.push(format!("sv={sv} is not a service version (YYYY-MM-DD)"));
        }
    }
    match t.kind() {
        SasKind::Account => {
            if t.ss.as_deref().is_none_or(str::is_empty) {
                out.push("the account SAS has no ss (services)".into());
            }
            if t.srt.as_deref().is_none_or(str::is_empty) {
                out.push("the account SAS has no srt (resource types)".into());
            }
        }
        _ => {
            if matches!(service, Service::Blob | Service::Dfs | Service::File)
                && t.sr.as_deref().is_none_or(str::is_empty)
            {
                out.push("the service SAS has no sr (what it is bound to)".into());
            }
        }
    }
    if t.si.is_none() {
        if t.sp.is_none() {
            out.push("there is no sp and no stored access policy (si) to supply one".into());
        }
        if t.se.is_none() {
            out.push(
                "there is no se (expiry) and no stored access policy (si) to supply one".into(),
            );
        }
    }
    if t.sp.as_deref() == Some("") {
        out.push("sp is empty".into());
    }
    for (k, v) in [("st", &t.st), ("se", &t.se)] {
        if let Some(v) = v {
            if Timestamp::parse(v).is_none() {
                out.push(format!("{k}={v} is not a UTC time the service reads"));
            }
        }
    }
    if let Some(sip) = t.sip.as_deref() {
        let ok = match sip.split_once('-') {
            Some((a, b)) => parse_ip(a).is_some() && parse_ip(b).is_some(),
            None => parse_ip(sip).is_some(),
        };
        if !ok {
            out.push(format!("sip={sip} is neither an address nor a range"));
        }
    }
    if let Some(spr) = t.spr.as_deref() {
        let s = spr.to_ascii_lowercase().replace(' ', "");
        if !matches!(s.as_str(), "https" | "https,http" | "http,https") {
            out.push(format!("spr={spr} is not https or https,http"));
        }
    }
    if !t.has_signature {
        out.push("there is no sig".into());
    }
    out
}

/// A Shared Key request that was signed without any date.
fn missing_date(v: &EventView<'_>) -> Option<String> {
    let s = v.extra(Field::StringToSign)?;
    let d = sts::decode(s);
    if !matches!(
        d.kind,
        sts::StsKind::SharedKey | sts::StsKind::SharedKeyTable | sts::StsKind::SharedKeyLite
    ) {
        return None;
    }
    let has_xms = d.parts.iter().any(|p| p.value.starts_with("x-ms-date:"));
    let has_date = d
        .parts
        .iter()
        .any(|p| p.label == "Date" && !p.value.trim().is_empty());
    (!has_xms && !has_date).then(|| {
        "the signed request carries neither x-ms-date nor Date, and the service requires one"
            .to_string()
    })
}

struct Row {
    evidence: Evidence,
    stated: bool,
    what: String,
}

fn judge(v: &EventView<'_>) -> Option<Row> {
    let problem = classify(v);
    let (what, stated) = match &problem {
        Some(Problem::Malformed(text)) => (text.clone(), true),
        Some(Problem::AuthenticationFailed) | None if is_forbidden(v) => {
            let what = match v.sas() {
                Some(t) => token_defects(t, v.ev.service).join("; "),
                None => missing_date(v).unwrap_or_default(),
            };
            if what.is_empty() {
                return None;
            }
            (what, false)
        }
        _ => return None,
    };
    let mut e = ac::evidence(v, problem.as_ref()).field("malformed", what.clone());
    if let Some(t) = v.sas() {
        e = ac::with_token(e, t).field("token", t.redacted_query());
    }
    Some(Row {
        evidence: e,
        stated,
        what,
    })
}

impl Rule for AuthMalformed {
    fn id(&self) -> &'static str {
        "auth-malformed"
    }
    fn default_severity(&self) -> Severity {
        Severity::Error
    }
    fn run(&self, cx: &Context<'_>) -> Vec<Finding> {
        let rows: Vec<Row> = cx.auth_failures().filter_map(|v| judge(&v)).collect();
        if rows.is_empty() {
            return Vec::new();
        }
        let n = rows.len();
        let mut whats: Vec<String> = Vec::new();
        for r in &rows {
            if !whats.contains(&r.what) {
                whats.push(r.what.clone());
            }
        }
        let sas = rows.iter().any(|r| r.evidence.fields.contains_key("token"));
        let title = if whats.len() == 1 {
            format!(
                "{} {} refused as malformed: {}",
                ac::requests(n),
                ac::were(n),
                whats[0]
            )
        } else {
            format!(
                "{} {} refused because their authorization is missing or malformed",
                ac::requests(n),
                ac::were(n)
            )
        };
        let explanation = format!(
            "Before the service checks any key, role or permission it reads the request's \
             authorization: the Authorization header's scheme and format, the date header \
             Shared Key and OAuth requests must carry, or the fields a SAS must have and their \
             formats. When one of these is missing, empty or unreadable it refuses the request \
             outright (403 AuthenticationFailed, or 400 InvalidAuthenticationInfo). What is \
             wrong here: {}.",
            whats.join("; ")
        );
        let mut fix = Vec::new();
        if sas {
            fix.push(
                "Generate the token with an SDK, the CLI (az storage … generate-sas) or Storage \
                 Explorer instead of by hand, and pass it on unchanged: keep every field, do not \
                 decode or re-encode it, and join it to the URL with a single '?'."
                    .to_string(),
            );
            fix.push(
                "A service SAS for blobs or files needs sr, sp (unless a stored access policy \
                 supplies it), se, sv and sig; an account SAS also needs ss and srt."
                    .to_string(),
            );
        }
        if rows
            .iter()
            .any(|r| !r.evidence.fields.contains_key("token"))
        {
            fix.push(
                "Let the SDK build the Authorization header: 'SharedKey <account>:<signature>' \
                 for an account key, 'Bearer <token>' for Microsoft Entra ID; make sure nothing \
                 in between (a proxy, an HTTP handler) removes or empties it or the x-ms-date \
                 header."
                    .to_string(),
            );
        }
        fix.push(
            "If a secret or token is read from configuration, check that it is complete (not \
             cut at a '&' or '=' by a shell, a config parser or an environment variable)."
                .to_string(),
        );
        let stated = rows.iter().all(|r| r.stated);
        let evidence: Vec<Evidence> = rows.into_iter().map(|r| r.evidence).collect();
        vec![ac::finding(
            self.id(),
            self.default_severity(),
            title,
            explanation,
            fix,
            ac::confidence(
                if stated { Level::High } else { Level::Medium },
                "The defect was found in the request as logged; the service's own reason is \
                 not in this log. The error body's AuthenticationErrorDetail names what it \
                 could not read.",
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

    fn ev(url: &str, detail: &str) -> RawEvent<'static> {
        RawEvent {
            time: t("2024-03-05T10:00:00Z"),
            status: 403,
            url: url.to_string().into(),
            ..Default::default()
        }
        .with(Field::Detail, detail.to_string())
    }

    #[test]
    fn stated_by_the_service() {
        let f = run(
            &AuthMalformed,
            &dataset(vec![ev(
                "https://acct.blob.core.windows.net/c/b?sv=2019-02-02&sp=r&se=2030-01-01T00:00:00Z&sig=c2ln",
                "Server failed to authenticate the request.\nsr is mandatory. Cannot be empty",
            )]),
        );
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].confidence.level, Level::High);
        assert!(f[0].title.contains("sr is mandatory"), "{}", f[0].title);
    }

    #[test]
    fn found_in_the_token_without_the_service_text() {
        let f = run(
            &AuthMalformed,
            &dataset(vec![ev(
                "https://acct.blob.core.windows.net/c/b?sv=2019-02-02&sp=r&se=2030-01-01T00:00:00Z&sig=c2ln",
                "",
            )]),
        );
        assert_eq!(f[0].confidence.level, Level::Medium);
        assert_eq!(
            f[0].evidence[0].fields["malformed"],
            "the service SAS has no sr (what it is bound to)"
        );
        assert!(!f[0].evidence[0].fields["token"].contains("c2ln"));
    }

    #[test]
    fn shared_key_without_a_date() {
        let e = RawEvent {
            auth: AuthKind::SharedKey,
            ..ev("https://acct.blob.core.windows.net/c/b", "")
        }
        .with(
            Field::StringToSign,
            "GET............x-ms-client-request-id:1.x-ms-version:2019-02-02./acct/c/b",
        );
        let f = run(&AuthMalformed, &dataset(vec![e]));
        assert!(
            f[0].title.contains("neither x-ms-date nor Date"),
            "{}",
            f[0].title
        );
    }

    #[test]
    fn quiet_for_well_formed_requests() {
        let fine = ev(
            "https://acct.blob.core.windows.net/c/b?sv=2019-02-02&sr=b&sp=r&se=2030-01-01T00:00:00Z&sig=c2ln",
            "",
        );
        let dated = RawEvent {
            auth: AuthKind::SharedKey,
            ..ev("https://acct.blob.core.windows.net/c/b", "")
        }
        .with(
            Field::StringToSign,
            "GET............x-ms-date:Tue, 05 Mar 2024 10:00:00 GMT.x-ms-version:2019-02-02./acct/c/b",
        );
        let ok = RawEvent {
            status: 200,
            ..ev("https://acct.blob.core.windows.net/c/b?sv=2019-02-02&sp=r&se=2030-01-01T00:00:00Z&sig=c2ln", "")
        };
        assert!(run(&AuthMalformed, &dataset(vec![fine, dated, ok])).is_empty());
    }
}
