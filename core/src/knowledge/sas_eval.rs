//! Evaluates a SAS token against one request: which permission letter the operation needs, whether
//! `ss`/`srt`/`sr` cover the service and resource, whether `sip`/`spr` allow the caller, whether
//! the request fell inside `st`..`se`, and how `sv` relates to the request's `x-ms-version`.
//!
//! Used by the 403 rules and by the page's standalone SAS decoder, which passes a request with
//! only what the user typed (possibly nothing): every check then says what it could and could not
//! decide. Nothing here claims more than the token shows: a stored access policy (`si`) holds
//! permissions and times that are not in the token, and only the service can verify `sig`.

use serde::Serialize;

use super::auth_failure::{human_duration, request_version, response_date, service_time};
use super::operations;
use super::sas::{SasKind, SasToken};
use crate::model::{EventView, Field, Service, SourceKind, Timestamp};

/// How far apart two ordinary clocks may be. A request time from the client's clock that lies
/// this close to `st` or `se` cannot decide the question either way.
pub const SKEW_ALLOWANCE_SECS: f64 = 300.0;

/// Lifetimes below this make ordinary clock differences and retries fail requests.
pub const SHORT_LIFETIME_SECS: f64 = 15.0 * 60.0;

/// The outcome of one check.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Ok,
    Fails,
    /// The token or the log does not hold what the check needs.
    Unknown,
}

/// One field of the token checked against the request.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SasCheck {
    /// The SAS parameter (`sp`, `se`…), or `kind` for the kind of token.
    pub field: &'static str,
    pub verdict: Verdict,
    /// Why, in plain words.
    pub reason: String,
    /// What the field would need to hold for this request to pass (a letter, a range…).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub needs: String,
}

impl SasCheck {
    fn new(field: &'static str, verdict: Verdict, reason: impl Into<String>) -> SasCheck {
        SasCheck {
            field,
            verdict,
            reason: reason.into(),
            needs: String::new(),
        }
    }

    fn needs(mut self, n: impl Into<String>) -> SasCheck {
        self.needs = n.into();
        self
    }
}

/// The level of resource an operation acts on (account SAS `srt`: `s`, `c`, `o`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Service,
    Container,
    Object,
}

impl Level {
    pub fn srt_letter(self) -> char {
        match self {
            Level::Service => 's',
            Level::Container => 'c',
            Level::Object => 'o',
        }
    }

    pub fn word(self) -> &'static str {
        match self {
            Level::Service => "service-level",
            Level::Container => "container-level",
            Level::Object => "object-level",
        }
    }
}

/// What an operation needs from a SAS.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Need {
    pub level: Level,
    /// Acceptable permission sets: the request passes when `sp` holds every letter of any one of
    /// them (`["c", "w"]`: create or write; `["au"]`: add and update).
    pub any_of: &'static [&'static str],
    /// Whether a service or user delegation SAS can grant the operation at all (an account SAS
    /// can grant every operation listed here).
    pub service_sas: bool,
}

const fn n(level: Level, any_of: &'static [&'static str], service_sas: bool) -> Need {
    Need {
        level,
        any_of,
        service_sas,
    }
}

/// The permission an operation needs, by the service's operation names (the names server logs
/// use). Facts from the account SAS operation tables and the service SAS permission lists; where
/// the two differ the stricter one is used. `target_exists`: whether the blob or file being
/// written already existed (then `c` no longer suffices: it only creates).
pub fn need(service: Service, op: &str, target_exists: Option<bool>) -> Option<Need> {
    use Level as Lv;
    let overwrite = target_exists == Some(true);
    let create_or_write: &'static [&'static str] = if overwrite { &["w"] } else { &["c", "w"] };
    let op = op.trim();
    let got = match service {
        Service::Blob | Service::Dfs | Service::Unknown => match op {
            "ListContainers" => n(Lv::Service, &["l"], false),
            "GetBlobServiceProperties" | "GetBlobServiceStats" => n(Lv::Service, &["r"], false),
            "SetBlobServiceProperties" => n(Lv::Service, &["w"], false),
            "CreateContainer" => n(Lv::Container, &["c", "w"], false),
            "DeleteContainer" => n(Lv::Container, &["d"], false),
            "GetContainerProperties" | "GetContainerMetadata" => n(Lv::Container, &["r"], false),
            "SetContainerMetadata" => n(Lv::Container, &["w"], false),
            "LeaseContainer"
            | "AcquireContainerLease"
            | "RenewContainerLease"
            | "ChangeContainerLease"
            | "ReleaseContainerLease"
            | "BreakContainerLease" => n(Lv::Container, &["w", "d"], false),
            "ListBlobs" => n(Lv::Container, &["l"], true),
            "FindBlobsByTags" => n(Lv::Object, &["f"], true),
            "PutBlob"
            | "CopyBlob"
            | "CopyBlobDestination"
            | "PutBlobFromURL"
            | "CopyBlobFromURL" => n(Lv::Object, create_or_write, true),
            "IncrementalCopyBlob" | "SnapshotBlob" => n(Lv::Object, &["c", "w"], true),
            "GetBlob" | "GetBlobProperties" | "GetBlobMetadata" | "GetBlockList"
            | "GetPageRegions" | "GetPageRanges" | "GetPageRangesDiff" | "CopyBlobSource"
            | "QueryBlobContents" => n(Lv::Object, &["r"], true),
            "SetBlobProperties" | "SetBlobMetadata" | "PutPage" | "ClearPage" | "AbortCopyBlob"
            | "PutBlock" | "PutBlockList" | "PutBlockFromURL" => n(Lv::Object, &["w"], true),
            "AppendBlock" | "AppendBlockFromURL" => n(Lv::Object, &["a", "w"], true),
            "GetBlobTags" | "SetBlobTags" => n(Lv::Object, &["t"], true),
            "DeleteBlob" => n(Lv::Object, &["d"], true),
            "LeaseBlob" | "AcquireBlobLease" | "RenewBlobLease" | "ChangeBlobLease"
            | "ReleaseBlobLease" | "BreakBlobLease" => n(Lv::Object, &["w", "d"], true),
            "SetImmutabilityPolicy" | "DeleteImmutabilityPolicy" | "SetLegalHold" => {
                n(Lv::Object, &["i"], true)
            }
            _ => return None,
        },
        Service::Queue => match op {
            "ListQueues" => n(Lv::Service, &["l"], false),
            "GetQueueServiceProperties" | "GetQueueServiceStats" => n(Lv::Service, &["r"], false),
            "SetQueueServiceProperties" => n(Lv::Service, &["w"], false),
            "CreateQueue" => n(Lv::Container, &["c", "w"], false),
            "DeleteQueue" => n(Lv::Container, &["d"], false),
            "GetQueueMetadata" | "GetQueue" => n(Lv::Container, &["r"], true),
            "SetQueueMetadata" => n(Lv::Container, &["w"], false),
            "PutMessage" => n(Lv::Object, &["a"], true),
            "GetMessages" | "GetMessage" | "DeleteMessage" => n(Lv::Object, &["p"], true),
            "PeekMessages" | "PeekMessage" => n(Lv::Object, &["r"], true),
            "ClearMessages" => n(Lv::Object, &["d"], false),
            "UpdateMessage" => n(Lv::Object, &["u"], true),
            _ => return None,
        },
        Service::Table => match op {
            "GetTableServiceProperties" | "GetTableServiceStats" => n(Lv::Service, &["r"], false),
            "SetTableServiceProperties" => n(Lv::Service, &["w"], false),
            "QueryTables" | "QueryTable" => n(Lv::Container, &["l"], false),
            "CreateTable" => n(Lv::Container, &["c", "w"], false),
            "DeleteTable" => n(Lv::Container, &["d"], false),
            "QueryEntities" | "QueryEntity" => n(Lv::Object, &["r"], true),
            "InsertEntity" => n(Lv::Object, &["a"], true),
            "InsertOrMergeEntity" | "InsertOrReplaceEntity" => n(Lv::Object, &["au"], true),
            "UpdateEntity" | "MergeEntity" => n(Lv::Object, &["u"], true),
            "DeleteEntity" => n(Lv::Object, &["d"], true),
            _ => return None,
        },
        Service::File => match op {
            "ListShares" => n(Lv::Service, &["l"], false),
            "GetFileServiceProperties" => n(Lv::Service, &["r"], false),
            "SetFileServiceProperties" => n(Lv::Service, &["w"], false),
            "CreateShare" | "SnapshotShare" => n(Lv::Container, &["c", "w"], false),
            "DeleteShare" => n(Lv::Container, &["d"], false),
            "GetShareProperties" | "GetShareMetadata" | "GetShareStats" => {
                n(Lv::Container, &["r"], false)
            }
            "SetShareProperties" | "SetShareMetadata" => n(Lv::Container, &["w"], false),
            "ListFilesAndDirectories" => n(Lv::Container, &["l"], true),
            "CreateDirectory" => n(Lv::Object, &["c", "w"], true),
            "CreateFile" => n(Lv::Object, create_or_write, true),
            "GetDirectoryProperties"
            | "GetDirectoryMetadata"
            | "GetFile"
            | "GetFileProperties"
            | "GetFileMetadata"
            | "ListRanges" => n(Lv::Object, &["r"], true),
            "SetDirectoryMetadata"
            | "SetFileMetadata"
            | "SetFileProperties"
            | "PutRange"
            | "ClearRange"
            | "CopyFile"
            | "AbortCopyFile" => n(Lv::Object, &["w"], true),
            "DeleteDirectory" | "DeleteFile" => n(Lv::Object, &["d"], true),
            _ => return None,
        },
    };
    Some(got)
}

/// The level of a request whose operation is unknown, from its resource key
/// (`/account`, `/account/container`, `/account/container/blob`).
pub fn level_of_resource(service: Service, resource: &str) -> Option<Level> {
    let segs: Vec<&str> = resource.split('/').filter(|s| !s.is_empty()).collect();
    match (service, segs.len()) {
        (_, 0) => None,
        (_, 1) => Some(Level::Service),
        (Service::Table, 2) => {
            let t = segs[1];
            if t.starts_with("Tables") {
                Some(Level::Container)
            } else {
                Some(Level::Object)
            }
        }
        (_, 2) => Some(Level::Container),
        _ => Some(Level::Object),
    }
}

/// The operations a request can be when its log shows the URL but not the method (the legacy
/// .NET trace only names the method of requests it signs with Shared Key): by service, level of
/// resource and the `comp`/`restype` parameters.
pub fn candidate_operations(service: Service, resource: &str, url: &str) -> Vec<&'static str> {
    let (mut comp, mut restype) = (String::new(), String::new());
    if let Some(u) = crate::knowledge::url::StorageUrl::parse(url) {
        for (k, v) in u.params() {
            match k.as_ref() {
                "comp" => comp = v.to_ascii_lowercase(),
                "restype" => restype = v.to_ascii_lowercase(),
                _ => {}
            }
        }
    }
    let level = if restype == "container" || restype == "share" {
        Some(Level::Container)
    } else {
        level_of_resource(service, resource)
    };
    let segs = resource.split('/').filter(|s| !s.is_empty()).count();
    let ops: &[&'static str] = match (service, level, comp.as_str()) {
        (Service::Queue, Some(Level::Service), _) => &["ListQueues"],
        (Service::Queue, Some(Level::Container), "metadata") => {
            &["GetQueueMetadata", "SetQueueMetadata"]
        }
        (Service::Queue, Some(Level::Container), _) => &["CreateQueue", "DeleteQueue"],
        (Service::Queue, Some(Level::Object), _) if segs > 3 => &["DeleteMessage", "UpdateMessage"],
        (Service::Queue, Some(Level::Object), _) => {
            &["PutMessage", "GetMessages", "PeekMessages", "ClearMessages"]
        }
        (Service::Table, Some(Level::Container), _) => {
            &["QueryTables", "CreateTable", "DeleteTable"]
        }
        (Service::Table, Some(Level::Object), _) => &[
            "QueryEntities",
            "InsertEntity",
            "UpdateEntity",
            "MergeEntity",
            "DeleteEntity",
            "InsertOrReplaceEntity",
            "InsertOrMergeEntity",
        ],
        (Service::File, Some(Level::Object), "range") => &["PutRange"],
        (Service::File, Some(Level::Object), "metadata") => &["GetFileMetadata", "SetFileMetadata"],
        (Service::File, Some(Level::Object), _) => {
            &["GetFile", "GetFileProperties", "CreateFile", "DeleteFile"]
        }
        (Service::File, Some(Level::Container), "list") => &["ListFilesAndDirectories"],
        (Service::File, Some(Level::Container), _) => {
            &["GetShareProperties", "CreateShare", "DeleteShare"]
        }
        (Service::Table | Service::File, _, _) => &[],
        (_, Some(Level::Service), "list") => &["ListContainers"],
        (_, Some(Level::Service), "properties") => {
            &["GetBlobServiceProperties", "SetBlobServiceProperties"]
        }
        (_, Some(Level::Container), "list") => &["ListBlobs"],
        (_, Some(Level::Container), "metadata") => {
            &["GetContainerMetadata", "SetContainerMetadata"]
        }
        (_, Some(Level::Container), "lease") => &["LeaseContainer"],
        (_, Some(Level::Container), "") => &[
            "GetContainerProperties",
            "CreateContainer",
            "DeleteContainer",
        ],
        (_, Some(Level::Object), "") => &["GetBlob", "GetBlobProperties", "PutBlob", "DeleteBlob"],
        (_, Some(Level::Object), "block") => &["PutBlock"],
        (_, Some(Level::Object), "blocklist") => &["PutBlockList", "GetBlockList"],
        (_, Some(Level::Object), "metadata") => &["GetBlobMetadata", "SetBlobMetadata"],
        (_, Some(Level::Object), "properties") => &["SetBlobProperties"],
        (_, Some(Level::Object), "appendblock") => &["AppendBlock"],
        (_, Some(Level::Object), "page") => &["PutPage"],
        (_, Some(Level::Object), "pagelist") => &["GetPageRegions"],
        (_, Some(Level::Object), "lease") => &["LeaseBlob"],
        (_, Some(Level::Object), "snapshot") => &["SnapshotBlob"],
        (_, Some(Level::Object), "tags") => &["GetBlobTags", "SetBlobTags"],
        _ => &[],
    };
    ops.to_vec()
}

/// The plain word for a permission letter, for the kind of SAS and service.
pub fn letter_word(c: char, service: Service) -> &'static str {
    match c {
        'r' => "read",
        'a' => "add",
        'c' => "create",
        'w' => "write",
        'd' => "delete",
        'x' => "delete version",
        'y' => "permanent delete",
        'l' => "list",
        't' => "tags",
        'f' => "find by tags",
        'm' => "move",
        'e' => "execute",
        'o' => "ownership",
        'p' if service == Service::Queue => "process",
        'p' if matches!(service, Service::Blob | Service::Dfs) => "permissions",
        'p' => "process",
        'u' => "update",
        'i' => "set immutability policy",
        _ => "unknown",
    }
}

/// Letters that can appear in `sp` for this kind of token and service.
fn known_letters(kind: SasKind, service: Service) -> &'static str {
    match (kind, service) {
        (SasKind::Account, _) => "rwdxylacuptfi",
        (_, Service::Queue) => "raup",
        (_, Service::Table) => "raud",
        (_, Service::File) => "rcwdl",
        _ => "racwdxyltfmeopi",
    }
}

/// `rw` → "r (read), w (write)".
pub fn describe_letters(sp: &str, service: Service) -> String {
    sp.chars()
        .map(|c| format!("{c} ({})", letter_word(c, service)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `["c", "w"]` → "c (create) or w (write)"; `["au"]` → "a (add) and u (update)".
pub fn describe_options(any_of: &[&str], service: Service) -> String {
    any_of
        .iter()
        .map(|o| {
            o.chars()
                .map(|c| format!("{c} ({})", letter_word(c, service)))
                .collect::<Vec<_>>()
                .join(" and ")
        })
        .collect::<Vec<_>>()
        .join(" or ")
}

/// The letters of `sp` missing for the cheapest acceptable option, or `None` when one is met.
pub fn missing_letters(sp: &str, any_of: &[&str]) -> Option<String> {
    let mut best: Option<String> = None;
    for o in any_of {
        let miss: String = o.chars().filter(|c| !sp.contains(*c)).collect();
        if miss.is_empty() {
            return None;
        }
        if best.as_ref().is_none_or(|b| miss.len() < b.len()) {
            best = Some(miss);
        }
    }
    best
}

/// What the evaluation knows about the request.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SasRequest {
    pub service: Service,
    /// Operation in the service's naming (`PutBlob`…), or empty when unknown.
    pub operation: String,
    /// `/account/container/blob`, or empty.
    pub resource: String,
    /// When the request arrived.
    pub time: Option<Timestamp>,
    /// `time` is the service's clock (a server log, the "Current" of an error message); otherwise
    /// it is the client's and is only trusted outside [`SKEW_ALLOWANCE_SECS`].
    pub time_from_service: bool,
    pub caller_ip: Option<String>,
    /// `http` or `https`.
    pub scheme: Option<String>,
    pub x_ms_version: Option<String>,
    /// The blob or file being written already existed.
    pub target_exists: Option<bool>,
}

impl SasRequest {
    /// What a pasted URL tells (the standalone decoder): service, resource, scheme, and the
    /// operation when the method is given. Time, caller address and version stay unknown unless
    /// the caller fills them in.
    pub fn for_url(url: &str, method: crate::model::Method) -> SasRequest {
        let Some(u) = crate::knowledge::url::StorageUrl::parse(url) else {
            return SasRequest::default();
        };
        SasRequest {
            service: u.service(),
            operation: operations::infer(method, url).to_string(),
            resource: u.resource_key(),
            scheme: Some(u.scheme.to_ascii_lowercase()).filter(|s| !s.is_empty()),
            x_ms_version: u.param("api-version").map(|v| v.into_owned()),
            ..Default::default()
        }
    }

    /// Everything one event tells about its request.
    pub fn from_event(v: &EventView<'_>) -> SasRequest {
        let url = v.extra(Field::Url).unwrap_or("");
        let mut operation = v.operation().to_string();
        if operation.is_empty() && !url.is_empty() {
            operation = operations::infer(v.ev.method, url).to_string();
        }
        let (time, time_from_service) = match service_time(v).or_else(|| response_date(v)) {
            Some(t) => (Some(t), true),
            None => (v.time(), v.ev.source == SourceKind::Server),
        };
        let caller_ip =
            v.caller_ip().map(|ip| ip.into_owned()).or_else(
                || match super::auth_failure::classify(v) {
                    Some(super::auth_failure::Problem::SourceIpMismatch(ip)) => ip,
                    _ => None,
                },
            );
        let scheme = v
            .extra(Field::Scheme)
            .map(|s| s.to_ascii_lowercase())
            .or_else(|| {
                crate::knowledge::url::StorageUrl::parse(url)
                    .map(|u| u.scheme.to_ascii_lowercase())
                    .filter(|s| !s.is_empty())
            });
        SasRequest {
            service: v.ev.service,
            operation,
            resource: v.resource().to_string(),
            time,
            time_from_service,
            caller_ip,
            scheme,
            x_ms_version: request_version(v),
            target_exists: None,
        }
    }
}

/// The service letter an account SAS needs in `ss`.
pub fn service_letter(s: Service) -> Option<char> {
    match s {
        Service::Blob | Service::Dfs => Some('b'),
        Service::Queue => Some('q'),
        Service::Table => Some('t'),
        Service::File => Some('f'),
        Service::Unknown => None,
    }
}

fn is_version(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
}

/// IPv4 or IPv6 address, with or without a port (`1.2.3.4:5678`, `[::1]:443`).
pub fn parse_ip(s: &str) -> Option<std::net::IpAddr> {
    let s = s.trim();
    if let Ok(ip) = s.parse() {
        return Some(ip);
    }
    if let Ok(sa) = s.parse::<std::net::SocketAddr>() {
        return Some(sa.ip());
    }
    let (host, port) = s.rsplit_once(':')?;
    if port.bytes().all(|b| b.is_ascii_digit()) {
        return host.trim_matches(['[', ']']).parse().ok();
    }
    None
}

/// Whether `ip` is inside a `sip` value: one address or an inclusive range `a-b`.
pub fn ip_in_sip(sip: &str, ip: std::net::IpAddr) -> Option<bool> {
    let sip = sip.trim();
    match sip.split_once('-') {
        Some((a, b)) => {
            let a = parse_ip(a)?;
            let b = parse_ip(b)?;
            Some(match (a, b, ip) {
                (std::net::IpAddr::V4(a), std::net::IpAddr::V4(b), std::net::IpAddr::V4(ip)) => {
                    u32::from(a) <= u32::from(ip) && u32::from(ip) <= u32::from(b)
                }
                (std::net::IpAddr::V6(a), std::net::IpAddr::V6(b), std::net::IpAddr::V6(ip)) => {
                    u128::from(a) <= u128::from(ip) && u128::from(ip) <= u128::from(b)
                }
                _ => false,
            })
        }
        None => Some(parse_ip(sip)? == ip),
    }
}

fn policy_holder(service: Service) -> &'static str {
    match service {
        Service::Queue => "queue",
        Service::Table => "table",
        Service::File => "share",
        _ => "container",
    }
}

/// The table a table-service resource key names (`/acct/orders(PartitionKey='a',…)` → `orders`).
fn table_name(resource: &str) -> Option<&str> {
    let seg = resource.split('/').filter(|s| !s.is_empty()).nth(1)?;
    let name = seg.split('(').next().unwrap_or(seg);
    (!name.is_empty() && !name.starts_with("Tables")).then_some(name)
}

/// Checks the token against the request, field by field, in display order.
pub fn evaluate(t: &SasToken, req: &SasRequest) -> Vec<SasCheck> {
    use Verdict::*;
    let mut out = Vec::new();
    let kind = t.kind();
    let service = req.service;
    let op = req.operation.as_str();
    let need = (!op.is_empty())
        .then(|| need(service, op, req.target_exists))
        .flatten();
    let level = need
        .map(|n| n.level)
        .or_else(|| level_of_resource(service, &req.resource));

    // The kind of token decides which fields apply.
    out.push(SasCheck::new(
        "kind",
        Ok,
        match kind {
            SasKind::Account => {
                "account SAS: signed with an account key; ss and srt say which services and \
                 levels of resource it covers"
            }
            SasKind::Service => {
                "service SAS: signed with an account key for one resource (sr, or the queue or \
                 table in the URL)"
            }
            SasKind::UserDelegation => {
                "user delegation SAS: signed with a key obtained through Microsoft Entra ID \
                 (skoid names the identity); Blob Storage only"
            }
        },
    ));

    // sv
    match t.sv.as_deref() {
        None => out.push(SasCheck::new(
            "sv",
            Unknown,
            "no signed version: the token is from before 2012-02-12 or was cut short; current \
             SDKs always include it",
        )),
        Some(sv) if !is_version(sv) => out.push(
            SasCheck::new(
                "sv",
                Fails,
                format!("'{sv}' is not a service version; the service refuses the token as not well formed"),
            )
            .needs("a version such as 2021-08-06"),
        ),
        Some(sv) => {
            let mut problems = Vec::new();
            if kind == SasKind::Account && sv < "2015-04-05" {
                problems.push(("account SAS tokens exist since 2015-04-05", "2015-04-05 or later"));
            }
            if kind == SasKind::UserDelegation && sv < "2018-11-09" {
                problems.push((
                    "user delegation SAS tokens exist since 2018-11-09",
                    "2018-11-09 or later",
                ));
            }
            if (t.sip.is_some() || t.spr.is_some()) && sv < "2015-04-05" {
                problems.push(("sip and spr exist since 2015-04-05", "2015-04-05 or later"));
            }
            if let Some((why, need)) = problems.first() {
                out.push(
                    SasCheck::new("sv", Fails, format!("sv={sv}, but {why}")).needs(*need),
                );
            } else {
                let mut reason = format!("signed with service version {sv}");
                if sv < "2015-04-05" {
                    reason.push_str(
                        "; with a version this old, a missing permission is answered 404 instead \
                         of 403",
                    );
                }
                match req.x_ms_version.as_deref() {
                    Some(x) if x == sv => {
                        reason.push_str("; the request's x-ms-version is the same");
                    }
                    Some(x) => reason.push_str(&format!(
                        "; the request was sent with x-ms-version {x} (a difference is normal; it \
                         only matters when the request uses something newer than {sv})"
                    )),
                    None => {}
                }
                out.push(SasCheck::new("sv", Ok, reason));
            }
        }
    }

    // ss / srt: account SAS only.
    if kind == SasKind::Account {
        match (t.ss.as_deref(), service_letter(service)) {
            (None, _) => out.push(
                SasCheck::new(
                    "ss",
                    Fails,
                    "an account SAS must list the services it covers",
                )
                .needs(
                    service_letter(service)
                        .map(String::from)
                        .unwrap_or_default(),
                ),
            ),
            (Some(ss), Some(l)) if ss.contains(l) => out.push(SasCheck::new(
                "ss",
                Ok,
                format!("ss={ss} covers the {} service ({l})", service.as_str()),
            )),
            (Some(ss), Some(l)) => out.push(
                SasCheck::new(
                    "ss",
                    Fails,
                    format!(
                        "ss={ss} does not include the {} service; the service answers \
                         AuthorizationServiceMismatch",
                        service.as_str()
                    ),
                )
                .needs(format!("{ss}{l}")),
            ),
            (Some(ss), None) => out.push(SasCheck::new(
                "ss",
                Unknown,
                format!("ss={ss}; which service the request went to is not known"),
            )),
        }
        match (t.srt.as_deref(), level) {
            (None, _) => out.push(
                SasCheck::new(
                    "srt",
                    Fails,
                    "an account SAS must list the resource types it covers",
                )
                .needs(
                    level
                        .map(|l| l.srt_letter().to_string())
                        .unwrap_or_default(),
                ),
            ),
            (Some(srt), Some(l)) if srt.contains(l.srt_letter()) => out.push(SasCheck::new(
                "srt",
                Ok,
                format!(
                    "srt={srt} covers {} operations ({})",
                    l.word(),
                    l.srt_letter()
                ),
            )),
            (Some(srt), Some(l)) => out.push(
                SasCheck::new(
                    "srt",
                    Fails,
                    format!(
                        "srt={srt} does not cover {} operations{}; the service answers \
                         AuthorizationResourceTypeMismatch",
                        l.word(),
                        if op.is_empty() {
                            String::new()
                        } else {
                            format!(" such as {op}")
                        }
                    ),
                )
                .needs(format!("{srt}{}", l.srt_letter())),
            ),
            (Some(srt), None) => out.push(SasCheck::new(
                "srt",
                Unknown,
                format!("srt={srt}; the level of the requested resource is not known"),
            )),
        }
    }

    // sr / tn: what a service or user delegation SAS is bound to.
    if kind != SasKind::Account {
        if kind == SasKind::UserDelegation
            && !matches!(service, Service::Blob | Service::Dfs | Service::Unknown)
        {
            out.push(
                SasCheck::new(
                    "sr",
                    Fails,
                    format!(
                        "a user delegation SAS only works with Blob Storage, not the {} service",
                        service.as_str()
                    ),
                )
                .needs("a service or account SAS"),
            );
        } else {
            sr_check(t, req, need, level, &mut out);
        }
    }

    // sp
    let sp = t.sp.as_deref();
    match (sp, need) {
        (None, _) if t.si.is_some() => out.push(
            SasCheck::new(
                "sp",
                Unknown,
                format!(
                    "the token has no permissions of its own: they are in stored access policy \
                     '{}' on the {}, which is not visible in the token{}",
                    t.si.as_deref().unwrap_or(""),
                    policy_holder(service),
                    match need {
                        Some(n) if !op.is_empty() =>
                            format!("; {op} needs {}", describe_options(n.any_of, service)),
                        _ => String::new(),
                    }
                ),
            )
            .needs(need.map(|n| n.any_of.join(" or ")).unwrap_or_default()),
        ),
        (None, _) => out.push(SasCheck::new(
            "sp",
            Fails,
            "no permissions in the token and no stored access policy (si) to take them from",
        )),
        (Some(""), _) => out.push(SasCheck::new(
            "sp",
            Fails,
            "sp is empty: the token grants nothing",
        )),
        (Some(sp), _) if t.si.is_some() => out.push(SasCheck::new(
            "sp",
            Unknown,
            format!(
                "sp={sp}, and the token also names stored access policy '{}'; the service \
                 refuses a token when the policy sets permissions too",
                t.si.as_deref().unwrap_or("")
            ),
        )),
        (Some(sp), _) => {
            let unknown: String = sp
                .chars()
                .filter(|c| !known_letters(kind, service).contains(*c))
                .collect();
            if !unknown.is_empty() {
                out.push(SasCheck::new(
                    "sp",
                    Unknown,
                    format!(
                        "sp={sp} contains letters this kind of SAS does not define ({unknown}); \
                         the service may refuse the token as not well formed"
                    ),
                ));
            }
            match need {
                Some(nd) if kind != SasKind::Account && !nd.service_sas => out.push(SasCheck::new(
                    "sp",
                    Unknown,
                    format!(
                        "sp={sp}, but no permission letter lets a {} SAS do {op}",
                        if kind == SasKind::UserDelegation {
                            "user delegation"
                        } else {
                            "service"
                        }
                    ),
                )),
                Some(nd) => match missing_letters(sp, nd.any_of) {
                    None => {
                        let mut reason = format!(
                            "{op} needs {}; sp={sp} has it",
                            describe_options(nd.any_of, service)
                        );
                        if nd.any_of.contains(&"c")
                            && !sp.contains('w')
                            && req.target_exists.is_none()
                        {
                            reason
                                .push_str(" (c only creates: overwriting an existing one needs w)");
                        }
                        out.push(SasCheck::new("sp", Ok, reason));
                    }
                    Some(miss) => out.push(
                        SasCheck::new(
                            "sp",
                            Fails,
                            format!(
                                "{op} needs {}; sp={sp} ({}) lacks {}",
                                describe_options(nd.any_of, service),
                                describe_letters(sp, service),
                                describe_letters(&miss, service)
                            ),
                        )
                        .needs(miss),
                    ),
                },
                None => out.push(SasCheck::new(
                    "sp",
                    Unknown,
                    format!(
                        "sp={sp} grants {}; {}",
                        describe_letters(sp, service),
                        if op.is_empty() {
                            "which operation the request was could not be told".to_string()
                        } else {
                            format!("which letter {op} needs is not in the table")
                        }
                    ),
                )),
            }
        }
    }

    time_checks(t, req, &mut out);

    // sip
    match t.sip.as_deref() {
        None => out.push(SasCheck::new("sip", Ok, "not set: any client address")),
        Some(sip) => {
            let valid = match sip.split_once('-') {
                Some((a, b)) => parse_ip(a).is_some() && parse_ip(b).is_some(),
                None => parse_ip(sip).is_some(),
            };
            let caller = req.caller_ip.as_deref().and_then(parse_ip);
            match (valid, caller) {
                (false, _) => out.push(SasCheck::new(
                    "sip",
                    Fails,
                    format!("sip={sip} is neither an address nor a range a-b"),
                )),
                (true, Some(ip)) => match ip_in_sip(sip, ip) {
                    Some(true) => out.push(SasCheck::new(
                        "sip",
                        Ok,
                        format!("the caller {ip} is inside sip={sip}"),
                    )),
                    _ => out.push(
                        SasCheck::new(
                            "sip",
                            Fails,
                            format!(
                                "the caller {ip} is outside sip={sip}; the service answers \
                                 AuthorizationSourceIPMismatch"
                            ),
                        )
                        .needs(format!("an address or range that includes {ip}")),
                    ),
                },
                (true, None) => out.push(SasCheck::new(
                    "sip",
                    Unknown,
                    format!(
                        "sip={sip}; the caller's address as the service saw it is not in this \
                         log (server logs record it; behind NAT or a proxy it is the public \
                         address, not the machine's own)"
                    ),
                )),
            }
        }
    }

    // spr
    match t.spr.as_deref().map(|s| s.to_ascii_lowercase()) {
        None => out.push(SasCheck::new(
            "spr",
            Ok,
            "not set: HTTPS and HTTP both allowed",
        )),
        Some(spr) => {
            let parts: Vec<&str> = spr.split(',').map(str::trim).collect();
            let https_only = parts == ["https"];
            let both = parts.len() == 2 && parts.contains(&"https") && parts.contains(&"http");
            if !https_only && !both {
                out.push(
                    SasCheck::new(
                        "spr",
                        Fails,
                        format!("spr={spr} is not allowed: only https or https,http"),
                    )
                    .needs("https or https,http"),
                );
            } else {
                match req.scheme.as_deref() {
                    Some("http") if https_only => out.push(
                        SasCheck::new(
                            "spr",
                            Fails,
                            "spr=https, but the request went over plain HTTP; the service \
                             answers AuthorizationProtocolMismatch",
                        )
                        .needs("https,http (or call the https:// endpoint)"),
                    ),
                    Some(s) if s == "http" || s == "https" => out.push(SasCheck::new(
                        "spr",
                        Ok,
                        format!("spr={spr} allows the request's {s}"),
                    )),
                    _ if both => out.push(SasCheck::new(
                        "spr",
                        Ok,
                        format!("spr={spr}: either protocol"),
                    )),
                    _ => out.push(SasCheck::new(
                        "spr",
                        Unknown,
                        format!("spr={spr}; the request's scheme is not in this log"),
                    )),
                }
            }
        }
    }

    // si
    if let Some(si) = t.si.as_deref() {
        match kind {
            SasKind::Account => out.push(SasCheck::new(
                "si",
                Fails,
                "an account SAS cannot refer to a stored access policy",
            )),
            SasKind::UserDelegation => out.push(SasCheck::new(
                "si",
                Fails,
                "a user delegation SAS cannot refer to a stored access policy",
            )),
            SasKind::Service => out.push(SasCheck::new(
                "si",
                Unknown,
                format!(
                    "refers to stored access policy '{si}' on the {}: whatever the token leaves \
                     out of sp, st and se comes from that policy and cannot be seen here. A \
                     policy that was deleted, renamed or has expired makes the token fail; a \
                     changed policy takes up to 30 seconds to apply",
                    policy_holder(service)
                ),
            )),
        }
    }

    if kind == SasKind::UserDelegation {
        delegation_checks(t, req, &mut out);
    }

    // sig
    out.push(if !t.has_signature {
        SasCheck::new(
            "sig",
            Fails,
            "no signature: the service cannot authorize the token",
        )
    } else if t.signature_masked {
        SasCheck::new(
            "sig",
            Unknown,
            "masked in the log; only the service can verify a signature",
        )
    } else {
        SasCheck::new(
            "sig",
            Unknown,
            "present (hidden here); only the service can verify it — a wrong or regenerated \
             key, or any field changed after signing, makes it fail",
        )
    });
    out
}

fn sr_check(
    t: &SasToken,
    req: &SasRequest,
    need: Option<Need>,
    level: Option<Level>,
    out: &mut Vec<SasCheck>,
) {
    use Verdict::*;
    let service = req.service;
    let op = req.operation.as_str();
    let label = if op.is_empty() {
        level.map(|l| format!("{} operations", l.word()))
    } else {
        Some(op.to_string())
    };
    let blocked = need.is_some_and(|n| !n.service_sas) || level == Some(Level::Service);
    if blocked {
        out.push(
            SasCheck::new(
                "sr",
                Fails,
                format!(
                    "{} cannot be granted by a {} SAS; the service answers \
                     AuthorizationFailure or 'signed resource is not allowed for this resource \
                     level'",
                    label.unwrap_or_else(|| "this operation".into()),
                    if t.kind() == SasKind::UserDelegation {
                        "user delegation"
                    } else {
                        "service"
                    }
                ),
            )
            .needs(format!(
                "an account SAS with srt={}",
                level.map_or('c', |l| l.srt_letter())
            )),
        );
        return;
    }
    match service {
        Service::Blob | Service::Dfs | Service::File => {
            let Some(sr) = t.sr.as_deref() else {
                out.push(
                    SasCheck::new(
                        "sr",
                        Fails,
                        "a blob or file service SAS must say what it is bound to (sr); the \
                         service answers 'sr is mandatory'",
                    )
                    .needs(if service == Service::File {
                        "f or s"
                    } else {
                        "b or c"
                    }),
                );
                return;
            };
            let (whole, single): (&[&str], &[&str]) = if service == Service::File {
                (&["s"], &["f"])
            } else {
                (&["c", "d"], &["b", "bs", "bv"])
            };
            let ok_levels = whole.contains(&sr) || single.contains(&sr);
            if !ok_levels {
                out.push(SasCheck::new(
                    "sr",
                    Fails,
                    format!(
                        "sr={sr} is not a resource the {} service knows",
                        service.as_str()
                    ),
                ));
                return;
            }
            match level {
                Some(Level::Container) if single.contains(&sr) => out.push(
                    SasCheck::new(
                        "sr",
                        Fails,
                        format!(
                            "sr={sr} binds the token to a single {}, but {} acts on the \
                             whole {}",
                            if service == Service::File {
                                "file"
                            } else {
                                "blob"
                            },
                            label.unwrap_or_default(),
                            policy_holder(service)
                        ),
                    )
                    .needs(whole[0]),
                ),
                Some(_) => out.push(SasCheck::new(
                    "sr",
                    Ok,
                    format!(
                        "sr={sr}: bound to {} (the path it was signed for is part of the \
                         signature, so another path fails the signature check)",
                        match sr {
                            "c" => "a container and its blobs",
                            "d" => "a directory and what is under it",
                            "b" => "one blob",
                            "bs" => "one blob snapshot",
                            "bv" => "one blob version",
                            "s" => "a share and its files",
                            _ => "one file",
                        }
                    ),
                )),
                None => out.push(SasCheck::new(
                    "sr",
                    Unknown,
                    format!("sr={sr}; the level of the requested resource is not known"),
                )),
            }
        }
        Service::Table => {
            let Some(tn) = t.tn.as_deref() else {
                return;
            };
            match table_name(&req.resource) {
                Some(name) if name.eq_ignore_ascii_case(tn) => out.push(SasCheck::new(
                    "tn",
                    Ok,
                    format!("tn={tn} is the table requested"),
                )),
                Some(name) => out.push(
                    SasCheck::new(
                        "tn",
                        Fails,
                        format!("tn={tn}, but the request went to table {name}"),
                    )
                    .needs(name.to_string()),
                ),
                None => out.push(SasCheck::new(
                    "tn",
                    Unknown,
                    format!("tn={tn}; the table requested is not known"),
                )),
            }
        }
        _ => {}
    }
}

fn time_checks(t: &SasToken, req: &SasRequest, out: &mut Vec<SasCheck>) {
    use Verdict::*;
    let clock = if req.time_from_service {
        "the service's time"
    } else {
        "the request time (client clock)"
    };
    let start = t.start();
    let expiry = t.expiry();
    // st
    match (t.st.as_deref(), start) {
        (None, _) if t.si.is_some() => out.push(SasCheck::new(
            "st",
            Unknown,
            "not in the token: the stored access policy may set a start",
        )),
        (None, _) => out.push(SasCheck::new(
            "st",
            Ok,
            "not set: valid from the moment the service receives the request (the safe \
             choice for a token used at once)",
        )),
        (Some(st), None) => out.push(SasCheck::new(
            "st",
            Fails,
            format!("st={st} is not a UTC time the service accepts"),
        )),
        (Some(_), Some(s)) => match req.time {
            None => out.push(SasCheck::new(
                "st",
                Unknown,
                format!("starts {s}; when the request arrived is not known"),
            )),
            Some(now) if now >= s => out.push(SasCheck::new(
                "st",
                Ok,
                format!(
                    "started {s}, {} before {clock}",
                    human_duration(now.seconds_since(s))
                ),
            )),
            Some(now) => {
                let early = s.seconds_since(now);
                if req.time_from_service || early > SKEW_ALLOWANCE_SECS {
                    out.push(
                        SasCheck::new(
                            "st",
                            Fails,
                            format!(
                                "starts {s}, {} after {clock}: the token was not valid yet",
                                human_duration(early)
                            ),
                        )
                        .needs(format!("a start before {now}, or no st at all")),
                    );
                } else {
                    out.push(SasCheck::new(
                        "st",
                        Unknown,
                        format!(
                            "starts {s}, only {} after {clock}: an ordinary clock difference \
                             decides whether the service saw it as valid",
                            human_duration(early)
                        ),
                    ));
                }
            }
        },
    }
    // se
    match (t.se.as_deref(), expiry) {
        (None, _) if t.si.is_some() => out.push(SasCheck::new(
            "se",
            Unknown,
            "not in the token: the expiry is in the stored access policy",
        )),
        (None, _) => out.push(SasCheck::new(
            "se",
            Fails,
            "no expiry and no stored access policy to take one from",
        )),
        (Some(se), None) => out.push(SasCheck::new(
            "se",
            Fails,
            format!("se={se} is not a UTC time the service accepts"),
        )),
        (Some(_), Some(e)) if start.is_some_and(|s| e <= s) => out.push(SasCheck::new(
            "se",
            Fails,
            format!(
                "expires {e}, which is not after its start {}",
                start.map(|s| s.to_string()).unwrap_or_default()
            ),
        )),
        (Some(_), Some(e)) => {
            let life = start
                .map(|s| {
                    let secs = e.seconds_since(s);
                    format!(
                        "; lifetime {}{}",
                        human_duration(secs),
                        if secs < SHORT_LIFETIME_SECS {
                            " (short: clock differences and retries eat into it)"
                        } else {
                            ""
                        }
                    )
                })
                .unwrap_or_default();
            match req.time {
                None => out.push(SasCheck::new(
                    "se",
                    Unknown,
                    format!("expires {e}{life}; when the request arrived is not known"),
                )),
                Some(now) if now < e => {
                    let left = e.seconds_since(now);
                    if !req.time_from_service && left <= SKEW_ALLOWANCE_SECS {
                        out.push(SasCheck::new(
                            "se",
                            Unknown,
                            format!(
                                "expires {e}, only {} after {clock}{life}: an ordinary clock \
                                 difference decides whether the service saw it as expired",
                                human_duration(left)
                            ),
                        ));
                    } else {
                        out.push(SasCheck::new(
                            "se",
                            Ok,
                            format!("expires {e}, {} after {clock}{life}", human_duration(left)),
                        ));
                    }
                }
                Some(now) => {
                    let late = now.seconds_since(e);
                    if req.time_from_service || late > SKEW_ALLOWANCE_SECS {
                        out.push(
                            SasCheck::new(
                                "se",
                                Fails,
                                format!(
                                    "expired {e}, {} before {clock}{life}",
                                    human_duration(late)
                                ),
                            )
                            .needs(format!("an expiry after {now}")),
                        );
                    } else {
                        out.push(SasCheck::new(
                            "se",
                            Unknown,
                            format!(
                                "expired {e}, only {} before {clock}{life}: an ordinary clock \
                                 difference decides it",
                                human_duration(late)
                            ),
                        ));
                    }
                }
            }
        }
    }
}

fn delegation_checks(t: &SasToken, req: &SasRequest, out: &mut Vec<SasCheck>) {
    use Verdict::*;
    let skt = t.skt.as_deref().and_then(Timestamp::parse);
    let ske = t.ske.as_deref().and_then(Timestamp::parse);
    for (k, v) in [
        ("skoid", &t.skoid),
        ("sktid", &t.sktid),
        ("skt", &t.skt),
        ("ske", &t.ske),
    ] {
        if v.is_none() {
            out.push(SasCheck::new(
                k,
                Fails,
                "missing: a user delegation SAS must carry the key's object id, tenant, start \
                 and expiry",
            ));
        }
    }
    if let (Some(a), Some(b)) = (skt, ske) {
        let days = b.seconds_since(a) / 86_400.0;
        if days > 7.0 {
            out.push(
                SasCheck::new(
                    "ske",
                    Fails,
                    format!("the user delegation key is valid {days:.1} days; the limit is 7"),
                )
                .needs("at most 7 days after skt"),
            );
        } else if let Some(now) = req.time {
            if now >= b {
                out.push(
                    SasCheck::new(
                        "ske",
                        if req.time_from_service || now.seconds_since(b) > SKEW_ALLOWANCE_SECS {
                            Fails
                        } else {
                            Unknown
                        },
                        format!("the user delegation key expired {b}, before the request"),
                    )
                    .needs("a new user delegation key"),
                );
            } else {
                out.push(SasCheck::new(
                    "ske",
                    Ok,
                    format!("the user delegation key is valid until {b}"),
                ));
            }
        }
        if let Some(e) = t.expiry() {
            if e > b {
                out.push(
                    SasCheck::new(
                        "se",
                        Fails,
                        format!(
                            "the token expires {e}, after its user delegation key ({b}); the \
                             token cannot outlive the key"
                        ),
                    )
                    .needs(format!("an expiry no later than {b}")),
                );
            }
        }
    }
    if let Some(sks) = t.sks.as_deref() {
        if sks != "b" {
            out.push(SasCheck::new(
                "sks",
                Unknown,
                format!("sks={sks}; user delegation keys are issued for the blob service (b)"),
            ));
        }
    }
}

/// The first failing check, else the first undecided one, among `fields`.
pub fn decisive<'a>(checks: &'a [SasCheck], fields: &[&str]) -> Option<&'a SasCheck> {
    checks
        .iter()
        .find(|c| c.verdict == Verdict::Fails && fields.contains(&c.field))
        .or_else(|| {
            checks
                .iter()
                .find(|c| c.verdict == Verdict::Unknown && fields.contains(&c.field))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tok(q: &str) -> SasToken {
        SasToken::from_url(&format!("https://a.blob.core.windows.net/c/b?{q}&sig=c2ln")).unwrap()
    }

    fn req(service: Service, op: &str, resource: &str) -> SasRequest {
        SasRequest {
            service,
            operation: op.into(),
            resource: resource.into(),
            ..Default::default()
        }
    }

    fn verdict(checks: &[SasCheck], field: &str) -> Verdict {
        checks
            .iter()
            .filter(|c| c.field == field)
            .map(|c| c.verdict)
            .max_by_key(|v| match v {
                Verdict::Fails => 2,
                Verdict::Unknown => 1,
                Verdict::Ok => 0,
            })
            .unwrap_or_else(|| panic!("no {field} check in {checks:#?}"))
    }

    #[test]
    fn permission_letters_per_operation() {
        assert_eq!(
            need(Service::Blob, "PutBlob", None).unwrap().any_of,
            &["c", "w"]
        );
        assert_eq!(
            need(Service::Blob, "PutBlob", Some(true)).unwrap().any_of,
            &["w"]
        );
        assert_eq!(
            need(Service::Queue, "PutMessage", None).unwrap().any_of,
            &["a"]
        );
        assert_eq!(
            need(Service::Queue, "GetMessages", None).unwrap().any_of,
            &["p"]
        );
        assert_eq!(
            need(Service::Table, "InsertOrReplaceEntity", None)
                .unwrap()
                .any_of,
            &["au"]
        );
        assert_eq!(missing_letters("a", &["au"]).as_deref(), Some("u"));
        assert_eq!(missing_letters("rl", &["c", "w"]).as_deref(), Some("c"));
        assert_eq!(missing_letters("rw", &["c", "w"]), None);
        assert!(need(Service::Blob, "Nonsense", None).is_none());
    }

    #[test]
    fn candidates_when_the_method_is_unknown() {
        let b = "https://a.blob.core.windows.net";
        assert_eq!(
            candidate_operations(Service::Blob, "/a/c/b.txt", &format!("{b}/c/b.txt?sv=x")),
            ["GetBlob", "GetBlobProperties", "PutBlob", "DeleteBlob"]
        );
        assert_eq!(
            candidate_operations(
                Service::Blob,
                "/a/c/b",
                &format!("{b}/c/b?comp=block&blockid=AA")
            ),
            ["PutBlock"]
        );
        assert_eq!(
            candidate_operations(
                Service::Blob,
                "/a/c",
                &format!("{b}/c?restype=container&comp=list")
            ),
            ["ListBlobs"]
        );
        assert_eq!(
            candidate_operations(
                Service::Queue,
                "/a/q/messages",
                "https://a.queue.core.windows.net/q/messages"
            )[0],
            "PutMessage"
        );
        assert!(candidate_operations(Service::Blob, "", "").is_empty());
    }

    #[test]
    fn put_blob_with_read_list_fails_on_sp() {
        let t = tok("sv=2020-08-04&sr=c&sp=rl&se=2030-01-01T00:00:00Z");
        let c = evaluate(&t, &req(Service::Blob, "PutBlob", "/a/c/b"));
        assert_eq!(verdict(&c, "sp"), Verdict::Fails);
        let sp = c.iter().find(|c| c.field == "sp").unwrap();
        assert_eq!(sp.needs, "c");
        assert!(
            sp.reason.contains("PutBlob needs c (create) or w (write)"),
            "{}",
            sp.reason
        );
        assert_eq!(verdict(&c, "sr"), Verdict::Ok);
        assert_eq!(verdict(&c, "sig"), Verdict::Unknown);
    }

    #[test]
    fn stored_policy_is_reported_as_invisible() {
        let t = tok("sv=2014-02-14&sr=c&si=mypolicy");
        let c = evaluate(&t, &req(Service::Blob, "GetBlobProperties", "/a/c/b"));
        for f in ["sp", "st", "se", "si"] {
            assert_eq!(verdict(&c, f), Verdict::Unknown, "{f}");
        }
        let sp = c.iter().find(|c| c.field == "sp").unwrap();
        assert!(sp.reason.contains("'mypolicy'") && sp.reason.contains("not visible"));
        assert_eq!(sp.needs, "r");
        let sv = c.iter().find(|c| c.field == "sv").unwrap();
        assert!(sv.reason.contains("404 instead of 403"));
    }

    #[test]
    fn account_sas_scope_fields() {
        let t = tok("sv=2019-02-02&ss=b&srt=c&sp=rwl&se=2030-01-01T00:00:00Z");
        let c = evaluate(&t, &req(Service::Blob, "PutBlob", "/a/c/b"));
        assert_eq!(verdict(&c, "srt"), Verdict::Fails);
        assert_eq!(c.iter().find(|c| c.field == "srt").unwrap().needs, "co");
        assert_eq!(verdict(&c, "ss"), Verdict::Ok);
        let q = evaluate(&t, &req(Service::Queue, "PutMessage", "/a/q/messages"));
        assert_eq!(verdict(&q, "ss"), Verdict::Fails);
        assert_eq!(q.iter().find(|c| c.field == "ss").unwrap().needs, "bq");
    }

    #[test]
    fn service_sas_cannot_do_container_properties_or_list_with_sr_b() {
        let t = tok("sv=2020-08-04&sr=c&sp=rl&se=2030-01-01T00:00:00Z");
        let c = evaluate(&t, &req(Service::Blob, "GetContainerProperties", "/a/c"));
        assert_eq!(verdict(&c, "sr"), Verdict::Fails);
        let b = tok("sv=2020-08-04&sr=b&sp=rl&se=2030-01-01T00:00:00Z");
        let c = evaluate(&b, &req(Service::Blob, "ListBlobs", "/a/c"));
        assert_eq!(verdict(&c, "sr"), Verdict::Fails);
        assert_eq!(c.iter().find(|c| c.field == "sr").unwrap().needs, "c");
        let missing = tok("sv=2020-08-04&sp=r&se=2030-01-01T00:00:00Z");
        let c = evaluate(&missing, &req(Service::Blob, "GetBlob", "/a/c/b"));
        assert_eq!(verdict(&c, "sr"), Verdict::Fails);
    }

    #[test]
    fn time_window_with_allowance() {
        let t = tok("sv=2020-08-04&sr=b&sp=r&st=2024-03-05T01:00:00Z&se=2024-03-05T02:00:00Z");
        let mut r = req(Service::Blob, "GetBlob", "/a/c/b");
        r.time = Timestamp::parse("2024-03-05T00:58:00Z");
        assert_eq!(verdict(&evaluate(&t, &r), "st"), Verdict::Unknown);
        r.time_from_service = true;
        assert_eq!(verdict(&evaluate(&t, &r), "st"), Verdict::Fails);
        r.time_from_service = false;
        r.time = Timestamp::parse("2024-03-05T00:30:00Z");
        assert_eq!(verdict(&evaluate(&t, &r), "st"), Verdict::Fails);
        r.time = Timestamp::parse("2024-03-05T01:30:00Z");
        let c = evaluate(&t, &r);
        assert_eq!(verdict(&c, "st"), Verdict::Ok);
        assert_eq!(verdict(&c, "se"), Verdict::Ok);
        r.time = Timestamp::parse("2024-03-05T02:30:00Z");
        assert_eq!(verdict(&evaluate(&t, &r), "se"), Verdict::Fails);
        let inverted =
            tok("sv=2020-08-04&sr=b&sp=r&st=2024-03-05T03:00:00Z&se=2024-03-05T02:00:00Z");
        assert_eq!(verdict(&evaluate(&inverted, &r), "se"), Verdict::Fails);
    }

    #[test]
    fn ip_and_protocol() {
        let t = tok(
            "sv=2020-08-04&sr=b&sp=r&se=2030-01-01T00:00:00Z&sip=168.1.5.60-168.1.5.70&spr=https",
        );
        let mut r = req(Service::Blob, "GetBlob", "/a/c/b");
        assert_eq!(verdict(&evaluate(&t, &r), "sip"), Verdict::Unknown);
        r.caller_ip = Some("168.1.5.65:51234".into());
        assert_eq!(verdict(&evaluate(&t, &r), "sip"), Verdict::Ok);
        r.caller_ip = Some("10.0.0.4".into());
        r.scheme = Some("http".into());
        let c = evaluate(&t, &r);
        assert_eq!(verdict(&c, "sip"), Verdict::Fails);
        assert_eq!(verdict(&c, "spr"), Verdict::Fails);
        assert_eq!(parse_ip("[::1]:443"), "::1".parse().ok());
        assert_eq!(
            ip_in_sip("10.0.0.4", "10.0.0.4".parse().unwrap()),
            Some(true)
        );
        let http_only = tok("sv=2020-08-04&sr=b&sp=r&se=2030-01-01T00:00:00Z&spr=http");
        assert_eq!(verdict(&evaluate(&http_only, &r), "spr"), Verdict::Fails);
    }

    #[test]
    fn versions() {
        let old = tok("sv=2014-02-14&ss=b&srt=o&sp=r&se=2030-01-01T00:00:00Z");
        let c = evaluate(&old, &req(Service::Blob, "GetBlob", "/a/c/b"));
        assert_eq!(verdict(&c, "sv"), Verdict::Fails);
        let bad = tok("sv=2019-7-7&sr=b&sp=r&se=2030-01-01T00:00:00Z");
        assert_eq!(
            verdict(
                &evaluate(&bad, &req(Service::Blob, "GetBlob", "/a/c/b")),
                "sv"
            ),
            Verdict::Fails
        );
        let ok = tok("sv=2019-02-02&sr=b&sp=r&se=2030-01-01T00:00:00Z");
        let mut r = req(Service::Blob, "GetBlob", "/a/c/b");
        r.x_ms_version = Some("2021-08-06".into());
        let sv = evaluate(&ok, &r)
            .into_iter()
            .find(|c| c.field == "sv")
            .unwrap();
        assert_eq!(sv.verdict, Verdict::Ok);
        assert!(sv.reason.contains("2021-08-06"));
    }

    #[test]
    fn decoder_with_a_pasted_url() {
        let url = "http://a.queue.core.windows.net/jobs/messages?sv=2019-02-02&ss=b&srt=sco&sp=rwdlacup&spr=https&se=2030-01-01T00:00:00Z&sig=c2ln";
        let r = SasRequest::for_url(url, crate::model::Method::Post);
        assert_eq!(r.service, Service::Queue);
        assert_eq!(r.operation, "PutMessage");
        assert_eq!(r.scheme.as_deref(), Some("http"));
        let c = evaluate(&SasToken::from_url(url).unwrap(), &r);
        assert_eq!(verdict(&c, "ss"), Verdict::Fails);
        assert_eq!(verdict(&c, "spr"), Verdict::Fails);
        assert_eq!(verdict(&c, "sp"), Verdict::Ok);
        assert_eq!(
            SasRequest::for_url("not a url", crate::model::Method::Get),
            SasRequest::default()
        );
    }

    #[test]
    fn decoder_without_a_request_still_checks_the_token() {
        let t = tok("sv=2021-06-08&skoid=o&sktid=t&skt=2024-01-01T00:00:00Z&ske=2024-01-10T00:00:00Z&sks=b&skv=2021-06-08&sr=b&sp=r&se=2024-01-12T00:00:00Z");
        let c = evaluate(&t, &SasRequest::default());
        assert_eq!(c[0].field, "kind");
        assert!(c
            .iter()
            .any(|c| c.field == "ske" && c.verdict == Verdict::Fails));
        assert!(c
            .iter()
            .any(|c| c.field == "se" && c.verdict == Verdict::Fails));
        assert_eq!(verdict(&c, "sp"), Verdict::Unknown);
        let json = serde_json::to_string(&c).unwrap();
        assert!(json.contains("\"verdict\":\"fails\""));
    }
}
