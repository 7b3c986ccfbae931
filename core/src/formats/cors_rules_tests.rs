use super::*;
use crate::formats::{rank, Format, MIN_CONFIDENCE};
use crate::ingest::analyze_bytes;
use crate::model::Service;

const FIXTURES: [(&str, &[u8]); 7] = [
    (
        "blob-service-properties.xml",
        include_bytes!("../../fixtures/cors-rules/blob-service-properties.xml"),
    ),
    (
        "bare-cors.xml",
        include_bytes!("../../fixtures/cors-rules/bare-cors.xml"),
    ),
    (
        "five-rules-blob.xml",
        include_bytes!("../../fixtures/cors-rules/five-rules-blob.xml"),
    ),
    (
        "az-storage-cors-list.json",
        include_bytes!("../../fixtures/cors-rules/az-storage-cors-list.json"),
    ),
    (
        "az-storage-cors-list-legacy.json",
        include_bytes!("../../fixtures/cors-rules/az-storage-cors-list-legacy.json"),
    ),
    (
        "blob-service-properties-arm.json",
        include_bytes!("../../fixtures/cors-rules/blob-service-properties-arm.json"),
    ),
    (
        "arm-template.json",
        include_bytes!("../../fixtures/cors-rules/arm-template.json"),
    ),
];

fn text(b: &[u8]) -> &str {
    std::str::from_utf8(b).unwrap()
}

#[test]
fn every_fixture_is_detected_as_cors_rules() {
    for (name, bytes) in FIXTURES {
        let ranked = rank(text(bytes));
        assert_eq!(ranked[0].0.id(), "cors-rules", "{name}");
        assert!(ranked[0].1 >= 0.85, "{name}: {}", ranked[0].1);
        for (f, c) in &ranked[1..] {
            assert!(
                *c < MIN_CONFIDENCE,
                "{name}: {} also claims it ({c})",
                f.id()
            );
        }
    }
}

#[test]
fn does_not_claim_other_formats_samples() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/samples");
    let mut seen = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let bytes = std::fs::read(&path).unwrap();
        let sample = String::from_utf8_lossy(&bytes[..bytes.len().min(64 * 1024)]);
        let c = CorsRulesFormat.detect(&sample);
        assert!(c < MIN_CONFIDENCE, "{}: {c}", path.display());
        seen += 1;
    }
    assert!(seen > 40, "the samples folder was not read");
    // The HAR sample quotes headers of CORS responses; it must stay a HAR.
    let har = r#"{"log":{"version":"1.2","entries":[{"response":{"content":{"text":"<Cors><CorsRule><AllowedOrigins>*</AllowedOrigins></CorsRule></Cors>"}}}]}}"#;
    assert_eq!(CorsRulesFormat.detect(har), 0.0);
    assert_eq!(
        CorsRulesFormat.detect("<Error><Code>AuthenticationFailed</Code></Error>"),
        0.0
    );
    assert_eq!(CorsRulesFormat.detect("{\"records\": []}"), 0.0);
}

#[test]
fn rules_reach_the_dataset_without_events() {
    let (ds, report) = analyze_bytes("cors.json", FIXTURES[3].1, None).unwrap();
    assert_eq!(ds.inputs[0].format, "cors-rules");
    assert!(ds.events.is_empty());
    assert_eq!(ds.inputs[0].skipped_total, 0);
    let services: Vec<(u16, Service, usize)> = ds
        .cors_rules
        .iter()
        .map(|(i, s, r)| (*i, *s, r.rules.len()))
        .collect();
    assert_eq!(
        services,
        vec![(0, Service::Blob, 2), (0, Service::Queue, 1)]
    );
    assert!(report.findings.is_empty());
    // The input says what it held instead of "no request could be analysed".
    assert!(ds.inputs[0].notices[0].contains("2 CORS rules for the blob service"));
}

#[test]
fn problems_in_the_rules_become_notices() {
    let (ds, _) = analyze_bytes("props.xml", FIXTURES[0].1, None).unwrap();
    let notices = ds.inputs[0].notices.join("\n");
    assert!(
        notices.contains("a service the file does not name"),
        "{notices}"
    );
    assert!(notices.contains("ends with '/'"), "{notices}");
}

#[test]
fn unreadable_document_is_skipped_line_by_line() {
    let bad = b"[\n  {\"AllowedOrigins\": \"https://a.example\",\n   \"AllowedMethods\": \"GET\"\n";
    let (ds, _) = analyze_bytes("bad.json", bad, Some("cors-rules")).unwrap();
    assert!(ds.cors_rules.is_empty());
    assert_eq!(ds.inputs[0].skipped_total, 3);
    assert!(ds.inputs[0].skipped[0].reason.contains("not valid JSON"));
    assert_eq!(ds.inputs[0].skipped[2].line, 3);
}

fn dump_rules(ds: &crate::model::Dataset) -> String {
    let mut s = crate::testing::dump(ds);
    for (i, svc, rules) in &ds.cors_rules {
        s.push_str(&format!("rules input={i} service={}\n", svc.as_str()));
        for (n, r) in rules.rules.iter().enumerate() {
            s.push_str(&format!(
                "  {}. origins={:?} methods={:?} headers={:?} exposed={:?} max_age={}\n",
                n + 1,
                r.allowed_origins,
                r.allowed_methods,
                r.allowed_headers,
                r.exposed_headers,
                r.max_age_seconds
            ));
        }
    }
    s
}

#[test]
fn snapshot_of_every_fixture() {
    let mut all = String::new();
    for (name, bytes) in FIXTURES {
        let ds = crate::testing::ingest_in_slices(name, bytes, None, 1 << 20);
        all.push_str(&dump_rules(&ds));
    }
    insta::assert_snapshot!(all);
}

#[test]
fn same_rules_at_every_split_point() {
    for (name, bytes) in FIXTURES {
        crate::testing::assert_split_invariant(name, bytes, None, 250);
        let whole = dump_rules(&crate::testing::ingest_in_slices(
            name,
            bytes,
            None,
            1 << 20,
        ));
        for slice in [1, 7, 64, 333] {
            let split = dump_rules(&crate::testing::ingest_in_slices(name, bytes, None, slice));
            assert_eq!(whole, split, "{name} in slices of {slice}");
        }
    }
}
