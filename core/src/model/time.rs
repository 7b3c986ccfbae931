//! Timestamps: microseconds since the Unix epoch, UTC.
//!
//! Logs write time in several shapes (ISO 8601 with 7 fractional digits in server logs, RFC 1123 in
//! HTTP headers and error messages, RFC 850 with a two-digit year in `$logs` field 26). All of them
//! become a [`Timestamp`]; formatting always gives ISO 8601 with a `Z`.

use std::fmt;

/// Microseconds since 1970-01-01T00:00:00Z.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Timestamp(pub i64);

const MICROS_PER_SEC: i64 = 1_000_000;
const MAX_YEAR: i64 = 100_000;

impl Timestamp {
    pub fn from_civil(
        year: i64,
        month: u32,
        day: u32,
        hour: u32,
        min: u32,
        sec: u32,
        micros: u32,
    ) -> Option<Timestamp> {
        // Far beyond any log's dates, and well inside the ±292 000 years that i64 microseconds
        // hold, so the arithmetic below cannot overflow whatever digits a log held.
        if !(-MAX_YEAR..=MAX_YEAR).contains(&year)
            || !(1..=12).contains(&month)
            || day == 0
            || day > days_in_month(year, month)
            || hour > 23
            || min > 59
            || sec > 60
        {
            return None;
        }
        let days = days_from_civil(year, month, day);
        let secs = days * 86_400 + hour as i64 * 3600 + min as i64 * 60 + sec as i64;
        Some(Timestamp(secs * MICROS_PER_SEC + micros as i64))
    }

    pub fn seconds(self) -> f64 {
        self.0 as f64 / MICROS_PER_SEC as f64
    }

    /// Signed difference `self - other` in seconds.
    pub fn seconds_since(self, other: Timestamp) -> f64 {
        (self.0 - other.0) as f64 / MICROS_PER_SEC as f64
    }

    pub fn add_seconds(self, s: f64) -> Timestamp {
        Timestamp(self.0 + (s * MICROS_PER_SEC as f64) as i64)
    }

    /// Parses the shapes logs use: ISO 8601 (`2014-05-23T06:19:48.1234567Z`, with `T` or a space,
    /// with or without `Z` or an offset), RFC 1123 (`Fri, 23 May 2014 06:19:48 GMT`) and RFC 850
    /// (`Tuesday, 09-Aug-11 21:13:26 GMT`). Returns `None` for anything else.
    pub fn parse(s: &str) -> Option<Timestamp> {
        if let Some(t) = parse_iso_utc(s.as_bytes()) {
            return Some(t);
        }
        let s = s.trim();
        let first = *s.as_bytes().first()?;
        if first.is_ascii_digit() {
            parse_iso(s)
        } else {
            parse_http_date(s)
        }
    }

    pub fn civil(self) -> (i64, u32, u32, u32, u32, u32, u32) {
        let secs = self.0.div_euclid(MICROS_PER_SEC);
        let micros = self.0.rem_euclid(MICROS_PER_SEC) as u32;
        let days = secs.div_euclid(86_400);
        let sod = secs.rem_euclid(86_400);
        let (y, m, d) = civil_from_days(days);
        (
            y,
            m,
            d,
            (sod / 3600) as u32,
            ((sod % 3600) / 60) as u32,
            (sod % 60) as u32,
            micros,
        )
    }

    /// RFC 1123, the form HTTP headers and service messages use.
    pub fn to_http_date(self) -> String {
        let (y, m, d, hh, mm, ss, _) = self.civil();
        let days = self.0.div_euclid(MICROS_PER_SEC).div_euclid(86_400);
        let wd = WEEKDAYS[(days + 4).rem_euclid(7) as usize];
        format!(
            "{wd}, {d:02} {} {y:04} {hh:02}:{mm:02}:{ss:02} GMT",
            MONTHS[(m - 1) as usize]
        )
    }
}

impl fmt::Display for Timestamp {
    /// ISO 8601 UTC; fractional seconds only when present (milliseconds or microseconds).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (y, m, d, hh, mm, ss, us) = self.civil();
        write!(f, "{y:04}-{m:02}-{d:02}T{hh:02}:{mm:02}:{ss:02}")?;
        if us != 0 {
            if us % 1000 == 0 {
                write!(f, ".{:03}", us / 1000)?;
            } else {
                write!(f, ".{us:06}")?;
            }
        }
        f.write_str("Z")
    }
}

const WEEKDAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(y) => 29,
        _ => 28,
    }
}

// Howard Hinnant's days_from_civil / civil_from_days: exact for the proleptic Gregorian calendar.
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = m as i64;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

fn num(b: &[u8]) -> Option<u32> {
    if b.is_empty() || b.len() > 9 || !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(b.iter().fold(0u32, |a, c| a * 10 + (c - b'0') as u32))
}

/// Fraction-of-second digits (ASCII digits, at least one) as microseconds: digits past the
/// sixth are dropped (.NET writes seven, 100 ns ticks), missing ones count as 0.
fn micros_of(frac: &[u8]) -> u32 {
    (0..6).fold(0, |us, k| {
        us * 10 + frac.get(k).map_or(0, |c| u32::from(c - b'0'))
    })
}

/// The shape large logs write on every row, `2024-03-05T10:15:30Z` with or without a `.` and
/// fraction digits, read without the general parser's trims and searches; `None` for anything
/// else (the general parser then decides, with the same result for this shape).
fn parse_iso_utc(b: &[u8]) -> Option<Timestamp> {
    // The minutes, seconds and fraction are checked first: they also say that the text is long
    // enough for the hour.
    let rest = rest_of_hour(b)?;
    Some(Timestamp(hour_start(b)? + rest))
}

/// Microseconds of the start of the hour named by the first 13 bytes of a time in the usual
/// shape (`2024-03-05T10`), once [`rest_of_hour`] has accepted the rest of the text.
fn hour_start(b: &[u8]) -> Option<i64> {
    if b[4] != b'-' || b[7] != b'-' || b[10] != b'T' {
        return None;
    }
    // Digit values (bytes less '0'); bytes 0-3, 5-6, 8-9 and 11-12 must be digits.
    let d: [u8; 13] = std::array::from_fn(|i| b[i].wrapping_sub(b'0'));
    for i in [0, 1, 2, 3, 5, 6, 8, 9, 11, 12] {
        if d[i] >= 10 {
            return None;
        }
    }
    let two = |i: usize| u32::from(d[i]) * 10 + u32::from(d[i + 1]);
    let year = two(0) * 100 + two(2);
    // Minutes and seconds add to the hour's start linearly, so validating the date and hour
    // here and the rest in `rest_of_hour` is `from_civil`'s whole check.
    Timestamp::from_civil(i64::from(year), two(5), two(8), two(11), 0, 0, 0).map(|t| t.0)
}

/// [`Timestamp::parse`] for a column of times that mostly share their hour, as a large log's
/// rows do: the hour's start is kept from the previous row, so a row of the same hour reads only
/// its minutes, seconds and fraction (the calendar arithmetic and the date's validation ran once
/// for the hour). Gives exactly [`Timestamp::parse`]'s answer for every text.
#[derive(Default)]
pub struct HourReader {
    /// The first 13 bytes (`2024-03-05T10`) of the last time read in the usual shape, with the
    /// microseconds of that hour's start; `None` before one.
    hour: Option<([u8; 13], i64)>,
}

impl HourReader {
    pub fn parse(&mut self, s: &str) -> Option<Timestamp> {
        let b = s.as_bytes();
        if let (Some(head), Some(rest)) = (b.first_chunk::<13>(), rest_of_hour(b)) {
            match self.hour {
                Some((hour, start)) if hour == *head => return Some(Timestamp(start + rest)),
                // Another hour (or the first row): its start is worked out once, and kept.
                _ => {
                    if let Some(start) = hour_start(b) {
                        self.hour = Some((*head, start));
                        return Some(Timestamp(start + rest));
                    }
                }
            }
        }
        // Not the usual shape: the general parser decides.
        Timestamp::parse(s)
    }
}

/// Microseconds since the hour's start of a time in the usual shape (`…T10:15:30.1234567Z`:
/// minutes, seconds and an optional fraction after byte 13), as [`parse_iso_utc`] reads them;
/// `None` for any other text after the hour.
#[inline]
fn rest_of_hour(b: &[u8]) -> Option<i64> {
    let n = b.len();
    if n < 20 || b[13] != b':' || b[16] != b':' || b[n - 1] != b'Z' {
        return None;
    }
    let digit = |i: usize| -> Option<i64> {
        let d = b[i].wrapping_sub(b'0');
        (d < 10).then_some(i64::from(d))
    };
    let min = digit(14)? * 10 + digit(15)?;
    let sec = digit(17)? * 10 + digit(18)?;
    if min > 59 || sec > 60 {
        return None;
    }
    let mut micros = 0;
    if n > 20 {
        let frac = &b[20..n - 1];
        if b[19] != b'.' || frac.is_empty() || !frac.iter().all(u8::is_ascii_digit) {
            return None;
        }
        micros = micros_of(frac);
    }
    Some((min * 60 + sec) * MICROS_PER_SEC + i64::from(micros))
}

fn parse_iso(s: &str) -> Option<Timestamp> {
    let b = s.as_bytes();
    if b.len() < 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let year = num(&b[0..4])? as i64;
    let month = num(&b[5..7])?;
    let day = num(&b[8..10])?;
    if b.len() == 10 {
        return Timestamp::from_civil(year, month, day, 0, 0, 0, 0);
    }
    if !(b[10] == b'T' || b[10] == b' ') || b.len() < 16 || b[13] != b':' {
        return None;
    }
    let hour = num(&b[11..13])?;
    let min = num(&b[14..16])?;
    let mut i = 16;
    let mut sec = 0;
    let mut micros = 0u32;
    if i < b.len() && b[i] == b':' {
        sec = num(b.get(i + 1..i + 3)?)?;
        i += 3;
        if i < b.len() && (b[i] == b'.' || b[i] == b',') {
            i += 1;
            let start = i;
            while i < b.len() && b[i].is_ascii_digit() {
                i += 1;
            }
            let frac = &b[start..i];
            if frac.is_empty() {
                return None;
            }
            micros = micros_of(frac);
        }
    }
    let mut offset_secs: i64 = 0;
    let rest = &s[i..];
    let rest_t = rest.trim();
    if rest_t.is_empty() || rest_t == "Z" || rest_t == "z" || rest_t.eq_ignore_ascii_case("UTC") {
    } else if let Some(sign) = rest_t.chars().next().filter(|c| *c == '+' || *c == '-') {
        let digits: Vec<u8> = rest_t.bytes().skip(1).filter(u8::is_ascii_digit).collect();
        if digits.len() != 4 {
            return None;
        }
        let oh = num(&digits[0..2])? as i64;
        let om = num(&digits[2..4])? as i64;
        offset_secs = (oh * 3600 + om * 60) * if sign == '+' { 1 } else { -1 };
    } else {
        return None;
    }
    let t = Timestamp::from_civil(year, month, day, hour, min, sec, micros)?;
    Some(Timestamp(t.0 - offset_secs * MICROS_PER_SEC))
}

fn month_from_name(m: &str) -> Option<u32> {
    MONTHS
        .iter()
        .position(|n| n.eq_ignore_ascii_case(m))
        .map(|p| p as u32 + 1)
}

/// RFC 1123 `Fri, 23 May 2014 06:19:48 GMT` and RFC 850 `Tuesday, 09-Aug-11 21:13:26 GMT`.
fn parse_http_date(s: &str) -> Option<Timestamp> {
    let (_, rest) = s.split_once(',')?;
    let rest = rest.trim();
    let mut parts = rest.split_whitespace();
    let date = parts.next()?;
    let (day, month, year) = if date.contains('-') {
        let mut d = date.split('-');
        let day = num(d.next()?.as_bytes())?;
        let month = month_from_name(d.next()?)?;
        let y = num(d.next()?.as_bytes())? as i64;
        (day, month, if y < 100 { 2000 + y } else { y })
    } else {
        let day = num(date.as_bytes())?;
        let month = month_from_name(parts.next()?)?;
        let year = num(parts.next()?.as_bytes())? as i64;
        (day, month, year)
    };
    let time = parts.next()?;
    let mut t = time.split(':');
    let hour = num(t.next()?.as_bytes())?;
    let min = num(t.next()?.as_bytes())?;
    let sec = num(t.next()?.as_bytes())?;
    Timestamp::from_civil(year, month, day, hour, min, sec, 0)
}

#[cfg(test)]
#[path = "time_tests.rs"]
mod tests;
