//! Large, realistic log files for the benchmarks (standard library only, deterministic).
//!
//! Every format is written from the same stream of simulated requests, so the files differ in
//! shape, not in content. The distribution is what a busy application on one storage account
//! produces, and it matters: the index stores every distinct string once, so memory per event
//! depends on how many distinct values each field takes.
//!
//! | field | distribution |
//! |---|---|
//! | account | one (`contosoprod`) |
//! | service | blob 90 %, queue 10 % (`$logs`: blob lines are log version 2.0, queue lines 1.0) |
//! | operation | GetBlob 38 %, GetBlobProperties 14 %, PutBlob 10 %, PutBlock 8 %, ListBlobs 7 %, PutBlockList 3 %, DeleteBlob 3 %, SetBlobMetadata 3 %, GetContainerProperties 2 %, LeaseBlob 1 %, CreateContainer 1 %; queue: PutMessage, GetMessages, DeleteMessage |
//! | object | 12 containers × 250 blobs = 3,000 names, skewed (a quarter of the names get about half of the requests) |
//! | callers | 400 client instances, each with one address, one user agent (of 10), one x-ms-version (of 4) and one way to authorize: SAS 45 %, Shared Key 35 %, OAuth 15 %, anonymous 5 % (public reads only); every request from a fresh ephemeral port |
//! | SAS | one token per SAS client per hour (5 permission sets, 3 versions, service or account SAS) |
//! | outcome | ≈ 4 % failures: 404 BlobNotFound/ContainerNotFound/QueueNotFound, 409 ContainerAlreadyExists/LeaseAlreadyPresent, 412 and 304 ConditionNotMet, 403 AuthorizationPermissionMismatch/AuthenticationFailed, 503 ServerBusy, 500 InternalError |
//! | ids | a fresh lower-case GUID per request for the client request id and the service request id |
//! | conditions | `If-None-Match` with the object's ETag on 3 % of reads |
//! | time | 2024-03-05 from 00:00 UTC, 0–2 ms apart, 3 % of rows up to 0.5 s out of order |
//!
//! Server logs (`$logs`, resource logs) carry the service-masked `sig=XXXXX`; the client logs
//! carry real-looking signatures (the legacy trace prints the URL as sent) or `REDACTED` (Azure.Core
//! redacts `sig` unless told otherwise), so the redaction path is exercised as in real files.

use std::io::{self, Write};

pub const FORMATS: &[&str] = &[
    "storage-analytics",
    "resource-log-json",
    "dotnet-legacy-trace",
    "dotnet-azure-core",
];

const ACCOUNT: &str = "contosoprod";
const CONTAINERS: &[&str] = &[
    "uploads",
    "images",
    "backups",
    "reports",
    "logs",
    "static",
    "invoices",
    "thumbnails",
    "exports",
    "media",
    "config",
    "archive",
];
const BLOBS_PER_CONTAINER: usize = 250;
const QUEUES: &[&str] = &["orders", "thumbnails-todo", "emails", "audit"];
const USER_AGENTS: &[&str] = &[
    "azsdk-net-Storage.Blobs/12.19.1 (.NET 8.0.2; Microsoft Windows 10.0.20348)",
    "azsdk-net-Storage.Blobs/12.19.1 (.NET 8.0.2; Linux 5.15.0-1057-azure #65-Ubuntu SMP)",
    "azsdk-python-storage-blob/12.19.0 Python/3.11.7 (Linux-5.15.0-1057-azure-x86_64-with-glibc2.35)",
    "azsdk-js-storage-blob/12.17.0 (NODE-VERSION v20.11.1; Linux 5.15.0-1057-azure)",
    "azsdk-java-azure-storage-blob/12.25.1 (17.0.10; Linux; 5.15.0-1057-azure)",
    "AzCopy/10.23.0 azsdk-go-azblob/v1.3.0 (go1.21.6; linux)",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.0.0 Safari/537.36",
    "Azure-Storage/9.3.2 (.NET CLR 4.0.30319.42000; Win32NT 10.0.17763.0)",
    "Microsoft Azure Storage Explorer, 1.33.0, win32, azcopy-node, 2.1.0, win32, AzCopy/10.22.2",
    "azsdk-net-Storage.Queues/12.17.1 (.NET 8.0.2; Microsoft Windows 10.0.20348)",
];
const VERSIONS: &[&str] = &["2023-11-03", "2021-08-06", "2022-11-02", "2019-02-02"];
const SAS_PERMS: &[&str] = &["r", "rl", "rw", "racwdl", "cw"];
const SAS_VERSIONS: &[&str] = &["2022-11-02", "2021-08-06", "2023-11-03"];
const CLIENTS: usize = 400;

/// SplitMix64: tiny, fast, and the same sequence on every platform.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    /// Uniform in `0..n`.
    pub fn below(&mut self, n: u64) -> u64 {
        // Multiply-shift in 128 bits: no overflow whatever `n` is.
        ((self.next() as u128 * n as u128) >> 64) as u64
    }
    /// True with probability `p` (0..=1).
    pub fn chance(&mut self, p: f64) -> bool {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64 <= p
    }
    fn guid(&mut self) -> String {
        let a = self.next();
        let b = self.next();
        format!(
            "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
            a >> 32,
            (a >> 16) & 0xffff,
            a & 0xfff,
            0x8000 | (b >> 48) & 0x3fff,
            b & 0xffff_ffff_ffff
        )
    }
    /// A service request id as Azure Storage writes them (`xxxxxxxx-x01e-00xx-xxxx-xxxxxx000000`).
    fn request_id(&mut self) -> String {
        let a = self.next();
        let b = self.next();
        format!(
            "{:08x}-{:01x}01e-{:04x}-{:04x}-{:06x}000000",
            a >> 32,
            (a >> 28) & 0xf,
            (a >> 8) & 0xffff,
            b >> 48,
            (b >> 24) & 0xff_ffff
        )
    }
}

// `OAuth` is the scheme's name, not a repetition of the enum's.
#[allow(clippy::enum_variant_names)]
#[derive(Clone, Copy, PartialEq, Eq)]
enum Credential {
    SharedKey,
    /// Token number: one per SAS client and hour.
    Sas(usize),
    OAuth,
    Anonymous,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Svc {
    Blob,
    Queue,
}

struct Op {
    name: &'static str,
    method: &'static str,
    /// Addresses a container (not a blob).
    container_level: bool,
    /// Query parameters before any SAS (`comp=…`).
    query: &'static str,
    svc: Svc,
    weight: u32,
}

const OPS: &[Op] = &[
    op("GetBlob", "GET", false, "", Svc::Blob, 380),
    op("GetBlobProperties", "HEAD", false, "", Svc::Blob, 140),
    op("PutBlob", "PUT", false, "", Svc::Blob, 100),
    op("PutBlock", "PUT", false, "comp=block", Svc::Blob, 80),
    op(
        "ListBlobs",
        "GET",
        true,
        "restype=container&comp=list",
        Svc::Blob,
        70,
    ),
    op(
        "PutBlockList",
        "PUT",
        false,
        "comp=blocklist",
        Svc::Blob,
        30,
    ),
    op("DeleteBlob", "DELETE", false, "", Svc::Blob, 30),
    op(
        "SetBlobMetadata",
        "PUT",
        false,
        "comp=metadata",
        Svc::Blob,
        30,
    ),
    op(
        "GetContainerProperties",
        "GET",
        true,
        "restype=container",
        Svc::Blob,
        20,
    ),
    op("LeaseBlob", "PUT", false, "comp=lease", Svc::Blob, 10),
    op(
        "CreateContainer",
        "PUT",
        true,
        "restype=container",
        Svc::Blob,
        10,
    ),
    op("PutMessage", "POST", false, "", Svc::Queue, 40),
    op(
        "GetMessages",
        "GET",
        false,
        "numofmessages=16",
        Svc::Queue,
        35,
    ),
    op(
        "DeleteMessage",
        "DELETE",
        false,
        "popreceipt=AgAAAAMAAAAAAAAA",
        Svc::Queue,
        25,
    ),
];

const fn op(
    name: &'static str,
    method: &'static str,
    container_level: bool,
    query: &'static str,
    svc: Svc,
    weight: u32,
) -> Op {
    Op {
        name,
        method,
        container_level,
        query,
        svc,
        weight,
    }
}

/// One simulated request, with everything any of the formats writes about it.
struct Req {
    /// Microseconds since the Unix epoch.
    time: i64,
    op: &'static Op,
    container: usize,
    blob: usize,
    status: u16,
    code: &'static str,
    message: &'static str,
    auth: Credential,
    crid: String,
    rid: String,
    /// Client instance (its address).
    caller: usize,
    port: u16,
    ua: usize,
    version: usize,
    e2e: u32,
    server: u32,
    condition: Option<String>,
    block: u32,
    etag: u64,
}

impl Req {
    fn failed(&self) -> bool {
        self.status >= 300
    }
    fn object_key(&self) -> String {
        match self.op.svc {
            Svc::Queue => format!(
                "/{ACCOUNT}/{}/messages",
                QUEUES[self.container % QUEUES.len()]
            ),
            Svc::Blob if self.op.container_level => {
                format!("/{ACCOUNT}/{}", CONTAINERS[self.container])
            }
            Svc::Blob => format!(
                "/{ACCOUNT}/{}/{}",
                CONTAINERS[self.container],
                blob_name(self.container, self.blob)
            ),
        }
    }
    fn host(&self) -> String {
        match self.op.svc {
            Svc::Blob => format!("{ACCOUNT}.blob.core.windows.net"),
            Svc::Queue => format!("{ACCOUNT}.queue.core.windows.net"),
        }
    }
    /// The request URL; `amp` is how `&` is written, `sig` the signature text for SAS requests.
    fn url(&self, port: bool, amp: &str, sig: &str) -> String {
        let mut u = format!(
            "https://{}{}{}",
            self.host(),
            if port { ":443" } else { "" },
            self.object_key().trim_start_matches(&format!("/{ACCOUNT}"))
        );
        let mut params: Vec<String> = Vec::new();
        if !self.op.query.is_empty() {
            params.extend(self.op.query.split('&').map(str::to_string));
        }
        if self.op.name == "PutBlock" {
            params.push(format!("blockid={}", block_id(self.block)));
        }
        if let Credential::Sas(i) = self.auth {
            params.extend(sas_params(i).into_iter().map(|(k, v)| format!("{k}={v}")));
            params.push(format!("sig={sig}"));
        }
        if self.op.svc == Svc::Blob && !self.op.container_level {
            params.push("timeout=30".into());
        }
        if !params.is_empty() {
            u.push('?');
            u.push_str(&params.join(amp));
        }
        u
    }
}

fn blob_name(container: usize, blob: usize) -> String {
    const EXT: &[&str] = &["csv", "json", "jpg", "png", "pdf", "bin", "txt", "zip"];
    format!(
        "{}/{:02}/item-{:05}.{}",
        2020 + blob % 5,
        1 + blob % 12,
        container * 1000 + blob,
        EXT[(blob * 7 + container) % EXT.len()]
    )
}

fn block_id(n: u32) -> String {
    // Base64 of a fixed-width block name, percent-encoded as SDKs send it.
    let raw = format!("block-{n:08}");
    let mut s = base64(raw.as_bytes());
    s = s.replace('=', "%3D");
    s
}

fn base64(data: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for c in data.chunks(3) {
        let n = (c[0] as u32) << 16
            | (*c.get(1).unwrap_or(&0) as u32) << 8
            | *c.get(2).unwrap_or(&0) as u32;
        for k in 0..4 {
            if k <= c.len() {
                out.push(T[(n >> (18 - 6 * k)) as usize & 63] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// SAS parameters of token `i` (everything but the signature), percent-encoded as in URLs.
/// Token `i` belongs to client `i / 24` and is valid for hour `i % 24` of the day.
fn sas_params(i: usize) -> Vec<(&'static str, String)> {
    let hour = (i % 24) as u32;
    let client = i / 24;
    let st = format!("2024-03-05T{hour:02}%3A00%3A00Z");
    let se = format!("2024-03-05T{:02}%3A59%3A00Z", (hour + 1).min(23));
    let mut v = vec![("sv", SAS_VERSIONS[client % SAS_VERSIONS.len()].to_string())];
    if client % 5 == 0 {
        v.push(("ss", "b".into()));
        v.push(("srt", "co".into()));
    } else {
        v.push(("sr", if client % 2 == 0 { "c" } else { "b" }.into()));
    }
    v.push(("sp", SAS_PERMS[client % SAS_PERMS.len()].into()));
    v.push(("st", st));
    v.push(("se", se));
    v.push(("spr", "https".into()));
    v
}

/// A real-looking (random) signature for token `i`, percent-encoded.
fn sas_signature(i: usize) -> String {
    let mut r = Rng::new(0x5151 + i as u64);
    let bytes: Vec<u8> = (0..32).map(|_| r.next() as u8).collect();
    base64(&bytes)
        .replace('+', "%2B")
        .replace('/', "%2F")
        .replace('=', "%3D")
}

fn caller_ip(i: usize) -> String {
    // Mostly public client addresses, some from inside the virtual network.
    if i % 4 == 0 {
        format!("10.{}.{}.{}", 1 + i % 3, (i / 3) % 250, 4 + i % 200)
    } else {
        format!(
            "{}.{}.{}.{}",
            20 + i % 120,
            (i * 7) % 255,
            (i * 13) % 255,
            1 + i % 254
        )
    }
}

/// The request stream.
pub struct Requests {
    rng: Rng,
    clock: i64,
    op_total: u32,
}

impl Requests {
    pub fn new(seed: u64) -> Requests {
        Requests {
            rng: Rng::new(seed),
            // 2024-03-05T00:00:00Z
            clock: 1_709_596_800_000_000,
            op_total: OPS.iter().map(|o| o.weight).sum(),
        }
    }

    fn next(&mut self) -> Req {
        let r = &mut self.rng;
        self.clock += r.below(2_000) as i64;
        let time = if r.chance(0.03) {
            self.clock - r.below(500_000) as i64
        } else {
            self.clock
        };
        let mut pick = r.below(self.op_total as u64) as u32;
        let op = OPS
            .iter()
            .find(|o| {
                if pick < o.weight {
                    true
                } else {
                    pick -= o.weight;
                    false
                }
            })
            .unwrap_or(&OPS[0]);
        // Skew: squaring a uniform value puts about half of the picks in the first quarter.
        let u = r.below(1 << 20) as f64 / (1 << 20) as f64;
        let flat = ((u * u) * (CONTAINERS.len() * BLOBS_PER_CONTAINER) as f64) as usize;
        let (container, blob) = (flat % CONTAINERS.len(), flat / CONTAINERS.len());
        let reads = matches!(op.method, "GET" | "HEAD");
        let caller = r.below(CLIENTS as u64) as usize;
        // Each client authorizes one way; anonymous clients (browsers) only read public blobs,
        // so their other requests go out with Shared Key from the application behind them.
        let hour = (time.div_euclid(3_600_000_000) % 24) as usize;
        let auth = match caller % 20 {
            0..=8 => Credential::Sas(caller * 24 + hour),
            9..=15 => Credential::SharedKey,
            16..=18 => Credential::OAuth,
            _ if reads && op.svc == Svc::Blob => Credential::Anonymous,
            _ => Credential::SharedKey,
        };
        let condition = (reads && op.svc == Svc::Blob && r.chance(0.03))
            .then(|| format!("If-None-Match=\"0x8DC3C{:010X}\"", r.below(1 << 36)));
        let (status, code, message) = outcome(r, op, auth, condition.is_some());
        let server = 2 + r.below(if op.name == "ListBlobs" { 80 } else { 25 }) as u32;
        let e2e = server + r.below(40) as u32 + if status == 503 { 1000 } else { 0 };
        Req {
            time,
            op,
            container,
            blob,
            status,
            code,
            message,
            auth,
            crid: r.guid(),
            rid: r.request_id(),
            caller,
            port: 49152 + r.below(16_000) as u16,
            ua: match (op.svc, auth) {
                (Svc::Queue, _) => 9,
                (_, Credential::Anonymous) => 6,
                _ => caller % 9,
            },
            version: caller % VERSIONS.len(),
            e2e,
            server,
            condition,
            block: r.below(50_000) as u32,
            etag: r.next() & 0xF_FFFF_FFFF,
        }
    }
}

/// Status, error code and service message of a request (about 4 % fail).
fn outcome(
    r: &mut Rng,
    op: &Op,
    auth: Credential,
    conditional: bool,
) -> (u16, &'static str, &'static str) {
    const OK: (u16, &str, &str) = (200, "", "");
    let x = r.below(10_000);
    if x < 25 {
        return (503, "ServerBusy", "The server is busy.");
    }
    if x < 30 {
        return (
            500,
            "InternalError",
            "The server encountered an internal error. Please retry the request.",
        );
    }
    if x < 60 && auth == Credential::OAuth {
        return (
            403,
            "AuthorizationPermissionMismatch",
            "This request is not authorized to perform this operation using this permission.",
        );
    }
    if x < 70 && matches!(auth, Credential::Sas(_)) {
        return (403, "AuthenticationFailed", "Server failed to authenticate the request. Make sure the value of Authorization header is formed correctly including the signature.");
    }
    if conditional && x < 2_500 {
        return (
            304,
            "ConditionNotMet",
            "The condition specified using HTTP conditional header(s) is not met.",
        );
    }
    let created = match op.method {
        "PUT" | "POST" => 201,
        "DELETE" => 202,
        _ => 200,
    };
    match op.name {
        "GetBlob" | "GetBlobProperties" | "DeleteBlob" | "SetBlobMetadata" if x < 300 => {
            (404, "BlobNotFound", "The specified blob does not exist.")
        }
        "ListBlobs" | "GetContainerProperties" if x < 200 => (
            404,
            "ContainerNotFound",
            "The specified container does not exist.",
        ),
        "CreateContainer" if x < 6_000 => (
            409,
            "ContainerAlreadyExists",
            "The specified container already exists.",
        ),
        "LeaseBlob" if x < 1_500 => (
            409,
            "LeaseAlreadyPresent",
            "There is already a lease present.",
        ),
        "PutBlob" if x < 120 => (
            412,
            "ConditionNotMet",
            "The condition specified using HTTP conditional header(s) is not met.",
        ),
        "GetMessages" | "PutMessage" if x < 100 => {
            (404, "QueueNotFound", "The specified queue does not exist.")
        }
        "GetContainerProperties" | "ListBlobs" | "GetBlob" | "GetBlobProperties" => OK,
        "DeleteMessage" => (204, "", ""),
        _ => (created, "", ""),
    }
}

/// Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
fn civil(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

struct Parts {
    y: i64,
    mo: u32,
    d: u32,
    h: i64,
    mi: i64,
    s: i64,
    micros: i64,
    weekday: usize,
}

fn parts(us: i64) -> Parts {
    let secs = us.div_euclid(1_000_000);
    let days = secs.div_euclid(86_400);
    let (y, mo, d) = civil(days);
    let sod = secs.rem_euclid(86_400);
    Parts {
        y,
        mo,
        d,
        h: sod / 3600,
        mi: sod / 60 % 60,
        s: sod % 60,
        micros: us.rem_euclid(1_000_000),
        // 1970-01-01 was a Thursday.
        weekday: (days + 4).rem_euclid(7) as usize,
    }
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];
const DAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const LONG_DAYS: [&str; 7] = [
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
];

/// `2024-03-05T02:00:01.1234567Z` (7 fractional digits, as the service writes).
fn iso(us: i64) -> String {
    let p = parts(us);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}0Z",
        p.y, p.mo, p.d, p.h, p.mi, p.s, p.micros
    )
}

/// `Tue, 05 Mar 2024 10:00:00 GMT`.
fn rfc1123(us: i64) -> String {
    let p = parts(us);
    format!(
        "{}, {:02} {} {:04} {:02}:{:02}:{:02} GMT",
        DAYS[p.weekday],
        p.d,
        MONTHS[p.mo as usize - 1],
        p.y,
        p.h,
        p.mi,
        p.s
    )
}

/// `Tuesday, 05-Mar-24 02:00:01 GMT` ($logs last-modified-time).
fn rfc850(us: i64) -> String {
    let p = parts(us);
    format!(
        "{}, {:02}-{}-{:02} {:02}:{:02}:{:02} GMT",
        LONG_DAYS[p.weekday],
        p.d,
        MONTHS[p.mo as usize - 1],
        p.y % 100,
        p.h,
        p.mi,
        p.s
    )
}

fn html(s: &str) -> String {
    s.replace('&', "&amp;").replace('"', "&quot;")
}

/// One `$logs` line (2.0 for blob, 1.0 for queue, as an account with both settings writes).
fn storage_analytics(q: &Req, out: &mut String) {
    let v2 = q.op.svc == Svc::Blob;
    let status_text = if q.failed() && q.status != 304 {
        match q.status {
            503 => prefixed(q.auth, "ThrottlingError"),
            500 => prefixed(q.auth, "ServerOtherError"),
            _ => q.code.to_string(),
        }
    } else if q.status == 304 {
        prefixed(q.auth, "ClientOtherError")
    } else {
        match q.auth {
            Credential::OAuth if v2 => "OAuthSuccess".into(),
            a => prefixed(a, "Success"),
        }
    };
    let auth = match q.auth {
        Credential::SharedKey => "authenticated",
        Credential::Sas(_) => "sas",
        Credential::OAuth if v2 => "bearer",
        Credential::OAuth => "authenticated",
        Credential::Anonymous => "anonymous",
    };
    let requester = if matches!(q.auth, Credential::SharedKey | Credential::OAuth) {
        ACCOUNT
    } else {
        ""
    };
    let reads = matches!(q.op.method, "GET" | "HEAD");
    let size = if reads { 0 } else { 1024 + (q.etag % 65_536) };
    let etag = if q.failed() {
        String::new()
    } else {
        format!("\"&quot;0x8DC3C{:010X}&quot;\"", q.etag)
    };
    let modified = if q.failed() {
        String::new()
    } else {
        rfc850(q.time - 86_400_000_000)
    };
    let cond = q
        .condition
        .as_deref()
        .map(|c| format!("\"{}\"", html(c)))
        .unwrap_or_default();
    use std::fmt::Write as _;
    let _ = write!(
        out,
        "{};{};{};{};{};{};{};{};{};{};{};\"{}\";\"{}\";{};0;{}:{};{};{};{};{};{};{};;;{};{};{};\"{}\";;\"{}\"",
        if v2 { "2.0" } else { "1.0" },
        iso(q.time),
        q.op.name,
        status_text,
        q.status,
        q.e2e,
        q.server,
        auth,
        requester,
        ACCOUNT,
        if q.op.svc == Svc::Blob { "blob" } else { "queue" },
        q.url(true, "&amp;", "XXXXX"),
        q.object_key(),
        q.rid,
        caller_ip(q.caller),
        q.port,
        VERSIONS[q.version],
        500 + q.etag % 300,
        size + 500,
        250 + q.etag % 100,
        if reads { 1024 + q.etag % 65_536 } else { 0 },
        size,
        etag,
        modified,
        cond,
        html(USER_AGENTS[q.ua]),
        q.crid
    );
    if v2 {
        if q.auth == Credential::OAuth {
            let _ = write!(
                out,
                ";\"{oid}\";\"72f988bf-86f1-41af-91ab-2d7cd011db47\";\"{app}\";\"https://storage.azure.com/\";\"https://sts.windows.net/72f988bf-86f1-41af-91ab-2d7cd011db47/\";;;",
                oid = OBJECT_IDS[q.caller % OBJECT_IDS.len()],
                app = APP_IDS[q.ua % APP_IDS.len()],
            );
        } else {
            out.push_str(";;;;;;;;");
        }
    }
    out.push('\n');
}

const OBJECT_IDS: &[&str] = &[
    "e5981635-dcf0-4279-ab7b-ca1cbdf4a5c7",
    "0c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f",
    "9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a",
];
const APP_IDS: &[&str] = &[
    "691458b9-1327-4635-9f55-ed83a7f1b41c",
    "3f2a9c1e-5b7d-4e8f-9a0b-1c2d3e4f5a6b",
];

fn prefixed(auth: Credential, class: &str) -> String {
    match auth {
        Credential::Sas(_) => format!("SAS{class}"),
        Credential::Anonymous => format!("Anonymous{class}"),
        _ => class.to_string(),
    }
}

fn json_escape(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"")
}

/// One resource-log record on one line (the storage-account archive layout, `PT1H.json`).
fn resource_log(q: &Req, out: &mut String) {
    use std::fmt::Write as _;
    let (category, service_path, service) = match (q.op.svc, q.op.method) {
        (Svc::Queue, "GET") => ("StorageRead", "queueServices", "queue"),
        (Svc::Queue, "DELETE") => ("StorageDelete", "queueServices", "queue"),
        (Svc::Queue, _) => ("StorageWrite", "queueServices", "queue"),
        (_, "GET" | "HEAD") => ("StorageRead", "blobServices", "blob"),
        (_, "DELETE") => ("StorageDelete", "blobServices", "blob"),
        _ => ("StorageWrite", "blobServices", "blob"),
    };
    let status_text = if q.failed() {
        match q.status {
            503 => "ServerBusy".to_string(),
            500 => "InternalError".to_string(),
            _ => q.code.to_string(),
        }
    } else {
        match q.auth {
            Credential::Sas(_) => "SASSuccess".into(),
            Credential::Anonymous => "AnonymousSuccess".into(),
            Credential::OAuth => "OAuthSuccess".into(),
            Credential::SharedKey => "Success".into(),
        }
    };
    let class = match q.status {
        503 => "ServerBusyError",
        500 => "ServerOtherError",
        403 => "AuthorizationError",
        s if s >= 300 => "ClientOtherError",
        _ => "Success",
    };
    let identity = match q.auth {
        Credential::SharedKey => "{\"type\":\"AccountKey\",\"tokenHash\":\"key1(67F8F5A218837386F94E75FC7AAC530CD99957355C86E173D139401AC15D6011)\"}".to_string(),
        Credential::Sas(i) => format!(
            "{{\"type\":\"SAS\",\"tokenHash\":\"key1(67F8F5A218837386F94E75FC7AAC530CD99957355C86E173D139401AC15D6011),SasSignature({:016X}{:016X}{:032X})\"}}",
            i * 7919,
            i * 104_729,
            i as u128 * 0x9E37_79B9_7F4A_7C15
        ),
        Credential::OAuth => format!(
            "{{\"type\":\"OAuth\",\"tokenHash\":\"\",\"authorization\":[{{\"action\":\"Microsoft.Storage/storageAccounts/blobServices/containers/blobs/{}\",\"roleAssignmentId\":\"ca8af92a-6708-4cdf-a678-bb55d0ff7b80\",\"roleDefinitionId\":\"ba92f5b4-2d11-453d-a403-e96b0029c9fe\",\"principals\":[{{\"id\":\"{}\",\"type\":\"User\"}}],\"denyAssignmentId\":\"\",\"type\":\"RBAC\",\"result\":\"{}\",\"reason\":\"{}\"}}],\"requester\":{{\"appId\":\"{}\",\"audience\":\"https://storage.azure.com/\",\"objectId\":\"{}\",\"tenantId\":\"72f988bf-86f1-41af-91ab-2d7cd011db47\",\"tokenIssuer\":\"https://sts.windows.net/72f988bf-86f1-41af-91ab-2d7cd011db47/\"}}}}",
            if matches!(q.op.method, "GET" | "HEAD") { "read" } else { "write" },
            OBJECT_IDS[q.caller % OBJECT_IDS.len()],
            if q.status == 403 { "Denied" } else { "Granted" },
            if q.status == 403 { "NoApplicablePolicy" } else { "MatchedAllowAssignment" },
            APP_IDS[q.ua % APP_IDS.len()],
            OBJECT_IDS[q.caller % OBJECT_IDS.len()],
        ),
        Credential::Anonymous => "{\"type\":\"Anonymous\"}".to_string(),
    };
    let _ = write!(
        out,
        "{{\"time\":\"{}\",\"resourceId\":\"/subscriptions/3f2a9c1e-5b7d-4e8f-9a0b-1c2d3e4f5a6b/resourceGroups/contoso-rg/providers/Microsoft.Storage/storageAccounts/{ACCOUNT}/{service_path}/default\",\"category\":\"{category}\",\"operationName\":\"{}\",\"operationVersion\":\"{}\",\"schemaVersion\":\"1.0\",\"statusCode\":{},\"statusText\":\"{}\",\"durationMs\":{},\"callerIpAddress\":\"{}:{}\",\"correlationId\":\"{}\",\"identity\":{identity},\"location\":\"westeurope\",\"properties\":{{\"accountName\":\"{ACCOUNT}\",\"userAgentHeader\":\"{}\",\"clientRequestId\":\"{}\",\"serviceType\":\"{service}\",\"objectKey\":\"{}\",\"metricResponseType\":\"{class}\",\"serverLatencyMs\":{},\"requestHeaderSize\":{},\"responseHeaderSize\":{},\"tlsVersion\":\"TLS 1.2\"",
        iso(q.time),
        q.op.name,
        VERSIONS[q.version],
        q.status,
        status_text,
        q.e2e,
        caller_ip(q.caller),
        q.port,
        q.rid,
        json_escape(USER_AGENTS[q.ua]),
        q.crid,
        q.object_key(),
        q.server,
        500 + q.etag % 300,
        250 + q.etag % 100,
    );
    if !q.failed() {
        let _ = write!(
            out,
            ",\"etag\":\"\\\"0x8DC3C{:010X}\\\"\",\"lastModifiedTime\":\"3/4/2024 {}:{:02}:{:02} AM\"",
            q.etag,
            1 + q.etag % 11,
            q.etag % 60,
            (q.etag >> 8) % 60
        );
    }
    if let Some(c) = &q.condition {
        let _ = write!(out, ",\"conditionsUsed\":\"{}\"", json_escape(c));
    }
    let _ = writeln!(
        out,
        "}},\"uri\":\"{}\",\"protocol\":\"HTTPS\",\"resourceType\":\"Microsoft.Storage/storageAccounts/{service_path}\"}}",
        q.url(true, "&", "XXXXX")
    );
}

/// The lines the legacy .NET library traces for one request, each with its `DateTime=` footer.
fn legacy_trace(q: &Req, out: &mut Vec<String>) {
    let src = "Microsoft.WindowsAzure.Storage";
    let start = q.time;
    let end = q.time + q.e2e as i64 * 1000;
    let mut line = |level: &str, text: String, at: i64| {
        let (name, n) = match level {
            "Error" => ("Error", 1),
            "Warning" => ("Warning", 2),
            "Verbose" => ("Verbose", 4),
            _ => ("Information", 3),
        };
        out.push(format!(
            "{src} {name}: {n} : {}: {text}\n    DateTime={}\n",
            q.crid,
            iso(at)
        ));
    };
    line(
        "Information",
        "Starting operation with location Primary per location mode PrimaryOnly.".into(),
        start,
    );
    let sig = match q.auth {
        Credential::Sas(i) => sas_signature(i),
        _ => String::new(),
    };
    line(
        "Information",
        format!(
            "Starting synchronous request to {}.",
            q.url(false, "&", &sig)
        ),
        start,
    );
    if q.auth == Credential::SharedKey {
        line(
            "Verbose",
            format!(
                "StringToSign = {}..........x-ms-client-request-id:{}.x-ms-date:{}.x-ms-version:{}.{}.",
                q.op.method,
                q.crid,
                rfc1123(start),
                VERSIONS[q.version],
                q.object_key()
            ),
            start,
        );
    }
    if matches!(q.op.method, "PUT" | "POST") {
        line(
            "Information",
            "Preparing to write request data.".into(),
            start,
        );
        line("Information", "Writing request data.".into(), start);
    }
    line("Information", "Waiting for response.".into(), start);
    let etag = if q.failed() {
        String::new()
    } else {
        format!("\"0x8DC3C{:010X}\"", q.etag)
    };
    if q.failed() {
        let reason = match q.status {
            304 => "Not Modified",
            403 => "Forbidden",
            404 => "Not Found",
            409 => "Conflict",
            412 => "Precondition Failed",
            500 => "Internal Server Error",
            _ => "Server Unavailable",
        };
        let exc = format!(
            "The remote server returned an error: ({}) {reason}.",
            q.status
        );
        line(
            "Warning",
            format!("Exception thrown while waiting for response: {exc}."),
            end,
        );
        line(
            "Information",
            format!(
                "Response received. Status code = {}, Request ID = {}, Content-MD5 = , ETag = .",
                q.status, q.rid
            ),
            end,
        );
        line(
            "Information",
            "Downloading error response body.".into(),
            end,
        );
        line(
            "Warning",
            format!("Exception thrown during the operation: {exc}."),
            end,
        );
        line(
            "Information",
            format!(
                "Checking if the operation should be retried. Retry count = 0, HTTP status code = {}, Retryable exception = False, Exception = {exc}.",
                q.status
            ),
            end,
        );
        line(
            "Information",
            "The next location has been set to Primary, based on the location mode.".into(),
            end,
        );
        line(
            "Error",
            format!("Retry policy did not allow for a retry. Failing with {exc}."),
            end,
        );
    } else {
        line(
            "Information",
            format!(
                "Response received. Status code = {}, Request ID = {}, Content-MD5 = , ETag = {etag}.",
                q.status, q.rid
            ),
            end,
        );
        line(
            "Information",
            "Response headers were processed successfully, proceeding with the rest of the operation."
                .into(),
            end,
        );
        if q.op.method == "GET" {
            line("Information", "Downloading response body.".into(), end);
            line("Information", "Processing response body.".into(), end);
        }
        line(
            "Information",
            "Operation completed successfully.".into(),
            end,
        );
    }
}

/// One request and its response as `AzureEventSourceListener.CreateConsoleLogger()` prints them.
fn azure_core(q: &Req, out: &mut String) {
    use std::fmt::Write as _;
    let _ = writeln!(
        out,
        "[Informational] Azure-Core: Request [{}] {} {}",
        q.crid,
        q.op.method,
        q.url(false, "&", "REDACTED")
    );
    if q.op.name == "PutBlob" {
        out.push_str("x-ms-blob-type:BlockBlob\n");
    }
    let _ = write!(
        out,
        "x-ms-version:{}\nAccept:application/xml\n",
        VERSIONS[q.version]
    );
    if matches!(q.op.method, "PUT" | "POST") {
        let _ = write!(
            out,
            "Content-Length:{}\nContent-Type:application/octet-stream\n",
            1024 + q.etag % 65_536
        );
    }
    if let Some(c) = &q.condition {
        if let Some((k, v)) = c.split_once('=') {
            let _ = writeln!(out, "{k}:{v}");
        }
    }
    let _ = write!(
        out,
        "x-ms-client-request-id:{}\nx-ms-return-client-request-id:true\nUser-Agent:{}\nx-ms-date:{}\n",
        q.crid,
        USER_AGENTS[q.ua],
        rfc1123(q.time)
    );
    if matches!(q.auth, Credential::SharedKey | Credential::OAuth) {
        out.push_str("Authorization:REDACTED\n");
    }
    let assembly = if q.op.svc == Svc::Queue {
        "Azure.Storage.Queues"
    } else {
        "Azure.Storage.Blobs"
    };
    let _ = writeln!(out, "client assembly: {assembly}");
    let secs = q.e2e as f64 / 1000.0;
    let server = if q.op.svc == Svc::Queue {
        "Windows-Azure-Queue/1.0 Microsoft-HTTPAPI/2.0"
    } else {
        "Windows-Azure-Blob/1.0 Microsoft-HTTPAPI/2.0"
    };
    let date = rfc1123(q.time + q.e2e as i64 * 1000);
    if q.failed() && q.status != 304 {
        let _ = write!(
            out,
            "[Warning] Azure-Core: Error response [{}] {} {} ({secs:04.1}s)\nContent-Length:{}\nContent-Type:application/xml\nServer:{server}\nx-ms-request-id:{}\nx-ms-client-request-id:{}\nx-ms-version:{}\nx-ms-error-code:{}\nDate:{date}\n\n",
            q.crid, q.status, q.message, 200 + q.message.len(), q.rid, q.crid, VERSIONS[q.version], q.code
        );
        let _ = writeln!(
            out,
            "[Informational] Azure-Core: Error response [{}] content: <?xml version=\"1.0\" encoding=\"utf-8\"?><Error><Code>{}</Code><Message>{}\nRequestId:{}\nTime:{}</Message></Error>",
            q.crid,
            q.code,
            q.message,
            q.rid,
            iso(q.time + q.server as i64 * 1000)
        );
    } else {
        let reason = match q.status {
            201 => "Created",
            202 => "Accepted",
            204 => "No Content",
            304 => "The condition specified using HTTP conditional header(s) is not met.",
            _ => "OK",
        };
        let _ = writeln!(
            out,
            "[Informational] Azure-Core: Response [{}] {} {reason} ({secs:04.1}s)",
            q.crid, q.status
        );
        if !q.failed() {
            let _ = writeln!(out, "ETag:\"0x8DC3C{:010X}\"", q.etag);
        }
        let _ = write!(
            out,
            "Server:{server}\nx-ms-request-id:{}\nx-ms-client-request-id:{}\nx-ms-version:{}\nDate:{date}\n\n",
            q.rid, q.crid, VERSIONS[q.version]
        );
    }
}

/// What a generated file holds.
pub struct Written {
    pub bytes: u64,
    pub requests: u64,
}

/// Writes about `target` bytes of `format` (whole records only; stops at the first record that
/// reaches the target), or exactly `requests` requests when given.
pub fn generate(
    format: &str,
    target: u64,
    requests: Option<u64>,
    out: &mut dyn Write,
) -> io::Result<Written> {
    if !FORMATS.contains(&format) {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("no generator for `{format}` (have: {})", FORMATS.join(", ")),
        ));
    }
    let mut reqs = Requests::new(0x5d0c_70a1);
    let mut written = Written {
        bytes: 0,
        requests: 0,
    };
    let mut buf = String::with_capacity(1 << 20);
    let mut lines: Vec<String> = Vec::new();
    let done = |w: &Written| match requests {
        Some(n) => w.requests >= n,
        None => w.bytes >= target,
    };
    while !done(&written) {
        buf.clear();
        // Render a batch, then write it in one call.
        while buf.len() < (1 << 20) && !done(&written) {
            let q = reqs.next();
            let before = buf.len();
            match format {
                "storage-analytics" => storage_analytics(&q, &mut buf),
                "resource-log-json" => resource_log(&q, &mut buf),
                "dotnet-azure-core" => azure_core(&q, &mut buf),
                _ => {
                    // Concurrent operations interleave their lines in a trace (one in ten).
                    lines.clear();
                    legacy_trace(&q, &mut lines);
                    if reqs.rng.chance(0.1) {
                        let other = reqs.next();
                        let mut b = Vec::new();
                        legacy_trace(&other, &mut b);
                        written.requests += 1;
                        let mut merged = Vec::with_capacity(lines.len() + b.len());
                        let (mut i, mut j) = (0, 0);
                        while i < lines.len() || j < b.len() {
                            let take_a = j >= b.len() || (i < lines.len() && reqs.rng.chance(0.5));
                            if take_a {
                                merged.push(std::mem::take(&mut lines[i]));
                                i += 1;
                            } else {
                                merged.push(std::mem::take(&mut b[j]));
                                j += 1;
                            }
                        }
                        lines = merged;
                    }
                    for l in &lines {
                        buf.push_str(l);
                    }
                }
            }
            written.requests += 1;
            written.bytes += (buf.len() - before) as u64;
        }
        out.write_all(buf.as_bytes())?;
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_right() {
        assert_eq!(iso(1_709_596_800_000_000), "2024-03-05T00:00:00.0000000Z");
        assert_eq!(
            rfc1123(1_709_632_800_000_000),
            "Tue, 05 Mar 2024 10:00:00 GMT"
        );
        assert_eq!(
            rfc850(1_709_604_001_000_000),
            "Tuesday, 05-Mar-24 02:00:01 GMT"
        );
    }

    #[test]
    fn base64_matches_the_standard() {
        assert_eq!(base64(b"block-00000001"), "YmxvY2stMDAwMDAwMDE=");
        assert_eq!(base64(b"ab"), "YWI=");
    }

    #[test]
    fn same_seed_same_file() {
        let mut a = Vec::new();
        let mut b = Vec::new();
        generate("storage-analytics", 0, Some(50), &mut a).unwrap();
        generate("storage-analytics", 0, Some(50), &mut b).unwrap();
        assert_eq!(a, b);
        assert_eq!(a.iter().filter(|&&c| c == b'\n').count(), 50);
    }
}
