//! The CORS rule reader (service-properties XML, `az storage cors list` JSON, ARM `corsRules`)
//! and the evaluator behind `storage-doctor cors` and the page's CORS checker, including the
//! suggested change and every form it is written out in.
//!
//! Input: `rules \0 origin \0 method \0 headers (comma-separated) \0 service word`.
#![no_main]

use storage_doctor_core::knowledge::cors::check;
use storage_doctor_core::model::Service;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let f = storage_doctor_fuzz::fields(data, 5);
    let headers: Vec<&str> = f[3].split(',').filter(|h| !h.is_empty()).collect();
    let service = (!f[4].is_empty()).then(|| Service::from_word(&f[4]));
    if let Ok(c) = check(&f[0], service, &f[1], &f[2], &headers) {
        let _ = c.to_text();
        let _ = serde_json::to_string(&c);
    }
});
