//! Facts about Azure Storage the rules rely on: SAS tokens, redaction, URLs, error codes.

pub mod auth_failure;
pub mod cors;
pub mod error_body;
pub mod expected;
pub mod http;
pub mod operations;
pub mod redact;
pub mod sas;
pub mod sas_eval;
pub mod string_to_sign;
pub mod url;
