//! One observation of one request by one source.
//!
//! Parsers build a borrowed [`RawEvent`] per observation and push it into an [`EventSink`]; the
//! [`super::Dataset`] sink turns it into a fixed-size [`Event`] record with interned strings (the
//! lnav idea: keep a small index, re-read the text from the file on demand).

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

use super::{Sym, Timestamp};

/// Who saw the request.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, Default, PartialOrd, Ord,
)]
#[serde(rename_all = "lowercase")]
#[repr(u8)]
pub enum SourceKind {
    /// An SDK or tool log on the calling machine.
    #[default]
    Client,
    /// The storage service's own log ($logs, resource logs, Log Analytics).
    Server,
    /// A network capture: a browser HAR file.
    Network,
    /// Text a browser printed to its console.
    Console,
    /// Aggregated metrics (counts per interval), not single requests.
    Metrics,
}

/// A set of source kinds: those that observed a request, or those a dataset holds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Sources(u8);

const ALL_KINDS: [SourceKind; 5] = [
    SourceKind::Client,
    SourceKind::Server,
    SourceKind::Network,
    SourceKind::Console,
    SourceKind::Metrics,
];

impl Sources {
    pub fn insert(&mut self, k: SourceKind) {
        self.0 |= 1 << k as u8;
    }
    pub fn contains(self, k: SourceKind) -> bool {
        self.0 & (1 << k as u8) != 0
    }
    pub fn len(self) -> u32 {
        self.0.count_ones()
    }
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }
    /// Both sets together.
    pub fn union(self, other: Sources) -> Sources {
        Sources(self.0 | other.0)
    }
    pub fn iter(self) -> impl Iterator<Item = SourceKind> {
        ALL_KINDS.into_iter().filter(move |k| self.contains(*k))
    }
}

impl SourceKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SourceKind::Client => "client",
            SourceKind::Server => "server",
            SourceKind::Network => "network",
            SourceKind::Console => "console",
            SourceKind::Metrics => "metrics",
        }
    }
}

/// The storage service a request addressed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Default, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
#[repr(u8)]
pub enum Service {
    #[default]
    Unknown,
    Blob,
    Queue,
    Table,
    File,
    /// Data Lake Storage Gen2 endpoint (`dfs`); shares the blob service's CORS rules.
    Dfs,
}

impl Service {
    pub fn as_str(self) -> &'static str {
        match self {
            Service::Unknown => "unknown",
            Service::Blob => "blob",
            Service::Queue => "queue",
            Service::Table => "table",
            Service::File => "file",
            Service::Dfs => "dfs",
        }
    }

    /// From a service-type word (`blob`, `Queue`, `StorageTableLogs`…).
    pub fn from_word(w: &str) -> Service {
        // The words logs write on every row, without lower-casing a copy.
        match w {
            "blob" => return Service::Blob,
            "queue" => return Service::Queue,
            "table" => return Service::Table,
            "file" => return Service::File,
            _ => {}
        }
        let w = w.to_ascii_lowercase();
        if w.contains("blob") {
            Service::Blob
        } else if w.contains("queue") {
            Service::Queue
        } else if w.contains("table") {
            Service::Table
        } else if w.contains("file") {
            Service::File
        } else if w.contains("dfs") {
            Service::Dfs
        } else {
            Service::Unknown
        }
    }

    /// From a storage host name: `account.blob.core.windows.net` → Blob. Also understands the
    /// Azurite/emulator form `127.0.0.1:10000/devstoreaccount1` by port.
    pub fn from_host(host: &str) -> Service {
        let h = host.to_ascii_lowercase();
        let mut labels = h.split('.');
        let _account = labels.next();
        match labels.next() {
            Some("blob") => return Service::Blob,
            Some("queue") => return Service::Queue,
            Some("table") => return Service::Table,
            Some("file") => return Service::File,
            Some("dfs") => return Service::Dfs,
            _ => {}
        }
        if let Some((_, port)) = h.rsplit_once(':') {
            return match port {
                "10000" => Service::Blob,
                "10001" => Service::Queue,
                "10002" => Service::Table,
                _ => Service::Unknown,
            };
        }
        Service::Unknown
    }
}

/// HTTP method.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Default, PartialOrd, Ord)]
#[repr(u8)]
pub enum Method {
    #[default]
    Unknown,
    Get,
    Put,
    Post,
    Delete,
    Head,
    Options,
    Patch,
    Merge,
}

impl Method {
    pub fn parse(s: &str) -> Method {
        match s.trim().to_ascii_uppercase().as_str() {
            "GET" => Method::Get,
            "PUT" => Method::Put,
            "POST" => Method::Post,
            "DELETE" => Method::Delete,
            "HEAD" => Method::Head,
            "OPTIONS" => Method::Options,
            "PATCH" => Method::Patch,
            "MERGE" => Method::Merge,
            _ => Method::Unknown,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Method::Unknown => "",
            Method::Get => "GET",
            Method::Put => "PUT",
            Method::Post => "POST",
            Method::Delete => "DELETE",
            Method::Head => "HEAD",
            Method::Options => "OPTIONS",
            Method::Patch => "PATCH",
            Method::Merge => "MERGE",
        }
    }
}

/// How the request was authorized.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Default, PartialOrd, Ord)]
#[serde(rename_all = "kebab-case")]
#[repr(u8)]
pub enum AuthKind {
    #[default]
    Unknown,
    Anonymous,
    /// Shared Key / Shared Key Lite (account key in the Authorization header).
    SharedKey,
    Sas,
    /// Microsoft Entra ID bearer token.
    OAuth,
}

impl AuthKind {
    pub fn as_str(self) -> &'static str {
        match self {
            AuthKind::Unknown => "unknown",
            AuthKind::Anonymous => "anonymous",
            AuthKind::SharedKey => "shared-key",
            AuthKind::Sas => "sas",
            AuthKind::OAuth => "oauth",
        }
    }

    /// From the words server logs use (`authenticated`, `sas`, `bearer`, `AccountKey`, `OAuth`,
    /// `TrustedAccessSas`, `Anonymous`…).
    pub fn from_word(w: &str) -> AuthKind {
        // The words logs write on every row, without lower-casing a copy.
        match w {
            "SAS" | "sas" => return AuthKind::Sas,
            "AccountKey" | "authenticated" => return AuthKind::SharedKey,
            "OAuth" | "bearer" => return AuthKind::OAuth,
            "Anonymous" | "anonymous" => return AuthKind::Anonymous,
            _ => {}
        }
        let w = w.to_ascii_lowercase();
        if w.contains("sas") {
            AuthKind::Sas
        } else if w.contains("bearer") || w.contains("oauth") {
            AuthKind::OAuth
        } else if w.contains("anonymous") {
            AuthKind::Anonymous
        } else if w.contains("key") || w == "authenticated" {
            AuthKind::SharedKey
        } else {
            AuthKind::Unknown
        }
    }
}

/// The outcome class the service assigns (`ResponseType` metric dimension, `$logs`
/// request-status without its Anonymous/SAS prefix, resource-log `statusText` classes).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Default, PartialOrd, Ord)]
#[repr(u8)]
pub enum ResponseType {
    #[default]
    Unknown,
    Success,
    ClientOtherError,
    AuthorizationError,
    ThrottlingError,
    ServerTimeoutError,
    ClientTimeoutError,
    NetworkError,
    ServerOtherError,
    /// A newer log wrote an error code where the class would be; the code is in `error_code`.
    ErrorCode,
}

impl ResponseType {
    /// From a `$logs` request-status or ResponseType value; strips `Anonymous`/`SAS` prefixes.
    pub fn parse(s: &str) -> ResponseType {
        // The values logs write on most rows, without the prefix searches below.
        match s {
            "Success" | "SASSuccess" | "OAuthSuccess" | "AnonymousSuccess" => {
                return ResponseType::Success
            }
            "ClientOtherError" => return ResponseType::ClientOtherError,
            _ => {}
        }
        // `trim_start_matches` with each prefix in turn, without the substring searcher that
        // sets up for every call (this runs for every row that carries an error code).
        let mut t = s.trim();
        for prefix in ["Anonymous", "SAS", "OAuth", "TrustedAccessSas"] {
            while let Some(rest) = t.strip_prefix(prefix) {
                t = rest;
            }
        }
        match t {
            "Success" => ResponseType::Success,
            "ClientOtherError" => ResponseType::ClientOtherError,
            "AuthorizationError" => ResponseType::AuthorizationError,
            "ThrottlingError" | "ClientThrottlingError" | "ServerBusyError" => {
                ResponseType::ThrottlingError
            }
            "ServerTimeoutError" => ResponseType::ServerTimeoutError,
            "ClientTimeoutError" => ResponseType::ClientTimeoutError,
            "NetworkError" => ResponseType::NetworkError,
            "ServerOtherError" => ResponseType::ServerOtherError,
            "" => ResponseType::Unknown,
            _ if s.starts_with("Success") => ResponseType::Success,
            // The metrics dimension (and the resource logs' metricResponseType) names throttling
            // by its cause: ClientAccountRequestThrottlingError, ClientShareIopsThrottlingError…
            _ if t.ends_with("ThrottlingError") => ResponseType::ThrottlingError,
            _ => ResponseType::ErrorCode,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ResponseType::Unknown => "",
            ResponseType::Success => "Success",
            ResponseType::ClientOtherError => "ClientOtherError",
            ResponseType::AuthorizationError => "AuthorizationError",
            ResponseType::ThrottlingError => "ThrottlingError",
            ResponseType::ServerTimeoutError => "ServerTimeoutError",
            ResponseType::ClientTimeoutError => "ClientTimeoutError",
            ResponseType::NetworkError => "NetworkError",
            ResponseType::ServerOtherError => "ServerOtherError",
            ResponseType::ErrorCode => "ErrorCode",
        }
    }
}

/// Less common fields, stored only when a source has them (kept out of the fixed record).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
#[repr(u8)]
pub enum Field {
    /// The request URL, redacted. Not kept for server-log rows (re-read from the file instead).
    Url,
    /// The service's error message / AuthenticationErrorDetail / exception text.
    Detail,
    /// `x-ms-date` (or `Date`) the client sent.
    RequestDate,
    /// `Date` header of the response.
    ResponseDate,
    /// `x-ms-version` the client sent.
    XmsVersion,
    /// Browser `Origin`.
    Origin,
    /// `Access-Control-Request-Method` of a preflight.
    AccessControlRequestMethod,
    /// `Access-Control-Request-Headers` of a preflight.
    AccessControlRequestHeaders,
    /// What a CORS failure says went wrong (console/HAR).
    CorsFailure,
    UserAgent,
    /// The caller's address as logged. The interned value is the address without its port (see
    /// `Event::caller_port`); [`super::EventView::caller_ip`] gives the text as logged.
    CallerIp,
    /// The client's string-to-sign (legacy .NET `StringToSign =`), newlines as `\n`.
    StringToSign,
    /// "Server used following string to sign" / "String to sign used was".
    ServerStringToSign,
    /// Conditional headers used (`If-None-Match=…`).
    Conditions,
    /// Retry attempt number a client log reported.
    RetryAttempt,
    /// Index into [`super::Dataset::sas`] (a number, not a string).
    Sas,
    /// Free-form note from the parser (e.g. "retry of …").
    Note,
    /// The lease id sent with the request.
    LeaseId,
    /// The request's HTTP scheme (`http`/`https`).
    Scheme,
    /// Metrics: number of transactions this row stands for.
    Count,
}

impl Field {
    pub fn as_str(self) -> &'static str {
        match self {
            Field::Url => "url",
            Field::Detail => "detail",
            Field::RequestDate => "request_date",
            Field::ResponseDate => "response_date",
            Field::XmsVersion => "x_ms_version",
            Field::Origin => "origin",
            Field::AccessControlRequestMethod => "access_control_request_method",
            Field::AccessControlRequestHeaders => "access_control_request_headers",
            Field::CorsFailure => "cors_failure",
            Field::UserAgent => "user_agent",
            Field::CallerIp => "caller_ip",
            Field::StringToSign => "string_to_sign",
            Field::ServerStringToSign => "server_string_to_sign",
            Field::Conditions => "conditions",
            Field::RetryAttempt => "retry_attempt",
            Field::Sas => "sas",
            Field::Note => "note",
            Field::LeaseId => "lease_id",
            Field::Scheme => "scheme",
            Field::Count => "count",
        }
    }

    pub(crate) fn from_u32(v: u32) -> Option<Field> {
        use Field::*;
        const ALL: [Field; 20] = [
            Url,
            Detail,
            RequestDate,
            ResponseDate,
            XmsVersion,
            Origin,
            AccessControlRequestMethod,
            AccessControlRequestHeaders,
            CorsFailure,
            UserAgent,
            CallerIp,
            StringToSign,
            ServerStringToSign,
            Conditions,
            RetryAttempt,
            Sas,
            Note,
            LeaseId,
            Scheme,
            Count,
        ];
        ALL.get(v as usize).copied()
    }
}

/// Where an event came from in its input: enough to re-read its text and to cite it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Location {
    /// 1-based line number of the event's first line.
    pub line: u32,
    /// Byte offset of that line in the decoded input.
    pub offset: u64,
}

/// What a parser pushes: one observation, borrowing from the input where it can.
///
/// Every text field is redacted by the sink before it is stored, so a parser may pass URLs and
/// headers as they are.
#[derive(Clone, Debug, Default)]
pub struct RawEvent<'a> {
    pub time: Option<Timestamp>,
    pub source: SourceKind,
    pub service: Service,
    pub method: Method,
    /// Operation name as the service names it (`PutBlob`, `GetBlobProperties`…), or empty.
    pub operation: Cow<'a, str>,
    /// Full request URL (with its query; SAS included: the sink parses then redacts it).
    pub url: Cow<'a, str>,
    /// `url` is as a `$logs` line writes it, with each `&` still written `&amp;` (and no other
    /// entity): the sink reads the SAS parameters from it as it is (query parsing takes `&amp;`
    /// as a separator anyway) and decodes it only where it needs the URL itself, which for a
    /// server row is rare. Saves decoding, and copying, a URL per server row.
    pub url_amp_encoded: bool,
    /// `/account/container/blob` when the source gives it; otherwise derived from `url`.
    pub resource: Cow<'a, str>,
    pub account: Cow<'a, str>,
    /// HTTP status; 0 when unknown (status 0 in a HAR means the browser got no response).
    pub status: u16,
    pub error_code: Cow<'a, str>,
    pub response_type: ResponseType,
    pub client_request_id: Cow<'a, str>,
    pub request_id: Cow<'a, str>,
    /// `request_id` as a number when the parser has already read it as a lower-case GUID
    /// (`guid::parse(request_id, Case::Lower)`), so that the sink need not read it again; `None`
    /// leaves the reading to the sink.
    pub request_guid: Option<u128>,
    pub e2e_ms: Option<f32>,
    pub server_ms: Option<f32>,
    pub auth: AuthKind,
    pub extras: Vec<(Field, Cow<'a, str>)>,
    pub location: Location,
}

/// An extras list emptied for the next line's event, keeping its memory: the line's borrowed
/// texts are dropped, so the list may borrow from another line. Large logs push several extras
/// on every row; allocating and freeing the list each time was a measurable part of their
/// ingest.
pub fn reuse_extras<'b>(mut extras: Vec<(Field, Cow<'_, str>)>) -> Vec<(Field, Cow<'b, str>)> {
    extras.clear();
    // An empty list mapped onto the same layout: the standard library collects it in place,
    // in the same allocation (the test checks that it does).
    extras
        .into_iter()
        .map(|_| unreachable!("the list is empty"))
        .collect()
}

impl<'a> RawEvent<'a> {
    pub fn with(mut self, field: Field, value: impl Into<Cow<'a, str>>) -> Self {
        let v = value.into();
        if !v.is_empty() {
            self.extras.push((field, v));
        }
        self
    }

    pub fn push(&mut self, field: Field, value: impl Into<Cow<'a, str>>) {
        let v = value.into();
        if !v.is_empty() {
            self.extras.push((field, v));
        }
    }
}

/// The fixed-size record the dataset keeps per event (92 bytes; see ARCHITECTURE.md).
///
/// Packed to 4-byte alignment (in declaration order, no padding): the 64-bit fields would
/// otherwise pad the record to 96 bytes, 4 % more index for nothing. Fields are read by value
/// (`ev.time`), never by reference.
#[derive(Clone, Copy, Debug, Default)]
#[repr(C, packed(4))]
pub struct Event {
    pub time: Timestamp,
    pub offset: u64,
    /// GUID ids are stored inline as 128-bit numbers; other ids are interned (see
    /// [`super::Dataset::client_request_id`]).
    pub(crate) client_request_id: [u64; 2],
    pub(crate) request_id: [u64; 2],
    pub line: u32,
    pub operation: Sym,
    pub resource: Sym,
    pub error_code: Sym,
    pub account: Sym,
    /// Index into the dataset's extras arena; 0 = none.
    pub(crate) extras: u32,
    /// NaN when unknown.
    pub e2e_ms: f32,
    /// NaN when unknown.
    pub server_ms: f32,
    pub status: u16,
    pub input: u16,
    pub source: SourceKind,
    pub service: Service,
    pub method: Method,
    pub auth: AuthKind,
    pub response_type: ResponseType,
    pub(crate) flags: u8,
    /// The port of the caller's address when the source wrote one (`203.0.113.7:52144`); 0 when
    /// none. Kept here rather than in the interned [`Field::CallerIp`] text because it changes
    /// with every connection: the address is interned once, the port costs no string at all.
    pub(crate) caller_port: u16,
}

/// In an id stored as a symbol (`FLAG_CRID_SYM`, `FLAG_RID_SYM`), the second word is this when
/// ingest found that the text is no GUID in any case, and 0 when it is one written otherwise than
/// in lower case (capitals, as some clients send them). Correlation joins a GUID in capitals with
/// the same GUID stored as a number, so it must read and parse the text of the second kind; the
/// first kind it joins by symbol without reading the text (a random read into the strings per
/// row of a large log, when ingest had the text at hand anyway).
pub(crate) const SYM_ID_NOT_GUID: u64 = 1;

pub(crate) const FLAG_HAS_TIME: u8 = 1;
pub(crate) const FLAG_CRID_SYM: u8 = 2;
pub(crate) const FLAG_RID_SYM: u8 = 4;
/// The extras hold a [`Field::Detail`]: the classifiers ask every row for its detail, and most
/// rows of a large log have none; the flag answers without reading the extras.
pub(crate) const FLAG_HAS_DETAIL: u8 = 8;
/// The extras hold a [`Field::CorsFailure`] (asked of every row by `cors-blocked`).
pub(crate) const FLAG_HAS_CORS_FAILURE: u8 = 16;
/// The extras hold a [`Field::Sas`]: five rules ask every row for its token (or its credentials),
/// and rows signed with a key, a bearer token or nothing have none.
pub(crate) const FLAG_HAS_SAS: u8 = 32;
/// The extras hold a [`Field::StringToSign`]: `signature-mismatch` asks every successful row
/// whether it was signed with a key, and only client traces of the legacy library write one.
pub(crate) const FLAG_HAS_STRING_TO_SIGN: u8 = 64;

/// The flag that records whether an event's extras hold `field`, for the fields rules ask every
/// row for and few rows have; 0 for the others.
pub(crate) const fn presence_flag(field: Field) -> u8 {
    match field {
        Field::Detail => FLAG_HAS_DETAIL,
        Field::CorsFailure => FLAG_HAS_CORS_FAILURE,
        Field::Sas => FLAG_HAS_SAS,
        Field::StringToSign => FLAG_HAS_STRING_TO_SIGN,
        _ => 0,
    }
}

impl Event {
    pub fn time(&self) -> Option<Timestamp> {
        (self.flags & FLAG_HAS_TIME != 0).then_some(self.time)
    }

    pub fn is_failure(&self) -> bool {
        is_failure(self.status, self.source)
    }
}

/// A failed request by its status: 4xx or 5xx, or no response at all where a network capture
/// saw the call ([`Event::is_failure`], and the rules' row facts).
pub(crate) fn is_failure(status: u16, source: SourceKind) -> bool {
    status >= 400 || (status == 0 && source == SourceKind::Network)
}

/// Receives what a parser finds. The dataset is one sink; tests use others.
pub trait EventSink {
    fn event(&mut self, ev: RawEvent<'_>);
    /// [`EventSink::event`] for a parser that reuses its event's memory from line to line: the
    /// sink reads `ev` and leaves it to the caller (what it leaves there is unspecified; the
    /// caller takes back `ev.extras` with [`reuse_extras`]). The dataset's sink reads it in
    /// place; the default moves it to [`EventSink::event`].
    fn event_reusing(&mut self, ev: &mut RawEvent<'_>) {
        self.event(std::mem::take(ev));
    }
    /// A line the parser could not use, with why (1-based line number).
    fn skipped(&mut self, line: u64, reason: &str);
    /// Something the user should know about the file as a whole (truncation, header only…).
    fn notice(&mut self, message: &str);
    /// The account's current CORS rules for one service (from a `cors-rules` input).
    fn cors_rules(&mut self, _service: Service, _rules: crate::knowledge::cors::CorsRules) {}
}

#[cfg(test)]
#[path = "event_tests.rs"]
mod tests;
