//! `benign-condition-not-met`: conditional requests answered "not modified" (304) or
//! "precondition failed" (412) as they were designed to be.

use super::ops_common::{
    breakdown, confidence, expected_attempts, finding, listed, services, Seen,
};
use super::{Context, Evidence, Finding, Level, Rule, Severity};
use crate::knowledge::expected::Expected;
use crate::model::Field;
use crate::report::kql::Kql;

pub struct BenignConditionNotMet;

impl Rule for BenignConditionNotMet {
    fn id(&self) -> &'static str {
        "benign-condition-not-met"
    }
    fn default_severity(&self) -> Severity {
        Severity::Benign
    }
    fn run(&self, cx: &Context<'_>) -> Vec<Finding> {
        let (hits, groups) = expected_attempts(cx, Expected::ConditionNotMet, |_| false);
        if hits.is_empty() {
            return Vec::new();
        }
        let n = hits.len();
        let refused_writes = hits
            .iter()
            .filter(|&&i| cx.ds.events[i].status == 412)
            .count();
        let evidence: Vec<Evidence> = listed(&hits)
            .iter()
            .map(|&i| {
                let v = cx.ds.view(i);
                let mut e = Evidence::from_event(&v)
                    .field("operation", v.operation())
                    .field("resource", v.resource());
                if let Some(c) = v.extra(Field::Conditions) {
                    e = e.field("conditions", c);
                }
                e
            })
            .collect();
        let writes = if refused_writes > 0 {
            format!(
                " Of these, {refused_writes} {} refused with 412: the object had changed since \
                 the caller read it, which is optimistic concurrency doing its job; many of them \
                 on the same objects would mean callers compete for the same data.",
                if refused_writes == 1 { "was" } else { "were" }
            )
        } else {
            String::new()
        };
        let svcs = services(cx, &evidence);
        vec![finding(
            self.id(),
            self.default_severity(),
            format!(
                "{n} conditional request{} answered as designed (not modified / precondition \
                 failed)",
                if n == 1 { " was" } else { "s were" }
            ),
            format!(
                "These requests ({}) carried a condition (If-None-Match, If-Modified-Since, \
                 If-Match…) and the condition decided the answer: 304 means the caller's copy is \
                 still current, 412 means the object was not in the state the caller required.\
                 {writes} They lower the success percentage only.",
                breakdown(&groups)
            ),
            &[
                "Nothing to fix for 304 answers: they save transferring unchanged data.",
                "For frequent 412 answers on writes, check whether several writers update the \
                 same objects; re-read and retry, or partition the work.",
            ],
            confidence(Level::High, ""),
            evidence,
            Some(Seen::of(cx, &hits)),
            |a, b| {
                Kql::from(&svcs, a, b)
                    .pipe(
                        "where StatusCode in (\"304\", \"412\") and StatusText endswith \
                         \"ConditionNotMet\"",
                    )
                    .pipe(
                        "summarize Requests = count() by OperationName, StatusCode, ConditionsUsed",
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
    fn counts_304_and_412_with_their_conditions() {
        let mut b = Builder::new();
        let s = b.input("blob.log");
        let ev = server(
            0.0,
            "GetBlob",
            "/acct/img/logo.png",
            304,
            "ConditionNotMet",
            "",
            "r1",
        );
        b.push(
            s,
            with(ev, Field::Conditions, "If-None-Match=\"0x8D15A2913C934DE\""),
        );
        b.push(
            s,
            server(
                1.0,
                "PutBlob",
                "/acct/img/logo.png",
                412,
                "ConditionNotMet",
                "",
                "r2",
            ),
        );
        let fs = b.run(&BenignConditionNotMet);
        let f = only(&fs, "benign-condition-not-met");
        assert_complete(f);
        assert_eq!(f.count, 2);
        assert_eq!(
            f.evidence[0].fields["conditions"],
            "If-None-Match=\"0x8D15A2913C934DE\""
        );
        assert!(f.explanation.contains("Of these, 1 was refused with 412"));
    }

    #[test]
    fn lease_412s_are_not_conditions() {
        let mut b = Builder::new();
        let s = b.input("blob.log");
        b.push(
            s,
            server(0.0, "PutBlob", "/acct/c/b", 412, "LeaseIdMissing", "", "r1"),
        );
        assert!(b.run(&BenignConditionNotMet).is_empty());
    }
}
