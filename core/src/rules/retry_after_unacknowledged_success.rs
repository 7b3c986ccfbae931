//! `retry-after-unacknowledged-success`: the first attempt of a delete (create) succeeded on the
//! service, the client never saw the answer, and its automatic retry, under the same client
//! request id, found the thing already gone (already there).

use super::ops_common::{
    confidence, display_key, finding, human_secs, is_delete, is_success, services, time, Seen,
};
use super::{Context, Evidence, Finding, Level, Rule, Severity};
use crate::correlate::Request;
use crate::model::{EventView, Field, Method, SourceKind};
use crate::report::kql::{statuses, Kql};

pub struct RetryAfterUnacknowledgedSuccess;

/// What a client-side observation of a first attempt says: it got no usable answer.
pub(crate) fn unanswered(v: &EventView<'_>) -> bool {
    v.ev.source != SourceKind::Server
        && (v.ev.status == 0 || v.ev.status == 408 || v.ev.status >= 500)
}

fn is_create_like(v: &EventView<'_>) -> bool {
    let op = v.operation();
    if !op.is_empty() {
        return op.starts_with("Create")
            || op.starts_with("Insert")
            || matches!(op, "PutBlob" | "PutBlockList" | "CopyBlob");
    }
    matches!(v.ev.method, Method::Put | Method::Post)
}

/// One detected pair: the attempt that succeeded unseen and the retry that failed.
pub(crate) struct Pair {
    pub first: usize,
    pub retry: usize,
    /// A client-side observation of the first attempt that got no answer.
    pub client_saw: Option<usize>,
    /// The service's own row confirms the first attempt succeeded.
    pub confirmed: bool,
}

/// Every such pair in the dataset.
pub(crate) fn pairs(cx: &Context<'_>) -> Vec<Pair> {
    let ds = cx.ds;
    let mut out = Vec::new();
    for req in cx.retried_requests() {
        for chain in req.retry_chains(ds) {
            for w in chain.windows(2) {
                let (a, b) = (req.attempt(w[0]), req.attempt(w[1]));
                let pa = ds.view(Request::primary(ds, a) as usize);
                let pb = ds.view(Request::primary(ds, b) as usize);
                let delete = pb.ev.status == 404 && (is_delete(&pb) || is_delete(&pa));
                let create = pb.ev.status == 409
                    && (pa.ev.status == 201 || is_create_like(&pb) || is_create_like(&pa));
                if !delete && !create {
                    continue;
                }
                let client_saw = a
                    .iter()
                    .map(|&i| ds.view(i as usize))
                    .find(unanswered)
                    .map(|v| v.index);
                // The client saw the success itself: then it had no reason to retry, and this is
                // something else. A proxy's capture (Fiddler) can hold an answer that arrived
                // after the application gave up waiting; when the application's own log says
                // it got no answer, that decides.
                let app_unanswered = a.iter().any(|&i| {
                    let v = ds.view(i as usize);
                    v.ev.source == SourceKind::Client && unanswered(&v)
                });
                let client_saw_success = a.iter().any(|&i| {
                    let e = &ds.events[i as usize];
                    is_success(e.status)
                        && match e.source {
                            SourceKind::Server => false,
                            SourceKind::Network => !app_unanswered,
                            _ => true,
                        }
                });
                if client_saw_success {
                    continue;
                }
                let confirmed = pa.ev.source == SourceKind::Server
                    && if delete {
                        is_success(pa.ev.status)
                    } else {
                        pa.ev.status == 201 || is_success(pa.ev.status)
                    };
                if confirmed || client_saw.is_some() {
                    out.push(Pair {
                        first: pa.index,
                        retry: pb.index,
                        client_saw,
                        confirmed,
                    });
                }
            }
        }
    }
    out
}

impl Rule for RetryAfterUnacknowledgedSuccess {
    fn id(&self) -> &'static str {
        "retry-after-unacknowledged-success"
    }
    fn default_severity(&self) -> Severity {
        Severity::Warning
    }
    fn run(&self, cx: &Context<'_>) -> Vec<Finding> {
        let found = pairs(cx);
        if found.is_empty() {
            return Vec::new();
        }
        let mut evidence = Vec::new();
        let mut gaps = Vec::new();
        let mut all_confirmed = true;
        let mut deletes = 0usize;
        for p in &found {
            let (fv, rv) = (cx.ds.view(p.first), cx.ds.view(p.retry));
            let gap = match (time(cx, p.first), time(cx, p.retry)) {
                (Some(a), Some(b)) => Some(b.seconds_since(a)),
                _ => None,
            };
            if let Some(g) = gap {
                gaps.push(g);
            }
            all_confirmed &= p.confirmed;
            if rv.ev.status == 404 {
                deletes += 1;
            }
            // Two rows per pair (the retry and its first attempt) under the evidence cap.
            if evidence.len() + 2 > super::MAX_EVIDENCE {
                continue;
            }
            let saw = p.client_saw.map(|i| cx.ds.view(i));
            let mut e = Evidence::from_event(&rv)
                .field("operation", rv.operation())
                .field("resource", rv.resource())
                .field("first_attempt_status", fv.ev.status.to_string())
                .field("first_attempt_request_id", fv.request_id())
                .field("first_attempt_logged_at", fv.cite())
                .field("retry_after", gap.map(human_secs).unwrap_or_default());
            if let Some(s) = saw {
                e = e.field(
                    "client_saw",
                    s.extra(Field::Detail)
                        .map(str::to_string)
                        .unwrap_or_else(|| match s.ev.status {
                            0 => "no response".to_string(),
                            x => format!("status {x}"),
                        }),
                );
            }
            evidence.push(e);
            evidence.push(
                Evidence::from_event(&fv)
                    .field("role", "the first attempt")
                    .field("operation", fv.operation()),
            );
        }
        let n = found.len();
        let first = cx.ds.view(found[0].retry);
        let name = display_key(first.resource()).to_string();
        let kind = if deletes == n {
            "delete"
        } else if deletes == 0 {
            "create"
        } else {
            "delete or create"
        };
        let title = if n == 1 {
            format!(
                "A retried {kind} of '{name}' failed with {} although the first attempt had \
                 succeeded",
                first.ev.status
            )
        } else {
            format!("{n} retried {kind}s failed although their first attempt had succeeded")
        };
        let typical_gap = gaps
            .iter()
            .copied()
            .reduce(f64::min)
            .map(|g| {
                format!(
                    " The retry followed about {} after the first attempt, which hints at the \
                     client's per-attempt timeout.",
                    human_secs(g)
                )
            })
            .unwrap_or_default();
        let explanation = format!(
            "The first attempt of the operation did its work on the service, but its answer never \
             reached the client (a timeout, a dropped connection). The client library retried \
             automatically with the same client request id, and the retry found the result of the \
             first attempt: the object already deleted (404) or already created (409). The data is \
             as the application wanted it; only the error is misleading.{typical_gap}"
        );
        let conf = if all_confirmed {
            confidence(Level::High, "")
        } else {
            confidence(
                Level::Medium,
                "Only the client's view is available. The server-side log for this period would \
                 show the first attempt succeeding under the same client request id.",
            )
        };
        let svcs = services(cx, &evidence);
        let f = finding(
            self.id(),
            self.default_severity(),
            title,
            explanation,
            &[
                "Treat 404 from a retried delete, and 409 'already exists' from a retried create, \
                 as success when the same logical operation was already sent (or use \
                 DeleteIfExists / CreateIfNotExists, which do this).",
                "Log these cases in the application and carry on instead of failing the \
                 operation.",
                "If it happens often, find out why answers are lost: per-attempt timeouts shorter \
                 than the operation takes, unstable networks, proxies or NAT devices dropping idle \
                 connections.",
            ],
            conf,
            evidence,
            Some(Seen::of(
                cx,
                &found.iter().map(|p| p.retry).collect::<Vec<_>>(),
            )),
            |a, b| {
                Kql::from(&svcs, a, b)
                    .pipe("where isnotempty(ClientRequestId)")
                    .pipe("order by ClientRequestId asc, ObjectKey asc, TimeGenerated asc")
                    .pipe(
                        "extend PrevCrid = prev(ClientRequestId), PrevKey = prev(ObjectKey), \
                         PrevOp = prev(OperationName), PrevStatus = prev(StatusCode), PrevAt = \
                         prev(TimeGenerated)",
                    )
                    .pipe(
                        "where ClientRequestId == PrevCrid and ObjectKey == PrevKey and \
                         OperationName == PrevOp",
                    )
                    .pipe(format!(
                        "where (OperationName startswith \"Delete\" and PrevStatus in {} and \
                         StatusCode == \"404\") or (PrevStatus == \"201\" and StatusCode == \
                         \"409\")",
                        statuses(&[200, 202, 204])
                    ))
                    .pipe(
                        "project TimeGenerated, OperationName, ObjectKey, ClientRequestId, \
                         PrevStatus, StatusCode, StatusText, RetryAfterSeconds = \
                         datetime_diff('millisecond', TimeGenerated, PrevAt) / 1000.0, \
                         CallerIpAddress, CorrelationId",
                    )
                    .build()
            },
        );
        vec![f]
    }
}

#[cfg(test)]
#[path = "retry_after_unacknowledged_success_tests.rs"]
mod tests;
