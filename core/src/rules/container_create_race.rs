//! `container-create-race`: a write into a container failed with 404 while another request of the
//! same application was still checking for or creating that container (asynchronous calls not
//! awaited in order).

use super::ops_common::{
    confidence, container_word, finding, human_secs, parent_missing, race_for, services,
    short_name, span, time, History, Seen,
};
use super::{Context, Evidence, Finding, Level, Rule, Severity};
use crate::knowledge::expected::expected_kind;
use crate::report::kql::{list, Kql, CONTAINER_OF_OBJECT_KEY};

pub struct ContainerCreateRace;

impl Rule for ContainerCreateRace {
    fn id(&self) -> &'static str {
        "container-create-race"
    }
    fn default_severity(&self) -> Severity {
        Severity::Error
    }
    fn run(&self, cx: &Context<'_>) -> Vec<Finding> {
        let activity = cx.activity();
        let history = cx.history();
        let mut evidence = Vec::new();
        let mut writes: Vec<usize> = Vec::new();
        let mut cited: Vec<usize> = Vec::new();
        let mut all_explicit = true;
        let mut containers: Vec<String> = Vec::new();
        let mut create_statuses: Vec<u16> = Vec::new();
        let mut deleted_just_before: Option<(String, String)> = None;
        let mut word = "container";
        for (_, w) in cx.unsuccessful_primaries() {
            let v = cx.ds.view(w);
            if expected_kind(&v).is_some() {
                continue;
            }
            let Some(pm) = parent_missing(&v) else {
                continue;
            };
            let Some(race) = race_for(cx, activity, w) else {
                continue;
            };
            all_explicit &= pm.explicit;
            word = container_word(v.ev.service);
            let cv = cx.ds.view(race.create);
            // The logs' own times (the comparison used clock-corrected ones).
            let shift = |i: usize| {
                let raw = cx.ds.events[i].time();
                match (raw, time(cx, i)) {
                    (Some(r), Some(c)) => r.seconds_since(c),
                    _ => 0.0,
                }
            };
            let (ws, _) = span(cx, w).unwrap_or_default();
            let (cs, ce) = span(cx, race.create).unwrap_or_default();
            let (ws, cs, ce) = (
                ws.add_seconds(shift(w)),
                cs.add_seconds(shift(race.create)),
                ce.add_seconds(shift(race.create)),
            );
            let mut e = Evidence::from_event(&v)
                .field("operation", v.operation())
                .field("container", pm.key.as_str())
                .field("create_client_request_id", cv.client_request_id())
                .field("create_operation", cv.operation())
                .field("create_status", cv.ev.status.to_string())
                .field("create_sent", cs.to_string())
                .field("create_answered", ce.to_string())
                .field("write_sent", ws.to_string());
            if !pm.explicit {
                e = e.field(
                    "error_code",
                    "not logged (a 404 on a write can only be the container)",
                );
            }
            writes.push(w);
            if evidence.len() < super::MAX_EVIDENCE {
                evidence.push(e);
            }
            if !containers.contains(&pm.key) {
                containers.push(pm.key.clone());
            }
            create_statuses.push(cv.ev.status);
            for c in std::iter::once(race.create).chain(race.probe) {
                if !cited.contains(&c) {
                    cited.push(c);
                }
            }
            // Did the same application delete the container just before? Then the name was
            // still being deleted, which is why the create could not succeed either.
            let first = race.probe.unwrap_or(race.create);
            if let Some(t) = time(cx, first) {
                if let Some(&(td, d)) = History::last_before(&history.deletes, &pm.key, t) {
                    if t.seconds_since(td) < 600.0 && deleted_just_before.is_none() {
                        deleted_just_before = Some((
                            human_secs(t.seconds_since(td)),
                            cx.ds.view(d).client_request_id().into_owned(),
                        ));
                    }
                }
            }
        }
        if evidence.is_empty() {
            return Vec::new();
        }
        let n = writes.len();
        evidence.truncate(super::MAX_EVIDENCE - cited.len().min(10));
        for c in cited.iter().take(10) {
            let cv = cx.ds.view(*c);
            evidence.push(
                Evidence::from_event(&cv)
                    .field("role", "the container request in flight")
                    .field("operation", cv.operation()),
            );
        }
        let names: Vec<&str> = containers.iter().map(|k| short_name(k)).collect();
        let title = if n == 1 {
            format!(
                "A write into {word} '{}' was sent before the request creating it had finished",
                names[0]
            )
        } else {
            format!(
                "{n} writes were sent before the request creating their {word} had finished ({})",
                names.join(", ")
            )
        };
        let outcome = if create_statuses.iter().all(|s| *s == 409) {
            " The create itself then failed with 409."
        } else if create_statuses.iter().all(|s| (200..300).contains(s)) {
            " The create succeeded moments later, so a retry of the write would have worked."
        } else {
            ""
        };
        let deleted = match &deleted_just_before {
            Some((gap, crid)) => format!(
                " The {word} had been deleted {gap} earlier (client request id {crid}); while a \
                 deletion is in progress the name cannot be created again, which is why the \
                 create answered 409."
            ),
            None => String::new(),
        };
        let explanation = format!(
            "The client log shows the operations interleaving: one request was still checking \
             whether the {word} existed or creating it when a different request (another client \
             request id) wrote into it. The service had no such {word} yet when the write \
             arrived, so it answered 404. This happens when the create and the writes are \
             started asynchronously and not awaited in order.{outcome}{deleted}"
        );
        let conf = if all_explicit {
            confidence(Level::High, "")
        } else {
            confidence(
                Level::Medium,
                "The 404's error code is not in this log. The server-side log (StorageBlobLogs / \
                 $logs) or the response body would show ContainerNotFound and confirm it.",
            )
        };
        let svcs = services(cx, &evidence);
        let (missing, creates, probes) = match word {
            "queue" => ("QueueNotFound", "CreateQueue", "GetQueueMetadata"),
            "table" => ("TableNotFound", "CreateTable", "QueryTables"),
            "share" => ("ShareNotFound", "CreateShare", "GetShareProperties"),
            _ => (
                "ContainerNotFound",
                "CreateContainer",
                "GetContainerProperties",
            ),
        };
        let f = finding(
            self.id(),
            self.default_severity(),
            title,
            explanation,
            &[
                "Await the create (CreateIfNotExists) before starting any upload into the \
                 container; do not start both as independent tasks.",
                "Better, create containers (queues, tables, shares) ahead of time, at deployment or \
                 once at application start, instead of on the upload path.",
                "If several workers may create the same container, let one initialization step do \
                 it and make the others wait for it.",
                "Avoid deleting and re-creating the same container name at run time: a deleted name \
                 stays unavailable for a while.",
            ],
            conf,
            evidence,
            Some(Seen::of(cx, &writes)),
            |a, b| {
                let failures = Kql::from(&svcs, a, b)
                    .pipe(format!("where StatusCode == \"404\" and StatusText == \"{missing}\""))
                    .pipe(format!("extend Container = {CONTAINER_OF_OBJECT_KEY}"))
                    .pipe(
                        "project FailedAt = TimeGenerated, Container, FailedOperation = \
                         OperationName, FailedClientRequestId = ClientRequestId, CorrelationId",
                    );
                Kql::from(&svcs, a, b)
                    .with("failures", failures)
                    .pipe(format!(
                        "where OperationName in {}",
                        list(&[creates, probes])
                    ))
                    .pipe(format!("extend Container = {CONTAINER_OF_OBJECT_KEY}"))
                    .pipe(
                        "project ContainerRequestAt = TimeGenerated, Container, \
                         ContainerOperation = OperationName, ContainerStatus = StatusCode, \
                         ContainerClientRequestId = ClientRequestId",
                    )
                    .pipe("join kind=inner failures on Container")
                    .pipe(
                        "where ContainerClientRequestId != FailedClientRequestId and \
                         abs(datetime_diff('millisecond', ContainerRequestAt, FailedAt)) < 5000",
                    )
                    .pipe("order by FailedAt asc, ContainerRequestAt asc")
                    .build()
            },
        );
        vec![f]
    }
}

#[cfg(test)]
#[path = "container_create_race_tests.rs"]
mod tests;
