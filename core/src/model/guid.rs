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

/// Value of each hex digit; upper-case letters carry bit 0x40 (so a caller can refuse them),
/// anything else is 0xFF.
const HEX: [u8; 256] = {
    let mut t = [0xFFu8; 256];
    let mut i = 0;
    while i < 10 {
        t[b'0' as usize + i] = i as u8;
        i += 1;
    }
    let mut i = 0;
    while i < 6 {
        t[b'a' as usize + i] = 10 + i as u8;
        t[b'A' as usize + i] = 0x40 | (10 + i as u8);
        i += 1;
    }
    t
};

/// `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx` as a number, or `None` for anything else (another
/// length, misplaced dashes, a non-hex digit, or an upper-case digit when `case` is `Lower`).
/// Branch-free over the digits: it runs on every row of a large log.
pub fn parse(s: &str, case: Case) -> Option<u128> {
    let b = s.as_bytes();
    if b.len() != 36 || b[8] != b'-' || b[13] != b'-' || b[18] != b'-' || b[23] != b'-' {
        return None;
    }
    let mut v: u128 = 0;
    let mut seen = 0u8;
    for (i, &c) in b.iter().enumerate() {
        if matches!(i, 8 | 13 | 18 | 23) {
            continue;
        }
        let d = HEX[c as usize];
        seen |= d;
        v = (v << 4) | (d & 0xF) as u128;
    }
    let refused = match case {
        Case::Lower => 0xC0,
        Case::Any => 0x80,
    };
    (seen & refused == 0).then_some(v)
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
