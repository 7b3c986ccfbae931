//! `server-timeout`: the service could not finish requests within its own time limit
//! (500 OperationTimedOut, ServerTimeoutError).

use super::ops_common::{
    confidence, finding, is_server_timeout, listed, minutes_covered, services, transactions, Seen,
};
use super::{Context, Evidence, Finding, Level, Rule, Severity};
use crate::knowledge::url::StorageUrl;
use crate::model::{Field, ResponseType};
use crate::report::kql::Kql;

pub struct ServerTimeout;

impl Rule for ServerTimeout {
    fn id(&self) -> &'static str {
        "server-timeout"
    }
    fn default_severity(&self) -> Severity {
        Severity::Error
    }
    fn run(&self, cx: &Context<'_>) -> Vec<Finding> {
        let mut hits = Vec::new();
        let mut classified = true;
        let mut short_timeouts: Vec<String> = Vec::new();
        let mut ops: Vec<(String, usize)> = Vec::new();
        for (_, i) in cx.unsuccessful_primaries() {
            let v = cx.ds.view(i);
            if !is_server_timeout(&v) {
                continue;
            }
            classified &= v.ev.response_type == ResponseType::ServerTimeoutError;
            // A `timeout=` in the URL shorter than the work needs turns into this answer too.
            if let Some(t) = v
                .extra(Field::Url)
                .and_then(StorageUrl::parse)
                .and_then(|u| u.param("timeout").map(|s| s.into_owned()))
            {
                if t.parse::<u32>().is_ok_and(|s| s < 30) && !short_timeouts.contains(&t) {
                    short_timeouts.push(t);
                }
            }
            // A metrics row is many timed-out transactions, not one.
            let w = transactions(&v) as usize;
            let op = v.operation().to_string();
            match ops.iter_mut().find(|(o, _)| *o == op) {
                Some((_, n)) => *n += w,
                None => ops.push((op, w)),
            }
            hits.push(i);
        }
        if hits.is_empty() {
            return Vec::new();
        }
        ops.sort_by_key(|o| std::cmp::Reverse(o.1));
        let n: usize = ops.iter().map(|(_, c)| c).sum();
        let (minutes, span) = minutes_covered(cx, &hits);
        let evidence: Vec<Evidence> = listed(&hits)
            .iter()
            .map(|&i| {
                let v = cx.ds.view(i);
                let mut e = Evidence::from_event(&v)
                    .field("operation", v.operation())
                    .field("resource", v.resource());
                if v.ev.server_ms.is_finite() {
                    e = e.field("server_ms", format!("{}", v.ev.server_ms));
                }
                e
            })
            .collect();
        let spread = if span >= 5 && minutes * 2 > span {
            "They continue through most of the period covered, which points at a lasting \
             overload rather than a passing event."
        } else {
            "They are confined to a short period, which usually means a transient condition on \
             the service side, such as partitions being moved; retries resolve those."
        };
        let timeout_note = if short_timeouts.is_empty() {
            String::new()
        } else {
            format!(
                " Some requests set a server timeout of only {} s (timeout= in the URL): the \
                 service stops work that takes longer, so raise that value for large \
                 operations.",
                short_timeouts.join(", ")
            )
        };
        let most: Vec<String> = ops
            .iter()
            .take(5)
            .map(|(o, c)| format!("{} ×{c}", if o.is_empty() { "unnamed" } else { o }))
            .collect();
        let explanation = format!(
            "The service started these requests but did not finish them within its time limit \
             and answered 500 (OperationTimedOut). Operations: {}. {spread}{timeout_note}",
            most.join(", ")
        );
        let conf = if classified {
            confidence(Level::High, "")
        } else {
            confidence(
                Level::Medium,
                "Without the service's response type these 500 OperationTimedOut answers could \
                 also be client timeouts (a timeout= value shorter than the work). The server \
                 log's ServerTimeoutError / ClientTimeoutError column tells them apart.",
            )
        };
        let svcs = services(cx, &evidence);
        vec![finding(
            self.id(),
            self.default_severity(),
            format!(
                "{n} request{} timed out inside the storage service",
                if n == 1 { "" } else { "s" }
            ),
            explanation,
            &[
                "Make sure these operations are retried with exponential back-off; occasional \
                 server timeouts are expected and succeed on retry.",
                "If they persist, compare the load with the account's scalability targets and \
                 split large operations (smaller batches, ranges or blocks).",
                "Check the server latency of the same operations over time (query below) to see \
                 whether the service slowed down generally.",
                "For timeouts that persist without load, open a support case quoting the request \
                 ids (x-ms-request-id) in the evidence.",
            ],
            conf,
            evidence,
            Some(Seen::of(cx, &hits)),
            |a, b| {
                Kql::from(&svcs, a, b)
                    .pipe(
                        "where MetricResponseType == \"ServerTimeoutError\" or (StatusCode == \
                         \"500\" and StatusText == \"OperationTimedOut\")",
                    )
                    .pipe(
                        "summarize Timeouts = count(), MaxServerLatencyMs = max(ServerLatencyMs) \
                         by bin(TimeGenerated, 5m), OperationName",
                    )
                    .pipe("order by TimeGenerated asc")
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
    fn server_timeout_rows() {
        let mut b = Builder::new();
        let s = b.input("blob.log");
        let mut ev = server(
            0.0,
            "PutBlockList",
            "/acct/c/big.bin",
            500,
            "OperationTimedOut",
            "",
            "r1",
        );
        ev.response_type = ResponseType::ServerTimeoutError;
        b.push(s, ev);
        let fs = b.run(&ServerTimeout);
        let f = only(&fs, "server-timeout");
        assert_complete(f);
        assert_eq!(f.confidence.level, Level::High);
        assert!(f.explanation.contains("PutBlockList ×1"));
    }

    #[test]
    fn metrics_rows_count_their_transactions() {
        // Two hourly metrics rows of 14 and 9 ServerTimeoutError transactions: 23 timeouts.
        let mut b = Builder::new();
        let m = b.input("metrics.csv");
        for (h, n) in [(0.0, "14"), (3600.0, "9")] {
            let ev = crate::model::RawEvent {
                time: at(h),
                source: crate::model::SourceKind::Metrics,
                operation: "QueryEntities".into(),
                response_type: ResponseType::ServerTimeoutError,
                ..Default::default()
            }
            .with(Field::Count, n);
            b.push(m, ev);
        }
        let fs = b.run(&ServerTimeout);
        let f = only(&fs, "server-timeout");
        assert_eq!(f.title, "23 requests timed out inside the storage service");
        assert!(
            f.explanation.contains("QueryEntities ×23"),
            "{}",
            f.explanation
        );
        assert_eq!(f.count, 2);
    }

    #[test]
    fn short_timeout_parameter_is_named() {
        let mut b = Builder::new();
        let c = b.input("app.log");
        let mut ev = client(
            0.0,
            Method::Get,
            "https://acct.blob.core.windows.net/c/big.bin?timeout=5",
            500,
            "",
            "r1",
        );
        ev.error_code = "OperationTimedOut".into();
        b.push(c, ev);
        let fs = b.run(&ServerTimeout);
        let f = only(&fs, "server-timeout");
        assert_eq!(f.confidence.level, Level::Medium);
        assert!(f.explanation.contains("only 5 s"));
    }

    #[test]
    fn client_timeouts_and_throttling_are_not_server_timeouts() {
        let mut b = Builder::new();
        let s = b.input("blob.log");
        let mut ev = server(
            0.0,
            "GetBlob",
            "/acct/c/b",
            500,
            "OperationTimedOut",
            "",
            "r1",
        );
        ev.response_type = ResponseType::ClientTimeoutError;
        b.push(s, ev);
        let mut ev = server(
            1.0,
            "GetBlob",
            "/acct/c/b",
            500,
            "OperationTimedOut",
            "",
            "r2",
        );
        ev.response_type = ResponseType::ThrottlingError;
        b.push(s, ev);
        assert!(b.run(&ServerTimeout).is_empty());
    }
}
