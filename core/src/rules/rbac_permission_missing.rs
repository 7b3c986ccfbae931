//! `rbac-permission-missing`: a caller authenticated with Microsoft Entra ID (OAuth) has no
//! data-plane role that allows the operation. The service answers 403
//! AuthorizationPermissionMismatch. The finding names the built-in role that covers the
//! operation.

use super::auth_common as ac;
use super::{Context, Evidence, Finding, Level, Rule, Severity};
use crate::knowledge::auth_failure::{classify, Problem};
use crate::model::{AuthKind, EventView, Field, Method, Service};

pub struct RbacPermissionMissing;

/// The least-privileged built-in role that allows `op` on `service`.
pub(crate) fn role_for(service: Service, op: &str, method: Method) -> &'static str {
    let reads = op.starts_with("Get")
        || op.starts_with("List")
        || op.starts_with("Query")
        || op.starts_with("Peek")
        || op.starts_with("Find")
        || op.is_empty() && matches!(method, Method::Get | Method::Head);
    // Service properties (CORS, logging, retention) are account configuration, outside the
    // data roles.
    let service_level = op.ends_with("ServiceProperties");
    match service {
        _ if op == "GetUserDelegationKey" => "Storage Blob Delegator",
        _ if service_level => "Storage Account Contributor",
        Service::Queue => match op {
            "PutMessage" => "Storage Queue Data Message Sender",
            "GetMessages" | "GetMessage" | "DeleteMessage" => {
                "Storage Queue Data Message Processor"
            }
            _ if reads => "Storage Queue Data Reader",
            _ => "Storage Queue Data Contributor",
        },
        Service::Table if reads => "Storage Table Data Reader",
        Service::Table => "Storage Table Data Contributor",
        Service::File if reads => "Storage File Data Privileged Reader",
        Service::File => "Storage File Data Privileged Contributor",
        _ if reads => "Storage Blob Data Reader",
        _ => "Storage Blob Data Contributor",
    }
}

/// The scope to assign the role at: the container, queue, table or share, or the account.
fn scope_of(v: &EventView<'_>) -> String {
    let account = v.account();
    let name = v
        .resource()
        .split('/')
        .filter(|s| !s.is_empty())
        .nth(1)
        .unwrap_or("")
        .split('(')
        .next()
        .unwrap_or("")
        .to_string();
    let base = format!(
        "/subscriptions/<subscription>/resourceGroups/<group>/providers/Microsoft.Storage/storageAccounts/{}",
        if account.is_empty() { "<account>" } else { account }
    );
    let (svc, kind) = match v.ev.service {
        Service::Queue => ("queueServices", "queues"),
        Service::Table => ("tableServices", "tables"),
        Service::File => ("fileServices", "shares"),
        _ => ("blobServices", "containers"),
    };
    if name.is_empty() || name.starts_with("Tables") {
        base
    } else {
        format!("{base}/{svc}/default/{kind}/{name}")
    }
}

struct Row {
    evidence: Evidence,
    role: &'static str,
    explicit_oauth: bool,
}

fn judge(v: &EventView<'_>) -> Option<Row> {
    if !matches!(classify(v), Some(Problem::PermissionMismatch)) || v.sas().is_some() {
        return None;
    }
    // Shared Key holds every permission, so a permission mismatch without a SAS is OAuth; the
    // log may just not say so.
    let explicit_oauth = match v.ev.auth {
        AuthKind::OAuth => true,
        AuthKind::Unknown if v.extra(Field::StringToSign).is_none() => false,
        _ => return None,
    };
    let op = ac::operation(v);
    let role = role_for(v.ev.service, &op, v.ev.method);
    let mut e = ac::evidence(v, Some(&Problem::PermissionMismatch))
        .field("role_needed", role)
        .field("scope", scope_of(v));
    if !explicit_oauth {
        e = e.field(
            "auth_inferred",
            "no SAS and no Shared Key signature on the request: an OAuth bearer token",
        );
    }
    if let Some(ip) = v.caller_ip() {
        e = e.field("caller_ip", ip);
    }
    Some(Row {
        evidence: e,
        role,
        explicit_oauth,
    })
}

impl Rule for RbacPermissionMissing {
    fn id(&self) -> &'static str {
        "rbac-permission-missing"
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
        let mut roles: Vec<&'static str> = Vec::new();
        for r in &rows {
            if !roles.contains(&r.role) {
                roles.push(r.role);
            }
        }
        let ops = ac::distinct(
            &rows.iter().map(|r| r.evidence.clone()).collect::<Vec<_>>(),
            "operation",
        );
        let scope = rows[0]
            .evidence
            .fields
            .get("scope")
            .cloned()
            .unwrap_or_default();
        let title = format!(
            "{} {} refused: the signed-in identity has no data role for {} — assign {}",
            ac::requests(n),
            ac::were(n),
            if ops.is_empty() {
                "the operation".to_string()
            } else {
                ops.join(", ")
            },
            roles.join(" / ")
        );
        let explanation = format!(
            "The request was authorized with a Microsoft Entra ID token, so the service checks \
             the caller's Azure role assignments for the data operation. None of them allows {}, \
             and the service refuses with 403 AuthorizationPermissionMismatch. Roles that manage \
             the account (Owner, Contributor, Storage Account Contributor) do not open the data \
             itself: reading and writing blobs, messages, entities or files needs a data role \
             such as {}. A role assigned moments ago can take several minutes to apply, and a \
             role assigned on another container or account does not count.",
            if ops.is_empty() {
                "this operation".to_string()
            } else {
                ops.join(", ")
            },
            roles.join(" or ")
        );
        let mut fix = vec![format!(
            "Assign {} to the identity the application runs as, at the narrowest scope that \
             covers its work, e.g. az role assignment create --role \"{}\" --assignee \
             <object-id-or-app-id> --scope {scope}",
            roles.join(" / "),
            roles[0]
        )];
        fix.push(
            "Check which identity the token was issued to (DefaultAzureCredential may pick a \
             developer login, an environment service principal or a managed identity — not \
             always the one that was granted the role)."
                .to_string(),
        );
        fix.push(
            "After assigning, allow a few minutes before retrying; then, if it still fails, \
             look for a deny assignment or a role condition (ABAC) on the scope."
                .to_string(),
        );
        let explicit = rows.iter().all(|r| r.explicit_oauth);
        let evidence: Vec<Evidence> = rows.into_iter().map(|r| r.evidence).collect();
        let mut f = ac::finding(
            self.id(),
            self.default_severity(),
            title,
            explanation,
            fix,
            ac::confidence(
                if explicit { Level::High } else { Level::Medium },
                "The log does not say how the request was authorized; it was concluded from the \
                 absence of a SAS and of a Shared Key signature. The server log's \
                 AuthenticationType (OAuth) and RequesterObjectId confirm it and name the \
                 identity.",
            ),
            evidence,
        );
        f.kql = Some(ac::kql(
            cx,
            &f,
            &[
                "where AuthenticationType == \"OAuth\"".to_string(),
                ac::where_codes(&[403], &["AuthorizationPermissionMismatch"]),
                "extend Requester = coalesce(RequesterUpn, RequesterObjectId, RequesterAppId)"
                    .to_string(),
            ],
        ));
        vec![f]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::RawEvent;
    use crate::rules::auth_common::testkit::*;

    fn ev(url: &str, op: &str, method: Method, auth: AuthKind) -> RawEvent<'static> {
        RawEvent {
            time: t("2024-03-05T10:00:00Z"),
            status: 403,
            method,
            operation: op.to_string().into(),
            auth,
            error_code: "AuthorizationPermissionMismatch".into(),
            url: url.to_string().into(),
            ..Default::default()
        }
    }

    #[test]
    fn names_the_role_per_operation() {
        assert_eq!(
            role_for(Service::Blob, "PutBlob", Method::Put),
            "Storage Blob Data Contributor"
        );
        assert_eq!(
            role_for(Service::Blob, "GetBlob", Method::Get),
            "Storage Blob Data Reader"
        );
        assert_eq!(
            role_for(Service::Queue, "PutMessage", Method::Post),
            "Storage Queue Data Message Sender"
        );
        assert_eq!(
            role_for(Service::Queue, "GetMessages", Method::Get),
            "Storage Queue Data Message Processor"
        );
        assert_eq!(
            role_for(Service::Table, "InsertEntity", Method::Post),
            "Storage Table Data Contributor"
        );
        assert_eq!(
            role_for(Service::Blob, "SetBlobServiceProperties", Method::Put),
            "Storage Account Contributor"
        );
    }

    #[test]
    fn oauth_upload_refused() {
        let ds = dataset(vec![ev(
            "https://acct.blob.core.windows.net/uploads/a.csv",
            "PutBlob",
            Method::Put,
            AuthKind::OAuth,
        )]);
        let f = run(&RbacPermissionMissing, &ds);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].confidence.level, Level::High);
        assert!(
            f[0].title.contains("Storage Blob Data Contributor"),
            "{}",
            f[0].title
        );
        assert!(
            f[0].fix[0].ends_with("/storageAccounts/acct/blobServices/default/containers/uploads"),
            "{}",
            f[0].fix[0]
        );
        let kql = f[0].kql.as_deref().unwrap();
        assert!(kql.contains("AuthenticationType == \"OAuth\""));
    }

    #[test]
    fn unknown_auth_without_sas_or_signature_is_inferred() {
        let ds = dataset(vec![ev(
            "https://acct.queue.core.windows.net/jobs/messages",
            "PutMessage",
            Method::Post,
            AuthKind::Unknown,
        )]);
        let f = run(&RbacPermissionMissing, &ds);
        assert_eq!(f[0].confidence.level, Level::Medium);
        assert!(f[0].evidence[0].fields.contains_key("auth_inferred"));
        assert!(f[0].kql.as_deref().unwrap().starts_with("StorageQueueLogs"));
    }

    #[test]
    fn quiet_for_sas_shared_key_and_success() {
        let sas = ev(
            "https://acct.blob.core.windows.net/c/b?sv=2020-08-04&sr=c&sp=r&se=2030-01-01T00:00:00Z&sig=c2ln",
            "PutBlob",
            Method::Put,
            AuthKind::Sas,
        );
        let key = ev(
            "https://acct.blob.core.windows.net/c/b",
            "PutBlob",
            Method::Put,
            AuthKind::SharedKey,
        );
        let ok = RawEvent {
            status: 201,
            error_code: "".into(),
            ..ev(
                "https://acct.blob.core.windows.net/c/b",
                "PutBlob",
                Method::Put,
                AuthKind::OAuth,
            )
        };
        assert!(run(&RbacPermissionMissing, &dataset(vec![sas, key, ok])).is_empty());
    }
}
