//! Secret redaction, applied at parse time to every stored string (CONTRACTS.md § Redaction).
//!
//! Replaced by the literal `REDACTED`: SAS `sig` values, `Authorization` and
//! `x-ms-copy-source-authorization` header values, Shared Key signatures, bearer tokens and
//! account keys in connection strings. Values that arrive already masked (`sig=XXXXX`,
//! `REDACTED`, `****`) are left as they are.

use std::borrow::Cow;

pub const REDACTED: &str = "REDACTED";

/// True when a value was already masked by whoever wrote the log.
pub fn is_masked(v: &str) -> bool {
    v.is_empty()
        || v == REDACTED
        || v.eq_ignore_ascii_case("redacted")
        || v.bytes()
            .all(|b| b == b'X' || b == b'x' || b == b'*' || b == b'.')
        || v.starts_with("REDACTED")
}

// Markers that can precede a secret. Matching is ASCII case-insensitive; the first byte decides
// which needles to try, so clean text costs one pass of a few memchr searches.
const MARKERS: &[&str] = &[
    "sig=",
    "accountkey=",
    "bearer ",
    "sharedkey ",
    "sharedkeylite ",
    "authorization",
];

fn find_ci(hay: &[u8], needle: &str, from: usize) -> Option<usize> {
    let n = needle.as_bytes();
    if hay.len() < n.len() + from {
        return None;
    }
    let first_lower = n[0];
    let first_upper = n[0].to_ascii_uppercase();
    let mut i = from;
    while i + n.len() <= hay.len() {
        let rel = memchr::memchr2(first_lower, first_upper, &hay[i..=hay.len() - n.len()])?;
        let at = i + rel;
        if hay[at..at + n.len()].eq_ignore_ascii_case(n) {
            return Some(at);
        }
        i = at + 1;
    }
    None
}

/// Quick test: can this text hold a secret at all?
fn may_contain_secret(b: &[u8]) -> bool {
    // Every marker holds a `=`, a space or a `z` (`authorization`): most stored values (addresses,
    // paths, versions, ids) hold none, and one vector search says so.
    if memchr::memchr3(b'=', b' ', b'z', b).is_none() && memchr::memchr(b'Z', b).is_none() {
        return false;
    }
    // "sig=" is by far the most common. `=` is rarer than any letter of it, so look for `=` and
    // check the two letters before it, in any case (`sIg=` is redacted like `sig=`).
    memchr::memchr_iter(b'=', b).any(|i| i >= 2 && b[i - 2..i].eq_ignore_ascii_case(b"ig"))
        || MARKERS[1..].iter().any(|m| find_ci(b, m, 0).is_some())
}

/// Redacts every secret in `s`. Borrowed when nothing changed.
pub fn redact(s: &str) -> Cow<'_, str> {
    let b = s.as_bytes();
    if !may_contain_secret(b) {
        return Cow::Borrowed(s);
    }
    // Collect byte ranges to replace, then rebuild once.
    let mut cuts: Vec<(usize, usize)> = Vec::new();
    // sig=VALUE — only as a query parameter name (preceded by ?, &, ;, whitespace, quote or start).
    let mut from = 0;
    while let Some(at) = find_ci(b, "sig=", from) {
        from = at + 4;
        let boundary = at == 0
            || matches!(
                b[at - 1],
                b'?' | b'&'
                    | b';'
                    | b' '
                    | b'"'
                    | b'\''
                    | b'\t'
                    | b','
                    | b'('
                    | b'['
                    | b'{'
                    | b'\n'
            );
        if !boundary {
            continue;
        }
        let start = at + 4;
        let end = value_end(b, start, false);
        if !is_masked(&s[start..end]) {
            cuts.push((start, end));
        }
    }
    // AccountKey=VALUE in connection strings.
    from = 0;
    while let Some(at) = find_ci(b, "accountkey=", from) {
        let start = at + "accountkey=".len();
        from = start;
        let end = value_end(b, start, false);
        if !is_masked(&s[start..end]) {
            cuts.push((start, end));
        }
    }
    // Bearer TOKEN, SharedKey account:SIG, SharedKeyLite account:SIG.
    from = 0;
    while let Some(at) = find_ci(b, "bearer ", from) {
        let start = at + 7;
        from = start;
        let end = value_end(b, start, true);
        // A bearer token is long; short words after "bearer " are prose ("bearer token").
        if end - start >= 16 && !is_masked(&s[start..end]) {
            cuts.push((start, end));
        }
    }
    for kw in ["sharedkey ", "sharedkeylite "] {
        from = 0;
        while let Some(at) = find_ci(b, kw, from) {
            let start = at + kw.len();
            from = start;
            let end = value_end(b, start, true);
            let token = &s[start..end];
            if let Some(colon) = token.find(':') {
                let sig_start = start + colon + 1;
                if !is_masked(&s[sig_start..end]) {
                    cuts.push((sig_start, end));
                }
            }
        }
    }
    // Authorization header values in the shapes logs use: `Authorization: v`, `Authorization:v`,
    // `"Authorization":"v"`, `'authorization': 'v'`, `authorization=v`, plus
    // x-ms-copy-source-authorization. The value runs to the end of the quoted string or line.
    from = 0;
    while let Some(at) = find_ci(b, "authorization", from) {
        from = at + 13;
        let mut i = at + 13;
        // Skip a closing quote of a JSON/Python key.
        if i < b.len() && (b[i] == b'"' || b[i] == b'\'') {
            i += 1;
        }
        while i < b.len() && b[i] == b' ' {
            i += 1;
        }
        if i >= b.len() || !(b[i] == b':' || b[i] == b'=') {
            continue;
        }
        i += 1;
        while i < b.len() && b[i] == b' ' {
            i += 1;
        }
        let quote = if i < b.len() && (b[i] == b'"' || b[i] == b'\'') {
            let q = b[i];
            i += 1;
            Some(q)
        } else {
            None
        };
        let start = i;
        let end = match quote {
            Some(q) => memchr::memchr(q, &b[start..]).map_or(b.len(), |p| start + p),
            None => memchr::memchr3(b'\r', b'\n', b',', &b[start..]).map_or(b.len(), |p| start + p),
        };
        let v = s[start..end].trim_end();
        let end = start + v.len();
        if is_masked(v) || v.is_empty() {
            continue;
        }
        // Keep the scheme word (Bearer/SharedKey) visible: it tells the auth type.
        let scheme_len = ["Bearer ", "SharedKey ", "SharedKeyLite "]
            .iter()
            // Compared as bytes: the value's byte at `p.len()` may fall inside a character.
            .find(|p| {
                v.len() > p.len() && v.as_bytes()[..p.len()].eq_ignore_ascii_case(p.as_bytes())
            })
            .map_or(0, |p| p.len());
        cuts.push((start + scheme_len, end));
    }
    if cuts.is_empty() {
        return Cow::Borrowed(s);
    }
    cuts.sort_unstable();
    let mut out = String::with_capacity(s.len());
    let mut pos = 0;
    for (a, e) in cuts {
        if a < pos {
            // Overlapping cut (e.g. "Authorization: Bearer x" found twice): extend.
            if e > pos {
                pos = e;
            }
            continue;
        }
        out.push_str(&s[pos..a]);
        out.push_str(REDACTED);
        pos = e;
    }
    out.push_str(&s[pos..]);
    Cow::Owned(out)
}

/// End of a secret value starting at `start`: stops at `&` (also the `&amp;` of HTML-encoded
/// URLs), quotes, whitespace, `;` and `<`. With `space_only` it stops only at whitespace/quotes.
fn value_end(b: &[u8], start: usize, space_only: bool) -> usize {
    let mut i = start;
    while i < b.len() {
        let c = b[i];
        let stop = if space_only {
            matches!(c, b' ' | b'\t' | b'\r' | b'\n' | b'"' | b'\'' | b',' | b'<')
        } else {
            matches!(
                c,
                b'&' | b' ' | b'\t' | b'\r' | b'\n' | b'"' | b'\'' | b';' | b'<' | b'>' | b','
            )
        };
        if stop {
            break;
        }
        i += 1;
    }
    i
}

/// Replaces bidirectional embedding, override and isolate controls (U+202A–U+202E,
/// U+2066–U+2069) with U+FFFD, so log text cannot reorder what is shown around it (a file name
/// `invoice\u{202E}gpj.exe` displayed as `invoiceexe.jpg`). Used for everything shown to a person.
pub fn neutralize_bidi(s: &str) -> Cow<'_, str> {
    let is_bidi = |c: char| matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}');
    if s.contains(is_bidi) {
        Cow::Owned(s.replace(is_bidi, "\u{FFFD}"))
    } else {
        Cow::Borrowed(s)
    }
}

/// A stable 64-bit hash of a secret, so rules can compare two secrets without keeping them.
pub fn secret_hash(s: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in s.as_bytes() {
        h ^= *b as u64;
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

#[cfg(test)]
#[path = "redact_tests.rs"]
mod tests;
