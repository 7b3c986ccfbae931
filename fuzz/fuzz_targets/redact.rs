//! Redaction of secrets. Besides never panicking: no `sig=` query parameter in the output holds
//! an unmasked value (every one the input held was replaced), and clean text comes back as is.
#![no_main]

use std::borrow::Cow;

use storage_doctor_core::knowledge::redact::{is_masked, redact};

/// Where `redact` treats `sig=` as a query parameter (and not the tail of a longer word).
fn sig_values(s: &str) -> Vec<&str> {
    let b = s.as_bytes();
    let lower = s.to_ascii_lowercase();
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(rel) = lower[from..].find("sig=") {
        let at = from + rel;
        from = at + 4;
        let boundary = at == 0
            || matches!(
                b[at - 1],
                b'?' | b'&' | b';' | b' ' | b'"' | b'\'' | b'\t' | b',' | b'(' | b'[' | b'{' | b'\n'
            );
        if !boundary {
            continue;
        }
        let end = b[from..]
            .iter()
            .position(|c| {
                matches!(
                    c,
                    b'&' | b' ' | b'\t' | b'\r' | b'\n' | b'"' | b'\'' | b';' | b'<' | b'>' | b','
                )
            })
            .map_or(b.len(), |p| from + p);
        out.push(&s[from..end]);
    }
    out
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let out = redact(&text);
    for v in sig_values(&out) {
        assert!(is_masked(v), "an unmasked sig value survived: {v:?} in {out:?}");
    }
    if let Cow::Borrowed(b) = &out {
        assert_eq!(*b, &*text);
    }
});
