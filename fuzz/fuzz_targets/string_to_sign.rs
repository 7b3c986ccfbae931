//! The string-to-sign reader: extraction from the service's message, the three line shapes
//! (newlines, literal `\n`, the legacy trace's dots), decoding, and the client/server diff.
//!
//! Input: `client string \0 server detail or string`.
#![no_main]

use storage_doctor_core::knowledge::string_to_sign::{
    client_lines, decode, decode_lines, diff, extract_server_string, hint, legacy_lines,
    normalize, server_lines,
};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let f = storage_doctor_fuzz::fields(data, 2);
    let (client, server) = (&f[0], &f[1]);
    let _ = normalize(client);
    let server = extract_server_string(server).unwrap_or_else(|| server.clone());
    let sl = server_lines(&server);
    let _ = legacy_lines(client);
    let _ = client_lines(client, None);
    let cl = client_lines(client, Some(&sl));
    let _ = decode_lines(&cl).render();
    let _ = decode(client).render();
    let d = diff(client, &server);
    let _ = d.identical();
    for name in d.differing() {
        let _ = hint(&name);
    }
    let _ = d.render();
});
