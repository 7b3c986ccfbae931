//! Exports and share links carry no secret from the inputs (CONTRACTS.md § Redaction): the
//! JSON, Markdown and text reports and the share payload of a trace whose quoted evidence holds
//! a SAS signature, an account key and a bearer token. The same fixture drives the browser test
//! of the page's share links (`tests/e2e/security.test.mjs`).

use std::path::Path;

use storage_doctor_core::analyze_bytes;
use storage_doctor_core::report::{share, to_markdown, to_text};

const FIXTURE: &str = "../tests/e2e/fixtures/secrets.dotnet-legacy-trace.log";

/// The values after `marker` up to one of `stops`, skipping already-masked ones.
fn values_after(text: &str, marker: &str, stops: &[char]) -> Vec<String> {
    text.match_indices(marker)
        .map(|(i, _)| {
            let rest = &text[i + marker.len()..];
            let end = rest
                .find(|c: char| stops.contains(&c))
                .unwrap_or(rest.len());
            rest[..end].trim_end_matches('.').to_string()
        })
        .filter(|v| !v.is_empty() && !v.chars().all(|c| c == 'X'))
        .collect()
}

#[test]
fn no_export_or_share_link_holds_a_secret_of_the_inputs() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(FIXTURE);
    let text = std::fs::read_to_string(&path).unwrap();
    let mut secrets = values_after(&text, "sig=", &['&', ' ', '\n', ';']);
    secrets.extend(values_after(&text, "AccountKey=", &[';', ' ', '\n']));
    secrets.extend(values_after(&text, "Bearer ", &[' ', '\n']));
    secrets.sort();
    secrets.dedup();
    assert_eq!(secrets.len(), 3, "{secrets:?}");

    let (_, report) = analyze_bytes("secrets.log", text.as_bytes(), None).unwrap();
    let json = report.to_json();
    // The evidence quotes the message that held the key and the token: the test looks where
    // they would be.
    assert!(json.contains("AccountKey=REDACTED"), "{json}");
    assert!(
        json.contains("sig=XXXXX"),
        "a masked value is not a secret and stays"
    );
    let link = share::encode(&report).unwrap().payload;
    let shared = share::decode_to_json(&link).unwrap();
    for (what, out) in [
        ("JSON", json),
        ("Markdown", to_markdown(&report)),
        ("text", to_text(&report)),
        ("share link", link),
        ("shared report", shared),
    ] {
        for s in &secrets {
            // The signature also appears percent-encoded in URLs; both forms are checked.
            let decoded = s.replace("%3D", "=");
            assert!(
                !out.contains(s.as_str()) && !out.contains(&decoded),
                "{} of the inputs is in the {what} export",
                &s[..12]
            );
        }
    }
}
