//! `network-rule-blocked`: the storage account's network rules (firewall IP rules, virtual
//! network rules, disabled public access, private endpoints) refused the caller. The service
//! answers 403 AuthorizationFailure "This request is not authorized to perform this operation."
//! to a request whose credentials are otherwise in order.

use super::auth_common as ac;
use super::{Context, Evidence, Finding, Level, Rule, Severity};
use crate::knowledge::auth_failure::{classify, Problem};
use crate::knowledge::sas_eval::{evaluate, parse_ip, Verdict};
use crate::model::{AuthKind, EventView, Field};

pub struct NetworkRuleBlocked;

struct Row {
    evidence: Evidence,
    /// Only the network can refuse this caller (Shared Key holds every permission).
    certain: bool,
    caller: Option<String>,
}

fn judge(cx: &Context<'_>, v: &EventView<'_>) -> Option<Row> {
    if !matches!(classify(v), Some(Problem::AuthorizationFailure)) {
        return None;
    }
    let mut certain = v.ev.auth == AuthKind::SharedKey
        || v.sas().is_none() && v.extra(Field::StringToSign).is_some();
    if let Some(t) = v.sas() {
        // A SAS that visibly cannot do this is the SAS rules' case, not the network's.
        let checks = evaluate(t, &ac::sas_request(cx, v));
        if checks.iter().any(|c| {
            c.verdict == Verdict::Fails
                && matches!(c.field, "sp" | "ss" | "srt" | "sr" | "tn" | "sip" | "spr")
        }) {
            return None;
        }
        certain = false;
    }
    let caller = v
        .caller_ip()
        .map(|ip| parse_ip(&ip).map_or_else(|| ip.to_string(), |a| a.to_string()));
    let mut e = ac::evidence(v, Some(&Problem::AuthorizationFailure));
    if let Some(ip) = &caller {
        e = e.field("caller_ip", ip.clone());
    }
    if let Some(t) = v.sas() {
        e = ac::with_token(e, t);
    }
    Some(Row {
        evidence: e,
        certain,
        caller,
    })
}

impl Rule for NetworkRuleBlocked {
    fn id(&self) -> &'static str {
        "network-rule-blocked"
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
        let mut callers: Vec<String> = Vec::new();
        for c in rows.iter().filter_map(|r| r.caller.clone()) {
            if !callers.contains(&c) {
                callers.push(c);
            }
        }
        let accounts: Vec<String> = {
            let mut a: Vec<String> = Vec::new();
            for r in &rows {
                if let Some(i) = r.evidence.event {
                    let acct = cx.ds.view(i as usize).account().to_string();
                    if !acct.is_empty() && !a.contains(&acct) {
                        a.push(acct);
                    }
                }
            }
            a
        };
        let acct = accounts
            .first()
            .cloned()
            .unwrap_or_else(|| "<account>".into());
        let title = if callers.is_empty() {
            format!(
                "{} {} refused by the storage account's network rules (AuthorizationFailure)",
                ac::requests(n),
                ac::were(n)
            )
        } else {
            format!(
                "{} from {} {} refused by the storage account's network rules",
                ac::requests(n),
                callers.join(", "),
                ac::were(n)
            )
        };
        let explanation = format!(
            "The service answered 403 AuthorizationFailure, 'This request is not authorized to \
             perform this operation.', and nothing about the credentials explains it{}. That is \
             how the account's network rules refuse a caller: public network access is disabled \
             or limited to selected networks, and the address the request came from is not in \
             the IP rules, its subnet is not in the virtual network rules, or the client reaches \
             the public endpoint although a private endpoint was meant (its DNS name does not \
             resolve to the private address). The address that counts is the one the service \
             sees — a NAT gateway's, a proxy's or a corporate egress address, not the machine's \
             own; {}.",
            if rows.iter().all(|r| r.certain) {
                " (an account key grants every permission, so only the network is left)"
            } else {
                ""
            },
            if callers.is_empty() {
                "the server-side log records it in CallerIpAddress".to_string()
            } else {
                format!("here the service saw {}", callers.join(", "))
            }
        );
        let ip = callers
            .first()
            .cloned()
            .unwrap_or_else(|| "<public-ip>".into());
        let fix = vec![
            format!(
                "Look at the account's Networking settings (az storage account show -n {acct} \
                 --query networkRuleSet) and decide how this caller should be let in."
            ),
            format!(
                "For a fixed public address, add it to the firewall: az storage account \
                 network-rule add --account-name {acct} --ip-address {ip} (IP rules take public \
                 addresses only; clients inside Azure use virtual network rules or private \
                 endpoints instead)."
            ),
            "For Azure resources, add the subnet with a service endpoint as a virtual network \
             rule, or use a private endpoint and check that the storage host name resolves to \
             its private address from the client (nslookup <account>.blob.core.windows.net)."
                .to_string(),
            "For Azure services that cannot be placed in a network, allow trusted services or \
             add a resource instance rule; allow a few minutes for rule changes to apply."
                .to_string(),
        ];
        let certain = rows.iter().all(|r| r.certain);
        let evidence: Vec<Evidence> = rows.into_iter().map(|r| r.evidence).collect();
        let mut f = ac::finding(
            self.id(),
            self.default_severity(),
            title,
            explanation,
            fix,
            ac::confidence(
                if certain { Level::High } else { Level::Medium },
                "AuthorizationFailure is also returned for some SAS and role problems. The \
                 server-side log row (CallerIpAddress) and the account's network rule set \
                 settle it.",
            ),
            evidence,
        );
        f.kql = Some(ac::kql(
            cx,
            &f,
            &[ac::where_codes(&[403], &["AuthorizationFailure"])],
        ));
        vec![f]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{RawEvent, SourceKind};
    use crate::rules::auth_common::testkit::*;

    const MSG: &str = "This request is not authorized to perform this operation.";

    fn ev(auth: AuthKind, url: &str) -> RawEvent<'static> {
        RawEvent {
            time: t("2024-03-05T10:00:00Z"),
            status: 403,
            auth,
            url: url.to_string().into(),
            ..Default::default()
        }
        .with(Field::Detail, MSG)
    }

    #[test]
    fn shared_key_refused_by_network() {
        let f = run(
            &NetworkRuleBlocked,
            &dataset(vec![ev(
                AuthKind::SharedKey,
                "https://acct.blob.core.windows.net/c/b",
            )]),
        );
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].confidence.level, Level::High);
        assert_eq!(f[0].evidence[0].error_code, "AuthorizationFailure");
        assert!(f[0]
            .kql
            .as_deref()
            .unwrap()
            .contains("\"AuthorizationFailure\""));
    }

    #[test]
    fn server_row_names_the_caller() {
        let mut e = ev(AuthKind::OAuth, "https://acct.blob.core.windows.net/c/b");
        e.source = SourceKind::Server;
        e.error_code = "AuthorizationFailure".into();
        e.extras = vec![(Field::CallerIp, "203.0.113.7:52144".into())];
        let f = run(&NetworkRuleBlocked, &dataset(vec![e]));
        assert_eq!(f[0].evidence[0].fields["caller_ip"], "203.0.113.7");
        assert!(f[0].title.contains("203.0.113.7"));
        assert!(f[0].fix[1].contains("--ip-address 203.0.113.7"));
    }

    #[test]
    fn a_sas_that_cannot_do_it_is_not_the_network() {
        // A container SAS cannot read container properties: AuthorizationFailure, SAS-caused.
        let mut e = ev(
            AuthKind::Sas,
            "https://acct.blob.core.windows.net/c?restype=container&sv=2020-08-04&sr=c&sp=rl&se=2030-01-01T00:00:00Z&sig=c2ln",
        );
        e.operation = "GetContainerProperties".into();
        let other = ev(
            AuthKind::SharedKey,
            "https://acct.blob.core.windows.net/c/b",
        );
        let other = RawEvent {
            extras: vec![(
                Field::Detail,
                "This request is not authorized to perform this operation using this permission."
                    .into(),
            )],
            ..other
        };
        assert!(run(&NetworkRuleBlocked, &dataset(vec![e, other])).is_empty());
    }
}
