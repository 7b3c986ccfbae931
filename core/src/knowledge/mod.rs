//! Facts about Azure Storage the rules rely on: SAS tokens, redaction, URLs, error codes.

pub mod expected;
pub mod http;
pub mod operations;
pub mod redact;
pub mod sas;
pub mod url;
