//! `sas-permission-missing`: the SAS does not grant the permission letter the operation needs.
//! The service answers 403 AuthorizationPermissionMismatch — or, for tokens with `sv` before
//! 2015-04-05, a 404 (`SASAuthorizationError` in `$logs`) that looks like a missing blob.
//!
//! The operation and the letter it needs come from the SAS evaluation; with a stored access
//! policy (`si`) the permissions are in the policy and not in the token, and the finding says so.

use crate::model::SmallKeyMap;

use super::auth_common as ac;
use super::{Context, Evidence, Finding, Level, Rule, Severity};
use crate::knowledge::auth_failure::{classify, Problem};
use crate::knowledge::sas_eval::{
    candidate_operations, describe_options, evaluate, missing_letters, need, SasCheck, Verdict,
};
use crate::model::{EventView, Field, Service, Sym};

pub struct SasPermissionMissing;

#[derive(Clone, Copy, PartialEq, Eq)]
enum How {
    /// The service named the failure (AuthorizationPermissionMismatch / SASAuthorizationError).
    Stated,
    /// A 403 without a code, and the token visibly lacks the letter.
    Inferred,
    /// A 404 with an old `sv` on a resource this log shows to exist.
    OldVersion404,
}

struct Row {
    evidence: Evidence,
    how: How,
    op: String,
    /// When the operation is unknown: those the URL allows that the token does not cover.
    candidates: Vec<String>,
    /// Letters missing from `sp`, when the token has `sp`.
    missing: Option<String>,
    /// The letters the operation needs, in words.
    needs: String,
    policy: Option<String>,
    overwrite: bool,
    container: String,
    account: String,
}

fn sp_check(checks: &[SasCheck]) -> Option<&SasCheck> {
    checks
        .iter()
        .filter(|c| c.field == "sp")
        .max_by_key(|c| match c.verdict {
            Verdict::Fails => 2,
            Verdict::Unknown => 1,
            Verdict::Ok => 0,
        })
}

/// A scope field that fails explains the refusal better (sas-scope-mismatch).
fn scope_fails(checks: &[SasCheck]) -> bool {
    checks.iter().any(|c| {
        c.verdict == Verdict::Fails && matches!(c.field, "ss" | "srt" | "sr" | "tn" | "sip" | "spr")
    })
}

/// The last success on each resource so far, kept while the events are walked in time order
/// (an earlier success with no delete after it shows the resource existed).
/// Only the resources of rows that may be judged are followed (`wanted`, one bit per symbol):
/// on a large log that spares a map update for almost every success.
struct LastSuccess {
    wanted: Vec<u64>,
    last: SmallKeyMap<Sym, usize>,
}

impl LastSuccess {
    fn wants(&self, s: Sym) -> bool {
        self.wanted
            .get(s.0 as usize / 64)
            .is_some_and(|w| w & (1 << (s.0 % 64)) != 0)
    }

    fn note(&mut self, v: &EventView<'_>) {
        if (200..300).contains(&v.ev.status)
            && !v.ev.resource.is_empty()
            && self.wants(v.ev.resource)
        {
            self.last.insert(v.ev.resource, v.index);
        }
    }

    fn existed<'a>(&self, cx: &Context<'a>, v: &EventView<'_>) -> Option<EventView<'a>> {
        let w = cx.ds.view(*self.last.get(&v.ev.resource)?);
        (!ac::operation(&w).starts_with("Delete")).then_some(w)
    }
}

fn container_of(resource: &str) -> String {
    resource
        .split('/')
        .filter(|s| !s.is_empty())
        .nth(1)
        .unwrap_or("")
        .to_string()
}

fn judge(cx: &Context<'_>, v: &EventView<'_>, seen: &LastSuccess) -> Option<Row> {
    // The status first: it is in the record, while the token is looked up.
    if !v.ev.is_failure() {
        return None;
    }
    let token = v.sas()?;
    let problem = classify(v);
    // Decided before the token is evaluated against the request: most failures of a large log
    // (404s, 409s, 412s) are none of these cases.
    let mut how = match (&problem, v.ev.status) {
        (Some(Problem::PermissionMismatch | Problem::SasAuthorizationError), _) => How::Stated,
        (Some(Problem::AuthorizationFailure), 403) | (None, 403) => How::Inferred,
        (None, 404) if token.sv.as_deref().is_some_and(|s| s < "2015-04-05") => How::OldVersion404,
        _ => return None,
    };
    let mut req = ac::sas_request(cx, v);
    let mut checks = evaluate(token, &req);
    // A SAS authorization error where the token's scope fails is `sas-scope-mismatch`'s.
    if matches!(problem, Some(Problem::SasAuthorizationError)) && scope_fails(&checks) {
        return None;
    }
    let mut overwrite = false;
    // `c` only creates: a refused write that `c` would allow means the target existed.
    if how == How::Stated
        && sp_check(&checks).is_some_and(|c| c.verdict == Verdict::Ok)
        && token
            .sp
            .as_deref()
            .is_some_and(|sp| sp.contains('c') && !sp.contains('w'))
    {
        req.target_exists = Some(true);
        checks = evaluate(token, &req);
        overwrite = true;
    }
    let sp = sp_check(&checks)?;
    let mut evidence = ac::with_token(ac::evidence(v, problem.as_ref()), token);
    match how {
        How::Inferred => {
            if sp.verdict != Verdict::Fails || scope_fails(&checks) {
                return None;
            }
        }
        How::OldVersion404 => {
            if scope_fails(&checks) || sp.verdict == Verdict::Ok {
                return None;
            }
            let w = seen.existed(cx, v)?;
            evidence = evidence.field(
                "resource_existed",
                format!(
                    "{} {} at {} ({})",
                    match ac::operation(&w) {
                        o if o.is_empty() => "a request answered".to_string(),
                        o => o,
                    },
                    w.ev.status,
                    w.time().map(|t| t.to_string()).unwrap_or_default(),
                    w.cite()
                ),
            );
        }
        How::Stated => {}
    }
    if how == How::Stated && v.ev.status == 404 {
        how = How::OldVersion404;
    }
    let mut op = req.operation.clone();
    let mut missing =
        (sp.verdict == Verdict::Fails && !sp.needs.is_empty()).then(|| sp.needs.clone());
    // The log may not show the method (the legacy .NET trace names it only for Shared Key
    // requests): keep the operations the URL allows that the token does not cover.
    let mut candidates: Vec<String> = Vec::new();
    if op.is_empty() {
        let url = v.extra(Field::Url).unwrap_or("");
        let mut uncovered: Vec<(&'static str, Option<String>)> = Vec::new();
        for c in candidate_operations(req.service, &req.resource, url) {
            let Some(nd) = need(req.service, c, None) else {
                continue;
            };
            match token.sp.as_deref() {
                Some(sp) => {
                    if let Some(m) = missing_letters(sp, nd.any_of) {
                        uncovered.push((c, Some(m)));
                    }
                }
                None => uncovered.push((c, None)),
            }
            if uncovered.last().is_some_and(|(o, _)| *o == c) {
                candidates.push(format!(
                    "{c} (needs {})",
                    describe_options(nd.any_of, req.service)
                ));
            }
        }
        if let [(only, m)] = uncovered.as_slice() {
            op = only.to_string();
            missing = m.clone();
            evidence = evidence.field(
                "operation_inferred",
                "the log does not show the method; this is the only operation the URL allows                  that the token does not cover",
            );
        } else if !candidates.is_empty() {
            evidence = evidence.field("possible_operations", candidates.join("; "));
        }
    }
    let nd = need(req.service, &op, req.target_exists);
    let needs = nd
        .map(|n| describe_options(n.any_of, req.service))
        .unwrap_or_default();
    evidence = evidence
        .field("sp_check", sp.reason.clone())
        .field("needs", needs.clone())
        .field("missing", missing.clone().unwrap_or_default());
    if overwrite {
        evidence = evidence.field(
            "note",
            "sp has c (create) but not w (write): the target already existed, and c cannot overwrite",
        );
    }
    Some(Row {
        evidence,
        how,
        op,
        candidates,
        missing,
        needs,
        policy: token.si.clone(),
        overwrite,
        container: container_of(v.resource()),
        account: v.account().to_string(),
    })
}

fn policy_commands(service: Service, account: &str, container: &str, policy: &str) -> String {
    let (noun, flag) = match service {
        Service::Queue => ("queue", "--queue-name"),
        Service::Table => ("table", "--table-name"),
        Service::File => ("share", "--share-name"),
        _ => ("container", "--container-name"),
    };
    format!(
        "az storage {noun} policy show --account-name {acct} {flag} {c} --name {policy}",
        acct = if account.is_empty() {
            "<account>"
        } else {
            account
        },
        c = if container.is_empty() {
            "<name>"
        } else {
            container
        },
    )
}

impl Rule for SasPermissionMissing {
    fn id(&self) -> &'static str {
        "sas-permission-missing"
    }
    fn default_severity(&self) -> Severity {
        Severity::Error
    }
    fn run(&self, cx: &Context<'_>) -> Vec<Finding> {
        let mut rows: Vec<Row> = Vec::new();
        let mut services: Vec<Service> = Vec::new();
        // `judge` takes failing rows that carry a SAS; every row is still walked, in time order,
        // to note the last success on those rows' resources.
        let candidates: Vec<usize> = cx
            .rows_where(|r| r.is_failure() && r.has(Field::Sas))
            .map(|v| v.index)
            .collect();
        if candidates.is_empty() {
            return Vec::new();
        }
        let mut seen = LastSuccess {
            wanted: vec![0; cx.ds.strings.len() / 64 + 1],
            last: SmallKeyMap::default(),
        };
        for &i in &candidates {
            let s = cx.ds.events[i].resource.0 as usize;
            seen.wanted[s / 64] |= 1 << (s % 64);
        }
        let mut next = candidates.into_iter().peekable();
        for v in cx.ds.iter() {
            if next.next_if_eq(&v.index).is_some() {
                if let Some(r) = judge(cx, &v, &seen) {
                    if !services.contains(&v.ev.service) {
                        services.push(v.ev.service);
                    }
                    rows.push(r);
                }
            }
            seen.note(&v);
        }
        if rows.is_empty() {
            return Vec::new();
        }
        let n = rows.len();
        let mut ops: Vec<(String, String, Option<String>)> = Vec::new();
        for r in &rows {
            let key = (r.op.clone(), r.needs.clone(), r.missing.clone());
            if !ops.contains(&key) {
                ops.push(key);
            }
        }
        let policy = rows.iter().find_map(|r| r.policy.clone());
        let old_404 = rows.iter().any(|r| r.how == How::OldVersion404);
        let overwrite = rows.iter().any(|r| r.overwrite);
        let first = &rows[0];
        let token_sp: Option<String> = first.evidence.fields.get("sp").cloned();
        let mut candidates: Vec<String> = Vec::new();
        for c in rows.iter().flat_map(|r| r.candidates.iter()) {
            if !candidates.contains(c) {
                candidates.push(c.clone());
            }
        }
        let title = match (&policy, ops.as_slice()) {
            (Some(p), [(op, _, _)]) if !op.is_empty() => format!(
                "{op} was refused for lack of permission; the SAS takes its permissions from \
                 stored access policy '{p}'"
            ),
            (Some(p), _) => format!(
                "{} {} refused for lack of permission; the SAS takes its permissions from \
                 stored access policy '{p}'",
                ac::requests(n),
                ac::were(n)
            ),
            (None, [(op, needs, Some(miss))]) if !op.is_empty() => format!(
                "{op} was refused: the SAS grants sp={} but the operation needs {needs} \
                 (missing: {miss})",
                token_sp.clone().unwrap_or_default()
            ),
            (None, [(op, _, _)]) if op.is_empty() && !candidates.is_empty() => format!(
                "{} {} refused for lack of permission: sp={} does not cover what was asked — {}",
                ac::requests(n),
                ac::were(n),
                token_sp.clone().unwrap_or_default(),
                candidates.join(" or ")
            ),
            _ => format!(
                "{} {} refused: the SAS lacks the permission the operation needs",
                ac::requests(n),
                ac::were(n)
            ),
        };
        let mut explanation = String::from(
            "A shared access signature grants a set of permission letters (sp), and every \
             operation needs particular ones. When the letter is missing the service refuses the \
             request even though the token is valid, in time and correctly signed. ",
        );
        let lines: Vec<String> = ops
            .iter()
            .filter(|(op, _, _)| !op.is_empty())
            .map(|(op, needs, miss)| match miss {
                Some(m) => format!("{op} needs {needs}; the token lacks {m}"),
                None if needs.is_empty() => {
                    format!("{op} (its letter is not in the table used here)")
                }
                None => format!("{op} needs {needs}"),
            })
            .collect();
        if !lines.is_empty() {
            explanation.push_str(&format!("Here: {}. ", lines.join("; ")));
        }
        if !candidates.is_empty() {
            explanation.push_str(&if policy.is_some() {
                format!(
                    "The log does not show the HTTP method, so the operation is not known for \
                     certain; on this URL it was one of {}. ",
                    candidates.join(", ")
                )
            } else {
                format!(
                    "The log does not show the HTTP method, so the operation is not known for \
                     certain; of those the URL allows, the token does not cover {}. ",
                    candidates.join(", ")
                )
            });
        }
        if overwrite {
            explanation.push_str(
                "The token has c (create) but not w (write): c only creates blobs or files that \
                 do not exist yet, so writing over an existing one is refused. ",
            );
        }
        if let Some(p) = &policy {
            explanation.push_str(&format!(
                "The token carries no permissions of its own: it refers to stored access policy \
                 '{p}', and the stored access policy's permissions are not visible in the token \
                 (nor in any log). Whether the policy lacks the letter, or was changed, has to be \
                 checked on the policy itself. "
            ));
        }
        if old_404 {
            explanation.push_str(
                "The token's sv is older than 2015-04-05; with such tokens the service reports a \
                 missing permission as 404 Not Found (SASAuthorizationError in the server log) \
                 rather than 403, which makes it look like a missing object. ",
            );
            if rows
                .iter()
                .any(|r| r.evidence.fields.contains_key("resource_existed"))
            {
                explanation.push_str(
                    "This log shows the resource existed just before (see resource_existed), \
                     so the 404 is an authorization failure. ",
                );
            }
        }
        let mut fix: Vec<String> = Vec::new();
        if !candidates.is_empty() && policy.is_none() {
            fix.push(format!(
                "Issue the SAS with the letter of the operation the application performs here: \
                 {}.",
                candidates.join(", ")
            ));
        }
        for (op, needs, miss) in &ops {
            if op.is_empty() || needs.is_empty() {
                continue;
            }
            fix.push(match (miss, &policy) {
                (Some(m), None) => format!(
                    "Issue the SAS with the letters {op} needs ({needs}): add {m} to sp, in the \
                     canonical order the SDK writes."
                ),
                _ => format!("Make sure the permissions cover {op}: it needs {needs}."),
            });
        }
        if let Some(p) = &policy {
            let r = rows.iter().find(|r| r.policy.is_some()).unwrap_or(first);
            let svc = cx
                .ds
                .events
                .get(r.evidence.event.unwrap_or(0) as usize)
                .map_or(Service::Blob, |e| e.service);
            fix.insert(
                0,
                format!(
                    "Read the stored access policy '{p}' and check its permissions (and expiry): \
                     {}. Add the missing letter to the policy; a changed policy takes up to 30 \
                     seconds to apply to every token that names it.",
                    policy_commands(svc, &r.account, &r.container, p)
                ),
            );
        }
        if overwrite {
            fix.push(
                "If overwriting is intended, grant w (write); if not, write to a new name."
                    .to_string(),
            );
        }
        if old_404 {
            fix.push(
                "Issue tokens with a current sv (the SDKs do): permission failures then come \
                 back as 403 AuthorizationPermissionMismatch instead of a misleading 404."
                    .to_string(),
            );
        }
        fix.push(
            "Find out why the application attempts an operation its token does not cover: a \
             token issued for reading used for writing is a design mismatch, not a token \
             problem."
                .to_string(),
        );
        let all_stated = rows.iter().all(|r| r.how == How::Stated);
        let level = if policy.is_some() || !all_stated {
            Level::Medium
        } else {
            Level::High
        };
        let raise = if policy.is_some() {
            "The policy's definition (az storage container policy list, or Get Container ACL) \
             shows whether it holds the letter; the error code of the response \
             (AuthorizationPermissionMismatch) confirms the cause."
        } else {
            "The response's error code (x-ms-error-code AuthorizationPermissionMismatch, or \
             SASAuthorizationError in the server log) confirms that the refusal is about \
             permissions; add the server-side log for this hour."
        };
        let evidence: Vec<Evidence> = rows.into_iter().map(|r| r.evidence).collect();
        let mut f = ac::finding(
            self.id(),
            self.default_severity(),
            title,
            explanation.trim_end().to_string(),
            fix,
            ac::confidence(level, raise),
            evidence,
        );
        f.kql = Some(ac::kql(
            cx,
            &f,
            &[format!(
                "where AuthenticationType == \"SAS\" and StatusCode in (\"403\", \"404\") and \
                 StatusText in {}",
                crate::report::kql::list(&[
                    "AuthorizationPermissionMismatch",
                    "SASAuthorizationError",
                    "AuthorizationError",
                ])
            )],
        ));
        vec![f]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Method, RawEvent};
    use crate::rules::auth_common::testkit::*;

    fn put(url: &str, status: u16, code: &str) -> RawEvent<'static> {
        RawEvent {
            time: t("2024-03-05T10:00:00Z"),
            status,
            method: Method::Put,
            operation: "PutBlob".into(),
            error_code: code.to_string().into(),
            url: url.to_string().into(),
            ..Default::default()
        }
    }

    #[test]
    fn names_operation_and_missing_letter() {
        let url = "https://acct.blob.core.windows.net/uploads/r.csv?sv=2020-08-04&sr=c&sp=rl&se=2030-01-01T00:00:00Z&sig=c2ln";
        let f = run(
            &SasPermissionMissing,
            &dataset(vec![put(url, 403, "AuthorizationPermissionMismatch")]),
        );
        assert_eq!(f.len(), 1);
        let f = &f[0];
        assert_eq!(f.severity, Severity::Error);
        assert_eq!(f.confidence.level, Level::High);
        assert!(f.title.contains("PutBlob was refused"), "{}", f.title);
        assert!(f.title.contains("missing: c"), "{}", f.title);
        assert_eq!(f.evidence[0].fields["missing"], "c");
        assert_eq!(f.evidence[0].fields["sp"], "rl");
        let kql = f.kql.as_deref().unwrap();
        assert!(kql.starts_with("StorageBlobLogs"), "{kql}");
        assert!(kql.contains("AuthorizationPermissionMismatch"));
    }

    #[test]
    fn method_unknown_lists_what_the_token_does_not_cover() {
        // The legacy .NET trace shows no method for SAS requests.
        let url = "https://acct.blob.core.windows.net/uploads/r.csv?sv=2020-08-04&sr=c&sp=rl&se=2030-01-01T00:00:00Z&sig=c2ln";
        let e = RawEvent {
            method: Method::Unknown,
            operation: "".into(),
            ..put(url, 403, "")
        }
        .with(
            crate::model::Field::Detail,
            "This request is not authorized to perform this operation using this permission.",
        );
        let f = run(&SasPermissionMissing, &dataset(vec![e]));
        assert!(
            f[0].title.contains(
                "PutBlob (needs c (create) or w (write)) or DeleteBlob (needs d (delete))"
            ),
            "{}",
            f[0].title
        );
        let block = RawEvent {
            method: Method::Unknown,
            operation: "".into(),
            error_code: "AuthorizationPermissionMismatch".into(),
            ..put("https://acct.blob.core.windows.net/uploads/r.csv?comp=block&blockid=QQ&sv=2020-08-04&sr=c&sp=rl&se=2030-01-01T00:00:00Z&sig=c2ln", 403, "")
        };
        let f = run(&SasPermissionMissing, &dataset(vec![block]));
        assert!(
            f[0].title.starts_with("PutBlock was refused"),
            "{}",
            f[0].title
        );
        assert_eq!(f[0].evidence[0].fields["missing"], "w");
    }

    #[test]
    fn create_only_token_overwriting() {
        let url = "https://acct.blob.core.windows.net/uploads/r.csv?sv=2020-08-04&sr=c&sp=c&se=2030-01-01T00:00:00Z&sig=c2ln";
        let f = run(
            &SasPermissionMissing,
            &dataset(vec![put(url, 403, "AuthorizationPermissionMismatch")]),
        );
        assert_eq!(f[0].evidence[0].fields["missing"], "w");
        assert!(f[0].explanation.contains("c only creates"));
    }

    #[test]
    fn stored_policy_permissions_are_not_visible() {
        let url = "https://acct.blob.core.windows.net/photos/cat.jpg?sv=2020-08-04&sr=c&si=readonly&sig=c2ln";
        let f = run(
            &SasPermissionMissing,
            &dataset(vec![put(url, 403, "AuthorizationPermissionMismatch")]),
        );
        let f = &f[0];
        assert_eq!(f.confidence.level, Level::Medium);
        assert!(f
            .explanation
            .contains("stored access policy's permissions are not visible in the token"));
        assert!(f.fix[0].contains("az storage container policy show --account-name acct --container-name photos --name readonly"), "{}", f.fix[0]);
    }

    #[test]
    fn old_version_404_on_a_blob_that_exists() {
        let url =
            "https://acct.blob.core.windows.net/c/new.txt?sv=2014-02-14&sr=c&si=mypolicy&sig=c2ln";
        let created = RawEvent {
            time: t("2024-03-05T09:59:00Z"),
            status: 201,
            ..put(url, 201, "")
        };
        let head = RawEvent {
            time: t("2024-03-05T10:00:00Z"),
            status: 404,
            method: Method::Head,
            operation: "GetBlobProperties".into(),
            url: url.into(),
            ..Default::default()
        };
        let f = run(&SasPermissionMissing, &dataset(vec![created, head.clone()]));
        assert_eq!(f.len(), 1);
        assert!(f[0].evidence[0].fields["resource_existed"].starts_with("PutBlob 201"));
        assert!(f[0].explanation.contains("404 Not Found"));
        // Without proof that the blob existed, a 404 is just a 404.
        assert!(run(&SasPermissionMissing, &dataset(vec![head])).is_empty());
    }

    #[test]
    fn server_row_of_the_article_404_sas_authorization_error() {
        // The guide's $logs row: GetBlobProperties, SASAuthorizationError, 404, Sas.
        let row = RawEvent {
            time: t("2014-05-30T06:17:48.4473697Z"),
            source: crate::model::SourceKind::Server,
            status: 404,
            method: Method::Head,
            operation: "GetBlobProperties".into(),
            error_code: "SASAuthorizationError".into(),
            response_type: crate::model::ResponseType::AuthorizationError,
            auth: crate::model::AuthKind::Sas,
            url: "https://domemaildist.blob.core.windows.net/azureimblobcontainer/blobCreatedViaSAS.txt?sv=2014-02-14&sr=c&si=mypolicy&sig=XXXXX&;api-version=2014-02-14".into(),
            ..Default::default()
        };
        let f = run(&SasPermissionMissing, &dataset(vec![row]));
        assert_eq!(f.len(), 1);
        let f = &f[0];
        assert!(
            f.title.starts_with("GetBlobProperties was refused"),
            "{}",
            f.title
        );
        assert!(f.explanation.contains("404 Not Found"));
        assert_eq!(f.evidence[0].fields["needs"], "r (read)");
        assert_eq!(f.evidence[0].error_code, "SASAuthorizationError");
    }

    #[test]
    fn quiet_for_success_oauth_and_other_causes() {
        let ok_url = "https://acct.blob.core.windows.net/c/b?sv=2020-08-04&sr=c&sp=rw&se=2030-01-01T00:00:00Z&sig=c2ln";
        let ok = put(ok_url, 201, "");
        let oauth = put(
            "https://acct.blob.core.windows.net/c/b",
            403,
            "AuthorizationPermissionMismatch",
        );
        // A bare 403 although the token has the letter: not a permission problem.
        let bare = put(ok_url, 403, "");
        // The token covers the wrong service: sas-scope-mismatch, not this rule.
        let scope = RawEvent {
            error_code: "SASAuthorizationError".into(),
            ..put("https://acct.blob.core.windows.net/c/b?sv=2020-08-04&ss=q&srt=o&sp=rw&se=2030-01-01T00:00:00Z&sig=c2ln", 403, "")
        };
        assert!(run(
            &SasPermissionMissing,
            &dataset(vec![ok, oauth, bare, scope])
        )
        .is_empty());
    }
}
