//! `sas-short-lifetime` (advisory): a SAS valid for so short a time that ordinary clock
//! differences, queueing and retries push requests outside its window. Reported only for tokens
//! whose requests actually failed at the edges of the window.

use std::collections::BTreeMap;

use super::auth_common as ac;
use super::{Context, Evidence, Finding, Level, Rule, Severity};
use crate::knowledge::auth_failure::{classify, human_duration, time_window_failure, WindowSide};
use crate::knowledge::sas_eval::SHORT_LIFETIME_SECS;
use crate::model::Timestamp;

pub struct SasShortLifetime;

impl Rule for SasShortLifetime {
    fn id(&self) -> &'static str {
        "sas-short-lifetime"
    }
    fn default_severity(&self) -> Severity {
        Severity::Warning
    }
    fn run(&self, cx: &Context<'_>) -> Vec<Finding> {
        // Tokens that can be short-lived: a known lifetime under the limit, or no `st` (then
        // the first use bounds it). The token table is small; the rows are not, so rows are
        // gathered only for these.
        let maybe_short: Vec<bool> = cx
            .ds
            .sas
            .iter()
            .map(|t| match (t.start(), t.expiry()) {
                (_, None) => false,
                (Some(s), Some(e)) => {
                    let life = e.seconds_since(s);
                    life > 0.0 && life < SHORT_LIFETIME_SECS
                }
                (None, Some(_)) => true,
            })
            .collect();
        if !maybe_short.contains(&true) {
            return Vec::new();
        }
        // Events per token (index into the dataset's SAS table), in time order.
        let mut by_token: BTreeMap<u32, Vec<usize>> = BTreeMap::new();
        for v in cx.rows_where(|r| r.has(crate::model::Field::Sas)) {
            if let Some(i) = v.sas_index() {
                if maybe_short.get(i as usize) == Some(&true) {
                    by_token.entry(i).or_default().push(v.index);
                }
            }
        }
        let mut evidence: Vec<Evidence> = Vec::new();
        let mut shortest = f64::MAX;
        let mut exact = true;
        let mut by_service = false;
        let mut tokens = 0usize;
        for (tok, events) in &by_token {
            let Some(token) = cx.ds.sas.get(*tok as usize) else {
                continue;
            };
            let Some(expiry) = token.expiry() else {
                continue;
            };
            // The lifetime: se − st; without st, what was left when the token was first used
            // is an upper bound of what the holder had.
            let first_use: Option<Timestamp> =
                events.iter().filter_map(|&i| cx.ds.view(i).time()).min();
            let (lifetime, from_st) = match (token.start(), first_use) {
                (Some(s), _) => (expiry.seconds_since(s), true),
                (None, Some(u)) => (expiry.seconds_since(u), false),
                (None, None) => continue,
            };
            if lifetime <= 0.0 || lifetime >= SHORT_LIFETIME_SECS {
                continue;
            }
            let failures: Vec<(usize, WindowSide, bool)> = events
                .iter()
                .filter_map(|&i| {
                    time_window_failure(&cx.ds.view(i)).map(|(side, svc)| (i, side, svc))
                })
                .collect();
            if failures.is_empty() {
                continue; // advisory: a short token that worked is nobody's problem
            }
            tokens += 1;
            shortest = shortest.min(lifetime);
            exact &= from_st;
            for (i, side, svc) in failures {
                by_service |= svc;
                let v = cx.ds.view(i);
                evidence.push(
                    ac::with_token(ac::evidence(&v, classify(&v).as_ref()), token)
                        .field(
                            if from_st {
                                "lifetime"
                            } else {
                                "lifetime_left_at_first_use"
                            },
                            human_duration(lifetime),
                        )
                        .field(
                            "failed_at",
                            match side {
                                WindowSide::Early => "before st",
                                WindowSide::Late => "after se",
                            },
                        )
                        .field("uses_of_token", events.len().to_string()),
                );
            }
        }
        if evidence.is_empty() {
            return Vec::new();
        }
        let n = evidence.len();
        // Without st the token's lifetime is unknown: what the logs show is how much of it
        // was left at the first use they record, which the lifetime can only exceed.
        let title = if exact {
            format!(
                "A SAS valid for only {} failed {} at the edge of its window",
                human_duration(shortest),
                ac::requests(n)
            )
        } else {
            format!(
                "A SAS with only {} left at its first use in these logs failed {} at the edge of its window",
                human_duration(shortest),
                ac::requests(n)
            )
        };
        let subject = if tokens > 1 {
            "The shortest of these tokens"
        } else {
            "The token"
        };
        let span = if exact {
            format!("was valid for {}", human_duration(shortest))
        } else {
            format!(
                "had {} left when these logs first show it in use (it has no st, so its whole \
                 lifetime is not known; it was at least that long)",
                human_duration(shortest)
            )
        };
        let explanation = format!(
            "{subject} {span}. A window that short leaves no room for what always happens: the \
             clocks of the issuer, the client and the service differ by seconds to minutes, \
             requests wait in queues, uploads take time, and retries come later still. Requests \
             at either end of the window are then refused with 403 although the token was \
             issued correctly. A short lifetime does not cause failures by itself; it turns \
             small clock differences into failures."
        );
        let fix = vec![
            "Give tokens a lifetime that covers the whole operation with its retries plus a \
             margin for clock differences — at least 15 minutes beyond the longest expected \
             use."
                .to_string(),
            "Leave st out (or set it 15 minutes in the past) so that a clock running ahead on \
             the issuer cannot make a fresh token not-yet-valid."
                .to_string(),
            "If short tokens are a security requirement, have the client fetch a new token \
             shortly before the old one expires rather than extending a retry loop past expiry."
                .to_string(),
        ];
        vec![ac::finding(
            self.id(),
            self.default_severity(),
            title,
            explanation,
            fix,
            ac::confidence(
                if by_service && exact {
                    Level::High
                } else {
                    Level::Medium
                },
                "The window edges were judged by the client's clock or without a start time. \
                 The error detail 'Signature not valid in the specified time frame … Current […]' \
                 names the service's time; the token issuer's code shows the intended lifetime.",
            ),
            evidence,
        )]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::RawEvent;
    use crate::rules::auth_common::testkit::*;

    fn ev(time: &str, status: u16, url: &str) -> RawEvent<'static> {
        RawEvent {
            time: t(time),
            status,
            url: url.to_string().into(),
            ..Default::default()
        }
    }

    const SHORT: &str = "https://a.blob.core.windows.net/c/b?sv=2020-08-04&sr=b&sp=r&st=2024-03-05T10:00:00Z&se=2024-03-05T10:05:00Z&sig=c2ln";

    #[test]
    fn short_token_with_late_failures() {
        let ds = dataset(vec![
            ev("2024-03-05T10:01:00Z", 200, SHORT),
            ev("2024-03-05T10:07:00Z", 403, SHORT),
        ]);
        let f = run(&SasShortLifetime, &ds);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].severity, Severity::Warning);
        assert_eq!(f[0].count, 1);
        let e = &f[0].evidence[0];
        assert_eq!(e.fields["lifetime"], "5 min");
        assert_eq!(e.fields["failed_at"], "after se");
        assert_eq!(e.fields["uses_of_token"], "2");
        assert_eq!(e.error_code, "");
    }

    #[test]
    fn advisory_only_with_failures() {
        // Short but every request succeeded: nothing to report.
        let ds = dataset(vec![ev("2024-03-05T10:01:00Z", 200, SHORT)]);
        assert!(run(&SasShortLifetime, &ds).is_empty());
        // Failed, but the token was long-lived: not this rule.
        let long = "https://a.blob.core.windows.net/c/b?sv=2020-08-04&sr=b&sp=r&st=2024-03-05T10:00:00Z&se=2024-03-05T12:00:00Z&sig=c2ln";
        let ds = dataset(vec![ev("2024-03-05T12:30:00Z", 403, long)]);
        assert!(run(&SasShortLifetime, &ds).is_empty());
        // Short, failed, but not at the window's edges (a permission problem).
        let ds = dataset(vec![RawEvent {
            error_code: "AuthorizationPermissionMismatch".into(),
            ..ev("2024-03-05T10:01:00Z", 403, SHORT)
        }]);
        assert!(run(&SasShortLifetime, &ds).is_empty());
    }

    #[test]
    fn without_start_uses_first_use() {
        let no_st = "https://a.blob.core.windows.net/c/b?sv=2020-08-04&sr=b&sp=r&se=2024-03-05T10:05:00Z&sig=c2ln";
        let ds = dataset(vec![
            ev("2024-03-05T10:00:00Z", 200, no_st),
            ev("2024-03-05T10:09:00Z", 403, no_st),
        ]);
        let f = run(&SasShortLifetime, &ds);
        assert_eq!(
            f[0].evidence[0].fields["lifetime_left_at_first_use"],
            "5 min"
        );
        assert_eq!(f[0].confidence.level, Level::Medium);
        // The lifetime itself is unknown without st: the title must not claim it.
        assert!(!f[0].title.contains("valid for"), "{}", f[0].title);
        assert!(
            f[0].title.contains("5 min left at its first use"),
            "{}",
            f[0].title
        );
    }
}
