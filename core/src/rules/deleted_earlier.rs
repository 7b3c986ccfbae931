//! `deleted-earlier`: a 404 for something that an earlier, successful delete in the logs removed
//! (the object itself, or the container it lived in). Names who deleted it and when.

use super::ops_common::{
    confidence, container_key, finding, human_secs, race_for, services, short_name, time, who,
    History, Seen,
};
use super::{Context, Evidence, Finding, Level, Rule, Severity};
use crate::knowledge::expected::expected_kind;
use crate::model::{EventView, Field, ResponseType, SourceKind};
use crate::report::kql::{statuses, Kql};

pub struct DeletedEarlier;

/// Whether two requests came from the same caller, as far as the logs tell.
fn same_caller(a: &EventView<'_>, b: &EventView<'_>) -> Option<bool> {
    let mut known = false;
    // The address without its port: ingest keeps the port apart (it changes per connection),
    // so the field compares as it is. (Cutting at the last ':' broke bare and bracketed IPv6.)
    for f in [Field::CallerIp, Field::UserAgent] {
        if let (Some(x), Some(y)) = (a.extra(f), b.extra(f)) {
            known = true;
            if x != y {
                return Some(false);
            }
        }
    }
    if known {
        Some(true)
    } else if a.ev.input == b.ev.input && a.ev.source != SourceKind::Server {
        // Both in one client's own log: the same application did both.
        Some(true)
    } else {
        None
    }
}

impl Rule for DeletedEarlier {
    fn id(&self) -> &'static str {
        "deleted-earlier"
    }
    fn default_severity(&self) -> Severity {
        Severity::Warning
    }
    fn run(&self, cx: &Context<'_>) -> Vec<Finding> {
        let history = cx.history();
        if history.deletes.is_empty() {
            return Vec::new();
        }
        let activity = cx.activity();
        let mut evidence = Vec::new();
        let mut failing: Vec<usize> = Vec::new();
        let mut deletes_cited: Vec<usize> = Vec::new();
        let mut cited: std::collections::HashSet<usize> = std::collections::HashSet::new();
        let mut callers: Vec<String> = Vec::new();
        let mut same: Vec<Option<bool>> = Vec::new();
        let mut all_strong = true;
        let mut lifecycle = false;
        for (r, i) in cx.unsuccessful_primaries() {
            let v = cx.ds.view(i);
            if v.ev.status != 404
                || v.ev.response_type == ResponseType::AuthorizationError
                || expected_kind(&v).is_some()
                || v.resource().is_empty()
            {
                continue;
            }
            let Some(t) = time(cx, i) else { continue };
            // A write that raced a container create is the race, not an old delete.
            if race_for(cx, activity, i).is_some() {
                continue;
            }
            let key = v.resource().trim_end_matches('/').to_string();
            let mut keys = vec![key.clone()];
            if let Some(c) = container_key(&key).filter(|c| *c != key) {
                keys.push(c);
            }
            for k in keys {
                let Some(&(td, d)) = History::last_before(&history.deletes, &k, t) else {
                    continue;
                };
                // The same client request id is the caller's own retry or a delete-if-exists;
                // `retry-after-unacknowledged-success` covers those.
                if cx.correlation.request_of.get(d).copied() == Some(r) {
                    continue;
                }
                // Re-created after the delete: the delete is not why it is missing now.
                if History::last_before(&history.creates, &k, t).is_some_and(|(tc, _)| *tc > td) {
                    continue;
                }
                let dv = cx.ds.view(d);
                let gap = t.seconds_since(td);
                let sc = same_caller(&v, &dv);
                same.push(sc);
                // Who deleted, once per delete (a delete may explain many failures).
                if cited.insert(d) {
                    deletes_cited.push(d);
                    let described = who(&dv)
                        .into_iter()
                        .filter(|(n, _)| *n != "client_request_id")
                        .map(|(_, v)| v)
                        .collect::<Vec<_>>()
                        .join(", ");
                    if !described.is_empty() && !callers.contains(&described) {
                        callers.push(described);
                    }
                    lifecycle |= dv
                        .extra(Field::UserAgent)
                        .is_some_and(|ua| ua.contains("ObjectLifeCycleScanner"));
                }
                // Strong: the delete is the service's own record, or both rows share a clock.
                let same_clock = dv.ev.input == v.ev.input
                    || dv.ev.source == SourceKind::Server && v.ev.source == SourceKind::Server;
                all_strong &= dv.ev.source == SourceKind::Server || same_clock;
                if !same_clock && gap < 2.0 {
                    all_strong = false;
                }
                failing.push(i);
                // The evidence row is written only while there is room for it.
                if evidence.len() < super::MAX_EVIDENCE {
                    let mut e = Evidence::from_event(&v)
                        .field("operation", v.operation())
                        .field("resource", v.resource())
                        .field("deleted_key", k.as_str())
                        .field(
                            "deleted_at",
                            dv.time().map(|t| t.to_string()).unwrap_or_default(),
                        )
                        .field("deleted_before", human_secs(gap))
                        .field("delete_operation", dv.operation())
                        .field("delete_logged_at", dv.cite());
                    for (name, val) in who(&dv) {
                        e = e.field(&format!("deleted_by_{name}"), val);
                    }
                    e = e.field(
                        "same_caller",
                        match sc {
                            Some(true) => "yes",
                            Some(false) => "no",
                            None => "unknown",
                        },
                    );
                    evidence.push(e);
                }
                break;
            }
        }
        if evidence.is_empty() {
            return Vec::new();
        }
        let n = failing.len();
        // Keep room for the deletes themselves under the evidence cap.
        evidence.truncate(super::MAX_EVIDENCE - deletes_cited.len().min(10));
        for d in deletes_cited.iter().take(10) {
            let dv = cx.ds.view(*d);
            let mut e = Evidence::from_event(&dv)
                .field("role", "the earlier delete")
                .field("operation", dv.operation())
                .field("resource", dv.resource());
            for (name, val) in who(&dv) {
                e = e.field(name, val);
            }
            evidence.push(e);
        }
        let first = &evidence[0];
        let what = first.fields.get("deleted_key").cloned().unwrap_or_default();
        let when = first
            .fields
            .get("deleted_before")
            .cloned()
            .unwrap_or_default();
        let title = if n == 1 {
            format!(
                "'{}' was deleted {when} before a request needed it",
                short_name(&what)
            )
        } else {
            format!("{n} requests got 404 for things an earlier request had deleted")
        };
        let by = if callers.is_empty() {
            "a caller the logs do not describe further (see the evidence for its client request id)"
                .to_string()
        } else {
            callers.join("; ")
        };
        let caller_note = if same.iter().all(|s| *s == Some(true)) {
            " The delete came from the same caller as the failing request, so the application \
             removes the object itself and then expects it again: look for two code paths (or two \
             instances of the application) working on the same names in the wrong order."
        } else if same.contains(&Some(false)) {
            " The delete came from a different caller than the failing request: another process, \
             job or person removed it."
        } else {
            ""
        };
        let lifecycle_note = if lifecycle {
            " The deleting user agent is the storage account's lifecycle management scanner: a \
             lifecycle policy rule removed it."
        } else {
            ""
        };
        let explanation = format!(
            "These requests failed with 404 because what they addressed no longer existed: a \
             successful delete of the object, or of the container holding it, appears earlier in \
             the logs. Deleted by: {by}.{caller_note}{lifecycle_note}"
        );
        let has_server = cx.ds.sources().contains(SourceKind::Server);
        let conf = if all_strong && has_server {
            confidence(Level::High, "")
        } else if has_server {
            confidence(
                Level::Medium,
                "The delete and the failure come from different logs whose clocks differ; a \
                 server-side log covering both requests would put them on one clock.",
            )
        } else {
            confidence(
                Level::Medium,
                "Only this client's own requests are visible. Add the server-side log \
                 (StorageBlobLogs / $logs) for this period: it records deletes from every \
                 caller, so it shows whether anyone else deleted it too.",
            )
        };
        let svcs = services(cx, &evidence);
        let f = finding(
            self.id(),
            self.default_severity(),
            title,
            explanation,
            &[
                "Identify the deleting caller from the evidence (caller IP, user agent, \
                 authentication type, client request id) and find the code, job or lifecycle \
                 policy behind it.",
                "Make the deleting and the using code agree on ownership: do not delete names \
                 that another component still uses, give each instance its own names, or hold a \
                 lease on the object while it is in use.",
                "Where an object may legitimately disappear, treat 404 as an expected answer in \
                 the reading code (skip or re-create) instead of failing.",
                "Turn on soft delete (and versioning for blobs) so that data removed by mistake \
                 can be restored.",
            ],
            conf,
            evidence,
            Some(Seen::of(cx, &failing)),
            |a, b| {
                let deletes = Kql::from(&svcs, a, b)
                    .pipe(format!(
                        "where OperationName startswith \"Delete\" and StatusCode in {}",
                        statuses(&[200, 202, 204])
                    ))
                    .pipe(
                        "project DeletedAt = TimeGenerated, ObjectKey, DeleteOperation = \
                         OperationName, DeletedBy = CallerIpAddress, DeleteUserAgent = \
                         UserAgentHeader, DeleteAuth = AuthenticationType, DeleteClientRequestId \
                         = ClientRequestId",
                    );
                Kql::from(&svcs, a, b)
                    .with("deletes", deletes)
                    .pipe("where StatusCode == \"404\"")
                    .pipe(
                        "project FailedAt = TimeGenerated, OperationName, ObjectKey, StatusText, \
                         CallerIpAddress, ClientRequestId, CorrelationId",
                    )
                    .pipe("join kind=inner deletes on ObjectKey")
                    .pipe("where DeletedAt < FailedAt and DeleteClientRequestId != ClientRequestId")
                    .pipe(
                        "summarize arg_max(DeletedAt, DeleteOperation, DeletedBy, \
                         DeleteUserAgent, DeleteAuth, DeleteClientRequestId) by CorrelationId, \
                         FailedAt, OperationName, ObjectKey, StatusText, CallerIpAddress, \
                         ClientRequestId",
                    )
                    .pipe("order by FailedAt asc")
                    .build()
            },
        );
        vec![f]
    }
}

#[cfg(test)]
#[path = "deleted_earlier_tests.rs"]
mod tests;
