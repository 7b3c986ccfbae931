//! `sas-not-yet-valid`: the SAS start (`st`) was still in the future on the service's clock when
//! the request arrived. Either the clock of the machine that issued the token runs ahead of the
//! service's, or `st` was set to "now" and the service's clock was a little behind, or a local
//! time was written where UTC belongs.

use super::auth_common as ac;
use super::{Context, Evidence, Finding, Level, Rule, Severity};
use crate::knowledge::auth_failure::{classify, human_duration, is_forbidden, Problem};
use crate::knowledge::sas_eval::{evaluate, Verdict, SKEW_ALLOWANCE_SECS};
use crate::model::EventView;

pub struct SasNotYetValid;

/// How sure one row is.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Strength {
    /// Only that `st` lies within minutes of the request time (client clock) and the request
    /// failed: the classic flake of a token whose start is "now".
    Close,
    /// The client's clock puts the request well before `st`.
    ClientClock,
    /// The service quoted its own time, before the start.
    Service,
}

fn judge(cx: &Context<'_>, v: &EventView<'_>) -> Option<(Evidence, Strength, f64)> {
    let problem = classify(v);
    if let Some(Problem::TimeFrame(tf)) = &problem {
        let (Some(c), Some(s)) = (tf.current, tf.start) else {
            return None;
        };
        if tf.expiry_before_start || c >= s {
            return None;
        }
        let early = s.seconds_since(c);
        let mut e = ac::evidence(v, problem.as_ref())
            .field("st", s.to_string())
            .field("service_time", c.to_string())
            .field("early_by", human_duration(early));
        if let Some(x) = tf.expiry {
            e = e.field("se", x.to_string());
        }
        return Some((e, Strength::Service, early));
    }
    // Without the service's text: only a plain authentication failure (or a bare 403 whose
    // body the log does not show) can be a time-window failure.
    if !is_forbidden(v) || !matches!(problem, None | Some(Problem::AuthenticationFailed)) {
        return None;
    }
    let token = v.sas()?;
    let start = token.start()?;
    let req = ac::sas_request(cx, v);
    let now = req.time?;
    if token.expiry().is_some_and(|x| now >= x) {
        return None; // expired: sas-expired explains it
    }
    // Something else in the token that surely fails explains the 403 better.
    let checks = evaluate(token, &req);
    let other = checks
        .iter()
        .any(|c| c.verdict == Verdict::Fails && !matches!(c.field, "st" | "se" | "kind" | "sig"));
    if other {
        return None;
    }
    let early = start.seconds_since(now);
    let strength = if req.time_from_service && early > 0.0 {
        Strength::Service
    } else if early > SKEW_ALLOWANCE_SECS {
        Strength::ClientClock
    } else if early.abs() <= SKEW_ALLOWANCE_SECS {
        Strength::Close
    } else {
        return None;
    };
    let mut e = ac::with_token(ac::evidence(v, problem.as_ref()), token)
        .field("request_time", now.to_string());
    e = if early > 0.0 {
        e.field("early_by", human_duration(early))
    } else {
        e.field("started_before_request", human_duration(-early))
    };
    Some((e, strength, early.max(0.0)))
}

/// A start that is off by whole hours (or half hours) is a local time written as UTC.
fn looks_like_time_zone(early_secs: f64) -> bool {
    let half_hours = early_secs / 1800.0;
    early_secs >= 1800.0 && (half_hours - half_hours.round()).abs() * 1800.0 <= 120.0
}

impl Rule for SasNotYetValid {
    fn id(&self) -> &'static str {
        "sas-not-yet-valid"
    }
    fn default_severity(&self) -> Severity {
        Severity::Error
    }
    fn run(&self, cx: &Context<'_>) -> Vec<Finding> {
        let mut rows = Vec::new();
        for v in cx.auth_failures() {
            if let Some(r) = judge(cx, &v) {
                rows.push(r);
            }
        }
        if rows.is_empty() {
            return Vec::new();
        }
        let best = rows.iter().map(|r| r.1).max().unwrap_or(Strength::Close);
        let worst_early = rows.iter().map(|r| r.2).fold(0.0, f64::max);
        let n = rows.len();
        let tz = looks_like_time_zone(worst_early);
        let evidence: Vec<Evidence> = rows.into_iter().map(|r| r.0).collect();
        let title = match best {
            Strength::Close => format!(
                "{} failed with a SAS whose start time is the moment of the request",
                ac::requests(n)
            ),
            _ => format!(
                "{} used a SAS before its start time (st) — up to {} too early",
                ac::requests(n),
                human_duration(worst_early)
            ),
        };
        let cause = if tz {
            format!(
                " The gap is a whole number of hours ({}), which is what a local time written as \
                 if it were UTC produces.",
                human_duration(worst_early)
            )
        } else if worst_early <= SKEW_ALLOWANCE_SECS {
            " The gap is small: the token was most likely issued with st set to the current time \
             on a machine whose clock is a little ahead of the service's, so requests made \
             immediately fail now and then and succeed when retried."
                .to_string()
        } else {
            " A gap of this size means the clock of the machine that issued the token runs ahead, \
             or the start time was computed wrongly."
                .to_string()
        };
        let explanation = format!(
            "A shared access signature is only accepted from its start time (st) on, and the \
             service judges that by its own clock. {}{cause} The service refuses such requests \
             with 403 AuthenticationFailed, usually without a server-side log row, so the client \
             side is where this shows.",
            match best {
                Strength::Service =>
                    "Here the service's own time, quoted in its error message, was before st.",
                Strength::ClientClock =>
                    "Here the request left the client before st, by the client's own clock.",
                Strength::Close =>
                    "Here st lies within a few minutes of when the request was sent, and the \
                     request was refused.",
            }
        );
        let mut fix = vec![
            "Leave st out of tokens that are used at once (the token is then valid from the \
             moment the service receives it), or set it at least 15 minutes in the past."
                .to_string(),
            "Compute st and se in UTC (DateTime.UtcNow, new Date().toISOString(), \
             datetime.now(timezone.utc)) and write them with a Z."
                .to_string(),
            "Synchronise the clock of the machine that issues the tokens (NTP), and check the \
             application's clock on containers and VMs."
                .to_string(),
        ];
        if tz {
            fix.insert(
                0,
                "Find where the token's start time is built: it is a local time labelled as UTC; \
                 convert it to UTC."
                    .to_string(),
            );
        }
        let (level, severity) = match best {
            Strength::Service => (Level::High, Severity::Error),
            Strength::ClientClock => (Level::Medium, Severity::Error),
            Strength::Close => (Level::Low, Severity::Warning),
        };
        vec![ac::finding(
            self.id(),
            severity,
            title,
            explanation,
            fix,
            ac::confidence(
                level,
                "The verdict rests on the client's clock. The error response's \
                 AuthenticationErrorDetail ('Signature not valid in the specified time frame … \
                 Current […]') states the service's time and settles it; capture it with a HAR \
                 or the SDK's error output.",
            ),
            evidence,
        )]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Field, RawEvent};
    use crate::rules::auth_common::testkit::*;

    const URL: &str = "https://acct.blob.core.windows.net/c/b.txt?sv=2020-08-04&sr=b&sp=r&st=2024-03-05T10:00:00Z&se=2024-03-05T11:00:00Z&sig=c2ln";

    #[test]
    fn service_time_before_start_is_an_error() {
        let ds = dataset(vec![RawEvent {
            time: t("2024-03-05T09:58:00Z"),
            status: 403,
            url: URL.into(),
            error_code: "AuthenticationFailed".into(),
            ..Default::default()
        }
        .with(
            Field::Detail,
            "Signature not valid in the specified time frame: Start [Tue, 05 Mar 2024 10:00:00 GMT] - Expiry [Tue, 05 Mar 2024 11:00:00 GMT] - Current [Tue, 05 Mar 2024 09:58:30 GMT]",
        )]);
        let f = run(&SasNotYetValid, &ds);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].severity, Severity::Error);
        assert_eq!(f[0].confidence.level, Level::High);
        assert_eq!(f[0].evidence[0].fields["early_by"], "90 s");
        assert_eq!(f[0].evidence[0].error_code, "AuthenticationFailed");
    }

    #[test]
    fn local_time_as_utc_is_named() {
        let ds = dataset(vec![RawEvent {
            time: t("2024-03-05T07:00:10Z"),
            status: 403,
            url: URL.into(),
            ..Default::default()
        }]);
        let f = run(&SasNotYetValid, &ds);
        assert_eq!(f[0].confidence.level, Level::Medium);
        assert!(
            f[0].explanation.contains("local time"),
            "{}",
            f[0].explanation
        );
        assert!(f[0].fix[0].contains("local time"));
    }

    #[test]
    fn start_at_request_time_is_a_weak_warning() {
        let ds = dataset(vec![RawEvent {
            time: t("2024-03-05T10:00:01Z"),
            status: 403,
            url: URL.into(),
            ..Default::default()
        }]);
        let f = run(&SasNotYetValid, &ds);
        assert_eq!(f[0].severity, Severity::Warning);
        assert_eq!(f[0].confidence.level, Level::Low);
        assert!(!f[0].confidence.raise_with.is_empty());
    }

    #[test]
    fn quiet_on_success_expiry_and_other_causes() {
        let ok = RawEvent {
            time: t("2024-03-05T09:59:00Z"),
            status: 200,
            url: URL.into(),
            ..Default::default()
        };
        let expired = RawEvent {
            time: t("2024-03-05T12:00:00Z"),
            status: 403,
            url: URL.into(),
            ..Default::default()
        };
        // The token cannot write at all: that, not the start time, explains this 403.
        let put = RawEvent {
            time: t("2024-03-05T10:00:01Z"),
            status: 403,
            method: crate::model::Method::Put,
            operation: "PutBlob".into(),
            url: URL.into(),
            ..Default::default()
        };
        let perm = RawEvent {
            time: t("2024-03-05T09:59:00Z"),
            status: 403,
            url: URL.into(),
            error_code: "AuthorizationPermissionMismatch".into(),
            ..Default::default()
        };
        assert!(run(&SasNotYetValid, &dataset(vec![ok, expired, put, perm])).is_empty());
    }
}
