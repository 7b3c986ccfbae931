//! `benign-already-exists`: create-if-not-exists calls that found the resource already there.
//! They count as failures in PercentSuccess but are the normal answer.

use super::ops_common::{
    breakdown, confidence, expected_attempts, finding, listed, services, Seen,
};
use super::retry_after_unacknowledged_success::pairs;
use super::{Context, Evidence, Finding, Level, Rule, Severity};
use crate::knowledge::expected::Expected;
use crate::report::kql::Kql;

pub struct BenignAlreadyExists;

impl Rule for BenignAlreadyExists {
    fn id(&self) -> &'static str {
        "benign-already-exists"
    }
    fn default_severity(&self) -> Severity {
        Severity::Benign
    }
    fn run(&self, cx: &Context<'_>) -> Vec<Finding> {
        // A 409 on the retry of a create that had succeeded unseen is reported by
        // `retry-after-unacknowledged-success`, not here.
        let retried: Vec<usize> = pairs(cx).iter().map(|p| p.retry).collect();
        let (hits, groups) =
            expected_attempts(cx, Expected::AlreadyExists, |i| retried.contains(&i));
        if hits.is_empty() {
            return Vec::new();
        }
        let n = hits.len();
        let evidence: Vec<Evidence> = listed(&hits)
            .iter()
            .map(|&i| {
                let v = cx.ds.view(i);
                Evidence::from_event(&v)
                    .field("operation", v.operation())
                    .field("resource", v.resource())
            })
            .collect();
        let svcs = services(cx, &evidence);
        vec![finding(
            self.id(),
            self.default_severity(),
            format!(
                "{n} create{} found the resource already there (expected)",
                if n == 1 { "" } else { "s" }
            ),
            format!(
                "These 409 answers ({}) come from creating something that already exists, which \
                 is what CreateIfNotExists and similar calls do every time after the first. The \
                 service did what was asked; these requests count against the success \
                 percentage but not against availability, and nothing needs fixing.",
                breakdown(&groups)
            ),
            &[
                "Nothing is broken. To keep these out of dashboards and alerts, filter 409 \
                 …AlreadyExists answers on create operations.",
                "To avoid the calls altogether, create containers, queues and tables once (at \
                 deployment or start-up) instead of before every use.",
            ],
            confidence(Level::High, ""),
            evidence,
            Some(Seen::of(cx, &hits)),
            |a, b| {
                Kql::from(&svcs, a, b)
                    .pipe("where StatusCode == \"409\" and StatusText endswith \"AlreadyExists\"")
                    .pipe(
                        "summarize Requests = count(), Callers = dcount(CallerIpAddress) by \
                         OperationName, StatusText",
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

    #[test]
    fn counts_already_exists_answers() {
        let mut b = Builder::new();
        let s = b.input("blob.log");
        for k in 0..3 {
            b.push(
                s,
                server(
                    k as f64,
                    "CreateContainer",
                    "/acct/c",
                    409,
                    "ContainerAlreadyExists",
                    "",
                    "",
                ),
            );
        }
        b.push(
            s,
            server(9.0, "CreateContainer", "/acct/d", 201, "", "", ""),
        );
        let fs = b.run(&BenignAlreadyExists);
        let f = only(&fs, "benign-already-exists");
        assert_complete(f);
        assert_eq!(f.severity, Severity::Benign);
        assert_eq!(f.count, 3);
        assert!(f
            .explanation
            .contains("CreateContainer 409 ContainerAlreadyExists ×3"));
    }

    #[test]
    fn leaves_unacknowledged_retries_and_other_conflicts_alone() {
        let mut b = Builder::new();
        let s = b.input("table.log");
        let crid = "813ea74f-2b3c-4d5e-8f60-718293a4b5c6";
        b.push(
            s,
            server(0.0, "InsertEntity", "/accttable/t/p/r", 201, "", crid, "r1"),
        );
        b.push(
            s,
            server(
                9.0,
                "InsertEntity",
                "/accttable/t/p/r",
                409,
                "EntityAlreadyExists",
                crid,
                "r2",
            ),
        );
        b.push(
            s,
            server(
                10.0,
                "CreateTable",
                "/accttable/t",
                409,
                "TableBeingDeleted",
                "",
                "r3",
            ),
        );
        assert!(b.run(&BenignAlreadyExists).is_empty());
    }
}
