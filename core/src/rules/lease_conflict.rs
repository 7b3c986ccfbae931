//! `lease-conflict`: a write or delete met a lease it did not hold, presented a lease id that does
//! not match, or tried to take a lease that someone else holds.

use super::ops_common::{confidence, finding, listed, services, short_name, Seen};
use super::{Context, Evidence, Finding, Level, Rule, Severity};
use crate::model::{EventView, Field};
use crate::report::kql::Kql;

pub struct LeaseConflict;

/// What kind of lease problem an error code names.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
enum Kind {
    /// A lease is held and the request sent none.
    Missing,
    /// The request sent a lease id other than the one held.
    Mismatch,
    /// The request sent a lease id but no lease is held (expired, released, broken).
    NotPresent,
    /// Tried to acquire a lease that is already held.
    AlreadyPresent,
    /// The lease is broken or being broken.
    Broken,
}

fn kind(v: &EventView<'_>) -> Option<Kind> {
    if !matches!(v.ev.status, 409 | 412) {
        return None;
    }
    let code = v.error_code();
    Some(match code {
        "LeaseIdMissing" => Kind::Missing,
        "LeaseAlreadyPresent" => Kind::AlreadyPresent,
        "LeaseLost" => Kind::NotPresent,
        "InfiniteLeaseDurationRequired" => Kind::Mismatch,
        c if c.starts_with("LeaseIdMismatchWith") => Kind::Mismatch,
        c if c.starts_with("LeaseNotPresentWith") => Kind::NotPresent,
        c if c.starts_with("LeaseIsBr") || c == "LeaseAlreadyBroken" => Kind::Broken,
        _ => return None,
    })
}

fn describe(k: Kind) -> &'static str {
    match k {
        Kind::Missing => {
            "the object is leased and the request carried no lease id, so the service refused \
             to let it change the object"
        }
        Kind::Mismatch => {
            "the request carried a lease id that is not the one currently held (another \
             process took the lease, or the application mixed up its ids)"
        }
        Kind::NotPresent => {
            "the request carried a lease id but there is no lease any more: it expired because \
             it was not renewed in time, or was released or broken"
        }
        Kind::AlreadyPresent => {
            "the request tried to acquire a lease while another holder still has one"
        }
        Kind::Broken => {
            "the lease has been broken (or is being broken) and cannot be used as asked"
        }
    }
}

impl Rule for LeaseConflict {
    fn id(&self) -> &'static str {
        "lease-conflict"
    }
    fn default_severity(&self) -> Severity {
        Severity::Warning
    }
    fn run(&self, cx: &Context<'_>) -> Vec<Finding> {
        let mut hits: Vec<usize> = Vec::new();
        let mut kinds: Vec<Kind> = Vec::new();
        let mut objects: std::collections::BTreeSet<String> = std::collections::BTreeSet::new();
        for (_, i) in cx.unsuccessful_primaries() {
            let v = cx.ds.view(i);
            let Some(k) = kind(&v) else { continue };
            if !kinds.contains(&k) {
                kinds.push(k);
            }
            let name = short_name(v.resource());
            if !name.is_empty() && !objects.contains(name) {
                objects.insert(name.to_string());
            }
            hits.push(i);
        }
        if hits.is_empty() {
            return Vec::new();
        }
        let evidence: Vec<Evidence> = listed(&hits)
            .iter()
            .map(|&i| {
                let v = cx.ds.view(i);
                let e = Evidence::from_event(&v)
                    .field("operation", v.operation())
                    .field("resource", v.resource());
                match v.extra(Field::LeaseId) {
                    Some(l) => e.field("lease_id_sent", l),
                    None => e,
                }
            })
            .collect();
        kinds.sort();
        let n = hits.len();
        let title = if objects.len() == 1 {
            format!(
                "{n} request{} on '{}' failed on a lease",
                if n == 1 { "" } else { "s" },
                objects.first().map(String::as_str).unwrap_or("")
            )
        } else {
            format!("{n} requests failed on leases ({} objects)", objects.len())
        };
        let reasons: Vec<&str> = kinds.iter().map(|k| describe(*k)).collect();
        let explanation = format!(
            "A lease gives one holder exclusive write and delete access to a blob or container; \
             every other request must present the lease id, and only one lease can be held at a \
             time. Here {}.",
            reasons.join("; and elsewhere ")
        );
        let svcs = services(cx, &evidence);
        vec![finding(
            self.id(),
            self.default_severity(),
            title,
            explanation,
            &[
                "Send the lease id you hold with every write, metadata change and delete of a \
                 leased blob or container.",
                "Renew a finite lease well before it runs out (at about half its duration), or \
                 release it explicitly when the work is done.",
                "When another holder has the lease, wait and retry, or break the lease on purpose \
                 if that holder is known to be gone.",
                "Find the holder: the server-side log lists the LeaseBlob / LeaseContainer \
                 requests (acquire, renew, release, break) with their callers.",
            ],
            confidence(Level::High, ""),
            evidence,
            Some(Seen::of(cx, &hits)),
            |a, b| {
                Kql::from(&svcs, a, b)
                    .pipe(
                        "where StatusText startswith \"Lease\" or StatusText == \
                         \"InfiniteLeaseDurationRequired\" or OperationName in (\"LeaseBlob\", \
                         \"LeaseContainer\")",
                    )
                    .pipe(
                        "project TimeGenerated, OperationName, StatusCode, StatusText, ObjectKey, \
                         CallerIpAddress, ClientRequestId, CorrelationId",
                    )
                    .pipe("order by ObjectKey asc, TimeGenerated asc")
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
    fn explains_each_lease_code() {
        let mut b = Builder::new();
        let s = b.input("blob.log");
        let k = "/acct/locks/job.lock";
        let mut ev = server(0.0, "PutBlob", k, 412, "LeaseIdMissing", "", "r1");
        ev.push(Field::LeaseId, "");
        b.push(s, ev);
        let ev = server(
            1.0,
            "PutBlob",
            k,
            412,
            "LeaseIdMismatchWithBlobOperation",
            "",
            "r2",
        );
        b.push(
            s,
            with(ev, Field::LeaseId, "f1e2d3c4-0000-4000-8000-000000000001"),
        );
        b.push(
            s,
            server(2.0, "LeaseBlob", k, 409, "LeaseAlreadyPresent", "", "r3"),
        );
        b.push(
            s,
            server(
                3.0,
                "DeleteBlob",
                k,
                412,
                "LeaseNotPresentWithBlobOperation",
                "",
                "r4",
            ),
        );
        let fs = b.run(&LeaseConflict);
        let f = only(&fs, "lease-conflict");
        assert_complete(f);
        assert_eq!(f.severity, Severity::Warning);
        assert_eq!(f.count, 4);
        assert_eq!(f.title, "4 requests on 'job.lock' failed on a lease");
        assert!(f.explanation.contains("carried no lease id"));
        assert!(f.explanation.contains("not the one currently held"));
        assert!(f.explanation.contains("expired"));
        assert!(f.explanation.contains("another holder"));
        assert_eq!(
            f.evidence[1].fields["lease_id_sent"],
            "f1e2d3c4-0000-4000-8000-000000000001"
        );
    }

    #[test]
    fn other_409_and_412_are_not_lease_conflicts() {
        let mut b = Builder::new();
        let s = b.input("blob.log");
        b.push(
            s,
            server(
                0.0,
                "PutBlob",
                "/acct/c/b",
                412,
                "ConditionNotMet",
                "",
                "r1",
            ),
        );
        b.push(
            s,
            server(
                1.0,
                "CreateContainer",
                "/acct/c",
                409,
                "ContainerAlreadyExists",
                "",
                "r2",
            ),
        );
        b.push(
            s,
            server(2.0, "PutBlob", "/acct/c/b", 404, "LeaseIdMissing", "", "r3"),
        );
        assert!(b.run(&LeaseConflict).is_empty());
    }
}
