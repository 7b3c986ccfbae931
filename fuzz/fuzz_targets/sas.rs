//! The SAS parser and evaluator, as the URL decoder and the SAS rules use them.
//!
//! Input: `url \0 method \0 time \0 caller-ip \0 x-ms-version \0 resource`.
#![no_main]

use storage_doctor_core::knowledge::sas::{field_name, SasToken};
use storage_doctor_core::knowledge::sas_eval::{
    self, candidate_operations, decisive, describe_letters, describe_options, evaluate,
    ip_in_sip, letter_word, level_of_resource, missing_letters, need, parse_ip, SasRequest,
};
use storage_doctor_core::model::{Method, Timestamp};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let f = storage_doctor_fuzz::fields(data, 6);
    let (url, method, time, ip, version, resource) = (&f[0], &f[1], &f[2], &f[3], &f[4], &f[5]);
    let method = Method::parse(method);
    let mut req = SasRequest::for_url(url, method);
    let service = req.service;
    let _ = candidate_operations(service, resource, url);
    let _ = level_of_resource(service, resource);
    if !resource.is_empty() {
        req.resource = resource.clone();
    }
    req.time = Timestamp::parse(time);
    req.time_from_service = time.len() % 2 == 0;
    req.caller_ip = (!ip.is_empty()).then(|| ip.clone());
    req.x_ms_version = (!version.is_empty()).then(|| version.clone());
    req.target_exists = match version.len() % 3 {
        0 => None,
        1 => Some(false),
        _ => Some(true),
    };
    let _ = need(service, &req.operation, req.target_exists);

    let Some(t) = SasToken::from_url(url) else {
        return;
    };
    let _ = t.kind();
    let _ = t.start();
    let _ = t.expiry();
    let _ = t.lifetime_seconds();
    for (k, _, _) in t.described_fields() {
        let _ = field_name(k);
    }
    let _ = t.redacted_query();
    let _ = serde_json::to_string(&t);

    let checks = evaluate(&t, &req);
    let _ = serde_json::to_string(&checks);
    let _ = decisive(&checks, &["kind", "sv", "ss", "srt", "sp", "st", "se", "sip", "spr", "sr"]);
    if let Some(sp) = &t.sp {
        let _ = describe_letters(sp, service);
        for c in sp.chars() {
            let _ = letter_word(c, service);
        }
        if let Some(n) = need(service, &req.operation, req.target_exists) {
            let _ = missing_letters(sp, n.any_of);
            let _ = describe_options(n.any_of, service);
        }
    }
    if let (Some(sip), Some(addr)) = (&t.sip, parse_ip(ip)) {
        let _ = ip_in_sip(sip, addr);
    }
    let _ = sas_eval::service_letter(service);
});
