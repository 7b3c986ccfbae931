use super::*;

/// What serde reads from `line` (the reference the fast reader must agree with).
fn serde_record(line: &str) -> Option<Record<'_>> {
    serde_json::from_str(line).ok()
}

/// The fast reader's answer must be serde's whenever it gives one.
fn agrees(line: &str) -> bool {
    match record(line) {
        Some(r) => {
            assert_eq!(Some(&r), serde_record(line).as_ref(), "{line}");
            true
        }
        None => false,
    }
}

/// A SAS record and an OAuth record as the service writes them (the second with a role
/// assignment and a requester), and one with the fields the parser reads given odd values.
const LINES: [&str; 3] = [
    r#"{"time":"2024-03-05T00:00:00.0004100Z","resourceId":"/subscriptions/3f2a9c1e-5b7d-4e8f-9a0b-1c2d3e4f5a6b/resourceGroups/contoso-rg/providers/Microsoft.Storage/storageAccounts/contosoprod/blobServices/default","category":"StorageRead","operationName":"GetBlobProperties","operationVersion":"2022-11-02","schemaVersion":"1.0","statusCode":200,"statusText":"SASSuccess","durationMs":28,"callerIpAddress":"62.189.96.29:52923","correlationId":"1525d18d-001e-badb-4e58-b44db1000000","identity":{"type":"SAS","tokenHash":"key1(67F8F5A2),SasSignature(00000000033)"},"location":"westeurope","properties":{"accountName":"contosoprod","userAgentHeader":"azsdk-js-storage-blob/12.17.0 (NODE-VERSION v20.11.1; Linux)","clientRequestId":"ec926e31-9b26-4c3b-893b-c749ec53f697","serviceType":"blob","objectKey":"/contosoprod/reports/item-03019.csv","metricResponseType":"Success","serverLatencyMs":22,"requestHeaderSize":726,"tlsVersion":"TLS 1.2","etag":"\"0x8DC3C0DA1A846EA\"","lastModifiedTime":"3/4/2024 9:46:22 AM"},"uri":"https://contosoprod.blob.core.windows.net:443/reports/item-03019.csv?sv=2022-11-02&sr=c&sp=rw&sig=XXXXX&timeout=30","protocol":"HTTPS","resourceType":"Microsoft.Storage/storageAccounts/blobServices"}"#,
    r#"{"time":"2024-03-05T00:00:00.0037360Z","resourceId":"/subscriptions/x/providers/Microsoft.Storage/storageAccounts/contosoprod/blobServices/default","category":"StorageRead","operationName":"GetBlob","operationVersion":"2023-11-03","statusCode":403,"statusText":"AuthorizationPermissionMismatch","durationMs":50,"callerIpAddress":"10.1.12.40:55866","correlationId":"e4b54b9b-301e-03c2-21a5-c33a06000000","identity":{"type":"OAuth","tokenHash":"","authorization":[{"action":"Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read","roleAssignmentId":"ca8af92a","principals":[{"id":"e5981635","type":"User"}],"denyAssignmentId":"","type":"RBAC","result":"Denied","reason":"NoAssignment"},{"action":"x","result":"Granted"}],"requester":{"appId":"691458b9","tenantId":"72f988bf"}},"properties":{"accountName":"contosoprod","userAgentHeader":"azsdk-net-Storage.Blobs/12.19.1","referrerHeader":"https://app.contoso.com/","clientRequestId":"180c5fab-b064-4fe1-ace5-c5a732198ffc","serviceType":"blob","objectKey":"/contosoprod/static/item-05150.zip","metricResponseType":"AuthorizationError","serverLatencyMs":16,"conditionsUsed":"If-Match=0x1","requestUrl":"https://contosoprod.blob.core.windows.net/static/item-05150.zip"},"uri":"https://contosoprod.blob.core.windows.net:443/static/item-05150.zip"}"#,
    r#" { "time" : "2024-03-05T00:00:01Z" , "operationName" : "PutBlob", "statusCode" : "Unknown", "durationMs" : -0, "identity" : null, "properties" : { "serverLatencyMs" : true, "accountName" : null, "nested" : { "a" : [ 1, -2.5e+3, 0.25, "s\u00e9\n\/", { } , [ ] , false, null ] } }, "uri" : null, "extra" : 12345678901234567890123 } "#,
];

#[test]
fn usual_records_are_read_as_serde_reads_them() {
    for line in LINES {
        assert!(
            agrees(line),
            "the fast reader declined a usual record: {line}"
        );
    }
    let r = record(LINES[1]).unwrap();
    let id = r.identity.unwrap();
    assert_eq!(id.authorization.len(), 2);
    assert_eq!(id.authorization[0].result.as_deref(), Some("Denied"));
    assert_eq!(r.status_code, Some(Num(Some(403.0))));
    let r = record(LINES[2]).unwrap();
    assert_eq!(r.status_code, Some(Num(None)));
    assert_eq!(r.properties.unwrap().server_latency_ms, Some(Num(None)));
}

#[test]
fn every_one_line_record_of_the_fixtures_agrees() {
    let files: [&[u8]; 3] = [
        include_bytes!("../../../fixtures/resource-log-json/PT1H.json"),
        include_bytes!("../../../fixtures/resource-log-json/eventhubs-one-line.json"),
        include_bytes!(
            "../../../fixtures/samples/resourcelog-blob_304-ConditionNotMet_sanitized.json"
        ),
    ];
    let mut read = 0;
    for file in files {
        for line in std::str::from_utf8(file).unwrap().lines() {
            let t = line.trim();
            if t.starts_with('{') && t.ends_with('}') && agrees(t) {
                read += 1;
            }
        }
    }
    assert!(
        read >= 10,
        "only {read} fixture lines read by the fast reader"
    );
}

#[test]
fn what_serde_must_decide_is_declined() {
    for line in [
        // An escape in a field that is read, and in a key.
        r#"{"time":"2024-03-05T00:00:01Z","operationName":"Put\u0042lob"}"#,
        r#"{"time":"2024-03-05T00:00:01Z","\u006FperationName":"PutBlob"}"#,
        // A field given twice (serde refuses the record).
        r#"{"time":"2024-03-05T00:00:01Z","time":"2024-03-05T00:00:02Z"}"#,
        r#"{"properties":{"objectKey":"a","objectKey":"b"}}"#,
        // A fraction in a number field (serde's float reading decides the value).
        r#"{"time":"2024-03-05T00:00:01Z","durationMs":1.5}"#,
        r#"{"time":"2024-03-05T00:00:01Z","durationMs":1e3}"#,
        // The Event Hubs envelope.
        r#"{"records":[{"time":"2024-03-05T00:00:01Z"}]}"#,
        // Unexpected types.
        r#"{"time":5}"#,
        r#"{"identity":[]}"#,
        r#"{"identity":{"authorization":null}}"#,
        r#"{"identity":{"authorization":[null]}}"#,
        // Not JSON.
        r#"{"time":"2024-03-05T00:00:01Z",}"#,
        r#"{"time":"2024-03-05T00:00:01Z" "x":1}"#,
        r#"{"x":01}"#,
        r#"{"x":tru}"#,
        r#"{"x":"a\qb"}"#,
        "{\"x\":\"a\u{1}b\"}",
        r#"{"x":[1,]}"#,
        r#"{"time":"2024-03-05T00:00:01Z"} x"#,
    ] {
        assert!(record(line).is_none(), "{line}");
    }
}

#[test]
fn damaged_records_never_disagree_with_serde() {
    // Every byte of each record replaced by bytes that matter to JSON, deleted, or doubled:
    // whatever the fast reader answers must be serde's answer.
    let swaps: [&str; 22] = [
        "\"", "\\", "{", "}", "[", "]", ",", ":", " ", "0", "9", "-", ".", "e", "n", "t", "f", "a",
        "\u{1}", "é", "\\u00", "\\\"",
    ];
    let mut answered = 0;
    for line in LINES {
        let b = line.as_bytes();
        for i in 0..b.len() {
            if !line.is_char_boundary(i) {
                continue;
            }
            let next = (i + 1..=b.len())
                .find(|&j| line.is_char_boundary(j))
                .unwrap();
            let (head, tail) = (&line[..i], &line[next..]);
            let mut variants: Vec<String> =
                swaps.iter().map(|s| format!("{head}{s}{tail}")).collect();
            variants.push(format!("{head}{tail}"));
            variants.push(format!("{head}{}{}", &line[i..next], &line[i..]));
            for v in &variants {
                if agrees(v) {
                    answered += 1;
                }
            }
        }
    }
    // Many damaged records are still valid JSON the fast reader takes (a changed digit, a
    // changed letter in a value): the comparison above is not vacuous.
    assert!(answered > 1000, "{answered}");
}

#[test]
fn the_vector_search_finds_what_a_byte_loop_finds() {
    let reference =
        |b: &[u8], i: usize| (i..b.len()).find(|&k| b[k] == b'"' || b[k] == b'\\' || b[k] < 0x20);
    for len in 0..70 {
        for at in 0..=len {
            for special in [b'"', b'\\', 0x00, 0x1F, 0x20, 0x7F, 0x80, 0xFF, b'a'] {
                let mut b = vec![b'x'; len];
                if at < len {
                    b[at] = special;
                }
                for from in [0, 1, 15, 16, 17, len] {
                    assert_eq!(
                        special_at(&b, from),
                        reference(&b, from),
                        "{len} {at} {special} {from}"
                    );
                }
            }
        }
    }
}
