//! `browser-console`: text copied from a browser's developer console after a cross-origin call
//! to storage failed.
//!
//! Each engine words CORS refusals its own way (FORMATS.md § f):
//!
//! ```text
//! Access to XMLHttpRequest at 'https://acct.blob.core.windows.net/c/b' from origin 'http://localhost:3000'
//!     has been blocked by CORS policy: Response to preflight request doesn't pass access control check: …   (Chromium)
//! Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote resource at https://…
//!     (Reason: CORS header ‘Access-Control-Allow-Origin’ missing). Status code: 403.                       (Firefox)
//! [Error] Origin https://app is not allowed by Access-Control-Allow-Origin. Status code: 403
//! [Error] Fetch API cannot load https://… due to access control checks.                                   (Safari)
//! SEC7118: XMLHttpRequest for https://… required Cross Origin Resource Sharing (CORS).
//! SEC7120: Origin http://localhost:56309 not found in Access-Control-Allow-Origin header.
//! SCRIPT7002: XMLHttpRequest: Network Error 0x80070005, Access is denied.                               (IE / EdgeHTML)
//! ```
//!
//! One `console` event per refused request, with the URL, origin, method and refused header when
//! the text names them, a `cors_failure` code, and the message as detail. One refusal is often
//! spread over several lines (IE names the URL in SEC7118 and the origin in SEC7120; Safari puts
//! the reason and the URL on separate lines; Chromium prints a network line such as
//! `PUT https://… net::ERR_FAILED 403 (…)` before or after the message), so the recognised lines
//! are kept as small records and joined at the end of the input. Memory grows with the number of
//! recognised lines, not with the size of the text. Everything else (application logs, stack
//! traces, the source-location lines IE prints after each message) is skipped with a reason.
//! Firefox's typographic quotes (‘ ’) are read, and kept in the detail, as plain `'`.

use super::{Format, LineParser};
use crate::input::Line;
use crate::knowledge::url::{origin_of, StorageUrl};
use crate::model::{AuthKind, EventSink, Field, Location, Method, RawEvent, Service, SourceKind};

pub struct BrowserConsole;

impl Format for BrowserConsole {
    fn id(&self) -> &'static str {
        "browser-console"
    }
    fn name(&self) -> &'static str {
        "Browser console text (CORS errors)"
    }
    fn detect(&self, sample: &str) -> f32 {
        let kinds: Vec<Parsed> = sample
            .lines()
            .filter(|l| !l.trim().is_empty())
            .take(200)
            .map(classify)
            .collect();
        if kinds.is_empty() {
            return 0.0;
        }
        let share = |pred: &dyn Fn(&Parsed) -> bool| {
            kinds.iter().filter(|k| pred(k)).count() as f32 / kinds.len() as f32
        };
        let strong = kinds.iter().any(
            |k| matches!(k, Parsed::Part(p) if p.code.is_some() || p.kind == PartKind::Context),
        );
        if !strong {
            // Only network lines (`GET https://… 403 (Forbidden)`): plausible, but weak.
            let net = share(&|k| matches!(k, Parsed::Net(_)));
            return if net >= 0.5 { 0.35 * net } else { 0.0 };
        }
        // Console copies mix in application output; the share of console-shaped lines decides
        // how sure this is, so that a real log with one pasted CORS line stays with its format.
        let known = share(&|k| {
            matches!(
                k,
                Parsed::Part(_)
                    | Parsed::Net(_)
                    | Parsed::Header(..)
                    | Parsed::Page(_)
                    | Parsed::Skip(
                        Why::Location
                            | Why::OtherCode
                            | Why::Stack
                            | Why::Separator
                            | Why::Label
                            | Why::ScriptError
                            | Why::NotAFailure
                            | Why::OtherNetworkError
                    )
            )
        });
        (0.6 + 0.4 * known).min(1.0)
    }
    fn parser(&self) -> Box<dyn LineParser> {
        Box::new(Parser::default())
    }
}

// ---------------------------------------------------------------------------------------------
// What one line is.

#[derive(Clone, Copy, PartialEq, Debug)]
enum PartKind {
    /// A refusal message (it carries a code).
    Failure,
    /// Names the request but reports no failure by itself (IE SEC7118 / SEC7119).
    Context,
    /// Closes an IE message group (`SCRIPT7002 … Access is denied`).
    Tail,
}

#[derive(Clone, Debug)]
struct Part {
    kind: PartKind,
    code: Option<&'static str>,
    /// A code that any more specific message overrides (`blocked` from a generic line).
    weak: bool,
    /// The message is about the preflight.
    preflight: bool,
    url: String,
    origin: String,
    method: String,
    header: String,
    status: u16,
    text: String,
}

impl Part {
    fn new(kind: PartKind, code: Option<&'static str>, text: &str) -> Part {
        Part {
            kind,
            code,
            weak: false,
            preflight: false,
            url: String::new(),
            origin: String::new(),
            method: String::new(),
            header: String::new(),
            status: 0,
            text: text.trim().to_string(),
        }
    }
}

/// A network line: `GET https://… 403 (Forbidden)`, `Failed to load resource: the server
/// responded with a status of 403 ()`, Firefox's `XHR OPTIONS https://… [HTTP/1.1 403 … 48ms]`.
#[derive(Clone, Debug, Default)]
struct Net {
    method: String,
    url: String,
    status: u16,
    reason: String,
    error: String,
}

/// Why a line is skipped (the reasons users read).
#[derive(Clone, Copy, PartialEq, Debug)]
enum Why {
    Location,
    Stack,
    Separator,
    OtherCode,
    NotAFailure,
    OtherNetworkError,
    ScriptError,
    Label,
    Other,
}

impl Why {
    fn reason(self) -> &'static str {
        match self {
            Why::Location => "the source location the console prints after a message",
            Why::Stack => "a stack trace line",
            Why::Separator => "a separator line",
            Why::OtherCode => "a console message that is not about CORS",
            Why::NotAFailure => "a CORS notice that does not report a refusal",
            Why::OtherNetworkError => {
                "a network error that is not a CORS refusal (the connection itself failed)"
            }
            Why::ScriptError => {
                "an error as the script saw it (the browser hides the cause from scripts; the CORS message has it)"
            }
            Why::Label => "a label line",
            Why::Other => "not a CORS message or a network line (application output)",
        }
    }
}

#[derive(Debug)]
enum Parsed {
    Part(Part),
    Net(Net),
    Header(String, String),
    /// `Navigated to <url>` (Firefox, and Chromium with "Preserve log"): the origin of the page
    /// whose calls follow.
    Page(String),
    Skip(Why),
    Blank,
}

/// Replaces the typographic quotes Firefox uses so one set of patterns fits all engines.
fn plain_quotes(s: &str) -> std::borrow::Cow<'_, str> {
    // All four typographic quotes are encoded starting with the byte 0xE2.
    if memchr::memchr2(0xE2, b'`', s.as_bytes()).is_some()
        && s.contains(['\u{2018}', '\u{2019}', '\u{201c}', '\u{201d}', '`'])
    {
        std::borrow::Cow::Owned(
            s.replace(['\u{2018}', '\u{2019}', '`'], "'")
                .replace(['\u{201c}', '\u{201d}'], "\""),
        )
    } else {
        std::borrow::Cow::Borrowed(s)
    }
}

/// The text between `open` and the next `close` after it.
fn between<'a>(s: &'a str, open: &str, close: &str) -> Option<&'a str> {
    let i = s.find(open)? + open.len();
    let rest = &s[i..];
    let j = rest.find(close)?;
    Some(&rest[..j])
}

/// A URL-ish token: up to whitespace, without trailing sentence punctuation or quotes.
fn url_token(s: &str) -> &str {
    let t = s.split_whitespace().next().unwrap_or("");
    let t = t.trim_matches(|c| c == '\'' || c == '"');
    t.trim_end_matches(['.', ',', ':', ';', ')'])
}

/// The word after `prefix` (`Method PUT is …` → `PUT`).
fn word_after<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let i = s.find(prefix)? + prefix.len();
    let w = s[i..]
        .split_whitespace()
        .next()?
        .trim_matches(|c| c == '\'' || c == '"');
    (!w.is_empty()).then_some(w)
}

/// A three-digit HTTP status after `prefix`.
fn status_after(s: &str, prefix: &str) -> u16 {
    word_after(s, prefix)
        .map(|w| w.trim_end_matches(['.', ',']))
        .and_then(|w| w.parse::<u16>().ok())
        .filter(|n| (100..600).contains(n))
        .unwrap_or(0)
}

const METHODS: [&str; 8] = [
    "GET", "PUT", "POST", "DELETE", "HEAD", "OPTIONS", "PATCH", "MERGE",
];

/// Code, method and header from a Chromium or WebKit reason sentence (the two share several
/// phrasings).
fn reason_code(reason: &str, part: &mut Part) {
    part.preflight |= reason.contains("preflight") || reason.contains("Preflight");
    let code = if reason.contains("No 'Access-Control-Allow-Origin' header is present")
        || reason.contains("is not allowed by Access-Control-Allow-Origin")
    {
        // WebKit words a missing header and a different value the same way; Azure Storage
        // either echoes the origin, sends `*`, or sends nothing, so "missing" is the reading
        // that fits storage.
        "no-allow-origin"
    } else if reason.contains("does not have HTTP ok status")
        || reason.contains("Redirect is not allowed for a preflight request")
        || reason.contains("Preflight response is not successful")
    {
        "preflight-failed"
    } else if reason.contains("must not be the wildcard '*'")
        || reason.contains("Cannot use wildcard in Access-Control-Allow-Origin")
        || (reason.contains("Access-Control-Allow-Credentials") && reason.contains("true"))
    {
        // A credentialed request refused over Access-Control-Allow-Credentials: with storage
        // this comes from a `*` rule (the service sends the credentials header only with an
        // echoed origin), so it is reported with the wildcard.
        "credentials-wildcard"
    } else if reason.contains("contains multiple values")
        || reason.contains("contains the invalid value")
        || reason.contains("not equal to the supplied origin")
        || reason.contains("cannot contain more than one origin")
    {
        "origin-mismatch"
    } else if let Some(m) = word_after(reason, "Method ")
        .filter(|_| reason.contains("is not allowed by Access-Control-Allow-Methods"))
    {
        part.method = m.to_ascii_uppercase();
        "method-not-allowed"
    } else if let Some(h) = word_after(reason, "Request header field ")
        .filter(|_| reason.contains("is not allowed by Access-Control-Allow-Headers"))
    {
        part.header = h.to_ascii_lowercase();
        "header-not-allowed"
    } else if reason.contains("Cannot parse Access-Control-Allow-Methods") {
        "method-not-allowed"
    } else if reason.contains("Cannot parse Access-Control-Allow-Headers") {
        "header-not-allowed"
    } else {
        "blocked"
    };
    part.code = Some(code);
    if part.origin.is_empty() {
        if let Some(o) = between(reason, "Origin '", "' is therefore") {
            part.origin = o.to_string();
        } else if let Some(o) = word_after(reason, "Origin ")
            .filter(|_| reason.contains("is not allowed by Access-Control-Allow-Origin"))
        {
            part.origin = o.to_string();
        }
    }
    if part.status == 0 {
        part.status =
            status_after(reason, "HTTP status code ").max(status_after(reason, "Status code: "));
    }
}

fn chromium_access_to(line: &str) -> Option<Part> {
    let at = line.find("Access to ")?;
    let msg = &line[at..];
    let (_, reason) = msg.split_once("has been blocked by CORS policy:")?;
    let mut p = Part::new(PartKind::Failure, None, msg);
    // The last URL of a redirect chain is the one quoted first.
    p.url = between(msg, " at '", "'").unwrap_or("").to_string();
    p.origin = between(msg, "from origin '", "'").unwrap_or("").to_string();
    reason_code(reason, &mut p);
    Some(p)
}

/// Older Chromium: `Failed to load <url>: <reason> Origin '<o>' is therefore not allowed access.`
/// and Chromium/WebKit `XMLHttpRequest cannot load <url>. <reason>`.
fn cannot_load(line: &str) -> Option<Part> {
    if let Some(at) = line.find("Failed to load ") {
        let msg = &line[at..];
        let rest = &msg["Failed to load ".len()..];
        if rest.starts_with("resource:") {
            return None;
        }
        let (url, reason) = rest.split_once(": ")?;
        let mut p = Part::new(PartKind::Failure, None, msg);
        p.url = url.trim().to_string();
        reason_code(reason, &mut p);
        return Some(p);
    }
    let at = line.find(" cannot load ")?;
    let start = line[..at]
        .rfind(|c: char| c.is_whitespace() || c == ']')
        .map_or(0, |i| i + 1);
    let msg = &line[start..];
    let rest = &line[at + " cannot load ".len()..];
    let url = url_token(rest);
    let after = rest
        .get(rest.find(char::is_whitespace).unwrap_or(rest.len())..)
        .unwrap_or("");
    let mut p = Part::new(PartKind::Failure, None, msg);
    p.url = url.to_string();
    if after
        .trim_start()
        .starts_with("due to access control checks")
    {
        // Safari's wrapper: names the URL; the reason is on a line next to it.
        p.code = Some("blocked");
        p.weak = true;
    } else {
        reason_code(after, &mut p);
    }
    Some(p)
}

fn firefox(line: &str) -> Option<Parsed> {
    if line.contains("Cross-Origin Request Warning:") {
        return Some(Parsed::Skip(Why::NotAFailure));
    }
    let at = line.find("Cross-Origin Request Blocked:")?;
    let msg = &line[at..];
    let mut p = Part::new(PartKind::Failure, None, msg);
    if let Some(u) = between(msg, "remote resource at ", " (Reason:") {
        p.url = u
            .trim()
            .trim_end_matches('.')
            .trim_matches('\'')
            .to_string();
    }
    let reason = between(msg, "(Reason: ", ")").unwrap_or("");
    let code = if reason.contains("'Access-Control-Allow-Origin' missing") {
        "no-allow-origin"
    } else if reason.contains("preflight response did not succeed") {
        p.preflight = true;
        "preflight-failed"
    } else if reason.contains(
        "Credential is not supported if the CORS header 'Access-Control-Allow-Origin' is '*'",
    ) || reason.contains("'Access-Control-Allow-Credentials'")
    {
        "credentials-wildcard"
    } else if reason.contains("does not match") || reason.contains("Multiple CORS header") {
        "origin-mismatch"
    } else if reason.contains("'Access-Control-Allow-Methods'") {
        if let Some(m) = between(reason, "invalid token '", "'") {
            p.method = m.to_ascii_uppercase();
        }
        "method-not-allowed"
    } else if reason.contains("'Access-Control-Allow-Headers'") {
        let h = between(reason, "header '", "' is not allowed")
            .or_else(|| between(reason, "token '", "'"));
        if let Some(h) = h {
            p.header = h.to_ascii_lowercase();
        }
        p.preflight = true;
        "header-not-allowed"
    } else {
        // CORS disabled, request did not succeed, not http, external redirect…
        "blocked"
    };
    p.code = Some(code);
    // "CORS request did not succeed" follows a more specific message about the same request
    // (a failed preflight) or stands for a network failure.
    p.weak = reason.contains("did not succeed");
    p.status = status_after(msg, "Status code: ");
    Some(Parsed::Part(p))
}

fn ie_edge(line: &str) -> Option<Parsed> {
    let at = line.find("SEC71")?;
    let num: u32 = line.get(at + 3..at + 7)?.parse().ok()?;
    if line.as_bytes().get(at + 7) != Some(&b':') {
        return None;
    }
    let msg = &line[at..];
    let body = msg[8..].trim_start();
    // EdgeHTML 17+: "[CORS] The origin 'o' did not find 'x' in the … header for cross-origin
    // resource at 'url'."; IE 10/11: "Origin o not found in Access-Control-Allow-Origin header."
    let edge = body.starts_with("[CORS]");
    let mut p = Part::new(PartKind::Failure, None, msg);
    if edge {
        p.origin = between(body, "The origin '", "'").unwrap_or("").to_string();
        p.url = between(body, "resource at '", "'")
            .unwrap_or("")
            .to_string();
    }
    let not_found = if edge {
        between(body, "did not find '", "'").unwrap_or("")
    } else {
        ""
    };
    let code = match num {
        7118 | 7119 => {
            p.kind = PartKind::Context;
            p.preflight = num == 7119;
            if p.url.is_empty() {
                p.url = between(body, " for ", " required")
                    .map(url_token)
                    .unwrap_or("")
                    .to_string();
            }
            None
        }
        7120 => {
            if p.origin.is_empty() {
                p.origin = word_after(body, "Origin ").unwrap_or("").to_string();
            }
            // IE does not say whether the header was missing or different; with storage it
            // is missing (see `reason_code`).
            Some("no-allow-origin")
        }
        7121 | 7122 => Some("credentials-wildcard"),
        7123 => {
            p.preflight = true;
            p.header = word_after(body, "Request header ")
                .filter(|_| !edge)
                .unwrap_or(not_found)
                .to_ascii_lowercase();
            Some("header-not-allowed")
        }
        7124 => {
            p.preflight = true;
            p.method = word_after(body, "Request method ")
                .filter(|_| !edge)
                .unwrap_or(not_found)
                .to_ascii_uppercase();
            Some("method-not-allowed")
        }
        7126 => {
            p.preflight = true;
            Some("preflight-failed")
        }
        7128 => Some("origin-mismatch"),
        7125 | 7127 | 7129 => Some("blocked"),
        _ => return Some(Parsed::Skip(Why::NotAFailure)),
    };
    p.code = code;
    Some(Parsed::Part(p))
}

fn script7002(line: &str) -> Option<Parsed> {
    let at = line.find("SCRIPT7002:")?;
    let msg = &line[at..];
    if msg.contains("Access is denied") || msg.contains("0x80070005") {
        let mut p = Part::new(PartKind::Tail, Some("blocked"), msg);
        p.weak = true;
        Some(Parsed::Part(p))
    } else {
        Some(Parsed::Skip(Why::OtherNetworkError))
    }
}

/// WebKit reason lines that stand alone (`[Error] Origin … is not allowed …`,
/// `Failed to load resource: Preflight response is not successful. Status code: 403`) and
/// Chromium reason sentences pasted without their prefix.
fn bare_reason(line: &str) -> Option<Part> {
    const STARTS: [&str; 9] = [
        "Origin ",
        "Preflight response is not successful",
        "Cannot use wildcard in Access-Control-Allow-Origin",
        "Access-Control-Allow-Origin cannot contain more than one origin",
        "Credentials flag is true",
        "Method ",
        "Request header field ",
        "Response to preflight request doesn't pass access control check",
        "No 'Access-Control-Allow-Origin' header is present",
    ];
    let (at, _) = STARTS
        .iter()
        .filter_map(|s| line.find(s).map(|i| (i, s)))
        .min_by_key(|(i, _)| *i)?;
    let msg = &line[at..];
    let cors_words = msg.contains("Access-Control-Allow-") || msg.contains("Preflight response");
    if !cors_words {
        return None;
    }
    let mut p = Part::new(PartKind::Failure, None, msg);
    reason_code(msg, &mut p);
    Some(p)
}

fn net_line(line: &str) -> Option<Net> {
    let t = line.trim().trim_matches(|c| c == '\'' || c == '"');
    // A network line names a URL, starts with its status, or is Chromium's resource line.
    let plausible = memchr::memmem::find(t.as_bytes(), b"http").is_some()
        || t.as_bytes().first().is_some_and(u8::is_ascii_digit)
        || t.contains("Failed to load resource");
    if !plausible {
        return None;
    }
    if let Some(rest) = t.split_once("Failed to load resource: ").map(|(_, r)| r) {
        if let Some(s) = rest.strip_prefix("the server responded with a status of ") {
            let status = s.get(..3).and_then(|n| n.parse().ok()).unwrap_or(0);
            let reason = between(s, "(", ")").unwrap_or("").to_string();
            return Some(Net {
                status,
                reason,
                ..Default::default()
            });
        }
        if rest.starts_with("net::") {
            return Some(Net {
                error: url_token(rest).to_string(),
                ..Default::default()
            });
        }
        return None;
    }
    // `403 (CORS not enabled or no matching rule found for this request)` on its own.
    if let Some((n, r)) = t.split_once(" (") {
        if n.len() == 3 && r.ends_with(')') {
            if let Ok(status) = n.parse::<u16>() {
                if (100..600).contains(&status) {
                    return Some(Net {
                        status,
                        reason: r.trim_end_matches(')').to_string(),
                        ..Default::default()
                    });
                }
            }
        }
    }
    let tokens: Vec<&str> = t.split_whitespace().collect();
    let i = tokens.iter().position(|w| {
        let w = w.strip_prefix("XHR").unwrap_or(w);
        METHODS.contains(&w)
    })?;
    let url = *tokens.get(i + 1)?;
    if !(url.starts_with("https://") || url.starts_with("http://")) {
        return None;
    }
    let method = tokens[i]
        .strip_prefix("XHR")
        .unwrap_or(tokens[i])
        .to_string();
    let mut net = Net {
        method,
        url: url.to_string(),
        ..Default::default()
    };
    let rest = &tokens[i + 2..];
    let mut k = 0;
    while k < rest.len() {
        let w = rest[k];
        if w.starts_with("net::") {
            net.error = w.to_string();
        } else if w.starts_with("[HTTP/") {
            // Firefox: `[HTTP/1.1 403 Forbidden 48ms]`.
            if let Some(s) = rest.get(k + 1).and_then(|s| s.parse::<u16>().ok()) {
                net.status = s;
                let words: Vec<&str> = rest[k + 2..]
                    .iter()
                    .take_while(|w| !w.ends_with("ms]"))
                    .copied()
                    .collect();
                net.reason = words.join(" ");
            }
            break;
        } else if w.len() == 3 && net.status == 0 {
            if let Ok(s) = w.parse::<u16>() {
                net.status = s;
                let tail = rest[k + 1..].join(" ");
                net.reason = tail
                    .trim()
                    .trim_start_matches('(')
                    .trim_end_matches(')')
                    .to_string();
                break;
            }
        }
        k += 1;
    }
    (net.status != 0 || !net.error.is_empty()).then_some(net)
}

const HEADER_NAMES: [&str; 12] = [
    "accept",
    "accept-encoding",
    "accept-language",
    "connection",
    "host",
    "origin",
    "referer",
    "user-agent",
    "content-type",
    "content-length",
    "cache-control",
    "pragma",
];

fn header_line(t: &str) -> Option<(String, String)> {
    let (name, value) = t.split_once(':')?;
    let name = name.trim();
    if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
        return None;
    }
    let lower = name.to_ascii_lowercase();
    let known = HEADER_NAMES.contains(&lower.as_str())
        || lower.starts_with("access-control-")
        || lower.starts_with("x-ms-")
        || lower.starts_with("sec-");
    known.then(|| (lower, value.trim().to_string()))
}

fn is_location(t: &str) -> bool {
    // IE F12 copies: `1`, `test.html`, `BiominiWebAgent.js (73,5)`, `localhost:56309 (1,1)`.
    if !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()) {
        return true;
    }
    if let Some((name, pos)) = t.split_once(" (") {
        let pos = pos.strip_suffix(')').unwrap_or("");
        if !name.contains(char::is_whitespace)
            && !pos.is_empty()
            && pos.bytes().all(|b| b.is_ascii_digit() || b == b',')
        {
            return true;
        }
    }
    let name = t.split(" (").next().unwrap_or(t);
    if name.contains(char::is_whitespace) || name.contains("://") {
        return false;
    }
    let ext = name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase());
    matches!(
        ext.as_deref(),
        Some("html" | "htm" | "js" | "aspx" | "asp" | "php" | "cshtml" | "jsp" | "mjs")
    ) && (t == name || t.ends_with(')'))
}

/// Chromium's collapsed stack frames: `sendRequest @ fetchHttpClient.ts:97`.
fn is_chromium_frame(t: &str) -> bool {
    t.rsplit_once(" @ ").is_some_and(|(_, loc)| {
        !loc.contains(char::is_whitespace)
            && loc
                .rsplit_once(':')
                .is_some_and(|(_, n)| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
    })
}

/// Every CORS message has one of these; most lines of a big paste have none, so the message
/// parsers run only on lines that do.
fn has_cors_marker(line: &str) -> bool {
    use std::sync::OnceLock;
    static FINDERS: OnceLock<Vec<memchr::memmem::Finder<'static>>> = OnceLock::new();
    let finders = FINDERS.get_or_init(|| {
        [
            "CORS",
            "Access-Control",
            "SEC71",
            "SCRIPT7002",
            "cannot load",
            "Failed to load",
            "Preflight",
            "Cross-Origin",
        ]
        .iter()
        .map(|m| memchr::memmem::Finder::new(m.as_bytes()))
        .collect()
    });
    finders.iter().any(|f| f.find(line.as_bytes()).is_some())
}

fn classify(raw: &str) -> Parsed {
    let t = raw.trim();
    if t.is_empty() {
        return Parsed::Blank;
    }
    let line = plain_quotes(t);
    let line = line.as_ref();
    if has_cors_marker(line) {
        if let Some(p) = chromium_access_to(line) {
            return Parsed::Part(p);
        }
        if let Some(p) = firefox(line) {
            return p;
        }
        if let Some(p) = ie_edge(line) {
            return p;
        }
        if let Some(p) = script7002(line) {
            return p;
        }
        if let Some(p) = cannot_load(line) {
            return Parsed::Part(p);
        }
        if let Some(p) = bare_reason(line) {
            return Parsed::Part(p);
        }
    }
    if let Some(o) = line.strip_prefix("Navigated to ").and_then(origin_of) {
        return Parsed::Page(o);
    }
    if let Some(n) = net_line(line) {
        return Parsed::Net(n);
    }
    if let Some((k, v)) = header_line(line) {
        return Parsed::Header(k, v);
    }
    if line.starts_with("at ") || line.starts_with("await in ") || is_chromium_frame(line) {
        return Parsed::Skip(Why::Stack);
    }
    if is_location(line) {
        return Parsed::Skip(Why::Location);
    }
    if line.bytes().all(|b| matches!(b, b'-' | b'=' | b'*' | b'_')) {
        return Parsed::Skip(Why::Separator);
    }
    if line.ends_with(":-") || line.ends_with("headers:") || line.ends_with("header:") {
        return Parsed::Skip(Why::Label);
    }
    let code_prefix = line
        .split(':')
        .next()
        .filter(|c| {
            let letters = c.trim_end_matches(|ch: char| ch.is_ascii_digit());
            c.len() > letters.len()
                && ["DOM", "HTML", "SCRIPT", "SEC", "CSS", "JS", "APPCACHE"].contains(&letters)
        })
        .is_some();
    if code_prefix {
        return Parsed::Skip(Why::OtherCode);
    }
    if line.contains("Failed to fetch")
        || line.contains("NetworkError when attempting to fetch resource")
        || line.contains("Network Error")
        || line.contains("Load failed")
    {
        return Parsed::Skip(Why::ScriptError);
    }
    Parsed::Skip(Why::Other)
}

// ---------------------------------------------------------------------------------------------
// Joining the lines of one refusal.

enum Item {
    Part(Part),
    Net(Net),
    Header(String, String),
    Page(String),
    Skip(Why),
}

/// Lines between two messages of one refusal (IE prints a location line and a blank line).
const JOIN_GAP: u64 = 3;
/// How far a network line may be from its CORS message.
const NET_GAP: u64 = 10;

struct Group {
    first: Location,
    /// The line of the decisive message (the event's line).
    main: Location,
    last_line: u64,
    code: Option<&'static str>,
    weak: bool,
    preflight: bool,
    has_tail: bool,
    url: String,
    origin: String,
    method: String,
    header: String,
    acrm: String,
    acrh: String,
    host: String,
    status: u16,
    text: String,
    /// Header lines of a pasted request that followed this message (used, or skipped).
    headers_open: bool,
    /// The page the console had navigated to when this refusal was printed (index into the
    /// navigation lines), for messages that do not name their origin (Firefox, Safari).
    page: Option<usize>,
}

impl Group {
    fn new(p: Part, loc: Location) -> Group {
        let mut g = Group {
            first: loc,
            main: loc,
            last_line: loc.line as u64,
            code: None,
            weak: true,
            preflight: false,
            has_tail: false,
            url: String::new(),
            origin: String::new(),
            method: String::new(),
            header: String::new(),
            acrm: String::new(),
            acrh: String::new(),
            host: String::new(),
            status: 0,
            text: String::new(),
            headers_open: false,
            page: None,
        };
        g.absorb(p, loc);
        g
    }

    /// Can `p` (a later line) belong to the same refusal?
    fn accepts(&self, p: &Part, line: u64) -> bool {
        if line.saturating_sub(self.last_line) > JOIN_GAP || self.has_tail {
            return false;
        }
        let conflict = |a: &str, b: &str| !a.is_empty() && !b.is_empty() && a != b;
        if conflict(&self.url, &p.url) || conflict(&self.origin, &p.origin) {
            return false;
        }
        match p.kind {
            PartKind::Tail => true,
            // A message naming the next request.
            PartKind::Context => false,
            PartKind::Failure => {
                let strong_self = self.code.is_some() && !self.weak;
                let strong_p = p.code.is_some() && !p.weak;
                if strong_self && strong_p {
                    // Two refusals, unless one repeats the other without a URL (WebKit's
                    // "Failed to load resource: <same reason>").
                    p.code == self.code && (p.url.is_empty() || self.url.is_empty())
                } else if self.code.is_some() && p.code.is_some() {
                    // A generic message next to a specific one about the same request (the URLs
                    // did not conflict above).
                    true
                } else {
                    true
                }
            }
        }
    }

    fn absorb(&mut self, p: Part, loc: Location) {
        self.last_line = loc.line as u64;
        let p_strong = p.code.is_some() && !p.weak;
        if p.code.is_some() && (self.code.is_none() || (self.weak && p_strong)) {
            self.code = p.code;
            self.weak = p.weak;
            self.main = loc;
            self.text = p.text.clone();
        } else if self.text.is_empty() {
            self.text = p.text.clone();
        }
        if p.kind == PartKind::Tail {
            self.has_tail = true;
        }
        self.preflight |= p.preflight;
        fill(&mut self.url, p.url);
        fill(&mut self.origin, p.origin);
        fill(&mut self.method, p.method);
        fill(&mut self.header, p.header);
        if self.status == 0 {
            self.status = p.status;
        }
    }
}

fn line_of_last(groups: &[Group]) -> u64 {
    groups.last().map_or(0, |g| g.last_line)
}

fn fill(slot: &mut String, v: String) {
    if slot.is_empty() && !v.is_empty() {
        *slot = v;
    }
}

#[derive(Default)]
struct Parser {
    items: Vec<(Location, Item)>,
}

impl LineParser for Parser {
    fn line(&mut self, line: Line<'_>, _sink: &mut dyn EventSink) {
        let loc = Location {
            line: line.number as u32,
            offset: line.offset,
        };
        let item = match classify(line.text) {
            Parsed::Blank => return,
            Parsed::Part(p) => Item::Part(p),
            Parsed::Net(n) => Item::Net(n),
            Parsed::Header(k, v) => Item::Header(k, v),
            Parsed::Page(o) => Item::Page(o),
            Parsed::Skip(w) => Item::Skip(w),
        };
        self.items.push((loc, item));
    }

    fn finish(&mut self, sink: &mut dyn EventSink) {
        let items = std::mem::take(&mut self.items);
        let mut groups: Vec<Group> = Vec::new();
        let mut nets: Vec<(Location, Net)> = Vec::new();
        // (line, reason) in line order, reported after the joins are known.
        let mut skipped: Vec<(u64, &'static str)> = Vec::new();
        // Separator lines (`---` between pasted snippets): nothing joins across them.
        let mut seps: Vec<u64> = Vec::new();
        // Navigation lines: (line, origin of the page), in order.
        let mut pages: Vec<(u64, String)> = Vec::new();
        for (loc, item) in items {
            let line = loc.line as u64;
            match item {
                Item::Part(p) => {
                    // A part that joins nothing starts its own refusal (SCRIPT7002 alone still
                    // says the browser refused the call).
                    let after_sep = seps.last().is_some_and(|s| *s > line_of_last(&groups));
                    match groups.last_mut() {
                        Some(g) if !after_sep && g.accepts(&p, line) => g.absorb(p, loc),
                        _ => {
                            let mut g = Group::new(p, loc);
                            g.page = pages.len().checked_sub(1);
                            groups.push(g);
                        }
                    }
                }
                Item::Page(o) => pages.push((line, o)),
                Item::Net(n) => nets.push((loc, n)),
                Item::Header(name, value) => {
                    let after_sep = seps.last().is_some_and(|s| *s > line_of_last(&groups));
                    let g = groups.last_mut().filter(|g| {
                        !after_sep
                            && (g.headers_open || line.saturating_sub(g.last_line) <= JOIN_GAP + 1)
                    });
                    let used = match g {
                        Some(g) => {
                            g.headers_open = true;
                            g.last_line = line;
                            let slot = match name.as_str() {
                                "access-control-request-method" => Some(&mut g.acrm),
                                "access-control-request-headers" => Some(&mut g.acrh),
                                "origin" => Some(&mut g.origin),
                                "host" => Some(&mut g.host),
                                _ => None,
                            };
                            match slot {
                                Some(s) if s.is_empty() => {
                                    *s = value;
                                    true
                                }
                                _ => false,
                            }
                        }
                        None => false,
                    };
                    if !used {
                        skipped.push((
                            line,
                            "a request header line that adds nothing to a CORS message",
                        ));
                    }
                }
                Item::Skip(w) => {
                    if w == Why::Separator {
                        seps.push(line);
                    }
                    if w != Why::Label && w != Why::Location {
                        if let Some(g) = groups.last_mut() {
                            g.headers_open = false;
                        }
                    }
                    skipped.push((line, w.reason()));
                }
            }
        }
        // Network lines: give their status to the refusal of the same URL, or stand alone.
        let mut standalone: Vec<(Location, Net)> = Vec::new();
        for (loc, n) in nets {
            let line = loc.line as u64;
            let gap = if n.url.is_empty() { JOIN_GAP } else { NET_GAP };
            let target = groups
                .iter_mut()
                .filter(|g| g.code.is_some())
                .filter(|g| g.status == 0 || g.status == n.status || n.status == 0)
                .filter(|g| n.url.is_empty() || same_url(&g.url, &n.url) || g.url.is_empty())
                .filter(|g| {
                    let d = line
                        .abs_diff(g.main.line as u64)
                        .min(line.abs_diff(g.last_line));
                    let (a, b) = if line > g.last_line {
                        (g.last_line, line)
                    } else {
                        (line, g.first.line as u64)
                    };
                    d <= gap && !seps.iter().any(|s| *s > a && *s < b)
                })
                .min_by_key(|g| line.abs_diff(g.main.line as u64));
            match target {
                Some(g) => {
                    if g.status == 0 {
                        g.status = n.status;
                    }
                    fill(&mut g.method, n.method);
                    fill(&mut g.url, n.url);
                }
                None if !n.url.is_empty() || is_cors_reason(&n.reason) => standalone.push((loc, n)),
                None => skipped.push((line, "a network status line that matches no CORS message")),
            }
        }
        let mut out: Vec<Out> = Vec::new();
        let mut pages_used = vec![false; pages.len()];
        for mut g in groups {
            if g.code.is_none() {
                // Only context lines (SEC7118 "required CORS"): the request may have worked.
                skipped.push((g.first.line as u64, Why::NotAFailure.reason()));
                continue;
            }
            // A message that does not name the page's origin was printed by the page the
            // console last navigated to.
            if g.origin.is_empty() {
                if let Some((_, o)) = g.page.and_then(|i| pages.get(i)) {
                    g.origin = o.clone();
                    if let Some(u) = g.page.and_then(|i| pages_used.get_mut(i)) {
                        *u = true;
                    }
                }
            }
            out.push(Out::Refusal(g));
        }
        for ((line, _), used) in pages.iter().zip(pages_used) {
            if !used {
                skipped.push((
                    *line,
                    "the page the console navigated to, followed by no CORS message that needs its origin",
                ));
            }
        }
        out.extend(standalone.into_iter().map(|(loc, n)| Out::Network(loc, n)));
        out.sort_by_key(Out::line);
        skipped.sort_by_key(|(l, _)| *l);
        for (line, reason) in skipped {
            sink.skipped(line, reason);
        }
        for o in out {
            match o {
                Out::Refusal(g) => emit_group(g, sink),
                Out::Network(loc, n) => emit_net(loc, n, sink),
            }
        }
    }
}

/// What becomes an event: a joined refusal, or a network line that joined none.
enum Out {
    Refusal(Group),
    Network(Location, Net),
}

impl Out {
    fn line(&self) -> u32 {
        match self {
            Out::Refusal(g) => g.main.line,
            Out::Network(loc, _) => loc.line,
        }
    }
}

/// The reason phrase Azure Storage gives a refused preflight (its HTTP status text), which
/// Chromium prints on the network line: it identifies a CORS refusal by itself.
fn is_cors_reason(reason: &str) -> bool {
    reason.contains("CORS not enabled or no matching rule found")
}

fn same_url(a: &str, b: &str) -> bool {
    let a = a.trim_end_matches(['.', '/']);
    let b = b.trim_end_matches(['.', '/']);
    a == b
}

fn auth_of(url: &str) -> AuthKind {
    if StorageUrl::parse(url).is_some_and(|u| u.param("sig").is_some()) {
        AuthKind::Sas
    } else {
        AuthKind::Unknown
    }
}

fn operation_of(method: Method, url: &str) -> &'static str {
    let known = StorageUrl::parse(url).is_some_and(|u| u.service() != Service::Unknown);
    if known && method != Method::Unknown {
        crate::knowledge::operations::infer(method, url)
    } else {
        ""
    }
}

fn emit_group(mut g: Group, sink: &mut dyn EventSink) {
    let mut code = g.code.unwrap_or("blocked");
    if g.preflight && g.status >= 400 && matches!(code, "no-allow-origin" | "blocked") {
        // The preflight itself was refused (Azure answers 403 CorsPreflightFailure); browsers
        // check the allow-origin header first and so report it as missing.
        code = "preflight-failed";
    }
    if g.method.is_empty() && code == "method-not-allowed" {
        g.method = g.acrm.clone();
    }
    let method = Method::parse(&g.method);
    let (service, account) = if g.url.is_empty() && !g.host.is_empty() {
        let host = g.host.split(':').next().unwrap_or("");
        (
            Service::from_host(host),
            host.split('.').next().unwrap_or("").to_string(),
        )
    } else {
        (Service::Unknown, String::new())
    };
    let mut ev = RawEvent {
        source: SourceKind::Console,
        service,
        account: account.into(),
        method,
        operation: operation_of(method, &g.url).into(),
        url: g.url.as_str().into(),
        status: g.status,
        auth: auth_of(&g.url),
        location: g.main,
        ..Default::default()
    };
    ev.push(Field::Origin, g.origin.as_str());
    let acrm = if code == "method-not-allowed" && g.acrm.is_empty() {
        g.method.as_str()
    } else {
        g.acrm.as_str()
    };
    ev.push(Field::AccessControlRequestMethod, acrm);
    let headers = if g.header.is_empty() {
        g.acrh
            .split(',')
            .map(|h| h.trim().to_ascii_lowercase())
            .filter(|h| !h.is_empty())
            .collect::<Vec<_>>()
            .join(",")
    } else {
        g.header.clone()
    };
    ev.push(Field::AccessControlRequestHeaders, headers);
    ev.push(Field::CorsFailure, code);
    ev.push(Field::Detail, g.text.as_str());
    sink.event(ev);
}

fn emit_net(loc: Location, n: Net, sink: &mut dyn EventSink) {
    let method = Method::parse(&n.method);
    let mut ev = RawEvent {
        source: SourceKind::Console,
        method,
        operation: operation_of(method, &n.url).into(),
        url: n.url.as_str().into(),
        status: n.status,
        auth: auth_of(&n.url),
        location: loc,
        ..Default::default()
    };
    if is_cors_reason(&n.reason) {
        ev.push(Field::CorsFailure, "preflight-failed");
    }
    let detail = match (n.reason.is_empty(), n.error.is_empty()) {
        (false, true) => n.reason,
        (true, false) => n.error,
        (false, false) => format!("{} ({})", n.reason, n.error),
        (true, true) => String::new(),
    };
    ev.push(Field::Detail, detail);
    sink.event(ev);
}

#[cfg(test)]
#[path = "browser_console_tests.rs"]
mod tests;
