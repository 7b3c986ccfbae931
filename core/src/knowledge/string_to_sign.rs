//! String-to-sign: split it into its lines, name each line, and compare the client's with the
//! server's.
//!
//! When a signature does not verify, the service quotes the string it signed ("Server used
//! following string to sign: '…'" / "String to sign used was …"), and the legacy .NET library
//! traces the string it signed (`StringToSign = …`). The two differ exactly where the client and
//! the service disagree about the request: a header a proxy changed, a path encoded differently,
//! the wrong account name. When they are identical, the key is what differs.
//!
//! Three shapes arrive here: real newlines (error bodies, SDK logs), literal `\n` escapes (JSON
//! and pasted text), and the legacy .NET trace, which replaces every newline with `.`. Dots also
//! occur inside values (`report.csv`, `application/vnd.ms-excel`), so a dotted string is split
//! with the help of the line structure the string must have, or of the server's string when
//! there is one.

use serde::Serialize;

use crate::model::Timestamp;

/// What kind of string-to-sign a text is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum StsKind {
    /// Shared Key for Blob, Queue and File: verb, eleven standard headers, `x-ms-` headers,
    /// canonicalized resource.
    SharedKey,
    /// Shared Key for Table: verb, Content-MD5, Content-Type, Date, canonicalized resource.
    SharedKeyTable,
    /// Shared Key Lite for Blob and Queue.
    SharedKeyLite,
    /// Shared Key Lite for Table: Date and canonicalized resource.
    SharedKeyLiteTable,
    AccountSas,
    ServiceSas,
    UserDelegationSas,
    Unknown,
}

impl StsKind {
    pub fn describe(self) -> &'static str {
        match self {
            StsKind::SharedKey => "Shared Key (Blob, Queue, File)",
            StsKind::SharedKeyTable => "Shared Key (Table)",
            StsKind::SharedKeyLite => "Shared Key Lite",
            StsKind::SharedKeyLiteTable => "Shared Key Lite (Table)",
            StsKind::AccountSas => "account SAS",
            StsKind::ServiceSas => "service SAS",
            StsKind::UserDelegationSas => "user delegation SAS",
            StsKind::Unknown => "unrecognised layout",
        }
    }

    pub fn is_sas(self) -> bool {
        matches!(
            self,
            StsKind::AccountSas | StsKind::ServiceSas | StsKind::UserDelegationSas
        )
    }
}

/// One line of a string-to-sign with what it is.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Part {
    pub label: String,
    pub value: String,
}

/// A string-to-sign split into named lines.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Decoded {
    pub kind: StsKind,
    pub parts: Vec<Part>,
}

impl Decoded {
    /// One line per part, `label: value\n`, with the newline that ends each line shown.
    pub fn render(&self) -> String {
        let n = self.parts.len();
        let w = self.parts.iter().map(|p| p.label.len()).max().unwrap_or(0);
        self.parts
            .iter()
            .enumerate()
            .map(|(i, p)| format!("{:<w$}  {}", p.label, shown(&p.value, i + 1 < n)))
            .collect::<Vec<_>>()
            .join("\n")
    }
}

/// A value with its line end made visible: `\n` where the string has a newline, `(empty)` for
/// an empty line so that it cannot be missed.
fn shown(v: &str, newline: bool) -> String {
    let v = if v.is_empty() { "(empty)" } else { v };
    if newline {
        format!("{v}\\n")
    } else {
        v.to_string()
    }
}

const VERBS: [&str; 8] = [
    "GET", "PUT", "POST", "DELETE", "HEAD", "MERGE", "OPTIONS", "PATCH",
];

fn is_verb(s: &str) -> bool {
    VERBS.contains(&s)
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

fn is_guid(s: &str) -> bool {
    s.len() == 36 && s.bytes().filter(|b| *b == b'-').count() == 4
}

fn is_iso_time(s: &str) -> bool {
    s.len() >= 10
        && s.as_bytes()[0].is_ascii_digit()
        && s.contains('T')
        && Timestamp::parse(s).is_some()
}

/// `restype:container`, `comp:list`: a query line of a canonicalized resource.
fn is_query_line(s: &str) -> bool {
    match s.split_once(':') {
        Some((k, _)) => {
            !k.is_empty()
                && k.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
        }
        None => false,
    }
}

/// Turns literal `\n` escapes and CRLF into newlines and drops the quotes around a quoted string.
pub fn normalize(s: &str) -> String {
    let mut t = s.replace("\r\n", "\n");
    if !t.contains('\n') && t.contains("\\n") {
        t = t.replace("\\n", "\n");
    }
    let trimmed = t.trim_matches(|c: char| c == ' ' || c == '\r');
    let unquoted = trimmed
        .strip_prefix('\'')
        .and_then(|x| x.strip_suffix('\''))
        .unwrap_or(trimmed);
    unquoted.to_string()
}

/// The server's string-to-sign quoted in an error detail, if any.
pub fn extract_server_string(detail: &str) -> Option<String> {
    const A: &str = "Server used following string to sign:";
    const B: &str = "String to sign used was";
    if let Some(i) = detail.find(A) {
        let rest = detail[i + A.len()..].trim_start_matches(' ');
        let rest = match rest.strip_prefix('\'') {
            Some(r) => &r[..r.rfind('\'').unwrap_or(r.len())],
            None => rest,
        };
        return Some(normalize(rest));
    }
    if let Some(i) = detail.find(B) {
        let rest = &detail[i + B.len()..];
        let rest = rest.strip_prefix(' ').unwrap_or(rest);
        let rest = rest
            .split("</AuthenticationErrorDetail>")
            .next()
            .unwrap_or(rest);
        let s = rest.replace("\r\n", "\n");
        let s = if !s.contains('\n') && s.contains("\\n") {
            s.replace("\\n", "\n")
        } else {
            s
        };
        return Some(s);
    }
    None
}

/// Splits text that has newlines (real or escaped). `None` when it has none.
fn newline_lines(s: &str) -> Option<Vec<String>> {
    let t = normalize(s);
    t.contains('\n')
        .then(|| t.split('\n').map(str::to_string).collect())
}

/// Lines of a string whose newlines were turned into spaces by whoever pasted it (empty lines are
/// lost). Dates inside Shared Key headers keep their spaces.
fn space_lines(s: &str) -> Vec<String> {
    let toks: Vec<&str> = s.split(' ').collect();
    if toks.first().is_some_and(|t| is_verb(t)) {
        let mut lines: Vec<String> = vec![toks[0].to_string()];
        let mut in_resource = false;
        for t in &toks[1..] {
            if t.is_empty() {
                continue;
            }
            let starts = !in_resource && (t.starts_with("x-ms-") || t.starts_with('/'))
                || in_resource && is_query_line(t);
            if t.starts_with('/') {
                in_resource = true;
            }
            let n = lines.len();
            match lines.last_mut() {
                Some(l) if !starts && n > 1 => {
                    l.push(' ');
                    l.push_str(t);
                }
                _ => lines.push(t.to_string()),
            }
        }
        return lines;
    }
    toks.into_iter().map(str::to_string).collect()
}

/// The lines of a string-to-sign as the service quotes it.
pub fn server_lines(s: &str) -> Vec<String> {
    newline_lines(s).unwrap_or_else(|| {
        let t = normalize(s);
        if t.contains(' ') && !t.contains('.') {
            space_lines(&t)
        } else if t.contains(' ') {
            // Spaces and dots: a pasted SAS string keeps dots in blob names; spaces decide.
            space_lines(&t)
        } else {
            vec![t]
        }
    })
}

/// The lines of a legacy .NET `StringToSign` (newlines written as `.`) without a template: the
/// line structure of each kind of string tells which dots are newlines.
pub fn legacy_lines(s: &str) -> Vec<String> {
    let toks: Vec<&str> = s.split('.').collect();
    let Some(first) = toks.first() else {
        return Vec::new();
    };
    let mut lines: Vec<String> = Vec::new();
    let rest_from;
    if is_verb(first) {
        let special = toks
            .iter()
            .skip(1)
            .position(|t| t.starts_with("x-ms-") || t.starts_with('/'))
            .map(|p| p + 1)
            .unwrap_or(toks.len());
        if special > 12 {
            // More than the eleven standard header lines before the first `x-ms-` header: a
            // header value held dots. Content-Type is the one that does (`vnd.ms-excel`).
            let extra = special - 12;
            lines.extend(toks[..5].iter().map(|t| t.to_string()));
            lines.push(toks[5..6 + extra].join("."));
            lines.extend(toks[6 + extra..special].iter().map(|t| t.to_string()));
        } else {
            lines.extend(toks[..special].iter().map(|t| t.to_string()));
        }
        rest_from = special;
    } else if toks.len() >= 2 && Timestamp::parse(first).is_some() && toks[1].starts_with('/') {
        lines.push(first.to_string());
        rest_from = 1;
    } else {
        // A SAS string-to-sign: only the resource path holds dots, in file extensions. Join a
        // short word after a path token; a policy name or a version starts a new line.
        for t in &toks {
            let ext = !t.is_empty()
                && t.len() <= 5
                && t.bytes().all(|b| b.is_ascii_alphanumeric())
                && !is_version(t);
            match lines.last_mut() {
                Some(l) if l.starts_with('/') && ext => {
                    l.push('.');
                    l.push_str(t);
                }
                _ => lines.push(t.to_string()),
            }
        }
        return lines;
    }
    let mut in_resource = false;
    for t in &toks[rest_from..] {
        let starts = if in_resource {
            is_query_line(t)
        } else {
            t.starts_with("x-ms-") || t.starts_with('/')
        };
        if !in_resource && t.starts_with('/') {
            in_resource = true;
        }
        let n = lines.len();
        match lines.last_mut() {
            Some(l) if !starts && n > rest_from => {
                l.push('.');
                l.push_str(t);
            }
            _ => lines.push(t.to_string()),
        }
    }
    lines
}

/// Longest common subsequence of two sequences: the matched index pairs, in order. Falls back to
/// no matches on inputs too large to compare cheaply (strings-to-sign are a few dozen lines).
fn lcs_pairs<T: PartialEq>(a: &[T], b: &[T]) -> Vec<(usize, usize)> {
    let (n, m) = (a.len(), b.len());
    if n == 0 || m == 0 || n.saturating_mul(m) > 4_000_000 {
        return Vec::new();
    }
    let mut t = vec![0u32; (n + 1) * (m + 1)];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            t[i * (m + 1) + j] = if a[i] == b[j] {
                t[(i + 1) * (m + 1) + j + 1] + 1
            } else {
                t[(i + 1) * (m + 1) + j].max(t[i * (m + 1) + j + 1])
            };
        }
    }
    let (mut i, mut j) = (0, 0);
    let mut out = Vec::new();
    while i < n && j < m {
        if a[i] == b[j] {
            out.push((i, j));
            i += 1;
            j += 1;
        } else if t[(i + 1) * (m + 1) + j] >= t[i * (m + 1) + j + 1] {
            i += 1;
        } else {
            j += 1;
        }
    }
    out
}

/// Splits a legacy dotted string into lines using the server's lines as the template: tokens
/// that match the server's tokens take the server's line breaks; tokens that differ are grouped
/// like the server tokens they stand against.
fn align_legacy(client: &str, server: &[String]) -> Vec<String> {
    let ct: Vec<&str> = client.split('.').collect();
    let mut st: Vec<&str> = Vec::new();
    let mut sl: Vec<usize> = Vec::new();
    for (i, l) in server.iter().enumerate() {
        for t in l.split('.') {
            st.push(t);
            sl.push(i);
        }
    }
    let pairs = lcs_pairs(&ct, &st);
    if pairs.is_empty() {
        return legacy_lines(client);
    }
    let mut assign: Vec<Option<usize>> = vec![None; ct.len()];
    let mut prev: Option<(usize, usize)> = None;
    let sentinel = (ct.len(), st.len());
    for &(ci, sj) in pairs.iter().chain(std::iter::once(&sentinel)) {
        let c0 = prev.map_or(0, |p| p.0 + 1);
        let s0 = prev.map_or(0, |p| p.1 + 1);
        let gap_c: Vec<usize> = (c0..ci).collect();
        let gap_s: Vec<usize> = (s0..sj).collect();
        if !gap_c.is_empty() {
            if gap_c.len() == gap_s.len() {
                for (k, &c) in gap_c.iter().enumerate() {
                    assign[c] = Some(sl[gap_s[k]]);
                }
            } else {
                let mut lines: Vec<usize> = gap_s.iter().map(|&s| sl[s]).collect();
                lines.dedup();
                let before = prev.map(|p| sl[p.1]);
                let after = (sj < st.len()).then(|| sl[sj]);
                let target = match lines.len() {
                    1 => Some(lines[0]),
                    // Extra tokens where the server has none: inside one line when both
                    // neighbours are in that line (a value with more dots), else lines of
                    // their own.
                    0 if before.is_some() && before == after => before,
                    _ => None,
                };
                for &c in &gap_c {
                    assign[c] = target;
                }
            }
        }
        if ci < ct.len() {
            assign[ci] = Some(sl[sj]);
        }
        prev = Some((ci, sj));
    }
    let mut out: Vec<String> = Vec::new();
    for (k, t) in ct.iter().enumerate() {
        let joins = k > 0 && assign[k].is_some() && assign[k] == assign[k - 1];
        match out.last_mut() {
            Some(l) if joins => {
                l.push('.');
                l.push_str(t);
            }
            _ => out.push(t.to_string()),
        }
    }
    out
}

/// The client's lines: split on newlines when it has them; a legacy dotted string is split with
/// the server's lines as template when there are some.
pub fn client_lines(s: &str, template: Option<&[String]>) -> Vec<String> {
    if let Some(l) = newline_lines(s) {
        return l;
    }
    match template {
        Some(t) if !t.is_empty() => align_legacy(s, t),
        _ => legacy_lines(s),
    }
}

const SK_FIXED: [&str; 12] = [
    "VERB",
    "Content-Encoding",
    "Content-Language",
    "Content-Length",
    "Content-MD5",
    "Content-Type",
    "Date",
    "If-Modified-Since",
    "If-Match",
    "If-None-Match",
    "If-Unmodified-Since",
    "Range",
];

const ACCOUNT_SAS: [&str; 10] = [
    "account name",
    "sp (permissions)",
    "ss (services)",
    "srt (resource types)",
    "st (start)",
    "se (expiry)",
    "sip (allowed IPs)",
    "spr (protocol)",
    "sv (version)",
    "ses (encryption scope)",
];

const SP: &str = "sp (permissions)";
const ST: &str = "st (start)";
const SE: &str = "se (expiry)";
const CR: &str = "canonicalized resource";
const SI: &str = "si (stored access policy)";
const SIP: &str = "sip (allowed IPs)";
const SPR: &str = "spr (protocol)";
const SV: &str = "sv (version)";
const SR: &str = "sr (signed resource)";
const SNAP: &str = "snapshot time";
const SES: &str = "ses (encryption scope)";
const RSC: [&str; 5] = [
    "rscc (Cache-Control)",
    "rscd (Content-Disposition)",
    "rsce (Content-Encoding)",
    "rscl (Content-Language)",
    "rsct (Content-Type)",
];
const UD: [&str; 6] = [
    "skoid (key object id)",
    "sktid (key tenant)",
    "skt (key start)",
    "ske (key expiry)",
    "sks (key service)",
    "skv (key version)",
];
const TABLE_KEYS: [&str; 4] = [
    "spk (start partition key)",
    "srk (start row key)",
    "epk (end partition key)",
    "erk (end row key)",
];

/// Service SAS line layouts, newest first (they grew with the service versions).
fn service_layouts() -> Vec<Vec<&'static str>> {
    let mut v: Vec<Vec<&'static str>> = Vec::new();
    let head = [SP, ST, SE, CR];
    let cat = |parts: &[&[&'static str]]| -> Vec<&'static str> {
        parts.iter().flat_map(|p| p.iter().copied()).collect()
    };
    // Blob/File: 2020-12-06+, 2018-11-09+, 2015-04-05+, 2013-08-15+, 2012-02-12.
    v.push(cat(&[&head, &[SI, SIP, SPR, SV, SR, SNAP, SES], &RSC]));
    v.push(cat(&[&head, &[SI, SIP, SPR, SV, SR, SNAP], &RSC]));
    v.push(cat(&[&head, &[SI, SIP, SPR, SV], &RSC]));
    v.push(cat(&[&head, &[SI, SV], &RSC]));
    // Table, then Queue.
    v.push(cat(&[&head, &[SI, SIP, SPR, SV], &TABLE_KEYS]));
    v.push(cat(&[&head, &[SI, SV], &TABLE_KEYS]));
    v.push(cat(&[&head, &[SI, SIP, SPR, SV]]));
    v.push(cat(&[&head, &[SI, SV]]));
    v
}

fn delegation_layouts() -> Vec<Vec<&'static str>> {
    let head = [SP, ST, SE, CR];
    let cat = |parts: &[&[&'static str]]| -> Vec<&'static str> {
        parts.iter().flat_map(|p| p.iter().copied()).collect()
    };
    let extra: [&'static str; 3] = [
        "saoid (authorized object id)",
        "suoid (unauthorized object id)",
        "scid (correlation id)",
    ];
    vec![
        cat(&[&head, &UD, &extra, &[SIP, SPR, SV, SR, SNAP, SES], &RSC]),
        cat(&[&head, &UD, &extra, &[SIP, SPR, SV, SR, SNAP], &RSC]),
        cat(&[&head, &UD, &[SIP, SPR, SV, SR, SNAP], &RSC]),
    ]
}

/// Picks the layout whose `sv` line holds a version, preferring an exact line count.
fn pick_layout(lines: &[String], layouts: Vec<Vec<&'static str>>) -> Option<Vec<&'static str>> {
    let fits = |l: &Vec<&'static str>| {
        l.iter()
            .position(|x| *x == SV)
            .and_then(|p| lines.get(p))
            .is_some_and(|v| is_version(v))
    };
    let exact = layouts.iter().find(|l| fits(l) && l.len() == lines.len());
    if let Some(l) = exact {
        return Some(l.clone());
    }
    layouts
        .into_iter()
        .filter(|l| fits(l) && l.len() <= lines.len())
        .max_by_key(|l| l.len())
}

/// Names lines by their shape when no layout fits (a pasted string that lost its empty lines).
fn shape_labels(lines: &[String]) -> Vec<String> {
    let mut times = 0;
    let n_times = lines.iter().filter(|l| is_iso_time(l)).count();
    lines
        .iter()
        .enumerate()
        .map(|(i, l)| {
            let label = if l.starts_with('/') {
                CR.to_string()
            } else if is_iso_time(l) {
                times += 1;
                if n_times >= 2 && times == 1 { ST } else { SE }.to_string()
            } else if is_version(l) {
                SV.to_string()
            } else if l == "https" || l == "https,http" || l == "http,https" {
                SPR.to_string()
            } else if crate::knowledge::sas_eval::parse_ip(l.split('-').next().unwrap_or(""))
                .is_some()
            {
                SIP.to_string()
            } else if i <= 1 && !l.is_empty() && l.bytes().all(|b| b"racwdxyltfmeopiu".contains(&b))
            {
                SP.to_string()
            } else {
                format!("line {}", i + 1)
            };
            label
        })
        .collect()
}

/// Names every line of a string-to-sign.
pub fn decode_lines(lines: &[String]) -> Decoded {
    let mut labels: Vec<String> = Vec::new();
    let kind;
    let first = lines.first().map(String::as_str).unwrap_or("");
    if is_verb(first) {
        let res = lines
            .iter()
            .skip(1)
            .position(|l| l.starts_with('/'))
            .map(|p| p + 1);
        let hdr = lines
            .iter()
            .skip(1)
            .position(|l| l.starts_with("x-ms-"))
            .map(|p| p + 1);
        let special = match (res, hdr) {
            (Some(r), Some(h)) => r.min(h),
            (Some(r), None) => r,
            (None, Some(h)) => h,
            (None, None) => lines.len(),
        };
        let fixed: Vec<&str> = if special == 12 {
            kind = StsKind::SharedKey;
            SK_FIXED.to_vec()
        } else if special == 4 && hdr == Some(4) {
            kind = StsKind::SharedKeyLite;
            vec!["VERB", "Content-MD5", "Content-Type", "Date"]
        } else if special == 4 {
            kind = StsKind::SharedKeyTable;
            vec!["VERB", "Content-MD5", "Content-Type", "Date"]
        } else {
            kind = StsKind::Unknown;
            vec!["VERB"]
        };
        let mut in_resource = false;
        for (i, l) in lines.iter().enumerate() {
            let label = if let Some(f) = fixed.get(i) {
                f.to_string()
            } else if !in_resource && l.starts_with("x-ms-") {
                format!("canonicalized header {}", l.split(':').next().unwrap_or(""))
            } else if !in_resource && l.starts_with('/') {
                in_resource = true;
                CR.to_string()
            } else if in_resource && is_query_line(l) {
                format!("{CR}: {}", l.split(':').next().unwrap_or(""))
            } else {
                format!("line {}", i + 1)
            };
            labels.push(label);
        }
    } else if lines.len() >= 2 && Timestamp::parse(first).is_some() && lines[1].starts_with('/') {
        kind = StsKind::SharedKeyLiteTable;
        labels.push("Date".into());
        labels.push(CR.into());
        for l in &lines[2..] {
            labels.push(format!("{CR}: {}", l.split(':').next().unwrap_or("")));
        }
    } else if lines.len() >= 9
        && !first.contains('/')
        && !lines[2].is_empty()
        && lines[2].bytes().all(|b| b"bqtf".contains(&b))
        && !lines[3].is_empty()
        && lines[3].bytes().all(|b| b"sco".contains(&b))
    {
        kind = StsKind::AccountSas;
        for (i, _) in lines.iter().enumerate() {
            let has_ses = lines.len() >= 11;
            labels.push(match ACCOUNT_SAS.get(i) {
                Some(l) if i < 9 || has_ses => l.to_string(),
                _ => "(end)".to_string(),
            });
        }
    } else if lines.len() >= 4 && lines[3].starts_with('/') {
        let delegated =
            lines.get(4).is_some_and(|l| is_guid(l)) && lines.get(5).is_some_and(|l| is_guid(l));
        let (k, layout) = if delegated {
            (
                StsKind::UserDelegationSas,
                pick_layout(lines, delegation_layouts()),
            )
        } else {
            (StsKind::ServiceSas, pick_layout(lines, service_layouts()))
        };
        kind = k;
        match layout {
            Some(l) => {
                for i in 0..lines.len() {
                    labels.push(
                        l.get(i)
                            .map(|x| x.to_string())
                            .unwrap_or_else(|| format!("line {}", i + 1)),
                    );
                }
            }
            None => labels = shape_labels(lines),
        }
    } else {
        let shaped = shape_labels(lines);
        kind = if shaped.iter().any(|l| l == SV) {
            if lines
                .get(2)
                .is_some_and(|l| !l.is_empty() && l.bytes().all(|b| b"bqtf".contains(&b)))
                && !first.starts_with('/')
                && !first.is_empty()
            {
                StsKind::AccountSas
            } else {
                StsKind::ServiceSas
            }
        } else {
            StsKind::Unknown
        };
        labels = shaped;
        if kind == StsKind::AccountSas {
            for (i, l) in labels.iter_mut().enumerate().take(4) {
                *l = ACCOUNT_SAS[i].to_string();
            }
        }
    }
    Decoded {
        kind,
        parts: lines
            .iter()
            .zip(labels)
            .map(|(v, label)| Part {
                label,
                value: v.clone(),
            })
            .collect(),
    }
}

/// Decodes one string-to-sign of any shape (dotted legacy strings included).
pub fn decode(s: &str) -> Decoded {
    let lines = match newline_lines(s) {
        Some(l) => l,
        None if s.contains(' ') && !looks_dotted(s) => server_lines(s),
        None => legacy_lines(s),
    };
    decode_lines(&lines)
}

/// A legacy .NET string: newlines became dots, so a Shared Key string starts `VERB.` and a SAS
/// one has runs of dots where empty lines were.
fn looks_dotted(s: &str) -> bool {
    s.split('.').next().is_some_and(is_verb) || s.contains("..")
}

/// One line of the comparison.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DiffRow {
    pub component: String,
    /// The client's line; `None` when the client has no such line.
    pub client: Option<String>,
    /// The server's line; `None` when the server has no such line.
    pub server: Option<String>,
}

impl DiffRow {
    pub fn same(&self) -> bool {
        self.client == self.server
    }
}

/// The client's string-to-sign against the server's.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Diff {
    pub kind: StsKind,
    pub rows: Vec<DiffRow>,
}

impl Diff {
    pub fn identical(&self) -> bool {
        self.rows.iter().all(DiffRow::same)
    }

    /// The components that differ, in order, each once.
    pub fn differing(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for r in self.rows.iter().filter(|r| !r.same()) {
            if !out.contains(&r.component) {
                out.push(r.component.clone());
            }
        }
        out
    }

    /// A line-by-line view: `=` same, `-` the client's line, `+` the server's; every newline of
    /// the strings shown as `\n`.
    pub fn render(&self) -> String {
        let client_n = self.rows.iter().filter(|r| r.client.is_some()).count();
        let server_n = self.rows.iter().filter(|r| r.server.is_some()).count();
        let (mut ci, mut si) = (0, 0);
        let w = self
            .rows
            .iter()
            .map(|r| r.component.len())
            .max()
            .unwrap_or(0);
        let mut out = Vec::new();
        for r in &self.rows {
            let c_nl = r.client.is_some() && ci + 1 < client_n;
            let s_nl = r.server.is_some() && si + 1 < server_n;
            if r.same() {
                if let Some(v) = &r.client {
                    out.push(format!("= {:<w$}  {}", r.component, shown(v, c_nl)));
                }
            } else {
                match &r.client {
                    Some(v) => out.push(format!(
                        "- {:<w$}  {}   (client)",
                        r.component,
                        shown(v, c_nl)
                    )),
                    None => out.push(format!("- {:<w$}  (no such line)   (client)", r.component)),
                }
                match &r.server {
                    Some(v) => out.push(format!(
                        "+ {:<w$}  {}   (server)",
                        r.component,
                        shown(v, s_nl)
                    )),
                    None => out.push(format!("+ {:<w$}  (no such line)   (server)", r.component)),
                }
            }
            ci += r.client.is_some() as usize;
            si += r.server.is_some() as usize;
        }
        out.join("\n")
    }
}

/// Compares the client's string (any shape, legacy dotted included) with the server's.
pub fn diff(client: &str, server: &str) -> Diff {
    let s_lines = server_lines(server);
    let c_lines = client_lines(client, Some(&s_lines));
    let s_dec = decode_lines(&s_lines);
    let c_dec = decode_lines(&c_lines);
    let pairs = lcs_pairs(&c_lines, &s_lines);
    let mut rows = Vec::new();
    let (mut i, mut j) = (0, 0);
    let push_gap =
        |rows: &mut Vec<DiffRow>, ci: std::ops::Range<usize>, sj: std::ops::Range<usize>| {
            let (cn, sn) = (ci.len(), sj.len());
            for k in 0..cn.max(sn) {
                let c = (k < cn).then(|| ci.start + k);
                let s = (k < sn).then(|| sj.start + k);
                let component = match (s, c) {
                    (Some(s), _) => s_dec.parts[s].label.clone(),
                    (None, Some(c)) => c_dec.parts[c].label.clone(),
                    (None, None) => String::new(),
                };
                rows.push(DiffRow {
                    component,
                    client: c.map(|c| c_lines[c].clone()),
                    server: s.map(|s| s_lines[s].clone()),
                });
            }
        };
    for &(pi, pj) in &pairs {
        push_gap(&mut rows, i..pi, j..pj);
        rows.push(DiffRow {
            component: s_dec.parts[pj].label.clone(),
            client: Some(c_lines[pi].clone()),
            server: Some(s_lines[pj].clone()),
        });
        i = pi + 1;
        j = pj + 1;
    }
    push_gap(&mut rows, i..c_lines.len(), j..s_lines.len());
    Diff {
        kind: s_dec.kind,
        rows,
    }
}

/// Why a differing component usually differs, for explanations.
pub fn hint(component: &str) -> &'static str {
    let c = component.to_ascii_lowercase();
    if c == "verb" {
        "the request was sent with another method than the one signed (a proxy or a method override)"
    } else if c.starts_with("content-length") {
        "Content-Length is signed as an empty line when it is 0 (since version 2015-02-21); a hand-built signer often writes 0"
    } else if c.starts_with("content-type") {
        "something between the signer and the service changed Content-Type (a charset appended by the HTTP stack, or a default type added)"
    } else if c.starts_with("content-md5") || c.starts_with("content-") {
        "a content header was added, removed or changed after signing"
    } else if c == "date" || c.contains("x-ms-date") {
        "the date that was signed is not the one that was sent (a retry that re-sent an old signature, or a proxy that rewrote Date)"
    } else if c.starts_with("if-") || c == "range" {
        "a conditional or range header was added or changed after signing"
    } else if c.starts_with("canonicalized header") {
        "an x-ms- header was added, removed or changed after signing, or the signer did not sort, lower-case or trim the headers as the service does"
    } else if c.starts_with("canonicalized resource") {
        "the account name or path differs: a custom domain, proxy or emulator path, a different percent-encoding of the name, or query parameters (comp, restype) signed differently"
    } else if c.starts_with("sv") {
        "the token's version is not the one it was signed with"
    } else if c.starts_with("sp")
        || c.starts_with("st")
        || c.starts_with("se")
        || c.starts_with("sr")
        || c.starts_with("sip")
        || c.starts_with("spr")
        || c.starts_with("si ")
    {
        "a SAS field was changed after the token was signed (edited by hand, or re-encoded)"
    } else {
        "this line was built differently by the client and the service"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LEGACY_HEAD: &str = "HEAD............x-ms-client-request-id:07b26a5d....x-ms-date:Tue, 03 Jun 2014 10:33:11 GMT.x-ms-version:2014-02-14./storageaccountname/azuremmblobcontainer.restype:container";

    #[test]
    fn splits_legacy_shared_key_strings() {
        let l = legacy_lines(LEGACY_HEAD);
        assert_eq!(l.len(), 17, "{l:#?}");
        assert_eq!(l[0], "HEAD");
        assert_eq!(l[12], "x-ms-client-request-id:07b26a5d...");
        assert_eq!(l[13], "x-ms-date:Tue, 03 Jun 2014 10:33:11 GMT");
        assert_eq!(l[15], "/storageaccountname/azuremmblobcontainer");
        assert_eq!(l[16], "restype:container");
        let d = decode_lines(&l);
        assert_eq!(d.kind, StsKind::SharedKey);
        assert_eq!(d.parts[6].label, "Date");
        assert_eq!(d.parts[14].label, "canonicalized header x-ms-version");
        assert_eq!(d.parts[16].label, "canonicalized resource: restype");
        let table =
            legacy_lines("GET...Fri, 23 May 2014 06:19:48 GMT./storageaccountname/mailinglist");
        assert_eq!(decode_lines(&table).kind, StsKind::SharedKeyTable);
        let dotted = legacy_lines("PUT.....application/vnd.ms-excel.......x-ms-date:Tue, 03 Jun 2014 10:33:11 GMT./acct/c/report.v2.csv");
        assert_eq!(dotted[5], "application/vnd.ms-excel");
        assert_eq!(dotted.last().unwrap(), "/acct/c/report.v2.csv");
    }

    #[test]
    fn decodes_server_sas_strings() {
        let acct = decode("segyshare\nrwdlacupitfx\nbfqt\nco\n2022-06-01T10:14:15Z\n2022-06-01T18:14:15Z\n\nhttps\n2021-06-08\n\n");
        assert_eq!(acct.kind, StsKind::AccountSas);
        assert_eq!(acct.parts[8].label, "sv (version)");
        assert_eq!(acct.parts[9].label, "ses (encryption scope)");
        // Pasted with spaces and the empty lines lost: labelled by shape.
        let pasted = decode(
            "r 2017-12-17T15:56:39Z /blob/mystorageaccount/mycontainer/myfile.txt 2017-04-17",
        );
        let labels: Vec<&str> = pasted.parts.iter().map(|p| p.label.as_str()).collect();
        assert_eq!(labels, [SP, SE, CR, SV]);
        let svc = decode("r\n2024-03-05T01:00:00Z\n2024-03-05T02:00:00Z\n/blob/acct/c/b.txt\n\n\nhttps\n2020-08-04\nb\n\n\n\n\n\n");
        assert_eq!(svc.kind, StsKind::ServiceSas);
        assert_eq!(svc.parts[8].label, SR);
        assert_eq!(svc.parts.len(), 15);
    }

    #[test]
    fn identical_strings_point_at_the_key() {
        let server = LEGACY_HEAD
            .replace('.', "\n")
            .replace("07b26a5d\n\n\n", "07b26a5d...");
        let d = diff(LEGACY_HEAD, &server);
        assert!(d.identical(), "{}", d.render());
    }

    #[test]
    fn names_the_differing_component() {
        let client = "PUT.....text/plain.......x-ms-blob-type:BlockBlob.x-ms-date:Mon, 04 Mar 2024 10:00:00 GMT.x-ms-version:2019-02-02./acct/uploads/report.csv";
        let server = "PUT\n\n\n11\n\ntext/plain; charset=utf-8\n\n\n\n\n\n\nx-ms-blob-type:BlockBlob\nx-ms-date:Mon, 04 Mar 2024 10:00:00 GMT\nx-ms-version:2019-02-02\n/acct/uploads/report.csv";
        let d = diff(client, server);
        assert_eq!(
            d.differing(),
            ["Content-Length", "Content-Type"],
            "{}",
            d.render()
        );
        let r = d.render();
        assert!(r.contains("- Content-Type"), "{r}");
        assert!(r.contains("text/plain; charset=utf-8\\n   (server)"), "{r}");
        assert!(
            r.contains("= canonicalized resource") && r.ends_with("  /acct/uploads/report.csv"),
            "{r}"
        );
        // An extra header on one side is named by the side that has it.
        let extra = "GET\n\n\n\n\n\n\n\n\n\n\n\nx-ms-date:Mon, 04 Mar 2024 10:00:00 GMT\nx-ms-meta-a:1\nx-ms-version:2019-02-02\n/acct/c/b";
        let base = "GET\n\n\n\n\n\n\n\n\n\n\n\nx-ms-date:Mon, 04 Mar 2024 10:00:00 GMT\nx-ms-version:2019-02-02\n/acct/c/b";
        assert_eq!(
            diff(extra, base).differing(),
            ["canonicalized header x-ms-meta-a"]
        );
    }

    #[test]
    fn extracts_the_server_string() {
        let d = "The MAC signature found in the HTTP request 'abc=' is not the same as any computed signature. Server used following string to sign: 'GET\\n\\n\\n\\n\\n\\n\\n\\n\\n\\n\\n\\nx-ms-date:Wed, 02 Oct 2019 08:00:00 GMT\\nx-ms-version:2019-02-02\\n/acct/c'.";
        let s = extract_server_string(d).unwrap();
        assert!(s.starts_with("GET\n\n"), "{s:?}");
        assert!(s.ends_with("/acct/c"), "{s:?}");
        let b = extract_server_string("Signature did not match. String to sign used was r\n\n2024-01-01T00:00:00Z\n/blob/a/c\n").unwrap();
        assert_eq!(b, "r\n\n2024-01-01T00:00:00Z\n/blob/a/c\n");
        assert!(extract_server_string("Signature fields not well formed.").is_none());
    }

    #[test]
    fn never_panics_on_odd_text() {
        for s in [
            "",
            ".",
            "..",
            "GET",
            "GET.",
            "/",
            "a\nb",
            "x-ms-date:.",
            "\\n",
            "''",
            "'",
            "GET.............../",
        ] {
            let _ = decode(s);
            let _ = diff(s, s).render();
            let _ = diff(s, "GET\n\n/").render();
            let _ = decode(s).render();
        }
    }
}
