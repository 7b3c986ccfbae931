//! GUIDs as 128-bit values: request ids, client request ids. One reader for the parsers, the
//! dataset (which packs lower-case GUIDs instead of interning them) and the correlation (which
//! joins ids whatever their case).

/// Which letters a GUID may be written with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Case {
    /// `a`–`f` only: the form that can be rebuilt from the value byte for byte.
    Lower,
    /// Either case (the same id written by two programs).
    Any,
}

/// `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx` as a number, or `None` for anything else (another
/// length, misplaced dashes, a non-hex digit, or an upper-case digit when `case` is `Lower`).
///
/// It runs two or three times on every row of a large log, so the 32 digits are read as four
/// words of eight and checked and converted with word arithmetic (`hex8`) rather than one
/// table lookup per digit.
pub fn parse(s: &str, case: Case) -> Option<u128> {
    parse_noting_case(s).and_then(|(v, lower)| (lower || case == Case::Any).then_some(v))
}

/// [`parse`] in either case, also telling whether the text is the lower-case form (the one
/// [`Case::Lower`] accepts): one reading where a caller needs both answers.
pub fn parse_noting_case(s: &str) -> Option<(u128, bool)> {
    let b = s.as_bytes();
    if b.len() != 36 || b[8] != b'-' || b[13] != b'-' || b[18] != b'-' || b[23] != b'-' {
        return None;
    }
    let word = |i: usize| {
        let mut w = [0u8; 8];
        w.copy_from_slice(&b[i..i + 8]);
        u64::from_le_bytes(w)
    };
    // Digits 0..8, 9..13 with 14..18, 19..23 with 24..28, then 28..36.
    let words = [
        word(0),
        (word(9) & 0xFFFF_FFFF) | (word(14) << 32),
        (word(19) & 0xFFFF_FFFF) | (word(24) << 32),
        word(28),
    ];
    let mut v: u128 = 0;
    let mut bad = 0u64;
    let mut upper = 0u64;
    for w in words {
        let (value, b, u) = hex8(w);
        v = (v << 32) | u128::from(value);
        bad |= b;
        upper |= u;
    }
    (bad == 0).then_some((v, upper == 0))
}

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGH: u64 = 0x8080_8080_8080_8080;

/// Eight ASCII hex digits (the first in the low byte) → their value, the first digit most
/// significant. Also returns a non-zero mask when some byte is not a hex digit, and a non-zero
/// mask when some digit is an upper-case letter.
fn hex8(x: u64) -> (u32, u64, u64) {
    // High bit of each byte that is at least `lo`. Exact for bytes below 0x80 (no carry leaves
    // a byte); a byte at 0x80 or above may carry into the next byte or out of the word (hence
    // the wrapping add), and is refused anyway.
    let at_least = |x: u64, lo: u8| x.wrapping_add(ONES * u64::from(0x80 - lo)) & HIGH;
    let non_ascii = x & HIGH;
    let digit = at_least(x, b'0') & !at_least(x, b'9' + 1);
    // Setting bit 0x20 folds `A`–`F` onto `a`–`f` and leaves the digits as they are.
    let folded = x | (ONES * 0x20);
    let letter = at_least(folded, b'a') & !at_least(folded, b'f' + 1);
    let bad = non_ascii | (!(digit | letter) & HIGH);
    // An upper-case letter lacks bit 0x20, which `<< 2` moves to the byte's high bit.
    let upper = letter & !(x << 2) & HIGH;
    // Digit values: the low nibble, plus 9 for letters (`a` = 0x61 → 1 + 9).
    let n = (x & (ONES * 0x0F)) + (letter >> 7) * 9;
    // Pack the nibbles, byte 0 first: pairs into bytes, bytes into the low half, then reverse.
    let n = ((n << 4) | (n >> 8)) & 0x00FF_00FF_00FF_00FF;
    let n = (n | (n >> 8)) & 0x0000_FFFF_0000_FFFF;
    let n = (n | (n >> 16)) & 0xFFFF_FFFF;
    ((n as u32).swap_bytes(), bad, upper)
}

/// The lower-case text of a GUID value.
pub fn format(v: u128) -> String {
    let h = format!("{v:032x}");
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The digits read one at a time: the reference the word-at-a-time reader is checked
    /// against.
    fn reference(s: &str, case: Case) -> Option<u128> {
        let b = s.as_bytes();
        if b.len() != 36 || [8, 13, 18, 23].iter().any(|&i| b[i] != b'-') {
            return None;
        }
        let mut v = 0u128;
        for (i, &c) in b.iter().enumerate() {
            if matches!(i, 8 | 13 | 18 | 23) {
                continue;
            }
            let d = match c {
                b'0'..=b'9' => c - b'0',
                b'a'..=b'f' => c - b'a' + 10,
                b'A'..=b'F' if case == Case::Any => c - b'A' + 10,
                _ => return None,
            };
            v = (v << 4) | u128::from(d);
        }
        Some(v)
    }

    #[test]
    fn agrees_with_a_digit_by_digit_reader() {
        // Every byte value at every digit position of a valid GUID, in both cases.
        let base = *b"417db530-853d-48a7-a23c-0c8d5f728178";
        for pos in (0..36).filter(|i| ![8, 13, 18, 23].contains(i)) {
            for c in 0..=255u8 {
                let mut g = base;
                g[pos] = c;
                let Ok(s) = std::str::from_utf8(&g) else {
                    continue;
                };
                for case in [Case::Lower, Case::Any] {
                    assert_eq!(parse(s, case), reference(s, case), "{s} {case:?}");
                }
                let noted =
                    reference(s, Case::Any).map(|v| (v, reference(s, Case::Lower).is_some()));
                assert_eq!(parse_noting_case(s), noted, "{s}");
            }
        }
        // Random GUIDs with random letter case.
        let mut st = 0x9e37_79b9_7f4a_7c15u64;
        for _ in 0..10_000 {
            st ^= st << 13;
            st ^= st >> 7;
            st ^= st << 17;
            let v = (u128::from(st) << 64) | u128::from(st.rotate_left(23) ^ 0x5555);
            let mut s = format(v);
            if st & 1 == 1 {
                s = s.to_ascii_uppercase();
            }
            for case in [Case::Lower, Case::Any] {
                assert_eq!(parse(&s, case), reference(&s, case), "{s} {case:?}");
            }
        }
    }

    #[test]
    fn non_ascii_characters_anywhere_are_refused() {
        // Multi-byte characters (bytes 0x80 and above, which the word arithmetic must not
        // overflow on) at every position of a 36-byte text shaped like a GUID.
        let base = "417db530-853d-48a7-a23c-0c8d5f728178";
        for ch in ["é", "Ś", "€", "\u{10ffff}", "\u{80}"] {
            for pos in 0..=36 - ch.len() {
                if !base.is_char_boundary(pos) {
                    continue;
                }
                let s = format!("{}{ch}{}", &base[..pos], &base[pos + ch.len()..]);
                assert_eq!(s.len(), 36);
                for case in [Case::Lower, Case::Any] {
                    assert_eq!(parse(&s, case), None, "{s}");
                }
            }
        }
    }

    #[test]
    fn lower_case_round_trips_and_case_is_honoured() {
        let g = "417db530-853d-48a7-a23c-0c8d5f728178";
        let v = parse(g, Case::Lower).unwrap();
        assert_eq!(format(v), g);
        let upper = g.to_ascii_uppercase();
        assert_eq!(parse(&upper, Case::Lower), None);
        assert_eq!(parse(&upper, Case::Any), Some(v));
        let mixed = "417DB530-853d-48a7-a23c-0c8d5f728178";
        assert_eq!(parse(mixed, Case::Any), Some(v));
    }

    #[test]
    fn anything_else_is_refused() {
        for s in [
            "",
            "c3aa328b...",
            "417db530-853d-48a7-a23c-0c8d5f72817",
            "417db530-853d-48a7-a23c-0c8d5f7281789",
            "417db530_853d-48a7-a23c-0c8d5f728178",
            "417db53g-853d-48a7-a23c-0c8d5f728178",
            "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx",
            "417db530-853d-48a7-a23c-0c8d5f72817é",
        ] {
            assert_eq!(parse(s, Case::Any), None, "{s}");
        }
    }
}
