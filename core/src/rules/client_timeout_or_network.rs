//! `client-timeout-or-network`: the client gave up on requests or the connection broke: the
//! server log's ClientTimeoutError / NetworkError rows, and timeouts or connection failures in
//! client logs.

use super::ops_common::{confidence, finding, services, Seen};
use super::{Context, Evidence, Finding, Level, Rule, Severity};
use crate::model::{EventView, Field, ResponseType, SourceKind};
use crate::report::kql::Kql;

pub struct ClientTimeoutOrNetwork;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Timeout,
    Connection,
}

/// Words in exception and error texts that mean "gave up waiting" or "the connection failed".
const TIMEOUT_WORDS: [&str; 9] = [
    "timed out",
    "timeout",
    "time out",
    "etimedout",
    "esockettimedout",
    "err_timed_out",
    "taskcanceledexception",
    "operationcanceledexception",
    "the operation was canceled",
];
const CONNECTION_WORDS: [&str; 16] = [
    "connection reset",
    "forcibly closed",
    "econnreset",
    "socket hang up",
    "connection aborted",
    "econnaborted",
    "broken pipe",
    "connection refused",
    "econnrefused",
    "no such host",
    "enotfound",
    "name or service not known",
    "network is unreachable",
    "err_connection",
    "err_network",
    "unable to read data from the transport connection",
];

/// What a client-side observation says went wrong with the connection, if anything.
fn client_side(v: &EventView<'_>) -> Option<Kind> {
    if v.ev.source == SourceKind::Server || v.ev.source == SourceKind::Metrics {
        return None;
    }
    // A response came back: whatever the text says, the connection worked.
    if v.ev.status != 0 && v.ev.status != 408 {
        return None;
    }
    // A browser that blocked the call for CORS also shows no response; that is another rule.
    if v.extra(Field::CorsFailure).is_some() {
        return None;
    }
    let d = v.extra(Field::Detail)?.to_ascii_lowercase();
    if TIMEOUT_WORDS.iter().any(|w| d.contains(w)) || v.ev.status == 408 {
        Some(Kind::Timeout)
    } else if CONNECTION_WORDS.iter().any(|w| d.contains(w)) {
        Some(Kind::Connection)
    } else {
        None
    }
}

fn server_side(v: &EventView<'_>) -> Option<Kind> {
    if v.ev.source != SourceKind::Server {
        return None;
    }
    match v.ev.response_type {
        ResponseType::ClientTimeoutError => Some(Kind::Timeout),
        ResponseType::NetworkError => Some(Kind::Connection),
        _ => None,
    }
}

/// Whether [`server_side`] or [`client_side`] may take the row, from its facts alone.
fn may_speak(r: super::RowFacts) -> bool {
    r.source == SourceKind::Server
        && matches!(
            r.response_type,
            ResponseType::ClientTimeoutError | ResponseType::NetworkError
        )
        || !matches!(r.source, SourceKind::Server | SourceKind::Metrics)
            && matches!(r.status, 0 | 408)
            && r.has(Field::Detail)
            && !r.has(Field::CorsFailure)
}

impl Rule for ClientTimeoutOrNetwork {
    fn id(&self) -> &'static str {
        "client-timeout-or-network"
    }
    fn default_severity(&self) -> Severity {
        Severity::Warning
    }
    fn run(&self, cx: &Context<'_>) -> Vec<Finding> {
        let mut evidence = Vec::new();
        let mut speakers: Vec<usize> = Vec::new();
        let (mut timeouts, mut connections) = (0usize, 0usize);
        let mut server_rows = 0usize;
        let mut done_after_all = 0usize;
        // Only the requests with a row that `server_side` or `client_side` may take, in request
        // order; an attempt without such a row is skipped below as before.
        let mut requests: Vec<u32> = cx
            .rows_where(may_speak)
            .filter_map(|v| cx.correlation.request_of.get(v.index).copied())
            .collect();
        requests.sort_unstable();
        requests.dedup();
        for req in requests
            .iter()
            .map(|&r| &cx.correlation.requests[r as usize])
        {
            for a in req.attempts() {
                if !a.iter().any(|&i| cx.row_passes(i as usize, may_speak)) {
                    continue;
                }
                let view = |i: &u32| cx.ds.view(*i as usize);
                let server = a
                    .iter()
                    .map(view)
                    .find_map(|v| server_side(&v).map(|k| (k, v)));
                let client = a
                    .iter()
                    .map(view)
                    .find_map(|v| client_side(&v).map(|k| (k, v)));
                let (kind, speaker) = match (server, client) {
                    (Some((k, s)), _) => {
                        server_rows += 1;
                        (k, s)
                    }
                    (None, Some((k, c))) => (k, c),
                    (None, None) => continue,
                };
                match kind {
                    Kind::Timeout => timeouts += 1,
                    Kind::Connection => connections += 1,
                }
                speakers.push(speaker.index);
                // The service's own row for the same attempt says it completed the work.
                let done = a.iter().map(view).find(|v| {
                    v.ev.source == SourceKind::Server && (200..300).contains(&v.ev.status)
                });
                if done.is_some() {
                    done_after_all += 1;
                }
                if evidence.len() >= super::MAX_EVIDENCE {
                    continue;
                }
                let mut e = Evidence::from_event(&speaker)
                    .field("operation", speaker.operation())
                    .field("resource", speaker.resource())
                    .field(
                        "what",
                        match kind {
                            Kind::Timeout => "the client stopped waiting",
                            Kind::Connection => "the connection failed or was closed",
                        },
                    );
                if let Some(d) = client.and_then(|(_, c)| c.extra(Field::Detail)) {
                    e = e.field("client_detail", d);
                }
                if let Some(s) = done {
                    e = e.field("service_status", s.ev.status.to_string());
                }
                if speaker.ev.e2e_ms.is_finite() {
                    e = e.field("e2e_ms", format!("{}", speaker.ev.e2e_ms));
                }
                evidence.push(e);
            }
        }
        if speakers.is_empty() {
            return Vec::new();
        }
        let n = speakers.len();
        let their = if n == 1 { "its" } else { "their" };
        let what = match (timeouts, connections) {
            (_, 0) => "timed out on the client side".to_string(),
            (0, _) => format!("lost {their} connection"),
            _ => format!("timed out on the client side or lost {their} connection"),
        };
        let title = format!("{n} request{} {what}", if n == 1 { "" } else { "s" });
        let done_note = if done_after_all > 0 {
            format!(
                " For {done_after_all} of them the server log shows the service completed the \
                 work anyway: the client only missed the answer, so a retry may find the job \
                 already done."
            )
        } else {
            String::new()
        };
        let explanation = format!(
            "A client timeout means the caller stopped waiting before the answer arrived (its \
             timeout was shorter than the operation took); a network error means the connection \
             closed before the answer was delivered, most often because the client disconnected. \
             In both cases the storage service was not the part that failed.{done_note}"
        );
        let conf = if server_rows == n {
            confidence(Level::High, "")
        } else {
            confidence(
                Level::Medium,
                "Add the server-side log for the same period: ClientTimeoutError and \
                 NetworkError rows for these client request ids would confirm what the service \
                 saw.",
            )
        };
        let svcs = services(cx, &evidence);
        vec![finding(
            self.id(),
            self.default_severity(),
            title,
            explanation,
            &[
                "Compare the client's timeouts (the SDK's per-attempt network timeout, the \
                 timeout= URL parameter) with how long these operations really take, and raise \
                 them for large transfers.",
                "Check the client machine: CPU, memory, thread-pool starvation and the limit on \
                 concurrent connections (ServicePointManager.DefaultConnectionLimit on .NET \
                 Framework) all delay reading responses.",
                "Check the network path: proxies, firewalls and NAT devices that close idle or \
                 long connections, VPN links, DNS resolution.",
                "Make retried operations safe to repeat, because the service may already have \
                 done the work the client gave up on.",
            ],
            conf,
            evidence,
            Some(Seen::of(cx, &speakers)),
            |a, b| {
                Kql::from(&svcs, a, b)
                    .pipe(
                        "where MetricResponseType in (\"ClientTimeoutError\", \"NetworkError\") or \
                         StatusText has_any (\"ClientTimeoutError\", \"NetworkError\")",
                    )
                    .pipe(
                        "project TimeGenerated, OperationName, MetricResponseType, StatusCode, \
                         DurationMs, ServerLatencyMs, CallerIpAddress, ClientRequestId, \
                         CorrelationId, Uri",
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
    fn server_rows_and_client_exceptions() {
        let mut b = Builder::new();
        let s = b.input("blob.log");
        let mut ev = server(0.0, "GetBlob", "/acct/c/big.bin", 500, "", "", "r1");
        ev.response_type = ResponseType::ClientTimeoutError;
        b.push(s, ev);
        let mut ev = server(5.0, "GetBlob", "/acct/c/big.bin", 200, "", "", "r2");
        ev.response_type = ResponseType::NetworkError;
        b.push(s, ev);
        let fs = b.run(&ClientTimeoutOrNetwork);
        let f = only(&fs, "client-timeout-or-network");
        assert_complete(f);
        assert_eq!(f.severity, Severity::Warning);
        assert_eq!(f.count, 2);
        assert_eq!(f.confidence.level, Level::High);
        assert!(f
            .title
            .contains("timed out on the client side or lost their connection"));
    }

    #[test]
    fn a_client_timeout_on_work_the_service_completed() {
        let mut b = Builder::new();
        let s = b.input("blob.log");
        let c = b.input("app.log");
        let crid = "aaaaaaaa-0000-4000-8000-000000000001";
        b.push(
            s,
            server(0.0, "DeleteBlob", "/acct/c/b", 202, "", crid, "r1"),
        );
        let ev = client(
            0.0,
            Method::Delete,
            "https://acct.blob.core.windows.net/c/b",
            0,
            crid,
            "",
        );
        b.push(
            c,
            with(
                ev,
                Field::Detail,
                "The client could not finish the operation within specified timeout.",
            ),
        );
        let fs = b.run(&ClientTimeoutOrNetwork);
        let f = only(&fs, "client-timeout-or-network");
        assert_eq!(f.count, 1);
        assert_eq!(f.evidence[0].fields["service_status"], "202");
        assert!(f.explanation.contains("completed the work anyway"));
        assert_eq!(f.confidence.level, Level::Medium);
    }

    #[test]
    fn answered_requests_and_cors_blocks_are_not_network_failures() {
        let mut b = Builder::new();
        let c = b.input("app.log");
        let url = "https://acct.blob.core.windows.net/c/b";
        let ev = client(0.0, Method::Get, url, 404, "", "");
        b.push(c, with(ev, Field::Detail, "timeout while reading body")); // a response came back
        let mut ev = client(1.0, Method::Get, url, 0, "", "");
        ev.source = SourceKind::Network;
        let ev = with(
            ev,
            Field::CorsFailure,
            "No 'Access-Control-Allow-Origin' header",
        );
        b.push(c, with(ev, Field::Detail, "net::ERR_FAILED"));
        assert!(b.run(&ClientTimeoutOrNetwork).is_empty());
    }
}
