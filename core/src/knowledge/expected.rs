//! Failures that are part of normal operation (RULES.md § Expected errors): they lower the
//! service's PercentSuccess but are not problems.

use crate::model::{EventView, Method};

/// Why a failed request is expected, or `None` when it is a real failure.
pub fn expected_reason(v: &EventView<'_>) -> Option<&'static str> {
    let status = v.ev.status;
    let code = v.error_code();
    let op = v.operation();
    match status {
        304 => Some("not modified: a conditional read found nothing new"),
        409 if code.ends_with("AlreadyExists") || code == "ResourceAlreadyExists" => {
            Some("create-if-not-exists found it already there")
        }
        412 if code == "ConditionNotMet" || code.is_empty() => {
            Some("precondition failed: a conditional write was refused as designed")
        }
        404 if v.ev.method == Method::Head
            || op.starts_with("Get") && op.ends_with("Properties")
            || op.ends_with("Metadata") && op.starts_with("Get") =>
        {
            Some("an existence check answered 'not found'")
        }
        _ => None,
    }
}
