//! `benign-not-found-probe`: existence checks (HEAD, Get…Properties, the first step of
//! CreateIfNotExists / DeleteIfExists) that answered 404. The answer is the information asked for.

use super::ops_common::{
    breakdown, confidence, expected_attempts, finding, is_container_create, listed, services, Seen,
};
use super::{Context, Evidence, Finding, Level, Rule, Severity};
use crate::correlate::Request;
use crate::knowledge::expected::Expected;
use crate::report::kql::Kql;

pub struct BenignNotFoundProbe;

impl Rule for BenignNotFoundProbe {
    fn id(&self) -> &'static str {
        "benign-not-found-probe"
    }
    fn default_severity(&self) -> Severity {
        Severity::Benign
    }
    fn run(&self, cx: &Context<'_>) -> Vec<Finding> {
        let (hits, groups) = expected_attempts(cx, Expected::NotFoundProbe, |_| false);
        if hits.is_empty() {
            return Vec::new();
        }
        let n = hits.len();
        // The probe of CreateIfNotExists: a create follows under the same client request id.
        let followed_by_create = |i: usize| {
            let v = cx.ds.view(i);
            cx.correlation.request_for(i).is_some_and(|req| {
                req.attempts().any(|a| {
                    let p = cx.ds.view(Request::primary(cx.ds, a) as usize);
                    p.index != i && is_container_create(&p) && p.time() >= v.time()
                })
            })
        };
        let then_created = hits.iter().filter(|&&i| followed_by_create(i)).count();
        let evidence: Vec<Evidence> = listed(&hits)
            .iter()
            .map(|&i| {
                let v = cx.ds.view(i);
                let e = Evidence::from_event(&v)
                    .field("operation", v.operation())
                    .field("resource", v.resource());
                if followed_by_create(i) {
                    e.field("part_of", "CreateIfNotExists (a create follows)")
                } else {
                    e
                }
            })
            .collect();
        let cine = if then_created > 0 && n == 1 {
            " It is the first step of CreateIfNotExists: the create follows under the same \
             client request id."
                .to_string()
        } else if then_created > 0 {
            format!(
                " {then_created} of them {} the first step of CreateIfNotExists: the create \
                 follows under the same client request id.",
                if then_created == 1 { "is" } else { "are" }
            )
        } else {
            String::new()
        };
        let svcs = services(cx, &evidence);
        vec![finding(
            self.id(),
            self.default_severity(),
            format!(
                "{n} existence check{} answered 'not found' (expected)",
                if n == 1 { "" } else { "s" }
            ),
            format!(
                "These requests ({}) only ask whether something exists, and 404 is how the \
                 service says no. Exists(), CreateIfNotExists and DeleteIfExists all make such \
                 a request first.{cine} They lower the success percentage, not availability.",
                breakdown(&groups)
            ),
            &[
                "Nothing to fix. Filter 404 answers of HEAD / Get…Properties requests out of \
                 error dashboards and alerts.",
                "If the checks are frequent, cache what they found or skip the check and handle \
                 the 404 of the real operation instead.",
            ],
            confidence(Level::High, ""),
            evidence,
            Some(Seen::of(cx, &hits)),
            |a, b| {
                Kql::from(&svcs, a, b)
                    .pipe(
                        "where StatusCode == \"404\" and OperationName startswith \"Get\" and \
                         (OperationName endswith \"Properties\" or OperationName endswith \
                         \"Metadata\")",
                    )
                    .pipe("summarize Requests = count() by OperationName, StatusText")
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
    fn counts_probes_and_spots_create_if_not_exists() {
        let mut b = Builder::new();
        let s = b.input("blob.log");
        let crid = "e2d06d78-8a4b-4f3c-b1d2-3c4d5e6f7a02";
        b.push(
            s,
            server(
                0.0,
                "GetContainerProperties",
                "/acct/c",
                404,
                "ContainerNotFound",
                crid,
                "r1",
            ),
        );
        b.push(
            s,
            server(0.1, "CreateContainer", "/acct/c", 201, "", crid, "r2"),
        );
        b.push(
            s,
            server(5.0, "GetBlobProperties", "/acct/c/x", 404, "", "", "r3"),
        );
        let fs = b.run(&BenignNotFoundProbe);
        let f = only(&fs, "benign-not-found-probe");
        assert_complete(f);
        assert_eq!(f.severity, Severity::Benign);
        assert_eq!(f.count, 2);
        assert!(f.explanation.contains("1 of them is the first step"));
        assert_eq!(
            f.evidence[0].fields["part_of"],
            "CreateIfNotExists (a create follows)"
        );
    }

    #[test]
    fn reads_and_sas_denials_are_not_probes() {
        let mut b = Builder::new();
        let s = b.input("blob.log");
        b.push(
            s,
            server(0.0, "GetBlob", "/acct/c/x", 404, "BlobNotFound", "", "r1"),
        );
        let mut ev = server(1.0, "GetBlobProperties", "/acct/c/x", 404, "", "", "r2");
        ev.response_type = crate::model::ResponseType::parse("SASAuthorizationError");
        b.push(s, ev);
        assert!(b.run(&BenignNotFoundProbe).is_empty());
    }
}
