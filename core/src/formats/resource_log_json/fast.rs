//! The usual resource-log line read without serde: one pass over the bytes that picks out the
//! fields [`Record`] names and checks everything else only as far as JSON requires.
//!
//! serde's derived reader was over half of a resource-log ingest. This one answers only when
//! it is sure to give what serde gives — a record in the usual shape — and declines (`None`)
//! on anything else, which then goes to serde exactly as before: a field it reads holding an
//! escape or a fraction, a field given twice, a key written with an escape, the Event Hubs
//! envelope, a value of an unexpected type, deep nesting, or anything that is not valid JSON.
//! Tests and a fuzz target compare the two on real, generated and damaged records.

use std::borrow::Cow;

use super::{Authorization, Identity, Num, Properties, Record};

/// Deeper than any real record; beyond it the reader declines (serde has its own limit).
const MAX_DEPTH: u32 = 32;

/// The record on a line that holds one JSON object and nothing else (but blanks), or `None`
/// when serde must decide.
pub(super) fn record(line: &str) -> Option<Record<'_>> {
    let mut s = Scan {
        text: line,
        b: line.as_bytes(),
        i: 0,
    };
    let r = s.record()?;
    s.ws();
    (s.i == s.b.len()).then_some(r)
}

struct Scan<'a> {
    text: &'a str,
    b: &'a [u8],
    /// Next byte to read.
    i: usize,
}

/// The member of an object whose key is `$key`, read into the field named for it (`"json
/// key" => reader method => place`); `Some(false)` for a key not listed, which the caller
/// passes over. A key met twice declines (serde refuses a duplicate field): each listed key
/// has a bit of `$seen`, its position in the list.
macro_rules! fields {
    ($s:ident, $key:ident, $seen:ident, { $($name:literal => $read:ident => $place:expr),+ $(,)? }) => {{
        const KEYS: &[&str] = &[$($name),+];
        match $key {
            $($name => {
                let bit = 1u32 << const { position(KEYS, $name) };
                if $seen & bit != 0 {
                    return None;
                }
                $seen |= bit;
                $place = $s.$read()?;
            })+
            _ => return Some(false),
        }
        Some(true)
    }};
}

/// Where `key` is in `keys`, at compile time (a listed key's bit in [`fields!`]).
const fn position(keys: &[&str], key: &str) -> u32 {
    let mut k = 0;
    while k < keys.len() {
        let (a, b) = (keys[k].as_bytes(), key.as_bytes());
        if a.len() == b.len() {
            let mut i = 0;
            while i < a.len() && a[i] == b[i] {
                i += 1;
            }
            if i == a.len() {
                assert!(k < 32, "a `seen` set holds 32 keys");
                return k as u32;
            }
        }
        k += 1;
    }
    panic!("the key is in the list")
}

impl<'a> Scan<'a> {
    fn ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.b.get(self.i) {
            self.i += 1;
        }
    }

    /// The next byte after blanks, not consumed.
    fn peek(&mut self) -> Option<u8> {
        self.ws();
        self.b.get(self.i).copied()
    }

    fn eat(&mut self, c: u8) -> Option<()> {
        (self.peek()? == c).then(|| self.i += 1)
    }

    /// `,` then more, or the closing byte `close` (consumed): `Some(true)` when more follows.
    fn more(&mut self, close: u8) -> Option<bool> {
        match self.peek()? {
            b',' => {
                self.i += 1;
                Some(true)
            }
            c if c == close => {
                self.i += 1;
                Some(false)
            }
            _ => None,
        }
    }

    /// A string with no escape, borrowed; `None` for anything else.
    fn plain_string(&mut self) -> Option<&'a str> {
        if self.peek()? != b'"' {
            return None;
        }
        let start = self.i + 1;
        let end = special_at(self.b, start)?;
        if self.b[end] != b'"' {
            return None;
        }
        self.i = end + 1;
        // Both ends are next to a `"`, an ASCII byte, so on char boundaries.
        Some(&self.text[start..end])
    }

    /// Passes over a string as serde does over one it ignores: escapes are checked, not decoded.
    fn skip_string(&mut self) -> Option<()> {
        if self.peek()? != b'"' {
            return None;
        }
        let mut i = self.i + 1;
        loop {
            let k = special_at(self.b, i)?;
            match self.b[k] {
                b'"' => {
                    self.i = k + 1;
                    return Some(());
                }
                b'\\' => {}
                _ => return None,
            }
            i = match *self.b.get(k + 1)? {
                b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => k + 2,
                b'u' if self
                    .b
                    .get(k + 2..k + 6)
                    .is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit)) =>
                {
                    k + 6
                }
                _ => return None,
            };
        }
    }

    /// A number in JSON's grammar, as written.
    fn number(&mut self) -> Option<&'a str> {
        self.ws();
        let b = self.b;
        let start = self.i;
        let mut i = start;
        let digits = |mut i: usize| {
            while b.get(i).is_some_and(u8::is_ascii_digit) {
                i += 1;
            }
            i
        };
        if b.get(i) == Some(&b'-') {
            i += 1;
        }
        match b.get(i)? {
            b'0' => i += 1,
            b'1'..=b'9' => i = digits(i),
            _ => return None,
        }
        if b.get(i) == Some(&b'.') {
            let d = digits(i + 1);
            if d == i + 1 {
                return None;
            }
            i = d;
        }
        if let Some(b'e' | b'E') = b.get(i) {
            i += 1;
            if let Some(b'+' | b'-') = b.get(i) {
                i += 1;
            }
            let d = digits(i);
            if d == i {
                return None;
            }
            i = d;
        }
        self.i = i;
        // The bytes taken are ASCII.
        Some(&self.text[start..i])
    }

    fn literal(&mut self, word: &[u8]) -> Option<()> {
        self.ws();
        let end = self.i + word.len();
        (self.b.get(self.i..end)? == word).then(|| self.i = end)
    }

    /// Passes over any JSON value.
    fn skip_value(&mut self, depth: u32) -> Option<()> {
        match self.peek()? {
            b'"' => self.skip_string(),
            b'{' if depth < MAX_DEPTH => self.list(b'{', b'}', |s| {
                s.skip_string()?;
                s.eat(b':')?;
                s.skip_value(depth + 1)
            }),
            b'[' if depth < MAX_DEPTH => self.list(b'[', b']', |s| s.skip_value(depth + 1)),
            b't' => self.literal(b"true"),
            b'f' => self.literal(b"false"),
            b'n' => self.literal(b"null"),
            b'-' | b'0'..=b'9' => self.number().map(drop),
            _ => None,
        }
    }

    /// An `Option<Cow<str>>` field: a string without escapes, or `null`.
    fn text_field(&mut self) -> Option<Option<Cow<'a, str>>> {
        match self.peek()? {
            b'n' => self.literal(b"null").map(|()| None),
            _ => self.plain_string().map(|s| Some(Cow::Borrowed(s))),
        }
    }

    /// An `Option<Num>` field, as [`Num`]'s reader takes it: a whole number (a fraction or an
    /// exponent goes to serde, whose float reading may round differently), a string, a
    /// boolean, or `null`.
    fn num_field(&mut self) -> Option<Option<Num>> {
        match self.peek()? {
            b'n' => self.literal(b"null").map(|()| None),
            b't' => self.literal(b"true").map(|()| Some(Num(None))),
            b'f' => self.literal(b"false").map(|()| Some(Num(None))),
            b'"' => {
                let s = self.plain_string()?;
                Some(Some(Num(s
                    .trim()
                    .parse::<f64>()
                    .ok()
                    .filter(|x| x.is_finite()))))
            }
            _ => {
                let n = self.number()?;
                let digits = n.strip_prefix('-').unwrap_or(n);
                if digits.len() > 18 || !digits.bytes().all(|c| c.is_ascii_digit()) {
                    return None;
                }
                // serde gives a whole number as u64 or i64, which `Num` turns into f64 with
                // `as`; under 10^18 both are exact and the conversion is the same.
                Some(Some(Num(Some(n.parse::<i64>().ok()? as f64))))
            }
        }
    }

    /// `open`, then items separated by `,` (none at all is allowed), then `close`: JSON's
    /// objects and arrays. `item` reads one item.
    fn list(
        &mut self,
        open: u8,
        close: u8,
        mut item: impl FnMut(&mut Self) -> Option<()>,
    ) -> Option<()> {
        self.eat(open)?;
        if self.peek()? == close {
            self.i += 1;
            return Some(());
        }
        loop {
            item(self)?;
            if !self.more(close)? {
                return Some(());
            }
        }
    }

    /// The members of an object whose keys this reader knows (`field` reads the value of a key
    /// and says whether it knew it; others are passed over).
    fn object(
        &mut self,
        depth: u32,
        mut field: impl FnMut(&mut Self, &'a str) -> Option<bool>,
    ) -> Option<()> {
        self.list(b'{', b'}', |s| {
            // A key written with an escape could still name a field: serde decides.
            let key = s.plain_string()?;
            s.eat(b':')?;
            if !field(s, key)? {
                s.skip_value(depth + 1)?;
            }
            Some(())
        })
    }

    fn record(&mut self) -> Option<Record<'a>> {
        let mut r = Record::default();
        let mut seen = 0u32;
        self.object(0, |s, key| {
            // The Event Hubs envelope: serde reads it.
            if key == "records" {
                return None;
            }
            fields!(s, key, seen, {
                "time" => text_field => r.time,
                "resourceId" => text_field => r.resource_id,
                "operationName" => text_field => r.operation_name,
                "operationVersion" => text_field => r.operation_version,
                "statusCode" => num_field => r.status_code,
                "statusText" => text_field => r.status_text,
                "durationMs" => num_field => r.duration_ms,
                "callerIpAddress" => text_field => r.caller_ip_address,
                "correlationId" => text_field => r.correlation_id,
                "identity" => identity => r.identity,
                "properties" => properties => r.properties,
                "uri" => text_field => r.uri,
            })
        })?;
        Some(r)
    }

    fn identity(&mut self) -> Option<Option<Identity<'a>>> {
        if self.peek()? == b'n' {
            return self.literal(b"null").map(|()| None);
        }
        let mut id = Identity::default();
        let mut seen = 0u32;
        self.object(1, |s, key| {
            fields!(s, key, seen, {
                "type" => text_field => id.kind,
                "authorization" => authorizations => id.authorization,
            })
        })?;
        Some(Some(id))
    }

    /// `identity.authorization`: a list of objects (`null` is no list to serde: it declines).
    fn authorizations(&mut self) -> Option<Vec<Authorization<'a>>> {
        let mut list = Vec::new();
        self.list(b'[', b']', |s| {
            let mut a = Authorization::default();
            let mut seen = 0u32;
            s.object(2, |s, key| {
                fields!(s, key, seen, {
                    "action" => text_field => a.action,
                    "result" => text_field => a.result,
                    "reason" => text_field => a.reason,
                })
            })?;
            list.push(a);
            Some(())
        })?;
        Some(list)
    }

    fn properties(&mut self) -> Option<Option<Properties<'a>>> {
        if self.peek()? == b'n' {
            return self.literal(b"null").map(|()| None);
        }
        let mut p = Properties::default();
        let mut seen = 0u32;
        self.object(1, |s, key| {
            fields!(s, key, seen, {
                "accountName" => text_field => p.account_name,
                "requestUrl" => text_field => p.request_url,
                "userAgentHeader" => text_field => p.user_agent_header,
                "referrerHeader" => text_field => p.referrer_header,
                "serviceType" => text_field => p.service_type,
                "objectKey" => text_field => p.object_key,
                "clientRequestId" => text_field => p.client_request_id,
                "serverLatencyMs" => num_field => p.server_latency_ms,
                "conditionsUsed" => text_field => p.conditions_used,
                "metricResponseType" => text_field => p.metric_response_type,
            })
        })?;
        Some(Some(p))
    }
}

/// The first position at or after `i` whose byte ends a string's plain run: a `"`, a `\\`, or
/// a control character (which JSON does not allow unescaped). Sixteen bytes at a time with
/// SSE2 (part of every x86-64 CPU): the strings of a record are short and many, and a general
/// search's set-up per call (then a second pass for control characters) was most of the
/// reading.
#[inline]
fn special_at(b: &[u8], i: usize) -> Option<usize> {
    #[cfg(target_arch = "x86_64")]
    let i = {
        let mut i = i;
        use std::arch::x86_64::{
            __m128i, _mm_cmpeq_epi8, _mm_loadu_si128, _mm_max_epu8, _mm_movemask_epi8,
            _mm_or_si128, _mm_set1_epi8,
        };
        // SAFETY: SSE2 is part of every x86-64 CPU (the intrinsics are `unsafe` only for their
        // `#[target_feature]`); each load reads the 16 bytes at `i`, inside `b` as the loop's
        // condition checks, and an unaligned load needs no alignment.
        unsafe {
            let quote = _mm_set1_epi8(b'"' as i8);
            let backslash = _mm_set1_epi8(b'\\' as i8);
            let control = _mm_set1_epi8(0x1F);
            while i + 16 <= b.len() {
                let v = _mm_loadu_si128(b.as_ptr().add(i).cast::<__m128i>());
                // A byte is at most 0x1F exactly when the larger of it and 0x1F is 0x1F.
                let hit = _mm_or_si128(
                    _mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, backslash)),
                    _mm_cmpeq_epi8(_mm_max_epu8(v, control), control),
                );
                let bits = _mm_movemask_epi8(hit) as u32;
                if bits != 0 {
                    return Some(i + bits.trailing_zeros() as usize);
                }
                i += 16;
            }
        }
        i
    };
    b.get(i..)?
        .iter()
        .position(|&c| c == b'"' || c == b'\\' || c < 0x20)
        .map(|k| i + k)
}

#[cfg(test)]
#[path = "fast_tests.rs"]
mod tests;
