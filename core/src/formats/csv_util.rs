//! CSV as exported by the Azure portal (Log Analytics query results, metrics charts) and by
//! spreadsheet tools: RFC 4180 records that may span lines, the field splitter, the delimiter
//! guess, and the lenient date reader those exports need (`3/5/2024, 2:00:13.123 AM`).

use std::borrow::Cow;

use crate::input::Line;
use crate::model::Timestamp;

/// A record still open after this many lines has a stray quote, not an embedded newline.
const MAX_RECORD_LINES: usize = 200;
const MAX_RECORD_BYTES: usize = 1 << 20;

/// What [`CsvRecords`] found.
pub(crate) enum CsvItem<'a> {
    /// One whole record; `line` is its first line.
    Record {
        line: u64,
        last_line: u64,
        offset: u64,
        text: &'a str,
    },
    /// A line whose quoted field never closes (within the limits, or before the input ends).
    Unterminated { line: u64 },
}

/// Joins lines into RFC 4180 records: a quoted field may hold newlines, so a record ends only
/// where the number of `"` seen so far is even.
#[derive(Default)]
pub(crate) struct CsvRecords {
    /// Lines of the open record: (number, offset, text).
    pending: Vec<(u64, u64, String)>,
    bytes: usize,
}

fn odd_quotes(s: &str) -> bool {
    memchr::memchr_iter(b'"', s.as_bytes()).count() % 2 == 1
}

impl CsvRecords {
    pub(crate) fn line(&mut self, line: &Line<'_>, f: &mut dyn FnMut(CsvItem<'_>)) {
        self.push(line.number, line.offset, line.text, f);
    }

    fn push(&mut self, number: u64, offset: u64, text: &str, f: &mut dyn FnMut(CsvItem<'_>)) {
        if self.pending.is_empty() {
            if !odd_quotes(text) {
                f(CsvItem::Record {
                    line: number,
                    last_line: number,
                    offset,
                    text,
                });
            } else {
                self.bytes = text.len();
                self.pending.push((number, offset, text.to_string()));
            }
            return;
        }
        self.bytes += text.len() + 1;
        self.pending.push((number, offset, text.to_string()));
        let open = self
            .pending
            .iter()
            .filter(|(_, _, t)| odd_quotes(t))
            .count()
            % 2
            == 1;
        if !open {
            let mut whole = String::with_capacity(self.bytes);
            for (k, (_, _, t)) in self.pending.iter().enumerate() {
                if k > 0 {
                    whole.push('\n');
                }
                whole.push_str(t);
            }
            let (first, off, _) = self.pending[0];
            self.pending.clear();
            f(CsvItem::Record {
                line: first,
                last_line: number,
                offset: off,
                text: &whole,
            });
        } else if self.pending.len() > MAX_RECORD_LINES || self.bytes > MAX_RECORD_BYTES {
            self.give_up_first(f);
        }
    }

    /// Reports the first pending line as unterminated and reads the lines after it again.
    fn give_up_first(&mut self, f: &mut dyn FnMut(CsvItem<'_>)) {
        let lines = std::mem::take(&mut self.pending);
        let mut it = lines.into_iter();
        if let Some((first, _, _)) = it.next() {
            f(CsvItem::Unterminated { line: first });
        }
        self.bytes = 0;
        for (n, o, t) in it {
            self.push(n, o, &t, f);
        }
    }

    /// End of input: an open record is reported line by line until what remains parses.
    pub(crate) fn finish(&mut self, f: &mut dyn FnMut(CsvItem<'_>)) {
        while !self.pending.is_empty() {
            self.give_up_first(f);
        }
    }
}

/// Splits one record into fields (RFC 4180: `"` quotes a field, `""` is a quote inside it).
/// Borrowed unless a field holds an escaped quote.
pub(crate) fn split_record(text: &str, delim: u8) -> Vec<Cow<'_, str>> {
    let b = text.as_bytes();
    let mut out = Vec::with_capacity(32);
    let mut i = 0;
    loop {
        if i < b.len() && b[i] == b'"' {
            let start = i + 1;
            let mut j = start;
            let mut owned: Option<String> = None;
            let mut seg = start;
            let end;
            loop {
                match memchr::memchr(b'"', &b[j..]) {
                    None => {
                        end = b.len();
                        break;
                    }
                    Some(k) => {
                        let q = j + k;
                        if b.get(q + 1) == Some(&b'"') {
                            let o = owned.get_or_insert_with(String::new);
                            o.push_str(&text[seg..q + 1]);
                            j = q + 2;
                            seg = j;
                        } else {
                            end = q;
                            break;
                        }
                    }
                }
            }
            let field = match owned {
                Some(mut o) => {
                    o.push_str(&text[seg..end]);
                    Cow::Owned(o)
                }
                None => Cow::Borrowed(&text[start..end]),
            };
            out.push(field);
            // Anything between the closing quote and the delimiter is not RFC 4180; drop it.
            match memchr::memchr(delim, &b[end.min(b.len())..]) {
                Some(k) => i = end + k + 1,
                None => break,
            }
        } else {
            match memchr::memchr(delim, &b[i..]) {
                Some(k) => {
                    out.push(Cow::Borrowed(&text[i..i + k]));
                    i += k + 1;
                }
                None => {
                    out.push(Cow::Borrowed(&text[i..]));
                    break;
                }
            }
        }
    }
    out
}

/// The delimiter of a header line: the one of `,` `;` tab found most often outside quotes.
pub(crate) fn guess_delimiter(header: &str) -> u8 {
    let mut counts = [0usize; 3];
    let mut in_q = false;
    for c in header.bytes() {
        match c {
            b'"' => in_q = !in_q,
            b',' if !in_q => counts[0] += 1,
            b';' if !in_q => counts[1] += 1,
            b'\t' if !in_q => counts[2] += 1,
            _ => {}
        }
    }
    let best = (0..3).max_by_key(|&k| (counts[k], 3 - k)).unwrap_or(0);
    [b',', b';', b'\t'][best]
}

/// How to read `1/2/2024`: month first (US), day first, or decided by the data.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub(crate) enum DateOrder {
    /// Month first until a value can only be day first (`13/2/2024`), then day first.
    #[default]
    Auto,
    MonthFirst,
    DayFirst,
}

impl DateOrder {
    /// From the `dates` option: `mdy` or `dmy`.
    pub(crate) fn from_option(v: Option<&String>) -> DateOrder {
        match v.map(|s| s.trim().to_ascii_lowercase()).as_deref() {
            Some("mdy") | Some("us") | Some("month-first") => DateOrder::MonthFirst,
            Some("dmy") | Some("day-first") => DateOrder::DayFirst,
            _ => DateOrder::Auto,
        }
    }
}

fn digits(s: &str) -> Option<u32> {
    if s.is_empty() || s.len() > 9 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// Reads the dates exports write: ISO 8601, RFC 1123, classic metrics keys (`20240305T0200`),
/// and locale renderings such as `3/5/2024, 2:00:13.123 AM`, `05.03.2024 14:00:13` or
/// `2018/11/08 21:09:36.69`. Times without a zone are taken as UTC. With [`DateOrder::Auto`],
/// the first value that settles the order (a day above 12, or a dotted date) fixes `order`
/// for the rest; see [`is_ambiguous_slash_date`] for values read before that.
pub(crate) fn parse_loose_time(s: &str, order: &mut DateOrder) -> Option<Timestamp> {
    let s = s.trim().trim_matches('"').trim();
    if s.is_empty() {
        return None;
    }
    if let Some(t) = Timestamp::parse(s) {
        return Some(t);
    }
    let b = s.as_bytes();
    // `YYYYMMDDThhmm`: the PartitionKey of the classic metrics tables.
    if b.len() == 13 && b[8] == b'T' && s.is_char_boundary(8) {
        let (d, t) = (&s[..8], &s[9..]);
        if let (Some(_), Some(_)) = (digits(d), digits(t)) {
            return Timestamp::from_civil(
                digits(&d[..4])? as i64,
                digits(&d[4..6])?,
                digits(&d[6..8])?,
                digits(&t[..2])?,
                digits(&t[2..4])?,
                0,
                0,
            );
        }
    }
    let date_end = s.find([' ', ',', 'T']).unwrap_or(s.len());
    let (date, rest) = s.split_at(date_end);
    let sep = date.bytes().find(|c| matches!(c, b'/' | b'.' | b'-'))?;
    let mut parts = date.split(sep as char);
    let (p1, p2, p3) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let (a, b2, c) = (digits(p1)?, digits(p2)?, digits(p3)?);
    let (year, month, day) = if p1.len() == 4 {
        (a as i64, b2, c)
    } else {
        let year = if p3.len() <= 2 {
            2000 + c as i64
        } else {
            c as i64
        };
        let day_first = match *order {
            DateOrder::DayFirst => true,
            DateOrder::MonthFirst => false,
            DateOrder::Auto => {
                if a > 12 && b2 <= 12 {
                    *order = DateOrder::DayFirst;
                    true
                } else if b2 > 12 && a <= 12 {
                    *order = DateOrder::MonthFirst;
                    false
                } else if sep == b'.' {
                    // Dotted dates are written day first (German and similar locales).
                    *order = DateOrder::DayFirst;
                    true
                } else {
                    // Slashes default to the US order until a value settles it.
                    false
                }
            }
        };
        if day_first {
            (year, b2, a)
        } else {
            (year, a, b2)
        }
    };
    let rest = rest.trim_start_matches([',', 'T', ' ']).trim();
    let (mut hour, mut min, mut sec, mut micros) = (0u32, 0u32, 0u32, 0u32);
    if !rest.is_empty() {
        let upper = rest.to_ascii_uppercase();
        let pm = upper.ends_with("PM") || upper.ends_with("P.M.");
        let am = upper.ends_with("AM") || upper.ends_with("A.M.");
        let clock = rest
            .trim_end_matches(|c: char| c.is_ascii_alphabetic() || c == '.' || c == ' ')
            .trim();
        let mut t = clock.split(':');
        hour = digits(t.next()?)?;
        min = digits(t.next()?)?;
        if let Some(sf) = t.next() {
            let (sp, frac) = match sf.split_once(['.', ',']) {
                Some((a, f)) => (a, f),
                None => (sf, ""),
            };
            sec = digits(sp)?;
            if !frac.is_empty() {
                if !frac.bytes().all(|c| c.is_ascii_digit()) {
                    return None;
                }
                let mut us = 0u32;
                for k in 0..6 {
                    us = us * 10 + frac.as_bytes().get(k).map_or(0, |c| (c - b'0') as u32);
                }
                micros = us;
            }
        }
        if t.next().is_some() {
            return None;
        }
        if pm && hour < 12 {
            hour += 12;
        } else if am && hour == 12 {
            hour = 0;
        }
    }
    Timestamp::from_civil(year, month, day, hour, min, sec, micros)
}

/// True for a date like `3/5/2024` (one or two digits, then a slash): with the order still
/// undecided it is read month first only by default, and a later value may prove that wrong.
pub(crate) fn is_ambiguous_slash_date(s: &str) -> bool {
    let t = s.trim().trim_matches('"').as_bytes();
    match t.iter().position(|c| !c.is_ascii_digit()) {
        Some(k) => (1..=2).contains(&k) && t[k] == b'/',
        None => false,
    }
}

/// A number as spreadsheets write it: `1234`, `12.5`, `1,234` or `12,5` (decimal comma when
/// the CSV delimiter is not a comma), with spaces as thousands separators.
pub(crate) fn parse_number(s: &str, delim: u8) -> Option<f64> {
    let t = s.trim().trim_matches('"').trim();
    if t.is_empty() {
        return None;
    }
    let cleaned: String = t
        .chars()
        .filter(|c| !matches!(c, ' ' | '\u{a0}' | '\u{202f}'))
        .collect();
    let cleaned = if cleaned.contains(',') {
        if delim != b',' && !cleaned.contains('.') && cleaned.matches(',').count() == 1 {
            cleaned.replace(',', ".")
        } else {
            cleaned.replace(',', "")
        }
    } else {
        cleaned
    };
    cleaned.parse::<f64>().ok().filter(|v| v.is_finite())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str, order: DateOrder) -> Option<String> {
        let mut o = order;
        parse_loose_time(s, &mut o).map(|t| t.to_string())
    }

    #[test]
    fn reads_export_dates() {
        let auto = DateOrder::Auto;
        assert_eq!(
            t("3/5/2024, 2:00:13.123 AM", auto).as_deref(),
            Some("2024-03-05T02:00:13.123Z")
        );
        assert_eq!(
            t("3/5/2024, 12:00:13 PM", auto).as_deref(),
            Some("2024-03-05T12:00:13Z")
        );
        assert_eq!(
            t("3/5/2024, 12:00:13 AM", auto).as_deref(),
            Some("2024-03-05T00:00:13Z")
        );
        assert_eq!(
            t("2/25/2025, 9:19:25.391 AM", auto).as_deref(),
            Some("2025-02-25T09:19:25.391Z")
        );
        assert_eq!(
            t("05.03.2024 14:00:13", auto).as_deref(),
            Some("2024-03-05T14:00:13Z")
        );
        assert_eq!(
            t("3/5/2024", DateOrder::DayFirst).as_deref(),
            Some("2024-05-03T00:00:00Z")
        );
        assert_eq!(
            t("2018/11/08 21:09:36.6900118", auto).as_deref(),
            Some("2018-11-08T21:09:36.690011Z")
        );
        assert_eq!(
            t("20240305T0200", auto).as_deref(),
            Some("2024-03-05T02:00:00Z")
        );
        assert_eq!(
            t("2024-03-05T02:00:13.123Z", auto).as_deref(),
            Some("2024-03-05T02:00:13.123Z")
        );
        assert_eq!(
            t("2024-03-05 02:00", auto).as_deref(),
            Some("2024-03-05T02:00:00Z")
        );
        assert_eq!(
            t("3/5/24 2:00 PM", auto).as_deref(),
            Some("2024-03-05T14:00:00Z")
        );
        for bad in [
            "",
            "yesterday",
            "13/13/2024",
            "1/2",
            "1/2/3/4",
            "3/5/2024, 2:xx",
            "é/1/2024",
        ] {
            assert_eq!(t(bad, auto), None, "{bad}");
        }
    }

    #[test]
    fn ambiguous_dates_are_told_apart() {
        assert!(is_ambiguous_slash_date("3/5/2024, 2:00 AM"));
        assert!(is_ambiguous_slash_date("\"12/11/2024\""));
        assert!(!is_ambiguous_slash_date("2024/03/05"));
        assert!(!is_ambiguous_slash_date("2024-03-05T02:00:00Z"));
        assert!(!is_ambiguous_slash_date("05.03.2024"));
        assert!(!is_ambiguous_slash_date(""));
    }

    #[test]
    fn auto_order_settles_on_the_first_telling_value() {
        let mut o = DateOrder::Auto;
        assert!(parse_loose_time("25/3/2024 10:00", &mut o).is_some());
        assert_eq!(o, DateOrder::DayFirst);
        assert_eq!(
            parse_loose_time("3/5/2024 10:00", &mut o)
                .map(|t| t.to_string())
                .as_deref(),
            Some("2024-05-03T10:00:00Z")
        );
        let mut o = DateOrder::Auto;
        assert!(parse_loose_time("3/25/2024 10:00", &mut o).is_some());
        assert_eq!(o, DateOrder::MonthFirst);
    }

    #[test]
    fn splits_rfc4180_fields() {
        let f = split_record(r#"a,"b,c","say ""hi""",,"x""#, b',');
        assert_eq!(f, vec!["a", "b,c", "say \"hi\"", "", "x"]);
        assert!(matches!(f[1], Cow::Borrowed(_)));
        assert!(matches!(f[2], Cow::Owned(_)));
        assert_eq!(split_record("", b','), vec![""]);
        assert_eq!(split_record("a;b", b';'), vec!["a", "b"]);
        assert_eq!(split_record(r#""open"#, b','), vec!["open"]);
        assert_eq!(split_record(r#""a"junk,b"#, b','), vec!["a", "b"]);
    }

    #[test]
    fn records_may_span_lines() {
        let text = "h1,h2\n1,\"two\nlines\"\n\"never closed,3\n4,5";
        let mut r = CsvRecords::default();
        let mut got = Vec::new();
        let mut off = 0;
        for (n, l) in text.split('\n').enumerate() {
            let line = Line {
                number: n as u64 + 1,
                offset: off,
                text: l,
            };
            off += l.len() as u64 + 1;
            r.line(&line, &mut |it| got.push(item(it)));
        }
        r.finish(&mut |it| got.push(item(it)));
        assert_eq!(
            got,
            vec![
                "1-1:h1,h2".to_string(),
                "2-3:1,\"two\nlines\"".to_string(),
                "unterminated 4".to_string(),
                "5-5:4,5".to_string(),
            ]
        );
    }

    fn item(it: CsvItem<'_>) -> String {
        match it {
            CsvItem::Record {
                line,
                last_line,
                text,
                ..
            } => format!("{line}-{last_line}:{text}"),
            CsvItem::Unterminated { line } => format!("unterminated {line}"),
        }
    }

    #[test]
    fn delimiters_and_numbers() {
        assert_eq!(guess_delimiter("a,b,c"), b',');
        assert_eq!(guess_delimiter("a;b;\"c,d,e\""), b';');
        assert_eq!(guess_delimiter("a\tb\tc"), b'\t');
        assert_eq!(parse_number("1,234", b','), Some(1234.0));
        assert_eq!(parse_number("12,5", b';'), Some(12.5));
        assert_eq!(parse_number("1 234", b';'), Some(1234.0));
        assert_eq!(parse_number("", b','), None);
        assert_eq!(parse_number("NaN", b','), None);
        assert_eq!(parse_number("abc", b','), None);
    }
}
