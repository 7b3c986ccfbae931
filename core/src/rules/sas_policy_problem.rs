//! `sas-policy-problem`: a service SAS that refers to a stored access policy (`si`) was refused
//! although nothing visible in the token explains it. The policy holds the permissions and times
//! the token leaves out, and those are not in the token or the log: the policy may have
//! expired, been deleted or renamed (which revokes every token naming it), or been changed
//! moments before.

use super::auth_common as ac;
use super::{Context, Evidence, Finding, Level, Rule, Severity};
use crate::knowledge::auth_failure::{classify, is_forbidden, Problem};
use crate::knowledge::sas::SasKind;
use crate::knowledge::sas_eval::{evaluate, Verdict};
use crate::model::{EventView, Service};

pub struct SasPolicyProblem;

struct Row {
    evidence: Evidence,
    policy: String,
    holder: String,
    account: String,
    service: Service,
}

fn judge(cx: &Context<'_>, v: &EventView<'_>) -> Option<Row> {
    let token = v.sas()?;
    let policy = token.si.clone()?;
    if token.kind() != SasKind::Service || !is_forbidden(v) {
        return None;
    }
    let problem = classify(v);
    if !matches!(problem, None | Some(Problem::AuthenticationFailed)) {
        return None; // the service named another cause; its rule reports it
    }
    // Anything visible in the token that fails explains the refusal better.
    let checks = evaluate(token, &ac::sas_request(cx, v));
    if checks
        .iter()
        .any(|c| c.verdict == Verdict::Fails && c.field != "kind")
    {
        return None;
    }
    let from_policy: Vec<&str> = [("sp", &token.sp), ("st", &token.st), ("se", &token.se)]
        .iter()
        .filter(|(_, v)| v.is_none())
        .map(|(k, _)| *k)
        .collect();
    let holder = v
        .resource()
        .split('/')
        .filter(|s| !s.is_empty())
        .nth(1)
        .unwrap_or("")
        .to_string();
    let e = ac::with_token(ac::evidence(v, problem.as_ref()), token)
        .field("si", policy.clone())
        .field(
            "from_policy",
            if from_policy.is_empty() {
                "nothing (the token sets sp, st and se itself)".to_string()
            } else {
                format!("{} (not visible in the token)", from_policy.join(", "))
            },
        );
    Some(Row {
        evidence: e,
        policy,
        holder,
        account: v.account().to_string(),
        service: v.ev.service,
    })
}

impl Rule for SasPolicyProblem {
    fn id(&self) -> &'static str {
        "sas-policy-problem"
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
        let mut policies: Vec<String> = Vec::new();
        for r in &rows {
            if !policies.contains(&r.policy) {
                policies.push(r.policy.clone());
            }
        }
        let first = &rows[0];
        let (noun, flag) = match first.service {
            Service::Queue => ("queue", "--queue-name"),
            Service::Table => ("table", "--table-name"),
            Service::File => ("share", "--share-name"),
            _ => ("container", "--container-name"),
        };
        let holder = if first.holder.is_empty() {
            format!("<{noun}>")
        } else {
            first.holder.clone()
        };
        let account = if first.account.is_empty() {
            "<account>".to_string()
        } else {
            first.account.clone()
        };
        let names = policies
            .iter()
            .map(|p| format!("'{p}'"))
            .collect::<Vec<_>>()
            .join(", ");
        let title = format!(
            "{} with a SAS based on stored access policy {names} {} refused; the policy is the \
             likely cause",
            ac::requests(n),
            ac::were(n)
        );
        let explanation = format!(
            "These tokens refer to stored access policy {names} on {noun} {holder}. A token \
             that names a policy takes from it whatever it does not set itself — here {} — and \
             those values are stored on the {noun}, not in the token, so no log shows them. \
             Nothing visible in the token explains the refusal, which leaves the policy: it has \
             expired, it was deleted or renamed (which revokes every token that names it), it \
             was changed less than about 30 seconds before the request, or it sets a field the \
             token sets too.",
            first
                .evidence
                .fields
                .get("from_policy")
                .cloned()
                .unwrap_or_default()
        );
        let fix = vec![
            format!(
                "Read the policy: az storage {noun} policy show --account-name {account} {flag} \
                 {holder} --name {} (or list them all with az storage {noun} policy list).",
                policies[0]
            ),
            "If it expired, extend its expiry; if it was removed on purpose, the tokens are \
             revoked as intended and clients need new ones; to restore access, recreate a \
             policy with the same name."
                .to_string(),
            "After changing a policy, wait about 30 seconds before relying on it.".to_string(),
            "Set each of sp, st and se either in the policy or in the token, never in both."
                .to_string(),
        ];
        let evidence: Vec<Evidence> = rows.iter().map(|r| r.evidence.clone()).collect();
        let mut f = ac::finding(
            self.id(),
            self.default_severity(),
            title,
            explanation,
            fix,
            ac::confidence(
                Level::Medium,
                "The policy's definition (its permissions, start and expiry) and the error \
                 body's AuthenticationErrorDetail would show which part of the policy failed.",
            ),
            evidence,
        );
        f.kql = Some(ac::kql(
            cx,
            &f,
            &[format!(
                "where AuthenticationType == \"SAS\" and Uri has {} and StatusCode in (\"403\", \"404\")",
                crate::report::kql::lit(&format!("si={}", policies[0]))
            )],
        ));
        vec![f]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Field, RawEvent};
    use crate::rules::auth_common::testkit::*;

    fn ev(url: &str, status: u16, detail: &str) -> RawEvent<'static> {
        RawEvent {
            time: t("2024-03-05T10:00:00Z"),
            status,
            url: url.to_string().into(),
            ..Default::default()
        }
        .with(Field::Detail, detail.to_string())
    }

    const POLICY: &str = "https://domemaildist.blob.core.windows.net/azureimblobcontainer/blobCreatedViaSAS.txt?sv=2014-02-14&sr=c&si=mypolicy&sig=c2ln";

    #[test]
    fn refused_token_with_a_policy() {
        let f = run(
            &SasPolicyProblem,
            &dataset(vec![ev(
                POLICY,
                403,
                "The remote server returned an error: (403) Forbidden.",
            )]),
        );
        assert_eq!(f.len(), 1);
        let f = &f[0];
        assert_eq!(f.severity, Severity::Error);
        assert_eq!(f.confidence.level, Level::Medium);
        assert_eq!(
            f.evidence[0].fields["from_policy"],
            "sp, st, se (not visible in the token)"
        );
        assert!(f.fix[0].contains("az storage container policy show --account-name domemaildist --container-name azureimblobcontainer --name mypolicy"), "{}", f.fix[0]);
        assert!(f.kql.as_deref().unwrap().contains("\"si=mypolicy\""));
    }

    #[test]
    fn quiet_without_policy_or_with_another_cause() {
        let plain = ev(
            "https://a.blob.core.windows.net/c/b?sv=2020-08-04&sr=c&sp=r&se=2030-01-01T00:00:00Z&sig=c2ln",
            403,
            "",
        );
        let ok = ev(POLICY, 200, "");
        let perm = ev(
            POLICY,
            403,
            "This request is not authorized to perform this operation using this permission.",
        );
        let ip = ev(
            "https://a.blob.core.windows.net/c/b?sv=2020-08-04&sr=c&si=p&sip=10.0.0.1&sig=c2ln",
            403,
            "This request is not authorized to perform this operation using this source IP 203.0.113.9.",
        );
        assert!(run(&SasPolicyProblem, &dataset(vec![plain, ok, perm, ip])).is_empty());
    }
}
