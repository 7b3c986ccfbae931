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
    let b: &[u8; 36] = s.as_bytes().try_into().ok()?;
    if b[8] != b'-' || b[13] != b'-' || b[18] != b'-' || b[23] != b'-' {
        return None;
    }
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("ssse3") {
        // SAFETY: the CPU has SSSE3, just checked (the answer is cached by `std`).
        return unsafe { digits_ssse3(b) };
    }
    digits_words(b)
}

/// The 32 digits of a GUID whose dashes were checked, read as four words of eight digits.
fn digits_words(b: &[u8; 36]) -> Option<(u128, bool)> {
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

/// [`digits_words`] sixteen digits at a time: two byte shuffles gather the 32 digits out of
/// three loads, the digits are classified and converted in the vector registers, and
/// `maddubs` then `packus` join each pair of nibbles into the value's bytes. About a fifth of
/// the word reader's instructions; it runs for two or three ids on every row of a large log.
///
/// # Safety
/// The CPU must have SSSE3.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "ssse3")]
unsafe fn digits_ssse3(b: &[u8; 36]) -> Option<(u128, bool)> {
    use std::arch::x86_64::{
        __m128i, _mm_add_epi8, _mm_and_si128, _mm_andnot_si128, _mm_cmpeq_epi8, _mm_cmpgt_epi8,
        _mm_loadu_si128, _mm_maddubs_epi16, _mm_movemask_epi8, _mm_or_si128, _mm_packus_epi16,
        _mm_set1_epi16, _mm_set1_epi8, _mm_setr_epi8, _mm_setzero_si128, _mm_shuffle_epi8,
        _mm_storeu_si128,
    };
    // SAFETY: SSSE3 is present (this function's contract); the loads read bytes 0..16,
    // 16..32 and 20..36 of the 36-byte array, and need no alignment.
    unsafe {
        let p = b.as_ptr();
        let v0 = _mm_loadu_si128(p.cast::<__m128i>());
        let v1 = _mm_loadu_si128(p.add(16).cast::<__m128i>());
        let v2 = _mm_loadu_si128(p.add(20).cast::<__m128i>());
        // An index with its high bit set gives a zero byte.
        const Z: i8 = -128;
        // Digits 0..16 sit at bytes 0-7, 9-12, 14-15 (v0) and 16-17 (v1's first two).
        let first = _mm_or_si128(
            _mm_shuffle_epi8(
                v0,
                _mm_setr_epi8(0, 1, 2, 3, 4, 5, 6, 7, 9, 10, 11, 12, 14, 15, Z, Z),
            ),
            _mm_shuffle_epi8(
                v1,
                _mm_setr_epi8(Z, Z, Z, Z, Z, Z, Z, Z, Z, Z, Z, Z, Z, Z, 0, 1),
            ),
        );
        // Digits 16..32 sit at bytes 19-22 (v1's 3-6) and 24-35 (v2's 4-15).
        let second = _mm_or_si128(
            _mm_shuffle_epi8(
                v1,
                _mm_setr_epi8(3, 4, 5, 6, Z, Z, Z, Z, Z, Z, Z, Z, Z, Z, Z, Z),
            ),
            _mm_shuffle_epi8(
                v2,
                _mm_setr_epi8(Z, Z, Z, Z, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
            ),
        );
        // Signed byte comparisons: a byte of 0x80 or more is negative, so it is neither a
        // digit nor a letter and makes the text no GUID.
        let between = |x: __m128i, lo: u8, hi: u8| {
            _mm_and_si128(
                _mm_cmpgt_epi8(x, _mm_set1_epi8(lo as i8 - 1)),
                _mm_cmpgt_epi8(_mm_set1_epi8(hi as i8 + 1), x),
            )
        };
        let mut bad = 0;
        let mut upper = 0;
        let value = |x: __m128i, bad: &mut i32, upper: &mut i32| {
            let digit = between(x, b'0', b'9');
            // Setting bit 0x20 folds `A`–`F` onto `a`–`f`.
            let letter = between(_mm_or_si128(x, _mm_set1_epi8(0x20)), b'a', b'f');
            *bad |= !_mm_movemask_epi8(_mm_or_si128(digit, letter)) & 0xFFFF;
            let lacks_0x20 =
                _mm_cmpeq_epi8(_mm_and_si128(x, _mm_set1_epi8(0x20)), _mm_setzero_si128());
            *upper |= _mm_movemask_epi8(_mm_and_si128(letter, lacks_0x20));
            // The low nibble, plus 9 for letters (`a` = 0x61 → 1 + 9).
            let nibble = _mm_and_si128(x, _mm_set1_epi8(0x0F));
            _mm_or_si128(
                _mm_andnot_si128(letter, nibble),
                _mm_and_si128(letter, _mm_add_epi8(nibble, _mm_set1_epi8(9))),
            )
        };
        let a = value(first, &mut bad, &mut upper);
        let c = value(second, &mut bad, &mut upper);
        if bad != 0 {
            return None;
        }
        // Each pair of digits → 16 * first + second in a 16-bit lane, then the lanes → bytes.
        let weights = _mm_set1_epi16(0x0110);
        let bytes = _mm_packus_epi16(_mm_maddubs_epi16(a, weights), _mm_maddubs_epi16(c, weights));
        let mut out = [0u8; 16];
        _mm_storeu_si128(out.as_mut_ptr().cast::<__m128i>(), bytes);
        Some((u128::from_be_bytes(out), upper == 0))
    }
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
    fn the_word_reader_and_the_vector_reader_agree() {
        // The fallback (where the CPU lacks SSSE3, and the page's WebAssembly) against what
        // `parse_noting_case` answers on this machine, over every byte at every position.
        let base = *b"417dB530-853d-48a7-a23c-0c8d5f728178";
        let mut texts = Vec::new();
        for pos in 0..36 {
            for c in 0..=255u8 {
                let mut g = base;
                g[pos] = c;
                texts.push(g);
            }
        }
        let mut st = 0x2545_f491_4f6c_dd1du64;
        for _ in 0..10_000 {
            st ^= st << 13;
            st ^= st >> 7;
            st ^= st << 17;
            let mut g = *b"00000000-0000-0000-0000-000000000000";
            for (i, d) in g.iter_mut().enumerate() {
                if *d != b'-' {
                    *d = b"0123456789abcdefABCDEF"[((st >> (i % 60)) as usize + i) % 22];
                }
            }
            texts.push(g);
        }
        for g in texts {
            let dashes = [8, 13, 18, 23].iter().all(|&i| g[i] == b'-');
            let words = if dashes { digits_words(&g) } else { None };
            #[cfg(target_arch = "x86_64")]
            if std::arch::is_x86_feature_detected!("ssse3") && dashes {
                // SAFETY: the CPU has SSSE3, just checked.
                assert_eq!(unsafe { digits_ssse3(&g) }, words, "{g:?}");
            }
            if let Ok(s) = std::str::from_utf8(&g) {
                assert_eq!(parse_noting_case(s), words, "{s}");
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
