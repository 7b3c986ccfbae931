//! Facts about Azure Storage the rules rely on: SAS tokens, redaction, URLs, error codes.

pub mod error_body;
pub mod expected;
pub mod operations;
pub mod redact;
pub mod sas;
pub mod url;
