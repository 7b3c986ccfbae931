//! `container-missing`: requests needed a container (queue, table, share) that did not exist,
//! and nothing in the logs deleted it or raced its creation.

use super::ops_common::{
    confidence, container_key, container_word, finding, parent_missing, race_for, services,
    short_name, time, History, Seen,
};
use super::{Context, Evidence, Finding, Level, Rule, Severity};
use crate::knowledge::expected::expected_kind;
use crate::model::{SourceKind, Timestamp};
use crate::report::kql::{list, Kql, CONTAINER_OF_OBJECT_KEY};

pub struct ContainerMissing;

/// One missing container and what the logs say about it.
struct Missing {
    key: String,
    word: &'static str,
    /// Evidence rows, at most [`super::MAX_EVIDENCE`].
    failures: Vec<Evidence>,
    /// Every failing request.
    events: Vec<usize>,
    explicit: bool,
    created_before: Option<Timestamp>,
    created_after: Option<(Timestamp, String)>,
}

impl Rule for ContainerMissing {
    fn id(&self) -> &'static str {
        "container-missing"
    }
    fn default_severity(&self) -> Severity {
        Severity::Error
    }
    fn run(&self, cx: &Context<'_>) -> Vec<Finding> {
        let activity = cx.activity();
        let history = cx.history();
        let mut missing: Vec<Missing> = Vec::new();
        for (r, i) in cx.unsuccessful_primaries() {
            let v = cx.ds.view(i);
            if expected_kind(&v).is_some() {
                continue;
            }
            let Some(pm) = parent_missing(&v) else {
                continue;
            };
            let Some(t) = time(cx, i) else { continue };
            if race_for(cx, activity, i).is_some() {
                continue;
            }
            // A delete seen earlier (by anyone but this request) is `deleted-earlier`'s case.
            let key = v.resource().trim_end_matches('/').to_string();
            let deleted = [key.as_str(), pm.key.as_str()].iter().any(|k| {
                History::last_before(&history.deletes, k, t)
                    .is_some_and(|(_, d)| cx.correlation.request_of.get(*d).copied() != Some(r))
            });
            if deleted {
                continue;
            }
            let created_before = History::last_before(&history.creates, &pm.key, t).map(|x| x.0);
            let created_after = history.creates.get(&pm.key).and_then(|v| {
                v.iter()
                    .find(|(tc, _)| *tc > t)
                    .map(|(tc, c)| (*tc, cx.ds.view(*c).client_request_id().into_owned()))
            });
            let mut e = Evidence::from_event(&v)
                .field("operation", v.operation())
                .field("missing", pm.key.as_str());
            if !pm.explicit {
                e = e.field(
                    "error_code",
                    "not logged (a 404 on a write can only be the container)",
                );
            }
            let m = match missing.iter_mut().find(|m| m.key == pm.key) {
                Some(m) => m,
                None => {
                    missing.push(Missing {
                        key: pm.key.clone(),
                        word: container_word(v.ev.service),
                        failures: Vec::new(),
                        events: Vec::new(),
                        explicit: false,
                        created_before: None,
                        created_after: None,
                    });
                    missing.last_mut().expect("just pushed")
                }
            };
            m.events.push(i);
            if m.failures.len() < super::MAX_EVIDENCE {
                m.failures.push(e);
            }
            m.explicit |= pm.explicit;
            m.created_before = m.created_before.or(created_before);
            if m.created_after.is_none() {
                m.created_after = created_after;
            }
        }
        let has_server = cx.ds.sources().contains(SourceKind::Server);
        missing
            .into_iter()
            .map(|m| self.report(cx, m, has_server))
            .collect()
    }
}

impl ContainerMissing {
    fn report(&self, cx: &Context<'_>, m: Missing, has_server: bool) -> Finding {
        let name = short_name(&m.key).to_string();
        let word = m.word;
        let n = m.events.len();
        let account = container_key(&m.key)
            .and_then(|k| k.split('/').nth(1).map(str::to_string))
            .unwrap_or_default();
        let cap = match word {
            "queue" => "Queue",
            "table" => "Table",
            "share" => "File share",
            _ => "Container",
        };
        let title = format!(
            "{cap} '{name}' does not exist ({n} request{} failed with 404)",
            if n == 1 { "" } else { "s" }
        );
        let history = match (&m.created_before, &m.created_after) {
            (_, Some((t, crid))) => format!(
                " A request created it later, at {t} (client request id {crid}): the failing \
                 requests ran before it existed."
            ),
            (Some(t), None) => format!(
                " It was created at {t}, and nothing in these logs deleted it afterwards: \
                 something outside these logs removed it, or the failing requests address a \
                 slightly different name or account."
            ),
            (None, None) => " Nothing in these logs created it.".to_string(),
        };
        let explanation = format!(
            "Requests addressed {word} '{name}' in account '{account}', and the service answered \
             that it does not exist. A blob, message, entity or file can only be written into an \
             existing {word}; the service does not create it on demand.{history}"
        );
        // Created on demand afterwards: the failure was real but the application recovers.
        let severity = if !m.explicit || m.created_after.is_some() {
            Severity::Warning
        } else {
            self.default_severity()
        };
        let conf = if m.explicit && has_server {
            confidence(Level::High, "")
        } else if m.explicit {
            confidence(
                Level::Medium,
                "Add the server-side log for this period: it would show whether any caller \
                 created or deleted this name.",
            )
        } else {
            confidence(
                Level::Low,
                "The error code is not in this log; a 404 on a write can also come from a SAS \
                 lacking a permission (SAS versions before 2015-04-05). The server-side log or \
                 the response body (ContainerNotFound, QueueNotFound…) would settle it.",
            )
        };
        let evidence = m.failures;
        let svcs = services(cx, &evidence);
        let (code, create) = match word {
            "queue" => ("QueueNotFound", "CreateQueue"),
            "table" => ("TableNotFound", "CreateTable"),
            "share" => ("ShareNotFound", "CreateShare"),
            _ => ("ContainerNotFound", "CreateContainer"),
        };
        let delete = create.replacen("Create", "Delete", 1);
        finding(
            self.id(),
            severity,
            title,
            explanation,
            &[
                "Check the name and the account in the failing URLs against the ones that exist \
                 (names are lower case for containers, queues and shares; a connection string \
                 pointing at another account or at the emulator is a common cause).",
                "Create the container (queue, table, share) before the application uses it: at \
                 deployment, or once at start-up with CreateIfNotExists.",
                "If it existed before, find who removed it: the server-side log records every \
                 delete with the caller's address and identity.",
            ],
            conf,
            evidence,
            Some(Seen::of(cx, &m.events)),
            |a, b| {
                Kql::from(&svcs, a, b)
                    .pipe(format!(
                        "where StatusText == \"{code}\" or OperationName in {}",
                        list(&[create, delete.as_str()])
                    ))
                    .pipe(format!("extend Container = {CONTAINER_OF_OBJECT_KEY}"))
                    .pipe(format!(
                        "summarize Failures = countif(StatusText == \"{code}\"), FirstFailure = \
                         minif(TimeGenerated, StatusText == \"{code}\"), Creates = \
                         countif(OperationName == \"{create}\" and StatusCode startswith \"2\"), \
                         Deletes = countif(OperationName == \"{delete}\" and StatusCode startswith \
                         \"2\"), Callers = make_set(CallerIpAddress, 20) by Container"
                    ))
                    .pipe("where Failures > 0")
                    .pipe("order by Failures desc")
                    .build()
            },
        )
    }
}

#[cfg(test)]
#[path = "container_missing_tests.rs"]
mod tests;
