use super::*;

/// A small deterministic generator (xorshift), so that failures reproduce.
fn next(state: &mut u64) -> u64 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    *state
}

fn naive(line: &[u8], b: u8) -> Vec<usize> {
    (0..line.len()).filter(|&i| line[i] == b).collect()
}

fn all(m: &ByteMasks, c: usize) -> Vec<usize> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(i) = m.next(c, from) {
        out.push(i);
        from = i + 1;
    }
    out
}

#[test]
fn masks_match_a_byte_by_byte_scan_at_every_length() {
    let mut st = 0x9e37_79b9_7f4a_7c15u64;
    let mut m = ByteMasks::default();
    for len in 0..300 {
        let line: Vec<u8> = (0..len)
            .map(|_| b";\"&a\x00\xff"[(next(&mut st) % 6) as usize])
            .collect();
        for bytes in [[b';', b'"', b'&'], [0, b';', 0xff]] {
            m.fill(&line, bytes);
            for (c, b) in bytes.into_iter().enumerate() {
                assert_eq!(all(&m, c), naive(&line, b), "len {len} byte {b}");
            }
            // `;` right after `"` (classes 0 after 1).
            let want: Vec<usize> = (1..line.len())
                .filter(|&i| line[i] == bytes[0] && line[i - 1] == bytes[1])
                .collect();
            let mut got = Vec::new();
            let mut from = 0;
            while let Some(i) = m.next_after(0, 1, from) {
                got.push(i);
                from = i + 1;
            }
            assert_eq!(got, want, "len {len}");
            for from in 0..=len {
                for to in [
                    from,
                    from + 1,
                    from + 7,
                    from + 63,
                    from + 64,
                    from + 65,
                    len,
                ] {
                    let want = (from..to.min(len)).any(|i| line[i] == bytes[2]);
                    assert_eq!(m.any_in(2, from, to), want, "len {len} {from}..{to}");
                    let want: Vec<usize> = (from..to.min(len))
                        .filter(|&i| line[i] == bytes[2])
                        .collect();
                    let got: Vec<usize> = m.positions(2, from, to).collect();
                    assert_eq!(got, want, "len {len} {from}..{to}");
                }
            }
        }
    }
}

#[test]
fn the_portable_classifier_agrees_with_the_one_in_use() {
    let mut st = 0x2545_f491_4f6c_dd1du64;
    for _ in 0..2000 {
        let mut block = [0u8; 64];
        for b in &mut block {
            *b = b";\"&x\x80\x3b\xbb"[(next(&mut st) % 7) as usize];
        }
        let bytes = [b';', b'"', b'&'];
        assert_eq!(classify_words(&block, bytes), classify(&block, bytes));
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: AVX2 is present, just checked.
            let avx2 = unsafe { classify_avx2(&block, bytes) };
            assert_eq!(classify_words(&block, bytes), avx2);
        }
    }
}

#[test]
fn searches_stop_at_the_end_and_respect_the_start() {
    let mut m = ByteMasks::default();
    m.fill(b"", [b';', b'"', b'&']);
    assert_eq!(m.next(0, 0), None);
    assert_eq!(m.next_after(0, 1, 0), None);
    let line = [b'x'; 130];
    let mut line = line.to_vec();
    line[64] = b'"';
    line[65] = b';';
    line[129] = b';';
    m.fill(&line, [b';', b'"', b'&']);
    assert_eq!(m.next(0, 0), Some(65));
    assert_eq!(m.next(0, 66), Some(129));
    assert_eq!(m.next(0, 130), None);
    assert_eq!(m.next(0, 500), None);
    assert_eq!(m.next_after(0, 1, 0), Some(65));
    assert_eq!(m.next_after(0, 1, 66), None);
    assert!(m.any_in(1, 60, 65));
    assert!(!m.any_in(1, 65, 129));
    // A `"` ending one word and a `;` starting the next.
    let mut line = vec![b'x'; 70];
    line[63] = b'"';
    line[64] = b';';
    m.fill(&line, [b';', b'"', b'&']);
    assert_eq!(m.next_after(0, 1, 0), Some(64));
}
