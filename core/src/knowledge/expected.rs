//! Failures that are part of normal operation (RULES.md § Expected errors): they lower the
//! service's PercentSuccess but are not problems.

use crate::model::{EventView, Field, Method, ResponseType};

/// The families of expected failures, one benign rule each.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Expected {
    /// 409 `…AlreadyExists`: a create-if-not-exists found the resource there.
    AlreadyExists,
    /// 404 on an existence check (HEAD, Get…Properties, Get…Metadata).
    NotFoundProbe,
    /// 304, or 412 `…ConditionNotMet`: a conditional request refused as designed.
    ConditionNotMet,
}

impl Expected {
    pub fn reason(self) -> &'static str {
        match self {
            Expected::AlreadyExists => "create-if-not-exists found it already there",
            Expected::NotFoundProbe => "an existence check answered 'not found'",
            Expected::ConditionNotMet => {
                "a conditional request was answered 'not modified' or 'precondition failed'"
            }
        }
    }
}

/// Which expected family a failed request belongs to, or `None` when it is a real failure.
pub fn expected_kind(v: &EventView<'_>) -> Option<Expected> {
    let status = v.ev.status;
    // Most rows are none of these statuses: the strings are read only for those that are.
    if !matches!(status, 304 | 404 | 409 | 412) {
        return None;
    }
    let code = v.error_code();
    let op = v.operation();
    match status {
        304 => Some(Expected::ConditionNotMet),
        409 if code.ends_with("AlreadyExists") => Some(Expected::AlreadyExists),
        // Lease failures are 412 too but carry their own codes; an empty code with a lease id sent
        // cannot be told apart from a lease mismatch, so it is not called expected.
        412 if code.ends_with("ConditionNotMet")
            || code.is_empty() && v.extra(Field::LeaseId).is_none() =>
        {
            Some(Expected::ConditionNotMet)
        }
        // A 404 that the service classed as an authorization failure (a SAS without the needed
        // permission, service versions before 2015-04-05) is not a probe answer.
        404 if v.ev.response_type != ResponseType::AuthorizationError
            && (v.ev.method == Method::Head
                || op.starts_with("Get") && op.ends_with("Properties")
                || op.starts_with("Get") && op.ends_with("Metadata")) =>
        {
            Some(Expected::NotFoundProbe)
        }
        _ => None,
    }
}

/// Why a failed request is expected, or `None` when it is a real failure.
pub fn expected_reason(v: &EventView<'_>) -> Option<&'static str> {
    expected_kind(v).map(Expected::reason)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Dataset, EventSink, RawEvent};

    fn kind(op: &str, method: Method, status: u16, code: &str, rt: &str) -> Option<Expected> {
        let mut ds = Dataset::new();
        let i = ds.add_input("x", "t", 1.0);
        ds.sink(i).event(RawEvent {
            operation: op.into(),
            method,
            status,
            error_code: code.into(),
            response_type: ResponseType::parse(rt),
            ..Default::default()
        });
        expected_kind(&ds.view(0))
    }

    #[test]
    fn classifies_the_expected_families() {
        use Expected::*;
        assert_eq!(
            kind(
                "CreateContainer",
                Method::Put,
                409,
                "ContainerAlreadyExists",
                ""
            ),
            Some(AlreadyExists)
        );
        assert_eq!(
            kind(
                "GetBlobProperties",
                Method::Unknown,
                404,
                "",
                "ClientOtherError"
            ),
            Some(NotFoundProbe)
        );
        assert_eq!(kind("", Method::Head, 404, "", ""), Some(NotFoundProbe));
        assert_eq!(
            kind("GetBlob", Method::Get, 304, "ConditionNotMet", ""),
            Some(ConditionNotMet)
        );
        assert_eq!(
            kind(
                "AppendBlock",
                Method::Put,
                412,
                "AppendPositionConditionNotMet",
                ""
            ),
            Some(ConditionNotMet)
        );
    }

    #[test]
    fn real_failures_are_not_expected() {
        // The 2014 SAS-permission 404 on a HEAD.
        assert_eq!(
            kind(
                "GetBlobProperties",
                Method::Head,
                404,
                "",
                "SASAuthorizationError"
            ),
            None
        );
        assert_eq!(
            kind(
                "CreateContainer",
                Method::Put,
                409,
                "ContainerBeingDeleted",
                ""
            ),
            None
        );
        assert_eq!(
            kind("PutBlob", Method::Put, 412, "LeaseIdMissing", ""),
            None
        );
        assert_eq!(kind("GetBlob", Method::Get, 404, "BlobNotFound", ""), None);
        assert_eq!(kind("CreateContainer", Method::Put, 409, "", ""), None);
    }
}
