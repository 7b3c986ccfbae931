//! `shared-key-disabled`: the storage account forbids authorization with its account keys
//! (`allowSharedKeyAccess` is false), which refuses Shared Key requests and every SAS signed
//! with an account key (account and service SAS). Only Microsoft Entra ID and user delegation
//! SAS tokens still work. The service answers 403 KeyBasedAuthenticationNotPermitted.

use super::auth_common as ac;
use super::{Context, Evidence, Finding, Level, Rule, Severity};
use crate::knowledge::auth_failure::{classify, Problem};

pub struct SharedKeyDisabled;

impl Rule for SharedKeyDisabled {
    fn id(&self) -> &'static str {
        "shared-key-disabled"
    }
    fn default_severity(&self) -> Severity {
        Severity::Error
    }
    fn run(&self, cx: &Context<'_>) -> Vec<Finding> {
        let mut evidence: Vec<Evidence> = Vec::new();
        let mut accounts: Vec<String> = Vec::new();
        for v in cx.auth_failures() {
            if !matches!(classify(&v), Some(Problem::KeyBasedNotPermitted)) {
                continue;
            }
            let acct = v.account().to_string();
            if !acct.is_empty() && !accounts.contains(&acct) {
                accounts.push(acct);
            }
            let mut e = ac::evidence(&v, Some(&Problem::KeyBasedNotPermitted));
            if let Some(t) = v.sas() {
                e = ac::with_token(e, t);
            }
            evidence.push(e);
        }
        if evidence.is_empty() {
            return Vec::new();
        }
        let auths = ac::distinct(&evidence, "auth");
        let acct = accounts
            .first()
            .cloned()
            .unwrap_or_else(|| "<account>".to_string());
        let title = format!(
            "{} {} refused: account {} does not allow account-key authorization{}",
            ac::requests(evidence.len()),
            ac::were(evidence.len()),
            if accounts.is_empty() {
                "(name not in the log)".to_string()
            } else {
                accounts.join(", ")
            },
            if auths.is_empty() {
                String::new()
            } else {
                format!(" ({} used)", auths.join(", "))
            }
        );
        let explanation = "The storage account is set to refuse Shared Key authorization \
             (allowSharedKeyAccess = false), often by an organisation-wide Azure Policy. That \
             refuses requests signed with an account key and also every SAS signed with one — \
             account SAS and service SAS — with 403 KeyBasedAuthenticationNotPermitted. \
             Connection strings with an AccountKey, tools left on 'access key' mode, and \
             Terraform or deployment scripts that reach the data plane with keys all stop \
             working; Microsoft Entra ID requests and user delegation SAS tokens are not \
             affected."
            .to_string();
        let fix = vec![
            "Authorize with Microsoft Entra ID instead of the key: DefaultAzureCredential or a \
             managed identity in the SDKs, --auth-mode login in the Azure CLI, \
             storage_use_azuread = true in the Terraform provider, 'Microsoft Entra user \
             account' in the portal and Storage Explorer — and give that identity a data role \
             (e.g. Storage Blob Data Contributor)."
                .to_string(),
            "Where a URL with a token is needed, issue a user delegation SAS (signed through \
             Microsoft Entra ID) instead of an account or service SAS."
                .to_string(),
            format!(
                "Only if policy allows key access for this account: az storage account update \
                 --name {acct} --allow-shared-key-access true."
            ),
        ];
        let mut f = ac::finding(
            self.id(),
            self.default_severity(),
            title,
            explanation,
            fix,
            ac::confidence(Level::High, ""),
            evidence,
        );
        f.kql = Some(ac::kql(
            cx,
            &f,
            &[ac::where_codes(
                &[403],
                &["KeyBasedAuthenticationNotPermitted"],
            )],
        ));
        vec![f]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{AuthKind, Field, RawEvent};
    use crate::rules::auth_common::testkit::*;

    #[test]
    fn refused_key_and_key_signed_sas() {
        let key = RawEvent {
            time: t("2024-08-09T17:14:19Z"),
            status: 403,
            auth: AuthKind::SharedKey,
            url: "https://acct.blob.core.windows.net/?comp=list".into(),
            ..Default::default()
        }
        .with(
            Field::Detail,
            "Key based authentication is not permitted on this storage account.",
        );
        let sas = RawEvent {
            time: t("2024-08-09T17:15:00Z"),
            status: 403,
            error_code: "KeyBasedAuthenticationNotPermitted".into(),
            url: "https://acct.blob.core.windows.net/c/b?sv=2020-08-04&sr=b&sp=r&se=2030-01-01T00:00:00Z&sig=c2ln".into(),
            ..Default::default()
        };
        let f = run(&SharedKeyDisabled, &dataset(vec![key, sas]));
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].count, 2);
        assert!(f[0].title.contains("account acct"), "{}", f[0].title);
        assert!(
            f[0].title.contains("Shared Key, service SAS"),
            "{}",
            f[0].title
        );
        assert_eq!(
            f[0].evidence[0].error_code,
            "KeyBasedAuthenticationNotPermitted"
        );
        assert!(f[0]
            .kql
            .as_deref()
            .unwrap()
            .contains("KeyBasedAuthenticationNotPermitted"));
    }

    #[test]
    fn quiet_otherwise() {
        let other = RawEvent {
            status: 403,
            error_code: "AuthenticationFailed".into(),
            ..Default::default()
        };
        let ok = RawEvent {
            status: 200,
            ..Default::default()
        };
        assert!(run(&SharedKeyDisabled, &dataset(vec![other, ok])).is_empty());
    }
}
