//! A line scanner over UTF-8 chunks that carries an incomplete last line to the next chunk.

use std::borrow::Cow;

/// One line of input, without its terminator (`\n`, `\r\n`).
#[derive(Clone, Copy, Debug)]
pub struct Line<'a> {
    /// 1-based line number.
    pub number: u64,
    /// Byte offset of the line's start in the decoded input.
    pub offset: u64,
    pub text: &'a str,
}

#[derive(Debug, Default)]
pub struct LineScanner {
    carry: Vec<u8>,
    next_number: u64,
    offset: u64,
}

impl LineScanner {
    pub fn new() -> LineScanner {
        LineScanner {
            carry: Vec::new(),
            next_number: 1,
            offset: 0,
        }
    }

    /// A scanner for a piece of an input that starts at line `number` and decoded byte
    /// `offset` (parallel ingest of line ranges).
    pub fn starting_at(number: u64, offset: u64) -> LineScanner {
        LineScanner {
            carry: Vec::new(),
            next_number: number,
            offset,
        }
    }

    /// Lines seen so far (including a final unterminated one after [`LineScanner::finish`]).
    pub fn lines(&self) -> u64 {
        self.next_number - 1
    }

    /// Decoded bytes seen so far.
    pub fn bytes(&self) -> u64 {
        self.offset + self.carry.len() as u64
    }

    /// Feeds a chunk; calls `on_line` for every line it completes.
    pub fn feed(&mut self, chunk: &[u8], mut on_line: impl FnMut(Line<'_>)) {
        let mut rest = chunk;
        if !self.carry.is_empty() {
            match memchr::memchr(b'\n', rest) {
                None => {
                    self.carry.extend_from_slice(rest);
                    return;
                }
                Some(i) => {
                    let mut carry = std::mem::take(&mut self.carry);
                    carry.extend_from_slice(&rest[..i]);
                    self.emit(&carry, &mut on_line);
                    self.offset += 1;
                    rest = &rest[i + 1..];
                    carry.clear();
                    self.carry = carry; // keep the allocation
                }
            }
        }
        let mut start = 0;
        for nl in memchr::memchr_iter(b'\n', rest) {
            self.emit(&rest[start..nl], &mut on_line);
            self.offset += 1;
            start = nl + 1;
        }
        self.carry.extend_from_slice(&rest[start..]);
    }

    /// Emits the last line if the input did not end with a newline.
    pub fn finish(&mut self, mut on_line: impl FnMut(Line<'_>)) {
        if !self.carry.is_empty() {
            let carry = std::mem::take(&mut self.carry);
            self.emit(&carry, &mut on_line);
        }
    }

    fn emit(&mut self, raw: &[u8], on_line: &mut impl FnMut(Line<'_>)) {
        let len = raw.len() as u64;
        let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
        let text: Cow<'_, str> = match utf8(raw) {
            Ok(s) => Cow::Borrowed(s),
            // Not UTF-8 (often Windows-1252 text): keep what can be read.
            Err(_) => String::from_utf8_lossy(raw),
        };
        on_line(Line {
            number: self.next_number,
            offset: self.offset,
            text: &text,
        });
        self.next_number += 1;
        self.offset += len;
    }
}

/// `std::str::from_utf8`, with all-ASCII text (nearly every line of a large log) recognised by
/// a plain ASCII test first: 32 bytes at a time where the CPU has AVX2, else the standard
/// library's word-at-a-time test, either cheaper than the validator's ASCII stretch.
fn utf8(raw: &[u8]) -> Result<&str, std::str::Utf8Error> {
    if is_ascii(raw) {
        // SAFETY: ASCII bytes are valid UTF-8.
        Ok(unsafe { std::str::from_utf8_unchecked(raw) })
    } else {
        std::str::from_utf8(raw)
    }
}

fn is_ascii(raw: &[u8]) -> bool {
    #[cfg(target_arch = "x86_64")]
    if raw.len() >= 64 && std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU has AVX2, just checked (the answer is cached by `std`).
        return unsafe { is_ascii_avx2(raw) };
    }
    raw.is_ascii()
}

/// # Safety
/// The CPU must have AVX2.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn is_ascii_avx2(raw: &[u8]) -> bool {
    use std::arch::x86_64::{__m256i, _mm256_loadu_si256, _mm256_movemask_epi8, _mm256_or_si256};
    let mut blocks = raw.chunks_exact(64);
    for block in blocks.by_ref() {
        // SAFETY: AVX2 is present (this function's contract); each load reads 32 bytes inside
        // the 64-byte block, and an unaligned load needs no alignment.
        let high = unsafe {
            let lo = _mm256_loadu_si256(block.as_ptr().cast::<__m256i>());
            let hi = _mm256_loadu_si256(block.as_ptr().add(32).cast::<__m256i>());
            _mm256_movemask_epi8(_mm256_or_si256(lo, hi))
        };
        if high != 0 {
            return false;
        }
    }
    blocks.remainder().is_ascii()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ascii_test_agrees_with_the_standard_one_at_every_length_and_position() {
        for len in 0..200 {
            let mut line = vec![b'a'; len];
            assert!(is_ascii(&line));
            for i in 0..len {
                for high in [0x80, 0xc3, 0xff] {
                    line[i] = high;
                    assert!(!is_ascii(&line), "length {len}, byte {high:#x} at {i}");
                    line[i] = b'a';
                }
            }
        }
        assert_eq!(
            utf8("héllo wörld".repeat(9).as_bytes()).ok(),
            Some(&*"héllo wörld".repeat(9))
        );
        assert!(utf8(&[b'a'; 70].iter().copied().chain([0xff]).collect::<Vec<_>>()).is_err());
    }

    fn collect(input: &[u8], size: usize) -> Vec<(u64, u64, String)> {
        let mut s = LineScanner::new();
        let mut out = Vec::new();
        for c in input.chunks(size) {
            s.feed(c, |l| out.push((l.number, l.offset, l.text.to_string())));
        }
        s.finish(|l| out.push((l.number, l.offset, l.text.to_string())));
        out
    }

    #[test]
    fn same_lines_at_every_split() {
        let input = b"first\r\nsecond\n\nfourth \xC3\xA9\nlast";
        let whole = collect(input, input.len());
        assert_eq!(whole.len(), 5);
        assert_eq!(whole[1], (2, 7, "second".to_string()));
        assert_eq!(whole[4].2, "last");
        for size in 1..input.len() {
            assert_eq!(collect(input, size), whole, "chunk size {size}");
        }
    }

    #[test]
    fn invalid_utf8_is_kept_lossily() {
        let out = collect(b"caf\xE9\n", 100);
        assert_eq!(out[0].2, "caf\u{FFFD}");
    }
}
