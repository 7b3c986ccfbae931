//! `high-client-latency`: requests spent much longer end to end than inside the service, so the
//! client or the network is the slow part (the guide's "Nagle warning" heuristic).

use super::ops_common::{confidence, finding, is_success, services, Seen};
use super::{Context, Evidence, Finding, Level, Rule, Severity};
use crate::model::{ResponseType, Service};
use crate::report::kql::Kql;

pub struct HighClientLatency;

/// The heuristic's thresholds: time outside the service above 1.5 × the server time and at least
/// 200 ms.
const RATIO: f32 = 1.5;
const MIN_GAP_MS: f32 = 200.0;
/// One slow request is noise; a pattern needs a few and a noticeable share.
const MIN_HITS: usize = 3;
const MIN_SHARE: f32 = 0.10;

impl Rule for HighClientLatency {
    fn id(&self) -> &'static str {
        "high-client-latency"
    }
    fn default_severity(&self) -> Severity {
        Severity::Warning
    }
    fn run(&self, cx: &Context<'_>) -> Vec<Finding> {
        let mut eligible = 0usize;
        let mut hits: Vec<(usize, f32)> = Vec::new();
        let mut small_services = 0usize;
        for (_, i) in cx.primaries() {
            let v = cx.ds.view(i);
            let (e2e, srv) = (v.ev.e2e_ms, v.ev.server_ms);
            // End-to-end latency is only meaningful for successful requests. A row the service
            // classed NetworkError or ClientTimeoutError keeps the 2xx it had started to send,
            // but its end-to-end time is how long the broken transfer lasted: that is
            // `client-timeout-or-network`'s evidence, not a slow client.
            if !e2e.is_finite()
                || !srv.is_finite()
                || !is_success(v.ev.status)
                || matches!(
                    v.ev.response_type,
                    ResponseType::NetworkError | ResponseType::ClientTimeoutError
                )
            {
                continue;
            }
            eligible += 1;
            let gap = e2e - srv;
            if gap > RATIO * srv && gap >= MIN_GAP_MS {
                hits.push((i, gap));
                if matches!(v.ev.service, Service::Table | Service::Queue) {
                    small_services += 1;
                }
            }
        }
        if hits.len() < MIN_HITS || (hits.len() as f32) < MIN_SHARE * eligible as f32 {
            return Vec::new();
        }
        let n = hits.len();
        let mut gaps: Vec<f32> = hits.iter().map(|(_, g)| *g).collect();
        gaps.sort_by(f32::total_cmp);
        let median_gap = gaps[gaps.len() / 2];
        let evidence: Vec<Evidence> = hits
            .iter()
            .take(super::MAX_EVIDENCE)
            .map(|&(i, gap)| {
                let v = cx.ds.view(i);
                Evidence::from_event(&v)
                    .field("operation", v.operation())
                    .field("e2e_ms", format!("{}", v.ev.e2e_ms))
                    .field("server_ms", format!("{}", v.ev.server_ms))
                    .field("outside_service_ms", format!("{}", gap))
            })
            .collect();
        let nagle = if small_services * 2 >= n {
            " Most of them are table or queue requests, which are small: Nagle's algorithm \
             holding small packets back on the client is a likely cause."
        } else {
            ""
        };
        let explanation = format!(
            "For these requests the time measured end to end (from the service receiving the \
             first byte to it getting the last acknowledgement) is far above the time the \
             service spent working (a median of {median_gap:.0} ms outside the service). That \
             time is spent on the client side or the network: a client slow to send or to read \
             the response (too few threads or connections, busy CPU, memory pressure, garbage \
             collection), packet loss, or Nagle's algorithm delaying small requests.{nagle} \
             This analysis does not read request sizes; the query below adds the guide's third \
             condition (request under 1460 bytes), which singles out the Nagle case."
        );
        let svcs = services(cx, &evidence);
        vec![finding(
            self.id(),
            self.default_severity(),
            format!(
                "{n} of {eligible} requests spent most of their time outside the storage service"
            ),
            explanation,
            &[
                "For small table and queue requests from .NET Framework, turn Nagle's algorithm \
                 off before the first request (ServicePointManager.UseNagleAlgorithm = false, or \
                 per endpoint); connections already open keep the old setting.",
                "Check the client's resources while these requests run: CPU, memory, thread-pool \
                 starvation and the number of concurrent connections allowed per host.",
                "Use asynchronous calls and enough parallel connections so responses are read \
                 as they arrive; a larger VM helps if the machine is saturated.",
                "If the client is idle, look at the network path (packet loss, long-distance \
                 routes, proxies) with a capture such as Wireshark.",
            ],
            confidence(
                Level::Medium,
                "Request sizes are not part of this analysis: run the query below, which applies \
                 the size condition, and add a client-side log to see what the client was doing \
                 at the time.",
            ),
            evidence,
            Some(Seen::of(cx, &hits.iter().map(|h| h.0).collect::<Vec<_>>())),
            |a, b| {
                Kql::from(&svcs, a, b)
                    .pipe("where StatusCode startswith \"2\"")
                    .pipe("extend OutsideMs = DurationMs - ServerLatencyMs")
                    .pipe(
                        "extend RequestBytes = coalesce(RequestHeaderSize, 0) + \
                         coalesce(RequestBodySize, 0)",
                    )
                    .pipe(
                        "where OutsideMs > 1.5 * ServerLatencyMs and OutsideMs >= 200 and \
                         RequestBytes < 1460",
                    )
                    .pipe(
                        "summarize Requests = count(), MedianOutsideMs = percentile(OutsideMs, \
                         50) by OperationName, CallerIpAddress",
                    )
                    .pipe("order by Requests desc")
                    .build()
            },
        )]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::ops_testkit::*;

    fn row(secs: f64, e2e: f32, srv: f32) -> crate::model::RawEvent<'static> {
        let mut ev = server(
            secs,
            "InsertEntity",
            "/accttable/orders/p/r",
            201,
            "",
            "",
            "",
        );
        ev.e2e_ms = Some(e2e);
        ev.server_ms = Some(srv);
        ev
    }

    #[test]
    fn slow_outside_the_service_on_small_table_requests() {
        let mut b = Builder::new();
        let s = b.input("table.log");
        for k in 0..4 {
            b.push(s, row(k as f64, 260.0, 8.0));
        }
        for k in 0..6 {
            b.push(s, row(10.0 + k as f64, 14.0, 9.0));
        }
        let fs = b.run(&HighClientLatency);
        let f = only(&fs, "high-client-latency");
        assert_complete(f);
        assert_eq!(
            f.title,
            "4 of 10 requests spent most of their time outside the storage service"
        );
        assert!(f.explanation.contains("Nagle"));
        assert_eq!(f.evidence[0].fields["outside_service_ms"], "252");
        assert!(f.kql.as_deref().unwrap().contains("RequestBytes < 1460"));
    }

    #[test]
    fn broken_transfers_are_not_slow_clients() {
        // A download the client abandoned is logged with its 206 and a long end-to-end time,
        // but classed NetworkError: it is not a successful request that was slow.
        let mut b = Builder::new();
        let s = b.input("blob.log");
        for k in 0..4 {
            let mut ev = row(k as f64, 60_000.0, 12.0);
            ev.status = 206;
            ev.response_type = if k % 2 == 0 {
                ResponseType::NetworkError
            } else {
                ResponseType::ClientTimeoutError
            };
            b.push(s, ev);
        }
        assert!(b.run(&HighClientLatency).is_empty());
    }

    #[test]
    fn needs_a_pattern_not_one_slow_request() {
        let mut b = Builder::new();
        let s = b.input("table.log");
        b.push(s, row(0.0, 250.0, 46.0));
        for k in 0..40 {
            b.push(s, row(1.0 + k as f64, 14.0, 9.0));
        }
        assert!(b.run(&HighClientLatency).is_empty());
        // Slow inside the service is not this rule either.
        let mut b = Builder::new();
        let s = b.input("table.log");
        for k in 0..5 {
            b.push(s, row(k as f64, 900.0, 800.0));
        }
        assert!(b.run(&HighClientLatency).is_empty());
    }
}
