//! `clock-skew`: the calling machine's clock is far off, so the service rejects the date its
//! Shared Key or OAuth requests carry ("Request date header too old"). The service accepts a
//! request dated at most 15 minutes before its own time.

use super::auth_common as ac;
use super::{Context, Evidence, Finding, Level, Rule, Severity};
use crate::knowledge::auth_failure::{
    classify, human_duration, is_forbidden, response_date, service_time, Problem,
};
use crate::model::{EventView, Field, Timestamp};

pub struct ClockSkew;

/// The window the service allows between a request's date and its own time.
const MAX_AGE_SECS: f64 = 15.0 * 60.0;

struct Row {
    evidence: Evidence,
    /// Request date minus service time (negative: the client's clock is behind).
    skew: Option<f64>,
    stated: bool,
}

fn request_date(v: &EventView<'_>) -> Option<Timestamp> {
    if let Some(d) = v.extra(Field::RequestDate).and_then(Timestamp::parse) {
        return Some(d);
    }
    let s = v.extra(Field::StringToSign)?;
    let rest = s.get(s.find("x-ms-date:")? + "x-ms-date:".len()..)?;
    let end = rest.find(" GMT").map_or(rest.len(), |e| e + 4);
    Timestamp::parse(&rest[..end])
}

fn judge(v: &EventView<'_>) -> Option<Row> {
    let problem = classify(v);
    // Neither the service's words nor a refusal: nothing to judge (most rows of a log; the
    // dates below are searched for only after this).
    if !matches!(problem, Some(Problem::DateTooOld(_))) && !is_forbidden(v) {
        return None;
    }
    let service = service_time(v).or_else(|| response_date(v));
    match &problem {
        Some(Problem::DateTooOld(quoted)) => {
            let sent = quoted.or_else(|| request_date(v));
            let skew = sent.zip(service).map(|(a, b)| a.seconds_since(b));
            let mut e = ac::evidence(v, problem.as_ref());
            if let Some(s) = sent {
                e = e.field("request_date", s.to_http_date());
            }
            if let Some(t) = service {
                e = e.field("service_time", t.to_string());
            }
            if let Some(k) = skew {
                e = e.field("client_clock", describe(k));
            }
            Some(Row {
                evidence: e,
                skew,
                stated: true,
            })
        }
        // Without the service's words: a refused Shared Key or OAuth request whose date and the
        // response's Date are further apart than the service allows.
        Some(Problem::AuthenticationFailed) | None if is_forbidden(v) && v.sas().is_none() => {
            let sent = request_date(v)?;
            let svc = service?;
            let k = sent.seconds_since(svc);
            if k.abs() < MAX_AGE_SECS {
                return None;
            }
            Some(Row {
                evidence: ac::evidence(v, problem.as_ref())
                    .field("request_date", sent.to_http_date())
                    .field("service_time", svc.to_string())
                    .field("client_clock", describe(k)),
                skew: Some(k),
                stated: false,
            })
        }
        _ => None,
    }
}

fn describe(skew: f64) -> String {
    if skew < 0.0 {
        format!("{} behind the service", human_duration(skew))
    } else {
        format!("{} ahead of the service", human_duration(skew))
    }
}

impl Rule for ClockSkew {
    fn id(&self) -> &'static str {
        "clock-skew"
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
        let stated = rows.iter().any(|r| r.stated);
        let mut skews: Vec<f64> = rows.iter().filter_map(|r| r.skew).collect();
        skews.sort_by(|a, b| a.total_cmp(b));
        let median = skews.get(skews.len() / 2).copied();
        let title = match median {
            Some(k) => format!(
                "The client's clock is {}: {} {} refused as too old",
                describe(k),
                ac::requests(n),
                ac::were(n)
            ),
            None => format!(
                "{} {} refused because the request date was too old: the client's clock is off",
                ac::requests(n),
                ac::were(n)
            ),
        };
        let explanation = format!(
            "Every Shared Key and OAuth request carries the time it was made (x-ms-date, or \
             Date), and the service refuses a request dated more than 15 minutes before its own \
             time with 403 AuthenticationFailed ('Request date header too old'). The date comes \
             from the calling machine's clock{}, so a clock that is wrong makes every request \
             fail, whatever the key or token. Virtual machines resumed from a pause, containers \
             and devices without time synchronisation, and machines whose time zone was changed \
             by hand are the usual cases. Requests authorized by a SAS do not carry this check, \
             but their start and expiry are judged against the same service clock.",
            match median {
                Some(k) => format!(", which here is {}", describe(k)),
                None => String::new(),
            }
        );
        let fix = vec![
            "Synchronise the clock of the machine that sends the requests: enable NTP \
             (Windows: w32tm /resync; Linux: timedatectl set-ntp true or chrony), and on VMs and \
             containers the host's time sync."
                .to_string(),
            "Make sure the date is produced in UTC and written as GMT; a local time labelled \
             GMT shifts the request by the time-zone offset."
                .to_string(),
            "Do not sign a request once and send it later (queues, offline devices, retries \
             that reuse the signed request): sign it right before it is sent."
                .to_string(),
        ];
        vec![ac::finding(
            self.id(),
            self.default_severity(),
            title,
            explanation,
            fix,
            ac::confidence(
                if stated { Level::High } else { Level::Medium },
                "The service's own reason is not in this log; the dates of the request and of \
                 the response are. The error body's AuthenticationErrorDetail ('Request date \
                 header too old') confirms it.",
            ),
            rows.into_iter().map(|r| r.evidence).collect(),
        )]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{AuthKind, EventSink, RawEvent};
    use crate::rules::auth_common::testkit::*;

    #[test]
    fn stated_by_the_service() {
        let ds = dataset(vec![RawEvent {
            time: t("2020-01-31T12:28:37Z"),
            status: 403,
            error_code: "AuthenticationFailed".into(),
            auth: AuthKind::SharedKey,
            url: "https://acct.queue.core.windows.net/?comp=properties&restype=service".into(),
            ..Default::default()
        }
        .with(
            Field::Detail,
            "Server failed to authenticate the request. Make sure the value of Authorization header is formed correctly including the signature.\nRequestId:cba2935f-1003-006f-071d-db55f6000000\nTime:2020-02-04T05:38:45.4268197Z\nRequest date header too old: 'Fri, 31 Jan 2020 12:28:37 GMT'",
        )]);
        let f = run(&ClockSkew, &ds);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].confidence.level, Level::High);
        assert_eq!(
            f[0].evidence[0].fields["client_clock"],
            "3 days behind the service"
        );
        assert!(f[0].title.contains("3 days behind"), "{}", f[0].title);
    }

    #[test]
    fn from_request_and_response_dates() {
        let mut ds = crate::model::Dataset::new();
        let i = ds.add_input("sdk.log", "python-azure-core", 1.0);
        ds.sink(i).event(
            RawEvent {
                time: t("2024-03-05T09:30:00Z"),
                status: 403,
                auth: AuthKind::SharedKey,
                ..Default::default()
            }
            .with(Field::RequestDate, "Tue, 05 Mar 2024 09:30:00 GMT")
            .with(Field::ResponseDate, "Tue, 05 Mar 2024 10:02:00 GMT"),
        );
        ds.finish();
        let f = run(&ClockSkew, &ds);
        assert_eq!(f[0].confidence.level, Level::Medium);
        assert_eq!(
            f[0].evidence[0].fields["client_clock"],
            "32 min behind the service"
        );
    }

    #[test]
    fn quiet_when_dates_agree_or_request_succeeded() {
        let ok = RawEvent {
            status: 200,
            auth: AuthKind::SharedKey,
            ..Default::default()
        }
        .with(Field::RequestDate, "Tue, 05 Mar 2024 09:30:00 GMT")
        .with(Field::ResponseDate, "Tue, 05 Mar 2024 10:02:00 GMT");
        let close = RawEvent {
            status: 403,
            auth: AuthKind::SharedKey,
            ..Default::default()
        }
        .with(Field::RequestDate, "Tue, 05 Mar 2024 10:00:00 GMT")
        .with(Field::ResponseDate, "Tue, 05 Mar 2024 10:02:00 GMT");
        assert!(run(&ClockSkew, &dataset(vec![ok, close])).is_empty());
    }
}
