//! `retries-observed`: operations that needed more than one attempt (several service request ids
//! under one client request id, or retry lines in a client log).

use super::ops_common::{confidence, finding, human_secs, services, time, Seen};
use super::{Context, Evidence, Finding, Level, Rule, Severity};
use crate::correlate::Request;
use crate::model::{Field, SourceKind};
use crate::report::kql::Kql;

pub struct RetriesObserved;

impl Rule for RetriesObserved {
    fn id(&self) -> &'static str {
        "retries-observed"
    }
    fn default_severity(&self) -> Severity {
        Severity::Info
    }
    fn run(&self, cx: &Context<'_>) -> Vec<Finding> {
        let ds = cx.ds;
        let mut evidence = Vec::new();
        let mut retried: Vec<usize> = Vec::new();
        let mut max_attempts = 0usize;
        let mut failed_statuses: Vec<(u16, usize)> = Vec::new();
        let mut seen_in_server = false;
        // A request of one attempt has no retry chain; it can still report a retry when an
        // observer numbered its attempts (below), but a dataset of server logs alone has no
        // observer: then only the requests with several attempts are read.
        let observed = ds.sources().iter().any(|k| k != SourceKind::Server);
        let all: Box<dyn Iterator<Item = &Request>> = if observed {
            Box::new(cx.correlation.requests.iter())
        } else {
            Box::new(cx.retried_requests())
        };
        for req in all {
            let chains = req.retry_chains(ds);
            for chain in &chains {
                let prim: Vec<usize> = chain
                    .iter()
                    .map(|&k| Request::primary(ds, req.attempt(k)) as usize)
                    .collect();
                let statuses: Vec<String> = prim
                    .iter()
                    .map(|&i| match ds.events[i].status {
                        0 => "no answer".to_string(),
                        s => s.to_string(),
                    })
                    .collect();
                for &i in &prim[..prim.len() - 1] {
                    let s = ds.events[i].status;
                    match failed_statuses.iter_mut().find(|(x, _)| *x == s) {
                        Some((_, n)) => *n += 1,
                        None => failed_statuses.push((s, 1)),
                    }
                }
                let times: Vec<_> = prim.iter().filter_map(|&i| time(cx, i)).collect();
                let gaps: Vec<String> = times
                    .windows(2)
                    .map(|w| human_secs(w[1].seconds_since(w[0])))
                    .collect();
                seen_in_server |= prim
                    .iter()
                    .any(|&i| ds.events[i].source == SourceKind::Server);
                max_attempts = max_attempts.max(prim.len());
                let last = ds.view(*prim.last().unwrap_or(&0));
                retried.push(last.index);
                if evidence.len() >= super::MAX_EVIDENCE {
                    continue;
                }
                evidence.push(
                    Evidence::from_event(&last)
                        .field("operation", last.operation())
                        .field("resource", last.resource())
                        .field("attempts", prim.len().to_string())
                        .field("statuses", statuses.join(" → "))
                        .field("waits", gaps.join(", ")),
                );
            }
            if !chains.is_empty() {
                continue;
            }
            // Earlier attempts may be missing from the logs; a client that numbers its retries
            // still says one happened.
            let reported = req
                .events
                .iter()
                .map(|&i| ds.view(i as usize))
                .filter_map(|v| {
                    let n = v.extra(Field::RetryAttempt)?.trim().parse::<usize>().ok()?;
                    (n > 0 && v.ev.source != SourceKind::Server).then_some((n, v))
                })
                .max_by_key(|(n, _)| *n);
            if let Some((n, v)) = reported {
                max_attempts = max_attempts.max(n + 1);
                retried.push(v.index);
                if evidence.len() >= super::MAX_EVIDENCE {
                    continue;
                }
                evidence.push(
                    Evidence::from_event(&v)
                        .field("operation", v.operation())
                        .field("resource", v.resource())
                        .field("attempts", (n + 1).to_string()),
                );
            }
        }
        if retried.is_empty() {
            return Vec::new();
        }
        failed_statuses.sort_by_key(|s| std::cmp::Reverse(s.1));
        let n = retried.len();
        let why: Vec<String> = failed_statuses
            .iter()
            .take(5)
            .map(|(s, c)| match s {
                0 => format!("no answer ×{c}"),
                // The service succeeded but the client retried: it never saw this answer.
                200..=299 => format!("{s}, an answer the client did not get, ×{c}"),
                s => format!("{s} ×{c}"),
            })
            .collect();
        let why = if why.is_empty() {
            String::new()
        } else {
            format!(
                " The attempts that were retried ended with: {}.",
                why.join(", ")
            )
        };
        let explanation = format!(
            "These operations were sent more than once under the same client request id (up to \
             {max_attempts} attempts). Retrying is what the client libraries do on timeouts, \
             throttling and server errors, so a few are normal; many mean added latency and \
             load, and the failed attempts deserve a look.{why}"
        );
        let conf = if seen_in_server {
            confidence(Level::High, "")
        } else {
            confidence(
                Level::Medium,
                "Seen in the client's log only; the server-side log shows each attempt with its \
                 own request id and outcome.",
            )
        };
        let svcs = services(cx, &evidence);
        vec![finding(
            self.id(),
            self.default_severity(),
            format!(
                "{n} operation{} needed more than one attempt",
                if n == 1 { "" } else { "s" }
            ),
            explanation,
            &[
                "Look at why the first attempts failed (the statuses above and the other findings \
                 of this report) and fix that cause.",
                "Keep retries on an exponential back-off with a cap, and make retried operations \
                 safe to repeat.",
            ],
            conf,
            evidence,
            Some(Seen::of(cx, &retried)),
            |a, b| {
                Kql::from(&svcs, a, b)
                    .pipe("where isnotempty(ClientRequestId)")
                    .pipe(
                        "summarize Attempts = dcount(CorrelationId), Statuses = \
                         make_list(StatusCode), First = min(TimeGenerated), Last = \
                         max(TimeGenerated) by ClientRequestId, OperationName, ObjectKey",
                    )
                    .pipe("where Attempts > 1")
                    .pipe("order by Attempts desc")
                    .build()
            },
        )]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Method;
    use crate::rules::ops_testkit::*;

    #[test]
    fn a_chain_of_three_attempts() {
        let mut b = Builder::new();
        let s = b.input("queue.log");
        let crid = "aaaaaaaa-0000-4000-8000-000000000001";
        let k = "/acctqueue/jobs/messages";
        b.push(
            s,
            server(0.0, "PutMessage", k, 503, "ServerBusy", crid, "r1"),
        );
        b.push(
            s,
            server(3.0, "PutMessage", k, 503, "ServerBusy", crid, "r2"),
        );
        b.push(s, server(12.0, "PutMessage", k, 201, "", crid, "r3"));
        let fs = b.run(&RetriesObserved);
        let f = only(&fs, "retries-observed");
        assert_complete(f);
        assert_eq!(f.severity, Severity::Info);
        assert_eq!(f.count, 1);
        let e = &f.evidence[0];
        assert_eq!(e.fields["attempts"], "3");
        assert_eq!(e.fields["statuses"], "503 → 503 → 201");
        assert_eq!(e.fields["waits"], "3.0 s, 9.0 s");
        assert!(f.explanation.contains("503 ×2"));
    }

    #[test]
    fn a_client_numbered_retry_counts_too() {
        let mut b = Builder::new();
        let c = b.input("app.log");
        let ev = client(
            0.0,
            Method::Get,
            "https://acct.blob.core.windows.net/c/b",
            200,
            "",
            "r1",
        );
        b.push(c, with(ev, Field::RetryAttempt, "2"));
        let fs = b.run(&RetriesObserved);
        assert_eq!(
            only(&fs, "retries-observed").evidence[0].fields["attempts"],
            "3"
        );
    }

    #[test]
    fn create_if_not_exists_is_not_a_retry() {
        let mut b = Builder::new();
        let s = b.input("blob.log");
        let crid = "aaaaaaaa-0000-4000-8000-000000000001";
        b.push(
            s,
            server(
                0.0,
                "GetContainerProperties",
                "/acct/c",
                404,
                "",
                crid,
                "r1",
            ),
        );
        b.push(
            s,
            server(0.1, "CreateContainer", "/acct/c", 201, "", crid, "r2"),
        );
        let c = b.input("app.log");
        let ev = client(
            1.0,
            Method::Get,
            "https://acct.blob.core.windows.net/c/b",
            200,
            "",
            "r3",
        );
        b.push(c, with(ev, Field::RetryAttempt, "0"));
        assert!(b.run(&RetriesObserved).is_empty());
    }
}
