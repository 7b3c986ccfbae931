//! What a 401/403 (or an old-style 404) says about authentication and authorization.
//!
//! The same failure reaches us in several shapes: a server log row carries the error code (or a
//! `$logs` request-status such as `SASAuthorizationError`) in `error_code`; a client log carries the
//! code when it has it and, in `Field::Detail`, the service's message and/or its
//! `AuthenticationErrorDetail`. The legacy .NET library on .NET Core only prints the HTTP reason
//! phrase, which is the first line of the service's message, so the message texts alone must be
//! enough to tell the codes apart. Every rule of the 403 family starts from [`classify`].

use crate::model::{EventView, Field, Timestamp};

/// Times quoted by the service in "Signature not valid in the specified time frame: Start [..] -
/// Expiry [..] - Current [..]" or "Signed expiry time [..] must be after signed start time [..]".
#[derive(Clone, Debug, PartialEq)]
pub struct TimeFrame {
    pub start: Option<Timestamp>,
    pub expiry: Option<Timestamp>,
    pub current: Option<Timestamp>,
    /// The "must be after signed start time" form: either the token was issued with `se` before
    /// `st`, or it carried no `st` and the service used its own "now" as the start.
    pub expiry_before_start: bool,
}

fn bracketed_after<'a>(text: &'a str, label: &str) -> Option<&'a str> {
    let i = text.find(label)? + label.len();
    let rest = text.get(i..)?.trim_start();
    let rest = rest.strip_prefix('[')?;
    Some(&rest[..rest.find(']')?])
}

/// Parses either time-frame message; `None` for any other text.
pub fn parse_time_frame(detail: &str) -> Option<TimeFrame> {
    if detail.contains("Signature not valid in the specified time frame") {
        return Some(TimeFrame {
            start: bracketed_after(detail, "Start").and_then(Timestamp::parse),
            expiry: bracketed_after(detail, "Expiry").and_then(Timestamp::parse),
            current: bracketed_after(detail, "Current").and_then(Timestamp::parse),
            expiry_before_start: false,
        });
    }
    if detail.contains("Signed expiry time") && detail.contains("must be after signed start time") {
        return Some(TimeFrame {
            expiry: bracketed_after(detail, "Signed expiry time").and_then(Timestamp::parse),
            start: bracketed_after(detail, "signed start time").and_then(Timestamp::parse),
            current: None,
            expiry_before_start: true,
        });
    }
    None
}

/// One authentication/authorization failure, as precise as the evidence allows.
#[derive(Clone, Debug, PartialEq)]
pub enum Problem {
    /// The SAS time window did not contain the service's time.
    TimeFrame(TimeFrame),
    /// "Signature did not match" / "The MAC signature … is not the same as any computed
    /// signature": the signature does not verify.
    SignatureMismatch,
    /// `Request date header too old: '<date>'` (the quoted date, when it parses).
    DateTooOld(Option<Timestamp>),
    /// A header, the Authorization value or a SAS field is missing or badly formed; the text
    /// says which, in the service's words.
    Malformed(String),
    /// AuthorizationPermissionMismatch: the SAS `sp` or the caller's role lacks the permission.
    PermissionMismatch,
    /// AuthorizationServiceMismatch (`ss`).
    ServiceMismatch,
    /// AuthorizationResourceTypeMismatch (`srt`).
    ResourceTypeMismatch,
    /// AuthorizationSourceIPMismatch (`sip`), with the IP the service quoted.
    SourceIpMismatch(Option<String>),
    /// AuthorizationProtocolMismatch (`spr`).
    ProtocolMismatch,
    /// "The specified signed resource is not allowed for the this resource level": a service SAS
    /// used for a container- or account-level operation.
    ResourceLevelNotAllowed,
    /// AuthorizationFailure "This request is not authorized to perform this operation.": the
    /// firewall, or a SAS authorization failure the service does not detail.
    AuthorizationFailure,
    /// KeyBasedAuthenticationNotPermitted.
    KeyBasedNotPermitted,
    /// `$logs` request-status `SASAuthorizationError` (404 before 2015-04-05, 403 since): a SAS
    /// request refused for lack of authorization, without saying which field.
    SasAuthorizationError,
    /// AuthenticationFailed without a detail that says why.
    AuthenticationFailed,
}

impl Problem {
    /// The service's error code for this problem (for evidence rows when the event had none).
    pub fn code(&self) -> &'static str {
        match self {
            Problem::TimeFrame(_)
            | Problem::SignatureMismatch
            | Problem::DateTooOld(_)
            | Problem::ResourceLevelNotAllowed
            | Problem::AuthenticationFailed => "AuthenticationFailed",
            Problem::Malformed(_) => "AuthenticationFailed",
            Problem::PermissionMismatch => "AuthorizationPermissionMismatch",
            Problem::ServiceMismatch => "AuthorizationServiceMismatch",
            Problem::ResourceTypeMismatch => "AuthorizationResourceTypeMismatch",
            Problem::SourceIpMismatch(_) => "AuthorizationSourceIPMismatch",
            Problem::ProtocolMismatch => "AuthorizationProtocolMismatch",
            Problem::AuthorizationFailure => "AuthorizationFailure",
            Problem::KeyBasedNotPermitted => "KeyBasedAuthenticationNotPermitted",
            Problem::SasAuthorizationError => "SASAuthorizationError",
        }
    }
}

/// The quoted value in `Request date header too old: 'Fri, 31 Jan 2020 12:28:37 GMT'`.
fn quoted_date_after(text: &str, label: &str) -> Option<Timestamp> {
    let rest = text.get(text.find(label)? + label.len()..)?;
    let rest = rest.trim_start_matches([':', ' ']);
    let rest = rest.strip_prefix('\'').unwrap_or(rest);
    let end = rest.find('\'').unwrap_or(rest.len());
    Timestamp::parse(&rest[..end])
}

/// The IP in "… using this source IP 203.0.113.9." (without the final dot).
fn source_ip_in(text: &str) -> Option<String> {
    let rest = text.get(text.find("using this source IP")? + "using this source IP".len()..)?;
    let ip: String = rest
        .trim_start()
        .chars()
        .take_while(|c| c.is_ascii_hexdigit() || matches!(c, '.' | ':'))
        .collect();
    let ip = ip.trim_end_matches('.').to_string();
    (!ip.is_empty() && ip.chars().any(|c| c.is_ascii_digit())).then_some(ip)
}

/// The first line of a malformed-request message, kept short for evidence.
fn short(text: &str, needle: &str) -> String {
    let at = text.find(needle).unwrap_or(0);
    let start = text[..at].rfind(['\n', '>']).map_or(0, |i| i + 1);
    // A message and its detail joined on one line ("Server failed to authenticate the request.
    // … Signature fields not well formed."): start at the sentence that says what is wrong.
    let start = text[start..at].rfind(". ").map_or(start, |i| start + i + 2);
    let line = text[start..].lines().next().unwrap_or("").trim();
    line.chars().take(160).collect()
}

const MALFORMED: [&str; 9] = [
    "Request date header not specified",
    "Date header in the request is incorrect",
    "not given in the correct format",
    "not provided in the correct format",
    "not well formed",
    "is mandatory",
    "Cannot be empty",
    "Authorization header is empty",
    "Required header",
];

/// Classifies the failure of one event from its error code and service text. Returns `None` for
/// an event that carries no sign of an authentication or authorization failure.
pub fn classify(v: &EventView<'_>) -> Option<Problem> {
    let detail = v.extra(Field::Detail).unwrap_or("");
    let code = v.error_code();
    let status = v.ev.status;
    if detail.is_empty() && code.is_empty() {
        // Most rows of a large log: nothing to read but the two structural signs below. (Every
        // text test further down would fail on an empty detail, yet each costs a searcher setup,
        // on every row, for every rule that asks.)
        if status == 403 && v.extra(Field::ServerStringToSign).is_some() {
            return Some(Problem::SignatureMismatch);
        }
        return sas_authorization_row(v).then_some(Problem::SasAuthorizationError);
    }
    // 1. Specific details first: they are more precise than any code.
    if let Some(tf) = parse_time_frame(detail) {
        return Some(Problem::TimeFrame(tf));
    }
    if detail.contains("Signature did not match")
        || detail.contains("is not the same as any computed signature")
        || v.extra(Field::ServerStringToSign).is_some() && status == 403
    {
        return Some(Problem::SignatureMismatch);
    }
    if detail.contains("Request date header too old") {
        return Some(Problem::DateTooOld(quoted_date_after(
            detail,
            "Request date header too old",
        )));
    }
    if detail.contains("signed resource is not allowed for the") {
        return Some(Problem::ResourceLevelNotAllowed);
    }
    if let Some(m) = MALFORMED.iter().find(|m| detail.contains(*m)) {
        return Some(Problem::Malformed(short(detail, m)));
    }
    // 2. Codes, as client logs and resource logs carry them.
    let by_code = match code {
        "AuthorizationPermissionMismatch" => Some(Problem::PermissionMismatch),
        "AuthorizationServiceMismatch" => Some(Problem::ServiceMismatch),
        "AuthorizationResourceTypeMismatch" => Some(Problem::ResourceTypeMismatch),
        "AuthorizationSourceIPMismatch" => Some(Problem::SourceIpMismatch(source_ip_in(detail))),
        "AuthorizationProtocolMismatch" => Some(Problem::ProtocolMismatch),
        "AuthorizationFailure" => Some(Problem::AuthorizationFailure),
        "KeyBasedAuthenticationNotPermitted" => Some(Problem::KeyBasedNotPermitted),
        "SASAuthorizationError" => Some(Problem::SasAuthorizationError),
        "InvalidAuthenticationInfo" | "NoAuthenticationInformation" => {
            Some(Problem::Malformed(if detail.is_empty() {
                code.to_string()
            } else {
                short(detail, "")
            }))
        }
        "AuthenticationFailed" => Some(Problem::AuthenticationFailed),
        _ => None,
    };
    if by_code.is_some() {
        return by_code;
    }
    // 3. Message texts (reason phrases): the codes are one-to-one with them.
    if detail.contains("using this permission") {
        return Some(Problem::PermissionMismatch);
    }
    if detail.contains("using this service") {
        return Some(Problem::ServiceMismatch);
    }
    if detail.contains("using this resource type") {
        return Some(Problem::ResourceTypeMismatch);
    }
    if detail.contains("using this source IP") {
        return Some(Problem::SourceIpMismatch(source_ip_in(detail)));
    }
    if detail.contains("using this protocol") {
        return Some(Problem::ProtocolMismatch);
    }
    if detail.contains("Key based authentication is not permitted")
        || detail.contains("Key Based authentication is not permitted")
    {
        return Some(Problem::KeyBasedNotPermitted);
    }
    if detail.contains("not authorized to perform this operation.") {
        return Some(Problem::AuthorizationFailure);
    }
    if detail.contains("Server failed to authenticate the request") {
        return Some(Problem::AuthenticationFailed);
    }
    // 4. A `$logs` row: the request-status class says "authorization" without a code.
    sas_authorization_row(v).then_some(Problem::SasAuthorizationError)
}

/// A `$logs` row whose request-status class says "authorization" for a SAS request.
fn sas_authorization_row(v: &EventView<'_>) -> bool {
    v.ev.source == crate::model::SourceKind::Server
        && v.ev.response_type == crate::model::ResponseType::AuthorizationError
        && v.sas().is_some()
}

/// Whether the event was refused with 403 (or 401) as a matter of credentials or permissions:
/// the status every rule of the family starts from when the service's text is missing (a .NET
/// Framework trace only says "(403) Forbidden"). A refused CORS preflight is a 403 too, but not
/// one of these ([`is_refused_preflight`]).
pub fn is_forbidden(v: &EventView<'_>) -> bool {
    matches!(v.ev.status, 401 | 403) && !is_refused_preflight(v)
}

/// A CORS preflight the service refused: the error code `CorsPreflightFailure`, or a 403 to an
/// `…PreflightRequest`. The service answers a preflight from the account's CORS rules before it
/// reads any credential, so such a 403 says nothing about a token, key or role; `cors-blocked`
/// reads it, the authentication and authorization rules leave it alone.
pub fn is_refused_preflight(v: &EventView<'_>) -> bool {
    // The record's own fields first: most rows have no error code and no 403, and stop before
    // any string is read.
    !v.ev.error_code.is_empty() && v.error_code() == "CorsPreflightFailure"
        || v.ev.status == 403 && v.operation().ends_with("PreflightRequest")
}

/// The service's own time for this request, when the log has it: the "Current [..]" of a
/// time-frame message, or the `Time:` line the service appends to every error message.
pub fn service_time(v: &EventView<'_>) -> Option<Timestamp> {
    let detail = v.extra(Field::Detail)?;
    if let Some(c) = parse_time_frame(detail).and_then(|tf| tf.current) {
        return Some(c);
    }
    let rest = detail.get(detail.find("Time:")? + 5..)?;
    let end = rest
        .find(|c: char| c.is_whitespace() || c == '<')
        .unwrap_or(rest.len());
    Timestamp::parse(&rest[..end])
}

/// The `Date` header of the response, when it is the service's clock. The legacy .NET trace has
/// no response headers; its parser fills the field from the trace's own (client) clock, which
/// must not be taken for the service's.
pub fn response_date(v: &EventView<'_>) -> Option<Timestamp> {
    if v.input().format == "dotnet-legacy-trace" {
        return None;
    }
    v.extra(Field::ResponseDate).and_then(Timestamp::parse)
}

/// The `x-ms-version` the request was sent with: the header when the log has it, the
/// `api-version` query parameter, or the `x-ms-version:` line of the client's string-to-sign.
pub fn request_version(v: &EventView<'_>) -> Option<String> {
    if let Some(x) = v.extra(Field::XmsVersion) {
        return Some(x.trim().to_string());
    }
    if let Some(u) = v
        .extra(Field::Url)
        .and_then(crate::knowledge::url::StorageUrl::parse)
    {
        if let Some(a) = u.param("api-version") {
            return Some(a.trim().to_string());
        }
    }
    let sts = v.extra(Field::StringToSign)?;
    let rest = sts.get(sts.find("x-ms-version:")? + "x-ms-version:".len()..)?;
    let ver: String = rest
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '-')
        .collect();
    (ver.len() == 10).then_some(ver)
}

/// Which side of the SAS window a failed request fell on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WindowSide {
    /// Before `st`.
    Early,
    /// At or after `se`.
    Late,
}

/// Whether this event is a SAS time-window failure, and whether the service's clock says so
/// (`true`) or only the client's clock (`false`).
pub fn time_window_failure(v: &EventView<'_>) -> Option<(WindowSide, bool)> {
    match classify(v) {
        Some(Problem::TimeFrame(tf)) => {
            if tf.expiry_before_start {
                return Some((WindowSide::Late, true));
            }
            match (tf.current, tf.start, tf.expiry) {
                (Some(c), Some(s), _) if c < s => Some((WindowSide::Early, true)),
                (Some(c), _, Some(e)) if c >= e => Some((WindowSide::Late, true)),
                _ => None,
            }
        }
        Some(Problem::AuthenticationFailed) | None if is_forbidden(v) => {
            let sas = v.sas()?;
            let t = v.time()?;
            if sas.expiry().is_some_and(|e| t >= e) {
                Some((WindowSide::Late, false))
            } else if sas.start().is_some_and(|s| t < s) {
                Some((WindowSide::Early, false))
            } else {
                None
            }
        }
        _ => None,
    }
}

/// "12 s", "7 min", "3.5 h", "4 days" for explanations.
pub fn human_duration(secs: f64) -> String {
    let s = secs.abs().round() as i64;
    if s < 120 {
        format!("{s} s")
    } else if s < 7200 {
        format!("{} min", s / 60)
    } else if s < 172_800 {
        format!("{:.1} h", s as f64 / 3600.0)
    } else {
        format!("{} days", s / 86_400)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Dataset, EventSink, RawEvent};

    #[test]
    fn parses_both_time_frame_messages() {
        let a = parse_time_frame("Signature not valid in the specified time frame: Start [Thu, 13 Jun 2019 16:18:07 GMT] - Expiry [Fri, 14 Jun 2019 16:23:07 GMT] - Current [Thu, 13 Jun 2019 09:22:53 GMT]").unwrap();
        assert!(a.current.unwrap() < a.start.unwrap());
        let b = parse_time_frame("Signed expiry time [Thu, 26 Dec 2024 22:02:26 GMT] must be after signed start time [Thu, 26 Dec 2024 22:05:37 GMT]").unwrap();
        assert!(b.expiry_before_start);
        assert!(b.expiry.unwrap() < b.start.unwrap());
        assert!(parse_time_frame("Signature did not match").is_none());
        assert!(parse_time_frame("Start [").is_none());
    }

    fn one(code: &str, status: u16, detail: &str) -> Option<Problem> {
        let mut ds = Dataset::new();
        let i = ds.add_input("t.log", "test", 1.0);
        ds.sink(i).event(
            RawEvent {
                status,
                error_code: code.into(),
                url: "https://a.blob.core.windows.net/c/b?sv=2020-08-04&sr=b&sp=r&se=2030-01-01T00:00:00Z&sig=abc".into(),
                ..Default::default()
            }
            .with(Field::Detail, detail),
        );
        classify(&ds.view(0))
    }

    #[test]
    fn classifies_codes_and_reason_phrases_alike() {
        assert_eq!(
            one("AuthorizationPermissionMismatch", 403, ""),
            Some(Problem::PermissionMismatch)
        );
        assert_eq!(
            one(
                "",
                403,
                "This request is not authorized to perform this operation using this permission."
            ),
            Some(Problem::PermissionMismatch)
        );
        assert_eq!(
            one(
                "",
                403,
                "This request is not authorized to perform this operation."
            ),
            Some(Problem::AuthorizationFailure)
        );
        assert_eq!(
            one("", 403, "This request is not authorized to perform this operation using this source IP 203.0.113.9."),
            Some(Problem::SourceIpMismatch(Some("203.0.113.9".into())))
        );
        assert_eq!(
            one("AuthenticationFailed", 403, "Server failed to authenticate the request. Make sure the value of Authorization header is formed correctly including the signature.\nRequestId:x\nTime:2020-02-04T05:38:45.4268197Z\nRequest date header too old: 'Fri, 31 Jan 2020 12:28:37 GMT'"),
            Some(Problem::DateTooOld(Timestamp::parse("Fri, 31 Jan 2020 12:28:37 GMT")))
        );
        assert!(matches!(
            one("AuthenticationFailed", 403, "sr is mandatory. Cannot be empty"),
            Some(Problem::Malformed(m)) if m == "sr is mandatory. Cannot be empty"
        ));
        // The service's generic message in front of the detail (pasted error bodies) is not
        // what was malformed.
        assert!(matches!(
            one(
                "AuthenticationFailed",
                403,
                "Server failed to authenticate the request. Make sure the value of Authorization header is formed correctly including the signature. Signature fields not well formed."
            ),
            Some(Problem::Malformed(m)) if m == "Signature fields not well formed."
        ));
        assert_eq!(
            one(
                "",
                403,
                "Key based authentication is not permitted on this storage account."
            ),
            Some(Problem::KeyBasedNotPermitted)
        );
        assert_eq!(one("", 404, "The specified blob does not exist."), None);
        assert_eq!(one("", 403, ""), None);
    }

    #[test]
    fn finds_the_service_time_in_the_message() {
        let mut ds = Dataset::new();
        let i = ds.add_input("t.log", "test", 1.0);
        ds.sink(i).event(RawEvent { status: 403, ..Default::default() }.with(
            Field::Detail,
            "Server failed to authenticate the request.\nRequestId:cba2935f\nTime:2020-02-04T05:38:45.4268197Z",
        ));
        assert_eq!(
            service_time(&ds.view(0)).map(|t| t.to_string()),
            Some("2020-02-04T05:38:45.426819Z".to_string())
        );
    }
}
