//! `storage-analytics`: classic Storage Analytics logging, the `$logs` container's
//! `<service>/YYYY/MM/DD/hh00/NNNNNN.log` blobs (FORMATS.md § a).
//!
//! One record per line, fields separated by `;`. Version 1.0 has 30 fields, version 2.0 adds 8
//! OAuth fields (38). The version is field 1 and is read per line, because one download may mix
//! blobs written by both versions. Quirks handled here:
//!
//! * Fields that may hold `;` or `"` are quoted and HTML-encoded (`&quot;`, `&amp;`). The 2.0
//!   authorization-detail field holds raw JSON with unescaped `"`, so a `"` only closes a quoted
//!   field when a `;` or the end of the line follows it.
//! * The request URL is quoted in real logs but unquoted in some documentation examples; an
//!   unquoted URL still contains `&amp;`, whose `;` must not end the field.
//! * `http-status-code` may be `Unknown`; numeric fields may be empty.
//! * A blob may repeat records written earlier in the same hour: a record whose request id and
//!   operation count were already seen in this input is skipped as a duplicate.
//!
//! Speed matters (an hour of `$logs` can be gigabytes): the splitter works from bit masks of the
//! line's `;`, `"` and `&` bytes ([`ByteMasks`]). On a usual line (every quote opens or closes a
//! field, no `&` outside quotes) the separators are the `;` bits outside the quoted bytes, which a
//! prefix XOR of the quote bits marks; other lines are split field by field with the rules above.
//! Where each field ends goes into a fixed array; text is sliced only for the fields read, and
//! copied only where decoding changes it (the `&` mask says which fields have nothing to decode).

use std::borrow::Cow;

use super::byte_masks::ByteMasks;
use super::{Format, LineParser, RangeEnd};
use crate::input::Line;
use crate::knowledge::url::{html_decode, preflight_origin, StorageUrl};
use crate::model::guid;
use crate::model::{
    reuse_extras, AuthKind, EventSink, Field, HourReader, Location, RawEvent, ResponseType,
    Service, SourceKind, Timestamp,
};

pub struct StorageAnalytics;

/// Fields kept per line; further trailing fields (a future log version) are counted only.
const MAX_FIELDS: usize = 40;
const V1_FIELDS: usize = 30;
const V2_FIELDS: usize = 38;

impl Format for StorageAnalytics {
    fn id(&self) -> &'static str {
        "storage-analytics"
    }
    fn name(&self) -> &'static str {
        "Storage Analytics log ($logs)"
    }
    fn detect(&self, sample: &str) -> f32 {
        let mut total = 0u32;
        let mut hits = 0u32;
        for l in sample.lines().filter(|l| !l.trim().is_empty()).take(200) {
            total += 1;
            if looks_like_record(l) {
                hits += 1;
            }
        }
        if hits == 0 {
            return 0.0;
        }
        0.75 + 0.25 * hits as f32 / total as f32
    }
    fn parser(&self) -> Box<dyn LineParser> {
        Box::new(Parser::default())
    }
    fn splits_at_lines(&self) -> bool {
        true
    }
}

fn looks_like_record(line: &str) -> bool {
    let f = split(line, &mut ByteMasks::default());
    f.count >= V1_FIELDS && version(f.get(0)).is_some() && Timestamp::parse(f.get(1)).is_some()
}

/// The fields of one line, by where each ends (its `;`, or the end of the line): a field starts
/// right after the previous one's end, and its quotes are taken off when it is read. One number
/// per field keeps the splitters' inner loops short; the text is sliced only for the fields
/// read, about half of them.
struct Fields<'a> {
    line: &'a str,
    /// Byte offset where each field ends: at a `;` or at the line's end.
    ends: [u32; MAX_FIELDS],
    /// Number of fields on the line (may exceed [`MAX_FIELDS`]).
    count: usize,
}

impl<'a> Fields<'a> {
    fn new(line: &'a str) -> Fields<'a> {
        Fields {
            line,
            ends: [0; MAX_FIELDS],
            count: 0,
        }
    }

    /// Records the next field, which ends at `end` (a `;` or the line's end) and starts right
    /// after the previous one; beyond [`MAX_FIELDS`] it is only counted.
    #[inline]
    fn push(&mut self, end: usize) {
        if let Some(slot) = self.ends.get_mut(self.count) {
            // `Parser::line` refuses lines of 4 GiB or more; detection samples are 64 KiB.
            *slot = end as u32;
        }
        self.count += 1;
    }

    /// Where field `i`'s text is, if the line has it: between the previous field's `;` (or the
    /// line's start) and its own end, less the quotes of a quoted field. A field is quoted when
    /// it starts with `"`; its closing quote is its last byte when it has one (a quote left open
    /// at the end of the line has none).
    #[inline]
    fn span(&self, i: usize) -> Option<(usize, usize)> {
        if i >= self.count {
            return None;
        }
        let e = *self.ends.get(i)? as usize;
        let a = match i {
            0 => 0,
            _ => self.ends[i - 1] as usize + 1,
        };
        let b = self.line.as_bytes();
        if a < e && b[a] == b'"' {
            let closed = e >= a + 2 && b[e - 1] == b'"';
            Some((a + 1, e - usize::from(closed)))
        } else {
            Some((a, e))
        }
    }

    /// Forgets the fields pushed so far (to split the line again another way).
    fn clear(&mut self) {
        self.count = 0;
    }

    /// Field `i` (0-based), empty when the line has fewer.
    #[inline]
    fn get(&self, i: usize) -> &'a str {
        self.span(i).map_or("", |span| self.text(span))
    }

    /// The text at a span from [`Fields::span`].
    #[inline]
    fn text(&self, (a, b): (usize, usize)) -> &'a str {
        // Both splitters end every field at a `;` or the end of the line, and `span` moves a
        // bound only past a `"`, so every bound is at an ASCII byte or an end of the line, with
        // `a <= b`; tests compare the splitters with a reference on random lines that hold
        // multi-byte characters everywhere.
        debug_assert!(a <= b && self.line.is_char_boundary(a) && self.line.is_char_boundary(b));
        // SAFETY: as above, `a..b` is in the line and on char boundaries. Checking it again for
        // each of the ~20 fields read per row was a measurable part of a `$logs` ingest.
        unsafe { self.line.get_unchecked(a..b) }
    }

    /// The request URL (field 12), as [`RawEvent::url`] takes it: as written, flagged, when its
    /// only entity is `&amp;` (the usual query), else decoded.
    fn url(&self, masks: &ByteMasks) -> (Cow<'a, str>, bool) {
        const URL: usize = 11;
        let Some((a, b)) = self.span(URL) else {
            return (Cow::Borrowed(""), false);
        };
        let text = self.text((a, b));
        if !masks.any_in(AMP, a, b) {
            return (Cow::Borrowed(text), false);
        }
        let field = &self.line.as_bytes()[..b];
        if masks
            .positions(AMP, a, b)
            .all(|at| field.get(at + 1..at + 5) == Some(b"amp;"))
        {
            (Cow::Borrowed(text), true)
        } else {
            (decode(text), false)
        }
    }

    /// Field `i` HTML-decoded ([`decode`]), told by `masks` (filled for this line) whether it
    /// has an `&` at all: most fields have none, and are then borrowed without a search.
    fn decoded(&self, i: usize, masks: &ByteMasks) -> Cow<'a, str> {
        match self.span(i) {
            Some((a, b)) if masks.any_in(AMP, a, b) => decode(self.text((a, b))),
            Some(span) => Cow::Borrowed(self.text(span)),
            None => Cow::Borrowed(""),
        }
    }
}

/// True when the `;` at `semi` ends an HTML entity (`&amp;`, `&quot;`, `&#59;`) that started
/// inside the current field, so it belongs to the text rather than separating fields.
fn ends_entity(b: &[u8], field_start: usize, semi: usize) -> bool {
    let lo = semi.saturating_sub(9).max(field_start);
    let Some(amp) = b[lo..semi].iter().rposition(|&c| c == b'&') else {
        return false;
    };
    let name = &b[lo + amp + 1..semi];
    name.len() >= 2 && name.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'#')
}

/// Classes of [`ByteMasks`] the splitter asks for.
const SEMI: usize = 0;
const QUOTE: usize = 1;
const AMP: usize = 2;

/// Splits a `$logs` line. Never fails: a quoted field that never closes runs to the end of the
/// line (the field count then tells the caller the line is damaged).
///
/// Every field ends at a `;` (or the end of the line): a quoted field at the first `;` right
/// after a closing `"`, an unquoted one at the first `;` that does not finish an HTML entity.
/// `masks` (reused between lines) is filled with where those bytes are, so the fields are found
/// with bit operations rather than by looking at every byte: for the whole line at once when it
/// has the usual shape ([`split_well_formed`]), field by field otherwise ([`split_any`]).
/// Offsets are kept as `u32`: the caller refuses longer lines.
fn split<'a>(line: &'a str, masks: &mut ByteMasks) -> Fields<'a> {
    masks.fill(line.as_bytes(), [b';', b'"', b'&']);
    let mut out = Fields::new(line);
    if !split_well_formed(masks, &mut out) {
        out.clear();
        split_any(masks, &mut out);
    }
    out
}

/// [`split`] for the usual line, all at once: when every `"` opens a field or closes one right
/// before a `;` (or the end of the line), and no `&` stands outside quotes, the quotes pair up in
/// order and the separators are simply the `;` outside them: a prefix XOR of the quote bits marks
/// the quoted bytes, and the fields are read off the remaining `;` bits, into `out` (new). False
/// when the line is not like that (raw JSON in the 2.0 authorization field, an unquoted URL with
/// `&amp;`, an unclosed quote): [`split_any`] then applies the rules field by field. Both give the same
/// fields whenever this one answers (tests compare them with a byte-by-byte reference). The
/// fields are written in place rather than returned: moving the array out of an `Option` cost a
/// copy per row.
fn split_well_formed(masks: &ByteMasks, out: &mut Fields<'_>) -> bool {
    let b = out.line.as_bytes();
    let len = b.len();
    let words = masks.words();
    // The field count is kept in a local, and stored once at the end: kept in `out`, it went
    // to memory and back for every field.
    let ends = &mut out.ends;
    let mut count = 0usize;
    let mut push = |count: &mut usize, e: usize| {
        if let Some(slot) = ends.get_mut(*count) {
            *slot = e as u32;
        }
        *count += 1;
    };
    let mut inside_carry = 0u64; // all ones when the previous word ended inside quotes
    let mut prev_semi_top = 1u64; // the line's start counts as a `;` before it
    for (k, w) in words.iter().enumerate() {
        let inside = super::byte_masks::prefix_xor(w[QUOTE]) ^ inside_carry;
        inside_carry = 0u64.wrapping_sub(inside >> 63);
        // The line's shape, checked before this word's fields are taken: an opening quote right
        // after a `;`, a closing one right before a `;` or the end, no `&` outside quotes.
        let after_semi = (w[SEMI] << 1) | prev_semi_top;
        prev_semi_top = w[SEMI] >> 63;
        let next_semi = words.get(k + 1).map_or(0, |n| n[SEMI] << 63);
        let last = if (k + 1) * 64 >= len {
            1u64 << ((len - 1) % 64)
        } else {
            0
        };
        let before_semi = (w[SEMI] >> 1) | next_semi | last;
        let opens = w[QUOTE] & inside;
        let closes = w[QUOTE] & !inside;
        if opens & !after_semi != 0 || closes & !before_semi != 0 || w[AMP] & !inside != 0 {
            return false;
        }
        let mut seps = w[SEMI] & !inside;
        while seps != 0 {
            push(&mut count, k * 64 + seps.trailing_zeros() as usize);
            seps &= seps - 1;
        }
    }
    if inside_carry != 0 {
        return false;
    }
    push(&mut count, len);
    out.count = count;
    true
}

/// [`split`] field by field, for any line, into `out` (new or cleared).
fn split_any(masks: &ByteMasks, out: &mut Fields<'_>) {
    let b = out.line.as_bytes();
    let len = b.len();
    // Every end recorded below is at a `;` or at the end of the line (see `Fields::text`).
    let mut i = 0;
    loop {
        let quoted = i < len && b[i] == b'"';
        let end = if quoted {
            // The opening quote and at least the closing one come first.
            masks.next_after(SEMI, QUOTE, i + 2)
        } else {
            let mut from = i;
            loop {
                match masks.next(SEMI, from) {
                    // Entities are rare outside quoted fields: look only when an `&` is there.
                    Some(s) if masks.any_in(AMP, i, s) && ends_entity(b, i, s) => from = s + 1,
                    other => break other,
                }
            }
        };
        // A quoted field that closes ends at `";`, so its last byte is its closing quote, as
        // `Fields::span` expects; one left open runs to the end of the line.
        match end {
            Some(s) => {
                out.push(s);
                // `b[s]` is the `;` separator; a trailing one announces one more (empty) field.
                i = s + 1;
            }
            None => {
                out.push(len);
                break;
            }
        }
    }
}

/// HTML-entity decoding of a field. The `$logs` writer encodes `&` and `"` only, so those two
/// are decoded here with `memchr`; any other entity goes to the general decoder.
fn decode(s: &str) -> Cow<'_, str> {
    let b = s.as_bytes();
    let Some(first) = memchr::memchr(b'&', b) else {
        return Cow::Borrowed(s);
    };
    let mut out = String::with_capacity(s.len());
    let mut from = 0;
    let mut at = Some(first);
    while let Some(i) = at {
        let tail = &b[i..];
        let (ch, len) = if tail.starts_with(b"&amp;") {
            ('&', 5)
        } else if tail.starts_with(b"&quot;") {
            ('"', 6)
        } else {
            return html_decode(s);
        };
        out.push_str(&s[from..i]);
        out.push(ch);
        from = i + len;
        at = memchr::memchr(b'&', &b[from..]).map(|k| from + k);
    }
    out.push_str(&s[from..]);
    Cow::Owned(out)
}

/// `1.0` → (1, 0). Only `<digits>.<digits>` counts as a version.
fn version(s: &str) -> Option<(u32, u32)> {
    // The two versions there are, answered without a search (this runs on every row).
    match s {
        "2.0" => return Some((2, 0)),
        "1.0" => return Some((1, 0)),
        _ => {}
    }
    let (a, b) = s.split_once('.')?;
    if a.is_empty() || b.is_empty() || a.len() > 3 || b.len() > 3 {
        return None;
    }
    Some((a.parse().ok()?, b.parse().ok()?))
}

/// A latency field: milliseconds, empty when the service did not record it.
fn parse_ms(s: &str) -> Option<f32> {
    let b = s.as_bytes();
    if !b.is_empty() && b.len() <= 7 && b.iter().all(u8::is_ascii_digit) {
        // Whole milliseconds, as the service writes them, read without the float parser
        // (two per row); below 10^7 every integer is exact in an `f32`.
        let n = b.iter().fold(0u32, |n, d| n * 10 + u32::from(d - b'0'));
        return Some(n as f32);
    }
    if s.is_empty() {
        None
    } else {
        trimmed(s).parse::<f32>().ok().filter(|v| v.is_finite())
    }
}

/// `s.trim()`, answered from the end bytes for the usual field with nothing to trim: a byte in
/// `0x21..0x80` is no whitespace, and `trim` decodes characters from both ends to learn that.
#[inline]
fn trimmed(s: &str) -> &str {
    match (s.as_bytes().first(), s.as_bytes().last()) {
        (Some(&a), Some(&z)) if (0x21..0x80).contains(&a) && (0x21..0x80).contains(&z) => s,
        _ => s.trim(),
    }
}

/// Hash of a (GUID, operation count) key: the GUIDs are random already, so folding the halves
/// and the interner's finaliser spread them well enough.
fn key_hash(g: u128, n: u32) -> u64 {
    crate::model::mix((g as u64) ^ ((g >> 64) as u64).rotate_left(32) ^ (n as u64).rotate_left(17))
}

/// The records read so far, for duplicate detection: (request id, operation count) → the line
/// first seen. An open-addressing table of 4-byte slots over a list of keys: one cache miss per
/// record and about 40 bytes each, where a general map took more of both. The table is read at
/// a random place per record, so its size is what the cache holds of it: 4-byte slots halve
/// the 8-byte ones it had (a 500 MB file: 8 MB instead of 16).
#[derive(Default)]
struct Seen {
    /// With `ids = table.len() - 1`: a slot is `(hash & !ids) | (1 + index into keys)`, the
    /// key's hash bits above those that choose its place (a tag that rejects almost every other
    /// key met while probing without reading it) and its index; 0 is an empty slot. Length a
    /// power of two, at most half full, so indexes stay below `ids`.
    table: Vec<u32>,
    keys: Vec<(u128, u32, u64)>,
}

/// Records beyond this many are not remembered (each would need a table over 2³² slots): a
/// repeat of one of them is then read as a new record. About 1.3 TB of `$logs`.
const SEEN_MAX: usize = 1 << 31;

impl Seen {
    /// Asks the CPU to start loading the slot where the key with hash `h` begins its search:
    /// the table is large and each record lands at a random place in it, so the load is
    /// started while the rest of the line is parsed, then [`Seen::first_or_insert`] finds it
    /// in cache.
    fn prefetch(&self, h: u64) {
        #[cfg(target_arch = "x86_64")]
        if !self.table.is_empty() {
            use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
            let slot = &self.table[h as usize & (self.table.len() - 1)];
            // SAFETY: a prefetch is a hint that never faults nor reads architecturally; the
            // pointer is to an element of the table anyway.
            unsafe { _mm_prefetch::<_MM_HINT_T0>(std::ptr::from_ref(slot).cast::<i8>()) };
        }
        #[cfg(not(target_arch = "x86_64"))]
        let _ = h;
    }

    /// The line where this key was first seen, or `None` after recording it at `line`. `h` is
    /// [`key_hash`] of the key.
    fn first_or_insert(&mut self, h: u64, g: u128, n: u32, line: u64) -> Option<u64> {
        if (self.keys.len() + 1) * 2 > self.table.len() {
            if self.keys.len() >= SEEN_MAX {
                return None;
            }
            self.grow();
        }
        let mask = self.table.len() - 1;
        let ids = mask as u32;
        let tag = h as u32 & !ids;
        let mut i = h as usize & mask;
        loop {
            let slot = self.table[i];
            if slot == 0 {
                self.keys.push((g, n, line));
                self.table[i] = tag | self.keys.len() as u32;
                return None;
            }
            if slot & !ids == tag {
                let (kg, kn, first) = self.keys[(slot & ids) as usize - 1];
                if kg == g && kn == n {
                    return Some(first);
                }
            }
            i = (i + 1) & mask;
        }
    }

    /// Makes room for `records` keys without growing.
    fn reserve(&mut self, records: usize) {
        let records = records.min(SEEN_MAX);
        let size = (records * 2).next_power_of_two();
        if size > self.table.len() {
            self.keys.reserve(records.saturating_sub(self.keys.len()));
            self.rehash(size);
        }
    }

    fn grow(&mut self) {
        self.rehash((self.table.len() * 2).max(1024));
    }

    /// Rebuilds the table with `size` slots (a power of two, at most 2³²) from the keys.
    fn rehash(&mut self, size: usize) {
        self.table = vec![0; size];
        let mask = size - 1;
        let ids = mask as u32;
        for (k, &(g, n, _)) in self.keys.iter().enumerate() {
            let h = key_hash(g, n);
            let mut i = h as usize & mask;
            while self.table[i] != 0 {
                i = (i + 1) & mask;
            }
            self.table[i] = (h as u32 & !ids) | (k as u32 + 1);
        }
    }
}

#[derive(Default)]
struct Parser {
    /// (request id, operation count) → line first seen.
    seen: Seen,
    /// Reused by [`split`] from line to line.
    masks: ByteMasks,
    /// Request start times: rows of one hour share its calendar arithmetic.
    times: HourReader,
    /// The extras list of the last line's event, emptied, for the next one's.
    extras: Vec<(Field, Cow<'static, str>)>,
    newer_version_noted: bool,
    /// A duplicate was skipped, with a reason that names its first copy's line.
    duplicate_skipped: bool,
}

/// Service from the service-type field without allocating for the usual words.
fn service(s: &str) -> Service {
    match s {
        "blob" => Service::Blob,
        "queue" => Service::Queue,
        "table" => Service::Table,
        "file" => Service::File,
        _ => Service::from_word(s),
    }
}

/// Auth from the authentication-type field without allocating for the usual words.
fn auth_type(s: &str) -> AuthKind {
    match s {
        "authenticated" => AuthKind::SharedKey,
        "sas" => AuthKind::Sas,
        "anonymous" => AuthKind::Anonymous,
        "bearer" => AuthKind::OAuth,
        "" => AuthKind::Unknown,
        _ => AuthKind::from_word(s),
    }
}

/// Auth from the request-status prefix (`SASSuccess`, `AnonymousClientOtherError`…), used when
/// the authentication-type field says nothing usable.
fn auth_from_status(s: &str) -> AuthKind {
    if s.starts_with("SAS") || s.starts_with("TrustedAccessSas") {
        AuthKind::Sas
    } else if s.starts_with("Anonymous") {
        AuthKind::Anonymous
    } else if s.starts_with("OAuth") {
        AuthKind::OAuth
    } else {
        AuthKind::Unknown
    }
}

impl LineParser for Parser {
    fn line(&mut self, line: Line<'_>, sink: &mut dyn EventSink) {
        let text = line.text;
        if trimmed(text).is_empty() {
            return;
        }
        if u32::try_from(text.len()).is_err() {
            // Field positions are kept as 32-bit offsets.
            sink.skipped(
                line.number,
                "a line longer than 4 GiB is not a Storage Analytics record",
            );
            return;
        }
        let f = split(text, &mut self.masks);
        let request_id = f.get(13);
        // Request ids that were masked (`xxxxxxxx-…`) cannot identify a record, so only real
        // GUIDs take part in duplicate detection.
        let request_guid = guid::parse_noting_case(request_id);
        let record_key = match (request_guid, trimmed(f.get(14)).parse::<u32>()) {
            (Some((g, _)), Ok(n)) => {
                let h = key_hash(g, n);
                self.seen.prefetch(h);
                Some((h, g, n))
            }
            _ => None,
        };
        let Some((major, minor)) = version(f.get(0)) else {
            sink.skipped(
                line.number,
                "not a Storage Analytics log line (expected a version such as 1.0 or 2.0, then fields separated by ';')",
            );
            return;
        };
        let need = match (major, minor) {
            (1, 0) => V1_FIELDS,
            (2, 0) => V2_FIELDS,
            _ if major >= 2 => {
                if !self.newer_version_noted {
                    self.newer_version_noted = true;
                    sink.notice(&format!(
                        "Storage Analytics log version {major}.{minor} is newer than the versions this analyzer knows (1.0, 2.0): its lines were read with the 2.0 field layout."
                    ));
                }
                V2_FIELDS
            }
            _ => {
                sink.skipped(
                    line.number,
                    &format!("Storage Analytics log version {major}.{minor} is not one this analyzer knows (1.0, 2.0)"),
                );
                return;
            }
        };
        if f.count < need {
            sink.skipped(
                line.number,
                &format!(
                    "incomplete Storage Analytics {major}.{minor} record: {} of {need} fields (the line is cut short or damaged)",
                    f.count
                ),
            );
            return;
        }
        let Some(time) = self.times.parse(f.get(1)) else {
            sink.skipped(
                line.number,
                "the request-start-time field (2nd) is not a timestamp, so the fields are not where a Storage Analytics record has them",
            );
            return;
        };
        let status_text = trimmed(f.get(4));
        let status: u16 = if status_text.is_empty() || status_text.eq_ignore_ascii_case("Unknown") {
            0
        } else {
            match status_text.parse() {
                Ok(s) => s,
                Err(_) => {
                    sink.skipped(
                        line.number,
                        "the http-status-code field (5th) is neither a number nor 'Unknown', so the fields are not where a Storage Analytics record has them",
                    );
                    return;
                }
            }
        };
        let request_status = trimmed(f.get(3));
        let response_type = ResponseType::parse(request_status);
        // From version 2017-04-17 the service writes the error code where ClientOtherError
        // would be.
        let error_code = if response_type == ResponseType::ErrorCode {
            request_status
        } else {
            ""
        };
        let mut auth = auth_type(f.get(7));
        if auth == AuthKind::Unknown {
            auth = auth_from_status(request_status);
        }
        let object_key = f.decoded(12, &self.masks);
        // CopyBlobSource rows name the source by URL; the key form lets the object be matched
        // with the other rows about it.
        let resource: Cow<'_, str> = if object_key.starts_with("http") {
            match StorageUrl::parse(&object_key) {
                Some(u) => Cow::Owned(u.resource_key()),
                None => object_key,
            }
        } else {
            object_key
        };
        let (url, url_amp_encoded) = f.url(&self.masks);
        let mut ev = RawEvent {
            time: Some(time),
            source: SourceKind::Server,
            service: service(f.get(10)),
            operation: Cow::Borrowed(f.get(2)),
            url,
            url_amp_encoded,
            resource,
            account: Cow::Borrowed(f.get(9)),
            status,
            error_code: Cow::Borrowed(error_code),
            response_type,
            client_request_id: f.decoded(29, &self.masks),
            request_id: Cow::Borrowed(request_id),
            request_guid: request_guid.and_then(|(g, lower)| lower.then_some(g)),
            e2e_ms: parse_ms(f.get(5)),
            server_ms: parse_ms(f.get(6)),
            auth,
            extras: reuse_extras(std::mem::take(&mut self.extras)),
            location: Location {
                line: line.number as u32,
                offset: line.offset,
            },
            ..Default::default()
        };
        ev.push(Field::CallerIp, f.get(15));
        ev.push(Field::XmsVersion, f.get(16));
        ev.push(Field::Conditions, f.decoded(26, &self.masks));
        ev.push(Field::UserAgent, f.decoded(27, &self.masks));
        // The referrer as written: an origin (scheme, host, port) holds no `&` or `"`, the only
        // characters the writer encodes, so only preflight rows read it, and undecoded.
        if let Some(o) = preflight_origin(f.get(2), f.get(28)) {
            ev.push(Field::Origin, o);
        }
        // The duplicate check comes last, when the event is ready: the table is large and read
        // at a random place per record, so the load `prefetch` started above has had the whole
        // field work to arrive (checked first, it waited for memory on most rows). Building an
        // event for a duplicate, which is then dropped, is rare work.
        let first_copy = record_key.and_then(|(h, g, n)| {
            let first = self.seen.first_or_insert(h, g, n, line.number)?;
            Some((n, first))
        });
        match first_copy {
            Some((n, first)) => {
                self.duplicate_skipped = true;
                sink.skipped(
                    line.number,
                    &format!(
                        "duplicate record: request id {request_id} with operation count {n} was already read on line {first} (the service may write a record twice within an hour)"
                    ),
                );
            }
            None => sink.event_reusing(&mut ev),
        }
        self.extras = reuse_extras(std::mem::take(&mut ev.extras));
    }

    fn finish(&mut self, _sink: &mut dyn EventSink) {}

    fn expect_bytes(&mut self, bytes: u64) {
        // Real records are 400–800 bytes; guessing too few costs one growth near the end,
        // too many a larger table: each growth rehashes every key into fresh, randomly
        // written memory (about 3 % of a 500 MB ingest when the table grew from nothing).
        self.seen.reserve((bytes / 500).min(1 << 28) as usize);
    }

    fn range_end(&mut self) -> Option<RangeEnd> {
        // The newer-version notice is given once per file, at its first such line.
        if self.newer_version_noted {
            return None;
        }
        let mut record_keys: Vec<u64> = std::mem::take(&mut self.seen)
            .keys
            .into_iter()
            .map(|(g, n, _)| key_hash(g, n))
            .collect();
        record_keys.sort_unstable();
        Some(RangeEnd {
            record_keys,
            reasons_cite_lines: self.duplicate_skipped,
        })
    }
}

#[cfg(test)]
#[path = "storage_analytics_tests.rs"]
mod tests;
