//! `throttling`: the account or a partition hit a scalability target and the service answered
//! 503 ServerBusy (or 500 with a throttling response type).

use super::ops_common::{
    confidence, container_key, finding, is_throttled, listed, minutes_covered, services,
    short_name, time, transactions, Seen,
};
use super::{Context, Evidence, Finding, Level, Rule, Severity};
use crate::correlate::Request;
use crate::model::{ResponseType, SourceKind};
use crate::report::kql::Kql;

pub struct Throttling;

/// Whether a request's attempts were spaced evenly (a fixed-interval retry) rather than growing.
fn evenly_spaced(cx: &Context<'_>, req: &Request) -> Option<bool> {
    let times: Vec<_> = req
        .attempts()
        .filter_map(|a| time(cx, Request::primary(cx.ds, a) as usize))
        .collect();
    if times.len() < 3 {
        return None;
    }
    let gaps: Vec<f64> = times.windows(2).map(|w| w[1].seconds_since(w[0])).collect();
    Some(gaps.windows(2).all(|g| g[1] <= g[0] * 1.2 + 0.05))
}

impl Rule for Throttling {
    fn id(&self) -> &'static str {
        "throttling"
    }
    fn default_severity(&self) -> Severity {
        Severity::Error
    }
    fn run(&self, cx: &Context<'_>) -> Vec<Finding> {
        let mut hits = Vec::new();
        let mut partitions: Vec<(String, usize)> = Vec::new();
        let mut classified_by_service = true;
        let mut fixed_interval = false;
        // `primaries` walks requests in order, so one "last seen" is enough to visit each once.
        let mut last_request: Option<u32> = None;
        for (r, i) in cx.unsuccessful_primaries() {
            let v = cx.ds.view(i);
            if !is_throttled(&v) {
                continue;
            }
            hits.push(i);
            classified_by_service &= v.ev.source == SourceKind::Server
                && v.ev.response_type == ResponseType::ThrottlingError
                || v.error_code() == "ServerBusy";
            let p = container_key(v.resource()).unwrap_or_else(|| "(account)".to_string());
            match partitions.iter_mut().find(|(k, _)| *k == p) {
                Some((_, n)) => *n += 1,
                None => partitions.push((p, 1)),
            }
            if last_request != Some(r) {
                last_request = Some(r);
                if let Some(req) = cx.correlation.requests.get(r as usize) {
                    fixed_interval |= evenly_spaced(cx, req) == Some(true);
                }
            }
        }
        if hits.is_empty() {
            return Vec::new();
        }
        partitions.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        // A metrics row is many throttled transactions, not one.
        let n: u64 = hits.iter().map(|&i| transactions(&cx.ds.view(i))).sum();
        // Peak throttled answers in one second.
        let mut secs: Vec<i64> = hits
            .iter()
            .filter_map(|&i| time(cx, i))
            .map(|t| t.0.div_euclid(1_000_000))
            .collect();
        secs.sort_unstable();
        let peak = secs
            .chunk_by(|a, b| a == b)
            .map(|c| c.len())
            .max()
            .unwrap_or(0);
        let (throttled_minutes, span_minutes) = minutes_covered(cx, &hits);
        let sustained = span_minutes >= 5 && throttled_minutes * 2 > span_minutes;
        let evidence: Vec<Evidence> = listed(&hits)
            .iter()
            .map(|&i| {
                let v = cx.ds.view(i);
                Evidence::from_event(&v)
                    .field("operation", v.operation())
                    .field("resource", v.resource())
                    .field("response_type", v.ev.response_type.as_str())
            })
            .collect();
        let top: Vec<String> = partitions
            .iter()
            .take(5)
            .map(|(k, c)| format!("{} ×{c}", short_name(k)))
            .collect();
        let title = format!(
            "The service throttled {n} request{} (503 Server Busy)",
            if n == 1 { "" } else { "s" }
        );
        let pattern = if sustained {
            format!(
                "Throttling went on through {throttled_minutes} of the {span_minutes} minutes \
                 covered, so the load is above what the account or partition can take for good, \
                 not a passing burst."
            )
        } else {
            format!(
                "It came in bursts ({throttled_minutes} of {span_minutes} minutes, at most \
                 {peak} throttled answers in one second): short peaks of load, or the service \
                 moving partitions to balance load."
            )
        };
        let retry_note = if fixed_interval {
            " The client retried at a fixed interval; under throttling the wait should grow \
             between attempts."
        } else {
            ""
        };
        let explanation = format!(
            "Each storage account, and each partition in it (a queue, a table partition key, a \
             blob), has scalability targets for requests and bandwidth. Above them the service \
             answers 503 Server Busy, or 500 with a throttling classification, instead of \
             queuing the work. Most affected: {}. {pattern}{retry_note}",
            top.join(", ")
        );
        let conf = if classified_by_service {
            confidence(Level::High, "")
        } else {
            confidence(
                Level::Medium,
                "These 503 answers come from a client-side view; the server-side log (its \
                 ThrottlingError / ServerBusy rows) would confirm that the storage service, not a \
                 proxy, sent them.",
            )
        };
        let svcs = services(cx, &evidence);
        vec![finding(
            self.id(),
            self.default_severity(),
            title,
            explanation,
            &[
                "Retry with exponential back-off and jitter (the Azure SDKs' default retry \
                 policies do this; check that no fixed-interval policy replaced them).",
                "Spread the load over more partitions: more queues, a wider range of table \
                 partition keys (not a date or time as the key prefix), more blobs instead of one \
                 hot blob; beyond the account's targets, use more storage accounts.",
                "Smooth peaks: batch small operations, queue work instead of sending it all at \
                 once, and cache data that is read repeatedly (a CDN for hot blobs).",
                "Compare the request rate with the documented scalability targets for this \
                 account type, using the per-minute counts from the query below.",
            ],
            conf,
            evidence,
            Some(Seen::of(cx, &hits)),
            |a, b| {
                Kql::from(&svcs, a, b)
                    .pipe(
                        "where StatusCode == \"503\" or MetricResponseType in \
                         (\"ServerBusyError\", \"ClientThrottlingError\", \
                         \"ClientAccountRequestThrottlingError\", \
                         \"ClientAccountBandwidthThrottlingError\") or StatusText has \
                         \"ServerBusy\"",
                    )
                    .pipe(
                        "summarize Throttled = count() by bin(TimeGenerated, 1m), OperationName, \
                         Partition = tostring(split(ObjectKey, \"/\")[2])",
                    )
                    .pipe("order by Throttled desc")
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
    fn metrics_rows_count_their_transactions() {
        let mut b = Builder::new();
        let m = b.input("metrics.csv");
        for (h, n) in [(0.0, "45"), (3600.0, "9")] {
            let ev = crate::model::RawEvent {
                time: at(h),
                source: SourceKind::Metrics,
                response_type: ResponseType::ThrottlingError,
                ..Default::default()
            }
            .with(crate::model::Field::Count, n);
            b.push(m, ev);
        }
        let fs = b.run(&Throttling);
        let f = only(&fs, "throttling");
        assert_eq!(
            f.title,
            "The service throttled 54 requests (503 Server Busy)"
        );
        assert_eq!(f.count, 2);
    }

    #[test]
    fn bursts_of_server_busy_on_one_queue() {
        let mut b = Builder::new();
        let s = b.input("queue.log");
        for k in 0..4 {
            b.push(
                s,
                server(
                    0.1 * k as f64,
                    "PutMessage",
                    "/acctqueue/jobs/messages",
                    503,
                    "ServerBusy",
                    "",
                    "",
                ),
            );
        }
        b.push(
            s,
            server(
                600.0,
                "PutMessage",
                "/acctqueue/jobs/messages",
                201,
                "",
                "",
                "",
            ),
        );
        let fs = b.run(&Throttling);
        let f = only(&fs, "throttling");
        assert_complete(f);
        assert_eq!(f.severity, Severity::Error);
        assert_eq!(f.count, 4);
        assert_eq!(f.confidence.level, Level::High);
        assert!(f.explanation.contains("jobs ×4"), "{}", f.explanation);
        assert!(f.explanation.contains("bursts"));
        assert!(f.kql.as_deref().unwrap().starts_with("StorageQueueLogs"));
    }

    #[test]
    fn fixed_interval_retries_are_pointed_out() {
        let mut b = Builder::new();
        let c = b.input("app.log");
        let url = "https://acct.table.core.windows.net/orders";
        let crid = "aaaaaaaa-0000-4000-8000-000000000001";
        for k in 0..3 {
            b.push(c, client(2.0 * k as f64, Method::Post, url, 503, crid, ""));
        }
        let fs = b.run(&Throttling);
        let f = only(&fs, "throttling");
        assert!(f.explanation.contains("fixed interval"));
        assert_eq!(f.confidence.level, Level::Medium);
    }

    #[test]
    fn other_server_errors_are_not_throttling() {
        let mut b = Builder::new();
        let s = b.input("blob.log");
        b.push(
            s,
            server(0.0, "GetBlob", "/acct/c/b", 500, "InternalError", "", ""),
        );
        b.push(
            s,
            server(
                1.0,
                "GetBlob",
                "/acct/c/b",
                500,
                "OperationTimedOut",
                "",
                "",
            ),
        );
        assert!(b.run(&Throttling).is_empty());
    }
}
