use super::*;
use crate::knowledge::cors::{parse_rules, CorsRule};
use crate::model::{EventSink, Location, RawEvent, ResponseType, Timestamp};
use crate::report::Report;

const ORIGIN: &str = "https://app.contoso.com";
const BLOB_URL: &str = "https://contosoweb.blob.core.windows.net/uploads/photo.jpg?sv=2022-11-02&se=2024-07-01T00%3A00%3A00Z&sr=c&sp=cw&sig=c2VjcmV0c2lnbmF0dXJlMTIz";
const SDK_HEADERS: &str =
    "content-type,x-ms-blob-type,x-ms-client-request-id,x-ms-date,x-ms-version";

fn t(s: &str) -> Option<Timestamp> {
    Timestamp::parse(s)
}

/// A HAR preflight refused by the service, and the blocked upload behind it.
fn har_events(ds: &mut Dataset, input: u16, url: &str) {
    let mut sink = ds.sink(input);
    sink.event(
        RawEvent {
            time: t("2024-06-30T04:14:55.736Z"),
            source: SourceKind::Network,
            method: Method::Options,
            url: url.into(),
            status: 403,
            error_code: "CorsPreflightFailure".into(),
            location: Location {
                line: 12,
                offset: 0,
            },
            ..Default::default()
        }
        .with(Field::Origin, ORIGIN)
        .with(Field::AccessControlRequestMethod, "PUT")
        .with(Field::AccessControlRequestHeaders, SDK_HEADERS)
        .with(Field::CorsFailure, "preflight-failed"),
    );
    sink.event(
        RawEvent {
            time: t("2024-06-30T04:14:55.790Z"),
            source: SourceKind::Network,
            method: Method::Put,
            url: url.into(),
            status: 0,
            location: Location {
                line: 88,
                offset: 0,
            },
            ..Default::default()
        }
        .with(Field::Origin, ORIGIN)
        .with(Field::CorsFailure, "preflight-failed"),
    );
}

fn findings(ds: &Dataset) -> Vec<Finding> {
    Report::build(ds)
        .findings
        .into_iter()
        .filter(|f| f.rule == "cors-blocked")
        .collect()
}

#[test]
fn har_preflight_gives_the_exact_rule() {
    let mut ds = Dataset::new();
    let i = ds.add_input("upload.har", "har", 1.0);
    har_events(&mut ds, i, BLOB_URL);
    let f = findings(&ds);
    assert_eq!(f.len(), 1);
    let f = &f[0];
    assert_eq!(f.severity, Severity::Error);
    assert_eq!(f.count, 2);
    assert_eq!(f.confidence.level, Level::High);
    assert!(
        f.title
            .starts_with("The browser blocked 1 cross-origin call to the blob service"),
        "{}",
        f.title
    );
    let r = f.cors_rule.as_ref().unwrap();
    assert_eq!(r.service, "blob");
    assert_eq!(r.allowed_origins, vec![ORIGIN]);
    assert_eq!(r.allowed_methods, vec!["PUT"]);
    assert_eq!(r.allowed_headers, vec!["content-type", "x-ms-*"]);
    assert_eq!(r.exposed_headers, vec!["x-ms-*"]);
    assert_eq!(r.max_age_seconds, 3600);
    assert_eq!(f.cors_forms.len(), 8);
    let cli = &f.cors_forms[1].text;
    assert!(cli.contains("--account-name contosoweb"), "{cli}");
    assert_eq!(f.evidence[0].fields["method"], "PUT");
    assert_eq!(f.evidence[0].fields["request_headers"], SDK_HEADERS);
    assert!(
        f.explanation.contains("not of the web app"),
        "{}",
        f.explanation
    );
    assert!(f.explanation.contains("Failed to fetch"));
    // The JSON shape of CONTRACTS.md.
    let j = serde_json::to_value(f).unwrap();
    let keys: Vec<&String> = j["cors_rule"].as_object().unwrap().keys().collect();
    assert_eq!(
        keys,
        [
            "allowed_headers",
            "allowed_methods",
            "allowed_origins",
            "exposed_headers",
            "max_age_seconds",
            "service"
        ]
    );
    assert_eq!(j["cors_forms"][0]["name"], "Azure portal");
    // The SAS signature never reaches the finding.
    assert!(!j.to_string().contains("c2VjcmV0c2lnbmF0dXJlMTIz"));
}

#[test]
fn current_rules_name_the_closest_rule_and_the_failing_element() {
    let mut ds = Dataset::new();
    let rules_in = ds.add_input("cors.xml", "cors-rules", 0.95);
    let doc = parse_rules(include_str!(
        "../../fixtures/cors-rules/blob-service-properties.xml"
    ))
    .unwrap();
    for (s, r) in doc.sets {
        ds.sink(rules_in).cors_rules(s, r);
    }
    let i = ds.add_input("upload.har", "har", 1.0);
    har_events(&mut ds, i, BLOB_URL);
    let f = &findings(&ds)[0];
    let e = &f.evidence[0];
    assert_eq!(e.fields["closest_rule"], "2");
    assert_eq!(e.fields["failing_element"], "header");
    assert_eq!(e.fields["failing_values"], "x-ms-blob-type");
    assert!(
        f.explanation
            .contains("Checked against the 2 current rules"),
        "{}",
        f.explanation
    );
    assert!(f.explanation.contains("does not say which service"));
    // Rule 2 is extended rather than a third rule added.
    assert!(f.fix[0].contains("change rule 2"), "{}", f.fix[0]);
    let r = f.cors_rule.as_ref().unwrap();
    assert!(r.allowed_headers.contains(&"x-ms-blob-type".to_string()));
    assert!(f.fix.iter().any(|x| x.contains("ends with '/'")));
    let cli = &f.cors_forms[1].text;
    assert!(cli.contains("az storage cors clear --services b"), "{cli}");
    insta::assert_snapshot!(serde_json::to_string_pretty(f).unwrap());
}

#[test]
fn console_text_without_url_assumes_blob_and_says_so() {
    let mut ds = Dataset::new();
    let i = ds.add_input("console.txt", "browser-console", 1.0);
    ds.sink(i).event(
        RawEvent {
            source: SourceKind::Console,
            location: Location { line: 1, offset: 0 },
            ..Default::default()
        }
        .with(Field::Origin, "http://localhost:56309")
        .with(Field::CorsFailure, "no-allow-origin"),
    );
    ds.sink(i).event(
        RawEvent {
            source: SourceKind::Console,
            location: Location { line: 3, offset: 0 },
            ..Default::default()
        }
        .with(Field::AccessControlRequestHeaders, "x-ms-blob-type")
        .with(Field::CorsFailure, "header-not-allowed"),
    );
    let f = findings(&ds);
    assert_eq!(f.len(), 1);
    let f = &f[0];
    assert!(f.title.contains("storage service"), "{}", f.title);
    assert_eq!(f.confidence.level, Level::Medium);
    let r = f.cors_rule.as_ref().unwrap();
    assert_eq!(r.service, "blob");
    assert_eq!(r.allowed_origins, vec!["http://localhost:56309"]);
    // The header line had no origin: it belongs to the one origin seen.
    assert_eq!(r.allowed_headers, vec!["x-ms-blob-type"]);
    assert_eq!(r.allowed_methods, vec!["GET"]);
    assert!(f
        .fix
        .iter()
        .any(|x| x.contains("written for the blob service")));
    assert!(f
        .fix
        .iter()
        .any(|x| x.contains("does not show the HTTP method")));
}

#[test]
fn console_lines_join_the_one_service_seen_elsewhere() {
    let mut ds = Dataset::new();
    let i = ds.add_input("console.txt", "browser-console", 1.0);
    ds.sink(i).event(
        RawEvent {
            source: SourceKind::Console,
            ..Default::default()
        }
        .with(Field::Origin, ORIGIN)
        .with(Field::CorsFailure, "preflight-failed"),
    );
    let h = ds.add_input("upload.har", "har", 1.0);
    har_events(&mut ds, h, BLOB_URL);
    let f = findings(&ds);
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].count, 3);
    assert_eq!(f[0].cors_rule.as_ref().unwrap().service, "blob");
}

#[test]
fn one_finding_per_service() {
    let mut ds = Dataset::new();
    let i = ds.add_input("app.har", "har", 1.0);
    har_events(&mut ds, i, BLOB_URL);
    ds.sink(i).event(
        RawEvent {
            source: SourceKind::Network,
            method: Method::Options,
            url: "https://contosoweb.queue.core.windows.net/jobs/messages".into(),
            status: 403,
            ..Default::default()
        }
        .with(Field::Origin, ORIGIN)
        .with(Field::AccessControlRequestMethod, "POST")
        .with(Field::CorsFailure, "preflight-failed"),
    );
    let f = findings(&ds);
    let services: Vec<&str> = f
        .iter()
        .map(|x| x.cors_rule.as_ref().unwrap().service.as_str())
        .collect();
    assert_eq!(services, ["blob", "queue"]);
    assert!(f[1].cors_forms[1].text.contains("--services q"));
}

/// A preflight the service refused, as a server log row at `line` (`url` may be empty: the
/// resource logs of a preflight often have none).
fn server_preflight(line: u32, url: &str) -> RawEvent<'_> {
    RawEvent {
        time: t("2024-06-30T04:14:55Z"),
        source: SourceKind::Server,
        service: Service::Blob,
        method: Method::Options,
        operation: "BlobPreflightRequest".into(),
        status: 403,
        error_code: "CorsPreflightFailure".into(),
        response_type: ResponseType::ClientOtherError,
        account: "contosoweb".into(),
        url: url.into(),
        location: Location { line, offset: 0 },
        ..Default::default()
    }
}

#[test]
fn server_preflight_rows_alone_say_what_is_unknown() {
    let mut ds = Dataset::new();
    let i = ds.add_input("StorageBlobLogs.json", "resource-log-json", 1.0);
    for line in [3u32, 4] {
        ds.sink(i).event(server_preflight(line, ""));
    }
    let f = findings(&ds);
    assert_eq!(f.len(), 1);
    let f = &f[0];
    assert_eq!(f.count, 2);
    assert!(f.cors_rule.is_none());
    assert!(f.cors_forms.is_empty());
    assert_eq!(f.confidence.level, Level::Medium);
    assert!(
        f.explanation.contains("do not record the Origin"),
        "{}",
        f.explanation
    );
    assert!(f.fix[0].contains("HAR"));
    let j = serde_json::to_value(f).unwrap();
    assert!(j.get("cors_rule").is_none());
    assert!(j.get("cors_forms").is_none());
}

#[test]
fn server_preflight_rows_with_a_referrer_origin_get_a_rule() {
    // The server parsers take the page's origin from a preflight row's Referer; the rule can
    // then be written, and the explanation says where the origin came from.
    let mut ds = Dataset::new();
    let i = ds.add_input("PT1H.json", "resource-log-json", 1.0);
    ds.sink(i).event(
        RawEvent {
            time: t("2024-06-30T04:14:55Z"),
            source: SourceKind::Server,
            service: Service::Blob,
            operation: "BlobPreflightRequest".into(),
            status: 403,
            error_code: "CorsPreflightFailure".into(),
            response_type: ResponseType::ClientOtherError,
            account: "contosoweb".into(),
            ..Default::default()
        }
        .with(Field::Origin, ORIGIN),
    );
    let f = findings(&ds);
    let rule = f[0].cors_rule.as_ref().expect("a rule");
    assert_eq!(rule.allowed_origins, [ORIGIN]);
    assert!(f[0].explanation.contains("Referer"), "{}", f[0].explanation);
    assert!(!f[0]
        .explanation
        .contains("the origin, method and headers to allow are unknown"));
}

#[test]
fn credentialed_calls_get_an_exact_origin_before_the_star_rule() {
    let mut ds = Dataset::new();
    let r = ds.add_input("cors.json", "cors-rules", 0.9);
    ds.sink(r).cors_rules(
        Service::Blob,
        CorsRules {
            rules: vec![CorsRule {
                allowed_origins: vec!["*".into()],
                allowed_methods: vec!["GET".into()],
                allowed_headers: vec!["*".into()],
                exposed_headers: vec!["*".into()],
                max_age_seconds: 60,
            }],
        },
    );
    let i = ds.add_input("console.txt", "browser-console", 1.0);
    ds.sink(i).event(
        RawEvent {
            source: SourceKind::Console,
            method: Method::Get,
            url: "https://contosoweb.blob.core.windows.net/public/logo.png".into(),
            ..Default::default()
        }
        .with(Field::Origin, ORIGIN)
        .with(Field::CorsFailure, "credentials-wildcard"),
    );
    let f = &findings(&ds)[0];
    assert!(
        f.fix[0].contains("insert this rule as rule 1"),
        "{}",
        f.fix[0]
    );
    assert!(f.explanation.contains("carried credentials"));
    assert!(f.fix.iter().any(|x| x.contains("origin '*'")));
    assert_eq!(
        f.cors_rule.as_ref().unwrap().allowed_origins,
        vec![ORIGIN.to_string()]
    );
}

#[test]
fn emulator_calls_mention_azurite() {
    let mut ds = Dataset::new();
    let i = ds.add_input("dev.har", "har", 1.0);
    har_events(
        &mut ds,
        i,
        "http://127.0.0.1:10000/devstoreaccount1/uploads/photo.jpg",
    );
    let f = &findings(&ds)[0];
    assert!(f.fix.iter().any(|x| x.contains("Azurite")));
    assert_eq!(f.cors_rule.as_ref().unwrap().service, "blob");
}

#[test]
fn other_failures_are_not_cors() {
    let mut ds = Dataset::new();
    let i = ds.add_input("x.har", "har", 1.0);
    ds.sink(i).event(RawEvent {
        source: SourceKind::Network,
        method: Method::Options,
        url: BLOB_URL.into(),
        status: 200,
        ..Default::default()
    });
    ds.sink(i).event(RawEvent {
        source: SourceKind::Network,
        method: Method::Put,
        url: BLOB_URL.into(),
        status: 403,
        error_code: "AuthenticationFailed".into(),
        ..Default::default()
    });
    ds.sink(i).event(RawEvent {
        source: SourceKind::Server,
        operation: "GetBlob".into(),
        status: 403,
        ..Default::default()
    });
    assert!(findings(&ds).is_empty());
}

#[test]
fn a_refused_preflight_is_no_authorization_failure() {
    // The preflight of a SAS upload carries the token in its URL and comes back 403; the service
    // refused it from its CORS rules without reading the token, so no rule about tokens, keys or
    // roles may read it — only cors-blocked. (The token here lacks the read permission and is
    // short-lived, which the SAS rules would otherwise have something to say about.)
    let url = "https://contosoweb.blob.core.windows.net/uploads/photo.jpg?sv=2022-11-02&st=2024-06-30T04%3A10%3A00Z&se=2024-06-30T04%3A20%3A00Z&sr=c&sp=c&sig=c2VjcmV0c2lnbmF0dXJlMTIz";
    let mut ds = Dataset::new();
    let server = ds.add_input("StorageBlobLogs.json", "resource-log-json", 1.0);
    ds.sink(server).event(server_preflight(1, url));
    let har = ds.add_input("upload.har", "har", 1.0);
    har_events(&mut ds, har, url);
    ds.finish();
    let c = crate::correlate::Correlation::build(&ds);
    let cx = Context::new(&ds, &c);
    assert_eq!(cx.auth_failures().count(), 0, "no row for the auth rules");
    for rule in super::super::registry() {
        let found = rule.run(&cx);
        if rule.id() == "cors-blocked" {
            assert_eq!(found.len(), 1);
        } else {
            assert!(
                found.iter().all(|f| f.severity == Severity::Info),
                "{} read the refused preflight: {:?}",
                rule.id(),
                found.iter().map(|f| &f.title).collect::<Vec<_>>()
            );
        }
    }
}
