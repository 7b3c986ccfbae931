use super::*;

const SAS_EXPIRED: &str = "\u{feff}<?xml version=\"1.0\" encoding=\"utf-8\"?><Error><Code>AuthenticationFailed</Code><Message>Server failed to authenticate the request. Make sure the value of Authorization header is formed correctly including the signature.\nRequestId:2c4a6e1b-801e-0055-3f7a-6e2b1d000000\nTime:2024-03-05T02:00:13.5312345Z</Message><AuthenticationErrorDetail>Signature not valid in the specified time frame: Start [Tue, 05 Mar 2024 01:00:00 GMT] - Expiry [Tue, 05 Mar 2024 02:00:00 GMT] - Current [Tue, 05 Mar 2024 02:00:13 GMT]</AuthenticationErrorDetail></Error>";

#[test]
fn error_body_xml_with_bom_and_message_lines() {
    let b = parse_error_body(SAS_EXPIRED).unwrap();
    assert_eq!(b.code, "AuthenticationFailed");
    assert!(b.message.starts_with("Server failed to authenticate"));
    assert!(b.message.ends_with("signature."), "{}", b.message);
    assert_eq!(b.request_id, "2c4a6e1b-801e-0055-3f7a-6e2b1d000000");
    assert_eq!(b.time, "2024-03-05T02:00:13.5312345Z");
    assert!(b
        .authentication_detail
        .starts_with("Signature not valid in the specified time frame"));
    assert_eq!(b.detail(), b.authentication_detail);
}

#[test]
fn error_body_json_escaped_with_literal_newlines() {
    // As a JSON log line carries it: quotes escaped, newlines as two characters, `<` as \u003C.
    let s = r#"\u003C?xml version=\"1.0\" encoding=\"utf-8\"?\u003E\u003CError\u003E\u003CCode\u003EBlobNotFound\u003C/Code\u003E\u003CMessage\u003EThe specified blob does not exist.\nRequestId:9f1c2d3e-a01e-0033-1b2c-5e6f7a000000\nTime:2024-05-01T10:00:00.1234567Z\u003C/Message\u003E\u003C/Error\u003E"#;
    let b = parse_error_body(s).unwrap();
    assert_eq!(b.code, "BlobNotFound");
    assert_eq!(b.message, "The specified blob does not exist.");
    assert_eq!(b.request_id, "9f1c2d3e-a01e-0033-1b2c-5e6f7a000000");
    assert_eq!(b.detail(), "The specified blob does not exist.");
}

#[test]
fn error_body_html_escaped_and_flattened() {
    let s = "&lt;?xml version=&quot;1.0&quot; encoding=&quot;utf-8&quot;?&gt;&lt;Error&gt;&lt;Code&gt;ContainerAlreadyExists&lt;/Code&gt;&lt;Message&gt;The specified container already exists. RequestId:77a1b2c3-d01e-0044-5e6f-7a8b9c000000 Time:2024-05-01T10:00:01.0000000Z&lt;/Message&gt;&lt;/Error&gt;";
    let b = parse_error_body(s).unwrap();
    assert_eq!(b.code, "ContainerAlreadyExists");
    assert_eq!(b.message, "The specified container already exists.");
    assert_eq!(b.request_id, "77a1b2c3-d01e-0044-5e6f-7a8b9c000000");
    assert_eq!(b.time, "2024-05-01T10:00:01.0000000Z");
}

#[test]
fn error_body_entities_inside_message_are_decoded() {
    let s = "<Error><Code>AuthenticationFailed</Code><Message>x</Message><AuthenticationErrorDetail>Signature did not match. String to sign used was r\n2024-01-01T00:00:00Z\n/blob/acct/c\n&amp;x</AuthenticationErrorDetail></Error>";
    let b = parse_error_body(s).unwrap();
    assert!(b.authentication_detail.ends_with("/blob/acct/c\n&x"));
    assert_eq!(
        server_string_to_sign(b.detail()).unwrap(),
        "r\\n2024-01-01T00:00:00Z\\n/blob/acct/c\\n&x"
    );
}

#[test]
fn error_body_truncated_after_code() {
    let b = parse_error_body("<?xml version=\"1.0\"?><Error><Code>ServerBusy</Code><Mess").unwrap();
    assert_eq!(b.code, "ServerBusy");
    assert_eq!(b.message, "");
}

#[test]
fn error_body_json_table_and_datalake() {
    let t = r#"{"odata.error":{"code":"TableNotFound","message":{"lang":"en-US","value":"The table specified does not exist.\nRequestId:0b1c2d3e-f002-0011-2233-445566000000\nTime:2024-05-01T10:00:02.0000000Z"}}}"#;
    let b = parse_error_body(t).unwrap();
    assert_eq!(b.code, "TableNotFound");
    assert_eq!(b.message, "The table specified does not exist.");
    assert_eq!(b.request_id, "0b1c2d3e-f002-0011-2233-445566000000");
    let d = r#"{"error":{"code":"PathNotFound","message":"The specified path does not exist.\nRequestId:1\nTime:2"}}"#;
    let b = parse_error_body(d).unwrap();
    assert_eq!(b.code, "PathNotFound");
    assert_eq!(b.message, "The specified path does not exist.");
}

#[test]
fn error_body_absent() {
    assert_eq!(parse_error_body(""), None);
    assert_eq!(parse_error_body("Service request failed."), None);
    assert_eq!(parse_error_body("{\"code\":\"x\"}"), None);
}

#[test]
fn header_lookup_is_case_insensitive_and_skips_masked() {
    let h = vec![
        ("X-Ms-Date".to_string(), "REDACTED".to_string()),
        ("x-ms-client-request-id".to_string(), " abc ".to_string()),
    ];
    assert_eq!(header(&h, "x-ms-date"), Some("REDACTED"));
    assert_eq!(known_header(&h, "x-ms-date"), None);
    assert_eq!(known_header(&h, "X-MS-CLIENT-REQUEST-ID"), Some("abc"));
    assert_eq!(header(&h, "Date"), None);
}

#[test]
fn header_lines() {
    assert_eq!(
        split_header_line("x-ms-date:Sat, 24 Feb 2024 10:36:20 GMT"),
        Some(("x-ms-date", "Sat, 24 Feb 2024 10:36:20 GMT"))
    );
    assert_eq!(split_header_line("  Date: [x]"), Some(("Date", "[x]")));
    assert_eq!(
        split_header_line("Executing 'Functions.X' (Reason='New blob: a')"),
        None
    );
    assert_eq!(split_header_line("no colon here"), None);
}

#[test]
fn auth_kinds() {
    let sas = "https://a.blob.core.windows.net/c/b?sv=2021-10-04&sig=REDACTED";
    assert_eq!(auth_kind(sas, None, true), AuthKind::Sas);
    let plain = "https://a.blob.core.windows.net/c/b";
    assert_eq!(
        auth_kind(plain, Some("Bearer eyJ0eXAi"), true),
        AuthKind::OAuth
    );
    assert_eq!(
        auth_kind(plain, Some("SharedKey a:xyz="), true),
        AuthKind::SharedKey
    );
    assert_eq!(auth_kind(plain, Some("REDACTED"), true), AuthKind::Unknown);
    assert_eq!(auth_kind(plain, None, true), AuthKind::Anonymous);
    assert_eq!(auth_kind(plain, None, false), AuthKind::Unknown);
}

#[test]
fn server_string_to_sign_forms() {
    let mac = "The MAC signature found in the HTTP request 'abc=' is not the same as any computed signature. Server used following string to sign: 'GET\n\n\nx-ms-date:Tue, 05 Mar 2024 02:00:00 GMT\n/acct/c'.";
    assert_eq!(
        server_string_to_sign(mac).unwrap(),
        "GET\\n\\n\\nx-ms-date:Tue, 05 Mar 2024 02:00:00 GMT\\n/acct/c"
    );
    assert_eq!(server_string_to_sign("Signature not valid"), None);
}

#[test]
fn token_endpoints() {
    assert!(token_endpoint("https://login.microsoftonline.com/organizations/v2.0/x").is_some());
    assert!(token_endpoint("http://169.254.169.254/metadata/identity/oauth2/token").is_some());
    assert!(token_endpoint("https://a.blob.core.windows.net/c").is_none());
}

#[test]
fn exchange_to_event_derives_fields() {
    let x = Exchange {
        method: Method::Put,
        url: "https://acct.blob.core.windows.net/c/b.txt?sv=2021-10-04&se=2024-03-05T02%3A00%3A00Z&sig=AbCdEf%2B123".into(),
        status: 403,
        reason: "Server failed to authenticate the request.".into(),
        request_headers: vec![
            ("x-ms-client-request-id".into(), "0d3662ef-5c42-44dd-8c01-0a4353c87670".into()),
            ("x-ms-date".into(), "Tue, 05 Mar 2024 02:00:13 GMT".into()),
            ("x-ms-version".into(), "2021-10-04".into()),
            ("If-None-Match".into(), "*".into()),
        ],
        response_headers: vec![
            ("x-ms-request-id".into(), "2c4a6e1b-801e-0055-3f7a-6e2b1d000000".into()),
            ("x-ms-error-code".into(), "AuthenticationFailed".into()),
            ("Date".into(), "Tue, 05 Mar 2024 02:00:13 GMT".into()),
        ],
        error_body: parse_error_body(SAS_EXPIRED),
        retry_attempt: Some(1),
        ..Default::default()
    };
    let ev = x.to_event();
    assert_eq!(ev.operation, "PutBlob");
    assert_eq!(ev.error_code, "AuthenticationFailed");
    assert_eq!(ev.client_request_id, "0d3662ef-5c42-44dd-8c01-0a4353c87670");
    assert_eq!(ev.request_id, "2c4a6e1b-801e-0055-3f7a-6e2b1d000000");
    assert_eq!(ev.auth, AuthKind::Sas);
    assert_eq!(ev.time.unwrap().to_string(), "2024-03-05T02:00:13Z");
    let get = |f: Field| {
        ev.extras
            .iter()
            .find(|(k, _)| *k == f)
            .map(|(_, v)| v.as_ref())
    };
    assert!(get(Field::Detail)
        .unwrap()
        .starts_with("Signature not valid"));
    assert_eq!(get(Field::RetryAttempt), Some("1"));
    assert_eq!(get(Field::Conditions), Some("If-None-Match=*"));
    assert_eq!(get(Field::XmsVersion), Some("2021-10-04"));
}

#[test]
fn exchange_without_url_takes_service_from_server_header() {
    let x = Exchange {
        status: 404,
        reason: "The specified queue does not exist.".into(),
        response_headers: vec![(
            "Server".into(),
            "Windows-Azure-Queue/1.0 Microsoft-HTTPAPI/2.0".into(),
        )],
        ..Default::default()
    };
    let ev = x.to_event();
    assert_eq!(ev.service, Service::Queue);
    assert_eq!(ev.operation, "");
    assert_eq!(ev.auth, AuthKind::Unknown);
}
