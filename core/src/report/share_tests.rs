use std::io::Write;

use flate2::write::DeflateEncoder;
use flate2::Compression;
use serde_json::{json, Value};

use super::*;
use crate::analyze_bytes;
use crate::knowledge::redact::redact;

const TRACE: &str = include_str!("../../fixtures/scenarios/sas-expired.dotnet-legacy-trace.log");
const SIG: &str = "Q2xpZW50U2VjcmV0U2lnbmF0dXJlMTIzNDU2Nzg5MA";

fn sas_report() -> Report {
    analyze_bytes(
        "sas-expired.dotnet-legacy-trace.log",
        TRACE.as_bytes(),
        None,
    )
    .unwrap()
    .1
}

/// Deflate + base64url of arbitrary bytes: how a hand-made (hostile) link is built.
fn pack_raw(bytes: &[u8]) -> String {
    let mut z = DeflateEncoder::new(Vec::new(), Compression::default());
    z.write_all(bytes).unwrap();
    base64url_encode(&z.finish().unwrap())
}

fn pack_json(v: &Value) -> String {
    pack_raw(v.to_string().as_bytes())
}

fn minimal() -> Value {
    json!({
        "schema": 1,
        "inputs": [{"path": "a.log", "format": "dotnet-legacy-trace"}],
        "findings": [{
            "rule": "sas-expired", "severity": "error", "title": "t",
            "confidence": {"level": "high"}, "count": 1,
            "evidence": [{"path": "a.log", "line": 3}]
        }],
        "summary": {}
    })
}

#[test]
fn a_report_survives_the_round_trip() {
    let report = sas_report();
    let enc = encode(&report).unwrap();
    assert_eq!(enc.evidence_per_finding, None);
    assert!(enc.payload.len() < 4096, "{} characters", enc.payload.len());
    let shared = decode(&enc.payload).unwrap();
    assert_eq!(shared.schema, SCHEMA);
    assert_eq!(shared.inputs.len(), 1);
    assert_eq!(shared.inputs[0].path, "sas-expired.dotnet-legacy-trace.log");
    assert_eq!(shared.inputs[0].format, "dotnet-legacy-trace");
    assert_eq!(shared.inputs[0].events, 4);

    // The JSON the page reads has the CLI report's findings and summary, field for field.
    let original: Value = serde_json::from_str(&report.to_json()).unwrap();
    let back: Value = serde_json::from_str(&decode_to_json(&enc.payload).unwrap()).unwrap();
    assert_eq!(back["version"], 1);
    assert_eq!(back["findings"], original["findings"]);
    assert_eq!(back["summary"], original["summary"]);
    assert_eq!(back["inputs"][0]["path"], original["inputs"][0]["path"]);
    assert_eq!(back["inputs"][0]["skipped"], json!([]));

    // The CLI JSON and the Report give the same link.
    assert_eq!(encode_json(&report.to_json()).unwrap(), enc);
}

#[test]
fn links_are_fragment_safe() {
    let enc = encode(&sas_report()).unwrap();
    assert!(enc
        .payload
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
}

#[test]
fn no_secret_of_the_inputs_reaches_a_link() {
    // The service's time-frame message is quoted as evidence, so secrets planted in it (and in
    // the URL) would travel with the finding if redaction missed them.
    let key = "c2VjcmV0LWFjY291bnQta2V5LWZvci10ZXN0aW5nLW9ubHk=";
    let bearer = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ0ZXN0In0.c2lnbmF0dXJl";
    let trace = TRACE.replacen(
        "Exception thrown while waiting for response: The remote server returned an error: (403) Forbidden..",
        &format!(
            "Exception thrown while waiting for response: The remote server returned an error: (403) Forbidden. \
             Signature not valid in the specified time frame: Start [Tue, 05 Mar 2024 01:00:00 GMT] - \
             Expiry [Tue, 05 Mar 2024 02:00:00 GMT] - Current [Tue, 05 Mar 2024 02:00:13 GMT] \
             retried with sig=XXXXX; \
             DefaultEndpointsProtocol=https;AccountName=contosoapp;AccountKey={key};EndpointSuffix=core.windows.net \
             Authorization: Bearer {bearer}."
        ),
        1,
    );
    let (_, report) = analyze_bytes("t.log", trace.as_bytes(), None).unwrap();
    let detail = report.findings[0]
        .evidence
        .iter()
        .find_map(|e| e.fields.get("detail"))
        .expect("the time-frame message is quoted as evidence");
    assert!(detail.contains("AccountKey=REDACTED"), "{detail}");

    let enc = encode(&report).unwrap();
    let json = decode_to_json(&enc.payload).unwrap();
    // The payload is compressed, so only its decoded JSON can show a secret.
    for secret in [SIG, key, bearer] {
        assert!(!json.contains(secret), "{secret} in {json}");
    }
    // A value the log had already masked is not a secret, and stays as it was.
    assert!(json.contains("sig=XXXXX"), "{json}");
}

#[test]
fn strings_are_redacted_again_when_a_link_is_made_and_read() {
    // As if a rule had quoted a secret the parser did not recognise as one.
    let mut cli: Value = serde_json::from_str(&sas_report().to_json()).unwrap();
    cli["findings"][0]["title"] = json!("uploads?sv=2019-02-02&sig=AbCdEfGhIjKlMnOpQrStUv%3D");
    cli["findings"][0]["evidence"][0]["fields"]["AccountKey=bWFkZS11cC1rZXk="] = json!("x");
    let enc = encode_json(&cli.to_string()).unwrap();
    let json = decode_to_json(&enc.payload).unwrap();
    assert!(!json.contains("AbCdEfGhIjKlMnOpQrStUv"), "{json}");
    assert!(!json.contains("bWFkZS11cC1rZXk"), "{json}");
    assert!(json.contains("sig=REDACTED"));

    // A hand-made link with a secret in it does not show the secret either.
    let mut v = minimal();
    v["findings"][0]["evidence"][0]["fields"] = json!({"url": "https://a/b?sig=SeCrEtSeCrEt"});
    let shared = decode(&pack_json(&v)).unwrap();
    assert_eq!(
        shared.findings[0].evidence[0].fields["url"],
        "https://a/b?sig=REDACTED"
    );
}

#[test]
fn malformed_links_give_clear_errors() {
    let cases: Vec<(String, &str)> = vec![
        (String::new(), "holds no report"),
        ("abc$def".into(), "character 4 ('$')"),
        ("abc%20def".into(), "character 4 ('%')"),
        ("abcdé".into(), "character 5 ('é')"),
        ("abcde".into(), "cut short"),
        ("AAAAAAAA".into(), "compressed data is corrupt"),
        (pack_raw(b"not json"), "JSON is malformed"),
        (pack_raw(&[0xff, 0xfe, 0x00]), "JSON is malformed"),
        (pack_json(&json!("a string")), "not a shared report"),
        (pack_json(&json!({"version": 1})), "no schema number"),
        (
            pack_json(&json!({"schema": "one"})),
            "not a shared report (invalid type: string",
        ),
        (pack_json(&json!({"schema": 0})), "schema 0 does not exist"),
        (pack_json(&json!({"schema": 7})), "newer version"),
        (pack_json(&json!({"schema": 1})), "expected fields"),
    ];
    for (payload, expected) in cases {
        let err = decode(&payload).unwrap_err().to_string();
        assert!(err.contains(expected), "{payload:?}: {err}");
    }
    // A link truncated anywhere is refused, never half-read.
    let good = encode(&sas_report()).unwrap().payload;
    for cut in 1..good.len() {
        assert!(decode(&good[..cut]).is_err(), "cut at {cut}");
    }
}

#[test]
fn reports_that_break_the_schema_are_refused() {
    let mutate = |f: &dyn Fn(&mut Value)| {
        let mut v = minimal();
        f(&mut v);
        decode(&pack_json(&v)).unwrap_err().to_string()
    };
    assert!(decode(&pack_json(&minimal())).is_ok());
    let e = mutate(&|v| v["findings"][0]["severity"] = json!("fatal"));
    assert!(e.contains("unknown variant"), "{e}");
    let e = mutate(&|v| v["findings"][0]["rule"] = json!("<img src=x onerror=alert(1)>"));
    assert!(e.contains("finding 1 has a malformed rule id"), "{e}");
    let e = mutate(&|v| v["inputs"][0]["format"] = json!("\"><svg onload=alert(1)>"));
    assert!(e.contains("input 1 has a malformed format id"), "{e}");
    let e = mutate(&|v| v["findings"][0]["evidence"][0]["status"] = json!(70000));
    assert!(e.contains("expected fields"), "{e}");
    let e = mutate(&|v| {
        let row = v["findings"][0]["evidence"][0].clone();
        v["findings"][0]["evidence"] = Value::Array(vec![row; MAX_EVIDENCE + 1]);
        v["findings"][0]["count"] = json!(1000);
    });
    assert!(e.contains("51 evidence rows (at most 50)"), "{e}");
}

#[test]
fn oversized_and_hostile_links_are_refused() {
    let long = "A".repeat(MAX_PAYLOAD + 1);
    assert_eq!(
        decode(&long).unwrap_err(),
        ShareError::TooLong {
            len: MAX_PAYLOAD + 1,
            max: MAX_PAYLOAD
        }
    );
    // A deflate bomb: a few kilobytes of link that would inflate to 8 MiB.
    let bomb = pack_raw(&vec![b' '; 8 * 1024 * 1024]);
    assert!(bomb.len() < MAX_PAYLOAD, "{}", bomb.len());
    assert_eq!(
        decode(&bomb).unwrap_err(),
        ShareError::TooLarge { max: MAX_JSON }
    );
    // Exactly at the limit is still read (and then found not to be a report).
    let at_limit = pack_raw(&vec![b' '; MAX_JSON]);
    assert!(decode(&at_limit)
        .unwrap_err()
        .to_string()
        .contains("JSON is malformed"));
    // Deep nesting stops at serde_json's recursion limit instead of overflowing the stack.
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    assert!(decode(&pack_raw(deep.as_bytes())).is_err());
}

#[test]
fn damaged_links_never_panic() {
    let good = encode(&sas_report()).unwrap().payload;
    let alphabet = b"A_9";
    let bytes = good.as_bytes();
    // Every fifth position replaced by other alphabet characters: corrupt deflate streams, broken JSON,
    // or (rarely) a still-valid report; all must return.
    for i in (0..bytes.len()).step_by(5) {
        for c in alphabet {
            let mut b = bytes.to_vec();
            b[i] = *c;
            let _ = decode(std::str::from_utf8(&b).unwrap());
        }
    }
    // Pseudo-random payloads of every length up to a few hundred characters.
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    for len in 0..400 {
        let s: String = (0..len)
            .map(|_| {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                ALPHABET[(seed % 64) as usize] as char
            })
            .collect();
        let _ = decode(&s);
    }
}

#[test]
fn a_large_report_keeps_fewer_evidence_rows_to_fit() {
    // Rows that compress badly (distinct pseudo-random ids), 50 per finding, 40 findings.
    let mut seed = 7u64;
    let mut noise = || {
        (0..4)
            .map(|_| {
                seed = seed
                    .wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(1_442_695_040_888_963_407);
                format!("{:016x}", seed)
            })
            .collect::<String>()
    };
    let findings: Vec<Value> = (0..40)
        .map(|_| {
            let evidence: Vec<Value> = (0..50)
                .map(|i| json!({"path": "a.log", "line": i, "client_request_id": noise()}))
                .collect();
            json!({"rule": "sas-expired", "severity": "error", "title": noise(),
                   "explanation": "", "fix": [], "confidence": {"level": "low", "raise_with": ""},
                   "count": 50, "evidence": evidence})
        })
        .collect();
    let cli = json!({"version": 1, "inputs": [], "findings": findings, "summary": {}});
    let enc = encode_json(&cli.to_string()).unwrap();
    let cap = enc.evidence_per_finding.expect("evidence was cut");
    assert!(cap < 50);
    assert!(enc.payload.len() <= MAX_PAYLOAD);
    let shared = decode(&enc.payload).unwrap();
    assert!(shared.findings.iter().all(|f| f.evidence.len() == cap));
    assert!(shared.findings.iter().all(|f| f.count == 50));

    // Too many findings even without evidence: a clear refusal.
    let huge: Vec<Value> = (0..4000)
        .map(|_| {
            json!({"rule": "sas-expired", "severity": "error", "title": noise(),
                   "confidence": {"level": "low"}, "count": 1})
        })
        .collect();
    let cli = json!({"version": 1, "inputs": [], "findings": huge, "summary": {}});
    let err = encode_json(&cli.to_string()).unwrap_err();
    assert!(matches!(err, ShareError::ReportTooLarge { .. }), "{err}");
}

#[test]
fn base64url_matches_rfc_4648() {
    // RFC 4648 §10 vectors, in the URL alphabet without padding.
    for (plain, coded) in [
        ("", ""),
        ("f", "Zg"),
        ("fo", "Zm8"),
        ("foo", "Zm9v"),
        ("foob", "Zm9vYg"),
        ("fooba", "Zm9vYmE"),
        ("foobar", "Zm9vYmFy"),
    ] {
        assert_eq!(base64url_encode(plain.as_bytes()), coded);
        assert_eq!(base64url_decode(coded).unwrap(), plain.as_bytes());
    }
    // The two characters that differ from standard base64.
    assert_eq!(base64url_encode(&[0xfb, 0xff]), "-_8");
    let all: Vec<u8> = (0..=255).collect();
    for len in 0..all.len() {
        assert_eq!(
            base64url_decode(&base64url_encode(&all[..len])).unwrap(),
            &all[..len]
        );
    }
}

/// The generic way to redact every string of a JSON value, keys included: the oracle for the
/// typed redaction, so a string field added to the schema without being redacted fails here.
fn redact_value(v: &mut Value) {
    match v {
        Value::String(s) => *s = redact(s).into_owned(),
        Value::Array(items) => items.iter_mut().for_each(redact_value),
        Value::Object(map) => {
            let entries = std::mem::take(map);
            for (k, mut item) in entries {
                redact_value(&mut item);
                map.insert(redact(&k).into_owned(), item);
            }
        }
        Value::Null | Value::Bool(_) | Value::Number(_) => {}
    }
}

#[test]
fn typed_redaction_reaches_every_string_of_the_schema() {
    // Every string field and map key holds a secret; every optional part is present.
    let mut n = 0;
    let mut secret = || {
        n += 1;
        format!("x?sig=SeCrEt{n:03}AAAAAAAAAAAAAAAA")
    };
    let evidence = SharedEvidence {
        path: secret(),
        line: 1,
        time: Some(secret()),
        client_request_id: secret(),
        request_id: secret(),
        status: Some(403),
        error_code: secret(),
        fields: [(secret(), secret()), (secret(), secret())]
            .into_iter()
            .collect(),
    };
    let mut report = SharedReport {
        schema: SCHEMA,
        inputs: vec![SharedInput {
            path: secret(),
            format: secret(),
            confidence: 1.0,
            events: 1,
            lines: 1,
            skipped_total: 0,
        }],
        findings: vec![SharedFinding {
            rule: secret(),
            severity: SharedSeverity::Error,
            title: secret(),
            explanation: secret(),
            fix: vec![secret(), secret()],
            confidence: SharedConfidence {
                level: SharedLevel::Low,
                raise_with: secret(),
            },
            first_seen: Some(secret()),
            last_seen: Some(secret()),
            count: 1,
            evidence: vec![evidence],
            kql: Some(secret()),
            cors_rule: Some(SharedCorsRule {
                service: secret(),
                allowed_origins: vec![secret()],
                allowed_methods: vec![secret()],
                allowed_headers: vec![secret()],
                exposed_headers: vec![secret()],
                max_age_seconds: 1,
            }),
        }],
        summary: SharedSummary {
            events: 1,
            requests: 1,
            time_range: Some([secret(), secret()]),
            success_percent: Some(1.0),
            adjusted_success_percent: Some(1.0),
            clock_skew: vec![SharedSkew {
                source: secret(),
                seconds: 1.0,
            }],
        },
    };
    let mut expected = serde_json::to_value(&report).unwrap();
    let planted = expected.to_string().matches("SeCrEt").count();
    assert_eq!(planted, 28, "every string field holds a secret");
    redact_value(&mut expected);
    report.redact();
    let typed = serde_json::to_value(&report).unwrap();
    assert_eq!(typed, expected);
    assert!(!typed.to_string().contains("SeCrEt"));
}
