//! The core's one error type.

use thiserror::Error;

/// Errors the core can return. Parsers never return errors for bad input: they skip the line
/// with a reason instead (see [`crate::model::EventSink::skipped`]).
#[derive(Debug, Error)]
pub enum CoreError {
    #[error("unknown format id `{0}` (known: {1})")]
    UnknownFormat(String, String),
    #[error("the file is compressed with {0}, which this build cannot read")]
    Unsupported(&'static str),
    #[error("{0}")]
    Invalid(String),
}
