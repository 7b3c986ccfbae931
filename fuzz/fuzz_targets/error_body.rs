//! The shared parser of the service's error bodies (XML, JSON, escaped, HTML-encoded, inside
//! exception messages), walked the way the formats walk it: every body in the text, one after
//! the other.
#![no_main]

use storage_doctor_core::knowledge::error_body::{
    find_error_body, parse_error_body, server_string_to_sign, split_message,
};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = parse_error_body(&text);
    let _ = split_message(&text);
    let _ = server_string_to_sign(&text);
    let mut from = 0;
    while let Some((body, range)) = text.get(from..).and_then(find_error_body) {
        let _ = body.detail();
        let _ = body.timestamp();
        let _ = split_message(&body.message);
        let _ = server_string_to_sign(&body.auth_detail);
        assert!(
            range.start <= range.end && from + range.end <= text.len(),
            "the range of a body lies inside the text"
        );
        // An empty range would find the same body again forever.
        from += range.end.max(1);
        while from < text.len() && !text.is_char_boundary(from) {
            from += 1;
        }
    }
});
