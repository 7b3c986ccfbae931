//! The `dotnet-legacy-trace` parser, forced, on arbitrary bytes in two or three slices; then every rule.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| storage_doctor_fuzz::ingest(Some("dotnet-legacy-trace"), data));
