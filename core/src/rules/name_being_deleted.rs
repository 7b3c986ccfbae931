//! `name-being-deleted`: a container (queue, table, share) was created again under a name whose
//! deletion the service had not finished.

use super::ops_common::{
    confidence, container_word, finding, human_secs, is_container_create, is_container_level,
    services, short_name, time, who, History, Seen,
};
use super::{Context, Evidence, Finding, Level, Rule, Severity};
use crate::report::kql::Kql;

pub struct NameBeingDeleted;

/// How long after a delete a 409 without an error code is still put down to it.
const INFERRED_WINDOW_SECS: f64 = 600.0;
/// How far back a delete is looked for to explain an explicit `…BeingDeleted`.
const EXPLICIT_WINDOW_SECS: f64 = 3600.0;

impl Rule for NameBeingDeleted {
    fn id(&self) -> &'static str {
        "name-being-deleted"
    }
    fn default_severity(&self) -> Severity {
        Severity::Error
    }
    fn run(&self, cx: &Context<'_>) -> Vec<Finding> {
        let history = cx.history();
        let mut evidence = Vec::new();
        let mut failing: Vec<usize> = Vec::new();
        let mut names: Vec<String> = Vec::new();
        let mut gaps: Vec<f64> = Vec::new();
        let mut all_explicit = true;
        let mut word = "container";
        let mut deletes_cited: Vec<usize> = Vec::new();
        for (r, i) in cx.unsuccessful_primaries() {
            let v = cx.ds.view(i);
            if v.ev.status != 409 {
                continue;
            }
            let code = v.error_code();
            // Only requests for the container itself: a write into a container being deleted
            // is answered with the same code but is not a re-create.
            let explicit = code.ends_with("BeingDeleted") && is_container_level(&v);
            let inferred = code.is_empty() && is_container_create(&v);
            if !explicit && !inferred {
                continue;
            }
            let key = v.resource().trim_end_matches('/').to_string();
            let t = time(cx, i);
            let delete = t.and_then(|t| {
                History::last_before(&history.deletes, &key, t)
                    .filter(|(_, d)| cx.correlation.request_of.get(*d).copied() != Some(r))
                    .map(|(td, d)| (t.seconds_since(*td), *d))
            });
            let window = if explicit {
                EXPLICIT_WINDOW_SECS
            } else {
                INFERRED_WINDOW_SECS
            };
            let delete = delete.filter(|(gap, _)| *gap <= window);
            if !explicit && delete.is_none() {
                continue;
            }
            all_explicit &= explicit;
            word = container_word(v.ev.service);
            let mut e = Evidence::from_event(&v)
                .field("operation", v.operation())
                .field("name", key.as_str());
            if !explicit {
                e = e.field(
                    "error_code",
                    "not logged (inferred from the delete just before)",
                );
            }
            if let Some((gap, d)) = delete {
                let dv = cx.ds.view(d);
                gaps.push(gap);
                e = e
                    .field(
                        "deleted_at",
                        dv.time().map(|t| t.to_string()).unwrap_or_default(),
                    )
                    .field("created_again_after", human_secs(gap))
                    .field("delete_logged_at", dv.cite());
                for (n, val) in who(&dv) {
                    e = e.field(&format!("deleted_by_{n}"), val);
                }
                if !deletes_cited.contains(&d) {
                    deletes_cited.push(d);
                }
            }
            if !names.contains(&key) {
                names.push(key);
            }
            failing.push(i);
            if evidence.len() < super::MAX_EVIDENCE {
                evidence.push(e);
            }
        }
        if failing.is_empty() {
            return Vec::new();
        }
        let n = failing.len();
        evidence.truncate(super::MAX_EVIDENCE - deletes_cited.len().min(10));
        for d in deletes_cited.iter().take(10) {
            let dv = cx.ds.view(*d);
            evidence.push(
                Evidence::from_event(&dv)
                    .field("role", "the earlier delete")
                    .field("operation", dv.operation()),
            );
        }
        let shown: Vec<&str> = names.iter().map(|k| short_name(k)).collect();
        let title = if shown.len() == 1 {
            format!(
                "{} '{}' was created again while its deletion was still in progress",
                capital(word),
                shown[0]
            )
        } else {
            format!(
                "{n} creates reused {word} names that were still being deleted ({})",
                shown.join(", ")
            )
        };
        let gap_note = gaps
            .iter()
            .copied()
            .reduce(f64::min)
            .map(|g| format!(" Here the create came {} after the delete.", human_secs(g)))
            .unwrap_or_default();
        let explanation = format!(
            "Deleting a {word} returns at once, but the service removes it in the background, and \
             until it has finished the name cannot be used again: a create under that name is \
             answered 409 (…BeingDeleted). The larger the {word}, the longer that takes, \
             sometimes many minutes.{gap_note}"
        );
        let conf = if all_explicit {
            confidence(Level::High, "")
        } else {
            confidence(
                Level::Medium,
                "The 409's error code is not in this log. The server-side log or the response's \
                 x-ms-error-code would show ContainerBeingDeleted (or the queue/table/share \
                 variant) and confirm it.",
            )
        };
        let svcs = services(cx, &evidence);
        let f = finding(
            self.id(),
            self.default_severity(),
            title,
            explanation,
            &[
                "When the application regularly deletes and re-creates, give each new container \
                 (queue, table, share) a fresh name, e.g. with a date or a GUID suffix.",
                "If the name must stay, retry the create with back-off for several minutes; it \
                 succeeds once the deletion has finished.",
                "To empty a container, delete what is inside it (or let a lifecycle rule do it) \
                 and keep the container, instead of deleting and re-creating it.",
            ],
            conf,
            evidence,
            Some(Seen::of(cx, &failing)),
            |a, b| {
                let deletes = Kql::from(&svcs, a, b)
                    .pipe(
                        "where OperationName in (\"DeleteContainer\", \"DeleteQueue\", \
                         \"DeleteTable\", \"DeleteShare\") and StatusCode startswith \"2\"",
                    )
                    .pipe(
                        "project DeletedAt = TimeGenerated, ObjectKey, DeletedBy = \
                         CallerIpAddress, DeleteClientRequestId = ClientRequestId",
                    );
                Kql::from(&svcs, a, b)
                    .with("deletes", deletes)
                    .pipe(
                        "where OperationName startswith \"Create\" and StatusCode == \"409\" and \
                         StatusText endswith \"BeingDeleted\"",
                    )
                    .pipe(
                        "project FailedAt = TimeGenerated, OperationName, ObjectKey, StatusText, \
                         ClientRequestId, CallerIpAddress",
                    )
                    .pipe("join kind=leftouter deletes on ObjectKey")
                    .pipe("where isnull(DeletedAt) or DeletedAt < FailedAt")
                    .pipe(
                        "summarize arg_max(DeletedAt, DeletedBy, DeleteClientRequestId) by \
                         FailedAt, OperationName, ObjectKey, StatusText, ClientRequestId, \
                         CallerIpAddress",
                    )
                    .pipe(
                        "extend SecondsAfterDelete = datetime_diff('second', FailedAt, DeletedAt)",
                    )
                    .build()
            },
        );
        vec![f]
    }
}

fn capital(word: &str) -> String {
    let mut c = word.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
#[path = "name_being_deleted_tests.rs"]
mod tests;
