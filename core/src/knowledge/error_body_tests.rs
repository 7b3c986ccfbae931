use super::*;

const AUTH_MSG: &str = "Server failed to authenticate the request. Make sure the value of Authorization header is formed correctly including the signature.";

#[test]
fn compact_body_as_the_service_sends_it() {
    let text = include_str!(
        "../../fixtures/samples/service-error-xml_403-AuthenticationFailed_sas-expired-no-st.xml"
    );
    let b = parse_error_body(text).unwrap();
    assert_eq!(b.code, "AuthenticationFailed");
    assert_eq!(b.message, AUTH_MSG);
    assert_eq!(b.request_id, "d236f092-801e-007a-51e2-57e2ef000000");
    assert_eq!(b.time, "2024-12-26T22:05:37.0687700Z");
    assert_eq!(
        b.timestamp().unwrap().to_string(),
        "2024-12-26T22:05:37.068770Z"
    );
    assert_eq!(
        b.auth_detail,
        "Signed expiry time [Thu, 26 Dec 2024 22:02:26 GMT] must be after signed start time [Thu, 26 Dec 2024 22:05:37 GMT]"
    );
    assert_eq!(b.server_string_to_sign, "");
    assert_eq!(
        b.detail(),
        format!("{AUTH_MSG} Signed expiry time [Thu, 26 Dec 2024 22:02:26 GMT] must be after signed start time [Thu, 26 Dec 2024 22:05:37 GMT]")
    );
}

#[test]
fn pretty_printed_with_indentation() {
    let text = include_str!(
        "../../fixtures/samples/service-error-xml_403-AuthenticationFailed_sas-expired_docs-tutorial.xml"
    );
    let b = parse_error_body(text).unwrap();
    assert_eq!(b.code, "AuthenticationFailed");
    // The docs copy has a comma the service does not write; it is kept as given.
    assert!(b
        .message
        .starts_with("Server failed to authenticate the request. Make sure"));
    assert!(b.message.ends_with("including the signature."));
    assert_eq!(b.request_id, "03eda893-f01e-0028-2d73-c5c947000000");
    assert_eq!(b.time, "2021-01-07T16:02:55.3752851Z");
    assert!(b
        .auth_detail
        .starts_with("Signed expiry time [Tue, 07 Jan 2021 16:02:00 GMT]"));
}

#[test]
fn go_quoted_dump_with_literal_escapes_and_bom() {
    let text = include_str!(
        "../../fixtures/samples/service-error-xml_403-AuthenticationFailed_request-date-too-old_autorest-go.txt"
    );
    let (b, range) = find_error_body(text).unwrap();
    assert_eq!(b.code, "AuthenticationFailed");
    assert_eq!(b.message, AUTH_MSG);
    assert_eq!(b.request_id, "cba2935f-1003-006f-071d-db55f6000000");
    assert_eq!(b.time, "2020-02-04T05:38:45.4268197Z");
    assert_eq!(
        b.auth_detail,
        "Request date header too old: 'Fri, 31 Jan 2020 12:28:37 GMT'"
    );
    // The range covers the escaped XML in the original text, not the Go error text after it.
    assert!(text[range.clone()].starts_with("<Error>"));
    assert!(text[range].ends_with("</Error>"));
}

#[test]
fn several_bodies_joined_by_separators() {
    let text = include_str!(
        "../../fixtures/samples/service-error-xml_403-AuthenticationFailed_signature-did-not-match_examples.txt"
    );
    let (first, r1) = find_error_body(text).unwrap();
    assert_eq!(first.request_id, "eeef7192-001e-0000-57a0-75692e000000");
    assert_eq!(first.time, "2022-06-01T10:14:25.8670350Z");
    assert_eq!(first.message, AUTH_MSG);
    // Pasted with the line breaks turned into spaces: kept as given (the trailing space was the
    // final line break of the string-to-sign).
    assert_eq!(
        first.server_string_to_sign,
        "segyshare rwdlacupitfx bfqt co 2022-06-01T10:14:15Z 2022-06-01T18:14:15Z https 2021-06-08 "
    );
    let (second, _) = find_error_body(&text[r1.end..]).unwrap();
    assert_eq!(second.request_id, "7e6c45cf-001e-00ad-4841-77f7b8000000");
    assert_eq!(second.time, "2017-12-17T14:16:49.8534267Z");
    assert_eq!(second.message, AUTH_MSG);
    assert_eq!(
        second.server_string_to_sign,
        "r 2017-12-17T15:56:39Z /blob/mystorageaccount/mycontainer/myfile.txt 2017-04-17"
    );
    assert!(second
        .auth_detail
        .starts_with("Signature did not match. String to sign used was r "));
}

#[test]
fn string_to_sign_keeps_its_line_breaks() {
    let text = "<?xml version=\"1.0\" encoding=\"utf-8\"?><Error><Code>AuthenticationFailed</Code><Message>Server failed to authenticate the request. Make sure the value of Authorization header is formed correctly including the signature.\nRequestId:1b2c3d4e-501e-0011-2233-445566000000\nTime:2024-05-02T09:00:01.1234567Z</Message><AuthenticationErrorDetail>Signature did not match. String to sign used was r\n2024-05-02T08:00:00Z\n2024-05-02T10:00:00Z\n/blob/acct/photos/cat.jpg\n\n\nhttps\n2022-11-02\nb\n\n\n\n\n\n</AuthenticationErrorDetail></Error>";
    let b = parse_error_body(text).unwrap();
    assert_eq!(
        b.server_string_to_sign,
        "r\n2024-05-02T08:00:00Z\n2024-05-02T10:00:00Z\n/blob/acct/photos/cat.jpg\n\n\nhttps\n2022-11-02\nb\n\n\n\n\n\n"
    );
    assert!(b.auth_detail.ends_with("\nb"), "{:?}", b.auth_detail);
    // Same body as it appears in a JSON string (HAR content.text, an SDK log): same result.
    let json_escaped = serde_json::to_string(text).unwrap();
    let j = parse_error_body(&json_escaped).unwrap();
    assert_eq!(j, b);
}

#[test]
fn html_escaped_body_in_surrounding_text() {
    let text = "<pre>Response: &lt;?xml version=&quot;1.0&quot; encoding=&quot;utf-8&quot;?&gt;&lt;Error&gt;&lt;Code&gt;BlobNotFound&lt;/Code&gt;&lt;Message&gt;The specified blob does not exist.\nRequestId:0f3a-77\nTime:2024-01-02T03:04:05.0000000Z&lt;/Message&gt;&lt;/Error&gt; (end)</pre>";
    let (b, range) = find_error_body(text).unwrap();
    assert_eq!(b.code, "BlobNotFound");
    assert_eq!(b.message, "The specified blob does not exist.");
    assert_eq!(b.request_id, "0f3a-77");
    assert_eq!(b.time, "2024-01-02T03:04:05.0000000Z");
    assert!(text[range].ends_with("&lt;/Error&gt;"));
}

#[test]
fn entities_inside_plain_xml_are_decoded() {
    let text = "<Error><Code>InvalidQueryParameterValue</Code><Message>Value for one of the query parameters specified in the request URI is invalid.\nRequestId:abc\nTime:2024-01-02T03:04:05.0000000Z</Message><QueryParameterName>comp</QueryParameterName><QueryParameterValue>list&amp;x</QueryParameterValue><Reason /></Error>";
    let b = parse_error_body(text).unwrap();
    assert_eq!(b.code, "InvalidQueryParameterValue");
    assert_eq!(
        b.other,
        vec![
            ("QueryParameterName".to_string(), "comp".to_string()),
            ("QueryParameterValue".to_string(), "list&x".to_string()),
        ]
    );
    assert!(b
        .detail()
        .ends_with("QueryParameterName: comp QueryParameterValue: list&x"));
}

#[test]
fn request_id_and_time_joined_by_spaces() {
    let (m, rid, t) = split_message(
        "This request is not authorized to perform this operation. RequestId:9a8b Time:2023-03-03T03:03:03.3333333Z",
    );
    assert_eq!(
        m,
        "This request is not authorized to perform this operation."
    );
    assert_eq!(rid, "9a8b");
    assert_eq!(t, "2023-03-03T03:03:03.3333333Z");
    let (m, rid, t) = split_message("The specified container does not exist.");
    assert_eq!(m, "The specified container does not exist.");
    assert!(rid.is_empty() && t.is_empty());
}

#[test]
fn truncated_body_keeps_what_is_there() {
    let text = "<?xml version=\"1.0\" encoding=\"utf-8\"?><Error><Code>ContainerNotFound</Code><Message>The specified container does not exist.\nRequestId:5d1e";
    let b = parse_error_body(text).unwrap();
    assert_eq!(b.code, "ContainerNotFound");
    assert_eq!(b.message, "The specified container does not exist.");
    assert_eq!(b.request_id, "5d1e");
}

#[test]
fn older_server_used_following_string_to_sign() {
    let text = "<Error><Code>AuthenticationFailed</Code><Message>Server failed to authenticate the request. Make sure the value of Authorization header is formed correctly including the signature.\nRequestId:r1\nTime:2016-01-01T00:00:00.0000000Z</Message><AuthenticationErrorDetail>The MAC signature found in the HTTP request 'abc=' is not the same as any computed signature. Server used following string to sign: 'GET\n\n\n\nx-ms-date:Fri, 01 Jan 2016 00:00:00 GMT\nx-ms-version:2015-12-11\n/acct/c'.</AuthenticationErrorDetail></Error>";
    let b = parse_error_body(text).unwrap();
    assert_eq!(
        b.server_string_to_sign,
        "GET\n\n\n\nx-ms-date:Fri, 01 Jan 2016 00:00:00 GMT\nx-ms-version:2015-12-11\n/acct/c"
    );
}

#[test]
fn table_odata_json_and_data_lake_json() {
    let t = r#"{"odata.error":{"code":"TableNotFound","message":{"lang":"en-US","value":"The table specified does not exist.\nRequestId:7e1b\nTime:2024-02-02T02:02:02.2222222Z"}}}"#;
    let b = parse_error_body(t).unwrap();
    assert_eq!(b.code, "TableNotFound");
    assert_eq!(b.message, "The table specified does not exist.");
    assert_eq!(b.request_id, "7e1b");
    assert_eq!(b.time, "2024-02-02T02:02:02.2222222Z");

    let d = r#"HTTP 403 {"error":{"code":"AuthorizationPermissionMismatch","message":"This request is not authorized to perform this operation using this permission.\nRequestId:aa11\nTime:2024-02-02T02:02:02.0000000Z"}} trailing"#;
    let (b, range) = find_error_body(d).unwrap();
    assert_eq!(b.code, "AuthorizationPermissionMismatch");
    assert_eq!(b.request_id, "aa11");
    assert!(d[range].ends_with("}}"));

    // The same JSON quoted once more (inside a log's JSON string).
    let quoted = serde_json::to_string(t).unwrap();
    let q = parse_error_body(&quoted).unwrap();
    assert_eq!(q.code, "TableNotFound");
    assert_eq!(q.request_id, "7e1b");
}

#[test]
fn nothing_to_find() {
    assert_eq!(parse_error_body(""), None);
    assert_eq!(parse_error_body("all good, 200 OK"), None);
    assert_eq!(parse_error_body("<ErrorCode>x</ErrorCode>"), None);
    assert_eq!(parse_error_body("<Error></Error>"), None);
    assert_eq!(parse_error_body("{\"error\": 3}"), None);
}

#[test]
fn never_panics_on_cut_or_garbled_text() {
    let samples = [
        include_str!(
            "../../fixtures/samples/service-error-xml_403-AuthenticationFailed_request-date-too-old_autorest-go.txt"
        ),
        include_str!(
            "../../fixtures/samples/service-error-xml_403-AuthenticationFailed_signature-did-not-match_examples.txt"
        ),
        r#"{"odata.error":{"code":"TableNotFound","message":{"lang":"en-US","value":"x\u00e9\nRequestId:7e1b"}}}"#,
        "&lt;Error&gt;&lt;Code&gt;A&lt;/Code&gt;&lt;Message&gt;é&amp;&#x;&lt;/Message&gt;&lt;/Error&gt;",
        "<Error><Code>\\u12</Code><Message>\\</Message><AuthenticationErrorDetail>Server used following string to sign: '",
    ];
    for s in samples {
        for (i, _) in s.char_indices() {
            let _ = find_error_body(&s[..i]);
            let _ = find_error_body(&s[i..]);
        }
    }
}

#[test]
fn json_key_after_an_unrelated_closed_object() {
    // Found by fuzzing: the nearest `{` before the key belonged to an object that had already
    // closed, so the body's range ended before it started and slicing panicked.
    let t = "{\"Z\"}\u{0}\"odata.error\":{\"code\":\"TableNotFound\",\"message\":\"gone\"}";
    let (b, range) = find_error_body(t).unwrap();
    assert_eq!(b.code, "TableNotFound");
    assert_eq!(b.message, "gone");
    assert!(range.start < range.end && range.end == t.len());
    assert_eq!(find_error_body("{\"Z\"}\u{0}\"odata.error\":{"), None);
}
