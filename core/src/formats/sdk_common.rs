//! Machinery shared by the client SDK and tool log parsers (`dotnet-azure-core`,
//! `python-azure-core`, `js-azure-logger`, `java-azure-core`, `azcopy-log`): emitting an
//! [`Exchange`], holding finished exchanges briefly for late lines, counting attempts per client
//! request id, reading local log times, and a lenient JSON key/value scanner.

use std::collections::{HashMap, VecDeque};

use crate::knowledge::http::{token_endpoint, Exchange};
use crate::model::{EventSink, Timestamp};

/// Pushes one exchange, or reports its lines as skipped when it went to an identity endpoint
/// (token traffic is not storage traffic and would distort the storage success rate).
pub fn emit(x: &Exchange, sink: &mut dyn EventSink) {
    if let Some(what) = token_endpoint(&x.url) {
        let reason = format!("token request to {what}, not a storage request");
        for l in &x.lines {
            sink.skipped(*l, &reason);
        }
        sink.notice(
            "Requests for access tokens (Microsoft Entra ID, managed identity) were set aside: they are not storage requests.",
        );
        return;
    }
    sink.event(x.to_event());
}

/// Finished exchanges kept for a few more records, because a log may print facts about a
/// response after it (the error body, an exception with the service's message). Counting
/// records, not bytes, keeps the output independent of how the input was chunked.
#[derive(Default)]
pub struct Hold {
    items: VecDeque<(u64, Exchange)>,
}

/// How many records a finished exchange waits for late lines.
pub const HOLD_RECORDS: u64 = 32;

impl Hold {
    pub fn push(&mut self, seq: u64, x: Exchange) {
        self.items.push_back((seq, x));
    }

    /// Emits exchanges finished more than [`HOLD_RECORDS`] records before `seq`.
    pub fn release(&mut self, seq: u64, sink: &mut dyn EventSink) {
        while let Some((s, _)) = self.items.front() {
            if s + HOLD_RECORDS > seq {
                break;
            }
            if let Some((_, x)) = self.items.pop_front() {
                emit(&x, sink);
            }
        }
    }

    pub fn release_all(&mut self, sink: &mut dyn EventSink) {
        for (_, x) in self.items.drain(..) {
            emit(&x, sink);
        }
    }

    /// The most recently finished exchange for which `pred` holds.
    pub fn latest_mut(&mut self, pred: impl Fn(&Exchange) -> bool) -> Option<&mut Exchange> {
        self.items
            .iter_mut()
            .rev()
            .map(|(_, x)| x)
            .find(|x| pred(x))
    }
}

/// Counts attempts per client request id over the most recent ids (retries reuse the id within
/// seconds, so a bounded window is enough and memory stays flat on huge logs).
pub struct AttemptCounter {
    counts: HashMap<String, u32>,
    order: VecDeque<String>,
    cap: usize,
}

impl Default for AttemptCounter {
    fn default() -> Self {
        AttemptCounter {
            counts: HashMap::new(),
            order: VecDeque::new(),
            cap: 4096,
        }
    }
}

impl AttemptCounter {
    /// Records one more attempt for `crid`; returns how many attempts came before it (0 for the
    /// first). Empty or placeholder ids are not counted.
    pub fn next(&mut self, crid: &str) -> u32 {
        if crid.is_empty() || crid.len() > 200 {
            return 0;
        }
        if let Some(n) = self.counts.get_mut(crid) {
            *n += 1;
            return *n - 1;
        }
        if self.order.len() >= self.cap {
            if let Some(old) = self.order.pop_front() {
                self.counts.remove(&old);
            }
        }
        self.counts.insert(crid.to_string(), 1);
        self.order.push_back(crid.to_string());
        0
    }
}

/// Log times written without a zone (Python's `asctime`, a logback `%d`) are the machine's
/// local time. The response `Date` header is UTC, so the difference between the time a response
/// was logged and its `Date`, rounded to a quarter hour, is the zone offset (a few seconds of
/// clock skew round away).
#[derive(Default)]
pub struct LocalClock {
    /// Seconds to subtract from a local time to get UTC.
    offset: Option<i64>,
    /// A zone-less time was converted (before or without a known offset).
    used: bool,
}

impl LocalClock {
    /// Learns the offset from one response, if not yet known. Returns a message for the user the
    /// first time an offset other than zero is found.
    pub fn learn(&mut self, logged_local: Timestamp, date_header: Timestamp) -> Option<String> {
        if self.offset.is_some() {
            return None;
        }
        let diff = logged_local.seconds_since(date_header);
        // Beyond ±14 h it is not a time zone: leave the times alone.
        if diff.abs() > 14.0 * 3600.0 + 60.0 {
            return None;
        }
        let quarter = (diff / 900.0).round() as i64 * 900;
        self.offset = Some(quarter);
        if quarter == 0 {
            return None;
        }
        let sign = if quarter >= 0 { '+' } else { '-' };
        let a = quarter.abs();
        Some(format!(
            "Log times have no time zone; judged from the responses' Date headers they are local time UTC{sign}{:02}:{:02} and were converted to UTC.",
            a / 3600,
            (a % 3600) / 60
        ))
    }

    /// Converts a zone-less log time to UTC with the offset learnt so far.
    pub fn utc_of(&mut self, local: Timestamp) -> Timestamp {
        self.used = true;
        local.add_seconds(-(self.offset.unwrap_or(0) as f64))
    }

    /// At the end of a file: a message when zone-less times were read but no response `Date`
    /// ever showed their offset, so they were taken as UTC.
    pub fn unresolved(&self) -> Option<&'static str> {
        (self.used && self.offset.is_none()).then_some(
            "Log times have no time zone and no response Date header showed the offset: they were read as UTC.",
        )
    }
}

/// Every `"key": value` pair in a JSON or JSON-like text, at any depth, with string escapes
/// undone; numbers, booleans and null as written. Objects and arrays are descended into, not
/// returned. Lenient on purpose: log lines are often cut short or hard-wrapped, and what was
/// written before the damage is still worth reading.
pub fn json_pairs(text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let b = text.as_bytes();
    let mut i = 0;
    let mut pending_key: Option<String> = None;
    while i < b.len() {
        match b[i] {
            b'"' => {
                let (s, next) = json_string(text, i + 1);
                i = next;
                // A key when followed by ':'.
                let mut j = i;
                while j < b.len()
                    && (b[j] == b' ' || b[j] == b'\t' || b[j] == b'\n' || b[j] == b'\r')
                {
                    j += 1;
                }
                if j < b.len() && b[j] == b':' && pending_key.is_none() {
                    pending_key = Some(s);
                    i = j + 1;
                } else if let Some(k) = pending_key.take() {
                    out.push((k, s));
                }
            }
            b'{' | b'[' | b',' | b'}' | b']' => {
                pending_key = None;
                i += 1;
            }
            c if c == b'-' || c.is_ascii_alphanumeric() => {
                let start = i;
                while i < b.len()
                    && !matches!(b[i], b',' | b'}' | b']' | b'\n' | b'\r' | b' ' | b'"')
                {
                    i += 1;
                }
                if let Some(k) = pending_key.take() {
                    out.push((k, text[start..i].to_string()));
                }
            }
            _ => i += 1,
        }
    }
    out
}

/// A JSON string starting after its opening quote at byte `start`: (unescaped text, byte after
/// the closing quote). An unterminated string runs to the end. Newlines inside (a terminal's
/// hard wrap) are dropped.
fn json_string(text: &str, start: usize) -> (String, usize) {
    let mut out = String::new();
    let mut chars = text[start..].char_indices();
    while let Some((k, c)) = chars.next() {
        match c {
            '"' => return (out, start + k + 1),
            '\n' | '\r' => {}
            '\\' => match chars.next() {
                Some((_, 'n')) => out.push('\n'),
                Some((_, 't')) => out.push('\t'),
                Some((_, 'r')) => {}
                Some((_, 'u')) => {
                    let hex: String = chars.clone().take(4).map(|(_, h)| h).collect();
                    match u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32) {
                        Some(ch) if hex.len() == 4 => {
                            for _ in 0..4 {
                                chars.next();
                            }
                            out.push(ch);
                        }
                        _ => out.push('u'),
                    }
                }
                Some((_, other)) => out.push(other),
                None => {}
            },
            _ => out.push(c),
        }
    }
    (out, text.len())
}

/// The value of `key` among `pairs` (exact key, then ASCII case-insensitive).
pub fn pair<'a>(pairs: &'a [(String, String)], key: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == key)
        .or_else(|| pairs.iter().find(|(k, _)| k.eq_ignore_ascii_case(key)))
        .map(|(_, v)| v.as_str())
}

/// A leading timestamp token of a log line (`2024-05-01 10:00:00,123`, `2024-05-01T10:00:00Z`,
/// `[2025-10-01T23:55:20.883Z]`): the parsed time, whether the text said its zone, and the rest
/// of the line after the token and its separator.
pub fn leading_timestamp(line: &str) -> Option<(Timestamp, bool, &str)> {
    let (inner, bracketed) = match line.strip_prefix('[') {
        Some(r) => (r, true),
        None => (line, false),
    };
    let b = inner.as_bytes();
    if b.len() < 19 || !b[..4].iter().all(u8::is_ascii_digit) || b[4] != b'-' {
        return None;
    }
    let mut end = 0;
    while end < b.len()
        && end < 40
        && (b[end].is_ascii_digit()
            || matches!(
                b[end],
                b'-' | b':' | b'T' | b' ' | b',' | b'.' | b'Z' | b'+'
            ))
    {
        end += 1;
    }
    // Back off trailing separators (" - ", ":") until the token parses.
    let mut cut = end;
    while cut >= 19 {
        let tok = inner[..cut].trim_end();
        let tok = tok.trim_end_matches([':', '-', ' ']);
        if let Some(t) = Timestamp::parse(tok) {
            let zoned = tok.ends_with('Z') || tok.len() > 19 && tok[19..].contains(['+', '-']);
            let mut rest = &inner[tok.len()..];
            if bracketed {
                rest = rest.strip_prefix(']')?;
            }
            return Some((t, zoned, rest));
        }
        cut -= 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_pairs_flat_and_nested() {
        let p = json_pairs(
            r#"{"url": "https://a/b?x=1", "headers": {"x-ms-date": "Tue, 05 Mar 2024 02:00:00 GMT", "n": 5}, "ok": true, "s": "q\"uote\n"}"#,
        );
        assert_eq!(pair(&p, "url"), Some("https://a/b?x=1"));
        assert_eq!(pair(&p, "x-ms-date"), Some("Tue, 05 Mar 2024 02:00:00 GMT"));
        assert_eq!(pair(&p, "n"), Some("5"));
        assert_eq!(pair(&p, "ok"), Some("true"));
        assert_eq!(pair(&p, "s"), Some("q\"uote\n"));
        assert_eq!(pair(&p, "headers"), None);
    }

    #[test]
    fn json_pairs_truncated_and_wrapped() {
        let p = json_pairs("{\"az.sdk.message\":\"HTTP request\",\"url\":\"https://acct.blob.core.win\ndows.net/c\",\"tryCount\":\"1\",\"method\":\"PU");
        assert_eq!(
            pair(&p, "url"),
            Some("https://acct.blob.core.windows.net/c")
        );
        assert_eq!(pair(&p, "tryCount"), Some("1"));
        assert_eq!(pair(&p, "method"), Some("PU"));
        assert!(json_pairs("\"\\u12").len() <= 1);
    }

    #[test]
    fn leading_timestamps() {
        let (t, z, rest) =
            leading_timestamp("2025-10-02 14:47:37,901:azure.core:INFO:Request").unwrap();
        assert_eq!(t.to_string(), "2025-10-02T14:47:37.901Z");
        assert!(!z);
        assert_eq!(rest, ":azure.core:INFO:Request");
        let (t, z, rest) = leading_timestamp("[2025-07-19T04:36:29.121Z] Request URL").unwrap();
        assert_eq!(t.to_string(), "2025-07-19T04:36:29.121Z");
        assert!(z);
        assert_eq!(rest, " Request URL");
        let (_, _, rest) = leading_timestamp("2024-05-01 10:00:00,123 - azure - INFO - x").unwrap();
        assert_eq!(rest, " - azure - INFO - x");
        assert!(leading_timestamp("16:58:51.038 INFO").is_none());
        assert!(leading_timestamp("2024-05-01").is_none());
    }

    #[test]
    fn local_clock_offsets() {
        let mut c = LocalClock::default();
        let local = Timestamp::parse("2025-10-02T14:47:38").unwrap();
        let date = Timestamp::parse("Thu, 02 Oct 2025 21:47:37 GMT").unwrap();
        assert!(c.learn(local, date).unwrap().contains("UTC-07:00"));
        assert_eq!(c.utc_of(local).to_string(), "2025-10-02T21:47:38Z");
        let mut c = LocalClock::default();
        assert!(c.learn(date.add_seconds(3.0), date).is_none());
        assert_eq!(c.utc_of(date), date);
        assert_eq!(c.unresolved(), None);
        let mut c = LocalClock::default();
        assert_eq!(c.utc_of(date), date);
        assert!(c.unresolved().is_some());
    }

    #[test]
    fn no_fixture_secret_reaches_the_output() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
        let mut files: Vec<(String, Vec<u8>)> = Vec::new();
        for id in test_support::CLIENT_FORMATS {
            let mut paths: Vec<_> = std::fs::read_dir(root.join(id))
                .map(|rd| rd.flatten().map(|e| e.path()).collect())
                .unwrap_or_default();
            paths.sort();
            for p in paths {
                if p.extension().is_some_and(|e| e == "md") {
                    continue;
                }
                files.push((p.display().to_string(), std::fs::read(&p).unwrap()));
            }
        }
        let refs: Vec<(&str, &[u8])> = files
            .iter()
            .map(|(p, b)| (p.as_str(), b.as_slice()))
            .collect();
        // Shared Key signatures, SAS signatures and bearer tokens written in the .NET, Python and
        // Java fixtures (logs whose apps widened the SDK's allow-lists).
        let n = test_support::assert_secrets_redacted(&refs);
        assert!(
            n >= 15,
            "only {n} secrets found: the test would mean little"
        );
    }

    #[test]
    fn attempt_counter_counts_and_forgets() {
        let mut a = AttemptCounter {
            cap: 2,
            ..Default::default()
        };
        assert_eq!(a.next("x"), 0);
        assert_eq!(a.next("x"), 1);
        assert_eq!(a.next(""), 0);
        assert_eq!(a.next(""), 0);
        a.next("y");
        a.next("z");
        assert_eq!(a.next("x"), 0, "oldest id dropped beyond the cap");
    }
}

/// The tests every SDK client-log format runs over its fixture set `$files` (an array of
/// `(name, bytes)`): the same events whatever slices the input arrives in, no panic on damaged
/// copies forced to `$id`, and a snapshot of the normalized events (`insta`, named after the
/// calling module). One line in a format's test file instead of three copied tests.
#[cfg(test)]
macro_rules! sdk_fixture_tests {
    ($files:expr, $id:literal) => {
        #[test]
        fn same_events_at_every_split_point() {
            for (name, bytes) in $files {
                crate::testing::assert_split_invariant(name, bytes, None, 3_000);
            }
        }

        #[test]
        fn damaged_input_never_panics() {
            for (name, bytes) in $files {
                crate::formats::sdk_common::test_support::assert_no_panic_on_damage(
                    name, bytes, $id,
                );
            }
        }

        #[test]
        fn snapshot_of_normalized_events() {
            let mut s = String::new();
            for (name, bytes) in $files {
                let ds = crate::testing::ingest_in_slices(name, bytes, None, 1 << 20);
                s.push_str(&crate::testing::dump(&ds));
            }
            insta::assert_snapshot!(s);
        }
    };
}
#[cfg(test)]
pub(crate) use sdk_fixture_tests;

/// Checks shared by the client-log formats' tests.
#[cfg(test)]
pub mod test_support {
    use std::path::{Path, PathBuf};

    use crate::formats::{by_id, rank, MIN_CONFIDENCE};
    use crate::ingest::analyze_bytes;

    fn fixtures() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")
    }

    /// Every file of `fixtures/samples` and of `fixtures/<id>/` for each of the client formats.
    fn all_files() -> Vec<PathBuf> {
        let mut v = Vec::new();
        let mut dirs = vec![fixtures().join("samples")];
        for id in CLIENT_FORMATS {
            dirs.push(fixtures().join(id));
        }
        for d in dirs {
            if let Ok(rd) = std::fs::read_dir(&d) {
                for e in rd.flatten() {
                    let p = e.path();
                    let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
                    if p.is_file() && !name.ends_with(".md") {
                        v.push(p);
                    }
                }
            }
        }
        v.sort();
        v
    }

    pub const CLIENT_FORMATS: [&str; 5] = [
        "dotnet-azure-core",
        "python-azure-core",
        "js-azure-logger",
        "java-azure-core",
        "azcopy-log",
    ];

    /// `id` must rank first with confidence ≥ 0.5 on every file `is_mine` selects (and parse it
    /// with at least `min_events` events when it is one of the project's own fixtures), and
    /// score below [`MIN_CONFIDENCE`] on every other sample and fixture.
    pub fn assert_detection(id: &str, is_mine: impl Fn(&str) -> bool) {
        let f = by_id(id).expect("registered");
        let mut mine = 0;
        for p in all_files() {
            let name = p.file_name().unwrap().to_string_lossy().to_string();
            let rel = p
                .strip_prefix(fixtures())
                .unwrap()
                .to_string_lossy()
                .to_string();
            let bytes = std::fs::read(&p).unwrap();
            let text = String::from_utf8_lossy(&bytes);
            let score = f.detect(&text);
            if is_mine(&rel) {
                mine += 1;
                let ranked = rank(&text);
                let (best, c) = ranked[0];
                assert_eq!(
                    best.id(),
                    id,
                    "{rel}: {id} scored {score}, {} won with {c}",
                    best.id()
                );
                assert!(c >= 0.5, "{rel}: confidence {c}");
            } else {
                assert!(
                    score < MIN_CONFIDENCE,
                    "{id} claims {name} with {score}; it belongs to another format"
                );
            }
        }
        assert!(mine > 0, "no file selected for {id}");
    }

    /// Damaged copies of `bytes` (cut at many points, bytes flipped, invalid UTF-8 and stray
    /// newlines inserted) must parse, forced to `id`, without panicking.
    pub fn assert_no_panic_on_damage(path: &str, bytes: &[u8], id: &str) {
        let n = bytes.len();
        let step = (n / 80).max(1);
        let mut at = 0;
        while at <= n {
            let _ = analyze_bytes(path, &bytes[..at], Some(id)).unwrap();
            let _ = analyze_bytes(path, &bytes[at..], Some(id)).unwrap();
            at += step;
        }
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        for round in 0..120 {
            let mut v = bytes.to_vec();
            for _ in 0..(1 + round % 8) {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                if v.is_empty() {
                    break;
                }
                let i = (seed as usize) % v.len();
                match round % 4 {
                    0 => v[i] ^= (seed >> 32) as u8 | 1,
                    1 => v[i] = b"[]:{}\"'\n <>"[(seed >> 40) as usize % 11],
                    2 => v.insert(i, 0xff),
                    _ => {
                        v.truncate(i);
                    }
                }
            }
            let _ = analyze_bytes(path, &v, Some(id)).unwrap();
            let _ = analyze_bytes(path, &v, None).unwrap();
        }
    }

    /// The secret values written in `text`: `sig=` values, and what follows `Bearer `,
    /// `SharedKey <account>:` and `Authorization` keys, unless the log masked them.
    pub fn secrets_in(text: &str) -> Vec<String> {
        let mut out = Vec::new();
        let stop = |c: char| {
            matches!(
                c,
                '&' | '"' | '\'' | ' ' | ',' | ']' | '\n' | '\r' | '}' | '<'
            )
        };
        for (marker, sep) in [("sig=", None), ("Bearer ", None), ("SharedKey ", Some(':'))] {
            let mut rest = text;
            while let Some(i) = rest.find(marker) {
                let mut v = &rest[i + marker.len()..];
                if let Some(c) = sep {
                    v = v.split_once(c).map_or("", |(_, s)| s);
                }
                let end = v.find(stop).unwrap_or(v.len());
                let secret = &v[..end];
                if secret.len() >= 16 && !crate::knowledge::redact::is_masked(secret) {
                    out.push(secret.to_string());
                }
                rest = &rest[i + marker.len()..];
            }
        }
        out
    }

    /// No secret written in any of `files` appears anywhere in the dataset dump; returns how
    /// many secrets were checked (a caller asserts it is not zero, so the test means something).
    pub fn assert_secrets_redacted(files: &[(&str, &[u8])]) -> usize {
        let mut checked = 0;
        for (path, bytes) in files {
            let text = String::from_utf8_lossy(bytes);
            let (ds, report) = analyze_bytes(path, bytes, None).unwrap();
            let dump = crate::testing::dump(&ds);
            let json = report.to_json();
            for s in secrets_in(&text) {
                checked += 1;
                let decoded = crate::knowledge::url::percent_decode(&s).into_owned();
                for v in [&s, &decoded] {
                    assert!(
                        !dump.contains(v.as_str()),
                        "{path}: secret {v} survived in the dump"
                    );
                    assert!(
                        !json.contains(v.as_str()),
                        "{path}: secret {v} survived in the report"
                    );
                }
            }
        }
        checked
    }
}
