//! Auto-detection on arbitrary bytes: encoding sniffing, gzip and zip expansion (each zip entry
//! becomes an input of its own), ranking of every format, then the chosen parser and every rule.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| storage_doctor_fuzz::ingest(None, data));
